//! The nftables text language for linx: scanner, parser, typed AST, `include`/`define`
//! expansion, diagnostics and an AST printer.
//!
//! This crate is pure: it depends on nothing but `std`, and it reads files only through the
//! [`expand::FileSystem`] trait (an in-memory implementation is provided for tests). The grammar
//! follows nftables 1.0.6, the pinned reference: what nft 1.0.6 rejects, this crate rejects
//! (constructs of later nft releases — `destroy`, `last`, `gre`/`vxlan` inner headers, the
//! `persist` table flag — are reported as `unsupported` unless [`ParseOptions::extensions`] is
//! set).
//!
//! # Stages
//!
//! 1. [`lexer`]: text to tokens (never fails; junk becomes a token the parser reports).
//! 2. [`parse_str`]: tokens to the *source* AST ([`ast::Script`]), still holding `include`,
//!    `define` and `$var` references; errors are collected with recovery at statement and block
//!    boundaries.
//! 3. [`load_str`] / [`load_file`]: parse plus [`expand`]: includes resolved as nft does, defines
//!    bound in order, every `$var` carrying its value.
//! 4. [`printer::print_script`]: canonical nft text from an AST; `parse(print(ast)) == ast`.
//!
//! # Fidelity notes
//!
//! * Statement separators are required exactly where nft 1.0.6 requires them (after every rule
//!   and declaration, also before a closing brace: `chain c { accept }` is an error in nft).
//! * nft's scanner turns some words into keywords only while a construct is open (`state` right
//!   after `ct …`); such words are accepted here as plain symbols. nft rejects them with a
//!   syntax error; linx's evaluator rejects them as unknown values, so the input is still
//!   refused.
//! * An included file is parsed as a whole list of items of the block the `include` stands in;
//!   nft splices tokens, so a file that opens a brace closed by its includer works there only.
//! * Semantic checks (types, protocol context, known sets and chains) belong to the evaluator;
//!   the parser performs the checks nft's grammar performs (chain types and hooks, log levels,
//!   data type names, time strings, byte units, fib flags, comment length, limit burst).
//!
//! ```
//! use linx_nft_syntax::{load_str, expand::MemoryFileSystem, Options};
//! let text = "define WAN = \"eth0\"\ntable inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tiifname $WAN tcp dport 22 accept\n\t}\n}\n";
//! let loaded = load_str("fw.nft", text, &Options::default(), &MemoryFileSystem::new()).unwrap();
//! let out = linx_nft_syntax::printer::print_script(&loaded.script);
//! assert!(out.contains("iifname \"eth0\" tcp dport 22 accept"));
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod ast;
pub mod diag;
pub mod expand;
pub mod keywords;
pub mod lexer;
mod parser;
pub mod printer;
pub mod source;
pub mod walk;

pub use diag::{Diagnostic, Diagnostics};
pub use source::{FileId, Location, SourceMap, Span};

use std::fmt;
use std::path::{Path, PathBuf};

/// The words of every diagnostic about syntax that nftables added after 1.0.6 and
/// [`ParseOptions::extensions`] accepts, so that a front end can say how to turn them on.
pub const ACCEPTED_WITH_EXTENSIONS: &str =
    "the pinned reference is 1.0.6; linx accepts it with extensions";

/// Options of the parser.
///
/// ```
/// let o = linx_nft_syntax::ParseOptions::default();
/// assert!(!o.extensions);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept constructs newer than nftables 1.0.6 (`destroy`, `last`, table flag `persist`).
    /// Off by default, so that linx accepts exactly what the pinned nft accepts.
    pub extensions: bool,
}

/// Options of loading (parse and expand).
///
/// ```
/// use linx_nft_syntax::Options;
/// let o = Options::with_include_dirs(["/tmp/rules"]);
/// assert_eq!(o.include_paths.first().map(|p| p.as_os_str()), Some("/etc".as_ref()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Parser options.
    pub parse: ParseOptions,
    /// Directories searched, in order, for include names that do not start with `/`, `./` or
    /// `../`. nft 1.0.6 searches its default directory (`/etc`) first and then the `-I`
    /// directories in the order given; [`Options::with_include_dirs`] builds that list.
    pub include_paths: Vec<PathBuf>,
    /// Predefined variables (`-D NAME=VALUE`); values are parsed as define values.
    pub defines: Vec<(String, String)>,
    /// Names bound outside the text (the interpolations of linx's `nft!` macro): a `$name` in
    /// this list that no `define` binds is left unbound ([`ast::Var::value`] stays `None`)
    /// instead of being reported as an unknown identifier. Empty by default.
    ///
    /// ```
    /// use linx_nft_syntax::{load_str, expand::MemoryFileSystem, Options};
    /// let mut o = Options::default();
    /// o.externals.push("port".into());
    /// let text = "table inet t {\n\tchain c {\n\t\ttcp dport $port accept\n\t}\n}\n";
    /// assert!(load_str("a.nft", text, &o, &MemoryFileSystem::new()).is_ok());
    /// assert!(load_str("a.nft", text, &Options::default(), &MemoryFileSystem::new()).is_err());
    /// ```
    pub externals: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            parse: ParseOptions::default(),
            include_paths: vec![PathBuf::from(DEFAULT_INCLUDE_PATH)],
            defines: Vec::new(),
            externals: Vec::new(),
        }
    }
}

/// nft's default include directory.
pub const DEFAULT_INCLUDE_PATH: &str = "/etc";

impl Options {
    /// The include search list nft 1.0.6 uses with these `-I` directories: the default
    /// directory, then the given ones.
    ///
    /// ```
    /// let o = linx_nft_syntax::Options::with_include_dirs(["a", "b"]);
    /// assert_eq!(o.include_paths.len(), 3);
    /// ```
    pub fn with_include_dirs<I, P>(dirs: I) -> Options
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let mut o = Options::default();
        o.include_paths
            .extend(dirs.into_iter().map(|d| d.as_ref().to_path_buf()));
        o
    }
}

/// A successful parse or load: the sources read and the AST, plus warnings.
///
/// ```
/// let p = linx_nft_syntax::parse_str("a.nft", "flush ruleset\n", &Default::default()).unwrap();
/// assert!(p.warnings.is_empty());
/// assert_eq!(p.sources.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Parsed {
    /// Every file read (for rendering diagnostics of later stages).
    pub sources: SourceMap,
    /// The AST (source AST from [`parse_str`], expanded AST from [`load_str`]/[`load_file`]).
    pub script: ast::Script,
    /// Warnings.
    pub warnings: Diagnostics,
}

/// A failed parse or load: the sources read and the diagnostics (errors and warnings).
///
/// `Display` renders at most 10 errors plus a count of the rest.
///
/// ```
/// let e = linx_nft_syntax::parse_str("a.nft", "tabel ip t {\n}\n", &Default::default()).unwrap_err();
/// assert!(e.to_string().starts_with("a.nft:1:1: error: unknown command 'tabel'; did you mean 'table'?"));
/// ```
#[derive(Clone, Debug)]
pub struct Failure {
    /// Every file read.
    pub sources: SourceMap,
    /// The diagnostics.
    pub diagnostics: Diagnostics,
    /// The AST recovered despite the errors (useful for tooling).
    pub partial: ast::Script,
}

impl Failure {
    /// The diagnostics rendered as one JSON array.
    ///
    /// ```
    /// let e = linx_nft_syntax::parse_str("a.nft", "0b101\n", &Default::default()).unwrap_err();
    /// assert!(e.to_json().starts_with("[{\"file\":\"a.nft\""));
    /// ```
    pub fn to_json(&self) -> String {
        self.diagnostics.to_json(&self.sources)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostics.render(&self.sources))
    }
}

impl std::error::Error for Failure {}

fn split(sources: SourceMap, script: ast::Script, diags: Diagnostics) -> Result<Parsed, Failure> {
    if diags.has_errors() {
        Err(Failure {
            sources,
            diagnostics: diags,
            partial: script,
        })
    } else {
        Ok(Parsed {
            sources,
            script,
            warnings: diags,
        })
    }
}

/// Parses one text into the source AST (includes and defines are kept, not resolved).
///
/// ```
/// use linx_nft_syntax::{parse_str, ast::TopItem};
/// let p = parse_str("a.nft", "define P = 22\nadd table inet t\n", &Default::default()).unwrap();
/// assert!(matches!(p.script.items[0], TopItem::Directive(_)));
/// ```
pub fn parse_str(name: &str, text: &str, options: &ParseOptions) -> Result<Parsed, Failure> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text, None);
    let (script, diags) = parser::parse_script(text, id, options);
    split(sources, script, diags)
}

/// Parses a text and expands its includes and defines.
///
/// ```
/// use linx_nft_syntax::{load_str, expand::MemoryFileSystem, Options};
/// let err = load_str("a.nft", "define X = 1\ndefine X = 2\n", &Options::default(), &MemoryFileSystem::new()).unwrap_err();
/// assert!(err.to_string().contains("redefinition of symbol 'X'"));
/// ```
pub fn load_str(
    name: &str,
    text: &str,
    options: &Options,
    fs: &dyn expand::FileSystem,
) -> Result<Parsed, Failure> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text, None);
    let (script, mut diags) = parser::parse_script(text, id, &options.parse);
    if diags.has_errors() {
        return split(sources, script, diags);
    }
    let (expanded, d2) = expand::expand(&mut sources, script, options, fs);
    diags.extend(d2);
    split(sources, expanded, diags)
}

/// Reads a file through `fs`, parses it and expands its includes and defines. An unreadable
/// file is an error naming the path and the OS error; non-UTF-8 text is a located error.
///
/// ```
/// use linx_nft_syntax::{load_file, expand::MemoryFileSystem, Options};
/// let mut fs = MemoryFileSystem::new();
/// fs.add("/rules/main.nft", "include \"./x.nft\"\n");
/// let err = load_file("/rules/missing.nft".as_ref(), &Options::default(), &fs).unwrap_err();
/// assert!(err.to_string().contains("/rules/missing.nft"));
/// ```
pub fn load_file(
    path: &Path,
    options: &Options,
    fs: &dyn expand::FileSystem,
) -> Result<Parsed, Failure> {
    let mut sources = SourceMap::new();
    let name = path.display().to_string();
    let bytes = match fs.read(path) {
        Ok(b) => b,
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(Diagnostic {
                severity: diag::Severity::Error,
                class: diag::Class::Invalid,
                message: format!("Could not open file \"{name}\": {e}"),
                span: None,
                notes: Vec::new(),
                suggestion: None,
            });
            return Err(Failure {
                sources,
                diagnostics: d,
                partial: ast::Script::default(),
            });
        }
    };
    let text = match expand::decode_utf8(&mut sources, &name, bytes, None) {
        Ok(t) => t,
        Err(d) => {
            let mut ds = Diagnostics::new();
            ds.push(d);
            return Err(Failure {
                sources,
                diagnostics: ds,
                partial: ast::Script::default(),
            });
        }
    };
    let id = sources.add(name, text.clone(), None);
    let (script, mut diags) = parser::parse_script(&text, id, &options.parse);
    if diags.has_errors() {
        return split(sources, script, diags);
    }
    let (expanded, d2) = expand::expand(&mut sources, script, options, fs);
    diags.extend(d2);
    split(sources, expanded, diags)
}
