//! The fd-based mount API (Linux ≥ 5.2; `mount_setattr` ≥ 5.12):
//! [`fsopen(2)`](https://man7.org/linux/man-pages/man2/fsopen.2.html),
//! [`fsconfig(2)`](https://man7.org/linux/man-pages/man2/fsconfig.2.html),
//! [`fsmount(2)`](https://man7.org/linux/man-pages/man2/fsmount.2.html),
//! [`open_tree(2)`](https://man7.org/linux/man-pages/man2/open_tree.2.html),
//! [`move_mount(2)`](https://man7.org/linux/man-pages/man2/move_mount.2.html) and
//! [`mount_setattr(2)`](https://man7.org/linux/man-pages/man2/mount_setattr.2.html).
//!
//! A [`DetachedMount`] is a mount that is not attached anywhere yet: built from a filesystem
//! context ([`FsContext`]) or cloned from an existing tree ([`DetachedMount::clone_tree`]). It can
//! be changed (read-only, idmapped …) before anyone can see it and then attached in the caller's
//! namespace ([`DetachedMount::attach`]), in another process's namespace
//! ([`Mounts::attach`](super::Mounts::attach)) or inside a container rootfs
//! ([`Root::attach`](super::Root::attach)) — no host path needs to be visible there.

use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags};

use super::ops::{Propagation, cstring, target_cstring};
use crate::error::{Errno, Error, Feature, Operation, OsError, Result, Subsystem};

bitflags::bitflags! {
    /// `MOUNT_ATTR_*` flags of [`mount_setattr(2)`](https://man7.org/linux/man-pages/man2/mount_setattr.2.html)
    /// and `fsmount(2)`. The access-time mode is set with [`MountSetAttr::atime`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MountAttr: u64 {
        /// `MOUNT_ATTR_RDONLY`.
        const RDONLY = 0x1;
        /// `MOUNT_ATTR_NOSUID`.
        const NOSUID = 0x2;
        /// `MOUNT_ATTR_NODEV`.
        const NODEV = 0x4;
        /// `MOUNT_ATTR_NOEXEC`.
        const NOEXEC = 0x8;
        /// `MOUNT_ATTR_NODIRATIME`.
        const NODIRATIME = 0x80;
        /// `MOUNT_ATTR_IDMAP` (set through [`MountSetAttr::idmap`]).
        const IDMAP = 0x10_0000;
        /// `MOUNT_ATTR_NOSYMFOLLOW` (Linux ≥ 5.14).
        const NOSYMFOLLOW = 0x20_0000;
    }
}

/// `MOUNT_ATTR__ATIME`: the access-time field mask.
const ATTR_ATIME_MASK: u64 = 0x70;

/// Access-time mode of a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Atime {
    /// `MOUNT_ATTR_RELATIME` (the default).
    Relatime,
    /// `MOUNT_ATTR_NOATIME`.
    Noatime,
    /// `MOUNT_ATTR_STRICTATIME`.
    Strictatime,
}

impl Atime {
    fn bits(self) -> u64 {
        match self {
            Atime::Relatime => 0,
            Atime::Noatime => 0x10,
            Atime::Strictatime => 0x20,
        }
    }
}

/// A change of mount attributes for `mount_setattr(2)`: flags to set, flags to clear, an
/// optional access-time mode, propagation type and idmapping.
///
/// ```
/// use linx::mount::{MountAttr, MountSetAttr, Propagation};
/// let change = MountSetAttr::new()
///     .set(MountAttr::RDONLY | MountAttr::NOSUID)
///     .clear(MountAttr::NOEXEC)
///     .propagation(Propagation::Private);
/// assert!(change.sets().contains(MountAttr::RDONLY));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MountSetAttr<'fd> {
    set: u64,
    clear: u64,
    propagation: u64,
    userns: Option<BorrowedFd<'fd>>,
}

impl<'fd> MountSetAttr<'fd> {
    /// No change.
    pub fn new() -> Self {
        MountSetAttr::default()
    }

    /// Adds flags to set.
    pub fn set(mut self, attrs: MountAttr) -> Self {
        self.set |= (attrs - MountAttr::IDMAP).bits();
        self
    }

    /// Adds flags to clear.
    pub fn clear(mut self, attrs: MountAttr) -> Self {
        self.clear |= (attrs - MountAttr::IDMAP).bits();
        self
    }

    /// Sets the access-time mode.
    pub fn atime(mut self, atime: Atime) -> Self {
        self.clear |= ATTR_ATIME_MASK;
        self.set = (self.set & !ATTR_ATIME_MASK) | atime.bits();
        self
    }

    /// Changes the propagation type as well.
    pub fn propagation(mut self, propagation: Propagation) -> Self {
        self.propagation = propagation.flag().bits();
        self
    }

    /// Makes the mount idmapped through the user namespace `userns` (an open
    /// `/proc/<pid>/ns/user`). Only a detached clone can be idmapped; see
    /// [`DetachedMount::idmap`].
    pub fn idmap(mut self, userns: BorrowedFd<'fd>) -> Self {
        self.set |= MountAttr::IDMAP.bits();
        self.userns = Some(userns);
        self
    }

    /// The flags this change sets.
    pub fn sets(&self) -> MountAttr {
        MountAttr::from_bits_truncate(self.set)
    }

    fn validate(&self) -> Result<()> {
        if let Some(fd) = self.userns {
            let kind = crate::ns::kind_of(fd).map_err(|_| {
                Error::input(
                    Subsystem::Mount,
                    "idmap user namespace",
                    format!("fd {}", fd.as_raw_fd()),
                    "is not a namespace file",
                )
            })?;
            if kind != crate::ns::NsKind::User {
                return Err(Error::input(
                    Subsystem::Mount,
                    "idmap user namespace",
                    format!("fd {}", fd.as_raw_fd()),
                    format!("is a {kind} namespace, not a user namespace"),
                ));
            }
        }
        if self.set & self.clear & !ATTR_ATIME_MASK != 0 {
            return Err(Error::input(
                Subsystem::Mount,
                "mount attributes",
                format!(
                    "set {:?} clear {:?}",
                    MountAttr::from_bits_truncate(self.set),
                    MountAttr::from_bits_truncate(self.clear)
                ),
                "a flag cannot be both set and cleared",
            ));
        }
        Ok(())
    }
}

#[repr(C)]
struct RawMountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn unsupported(call: &str) -> Error {
    Error::unsupported(
        Subsystem::Mount,
        Feature::NewMountApi,
        format!("{call} is missing (the new mount API needs Linux 5.2, mount_setattr 5.12)"),
    )
}

fn sys_mount_setattr(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: u32,
    attr: &MountSetAttr<'_>,
) -> std::result::Result<(), Errno> {
    let raw = RawMountAttr {
        attr_set: attr.set,
        attr_clr: attr.clear,
        propagation: attr.propagation,
        userns_fd: attr.userns.map_or(0, |fd| fd.as_raw_fd() as u64),
    };
    // SAFETY: path is NUL-terminated, raw is a valid mount_attr of the size passed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dirfd.as_raw_fd(),
            path.as_ptr(),
            flags,
            &raw as *const RawMountAttr,
            std::mem::size_of::<RawMountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        ))
    }
}

fn setattr_error(e: Errno, path: &Path, attr: &MountSetAttr<'_>) -> Error {
    if e == Errno::NOSYS {
        return unsupported("mount_setattr");
    }
    let err = OsError::new(Subsystem::Mount, Operation::Syscall("mount_setattr"), e).path(path);
    if (e == Errno::INVAL || e == Errno::PERM) && attr.userns.is_some() {
        err.extack("idmapping refused: the filesystem does not support idmapped mounts, or the mount is not a detached clone (open_tree with OPEN_TREE_CLONE), or it is already idmapped")
            .into()
    } else {
        err.into()
    }
}

/// Changes the attributes of the mount at `path` in the caller's namespace with
/// [`mount_setattr(2)`](https://man7.org/linux/man-pages/man2/mount_setattr.2.html);
/// `recursive` (`AT_RECURSIVE`) applies it to every mount below too — e.g. a read-only bind tree
/// in one step.
///
/// # Errors
/// Input errors for an empty/NUL-containing path, a flag both set and cleared, or an idmap fd that
/// is not a user namespace; `Unsupported(NewMountApi)` before Linux 5.12; OS error
/// `mount_setattr` naming the path.
///
/// ```no_run
/// use linx::mount::{self, MountAttr, MountSetAttr};
/// mount::set_attr("/srv/root", &MountSetAttr::new().set(MountAttr::RDONLY), true)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "mount_setattr")]
pub fn set_attr(path: impl AsRef<Path>, attr: &MountSetAttr<'_>, recursive: bool) -> Result<()> {
    set_attr_path(path.as_ref(), attr, recursive)
}

pub(crate) fn set_attr_path(path: &Path, attr: &MountSetAttr<'_>, recursive: bool) -> Result<()> {
    let c = target_cstring(path)?;
    attr.validate()?;
    let flags = if recursive {
        libc::AT_RECURSIVE as u32
    } else {
        0
    };
    sys_mount_setattr(rustix::fs::CWD, &c, flags, attr).map_err(|e| setattr_error(e, path, attr))
}

/// A filesystem context from [`fsopen(2)`](https://man7.org/linux/man-pages/man2/fsopen.2.html),
/// configured with `fsconfig(2)` and turned into a [`DetachedMount`] by [`FsContext::mount`].
///
/// Errors of `fsconfig` carry the kernel's own message (read from the context fd), e.g.
/// `tmpfs: Bad value for 'size'`.
///
/// ```no_run
/// use linx::mount::{FsContext, MountAttr};
/// let fs = FsContext::new("tmpfs")?;
/// fs.set_string("size", "64M")?;
/// fs.set_string("mode", "755")?;
/// let tree = fs.mount(MountAttr::NOSUID | MountAttr::NODEV)?;
/// tree.attach("/mnt/scratch")?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct FsContext {
    fd: OwnedFd,
    fstype: String,
}

impl FsContext {
    /// Opens a context for filesystem type `fstype` (`fsopen(fstype, FSOPEN_CLOEXEC)`).
    ///
    /// # Errors
    /// Input error for an empty or NUL-containing type; `Unsupported(NewMountApi)` before Linux
    /// 5.2; OS error `fsopen` naming the type (`ENODEV` for an unknown filesystem).
    #[doc(alias = "fsopen")]
    pub fn new(fstype: &str) -> Result<FsContext> {
        if fstype.is_empty() {
            return Err(Error::input(
                Subsystem::Mount,
                "filesystem type",
                "",
                "must not be empty",
            ));
        }
        let c = cstring(fstype.as_bytes(), "filesystem type")?;
        let fd = rustix::mount::fsopen(c.as_c_str(), FsOpenFlags::FSOPEN_CLOEXEC).map_err(|e| {
            if e == Errno::NOSYS {
                unsupported("fsopen")
            } else {
                OsError::new(Subsystem::Mount, Operation::Syscall("fsopen"), e)
                    .object(fstype.to_owned())
                    .into()
            }
        })?;
        Ok(FsContext {
            fd,
            fstype: fstype.to_owned(),
        })
    }

    /// The kernel's log messages for this context (`e …`, `w …`, `i …` lines), drained.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        // Each read returns one message; ENODATA ends the log. Bounded to avoid looping forever.
        for _ in 0..64 {
            match rustix::io::read(&self.fd, &mut buf) {
                Ok(n) if n > 0 => {
                    out.push(String::from_utf8_lossy(&buf[..n]).trim_end().to_owned());
                }
                _ => break,
            }
        }
        out
    }

    fn config_error(&self, e: Errno, what: String) -> Error {
        let msgs = self.messages();
        let mut err = OsError::new(Subsystem::Mount, Operation::Syscall("fsconfig"), e)
            .object(format!("{} {what}", self.fstype));
        if !msgs.is_empty() {
            err = err.extack(msgs.join("; "));
        }
        err.into()
    }

    /// `FSCONFIG_SET_STRING key=value` (e.g. `size`, `64M`; `source`, `/dev/vdb`).
    ///
    /// # Errors
    /// Input error for an empty key or a NUL byte; OS error `fsconfig` naming the key, with the
    /// kernel's message.
    pub fn set_string(&self, key: &str, value: &str) -> Result<()> {
        let k = config_key(key)?;
        let v = cstring(value.as_bytes(), "fsconfig value")?;
        rustix::mount::fsconfig_set_string(&self.fd, k.as_c_str(), v.as_c_str())
            .map_err(|e| self.config_error(e, format!("{key}={value}")))
    }

    /// `FSCONFIG_SET_FLAG key` (a boolean option such as `ro` or `newinstance`).
    ///
    /// # Errors
    /// As [`set_string`](FsContext::set_string).
    pub fn set_flag(&self, key: &str) -> Result<()> {
        let k = config_key(key)?;
        rustix::mount::fsconfig_set_flag(&self.fd, k.as_c_str())
            .map_err(|e| self.config_error(e, key.to_owned()))
    }

    /// Sets the `source` option.
    ///
    /// # Errors
    /// As [`set_string`](FsContext::set_string).
    pub fn set_source(&self, source: impl AsRef<Path>) -> Result<()> {
        let s = source.as_ref();
        let v = cstring(s.as_os_str().as_bytes(), "source")?;
        rustix::mount::fsconfig_set_string(&self.fd, c"source", v.as_c_str())
            .map_err(|e| self.config_error(e, format!("source={}", s.display())))
    }

    /// Applies a mount(2)-style option string (`size=64M,mode=755,ro`): each `key=value` with
    /// [`set_string`](FsContext::set_string), each bare word with
    /// [`set_flag`](FsContext::set_flag).
    ///
    /// # Errors
    /// The first option the kernel refuses.
    pub fn set_options(&self, options: &str) -> Result<()> {
        for opt in options.split(',').filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some((k, v)) => self.set_string(k, v)?,
                None => self.set_flag(opt)?,
            }
        }
        Ok(())
    }

    /// Creates the superblock (`FSCONFIG_CMD_CREATE`) and makes a detached mount of it with
    /// `attrs` (`fsmount(2)`).
    ///
    /// # Errors
    /// OS error `fsconfig` (with the kernel's message) or `fsmount`.
    #[doc(alias = "fsmount")]
    pub fn mount(self, attrs: MountAttr) -> Result<DetachedMount> {
        rustix::mount::fsconfig_create(&self.fd)
            .map_err(|e| self.config_error(e, "create".into()))?;
        let fd = rustix::mount::fsmount(
            &self.fd,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::from_bits_retain((attrs - MountAttr::IDMAP).bits() as u32),
        )
        .map_err(|e| {
            OsError::new(Subsystem::Mount, Operation::Syscall("fsmount"), e)
                .object(self.fstype.clone())
        })?;
        Ok(DetachedMount {
            fd,
            description: self.fstype.clone(),
        })
    }
}

fn config_key(key: &str) -> Result<std::ffi::CString> {
    if key.is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "fsconfig key",
            "",
            "must not be empty",
        ));
    }
    cstring(key.as_bytes(), "fsconfig key")
}

/// A mount that is not attached anywhere (from [`FsContext::mount`] or
/// [`DetachedMount::clone_tree`]). Dropping it without attaching unmounts it.
#[derive(Debug)]
pub struct DetachedMount {
    fd: OwnedFd,
    description: String,
}

impl DetachedMount {
    /// Clones the mount at `path` (with every mount below it when `recursive`) into a detached
    /// tree: `open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [| AT_RECURSIVE])`.
    /// Works for directories and files (a device node, say).
    ///
    /// # Errors
    /// Input error for an empty or NUL-containing path; `Unsupported(NewMountApi)` before Linux
    /// 5.2; OS error `open_tree` naming the path.
    ///
    /// ```no_run
    /// let tree = linx::mount::DetachedMount::clone_tree("/srv/data", true)?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    #[doc(alias = "open_tree")]
    pub fn clone_tree(path: impl AsRef<Path>, recursive: bool) -> Result<DetachedMount> {
        let path = path.as_ref();
        let c = target_cstring(path)?;
        let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
        if recursive {
            flags |= OpenTreeFlags::AT_RECURSIVE;
        }
        let fd = rustix::mount::open_tree(rustix::fs::CWD, c.as_c_str(), flags).map_err(|e| {
            if e == Errno::NOSYS {
                unsupported("open_tree")
            } else {
                OsError::new(Subsystem::Mount, Operation::Syscall("open_tree"), e)
                    .path(path)
                    .into()
            }
        })?;
        Ok(DetachedMount {
            fd,
            description: path.display().to_string(),
        })
    }

    /// Wraps a mount fd obtained elsewhere (e.g. received over a socket).
    pub fn from_fd(fd: OwnedFd) -> DetachedMount {
        DetachedMount {
            fd,
            description: "mount fd".into(),
        }
    }

    /// Changes the attributes of the detached tree (`mount_setattr(fd, "", AT_EMPTY_PATH
    /// [| AT_RECURSIVE])`).
    ///
    /// # Errors
    /// As [`set_attr`].
    pub fn set_attr(&self, attr: &MountSetAttr<'_>, recursive: bool) -> Result<()> {
        attr.validate()?;
        let mut flags = libc::AT_EMPTY_PATH as u32;
        if recursive {
            flags |= libc::AT_RECURSIVE as u32;
        }
        sys_mount_setattr(self.fd.as_fd(), c"", flags, attr)
            .map_err(|e| setattr_error(e, Path::new(&self.description), attr))
    }

    /// Makes the tree read-only (recursively when `recursive`).
    ///
    /// # Errors
    /// As [`set_attr`].
    pub fn make_read_only(&self, recursive: bool) -> Result<()> {
        self.set_attr(&MountSetAttr::new().set(MountAttr::RDONLY), recursive)
    }

    /// Idmaps the tree through the user namespace `userns` (an open `/proc/<pid>/ns/user`, e.g. of
    /// a parked child): a file owned by on-disk uid `k` appears owned by the id that `k` maps
    /// from inside `userns`. With a map `0 100000 65536`, files owned by host uid 100000 show as
    /// uid 0. Filesystem support is required (tmpfs since Linux 6.3, ext4/xfs/btrfs earlier).
    ///
    /// # Errors
    /// Input error when `userns` is not a user-namespace fd; `Unsupported(NewMountApi)` before
    /// Linux 5.12; OS error `mount_setattr` with `EINVAL` and an explanation when the
    /// filesystem refuses.
    ///
    /// ```no_run
    /// use std::os::fd::AsFd;
    /// let userns = std::fs::File::open("/proc/4242/ns/user").unwrap();
    /// let tree = linx::mount::DetachedMount::clone_tree("/srv/image", false)?;
    /// tree.idmap(userns.as_fd(), false)?;
    /// tree.attach("/srv/image-mapped")?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn idmap(&self, userns: BorrowedFd<'_>, recursive: bool) -> Result<()> {
        self.set_attr(&MountSetAttr::new().idmap(userns), recursive)
    }

    /// Attaches the tree at `target` in the calling thread's mount namespace
    /// (`move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)`).
    ///
    /// # Errors
    /// Input error for an empty or NUL-containing target; OS error `move_mount` naming it.
    #[doc(alias = "move_mount")]
    pub fn attach(&self, target: impl AsRef<Path>) -> Result<()> {
        let target = target.as_ref();
        let c = target_cstring(target)?;
        rustix::mount::move_mount(
            self.fd.as_fd(),
            c"",
            rustix::fs::CWD,
            c.as_c_str(),
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .map_err(|e| self.move_error(e, target))
    }

    /// Attaches the tree onto the file or directory `target` refers to (an `O_PATH` fd, e.g. from
    /// [`Root::resolve`](super::Root::resolve)), with no path lookup at all.
    ///
    /// # Errors
    /// OS error `move_mount`; `shown_as` names the target in the message.
    pub fn attach_to_fd(&self, target: BorrowedFd<'_>, shown_as: &Path) -> Result<()> {
        rustix::mount::move_mount(
            self.fd.as_fd(),
            c"",
            target,
            c"",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
        )
        .map_err(|e| self.move_error(e, shown_as))
    }

    fn move_error(&self, e: Errno, target: &Path) -> Error {
        if e == Errno::NOSYS {
            return unsupported("move_mount");
        }
        OsError::new(Subsystem::Mount, Operation::Syscall("move_mount"), e)
            .path(target)
            .object(format!("from {}", self.description))
            .into()
    }
}

impl AsFd for DetachedMount {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<DetachedMount> for OwnedFd {
    fn from(m: DetachedMount) -> OwnedFd {
        m.fd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::useless_conversion)] // the MOUNT_ATTR_* types differ between libc targets
    fn mnt_15_attr_bits_match_the_kernel() {
        assert_eq!(MountAttr::RDONLY.bits(), u64::from(libc::MOUNT_ATTR_RDONLY));
        assert_eq!(MountAttr::IDMAP.bits(), u64::from(libc::MOUNT_ATTR_IDMAP));
        assert_eq!(
            MountAttr::NOSYMFOLLOW.bits(),
            u64::from(libc::MOUNT_ATTR_NOSYMFOLLOW)
        );
        assert_eq!(ATTR_ATIME_MASK, u64::from(libc::MOUNT_ATTR__ATIME));
        assert_eq!(Atime::Noatime.bits(), u64::from(libc::MOUNT_ATTR_NOATIME));
    }

    #[test]
    fn mnt_16_idmap_needs_a_user_namespace() {
        let net = std::fs::File::open("/proc/self/ns/net").unwrap();
        let e = MountSetAttr::new()
            .idmap(net.as_fd())
            .validate()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
        assert!(e.to_string().contains("not a user namespace"), "{e}");
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let e = MountSetAttr::new()
            .idmap(file.as_fd())
            .validate()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
        let e = MountSetAttr::new()
            .set(MountAttr::RDONLY)
            .clear(MountAttr::RDONLY)
            .validate()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
        assert!(FsContext::new("").unwrap_err().is_input());
        assert!(FsContext::new("a\0b").unwrap_err().is_input());
    }
}
