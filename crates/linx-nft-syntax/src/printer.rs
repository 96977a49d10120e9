//! Canonical nft text from an AST (not from a kernel model).
//!
//! The output uses `nft list ruleset`'s layout (tab indentation, one rule per line, the hook
//! and policy of a base chain on one line) and re-parses to the same AST, spans aside:
//! `parse(print(ast)) == ast`. Operator spellings are canonical (`==`, `&`), parentheses are
//! added only where precedence needs them, and tokens are separated by spaces wherever gluing
//! them would make nft's scanner read them differently (`ssh - http`, `2001:db8::1 : 80`).
//! Variables print as `$name` while unbound and as their value once expanded.

use crate::ast::*;
use crate::keywords;
use crate::lexer::{TokenKind, tokenize};
use crate::source::FileId;

/// Prints a whole script.
///
/// ```
/// use linx_nft_syntax::{parse_str, printer::print_script};
/// let src = "table inet t {\n\tchain c {\n\t\ttcp dport { 22, 80 } accept\n\t}\n}\n";
/// let p = parse_str("a", src, &Default::default()).unwrap();
/// assert_eq!(print_script(&p.script), src);
/// ```
pub fn print_script(s: &Script) -> String {
    let mut p = Printer::default();
    let mut prev_decl = false;
    for (i, item) in s.items.iter().enumerate() {
        let is_decl = matches!(item, TopItem::Command(c) if has_body(c));
        if i > 0 && (is_decl || prev_decl) {
            p.out.push('\n');
        }
        match item {
            TopItem::Directive(d) => p.directive(d),
            TopItem::Command(c) => p.command(c),
        }
        p.out.push('\n');
        prev_decl = is_decl;
    }
    p.out
}

fn has_body(c: &Command) -> bool {
    match &c.kind {
        CommandKind::Table { body, .. } => body.is_some(),
        CommandKind::Chain { body, .. } => body.is_some(),
        CommandKind::Set { body, .. } => body.is_some(),
        CommandKind::Flowtable { body, .. } => body.is_some(),
        CommandKind::Object { body, .. } => body.as_ref().is_some_and(|b| b.braced),
        _ => false,
    }
}

// ------------------------------------------------------------------------------------------------
// Comments (`linx nft fmt` keeps them)

/// A `#` comment of the source being formatted.
#[derive(Clone, Debug)]
struct SrcComment {
    /// Byte offset of the `#`.
    start: u32,
    /// `# …` without the line end and trailing blanks.
    text: String,
    /// Code precedes it on its line (it is printed after the code it follows).
    trailing: bool,
    /// An own-line comment with an empty line before it.
    blank_before: bool,
    /// An own-line comment with an empty line after it.
    blank_after: bool,
}

/// Whether the line of `src` holding byte `at` is empty or blank.
fn blank_line_at(src: &[u8], at: usize) -> bool {
    let start = src[..at.min(src.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    src[start..]
        .iter()
        .take_while(|&&b| b != b'\n')
        .all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

/// The `#` comments of `src`, in order: the `#` … end-of-line runs in the gaps between the
/// scanner's tokens (a `#` inside a quoted string is part of its token).
fn source_comments(src: &str) -> Vec<SrcComment> {
    let toks = tokenize(src, FileId(0));
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut gap_start = 0usize;
    for t in &toks {
        let gap_end = (t.span.start as usize).min(bytes.len());
        let mut i = gap_start;
        while i < gap_end {
            if bytes[i] == b'#' {
                let mut j = i;
                while j < gap_end && bytes[j] != b'\n' {
                    j += 1;
                }
                let line_start = bytes[..i]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let trailing = bytes[line_start..i]
                    .iter()
                    .any(|&b| b != b' ' && b != b'\t');
                // The lines around an own-line comment: `line_start - 1` is the newline ending
                // the previous line, `j + 1` starts the next.
                let blank_before =
                    !trailing && line_start > 0 && blank_line_at(bytes, line_start - 1);
                let blank_after = !trailing && j + 1 < bytes.len() && blank_line_at(bytes, j + 1);
                out.push(SrcComment {
                    start: i as u32,
                    text: src.get(i..j).unwrap_or("#").trim_end().to_string(),
                    trailing,
                    blank_before,
                    blank_after,
                });
                i = j;
            } else {
                i += 1;
            }
        }
        gap_start = (t.span.end as usize).max(gap_end);
    }
    out
}

/// Prints a whole script keeping the `#` comments of `src`, the text it was parsed from
/// (`linx nft fmt`): a comment on a line of its own stays on a line of its own before the item
/// it preceded (at that item's indentation), a comment after code stays after the printed line
/// of that code. Inside a rule (which prints on one line) a comment moves before the next item;
/// none is ever dropped.
///
/// ```
/// use linx_nft_syntax::{parse_str, printer::print_script_with_comments};
/// let src = "# policy\ntable inet t { # main table\n  chain c {\n    # ssh\n    tcp dport 22 accept # admins\n  }\n}\n";
/// let p = parse_str("a", src, &Default::default()).unwrap();
/// assert_eq!(
///     print_script_with_comments(&p.script, src),
///     "# policy\ntable inet t { # main table\n\tchain c {\n\t\t# ssh\n\t\ttcp dport 22 accept # admins\n\t}\n}\n"
/// );
/// ```
pub fn print_script_with_comments(s: &Script, src: &str) -> String {
    let mut p = Printer {
        comments: source_comments(src),
        ..Printer::default()
    };
    let mut prev_decl = false;
    for (i, item) in s.items.iter().enumerate() {
        let is_decl = matches!(item, TopItem::Command(c) if has_body(c));
        if i > 0 && (is_decl || prev_decl) {
            p.out.push('\n');
        }
        p.comments_before(top_item_start(item));
        match item {
            TopItem::Directive(d) => p.directive(d),
            TopItem::Command(c) => p.command(c),
        }
        p.trailing_comment(s.items.get(i + 1).map_or(u32::MAX, top_item_start));
        p.out.push('\n');
        prev_decl = is_decl;
    }
    p.comments_before(u32::MAX);
    p.out
}

fn directive_start(d: &Directive) -> u32 {
    match d {
        Directive::Include { span, .. }
        | Directive::Define { span, .. }
        | Directive::Undefine { span, .. } => span.start,
    }
}

fn top_item_start(i: &TopItem) -> u32 {
    match i {
        TopItem::Directive(d) => directive_start(d),
        TopItem::Command(c) => c.span.start,
    }
}

fn table_item_start(i: &TableItem) -> u32 {
    match i {
        TableItem::Directive(d) => directive_start(d),
        TableItem::Flags(f) => f.span.start,
        TableItem::Comment(c) => c.span.start,
        TableItem::Chain(c) => c.span.start,
        TableItem::Set(s) => s.span.start,
        TableItem::Flowtable(f) => f.span.start,
        TableItem::Object(o) => o.span.start,
    }
}

fn chain_item_start(i: &ChainItem) -> u32 {
    match i {
        ChainItem::Directive(d) => directive_start(d),
        ChainItem::Hook(h) => h.span.start,
        ChainItem::Policy(Policy::Accept(s) | Policy::Drop(s)) | ChainItem::FlagsOffload(s) => {
            s.start
        }
        ChainItem::Policy(Policy::Var(v)) => v.span.start,
        ChainItem::Comment(c) => c.span.start,
        ChainItem::Rule(r) => r.span.start,
    }
}

fn set_item_start(i: &SetItem) -> u32 {
    match i {
        SetItem::Directive(d) => directive_start(d),
        SetItem::Type { span, .. } | SetItem::Typeof { span, .. } | SetItem::AutoMerge(span) => {
            span.start
        }
        SetItem::Flags(f) => f.first().map_or(u32::MAX, |(_, s)| s.start),
        SetItem::Timeout(t) | SetItem::GcInterval(t) => t.span().start,
        SetItem::Comment(t) => t.span.start,
        SetItem::Stateful(stmts) => stmts.first().map_or(u32::MAX, |s| s.span.start),
        SetItem::Elements(e) => e.span.start,
        SetItem::Policy(p) => p.span.start,
        SetItem::Size(n) => n.span.start,
    }
}

fn flowtable_item_start(i: &FlowtableItem) -> u32 {
    match i {
        FlowtableItem::Directive(d) => directive_start(d),
        FlowtableItem::Hook { hook, .. } => hook.span.start,
        FlowtableItem::Devices(e) => e.span.start,
        FlowtableItem::Counter(s) | FlowtableItem::FlagsOffload(s) => s.start,
    }
}

fn object_item_start(i: &ObjectItem) -> u32 {
    match i {
        ObjectItem::Directive(d) => directive_start(d),
        ObjectItem::Comment(s)
        | ObjectItem::Secmark(s)
        | ObjectItem::Timeout(s)
        | ObjectItem::CtHelperType { name: s, .. } => s.span.start,
        ObjectItem::Counter { packets: n, .. }
        | ObjectItem::Synproxy { mss: n, .. }
        | ObjectItem::Dport(n)
        | ObjectItem::Size(n) => n.span.start,
        ObjectItem::Quota(q) => q.amount.amount.span().start,
        ObjectItem::Limit(l) => match &l.rate {
            Rate::Packets { count, .. } => count.span().start,
            Rate::Bytes { amount, .. } => amount.amount.span().start,
        },
        ObjectItem::L3Proto(_, s) => s.start,
        ObjectItem::Protocol(p) => p.span.start,
        ObjectItem::TimeoutPolicy(v) => v.first().map_or(u32::MAX, |(n, _)| n.span.start),
    }
}

impl Printer {
    /// At the start of a line: every pending comment that begins before `pos`, each on a line
    /// of its own at the current indentation.
    fn comments_before(&mut self, pos: u32) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.start >= pos {
                break;
            }
            let (text, before, after) = (c.text.clone(), c.blank_before, c.blank_after);
            self.next_comment += 1;
            // Empty lines around a comment are kept (one at most), except at a block's start.
            if before
                && !self.out.is_empty()
                && !self.out.ends_with("\n\n")
                && !self.out.ends_with("{\n")
            {
                self.nl();
            }
            self.tabs();
            self.out.push_str(&text);
            self.nl();
            if after {
                self.nl();
            }
        }
    }

    /// The next pending comment if it begins before `pos` (then it counts as printed).
    fn take_comment_before(&mut self, pos: u32) -> Option<String> {
        let c = self.comments.get(self.next_comment)?;
        if c.start >= pos {
            return None;
        }
        self.next_comment += 1;
        Some(c.text.clone())
    }

    /// At the end of a printed line: the pending comment that followed code on a source line
    /// and begins before `next` (the next item), appended to this line. Further comments before
    /// `next` stay pending for [`comments_before`](Self::comments_before).
    fn trailing_comment(&mut self, next: u32) -> bool {
        match self.comments.get(self.next_comment) {
            Some(c) if c.trailing && c.start < next => {
                let text = c.text.clone();
                self.next_comment += 1;
                self.out.push(' ');
                self.out.push_str(&text);
                true
            }
            _ => false,
        }
    }

    /// Whether a comment is pending before `pos`.
    fn comment_before(&self, pos: u32) -> bool {
        self.comments
            .get(self.next_comment)
            .is_some_and(|c| c.start < pos)
    }
}

/// Prints one rule (statements and comment) on one line.
///
/// ```
/// use linx_nft_syntax::{parse_str, printer::print_rule, ast::*};
/// let p = parse_str("a", "add rule ip t c ct state established,related accept\n", &Default::default()).unwrap();
/// let TopItem::Command(Command { kind: CommandKind::Rule { rule: Some(r), .. }, .. }) = &p.script.items[0] else { panic!() };
/// assert_eq!(print_rule(r), "ct state established,related accept");
/// ```
pub fn print_rule(r: &Rule) -> String {
    let mut p = Printer::default();
    p.rule(r);
    p.out
}

/// Prints one statement.
///
/// ```
/// use linx_nft_syntax::{ast::*, printer::print_stmt};
/// let s = Stmt { kind: StmtKind::Verdict(Verdict::Accept), span: linx_nft_syntax::Span::DUMMY };
/// assert_eq!(print_stmt(&s), "accept");
/// ```
pub fn print_stmt(s: &Stmt) -> String {
    let mut p = Printer::default();
    p.stmt(s);
    p.out
}

/// Prints one expression.
///
/// ```
/// use linx_nft_syntax::{ast::*, printer::print_expr};
/// let e = Expr::new(ExprKind::Range { low: Box::new(Expr::number(1)), high: Box::new(Expr::number(9)) });
/// assert_eq!(print_expr(&e), "1-9");
/// ```
pub fn print_expr(e: &Expr) -> String {
    let mut p = Printer::default();
    p.expr(e);
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
    /// Source comments to keep ([`print_script_with_comments`]); empty otherwise.
    comments: Vec<SrcComment>,
    /// The first comment not printed yet.
    next_comment: usize,
}

fn same_tokens(a: &str, b: &str) -> bool {
    let ta = tokenize(a, FileId(0));
    let tb = tokenize(b, FileId(0));
    ta.len() == tb.len()
        && ta
            .iter()
            .zip(tb.iter())
            .all(|(x, y)| x.kind == y.kind && x.text == y.text)
}

/// `a<op>b` if the scanner splits it as `a <op> b`, else with spaces.
fn glue(a: &str, op: &str, b: &str) -> String {
    let tight = format!("{a}{op}{b}");
    let spaced = format!("{a} {op} {b}");
    if same_tokens(&tight, &spaced) {
        tight
    } else {
        spaced
    }
}

fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

fn str_text(s: &Str) -> String {
    if s.quoted {
        quote(&s.text)
    } else {
        s.text.clone()
    }
}

impl Printer {
    fn nl(&mut self) {
        self.out.push('\n');
    }

    fn tabs(&mut self) {
        for _ in 0..self.indent {
            self.out.push('\t');
        }
    }

    fn sub<F: FnOnce(&mut Printer)>(&self, f: F) -> String {
        let mut p = Printer {
            indent: self.indent,
            ..Printer::default()
        };
        f(&mut p);
        p.out
    }

    // ---------------------------------------------------------------------------------------

    fn directive(&mut self, d: &Directive) {
        match d {
            Directive::Include { path, .. } => {
                self.out.push_str("include ");
                self.out.push_str(&quote(&path.text));
            }
            Directive::Define {
                name,
                value,
                redefine,
                ..
            } => {
                self.out
                    .push_str(if *redefine { "redefine " } else { "define " });
                self.out.push_str(&name.name);
                self.out.push_str(" = ");
                if let ExprKind::Set(e) = &value.kind {
                    if e.is_empty() {
                        self.out.push_str("{ }");
                        return;
                    }
                }
                self.expr(value);
            }
            Directive::Undefine { name, .. } => {
                self.out.push_str("undefine ");
                self.out.push_str(&name.name);
            }
        }
    }

    fn family(&mut self, f: Option<Family>) {
        if let Some(f) = f {
            self.out.push_str(f.as_str());
            self.out.push(' ');
        }
    }

    fn table_name(&mut self, t: &TableName) {
        self.family(t.family);
        self.out.push_str(&t.name.name);
    }

    fn qual(&mut self, q: &QualName) {
        self.table_name(&q.table);
        self.out.push(' ');
        self.out.push_str(&q.name.name);
    }

    fn obj_sel(&mut self, o: &ObjSel) {
        match o {
            ObjSel::Name(q) => self.qual(q),
            ObjSel::Handle { table, handle } => {
                self.table_name(table);
                self.out.push_str(" handle ");
                self.out.push_str(&handle.text);
            }
        }
    }

    fn command(&mut self, c: &Command) {
        let verb = c.verb.as_str();
        if !verb.is_empty() {
            self.out.push_str(verb);
            self.out.push(' ');
        }
        match &c.kind {
            CommandKind::Table { table, body } => {
                self.out.push_str("table ");
                match table {
                    TableSel::Name(t) => self.table_name(t),
                    TableSel::Handle { family, handle } => {
                        self.family(*family);
                        self.out.push_str("handle ");
                        self.out.push_str(&handle.text);
                    }
                }
                if let Some(b) = body {
                    self.table_body(&b.items, b.span.end);
                }
            }
            CommandKind::Chain { chain, body } => {
                self.out.push_str("chain ");
                self.obj_sel(chain);
                if let Some(b) = body {
                    self.chain_body(&b.items, b.span.end);
                }
            }
            CommandKind::Rule {
                chain,
                position,
                rule,
                rule_keyword,
            } => {
                if *rule_keyword {
                    self.out.push_str("rule ");
                }
                self.qual(chain);
                match position {
                    Some(RulePosition::Position(n)) => {
                        self.out.push_str(" position ");
                        self.out.push_str(&n.text);
                    }
                    Some(RulePosition::Handle(n)) => {
                        self.out.push_str(" handle ");
                        self.out.push_str(&n.text);
                    }
                    Some(RulePosition::Index(n)) => {
                        self.out.push_str(" index ");
                        self.out.push_str(&n.text);
                    }
                    None => {}
                }
                if let Some(r) = rule {
                    self.out.push(' ');
                    self.rule(r);
                }
            }
            CommandKind::Set { map, set, body } => {
                self.out.push_str(if *map { "map " } else { "set " });
                self.obj_sel(set);
                if let Some(b) = body {
                    self.set_body(&b.items, b.span.end);
                }
            }
            CommandKind::Element { set, elements } => {
                self.out.push_str("element ");
                self.qual(set);
                self.out.push(' ');
                self.expr(elements);
            }
            CommandKind::Flowtable { flowtable, body } => {
                self.out.push_str("flowtable ");
                self.obj_sel(flowtable);
                if let Some(b) = body {
                    self.flowtable_body(&b.items, b.span.end);
                }
            }
            CommandKind::Object { kind, object, body } => {
                self.out.push_str(kind.keyword());
                self.out.push(' ');
                self.obj_sel(object);
                if let Some(b) = body {
                    if b.braced {
                        self.object_body(&b.items, b.span.end);
                    } else {
                        for it in &b.items {
                            self.out.push(' ');
                            self.object_item(it);
                        }
                    }
                }
            }
            CommandKind::Ruleset { family } => {
                self.out.push_str("ruleset");
                if let Some(f) = family {
                    self.out.push(' ');
                    self.out.push_str(f.as_str());
                }
            }
            CommandKind::ResetObjects {
                quotas,
                family,
                table,
            } => {
                self.out
                    .push_str(if *quotas { "quotas" } else { "counters" });
                if let Some(t) = table {
                    self.out.push_str(" table ");
                    self.table_name(t);
                } else if let Some(f) = family {
                    self.out.push(' ');
                    self.out.push_str(f.as_str());
                }
            }
            CommandKind::ResetRules {
                family,
                table,
                chain,
            } => {
                self.out.push_str("rules");
                match (table, chain) {
                    (Some(t), Some(c)) => {
                        self.out.push_str(" chain ");
                        self.table_name(t);
                        self.out.push(' ');
                        self.out.push_str(&c.name);
                    }
                    (Some(t), None) => {
                        self.out.push_str(" table ");
                        self.table_name(t);
                    }
                    (None, _) => {
                        if let Some(f) = family {
                            self.out.push(' ');
                            self.out.push_str(f.as_str());
                        }
                    }
                }
            }
        }
    }

    /// ` {` and a new line; `first` is where the body's first item (or its end) begins, for a
    /// comment after the brace.
    fn open(&mut self, first: u32) {
        self.out.push_str(" {");
        self.trailing_comment(first);
        self.nl();
        self.indent += 1;
    }

    /// The comments left before `end` (the body's end), then `}`.
    fn close(&mut self, end: u32) {
        self.comments_before(end);
        self.indent = self.indent.saturating_sub(1);
        self.tabs();
        self.out.push('}');
    }

    fn table_body(&mut self, items: &[TableItem], end: u32) {
        self.open(items.first().map_or(end, table_item_start));
        let mut prev_block = false;
        for (i, it) in items.iter().enumerate() {
            let block = matches!(
                it,
                TableItem::Chain(_)
                    | TableItem::Set(_)
                    | TableItem::Flowtable(_)
                    | TableItem::Object(_)
            );
            if i > 0 && (block || prev_block) {
                self.nl();
            }
            prev_block = block;
            self.comments_before(table_item_start(it));
            self.tabs();
            match it {
                TableItem::Directive(d) => self.directive(d),
                TableItem::Flags(f) => {
                    self.out.push_str("flags ");
                    self.out.push_str(&f.name);
                }
                TableItem::Comment(c) => {
                    self.out.push_str("comment ");
                    self.out.push_str(&str_text(c));
                }
                TableItem::Chain(c) => {
                    self.out.push_str("chain ");
                    self.out.push_str(&c.name.name);
                    self.chain_body(&c.body.items, c.body.span.end);
                }
                TableItem::Set(s) => {
                    self.out.push_str(if s.map { "map " } else { "set " });
                    self.out.push_str(&s.name.name);
                    self.set_body(&s.body.items, s.body.span.end);
                }
                TableItem::Flowtable(f) => {
                    self.out.push_str("flowtable ");
                    self.out.push_str(&f.name.name);
                    self.flowtable_body(&f.body.items, f.body.span.end);
                }
                TableItem::Object(o) => {
                    self.out.push_str(o.kind.keyword());
                    self.out.push(' ');
                    self.out.push_str(&o.name.name);
                    self.object_body(&o.body.items, o.body.span.end);
                }
            }
            self.trailing_comment(items.get(i + 1).map_or(end, table_item_start));
            self.nl();
        }
        self.close(end);
    }

    fn chain_body(&mut self, items: &[ChainItem], end: u32) {
        self.open(items.first().map_or(end, chain_item_start));
        let mut i = 0;
        while i < items.len() {
            self.comments_before(chain_item_start(&items[i]));
            self.tabs();
            match &items[i] {
                ChainItem::Directive(d) => self.directive(d),
                ChainItem::Hook(h) => {
                    self.hook(h);
                    self.out.push(';');
                    if let Some(ChainItem::Policy(p)) = items.get(i + 1) {
                        self.out.push(' ');
                        self.policy(p);
                        self.out.push(';');
                        i += 1;
                    }
                }
                ChainItem::Policy(p) => {
                    self.policy(p);
                    self.out.push(';');
                }
                ChainItem::FlagsOffload(_) => self.out.push_str("flags offload;"),
                ChainItem::Comment(c) => {
                    self.out.push_str("comment ");
                    self.out.push_str(&str_text(c));
                }
                ChainItem::Rule(r) => self.rule(r),
            }
            self.trailing_comment(items.get(i + 1).map_or(end, chain_item_start));
            self.nl();
            i += 1;
        }
        self.close(end);
    }

    fn policy(&mut self, p: &Policy) {
        self.out.push_str("policy ");
        match p {
            Policy::Accept(_) => self.out.push_str("accept"),
            Policy::Drop(_) => self.out.push_str("drop"),
            Policy::Var(v) => self.bare_var(v),
        }
    }

    /// A bound variable in a position that takes a bare word (policy, priority, jump target):
    /// a quoted value prints without quotes.
    fn bare_var(&mut self, v: &Var) {
        match v.value.as_deref().map(|e| &e.resolved().kind) {
            Some(ExprKind::Quoted(t)) | Some(ExprKind::Symbol(t)) => self.out.push_str(t),
            _ => self.var(v),
        }
    }

    fn hook(&mut self, h: &HookSpec) {
        self.out.push_str("type ");
        self.out.push_str(&h.chain_type.name);
        self.out.push_str(" hook ");
        self.out.push_str(&h.hook.name);
        match &h.device {
            Some(DeviceSpec::Device(e)) => {
                self.out.push_str(" device ");
                self.expr(e);
            }
            Some(DeviceSpec::Devices(e)) => {
                self.out.push_str(" devices = ");
                self.expr(e);
            }
            None => {}
        }
        self.out.push(' ');
        self.priority(&h.priority);
    }

    fn priority(&mut self, p: &Priority) {
        self.out.push_str("priority ");
        match &p.value {
            PriorityValue::Number { negative, value } => {
                if *negative {
                    self.out.push('-');
                }
                self.out.push_str(&value.text);
            }
            PriorityValue::Named { name, offset } => {
                self.out.push_str(&name.name);
                if let Some((neg, n)) = offset {
                    self.out.push_str(if *neg { " - " } else { " + " });
                    self.out.push_str(&n.text);
                }
            }
            PriorityValue::Var(v) => self.bare_var(v),
        }
    }

    fn set_body(&mut self, items: &[SetItem], end: u32) {
        self.open(items.first().map_or(end, set_item_start));
        for (i, it) in items.iter().enumerate() {
            self.comments_before(set_item_start(it));
            self.tabs();
            match it {
                SetItem::Directive(d) => self.directive(d),
                SetItem::Type { key, data, .. } => {
                    self.out.push_str("type ");
                    self.types(key);
                    match data {
                        Some(MapData::Type { interval, types }) => {
                            self.out.push_str(" : ");
                            if *interval {
                                self.out.push_str("interval ");
                            }
                            self.types(types);
                        }
                        Some(MapData::Object(k, _)) => {
                            self.out.push_str(" : ");
                            self.out.push_str(k.keyword());
                        }
                        None => {}
                    }
                }
                SetItem::Typeof { key, data, .. } => {
                    self.out.push_str("typeof ");
                    self.concat_parts(key);
                    if let Some(d) = data {
                        self.out.push_str(" : ");
                        if d.interval {
                            self.out.push_str("interval ");
                        }
                        self.concat_parts(&d.exprs);
                    }
                }
                SetItem::Flags(f) => {
                    self.out.push_str("flags ");
                    let names: Vec<&str> = f.iter().map(|(x, _)| x.as_str()).collect();
                    self.out.push_str(&names.join(","));
                }
                SetItem::Timeout(t) => {
                    self.out.push_str("timeout ");
                    self.time_value(t);
                }
                SetItem::GcInterval(t) => {
                    self.out.push_str("gc-interval ");
                    self.time_value(t);
                }
                SetItem::Stateful(stmts) => {
                    for (i, s) in stmts.iter().enumerate() {
                        if i > 0 {
                            self.out.push(' ');
                        }
                        self.stmt(s);
                    }
                }
                SetItem::Elements(e) => {
                    self.out.push_str("elements = ");
                    self.elements(e);
                }
                SetItem::AutoMerge(_) => self.out.push_str("auto-merge"),
                SetItem::Policy(p) => {
                    self.out.push_str("policy ");
                    self.out.push_str(&p.name);
                }
                SetItem::Size(n) => {
                    self.out.push_str("size ");
                    self.out.push_str(&n.text);
                }
                SetItem::Comment(c) => {
                    self.out.push_str("comment ");
                    self.out.push_str(&str_text(c));
                }
            }
            self.trailing_comment(items.get(i + 1).map_or(end, set_item_start));
            self.nl();
        }
        self.close(end);
    }

    fn types(&mut self, t: &[Ident]) {
        let names: Vec<&str> = t.iter().map(|i| i.name.as_str()).collect();
        self.out.push_str(&names.join(" . "));
    }

    /// A set declaration's elements: one line when short, else one element per line.
    fn elements(&mut self, e: &Expr) {
        let ExprKind::Set(elems) = &e.kind else {
            self.expr(e);
            return;
        };
        if self.comment_before(e.span.end) {
            self.elements_with_comments(elems, e.span.end);
            return;
        }
        let one_line = self.sub(|p| p.expr(e));
        if elems.len() <= 4 && one_line.len() <= 60 && !one_line.contains('\n') {
            self.out.push_str(&one_line);
            return;
        }
        // Align continuation lines under the first element, as nft does.
        let col = "elements = { ".len();
        self.out.push_str("{ ");
        for (i, el) in elems.iter().enumerate() {
            if i > 0 {
                self.out.push_str(",\n");
                self.tabs();
                for _ in 0..col {
                    self.out.push(' ');
                }
            }
            self.set_elem(el);
        }
        self.out.push_str(" }");
    }

    /// Elements with comments among them: one element per line under the first, comments kept
    /// in place, and the closing brace on a line of its own (a comment runs to the line end).
    fn elements_with_comments(&mut self, elems: &[SetElem], end: u32) {
        let col = "elements = { ".len();
        self.out.push('{');
        self.trailing_comment(elems.first().map_or(end, |el| el.span.start));
        for (i, el) in elems.iter().enumerate() {
            self.nl();
            self.pad(col);
            while let Some(text) = self.take_comment_before(el.span.start) {
                self.out.push_str(&text);
                self.nl();
                self.pad(col);
            }
            self.set_elem(el);
            if i + 1 < elems.len() {
                self.out.push(',');
            }
            self.trailing_comment(elems.get(i + 1).map_or(end, |n| n.span.start));
        }
        while let Some(text) = self.take_comment_before(end) {
            self.nl();
            self.pad(col);
            self.out.push_str(&text);
        }
        self.nl();
        self.tabs();
        self.out.push('}');
    }

    fn pad(&mut self, col: usize) {
        self.tabs();
        for _ in 0..col {
            self.out.push(' ');
        }
    }

    fn flowtable_body(&mut self, items: &[FlowtableItem], end: u32) {
        self.open(items.first().map_or(end, flowtable_item_start));
        for (i, it) in items.iter().enumerate() {
            self.comments_before(flowtable_item_start(it));
            self.tabs();
            match it {
                FlowtableItem::Directive(d) => self.directive(d),
                FlowtableItem::Hook { hook, priority } => {
                    self.out.push_str("hook ");
                    self.out.push_str(&hook.name);
                    self.out.push(' ');
                    self.priority(priority);
                    self.out.push(';');
                }
                FlowtableItem::Devices(e) => {
                    self.out.push_str("devices = ");
                    self.expr(e);
                    self.out.push(';');
                }
                FlowtableItem::Counter(_) => self.out.push_str("counter"),
                FlowtableItem::FlagsOffload(_) => self.out.push_str("flags offload;"),
            }
            self.trailing_comment(items.get(i + 1).map_or(end, flowtable_item_start));
            self.nl();
        }
        self.close(end);
    }

    fn object_body(&mut self, items: &[ObjectItem], end: u32) {
        self.open(items.first().map_or(end, object_item_start));
        for (i, it) in items.iter().enumerate() {
            self.comments_before(object_item_start(it));
            self.tabs();
            self.object_item(it);
            self.trailing_comment(items.get(i + 1).map_or(end, object_item_start));
            self.nl();
        }
        self.close(end);
    }

    fn object_item(&mut self, it: &ObjectItem) {
        match it {
            ObjectItem::Directive(d) => self.directive(d),
            ObjectItem::Comment(c) => {
                self.out.push_str("comment ");
                self.out.push_str(&str_text(c));
            }
            ObjectItem::Counter { packets, bytes } => {
                self.out.push_str("packets ");
                self.out.push_str(&packets.text);
                self.out.push_str(" bytes ");
                self.out.push_str(&bytes.text);
            }
            ObjectItem::Quota(q) => self.quota_spec(q),
            ObjectItem::Limit(l) => {
                self.out.push_str("rate ");
                self.limit_rate(l);
            }
            ObjectItem::Secmark(s) => self.out.push_str(&str_text(s)),
            ObjectItem::Synproxy {
                mss,
                wscale,
                timestamp,
                sack_perm,
            } => {
                self.out.push_str("mss ");
                self.out.push_str(&mss.text);
                self.out.push_str(" wscale ");
                self.out.push_str(&wscale.text);
                if *timestamp {
                    self.out.push_str(" timestamp");
                }
                if *sack_perm {
                    self.out.push_str(" sack-perm");
                }
            }
            ObjectItem::CtHelperType { name, protocol } => {
                self.out.push_str("type ");
                self.out.push_str(&quote(&name.text));
                self.out.push_str(" protocol ");
                self.out.push_str(&protocol.name);
            }
            ObjectItem::L3Proto(f, _) => {
                self.out.push_str("l3proto ");
                self.out.push_str(f.as_str());
            }
            ObjectItem::Protocol(p) => {
                self.out.push_str("protocol ");
                self.out.push_str(&p.name);
            }
            ObjectItem::TimeoutPolicy(states) => {
                self.out.push_str("policy = { ");
                for (i, (n, v)) in states.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str(&n.name);
                    self.out.push_str(" : ");
                    self.out.push_str(&v.text);
                }
                self.out.push_str(" }");
            }
            ObjectItem::Dport(n) => {
                self.out.push_str("dport ");
                self.out.push_str(&n.text);
            }
            ObjectItem::Timeout(t) => {
                self.out.push_str("timeout ");
                self.out.push_str(&t.text);
            }
            ObjectItem::Size(n) => {
                self.out.push_str("size ");
                self.out.push_str(&n.text);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // rules and statements

    fn rule(&mut self, r: &Rule) {
        for (i, s) in r.stmts.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            self.stmt(s);
        }
        if let Some(c) = &r.comment {
            self.out.push_str(" comment ");
            self.out.push_str(&str_text(c));
        }
    }

    fn count(&mut self, c: &Count) {
        match c {
            Count::Num(n) => self.out.push_str(&n.text),
            Count::Var(v) => match v.value.as_deref().map(|e| &e.resolved().kind) {
                Some(ExprKind::Number(n)) => self.out.push_str(&n.text),
                _ => self.var(v),
            },
        }
    }

    fn byte_amount(&mut self, b: &ByteAmount) {
        self.count(&b.amount);
        if !b.unit.is_empty() {
            self.out.push(' ');
            self.out.push_str(&b.unit);
        }
    }

    fn limit_rate(&mut self, l: &LimitRate) {
        if let Some(m) = l.mode {
            self.out.push_str(m.as_str());
            self.out.push(' ');
        }
        match &l.rate {
            Rate::Packets { count, per } => {
                self.count(count);
                self.out.push('/');
                self.out.push_str(per.as_str());
            }
            Rate::Bytes { amount, per } => {
                self.byte_amount(amount);
                self.out.push('/');
                self.out.push_str(per.as_str());
            }
        }
        match &l.burst {
            Some(Burst::Packets(n)) => {
                self.out.push_str(" burst ");
                self.count(n);
                self.out.push_str(" packets");
            }
            Some(Burst::Bytes(b)) => {
                self.out.push_str(" burst ");
                self.byte_amount(b);
            }
            None => {}
        }
    }

    fn quota_spec(&mut self, q: &QuotaSpec) {
        if let Some(m) = q.mode {
            self.out.push_str(m.as_str());
            self.out.push(' ');
        }
        self.byte_amount(&q.amount);
        if let Some(u) = &q.used {
            self.out.push_str(" used ");
            self.byte_amount(u);
        }
    }

    fn time_value(&mut self, t: &TimeValue) {
        match t {
            TimeValue::Lit(s) => self.out.push_str(&s.text),
            TimeValue::Var(v) => self.bare_var(v),
        }
    }

    fn elem_options(&mut self, o: &ElemOptions) {
        if let Some(t) = &o.timeout {
            self.out.push_str(" timeout ");
            self.time_value(t);
        }
        if let Some(t) = &o.expires {
            self.out.push_str(" expires ");
            self.time_value(t);
        }
        if let Some(c) = &o.comment {
            self.out.push_str(" comment ");
            self.out.push_str(&str_text(c));
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Match { left, op, right } => {
                self.expr(left);
                if *op != RelOp::Implicit {
                    self.out.push(' ');
                    self.out.push_str(op.as_str());
                }
                self.out.push(' ');
                self.expr(right);
            }
            StmtKind::Verdict(v) => self.verdict(v),
            StmtKind::VerdictMap { key, map } => {
                self.expr(key);
                self.out.push_str(" vmap ");
                self.expr(map);
            }
            StmtKind::Counter {
                name,
                packets,
                bytes,
            } => {
                self.out.push_str("counter");
                if let Some(n) = name {
                    self.out.push_str(" name ");
                    self.expr(n);
                }
                if let Some(n) = packets {
                    self.out.push_str(" packets ");
                    self.out.push_str(&n.text);
                }
                if let Some(n) = bytes {
                    self.out.push_str(" bytes ");
                    self.out.push_str(&n.text);
                }
            }
            StmtKind::Limit(l) => {
                self.out.push_str("limit rate ");
                self.limit_rate(l);
            }
            StmtKind::LimitName(e) => {
                self.out.push_str("limit name ");
                self.expr(e);
            }
            StmtKind::Quota(q) => {
                self.out.push_str("quota ");
                self.quota_spec(q);
            }
            StmtKind::QuotaName(e) => {
                self.out.push_str("quota name ");
                self.expr(e);
            }
            StmtKind::CtCount { over, count } => {
                self.out.push_str("ct count ");
                if *over {
                    self.out.push_str("over ");
                }
                self.out.push_str(&count.text);
            }
            StmtKind::Log(l) => self.log(l),
            StmtKind::Reject(r) => {
                self.out.push_str("reject");
                match r {
                    Some(RejectWith::Icmp(e)) => {
                        self.out.push_str(" with icmp type ");
                        self.expr(e);
                    }
                    Some(RejectWith::Icmpv6(e)) => {
                        self.out.push_str(" with icmpv6 type ");
                        self.expr(e);
                    }
                    Some(RejectWith::Icmpx(e)) => {
                        self.out.push_str(" with icmpx type ");
                        self.expr(e);
                    }
                    Some(RejectWith::TcpReset) => self.out.push_str(" with tcp reset"),
                    None => {}
                }
            }
            StmtKind::Nat(n) => self.nat(n),
            StmtKind::Tproxy { family, addr, port } => {
                self.out.push_str("tproxy ");
                if let Some(f) = family {
                    self.out.push_str(f.as_str());
                    self.out.push(' ');
                }
                self.out.push_str("to ");
                self.addr_port(addr.as_ref(), port.as_ref());
            }
            StmtKind::Queue(q) => {
                self.out.push_str("queue");
                let flags: Vec<&str> = q.flags.iter().map(|f| f.as_str()).collect();
                if q.to {
                    if !flags.is_empty() {
                        self.out.push_str(" flags ");
                        self.out.push_str(&flags.join(","));
                    }
                    self.out.push_str(" to ");
                    if let Some(n) = &q.num {
                        self.expr(n);
                    }
                } else {
                    if let Some(n) = &q.num {
                        self.out.push_str(" num ");
                        self.expr(n);
                    }
                    if !flags.is_empty() {
                        self.out.push(' ');
                        self.out.push_str(&flags.join(","));
                    }
                }
            }
            StmtKind::Dup { addr, device } => {
                self.out.push_str("dup to ");
                self.expr(addr);
                if let Some(d) = device {
                    self.out.push_str(" device ");
                    self.expr(d);
                }
            }
            StmtKind::Fwd { family, to, device } => {
                self.out.push_str("fwd ");
                if let Some(f) = family {
                    self.out.push_str(f.as_str());
                    self.out.push(' ');
                }
                self.out.push_str("to ");
                self.expr(to);
                if let Some(d) = device {
                    self.out.push_str(" device ");
                    self.expr(d);
                }
            }
            StmtKind::Synproxy {
                mss,
                wscale,
                timestamp,
                sack_perm,
            } => {
                self.out.push_str("synproxy");
                if let Some(n) = mss {
                    self.out.push_str(" mss ");
                    self.out.push_str(&n.text);
                }
                if let Some(n) = wscale {
                    self.out.push_str(" wscale ");
                    self.out.push_str(&n.text);
                }
                if *timestamp {
                    self.out.push_str(" timestamp");
                }
                if *sack_perm {
                    self.out.push_str(" sack-perm");
                }
            }
            StmtKind::SynproxyName(e) => {
                self.out.push_str("synproxy name ");
                self.expr(e);
            }
            StmtKind::MetaSet {
                key,
                explicit,
                value,
            } => {
                if *explicit || !keywords::meta_key_unqualified(key) {
                    self.out.push_str("meta ");
                }
                self.out.push_str(key);
                self.out.push_str(" set ");
                self.expr(value);
            }
            StmtKind::CtSet { dir, key, value } => {
                self.out.push_str("ct ");
                if let Some(d) = dir {
                    self.out.push_str(d.as_str());
                    self.out.push(' ');
                }
                self.out.push_str(key);
                self.out.push_str(" set ");
                self.expr(value);
            }
            StmtKind::PayloadSet { target, value } => {
                self.expr(target);
                self.out.push_str(" set ");
                self.expr(value);
            }
            StmtKind::Notrack => self.out.push_str("notrack"),
            StmtKind::FlowAdd { name, offload } => {
                self.out.push_str(if *offload {
                    "flow offload @"
                } else {
                    "flow add @"
                });
                self.out.push_str(&str_text(name));
            }
            StmtKind::Set(s) => {
                if s.legacy {
                    self.out.push_str("set ");
                    self.out.push_str(s.op.as_str());
                    self.out.push(' ');
                    self.expr(&s.key);
                    self.elem_options(&s.options);
                    self.out.push(' ');
                    self.expr(&s.set);
                } else {
                    self.out.push_str(s.op.as_str());
                    self.out.push(' ');
                    self.expr(&s.set);
                    self.out.push_str(" { ");
                    self.expr(&s.key);
                    self.elem_options(&s.options);
                    for st in &s.stmts {
                        self.out.push(' ');
                        self.stmt(st);
                    }
                    if let Some(d) = &s.data {
                        self.out.push_str(" : ");
                        self.expr(d);
                    }
                    self.out.push_str(" }");
                }
            }
            StmtKind::Meter(m) => {
                if m.legacy {
                    self.out.push_str("flow table ");
                } else {
                    self.out.push_str("meter ");
                }
                self.out.push_str(&m.name.name);
                if let Some(n) = &m.size {
                    self.out.push_str(" size ");
                    self.out.push_str(&n.text);
                }
                self.out.push_str(" { ");
                self.expr(&m.key);
                self.elem_options(&m.options);
                self.out.push(' ');
                self.stmt(&m.stmt);
                self.out.push_str(" }");
            }
            StmtKind::Chain { goto, rules } => {
                self.out.push_str(if *goto { "goto {" } else { "jump {" });
                for r in rules {
                    self.out.push(' ');
                    self.rule(r);
                    self.out.push(';');
                }
                self.out.push_str(" }");
            }
            StmtKind::OptStrip { option } => {
                self.out.push_str("reset tcp option ");
                self.out.push_str(option);
            }
            StmtKind::Last { used } => {
                self.out.push_str("last");
                if let Some(u) = used {
                    self.out.push_str(" used ");
                    self.out.push_str(&str_text(u));
                }
            }
        }
    }

    fn log(&mut self, l: &Log) {
        self.out.push_str("log");
        if let Some(p) = &l.prefix {
            self.out.push_str(" prefix ");
            self.out.push_str(&str_text(p));
        }
        if let Some(n) = &l.group {
            self.out.push_str(" group ");
            self.out.push_str(&n.text);
        }
        if let Some(n) = &l.snaplen {
            self.out.push_str(" snaplen ");
            self.out.push_str(&n.text);
        }
        if let Some(n) = &l.queue_threshold {
            self.out.push_str(" queue-threshold ");
            self.out.push_str(&n.text);
        }
        if let Some(lv) = &l.level {
            self.out.push_str(" level ");
            self.out.push_str(&str_text(lv));
        }
        for f in &l.flags {
            self.out.push_str(" flags ");
            match f {
                LogFlag::Tcp(w) => {
                    self.out.push_str("tcp ");
                    self.out.push_str(&w.join(","));
                }
                LogFlag::IpOptions => self.out.push_str("ip options"),
                LogFlag::Skuid => self.out.push_str("skuid"),
                LogFlag::Ether => self.out.push_str("ether"),
                LogFlag::All => self.out.push_str("all"),
            }
        }
    }

    fn addr_port(&mut self, addr: Option<&Expr>, port: Option<&Expr>) {
        match (addr, port) {
            (Some(a), Some(p)) => {
                let a = self.sub(|x| x.expr(a));
                let p = self.sub(|x| x.expr(p));
                self.out.push_str(&glue(&a, ":", &p));
            }
            (Some(a), None) => self.expr(a),
            (None, Some(p)) => {
                self.out.push(':');
                self.expr(p);
            }
            (None, None) => {}
        }
    }

    fn nat(&mut self, n: &Nat) {
        self.out.push_str(n.kind.as_str());
        if let Some(f) = n.family {
            self.out.push(' ');
            self.out.push_str(f.as_str());
        }
        match n.mode {
            NatMode::AddrPort => {
                self.out.push_str(" addr . port to ");
                if let Some(a) = &n.addr {
                    self.expr(a);
                }
            }
            NatMode::Interval => {
                self.out.push_str(" interval to ");
                if let Some(a) = &n.addr {
                    self.expr(a);
                }
            }
            NatMode::Prefix => {
                self.out.push_str(" prefix to ");
                if let Some(a) = &n.addr {
                    self.expr(a);
                }
            }
            NatMode::Plain => {
                if n.to {
                    self.out.push_str(" to");
                }
                if n.addr.is_some() || n.port.is_some() {
                    self.out.push(' ');
                    self.addr_port(n.addr.as_ref(), n.port.as_ref());
                }
            }
        }
        if !n.flags.is_empty() {
            let f: Vec<&str> = n.flags.iter().map(|f| f.as_str()).collect();
            self.out.push(' ');
            self.out.push_str(&f.join(","));
        }
    }

    fn verdict(&mut self, v: &Verdict) {
        match v {
            Verdict::Accept => self.out.push_str("accept"),
            Verdict::Drop => self.out.push_str("drop"),
            Verdict::Continue => self.out.push_str("continue"),
            Verdict::Return => self.out.push_str("return"),
            Verdict::Jump(e) | Verdict::Goto(e) => {
                self.out.push_str(if matches!(v, Verdict::Jump(_)) {
                    "jump "
                } else {
                    "goto "
                });
                match &e.kind {
                    ExprKind::Variable(var) => self.bare_var(var),
                    _ => self.expr(e),
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // expressions

    fn var(&mut self, v: &Var) {
        match &v.value {
            Some(val) => self.expr(val),
            None => {
                self.out.push('$');
                self.out.push_str(&v.name);
            }
        }
    }

    fn concat_parts(&mut self, parts: &[Expr]) {
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                self.out.push_str(" . ");
            }
            let needs_parens = i > 0 && matches!(p.kind, ExprKind::Binary { .. });
            if needs_parens {
                self.out.push('(');
            }
            self.expr(p);
            if needs_parens {
                self.out.push(')');
            }
        }
    }

    fn operand(&mut self, e: &Expr, parent: BinOp, right: bool) {
        let needs = match &e.kind {
            ExprKind::Binary { op, .. } => {
                let (c, p) = (op.precedence(), parent.precedence());
                c < p || (right && c == p)
            }
            _ => false,
        };
        if needs {
            self.out.push('(');
        }
        self.expr(e);
        if needs {
            self.out.push(')');
        }
    }

    fn set_elem(&mut self, el: &SetElem) {
        self.expr(&el.key);
        for s in &el.stmts {
            self.out.push(' ');
            self.stmt(s);
        }
        self.elem_options(&el.options);
        if let Some(d) = &el.data {
            self.out.push_str(" : ");
            self.expr(d);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Number(n) => self.out.push_str(&n.text),
            ExprKind::Symbol(s) | ExprKind::Asterisk(s) => self.out.push_str(s),
            ExprKind::Quoted(s) => self.out.push_str(&quote(s)),
            ExprKind::Wildcard => self.out.push('*'),
            ExprKind::Bool(b) => self.out.push_str(if *b { "exists" } else { "missing" }),
            ExprKind::Variable(v) => self.var(v),
            ExprKind::SetRef(i) => {
                self.out.push('@');
                self.out.push_str(&i.name);
            }
            ExprKind::Payload { proto, field } => {
                self.out.push_str(proto.as_str());
                self.out.push(' ');
                self.out.push_str(field);
            }
            ExprKind::RawPayload { base, offset, len } => {
                self.out.push('@');
                self.out.push_str(base.as_str());
                self.out.push(',');
                self.out.push_str(&offset.text);
                self.out.push(',');
                self.out.push_str(&len.text);
            }
            ExprKind::Exthdr { hdr, field, index } => {
                self.out.push_str(hdr.as_str());
                self.out.push(' ');
                self.out.push_str(field);
                if let Some(i) = index {
                    self.out.push('[');
                    self.out.push_str(&i.text);
                    self.out.push(']');
                }
            }
            ExprKind::ExthdrExists(h) => {
                self.out.push_str("exthdr ");
                self.out.push_str(h.as_str());
            }
            ExprKind::TcpOption { option, field } => {
                self.out.push_str("tcp option ");
                self.out.push_str(option);
                if let Some(f) = field {
                    self.out.push(' ');
                    self.out.push_str(f);
                }
            }
            ExprKind::TcpOptionRaw {
                option,
                offset,
                len,
            } => {
                self.out.push_str("tcp option @");
                self.out.push_str(option);
                self.out.push(',');
                self.out.push_str(&offset.text);
                self.out.push(',');
                self.out.push_str(&len.text);
            }
            ExprKind::IpOption { option, field } => {
                self.out.push_str("ip option ");
                self.out.push_str(option);
                if let Some(f) = field {
                    self.out.push(' ');
                    self.out.push_str(f);
                }
            }
            ExprKind::SctpChunk { chunk, field } => {
                self.out.push_str("sctp chunk ");
                self.out.push_str(chunk);
                if let Some(f) = field {
                    self.out.push(' ');
                    self.out.push_str(f);
                }
            }
            ExprKind::Meta { key, explicit } => {
                if *explicit || !keywords::meta_key_unqualified(key) {
                    self.out.push_str("meta ");
                }
                self.out.push_str(key);
            }
            ExprKind::Ct { dir, proto, key } => {
                self.out.push_str("ct ");
                if let Some(d) = dir {
                    self.out.push_str(d.as_str());
                    self.out.push(' ');
                }
                if let Some(p) = proto {
                    self.out.push_str(p.as_str());
                    self.out.push(' ');
                }
                self.out.push_str(key);
            }
            ExprKind::Fib { flags, result } => {
                self.out.push_str("fib ");
                self.out.push_str(&flags.join(" . "));
                self.out.push(' ');
                self.out.push_str(result);
            }
            ExprKind::Rt { proto, key } => {
                self.out.push_str("rt ");
                if let Some(p) = proto {
                    self.out.push_str(p.as_str());
                    self.out.push(' ');
                }
                self.out.push_str(key);
            }
            ExprKind::Socket { key, level } => {
                self.out.push_str("socket ");
                self.out.push_str(key);
                if let Some(l) = level {
                    self.out.push_str(" level ");
                    self.out.push_str(&l.text);
                }
            }
            ExprKind::Osf { ttl, key } => {
                self.out.push_str("osf ");
                if let Some(t) = ttl {
                    self.out.push_str("ttl ");
                    self.out.push_str(t);
                    self.out.push(' ');
                }
                self.out.push_str(key);
            }
            ExprKind::Numgen {
                mode,
                modulus,
                offset,
            } => {
                self.out.push_str("numgen ");
                self.out.push_str(mode);
                self.out.push_str(" mod ");
                self.out.push_str(&modulus.text);
                if let Some(o) = offset {
                    self.out.push_str(" offset ");
                    self.out.push_str(&o.text);
                }
            }
            ExprKind::Jhash {
                expr,
                modulus,
                seed,
                offset,
            } => {
                self.out.push_str("jhash ");
                self.expr(expr);
                self.out.push_str(" mod ");
                self.out.push_str(&modulus.text);
                if let Some(s) = seed {
                    self.out.push_str(" seed ");
                    self.out.push_str(&s.text);
                }
                if let Some(o) = offset {
                    self.out.push_str(" offset ");
                    self.out.push_str(&o.text);
                }
            }
            ExprKind::Symhash { modulus, offset } => {
                self.out.push_str("symhash mod ");
                self.out.push_str(&modulus.text);
                if let Some(o) = offset {
                    self.out.push_str(" offset ");
                    self.out.push_str(&o.text);
                }
            }
            ExprKind::Ipsec { out, spnum, key } => {
                self.out
                    .push_str(if *out { "ipsec out" } else { "ipsec in" });
                if let Some(n) = spnum {
                    self.out.push_str(" spnum ");
                    self.out.push_str(&n.text);
                }
                self.out.push(' ');
                match key {
                    IpsecKey::Spi => self.out.push_str("spi"),
                    IpsecKey::Reqid => self.out.push_str("reqid"),
                    IpsecKey::Addr(p, f) => {
                        self.out.push_str(p.as_str());
                        self.out.push(' ');
                        self.out.push_str(f);
                    }
                }
            }
            ExprKind::Concat(parts) => self.concat_parts(parts),
            ExprKind::Binary { op, left, right } => {
                self.operand(left, *op, false);
                self.out.push(' ');
                self.out.push_str(op.as_str());
                self.out.push(' ');
                self.operand(right, *op, true);
            }
            ExprKind::Prefix { base, len } => {
                let b = self.sub(|p| p.expr(base));
                self.out.push_str(&glue(&b, "/", &len.text));
            }
            ExprKind::Range { low, high } => {
                let l = self.sub(|p| p.expr(low));
                let h = self.sub(|p| p.expr(high));
                self.out.push_str(&glue(&l, "-", &h));
            }
            ExprKind::Set(elems) => {
                if elems.is_empty() {
                    self.out.push_str("{ }");
                    return;
                }
                self.out.push_str("{ ");
                for (i, el) in elems.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.set_elem(el);
                }
                self.out.push_str(" }");
            }
            ExprKind::Map { key, map } => {
                self.expr(key);
                self.out.push_str(" map ");
                self.expr(map);
            }
            ExprKind::List(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.sub(|p| p.expr(i))).collect();
                self.out.push_str(&parts.join(","));
            }
            ExprKind::Masked { value, mask } => {
                self.expr(value);
                self.out.push_str(" / ");
                self.expr(mask);
            }
            ExprKind::Verdict(v) => self.verdict(v),
        }
    }
}

/// True if `text` would be read by nft's scanner as exactly one bare word (so it can be
/// printed unquoted as a symbol).
///
/// ```
/// use linx_nft_syntax::printer::is_single_word;
/// assert!(is_single_word("br-lan"));
/// assert!(!is_single_word("two words"));
/// ```
pub fn is_single_word(text: &str) -> bool {
    let t = tokenize(text, FileId(0));
    t.len() == 2 && t[0].kind == TokenKind::Word && t[0].text == text
}
