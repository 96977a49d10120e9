//! Mounts: read any process's mount table exactly, and change mounts in the caller's or any other
//! process's mount namespace.
//!
//! * **Reading** — [`list`], [`list_pid`], [`parse`] and the [`mountinfo`] codec: every field of
//!   `/proc/<pid>/mountinfo` typed, escapes decoded, malformed lines skipped and counted;
//!   [`FindmntJson`] renders a table with `findmnt -J` key names (feature `serde`).
//! * **Classic verbs** in the calling thread's namespace — [`mount()`], [`bind`], [`bind_ro`],
//!   [`remount`] (the bind-remount rule and locked flags handled), [`set_propagation`],
//!   [`mount_move`], [`umount`], [`pivot_root`] and [`pivot_root_in_place`].
//! * **Any namespace** — [`Mounts`] runs each verb inside a target's mount namespace (pid, pidfd,
//!   namespace file or fd: a parked or running child), including [`Mounts::mount_proc`] for the
//!   target's pid namespace; [`setup_rootfs`] performs the whole container-root sequence.
//! * **The fd-based API** — [`FsContext`], [`DetachedMount`] (`open_tree` clones, attach
//!   anywhere, into another namespace too), [`set_attr`] (`mount_setattr`) and idmapped mounts.
//! * **Symlink safety** — [`create_mount_point`] and [`Root`] resolve with `openat2`
//!   (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, `RESOLVE_IN_ROOT`).
//! * **Unique ids** — [`list_unique`] (`listmount`/`statmount`, Linux ≥ 6.8) lists mounts with
//!   their 64-bit never-reused ids, without parsing text.
//!
//! Errors are [`crate::Error`]s of subsystem `mount` naming the stage as the operation (`mount`,
//! `umount`, `pivot_root`, `chdir`, `create`, `resolve`, `fsopen`, `fsconfig`, `fsmount`,
//! `move_mount`, `open_tree`, `mount_setattr`; `open` for a namespace file) and the path:
//! `mount: umount /srv/missing: ENOENT (errno 2)`.

pub mod mountinfo;
mod mounts;
mod newapi;
mod ops;
mod root;
mod rootfs;
mod statmount;

use std::path::Path;

pub use mountinfo::{MountEntry, MountTable, OptionalField, PropagationState};
pub use mounts::Mounts;
pub use newapi::{Atime, DetachedMount, FsContext, MountAttr, MountSetAttr, set_attr};
pub use ops::{
    MountFlags, Propagation, UnmountFlags, bind, bind_ro, bind_with_flags, current_flags, mount,
    mount_move, pivot_root, pivot_root_in_place, remount, set_propagation, umount,
};
pub use root::{MountPointKind, Root, create_mount_point};
pub use rootfs::{BindSpec, DEV_NODES, MountSpec, PivotMode, RootfsSpec, TmpfsSpec, setup_rootfs};
pub use statmount::{StatMount, list_mount_ids, list_unique, stat_mount};

use crate::error::{Error, Feature, Operation, OsError, Result, Subsystem};
use crate::probe::{Probe, Status, raw_syscall_errno};

/// The calling thread's mount table (`/proc/thread-self/mountinfo`), malformed lines skipped and
/// counted.
///
/// # Errors
/// OS error `read` naming the file.
///
/// ```
/// let table = linx::mount::list()?;
/// assert!(table.root().is_some());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn list() -> Result<MountTable> {
    mountinfo::read_table("/proc/thread-self/mountinfo")
}

/// The mount table of process `pid` (`/proc/<pid>/mountinfo`; no namespace entry needed).
///
/// # Errors
/// Input error for a pid ≤ 0; OS error `read` naming `/proc/<pid>/mountinfo` (`ENOENT` when the
/// process does not exist).
///
/// ```
/// let mine = linx::mount::list_pid(std::process::id() as i32)?;
/// assert!(!mine.is_empty());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn list_pid(pid: i32) -> Result<MountTable> {
    if pid <= 0 {
        return Err(Error::input(
            Subsystem::Mount,
            "pid",
            pid.to_string(),
            "must be positive",
        ));
    }
    mountinfo::read_table(format!("/proc/{pid}/mountinfo"))
}

/// Parses mountinfo-format text from any reader (a saved file, a pipe), skipping and counting
/// malformed lines.
///
/// # Errors
/// OS error `read` when the reader fails.
///
/// ```
/// let t = linx::mount::parse(&b"1 0 0:1 / / rw - ext4 /dev/vda rw\n"[..])?;
/// assert_eq!(t.entries[0].fstype, "ext4");
/// # Ok::<(), linx::Error>(())
/// ```
pub fn parse(mut reader: impl std::io::Read) -> Result<MountTable> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data).map_err(|e| {
        OsError::new(
            Subsystem::Mount,
            Operation::Read,
            crate::error::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        )
    })?;
    Ok(mountinfo::parse_lenient(&data))
}

/// A mount table rendered like `findmnt -J -l -o
/// ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION`:
/// `{"filesystems": [{"id": 22, "parent": 1, "maj:min": "0:21", "target": "/proc", …}]}`.
///
/// The values follow findmnt too: `source` gets `[fsroot]` appended for a mount whose root is not
/// `/` (a bind mount of a subdirectory), `propagation` reads `shared`/`private` plus `,slave` and
/// `,unbindable`. Non-UTF-8 bytes are replaced (U+FFFD).
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let t = linx::mount::parse(&b"7 1 0:5 /sub /mnt/a\\040b rw shared:2 - tmpfs src rw\n"[..])?;
/// let json = serde_json::to_value(linx::mount::FindmntJson(&t)).unwrap();
/// assert_eq!(json["filesystems"][0]["target"], "/mnt/a b");
/// assert_eq!(json["filesystems"][0]["source"], "src[/sub]");
/// # }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FindmntJson<'a>(pub &'a [MountEntry]);

/// One entry in findmnt's JSON shape (see [`FindmntJson`]).
#[derive(Debug, Clone, Copy)]
pub struct FindmntEntry<'a>(pub &'a MountEntry);

#[cfg(feature = "serde")]
impl serde::Serialize for FindmntJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        let entries: Vec<FindmntEntry<'_>> = self.0.iter().map(FindmntEntry).collect();
        m.serialize_entry("filesystems", &entries)?;
        m.end()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FindmntEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = self.0;
        let root = e.root.to_string_lossy();
        let mut source = e.source.to_string_lossy().into_owned();
        if root != "/" {
            source = format!("{source}[{root}]");
        }
        let mut m = s.serialize_map(Some(10))?;
        m.serialize_entry("id", &e.mount_id)?;
        m.serialize_entry("parent", &e.parent_id)?;
        m.serialize_entry("maj:min", &format!("{}:{}", e.major, e.minor))?;
        m.serialize_entry("target", &e.mount_point.to_string_lossy())?;
        m.serialize_entry("source", &source)?;
        m.serialize_entry("fstype", &e.fstype)?;
        m.serialize_entry("vfs-options", &e.mount_options)?;
        m.serialize_entry("fs-options", &e.super_options.to_string_lossy())?;
        m.serialize_entry("fsroot", &root)?;
        m.serialize_entry("propagation", &e.propagation().to_string())?;
        m.end()
    }
}

/// True when `path` is a mount point in the calling thread's namespace (some mount's mount point
/// equals it exactly).
///
/// # Errors
/// As [`list`].
pub fn is_mount_point(path: impl AsRef<Path>) -> Result<bool> {
    Ok(list()?.find(path).is_some())
}

/// Probes the new mount API (`fsopen`, `open_tree`, `move_mount`: Linux ≥ 5.2; `mount_setattr`:
/// ≥ 5.12) with calls that fail harmlessly: `ENOSYS` means missing, any other error means present.
pub fn probe_new_api() -> Probe {
    // SAFETY: each call passes an invalid fd or an empty string and cannot change any state.
    let fsopen = raw_syscall_errno(unsafe { libc::syscall(libc::SYS_fsopen, c"".as_ptr(), 0u32) });
    let setattr = raw_syscall_errno(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            -1i32,
            c"".as_ptr(),
            0u32,
            std::ptr::null::<u8>(),
            0usize,
        )
    });
    let p =
        |status, detail: &str| Probe::new(Subsystem::Mount, Feature::NewMountApi, status, detail);
    match (fsopen, setattr) {
        (Err(libc::ENOSYS), _) => p(
            Status::Unavailable,
            "no fsopen/open_tree/move_mount (needs Linux 5.2)",
        ),
        (_, Err(libc::ENOSYS)) => p(
            Status::Partial,
            "fsopen/open_tree/move_mount present; no mount_setattr (needs Linux 5.12), so no idmapped mounts",
        ),
        _ => p(
            Status::Available,
            "fsopen, open_tree, move_mount, mount_setattr present",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnt_01_list_pid_of_missing_process_names_the_file() {
        let e = list_pid(2147483640).unwrap_err();
        assert_eq!(e.errno(), Some(crate::error::Errno::NOENT), "{e}");
        assert_eq!(
            e.to_string(),
            "mount: read /proc/2147483640/mountinfo: ENOENT (errno 2)"
        );
        assert!(list_pid(0).unwrap_err().is_input());
        assert!(list().unwrap().root().is_some());
    }
}
