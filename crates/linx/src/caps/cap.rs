//! The capability table: [`Cap`], its names and numbers, and the running kernel's highest
//! capability ([`last_cap`]). Pure except for [`last_cap`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};

/// The highest capability number this table has a name for (`CAP_CHECKPOINT_RESTORE`).
pub const LAST_KNOWN: u8 = 40;

/// The highest capability number a [`CapSet`](super::CapSet) (a `u64`) can hold.
pub const MAX_CAP: u8 = 63;

/// Names of capabilities 0..=40, without the `cap_` prefix, indexed by number.
const NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// One capability (see [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html)).
///
/// The 41 capabilities of Linux 5.9+ have named variants; numbers 41..=63, which a newer kernel
/// may know, are [`Cap::Other`], so no bit read from the kernel is ever lost. Equality, ordering
/// and hashing go by [`number`](Cap::number), so `Cap::Other(5)` equals `Cap::Kill`;
/// [`Cap::from_number`] always returns the named variant when there is one.
///
/// `Display` is the lower-case name with the `cap_` prefix (`cap_net_admin`), or the bare number
/// for `Other` (as `capsh --decode` prints it). Parsing ([`Cap::from_name`], `FromStr`) accepts
/// any case, with or without the prefix, and numbers 0..=63.
///
/// ```
/// use linx::caps::Cap;
/// assert_eq!(Cap::from_name("CAP_NET_ADMIN")?, Cap::NetAdmin);
/// assert_eq!(Cap::from_name("net_admin")?.to_string(), "cap_net_admin");
/// assert_eq!(Cap::NetAdmin.number(), 12);
/// assert_eq!(Cap::from_number(50), Some(Cap::Other(50)));
/// assert_eq!(Cap::Other(50).to_string(), "50");
/// assert!(Cap::from_name("cap_net_admn").unwrap_err().to_string().contains("cap_net_admin"));
/// # Ok::<(), linx::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)] // the variants are the kernel's capability names, documented in capabilities(7)
pub enum Cap {
    Chown,
    DacOverride,
    DacReadSearch,
    Fowner,
    Fsetid,
    Kill,
    Setgid,
    Setuid,
    Setpcap,
    LinuxImmutable,
    NetBindService,
    NetBroadcast,
    NetAdmin,
    NetRaw,
    IpcLock,
    IpcOwner,
    SysModule,
    SysRawio,
    SysChroot,
    SysPtrace,
    SysPacct,
    SysAdmin,
    SysBoot,
    SysNice,
    SysResource,
    SysTime,
    SysTtyConfig,
    Mknod,
    Lease,
    AuditWrite,
    AuditControl,
    Setfcap,
    MacOverride,
    MacAdmin,
    Syslog,
    WakeAlarm,
    BlockSuspend,
    AuditRead,
    Perfmon,
    Bpf,
    CheckpointRestore,
    /// A capability number without a name in this table (41..=63 when built by
    /// [`Cap::from_number`]).
    Other(u8),
}

/// The named capabilities in number order.
const KNOWN: [Cap; 41] = [
    Cap::Chown,
    Cap::DacOverride,
    Cap::DacReadSearch,
    Cap::Fowner,
    Cap::Fsetid,
    Cap::Kill,
    Cap::Setgid,
    Cap::Setuid,
    Cap::Setpcap,
    Cap::LinuxImmutable,
    Cap::NetBindService,
    Cap::NetBroadcast,
    Cap::NetAdmin,
    Cap::NetRaw,
    Cap::IpcLock,
    Cap::IpcOwner,
    Cap::SysModule,
    Cap::SysRawio,
    Cap::SysChroot,
    Cap::SysPtrace,
    Cap::SysPacct,
    Cap::SysAdmin,
    Cap::SysBoot,
    Cap::SysNice,
    Cap::SysResource,
    Cap::SysTime,
    Cap::SysTtyConfig,
    Cap::Mknod,
    Cap::Lease,
    Cap::AuditWrite,
    Cap::AuditControl,
    Cap::Setfcap,
    Cap::MacOverride,
    Cap::MacAdmin,
    Cap::Syslog,
    Cap::WakeAlarm,
    Cap::BlockSuspend,
    Cap::AuditRead,
    Cap::Perfmon,
    Cap::Bpf,
    Cap::CheckpointRestore,
];

impl Cap {
    /// Every named capability, in number order (0..=40).
    pub const KNOWN: [Cap; 41] = KNOWN;

    /// The capability number (the bit in a capability mask).
    pub const fn number(self) -> u8 {
        match self {
            Cap::Other(n) => n,
            // Every named variant is a field-less variant declared in number order, before
            // `Other`; its position in `KNOWN` is its number. Written as a loop-free match to
            // stay `const` and async-signal-safe.
            Cap::Chown => 0,
            Cap::DacOverride => 1,
            Cap::DacReadSearch => 2,
            Cap::Fowner => 3,
            Cap::Fsetid => 4,
            Cap::Kill => 5,
            Cap::Setgid => 6,
            Cap::Setuid => 7,
            Cap::Setpcap => 8,
            Cap::LinuxImmutable => 9,
            Cap::NetBindService => 10,
            Cap::NetBroadcast => 11,
            Cap::NetAdmin => 12,
            Cap::NetRaw => 13,
            Cap::IpcLock => 14,
            Cap::IpcOwner => 15,
            Cap::SysModule => 16,
            Cap::SysRawio => 17,
            Cap::SysChroot => 18,
            Cap::SysPtrace => 19,
            Cap::SysPacct => 20,
            Cap::SysAdmin => 21,
            Cap::SysBoot => 22,
            Cap::SysNice => 23,
            Cap::SysResource => 24,
            Cap::SysTime => 25,
            Cap::SysTtyConfig => 26,
            Cap::Mknod => 27,
            Cap::Lease => 28,
            Cap::AuditWrite => 29,
            Cap::AuditControl => 30,
            Cap::Setfcap => 31,
            Cap::MacOverride => 32,
            Cap::MacAdmin => 33,
            Cap::Syslog => 34,
            Cap::WakeAlarm => 35,
            Cap::BlockSuspend => 36,
            Cap::AuditRead => 37,
            Cap::Perfmon => 38,
            Cap::Bpf => 39,
            Cap::CheckpointRestore => 40,
        }
    }

    /// The capability with number `n`: the named variant for 0..=40, [`Cap::Other`] for
    /// 41..=63, `None` above 63.
    pub const fn from_number(n: u8) -> Option<Cap> {
        if n <= LAST_KNOWN {
            Some(KNOWN[n as usize])
        } else if n <= MAX_CAP {
            Some(Cap::Other(n))
        } else {
            None
        }
    }

    /// The name without prefix (`net_admin`), or `None` for a number without a name.
    pub fn short_name(self) -> Option<&'static str> {
        NAMES.get(usize::from(self.number())).copied()
    }

    /// Parses a capability name: any case, with or without the `cap_` prefix
    /// (`cap_net_admin`, `CAP_NET_ADMIN`, `net_admin`), or a number 0..=63 (`12`, `cap_12`).
    ///
    /// # Errors
    /// An input error naming the value, with a did-you-mean suggestion when a known name is
    /// close; numbers above 63 are refused.
    pub fn from_name(name: &str) -> Result<Cap> {
        let trimmed = name.trim();
        let lower = trimmed.to_ascii_lowercase();
        let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            return bare
                .parse::<u8>()
                .ok()
                .and_then(Cap::from_number)
                .ok_or_else(|| {
                    Error::input(
                        Subsystem::Caps,
                        "capability",
                        name,
                        "capability numbers go up to 63",
                    )
                });
        }
        if let Some(i) = NAMES.iter().position(|n| *n == bare) {
            return Ok(KNOWN[i]);
        }
        let reason = match suggest(bare) {
            Some(s) => format!("unknown capability (did you mean cap_{s}?)"),
            None => "unknown capability".to_owned(),
        };
        Err(Error::input(Subsystem::Caps, "capability", name, reason))
    }
}

/// The known name closest to `bare` by edit distance, if it is close enough to be a typo.
fn suggest(bare: &str) -> Option<&'static str> {
    let limit = (bare.len() / 3).clamp(1, 3);
    NAMES
        .iter()
        .map(|n| (levenshtein(bare.as_bytes(), n.as_bytes()), *n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

impl PartialEq for Cap {
    fn eq(&self, other: &Cap) -> bool {
        self.number() == other.number()
    }
}

impl Eq for Cap {}

impl Hash for Cap {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.number().hash(state);
    }
}

impl PartialOrd for Cap {
    fn partial_cmp(&self, other: &Cap) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cap {
    fn cmp(&self, other: &Cap) -> Ordering {
        self.number().cmp(&other.number())
    }
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.short_name() {
            Some(n) => write!(f, "cap_{n}"),
            None => write!(f, "{}", self.number()),
        }
    }
}

impl FromStr for Cap {
    type Err = Error;

    /// See [`Cap::from_name`].
    fn from_str(s: &str) -> Result<Cap> {
        Cap::from_name(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Cap {
    /// The [`Display`](fmt::Display) form: `"cap_net_admin"`, or `"50"` for an unnamed number.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The running kernel's highest capability number, from `/proc/sys/kernel/cap_last_cap`
/// (see [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html)).
///
/// # Errors
/// An OS error with the path when the file cannot be read; a protocol error when it does not
/// hold a number 0..=63.
///
/// ```
/// let last = linx::caps::last_cap()?;
/// assert!(last >= 36);
/// # Ok::<(), linx::Error>(())
/// ```
pub fn last_cap() -> Result<u8> {
    const PATH: &str = "/proc/sys/kernel/cap_last_cap";
    let text = std::fs::read_to_string(PATH).map_err(|e| {
        OsError::new(
            Subsystem::Caps,
            Operation::Read,
            rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
        )
        .path(PATH)
    })?;
    text.trim()
        .parse::<u8>()
        .ok()
        .filter(|n| *n <= MAX_CAP)
        .ok_or_else(|| {
            Error::protocol(
                Subsystem::Caps,
                ProtocolKind::Malformed,
                format!("{PATH} holds {:?}, not a number 0..=63", text.trim()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_agree() {
        for (i, c) in Cap::KNOWN.iter().enumerate() {
            assert_eq!(usize::from(c.number()), i);
            assert_eq!(Cap::from_number(i as u8), Some(*c));
            assert_eq!(Cap::from_name(&c.to_string()).unwrap(), *c);
        }
        assert_eq!(Cap::from_number(64), None);
        assert_eq!(Cap::Other(5), Cap::Kill);
    }

    #[test]
    fn suggestions() {
        let e = Cap::from_name("cap_sys_admn").unwrap_err().to_string();
        assert!(e.contains("did you mean cap_sys_admin"), "{e}");
        let e = Cap::from_name("frobnicate").unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(Cap::from_name("64").is_err());
        assert!(Cap::from_name("").is_err());
        assert_eq!(Cap::from_name("cap_63").unwrap(), Cap::Other(63));
    }
}
