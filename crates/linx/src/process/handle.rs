//! The parent side: parked and running handles, waiting, signalling, dropping.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustix::io::Errno;

use super::child::{recv_frame, send_frame, send_frame_with_fd};
use super::command::{Command, DropPolicy, Prepared};
use super::frame::{self, Frame};
use super::pty::Pty;
use super::{ExitStatus, Signal};
use crate::caps::CapPlan;
use crate::error::{Error, Operation, OsError, Result, Stage, StateKind, Subsystem};
use crate::ns::{NsSet, NsTarget};
use crate::tty::WinSize;

/// Process state shared by handles and the reaper.
#[derive(Debug)]
pub(crate) struct Shared {
    pid: i32,
    pidfd: OwnedFd,
    status: Mutex<Option<ExitStatus>>,
    enter: bool,
}

fn stage_err(stage: Stage, e: Errno) -> Error {
    OsError::new(Subsystem::Process, Operation::Stage(stage), e).into()
}

fn no_process(pid: i32) -> Error {
    Error::state(
        Subsystem::Process,
        StateKind::NoProcess,
        Some(format!("pid {pid} was reaped")),
    )
}

impl Shared {
    /// Reaps the child if it has exited; caches and returns its status.
    fn try_reap(&self) -> Result<Option<ExitStatus>> {
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = *status {
            return Ok(Some(s));
        }
        let r = loop {
            match rustix::process::waitid(
                rustix::process::WaitId::PidFd(self.pidfd.as_fd()),
                rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOHANG,
            ) {
                Err(Errno::INTR) => continue,
                other => break other,
            }
        };
        let st = match r {
            Ok(Some(st)) => st,
            Ok(None) => return Ok(None),
            Err(Errno::CHILD) => return Err(no_process(self.pid)),
            Err(e) => {
                return Err(
                    OsError::new(Subsystem::Process, Operation::Syscall("waitid"), e)
                        .pid(self.pid)
                        .into(),
                );
            }
        };
        let exit = if let Some(sig) = st.terminating_signal() {
            ExitStatus::Signaled {
                signal: Signal::new(sig).unwrap_or(Signal::KILL),
                core_dumped: st.dumped(),
            }
        } else {
            ExitStatus::Exited(st.exit_status().unwrap_or(0))
        };
        *status = Some(exit);
        Ok(Some(exit))
    }

    /// Waits until exit (or `timeout`), by polling the pidfd, then reaps. `Ok(None)` on timeout.
    fn wait(&self, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(s) = self.try_reap()? {
                return Ok(Some(s));
            }
            let left = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    Some(left)
                }
                None => None,
            };
            // Wake up now and then to reap other exited linx children: the init of a pid namespace
            // cannot finish exiting while a process of its namespace that is *our* child (an
            // entered workload) waits unreaped, which would otherwise block this wait forever.
            let slice = Duration::from_millis(200);
            let step = Some(left.map_or(slice, |l| l.min(slice)));
            let ready = poll_readable(self.pidfd.as_fd(), step).map_err(|e| {
                Error::from(OsError::new(Subsystem::Process, Operation::Poll, e).pid(self.pid))
            })?;
            if !ready {
                reap_exited_children();
            }
        }
    }

    fn signal(&self, sig: Signal) -> Result<()> {
        if self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            return Err(no_process(self.pid));
        }
        // SAFETY: pidfd_send_signal with a live pidfd, a signal number and no siginfo.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                sig.number(),
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        );
        if e == Errno::SRCH {
            return Err(no_process(self.pid));
        }
        Err(
            OsError::new(Subsystem::Process, Operation::PidfdSendSignal, e)
                .pid(self.pid)
                .into(),
        )
    }

    fn kill_and_reap(&self) {
        let _ = self.signal(Signal::KILL);
        let _ = self.wait(None);
    }
}

/// Every live child handle, so a blocked wait can reap exited siblings (their statuses are cached,
/// so their owners still see them).
fn registry() -> &'static Mutex<Vec<std::sync::Weak<Shared>>> {
    static REGISTRY: OnceLock<Mutex<Vec<std::sync::Weak<Shared>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Vec::new()))
}

fn register(shared: &Arc<Shared>) {
    let mut r = registry().lock().unwrap_or_else(|p| p.into_inner());
    r.retain(|w| w.strong_count() > 0);
    r.push(Arc::downgrade(shared));
}

fn reap_exited_children() {
    let live: Vec<Arc<Shared>> = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter_map(std::sync::Weak::upgrade)
        .collect();
    for s in live {
        let _ = s.try_reap();
    }
}

/// Waits until `fd` is readable or `timeout` passes (retrying EINTR). Returns whether it is.
fn poll_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> rustix::io::Result<bool> {
    let ts = timeout.map(|t| rustix::time::Timespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    let mut fds = [rustix::event::PollFd::new(
        &fd,
        rustix::event::PollFlags::IN,
    )];
    loop {
        match rustix::event::poll(&mut fds, ts.as_ref()) {
            Ok(n) => return Ok(n > 0),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Builds the error for a child that died (EOF on the channel) before finishing a step.
fn died(shared: &Shared) -> Error {
    match shared.wait(None) {
        Ok(Some(ExitStatus::Signaled { signal, .. })) => Error::state(
            Subsystem::Process,
            StateKind::KilledBeforeExec(signal.number()),
            Some(format!("pid {}", shared.pid)),
        ),
        Ok(Some(ExitStatus::Exited(code))) => Error::state(
            Subsystem::Process,
            StateKind::ChildDied,
            Some(format!("pid {} exited with {code}", shared.pid)),
        ),
        Ok(None) => Error::state(Subsystem::Process, StateKind::ChildDied, None),
        Err(e) => e,
    }
}

/// Turns a child `ERR` frame into an error (the child is reaped).
fn child_error(shared: &Shared, f: &Frame, program: &std::path::Path) -> Error {
    let _ = shared.wait(None);
    let Some(stage) = Stage::from_code(f.code) else {
        return Error::protocol(
            Subsystem::Process,
            crate::error::ProtocolKind::Malformed,
            format!("child reported unknown stage code {:#x}", f.code),
        );
    };
    let e = OsError::new(
        Subsystem::Process,
        Operation::Stage(stage),
        Errno::from_raw_os_error(f.errno),
    )
    .pid(shared.pid);
    match stage {
        Stage::Execve => e.path(program).into(),
        _ => e.into(),
    }
}

fn caps_frame(plan: &CapPlan, at_exec: bool) -> Frame {
    let mut f = Frame::new(frame::CMD_CAPS);
    if at_exec {
        f.detail |= frame::CAPS_AT_EXEC;
    }
    if let Some(b) = plan.bounding {
        f.detail |= frame::CAPS_BOUNDING;
        f.values[0] = b.bits();
    }
    if let Some(t) = plan.thread {
        f.detail |= frame::CAPS_THREAD;
        f.values[1] = t.effective.bits();
        f.values[2] = t.permitted.bits();
        f.values[3] = t.inheritable.bits();
    }
    if let Some(a) = plan.ambient {
        f.detail |= frame::CAPS_AMBIENT;
        f.values[4] = a.bits();
    }
    if let Some(s) = plan.securebits {
        f.detail |= frame::CAPS_SECUREBITS;
        f.values[5] |= u64::from(s.bits());
    }
    if let Some(k) = plan.keep_caps {
        f.detail |= frame::CAPS_KEEPCAPS;
        f.values[5] |= u64::from(k) << 32;
    }
    f
}

/// Spawns from a prepared plan (called by [`Command::spawn`]).
pub(crate) fn spawn_prepared(cmd: &Command, prepared: &mut Prepared) -> Result<Parked> {
    let flags = u64::from((cmd.get_namespaces() - NsSet::TIME).bits());
    let cloned = super::spawner::clone_child(&prepared.plan, flags, prepared.cgroup_raw())
        .map_err(|(stage, e)| stage_err(stage, e))?;
    // The child has its copies now; close ours so EOF and hang-ups work.
    prepared.res.child_fds.clear();
    let ctrl = prepared
        .parent_ctrl
        .take()
        .ok_or_else(|| stage_err(Stage::ControlChannel, Errno::BADF))?;
    let (pid, pidfd, early) = if cmd.enter_mode() {
        workload_of_intermediate(cmd, &ctrl, cloned.pid, cloned.pidfd)?
    } else {
        (cloned.pid, cloned.pidfd, None)
    };
    let shared = Arc::new(Shared {
        pid,
        pidfd,
        status: Mutex::new(None),
        enter: cmd.enter_mode(),
    });
    register(&shared);
    let guard = KillOnError(Some(&shared));
    if !cloned.in_cgroup
        && let Some(cg) = prepared.cgroup_fd()
    {
        join_cgroup(cg, pid)?;
    }
    // Wait for the ready report.
    if early.is_none()
        && let Some(t) = cmd.spawn_timeout_value()
        && !poll_readable(ctrl.as_fd(), Some(t)).map_err(|e| stage_err(Stage::ReadyFrame, e))?
    {
        return Err(Error::timeout(
            Subsystem::Process,
            Operation::Stage(Stage::ReadyFrame),
            t,
        ));
    }
    let report = match early {
        Some(f) => Some((f, -1)),
        None => recv_frame(ctrl.as_raw_fd()),
    };
    let ns_pid = match report {
        Some((f, _)) if f.kind == frame::READY => f.values[0] as i32,
        Some((f, _)) if f.kind == frame::ERR => {
            guard.disarm();
            return Err(child_error(&shared, &f, cmd.get_program()));
        }
        Some((f, _)) => {
            return Err(Error::protocol(
                Subsystem::Process,
                crate::error::ProtocolKind::UnexpectedMessage,
                format!("expected the ready frame, got kind {}", f.kind),
            ));
        }
        None => {
            guard.disarm();
            return Err(died(&shared));
        }
    };
    if let Some(o) = cmd.time_offsets_value() {
        write_time_offsets(pid, o)?;
    }
    guard.disarm();
    let pipes = std::mem::take(&mut prepared.res.pipes);
    Ok(Parked {
        shared,
        ns_pid,
        ctrl: Some(ctrl),
        program: cmd.get_program().to_path_buf(),
        pty: prepared.pty.take(),
        pipes,
        poisoned: None,
        queued: Vec::new(),
        drop_policy: cmd.drop_policy_value(),
        listeners: Vec::new(),
        exec_by_fd: cmd.exec_by_fd(),
    })
}

/// Starts from a prepared straight plan (called by [`Command::start`] when nothing is to be done
/// at the checkpoint): a vfork-style clone, then the exec report.
pub(crate) fn start_prepared(cmd: &Command, prepared: &mut Prepared) -> Result<Running> {
    let flags = u64::from((cmd.get_namespaces() - NsSet::TIME).bits());
    let cloned = super::spawner::clone_child_vfork(&prepared.plan, flags)
        .map_err(|(stage, e)| stage_err(stage, e))?;
    prepared.res.child_fds.clear();
    let shared = Arc::new(Shared {
        pid: cloned.pid,
        pidfd: cloned.pidfd,
        status: Mutex::new(None),
        enter: false,
    });
    register(&shared);
    let guard = KillOnError(Some(&shared));
    let ctrl = prepared
        .parent_ctrl
        .take()
        .ok_or_else(|| stage_err(Stage::ControlChannel, Errno::BADF))?;
    let mut listeners = Vec::new();
    await_exec(&shared, &ctrl, cmd.get_program(), &mut listeners)?;
    guard.disarm();
    // The first process of a new pid namespace is its pid 1.
    let ns_pid = if cmd.get_namespaces().contains(NsSet::PID) {
        1
    } else {
        shared.pid
    };
    Ok(Running {
        ns_pid,
        shared,
        pty: prepared.pty.take(),
        pipes: std::mem::take(&mut prepared.res.pipes),
        drop_policy: cmd.drop_policy_value(),
        listeners,
    })
}

/// Reads the child's last reports after it was released: its pre-exec marker, seccomp listener
/// descriptors, then end-of-file when exec closed the channel (success) or an `ERR` frame with the
/// failing stage. The child is reaped on every error.
fn await_exec(
    shared: &Shared,
    ctrl: &OwnedFd,
    program: &std::path::Path,
    listeners: &mut Vec<OwnedFd>,
) -> Result<()> {
    let mut marker = false;
    loop {
        match recv_frame(ctrl.as_raw_fd()) {
            Some((f, _)) if f.kind == frame::MARKER => marker = true,
            Some((f, attached)) if f.kind == frame::ACK && marker && attached >= 0 => {
                // SAFETY: a descriptor received with SCM_RIGHTS, owned by nobody else.
                listeners.push(unsafe { OwnedFd::from_raw_fd(attached) });
            }
            Some((f, _)) if f.kind == frame::ERR => {
                return Err(child_error(shared, &f, program));
            }
            Some((f, _)) => {
                return Err(Error::protocol(
                    Subsystem::Process,
                    crate::error::ProtocolKind::UnexpectedMessage,
                    format!("unexpected frame kind {} during exec", f.kind),
                ));
            }
            None if marker => return Ok(()),
            None => return Err(died(shared)),
        }
    }
}

/// Enter mode: the intermediate child joins the target's namespaces and reports the workload's
/// pidfd (or a failure); then it exits and is reaped here.
///
/// The intermediate and the workload share the control channel, and the workload may report
/// (ready, or a failure) before the intermediate hands over its pidfd: such frames are kept and
/// returned, so the workload is always known — and reaped — whatever order the frames arrive in.
fn workload_of_intermediate(
    cmd: &Command,
    ctrl: &OwnedFd,
    pid: i32,
    pidfd: OwnedFd,
) -> Result<(i32, OwnedFd, Option<Frame>)> {
    let intermediate = Shared {
        pid,
        pidfd,
        status: Mutex::new(None),
        enter: true,
    };
    let mut early: Option<Frame> = None;
    let result = loop {
        match recv_frame(ctrl.as_raw_fd()) {
            Some((f, attached)) if f.kind == super::child::PIDFD && attached >= 0 => {
                // SAFETY: a pidfd received with SCM_RIGHTS, owned by nobody else.
                let fd = unsafe { OwnedFd::from_raw_fd(attached) };
                break Ok((f.values[0] as i32, fd));
            }
            // A report of the workload (or the intermediate's own failure) before the pidfd.
            Some((f, _)) if (f.kind == frame::READY || f.kind == frame::ERR) && early.is_none() => {
                early = Some(f);
            }
            Some((f, _)) => {
                break Err(Error::protocol(
                    Subsystem::Process,
                    crate::error::ProtocolKind::UnexpectedMessage,
                    format!("expected the workload's pidfd, got frame kind {}", f.kind),
                ));
            }
            // No pidfd will come: the intermediate failed (its report, if any, is in `early`).
            None => {
                break Err(match early {
                    Some(f) if f.kind == frame::ERR => {
                        child_error(&intermediate, &f, cmd.get_program())
                    }
                    _ => died(&intermediate),
                });
            }
        }
    };
    // The intermediate exits right after handing over the pidfd.
    intermediate.wait(None)?;
    let (pid, fd) = result?;
    Ok((pid, fd, early))
}

/// Kills and reaps the child if spawning fails half-way.
struct KillOnError<'a>(Option<&'a Arc<Shared>>);

impl KillOnError<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnError<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.0 {
            s.kill_and_reap();
        }
    }
}

fn join_cgroup(cgroup: BorrowedFd<'_>, pid: i32) -> Result<()> {
    let fd = rustix::fs::openat(
        cgroup,
        "cgroup.procs",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| stage_err(Stage::IntoCgroup, e))?;
    rustix::io::write(&fd, pid.to_string().as_bytes())
        .map_err(|e| stage_err(Stage::IntoCgroup, e))?;
    Ok(())
}

fn write_time_offsets(pid: i32, o: super::TimeOffsets) -> Result<()> {
    let text = format!(
        "monotonic {} {}\nboottime {} {}\n",
        o.monotonic.as_secs(),
        o.monotonic.subsec_nanos(),
        o.boottime.as_secs(),
        o.boottime.subsec_nanos()
    );
    let path = format!("/proc/{pid}/timens_offsets");
    std::fs::write(&path, text).map_err(|e| {
        Error::from(
            OsError::new(
                Subsystem::Process,
                Operation::Stage(Stage::TimeOffsets),
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
            )
            .path(path),
        )
    })
}

/// Where a spawned or entered process is in its life (spec PROC-38). A handle only ever exists
/// from `Ready` on; failures before that are returned as errors from `spawn`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Parked at the checkpoint.
    Ready,
    /// Exec'd and not yet reaped.
    Running,
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(Signal),
    /// A checkpoint command failed at this stage (parked, poisoned).
    Failed(Stage, Errno),
}

/// A snapshot of a process handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// True for enter mode, false for spawn.
    pub enter: bool,
    /// The state.
    pub state: State,
    /// Host pid.
    pub pid: i32,
    /// Pid inside its pid namespace.
    pub ns_pid: i32,
    /// Whether it runs on a PTY.
    pub pty: bool,
}

impl std::fmt::Display for Info {
    /// `spawn/ready pid 12345 (ns 1)`, `enter/exited(0) pid 12345 pty`,
    /// `spawn/failed(cap-set-ambient: EPERM) pid 12345`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/", if self.enter { "enter" } else { "spawn" })?;
        match self.state {
            State::Ready => f.write_str("ready")?,
            State::Running => f.write_str("running")?,
            State::Exited(c) => write!(f, "exited({c})")?,
            State::Signaled(s) => write!(f, "signaled({s})")?,
            State::Failed(stage, errno) => write!(
                f,
                "failed({stage}: {})",
                crate::error::errno_name(errno.raw_os_error()).unwrap_or("?")
            )?,
        }
        write!(f, " pid {}", self.pid)?;
        if self.ns_pid != self.pid {
            write!(f, " (ns {})", self.ns_pid)?;
        }
        if self.pty {
            f.write_str(" pty")?;
        }
        Ok(())
    }
}

/// A child parked at the checkpoint: cloned into its namespaces, not yet running the program.
///
/// While parked, configure it from outside (user maps, cgroup, network, mounts, sysctl — through
/// [`pid`](Parked::pid) or [`target`](Parked::target)) and queue the changes it must make to itself
/// ([`caps`](Parked::caps), [`seccomp_bpf`](Parked::seccomp_bpf)). Then [`proceed`](Parked::proceed)
/// or [`abort`](Parked::abort). Dropping a parked child aborts it.
#[derive(Debug)]
pub struct Parked {
    shared: Arc<Shared>,
    ns_pid: i32,
    ctrl: Option<OwnedFd>,
    program: PathBuf,
    pty: Option<Pty>,
    pipes: [Option<OwnedFd>; 3],
    poisoned: Option<(Stage, Errno)>,
    queued: Vec<Signal>,
    drop_policy: DropPolicy,
    listeners: Vec<OwnedFd>,
    exec_by_fd: bool,
}

impl Parked {
    /// The child's pid in the caller's pid namespace.
    pub fn pid(&self) -> i32 {
        self.shared.pid
    }

    /// The child's pid inside its own pid namespace (1 in a new one).
    pub fn ns_pid(&self) -> i32 {
        self.ns_pid
    }

    /// A namespace target naming this child (by a duplicate of its pidfd).
    pub fn target(&self) -> Result<NsTarget> {
        target_of(&self.shared)
    }

    /// A duplicate of the child's pidfd (for id maps, capability reads, sysctl targets …).
    pub fn pidfd(&self) -> Result<crate::pidfd::Pidfd> {
        let dup = rustix::io::fcntl_dupfd_cloexec(&self.shared.pidfd, 0).map_err(|e| {
            Error::from(OsError::new(
                Subsystem::Process,
                Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
                e,
            ))
        })?;
        Ok(crate::pidfd::Pidfd::from_owned(dup, self.shared.pid))
    }

    /// A snapshot of mode, state and pids (`spawn/ready pid 12345 (ns 1)`).
    pub fn info(&self) -> Info {
        Info {
            enter: self.shared.enter,
            state: match self.poisoned {
                Some((stage, errno)) => State::Failed(stage, errno),
                None => State::Ready,
            },
            pid: self.shared.pid,
            ns_pid: self.ns_pid,
            pty: self.pty.is_some(),
        }
    }

    /// The PTY, for PTY sessions.
    pub fn pty(&self) -> Option<&Pty> {
        self.pty.as_ref()
    }

    /// Sets the PTY window size (no signal is delivered while parked).
    ///
    /// # Errors
    /// `NoPty` for sessions without a PTY.
    pub fn set_pty_size(&self, size: WinSize) -> Result<()> {
        match &self.pty {
            Some(p) => p.set_winsize(size),
            None => Err(Error::state(Subsystem::Process, StateKind::NoPty, None)),
        }
    }

    /// The parent end of a `Stdio::Pipe` stdin.
    pub fn take_stdin(&mut self) -> Option<File> {
        self.pipes[0].take().map(File::from)
    }

    /// The parent end of a `Stdio::Pipe` stdout.
    pub fn take_stdout(&mut self) -> Option<File> {
        self.pipes[1].take().map(File::from)
    }

    /// The parent end of a `Stdio::Pipe` stderr.
    pub fn take_stderr(&mut self) -> Option<File> {
        self.pipes[2].take().map(File::from)
    }

    /// Queues a signal, delivered right after exec succeeds (killing a parked child is `abort`).
    pub fn queue_signal(&mut self, sig: Signal) {
        self.queued.push(sig);
    }

    fn command(&mut self, f: &Frame, fd: Option<BorrowedFd<'_>>) -> Result<Option<OwnedFd>> {
        if let Some((stage, _)) = self.poisoned {
            return Err(Error::state(
                Subsystem::Process,
                StateKind::Poisoned,
                Some(format!("an earlier checkpoint command failed at {stage}")),
            ));
        }
        let ctrl = self
            .ctrl
            .as_ref()
            .ok_or_else(|| stage_err(Stage::ControlChannel, Errno::BADF))?
            .as_raw_fd();
        let sent = match fd {
            Some(fd) => send_frame_with_fd(ctrl, f, fd.as_raw_fd()),
            None => send_frame(ctrl, f),
        };
        if !sent {
            return Err(died(&self.shared));
        }
        match recv_frame(ctrl) {
            Some((r, attached)) if r.kind == frame::ACK => Ok((attached >= 0).then(|| {
                // SAFETY: a descriptor just received with SCM_RIGHTS, owned by nobody else.
                unsafe { OwnedFd::from_raw_fd(attached) }
            })),
            Some((r, _)) if r.kind == frame::ERR => {
                let stage = Stage::from_code(r.code).unwrap_or(Stage::MalformedFrame);
                self.poisoned = Some((stage, Errno::from_raw_os_error(r.errno)));
                let mut e = OsError::new(
                    Subsystem::Process,
                    Operation::Stage(stage),
                    Errno::from_raw_os_error(r.errno),
                )
                .pid(self.shared.pid);
                if let Some(cap) = u8::try_from(r.detail)
                    .ok()
                    .and_then(crate::caps::Cap::from_number)
                {
                    e = e.object(format!("capability {cap}"));
                }
                Err(e.into())
            }
            Some((r, _)) => Err(Error::protocol(
                Subsystem::Process,
                crate::error::ProtocolKind::UnexpectedMessage,
                format!("unexpected frame kind {} from the child", r.kind),
            )),
            None => Err(died(&self.shared)),
        }
    }

    /// Makes the child apply a capability plan to itself **now** (bounding drops, securebits,
    /// keep-caps, thread sets, ambient set — in that order), acknowledged synchronously. The plan
    /// is checked for consistency first ([`CapPlan::validate`]); what the kernel refuses given the
    /// child's current sets comes back from the child (use [`CapPlan::validate_for`] with
    /// `linx::caps::read(parked.pid())` to refuse those up front).
    ///
    /// # Errors
    /// Input errors from validation; the failing step as a stage (`cap-drop-bounding`,
    /// `securebits`, `cap-set-thread`, `cap-set-ambient`) with errno and the capability involved.
    /// After a kernel refusal the child is poisoned: `proceed` refuses, `abort` works.
    pub fn caps(&mut self, plan: &CapPlan) -> Result<()> {
        plan.validate()?;
        self.command(&caps_frame(plan, false), None).map(|_| ())
    }

    /// Like [`caps`](Parked::caps), but the child applies the plan as part of its exec sequence:
    /// bounding drops, securebits and keep-caps before the uid/gid switch, thread sets and the
    /// ambient set after it — the order a workload with its own credentials needs.
    ///
    /// # Errors
    /// Input errors from [`CapPlan::validate`]; failures surface from `proceed` with their stage.
    pub fn caps_at_exec(&mut self, plan: &CapPlan) -> Result<()> {
        plan.validate()?;
        self.command(&caps_frame(plan, true), None).map(|_| ())
    }

    /// Queues a compiled seccomp filter, installed as the child's **last step before `execve`**
    /// (after stdio, chdir, capabilities and credentials), so only `execve` runs under it before
    /// the program (spec PROC-24). Filters keep their order.
    ///
    /// A filter whose verdict for `execve` (or `execveat`, for exec-by-fd) is neither Allow nor
    /// Log would kill or fail the program before it starts; it is refused here (checked with the
    /// seccomp interpreter) unless `unchecked`. With [`InstallFlags::NEW_LISTENER`](crate::seccomp::InstallFlags::NEW_LISTENER) the listener
    /// arrives with the running handle ([`Running::take_seccomp_listeners`]); the filter must then
    /// also allow `sendmsg` for the hand-off.
    ///
    /// Installing needs `no_new_privs` (see [`Command::no_new_privs`]) or `CAP_SYS_ADMIN`.
    ///
    /// # Errors
    /// Input error for a filter that refuses exec; install failures surface from `proceed` with
    /// stage `seccomp-install`.
    pub fn seccomp(
        &mut self,
        filter: &crate::seccomp::Filter,
        flags: crate::seccomp::InstallFlags,
        unchecked: bool,
    ) -> Result<()> {
        if !unchecked {
            let arch = filter.arch();
            let exec = if self.exec_by_fd {
                "execveat"
            } else {
                "execve"
            };
            if let Some(nr) = arch.syscall_number(exec) {
                let verdict = filter.verdict_for(arch.audit_arch(), nr as i32, [0; 6]);
                if !matches!(
                    verdict,
                    crate::seccomp::Action::Allow | crate::seccomp::Action::Log
                ) {
                    return Err(Error::input(
                        Subsystem::Process,
                        "seccomp filter",
                        filter.to_string(),
                        format!(
                            "its verdict for {exec} is {verdict}: the program could never start"
                        ),
                    ));
                }
            }
        }
        self.seccomp_bpf(&filter.to_bytes(), flags.bits(), false)
            .map(|_| ())
    }

    /// Installs a compiled seccomp filter in the parked child **now** (Linx's behaviour): it then
    /// also polices the child's remaining pre-exec steps. Returns the listener fd when
    /// [`InstallFlags::NEW_LISTENER`](crate::seccomp::InstallFlags::NEW_LISTENER) is set.
    ///
    /// # Errors
    /// Stage `seccomp-install` with the kernel's errno; `KilledBeforeExec` if the filter kills the
    /// child's own acknowledgement.
    pub fn seccomp_now(
        &mut self,
        filter: &crate::seccomp::Filter,
        flags: crate::seccomp::InstallFlags,
    ) -> Result<Option<OwnedFd>> {
        self.seccomp_bpf(&filter.to_bytes(), flags.bits(), true)
    }

    /// Queues a raw classic-BPF seccomp program (`struct sock_filter` array, 8 bytes per
    /// instruction) to be installed as the child's **last step before `execve`**; filters keep
    /// their order. With `immediate`, it is installed at once instead (then it also polices the
    /// child's remaining pre-exec steps). `flags` are `SECCOMP_FILTER_FLAG_*`; with
    /// `NEW_LISTENER` the listener fd is returned (immediate mode) or collected at exec (see
    /// [`Running::take_seccomp_listeners`]).
    ///
    /// Installing a filter requires `no_new_privs` or `CAP_SYS_ADMIN`; every filter after the first
    /// must allow `seccomp(2)`.
    ///
    /// # Errors
    /// Input error for an empty, misaligned or oversized program (before anything is sent).
    pub fn seccomp_bpf(
        &mut self,
        program: &[u8],
        flags: u32,
        immediate: bool,
    ) -> Result<Option<OwnedFd>> {
        if program.is_empty() || program.len() % 8 != 0 || program.len() / 8 > 4096 {
            return Err(Error::input(
                Subsystem::Process,
                "seccomp program",
                format!("{} bytes", program.len()),
                "must be 1..=4096 instructions of 8 bytes",
            ));
        }
        let memfd = rustix::fs::memfd_create("linx-seccomp", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|e| stage_err(Stage::SeccompInstall, e))?;
        let mut written = 0;
        while written < program.len() {
            written += rustix::io::write(&memfd, &program[written..])
                .map_err(|e| stage_err(Stage::SeccompInstall, e))?;
        }
        let mut f = Frame::new(frame::CMD_SECCOMP);
        f.detail = flags;
        f.values[0] = program.len() as u64;
        f.values[1] = u64::from(immediate);
        self.command(&f, Some(memfd.as_fd()))
    }

    /// Releases the child to `execve`.
    ///
    /// Returns once exec succeeded (the control channel reaches end-of-file after the child's
    /// final pre-exec marker), then delivers queued signals.
    ///
    /// # Errors
    /// The failing stage and errno (e.g. `process: execve /no/such/bin: ENOENT (errno 2)`), a
    /// `Poisoned` state error after a failed checkpoint command, `KilledBeforeExec` when a signal
    /// killed the child before its pre-exec marker, `ChildDied` when it exited early. The child is
    /// reaped in every error case.
    pub fn proceed(mut self) -> Result<Running> {
        if let Some((stage, _)) = self.poisoned {
            return Err(Error::state(
                Subsystem::Process,
                StateKind::Poisoned,
                Some(format!(
                    "a checkpoint command failed at {stage}; only abort is possible"
                )),
            ));
        }
        let ctrl = self
            .ctrl
            .take()
            .ok_or_else(|| stage_err(Stage::ControlChannel, Errno::BADF))?;
        if !send_frame(ctrl.as_raw_fd(), &Frame::new(frame::CMD_PROCEED)) {
            return Err(died(&self.shared));
        }
        await_exec(&self.shared, &ctrl, &self.program, &mut self.listeners)?;
        let running = Running {
            shared: Arc::clone(&self.shared),
            ns_pid: self.ns_pid,
            pty: self.pty.take(),
            pipes: std::mem::take(&mut self.pipes),
            drop_policy: self.drop_policy,
            listeners: std::mem::take(&mut self.listeners),
        };
        for sig in std::mem::take(&mut self.queued) {
            running.signal(sig)?;
        }
        Ok(running)
    }

    /// Discards the child: it exits without exec (reserved code 253) and is reaped. The program
    /// never runs.
    pub fn abort(mut self) -> Result<()> {
        self.abort_inner()
    }

    fn abort_inner(&mut self) -> Result<()> {
        if let Some(ctrl) = self.ctrl.take() {
            // If the child is already gone, sending fails; closing the channel also makes it exit.
            send_frame(ctrl.as_raw_fd(), &Frame::new(frame::CMD_ABORT));
            drop(ctrl);
            self.shared.wait(None)?;
        }
        Ok(())
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        if self.ctrl.is_some() {
            let _ = self.abort_inner();
        }
    }
}

fn target_of(shared: &Shared) -> Result<NsTarget> {
    let dup = rustix::io::fcntl_dupfd_cloexec(&shared.pidfd, 0).map_err(|e| {
        Error::from(OsError::new(
            Subsystem::Process,
            Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
            e,
        ))
    })?;
    Ok(NsTarget::pidfd(crate::pidfd::Pidfd::from_owned(
        dup, shared.pid,
    )))
}

/// A child that has exec'd its program.
///
/// Signals go through the pidfd, so a recycled pid can never be hit; waiting polls the pidfd
/// and reaps with `waitid(P_PIDFD)`; every waiter (from any thread) gets the same cached status.
/// Dropping follows the [`DropPolicy`] (default: kill and reap).
#[derive(Debug)]
pub struct Running {
    shared: Arc<Shared>,
    ns_pid: i32,
    pty: Option<Pty>,
    pipes: [Option<OwnedFd>; 3],
    drop_policy: DropPolicy,
    listeners: Vec<OwnedFd>,
}

impl Running {
    /// The pid in the caller's pid namespace.
    pub fn pid(&self) -> i32 {
        self.shared.pid
    }

    /// The pid inside its own pid namespace.
    pub fn ns_pid(&self) -> i32 {
        self.ns_pid
    }

    /// A namespace target naming this process.
    pub fn target(&self) -> Result<NsTarget> {
        target_of(&self.shared)
    }

    /// A snapshot of mode, state and pids (`enter/exited(0) pid 12345 pty`).
    pub fn info(&self) -> Info {
        let status = *self.shared.status.lock().unwrap_or_else(|p| p.into_inner());
        Info {
            enter: self.shared.enter,
            state: match status {
                None => State::Running,
                Some(ExitStatus::Exited(c)) => State::Exited(c),
                Some(ExitStatus::Signaled { signal, .. }) => State::Signaled(signal),
            },
            pid: self.shared.pid,
            ns_pid: self.ns_pid,
            pty: self.pty.is_some(),
        }
    }

    /// Sends a signal via `pidfd_send_signal(2)`.
    ///
    /// # Errors
    /// `NoProcess` once the child has been reaped.
    pub fn signal(&self, sig: Signal) -> Result<()> {
        self.shared.signal(sig)
    }

    /// Waits for the exit and reaps.
    pub fn wait(&self) -> Result<ExitStatus> {
        self.shared
            .wait(None)?
            .ok_or_else(|| Error::state(Subsystem::Process, StateKind::NoProcess, None))
    }

    /// Waits at most `timeout`; `Ok(None)` leaves the child untouched.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<ExitStatus>> {
        self.shared.wait(Some(timeout))
    }

    /// Reaps if it has exited, without blocking.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>> {
        self.shared.try_reap()
    }

    /// The PTY, for PTY sessions.
    pub fn pty(&self) -> Option<&Pty> {
        self.pty.as_ref()
    }

    /// The parent end of a `Stdio::Pipe` stdin.
    pub fn take_stdin(&mut self) -> Option<File> {
        self.pipes[0].take().map(File::from)
    }

    /// The parent end of a `Stdio::Pipe` stdout.
    pub fn take_stdout(&mut self) -> Option<File> {
        self.pipes[1].take().map(File::from)
    }

    /// The parent end of a `Stdio::Pipe` stderr.
    pub fn take_stderr(&mut self) -> Option<File> {
        self.pipes[2].take().map(File::from)
    }

    /// Seccomp user-notification listeners of filters installed before exec.
    pub fn take_seccomp_listeners(&mut self) -> Vec<OwnedFd> {
        std::mem::take(&mut self.listeners)
    }

    /// Changes what dropping this handle does.
    pub fn set_drop_policy(&mut self, p: DropPolicy) {
        self.drop_policy = p;
    }
}

impl AsFd for Running {
    /// The pidfd (readable when the process exits).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.pidfd.as_fd()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        match self.drop_policy {
            DropPolicy::Kill => self.shared.kill_and_reap(),
            DropPolicy::Detach => reaper(Arc::clone(&self.shared)),
        }
    }
}

/// Hands a detached child to the background reaper thread, which reaps it when it exits so no
/// zombie remains.
fn reaper(shared: Arc<Shared>) {
    static REAPER: OnceLock<Mutex<std::sync::mpsc::Sender<Arc<Shared>>>> = OnceLock::new();
    let tx = REAPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Arc<Shared>>();
        let started = std::thread::Builder::new()
            .name("linx-reaper".into())
            .spawn(move || {
                let mut pending: Vec<Arc<Shared>> = Vec::new();
                loop {
                    match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(s) => pending.push(s),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                            if pending.is_empty() {
                                return;
                            }
                        }
                    }
                    pending.retain(|s| !matches!(s.try_reap(), Ok(Some(_)) | Err(_)));
                }
            });
        if let Err(e) = started {
            log::error!("linx: cannot start the reaper thread: {e}");
        }
        Mutex::new(tx)
    });
    let sent = tx
        .lock()
        .map(|tx| tx.send(Arc::clone(&shared)).is_ok())
        .unwrap_or(false);
    if !sent {
        // No reaper: fall back to killing, so no zombie is left.
        shared.kill_and_reap();
    }
}
