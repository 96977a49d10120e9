//! The command builder and spawn preparation (parent side, before clone).

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustix::io::Errno;

use super::child::{ChildPlan, MAX_MOVES};
use super::handle::{self, Parked};
use super::pty::Pty;
use crate::error::{Error, Operation, OsError, Result, Stage, Subsystem};
use crate::ns::NsSet;
use crate::tty::WinSize;

/// What one of the child's standard descriptors is connected to.
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub enum Stdio {
    /// The caller's own descriptor (default).
    #[default]
    Inherit,
    /// `/dev/null`.
    Null,
    /// A pipe; the parent keeps the other end (see `Parked::take_stdin` and friends).
    Pipe,
    /// A descriptor of the caller's (duplicated at each spawn).
    Fd(Arc<OwnedFd>),
    /// A `SOCK_STREAM` unix socket connected by the parent before clone (path resolved in the
    /// caller's mount namespace).
    ConnectUnix(PathBuf),
}

impl Stdio {
    /// A descriptor of the caller's.
    pub fn fd(fd: OwnedFd) -> Stdio {
        Stdio::Fd(Arc::new(fd))
    }
}

/// What happens to the child if the owning process dies without a clean teardown (spec PROC-08).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrphanPolicy {
    /// `SIGKILL` via `PR_SET_PDEATHSIG` (default).
    #[default]
    Kill,
    /// Another parent-death signal.
    Signal(super::Signal),
    /// Nothing: the child outlives the owner.
    Linger,
}

/// What dropping a running handle does (spec PROC-40).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DropPolicy {
    /// `SIGKILL` through the pidfd, then reap (default).
    #[default]
    Kill,
    /// Keep running; a background reaper reaps it when it exits.
    Detach,
}

/// Environment handling.
#[derive(Debug, Clone, Default)]
enum EnvBase {
    /// A snapshot of the caller's environment, taken in the parent at spawn.
    #[default]
    Inherit,
    /// Start empty.
    Clear,
}

/// Time-namespace clock offsets (spec PROC-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeOffsets {
    /// `CLOCK_MONOTONIC` offset.
    pub monotonic: Duration,
    /// `CLOCK_BOOTTIME` offset.
    pub boottime: Duration,
}

/// A program to spawn into namespaces, parked at the checkpoint before `execve`.
///
/// Built like `std::process::Command`, but the program must be an absolute path (use
/// [`Command::resolve`] for a bare name), every option is validated before any system call, and
/// [`spawn`](Command::spawn) returns a [`Parked`] child that has been cloned into its namespaces
/// (with `clone3(2)` and `CLONE_PIDFD`) but has not run the program yet. A builder can spawn many
/// times.
///
/// ```no_run
/// use linx::process::Command;
/// use linx::ns::NsSet;
/// let parked = Command::new("/bin/echo").arg("hi").namespaces(NsSet::UTS).spawn()?;
/// // … configure the child from outside while it is parked …
/// let running = parked.proceed()?;
/// assert!(running.wait()?.success());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Command {
    program: PathBuf,
    args: Vec<OsString>,
    argv0: Option<OsString>,
    env_base: EnvBase,
    env_changes: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
    namespaces: NsSet,
    cgroup: Option<Arc<OwnedFd>>,
    no_new_privs: bool,
    orphan: OrphanPolicy,
    drop_policy: DropPolicy,
    stdio: [Stdio; 3],
    pty: Option<WinSize>,
    extra_fds: Vec<(i32, Arc<OwnedFd>)>,
    uid: Option<u32>,
    gid: Option<u32>,
    groups: Option<Vec<u32>>,
    rlimits: Vec<(u32, u64, u64)>,
    time_offsets: Option<TimeOffsets>,
    program_fd: Option<Arc<OwnedFd>>,
    spawn_timeout: Option<Duration>,
    enter: Option<Enter>,
}

/// Enter mode: run inside the namespaces of a running process (spec PROC-45..49).
#[derive(Debug, Clone)]
struct Enter {
    target: Arc<crate::pidfd::Pidfd>,
    /// Explicit kinds, or every kind whose namespace differs from the caller's.
    kinds: Option<NsSet>,
    /// Start the workload in the target's cgroup.
    cgroup: bool,
}

impl Command {
    /// A command running `program` (an absolute path; checked at spawn).
    pub fn new(program: impl AsRef<Path>) -> Command {
        Command {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            argv0: None,
            env_base: EnvBase::Inherit,
            env_changes: Vec::new(),
            cwd: None,
            namespaces: NsSet::empty(),
            cgroup: None,
            no_new_privs: false,
            orphan: OrphanPolicy::Kill,
            drop_policy: DropPolicy::Kill,
            stdio: [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit],
            pty: None,
            extra_fds: Vec::new(),
            uid: None,
            gid: None,
            groups: None,
            rlimits: Vec::new(),
            time_offsets: None,
            program_fd: None,
            spawn_timeout: None,
            enter: None,
        }
    }

    /// Resolves a bare program name through `path` (a `PATH`-style list) like env(1) does; names
    /// containing `/` are returned as given (made absolute against the current directory).
    ///
    /// # Errors
    /// Input error (`ENOENT`-like) naming the program when no executable is found.
    pub fn resolve(name: impl AsRef<OsStr>, path: Option<&OsStr>) -> Result<PathBuf> {
        let name = name.as_ref();
        if name.is_empty() {
            return Err(Error::input(Subsystem::Process, "program", "", "is empty"));
        }
        if name.as_bytes().contains(&b'/') {
            let p = Path::new(name);
            return Ok(if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(p))
                    .unwrap_or_else(|_| p.to_path_buf())
            });
        }
        let default_path =
            OsString::from("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        let path = path.map(OsStr::to_os_string).unwrap_or(default_path);
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if let Ok(meta) = std::fs::metadata(&candidate) {
                use std::os::unix::fs::PermissionsExt;
                if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                    return Ok(if candidate.is_absolute() {
                        candidate
                    } else {
                        std::env::current_dir()
                            .map(|d| d.join(&candidate))
                            .unwrap_or(candidate)
                    });
                }
            }
        }
        Err(Error::input(
            Subsystem::Process,
            "program",
            name.to_string_lossy(),
            "not found in PATH",
        ))
    }

    /// Appends an argument.
    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Overrides `argv[0]` (default: the program path).
    pub fn argv0(&mut self, a: impl AsRef<OsStr>) -> &mut Command {
        self.argv0 = Some(a.as_ref().to_os_string());
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env_changes.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env_changes.push((key.as_ref().to_os_string(), None));
        self
    }

    /// Starts from an empty environment instead of the caller's.
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_base = EnvBase::Clear;
        self.env_changes.clear();
        self
    }

    /// Working directory, entered as the last step before exec (stage `Chdir`); resolved inside
    /// the child's mount namespace.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    /// New namespaces to create (empty: share all). With `USER` among them an unprivileged caller
    /// can create the rest.
    pub fn namespaces(&mut self, ns: NsSet) -> &mut Command {
        self.namespaces = ns;
        self
    }

    /// Spawns straight into the cgroup whose directory `fd` names (`CLONE_INTO_CGROUP`).
    pub fn cgroup_fd(&mut self, fd: OwnedFd) -> &mut Command {
        self.cgroup = Some(Arc::new(fd));
        self
    }

    /// Sets `PR_SET_NO_NEW_PRIVS` in the child before it reports ready.
    pub fn no_new_privs(&mut self, on: bool) -> &mut Command {
        self.no_new_privs = on;
        self
    }

    /// Orphan policy (default [`OrphanPolicy::Kill`]).
    pub fn orphan_policy(&mut self, p: OrphanPolicy) -> &mut Command {
        self.orphan = p;
        self
    }

    /// Drop policy of the running handle (default [`DropPolicy::Kill`]).
    pub fn drop_policy(&mut self, p: DropPolicy) -> &mut Command {
        self.drop_policy = p;
        self
    }

    /// Standard input.
    pub fn stdin(&mut self, s: Stdio) -> &mut Command {
        self.stdio[0] = s;
        self
    }

    /// Standard output.
    pub fn stdout(&mut self, s: Stdio) -> &mut Command {
        self.stdio[1] = s;
        self
    }

    /// Standard error.
    pub fn stderr(&mut self, s: Stdio) -> &mut Command {
        self.stdio[2] = s;
        self
    }

    /// Runs the program on a new PTY (session leader with a controlling terminal; stdio 0–2 on
    /// the slave) with an initial window size (0×0 when `None`).
    pub fn pty(&mut self, size: Option<WinSize>) -> &mut Command {
        self.pty = Some(size.unwrap_or_default());
        self
    }

    /// Places a descriptor at a fixed number (≥ 3) in the child.
    pub fn fd(&mut self, child_fd: i32, fd: OwnedFd) -> &mut Command {
        self.extra_fds.push((child_fd, Arc::new(fd)));
        self
    }

    /// Switches to this uid (raw `setresuid`) as the last credential step.
    pub fn uid(&mut self, uid: u32) -> &mut Command {
        self.uid = Some(uid);
        self
    }

    /// Switches to this gid (raw `setresgid`).
    pub fn gid(&mut self, gid: u32) -> &mut Command {
        self.gid = Some(gid);
        self
    }

    /// Sets the supplementary groups (raw `setgroups`).
    pub fn groups(&mut self, groups: &[u32]) -> &mut Command {
        self.groups = Some(groups.to_vec());
        self
    }

    /// Sets a resource limit (`RLIMIT_*` number, soft, hard) in the child before exec.
    pub fn rlimit(&mut self, resource: u32, soft: u64, hard: u64) -> &mut Command {
        self.rlimits.push((resource, soft, hard));
        self
    }

    /// Clock offsets for a new time namespace (implies [`NsSet::TIME`]).
    pub fn time_offsets(&mut self, offsets: TimeOffsets) -> &mut Command {
        self.time_offsets = Some(offsets);
        self.namespaces |= NsSet::TIME;
        self
    }

    /// Executes this already-open file with `execveat(fd, "", AT_EMPTY_PATH)` instead of the path,
    /// so a host binary runs inside a pivoted root without lookup.
    pub fn program_fd(&mut self, fd: OwnedFd) -> &mut Command {
        self.program_fd = Some(Arc::new(fd));
        self
    }

    /// Bounds the time until the child reports ready; on timeout it is killed and reaped.
    pub fn spawn_timeout(&mut self, t: Duration) -> &mut Command {
        self.spawn_timeout = Some(t);
        self
    }

    /// Runs the program inside the namespaces of a running process instead of creating new ones
    /// (`setns(pidfd, mask)`, so the target is pinned against pid reuse). `kinds`: the namespaces
    /// to join; `None` joins every namespace of the target that differs from the caller's (and
    /// skips kinds the kernel lacks). The workload is the caller's direct child and lives in the
    /// target's pid and time namespaces (an intermediate process joins, then creates it with
    /// `CLONE_PARENT`). Checkpoint, stdio and PTY options work as for spawn.
    pub fn enter(&mut self, target: crate::pidfd::Pidfd, kinds: Option<NsSet>) -> &mut Command {
        self.enter = Some(Enter {
            target: Arc::new(target),
            kinds,
            cgroup: false,
        });
        self
    }

    /// In enter mode, start the workload in the target's cgroup (`CLONE_INTO_CGROUP`), as
    /// `docker exec` does.
    pub fn enter_cgroup(&mut self, on: bool) -> &mut Command {
        if let Some(e) = &mut self.enter {
            e.cgroup = on;
        }
        self
    }

    /// True in enter mode.
    pub fn is_enter(&self) -> bool {
        self.enter.is_some()
    }

    /// The program path.
    pub fn get_program(&self) -> &Path {
        &self.program
    }

    /// The namespaces to create.
    pub fn get_namespaces(&self) -> NsSet {
        self.namespaces
    }

    /// Spawns the child and parks it at the checkpoint.
    ///
    /// # Errors
    /// Input errors (relative program, NUL bytes, bad fds, socket path too long …) before any
    /// system call; OS errors with their [`Stage`]; `Unsupported(TimeNamespace)` when time
    /// namespaces are missing; a timeout if the child does not report in time.
    pub fn spawn(&self) -> Result<Parked> {
        let mut prepared = self.prepare(false)?;
        handle::spawn_prepared(self, &mut prepared)
    }

    /// Spawns and proceeds at once (the `std::process::Command`-like path).
    ///
    /// Without a cgroup, time namespace or enter target there is nothing to do at the checkpoint,
    /// and the child is created the way `posix_spawn` creates it (`CLONE_VM | CLONE_VFORK`, with
    /// the `CLONE_NEW*` flags: it shares the caller's memory until exec, so no page tables are
    /// copied, and goes straight to exec without the checkpoint's round trips); otherwise this
    /// is [`spawn`](Self::spawn) followed by [`Parked::proceed`]. Either way the result is the
    /// same: the program runs, or the failing stage is reported and nothing is left behind.
    ///
    /// # Errors
    /// As for [`spawn`](Self::spawn) and [`Parked::proceed`].
    pub fn start(&self) -> Result<super::Running> {
        // A time namespace is joined with setns(2), which refuses a process sharing its memory
        // (EUSERS): those children take the fork-style path.
        if self.enter.is_none()
            && self.cgroup.is_none()
            && self.time_offsets.is_none()
            && !self.namespaces.contains(NsSet::TIME)
        {
            let mut prepared = self.prepare(true)?;
            return handle::start_prepared(self, &mut prepared);
        }
        self.spawn()?.proceed()
    }

    pub(crate) fn spawn_timeout_value(&self) -> Option<Duration> {
        self.spawn_timeout
    }

    pub(crate) fn drop_policy_value(&self) -> DropPolicy {
        self.drop_policy
    }

    pub(crate) fn exec_by_fd(&self) -> bool {
        self.program_fd.is_some()
    }

    pub(crate) fn enter_mode(&self) -> bool {
        self.enter.is_some()
    }

    pub(crate) fn time_offsets_value(&self) -> Option<TimeOffsets> {
        self.time_offsets
    }

    fn cstring(what: &'static str, index: Option<usize>, bytes: &[u8]) -> Result<CString> {
        CString::new(bytes).map_err(|_| {
            let arg = match index {
                Some(i) => format!("{what} {i}"),
                None => what.to_owned(),
            };
            Error::input(
                Subsystem::Process,
                arg,
                String::from_utf8_lossy(bytes),
                "contains a NUL byte",
            )
        })
    }

    /// Validates everything and builds the child plan plus the parent-side resources. Everything
    /// that can be refused as input is refused here, before any system call.
    fn prepare(&self, straight: bool) -> Result<Prepared> {
        let program = self.program.as_os_str().as_bytes();
        if program.is_empty() {
            return Err(Error::input(Subsystem::Process, "program", "", "is empty"));
        }
        if self.program_fd.is_none() && !self.program.is_absolute() {
            return Err(Error::input(
                Subsystem::Process,
                "program",
                self.program.display().to_string(),
                "must be an absolute path (use Command::resolve for a bare name)",
            ));
        }
        let program_c = Self::cstring("program", None, program)?;
        let mut argv_storage = Vec::with_capacity(self.args.len() + 1);
        argv_storage.push(Self::cstring(
            "argument",
            Some(0),
            self.argv0.as_ref().map_or(program, |a| a.as_bytes()),
        )?);
        for (i, a) in self.args.iter().enumerate() {
            argv_storage.push(Self::cstring("argument", Some(i + 1), a.as_bytes())?);
        }
        let env = self.environment()?;
        let mut env_storage = Vec::with_capacity(env.len());
        for (i, (k, v)) in env.iter().enumerate() {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            env_storage.push(Self::cstring("environment entry", Some(i), &kv)?);
        }
        let cwd = match &self.cwd {
            Some(d) => Some(Self::cstring("cwd", None, d.as_os_str().as_bytes())?),
            None => None,
        };
        let mut seen = std::collections::HashSet::new();
        for (fd, _) in &self.extra_fds {
            if *fd < 3 {
                return Err(Error::input(
                    Subsystem::Process,
                    "child fd",
                    fd.to_string(),
                    "0-2 are stdio; use stdin/stdout/stderr",
                ));
            }
            if !seen.insert(*fd) {
                return Err(Error::input(
                    Subsystem::Process,
                    "child fd",
                    fd.to_string(),
                    "placed twice",
                ));
            }
        }
        if self.extra_fds.len() + 3 > MAX_MOVES {
            return Err(Error::input(
                Subsystem::Process,
                "extra fds",
                self.extra_fds.len().to_string(),
                "too many descriptors to place",
            ));
        }
        for s in &self.stdio {
            if let Stdio::ConnectUnix(p) = s
                && p.as_os_str().len() > 107
            {
                return Err(Error::input(
                    Subsystem::Process,
                    "unix socket path",
                    p.display().to_string(),
                    "longer than 107 bytes",
                ));
            }
        }
        if let Some(o) = self.time_offsets {
            for (name, d) in [
                ("monotonic offset", o.monotonic),
                ("boottime offset", o.boottime),
            ] {
                if d.as_secs() > (i64::MAX as u64) / 2 {
                    return Err(Error::input(
                        Subsystem::Process,
                        name,
                        format!("{d:?}"),
                        "out of the kernel's range",
                    ));
                }
            }
        }
        if self.namespaces.contains(NsSet::TIME)
            && !std::path::Path::new("/proc/self/ns/time").exists()
        {
            return Err(Error::unsupported(
                Subsystem::Process,
                crate::error::Feature::TimeNamespace,
                "kernel without time namespaces (needs Linux 5.6, CONFIG_TIME_NS)",
            ));
        }

        if self.enter.is_some() && !self.namespaces.is_empty() {
            return Err(Error::input(
                Subsystem::Process,
                "namespaces",
                format!("{:?}", self.namespaces),
                "enter joins existing namespaces; it cannot also create new ones",
            ));
        }

        let mut argv: Vec<*const libc::c_char> = argv_storage.iter().map(|c| c.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut envp: Vec<*const libc::c_char> = env_storage.iter().map(|c| c.as_ptr()).collect();
        envp.push(std::ptr::null());

        // Parent-side resources: from here on system calls happen.
        let mut res = Resources::default();
        let (parent_ctrl, child_ctrl) = rustix::net::socketpair(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::SEQPACKET,
            rustix::net::SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| stage_err(Stage::ControlChannel, e))?;
        let mut moves: Vec<(i32, i32)> = Vec::new();
        let mut pty = None;
        if let Some(size) = self.pty {
            let (p, slave) = Pty::open(size)?;
            for dst in 0..3 {
                moves.push((slave.as_raw_fd(), dst));
            }
            res.child_fds.push(slave);
            pty = Some(p);
        }
        for (dst, s) in self.stdio.iter().enumerate() {
            if pty.is_some() {
                break;
            }
            let dst = dst as i32;
            let child_end: Option<OwnedFd> = match s {
                Stdio::Inherit => None,
                Stdio::Null => Some(
                    rustix::fs::open(
                        "/dev/null",
                        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
                        rustix::fs::Mode::empty(),
                    )
                    .map_err(|e| stage_err(Stage::Stdio, e))?,
                ),
                Stdio::Pipe => {
                    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                        .map_err(|e| stage_err(Stage::Stdio, e))?;
                    let (parent, child) = if dst == 0 { (w, r) } else { (r, w) };
                    res.pipes[dst as usize] = Some(parent);
                    Some(child)
                }
                Stdio::Fd(fd) => Some(
                    rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), 0)
                        .map_err(|e| stage_err(Stage::Stdio, e))?,
                ),
                Stdio::ConnectUnix(path) => Some(connect_unix(path)?),
            };
            if let Some(fd) = child_end {
                moves.push((fd.as_raw_fd(), dst));
                res.child_fds.push(fd);
            }
        }
        for (dst, fd) in &self.extra_fds {
            let dup = rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), 0)
                .map_err(|e| stage_err(Stage::Stdio, e))?;
            moves.push((dup.as_raw_fd(), *dst));
            res.child_fds.push(dup);
        }
        // Descriptors the child still uses after the moves (the control channel, the program fd)
        // must not be overwritten by a destination: keep them above every destination.
        let above = moves.iter().map(|(_, d)| *d).max().unwrap_or(2) + 1;
        let child_ctrl = if child_ctrl.as_raw_fd() < above {
            rustix::io::fcntl_dupfd_cloexec(&child_ctrl, above)
                .map_err(|e| stage_err(Stage::ControlChannel, e))?
        } else {
            child_ctrl
        };
        let program_fd = match &self.program_fd {
            Some(fd) => {
                let dup = rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), above)
                    .map_err(|e| stage_err(Stage::Execve, e))?;
                let raw = dup.as_raw_fd();
                res.child_fds.push(dup);
                raw
            }
            None => -1,
        };
        let (enter_pidfd, enter_flags, enter_cgroup) = match &self.enter {
            Some(e) => {
                let (pidfd, flags, cgroup) = plan_enter(e)?;
                let raws = (
                    pidfd.as_raw_fd(),
                    flags,
                    cgroup.as_ref().map_or(-1, |c| c.as_raw_fd()),
                );
                res.child_fds.push(pidfd);
                if let Some(c) = cgroup {
                    res.child_fds.push(c);
                }
                raws
            }
            None => (-1, 0, -1),
        };
        let mut keep: Vec<i32> = moves.iter().map(|(s, _)| *s).collect();
        keep.push(child_ctrl.as_raw_fd());
        if enter_pidfd >= 0 {
            keep.push(enter_pidfd);
        }
        if enter_cgroup >= 0 {
            keep.push(enter_cgroup);
        }
        if program_fd >= 0 {
            keep.push(program_fd);
        }
        keep.sort_unstable();
        keep.dedup();
        let mut placed: Vec<i32> = moves.iter().map(|(_, d)| *d).filter(|d| *d >= 3).collect();
        placed.push(child_ctrl.as_raw_fd());
        placed.sort_unstable();
        placed.dedup();
        let scratch_base = moves
            .iter()
            .flat_map(|(s, d)| [*s, *d])
            .chain(keep.iter().copied())
            .max()
            .unwrap_or(2)
            + 1;
        let new_pid_ns = self.namespaces.contains(NsSet::PID);
        let plan = ChildPlan {
            program: program_c,
            program_fd,
            argv,
            envp,
            argv_storage,
            env_storage,
            cwd,
            ctrl: child_ctrl.as_raw_fd(),
            moves,
            scratch_base,
            keep,
            placed,
            pty: pty.is_some(),
            parent_pid: if new_pid_ns || self.enter.is_some() {
                0
            } else {
                super::spawner::parent_pid()
            },
            pdeathsig: match self.orphan {
                OrphanPolicy::Kill => libc::SIGKILL,
                OrphanPolicy::Signal(s) => s.number(),
                OrphanPolicy::Linger => 0,
            },
            no_new_privs: self.no_new_privs,
            time_ns: self.namespaces.contains(NsSet::TIME),
            uid: self.uid,
            gid: self.gid,
            groups: self.groups.clone(),
            rlimits: self.rlimits.clone(),
            enter_pidfd,
            enter_flags,
            enter_cgroup,
            straight,
        };
        res.child_fds.push(child_ctrl);
        Ok(Prepared {
            plan,
            parent_ctrl: Some(parent_ctrl),
            res,
            pty,
            cgroup: self.cgroup.clone(),
        })
    }

    fn environment(&self) -> Result<Vec<(OsString, OsString)>> {
        let mut env: Vec<(OsString, OsString)> = match self.env_base {
            EnvBase::Inherit => std::env::vars_os().collect(),
            EnvBase::Clear => Vec::new(),
        };
        for (k, v) in &self.env_changes {
            if k.is_empty() || k.as_bytes().contains(&b'=') {
                return Err(Error::input(
                    Subsystem::Process,
                    "environment key",
                    k.to_string_lossy(),
                    "must be non-empty and contain no '='",
                ));
            }
            env.retain(|(ek, _)| ek != k);
            if let Some(v) = v {
                env.push((k.clone(), v.clone()));
            }
        }
        Ok(env)
    }
}

/// Parent-side descriptors created for one spawn.
#[derive(Debug, Default)]
pub(crate) struct Resources {
    /// Ends that belong to the child; closed in the parent right after clone.
    pub child_fds: Vec<OwnedFd>,
    /// Parent ends of stdio pipes, by child fd.
    pub pipes: [Option<OwnedFd>; 3],
}

/// Everything prepared for one spawn.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub plan: ChildPlan,
    pub parent_ctrl: Option<OwnedFd>,
    pub res: Resources,
    pub pty: Option<Pty>,
    pub cgroup: Option<Arc<OwnedFd>>,
}

impl Prepared {
    pub(crate) fn cgroup_raw(&self) -> Option<i32> {
        self.cgroup.as_ref().map(|fd| fd.as_raw_fd())
    }

    pub(crate) fn cgroup_fd(&self) -> Option<BorrowedFd<'_>> {
        self.cgroup.as_ref().map(|fd| fd.as_fd())
    }
}

/// Works out what enter joins: a duplicate of the target's pidfd, the namespace mask, and
/// optionally the target's cgroup directory.
fn plan_enter(e: &Enter) -> Result<(OwnedFd, u32, Option<OwnedFd>)> {
    use std::os::linux::fs::MetadataExt;
    let pid = e.target.pid();
    let mut flags = 0u32;
    for kind in crate::ns::NsKind::ALL {
        let theirs = std::fs::metadata(format!("/proc/{pid}/ns/{}", kind.proc_name()));
        match e.kinds {
            Some(explicit) => {
                if !explicit.contains(kind.set()) {
                    continue;
                }
                if let Err(err) = theirs {
                    return Err(OsError::new(
                        Subsystem::Process,
                        Operation::Stage(Stage::OpenNs(kind)),
                        Errno::from_raw_os_error(err.raw_os_error().unwrap_or(libc::ENOENT)),
                    )
                    .pid(pid)
                    .into());
                }
                flags |= kind.clone_flag();
            }
            None => {
                let Ok(theirs) = theirs else { continue };
                let ours = std::fs::metadata(format!("/proc/self/ns/{}", kind.proc_name()));
                if ours
                    .is_ok_and(|o| o.st_ino() == theirs.st_ino() && o.st_dev() == theirs.st_dev())
                {
                    continue;
                }
                flags |= kind.clone_flag();
            }
        }
    }
    // Joining one's own user namespace fails with EINVAL: drop it when identical.
    if flags & crate::ns::NsKind::User.clone_flag() != 0 {
        let same = |p: &str| std::fs::metadata(p).map(|m| (m.st_dev(), m.st_ino()));
        if same("/proc/self/ns/user").ok() == same(&format!("/proc/{pid}/ns/user")).ok() {
            flags &= !crate::ns::NsKind::User.clone_flag();
        }
    }
    e.target.ensure_alive()?;
    let pidfd = rustix::io::fcntl_dupfd_cloexec(e.target.as_fd(), 0)
        .map_err(|er| stage_err(Stage::OpenNsProc, er))?;
    let cgroup = if e.cgroup {
        Some(target_cgroup(pid)?)
    } else {
        None
    };
    Ok((pidfd, flags, cgroup))
}

#[cfg(feature = "cgroup")]
fn target_cgroup(pid: i32) -> Result<OwnedFd> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|e| {
        Error::from(
            OsError::new(
                Subsystem::Process,
                Operation::Stage(Stage::IntoCgroup),
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
            )
            .pid(pid),
        )
    })?;
    let rel = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or_else(|| {
            Error::unsupported(
                Subsystem::Process,
                crate::error::Feature::CgroupV2,
                format!("pid {pid} has no cgroup v2 membership"),
            )
        })?;
    let root = crate::cgroup::hierarchy()?.mount_point;
    let dir = root.join(rel.trim_start_matches('/'));
    rustix::fs::open(
        &dir,
        rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| {
        OsError::new(Subsystem::Process, Operation::Stage(Stage::IntoCgroup), e)
            .path(dir)
            .into()
    })
}

#[cfg(not(feature = "cgroup"))]
fn target_cgroup(pid: i32) -> Result<OwnedFd> {
    Err(Error::unsupported(
        Subsystem::Process,
        crate::error::Feature::CgroupV2,
        format!("joining the cgroup of pid {pid} needs the cgroup feature"),
    ))
}

fn stage_err(stage: Stage, errno: Errno) -> Error {
    OsError::new(Subsystem::Process, Operation::Stage(stage), errno).into()
}

fn connect_unix(path: &Path) -> Result<OwnedFd> {
    let sock = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| {
        Error::from(
            OsError::new(Subsystem::Process, Operation::Stage(Stage::ConnectUnix), e).path(path),
        )
    })?;
    let addr = rustix::net::SocketAddrUnix::new(path).map_err(|e| {
        Error::from(
            OsError::new(Subsystem::Process, Operation::Stage(Stage::ConnectUnix), e).path(path),
        )
    })?;
    rustix::net::connect(&sock, &addr).map_err(|e| {
        Error::from(
            OsError::new(Subsystem::Process, Operation::Stage(Stage::ConnectUnix), e).path(path),
        )
    })?;
    Ok(sock)
}
