//! `/proc/<pid>/mountinfo` parser and formatter (pure; see
//! [proc_pid_mountinfo(5)](https://man7.org/linux/man-pages/man5/proc_pid_mountinfo.5.html)).
//!
//! A line reads `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
//! mount id, parent id, `major:minor`, root, mount point, per-mount options, zero or more optional
//! fields, a `-` separator, filesystem type, source and superblock options. Paths and the source
//! escape space, tab, newline and backslash as `\ooo` octal; the parser undoes that, the formatter
//! redoes it, so `parse(format(x)) == x`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};

/// A tagged optional field (propagation state).
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
    fn parse(s: &str) -> OptionalField {
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

impl std::fmt::Display for OptionalField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
    /// Unique mount id.
    pub mount_id: u32,
    /// Id of the parent mount (itself for the namespace root).
    pub parent_id: u32,
    /// Device major number.
    pub major: u32,
    /// Device minor number.
    pub minor: u32,
    /// Root of the mount within its filesystem.
    pub root: PathBuf,
    /// Mount point relative to the reader's root.
    pub mount_point: PathBuf,
    /// Per-mount options (`rw,nosuid,relatime`).
    pub mount_options: String,
    /// Optional fields (propagation).
    pub optional: Vec<OptionalField>,
    /// Filesystem type (with subtype, e.g. `fuse.sshfs`).
    pub fstype: String,
    /// Mount source (`/dev/vda`, `tmpfs`, `none` …).
    pub source: OsString,
    /// Superblock options.
    pub super_options: String,
}

impl MountEntry {
    /// The per-mount options as a list.
    pub fn mount_option_list(&self) -> impl Iterator<Item = &str> {
        self.mount_options.split(',').filter(|s| !s.is_empty())
    }

    /// The superblock options as a list.
    pub fn super_option_list(&self) -> impl Iterator<Item = &str> {
        self.super_options.split(',').filter(|s| !s.is_empty())
    }

    /// Formats the entry as one mountinfo line (without the newline).
    pub fn to_line(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(
            format!(
                "{} {} {}:{} ",
                self.mount_id, self.parent_id, self.major, self.minor
            )
            .as_bytes(),
        );
        escape_into(self.root.as_os_str().as_bytes(), &mut out);
        out.push(b' ');
        escape_into(self.mount_point.as_os_str().as_bytes(), &mut out);
        out.push(b' ');
        out.extend_from_slice(self.mount_options.as_bytes());
        for o in &self.optional {
            out.push(b' ');
            out.extend_from_slice(o.to_string().as_bytes());
        }
        out.extend_from_slice(b" - ");
        out.extend_from_slice(self.fstype.as_bytes());
        out.push(b' ');
        escape_into(self.source.as_bytes(), &mut out);
        out.push(b' ');
        out.extend_from_slice(self.super_options.as_bytes());
        out
    }
}

fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// Undoes `\ooo` octal escapes; a backslash not followed by three octal digits is kept.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\'
            && i + 3 < field.len()
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

fn text(b: &[u8], line_no: usize, what: &str) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| bad(line_no, &format!("{what} is not UTF-8")))
}

/// Parses one mountinfo line (`line_no` is used in error messages).
///
/// # Errors
/// A protocol error naming the line and the field that does not parse.
pub fn parse_line(line: &[u8], line_no: usize) -> Result<MountEntry> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let sep = fields
        .iter()
        .position(|f| *f == b"-")
        .ok_or_else(|| bad(line_no, "no ' - ' separator"))?;
    if sep < 6 || fields.len() < sep + 4 {
        return Err(bad(line_no, "too few fields"));
    }
    let num = |b: &[u8], what: &str| -> Result<u32> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(line_no, &format!("{what} is not a number")))
    };
    let (maj, min) = {
        let mut it = fields[2].splitn(2, |&b| b == b':');
        let maj = it.next().unwrap_or_default();
        let min = it
            .next()
            .ok_or_else(|| bad(line_no, "device is not major:minor"))?;
        (num(maj, "major")?, num(min, "minor")?)
    };
    let optional = fields[6..sep]
        .iter()
        .map(|f| text(f, line_no, "optional field").map(|s| OptionalField::parse(&s)))
        .collect::<Result<Vec<_>>>()?;
    // Superblock options never contain spaces, but tolerate extra fields by joining them.
    let super_options = fields[sep + 3..]
        .iter()
        .map(|f| text(f, line_no, "superblock options"))
        .collect::<Result<Vec<_>>>()?
        .join(" ");
    Ok(MountEntry {
        mount_id: num(fields[0], "mount id")?,
        parent_id: num(fields[1], "parent id")?,
        major: maj,
        minor: min,
        root: PathBuf::from(OsString::from_vec(unescape(fields[3]))),
        mount_point: PathBuf::from(OsString::from_vec(unescape(fields[4]))),
        mount_options: text(fields[5], line_no, "mount options")?,
        optional,
        fstype: text(fields[sep + 1], line_no, "filesystem type")?,
        source: OsString::from_vec(unescape(fields[sep + 2])),
        super_options,
    })
}

/// Parses a whole mountinfo text; empty lines are skipped.
pub fn parse(data: &[u8]) -> Result<Vec<MountEntry>> {
    data.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| parse_line(l, i + 1))
        .collect()
}

/// Formats entries back into mountinfo text (one line each, newline-terminated).
pub fn format(entries: &[MountEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(e.to_line());
        out.push(b'\n');
    }
    out
}

/// Reads and parses a mountinfo file (e.g. `/proc/self/mountinfo`, `/proc/<pid>/mountinfo`).
///
/// # Errors
/// An OS error naming the path, or a protocol error for malformed content.
pub fn read(path: impl AsRef<Path>) -> Result<Vec<MountEntry>> {
    let path = path.as_ref();
    let data = std::fs::read(path).map_err(|e| {
        OsError::new(
            Subsystem::Mount,
            Operation::Read,
            rustix::io::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        )
        .path(path)
    })?;
    parse(&data)
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
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(unescape(b"a\\0"), b"a\\0");
        assert_eq!(unescape(b"\\777x"), b"\\777x");
        assert_eq!(unescape(b"\\012"), b"\n");
    }

    #[test]
    fn reads_own_mountinfo() {
        let v = read("/proc/self/mountinfo").unwrap();
        assert!(v.iter().any(|m| m.mount_point == Path::new("/")));
    }
}
