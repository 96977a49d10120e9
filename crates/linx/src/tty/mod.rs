//! Terminals: raw mode, window sizes, and attaching a terminal or byte stream to a PTY child.
//!
//! * [`RawMode`] opens the controlling terminal (`/dev/tty`), saves its termios, makes it raw and
//!   restores it on drop (also during unwinding) or with an explicit, idempotent
//!   [`restore`](RawMode::restore).
//! * [`window_size`] / [`set_window_size`] wrap `TIOCGWINSZ`/`TIOCSWINSZ` on any fd.
//! * [`pump`] moves bytes between an input fd, a PTY master and an output fd until the child
//!   exits and the master is drained, with poll-driven writes (nothing is dropped under a large
//!   paste) and window-size propagation from a caller-supplied source.
//! * [`attach`] and [`attach_stream`] are the two ready-made uses of the pump: the local terminal
//!   (raw mode, size seeded and kept in sync by polling the terminal's size — no signal handler is
//!   ever installed, so the application's SIGWINCH disposition is untouched) and an arbitrary byte
//!   stream (an SSH channel, a socket).
//!
//! See [termios(3)](https://man7.org/linux/man-pages/man3/termios.3.html) and
//! [ioctl_tty(2)](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html).

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::io::Errno;

use crate::error::{Error, Operation, OsError, Result, Subsystem};

/// A terminal window size. Fields are `u16`, so out-of-range values cannot be expressed.
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

impl fmt::Display for WinSize {
    /// `80x24` (columns x rows), plus ` (800x480 px)` when pixel sizes are set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.cols, self.rows)?;
        if self.xpixel != 0 || self.ypixel != 0 {
            write!(f, " ({}x{} px)", self.xpixel, self.ypixel)?;
        }
        Ok(())
    }
}

fn tty_err(op: Operation, e: Errno) -> Error {
    OsError::new(Subsystem::Tty, op, e).into()
}

/// Reads the window size of a terminal fd (`TIOCGWINSZ`).
///
/// # Errors
/// `ENOTTY` for a non-terminal, `EBADF` for a bad fd.
pub fn window_size(fd: BorrowedFd<'_>) -> Result<WinSize> {
    let ws = rustix::termios::tcgetwinsize(fd)
        .map_err(|e| tty_err(Operation::Ioctl("TIOCGWINSZ"), e))?;
    Ok(WinSize {
        rows: ws.ws_row,
        cols: ws.ws_col,
        xpixel: ws.ws_xpixel,
        ypixel: ws.ws_ypixel,
    })
}

/// Sets the window size of a terminal fd (`TIOCSWINSZ`); on a PTY master the kernel sends
/// `SIGWINCH` to the slave's foreground process group when the size changes.
pub fn set_window_size(fd: BorrowedFd<'_>, size: WinSize) -> Result<()> {
    let ws = rustix::termios::Winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: size.xpixel,
        ws_ypixel: size.ypixel,
    };
    rustix::termios::tcsetwinsize(fd, ws).map_err(|e| tty_err(Operation::Ioctl("TIOCSWINSZ"), e))
}

/// The controlling terminal in raw mode; restores the saved settings when dropped.
pub struct RawMode {
    fd: Option<OwnedFd>,
    saved: rustix::termios::Termios,
}

impl fmt::Debug for RawMode {
    /// Shows nothing of the saved settings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMode")
            .field("active", &self.fd.is_some())
            .finish()
    }
}

impl RawMode {
    /// Opens `/dev/tty` and puts it in raw mode.
    ///
    /// # Errors
    /// `ENXIO` (operation open, path `/dev/tty`) when the process has no controlling terminal;
    /// `tcgetattr`/`tcsetattr` failures otherwise.
    pub fn controlling() -> Result<RawMode> {
        let fd = rustix::fs::open(
            "/dev/tty",
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| {
            Error::from(OsError::new(Subsystem::Tty, Operation::Open, e).path("/dev/tty"))
        })?;
        RawMode::on(fd)
    }

    /// Puts the terminal `fd` in raw mode (the guard owns the fd).
    pub fn on(fd: OwnedFd) -> Result<RawMode> {
        let saved = rustix::termios::tcgetattr(&fd)
            .map_err(|e| tty_err(Operation::Syscall("tcgetattr"), e))?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &raw)
            .map_err(|e| tty_err(Operation::Syscall("tcsetattr"), e))?;
        Ok(RawMode {
            fd: Some(fd),
            saved,
        })
    }

    /// The terminal fd.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    /// Restores the saved settings and closes the fd. A second call is a no-op.
    pub fn restore(&mut self) -> Result<()> {
        match self.fd.take() {
            Some(fd) => {
                rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &self.saved)
                    .map_err(|e| tty_err(Operation::Syscall("tcsetattr"), e))
            }
            None => Ok(()),
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            log::error!("linx: restoring the terminal failed: {e}");
        }
    }
}

/// Why [`pump`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PumpEnd {
    /// The child exited and its output was drained.
    ChildExited,
    /// The detach sequence was typed; the child keeps running.
    Detached,
}

/// The default detach sequence: Ctrl-] then `q`.
pub const DEFAULT_DETACH_KEYS: &[u8] = &[0x1d, b'q'];

/// Finds a detach sequence in an input stream split across reads: bytes that might start the
/// sequence are held back until it is clear whether they do.
#[derive(Debug, Clone)]
struct DetachScanner<'a> {
    keys: &'a [u8],
    matched: usize,
}

impl<'a> DetachScanner<'a> {
    /// Appends to `out` what should be forwarded from `input`; returns true when the sequence
    /// completed (the sequence itself is never forwarded).
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        for &b in input {
            if self.keys.is_empty() {
                out.push(b);
                continue;
            }
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return true;
                }
                continue;
            }
            // Not the sequence after all: release what was held, then reconsider this byte.
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if b == self.keys[0] {
                self.matched = 1;
                if self.keys.len() == 1 {
                    return true;
                }
            } else {
                out.push(b);
            }
        }
        false
    }
}

/// Moves bytes until the child (`pidfd`) exits and the master is drained: `input` → `master`,
/// `master` → `output`. `sizes` is polled every 100 ms (and once at start); each new size is set on
/// the master. Writes wait for the destination (poll), so nothing is dropped. Input EOF stops
/// reading input but keeps draining output.
///
/// # Errors
/// Read/write errors of `input`/`output` (the child keeps running) and of the master.
pub fn pump(
    master: BorrowedFd<'_>,
    input: Option<BorrowedFd<'_>>,
    output: BorrowedFd<'_>,
    pidfd: BorrowedFd<'_>,
    sizes: impl FnMut() -> Option<WinSize>,
) -> Result<PumpEnd> {
    pump_detachable(master, input, output, pidfd, sizes, &[])
}

/// [`pump`] with a detach sequence (spec TTY-10; e.g. [`DEFAULT_DETACH_KEYS`]): when the input
/// contains `detach_keys`, the pump stops with [`PumpEnd::Detached`] without touching the child;
/// the sequence is not forwarded, and bytes that only looked like its start are. An empty
/// sequence disables detaching.
///
/// # Errors
/// As [`pump`].
pub fn pump_detachable(
    master: BorrowedFd<'_>,
    input: Option<BorrowedFd<'_>>,
    output: BorrowedFd<'_>,
    pidfd: BorrowedFd<'_>,
    mut sizes: impl FnMut() -> Option<WinSize>,
    detach_keys: &[u8],
) -> Result<PumpEnd> {
    use rustix::event::{PollFd, PollFlags};
    let mut scanner = DetachScanner {
        keys: detach_keys,
        matched: 0,
    };
    let mut forward = Vec::new();
    let mut last: Option<WinSize> = None;
    let mut sync_size = |last: &mut Option<WinSize>| -> Result<()> {
        if let Some(s) = sizes()
            && Some(s) != *last
        {
            set_window_size(master, s)?;
            *last = Some(s);
        }
        Ok(())
    };
    sync_size(&mut last)?;
    let mut input = input;
    let mut exited = false;
    let mut buf = vec![0u8; 64 * 1024];
    let tick = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    loop {
        let mut fds = vec![PollFd::new(&master, PollFlags::IN)];
        if !exited {
            fds.push(PollFd::new(&pidfd, PollFlags::IN));
        }
        if let Some(i) = &input {
            fds.push(PollFd::new(i, PollFlags::IN));
        }
        let n = match rustix::event::poll(&mut fds, Some(&tick)) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(tty_err(Operation::Poll, e)),
        };
        let master_ready = fds[0].revents();
        let child_ready = !exited && fds[1].revents().contains(PollFlags::IN);
        let input_ready = input.is_some() && fds.last().is_some_and(|f| !f.revents().is_empty());
        drop(fds);
        if n == 0 {
            if exited {
                return Ok(PumpEnd::ChildExited);
            }
            sync_size(&mut last)?;
            continue;
        }
        if !master_ready.is_empty() {
            match rustix::io::read(master, &mut buf) {
                Ok(0) | Err(Errno::IO) => {
                    if exited {
                        return Ok(PumpEnd::ChildExited);
                    }
                    // Every slave fd is closed; wait for the exit itself.
                    wait_readable(pidfd)?;
                    exited = true;
                    continue;
                }
                Ok(k) => write_all(output, &buf[..k], Operation::Write)?,
                Err(Errno::INTR | Errno::AGAIN) => {}
                Err(e) => return Err(tty_err(Operation::Read, e)),
            }
        }
        if input_ready && let Some(i) = input {
            match rustix::io::read(i, &mut buf) {
                Ok(0) => input = None,
                Ok(k) => {
                    forward.clear();
                    let detached = scanner.feed(&buf[..k], &mut forward);
                    write_all(master, &forward, Operation::Write)?;
                    if detached {
                        return Ok(PumpEnd::Detached);
                    }
                }
                Err(Errno::INTR | Errno::AGAIN) => {}
                Err(Errno::IO) => input = None,
                Err(e) => return Err(tty_err(Operation::Read, e)),
            }
        }
        if child_ready {
            exited = true;
        }
    }
}

fn wait_readable(fd: BorrowedFd<'_>) -> Result<()> {
    let mut fds = [rustix::event::PollFd::new(
        &fd,
        rustix::event::PollFlags::IN,
    )];
    loop {
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(tty_err(Operation::Poll, e)),
        }
    }
}

/// Writes everything, waiting with poll when the destination is full.
fn write_all(fd: BorrowedFd<'_>, mut data: &[u8], op: Operation) -> Result<()> {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let mut fds = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::OUT,
                )];
                let _ = rustix::event::poll(&mut fds, None);
            }
            Err(e) => return Err(tty_err(op, e)),
        }
    }
    Ok(())
}

/// Attaches the local terminal to a running PTY child: raw mode on `/dev/tty`, the child's size
/// seeded from it and kept in sync, stdin → child, child → stdout, until the child exits and its
/// output is drained; the terminal is restored on every path. Returns the exit status.
///
/// # Errors
/// `NoPty` for a child without a PTY; `NoLocalTty` when stdin is not a terminal or the process
/// has no controlling terminal (the detail says which; use [`attach_stream`] instead); I/O
/// errors. The child keeps running on every error.
#[cfg(feature = "process")]
pub fn attach(running: &crate::process::Running) -> Result<crate::process::ExitStatus> {
    let pty = running
        .pty()
        .ok_or_else(|| Error::state(Subsystem::Tty, crate::error::StateKind::NoPty, None))?;
    let no_local = |why: &str| {
        Error::state(
            Subsystem::Tty,
            crate::error::StateKind::NoLocalTty,
            Some(format!("{why}; attach_stream works without one")),
        )
    };
    if !rustix::termios::isatty(std::io::stdin()) {
        return Err(no_local("stdin is not a terminal"));
    }
    let raw = RawMode::controlling().map_err(|e| match e.errno() {
        Some(Errno::NXIO) => no_local("no controlling terminal (/dev/tty: ENXIO)"),
        _ => e,
    })?;
    let term = raw.fd().map(|f| f.as_raw_fd());
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let result = pump(
        pty.as_fd(),
        Some(stdin.as_fd()),
        stdout.as_fd(),
        running.as_fd(),
        || {
            // SAFETY: the raw-mode guard keeps the terminal fd open for the whole pump.
            term.and_then(|fd| window_size(unsafe { BorrowedFd::borrow_raw(fd) }).ok())
        },
    );
    drop(raw);
    result?;
    running.wait()
}

/// Attaches a byte stream (a socket, an SSH channel, a test harness) to a running PTY child: bytes
/// pass untouched (Ctrl-C is just 0x03), sizes come from `sizes` (polled every 100 ms). Returns the
/// exit status once the child exited and its output was delivered.
///
/// # Errors
/// `NoPty` for a child without a PTY; I/O errors of the stream (the child keeps running).
#[cfg(feature = "process")]
pub fn attach_stream(
    running: &crate::process::Running,
    input: BorrowedFd<'_>,
    output: BorrowedFd<'_>,
    sizes: impl FnMut() -> Option<WinSize>,
) -> Result<crate::process::ExitStatus> {
    let pty = running
        .pty()
        .ok_or_else(|| Error::state(Subsystem::Tty, crate::error::StateKind::NoPty, None))?;
    pump(pty.as_fd(), Some(input), output, running.as_fd(), sizes)?;
    running.wait()
}

/// How a detachable attach ended.
#[cfg(feature = "process")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// The child exited (output delivered).
    Exited(crate::process::ExitStatus),
    /// The detach sequence was typed; the child keeps running.
    Detached,
}

/// [`attach_stream`] with a detach sequence (spec TTY-10).
///
/// # Errors
/// As [`attach_stream`].
#[cfg(feature = "process")]
pub fn attach_stream_detachable(
    running: &crate::process::Running,
    input: BorrowedFd<'_>,
    output: BorrowedFd<'_>,
    sizes: impl FnMut() -> Option<WinSize>,
    detach_keys: &[u8],
) -> Result<Attach> {
    let pty = running
        .pty()
        .ok_or_else(|| Error::state(Subsystem::Tty, crate::error::StateKind::NoPty, None))?;
    match pump_detachable(
        pty.as_fd(),
        Some(input),
        output,
        running.as_fd(),
        sizes,
        detach_keys,
    )? {
        PumpEnd::Detached => Ok(Attach::Detached),
        PumpEnd::ChildExited => Ok(Attach::Exited(running.wait()?)),
    }
}

/// What kind of terminal the caller has (spec TTY-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalKind {
    /// stdin is a terminal and `/dev/tty` opens.
    LocalTty,
    /// stdin is not a terminal.
    NotATty,
    /// stdin is a terminal but `/dev/tty` does not open.
    Unknown,
}

/// Classifies from injected facts (pure): whether stdin is a tty, whether `/dev/tty` opens, and the
/// environment; returns the kind and whether the session is likely SSH.
pub fn classify(
    stdin_is_tty: bool,
    dev_tty_opens: bool,
    env: &[(&str, &str)],
) -> (TerminalKind, bool) {
    let kind = match (stdin_is_tty, dev_tty_opens) {
        (false, _) => TerminalKind::NotATty,
        (true, true) => TerminalKind::LocalTty,
        (true, false) => TerminalKind::Unknown,
    };
    let ssh = env
        .iter()
        .any(|(k, v)| (*k == "SSH_TTY" || *k == "SSH_CONNECTION") && !v.is_empty());
    (kind, ssh)
}

/// Classifies the calling process's terminal.
pub fn classify_caller_terminal() -> (TerminalKind, bool) {
    let stdin_tty = rustix::termios::isatty(std::io::stdin());
    let dev_tty = rustix::fs::open(
        "/dev/tty",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .is_ok();
    let env: Vec<(String, String)> = ["SSH_TTY", "SSH_CONNECTION"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    classify(stdin_tty, dev_tty, &env_ref)
}

/// How long [`pump`] waits between window-size checks.
pub const SIZE_POLL: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tty_13_winsize_display() {
        assert_eq!(WinSize::new(24, 80).to_string(), "80x24");
        let s = WinSize {
            rows: 24,
            cols: 80,
            xpixel: 800,
            ypixel: 480,
        };
        assert_eq!(s.to_string(), "80x24 (800x480 px)");
    }

    #[test]
    fn tty_10_detach_scanner() {
        let mut s = DetachScanner {
            keys: DEFAULT_DETACH_KEYS,
            matched: 0,
        };
        let mut out = Vec::new();
        assert!(!s.feed(b"ab\x1d", &mut out));
        assert_eq!(out, b"ab");
        out.clear();
        // Ctrl-] followed by something else is forwarded as typed.
        assert!(!s.feed(b"x\x1d", &mut out));
        assert_eq!(out, b"\x1dx");
        out.clear();
        assert!(s.feed(b"qzzz", &mut out));
        assert!(out.is_empty());
        let mut none = DetachScanner {
            keys: &[],
            matched: 0,
        };
        let mut out = Vec::new();
        assert!(!none.feed(b"\x1dq", &mut out));
        assert_eq!(out, b"\x1dq");
    }

    #[test]
    fn tty_07_classification() {
        assert_eq!(classify(true, true, &[]), (TerminalKind::LocalTty, false));
        assert_eq!(classify(false, true, &[]), (TerminalKind::NotATty, false));
        assert_eq!(
            classify(true, false, &[("SSH_TTY", "/dev/pts/3")]),
            (TerminalKind::Unknown, true)
        );
    }

    #[test]
    fn tty_03_window_size_errors() {
        let (r, _w) = rustix::pipe::pipe().unwrap();
        let e = window_size(r.as_fd()).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::NOTTY));
        assert!(
            e.to_string()
                .starts_with("tty: ioctl TIOCGWINSZ: ENOTTY (errno 25)"),
            "{e}"
        );
    }
}
