//! Process file descriptors: a process named by a pidfd can never be confused with a later
//! process that reuses its pid.
//!
//! linx names processes by [`Pidfd`] as soon as it has one; bare pids are accepted only at the edge
//! (a CLI argument, say) and turned into a pidfd at once with [`Pidfd::open`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Operation, OsError, Result, StateKind, Subsystem};

/// An open pidfd together with the pid it was opened for.
///
/// Wraps [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html). The fd is
/// close-on-exec and pollable: it becomes readable when the process exits.
#[derive(Debug)]
pub struct Pidfd {
    fd: OwnedFd,
    pid: i32,
}

impl Pidfd {
    /// Opens a pidfd for `pid`.
    ///
    /// # Errors
    /// An input error for a pid ≤ 0; a state error (`NoProcess`) when no such process exists;
    /// an OS error otherwise.
    ///
    /// ```
    /// let me = linx::pidfd::Pidfd::open(std::process::id() as i32)?;
    /// assert!(me.is_alive());
    /// # Ok::<(), linx::Error>(())
    /// ```
    #[doc(alias = "pidfd_open")]
    pub fn open(pid: i32) -> Result<Pidfd> {
        let raw = (pid > 0)
            .then(|| rustix::process::Pid::from_raw(pid))
            .flatten()
            .ok_or_else(|| {
                Error::input(
                    Subsystem::Namespace,
                    "pid",
                    pid.to_string(),
                    "must be positive",
                )
            })?;
        match rustix::process::pidfd_open(raw, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => Ok(Pidfd { fd, pid }),
            Err(rustix::io::Errno::SRCH) => Err(Error::state(
                Subsystem::Namespace,
                StateKind::NoProcess,
                Some(format!("pid {pid}")),
            )),
            Err(errno) => Err(
                OsError::new(Subsystem::Namespace, Operation::PidfdOpen, errno)
                    .pid(pid)
                    .into(),
            ),
        }
    }

    /// Wraps an fd that is known to be a pidfd for `pid` (e.g. from `clone3(CLONE_PIDFD)`).
    pub fn from_owned(fd: OwnedFd, pid: i32) -> Pidfd {
        Pidfd { fd, pid }
    }

    /// The pid the fd was opened for (in the caller's pid namespace).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True while the process has not exited (a pidfd becomes readable at exit).
    pub fn is_alive(&self) -> bool {
        let mut fds = [rustix::event::PollFd::new(
            &self.fd,
            rustix::event::PollFlags::IN,
        )];
        let zero = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(0) => true,
            Ok(_) => false,
            Err(_) => false,
        }
    }

    /// Fails with a `NoProcess` state error when the process has exited.
    pub fn ensure_alive(&self) -> Result<()> {
        if self.is_alive() {
            Ok(())
        } else {
            Err(Error::state(
                Subsystem::Namespace,
                StateKind::NoProcess,
                Some(format!("pid {} has exited", self.pid)),
            ))
        }
    }

    /// Duplicates the pidfd.
    pub fn try_clone(&self) -> Result<Pidfd> {
        let fd = rustix::io::fcntl_dupfd_cloexec(&self.fd, 0).map_err(|e| {
            OsError::new(
                Subsystem::Namespace,
                Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
                e,
            )
            .pid(self.pid)
        })?;
        Ok(Pidfd { fd, pid: self.pid })
    }
}

impl AsFd for Pidfd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A task named for `/proc` access: the caller, one of its threads, or another process (by pid or,
/// race-free, by pidfd). Used by the modules that read or write `/proc/<pid>/…` files
/// (capabilities, id maps).
#[derive(Debug, Clone, Copy)]
pub enum Task<'a> {
    /// The calling process (`/proc/self`).
    Current,
    /// The calling thread (`/proc/thread-self`).
    CurrentThread,
    /// A process by pid (`/proc/<pid>`; its main thread for per-thread files).
    Pid(i32),
    /// A process by pidfd: callers re-check liveness after opening its files, so a recycled pid
    /// is never used.
    Pidfd(&'a Pidfd),
    /// One thread of a process (`/proc/<pid>/task/<tid>`).
    Thread {
        /// The process id.
        pid: i32,
        /// The thread id.
        tid: i32,
    },
}

impl From<i32> for Task<'_> {
    fn from(pid: i32) -> Self {
        Task::Pid(pid)
    }
}

impl<'a> From<&'a Pidfd> for Task<'a> {
    fn from(p: &'a Pidfd) -> Self {
        Task::Pidfd(p)
    }
}

impl Task<'_> {
    /// The task's `/proc` directory (`/proc/self`, `/proc/thread-self`, `/proc/<pid>`,
    /// `/proc/<pid>/task/<tid>`).
    ///
    /// # Errors
    /// An input error for a pid or tid ≤ 0.
    pub fn proc_dir(&self) -> Result<String> {
        let positive = |what: &'static str, n: i32| {
            if n > 0 {
                Ok(n)
            } else {
                Err(Error::input(
                    Subsystem::Namespace,
                    what,
                    n.to_string(),
                    "must be positive",
                ))
            }
        };
        Ok(match self {
            Task::Current => "/proc/self".to_owned(),
            Task::CurrentThread => "/proc/thread-self".to_owned(),
            Task::Pid(pid) => format!("/proc/{}", positive("pid", *pid)?),
            Task::Pidfd(p) => format!("/proc/{}", p.pid()),
            Task::Thread { pid, tid } => {
                format!(
                    "/proc/{}/task/{}",
                    positive("pid", *pid)?,
                    positive("tid", *tid)?
                )
            }
        })
    }

    /// The pid in the caller's namespace (the caller's own for `Current`/`CurrentThread`).
    pub fn pid(&self) -> i32 {
        match self {
            Task::Current | Task::CurrentThread => std::process::id() as i32,
            Task::Pid(pid) | Task::Thread { pid, .. } => *pid,
            Task::Pidfd(p) => p.pid(),
        }
    }

    /// For pidfd tasks, fails with `NoProcess` when the process has exited (call after opening
    /// its files); a no-op otherwise.
    pub fn ensure_alive(&self) -> Result<()> {
        match self {
            Task::Pidfd(p) => p.ensure_alive(),
            _ => Ok(()),
        }
    }
}

/// Probes `pidfd_open(2)` (Linux ≥ 5.3) on the calling process.
pub fn probe() -> crate::probe::Probe {
    use crate::probe::{Probe, Status};
    match Pidfd::open(std::process::id() as i32) {
        Ok(_) => Probe::new(
            Subsystem::Namespace,
            crate::error::Feature::Pidfd,
            Status::Available,
            "pidfd_open works",
        ),
        Err(e) => Probe::new(
            Subsystem::Namespace,
            crate::error::Feature::Pidfd,
            Status::Unavailable,
            e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_self_and_reject_bad_pids() {
        let me = Pidfd::open(std::process::id() as i32).expect("own pidfd");
        assert!(me.is_alive());
        assert!(me.try_clone().expect("dup").is_alive());
        assert!(Pidfd::open(0).unwrap_err().is_input());
        assert!(Pidfd::open(-5).unwrap_err().is_input());
        // pid_max is at most 2^22, so this pid cannot exist.
        let err = Pidfd::open(i32::MAX).unwrap_err();
        assert!(matches!(err, Error::State(_)), "{err}");
    }

    #[test]
    fn exited_child_is_not_alive() {
        let mut child = std::process::Command::new("/bin/true")
            .spawn()
            .expect("spawn true");
        let pidfd = Pidfd::open(child.id() as i32).expect("pidfd");
        child.wait().expect("wait");
        assert!(!pidfd.is_alive());
        assert!(pidfd.ensure_alive().is_err());
    }
}
