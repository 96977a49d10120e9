//! Exit statuses and outcomes.

use std::fmt;

use super::Signal;
use crate::error::{Error, Result, StateKind, Subsystem};

/// How a process ended ([wait(2)](https://man7.org/linux/man-pages/man2/waitid.2.html)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called `exit` with this code (0..=255).
    Exited(i32),
    /// A signal killed it.
    Signaled {
        /// The signal.
        signal: Signal,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// True for `Exited(0)`.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The exit code, if it exited.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(c) => Some(c),
            ExitStatus::Signaled { .. } => None,
        }
    }

    /// The killing signal, if any.
    pub fn signal(self) -> Option<Signal> {
        match self {
            ExitStatus::Signaled { signal, .. } => Some(signal),
            ExitStatus::Exited(_) => None,
        }
    }

    /// The shell convention: the code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled { signal, .. } => 128 + signal.number(),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(c) => write!(f, "exited({c})"),
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => write!(
                f,
                "signaled({signal}{})",
                if *core_dumped { ", core dumped" } else { "" }
            ),
        }
    }
}

/// The end of a spawned process as a whole: exec'd and ended, aborted at the checkpoint, or failed
/// before exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The program ran and ended.
    Exited(ExitStatus),
    /// Aborted at the checkpoint; the program never ran.
    Aborted,
    /// Failed before exec (the error carries the stage).
    Failed(Error),
}

impl Outcome {
    /// `Ok(())` for exit code 0; distinct errors for a non-zero code, a signal, an abort or a
    /// failure — so a supervisor can "restart unless exit 0" (spec PROC-37).
    pub fn into_result(self) -> Result<()> {
        match self {
            Outcome::Exited(s) if s.success() => Ok(()),
            Outcome::Exited(s) => Err(Error::state(
                Subsystem::Process,
                StateKind::AlreadyExited,
                Some(s.to_string()),
            )),
            Outcome::Aborted => Err(Error::state(Subsystem::Process, StateKind::Aborted, None)),
            Outcome::Failed(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_36_exit_status_helpers() {
        let e = ExitStatus::Exited(42);
        assert_eq!(
            (e.code(), e.signal(), e.shell_code(), e.success()),
            (Some(42), None, 42, false)
        );
        let s = ExitStatus::Signaled {
            signal: Signal::TERM,
            core_dumped: false,
        };
        assert_eq!(s.shell_code(), 143);
        assert_eq!(s.to_string(), "signaled(SIGTERM)");
        assert!(Outcome::Exited(ExitStatus::Exited(0)).into_result().is_ok());
        assert!(Outcome::Exited(e).into_result().is_err());
        assert!(Outcome::Aborted.into_result().is_err());
    }
}
