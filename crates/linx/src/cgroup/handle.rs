//! [`Cgroup`]: a cgroup v2 directory held open, with every file access relative to it.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use rustix::fs::{AtFlags, Mode, OFlags};

use super::parse;
use super::values::{
    CgroupType, Controller, CpuList, CpuMax, DevNum, IoMax, IoWeight, Limit, PIDS_MAX_LIMIT,
    Partition, WEIGHT_RANGE,
};
use crate::error::{CgroupOp, Errno, Error, Feature, Operation, OsError, Result, Subsystem};
use crate::pidfd::Pidfd;

/// `CGROUP2_SUPER_MAGIC`.
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Checks one child-cgroup name: not empty, not `.`/`..`, no `/`, NUL or newline, ≤ 255 bytes.
pub(crate) fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if name == "." || name == ".." {
        Some("must not be . or ..")
    } else if name.contains('/') {
        Some("must be one path component (no '/')")
    } else if name.contains(['\0', '\n']) {
        Some("must not contain NUL or newline")
    } else if name.len() > 255 {
        Some("longer than 255 bytes")
    } else {
        None
    };
    match reason {
        Some(r) => Err(Error::input(Subsystem::Cgroup, "cgroup name", name, r)),
        None => Ok(()),
    }
}

/// Checks a control-file name: not empty, not `.`/`..`, no `/` or NUL.
pub(crate) fn validate_file(file: &str) -> Result<()> {
    if file.is_empty() || file == "." || file == ".." || file.contains(['/', '\0']) {
        return Err(Error::input(
            Subsystem::Cgroup,
            "control file name",
            file,
            "must be one file name (not empty, no '/' or NUL)",
        ));
    }
    Ok(())
}

/// The components of a relative cgroup path, each validated.
pub(crate) fn relative_components(rel: &Path) -> Result<Vec<String>> {
    let text = rel.to_string_lossy();
    let bad =
        |why: &'static str| Error::input(Subsystem::Cgroup, "cgroup path", text.as_ref(), why);
    if rel.is_absolute() {
        return Err(bad("must be relative here"));
    }
    let mut out = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => {
                let n = n.to_str().ok_or_else(|| bad("is not UTF-8"))?;
                validate_name(n)?;
                out.push(n.to_owned());
            }
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(bad("must not contain '..' (no escaping the hierarchy)"));
            }
            _ => return Err(bad("is not a plain relative path")),
        }
    }
    if text.contains("//") {
        return Err(bad("has an empty component"));
    }
    Ok(out)
}

/// Maps a user path to (cgroup2 mount, absolute directory path); see [`Cgroup::open`].
fn resolve(path: &Path) -> Result<(PathBuf, PathBuf)> {
    if path.as_os_str().is_empty() {
        return Err(Error::input(
            Subsystem::Cgroup,
            "cgroup path",
            "",
            "must not be empty",
        ));
    }
    let text = path.to_string_lossy();
    if text.contains("//") || path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Error::input(
            Subsystem::Cgroup,
            "cgroup path",
            text.as_ref(),
            "must not contain '..' or empty components",
        ));
    }
    if path.is_absolute() {
        if let Some(mount) = super::mount_containing(path)? {
            return Ok((mount, path.to_path_buf()));
        }
    }
    let rel = path.strip_prefix("/").unwrap_or(path);
    let parts = relative_components(rel)?;
    let mount = super::mount_point()?;
    let full = parts.iter().fold(mount.clone(), |p, c| p.join(c));
    Ok((mount, full))
}

/// The result of [`Cgroup::enable`]/[`Cgroup::disable`]: which controllers changed and which
/// failed, each with its own error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ControllerChange {
    /// Written successfully.
    pub applied: Vec<Controller>,
    /// Refused, with the reason.
    pub failed: Vec<(Controller, Error)>,
}

impl ControllerChange {
    /// True when nothing failed.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// `Ok(applied)` when complete, otherwise the first failure's error.
    ///
    /// # Errors
    /// The first controller's error.
    pub fn into_result(self) -> Result<Vec<Controller>> {
        match self.failed.into_iter().next() {
            None => Ok(self.applied),
            Some((_, e)) => Err(e),
        }
    }
}

/// How [`Cgroup::remove_with`] removes a cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Kill every process of the subtree first (`cgroup.kill`) and wait for `populated 0`.
    pub kill: bool,
    /// Remove child cgroups first (depth-first).
    pub recursive: bool,
    /// How long to wait for the subtree to empty after the kill.
    pub timeout: Duration,
    /// How often `rmdir` is retried on `EBUSY` (with doubling back-off from 1 ms; a just-emptied
    /// cgroup can stay busy for a few milliseconds).
    pub busy_retries: u32,
}

impl Default for RemoveOptions {
    /// Kill, recursive, 5 s timeout, 8 retries.
    fn default() -> Self {
        RemoveOptions {
            kill: true,
            recursive: true,
            timeout: Duration::from_secs(5),
            busy_retries: 8,
        }
    }
}

/// A cgroup v2 directory: its absolute path plus an `O_PATH | O_DIRECTORY` fd. Every control-file
/// access is `openat` relative to that fd, so renaming or swapping parent directories cannot
/// redirect a write; the fd is also what `clone3(CLONE_INTO_CGROUP)` takes ([`Cgroup::dir_fd`]).
///
/// Errors name the cgroup file and the operation:
/// `cgroup: write /sys/fs/cgroup/a/pids.max: EINVAL (errno 22)`. A controller file that is
/// missing because the controller is bound to a v1 hierarchy gives `Unsupported` with the reason;
/// missing because the parent has not enabled it keeps `ENOENT` with that hint.
///
/// ```no_run
/// use linx::cgroup::{Cgroup, Limit};
/// let parent = Cgroup::current()?;
/// let cg = parent.create_child("job-1")?;
/// cg.set_memory_max(Limit::parse_bytes("256M")?)?;
/// cg.set_pids_max(Limit::Value(64))?;
/// cg.add_process(4242)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct Cgroup {
    path: PathBuf,
    mount: PathBuf,
    dir: OwnedFd,
}

fn open_dir(at: BorrowedFd<'_>, name: &Path) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        at,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

impl Cgroup {
    fn from_parts(path: PathBuf, mount: PathBuf, dir: OwnedFd) -> Result<Cgroup> {
        let st = rustix::fs::fstatfs(&dir).map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e).path(&path)
        })?;
        #[allow(clippy::unnecessary_cast)]
        if st.f_type as u64 != CGROUP2_SUPER_MAGIC {
            return Err(Error::input(
                Subsystem::Cgroup,
                "cgroup path",
                path.display().to_string(),
                "is not a cgroup v2 directory",
            ));
        }
        Ok(Cgroup { path, mount, dir })
    }

    /// Opens an existing cgroup. `path` is one of:
    /// * an absolute path inside a cgroup2 mount (found in mountinfo), e.g.
    ///   `/sys/fs/cgroup/jobs/a`;
    /// * an absolute path outside every cgroup2 mount, read as a **hierarchy path** the way
    ///   `/proc/<pid>/cgroup` shows it (`/` is the root, `/jobs/a` is `<mount>/jobs/a`);
    /// * a relative path (`jobs/a`), relative to the caller's cgroup2 mount.
    ///
    /// # Errors
    /// Input errors for `..`, empty components or a directory that is not on cgroup2;
    /// `Unsupported(CgroupV2)` without a cgroup2 mount; OS error `open` naming the path.
    ///
    /// ```no_run
    /// use linx::cgroup::Cgroup;
    /// let a = Cgroup::open("/sys/fs/cgroup/jobs/a")?;
    /// let b = Cgroup::open("jobs/a")?; // the same, relative to the mount
    /// assert_eq!(a.path(), b.path());
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Cgroup> {
        let (mount, full) = resolve(path.as_ref())?;
        let dir = rustix::fs::open(
            &full,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e).path(&full)
        })?;
        Cgroup::from_parts(full, mount, dir)
    }

    /// The root of the caller's cgroup2 hierarchy.
    ///
    /// # Errors
    /// As [`open`](Cgroup::open).
    pub fn root() -> Result<Cgroup> {
        let mount = super::mount_point()?;
        Cgroup::open(mount)
    }

    /// The cgroup of process `pid`, from the `0::/path` line of `/proc/<pid>/cgroup`.
    ///
    /// # Errors
    /// Input error for a pid ≤ 0; OS error `read` naming `/proc/<pid>/cgroup`; `Unsupported` when
    /// the process has no v2 membership line; a protocol error when the path lies outside the
    /// caller's cgroup namespace (`/..`).
    pub fn of(pid: i32) -> Result<Cgroup> {
        if pid <= 0 {
            return Err(Error::input(
                Subsystem::Cgroup,
                "pid",
                pid.to_string(),
                "must be positive",
            ));
        }
        Cgroup::from_proc_file(&format!("/proc/{pid}/cgroup"))
    }

    /// The calling thread's cgroup (`/proc/thread-self/cgroup`).
    ///
    /// # Errors
    /// As [`of`](Cgroup::of).
    pub fn current() -> Result<Cgroup> {
        Cgroup::from_proc_file("/proc/thread-self/cgroup")
    }

    fn from_proc_file(file: &str) -> Result<Cgroup> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            OsError::new(
                Subsystem::Cgroup,
                Operation::Cgroup(CgroupOp::Read),
                errno_of(&e),
            )
            .path(file)
        })?;
        let rel = parse::proc_cgroup(&text).ok_or_else(|| {
            Error::unsupported(
                Subsystem::Cgroup,
                Feature::CgroupV2,
                format!("{file} has no cgroup v2 (0::) line"),
            )
        })?;
        let rel = rel.trim_start_matches('/');
        if rel.split('/').any(|c| c == "..") {
            return Err(Error::protocol(
                Subsystem::Cgroup,
                crate::error::ProtocolKind::Malformed,
                format!("{file}: cgroup path {rel:?} lies outside this cgroup namespace"),
            ));
        }
        let mount = super::mount_point()?;
        let full = if rel.is_empty() {
            mount.clone()
        } else {
            mount.join(rel)
        };
        Cgroup::open(full)
    }

    /// The absolute path (in the caller's mount namespace).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cgroup2 mount this cgroup lives under.
    pub fn mount_point(&self) -> &Path {
        &self.mount
    }

    /// The path relative to the hierarchy root (`/` for the root), as `/proc/<pid>/cgroup` shows
    /// it.
    pub fn hierarchy_path(&self) -> PathBuf {
        let rel = self.path.strip_prefix(&self.mount).unwrap_or(Path::new(""));
        Path::new("/").join(rel)
    }

    /// True for the hierarchy root.
    pub fn is_root(&self) -> bool {
        self.path == self.mount
    }

    fn on_cgroup2(&self) -> bool {
        #[allow(clippy::unnecessary_cast)]
        rustix::fs::fstatfs(&self.dir).is_ok_and(|st| st.f_type as u64 == CGROUP2_SUPER_MAGIC)
    }

    /// True while the cgroup directory still exists (its `cgroup.procs` can be opened).
    pub fn exists(&self) -> bool {
        self.open_file("cgroup.procs", OFlags::PATH).is_ok()
    }

    /// Opens **any** directory as if it were a cgroup, without checking that it lies on cgroup2
    /// (its parent directory is taken as the hierarchy root). For fixture directories in
    /// tests and for tools that work on saved copies of cgroup files; real cgroups should use
    /// [`open`](Cgroup::open).
    ///
    /// # Errors
    /// Input error for an empty path; OS error `open` naming it.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("cpu.max"), "max 100000\n").unwrap();
    /// let cg = linx::cgroup::Cgroup::open_unchecked(dir.path())?;
    /// assert_eq!(cg.cpu_max()?.quota, None);
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn open_unchecked(path: impl AsRef<Path>) -> Result<Cgroup> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err(Error::input(
                Subsystem::Cgroup,
                "cgroup path",
                "",
                "must not be empty",
            ));
        }
        let dir = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e).path(path)
        })?;
        Ok(Cgroup {
            path: path.to_path_buf(),
            mount: path.parent().unwrap_or(path).to_path_buf(),
            dir,
        })
    }

    /// The directory fd (`O_PATH`), e.g. for `clone3`'s `cgroup` field with `CLONE_INTO_CGROUP`
    /// (the kernel accepts `O_PATH` fds there).
    ///
    /// ```no_run
    /// use std::os::fd::AsRawFd;
    /// let cg = linx::cgroup::Cgroup::create("jobs/job-1")?;
    /// let for_clone3 = cg.dir_fd().as_raw_fd() as u64; // clone_args.cgroup with CLONE_INTO_CGROUP
    /// # let _ = for_clone3;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn dir_fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// A new `O_RDONLY | O_DIRECTORY` fd of the directory, for interfaces that refuse `O_PATH`.
    ///
    /// # Errors
    /// OS error `open` naming the path.
    pub fn open_dir_fd(&self) -> Result<OwnedFd> {
        rustix::fs::openat(
            &self.dir,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e)
                .path(&self.path)
                .into()
        })
    }

    /// A second handle on the same directory.
    ///
    /// # Errors
    /// OS error when the fd cannot be duplicated.
    pub fn try_clone(&self) -> Result<Cgroup> {
        let dir = rustix::io::fcntl_dupfd_cloexec(&self.dir, 0).map_err(|e| {
            OsError::new(
                Subsystem::Cgroup,
                Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
                e,
            )
            .path(&self.path)
        })?;
        Ok(Cgroup {
            path: self.path.clone(),
            mount: self.mount.clone(),
            dir,
        })
    }

    fn file_path(&self, file: &str) -> PathBuf {
        self.path.join(file)
    }

    /// Turns a failure on a control file into the right error: `Unsupported` when the file's
    /// controller is unusable in this hierarchy (bound to v1 …), `ENOENT` with a hint when the
    /// parent has not enabled it, otherwise an OS error naming the file.
    pub(crate) fn file_error(&self, op: Operation, errno: Errno, file: &str) -> Error {
        let path = self.file_path(file);
        let err = OsError::new(Subsystem::Cgroup, op, errno).path(&path);
        if errno != Errno::NOENT {
            return err.into();
        }
        if !self.exists() {
            return err.extack("the cgroup no longer exists").into();
        }
        if !self.on_cgroup2() {
            return err.into();
        }
        let Some(prefix) = file.split('.').next() else {
            return err.into();
        };
        let Ok(ctrl) = prefix.parse::<Controller>() else {
            return err.into();
        };
        if let Ok(h) = super::hierarchy_at(&self.mount) {
            if let Some((_, reason)) = h.unavailable.iter().find(|(c, _)| c == ctrl.name()) {
                return Error::unsupported(
                    Subsystem::Cgroup,
                    Feature::CgroupController,
                    format!(
                        "controller {ctrl} is not available in the cgroup v2 hierarchy at {} ({reason}), so {} does not exist",
                        self.mount.display(),
                        path.display()
                    ),
                );
            }
        }
        if self.is_root() {
            err.extack(format!("the root cgroup has no {file}")).into()
        } else {
            err.extack(format!(
                "controller {ctrl} is not enabled in the parent's cgroup.subtree_control"
            ))
            .into()
        }
    }

    fn open_file(&self, file: &str, flags: OFlags) -> std::result::Result<OwnedFd, Errno> {
        rustix::fs::openat(
            &self.dir,
            file,
            flags | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
    }

    /// Reads a control file whole, untrimmed; `None` when it does not exist.
    pub(crate) fn read_opt(&self, file: &str) -> Result<Option<String>> {
        validate_file(file)?;
        let fd = match self.open_file(file, OFlags::RDONLY) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(self.file_error(Operation::Cgroup(CgroupOp::Read), e, file)),
        };
        let mut s = String::new();
        std::fs::File::from(fd)
            .read_to_string(&mut s)
            .map_err(|e| self.file_error(Operation::Cgroup(CgroupOp::Read), errno_of(&e), file))?;
        Ok(Some(s))
    }

    /// Reads a control file whole, untrimmed.
    pub(crate) fn read_raw(&self, file: &str) -> Result<String> {
        self.read_opt(file)?
            .ok_or_else(|| self.file_error(Operation::Cgroup(CgroupOp::Read), Errno::NOENT, file))
    }

    /// Reads any control file, trailing whitespace trimmed.
    ///
    /// # Errors
    /// Input error for a bad file name; OS error `open`/`read` naming the file (or
    /// `Unsupported` for a file of a controller unusable in this hierarchy).
    ///
    /// ```no_run
    /// let cg = linx::cgroup::Cgroup::current()?;
    /// println!("{}", cg.read("cgroup.controllers")?);
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn read(&self, file: &str) -> Result<String> {
        let mut s = self.read_raw(file)?;
        s.truncate(s.trim_end().len());
        Ok(s)
    }

    /// Writes `value` to a control file exactly (one `write(2)`, as cgroupfs requires).
    ///
    /// # Errors
    /// Input error for a bad file name, a NUL byte, or a newline anywhere but at the end; OS
    /// error `open`/`write` naming the file.
    pub fn write(&self, file: &str, value: &str) -> Result<()> {
        validate_file(file)?;
        let body = value.strip_suffix('\n').unwrap_or(value);
        if value.contains('\0') || body.contains('\n') {
            return Err(Error::input(
                Subsystem::Cgroup,
                "control file value",
                value,
                "must be one line without NUL",
            ));
        }
        self.write_unchecked(file, value)
    }

    pub(crate) fn write_unchecked(&self, file: &str, value: &str) -> Result<()> {
        // The verb the write stands for (spec CG-21).
        let write_op = |file: &str| {
            Operation::Cgroup(match file {
                "cgroup.procs" | "cgroup.threads" => CgroupOp::AddProcess,
                "cgroup.freeze" => CgroupOp::Freeze,
                "cgroup.kill" => CgroupOp::Kill,
                _ => CgroupOp::Write,
            })
        };
        let fd = self
            .open_file(file, OFlags::WRONLY)
            .map_err(|e| self.file_error(write_op(file), e, file))?;
        match rustix::io::write(&fd, value.as_bytes()) {
            Ok(n) if n == value.len() => Ok(()),
            Ok(_) => Err(self.file_error(write_op(file), Errno::IO, file)),
            Err(e) => Err(self.file_error(write_op(file), e, file)),
        }
    }

    fn read_parsed<T: std::str::FromStr<Err = Error>>(&self, file: &str) -> Result<T> {
        let s = self.read(file)?;
        s.parse::<T>().map_err(|_| {
            Error::protocol(
                Subsystem::Cgroup,
                crate::error::ProtocolKind::Malformed,
                format!(
                    "{}: unexpected content {s:?}",
                    self.file_path(file).display()
                ),
            )
        })
    }

    // ---- hierarchy ------------------------------------------------------------------------

    /// Opens the existing child cgroup `name` (one component).
    ///
    /// # Errors
    /// Input error for a bad name; OS error `open` naming the child's path.
    pub fn child(&self, name: &str) -> Result<Cgroup> {
        validate_name(name)?;
        let path = self.path.join(name);
        let dir = open_dir(self.dir.as_fd(), Path::new(name)).map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Create), e).path(&path)
        })?;
        Cgroup::from_parts(path, self.mount.clone(), dir)
    }

    /// Creates the child cgroup `name` (`mkdirat`, mode 0755) and opens it. An existing directory
    /// counts as success; an existing non-directory is an error.
    ///
    /// # Errors
    /// Input error for a bad name (`/`, `..`, empty, NUL, newline); OS error `mkdir` naming the
    /// path (`EEXIST` with a hint for a non-directory).
    ///
    /// ```no_run
    /// let job = linx::cgroup::Cgroup::current()?.create_child("job-1")?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn create_child(&self, name: &str) -> Result<Cgroup> {
        validate_name(name)?;
        let path = self.path.join(name);
        match rustix::fs::mkdirat(&self.dir, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => {
                return Err(OsError::new(
                    Subsystem::Cgroup,
                    Operation::Cgroup(CgroupOp::Create),
                    e,
                )
                .path(&path)
                .into());
            }
        }
        match open_dir(self.dir.as_fd(), Path::new(name)) {
            Ok(dir) => Cgroup::from_parts(path, self.mount.clone(), dir),
            Err(Errno::NOTDIR) | Err(Errno::LOOP) => Err(OsError::new(
                Subsystem::Cgroup,
                Operation::Cgroup(CgroupOp::Create),
                Errno::EXIST,
            )
            .path(&path)
            .extack("exists and is not a directory")
            .into()),
            Err(e) => Err(
                OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Create), e)
                    .path(&path)
                    .into(),
            ),
        }
    }

    /// Creates the relative path `rel` (`a/b/c`) below this cgroup, with missing parents.
    ///
    /// # Errors
    /// As [`create_child`](Cgroup::create_child); input error for `..` or an absolute path.
    pub fn create_all(&self, rel: impl AsRef<Path>) -> Result<Cgroup> {
        let parts = relative_components(rel.as_ref())?;
        let mut cur = self.try_clone()?;
        for p in parts {
            cur = cur.create_child(&p)?;
        }
        Ok(cur)
    }

    /// Creates a cgroup by path (the forms of [`open`](Cgroup::open)), with missing parents.
    ///
    /// # Errors
    /// As [`open`](Cgroup::open) and [`create_all`](Cgroup::create_all).
    pub fn create(path: impl AsRef<Path>) -> Result<Cgroup> {
        let (mount, full) = resolve(path.as_ref())?;
        let rel = full
            .strip_prefix(&mount)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Cgroup::open(&mount)?.create_all(rel)
    }

    /// The names of the child cgroups.
    ///
    /// # Errors
    /// OS error `open`/`read` naming the directory.
    pub fn children(&self) -> Result<Vec<String>> {
        let fd = self.open_dir_fd()?;
        let mut dir = rustix::fs::Dir::read_from(&fd).map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e).path(&self.path)
        })?;
        let mut out = Vec::new();
        for ent in dir.by_ref() {
            let ent = ent.map_err(|e| {
                OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Read), e)
                    .path(&self.path)
            })?;
            if ent.file_type() == rustix::fs::FileType::Directory {
                let name = ent.file_name().to_string_lossy().into_owned();
                if name != "." && name != ".." {
                    out.push(name);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes this (empty) cgroup: `unlinkat(parent, name, AT_REMOVEDIR)`.
    ///
    /// # Errors
    /// OS error `rmdir` naming the path: `EBUSY` while it has live processes or child cgroups
    /// (see [`remove_with`](Cgroup::remove_with)); input error for the hierarchy root.
    pub fn remove(&self) -> Result<()> {
        let name = match (self.is_root(), self.path.file_name()) {
            (false, Some(n)) => n.to_owned(),
            _ => {
                return Err(Error::input(
                    Subsystem::Cgroup,
                    "cgroup",
                    self.path.display().to_string(),
                    "the hierarchy root cannot be removed",
                ));
            }
        };
        let parent = open_dir(self.dir.as_fd(), Path::new("..")).map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Remove), e).path(&self.path)
        })?;
        rustix::fs::unlinkat(&parent, name.as_os_str(), AtFlags::REMOVEDIR).map_err(|e| {
            let err = OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Remove), e).path(&self.path);
            if e == Errno::BUSY {
                err.extack("the cgroup still has live processes or child cgroups (kill and wait_empty first, or use remove_with)")
                    .into()
            } else {
                Error::from(err)
            }
        })
    }

    /// Removes this cgroup the robust way: optionally kills the whole subtree and waits for
    /// `populated 0` on `cgroup.events`, removes child cgroups depth-first, and retries `rmdir`
    /// on `EBUSY` a bounded number of times with doubling back-off.
    ///
    /// # Errors
    /// As [`kill`](Cgroup::kill), [`wait_empty`](Cgroup::wait_empty) and
    /// [`remove`](Cgroup::remove) (the last `EBUSY` when the retries run out).
    ///
    /// ```no_run
    /// use linx::cgroup::{Cgroup, RemoveOptions};
    /// Cgroup::open("jobs/job-1")?.remove_with(&RemoveOptions::default())?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn remove_with(&self, opts: &RemoveOptions) -> Result<()> {
        if opts.kill {
            self.kill()?;
            self.wait_empty(opts.timeout)?;
        }
        if opts.recursive {
            let inner = RemoveOptions {
                kill: false,
                ..*opts
            };
            for name in self.children()? {
                match self.child(&name) {
                    Ok(c) => c.remove_with(&inner)?,
                    Err(e) if e.errno() == Some(Errno::NOENT) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let mut delay = Duration::from_millis(1);
        let mut attempt = 0;
        loop {
            match self.remove() {
                Err(e) if e.errno() == Some(Errno::BUSY) && attempt < opts.busy_retries => {
                    attempt += 1;
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
                Err(e) if e.errno() == Some(Errno::NOENT) && attempt > 0 => return Ok(()),
                other => return other,
            }
        }
    }

    // ---- processes ------------------------------------------------------------------------

    /// Moves process `pid` (all its threads) into this cgroup by writing it to `cgroup.procs`.
    ///
    /// # Errors
    /// Input error for a pid ≤ 0; OS error `write` naming `…/cgroup.procs` and the pid (`ESRCH`
    /// for no such process, `EBUSY`/`EOPNOTSUPP` for the no-internal-process and threaded rules).
    ///
    /// ```no_run
    /// let cg = linx::cgroup::Cgroup::open("jobs/job-1")?;
    /// cg.add_process(4242)?;
    /// assert!(cg.procs()?.contains(&4242));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn add_process(&self, pid: i32) -> Result<()> {
        self.add_id("cgroup.procs", pid)
    }

    /// Moves the process behind `pidfd` here; the pidfd is checked to be alive afterwards, so a
    /// recycled pid cannot have been moved instead.
    ///
    /// # Errors
    /// As [`add_process`](Cgroup::add_process); `NoProcess` when the process has exited.
    pub fn add_pidfd(&self, pidfd: &Pidfd) -> Result<()> {
        self.add_process(pidfd.pid())?;
        pidfd.ensure_alive()
    }

    /// Moves thread `tid` into this (threaded) cgroup by writing it to `cgroup.threads`.
    ///
    /// # Errors
    /// As [`add_process`](Cgroup::add_process), for `cgroup.threads`.
    pub fn add_thread(&self, tid: i32) -> Result<()> {
        self.add_id("cgroup.threads", tid)
    }

    fn add_id(&self, file: &str, id: i32) -> Result<()> {
        if id <= 0 {
            return Err(Error::input(
                Subsystem::Cgroup,
                "pid",
                id.to_string(),
                "must be positive",
            ));
        }
        self.write_unchecked(file, &id.to_string())
            .map_err(|e| e.with_context(|c| c.pid = Some(id)))
    }

    /// The processes in this cgroup (`cgroup.procs`, pids in the reader's pid namespace).
    ///
    /// # Errors
    /// OS error `open`/`read` naming the file.
    pub fn procs(&self) -> Result<Vec<i32>> {
        Ok(parse::pid_list(&self.read_raw("cgroup.procs")?).0)
    }

    /// The threads in this cgroup (`cgroup.threads`).
    ///
    /// # Errors
    /// As [`procs`](Cgroup::procs).
    pub fn threads(&self) -> Result<Vec<i32>> {
        Ok(parse::pid_list(&self.read_raw("cgroup.threads")?).0)
    }

    // ---- controllers ----------------------------------------------------------------------

    /// The controllers available to this cgroup (`cgroup.controllers`).
    ///
    /// # Errors
    /// OS error naming the file.
    pub fn available(&self) -> Result<Vec<Controller>> {
        Ok(self
            .read_raw("cgroup.controllers")?
            .split_whitespace()
            .map(Controller::from_kernel)
            .collect())
    }

    /// The controllers enabled for the children (`cgroup.subtree_control`).
    ///
    /// # Errors
    /// OS error naming the file.
    pub fn enabled(&self) -> Result<Vec<Controller>> {
        Ok(self
            .read_raw("cgroup.subtree_control")?
            .split_whitespace()
            .map(Controller::from_kernel)
            .collect())
    }

    /// Enables controllers for this cgroup's children: one `+name` write to
    /// `cgroup.subtree_control` per controller, each with its own result.
    ///
    /// Failures are explained: a controller missing from `cgroup.controllers` (`ENOENT`), one
    /// bound to cgroup v1 (`Unsupported` with the reason), or the **no-internal-process rule**
    /// (`EBUSY`: a non-root cgroup with processes of its own cannot enable controllers for
    /// children — move the processes into a leaf first).
    ///
    /// # Errors
    /// Input error (before any write) for an invalid [`Controller::Other`] name.
    ///
    /// ```no_run
    /// use linx::cgroup::{Cgroup, Controller};
    /// let jobs = Cgroup::create("jobs")?;
    /// let change = jobs.enable(&[Controller::Memory, Controller::Pids])?;
    /// for (c, e) in &change.failed {
    ///     eprintln!("{c}: {e}");
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn enable(&self, controllers: &[Controller]) -> Result<ControllerChange> {
        self.change_controllers(controllers, '+')
    }

    /// Disables controllers for the children (`-name` writes); see [`enable`](Cgroup::enable).
    ///
    /// # Errors
    /// As [`enable`](Cgroup::enable).
    pub fn disable(&self, controllers: &[Controller]) -> Result<ControllerChange> {
        self.change_controllers(controllers, '-')
    }

    fn change_controllers(
        &self,
        controllers: &[Controller],
        sign: char,
    ) -> Result<ControllerChange> {
        for c in controllers {
            c.validate()?;
        }
        let mut change = ControllerChange::default();
        for c in controllers {
            match self.write_unchecked("cgroup.subtree_control", &format!("{sign}{c}")) {
                Ok(()) => change.applied.push(c.clone()),
                Err(e) => change
                    .failed
                    .push((c.clone(), self.explain_controller(c, e))),
            }
        }
        Ok(change)
    }

    fn explain_controller(&self, c: &Controller, e: Error) -> Error {
        if !self.exists() {
            return e.with_context(|ctx| ctx.extack = Some("the cgroup no longer exists".into()));
        }
        if !self.on_cgroup2() {
            return e;
        }
        if let Ok(h) = super::hierarchy_at(&self.mount) {
            if let Some((_, reason)) = h.unavailable.iter().find(|(n, _)| n == c.name()) {
                return Error::unsupported(
                    Subsystem::Cgroup,
                    Feature::CgroupController,
                    format!(
                        "controller {c} is not available in the cgroup v2 hierarchy at {} ({reason})",
                        self.mount.display()
                    ),
                );
            }
        }
        let hint = match e.errno() {
            Some(Errno::BUSY) => Some(format!(
                "no internal processes: {} has processes of its own; move them into a leaf child before enabling {c} for its children",
                self.path.display()
            )),
            Some(Errno::NOENT) => Some(format!(
                "{c} is not in {}/cgroup.controllers (the parent has not enabled it)",
                self.path.display()
            )),
            Some(Errno::INVAL) => Some(format!("the kernel does not know controller {c}")),
            _ => None,
        };
        match hint {
            Some(h) => e.with_context(|ctx| ctx.extack = Some(h)),
            None => e,
        }
    }

    /// Makes `controllers` usable in this cgroup: enables them top-down in the
    /// `cgroup.subtree_control` of every ancestor, from the hierarchy root down to the parent,
    /// where not yet enabled (a controller can only be enabled where the parent has it).
    ///
    /// # Errors
    /// The first ancestor that refuses, with the explanation of [`enable`](Cgroup::enable)
    /// (typically the no-internal-process rule).
    ///
    /// ```no_run
    /// use linx::cgroup::{Cgroup, Controller, Limit};
    /// let leaf = Cgroup::create("a/b/c")?;
    /// leaf.ensure_controllers(&[Controller::Pids])?;
    /// leaf.set_pids_max(Limit::Value(64))?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn ensure_controllers(&self, controllers: &[Controller]) -> Result<()> {
        for c in controllers {
            c.validate()?;
        }
        let rel = self
            .path
            .strip_prefix(&self.mount)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let comps: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let mut cur = Cgroup::open(&self.mount)?;
        for name in comps {
            let enabled = cur.enabled()?;
            let missing: Vec<Controller> = controllers
                .iter()
                .filter(|c| !enabled.contains(c))
                .cloned()
                .collect();
            if !missing.is_empty() {
                cur.enable(&missing)?.into_result()?;
            }
            cur = cur.child(&name)?;
        }
        Ok(())
    }

    // ---- limits ---------------------------------------------------------------------------

    fn set_limit(&self, file: &str, limit: Limit) -> Result<()> {
        self.write_unchecked(file, &limit.to_string())
    }

    /// `memory.max`: the hard limit (beyond it the OOM killer runs).
    ///
    /// # Errors
    /// As [`write`](Cgroup::write); `Unsupported` where the memory controller is unusable.
    pub fn set_memory_max(&self, limit: Limit) -> Result<()> {
        self.set_limit("memory.max", limit)
    }
    /// Reads `memory.max`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_max(&self) -> Result<Limit> {
        self.read_parsed("memory.max")
    }
    /// `memory.high`: the throttling limit.
    ///
    /// # Errors
    /// As [`set_memory_max`](Cgroup::set_memory_max).
    pub fn set_memory_high(&self, limit: Limit) -> Result<()> {
        self.set_limit("memory.high", limit)
    }
    /// Reads `memory.high`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_high(&self) -> Result<Limit> {
        self.read_parsed("memory.high")
    }
    /// `memory.low`: best-effort protection.
    ///
    /// # Errors
    /// As [`set_memory_max`](Cgroup::set_memory_max).
    pub fn set_memory_low(&self, limit: Limit) -> Result<()> {
        self.set_limit("memory.low", limit)
    }
    /// Reads `memory.low`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_low(&self) -> Result<Limit> {
        self.read_parsed("memory.low")
    }
    /// `memory.min`: hard protection.
    ///
    /// # Errors
    /// As [`set_memory_max`](Cgroup::set_memory_max).
    pub fn set_memory_min(&self, limit: Limit) -> Result<()> {
        self.set_limit("memory.min", limit)
    }
    /// Reads `memory.min`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_min(&self) -> Result<Limit> {
        self.read_parsed("memory.min")
    }
    /// `memory.swap.max`.
    ///
    /// # Errors
    /// As [`set_memory_max`](Cgroup::set_memory_max).
    pub fn set_memory_swap_max(&self, limit: Limit) -> Result<()> {
        self.set_limit("memory.swap.max", limit)
    }
    /// Reads `memory.swap.max`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_swap_max(&self) -> Result<Limit> {
        self.read_parsed("memory.swap.max")
    }
    /// `memory.oom.group`: kill the whole cgroup on OOM.
    ///
    /// # Errors
    /// As [`set_memory_max`](Cgroup::set_memory_max).
    pub fn set_memory_oom_group(&self, on: bool) -> Result<()> {
        self.write_unchecked("memory.oom.group", if on { "1" } else { "0" })
    }
    /// Reads `memory.oom.group`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn memory_oom_group(&self) -> Result<bool> {
        Ok(self.read("memory.oom.group")? == "1")
    }

    /// `pids.max`.
    ///
    /// # Errors
    /// Input error above 4,194,304 (`PID_MAX_LIMIT`); as [`write`](Cgroup::write).
    pub fn set_pids_max(&self, limit: Limit) -> Result<()> {
        if let Limit::Value(n) = limit {
            if n > PIDS_MAX_LIMIT {
                return Err(Error::input(
                    Subsystem::Cgroup,
                    "pids.max",
                    n.to_string(),
                    "must be at most 4194304 (PID_MAX_LIMIT)",
                ));
            }
        }
        self.set_limit("pids.max", limit)
    }
    /// Reads `pids.max`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn pids_max(&self) -> Result<Limit> {
        self.read_parsed("pids.max")
    }

    /// `cpu.max` (written as `quota period` or `max period`).
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_cpu_max(&self, max: CpuMax) -> Result<()> {
        self.write_unchecked("cpu.max", &max.to_string())
    }
    /// Reads `cpu.max`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpu_max(&self) -> Result<CpuMax> {
        self.read_parsed("cpu.max")
    }
    /// `cpu.weight` (1..=10000, default 100).
    ///
    /// # Errors
    /// Input error outside 1..=10000; as [`write`](Cgroup::write).
    pub fn set_cpu_weight(&self, weight: u32) -> Result<()> {
        check_weight("cpu.weight", weight)?;
        self.write_unchecked("cpu.weight", &weight.to_string())
    }
    /// Reads `cpu.weight`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpu_weight(&self) -> Result<u32> {
        self.read_number("cpu.weight")
    }
    /// `cpu.weight.nice` (−20..=19).
    ///
    /// # Errors
    /// Input error outside −20..=19; as [`write`](Cgroup::write).
    pub fn set_cpu_weight_nice(&self, nice: i32) -> Result<()> {
        if !(-20..=19).contains(&nice) {
            return Err(Error::input(
                Subsystem::Cgroup,
                "cpu.weight.nice",
                nice.to_string(),
                "must be within -20..=19",
            ));
        }
        self.write_unchecked("cpu.weight.nice", &nice.to_string())
    }
    /// Reads `cpu.weight.nice`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpu_weight_nice(&self) -> Result<i32> {
        self.read_number("cpu.weight.nice")
    }
    /// `cpu.idle` (Linux ≥ 5.15): schedule the cgroup as SCHED_IDLE.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_cpu_idle(&self, idle: bool) -> Result<()> {
        self.write_unchecked("cpu.idle", if idle { "1" } else { "0" })
    }
    /// Reads `cpu.idle`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpu_idle(&self) -> Result<bool> {
        Ok(self.read("cpu.idle")? == "1")
    }

    /// Sets one device's `io.max` (fields left `None` stay unchanged).
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_io_max(&self, max: &IoMax) -> Result<()> {
        self.write_unchecked("io.max", &max.to_string())
    }
    /// Reads `io.max` (one entry per limited device).
    ///
    /// # Errors
    /// As [`read`](Cgroup::read); a protocol error for a line that does not parse.
    pub fn io_max(&self) -> Result<Vec<IoMax>> {
        self.read_raw("io.max")?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.parse().map_err(|_| {
                    Error::protocol(
                        Subsystem::Cgroup,
                        crate::error::ProtocolKind::Malformed,
                        format!("{}: line {l:?}", self.file_path("io.max").display()),
                    )
                })
            })
            .collect()
    }
    /// Sets the default `io.weight` (1..=10000).
    ///
    /// # Errors
    /// Input error outside 1..=10000; as [`write`](Cgroup::write).
    pub fn set_io_weight(&self, weight: u32) -> Result<()> {
        check_weight("io.weight", weight)?;
        self.write_unchecked("io.weight", &format!("default {weight}"))
    }
    /// Sets one device's `io.weight` (`None` resets it to the default).
    ///
    /// # Errors
    /// Input error outside 1..=10000; as [`write`](Cgroup::write).
    pub fn set_io_weight_device(&self, device: DevNum, weight: Option<u32>) -> Result<()> {
        let v = match weight {
            Some(w) => {
                check_weight("io.weight", w)?;
                format!("{device} {w}")
            }
            None => format!("{device} default"),
        };
        self.write_unchecked("io.weight", &v)
    }
    /// Reads `io.weight`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn io_weight(&self) -> Result<IoWeight> {
        self.read_parsed("io.weight")
    }

    /// `cpuset.cpus`.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_cpuset_cpus(&self, cpus: &CpuList) -> Result<()> {
        self.write_unchecked("cpuset.cpus", &cpus.to_string())
    }
    /// Reads `cpuset.cpus` (empty: inherited from the parent; see `cpuset.cpus.effective`).
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpuset_cpus(&self) -> Result<CpuList> {
        self.read_parsed("cpuset.cpus")
    }
    /// `cpuset.mems`.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_cpuset_mems(&self, mems: &CpuList) -> Result<()> {
        self.write_unchecked("cpuset.mems", &mems.to_string())
    }
    /// Reads `cpuset.mems`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpuset_mems(&self) -> Result<CpuList> {
        self.read_parsed("cpuset.mems")
    }
    /// `cpuset.cpus.partition`.
    ///
    /// # Errors
    /// Input error for [`Partition::Other`]; as [`write`](Cgroup::write).
    pub fn set_cpuset_partition(&self, p: &Partition) -> Result<()> {
        if let Partition::Other(s) = p {
            return Err(Error::input(
                Subsystem::Cgroup,
                "cpuset partition",
                s.clone(),
                "write member, root or isolated",
            ));
        }
        self.write_unchecked("cpuset.cpus.partition", &p.to_string())
    }
    /// Reads `cpuset.cpus.partition`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cpuset_partition(&self) -> Result<Partition> {
        self.read_parsed("cpuset.cpus.partition")
    }

    /// `cgroup.max.descendants`.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_max_descendants(&self, limit: Limit) -> Result<()> {
        self.set_limit("cgroup.max.descendants", limit)
    }
    /// Reads `cgroup.max.descendants`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn max_descendants(&self) -> Result<Limit> {
        self.read_parsed("cgroup.max.descendants")
    }
    /// `cgroup.max.depth`.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write).
    pub fn set_max_depth(&self, limit: Limit) -> Result<()> {
        self.set_limit("cgroup.max.depth", limit)
    }
    /// Reads `cgroup.max.depth`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn max_depth(&self) -> Result<Limit> {
        self.read_parsed("cgroup.max.depth")
    }

    /// Reads `cgroup.type`.
    ///
    /// # Errors
    /// As [`read`](Cgroup::read).
    pub fn cgroup_type(&self) -> Result<CgroupType> {
        self.read_parsed("cgroup.type")
    }
    /// Turns this cgroup into a threaded one (`cgroup.type` ← `threaded`); its parent becomes
    /// `domain threaded`.
    ///
    /// # Errors
    /// As [`write`](Cgroup::write) (`EOPNOTSUPP` when the parent cannot host a threaded subtree).
    pub fn make_threaded(&self) -> Result<()> {
        self.write_unchecked("cgroup.type", "threaded")
    }

    fn read_number<T: std::str::FromStr>(&self, file: &str) -> Result<T> {
        let s = self.read(file)?;
        s.parse::<T>().map_err(|_| {
            Error::protocol(
                Subsystem::Cgroup,
                crate::error::ProtocolKind::Malformed,
                format!("{}: not a number: {s:?}", self.file_path(file).display()),
            )
        })
    }

    // ---- delegation -----------------------------------------------------------------------

    /// Delegates the subtree to `uid`/`gid`: chowns the directory and the files the kernel lists
    /// in `/sys/kernel/cgroup/delegate` (`cgroup.procs`, `cgroup.threads`,
    /// `cgroup.subtree_control` where that file is missing), so that user can create children,
    /// move its processes between them and set their limits.
    ///
    /// # Errors
    /// OS error `chown` naming the path.
    ///
    /// ```no_run
    /// linx::cgroup::Cgroup::create("user-1000")?.delegate(1000, 1000)?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn delegate(&self, uid: u32, gid: u32) -> Result<()> {
        let owner = (
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
        );
        rustix::fs::chownat(&self.dir, "", owner.0, owner.1, AtFlags::EMPTY_PATH).map_err(|e| {
            OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Delegate), e)
                .path(&self.path)
        })?;
        let listed = std::fs::read_to_string("/sys/kernel/cgroup/delegate").ok();
        let files: Vec<String> = match &listed {
            Some(text) => text.split_whitespace().map(str::to_owned).collect(),
            None => ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"]
                .map(str::to_owned)
                .to_vec(),
        };
        for f in files {
            match rustix::fs::chownat(
                &self.dir,
                f.as_str(),
                owner.0,
                owner.1,
                AtFlags::SYMLINK_NOFOLLOW,
            ) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => {
                    return Err(OsError::new(
                        Subsystem::Cgroup,
                        Operation::Cgroup(CgroupOp::Delegate),
                        e,
                    )
                    .path(self.file_path(&f))
                    .into());
                }
            }
        }
        Ok(())
    }
}

fn check_weight(file: &'static str, w: u32) -> Result<()> {
    if WEIGHT_RANGE.contains(&w) {
        Ok(())
    } else {
        Err(Error::input(
            Subsystem::Cgroup,
            file,
            w.to_string(),
            "must be within 1..=10000",
        ))
    }
}

impl AsFd for Cgroup {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

impl std::fmt::Display for Cgroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cg_02_names_and_paths_are_validated() {
        for bad in ["", ".", "..", "a/b", "a\0", "a\nb"] {
            assert!(validate_name(bad).unwrap_err().is_input(), "{bad:?}");
        }
        validate_name("job-1.scope").unwrap();
        for bad in ["../x", "/abs", "a//b", "a/../b"] {
            assert!(
                relative_components(Path::new(bad)).unwrap_err().is_input(),
                "{bad}"
            );
        }
        assert_eq!(
            relative_components(Path::new("a/./b")).unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
        for bad in ["", "a/b", ".."] {
            assert!(validate_file(bad).unwrap_err().is_input(), "{bad:?}");
        }
        assert!(Cgroup::open("../etc").unwrap_err().is_input());
        assert!(Cgroup::open("").unwrap_err().is_input());
        assert!(Cgroup::of(0).unwrap_err().is_input());
    }
}
