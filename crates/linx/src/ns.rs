//! Namespace targeting: naming *where* an operation runs, and running it there.
//!
//! A [`NsTarget`] names a set of namespaces: the caller's own, those of a process (held by a
//! [`Pidfd`], so a recycled pid can never redirect an operation), a namespace file
//! (`/proc/<pid>/ns/net`, `/run/netns/NAME`), or an already open namespace fd.
//!
//! [`NsTarget::run`] executes a closure inside the target's namespaces on a **dedicated
//! short-lived thread**: the thread unshares its filesystem context when a mount namespace is
//! joined (the kernel refuses `setns(CLONE_NEWNS)` otherwise), calls
//! [`setns(2)`](https://man7.org/linux/man-pages/man2/setns.2.html), runs the closure and exits.
//! The caller's own threads never change namespace, so this is safe from any thread of a
//! multithreaded or async program. Objects created inside (a netlink socket, say) stay bound to
//! the namespace for life.
//!
//! Namespace files are opened in the *caller's* mount namespace, before the thread starts.
//! Process targets are re-checked for liveness after their namespace files are opened.
//!
//! ```no_run
//! use linx::ns::{NsTarget, NsSet};
//! let target: NsTarget = "/run/netns/blue".parse()?;
//! let hostname_inside = target.run(NsSet::UTS, || std::fs::read_to_string("/proc/sys/kernel/hostname"))?;
//! # Ok::<(), linx::Error>(())
//! ```

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Operation, OsError, Result, Subsystem};
use crate::pidfd::Pidfd;

/// One kind of namespace.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    /// Mount namespace (`CLONE_NEWNS`, `/proc/<pid>/ns/mnt`).
    Mount,
    /// Cgroup namespace (`CLONE_NEWCGROUP`).
    Cgroup,
    /// UTS namespace: host and domain name (`CLONE_NEWUTS`).
    Uts,
    /// IPC namespace (`CLONE_NEWIPC`).
    Ipc,
    /// User namespace (`CLONE_NEWUSER`).
    User,
    /// PID namespace (`CLONE_NEWPID`); joining it affects only children created afterwards.
    Pid,
    /// Network namespace (`CLONE_NEWNET`).
    Net,
    /// Time namespace (`CLONE_NEWTIME`); joining it affects only children created afterwards.
    Time,
}

impl NsKind {
    /// Every kind, in the order [`NsTarget::run`] joins them (user first, mount before the rest).
    pub const ALL: [NsKind; 8] = [
        NsKind::User,
        NsKind::Mount,
        NsKind::Cgroup,
        NsKind::Uts,
        NsKind::Ipc,
        NsKind::Pid,
        NsKind::Net,
        NsKind::Time,
    ];

    /// The `CLONE_NEW*` flag of this kind.
    pub const fn clone_flag(self) -> u32 {
        match self {
            NsKind::Mount => 0x0002_0000,
            NsKind::Cgroup => 0x0200_0000,
            NsKind::Uts => 0x0400_0000,
            NsKind::Ipc => 0x0800_0000,
            NsKind::User => 0x1000_0000,
            NsKind::Pid => 0x2000_0000,
            NsKind::Net => 0x4000_0000,
            NsKind::Time => 0x0000_0080,
        }
    }

    /// The kind with this `CLONE_NEW*` flag.
    pub fn from_clone_flag(flag: u32) -> Option<NsKind> {
        NsKind::ALL.into_iter().find(|k| k.clone_flag() == flag)
    }

    /// The file name under `/proc/<pid>/ns/` (`mnt`, `net`, …).
    pub const fn proc_name(self) -> &'static str {
        match self {
            NsKind::Mount => "mnt",
            NsKind::Cgroup => "cgroup",
            NsKind::Uts => "uts",
            NsKind::Ipc => "ipc",
            NsKind::User => "user",
            NsKind::Pid => "pid",
            NsKind::Net => "net",
            NsKind::Time => "time",
        }
    }

    /// The set holding only this kind.
    pub fn set(self) -> NsSet {
        NsSet::from_bits_retain(self.clone_flag())
    }
}

impl fmt::Display for NsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.proc_name())
    }
}

bitflags::bitflags! {
    /// A set of namespace kinds; the bits are the `CLONE_NEW*` flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct NsSet: u32 {
        /// Mount namespace.
        const MOUNT = 0x0002_0000;
        /// Cgroup namespace.
        const CGROUP = 0x0200_0000;
        /// UTS namespace.
        const UTS = 0x0400_0000;
        /// IPC namespace.
        const IPC = 0x0800_0000;
        /// User namespace.
        const USER = 0x1000_0000;
        /// PID namespace.
        const PID = 0x2000_0000;
        /// Network namespace.
        const NET = 0x4000_0000;
        /// Time namespace.
        const TIME = 0x0000_0080;
    }
}

impl NsSet {
    /// The kinds in the set, in joining order (see [`NsKind::ALL`]).
    pub fn kinds(self) -> impl Iterator<Item = NsKind> {
        NsKind::ALL
            .into_iter()
            .filter(move |k| self.contains(k.set()))
    }
}

/// Where an operation runs. Cheap to clone (fds are shared).
///
/// Parsing (`FromStr`, used by the CLI's `--netns`): all digits → [`NsTarget::Pid`]; a string with a
/// `/` → [`NsTarget::Path`]; anything else → [`NsTarget::Named`] (`/run/netns/NAME`).
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum NsTarget {
    /// The caller's own namespaces.
    Current,
    /// A process by pid; resolved to a pidfd each time the target is used.
    Pid(i32),
    /// A process by pidfd.
    Pidfd(Arc<Pidfd>),
    /// A namespace file such as `/proc/123/ns/net` or a bind mount of one.
    Path(PathBuf),
    /// A named network namespace, `/run/netns/NAME` (as created by `ip netns add`).
    Named(String),
    /// An open namespace fd.
    Fd(Arc<OwnedFd>),
}

/// Directory of named network namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

impl NsTarget {
    /// A named network namespace; the name must be a single path component.
    ///
    /// # Errors
    /// Input error for an empty name, `.`/`..`, or one containing `/` or NUL.
    pub fn named(name: &str) -> Result<NsTarget> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(Error::input(
                Subsystem::Namespace,
                "netns name",
                name,
                "must be one path component (no '/', NUL, '.' or '..')",
            ));
        }
        Ok(NsTarget::Named(name.to_owned()))
    }

    /// A namespace file path.
    pub fn path(path: impl Into<PathBuf>) -> NsTarget {
        NsTarget::Path(path.into())
    }

    /// A process by pidfd.
    pub fn pidfd(pidfd: Pidfd) -> NsTarget {
        NsTarget::Pidfd(Arc::new(pidfd))
    }

    /// An open namespace fd (its kind is checked when used).
    pub fn fd(fd: OwnedFd) -> NsTarget {
        NsTarget::Fd(Arc::new(fd))
    }

    /// True for [`NsTarget::Current`].
    pub fn is_current(&self) -> bool {
        matches!(self, NsTarget::Current)
    }

    /// Opens the namespace of `kind` that this target names, as a close-on-exec fd.
    ///
    /// For [`Current`](NsTarget::Current) and process targets this is `/proc/<pid>/ns/<kind>`; a
    /// process target is checked to be still alive *after* the file is opened. For files and fds the
    /// namespace type is verified with the `NS_GET_NSTYPE` ioctl.
    ///
    /// # Errors
    /// Input errors for a NUL in the path, a file that is not a namespace, or a namespace of another
    /// kind; `NoProcess` for a dead process; OS errors with the path otherwise.
    pub fn open(&self, kind: NsKind) -> Result<OwnedFd> {
        match self {
            NsTarget::Current => open_proc_ns("thread-self", kind, self),
            NsTarget::Pid(pid) => {
                let pidfd = Pidfd::open(*pid)?;
                open_for_pidfd(&pidfd, kind, self)
            }
            NsTarget::Pidfd(pidfd) => open_for_pidfd(pidfd, kind, self),
            NsTarget::Path(path) => open_ns_file(path, kind, self),
            NsTarget::Named(name) => open_ns_file(&Path::new(NETNS_RUN_DIR).join(name), kind, self),
            NsTarget::Fd(fd) => {
                let dup = rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), 0).map_err(|e| {
                    OsError::new(
                        Subsystem::Namespace,
                        Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
                        e,
                    )
                    .target(self.to_string())
                })?;
                check_kind(&dup, kind, self)?;
                Ok(dup)
            }
        }
    }

    /// Runs `f` inside the target's namespaces of the kinds in `kinds` and returns its result.
    ///
    /// For [`NsTarget::Current`] (or an empty set) `f` runs on the calling thread. Otherwise the
    /// namespace fds are opened first (in the caller's mount namespace), then a dedicated thread
    /// unshares `CLONE_FS` if a mount namespace is joined, calls `setns` for each kind, runs `f`
    /// and exits. `f` may borrow from the caller. A panic in `f` is propagated.
    ///
    /// # Errors
    /// Everything [`open`](NsTarget::open) returns; `Unsupported(NamespaceEntry)` for the user
    /// namespace (the kernel allows joining one only from a single-threaded process); OS errors of
    /// `setns`/`unshare` naming the kind and target.
    pub fn run<T, F>(&self, kinds: NsSet, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        if self.is_current() || kinds.is_empty() {
            return Ok(f());
        }
        if kinds.contains(NsSet::USER) {
            return Err(Error::unsupported(
                Subsystem::Namespace,
                crate::error::Feature::NamespaceEntry,
                "joining a user namespace needs a single-threaded process (use a forked helper)",
            ));
        }
        let fds: Vec<(NsKind, OwnedFd)> = kinds
            .kinds()
            .map(|k| self.open(k).map(|fd| (k, fd)))
            .collect::<Result<_>>()?;
        let description = self.to_string();
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("linx-ns".into())
                .spawn_scoped(scope, || -> Result<T> {
                    enter_on_this_thread(&fds, &description)?;
                    Ok(f())
                })
                .map_err(|e| {
                    Error::from(
                        OsError::new(
                            Subsystem::Namespace,
                            Operation::SpawnThread,
                            e.raw_os_error().map_or(
                                rustix::io::Errno::AGAIN,
                                rustix::io::Errno::from_raw_os_error,
                            ),
                        )
                        .target(description.clone()),
                    )
                })?;
            match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

/// Joins the namespaces on the current (dedicated) thread. Never call this on a thread that is
/// not exclusively owned by the operation.
fn enter_on_this_thread(fds: &[(NsKind, OwnedFd)], description: &str) -> Result<()> {
    if fds.iter().any(|(k, _)| *k == NsKind::Mount) {
        // SAFETY: only CLONE_FS is unshared (never CLONE_FILES), on a thread owned by this call.
        unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS) }.map_err(
            |e| OsError::new(Subsystem::Namespace, Operation::Unshare("fs"), e).target(description),
        )?;
    }
    for (kind, fd) in fds {
        setns(fd.as_fd(), *kind).map_err(|e| {
            OsError::new(Subsystem::Namespace, Operation::SetNs(*kind), e).target(description)
        })?;
    }
    Ok(())
}

fn setns(fd: BorrowedFd<'_>, kind: NsKind) -> rustix::io::Result<()> {
    // SAFETY: setns takes an fd and a flag word and has no memory-safety preconditions.
    let r = unsafe {
        libc::setns(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            kind.clone_flag() as i32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(rustix::io::Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        ))
    }
}

fn open_for_pidfd(pidfd: &Pidfd, kind: NsKind, target: &NsTarget) -> Result<OwnedFd> {
    let fd = open_proc_ns(&pidfd.pid().to_string(), kind, target)?;
    // The pid might have been recycled between pidfd_open and this open: the pidfd still being
    // alive proves /proc/<pid> was the same process.
    pidfd.ensure_alive().map_err(|e| match e {
        Error::State(mut s) => {
            s.detail = Some(format!("{target}: process exited"));
            Error::State(s)
        }
        other => other,
    })?;
    Ok(fd)
}

fn open_proc_ns(who: &str, kind: NsKind, target: &NsTarget) -> Result<OwnedFd> {
    let path = format!("/proc/{who}/ns/{}", kind.proc_name());
    match rustix::fs::open(
        path.as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) {
        Ok(fd) => Ok(fd),
        Err(rustix::io::Errno::NOENT) if who != "thread-self" => Err(Error::state(
            Subsystem::Namespace,
            crate::error::StateKind::NoProcess,
            Some(format!("{target}: {path} is gone")),
        )),
        Err(e) => Err(OsError::new(Subsystem::Namespace, Operation::Open, e)
            .path(path)
            .target(target.to_string())
            .into()),
    }
}

fn open_ns_file(path: &Path, kind: NsKind, target: &NsTarget) -> Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    if path.as_os_str().as_bytes().contains(&0) {
        return Err(Error::input(
            Subsystem::Namespace,
            "namespace path",
            path.display().to_string(),
            "contains a NUL byte",
        ));
    }
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| OsError::new(Subsystem::Namespace, Operation::Open, e).path(path))?;
    check_kind(&fd, kind, target)?;
    Ok(fd)
}

/// `NS_GET_NSTYPE` = `_IO(0xb7, 0x3)`.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// The kind of namespace an fd refers to, via the `NS_GET_NSTYPE` ioctl (Linux ≥ 4.11).
///
/// # Errors
/// Input error when the fd is not a namespace file (the ioctl fails with `ENOTTY`/`EINVAL`).
pub fn kind_of(fd: BorrowedFd<'_>) -> Result<NsKind> {
    // SAFETY: NS_GET_NSTYPE takes no argument and only returns an integer.
    let r = unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&fd), NS_GET_NSTYPE as _) };
    if r < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(
            if errno == libc::ENOTTY || errno == libc::EINVAL || errno == libc::ENOSYS {
                Error::input(
                    Subsystem::Namespace,
                    "namespace file",
                    format!("fd {}", std::os::fd::AsRawFd::as_raw_fd(&fd)),
                    "is not a namespace file (NS_GET_NSTYPE refused)",
                )
            } else {
                OsError::new(
                    Subsystem::Namespace,
                    Operation::Ioctl("NS_GET_NSTYPE"),
                    rustix::io::Errno::from_raw_os_error(errno),
                )
                .into()
            },
        );
    }
    NsKind::from_clone_flag(r as u32).ok_or_else(|| {
        Error::protocol(
            Subsystem::Namespace,
            crate::error::ProtocolKind::Malformed,
            format!("NS_GET_NSTYPE returned unknown type {r:#x}"),
        )
    })
}

fn check_kind(fd: &OwnedFd, want: NsKind, target: &NsTarget) -> Result<()> {
    let got = kind_of(fd.as_fd()).map_err(|e| match e {
        Error::Input(mut i) => {
            i.value = target.to_string();
            Error::Input(i)
        }
        other => other,
    })?;
    if got == want {
        Ok(())
    } else {
        Err(Error::input(
            Subsystem::Namespace,
            "namespace target",
            target.to_string(),
            format!("is a {got} namespace, expected {want}"),
        ))
    }
}

impl fmt::Display for NsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NsTarget::Current => f.write_str("current namespaces"),
            NsTarget::Pid(pid) => write!(f, "pid {pid}"),
            NsTarget::Pidfd(p) => write!(f, "pidfd of pid {}", p.pid()),
            NsTarget::Path(p) => write!(f, "{}", p.display()),
            NsTarget::Named(n) => write!(f, "netns {n}"),
            NsTarget::Fd(fd) => write!(
                f,
                "namespace fd {}",
                std::os::fd::AsRawFd::as_raw_fd(&fd.as_fd())
            ),
        }
    }
}

impl std::str::FromStr for NsTarget {
    type Err = Error;

    /// Digits → pid, a `/` → path, otherwise a named netns.
    fn from_str(s: &str) -> Result<NsTarget> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let pid: i32 = s
                .parse()
                .map_err(|_| Error::input(Subsystem::Namespace, "pid", s, "out of range"))?;
            if pid <= 0 {
                return Err(Error::input(
                    Subsystem::Namespace,
                    "pid",
                    s,
                    "must be positive",
                ));
            }
            Ok(NsTarget::Pid(pid))
        } else if s.contains('/') {
            if s.contains('\0') {
                return Err(Error::input(
                    Subsystem::Namespace,
                    "namespace path",
                    s,
                    "contains a NUL byte",
                ));
            }
            Ok(NsTarget::Path(PathBuf::from(s)))
        } else {
            NsTarget::named(s)
        }
    }
}

impl From<Pidfd> for NsTarget {
    fn from(p: Pidfd) -> NsTarget {
        NsTarget::pidfd(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_targets() {
        assert!(matches!("123".parse::<NsTarget>(), Ok(NsTarget::Pid(123))));
        assert!(matches!(
            "/run/netns/a".parse::<NsTarget>(),
            Ok(NsTarget::Path(_))
        ));
        assert!(matches!("blue".parse::<NsTarget>(), Ok(NsTarget::Named(n)) if n == "blue"));
        assert!("0".parse::<NsTarget>().unwrap_err().is_input());
        assert!("99999999999".parse::<NsTarget>().unwrap_err().is_input());
        assert!("".parse::<NsTarget>().unwrap_err().is_input());
        assert!("..".parse::<NsTarget>().unwrap_err().is_input());
        assert!(NsTarget::named("a/b").unwrap_err().is_input());
    }

    #[test]
    fn kinds_and_flags() {
        for k in NsKind::ALL {
            assert_eq!(NsKind::from_clone_flag(k.clone_flag()), Some(k));
            assert!(NsSet::all().contains(k.set()));
        }
        let order: Vec<_> = (NsSet::NET | NsSet::MOUNT | NsSet::USER).kinds().collect();
        assert_eq!(order, vec![NsKind::User, NsKind::Mount, NsKind::Net]);
        assert_eq!(NsSet::TIME.bits(), 0x80);
    }

    #[test]
    fn current_runs_inline() {
        let me = std::thread::current().id();
        let there = NsTarget::Current
            .run(NsSet::NET, || std::thread::current().id())
            .unwrap();
        assert_eq!(me, there);
    }

    #[test]
    fn open_own_namespace_and_check_kind() {
        let fd = NsTarget::Current.open(NsKind::Net).expect("open own netns");
        assert_eq!(kind_of(fd.as_fd()).unwrap(), NsKind::Net);
        // Our own net namespace file, asked for as a mount namespace: a typed input error.
        let wrong = NsTarget::path("/proc/self/ns/net")
            .open(NsKind::Mount)
            .unwrap_err();
        assert!(wrong.is_input(), "{wrong}");
        assert!(
            wrong
                .to_string()
                .contains("is a net namespace, expected mnt"),
            "{wrong}"
        );
        // Not a namespace file at all.
        let not_ns = NsTarget::path("/proc/self/status")
            .open(NsKind::Net)
            .unwrap_err();
        assert!(not_ns.is_input(), "{not_ns}");
        assert!(
            not_ns.to_string().contains("not a namespace file"),
            "{not_ns}"
        );
        // Missing file: an OS error naming the path.
        let missing = NsTarget::named("linx-no-such-netns")
            .unwrap()
            .open(NsKind::Net)
            .unwrap_err();
        assert_eq!(missing.errno(), Some(rustix::io::Errno::NOENT));
        assert!(
            missing
                .to_string()
                .contains("/run/netns/linx-no-such-netns"),
            "{missing}"
        );
    }

    #[test]
    fn user_namespace_entry_is_refused_typed() {
        let e = NsTarget::Pid(1).run(NsSet::USER, || ()).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
    }
}
