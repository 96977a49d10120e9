//! [`Mounts`]: the mount verbs, run inside any process's mount namespace.

use std::ffi::{CStr, OsStr};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

use super::mountinfo::{self, MountTable};
use super::newapi::{DetachedMount, MountAttr, MountSetAttr};
use super::ops::{self, MountFlags, Propagation, UnmountFlags};
use super::root::{self, MountPointKind};
use crate::error::{Errno, Error, Operation, OsError, Result, StateKind, Subsystem};
use crate::ns::{NsSet, NsTarget};

/// The mount verbs, aimed at one mount namespace: the caller's own ([`Mounts::current`]) or a
/// process's, named by an [`NsTarget`] (pid, pidfd, namespace file or fd — a parked or running
/// child alike).
///
/// Every verb for a foreign target runs on a dedicated short-lived thread that unshares its fs
/// struct, opens the target's namespace file (a pid target is checked to be alive afterwards, so
/// pid reuse cannot redirect it), `setns`es into it, performs the call and exits
/// ([`NsTarget::run`]); the caller's threads never change namespace. Paths are interpreted in the
/// target namespace and must be absolute there.
///
/// A target that died (or was never there) gives an OS error with `ESRCH`, operation `open` and
/// the path `/proc/<pid>/ns/mnt` — never an operation in the wrong namespace.
///
/// Joining a mount namespace sets the worker thread's root and working directory to the
/// namespace's root (`setns(2)`), so paths resolve from there — not from a target process's
/// `chroot`, if it has one.
///
/// **Propagation.** A mount namespace created without a new user namespace keeps the shared
/// propagation of the tree it was copied from (systemd makes `/` shared): a mount made in a
/// child's namespace then also appears in the parent's. Make the child's tree private first —
/// `set_propagation("/", Propagation::Private, true)` — as [`setup_rootfs`](super::setup_rootfs)
/// and `linx run` do. (With a new user namespace the kernel already demotes shared mounts to
/// slaves.)
///
/// ```no_run
/// use linx::mount::{Mounts, MountFlags};
/// use linx::ns::NsTarget;
/// let child = Mounts::new(NsTarget::Pid(4242));
/// child.mount("tmpfs", "/run", "tmpfs", MountFlags::NOSUID | MountFlags::NODEV, "mode=755")?;
/// assert!(child.list()?.find("/run").is_some());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mounts {
    target: NsTarget,
}

fn no_such_target(target: &NsTarget) -> Option<String> {
    match target {
        NsTarget::Pid(pid) => Some(format!("/proc/{pid}/ns/mnt")),
        NsTarget::Pidfd(p) => Some(format!("/proc/{}/ns/mnt", p.pid())),
        _ => None,
    }
}

impl Mounts {
    /// The verbs in `target`'s mount namespace.
    pub fn new(target: NsTarget) -> Mounts {
        Mounts { target }
    }

    /// The verbs in the caller's own mount namespace (run on the calling thread).
    pub fn current() -> Mounts {
        Mounts {
            target: NsTarget::Current,
        }
    }

    /// The namespace target.
    pub fn target(&self) -> &NsTarget {
        &self.target
    }

    /// Maps a namespace-entry failure to the mount subsystem's shape (dead target → `ESRCH` at
    /// `open /proc/<pid>/ns/mnt`) and names the target on OS errors.
    fn entry_error(&self, e: Error) -> Error {
        match e {
            Error::State(s) if s.kind == StateKind::NoProcess => {
                let path = no_such_target(&self.target).unwrap_or_else(|| "ns/mnt".into());
                OsError::new(Subsystem::Mount, Operation::Open, Errno::SRCH)
                    .path(path)
                    .target(self.target.to_string())
                    .into()
            }
            other => other,
        }
    }

    fn name_target(&self, e: Error) -> Error {
        if self.target.is_current() {
            return e;
        }
        let t = self.target.to_string();
        e.with_context(|c| {
            if c.target.is_none() {
                c.target = Some(t);
            }
        })
    }

    /// Runs `f` inside the target's mount namespace (on the calling thread for
    /// [`Mounts::current`]); use it to batch several calls of the free functions
    /// ([`mount`](super::mount()), [`bind`](super::bind), [`Root`](super::Root) …) in one entry.
    ///
    /// # Errors
    /// Namespace-entry failures (see the type docs), then whatever `f` returns, with the target
    /// named in OS errors.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        self.run_kinds(NsSet::MOUNT, f)
    }

    pub(crate) fn run_kinds<T: Send>(
        &self,
        kinds: NsSet,
        f: impl FnOnce() -> Result<T> + Send,
    ) -> Result<T> {
        match self.target.run(kinds, f) {
            Ok(r) => r.map_err(|e| self.name_target(e)),
            Err(e) => Err(self.name_target(self.entry_error(e))),
        }
    }

    /// In a foreign namespace a relative path would resolve against that namespace's root by
    /// accident; require absolute paths there.
    fn check_abs(&self, path: &Path, argument: &'static str) -> Result<()> {
        if !self.target.is_current() && !path.is_absolute() {
            return Err(Error::input(
                Subsystem::Mount,
                argument,
                path.display().to_string(),
                "must be absolute when the target is another namespace",
            ));
        }
        Ok(())
    }

    /// The target's mount table. For a process target this reads `/proc/<pid>/mountinfo` without
    /// entering anything (and re-checks a pidfd target's liveness afterwards); for a namespace
    /// file or fd it reads `/proc/thread-self/mountinfo` inside the namespace.
    ///
    /// # Errors
    /// OS error `read` naming the mountinfo path (`ENOENT` for a pid that does not exist).
    pub fn list(&self) -> Result<MountTable> {
        match &self.target {
            NsTarget::Current => mountinfo::read_table("/proc/thread-self/mountinfo"),
            NsTarget::Pid(pid) => super::list_pid(*pid),
            NsTarget::Pidfd(p) => {
                let t = super::list_pid(p.pid())?;
                p.ensure_alive().map_err(|e| self.entry_error(e))?;
                Ok(t)
            }
            _ => self.run(|| mountinfo::read_table("/proc/thread-self/mountinfo")),
        }
    }

    /// [`mount`](super::mount()) in the target namespace. A `proc` filesystem (fstype `proc`,
    /// no data) is mounted with [`mount_proc`](Mounts::mount_proc), so it shows the target's
    /// pid namespace.
    ///
    /// # Errors
    /// As [`mount`](super::mount()), plus namespace entry and the absolute-path rule.
    pub fn mount(
        &self,
        source: impl AsRef<OsStr>,
        target: impl AsRef<Path>,
        fstype: &str,
        flags: MountFlags,
        data: &str,
    ) -> Result<()> {
        let (source, target) = (source.as_ref(), target.as_ref());
        self.check_abs(target, "target")?;
        if fstype == "proc" && data.is_empty() {
            return self.mount_proc(target, flags);
        }
        self.run(|| ops::mount(source, target, fstype, flags, data))
    }

    /// [`bind`](super::bind) in the target namespace (`source` is a path there too; to bring a
    /// directory of the caller's namespace in, use [`attach`](Mounts::attach) with a
    /// [`DetachedMount::clone_tree`]).
    ///
    /// # Errors
    /// As [`bind`](super::bind).
    pub fn bind(
        &self,
        source: impl AsRef<Path>,
        target: impl AsRef<Path>,
        recursive: bool,
    ) -> Result<()> {
        let (source, target) = (source.as_ref(), target.as_ref());
        self.check_abs(source, "source")?;
        self.check_abs(target, "target")?;
        self.run(|| ops::bind(source, target, recursive))
    }

    /// [`bind_ro`](super::bind_ro) in the target namespace.
    ///
    /// # Errors
    /// As [`bind_ro`](super::bind_ro).
    pub fn bind_ro(
        &self,
        source: impl AsRef<Path>,
        target: impl AsRef<Path>,
        recursive: bool,
    ) -> Result<()> {
        let (source, target) = (source.as_ref(), target.as_ref());
        self.check_abs(source, "source")?;
        self.check_abs(target, "target")?;
        self.run(|| ops::bind_ro(source, target, recursive))
    }

    /// [`bind_with_flags`](super::bind_with_flags) in the target namespace.
    ///
    /// # Errors
    /// As [`bind_with_flags`](super::bind_with_flags).
    pub fn bind_with_flags(
        &self,
        source: impl AsRef<Path>,
        target: impl AsRef<Path>,
        recursive: bool,
        flags: MountFlags,
    ) -> Result<()> {
        let (source, target) = (source.as_ref(), target.as_ref());
        self.check_abs(source, "source")?;
        self.check_abs(target, "target")?;
        self.run(|| ops::bind_with_flags(source, target, recursive, flags))
    }

    /// [`remount`](super::remount) in the target namespace.
    ///
    /// # Errors
    /// As [`remount`](super::remount).
    pub fn remount(
        &self,
        target: impl AsRef<Path>,
        flags: MountFlags,
        data: Option<&str>,
    ) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        self.run(|| ops::remount(target, flags, data))
    }

    /// [`set_propagation`](super::set_propagation) in the target namespace.
    ///
    /// # Errors
    /// As [`set_propagation`](super::set_propagation).
    pub fn set_propagation(
        &self,
        target: impl AsRef<Path>,
        propagation: Propagation,
        recursive: bool,
    ) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        self.run(|| ops::set_propagation(target, propagation, recursive))
    }

    /// [`mount_move`](super::mount_move) in the target namespace.
    ///
    /// # Errors
    /// As [`mount_move`](super::mount_move).
    pub fn mount_move(&self, source: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<()> {
        let (source, target) = (source.as_ref(), target.as_ref());
        self.check_abs(source, "source")?;
        self.check_abs(target, "target")?;
        self.run(|| ops::mount_move(source, target))
    }

    /// [`umount`](super::umount) in the target namespace.
    ///
    /// # Errors
    /// As [`umount`](super::umount).
    pub fn umount(&self, target: impl AsRef<Path>, flags: UnmountFlags) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        self.run(|| ops::umount(target, flags))
    }

    /// [`set_attr`](super::set_attr) (`mount_setattr`) in the target namespace.
    ///
    /// # Errors
    /// As [`set_attr`](super::set_attr).
    pub fn set_attr(
        &self,
        target: impl AsRef<Path>,
        attr: &MountSetAttr<'_>,
        recursive: bool,
    ) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        self.run(|| super::newapi::set_attr_path(target, attr, recursive))
    }

    /// `pivot_root(new_root, put_old)` in the target namespace: the worker thread changes into
    /// `new_root` and pivots; every task of the namespace whose root was the old root (the
    /// parked child) now has `new_root` as its root, and the old root stays mounted at `put_old`
    /// (relative to `new_root`, or absolute below it) until unmounted.
    ///
    /// # Errors
    /// As [`pivot_root`](super::pivot_root): stage `chdir` or `pivot_root`, naming `new_root`.
    pub fn pivot_root(&self, new_root: impl AsRef<Path>, put_old: impl AsRef<Path>) -> Result<()> {
        let new_root = new_root.as_ref();
        self.check_abs(new_root, "new_root")?;
        ops::target_cstring(new_root)?;
        let rel = ops::check_put_old(new_root, put_old.as_ref())?;
        if self.target.is_current() {
            return ops::pivot_root(new_root, &rel);
        }
        self.run(|| ops::pivot_here(new_root, Some(&rel)))
    }

    /// `pivot_root(".", ".")` plus a lazy unmount of the old root, in the target namespace (see
    /// [`pivot_root_in_place`](super::pivot_root_in_place)); afterwards the namespace has no
    /// trace of the old root.
    ///
    /// # Errors
    /// As [`pivot_root`](Mounts::pivot_root), plus stage `umount`.
    ///
    /// ```no_run
    /// use linx::mount::{Mounts, Propagation};
    /// use linx::ns::NsTarget;
    /// let child = Mounts::new(NsTarget::Pid(4242));
    /// child.set_propagation("/", Propagation::Private, true)?;
    /// child.bind("/srv/rootfs", "/srv/rootfs", true)?;
    /// child.pivot_root_in_place("/srv/rootfs")?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn pivot_root_in_place(&self, new_root: impl AsRef<Path>) -> Result<()> {
        let new_root = new_root.as_ref();
        self.check_abs(new_root, "new_root")?;
        ops::target_cstring(new_root)?;
        if self.target.is_current() {
            return ops::pivot_root_in_place(new_root);
        }
        self.run(|| ops::pivot_here(new_root, None))
    }

    /// [`create_mount_point`](super::create_mount_point) in the target namespace.
    ///
    /// # Errors
    /// As [`create_mount_point`](super::create_mount_point).
    pub fn create_mount_point(&self, path: impl AsRef<Path>, kind: MountPointKind) -> Result<()> {
        let path = path.as_ref();
        self.check_abs(path, "mount point path")?;
        self.run(|| root::create_mount_point(path, kind))
    }

    /// Attaches a detached mount (made in the caller's namespace, e.g. a clone of a host
    /// directory) at `target` in the target namespace: `move_mount` from the worker thread,
    /// so no path of the caller's namespace is visible there.
    ///
    /// # Errors
    /// As [`DetachedMount::attach`].
    ///
    /// ```no_run
    /// use linx::mount::{DetachedMount, Mounts};
    /// use linx::ns::NsTarget;
    /// let data = DetachedMount::clone_tree("/srv/data", true)?; // in the caller's namespace
    /// data.make_read_only(true)?;
    /// Mounts::new(NsTarget::Pid(4242)).attach(&data, "/data")?; // visible only in the child
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn attach(&self, tree: &DetachedMount, target: impl AsRef<Path>) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        self.run(|| tree.attach(target))
    }

    /// Mounts a `proc` filesystem at `target` that shows the **target process's pid namespace**:
    /// the worker thread joins the target's mount and pid namespaces, and a forked helper (which
    /// is born in that pid namespace and makes only raw system calls) performs the mount and
    /// reports its errno with the stage. For [`Mounts::current`] and namespace-file targets (no
    /// process, so no pid namespace to join) the caller's pid namespace is used.
    ///
    /// `flags` are per-mount flags (typically `NOSUID | NODEV | NOEXEC`).
    ///
    /// # Errors
    /// Input error for flags other than per-mount ones; OS errors naming the stage (`clone` for
    /// the helper, `mount` in it) and the target.
    ///
    /// ```no_run
    /// use linx::mount::{Mounts, MountFlags};
    /// use linx::ns::NsTarget;
    /// Mounts::new(NsTarget::Pid(4242)).mount_proc("/proc", MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC)?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn mount_proc(&self, target: impl AsRef<Path>, flags: MountFlags) -> Result<()> {
        let target = target.as_ref();
        self.check_abs(target, "target")?;
        if !(flags - MountFlags::PER_MOUNT).is_empty() {
            return Err(Error::input(
                Subsystem::Mount,
                "proc mount flags",
                format!("{flags:?}"),
                "only per-mount flags apply",
            ));
        }
        let c_target = ops::target_cstring(target)?;
        match &self.target {
            NsTarget::Pid(_) | NsTarget::Pidfd(_) => {
                self.run_kinds(NsSet::MOUNT | NsSet::PID, || {
                    helper_mount(&HelperJob::Path {
                        target: &c_target,
                        flags,
                    })
                    .map_err(|(stage, e)| helper_error(stage, e, target))
                })
            }
            _ => self.run(|| ops::mount("proc", target, "proc", flags, "")),
        }
    }

    /// Mounts `proc` onto an already resolved target fd (e.g. from
    /// [`Root::create`](super::Root::create)) through the pid-namespace helper; used by
    /// [`setup_rootfs`](super::setup_rootfs) from inside [`Mounts::run`]-style closures that have
    /// already joined the namespaces.
    pub(crate) fn proc_onto_fd_here(
        target: BorrowedFd<'_>,
        attrs: MountAttr,
        shown: &Path,
    ) -> Result<()> {
        helper_mount(&HelperJob::Fd { target, attrs })
            .map_err(|(stage, e)| helper_error(stage, e, shown))
    }
}

fn helper_error(stage: &'static str, e: Errno, target: &Path) -> Error {
    OsError::new(Subsystem::Mount, Operation::Syscall(stage), e)
        .path(target)
        .object("(proc, in a helper in the target's pid namespace)")
        .into()
}

/// What the pid-namespace helper mounts.
pub(crate) enum HelperJob<'a> {
    /// `mount("proc", target, "proc", flags, NULL)`.
    Path { target: &'a CStr, flags: MountFlags },
    /// `fsopen("proc")` … `move_mount` onto the fd (no path lookup).
    Fd {
        target: BorrowedFd<'a>,
        attrs: MountAttr,
    },
}

const STAGES: [&str; 6] = [
    "mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "move_mount",
    "clone",
];

/// The helper's body: raw system calls only (it runs in a forked copy of a multithreaded
/// process). Returns `(stage index, errno)` on failure.
fn helper_body(job: &HelperJob<'_>) -> std::result::Result<(), (u32, i32)> {
    fn errno() -> i32 {
        // SAFETY: reading the calling thread's errno.
        unsafe { *libc::__errno_location() }
    }
    // SAFETY (all calls below): arguments are valid NUL-terminated strings or fds owned by this
    // process image; no allocation or locking happens.
    unsafe {
        match job {
            HelperJob::Path { target, flags } => {
                let r = libc::mount(
                    c"proc".as_ptr(),
                    target.as_ptr(),
                    c"proc".as_ptr(),
                    flags.bits() as libc::c_ulong,
                    std::ptr::null(),
                );
                if r != 0 {
                    return Err((0, errno()));
                }
            }
            HelperJob::Fd { target, attrs } => {
                let fs = libc::syscall(libc::SYS_fsopen, c"proc".as_ptr(), libc::FSOPEN_CLOEXEC);
                if fs < 0 {
                    return Err((1, errno()));
                }
                let fs = fs as libc::c_int;
                let r = libc::syscall(
                    libc::SYS_fsconfig,
                    fs,
                    libc::FSCONFIG_CMD_CREATE,
                    std::ptr::null::<libc::c_char>(),
                    std::ptr::null::<libc::c_void>(),
                    0,
                );
                if r < 0 {
                    return Err((2, errno()));
                }
                let m = libc::syscall(
                    libc::SYS_fsmount,
                    fs,
                    libc::FSMOUNT_CLOEXEC,
                    (*attrs - MountAttr::IDMAP).bits() as libc::c_uint,
                );
                if m < 0 {
                    return Err((3, errno()));
                }
                let r = libc::syscall(
                    libc::SYS_move_mount,
                    m as libc::c_int,
                    c"".as_ptr(),
                    target.as_raw_fd(),
                    c"".as_ptr(),
                    libc::MOVE_MOUNT_F_EMPTY_PATH | libc::MOVE_MOUNT_T_EMPTY_PATH,
                );
                if r < 0 {
                    return Err((4, errno()));
                }
            }
        }
    }
    Ok(())
}

/// Runs [`helper_body`] in a child created with a raw `clone` (no exit signal, `CLONE_PIDFD`), so
/// the child is born in the pid namespace this thread has joined for its children, and no
/// process-wide reaper can steal it. The child reports failures as `(stage, errno)` over a
/// close-on-exec pipe.
fn helper_mount(job: &HelperJob<'_>) -> std::result::Result<(), (&'static str, Errno)> {
    let (rd, wr) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| ("pipe", e))?;
    let mut pidfd: libc::c_int = -1;
    let wr_raw = wr.as_raw_fd();
    // SAFETY: clone without CLONE_VM behaves like fork: the child gets a copy of this thread's
    // memory. The child only runs helper_body (raw syscalls), writes to the pipe and _exits.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::CLONE_PIDFD as libc::c_ulong,
            0usize,
            &mut pidfd as *mut libc::c_int,
            0usize,
            0usize,
        )
    };
    if pid == 0 {
        let code = match helper_body(job) {
            Ok(()) => 0,
            Err((stage, errno)) => {
                let mut buf = [0u8; 8];
                buf[..4].copy_from_slice(&stage.to_ne_bytes());
                buf[4..].copy_from_slice(&errno.to_ne_bytes());
                // SAFETY: writing a stack buffer to an fd we own.
                unsafe { libc::write(wr_raw, buf.as_ptr().cast(), buf.len()) };
                1
            }
        };
        // SAFETY: terminate the helper immediately, without running any destructor.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        let e = Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        );
        return Err((STAGES[5], e));
    }
    drop(wr);
    // SAFETY: the kernel stored a fresh pidfd for the child.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waitid on our own child's pidfd with a valid siginfo buffer.
        let r = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                pidfd.as_raw_fd() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::__WALL,
            )
        };
        if r == 0 {
            break;
        }
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if e != libc::EINTR {
            return Err(("waitid", Errno::from_raw_os_error(e)));
        }
    }
    let mut buf = [0u8; 8];
    let n = rustix::io::read(&rd, &mut buf).unwrap_or(0);
    if n == 8 {
        let stage = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        return Err((
            STAGES.get(stage).copied().unwrap_or("helper"),
            Errno::from_raw_os_error(errno),
        ));
    }
    // SAFETY: si_status is valid for a CLD_EXITED/CLD_KILLED siginfo from waitid.
    let status = unsafe { info.si_status() };
    if info.si_code == libc::CLD_EXITED && status == 0 {
        Ok(())
    } else {
        Err(("helper", Errno::CHILD))
    }
}
