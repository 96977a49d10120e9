//! The reconcile loop (REC-80…REC-83): an immediate pass, periodic passes, debounced passes on
//! wake-ups, `set_desired`, `reconcile_now`, the last report, a clean stop — on its own thread,
//! or on tokio's blocking pool with the `tokio` feature.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{EventfdFlags, PollFd, PollFlags};
use std::os::fd::OwnedFd;

use super::{Options, Reconciler, ReportOf, WakeSource, Wakeup};
use crate::error::{Errno, Error, Operation, OsError, Result, StateKind, Subsystem};

/// What a pass delivers to notification callbacks and channels: its report, or the error of a
/// pass that could not run.
pub type Notification<R> = Result<ReportOf<R>>;

type Callback<R> = Box<dyn FnMut(&Notification<R>) + Send>;

enum Notifier<R: Reconciler> {
    Callback(Callback<R>),
    Channel(mpsc::Sender<Notification<R>>),
}

/// Options of a [`ReconcileLoop`] (REC-80).
///
/// Defaults: a pass every 5 s, monitor wake-ups on, 100 ms debounce, empty initial
/// `last_applied`, default [`Options`], no notification, re-subscription backoff from 100 ms
/// doubling up to 5 s.
///
/// ```
/// use std::time::Duration;
/// use linx::reconcile::LoopOptions;
/// use linx::reconcile::sysctl::SysctlReconciler;
/// let o = LoopOptions::<SysctlReconciler>::default()
///     .interval(Some(Duration::from_secs(1)))
///     .debounce(Duration::from_millis(20))
///     .on_pass(|n| match n {
///         Ok(report) => println!("{report}"),
///         Err(e) => eprintln!("{e}"),
///     });
/// assert_eq!(o.interval, Some(Duration::from_secs(1)));
/// ```
#[non_exhaustive]
pub struct LoopOptions<R: Reconciler> {
    /// Time between periodic passes (measured from the end of the previous pass); `None`: no
    /// periodic passes.
    pub interval: Option<Duration>,
    /// Subscribe to the reconciler's wake source (if it has one).
    pub use_monitor: bool,
    /// How long after the first wake-up (or `set_desired`) the pass runs; further wake-ups in
    /// that window collapse into it.
    pub debounce: Duration,
    /// The initial `last_applied`.
    pub last_applied: R::LastApplied,
    /// The options of every pass.
    pub options: Options,
    /// Backoff of re-subscription after a wake source dies: initial and maximum.
    pub backoff: (Duration, Duration),
    notifiers: Vec<Notifier<R>>,
}

impl<R: Reconciler> Default for LoopOptions<R> {
    fn default() -> Self {
        LoopOptions {
            interval: Some(Duration::from_secs(5)),
            use_monitor: true,
            debounce: Duration::from_millis(100),
            last_applied: R::LastApplied::default(),
            options: Options::default(),
            backoff: (Duration::from_millis(100), Duration::from_secs(5)),
            notifiers: Vec::new(),
        }
    }
}

impl<R: Reconciler> std::fmt::Debug for LoopOptions<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopOptions")
            .field("interval", &self.interval)
            .field("use_monitor", &self.use_monitor)
            .field("debounce", &self.debounce)
            .field("last_applied", &self.last_applied)
            .field("options", &self.options)
            .field("backoff", &self.backoff)
            .field("notifiers", &self.notifiers.len())
            .finish()
    }
}

impl<R: Reconciler> LoopOptions<R> {
    /// Sets the periodic interval (`None`: wake-ups, `set_desired` and `reconcile_now` only).
    pub fn interval(mut self, i: Option<Duration>) -> Self {
        self.interval = i;
        self
    }

    /// Turns monitor wake-ups on or off.
    pub fn use_monitor(mut self, on: bool) -> Self {
        self.use_monitor = on;
        self
    }

    /// Sets the debounce window.
    pub fn debounce(mut self, d: Duration) -> Self {
        self.debounce = d;
        self
    }

    /// Sets the initial `last_applied` (e.g. restored from disk).
    pub fn last_applied(mut self, l: R::LastApplied) -> Self {
        self.last_applied = l;
        self
    }

    /// Sets the options of every pass.
    pub fn options(mut self, o: Options) -> Self {
        self.options = o;
        self
    }

    /// Sets the re-subscription backoff (initial, maximum).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = (initial, max.max(initial));
        self
    }

    /// Calls `f` after every pass (REC-83). A panic in `f` is caught and logged; the loop goes
    /// on.
    pub fn on_pass(mut self, f: impl FnMut(&Notification<R>) + Send + 'static) -> Self {
        self.notifiers.push(Notifier::Callback(Box::new(f)));
        self
    }

    /// Sends every pass's outcome to `tx` (a closed receiver is ignored).
    pub fn channel(mut self, tx: mpsc::Sender<Notification<R>>) -> Self {
        self.notifiers.push(Notifier::Channel(tx));
        self
    }
}

/// Where `reconcile_now` waits for its pass.
enum Reply<R: Reconciler> {
    Sync(mpsc::Sender<Notification<R>>),
    #[cfg(feature = "tokio")]
    Async(Arc<slot::Slot<Notification<R>>>),
}

impl<R: Reconciler> Reply<R>
where
    R::Op: Clone,
{
    fn send(self, n: &Notification<R>) {
        match self {
            Reply::Sync(tx) => {
                let _ = tx.send(n.clone());
            }
            #[cfg(feature = "tokio")]
            Reply::Async(s) => s.fill(n.clone()),
        }
    }
}

struct Control<R: Reconciler> {
    desired: R::Desired,
    dirty: bool,
    now: Vec<Reply<R>>,
    stop: bool,
    last: Option<Notification<R>>,
    last_applied: R::LastApplied,
    passes: u64,
}

struct Shared<R: Reconciler> {
    ctl: Mutex<Control<R>>,
    event: OwnedFd,
}

impl<R: Reconciler> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, Control<R>> {
        // Nothing panics while holding the lock (callbacks run without it), but never propagate
        // poisoning into the loop.
        self.ctl.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kick(&self) {
        let _ = rustix::io::write(&self.event, &1u64.to_ne_bytes());
    }
}

fn eventfd() -> Result<OwnedFd> {
    rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
        .map_err(|e| OsError::new(Subsystem::Reconcile, Operation::Syscall("eventfd"), e).into())
}

fn closed() -> Error {
    Error::state(
        Subsystem::Reconcile,
        StateKind::Closed,
        Some("the reconcile loop has stopped".into()),
    )
}

/// A reconciler running in a loop (REC-80…REC-83), opt-in: nothing runs until
/// [`start`](ReconcileLoop::start).
///
/// * an immediate first pass; periodic passes every [`interval`](LoopOptions::interval);
/// * wake-ups from the reconciler's [`subscribe`](Reconciler::subscribe) source, debounced: a
///   burst collapses into one pass [`debounce`](LoopOptions::debounce) after its first event;
///   an overrun schedules a full pass like any other wake-up (every pass re-reads everything);
/// * no wake source: timer passes only; a wake source that dies is re-subscribed with backoff
///   while the timer keeps running;
/// * a pass that fails is reported, the previous `last_applied` is kept and the loop goes on; a
///   pass that failed (or has a failed operation) on an interrupted dump, an overrun or a
///   generation conflict (`ERESTART`) is retried after the debounce window (REC-06);
/// * [`set_desired`](ReconcileLoop::set_desired) schedules a debounced pass,
///   [`reconcile_now`](ReconcileLoop::reconcile_now) runs one at once and returns its report,
///   [`last_report`](ReconcileLoop::last_report) gives the latest outcome,
///   [`stop`](ReconcileLoop::stop) (or dropping the handle) stops and joins the thread.
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use std::time::Duration;
/// use linx::ns::NsTarget;
/// use linx::reconcile::{LoopOptions, ReconcileLoop};
/// use linx::reconcile::sysctl::SysctlReconciler;
/// use linx::sysctl::{Key, Value};
///
/// let desired = BTreeMap::from([(Key::parse("net.ipv4.ip_forward")?, Value::Int(1))]);
/// let lp = ReconcileLoop::start(
///     SysctlReconciler::new(),
///     NsTarget::Current,
///     desired,
///     LoopOptions::default()
///         .interval(Some(Duration::from_secs(1)))
///         .on_pass(|n| if let Ok(r) = n { println!("{r}") }),
/// )?;
/// let report = lp.reconcile_now(Duration::from_secs(5))?;
/// assert!(report.converged);
/// lp.stop();
/// # Ok::<(), linx::Error>(())
/// ```
pub struct ReconcileLoop<R: Reconciler> {
    shared: Arc<Shared<R>>,
    thread: Option<JoinHandle<()>>,
}

impl<R: Reconciler> std::fmt::Debug for ReconcileLoop<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcileLoop")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

struct Runner<R: Reconciler> {
    reconciler: R,
    scope: R::Scope,
    shared: Arc<Shared<R>>,
    interval: Option<Duration>,
    use_monitor: bool,
    debounce: Duration,
    options: Options,
    backoff: (Duration, Duration),
    notifiers: Vec<Notifier<R>>,
}

fn timespec(d: Duration) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// Failures that mean "the state moved under us": retry soon with a full pass (REC-06).
fn resync_error(e: &Error) -> bool {
    matches!(e, Error::DumpInterrupted { .. } | Error::Overrun { .. })
        || e.errno() == Some(Errno::RESTART)
}

/// Schedules a debounced pass unless one is already scheduled (leading edge: later wake-ups
/// never postpone it).
fn schedule(pass_at: &mut Option<Instant>, at: Instant) {
    if pass_at.is_none_or(|t| at < t) {
        *pass_at = Some(at);
    }
}

impl<R> Runner<R>
where
    R: Reconciler,
    R::Desired: Clone,
{
    fn notify(&mut self, n: &Notification<R>) {
        match n {
            Ok(report) => {
                for (op, e) in &report.failed {
                    log::warn!("reconcile: {op}: {e}");
                }
            }
            Err(e) => log::warn!("reconcile pass failed: {e}"),
        }
        for notifier in &mut self.notifiers {
            match notifier {
                Notifier::Callback(f) => {
                    if catch_unwind(AssertUnwindSafe(|| f(n))).is_err() {
                        log::error!(
                            "reconcile: a notification callback panicked; the loop goes on"
                        );
                    }
                }
                Notifier::Channel(tx) => {
                    let _ = tx.send(n.clone());
                }
            }
        }
    }

    fn pass(&mut self) -> Notification<R> {
        let (desired, last_applied, replies) = {
            let mut c = self.shared.lock();
            c.dirty = false;
            (
                c.desired.clone(),
                c.last_applied.clone(),
                std::mem::take(&mut c.now),
            )
        };
        let options = self.options.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.reconciler
                .reconcile(&self.scope, &desired, &last_applied, &options)
        }))
        .unwrap_or_else(|_| {
            Err(Error::state(
                Subsystem::Reconcile,
                StateKind::Poisoned,
                Some("the reconciler panicked during a pass".into()),
            ))
        });
        {
            let mut c = self.shared.lock();
            if let Ok(report) = &outcome {
                c.last_applied = report.last_applied.clone();
            }
            c.last = Some(outcome.clone());
            c.passes += 1;
        }
        for r in replies {
            r.send(&outcome);
        }
        self.notify(&outcome);
        outcome
    }

    fn run(mut self) {
        let start = Instant::now();
        let mut pass_at: Option<Instant> = Some(start);
        let mut tick: Option<Instant> = None;
        let mut wake: Option<WakeSource> = None;
        // Subscribe before the first pass, so no change after it is missed.
        let mut resub_at = self.use_monitor.then_some(start);
        let mut backoff = self.backoff.0;
        let mut subscribed_before = false;
        loop {
            if self.shared.lock().stop {
                return;
            }
            let now = Instant::now();
            if resub_at.is_some_and(|t| now >= t) {
                match self.reconciler.subscribe(&self.scope) {
                    Ok(w) => {
                        resub_at = None;
                        backoff = self.backoff.0;
                        if w.is_some() && subscribed_before {
                            // Events may have been missed while it was down.
                            schedule(&mut pass_at, now + self.debounce);
                        }
                        subscribed_before |= w.is_some();
                        wake = w;
                    }
                    Err(e) => {
                        log::warn!("reconcile: subscribing to wake-ups failed (retrying): {e}");
                        resub_at = Some(now + backoff);
                        backoff = (backoff * 2).min(self.backoff.1);
                    }
                }
            }
            if pass_at.is_some_and(|t| now >= t) || tick.is_some_and(|t| now >= t) {
                pass_at = None;
                let outcome = self.pass();
                let end = Instant::now();
                tick = self.interval.map(|i| end + i);
                let resync = match &outcome {
                    Err(e) => resync_error(e),
                    Ok(r) => r.failed.iter().any(|(_, e)| resync_error(e)),
                };
                if resync {
                    schedule(&mut pass_at, end + self.debounce);
                }
                continue;
            }
            let deadline = [pass_at, tick, resub_at].into_iter().flatten().min();
            let timeout = deadline.map(|d| timespec(d.saturating_duration_since(now)));
            let revents: Vec<PollFlags> = {
                let mut fds = vec![PollFd::new(&self.shared.event, PollFlags::IN)];
                if let Some(w) = &mut wake {
                    for p in w.parts_mut().iter() {
                        fds.push(PollFd::from_borrowed_fd(p.fd(), PollFlags::IN));
                    }
                }
                match rustix::event::poll(&mut fds, timeout.as_ref()) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => {
                        log::warn!("reconcile: poll failed: {e}");
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                fds.iter().map(PollFd::revents).collect()
            };
            let now = Instant::now();
            if revents.first().is_some_and(|r| r.contains(PollFlags::IN)) {
                let mut buf = [0u8; 8];
                let _ = rustix::io::read(&self.shared.event, &mut buf);
                let c = self.shared.lock();
                if c.stop {
                    return;
                }
                if c.dirty {
                    schedule(&mut pass_at, now + self.debounce);
                }
                if !c.now.is_empty() {
                    pass_at = Some(now);
                }
            }
            let mut died = false;
            if let Some(w) = &mut wake {
                for (part, rev) in w.parts_mut().iter_mut().zip(revents.iter().skip(1)) {
                    if rev.intersects(PollFlags::HUP | PollFlags::NVAL) {
                        died = true;
                        continue;
                    }
                    // A pending socket error (POLLERR) is drained like data: a netlink monitor
                    // whose buffer overran reports ENOBUFS this way, and its drain turns that
                    // into `Overrun` (REC-06).
                    if !rev.intersects(PollFlags::IN | PollFlags::ERR) {
                        continue;
                    }
                    match part.drain() {
                        Ok(Wakeup::Changed) => schedule(&mut pass_at, now + self.debounce),
                        Ok(Wakeup::Overrun) => {
                            log::debug!("reconcile: wake source overran: full pass");
                            schedule(&mut pass_at, now + self.debounce);
                        }
                        // An error condition the drain did not explain: the source is broken.
                        Ok(Wakeup::Nothing) if rev.contains(PollFlags::ERR) => {
                            log::warn!("reconcile: wake source reported an error (re-subscribing)");
                            died = true;
                        }
                        Ok(Wakeup::Nothing) => {}
                        Err(e) => {
                            log::warn!("reconcile: wake source died (re-subscribing): {e}");
                            died = true;
                        }
                    }
                }
            }
            if died {
                wake = None;
                resub_at = Some(now + backoff);
                backoff = (backoff * 2).min(self.backoff.1);
            }
        }
    }
}

impl<R> ReconcileLoop<R>
where
    R: Reconciler + Send + 'static,
    R::Scope: Send + 'static,
    R::Desired: Clone + Send + 'static,
    R::LastApplied: Send + 'static,
    R::Op: Send + 'static,
{
    fn prepare(
        reconciler: R,
        scope: R::Scope,
        desired: R::Desired,
        options: LoopOptions<R>,
    ) -> Result<(Arc<Shared<R>>, Runner<R>)> {
        let shared = Arc::new(Shared {
            ctl: Mutex::new(Control {
                desired,
                dirty: false,
                now: Vec::new(),
                stop: false,
                last: None,
                last_applied: options.last_applied,
                passes: 0,
            }),
            event: eventfd()?,
        });
        let runner = Runner {
            reconciler,
            scope,
            shared: Arc::clone(&shared),
            interval: options.interval,
            use_monitor: options.use_monitor,
            debounce: options.debounce,
            options: options.options,
            backoff: options.backoff,
            notifiers: options.notifiers,
        };
        Ok((shared, runner))
    }

    /// Starts the loop on its own thread; the first pass runs at once.
    ///
    /// # Errors
    /// `eventfd(2)` or thread creation failures.
    pub fn start(
        reconciler: R,
        scope: R::Scope,
        desired: R::Desired,
        options: LoopOptions<R>,
    ) -> Result<ReconcileLoop<R>> {
        let (shared, runner) = Self::prepare(reconciler, scope, desired, options)?;
        let thread = std::thread::Builder::new()
            .name("linx-reconcile".into())
            .spawn(move || runner.run())
            .map_err(|e| {
                Error::from(OsError::new(
                    Subsystem::Reconcile,
                    Operation::SpawnThread,
                    Errno::from_io_error(&e).unwrap_or(Errno::AGAIN),
                ))
            })?;
        Ok(ReconcileLoop {
            shared,
            thread: Some(thread),
        })
    }

    /// Runs a pass now (or right after the one in progress) and returns its outcome.
    ///
    /// # Errors
    /// The pass's error; [`Error::Timeout`] when it did not finish within `timeout` (it still
    /// runs); a `Closed` state error when the loop has stopped.
    pub fn reconcile_now(&self, timeout: Duration) -> Notification<R> {
        let (tx, rx) = mpsc::channel();
        {
            let mut c = self.shared.lock();
            if c.stop || self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return Err(closed());
            }
            c.now.push(Reply::Sync(tx));
        }
        self.shared.kick();
        match rx.recv_timeout(timeout) {
            Ok(n) => n,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(
                    Error::timeout(Subsystem::Reconcile, Operation::Poll, timeout)
                        .with_context(|c| c.object = Some("reconcile pass".into())),
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(closed()),
        }
    }

    /// Replaces the desired state and schedules a debounced pass.
    #[doc(alias = "put_desired")]
    pub fn set_desired(&self, desired: R::Desired) {
        {
            let mut c = self.shared.lock();
            c.desired = desired;
            c.dirty = true;
        }
        self.shared.kick();
    }

    /// The outcome of the latest pass (`None` before the first one finished).
    pub fn last_report(&self) -> Option<Notification<R>> {
        self.shared.lock().last.clone()
    }

    /// The `last_applied` the next pass starts from.
    pub fn last_applied(&self) -> R::LastApplied {
        self.shared.lock().last_applied.clone()
    }

    /// How many passes have run.
    pub fn passes(&self) -> u64 {
        self.shared.lock().passes
    }

    /// Stops the loop and joins its thread (waiting for a pass in progress).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.lock().stop = true;
        self.shared.kick();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<R: Reconciler> Drop for ReconcileLoop<R> {
    /// Stops the loop and joins the thread.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.kick();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(feature = "tokio")]
mod slot {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    /// A one-shot value handed from the loop thread to an async waiter.
    pub(super) struct Slot<T> {
        inner: Mutex<(Option<T>, Option<Waker>, bool)>,
    }

    impl<T> Slot<T> {
        pub(super) fn new() -> Arc<Slot<T>> {
            Arc::new(Slot {
                inner: Mutex::new((None, None, false)),
            })
        }

        pub(super) fn fill(&self, v: T) {
            let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            g.0 = Some(v);
            g.2 = true;
            if let Some(w) = g.1.take() {
                w.wake();
            }
        }

        /// Marks the slot abandoned (the loop stopped without filling it).
        pub(super) fn close(&self) {
            let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            g.2 = true;
            if let Some(w) = g.1.take() {
                w.wake();
            }
        }
    }

    /// Waits for the slot: `Some(v)` when filled, `None` when abandoned.
    pub(super) struct Wait<T>(pub(super) Arc<Slot<T>>);

    impl<T> Future for Wait<T> {
        type Output = Option<T>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
            let mut g = self.0.inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(v) = g.0.take() {
                return Poll::Ready(Some(v));
            }
            if g.2 {
                return Poll::Ready(None);
            }
            g.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The loop as a tokio task (feature `tokio`): the same machinery as [`ReconcileLoop`] run on
/// tokio's blocking pool (passes do blocking netlink and file I/O), with async
/// [`reconcile_now`](AsyncReconcileLoop::reconcile_now) and [`stop`](AsyncReconcileLoop::stop).
///
/// ```no_run
/// # async fn f() -> linx::Result<()> {
/// use linx::ns::NsTarget;
/// use linx::reconcile::{AsyncReconcileLoop, LoopOptions};
/// use linx::reconcile::net::{NetDesired, NetReconciler};
/// let lp = AsyncReconcileLoop::spawn(NetReconciler::new(), NsTarget::Current, NetDesired::new(), LoopOptions::default())?;
/// let report = lp.reconcile_now().await?;
/// println!("{report}");
/// lp.stop().await;
/// # Ok(()) }
/// ```
#[cfg(feature = "tokio")]
pub struct AsyncReconcileLoop<R: Reconciler> {
    shared: Arc<Shared<R>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[cfg(feature = "tokio")]
impl<R> AsyncReconcileLoop<R>
where
    R: Reconciler + Send + 'static,
    R::Scope: Send + 'static,
    R::Desired: Clone + Send + 'static,
    R::LastApplied: Send + 'static,
    R::Op: Send + 'static,
{
    /// Spawns the loop on the current tokio runtime's blocking pool; the first pass runs at
    /// once.
    ///
    /// # Errors
    /// A `Closed` state error outside a tokio runtime; `eventfd(2)` failures.
    pub fn spawn(
        reconciler: R,
        scope: R::Scope,
        desired: R::Desired,
        options: LoopOptions<R>,
    ) -> Result<AsyncReconcileLoop<R>> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::state(
                Subsystem::Reconcile,
                StateKind::Closed,
                Some("AsyncReconcileLoop needs a tokio runtime".into()),
            )
        })?;
        let (shared, runner) = ReconcileLoop::prepare(reconciler, scope, desired, options)?;
        let task = handle.spawn_blocking(move || runner.run());
        Ok(AsyncReconcileLoop {
            shared,
            task: Some(task),
        })
    }

    /// Runs a pass now (or right after the one in progress) and returns its outcome.
    ///
    /// # Errors
    /// The pass's error; a `Closed` state error when the loop has stopped.
    pub async fn reconcile_now(&self) -> Notification<R> {
        let s = slot::Slot::new();
        {
            let mut c = self.shared.lock();
            if c.stop || self.task.as_ref().is_none_or(|t| t.is_finished()) {
                return Err(closed());
            }
            c.now.push(Reply::Async(Arc::clone(&s)));
        }
        self.shared.kick();
        slot::Wait(s).await.unwrap_or_else(|| Err(closed()))
    }

    /// Replaces the desired state and schedules a debounced pass.
    #[doc(alias = "put_desired")]
    pub fn set_desired(&self, desired: R::Desired) {
        {
            let mut c = self.shared.lock();
            c.desired = desired;
            c.dirty = true;
        }
        self.shared.kick();
    }

    /// The outcome of the latest pass.
    pub fn last_report(&self) -> Option<Notification<R>> {
        self.shared.lock().last.clone()
    }

    /// The `last_applied` the next pass starts from.
    pub fn last_applied(&self) -> R::LastApplied {
        self.shared.lock().last_applied.clone()
    }

    /// How many passes have run.
    pub fn passes(&self) -> u64 {
        self.shared.lock().passes
    }

    /// Stops the loop and waits for its task (and a pass in progress) to end.
    pub async fn stop(mut self) {
        self.signal_stop();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    fn signal_stop(&self) {
        let pending = {
            let mut c = self.shared.lock();
            c.stop = true;
            std::mem::take(&mut c.now)
        };
        for r in pending {
            if let Reply::Async(s) = r {
                s.close();
            }
        }
        self.shared.kick();
    }
}

#[cfg(feature = "tokio")]
impl<R: Reconciler> Drop for AsyncReconcileLoop<R> {
    /// Signals the loop to stop (without waiting).
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.kick();
    }
}
