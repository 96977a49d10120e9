//! Classic mount verbs over [`mount(2)`](https://man7.org/linux/man-pages/man2/mount.2.html),
//! [`umount2(2)`](https://man7.org/linux/man-pages/man2/umount2.2.html) and
//! [`pivot_root(2)`](https://man7.org/linux/man-pages/man2/pivot_root.2.html), acting in the mount
//! namespace of the calling thread. [`Mounts`](super::Mounts) runs the same verbs inside another
//! process's mount namespace.

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};

bitflags::bitflags! {
    /// `MS_*` flags of [`mount(2)`](https://man7.org/linux/man-pages/man2/mount.2.html).
    ///
    /// Per-mount flags ([`MountFlags::PER_MOUNT`]) apply to one mount; the others concern the
    /// superblock or select an operation (`BIND`, `MOVE`, `REMOUNT`, propagation).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MountFlags: u64 {
        /// `MS_RDONLY`: read-only.
        const RDONLY = 0x1;
        /// `MS_NOSUID`: ignore set-user/group-id bits and file capabilities.
        const NOSUID = 0x2;
        /// `MS_NODEV`: no access to device nodes.
        const NODEV = 0x4;
        /// `MS_NOEXEC`: no program execution.
        const NOEXEC = 0x8;
        /// `MS_SYNCHRONOUS`: synchronous writes.
        const SYNCHRONOUS = 0x10;
        /// `MS_REMOUNT`: change an existing mount (prefer [`remount`]).
        const REMOUNT = 0x20;
        /// `MS_MANDLOCK`: mandatory locking (removed in Linux 5.15).
        const MANDLOCK = 0x40;
        /// `MS_DIRSYNC`: synchronous directory updates.
        const DIRSYNC = 0x80;
        /// `MS_NOSYMFOLLOW` (Linux ≥ 5.10): do not follow symlinks when resolving paths.
        const NOSYMFOLLOW = 0x100;
        /// `MS_NOATIME`: do not update access times.
        const NOATIME = 0x400;
        /// `MS_NODIRATIME`: do not update directory access times.
        const NODIRATIME = 0x800;
        /// `MS_BIND`: bind mount (prefer [`bind`]).
        const BIND = 0x1000;
        /// `MS_MOVE`: move a mount (prefer [`mount_move`]).
        const MOVE = 0x2000;
        /// `MS_REC`: recursive (bind, propagation).
        const REC = 0x4000;
        /// `MS_SILENT`: suppress some kernel log messages.
        const SILENT = 0x8000;
        /// `MS_UNBINDABLE`: make unbindable (prefer [`set_propagation`]).
        const UNBINDABLE = 0x2_0000;
        /// `MS_PRIVATE`: make private (prefer [`set_propagation`]).
        const PRIVATE = 0x4_0000;
        /// `MS_SLAVE`: make a slave (prefer [`set_propagation`]).
        const SLAVE = 0x8_0000;
        /// `MS_SHARED`: make shared (prefer [`set_propagation`]).
        const SHARED = 0x10_0000;
        /// `MS_RELATIME`: update access times relative to modification times.
        const RELATIME = 0x20_0000;
        /// `MS_STRICTATIME`: always update access times.
        const STRICTATIME = 0x100_0000;
        /// `MS_LAZYTIME`: keep timestamp updates in memory.
        const LAZYTIME = 0x200_0000;
    }
}

impl MountFlags {
    /// The propagation-type flags.
    pub const PROPAGATION: MountFlags = MountFlags::SHARED
        .union(MountFlags::PRIVATE)
        .union(MountFlags::SLAVE)
        .union(MountFlags::UNBINDABLE);
    /// The access-time flags.
    pub const ATIME: MountFlags = MountFlags::NOATIME
        .union(MountFlags::RELATIME)
        .union(MountFlags::STRICTATIME);
    /// Flags that belong to one mount (as opposed to its superblock): what a bind remount changes.
    pub const PER_MOUNT: MountFlags = MountFlags::RDONLY
        .union(MountFlags::NOSUID)
        .union(MountFlags::NODEV)
        .union(MountFlags::NOEXEC)
        .union(MountFlags::NOSYMFOLLOW)
        .union(MountFlags::NODIRATIME)
        .union(MountFlags::ATIME);
    /// Flags that may be locked on a mount inherited from a more privileged mount namespace.
    pub const LOCKABLE: MountFlags = MountFlags::RDONLY
        .union(MountFlags::NOSUID)
        .union(MountFlags::NODEV)
        .union(MountFlags::NOEXEC)
        .union(MountFlags::NODIRATIME)
        .union(MountFlags::ATIME);
}

bitflags::bitflags! {
    /// Flags of [`umount2(2)`](https://man7.org/linux/man-pages/man2/umount2.2.html).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct UnmountFlags: u32 {
        /// `MNT_FORCE`: abort pending requests (NFS, FUSE); may lose data.
        const FORCE = 1;
        /// `MNT_DETACH`: lazy unmount: detach now, clean up when no longer busy.
        const DETACH = 2;
        /// `MNT_EXPIRE`: mark for expiry; a second call unmounts if still unused (`EAGAIN` the
        /// first time).
        const EXPIRE = 4;
        /// `UMOUNT_NOFOLLOW`: do not follow a symlink at the target.
        const NOFOLLOW = 8;
    }
}

/// A propagation type, for [`set_propagation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// `MS_PRIVATE`: neither sends nor receives mount events.
    Private,
    /// `MS_SLAVE`: receives from its master peer group, sends nothing.
    Slave,
    /// `MS_SHARED`: member of a peer group; mount events propagate both ways.
    Shared,
    /// `MS_UNBINDABLE`: private, and cannot be the source of a bind mount.
    Unbindable,
}

impl Propagation {
    /// The `MS_*` flag.
    pub fn flag(self) -> MountFlags {
        match self {
            Propagation::Private => MountFlags::PRIVATE,
            Propagation::Slave => MountFlags::SLAVE,
            Propagation::Shared => MountFlags::SHARED,
            Propagation::Unbindable => MountFlags::UNBINDABLE,
        }
    }
}

impl std::fmt::Display for Propagation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Propagation::Private => "private",
            Propagation::Slave => "slave",
            Propagation::Shared => "shared",
            Propagation::Unbindable => "unbindable",
        })
    }
}

impl std::str::FromStr for Propagation {
    type Err = Error;
    /// `private`, `slave`, `shared` or `unbindable`.
    fn from_str(s: &str) -> Result<Propagation> {
        Ok(match s {
            "private" => Propagation::Private,
            "slave" => Propagation::Slave,
            "shared" => Propagation::Shared,
            "unbindable" => Propagation::Unbindable,
            _ => {
                return Err(Error::input(
                    Subsystem::Mount,
                    "propagation",
                    s,
                    "expected private, slave, shared or unbindable",
                ));
            }
        })
    }
}

/// A C string from a path-like argument; input error naming `argument` on a NUL byte.
pub(crate) fn cstring(bytes: &[u8], argument: &'static str) -> Result<CString> {
    CString::new(bytes).map_err(|_| {
        Error::input(
            Subsystem::Mount,
            argument,
            String::from_utf8_lossy(bytes).into_owned(),
            "contains a NUL byte",
        )
    })
}

/// The target path as a C string: not empty, no NUL.
pub(crate) fn target_cstring(target: &Path) -> Result<CString> {
    if target.as_os_str().is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "target",
            "",
            "must not be empty",
        ));
    }
    cstring(target.as_os_str().as_bytes(), "target")
}

fn opt_cstring(s: &[u8], argument: &'static str) -> Result<Option<CString>> {
    if s.is_empty() {
        Ok(None)
    } else {
        cstring(s, argument).map(Some)
    }
}

fn last_errno() -> Errno {
    Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// The raw `mount(2)` call (no validation).
pub(crate) fn sys_mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: MountFlags,
    data: Option<&CStr>,
) -> std::result::Result<(), Errno> {
    // SAFETY: every pointer is either NULL or a valid NUL-terminated string that outlives the call.
    let r = unsafe {
        libc::mount(
            source.map_or(std::ptr::null(), CStr::as_ptr),
            target.as_ptr(),
            fstype.map_or(std::ptr::null(), CStr::as_ptr),
            flags.bits() as libc::c_ulong,
            data.map_or(std::ptr::null(), |d| d.as_ptr().cast()),
        )
    };
    if r == 0 { Ok(()) } else { Err(last_errno()) }
}

pub(crate) fn mount_error(errno: Errno, target: &Path, source: Option<&OsStr>) -> OsError {
    let mut e = OsError::new(Subsystem::Mount, Operation::Syscall("mount"), errno).path(target);
    if let Some(s) = source.filter(|s| !s.is_empty()) {
        e = e.object(format!("from {}", s.to_string_lossy()));
    }
    e
}

/// Checks a flag set for combinations `mount(2)` cannot take.
fn validate_flags(flags: MountFlags) -> Result<()> {
    let bad = |reason: &'static str| {
        Err(Error::input(
            Subsystem::Mount,
            "mount flags",
            format!("{flags:?}"),
            reason,
        ))
    };
    let prop = flags & MountFlags::PROPAGATION;
    if flags.contains(MountFlags::MOVE) && flags.intersects(MountFlags::REMOUNT | MountFlags::BIND)
    {
        return bad("MOVE cannot be combined with REMOUNT or BIND");
    }
    if !prop.is_empty() {
        if prop.bits().count_ones() > 1 {
            return bad("at most one propagation type (SHARED, PRIVATE, SLAVE, UNBINDABLE)");
        }
        if !(flags - prop - MountFlags::REC - MountFlags::SILENT).is_empty() {
            return bad(
                "a propagation change takes no other flags than REC and SILENT (use set_propagation)",
            );
        }
    }
    if (flags & MountFlags::ATIME).bits().count_ones() > 1 {
        return bad("at most one of NOATIME, RELATIME, STRICTATIME");
    }
    Ok(())
}

/// [`mount(2)`](https://man7.org/linux/man-pages/man2/mount.2.html) in the calling thread's mount
/// namespace: mounts `source` of type `fstype` on `target` with `flags` and the filesystem option
/// string `data` (`size=64M,mode=755`). Empty `source`, `fstype` and `data` are passed as NULL.
///
/// # Errors
/// Input errors (before the syscall) for an empty target, a NUL byte in any argument, or flags
/// that cannot be combined (`MOVE` with `REMOUNT`/`BIND`, a propagation flag with anything but
/// `REC`/`SILENT`, two propagation types or two atime modes); otherwise an OS error, operation
/// `mount`, naming the target and the source.
///
/// ```no_run
/// use linx::mount::{self, MountFlags};
/// mount::mount("tmpfs", "/mnt/scratch", "tmpfs", MountFlags::NOSUID | MountFlags::NODEV, "size=64M,mode=755")?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn mount(
    source: impl AsRef<OsStr>,
    target: impl AsRef<Path>,
    fstype: &str,
    flags: MountFlags,
    data: &str,
) -> Result<()> {
    let (source, target) = (source.as_ref(), target.as_ref());
    let c_target = target_cstring(target)?;
    let c_source = opt_cstring(source.as_bytes(), "source")?;
    let c_fstype = opt_cstring(fstype.as_bytes(), "filesystem type")?;
    let c_data = opt_cstring(data.as_bytes(), "mount data")?;
    validate_flags(flags)?;
    sys_mount(
        c_source.as_deref(),
        &c_target,
        c_fstype.as_deref(),
        flags,
        c_data.as_deref(),
    )
    .map_err(|e| mount_error(e, target, Some(source)).into())
}

/// Bind-mounts `source` on `target` (`MS_BIND`, plus `MS_REC` when `recursive` so submounts come
/// along).
///
/// Per-mount flags are not applied by a bind (the kernel ignores `MS_RDONLY` there); use
/// [`bind_ro`] or [`bind_with_flags`], which add the required remount.
///
/// # Errors
/// Input errors for empty or NUL-containing paths; OS error `mount` naming target and source.
///
/// ```no_run
/// linx::mount::bind("/srv/data", "/mnt/data", true)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn bind(source: impl AsRef<Path>, target: impl AsRef<Path>, recursive: bool) -> Result<()> {
    let mut flags = MountFlags::BIND;
    if recursive {
        flags |= MountFlags::REC;
    }
    let source = source.as_ref();
    if source.as_os_str().is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "source",
            "",
            "must not be empty",
        ));
    }
    mount(source, target, "", flags, "")
}

/// Bind-mounts `source` on `target`, then applies the per-mount `flags` with the bind remount the
/// kernel requires (see [`remount`]). With `recursive`, submounts are bound too but the flags apply
/// to the top mount only; use [`bind_ro`] (or [`MountSetAttr`](super::MountSetAttr)) for a
/// recursive read-only tree.
///
/// # Errors
/// Input error when `flags` holds anything but [`MountFlags::PER_MOUNT`]; otherwise as [`bind`]
/// and [`remount`].
pub fn bind_with_flags(
    source: impl AsRef<Path>,
    target: impl AsRef<Path>,
    recursive: bool,
    flags: MountFlags,
) -> Result<()> {
    if !(flags - MountFlags::PER_MOUNT).is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "bind flags",
            format!("{flags:?}"),
            "only per-mount flags (RDONLY, NOSUID, NODEV, NOEXEC, NOSYMFOLLOW, atime) apply to a bind",
        ));
    }
    let target = target.as_ref();
    bind(source, target, recursive)?;
    if flags.is_empty() {
        return Ok(());
    }
    remount(target, flags, None)
}

/// A read-only bind mount that really is read-only: bind, then make it read-only — recursively
/// with [`mount_setattr(2)`](https://man7.org/linux/man-pages/man2/mount_setattr.2.html)
/// (Linux ≥ 5.12) when `recursive`, or with a bind remount (`MS_BIND|MS_REMOUNT|MS_RDONLY`)
/// otherwise or on older kernels (where submounts then stay writable).
///
/// # Errors
/// As [`bind`] and [`remount`].
///
/// ```no_run
/// linx::mount::bind_ro("/usr", "/srv/root/usr", true)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn bind_ro(source: impl AsRef<Path>, target: impl AsRef<Path>, recursive: bool) -> Result<()> {
    let target = target.as_ref();
    bind(source, target, recursive)?;
    if recursive {
        let attr = super::MountSetAttr::new().set(super::MountAttr::RDONLY);
        match super::newapi::set_attr_path(target, &attr, true) {
            // No mount_setattr (Linux < 5.12): fall back to the top-level remount.
            Err(Error::Unsupported(_)) => {}
            other => return other,
        }
    }
    remount(target, MountFlags::RDONLY, None)
}

/// Per-mount flags of the mount at `path`, from
/// [`statvfs(3)`](https://man7.org/linux/man-pages/man3/statvfs.3.html).
///
/// # Errors
/// OS error `stat` naming the path.
#[allow(clippy::unnecessary_cast)] // the ST_* constants are c_ulong
pub fn current_flags(path: impl AsRef<Path>) -> Result<MountFlags> {
    let path = path.as_ref();
    let st = rustix::fs::statvfs(path)
        .map_err(|e| OsError::new(Subsystem::Mount, Operation::Stat, e).path(path))?;
    let f = st.f_flag.bits();
    let mut flags = MountFlags::empty();
    for (st_bit, ms) in [
        (libc::ST_RDONLY, MountFlags::RDONLY),
        (libc::ST_NOSUID, MountFlags::NOSUID),
        (libc::ST_NODEV, MountFlags::NODEV),
        (libc::ST_NOEXEC, MountFlags::NOEXEC),
        (libc::ST_NOATIME, MountFlags::NOATIME),
        (libc::ST_NODIRATIME, MountFlags::NODIRATIME),
        (libc::ST_RELATIME, MountFlags::RELATIME),
        (0x2000, MountFlags::NOSYMFOLLOW), // ST_NOSYMFOLLOW
    ] {
        if f & (st_bit as u64) != 0 {
            flags |= ms;
        }
    }
    if !flags.intersects(MountFlags::NOATIME | MountFlags::RELATIME) {
        flags |= MountFlags::STRICTATIME;
    }
    Ok(flags)
}

/// Remounts `target` with new flags.
///
/// * `data: None` — a **per-mount** remount (`MS_REMOUNT|MS_BIND`): only the mount's own flags
///   change, never its superblock, so this is right for bind mounts (a remount without `MS_BIND`
///   would reconfigure the whole filesystem).
/// * `data: Some(options)` — a **superblock** remount (`MS_REMOUNT`) passing the filesystem
///   options, e.g. `Some("size=128M")` for a tmpfs.
///
/// The access-time mode is kept from the current mount unless `flags` names one. Locked flags: a
/// mount inherited from a more privileged mount namespace has its nosuid, nodev, noexec,
/// read-only and atime flags locked, and a remount that drops one of them fails with `EPERM`.
/// The current flags are read first (`statvfs`); when the request fails with `EPERM`, it is
/// retried once keeping the currently set nosuid/nodev/noexec (a request to make a locked
/// read-only mount writable still fails, as it must).
///
/// # Errors
/// Input error when `flags` holds `MOVE`, `BIND`, `REC` or a propagation flag; OS error `mount`
/// naming the target (`stat` if its current flags cannot be read).
///
/// ```no_run
/// use linx::mount::{self, MountFlags};
/// mount::remount("/srv/root", MountFlags::RDONLY | MountFlags::NOSUID, None)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn remount(target: impl AsRef<Path>, flags: MountFlags, data: Option<&str>) -> Result<()> {
    let target = target.as_ref();
    let c_target = target_cstring(target)?;
    let c_data = data
        .map(|d| cstring(d.as_bytes(), "mount data"))
        .transpose()?;
    let flags = flags - MountFlags::REMOUNT;
    if flags
        .intersects(MountFlags::MOVE | MountFlags::BIND | MountFlags::REC | MountFlags::PROPAGATION)
    {
        return Err(Error::input(
            Subsystem::Mount,
            "remount flags",
            format!("{flags:?}"),
            "MOVE, BIND, REC and propagation flags do not belong in a remount",
        ));
    }
    validate_flags(flags)?;
    let current = current_flags(target)?;
    let mut request = flags;
    if !flags.intersects(MountFlags::ATIME) {
        request |= current & MountFlags::ATIME;
        if !flags.contains(MountFlags::NODIRATIME) {
            request |= current & MountFlags::NODIRATIME;
        }
    }
    let base = if c_data.is_some() {
        MountFlags::REMOUNT
    } else {
        MountFlags::REMOUNT | MountFlags::BIND
    };
    let attempt = |f: MountFlags| sys_mount(None, &c_target, None, base | f, c_data.as_deref());
    match attempt(request) {
        Ok(()) => Ok(()),
        Err(Errno::PERM) => {
            let kept =
                request | (current & (MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC));
            if kept == request {
                return Err(mount_error(Errno::PERM, target, None).into());
            }
            attempt(kept).map_err(|e| {
                mount_error(e, target, None)
                    .extack(
                        "remount refused even with the currently set (possibly locked) flags kept",
                    )
                    .into()
            })
        }
        Err(e) => Err(mount_error(e, target, None).into()),
    }
}

/// Changes the propagation type of the mount at `target` (`mount(NULL, target, NULL,
/// MS_<type>[|MS_REC], NULL)`); `recursive` applies it to every mount below as well.
///
/// # Errors
/// Input error for an empty or NUL-containing target; OS error `mount` naming it (`EINVAL` when
/// `target` is not a mount point).
///
/// ```no_run
/// use linx::mount::{self, Propagation};
/// mount::set_propagation("/", Propagation::Private, true)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn set_propagation(
    target: impl AsRef<Path>,
    propagation: Propagation,
    recursive: bool,
) -> Result<()> {
    let target = target.as_ref();
    let c_target = target_cstring(target)?;
    let mut flags = propagation.flag();
    if recursive {
        flags |= MountFlags::REC;
    }
    sys_mount(None, &c_target, None, flags, None).map_err(|e| {
        let err = mount_error(e, target, None);
        if e == Errno::INVAL {
            err.extack("not a mount point").into()
        } else {
            err.into()
        }
    })
}

/// Moves the mount at `source` to `target` (`MS_MOVE`).
///
/// # Errors
/// Input errors for empty or NUL-containing paths; OS error `mount` naming target and source.
/// `EINVAL` carries the usual reason as a hint: the kernel refuses to move a mount whose parent
/// mount (or the destination's) is shared; make it private first.
///
/// ```no_run
/// linx::mount::mount_move("/mnt/staging", "/srv/live")?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn mount_move(source: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<()> {
    let (source, target) = (source.as_ref(), target.as_ref());
    let c_target = target_cstring(target)?;
    if source.as_os_str().is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "source",
            "",
            "must not be empty",
        ));
    }
    let c_source = cstring(source.as_os_str().as_bytes(), "source")?;
    sys_mount(Some(&c_source), &c_target, None, MountFlags::MOVE, None).map_err(|e| {
        let err = mount_error(e, target, Some(source.as_os_str()));
        if e == Errno::INVAL {
            err.extack(
                "source must be a mount point, and neither its parent mount nor the destination's may be shared (make them private first)",
            )
            .into()
        } else {
            err.into()
        }
    })
}

/// Unmounts `target` with [`umount2(2)`](https://man7.org/linux/man-pages/man2/umount2.2.html).
///
/// # Errors
/// Input errors for an empty or NUL-containing target and for `EXPIRE` combined with `FORCE` or
/// `DETACH`; OS error `umount` naming the target (`EINVAL` when it is not a mount point, `EBUSY`
/// when in use, `EAGAIN` for the first `EXPIRE`).
///
/// ```no_run
/// use linx::mount::{self, UnmountFlags};
/// mount::umount("/mnt/scratch", UnmountFlags::DETACH)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "umount2")]
pub fn umount(target: impl AsRef<Path>, flags: UnmountFlags) -> Result<()> {
    let target = target.as_ref();
    let c_target = target_cstring(target)?;
    if flags.contains(UnmountFlags::EXPIRE)
        && flags.intersects(UnmountFlags::FORCE | UnmountFlags::DETACH)
    {
        return Err(Error::input(
            Subsystem::Mount,
            "umount flags",
            format!("{flags:?}"),
            "EXPIRE cannot be combined with FORCE or DETACH",
        ));
    }
    sys_umount(&c_target, flags).map_err(|e| {
        OsError::new(Subsystem::Mount, Operation::Syscall("umount"), e)
            .path(target)
            .into()
    })
}

pub(crate) fn sys_umount(target: &CStr, flags: UnmountFlags) -> std::result::Result<(), Errno> {
    // SAFETY: target is a valid NUL-terminated string.
    let r = unsafe { libc::umount2(target.as_ptr(), flags.bits() as libc::c_int) };
    if r == 0 { Ok(()) } else { Err(last_errno()) }
}

fn chdir(path: &Path, what: &Path) -> Result<()> {
    rustix::process::chdir(path).map_err(|e| {
        OsError::new(Subsystem::Mount, Operation::Syscall("chdir"), e)
            .path(what)
            .into()
    })
}

/// The pivot itself, on a thread whose fs struct is private (already unshared).
pub(crate) fn pivot_here(new_root: &Path, put_old: Option<&Path>) -> Result<()> {
    chdir(new_root, new_root)?;
    let pivot_err = |e: Errno| {
        let err =
            OsError::new(Subsystem::Mount, Operation::Syscall("pivot_root"), e).path(new_root);
        if e == Errno::INVAL {
            err.extack("new_root must be a mount point (bind it onto itself), put_old must be under it, and neither may be shared (make / recursively private first)")
                .into()
        } else {
            Error::from(err)
        }
    };
    match put_old {
        Some(old) => {
            rustix::process::pivot_root(".", old).map_err(pivot_err)?;
        }
        None => {
            rustix::process::pivot_root(".", ".").map_err(pivot_err)?;
            // The old root is now stacked on top of "."; detach it.
            sys_umount(c".", UnmountFlags::DETACH).map_err(|e| {
                OsError::new(Subsystem::Mount, Operation::Syscall("umount"), e)
                    .path(new_root)
                    .object("(old root)")
            })?;
        }
    }
    chdir(Path::new("/"), new_root)
}

pub(crate) fn check_put_old(new_root: &Path, put_old: &Path) -> Result<std::path::PathBuf> {
    if put_old.as_os_str().is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "put_old",
            "",
            "must not be empty",
        ));
    }
    let rel = if put_old.is_absolute() {
        put_old.strip_prefix(new_root).map_err(|_| {
            Error::input(
                Subsystem::Mount,
                "put_old",
                put_old.display().to_string(),
                "must be under new_root (or relative to it)",
            )
        })?
    } else {
        put_old
    };
    if rel
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(Error::input(
            Subsystem::Mount,
            "put_old",
            put_old.display().to_string(),
            "must not contain '..'",
        ));
    }
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    cstring(rel.as_os_str().as_bytes(), "put_old")?;
    Ok(rel.to_path_buf())
}

/// Runs `f` on a fresh thread with its own fs struct (`unshare(CLONE_FS)`), so `chdir` and the
/// root change of a pivot never touch the caller's threads' working directories.
pub(crate) fn on_private_fs_thread<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .name("linx-mount".into())
            .spawn_scoped(s, || -> Result<T> {
                // SAFETY: only CLONE_FS is unshared, on a thread owned by this call.
                unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS) }
                    .map_err(|e| OsError::new(Subsystem::Mount, Operation::Unshare("fs"), e))?;
                f()
            })
            .map_err(|e| {
                Error::from(OsError::new(
                    Subsystem::Mount,
                    Operation::SpawnThread,
                    Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EAGAIN)),
                ))
            })?;
        match h.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// [`pivot_root(2)`](https://man7.org/linux/man-pages/man2/pivot_root.2.html) in the caller's
/// mount namespace: on a worker thread that unshares its fs struct, changes into `new_root` and
/// calls `pivot_root(".", put_old)`. `put_old` is relative to `new_root` or an absolute path
/// below it; it stays mounted there until unmounted.
///
/// The kernel moves the root and working directory of **every** task in the namespace whose root
/// was the old root, so call this in a namespace of its own — usually through
/// [`Mounts::pivot_root`](super::Mounts::pivot_root) on a parked child.
///
/// # Errors
/// Input errors for empty or NUL-containing paths or a `put_old` outside `new_root`; OS errors
/// naming the stage (`chdir`, `pivot_root`) and `new_root`.
///
/// ```no_run
/// linx::mount::pivot_root("/srv/root", "old_root")?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn pivot_root(new_root: impl AsRef<Path>, put_old: impl AsRef<Path>) -> Result<()> {
    let new_root = new_root.as_ref();
    target_cstring(new_root)?;
    let rel = check_put_old(new_root, put_old.as_ref())?;
    on_private_fs_thread(|| pivot_here(new_root, Some(&rel)))
}

/// `pivot_root(".", ".")` followed by a lazy unmount of the old root: after `chdir(new_root)`,
/// the old root ends up stacked on `new_root` and is detached, so no `put_old` directory is
/// needed. Runs on a worker thread with a private fs struct, like [`pivot_root`].
///
/// # Errors
/// As [`pivot_root`], plus stage `umount` for the detach.
pub fn pivot_root_in_place(new_root: impl AsRef<Path>) -> Result<()> {
    let new_root = new_root.as_ref();
    target_cstring(new_root)?;
    on_private_fs_thread(|| pivot_here(new_root, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unnecessary_cast)] // c_ulong is u64 on the 64-bit targets, not everywhere
    fn mnt_04_flag_values_match_the_kernel() {
        assert_eq!(MountFlags::RDONLY.bits(), libc::MS_RDONLY as u64);
        assert_eq!(MountFlags::BIND.bits(), libc::MS_BIND as u64);
        assert_eq!(MountFlags::REC.bits(), libc::MS_REC as u64);
        assert_eq!(MountFlags::SHARED.bits(), libc::MS_SHARED as u64);
        assert_eq!(MountFlags::STRICTATIME.bits(), libc::MS_STRICTATIME as u64);
        assert_eq!(MountFlags::LAZYTIME.bits(), libc::MS_LAZYTIME as u64);
        assert_eq!(UnmountFlags::NOFOLLOW.bits(), libc::UMOUNT_NOFOLLOW as u32);
    }

    #[test]
    fn mnt_04_conflicting_flags_are_input_errors() {
        for flags in [
            MountFlags::MOVE | MountFlags::BIND,
            MountFlags::MOVE | MountFlags::REMOUNT,
            MountFlags::PRIVATE | MountFlags::RDONLY,
            MountFlags::PRIVATE | MountFlags::SHARED,
            MountFlags::NOATIME | MountFlags::STRICTATIME,
        ] {
            let e = mount("x", "/nonexistent-linx", "tmpfs", flags, "").unwrap_err();
            assert!(e.is_input(), "{flags:?}: {e}");
        }
        assert!(validate_flags(MountFlags::PRIVATE | MountFlags::REC).is_ok());
        assert!(
            mount("x", "", "tmpfs", MountFlags::empty(), "")
                .unwrap_err()
                .is_input()
        );
        assert!(
            mount("x", "/a\0b", "tmpfs", MountFlags::empty(), "")
                .unwrap_err()
                .is_input()
        );
        assert!(
            mount("x", "/a", "tmp\0fs", MountFlags::empty(), "")
                .unwrap_err()
                .is_input()
        );
        assert!(
            mount("x", "/a", "tmpfs", MountFlags::empty(), "a\0")
                .unwrap_err()
                .is_input()
        );
        let e = umount("/x", UnmountFlags::EXPIRE | UnmountFlags::DETACH).unwrap_err();
        assert!(e.is_input(), "{e}");
        let e = remount("/x", MountFlags::MOVE, None).unwrap_err();
        assert!(e.is_input(), "{e}");
        let e = bind_with_flags("/a", "/b", false, MountFlags::SHARED).unwrap_err();
        assert!(e.is_input(), "{e}");
        assert!("bogus".parse::<Propagation>().unwrap_err().is_input());
        assert_eq!("slave".parse::<Propagation>().unwrap(), Propagation::Slave);
    }

    #[test]
    fn mnt_10_put_old_must_be_under_new_root() {
        let ok = check_put_old(Path::new("/new"), Path::new("/new/old")).unwrap();
        assert_eq!(ok, Path::new("old"));
        assert_eq!(
            check_put_old(Path::new("/new"), Path::new("old")).unwrap(),
            Path::new("old")
        );
        assert!(
            check_put_old(Path::new("/new"), Path::new("/elsewhere"))
                .unwrap_err()
                .is_input()
        );
        assert!(
            check_put_old(Path::new("/new"), Path::new("../x"))
                .unwrap_err()
                .is_input()
        );
    }

    #[test]
    fn mnt_10_pivot_into_missing_dir_fails_at_chdir() {
        // chdir fails before anything is changed, so this is safe to run anywhere.
        let e = pivot_root("/nonexistent-linx-root", "old").unwrap_err();
        assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
        assert!(
            e.to_string()
                .starts_with("mount: chdir /nonexistent-linx-root"),
            "{e}"
        );
        let e = pivot_root_in_place("/nonexistent-linx-root").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("mount: chdir /nonexistent-linx-root"),
            "{e}"
        );
    }
}
