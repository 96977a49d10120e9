//! Freezing, killing and waiting: `cgroup.freeze`, `cgroup.kill` and notifications on
//! `cgroup.events` / `memory.events` (kernfs files wake `poll(2)` with `POLLPRI` and inotify
//! with `IN_MODIFY` when their content changes).

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fs::{Mode, OFlags};

use super::handle::Cgroup;
use super::parse::{self, Events};
use crate::error::{CgroupOp, Errno, Error, Operation, OsError, Result, Subsystem};
use crate::pidfd::Pidfd;

fn timespec(d: Duration) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

impl Cgroup {
    /// Reads `cgroup.events`.
    ///
    /// # Errors
    /// OS error naming the file.
    pub fn events(&self) -> Result<Events> {
        Ok(parse::events(&self.read_raw("cgroup.events")?))
    }

    /// Waits until `cgroup.events` satisfies `done`, woken by `POLLPRI` on the file (no busy
    /// polling); returns the final values.
    ///
    /// # Errors
    /// `Timeout` naming the file and the last observed values (`populated 1 frozen 0`); OS errors
    /// naming the file.
    pub fn wait_events(&self, timeout: Duration, done: impl Fn(&Events) -> bool) -> Result<Events> {
        let file = "cgroup.events";
        let fd = rustix::fs::openat(
            self.dir_fd(),
            file,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(|e| self.file_error(Operation::Cgroup(CgroupOp::Watch), e, file))?;
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 256];
        loop {
            // Reading re-arms the kernfs notification; then poll for the next change.
            let n = rustix::io::pread(&fd, &mut buf, 0)
                .map_err(|e| self.file_error(Operation::Cgroup(CgroupOp::Watch), e, file))?;
            let ev = parse::events(&String::from_utf8_lossy(&buf[..n]));
            if done(&ev) {
                return Ok(ev);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::timeout(
                    Subsystem::Cgroup,
                    Operation::Cgroup(CgroupOp::Watch),
                    timeout,
                )
                .with_context(|c| {
                    c.path = Some(self.path().join(file));
                    c.object = Some(ev.to_string());
                }));
            }
            let left = timespec(deadline - now);
            let mut fds = [PollFd::new(&fd, PollFlags::PRI | PollFlags::ERR)];
            match rustix::event::poll(&mut fds, Some(&left)) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(self.file_error(Operation::Cgroup(CgroupOp::Watch), e, file)),
            }
        }
    }

    /// Freezes the cgroup (`cgroup.freeze` ← 1) and waits until `cgroup.events` reports
    /// `frozen 1` (freezing is asynchronous).
    ///
    /// # Errors
    /// OS error naming `cgroup.freeze`; `Timeout` with the last `cgroup.events` values.
    ///
    /// ```no_run
    /// let cg = linx::cgroup::Cgroup::open("jobs/a")?;
    /// cg.freeze(std::time::Duration::from_secs(5))?;
    /// cg.thaw(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn freeze(&self, timeout: Duration) -> Result<()> {
        self.write_unchecked("cgroup.freeze", "1")?;
        self.wait_events(timeout, |e| e.frozen).map(drop)
    }

    /// Thaws the cgroup (`cgroup.freeze` ← 0) and waits for `frozen 0`.
    ///
    /// # Errors
    /// As [`freeze`](Cgroup::freeze).
    pub fn thaw(&self, timeout: Duration) -> Result<()> {
        self.write_unchecked("cgroup.freeze", "0")?;
        self.wait_events(timeout, |e| !e.frozen).map(drop)
    }

    /// True when `cgroup.events` says `frozen 1`.
    ///
    /// # Errors
    /// As [`events`](Cgroup::events).
    pub fn is_frozen(&self) -> Result<bool> {
        Ok(self.events()?.frozen)
    }

    /// Kills every process in the subtree: `cgroup.kill` ← 1 (Linux ≥ 5.14); on older kernels
    /// (no `cgroup.kill`) [`kill_by_signal`](Cgroup::kill_by_signal). Returns without waiting;
    /// use [`wait_empty`](Cgroup::wait_empty).
    ///
    /// # Errors
    /// OS error naming `cgroup.kill` (or the fallback's errors).
    ///
    /// ```no_run
    /// let cg = linx::cgroup::Cgroup::open("jobs/a")?;
    /// cg.kill()?;
    /// cg.wait_empty(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn kill(&self) -> Result<()> {
        match self.write_unchecked("cgroup.kill", "1") {
            Err(e) if e.errno() == Some(Errno::NOENT) && self.exists() => self.kill_by_signal(),
            other => other,
        }
    }

    /// The kill fallback for kernels without `cgroup.kill`: freeze the cgroup (so nothing forks
    /// or escapes), send `SIGKILL` through a pidfd to every process of this cgroup and its
    /// descendants, then thaw so the kills are delivered.
    ///
    /// # Errors
    /// As [`freeze`](Cgroup::freeze) and [`procs`](Cgroup::procs).
    pub fn kill_by_signal(&self) -> Result<()> {
        let wait = Duration::from_secs(10);
        self.freeze(wait)?;
        let result = self.signal_subtree();
        let thawed = self.thaw(wait);
        result.and(thawed)
    }

    fn signal_subtree(&self) -> Result<()> {
        let me = self.hierarchy_path();
        for pid in self.procs()? {
            let p = match Pidfd::open(pid) {
                Ok(p) => p,
                Err(Error::State(_)) => continue, // already gone
                Err(e) => return Err(e),
            };
            // Only a process that is (still) a member: a pid read from cgroup.procs could have
            // been reused by the time the pidfd was opened.
            let member = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .ok()
                .and_then(|t| parse::proc_cgroup(&t).map(std::path::PathBuf::from));
            if member.as_deref() != Some(me.as_path()) || !p.is_alive() {
                continue;
            }
            match rustix::process::pidfd_send_signal(&p, rustix::process::Signal::KILL) {
                Ok(()) | Err(Errno::SRCH) => {}
                Err(e) => {
                    return Err(OsError::new(
                        Subsystem::Cgroup,
                        Operation::Cgroup(CgroupOp::Kill),
                        e,
                    )
                    .pid(pid)
                    .path(self.path())
                    .into());
                }
            }
        }
        for name in self.children()? {
            if let Ok(c) = self.child(&name) {
                c.signal_subtree()?;
            }
        }
        Ok(())
    }

    /// Waits until the subtree has no live process (`populated 0` in `cgroup.events`).
    ///
    /// # Errors
    /// `Timeout` with the last `cgroup.events` values; OS errors naming the file.
    pub fn wait_empty(&self, timeout: Duration) -> Result<()> {
        self.wait_events(timeout, |e| !e.populated).map(drop)
    }

    /// A watcher of this cgroup's `cgroup.events` and (where present) `memory.events`.
    ///
    /// # Errors
    /// OS errors of `inotify_init1`/`inotify_add_watch` or reading the files.
    pub fn watch(&self) -> Result<Watcher> {
        Watcher::new(self)
    }
}

/// A change [`Watcher`] observed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// `populated` changed: the subtree gained its first or lost its last live process.
    Populated(bool),
    /// `frozen` changed.
    Frozen(bool),
    /// A `memory.events` counter grew (e.g. `oom_kill`): its new value and the increase.
    Memory {
        /// The counter (`low`, `high`, `max`, `oom`, `oom_kill`, `oom_group_kill` …).
        key: String,
        /// The new value.
        count: u64,
        /// How much it grew since the last observation.
        delta: u64,
    },
}

/// Watches `cgroup.events` and `memory.events` of one cgroup with inotify (`IN_MODIFY`, which
/// kernfs raises on every change), reporting differences as [`WatchEvent`]s — e.g. to learn of an
/// OOM kill. The inotify fd is exposed through [`AsFd`] for use with epoll or an async reactor.
///
/// ```no_run
/// use linx::cgroup::{Cgroup, WatchEvent};
/// let cg = Cgroup::open("jobs/a")?;
/// let mut w = cg.watch()?;
/// for ev in w.wait(Some(std::time::Duration::from_secs(60)))? {
///     if let WatchEvent::Memory { key, .. } = &ev {
///         if key == "oom_kill" { eprintln!("OOM kill in {cg}"); }
///     }
/// }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct Watcher {
    inotify: OwnedFd,
    cgroup: Cgroup,
    events: Events,
    memory: Option<BTreeMap<String, u64>>,
}

impl Watcher {
    fn new(cg: &Cgroup) -> Result<Watcher> {
        use rustix::fs::inotify;
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
            .map_err(|e| OsError::new(Subsystem::Cgroup, Operation::Cgroup(CgroupOp::Watch), e))?;
        let cgroup = cg.try_clone()?;
        let mut memory = None;
        for file in ["cgroup.events", "memory.events"] {
            // Through the directory fd, so the watch is on this cgroup's file whatever happens
            // to the path.
            let via = format!(
                "/proc/self/fd/{}/{file}",
                std::os::fd::AsRawFd::as_raw_fd(&cgroup.dir_fd())
            );
            match inotify::add_watch(&fd, via.as_str(), inotify::WatchFlags::MODIFY) {
                Ok(_) => {
                    if file == "memory.events" {
                        memory = Some(BTreeMap::new());
                    }
                }
                Err(Errno::NOENT) if file == "memory.events" => {}
                Err(e) => {
                    return Err(OsError::new(
                        Subsystem::Cgroup,
                        Operation::Cgroup(CgroupOp::Watch),
                        e,
                    )
                    .path(cgroup.path().join(file))
                    .into());
                }
            }
        }
        let mut w = Watcher {
            inotify: fd,
            events: Events::default(),
            memory,
            cgroup,
        };
        w.events = w.cgroup.events()?;
        if w.memory.is_some() {
            w.memory = Some(w.read_memory()?);
        }
        Ok(w)
    }

    fn read_memory(&self) -> Result<BTreeMap<String, u64>> {
        Ok(self
            .cgroup
            .read_opt("memory.events")?
            .map(|t| parse::flat_keyed(&t).0)
            .unwrap_or_default())
    }

    /// The last observed `cgroup.events` values.
    pub fn last_events(&self) -> Events {
        self.events
    }

    /// The last observed `memory.events` counters (`None` without the memory controller).
    pub fn last_memory_events(&self) -> Option<&BTreeMap<String, u64>> {
        self.memory.as_ref()
    }

    /// Re-reads both files and returns what changed since the last call (possibly nothing);
    /// drains pending inotify events. Never blocks.
    ///
    /// # Errors
    /// OS errors reading the files (e.g. the cgroup was removed).
    pub fn poll_changes(&mut self) -> Result<Vec<WatchEvent>> {
        let mut buf = [0u8; 1024];
        while let Ok(n) = rustix::io::read(&self.inotify, &mut buf) {
            if n == 0 {
                break;
            }
        }
        let mut out = Vec::new();
        let ev = self.cgroup.events()?;
        if ev.populated != self.events.populated {
            out.push(WatchEvent::Populated(ev.populated));
        }
        if ev.frozen != self.events.frozen {
            out.push(WatchEvent::Frozen(ev.frozen));
        }
        self.events = ev;
        if let Some(old) = &self.memory {
            let new = self.read_memory()?;
            for (k, &v) in &new {
                let before = old.get(k).copied().unwrap_or(0);
                if v > before {
                    out.push(WatchEvent::Memory {
                        key: k.clone(),
                        count: v,
                        delta: v - before,
                    });
                }
            }
            self.memory = Some(new);
        }
        Ok(out)
    }

    /// Blocks until at least one change is observed (or `timeout` passes; `None` waits forever).
    ///
    /// # Errors
    /// `Timeout` naming the cgroup; OS errors of `poll` or reading the files.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Vec<WatchEvent>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let changes = self.poll_changes()?;
            if !changes.is_empty() {
                return Ok(changes);
            }
            let left = match deadline {
                None => None,
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        let t = timeout.unwrap_or_default();
                        let path = self.cgroup.path().join("cgroup.events");
                        let obj = self.events.to_string();
                        return Err(Error::timeout(
                            Subsystem::Cgroup,
                            Operation::Cgroup(CgroupOp::Watch),
                            t,
                        )
                        .with_context(|c| {
                            c.path = Some(path);
                            c.object = Some(obj);
                        }));
                    }
                    Some(timespec(d - now))
                }
            };
            let mut fds = [PollFd::new(&self.inotify, PollFlags::IN)];
            match rustix::event::poll(&mut fds, left.as_ref()) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => {
                    return Err(OsError::new(
                        Subsystem::Cgroup,
                        Operation::Cgroup(CgroupOp::Watch),
                        e,
                    )
                    .path(self.cgroup.path())
                    .into());
                }
            }
        }
    }
}

impl AsFd for Watcher {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }
}
