//! Signals as a typed value: the standard signals by name plus the real-time range.

use std::fmt;

use crate::error::{Error, Result, Subsystem};

/// A signal number in 1..=64 (see [signal(7)](https://man7.org/linux/man-pages/man7/signal.7.html)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

const NAMES: [(i32, &str); 31] = [
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

impl Signal {
    /// `SIGHUP`.
    pub const HUP: Signal = Signal(1);
    /// `SIGINT`.
    pub const INT: Signal = Signal(2);
    /// `SIGQUIT`.
    pub const QUIT: Signal = Signal(3);
    /// `SIGABRT`.
    pub const ABRT: Signal = Signal(6);
    /// `SIGKILL`.
    pub const KILL: Signal = Signal(9);
    /// `SIGUSR1`.
    pub const USR1: Signal = Signal(10);
    /// `SIGSEGV`.
    pub const SEGV: Signal = Signal(11);
    /// `SIGUSR2`.
    pub const USR2: Signal = Signal(12);
    /// `SIGPIPE`.
    pub const PIPE: Signal = Signal(13);
    /// `SIGTERM`.
    pub const TERM: Signal = Signal(15);
    /// `SIGCHLD`.
    pub const CHLD: Signal = Signal(17);
    /// `SIGCONT`.
    pub const CONT: Signal = Signal(18);
    /// `SIGSTOP`.
    pub const STOP: Signal = Signal(19);
    /// `SIGWINCH`.
    pub const WINCH: Signal = Signal(28);
    /// `SIGSYS`.
    pub const SYS: Signal = Signal(31);

    /// A signal by number.
    ///
    /// # Errors
    /// Input error outside 1..=64.
    pub fn new(n: i32) -> Result<Signal> {
        if (1..=64).contains(&n) {
            Ok(Signal(n))
        } else {
            Err(Error::input(
                Subsystem::Process,
                "signal",
                n.to_string(),
                "must be 1..=64",
            ))
        }
    }

    /// The number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// The name (`SIGTERM`, `SIGRTMIN+3`).
    pub fn name(self) -> String {
        if let Some((_, n)) = NAMES.iter().find(|(v, _)| *v == self.0) {
            (*n).to_owned()
        } else if self.0 == 32 || self.0 == 33 {
            format!("SIG{}", self.0)
        } else {
            format!("SIGRTMIN+{}", self.0 - 34)
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Signal {
    type Err = Error;

    /// `TERM`, `SIGTERM`, `sigterm` or `15`.
    fn from_str(s: &str) -> Result<Signal> {
        if let Ok(n) = s.parse::<i32>() {
            return Signal::new(n);
        }
        let upper = s.to_ascii_uppercase();
        let full = if upper.starts_with("SIG") {
            upper
        } else {
            format!("SIG{upper}")
        };
        NAMES
            .iter()
            .find(|(_, n)| *n == full)
            .map(|(v, _)| Signal(*v))
            .ok_or_else(|| Error::input(Subsystem::Process, "signal", s, "unknown signal name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_34_signal_names() {
        assert_eq!("term".parse::<Signal>().unwrap(), Signal::TERM);
        assert_eq!("SIGKILL".parse::<Signal>().unwrap(), Signal::KILL);
        assert_eq!("9".parse::<Signal>().unwrap(), Signal::KILL);
        assert!("SIGNOPE".parse::<Signal>().is_err());
        assert!(Signal::new(0).is_err());
        assert!(Signal::new(65).is_err());
        assert_eq!(Signal::new(36).unwrap().to_string(), "SIGRTMIN+2");
        assert_eq!(Signal::TERM.to_string(), "SIGTERM");
    }
}
