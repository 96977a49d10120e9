//! `/proc/<pid>/mountinfo` parser and formatter (pure; see
//! [proc_pid_mountinfo(5)](https://man7.org/linux/man-pages/man5/proc_pid_mountinfo.5.html)).
//!
//! A line reads `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
//! mount id, parent id, `major:minor`, root, mount point, per-mount options, zero or more optional
//! fields, a `-` separator, filesystem type, source and superblock options. The kernel escapes
//! space, tab, newline and backslash (and, inside superblock option values, also `,` and `=`) as
//! `\ooo` octal; the parser decodes every `\ooo` escape in root, mount point, filesystem type,
//! source and superblock options, the formatter re-escapes space, tab, newline and backslash, so
//! `parse(format(x)) == x` for any bytes.
//!
//! Two parsing modes:
//! * [`parse`] is strict: the first malformed line is an error naming the line and the field.
//! * [`parse_lenient`] (and [`read`], [`read_table`]) skip malformed lines and count them in the
//!   returned [`MountTable`], so one odd line never hides the rest of the table.
//!
//! ```
//! use linx::mount::mountinfo::{self, OptionalField};
//! let text = b"36 35 98:0 / /mnt/with\\040space rw,noatime shared:7 - ext4 /dev/vda1 rw\n";
//! let entries = mountinfo::parse(text)?;
//! assert_eq!(entries[0].mount_point, std::path::Path::new("/mnt/with space"));
//! assert_eq!(entries[0].optional, vec![OptionalField::Shared(7)]);
//! assert_eq!(mountinfo::format(&entries), text.to_vec());
//! # Ok::<(), linx::Error>(())
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};

/// A tagged optional field (propagation state), as listed between the per-mount options and the
/// `-` separator.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OptionalField {
    /// `shared:N`: member of peer group N.
    Shared(u32),
    /// `master:N`: slave of peer group N.
    Master(u32),
    /// `propagate_from:N`: receives propagation from peer group N (nearest dominant).
    PropagateFrom(u32),
    /// `unbindable`.
    Unbindable,
    /// A tag this parser does not know, kept verbatim.
    Other(String),
}

impl OptionalField {
    /// Parses one optional field; unknown tags become [`OptionalField::Other`].
    pub fn parse(s: &str) -> OptionalField {
        let num = |p: &str| s.strip_prefix(p).and_then(|n| n.parse::<u32>().ok());
        if let Some(n) = num("shared:") {
            OptionalField::Shared(n)
        } else if let Some(n) = num("master:") {
            OptionalField::Master(n)
        } else if let Some(n) = num("propagate_from:") {
            OptionalField::PropagateFrom(n)
        } else if s == "unbindable" {
            OptionalField::Unbindable
        } else {
            OptionalField::Other(s.to_owned())
        }
    }
}

impl fmt::Display for OptionalField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionalField::Shared(n) => write!(f, "shared:{n}"),
            OptionalField::Master(n) => write!(f, "master:{n}"),
            OptionalField::PropagateFrom(n) => write!(f, "propagate_from:{n}"),
            OptionalField::Unbindable => f.write_str("unbindable"),
            OptionalField::Other(s) => f.write_str(s),
        }
    }
}

/// One mount, as a line of mountinfo describes it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MountEntry {
    /// Mount id (unique while the mount exists; reused afterwards).
    pub mount_id: u32,
    /// Id of the parent mount (itself for the namespace root; kept as parsed, never checked).
    pub parent_id: u32,
    /// Device major number.
    pub major: u32,
    /// Device minor number.
    pub minor: u32,
    /// Root of the mount within its filesystem (`/` unless a bind mount of a subdirectory).
    pub root: PathBuf,
    /// Mount point relative to the reader's root.
    pub mount_point: PathBuf,
    /// Per-mount options (`rw,nosuid,relatime`).
    pub mount_options: String,
    /// Optional fields (propagation), in the order given.
    pub optional: Vec<OptionalField>,
    /// Filesystem type (with subtype, e.g. `fuse.sshfs`).
    pub fstype: String,
    /// Mount source (`/dev/vda`, `tmpfs`, `none` …), decoded bytes.
    pub source: OsString,
    /// Superblock options (`rw,size=1024k`), decoded bytes (an option value may hold any byte,
    /// e.g. an overlayfs `lowerdir` path).
    pub super_options: OsString,
}

/// The propagation type of a mount, derived from its optional fields the way
/// `findmnt -o PROPAGATION` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropagationState {
    /// `shared:N` present.
    pub shared: bool,
    /// `master:N` present (a slave).
    pub slave: bool,
    /// `unbindable` present.
    pub unbindable: bool,
}

impl fmt::Display for PropagationState {
    /// `shared` or `private`, then `,slave` and `,unbindable` when set (findmnt's format).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.shared { "shared" } else { "private" })?;
        if self.slave {
            f.write_str(",slave")?;
        }
        if self.unbindable {
            f.write_str(",unbindable")?;
        }
        Ok(())
    }
}

impl MountEntry {
    /// A minimal entry (no optional fields), e.g. to build fixtures.
    pub fn new(
        mount_id: u32,
        parent_id: u32,
        mount_point: impl Into<PathBuf>,
        fstype: impl Into<String>,
        source: impl Into<OsString>,
    ) -> MountEntry {
        MountEntry {
            mount_id,
            parent_id,
            major: 0,
            minor: 0,
            root: PathBuf::from("/"),
            mount_point: mount_point.into(),
            mount_options: "rw".into(),
            optional: Vec::new(),
            fstype: fstype.into(),
            source: source.into(),
            super_options: OsString::from("rw"),
        }
    }

    /// The per-mount options as a list.
    pub fn mount_option_list(&self) -> impl Iterator<Item = &str> {
        self.mount_options.split(',').filter(|s| !s.is_empty())
    }

    /// The superblock options as a list (split at `,`; a decoded `\054` inside a value splits too,
    /// so use [`super_options`](MountEntry::super_options) when values may hold commas).
    pub fn super_option_list(&self) -> impl Iterator<Item = &OsStr> {
        self.super_options
            .as_bytes()
            .split(|&b| b == b',')
            .filter(|s| !s.is_empty())
            .map(OsStr::from_bytes)
    }

    /// True when the per-mount options include `ro`.
    pub fn is_read_only(&self) -> bool {
        self.mount_option_list().any(|o| o == "ro")
    }

    /// The peer group of a shared mount (`shared:N`).
    pub fn peer_group(&self) -> Option<u32> {
        self.optional.iter().find_map(|o| match o {
            OptionalField::Shared(n) => Some(*n),
            _ => None,
        })
    }

    /// The master peer group of a slave mount (`master:N`).
    pub fn master(&self) -> Option<u32> {
        self.optional.iter().find_map(|o| match o {
            OptionalField::Master(n) => Some(*n),
            _ => None,
        })
    }

    /// The propagation state (shared / private, slave, unbindable).
    pub fn propagation(&self) -> PropagationState {
        let mut p = PropagationState {
            shared: false,
            slave: false,
            unbindable: false,
        };
        for o in &self.optional {
            match o {
                OptionalField::Shared(_) => p.shared = true,
                OptionalField::Master(_) => p.slave = true,
                OptionalField::Unbindable => p.unbindable = true,
                _ => {}
            }
        }
        p
    }

    /// Formats the entry as one mountinfo line (without the newline).
    pub fn to_line(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.write_line(&mut out);
        out
    }

    fn write_line(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "{} {} {}:{} ",
            self.mount_id, self.parent_id, self.major, self.minor
        );
        escape_into(self.root.as_os_str().as_bytes(), out);
        out.push(b' ');
        escape_into(self.mount_point.as_os_str().as_bytes(), out);
        out.push(b' ');
        out.extend_from_slice(self.mount_options.as_bytes());
        for o in &self.optional {
            let _ = write!(out, " {o}");
        }
        out.extend_from_slice(b" - ");
        escape_into(self.fstype.as_bytes(), out);
        out.push(b' ');
        escape_into(self.source.as_bytes(), out);
        out.push(b' ');
        escape_into(self.super_options.as_bytes(), out);
    }
}

impl MountEntry {
    /// The options as mount(8) lists them: the per-mount options followed by the superblock
    /// options, with a single leading `ro` (if either side is read-only) or `rw`; identical lists
    /// are shown once. `rw,relatime` + `rw,size=4k` gives `rw,relatime,size=4k`.
    pub fn merged_options(&self) -> String {
        let fs = self.super_options.to_string_lossy();
        if self.mount_options == fs {
            return self.mount_options.clone();
        }
        let mut read_only = false;
        let mut rest: Vec<&str> = Vec::new();
        for opt in self
            .mount_options
            .split(',')
            .chain(fs.split(','))
            .filter(|o| !o.is_empty())
        {
            match opt {
                "ro" => read_only = true,
                "rw" => {}
                other => rest.push(other),
            }
        }
        let mut out = String::from(if read_only { "ro" } else { "rw" });
        for opt in rest {
            out.push(',');
            out.push_str(opt);
        }
        out
    }
}

impl fmt::Display for MountEntry {
    /// mount(8) style: `/dev/sda1 on / type ext4 (rw,relatime,errors=remount-ro)`, options from
    /// [`MountEntry::merged_options`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {} type {} ({})",
            self.source.to_string_lossy(),
            self.mount_point.display(),
            self.fstype,
            self.merged_options()
        )
    }
}

fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend_from_slice(&[
                b'\\',
                b'0' + (b >> 6),
                b'0' + ((b >> 3) & 7),
                b'0' + (b & 7),
            ]);
        } else {
            out.push(b);
        }
    }
}

/// Undoes `\ooo` octal escapes; a backslash not followed by three octal digits (or by a value
/// above `\377`) is kept.
pub fn unescape(field: &[u8]) -> Vec<u8> {
    if !field.contains(&b'\\') {
        return field.to_vec();
    }
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\'
            && i + 4 <= field.len()
            && field[i + 1..i + 4]
                .iter()
                .all(|d| (b'0'..=b'7').contains(d))
        {
            let v = u32::from(field[i + 1] - b'0') * 64
                + u32::from(field[i + 2] - b'0') * 8
                + u32::from(field[i + 3] - b'0');
            if let Ok(b) = u8::try_from(v) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(field[i]);
        i += 1;
    }
    out
}

fn bad(line_no: usize, what: &str) -> Error {
    Error::protocol(
        Subsystem::Mount,
        ProtocolKind::Malformed,
        format!("mountinfo line {line_no}: {what}"),
    )
}

fn utf8(b: Vec<u8>, line_no: usize, what: &str) -> Result<String> {
    String::from_utf8(b).map_err(|_| bad(line_no, &format!("{what} is not UTF-8")))
}

fn num(b: &[u8], line_no: usize, what: &str) -> Result<u32> {
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return Err(bad(line_no, &format!("{what} is not a number")));
    }
    b.iter()
        .try_fold(0u32, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
        .ok_or_else(|| bad(line_no, &format!("{what} is out of range")))
}

/// Parses one mountinfo line (`line_no` is used in error messages).
///
/// # Errors
/// A protocol error naming the line and the field that does not parse: fewer than the ten
/// mandatory fields, no `-` separator, a non-numeric id or device, or a non-UTF-8 option list or
/// filesystem type.
pub fn parse_line(line: &[u8], line_no: usize) -> Result<MountEntry> {
    let mut fields = line.split(|&b| b == b' ');
    let mut next = |what: &str| fields.next().ok_or_else(|| bad(line_no, what));
    let mount_id = num(next("no mount id")?, line_no, "mount id")?;
    let parent_id = num(next("no parent id")?, line_no, "parent id")?;
    let dev = next("no device")?;
    let colon = dev
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| bad(line_no, "device is not major:minor"))?;
    let major = num(&dev[..colon], line_no, "major")?;
    let minor = num(&dev[colon + 1..], line_no, "minor")?;
    let root = next("no root")?;
    let mount_point = next("no mount point")?;
    let mount_options = next("no mount options")?;
    let mut optional = Vec::new();
    loop {
        let f = next("no ' - ' separator")?;
        if f == b"-" {
            break;
        }
        if f.is_empty() {
            return Err(bad(line_no, "empty optional field"));
        }
        let s = std::str::from_utf8(f).map_err(|_| bad(line_no, "optional field is not UTF-8"))?;
        optional.push(OptionalField::parse(s));
    }
    let fstype = next("no filesystem type")?;
    let source = next("no source")?;
    let first_super = next("no superblock options")?;
    // Superblock options never contain a raw space, but tolerate extra fields by joining them.
    let mut super_options = unescape(first_super);
    for extra in fields {
        super_options.push(b' ');
        super_options.extend(unescape(extra));
    }
    Ok(MountEntry {
        mount_id,
        parent_id,
        major,
        minor,
        root: PathBuf::from(OsString::from_vec(unescape(root))),
        mount_point: PathBuf::from(OsString::from_vec(unescape(mount_point))),
        mount_options: utf8(mount_options.to_vec(), line_no, "mount options")?,
        optional,
        fstype: utf8(unescape(fstype), line_no, "filesystem type")?,
        source: OsString::from_vec(unescape(source)),
        super_options: OsString::from_vec(super_options),
    })
}

/// Parses a whole mountinfo text strictly; empty lines are skipped.
///
/// # Errors
/// The first malformed line, as a protocol error naming it (see [`parse_line`]).
pub fn parse(data: &[u8]) -> Result<Vec<MountEntry>> {
    data.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| parse_line(l, i + 1))
        .collect()
}

/// A line [`parse_lenient`] could not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped (the protocol error's text).
    pub reason: String,
}

/// A parsed mount table: the entries, plus the malformed lines that were skipped.
///
/// Dereferences to `[MountEntry]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountTable {
    /// The mounts, in file order (parents before children).
    pub entries: Vec<MountEntry>,
    /// Malformed lines that were skipped (empty lines are not counted).
    pub skipped: Vec<SkippedLine>,
}

impl MountTable {
    /// The last mount whose mount point is `path` (the one on top, visible at that path).
    pub fn find(&self, path: impl AsRef<Path>) -> Option<&MountEntry> {
        let path = path.as_ref();
        self.entries.iter().rev().find(|e| e.mount_point == path)
    }

    /// The mount with this id.
    pub fn by_id(&self, id: u32) -> Option<&MountEntry> {
        self.entries.iter().find(|e| e.mount_id == id)
    }

    /// The namespace's root mount: the first entry whose mount point is `/`.
    pub fn root(&self) -> Option<&MountEntry> {
        self.entries
            .iter()
            .find(|e| e.mount_point.as_os_str() == "/")
    }
}

impl std::ops::Deref for MountTable {
    type Target = [MountEntry];
    fn deref(&self) -> &[MountEntry] {
        &self.entries
    }
}

impl IntoIterator for MountTable {
    type Item = MountEntry;
    type IntoIter = std::vec::IntoIter<MountEntry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// Parses a whole mountinfo text, skipping (and counting) malformed lines; never fails.
///
/// ```
/// let t = linx::mount::mountinfo::parse_lenient(b"1 0 0:1 / / rw - ext4 /dev/vda rw\ntruncated 1 2\n");
/// assert_eq!(t.entries.len(), 1);
/// assert_eq!(t.skipped.len(), 1);
/// assert_eq!(t.skipped[0].line, 2);
/// ```
pub fn parse_lenient(data: &[u8]) -> MountTable {
    let mut table = MountTable {
        entries: Vec::with_capacity(data.len() / 100 + 1),
        skipped: Vec::new(),
    };
    for (i, l) in data.split(|&b| b == b'\n').enumerate() {
        if l.is_empty() {
            continue;
        }
        match parse_line(l, i + 1) {
            Ok(e) => table.entries.push(e),
            Err(e) => table.skipped.push(SkippedLine {
                line: i + 1,
                reason: e.to_string(),
            }),
        }
    }
    table
}

/// Formats entries back into mountinfo text (one line each, newline-terminated).
pub fn format(entries: &[MountEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 100);
    for e in entries {
        e.write_line(&mut out);
        out.push(b'\n');
    }
    out
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        OsError::new(
            Subsystem::Mount,
            Operation::Read,
            rustix::io::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        )
        .path(path)
        .into()
    })
}

/// Reads and parses a mountinfo file (e.g. `/proc/self/mountinfo`, `/proc/<pid>/mountinfo`),
/// skipping malformed lines (use [`read_table`] to see them).
///
/// # Errors
/// An OS error (operation `read`) naming the path.
pub fn read(path: impl AsRef<Path>) -> Result<Vec<MountEntry>> {
    read_table(path).map(|t| t.entries)
}

/// Reads and parses a mountinfo file, returning the skipped lines too.
///
/// # Errors
/// An OS error (operation `read`) naming the path.
pub fn read_table(path: impl AsRef<Path>) -> Result<MountTable> {
    Ok(parse_lenient(&read_bytes(path.as_ref())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kernel_lines_and_round_trips() {
        let text = b"36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n\
50 41 0:40 / /weird rw unbindable propagate_from:3 x-new:5 - tmpfs back\\134slash rw\n";
        let v = parse(text).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].mount_point, Path::new("/mnt with space"));
        assert_eq!(
            v[0].optional,
            vec![OptionalField::Master(1), OptionalField::Shared(7)]
        );
        assert_eq!(v[0].fstype, "ext3");
        assert_eq!(v[1].fstype, "cgroup2");
        assert_eq!(v[1].optional, vec![]);
        assert_eq!(v[2].source, OsString::from("back\\slash"));
        assert_eq!(
            v[2].optional,
            vec![
                OptionalField::Unbindable,
                OptionalField::PropagateFrom(3),
                OptionalField::Other("x-new:5".into())
            ]
        );
        assert_eq!(format(&v), text.to_vec());
        assert_eq!(parse(&format(&v)).unwrap(), v);
        assert_eq!(v[0].propagation().to_string(), "shared,slave");
        assert_eq!(v[2].propagation().to_string(), "private,unbindable");
        assert_eq!(
            v[1].to_string(),
            "cgroup2 on /sys/fs/cgroup/unified type cgroup2 (rw,relatime)"
        );
    }

    #[test]
    fn decodes_super_options_and_fstype() {
        let v = parse(b"1 0 0:1 / / rw - fuse.a\\040b src lowerdir=/a\\054b,x=\\075 \n").unwrap();
        assert_eq!(v[0].fstype, "fuse.a b");
        // The trailing raw space becomes an empty extra field, joined back.
        assert_eq!(v[0].super_options, OsString::from("lowerdir=/a,b,x== "));
        assert_eq!(parse(&format(&v)).unwrap(), v);
    }

    #[test]
    fn rejects_malformed_lines_without_panicking() {
        for bad in [
            &b"x"[..],
            b"1 2 3:4 / / rw",
            b"a 2 3:4 / / rw - ext4 src rw",
            b"1 2 34 / / rw - ext4 src rw",
            b"1 2 3:4 / / rw -",
            b"- - - - - - -",
            b"1 2 3:4 / / rw  - ext4 src rw",
            b"99999999999 2 3:4 / / rw - ext4 src rw",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
            assert_eq!(parse_lenient(bad).skipped.len(), 1);
        }
        assert_eq!(unescape(b"a\\0"), b"a\\0");
        assert_eq!(unescape(b"\\777x"), b"\\777x");
        assert_eq!(unescape(b"\\012"), b"\n");
        assert_eq!(unescape(b"\\01"), b"\\01");
        assert_eq!(unescape(b"x\\"), b"x\\");
    }

    #[test]
    fn reads_own_mountinfo() {
        let v = read("/proc/self/mountinfo").unwrap();
        assert!(v.iter().any(|m| m.mount_point == Path::new("/")));
        let t = read_table("/proc/self/mountinfo").unwrap();
        assert!(t.skipped.is_empty(), "{:?}", t.skipped);
        assert!(t.root().is_some());
    }
}
