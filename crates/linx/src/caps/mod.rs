//! Capabilities.
//!
//! This module currently holds the support probe (spec CAP-01); capability sets land with the
//! identity issue.

use crate::error::{Feature, Subsystem};
use crate::probe::{Probe, Status, read_trimmed, self_status_field};

/// True iff `/proc/self/status` has a `CapBnd:` line.
pub fn supported() -> bool {
    self_status_field("CapBnd").is_some()
}

/// Probes capabilities: the bounding-set line and the kernel's highest capability number.
pub fn probe() -> Probe {
    if !supported() {
        return Probe::new(
            Subsystem::Caps,
            Feature::Capabilities,
            Status::Unavailable,
            "/proc/self/status has no CapBnd line",
        );
    }
    let last = read_trimmed("/proc/sys/kernel/cap_last_cap").unwrap_or_else(|| "?".into());
    Probe::new(
        Subsystem::Caps,
        Feature::Capabilities,
        Status::Available,
        format!("cap_last_cap {last}"),
    )
}
