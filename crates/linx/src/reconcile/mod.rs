//! Declarative desired state: "make the kernel look like this and tell me what you did".
//!
//! A small, uniform contract shared by the subsystems that hold long-lived kernel state —
//! observe, diff (pure), apply, report — with explicit ownership so that state created by others
//! is left alone, plus one opt-in loop that re-runs a reconciler on a timer and on monitor
//! wake-ups. linx supplies the machinery; deciding what to own and when to reap is the caller's
//! business.
//!
//! | Piece | Where |
//! |---|---|
//! | The contract: [`Reconciler`], [`Report`], [`Options`], [`WakeSource`] | this module |
//! | The shared flat key → value engine (sysctl, cgroup limits) | [`flat`] |
//! | sysctl adapter (scope: a namespace target) | [`sysctl`] |
//! | cgroup limits adapter (scope: a cgroup) | [`cgroup`] |
//! | rtnetlink adapter: links, addresses, routes, neighbours, rules (scope: a network namespace) | [`net`] |
//! | nf_tables adapter: genid-checked minimal patches (scope: a network namespace) | [`nft`] |
//! | Everything for one namespace at once (what `linx reconcile FILE` applies) | [`state`] |
//! | Desired-state files in TOML or JSON, with located errors (feature `serde`) | [`file`](mod@file) |
//! | The loop: immediate, periodic and debounced event-driven passes | [`ReconcileLoop`] |
//!
//! # Ownership
//! * **Two-way**: everything observed but not desired is deleted, within a scope the caller owns
//!   outright — routes and rules carrying the reconciler's own protocol number
//!   ([`net::DEFAULT_PROTOCOL`], 76), the nf_tables tables named in the desired ruleset.
//! * **Three-way**: only what this reconciler applied before is deleted, tracked in the
//!   `last_applied` value each [`Report`] hands back — addresses, neighbours, links, flat keys,
//!   nf_tables tables that left the desired set. The caller holds it (serialisable with the
//!   `serde` feature); it never needs to be persisted — without it nothing is ever deleted.
//!
//! Foreign state (routes of other protocols, other tables, unowned addresses) is never touched.
//!
//! # Passes
//! Every pass re-observes the kernel: monitor events only shorten the latency, a pass never acts
//! on an event's content. Per-operation kernel failures are `failed` entries of the [`Report`];
//! `Err` is reserved for passes that could not run (invalid desired state, observation failed).
//! A dump interrupted by concurrent changes (`NLM_F_DUMP_INTR` after retries), a monitor overrun
//! or a generation conflict (`ERESTART`) makes the loop schedule another full pass (REC-06).
//!
//! ```no_run
//! use linx::ns::NsTarget;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::net::{AddressDesired, NetDesired, NetOwned, NetReconciler, RouteDesired};
//!
//! let desired = NetDesired::new()
//!     .address(AddressDesired::new("eth0".parse()?, "192.0.2.10/24".parse()?))
//!     .route(RouteDesired::default_route().via("192.0.2.1".parse().unwrap()));
//! let mut net = NetReconciler::new();
//! let report = net.reconcile(&NsTarget::Current, &desired, &NetOwned::default(), &Options::default())?;
//! println!("{report}"); // converged (2 applied)
//! let again = net.reconcile(&NsTarget::Current, &desired, &report.last_applied, &Options::default())?;
//! assert!(again.is_noop());
//! # Ok::<(), linx::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::Result;

pub mod flat;
mod looper;
mod report;
mod wake;

#[cfg(feature = "cgroup")]
pub mod cgroup;
#[cfg(all(feature = "reconcile", feature = "serde"))]
pub mod file;
#[cfg(feature = "reconcile")]
pub mod net;
#[cfg(feature = "reconcile")]
pub mod nft;
#[cfg(feature = "reconcile")]
pub mod state;
#[cfg(feature = "sysctl")]
pub mod sysctl;

#[cfg(feature = "tokio")]
pub use looper::AsyncReconcileLoop;
pub use looper::{LoopOptions, Notification, ReconcileLoop};
pub use report::Report;
pub use wake::{Wake, WakeSource, Wakeup};

/// How a pass runs: optional bounded verification and the release policy of flat reconcilers.
///
/// ```
/// use std::time::Duration;
/// use linx::reconcile::Options;
/// let o = Options::default().verify(3, Duration::from_millis(50)).revert_on_release(true);
/// assert_eq!(o.verify.unwrap().attempts, 3);
/// assert!(o.revert_on_release);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Re-observe after applying (REC-05); operations still needed afterwards that neither
    /// failed nor were pending become `pending` entries, so silent non-convergence (a value the
    /// kernel rounds, an object something else removes at once) is visible.
    pub verify: Option<Verify>,
    /// Flat reconcilers (sysctl, cgroup limits): a key leaving the desired set is written back
    /// to the value it had before this reconciler first wrote it (REC-22), reported as
    /// [`flat::FlatOp::Revert`]. Without it the key is released: left as it is and forgotten.
    pub revert_on_release: bool,
}

impl Options {
    /// Verifies up to `attempts` times, `delay` apart (see [`Options::verify`](Options#structfield.verify)).
    pub fn verify(mut self, attempts: u32, delay: Duration) -> Self {
        self.verify = Some(Verify { attempts, delay });
        self
    }

    /// Sets [`revert_on_release`](Options#structfield.revert_on_release).
    pub fn revert_on_release(mut self, on: bool) -> Self {
        self.revert_on_release = on;
        self
    }
}

/// Bounded verification after a pass: re-observe up to `attempts` times with `delay` between
/// (REC-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verify {
    /// How many re-observations at most (0 disables verification).
    pub attempts: u32,
    /// The delay before each re-observation.
    pub delay: Duration,
}

/// The report type of a reconciler.
pub type ReportOf<R> = Report<<R as Reconciler>::Op, <R as Reconciler>::LastApplied>;

/// A reconciler: observe the kernel, diff against the desired state (pure), apply, report.
///
/// Implementations exist for [`sysctl`], [`cgroup`] limits, [`net`] (rtnetlink), [`nft`]
/// (nf_tables) and the composite [`state`]; any other source of long-lived state can implement
/// it and run in a [`ReconcileLoop`].
///
/// The provided [`reconcile`](Reconciler::reconcile) runs observe → diff → apply → (optional)
/// verify. `last_applied` is owned by the caller: pass the previous report's
/// [`last_applied`](Report#structfield.last_applied) to the next pass.
///
/// ```
/// use std::collections::BTreeMap;
/// use linx::reconcile::{Options, Reconciler, Report};
///
/// /// A toy reconciler over an in-memory map (no kernel).
/// struct Mem(BTreeMap<String, String>);
///
/// impl Reconciler for Mem {
///     type Scope = ();
///     type Desired = BTreeMap<String, String>;
///     type Observed = BTreeMap<String, String>;
///     type Plan = Vec<(String, String)>;
///     type Op = String;
///     type LastApplied = ();
///
///     fn observe(&mut self, _: &(), _: &Self::Desired, _: &()) -> linx::Result<Self::Observed> {
///         Ok(self.0.clone())
///     }
///     fn diff(&self, obs: &Self::Observed, des: &Self::Desired, _: &(), _: &Options)
///         -> linx::Result<Self::Plan> {
///         Ok(des.iter().filter(|(k, v)| obs.get(*k) != Some(v))
///             .map(|(k, v)| (k.clone(), v.clone())).collect())
///     }
///     fn ops(&self, plan: &Self::Plan) -> Vec<String> {
///         plan.iter().map(|(k, v)| format!("{k} = {v}")).collect()
///     }
///     fn apply(&mut self, _: &(), plan: Self::Plan, _: &(), _: &Options)
///         -> linx::Result<Report<String, ()>> {
///         let mut r = Report::new(());
///         for (k, v) in plan {
///             r.applied.push(format!("{k} = {v}"));
///             self.0.insert(k, v);
///         }
///         Ok(r.finish())
///     }
/// }
///
/// let mut m = Mem(BTreeMap::new());
/// let want = BTreeMap::from([("a".to_string(), "1".to_string())]);
/// let r = m.reconcile(&(), &want, &(), &Options::default())?;
/// assert_eq!(r.to_string(), "converged (1 applied)");
/// let r = m.reconcile(&(), &want, &(), &Options::default())?;
/// assert_eq!(r.to_string(), "converged (nothing to do)");
/// # Ok::<(), linx::Error>(())
/// ```
pub trait Reconciler {
    /// Where a pass runs: a namespace target, a cgroup, …
    type Scope;
    /// What the kernel should look like.
    type Desired;
    /// What [`observe`](Reconciler::observe) read.
    type Observed;
    /// The output of the pure [`diff`](Reconciler::diff).
    type Plan;
    /// One operation, as reports list it.
    type Op: Clone + PartialEq + fmt::Debug + fmt::Display;
    /// Ownership carried from pass to pass (held by the caller; `Default` owns nothing).
    type LastApplied: Clone + Default + fmt::Debug;

    /// Reads the part of the kernel state the pass needs (`desired` and `last_applied` say which
    /// keys or objects matter).
    ///
    /// # Errors
    /// The observation failed (socket, dump, namespace errors): the pass cannot run.
    fn observe(
        &mut self,
        scope: &Self::Scope,
        desired: &Self::Desired,
        last_applied: &Self::LastApplied,
    ) -> Result<Self::Observed>;

    /// The plan that turns `observed` into `desired` (pure: no I/O, property-tested without a
    /// kernel; REC-03).
    ///
    /// # Errors
    /// Invalid desired state (unknown interface, malformed value, duplicate keys …): nothing may
    /// be applied.
    fn diff(
        &self,
        observed: &Self::Observed,
        desired: &Self::Desired,
        last_applied: &Self::LastApplied,
        options: &Options,
    ) -> Result<Self::Plan>;

    /// The operations of a plan, in the order they would be applied.
    fn ops(&self, plan: &Self::Plan) -> Vec<Self::Op>;

    /// Applies a plan, best effort or fail-fast as the subsystem allows, and reports. The
    /// report's `last_applied` is `last_applied` updated with what was created and deleted.
    ///
    /// # Errors
    /// Only when the pass cannot run at all (e.g. the socket cannot be opened); per-operation
    /// failures are in the report.
    fn apply(
        &mut self,
        scope: &Self::Scope,
        plan: Self::Plan,
        last_applied: &Self::LastApplied,
        options: &Options,
    ) -> Result<Report<Self::Op, Self::LastApplied>>;

    /// One pass: observe, diff, apply, then verify when [`Options::verify`] asks for it.
    ///
    /// # Errors
    /// As [`observe`](Reconciler::observe), [`diff`](Reconciler::diff) and
    /// [`apply`](Reconciler::apply); a failed re-observation during verification.
    fn reconcile(
        &mut self,
        scope: &Self::Scope,
        desired: &Self::Desired,
        last_applied: &Self::LastApplied,
        options: &Options,
    ) -> Result<Report<Self::Op, Self::LastApplied>> {
        let observed = self.observe(scope, desired, last_applied)?;
        let plan = self.diff(&observed, desired, last_applied, options)?;
        let report = self.apply(scope, plan, last_applied, options)?;
        verify(self, scope, desired, report, options)
    }

    /// A pollable wake-up source for the loop (a monitor in the scope), or `None` for timer
    /// passes only. Events are hints: they schedule a pass, which re-reads everything.
    ///
    /// # Errors
    /// The monitor cannot be opened; the loop retries with backoff.
    fn subscribe(&mut self, scope: &Self::Scope) -> Result<Option<WakeSource>> {
        let _ = scope;
        Ok(None)
    }
}

/// Bounded verification (REC-05), shared by every reconciler's
/// [`reconcile`](Reconciler::reconcile): re-observes up to `attempts` times and turns operations
/// that are still needed — and neither failed nor already pending — into `pending` entries.
///
/// # Errors
/// A failed re-observation or diff.
pub fn verify<R: Reconciler + ?Sized>(
    r: &mut R,
    scope: &R::Scope,
    desired: &R::Desired,
    mut report: ReportOf<R>,
    options: &Options,
) -> Result<ReportOf<R>> {
    let Some(v) = options.verify.filter(|v| v.attempts > 0) else {
        return Ok(report);
    };
    let mut remaining = Vec::new();
    for _ in 0..v.attempts {
        std::thread::sleep(v.delay);
        let observed = r.observe(scope, desired, &report.last_applied)?;
        let plan = r.diff(&observed, desired, &report.last_applied, options)?;
        remaining = r
            .ops(&plan)
            .into_iter()
            .filter(|op| {
                !report.failed.iter().any(|(f, _)| f == op) && !report.pending.contains(op)
            })
            .collect();
        if remaining.is_empty() {
            break;
        }
    }
    report.pending.extend(remaining);
    Ok(report.finish())
}
