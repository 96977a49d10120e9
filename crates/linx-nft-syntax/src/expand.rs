//! `include` resolution and `define` binding, as nft 1.0.6 does them.
//!
//! * **Includes** are resolved like nft's scanner: a name starting with `/`, `./` or `../` is
//!   used as given (relative names relative to the working directory); any other name is looked
//!   up in the include paths in order ([`crate::Options::include_paths`]). Names may be globs
//!   (`*`, `?`, `[…]`): matches are read in alphabetical order and a glob may match nothing, while
//!   a literal name that is found nowhere is an error at the `include` line. Included files are
//!   parsed in place, as items of the block the `include` stands in. Nesting is limited to 16
//!   files, and a file that includes itself (directly or not) is an error.
//! * **Defines** are bound in order: `define` of a name visible in the current scope is an error
//!   (`redefine` replaces it), `undefine` removes it; table and chain bodies open a scope. A
//!   `$name` takes the value bound at its use site; an unknown name is an error with a
//!   did-you-mean. `$name` inside a `log prefix` string is substituted as nft does.
//!
//! Files are read through the [`FileSystem`] trait so tests can use [`MemoryFileSystem`].

use crate::Options;
use crate::ast::*;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::parser::{BlockKind, Items, parse_define_value, parse_items};
use crate::source::{SourceMap, Span};
use crate::walk::{VisitMut, WalkMut};
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// nft's maximum include nesting (files, counting the main one).
pub const MAX_INCLUDE_DEPTH: u32 = 16;

/// Upper bound on the number of expression nodes copied by variable expansion (defines holding
/// sets that are used in other defines can otherwise grow exponentially).
const EXPANSION_BUDGET: usize = 1_000_000;

/// What a path names.
///
/// ```
/// use linx_nft_syntax::expand::{FileKind, FileSystem, MemoryFileSystem};
/// let mut fs = MemoryFileSystem::new();
/// fs.add("/a/b.nft", "");
/// assert_eq!(fs.kind("/a".as_ref()), Some(FileKind::Dir));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (or anything readable that is not a directory).
    File,
    /// A directory.
    Dir,
}

/// The file access the expander needs.
pub trait FileSystem {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// What `path` is, or `None` if it does not exist.
    fn kind(&self, path: &Path) -> Option<FileKind>;
    /// The entry names of a directory (any order).
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// A stable identity of a file for cycle detection (defaults to the path).
    fn identity(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// The real file system (relative paths are relative to the working directory, as in nft).
///
/// ```
/// use linx_nft_syntax::expand::{FileSystem, OsFileSystem};
/// assert!(OsFileSystem.kind("/".as_ref()).is_some());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct OsFileSystem;

impl FileSystem for OsFileSystem {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let m = std::fs::metadata(path).ok()?;
        Some(if m.is_dir() {
            FileKind::Dir
        } else {
            FileKind::File
        })
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            out.push(e.file_name().to_string_lossy().into_owned());
        }
        Ok(out)
    }

    fn identity(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// An in-memory file system for tests. Relative paths are resolved against a working directory
/// (`/` unless set with [`MemoryFileSystem::with_cwd`]).
///
/// ```
/// use linx_nft_syntax::expand::{FileSystem, MemoryFileSystem};
/// let mut fs = MemoryFileSystem::with_cwd("/work");
/// fs.add("/work/a.nft", "flush ruleset\n");
/// assert_eq!(fs.read("./a.nft".as_ref()).unwrap(), b"flush ruleset\n");
/// ```
#[derive(Clone, Debug)]
pub struct MemoryFileSystem {
    files: BTreeMap<PathBuf, Vec<u8>>,
    cwd: PathBuf,
}

impl Default for MemoryFileSystem {
    fn default() -> Self {
        MemoryFileSystem::new()
    }
}

impl MemoryFileSystem {
    /// An empty file system with working directory `/`.
    ///
    /// ```
    /// let fs = linx_nft_syntax::expand::MemoryFileSystem::new();
    /// # let _ = fs;
    /// ```
    pub fn new() -> MemoryFileSystem {
        MemoryFileSystem::with_cwd("/")
    }

    /// An empty file system with the given working directory.
    ///
    /// ```
    /// let fs = linx_nft_syntax::expand::MemoryFileSystem::with_cwd("/tmp");
    /// # let _ = fs;
    /// ```
    pub fn with_cwd(cwd: impl AsRef<Path>) -> MemoryFileSystem {
        MemoryFileSystem {
            files: BTreeMap::new(),
            cwd: normalize(Path::new("/"), cwd.as_ref()),
        }
    }

    /// Adds (or replaces) a file.
    ///
    /// ```
    /// let mut fs = linx_nft_syntax::expand::MemoryFileSystem::new();
    /// fs.add("/etc/nftables.d/a.nft", "");
    /// ```
    pub fn add(&mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) {
        let p = normalize(&self.cwd, path.as_ref());
        self.files.insert(p, contents.into());
    }

    fn abs(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd, path)
    }
}

/// Lexically resolves `.` and `..` of `path` joined to `cwd`.
fn normalize(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

impl FileSystem for MemoryFileSystem {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let p = self.abs(path);
        if let Some(b) = self.files.get(&p) {
            return Ok(b.clone());
        }
        if self.kind(path) == Some(FileKind::Dir) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "Is a directory",
            ));
        }
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            "No such file or directory",
        ))
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let p = self.abs(path);
        if self.files.contains_key(&p) {
            return Some(FileKind::File);
        }
        if p == Path::new("/") || self.files.keys().any(|k| k.starts_with(&p) && k != &p) {
            return Some(FileKind::Dir);
        }
        None
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let d = self.abs(dir);
        let mut out: Vec<String> = Vec::new();
        for k in self.files.keys() {
            if let Ok(rest) = k.strip_prefix(&d) {
                if let Some(Component::Normal(first)) = rest.components().next() {
                    let n = first.to_string_lossy().into_owned();
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
        if out.is_empty() && self.kind(dir) != Some(FileKind::Dir) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory",
            ));
        }
        Ok(out)
    }

    fn identity(&self, path: &Path) -> PathBuf {
        self.abs(path)
    }
}

// -------------------------------------------------------------------------------------------------
// glob

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// fnmatch(3) without flags except that a leading `.` must be matched explicitly.
fn fnmatch(pat: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pat.first() != Some(&b'.') {
        return false;
    }
    fn m(p: &[u8], n: &[u8], fuel: &mut u32) -> bool {
        if *fuel == 0 {
            return false;
        }
        *fuel -= 1;
        match p.first() {
            None => n.is_empty(),
            Some(b'*') => {
                let rest = &p[1..];
                (0..=n.len()).any(|i| m(rest, &n[i..], fuel))
            }
            Some(b'?') => !n.is_empty() && m(&p[1..], &n[1..], fuel),
            Some(b'[') => {
                let Some(&c) = n.first() else {
                    return false;
                };
                let mut i = 1;
                let negate = matches!(p.get(1), Some(b'!' | b'^'));
                if negate {
                    i += 1;
                }
                let mut matched = false;
                let mut first = true;
                loop {
                    let Some(&pc) = p.get(i) else {
                        // Unterminated class: '[' is literal.
                        return c == b'[' && m(&p[1..], &n[1..], fuel);
                    };
                    if pc == b']' && !first {
                        i += 1;
                        break;
                    }
                    first = false;
                    if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&e| e != b']') {
                        let hi = p[i + 2];
                        if pc <= c && c <= hi {
                            matched = true;
                        }
                        i += 3;
                    } else {
                        if pc == c {
                            matched = true;
                        }
                        i += 1;
                    }
                }
                matched != negate && m(&p[i..], &n[1..], fuel)
            }
            Some(&pc) => n.first() == Some(&pc) && m(&p[1..], &n[1..], fuel),
        }
    }
    let mut fuel = 100_000;
    m(pat, name, &mut fuel)
}

/// Expands a glob pattern to the regular files it matches, sorted (as glob(3) in the C
/// locale); directories are left out. A pattern without magic characters yields itself if it
/// names a file.
///
/// ```
/// use linx_nft_syntax::expand::{glob, MemoryFileSystem};
/// let mut fs = MemoryFileSystem::new();
/// fs.add("/r/b.nft", ""); fs.add("/r/a.nft", ""); fs.add("/r/c.txt", "");
/// let m = glob(&fs, "/r/*.nft");
/// assert_eq!(m, vec![std::path::PathBuf::from("/r/a.nft"), "/r/b.nft".into()]);
/// ```
pub fn glob(fs: &dyn FileSystem, pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut current: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (idx, comp) in comps.iter().enumerate() {
        let last = idx + 1 == comps.len();
        let mut next = Vec::new();
        for base in &current {
            if has_magic(comp) {
                let dir = if base.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    base.clone()
                };
                let Ok(mut names) = fs.read_dir(&dir) else {
                    continue;
                };
                names.sort();
                for n in names {
                    if fnmatch(comp.as_bytes(), n.as_bytes()) {
                        let p = base.join(&n);
                        if last || fs.kind(&p) == Some(FileKind::Dir) {
                            next.push(p);
                        }
                    }
                }
            } else {
                let p = base.join(comp);
                if fs.kind(&p).is_some() {
                    next.push(p);
                }
            }
        }
        current = next;
        if current.is_empty() {
            break;
        }
    }
    if comps.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<PathBuf> = current
        .into_iter()
        .filter(|p| fs.kind(p) == Some(FileKind::File))
        .collect();
    out.sort();
    out
}

/// Converts file bytes to text; non-UTF-8 input becomes a located error (the file is added to
/// `sources` lossily so the error can be shown).
///
/// ```
/// use linx_nft_syntax::{expand::decode_utf8, SourceMap};
/// let mut sm = SourceMap::new();
/// let err = decode_utf8(&mut sm, "x.nft", b"ok\n\xff\n".to_vec(), None).unwrap_err();
/// assert_eq!(err.location_string(&sm), "x.nft:2:1");
/// ```
pub fn decode_utf8(
    sources: &mut SourceMap,
    name: &str,
    bytes: Vec<u8>,
    included_from: Option<Span>,
) -> Result<String, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = sources.add(name, text, included_from);
            Err(Diagnostic::error(
                Span::new(id, at as u32, at as u32 + 1),
                "file is not valid UTF-8",
            ))
        }
    }
}

// -------------------------------------------------------------------------------------------------
// the expander

struct Symbol {
    name: String,
    value: Expr,
    span: Span,
    nodes: usize,
}

struct Expander<'a> {
    sources: &'a mut SourceMap,
    opts: &'a Options,
    fs: &'a dyn FileSystem,
    diags: Diagnostics,
    scopes: Vec<Vec<Symbol>>,
    stack: Vec<PathBuf>,
    budget: usize,
}

/// Expands includes and defines of a parsed script (see the module documentation). Returns the
/// expanded script and the diagnostics; the script is complete only if there are no errors.
///
/// ```
/// use linx_nft_syntax::{expand::{expand, MemoryFileSystem}, parse_str, Options};
/// let p = parse_str("a.nft", "define P = { 22, 80 }\nadd rule ip t c tcp dport $P accept\n", &Default::default()).unwrap();
/// let mut sources = p.sources;
/// let (script, diags) = expand(&mut sources, p.script, &Options::default(), &MemoryFileSystem::new());
/// assert!(diags.is_empty());
/// assert_eq!(script.items.len(), 1);
/// ```
pub fn expand(
    sources: &mut SourceMap,
    script: Script,
    opts: &Options,
    fs: &dyn FileSystem,
) -> (Script, Diagnostics) {
    let mut x = Expander {
        sources,
        opts,
        fs,
        diags: Diagnostics::new(),
        scopes: vec![Vec::new()],
        stack: Vec::new(),
        budget: 0,
    };
    x.predefine();
    let items = x.top(script.items, 1);
    (Script { items }, x.diags)
}

impl Expander<'_> {
    fn predefine(&mut self) {
        for (name, value) in &self.opts.defines {
            let id = self
                .sources
                .add(format!("<define {name}>"), value.clone(), None);
            let (v, d) = parse_define_value(value, id, &self.opts.parse);
            self.diags.extend(d);
            if let Some(v) = v {
                let nodes = count_nodes(&v);
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push(Symbol {
                        name: name.clone(),
                        value: v,
                        span: Span::DUMMY,
                        nodes,
                    });
                }
            }
        }
    }

    fn error(&mut self, d: Diagnostic) {
        if self.diags.len() < 1000 {
            self.diags.push(d);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Symbol> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.iter().rev().find(|sym| sym.name == name))
    }

    fn visible_names(&self) -> Vec<String> {
        self.scopes
            .iter()
            .flat_map(|s| s.iter().map(|x| x.name.clone()))
            .collect()
    }

    /// Binds the variables of a node.
    fn bind<T: WalkMut>(&mut self, node: &mut T) {
        let mut b = Binder { x: self };
        node.walk_mut(&mut b);
    }

    fn directive(&mut self, d: Directive) {
        match d {
            Directive::Define {
                name,
                mut value,
                redefine,
                ..
            } => {
                self.bind(&mut value);
                if !redefine {
                    if let Some(prev) = self.lookup(&name.name) {
                        let mut diag = Diagnostic::error(
                            name.span,
                            format!("redefinition of symbol '{}'", name.name),
                        );
                        if !prev.span.is_dummy() {
                            diag = diag.with_note("previously defined here", Some(prev.span));
                        }
                        diag = diag.with_note("use 'redefine' to replace a definition", None);
                        self.error(diag);
                        return;
                    }
                }
                let nodes = count_nodes(&value);
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push(Symbol {
                        name: name.name,
                        value,
                        span: name.span,
                        nodes,
                    });
                }
            }
            Directive::Undefine { name, .. } => {
                let Some(scope) = self.scopes.last_mut() else {
                    return;
                };
                let before = scope.len();
                scope.retain(|s| s.name != name.name);
                if scope.len() == before {
                    // nft 1.0.6 accepts this silently.
                    self.diags.push(Diagnostic::warning(
                        name.span,
                        format!("undefine of unknown symbol '{}'", name.name),
                    ));
                }
            }
            Directive::Include { .. } => {}
        }
    }

    /// Resolves an include and returns the parsed items of every file, already expanded.
    fn include(&mut self, path: &Str, span: Span, kind: BlockKind, depth: u32) -> Vec<Items> {
        let name = path.text.as_str();
        let search = !(name.starts_with('/') || name.starts_with("./") || name.starts_with("../"));
        let wildcard = has_magic(name);
        let mut files: Vec<PathBuf> = Vec::new();
        let mut found = false;
        if search {
            for dir in &self.opts.include_paths {
                let full = format!("{}/{}", dir.display(), name);
                if wildcard {
                    files.extend(glob(self.fs, &full));
                } else {
                    match self.fs.kind(Path::new(&full)) {
                        Some(FileKind::File) => {
                            files.push(PathBuf::from(full));
                            found = true;
                            break;
                        }
                        Some(FileKind::Dir) => {
                            // nft's glob marks directories and skips them, yet stops searching.
                            found = true;
                            break;
                        }
                        None => {}
                    }
                }
            }
        } else if wildcard {
            files.extend(glob(self.fs, name));
        } else {
            match self.fs.kind(Path::new(name)) {
                Some(FileKind::File) => {
                    files.push(PathBuf::from(name));
                    found = true;
                }
                Some(FileKind::Dir) => found = true,
                None => {}
            }
        }
        if !wildcard && !found {
            let mut d = Diagnostic::error(span, format!("File not found: {name}"));
            if search {
                let dirs: Vec<String> = self
                    .opts
                    .include_paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                d = d.with_note(
                    format!(
                        "searched the include paths {}; use ./{name} for a path relative to the working directory",
                        dirs.join(", ")
                    ),
                    None,
                );
            }
            self.error(d);
            return Vec::new();
        }
        let mut out = Vec::new();
        for f in files {
            if depth >= MAX_INCLUDE_DEPTH {
                self.error(Diagnostic::error(
                    span,
                    format!("Include nested too deeply, max {MAX_INCLUDE_DEPTH} levels"),
                ));
                return out;
            }
            let ident = self.fs.identity(&f);
            if self.stack.contains(&ident) {
                self.error(
                    Diagnostic::error(
                        span,
                        format!("include cycle: {} includes itself", f.display()),
                    )
                    .with_note("nft stops such a file at the nesting limit of 16", None),
                );
                return out;
            }
            let bytes = match self.fs.read(&f) {
                Ok(b) => b,
                Err(e) => {
                    self.error(Diagnostic::error(
                        span,
                        format!("Could not open file \"{}\": {e}", f.display()),
                    ));
                    return out;
                }
            };
            let fname = f.display().to_string();
            let text = match decode_utf8(self.sources, &fname, bytes, Some(span)) {
                Ok(t) => t,
                Err(d) => {
                    self.error(d);
                    continue;
                }
            };
            let id = self.sources.add(fname, text.clone(), Some(span));
            let (items, d) = parse_items(&text, id, kind, &self.opts.parse);
            let had_errors = d.has_errors();
            self.diags.extend(d);
            if had_errors {
                continue;
            }
            self.stack.push(ident);
            let expanded = match items {
                Items::Top(v) => Items::Top(self.top(v, depth + 1)),
                Items::Table(v) => Items::Table(self.table_items(v, depth + 1)),
                Items::Chain(v) => Items::Chain(self.chain_items(v, depth + 1)),
                Items::Set(v) => {
                    let map = matches!(kind, BlockKind::Set { map: true });
                    Items::Set(self.set_items(v, depth + 1, map))
                }
                Items::Flowtable(v) => Items::Flowtable(self.flowtable_items(v, depth + 1)),
                Items::Object(v) => {
                    let k = match kind {
                        BlockKind::Object(k) => k,
                        _ => ObjectKind::Counter,
                    };
                    Items::Object(self.object_items(v, depth + 1, k))
                }
            };
            self.stack.pop();
            out.push(expanded);
        }
        out
    }

    fn top(&mut self, items: Vec<TopItem>, depth: u32) -> Vec<TopItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                TopItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Top, depth) {
                        if let Items::Top(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                TopItem::Directive(d) => self.directive(d),
                TopItem::Command(c) => out.push(TopItem::Command(self.command(c, depth))),
            }
        }
        out
    }

    fn command(&mut self, mut c: Command, depth: u32) -> Command {
        match &mut c.kind {
            CommandKind::Table { body: Some(b), .. } => {
                self.scopes.push(Vec::new());
                b.items = self.table_items(std::mem::take(&mut b.items), depth);
                self.scopes.pop();
            }
            CommandKind::Chain { body: Some(b), .. } => {
                self.scopes.push(Vec::new());
                b.items = self.chain_items(std::mem::take(&mut b.items), depth);
                self.scopes.pop();
            }
            CommandKind::Set {
                body: Some(b), map, ..
            } => {
                let map = *map;
                b.items = self.set_items(std::mem::take(&mut b.items), depth, map);
            }
            CommandKind::Flowtable { body: Some(b), .. } => {
                b.items = self.flowtable_items(std::mem::take(&mut b.items), depth);
            }
            CommandKind::Object {
                body: Some(b),
                kind,
                ..
            } => {
                let kind = *kind;
                b.items = self.object_items(std::mem::take(&mut b.items), depth, kind);
            }
            CommandKind::Rule { rule, .. } => self.bind(rule),
            CommandKind::Element { elements, .. } => self.bind(elements),
            _ => {}
        }
        c
    }

    fn table_items(&mut self, items: Vec<TableItem>, depth: u32) -> Vec<TableItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                TableItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Table, depth) {
                        if let Items::Table(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                TableItem::Directive(d) => self.directive(d),
                TableItem::Chain(mut c) => {
                    self.scopes.push(Vec::new());
                    c.body.items = self.chain_items(std::mem::take(&mut c.body.items), depth);
                    self.scopes.pop();
                    out.push(TableItem::Chain(c));
                }
                TableItem::Set(mut s) => {
                    s.body.items = self.set_items(std::mem::take(&mut s.body.items), depth, s.map);
                    out.push(TableItem::Set(s));
                }
                TableItem::Flowtable(mut f) => {
                    f.body.items = self.flowtable_items(std::mem::take(&mut f.body.items), depth);
                    out.push(TableItem::Flowtable(f));
                }
                TableItem::Object(mut o) => {
                    o.body.items =
                        self.object_items(std::mem::take(&mut o.body.items), depth, o.kind);
                    out.push(TableItem::Object(o));
                }
                other => out.push(other),
            }
        }
        out
    }

    fn chain_items(&mut self, items: Vec<ChainItem>, depth: u32) -> Vec<ChainItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                ChainItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Chain, depth) {
                        if let Items::Chain(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                ChainItem::Directive(d) => self.directive(d),
                mut other => {
                    self.bind(&mut other);
                    out.push(other);
                }
            }
        }
        out
    }

    fn set_items(&mut self, items: Vec<SetItem>, depth: u32, map: bool) -> Vec<SetItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                SetItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Set { map }, depth) {
                        if let Items::Set(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                SetItem::Directive(d) => self.directive(d),
                mut other => {
                    self.bind(&mut other);
                    out.push(other);
                }
            }
        }
        out
    }

    fn flowtable_items(&mut self, items: Vec<FlowtableItem>, depth: u32) -> Vec<FlowtableItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                FlowtableItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Flowtable, depth) {
                        if let Items::Flowtable(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                FlowtableItem::Directive(d) => self.directive(d),
                mut other => {
                    self.bind(&mut other);
                    out.push(other);
                }
            }
        }
        out
    }

    fn object_items(
        &mut self,
        items: Vec<ObjectItem>,
        depth: u32,
        kind: ObjectKind,
    ) -> Vec<ObjectItem> {
        let mut out = Vec::new();
        for it in items {
            match it {
                ObjectItem::Directive(Directive::Include { path, span }) => {
                    for inc in self.include(&path, span, BlockKind::Object(kind), depth) {
                        if let Items::Object(v) = inc {
                            out.extend(v);
                        }
                    }
                }
                ObjectItem::Directive(d) => self.directive(d),
                other => out.push(other),
            }
        }
        out
    }
}

struct Binder<'x, 'a> {
    x: &'x mut Expander<'a>,
}

impl VisitMut for Binder<'_, '_> {
    /// nft's grammar takes no `$define` in a rate, quota or timeout; only the `nft!` macro's
    /// Rust values may stand there (or any variable with [`ParseOptions::extensions`]).
    ///
    /// [`ParseOptions::extensions`]: crate::ParseOptions::extensions
    fn literal_var(&mut self, v: &mut Var, time: bool) {
        if v.value.is_some()
            || self.x.opts.parse.extensions
            || (self.x.lookup(&v.name).is_none() && self.x.opts.externals.contains(&v.name))
        {
            return;
        }
        let expecting = if time { "string" } else { "number" };
        self.x.error(Diagnostic::error(
            v.span,
            format!("syntax error, unexpected '$', expecting {expecting}"),
        ));
        // Reported once: `var` must not report it unknown as well.
        v.value = Some(Box::new(Expr::number(0)));
    }

    fn var(&mut self, v: &mut Var) {
        if v.value.is_some() {
            return;
        }
        let nodes = self.x.lookup(&v.name).map(|s| s.nodes);
        match nodes {
            Some(nodes) => {
                self.x.budget = self.x.budget.saturating_add(nodes);
                if self.x.budget > EXPANSION_BUDGET {
                    self.x.error(Diagnostic::error(
                        v.span,
                        "defines expand to too large an expression",
                    ));
                    return;
                }
                v.value = self.x.lookup(&v.name).map(|s| Box::new(s.value.clone()));
            }
            None if self.x.opts.externals.contains(&v.name) => {}
            None => {
                let names = self.x.visible_names();
                let s = did_you_mean(&v.name, names.iter());
                let d = Diagnostic::error(v.span, format!("unknown identifier '{}'", v.name))
                    .maybe_suggest(s);
                self.x.error(d);
            }
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        let StmtKind::Log(log) = &mut s.kind else {
            return;
        };
        let Some(prefix) = &mut log.prefix else {
            return;
        };
        if !prefix.text.contains('$') {
            return;
        }
        let mut out = String::new();
        let text = prefix.text.clone();
        let mut rest = text.as_str();
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            let found = self.x.lookup(name).map(|s| s.value.clone());
            match found {
                Some(v) => match &v.resolved().kind {
                    ExprKind::Symbol(t) | ExprKind::Quoted(t) | ExprKind::Asterisk(t) => {
                        out.push_str(t)
                    }
                    ExprKind::Number(n) => out.push_str(&n.text),
                    _ => {
                        self.x.error(Diagnostic::error(
                            prefix.span,
                            format!("log prefix variable '${name}' does not hold a string"),
                        ));
                        return;
                    }
                },
                None => {
                    let names = self.x.visible_names();
                    let s = did_you_mean(name, names.iter());
                    self.x.error(
                        Diagnostic::error(prefix.span, format!("unknown identifier '{name}'"))
                            .maybe_suggest(s),
                    );
                    return;
                }
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        prefix.text = out;
    }
}

fn count_nodes(e: &Expr) -> usize {
    fn count(e: &Expr, depth: u32) -> usize {
        if depth > 200 {
            return 1;
        }
        let d = depth + 1;
        1 + match &e.kind {
            ExprKind::Variable(v) => v.value.as_deref().map_or(0, |x| count(x, d)),
            ExprKind::Concat(v) | ExprKind::List(v) => v.iter().map(|x| count(x, d)).sum(),
            ExprKind::Binary { left, right, .. } => count(left, d) + count(right, d),
            ExprKind::Prefix { base, .. } => count(base, d),
            ExprKind::Range { low, high } => count(low, d) + count(high, d),
            ExprKind::Map { key, map } => count(key, d) + count(map, d),
            ExprKind::Masked { value, mask } => count(value, d) + count(mask, d),
            ExprKind::Jhash { expr, .. } => count(expr, d),
            ExprKind::Set(elems) => elems
                .iter()
                .map(|el| count(&el.key, d) + el.data.as_ref().map_or(0, |x| count(x, d)))
                .sum(),
            _ => 0,
        }
    }
    count(e, 0)
}
