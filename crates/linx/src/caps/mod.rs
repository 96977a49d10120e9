//! Capabilities: the capability table, capability sets, reading the five sets of any task, and
//! the plan a child applies to itself at the checkpoint.
//!
//! See [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html).
//!
//! * [`Cap`] — one capability (41 named, 0..=40; numbers up to 63 kept as [`Cap::Other`]);
//!   [`last_cap`] reads the running kernel's highest number.
//! * [`CapSet`] — a `Copy` 64-bit set with set algebra, names and hex.
//! * [`read`] — the five sets of a process, pidfd or thread from `/proc/…/status`;
//!   [`current`] — of the calling thread via `capget(2)`/`prctl(2)`.
//! * [`CapPlan`] — bounding drops, securebits, keep-caps, thread sets and ambient set, validated
//!   in the parent and applied async-signal-safely by the child between `clone` and `execve`
//!   (or by the calling thread, [`CapPlan::apply_current`]).
//! * [`FileCaps`] — the `security.capability` attribute of a file.
//!
//! ```
//! use linx::caps::{self, Cap, CapSet};
//! let me = caps::read(std::process::id() as i32)?;
//! let wanted: CapSet = "cap_net_admin,cap_net_raw".parse()?;
//! println!("{} of {wanted} held", (me.effective & wanted).len());
//! # Ok::<(), linx::Error>(())
//! ```

mod cap;
mod file;
mod plan;
mod set;
mod status;
mod sys;

pub use cap::{Cap, LAST_KNOWN, MAX_CAP, last_cap};
pub use file::{FileCaps, XATTR_NAME, read_file_caps, remove_file_caps, write_file_caps};
pub use plan::{ApplyError, ApplyStep, CapPlan, Securebits, ThreadSets};
pub use set::{CapSet, Iter};
pub use status::{CapState, Listing, SetKind, Task, current, read};

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
