//! The one error type shared by every linx subsystem.
//!
//! Errors travel in lanes, so a caller can tell *whose* mistake it was:
//!
//! | lane | variant | meaning |
//! |---|---|---|
//! | input | [`Error::Input`] | the caller passed a bad value; caught before any syscall |
//! | OS | [`Error::Os`] | the kernel refused: operation, errno (name and number) and context |
//! | state | [`Error::State`] | a lifecycle condition (not running, already exited, poisoned …) |
//! | — | [`Error::Unsupported`] | a kernel feature probe failed on this host |
//! | — | [`Error::Timeout`] | a bounded wait expired; the object stays usable |
//! | — | [`Error::Protocol`] | the kernel (or a child) sent malformed data |
//! | — | [`Error::Overrun`] | a netlink receive buffer overflowed: messages were lost, re-dump |
//! | — | [`Error::DumpInterrupted`] | a dump stayed inconsistent after its retries |
//!
//! Every error has a one-line [`Display`](std::fmt::Display) of the form
//! `<subsystem>: <operation> <context>: <ERRNO> (errno N)[: <extended ack>]`, for example
//! `netlink: RTM_GETLINK "nosuchif0": ENODEV (errno 19)` or `mount: umount /mnt/x: EINVAL (errno 22)`,
//! and converts into [`std::io::Error`] keeping itself as the source.
//!
//! ```
//! use linx::error::{Error, OsError, Operation, Subsystem, Errno};
//! let err: Error = OsError::new(Subsystem::Netlink, Operation::netlink("RTM_GETLINK", 18), Errno::NODEV)
//!     .interface("nosuchif0")
//!     .into();
//! assert_eq!(err.to_string(), r#"netlink: RTM_GETLINK "nosuchif0": ENODEV (errno 19)"#);
//! assert_eq!(err.errno(), Some(Errno::NODEV));
//! ```

mod errno;
mod stage;

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use errno::{errno_from_name, errno_name};
pub use rustix::io::Errno;
pub use stage::{Stage, all_stages};

pub use crate::ns::NsKind;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The linx module an error comes from; the first word of every message.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subsystem {
    /// Netlink transport and rtnetlink.
    Netlink,
    /// nf_tables and NFLOG.
    Netfilter,
    /// Namespace targeting and entry.
    Namespace,
    /// Process spawning and the checkpoint.
    Process,
    /// cgroup v2.
    Cgroup,
    /// Mounts and mountinfo.
    Mount,
    /// User namespaces and id maps.
    User,
    /// Capabilities.
    Caps,
    /// Seccomp.
    Seccomp,
    /// Sysctl.
    Sysctl,
    /// Terminals and PTYs.
    Tty,
    /// Reconcile loops.
    Reconcile,
    /// Value types (prefixes, MAC addresses, interface names).
    Types,
}

impl Subsystem {
    /// The lowercase name used as the first word of messages.
    pub fn name(self) -> &'static str {
        match self {
            Subsystem::Netlink => "netlink",
            Subsystem::Netfilter => "netfilter",
            Subsystem::Namespace => "ns",
            Subsystem::Process => "process",
            Subsystem::Cgroup => "cgroup",
            Subsystem::Mount => "mount",
            Subsystem::User => "user",
            Subsystem::Caps => "caps",
            Subsystem::Seccomp => "seccomp",
            Subsystem::Sysctl => "sysctl",
            Subsystem::Tty => "tty",
            Subsystem::Reconcile => "reconcile",
            Subsystem::Types => "types",
        }
    }
}

impl fmt::Display for Subsystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operation that failed: a system call, a file access, or a netlink request.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `open(2)`/`openat(2)` of a file.
    Open,
    /// Reading a file or descriptor.
    Read,
    /// Writing a file or descriptor.
    Write,
    /// `stat(2)`-family call.
    Stat,
    /// An `ioctl(2)`, by request name.
    Ioctl(&'static str),
    /// `pidfd_open(2)`.
    PidfdOpen,
    /// `pidfd_send_signal(2)`.
    PidfdSendSignal,
    /// `setns(2)` into a namespace of the given kind.
    SetNs(NsKind),
    /// `unshare(2)`, naming what was unshared (`"fs"`, `"net"`, …).
    Unshare(&'static str),
    /// Starting the dedicated thread that enters a namespace.
    SpawnThread,
    /// `socket(2)`.
    Socket,
    /// `bind(2)`.
    Bind,
    /// `getsockname(2)`.
    GetSockName,
    /// `setsockopt(2)`, by option name.
    SetSockOpt(&'static str),
    /// `getsockopt(2)`, by option name.
    GetSockOpt(&'static str),
    /// Sending a datagram or message.
    Send,
    /// Receiving a datagram or message.
    Recv,
    /// `poll(2)` while waiting for a reply or event.
    Poll,
    /// A netlink request, by message type name (`RTM_GETLINK`) and number.
    Netlink {
        /// Symbolic name of the request's message type.
        name: &'static str,
        /// Numeric message type.
        msg_type: u16,
    },
    /// Any other system call, by name.
    Syscall(&'static str),
    /// A stage of spawning a process (the child reports failures by stage).
    Stage(Stage),
    /// A cgroup operation, named by what it does (spec CG-21).
    Cgroup(CgroupOp),
}

impl Operation {
    /// A netlink request operation.
    pub const fn netlink(name: &'static str, msg_type: u16) -> Operation {
        Operation::Netlink { name, msg_type }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Open => f.write_str("open"),
            Operation::Read => f.write_str("read"),
            Operation::Write => f.write_str("write"),
            Operation::Stat => f.write_str("stat"),
            Operation::Ioctl(name) => write!(f, "ioctl {name}"),
            Operation::PidfdOpen => f.write_str("pidfd_open"),
            Operation::PidfdSendSignal => f.write_str("pidfd_send_signal"),
            Operation::SetNs(kind) => write!(f, "setns({kind})"),
            Operation::Unshare(what) => write!(f, "unshare({what})"),
            Operation::SpawnThread => f.write_str("spawn namespace thread"),
            Operation::Socket => f.write_str("socket"),
            Operation::Bind => f.write_str("bind"),
            Operation::GetSockName => f.write_str("getsockname"),
            Operation::SetSockOpt(name) => write!(f, "setsockopt({name})"),
            Operation::GetSockOpt(name) => write!(f, "getsockopt({name})"),
            Operation::Send => f.write_str("send"),
            Operation::Recv => f.write_str("recv"),
            Operation::Poll => f.write_str("poll"),
            Operation::Netlink { name, .. } => f.write_str(name),
            Operation::Syscall(name) => f.write_str(name),
            Operation::Stage(stage) => write!(f, "{stage}"),
            Operation::Cgroup(op) => write!(f, "{op}"),
        }
    }
}

/// What a failing cgroup operation was doing (spec CG-21): the file-level failure (open,
/// read, write, mkdir …) is reported under the verb the caller used.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CgroupOp {
    /// Creating a cgroup directory (`mkdir`).
    Create,
    /// Removing a cgroup directory (`rmdir`).
    Remove,
    /// Reading a control file.
    Read,
    /// Writing a control file (limits, weights, `subtree_control` …).
    Write,
    /// Moving a process or thread in (`cgroup.procs`, `cgroup.threads`).
    AddProcess,
    /// Reading statistics (`*.stat`, `*.events`, pressure files).
    Stats,
    /// Freezing or thawing (`cgroup.freeze`).
    Freeze,
    /// Killing every process (`cgroup.kill`, or signalling each member).
    Kill,
    /// Waiting for a change (`inotify`, `poll` on an events file).
    Watch,
    /// Handing a subtree to another user (`chown`).
    Delegate,
}

impl fmt::Display for CgroupOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CgroupOp::Create => "create",
            CgroupOp::Remove => "remove",
            CgroupOp::Read => "read",
            CgroupOp::Write => "write",
            CgroupOp::AddProcess => "add process",
            CgroupOp::Stats => "stats",
            CgroupOp::Freeze => "freeze",
            CgroupOp::Kill => "kill",
            CgroupOp::Watch => "watch",
            CgroupOp::Delegate => "delegate",
        })
    }
}

/// What the failing operation was working on. Every field is optional; [`Display`](fmt::Display)
/// shows the present ones in a fixed order, separated by spaces.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// A file system path.
    pub path: Option<PathBuf>,
    /// A key (sysctl key, cgroup file, set name …).
    pub key: Option<String>,
    /// An interface name, shown quoted.
    pub interface: Option<String>,
    /// Another object (a route, a rule, a chain …), shown as given.
    pub object: Option<String>,
    /// A process id.
    pub pid: Option<i32>,
    /// The namespace target, e.g. `netns /run/netns/a`.
    pub target: Option<String>,
    /// Position of the failing message inside a batch (0-based).
    pub batch_index: Option<usize>,
    /// The kernel's extended-ack text.
    pub extack: Option<String>,
    /// The attribute the kernel pointed at (extended-ack offset), as a path of attribute names.
    pub attr_path: Option<String>,
    /// A generation (version) counter of the state the failing request was checked against,
    /// where the interface has one (the nf_tables ruleset generation), shown as
    /// `(generation N)`.
    pub generation: Option<u32>,
}

impl Context {
    /// Writes the leading part (everything before the errno).
    fn fmt_subject(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A key names the object, so it leads; its backing file follows in parentheses
        // (`net.ipv4.ip_forward (/proc/sys/net/ipv4/ip_forward)`).
        match (&self.key, &self.path) {
            (Some(k), Some(p)) => write!(f, " {k} ({})", p.display())?,
            (Some(k), None) => write!(f, " {k}")?,
            (None, Some(p)) => write!(f, " {}", p.display())?,
            (None, None) => {}
        }
        if let Some(i) = &self.interface {
            write!(f, " {i:?}")?;
        }
        if let Some(o) = &self.object {
            write!(f, " {o}")?;
        }
        if let Some(p) = self.pid {
            write!(f, " pid {p}")?;
        }
        if let Some(t) = &self.target {
            write!(f, " in {t}")?;
        }
        if let Some(b) = self.batch_index {
            write!(f, " at batch message {b}")?;
        }
        if let Some(g) = self.generation {
            write!(f, " (generation {g})")?;
        }
        Ok(())
    }

    /// Writes the trailing part (after the errno).
    fn fmt_detail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.extack {
            write!(f, ": {e}")?;
        }
        if let Some(a) = &self.attr_path {
            write!(f, " (attribute {a})")?;
        }
        Ok(())
    }
}

/// Formats an errno as `ENAME (errno N)`, or `unknown (errno N)` for numbers without a name.
pub fn fmt_errno(errno: Errno, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let n = errno.raw_os_error();
    match errno_name(n) {
        Some(name) => write!(f, "{name} (errno {n})"),
        None => write!(f, "unknown (errno {n})"),
    }
}

/// A kernel failure: subsystem, operation, errno and context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsError {
    /// Where it happened.
    pub subsystem: Subsystem,
    /// What was attempted.
    pub operation: Operation,
    /// What the kernel said.
    pub errno: Errno,
    /// What it was working on (boxed to keep `Error` small).
    pub context: Box<Context>,
}

impl OsError {
    /// A new OS error with an empty context.
    pub fn new(subsystem: Subsystem, operation: Operation, errno: Errno) -> OsError {
        OsError {
            subsystem,
            operation,
            errno,
            context: Box::default(),
        }
    }

    /// Sets the path.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.context.path = Some(path.into());
        self
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.context.key = Some(key.into());
        self
    }

    /// Sets the interface name.
    pub fn interface(mut self, name: impl Into<String>) -> Self {
        self.context.interface = Some(name.into());
        self
    }

    /// Sets the object description.
    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.context.object = Some(object.into());
        self
    }

    /// Sets the process id.
    pub fn pid(mut self, pid: i32) -> Self {
        self.context.pid = Some(pid);
        self
    }

    /// Sets the namespace target description.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.context.target = Some(target.into());
        self
    }

    /// Sets the batch position.
    pub fn batch_index(mut self, index: usize) -> Self {
        self.context.batch_index = Some(index);
        self
    }

    /// Sets the extended-ack text.
    pub fn extack(mut self, text: impl Into<String>) -> Self {
        self.context.extack = Some(text.into());
        self
    }

    /// Sets the attribute path.
    pub fn attr_path(mut self, path: impl Into<String>) -> Self {
        self.context.attr_path = Some(path.into());
        self
    }

    /// Sets the generation the failing request was checked against.
    pub fn generation(mut self, generation: u32) -> Self {
        self.context.generation = Some(generation);
        self
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subsystem, self.operation)?;
        self.context.fmt_subject(f)?;
        f.write_str(": ")?;
        fmt_errno(self.errno, f)?;
        self.context.fmt_detail(f)
    }
}

impl std::error::Error for OsError {}

/// A caller mistake detected before any syscall: which argument, the offending value and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where it was detected.
    pub subsystem: Subsystem,
    /// The argument, e.g. `interface name`, `prefix length`, `namespace path`.
    pub argument: Cow<'static, str>,
    /// The offending value, shown quoted.
    pub value: String,
    /// Why it is wrong.
    pub reason: Cow<'static, str>,
}

impl InputError {
    /// A new input error.
    pub fn new(
        subsystem: Subsystem,
        argument: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        reason: impl Into<Cow<'static, str>>,
    ) -> InputError {
        InputError {
            subsystem,
            argument: argument.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: invalid {} {:?}: {}",
            self.subsystem, self.argument, self.value, self.reason
        )
    }
}

impl std::error::Error for InputError {}

/// Lifecycle conditions.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKind {
    /// The process is no longer there (already reaped, or the target died).
    NoProcess,
    /// The operation needs a running process.
    NotRunning,
    /// The process has already exited.
    AlreadyExited,
    /// A checkpoint command failed earlier; only abort is possible.
    Poisoned,
    /// The session has no PTY.
    NoPty,
    /// The caller has no usable local terminal (stdin is not a terminal, or there is no
    /// controlling terminal); stream attach works without one.
    NoLocalTty,
    /// The object was closed.
    Closed,
    /// The child was aborted at the checkpoint; the program never ran.
    Aborted,
    /// The child was killed by this signal before it reached `execve`.
    KilledBeforeExec(i32),
    /// The child died before reporting (the detail gives its wait status).
    ChildDied,
    /// A user-namespace id map was already written (maps are write-once).
    MapAlreadyWritten,
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateKind::NoProcess => f.write_str("no such process"),
            StateKind::NotRunning => f.write_str("not running"),
            StateKind::AlreadyExited => f.write_str("already exited"),
            StateKind::Poisoned => f.write_str("poisoned by an earlier failure"),
            StateKind::NoPty => f.write_str("no pty"),
            StateKind::NoLocalTty => f.write_str("no local terminal"),
            StateKind::Closed => f.write_str("closed"),
            StateKind::Aborted => f.write_str("aborted at the checkpoint"),
            StateKind::KilledBeforeExec(sig) => write!(f, "killed by signal {sig} before exec"),
            StateKind::ChildDied => f.write_str("child died before reporting"),
            StateKind::MapAlreadyWritten => {
                f.write_str("id map already written (maps are write-once)")
            }
        }
    }
}

/// A lifecycle condition with an optional detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError {
    /// Where it was detected.
    pub subsystem: Subsystem,
    /// What state the object is in.
    pub kind: StateKind,
    /// What it concerns (e.g. `pid 1234`, the failed stage).
    pub detail: Option<String>,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subsystem, self.kind)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StateError {}

/// Kernel features linx probes for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// User namespaces.
    UserNamespaces,
    /// A usable cgroup v2 hierarchy.
    CgroupV2,
    /// A cgroup v2 controller (memory, pids, cpu …).
    CgroupController,
    /// Seccomp filters.
    Seccomp,
    /// `/proc/sys`.
    Sysctl,
    /// nf_tables over netlink.
    NfTables,
    /// Capabilities in `/proc/<pid>/status`.
    Capabilities,
    /// Time namespaces.
    TimeNamespace,
    /// `clone3(2)`.
    Clone3,
    /// Pidfds (`pidfd_open(2)`).
    Pidfd,
    /// The new mount API (`fsopen(2)`, `open_tree(2)`, `move_mount(2)`, `mount_setattr(2)`).
    NewMountApi,
    /// Namespace entry for this namespace kind from the calling process.
    NamespaceEntry,
    /// The `newuidmap`/`newgidmap` helpers (shadow-utils' `uidmap` package).
    IdMapHelper,
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Feature::UserNamespaces => "user namespaces",
            Feature::CgroupV2 => "cgroup v2",
            Feature::CgroupController => "cgroup controller",
            Feature::Seccomp => "seccomp",
            Feature::Sysctl => "sysctl",
            Feature::NfTables => "nf_tables",
            Feature::Capabilities => "capabilities",
            Feature::TimeNamespace => "time namespaces",
            Feature::Clone3 => "clone3",
            Feature::Pidfd => "pidfd",
            Feature::NewMountApi => "new mount API",
            Feature::NamespaceEntry => "namespace entry",
            Feature::IdMapHelper => "newuidmap/newgidmap",
        })
    }
}

/// A kernel feature is not available on this host, with the reason the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedError {
    /// Where it was detected.
    pub subsystem: Subsystem,
    /// The missing feature.
    pub feature: Feature,
    /// Why, in one line.
    pub reason: String,
}

impl fmt::Display for UnsupportedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: unsupported: {}: {}",
            self.subsystem, self.feature, self.reason
        )
    }
}

impl std::error::Error for UnsupportedError {}

/// A bounded wait expired. The object that waited stays usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutError {
    /// Where it happened.
    pub subsystem: Subsystem,
    /// What was waited for.
    pub operation: Operation,
    /// How long.
    pub after: Duration,
    /// What it was working on.
    pub context: Box<Context>,
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subsystem, self.operation)?;
        self.context.fmt_subject(f)?;
        write!(f, ": timed out after {:?}", self.after)
    }
}

impl std::error::Error for TimeoutError {}

/// Kinds of malformed data.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolKind {
    /// Data ended before a structure it announced.
    Truncated,
    /// A length field is impossible (too small, or past the end).
    BadLength,
    /// A message of a type that cannot appear here.
    UnexpectedMessage,
    /// Anything else that does not decode.
    Malformed,
}

impl fmt::Display for ProtocolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolKind::Truncated => "truncated",
            ProtocolKind::BadLength => "bad length",
            ProtocolKind::UnexpectedMessage => "unexpected message",
            ProtocolKind::Malformed => "malformed",
        })
    }
}

/// Malformed data from the kernel (or a child process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// Where it was detected.
    pub subsystem: Subsystem,
    /// What kind of malformation.
    pub kind: ProtocolKind,
    /// What exactly, e.g. `nlmsg_len 12 < 16 at offset 0`.
    pub detail: String,
}

impl ProtocolError {
    /// A new protocol error.
    pub fn new(subsystem: Subsystem, kind: ProtocolKind, detail: impl Into<String>) -> Self {
        ProtocolError {
            subsystem,
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: protocol error: {}: {}",
            self.subsystem, self.kind, self.detail
        )
    }
}

impl std::error::Error for ProtocolError {}

/// The error type of every linx API.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A caller mistake, caught before any syscall.
    Input(InputError),
    /// The kernel refused.
    Os(OsError),
    /// A lifecycle condition.
    State(StateError),
    /// A kernel feature is missing on this host.
    Unsupported(UnsupportedError),
    /// A bounded wait expired.
    Timeout(TimeoutError),
    /// Malformed data from the kernel or a child.
    Protocol(ProtocolError),
    /// A netlink socket's receive buffer overflowed (`ENOBUFS`): messages were lost and the caller
    /// must re-read the full state. The socket has been drained and stays usable.
    Overrun {
        /// Where it happened.
        subsystem: Subsystem,
        /// What was waiting when it happened.
        operation: Operation,
    },
    /// A netlink dump was still interrupted (`NLM_F_DUMP_INTR`) after all retries.
    DumpInterrupted {
        /// Where it happened.
        subsystem: Subsystem,
        /// The dump request.
        operation: Operation,
        /// How many times it was tried.
        attempts: u32,
    },
}

impl Error {
    /// Shorthand for an [`InputError`].
    pub fn input(
        subsystem: Subsystem,
        argument: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error::Input(InputError::new(subsystem, argument, value, reason))
    }

    /// Shorthand for an [`UnsupportedError`].
    pub fn unsupported(subsystem: Subsystem, feature: Feature, reason: impl Into<String>) -> Error {
        Error::Unsupported(UnsupportedError {
            subsystem,
            feature,
            reason: reason.into(),
        })
    }

    /// Shorthand for a [`StateError`].
    pub fn state(subsystem: Subsystem, kind: StateKind, detail: Option<String>) -> Error {
        Error::State(StateError {
            subsystem,
            kind,
            detail,
        })
    }

    /// Shorthand for a [`TimeoutError`] with an empty context.
    pub fn timeout(subsystem: Subsystem, operation: Operation, after: Duration) -> Error {
        Error::Timeout(TimeoutError {
            subsystem,
            operation,
            after,
            context: Box::default(),
        })
    }

    /// Shorthand for a [`ProtocolError`].
    pub fn protocol(subsystem: Subsystem, kind: ProtocolKind, detail: impl Into<String>) -> Error {
        Error::Protocol(ProtocolError::new(subsystem, kind, detail))
    }

    /// The subsystem the error comes from.
    pub fn subsystem(&self) -> Subsystem {
        match self {
            Error::Input(e) => e.subsystem,
            Error::Os(e) => e.subsystem,
            Error::State(e) => e.subsystem,
            Error::Unsupported(e) => e.subsystem,
            Error::Timeout(e) => e.subsystem,
            Error::Protocol(e) => e.subsystem,
            Error::Overrun { subsystem, .. } | Error::DumpInterrupted { subsystem, .. } => {
                *subsystem
            }
        }
    }

    /// The kernel's errno, for OS errors (and `ENOBUFS` for overruns).
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Os(e) => Some(e.errno),
            Error::Overrun { .. } => Some(Errno::NOBUFS),
            _ => None,
        }
    }

    /// The context of OS and timeout errors.
    pub fn context(&self) -> Option<&Context> {
        match self {
            Error::Os(e) => Some(&e.context),
            Error::Timeout(e) => Some(&e.context),
            _ => None,
        }
    }

    /// Adds context to OS and timeout errors (fields already set are kept unless `f` overwrites
    /// them); other errors are returned unchanged. Used by higher layers to name the object a
    /// lower-layer failure concerns.
    pub fn with_context(mut self, f: impl FnOnce(&mut Context)) -> Error {
        match &mut self {
            Error::Os(e) => f(&mut e.context),
            Error::Timeout(e) => f(&mut e.context),
            _ => {}
        }
        self
    }

    /// True for caller mistakes ([`Error::Input`]).
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Input(_))
    }

    /// The `std::io::ErrorKind` this error maps to.
    pub fn io_kind(&self) -> std::io::ErrorKind {
        use std::io::ErrorKind;
        match self {
            Error::Input(_) => ErrorKind::InvalidInput,
            Error::Os(e) => std::io::Error::from_raw_os_error(e.errno.raw_os_error()).kind(),
            Error::State(_) => ErrorKind::Other,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Timeout(_) => ErrorKind::TimedOut,
            Error::Protocol(_) => ErrorKind::InvalidData,
            Error::Overrun { .. } => ErrorKind::OutOfMemory,
            Error::DumpInterrupted { .. } => ErrorKind::Interrupted,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(e) => e.fmt(f),
            Error::Os(e) => e.fmt(f),
            Error::State(e) => e.fmt(f),
            Error::Unsupported(e) => e.fmt(f),
            Error::Timeout(e) => e.fmt(f),
            Error::Protocol(e) => e.fmt(f),
            Error::Overrun {
                subsystem,
                operation,
            } => write!(
                f,
                "{subsystem}: {operation}: receive buffer overrun: ENOBUFS (errno 105): messages were lost, re-read the state"
            ),
            Error::DumpInterrupted {
                subsystem,
                operation,
                attempts,
            } => write!(
                f,
                "{subsystem}: {operation}: dump interrupted by concurrent changes in all {attempts} attempts"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

impl From<OsError> for Error {
    fn from(e: OsError) -> Error {
        Error::Os(e)
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Error {
        Error::Input(e)
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Error {
        Error::Protocol(e)
    }
}

impl From<crate::types::ParseError> for Error {
    /// A value-type parse failure is an input error of the `types` subsystem, keeping the
    /// message: `types: invalid prefix "10.0.0.1/24": host bits set (did you mean 10.0.0.0/24?)`.
    fn from(e: crate::types::ParseError) -> Error {
        Error::input(
            Subsystem::Types,
            e.target.as_str(),
            e.input,
            e.kind.to_string(),
        )
    }
}

impl From<Error> for std::io::Error {
    /// Keeps the linx error as the payload; the kind follows the errno where there is one.
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(e.io_kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_os_with_interface() {
        let e: Error = OsError::new(
            Subsystem::Netlink,
            Operation::netlink("RTM_GETLINK", 18),
            Errno::NODEV,
        )
        .interface("nosuchif0")
        .into();
        assert_eq!(
            e.to_string(),
            "netlink: RTM_GETLINK \"nosuchif0\": ENODEV (errno 19)"
        );
    }

    #[test]
    fn display_os_with_path() {
        let e: Error = OsError::new(Subsystem::Mount, Operation::Syscall("umount"), Errno::INVAL)
            .path("/mnt/x")
            .into();
        assert_eq!(e.to_string(), "mount: umount /mnt/x: EINVAL (errno 22)");
    }

    #[test]
    fn display_os_with_extack_and_attr_path() {
        let e: Error = OsError::new(
            Subsystem::Netlink,
            Operation::netlink("RTM_NEWLINK", 16),
            Errno::INVAL,
        )
        .interface("vx0")
        .target("netns /run/netns/a")
        .extack("VNI must be specified")
        .attr_path("IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VXLAN_ID")
        .into();
        assert_eq!(
            e.to_string(),
            "netlink: RTM_NEWLINK \"vx0\" in netns /run/netns/a: EINVAL (errno 22): VNI must be specified (attribute IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VXLAN_ID)"
        );
    }

    #[test]
    fn display_batch_key_pid_and_unknown_errno() {
        let e: Error = OsError::new(
            Subsystem::Netfilter,
            Operation::netlink("NFT_MSG_NEWRULE", 0x0a06),
            Errno::from_raw_os_error(4000),
        )
        .object("inet filter input")
        .batch_index(3)
        .into();
        assert_eq!(
            e.to_string(),
            "netfilter: NFT_MSG_NEWRULE inet filter input at batch message 3: unknown (errno 4000)"
        );
        let e: Error = OsError::new(
            Subsystem::Netfilter,
            Operation::netlink("NFT_MSG_NEWRULE", 0x0a06),
            Errno::INVAL,
        )
        .object("inet/fw chain input rule #3: reject")
        .batch_index(5)
        .generation(7)
        .extack("bad")
        .into();
        assert_eq!(
            e.to_string(),
            "netfilter: NFT_MSG_NEWRULE inet/fw chain input rule #3: reject at batch message 5 (generation 7): EINVAL (errno 22): bad"
        );
        let e: Error = OsError::new(Subsystem::Sysctl, Operation::Write, Errno::ACCESS)
            .key("net.ipv4.ip_forward")
            .pid(42)
            .into();
        assert_eq!(
            e.to_string(),
            "sysctl: write net.ipv4.ip_forward pid 42: EACCES (errno 13)"
        );
        let e: Error = OsError::new(Subsystem::Sysctl, Operation::Write, Errno::ACCESS)
            .key("net.ipv4.ip_forward")
            .path("/proc/sys/net/ipv4/ip_forward")
            .into();
        assert_eq!(
            e.to_string(),
            "sysctl: write net.ipv4.ip_forward (/proc/sys/net/ipv4/ip_forward): EACCES (errno 13)"
        );
        let e: Error =
            OsError::new(Subsystem::Tty, Operation::Ioctl("TIOCGWINSZ"), Errno::NOTTY).into();
        assert_eq!(e.to_string(), "tty: ioctl TIOCGWINSZ: ENOTTY (errno 25)");
    }

    #[test]
    fn display_other_lanes() {
        let e = Error::input(
            Subsystem::Netlink,
            "interface name",
            "eth0/1",
            "contains '/'",
        );
        assert_eq!(
            e.to_string(),
            "netlink: invalid interface name \"eth0/1\": contains '/'"
        );
        assert!(e.is_input());
        let e = Error::state(
            Subsystem::Process,
            StateKind::NoProcess,
            Some("pid 7".into()),
        );
        assert_eq!(e.to_string(), "process: no such process: pid 7");
        let e = Error::unsupported(
            Subsystem::Cgroup,
            Feature::CgroupV2,
            "controllers are bound to v1",
        );
        assert_eq!(
            e.to_string(),
            "cgroup: unsupported: cgroup v2: controllers are bound to v1"
        );
        let e = Error::timeout(
            Subsystem::Netlink,
            Operation::netlink("RTM_GETROUTE", 26),
            Duration::from_secs(5),
        )
        .with_context(|c| c.target = Some("netns pid 9".into()));
        assert_eq!(
            e.to_string(),
            "netlink: RTM_GETROUTE in netns pid 9: timed out after 5s"
        );
        let e = Error::protocol(
            Subsystem::Netlink,
            ProtocolKind::BadLength,
            "nlmsg_len 12 < 16 at offset 0",
        );
        assert_eq!(
            e.to_string(),
            "netlink: protocol error: bad length: nlmsg_len 12 < 16 at offset 0"
        );
        let e = Error::Overrun {
            subsystem: Subsystem::Netlink,
            operation: Operation::Recv,
        };
        assert_eq!(
            e.to_string(),
            "netlink: recv: receive buffer overrun: ENOBUFS (errno 105): messages were lost, re-read the state"
        );
        assert_eq!(e.errno(), Some(Errno::NOBUFS));
        let e = Error::DumpInterrupted {
            subsystem: Subsystem::Netlink,
            operation: Operation::netlink("RTM_GETROUTE", 26),
            attempts: 3,
        };
        assert_eq!(
            e.to_string(),
            "netlink: RTM_GETROUTE: dump interrupted by concurrent changes in all 3 attempts"
        );
        let e: Error = OsError::new(
            Subsystem::Namespace,
            Operation::SetNs(NsKind::Net),
            Errno::PERM,
        )
        .target("pid 12")
        .into();
        assert_eq!(e.to_string(), "ns: setns(net) in pid 12: EPERM (errno 1)");
    }

    #[test]
    fn parse_errors_become_input_errors() {
        let e: Error = "10.0.0.1/24"
            .parse::<crate::types::Prefix>()
            .unwrap_err()
            .into();
        assert!(e.is_input());
        assert_eq!(
            e.to_string(),
            "types: invalid prefix \"10.0.0.1/24\": host bits set (did you mean 10.0.0.0/24?)"
        );
    }

    #[test]
    fn converts_to_io_error() {
        let e: Error = OsError::new(Subsystem::Mount, Operation::Open, Errno::NOENT)
            .path("/nope")
            .into();
        let io: std::io::Error = e.clone().into();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(io.to_string(), e.to_string());
        let inner = io.get_ref().and_then(|r| r.downcast_ref::<Error>());
        assert_eq!(inner, Some(&e));
        let io: std::io::Error = Error::input(Subsystem::Types, "prefix", "x", "bad").into();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    }

    #[test]
    fn error_is_send_sync_static_and_small() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
        assert!(
            std::mem::size_of::<Error>() <= 96,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn context_is_empty_by_default() {
        assert_eq!(
            Context::default(),
            Context {
                ..Default::default()
            }
        );
    }
}
