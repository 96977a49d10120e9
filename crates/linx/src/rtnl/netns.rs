//! Named network namespaces (`ip netns add|list|delete`): a namespace kept alive by a bind mount
//! of its nsfs file on `/run/netns/NAME`, usable afterwards as [`NsTarget::Named`].
//!
//! Creation runs on a dedicated short-lived thread that unshares a new network namespace and
//! bind-mounts `/proc/thread-self/ns/net`; the caller's threads never change namespace. Like
//! iproute2, the directory is made a shared mount point (bind-mounted on itself first when
//! needed) so the namespace mounts propagate to other mount namespaces. See
//! [ip-netns(8)](https://man7.org/linux/man-pages/man8/ip-netns.8.html).

use std::path::{Path, PathBuf};

use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};
use crate::ns::{NETNS_RUN_DIR, NsKind, NsTarget};

fn check_name(name: &str) -> Result<()> {
    NsTarget::named(name).map(|_| ())
}

fn os(op: Operation, e: Errno, path: &Path) -> Error {
    OsError::new(Subsystem::Namespace, op, e).path(path).into()
}

/// Creates the named network namespace `/run/netns/NAME` and returns a target for it.
///
/// ```no_run
/// let target = linx::rtnl::netns::create("blue")?;
/// let mut rtnl = linx::rtnl::Rtnl::open(&target)?;
/// assert_eq!(rtnl.links()?.len(), 1); // only lo
/// linx::rtnl::netns::delete("blue")?;
/// # Ok::<(), linx::Error>(())
/// ```
///
/// # Errors
/// Input error for a name that is not one path component (or contains NUL); `EEXIST` when it
/// exists; OS errors of `mkdir`, `mount`, `unshare` naming the path.
pub fn create(name: &str) -> Result<NsTarget> {
    check_name(name)?;
    create_in(Path::new(NETNS_RUN_DIR), name)?;
    NsTarget::named(name)
}

/// Like [`create`], in another directory (e.g. a private one for tests); returns a path target.
///
/// # Errors
/// As [`create`].
pub fn create_in(dir: &Path, name: &str) -> Result<NsTarget> {
    check_name(name)?;
    prepare_dir(dir)?;
    let path = dir.join(name);
    // Exclusive creation of the mount point: EEXIST when the name is taken.
    rustix::fs::open(
        &path,
        rustix::fs::OFlags::CREATE
            | rustix::fs::OFlags::EXCL
            | rustix::fs::OFlags::RDONLY
            | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| os(Operation::Open, e, &path))?;
    let target = path.clone();
    let bound = std::thread::Builder::new()
        .name("linx-netns".into())
        .spawn(move || -> Result<()> {
            // SAFETY: only CLONE_NEWNET is unshared, on this short-lived thread that exits right
            // after; no file table is split.
            unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }
                .map_err(|e| {
                    Error::from(OsError::new(
                        Subsystem::Namespace,
                        Operation::Unshare("net"),
                        e,
                    ))
                })?;
            rustix::mount::mount_bind("/proc/thread-self/ns/net", &target)
                .map_err(|e| os(Operation::Syscall("mount"), e, &target))
        })
        .map_err(|e| {
            Error::from(OsError::new(
                Subsystem::Namespace,
                Operation::SpawnThread,
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EAGAIN)),
            ))
        })?
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
    if let Err(e) = bound {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(NsTarget::Path(path))
}

/// Makes `dir` exist and be a shared mount point, as `ip netns add` does.
fn prepare_dir(dir: &Path) -> Result<()> {
    match rustix::fs::mkdir(dir, rustix::fs::Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(os(Operation::Syscall("mkdir"), e, dir)),
    }
    let shared = || {
        rustix::mount::mount_change(
            dir,
            MountPropagationFlags::SHARED | MountPropagationFlags::REC,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        Err(Errno::INVAL) => {
            // Not a mount point yet: bind it on itself, then share.
            rustix::mount::mount(dir, dir, "none", MountFlags::BIND | MountFlags::REC, None)
                .map_err(|e| os(Operation::Syscall("mount"), e, dir))?;
            shared().map_err(|e| os(Operation::Syscall("mount"), e, dir))
        }
        Err(e) => Err(os(Operation::Syscall("mount"), e, dir)),
    }
}

/// The names under `/run/netns` that are network namespaces, sorted.
///
/// # Errors
/// OS errors reading the directory (a missing directory is an empty list).
pub fn list() -> Result<Vec<String>> {
    list_in(Path::new(NETNS_RUN_DIR))
}

/// Like [`list`] for another directory.
///
/// # Errors
/// As [`list`].
pub fn list_in(dir: &Path) -> Result<Vec<String>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(os(
                Operation::Read,
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
                dir,
            ));
        }
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        // Only entries that really are network namespaces (a leftover empty file is skipped).
        if NsTarget::Path(entry.path()).open(NsKind::Net).is_ok() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Deletes a named network namespace: lazy unmount (`MNT_DETACH`) and unlink. The namespace
/// itself lives on while processes or fds still hold it.
///
/// # Errors
/// Input error for an invalid name; `ENOENT` when it does not exist.
pub fn delete(name: &str) -> Result<()> {
    delete_in(Path::new(NETNS_RUN_DIR), name)
}

/// Like [`delete`] in another directory.
///
/// # Errors
/// As [`delete`].
pub fn delete_in(dir: &Path, name: &str) -> Result<()> {
    check_name(name)?;
    let path: PathBuf = dir.join(name);
    match rustix::mount::unmount(&path, UnmountFlags::DETACH) {
        // EINVAL: not a mount point (a leftover file) — still remove it.
        Ok(()) | Err(Errno::INVAL) => {}
        Err(e) => return Err(os(Operation::Syscall("umount2"), e, &path)),
    }
    rustix::fs::unlink(&path).map_err(|e| os(Operation::Syscall("unlink"), e, &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nl_17_names_are_checked_before_any_syscall() {
        for bad in ["", ".", "..", "a/b", "x\0y"] {
            assert!(create(bad).unwrap_err().is_input(), "{bad:?}");
            assert!(delete(bad).unwrap_err().is_input(), "{bad:?}");
        }
    }
}
