//! Architectures and their complete system call tables (spec SEC-02, SEC-03).
//!
//! The tables are generated from the kernel's own syscall tables (see the header of
//! `x86_64.rs` and `aarch64.rs`) and hold every entry, not a hand-picked subset; the kernel
//! version they come from is [`KERNEL_VERSION`].

mod aarch64;
mod x86_64;

use std::fmt;
use std::str::FromStr;

use super::rules::Syscall;
use crate::error::{Error, Result, Subsystem};

/// The kernel release the system call tables were generated from.
pub const KERNEL_VERSION: &str = "6.18";

/// `AUDIT_ARCH_X86_64` (`EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`).
pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
/// `AUDIT_ARCH_AARCH64` (`EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`).
pub const AUDIT_ARCH_AARCH64: u32 = 0xC000_00B7;
/// `AUDIT_ARCH_I386`: the 32-bit x86 ABI (`int 0x80`) on an x86_64 kernel.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `__X32_SYSCALL_BIT`: x32-ABI system calls carry this bit in `nr` on x86_64.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// An architecture linx compiles seccomp filters for.
///
/// ```
/// use linx::seccomp::Arch;
/// assert_eq!(Arch::X86_64.syscall_number("read"), Some(0));
/// assert_eq!(Arch::Aarch64.syscall_number("read"), Some(63));
/// assert_eq!(Arch::Aarch64.syscall_number("open"), None);
/// assert_eq!("arm64".parse::<Arch>().unwrap(), Arch::Aarch64);
/// assert!("riscv64".parse::<Arch>().is_err());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Arch {
    /// x86_64 (`AUDIT_ARCH_X86_64`); filters also close the x32 ABI.
    #[cfg_attr(feature = "serde", serde(rename = "x86_64"))]
    X86_64,
    /// aarch64 (`AUDIT_ARCH_AARCH64`), using the generic (asm-generic) table.
    #[cfg_attr(feature = "serde", serde(rename = "aarch64"))]
    Aarch64,
}

impl Arch {
    /// Every supported architecture.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The architecture this crate was built for, or an `UnsupportedArch` input error.
    pub fn native() -> Result<Arch> {
        if cfg!(target_arch = "x86_64") {
            Ok(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Ok(Arch::Aarch64)
        } else {
            Err(unsupported_arch(std::env::consts::ARCH))
        }
    }

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    pub const fn audit_arch(self) -> u32 {
        match self {
            Arch::X86_64 => AUDIT_ARCH_X86_64,
            Arch::Aarch64 => AUDIT_ARCH_AARCH64,
        }
    }

    /// The architecture of an `AUDIT_ARCH_*` value, if supported.
    pub const fn from_audit_arch(value: u32) -> Option<Arch> {
        match value {
            AUDIT_ARCH_X86_64 => Some(Arch::X86_64),
            AUDIT_ARCH_AARCH64 => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The name used in messages and profiles: `x86_64` or `aarch64`.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The libseccomp / OCI name: `SCMP_ARCH_X86_64` or `SCMP_ARCH_AARCH64`.
    pub const fn scmp_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "SCMP_ARCH_X86_64",
            Arch::Aarch64 => "SCMP_ARCH_AARCH64",
        }
    }

    /// True when filters for this architecture carry the x32-ABI guard (x86_64).
    pub const fn has_x32_guard(self) -> bool {
        matches!(self, Arch::X86_64)
    }

    /// `(name, number, argument count)` rows sorted by number.
    fn table(self) -> &'static [(&'static str, u32, u8)] {
        match self {
            Arch::X86_64 => x86_64::TABLE,
            Arch::Aarch64 => aarch64::TABLE,
        }
    }

    fn not_implemented(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => x86_64::NOT_IMPLEMENTED,
            Arch::Aarch64 => aarch64::NOT_IMPLEMENTED,
        }
    }

    /// The table row of a number.
    fn entry(self, nr: u32) -> Option<(&'static str, u32, u8)> {
        let table = self.table();
        table
            .binary_search_by_key(&nr, |&(_, n, _)| n)
            .ok()
            .and_then(|i| table.get(i))
            .copied()
    }

    /// Every `(name, number)` of this architecture's table, sorted by number.
    pub fn syscalls(self) -> impl ExactSizeIterator<Item = (&'static str, u32)> {
        self.table().iter().map(|&(name, nr, _)| (name, nr))
    }

    /// The number of a system call name, or `None` when this architecture has no such call.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        self.table()
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, nr, _)| nr)
    }

    /// The name of a system call number, or `None` for numbers the table does not assign.
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        self.entry(nr).map(|(name, _, _)| name)
    }

    /// How many arguments a system call takes (0..=6): the `n` of the kernel's
    /// `SYSCALL_DEFINEn` behind the table entry, for the kernel the tables come from
    /// ([`KERNEL_VERSION`]).
    ///
    /// `None` when the count is unknown: names this architecture does not have, numbers the
    /// table does not assign, and entries the kernel reserves without an implementation
    /// (`uselib`, `lookup_dcookie`, `tuxcall`, …; they fail with `ENOSYS` and never read an
    /// argument, and some took arguments on older kernels).
    ///
    /// A seccomp filter sees all six argument registers of every call; those past the count hold
    /// whatever the caller left there, so a [`Condition`](super::Condition) on them is
    /// meaningless — [`FilterBuilder::build`] records a warning for it ([`Filter::warnings`]).
    ///
    /// [`FilterBuilder::build`]: super::FilterBuilder::build
    /// [`Filter::warnings`]: super::Filter::warnings
    ///
    /// ```
    /// use linx::seccomp::Arch;
    /// assert_eq!(Arch::X86_64.syscall_arg_count("read"), Some(3));
    /// assert_eq!(Arch::X86_64.syscall_arg_count("mmap"), Some(6));
    /// assert_eq!(Arch::X86_64.syscall_arg_count("getpid"), Some(0));
    /// assert_eq!(Arch::Aarch64.syscall_arg_count(63), Some(3)); // read, by number
    /// assert_eq!(Arch::Aarch64.syscall_arg_count("open"), None);
    /// assert_eq!(Arch::X86_64.syscall_arg_count("lookup_dcookie"), None);
    /// assert_eq!(Arch::X86_64.syscall_arg_count(1000), None);
    /// ```
    #[doc(alias = "nargs")]
    pub fn syscall_arg_count(self, syscall: impl Into<Syscall>) -> Option<u8> {
        let nr = match syscall.into() {
            Syscall::Name(name) => match self.syscall_number(&name) {
                Some(nr) => nr,
                // A decimal string names a number, as everywhere else.
                None => name.parse().ok()?,
            },
            Syscall::Number(nr) => nr,
        };
        let (name, _, args) = self.entry(nr)?;
        (!self.not_implemented().contains(&name)).then_some(args)
    }

    /// The highest system call number in the table.
    pub fn max_syscall(self) -> u32 {
        self.table().last().map_or(0, |&(_, nr, _)| nr)
    }

    /// Resolves a name (or a decimal number) to a system call number.
    ///
    /// # Errors
    /// An input error naming the architecture, with a did-you-mean suggestion, for names the table
    /// does not know:
    /// `seccomp: invalid syscall name "open": not a system call on aarch64 (did you mean "openat"?)`.
    pub fn resolve(self, name: &str) -> Result<u32> {
        if let Some(nr) = self.syscall_number(name) {
            return Ok(nr);
        }
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            return name.parse::<u32>().map_err(|_| {
                Error::input(
                    Subsystem::Seccomp,
                    "syscall number",
                    name,
                    "does not fit in 32 bits",
                )
            });
        }
        let mut reason = format!("not a system call on {}", self.name());
        if let Some(other) = Arch::ALL
            .into_iter()
            .find(|a| *a != self && a.syscall_number(name).is_some())
        {
            reason.push_str(&format!(" (it exists on {})", other.name()));
        }
        if let Some(s) = self.suggest(name) {
            reason.push_str(&format!(" (did you mean {s:?}?)"));
        }
        Err(Error::input(
            Subsystem::Seccomp,
            "syscall name",
            name,
            reason,
        ))
    }

    /// The closest known name for a misspelt or foreign one (edit distance, plus the asm-generic
    /// replacements of calls that aarch64 lacks: `open` → `openat`, `fork` → `clone`, …).
    pub fn suggest(self, name: &str) -> Option<&'static str> {
        const REPLACEMENTS: [(&str, &str); 16] = [
            ("open", "openat"),
            ("creat", "openat"),
            ("fork", "clone"),
            ("vfork", "clone"),
            ("dup2", "dup3"),
            ("stat", "newfstatat"),
            ("lstat", "newfstatat"),
            ("pipe", "pipe2"),
            ("poll", "ppoll"),
            ("select", "pselect6"),
            ("epoll_wait", "epoll_pwait"),
            ("epoll_create", "epoll_create1"),
            ("mkdir", "mkdirat"),
            ("unlink", "unlinkat"),
            ("rename", "renameat2"),
            ("access", "faccessat"),
        ];
        if let Some(&(_, r)) = REPLACEMENTS.iter().find(|(from, _)| *from == name) {
            if let Some(nr) = self.syscall_number(r) {
                return self.syscall_name(nr);
            }
        }
        let limit = (name.len() / 3).max(2);
        self.table()
            .iter()
            .map(|&(n, _, _)| (edit_distance(name, n), n))
            .filter(|&(d, _)| d <= limit)
            .min_by_key(|&(d, n)| (d, n.len()))
            .map(|(_, n)| n)
    }
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.bytes().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

pub(crate) fn unsupported_arch(name: &str) -> Error {
    Error::input(
        Subsystem::Seccomp,
        "architecture",
        name,
        "unsupported: seccomp filters are compiled for x86_64 and aarch64",
    )
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = Error;

    /// Accepts `x86_64`, `amd64`, `x86-64`, `SCMP_ARCH_X86_64`, `aarch64`, `arm64`,
    /// `SCMP_ARCH_AARCH64`; anything else is an `UnsupportedArch` input error.
    fn from_str(s: &str) -> Result<Arch> {
        match s {
            "x86_64" | "amd64" | "x86-64" | "SCMP_ARCH_X86_64" => Ok(Arch::X86_64),
            "aarch64" | "arm64" | "SCMP_ARCH_AARCH64" => Ok(Arch::Aarch64),
            other => Err(unsupported_arch(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_03_tables_are_sorted_unique_and_complete() {
        for arch in Arch::ALL {
            let t = arch.table();
            assert!(t.windows(2).all(|w| w[0].1 < w[1].1), "{arch} sorted");
            let mut names: Vec<_> = t.iter().map(|e| e.0).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.len(), "{arch} names unique");
            for &(name, nr, _) in t {
                assert_eq!(arch.syscall_number(name), Some(nr));
                assert_eq!(arch.syscall_name(nr), Some(name));
            }
        }
        assert_eq!(Arch::X86_64.syscalls().len(), 383);
        assert_eq!(Arch::Aarch64.syscalls().len(), 324);
        assert_eq!(Arch::X86_64.max_syscall(), 469);
        assert_eq!(Arch::Aarch64.max_syscall(), 469);
    }

    #[test]
    fn sec_03_scenario_2_known_numbers() {
        assert_eq!(Arch::Aarch64.syscall_number("read"), Some(63));
        assert_eq!(Arch::X86_64.syscall_number("read"), Some(0));
        for missing in ["open", "fork", "dup2", "stat", "pipe", "arch_prctl"] {
            assert_eq!(Arch::Aarch64.syscall_number(missing), None, "{missing}");
            assert!(Arch::X86_64.syscall_number(missing).is_some(), "{missing}");
        }
        assert_eq!(Arch::X86_64.syscall_number("execve"), Some(59));
        assert_eq!(Arch::X86_64.syscall_number("execveat"), Some(322));
        assert_eq!(Arch::Aarch64.syscall_number("execve"), Some(221));
        assert_eq!(Arch::Aarch64.syscall_number("execveat"), Some(281));
        assert_eq!(Arch::X86_64.syscall_number("getppid"), Some(110));
        assert_eq!(Arch::X86_64.syscall_number("clone3"), Some(435));
        assert_eq!(Arch::Aarch64.syscall_number("memfd_secret"), Some(447));
        assert_eq!(Arch::Aarch64.syscall_number("fstat"), Some(80));
        assert_eq!(Arch::Aarch64.syscall_number("renameat"), Some(38));
        assert_eq!(Arch::Aarch64.syscall_number("getrlimit"), Some(163));
        assert_eq!(Arch::Aarch64.syscall_name(42), None);
        assert_eq!(Arch::X86_64.syscall_name(400), None);
    }

    #[test]
    fn sec_08_well_known_arg_counts() {
        // Shared by both architectures (the same SYSCALL_DEFINEn in the kernel sources).
        let common: &[(&str, u8)] = &[
            ("read", 3),
            ("write", 3),
            ("close", 1),
            ("mmap", 6),
            ("clone", 5),
            ("clone3", 2),
            ("getpid", 0),
            ("gettid", 0),
            ("sched_yield", 0),
            ("rt_sigreturn", 0),
            ("exit_group", 1),
            ("openat", 4),
            ("openat2", 4),
            ("execve", 3),
            ("execveat", 5),
            ("ioctl", 3),
            ("futex", 6),
            ("sendto", 6),
            ("recvfrom", 6),
            ("socket", 3),
            ("prctl", 5),
            ("personality", 1),
            ("fstat", 2),
            ("uname", 1),
            ("umount2", 2),
            ("sendfile", 4),
            ("fadvise64", 4),
            ("pread64", 4),
            ("preadv", 5),
            ("preadv2", 6),
            ("copy_file_range", 6),
            ("process_vm_readv", 6),
            ("splice", 6),
            ("pselect6", 6),
            ("ppoll", 5),
            ("waitid", 5),
            ("mount", 5),
            ("seccomp", 3),
            ("pidfd_open", 2),
            ("pidfd_send_signal", 4),
            ("close_range", 3),
            ("faccessat", 3),
            ("faccessat2", 4),
            ("fchmodat2", 4),
            ("init_module", 3),
            ("finit_module", 3),
            ("delete_module", 2),
            ("kexec_load", 4),
            ("kexec_file_load", 5),
            ("map_shadow_stack", 3),
            ("mseal", 3),
            ("setxattrat", 6),
            ("file_setattr", 5),
        ];
        for arch in Arch::ALL {
            for &(name, n) in common {
                assert_eq!(arch.syscall_arg_count(name), Some(n), "{arch} {name}");
                let nr = arch.syscall_number(name).unwrap();
                assert_eq!(
                    arch.syscall_arg_count(nr),
                    Some(n),
                    "{arch} {name} by number"
                );
                assert_eq!(
                    arch.syscall_arg_count(nr.to_string()),
                    Some(n),
                    "{arch} {name} as a decimal string"
                );
            }
        }
        let x86_only: &[(&str, u8)] = &[
            ("open", 3),
            ("stat", 2),
            ("lstat", 2),
            ("fork", 0),
            ("vfork", 0),
            ("pause", 0),
            ("dup2", 2),
            ("pipe", 1),
            ("select", 5),
            ("arch_prctl", 2),
            ("iopl", 1),
            ("ioperm", 3),
            ("modify_ldt", 3),
            ("time", 1),
            ("alarm", 1),
            ("uretprobe", 0),
            ("uprobe", 0),
        ];
        for &(name, n) in x86_only {
            assert_eq!(Arch::X86_64.syscall_arg_count(name), Some(n), "{name}");
            assert_eq!(Arch::Aarch64.syscall_arg_count(name), None, "{name}");
        }
        assert_eq!(Arch::X86_64.syscall_arg_count(9u32), Some(6)); // mmap
        assert_eq!(Arch::Aarch64.syscall_arg_count(222u32), Some(6)); // mmap
        assert_eq!(Arch::Aarch64.syscall_arg_count(57u32), Some(1)); // close
        assert_eq!(Arch::X86_64.syscall_arg_count(3u32), Some(1)); // close
    }

    #[test]
    fn sec_08_arg_counts_are_complete_and_bounded() {
        for arch in Arch::ALL {
            let unimplemented = arch.not_implemented();
            for &name in unimplemented {
                assert!(
                    arch.syscall_number(name).is_some(),
                    "{arch} {name} in table"
                );
                assert_eq!(arch.syscall_arg_count(name), None, "{arch} {name}");
            }
            for (name, nr) in arch.syscalls() {
                let count = arch.syscall_arg_count(nr);
                assert_eq!(
                    count.is_none(),
                    unimplemented.contains(&name),
                    "{arch} {name}"
                );
                assert!(count.is_none_or(|n| n <= 6), "{arch} {name}");
            }
            // Numbers the table does not assign, and names it does not know.
            assert_eq!(arch.syscall_arg_count(arch.max_syscall() + 1), None);
            assert_eq!(arch.syscall_arg_count(u32::MAX), None);
            assert_eq!(arch.syscall_arg_count("no_such_call"), None);
            assert_eq!(arch.syscall_arg_count("99999999999"), None);
        }
        assert_eq!(Arch::X86_64.syscall_arg_count("uselib"), None);
        assert_eq!(Arch::X86_64.syscall_arg_count("tuxcall"), None);
        assert_eq!(Arch::Aarch64.syscall_arg_count("lookup_dcookie"), None);
        assert_eq!(Arch::X86_64.syscall_arg_count(400u32), None);
        assert_eq!(Arch::Aarch64.syscall_arg_count(42u32), None);
    }

    #[test]
    fn sec_03_unknown_names_suggest() {
        let e = Arch::Aarch64.resolve("open").unwrap_err();
        assert!(e.is_input());
        assert_eq!(
            e.to_string(),
            "seccomp: invalid syscall name \"open\": not a system call on aarch64 (it exists on x86_64) (did you mean \"openat\"?)"
        );
        let e = Arch::X86_64.resolve("clock_nanoslep").unwrap_err();
        assert!(
            e.to_string().contains("did you mean \"clock_nanosleep\"?"),
            "{e}"
        );
        let e = Arch::X86_64.resolve("zzzzzzzzzzzz").unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
        assert_eq!(Arch::X86_64.resolve("1000").unwrap(), 1000);
        assert!(Arch::X86_64.resolve("99999999999").unwrap_err().is_input());
    }

    #[test]
    fn sec_02_arch_names() {
        assert_eq!(Arch::native().unwrap().name(), std::env::consts::ARCH);
        assert_eq!("amd64".parse::<Arch>().unwrap(), Arch::X86_64);
        let e = "mips".parse::<Arch>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "seccomp: invalid architecture \"mips\": unsupported: seccomp filters are compiled for x86_64 and aarch64"
        );
        for a in Arch::ALL {
            assert_eq!(Arch::from_audit_arch(a.audit_arch()), Some(a));
        }
    }
}
