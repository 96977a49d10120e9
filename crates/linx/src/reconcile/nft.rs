//! The nf_tables adapter (REC-60): the netfilter reconcile push — pull, diff, one atomic batch
//! with the generation check, retried on conflict ([`Nft::reconcile_with`]) — behind the common
//! contract.
//!
//! Scope = a network namespace target. Ownership = the tables of the desired ruleset: tables
//! not named there (Docker's, firewalld's, another reconciler's) are never touched; a table this
//! reconciler applied that leaves the desired ruleset is deleted (three-way, [`NftOwned`]).
//! Wake source = the nf_tables monitor, filtered to the owned tables; an overrun forces a pass.
//! The report lists the patch operations as applied, or the commit (with the conflict or kernel
//! error) as failed and what remains to do as pending.
//!
//! The reconciler keeps its netlink socket open between passes, so socket-owned tables
//! ([`TableLifetime::SocketOwned`](crate::netfilter::TableLifetime::SocketOwned)) live as long
//! as the reconciler (or the loop running it).
//!
//! ```no_run
//! use linx::netfilter::{Family, Ruleset, Table, TableLifetime};
//! use linx::ns::NsTarget;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::nft::{NftOwned, NftReconciler};
//!
//! let mut rs = Ruleset::new();
//! rs.add_table(Table::new(Family::Inet, "app", TableLifetime::Persistent)?)?;
//! let mut nft = NftReconciler::new();
//! let r = nft.reconcile(&NsTarget::Current, &rs, &NftOwned::default(), &Options::default())?;
//! println!("{r}");
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::wake::DRAIN_LIMIT;
use super::{Options, Reconciler, Report, Wake, WakeSource, Wakeup};
use crate::error::{Errno, Error, Result};
use crate::netfilter::codec::Decoded;
use crate::netfilter::monitor::{Event, Monitor};
use crate::netfilter::{self, Family, Nft, Patch, PatchOp, ReconcileOptions, Ruleset};
use crate::ns::NsTarget;

/// The `last_applied` of the nf_tables adapter: the tables it applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct NftOwned {
    /// (family, name) of every owned table.
    pub tables: BTreeSet<(Family, String)>,
}

/// One operation of the nf_tables adapter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NftOp {
    /// A patch operation (rule, chain, set, element, object, table change).
    Patch(PatchOp),
    /// The commit of a patch to these tables (the failed entry when a batch is refused).
    Commit {
        /// The desired tables, `family/name`.
        tables: Vec<String>,
        /// How many operations the patch had (0 when unknown).
        ops: usize,
    },
}

impl fmt::Display for NftOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NftOp::Patch(p) => write!(f, "{p}"),
            NftOp::Commit { tables, ops } => {
                write!(
                    f,
                    "commit {} to {}",
                    plural(*ops, "operation"),
                    tables.join(", ")
                )
            }
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What a pass pulled: the generation read before the pull and the desired and owned tables
/// that exist.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct NftObserved {
    /// The ruleset generation read before the pull.
    pub generation: u32,
    /// The pulled tables.
    pub ruleset: Ruleset,
}

/// The plan: the minimal patch, the owned tables to delete, and the generation to check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NftPlan {
    /// The patch to the desired tables.
    pub patch: Patch,
    /// Owned tables no longer desired (deleted after the patch).
    pub release: Vec<(Family, String)>,
    /// The generation the patch was computed from.
    pub generation: u32,
}

/// The nf_tables reconciler.
#[derive(Debug, Default)]
pub struct NftReconciler {
    nft: Option<(String, Nft)>,
    options: ReconcileOptions,
    watched: Arc<Mutex<BTreeSet<(Family, String)>>>,
}

fn table_names(rs: &Ruleset) -> Vec<String> {
    rs.tables
        .iter()
        .map(|t| format!("{}/{}", t.family, t.name))
        .collect()
}

fn desired_tables(rs: &Ruleset) -> BTreeSet<(Family, String)> {
    rs.tables
        .iter()
        .map(|t| (t.family, t.name.clone()))
        .collect()
}

impl NftReconciler {
    /// A reconciler with the default conflict retries (3, 10/20/30 ms).
    pub fn new() -> NftReconciler {
        NftReconciler::default()
    }

    /// Sets the retries after a generation conflict and their backoff.
    pub fn retries(mut self, retries: u32, backoff: Duration) -> NftReconciler {
        self.options.retries = retries;
        self.options.backoff = backoff;
        self
    }

    fn nft(&mut self, scope: &NsTarget) -> Result<&mut Nft> {
        let id = scope.to_string();
        let nft = match self.nft.take() {
            Some((s, n)) if s == id => n,
            _ => Nft::open(scope)?,
        };
        Ok(&mut self.nft.insert((id, nft)).1)
    }

    fn watch(&self, tables: BTreeSet<(Family, String)>) {
        if let Ok(mut w) = self.watched.lock() {
            *w = tables;
        }
    }

    fn release(
        &mut self,
        scope: &NsTarget,
        release: &[(Family, String)],
        owned: &mut NftOwned,
        report: &mut Report<NftOp, NftOwned>,
    ) -> Result<()> {
        for (family, name) in release {
            let op = NftOp::Patch(PatchOp::DeleteTable {
                family: *family,
                table: name.clone(),
            });
            match self.nft(scope)?.destroy_table(*family, name) {
                Ok(()) => {
                    owned.tables.remove(&(*family, name.clone()));
                    report.applied.push(op);
                }
                Err(e) if e.errno() == Some(Errno::NOENT) => {
                    owned.tables.remove(&(*family, name.clone()));
                }
                Err(e) => report.failed.push((op, e)),
            }
        }
        Ok(())
    }
}

struct NftWake {
    mon: Monitor,
    watched: Arc<Mutex<BTreeSet<(Family, String)>>>,
}

impl NftWake {
    fn relevant(&self, d: &Decoded) -> bool {
        let (family, table) = match d {
            Decoded::Table(t) => (t.family, t.name.as_str()),
            Decoded::Chain { family, table, .. }
            | Decoded::Rule { family, table, .. }
            | Decoded::Set { family, table, .. }
            | Decoded::Elements { family, table, .. }
            | Decoded::Object { family, table, .. }
            | Decoded::Flowtable { family, table, .. } => (*family, table.as_str()),
            _ => return false,
        };
        self.watched
            .lock()
            .map(|w| w.iter().any(|(f, n)| *f == family && n == table))
            .unwrap_or(true)
    }
}

impl Wake for NftWake {
    fn fd(&self) -> BorrowedFd<'_> {
        self.mon.as_fd()
    }

    fn drain(&mut self) -> Result<Wakeup> {
        let mut w = Wakeup::Nothing;
        for _ in 0..DRAIN_LIMIT {
            match self.mon.next_event(Some(Duration::ZERO)) {
                Ok(None) => break,
                Ok(Some(Event::Overrun)) => return Ok(Wakeup::Overrun),
                Ok(Some(Event::Change(c))) => {
                    if self.relevant(&c.object) {
                        w = Wakeup::Changed;
                    }
                }
                Ok(Some(Event::Generation(_))) => {}
                Err(Error::Protocol(_)) => w = Wakeup::Changed,
                Err(Error::Overrun { .. }) => return Ok(Wakeup::Overrun),
                Err(e) => return Err(e),
            }
        }
        Ok(w)
    }
}

impl Reconciler for NftReconciler {
    type Scope = NsTarget;
    type Desired = Ruleset;
    type Observed = NftObserved;
    type Plan = NftPlan;
    type Op = NftOp;
    type LastApplied = NftOwned;

    fn observe(
        &mut self,
        scope: &NsTarget,
        desired: &Ruleset,
        last_applied: &NftOwned,
    ) -> Result<NftObserved> {
        let mut wanted = desired_tables(desired);
        wanted.extend(last_applied.tables.iter().cloned());
        let nft = self.nft(scope)?;
        let generation = nft.generation()?.id;
        let mut ruleset = Ruleset::new();
        for (family, name) in &wanted {
            match nft.pull_table(*family, name) {
                Ok(t) => {
                    ruleset.add_table(t)?;
                }
                Err(e) if e.errno() == Some(Errno::NOENT) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(NftObserved {
            generation,
            ruleset,
        })
    }

    fn diff(
        &self,
        observed: &NftObserved,
        desired: &Ruleset,
        last_applied: &NftOwned,
        _options: &Options,
    ) -> Result<NftPlan> {
        for t in &desired.tables {
            netfilter::validate_table(t)?;
        }
        let wanted = desired_tables(desired);
        let mut current = observed.ruleset.clone();
        current
            .tables
            .retain(|t| wanted.contains(&(t.family, t.name.clone())));
        let patch = netfilter::diff(&current, desired)?;
        let release = last_applied
            .tables
            .iter()
            .filter(|t| !wanted.contains(t))
            .filter(|(f, n)| observed.ruleset.table(*f, n).is_some())
            .cloned()
            .collect();
        Ok(NftPlan {
            patch,
            release,
            generation: observed.generation,
        })
    }

    fn ops(&self, plan: &NftPlan) -> Vec<NftOp> {
        let mut ops: Vec<NftOp> = plan.patch.ops.iter().cloned().map(NftOp::Patch).collect();
        ops.extend(plan.release.iter().map(|(f, n)| {
            NftOp::Patch(PatchOp::DeleteTable {
                family: *f,
                table: n.clone(),
            })
        }));
        ops
    }

    /// Sends the patch as one batch checked against the plan's generation (a conflict is a
    /// `failed` entry; [`reconcile`](Reconciler::reconcile) retries conflicts itself), then
    /// deletes released tables.
    fn apply(
        &mut self,
        scope: &NsTarget,
        plan: NftPlan,
        last_applied: &NftOwned,
        _options: &Options,
    ) -> Result<Report<NftOp, NftOwned>> {
        let mut owned = last_applied.clone();
        let mut report = Report::new(NftOwned::default());
        if !plan.patch.is_empty() {
            let mut b = plan.patch.to_batch()?;
            b.expect_generation(plan.generation);
            match self.nft(scope)?.send(&b) {
                Ok(_) => report
                    .applied
                    .extend(plan.patch.ops.into_iter().map(NftOp::Patch)),
                Err(e) => report.failed.push((
                    NftOp::Commit {
                        tables: Vec::new(),
                        ops: plan.patch.ops.len(),
                    },
                    e,
                )),
            }
        }
        self.release(scope, &plan.release, &mut owned, &mut report)?;
        report.last_applied = owned;
        Ok(report.finish())
    }

    /// One pass through [`Nft::reconcile_with`] (pull, diff, generation-checked batch, retried on
    /// conflict), then deletion of released tables.
    fn reconcile(
        &mut self,
        scope: &NsTarget,
        desired: &Ruleset,
        last_applied: &NftOwned,
        options: &Options,
    ) -> Result<Report<NftOp, NftOwned>> {
        for t in &desired.tables {
            netfilter::validate_table(t)?;
        }
        let wanted = desired_tables(desired);
        let mut all = wanted.clone();
        all.extend(last_applied.tables.iter().cloned());
        self.watch(all);
        let opts = self.options.clone();
        let mut owned = last_applied.clone();
        let mut report = Report::new(NftOwned::default());
        let result = self.nft(scope)?.reconcile_with(desired, &opts);
        match result {
            Ok(patch) => {
                report
                    .applied
                    .extend(patch.ops.into_iter().map(NftOp::Patch));
                owned.tables.extend(wanted.iter().cloned());
            }
            Err(e) if e.is_input() => return Err(e),
            Err(e) => {
                // What is still to do, when a dry run can tell.
                let pending = self.nft(scope).and_then(|n| n.dry_run(desired));
                let n = pending.as_ref().map_or(0, Patch::len);
                report.failed.push((
                    NftOp::Commit {
                        tables: table_names(desired),
                        ops: n,
                    },
                    e,
                ));
                if let Ok(p) = pending {
                    report.pending.extend(p.ops.into_iter().map(NftOp::Patch));
                }
                if e_is_socket_error(&report) {
                    self.nft = None;
                }
            }
        }
        let release: Vec<(Family, String)> = last_applied
            .tables
            .iter()
            .filter(|t| !wanted.contains(t))
            .cloned()
            .collect();
        self.release(scope, &release, &mut owned, &mut report)?;
        report.last_applied = owned;
        super::verify(self, scope, desired, report.finish(), options)
    }

    /// The nf_tables monitor in the scope, filtered to the desired and owned tables of the last
    /// pass.
    fn subscribe(&mut self, scope: &NsTarget) -> Result<Option<WakeSource>> {
        Ok(Some(WakeSource::new(NftWake {
            mon: Monitor::open(scope)?,
            watched: Arc::clone(&self.watched),
        })))
    }
}

/// True when the last failure looks like a broken socket (not a refusal): reopen next time.
fn e_is_socket_error(report: &Report<NftOp, NftOwned>) -> bool {
    report.failed.last().is_some_and(|(_, e)| {
        matches!(
            e,
            Error::Timeout(_) | Error::Protocol(_) | Error::Overrun { .. }
        )
    })
}
