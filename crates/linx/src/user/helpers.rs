//! Rootless multi-range maps through the setuid helpers `newuidmap(1)`/`newgidmap(1)`
//! (shadow-utils, Debian package `uidmap`), checked first against `/etc/subuid`/`/etc/subgid`.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::idmap::{IdMap, IdMapEntry};
use super::proc::Task;
use crate::error::{Error, Feature, Operation, OsError, Result, Subsystem};

/// One line of `/etc/subuid` or `/etc/subgid` (see
/// [subuid(5)](https://man7.org/linux/man-pages/man5/subuid.5.html)): `owner:start:count`, where
/// the owner is a user name or a numeric uid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubIdRange {
    /// User name or decimal uid.
    pub owner: String,
    /// First subordinate id.
    pub start: u32,
    /// Number of ids.
    pub count: u32,
}

impl SubIdRange {
    fn covers(&self, start: u32, count: u32) -> bool {
        u64::from(start) >= u64::from(self.start)
            && u64::from(start) + u64::from(count) <= u64::from(self.start) + u64::from(self.count)
    }
}

/// Parses a subuid/subgid file; comments (`#`), blank and malformed lines are skipped. Pure,
/// never panics.
///
/// ```
/// let r = linx::user::parse_subid("# x\nalice:100000:65536\nbad line\n1000:200000:10\n");
/// assert_eq!(r.len(), 2);
/// assert_eq!(r[1].owner, "1000");
/// ```
pub fn parse_subid(text: &str) -> Vec<SubIdRange> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                return None;
            }
            let mut f = l.split(':');
            let owner = f.next()?.trim();
            let start = f.next()?.trim().parse().ok()?;
            let count = f.next()?.trim().parse().ok()?;
            (f.next().is_none() && !owner.is_empty() && count > 0).then(|| SubIdRange {
                owner: owner.to_owned(),
                start,
                count,
            })
        })
        .collect()
}

/// The helper programs and the allocation files they consult.
///
/// ```no_run
/// use linx::user::{Helpers, IdMap};
/// let uid_map: IdMap = "0:1000:1,1:100000:65536".parse()?;
/// let gid_map: IdMap = "0:1000:1,1:100000:65536".parse()?;
/// Helpers::find()?.write_maps(4242, &uid_map, &gid_map)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helpers {
    /// Path of `newuidmap`.
    pub newuidmap: PathBuf,
    /// Path of `newgidmap`.
    pub newgidmap: PathBuf,
    /// The subordinate uid file checked before running the helper (`/etc/subuid`).
    pub subuid: PathBuf,
    /// The subordinate gid file (`/etc/subgid`).
    pub subgid: PathBuf,
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The calling process's user name and primary gid (`getpwuid_r(3)` of the real uid), as the
/// helpers look them up.
fn caller_account(uid: u32) -> Option<(String, u32)> {
    let mut pwd: libc::passwd = unsafe_zeroed_passwd();
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to a live, writable buffer of the stated size; on success
    // `result` points at `pwd`, whose string fields point into `buf`.
    let r = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if r != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name is a NUL-terminated string inside `buf`, which is still alive.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) }
        .to_string_lossy()
        .into_owned();
    Some((name, pwd.pw_gid))
}

fn unsafe_zeroed_passwd() -> libc::passwd {
    // SAFETY: `passwd` is a plain C struct of integers and pointers; all-zero is a valid value
    // (null pointers) that getpwuid_r overwrites.
    unsafe { std::mem::zeroed() }
}

impl Helpers {
    /// Finds `newuidmap` and `newgidmap` on `PATH` (and the usual bin/sbin directories), with
    /// the standard allocation files.
    ///
    /// # Errors
    /// `Unsupported(IdMapHelper)` naming the missing program and the package that has it.
    pub fn find() -> Result<Helpers> {
        let get = |name: &str| {
            find_program(name).ok_or_else(|| {
                Error::unsupported(
                    Subsystem::User,
                    Feature::IdMapHelper,
                    format!(
                        "{name} is not installed (package uidmap / shadow-utils); \
                         an unprivileged caller cannot write multi-range maps without it"
                    ),
                )
            })
        };
        Ok(Helpers {
            newuidmap: get("newuidmap")?,
            newgidmap: get("newgidmap")?,
            subuid: PathBuf::from("/etc/subuid"),
            subgid: PathBuf::from("/etc/subgid"),
        })
    }

    /// Uses other allocation files for the check (the helpers themselves always read
    /// `/etc/subuid` and `/etc/subgid`).
    pub fn subid_files(mut self, subuid: impl Into<PathBuf>, subgid: impl Into<PathBuf>) -> Self {
        self.subuid = subuid.into();
        self.subgid = subgid.into();
        self
    }

    /// Checks both maps against the caller's allocation before anything runs: each outside
    /// range must lie inside one allocated range of the caller (by user name or uid) or be the
    /// caller's own id (uid, or primary gid for the gid map), count 1.
    ///
    /// # Errors
    /// An input error naming the entry outside the allocation; OS errors reading the files.
    pub fn check(&self, uid_map: &IdMap, gid_map: &IdMap) -> Result<()> {
        let uid = rustix::process::getuid().as_raw();
        let (name, gid) = caller_account(uid).unwrap_or_else(|| (uid.to_string(), u32::MAX));
        check_map(&self.subuid, uid_map, &name, uid, uid, "uid")?;
        check_map(&self.subgid, gid_map, &name, uid, gid, "gid")
    }

    /// Checks the maps ([`Helpers::check`]), then runs `newuidmap PID IN OUT COUNT…` and
    /// `newgidmap PID …` for the task.
    ///
    /// # Errors
    /// Input errors from the check (nothing is run then); a helper failure as an OS error whose
    /// operation names the helper, with the pid, the exit status and the helper's stderr as
    /// context (the errno is the one the helper's message names, else `EPERM`).
    pub fn write_maps<'a>(
        &self,
        task: impl Into<Task<'a>>,
        uid_map: &IdMap,
        gid_map: &IdMap,
    ) -> Result<()> {
        let task = task.into();
        task.proc_dir()?;
        let pid = task.pid();
        self.check(uid_map, gid_map)?;
        run_helper(&self.newuidmap, "newuidmap", pid, uid_map)?;
        task.ensure_alive()?;
        run_helper(&self.newgidmap, "newgidmap", pid, gid_map)
    }
}

fn check_map(file: &Path, map: &IdMap, name: &str, uid: u32, own: u32, what: &str) -> Result<()> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(OsError::new(
                Subsystem::User,
                Operation::Read,
                rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
            )
            .path(file)
            .into());
        }
    };
    let uid_s = uid.to_string();
    let mine: Vec<SubIdRange> = parse_subid(&text)
        .into_iter()
        .filter(|r| r.owner == name || r.owner == uid_s)
        .collect();
    for e in map.entries() {
        let own_id = e.outside == own && e.count == 1;
        if !own_id && !mine.iter().any(|r| r.covers(e.outside, e.count)) {
            return Err(Error::input(
                Subsystem::User,
                "id map entry",
                e.to_string(),
                format!(
                    "outside {what}s {}..{} are not allocated to {name} in {}",
                    e.outside,
                    e.outside_end(),
                    file.display()
                ),
            ));
        }
    }
    Ok(())
}

fn run_helper(program: &Path, name: &'static str, pid: i32, map: &IdMap) -> Result<()> {
    let mut cmd = Command::new(program);
    cmd.arg(pid.to_string());
    for IdMapEntry {
        inside,
        outside,
        count,
    } in map.entries()
    {
        cmd.args([inside.to_string(), outside.to_string(), count.to_string()]);
    }
    let out = cmd.output().map_err(|e| {
        Error::from(
            OsError::new(
                Subsystem::User,
                Operation::Syscall(name),
                rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::NOENT),
            )
            .path(program)
            .pid(pid),
        )
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr)
        .trim()
        .replace('\n', "; ");
    Err(
        OsError::new(Subsystem::User, Operation::Syscall(name), errno_in(&stderr))
            .pid(pid)
            .object(format!("{} ({stderr})", out.status))
            .into(),
    )
}

/// The errno a helper's message names (`strerror` text), defaulting to `EPERM`: the helpers
/// refuse ranges outside the allocation with a plain message.
fn errno_in(msg: &str) -> rustix::io::Errno {
    use rustix::io::Errno;
    [
        ("Operation not permitted", Errno::PERM),
        ("Invalid argument", Errno::INVAL),
        ("No such file or directory", Errno::NOENT),
        ("No such process", Errno::SRCH),
        ("Permission denied", Errno::ACCESS),
    ]
    .into_iter()
    .find(|(text, _)| msg.contains(text))
    .map_or(Errno::PERM, |(_, e)| e)
}

/// Writes both maps through `newuidmap`/`newgidmap` (USR-08): [`Helpers::find`] then
/// [`Helpers::write_maps`].
///
/// # Errors
/// `Unsupported(IdMapHelper)` when a helper is missing; as [`Helpers::write_maps`].
///
/// ```no_run
/// use linx::user::{IdMap, write_maps_with_helpers};
/// let map: IdMap = "0:1000:1,1:100000:65536".parse()?;
/// write_maps_with_helpers(4242, &map, &map)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn write_maps_with_helpers<'a>(
    task: impl Into<Task<'a>>,
    uid_map: &IdMap,
    gid_map: &IdMap,
) -> Result<()> {
    Helpers::find()?.write_maps(task, uid_map, gid_map)
}
