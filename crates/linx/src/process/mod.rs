//! Process spawning and the checkpoint (`clone3` into namespaces, parked before `execve`).
//!
//! This module currently holds the kernel probes the checkpoint depends on: `clone3(2)` and time
//! namespaces. Spawning itself lands with the process issue.

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
