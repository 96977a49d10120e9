//! Statements: the parser actions that build them (`parser_bison.y`) and their evaluation
//! (`stmt_evaluate_*` of `evaluate.c`): verdicts, matches, set/map updates, NAT, reject with its
//! defaults and dependencies (NFT-18), log, limit, quota, counters, payload/meta/ct writes.

use linx_nft_syntax::ast::{self, StmtKind};
use linx_nft_syntax::{Diagnostic, Span};

use super::dtype::*;
use super::eval::{Ev, R, err, from_ast, rel, unsupported, verdict_from_ast};
use super::ir::*;
use super::proto::{self, BASE_INNER, BASE_NETWORK, BASE_TRANSPORT, P};

/// `NFT_OBJECT_COUNTER`
pub(crate) const OBJ_COUNTER: u32 = 1;
/// `NFT_OBJECT_QUOTA`
pub(crate) const OBJ_QUOTA: u32 = 2;
/// `NFT_OBJECT_CT_HELPER`
pub(crate) const OBJ_CT_HELPER: u32 = 3;
/// `NFT_OBJECT_LIMIT`
pub(crate) const OBJ_LIMIT: u32 = 4;
/// `NFT_OBJECT_CT_TIMEOUT`
pub(crate) const OBJ_CT_TIMEOUT: u32 = 7;
/// `NFT_OBJECT_CT_EXPECT`
pub(crate) const OBJ_CT_EXPECT: u32 = 9;
/// `NFT_OBJECT_SECMARK`
pub(crate) const OBJ_SECMARK: u32 = 8;
/// `NFT_OBJECT_SYNPROXY`
pub(crate) const OBJ_SYNPROXY: u32 = 10;

/// `NFT_REJECT_ICMP_UNREACH`
pub(crate) const REJECT_ICMP: u32 = 0;
/// `NFT_REJECT_TCP_RST`
pub(crate) const REJECT_TCP_RST: u32 = 1;
/// `NFT_REJECT_ICMPX_UNREACH`
pub(crate) const REJECT_ICMPX: u32 = 2;

/// `NFT_NAT_SNAT`
pub(crate) const NAT_SNAT: u32 = 0;
/// `NFT_NAT_DNAT`
pub(crate) const NAT_DNAT: u32 = 1;
/// masquerade
pub(crate) const NAT_MASQ: u32 = 2;
/// redirect
pub(crate) const NAT_REDIR: u32 = 3;

/// `STMT_NAT_F_INTERVAL`
pub(crate) const NAT_F_INTERVAL: u32 = 1;
/// `STMT_NAT_F_PREFIX`
pub(crate) const NAT_F_PREFIX: u32 = 2;
/// `STMT_NAT_F_CONCAT`
pub(crate) const NAT_F_CONCAT: u32 = 4;

const NF_NAT_RANGE_PROTO_SPECIFIED: u32 = 2;

fn time_unit(u: ast::TimeUnit) -> u64 {
    u.seconds()
}

/// A rate or quota number; a variable must be bound to a number.
pub(crate) fn count(c: &ast::Count) -> R<u64> {
    match c {
        ast::Count::Num(n) => Ok(n.value()),
        ast::Count::Var(v) => c
            .number()
            .ok_or_else(|| Diagnostic::error(v.span, format!("${} is not a number", v.name))),
    }
}

pub(crate) fn bytes(b: &ast::ByteAmount) -> R<u64> {
    Ok(count(&b.amount)?.wrapping_mul(b.multiplier()))
}

/// A burst count: not zero (nft's parser refuses `burst 0`; an interpolated value is checked
/// here) and within the kernel's 32 bits.
fn burst_value(n: &ast::Count) -> R<u32> {
    match count(n)? {
        0 => err(n.span(), "limit burst must be > 0"),
        v => u32::try_from(v).or_else(|_| err(n.span(), "limit burst too large")),
    }
}

/// The rate, unit, burst, byte mode and `over` of a limit.
pub(crate) fn limit_args(l: &ast::LimitRate) -> R<(u64, u64, u32, bool, bool)> {
    let over = l.mode == Some(ast::RateMode::Over);
    match &l.rate {
        ast::Rate::Packets { count, per } => {
            let burst = match &l.burst {
                None => 5,
                Some(ast::Burst::Packets(n)) => burst_value(n)?,
                Some(ast::Burst::Bytes(b)) => {
                    return err(b.amount.span(), "packet limit with a byte burst");
                }
            };
            Ok((self::count(count)?, time_unit(*per), burst, false, over))
        }
        ast::Rate::Bytes { amount, per } => {
            let burst = match &l.burst {
                None => 0,
                Some(ast::Burst::Bytes(b)) => {
                    let v = bytes(b)?;
                    if v == 0 {
                        return err(b.amount.span(), "limit burst must be > 0");
                    }
                    u32::try_from(v).or_else(|_| err(b.amount.span(), "limit burst too large"))?
                }
                Some(ast::Burst::Packets(n)) => burst_value(n)?,
            };
            Ok((bytes(amount)?, time_unit(*per), burst, true, over))
        }
    }
}

/// A stateful statement of a set declaration or element.
pub(crate) fn stateful_from_ast(s: &ast::Stmt) -> R<St> {
    let st = from_ast_stmt(s)?;
    if st.flags & STMT_STATEFUL == 0 {
        return err(s.span, "statement must be stateful");
    }
    Ok(st)
}

fn objref(ty: u32, e: &ast::Expr, span: Span) -> R<St> {
    let x = from_ast(e)?;
    Ok(match x.k {
        K::Map { .. } => St::new(
            SK::Objref {
                ty,
                name: None,
                map: Some(x),
            },
            span,
        ),
        K::Symbol(s) => St::new(
            SK::Objref {
                ty,
                name: Some(s),
                map: None,
            },
            span,
        ),
        _ => return err(x.span, "Counter expression must be constant"),
    })
}

fn relop(op: ast::RelOp) -> Op {
    match op {
        ast::RelOp::Implicit => Op::Implicit,
        ast::RelOp::Eq => Op::Eq,
        ast::RelOp::Ne => Op::Neq,
        ast::RelOp::Lt => Op::Lt,
        ast::RelOp::Gt => Op::Gt,
        ast::RelOp::Le => Op::Lte,
        ast::RelOp::Ge => Op::Gte,
        ast::RelOp::Not => Op::Neg,
    }
}

fn log_level(s: &str) -> Option<u32> {
    Some(match s {
        "emerg" => 0,
        "alert" => 1,
        "crit" => 2,
        "err" => 3,
        "warn" => 4,
        "notice" => 5,
        "info" => 6,
        "debug" => 7,
        "audit" => 8,
        _ => return None,
    })
}

/// Converts a statement of the syntax tree (nft's parser actions).
pub(crate) fn from_ast_stmt(s: &ast::Stmt) -> R<St> {
    let span = s.span;
    let k = match &s.kind {
        StmtKind::Match { left, op, right } => {
            let l = from_ast(left)?;
            let r = from_ast(right)?;
            let mut op = relop(*op);
            if let K::Masked { value, mask } = r.k {
                if op == Op::Implicit {
                    op = Op::Eq;
                }
                if !matches!(op, Op::Eq | Op::Neq) {
                    return err(span, "either == or != is allowed");
                }
                let (dt, bo, len) = (l.dt, l.bo, l.len);
                let mut and = E::new(
                    K::Binop {
                        op: Op::And,
                        l: Box::new(l),
                        r: mask,
                    },
                    right.span,
                );
                and.dt = dt;
                and.bo = bo;
                and.len = len;
                SK::Expr(rel(op, and, *value, span))
            } else {
                SK::Expr(rel(op, l, r, span))
            }
        }
        StmtKind::Verdict(v) => SK::Verdict(verdict_from_ast(v, span)?),
        StmtKind::VerdictMap { key, map } => SK::Verdict(E::new(
            K::Map {
                key: Box::new(from_ast(key)?),
                mappings: Box::new(from_ast(map)?),
            },
            span,
        )),
        StmtKind::Counter {
            name,
            packets,
            bytes,
        } => match name {
            Some(n) => return objref(OBJ_COUNTER, n, span),
            None => SK::Counter {
                packets: packets.as_ref().map(|n| n.value()).unwrap_or(0),
                bytes: bytes.as_ref().map(|n| n.value()).unwrap_or(0),
            },
        },
        StmtKind::Limit(l) => {
            let (rate, unit, burst, bytes, over) = limit_args(l).map_err(|mut d| {
                if d.span.is_none_or(|s| s.is_dummy()) {
                    d.span = Some(span);
                }
                d
            })?;
            SK::Limit {
                rate,
                unit,
                burst,
                bytes,
                over,
            }
        }
        StmtKind::LimitName(e) => return objref(OBJ_LIMIT, e, span),
        StmtKind::Quota(q) => SK::Quota {
            bytes: bytes(&q.amount)?,
            used: q.used.as_ref().map(bytes).transpose()?.unwrap_or(0),
            over: q.mode == Some(ast::RateMode::Over),
        },
        StmtKind::QuotaName(e) => return objref(OBJ_QUOTA, e, span),
        StmtKind::CtCount { over, count } => SK::Connlimit {
            count: count.value() as u32,
            flags: u32::from(*over),
        },
        StmtKind::Log(l) => {
            let mut a = LogArgs::default();
            if let Some(p) = &l.prefix {
                if p.text.len() >= 128 {
                    return err(p.span, "log prefix is too long");
                }
                a.prefix = Some(p.text.clone());
            }
            a.group = l.group.as_ref().map(|n| n.value() as u16);
            a.snaplen = l.snaplen.as_ref().map(|n| n.value() as u32);
            a.qthreshold = l.queue_threshold.as_ref().map(|n| n.value() as u16);
            if let Some(lv) = &l.level {
                a.level = Some(
                    log_level(&lv.text)
                        .ok_or_else(|| Diagnostic::error(lv.span, "invalid log level"))?,
                );
            }
            for f in &l.flags {
                a.flags |= match f {
                    ast::LogFlag::Tcp(words) => {
                        let mut v = 0;
                        for w in words {
                            v |= match w.as_str() {
                                "sequence" => 1,
                                "options" => 2,
                                _ => 0,
                            };
                        }
                        v
                    }
                    ast::LogFlag::IpOptions => 4,
                    ast::LogFlag::Skuid => 8,
                    ast::LogFlag::Ether => 0x20,
                    ast::LogFlag::All => 0x2f,
                };
            }
            SK::Log(a)
        }
        StmtKind::Reject(w) => {
            let (ty, code, family, expr, with) = match w {
                None => (0, -1, 0, None, None),
                Some(ast::RejectWith::TcpReset) => (REJECT_TCP_RST, 0, 0, None, Some("tcp")),
                Some(ast::RejectWith::Icmp(e)) => (
                    REJECT_ICMP,
                    0,
                    2,
                    Some(code_symbol(e, TYPE_ICMP_CODE)?),
                    Some("icmp"),
                ),
                Some(ast::RejectWith::Icmpv6(e)) => (
                    REJECT_ICMP,
                    0,
                    10,
                    Some(code_symbol(e, TYPE_ICMPV6_CODE)?),
                    Some("icmpv6"),
                ),
                Some(ast::RejectWith::Icmpx(e)) => (
                    REJECT_ICMPX,
                    0,
                    0,
                    Some(code_symbol(e, TYPE_ICMPX_CODE)?),
                    Some("icmpx"),
                ),
            };
            SK::Reject {
                ty,
                code,
                family,
                expr,
                with,
            }
        }
        StmtKind::Nat(n) => {
            let kind = match n.kind {
                ast::NatKind::Snat => NAT_SNAT,
                ast::NatKind::Dnat => NAT_DNAT,
                ast::NatKind::Masquerade => NAT_MASQ,
                ast::NatKind::Redirect => NAT_REDIR,
            };
            let family = match n.family {
                Some(ast::NfProto::Ip) => 2,
                Some(ast::NfProto::Ip6) => 10,
                None => 0,
            };
            let mut addr = n.addr.as_ref().map(from_ast).transpose()?;
            let mut port = n.port.as_ref().map(from_ast).transpose()?;
            if kind == NAT_REDIR && port.is_none() {
                port = addr.take();
            }
            let mut flags = 0;
            let mut type_flags = 0;
            match n.mode {
                ast::NatMode::AddrPort => type_flags = NAT_F_CONCAT,
                ast::NatMode::Prefix => {
                    type_flags = NAT_F_PREFIX;
                    flags |= 0x40;
                }
                _ => {}
            }
            if !n.flags.is_empty() {
                flags = 0;
                for f in &n.flags {
                    flags |= match f {
                        ast::NatFlag::Random => 4,
                        ast::NatFlag::FullyRandom => 0x10,
                        ast::NatFlag::Persistent => 8,
                    };
                }
            }
            SK::Nat {
                kind,
                family,
                addr,
                proto: port,
                flags,
                type_flags,
            }
        }
        StmtKind::Tproxy { family, addr, port } => SK::Tproxy {
            family: match family {
                Some(ast::NfProto::Ip) => 2,
                Some(ast::NfProto::Ip6) => 10,
                None => 0,
            },
            addr: addr.as_ref().map(from_ast).transpose()?,
            port: port.as_ref().map(from_ast).transpose()?,
        },
        StmtKind::Queue(q) => {
            let mut flags = 0u16;
            for f in &q.flags {
                flags |= match f {
                    ast::QueueFlag::Bypass => 1,
                    ast::QueueFlag::Fanout => 2,
                };
            }
            SK::Queue {
                num: q.num.as_ref().map(from_ast).transpose()?,
                flags,
            }
        }
        StmtKind::Dup { addr, device } => SK::Dup {
            to: Some(from_ast(addr)?),
            dev: device.as_ref().map(from_ast).transpose()?,
        },
        StmtKind::Fwd { family, to, device } => match family {
            None => SK::Fwd {
                dev: from_ast(to)?,
                addr: None,
                family: 0,
            },
            Some(f) => {
                let Some(d) = device else {
                    return err(span, "missing destination interface");
                };
                SK::Fwd {
                    dev: from_ast(d)?,
                    addr: Some(from_ast(to)?),
                    family: if *f == ast::NfProto::Ip { 2 } else { 10 },
                }
            }
        },
        StmtKind::Synproxy {
            mss,
            wscale,
            timestamp,
            sack_perm,
        } => {
            let mut flags = 0;
            if mss.is_some() {
                flags |= 1;
            }
            if wscale.is_some() {
                flags |= 2;
            }
            if *timestamp {
                flags |= 4;
            }
            if *sack_perm {
                flags |= 8;
            }
            SK::Synproxy {
                mss: mss.as_ref().map(|n| n.value() as u16).unwrap_or(0),
                wscale: wscale.as_ref().map(|n| n.value() as u8).unwrap_or(0),
                flags,
            }
        }
        StmtKind::SynproxyName(e) => return objref(OBJ_SYNPROXY, e, span),
        StmtKind::MetaSet { key, value, .. } => {
            if *key == "secmark" && !matches!(value.resolved().kind, ast::ExprKind::Ct { .. }) {
                return objref(OBJ_SECMARK, value, span);
            }
            let Some(m) = proto::meta_by_name(key) else {
                return err(span, format!("unknown meta key {key}"));
            };
            SK::Meta {
                key: m.key,
                expr: from_ast(value)?,
            }
        }
        StmtKind::CtSet { dir, key, value } => match (*key, dir) {
            ("helper", None) => return objref(OBJ_CT_HELPER, value, span),
            ("timeout", None) => return objref(OBJ_CT_TIMEOUT, value, span),
            ("expectation", None) => return objref(OBJ_CT_EXPECT, value, span),
            (k, d) => {
                let Some(c) = proto::ct_by_name(k) else {
                    return err(span, format!("unknown ct key {k}"));
                };
                SK::Ct {
                    key: c.key,
                    dir: match d {
                        None => -1,
                        Some(ast::CtDir::Original) => 0,
                        Some(ast::CtDir::Reply) => 1,
                    },
                    expr: from_ast(value)?,
                }
            }
        },
        StmtKind::PayloadSet { target, value } => {
            let t = from_ast(target)?;
            match t.k {
                K::Payload { .. } => SK::Payload {
                    expr: t,
                    val: from_ast(value)?,
                },
                K::Exthdr { .. } => SK::Exthdr {
                    expr: t,
                    val: from_ast(value)?,
                },
                _ => return err(target.span, "this field cannot be set"),
            }
        }
        StmtKind::Notrack => SK::Notrack,
        StmtKind::FlowAdd { name, .. } => SK::FlowOffload(name.text.clone()),
        StmtKind::Set(ss) => {
            let setname = from_ast(&ss.set)?;
            let key =
                super::eval::elem_from_ast(from_ast(&ss.key)?, &ss.options, &[], ss.key.span)?;
            let mut stmts = Vec::new();
            for st in &ss.stmts {
                stmts.push(from_ast_stmt(st)?);
            }
            let op = match ss.op {
                ast::SetOp::Add => 0,
                ast::SetOp::Update => 1,
                ast::SetOp::Delete => 2,
            };
            match &ss.data {
                None => SK::Set {
                    op,
                    set: usize::MAX,
                    name: Box::new(setname),
                    key,
                    stmts,
                },
                Some(d) => {
                    let data = super::eval::elem_from_ast(
                        from_ast(d)?,
                        &ast::ElemOptions::default(),
                        &[],
                        d.span,
                    )?;
                    SK::Map {
                        op,
                        set: usize::MAX,
                        name: Box::new(setname),
                        key,
                        data,
                        stmts,
                    }
                }
            }
        }
        StmtKind::Meter(m) => {
            if m.legacy {
                return unsupported(span, "the legacy `flow table` spelling of meters");
            }
            let size = match &m.size {
                Some(n) => u32::try_from(n.value())
                    .map_err(|_| Diagnostic::error(n.span, "meter size out of range"))?,
                None => 0,
            };
            SK::Meter {
                name: m.name.name.clone(),
                size,
                key: super::eval::elem_from_ast(from_ast(&m.key)?, &m.options, &[], m.key.span)?,
                stmt: Box::new(from_ast_stmt(&m.stmt)?),
                set: usize::MAX,
            }
        }
        StmtKind::Chain { .. } => return unsupported(span, "anonymous chains"),
        StmtKind::OptStrip { option } => {
            SK::Optstrip(super::exthdr::optstrip_from_ast(option, span)?)
        }
        StmtKind::Last { used } => match used {
            None => SK::Last { used: 0, set: 0 },
            Some(u) if u.text == "never" => SK::Last { used: 0, set: 0 },
            Some(u) => SK::Last {
                used: super::eval::time_ms(u)?,
                set: 1,
            },
        },
    };
    Ok(St::new(k, span))
}

fn code_symbol(e: &ast::Expr, ty: u32) -> R<E> {
    let r = e.resolved();
    let text = match &r.kind {
        ast::ExprKind::Symbol(s) | ast::ExprKind::Quoted(s) => s.clone(),
        ast::ExprKind::Number(n) => n.value().to_string(),
        _ => return err(r.span, "invalid reject code"),
    };
    let mut x = E::new(K::Symbol(text), r.span);
    x.dt = Dt::of(ty);
    Ok(x)
}

impl Ev<'_> {
    /// `stmt_evaluate_arg`.
    fn arg(&mut self, s_span: Span, dt: Dt, len: u32, bo: Bo, e: &mut E) -> R<()> {
        self.set_ectx(Some(dt), bo, len);
        self.expr(e)?;
        self.arg_check(s_span, dt, len, bo, e)
    }

    /// `__stmt_evaluate_arg`.
    fn arg_check(&mut self, _s: Span, dt: Dt, len: u32, bo: Bo, e: &mut E) -> R<()> {
        let base = dt.immediate_base().unwrap_or(dt.ty);
        if matches!(e.k, K::Payload { .. })
            && e.dt.ty == TYPE_INTEGER
            && (e.dt.ty != base || e.len != len)
        {
            return err(
                e.span,
                format!(
                    "datatype mismatch: expected {}, expression has type {} with length {}",
                    dt.desc(),
                    e.dt.desc(),
                    e.len
                ),
            );
        } else if e.dt.ty != TYPE_INTEGER && e.dt.ty != dt.ty {
            return err(
                e.span,
                format!(
                    "datatype mismatch: expected {}, expression has type {}",
                    dt.desc(),
                    e.dt.desc()
                ),
            );
        }
        match &e.k {
            K::Set { .. } => err(e.span, "you cannot use a set here, unknown value to use"),
            K::SetRef(_) => err(
                e.span,
                "you cannot reference a set here, unknown value to use",
            ),
            K::Rt { .. } => self.byteorder_conversion(e, bo),
            K::Prefix { .. } => self.prefix_conversion(e),
            _ => Ok(()),
        }
    }

    /// `stmt_prefix_conversion`.
    fn prefix_conversion(&mut self, e: &mut E) -> R<()> {
        let K::Prefix { base, plen } = &e.k else {
            return Ok(());
        };
        if !matches!(base.k, K::Value(_)) {
            return err(
                e.span,
                format!(
                    "you cannot specify a prefix here, unknown type {}",
                    base.dt.name()
                ),
            );
        }
        if !base.is_constant() {
            return err(
                e.span,
                "Prefix expression is undefined for non-constant expressions",
            );
        }
        if base.dt.root() != TYPE_INTEGER {
            return err(e.span, "Prefix expression expected integer value");
        }
        let root = Dt::of(TYPE_INTEGER);
        let m1 = super::eval::prefix_mask(base.len, *plen);
        let m2 = bitmask(e.len.saturating_sub(*plen));
        let mk = |op: Op, m: u128| {
            let mask = E::value(m, root, Bo::Host, base.len, e.span);
            E::typed(
                K::Binop {
                    op,
                    l: base.clone(),
                    r: Box::new(mask),
                },
                base.dt,
                base.bo,
                base.len,
                e.span,
            )
        };
        let and = mk(Op::And, m1);
        let or = mk(Op::Or, m2);
        let mut range = E::new(K::Range(Box::new(and), Box::new(or)), e.span);
        self.expr(&mut range)?;
        *e = range;
        Ok(())
    }

    /// `stmt_evaluate`.
    pub(crate) fn stmt(&mut self, s: &mut St) -> R<()> {
        let span = s.span;
        match &mut s.k {
            SK::Counter { .. }
            | SK::Limit { .. }
            | SK::Quota { .. }
            | SK::Connlimit { .. }
            | SK::Notrack
            | SK::FlowOffload(_)
            | SK::Last { .. } => Ok(()),
            SK::Expr(e) => {
                self.ectx = Default::default();
                self.expr(e)
            }
            SK::Verdict(e) => {
                self.arg(span, Dt::of(TYPE_VERDICT), 0, Bo::Invalid, e)?;
                match &e.k {
                    K::Verdict { code, chain } => {
                        if *code != -1 {
                            s.flags |= STMT_TERMINAL;
                        }
                        if let Some(c) = chain
                            && c.is_empty()
                        {
                            return err(e.span, "Empty string is not allowed");
                        }
                        Ok(())
                    }
                    K::Map { .. } => Ok(()),
                    _ => err(e.span, format!("invalid verdict expression {}", e.name())),
                }
            }
            SK::Payload { expr, val } => {
                let mut ex = expr.clone();
                let mut v = val.clone();
                self.stmt_payload(span, &mut ex, &mut v)?;
                *expr = ex;
                *val = v;
                Ok(())
            }
            SK::Exthdr { expr, val } => {
                // `stmt_evaluate_exthdr`: no dependency, the value in network byte order.
                super::exthdr::evaluate_inner(self, expr)?;
                let (dt, len) = (expr.dt, expr.len);
                self.arg(span, dt, len, Bo::Big, val)
            }
            SK::Meta { key, expr } => {
                let Some(m) = proto::meta(*key) else {
                    return err(span, "unknown meta key");
                };
                let (dt, len, bo) = (Dt::of(m.dtype), m.len, m.bo);
                self.arg(span, dt, len, bo, expr)
            }
            SK::Ct { key, expr, .. } => {
                let Some(c) = proto::ct_key(*key) else {
                    return err(span, "unknown ct key");
                };
                let (dt, len, bo) = (Dt::of(c.dtype), c.len, c.bo);
                self.arg(span, dt, len, bo, expr)?;
                if *key == 4 && expr.is_constant() {
                    return err(span, "ct secmark must not be set to constant value");
                }
                Ok(())
            }
            SK::Log(a) => {
                let grouped = a.group.is_some() || a.snaplen.is_some() || a.qthreshold.is_some();
                if grouped {
                    if a.level.is_some() {
                        return err(span, "level and group are mutually exclusive");
                    }
                    if a.flags != 0 {
                        return err(span, "flags and group are mutually exclusive");
                    }
                }
                if a.level == Some(8) && (grouped || a.prefix.is_some() || a.flags != 0) {
                    return err(span, "log level audit doesn't support any further options");
                }
                Ok(())
            }
            SK::Reject { .. } => self.stmt_reject(s),
            SK::Nat { .. } => self.stmt_nat(s),
            SK::Tproxy { .. } => self.stmt_tproxy(s),
            SK::Queue { num, flags } => {
                if let Some(n) = num {
                    self.arg(span, Dt::of(TYPE_INTEGER), 16, Bo::Host, n)?;
                    if *flags & 2 != 0 && !matches!(n.k, K::Range(..)) {
                        return err(n.span, "fanout requires a range to be specified");
                    }
                    if self.ectx.maxval > 65535 {
                        return err(n.span, "queue expression max value exceeds 65535");
                    }
                }
                s.flags |= STMT_TERMINAL;
                Ok(())
            }
            SK::Dup { to, dev } => match self.pctx.family {
                2 | 10 => {
                    let Some(t) = to else {
                        return err(span, "missing destination address");
                    };
                    let (dt, len) = addr_type(self.pctx.family);
                    self.arg(span, dt, len, Bo::Big, t)?;
                    if let Some(d) = dev {
                        self.arg(span, Dt::of(TYPE_IFINDEX), 32, Bo::Host, d)?;
                    }
                    Ok(())
                }
                5 => {
                    let Some(t) = to else {
                        return err(span, "missing destination interface");
                    };
                    if dev.is_some() {
                        return err(span, "cannot specify device");
                    }
                    self.arg(span, Dt::of(TYPE_IFINDEX), 32, Bo::Host, t)
                }
                _ => err(span, "unsupported family"),
            },
            SK::Fwd { dev, addr, family } => {
                if self.pctx.family != 5 {
                    return err(span, "unsupported family");
                }
                self.arg(span, Dt::of(TYPE_IFINDEX), 32, Bo::Host, dev)?;
                if let Some(a) = addr {
                    let (dt, len) = match family {
                        2 => (Dt::of(TYPE_IPADDR), 32),
                        10 => (Dt::of(TYPE_IP6ADDR), 128),
                        _ => return err(span, "missing family"),
                    };
                    self.arg(span, dt, len, Bo::Big, a)?;
                }
                s.flags |= STMT_TERMINAL;
                Ok(())
            }
            SK::Synproxy { flags, .. } => {
                if *flags != 0 && *flags & 0xf == 0 {
                    return err(span, "This flags are not supported for SYNPROXY");
                }
                Ok(())
            }
            SK::Objref { name, map, ty } => {
                if let Some(m) = map {
                    let t = *ty;
                    let mut mm = m.clone();
                    self.objref_map(&mut mm, t)?;
                    *m = mm;
                    return Ok(());
                }
                if let Some(n) = name {
                    if n.is_empty() {
                        return err(span, "Empty string is not allowed");
                    }
                    if n.len() > 256 {
                        return err(span, "String exceeds maximum length of 256");
                    }
                }
                Ok(())
            }
            SK::Set {
                name,
                key,
                stmts,
                set,
                ..
            } => {
                self.expr_set_ctx_none();
                self.expr(name)?;
                let K::SetRef(si) = name.k else {
                    return err(name.span, "Expression does not refer to a set");
                };
                *set = si;
                let Some(k) = self.cache.sets[si].key.clone() else {
                    return err(name.span, "Expression does not refer to a set");
                };
                let K::Elem(el) = &mut key.k else {
                    return err(span, "set statement without key");
                };
                self.arg(span, k.dt, k.len, k.bo, &mut el.key)?;
                if el.comment.is_some() {
                    return err(key.span, "Key expression comments are not supported");
                }
                for st in stmts.iter_mut() {
                    self.stmt(st)?;
                    if st.flags & STMT_STATEFUL == 0 {
                        return err(st.span, "statement must be stateful");
                    }
                }
                self.cache.sets[si].flags |= SET_EVAL;
                Ok(())
            }
            SK::Map {
                name,
                key,
                data,
                stmts,
                set,
                ..
            } => {
                self.expr_set_ctx_none();
                self.expr(name)?;
                let K::SetRef(si) = name.k else {
                    return err(name.span, "Expression does not refer to a set");
                };
                *set = si;
                let (Some(k), Some(d)) = (
                    self.cache.sets[si].key.clone(),
                    self.cache.sets[si].data.clone(),
                ) else {
                    return err(name.span, "Expression does not refer to a map");
                };
                let K::Elem(el) = &mut key.k else {
                    return err(span, "map statement without key");
                };
                self.arg(span, k.dt, k.len, k.bo, &mut el.key)?;
                if el.comment.is_some() {
                    return err(key.span, "Key expression comments are not supported");
                }
                let K::Elem(del) = &mut data.k else {
                    return err(span, "map statement without data");
                };
                self.arg(span, d.dt, d.len, d.bo, &mut del.key)?;
                for st in stmts.iter_mut() {
                    self.stmt(st)?;
                    if st.flags & STMT_STATEFUL == 0 {
                        return err(st.span, "statement must be stateful");
                    }
                }
                Ok(())
            }
            SK::Meter {
                name,
                size,
                key,
                stmt,
                set,
            } => {
                // stmt_evaluate_meter: the key is evaluated on its own, then a set named after
                // the meter is declared implicitly (anonymous, eval, timeout when the key has
                // one) and the stateful statement is checked.
                let K::Elem(el) = &mut key.k else {
                    return err(span, "meter without key");
                };
                self.expr_set_ctx_none();
                self.expr(&mut el.key)?;
                if el.key.flags & F_CONSTANT != 0 {
                    return err(el.key.span, "Meter key expression can not be constant");
                }
                if el.comment.is_some() {
                    return err(el.key.span, "Meter key expression can not contain comments");
                }
                let mut set_flags = SET_EVAL;
                if el.timeout > 0 {
                    set_flags |= SET_TIMEOUT;
                }
                let init = E::new(
                    K::Set {
                        items: Vec::new(),
                        set_flags,
                        size: 0,
                    },
                    key.span,
                );
                // nft declares the set with the element expression as its key, which has no
                // typeof serialization: only the key's type goes into the set.
                let ks = E::value(0, el.key.dt, el.key.bo, el.key.len, el.key.span);
                let r = self.implicit_set(name, ks, None, init, 0)?;
                let K::SetRef(si) = r.k else {
                    return err(span, "meter set not declared");
                };
                self.cache.sets[si].size = *size;
                *set = si;
                self.stmt(stmt)?;
                if stmt.flags & STMT_STATEFUL == 0 {
                    return err(stmt.span, "meter statement must be stateful");
                }
                Ok(())
            }
            SK::Optstrip(e) => self.expr(e),
        }
    }

    fn expr_set_ctx_none(&mut self) {
        self.ectx = Default::default();
        self.ectx.bo = Some(Bo::Invalid);
    }

    /// `stmt_evaluate_payload`.
    fn stmt_payload(&mut self, span: Span, payload: &mut E, val: &mut E) -> R<()> {
        self.payload_deps(payload)?;
        let (pdt, plen, pbo) = (payload.dt, payload.len, payload.bo);
        self.arg(span, pdt, plen, pbo, val)?;
        if !val.is_constant() {
            let mut v = std::mem::replace(val, E::new(K::Catchall, span));
            self.byteorder_conversion(&mut v, pbo)?;
            *val = v;
        }
        let K::Payload {
            p, base, offset, ..
        } = payload.k
        else {
            return Ok(());
        };
        let d = proto::desc(p);
        let need_csum = base == BASE_INNER || d.checksum_key != 0;
        let needs_adj = offset % 8 != 0 || plen % 8 != 0;
        if !needs_adj && (!need_csum || (plen / 8) & 1 == 0) {
            return Ok(());
        }
        let mut byte_off = offset / 8;
        let mut extra = 0u32;
        let new_off = offset % 8;
        let rlen = plen.div_ceil(8) * 8;
        let mut shift = rlen as i64 - i64::from(new_off + plen);
        while shift < 0 {
            shift += 8;
            extra += 8;
        }
        let mut shift = shift as u32;
        let mut byte_size = (plen + extra).div_ceil(8);
        if need_csum && byte_size & 1 == 1 {
            byte_size += 1;
            if byte_off & 1 == 1 {
                byte_off -= 1;
            } else {
                shift += 8;
            }
        }
        if !val.is_constant() {
            return unsupported(
                val.span,
                "setting a header bit field from a non-constant value",
            );
        }
        let root = Dt::of(pdt.root());
        let mut v = std::mem::replace(val, E::new(K::Catchall, span));
        if shift != 0 {
            let off = E::value(u128::from(shift), root, Bo::Host, 1, span);
            let mut l = E::new(
                K::Binop {
                    op: Op::Lshift,
                    l: Box::new(v),
                    r: Box::new(off),
                },
                span,
            );
            l.dt = pdt;
            l.bo = pbo;
            v = l;
        }
        let masklen = byte_size * 8;
        let ff = bitmask(masklen);
        let bm = bitmask(plen) << shift;
        let mask = E::value(ff ^ bm, root, pbo, masklen, span);
        let raw_len = byte_size * 8;
        let raw = E::typed(
            K::Payload {
                p,
                tmpl: 0,
                base,
                offset: byte_off * 8,
                is_raw: true,
                evaluated: false,
            },
            Dt::of(TYPE_INTEGER),
            pbo,
            raw_len,
            span,
        );
        payload.len = raw_len;
        if let K::Payload { offset, .. } = &mut payload.k {
            *offset = byte_off * 8;
        }
        let rdt = raw.dt;
        let and = E::typed(
            K::Binop {
                op: Op::And,
                l: Box::new(raw),
                r: Box::new(mask),
            },
            rdt,
            pbo,
            raw_len,
            span,
        );
        let mut xor = E::typed(
            K::Binop {
                op: Op::Xor,
                l: Box::new(and),
                r: Box::new(v),
            },
            pdt,
            pbo,
            masklen,
            span,
        );
        self.expr(&mut xor)?;
        *val = xor;
        let _ = BASE_NETWORK;
        Ok(())
    }

    /// `stmt_evaluate_objref_map` (named maps only).
    fn objref_map(&mut self, m: &mut E, ty: u32) -> R<()> {
        let K::Map { key, mappings } = &mut m.k else {
            return Ok(());
        };
        self.expr_set_ctx_none();
        self.expr(key)?;
        if key.is_constant() {
            return err(key.span, "Map expression can not be constant");
        }
        if matches!(mappings.k, K::Set { .. }) {
            return unsupported(mappings.span, "anonymous object maps");
        }
        self.expr(mappings)?;
        let K::SetRef(si) = mappings.k else {
            return err(mappings.span, "Expression is not a map");
        };
        let s = &self.cache.sets[si];
        if !s.is_objmap() {
            return err(mappings.span, "Expression is not a map with objects");
        }
        let _ = ty;
        let kdt = s.key.as_ref().map(|k| k.dt).unwrap_or(Dt::of(0));
        if key.dt.ty != kdt.ty {
            return err(
                mappings.span,
                format!(
                    "datatype mismatch, map expects {}, mapping expression has type {}",
                    kdt.desc(),
                    key.dt.desc()
                ),
            );
        }
        let interval = s.flags & SET_INTERVAL != 0;
        let ddt = s.data.as_ref().map(|d| d.dt).unwrap_or(Dt::of(TYPE_STRING));
        m.dt = ddt;
        m.flags |= F_CONSTANT;
        if interval && let K::Map { key, .. } = &mut m.k {
            let mut k = std::mem::replace(&mut **key, E::new(K::Catchall, m.span));
            self.byteorder_conversion(&mut k, Bo::Big)?;
            **key = k;
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // reject

    fn reject_gen_dependency(&mut self, ty: u32, family: u8, code: i32, span: Span) -> R<()> {
        let payload = match ty {
            REJECT_TCP_RST => {
                if self.pctx.desc(BASE_TRANSPORT).is_some() {
                    return Ok(());
                }
                super::eval::payload_alloc(P::Tcp, 0, span)
            }
            REJECT_ICMP => {
                if self.pctx.desc(BASE_NETWORK).is_some() {
                    return Ok(());
                }
                if code < 0 {
                    return err(span, "missing icmp error type");
                }
                match family {
                    2 => super::eval::payload_alloc(P::Ip, 9, span),
                    10 => super::eval::payload_alloc(P::Ip6, 6, span),
                    _ => return err(span, "unknown reject family"),
                }
            }
            _ => return err(span, "cannot generate reject dependency"),
        };
        let st = self.gen_dependency_for(&payload)?;
        self.out.insert(0, st);
        Ok(())
    }

    fn stmt_reject(&mut self, s: &mut St) -> R<()> {
        let span = s.span;
        let SK::Reject {
            ty,
            code,
            family,
            expr,
            ..
        } = &mut s.k
        else {
            return Ok(());
        };
        if *code < 0 {
            // stmt_evaluate_reject_default
            match self.pctx.family {
                2 | 10 => {
                    *ty = REJECT_ICMP;
                    *family = self.pctx.family;
                    *code = if self.pctx.family == 2 { 3 } else { 4 };
                }
                1 | 7 | 5 => {
                    let desc = self.pctx.desc(BASE_NETWORK);
                    match desc {
                        None => {
                            *ty = REJECT_ICMPX;
                            *code = 1;
                        }
                        Some(d) => {
                            *ty = REJECT_ICMP;
                            let base = self.pctx.desc(proto::BASE_LL).unwrap_or(P::Unknown);
                            let pnum = proto::find_num(base, d);
                            let fam = self.pctx.family;
                            match pnum {
                                Some(2) if fam == 1 => {
                                    *family = 2;
                                    *code = 3;
                                }
                                Some(0x0008) => {
                                    *family = 2;
                                    *code = 3;
                                }
                                Some(10) if fam == 1 => {
                                    *family = 10;
                                    *code = 4;
                                }
                                Some(0xdd86) => {
                                    *family = 10;
                                    *code = 4;
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        } else if let Some(x) = expr {
            let dt = x.dt;
            let K::Symbol(t) = &x.k else {
                return err(x.span, "invalid reject code");
            };
            let p = parse_symbol(&dt, t).map_err(|m| Diagnostic::error(x.span, m))?;
            *code = (p.value & 0xff) as i32;
        } else {
            // stmt_evaluate_reset
            if let Some(desc) = self.pctx.desc(BASE_TRANSPORT) {
                let base = self.pctx.desc(BASE_NETWORK).unwrap_or(P::InetService);
                let n = proto::find_num(base, desc);
                if n != Some(6) && *ty == REJECT_TCP_RST {
                    return err(span, "you cannot use tcp reset with this protocol");
                }
            }
        }
        let (ty, family, code) = (*ty, *family, *code);
        let xspan = expr.as_ref().map(|x| x.span).unwrap_or(span);
        // stmt_evaluate_reject_family
        match self.pctx.family {
            3 => return err(span, "cannot use reject with arp"),
            2 | 10 => match ty {
                REJECT_TCP_RST => self.reject_gen_dependency(ty, family, code, span)?,
                REJECT_ICMPX => {
                    return err(xspan, "abstracted ICMP unreachable not supported");
                }
                _ => {
                    if family != self.pctx.family {
                        return err(xspan, "conflicting protocols specified: ip vs ip6");
                    }
                }
            },
            7 | 5 => {
                let ll = self.pctx.desc(proto::BASE_LL);
                if !matches!(ll, Some(P::Eth) | Some(P::Vlan) | Some(P::Netdev)) {
                    return err(span, "cannot reject from this link layer protocol");
                }
                if let Some(d) = self.pctx.desc(BASE_NETWORK) {
                    let n = proto::find_num(ll.unwrap_or(P::Unknown), d);
                    match ty {
                        REJECT_ICMPX | REJECT_TCP_RST => {
                            if !matches!(n, Some(0x0008) | Some(0xdd86)) {
                                return err(span, "cannot reject this network family");
                            }
                        }
                        _ => match n {
                            Some(0x0008) if family == 2 => {}
                            Some(0xdd86) if family == 10 => {}
                            Some(0x0008) | Some(0xdd86) => {
                                return err(xspan, "conflicting protocols specified: ip vs ip6");
                            }
                            _ => return err(span, "cannot reject this network family"),
                        },
                    }
                }
                if ty != REJECT_ICMPX {
                    self.reject_gen_dependency(ty, family, code, span)?;
                }
            }
            1 => {
                if let Some(d) = self.pctx.desc(BASE_NETWORK)
                    && ty == REJECT_ICMP
                {
                    let base = self.pctx.desc(proto::BASE_LL).unwrap_or(P::Unknown);
                    match proto::find_num(base, d) {
                        Some(2) | Some(0x0008) => {
                            if family != 2 {
                                return err(xspan, "conflicting protocols specified: ip vs ip6");
                            }
                        }
                        Some(10) | Some(0xdd86) => {
                            if family != 10 {
                                return err(xspan, "conflicting protocols specified: ip vs ip6");
                            }
                        }
                        _ => {
                            return err(
                                span,
                                "cannot infer ICMP reject variant to use: explicit value required.\n",
                            );
                        }
                    }
                }
                if ty != REJECT_ICMPX {
                    self.reject_gen_dependency(ty, family, code, span)?;
                }
            }
            _ => {}
        }
        s.flags |= STMT_TERMINAL;
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // nat and tproxy

    fn l3proto_check(&self, span: Span, family: u8, what: &str) -> R<()> {
        let n = self.pctx.desc(BASE_NETWORK);
        if (n == Some(P::Ip) && family != 2) || (n == Some(P::Ip6) && family != 10) {
            let fname = match family {
                2 => "ip",
                10 => "ip6",
                1 => "inet",
                _ => "unknown",
            };
            return err(
                span,
                format!(
                    "conflicting protocols specified: {} vs. {fname}. You must specify ip or ip6 family in {what} statement",
                    proto::desc(n.unwrap_or(P::Unknown)).name
                ),
            );
        }
        Ok(())
    }

    fn addr_arg(&mut self, span: Span, family: u8, e: &mut E) -> R<()> {
        if self.pctx.family == 1 {
            let (dt, len) = addr_type(family);
            if len == 0 {
                return err(
                    span,
                    "ip or ip6 must be specified with address for inet tables.",
                );
            }
            self.arg(span, dt, len, Bo::Big, e)
        } else {
            let (dt, len) = addr_type(self.pctx.family);
            self.arg(span, dt, len, Bo::Big, e)
        }
    }

    fn has_th_expr(&self, addr: Option<&E>) -> bool {
        let Some(E {
            k: K::Map { key, .. },
            ..
        }) = addr
        else {
            return false;
        };
        let K::Concat { items, .. } = &key.k else {
            return false;
        };
        for i in items {
            if let K::Payload { base, p, .. } = &i.k
                && *base == BASE_TRANSPORT
                && *p != P::Th
            {
                return true;
            }
            if i.flags & F_PROTOCOL == 0 {
                continue;
            }
            let b = match &i.k {
                K::Meta { base, .. } => *base,
                K::Payload { base, .. } => *base,
                _ => return false,
            };
            if b == BASE_NETWORK {
                return true;
            }
        }
        false
    }

    fn nat_transport(&mut self, span: Span, addr: Option<&E>, e: &mut E) -> R<()> {
        if self.pctx.desc(BASE_TRANSPORT).is_none() && !self.has_th_expr(addr) {
            return err(
                e.span,
                "transport protocol mapping is only valid after transport protocol match",
            );
        }
        self.arg(span, Dt::of(TYPE_INET_SERVICE), 16, Bo::Big, e)
    }

    fn stmt_nat(&mut self, s: &mut St) -> R<()> {
        let span = s.span;
        let SK::Nat {
            family,
            addr,
            proto: port,
            flags,
            type_flags,
            ..
        } = &mut s.k
        else {
            return Ok(());
        };
        match self.pctx.family {
            2 | 10 => {
                if *family == 0 {
                    *family = self.pctx.family;
                }
            }
            1 => {
                if addr.is_none() {
                    *family = 1;
                } else if *family == 0 {
                    match self.pctx.desc(BASE_NETWORK) {
                        Some(P::Ip) => *family = 2,
                        Some(P::Ip6) => *family = 10,
                        _ => {}
                    }
                }
            }
            _ => return err(span, "NAT is only supported for IPv4/IPv6"),
        }
        let fam = *family;
        if let Some(a) = addr {
            self.l3proto_check(span, fam, "nat")?;
            // nat_concat_map
            let mut concat = false;
            if let K::Map { mappings, .. } = &mut a.k {
                match &mut mappings.k {
                    K::Set { items, .. }
                        if items.iter().any(
                            |i| matches!(&i.k, K::Mapping(_, r) if matches!(r.k, K::Concat { .. })),
                        ) =>
                    {
                        *type_flags |= NAT_F_CONCAT;
                        concat = true;
                    }
                    K::SetName(_) => {
                        if self.expr(mappings).is_ok()
                            && let K::SetRef(si) = mappings.k
                            && let Some(d) = &self.cache.sets[si].data
                            && (matches!(d.k, K::Concat { .. }) || d.dt.subtypes() > 0)
                        {
                            *type_flags |= NAT_F_CONCAT;
                            concat = true;
                        }
                    }
                    _ => {}
                }
            }
            if concat || *type_flags & NAT_F_CONCAT != 0 {
                self.nat_map(span, fam, a, type_flags)?;
                s.flags |= STMT_TERMINAL;
                return Ok(());
            }
            self.addr_arg(span, fam, a)?;
        }
        if let Some(p) = port {
            let a = addr.clone();
            self.nat_transport(span, a.as_ref(), p)?;
            *flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
        }
        s.flags |= STMT_TERMINAL;
        Ok(())
    }

    /// `stmt_evaluate_nat_map`.
    fn nat_map(&mut self, span: Span, family: u8, addr: &mut E, type_flags: &mut u32) -> R<()> {
        let at = match family {
            2 => TYPE_IPADDR,
            10 => TYPE_IP6ADDR,
            _ => return err(span, "NAT map needs the ip or ip6 family"),
        };
        let cdt = Dt::concat(concat_add(at, TYPE_INET_SERVICE));
        self.set_ectx(Some(cdt), cdt.bo, cdt.size);
        self.expr(addr)?;
        if self.pctx.desc(BASE_TRANSPORT).is_none() && !self.has_th_expr(Some(addr)) {
            return err(
                addr.span,
                "transport protocol mapping is only valid after transport protocol match",
            );
        }
        let K::Map { mappings, .. } = &addr.k else {
            return Ok(());
        };
        let K::SetRef(si) = mappings.k else {
            return Ok(());
        };
        let Some(d) = self.cache.sets[si].data.as_mut() else {
            return Ok(());
        };
        if d.flags & F_INTERVAL != 0 {
            *type_flags |= NAT_F_INTERVAL;
        }
        d.dt = cdt;
        let d = d.clone();
        let K::Concat { items, .. } = &d.k else {
            return self.arg_check(span, cdt, cdt.size, Bo::Big, addr);
        };
        if items.len() != 2 {
            return self.arg_check(span, cdt, cdt.size, Bo::Big, addr);
        }
        let (adt, alen) = addr_type(family);
        let mut one = items[0].clone();
        self.arg_check(span, adt, alen, Bo::Big, &mut one)?;
        let mut two = items[1].clone();
        if self.pctx.desc(BASE_TRANSPORT).is_none() && !self.has_th_expr(Some(addr)) {
            return err(
                two.span,
                "transport protocol mapping is only valid after transport protocol match",
            );
        }
        self.arg(span, Dt::of(TYPE_INET_SERVICE), 16, Bo::Big, &mut two)
    }

    fn stmt_tproxy(&mut self, s: &mut St) -> R<()> {
        let span = s.span;
        let SK::Tproxy { family, addr, port } = &mut s.k else {
            return Ok(());
        };
        match self.pctx.family {
            2 | 10 => {
                if *family == 0 {
                    *family = self.pctx.family;
                }
            }
            1 => {}
            _ => return err(span, "tproxy is only supported for IPv4/IPv6/INET"),
        }
        if self.pctx.desc(BASE_TRANSPORT).is_none() {
            return err(
                span,
                "Transparent proxy support requires transport protocol match",
            );
        }
        if addr.is_none() && port.is_none() {
            return err(span, "Either address or port must be specified!");
        }
        let fam = *family;
        self.l3proto_check(span, fam, "tproxy")?;
        if let Some(a) = addr {
            if matches!(a.k, K::Range(..)) {
                return err(span, "Address ranges are not supported for tproxy.");
            }
            self.addr_arg(span, fam, a)?;
        }
        if let Some(p) = port {
            if matches!(p.k, K::Range(..)) {
                return err(span, "Port ranges are not supported for tproxy.");
            }
            self.nat_transport(span, None, p)?;
        }
        Ok(())
    }
}

fn addr_type(family: u8) -> (Dt, u32) {
    match family {
        2 => (Dt::of(TYPE_IPADDR), 32),
        10 => (Dt::of(TYPE_IP6ADDR), 128),
        _ => (Dt::of(TYPE_INVALID), 0),
    }
}
