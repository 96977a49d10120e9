//! The stages of spawning a process: every step between building a command and `execve` that can
//! fail, with a stable name and a wire code (the child reports failures as `(stage, errno)`).

use std::fmt;

use crate::ns::NsKind;

/// A step of spawn, the checkpoint or exec (spec PROC-41).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Connecting a stdio unix socket (parent, before clone).
    ConnectUnix,
    /// Creating or using the parent↔child control channel.
    ControlChannel,
    /// Opening the PTY master.
    PtyOpen,
    /// Unlocking the PTY.
    PtyUnlock,
    /// Opening the PTY slave.
    PtsOpen,
    /// `clone3(2)`.
    Clone3,
    /// Legacy `clone(2)` fallback.
    Clone,
    /// Placing the child in its cgroup.
    IntoCgroup,
    /// Opening `/proc/<pid>` of an enter target.
    OpenNsProc,
    /// Opening a namespace file.
    OpenNs(NsKind),
    /// Joining a namespace.
    SetNs(NsKind),
    /// Forking the intermediate process of enter.
    Fork,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// `PR_SET_PDEATHSIG` (or the parent died before it took effect).
    PdeathSig,
    /// The child's ready report.
    ReadyFrame,
    /// A malformed frame on the control channel.
    MalformedFrame,
    /// Dropping capabilities from the bounding set.
    CapDropBounding,
    /// Setting the thread's capability sets (`capset`).
    CapSetThread,
    /// Setting the ambient set.
    CapSetAmbient,
    /// Setting securebits or keep-caps.
    Securebits,
    /// Writing time-namespace offsets.
    TimeOffsets,
    /// Creating or entering the time namespace.
    TimeNs,
    /// Installing a seccomp filter.
    SeccompInstall,
    /// Setting up stdio descriptors.
    Stdio,
    /// `setsid(2)`.
    Setsid,
    /// Acquiring the controlling terminal (`TIOCSCTTY`).
    Ctty,
    /// `setgroups`/`setresgid`/`setresuid`.
    Credentials,
    /// `prlimit(2)`.
    Rlimit,
    /// Closing stray descriptors.
    CloseRange,
    /// `chdir(2)`.
    Chdir,
    /// Resetting the signal mask and dispositions.
    Signals,
    /// `execve(2)`/`execveat(2)`.
    Execve,
    /// Learning whether exec succeeded.
    ExecOutcome,
    /// The child died before reporting.
    ChildDied,
}

/// Every stage, for tests and tables (namespace-carrying stages once per kind).
pub fn all_stages() -> Vec<Stage> {
    let mut v = vec![
        Stage::ConnectUnix,
        Stage::ControlChannel,
        Stage::PtyOpen,
        Stage::PtyUnlock,
        Stage::PtsOpen,
        Stage::Clone3,
        Stage::Clone,
        Stage::IntoCgroup,
        Stage::OpenNsProc,
        Stage::Fork,
        Stage::NoNewPrivs,
        Stage::PdeathSig,
        Stage::ReadyFrame,
        Stage::MalformedFrame,
        Stage::CapDropBounding,
        Stage::CapSetThread,
        Stage::CapSetAmbient,
        Stage::Securebits,
        Stage::TimeOffsets,
        Stage::TimeNs,
        Stage::SeccompInstall,
        Stage::Stdio,
        Stage::Setsid,
        Stage::Ctty,
        Stage::Credentials,
        Stage::Rlimit,
        Stage::CloseRange,
        Stage::Chdir,
        Stage::Signals,
        Stage::Execve,
        Stage::ExecOutcome,
        Stage::ChildDied,
    ];
    for k in NsKind::ALL {
        v.push(Stage::OpenNs(k));
        v.push(Stage::SetNs(k));
    }
    v
}

impl Stage {
    /// The stable name used in messages (`execve`, `setns(net)` …).
    pub fn name(self) -> String {
        match self {
            Stage::OpenNs(k) => format!("open-ns({k})"),
            Stage::SetNs(k) => format!("setns({k})"),
            other => other.simple_name().to_owned(),
        }
    }

    fn simple_name(self) -> &'static str {
        match self {
            Stage::ConnectUnix => "connect-unix",
            Stage::ControlChannel => "control-channel",
            Stage::PtyOpen => "pty-open",
            Stage::PtyUnlock => "pty-unlock",
            Stage::PtsOpen => "pts-open",
            Stage::Clone3 => "clone3",
            Stage::Clone => "clone",
            Stage::IntoCgroup => "into-cgroup",
            Stage::OpenNsProc => "open-ns-proc",
            Stage::OpenNs(_) => "open-ns",
            Stage::SetNs(_) => "setns",
            Stage::Fork => "fork",
            Stage::NoNewPrivs => "no-new-privs",
            Stage::PdeathSig => "pdeathsig",
            Stage::ReadyFrame => "ready-frame",
            Stage::MalformedFrame => "malformed-frame",
            Stage::CapDropBounding => "cap-drop-bounding",
            Stage::CapSetThread => "cap-set-thread",
            Stage::CapSetAmbient => "cap-set-ambient",
            Stage::Securebits => "securebits",
            Stage::TimeOffsets => "time-offsets",
            Stage::TimeNs => "time-ns",
            Stage::SeccompInstall => "seccomp-install",
            Stage::Stdio => "stdio",
            Stage::Setsid => "setsid",
            Stage::Ctty => "ctty",
            Stage::Credentials => "credentials",
            Stage::Rlimit => "rlimit",
            Stage::CloseRange => "close-range",
            Stage::Chdir => "chdir",
            Stage::Signals => "signals",
            Stage::Execve => "execve",
            Stage::ExecOutcome => "exec-outcome",
            Stage::ChildDied => "child-died",
        }
    }

    /// The wire code: `stage << 8 | namespace kind` (kind 0 for stages without one).
    pub fn code(self) -> u32 {
        let base: u32 = match self {
            Stage::ConnectUnix => 1,
            Stage::ControlChannel => 2,
            Stage::PtyOpen => 3,
            Stage::PtyUnlock => 4,
            Stage::PtsOpen => 5,
            Stage::Clone3 => 6,
            Stage::Clone => 7,
            Stage::IntoCgroup => 8,
            Stage::OpenNsProc => 9,
            Stage::OpenNs(_) => 10,
            Stage::SetNs(_) => 11,
            Stage::Fork => 12,
            Stage::NoNewPrivs => 13,
            Stage::PdeathSig => 14,
            Stage::ReadyFrame => 15,
            Stage::MalformedFrame => 16,
            Stage::CapDropBounding => 17,
            Stage::CapSetThread => 18,
            Stage::CapSetAmbient => 19,
            Stage::Securebits => 20,
            Stage::TimeOffsets => 21,
            Stage::TimeNs => 22,
            Stage::SeccompInstall => 23,
            Stage::Stdio => 24,
            Stage::Setsid => 25,
            Stage::Ctty => 26,
            Stage::Credentials => 27,
            Stage::Rlimit => 28,
            Stage::CloseRange => 29,
            Stage::Chdir => 30,
            Stage::Signals => 31,
            Stage::Execve => 32,
            Stage::ExecOutcome => 33,
            Stage::ChildDied => 34,
        };
        let kind = match self {
            Stage::OpenNs(k) | Stage::SetNs(k) => NsKind::ALL
                .iter()
                .position(|x| *x == k)
                .map_or(0, |i| i as u32 + 1),
            _ => 0,
        };
        (base << 8) | kind
    }

    /// Decodes a wire code; `None` for unknown codes (a malformed frame).
    pub fn from_code(code: u32) -> Option<Stage> {
        let kind = code & 0xff;
        let stage = all_stages()
            .into_iter()
            .find(|s| s.code() >> 8 == code >> 8)?;
        match stage {
            Stage::OpenNs(_) | Stage::SetNs(_) => {
                let k = *NsKind::ALL.get((kind as usize).checked_sub(1)?)?;
                Some(if matches!(stage, Stage::OpenNs(_)) {
                    Stage::OpenNs(k)
                } else {
                    Stage::SetNs(k)
                })
            }
            s if kind == 0 => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_41_stages_round_trip_and_names_are_unique() {
        let all = all_stages();
        let mut names = std::collections::HashSet::new();
        for s in &all {
            assert_eq!(Stage::from_code(s.code()), Some(*s), "{s}");
            assert!(names.insert(s.name()), "duplicate name {s}");
        }
        assert_eq!(Stage::from_code(0), None);
        assert_eq!(Stage::from_code(0xffff_ffff), None);
        assert_eq!(Stage::from_code((32 << 8) | 3), None);
        assert_eq!(Stage::from_code((11 << 8) | 99), None);
        assert_eq!(Stage::SetNs(NsKind::Net).to_string(), "setns(net)");
    }
}
