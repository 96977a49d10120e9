//! The rule model: actions, argument conditions, rules, and the [`Filter`] built from them
//! (spec SEC-04 … SEC-08, SEC-13 … SEC-15, SEC-21).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::bpf::{self, MAX_INSNS, SockFilter};
use super::compile::{self, CodeGen};
use super::interp::{self, SeccompData};
use super::syscalls::Arch;
use crate::error::{Errno, Error, Result, Subsystem, errno_from_name, errno_name};

/// `SECCOMP_RET_KILL_PROCESS`.
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
/// `SECCOMP_RET_KILL_THREAD` (formerly `SECCOMP_RET_KILL`).
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
/// `SECCOMP_RET_TRAP`.
pub const RET_TRAP: u32 = 0x0003_0000;
/// `SECCOMP_RET_ERRNO`.
pub const RET_ERRNO: u32 = 0x0005_0000;
/// `SECCOMP_RET_USER_NOTIF`.
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
/// `SECCOMP_RET_TRACE`.
pub const RET_TRACE: u32 = 0x7ff0_0000;
/// `SECCOMP_RET_LOG`.
pub const RET_LOG: u32 = 0x7ffc_0000;
/// `SECCOMP_RET_ALLOW`.
pub const RET_ALLOW: u32 = 0x7fff_0000;
/// `MAX_ERRNO`: the kernel caps `SECCOMP_RET_ERRNO` data at this value.
pub const MAX_ERRNO: u16 = 4095;

/// What the kernel does with a system call (`SECCOMP_RET_*`, with its 16-bit data).
///
/// [`Display`](fmt::Display) and [`FromStr`] use the kernel's names from
/// `/proc/sys/kernel/seccomp/actions_avail`, with the data in parentheses:
/// `allow`, `log`, `errno(EPERM)`, `errno(4000)`, `trap(0)`, `trace(7)`, `user_notif`,
/// `kill_thread`, `kill_process`.
///
/// ```
/// use linx::seccomp::Action;
/// use linx::error::Errno;
/// assert_eq!(Action::errno(Errno::PERM), Action::Errno(1));
/// assert_eq!(Action::Errno(1).to_ret(), 0x0005_0001);
/// assert_eq!("errno(EPERM)".parse::<Action>().unwrap(), Action::Errno(1));
/// assert_eq!(Action::from_ret(0x7fff_0000), Action::Allow);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Kill the whole process with `SIGSYS` (Linux ≥ 4.14).
    KillProcess,
    /// Kill the calling thread with `SIGSYS`.
    KillThread,
    /// Send `SIGSYS` to the thread, with the data in `si_errno`.
    Trap(u16),
    /// Fail the call with this errno (≤ 4095) without running it.
    Errno(u16),
    /// Notify a `ptrace` tracer with this message (`ENOSYS` without a tracer).
    Trace(u16),
    /// Allow and log (Linux ≥ 4.14).
    Log,
    /// Allow.
    Allow,
    /// Ask the user-space supervisor holding the listener fd (Linux ≥ 5.0).
    UserNotif,
}

impl Action {
    /// `Errno` from a typed errno.
    pub fn errno(errno: Errno) -> Action {
        Action::Errno(u16::try_from(errno.raw_os_error()).unwrap_or(MAX_ERRNO))
    }

    /// The 32-bit filter return value.
    pub const fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => RET_KILL_PROCESS,
            Action::KillThread => RET_KILL_THREAD,
            Action::Trap(d) => RET_TRAP | d as u32,
            Action::Errno(d) => RET_ERRNO | d as u32,
            Action::Trace(d) => RET_TRACE | d as u32,
            Action::Log => RET_LOG,
            Action::Allow => RET_ALLOW,
            Action::UserNotif => RET_USER_NOTIF,
        }
    }

    /// What the kernel makes of a filter return value: the action is `ret & 0xffff0000`, errno
    /// data above 4095 is capped, and unknown actions behave as `KillProcess`.
    pub const fn from_ret(ret: u32) -> Action {
        let data = (ret & 0xffff) as u16;
        match ret & 0xffff_0000 {
            RET_KILL_THREAD => Action::KillThread,
            RET_TRAP => Action::Trap(data),
            RET_ERRNO => Action::Errno(if data > MAX_ERRNO { MAX_ERRNO } else { data }),
            RET_TRACE => Action::Trace(data),
            RET_LOG => Action::Log,
            RET_ALLOW => Action::Allow,
            RET_USER_NOTIF => Action::UserNotif,
            _ => Action::KillProcess,
        }
    }

    /// The kernel's name of the action (as in `actions_avail`), without data.
    pub const fn kernel_name(self) -> &'static str {
        match self {
            Action::KillProcess => "kill_process",
            Action::KillThread => "kill_thread",
            Action::Trap(_) => "trap",
            Action::Errno(_) => "errno",
            Action::Trace(_) => "trace",
            Action::Log => "log",
            Action::Allow => "allow",
            Action::UserNotif => "user_notif",
        }
    }

    /// True for `Allow` and `Log` (the call runs).
    pub const fn runs_syscall(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }

    /// Checks the data: `Errno` at most 4095.
    ///
    /// # Errors
    /// An input error naming the value.
    pub fn validate(self) -> Result<()> {
        match self {
            Action::Errno(n) if n > MAX_ERRNO => Err(Error::input(
                Subsystem::Seccomp,
                "errno",
                n.to_string(),
                "above 4095 (MAX_ERRNO)",
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Errno(n) => match errno_name(i32::from(n)) {
                Some(name) => write!(f, "errno({name})"),
                None => write!(f, "errno({n})"),
            },
            Action::Trap(n) => write!(f, "trap({n})"),
            Action::Trace(n) => write!(f, "trace({n})"),
            a => f.write_str(a.kernel_name()),
        }
    }
}

impl FromStr for Action {
    type Err = Error;

    /// Parses the [`Display`](fmt::Display) form; `errno` takes a name or a number, `trap` and
    /// `trace` default to 0, `errno` alone means `EPERM`, `kill` means `kill_process`.
    fn from_str(s: &str) -> Result<Action> {
        let bad = |why: &'static str| Error::input(Subsystem::Seccomp, "action", s, why);
        let (name, data) = match s.split_once('(') {
            Some((n, rest)) => {
                let d = rest.strip_suffix(')').ok_or_else(|| bad("missing ')'"))?;
                (n.trim(), Some(d.trim()))
            }
            None => (s.trim(), None),
        };
        let number = |d: Option<&str>, errno: bool| -> Result<u16> {
            let Some(d) = d else {
                return Ok(if errno { 1 } else { 0 });
            };
            if let Ok(n) = d.parse::<u16>() {
                return Ok(n);
            }
            if errno {
                if let Some(n) = errno_from_name(d).and_then(|n| u16::try_from(n).ok()) {
                    return Ok(n);
                }
            }
            Err(bad(
                "data must be a 16-bit number (or an errno name for errno)",
            ))
        };
        let action = match name {
            "allow" => Action::Allow,
            "log" => Action::Log,
            "kill" | "kill_process" => Action::KillProcess,
            "kill_thread" => Action::KillThread,
            "user_notif" | "notify" => Action::UserNotif,
            "errno" => Action::Errno(number(data, true)?),
            "trap" => Action::Trap(number(data, false)?),
            "trace" => Action::Trace(number(data, false)?),
            _ => {
                return Err(bad(
                    "expected allow, log, errno(N), trap(N), trace(N), user_notif, kill_thread or kill_process",
                ));
            }
        };
        if data.is_some()
            && !matches!(
                action,
                Action::Errno(_) | Action::Trap(_) | Action::Trace(_)
            )
        {
            return Err(bad("this action takes no data"));
        }
        action.validate()?;
        Ok(action)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Action, D::Error> {
        let s = <Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A comparison of one system call argument against constants (unsigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Cmp {
    /// `arg == v`.
    Eq(u64),
    /// `arg != v`.
    Ne(u64),
    /// `arg < v`.
    Lt(u64),
    /// `arg <= v`.
    Le(u64),
    /// `arg > v`.
    Gt(u64),
    /// `arg >= v`.
    Ge(u64),
    /// `(arg & mask) == value` (bits of `value` outside `mask` never match).
    MaskedEq {
        /// The mask applied to the argument.
        mask: u64,
        /// The value the masked argument must equal.
        value: u64,
    },
}

impl Cmp {
    /// Applies the comparison to a value (the reference semantics).
    pub const fn holds(self, arg: u64) -> bool {
        match self {
            Cmp::Eq(v) => arg == v,
            Cmp::Ne(v) => arg != v,
            Cmp::Lt(v) => arg < v,
            Cmp::Le(v) => arg <= v,
            Cmp::Gt(v) => arg > v,
            Cmp::Ge(v) => arg >= v,
            Cmp::MaskedEq { mask, value } => arg & mask == value,
        }
    }

    /// The same comparison with its constants truncated to 32 bits.
    pub fn low_word(self) -> Cmp {
        let t = |v: u64| v & 0xffff_ffff;
        match self {
            Cmp::Eq(v) => Cmp::Eq(t(v)),
            Cmp::Ne(v) => Cmp::Ne(t(v)),
            Cmp::Lt(v) => Cmp::Lt(t(v)),
            Cmp::Le(v) => Cmp::Le(t(v)),
            Cmp::Gt(v) => Cmp::Gt(t(v)),
            Cmp::Ge(v) => Cmp::Ge(t(v)),
            Cmp::MaskedEq { mask, value } => Cmp::MaskedEq {
                mask: t(mask),
                value: t(value),
            },
        }
    }
}

/// How much of an argument register a [`Condition`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Width {
    /// The full 64-bit register (compiled as high-word then low-word tests).
    #[default]
    U64,
    /// Only the low 32 bits, against the low 32 bits of the constants: for `int` arguments, whose
    /// upper half the kernel does not define.
    U32,
}

/// A test of one system call argument: `args[arg] <cmp>` over [`Width`] bits.
///
/// ```
/// use linx::seccomp::{Cmp, Condition};
/// let c = Condition::new(0, Cmp::Eq(0));
/// assert!(c.holds(&[0, 9, 9, 9, 9, 9]));
/// // An `int` argument: -1 sign-extended or not, the low word is what counts.
/// let c = Condition::u32(1, Cmp::Eq(u64::MAX));
/// assert!(c.holds(&[0, 0xffff_ffff, 0, 0, 0, 0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Condition {
    /// Argument index, 0..=5.
    pub arg: u8,
    /// The comparison.
    pub cmp: Cmp,
    /// Compared width.
    #[cfg_attr(feature = "serde", serde(default))]
    pub width: Width,
}

impl Condition {
    /// A full 64-bit comparison of `args[arg]`.
    pub const fn new(arg: u8, cmp: Cmp) -> Condition {
        Condition {
            arg,
            cmp,
            width: Width::U64,
        }
    }

    /// A comparison of the low 32 bits of `args[arg]` (for `int` arguments).
    pub const fn u32(arg: u8, cmp: Cmp) -> Condition {
        Condition {
            arg,
            cmp,
            width: Width::U32,
        }
    }

    /// Whether the condition holds for these arguments (the reference semantics; an argument
    /// index above 5 never holds).
    pub fn holds(&self, args: &[u64; 6]) -> bool {
        let Some(&v) = args.get(usize::from(self.arg)) else {
            return false;
        };
        match self.width {
            Width::U64 => self.cmp.holds(v),
            Width::U32 => self.cmp.low_word().holds(v & 0xffff_ffff),
        }
    }

    /// Checks the argument index.
    ///
    /// # Errors
    /// An input error for an index above 5.
    pub fn validate(&self) -> Result<()> {
        if self.arg > 5 {
            return Err(Error::input(
                Subsystem::Seccomp,
                "argument index",
                self.arg.to_string(),
                "system calls have arguments 0..=5",
            ));
        }
        Ok(())
    }
}

/// A system call named by name or by number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// A name from the architecture's table (a decimal string is taken as a number).
    Name(Cow<'static, str>),
    /// A raw number (any value; numbers outside the table are accepted).
    Number(u32),
}

impl Syscall {
    /// The number on `arch`.
    ///
    /// # Errors
    /// An input error with a suggestion for unknown names ([`Arch::resolve`]).
    pub fn resolve(&self, arch: Arch) -> Result<u32> {
        match self {
            Syscall::Name(n) => arch.resolve(n),
            Syscall::Number(n) => Ok(*n),
        }
    }
}

impl From<&'static str> for Syscall {
    fn from(s: &'static str) -> Syscall {
        Syscall::Name(Cow::Borrowed(s))
    }
}

impl From<String> for Syscall {
    fn from(s: String) -> Syscall {
        Syscall::Name(Cow::Owned(s))
    }
}

impl From<&String> for Syscall {
    fn from(s: &String) -> Syscall {
        Syscall::Name(Cow::Owned(s.clone()))
    }
}

impl From<u32> for Syscall {
    fn from(n: u32) -> Syscall {
        Syscall::Number(n)
    }
}

impl fmt::Display for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Syscall::Name(n) => f.write_str(n),
            Syscall::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One rule: when a call of `syscall` satisfies every condition, `action` decides it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The system call number.
    pub syscall: u32,
    /// Conditions, all of which must hold (none: every call matches).
    pub conditions: Vec<Condition>,
    /// The verdict.
    pub action: Action,
}

impl Rule {
    /// Whether the rule matches a call with these arguments.
    pub fn matches(&self, args: &[u64; 6]) -> bool {
        self.conditions.iter().all(|c| c.holds(args))
    }
}

/// A compiled seccomp filter: its rules (when built from rules) and its cBPF program.
///
/// Build one with [`Filter::builder`], [`Filter::allow_list`], [`Filter::deny_list`] or
/// [`Filter::from_rules`]; load raw programs with [`Filter::from_bytes`].
///
/// Semantics: a call from another architecture gets `bad_arch_action` (as does an x32 call on
/// x86_64); otherwise the rules of its syscall are tried in source order and the first whose
/// conditions all hold decides; a call no rule decides gets `default_action` (or, with
/// [`FilterBuilder::unknown_syscalls`], numbers above the table's highest get that action).
///
/// ```
/// use linx::seccomp::{Action, Arch, Cmp, Condition, Filter, SeccompData};
/// use linx::error::Errno;
/// let f = Filter::builder(Arch::X86_64)
///     .default_action(Action::Allow)
///     .deny("clock_nanosleep", Errno::PERM)
///     .rule("personality", Action::Allow, [Condition::new(0, Cmp::Eq(0))])
///     .action("personality", Action::Errno(22))
///     .build()?;
/// assert_eq!(f.to_string(), "x86_64 filter: 2 syscalls, 15 instructions");
/// let call = |nr, a0| SeccompData::new(Arch::X86_64, nr, [a0, 0, 0, 0, 0, 0]);
/// assert_eq!(f.evaluate(&call(230, 0)), Action::Errno(1));
/// assert_eq!(f.evaluate(&call(135, 0)), Action::Allow);
/// assert_eq!(f.evaluate(&call(135, 8)), Action::Errno(22));
/// assert_eq!(f.evaluate(&call(0, 0)), Action::Allow);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    arch: Arch,
    default_action: Action,
    bad_arch_action: Action,
    unknown_action: Option<Action>,
    rules: Option<Vec<Rule>>,
    program: Vec<SockFilter>,
    warnings: Vec<String>,
}

impl Filter {
    /// A fluent builder (default action `KillProcess` until set).
    pub fn builder(arch: Arch) -> FilterBuilder {
        FilterBuilder::new(arch)
    }

    /// An allow-list: the listed calls `Allow`, everything else `KillProcess`; `execve` and
    /// `execveat` are added (the workload must be started).
    ///
    /// # Errors
    /// Input errors for unknown names and duplicates.
    pub fn allow_list<S: Into<Syscall>>(
        arch: Arch,
        syscalls: impl IntoIterator<Item = S>,
    ) -> Result<Filter> {
        syscalls
            .into_iter()
            .fold(FilterBuilder::new(arch), |b, s| b.allow(s))
            .build()
    }

    /// A deny-list: the listed calls get `action` (e.g. `Action::Errno(EPERM)`), everything else
    /// `Allow`.
    ///
    /// # Errors
    /// Input errors for unknown names, duplicates, bad errno values.
    pub fn deny_list<S: Into<Syscall>>(
        arch: Arch,
        syscalls: impl IntoIterator<Item = S>,
        action: Action,
    ) -> Result<Filter> {
        syscalls
            .into_iter()
            .fold(
                FilterBuilder::new(arch).default_action(Action::Allow),
                |b, s| b.action(s, action),
            )
            .build()
    }

    /// A filter from `(action, syscall, conditions)` tuples in source order.
    ///
    /// # Errors
    /// As [`FilterBuilder::build`].
    pub fn from_rules<S: Into<Syscall>>(
        arch: Arch,
        default_action: Action,
        rules: impl IntoIterator<Item = (Action, S, Vec<Condition>)>,
    ) -> Result<Filter> {
        rules
            .into_iter()
            .fold(
                FilterBuilder::new(arch).default_action(default_action),
                |b, (a, s, c)| b.rule(s, a, c),
            )
            .build()
    }

    /// A filter around an externally supplied program (it has no rules).
    ///
    /// # Errors
    /// An input error when the bytes are empty or misaligned ([`bpf::from_bytes`]), when the
    /// program is over 4096 instructions, or when the kernel's checks would refuse it.
    pub fn from_bytes(arch: Arch, bytes: &[u8]) -> Result<Filter> {
        Filter::from_program(arch, bpf::from_bytes(bytes)?)
    }

    /// A filter around an externally supplied program (see [`Filter::from_bytes`]).
    ///
    /// # Errors
    /// As [`Filter::from_bytes`].
    pub fn from_program(arch: Arch, program: Vec<SockFilter>) -> Result<Filter> {
        check_size(program.len())?;
        interp::check(&program).map_err(|e| {
            Error::input(
                Subsystem::Seccomp,
                "program",
                format!("{} instructions", program.len()),
                e.to_string(),
            )
        })?;
        Ok(Filter {
            arch,
            default_action: Action::KillProcess,
            bad_arch_action: Action::KillProcess,
            unknown_action: None,
            rules: None,
            program,
            warnings: Vec::new(),
        })
    }

    /// The target architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The action for calls no rule decides.
    pub fn default_action(&self) -> Action {
        self.default_action
    }

    /// The action for calls from another architecture (and x32 calls on x86_64).
    pub fn bad_arch_action(&self) -> Action {
        self.bad_arch_action
    }

    /// The action for numbers above the table's highest syscall, when set (SEC-13).
    pub fn unknown_syscall_action(&self) -> Option<Action> {
        self.unknown_action
    }

    /// The rules in source order, or `None` for a filter loaded from a raw program.
    pub fn rules(&self) -> Option<&[Rule]> {
        self.rules.as_deref()
    }

    /// The rules as `(action, syscall, conditions)` tuples in source order (syscalls by name when
    /// the table knows the number); empty for a raw program.
    pub fn to_rules(&self) -> Vec<(Action, Syscall, Vec<Condition>)> {
        self.rules
            .iter()
            .flatten()
            .map(|r| {
                let s = match self.arch.syscall_name(r.syscall) {
                    Some(n) => Syscall::Name(Cow::Borrowed(n)),
                    None => Syscall::Number(r.syscall),
                };
                (r.action, s, r.conditions.clone())
            })
            .collect()
    }

    /// Warnings raised while building: an allow-list without `execve`, or a condition on an
    /// argument index the syscall does not take (e.g. argument 3 of `close`, which takes 1; see
    /// [`Arch::syscall_arg_count`]). Each is also logged with [`log::warn!`].
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The number of distinct syscalls with rules.
    pub fn syscall_count(&self) -> usize {
        let mut nrs: Vec<u32> = self.rules.iter().flatten().map(|r| r.syscall).collect();
        nrs.sort_unstable();
        nrs.dedup();
        nrs.len()
    }

    /// The cBPF program (the kernel's `struct sock_filter` layout).
    pub fn program(&self) -> &[SockFilter] {
        &self.program
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.program.len()
    }

    /// Always false: a filter has at least one instruction.
    pub fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// The program as raw bytes (8 per instruction, little-endian fields).
    pub fn to_bytes(&self) -> Vec<u8> {
        bpf::to_bytes(&self.program)
    }

    /// The program as text ([`bpf::disassemble`]).
    pub fn disassemble(&self) -> String {
        bpf::disassemble(&self.program, Some(self.arch))
    }

    /// The most instructions any call can execute (longest path of the program).
    pub fn longest_path(&self) -> usize {
        bpf::longest_path(&self.program).unwrap_or(self.program.len())
    }

    /// Runs the compiled program in the interpreter.
    pub fn evaluate(&self, data: &SeccompData) -> Action {
        self.run(data).0
    }

    /// Runs the compiled program and also returns how many instructions ran.
    pub fn run(&self, data: &SeccompData) -> (Action, usize) {
        match interp::run(&self.program, data) {
            Ok(e) => (Action::from_ret(e.ret), e.executed),
            // Unreachable for checked programs; the kernel would have refused the program.
            Err(_) => (Action::KillProcess, 0),
        }
    }

    /// The interpreter's verdict for a call (`arch` is an `AUDIT_ARCH_*` value).
    pub fn verdict_for(&self, arch: u32, nr: i32, args: [u64; 6]) -> Action {
        self.evaluate(&SeccompData {
            nr,
            arch,
            instruction_pointer: 0,
            args,
        })
    }

    /// The meaning of the source rules for a call, computed without the program; `None` for a
    /// filter loaded from raw bytes.
    pub fn evaluate_rules(&self, data: &SeccompData) -> Option<Action> {
        let rules = self.rules.as_ref()?;
        let nr = data.nr as u32;
        if data.arch != self.arch.audit_arch()
            || (self.arch.has_x32_guard() && nr >= super::syscalls::X32_SYSCALL_BIT)
        {
            return Some(self.bad_arch_action);
        }
        if let Some(r) = rules
            .iter()
            .find(|r| r.syscall == nr && r.matches(&data.args))
        {
            return Some(r.action);
        }
        Some(match self.unknown_action {
            Some(a) if nr > self.arch.max_syscall() => a,
            _ => self.default_action,
        })
    }

    /// Prepares the filter for installation with `flags` ([`Prepared::new`](super::Prepared::new)).
    ///
    /// # Errors
    /// As [`Prepared::new`](super::Prepared::new).
    pub fn prepare(&self, flags: super::InstallFlags) -> Result<super::Prepared> {
        super::Prepared::new(self, flags)
    }
}

impl fmt::Display for Filter {
    /// `x86_64 filter: 12 syscalls, 31 instructions`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.syscall_count();
        write!(
            f,
            "{} filter: {} syscall{}, {} instructions",
            self.arch,
            n,
            if n == 1 { "" } else { "s" },
            self.program.len()
        )
    }
}

pub(crate) fn check_size(instructions: usize) -> Result<()> {
    if instructions > MAX_INSNS {
        return Err(Error::input(
            Subsystem::Seccomp,
            "program size",
            format!("{instructions} instructions"),
            format!("limit {MAX_INSNS} (BPF_MAXINSNS)"),
        ));
    }
    Ok(())
}

/// Fluent construction of a [`Filter`]; errors (unknown names, bad values) are reported by
/// [`build`](FilterBuilder::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct FilterBuilder {
    arch: Arch,
    default_action: Action,
    bad_arch_action: Action,
    unknown_action: Option<Action>,
    rules: Vec<(Syscall, Action, Vec<Condition>)>,
    allow_exec: bool,
    codegen: CodeGen,
}

impl FilterBuilder {
    /// A builder for `arch`: default action `KillProcess`, bad-arch action `KillProcess`.
    pub fn new(arch: Arch) -> FilterBuilder {
        FilterBuilder {
            arch,
            default_action: Action::KillProcess,
            bad_arch_action: Action::KillProcess,
            unknown_action: None,
            rules: Vec::new(),
            allow_exec: true,
            codegen: CodeGen::Tree,
        }
    }

    /// The action for calls no rule decides.
    pub fn default_action(mut self, action: Action) -> Self {
        self.default_action = action;
        self
    }

    /// The action for calls from another architecture and, on x86_64, x32 calls (default
    /// `KillProcess`).
    pub fn bad_arch_action(mut self, action: Action) -> Self {
        self.bad_arch_action = action;
        self
    }

    /// Numbers above the table's highest syscall get `action` instead of the default — typically
    /// `Action::Errno(ENOSYS)`, so a newer libc falls back instead of failing (SEC-13).
    pub fn unknown_syscalls(mut self, action: Action) -> Self {
        self.unknown_action = Some(action);
        self
    }

    /// Allow `syscall`.
    pub fn allow(self, syscall: impl Into<Syscall>) -> Self {
        self.rule(syscall, Action::Allow, Vec::new())
    }

    /// Allow `syscall` when all `conditions` hold.
    pub fn allow_if(
        self,
        syscall: impl Into<Syscall>,
        conditions: impl IntoIterator<Item = Condition>,
    ) -> Self {
        self.rule(syscall, Action::Allow, conditions)
    }

    /// Fail `syscall` with `errno`.
    pub fn deny(self, syscall: impl Into<Syscall>, errno: Errno) -> Self {
        self.rule(syscall, Action::errno(errno), Vec::new())
    }

    /// Decide every call of `syscall` with `action`.
    pub fn action(self, syscall: impl Into<Syscall>, action: Action) -> Self {
        self.rule(syscall, action, Vec::new())
    }

    /// Decide calls of `syscall` satisfying all `conditions` with `action`; rules of one syscall
    /// are tried in the order added.
    pub fn rule(
        mut self,
        syscall: impl Into<Syscall>,
        action: Action,
        conditions: impl IntoIterator<Item = Condition>,
    ) -> Self {
        self.rules
            .push((syscall.into(), action, conditions.into_iter().collect()));
        self
    }

    /// Whether an allow-list (default action other than `Allow`/`Log`) gets `execve` and
    /// `execveat` allowed automatically (default true; turning it off records a warning, since
    /// the workload could not be started at the checkpoint).
    pub fn allow_exec(mut self, yes: bool) -> Self {
        self.allow_exec = yes;
        self
    }

    /// Code generation strategy (the balanced tree by default; the linear chain exists for
    /// comparisons).
    pub fn codegen(mut self, codegen: CodeGen) -> Self {
        self.codegen = codegen;
        self
    }

    /// Resolves, validates and compiles.
    ///
    /// # Errors
    /// Input errors: unknown syscall names (with the architecture and a suggestion), the same
    /// syscall twice with identical conditions, errno above 4095, argument index above 5, a
    /// program over 4096 instructions (`program size`).
    ///
    /// A condition on an argument the syscall does not take (its index at or above
    /// [`Arch::syscall_arg_count`]) is not an error but a warning, one per syscall and argument
    /// index, in [`Filter::warnings`]; syscalls whose count is unknown (raw numbers outside the
    /// table, reserved entries) are not checked.
    pub fn build(self) -> Result<Filter> {
        let arch = self.arch;
        self.default_action.validate()?;
        self.bad_arch_action.validate()?;
        if let Some(a) = self.unknown_action {
            a.validate()?;
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(self.rules.len() + 2);
        for (syscall, action, conditions) in self.rules {
            let nr = syscall.resolve(arch)?;
            action.validate()?;
            for c in &conditions {
                c.validate()?;
            }
            if rules
                .iter()
                .any(|r| r.syscall == nr && r.conditions == conditions)
            {
                return Err(Error::input(
                    Subsystem::Seccomp,
                    "rule",
                    syscall.to_string(),
                    if conditions.is_empty() {
                        "duplicate: the syscall already has a rule without conditions".to_owned()
                    } else {
                        "duplicate: the syscall already has a rule with identical conditions"
                            .to_owned()
                    },
                ));
            }
            rules.push(Rule {
                syscall: nr,
                conditions,
                action,
            });
        }
        let mut warnings = Vec::new();
        for w in arg_count_warnings(arch, &rules) {
            log::warn!("seccomp: {w}");
            warnings.push(w);
        }
        if !self.default_action.runs_syscall() {
            for name in ["execve", "execveat"] {
                let Some(nr) = arch.syscall_number(name) else {
                    continue;
                };
                let decided = rules
                    .iter()
                    .any(|r| r.syscall == nr && r.conditions.is_empty());
                if decided {
                    continue;
                }
                if self.allow_exec {
                    rules.push(Rule {
                        syscall: nr,
                        conditions: Vec::new(),
                        action: Action::Allow,
                    });
                } else {
                    let w = format!(
                        "allow-list without {name}: the workload cannot be started after installing it at the checkpoint"
                    );
                    log::warn!("seccomp: {w}");
                    warnings.push(w);
                }
            }
        }
        let program = compile::compile(&compile::Input {
            arch,
            default_action: self.default_action,
            bad_arch_action: self.bad_arch_action,
            unknown_action: self.unknown_action,
            rules: &rules,
            codegen: self.codegen,
        })?;
        Ok(Filter {
            arch,
            default_action: self.default_action,
            bad_arch_action: self.bad_arch_action,
            unknown_action: self.unknown_action,
            rules: Some(rules),
            program,
            warnings,
        })
    }
}

/// One warning per `(syscall, argument index)` where a condition tests an argument the syscall
/// does not take (SEC-08): the register holds whatever the caller left there. Syscalls whose
/// argument count is unknown ([`Arch::syscall_arg_count`]) are not checked.
fn arg_count_warnings(arch: Arch, rules: &[Rule]) -> Vec<String> {
    let mut seen: Vec<(u32, u8)> = Vec::new();
    let mut warnings = Vec::new();
    for rule in rules {
        let Some(count) = arch.syscall_arg_count(rule.syscall) else {
            continue;
        };
        let name = arch.syscall_name(rule.syscall).unwrap_or("?");
        for c in &rule.conditions {
            if c.arg < count || seen.contains(&(rule.syscall, c.arg)) {
                continue;
            }
            seen.push((rule.syscall, c.arg));
            let takes = match count {
                0 => "no arguments".to_owned(),
                1 => "1 argument (index 0)".to_owned(),
                n => format!("{n} arguments (indexes 0..={})", n - 1),
            };
            warnings.push(format!(
                "{name}: condition on argument {arg}, but {name} takes {takes} on {arch}; \
                 argument {arg} holds whatever the caller left in the register",
                arg = c.arg,
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_04_actions_round_trip_through_ret_and_text() {
        let all = [
            Action::KillProcess,
            Action::KillThread,
            Action::Trap(3),
            Action::Errno(1),
            Action::Errno(4000),
            Action::Trace(7),
            Action::Log,
            Action::Allow,
            Action::UserNotif,
        ];
        for a in all {
            assert_eq!(Action::from_ret(a.to_ret()), a);
            assert_eq!(a.to_string().parse::<Action>().unwrap(), a, "{a}");
        }
        assert_eq!(Action::from_ret(0x0005_ffff), Action::Errno(4095));
        assert_eq!(Action::from_ret(0x1234_0000), Action::KillProcess);
        assert_eq!(Action::Errno(4000).to_string(), "errno(4000)");
        assert_eq!(Action::Errno(1).to_string(), "errno(EPERM)");
        assert!("errno(4096)".parse::<Action>().unwrap_err().is_input());
        assert!("allow(3)".parse::<Action>().unwrap_err().is_input());
        assert!("frobnicate".parse::<Action>().unwrap_err().is_input());
    }

    #[test]
    fn sec_05_from_rules_and_to_rules_keep_source_order() {
        let rules = vec![
            (Action::Allow, Syscall::from("write"), vec![]),
            (
                Action::Errno(1),
                Syscall::from("personality"),
                vec![Condition::new(0, Cmp::Ne(0))],
            ),
            (Action::Allow, Syscall::from("personality"), vec![]),
            (Action::Log, Syscall::Number(1000), vec![]),
        ];
        let f = Filter::from_rules(Arch::X86_64, Action::KillProcess, rules.clone()).unwrap();
        let mut expected = rules;
        expected.push((Action::Allow, Syscall::from("execve"), vec![]));
        expected.push((Action::Allow, Syscall::from("execveat"), vec![]));
        assert_eq!(f.to_rules(), expected);
        assert_eq!(f.syscall_count(), 5);
    }

    #[test]
    fn sec_06_allow_list_adds_exec_and_opt_out_warns() {
        let f = Filter::allow_list(Arch::X86_64, ["read", "write"]).unwrap();
        let d = |nr| SeccompData::new(Arch::X86_64, nr, [0; 6]);
        assert_eq!(f.evaluate(&d(59)), Action::Allow);
        assert_eq!(f.evaluate(&d(322)), Action::Allow);
        assert_eq!(f.evaluate(&d(2)), Action::KillProcess);
        assert!(f.warnings().is_empty());
        let f = Filter::builder(Arch::X86_64)
            .allow("read")
            .allow_exec(false)
            .build()
            .unwrap();
        assert_eq!(f.evaluate(&d(59)), Action::KillProcess);
        assert_eq!(f.warnings().len(), 2);
        let f = Filter::deny_list(Arch::Aarch64, ["mount"], Action::Errno(1)).unwrap();
        assert_eq!(
            f.evaluate(&SeccompData::new(Arch::Aarch64, 40, [0; 6])),
            Action::Errno(1)
        );
        assert_eq!(f.syscall_count(), 1);
    }

    #[test]
    fn sec_07_duplicates() {
        let e = Filter::builder(Arch::X86_64)
            .allow("read")
            .allow("read")
            .build()
            .unwrap_err();
        assert!(e.is_input());
        assert!(e.to_string().contains("duplicate"), "{e}");
        let c = || vec![Condition::new(0, Cmp::Eq(1))];
        assert!(
            Filter::builder(Arch::X86_64)
                .rule("read", Action::Allow, c())
                .rule("read", Action::Log, c())
                .build()
                .is_err()
        );
        assert!(
            Filter::builder(Arch::X86_64)
                .rule("read", Action::Allow, c())
                .rule("read", Action::Log, vec![])
                .build()
                .is_ok()
        );
    }

    #[test]
    fn sec_21_bad_input() {
        let e = Filter::builder(Arch::X86_64)
            .rule("read", Action::Allow, [Condition::new(6, Cmp::Eq(0))])
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "seccomp: invalid argument index \"6\": system calls have arguments 0..=5"
        );
        let e = Filter::builder(Arch::X86_64)
            .action("read", Action::Errno(5000))
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "seccomp: invalid errno \"5000\": above 4095 (MAX_ERRNO)"
        );
        let e = Filter::builder(Arch::Aarch64)
            .allow("open")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("did you mean \"openat\""), "{e}");
    }

    #[test]
    fn sec_08_condition_past_the_argument_count_warns() {
        let f = Filter::builder(Arch::X86_64)
            .default_action(Action::Allow)
            .rule("close", Action::Errno(1), [Condition::new(3, Cmp::Eq(0))])
            .build()
            .unwrap();
        assert_eq!(
            f.warnings(),
            [
                "close: condition on argument 3, but close takes 1 argument (index 0) on x86_64; \
                 argument 3 holds whatever the caller left in the register"
            ]
        );
        // The rule still compiles with its literal meaning.
        let d = |nr, a3| SeccompData::new(Arch::X86_64, nr, [7, 0, 0, a3, 0, 0]);
        assert_eq!(f.evaluate(&d(3, 0)), Action::Errno(1));
        assert_eq!(f.evaluate(&d(3, 1)), Action::Allow);

        // Within the count: no warning (arg 0 of close, arg 5 of mmap, arg 2 of read).
        let f = Filter::builder(Arch::X86_64)
            .default_action(Action::Allow)
            .rule("close", Action::Errno(1), [Condition::new(0, Cmp::Eq(0))])
            .rule("mmap", Action::Errno(1), [Condition::new(5, Cmp::Gt(0))])
            .rule("read", Action::Errno(1), [Condition::u32(2, Cmp::Eq(0))])
            .build()
            .unwrap();
        assert!(f.warnings().is_empty(), "{:?}", f.warnings());

        // No arguments at all, one warning per syscall and index, raw numbers of known calls,
        // and the other architecture's numbering.
        let f = Filter::builder(Arch::Aarch64)
            .default_action(Action::Allow)
            .rule(
                "getpid",
                Action::Errno(1),
                [Condition::new(0, Cmp::Eq(1)), Condition::new(0, Cmp::Ne(2))],
            )
            .rule("getpid", Action::Errno(2), [Condition::new(0, Cmp::Eq(3))])
            .rule(57u32, Action::Errno(3), [Condition::new(1, Cmp::Eq(0))])
            .rule("clone3", Action::Errno(38), [Condition::new(2, Cmp::Eq(0))])
            .build()
            .unwrap();
        let w = f.warnings();
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].starts_with(
                "getpid: condition on argument 0, but getpid takes no arguments on aarch64"
            ),
            "{w:?}"
        );
        assert!(
            w[1].starts_with("close: condition on argument 1, but close takes 1 argument"),
            "{w:?}"
        );
        assert!(
            w[2].starts_with(
                "clone3: condition on argument 2, but clone3 takes 2 arguments (indexes 0..=1)"
            ),
            "{w:?}"
        );

        // Unknown counts do not warn: numbers outside the table, reserved entries.
        let f = Filter::builder(Arch::X86_64)
            .default_action(Action::Allow)
            .rule(1000u32, Action::Errno(1), [Condition::new(5, Cmp::Eq(0))])
            .rule(
                "lookup_dcookie",
                Action::Errno(1),
                [Condition::new(2, Cmp::Eq(0))],
            )
            .rule("tuxcall", Action::Errno(1), [Condition::new(0, Cmp::Eq(0))])
            .build()
            .unwrap();
        assert!(f.warnings().is_empty(), "{:?}", f.warnings());

        // Index above 5 stays an input error, not a warning.
        assert!(
            Filter::builder(Arch::X86_64)
                .rule("close", Action::Allow, [Condition::new(6, Cmp::Eq(0))])
                .build()
                .unwrap_err()
                .is_input()
        );
    }

    #[test]
    fn sec_08_condition_semantics() {
        let args = |a0| [a0, 0, 0, 0, 0, 0];
        assert!(Condition::new(0, Cmp::Lt(1 << 32)).holds(&args(0xffff_ffff)));
        assert!(!Condition::new(0, Cmp::Lt(1 << 32)).holds(&args(1 << 32)));
        assert!(
            Condition::new(
                0,
                Cmp::MaskedEq {
                    mask: 0xff00,
                    value: 0x1200
                }
            )
            .holds(&args(0x1234))
        );
        assert!(
            !Condition::new(
                0,
                Cmp::MaskedEq {
                    mask: 0xff00,
                    value: 0x1201
                }
            )
            .holds(&args(0x1201))
        );
        assert!(Condition::u32(0, Cmp::Eq(5)).holds(&args(0xdead_beef_0000_0005)));
        assert!(Condition::u32(0, Cmp::Gt(1)).holds(&args(2)));
        assert!(!Condition::new(7, Cmp::Eq(0)).holds(&args(0)));
    }
}
