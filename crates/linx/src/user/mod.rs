//! User namespaces: uid/gid maps and setgroups.
//!
//! This module currently holds the support probe (spec USR-01); id-map writing lands with the
//! identity issue.

use crate::error::{Feature, Subsystem};
use crate::probe::{Probe, Status, read_trimmed};

/// True iff the kernel has user namespaces (`/proc/self/uid_map` exists).
pub fn supported() -> bool {
    std::path::Path::new("/proc/self/uid_map").exists()
}

/// Probes user namespaces: present, the `user.max_user_namespaces` limit, and distribution knobs
/// that restrict unprivileged creation.
pub fn probe() -> Probe {
    let p = |status, detail: String| {
        Probe::new(Subsystem::User, Feature::UserNamespaces, status, detail)
    };
    if !supported() {
        return p(
            Status::Unavailable,
            "no /proc/self/uid_map (kernel built without CONFIG_USER_NS)".into(),
        );
    }
    let max = read_trimmed("/proc/sys/user/max_user_namespaces");
    if max.as_deref() == Some("0") {
        return p(Status::Unavailable, "user.max_user_namespaces is 0".into());
    }
    let mut limits = Vec::new();
    if read_trimmed("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        limits.push("unprivileged creation disabled (kernel.unprivileged_userns_clone=0)");
    }
    if read_trimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref()
        == Some("1")
    {
        limits.push("AppArmor restricts unprivileged user namespaces");
    }
    let max = max.unwrap_or_else(|| "?".into());
    if limits.is_empty() {
        p(Status::Available, format!("max_user_namespaces {max}"))
    } else {
        p(
            Status::Partial,
            format!("max_user_namespaces {max}; {}", limits.join("; ")),
        )
    }
}
