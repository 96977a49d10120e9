//! Kernel feature probes: cheap checks of what this host supports and, when something is missing,
//! why. Each subsystem exposes its own probe (e.g. [`crate::cgroup::probe`]); [`all`] collects them
//! for `linx doctor`.

use std::fmt;

use crate::error::{Error, Feature, Result, Subsystem};

/// How much of a feature is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Fully usable.
    Available,
    /// Usable with limits (the detail says which).
    Partial,
    /// Not usable (the detail says why).
    Unavailable,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Available => "available",
            Status::Partial => "partial",
            Status::Unavailable => "unavailable",
        })
    }
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Which subsystem ran it.
    pub subsystem: Subsystem,
    /// What was probed.
    pub feature: Feature,
    /// The verdict.
    pub status: Status,
    /// One line: what was found (versions, limits) or why it is missing.
    pub detail: String,
}

impl Probe {
    /// A probe result.
    pub fn new(
        subsystem: Subsystem,
        feature: Feature,
        status: Status,
        detail: impl Into<String>,
    ) -> Probe {
        Probe {
            subsystem,
            feature,
            status,
            detail: detail.into(),
        }
    }

    /// True unless [`Status::Unavailable`].
    pub fn is_usable(&self) -> bool {
        self.status != Status::Unavailable
    }

    /// `Ok(())` when usable, otherwise [`Error::Unsupported`] carrying the detail.
    pub fn require(&self) -> Result<()> {
        if self.is_usable() {
            Ok(())
        } else {
            Err(Error::unsupported(
                self.subsystem,
                self.feature,
                self.detail.clone(),
            ))
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<16} {:<12} {}",
            self.feature.to_string(),
            self.status.to_string(),
            self.detail
        )
    }
}

/// Runs every probe of the enabled subsystems, in a stable order.
pub fn all() -> Vec<Probe> {
    let mut v = Vec::new();
    v.push(crate::pidfd::probe());
    #[cfg(feature = "process")]
    {
        v.push(crate::process::probe_clone3());
        v.push(crate::process::probe_time_namespace());
    }
    #[cfg(feature = "user")]
    v.push(crate::user::probe());
    #[cfg(feature = "cgroup")]
    v.push(crate::cgroup::probe());
    #[cfg(feature = "mount")]
    v.push(crate::mount::probe_new_api());
    #[cfg(feature = "caps")]
    v.push(crate::caps::probe());
    #[cfg(feature = "seccomp")]
    v.push(crate::seccomp::probe());
    #[cfg(feature = "sysctl")]
    v.push(crate::sysctl::probe());
    #[cfg(feature = "netfilter")]
    v.push(crate::netfilter::probe());
    v
}

/// Reads a small text file, trimmed; `None` if it cannot be read.
pub(crate) fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Looks up a `Key:` line of `/proc/self/status`.
pub(crate) fn self_status_field(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
            .map(|v| v.trim().to_owned())
    })
}

/// Outcome of a raw syscall used as a probe: `Ok(ret)` or the errno.
pub(crate) fn raw_syscall_errno(ret: libc::c_long) -> std::result::Result<libc::c_long, i32> {
    if ret >= 0 {
        Ok(ret)
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Probe {
    /// `{"subsystem": "cgroup", "feature": "cgroup v2", "status": "partial", "detail": "…"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("subsystem", self.subsystem.name())?;
        m.serialize_entry("feature", &self.feature.to_string())?;
        m.serialize_entry("status", &self.status.to_string())?;
        m.serialize_entry("detail", &self.detail)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_probes_run_and_render() {
        let probes = all();
        assert!(!probes.is_empty());
        for p in &probes {
            assert!(!p.detail.is_empty(), "{p:?}");
            assert!(!p.to_string().contains('\n'));
        }
        let bad = Probe::new(
            Subsystem::Cgroup,
            Feature::CgroupV2,
            Status::Unavailable,
            "no cgroup2 mount",
        );
        assert_eq!(
            bad.require().unwrap_err().to_string(),
            "cgroup: unsupported: cgroup v2: no cgroup2 mount"
        );
    }
}
