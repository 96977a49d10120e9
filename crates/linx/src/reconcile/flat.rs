//! The shared flat key → value engine (REC-20…REC-23): one implementation, used by the sysctl
//! adapter, the cgroup-limits adapter and `sysctl --load` ([`Sysctl::apply_conf`]).
//!
//! The engine is parameterised by a [`FlatStore`] — read, write and value comparison — and
//! works on text values:
//!
//! * **Best effort** (REC-21): every differing key is attempted independently; failures land in
//!   `failed`; `pending` stays empty (unless [`Options::verify`](super::Options::verify) finds a
//!   write that did not stick).
//! * **Three-way with originals** (REC-22): [`FlatState`] maps key → {applied value, original
//!   value}; the original (the pre-management value) is captured once, the first time the key is
//!   written. A key leaving the desired set is released (left as it is) by default, or written
//!   back to its original with [`revert_on_release`](super::Options::revert_on_release),
//!   reported as [`FlatOp::Revert`]. A failed write keeps earlier ownership but claims nothing
//!   new; a failed revert stays owned, to be retried.
//! * **Value equality** (REC-23, [`values_equal`]): whitespace-separated tokens compare one by
//!   one, integers by value (so a single integer is one token and a pair two); `max` equals any
//!   value whose first token is `max` (`cpu.max` reads `max 100000`); trailing whitespace never
//!   matters; an absent or unreadable key means "write".
//!
//! ```
//! use std::collections::BTreeMap;
//! use linx::reconcile::flat::{self, FlatOp, FlatState, FlatStore, MemStore};
//! use linx::reconcile::Options;
//!
//! let mut store = MemStore::from([("pids.max", "max"), ("memory.max", "max")]);
//! let desired = BTreeMap::from([("pids.max".to_string(), "100".to_string())]);
//! let r = flat::reconcile(&mut store, &desired, &FlatState::default(), &Options::default());
//! assert_eq!(r.applied, [FlatOp::Write { key: "pids.max".into(), value: "100".into() }]);
//! assert_eq!(r.last_applied.original("pids.max"), Some("max"));
//!
//! // Removing the key with revert_on_release writes the original back.
//! let opts = Options::default().revert_on_release(true);
//! let r = flat::reconcile(&mut store, &BTreeMap::new(), &r.last_applied, &opts);
//! assert_eq!(r.applied, [FlatOp::Revert { key: "pids.max".into(), original: "max".into() }]);
//! assert_eq!(store.read("pids.max")?, Some("max".to_string()));
//! # Ok::<(), linx::Error>(())
//! ```
//!
//! [`Sysctl::apply_conf`]: crate::sysctl::Sysctl::apply_conf

use std::collections::BTreeMap;
use std::fmt;

use super::{Options, Report};
use crate::error::{Error, Result};

/// Where flat keys live: read, write and the value comparison (REC-20).
///
/// The sysctl adapter implements it over `/proc/sys` in a namespace target, the cgroup adapter
/// over a cgroup's control files; [`MemStore`] is an in-memory store for tests and examples.
pub trait FlatStore {
    /// The current value with trailing whitespace trimmed, `Ok(None)` when the key does not
    /// exist.
    ///
    /// # Errors
    /// Any other read failure (the key is then treated as needing a write).
    fn read(&mut self, key: &str) -> Result<Option<String>>;

    /// Writes `value` to `key`.
    ///
    /// # Errors
    /// The subsystem's error, with its full context; it becomes a `failed` entry.
    fn write(&mut self, key: &str, value: &str) -> Result<()>;

    /// Whether an observed value already equals the desired one (default: [`values_equal`]).
    fn equal(&self, observed: &str, desired: &str) -> bool {
        values_equal(observed, desired)
    }
}

impl<S: FlatStore + ?Sized> FlatStore for &mut S {
    fn read(&mut self, key: &str) -> Result<Option<String>> {
        (**self).read(key)
    }
    fn write(&mut self, key: &str, value: &str) -> Result<()> {
        (**self).write(key, value)
    }
    fn equal(&self, observed: &str, desired: &str) -> bool {
        (**self).equal(observed, desired)
    }
}

/// Desired flat state: key → value text.
pub type FlatDesired = BTreeMap<String, String>;

/// One owned key: the value this engine wrote and the value the key had before (REC-22).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Owned {
    /// The value last written.
    pub applied: String,
    /// The value before the first write (`None` when the key was absent or unreadable then).
    pub original: Option<String>,
}

/// The `last_applied` of flat reconcilers: every key this engine wrote, with its original.
///
/// ```
/// use linx::reconcile::flat::{FlatState, Owned};
/// let mut s = FlatState::default();
/// s.keys.insert("pids.max".into(), Owned { applied: "100".into(), original: Some("max".into()) });
/// assert_eq!(s.original("pids.max"), Some("max"));
/// assert!(s.owns("pids.max"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct FlatState {
    /// Owned keys.
    pub keys: BTreeMap<String, Owned>,
}

impl FlatState {
    /// True when `key` is owned.
    pub fn owns(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// The captured original of an owned key.
    pub fn original(&self, key: &str) -> Option<&str> {
        self.keys.get(key).and_then(|o| o.original.as_deref())
    }

    /// Number of owned keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What observation found for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The value, trailing whitespace trimmed.
    Value(String),
    /// The key does not exist.
    Absent,
    /// Reading failed (the error is kept; a write is attempted anyway).
    Unreadable(Error),
}

impl Observed {
    /// The value, when one was read.
    pub fn value(&self) -> Option<&str> {
        match self {
            Observed::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Observed flat state: key → what was read.
pub type FlatObserved = BTreeMap<String, Observed>;

/// One operation of the flat engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlatOp {
    /// Write a desired value.
    Write {
        /// The key.
        key: String,
        /// The desired value.
        value: String,
    },
    /// Write a released key's original value back (with `revert_on_release`).
    Revert {
        /// The key.
        key: String,
        /// The value it had before this engine first wrote it.
        original: String,
    },
    /// Forget a key that left the desired set; its value is left as it is.
    Release {
        /// The key.
        key: String,
    },
}

impl FlatOp {
    /// The key the operation concerns.
    pub fn key(&self) -> &str {
        match self {
            FlatOp::Write { key, .. } | FlatOp::Revert { key, .. } | FlatOp::Release { key } => key,
        }
    }
}

impl fmt::Display for FlatOp {
    /// `write pids.max = 100`, `revert pids.max = max`, `release pids.max`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlatOp::Write { key, value } => write!(f, "write {key} = {value}"),
            FlatOp::Revert { key, original } => write!(f, "revert {key} = {original}"),
            FlatOp::Release { key } => write!(f, "release {key}"),
        }
    }
}

/// Splits off a leading integer token's value (decimal, optional sign), for numeric comparison.
fn int_token(t: &str) -> Option<i128> {
    t.parse::<i128>().ok()
}

fn tokens_equal(a: &str, b: &str) -> bool {
    a == b || matches!((int_token(a), int_token(b)), (Some(x), Some(y)) if x == y)
}

/// The value comparison of the flat engine (REC-23).
///
/// * `desired` `max` equals any observed value whose first token is `max`;
/// * otherwise both are split on whitespace and compared token by token, integer tokens by value
///   (`0100` = `100`), others exactly — so integers compare as one token, pairs (`cpu.max`
///   `50000 100000`) as two, and tab- or space-separated lists (`net.ipv4.tcp_rmem`) alike;
/// * trailing (and leading) whitespace never matters.
///
/// ```
/// use linx::reconcile::flat::values_equal;
/// assert!(values_equal("max 100000", "max"));
/// assert!(values_equal("50000 100000", "50000  100000\n"));
/// assert!(values_equal("4096\t131072\t6291456", "4096 131072 6291456"));
/// assert!(values_equal("268435456\n", "268435456"));
/// assert!(!values_equal("max", "100"));
/// assert!(!values_equal("50000 100000", "50000"));
/// assert!(values_equal("hello world  ", "hello world"));
/// ```
pub fn values_equal(observed: &str, desired: &str) -> bool {
    let mut d = desired.split_whitespace();
    let mut o = observed.split_whitespace();
    let d_first = d.clone().next();
    if d_first == Some("max") && d.clone().nth(1).is_none() {
        return o.next() == Some("max");
    }
    loop {
        match (o.next(), d.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if tokens_equal(a, b) => {}
            _ => return false,
        }
    }
}

/// The plan of the flat engine (REC-03): pure, from what was observed, what is desired and what
/// is owned.
///
/// * one [`FlatOp::Write`] per desired key whose observed value differs (or is absent or
///   unreadable), in key order;
/// * for every owned key no longer desired: [`FlatOp::Revert`] to its original when
///   `revert_on_release` and an original was captured, else [`FlatOp::Release`];
/// * nothing else: keys neither desired nor owned are never touched.
///
/// ```
/// use std::collections::BTreeMap;
/// use linx::reconcile::flat::{diff, values_equal, FlatOp, FlatState, Observed};
/// let observed = BTreeMap::from([("a".to_string(), Observed::Value("1".into()))]);
/// let desired = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
/// let ops = diff(&observed, &desired, &FlatState::default(), false, values_equal);
/// assert_eq!(ops, [FlatOp::Write { key: "b".into(), value: "2".into() }]);
/// ```
pub fn diff(
    observed: &FlatObserved,
    desired: &FlatDesired,
    state: &FlatState,
    revert_on_release: bool,
    equal: impl Fn(&str, &str) -> bool,
) -> Vec<FlatOp> {
    let mut ops = Vec::new();
    for (key, value) in desired {
        let same = observed
            .get(key)
            .and_then(Observed::value)
            .is_some_and(|o| equal(o, value));
        if !same {
            ops.push(FlatOp::Write {
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    for (key, owned) in &state.keys {
        if desired.contains_key(key) {
            continue;
        }
        match (&owned.original, revert_on_release) {
            (Some(original), true) => ops.push(FlatOp::Revert {
                key: key.clone(),
                original: original.clone(),
            }),
            _ => ops.push(FlatOp::Release { key: key.clone() }),
        }
    }
    ops
}

/// A plan of the flat engine with the observation it was computed from (the originals to
/// capture on first writes come from it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlatPlan {
    /// The operations, in order.
    pub ops: Vec<FlatOp>,
    /// What was observed.
    pub observed: FlatObserved,
}

/// Reads every key that matters to a pass: the desired ones and the owned ones.
///
/// ```
/// use std::collections::BTreeMap;
/// use linx::reconcile::flat::{observe, FlatState, MemStore, Observed};
/// let mut m = MemStore::from([("a", "1\n")]);
/// let desired = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
/// let o = observe(&mut m, &desired, &FlatState::default());
/// assert_eq!(o["a"], Observed::Value("1".into()));
/// assert_eq!(o["b"], Observed::Absent);
/// ```
pub fn observe<S: FlatStore + ?Sized>(
    store: &mut S,
    desired: &FlatDesired,
    state: &FlatState,
) -> FlatObserved {
    let mut out = FlatObserved::new();
    for key in desired.keys().chain(state.keys.keys()) {
        if out.contains_key(key) {
            continue;
        }
        let o = match store.read(key) {
            Ok(Some(v)) => Observed::Value(v),
            Ok(None) => Observed::Absent,
            Err(e) => Observed::Unreadable(e),
        };
        out.insert(key.clone(), o);
    }
    out
}

/// Carries out one operation (the single write primitive of the engine, also used by
/// [`Sysctl::apply_conf`](crate::sysctl::Sysctl::apply_conf)).
///
/// ```
/// use linx::reconcile::flat::{execute, FlatOp, FlatStore, MemStore};
/// let mut m = MemStore::default();
/// execute(&mut m, &FlatOp::Write { key: "k".into(), value: "v".into() })?;
/// execute(&mut m, &FlatOp::Release { key: "k".into() })?; // writes nothing
/// assert_eq!(m.writes.len(), 1);
/// # Ok::<(), linx::Error>(())
/// ```
///
/// # Errors
/// The store's write error.
pub fn execute<S: FlatStore + ?Sized>(store: &mut S, op: &FlatOp) -> Result<()> {
    match op {
        FlatOp::Write { key, value } => store.write(key, value),
        FlatOp::Revert { key, original } => store.write(key, original),
        FlatOp::Release { .. } => Ok(()),
    }
}

/// Applies `ops` best effort (REC-21, REC-22): each operation independently; ownership updated
/// as described in the module docs.
///
/// ```
/// use linx::reconcile::flat::{apply, FlatObserved, FlatOp, FlatState, MemStore};
/// let mut m = MemStore { failing: vec!["bad".into()], ..MemStore::default() };
/// let ops = vec![
///     FlatOp::Write { key: "bad".into(), value: "1".into() },
///     FlatOp::Write { key: "good".into(), value: "2".into() },
/// ];
/// let r = apply(&mut m, ops, &FlatObserved::new(), &FlatState::default());
/// assert_eq!(r.to_string(), "not converged (1 applied, 1 failed, 0 pending)");
/// assert!(r.last_applied.owns("good") && !r.last_applied.owns("bad"));
/// ```
pub fn apply<S: FlatStore + ?Sized>(
    store: &mut S,
    ops: Vec<FlatOp>,
    observed: &FlatObserved,
    state: &FlatState,
) -> Report<FlatOp, FlatState> {
    let mut next = state.clone();
    let mut report = Report::new(FlatState::default());
    for op in ops {
        match execute(store, &op) {
            Ok(()) => {
                match &op {
                    FlatOp::Write { key, value } => {
                        let before = observed.get(key).and_then(Observed::value);
                        next.keys
                            .entry(key.clone())
                            .and_modify(|o| o.applied.clone_from(value))
                            .or_insert_with(|| Owned {
                                applied: value.clone(),
                                original: before.map(str::to_owned),
                            });
                    }
                    FlatOp::Revert { key, .. } | FlatOp::Release { key } => {
                        next.keys.remove(key);
                    }
                }
                report.applied.push(op);
            }
            // A failed write claims nothing new and keeps earlier ownership; a failed revert
            // stays owned for the next pass.
            Err(e) => report.failed.push((op, e)),
        }
    }
    report.last_applied = next;
    report.finish()
}

/// Writes `ops` in order through [`execute`], returning each outcome (for callers that report
/// per entry themselves, such as sysctl.conf application, which always writes).
///
/// ```
/// use linx::reconcile::flat::{execute_all, FlatOp, MemStore};
/// let mut m = MemStore { failing: vec!["x".into()], ..MemStore::default() };
/// let out = execute_all(&mut m, vec![
///     FlatOp::Write { key: "x".into(), value: "1".into() },
///     FlatOp::Write { key: "y".into(), value: "1".into() },
/// ]);
/// assert!(out[0].1.is_err() && out[1].1.is_ok());
/// ```
pub fn execute_all<S: FlatStore + ?Sized>(
    store: &mut S,
    ops: Vec<FlatOp>,
) -> Vec<(FlatOp, Result<()>)> {
    ops.into_iter()
        .map(|op| {
            let r = execute(store, &op);
            (op, r)
        })
        .collect()
}

/// One pass of the engine: observe, diff, apply, then bounded verification when asked (writes
/// that do not read back as desired become `pending`).
///
/// ```
/// use std::collections::BTreeMap;
/// use linx::reconcile::flat::{reconcile, FlatState, MemStore};
/// use linx::reconcile::Options;
/// let mut m = MemStore::from([("cpu.max", "max 100000")]);
/// let want = BTreeMap::from([("cpu.max".to_string(), "max".to_string())]);
/// // `max` equals `max 100000`: nothing to write.
/// assert!(reconcile(&mut m, &want, &FlatState::default(), &Options::default()).is_noop());
/// ```
pub fn reconcile<S: FlatStore + ?Sized>(
    store: &mut S,
    desired: &FlatDesired,
    state: &FlatState,
    options: &Options,
) -> Report<FlatOp, FlatState> {
    let observed = observe(store, desired, state);
    let ops = diff(
        &observed,
        desired,
        state,
        options.revert_on_release,
        |o, d| store.equal(o, d),
    );
    let mut report = apply(store, ops, &observed, state);
    if let Some(v) = options.verify.filter(|v| v.attempts > 0) {
        let mut remaining = Vec::new();
        for _ in 0..v.attempts {
            std::thread::sleep(v.delay);
            let observed = observe(store, desired, &report.last_applied);
            remaining = diff(&observed, desired, &report.last_applied, false, |o, d| {
                store.equal(o, d)
            })
            .into_iter()
            .filter(|op| matches!(op, FlatOp::Write { .. }))
            .filter(|op| !report.failed.iter().any(|(f, _)| f == op))
            .collect();
            if remaining.is_empty() {
                break;
            }
        }
        report.pending.extend(remaining);
        report = report.finish();
    }
    report
}

/// An in-memory [`FlatStore`] (tests, examples, dry runs). Keys listed in
/// [`failing`](MemStore::failing) refuse writes with `EINVAL`.
///
/// ```
/// use linx::reconcile::flat::{FlatStore, MemStore};
/// let mut m = MemStore::from([("a", "1")]);
/// m.write("b", "2")?;
/// assert_eq!(m.read("b")?, Some("2".to_string()));
/// assert_eq!(m.read("c")?, None);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemStore {
    /// The values.
    pub values: BTreeMap<String, String>,
    /// Keys whose writes fail.
    pub failing: Vec<String>,
    /// Every write, in order.
    pub writes: Vec<(String, String)>,
}

impl<const N: usize> From<[(&str, &str); N]> for MemStore {
    fn from(v: [(&str, &str); N]) -> MemStore {
        MemStore {
            values: v
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..MemStore::default()
        }
    }
}

impl FlatStore for MemStore {
    fn read(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self.values.get(key).map(|v| v.trim_end().to_owned()))
    }

    fn write(&mut self, key: &str, value: &str) -> Result<()> {
        if self.failing.iter().any(|k| k == key) {
            return Err(crate::error::OsError::new(
                crate::error::Subsystem::Reconcile,
                crate::error::Operation::Write,
                crate::error::Errno::INVAL,
            )
            .key(key)
            .into());
        }
        self.writes.push((key.to_owned(), value.to_owned()));
        self.values.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> FlatDesired {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn rec_23_value_equality() {
        assert!(values_equal("max 100000", "max"));
        assert!(values_equal("max", "max"));
        assert!(!values_equal("100", "max"));
        assert!(values_equal("100\n", "100"));
        assert!(values_equal("0100", "100"));
        assert!(!values_equal("100", "1000"));
        assert!(values_equal("50000 100000", "50000 100000"));
        assert!(!values_equal("50000 100000", "50000 200000"));
        assert!(!values_equal("max 100000", "max 200000"));
        assert!(values_equal("abc  ", "abc"));
        assert!(!values_equal("abc", "abd"));
        assert!(!values_equal("", "0"));
    }

    #[test]
    fn rec_22_revert_failed_stays_owned() {
        let mut store = MemStore::from([("k", "orig")]);
        let r = reconcile(
            &mut store,
            &m(&[("k", "new")]),
            &FlatState::default(),
            &Options::default(),
        );
        assert_eq!(r.last_applied.original("k"), Some("orig"));
        store.failing.push("k".into());
        let opts = Options::default().revert_on_release(true);
        let r2 = reconcile(&mut store, &FlatDesired::new(), &r.last_applied, &opts);
        assert_eq!(r2.failed.len(), 1);
        assert!(r2.last_applied.owns("k"), "a failed revert stays owned");
        store.failing.clear();
        let r3 = reconcile(&mut store, &FlatDesired::new(), &r2.last_applied, &opts);
        assert!(r3.converged && !r3.last_applied.owns("k"));
        assert_eq!(store.values["k"], "orig");
    }
}
