//! Process spawning and the checkpoint.
//!
//! [`Command::spawn`] clones a child with `clone3(2)` (always with `CLONE_PIDFD`, optionally
//! `CLONE_INTO_CGROUP`) into any set of new namespaces and **parks** it before `execve`: the
//! returned [`Parked`] handle is the checkpoint. While the child is parked the caller configures it
//! from outside with the other linx modules (user maps, cgroup, network links and firewall inside
//! its network namespace, mounts inside its mount namespace, sysctls) and queues the changes it must
//! make to itself (capabilities, seccomp). [`Parked::proceed`] then releases it to `execve` and
//! reports either success ([`Running`]) or the exact failing [`Stage`] and errno;
//! [`Parked::abort`] discards it. The types make the order a compile-time matter: checkpoint
//! commands exist only on `Parked`, signals and waiting only on `Running`.
//!
//! How it is built:
//! * every child is cloned from one long-lived spawner thread (the parent-death signal is tied to
//!   the creating *thread*) that blocks all signals;
//! * the child side runs only async-signal-safe code over a plan prepared before clone (no
//!   allocation, no locks, raw syscalls) and talks to the parent over a close-on-exec
//!   `SOCK_SEQPACKET` socketpair in fixed-size frames; after the final pre-exec marker, end of file
//!   on that channel means `execve` succeeded;
//! * pidfds name the child for every signal and wait; dropping a parked child aborts it, dropping a
//!   running one kills and reaps it (or hands it to a background reaper), so no zombies remain.
//!
//! Reserved child exit codes (a child that never reached the program): 250 parent gone, 251 ready
//! report failed, 252 protocol error, 253 aborted, 254 a pre-exec step failed (reported with its
//! stage).
//!
//! ```no_run
//! use linx::ns::NsSet;
//! use linx::process::Command;
//! let mut cmd = Command::new("/bin/hostname");
//! cmd.namespaces(NsSet::UTS | NsSet::PID);
//! let parked = cmd.spawn()?;
//! assert_eq!(parked.ns_pid(), 1);
//! let running = parked.proceed()?;
//! println!("{}", running.wait()?);
//! # Ok::<(), linx::Error>(())
//! ```

#[cfg(feature = "tokio")]
mod async_io;
mod child;
mod command;
mod frame;
mod handle;
mod pty;
mod signal;
mod spawner;
mod status;

pub use crate::error::Stage;
pub use crate::tty::WinSize;
#[cfg(feature = "tokio")]
pub use async_io::AsyncPty;
pub use command::{Command, DropPolicy, OrphanPolicy, Stdio, TimeOffsets};
pub use handle::{Info, Parked, Running, State};
pub use pty::Pty;
pub use signal::Signal;
pub use status::{ExitStatus, Outcome};

pub use child::{EXIT_ABORTED, EXIT_FAILED, EXIT_PARENT_GONE, EXIT_PROTOCOL, EXIT_READY};

use crate::error::{Feature, Subsystem};
use crate::probe::{Probe, Status, raw_syscall_errno};
/// Probes `clone3(2)` (Linux ≥ 5.3) without creating anything: a call with a zero-sized argument
/// block fails with `EINVAL` when the syscall exists, `ENOSYS` when it does not, and `EPERM` when a
/// seccomp profile blocks it.
#[doc(alias = "clone3")]
pub fn probe_clone3() -> Probe {
    // SAFETY: clone3 with a NULL argument block and size 0 is rejected before anything is read.
    let r = raw_syscall_errno(unsafe {
        libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0usize)
    });
    let (status, detail) = match r {
        Err(libc::EINVAL) => (Status::Available, "clone3 present".to_owned()),
        Err(libc::ENOSYS) => (
            Status::Unavailable,
            "kernel has no clone3 (needs Linux 5.3)".to_owned(),
        ),
        Err(libc::EPERM) => (
            Status::Partial,
            "clone3 blocked (EPERM, likely a seccomp profile); clone fallback needed".to_owned(),
        ),
        Err(e) => (
            Status::Partial,
            format!("unexpected errno {e} from the clone3 probe"),
        ),
        Ok(_) => (
            Status::Partial,
            "unexpected success of the clone3 probe".to_owned(),
        ),
    };
    Probe::new(Subsystem::Process, Feature::Clone3, status, detail)
}

/// Probes time namespaces (Linux ≥ 5.6): `/proc/self/ns/time` exists.
pub fn probe_time_namespace() -> Probe {
    if std::path::Path::new("/proc/self/ns/time").exists() {
        Probe::new(
            Subsystem::Process,
            Feature::TimeNamespace,
            Status::Available,
            "/proc/self/ns/time present",
        )
    } else {
        Probe::new(
            Subsystem::Process,
            Feature::TimeNamespace,
            Status::Unavailable,
            "no /proc/self/ns/time (needs Linux 5.6 with CONFIG_TIME_NS)",
        )
    }
}
