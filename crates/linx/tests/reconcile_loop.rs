//! Unit tier: the reconcile loop with a fake reconciler, no kernel (REC-80…REC-83, REC-06; spec
//! scenario 1). Convergence is awaited by polling with a generous bound; nothing asserts how
//! long something took.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use linx::Error;
use linx::error::{Operation, StateKind, Subsystem};
use linx::reconcile::{
    LoopOptions, Options, ReconcileLoop, Reconciler, Report, Wake, WakeSource, Wakeup,
};

/// Generous bound for "eventually".
const PATIENCE: Duration = Duration::from_secs(20);

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One recorded pass: the desired value, the last_applied it was given and the options.
#[derive(Debug, Clone, PartialEq)]
struct Pass {
    desired: u32,
    last_applied: u64,
    options: Options,
}

#[derive(Default)]
struct Probe {
    passes: Mutex<Vec<Pass>>,
    /// Errors to return from the next passes.
    fail: Mutex<Vec<Error>>,
    /// Errors to report as a failed operation of the next passes.
    fail_op: Mutex<Vec<Error>>,
    panic_next: AtomicBool,
    subscribes: AtomicU32,
    /// Read ends handed out by subscribe (a `None` entry means "no wake source").
    pipes: Mutex<Vec<Option<OwnedFd>>>,
    subscribe_errors: AtomicU32,
    dropped: AtomicBool,
}

impl Probe {
    fn count(&self) -> usize {
        self.passes.lock().unwrap().len()
    }
    fn last(&self) -> Pass {
        self.passes.lock().unwrap().last().cloned().unwrap()
    }
}

struct Fake(Arc<Probe>);

impl Drop for Fake {
    fn drop(&mut self) {
        self.0.dropped.store(true, Ordering::SeqCst);
    }
}

/// Reads one byte per drain: each byte is one wake-up. `b'O'` is an overrun.
struct PipeWake(OwnedFd);

impl Wake for PipeWake {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
    fn drain(&mut self) -> linx::Result<Wakeup> {
        let mut b = [0u8; 1];
        match rustix::io::read(&self.0, &mut b) {
            Ok(0) => Err(Error::state(Subsystem::Reconcile, StateKind::Closed, None)),
            Ok(_) if b[0] == b'O' => Ok(Wakeup::Overrun),
            Ok(_) => Ok(Wakeup::Changed),
            Err(_) => Ok(Wakeup::Nothing),
        }
    }
}

impl Reconciler for Fake {
    type Scope = ();
    type Desired = u32;
    type Observed = ();
    type Plan = ();
    type Op = String;
    type LastApplied = u64;

    fn observe(&mut self, _: &(), _: &u32, _: &u64) -> linx::Result<()> {
        Ok(())
    }
    fn diff(&self, _: &(), _: &u32, _: &u64, _: &Options) -> linx::Result<()> {
        Ok(())
    }
    fn ops(&self, _: &()) -> Vec<String> {
        Vec::new()
    }
    fn apply(&mut self, _: &(), _: (), l: &u64, _: &Options) -> linx::Result<Report<String, u64>> {
        Ok(Report::new(*l))
    }

    fn reconcile(
        &mut self,
        _: &(),
        desired: &u32,
        last_applied: &u64,
        options: &Options,
    ) -> linx::Result<Report<String, u64>> {
        if self.0.panic_next.swap(false, Ordering::SeqCst) {
            panic!("fake reconciler panics on purpose");
        }
        self.0.passes.lock().unwrap().push(Pass {
            desired: *desired,
            last_applied: *last_applied,
            options: options.clone(),
        });
        if let Some(e) = self.0.fail.lock().unwrap().pop() {
            return Err(e);
        }
        let mut r = Report::new(last_applied + 1);
        r.applied.push(format!("pass with desired {desired}"));
        if let Some(e) = self.0.fail_op.lock().unwrap().pop() {
            r.failed.push(("commit".to_string(), e));
        }
        Ok(r.finish())
    }

    fn subscribe(&mut self, _: &()) -> linx::Result<Option<WakeSource>> {
        self.0.subscribes.fetch_add(1, Ordering::SeqCst);
        if self.0.subscribe_errors.load(Ordering::SeqCst) > 0 {
            self.0.subscribe_errors.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::input(Subsystem::Reconcile, "fake", "x", "refused"));
        }
        let mut pipes = self.0.pipes.lock().unwrap();
        if pipes.is_empty() {
            return Ok(None);
        }
        Ok(pipes.remove(0).map(|fd| WakeSource::new(PipeWake(fd))))
    }
}

/// A probe whose subscribe hands out `n` pipes; returns the write ends.
fn with_pipes(n: usize) -> (Arc<Probe>, Vec<OwnedFd>) {
    let probe = Arc::new(Probe::default());
    let mut writers = Vec::new();
    for _ in 0..n {
        let (r, w) = rustix::pipe::pipe_with(
            rustix::pipe::PipeFlags::NONBLOCK | rustix::pipe::PipeFlags::CLOEXEC,
        )
        .unwrap();
        probe.pipes.lock().unwrap().push(Some(r));
        writers.push(w);
    }
    (probe, writers)
}

fn quiet() -> LoopOptions<Fake> {
    LoopOptions::default()
        .interval(None)
        .debounce(Duration::from_millis(20))
}

#[test]
fn rec_80_immediate_first_pass_with_options_and_initial_last_applied() {
    let probe = Arc::new(Probe::default());
    let opts = Options::default().revert_on_release(true);
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        7,
        quiet()
            .use_monitor(false)
            .last_applied(40)
            .options(opts.clone()),
    )
    .unwrap();
    eventually("first pass", || probe.count() >= 1);
    assert_eq!(
        probe.last(),
        Pass {
            desired: 7,
            last_applied: 40,
            options: opts
        }
    );
    eventually("report stored", || lp.last_report().is_some());
    assert_eq!(lp.last_applied(), 41);
    assert_eq!(lp.passes(), 1);
    lp.stop();
}

#[test]
fn rec_81_last_applied_threaded_through_periodic_passes() {
    let probe = Arc::new(Probe::default());
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        LoopOptions::default()
            .use_monitor(false)
            .interval(Some(Duration::from_millis(5))),
    )
    .unwrap();
    eventually("five passes", || probe.count() >= 5);
    lp.stop();
    let seen: Vec<u64> = probe
        .passes
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.last_applied)
        .collect();
    assert_eq!(seen, (0..seen.len() as u64).collect::<Vec<_>>());
}

#[test]
fn rec_82_set_desired_schedules_a_pass_and_reconcile_now_runs_one() {
    let probe = Arc::new(Probe::default());
    let lp =
        ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet().use_monitor(false)).unwrap();
    eventually("first pass", || probe.count() >= 1);
    lp.set_desired(2);
    eventually("pass with the new desired state", || {
        probe.last().desired == 2
    });
    let r = lp.reconcile_now(PATIENCE).unwrap();
    assert_eq!(r.applied, ["pass with desired 2"]);
    assert_eq!(r.to_string(), "converged (1 applied)");
    lp.stop();
}

#[test]
fn rec_83_notifications_to_channel_and_callback() {
    let probe = Arc::new(Probe::default());
    let (tx, rx) = mpsc::channel();
    let seen = Arc::new(AtomicU32::new(0));
    let seen2 = Arc::clone(&seen);
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        quiet().use_monitor(false).channel(tx).on_pass(move |n| {
            assert!(n.is_ok());
            seen2.fetch_add(1, Ordering::SeqCst);
        }),
    )
    .unwrap();
    let first = rx.recv_timeout(PATIENCE).unwrap().unwrap();
    assert_eq!(first.last_applied, 1);
    lp.reconcile_now(PATIENCE).unwrap();
    let second = rx.recv_timeout(PATIENCE).unwrap().unwrap();
    assert_eq!(second.last_applied, 2);
    eventually("callback called twice", || seen.load(Ordering::SeqCst) >= 2);
    lp.stop();
}

#[test]
fn rec_81_failing_pass_keeps_loop_and_previous_last_applied() {
    let probe = Arc::new(Probe::default());
    let (tx, rx) = mpsc::channel();
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        quiet().use_monitor(false).channel(tx),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap().unwrap().last_applied, 1);
    probe.fail.lock().unwrap().push(Error::input(
        Subsystem::Reconcile,
        "routes[0]",
        "eth9",
        "no such interface",
    ));
    let e = lp.reconcile_now(PATIENCE).unwrap_err();
    assert!(e.is_input());
    assert!(
        rx.recv_timeout(PATIENCE).unwrap().is_err(),
        "the error is notified"
    );
    assert!(lp.last_report().unwrap().is_err());
    let r = lp.reconcile_now(PATIENCE).unwrap();
    assert_eq!(r.last_applied, 2, "the failed pass kept last_applied at 1");
    assert_eq!(probe.last().last_applied, 1);
    lp.stop();
}

#[test]
fn rec_83_panicking_callback_and_reconciler_do_not_kill_the_loop() {
    let probe = Arc::new(Probe::default());
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        quiet()
            .use_monitor(false)
            .on_pass(|_| panic!("callback panics on purpose")),
    )
    .unwrap();
    eventually("first pass", || probe.count() >= 1);
    assert!(lp.reconcile_now(PATIENCE).is_ok());
    probe.panic_next.store(true, Ordering::SeqCst);
    let e = lp.reconcile_now(PATIENCE).unwrap_err();
    assert!(e.to_string().contains("panicked"), "{e}");
    assert!(lp.reconcile_now(PATIENCE).is_ok(), "the loop survived");
    lp.stop();
}

#[test]
fn rec_81_burst_of_50_wakeups_collapses_into_one_pass() {
    let (probe, writers) = with_pipes(1);
    let debounce = Duration::from_millis(400);
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        LoopOptions::default().interval(None).debounce(debounce),
    )
    .unwrap();
    eventually("first pass and subscription", || {
        probe.count() >= 1 && probe.subscribes.load(Ordering::SeqCst) >= 1
    });
    for _ in 0..50 {
        rustix::io::write(&writers[0], b"x").unwrap();
    }
    eventually("the debounced pass", || probe.count() >= 2);
    // Everything was drained within the window: no second pass follows.
    std::thread::sleep(debounce * 3);
    assert_eq!(probe.count(), 2, "50 wake-ups in one window gave one pass");
    lp.stop();
}

#[test]
fn rec_06_overrun_schedules_a_full_pass() {
    let (probe, writers) = with_pipes(1);
    let lp = ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet()).unwrap();
    eventually("subscribed", || {
        probe.count() >= 1 && probe.subscribes.load(Ordering::SeqCst) >= 1
    });
    rustix::io::write(&writers[0], b"O").unwrap();
    eventually("pass after the overrun", || probe.count() >= 2);
    lp.stop();
}

#[test]
fn rec_06_interrupted_dump_is_retried_without_a_trigger() {
    let probe = Arc::new(Probe::default());
    probe.fail.lock().unwrap().push(Error::DumpInterrupted {
        subsystem: Subsystem::Netlink,
        operation: Operation::netlink("RTM_GETROUTE", 26),
        attempts: 3,
    });
    let lp =
        ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet().use_monitor(false)).unwrap();
    eventually("a retry pass after the interrupted dump", || {
        probe.count() >= 2
    });
    eventually("the retry converged", || {
        matches!(lp.last_report(), Some(Ok(_)))
    });
    lp.stop();
}

#[test]
fn rec_06_generation_conflict_in_a_report_is_retried() {
    let probe = Arc::new(Probe::default());
    probe.fail_op.lock().unwrap().push(
        linx::error::OsError::new(
            Subsystem::Netfilter,
            Operation::netlink("NFNL_MSG_BATCH_BEGIN", 0x10),
            linx::error::Errno::RESTART,
        )
        .into(),
    );
    let lp =
        ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet().use_monitor(false)).unwrap();
    eventually("a retry pass after the conflict", || probe.count() >= 2);
    eventually(
        "converged",
        || matches!(lp.last_report(), Some(Ok(r)) if r.converged),
    );
    lp.stop();
}

#[test]
fn rec_81_no_wake_source_means_timer_passes_only() {
    let probe = Arc::new(Probe::default());
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        LoopOptions::default().interval(Some(Duration::from_millis(10))),
    )
    .unwrap();
    eventually("timer passes", || probe.count() >= 3);
    assert_eq!(
        probe.subscribes.load(Ordering::SeqCst),
        1,
        "subscribed once, got None"
    );
    lp.stop();
}

#[test]
fn rec_81_dying_wake_source_is_resubscribed() {
    let (probe, mut writers) = with_pipes(2);
    probe.subscribe_errors.store(0, Ordering::SeqCst);
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        quiet().backoff(Duration::from_millis(10), Duration::from_millis(50)),
    )
    .unwrap();
    eventually("subscribed", || {
        probe.subscribes.load(Ordering::SeqCst) >= 1 && probe.count() >= 1
    });
    // Closing the write end kills the first source (EOF / hang-up).
    drop(writers.remove(0));
    eventually("re-subscribed", || {
        probe.subscribes.load(Ordering::SeqCst) >= 2
    });
    // Re-subscribing schedules a pass (events may have been lost meanwhile).
    eventually("resync pass", || probe.count() >= 2);
    let before = probe.count();
    rustix::io::write(&writers[0], b"x").unwrap();
    eventually("the new source wakes the loop", || probe.count() > before);
    lp.stop();
}

#[test]
fn rec_81_failed_subscription_is_retried_with_backoff() {
    let (probe, writers) = with_pipes(1);
    probe.subscribe_errors.store(3, Ordering::SeqCst);
    let lp = ReconcileLoop::start(
        Fake(Arc::clone(&probe)),
        (),
        1,
        quiet().backoff(Duration::from_millis(5), Duration::from_millis(20)),
    )
    .unwrap();
    eventually("fourth subscription succeeds", || {
        probe.subscribes.load(Ordering::SeqCst) >= 4
    });
    let before = probe.count();
    rustix::io::write(&writers[0], b"x").unwrap();
    eventually("wake-up after the retries", || probe.count() > before);
    lp.stop();
}

#[test]
fn rec_82_stop_and_drop_join_the_thread() {
    let probe = Arc::new(Probe::default());
    let lp =
        ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet().use_monitor(false)).unwrap();
    eventually("first pass", || probe.count() >= 1);
    drop(lp);
    assert!(
        probe.dropped.load(Ordering::SeqCst),
        "dropping the handle ended the thread"
    );
    let probe = Arc::new(Probe::default());
    let lp =
        ReconcileLoop::start(Fake(Arc::clone(&probe)), (), 1, quiet().use_monitor(false)).unwrap();
    lp.stop();
    assert!(probe.dropped.load(Ordering::SeqCst));
}

#[cfg(feature = "tokio")]
#[test]
fn rec_82_tokio_task_variant() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let probe = Arc::new(Probe::default());
    rt.block_on(async {
        let lp = linx::reconcile::AsyncReconcileLoop::spawn(
            Fake(Arc::clone(&probe)),
            (),
            3,
            quiet().use_monitor(false),
        )
        .unwrap();
        let r = lp.reconcile_now().await.unwrap();
        assert_eq!(r.applied, ["pass with desired 3"]);
        lp.set_desired(4);
        let r = lp.reconcile_now().await.unwrap();
        assert_eq!(r.applied, ["pass with desired 4"]);
        lp.stop().await;
    });
    assert!(probe.dropped.load(Ordering::SeqCst));
}

/// A toy reconciler over an in-memory map whose `apply` silently drops the key `lost`.
struct Leaky(std::collections::BTreeMap<String, u32>);

impl Reconciler for Leaky {
    type Scope = ();
    type Desired = std::collections::BTreeMap<String, u32>;
    type Observed = std::collections::BTreeMap<String, u32>;
    type Plan = Vec<(String, u32)>;
    type Op = String;
    type LastApplied = ();

    fn observe(&mut self, _: &(), _: &Self::Desired, _: &()) -> linx::Result<Self::Observed> {
        Ok(self.0.clone())
    }
    fn diff(
        &self,
        observed: &Self::Observed,
        desired: &Self::Desired,
        _: &(),
        _: &Options,
    ) -> linx::Result<Self::Plan> {
        Ok(desired
            .iter()
            .filter(|(k, v)| observed.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), *v))
            .collect())
    }
    fn ops(&self, plan: &Self::Plan) -> Vec<String> {
        plan.iter().map(|(k, v)| format!("set {k} = {v}")).collect()
    }
    fn apply(
        &mut self,
        _: &(),
        plan: Self::Plan,
        _: &(),
        _: &Options,
    ) -> linx::Result<Report<String, ()>> {
        let mut r = Report::new(());
        for (k, v) in plan {
            r.applied.push(format!("set {k} = {v}"));
            if k != "lost" {
                self.0.insert(k, v);
            }
        }
        Ok(r.finish())
    }
}

#[test]
fn rec_01_provided_reconcile_and_rec_05_bounded_verify() {
    let desired: std::collections::BTreeMap<String, u32> =
        [("a".to_string(), 1), ("lost".to_string(), 2)].into();
    let mut r = Leaky(Default::default());
    // Without verification the pass believes it converged.
    let plain = r
        .reconcile(&(), &desired, &(), &Options::default())
        .unwrap();
    assert_eq!(plain.to_string(), "converged (2 applied)");
    // With verification the lost write is pending: silent non-convergence made visible.
    let mut r = Leaky(Default::default());
    let o = Options::default().verify(3, Duration::from_millis(1));
    let v = r.reconcile(&(), &desired, &(), &o).unwrap();
    assert_eq!(
        v.to_string(),
        "not converged (2 applied, 0 failed, 1 pending)"
    );
    assert_eq!(v.pending, ["set lost = 2"]);
    // Verification disabled by zero attempts.
    let o = Options::default().verify(0, Duration::from_millis(1));
    let mut r = Leaky(Default::default());
    assert!(r.reconcile(&(), &desired, &(), &o).unwrap().converged);
}
