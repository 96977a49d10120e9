//! Kernel tier: the cgroup-limits adapter on the host (REC-20…REC-24). The host's cgroup v2 has
//! no controllers (they are bound to v1), so these tests use the core limit files every cgroup
//! has — `cgroup.max.descendants`, `cgroup.max.depth`; memory, pids and cpu limits are in the VM
//! tier (`vm_reconcile.rs`). Each test works in its own throwaway cgroup.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use linx::cgroup::{Cgroup, RemoveOptions};
use linx::reconcile::cgroup::{CgroupDesired, CgroupLimit, CgroupReconciler};
use linx::reconcile::flat::{FlatOp, FlatState};
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler};
use linx_testkit::{require_root, skip};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct Throwaway(Cgroup);

impl Throwaway {
    fn new() -> Option<Throwaway> {
        if !require_root() {
            return None;
        }
        let root = match Cgroup::root() {
            Ok(r) => r,
            Err(e) => {
                skip(&format!("no cgroup v2 hierarchy: {e}"));
                return None;
            }
        };
        let name = format!(
            "linx-rec-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        Some(Throwaway(root.create_child(&name).unwrap()))
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let _ = self.0.remove_with(&RemoveOptions::default());
    }
}

fn desired(pairs: &[(&str, CgroupLimit)]) -> CgroupDesired {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect::<BTreeMap<_, _>>()
}

#[test]
fn rec_24_core_limits_converge_revert_and_best_effort() {
    let Some(t) = Throwaway::new() else { return };
    let cg = &t.0;
    let mut r = CgroupReconciler::new();
    let d = desired(&[
        ("cgroup.max.descendants", CgroupLimit::Count(42)),
        ("cgroup.max.depth", CgroupLimit::Max),
        ("nonsense.max", CgroupLimit::Count(1)),
    ]);
    let r1 = r
        .reconcile(cg, &d, &FlatState::default(), &Options::default())
        .unwrap();
    // max.depth already reads max: no write. The bogus file fails; the rest applies.
    assert_eq!(
        r1.to_string(),
        "not converged (1 applied, 1 failed, 0 pending)"
    );
    assert_eq!(r1.failed[0].0.key(), "nonsense.max");
    assert!(r1.last_applied.owns("cgroup.max.descendants"));
    assert!(!r1.last_applied.owns("nonsense.max") && !r1.last_applied.owns("cgroup.max.depth"));
    assert_eq!(cg.read("cgroup.max.descendants").unwrap(), "42");
    // Without the bogus file: a no-op.
    let d = desired(&[
        ("cgroup.max.descendants", CgroupLimit::Count(42)),
        ("cgroup.max.depth", CgroupLimit::Max),
    ]);
    let r2 = r
        .reconcile(cg, &d, &r1.last_applied, &Options::default())
        .unwrap();
    assert_eq!(r2.to_string(), "converged (nothing to do)");
    // Revert on release writes the captured original back.
    let d3 = desired(&[("cgroup.max.depth", CgroupLimit::Max)]);
    let r3 = r
        .reconcile(
            cg,
            &d3,
            &r2.last_applied,
            &Options::default().revert_on_release(true),
        )
        .unwrap();
    assert_eq!(
        r3.applied,
        [FlatOp::Revert {
            key: "cgroup.max.descendants".into(),
            original: "max".into()
        }]
    );
    assert_eq!(cg.read("cgroup.max.descendants").unwrap(), "max");
    assert!(r3.last_applied.is_empty());
}

#[test]
fn rec_24_loop_heals_a_hand_written_limit_within_one_period() {
    let Some(t) = Throwaway::new() else { return };
    let cg = t.0.try_clone().unwrap();
    let lp = ReconcileLoop::start(
        CgroupReconciler::new(),
        cg,
        desired(&[("cgroup.max.descendants", CgroupLimit::Count(7))]),
        LoopOptions::default().interval(Some(Duration::from_millis(100))),
    )
    .unwrap();
    let read = || t.0.read("cgroup.max.descendants").unwrap();
    let wait = |want: &str| {
        let start = Instant::now();
        while read() != want {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never became {want}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait("7");
    // Drift by writing the file by hand.
    std::fs::write(t.0.path().join("cgroup.max.descendants"), "50").unwrap();
    wait("7");
    let r = lp.reconcile_now(Duration::from_secs(30)).unwrap();
    assert!(r.is_noop());
    lp.stop();
}

/// REC-24 with `watch_events`: no timer at all, so only a `cgroup.events` change (here the
/// cgroup is frozen by hand) can wake the loop; the pass it triggers re-reads every limit and
/// heals one written by hand in the meantime.
#[test]
fn rec_24_cgroup_events_wake_the_loop_without_a_timer() {
    let Some(t) = Throwaway::new() else { return };
    let cg = t.0.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let lp = ReconcileLoop::start(
        CgroupReconciler::new().watch_events(true),
        cg,
        desired(&[("cgroup.max.descendants", CgroupLimit::Count(9))]),
        LoopOptions::default()
            .interval(None)
            .debounce(Duration::from_millis(10))
            .channel(tx),
    )
    .unwrap();
    // The immediate first pass.
    let first = rx.recv_timeout(Duration::from_secs(30)).unwrap().unwrap();
    assert_eq!(first.to_string(), "converged (1 applied)");
    assert_eq!(t.0.read("cgroup.max.descendants").unwrap(), "9");
    // Drift: a limit write is not an event, so nothing runs yet.
    std::fs::write(t.0.path().join("cgroup.max.descendants"), "50").unwrap();
    assert_eq!(lp.passes(), 1);
    // A populated/frozen transition is: the pass it wakes heals the limit.
    std::fs::write(t.0.path().join("cgroup.freeze"), "1").unwrap();
    let healed = rx.recv_timeout(Duration::from_secs(30)).unwrap().unwrap();
    assert_eq!(
        healed.applied,
        [FlatOp::Write {
            key: "cgroup.max.descendants".into(),
            value: "9".into()
        }],
        "{:?}",
        healed.lines()
    );
    assert_eq!(t.0.read("cgroup.max.descendants").unwrap(), "9");
    lp.stop();
    std::fs::write(t.0.path().join("cgroup.freeze"), "0").unwrap();
}
