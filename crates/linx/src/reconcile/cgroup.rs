//! The cgroup-limits adapter (REC-24, CG-22): desired control file → typed limit in one cgroup,
//! through the shared [flat engine](super::flat).
//!
//! Scope = an existing [`Cgroup`]. The reconciler never creates or removes cgroups, enables
//! controllers or moves processes; it only writes control files. Wake source: none (timer
//! passes), or `cgroup.events` when [`watch_events`](CgroupReconciler::watch_events) asks for
//! it (it changes on populated/frozen transitions, not on limit writes).
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use linx::cgroup::Cgroup;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::cgroup::{CgroupLimit, CgroupReconciler};
//! use linx::reconcile::flat::FlatState;
//!
//! let cg = Cgroup::open("jobs/a")?;
//! let desired = BTreeMap::from([
//!     ("memory.max".to_string(), CgroupLimit::Bytes(256 << 20)),
//!     ("pids.max".to_string(), CgroupLimit::Count(100)),
//!     ("cpu.max".to_string(), "50000 100000".parse()?),
//! ]);
//! let report = CgroupReconciler::new().reconcile(&cg, &desired, &FlatState::default(), &Options::default())?;
//! println!("{report}"); // converged (3 applied)
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::str::FromStr;

use super::flat::{self, FlatDesired, FlatObserved, FlatOp, FlatPlan, FlatState, FlatStore};
use super::{Options, Reconciler, Report, Wake, WakeSource, Wakeup};
use crate::cgroup::{Cgroup, CpuMax, Limit, Watcher};
use crate::error::{Errno, Error, Result, Subsystem};

/// A desired value of one cgroup control file.
///
/// Parsing (`FromStr`, and strings in desired-state files) is context-free: `max` → [`Max`],
/// a decimal number → [`Count`], a byte size with a suffix (`256M`, `1G`) → [`Bytes`], two tokens
/// (`50000 100000`, `max 100000`, `50000/100000`) → [`CpuMax`], anything else → [`Raw`].
///
/// ```
/// use linx::reconcile::cgroup::CgroupLimit;
/// assert_eq!("256M".parse::<CgroupLimit>()?, CgroupLimit::Bytes(256 << 20));
/// assert_eq!("max".parse::<CgroupLimit>()?.to_string(), "max");
/// assert_eq!("max 100000".parse::<CgroupLimit>()?.to_string(), "max 100000");
/// assert_eq!("0-3".parse::<CgroupLimit>()?, CgroupLimit::Raw("0-3".into()));
/// # Ok::<(), linx::Error>(())
/// ```
///
/// [`Max`]: CgroupLimit::Max
/// [`Count`]: CgroupLimit::Count
/// [`Bytes`]: CgroupLimit::Bytes
/// [`CpuMax`]: CgroupLimit::CpuMax
/// [`Raw`]: CgroupLimit::Raw
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CgroupLimit {
    /// A byte size (`memory.max` …), written in bytes.
    Bytes(u64),
    /// A count (`pids.max`, `cgroup.max.descendants`, `cpu.weight` …).
    Count(u64),
    /// `max`: unlimited (equals `max 100000` in `cpu.max`).
    Max,
    /// `cpu.max`: quota (or max) per period.
    CpuMax(CpuMax),
    /// Written exactly (`cpuset.cpus` `0-3`, `io.max` lines, `memory.oom.group` …).
    Raw(String),
}

impl fmt::Display for CgroupLimit {
    /// The text written to the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgroupLimit::Bytes(n) | CgroupLimit::Count(n) => write!(f, "{n}"),
            CgroupLimit::Max => f.write_str("max"),
            CgroupLimit::CpuMax(c) => write!(f, "{c}"),
            CgroupLimit::Raw(s) => f.write_str(s),
        }
    }
}

impl FromStr for CgroupLimit {
    type Err = Error;

    /// See [`CgroupLimit`].
    fn from_str(s: &str) -> Result<CgroupLimit> {
        let t = s.trim();
        if t == "max" {
            return Ok(CgroupLimit::Max);
        }
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse()
                .map(CgroupLimit::Count)
                .map_err(|_| Error::input(Subsystem::Cgroup, "limit", s, "number too large"));
        }
        if t.starts_with(|c: char| c.is_ascii_digit())
            && t.ends_with(|c: char| c.is_ascii_alphabetic())
            && !t.contains(char::is_whitespace)
        {
            return match Limit::parse_bytes(t)? {
                Limit::Value(n) => Ok(CgroupLimit::Bytes(n)),
                Limit::Max => Ok(CgroupLimit::Max),
            };
        }
        let tokens: Vec<&str> = t
            .split(|c: char| c.is_whitespace() || c == '/')
            .filter(|x| !x.is_empty())
            .collect();
        let numeric = |x: &str| x == "max" || x.bytes().all(|b| b.is_ascii_digit());
        if tokens.len() == 2 && numeric(tokens[0]) && tokens[1].bytes().all(|b| b.is_ascii_digit())
        {
            return t.parse::<CpuMax>().map(CgroupLimit::CpuMax);
        }
        if s.contains(['\n', '\0']) {
            return Err(Error::input(
                Subsystem::Cgroup,
                "limit",
                s,
                "must be one line without NUL",
            ));
        }
        Ok(CgroupLimit::Raw(t.to_owned()))
    }
}

impl From<Limit> for CgroupLimit {
    fn from(l: Limit) -> CgroupLimit {
        match l {
            Limit::Value(n) => CgroupLimit::Count(n),
            Limit::Max => CgroupLimit::Max,
        }
    }
}

impl From<CpuMax> for CgroupLimit {
    fn from(c: CpuMax) -> CgroupLimit {
        CgroupLimit::CpuMax(c)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::CgroupLimit;
    use crate::cgroup::CpuMax;
    use serde::de::{self, MapAccess, Visitor};
    use std::fmt;

    impl serde::Serialize for CgroupLimit {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                CgroupLimit::Count(n) | CgroupLimit::Bytes(n) => s.serialize_u64(*n),
                other => s.collect_str(other),
            }
        }
    }

    struct V;

    impl<'de> Visitor<'de> for V {
        type Value = CgroupLimit;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a cgroup limit: a number, \"max\", a byte size such as \"256M\", \"QUOTA PERIOD\", { quota, period } or a raw string",
            )
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<CgroupLimit, E> {
            Ok(CgroupLimit::Count(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<CgroupLimit, E> {
            u64::try_from(v)
                .map(CgroupLimit::Count)
                .map_err(|_| E::custom(format!("negative limit {v}")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<CgroupLimit, E> {
            v.parse()
                .map_err(|e: crate::Error| E::custom(e.to_string()))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CgroupLimit, A::Error> {
            let (mut quota, mut period): (Option<Option<u64>>, Option<u64>) = (None, None);
            while let Some(k) = map.next_key::<String>()? {
                match k.as_str() {
                    "quota" => {
                        let q: QuotaValue = map.next_value()?;
                        quota = Some(q.0);
                    }
                    "period" => period = Some(map.next_value()?),
                    other => {
                        return Err(de::Error::unknown_field(other, &["quota", "period"]));
                    }
                }
            }
            let c = CpuMax::new(quota.flatten(), period.unwrap_or(100_000))
                .map_err(|e| de::Error::custom(e.to_string()))?;
            Ok(CgroupLimit::CpuMax(c))
        }
    }

    /// A quota: a number or "max".
    struct QuotaValue(Option<u64>);

    impl<'de> serde::Deserialize<'de> for QuotaValue {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<QuotaValue, D::Error> {
            struct Q;
            impl Visitor<'_> for Q {
                type Value = QuotaValue;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a quota in µs or \"max\"")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<QuotaValue, E> {
                    Ok(QuotaValue(Some(v)))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<QuotaValue, E> {
                    u64::try_from(v)
                        .map(|v| QuotaValue(Some(v)))
                        .map_err(|_| E::custom(format!("negative quota {v}")))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<QuotaValue, E> {
                    if v == "max" {
                        Ok(QuotaValue(None))
                    } else {
                        Err(E::invalid_value(de::Unexpected::Str(v), &self))
                    }
                }
            }
            d.deserialize_any(Q)
        }
    }

    impl<'de> serde::Deserialize<'de> for CgroupLimit {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CgroupLimit, D::Error> {
            d.deserialize_any(V)
        }
    }
}

/// Desired limits: control file name → value.
pub type CgroupDesired = BTreeMap<String, CgroupLimit>;

/// A [`FlatStore`] over one cgroup's control files; a missing file (controller not enabled in
/// the parent) reads as absent.
#[derive(Debug)]
pub struct CgroupStore<'a> {
    cgroup: &'a Cgroup,
}

impl<'a> CgroupStore<'a> {
    /// A store over `cgroup`.
    pub fn new(cgroup: &'a Cgroup) -> CgroupStore<'a> {
        CgroupStore { cgroup }
    }
}

impl FlatStore for CgroupStore<'_> {
    fn read(&mut self, key: &str) -> Result<Option<String>> {
        match self.cgroup.read(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.errno() == Some(Errno::NOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, key: &str, value: &str) -> Result<()> {
        self.cgroup.write(key, value)
    }
}

/// The flat form of desired limits.
///
/// # Errors
/// Input errors naming the file (`cgroup.limits."pids.max"`): an empty name or one with `/`,
/// a value with a newline or NUL.
pub fn flatten(desired: &CgroupDesired) -> Result<FlatDesired> {
    let mut out = FlatDesired::new();
    for (file, limit) in desired {
        let at = || format!("cgroup.limits.\"{file}\"");
        if file.is_empty() || file.contains(['/', '\0']) || file == "." || file == ".." {
            return Err(Error::input(
                Subsystem::Reconcile,
                at(),
                file.as_str(),
                "not a control file name",
            ));
        }
        let v = limit.to_string();
        if v.contains(['\n', '\0']) || v.is_empty() {
            return Err(Error::input(
                Subsystem::Reconcile,
                at(),
                v,
                "must be one non-empty line without NUL",
            ));
        }
        out.insert(file.clone(), v);
    }
    Ok(out)
}

/// The cgroup-limits reconciler.
#[derive(Debug, Clone, Default)]
pub struct CgroupReconciler {
    watch_events: bool,
}

impl CgroupReconciler {
    /// A reconciler with timer passes only.
    pub fn new() -> CgroupReconciler {
        CgroupReconciler::default()
    }

    /// Uses `cgroup.events` (and `memory.events`) changes as wake-ups of the loop.
    pub fn watch_events(mut self, on: bool) -> CgroupReconciler {
        self.watch_events = on;
        self
    }
}

struct EventsWake(Watcher);

impl Wake for EventsWake {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }

    fn drain(&mut self) -> Result<Wakeup> {
        Ok(if self.0.poll_changes()?.is_empty() {
            Wakeup::Nothing
        } else {
            Wakeup::Changed
        })
    }
}

impl Reconciler for CgroupReconciler {
    type Scope = Cgroup;
    type Desired = CgroupDesired;
    type Observed = FlatObserved;
    type Plan = FlatPlan;
    type Op = FlatOp;
    type LastApplied = FlatState;

    fn observe(
        &mut self,
        scope: &Cgroup,
        desired: &CgroupDesired,
        last_applied: &FlatState,
    ) -> Result<FlatObserved> {
        Ok(flat::observe(
            &mut CgroupStore::new(scope),
            &flatten(desired)?,
            last_applied,
        ))
    }

    fn diff(
        &self,
        observed: &FlatObserved,
        desired: &CgroupDesired,
        last_applied: &FlatState,
        options: &Options,
    ) -> Result<FlatPlan> {
        Ok(FlatPlan {
            ops: flat::diff(
                observed,
                &flatten(desired)?,
                last_applied,
                options.revert_on_release,
                flat::values_equal,
            ),
            observed: observed.clone(),
        })
    }

    fn ops(&self, plan: &FlatPlan) -> Vec<FlatOp> {
        plan.ops.clone()
    }

    fn apply(
        &mut self,
        scope: &Cgroup,
        plan: FlatPlan,
        last_applied: &FlatState,
        _options: &Options,
    ) -> Result<Report<FlatOp, FlatState>> {
        Ok(flat::apply(
            &mut CgroupStore::new(scope),
            plan.ops,
            &plan.observed,
            last_applied,
        ))
    }

    /// One pass through [`flat::reconcile`].
    fn reconcile(
        &mut self,
        scope: &Cgroup,
        desired: &CgroupDesired,
        last_applied: &FlatState,
        options: &Options,
    ) -> Result<Report<FlatOp, FlatState>> {
        let flat = flatten(desired)?;
        Ok(flat::reconcile(
            &mut CgroupStore::new(scope),
            &flat,
            last_applied,
            options,
        ))
    }

    fn subscribe(&mut self, scope: &Cgroup) -> Result<Option<WakeSource>> {
        if !self.watch_events {
            return Ok(None);
        }
        Ok(Some(WakeSource::new(EventsWake(scope.watch()?))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rec_24_limit_parsing() {
        assert_eq!(
            "100".parse::<CgroupLimit>().unwrap(),
            CgroupLimit::Count(100)
        );
        assert_eq!(
            "1G".parse::<CgroupLimit>().unwrap(),
            CgroupLimit::Bytes(1 << 30)
        );
        assert_eq!(
            "50000 100000".parse::<CgroupLimit>().unwrap().to_string(),
            "50000 100000"
        );
        assert_eq!(
            "50000/100000".parse::<CgroupLimit>().unwrap().to_string(),
            "50000 100000"
        );
        assert!(
            "5 100000".parse::<CgroupLimit>().is_err(),
            "quota below 1000"
        );
        assert_eq!(
            "8:0 rbps=1048576".parse::<CgroupLimit>().unwrap(),
            CgroupLimit::Raw("8:0 rbps=1048576".into())
        );
        assert!("12Q".parse::<CgroupLimit>().is_err());
        let d = CgroupDesired::from([("a/b".to_string(), CgroupLimit::Max)]);
        assert!(flatten(&d).is_err());
    }
}
