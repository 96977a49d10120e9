//! The hand-written recursive-descent parser, following nftables 1.0.6's grammar
//! (`parser_bison.y`): where the grammar is ambiguous, it decides as nft's parser does, and it
//! requires statement separators exactly where nft does (after every rule and declaration, before
//! a closing brace too).
//!
//! Errors are recorded as diagnostics; the parser recovers at statement and block boundaries and
//! keeps going, so one run reports several errors.

mod expr;
mod stmt;

use crate::ast::*;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::keywords;
use crate::lexer::{Token, TokenKind, WordClass, tokenize};
use crate::source::{FileId, Span};
use crate::{ACCEPTED_WITH_EXTENSIONS, ParseOptions};

/// An error was recorded; unwind to the nearest recovery point.
#[derive(Debug)]
pub(crate) struct Abort;

pub(crate) type PResult<T> = Result<T, Abort>;

/// Hard cap on recorded diagnostics (the renderer shows 10 errors and counts the rest).
const MAX_DIAGNOSTICS: usize = 1000;
/// Maximum nesting of parentheses, braces and anonymous chains.
const MAX_DEPTH: u32 = 64;

/// The kind of block a token stream is parsed as (a file included inside a table body is parsed
/// as table items, and so on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Top,
    Table,
    Chain,
    Set { map: bool },
    Flowtable,
    Object(ObjectKind),
}

/// Items of one block kind.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Items {
    Top(Vec<TopItem>),
    Table(Vec<TableItem>),
    Chain(Vec<ChainItem>),
    Set(Vec<SetItem>),
    Flowtable(Vec<FlowtableItem>),
    Object(Vec<ObjectItem>),
}

pub(crate) struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
    file: FileId,
    pub(crate) diags: Diagnostics,
    opts: &'a ParseOptions,
    depth: u32,
    prev_span: Span,
    /// Braces opened and not yet closed (for recovery).
    open_braces: u32,
}

/// Parses `src` as the items of `kind`, returning them with the diagnostics.
pub(crate) fn parse_items(
    src: &str,
    file: FileId,
    kind: BlockKind,
    opts: &ParseOptions,
) -> (Items, Diagnostics) {
    let mut p = Parser::new(src, file, opts);
    let items = match kind {
        BlockKind::Top => Items::Top(p.top_items()),
        BlockKind::Table => Items::Table(p.block(Term::Eof, Parser::table_item)),
        BlockKind::Chain => Items::Chain(p.block(Term::Eof, Parser::chain_item)),
        BlockKind::Set { map } => Items::Set(p.block(Term::Eof, |p| Parser::set_item(p, map))),
        BlockKind::Flowtable => Items::Flowtable(p.block(Term::Eof, Parser::flowtable_item)),
        BlockKind::Object(k) => Items::Object(p.block(Term::Eof, |p| p.object_item(k))),
    };
    (items, p.diags)
}

/// Parses a whole file as a script.
pub(crate) fn parse_script(src: &str, file: FileId, opts: &ParseOptions) -> (Script, Diagnostics) {
    match parse_items(src, file, BlockKind::Top, opts) {
        (Items::Top(items), d) => (Script { items }, d),
        (_, d) => (Script::default(), d),
    }
}

/// Parses the value of a `-D NAME=VALUE` style define (an initializer expression).
pub(crate) fn parse_define_value(
    src: &str,
    file: FileId,
    opts: &ParseOptions,
) -> (Option<Expr>, Diagnostics) {
    let mut p = Parser::new(src, file, opts);
    let r = p.initializer().ok();
    if r.is_some() && !p.at(TokenKind::Eof) {
        let _ = p.unexpected("end of the define value");
        return (None, p.diags);
    }
    (r, p.diags)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Term {
    Brace,
    Eof,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, file: FileId, opts: &'a ParseOptions) -> Parser<'a> {
        Parser {
            toks: tokenize(src, file),
            pos: 0,
            file,
            diags: Diagnostics::new(),
            opts,
            depth: 0,
            prev_span: Span::new(file, 0, 0),
            open_braces: 0,
        }
    }

    // ---------------------------------------------------------------------------------------
    // token helpers

    pub(crate) fn peek(&self) -> Token<'a> {
        self.peek_at(0)
    }

    pub(crate) fn peek_at(&self, n: usize) -> Token<'a> {
        let i = (self.pos + n).min(self.toks.len().saturating_sub(1));
        match self.toks.get(i) {
            Some(t) => *t,
            None => Token {
                kind: TokenKind::Eof,
                class: WordClass::Plain,
                text: "",
                span: Span::new(self.file, 0, 0),
            },
        }
    }

    pub(crate) fn bump(&mut self) -> Token<'a> {
        let t = self.peek();
        match t.kind {
            TokenKind::Eof => {}
            TokenKind::LBrace => {
                self.open_braces += 1;
                self.pos += 1;
            }
            TokenKind::RBrace => {
                self.open_braces = self.open_braces.saturating_sub(1);
                self.pos += 1;
            }
            _ => self.pos += 1,
        }
        self.prev_span = t.span;
        t
    }

    pub(crate) fn at(&self, kind: TokenKind) -> bool {
        self.peek().kind == kind
    }

    pub(crate) fn at_word(&self, w: &str) -> bool {
        self.peek().is_word(w)
    }

    pub(crate) fn word_at(&self, n: usize, w: &str) -> bool {
        self.peek_at(n).is_word(w)
    }

    pub(crate) fn eat(&mut self, kind: TokenKind) -> Option<Token<'a>> {
        if self.at(kind) {
            Some(self.bump())
        } else {
            None
        }
    }

    pub(crate) fn eat_word(&mut self, w: &str) -> Option<Token<'a>> {
        if self.at_word(w) {
            Some(self.bump())
        } else {
            None
        }
    }

    pub(crate) fn expect(&mut self, kind: TokenKind, expecting: &str) -> PResult<Token<'a>> {
        if self.at(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(expecting))
        }
    }

    pub(crate) fn expect_word(&mut self, w: &str) -> PResult<Token<'a>> {
        if self.at_word(w) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(&format!("'{w}'")))
        }
    }

    pub(crate) fn span_from(&self, start: Span) -> Span {
        start.to(self.prev_span)
    }

    /// True at the end of a statement list: separator, `}`, end of file, or `comment`.
    pub(crate) fn at_stmt_end(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Newline | TokenKind::Semicolon | TokenKind::RBrace | TokenKind::Eof
        ) || self.at_word("comment")
    }

    // ---------------------------------------------------------------------------------------
    // diagnostics

    pub(crate) fn push(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_DIAGNOSTICS {
            self.diags.push(d);
        }
    }

    pub(crate) fn error(&mut self, span: Span, msg: impl Into<String>) -> Abort {
        self.push(Diagnostic::error(span, msg));
        Abort
    }

    pub(crate) fn error_suggest(
        &mut self,
        span: Span,
        msg: impl Into<String>,
        suggestion: Option<String>,
    ) -> Abort {
        self.push(Diagnostic::error(span, msg).maybe_suggest(suggestion));
        Abort
    }

    pub(crate) fn unsupported(&mut self, span: Span, what: impl AsRef<str>) -> Abort {
        self.push(Diagnostic::unsupported(span, what));
        Abort
    }

    pub(crate) fn describe(t: &Token<'_>) -> String {
        match t.kind {
            TokenKind::Word | TokenKind::Asterisk => format!("'{}'", t.text),
            TokenKind::Number => format!("number '{}'", t.text),
            TokenKind::Quoted => format!("quoted string \"{}\"", t.text),
            TokenKind::Junk => format!("junk '{}'", t.text.escape_default()),
            k => k.describe().to_string(),
        }
    }

    /// Records "syntax error, unexpected X, expecting Y" at the current token.
    pub(crate) fn unexpected(&mut self, expecting: &str) -> Abort {
        let t = self.peek();
        let mut d = Diagnostic::error(
            t.span,
            format!(
                "syntax error, unexpected {}, expecting {}",
                Self::describe(&t),
                expecting
            ),
        );
        if t.kind == TokenKind::Junk && t.text == "#" {
            d = d.with_note("a comment at the end of the file must be followed by a newline (nft rejects it otherwise)", None);
        } else if t.kind == TokenKind::Slash && self.peek_at(1).kind == TokenKind::Star {
            d = d.with_note("nft has no /* */ comments; use #", None);
        } else if t.kind == TokenKind::Word && t.text.starts_with('b') && self.prev_is_zero() {
            d = d.with_note("nft has no 0b binary literals", None);
        }
        self.push(d);
        Abort
    }

    pub(crate) fn follows_zero(&self) -> bool {
        self.prev_is_zero()
    }

    fn prev_is_zero(&self) -> bool {
        self.pos > 0
            && self.toks.get(self.pos - 1).is_some_and(|p| {
                p.kind == TokenKind::Number && p.text == "0" && p.span.end == self.peek().span.start
            })
    }

    // ---------------------------------------------------------------------------------------
    // recovery

    /// Skips to the end of the current item: past the next separator outside any brace opened
    /// since the item started (`base` braces were open then), or up to (not past) the `}` that
    /// closes the enclosing block, or end of file.
    fn recover(&mut self, base: u32) {
        loop {
            let t = self.peek();
            match t.kind {
                TokenKind::Eof => return,
                _ if self.open_braces > base => {}
                TokenKind::Newline | TokenKind::Semicolon => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace => return,
                _ => {}
            }
            self.bump();
        }
    }

    pub(crate) fn enter(&mut self, span: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self.error(span, "nesting too deep"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Requires a statement separator (newline or `;`) and consumes it; at top level the end of
    /// the file also ends a command.
    fn separator(&mut self, eof_ok: bool) -> PResult<()> {
        match self.peek().kind {
            TokenKind::Newline | TokenKind::Semicolon => {
                self.bump();
                Ok(())
            }
            TokenKind::Eof if eof_ok => Ok(()),
            _ => Err(self.unexpected("newline or semicolon")),
        }
    }

    /// Parses block items until `}` (not consumed) or the end of the file.
    fn block<T>(
        &mut self,
        term: Term,
        mut item: impl FnMut(&mut Self) -> PResult<Option<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        loop {
            match self.peek().kind {
                TokenKind::Newline | TokenKind::Semicolon => {
                    self.bump();
                    continue;
                }
                TokenKind::RBrace if term == Term::Brace => break,
                TokenKind::RBrace => {
                    let t = self.bump();
                    self.error(t.span, "syntax error, unexpected '}'");
                    continue;
                }
                TokenKind::Eof => {
                    if term == Term::Brace {
                        let _ = self.unexpected("'}'");
                    }
                    break;
                }
                _ => {}
            }
            let before = self.pos;
            let base = self.open_braces;
            match item(self) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => {}
                Err(Abort) => {
                    self.recover(base);
                    if self.pos == before && !self.at(TokenKind::RBrace) && !self.at(TokenKind::Eof)
                    {
                        self.bump();
                    }
                }
            }
        }
        out
    }

    /// `{ items }` — returns the items and the span of the braces.
    fn braced<T>(
        &mut self,
        item: impl FnMut(&mut Self) -> PResult<Option<T>>,
    ) -> PResult<(Vec<T>, Span)> {
        let open = self.expect(TokenKind::LBrace, "'{'")?;
        self.enter(open.span)?;
        let items = self.block(Term::Brace, item);
        let close = self.expect(TokenKind::RBrace, "'}'");
        self.leave();
        let close = close?;
        Ok((items, open.span.to(close.span)))
    }

    // ---------------------------------------------------------------------------------------
    // names

    /// An identifier: a bare word that is not a reserved keyword (nft's `identifier: STRING`).
    pub(crate) fn ident(&mut self, what: &str) -> PResult<Ident> {
        let t = self.peek();
        if t.kind == TokenKind::Word
            && !(t.class == WordClass::Plain && keywords::is_reserved(t.text))
        {
            self.bump();
            return Ok(Ident {
                name: t.text.to_string(),
                span: t.span,
            });
        }
        if t.kind == TokenKind::Quoted {
            let d = Diagnostic::error(
                t.span,
                format!(
                    "syntax error, unexpected quoted string, expecting {what} (nft names are not quoted)"
                ),
            );
            self.push(d);
            return Err(Abort);
        }
        Err(self.unexpected(what))
    }

    /// nft's `string`: a bare word, quoted string or wildcard string.
    pub(crate) fn string(&mut self, what: &str) -> PResult<Str> {
        let t = self.peek();
        match t.kind {
            TokenKind::Quoted => {
                self.bump();
                Ok(Str {
                    text: t.text.to_string(),
                    quoted: true,
                    span: t.span,
                })
            }
            TokenKind::Word | TokenKind::Asterisk
                if !(t.class == WordClass::Plain && keywords::is_reserved(t.text)) =>
            {
                self.bump();
                Ok(Str {
                    text: t.text.to_string(),
                    quoted: false,
                    span: t.span,
                })
            }
            _ => Err(self.unexpected(what)),
        }
    }

    pub(crate) fn num(&mut self, what: &str) -> PResult<Num> {
        let t = self.expect(TokenKind::Number, what)?;
        Ok(Num {
            text: t.text.to_string(),
            span: t.span,
        })
    }

    /// A `time_spec` (a string nft's time parser accepts).
    pub(crate) fn time_spec(&mut self) -> PResult<Str> {
        let t = self.peek();
        if t.kind == TokenKind::Word
            && !(t.class == WordClass::Plain && keywords::is_reserved(t.text))
        {
            self.bump();
            if let Err(e) = keywords::parse_time(t.text) {
                return Err(self.error(t.span, e));
            }
            return Ok(Str {
                text: t.text.to_string(),
                quoted: false,
                span: t.span,
            });
        }
        Err(self.unexpected("a time value such as 30s or 1h"))
    }

    /// A time value or `$var` (set and element timeouts).
    pub(crate) fn time_value(&mut self) -> PResult<TimeValue> {
        if self.at(TokenKind::Dollar) {
            return Ok(TimeValue::Var(self.variable()?));
        }
        Ok(TimeValue::Lit(self.time_spec()?))
    }

    /// `comment "…"` (the word `comment` already peeked).
    pub(crate) fn comment_spec(&mut self) -> PResult<Str> {
        self.expect_word("comment")?;
        let s = self.string("a string")?;
        if s.text.len() > 128 {
            return Err(self.error(s.span, "comment too long, 128 characters maximum allowed"));
        }
        Ok(s)
    }

    pub(crate) fn variable(&mut self) -> PResult<Var> {
        let d = self.expect(TokenKind::Dollar, "'$'")?;
        let id = self.ident("a variable name")?;
        Ok(Var {
            name: id.name,
            span: d.span.to(id.span),
            value: None,
        })
    }

    fn family_word(&self, n: usize) -> Option<Family> {
        let t = self.peek_at(n);
        if t.kind == TokenKind::Word && t.class == WordClass::Plain {
            Family::from_name(t.text)
        } else {
            None
        }
    }

    fn opt_family(&mut self) -> Option<Family> {
        let f = self.family_word(0)?;
        self.bump();
        Some(f)
    }

    fn table_name(&mut self) -> PResult<TableName> {
        let family = self.opt_family();
        let name = self.ident("a table name")?;
        Ok(TableName { family, name })
    }

    fn table_sel(&mut self) -> PResult<TableSel> {
        let family = self.opt_family();
        if self.eat_word("handle").is_some() {
            let handle = self.num("a handle number")?;
            return Ok(TableSel::Handle { family, handle });
        }
        let name = self.ident("a table name")?;
        Ok(TableSel::Name(TableName { family, name }))
    }

    fn qual_name(&mut self, what: &str) -> PResult<QualName> {
        let table = self.table_name()?;
        let name = self.ident(what)?;
        Ok(QualName { table, name })
    }

    fn obj_sel(&mut self, what: &str, handle_ok: bool) -> PResult<ObjSel> {
        let table = self.table_name()?;
        if handle_ok && self.eat_word("handle").is_some() {
            let handle = self.num("a handle number")?;
            return Ok(ObjSel::Handle { table, handle });
        }
        let name = self.ident(what)?;
        Ok(ObjSel::Name(QualName { table, name }))
    }

    // ---------------------------------------------------------------------------------------
    // directives (nft's common_block)

    fn at_directive(&self) -> bool {
        ["include", "define", "redefine", "undefine"]
            .iter()
            .any(|w| self.at_word(w))
    }

    fn directive(&mut self) -> PResult<Directive> {
        let start = self.peek().span;
        if self.eat_word("include").is_some() {
            let t = self.expect(TokenKind::Quoted, "a quoted file name")?;
            let path = Str {
                text: t.text.to_string(),
                quoted: true,
                span: t.span,
            };
            let span = self.span_from(start);
            self.separator(true)?;
            return Ok(Directive::Include { path, span });
        }
        if self.eat_word("undefine").is_some() {
            let name = self.ident("a variable name")?;
            let span = self.span_from(start);
            self.separator(true)?;
            return Ok(Directive::Undefine { name, span });
        }
        let redefine = if self.eat_word("redefine").is_some() {
            true
        } else {
            self.expect_word("define")?;
            false
        };
        let name = self.ident("a variable name")?;
        self.expect(TokenKind::Assign, "'='")?;
        let value = self.initializer()?;
        let span = self.span_from(start);
        self.separator(true)?;
        Ok(Directive::Define {
            name,
            value,
            redefine,
            span,
        })
    }

    // ---------------------------------------------------------------------------------------
    // top level

    fn top_items(&mut self) -> Vec<TopItem> {
        self.block(Term::Eof, |p| {
            if p.at_directive() {
                return Ok(Some(TopItem::Directive(p.directive()?)));
            }
            let cmd = p.command()?;
            p.separator(true)?;
            Ok(cmd.map(TopItem::Command))
        })
    }

    fn command(&mut self) -> PResult<Option<Command>> {
        let start = self.peek().span;
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return Err(self.unexpected("a command"));
        }
        let verb = match t.text {
            "add" => Some(Verb::Add { explicit: true }),
            "create" => Some(Verb::Create),
            "insert" => Some(Verb::Insert),
            "replace" => Some(Verb::Replace),
            "delete" => Some(Verb::Delete),
            "destroy" => Some(Verb::Destroy),
            "flush" => Some(Verb::Flush),
            "reset" => Some(Verb::Reset),
            "list" | "get" | "rename" | "import" | "export" | "monitor" | "describe" => {
                self.bump();
                return Err(self.unsupported(
                    t.span,
                    format!(
                        "'{}' command (linx loads rulesets; use `nft {}`)",
                        t.text, t.text
                    ),
                ));
            }
            _ => None,
        };
        if let Some(v) = verb {
            if v == Verb::Destroy && !self.opts.extensions {
                self.bump();
                return Err(self.unsupported(
                    t.span,
                    format!("'destroy' command (nftables ≥ 1.0.8; {ACCEPTED_WITH_EXTENSIONS})"),
                ));
            }
            self.bump();
        }
        let verb = verb.unwrap_or(Verb::Add { explicit: false });
        let kind = match verb {
            Verb::Add { .. } | Verb::Create => self.add_like(verb)?,
            Verb::Insert => {
                self.expect_word("rule")?;
                self.rule_cmd(true, true)?
            }
            Verb::Replace => {
                self.expect_word("rule")?;
                let chain = self.qual_name("a chain name")?;
                self.expect_word("handle")?;
                let h = self.num("a handle number")?;
                let rule = self.rule()?;
                CommandKind::Rule {
                    chain,
                    position: Some(RulePosition::Handle(h)),
                    rule: Some(rule),
                    rule_keyword: true,
                }
            }
            Verb::Delete | Verb::Destroy => self.delete_cmd()?,
            Verb::Flush => self.flush_cmd()?,
            Verb::Reset => self.reset_cmd()?,
        };
        Ok(Some(Command {
            verb,
            kind,
            span: self.span_from(start),
        }))
    }

    const OBJECT_WORDS: &'static [&'static str] = &[
        "table",
        "chain",
        "rule",
        "set",
        "map",
        "element",
        "flowtable",
        "counter",
        "quota",
        "limit",
        "secmark",
        "synproxy",
        "ct",
    ];

    fn add_like(&mut self, verb: Verb) -> PResult<CommandKind> {
        let t = self.peek();
        let create = verb == Verb::Create;
        let implicit = verb == Verb::Add { explicit: false };
        let add = matches!(verb, Verb::Add { .. });
        match t.text {
            _ if t.kind != TokenKind::Word => Err(self.unexpected("a command")),
            "table" => {
                self.bump();
                let table = TableName {
                    family: self.opt_family(),
                    name: self.ident("a table name")?,
                };
                let body = if self.at(TokenKind::LBrace) {
                    let (items, span) = self.braced(Parser::table_item)?;
                    Some(TableBody { items, span })
                } else {
                    None
                };
                Ok(CommandKind::Table {
                    table: TableSel::Name(table),
                    body,
                })
            }
            "chain" => {
                self.bump();
                let chain = ObjSel::Name(self.qual_name("a chain name")?);
                let body = if self.at(TokenKind::LBrace) {
                    let (items, span) = self.braced(Parser::chain_item)?;
                    Some(ChainBody { items, span })
                } else {
                    None
                };
                Ok(CommandKind::Chain { chain, body })
            }
            "rule" if !create => {
                self.bump();
                self.rule_cmd(false, true)
            }
            "set" | "map" => {
                self.bump();
                let map = t.text == "map";
                let set = ObjSel::Name(self.qual_name("a set name")?);
                let (items, span) = self.braced(|p| Parser::set_item(p, map))?;
                Ok(CommandKind::Set {
                    map,
                    set,
                    body: Some(SetBody { items, span }),
                })
            }
            "element" => {
                self.bump();
                let set = self.qual_name("a set name")?;
                let elements = self.set_block_expr()?;
                Ok(CommandKind::Element { set, elements })
            }
            "flowtable" => {
                self.bump();
                let flowtable = ObjSel::Name(self.qual_name("a flowtable name")?);
                let (items, span) = self.braced(Parser::flowtable_item)?;
                Ok(CommandKind::Flowtable {
                    flowtable,
                    body: Some(FlowtableBody { items, span }),
                })
            }
            "counter" | "quota" | "limit" | "secmark" | "synproxy" | "ct" => {
                self.bump();
                let kind = self.object_kind_after(t)?;
                let object = ObjSel::Name(self.qual_name("an object name")?);
                let body = self.object_cmd_body(kind, create)?;
                Ok(CommandKind::Object { kind, object, body })
            }
            _ if add => {
                // `[add] [family] table chain RULE` — `add rule` without the word `rule`.
                if t.class == WordClass::Plain
                    && Family::from_name(t.text).is_none()
                    && keywords::is_reserved(t.text)
                {
                    return Err(self.unexpected("a command"));
                }
                let diags_before = self.diags.len();
                let r = self.rule_cmd(false, false);
                if r.is_err()
                    && implicit
                    && t.class == WordClass::Plain
                    && Family::from_name(t.text).is_none()
                {
                    // An implicit `add rule` that fails to parse and starts with a near miss of a
                    // command keyword was most likely a typo of that keyword.
                    let cands = Self::OBJECT_WORDS.iter().copied().chain([
                        "add", "create", "insert", "replace", "delete", "flush", "reset",
                        "include", "define", "redefine", "undefine",
                    ]);
                    if let Some(s) = did_you_mean(t.text, cands) {
                        self.diags = truncate(std::mem::take(&mut self.diags), diags_before);
                        return Err(self.error_suggest(
                            t.span,
                            format!("unknown command '{}'", t.text),
                            Some(s),
                        ));
                    }
                }
                r
            }
            _ => {
                let s = did_you_mean(t.text, Self::OBJECT_WORDS.iter().copied());
                Err(self.error_suggest(
                    t.span,
                    format!("syntax error, unexpected '{}', expecting an object such as table, chain, rule, set", t.text),
                    s,
                ))
            }
        }
    }

    fn object_kind_after(&mut self, t: Token<'_>) -> PResult<ObjectKind> {
        Ok(match t.text {
            "counter" => ObjectKind::Counter,
            "quota" => ObjectKind::Quota,
            "limit" => ObjectKind::Limit,
            "secmark" => ObjectKind::Secmark,
            "synproxy" => ObjectKind::Synproxy,
            _ => {
                if self.eat_word("helper").is_some() {
                    ObjectKind::CtHelper
                } else if self.eat_word("timeout").is_some() {
                    ObjectKind::CtTimeout
                } else if self.eat_word("expectation").is_some() {
                    ObjectKind::CtExpectation
                } else {
                    return Err(self.unexpected("helper, timeout or expectation"));
                }
            }
        })
    }

    /// Inline configuration or `{ … }` of an object in command form.
    fn object_cmd_body(&mut self, kind: ObjectKind, create: bool) -> PResult<Option<ObjectBody>> {
        let ct = matches!(
            kind,
            ObjectKind::CtHelper | ObjectKind::CtTimeout | ObjectKind::CtExpectation
        );
        if self.at(TokenKind::LBrace) && (ct || !create) {
            let (items, span) = self.braced(|p| p.object_item(kind))?;
            return Ok(Some(ObjectBody {
                braced: true,
                items,
                span,
            }));
        }
        if ct {
            return Err(self.unexpected("'{'"));
        }
        let start = self.peek().span;
        let item = match kind {
            ObjectKind::Counter => {
                if self.at_word("packets") {
                    Some(self.counter_config()?)
                } else {
                    None
                }
            }
            ObjectKind::Quota => Some(ObjectItem::Quota(self.quota_spec()?)),
            ObjectKind::Limit => Some(ObjectItem::Limit(self.limit_config()?)),
            ObjectKind::Secmark => Some(ObjectItem::Secmark(self.string("a security context")?)),
            ObjectKind::Synproxy => Some(self.synproxy_config()?),
            _ => None,
        };
        Ok(item.map(|i| ObjectBody {
            braced: false,
            items: vec![i],
            span: self.span_from(start),
        }))
    }

    /// `[rule] [family] table chain [position|handle|index N] RULE`
    fn rule_cmd(&mut self, insert: bool, rule_keyword: bool) -> PResult<CommandKind> {
        let chain = self.qual_name("a chain name")?;
        let position = if self.eat_word("position").is_some() {
            Some(RulePosition::Position(self.num("a rule handle")?))
        } else if self.eat_word("handle").is_some() {
            Some(RulePosition::Handle(self.num("a rule handle")?))
        } else if self.eat_word("index").is_some() {
            Some(RulePosition::Index(self.num("a rule index")?))
        } else {
            None
        };
        let _ = insert;
        let rule = self.rule()?;
        Ok(CommandKind::Rule {
            chain,
            position,
            rule: Some(rule),
            rule_keyword,
        })
    }

    fn delete_cmd(&mut self) -> PResult<CommandKind> {
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return Err(self.unexpected("an object such as table, chain, rule, set"));
        }
        match t.text {
            "table" => {
                self.bump();
                Ok(CommandKind::Table {
                    table: self.table_sel()?,
                    body: None,
                })
            }
            "chain" => {
                self.bump();
                Ok(CommandKind::Chain {
                    chain: self.obj_sel("a chain name", true)?,
                    body: None,
                })
            }
            "rule" => {
                self.bump();
                self.rule_by_handle()
            }
            "set" | "map" => {
                self.bump();
                let map = t.text == "map";
                Ok(CommandKind::Set {
                    map,
                    set: self.obj_sel("a set name", !map)?,
                    body: None,
                })
            }
            "element" => {
                self.bump();
                let set = self.qual_name("a set name")?;
                let elements = self.set_block_expr()?;
                Ok(CommandKind::Element { set, elements })
            }
            "flowtable" => {
                self.bump();
                let flowtable = self.obj_sel("a flowtable name", true)?;
                let body = if matches!(flowtable, ObjSel::Name(_)) && self.at(TokenKind::LBrace) {
                    let (items, span) = self.braced(Parser::flowtable_item)?;
                    Some(FlowtableBody { items, span })
                } else {
                    None
                };
                Ok(CommandKind::Flowtable { flowtable, body })
            }
            "counter" | "quota" | "limit" | "secmark" | "synproxy" | "ct" => {
                self.bump();
                let kind = self.object_kind_after(t)?;
                let handle_ok = t.text != "ct";
                Ok(CommandKind::Object {
                    kind,
                    object: self.obj_sel("an object name", handle_ok)?,
                    body: None,
                })
            }
            _ => {
                let s = did_you_mean(t.text, Self::OBJECT_WORDS.iter().copied());
                Err(self.error_suggest(
                    t.span,
                    format!("syntax error, unexpected '{}', expecting an object such as table, chain, rule, set", t.text),
                    s,
                ))
            }
        }
    }

    fn flush_cmd(&mut self) -> PResult<CommandKind> {
        let t = self.peek();
        match t.text {
            _ if t.kind != TokenKind::Word => {
                Err(self.unexpected("ruleset, table, chain, set or map"))
            }
            "ruleset" => {
                self.bump();
                Ok(CommandKind::Ruleset {
                    family: self.opt_family(),
                })
            }
            "table" => {
                self.bump();
                Ok(CommandKind::Table {
                    table: TableSel::Name(self.table_name()?),
                    body: None,
                })
            }
            "chain" => {
                self.bump();
                Ok(CommandKind::Chain {
                    chain: ObjSel::Name(self.qual_name("a chain name")?),
                    body: None,
                })
            }
            "set" | "map" => {
                self.bump();
                self.set_by_name(t.text == "map")
            }
            "meter" => {
                self.bump();
                Err(self.unsupported(
                    t.span,
                    "'flush meter' (meters are legacy; use a dynamic set)",
                ))
            }
            "flow" => {
                self.bump();
                Err(self.unsupported(t.span, "'flush flow table' (legacy meter syntax)"))
            }
            _ => {
                let s = did_you_mean(t.text, ["ruleset", "table", "chain", "set", "map"]);
                Err(self.error_suggest(
                    t.span,
                    format!("syntax error, unexpected '{}', expecting ruleset, table, chain, set or map", t.text),
                    s,
                ))
            }
        }
    }

    /// `[FAMILY] TABLE NAME` after `set`/`map` (list, reset).
    fn set_by_name(&mut self, map: bool) -> PResult<CommandKind> {
        Ok(CommandKind::Set {
            map,
            set: ObjSel::Name(self.qual_name("a set name")?),
            body: None,
        })
    }

    /// `[FAMILY] TABLE CHAIN handle N` after `rule` (delete, reset).
    fn rule_by_handle(&mut self) -> PResult<CommandKind> {
        let chain = self.qual_name("a chain name")?;
        self.expect_word("handle")?;
        let h = self.num("a rule handle")?;
        Ok(CommandKind::Rule {
            chain,
            position: Some(RulePosition::Handle(h)),
            rule: None,
            rule_keyword: true,
        })
    }

    fn reset_cmd(&mut self) -> PResult<CommandKind> {
        let t = self.peek();
        match t.text {
            _ if t.kind != TokenKind::Word => {
                Err(self.unexpected("counters, quotas, counter or quota"))
            }
            "counters" | "quotas" => {
                self.bump();
                let quotas = t.text == "quotas";
                if self.eat_word("table").is_some() {
                    let table = self.table_name()?;
                    Ok(CommandKind::ResetObjects {
                        quotas,
                        family: None,
                        table: Some(table),
                    })
                } else {
                    Ok(CommandKind::ResetObjects {
                        quotas,
                        family: self.opt_family(),
                        table: None,
                    })
                }
            }
            "counter" | "quota" => {
                self.bump();
                let kind = if t.text == "counter" {
                    ObjectKind::Counter
                } else {
                    ObjectKind::Quota
                };
                Ok(CommandKind::Object {
                    kind,
                    object: ObjSel::Name(self.qual_name("an object name")?),
                    body: None,
                })
            }
            "rules" | "rule" | "element" | "set" | "map" if !self.opts.extensions => {
                // nft 1.0.6 has no syntax for these: refused with its own message (`rules` is
                // no keyword there, so bison calls it a string).
                let what = if t.text == "rules" { "string" } else { t.text };
                let d = Diagnostic::error(
                    t.span,
                    format!(
                        "syntax error, unexpected {what}, expecting counter or counters or quotas or quota"
                    ),
                )
                .with_note(
                    format!(
                        "'reset {}' needs nftables ≥ 1.0.8 ({ACCEPTED_WITH_EXTENSIONS})",
                        t.text
                    ),
                    None,
                );
                self.push(d);
                Err(Abort)
            }
            "rules" => {
                self.bump();
                self.reset_rules_spec()
            }
            "rule" => {
                self.bump();
                self.rule_by_handle()
            }
            "element" => {
                self.bump();
                let set = self.qual_name("a set name")?;
                let elements = self.set_block_expr()?;
                Ok(CommandKind::Element { set, elements })
            }
            "set" | "map" => {
                self.bump();
                self.set_by_name(t.text == "map")
            }
            _ if self.opts.extensions => Err(self
                .unexpected("counters, quotas, counter, quota, rules, rule, element, set or map")),
            _ => Err(self.unexpected("counters, quotas, counter or quota")),
        }
    }

    /// After `reset rules`: nothing, a family, `[table] [family] T` or `[chain] [family] T C`
    /// (nftables 1.1's `ruleset_spec | list_cmd_spec_table | [CHAIN] chain_spec`).
    fn reset_rules_spec(&mut self) -> PResult<CommandKind> {
        let ends = |p: &Self, n: usize| {
            matches!(
                p.peek_at(n).kind,
                TokenKind::Newline | TokenKind::Semicolon | TokenKind::Eof
            )
        };
        let (family, table, chain) = if self.eat_word("table").is_some() {
            (None, Some(self.table_name()?), None)
        } else if self.eat_word("chain").is_some() {
            let q = self.qual_name("a chain name")?;
            (None, Some(q.table), Some(q.name))
        } else if ends(self, 0) {
            (None, None, None)
        } else if self.family_word(0).is_some() && ends(self, 1) {
            (self.opt_family(), None, None)
        } else {
            let t = self.table_name()?;
            let c = if ends(self, 0) {
                None
            } else {
                Some(self.ident("a chain name")?)
            };
            (None, Some(t), c)
        };
        Ok(CommandKind::ResetRules {
            family,
            table,
            chain,
        })
    }

    // ---------------------------------------------------------------------------------------
    // table body

    fn table_item(&mut self) -> PResult<Option<TableItem>> {
        if self.at_directive() {
            return Ok(Some(TableItem::Directive(self.directive()?)));
        }
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return Err(self.unexpected(
                "a table item (chain, set, map, flowtable, object, flags or comment)",
            ));
        }
        let start = t.span;
        let item = match t.text {
            "flags" => {
                self.bump();
                let f = self.peek();
                if f.kind != TokenKind::Word {
                    return Err(self.unexpected("a table flag"));
                }
                self.bump();
                let ok = keywords::TABLE_FLAGS.contains(&f.text)
                    || (f.text == "persist" && self.opts.extensions);
                if !ok {
                    if f.text == "persist" {
                        return Err(
                            self.unsupported(
                                f.span,
                                format!(
                                    "table flag 'persist' (nftables ≥ 1.0.7; {ACCEPTED_WITH_EXTENSIONS})"
                                ),
                            )
                        );
                    }
                    let s = did_you_mean(f.text, keywords::TABLE_FLAGS.iter().copied());
                    return Err(self.error_suggest(
                        f.span,
                        format!("unknown table option {}", f.text),
                        s,
                    ));
                }
                self.separator(false)?;
                TableItem::Flags(Ident {
                    name: f.text.to_string(),
                    span: f.span,
                })
            }
            "comment" => {
                let c = self.comment_spec()?;
                self.separator(false)?;
                TableItem::Comment(c)
            }
            "chain" => {
                self.bump();
                let name = self.ident("a chain name")?;
                let (items, span) = self.braced(Parser::chain_item)?;
                let decl = ChainDecl {
                    name,
                    body: ChainBody { items, span },
                    span: self.span_from(start),
                };
                self.separator(false)?;
                TableItem::Chain(decl)
            }
            "set" | "map" => {
                self.bump();
                let map = t.text == "map";
                let name = self.ident("a set name")?;
                let (items, span) = self.braced(|p| Parser::set_item(p, map))?;
                let decl = SetDecl {
                    map,
                    name,
                    body: SetBody { items, span },
                    span: self.span_from(start),
                };
                self.separator(false)?;
                TableItem::Set(decl)
            }
            "flowtable" => {
                self.bump();
                let name = self.ident("a flowtable name")?;
                let (items, span) = self.braced(Parser::flowtable_item)?;
                let decl = FlowtableDecl {
                    name,
                    body: FlowtableBody { items, span },
                    span: self.span_from(start),
                };
                self.separator(false)?;
                TableItem::Flowtable(decl)
            }
            "counter" | "quota" | "limit" | "secmark" | "synproxy" | "ct" => {
                self.bump();
                let kind = self.object_kind_after(t)?;
                let name = self.ident("an object name")?;
                let (items, span) = self.braced(|p| p.object_item(kind))?;
                let decl = ObjectDecl {
                    kind,
                    name,
                    body: ObjectBody {
                        braced: true,
                        items,
                        span,
                    },
                    span: self.span_from(start),
                };
                self.separator(false)?;
                TableItem::Object(decl)
            }
            w => {
                let s = did_you_mean(
                    w,
                    [
                        "chain",
                        "set",
                        "map",
                        "flowtable",
                        "counter",
                        "quota",
                        "limit",
                        "secmark",
                        "synproxy",
                        "ct",
                        "flags",
                        "comment",
                        "include",
                        "define",
                    ],
                );
                return Err(self.error_suggest(
                    t.span,
                    format!(
                        "syntax error, unexpected '{w}', expecting a table item (chain, set, map, flowtable, object, flags or comment)"
                    ),
                    s,
                ));
            }
        };
        Ok(Some(item))
    }

    // ---------------------------------------------------------------------------------------
    // chain body

    fn chain_item(&mut self) -> PResult<Option<ChainItem>> {
        if self.at_directive() {
            return Ok(Some(ChainItem::Directive(self.directive()?)));
        }
        let t = self.peek();
        let item = if t.is_word("type") {
            let h = self.hook_spec()?;
            self.separator(false)?;
            ChainItem::Hook(h)
        } else if t.is_word("policy") {
            self.bump();
            let p = self.peek();
            let pol = if p.is_word("accept") {
                self.bump();
                Policy::Accept(p.span)
            } else if p.is_word("drop") {
                self.bump();
                Policy::Drop(p.span)
            } else if p.kind == TokenKind::Dollar {
                Policy::Var(self.variable()?)
            } else {
                return Err(self.unexpected("accept or drop"));
            };
            self.separator(false)?;
            ChainItem::Policy(pol)
        } else if t.is_word("flags") {
            self.bump();
            let o = self.expect_word("offload")?;
            self.separator(false)?;
            ChainItem::FlagsOffload(t.span.to(o.span))
        } else if t.is_word("comment") {
            let c = self.comment_spec()?;
            self.separator(false)?;
            ChainItem::Comment(c)
        } else {
            let r = self.rule()?;
            self.separator(false)?;
            ChainItem::Rule(r)
        };
        Ok(Some(item))
    }

    fn hook_spec(&mut self) -> PResult<HookSpec> {
        let start = self.expect_word("type")?.span;
        let ty = self.ident("a chain type (filter, nat or route)")?;
        if !keywords::CHAIN_TYPES.contains(&ty.name.as_str()) {
            let s = did_you_mean(&ty.name, keywords::CHAIN_TYPES.iter().copied());
            return Err(self.error_suggest(ty.span, "unknown chain type", s));
        }
        self.expect_word("hook")?;
        let hook = self.ident("a hook name")?;
        if !keywords::CHAIN_HOOKS.contains(&hook.name.as_str()) {
            let s = did_you_mean(&hook.name, keywords::CHAIN_HOOKS.iter().copied());
            return Err(self.error_suggest(hook.span, "unknown chain hook", s));
        }
        let device = self.dev_spec()?;
        let priority = self.prio_spec()?;
        Ok(HookSpec {
            chain_type: ty,
            hook,
            device,
            priority,
            span: self.span_from(start),
        })
    }

    fn dev_spec(&mut self) -> PResult<Option<DeviceSpec>> {
        if self.eat_word("device").is_some() {
            if self.at(TokenKind::Dollar) {
                let v = self.variable()?;
                let span = v.span;
                return Ok(Some(DeviceSpec::Device(Expr {
                    kind: ExprKind::Variable(v),
                    span,
                })));
            }
            let s = self.string("a device name")?;
            return Ok(Some(DeviceSpec::Device(str_expr(s))));
        }
        if self.eat_word("devices").is_some() {
            self.expect(TokenKind::Assign, "'='")?;
            return Ok(Some(DeviceSpec::Devices(self.device_list()?)));
        }
        Ok(None)
    }

    /// nft's `flowtable_expr`: `{ a, "b", $c }` or `$var`.
    pub(crate) fn device_list(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::Dollar) {
            let v = self.variable()?;
            let span = v.span;
            return Ok(Expr {
                kind: ExprKind::Variable(v),
                span,
            });
        }
        let open = self.expect(TokenKind::LBrace, "'{'")?;
        let mut elems = Vec::new();
        loop {
            let t = self.peek();
            let e = match t.kind {
                TokenKind::Dollar => {
                    let v = self.variable()?;
                    let span = v.span;
                    Expr {
                        kind: ExprKind::Variable(v),
                        span,
                    }
                }
                TokenKind::Quoted => {
                    self.bump();
                    Expr {
                        kind: ExprKind::Quoted(t.text.to_string()),
                        span: t.span,
                    }
                }
                TokenKind::Word
                    if !(t.class == WordClass::Plain && keywords::is_reserved(t.text)) =>
                {
                    self.bump();
                    Expr {
                        kind: ExprKind::Symbol(t.text.to_string()),
                        span: t.span,
                    }
                }
                _ => return Err(self.unexpected("a device name")),
            };
            elems.push(SetElem {
                span: e.span,
                key: e,
                stmts: Vec::new(),
                options: ElemOptions::default(),
                data: None,
            });
            if self.eat(TokenKind::Comma).is_some() {
                self.eat(TokenKind::Newline);
                while self.at(TokenKind::Comma) {
                    self.bump();
                    self.eat(TokenKind::Newline);
                }
                if self.at(TokenKind::RBrace) {
                    break;
                }
                continue;
            }
            break;
        }
        let close = self.expect(TokenKind::RBrace, "comma or '}'")?;
        Ok(Expr {
            kind: ExprKind::Set(elems),
            span: open.span.to(close.span),
        })
    }

    pub(crate) fn prio_spec(&mut self) -> PResult<Priority> {
        let start = self.expect_word("priority")?.span;
        let t = self.peek();
        let value = match t.kind {
            TokenKind::Number => PriorityValue::Number {
                negative: false,
                value: self.num("a number")?,
            },
            TokenKind::Dash => {
                self.bump();
                PriorityValue::Number {
                    negative: true,
                    value: self.num("a number")?,
                }
            }
            TokenKind::Dollar => PriorityValue::Var(self.variable()?),
            TokenKind::Word
                if t.is_word("out")
                    || !(t.class == WordClass::Plain && keywords::is_reserved(t.text)) =>
            {
                self.bump();
                let name = Ident {
                    name: t.text.to_string(),
                    span: t.span,
                };
                let offset = if self.eat(TokenKind::Plus).is_some() {
                    Some((false, self.num("a number")?))
                } else if self.eat(TokenKind::Dash).is_some() {
                    Some((true, self.num("a number")?))
                } else {
                    None
                };
                PriorityValue::Named { name, offset }
            }
            _ => return Err(self.unexpected("a priority (number or name)")),
        };
        Ok(Priority {
            value,
            span: self.span_from(start),
        })
    }

    // ---------------------------------------------------------------------------------------
    // set and map body

    fn set_item(&mut self, map: bool) -> PResult<Option<SetItem>> {
        if self.at_directive() {
            return Ok(Some(SetItem::Directive(self.directive()?)));
        }
        let t = self.peek();
        let start = t.span;
        let item = match t.text {
            _ if t.kind != TokenKind::Word => {
                return Err(self.unexpected("a set item (type, typeof, flags, elements, …)"));
            }
            "type" => {
                self.bump();
                let key = self.data_type_expr()?;
                let data = if map {
                    self.expect(TokenKind::Colon, "':'")?;
                    let c = self.peek();
                    if let Some(kind) = match c.text {
                        _ if c.kind != TokenKind::Word => None,
                        "counter" => Some(ObjectKind::Counter),
                        "quota" => Some(ObjectKind::Quota),
                        "limit" => Some(ObjectKind::Limit),
                        "secmark" => Some(ObjectKind::Secmark),
                        "synproxy" => Some(ObjectKind::Synproxy),
                        _ => None,
                    } {
                        self.bump();
                        Some(MapData::Object(kind, c.span))
                    } else {
                        let interval = self.eat_word("interval").is_some();
                        Some(MapData::Type {
                            interval,
                            types: self.data_type_expr()?,
                        })
                    }
                } else {
                    None
                };
                let span = self.span_from(start);
                self.separator(false)?;
                SetItem::Type { key, data, span }
            }
            "typeof" => {
                self.bump();
                let key = self.typeof_expr()?;
                let data = if map {
                    self.expect(TokenKind::Colon, "':'")?;
                    let interval = self.eat_word("interval").is_some();
                    Some(TypeofData {
                        interval,
                        exprs: self.typeof_expr()?,
                    })
                } else {
                    None
                };
                let span = self.span_from(start);
                self.separator(false)?;
                SetItem::Typeof { key, data, span }
            }
            "flags" => {
                self.bump();
                let mut flags = Vec::new();
                loop {
                    let f = self.peek();
                    let flag = match f.text {
                        _ if f.kind != TokenKind::Word => None,
                        "constant" => Some(SetFlag::Constant),
                        "interval" => Some(SetFlag::Interval),
                        "timeout" => Some(SetFlag::Timeout),
                        "dynamic" => Some(SetFlag::Dynamic),
                        _ => None,
                    };
                    let Some(flag) = flag else {
                        if f.kind == TokenKind::Word {
                            let s = did_you_mean(
                                f.text,
                                ["constant", "interval", "timeout", "dynamic"],
                            );
                            return Err(self.error_suggest(
                                f.span,
                                format!(
                                    "syntax error, unexpected '{}', expecting a set flag",
                                    f.text
                                ),
                                s,
                            ));
                        }
                        return Err(
                            self.unexpected("a set flag (constant, interval, timeout, dynamic)")
                        );
                    };
                    self.bump();
                    flags.push((flag, f.span));
                    if self.eat(TokenKind::Comma).is_none() {
                        break;
                    }
                }
                self.separator(false)?;
                SetItem::Flags(flags)
            }
            "timeout" => {
                self.bump();
                let v = self.time_value()?;
                self.separator(false)?;
                SetItem::Timeout(v)
            }
            "gc-interval" => {
                self.bump();
                let v = self.time_value()?;
                self.separator(false)?;
                SetItem::GcInterval(v)
            }
            "elements" => {
                self.bump();
                self.expect(TokenKind::Assign, "'='")?;
                SetItem::Elements(self.set_block_expr()?)
            }
            "auto-merge" if !map => {
                self.bump();
                SetItem::AutoMerge(t.span)
            }
            "policy" => {
                self.bump();
                let p = self.peek();
                if !(p.is_word("performance") || p.is_word("memory")) {
                    return Err(self.unexpected("performance or memory"));
                }
                self.bump();
                self.separator(false)?;
                SetItem::Policy(Ident {
                    name: p.text.to_string(),
                    span: p.span,
                })
            }
            "size" => {
                self.bump();
                let n = self.num("a number")?;
                self.separator(false)?;
                SetItem::Size(n)
            }
            "comment" => {
                let c = self.comment_spec()?;
                self.separator(false)?;
                SetItem::Comment(c)
            }
            "counter" | "limit" | "quota" | "ct" | "last" => {
                let mut stmts = Vec::new();
                while self.at_word("counter")
                    || self.at_word("limit")
                    || self.at_word("quota")
                    || self.at_word("last")
                    || (self.at_word("ct") && self.word_at(1, "count"))
                {
                    stmts.push(self.stateful_stmt()?);
                }
                self.separator(false)?;
                SetItem::Stateful(stmts)
            }
            w => {
                let mut cands = vec![
                    "type",
                    "typeof",
                    "flags",
                    "timeout",
                    "gc-interval",
                    "elements",
                    "policy",
                    "size",
                    "comment",
                    "counter",
                ];
                if !map {
                    cands.push("auto-merge");
                }
                let s = did_you_mean(w, cands);
                return Err(self.error_suggest(
                    t.span,
                    format!("syntax error, unexpected '{w}', expecting a set item (type, typeof, flags, elements, …)"),
                    s,
                ));
            }
        };
        Ok(Some(item))
    }

    /// `type_a . type_b`
    fn data_type_expr(&mut self) -> PResult<Vec<Ident>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek();
            let ok = t.kind == TokenKind::Word
                && (!(t.class == WordClass::Plain && keywords::is_reserved(t.text))
                    || matches!(t.text, "mark" | "ecn" | "time"));
            if !ok {
                return Err(self.unexpected("a data type"));
            }
            self.bump();
            if !keywords::DATA_TYPES.contains(&t.text) {
                let s = did_you_mean(t.text, keywords::DATA_TYPES.iter().copied());
                return Err(self.error_suggest(t.span, format!("unknown datatype {}", t.text), s));
            }
            out.push(Ident {
                name: t.text.to_string(),
                span: t.span,
            });
            if self.eat(TokenKind::Dot).is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// `primary . primary …` of `typeof`.
    fn typeof_expr(&mut self) -> PResult<Vec<Expr>> {
        let mut out = vec![self.lhs_primary(true)?];
        while self.eat(TokenKind::Dot).is_some() {
            out.push(self.lhs_primary(true)?);
        }
        Ok(out)
    }

    /// nft's `set_block_expr`: a set expression or `$var`.
    fn set_block_expr(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::Dollar) {
            let v = self.variable()?;
            let span = v.span;
            return Ok(Expr {
                kind: ExprKind::Variable(v),
                span,
            });
        }
        self.set_expr(expr::SetData::Any)
    }

    // ---------------------------------------------------------------------------------------
    // flowtable body

    fn flowtable_item(&mut self) -> PResult<Option<FlowtableItem>> {
        if self.at_directive() {
            return Ok(Some(FlowtableItem::Directive(self.directive()?)));
        }
        let t = self.peek();
        let item = if t.is_word("hook") {
            self.bump();
            let hook = self.ident("a hook name")?;
            let priority = self.prio_spec()?;
            self.separator(false)?;
            FlowtableItem::Hook { hook, priority }
        } else if t.is_word("devices") {
            self.bump();
            self.expect(TokenKind::Assign, "'='")?;
            let d = self.device_list()?;
            self.separator(false)?;
            FlowtableItem::Devices(d)
        } else if t.is_word("counter") {
            self.bump();
            FlowtableItem::Counter(t.span)
        } else if t.is_word("flags") {
            self.bump();
            let o = self.expect_word("offload")?;
            self.separator(false)?;
            FlowtableItem::FlagsOffload(t.span.to(o.span))
        } else {
            let s = if t.kind == TokenKind::Word {
                did_you_mean(t.text, ["hook", "devices", "counter", "flags"])
            } else {
                None
            };
            let d = Diagnostic::error(
                t.span,
                format!(
                    "syntax error, unexpected {}, expecting hook, devices, counter or flags",
                    Self::describe(&t)
                ),
            )
            .maybe_suggest(s);
            self.push(d);
            return Err(Abort);
        };
        Ok(Some(item))
    }

    // ---------------------------------------------------------------------------------------
    // objects

    fn object_item(&mut self, kind: ObjectKind) -> PResult<Option<ObjectItem>> {
        if self.at_directive() {
            return Ok(Some(ObjectItem::Directive(self.directive()?)));
        }
        if self.at_word("comment") {
            return Ok(Some(ObjectItem::Comment(self.comment_spec()?)));
        }
        let item = match kind {
            ObjectKind::Counter => self.counter_config()?,
            ObjectKind::Quota => ObjectItem::Quota(self.quota_spec()?),
            ObjectKind::Limit => ObjectItem::Limit(self.limit_config()?),
            ObjectKind::Secmark => ObjectItem::Secmark(self.string("a security context")?),
            ObjectKind::Synproxy => self.synproxy_config()?,
            ObjectKind::CtHelper => {
                let t = self.peek();
                if t.is_word("type") {
                    self.bump();
                    let q = self.expect(TokenKind::Quoted, "a quoted helper name")?;
                    if q.text.is_empty() || q.text.len() >= 16 {
                        return Err(self.error(
                            q.span,
                            format!("invalid name '{}', max length is 16", q.text),
                        ));
                    }
                    self.expect_word("protocol")?;
                    let proto = self.l4proto_name()?;
                    self.separator(false)?;
                    ObjectItem::CtHelperType {
                        name: Str {
                            text: q.text.to_string(),
                            quoted: true,
                            span: q.span,
                        },
                        protocol: proto,
                    }
                } else if t.is_word("l3proto") {
                    self.l3proto_item()?
                } else {
                    return Err(self.unexpected("type, l3proto or comment"));
                }
            }
            ObjectKind::CtTimeout => {
                let t = self.peek();
                if t.is_word("protocol") {
                    self.bump();
                    let p = self.l4proto_name()?;
                    self.separator(false)?;
                    ObjectItem::Protocol(p)
                } else if t.is_word("policy") {
                    self.bump();
                    self.expect(TokenKind::Assign, "'='")?;
                    self.expect(TokenKind::LBrace, "'{'")?;
                    let mut states = Vec::new();
                    loop {
                        let name = self.ident("a conntrack state name")?;
                        self.expect(TokenKind::Colon, "':'")?;
                        let n = self.num("a number of seconds")?;
                        states.push((name, n));
                        if self.eat(TokenKind::Comma).is_none() {
                            break;
                        }
                    }
                    self.expect(TokenKind::RBrace, "comma or '}'")?;
                    self.separator(false)?;
                    ObjectItem::TimeoutPolicy(states)
                } else if t.is_word("l3proto") {
                    self.l3proto_item()?
                } else {
                    return Err(self.unexpected("protocol, policy, l3proto or comment"));
                }
            }
            ObjectKind::CtExpectation => {
                let t = self.peek();
                let item = if t.is_word("protocol") {
                    self.bump();
                    ObjectItem::Protocol(self.l4proto_name()?)
                } else if t.is_word("dport") {
                    self.bump();
                    ObjectItem::Dport(self.num("a port number")?)
                } else if t.is_word("timeout") {
                    self.bump();
                    ObjectItem::Timeout(self.time_spec()?)
                } else if t.is_word("size") {
                    self.bump();
                    ObjectItem::Size(self.num("a number")?)
                } else if t.is_word("l3proto") {
                    return Ok(Some(self.l3proto_item()?));
                } else {
                    return Err(
                        self.unexpected("protocol, dport, timeout, size, l3proto or comment")
                    );
                };
                self.separator(false)?;
                item
            }
        };
        Ok(Some(item))
    }

    fn l4proto_name(&mut self) -> PResult<Ident> {
        let t = self.peek();
        if t.is_word("tcp") || t.is_word("udp") {
            self.bump();
            return Ok(Ident {
                name: t.text.to_string(),
                span: t.span,
            });
        }
        Err(self.unexpected("tcp or udp"))
    }

    fn l3proto_item(&mut self) -> PResult<ObjectItem> {
        self.expect_word("l3proto")?;
        let t = self.peek();
        let Some(f) = self.opt_family() else {
            return Err(self.unexpected("a family (ip, ip6, inet, arp, bridge, netdev)"));
        };
        self.separator(false)?;
        Ok(ObjectItem::L3Proto(f, t.span))
    }

    fn counter_config(&mut self) -> PResult<ObjectItem> {
        self.expect_word("packets")?;
        let packets = self.num("a number")?;
        self.expect_word("bytes")?;
        let bytes = self.num("a number")?;
        Ok(ObjectItem::Counter { packets, bytes })
    }

    fn synproxy_config(&mut self) -> PResult<ObjectItem> {
        let mss_kw = self.peek();
        if !(mss_kw.is_word("mss") || mss_kw.is_word("maxseg")) {
            return Err(self.unexpected("mss"));
        }
        self.bump();
        let mss = self.num("a number")?;
        let sep1 =
            self.eat(TokenKind::Newline).is_some() || self.eat(TokenKind::Semicolon).is_some();
        self.expect_word("wscale")?;
        let wscale = self.num("a number")?;
        if sep1 {
            self.separator(false)?;
        }
        let timestamp = self.eat_word("timestamp").is_some();
        let sack_perm =
            self.eat_word("sack-perm").is_some() || self.eat_word("sack-permitted").is_some();
        Ok(ObjectItem::Synproxy {
            mss,
            wscale,
            timestamp,
            sack_perm,
        })
    }

    /// `rate [over|until] …` (limit object config).
    fn limit_config(&mut self) -> PResult<LimitRate> {
        self.expect_word("rate")?;
        self.limit_rate_args()
    }

    // ---------------------------------------------------------------------------------------
    // rules

    pub(crate) fn rule(&mut self) -> PResult<Rule> {
        let start = self.peek().span;
        let mut stmts = Vec::new();
        while !self.at_stmt_end() {
            stmts.push(self.stmt()?);
        }
        if stmts.is_empty() {
            return Err(self.unexpected("a statement"));
        }
        let comment = if self.at_word("comment") {
            Some(self.comment_spec()?)
        } else {
            None
        };
        Ok(Rule {
            stmts,
            comment,
            span: self.span_from(start),
        })
    }

    /// The rules of an anonymous chain: `{ rule; rule }` (braces consumed by the caller).
    pub(crate) fn subchain_rules(&mut self) -> Vec<Rule> {
        self.block(Term::Brace, |p| {
            let r = p.rule()?;
            p.separator(false)?;
            Ok(Some(r))
        })
    }
}

fn truncate(d: Diagnostics, n: usize) -> Diagnostics {
    let mut out = Diagnostics::new();
    for x in d.into_iter().take(n) {
        out.push(x);
    }
    out
}

pub(crate) fn str_expr(s: Str) -> Expr {
    Expr {
        span: s.span,
        kind: if s.quoted {
            ExprKind::Quoted(s.text)
        } else {
            ExprKind::Symbol(s.text)
        },
    }
}
