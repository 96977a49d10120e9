//! User namespaces: uid/gid maps and setgroups.
//!
//! A process in a new user namespace has no identity until its maps are written: it runs as
//! the overflow uid/gid (65534). This module writes those maps from outside — typically for a
//! parked child at the checkpoint — and reads them back. See
//! [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html).
//!
//! * [`IdMap`] / [`IdMapEntry`] — validated maps (≥ 1 entry, ≤ 340, no overlap on either side,
//!   no 32-bit overflow), rendered as the kernel expects and parsed from `IN:OUT:COUNT`.
//! * [`write_uid_map`], [`write_gid_map`], [`deny_setgroups`], [`setup`] — one `write(2)` per
//!   file, in the order the kernel needs (setgroups → uid map → gid map).
//! * [`read_uid_map`], [`read_gid_map`], [`setgroups_state`], [`ids`] — reading back.
//! * [`map_current_user`], [`map_root_to_caller`] — the single-line self map an unprivileged
//!   caller may write.
//! * [`Helpers`], [`write_maps_with_helpers`] — multi-range maps for unprivileged callers via
//!   `newuidmap`/`newgidmap`, checked against `/etc/subuid`/`/etc/subgid` first.
//! * [`MapTracker`] — write-once bookkeeping for a parked child's handle.
//!
//! ```no_run
//! use linx::user::{self, IdMap, SetgroupsPolicy};
//! let child = linx::pidfd::Pidfd::open(4242)?;
//! let map = IdMap::single(0, 100000, 65536)?;
//! user::setup(&child, &map, &map, SetgroupsPolicy::Deny)?;
//! assert_eq!(user::read_uid_map(&child)?.entries, map.entries());
//! # Ok::<(), linx::Error>(())
//! ```

mod helpers;
mod idmap;
mod proc;

pub use helpers::{Helpers, SubIdRange, parse_subid, write_maps_with_helpers};
pub use idmap::{IdMap, IdMapEntry, MAX_ENTRIES, MapContents, parse_map};
pub use proc::{
    IdSet, Ids, MapTracker, SelfMap, Setgroups, SetgroupsPolicy, Task, deny_setgroups, ids,
    map_current_user, map_root_to_caller, parse_ids, read_gid_map, read_uid_map, setgroups_state,
    setup, write_gid_map, write_uid_map,
};

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
