//! Reading, writing and listing `/proc/sys` in a namespace target.

use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustix::io::Errno;

use super::conf::{Conf, ConfEntry};
use super::key::{AsKey, Key, Value, glob_match, parse_int};
use crate::error::{Error, Operation, OsError, Result, Subsystem};
use crate::ns::{NsKind, NsSet, NsTarget};

/// Largest value read: a longer one is an `EFBIG` error, never silently truncated.
pub const MAX_VALUE: usize = 64 * 1024;

/// Deepest directory nesting [`Sysctl::list`] descends into.
pub const MAX_DEPTH: usize = 32;

/// One key and its value, as read.
///
/// `Display` is sysctl(8)'s `key = value` (a value longer than 200 characters is shortened
/// with `…` in `Display` only); [`Entry::sysctl_lines`] gives sysctl(8)'s exact output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The key.
    pub key: Key,
    /// The file's content exactly as read (usually ending with a newline).
    pub raw: String,
}

impl Entry {
    /// The value with trailing whitespace trimmed.
    pub fn value(&self) -> &str {
        self.raw.trim_end()
    }

    /// The lines sysctl(8) prints for this entry: `key = line` for every line of the value
    /// (multi-line values such as `dev.cdrom.info` repeat the key), nothing for an empty file.
    pub fn sysctl_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.raw.lines().map(move |l| format!("{} = {l}", self.key))
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.value();
        if v.chars().count() > 200 {
            let short: String = v.chars().take(199).collect();
            write!(f, "{} = {short}…", self.key)
        } else {
            write!(f, "{} = {v}", self.key)
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Entry {
    /// `{"key": "net.ipv4.ip_forward", "value": "0"}` (value trimmed).
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("value", self.value())?;
        m.end()
    }
}

/// Why [`Sysctl::list`] left an entry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The file has no read permission (e.g. `vm.drop_caches`, `net.ipv4.route.flush`).
    WriteOnly,
    /// A deprecated name sysctl(8) leaves out of listings ([`Key::is_deprecated`]).
    Deprecated,
    /// Reading it has side effects ([`Key::has_read_side_effects`]).
    SideEffects,
    /// Deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A directory entry whose name is not a valid key component.
    BadName,
    /// Reading failed (`EACCES`, `EPERM`, `EIO` — e.g. an unset `stable_secret` …).
    Error(Errno),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::WriteOnly => f.write_str("write-only"),
            SkipReason::Deprecated => f.write_str("deprecated"),
            SkipReason::SideEffects => f.write_str("reading has side effects"),
            SkipReason::TooDeep => f.write_str("too deep"),
            SkipReason::BadName => f.write_str("not a valid key component"),
            SkipReason::Error(e) => crate::error::fmt_errno(*e, f),
        }
    }
}

/// An entry [`Sysctl::list`] skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Skipped {
    /// The key (for [`SkipReason::BadName`], the parent directory's key).
    pub key: Key,
    /// Why.
    pub reason: SkipReason,
}

/// The result of [`Sysctl::list`]: entries sorted by key (component by component, as the kernel
/// orders each directory), and what was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Readable entries, sorted.
    pub entries: Vec<Entry>,
    /// Skipped entries, sorted.
    pub skipped: Vec<Skipped>,
}

#[cfg(feature = "serde")]
impl serde::Serialize for Listing {
    /// `{"entries": [{"key", "value"}…], "skipped": [{"key", "reason"}…]}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Skips<'a>(&'a [Skipped]);
        impl serde::Serialize for Skips<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for k in self.0 {
                    let mut m = std::collections::BTreeMap::new();
                    m.insert("key", k.key.to_string());
                    m.insert("reason", k.reason.to_string());
                    seq.serialize_element(&m)?;
                }
                seq.end()
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("entries", &self.entries)?;
        m.serialize_entry("skipped", &Skips(&self.skipped))?;
        m.end()
    }
}

/// What happened to one setting of a config file ([`Sysctl::apply_conf`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written.
    Applied,
    /// Left alone because an exclusion (`-key`) or an explicit setting overrides the glob.
    Excluded,
    /// Failed, but the line had a leading `-`.
    Ignored(Error),
    /// Failed.
    Failed(Error),
}

/// One key of a [`ConfReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfItem {
    /// Line number in the file.
    pub line: usize,
    /// The key written (a glob's expansion gives one item per matching key).
    pub key: Key,
    /// The value.
    pub value: String,
    /// What happened.
    pub outcome: Outcome,
}

impl fmt::Display for ConfItem {
    /// `key = value` for applied settings (sysctl(8)'s output), otherwise the key and what
    /// happened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Applied => write!(f, "{} = {}", self.key, self.value),
            Outcome::Excluded => write!(f, "{}: excluded", self.key),
            Outcome::Ignored(e) => write!(f, "{}: ignored: {e}", self.key),
            Outcome::Failed(e) => write!(f, "{}: failed: {e}", self.key),
        }
    }
}

/// The per-key report of [`Sysctl::apply_conf`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfReport {
    /// One item per key, in file order.
    pub items: Vec<ConfItem>,
}

impl ConfReport {
    /// True when no setting failed (ignored failures do not count).
    pub fn is_success(&self) -> bool {
        !self
            .items
            .iter()
            .any(|i| matches!(i.outcome, Outcome::Failed(_)))
    }
}

/// Access to `/proc/sys` in a namespace target (see
/// [proc_sys(5)](https://man7.org/linux/man-pages/man5/proc_sys.5.html)).
///
/// Values resolve in the namespaces *of the task doing the access*, so each operation runs on
/// a worker thread ([`NsTarget::run`]) that joins only the namespace that routes the key
/// ([`Key::namespace`]) and only when it differs from the caller's; global keys are accessed in
/// the caller's namespaces whatever the target. The mount namespace is never joined (the target
/// may not have `/proc` mounted): the worker uses the caller's `/proc`.
///
/// * A process target (pid, pidfd) joins the net, UTS or IPC namespace a key needs.
/// * A namespace file or fd target (`--netns`) names one namespace: keys routed to that kind are
///   accessed in it, everything else in the caller's namespaces (as `ip netns exec` would).
/// * `user.*` keys of a target in another user namespace are accessed by a short-lived forked
///   helper process (a multithreaded process cannot join a user namespace).
///
/// ```no_run
/// use linx::sysctl::Sysctl;
/// use linx::ns::NsTarget;
/// let host = Sysctl::current();
/// assert_eq!(host.read("kernel.ostype")?, "Linux");
/// let netns = Sysctl::new("/run/netns/blue".parse::<NsTarget>()?);
/// netns.write("net.ipv4.ip_forward", 1)?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sysctl {
    target: NsTarget,
    kinds: NsSet,
}

impl Default for Sysctl {
    fn default() -> Sysctl {
        Sysctl::current()
    }
}

/// What runs on the worker thread may fail either way.
type Inner<T> = std::result::Result<T, Error>;

impl Sysctl {
    /// Access in `target`'s namespaces.
    pub fn new(target: NsTarget) -> Sysctl {
        Sysctl {
            target,
            kinds: NsSet::NET | NsSet::UTS | NsSet::IPC | NsSet::USER,
        }
    }

    /// Restricts which of the target's namespaces are ever joined (default: net, UTS, IPC and
    /// user); keys routed to other kinds are accessed in the caller's namespaces. For example
    /// `--netns PID` means only the process's network namespace: `with_kinds(NsSet::NET)`.
    pub fn with_kinds(mut self, kinds: NsSet) -> Sysctl {
        self.kinds = kinds;
        self
    }

    /// Access in the caller's own namespaces.
    pub fn current() -> Sysctl {
        Sysctl::new(NsTarget::Current)
    }

    /// The target.
    pub fn target(&self) -> &NsTarget {
        &self.target
    }

    fn target_context(&self) -> Option<String> {
        (!self.target.is_current()).then(|| self.target.to_string())
    }

    fn os(&self, op: Operation, key: &Key, errno: Errno) -> Error {
        let mut e = OsError::new(Subsystem::Sysctl, op, errno)
            .key(key.to_string())
            .path(key.path());
        if let Some(t) = self.target_context() {
            e = e.target(t);
        }
        e.into()
    }

    /// The namespaces of `wanted` to join for this target: only kinds the target names and
    /// that differ from the calling thread's. The user namespace comes back separately as an
    /// open fd (it needs the forked helper).
    fn plan(&self, wanted: NsSet) -> Result<(NsSet, Option<OwnedFd>)> {
        let wanted = wanted & self.kinds;
        let candidates = match &self.target {
            NsTarget::Current => return Ok((NsSet::empty(), None)),
            NsTarget::Pid(_) | NsTarget::Pidfd(_) => wanted,
            NsTarget::Named(_) => wanted & NsSet::NET,
            NsTarget::Path(p) => {
                let fd = open_ro(p).map_err(|e| {
                    Error::from(OsError::new(Subsystem::Sysctl, Operation::Open, e).path(p))
                })?;
                wanted & crate::ns::kind_of(fd.as_fd())?.set()
            }
            NsTarget::Fd(fd) => wanted & crate::ns::kind_of(fd.as_fd())?.set(),
        };
        let mut join = NsSet::empty();
        let mut user = None;
        for kind in candidates.kinds() {
            let fd = self.target.open(kind)?;
            if same_namespace(&fd, kind) {
                continue;
            }
            if kind == NsKind::User {
                user = Some(fd);
            } else {
                join |= kind.set();
            }
        }
        Ok((join, user))
    }

    /// Runs `f` on a thread in the namespaces `wanted` needs (user namespace excluded).
    fn run<T: Send>(&self, wanted: NsSet, f: impl FnOnce() -> Inner<T> + Send) -> Result<T> {
        let (join, _) = self.plan(wanted - NsSet::USER)?;
        self.target.run(join, f)?
    }

    /// The user-namespace fd to use for `key`, when it is a `user.*` key and the target's user
    /// namespace differs from the caller's.
    fn user_ns_for(&self, key: &Key) -> Result<Option<OwnedFd>> {
        if key.namespace() != Some(NsKind::User) {
            return Ok(None);
        }
        Ok(self.plan(NsSet::USER)?.1)
    }

    /// Reads a key's raw content (exactly the file's bytes, lossily decoded as UTF-8).
    ///
    /// # Errors
    /// An input error for an invalid key; an OS error with key, path, operation `read`, errno
    /// and target: `ENOENT` for a key this kernel or namespace does not have, `EACCES` for a
    /// write-only one, `EFBIG` for a value over 64 KiB.
    ///
    /// ```
    /// let raw = linx::sysctl::Sysctl::current().read_raw("kernel.ostype")?;
    /// assert_eq!(raw, "Linux\n");
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn read_raw(&self, key: impl AsKey) -> Result<String> {
        let key = key.as_key()?;
        let key: &Key = &key;
        if let Some(userns) = self.user_ns_for(key)? {
            let bytes = helper::access(&userns, &key.path(), None)
                .map_err(|(op, e)| self.os(op, key, e))?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let path = key.path();
        self.run(key.namespace().map_or(NsSet::empty(), NsKind::set), || {
            read_file(&path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| self.os(Operation::Read, key, e))
        })
    }

    /// Reads a key, trailing whitespace trimmed (`kernel.printk` → `"4\t4\t1\t7"`).
    ///
    /// # Errors
    /// As [`Sysctl::read_raw`].
    ///
    /// ```
    /// assert_eq!(linx::sysctl::Sysctl::current().read("kernel.ostype")?, "Linux");
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn read(&self, key: impl AsKey) -> Result<String> {
        let mut s = self.read_raw(key)?;
        s.truncate(s.trim_end().len());
        Ok(s)
    }

    /// Reads a key holding one integer.
    ///
    /// # Errors
    /// As [`Sysctl::read_raw`]; an input error carrying the raw token when the value is not one
    /// integer.
    ///
    /// ```
    /// let s = linx::sysctl::Sysctl::current().read_int("vm.swappiness")?;
    /// assert!((0..=200).contains(&s));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn read_int(&self, key: impl AsKey) -> Result<i64> {
        let key = key.as_key()?;
        let v = self.read(&*key)?;
        let mut tokens = v.split_whitespace();
        match (tokens.next(), tokens.next()) {
            (Some(t), None) => parse_int(t, &key),
            _ => Err(Error::input(
                Subsystem::Sysctl,
                "integer value",
                v.as_str(),
                format!("{} does not hold exactly one integer", &*key),
            )),
        }
    }

    /// Reads a key holding whitespace-separated integers (`kernel.printk` gives 4,
    /// `net.ipv4.tcp_rmem` 3).
    ///
    /// # Errors
    /// As [`Sysctl::read_raw`]; an input error carrying the first token that is not an integer.
    ///
    /// ```
    /// let p = linx::sysctl::Sysctl::current().read_ints("kernel.printk")?;
    /// assert_eq!(p.len(), 4);
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn read_ints(&self, key: impl AsKey) -> Result<Vec<i64>> {
        let key = key.as_key()?;
        let v = self.read(&*key)?;
        v.split_whitespace().map(|t| parse_int(t, &key)).collect()
    }

    /// Writes a value (its `Display` text, no newline added) in one `write(2)`.
    ///
    /// # Errors
    /// Input errors for an invalid key or value (newline/NUL in a string, empty list) before
    /// any file access; OS errors with key, path, operation `write`, errno and target
    /// (`EINVAL` for a value the kernel rejects, `EACCES`/`EPERM` without privilege, `EROFS`
    /// for a read-only `/proc/sys`).
    ///
    /// ```no_run
    /// linx::sysctl::Sysctl::current().write("net.ipv4.ip_forward", 1)?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn write(&self, key: impl AsKey, value: impl Into<Value>) -> Result<()> {
        let key = key.as_key()?;
        let key: &Key = &key;
        let value = value.into();
        value.validate()?;
        let text = value.to_string();
        if let Some(userns) = self.user_ns_for(key)? {
            return helper::access(&userns, &key.path(), Some(text.as_bytes()))
                .map(|_| ())
                .map_err(|(op, e)| self.os(op, key, e));
        }
        let path = key.path();
        self.run(key.namespace().map_or(NsSet::empty(), NsKind::set), || {
            write_file(&path, text.as_bytes()).map_err(|e| self.os(Operation::Write, key, e))
        })
    }

    /// Reads the key and writes only when the value differs (compared after trimming, and for
    /// integer values by number); returns whether it wrote.
    ///
    /// # Errors
    /// As [`Sysctl::read_raw`] and [`Sysctl::write`].
    ///
    /// ```no_run
    /// let changed = linx::sysctl::Sysctl::current().write_if_different("net.ipv4.ip_forward", 1)?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn write_if_different(&self, key: impl AsKey, value: impl Into<Value>) -> Result<bool> {
        let key = key.as_key()?;
        let value = value.into();
        value.validate()?;
        let current = self.read(&*key)?;
        let same = match &value {
            Value::Int(i) => current.trim().parse::<i64>().ok() == Some(*i),
            Value::Ints(v) => {
                current
                    .split_whitespace()
                    .map(|t| t.parse::<i64>().ok())
                    .collect::<Option<Vec<i64>>>()
                    .as_ref()
                    == Some(v)
            }
            Value::Str(s) => current == s.trim_end(),
        };
        if same {
            return Ok(false);
        }
        self.write(&*key, value)?;
        Ok(true)
    }

    /// Lists the subtree at `prefix`: every readable entry with its value, sorted by key
    /// (component by component), plus what was skipped and why — write-only files, deprecated
    /// names and `stat_refresh` (as sysctl(8) leaves them out), entries whose read failed
    /// (`EACCES`, `EPERM`, `EIO` …), and anything deeper than 32 levels. A leaf prefix gives one
    /// entry (or its read error).
    ///
    /// # Errors
    /// An OS error `ENOENT` with key and path for a missing prefix; input errors for an invalid
    /// prefix.
    ///
    /// ```
    /// let l = linx::sysctl::Sysctl::current().list("kernel.random")?;
    /// assert!(l.entries.iter().any(|e| e.key.to_string() == "kernel.random.boot_id"));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn list(&self, prefix: impl AsKey) -> Result<Listing> {
        let prefix = prefix.as_key()?;
        self.list_inner(Some(&prefix))
    }

    /// Lists the whole tree (`sysctl -a`); see [`Sysctl::list`].
    ///
    /// # Errors
    /// As [`Sysctl::list`].
    pub fn list_all(&self) -> Result<Listing> {
        self.list_inner(None)
    }

    fn list_inner(&self, prefix: Option<&Key>) -> Result<Listing> {
        let wanted = Key::subtree_namespaces(prefix);
        let userns = if wanted.contains(NsSet::USER) {
            self.plan(NsSet::USER)?.1
        } else {
            None
        };
        let defer_user = userns.is_some();
        let (mut listing, pending) = self.run(wanted - NsSet::USER, || {
            let mut listing = Listing::default();
            let mut pending = Vec::new();
            match prefix {
                None => walk(
                    None,
                    Path::new(super::PROC_SYS),
                    0,
                    defer_user,
                    &mut listing,
                    &mut pending,
                ),
                Some(key) => {
                    let path = key.path();
                    let meta = std::fs::metadata(&path).map_err(|e| {
                        self.os(
                            Operation::Read,
                            key,
                            Errno::from_io_error(&e).unwrap_or(Errno::IO),
                        )
                    })?;
                    if meta.is_dir() {
                        walk(Some(key), &path, 0, defer_user, &mut listing, &mut pending);
                    } else if defer_user && key.namespace() == Some(NsKind::User) {
                        pending.push(key.clone());
                    } else {
                        let bytes =
                            read_file(&path).map_err(|e| self.os(Operation::Read, key, e))?;
                        listing.entries.push(Entry {
                            key: key.clone(),
                            raw: String::from_utf8_lossy(&bytes).into_owned(),
                        });
                    }
                }
            }
            Ok((listing, pending))
        })?;
        if let Some(fd) = &userns {
            let leaf = prefix.is_some_and(|p| pending.len() == 1 && pending[0] == *p);
            for key in pending {
                match helper::access(fd, &key.path(), None) {
                    Ok(bytes) => listing.entries.push(Entry {
                        key,
                        raw: String::from_utf8_lossy(&bytes).into_owned(),
                    }),
                    Err((op, e)) if leaf => return Err(self.os(op, &key, e)),
                    Err((_, e)) => listing.skipped.push(Skipped {
                        key,
                        reason: SkipReason::Error(e),
                    }),
                }
            }
        }
        listing.entries.sort_by(|a, b| a.key.cmp(&b.key));
        listing.skipped.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listing)
    }

    /// Applies a parsed config file (SYS-09): each setting in file order; glob keys expand to
    /// the existing keys they match (component by component), except keys set explicitly
    /// elsewhere in the file or excluded by a `-key` line. A failure of a `-key = value` line is
    /// reported as ignored. Values with a newline or NUL cannot occur (the parser splits lines).
    /// Globs are expanded before anything is written; the writes go through the shared flat
    /// key/value engine ([`crate::reconcile::flat`]).
    ///
    /// # Errors
    /// Only errors expanding a glob's fixed prefix (e.g. an invalid target), before anything is
    /// written; per-key failures are in the report.
    ///
    /// ```no_run
    /// use linx::sysctl::{Sysctl, parse_conf};
    /// let report = Sysctl::current().apply_conf(&parse_conf("net.ipv4.ip_forward = 1\n"))?;
    /// assert!(report.is_success());
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn apply_conf(&self, conf: &Conf) -> Result<ConfReport> {
        use crate::reconcile::flat::{self, FlatOp};
        let explicit: Vec<&Key> = conf
            .entries
            .iter()
            .filter(|e| e.value.is_some() && !e.key.is_glob())
            .map(|e| &e.key)
            .collect();
        let excluded = |k: &Key| {
            conf.entries
                .iter()
                .filter(|e| e.value.is_none())
                .any(|e| key_matches(&e.key, k))
        };
        // Every glob is expanded before anything is written.
        let mut planned: Vec<(&ConfEntry, Key, &String, bool)> = Vec::new();
        for entry in &conf.entries {
            let Some(value) = &entry.value else { continue };
            if !entry.key.is_glob() {
                planned.push((entry, entry.key.clone(), value, false));
                continue;
            }
            for key in self.expand(&entry.key)? {
                let skip = explicit.contains(&&key) || excluded(&key);
                planned.push((entry, key, value, skip));
            }
        }
        // The writes go through the shared flat key/value engine (one write primitive for
        // sysctl.conf, sysctl reconcile and cgroup limits), in file order and unconditionally, as
        // sysctl(8) does (writing `conf.all.*` also propagates to every interface).
        let ops = planned
            .iter()
            .filter(|(_, _, _, skip)| !skip)
            .map(|(_, key, value, _)| FlatOp::Write {
                key: key.to_string(),
                value: (*value).clone(),
            })
            .collect();
        let mut store = crate::reconcile::sysctl::SysctlStore::new(self.clone());
        let mut results = flat::execute_all(&mut store, ops).into_iter();
        let mut report = ConfReport::default();
        for (entry, key, value, skip) in planned {
            let outcome = if skip {
                Outcome::Excluded
            } else {
                match results.next() {
                    Some((_, Ok(()))) => Outcome::Applied,
                    Some((_, Err(e))) if entry.ignore_errors => Outcome::Ignored(e),
                    Some((_, Err(e))) => Outcome::Failed(e),
                    // One result per write: cannot happen.
                    None => Outcome::Failed(Error::state(
                        Subsystem::Sysctl,
                        crate::error::StateKind::Closed,
                        Some(format!("{key}: no write result")),
                    )),
                }
            };
            report.items.push(ConfItem {
                line: entry.line,
                key,
                value: value.clone(),
                outcome,
            });
        }
        Ok(report)
    }

    /// The existing keys a glob key matches (sorted).
    fn expand(&self, pattern: &Key) -> Result<Vec<Key>> {
        let comps = pattern.components();
        let fixed = comps
            .iter()
            .take_while(|c| !c.contains(['*', '?', '[']))
            .cloned()
            .collect::<Vec<_>>();
        let listing = if fixed.is_empty() {
            self.list_all()
        } else {
            match self.list(&Key::from_components(fixed)?) {
                Err(e) if e.errno() == Some(Errno::NOENT) => return Ok(Vec::new()),
                other => other,
            }
        }?;
        let mut keys: Vec<Key> = listing
            .entries
            .into_iter()
            .map(|e| e.key)
            .chain(listing.skipped.into_iter().map(|s| s.key))
            .filter(|k| key_matches(pattern, k))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

/// True when `key` matches `pattern` component by component (globs within components).
fn key_matches(pattern: &Key, key: &Key) -> bool {
    pattern.components().len() == key.components().len()
        && pattern
            .components()
            .iter()
            .zip(key.components())
            .all(|(p, k)| glob_match(p, k))
}

fn walk(
    dir_key: Option<&Key>,
    dir: &Path,
    depth: usize,
    defer_user: bool,
    out: &mut Listing,
    pending: &mut Vec<Key>,
) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        if let Some(k) = dir_key {
            out.skipped.push(Skipped {
                key: k.clone(),
                reason: SkipReason::Error(Errno::ACCESS),
            });
        }
        return;
    };
    for ent in rd.flatten() {
        let name = ent.file_name();
        let Some(name) = name.to_str() else {
            if let Some(k) = dir_key {
                out.skipped.push(Skipped {
                    key: k.clone(),
                    reason: SkipReason::BadName,
                });
            }
            continue;
        };
        let key = match dir_key {
            Some(k) => k.join(name),
            None => Key::from_components([name]),
        };
        let Ok(key) = key else {
            if let Some(k) = dir_key {
                out.skipped.push(Skipped {
                    key: k.clone(),
                    reason: SkipReason::BadName,
                });
            }
            continue;
        };
        let skip = |out: &mut Listing, key: Key, reason| out.skipped.push(Skipped { key, reason });
        if key.is_deprecated() {
            skip(out, key, SkipReason::Deprecated);
            continue;
        }
        if key.has_read_side_effects() {
            skip(out, key, SkipReason::SideEffects);
            continue;
        }
        let path = ent.path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                skip(
                    out,
                    key,
                    SkipReason::Error(Errno::from_io_error(&e).unwrap_or(Errno::IO)),
                );
                continue;
            }
        };
        if meta.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                skip(out, key, SkipReason::TooDeep);
            } else {
                walk(Some(&key), &path, depth + 1, defer_user, out, pending);
            }
            continue;
        }
        if meta.permissions().mode() & 0o400 == 0 {
            skip(out, key, SkipReason::WriteOnly);
            continue;
        }
        if defer_user && key.namespace() == Some(NsKind::User) {
            pending.push(key);
            continue;
        }
        match read_file(&path) {
            Ok(bytes) => out.entries.push(Entry {
                key,
                raw: String::from_utf8_lossy(&bytes).into_owned(),
            }),
            Err(e) => skip(out, key, SkipReason::Error(e)),
        }
    }
}

fn open_ro(path: &Path) -> std::result::Result<OwnedFd, Errno> {
    rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
}

/// Reads a whole sysctl file, refusing more than [`MAX_VALUE`] bytes with `EFBIG`.
fn read_file(path: &Path) -> std::result::Result<Vec<u8>, Errno> {
    let fd = open_ro(path)?;
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    loop {
        if len == buf.len() {
            if buf.len() > MAX_VALUE {
                return Err(Errno::FBIG);
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = match rustix::io::read(&fd, buf.get_mut(len..).unwrap_or(&mut [])) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        len += n;
    }
    if len > MAX_VALUE {
        return Err(Errno::FBIG);
    }
    buf.truncate(len);
    Ok(buf)
}

fn write_file(path: &Path, data: &[u8]) -> std::result::Result<(), Errno> {
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let n = rustix::io::write(&fd, data)?;
    if n == data.len() {
        Ok(())
    } else {
        Err(Errno::IO)
    }
}

/// True when `fd` is the calling thread's own namespace of `kind` (same device and inode).
fn same_namespace(fd: &OwnedFd, kind: NsKind) -> bool {
    let own = format!("/proc/thread-self/ns/{}", kind.proc_name());
    match (rustix::fs::fstat(fd), rustix::fs::stat(own.as_str())) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        _ => false,
    }
}

/// The forked helper for `user.*` keys of another user namespace: a multithreaded process
/// cannot `setns(CLONE_NEWUSER)`, a freshly forked (single-threaded) child can.
mod helper {
    use super::*;

    const STEP_SETNS: u8 = 1;
    const STEP_OPEN: u8 = 2;
    const STEP_READ: u8 = 3;
    const STEP_WRITE: u8 = 4;

    /// Reads (`data` = `None`) or writes the file at `path` from inside the user namespace of
    /// `userns`. Returns the content read, or the failing operation and errno.
    pub(super) fn access(
        userns: &OwnedFd,
        path: &Path,
        data: Option<&[u8]>,
    ) -> std::result::Result<Vec<u8>, (Operation, Errno)> {
        let cpath = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| (Operation::Open, Errno::INVAL))?;
        let (rd, wr) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| (Operation::Syscall("pipe2"), e))?;
        let ns_raw = std::os::fd::AsRawFd::as_raw_fd(userns);
        let wr_raw = std::os::fd::AsRawFd::as_raw_fd(&wr);
        let data_ptr = data.map_or(std::ptr::null(), <[u8]>::as_ptr);
        let data_len = data.map_or(0, <[u8]>::len);
        // SAFETY: fork(2) in a multithreaded process; the child below only makes raw,
        // async-signal-safe system calls on data prepared before the fork, then `_exit`s.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err((
                Operation::Syscall("fork"),
                Errno::from_raw_os_error(errno()),
            ));
        }
        if pid == 0 {
            // SAFETY: child side; see `child`.
            unsafe { child(ns_raw, cpath.as_ptr(), data_ptr, data_len, wr_raw) }
        }
        drop(wr);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match rustix::io::read(&rd, &mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(buf.get(..n).unwrap_or(&[])),
                Err(Errno::INTR) => continue,
                Err(e) => {
                    reap(pid);
                    return Err((Operation::Read, e));
                }
            }
        }
        reap(pid);
        match out.split_first() {
            Some((0, rest)) => Ok(rest.to_vec()),
            Some((1, rest)) if rest.len() == 5 => {
                let step = rest[0];
                let e = i32::from_ne_bytes([rest[1], rest[2], rest[3], rest[4]]);
                let op = match step {
                    STEP_SETNS => Operation::SetNs(NsKind::User),
                    STEP_OPEN => Operation::Open,
                    STEP_READ => Operation::Read,
                    _ => Operation::Write,
                };
                Err((op, Errno::from_raw_os_error(e)))
            }
            _ => Err((Operation::Syscall("fork helper"), Errno::PROTO)),
        }
    }

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    fn reap(pid: libc::pid_t) {
        let mut status = 0;
        // SAFETY: waiting for our own child; `status` is a live int.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 && errno() == libc::EINTR {}
    }

    /// The child: `setns(userns)`, open, read or write, report over the pipe, `_exit`. Raw
    /// system calls only (no allocation, no locks, no panics).
    unsafe fn child(
        ns: libc::c_int,
        path: *const libc::c_char,
        data: *const u8,
        len: usize,
        out: libc::c_int,
    ) -> ! {
        // SAFETY (whole body): raw syscalls on valid fds and on buffers that the parent built
        // before fork and that stay mapped in the child's copy of the address space.
        unsafe {
            let fail = |step: u8| -> ! {
                let e = *libc::__errno_location();
                let b = e.to_ne_bytes();
                let msg = [1u8, step, b[0], b[1], b[2], b[3]];
                libc::write(out, msg.as_ptr().cast(), msg.len());
                libc::_exit(1)
            };
            if libc::setns(ns, libc::CLONE_NEWUSER) != 0 {
                fail(STEP_SETNS);
            }
            let writing = !data.is_null();
            let flags = if writing {
                libc::O_WRONLY
            } else {
                libc::O_RDONLY
            } | libc::O_CLOEXEC;
            let fd = libc::open(path, flags);
            if fd < 0 {
                fail(STEP_OPEN);
            }
            if writing {
                if libc::write(fd, data.cast(), len) < 0 {
                    fail(STEP_WRITE);
                }
                let ok = [0u8];
                libc::write(out, ok.as_ptr().cast(), 1);
            } else {
                let mut buf = [0u8; MAX_VALUE + 1];
                let mut total = 0usize;
                loop {
                    let room = buf.len() - total;
                    if room == 0 {
                        *libc::__errno_location() = libc::EFBIG;
                        fail(STEP_READ);
                    }
                    let n = libc::read(fd, buf.as_mut_ptr().add(total).cast(), room);
                    if n < 0 {
                        if *libc::__errno_location() == libc::EINTR {
                            continue;
                        }
                        fail(STEP_READ);
                    }
                    if n == 0 {
                        break;
                    }
                    total += n as usize;
                }
                let ok = [0u8];
                libc::write(out, ok.as_ptr().cast(), 1);
                let mut sent = 0usize;
                while sent < total {
                    let n = libc::write(out, buf.as_ptr().add(sent).cast(), total - sent);
                    if n <= 0 {
                        break;
                    }
                    sent += n as usize;
                }
            }
            libc::_exit(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_04_values_over_64k_are_efbig_not_truncated() {
        let dir = std::env::temp_dir().join(format!("linx-sys04-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![b'1'; MAX_VALUE + 1]).unwrap();
        assert_eq!(read_file(&big), Err(Errno::FBIG));
        let fits = dir.join("fits");
        std::fs::write(&fits, vec![b'1'; MAX_VALUE]).unwrap();
        assert_eq!(read_file(&fits).unwrap().len(), MAX_VALUE);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
