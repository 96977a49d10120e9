//! Expressions: selectors (payload, meta, ct, fib, …), values, binary operators, concatenations,
//! prefixes, ranges, sets and maps.
//!
//! nft's grammar has three expression flavours with different primaries:
//! * left-hand side of a match (`primary_expr`): selectors and values; the right operands of its
//!   binary operators are right-hand-side flavoured;
//! * right-hand side (`primary_rhs_expr`): values, including protocol keywords used as constants
//!   (`tcp`, `ip6`, …), `exists`/`missing`;
//! * statement arguments (`primary_stmt_expr`): values and a subset of selectors.

use super::{Abort, PResult, Parser};
use crate::ast::*;
use crate::diag::{Diagnostic, did_you_mean};
use crate::keywords;
use crate::lexer::{TokenKind, WordClass};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ctx {
    Lhs,
    Rhs,
    Stmt,
}

/// What may follow `:` in a set element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SetData {
    /// Optional data: a value or a verdict.
    Any,
    /// Required verdict (`vmap { … }`).
    Verdict,
}

/// Words that are values in right-hand sides although nft scans them as keywords.
const RHS_KEYWORD_VALUES: &[&str] = &[
    "ether", "ip", "ip6", "vlan", "arp", "dnat", "snat", "ecn", "reset", "original", "reply",
    "label", "tcp", "udp", "udplite", "esp", "ah", "icmp", "igmp", "icmpv6", "comp", "dccp",
    "sctp", "redirect",
];

/// Keyword values allowed in statement arguments (nft's `keyword_expr`).
const STMT_KEYWORD_VALUES: &[&str] = &[
    "ether", "ip", "ip6", "vlan", "arp", "dnat", "snat", "ecn", "reset", "original", "reply",
    "label",
];

const PAYLOAD_WORDS: &[&str] = &[
    "ether", "vlan", "arp", "ip", "icmp", "igmp", "ip6", "icmpv6", "ah", "esp", "comp", "udp",
    "udplite", "tcp", "dccp", "sctp", "th",
];

impl<'a> Parser<'a> {
    fn mk(kind: ExprKind, span: crate::Span) -> Expr {
        Expr { kind, span }
    }

    fn word_is_value(&self, ctx: Ctx) -> bool {
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return false;
        }
        if t.class != WordClass::Plain || !keywords::is_reserved(t.text) {
            return true;
        }
        match ctx {
            Ctx::Rhs => {
                RHS_KEYWORD_VALUES.contains(&t.text) || matches!(t.text, "exists" | "missing")
            }
            Ctx::Stmt => {
                STMT_KEYWORD_VALUES.contains(&t.text) || matches!(t.text, "exists" | "missing")
            }
            Ctx::Lhs => false,
        }
    }

    /// A value primary: number, string, variable, keyword constant.
    fn value_primary(&mut self, ctx: Ctx) -> PResult<Option<Expr>> {
        let t = self.peek();
        let e = match t.kind {
            TokenKind::Number => {
                self.bump();
                Self::mk(
                    ExprKind::Number(Num {
                        text: t.text.to_string(),
                        span: t.span,
                    }),
                    t.span,
                )
            }
            TokenKind::Quoted => {
                self.bump();
                Self::mk(ExprKind::Quoted(t.text.to_string()), t.span)
            }
            TokenKind::Asterisk => {
                self.bump();
                Self::mk(ExprKind::Asterisk(t.text.to_string()), t.span)
            }
            TokenKind::Dollar => {
                let v = self.variable()?;
                let span = v.span;
                Self::mk(ExprKind::Variable(v), span)
            }
            TokenKind::Word if self.word_is_value(ctx) => {
                self.bump();
                if t.class == WordClass::Plain && (t.text == "exists" || t.text == "missing") {
                    Self::mk(ExprKind::Bool(t.text == "exists"), t.span)
                } else {
                    Self::mk(ExprKind::Symbol(t.text.to_string()), t.span)
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(e))
    }

    /// A primary expression of the given flavour.
    pub(crate) fn primary(&mut self, ctx: Ctx) -> PResult<Expr> {
        let t = self.peek();
        if t.kind == TokenKind::LParen {
            self.bump();
            self.enter(t.span)?;
            let inner = self.binary(ctx, 1);
            self.leave();
            let mut inner = inner?;
            let close = self.expect(TokenKind::RParen, "')'")?;
            // Parentheses only group; the span grows to include them.
            inner.span = t.span.to(close.span);
            return Ok(inner);
        }
        if ctx != Ctx::Rhs {
            if let Some(e) = self.try_selector(ctx)? {
                return Ok(e);
            }
        }
        if let Some(e) = self.value_primary(ctx)? {
            return Ok(e);
        }
        Err(self.unexpected(match ctx {
            Ctx::Lhs => "an expression",
            Ctx::Rhs => "a value",
            Ctx::Stmt => "a value or expression",
        }))
    }

    /// The primaries of `typeof` and the left side of matches.
    pub(crate) fn lhs_primary(&mut self, _typeof: bool) -> PResult<Expr> {
        self.primary(Ctx::Lhs)
    }

    /// Binary operators by precedence level: 1 `|`, 2 `^`, 3 `&`, 4 shifts, 5 primary.
    pub(crate) fn binary(&mut self, ctx: Ctx, level: u8) -> PResult<Expr> {
        self.binary_with(ctx, level, &mut None)
    }

    /// Like [`Parser::binary`], with the leftmost primary possibly already parsed.
    fn binary_with(&mut self, ctx: Ctx, level: u8, first: &mut Option<Expr>) -> PResult<Expr> {
        if level >= 5 {
            return match first.take() {
                Some(e) => Ok(e),
                None => self.primary(ctx),
            };
        }
        let mut left = self.binary_with(ctx, level + 1, first)?;
        loop {
            let op = match (level, self.peek().kind) {
                (1, TokenKind::Pipe) => BinOp::Or,
                (2, TokenKind::Caret) => BinOp::Xor,
                (3, TokenKind::Amp) => BinOp::And,
                (4, TokenKind::Shl) => BinOp::Shl,
                (4, TokenKind::Shr) => BinOp::Shr,
                _ => break,
            };
            self.bump();
            let rctx = if ctx == Ctx::Lhs { Ctx::Rhs } else { ctx };
            let right = self.binary_with(rctx, level + 1, &mut None)?;
            let span = left.span.to(right.span);
            left = Self::mk(
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        Ok(left)
    }

    // ------------------------------------------------------------------------------------------
    // left-hand side

    /// nft's `concat_expr`: `basic . basic …`.
    pub(crate) fn lhs_concat(&mut self) -> PResult<Expr> {
        let first = self.binary(Ctx::Lhs, 1)?;
        self.lhs_concat_rest(first)
    }

    pub(crate) fn lhs_concat_rest(&mut self, first: Expr) -> PResult<Expr> {
        if !self.at(TokenKind::Dot) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(TokenKind::Dot).is_some() {
            parts.push(self.binary(Ctx::Lhs, 1)?);
        }
        let span = parts[0].span.to(parts[parts.len() - 1].span);
        Ok(Self::mk(ExprKind::Concat(parts), span))
    }

    /// Continues the binary operators of a left side whose first primary is already parsed.
    pub(crate) fn lhs_continue(&mut self, first: Expr) -> PResult<Expr> {
        self.binary_with(Ctx::Lhs, 1, &mut Some(first))
    }

    /// nft's `expr`: a concatenation, a set expression, or `concat map RHS`.
    pub(crate) fn lhs_expr_from(&mut self, first: Option<Expr>) -> PResult<Expr> {
        if first.is_none() && self.at(TokenKind::LBrace) {
            return self.set_expr(SetData::Any);
        }
        let e = match first {
            Some(f) => {
                let b = self.lhs_continue(f)?;
                self.lhs_concat_rest(b)?
            }
            None => self.lhs_concat()?,
        };
        if self.at_word("map") {
            self.bump();
            let map = self.rhs_expr()?;
            let span = e.span.to(map.span);
            return Ok(Self::mk(
                ExprKind::Map {
                    key: Box::new(e),
                    map: Box::new(map),
                },
                span,
            ));
        }
        Ok(e)
    }

    // ------------------------------------------------------------------------------------------
    // right-hand side

    fn rhs_basic(&mut self) -> PResult<Expr> {
        self.binary(Ctx::Rhs, 1)
    }

    fn prefix_follows(&self) -> bool {
        self.at(TokenKind::Slash)
            && self.peek_at(1).kind == TokenKind::Number
            && self.peek_at(2).kind != TokenKind::Comma
    }

    /// One component of `concat_rhs_expr`: basic, prefix or range.
    fn rhs_component(&mut self) -> PResult<Expr> {
        let b = self.rhs_basic()?;
        self.rhs_multiton(b, false)
    }

    /// Prefix or range after a basic value. In a match (`in_match`), `x / N,` starts a mask
    /// list rather than a prefix, as in nft's grammar.
    fn rhs_multiton(&mut self, b: Expr, in_match: bool) -> PResult<Expr> {
        let prefix = if in_match {
            self.prefix_follows()
        } else {
            self.at(TokenKind::Slash) && self.peek_at(1).kind == TokenKind::Number
        };
        if prefix {
            self.bump();
            let len = self.num("a prefix length")?;
            let span = b.span.to(len.span);
            return Ok(Self::mk(
                ExprKind::Prefix {
                    base: Box::new(b),
                    len,
                },
                span,
            ));
        }
        if self.eat(TokenKind::Dash).is_some() {
            let high = self.rhs_basic()?;
            let span = b.span.to(high.span);
            return Ok(Self::mk(
                ExprKind::Range {
                    low: Box::new(b),
                    high: Box::new(high),
                },
                span,
            ));
        }
        Ok(b)
    }

    fn rhs_concat_rest(&mut self, first: Expr) -> PResult<Expr> {
        if !self.at(TokenKind::Dot) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(TokenKind::Dot).is_some() {
            parts.push(self.rhs_component()?);
        }
        let span = parts[0].span.to(parts[parts.len() - 1].span);
        Ok(Self::mk(ExprKind::Concat(parts), span))
    }

    /// nft's `concat_rhs_expr`.
    pub(crate) fn rhs_concat(&mut self) -> PResult<Expr> {
        let first = self.rhs_component()?;
        self.rhs_concat_rest(first)
    }

    /// nft's `rhs_expr`: concatenation, set expression or `@set`.
    pub(crate) fn rhs_expr(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::LBrace) {
            return self.set_expr(SetData::Any);
        }
        if self.at(TokenKind::At) {
            return self.set_ref();
        }
        self.rhs_concat()
    }

    /// `@name`
    pub(crate) fn set_ref(&mut self) -> PResult<Expr> {
        let at = self.expect(TokenKind::At, "'@'")?;
        let id = self.ident("a set name")?;
        let span = at.span.to(id.span);
        Ok(Self::mk(ExprKind::SetRef(id), span))
    }

    /// A comma list continuing after `first` (nft's `list_rhs_expr`).
    fn rhs_list_from(&mut self, first: Expr) -> PResult<Expr> {
        let mut items = vec![first];
        while self.eat(TokenKind::Comma).is_some() {
            items.push(self.rhs_basic()?);
        }
        let span = items[0].span.to(items[items.len() - 1].span);
        Ok(Self::mk(ExprKind::List(items), span))
    }

    /// A mask list after `/` (at least two items).
    fn mask_list(&mut self) -> PResult<Expr> {
        let first = self.rhs_basic()?;
        if !self.at(TokenKind::Comma) {
            return Err(self.unexpected("comma"));
        }
        self.rhs_list_from(first)
    }

    /// The right side of a match, after the optional operator: rhs expression, comma list, or
    /// `value / mask-list`.
    pub(crate) fn match_rhs(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::LBrace) {
            return self.set_expr(SetData::Any);
        }
        if self.at(TokenKind::At) {
            return self.set_ref();
        }
        let first = self.rhs_basic()?;
        if self.at(TokenKind::Comma) {
            let list = self.rhs_list_from(first)?;
            if self.eat(TokenKind::Slash).is_some() {
                let mask = self.mask_list()?;
                let span = list.span.to(mask.span);
                return Ok(Self::mk(
                    ExprKind::Masked {
                        value: Box::new(list),
                        mask: Box::new(mask),
                    },
                    span,
                ));
            }
            return Ok(list);
        }
        if self.at(TokenKind::Slash) && !self.prefix_follows() {
            self.bump();
            let mask = self.mask_list()?;
            let span = first.span.to(mask.span);
            return Ok(Self::mk(
                ExprKind::Masked {
                    value: Box::new(first),
                    mask: Box::new(mask),
                },
                span,
            ));
        }
        let c = self.rhs_multiton(first, true)?;
        self.rhs_concat_rest(c)
    }

    /// A define value (nft's `initializer_expr`).
    pub(crate) fn initializer(&mut self) -> PResult<Expr> {
        let t = self.peek();
        if t.kind == TokenKind::LBrace && self.peek_at(1).kind == TokenKind::RBrace {
            self.bump();
            let c = self.bump();
            return Ok(Self::mk(ExprKind::Set(Vec::new()), t.span.to(c.span)));
        }
        if t.kind == TokenKind::Dash && self.peek_at(1).kind == TokenKind::Number {
            self.bump();
            let n = self.bump();
            let span = t.span.to(n.span);
            return Ok(Self::mk(
                ExprKind::Number(Num {
                    text: format!("-{}", n.text),
                    span,
                }),
                span,
            ));
        }
        if t.kind == TokenKind::LBrace {
            return self.set_expr(SetData::Any);
        }
        if t.kind == TokenKind::At {
            return self.set_ref();
        }
        let first = self.rhs_basic()?;
        if self.at(TokenKind::Comma) {
            return self.rhs_list_from(first);
        }
        let c = self.rhs_multiton(first, false)?;
        self.rhs_concat_rest(c)
    }

    // ------------------------------------------------------------------------------------------
    // statement arguments

    fn is_symbolish(e: &Expr) -> bool {
        matches!(
            e.kind,
            ExprKind::Symbol(_)
                | ExprKind::Quoted(_)
                | ExprKind::Asterisk(_)
                | ExprKind::Variable(_)
        )
    }

    /// nft's `stmt_expr`: map, prefix, range, symbol list, or a concatenation.
    pub(crate) fn stmt_expr(&mut self) -> PResult<Expr> {
        let first = self.binary(Ctx::Stmt, 1)?;
        if self.at(TokenKind::Dot) {
            let mut parts = vec![first];
            while self.eat(TokenKind::Dot).is_some() {
                parts.push(self.primary(Ctx::Stmt)?);
            }
            let span = parts[0].span.to(parts[parts.len() - 1].span);
            let c = Self::mk(ExprKind::Concat(parts), span);
            return self.stmt_map(c);
        }
        if self.at(TokenKind::Slash) {
            self.bump();
            let len = self.num("a prefix length")?;
            let span = first.span.to(len.span);
            return Ok(Self::mk(
                ExprKind::Prefix {
                    base: Box::new(first),
                    len,
                },
                span,
            ));
        }
        if self.eat(TokenKind::Dash).is_some() {
            let high = self.binary(Ctx::Stmt, 1)?;
            let span = first.span.to(high.span);
            return Ok(Self::mk(
                ExprKind::Range {
                    low: Box::new(first),
                    high: Box::new(high),
                },
                span,
            ));
        }
        if self.at(TokenKind::Comma) && Self::is_symbolish(&first) {
            let mut items = vec![first];
            while self.eat(TokenKind::Comma).is_some() {
                let t = self.peek();
                match self.value_primary(Ctx::Stmt)? {
                    Some(e) if Self::is_symbolish(&e) => items.push(e),
                    _ => {
                        let d = Diagnostic::error(
                            t.span,
                            format!(
                                "syntax error, unexpected {}, expecting a symbolic value",
                                Self::describe(&t)
                            ),
                        );
                        self.push(d);
                        return Err(Abort);
                    }
                }
            }
            let span = items[0].span.to(items[items.len() - 1].span);
            return Ok(Self::mk(ExprKind::List(items), span));
        }
        self.stmt_map(first)
    }

    fn stmt_map(&mut self, key: Expr) -> PResult<Expr> {
        if !self.at_word("map") {
            return Ok(key);
        }
        self.bump();
        let map = if self.at(TokenKind::LBrace) {
            self.set_expr(SetData::Any)?
        } else if self.at(TokenKind::At) {
            self.set_ref()?
        } else if self.at(TokenKind::Dollar) {
            let v = self.variable()?;
            let span = v.span;
            Self::mk(ExprKind::Variable(v), span)
        } else {
            return Err(self.unexpected("'{' or '@'"));
        };
        let span = key.span.to(map.span);
        Ok(Self::mk(
            ExprKind::Map {
                key: Box::new(key),
                map: Box::new(map),
            },
            span,
        ))
    }

    // ------------------------------------------------------------------------------------------
    // sets

    /// `{ element, … }`
    pub(crate) fn set_expr(&mut self, data: SetData) -> PResult<Expr> {
        let open = self.expect(TokenKind::LBrace, "'{'")?;
        self.enter(open.span)?;
        let r = self.set_members(data);
        self.leave();
        let elems = r?;
        let close = self.expect(TokenKind::RBrace, "comma or '}'")?;
        Ok(Self::mk(ExprKind::Set(elems), open.span.to(close.span)))
    }

    fn set_members(&mut self, data: SetData) -> PResult<Vec<SetElem>> {
        self.eat(TokenKind::Newline);
        let mut elems = Vec::new();
        loop {
            if self.at(TokenKind::RBrace) {
                if elems.is_empty() {
                    return Err(self.unexpected("a set element"));
                }
                break;
            }
            let elem = if self.at(TokenKind::LBrace) && data == SetData::Any {
                let e = self.set_expr(SetData::Any)?;
                SetElem {
                    span: e.span,
                    key: e,
                    stmts: Vec::new(),
                    options: ElemOptions::default(),
                    data: None,
                }
            } else {
                self.set_elem(data)?
            };
            elems.push(elem);
            self.eat(TokenKind::Newline);
            if self.eat(TokenKind::Comma).is_some() {
                self.eat(TokenKind::Newline);
                while self.eat(TokenKind::Comma).is_some() {
                    self.eat(TokenKind::Newline);
                }
                continue;
            }
            break;
        }
        Ok(elems)
    }

    fn set_elem(&mut self, data: SetData) -> PResult<SetElem> {
        let start = self.peek().span;
        let key = if let Some(s) = self.eat(TokenKind::Star) {
            Self::mk(ExprKind::Wildcard, s.span)
        } else {
            self.rhs_concat()?
        };
        let mut stmts = Vec::new();
        while self.at_word("counter")
            || self.at_word("limit")
            || self.at_word("last")
            || (self.at_word("ct") && self.word_at(1, "count"))
        {
            stmts.push(self.set_elem_stmt()?);
        }
        let options = self.elem_options()?;
        let data_expr = if self.eat(TokenKind::Colon).is_some() {
            Some(match data {
                SetData::Verdict => self.verdict_expr()?,
                SetData::Any => {
                    if self.at_verdict() {
                        self.verdict_expr()?
                    } else {
                        self.rhs_concat()?
                    }
                }
            })
        } else {
            if data == SetData::Verdict {
                return Err(self.unexpected("':'"));
            }
            None
        };
        Ok(SetElem {
            key,
            stmts,
            options,
            data: data_expr,
            span: self.span_from(start),
        })
    }

    /// `timeout T`, `expires T`, `comment "…"` in any order (the last one wins, as nft).
    pub(crate) fn elem_options(&mut self) -> PResult<ElemOptions> {
        let mut o = ElemOptions::default();
        loop {
            if self.eat_word("timeout").is_some() {
                o.timeout = Some(self.time_value()?);
            } else if self.eat_word("expires").is_some() {
                o.expires = Some(self.time_value()?);
            } else if self.at_word("comment") {
                o.comment = Some(self.comment_spec()?);
            } else {
                return Ok(o);
            }
        }
    }

    fn at_verdict(&self) -> bool {
        ["accept", "drop", "continue", "return", "jump", "goto"]
            .iter()
            .any(|w| self.at_word(w))
    }

    /// A verdict as an expression (set/map data).
    pub(crate) fn verdict_expr(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let v = self.verdict()?;
        Ok(Self::mk(ExprKind::Verdict(v), self.span_from(start)))
    }

    /// `accept | drop | continue | return | jump C | goto C`.
    pub(crate) fn verdict(&mut self) -> PResult<Verdict> {
        let t = self.peek();
        let v = match t.text {
            _ if t.kind != TokenKind::Word || t.class != WordClass::Plain => {
                return Err(self.unexpected("a verdict"));
            }
            "accept" => Verdict::Accept,
            "drop" => Verdict::Drop,
            "continue" => Verdict::Continue,
            "return" => Verdict::Return,
            "jump" | "goto" => {
                self.bump();
                let target = self.chain_target()?;
                return Ok(if t.text == "jump" {
                    Verdict::Jump(Box::new(target))
                } else {
                    Verdict::Goto(Box::new(target))
                });
            }
            _ => return Err(self.unexpected("a verdict")),
        };
        self.bump();
        Ok(v)
    }

    /// nft's `chain_expr`: `$var` or a chain name.
    pub(crate) fn chain_target(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::Dollar) {
            let v = self.variable()?;
            let span = v.span;
            return Ok(Self::mk(ExprKind::Variable(v), span));
        }
        let id = self.ident("a chain name")?;
        Ok(Self::mk(ExprKind::Symbol(id.name), id.span))
    }

    // ------------------------------------------------------------------------------------------
    // selectors

    fn field_error(&mut self, what: &str, cands: &[&str]) -> Abort {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            let s = did_you_mean(t.text, cands.iter().copied());
            let d = Diagnostic::error(t.span, format!("unknown {what} '{}'", t.text))
                .maybe_suggest(s)
                .with_note(format!("valid: {}", cands.join(", ")), None);
            self.push(d);
            Abort
        } else {
            self.unexpected(&format!("a {what}"))
        }
    }

    fn word_text(&self, n: usize) -> Option<&'a str> {
        let t = self.peek_at(n);
        (t.kind == TokenKind::Word && t.class == WordClass::Plain).then_some(t.text)
    }

    /// Parses a selector if the current word starts one allowed in `ctx`; `None` otherwise.
    pub(crate) fn try_selector(&mut self, ctx: Ctx) -> PResult<Option<Expr>> {
        let t = self.peek();
        if t.kind == TokenKind::At {
            return self.raw_payload().map(Some);
        }
        let Some(w) = self.word_text(0) else {
            return Ok(None);
        };
        let start = t.span;
        let lhs = ctx == Ctx::Lhs;
        let kind = match w {
            "gre" | "gretap" | "vxlan" | "geneve" | "inner" => {
                return Err(self.unsupported(
                    t.span,
                    format!("'{w}' expressions (nftables ≥ 1.0.7; the pinned reference is 1.0.6)"),
                ));
            }
            _ if PAYLOAD_WORDS.contains(&w) => {
                let proto = PayloadProto::from_name(w).unwrap_or(PayloadProto::Ip);
                if ctx == Ctx::Stmt
                    && STMT_KEYWORD_VALUES.contains(&w)
                    && !self.payload_follows(proto)
                {
                    return Ok(None);
                }
                self.bump();
                self.payload(proto)?
            }
            "hbh" | "rt0" | "rt2" | "srh" | "frag" | "dst" | "mh" if lhs => {
                self.bump();
                self.exthdr(keywords::exthdr_kind(w).unwrap_or(ExthdrKind::Hbh))?
            }
            "rt" => {
                self.bump();
                let next = self.word_text(0).unwrap_or("");
                if lhs && keywords::exthdr_fields(ExthdrKind::Rt).contains(&next) {
                    self.exthdr(ExthdrKind::Rt)?
                } else {
                    self.rt_expr()?
                }
            }
            "exthdr" if lhs => {
                self.bump();
                let k = self.word_text(0).unwrap_or("");
                let kind = match k {
                    "hbh" | "rt" | "frag" | "dst" | "mh" => keywords::exthdr_kind(k),
                    _ => None,
                };
                let Some(kind) = kind else {
                    return Err(
                        self.field_error("extension header", &["hbh", "rt", "frag", "dst", "mh"])
                    );
                };
                self.bump();
                ExprKind::ExthdrExists(kind)
            }
            "meta" => {
                self.bump();
                let Some(k) = self.word_text(0).and_then(keywords::meta_key) else {
                    return Err(self.field_error("meta key", keywords::META_KEYS));
                };
                self.bump();
                ExprKind::Meta {
                    key: k,
                    explicit: true,
                }
            }
            "ipsec" if lhs && matches!(self.word_text(1), Some("in" | "out")) => {
                self.bump();
                self.ipsec_expr()?
            }
            _ if keywords::META_UNQUALIFIED.contains(&w) => {
                self.bump();
                ExprKind::Meta {
                    key: keywords::meta_key(w).unwrap_or("mark"),
                    explicit: false,
                }
            }
            "ct" => {
                self.bump();
                self.ct_expr_rest(false)?
            }
            "fib" if lhs => {
                self.bump();
                self.fib_expr(start)?
            }
            "socket" => {
                self.bump();
                self.socket_expr()?
            }
            "osf" => {
                self.bump();
                self.osf_expr()?
            }
            "numgen" => {
                self.bump();
                self.numgen_expr()?
            }
            "jhash" => {
                self.bump();
                self.enter(start)?;
                let e = self.lhs_concat();
                self.leave();
                let e = e?;
                self.expect_word("mod")?;
                let modulus = self.num("a number")?;
                let seed = if self.eat_word("seed").is_some() {
                    Some(self.num("a number")?)
                } else {
                    None
                };
                let offset = self.opt_offset()?;
                ExprKind::Jhash {
                    expr: Box::new(e),
                    modulus,
                    seed,
                    offset,
                }
            }
            "symhash" => {
                self.bump();
                self.expect_word("mod")?;
                let modulus = self.num("a number")?;
                let offset = self.opt_offset()?;
                ExprKind::Symhash { modulus, offset }
            }
            _ => return Ok(None),
        };
        Ok(Some(Self::mk(kind, self.span_from(start))))
    }

    fn payload_follows(&self, proto: PayloadProto) -> bool {
        let Some(n) = self.word_text(1) else {
            return false;
        };
        match proto {
            PayloadProto::Arp => {
                matches!(n, "saddr" | "daddr") || keywords::payload_field(proto, n).is_some()
            }
            PayloadProto::Ip => n == "option" || keywords::payload_field(proto, n).is_some(),
            _ => keywords::payload_field(proto, n).is_some(),
        }
    }

    fn opt_offset(&mut self) -> PResult<Option<Num>> {
        if self.eat_word("offset").is_some() {
            Ok(Some(self.num("a number")?))
        } else {
            Ok(None)
        }
    }

    fn raw_payload(&mut self) -> PResult<Expr> {
        let at = self.expect(TokenKind::At, "'@'")?;
        let b = self.peek();
        let base = match b.text {
            _ if b.kind != TokenKind::Word => return Err(self.unexpected("ll, nh, th or ih")),
            "ll" => RawBase::Ll,
            "nh" => RawBase::Nh,
            "th" => RawBase::Th,
            "ih" => RawBase::Ih,
            _ => {
                self.bump();
                let s = did_you_mean(b.text, ["ll", "nh", "th", "ih"]);
                return Err(self.error_suggest(b.span, "unknown raw payload base", s));
            }
        };
        self.bump();
        self.expect(TokenKind::Comma, "comma")?;
        let offset = self.num("an offset")?;
        self.expect(TokenKind::Comma, "comma")?;
        let len = self.num("a length")?;
        Ok(Self::mk(
            ExprKind::RawPayload { base, offset, len },
            self.span_from(at.span),
        ))
    }

    fn payload(&mut self, proto: PayloadProto) -> PResult<ExprKind> {
        let fields = keywords::payload_fields(proto);
        let w = self.word_text(0).unwrap_or("");
        match proto {
            PayloadProto::Arp if w == "saddr" || w == "daddr" => {
                self.bump();
                let sub = self.word_text(0).unwrap_or("");
                let field = match (w, sub) {
                    ("saddr", "ether") => "saddr ether",
                    ("saddr", "ip") => "saddr ip",
                    ("daddr", "ether") => "daddr ether",
                    ("daddr", "ip") => "daddr ip",
                    _ => return Err(self.field_error("arp address type", &["ether", "ip"])),
                };
                self.bump();
                return Ok(ExprKind::Payload { proto, field });
            }
            PayloadProto::Ip if w == "option" => {
                self.bump();
                let Some(opt) = self
                    .word_text(0)
                    .and_then(|o| keywords::IP_OPTIONS.iter().copied().find(|x| *x == o))
                else {
                    return Err(self.field_error("ip option", keywords::IP_OPTIONS));
                };
                self.bump();
                let field = self
                    .word_text(0)
                    .and_then(|f| keywords::IP_OPTION_FIELDS.iter().copied().find(|x| *x == f));
                if field.is_some() {
                    self.bump();
                }
                return Ok(ExprKind::IpOption { option: opt, field });
            }
            PayloadProto::Tcp if w == "option" => {
                self.bump();
                return self.tcp_option();
            }
            PayloadProto::Sctp if w == "chunk" => {
                self.bump();
                let Some(chunk) = self
                    .word_text(0)
                    .and_then(|c| keywords::SCTP_CHUNKS.iter().copied().find(|x| *x == c))
                else {
                    return Err(self.field_error("sctp chunk type", keywords::SCTP_CHUNKS));
                };
                self.bump();
                let fields = keywords::sctp_chunk_fields(chunk);
                let field = self
                    .word_text(0)
                    .and_then(|f| fields.iter().copied().find(|x| *x == f));
                if field.is_some() {
                    self.bump();
                }
                return Ok(ExprKind::SctpChunk { chunk, field });
            }
            _ => {}
        }
        match keywords::payload_field(proto, w) {
            Some(field) => {
                self.bump();
                Ok(ExprKind::Payload { proto, field })
            }
            None => {
                let mut cands: Vec<&str> = fields
                    .iter()
                    .map(|f| f.split(' ').next().unwrap_or(f))
                    .collect();
                cands.dedup();
                match proto {
                    PayloadProto::Ip | PayloadProto::Tcp => cands.push("option"),
                    PayloadProto::Sctp => cands.push("chunk"),
                    _ => {}
                }
                Err(self.field_error(&format!("{} field", proto.as_str()), &cands))
            }
        }
    }

    fn tcp_option_type(&mut self) -> PResult<String> {
        let t = self.peek();
        if t.kind == TokenKind::Number {
            self.bump();
            return Ok(t.text.to_string());
        }
        if let Some(c) = self.word_text(0).and_then(keywords::tcp_option_canonical) {
            self.bump();
            return Ok(c.to_string());
        }
        let names: Vec<&str> = keywords::TCP_OPTIONS.iter().map(|(n, _)| *n).collect();
        Err(self.field_error("tcp option", &names))
    }

    fn tcp_option(&mut self) -> PResult<ExprKind> {
        if self.eat(TokenKind::At).is_some() {
            let option = self.tcp_option_type()?;
            self.expect(TokenKind::Comma, "comma")?;
            let offset = self.num("an offset")?;
            self.expect(TokenKind::Comma, "comma")?;
            let len = self.num("a length")?;
            return Ok(ExprKind::TcpOptionRaw {
                option,
                offset,
                len,
            });
        }
        let option = self.tcp_option_type()?;
        let field = self
            .word_text(0)
            .and_then(|f| keywords::tcp_option_field(&option, f));
        if field.is_some() {
            self.bump();
        }
        Ok(ExprKind::TcpOption { option, field })
    }

    fn exthdr(&mut self, hdr: ExthdrKind) -> PResult<ExprKind> {
        let fields = keywords::exthdr_fields(hdr);
        let Some(field) = self
            .word_text(0)
            .and_then(|f| fields.iter().copied().find(|x| *x == f))
        else {
            return Err(self.field_error(&format!("{} field", hdr.as_str()), fields));
        };
        self.bump();
        let index = if matches!(
            (hdr, field),
            (ExthdrKind::Rt0, "addr") | (ExthdrKind::Srh, "sid")
        ) {
            self.expect(TokenKind::LBracket, "'['")?;
            let n = self.num("an index")?;
            self.expect(TokenKind::RBracket, "']'")?;
            Some(n)
        } else {
            None
        };
        Ok(ExprKind::Exthdr { hdr, field, index })
    }

    fn nf_proto_word(&self, n: usize) -> Option<NfProto> {
        match self.word_text(n) {
            Some("ip") => Some(NfProto::Ip),
            Some("ip6") => Some(NfProto::Ip6),
            _ => None,
        }
    }

    /// After `ct`: `[original|reply] [ip|ip6] KEY`. With `for_set`, `timeout` and `expectation`
    /// are accepted too (only valid before `set`).
    pub(crate) fn ct_expr_rest(&mut self, for_set: bool) -> PResult<ExprKind> {
        let dir = match self.word_text(0) {
            Some("original") => Some(CtDir::Original),
            Some("reply") => Some(CtDir::Reply),
            _ => None,
        };
        if let Some(dir) = dir {
            self.bump();
            if let Some(p) = self.nf_proto_word(0) {
                self.bump();
                let key = match self.word_text(0) {
                    Some("saddr") => "saddr",
                    Some("daddr") => "daddr",
                    _ => return Err(self.field_error("ct address", &["saddr", "daddr"])),
                };
                self.bump();
                return Ok(ExprKind::Ct {
                    dir: Some(dir),
                    proto: Some(p),
                    key,
                });
            }
            let Some(key) = self
                .word_text(0)
                .and_then(|k| keywords::CT_DIR_KEYS.iter().copied().find(|x| *x == k))
            else {
                return Err(self.field_error("ct key with a direction", keywords::CT_DIR_KEYS));
            };
            self.bump();
            return Ok(ExprKind::Ct {
                dir: Some(dir),
                proto: None,
                key,
            });
        }
        let w = self.word_text(0).unwrap_or("");
        let key = keywords::CT_KEYS
            .iter()
            .copied()
            .find(|x| *x == w)
            .or_else(|| {
                if for_set {
                    ["timeout", "expectation"].iter().copied().find(|x| *x == w)
                } else {
                    None
                }
            });
        let Some(key) = key else {
            let mut c: Vec<&str> = keywords::CT_KEYS.to_vec();
            c.extend(["original", "reply", "count"]);
            return Err(self.field_error("ct key", &c));
        };
        self.bump();
        Ok(ExprKind::Ct {
            dir: None,
            proto: None,
            key,
        })
    }

    fn fib_expr(&mut self, start: crate::Span) -> PResult<ExprKind> {
        let mut flags: Vec<&'static str> = Vec::new();
        let flag = |w: &str| keywords::FIB_FLAGS.iter().copied().find(|x| *x == w);
        let Some(first) = self.word_text(0).and_then(flag) else {
            return Err(self.field_error("fib flag", keywords::FIB_FLAGS));
        };
        self.bump();
        flags.push(first);
        while self.at(TokenKind::Dot) {
            let Some(f) = self.word_text(1).and_then(flag) else {
                break;
            };
            self.bump();
            self.bump();
            flags.push(f);
        }
        let Some(result) = self
            .word_text(0)
            .and_then(|w| keywords::FIB_RESULTS.iter().copied().find(|x| *x == w))
        else {
            return Err(self.field_error("fib result", keywords::FIB_RESULTS));
        };
        self.bump();
        let span = self.span_from(start);
        let has = |f: &str| flags.contains(&f);
        if !has("saddr") && !has("daddr") {
            return Err(self.error(span, "fib: need either saddr or daddr"));
        }
        if has("saddr") && has("daddr") {
            return Err(self.error(span, "fib: saddr and daddr are mutually exclusive"));
        }
        if has("iif") && has("oif") {
            return Err(self.error(span, "fib: iif and oif are mutually exclusive"));
        }
        Ok(ExprKind::Fib { flags, result })
    }

    fn rt_expr(&mut self) -> PResult<ExprKind> {
        let proto = self.nf_proto_word(0);
        if proto.is_some() {
            self.bump();
        }
        let Some(key) = self
            .word_text(0)
            .and_then(|w| keywords::RT_KEYS.iter().copied().find(|x| *x == w))
        else {
            return Err(self.field_error("rt key", keywords::RT_KEYS));
        };
        self.bump();
        Ok(ExprKind::Rt { proto, key })
    }

    fn socket_expr(&mut self) -> PResult<ExprKind> {
        let Some(key) = self
            .word_text(0)
            .and_then(|w| keywords::SOCKET_KEYS.iter().copied().find(|x| *x == w))
        else {
            return Err(self.field_error("socket key", keywords::SOCKET_KEYS));
        };
        self.bump();
        let level = if key == "cgroupv2" {
            self.expect_word("level")?;
            Some(self.num("a number")?)
        } else {
            None
        };
        Ok(ExprKind::Socket { key, level })
    }

    fn osf_expr(&mut self) -> PResult<ExprKind> {
        let ttl = if self.eat_word("ttl").is_some() {
            let t = self.peek();
            if t.kind != TokenKind::Word {
                return Err(self.unexpected("loose or skip"));
            }
            self.bump();
            if t.text != "loose" && t.text != "skip" {
                return Err(self.error(t.span, "invalid ttl option"));
            }
            Some(t.text.to_string())
        } else {
            None
        };
        let key = match self.word_text(0) {
            Some("version") => "version",
            Some("name") => "name",
            _ => return Err(self.field_error("osf key", &["version", "name"])),
        };
        self.bump();
        Ok(ExprKind::Osf { ttl, key })
    }

    fn numgen_expr(&mut self) -> PResult<ExprKind> {
        let mode = match self.word_text(0) {
            Some("inc") => "inc",
            Some("random") => "random",
            _ => return Err(self.field_error("numgen mode", &["inc", "random"])),
        };
        self.bump();
        self.expect_word("mod")?;
        let modulus = self.num("a number")?;
        let offset = self.opt_offset()?;
        Ok(ExprKind::Numgen {
            mode,
            modulus,
            offset,
        })
    }

    fn ipsec_expr(&mut self) -> PResult<ExprKind> {
        let out = match self.word_text(0) {
            Some("in") => false,
            Some("out") => true,
            _ => return Err(self.field_error("ipsec direction", &["in", "out"])),
        };
        self.bump();
        let spnum = if self.eat_word("spnum").is_some() {
            Some(self.num("a number")?)
        } else {
            None
        };
        let key = if let Some(p) = self.nf_proto_word(0) {
            self.bump();
            let f = match self.word_text(0) {
                Some("saddr") => "saddr",
                Some("daddr") => "daddr",
                _ => return Err(self.field_error("ipsec address", &["saddr", "daddr"])),
            };
            self.bump();
            IpsecKey::Addr(p, f)
        } else {
            match self.word_text(0) {
                Some("spi") => {
                    self.bump();
                    IpsecKey::Spi
                }
                Some("reqid") => {
                    self.bump();
                    IpsecKey::Reqid
                }
                _ => {
                    return Err(self.field_error("ipsec key", &["spi", "reqid", "ip", "ip6"]));
                }
            }
        };
        Ok(ExprKind::Ipsec { out, spnum, key })
    }
}
