//! Symlink-safe path handling inside a (possibly untrusted) directory tree: creating mount-point
//! placeholders and resolving mount targets inside a container rootfs with
//! [`openat2(2)`](https://man7.org/linux/man-pages/man2/openat2.2.html) (Linux ≥ 5.6).

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};

use super::newapi::DetachedMount;
use super::ops::{MountFlags, cstring, mount_error, sys_mount};
use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};

/// What kind of placeholder [`create_mount_point`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MountPointKind {
    /// An empty regular file (mode 0644), e.g. to bind-mount a device node or a single file.
    File,
    /// A directory (mode 0755).
    Dir,
}

/// How often a create that lost a race (the entry vanished between `EEXIST` and the re-open) is
/// retried.
const RACE_RETRIES: usize = 2;

fn create_err(e: Errno, path: &Path) -> Error {
    let err = OsError::new(Subsystem::Mount, Operation::Syscall("create"), e).path(path);
    if e == Errno::LOOP {
        err.extack("a symlink on the path (placeholders are created without following symlinks)")
            .into()
    } else if e == Errno::XDEV {
        err.extack("the path escapes the root").into()
    } else {
        err.into()
    }
}

/// The normal components of a relative path below a root: `/`, `.` are dropped, `..` is refused.
fn components(rel: &Path) -> Result<Vec<&OsStr>> {
    let mut out = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::input(
                    Subsystem::Mount,
                    "mount point path",
                    rel.display().to_string(),
                    "must not contain '..'",
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::input(
            Subsystem::Mount,
            "mount point path",
            rel.display().to_string(),
            "names no entry below the root",
        ));
    }
    for n in &out {
        cstring(n.as_bytes(), "mount point path")?;
    }
    Ok(out)
}

fn open_beneath(dir: BorrowedFd<'_>, name: &OsStr, flags: OFlags) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat2(
        dir,
        name,
        flags | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
    )
}

/// Creates `rel` (and missing parent directories) below the directory `root`, never following a
/// symlink and never leaving `root`; returns an `O_PATH` fd of the placeholder.
pub(crate) fn create_below(
    root: BorrowedFd<'_>,
    rel: &Path,
    kind: MountPointKind,
    shown: &Path,
) -> Result<OwnedFd> {
    let parts = components(rel)?;
    let (leaf, parents) = parts.split_last().ok_or_else(|| {
        Error::input(
            Subsystem::Mount,
            "mount point path",
            rel.display().to_string(),
            "names no entry below the root",
        )
    })?;
    let mut dir = rustix::io::fcntl_dupfd_cloexec(root, 0).map_err(|e| create_err(e, shown))?;
    for part in parents {
        dir = open_or_make_dir(dir.as_fd(), part, shown)?;
    }
    match kind {
        MountPointKind::Dir => open_or_make_dir(dir.as_fd(), leaf, shown),
        MountPointKind::File => open_or_make_file(dir.as_fd(), leaf, shown),
    }
}

fn open_or_make_dir(dir: BorrowedFd<'_>, name: &OsStr, shown: &Path) -> Result<OwnedFd> {
    for _ in 0..=RACE_RETRIES {
        match open_beneath(dir, name, OFlags::PATH | OFlags::DIRECTORY) {
            Ok(fd) => return Ok(fd),
            Err(Errno::NOENT) => {}
            Err(Errno::NOTDIR) => {
                // O_PATH|O_NOFOLLOW on a symlink leaf gives ENOTDIR: report the symlink as such.
                let is_link = open_beneath(dir, name, OFlags::PATH)
                    .and_then(|fd| rustix::fs::fstat(&fd))
                    .is_ok_and(|st| {
                        rustix::fs::FileType::from_raw_mode(st.st_mode)
                            == rustix::fs::FileType::Symlink
                    });
                let e = if is_link { Errno::LOOP } else { Errno::NOTDIR };
                return Err(create_err(e, shown));
            }
            Err(e) => return Err(create_err(e, shown)),
        }
        match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
            Ok(()) => {
                // Exact mode regardless of the umask; opened without following symlinks.
                if let Ok(fd) = open_beneath(dir, name, OFlags::RDONLY | OFlags::DIRECTORY) {
                    let _ = rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755));
                }
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(create_err(e, shown)),
        }
    }
    Err(create_err(Errno::NOENT, shown))
}

fn open_or_make_file(dir: BorrowedFd<'_>, name: &OsStr, shown: &Path) -> Result<OwnedFd> {
    for _ in 0..=RACE_RETRIES {
        match rustix::fs::openat2(
            dir,
            name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        ) {
            Ok(fd) => {
                let _ = rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o644));
                return open_beneath(dir, name, OFlags::PATH).map_err(|e| create_err(e, shown));
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(create_err(e, shown)),
        }
        // Something exists: accept anything but a directory or a symlink.
        match open_beneath(dir, name, OFlags::PATH) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(|e| create_err(e, shown))?;
                let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
                return match ft {
                    rustix::fs::FileType::Directory => Err(create_err(Errno::ISDIR, shown)),
                    rustix::fs::FileType::Symlink => Err(create_err(Errno::LOOP, shown)),
                    _ => Ok(fd),
                };
            }
            // Lost a race with a removal: try again.
            Err(Errno::NOENT) => {}
            Err(e) => return Err(create_err(e, shown)),
        }
    }
    Err(create_err(Errno::NOENT, shown))
}

/// Creates a mount-point placeholder — an empty file (0644) or a directory (0755), plus missing
/// parent directories (0755) — at the absolute `path` in the calling thread's mount namespace,
/// without following any symlink: every step uses
/// [`openat2(2)`](https://man7.org/linux/man-pages/man2/openat2.2.html) with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` and the leaf `O_CREAT | O_EXCL | O_NOFOLLOW`. An
/// existing entry of the right kind counts as success; a create that loses a race with a removal
/// is retried twice. Use [`Mounts::create_mount_point`](super::Mounts::create_mount_point) for
/// another namespace.
///
/// # Errors
/// Input error for a path with `..` or a NUL byte, or naming no entry; OS error `create` naming
/// the path: `ELOOP` for a symlink on the path, `EISDIR`/`ENOTDIR` for an entry of the other kind.
///
/// ```no_run
/// use linx::mount::{self, MountPointKind};
/// mount::create_mount_point("/srv/root/dev/null", MountPointKind::File)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn create_mount_point(path: impl AsRef<Path>, kind: MountPointKind) -> Result<()> {
    let path = path.as_ref();
    let root = rustix::fs::open(
        "/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| create_err(e, path))?;
    create_below(root.as_fd(), path, kind, path).map(drop)
}

/// A container root directory, held open (`O_PATH`), through which mount targets are resolved as
/// if it were `/`: [`openat2(2)`](https://man7.org/linux/man-pages/man2/openat2.2.html) with
/// `RESOLVE_IN_ROOT`, so an absolute symlink such as `etc -> /` inside an untrusted rootfs
/// resolves to the rootfs itself and can never redirect a mount onto the host. Mounts are then
/// made onto the resolved fd (`move_mount` with `MOVE_MOUNT_T_EMPTY_PATH`, or `mount(2)` through
/// `/proc/self/fd/N`), so there is no second lookup to race.
///
/// A `Root` is namespace-neutral: mounting through it needs the calling thread to be in the
/// mount namespace that should receive the mounts (e.g. inside
/// [`Mounts::run`](super::Mounts::run)).
///
/// ```no_run
/// use linx::mount::{Root, MountPointKind};
/// let root = Root::open("/srv/containers/a/rootfs")?;
/// root.create("data", MountPointKind::Dir)?;
/// root.bind("/srv/shared", "data", true)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

impl Root {
    /// Opens `path` as a root (`O_PATH | O_DIRECTORY`).
    ///
    /// # Errors
    /// Input error for an empty or NUL-containing path; OS error `open` naming it.
    pub fn open(path: impl AsRef<Path>) -> Result<Root> {
        let path = path.as_ref();
        super::ops::target_cstring(path)?;
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| OsError::new(Subsystem::Mount, Operation::Open, e).path(path))?;
        Ok(Root {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// The path the root was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn shown(&self, rel: &Path) -> PathBuf {
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.path.join(rel)
    }

    /// Resolves `rel` inside the root (`RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`, `O_PATH`):
    /// absolute symlinks and `..` stay inside.
    ///
    /// # Errors
    /// Input error for a NUL byte; OS error `resolve` naming the path.
    pub fn resolve(&self, rel: impl AsRef<Path>) -> Result<OwnedFd> {
        let rel = rel.as_ref();
        cstring(rel.as_os_str().as_bytes(), "path in root")?;
        let lookup = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        rustix::fs::openat2(
            &self.fd,
            lookup,
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
        )
        .map_err(|e| {
            OsError::new(Subsystem::Mount, Operation::Syscall("resolve"), e)
                .path(self.shown(rel))
                .into()
        })
    }

    /// Creates a placeholder below the root like [`create_mount_point`] (no symlink is followed;
    /// one on the path gives `ELOOP`) and returns an `O_PATH` fd of it.
    ///
    /// # Errors
    /// As [`create_mount_point`].
    pub fn create(&self, rel: impl AsRef<Path>, kind: MountPointKind) -> Result<OwnedFd> {
        let rel = rel.as_ref();
        create_below(self.fd.as_fd(), rel, kind, &self.shown(rel))
    }

    /// Attaches a detached mount at `rel` (resolved with [`resolve`](Root::resolve)).
    ///
    /// # Errors
    /// As [`resolve`](Root::resolve) and [`DetachedMount::attach_to_fd`].
    pub fn attach(&self, tree: &DetachedMount, rel: impl AsRef<Path>) -> Result<()> {
        let rel = rel.as_ref();
        let target = self.resolve(rel)?;
        tree.attach_to_fd(target.as_fd(), &self.shown(rel))
    }

    /// Bind-mounts `source` (a path in the calling thread's namespace) at `rel` inside the root:
    /// a detached clone of `source` (`open_tree`) attached onto the resolved target.
    ///
    /// # Errors
    /// As [`DetachedMount::clone_tree`] and [`attach`](Root::attach).
    pub fn bind(
        &self,
        source: impl AsRef<Path>,
        rel: impl AsRef<Path>,
        recursive: bool,
    ) -> Result<()> {
        let tree = DetachedMount::clone_tree(source, recursive)?;
        self.attach(&tree, rel)
    }

    /// `mount(2)` onto `rel` inside the root: the target is resolved first and the mount is made
    /// through `/proc/thread-self/fd/N`, so a symlink swapped in afterwards cannot redirect it.
    /// Needs `/proc` mounted in the calling thread's namespace.
    ///
    /// # Errors
    /// As [`resolve`](Root::resolve) and [`mount`](super::mount()).
    pub fn mount(
        &self,
        source: impl AsRef<OsStr>,
        rel: impl AsRef<Path>,
        fstype: &str,
        flags: MountFlags,
        data: &str,
    ) -> Result<()> {
        let rel = rel.as_ref();
        let source = source.as_ref();
        let target = self.resolve(rel)?;
        let via = format!("/proc/thread-self/fd/{}", target.as_raw_fd());
        let c_via = cstring(via.as_bytes(), "target")?;
        let c_src = (!source.is_empty())
            .then(|| cstring(source.as_bytes(), "source"))
            .transpose()?;
        let c_type = (!fstype.is_empty())
            .then(|| cstring(fstype.as_bytes(), "filesystem type"))
            .transpose()?;
        let c_data = (!data.is_empty())
            .then(|| cstring(data.as_bytes(), "mount data"))
            .transpose()?;
        if flags.intersects(MountFlags::MOVE | MountFlags::PROPAGATION) {
            return Err(Error::input(
                Subsystem::Mount,
                "mount flags",
                format!("{flags:?}"),
                "MOVE and propagation changes are not mounts onto a root path",
            ));
        }
        sys_mount(
            c_src.as_deref(),
            &c_via,
            c_type.as_deref(),
            flags,
            c_data.as_deref(),
        )
        .map_err(|e| mount_error(e, &self.shown(rel), Some(source)).into())
    }
}

impl AsFd for Root {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnt_13_rejects_dotdot_and_empty() {
        assert!(components(Path::new("a/../b")).unwrap_err().is_input());
        assert!(components(Path::new("/")).unwrap_err().is_input());
        assert!(components(Path::new("")).unwrap_err().is_input());
        assert_eq!(components(Path::new("/a/./b")).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn mnt_13_creates_files_and_dirs_without_following_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Root::open(tmp.path()).unwrap();
        root.create("a/b/c", MountPointKind::Dir).unwrap();
        assert!(tmp.path().join("a/b/c").is_dir());
        root.create("a/b/c", MountPointKind::Dir).unwrap(); // idempotent
        root.create("dev/null", MountPointKind::File).unwrap();
        let md = std::fs::metadata(tmp.path().join("dev/null")).unwrap();
        assert!(md.is_file());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(md.permissions().mode() & 0o777, 0o644);
        let d = std::fs::metadata(tmp.path().join("a/b")).unwrap();
        assert_eq!(d.permissions().mode() & 0o777, 0o755);
        root.create("dev/null", MountPointKind::File).unwrap(); // existing file is fine
        let e = root.create("a/b/c", MountPointKind::File).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ISDIR), "{e}");
        let e = root.create("dev/null", MountPointKind::Dir).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::NOTDIR), "{e}");
        // A symlink anywhere on the path: ELOOP, nothing created outside.
        std::os::unix::fs::symlink("/", tmp.path().join("etc")).unwrap();
        let e = root
            .create("etc/linx-should-not-exist", MountPointKind::Dir)
            .unwrap_err();
        assert_eq!(e.errno(), Some(Errno::LOOP), "{e}");
        assert!(e.to_string().contains("mount: create"), "{e}");
        assert!(!Path::new("/linx-should-not-exist").exists());
        std::os::unix::fs::symlink("/tmp", tmp.path().join("leaf")).unwrap();
        let e = root.create("leaf", MountPointKind::File).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::LOOP), "{e}");
        // RESOLVE_IN_ROOT: etc -> / resolves to the root itself.
        std::fs::create_dir(tmp.path().join("x")).unwrap();
        let fd = root.resolve("etc/x").unwrap();
        let st = rustix::fs::fstat(&fd).unwrap();
        let want = std::fs::metadata(tmp.path().join("x")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!((st.st_ino, st.st_dev), (want.ino(), want.dev()));
    }
}
