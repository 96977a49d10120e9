//! File capabilities: the `security.capability` extended attribute (CAP-12).
//!
//! The attribute is a little-endian `vfs_cap_data` (revision 2: magic, then permitted and
//! inheritable as two 32-bit halves each, 20 bytes) or `vfs_ns_cap_data` (revision 3: the same
//! plus the root uid of the user namespace the capabilities apply in, 24 bytes); revision 1
//! (12 bytes, 32-bit masks) is still decoded. See
//! [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html), "File
//! capabilities".

use std::path::Path;

use super::set::CapSet;
use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};

/// The extended attribute name.
pub const XATTR_NAME: &str = "security.capability";

const REVISION_MASK: u32 = 0xff00_0000;
const FLAGS_EFFECTIVE: u32 = 0x0000_0001;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;

/// A file's capabilities.
///
/// ```
/// use linx::caps::{Cap, CapSet, FileCaps};
/// let fc = FileCaps { permitted: CapSet::from(Cap::NetRaw), effective: true, ..FileCaps::default() };
/// let bytes = fc.encode();
/// assert_eq!(bytes.len(), 20);
/// assert_eq!(FileCaps::decode(&bytes)?, fc);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileCaps {
    /// Capabilities granted at `execve` (within the bounding set).
    pub permitted: CapSet,
    /// Capabilities taken from the thread's inheritable set at `execve`.
    pub inheritable: CapSet,
    /// The effective flag: the new permitted set also becomes effective.
    pub effective: bool,
    /// Revision 3: the uid (as seen from the initial user namespace) of the root of the user
    /// namespace the capabilities are valid in; `None` for revision 2.
    pub root_uid: Option<u32>,
}

impl FileCaps {
    /// Decodes an attribute value (revision 1, 2 or 3).
    ///
    /// # Errors
    /// A protocol error for an unknown revision or a length that does not match it.
    pub fn decode(bytes: &[u8]) -> Result<FileCaps> {
        let word = |i: usize| -> Option<u32> {
            bytes
                .get(i * 4..i * 4 + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
        };
        let bad =
            |detail: String| Error::protocol(Subsystem::Caps, ProtocolKind::Malformed, detail);
        let magic = word(0).ok_or_else(|| {
            bad(format!(
                "{XATTR_NAME}: {} bytes, need at least 4",
                bytes.len()
            ))
        })?;
        let effective = magic & FLAGS_EFFECTIVE != 0;
        let (expected, words) = match magic & REVISION_MASK {
            REVISION_1 => (12, 1),
            REVISION_2 => (20, 2),
            REVISION_3 => (24, 2),
            other => {
                return Err(bad(format!(
                    "{XATTR_NAME}: unknown revision {:#x}",
                    other >> 24
                )));
            }
        };
        if bytes.len() != expected {
            return Err(bad(format!(
                "{XATTR_NAME}: revision {} needs {expected} bytes, got {}",
                magic >> 24,
                bytes.len()
            )));
        }
        let mut permitted = 0u64;
        let mut inheritable = 0u64;
        for i in 0..words {
            permitted |= u64::from(word(1 + 2 * i).unwrap_or(0)) << (32 * i);
            inheritable |= u64::from(word(2 + 2 * i).unwrap_or(0)) << (32 * i);
        }
        let root_uid = (magic & REVISION_MASK == REVISION_3).then(|| word(5).unwrap_or(0));
        Ok(FileCaps {
            permitted: CapSet::from_bits(permitted),
            inheritable: CapSet::from_bits(inheritable),
            effective,
            root_uid,
        })
    }

    /// Encodes as revision 2, or revision 3 when `root_uid` is set.
    pub fn encode(&self) -> Vec<u8> {
        let rev = if self.root_uid.is_some() {
            REVISION_3
        } else {
            REVISION_2
        };
        let magic = rev | if self.effective { FLAGS_EFFECTIVE } else { 0 };
        let p = self.permitted.bits();
        let i = self.inheritable.bits();
        let mut out = Vec::with_capacity(24);
        for w in [
            magic,
            p as u32,
            i as u32,
            (p >> 32) as u32,
            (i >> 32) as u32,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        if let Some(uid) = self.root_uid {
            out.extend_from_slice(&uid.to_le_bytes());
        }
        out
    }
}

fn os(op: Operation, path: &Path, e: rustix::io::Errno) -> Error {
    OsError::new(Subsystem::Caps, op, e).path(path).into()
}

/// Reads a file's capabilities (`getxattr(2)` of `security.capability`); `None` when it has
/// none (`ENODATA`).
///
/// # Errors
/// OS errors with the path; a protocol error for an undecodable attribute.
///
/// ```no_run
/// let caps = linx::caps::read_file_caps("/usr/bin/ping")?;
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "getxattr")]
pub fn read_file_caps(path: impl AsRef<Path>) -> Result<Option<FileCaps>> {
    let path = path.as_ref();
    let mut buf = [0u8; 64];
    match rustix::fs::getxattr(path, XATTR_NAME, &mut buf[..]) {
        Ok(n) => FileCaps::decode(buf.get(..n).unwrap_or(&[])).map(Some),
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(e) => Err(os(
            Operation::Syscall("getxattr(security.capability)"),
            path,
            e,
        )),
    }
}

/// Sets a file's capabilities (`setxattr(2)`; needs `CAP_SETFCAP`).
///
/// # Errors
/// OS errors with the path (`EPERM` without `CAP_SETFCAP`, `ENOTSUP` on file systems without
/// security extended attributes).
///
/// ```no_run
/// use linx::caps::{Cap, CapSet, FileCaps};
/// let fc = FileCaps { permitted: Cap::NetRaw.into(), effective: true, ..Default::default() };
/// linx::caps::write_file_caps("/usr/local/bin/myping", &fc)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "setxattr")]
pub fn write_file_caps(path: impl AsRef<Path>, caps: &FileCaps) -> Result<()> {
    let path = path.as_ref();
    rustix::fs::setxattr(
        path,
        XATTR_NAME,
        &caps.encode(),
        rustix::fs::XattrFlags::empty(),
    )
    .map_err(|e| os(Operation::Syscall("setxattr(security.capability)"), path, e))
}

/// Removes a file's capabilities (`removexattr(2)`); removing absent ones succeeds.
///
/// # Errors
/// OS errors with the path.
///
/// ```no_run
/// linx::caps::remove_file_caps("/usr/local/bin/myping")?;
/// # Ok::<(), linx::Error>(())
/// ```
#[doc(alias = "removexattr")]
pub fn remove_file_caps(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    match rustix::fs::removexattr(path, XATTR_NAME) {
        Ok(()) | Err(rustix::io::Errno::NODATA) => Ok(()),
        Err(e) => Err(os(
            Operation::Syscall("removexattr(security.capability)"),
            path,
            e,
        )),
    }
}
