//! Sysctl keys and values as values (pure): [`Key`] is a list of components, so an interface
//! name with dots (`eth0.100`) stays one component; [`Value`] is what can be written.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result, Subsystem};
use crate::ns::{NsKind, NsSet};

/// The root of the sysctl tree.
pub const PROC_SYS: &str = "/proc/sys";

/// Longest component the kernel can have (a file name).
pub const MAX_COMPONENT: usize = 255;

/// A sysctl key: a non-empty list of components, each one path component under `/proc/sys`.
///
/// A component is 1..=255 bytes, contains no `/`, NUL or whitespace and is not `.` or `..`, so
/// no key can name a path outside `/proc/sys`. The first component (a top-level directory such
/// as `net`) contains no dot either, so that every key has a text form that parses back.
///
/// **Text forms** (as sysctl(8) reads them): if the first separator in the text is `/`, the key
/// is in *slash form* and dots are literal (`net/ipv4/conf/eth0.100/forwarding`); otherwise it is
/// in *dot form*, where a `/` stands for a literal dot (`net.ipv4.conf.eth0/100.forwarding`).
/// `Display` uses dot form with `/` for embedded dots — what `sysctl -a` prints — so a displayed
/// key parses back to itself. [`Key::from_components`] takes the components as they are.
///
/// ```
/// use linx::sysctl::Key;
/// let a: Key = "net.ipv4.conf.eth0/100.forwarding".parse()?;
/// let b: Key = "net/ipv4/conf/eth0.100/forwarding".parse()?;
/// let c = Key::from_components(["net", "ipv4", "conf", "eth0.100", "forwarding"])?;
/// assert_eq!(a, b);
/// assert_eq!(a, c);
/// assert_eq!(a.to_string(), "net.ipv4.conf.eth0/100.forwarding");
/// assert_eq!(a.path().to_str(), Some("/proc/sys/net/ipv4/conf/eth0.100/forwarding"));
/// assert!("net..ipv4".parse::<Key>().is_err());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    components: Vec<String>,
}

fn check_component(c: &str, whole: &str) -> Result<()> {
    let bad = |reason: String| Error::input(Subsystem::Sysctl, "key", whole, reason);
    if c.is_empty() {
        return Err(bad(
            "empty component (leading, trailing or doubled separator)".into(),
        ));
    }
    if c == "." || c == ".." {
        return Err(bad(format!("component {c:?} is not allowed")));
    }
    if c.len() > MAX_COMPONENT {
        return Err(bad(format!(
            "component of {} bytes (at most {MAX_COMPONENT})",
            c.len()
        )));
    }
    if let Some(ch) = c
        .chars()
        .find(|ch| *ch == '/' || *ch == '\0' || ch.is_whitespace())
    {
        return Err(bad(format!("component {c:?} contains {ch:?}")));
    }
    Ok(())
}

impl Key {
    /// Parses a key in dot or slash form (see the type's documentation).
    ///
    /// # Errors
    /// An input error naming the key: empty, an empty component (leading, trailing or doubled
    /// separators), a `.`/`..` component, NUL or whitespace, a component over 255 bytes.
    pub fn parse(text: &str) -> Result<Key> {
        if text.is_empty() {
            return Err(Error::input(Subsystem::Sysctl, "key", text, "empty key"));
        }
        let slash_form = text
            .find(['.', '/'])
            .is_some_and(|i| text[i..].starts_with('/'));
        let components: Vec<String> = if slash_form {
            text.split('/').map(str::to_owned).collect()
        } else {
            text.split('.').map(|c| c.replace('/', ".")).collect()
        };
        for c in &components {
            check_component(c, text)?;
        }
        Ok(Key { components })
    }

    /// A key from its components, taken literally (dots inside a component are part of it).
    ///
    /// # Errors
    /// As [`Key::parse`], for the first invalid component.
    pub fn from_components<I, S>(components: I) -> Result<Key>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let components: Vec<String> = components.into_iter().map(Into::into).collect();
        if components.is_empty() {
            return Err(Error::input(Subsystem::Sysctl, "key", "", "empty key"));
        }
        let shown = components.join("/");
        for c in &components {
            check_component(c, &shown)?;
        }
        if components.first().is_some_and(|c| c.contains('.')) {
            return Err(Error::input(
                Subsystem::Sysctl,
                "key",
                shown,
                "the first component cannot contain a dot (no text form could name it)",
            ));
        }
        Ok(Key { components })
    }

    /// The components.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// This key with one more component.
    ///
    /// # Errors
    /// As [`Key::from_components`].
    pub fn join(&self, component: &str) -> Result<Key> {
        check_component(component, &format!("{self}.{component}"))?;
        let mut components = self.components.clone();
        components.push(component.to_owned());
        Ok(Key { components })
    }

    /// True when `self` is `prefix` or lies below it.
    pub fn starts_with(&self, prefix: &Key) -> bool {
        self.components.starts_with(&prefix.components)
    }

    /// The file: `/proc/sys/` + components joined with `/` (never split on dots).
    pub fn path(&self) -> PathBuf {
        let mut p = PathBuf::from(PROC_SYS);
        p.extend(&self.components);
        p
    }

    /// Slash form (`net/ipv4/conf/eth0.100/forwarding`).
    pub fn slash_form(&self) -> String {
        self.components.join("/")
    }

    /// True when a component holds a glob character (`*`, `?`, `[`), as sysctl.conf allows.
    pub fn is_glob(&self) -> bool {
        self.components.iter().any(|c| c.contains(['*', '?', '[']))
    }

    /// The namespace that routes this key (sysctl.md §2), or `None` for a global key:
    /// `net.*` → network; `kernel.hostname`, `kernel.domainname` → UTS; `kernel.shm*`,
    /// `kernel.msg*`, `kernel.sem*`, `fs.mqueue.*` → IPC; `user.*` → user namespace.
    pub fn namespace(&self) -> Option<NsKind> {
        let c: Vec<&str> = self.components.iter().map(String::as_str).collect();
        match c.as_slice() {
            ["net", ..] => Some(NsKind::Net),
            ["kernel", "hostname" | "domainname", ..] => Some(NsKind::Uts),
            ["kernel", k, ..]
                if k.starts_with("shm") || k.starts_with("msg") || k.starts_with("sem") =>
            {
                Some(NsKind::Ipc)
            }
            ["fs", "mqueue", ..] => Some(NsKind::Ipc),
            ["user", ..] => Some(NsKind::User),
            _ => None,
        }
    }

    /// The namespaces that route keys in the subtree at `prefix` (`None` = the whole tree).
    pub fn subtree_namespaces(prefix: Option<&Key>) -> NsSet {
        let c: Vec<&str> = prefix.map_or(Vec::new(), |k| {
            k.components.iter().map(String::as_str).collect()
        });
        match c.as_slice() {
            [] => NsSet::NET | NsSet::UTS | NsSet::IPC | NsSet::USER,
            ["kernel"] => NsSet::UTS | NsSet::IPC,
            ["fs"] => NsSet::IPC,
            _ => prefix
                .and_then(Key::namespace)
                .map_or(NsSet::empty(), NsKind::set),
        }
    }

    /// True for names sysctl(8) leaves out of listings as deprecated
    /// (`base_reachable_time`, `retrans_time`; their `_ms` versions replace them).
    pub fn is_deprecated(&self) -> bool {
        matches!(
            self.components.last().map(String::as_str),
            Some("base_reachable_time" | "retrans_time")
        )
    }

    /// True for entries that must never be read while listing because reading them has side
    /// effects (`vm.stat_refresh`), as sysctl(8) skips them.
    pub fn has_read_side_effects(&self) -> bool {
        self.components.last().map(String::as_str) == Some("stat_refresh")
    }
}

impl fmt::Display for Key {
    /// Dot form, `/` for a dot inside a component.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            if c.contains('.') {
                f.write_str(&c.replace('.', "/"))?;
            } else {
                f.write_str(c)?;
            }
        }
        Ok(())
    }
}

impl FromStr for Key {
    type Err = Error;

    /// See [`Key::parse`].
    fn from_str(s: &str) -> Result<Key> {
        Key::parse(s)
    }
}

impl TryFrom<&str> for Key {
    type Error = Error;

    fn try_from(s: &str) -> Result<Key> {
        Key::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Key {
    /// The dot form.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Something that names a key: a [`Key`] or a string in dot or slash form.
pub trait AsKey {
    /// The key.
    ///
    /// # Errors
    /// As [`Key::parse`].
    fn as_key(&self) -> Result<std::borrow::Cow<'_, Key>>;
}

impl AsKey for Key {
    fn as_key(&self) -> Result<std::borrow::Cow<'_, Key>> {
        Ok(std::borrow::Cow::Borrowed(self))
    }
}

impl AsKey for str {
    fn as_key(&self) -> Result<std::borrow::Cow<'_, Key>> {
        Key::parse(self).map(std::borrow::Cow::Owned)
    }
}

impl AsKey for String {
    fn as_key(&self) -> Result<std::borrow::Cow<'_, Key>> {
        Key::parse(self).map(std::borrow::Cow::Owned)
    }
}

impl<T: AsKey + ?Sized> AsKey for &T {
    fn as_key(&self) -> Result<std::borrow::Cow<'_, Key>> {
        (**self).as_key()
    }
}

/// A value to write.
///
/// `Display` is the text written: the integer, the string, or the integers joined by single
/// spaces (`[4, 4, 1, 7]` → `4 4 1 7`). No newline is added.
///
/// ```
/// use linx::sysctl::Value;
/// assert_eq!(Value::Ints(vec![4, 4, 1, 7]).to_string(), "4 4 1 7");
/// assert!(Value::from("a\nb").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// One integer.
    Int(i64),
    /// A string (no newline or NUL: the kernel stops parsing at a newline).
    Str(String),
    /// A list of integers (e.g. `kernel.printk`, `net.ipv4.tcp_rmem`); not empty.
    Ints(Vec<i64>),
}

impl Value {
    /// Checks what would otherwise be silently mangled by the kernel.
    ///
    /// # Errors
    /// An input error for a string with a newline or NUL, or an empty integer list.
    pub fn validate(&self) -> Result<()> {
        match self {
            Value::Str(s) if s.contains(['\n', '\0']) => Err(Error::input(
                Subsystem::Sysctl,
                "value",
                s.as_str(),
                "contains a newline or NUL (the kernel would stop parsing there)",
            )),
            Value::Ints(v) if v.is_empty() => Err(Error::input(
                Subsystem::Sysctl,
                "value",
                "[]",
                "empty integer list",
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
            Value::Ints(v) => {
                for (i, n) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{n}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<Vec<i64>> for Value {
    fn from(v: Vec<i64>) -> Value {
        Value::Ints(v)
    }
}

/// Parses one integer token of a value.
///
/// # Errors
/// An input error carrying the raw token.
pub(crate) fn parse_int(token: &str, key: &Key) -> Result<i64> {
    token.parse::<i64>().map_err(|_| {
        Error::input(
            Subsystem::Sysctl,
            "integer value",
            token,
            format!("{key} does not hold an integer here"),
        )
    })
}

/// Matches `name` against a glob `pattern` with `*`, `?` and `[…]` (`[!…]`/`[^…]` negated,
/// ranges `a-z`), as `fnmatch(3)` does within one path component. Pure; never panics.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`: O(len(p) · len(n)).
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = n.get(ni) {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class(p.get(pi..).unwrap_or(&[]), c) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (c == '[').then_some(1),
            },
            Some(lit) => (*lit == c).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                pi += len;
                ni += 1;
            }
            (None, Some((sp, sn))) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            (None, None) => return false,
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Matches `c` against the bracket class at the start of `p` (which begins with `[`): whether
/// it matched and how many pattern characters the class spans; `None` when the class has no
/// closing `]` (then `[` is literal).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let body_start = match p.get(1) {
        Some('!' | '^') => 2,
        _ => 1,
    };
    let negate = body_start == 2;
    // The first character of the body may be `]` itself.
    let close = p
        .iter()
        .enumerate()
        .skip(body_start + 1)
        .find(|(_, x)| **x == ']')
        .map(|(i, _)| i)?;
    let body = p.get(body_start..close)?;
    let mut matched = false;
    let mut i = 0;
    while let Some(&lo) = body.get(i) {
        match (body.get(i + 1), body.get(i + 2)) {
            (Some('-'), Some(&hi)) => {
                matched |= lo <= c && c <= hi;
                i += 3;
            }
            _ => {
                matched |= lo == c;
                i += 1;
            }
        }
    }
    Some((matched != negate, close + 1))
}
