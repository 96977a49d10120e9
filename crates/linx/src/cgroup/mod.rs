//! cgroup v2: find the hierarchy, create and remove cgroups, place processes, set typed limits,
//! enable controllers, freeze, kill, watch events and read statistics (see
//! [cgroups(7)](https://man7.org/linux/man-pages/man7/cgroups.7.html) and the kernel's
//! [cgroup v2 guide](https://docs.kernel.org/admin-guide/cgroup-v2.html)).
//!
//! * [`hierarchy`] locates the v2 mount from mountinfo (never a hard-coded path) and explains
//!   every controller it lacks — on hybrid hosts the controllers are bound to v1 hierarchies
//!   (a controller can be attached to only one hierarchy at a time), so v2 sees none of them.
//! * [`Cgroup`] is a directory fd plus its path; every control file is reached with `openat`
//!   relative to it, and the fd is what `clone3(CLONE_INTO_CGROUP)` needs.
//! * Values are typed ([`Limit`] with `max`, [`CpuMax`], [`CpuList`], [`IoMax`], [`Controller`]
//!   …) and parsers ([`parse`]) keep unknown keys and skip malformed lines.
//! * Waiting (freeze, kill, [`Watcher`]) is driven by `cgroup.events` notifications, not polling.
//!
//! Errors are [`crate::Error`]s of subsystem `cgroup` naming the file:
//! `cgroup: write /sys/fs/cgroup/a/pids.max: EINVAL (errno 22)`.
//!
//! ```no_run
//! use linx::cgroup::{Cgroup, Controller, CpuMax, Limit, RemoveOptions};
//! let parent = Cgroup::create("jobs")?;
//! parent.enable(&[Controller::Memory, Controller::Pids, Controller::Cpu])?.into_result()?;
//! let job = parent.create_child("job-1")?;
//! job.set_memory_max(Limit::parse_bytes("256M")?)?;
//! job.set_cpu_max(CpuMax::new(Some(50_000), 100_000)?)?;
//! job.add_process(4242)?;
//! println!("{}", job.stats()?);
//! job.remove_with(&RemoveOptions::default())?;
//! # Ok::<(), linx::Error>(())
//! ```

mod handle;
pub mod parse;
mod stats;
mod values;
mod watch;

use std::path::{Path, PathBuf};

pub use handle::{Cgroup, ControllerChange, RemoveOptions};
pub use parse::{Events, Pressure, PsiLine};
pub use stats::{CpuStat, IoStat, MemoryEvents, Stats, parse_io_stat};
pub use values::{
    CgroupType, Controller, CpuList, CpuMax, DevNum, IoMax, IoWeight, Limit, PIDS_MAX_LIMIT,
    Partition, WEIGHT_RANGE,
};
pub use watch::{WatchEvent, Watcher};

use crate::error::{Error, Feature, Result, Subsystem};
use crate::mount::mountinfo::{self, MountEntry};
use crate::probe::{Probe, Status};

/// The v2 controllers linx knows about.
pub const V2_CONTROLLERS: [&str; 8] = [
    "cpu", "cpuset", "io", "memory", "hugetlb", "pids", "rdma", "misc",
];

/// Why a controller is not available in the v2 hierarchy.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Bound to a v1 hierarchy mounted at this path.
    BoundToV1(PathBuf),
    /// Bound to a v1 hierarchy that is not mounted in this mount namespace.
    BoundToV1Unmounted,
    /// Compiled in but disabled (e.g. `cgroup_disable=` on the kernel command line).
    Disabled,
    /// Not built into this kernel.
    NotBuilt,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::BoundToV1(p) => write!(f, "bound to cgroup v1 at {}", p.display()),
            Unavailable::BoundToV1Unmounted => {
                f.write_str("bound to an unmounted cgroup v1 hierarchy")
            }
            Unavailable::Disabled => f.write_str("disabled"),
            Unavailable::NotBuilt => f.write_str("not built into this kernel"),
        }
    }
}

/// What the host's cgroup v2 hierarchy offers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where cgroup2 is mounted (in the caller's mount namespace).
    pub mount_point: PathBuf,
    /// Controllers listed in the root's `cgroup.controllers`.
    pub controllers: Vec<String>,
    /// Known v2 controllers that are missing, with the reason.
    pub unavailable: Vec<(String, Unavailable)>,
}

/// Finds the cgroup2 mount in the caller's mountinfo (the first one, by mount order).
pub fn find_v2_mount(entries: &[MountEntry]) -> Option<PathBuf> {
    entries
        .iter()
        .find(|e| e.fstype == "cgroup2")
        .map(|e| e.mount_point.clone())
}

fn no_v2() -> Error {
    Error::unsupported(
        Subsystem::Cgroup,
        Feature::CgroupV2,
        "no cgroup2 filesystem is mounted",
    )
}

/// The caller's cgroup2 mount point, from `/proc/thread-self/mountinfo`.
///
/// # Errors
/// `Unsupported(CgroupV2)` when no cgroup2 filesystem is mounted; OS errors reading mountinfo.
pub fn mount_point() -> Result<PathBuf> {
    let entries = mountinfo::read("/proc/thread-self/mountinfo")?;
    find_v2_mount(&entries).ok_or_else(no_v2)
}

/// The cgroup2 mount that contains the absolute `path` (the longest matching mount point), or
/// `None` when it lies in none (while some cgroup2 mount exists).
pub(crate) fn mount_containing(path: &Path) -> Result<Option<PathBuf>> {
    let entries = mountinfo::read("/proc/thread-self/mountinfo")?;
    if find_v2_mount(&entries).is_none() {
        return Err(no_v2());
    }
    Ok(entries
        .iter()
        .filter(|e| e.fstype == "cgroup2" && path.starts_with(&e.mount_point))
        .max_by_key(|e| e.mount_point.as_os_str().len())
        .map(|e| e.mount_point.clone()))
}

/// Locates the v2 hierarchy and classifies every known controller.
///
/// # Errors
/// `Unsupported(CgroupV2)` when no cgroup2 filesystem is mounted; OS or protocol errors reading
/// mountinfo.
pub fn hierarchy() -> Result<Hierarchy> {
    hierarchy_at(&mount_point()?)
}

/// Classifies every known controller for the cgroup2 hierarchy mounted at `mount_point`.
pub(crate) fn hierarchy_at(mount_point: &Path) -> Result<Hierarchy> {
    let entries = mountinfo::read("/proc/thread-self/mountinfo")?;
    let mount_point = mount_point.to_path_buf();
    let controllers: Vec<String> = std::fs::read_to_string(mount_point.join("cgroup.controllers"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // /proc/cgroups: subsys_name hierarchy num_cgroups enabled (v1 hierarchy id 0 = not on v1).
    let proc_cgroups = std::fs::read_to_string("/proc/cgroups").unwrap_or_default();
    let v1_info = |name: &str| -> Option<(u32, bool)> {
        proc_cgroups.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 4 && f[0] == name).then(|| (f[1].parse().unwrap_or(0), f[3] == "1"))
        })
    };
    let v1_mount = |name: &str| -> Option<PathBuf> {
        entries
            .iter()
            .find(|e| e.fstype == "cgroup" && e.super_option_list().any(|o| o == name))
            .map(|e| e.mount_point.clone())
    };
    let mut unavailable = Vec::new();
    for c in V2_CONTROLLERS {
        if controllers.iter().any(|x| x == c) {
            continue;
        }
        // The v1 name of io is blkio.
        let v1_name = if c == "io" { "blkio" } else { c };
        let reason = match v1_info(v1_name) {
            None => Unavailable::NotBuilt,
            Some((_, false)) => Unavailable::Disabled,
            Some((h, true)) if h != 0 => match v1_mount(v1_name) {
                Some(p) => Unavailable::BoundToV1(p),
                None => Unavailable::BoundToV1Unmounted,
            },
            Some(_) => Unavailable::Disabled,
        };
        unavailable.push((c.to_owned(), reason));
    }
    Ok(Hierarchy {
        mount_point,
        controllers,
        unavailable,
    })
}

/// True iff a cgroup2 filesystem is mounted and has a `cgroup.controllers` file.
pub fn supported() -> bool {
    hierarchy().is_ok_and(|h| h.mount_point.join("cgroup.controllers").exists())
}

/// Probes cgroup v2: where it is mounted and which controllers it has; `Partial` when any of
/// memory, pids, cpu is missing, naming each missing controller and why.
pub fn probe() -> Probe {
    let p =
        |status, detail: String| Probe::new(Subsystem::Cgroup, Feature::CgroupV2, status, detail);
    match hierarchy() {
        Err(e) => p(Status::Unavailable, e.to_string()),
        Ok(h) => {
            let have = if h.controllers.is_empty() {
                "none".to_owned()
            } else {
                h.controllers.join(" ")
            };
            let essential_missing = ["memory", "pids", "cpu"]
                .iter()
                .any(|c| !h.controllers.iter().any(|x| x == c));
            let missing: Vec<String> = h
                .unavailable
                .iter()
                .filter(|(_, r)| *r != Unavailable::NotBuilt)
                .map(|(c, r)| format!("{c} ({r})"))
                .collect();
            let mut detail = format!("{} controllers: {have}", h.mount_point.display());
            if !missing.is_empty() {
                detail.push_str(&format!("; unavailable: {}", missing.join(", ")));
            }
            p(
                if essential_missing {
                    Status::Partial
                } else {
                    Status::Available
                },
                detail,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cg_01_finds_v2_mount_from_mountinfo() {
        let text = b"31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let e = mountinfo::parse(text).unwrap();
        assert_eq!(
            find_v2_mount(&e),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        assert_eq!(find_v2_mount(&e[..2]), None);
    }

    #[test]
    fn cg_01_host_hierarchy_is_classified() {
        // Whatever the host, every known controller is either present or has a reason.
        if let Ok(h) = hierarchy() {
            for c in V2_CONTROLLERS {
                let present = h.controllers.iter().any(|x| x == c);
                let explained = h.unavailable.iter().any(|(x, _)| x == c);
                assert!(present ^ explained, "{c}: {h:?}");
            }
        }
        assert!(!probe().detail.is_empty());
    }
}
