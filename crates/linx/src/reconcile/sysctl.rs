//! The sysctl adapter (REC-25, SYS-11): desired key → value in a namespace target, through the
//! shared [flat engine](super::flat). Scope = [`NsTarget`]; wake source: none (timer passes).
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use linx::ns::NsTarget;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::flat::FlatState;
//! use linx::reconcile::sysctl::SysctlReconciler;
//! use linx::sysctl::{Key, Value};
//!
//! let desired = BTreeMap::from([(Key::parse("net.ipv4.ip_forward")?, Value::Int(1))]);
//! let netns: NsTarget = "/run/netns/blue".parse()?;
//! let report = SysctlReconciler::new().reconcile(&netns, &desired, &FlatState::default(), &Options::default())?;
//! println!("{report}");
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::BTreeMap;

use super::flat::{self, FlatDesired, FlatObserved, FlatOp, FlatPlan, FlatState, FlatStore};
use super::{Options, Reconciler, Report};
use crate::error::{Errno, Result};
use crate::ns::{NsSet, NsTarget};
use crate::sysctl::{Key, Sysctl, Value};

/// Desired sysctl values (keys deduplicated: `net/ipv4/ip_forward` and `net.ipv4.ip_forward`
/// are one key).
pub type SysctlDesired = BTreeMap<Key, Value>;

/// A [`FlatStore`] over `/proc/sys` through a [`Sysctl`] handle: keys in dot form, values read
/// trimmed; a key the kernel or namespace does not have reads as absent (`ENOENT`).
///
/// ```no_run
/// use linx::reconcile::flat::FlatStore;
/// use linx::reconcile::sysctl::SysctlStore;
/// let mut s = SysctlStore::new(linx::sysctl::Sysctl::current());
/// assert_eq!(s.read("kernel.ostype")?, Some("Linux".to_string()));
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SysctlStore {
    sysctl: Sysctl,
}

impl SysctlStore {
    /// A store over `sysctl`.
    pub fn new(sysctl: Sysctl) -> SysctlStore {
        SysctlStore { sysctl }
    }
}

impl FlatStore for SysctlStore {
    fn read(&mut self, key: &str) -> Result<Option<String>> {
        match self.sysctl.read(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.errno() == Some(Errno::NOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, key: &str, value: &str) -> Result<()> {
        self.sysctl.write(key, Value::Str(value.to_owned()))
    }
}

/// The sysctl reconciler: desired values written best effort through the flat engine, with
/// ownership and optional revert-on-release.
#[derive(Debug, Clone, Default)]
pub struct SysctlReconciler {
    kinds: Option<NsSet>,
}

impl SysctlReconciler {
    /// A reconciler joining the target's net, UTS, IPC and user namespaces as keys need.
    pub fn new() -> SysctlReconciler {
        SysctlReconciler::default()
    }

    /// Restricts which of the target's namespaces are joined (see [`Sysctl::with_kinds`]); e.g.
    /// `NsSet::NET` for a `--netns` target.
    pub fn with_kinds(mut self, kinds: NsSet) -> SysctlReconciler {
        self.kinds = Some(kinds);
        self
    }

    fn store(&self, scope: &NsTarget) -> SysctlStore {
        let s = Sysctl::new(scope.clone());
        SysctlStore::new(match self.kinds {
            Some(k) => s.with_kinds(k),
            None => s,
        })
    }
}

/// The flat form of desired sysctl values: dot-form keys, `Display` values.
///
/// # Errors
/// Input errors of [`Value::validate`] (newline or NUL in a string, empty list), naming the key.
pub fn flatten(desired: &SysctlDesired) -> Result<FlatDesired> {
    let mut out = FlatDesired::new();
    for (k, v) in desired {
        v.validate().map_err(|e| match e {
            crate::Error::Input(mut i) => {
                i.argument = format!("sysctl.\"{k}\"").into();
                crate::Error::Input(i)
            }
            other => other,
        })?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

impl Reconciler for SysctlReconciler {
    type Scope = NsTarget;
    type Desired = SysctlDesired;
    type Observed = FlatObserved;
    type Plan = FlatPlan;
    type Op = FlatOp;
    type LastApplied = FlatState;

    fn observe(
        &mut self,
        scope: &NsTarget,
        desired: &SysctlDesired,
        last_applied: &FlatState,
    ) -> Result<FlatObserved> {
        Ok(flat::observe(
            &mut self.store(scope),
            &flatten(desired)?,
            last_applied,
        ))
    }

    fn diff(
        &self,
        observed: &FlatObserved,
        desired: &SysctlDesired,
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
        scope: &NsTarget,
        plan: FlatPlan,
        last_applied: &FlatState,
        _options: &Options,
    ) -> Result<Report<FlatOp, FlatState>> {
        let mut store = self.store(scope);
        Ok(flat::apply(
            &mut store,
            plan.ops,
            &plan.observed,
            last_applied,
        ))
    }

    /// One pass through [`flat::reconcile`] (best effort; verification re-reads the written
    /// keys).
    fn reconcile(
        &mut self,
        scope: &NsTarget,
        desired: &SysctlDesired,
        last_applied: &FlatState,
        options: &Options,
    ) -> Result<Report<FlatOp, FlatState>> {
        let flat = flatten(desired)?;
        Ok(flat::reconcile(
            &mut self.store(scope),
            &flat,
            last_applied,
            options,
        ))
    }
}
