//! Pseudo-terminals for spawned children (spec PROC-30..33).

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;

use crate::error::{Error, OsError, Operation, Result, Stage, Subsystem};

/// A terminal window size ([ioctl_tty(2)](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html)
/// `TIOCSWINSZ`). Fields are `u16`, so oversized values are unrepresentable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct WinSize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
    /// Width in pixels (usually 0).
    pub xpixel: u16,
    /// Height in pixels (usually 0).
    pub ypixel: u16,
}

impl WinSize {
    /// A size in character cells.
    pub const fn new(rows: u16, cols: u16) -> WinSize {
        WinSize {
            rows,
            cols,
            xpixel: 0,
            ypixel: 0,
        }
    }
}

/// Sets the window size of any terminal fd (`TIOCSWINSZ`).
pub fn set_winsize(fd: BorrowedFd<'_>, size: WinSize) -> Result<()> {
    let ws = rustix::termios::Winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: size.xpixel,
        ws_ypixel: size.ypixel,
    };
    rustix::termios::tcsetwinsize(fd, ws)
        .map_err(|e| OsError::new(Subsystem::Tty, Operation::Ioctl("TIOCSWINSZ"), e).into())
}

/// Reads the window size of any terminal fd (`TIOCGWINSZ`).
pub fn winsize(fd: BorrowedFd<'_>) -> Result<WinSize> {
    let ws = rustix::termios::tcgetwinsize(fd)
        .map_err(|e| OsError::new(Subsystem::Tty, Operation::Ioctl("TIOCGWINSZ"), e))?;
    Ok(WinSize {
        rows: ws.ws_row,
        cols: ws.ws_col,
        xpixel: ws.ws_xpixel,
        ypixel: ws.ws_ypixel,
    })
}

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
        let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .map_err(|e| stage(Stage::PtyOpen, e))?;
        rustix::pty::grantpt(&master).map_err(|e| stage(Stage::PtyUnlock, e))?;
        rustix::pty::unlockpt(&master).map_err(|e| stage(Stage::PtyUnlock, e))?;
        set_winsize(master.as_fd(), size)?;
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
        set_winsize(self.master.as_fd(), size)
    }

    /// The current window size.
    pub fn winsize(&self) -> Result<WinSize> {
        winsize(self.master.as_fd())
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
