//! Statements: matches, verdicts, and every action statement of nft 1.0.6.

use super::expr::{Ctx, SetData};
use super::{Abort, PResult, Parser};
use crate::ACCEPTED_WITH_EXTENSIONS;
use crate::ast::*;
use crate::diag::{Diagnostic, did_you_mean};
use crate::keywords;
use crate::lexer::{TokenKind, WordClass};
use crate::source::Span;

impl<'a> Parser<'a> {
    /// One statement of a rule.
    pub(crate) fn stmt(&mut self) -> PResult<Stmt> {
        let t = self.peek();
        let start = t.span;
        let kind = match t.kind {
            TokenKind::Word if t.class == WordClass::Plain => self.word_stmt()?,
            TokenKind::LBrace
            | TokenKind::Dollar
            | TokenKind::Number
            | TokenKind::LParen
            | TokenKind::At => self.expr_stmt(None)?,
            TokenKind::Word | TokenKind::Quoted | TokenKind::Asterisk => {
                return Err(self.error(
                    t.span,
                    format!(
                        "syntax error, unexpected {}, expecting a statement",
                        Self::describe(&t)
                    ),
                ));
            }
            _ => return Err(self.unexpected("a statement")),
        };
        Ok(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    fn word_stmt(&mut self) -> PResult<StmtKind> {
        let t = self.peek();
        let w = t.text;
        Ok(match w {
            "accept" | "drop" | "continue" | "return" => StmtKind::Verdict(self.verdict()?),
            "jump" | "goto" => {
                if self.peek_at(1).kind == TokenKind::LBrace {
                    self.bump();
                    let open = self.bump();
                    self.enter(open.span)?;
                    let rules = self.subchain_rules();
                    let close = self.expect(TokenKind::RBrace, "'}'");
                    self.leave();
                    close?;
                    StmtKind::Chain {
                        goto: w == "goto",
                        rules,
                    }
                } else {
                    StmtKind::Verdict(self.verdict()?)
                }
            }
            "counter" | "limit" | "quota" => self.stateful_stmt()?.kind,
            "log" => self.log_stmt()?,
            "reject" => self.reject_stmt()?,
            "snat" | "dnat" => self.nat_stmt()?,
            "masquerade" | "redirect" => self.masq_redir_stmt()?,
            "tproxy" => self.tproxy_stmt()?,
            "queue" => self.queue_stmt()?,
            "dup" => {
                self.bump();
                self.expect_word("to")?;
                let addr = self.stmt_expr()?;
                let device = if self.eat_word("device").is_some() {
                    Some(self.stmt_expr()?)
                } else {
                    None
                };
                StmtKind::Dup { addr, device }
            }
            "fwd" => {
                self.bump();
                let family = self.nf_proto_here();
                self.expect_word("to")?;
                let to = self.stmt_expr()?;
                let device = if family.is_some() {
                    self.expect_word("device")?;
                    Some(self.stmt_expr()?)
                } else {
                    None
                };
                StmtKind::Fwd { family, to, device }
            }
            "synproxy" => self.synproxy_stmt()?,
            "notrack" => {
                self.bump();
                StmtKind::Notrack
            }
            "flow" => self.flow_stmt()?,
            "meter" => {
                self.bump();
                let name = self.ident("a meter name")?;
                let size = if self.eat_word("size").is_some() {
                    Some(self.num("a number")?)
                } else {
                    None
                };
                self.meter_body(false, name, size)?
            }
            "add" | "update" | "delete" => self.set_stmt()?,
            "set" => {
                // legacy: set add|update|delete KEY @set
                self.bump();
                let op = self.set_op()?;
                let key = self.lhs_expr_from(None)?;
                let options = self.elem_options()?;
                let set = self.set_ref_or_var()?;
                StmtKind::Set(Box::new(SetStmt {
                    op,
                    set,
                    key,
                    options,
                    stmts: Vec::new(),
                    data: None,
                    legacy: true,
                }))
            }
            "reset" => {
                self.bump();
                self.expect_word("tcp")?;
                self.expect_word("option")?;
                let o = self.peek();
                let option = if o.kind == TokenKind::Number {
                    self.bump();
                    o.text.to_string()
                } else if let Some(c) = (o.kind == TokenKind::Word)
                    .then(|| keywords::tcp_option_canonical(o.text))
                    .flatten()
                {
                    self.bump();
                    c.to_string()
                } else {
                    return Err(self.unexpected("a tcp option"));
                };
                StmtKind::OptStrip { option }
            }
            "last" => return Ok(self.stateful_stmt()?.kind),
            "ct" => {
                if self.word_at(1, "count") {
                    return Ok(self.stateful_stmt()?.kind);
                }
                self.bump();
                let e_kind = self.ct_expr_rest(true)?;
                let span = self.span_from(t.span);
                if let ExprKind::Ct { dir, proto, key } = &e_kind {
                    if self.at_word("set") {
                        let set_kw = self.bump();
                        let ok = match (dir, proto) {
                            (None, None) => true,
                            (Some(_), None) => keywords::CT_DIR_SET_KEYS.contains(key),
                            _ => false,
                        };
                        if !ok {
                            return Err(self.error(
                                span.to(set_kw.span),
                                format!("ct {} cannot be set", self_ct_name(*dir, *proto, key)),
                            ));
                        }
                        let value = self.stmt_expr()?;
                        return Ok(StmtKind::CtSet {
                            dir: *dir,
                            key,
                            value,
                        });
                    }
                    if matches!(*key, "timeout" | "expectation") {
                        return Err(self.unexpected("'set'"));
                    }
                }
                let first = Expr { kind: e_kind, span };
                self.expr_stmt(Some(first))?
            }
            _ => {
                let is_selector_word = keywords::STATEMENT_STARTS.contains(&w)
                    || matches!(
                        w,
                        "exthdr" | "gre" | "gretap" | "vxlan" | "geneve" | "inner"
                    );
                if !is_selector_word && !keywords::is_reserved(w) {
                    let s = did_you_mean(w, keywords::STATEMENT_STARTS.iter().copied());
                    let mut d =
                        Diagnostic::error(t.span, format!("unknown statement or selector '{w}'"))
                            .maybe_suggest(s);
                    if w.starts_with('b') && self.follows_zero() {
                        d = d.with_note("nft has no 0b binary literals", None);
                    }
                    self.push(d);
                    return Err(Abort);
                }
                let Some(first) = self.try_selector(Ctx::Lhs)? else {
                    return Err(self.unexpected("a statement"));
                };
                match &first.kind {
                    ExprKind::Meta { key, explicit } if self.at_word("set") => {
                        self.bump();
                        let value = self.stmt_expr()?;
                        return Ok(StmtKind::MetaSet {
                            key,
                            explicit: *explicit,
                            value,
                        });
                    }
                    ExprKind::Payload { .. }
                    | ExprKind::RawPayload { .. }
                    | ExprKind::TcpOption { .. }
                    | ExprKind::TcpOptionRaw { .. }
                    | ExprKind::IpOption { .. }
                    | ExprKind::SctpChunk { .. }
                        if self.at_word("set") =>
                    {
                        self.bump();
                        let value = self.stmt_expr()?;
                        return Ok(StmtKind::PayloadSet {
                            target: first,
                            value,
                        });
                    }
                    _ => {}
                }
                self.expr_stmt(Some(first))?
            }
        })
    }

    fn nf_proto_here(&mut self) -> Option<NfProto> {
        let p = match self.peek() {
            t if t.is_word("ip") => NfProto::Ip,
            t if t.is_word("ip6") => NfProto::Ip6,
            _ => return None,
        };
        self.bump();
        Some(p)
    }

    /// A match or verdict map whose left side may already be parsed.
    fn expr_stmt(&mut self, first: Option<Expr>) -> PResult<StmtKind> {
        if first.is_none() && self.at(TokenKind::At) {
            // raw payload: `@nh,0,8 set …` or a match
            let p = self.try_selector(Ctx::Lhs)?;
            if let Some(p) = p {
                if self.at_word("set") {
                    self.bump();
                    let value = self.stmt_expr()?;
                    return Ok(StmtKind::PayloadSet { target: p, value });
                }
                return self.expr_stmt(Some(p));
            }
        }
        let left = self.lhs_expr_from(first)?;
        if self.eat_word("vmap").is_some() {
            let map = self.vmap_expr()?;
            return Ok(StmtKind::VerdictMap { key: left, map });
        }
        let op = match self.peek().kind {
            TokenKind::EqEq => RelOp::Eq,
            TokenKind::Ne => RelOp::Ne,
            TokenKind::Lt => RelOp::Lt,
            TokenKind::Gt => RelOp::Gt,
            TokenKind::Le => RelOp::Le,
            TokenKind::Ge => RelOp::Ge,
            TokenKind::Bang => RelOp::Not,
            _ => RelOp::Implicit,
        };
        if op != RelOp::Implicit {
            self.bump();
        }
        let right = self.match_rhs()?;
        Ok(StmtKind::Match { left, op, right })
    }

    fn vmap_expr(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::LBrace) {
            return self.set_expr(SetData::Verdict);
        }
        self.set_ref_or_var()
    }

    fn set_ref_or_var(&mut self) -> PResult<Expr> {
        if self.at(TokenKind::Dollar) {
            let v = self.variable()?;
            let span = v.span;
            return Ok(Expr {
                kind: ExprKind::Variable(v),
                span,
            });
        }
        if self.at(TokenKind::At) {
            return self.set_ref();
        }
        Err(self.unexpected("'@' and a set name"))
    }

    // ---------------------------------------------------------------------------------------
    // stateful statements

    /// counter, limit, quota or ct count (also inside sets and set statements).
    pub(crate) fn stateful_stmt(&mut self) -> PResult<Stmt> {
        let t = self.peek();
        let start = t.span;
        let kind = match t.text {
            "counter" => {
                self.bump();
                let name = if self.eat_word("name").is_some() {
                    Some(self.stmt_expr()?)
                } else {
                    None
                };
                let (mut packets, mut bytes) = (None, None);
                loop {
                    if self.eat_word("packets").is_some() {
                        packets = Some(self.num("a number")?);
                    } else if self.eat_word("bytes").is_some() {
                        bytes = Some(self.num("a number")?);
                    } else {
                        break;
                    }
                }
                StmtKind::Counter {
                    name,
                    packets,
                    bytes,
                }
            }
            "limit" => {
                self.bump();
                if self.eat_word("name").is_some() {
                    StmtKind::LimitName(self.stmt_expr()?)
                } else {
                    self.expect_word("rate")?;
                    StmtKind::Limit(self.limit_rate_args()?)
                }
            }
            "quota" => {
                self.bump();
                if self.eat_word("name").is_some() {
                    StmtKind::QuotaName(self.stmt_expr()?)
                } else {
                    StmtKind::Quota(self.quota_spec()?)
                }
            }
            "ct" if self.word_at(1, "count") => {
                self.bump();
                self.bump();
                let over = self.eat_word("over").is_some();
                let count = self.num("a number")?;
                StmtKind::CtCount { over, count }
            }
            "last" => {
                self.bump();
                if !self.opts.extensions {
                    return Err(self.unsupported(
                        t.span,
                        format!("'last' statement (nftables ≥ 1.0.7; {ACCEPTED_WITH_EXTENSIONS})"),
                    ));
                }
                let used = if self.eat_word("used").is_some() {
                    Some(self.string("never or a time")?)
                } else {
                    None
                };
                StmtKind::Last { used }
            }
            _ => return Err(self.unexpected("counter, limit, quota or ct count")),
        };
        Ok(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    /// The stateful statements allowed on set elements: `counter [packets N bytes N]`,
    /// `limit rate …`, `ct count [over] N`.
    pub(crate) fn set_elem_stmt(&mut self) -> PResult<Stmt> {
        let t = self.peek();
        let start = t.span;
        let kind = match t.text {
            "counter" => {
                self.bump();
                if self.eat_word("packets").is_some() {
                    let packets = self.num("a number")?;
                    self.expect_word("bytes")?;
                    let bytes = self.num("a number")?;
                    StmtKind::Counter {
                        name: None,
                        packets: Some(packets),
                        bytes: Some(bytes),
                    }
                } else {
                    StmtKind::Counter {
                        name: None,
                        packets: None,
                        bytes: None,
                    }
                }
            }
            "limit" => {
                self.bump();
                self.expect_word("rate")?;
                StmtKind::Limit(self.limit_rate_args()?)
            }
            _ => return self.stateful_stmt(),
        };
        Ok(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    fn time_unit(&mut self) -> PResult<TimeUnit> {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            if let Some(u) = TimeUnit::from_name(t.text) {
                self.bump();
                return Ok(u);
            }
        }
        Err(self.unexpected("second, minute, hour, day or week"))
    }

    fn byte_unit(&mut self) -> PResult<(String, Span)> {
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return Err(self.unexpected("bytes, kbytes or mbytes"));
        }
        self.bump();
        if keywords::byte_unit_multiplier(t.text).is_none() {
            let s = did_you_mean(t.text, ["bytes", "kbytes", "mbytes"]);
            return Err(self.error_suggest(t.span, "Wrong rate format", s));
        }
        Ok((t.text.to_string(), t.span))
    }

    /// After `rate`: `[over|until] N/unit [burst N packets]` or
    /// `[over|until] N bytes/unit [burst N bytes]`.
    pub(crate) fn limit_rate_args(&mut self) -> PResult<LimitRate> {
        let start = self.peek().span;
        let mode = self.rate_mode();
        let (count, per) = self.count("a rate")?;
        if let Some(per) = per {
            return Ok(LimitRate {
                mode,
                rate: Rate::Packets { count, per },
                burst: self.packet_burst()?,
            });
        }
        if self.eat(TokenKind::Slash).is_some() {
            let per = self.time_unit()?;
            return Ok(LimitRate {
                mode,
                rate: Rate::Packets { count, per },
                burst: self.packet_burst()?,
            });
        }
        let t = self.peek();
        if t.kind != TokenKind::Word {
            return Err(self.unexpected("'/' or a byte unit"));
        }
        let (unit, per) = if let Some((u, p)) = t.text.split_once('/') {
            self.bump();
            if keywords::byte_unit_multiplier(u).is_none() {
                return Err(self.error(self.span_from(start), "Wrong rate format"));
            }
            let Some(per) = TimeUnit::from_name(p) else {
                return Err(self.error(self.span_from(start), "Wrong rate format"));
            };
            (u.to_string(), per)
        } else {
            let (u, _) = self.byte_unit()?;
            self.expect(TokenKind::Slash, "'/'")?;
            (u, self.time_unit()?)
        };
        let burst = if self.eat_word("burst").is_some() {
            let (n, _) = self.count("a number")?;
            let (bu, _) = self.byte_unit()?;
            if let Count::Num(n) = &n
                && n.value() == 0
            {
                return Err(self.error(n.span, "limit burst must be > 0"));
            }
            Some(Burst::Bytes(ByteAmount {
                amount: n,
                unit: bu,
            }))
        } else {
            None
        };
        Ok(LimitRate {
            mode,
            rate: Rate::Bytes {
                amount: ByteAmount {
                    amount: count,
                    unit,
                },
                per,
            },
            burst,
        })
    }

    /// A number or `$var` (rates, quotas). The lexer keeps `$n/second` together as the word
    /// `n/second`: the time unit after the `/` is returned as well then.
    fn count(&mut self, what: &str) -> PResult<(Count, Option<TimeUnit>)> {
        if !self.at(TokenKind::Dollar) {
            return Ok((Count::Num(self.num(what)?), None));
        }
        let mut v = self.variable()?;
        if let Some((name, unit)) = v.name.split_once('/') {
            let Some(per) = TimeUnit::from_name(unit) else {
                return Err(self.error(v.span, "Wrong rate format"));
            };
            v.name = name.to_string();
            return Ok((Count::Var(v), Some(per)));
        }
        Ok((Count::Var(v), None))
    }

    /// `[burst N packets]` of a packet rate.
    fn packet_burst(&mut self) -> PResult<Option<Burst>> {
        if self.eat_word("burst").is_none() {
            return Ok(None);
        }
        let (n, _) = self.count("a number")?;
        self.expect_word("packets")?;
        if let Count::Num(n) = &n
            && n.value() == 0
        {
            return Err(self.error(n.span, "limit burst must be > 0"));
        }
        Ok(Some(Burst::Packets(n)))
    }

    fn rate_mode(&mut self) -> Option<RateMode> {
        if self.eat_word("over").is_some() {
            Some(RateMode::Over)
        } else if self.eat_word("until").is_some() {
            Some(RateMode::Until)
        } else {
            None
        }
    }

    /// `[over|until] N unit [used N unit]`
    pub(crate) fn quota_spec(&mut self) -> PResult<QuotaSpec> {
        let mode = self.rate_mode();
        let amount = self.byte_amount()?;
        let used = if self.eat_word("used").is_some() {
            Some(self.byte_amount()?)
        } else {
            None
        };
        Ok(QuotaSpec { mode, amount, used })
    }

    /// `N unit`; after a variable the unit may be left out (bytes).
    fn byte_amount(&mut self) -> PResult<ByteAmount> {
        let (amount, _) = self.count("a number")?;
        let t = self.peek();
        let unit = if matches!(amount, Count::Var(_))
            && !(t.kind == TokenKind::Word && keywords::byte_unit_multiplier(t.text).is_some())
        {
            String::new()
        } else {
            self.byte_unit()?.0
        };
        Ok(ByteAmount { amount, unit })
    }

    // ---------------------------------------------------------------------------------------
    // log, reject

    fn log_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("log")?;
        let mut log = Log::default();
        loop {
            if self.eat_word("prefix").is_some() {
                log.prefix = Some(self.string("a prefix string")?);
            } else if self.eat_word("group").is_some() {
                log.group = Some(self.num("a group number")?);
            } else if self.eat_word("snaplen").is_some() {
                log.snaplen = Some(self.num("a number")?);
            } else if self.eat_word("queue-threshold").is_some() {
                log.queue_threshold = Some(self.num("a number")?);
            } else if self.eat_word("level").is_some() {
                let l = self.string("a log level")?;
                if !keywords::LOG_LEVELS.contains(&l.text.as_str()) {
                    let s = did_you_mean(&l.text, keywords::LOG_LEVELS.iter().copied());
                    return Err(self.error_suggest(l.span, "invalid log level", s));
                }
                log.level = Some(l);
            } else if self.eat_word("flags").is_some() {
                let f = self.peek();
                let flag = match f.text {
                    _ if f.kind != TokenKind::Word => None,
                    "tcp" => {
                        self.bump();
                        let mut words = Vec::new();
                        loop {
                            let x = self.peek();
                            if x.is_word("sequence") || x.is_word("options") {
                                self.bump();
                                words.push(x.text.to_string());
                            } else {
                                return Err(self.unexpected("sequence or options"));
                            }
                            if self.eat(TokenKind::Comma).is_none() {
                                break;
                            }
                        }
                        Some(LogFlag::Tcp(words))
                    }
                    "ip" => {
                        self.bump();
                        self.expect_word("options")?;
                        Some(LogFlag::IpOptions)
                    }
                    "skuid" => {
                        self.bump();
                        Some(LogFlag::Skuid)
                    }
                    "ether" => {
                        self.bump();
                        Some(LogFlag::Ether)
                    }
                    "all" => {
                        self.bump();
                        Some(LogFlag::All)
                    }
                    _ => None,
                };
                match flag {
                    Some(f) => log.flags.push(f),
                    None => return Err(self.unexpected("tcp, ip, skuid, ether or all")),
                }
            } else {
                break;
            }
        }
        Ok(StmtKind::Log(log))
    }

    fn reject_with_value(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            TokenKind::Number => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Number(Num {
                        text: t.text.to_string(),
                        span: t.span,
                    }),
                    span: t.span,
                })
            }
            TokenKind::Word if !(t.class == WordClass::Plain && keywords::is_reserved(t.text)) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Symbol(t.text.to_string()),
                    span: t.span,
                })
            }
            _ => Err(self.unexpected("a reject code")),
        }
    }

    fn reject_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("reject")?;
        if self.eat_word("with").is_none() {
            return Ok(StmtKind::Reject(None));
        }
        let t = self.peek();
        let with = match t.text {
            _ if t.kind != TokenKind::Word => {
                return Err(self.unexpected("icmp, icmpv6, icmpx or tcp"));
            }
            "icmp" | "icmpv6" | "icmpx" => {
                self.bump();
                self.eat_word("type");
                let v = self.reject_with_value()?;
                match t.text {
                    "icmp" => RejectWith::Icmp(v),
                    "icmpv6" => RejectWith::Icmpv6(v),
                    _ => RejectWith::Icmpx(v),
                }
            }
            "tcp" => {
                self.bump();
                self.expect_word("reset")?;
                RejectWith::TcpReset
            }
            _ => {
                let s = did_you_mean(t.text, ["icmp", "icmpv6", "icmpx", "tcp"]);
                return Err(self.error_suggest(
                    t.span,
                    format!(
                        "syntax error, unexpected '{}', expecting icmp, icmpv6, icmpx or tcp",
                        t.text
                    ),
                    s,
                ));
            }
        };
        Ok(StmtKind::Reject(Some(with)))
    }

    // ---------------------------------------------------------------------------------------
    // nat family

    fn nat_flags(&mut self) -> PResult<Vec<NatFlag>> {
        let mut flags = Vec::new();
        let flag = |p: &Self| {
            let t = p.peek();
            match t.text {
                _ if !t.is_word(t.text) => None,
                "random" => Some(NatFlag::Random),
                "fully-random" => Some(NatFlag::FullyRandom),
                "persistent" => Some(NatFlag::Persistent),
                _ => None,
            }
        };
        let Some(f) = flag(self) else {
            return Ok(flags);
        };
        self.bump();
        flags.push(f);
        while self.eat(TokenKind::Comma).is_some() {
            let Some(f) = flag(self) else {
                return Err(self.unexpected("random, fully-random or persistent"));
            };
            self.bump();
            flags.push(f);
        }
        Ok(flags)
    }

    fn nat_stmt(&mut self) -> PResult<StmtKind> {
        let kw = self.bump();
        let kind = if kw.text == "snat" {
            NatKind::Snat
        } else {
            NatKind::Dnat
        };
        let family = match (self.peek(), self.word_text_at(1)) {
            (t, Some("to" | "addr" | "interval" | "prefix")) if t.is_word("ip") => {
                self.bump();
                Some(NfProto::Ip)
            }
            (t, Some("to" | "addr" | "interval" | "prefix")) if t.is_word("ip6") => {
                self.bump();
                Some(NfProto::Ip6)
            }
            _ => None,
        };
        let mut nat = Nat {
            kind,
            family,
            mode: NatMode::Plain,
            to: false,
            addr: None,
            port: None,
            flags: Vec::new(),
        };
        if family.is_some() && self.eat_word("addr").is_some() {
            self.expect(TokenKind::Dot, "'.'")?;
            self.expect_word("port")?;
            self.expect_word("to")?;
            nat.mode = NatMode::AddrPort;
            nat.to = true;
            nat.addr = Some(self.stmt_expr()?);
        } else if self.eat_word("interval").is_some() {
            self.expect_word("to")?;
            nat.mode = NatMode::Interval;
            nat.to = true;
            nat.addr = Some(self.stmt_expr()?);
        } else if self.eat_word("prefix").is_some() {
            self.expect_word("to")?;
            nat.mode = NatMode::Prefix;
            nat.to = true;
            nat.addr = Some(self.stmt_expr()?);
        } else {
            nat.to = self.eat_word("to").is_some();
            if family.is_some() && !nat.to {
                return Err(self.unexpected("'to'"));
            }
            if self.eat(TokenKind::Colon).is_some() {
                nat.port = Some(self.stmt_expr()?);
            } else {
                nat.addr = Some(self.stmt_expr()?);
                if self.eat(TokenKind::Colon).is_some() {
                    nat.port = Some(self.stmt_expr()?);
                }
            }
        }
        nat.flags = self.nat_flags()?;
        Ok(StmtKind::Nat(nat))
    }

    fn word_text_at(&self, n: usize) -> Option<&'a str> {
        let t = self.peek_at(n);
        (t.kind == TokenKind::Word && t.class == WordClass::Plain).then_some(t.text)
    }

    fn masq_redir_stmt(&mut self) -> PResult<StmtKind> {
        let kw = self.bump();
        let kind = if kw.text == "masquerade" {
            NatKind::Masquerade
        } else {
            NatKind::Redirect
        };
        let mut nat = Nat {
            kind,
            family: None,
            mode: NatMode::Plain,
            to: false,
            addr: None,
            port: None,
            flags: Vec::new(),
        };
        if self.eat_word("to").is_some() {
            nat.to = true;
            if kind == NatKind::Masquerade {
                self.expect(TokenKind::Colon, "':'")?;
                nat.port = Some(self.stmt_expr()?);
            } else if self.eat(TokenKind::Colon).is_some() {
                nat.port = Some(self.stmt_expr()?);
            } else {
                nat.addr = Some(self.stmt_expr()?);
            }
        }
        nat.flags = self.nat_flags()?;
        Ok(StmtKind::Nat(nat))
    }

    fn tproxy_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("tproxy")?;
        let family = self.nf_proto_here();
        self.expect_word("to")?;
        let (mut addr, mut port) = (None, None);
        if self.eat(TokenKind::Colon).is_some() {
            port = Some(self.stmt_expr()?);
        } else {
            addr = Some(self.stmt_expr()?);
            if self.eat(TokenKind::Colon).is_some() {
                port = Some(self.stmt_expr()?);
            }
        }
        Ok(StmtKind::Tproxy { family, addr, port })
    }

    // ---------------------------------------------------------------------------------------
    // queue, synproxy, flow, meter, set statements

    fn queue_flags(&mut self) -> PResult<Vec<QueueFlag>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek();
            let f = if t.is_word("bypass") {
                QueueFlag::Bypass
            } else if t.is_word("fanout") {
                QueueFlag::Fanout
            } else {
                return Err(self.unexpected("bypass or fanout"));
            };
            self.bump();
            out.push(f);
            if self.eat(TokenKind::Comma).is_none() {
                return Ok(out);
            }
        }
    }

    fn queue_atom(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            TokenKind::Number => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Number(Num {
                        text: t.text.to_string(),
                        span: t.span,
                    }),
                    span: t.span,
                })
            }
            TokenKind::Dollar => {
                let v = self.variable()?;
                let span = v.span;
                Ok(Expr {
                    kind: ExprKind::Variable(v),
                    span,
                })
            }
            _ => Err(self.unexpected("a queue number")),
        }
    }

    /// `N`, `$var` or `N-M`.
    fn queue_simple(&mut self) -> PResult<Expr> {
        let a = self.queue_atom()?;
        if self.eat(TokenKind::Dash).is_some() {
            let b = self.queue_atom()?;
            let span = a.span.to(b.span);
            return Ok(Expr {
                kind: ExprKind::Range {
                    low: Box::new(a),
                    high: Box::new(b),
                },
                span,
            });
        }
        Ok(a)
    }

    fn queue_target(&mut self) -> PResult<Expr> {
        if self.at_word("numgen") || self.at_word("jhash") || self.at_word("symhash") {
            if let Some(e) = self.try_selector(Ctx::Lhs)? {
                return Ok(e);
            }
        }
        let t = self.peek();
        if matches!(t.kind, TokenKind::Number | TokenKind::Dollar)
            && !self.word_at(1, "map")
            && self.peek_at(1).kind != TokenKind::Dot
        {
            return self.queue_simple();
        }
        let key = self.lhs_concat()?;
        self.expect_word("map")?;
        let map = self.rhs_expr()?;
        let span = key.span.to(map.span);
        Ok(Expr {
            kind: ExprKind::Map {
                key: Box::new(key),
                map: Box::new(map),
            },
            span,
        })
    }

    fn queue_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("queue")?;
        let mut q = Queue {
            flags: Vec::new(),
            num: None,
            to: false,
        };
        if self.eat_word("to").is_some() {
            q.to = true;
            q.num = Some(self.queue_target()?);
            return Ok(StmtKind::Queue(q));
        }
        if self.eat_word("flags").is_some() {
            q.flags = self.queue_flags()?;
            if self.eat_word("to").is_some() {
                q.to = true;
                q.num = Some(self.queue_target()?);
            } else {
                self.expect_word("num")?;
                q.num = Some(self.queue_simple()?);
            }
            return Ok(StmtKind::Queue(q));
        }
        loop {
            if self.eat_word("num").is_some() {
                q.num = Some(self.queue_simple()?);
            } else if self.at_word("bypass") || self.at_word("fanout") {
                let f = self.queue_flags()?;
                q.flags.extend(f);
            } else {
                break;
            }
        }
        Ok(StmtKind::Queue(q))
    }

    fn synproxy_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("synproxy")?;
        if self.eat_word("name").is_some() {
            return Ok(StmtKind::SynproxyName(self.stmt_expr()?));
        }
        let (mut mss, mut wscale, mut timestamp, mut sack_perm) = (None, None, false, false);
        loop {
            if self.eat_word("mss").is_some() || self.eat_word("maxseg").is_some() {
                mss = Some(self.num("a number")?);
            } else if self.eat_word("wscale").is_some() {
                wscale = Some(self.num("a number")?);
            } else if self.eat_word("timestamp").is_some() {
                timestamp = true;
            } else if self.eat_word("sack-perm").is_some()
                || self.eat_word("sack-permitted").is_some()
            {
                sack_perm = true;
            } else {
                break;
            }
        }
        Ok(StmtKind::Synproxy {
            mss,
            wscale,
            timestamp,
            sack_perm,
        })
    }

    fn flow_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_word("flow")?;
        let offload = if self.eat_word("add").is_some() {
            false
        } else if self.eat_word("offload").is_some() {
            true
        } else if self.at_word("table") {
            let mut name = None;
            while self.eat_word("table").is_some() {
                name = Some(self.ident("a meter name")?);
            }
            let name = name.ok_or(Abort)?;
            return self.meter_body(true, name, None);
        } else {
            return Err(self.unexpected("add, offload or table"));
        };
        self.expect(TokenKind::At, "'@'")?;
        let name = self.string("a flowtable name")?;
        Ok(StmtKind::FlowAdd { name, offload })
    }

    fn meter_body(&mut self, legacy: bool, name: Ident, size: Option<Num>) -> PResult<StmtKind> {
        let open = self.expect(TokenKind::LBrace, "'{'")?;
        self.enter(open.span)?;
        let r = (|| {
            let key = self.lhs_concat()?;
            let options = self.elem_options()?;
            let stmt = self.stmt()?;
            Ok((key, options, stmt))
        })();
        self.leave();
        let (key, options, stmt) = r?;
        self.expect(TokenKind::RBrace, "'}'")?;
        Ok(StmtKind::Meter(Box::new(Meter {
            legacy,
            name,
            size,
            key,
            options,
            stmt,
        })))
    }

    fn set_op(&mut self) -> PResult<SetOp> {
        let t = self.peek();
        let op = if t.is_word("add") {
            SetOp::Add
        } else if t.is_word("update") {
            SetOp::Update
        } else if t.is_word("delete") {
            SetOp::Delete
        } else {
            return Err(self.unexpected("add, update or delete"));
        };
        self.bump();
        Ok(op)
    }

    fn set_stmt(&mut self) -> PResult<StmtKind> {
        let op = self.set_op()?;
        let set = self.set_ref_or_var()?;
        let open = self.expect(TokenKind::LBrace, "'{'")?;
        self.enter(open.span)?;
        let r = (|| {
            let key = self.lhs_concat()?;
            let options = self.elem_options()?;
            let mut stmts = Vec::new();
            while self.at_word("counter")
                || self.at_word("limit")
                || self.at_word("quota")
                || self.at_word("last")
                || (self.at_word("ct") && self.word_at(1, "count"))
            {
                stmts.push(self.stateful_stmt()?);
            }
            let data = if self.eat(TokenKind::Colon).is_some() {
                let d = self.lhs_concat()?;
                let more = self.elem_options()?;
                if !more.is_empty() {
                    return Err(self.unsupported(d.span, "options on map data in a set statement"));
                }
                Some(d)
            } else {
                None
            };
            Ok((key, options, stmts, data))
        })();
        self.leave();
        let (key, options, stmts, data) = r?;
        self.expect(TokenKind::RBrace, "'}'")?;
        Ok(StmtKind::Set(Box::new(SetStmt {
            op,
            set,
            key,
            options,
            stmts,
            data,
            legacy: false,
        })))
    }
}

fn self_ct_name(dir: Option<CtDir>, proto: Option<NfProto>, key: &str) -> String {
    let mut s = String::new();
    if let Some(d) = dir {
        s.push_str(d.as_str());
        s.push(' ');
    }
    if let Some(p) = proto {
        s.push_str(p.as_str());
        s.push(' ');
    }
    s.push_str(key);
    s
}
