//! Compile-time nft macros for linx (NFT-23, NFT-24, NFT-25). Use them through the `linx`
//! crate: `linx::nft!` and `linx::nft_file!` (feature `netfilter`).
//!
//! Both parse the nft text with `linx-nft-syntax`, expand its defines (and, for files, its
//! includes) and run linx's nft compiler on it *while compiling*: every syntax or semantic
//! error is a compile error at the offending tokens. The expansion is Rust code that builds the
//! expanded syntax tree, so nothing is parsed at run time; the result is a
//! `linx::nft::Script`, which is compiled into one batch for a namespace target and applied or
//! checked there (`Script::apply`, `Script::check`). What can only be known at load is checked
//! at load: interface names of `iif`/`oif` (resolved in the target namespace), `jump` targets
//! and interpolated values the Rust type cannot vouch for (an interface name's length).
//!
//! The crate needs Rust 1.88 (`proc_macro::Span::{line, column, local_file}`).

mod check;
mod input;
mod kinds;
mod lift;
mod lift_ast;
mod text;

use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};

use linx_nft_syntax::ast::{
    ChainItem, CommandKind, Directive, FlowtableItem, ObjectItem, Script, SetItem, TableItem,
    TopItem,
};
use linx_nft_syntax::expand::{FileKind, FileSystem, OsFileSystem};
use linx_nft_syntax::{Diagnostic, Options, SourceMap};

use input::{Binding, Body, FileInput, NftInput};
use lift::Lift;

/// Compiles nft text at compile time into a `linx::nft::Script`.
///
/// Forms:
///
/// * `nft!{ TEXT }` — the nft text written as Rust tokens. The text is recovered from the
///   tokens' source (newlines and indentation included, so statements end at line ends as in
///   nft). Rust must be able to tokenize it: no apostrophes or unbalanced quotes in `#`
///   comments, no `\` line continuations, no MAC addresses starting with a digit followed by
///   `e` (`1e:…`); Rust's own `//` and `/* */` comments are invisible to nft. Errors point at
///   the offending tokens.
/// * `nft!(r"TEXT")` — the text as a string literal (its value after Rust's escape processing;
///   raw strings recommended). Errors point at the literal and give the line and column inside
///   it.
/// * `nft!(NAME = EXPR, …; { TEXT })` and `nft!(NAME = EXPR, …; r"TEXT")` — with
///   interpolations: a `$NAME` that no `define` binds is the Rust expression `EXPR`,
///   evaluated once, in the order written, when the macro's expression is evaluated. The
///   position fixes the Rust type (`u16` after `tcp dport`, `Ipv4Addr`/`Ipv4Prefix` after
///   `ip saddr`, an interface name after `iifname`, …; the table is in `linx::nft::interp`);
///   a value of another type is a compile error. Interpolations are allowed in value positions
///   of matches on ports, addresses, interface names and marks, in set elements, NAT targets,
///   device lists and `jump`/`goto` targets; not in declaration names, rates, quotas or
///   timeouts.
///
/// `include` is refused (use [`nft_file!`]). The text must be self-contained: it is evaluated
/// without the kernel's ruleset, so a command such as `add rule inet t c …` needs the table and
/// chain declared in the same text.
///
/// ```
/// let port: u16 = 8080;
/// let script = linx::nft!(port = port; {
///     table inet web {
///         chain input {
///             type filter hook input priority 0; policy accept;
///             tcp dport $port counter accept
///         }
///     }
/// });
/// let r = linx::nft::StaticIfResolver::default();
/// let program = script.compile(&linx::nft::CompileEnv::new(&r)).unwrap();
/// assert_eq!(program.len(), 3);
/// ```
///
/// A typo is a compile error at the misspelt word:
///
/// ```compile_fail
/// let _ = linx::nft!{ table inet t { chain c { tcp dport 22 acept; }; } };
/// ```
#[proc_macro]
pub fn nft(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let parsed: NftInput = match syn::parse(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error().into(),
    };
    nft_impl(parsed).into()
}

/// Compiles an nft file at compile time into a `linx::nft::Script` (NFT-25).
///
/// `nft_file!("PATH")`, `nft_file!("PATH", include = ["DIR", …])`,
/// `nft_file!("PATH", include = ["DIR", …]; NAME = EXPR, …)` (interpolations as in [`nft!`]).
///
/// * `PATH` is relative to the directory of the source file that invokes the macro (when the
///   compiler cannot name that file — e.g. tokens made by another macro — to the crate's
///   `CARGO_MANIFEST_DIR`).
/// * `include "./x.nft"` and `include "../x.nft"` are taken relative to the directory of
///   `PATH` (a build has no meaningful working directory); other relative names are searched in
///   the `include` directories given to the macro (relative to the invoking file's directory),
///   in order. nft's default `/etc` is not searched, so the build does not depend on the host.
/// * Every file read is compiled into the program and named by an `include_bytes!`, so the
///   crate is rebuilt when any of them changes. (A file newly matching an include glob is not
///   noticed until something else triggers a rebuild.)
///
/// ```
/// let script = linx::nft_file!("../../../tests/fixtures/nft/02_web_server_ip.nft");
/// assert!(!script.sources().is_empty());
/// ```
#[proc_macro]
pub fn nft_file(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let parsed: FileInput = match syn::parse(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error().into(),
    };
    nft_file_impl(parsed).into()
}

/// Where diagnostics of the text point.
enum Locator {
    /// `nft!{ … }`: back to the tokens.
    Tokens(text::Recovered),
    /// A literal or a file path: at it, with the position inside in the message.
    At(Span),
}

/// `compile_error!` spanning `first` to `last` (the span of a macro invocation reaches from
/// its path to its closing delimiter).
fn error_between(first: Span, last: Span, message: &str) -> TokenStream {
    let mut out = TokenStream::new();
    let colon = |span: Span, spacing| {
        let mut p = Punct::new(':', spacing);
        p.set_span(span);
        TokenTree::Punct(p)
    };
    out.extend([colon(first, Spacing::Joint), colon(first, Spacing::Alone)]);
    out.extend([TokenTree::Ident(Ident::new("core", first))]);
    out.extend([colon(first, Spacing::Joint), colon(first, Spacing::Alone)]);
    out.extend([TokenTree::Ident(Ident::new("compile_error", first))]);
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(first);
    out.extend([TokenTree::Punct(bang)]);
    let mut lit = Literal::string(message);
    lit.set_span(last);
    let mut g = Group::new(Delimiter::Brace, TokenStream::from(TokenTree::Literal(lit)));
    g.set_span(last);
    out.extend([TokenTree::Group(g)]);
    out
}

fn message_of(d: &Diagnostic, sources: &SourceMap, locator: &Locator) -> (Span, Span, String) {
    let in_main = d.span.filter(|s| !s.is_dummy() && s.file.0 == 0);
    match (locator, in_main) {
        (Locator::Tokens(rec), Some(s)) => {
            let mut msg = format!("nft: {}", d.full_message());
            for n in &d.notes {
                msg.push_str("\nnote: ");
                msg.push_str(&n.message);
            }
            match rec.covering(s.start as usize, s.end as usize) {
                Some((a, b)) => (a.into(), b.into(), msg),
                None => (Span::call_site(), Span::call_site(), msg),
            }
        }
        (Locator::Tokens(_), None) => {
            let msg = format!("nft: {}", d.render(sources));
            (Span::call_site(), Span::call_site(), msg)
        }
        (Locator::At(span), _) => {
            let msg = format!("nft: {}", d.render(sources).trim_end());
            (*span, *span, msg)
        }
    }
}

fn errors(diags: &[Diagnostic], sources: &SourceMap, locator: &Locator) -> TokenStream {
    let mut out = TokenStream::new();
    let errs: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    for d in errs.iter().take(linx_nft_syntax::diag::MAX_REPORTED_ERRORS) {
        let (a, b, msg) = message_of(d, sources, locator);
        out.extend(error_between(a, b, &msg));
    }
    let rest = errs
        .len()
        .saturating_sub(linx_nft_syntax::diag::MAX_REPORTED_ERRORS);
    if rest > 0 {
        out.extend(error_between(
            Span::call_site(),
            Span::call_site(),
            &format!("nft: and {rest} more errors"),
        ));
    }
    // The expression position still needs a value of the right type.
    quote!({ #out ::linx::nft::Script::from_parts(&[], ::std::default::Default::default(), ::std::vec::Vec::new()) })
}

/// Directives of a source tree: `include`s are refused in inline text.
fn includes(script: &Script) -> Vec<Diagnostic> {
    fn dir(d: &Directive, out: &mut Vec<Diagnostic>) {
        if let Directive::Include { span, .. } = d {
            out.push(Diagnostic::error(
                *span,
                "include is not allowed in inline nft text (there is no file to resolve it \
                 against); use nft_file!",
            ));
        }
    }
    fn chain_items(items: &[ChainItem], out: &mut Vec<Diagnostic>) {
        for i in items {
            if let ChainItem::Directive(d) = i {
                dir(d, out);
            }
        }
    }
    fn set_items(items: &[SetItem], out: &mut Vec<Diagnostic>) {
        for i in items {
            if let SetItem::Directive(d) = i {
                dir(d, out);
            }
        }
    }
    fn flow_items(items: &[FlowtableItem], out: &mut Vec<Diagnostic>) {
        for i in items {
            if let FlowtableItem::Directive(d) = i {
                dir(d, out);
            }
        }
    }
    fn object_items(items: &[ObjectItem], out: &mut Vec<Diagnostic>) {
        for i in items {
            if let ObjectItem::Directive(d) = i {
                dir(d, out);
            }
        }
    }
    fn table_items(items: &[TableItem], out: &mut Vec<Diagnostic>) {
        for i in items {
            match i {
                TableItem::Directive(d) => dir(d, out),
                TableItem::Chain(c) => chain_items(&c.body.items, out),
                TableItem::Set(s) => set_items(&s.body.items, out),
                TableItem::Flowtable(f) => flow_items(&f.body.items, out),
                TableItem::Object(o) => object_items(&o.body.items, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for item in &script.items {
        match item {
            TopItem::Directive(d) => dir(d, &mut out),
            TopItem::Command(c) => match &c.kind {
                CommandKind::Table { body: Some(b), .. } => table_items(&b.items, &mut out),
                CommandKind::Chain { body: Some(b), .. } => chain_items(&b.items, &mut out),
                CommandKind::Set { body: Some(b), .. } => set_items(&b.items, &mut out),
                CommandKind::Flowtable { body: Some(b), .. } => flow_items(&b.items, &mut out),
                CommandKind::Object { body: Some(b), .. } => object_items(&b.items, &mut out),
                _ => {}
            },
        }
    }
    out
}

/// A file system that refuses every read (inline text has no includes; this is a second line
/// of defence behind [`includes`]).
struct NoFiles;

impl FileSystem for NoFiles {
    fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "include is not allowed in inline nft text",
        ))
    }
    fn kind(&self, _path: &Path) -> Option<FileKind> {
        None
    }
    fn read_dir(&self, _dir: &Path) -> io::Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// The real file system with relative paths taken from `base`, recording every file read.
struct Recording {
    base: PathBuf,
    read: RefCell<Vec<PathBuf>>,
}

impl Recording {
    fn abs(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

impl FileSystem for Recording {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let abs = self.abs(path);
        let bytes = std::fs::read(&abs)?;
        self.read.borrow_mut().push(abs);
        Ok(bytes)
    }
    fn kind(&self, path: &Path) -> Option<FileKind> {
        OsFileSystem.kind(&self.abs(path))
    }
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        OsFileSystem.read_dir(&self.abs(dir))
    }
    fn identity(&self, path: &Path) -> PathBuf {
        OsFileSystem.identity(&self.abs(path))
    }
}

fn duplicate_or_unused(bindings: &[Binding], used: &[String]) -> Result<(), TokenStream> {
    let mut out = TokenStream::new();
    for (i, b) in bindings.iter().enumerate() {
        let name = b.name.to_string();
        if bindings[..i].iter().any(|x| x.name == name) {
            out.extend(
                syn::Error::new(b.name.span(), format!("`{name}` is bound twice"))
                    .to_compile_error(),
            );
        } else if !used.contains(&name) {
            out.extend(
                syn::Error::new(
                    b.name.span(),
                    format!("`{name}` is not used: the nft text has no `${name}` (or a define of that name hides it)"),
                )
                .to_compile_error(),
            );
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// The pipeline shared by both macros, after the text is read.
fn finish(
    sources: SourceMap,
    script: Script,
    bindings: &[Binding],
    locator: &Locator,
    read: &[PathBuf],
) -> TokenStream {
    let (uses, mut diags, used) = kinds::classify(&script);
    if let Err(e) = duplicate_or_unused(bindings, &used) {
        let rest = errors(&diags, &sources, locator);
        return quote!({ #e #rest });
    }
    if diags.is_empty() {
        diags = check::evaluate(&sources, &script, &uses);
    }
    if !diags.is_empty() {
        return errors(&diags, &sources, locator);
    }
    let mut binds = Vec::new();
    let mut names = Vec::new();
    for (i, b) in bindings.iter().enumerate() {
        let name = b.name.to_string();
        let Some(u) = uses.iter().find(|u| u.name == name) else {
            continue;
        };
        let var = format_ident!("__linx_nft_{}", i);
        let marker = u.kind.marker();
        let expr = &b.expr;
        let lit = Literal::string(&name);
        let span = syn::spanned::Spanned::span(expr);
        binds.push(quote_spanned! {span=>
            let #var = ::linx::nft::interp::bind::<::linx::nft::interp::kind::#marker, _>(#lit, #expr);
        });
        names.push(var);
    }
    let mut files = Vec::new();
    for i in 0..sources.len() {
        let Some(f) = sources.file(linx_nft_syntax::FileId(i as u32)) else {
            continue;
        };
        let name = Literal::string(f.name());
        let text = Literal::string(f.text());
        let from = f.included_from().lift();
        files.push(quote!((#name, #text, #from)));
    }
    let deps = read.iter().filter_map(|p| p.to_str()).map(|p| {
        let l = Literal::string(p);
        quote!(
            const _: &[u8] = ::core::include_bytes!(#l);
        )
    });
    let tree = script.lift();
    quote!({
        #(#deps)*
        #(#binds)*
        ::linx::nft::Script::from_parts(&[#(#files),*], #tree, ::std::vec![#(#names),*])
    })
}

fn nft_impl(parsed: NftInput) -> TokenStream {
    let (name, text, locator) = match parsed.body {
        Body::Tokens(ts) => {
            if input::is_blank(&ts) {
                return syn::Error::new(Span::call_site(), "nft!: no nft text").to_compile_error();
            }
            let rec = text::recover(ts.into());
            ("nft!".to_string(), rec.text.clone(), Locator::Tokens(rec))
        }
        Body::Literal(lit) => (
            "nft! literal".to_string(),
            lit.value(),
            Locator::At(lit.span()),
        ),
    };
    // Includes are refused before expansion, at the include line.
    match linx_nft_syntax::parse_str(&name, &text, &Default::default()) {
        Ok(p) => {
            let inc = includes(&p.script);
            if !inc.is_empty() {
                return errors(&inc, &p.sources, &locator);
            }
        }
        Err(f) => return errors(&f.diagnostics.into_vec(), &f.sources, &locator),
    }
    let opts = Options {
        include_paths: Vec::new(),
        externals: parsed.bindings.iter().map(|b| b.name.to_string()).collect(),
        ..Options::default()
    };
    match linx_nft_syntax::load_str(&name, &text, &opts, &NoFiles) {
        Ok(p) => finish(p.sources, p.script, &parsed.bindings, &locator, &[]),
        Err(f) => errors(&f.diagnostics.into_vec(), &f.sources, &locator),
    }
}

/// The directory of the file invoking the macro (see [`nft_file!`]).
fn invoking_dir(span: Span) -> PathBuf {
    let local = span.unwrap().local_file();
    match local.as_deref().and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => {
            if dir.is_absolute() {
                dir.to_path_buf()
            } else {
                // Paths of the crate's own files are relative to the working directory of
                // rustc, which cargo sets to the workspace root; resolve it like rustc does.
                std::env::current_dir()
                    .map(|c| c.join(dir))
                    .unwrap_or_else(|_| dir.to_path_buf())
            }
        }
        _ => std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_default(),
    }
}

fn nft_file_impl(parsed: FileInput) -> TokenStream {
    let span = parsed.path.span();
    let dir = invoking_dir(span);
    let path = dir.join(parsed.path.value());
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let fs = Recording {
        base,
        read: RefCell::new(Vec::new()),
    };
    let opts = Options {
        include_paths: parsed.include.iter().map(|d| dir.join(d.value())).collect(),
        externals: parsed.bindings.iter().map(|b| b.name.to_string()).collect(),
        ..Options::default()
    };
    let locator = Locator::At(span);
    let result = linx_nft_syntax::load_file(&path, &opts, &fs);
    let read = fs.read.into_inner();
    match result {
        Ok(p) => finish(p.sources, p.script, &parsed.bindings, &locator, &read),
        Err(f) => {
            let deps = read.iter().filter_map(|p| p.to_str()).map(|p| {
                let l = Literal::string(p);
                quote!(
                    const _: &[u8] = ::core::include_bytes!(#l);
                )
            });
            let e = errors(&f.diagnostics.into_vec(), &f.sources, &locator);
            quote!({ #(#deps)* #e })
        }
    }
}
