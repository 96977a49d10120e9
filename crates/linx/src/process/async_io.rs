//! Async adapters (feature `tokio`): waiting for a running child and PTY I/O on a tokio reactor.
//!
//! Both wrap a duplicate of the pidfd or PTY master in [`tokio::io::unix::AsyncFd`]; no runtime is
//! a dependency of the default build.

use std::os::fd::{AsFd, OwnedFd};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{ExitStatus, Pty, Running};
use crate::error::{Error, Operation, OsError, Result, Subsystem};

fn io_err(op: Operation, e: std::io::Error) -> Error {
    OsError::new(
        Subsystem::Process,
        op,
        rustix::io::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
    )
    .into()
}

fn dup(fd: std::os::fd::BorrowedFd<'_>) -> Result<OwnedFd> {
    rustix::io::fcntl_dupfd_cloexec(fd, 0).map_err(|e| {
        OsError::new(
            Subsystem::Process,
            Operation::Syscall("fcntl(F_DUPFD_CLOEXEC)"),
            e,
        )
        .into()
    })
}

impl Running {
    /// Waits for the exit without blocking the runtime: the pidfd becomes readable when the child
    /// exits, then it is reaped like [`Running::wait`].
    ///
    /// # Errors
    /// As [`Running::wait`]; also the reactor's registration errors.
    pub async fn wait_async(&self) -> Result<ExitStatus> {
        // SAFETY: the duplicate is an OwnedFd moved into the AsyncFd, so it stays open and the same
        // for the AsyncFd's whole life.
        let fd = unsafe { AsyncFd::register_with_interest(dup(self.as_fd())?, Interest::READABLE) }
            .map_err(|e| io_err(Operation::Poll, e.into()))?;
        loop {
            if let Some(s) = self.try_wait()? {
                return Ok(s);
            }
            let mut guard = fd
                .readable()
                .await
                .map_err(|e| io_err(Operation::Poll, e))?;
            guard.clear_ready();
        }
    }
}

/// Async reads and writes on a PTY master. Creating it switches the master to non-blocking mode
/// (shared with the synchronous [`Pty`] handle, whose reads may then return `WouldBlock`).
#[derive(Debug)]
pub struct AsyncPty {
    fd: AsyncFd<OwnedFd>,
}

impl AsyncPty {
    /// Wraps a PTY master for the current tokio runtime.
    pub fn new(pty: &Pty) -> Result<AsyncPty> {
        let fd = dup(pty.as_fd())?;
        rustix::fs::fcntl_setfl(
            &fd,
            rustix::fs::fcntl_getfl(&fd).unwrap_or(rustix::fs::OFlags::empty())
                | rustix::fs::OFlags::NONBLOCK,
        )
        .map_err(|e| {
            Error::from(OsError::new(
                Subsystem::Process,
                Operation::Syscall("fcntl(F_SETFL)"),
                e,
            ))
        })?;
        Ok(AsyncPty {
            // SAFETY: as above, the OwnedFd is owned by the AsyncFd for its whole life.
            fd: unsafe { AsyncFd::register(fd) }.map_err(|e| io_err(Operation::Poll, e.into()))?,
        })
    }

    /// Reads child output; `Ok(0)` once the child's side hung up (EIO).
    pub async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| rustix::io::read(fd, &mut *buf).map_err(std::io::Error::from)) {
                Ok(Err(e)) if e.raw_os_error() == Some(libc::EIO) => return Ok(0),
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes input for the child (waits while the PTY's input queue is full).
    pub async fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| rustix::io::write(fd, buf).map_err(std::io::Error::from)) {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }
}
