//! Everything for one network namespace at once: links, addresses, routes, neighbours, rules,
//! sysctls, one cgroup's limits and an nf_tables ruleset — what `linx reconcile FILE` applies.
//!
//! [`StateReconciler`] checks the whole desired state first (every part validated, interfaces
//! resolved, the cgroup opened) so that an invalid entry is an `Err` before anything is applied;
//! then it runs the parts in order — rtnetlink (fail-fast), sysctl and cgroup limits (best
//! effort), nf_tables (one atomic batch) — and merges their reports. A part that cannot run
//! after others were applied is a `failed` entry, so the report still shows what was done.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use linx::ns::NsTarget;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::net::{AddressDesired, NetDesired};
//! use linx::reconcile::state::{DesiredState, StateOwned, StateReconciler};
//! use linx::sysctl::{Key, Value};
//!
//! let mut desired = DesiredState::default();
//! desired.net = NetDesired::new().address(AddressDesired::new("v0".parse()?, "192.0.2.10/24".parse()?));
//! desired.sysctl = BTreeMap::from([(Key::parse("net.ipv4.ip_forward")?, Value::Int(1))]);
//! let target: NsTarget = "/run/netns/blue".parse()?;
//! let mut r = StateReconciler::new();
//! let report = r.reconcile(&target, &desired, &StateOwned::default(), &Options::default())?;
//! for line in report.lines() {
//!     println!("{line}");
//! }
//! # Ok::<(), linx::Error>(())
//! ```

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::cgroup::{CgroupDesired, CgroupReconciler};
use super::flat::{FlatObserved, FlatOp, FlatPlan, FlatState};
use super::net::{NetDesired, NetObserved, NetOp, NetOwned, NetPlan, NetReconciler};
use super::nft::{NftObserved, NftOp, NftOwned, NftPlan, NftReconciler};
use super::sysctl::{SysctlDesired, SysctlReconciler};
use super::{Options, Reconciler, Report, WakeSource};
use crate::cgroup::Cgroup;
use crate::error::{Error, Result, Subsystem};
use crate::netfilter::Ruleset;
use crate::ns::{NsSet, NsTarget};
use crate::rtnl::RouteProtocol;

/// One cgroup and its desired limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CgroupTarget {
    /// The cgroup: absolute, or relative to the cgroup2 mount (see [`Cgroup::open`]). It must
    /// exist: reconcilers never create cgroups.
    pub path: PathBuf,
    /// Control file → value.
    pub limits: CgroupDesired,
}

impl CgroupTarget {
    /// Limits for the cgroup at `path`.
    pub fn new(path: impl Into<PathBuf>, limits: CgroupDesired) -> CgroupTarget {
        CgroupTarget {
            path: path.into(),
            limits,
        }
    }
}

/// Maps an entry path (`routes[2]`, `sysctl."net.ipv4.ip_forward"`) to where it was written
/// (`net.toml:14`), so errors can be located (desired-state files set one).
#[derive(Clone)]
pub struct Locator(Arc<LocateFn>);

/// The function behind a [`Locator`].
type LocateFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Locator {
    /// A locator from a function of the entry path.
    pub fn new(f: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Locator {
        Locator(Arc::new(f))
    }

    /// Prefixes an input error's argument with the location of the entry it names, when the
    /// argument starts with an entry path and the entry is found.
    ///
    /// ```
    /// use linx::reconcile::state::Locator;
    /// let loc = Locator::new(|p| (p == "routes[2]").then(|| "net.toml:14".to_string()));
    /// let e = linx::Error::input(linx::error::Subsystem::Reconcile, "routes[2]", "eth9", "no such interface");
    /// assert!(loc.locate(e).to_string().contains("net.toml:14: routes[2]"));
    /// ```
    pub fn locate(&self, e: Error) -> Error {
        match e {
            Error::Input(mut i) => {
                let path = entry_path(&i.argument);
                if !path.is_empty()
                    && let Some(at) = (self.0)(path)
                {
                    i.argument = format!("{at}: {}", i.argument).into();
                }
                Error::Input(i)
            }
            other => other,
        }
    }
}

impl fmt::Debug for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Locator")
    }
}

/// The leading entry path of an error argument: an identifier followed by `[n]`, `.ident` or
/// `."quoted"` segments, up to the first space.
///
/// ```
/// use linx::reconcile::state::entry_path;
/// assert_eq!(entry_path("routes[2] gateway"), "routes[2]");
/// assert_eq!(entry_path("cgroup.limits.\"pids.max\""), "cgroup.limits.\"pids.max\"");
/// assert_eq!(entry_path("(none)"), "");
/// ```
pub fn entry_path(argument: &str) -> &str {
    let b = argument.as_bytes();
    let mut i = 0;
    let ident = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
            *i += 1;
        }
        *i > s
    };
    if !ident(&mut i) {
        return "";
    }
    let mut end = i;
    loop {
        match b.get(i) {
            Some(b'[') => {
                let mut j = i + 1;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                if j == i + 1 || b.get(j) != Some(&b']') {
                    break;
                }
                i = j + 1;
            }
            Some(b'.') if b.get(i + 1) == Some(&b'"') => {
                let Some(close) = argument[i + 2..].find('"') else {
                    break;
                };
                i = i + 2 + close + 1;
            }
            Some(b'.') => {
                let mut j = i + 1;
                if !ident(&mut j) {
                    break;
                }
                i = j;
            }
            _ => break,
        }
        end = i;
    }
    &argument[..end]
}

/// The desired state of one namespace (and optionally one cgroup).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DesiredState {
    /// Links, addresses, routes, neighbours, rules.
    pub net: NetDesired,
    /// sysctl key → value (in the namespace target).
    pub sysctl: SysctlDesired,
    /// One cgroup's limits.
    pub cgroup: Option<CgroupTarget>,
    /// The nf_tables tables to own.
    pub nft: Option<Ruleset>,
    /// Where the entries were written, for located errors.
    pub locator: Option<Locator>,
}

impl PartialEq for DesiredState {
    /// Compares the desired state, not the locator.
    fn eq(&self, o: &DesiredState) -> bool {
        self.net == o.net && self.sysctl == o.sysctl && self.cgroup == o.cgroup && self.nft == o.nft
    }
}

impl DesiredState {
    fn locate(&self, e: Error) -> Error {
        match &self.locator {
            Some(l) => l.locate(e),
            None => e,
        }
    }

    /// Checks every part without the kernel: the network entries, sysctl values, cgroup
    /// control file names and values, nf_tables tables. Errors name (and, with a locator,
    /// locate) the entry.
    ///
    /// # Errors
    /// The first invalid entry, as [`Error::Input`].
    pub fn validate(&self) -> Result<()> {
        let r = (|| {
            self.net.validate()?;
            super::sysctl::flatten(&self.sysctl)?;
            if let Some(c) = &self.cgroup {
                if c.path.as_os_str().is_empty() {
                    return Err(Error::input(
                        Subsystem::Reconcile,
                        "cgroup.path",
                        "",
                        "empty cgroup path",
                    ));
                }
                super::cgroup::flatten(&c.limits)?;
            }
            if let Some(rs) = &self.nft {
                for t in &rs.tables {
                    crate::netfilter::validate_table(t).map_err(|e| match e {
                        Error::Input(mut i) => {
                            i.reason = format!("{}: {}", i.argument, i.reason).into();
                            i.argument = "nft".into();
                            Error::Input(i)
                        }
                        other => other,
                    })?;
                }
            }
            Ok(())
        })();
        r.map_err(|e| self.locate(e))
    }
}

/// The `last_applied` of the composite: each part's ownership.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct StateOwned {
    /// Links, addresses and neighbours created.
    pub net: NetOwned,
    /// sysctl keys written, with originals.
    pub sysctl: FlatState,
    /// cgroup files written, with originals.
    pub cgroup: FlatState,
    /// nf_tables tables applied.
    pub nft: NftOwned,
}

/// One operation of the composite, by part.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StateOp {
    /// rtnetlink.
    Net(NetOp),
    /// sysctl.
    Sysctl(FlatOp),
    /// cgroup limits.
    Cgroup(FlatOp),
    /// nf_tables.
    Nft(NftOp),
}

impl fmt::Display for StateOp {
    /// `create route …`, `sysctl write net.ipv4.ip_forward = 1`, `cgroup write pids.max = 100`,
    /// `nft + rule inet/app/input …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateOp::Net(o) => write!(f, "{o}"),
            StateOp::Sysctl(o) => write!(f, "sysctl {o}"),
            StateOp::Cgroup(o) => write!(f, "cgroup {o}"),
            StateOp::Nft(o) => write!(f, "nft {o}"),
        }
    }
}

/// What the composite observed.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct StateObserved {
    /// rtnetlink.
    pub net: NetObserved,
    /// sysctl.
    pub sysctl: FlatObserved,
    /// cgroup limits (when a cgroup is desired).
    pub cgroup: Option<FlatObserved>,
    /// nf_tables (when a ruleset is desired or tables are owned).
    pub nft: Option<NftObserved>,
}

/// The composite plan.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct StatePlan {
    /// rtnetlink.
    pub net: NetPlan,
    /// sysctl.
    pub sysctl: FlatPlan,
    /// cgroup limits, with the cgroup's path.
    pub cgroup: Option<(PathBuf, FlatPlan)>,
    /// nf_tables.
    pub nft: Option<NftPlan>,
}

/// The composite reconciler. Scope = a network namespace target.
#[derive(Debug, Default)]
pub struct StateReconciler {
    net: NetReconciler,
    sysctl: SysctlReconciler,
    cgroup: CgroupReconciler,
    nft: NftReconciler,
}

fn empty_ruleset() -> Ruleset {
    Ruleset::new()
}

impl StateReconciler {
    /// A composite with default parts (route protocol 76; sysctl keys in the target's
    /// network namespace only, as `--netns` means).
    pub fn new() -> StateReconciler {
        StateReconciler {
            net: NetReconciler::new(),
            sysctl: SysctlReconciler::new().with_kinds(NsSet::NET),
            cgroup: CgroupReconciler::new(),
            nft: NftReconciler::new(),
        }
    }

    /// Uses `protocol` for owned routes and rules.
    pub fn with_protocol(mut self, protocol: RouteProtocol) -> StateReconciler {
        self.net = NetReconciler::with_protocol(protocol);
        self
    }

    /// Replaces the sysctl part (e.g. to join more namespaces of a process target).
    pub fn with_sysctl(mut self, s: SysctlReconciler) -> StateReconciler {
        self.sysctl = s;
        self
    }

    fn open_cgroup(desired: &DesiredState) -> Result<Option<(Cgroup, &CgroupDesired)>> {
        match &desired.cgroup {
            None => Ok(None),
            Some(c) => {
                let cg = Cgroup::open(&c.path).map_err(|e| {
                    Error::input(
                        Subsystem::Reconcile,
                        "cgroup.path",
                        c.path.display().to_string(),
                        format!("cannot open the cgroup: {e}"),
                    )
                })?;
                Ok(Some((cg, &c.limits)))
            }
        }
    }

    fn nft_involved(desired: &DesiredState, owned: &StateOwned) -> bool {
        desired.nft.is_some() || !owned.nft.tables.is_empty()
    }
}

impl Reconciler for StateReconciler {
    type Scope = NsTarget;
    type Desired = DesiredState;
    type Observed = StateObserved;
    type Plan = StatePlan;
    type Op = StateOp;
    type LastApplied = StateOwned;

    fn observe(
        &mut self,
        scope: &NsTarget,
        desired: &DesiredState,
        last_applied: &StateOwned,
    ) -> Result<StateObserved> {
        let net = self.net.observe(scope, &desired.net, &last_applied.net)?;
        let sysctl = self
            .sysctl
            .observe(scope, &desired.sysctl, &last_applied.sysctl)?;
        let cgroup = match Self::open_cgroup(desired).map_err(|e| desired.locate(e))? {
            Some((cg, limits)) => Some(self.cgroup.observe(&cg, limits, &last_applied.cgroup)?),
            None => None,
        };
        let nft = if Self::nft_involved(desired, last_applied) {
            let rs = desired.nft.clone().unwrap_or_else(empty_ruleset);
            Some(self.nft.observe(scope, &rs, &last_applied.nft)?)
        } else {
            None
        };
        Ok(StateObserved {
            net,
            sysctl,
            cgroup,
            nft,
        })
    }

    fn diff(
        &self,
        observed: &StateObserved,
        desired: &DesiredState,
        last_applied: &StateOwned,
        options: &Options,
    ) -> Result<StatePlan> {
        let r = (|| {
            desired.validate()?;
            let net = self
                .net
                .diff(&observed.net, &desired.net, &last_applied.net, options)?;
            let sysctl = self.sysctl.diff(
                &observed.sysctl,
                &desired.sysctl,
                &last_applied.sysctl,
                options,
            )?;
            let cgroup = match (&observed.cgroup, &desired.cgroup) {
                (Some(o), Some(c)) => Some((
                    c.path.clone(),
                    self.cgroup
                        .diff(o, &c.limits, &last_applied.cgroup, options)?,
                )),
                _ => None,
            };
            let nft = match &observed.nft {
                Some(o) => {
                    let rs = desired.nft.clone().unwrap_or_else(empty_ruleset);
                    Some(self.nft.diff(o, &rs, &last_applied.nft, options)?)
                }
                None => None,
            };
            Ok(StatePlan {
                net,
                sysctl,
                cgroup,
                nft,
            })
        })();
        r.map_err(|e| desired.locate(e))
    }

    fn ops(&self, plan: &StatePlan) -> Vec<StateOp> {
        let mut out: Vec<StateOp> = self
            .net
            .ops(&plan.net)
            .into_iter()
            .map(StateOp::Net)
            .collect();
        out.extend(plan.sysctl.ops.iter().cloned().map(StateOp::Sysctl));
        if let Some((_, c)) = &plan.cgroup {
            out.extend(c.ops.iter().cloned().map(StateOp::Cgroup));
        }
        if let Some(n) = &plan.nft {
            out.extend(self.nft.ops(n).into_iter().map(StateOp::Nft));
        }
        out
    }

    fn apply(
        &mut self,
        scope: &NsTarget,
        plan: StatePlan,
        last_applied: &StateOwned,
        options: &Options,
    ) -> Result<Report<StateOp, StateOwned>> {
        let mut owned = last_applied.clone();
        let net = self
            .net
            .apply(scope, plan.net, &last_applied.net, options)?;
        let mut report = Report::new(StateOwned::default());
        owned.net = net.last_applied.clone();
        report.absorb(net.map(StateOp::Net, |_| ()));
        let s = self
            .sysctl
            .apply(scope, plan.sysctl, &last_applied.sysctl, options)?;
        owned.sysctl = s.last_applied.clone();
        report.absorb(s.map(StateOp::Sysctl, |_| ()));
        if let Some((path, p)) = plan.cgroup {
            let cg = Cgroup::open(&path)?;
            let c = self.cgroup.apply(&cg, p, &last_applied.cgroup, options)?;
            owned.cgroup = c.last_applied.clone();
            report.absorb(c.map(StateOp::Cgroup, |_| ()));
        }
        if let Some(p) = plan.nft {
            let n = self.nft.apply(scope, p, &last_applied.nft, options)?;
            owned.nft = n.last_applied.clone();
            report.absorb(n.map(StateOp::Nft, |_| ()));
        }
        report.last_applied = owned;
        Ok(report.finish())
    }

    /// Checks everything (validation, interfaces, the cgroup), then runs the parts and merges
    /// their reports.
    fn reconcile(
        &mut self,
        scope: &NsTarget,
        desired: &DesiredState,
        last_applied: &StateOwned,
        options: &Options,
    ) -> Result<Report<StateOp, StateOwned>> {
        // 1. Everything that can make the desired state invalid, before anything is applied.
        desired.validate()?;
        let net_observed = self.net.observe(scope, &desired.net, &last_applied.net)?;
        let net_plan = self
            .net
            .diff(&net_observed, &desired.net, &last_applied.net, options)
            .map_err(|e| desired.locate(e))?;
        let cgroup = Self::open_cgroup(desired).map_err(|e| desired.locate(e))?;

        // 2. The parts, in order.
        let mut owned = last_applied.clone();
        let mut report = Report::new(StateOwned::default());
        let net = self
            .net
            .apply(scope, net_plan, &last_applied.net, options)
            .and_then(|r| super::verify(&mut self.net, scope, &desired.net, r, options));
        match net {
            Ok(r) => {
                owned.net = r.last_applied.clone();
                report.absorb(r.map(StateOp::Net, |_| ()));
            }
            Err(e) => return Err(e),
        }
        match self
            .sysctl
            .reconcile(scope, &desired.sysctl, &last_applied.sysctl, options)
        {
            Ok(r) => {
                owned.sysctl = r.last_applied.clone();
                report.absorb(r.map(StateOp::Sysctl, |_| ()));
            }
            Err(e) => report.failed.push((
                StateOp::Sysctl(FlatOp::Release {
                    key: "(sysctl pass)".into(),
                }),
                e,
            )),
        }
        if let Some((cg, limits)) = &cgroup {
            match self
                .cgroup
                .reconcile(cg, limits, &last_applied.cgroup, options)
            {
                Ok(r) => {
                    owned.cgroup = r.last_applied.clone();
                    report.absorb(r.map(StateOp::Cgroup, |_| ()));
                }
                Err(e) => report.failed.push((
                    StateOp::Cgroup(FlatOp::Release {
                        key: "(cgroup pass)".into(),
                    }),
                    e,
                )),
            }
        } else if !last_applied.cgroup.is_empty() {
            // The cgroup left the desired state: its keys are released (left as they are).
            owned.cgroup = FlatState::default();
        }
        if Self::nft_involved(desired, last_applied) {
            let rs = desired.nft.clone().unwrap_or_else(empty_ruleset);
            match self.nft.reconcile(scope, &rs, &last_applied.nft, options) {
                Ok(r) => {
                    owned.nft = r.last_applied.clone();
                    report.absorb(r.map(StateOp::Nft, |_| ()));
                }
                Err(e) => report.failed.push((
                    StateOp::Nft(NftOp::Commit {
                        tables: rs
                            .tables
                            .iter()
                            .map(|t| format!("{}/{}", t.family, t.name))
                            .collect(),
                        ops: 0,
                    }),
                    e,
                )),
            }
        }
        report.last_applied = owned;
        Ok(report.finish())
    }

    /// The route monitor and the nf_tables monitor of the scope, joined.
    fn subscribe(&mut self, scope: &NsTarget) -> Result<Option<WakeSource>> {
        let net = self.net.subscribe(scope)?;
        let nft = self.nft.subscribe(scope)?;
        Ok(WakeSource::merge(net, nft))
    }
}
