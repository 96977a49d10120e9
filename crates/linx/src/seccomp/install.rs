//! Installing filters: on the calling thread, on all threads (TSYNC), or from a forked child
//! between `clone` and `execve` (spec SEC-16 … SEC-18).
//!
//! [`Prepared`] is built in the parent (allocation, validation and kernel probes happen there);
//! its `*_in_child` methods are async-signal-safe: no allocation, no locks, no panics, raw
//! system calls only.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use bitflags::bitflags;

use super::bpf::{BPF_K, BPF_RET, SockFilter};
use super::interp::{self, SeccompData};
use super::notify::Notifier;
use super::rules::{Action, Filter};
use crate::error::{Errno, Error, Feature, Operation, OsError, Result, Subsystem};

const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
const SECCOMP_GET_ACTION_AVAIL: libc::c_ulong = 2;

const OP_SECCOMP: Operation = Operation::Syscall("seccomp(SECCOMP_SET_MODE_FILTER)");
const OP_NNP: Operation = Operation::Syscall("prctl(PR_SET_NO_NEW_PRIVS)");

bitflags! {
    /// `SECCOMP_FILTER_FLAG_*` flags of `seccomp(SECCOMP_SET_MODE_FILTER)`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct InstallFlags: u32 {
        /// Install on every thread of the process (Linux ≥ 3.17).
        const TSYNC = 1;
        /// Log every action except `Allow` (Linux ≥ 4.14).
        const LOG = 2;
        /// Keep speculative-store-bypass mitigation off (Linux ≥ 4.17).
        const SPEC_ALLOW = 4;
        /// Return a user-notification listener fd (Linux ≥ 5.0).
        const NEW_LISTENER = 8;
        /// With TSYNC: fail with `ESRCH` instead of returning a thread id (Linux ≥ 5.7).
        const TSYNC_ESRCH = 16;
        /// Notified tasks wait killably once the supervisor received the notification
        /// (Linux ≥ 5.19).
        const WAIT_KILLABLE_RECV = 32;
    }
}

fn errno() -> i32 {
    // SAFETY: __errno_location returns the calling thread's errno slot; reading it is
    // async-signal-safe.
    unsafe { *libc::__errno_location() }
}

/// `seccomp(2)` without libc wrapper (glibc's needs 2.35+).
///
/// # Safety
/// `args` must be what `op` expects (a `sock_fprog` pointer, an action pointer, or NULL).
unsafe fn seccomp(op: libc::c_ulong, flags: u32, args: *const libc::c_void) -> libc::c_long {
    // SAFETY: forwarded to the caller.
    unsafe { libc::syscall(libc::SYS_seccomp, op, libc::c_ulong::from(flags), args) }
}

/// Whether the kernel supports an action (`SECCOMP_GET_ACTION_AVAIL`, Linux ≥ 4.14; older
/// kernels report every action but the four originals as unavailable).
#[doc(alias = "SECCOMP_GET_ACTION_AVAIL")]
pub fn action_available(action: Action) -> bool {
    let ret = action.to_ret() & 0xffff_0000;
    // SAFETY: the kernel reads one u32 from the pointer.
    let r = unsafe { seccomp(SECCOMP_GET_ACTION_AVAIL, 0, (&raw const ret).cast()) };
    if r == 0 {
        return true;
    }
    errno() == libc::EINVAL
        && matches!(
            action,
            Action::KillThread
                | Action::Trap(_)
                | Action::Errno(_)
                | Action::Trace(_)
                | Action::Allow
        )
}

/// Whether the kernel accepts `flags`: probed by calling `seccomp(SECCOMP_SET_MODE_FILTER)` with
/// a NULL program, which fails with `EFAULT` once the flags passed validation and `EINVAL` when
/// they did not. Installs nothing.
pub fn flags_supported(flags: InstallFlags) -> bool {
    // SAFETY: a NULL program is never dereferenced: the kernel's copy fails with EFAULT.
    let r = unsafe { seccomp(SECCOMP_SET_MODE_FILTER, flags.bits(), std::ptr::null()) };
    r == -1 && errno() == libc::EFAULT
}

/// A filter ready to install: the program and flags, validated and probed in the parent.
///
/// The `*_in_child` methods are the child-side contract of the checkpoint: callable between
/// `clone` and `execve` of a multithreaded parent (async-signal-safe), returning a raw errno.
///
/// ```no_run
/// use std::os::unix::process::CommandExt;
/// use linx::seccomp::{Action, Arch, Filter, InstallFlags};
/// let filter = Filter::deny_list(Arch::native()?, ["mount"], Action::Errno(1))?;
/// let prepared = filter.prepare(InstallFlags::empty())?;
/// let mut cmd = std::process::Command::new("/bin/true");
/// // SAFETY: apply_in_child is async-signal-safe.
/// unsafe {
///     cmd.pre_exec(move || {
///         prepared.apply_in_child().map(drop).map_err(std::io::Error::from_raw_os_error)
///     });
/// }
/// assert!(cmd.status()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Prepared {
    program: Box<[SockFilter]>,
    flags: InstallFlags,
    no_new_privs: bool,
}

impl Prepared {
    /// Validates `flags` and probes the kernel for them and for every action the program can
    /// return. `no_new_privs` is on (see [`Prepared::no_new_privs`]).
    ///
    /// # Errors
    /// `Unsupported` when the kernel lacks a flag or an action; an input error for
    /// `WAIT_KILLABLE_RECV` without `NEW_LISTENER`.
    pub fn new(filter: &Filter, flags: InstallFlags) -> Result<Prepared> {
        let mut flags = flags;
        if flags.contains(InstallFlags::TSYNC | InstallFlags::NEW_LISTENER) {
            // The kernel needs TSYNC_ESRCH to return the listener fd instead of a thread id.
            flags |= InstallFlags::TSYNC_ESRCH;
        }
        if flags.contains(InstallFlags::WAIT_KILLABLE_RECV)
            && !flags.contains(InstallFlags::NEW_LISTENER)
        {
            return Err(Error::input(
                Subsystem::Seccomp,
                "install flags",
                format!("{flags:?}"),
                "WAIT_KILLABLE_RECV needs NEW_LISTENER",
            ));
        }
        for flag in flags.iter() {
            let probe = if flag == InstallFlags::WAIT_KILLABLE_RECV {
                flag | InstallFlags::NEW_LISTENER
            } else {
                flag
            };
            if !flags_supported(probe) {
                return Err(Error::unsupported(
                    Subsystem::Seccomp,
                    Feature::Seccomp,
                    format!("the kernel does not accept the filter flag {flag:?}"),
                ));
            }
        }
        let mut actions: Vec<Action> = filter
            .program()
            .iter()
            .filter(|i| i.code == BPF_RET | BPF_K)
            .map(|i| Action::from_ret(i.k))
            .collect();
        actions.sort_unstable();
        actions.dedup();
        for a in actions {
            if !action_available(a) {
                return Err(Error::unsupported(
                    Subsystem::Seccomp,
                    Feature::Seccomp,
                    format!("the kernel does not support the action {}", a.kernel_name()),
                ));
            }
        }
        Ok(Prepared {
            program: filter.program().into(),
            flags,
            no_new_privs: true,
        })
    }

    /// Wraps any program without validation or probes: the kernel decides (for tests of the
    /// kernel's own checks and of install-failure reporting).
    pub fn from_program_unchecked(program: Vec<SockFilter>, flags: InstallFlags) -> Prepared {
        Prepared {
            program: program.into_boxed_slice(),
            flags,
            no_new_privs: true,
        }
    }

    /// Whether to set `no_new_privs` before installing (default true). Turning it off needs
    /// `CAP_SYS_ADMIN` in the user namespace, or the install fails with `EACCES`.
    #[must_use]
    pub fn no_new_privs(mut self, yes: bool) -> Self {
        self.no_new_privs = yes;
        self
    }

    /// The flags passed to the kernel.
    pub fn flags(&self) -> InstallFlags {
        self.flags
    }

    /// Whether `no_new_privs` is set before installing.
    pub fn sets_no_new_privs(&self) -> bool {
        self.no_new_privs
    }

    /// The program.
    pub fn program(&self) -> &[SockFilter] {
        &self.program
    }

    /// The interpreter's verdict for a call (`arch` an `AUDIT_ARCH_*` value): e.g. to refuse a
    /// filter that would not let `execve` run. A program the interpreter cannot run yields
    /// `KillProcess` (the kernel would refuse it).
    pub fn verdict_for(&self, arch: u32, nr: i32, args: [u64; 6]) -> Action {
        let data = SeccompData {
            nr,
            arch,
            instruction_pointer: 0,
            args,
        };
        interp::run(&self.program, &data).map_or(Action::KillProcess, |e| Action::from_ret(e.ret))
    }

    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)` when enabled; async-signal-safe.
    ///
    /// # Errors
    /// The raw errno.
    pub fn set_no_new_privs_in_child(&self) -> std::result::Result<(), i32> {
        if !self.no_new_privs {
            return Ok(());
        }
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        if r == 0 { Ok(()) } else { Err(errno()) }
    }

    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)` only; async-signal-safe (no allocation,
    /// no locks, no panics). Returns the listener fd with `NEW_LISTENER`.
    ///
    /// # Errors
    /// The raw errno; a TSYNC failure naming a thread becomes `ESRCH`; a program longer than
    /// 65535 instructions `EINVAL`.
    pub fn install_in_child(&self) -> std::result::Result<Option<RawFd>, i32> {
        let Ok(len) = u16::try_from(self.program.len()) else {
            return Err(libc::EINVAL);
        };
        let fprog = libc::sock_fprog {
            len,
            // The kernel only reads the program; SockFilter has sock_filter's layout.
            filter: self.program.as_ptr().cast_mut().cast(),
        };
        // SAFETY: fprog points at `len` instructions that outlive the call.
        let r = unsafe {
            seccomp(
                SECCOMP_SET_MODE_FILTER,
                self.flags.bits(),
                (&raw const fprog).cast(),
            )
        };
        if r < 0 {
            return Err(errno());
        }
        if self.flags.contains(InstallFlags::NEW_LISTENER) {
            return Ok(Some(r as RawFd));
        }
        if r > 0 {
            // TSYNC without TSYNC_ESRCH: the id of a thread that could not be synchronised.
            return Err(libc::ESRCH);
        }
        Ok(None)
    }

    /// `no_new_privs` (unless turned off) then the install: the whole child-side step,
    /// async-signal-safe. Use [`set_no_new_privs_in_child`](Self::set_no_new_privs_in_child) and
    /// [`install_in_child`](Self::install_in_child) separately to report distinct stages.
    ///
    /// # Errors
    /// The raw errno of the failing step.
    pub fn apply_in_child(&self) -> std::result::Result<Option<RawFd>, i32> {
        self.set_no_new_privs_in_child()?;
        self.install_in_child()
    }

    /// Installs on the calling thread (or on all threads with TSYNC), with typed errors.
    ///
    /// # Errors
    /// `OsError` with operation `prctl(PR_SET_NO_NEW_PRIVS)` or
    /// `seccomp(SECCOMP_SET_MODE_FILTER)`: `EINVAL` (bad program or flags), `EACCES` (no
    /// no_new_privs and no `CAP_SYS_ADMIN`), `ENOMEM` (over the stacked-filter budget), `ESRCH`
    /// with the thread id for a TSYNC failure.
    pub fn install_current_thread(&self) -> Result<Option<Notifier>> {
        self.set_no_new_privs_in_child()
            .map_err(|e| OsError::new(Subsystem::Seccomp, OP_NNP, Errno::from_raw_os_error(e)))?;
        let Ok(len) = u16::try_from(self.program.len()) else {
            return Err(self.os_error(libc::EINVAL).into());
        };
        let fprog = libc::sock_fprog {
            len,
            filter: self.program.as_ptr().cast_mut().cast(),
        };
        // SAFETY: as in install_in_child.
        let r = unsafe {
            seccomp(
                SECCOMP_SET_MODE_FILTER,
                self.flags.bits(),
                (&raw const fprog).cast(),
            )
        };
        if r < 0 {
            return Err(self.os_error(errno()).into());
        }
        if self.flags.contains(InstallFlags::NEW_LISTENER) {
            // SAFETY: the kernel returned a new fd that nothing else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(r as RawFd) };
            return Ok(Some(Notifier::from(fd)));
        }
        if r > 0 {
            return Err(self
                .os_error(libc::ESRCH)
                .pid(r as i32)
                .object(format!("thread {r} could not be synchronised (TSYNC)"))
                .into());
        }
        Ok(None)
    }

    fn os_error(&self, errno: i32) -> OsError {
        let hint = match errno {
            libc::EACCES => ": no_new_privs is off and the caller lacks CAP_SYS_ADMIN",
            libc::ENOMEM => ": over the instruction budget of stacked filters",
            _ => "",
        };
        OsError::new(
            Subsystem::Seccomp,
            OP_SECCOMP,
            Errno::from_raw_os_error(errno),
        )
        .object(format!(
            "{} instructions, flags {:?}{hint}",
            self.program.len(),
            self.flags
        ))
    }
}

/// Sets `no_new_privs` (unless `flags` say otherwise, see [`Prepared`]) and installs `filter` on
/// the calling thread; returns the listener with [`InstallFlags::NEW_LISTENER`].
///
/// # Errors
/// As [`Prepared::new`] and [`Prepared::install_current_thread`].
#[doc(alias = "seccomp")]
pub fn install_current_thread(filter: &Filter, flags: InstallFlags) -> Result<Option<Notifier>> {
    Prepared::new(filter, flags)?.install_current_thread()
}

/// As [`install_current_thread`] on every thread of the process (`TSYNC`); on failure the error
/// names the thread that could not be synchronised.
///
/// # Errors
/// As [`install_current_thread`].
pub fn install_all_threads(filter: &Filter, flags: InstallFlags) -> Result<Option<Notifier>> {
    Prepared::new(filter, flags | InstallFlags::TSYNC)?.install_current_thread()
}
