//! VM tier: the cgroup-limits adapter with real controllers (REC-22…REC-24; spec scenario 5),
//! in the qemu guest of `cargo xtask vm-test` (pure cgroup v2 with every controller). Each test
//! creates its own parent `/sys/fs/cgroup/linx-rec-<pid>-<n>` with memory, pids and cpu enabled
//! for its child, and removes both.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use linx::cgroup::{Cgroup, Controller, CpuMax, RemoveOptions};
use linx::reconcile::cgroup::{CgroupDesired, CgroupLimit, CgroupReconciler};
use linx::reconcile::flat::{FlatOp, FlatState};
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct Parent {
    cg: Cgroup,
    leaf: Cgroup,
}

impl Parent {
    fn new(what: &str) -> Option<Parent> {
        if !linx_testkit::require_vm(what) {
            return None;
        }
        let root = Cgroup::root().expect("cgroup v2 root");
        let name = format!(
            "linx-rec-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let cg = root.create_child(&name).expect("test parent");
        cg.enable(&[Controller::Memory, Controller::Pids, Controller::Cpu])
            .unwrap()
            .into_result()
            .unwrap();
        let leaf = cg.create_child("leaf").unwrap();
        Some(Parent { cg, leaf })
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        let _ = self.leaf.remove_with(&RemoveOptions::default());
        let _ = self.cg.remove_with(&RemoveOptions::default());
    }
}

fn desired(pairs: &[(&str, CgroupLimit)]) -> CgroupDesired {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn vm_rec_24_memory_pids_cpu_converge_and_second_pass_is_noop() {
    let Some(p) = Parent::new("cgroup memory/pids/cpu limits") else {
        return;
    };
    let mut r = CgroupReconciler::new();
    let d = desired(&[
        ("memory.max", CgroupLimit::Bytes(256 << 20)),
        ("pids.max", CgroupLimit::Count(100)),
        (
            "cpu.max",
            CgroupLimit::CpuMax(CpuMax::new(Some(50_000), 100_000).unwrap()),
        ),
    ]);
    let r1 = r
        .reconcile(&p.leaf, &d, &FlatState::default(), &Options::default())
        .unwrap();
    assert_eq!(r1.to_string(), "converged (3 applied)", "{:?}", r1.lines());
    assert_eq!(p.leaf.read("memory.max").unwrap(), "268435456");
    assert_eq!(p.leaf.read("pids.max").unwrap(), "100");
    assert_eq!(p.leaf.read("cpu.max").unwrap(), "50000 100000");
    let r2 = r
        .reconcile(&p.leaf, &d, &r1.last_applied, &Options::default())
        .unwrap();
    assert!(r2.is_noop(), "{:?}", r2.lines());
    // cpu.max back to max: the file reads "max 100000", which equals desired "max".
    let d3 = desired(&[
        ("memory.max", CgroupLimit::Bytes(256 << 20)),
        ("pids.max", CgroupLimit::Count(100)),
        ("cpu.max", CgroupLimit::Max),
    ]);
    let r3 = r
        .reconcile(&p.leaf, &d3, &r2.last_applied, &Options::default())
        .unwrap();
    assert_eq!(r3.applied.len(), 1);
    assert_eq!(p.leaf.read("cpu.max").unwrap(), "max 100000");
    let r4 = r
        .reconcile(&p.leaf, &d3, &r3.last_applied, &Options::default())
        .unwrap();
    assert!(r4.is_noop(), "max equals \"max 100000\": {:?}", r4.lines());
}

#[test]
fn vm_rec_22_revert_on_release_and_bogus_file() {
    let Some(p) = Parent::new("cgroup revert and failures") else {
        return;
    };
    let mut r = CgroupReconciler::new();
    let d = desired(&[
        ("pids.max", CgroupLimit::Count(100)),
        ("nonsense.max", CgroupLimit::Count(5)),
    ]);
    let r1 = r
        .reconcile(&p.leaf, &d, &FlatState::default(), &Options::default())
        .unwrap();
    // The bogus file lands in failed while pids.max applies; only pids.max is owned.
    assert_eq!(r1.failed.len(), 1);
    assert_eq!(r1.failed[0].0.key(), "nonsense.max");
    assert_eq!(r1.applied.len(), 1);
    assert!(r1.pending.is_empty());
    assert_eq!(
        r1.last_applied.keys.keys().collect::<Vec<_>>(),
        ["pids.max"]
    );
    assert_eq!(r1.last_applied.original("pids.max"), Some("max"));
    // Removing pids.max with revert_on_release writes the original back.
    let r2 = r
        .reconcile(
            &p.leaf,
            &CgroupDesired::new(),
            &r1.last_applied,
            &Options::default().revert_on_release(true),
        )
        .unwrap();
    assert_eq!(
        r2.applied,
        [FlatOp::Revert {
            key: "pids.max".into(),
            original: "max".into()
        }]
    );
    assert_eq!(p.leaf.read("pids.max").unwrap(), "max");
    assert!(r2.last_applied.is_empty());
}

#[test]
fn vm_rec_24_manual_pids_max_is_healed_by_the_loop() {
    let Some(p) = Parent::new("cgroup drift heal") else {
        return;
    };
    let lp = ReconcileLoop::start(
        CgroupReconciler::new(),
        p.leaf.try_clone().unwrap(),
        desired(&[("pids.max", CgroupLimit::Count(100))]),
        LoopOptions::default().interval(Some(Duration::from_millis(100))),
    )
    .unwrap();
    let wait = |want: &str| {
        let start = Instant::now();
        while p.leaf.read("pids.max").unwrap() != want {
            assert!(start.elapsed() < Duration::from_secs(30), "never {want}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait("100");
    std::fs::write(p.leaf.path().join("pids.max"), "50").unwrap();
    wait("100");
    lp.stop();
}
