//! Sysctl (`/proc/sys`).
//!
//! This module currently holds the support probe (spec SYS-01); key access lands with the identity
//! issue.

use crate::error::{Feature, Subsystem};
use crate::probe::{Probe, Status};

/// True iff `/proc/sys/kernel/ostype` exists.
pub fn supported() -> bool {
    std::path::Path::new("/proc/sys/kernel/ostype").exists()
}

/// Probes sysctl: `/proc/sys` present, and whether it is mounted read-only.
pub fn probe() -> Probe {
    if !supported() {
        return Probe::new(
            Subsystem::Sysctl,
            Feature::Sysctl,
            Status::Unavailable,
            "/proc/sys/kernel/ostype missing",
        );
    }
    let ro = crate::mount::mountinfo::read("/proc/self/mountinfo")
        .ok()
        .and_then(|m| {
            m.into_iter().rev().find(|e| {
                e.mount_point == std::path::Path::new("/proc/sys")
                    || e.mount_point == std::path::Path::new("/proc")
            })
        })
        .is_some_and(|e| e.mount_option_list().any(|o| o == "ro"));
    if ro {
        Probe::new(
            Subsystem::Sysctl,
            Feature::Sysctl,
            Status::Partial,
            "/proc/sys is mounted read-only",
        )
    } else {
        Probe::new(
            Subsystem::Sysctl,
            Feature::Sysctl,
            Status::Available,
            "/proc/sys readable and writable",
        )
    }
}
