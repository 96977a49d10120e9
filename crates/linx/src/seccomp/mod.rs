//! Seccomp filters.
//!
//! This module currently holds the support probe (spec SEC-01); the cBPF compiler lands with the
//! identity issue.

use crate::error::{Feature, Subsystem};
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
