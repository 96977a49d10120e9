//! Pseudo-terminals for spawned children (spec PROC-30..33).

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;

use crate::error::{Error, Operation, OsError, Result, Stage, Subsystem};
use crate::tty::{WinSize, set_window_size, window_size};

/// The master side of a child's PTY. Reading gives the child's output (cooked: LF becomes CRLF);
/// writing feeds its input. A hang-up (`EIO` once the child's side is closed) reads as end of file.
#[derive(Debug)]
pub struct Pty {
    master: std::fs::File,
}

fn stage(stage: Stage, e: Errno) -> Error {
    OsError::new(Subsystem::Process, Operation::Stage(stage), e).into()
}

impl Pty {
    /// Opens a master (`/dev/ptmx`, close-on-exec, no controlling terminal), unlocks it, sets the
    /// size and opens the slave with `TIOCGPTPEER`.
    pub(crate) fn open(size: WinSize) -> Result<(Pty, OwnedFd)> {
        use rustix::pty::OpenptFlags;
        let master =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
                .map_err(|e| stage(Stage::PtyOpen, e))?;
        rustix::pty::grantpt(&master).map_err(|e| stage(Stage::PtyUnlock, e))?;
        rustix::pty::unlockpt(&master).map_err(|e| stage(Stage::PtyUnlock, e))?;
        set_window_size(master.as_fd(), size)?;
        let slave = rustix::pty::ioctl_tiocgptpeer(
            &master,
            OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC,
        )
        .map_err(|e| stage(Stage::PtsOpen, e))?;
        Ok((
            Pty {
                master: std::fs::File::from(master),
            },
            slave,
        ))
    }

    /// Sets the window size; a running child receives `SIGWINCH`.
    pub fn set_winsize(&self, size: WinSize) -> Result<()> {
        set_window_size(self.master.as_fd(), size)
    }

    /// The current window size.
    pub fn winsize(&self) -> Result<WinSize> {
        window_size(self.master.as_fd())
    }

    /// Reads everything until the child's side hangs up (all its holders closed the slave).
    pub fn read_all(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut r = self;
        Read::read_to_end(&mut r, &mut out)?;
        Ok(out)
    }
}

impl Read for &Pty {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (&self.master).read(buf) {
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(0),
            other => other,
        }
    }
}

impl Read for Pty {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for &Pty {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&self.master).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Write for Pty {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AsFd for Pty {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }
}
