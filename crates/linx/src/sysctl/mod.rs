//! Sysctl: kernel parameters under `/proc/sys`, read, written and listed in any namespace
//! target. See [proc_sys(5)](https://man7.org/linux/man-pages/man5/proc_sys.5.html) and
//! [sysctl(8)](https://man7.org/linux/man-pages/man8/sysctl.8.html).
//!
//! * [`Key`] — a list of components, so interface names with dots work
//!   (`net.ipv4.conf.eth0/100.forwarding` ≡ `net/ipv4/conf/eth0.100/forwarding`); routed to the
//!   namespace that owns it ([`Key::namespace`]).
//! * [`Value`] — what can be written (integer, string without newline/NUL, integer list).
//! * [`Sysctl`] — read (raw, trimmed, int, int list), write, write-if-different, list a subtree
//!   (sorted, skipping what sysctl(8) skips), apply a sysctl.conf, in a namespace target.
//! * [`parse_conf`] — sysctl.conf / sysctl.d syntax.
//!
//! ```
//! use linx::sysctl::Sysctl;
//! let host = Sysctl::current();
//! assert_eq!(host.read("kernel.ostype")?, "Linux");
//! assert_eq!(host.read_ints("kernel.printk")?.len(), 4);
//! # Ok::<(), linx::Error>(())
//! ```

mod access;
mod conf;
mod key;

pub use access::{
    ConfItem, ConfReport, Entry, Listing, MAX_DEPTH, MAX_VALUE, Outcome, SkipReason, Skipped,
    Sysctl,
};
pub use conf::{Conf, ConfDiagnostic, ConfEntry, parse_conf, read_conf};
pub use key::{AsKey, Key, MAX_COMPONENT, PROC_SYS, Value, glob_match};

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
