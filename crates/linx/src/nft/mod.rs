//! The nft language front end: evaluate nft files into nf_tables batches exactly as nftables
//! 1.0.6 does, send them atomically, and print rulesets back as nft text (issue 8).
//!
//! The pipeline:
//!
//! 1. [`load_file`] / [`load_str`] — the [`linx_nft_syntax`] parser with `include` and `define`
//!    expansion ([`Source`]).
//! 2. [`compile`] — nft's evaluation (`evaluate.c`): symbolic constants per data type, protocol
//!    context with implicit dependencies, anonymous sets and maps, interval handling, then
//!    linearization (`netlink_linearize.c`) into the messages of ONE batch in nft's order
//!    ([`Program`]). Interface names of `iif`/`oif` are resolved in the *target* namespace
//!    through an [`IfResolver`] (NFT-17). Constructs that are not reproduced exactly are refused
//!    with a located `unsupported:` diagnostic (NFT-03).
//! 3. [`apply`] / [`check`] — commit the batch, or let the kernel validate it without committing.
//!    A kernel refusal is mapped back to the source span of the failing message (NFT-22).
//! 4. [`print()`] — a ruleset (compiled or pulled) as `nft list ruleset` text.
//!
//! The macros [`nft!`](crate::nft!) and [`nft_file!`](crate::nft_file!) run steps 1 and 2 at
//! compile time and produce a [`Script`], whose `apply`/`check` run step 2 again on the
//! generated syntax tree (no text is parsed at run time) in the target namespace, then step 3.
//!
//! ```no_run
//! use linx::nft;
//! use linx::ns::NsTarget;
//! let src = nft::load_file("/etc/nftables.conf".as_ref(), &nft::LoadOptions::default())?;
//! let target = NsTarget::Current;
//! let resolver = nft::NetlinkIfResolver::new(&target)?;
//! let program = nft::compile(&src, &nft::CompileEnv::new(&resolver))?;
//! nft::apply(&program, &target)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dtype;
mod eval;
mod exthdr;
pub mod interp;
mod intervals;
mod ir;
#[cfg(feature = "serde")]
mod json;
mod lower;
mod monitor;
mod print;
mod program;
mod proto;
mod rustfmt;
mod script;
mod stmt;
mod sysdb;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use linx_nft_syntax::{Diagnostic, Diagnostics, SourceMap, Span, ast};

use crate::Result as LinxResult;
use crate::error::Error;
use crate::netfilter::codec::NftMessage;
use crate::netfilter::obj::ObjectType;
use crate::netfilter::set::RawElement;
use crate::netfilter::{Batch, Family, Nft, ResetScope, RuleResetScope, Ruleset};
use crate::netlink::wire::{MsgBuilder, attrs};
use crate::netlink::{NetlinkSocket, Protocol, Request};
use crate::ns::NsTarget;

pub use eval::IfResolver;
#[cfg(feature = "serde")]
pub use json::{JsonPrinted, chain_json, print_json, set_json, table_json, tables_json};
/// The syntax crate (lexer, parser, AST, printer), for tools built on this module.
pub use linx_nft_syntax as syntax;
pub use monitor::MonitorPrinter;
pub use print::{
    PrintOptions, Printed, print, print_chain, print_objects, print_set_listing, print_table,
    rule_line,
};
pub use rustfmt::{RustFormatted, format_rust};
pub use script::{MacroFile, Script, ScriptError};

/// Options of loading a file: include directories (`-I`) and predefined variables (`-D`).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Extra include directories, searched after nft's default (`/etc`).
    pub include_dirs: Vec<PathBuf>,
    /// Predefined variables (`NAME`, `VALUE`).
    pub defines: Vec<(String, String)>,
    /// Accept constructs newer than the pinned nftables 1.0.6 (`last`, `destroy`, the
    /// `persist` table flag; [`syntax::ParseOptions::extensions`]). Off by default: linx
    /// then accepts exactly what nft 1.0.6 accepts.
    pub extensions: bool,
}

impl LoadOptions {
    fn syntax(&self) -> linx_nft_syntax::Options {
        let mut o = linx_nft_syntax::Options::with_include_dirs(&self.include_dirs);
        o.defines = self.defines.clone();
        o.parse.extensions = self.extensions;
        o
    }
}

/// A loaded nft file: the expanded syntax tree and the sources read.
#[derive(Clone, Debug)]
pub struct Source {
    /// Every file read (for rendering diagnostics).
    pub sources: SourceMap,
    /// The expanded syntax tree.
    pub script: ast::Script,
    /// Warnings of parsing and expansion.
    pub warnings: Diagnostics,
}

/// Diagnostics of loading or compiling, with the sources they refer to.
#[derive(Clone, Debug)]
pub struct CompileError {
    /// Every file read.
    pub sources: SourceMap,
    /// The diagnostics (at least one error).
    pub diagnostics: Diagnostics,
}

impl CompileError {
    /// True when every error is an `unsupported:` refusal (NFT-03).
    pub fn is_unsupported(&self) -> bool {
        let mut any = false;
        for d in self.diagnostics.errors() {
            any = true;
            if d.class != linx_nft_syntax::diag::Class::Unsupported {
                return false;
            }
        }
        any
    }

    /// The diagnostics as a JSON array.
    pub fn to_json(&self) -> String {
        self.diagnostics.to_json(&self.sources)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostics.render(&self.sources))
    }
}

impl std::error::Error for CompileError {}

/// Reads, parses and expands an nft file.
///
/// # Errors
/// Unreadable files and syntax errors, located.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Source, CompileError> {
    match linx_nft_syntax::load_file(path, &opts.syntax(), &linx_nft_syntax::expand::OsFileSystem) {
        Ok(p) => Ok(Source {
            sources: p.sources,
            script: p.script,
            warnings: p.warnings,
        }),
        Err(f) => Err(CompileError {
            sources: f.sources,
            diagnostics: f.diagnostics,
        }),
    }
}

/// Parses and expands nft text (includes are read from the file system).
///
/// ```
/// let src = linx::nft::load_str("t.nft", "add table inet t\n", &Default::default()).unwrap();
/// assert_eq!(src.script.items.len(), 1);
/// ```
///
/// # Errors
/// Syntax errors, located.
pub fn load_str(name: &str, text: &str, opts: &LoadOptions) -> Result<Source, CompileError> {
    match linx_nft_syntax::load_str(
        name,
        text,
        &opts.syntax(),
        &linx_nft_syntax::expand::OsFileSystem,
    ) {
        Ok(p) => Ok(Source {
            sources: p.sources,
            script: p.script,
            warnings: p.warnings,
        }),
        Err(f) => Err(CompileError {
            sources: f.sources,
            diagnostics: f.diagnostics,
        }),
    }
}

/// Canonical formatting of nft source text (`linx nft fmt`): parsed without expanding
/// includes and defines, printed in `nft list` layout with the `#` comments kept (see
/// [`print_script_with_comments`](linx_nft_syntax::printer::print_script_with_comments)).
///
/// ```
/// let out = linx::nft::format_str("a.nft", "table inet t { chain c { tcp dport {22,80} accept; }; }").unwrap();
/// assert_eq!(out, "table inet t {\n\tchain c {\n\t\ttcp dport { 22, 80 } accept\n\t}\n}\n");
/// ```
///
/// # Errors
/// Syntax errors, located.
pub fn format_str(name: &str, text: &str) -> Result<String, CompileError> {
    match linx_nft_syntax::parse_str(name, text, &Default::default()) {
        Ok(p) => Ok(linx_nft_syntax::printer::print_script_with_comments(
            &p.script, text,
        )),
        Err(f) => Err(CompileError {
            sources: f.sources,
            diagnostics: f.diagnostics,
        }),
    }
}

/// Interface indexes from a fixed table (tests, offline compilation).
///
/// ```
/// use linx::nft::{IfResolver, StaticIfResolver};
/// let r = StaticIfResolver::new([("lo", 1)]);
/// assert_eq!(r.ifindex("lo"), Some(1));
/// assert_eq!(r.ifindex("eth9"), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct StaticIfResolver {
    map: HashMap<String, u32>,
}

impl StaticIfResolver {
    /// A resolver knowing exactly `entries`.
    pub fn new<I, S>(entries: I) -> StaticIfResolver
    where
        I: IntoIterator<Item = (S, u32)>,
        S: Into<String>,
    {
        StaticIfResolver {
            map: entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}

impl IfResolver for StaticIfResolver {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.map.get(name).copied()
    }

    fn ifnames(&self) -> HashMap<u32, String> {
        first_names(&self.map)
    }
}

/// Names by index; of several names of one index (altnames) the alphabetically first.
fn first_names(map: &HashMap<String, u32>) -> HashMap<u32, String> {
    let mut m = HashMap::new();
    let mut v: Vec<(&String, &u32)> = map.iter().collect();
    v.sort();
    for (n, i) in v {
        m.entry(*i).or_insert_with(|| n.clone());
    }
    m
}

/// Interface indexes of a network namespace, read once with an `RTM_GETLINK` dump (NFT-17).
#[derive(Clone, Debug, Default)]
pub struct NetlinkIfResolver {
    map: HashMap<String, u32>,
}

impl NetlinkIfResolver {
    /// Reads the interfaces of `target`'s network namespace.
    ///
    /// # Errors
    /// Namespace and netlink errors.
    pub fn new(target: &NsTarget) -> LinxResult<NetlinkIfResolver> {
        const RTM_GETLINK: u16 = 18;
        const RTM_NEWLINK: u16 = 16;
        const IFLA_IFNAME: u16 = 3;
        const IFLA_PROP_LIST: u16 = 52;
        const IFLA_ALT_IFNAME: u16 = 53;
        let mut sock = NetlinkSocket::open(Protocol::ROUTE, target)?;
        let mut b = MsgBuilder::new(RTM_GETLINK, 0);
        b.push_header(&[0u8; 16]);
        let req = Request::new(b, "RTM_GETLINK")?;
        let mut map = HashMap::new();
        for m in sock.dump_consistent(&req, 2)? {
            if m.header.msg_type != RTM_NEWLINK || m.payload.len() < 16 {
                continue;
            }
            let idx = u32::from_ne_bytes([m.payload[4], m.payload[5], m.payload[6], m.payload[7]]);
            for a in attrs(&m.payload[16..]).flatten() {
                let kind = a.kind();
                if kind == IFLA_IFNAME {
                    if let Ok(s) = a.str() {
                        map.insert(s.to_string(), idx);
                    }
                } else if kind == IFLA_PROP_LIST {
                    for p in attrs(a.payload).flatten() {
                        if p.kind() == IFLA_ALT_IFNAME
                            && let Ok(s) = p.str()
                        {
                            map.entry(s.to_string()).or_insert(idx);
                        }
                    }
                }
            }
        }
        Ok(NetlinkIfResolver { map })
    }
}

impl NetlinkIfResolver {
    /// Interface names by index (for [`PrintOptions::ifnames`]).
    pub fn names(&self) -> HashMap<u32, String> {
        first_names(&self.map)
    }
}

impl IfResolver for NetlinkIfResolver {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.map.get(name).copied()
    }

    fn ifnames(&self) -> HashMap<u32, String> {
        self.names()
    }
}

/// What the compiler needs from outside the file.
pub struct CompileEnv<'a> {
    /// Interface indexes of the target namespace.
    pub ifr: &'a dyn IfResolver,
    /// The kernel's current ruleset (nft's cache): sets and tables the file refers to without
    /// declaring them.
    pub kernel: Option<&'a Ruleset>,
}

impl<'a> CompileEnv<'a> {
    /// An environment with interface resolution and an empty kernel.
    pub fn new(ifr: &'a dyn IfResolver) -> CompileEnv<'a> {
        CompileEnv { ifr, kernel: None }
    }

    /// The same environment with the kernel's current ruleset.
    pub fn with_kernel(mut self, rs: &'a Ruleset) -> CompileEnv<'a> {
        self.kernel = Some(rs);
        self
    }
}

/// A `reset` command of a file (NFT-08): not a batch message but a request run on its own
/// ([`Nft::reset_objects_of`], [`Nft::reset_object`], [`Nft::reset_rules`], [`Nft::reset_rule`],
/// [`Nft::reset_set`], [`Nft::reset_elements_raw`]) by [`apply_with_output`].
///
/// ```
/// use linx::nft::{compile, load_str, CompileEnv, LoadOptions, ResetCmd, StaticIfResolver};
/// use linx::netfilter::{Family, RuleResetScope};
/// let opts = LoadOptions { extensions: true, ..Default::default() };
/// let src = load_str("r.nft", "reset rules inet\n", &opts).unwrap();
/// let prog = compile(&src, &CompileEnv::new(&StaticIfResolver::default())).unwrap();
/// assert_eq!(prog.resets()[0].0, ResetCmd::Rules { scope: RuleResetScope::Family(Family::Inet) });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResetCmd {
    /// `reset counters|quotas [FAMILY | table FAMILY NAME]`.
    Objects {
        /// Counters or quotas.
        kind: ObjectType,
        /// Which tables.
        scope: ResetScope,
    },
    /// `reset counter|quota FAMILY TABLE NAME`.
    Object {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Counter or quota.
        kind: ObjectType,
        /// Object name.
        name: String,
    },
    /// `reset rules [FAMILY | table F T | chain F T C]` (nftables ≥ 1.0.8;
    /// [`Nft::reset_rules`]).
    Rules {
        /// Which rules.
        scope: RuleResetScope,
    },
    /// `reset rule F T C handle N` (nftables ≥ 1.0.8; [`Nft::reset_rule`]).
    Rule {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// Rule handle.
        handle: u64,
    },
    /// `reset set|map F T NAME` (nftables ≥ 1.0.8; [`Nft::reset_set`]).
    Set {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Set or map name.
        name: String,
    },
    /// `reset element F T S { … }` (nftables ≥ 1.0.8; [`Nft::reset_elements_raw`]).
    Elements {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Set or map name.
        set: String,
        /// The elements' keys in kernel form.
        keys: Vec<RawElement>,
    },
}

/// A compiled file: the messages of one batch, each with the source it came from, or the
/// `reset` commands of a file holding only those.
#[derive(Clone, Debug)]
pub struct Program {
    messages: Vec<NftMessage>,
    spans: Vec<Span>,
    resets: Vec<(ResetCmd, Span)>,
    /// Interface names of the target namespace, for printing what resets return.
    ifnames: HashMap<u32, String>,
    /// The sources, for diagnostics.
    pub sources: SourceMap,
    /// Warnings of loading and compiling.
    pub warnings: Diagnostics,
}

impl Program {
    /// The batch messages, in order (without the batch envelope).
    pub fn messages(&self) -> &[NftMessage] {
        &self.messages
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when the file produces no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The file's `reset` commands, in order, with their source spans (a file with resets has
    /// no batch messages).
    pub fn resets(&self) -> &[(ResetCmd, Span)] {
        &self.resets
    }

    /// The batch to send.
    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        b.extend(self.messages.iter().cloned());
        b
    }

    /// The source span of message `i` (0-based, without the envelope).
    pub fn span(&self, i: usize) -> Option<Span> {
        self.spans.get(i).copied()
    }

    /// The generated expressions of every rule, one line per rule in `nft --debug=netlink`
    /// style (`family table chain [ expr ] …`).
    pub fn bytecode(&self) -> Vec<String> {
        use crate::netfilter::codec::{Decoded, decode};
        let mut out = Vec::new();
        for m in &self.messages {
            if let Ok(Decoded::Rule {
                family,
                table,
                chain,
                rule,
            }) = decode(&m.as_msg())
            {
                out.push(format!("{} {table} {chain}", family.name()));
                for e in &rule.exprs {
                    out.push(format!("  [ {e} ]"));
                }
            }
        }
        out
    }

    /// The ruleset the batch describes when applied to an empty kernel (decoded from the
    /// messages), e.g. for [`print()`].
    ///
    /// # Errors
    /// Messages that do not decode (never for compiled programs).
    pub fn ruleset(&self) -> LinxResult<Ruleset> {
        program::messages_to_ruleset(&self.messages)
    }

    /// The same program with every table it creates owned by the socket that sends the batch
    /// (`NFT_TABLE_F_OWNER`, kernel ≥ 5.13): the kernel deletes those tables, with everything
    /// in them, when that socket closes — whatever happens to the process holding it. Apply
    /// it with [`apply_with`] on an [`Nft`] handle kept open for as long as the tables should
    /// live. Tables that already exist are not affected (the kernel refuses to change the
    /// owner of an existing table with `EOPNOTSUPP`).
    ///
    /// ```
    /// use linx::nft::{compile, load_str, CompileEnv, StaticIfResolver};
    /// use linx::netfilter::{codec, TableLifetime};
    /// let src = load_str("t.nft", "table inet t {\n}\n", &Default::default()).unwrap();
    /// let prog = compile(&src, &CompileEnv::new(&StaticIfResolver::default())).unwrap();
    /// let owned = prog.socket_owned().unwrap();
    /// let codec::Decoded::Table(t) = codec::decode(&owned.messages()[0].as_msg()).unwrap() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(t.lifetime, TableLifetime::SocketOwned);
    /// ```
    ///
    /// # Errors
    /// A table message that does not decode (never for compiled programs).
    pub fn socket_owned(mut self) -> LinxResult<Program> {
        use crate::netfilter::TableLifetime;
        use crate::netfilter::codec::{self, Decoded};
        for m in &mut self.messages {
            if m.msg_type() as u8 != codec::NFT_MSG_NEWTABLE {
                continue;
            }
            if let Decoded::Table(mut t) = codec::decode(&m.as_msg())? {
                if t.lifetime == TableLifetime::Persistent {
                    t.lifetime = TableLifetime::SocketOwned;
                }
                let object = m.object().to_owned();
                *m = codec::new_table(&t, m.flags())?.with_object(object);
            }
        }
        Ok(self)
    }
}

/// Compiles a loaded file into one batch (NFT-01, NFT-15..19).
///
/// ```
/// use linx::nft::{compile, load_str, CompileEnv, StaticIfResolver};
/// let src = load_str("t.nft", "table inet t {\n\tchain c {\n\t\ttcp dport 22 accept\n\t}\n}\n", &Default::default()).unwrap();
/// let r = StaticIfResolver::default();
/// let prog = compile(&src, &CompileEnv::new(&r)).unwrap();
/// assert_eq!(prog.len(), 3); // table, chain, rule
/// ```
///
/// # Errors
/// Located diagnostics: type errors, unknown symbols, conflicting protocols, overlapping
/// intervals, and `unsupported:` refusals.
pub fn compile(src: &Source, env: &CompileEnv<'_>) -> Result<Program, CompileError> {
    let penv = program::Env {
        ifr: env.ifr,
        kernel: env.kernel,
    };
    match program::compile(&src.script, penv) {
        Ok(c) => {
            let mut warnings = src.warnings.clone();
            warnings.extend(c.warnings);
            let (messages, spans) = c.msgs.into_iter().map(|m| (m.msg, m.span)).unzip();
            let ifnames = if c.resets.is_empty() {
                HashMap::new()
            } else {
                env.ifr.ifnames()
            };
            Ok(Program {
                messages,
                spans,
                resets: c.resets,
                ifnames,
                sources: src.sources.clone(),
                warnings,
            })
        }
        Err(d) => Err(CompileError {
            sources: src.sources.clone(),
            diagnostics: d,
        }),
    }
}

/// A failure of [`apply`] or [`check`].
#[derive(Debug)]
pub enum ApplyError {
    /// The kernel refused the batch; nothing was changed. `diagnostic` locates the failing
    /// message in the source (NFT-22).
    Kernel {
        /// The kernel's error.
        error: Error,
        /// The failing message's source, as nft reports it.
        diagnostic: Option<Box<Diagnostic>>,
        /// The sources, for rendering.
        sources: Box<SourceMap>,
    },
    /// Opening the namespace or socket failed.
    Io(Error),
}

impl ApplyError {
    /// The underlying linx error.
    pub fn error(&self) -> &Error {
        match self {
            ApplyError::Kernel { error, .. } | ApplyError::Io(error) => error,
        }
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Kernel {
                error,
                diagnostic: Some(d),
                sources,
            } => {
                write!(f, "{}", d.render(sources))?;
                write!(f, "({error})")
            }
            ApplyError::Kernel { error, .. } | ApplyError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ApplyError {}

fn errno_text(e: &Error) -> String {
    match e {
        Error::Os(o) => {
            let s = std::io::Error::from_raw_os_error(o.errno.raw_os_error()).to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
        other => other.to_string(),
    }
}

fn map_kernel_error(p: &Program, e: Error) -> ApplyError {
    let idx = match &e {
        Error::Os(o) => o.context.batch_index,
        _ => None,
    };
    let span = idx.and_then(|b| b.checked_sub(1)).and_then(|i| p.span(i));
    located_error(p, span, e)
}

fn located_error(p: &Program, span: Option<Span>, e: Error) -> ApplyError {
    let diagnostic = span.filter(|s| !s.is_dummy()).map(|s| {
        let mut d = Diagnostic::error(s, format!("Could not process rule: {}", errno_text(&e)));
        if let Error::Os(o) = &e
            && let Some(x) = &o.context.extack
        {
            d = d.with_note(x.clone(), None);
        }
        Box::new(d)
    });
    ApplyError::Kernel {
        error: e,
        diagnostic,
        sources: Box::new(p.sources.clone()),
    }
}

/// Commits the program as one atomic batch in `target` (NFT-01): all of it or nothing.
///
/// # Errors
/// [`ApplyError::Kernel`] with the failing statement located; [`ApplyError::Io`] for socket
/// and namespace errors.
pub fn apply(p: &Program, target: &NsTarget) -> Result<(), ApplyError> {
    let mut nft = Nft::open(target).map_err(ApplyError::Io)?;
    apply_with(p, &mut nft)
}

/// [`apply`] on an open handle.
///
/// # Errors
/// As [`apply`].
pub fn apply_with(p: &Program, nft: &mut Nft) -> Result<(), ApplyError> {
    apply_with_output(p, nft).map(|_| ())
}

/// [`apply_with`], returning what `nft -f` prints: for a file of `reset` commands, what each
/// reset read before zeroing it, in nft syntax — named counters and quotas as `nft reset
/// counters` prints them (`table ip t {\n\tcounter c {\n\t\tpackets 3 bytes 252\n\t}\n}\n`);
/// for `reset rules|rule|set|map|element` (nftables ≥ 1.0.8, loaded with extensions) the
/// listing newer nft prints: `list ruleset [F]`/`list table`/`list chain` with the rules'
/// counters and quotas as they were (a single rule in its table with only its chain), `list
/// set` with the elements as they were, `get element` for elements. Empty for a batch.
///
/// The listings are in linx's listing style, which is nft 1.0.6's (`nft list` on the reference
/// machines). nft 1.1 lists a few things its own way, and its reset output follows: elements
/// that carry statements one per line, a default `burst 5 packets` spelled out.
///
/// ```no_run
/// use linx::nft::{apply_with_output, compile, load_str, CompileEnv, StaticIfResolver};
/// let src = load_str("r.nft", "reset counters table inet fw\n", &Default::default()).unwrap();
/// let mut nft = linx::netfilter::Nft::open(&linx::ns::NsTarget::Current)?;
/// let kernel = nft.pull()?;
/// let r = StaticIfResolver::default();
/// let prog = compile(&src, &CompileEnv::new(&r).with_kernel(&kernel)).unwrap();
/// print!("{}", apply_with_output(&prog, &mut nft).unwrap());
/// # Ok::<(), linx::Error>(())
/// ```
///
/// # Errors
/// As [`apply`]; a failing reset is located at its command (later ones do not run).
pub fn apply_with_output(p: &Program, nft: &mut Nft) -> Result<String, ApplyError> {
    let mut out = String::new();
    let opts = PrintOptions {
        ifnames: p.ifnames.clone(),
        ..PrintOptions::default()
    };
    for (cmd, span) in &p.resets {
        match run_reset(cmd, nft, &opts) {
            Ok(text) => out.push_str(&text),
            Err(e) => return Err(located_error(p, Some(*span), e)),
        }
    }
    if p.is_empty() {
        return Ok(out);
    }
    nft.send(&p.batch()).map_err(|e| map_kernel_error(p, e))?;
    Ok(out)
}

/// Runs one reset and prints what it returned as nft does: named objects as `nft list
/// counters` lists them; rules in the listing of their scope (`list ruleset [F]`, `list table`,
/// `list chain`; one rule in its table's listing with only its chain) with the tables' sets
/// and objects as they are now and the rules as they were; a set as `list set`; elements as
/// `get element` shows them.
fn run_reset(cmd: &ResetCmd, nft: &mut Nft, opts: &PrintOptions) -> LinxResult<String> {
    use crate::netfilter::{Table, TableLifetime};
    match cmd {
        ResetCmd::Objects { kind, scope } => {
            Ok(print_objects(&nft.reset_objects_of(*kind, scope)?).text)
        }
        ResetCmd::Object {
            family,
            table,
            kind,
            name,
        } => {
            let o = nft.reset_object(*family, table, *kind, name)?;
            let mut t = Table::new(*family, table, TableLifetime::Persistent)?;
            t.objects.push(o);
            let mut rs = Ruleset::new();
            rs.tables.push(t);
            Ok(print_objects(&rs).text)
        }
        ResetCmd::Rules { scope } => {
            let reset = nft.reset_rules(scope)?;
            let listed = with_listing(nft, reset)?;
            Ok(match scope {
                RuleResetScope::Chain(f, t, c) => match listed.table(*f, t) {
                    Some(tb) => match tb.chain(c) {
                        Some(ch) => print_chain(tb, ch, opts).text,
                        None => String::new(),
                    },
                    None => String::new(),
                },
                _ => print(&listed, opts).text,
            })
        }
        ResetCmd::Rule {
            family,
            table,
            chain,
            handle,
        } => {
            let rule = nft.reset_rule(*family, table, chain, *handle)?;
            let mut t = match nft.pull_table(*family, table) {
                Ok(t) => t,
                // Deleted since: the rule alone.
                Err(_) => Table::new(*family, table, TableLifetime::Persistent)?,
            };
            let mut c = match t.chain(chain) {
                Some(c) => c.clone(),
                None => crate::netfilter::Chain::regular(chain)?,
            };
            c.rules = vec![rule];
            t.chains = vec![c];
            Ok(print_table(&t, opts).text)
        }
        ResetCmd::Set {
            family,
            table,
            name,
        } => {
            let set = nft.reset_set(*family, table, name)?;
            let t = Table::new(*family, table, TableLifetime::Persistent)?;
            Ok(print_set_listing(&t, &set, opts).text)
        }
        ResetCmd::Elements {
            family,
            table,
            set,
            keys,
        } => {
            let mut set = nft.reset_elements_raw(*family, table, set, keys)?;
            // nft prints found elements in a copy of the set that keeps neither the set's
            // statements nor its comment (`set_clone`).
            set.exprs.clear();
            set.userdata.set_comment(None)?;
            let t = Table::new(*family, table, TableLifetime::Persistent)?;
            Ok(print_set_listing(&t, &set, opts).text)
        }
    }
}

/// The tables of `reset` (their chains holding the rules as they were) completed with what
/// the kernel lists in them besides chains — table flags, sets with their elements (the
/// anonymous ones the rules refer to included), objects and flowtables — as nft's listing of a
/// reset shows them. A table gone meanwhile stays as `reset` has it.
fn with_listing(nft: &mut Nft, reset: Ruleset) -> LinxResult<Ruleset> {
    let mut out = Ruleset::new();
    let now = match reset.tables.as_slice() {
        [] => Ruleset::new(),
        [one] => {
            let mut rs = Ruleset::new();
            if let Ok(t) = nft.pull_table(one.family, &one.name) {
                rs.tables.push(t);
            }
            rs
        }
        _ => nft.pull()?,
    };
    for t in reset.tables {
        match now.table(t.family, &t.name) {
            Some(k) => {
                let mut k = k.clone();
                k.chains = t.chains;
                out.tables.push(k);
            }
            None => out.tables.push(t),
        }
    }
    Ok(out)
}

/// Lets the kernel validate the program without committing anything (`nft -c`). `reset`
/// commands are not run (nft 1.0.6's `-c` does run them, zeroing the counters).
///
/// # Errors
/// As [`apply`].
pub fn check(p: &Program, target: &NsTarget) -> Result<(), ApplyError> {
    let mut nft = Nft::open(target).map_err(ApplyError::Io)?;
    if p.is_empty() {
        return Ok(());
    }
    nft.validate(&p.batch()).map_err(|e| map_kernel_error(p, e))
}
