//! Mounts: the mountinfo codec and kernel probes.
//!
//! This module currently holds the mountinfo parser/formatter ([`mountinfo`]) and the probe for the
//! new mount API; mount operations land with the filesystem-and-resources issue.

pub mod mountinfo;

use crate::error::{Feature, Subsystem};
use crate::probe::{Probe, Status, raw_syscall_errno};

/// Probes the new mount API (`fsopen`, `open_tree`, `move_mount`: Linux ≥ 5.2; `mount_setattr`:
/// ≥ 5.12) with calls that fail harmlessly: `ENOSYS` means missing, any other error means present.
pub fn probe_new_api() -> Probe {
    // SAFETY: each call passes an invalid fd or an empty string and cannot change any state.
    let fsopen = raw_syscall_errno(unsafe { libc::syscall(libc::SYS_fsopen, c"".as_ptr(), 0u32) });
    let setattr = raw_syscall_errno(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            -1i32,
            c"".as_ptr(),
            0u32,
            std::ptr::null::<u8>(),
            0usize,
        )
    });
    let p =
        |status, detail: &str| Probe::new(Subsystem::Mount, Feature::NewMountApi, status, detail);
    match (fsopen, setattr) {
        (Err(libc::ENOSYS), _) => p(
            Status::Unavailable,
            "no fsopen/open_tree/move_mount (needs Linux 5.2)",
        ),
        (_, Err(libc::ENOSYS)) => p(
            Status::Partial,
            "fsopen/open_tree/move_mount present; no mount_setattr (needs Linux 5.12), so no idmapped mounts",
        ),
        _ => p(
            Status::Available,
            "fsopen, open_tree, move_mount, mount_setattr present",
        ),
    }
}
