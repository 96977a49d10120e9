//! Desired-state files (feature `serde`): the network state of one namespace — links,
//! addresses, routes, neighbours, rules — plus sysctls, one cgroup's limits and an nf_tables
//! ruleset, in TOML or JSON, read into a [`DesiredState`] for the
//! [`StateReconciler`](super::state::StateReconciler).
//!
//! ```toml
//! route_protocol = 76          # optional: the protocol number owned routes and rules carry
//! nft_ruleset = "fw.json"      # optional: a linx ruleset as `linx nft show --model` prints it
//!
//! [[links]]
//! name = "br0"
//! kind = "bridge"
//! up = true
//!
//! [[addresses]]
//! dev = "br0"
//! address = "192.0.2.1/24"
//!
//! [[routes]]
//! dst = "default"
//! via = "192.0.2.254"
//!
//! [[routes]]
//! dst = "198.51.100.0/24"
//! type = "blackhole"
//! table = 100
//!
//! [[nexthops]]
//! id = 1
//! via = "192.0.2.253"
//! dev = "br0"
//!
//! [[routes]]
//! dst = "198.18.0.0/15"
//! nhid = 1
//!
//! [[rules]]
//! priority = 1000
//! from = "203.0.113.0/24"
//! table = 100
//!
//! [[neighbours]]
//! dev = "br0"
//! dst = "192.0.2.77"
//! lladdr = "02:00:00:00:00:77"
//!
//! [sysctl]
//! "net.ipv4.ip_forward" = 1
//! "net.ipv4.tcp_rmem" = [4096, 131072, 6291456]
//!
//! [cgroup]
//! path = "jobs/a"              # absolute, or relative to the cgroup2 mount
//! limits = { "memory.max" = "256M", "pids.max" = 100, "cpu.max" = "50000 100000" }
//! ```
//!
//! The JSON form has the same keys (`{"routes": [{"dst": "default", "via": "192.0.2.254"}]}`).
//! `nft = "fw.nft"` names an nft-language file instead of a JSON ruleset, compiled by
//! [`crate::nft`](mod@crate::nft) (relative paths are relative to the state file); see [`load`].
//!
//! Bad input is reported before anything is applied, located as `FILE:LINE`: syntax errors,
//! unknown keys, wrong types and malformed values when the file is parsed; invalid entries
//! (family mismatches, duplicates, unknown route types …) by [`DesiredState::validate`] at load;
//! interfaces that do not exist by the first pass, before it applies anything.
//!
//! ```
//! use linx::reconcile::file::{parse, Format};
//! let f = parse("[[routes]]\ndst = \"default\"\nvia = \"192.0.2.1\"\n", Format::Toml, "net.toml")?;
//! assert_eq!(f.state.net.routes.len(), 1);
//! let e = parse("[[routes]]\ndst = \"default\"\ngatway = \"192.0.2.1\"\n", Format::Toml, "net.toml").unwrap_err();
//! assert!(e.to_string().contains("net.toml:3"), "{e}");
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::cgroup::CgroupDesired;
use super::net::{
    AddressDesired, LinkDesired, NeighbourDesired, NetDesired, NexthopDesired, RouteDesired,
    RuleDesired,
};
use super::state::{CgroupTarget, DesiredState, Locator};
use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};
use crate::netfilter::Ruleset;
use crate::ns::NsTarget;
use crate::rtnl::RouteProtocol;
use crate::sysctl::{Key, Value};

/// The syntax of a desired-state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// JSON for a `.json` extension, TOML otherwise.
    ///
    /// ```
    /// use linx::reconcile::file::Format;
    /// assert_eq!(Format::from_path("a/net.json"), Format::Json);
    /// assert_eq!(Format::from_path("net.toml"), Format::Toml);
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Format {
        match path.as_ref().extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A sysctl value as files write it: an integer, a string, a list of integers or a boolean.
struct SysctlValue(Value);

impl<'de> Deserialize<'de> for SysctlValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<SysctlValue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SysctlValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sysctl value: an integer, a string or a list of integers")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<SysctlValue, E> {
                Ok(SysctlValue(Value::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<SysctlValue, E> {
                i64::try_from(v)
                    .map(|v| SysctlValue(Value::Int(v)))
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<SysctlValue, E> {
                Ok(SysctlValue(Value::Int(i64::from(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<SysctlValue, E> {
                Ok(SysctlValue(Value::Str(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<SysctlValue, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<i64>()? {
                    out.push(v);
                }
                Ok(SysctlValue(Value::Ints(out)))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CgroupSection {
    path: PathBuf,
    #[serde(default, deserialize_with = "unique_map")]
    limits: CgroupDesired,
}

/// A string-keyed map that refuses a key given twice (TOML refuses duplicates itself; JSON
/// objects would otherwise keep the last one silently).
fn unique_map<'de, D, V>(d: D) -> std::result::Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for Unique<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of keys and values")
        }

        fn visit_map<A: de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(k) = map.next_key::<String>()? {
                if out.contains_key(&k) {
                    return Err(de::Error::custom(format!("the key \"{k}\" is given twice")));
                }
                let v = map.next_value()?;
                out.insert(k, v);
            }
            Ok(out)
        }
    }

    d.deserialize_map(Unique(std::marker::PhantomData))
}

/// The file model (every struct refuses unknown keys).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    #[serde(default)]
    route_protocol: Option<u8>,
    #[serde(default)]
    nft: Option<PathBuf>,
    #[serde(default)]
    nft_ruleset: Option<PathBuf>,
    #[serde(default)]
    links: Vec<LinkDesired>,
    #[serde(default)]
    addresses: Vec<AddressDesired>,
    #[serde(default)]
    routes: Vec<RouteDesired>,
    #[serde(default)]
    neighbours: Vec<NeighbourDesired>,
    #[serde(default)]
    rules: Vec<RuleDesired>,
    #[serde(default)]
    nexthops: Vec<NexthopDesired>,
    #[serde(default, deserialize_with = "unique_map")]
    sysctl: BTreeMap<String, SysctlValue>,
    #[serde(default)]
    cgroup: Option<CgroupSection>,
}

/// A parsed desired-state file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StateFile {
    /// The desired state (with a locator for its entries).
    pub state: DesiredState,
    /// The route protocol the file asks for (`route_protocol`).
    pub route_protocol: Option<RouteProtocol>,
    /// The nft-language file it names (`nft`), as written.
    pub nft_file: Option<PathBuf>,
    /// The JSON ruleset file it names (`nft_ruleset`), as written.
    pub nft_ruleset_file: Option<PathBuf>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn line_text(text: &str, line: usize) -> String {
    let l = text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim();
    if l.chars().count() > 80 {
        let mut s: String = l.chars().take(77).collect();
        s.push_str("...");
        s
    } else {
        l.to_owned()
    }
}

fn syntax_error(text: &str, origin: &str, line: usize, message: &str) -> Error {
    Error::input(
        Subsystem::Reconcile,
        format!("{origin}:{line}"),
        line_text(text, line),
        message.trim().to_owned(),
    )
}

/// One segment of an entry path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Seg>> {
    let b = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |i: &mut usize| -> Option<String> {
        let s = *i;
        while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
            *i += 1;
        }
        (*i > s).then(|| path[s..*i].to_owned())
    };
    out.push(Seg::Key(ident(&mut i)?));
    while i < b.len() {
        match b[i] {
            b'[' => {
                let close = path[i..].find(']')? + i;
                out.push(Seg::Index(path[i + 1..close].parse().ok()?));
                i = close + 1;
            }
            b'.' if b.get(i + 1) == Some(&b'"') => {
                let close = path[i + 2..].find('"')? + i + 2;
                out.push(Seg::Key(path[i + 2..close].to_owned()));
                i = close + 1;
            }
            b'.' => {
                i += 1;
                out.push(Seg::Key(ident(&mut i)?));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn locate_toml(text: &str, segs: &[Seg]) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut value = toml::de::DeValue::Table(root.into_inner());
    let mut span = 0..0;
    for s in segs {
        let next = match s {
            Seg::Key(k) => value.get(k.as_str())?,
            Seg::Index(n) => value.get(*n)?,
        };
        span = next.span();
        value = next.get_ref().clone();
    }
    Some(span.start)
}

/// A minimal JSON walker that finds the byte offset of a value by path (no allocation of the
/// document; depth-limited, never panics).
struct JsonWalk<'a> {
    b: &'a [u8],
    i: usize,
}

const JSON_DEPTH: usize = 128;

impl JsonWalk<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn string(&mut self) -> Option<String> {
        self.ws();
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            let cp = u32::from_str_radix(hex, 16).ok()?;
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > JSON_DEPTH {
            return None;
        }
        self.ws();
        match *self.b.get(self.i)? {
            b'"' => self.string().map(|_| ()),
            b'{' => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    if self.eat(b',').is_none() {
                        return self.eat(b'}');
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if self.eat(b',').is_none() {
                        return self.eat(b']');
                    }
                }
            }
            _ => {
                let s = self.i;
                while self.i < self.b.len()
                    && !matches!(self.b[self.i], b',' | b'}' | b']')
                    && !self.b[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
                (self.i > s).then_some(())
            }
        }
    }

    fn find(&mut self, segs: &[Seg], depth: usize) -> Option<usize> {
        if depth > JSON_DEPTH {
            return None;
        }
        self.ws();
        let Some((first, rest)) = segs.split_first() else {
            return Some(self.i);
        };
        match (first, *self.b.get(self.i)?) {
            (Seg::Key(k), b'{') => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return None;
                }
                loop {
                    let key = self.string()?;
                    self.eat(b':')?;
                    if key == *k {
                        return self.find(rest, depth + 1);
                    }
                    self.skip(depth + 1)?;
                    self.eat(b',')?;
                }
            }
            (Seg::Index(n), b'[') => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return None;
                }
                let mut idx = 0;
                loop {
                    if idx == *n {
                        return self.find(rest, depth + 1);
                    }
                    self.skip(depth + 1)?;
                    self.eat(b',')?;
                    idx += 1;
                }
            }
            _ => None,
        }
    }
}

/// The 1-based line where the entry at `path` (`routes[2]`, `sysctl."net.ipv4.ip_forward"`,
/// `cgroup.limits."pids.max"`) is written, if it is found. Pure; never panics.
///
/// ```
/// use linx::reconcile::file::{locate, Format};
/// let text = "{\n  \"routes\": [\n    {\"dst\": \"default\"},\n    {\"dst\": \"10.0.0.0/8\"}\n  ]\n}";
/// assert_eq!(locate(text, Format::Json, "routes[1]"), Some(4));
/// let toml = "[[routes]]\ndst = \"default\"\n\n[[routes]]\ndst = \"10.0.0.0/8\"\n";
/// assert_eq!(locate(toml, Format::Toml, "routes[1]"), Some(4));
/// ```
pub fn locate(text: &str, format: Format, path: &str) -> Option<usize> {
    let segs = segments(path)?;
    let offset = match format {
        Format::Toml => locate_toml(text, &segs)?,
        Format::Json => JsonWalk {
            b: text.as_bytes(),
            i: 0,
        }
        .find(&segs, 0)?,
    };
    Some(line_of(text, offset))
}

/// A [`Locator`] for entries of `text`, naming them `origin:LINE`.
///
/// ```
/// use linx::reconcile::file::{locator, Format};
/// let loc = locator("[[routes]]\ndst = \"default\"\n", Format::Toml, "net.toml");
/// let e = linx::Error::input(linx::error::Subsystem::Reconcile, "routes[0]", "x", "bad");
/// assert!(loc.locate(e).to_string().contains("net.toml:1: routes[0]"));
/// ```
pub fn locator(text: &str, format: Format, origin: &str) -> Locator {
    let text: Arc<str> = Arc::from(text);
    let origin = origin.to_owned();
    Locator::new(move |path| locate(&text, format, path).map(|l| format!("{origin}:{l}")))
}

/// Parses a desired-state file (pure: referenced nft files are not read). Every error is an
/// [`Error::Input`] located as `origin:LINE`.
///
/// # Errors
/// Syntax errors, unknown keys, wrong types, malformed values; invalid entries
/// ([`DesiredState::validate`]).
pub fn parse(text: &str, format: Format, origin: &str) -> Result<StateFile> {
    let model: FileModel = match format {
        Format::Toml => toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            syntax_error(text, origin, line, e.message())
        })?,
        Format::Json => serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
            syntax_error(text, origin, e.line().max(1), msg)
        })?,
    };
    let loc = locator(text, format, origin);
    let mut sysctl = BTreeMap::new();
    for (k, v) in model.sysctl {
        let at = format!("sysctl.\"{k}\"");
        let key = Key::parse(&k).map_err(|e| loc.locate(relabel(e, &at)))?;
        if sysctl.insert(key, v.0).is_some() {
            return Err(loc.locate(Error::input(
                Subsystem::Reconcile,
                at,
                k,
                "the same key is set twice",
            )));
        }
    }
    let state = DesiredState {
        net: {
            let mut n = NetDesired::new();
            n.links = model.links;
            n.addresses = model.addresses;
            n.routes = model.routes;
            n.neighbours = model.neighbours;
            n.rules = model.rules;
            n.nexthops = model.nexthops;
            n
        },
        sysctl,
        cgroup: model.cgroup.map(|c| CgroupTarget::new(c.path, c.limits)),
        nft: None,
        locator: Some(loc.clone()),
    };
    if model.nft.is_some() && model.nft_ruleset.is_some() {
        return Err(loc.locate(Error::input(
            Subsystem::Reconcile,
            "nft",
            "nft, nft_ruleset",
            "give either an nft file or a JSON ruleset, not both",
        )));
    }
    state.validate()?;
    Ok(StateFile {
        state,
        route_protocol: model.route_protocol.map(RouteProtocol),
        nft_file: model.nft,
        nft_ruleset_file: model.nft_ruleset,
    })
}

fn relabel(e: Error, at: &str) -> Error {
    match e {
        Error::Input(mut i) => {
            i.reason = format!("{}: {}", i.argument, i.reason).into();
            i.argument = at.to_owned().into();
            i.subsystem = Subsystem::Reconcile;
            Error::Input(i)
        }
        other => other,
    }
}

fn read(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::from(
            OsError::new(
                Subsystem::Reconcile,
                Operation::Read,
                Errno::from_io_error(&e).unwrap_or(Errno::IO),
            )
            .path(path),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Error::input(
            Subsystem::Reconcile,
            "desired-state file",
            path.display().to_string(),
            "is not UTF-8",
        )
    })
}

/// Reads and parses a desired-state file ([`Format::from_path`] decides the syntax) and loads
/// the ruleset it names (relative to the file's directory): a JSON ruleset (`nft_ruleset`) or an
/// nft-language file (`nft`), compiled with [`crate::nft::compile`] against the interfaces of
/// `target`'s network namespace.
///
/// Rules of an nft file are identified by their position in their chain: in a chain with more
/// than one rule, every rule without a tag gets the tag `linx#N` (N counting from 0), so
/// reconcile passes replace a changed rule in place and recreate a deleted one.
///
/// # Errors
/// OS errors reading the files; every error of [`parse`]; ruleset files that do not parse or
/// compile, located at the `nft`/`nft_ruleset` line (nft diagnostics keep their own
/// `FILE:LINE:COLUMN`).
///
/// ```no_run
/// let f = linx::reconcile::file::load("/etc/linx/net.toml", &linx::ns::NsTarget::Current)?;
/// println!("{} routes", f.state.net.routes.len());
/// # Ok::<(), linx::Error>(())
/// ```
pub fn load(path: impl AsRef<Path>, target: &NsTarget) -> Result<StateFile> {
    let path = path.as_ref();
    let text = read(path)?;
    let origin = path.display().to_string();
    let mut f = parse(&text, Format::from_path(path), &origin)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let loc = locator(&text, Format::from_path(path), &origin);
    let at = |what: &'static str, file: &Path, reason: String| {
        loc.locate(Error::input(
            Subsystem::Reconcile,
            what,
            file.display().to_string(),
            reason,
        ))
    };
    if let Some(p) = &f.nft_ruleset_file {
        let full = base.join(p);
        let json = read(&full)?;
        let rs: Ruleset = serde_json::from_str(&json)
            .map_err(|e| at("nft_ruleset", &full, format!("not a linx ruleset: {e}")))?;
        f.state.nft = Some(rs);
    }
    if let Some(p) = &f.nft_file {
        let full = base.join(p);
        f.state.nft = Some(compile_nft(&full, target).map_err(|e| match e {
            Error::Input(i) => at("nft", &full, i.reason.into_owned()),
            other => other,
        })?);
    }
    f.state.validate()?;
    Ok(f)
}

/// Compiles an nft-language file to a ruleset (interfaces resolved in `target`) and tags the
/// rules of multi-rule chains by position.
fn compile_nft(path: &Path, target: &NsTarget) -> Result<Ruleset> {
    use crate::nft::{CompileEnv, LoadOptions, NetlinkIfResolver};
    let bad = |e: crate::nft::CompileError| {
        Error::input(
            Subsystem::Reconcile,
            "nft",
            path.display().to_string(),
            e.to_string().trim_end().to_owned(),
        )
    };
    let src = crate::nft::load_file(path, &LoadOptions::default()).map_err(bad)?;
    let resolver = NetlinkIfResolver::new(target)?;
    let program = crate::nft::compile(&src, &CompileEnv::new(&resolver)).map_err(bad)?;
    let mut rs = program.ruleset()?;
    tag_by_position(&mut rs)?;
    Ok(rs)
}

/// Tags every untagged rule of a multi-rule chain `linx#N` (its index in the chain).
fn tag_by_position(rs: &mut Ruleset) -> Result<()> {
    for t in &mut rs.tables {
        for c in &mut t.chains {
            if c.rules.len() < 2 {
                continue;
            }
            for (i, r) in c.rules.iter_mut().enumerate() {
                if r.get_tag().is_none() {
                    *r = r.clone().tag(&format!("linx#{i}"))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_parse() {
        assert_eq!(
            segments("cgroup.limits.\"pids.max\""),
            Some(vec![
                Seg::Key("cgroup".into()),
                Seg::Key("limits".into()),
                Seg::Key("pids.max".into())
            ])
        );
        assert_eq!(
            segments("routes[12]"),
            Some(vec![Seg::Key("routes".into()), Seg::Index(12)])
        );
        assert_eq!(segments("[x"), None);
    }

    #[test]
    fn json_walk() {
        let t = r#"{"a": [1, {"b": "x\"y"}, [2,3]], "c": {"d e": true}}"#;
        assert_eq!(locate(t, Format::Json, "c.\"d e\""), Some(1));
        let mut w = JsonWalk {
            b: t.as_bytes(),
            i: 0,
        };
        let off = w.find(&[Seg::Key("a".into()), Seg::Index(2)], 0).unwrap();
        assert_eq!(&t[off..off + 5], "[2,3]");
        assert_eq!(locate("{", Format::Json, "a"), None);
        assert_eq!(locate("[[[[", Format::Json, "a[0]"), None);
    }
}
