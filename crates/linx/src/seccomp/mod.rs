//! Seccomp filters: a pure-Rust cBPF compiler, an interpreter, installation and user
//! notification.
//!
//! * [`Filter`] — built from typed rules ([`Filter::builder`], [`Filter::allow_list`],
//!   [`Filter::deny_list`], [`Filter::from_rules`], or an OCI/Docker profile with the `serde`
//!   feature, see [`profile`]) and compiled to a balanced binary decision tree over syscall
//!   numbers; or loaded from raw bytes. Complete syscall tables for x86_64 and aarch64
//!   ([`Arch`]).
//! * [`interp`] — a classic-BPF interpreter with the kernel's semantics:
//!   [`Filter::evaluate`] runs the program, [`Filter::evaluate_rules`] the source rules.
//! * [`Prepared`] — a filter ready to install, on the calling thread
//!   ([`install_current_thread`], [`install_all_threads`]) or from a forked child before
//!   `execve` (async-signal-safe [`Prepared::apply_in_child`]).
//! * [`Notifier`] — the user-notification listener.
//!
//! See [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html).
//!
//! ```
//! use linx::seccomp::{Action, Arch, Filter, SeccompData};
//! let f = Filter::allow_list(Arch::X86_64, ["read", "write", "exit_group"])?;
//! assert_eq!(f.evaluate(&SeccompData::new(Arch::X86_64, 1, [0; 6])), Action::Allow);
//! assert_eq!(f.evaluate(&SeccompData::new(Arch::X86_64, 2, [0; 6])), Action::KillProcess);
//! // A call from another architecture:
//! assert_eq!(f.evaluate(&SeccompData::new(Arch::Aarch64, 1, [0; 6])), Action::KillProcess);
//! # Ok::<(), linx::Error>(())
//! ```

pub mod bpf;
mod compile;
mod install;
pub mod interp;
mod notify;
#[cfg(feature = "serde")]
pub mod profile;
mod rules;
mod syscalls;

pub use compile::CodeGen;
pub use install::{
    InstallFlags, Prepared, action_available, flags_supported, install_all_threads,
    install_current_thread,
};
pub use interp::SeccompData;
pub use notify::{AddFd, Notification, Notifier, Response};
pub use rules::{
    Action, Cmp, Condition, Filter, FilterBuilder, MAX_ERRNO, RET_ALLOW, RET_ERRNO,
    RET_KILL_PROCESS, RET_KILL_THREAD, RET_LOG, RET_TRACE, RET_TRAP, RET_USER_NOTIF, Rule, Syscall,
    Width,
};
pub use syscalls::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, Arch, KERNEL_VERSION, X32_SYSCALL_BIT,
};

use crate::error::{Error, Feature, Operation, OsError, Result, Subsystem};
use crate::probe::{Probe, Status, read_trimmed, self_status_field};

/// True iff `/proc/self/status` has a `Seccomp:` line.
pub fn supported() -> bool {
    self_status_field("Seccomp").is_some()
}

/// The filter actions the kernel supports (`/proc/sys/kernel/seccomp/actions_avail`).
pub fn actions_available() -> Vec<String> {
    read_trimmed("/proc/sys/kernel/seccomp/actions_avail")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A process's seccomp mode (`Seccomp:` in `/proc/<pid>/status`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No seccomp.
    Disabled,
    /// `SECCOMP_MODE_STRICT`.
    Strict,
    /// `SECCOMP_MODE_FILTER`, with the number of stacked filters (`Seccomp_filters:`, Linux ≥
    /// 5.9; `None` on older kernels).
    Filter {
        /// Installed filters.
        filters: Option<u32>,
    },
}

/// The seccomp mode of process `pid` (`None`: the caller) from `/proc/<pid>/status`.
///
/// # Errors
/// `OsError` reading the file; `Unsupported` when the kernel has no seccomp; a protocol error
/// for an unknown mode value.
pub fn mode(pid: Option<i32>) -> Result<Mode> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/thread-self/status".to_owned(),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let errno = crate::error::Errno::from_io_error(&e).unwrap_or(crate::error::Errno::IO);
        Error::from(OsError::new(Subsystem::Seccomp, Operation::Read, errno).path(&path))
    })?;
    parse_mode(&text).ok_or_else(|| {
        Error::unsupported(
            Subsystem::Seccomp,
            Feature::Seccomp,
            format!("{path} has no Seccomp line (CONFIG_SECCOMP off)"),
        )
    })?
}

fn parse_mode(status: &str) -> Option<Result<Mode>> {
    let field = |key: &str| {
        status.lines().find_map(|l| {
            l.strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::trim)
        })
    };
    let mode = field("Seccomp")?;
    Some(match mode {
        "0" => Ok(Mode::Disabled),
        "1" => Ok(Mode::Strict),
        "2" => Ok(Mode::Filter {
            filters: field("Seccomp_filters").and_then(|v| v.parse().ok()),
        }),
        other => Err(Error::protocol(
            Subsystem::Seccomp,
            crate::error::ProtocolKind::Malformed,
            format!("Seccomp: {other:?} in /proc status"),
        )),
    })
}

/// Probes seccomp: present, the caller's mode, the available actions.
pub fn probe() -> Probe {
    let Some(mode) = self_status_field("Seccomp") else {
        return Probe::new(
            Subsystem::Seccomp,
            Feature::Seccomp,
            Status::Unavailable,
            "/proc/self/status has no Seccomp line (CONFIG_SECCOMP off)",
        );
    };
    let actions = actions_available();
    let status = if actions.iter().any(|a| a == "user_notif") || actions.is_empty() {
        Status::Available
    } else {
        Status::Partial
    };
    Probe::new(
        Subsystem::Seccomp,
        Feature::Seccomp,
        status,
        format!(
            "caller mode {mode}; actions: {}",
            if actions.is_empty() {
                "unknown".into()
            } else {
                actions.join(" ")
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_01_parse_mode() {
        let m = parse_mode("Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t3\n")
            .unwrap()
            .unwrap();
        assert_eq!(m, Mode::Filter { filters: Some(3) });
        assert_eq!(
            parse_mode("Seccomp:\t0\n").unwrap().unwrap(),
            Mode::Disabled
        );
        assert!(parse_mode("Name:\tx\n").is_none());
        assert!(parse_mode("Seccomp:\t9\n").unwrap().is_err());
        assert!(supported());
        assert!(matches!(
            mode(None).unwrap(),
            Mode::Disabled | Mode::Filter { .. }
        ));
    }
}
