//! Reading capability sets: the `Cap*` lines of `/proc/<pid>/status` (a pure parser plus the
//! file read) and `capget(2)` for the calling thread.

use std::fmt;

use super::set::CapSet;
use super::sys;
use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};

/// The five capability sets of a thread.
///
/// `Display` gives the count per set, `E2 P2 I0 B41 A0`; [`CapState::sets`] names each set for
/// longer listings.
///
/// ```
/// use linx::caps::CapState;
/// let text = "CapInh:\t0000000000000000\nCapPrm:\t0000000000000101\nCapEff:\t0000000000000101\n\
///             CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";
/// let state = CapState::parse_status(text)?;
/// assert_eq!(state.to_string(), "E2 P2 I0 B41 A0");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapState {
    /// Effective set (`CapEff`): what the kernel checks.
    pub effective: CapSet,
    /// Permitted set (`CapPrm`): the limit for effective and for what can be inherited.
    pub permitted: CapSet,
    /// Inheritable set (`CapInh`): kept across `execve` for files with inheritable file caps.
    pub inheritable: CapSet,
    /// Bounding set (`CapBnd`): the limit for capabilities gained at `execve`.
    pub bounding: CapSet,
    /// Ambient set (`CapAmb`): kept across `execve` of unprivileged programs.
    pub ambient: CapSet,
}

/// Which set of a [`CapState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// `CapEff`.
    Effective,
    /// `CapPrm`.
    Permitted,
    /// `CapInh`.
    Inheritable,
    /// `CapBnd`.
    Bounding,
    /// `CapAmb`.
    Ambient,
}

impl SetKind {
    /// All five, in the order `/proc/<pid>/status` lists them (Inh, Prm, Eff, Bnd, Amb).
    pub const ALL: [SetKind; 5] = [
        SetKind::Inheritable,
        SetKind::Permitted,
        SetKind::Effective,
        SetKind::Bounding,
        SetKind::Ambient,
    ];

    /// The field name in `/proc/<pid>/status` (`CapEff`, …).
    pub const fn status_field(self) -> &'static str {
        match self {
            SetKind::Effective => "CapEff",
            SetKind::Permitted => "CapPrm",
            SetKind::Inheritable => "CapInh",
            SetKind::Bounding => "CapBnd",
            SetKind::Ambient => "CapAmb",
        }
    }

    /// The lower-case name (`effective`, …).
    pub const fn name(self) -> &'static str {
        match self {
            SetKind::Effective => "effective",
            SetKind::Permitted => "permitted",
            SetKind::Inheritable => "inheritable",
            SetKind::Bounding => "bounding",
            SetKind::Ambient => "ambient",
        }
    }
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl CapState {
    /// The set of `kind`.
    pub const fn get(&self, kind: SetKind) -> CapSet {
        match kind {
            SetKind::Effective => self.effective,
            SetKind::Permitted => self.permitted,
            SetKind::Inheritable => self.inheritable,
            SetKind::Bounding => self.bounding,
            SetKind::Ambient => self.ambient,
        }
    }

    /// The five sets with their kinds, in `/proc` order (Inh, Prm, Eff, Bnd, Amb).
    pub fn sets(&self) -> [(SetKind, CapSet); 5] {
        SetKind::ALL.map(|k| (k, self.get(k)))
    }

    /// The thread sets (effective, permitted, inheritable) of this state, as a starting point
    /// for a [`CapPlan`](super::CapPlan) that changes only one of them.
    pub const fn thread_sets(&self) -> super::ThreadSets {
        super::ThreadSets {
            effective: self.effective,
            permitted: self.permitted,
            inheritable: self.inheritable,
        }
    }

    /// Parses the `Cap*` lines of a `/proc/<pid>/status` text (see
    /// [proc_pid_status(5)](https://man7.org/linux/man-pages/man5/proc_pid_status.5.html)).
    /// The lines may come in any order, with any whitespace after the colon and either hex
    /// case; other lines are ignored; when a field repeats, the first one counts.
    ///
    /// # Errors
    /// A protocol error naming the field that is missing or whose value is not a mask.
    pub fn parse_status(text: &str) -> Result<CapState> {
        let mut found: [Option<CapSet>; 5] = [None; 5];
        for line in text.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let Some(i) = SetKind::ALL.iter().position(|k| k.status_field() == name) else {
                continue;
            };
            if found[i].is_some() {
                continue;
            }
            let set = CapSet::from_hex(value).map_err(|_| {
                Error::protocol(
                    Subsystem::Caps,
                    ProtocolKind::Malformed,
                    format!("{name} value {:?} is not a capability mask", value.trim()),
                )
            })?;
            found[i] = Some(set);
        }
        let get = |k: SetKind| -> Result<CapSet> {
            let i = SetKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
            found[i].ok_or_else(|| {
                Error::protocol(
                    Subsystem::Caps,
                    ProtocolKind::Truncated,
                    format!("no {} line", k.status_field()),
                )
            })
        };
        Ok(CapState {
            inheritable: get(SetKind::Inheritable)?,
            permitted: get(SetKind::Permitted)?,
            effective: get(SetKind::Effective)?,
            bounding: get(SetKind::Bounding)?,
            ambient: get(SetKind::Ambient)?,
        })
    }

    /// A multi-line listing, one set per line: `effective    000001ffffffffff cap_chown,…`
    /// (`-` for an empty set), in `/proc` order.
    pub fn listing(&self) -> Listing<'_> {
        Listing(self)
    }
}

/// [`CapState::listing`]'s `Display` adapter.
#[derive(Debug)]
pub struct Listing<'a>(&'a CapState);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (kind, set)) in self.0.sets().into_iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{:<12} {:016x} ", kind.name(), set)?;
            if set.is_empty() {
                f.write_str("-")?;
            } else {
                write!(f, "{set}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for CapState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "E{} P{} I{} B{} A{}",
            self.effective.len(),
            self.permitted.len(),
            self.inheritable.len(),
            self.bounding.len(),
            self.ambient.len()
        )
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CapState {
    /// `{"inheritable": {"hex": …, "names": […]}, "permitted": …, "effective": …,
    /// "bounding": …, "ambient": …}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(5))?;
        for (kind, set) in self.sets() {
            m.serialize_entry(kind.name(), &set)?;
        }
        m.end()
    }
}

/// Whose capabilities to read: a task in the kernel's sense (a process or one of its threads) —
/// the shared [`crate::pidfd::Task`].
pub use crate::pidfd::Task;

/// Reads the five capability sets of a task from its `/proc/…/status` file.
///
/// Takes a pid (`read(1234)`), a `&Pidfd`, or a [`Task`]. Capability sets are per thread; a
/// pid names the process's main thread, [`Task::Thread`] any other.
///
/// # Errors
/// Input error for a pid ≤ 0; an OS error `caps: read /proc/<pid>/status: ENOENT (errno 2)`
/// when the task does not exist; a protocol error naming a missing `Cap*` field and the path;
/// for a pidfd, `NoProcess` when the process exited before the read completed.
///
/// ```
/// let me = linx::caps::read(std::process::id() as i32)?;
/// assert!(me.effective.is_subset(me.permitted));
/// # Ok::<(), linx::Error>(())
/// ```
pub fn read<'a>(task: impl Into<Task<'a>>) -> Result<CapState> {
    let task = task.into();
    let path = format!("{}/status", task.proc_dir()?);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        OsError::new(
            Subsystem::Caps,
            Operation::Read,
            rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
        )
        .path(&path)
    })?;
    task.ensure_alive()?;
    CapState::parse_status(&text).map_err(|e| match e {
        Error::Protocol(mut p) => {
            p.detail = format!("{path}: {}", p.detail);
            Error::Protocol(p)
        }
        other => other,
    })
}

/// The calling thread's five sets from the kernel directly: `capget(2)` for effective,
/// permitted and inheritable, `PR_CAPBSET_READ` for bounding and `PR_CAP_AMBIENT_IS_SET` for
/// ambient (see [prctl(2)](https://man7.org/linux/man-pages/man2/prctl.2.html)).
///
/// Capabilities are per thread: the result describes only the thread that calls this.
///
/// # Errors
/// OS errors of `capget`/`prctl`.
///
/// ```
/// let now = linx::caps::current()?;
/// assert!(now.effective.is_subset(now.permitted));
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "capget")]
pub fn current() -> Result<CapState> {
    let (effective, permitted, inheritable) = sys::capget()
        .map_err(|e| OsError::new(Subsystem::Caps, Operation::Syscall("capget"), errno(e)))?;
    let mut bounding = CapSet::empty();
    let mut ambient = CapSet::empty();
    for n in 0..=super::cap::MAX_CAP {
        match sys::bounding_read(n) {
            Ok(true) => bounding |= CapSet::from_bits(1u64 << n),
            Ok(false) => {}
            Err(libc::EINVAL) => break,
            Err(e) => {
                return Err(OsError::new(
                    Subsystem::Caps,
                    Operation::Syscall("prctl(PR_CAPBSET_READ)"),
                    errno(e),
                )
                .into());
            }
        }
        match sys::ambient_is_set(n) {
            Ok(true) => ambient |= CapSet::from_bits(1u64 << n),
            Ok(false) | Err(libc::EINVAL) => {}
            Err(e) => {
                return Err(OsError::new(
                    Subsystem::Caps,
                    Operation::Syscall("prctl(PR_CAP_AMBIENT_IS_SET)"),
                    errno(e),
                )
                .into());
            }
        }
    }
    Ok(CapState {
        effective: CapSet::from_bits(effective),
        permitted: CapSet::from_bits(permitted),
        inheritable: CapSet::from_bits(inheritable),
        bounding,
        ambient,
    })
}

pub(super) fn errno(e: i32) -> rustix::io::Errno {
    rustix::io::Errno::from_raw_os_error(e)
}
