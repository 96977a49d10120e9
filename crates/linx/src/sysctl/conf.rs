//! sysctl.conf / sysctl.d parsing (pure), as `sysctl -p` (procps-ng 4) and systemd-sysctl read
//! it. See [sysctl.conf(5)](https://man7.org/linux/man-pages/man5/sysctl.conf.5.html).

use std::fmt;

use super::key::Key;

/// One setting line of a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfEntry {
    /// 1-based line number.
    pub line: usize,
    /// The key; may hold glob characters (`*`, `?`, `[…]`) per component.
    pub key: Key,
    /// The value, whitespace-trimmed; `None` for an exclusion line (`-key` without `=`), which
    /// keeps a glob from setting that key.
    pub value: Option<String>,
    /// A leading `-`: a failure to set the key (missing key, refused value) is ignored.
    pub ignore_errors: bool,
}

/// A line that is neither a setting, a comment nor blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfDiagnostic {
    /// 1-based line number.
    pub line: usize,
    /// The line as written.
    pub text: String,
    /// Why it was skipped.
    pub reason: String,
}

impl fmt::Display for ConfDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {:?}", self.line, self.reason, self.text)
    }
}

/// A parsed config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conf {
    /// Settings and exclusions, in file order.
    pub entries: Vec<ConfEntry>,
    /// Lines skipped as invalid (sysctl(8) warns and continues).
    pub diagnostics: Vec<ConfDiagnostic>,
}

/// Parses sysctl.conf text. Never fails and never panics: invalid lines become diagnostics.
///
/// Syntax, per line (leading whitespace ignored): blank or `#`/`;` comment lines are skipped;
/// `key = value` sets (both sides trimmed; the key in dot or slash form, globs allowed);
/// `-key = value` sets and ignores failure; `-key` alone excludes the key from globs.
///
/// ```
/// let conf = linx::sysctl::parse_conf("# c\n; c\nnet.ipv4.ip_forward = 1\n-net.nosuch.key=2\nbogus\n");
/// assert_eq!(conf.entries.len(), 2);
/// assert!(conf.entries[1].ignore_errors);
/// assert_eq!(conf.diagnostics.len(), 1);
/// ```
pub fn parse_conf(text: &str) -> Conf {
    let mut conf = Conf::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim_start();
        if t.trim_end().is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        let diag = |reason: String| ConfDiagnostic {
            line,
            text: raw.to_owned(),
            reason,
        };
        let (key_text, value, ignore_errors) = match t.split_once('=') {
            Some((k, v)) => {
                let (k, ignore) = match k.strip_prefix('-') {
                    Some(rest) => (rest, true),
                    None => (k, false),
                };
                (k.trim(), Some(v.trim().to_owned()), ignore)
            }
            None => match t.strip_prefix('-') {
                Some(rest) => (rest.trim(), None, false),
                None => {
                    conf.diagnostics
                        .push(diag("invalid syntax (expected key = value)".into()));
                    continue;
                }
            },
        };
        if let Some(v) = &value
            && v.contains('\0')
        {
            conf.diagnostics.push(diag("value contains NUL".into()));
            continue;
        }
        match Key::parse(key_text) {
            Ok(key) => conf.entries.push(ConfEntry {
                line,
                key,
                value,
                ignore_errors,
            }),
            Err(e) => conf.diagnostics.push(diag(match e {
                crate::Error::Input(i) => format!("invalid key: {}", i.reason),
                other => other.to_string(),
            })),
        }
    }
    conf
}

/// Reads and parses a config file ([`parse_conf`]).
///
/// # Errors
/// An OS error with the path when the file cannot be read.
///
/// ```no_run
/// let conf = linx::sysctl::read_conf("/etc/sysctl.d/99-router.conf")?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn read_conf(path: impl AsRef<std::path::Path>) -> crate::Result<Conf> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| {
        crate::error::OsError::new(
            crate::error::Subsystem::Sysctl,
            crate::error::Operation::Read,
            rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
        )
        .path(path)
    })?;
    Ok(parse_conf(&String::from_utf8_lossy(&bytes)))
}
