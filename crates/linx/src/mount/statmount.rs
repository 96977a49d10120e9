//! Mount information without parsing text: `listmount(2)` and `statmount(2)` (Linux ≥ 6.8),
//! which also expose the 64-bit unique mount id (never reused, unlike mountinfo's ids).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::mounts::Mounts;
use super::newapi::MountAttr;
use super::ops::MountFlags;
use crate::error::{Errno, Error, Feature, Operation, OsError, Result, Subsystem};

const SYS_STATMOUNT: libc::c_long = 457;
const SYS_LISTMOUNT: libc::c_long = 458;
const LSMT_ROOT: u64 = u64::MAX;
const MNT_ID_REQ_SIZE_VER0: u32 = 24;
/// SB_BASIC | MNT_BASIC | PROPAGATE_FROM | MNT_ROOT | MNT_POINT | FS_TYPE (all of Linux 6.8).
const MASK: u64 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20;
/// Offset of the string area in `struct statmount`.
const STR_OFFSET: usize = 512;

#[repr(C)]
struct MntIdReq {
    size: u32,
    spare: u32,
    mnt_id: u64,
    param: u64,
}

/// One mount as `statmount(2)` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatMount {
    /// The unique 64-bit mount id.
    pub mnt_id: u64,
    /// The parent's unique id (itself for the root).
    pub parent_id: u64,
    /// The mountinfo-style id (reused after unmount).
    pub mnt_id_old: u32,
    /// The parent's mountinfo-style id.
    pub parent_id_old: u32,
    /// Device major number of the superblock.
    pub major: u32,
    /// Device minor number of the superblock.
    pub minor: u32,
    /// The filesystem's magic number (`statfs(2)` `f_type`).
    pub sb_magic: u64,
    /// `SB_RDONLY` (1), `SB_SYNCHRONOUS` (0x10), `SB_DIRSYNC` (0x80), `SB_LAZYTIME` (0x2000000).
    pub sb_flags: u32,
    /// Per-mount attributes (`MOUNT_ATTR_*`; the atime mode is in bits 0x70).
    pub attr: u64,
    /// Propagation type bits (`MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE`, `MS_UNBINDABLE`).
    pub propagation: MountFlags,
    /// Peer group of a shared mount (0 if none).
    pub peer_group: u64,
    /// Master peer group of a slave (0 if none).
    pub master: u64,
    /// Nearest dominant peer group it receives from (0 if none).
    pub propagate_from: u64,
    /// Filesystem type.
    pub fstype: String,
    /// Root of the mount within its filesystem.
    pub root: PathBuf,
    /// Mount point relative to the caller's root.
    pub mount_point: PathBuf,
}

impl StatMount {
    /// True when the mount is read-only.
    pub fn is_read_only(&self) -> bool {
        self.attr & MountAttr::RDONLY.bits() != 0
    }
}

fn unsupported() -> Error {
    Error::unsupported(
        Subsystem::Mount,
        Feature::NewMountApi,
        "listmount/statmount need Linux 6.8",
    )
}

fn last_errno() -> Errno {
    Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

fn listmount_once(parent: u64, after: u64, buf: &mut [u64]) -> std::result::Result<usize, Errno> {
    let req = MntIdReq {
        size: MNT_ID_REQ_SIZE_VER0,
        spare: 0,
        mnt_id: parent,
        param: after,
    };
    // SAFETY: req is a valid mnt_id_req of the size given; buf has room for buf.len() ids.
    let r = unsafe {
        libc::syscall(
            SYS_LISTMOUNT,
            &req as *const MntIdReq,
            buf.as_mut_ptr(),
            buf.len(),
            0u32,
        )
    };
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r as usize)
    }
}

fn listmount_all(parent: u64) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut buf = [0u64; 512];
    let mut after = 0;
    loop {
        let n = listmount_once(parent, after, &mut buf).map_err(|e| {
            if e == Errno::NOSYS {
                unsupported()
            } else {
                OsError::new(Subsystem::Mount, Operation::Syscall("listmount"), e)
                    .object(format!("mount id {parent:#x}"))
                    .into()
            }
        })?;
        out.extend_from_slice(&buf[..n]);
        match buf[..n].last() {
            Some(&last) if n == buf.len() => after = last,
            _ => return Ok(out),
        }
    }
}

/// The unique ids of every mount in the calling thread's mount namespace, with
/// [`listmount(2)`](https://man7.org/linux/man-pages/man2/listmount.2.html).
///
/// Kernels differ in whether `listmount` of a mount returns its children or its whole subtree;
/// the result here is the whole namespace either way (children are followed until no new id
/// appears).
///
/// # Errors
/// `Unsupported(NewMountApi)` before Linux 6.8; OS error `listmount`.
pub fn list_mount_ids() -> Result<Vec<u64>> {
    let mut ids = listmount_all(LSMT_ROOT)?;
    let mut seen: std::collections::HashSet<u64> = ids.iter().copied().collect();
    let mut i = 0;
    while i < ids.len() {
        for child in listmount_all(ids[i])? {
            if seen.insert(child) {
                ids.push(child);
            }
        }
        i += 1;
    }
    Ok(ids)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

fn str_at(b: &[u8], off: u32) -> Vec<u8> {
    let start = STR_OFFSET + off as usize;
    let Some(rest) = b.get(start..) else {
        return Vec::new();
    };
    let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
    rest[..end].to_vec()
}

/// Decodes a `struct statmount` buffer (pure).
pub(crate) fn decode(b: &[u8]) -> StatMount {
    StatMount {
        major: u32_at(b, 16),
        minor: u32_at(b, 20),
        sb_magic: u64_at(b, 24),
        sb_flags: u32_at(b, 32),
        fstype: String::from_utf8_lossy(&str_at(b, u32_at(b, 36))).into_owned(),
        mnt_id: u64_at(b, 40),
        parent_id: u64_at(b, 48),
        mnt_id_old: u32_at(b, 56),
        parent_id_old: u32_at(b, 60),
        attr: u64_at(b, 64),
        propagation: MountFlags::from_bits_truncate(u64_at(b, 72)),
        peer_group: u64_at(b, 80),
        master: u64_at(b, 88),
        propagate_from: u64_at(b, 96),
        root: PathBuf::from(OsString::from_vec(str_at(b, u32_at(b, 104)))),
        mount_point: PathBuf::from(OsString::from_vec(str_at(b, u32_at(b, 108)))),
    }
}

/// [`statmount(2)`](https://man7.org/linux/man-pages/man2/statmount.2.html) of the mount with
/// unique id `mnt_id` in the calling thread's namespace.
///
/// # Errors
/// `Unsupported(NewMountApi)` before Linux 6.8; OS error `statmount` (`ENOENT` for an id that is
/// gone).
pub fn stat_mount(mnt_id: u64) -> Result<StatMount> {
    let mut size = 4096usize;
    loop {
        let mut buf = vec![0u64; size / 8];
        let req = MntIdReq {
            size: MNT_ID_REQ_SIZE_VER0,
            spare: 0,
            mnt_id,
            param: MASK,
        };
        // SAFETY: req is a valid mnt_id_req; buf is `size` bytes, 8-byte aligned.
        let r = unsafe {
            libc::syscall(
                SYS_STATMOUNT,
                &req as *const MntIdReq,
                buf.as_mut_ptr(),
                size,
                0u32,
            )
        };
        if r == 0 {
            let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
            return Ok(decode(&bytes));
        }
        match last_errno() {
            Errno::OVERFLOW if size < (1 << 20) => size *= 4,
            Errno::NOSYS => return Err(unsupported()),
            e => {
                return Err(
                    OsError::new(Subsystem::Mount, Operation::Syscall("statmount"), e)
                        .object(format!("mount id {mnt_id:#x}"))
                        .into(),
                );
            }
        }
    }
}

/// Every mount of the calling thread's namespace through `listmount`/`statmount`, no text
/// parsing involved. Mounts that vanish between the two calls are left out.
///
/// # Errors
/// As [`list_mount_ids`] and [`stat_mount`].
///
/// ```no_run
/// for m in linx::mount::list_unique()? {
///     println!("{:#x} {} {}", m.mnt_id, m.mount_point.display(), m.fstype);
/// }
/// # Ok::<(), linx::Error>(())
/// ```
pub fn list_unique() -> Result<Vec<StatMount>> {
    let mut out = Vec::new();
    for id in list_mount_ids()? {
        match stat_mount(id) {
            Ok(m) => out.push(m),
            Err(e) if e.errno() == Some(Errno::NOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

impl Mounts {
    /// [`list_unique`] inside the target's mount namespace.
    ///
    /// # Errors
    /// As [`list_unique`], plus namespace entry.
    pub fn list_unique(&self) -> Result<Vec<StatMount>> {
        self.run(list_unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnt_18_decode_never_panics_on_short_buffers() {
        let m = decode(&[]);
        assert_eq!(m.mnt_id, 0);
        assert!(m.fstype.is_empty());
        let mut b = vec![0u8; 600];
        b[36..40].copy_from_slice(&3u32.to_ne_bytes());
        b[512 + 3..512 + 8].copy_from_slice(b"ext4\0");
        b[40..48].copy_from_slice(&0x1234u64.to_ne_bytes());
        let m = decode(&b);
        assert_eq!((m.fstype.as_str(), m.mnt_id), ("ext4", 0x1234));
        // An offset past the end gives an empty string.
        b[108..112].copy_from_slice(&9999u32.to_ne_bytes());
        assert_eq!(decode(&b).mount_point, PathBuf::new());
    }
}
