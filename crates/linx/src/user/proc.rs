//! Writing and reading a process's id maps and `setgroups` through `/proc/<pid>/…`, identity
//! checks, and write-once tracking.

use std::fmt;
use std::os::fd::OwnedFd;

use super::idmap::{IdMap, MapContents, parse_map};
use crate::error::{Error, Operation, OsError, ProtocolKind, Result, StateKind, Subsystem};

/// The process whose user namespace is meant (maps belong to the namespace; any process in it
/// names it): the shared [`crate::pidfd::Task`].
pub use crate::pidfd::Task;

fn os(op: Operation, path: &str, e: rustix::io::Errno) -> Error {
    OsError::new(Subsystem::User, op, e).path(path).into()
}

/// Opens `<proc dir>/<name>` for writing and writes `data` in one `write(2)`; open failures are
/// reported as write failures of the file (the operation the caller asked for).
fn write_proc_file(task: Task<'_>, name: &str, data: &[u8]) -> Result<()> {
    let path = format!("{}/{name}", task.proc_dir()?);
    let fd: OwnedFd = rustix::fs::open(
        path.as_str(),
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| os(Operation::Write, &path, e))?;
    task.ensure_alive()?;
    let n = rustix::io::write(&fd, data).map_err(|e| os(Operation::Write, &path, e))?;
    if n != data.len() {
        return Err(Error::protocol(
            Subsystem::User,
            ProtocolKind::Truncated,
            format!("{path}: the kernel took {n} of {} bytes", data.len()),
        ));
    }
    Ok(())
}

fn read_proc_file(task: Task<'_>, name: &str) -> Result<String> {
    let path = format!("{}/{name}", task.proc_dir()?);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        os(
            Operation::Read,
            &path,
            rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
        )
    })?;
    task.ensure_alive()?;
    Ok(text)
}

/// Writes a process's uid map (`/proc/<pid>/uid_map`, see
/// [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html)): every
/// line in one `write(2)`, as the kernel requires.
///
/// The map is already validated ([`IdMap`]). The kernel accepts the write once per namespace,
/// from a process with `CAP_SETUID` over the namespace that is in it or in its parent; without
/// `CAP_SETUID` in the parent namespace, only the writer's own effective uid may be mapped (one
/// line).
///
/// # Errors
/// OS errors naming the path: `EPERM` for a second write or ids the writer may not map,
/// `ENOENT` for a dead pid, `EINVAL` for a map the kernel rejects; `NoProcess` for a pidfd whose
/// process exited.
///
/// ```no_run
/// use linx::user::{IdMap, write_uid_map};
/// let child_pid = 4242;
/// write_uid_map(child_pid, &IdMap::single(0, 100000, 65536)?)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn write_uid_map<'a>(task: impl Into<Task<'a>>, map: &IdMap) -> Result<()> {
    write_proc_file(task.into(), "uid_map", map.render().as_bytes())
}

/// Writes a process's gid map (`/proc/<pid>/gid_map`); see [`write_uid_map`]. Without
/// `CAP_SETGID` in the parent namespace, `setgroups` must be denied first
/// ([`deny_setgroups`]).
///
/// # Errors
/// As [`write_uid_map`].
///
/// ```no_run
/// use linx::user::{IdMap, write_gid_map};
/// write_gid_map(4242, &IdMap::single(0, 100000, 65536)?)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn write_gid_map<'a>(task: impl Into<Task<'a>>, map: &IdMap) -> Result<()> {
    write_proc_file(task.into(), "gid_map", map.render().as_bytes())
}

/// Reads a process's uid map; an unwritten map reads as empty, malformed lines are skipped and
/// counted.
///
/// # Errors
/// OS errors naming the path (`ENOENT` for a dead pid).
///
/// ```
/// let mine = linx::user::read_uid_map(linx::user::Task::Current)?;
/// assert!(!mine.entries.is_empty());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn read_uid_map<'a>(task: impl Into<Task<'a>>) -> Result<MapContents> {
    Ok(parse_map(&read_proc_file(task.into(), "uid_map")?))
}

/// Reads a process's gid map; see [`read_uid_map`].
///
/// # Errors
/// As [`read_uid_map`].
///
/// ```
/// let mine = linx::user::read_gid_map(linx::user::Task::Current)?;
/// assert!(!mine.entries.is_empty());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn read_gid_map<'a>(task: impl Into<Task<'a>>) -> Result<MapContents> {
    Ok(parse_map(&read_proc_file(task.into(), "gid_map")?))
}

/// The content of `/proc/<pid>/setgroups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setgroups {
    /// `setgroups(2)` is allowed in the namespace (once a gid map is written).
    Allow,
    /// `setgroups(2)` is permanently denied in the namespace.
    Deny,
}

impl fmt::Display for Setgroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setgroups::Allow => "allow",
            Setgroups::Deny => "deny",
        })
    }
}

/// Reads `/proc/<pid>/setgroups`.
///
/// # Errors
/// OS errors naming the path; a protocol error for content other than `allow`/`deny`.
///
/// ```
/// use linx::user::{Setgroups, Task, setgroups_state};
/// assert_eq!(setgroups_state(Task::Current)?, Setgroups::Allow);
/// # Ok::<(), linx::Error>(())
/// ```
pub fn setgroups_state<'a>(task: impl Into<Task<'a>>) -> Result<Setgroups> {
    let task = task.into();
    let text = read_proc_file(task, "setgroups")?;
    match text.trim() {
        "allow" => Ok(Setgroups::Allow),
        "deny" => Ok(Setgroups::Deny),
        other => Err(Error::protocol(
            Subsystem::User,
            ProtocolKind::Malformed,
            format!("{}/setgroups holds {other:?}", task.proc_dir()?),
        )),
    }
}

/// Writes `deny` to `/proc/<pid>/setgroups`, as an unprivileged writer must before writing the
/// gid map. Idempotent: when the write fails because setgroups is already denied, it succeeds.
///
/// # Errors
/// OS errors naming the path (`EPERM` once a gid map was written while setgroups was allowed).
///
/// ```no_run
/// linx::user::deny_setgroups(4242)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn deny_setgroups<'a>(task: impl Into<Task<'a>>) -> Result<()> {
    let task = task.into();
    match write_proc_file(task, "setgroups", b"deny") {
        Ok(()) => Ok(()),
        Err(e) if e.errno() == Some(rustix::io::Errno::PERM) => match setgroups_state(task) {
            Ok(Setgroups::Deny) => Ok(()),
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// What [`setup`] does with `setgroups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SetgroupsPolicy {
    /// Write `deny` before the maps.
    Deny,
    /// Leave it as it is.
    Leave,
    /// Deny when the caller lacks `CAP_SETGID` in its effective set (then the kernel requires
    /// it); leave it otherwise.
    #[default]
    Auto,
}

/// Writes both maps in the order the kernel needs — `setgroups` (per `policy`), then the uid
/// map, then the gid map — stopping at the first failure. There is no rollback: maps are
/// write-once, so a partly set-up namespace stays as it is.
///
/// # Errors
/// The first failure, carrying its file path and operation.
///
/// ```no_run
/// use linx::user::{IdMap, SetgroupsPolicy, setup};
/// let map = IdMap::single(0, 100000, 65536)?;
/// setup(4242, &map, &map, SetgroupsPolicy::Leave)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn setup<'a>(
    task: impl Into<Task<'a>>,
    uid_map: &IdMap,
    gid_map: &IdMap,
    policy: SetgroupsPolicy,
) -> Result<()> {
    let task = task.into();
    let deny = match policy {
        SetgroupsPolicy::Deny => true,
        SetgroupsPolicy::Leave => false,
        SetgroupsPolicy::Auto => !effective_has_setgid(),
    };
    if deny {
        deny_setgroups(task)?;
    }
    write_uid_map(task, uid_map)?;
    write_gid_map(task, gid_map)
}

/// True when the calling thread has `CAP_SETGID` (6) effective (`capget(2)`).
fn effective_has_setgid() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    let mut header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut data = [[0u32; 3]; 2];
    // SAFETY: a version-3 header and two data triples, live and writable during the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut Header,
            data.as_mut_ptr(),
        )
    };
    r == 0 && data[0][0] & (1 << 6) != 0
}

/// The single-line maps an unprivileged process may write for a child namespace it created:
/// its own effective uid and gid, mapped to `inside`; `setgroups` must be denied for the gid
/// map ([`SetgroupsPolicy::Deny`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfMap {
    /// `inside euid 1`.
    pub uid_map: IdMap,
    /// `inside egid 1`.
    pub gid_map: IdMap,
}

impl SelfMap {
    /// Writes the maps with setgroups denied ([`setup`] with [`SetgroupsPolicy::Deny`]).
    ///
    /// # Errors
    /// As [`setup`].
    pub fn apply<'a>(&self, task: impl Into<Task<'a>>) -> Result<()> {
        setup(task, &self.uid_map, &self.gid_map, SetgroupsPolicy::Deny)
    }
}

/// Builds the self map of the calling process (its effective uid and gid, via `geteuid(2)` and
/// `getegid(2)`) with `inside` as the id inside (USR-09). Call it *before* entering a new user
/// namespace, where the ids read as the overflow id until the maps exist.
///
/// # Errors
/// An input error when the effective uid or gid is 4294967295 (not mappable).
///
/// ```
/// let m = linx::user::map_current_user(0)?;
/// assert_eq!(m.uid_map.entries()[0].count, 1);
/// # Ok::<(), linx::Error>(())
/// ```
pub fn map_current_user(inside: u32) -> Result<SelfMap> {
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    Ok(SelfMap {
        uid_map: IdMap::single(inside, uid, 1)?,
        gid_map: IdMap::single(inside, gid, 1)?,
    })
}

/// The one-call "root inside ↔ caller outside" setup: maps uid/gid 0 inside the task's user
/// namespace to the caller's effective uid/gid, with `setgroups` denied — what an unprivileged
/// caller may do for a child it created in a new user namespace (`unshare -r` does the same).
///
/// # Errors
/// As [`setup`].
///
/// ```no_run
/// linx::user::map_root_to_caller(4242)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn map_root_to_caller<'a>(task: impl Into<Task<'a>>) -> Result<()> {
    map_current_user(0)?.apply(task)
}

/// Real, effective, saved and filesystem ids (one line of `/proc/<pid>/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IdSet {
    /// Real id.
    pub real: u32,
    /// Effective id.
    pub effective: u32,
    /// Saved set-id.
    pub saved: u32,
    /// Filesystem id.
    pub fs: u32,
}

/// A task's uids and gids as seen from the reader's user namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ids {
    /// The `Uid:` line.
    pub uid: IdSet,
    /// The `Gid:` line.
    pub gid: IdSet,
}

/// Parses the `Uid:` and `Gid:` lines of a `/proc/<pid>/status` text (four ids each). Pure,
/// never panics.
///
/// # Errors
/// A protocol error naming the missing or malformed line.
///
/// ```
/// let ids = linx::user::parse_ids("Uid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\n")?;
/// assert_eq!(ids.gid.effective, 5);
/// # Ok::<(), linx::Error>(())
/// ```
pub fn parse_ids(status: &str) -> Result<Ids> {
    let field = |name: &str| -> Result<IdSet> {
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .ok_or_else(|| {
                Error::protocol(
                    Subsystem::User,
                    ProtocolKind::Truncated,
                    format!("no {name} line"),
                )
            })?;
        let v: Vec<u32> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                Error::protocol(
                    Subsystem::User,
                    ProtocolKind::Malformed,
                    format!("{name} line {:?} is not four ids", line.trim()),
                )
            })?;
        match v.as_slice() {
            [real, effective, saved, fs] => Ok(IdSet {
                real: *real,
                effective: *effective,
                saved: *saved,
                fs: *fs,
            }),
            _ => Err(Error::protocol(
                Subsystem::User,
                ProtocolKind::Malformed,
                format!("{name} line {:?} is not four ids", line.trim()),
            )),
        }
    };
    Ok(Ids {
        uid: field("Uid")?,
        gid: field("Gid")?,
    })
}

/// Reads a task's real/effective/saved/fs uids and gids from `/proc/<pid>/status`, as seen from
/// the caller's user namespace (an unmapped id shows as the overflow id 65534).
///
/// # Errors
/// OS errors naming the path; protocol errors from [`parse_ids`].
///
/// ```
/// let me = linx::user::ids(linx::user::Task::Current)?;
/// assert_eq!(me.uid.effective, rustix::process::geteuid().as_raw());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn ids<'a>(task: impl Into<Task<'a>>) -> Result<Ids> {
    let task = task.into();
    let text = read_proc_file(task, "status")?;
    parse_ids(&text).map_err(|e| match e {
        Error::Protocol(mut p) => {
            p.detail = format!(
                "{}/status: {}",
                task.proc_dir().unwrap_or_default(),
                p.detail
            );
            Error::Protocol(p)
        }
        other => other,
    })
}

/// Write-once bookkeeping for one child's maps (USR-07), meant to live in a parked child's
/// handle: a second write of the same map is refused as a state error *without touching the
/// kernel*, while a direct [`write_uid_map`] to an arbitrary pid still gets the kernel's `EPERM`.
///
/// A map counts as written only when the kernel accepted it, so a write the kernel refused can
/// be corrected and retried.
///
/// ```no_run
/// use linx::user::{IdMap, MapTracker, SetgroupsPolicy};
/// let child = linx::pidfd::Pidfd::open(4242)?;
/// let mut maps = MapTracker::new();
/// let map = IdMap::single(0, 100000, 65536)?;
/// maps.setup(&child, &map, &map, SetgroupsPolicy::Deny)?;
/// assert!(maps.write_uid_map(&child, &map).is_err()); // refused, nothing sent to the kernel
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapTracker {
    uid_written: bool,
    gid_written: bool,
}

impl MapTracker {
    /// Nothing written yet.
    pub const fn new() -> MapTracker {
        MapTracker {
            uid_written: false,
            gid_written: false,
        }
    }

    /// True once the uid map was written through this tracker.
    pub const fn uid_written(&self) -> bool {
        self.uid_written
    }

    /// True once the gid map was written through this tracker.
    pub const fn gid_written(&self) -> bool {
        self.gid_written
    }

    fn already(which: &str) -> Error {
        Error::state(
            Subsystem::User,
            StateKind::MapAlreadyWritten,
            Some(format!("the {which} was already written")),
        )
    }

    /// [`write_uid_map`] unless already written.
    ///
    /// # Errors
    /// A `MapAlreadyWritten` state error for a second write; otherwise as
    /// [`write_uid_map`].
    pub fn write_uid_map<'a>(&mut self, task: impl Into<Task<'a>>, map: &IdMap) -> Result<()> {
        if self.uid_written {
            return Err(MapTracker::already("uid map"));
        }
        write_uid_map(task, map)?;
        self.uid_written = true;
        Ok(())
    }

    /// [`write_gid_map`] unless already written.
    ///
    /// # Errors
    /// As [`MapTracker::write_uid_map`].
    pub fn write_gid_map<'a>(&mut self, task: impl Into<Task<'a>>, map: &IdMap) -> Result<()> {
        if self.gid_written {
            return Err(MapTracker::already("gid map"));
        }
        write_gid_map(task, map)?;
        self.gid_written = true;
        Ok(())
    }

    /// [`setup`] with write-once checks (both maps are checked before anything is written).
    ///
    /// # Errors
    /// As [`MapTracker::write_uid_map`] and [`setup`].
    pub fn setup<'a>(
        &mut self,
        task: impl Into<Task<'a>>,
        uid_map: &IdMap,
        gid_map: &IdMap,
        policy: SetgroupsPolicy,
    ) -> Result<()> {
        if self.uid_written {
            return Err(MapTracker::already("uid map"));
        }
        if self.gid_written {
            return Err(MapTracker::already("gid map"));
        }
        let task = task.into();
        let deny = match policy {
            SetgroupsPolicy::Deny => true,
            SetgroupsPolicy::Leave => false,
            SetgroupsPolicy::Auto => !effective_has_setgid(),
        };
        if deny {
            deny_setgroups(task)?;
        }
        self.write_uid_map(task, uid_map)?;
        self.write_gid_map(task, gid_map)
    }
}
