//! Wake-up sources for the loop: pollable monitors whose events are hints to re-read (REC-01,
//! REC-46, REC-60), with an explicit overrun (REC-06).

use std::fmt;
use std::os::fd::BorrowedFd;

use crate::error::Result;

/// What draining a wake-up source found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Wakeup {
    /// Nothing relevant (events were filtered out, or none were ready).
    Nothing,
    /// Something relevant changed: schedule a pass.
    Changed,
    /// Events were lost (the kernel overran the receive buffer): schedule a full pass.
    Overrun,
}

/// One pollable source of wake-ups: a monitor socket, a `cgroup.events` watcher, a pipe in
/// tests.
///
/// The loop polls [`fd`](Wake::fd) for readability (or a pending error) and then calls
/// [`drain`](Wake::drain), which must not block and must consume the error condition — a
/// netlink monitor's overrun arrives as `POLLERR`/`ENOBUFS` and is reported as
/// [`Wakeup::Overrun`]. An `Err` from `drain`, an error it leaves unexplained (`Nothing`) or a
/// hang-up on the fd means the source died: the loop drops it and re-subscribes with backoff
/// while the timer keeps running.
///
/// ```
/// use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
/// use linx::reconcile::{Wake, WakeSource, Wakeup};
///
/// /// A wake source fed through a pipe (one byte per event).
/// struct PipeWake(OwnedFd);
///
/// impl Wake for PipeWake {
///     fn fd(&self) -> BorrowedFd<'_> {
///         self.0.as_fd()
///     }
///     fn drain(&mut self) -> linx::Result<Wakeup> {
///         let mut buf = [0u8; 64];
///         match rustix::io::read(&self.0, &mut buf) {
///             Ok(0) => Err(linx::Error::state(
///                 linx::error::Subsystem::Reconcile,
///                 linx::error::StateKind::Closed,
///                 None,
///             )),
///             Ok(_) => Ok(Wakeup::Changed),
///             Err(_) => Ok(Wakeup::Nothing),
///         }
///     }
/// }
///
/// let (r, _w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::NONBLOCK).unwrap();
/// let source = WakeSource::new(PipeWake(r));
/// assert_eq!(source.len(), 1);
/// ```
pub trait Wake: Send {
    /// The descriptor to poll for readability.
    fn fd(&self) -> BorrowedFd<'_>;

    /// Consumes whatever is ready without blocking and says whether it matters.
    ///
    /// # Errors
    /// The source died (socket error, closed pipe): the loop re-subscribes.
    fn drain(&mut self) -> Result<Wakeup>;
}

/// A set of [`Wake`] sources (a composite reconciler joins several monitors).
pub struct WakeSource {
    parts: Vec<Box<dyn Wake>>,
}

impl WakeSource {
    /// A source with one part.
    pub fn new(part: impl Wake + 'static) -> WakeSource {
        WakeSource {
            parts: vec![Box::new(part)],
        }
    }

    /// Adds the parts of `other`.
    pub fn join(mut self, other: WakeSource) -> WakeSource {
        self.parts.extend(other.parts);
        self
    }

    /// Joins two optional sources.
    pub fn merge(a: Option<WakeSource>, b: Option<WakeSource>) -> Option<WakeSource> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.join(b)),
            (a, b) => a.or(b),
        }
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True without parts.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parts (the loop polls each).
    pub(crate) fn parts_mut(&mut self) -> &mut [Box<dyn Wake>] {
        &mut self.parts
    }

    /// Waits up to `timeout` (`None`: forever) until a part is readable, drains every readable
    /// part and returns the strongest result (`Overrun` over `Changed` over `Nothing`) — for
    /// callers running their own event loop, and for tests. `Nothing` also means the timeout
    /// expired.
    ///
    /// # Errors
    /// A part that died (its `drain` failed, its fd hung up, or it reported an error condition
    /// its `drain` did not turn into [`Wakeup::Overrun`]); `poll(2)` failures.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use linx::reconcile::{Reconciler, Wakeup};
    /// use linx::reconcile::net::NetReconciler;
    /// let mut net = NetReconciler::new();
    /// if let Some(mut w) = net.subscribe(&linx::ns::NsTarget::Current)? {
    ///     if w.wait(Some(Duration::from_secs(5)))? != Wakeup::Nothing {
    ///         println!("something relevant changed: run a pass");
    ///     }
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn wait(&mut self, timeout: Option<std::time::Duration>) -> Result<Wakeup> {
        use rustix::event::{PollFd, PollFlags};
        let ts = timeout.map(|d| rustix::time::Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        let revents: Vec<PollFlags> = {
            let mut fds: Vec<PollFd<'_>> = self
                .parts
                .iter()
                .map(|p| PollFd::from_borrowed_fd(p.fd(), PollFlags::IN))
                .collect();
            match rustix::event::poll(&mut fds, ts.as_ref()) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => {
                    return Err(crate::error::OsError::new(
                        crate::error::Subsystem::Reconcile,
                        crate::error::Operation::Poll,
                        e,
                    )
                    .into());
                }
            }
            fds.iter().map(PollFd::revents).collect()
        };
        let mut out = Wakeup::Nothing;
        let dead = |what: &str| {
            crate::Error::state(
                crate::error::Subsystem::Reconcile,
                crate::error::StateKind::Closed,
                Some(format!("a wake source {what}")),
            )
        };
        for (part, rev) in self.parts.iter_mut().zip(revents) {
            if rev.intersects(PollFlags::HUP | PollFlags::NVAL) {
                return Err(dead("hung up"));
            }
            // A pending socket error (POLLERR) is drained like data: a netlink monitor whose
            // buffer overran reports ENOBUFS this way, which its drain turns into `Overrun`.
            if rev.intersects(PollFlags::IN | PollFlags::ERR) {
                let w = part.drain()?;
                if w == Wakeup::Nothing && rev.contains(PollFlags::ERR) {
                    return Err(dead("reported an error its drain did not explain"));
                }
                out = out.max(w);
            }
        }
        Ok(out)
    }
}

impl fmt::Debug for WakeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WakeSource({} parts)", self.parts.len())
    }
}

/// Upper bound of events one `drain` consumes, so a flood cannot starve the loop (what is left
/// stays readable and is drained on the next poll).
#[cfg_attr(not(feature = "reconcile"), allow(dead_code))]
pub(crate) const DRAIN_LIMIT: usize = 4096;
