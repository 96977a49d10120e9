//! The evaluator: nftables 1.0.6's `evaluate.c` for expressions — symbol resolution per data
//! type (NFT-16), protocol context and implicit dependencies (NFT-15), byte order conversion,
//! anonymous sets and maps, binop transfer — plus `stmt_reduce` (payload merging).
//!
//! Expressions are converted from the syntax tree ([`from_ast`]) into [`E`] and evaluated in
//! place. Statements are evaluated in [`super::stmt`].

use linx_nft_syntax::ast::{self, ExprKind};
use linx_nft_syntax::{Diagnostic, Span};

use super::dtype::*;
use super::ir::*;
use super::proto::{self, BASE_LL, BASE_NETWORK, BASE_TRANSPORT, P};

/// Evaluation result.
pub(crate) type R<T> = Result<T, Diagnostic>;

/// An error at `span`.
pub(crate) fn err<T>(span: Span, msg: impl Into<String>) -> R<T> {
    Err(Diagnostic::error(span, msg))
}

/// An `unsupported:` error at `span` (NFT-03).
pub(crate) fn unsupported<T>(span: Span, what: impl AsRef<str>) -> R<T> {
    Err(Diagnostic::unsupported(span, what))
}

/// A time string (`1h`, `10m30s`) in milliseconds.
pub(crate) fn time_ms(s: &ast::Str) -> R<u64> {
    linx_nft_syntax::keywords::parse_time(&s.text).map_err(|m| Diagnostic::error(s.span, m))
}

/// A timeout in milliseconds: the time value, or the value bound to the variable (a `define`
/// or an interpolation of the macros).
pub(crate) fn time_value_ms(t: &ast::TimeValue) -> R<u64> {
    match t {
        ast::TimeValue::Lit(s) => time_ms(s),
        ast::TimeValue::Var(v) => match v.value.as_deref().map(|e| &e.resolved().kind) {
            Some(ExprKind::Symbol(s) | ExprKind::Quoted(s)) => {
                linx_nft_syntax::keywords::parse_time(s).map_err(|m| Diagnostic::error(v.span, m))
            }
            Some(ExprKind::Number(n)) => linx_nft_syntax::keywords::parse_time(&n.text)
                .map_err(|m| Diagnostic::error(v.span, m)),
            Some(_) => Err(Diagnostic::error(
                v.span,
                format!("${} is not a time value", v.name),
            )),
            None => Err(Diagnostic::error(
                v.span,
                format!("unknown identifier '{}'", v.name),
            )),
        },
    }
}

/// `mpz_prefixmask`: the top `plen` bits of a `len`-bit value.
pub(crate) fn prefix_mask(len: u32, plen: u32) -> u128 {
    if plen == 0 {
        return 0;
    }
    bitmask(len) & !bitmask(len.saturating_sub(plen))
}

/// Interface index lookups in the target network namespace (NFT-17).
pub trait IfResolver {
    /// The index of interface `name`, if it exists.
    fn ifindex(&self, name: &str) -> Option<u32>;

    /// Interface names by index, for printing what a `reset` returns (`iif "lo"`); none by
    /// default (indexes then print as numbers).
    ///
    /// ```
    /// use linx::nft::{IfResolver, StaticIfResolver};
    /// let r = StaticIfResolver::new([("lo", 1)]);
    /// assert_eq!(r.ifnames()[&1], "lo");
    /// ```
    fn ifnames(&self) -> std::collections::HashMap<u32, String> {
        std::collections::HashMap::new()
    }
}

/// A set as the evaluator knows it (declared, anonymous or from the kernel).
#[derive(Clone, Debug)]
pub(crate) struct SetDef {
    pub name: String,
    pub family: u8,
    pub table: String,
    pub flags: u32,
    pub key: Option<E>,
    pub data: Option<E>,
    pub objtype: u32,
    pub init: Option<E>,
    pub automerge: bool,
    pub timeout: u64,
    pub gc_int: u32,
    pub size: u32,
    pub policy: Option<u32>,
    pub comment: Option<String>,
    pub stmts: Vec<St>,
    pub id: u32,
    pub field_len: Vec<u32>,
    pub in_kernel: bool,
    pub kernel_ranges: Vec<(u128, u128)>,
    pub span: Span,
}

impl SetDef {
    /// An empty set definition.
    pub(crate) fn new(name: String, family: u8, table: String, span: Span) -> SetDef {
        SetDef {
            name,
            family,
            table,
            flags: 0,
            key: None,
            data: None,
            objtype: 0,
            init: None,
            automerge: false,
            timeout: 0,
            gc_int: 0,
            size: 0,
            policy: None,
            comment: None,
            stmts: Vec::new(),
            id: 0,
            field_len: Vec::new(),
            in_kernel: false,
            kernel_ranges: Vec::new(),
            span,
        }
    }

    /// `set_is_anonymous`.
    pub(crate) fn is_anonymous(&self) -> bool {
        self.flags & SET_ANON != 0
    }

    /// `set_is_map` / `set_is_datamap`.
    pub(crate) fn is_datamap(&self) -> bool {
        self.flags & SET_MAP != 0
    }

    /// `set_is_objmap`.
    pub(crate) fn is_objmap(&self) -> bool {
        self.flags & SET_OBJECT != 0
    }

    /// `set_is_map`: data or object map.
    pub(crate) fn is_map(&self) -> bool {
        self.flags & (SET_MAP | SET_OBJECT) != 0
    }
}

/// A table of the cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct TableInfo {
    pub family: u8,
    pub name: String,
    pub chains: Vec<String>,
    /// Indexes into [`Cache::sets`].
    pub sets: Vec<usize>,
    pub objs: Vec<(u32, String)>,
    pub flowtables: Vec<String>,
    #[allow(dead_code)] // mirrors nft's cache flag
    pub in_kernel: bool,
}

/// nft's cache: tables and sets known during evaluation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cache {
    pub tables: Vec<TableInfo>,
    pub sets: Vec<SetDef>,
}

impl Cache {
    /// `table_cache_find`.
    pub(crate) fn table(&self, family: u8, name: &str) -> Option<&TableInfo> {
        self.tables
            .iter()
            .find(|t| t.family == family && t.name == name)
    }

    /// Mutable `table_cache_find`.
    pub(crate) fn table_mut(&mut self, family: u8, name: &str) -> Option<&mut TableInfo> {
        self.tables
            .iter_mut()
            .find(|t| t.family == family && t.name == name)
    }

    /// `set_cache_find`.
    pub(crate) fn find_set(&self, family: u8, table: &str, name: &str) -> Option<usize> {
        let t = self.table(family, table)?;
        t.sets
            .iter()
            .copied()
            .find(|i| self.sets.get(*i).is_some_and(|s| s.name == name))
    }
}

/// One layer of the protocol context.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layer {
    pub desc: Option<P>,
    pub protos: Vec<P>,
}

/// `struct proto_ctx`.
#[derive(Clone, Debug)]
pub(crate) struct Pctx {
    pub family: u8,
    pub layers: [Layer; 5],
    pub stacked_ll: Vec<P>,
    pub icmp_type: u8,
}

impl Pctx {
    /// `proto_ctx_init`.
    pub(crate) fn new(family: u8) -> Pctx {
        let mut p = Pctx {
            family,
            layers: Default::default(),
            stacked_ll: Vec::new(),
            icmp_type: 0,
        };
        let (b, d) = proto::hook_proto(family);
        p.layers[b as usize].desc = Some(d);
        p
    }

    pub(crate) fn desc(&self, base: u8) -> Option<P> {
        self.layers.get(base as usize).and_then(|l| l.desc)
    }

    /// `proto_ctx_update`.
    pub(crate) fn update(&mut self, base: u8, desc: P) {
        let Some(l) = self.layers.get_mut(base as usize) else {
            return;
        };
        if base == BASE_TRANSPORT && l.protos.len() < 16 && !l.protos.contains(&desc) {
            l.protos.push(desc);
        }
        l.desc = Some(desc);
    }

    fn is_ambiguous(&self, base: u8) -> bool {
        self.layers
            .get(base as usize)
            .is_some_and(|l| l.protos.len() > 1)
    }

    fn find_conflict(&self, base: u8, desc: P) -> Option<P> {
        let l = self.layers.get(base as usize)?;
        if base == BASE_TRANSPORT {
            l.protos.iter().copied().find(|p| *p != desc)
        } else if l.desc != Some(desc) {
            l.desc
        } else {
            None
        }
    }
}

/// `struct expr_ctx`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ectx {
    pub dtype: Option<Dt>,
    pub bo: Option<Bo>,
    pub len: u32,
    pub maxval: u64,
    pub key: Option<Box<E>>,
}

/// The evaluation context of one rule (or of one set's elements).
pub(crate) struct Ev<'a> {
    pub cache: &'a mut Cache,
    pub ifr: &'a dyn IfResolver,
    pub family: u8,
    pub table: String,
    pub pctx: Pctx,
    pub ectx: Ectx,
    /// Statements of the rule evaluated so far.
    pub out: Vec<St>,
    /// Dependencies to insert before the statement being evaluated.
    pub pending: Vec<St>,
    pub set_ctx: Option<usize>,
    /// Anonymous sets created while evaluating (in creation order).
    pub anon: Vec<usize>,
    pub next_set_id: &'a mut u32,
    pub stmt_span: Span,
}

fn bo_name(b: Bo) -> &'static str {
    match b {
        Bo::Invalid => "invalid",
        Bo::Host => "host endian",
        Bo::Big => "big endian",
    }
}

fn take(e: &mut E) -> E {
    let span = e.span;
    std::mem::replace(e, E::new(K::Catchall, span))
}

/// The value of a protocol constant as nft exports it into a host `unsigned int`.
fn proto_num(v: u128, bo: Bo, len: u32) -> u32 {
    let n = (len / 8).clamp(0, 4) as usize;
    let b = export(v, bo, n);
    let mut a = [0u8; 4];
    a[..n].copy_from_slice(&b);
    u32::from_ne_bytes(a)
}

/// A constant from a protocol number as nft builds it (`constant_data_ptr(protocol, len)`).
fn proto_const(num: u32, dt: Dt, bo: Bo, len: u32, span: Span) -> E {
    let n = (len.div_ceil(8) as usize).min(4);
    let b = num.to_ne_bytes();
    let v = import(&b[..n], bo);
    E::value(v, dt, bo, len, span)
}

/// `payload_expr_alloc`.
pub(crate) fn payload_alloc(p: P, idx: usize, span: Span) -> E {
    let d = proto::desc(p);
    let t = d.templates.get(idx).copied().unwrap_or(
        proto::desc(P::Unknown)
            .templates
            .first()
            .copied()
            .unwrap_or(proto::Tmpl {
                token: "",
                dtype: TYPE_INVALID,
                bo: Bo::Invalid,
                offset: 0,
                len: 0,
                icmp_dep: proto::IcmpDep::Any,
                meta_key: None,
            }),
    );
    let mut e = E::typed(
        K::Payload {
            p,
            tmpl: idx,
            base: d.base,
            offset: t.offset,
            is_raw: false,
            evaluated: false,
        },
        Dt::of(t.dtype),
        t.bo,
        t.len,
        span,
    );
    let is_proto = idx == d.protocol_key && d.protocol_key != 0
        || (p == P::Ip6 && idx == 6)
        || (p == P::Ip && idx == 9)
        || (idx == 0 && d.protocol_key == 0 && t.meta_key.is_some());
    if is_proto && d.templates.get(idx).is_some() {
        e.flags |= F_PROTOCOL;
    }
    e
}

/// `meta_expr_alloc`.
pub(crate) fn meta_alloc(key: u32, span: Span) -> E {
    let (dt, bo, len) = match proto::meta(key) {
        Some(m) => (Dt::of(m.dtype), m.bo, m.len),
        None => (Dt::of(TYPE_INVALID), Bo::Invalid, 0),
    };
    let (flags, base) = match key {
        8 => (F_PROTOCOL, 0),
        15 => (F_PROTOCOL, BASE_LL),
        16 => (F_PROTOCOL, BASE_NETWORK),
        1 => (F_PROTOCOL, BASE_LL),
        _ => (0, 0),
    };
    let mut e = E::typed(K::Meta { key, base }, dt, bo, len, span);
    e.flags |= flags;
    e
}

/// `ct_expr_alloc`.
pub(crate) fn ct_alloc(key: u32, dir: i8, span: Span) -> E {
    let (dt, bo, len) = match proto::ct_key(key) {
        Some(c) => (Dt::of(c.dtype), c.bo, c.len),
        None => (Dt::of(TYPE_INVALID), Bo::Invalid, 0),
    };
    let (flags, base) = match key {
        8 | 9 => (0, BASE_NETWORK),
        11 | 12 => (0, BASE_TRANSPORT),
        10 => (F_PROTOCOL, BASE_NETWORK),
        7 => (F_PROTOCOL, BASE_LL),
        _ => (0, 0),
    };
    let mut e = E::typed(
        K::Ct {
            key,
            dir,
            nfproto: 0,
            base,
        },
        dt,
        bo,
        len,
        span,
    );
    e.flags |= flags;
    e
}

/// A verdict of the syntax tree.
pub(crate) fn verdict_from_ast(v: &ast::Verdict, span: Span) -> R<E> {
    let chain_name = |c: &ast::Expr| -> R<String> {
        match &c.resolved().kind {
            ExprKind::Symbol(s) | ExprKind::Quoted(s) => Ok(s.clone()),
            ExprKind::Number(n) => Ok(n.text.clone()),
            _ => err(c.span, "invalid chain name"),
        }
    };
    Ok(match v {
        ast::Verdict::Accept => E::verdict(1, None, span),
        ast::Verdict::Drop => E::verdict(0, None, span),
        ast::Verdict::Continue => E::verdict(-1, None, span),
        ast::Verdict::Return => E::verdict(-5, None, span),
        ast::Verdict::Jump(c) => E::verdict(-3, Some(chain_name(c)?), span),
        ast::Verdict::Goto(c) => E::verdict(-4, Some(chain_name(c)?), span),
    })
}

fn inet_proto_const(v: u8, span: Span) -> E {
    E::value(u128::from(v), Dt::of(TYPE_INET_PROTOCOL), Bo::Host, 8, span)
}

/// Options of a set element.
pub(crate) fn elem_from_ast(
    key: E,
    options: &ast::ElemOptions,
    stmts: &[ast::Stmt],
    span: Span,
) -> R<E> {
    let mut el = Elem {
        key,
        timeout: 0,
        expiration: 0,
        comment: None,
        stmts: Vec::new(),
        elem_flags: 0,
    };
    if let Some(t) = &options.timeout {
        el.timeout = time_value_ms(t)?;
    }
    if let Some(t) = &options.expires {
        el.expiration = time_value_ms(t)?;
    }
    if let Some(c) = &options.comment {
        el.comment = Some(c.text.clone());
    }
    for s in stmts {
        el.stmts.push(super::stmt::stateful_from_ast(s)?);
    }
    Ok(E::new(K::Elem(Box::new(el)), span))
}

/// Converts an expression of the syntax tree (nft's parser actions).
pub(crate) fn from_ast(e: &ast::Expr) -> R<E> {
    let span = e.span;
    Ok(match &e.kind {
        ExprKind::Variable(v) => match &v.value {
            Some(x) => from_ast(x)?,
            None => return err(v.span, format!("unknown identifier '{}'", v.name)),
        },
        ExprKind::Number(n) => E::new(K::Symbol(n.value().to_string()), span),
        ExprKind::Symbol(s) => match s.as_str() {
            "tcp" => inet_proto_const(6, span),
            "udp" => inet_proto_const(17, span),
            "udplite" => inet_proto_const(136, span),
            "esp" => inet_proto_const(50, span),
            "ah" => inet_proto_const(51, span),
            "icmp" => inet_proto_const(1, span),
            "igmp" => inet_proto_const(2, span),
            "icmpv6" => inet_proto_const(58, span),
            "comp" => inet_proto_const(108, span),
            "dccp" => inet_proto_const(33, span),
            "sctp" => inet_proto_const(132, span),
            "redirect" => E::value(5, Dt::of(TYPE_ICMP_TYPE), Bo::Host, 8, span),
            _ => E::new(K::Symbol(s.clone()), span),
        },
        ExprKind::Quoted(s) | ExprKind::Asterisk(s) => E::new(K::Symbol(s.clone()), span),
        ExprKind::Wildcard => {
            // A catch-all element key is a constant singleton, as nft allocates it.
            let mut e = E::new(K::Catchall, span);
            e.flags |= F_CONSTANT | F_SINGLETON;
            e
        }
        ExprKind::Bool(b) => E::value(u128::from(*b), Dt::of(TYPE_BOOLEAN), Bo::Host, 8, span),
        ExprKind::SetRef(i) => E::new(K::SetName(i.name.clone()), span),
        ExprKind::Payload { proto: p, field } => {
            let p = proto::from_ast(*p);
            let Some(idx) = proto::field_index(p, field) else {
                return err(
                    span,
                    format!("unknown {} field {field}", proto::desc(p).name),
                );
            };
            let mut x = payload_alloc(p, idx, span);
            if p == P::Th
                && let K::Payload { is_raw, .. } = &mut x.k
            {
                *is_raw = true;
            }
            x
        }
        ExprKind::RawPayload { base, offset, len } => {
            let b = match base {
                ast::RawBase::Ll => BASE_LL,
                ast::RawBase::Nh => BASE_NETWORK,
                ast::RawBase::Th => BASE_TRANSPORT,
                ast::RawBase::Ih => proto::BASE_INNER,
            };
            let off = offset.value() as u32;
            let l = len.value() as u32;
            if l == 0 || l > 128 {
                return err(span, "raw payload length must be between 1 and 128 bits");
            }
            let mut p = P::Unknown;
            let mut tmpl = 0;
            let mut dt = Dt::of(TYPE_INTEGER);
            if b == BASE_TRANSPORT && l == 16 && (off == 0 || off == 16) {
                p = P::Th;
                tmpl = if off == 0 { 1 } else { 2 };
                dt = Dt::of(TYPE_INET_SERVICE);
            }
            E::typed(
                K::Payload {
                    p,
                    tmpl,
                    base: b,
                    offset: off,
                    is_raw: true,
                    evaluated: false,
                },
                dt,
                Bo::Big,
                l,
                span,
            )
        }
        ExprKind::Exthdr { .. }
        | ExprKind::ExthdrExists(_)
        | ExprKind::TcpOption { .. }
        | ExprKind::TcpOptionRaw { .. }
        | ExprKind::IpOption { .. }
        | ExprKind::SctpChunk { .. } => super::exthdr::from_ast(e)?,
        ExprKind::Meta { key, .. } => match proto::meta_by_name(key) {
            Some(m) => meta_alloc(m.key, span),
            None => return err(span, format!("unknown meta key {key}")),
        },
        ExprKind::Ct {
            dir,
            proto: pr,
            key,
        } => {
            let d: i8 = match dir {
                None => -1,
                Some(ast::CtDir::Original) => 0,
                Some(ast::CtDir::Reply) => 1,
            };
            let k = match (pr, *key) {
                (Some(ast::NfProto::Ip), "saddr") => 19,
                (Some(ast::NfProto::Ip), "daddr") => 20,
                (Some(ast::NfProto::Ip6), "saddr") => 21,
                (Some(ast::NfProto::Ip6), "daddr") => 22,
                (_, k) => match proto::ct_by_name(k) {
                    Some(c) => c.key,
                    None => return err(span, format!("unknown ct key {k}")),
                },
            };
            ct_alloc(k, d, span)
        }
        ExprKind::Fib { flags, result } => {
            let mut f = 0u32;
            for fl in flags {
                f |= match *fl {
                    "saddr" => 1,
                    "daddr" => 2,
                    "mark" => 4,
                    "iif" => 8,
                    "oif" => 16,
                    o => return err(span, format!("unknown fib flag {o}")),
                };
            }
            if f & 3 == 0 {
                return err(span, "fib: need either saddr or daddr");
            }
            if f & 3 == 3 {
                return err(span, "fib: saddr and daddr are mutually exclusive");
            }
            if f & 24 == 24 {
                return err(span, "fib: iif and oif are mutually exclusive");
            }
            let (res, dt, len) = match *result {
                "oif" => (1, TYPE_IFINDEX, 32),
                "oifname" => (2, TYPE_STRING, 128),
                "type" => (3, TYPE_FIB_ADDR, 32),
                o => return err(span, format!("unknown fib result {o}")),
            };
            E::typed(
                K::Fib {
                    result: res,
                    flags: f,
                },
                Dt::of(dt),
                Bo::Host,
                len,
                span,
            )
        }
        ExprKind::Rt { proto: pr, key } => {
            let (k, dt, bo, len) = match (*key, pr) {
                ("classid", _) => (0, TYPE_REALM, Bo::Host, 32),
                ("nexthop", Some(ast::NfProto::Ip6)) => (2, TYPE_IP6ADDR, Bo::Big, 128),
                ("nexthop", Some(ast::NfProto::Ip)) => (1, TYPE_IPADDR, Bo::Big, 32),
                ("nexthop", None) => (1, TYPE_INVALID, Bo::Big, 0),
                ("mtu", _) => (3, TYPE_INTEGER, Bo::Host, 16),
                ("ipsec", _) => (4, TYPE_BOOLEAN, Bo::Host, 8),
                (o, _) => return err(span, format!("unknown rt key {o}")),
            };
            E::typed(K::Rt { key: k }, Dt::of(dt), bo, len, span)
        }
        ExprKind::Socket { key, level } => {
            let (k, dt, len) = match *key {
                "transparent" => (0, TYPE_INTEGER, 8),
                "mark" => (1, TYPE_MARK, 32),
                "wildcard" => (2, TYPE_INTEGER, 8),
                "cgroupv2" => (3, TYPE_CGROUPV2, 64),
                o => return err(span, format!("unknown socket key {o}")),
            };
            if k == 3 {
                return unsupported(span, "socket cgroupv2");
            }
            E::typed(
                K::Socket {
                    key: k,
                    level: level.as_ref().map(|n| n.value() as u32).unwrap_or(0),
                },
                Dt::of(dt),
                Bo::Host,
                len,
                span,
            )
        }
        ExprKind::Osf { ttl, key } => {
            // `osf_expr_alloc`: NF_OSF_TTL_TRUE/LESS/NOCHECK, NFT_OSF_F_VERSION.
            let ttl = match ttl.as_deref() {
                None => 0,
                Some("loose") => 1,
                Some("skip") => 2,
                Some(_) => return err(span, "invalid ttl option"),
            };
            let flags = u32::from(*key == "version");
            E::typed(
                K::Osf { ttl, flags },
                Dt::of(TYPE_STRING),
                Bo::Host,
                16 * 8,
                span,
            )
        }
        ExprKind::Ipsec { out, spnum, key } => {
            let spnum = match spnum {
                Some(n) if n.value() > 255 => return err(n.span, "value too large"),
                Some(n) => n.value() as u32,
                None => 0,
            };
            // `xfrm_templates` by `enum nft_xfrm_keys`.
            let (k, dt, bo, len) = match key {
                ast::IpsecKey::Spi => (6, TYPE_INTEGER, Bo::Big, 32),
                ast::IpsecKey::Reqid => (5, TYPE_INTEGER, Bo::Host, 32),
                ast::IpsecKey::Addr(pr, field) => match (pr, *field) {
                    (ast::NfProto::Ip, "daddr") => (1, TYPE_IPADDR, Bo::Big, 32),
                    (ast::NfProto::Ip, "saddr") => (3, TYPE_IPADDR, Bo::Big, 32),
                    (ast::NfProto::Ip6, "daddr") => (2, TYPE_IP6ADDR, Bo::Big, 128),
                    (ast::NfProto::Ip6, "saddr") => (4, TYPE_IP6ADDR, Bo::Big, 128),
                    (_, f) => return err(span, format!("unknown ipsec key {f}")),
                },
            };
            E::typed(
                K::Xfrm {
                    key: k,
                    dir: u8::from(*out),
                    spnum,
                },
                Dt::of(dt),
                bo,
                len,
                span,
            )
        }
        ExprKind::Numgen {
            mode,
            modulus,
            offset,
        } => E::typed(
            K::Numgen {
                kind: if *mode == "inc" { 0 } else { 1 },
                modulus: modulus.value() as u32,
                offset: offset.as_ref().map(|n| n.value() as u32).unwrap_or(0),
            },
            Dt::of(TYPE_INTEGER),
            Bo::Host,
            32,
            span,
        ),
        ExprKind::Jhash {
            expr,
            modulus,
            seed,
            offset,
        } => E::typed(
            K::Hash {
                kind: 0,
                expr: Some(Box::new(from_ast(expr)?)),
                modulus: modulus.value() as u32,
                seed: seed.as_ref().map(|n| n.value() as u32),
                offset: offset.as_ref().map(|n| n.value() as u32).unwrap_or(0),
            },
            Dt::of(TYPE_INTEGER),
            Bo::Host,
            32,
            span,
        ),
        ExprKind::Symhash { modulus, offset } => E::typed(
            K::Hash {
                kind: 1,
                expr: None,
                modulus: modulus.value() as u32,
                seed: None,
                offset: offset.as_ref().map(|n| n.value() as u32).unwrap_or(0),
            },
            Dt::of(TYPE_INTEGER),
            Bo::Host,
            32,
            span,
        ),
        ExprKind::Concat(items) => {
            let mut v = Vec::new();
            for i in items {
                v.push(from_ast(i)?);
            }
            E::new(
                K::Concat {
                    items: v,
                    field_len: Vec::new(),
                },
                span,
            )
        }
        ExprKind::Binary { op, left, right } => {
            let o = match op {
                ast::BinOp::Shl => Op::Lshift,
                ast::BinOp::Shr => Op::Rshift,
                ast::BinOp::And => Op::And,
                ast::BinOp::Xor => Op::Xor,
                ast::BinOp::Or => Op::Or,
            };
            let l = from_ast(left)?;
            let mut x = E::new(
                K::Binop {
                    op: o,
                    l: Box::new(l.clone()),
                    r: Box::new(from_ast(right)?),
                },
                span,
            );
            x.dt = l.dt;
            x.bo = l.bo;
            x.len = l.len;
            x
        }
        ExprKind::Prefix { base, len } => {
            let b = from_ast(base)?;
            let plen = len.value();
            if plen > 128 {
                return err(len.span, format!("Prefix length {plen} is invalid"));
            }
            E::new(
                K::Prefix {
                    base: Box::new(b),
                    plen: plen as u32,
                },
                span,
            )
        }
        ExprKind::Range { low, high } => E::new(
            K::Range(Box::new(from_ast(low)?), Box::new(from_ast(high)?)),
            span,
        ),
        ExprKind::Set(elems) => {
            let mut items = Vec::new();
            for el in elems {
                let key = from_ast(&el.key)?;
                let elem = elem_from_ast(key, &el.options, &el.stmts, el.key.span)?;
                let item = match &el.data {
                    Some(d) => E::new(K::Mapping(Box::new(elem), Box::new(from_ast(d)?)), el.span),
                    None => elem,
                };
                items.push(item);
            }
            let size = items.len() as u32;
            E::new(
                K::Set {
                    items,
                    set_flags: 0,
                    size,
                },
                span,
            )
        }
        ExprKind::Map { key, map } => E::new(
            K::Map {
                key: Box::new(from_ast(key)?),
                mappings: Box::new(from_ast(map)?),
            },
            span,
        ),
        ExprKind::List(items) => {
            let mut v = Vec::new();
            for i in items {
                v.push(from_ast(i)?);
            }
            E::new(K::List(v), span)
        }
        ExprKind::Verdict(v) => verdict_from_ast(v, span)?,
        ExprKind::Masked { value, mask } => E::new(
            K::Masked {
                value: Box::new(from_ast(value)?),
                mask: Box::new(from_ast(mask)?),
            },
            span,
        ),
    })
}

/// A relational expression (`relational_expr_alloc`).
pub(crate) fn rel(op: Op, mut l: E, r: E, span: Span) -> E {
    if r.dt.ty == TYPE_BOOLEAN && r.is_constant() && matches!(r.k, K::Value(_)) {
        l.flags |= F_BOOLEAN;
    }
    let mut e = E::new(
        K::Rel {
            op,
            l: Box::new(l),
            r: Box::new(r),
        },
        span,
    );
    e.dt = Dt::of(TYPE_VERDICT);
    e
}

impl<'a> Ev<'a> {
    /// A context for family `family` and table `table`.
    pub(crate) fn new(
        cache: &'a mut Cache,
        ifr: &'a dyn IfResolver,
        family: u8,
        table: String,
        next_set_id: &'a mut u32,
    ) -> Ev<'a> {
        Ev {
            cache,
            ifr,
            family,
            table,
            pctx: Pctx::new(family),
            ectx: Ectx::default(),
            out: Vec::new(),
            pending: Vec::new(),
            set_ctx: None,
            anon: Vec::new(),
            next_set_id,
            stmt_span: Span::DUMMY,
        }
    }

    /// Evaluates elements in the context of set `idx` (`ctx->set`).
    pub(crate) fn set_set_ctx(&mut self, idx: Option<usize>) {
        self.set_ctx = idx;
    }

    /// `__expr_set_context`.
    pub(crate) fn set_ectx(&mut self, dt: Option<Dt>, bo: Bo, len: u32) {
        self.ectx = Ectx {
            dtype: dt,
            bo: Some(bo),
            len,
            maxval: 0,
            key: None,
        };
    }

    fn set_ectx_max(&mut self, dt: Option<Dt>, bo: Bo, len: u32, maxval: u64) {
        self.set_ectx(dt, bo, len);
        self.ectx.maxval = maxval;
    }

    /// `expr_set_context`.
    fn expr_set_context(&mut self, dt: Option<Dt>, len: u32) {
        let bo = dt.map(|d| d.bo).unwrap_or(Bo::Invalid);
        self.set_ectx(dt, bo, len);
    }

    pub(crate) fn primary(&mut self, e: &E) {
        self.set_ectx(Some(e.dt), e.bo, e.len);
    }

    /// Evaluates the statements of a rule (`rule_evaluate`), then `stmt_reduce`.
    pub(crate) fn rule(&mut self, stmts: Vec<St>) -> R<Vec<St>> {
        self.pctx = Pctx::new(self.family);
        self.ectx = Ectx::default();
        self.out.clear();
        let mut terminal: Option<Span> = None;
        for mut s in stmts {
            if let Some(t) = terminal {
                return Err(Diagnostic::error(
                    s.span,
                    "Statement after terminal statement has no effect",
                )
                .with_note("terminal statement", Some(t)));
            }
            self.pending.clear();
            self.stmt_span = s.span;
            self.stmt(&mut s)?;
            let deps = std::mem::take(&mut self.pending);
            self.out.extend(deps);
            if s.flags & STMT_TERMINAL != 0 {
                terminal = Some(s.span);
            }
            self.out.push(s);
        }
        let mut out = std::mem::take(&mut self.out);
        stmt_reduce(&mut out, self.family);
        Ok(out)
    }

    /// Evaluates a dependency statement (`stmt_evaluate` of an expression statement).
    fn eval_dep(&mut self, st: &mut St) -> R<()> {
        self.stmt(st)
    }

    // ------------------------------------------------------------------------------------------
    // expressions

    /// `expr_evaluate`.
    pub(crate) fn expr(&mut self, e: &mut E) -> R<()> {
        match &e.k {
            K::Symbol(_) => self.eval_symbol(e),
            K::SetName(_) => self.eval_setname(e),
            K::SetRef(_) => Ok(()),
            K::Value(_) => self.eval_value(e),
            K::Exthdr { .. } => super::exthdr::evaluate(self, e),
            K::Verdict { .. } => {
                self.primary(e);
                Ok(())
            }
            K::Meta { .. } => self.eval_meta(e),
            K::Socket { key, .. } => {
                let max = if matches!(key, 0 | 2) { 1 } else { 0 };
                let (dt, bo, len) = (e.dt, e.bo, e.len);
                self.set_ectx_max(Some(dt), bo, len, max);
                Ok(())
            }
            K::Osf { .. } => {
                self.primary(e);
                Ok(())
            }
            K::Xfrm { .. } => {
                if !matches!(self.family, 1 | 2 | 10) {
                    return err(
                        e.span,
                        "ipsec expression is only valid in ip/ip6/inet tables",
                    );
                }
                self.primary(e);
                Ok(())
            }
            K::Fib { .. } => {
                if e.flags & F_BOOLEAN != 0 {
                    if let K::Fib { flags, .. } = &mut e.k {
                        *flags |= 32;
                    }
                    e.dt = Dt::of(TYPE_BOOLEAN);
                }
                self.primary(e);
                Ok(())
            }
            K::Payload { .. } => self.eval_payload(e),
            K::Rt { .. } => self.eval_rt(e),
            K::Ct { .. } => self.eval_ct(e),
            K::Prefix { .. } => self.eval_prefix(e),
            K::Range(..) => self.eval_range(e),
            K::Unary { .. } => self.eval_unary(e),
            K::Binop { .. } => self.eval_binop(e),
            K::Concat { .. } => self.eval_concat(e),
            K::List(_) => self.eval_list(e),
            K::Set { .. } => self.eval_set(e),
            K::Elem(_) => self.eval_elem(e),
            K::Map { .. } => self.eval_map(e),
            K::Mapping(..) => self.eval_mapping(e),
            K::Rel { .. } => self.eval_rel(e),
            K::Numgen {
                modulus, offset, ..
            } => {
                let max = u64::from(*modulus) + u64::from(*offset);
                self.integer_compatible(e);
                let max = max.saturating_sub(1);
                let (dt, bo, len) = (e.dt, e.bo, e.len);
                self.set_ectx_max(Some(dt), bo, len, max);
                Ok(())
            }
            K::Hash { .. } => self.eval_hash(e),
            K::Catchall => Ok(()),
            K::Masked { .. } => err(e.span, "unexpected flag mask expression"),
        }
    }

    /// `expr_dtype_integer_compatible`.
    fn integer_compatible(&self, e: &mut E) {
        if let Some(d) = self.ectx.dtype
            && d.immediate_base() == Some(TYPE_INTEGER)
            && self.ectx.len == 32
        {
            e.dt = d;
            e.len = self.ectx.len;
        }
    }

    fn eval_hash(&mut self, e: &mut E) -> R<()> {
        self.integer_compatible(e);
        self.expr_set_context(None, 0);
        if let K::Hash { expr: Some(x), .. } = &mut e.k {
            self.expr(x)?;
        }
        let (modulus, offset) = match &e.k {
            K::Hash {
                modulus, offset, ..
            } => (*modulus, *offset),
            _ => (0, 0),
        };
        let max = (u64::from(modulus) + u64::from(offset)).saturating_sub(1);
        let (dt, bo, len) = (e.dt, e.bo, e.len);
        self.set_ectx_max(Some(dt), bo, len, max);
        Ok(())
    }

    fn eval_symbol(&mut self, e: &mut E) -> R<()> {
        let K::Symbol(text) = &e.k else {
            return Ok(());
        };
        let text = text.clone();
        let Some(dt) = self.ectx.dtype else {
            return err(e.span, "No symbol type information");
        };
        let span = e.span;
        let mut new = if dt.ty == TYPE_IFINDEX {
            let idx = match self.ifr.ifindex(&text) {
                Some(i) => i,
                None => match text.parse::<i64>() {
                    Ok(v) if (0..=i64::from(i32::MAX)).contains(&v) => v as u32,
                    _ => return err(span, "Interface does not exist"),
                },
            };
            E::value(u128::from(idx), dt, Bo::Host, 32, span)
        } else {
            let p = parse_symbol(&dt, &text).map_err(|m| {
                if let Some(rest) = m.strip_prefix("unsupported: ") {
                    Diagnostic::unsupported(span, rest)
                } else {
                    Diagnostic::error(span, m)
                }
            })?;
            let pdt = if p.ty == dt.ty { dt } else { Dt::of(p.ty) };
            E::value(p.value, pdt, p.bo, p.bits, span)
        };
        self.expr(&mut new)?;
        *e = new;
        Ok(())
    }

    fn eval_setname(&mut self, e: &mut E) -> R<()> {
        let K::SetName(name) = &e.k else {
            return Ok(());
        };
        let name = name.clone();
        if self.cache.table(self.family, &self.table).is_none() {
            return err(
                e.span,
                format!(
                    "Could not process rule: No such file or directory (table '{}')",
                    self.table
                ),
            );
        }
        match self.cache.find_set(self.family, &self.table, &name) {
            Some(i) if self.cache.sets[i].key.is_some() => {
                let dt = self.cache.sets[i]
                    .key
                    .as_ref()
                    .map(|k| k.dt)
                    .unwrap_or(Dt::of(0));
                let mut n = E::typed(K::SetRef(i), dt, Bo::Invalid, 0, e.span);
                n.flags |= F_CONSTANT;
                *e = n;
                Ok(())
            }
            _ => {
                let names: Vec<String> = self
                    .cache
                    .table(self.family, &self.table)
                    .map(|t| {
                        t.sets
                            .iter()
                            .filter_map(|i| self.cache.sets.get(*i))
                            .filter(|s| !s.is_anonymous())
                            .map(|s| s.name.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                Err(Diagnostic::error(
                    e.span,
                    format!("Could not process rule: No such file or directory (set '{name}' does not exist)"),
                )
                .maybe_suggest(linx_nft_syntax::diag::did_you_mean(&name, names)))
            }
        }
    }

    fn eval_value(&mut self, e: &mut E) -> R<()> {
        match e.dt.root() {
            TYPE_INTEGER => self.eval_integer(e),
            TYPE_STRING => self.eval_string(e),
            _ => err(e.span, format!("invalid basetype {}", e.dt.name())),
        }
    }

    fn eval_integer(&mut self, e: &mut E) -> R<()> {
        let v = e.val();
        if self.ectx.maxval > 0 && v > u128::from(self.ectx.maxval) {
            return err(
                e.span,
                format!("Value {v} exceeds valid range 0-{}", self.ectx.maxval),
            );
        }
        let mask = bitmask(self.ectx.len);
        if v > mask {
            return err(e.span, format!("Value {v} exceeds valid range 0-{mask}"));
        }
        e.bo = self.ectx.bo.unwrap_or(Bo::Invalid);
        e.len = self.ectx.len;
        Ok(())
    }

    fn eval_string(&mut self, e: &mut E) -> R<()> {
        let len_bytes = e.len.div_ceil(8) as usize;
        if self.ectx.len > 0 {
            if e.len > self.ectx.len {
                return err(
                    e.span,
                    format!("String exceeds maximum length of {}", self.ectx.len / 8),
                );
            }
            e.len = self.ectx.len;
        }
        let dt = self.ectx.dtype.unwrap_or(Dt::of(TYPE_STRING));
        let mut data = export(e.val(), Bo::Host, len_bytes.min(16));
        if let Some(p) = data.iter().position(|b| *b == 0) {
            data.truncate(p);
        }
        if data.is_empty() {
            return err(e.span, "Empty string is not allowed");
        }
        let last = data.len() - 1;
        if data[last] != b'*' {
            *e = E::value(string_value(&data), dt, Bo::Host, e.len, e.span);
            return Ok(());
        }
        if last == 0 {
            return err(e.span, "All-wildcard strings are not supported");
        }
        if data[last - 1] == b'\\' {
            let mut un = data[..last - 1].to_vec();
            un.push(b'*');
            *e = E::value(string_value(&un), dt, Bo::Host, e.len, e.span);
            return Ok(());
        }
        let base = E::value(string_value(&data[..last]), dt, Bo::Host, e.len, e.span);
        let mut p = E::typed(
            K::Prefix {
                base: Box::new(base),
                plen: (last * 8) as u32,
            },
            dt,
            Bo::Host,
            e.len,
            e.span,
        );
        p.flags |= F_CONSTANT;
        *e = p;
        Ok(())
    }

    fn eval_meta(&mut self, e: &mut E) -> R<()> {
        let K::Meta { key, .. } = e.k else {
            return Ok(());
        };
        match key {
            15 if self.pctx.family != 1 && e.flags & F_PROTOCOL != 0 => {
                return err(e.span, "meta nfproto is only useful in the inet family");
            }
            31 => {
                let (dt, bo, len) = (e.dt, e.bo, e.len);
                self.set_ectx_max(Some(dt), bo, len, 6);
                return Ok(());
            }
            _ => {}
        }
        self.primary(e);
        Ok(())
    }

    fn eval_rt(&mut self, e: &mut E) -> R<()> {
        if let K::Rt { key } = &mut e.k
            && *key == 1
        {
            match self.pctx.desc(BASE_NETWORK) {
                Some(P::Ip) => e.dt = Dt::of(TYPE_IPADDR),
                Some(P::Ip6) => {
                    *key = 2;
                    e.dt = Dt::of(TYPE_IP6ADDR);
                }
                _ => {}
            }
            e.len = e.dt.size;
        }
        let emsg =
            "cannot determine ip protocol version, use \"ip nexthop\" or \"ip6 nexthop\" instead";
        if let K::Rt { key } = e.k {
            if key == 1 {
                if e.dt.ty != TYPE_IPADDR {
                    return err(e.span, emsg);
                }
                if self.pctx.family == 10 {
                    return err(e.span, "ip nexthop will not match");
                }
            } else if key == 2 {
                if e.dt.ty != TYPE_IP6ADDR {
                    return err(e.span, emsg);
                }
                if self.pctx.family == 2 {
                    return err(e.span, "ip6 nexthop will not match");
                }
            }
        }
        self.primary(e);
        Ok(())
    }

    /// `ct_gen_nh_dependency`.
    fn ct_nh_dependency(&mut self, e: &mut E) -> R<()> {
        let K::Ct {
            key, dir, nfproto, ..
        } = &mut e.k
        else {
            return Ok(());
        };
        let (key, dir) = (*key, *dir);
        let base_now = self.pctx.desc(BASE_NETWORK);
        let base = match *nfproto {
            2 => Some(P::Ip),
            10 => Some(P::Ip6),
            _ => {
                let b = self.pctx.desc(BASE_NETWORK);
                // nft 1.0.6 tests proto_ip twice: IPv6 never sets the family here.
                if b == Some(P::Ip) {
                    *nfproto = 2;
                }
                if b.is_none() {
                    return err(
                        e.span,
                        format!(
                            "cannot determine ip protocol version, use \"ip {0}addr\" or \"ip6 {0}addr\" instead",
                            if key == 8 { 's' } else { 'd' }
                        ),
                    );
                }
                b
            }
        };
        let nfp = match &e.k {
            K::Ct { nfproto, .. } => *nfproto,
            _ => 0,
        };
        if base == base_now {
            return Ok(());
        }
        if let (Some(bn), Some(b)) = (base_now, base)
            && bn != b
        {
            return err(
                e.span,
                format!(
                    "conflicting dependencies: {} vs. {}\n",
                    proto::desc(b).name,
                    proto::desc(bn).name
                ),
            );
        }
        if matches!(self.pctx.family, 2 | 10) {
            return Ok(());
        }
        let left = ct_alloc(7, dir, e.span);
        let right = proto_const(u32::from(nfp), left.dt, left.dt.bo, left.len, e.span);
        let dep = rel(Op::Eq, left, right, e.span);
        self.rel_pctx_update(&dep);
        self.pending.push(St::new(SK::Expr(dep), e.span));
        Ok(())
    }

    fn eval_ct(&mut self, e: &mut E) -> R<()> {
        let K::Ct { key, .. } = e.k else {
            return Ok(());
        };
        let base = self.pctx.desc(BASE_NETWORK);
        match key {
            8 | 9 => {
                let _ = self.ct_nh_dependency(e);
            }
            19 | 20 if base == Some(P::Ip6) => {
                return err(e.span, "conflicting protocols specified: ip6 vs. ip");
            }
            21 | 22 if base == Some(P::Ip) => {
                return err(e.span, "conflicting protocols specified: ip vs. ip6");
            }
            _ => {}
        }
        // ct_expr_update_type
        if let K::Ct {
            key,
            nfproto,
            base: cb,
            ..
        } = &mut e.k
        {
            let desc = self.pctx.desc(*cb);
            match *key {
                8 | 9 => {
                    if desc == Some(P::Ip) {
                        e.dt = Dt::of(TYPE_IPADDR);
                        *nfproto = 2;
                    } else if desc == Some(P::Ip6) {
                        e.dt = Dt::of(TYPE_IP6ADDR);
                        *nfproto = 10;
                    }
                    e.len = e.dt.size;
                }
                11 | 12 if desc.is_some() => {
                    e.dt = Dt::of(TYPE_INET_SERVICE);
                }
                19 | 20 => {
                    e.dt = Dt::of(TYPE_IPADDR);
                    e.len = 32;
                }
                21 | 22 => {
                    e.dt = Dt::of(TYPE_IP6ADDR);
                    e.len = 128;
                }
                _ => {}
            }
        }
        self.primary(e);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // payload and dependencies

    fn payload_parts(e: &E) -> (P, usize, u8, u32, bool) {
        match &e.k {
            K::Payload {
                p,
                tmpl,
                base,
                offset,
                is_raw,
                ..
            } => (*p, *tmpl, *base, *offset, *is_raw),
            _ => (P::Unknown, 0, 0, 0, false),
        }
    }

    fn add_offset(e: &mut E, add: u32) {
        if let K::Payload { offset, .. } = &mut e.k {
            *offset += add;
        }
    }

    /// `payload_add_dependency`.
    pub(crate) fn payload_add_dependency(&mut self, desc: P, upper: P, e: &E) -> R<St> {
        let Some(protocol) = proto::find_num(desc, upper) else {
            return err(
                e.span,
                format!(
                    "conflicting protocols specified: {} vs. {}",
                    proto::desc(desc).name,
                    proto::desc(upper).name
                ),
            );
        };
        let d = proto::desc(desc);
        let t = d.templates.get(d.protocol_key).copied();
        let Some(t) = t else {
            return err(e.span, "dependency statement is invalid");
        };
        let left = match t.meta_key {
            Some(k) => meta_alloc(k, e.span),
            None => payload_alloc(desc, d.protocol_key, e.span),
        };
        let tdt = Dt::of(t.dtype);
        let right = proto_const(protocol, tdt, tdt.bo, t.len, e.span);
        let dep = rel(Op::Eq, left, right, e.span);
        let mut st = St::new(SK::Expr(dep), e.span);
        if self.eval_dep(&mut st).is_err() {
            return err(e.span, "dependency statement is invalid");
        }
        if let SK::Expr(d) = &st.k {
            let d = d.clone();
            self.rel_pctx_update(&d);
        }
        Ok(st)
    }

    fn ll_hdr(&self) -> Option<P> {
        match self.pctx.family {
            1 => Some(P::Inet),
            7 => Some(P::Eth),
            5 => Some(P::Netdev),
            _ => None,
        }
    }

    /// `payload_gen_special_dependency`.
    fn special_dependency(&mut self, e: &E) -> R<Option<P>> {
        let (p, _, base, _, _) = Self::payload_parts(e);
        match base {
            BASE_LL => Ok(self.ll_hdr()),
            BASE_TRANSPORT => {
                if matches!(p, P::Icmp | P::Icmp6 | P::Igmp) {
                    let desc = match self.pctx.desc(BASE_LL) {
                        Some(d) => d,
                        None => match self.ll_hdr() {
                            Some(d) => d,
                            None => return Ok(None),
                        },
                    };
                    let upper = if p == P::Icmp6 { P::Ip6 } else { P::Ip };
                    let st = match self.payload_add_dependency(desc, upper, e) {
                        Ok(s) => s,
                        Err(_) => return Ok(None),
                    };
                    self.pending.push(st);
                    return Ok(Some(upper));
                }
                Ok(Some(P::InetService))
            }
            _ => Ok(None),
        }
    }

    /// `meta_stmt_meta_iiftype` evaluated.
    fn iiftype_dep(&mut self, ty: u16, span: Span) -> R<St> {
        let left = meta_alloc(8, span);
        let right = E::value(u128::from(ty), Dt::of(TYPE_ARPHRD), Bo::Host, 16, span);
        let mut st = St::new(SK::Expr(rel(Op::Eq, left, right, span)), span);
        if self.eval_dep(&mut st).is_err() {
            return err(span, "dependency statement is invalid");
        }
        Ok(st)
    }

    /// `payload_gen_dependency`.
    pub(crate) fn payload_gen_dependency(&mut self, e: &E) -> R<St> {
        let (p, _, base, _, _) = Self::payload_parts(e);
        let (hbase, _) = proto::hook_proto(self.pctx.family);
        if base < hbase {
            if base + 1 < hbase {
                return err(e.span, "payload base is invalid for this family");
            }
            let Some(ty) = proto::dev_type(p) else {
                return err(e.span, "protocol specification is invalid for this family");
            };
            return self.iiftype_dep(ty, e.span);
        }
        let mut desc = if base == 0 {
            None
        } else {
            self.pctx.desc(base - 1)
        };
        if desc.is_none() {
            desc = self.special_dependency(e)?;
        }
        let Some(mut desc) = desc else {
            return err(
                e.span,
                format!(
                    "ambiguous payload specification: no {} protocol specified",
                    proto::base_name(base.saturating_sub(1))
                ),
            );
        };
        if self.pctx.family == 7 && desc == P::Eth && matches!(p, P::Ip | P::Ip6) {
            desc = P::Netdev;
        }
        self.payload_add_dependency(desc, p, e)
    }

    /// `conflict_resolution_gen_dependency`.
    fn conflict_dependency(&mut self, protocol: u32, e: &E) -> R<St> {
        let Some(desc) = self.pctx.desc(BASE_LL) else {
            return err(e.span, "dependency statement is invalid");
        };
        let d = proto::desc(desc);
        let Some(t) = d.templates.get(d.protocol_key).copied() else {
            return err(e.span, "dependency statement is invalid");
        };
        let left = payload_alloc(desc, d.protocol_key, e.span);
        let tdt = Dt::of(t.dtype);
        let right = proto_const(protocol, tdt, tdt.bo, t.len, e.span);
        let mut st = St::new(SK::Expr(rel(Op::Eq, left, right, e.span)), e.span);
        if self.eval_dep(&mut st).is_err() {
            return err(e.span, "dependency statement is invalid");
        }
        Ok(st)
    }

    /// `resolve_protocol_conflict`: 0 resolved, 1 conflict.
    fn resolve_conflict(&mut self, mut desc: P, e: &mut E) -> R<u8> {
        let (p, _, base, _, _) = Self::payload_parts(e);
        if base == BASE_LL {
            if matches!(desc, P::Inet | P::Netdev) {
                let Some(ty) = proto::dev_type(p) else {
                    return err(e.span, "protocol specification is invalid for this family");
                };
                let st = self.iiftype_dep(ty, e.span)?;
                desc = p;
                self.pending.push(st);
            } else if self.pctx.stacked_ll.contains(&p) {
                return Ok(0);
            }
        }
        if self.pctx.desc(base + 1).is_some() {
            return Ok(1);
        }
        let Some(link) = proto::find_num(desc, p) else {
            return Ok(1);
        };
        let st = match self.conflict_dependency(link, e) {
            Ok(s) => s,
            Err(_) => return Ok(1),
        };
        if base == BASE_LL {
            let add: u32 = self
                .pctx
                .stacked_ll
                .iter()
                .map(|d| proto::desc(*d).length)
                .sum();
            Self::add_offset(e, add);
        }
        self.pending.push(st);
        Ok(0)
    }

    /// `__expr_evaluate_payload`.
    pub(crate) fn payload_deps(&mut self, e: &mut E) -> R<()> {
        let (p, tmpl, base, _, is_raw) = Self::payload_parts(e);
        if is_raw {
            return Ok(());
        }
        let mut desc = self.pctx.desc(base);
        let mut check_icmp = false;
        if desc.is_none() {
            let st = self.payload_gen_dependency(e)?;
            self.pending.push(st);
            desc = self.pctx.desc(base);
            if desc == Some(p) {
                check_icmp = true;
            } else if base == BASE_LL {
                let d = desc.unwrap_or(P::Unknown);
                let link = proto::find_num(d, p);
                let st = match link {
                    Some(l) => self.conflict_dependency(l, e).ok(),
                    None => None,
                };
                let Some(st) = st else {
                    return err(
                        e.span,
                        format!(
                            "conflicting protocols specified: {} vs. {}",
                            proto::desc(d).name,
                            proto::desc(p).name
                        ),
                    );
                };
                let add = self
                    .pctx
                    .stacked_ll
                    .first()
                    .map(|d| proto::desc(*d).length)
                    .unwrap_or(0);
                Self::add_offset(e, add);
                self.pending.push(st);
                return Ok(());
            }
        }
        let Some(mut d) = desc else {
            return err(e.span, "no protocol context");
        };
        if !check_icmp {
            if base == proto::desc(d).base && self.pctx.is_ambiguous(base) {
                let c = self.pctx.find_conflict(base, p).unwrap_or(d);
                return err(
                    e.span,
                    format!(
                        "conflicting protocols specified: {} vs. {}",
                        proto::desc(c).name,
                        proto::desc(p).name
                    ),
                );
            }
            if d == p {
                if proto::desc(d).base == BASE_LL {
                    let add: u32 = self
                        .pctx
                        .stacked_ll
                        .iter()
                        .map(|x| proto::desc(*x).length)
                        .sum();
                    Self::add_offset(e, add);
                }
                check_icmp = true;
            }
        }
        if check_icmp {
            if !matches!(d, P::Icmp | P::Icmp6) {
                return Ok(());
            }
            let t = proto::desc(p).templates.get(tmpl).copied();
            let Some(t) = t else { return Ok(()) };
            if t.icmp_dep == proto::IcmpDep::Any {
                return Ok(());
            }
            if let Some(st) = self.icmp_dependency(e, t.icmp_dep)? {
                self.pending.push(st);
            }
            return Ok(());
        }
        if base == proto::desc(d).base {
            if self.resolve_conflict(d, e)? == 0 {
                return Ok(());
            }
            d = self.pctx.desc(base).unwrap_or(P::Unknown);
            if d == p {
                return Ok(());
            }
        }
        err(
            e.span,
            format!(
                "conflicting protocols specified: {} vs. {}",
                proto::desc(self.pctx.desc(base).unwrap_or(d)).name,
                proto::desc(p).name
            ),
        )
    }

    /// `payload_gen_icmp_dependency`.
    fn icmp_dependency(&mut self, e: &E, dep: proto::IcmpDep) -> R<Option<St>> {
        use proto::IcmpDep as D;
        let (p, _, _, _, _) = Self::payload_parts(e);
        let cur = self.pctx.icmp_type;
        let span = e.span;
        let (ty, st) = match dep {
            D::Any => return Ok(None),
            D::Echo => {
                if cur == 8 {
                    return Ok(None);
                }
                if cur != 0 {
                    return err(
                        span,
                        format!("incompatible icmp match: rule has {cur}, need 8"),
                    );
                }
                (8, self.icmp_echo_dep(p, 8, 0, TYPE_ICMP_TYPE, span))
            }
            D::Mtu | D::Address => {
                let ty = if dep == D::Mtu { 3 } else { 5 };
                if cur == ty {
                    return Ok(None);
                }
                if cur != 0 {
                    return err(
                        span,
                        format!("incompatible icmp match: rule has {cur}, need {ty}"),
                    );
                }
                (ty, self.icmp_simple_dep(p, ty, TYPE_ICMP_TYPE, span))
            }
            D::Icmp6Echo => {
                if cur == 128 || cur == 129 {
                    return Ok(None);
                }
                if cur != 0 {
                    return err(
                        span,
                        format!("incompatible icmp match: rule has {cur}, need 128"),
                    );
                }
                (128, self.icmp_echo_dep(p, 128, 129, TYPE_ICMP6_TYPE, span))
            }
            D::Icmp6Mtu | D::Icmp6Mgmq | D::Icmp6Pptr => {
                let ty = match dep {
                    D::Icmp6Mtu => 2,
                    D::Icmp6Mgmq => 130,
                    _ => 4,
                };
                if cur == ty {
                    return Ok(None);
                }
                if cur != 0 {
                    return err(
                        span,
                        format!("incompatible icmp match: rule has {cur}, need {ty}"),
                    );
                }
                (ty, self.icmp_simple_dep(p, ty, TYPE_ICMP6_TYPE, span))
            }
        };
        self.pctx.icmp_type = ty;
        let mut st = st;
        if self.eval_dep(&mut st).is_err() {
            return err(span, "icmp dependency statement is invalid");
        }
        Ok(Some(st))
    }

    fn icmp_simple_dep(&self, p: P, ty: u8, dtype: u32, span: Span) -> St {
        let d = proto::desc(p);
        let left = payload_alloc(p, d.protocol_key, span);
        let right = E::value(u128::from(ty), Dt::of(dtype), Bo::Big, 8, span);
        St::new(SK::Expr(rel(Op::Eq, left, right, span)), span)
    }

    fn icmp_echo_dep(&self, p: P, echo: u8, reply: u8, dtype: u32, span: Span) -> St {
        let d = proto::desc(p);
        let left = payload_alloc(p, d.protocol_key, span);
        let mk = |v: u8| {
            let key = E::value(u128::from(v), Dt::of(dtype), Bo::Big, 8, span);
            E::new(
                K::Elem(Box::new(Elem {
                    key,
                    timeout: 0,
                    expiration: 0,
                    comment: None,
                    stmts: Vec::new(),
                    elem_flags: 0,
                })),
                span,
            )
        };
        let set = E::new(
            K::Set {
                items: vec![mk(echo), mk(reply)],
                set_flags: 0,
                size: 2,
            },
            span,
        );
        St::new(SK::Expr(rel(Op::Implicit, left, set, span)), span)
    }

    fn eval_payload(&mut self, e: &mut E) -> R<()> {
        if let K::Payload {
            evaluated: true, ..
        } = e.k
        {
            return Ok(());
        }
        self.payload_deps(e)?;
        self.primary(e);
        let (_, _, _, offset, _) = Self::payload_parts(e);
        if let K::Payload { evaluated, .. } = &mut e.k {
            *evaluated = true;
        }
        if offset % 8 != 0 || e.len % 8 != 0 {
            self.eval_bits(e);
        }
        Ok(())
    }

    /// `expr_evaluate_bits` (payload and exthdr fields that are not whole bytes).
    pub(crate) fn eval_bits(&mut self, e: &mut E) {
        let offset = match &e.k {
            K::Exthdr { offset, .. } => *offset,
            _ => Self::payload_parts(e).3,
        };
        let len = e.len;
        let mut extra = 0u32;
        let new_off = offset % 8;
        let rlen = len.div_ceil(8) * 8;
        let mut shift = rlen as i64 - i64::from(new_off + len);
        while shift < 0 {
            shift += 8;
            extra += 8;
        }
        let shift = shift as u32;
        let masklen = len + shift;
        let root = Dt::of(e.dt.root());
        let mask = E::value(bitmask(len) << shift, root, Bo::Host, masklen, e.span);
        let (dt, bo, span) = (e.dt, e.bo, e.span);
        let mut inner = take(e);
        if extra != 0 {
            inner.len += extra;
        }
        let and = E::typed(
            K::Binop {
                op: Op::And,
                l: Box::new(inner),
                r: Box::new(mask),
            },
            dt,
            bo,
            masklen,
            span,
        );
        *e = if shift != 0 {
            let off = E::value(u128::from(shift), root, Bo::Host, 1, span);
            E::typed(
                K::Binop {
                    op: Op::Rshift,
                    l: Box::new(and),
                    r: Box::new(off),
                },
                dt,
                bo,
                masklen,
                span,
            )
        } else {
            and
        };
    }

    /// `payload_gen_dependency` for a statement (reject).
    pub(crate) fn gen_dependency_for(&mut self, e: &E) -> R<St> {
        self.payload_gen_dependency(e)
    }

    /// `relational_expr_pctx_update`.
    pub(crate) fn rel_pctx_update(&mut self, e: &E) {
        let K::Rel { op, l, r } = &e.k else { return };
        if !matches!(op, Op::Eq | Op::Implicit) {
            return;
        }
        if l.flags & F_PROTOCOL == 0
            || !matches!(l.k, K::Payload { .. } | K::Meta { .. } | K::Ct { .. })
        {
            return;
        }
        if r.is_singleton() {
            if matches!(r.k, K::Value(_)) {
                self.pctx_update(l, r, e.span);
            }
        } else if let K::Set { items, .. } = &r.k {
            for i in items {
                if let K::Elem(el) = &i.k
                    && matches!(el.key.k, K::Value(_))
                {
                    let k = el.key.clone();
                    self.pctx_update(l, &k, e.span);
                }
            }
        }
    }

    fn pctx_update(&mut self, l: &E, r: &E, _span: Span) {
        match &l.k {
            K::Payload { base, is_raw, .. } => {
                let proto = proto_num(r.val(), r.bo, r.len);
                let Some(bdesc) = self.pctx.desc(*base) else {
                    return;
                };
                let Some(desc) = proto::find_upper(bdesc, proto) else {
                    if bdesc == P::Icmp {
                        self.pctx.icmp_type = if proto != 0 { proto as u8 } else { 8 };
                    } else if bdesc == P::Icmp6 {
                        let p = if proto == 129 { 128 } else { proto };
                        self.pctx.icmp_type = p as u8;
                    }
                    return;
                };
                let dd = proto::desc(desc);
                if dd.base == proto::desc(bdesc).base
                    && !is_raw
                    && dd.base == BASE_LL
                    && self.pctx.stacked_ll.len() < 16
                {
                    self.pctx.stacked_ll.push(bdesc);
                }
                self.pctx.update(dd.base, desc);
            }
            K::Meta { key, .. } => {
                let (hbase, hdesc) = proto::hook_proto(self.pctx.family);
                let fam = self.pctx.family;
                match key {
                    8 => {
                        if hbase < BASE_NETWORK && fam != 1 && fam != 5 {
                            return;
                        }
                        let d = proto::dev_desc(r.val() as u16).unwrap_or(P::Unknown);
                        self.pctx.update(BASE_LL, d);
                    }
                    15 => {
                        let n = r.val() as u8;
                        let mut d = proto::find_upper(hdesc, u32::from(n)).unwrap_or(P::Unknown);
                        if d == P::Unknown && n == fam && hbase == BASE_NETWORK {
                            d = hdesc;
                        }
                        self.pctx.update(BASE_NETWORK, d);
                    }
                    16 => {
                        let d = proto::find_upper(P::InetService, (r.val() as u8).into())
                            .unwrap_or(P::Unknown);
                        self.pctx.update(BASE_TRANSPORT, d);
                    }
                    1 => {
                        if hbase != BASE_LL || (fam != 5 && fam != 7) {
                            return;
                        }
                        let v = (r.val() as u16).swap_bytes();
                        let d = proto::find_upper(hdesc, u32::from(v)).unwrap_or(P::Unknown);
                        self.pctx.update(BASE_NETWORK, d);
                    }
                    _ => {}
                }
            }
            K::Ct { base, .. } => {
                let n = r.val() as u32;
                let Some(b) = self.pctx.desc(*base) else {
                    return;
                };
                let Some(d) = proto::find_upper(b, n) else {
                    return;
                };
                self.pctx.update(base + 1, d);
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------------------------------------
    // prefix, range, unary, binop

    fn eval_prefix(&mut self, e: &mut E) -> R<()> {
        let K::Prefix { base, plen } = &mut e.k else {
            return Ok(());
        };
        let plen = *plen;
        self.expr(base)?;
        if !base.is_constant() {
            return err(
                e.span,
                "Prefix expression is undefined for non-constant expressions",
            );
        }
        let root = base.dt.root();
        if root != TYPE_INTEGER && root != TYPE_STRING {
            return err(
                e.span,
                format!(
                    "Prefix expression is undefined for {} types",
                    base.dt.desc()
                ),
            );
        }
        if plen > base.len {
            return err(
                e.span,
                format!(
                    "Prefix length {plen} is invalid for type of {} bits width",
                    base.len
                ),
            );
        }
        let m = if root == TYPE_INTEGER {
            prefix_mask(base.len, plen)
        } else {
            bitmask(plen)
        };
        let mask = E::value(m, Dt::of(root), Bo::Host, base.len, e.span);
        let b = take(base);
        let (bdt, bbo, blen, bspan) = (b.dt, b.bo, b.len, b.span);
        let mut and = E::typed(
            K::Binop {
                op: Op::And,
                l: Box::new(b),
                r: Box::new(mask),
            },
            bdt,
            bbo,
            blen,
            bspan,
        );
        self.expr(&mut and)?;
        let (dt, bo, len) = (and.dt, and.bo, and.len);
        if let K::Prefix { base, .. } = &mut e.k {
            **base = and;
        }
        e.dt = dt;
        e.bo = bo;
        e.len = len;
        e.flags |= F_CONSTANT;
        Ok(())
    }

    fn eval_range_part(&mut self, x: &mut E, range_span: Span) -> R<()> {
        self.expr(x)?;
        if x.dt.root() != TYPE_INTEGER {
            return Err(Diagnostic::error(
                x.span,
                format!("Range expression is undefined for {} types", x.dt.desc()),
            )
            .with_note("in this range", Some(range_span)));
        }
        if !x.is_constant() {
            return Err(Diagnostic::error(x.span, "Range is not constant")
                .with_note("in this range", Some(range_span)));
        }
        Ok(())
    }

    fn eval_range_parts(&mut self, e: &mut E) -> R<()> {
        let span = e.span;
        if let K::Range(l, r) = &mut e.k {
            self.eval_range_part(l, span)?;
            self.eval_range_part(r, span)?;
        }
        Ok(())
    }

    fn eval_range(&mut self, e: &mut E) -> R<()> {
        self.eval_range_parts(e)?;
        let K::Range(l, r) = &e.k else { return Ok(()) };
        if l.val() > r.val() {
            return err(e.span, "Range has zero or negative size");
        }
        e.dt = l.dt;
        e.flags |= F_CONSTANT;
        Ok(())
    }

    fn eval_unary(&mut self, e: &mut E) -> R<()> {
        let K::Unary { op, arg } = &mut e.k else {
            return Ok(());
        };
        let op = *op;
        self.expr(arg)?;
        e.dt = arg.dt;
        e.len = arg.len;
        e.bo = if op == Op::Hton { Bo::Big } else { Bo::Host };
        Ok(())
    }

    /// `byteorder_conversion`.
    pub(crate) fn byteorder_conversion(&mut self, e: &mut E, bo: Bo) -> R<()> {
        if e.bo == bo {
            return Ok(());
        }
        if let K::Concat { items, .. } = &mut e.k {
            for i in items.iter_mut() {
                if i.bo == Bo::Big || i.dt.root() == TYPE_STRING {
                    continue;
                }
                let op = conv_op(i, bo)?;
                let arg = take(i);
                let span = arg.span;
                let mut u = E::new(
                    K::Unary {
                        op,
                        arg: Box::new(arg),
                    },
                    span,
                );
                self.expr(&mut u)?;
                *i = u;
            }
            return Ok(());
        }
        match e.dt.root() {
            TYPE_INTEGER => {}
            TYPE_STRING => return Ok(()),
            _ => {
                return err(
                    e.span,
                    format!(
                        "Byteorder mismatch: {} expected {}, {} got {}",
                        bo_name(bo),
                        e.name(),
                        bo_name(e.bo),
                        e.name()
                    ),
                );
            }
        }
        if e.is_constant() || e.len / 8 < 2 {
            e.bo = bo;
        } else {
            let op = conv_op(e, bo)?;
            let arg = take(e);
            let span = arg.span;
            let mut u = E::new(
                K::Unary {
                    op,
                    arg: Box::new(arg),
                },
                span,
            );
            self.expr(&mut u)?;
            *e = u;
        }
        Ok(())
    }

    /// `constant_binop_simplify`.
    fn binop_simplify(&mut self, e: &mut E) -> R<()> {
        let K::Binop { op, l, r } = &e.k else {
            return Ok(());
        };
        let mask = bitmask(e.len);
        let (a, b) = (l.val(), r.val());
        let v = match op {
            Op::And => a & b & mask,
            Op::Xor => (a ^ b) & mask,
            Op::Or => (a | b) & mask,
            Op::Lshift => a.checked_shl(b as u32).unwrap_or(0) & mask,
            Op::Rshift => (a & mask).checked_shr(b as u32).unwrap_or(0),
            _ => return err(e.span, "invalid binary operation"),
        };
        let mut n = E::value(v, e.dt, e.bo, e.len, e.span);
        self.expr(&mut n)?;
        *e = n;
        Ok(())
    }

    fn eval_binop(&mut self, e: &mut E) -> R<()> {
        let span = e.span;
        let K::Binop { op, l, r } = &mut e.k else {
            return Ok(());
        };
        let op = *op;
        let sym = op.symbol();
        self.expr(l)?;
        if matches!(op, Op::Lshift | Op::Rshift) {
            let len = self.ectx.len;
            self.set_ectx(Some(Dt::of(TYPE_INTEGER)), l.bo, len);
        }
        self.expr(r)?;
        match l.dt.root() {
            TYPE_INTEGER | TYPE_STRING => {}
            _ => {
                return err(
                    l.span,
                    format!(
                        "Binary operation ({sym}) is undefined for {} types",
                        l.dt.desc()
                    ),
                );
            }
        }
        if l.is_constant() && !l.is_singleton() {
            return err(
                l.span,
                format!(
                    "Binary operation ({sym}) is undefined for {} expressions",
                    l.name()
                ),
            );
        }
        if !r.is_constant() {
            return err(
                r.span,
                format!("Right hand side of binary operation ({sym}) must be constant"),
            );
        }
        if !r.is_singleton() {
            return err(
                l.span,
                format!(
                    "Binary operation ({sym}) is undefined for {} expressions",
                    r.name()
                ),
            );
        }
        let _ = span;
        match op {
            Op::Lshift | Op::Rshift => {
                let sh = r.val();
                if sh >= u128::from(l.len) {
                    return err(
                        r.span,
                        format!(
                            "{} shift of {sh} bits is undefined for type of {} bits width",
                            if op == Op::Lshift { "Left" } else { "Right" },
                            l.len
                        ),
                    );
                }
                let mut lv = take(l);
                self.byteorder_conversion(&mut lv, Bo::Host)?;
                let mut rv = take(r);
                self.byteorder_conversion(&mut rv, Bo::Host)?;
                let llen = lv.len;
                let lconst = lv.is_constant();
                if let K::Binop { l, r, .. } = &mut e.k {
                    **l = lv;
                    **r = rv;
                }
                e.bo = Bo::Host;
                e.len = llen;
                if lconst {
                    return self.binop_simplify(e);
                }
                Ok(())
            }
            _ => {
                let lbo = l.bo;
                let mut rv = take(r);
                self.byteorder_conversion(&mut rv, lbo)?;
                let (ldt, llen, lconst) = (l.dt, l.len, l.is_constant());
                if let K::Binop { r, .. } = &mut e.k {
                    **r = rv;
                }
                e.dt = ldt;
                e.bo = lbo;
                e.len = llen;
                if lconst {
                    return self.binop_simplify(e);
                }
                Ok(())
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // concatenations, lists, sets, maps

    fn eval_concat(&mut self, e: &mut E) -> R<()> {
        let dtype = self.ectx.dtype;
        let ty = dtype.map(|d| d.ty).unwrap_or(0);
        let mut off: i64 = dtype.map(|d| d.subtypes() as i64).unwrap_or(0);
        let mut flags = F_CONSTANT | F_SINGLETON;
        let key_ctx: Option<Box<E>> = match &self.ectx.key {
            Some(k) if matches!(k.k, K::Concat { .. }) => Some(k.clone()),
            _ => None,
        };
        let key_items: Option<Vec<E>> = key_ctx.as_ref().and_then(|k| match &k.k {
            K::Concat { items, .. } => Some(items.clone()),
            _ => None,
        });
        let mut key_idx = 0usize;
        let mut runaway = false;
        let mut ntype = 0u32;
        let mut size = 0u32;
        let mut field_len = Vec::new();
        let econst = e.is_constant();
        let espan = e.span;
        let K::Concat { items, .. } = &mut e.k else {
            return Ok(());
        };
        for i in items.iter_mut() {
            if runaway {
                return err(espan, "too many concatenation components");
            }
            if let K::Ct { key: 8 | 9, .. } = i.k {
                return err(i.span, "specify either ip or ip6 for address matching");
            }
            if econst
                && let Some(d) = dtype
                && off == 0
            {
                return err(
                    i.span,
                    format!("unexpected concat component, expecting {}", d.desc()),
                );
            }
            let key = key_items.as_ref().and_then(|k| k.get(key_idx));
            let (tmp, mut dsize, bo) = if let Some(k) = key {
                off -= 1;
                (k.dt, k.len, k.bo)
            } else if dtype.is_none() {
                (Dt::of(TYPE_INVALID), 0, Bo::Invalid)
            } else {
                off -= 1;
                let subs = concat_subtypes(ty);
                let n = subs.len() as i64;
                let idx = n - 1 - off;
                let t = if idx >= 0 && (idx as usize) < subs.len() {
                    Dt::of(subs[idx as usize])
                } else {
                    Dt::of(TYPE_INVALID)
                };
                (t, t.size, t.bo)
            };
            self.set_ectx(Some(tmp), bo, dsize);
            self.expr(i)?;
            flags &= i.flags;
            if key.is_none() && i.dt.ty == TYPE_INTEGER {
                i.dt = Dt {
                    ty: TYPE_INTEGER,
                    size: i.len,
                    bo: i.bo,
                };
            }
            if dtype.is_none() && i.dt.size == 0 {
                return err(
                    i.span,
                    format!(
                        "can not use variable sized data types ({}) in concat expressions",
                        i.dt.name()
                    ),
                );
            }
            if dsize == 0 {
                dsize = i.dt.size;
            }
            ntype = concat_add(ntype, i.dt.ty);
            field_len.push(dsize.div_ceil(8));
            size += padded(dsize);
            if let Some(k) = &key_items {
                if key_idx + 1 >= k.len() {
                    runaway = true;
                }
                key_idx += 1;
            }
        }
        if let K::Concat { field_len: f, .. } = &mut e.k {
            *f = field_len;
        }
        e.flags |= flags;
        e.dt = Dt {
            ty: ntype,
            size,
            bo: Bo::Invalid,
        };
        e.len = size;
        if off > 0 {
            let d = dtype.map(|d| d.desc()).unwrap_or_default();
            return err(
                e.span,
                format!(
                    "datatype mismatch, expected {d}, expression has type {}",
                    e.dt.desc()
                ),
            );
        }
        self.expr_set_context(Some(e.dt), e.len);
        self.ectx.key = match key_ctx {
            Some(k) => Some(k),
            None => Some(Box::new(e.clone())),
        };
        Ok(())
    }

    fn eval_list(&mut self, e: &mut E) -> R<()> {
        let K::List(items) = &mut e.k else {
            return Ok(());
        };
        let mut v = 0u128;
        for i in items.iter_mut() {
            self.expr(i)?;
            if !matches!(i.k, K::Value(_)) {
                return err(i.span, "List member must be a constant value");
            }
            if i.dt.immediate_base() != Some(TYPE_BITMASK) {
                return err(
                    i.span,
                    format!("Basetype of type {} is not bitmask", i.dt.desc()),
                );
            }
            v |= i.val();
        }
        let dt = self.ectx.dtype.unwrap_or(Dt::of(TYPE_INVALID));
        *e = E::value(v, dt, Bo::Host, self.ectx.len, e.span);
        Ok(())
    }

    /// `__expr_evaluate_set_elem`: statement checks against the set.
    fn elem_stmt_checks(&self, el: &Elem, span: Span) -> R<()> {
        let Some(si) = self.set_ctx else {
            return Ok(());
        };
        let set = &self.cache.sets[si];
        let ne = el.stmts.len();
        let ns = set.stmts.len();
        if ne > 0 {
            if ns > 0 && ne != ns {
                return err(
                    span,
                    format!("number of statements mismatch, set expects {ns} but element has {ne}"),
                );
            } else if ns == 0 {
                if set.flags & SET_EVAL == 0 {
                    return err(
                        el.stmts[0].span,
                        format!(
                            "missing statement in {} declaration",
                            if set.is_map() { "map" } else { "set" }
                        ),
                    );
                }
                return Ok(());
            }
            for (a, b) in set.stmts.iter().zip(&el.stmts) {
                if a.name() != b.name() {
                    return err(
                        b.span,
                        format!(
                            "statement mismatch, element expects {}, but {} has type {}",
                            b.name(),
                            if set.is_map() { "map" } else { "set" },
                            a.name()
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn eval_elem(&mut self, e: &mut E) -> R<()> {
        let span = e.span;
        let K::Elem(el) = &mut e.k else {
            return Ok(());
        };
        if let Some(si) = self.set_ctx {
            self.elem_stmt_checks(el, span)?;
            if let Some(k) = self.cache.sets[si].key.clone() {
                self.set_ectx(Some(k.dt), k.bo, k.len);
                self.ectx.key = Some(Box::new(k));
            }
        }
        self.expr(&mut el.key)?;
        if let Some(si) = self.set_ctx {
            let s = &self.cache.sets[si];
            if s.flags & (SET_ANON | SET_INTERVAL) == 0 {
                let what = if s.is_map() { "map" } else { "set" };
                let bad = |k: &E| matches!(k.k, K::Prefix { .. } | K::Range(..));
                let culprit = if bad(&el.key) {
                    Some((el.key.span, el.key.name()))
                } else if let K::Concat { items, .. } = &el.key.k {
                    items.iter().find(|i| bad(i)).map(|i| (i.span, i.name()))
                } else {
                    None
                };
                if let Some((sp, name)) = culprit {
                    return err(
                        sp,
                        format!(
                            "You must add 'flags interval' to your {what} declaration if you want to add {name} elements"
                        ),
                    );
                }
            }
        }
        let (dt, len, flags) = (el.key.dt, el.key.len, el.key.flags);
        e.dt = dt;
        e.len = len;
        e.flags = flags;
        Ok(())
    }

    fn eval_set(&mut self, e: &mut E) -> R<()> {
        let span = e.span;
        let K::Set {
            items,
            set_flags,
            size,
        } = &mut e.k
        else {
            return Ok(());
        };
        let mut i = 0usize;
        while i < items.len() {
            self.expr(&mut items[i])?;
            // A set as the key of a mapping: one mapping per member.
            let expand = match &items[i].k {
                K::Mapping(l, _) => match &l.k {
                    K::Elem(el) => matches!(el.key.k, K::Set { .. }),
                    _ => false,
                },
                _ => false,
            };
            if expand {
                let it = items.remove(i);
                if let K::Mapping(l, r) = it.k
                    && let K::Elem(el) = l.k
                    && let K::Set { items: inner, .. } = el.key.k
                {
                    for j in inner {
                        items.push(E::new(K::Mapping(Box::new(j), r.clone()), it.span));
                        *size += 1;
                    }
                }
                continue;
            }
            let is_setref_elem = {
                let el = match &items[i].k {
                    K::Mapping(l, _) => l,
                    _ => &items[i],
                };
                matches!(&el.k, K::Elem(x) if matches!(x.key.k, K::SetRef(_)))
            };
            if is_setref_elem {
                return err(items[i].span, "Set reference cannot be part of another set");
            }
            let nested = matches!(&items[i].k, K::Elem(x) if matches!(x.key.k, K::Set { .. }));
            if nested {
                let it = items.remove(i);
                if let K::Elem(el) = it.k {
                    let inner = el.key;
                    if let K::Set { set_flags: f, .. } = &inner.k {
                        *set_flags |= *f;
                    }
                    items.insert(i, inner);
                }
            }
            if !items[i].is_constant() {
                return err(items[i].span, "Set member is not constant");
            }
            if matches!(items[i].k, K::Set { .. }) {
                let it = items.remove(i);
                if let K::Set {
                    items: inner,
                    set_flags: f,
                    size: isz,
                } = it.k
                {
                    let n = inner.len();
                    for (off, x) in inner.into_iter().enumerate() {
                        items.insert(i + off, x);
                    }
                    *size = (*size + isz).saturating_sub(1);
                    *set_flags |= f;
                    i += n;
                }
                continue;
            } else if !items[i].is_singleton() {
                *set_flags |= SET_INTERVAL;
                let el = match &items[i].k {
                    K::Mapping(l, _) => l,
                    _ => &items[i],
                };
                if let K::Elem(x) = &el.k
                    && matches!(x.key.k, K::Concat { .. })
                {
                    *set_flags |= SET_CONCAT;
                }
            }
            i += 1;
        }
        if let Some(si) = self.set_ctx {
            if self.cache.sets[si].flags & SET_CONCAT != 0 {
                *set_flags |= SET_CONCAT;
            }
        } else if *size == 1
            && let Some(first) = items.first()
            && let K::Elem(el) = &first.k
            && matches!(el.key.k, K::Prefix { .. } | K::Range(..) | K::Value(_))
        {
            let k = el.key.clone();
            *e = k;
            return Ok(());
        }
        *set_flags |= SET_CONSTANT;
        e.dt = self.ectx.dtype.unwrap_or(Dt::of(TYPE_INVALID));
        e.len = self.ectx.len;
        e.flags |= F_CONSTANT;
        let _ = span;
        Ok(())
    }

    /// `implicit_set_declaration`: an anonymous set of the current rule.
    pub(crate) fn implicit_set(
        &mut self,
        name: &str,
        mut key: E,
        data: Option<E>,
        init: E,
        objtype: u32,
    ) -> R<E> {
        let set_flags = match &init.k {
            K::Set { set_flags, .. } => *set_flags,
            _ => 0,
        };
        if set_flags & SET_MAP != 0 && key.dt.ty == TYPE_INTEGER && key.dt.bo != key.bo {
            key.dt.bo = key.bo;
        }
        let span = init.span;
        let mut s = SetDef::new(name.to_string(), self.family, self.table.clone(), span);
        s.flags = SET_ANON | set_flags;
        s.automerge = s.flags & SET_INTERVAL != 0;
        s.objtype = objtype;
        *self.next_set_id += 1;
        s.id = *self.next_set_id;
        // set_evaluate (anonymous part)
        let kind = if s.is_map() { "map" } else { "set" };
        if key.len == 0 {
            return err(
                span,
                format!(
                    "unqualified type {} specified in {kind} definition",
                    key.dt.name()
                ),
            );
        }
        if s.flags & SET_INTERVAL != 0
            && let K::Concat { field_len, .. } = &key.k
        {
            s.field_len = field_len.clone();
            s.flags |= SET_CONCAT;
        }
        let mut data = data;
        if s.is_datamap() {
            let Some(d) = &mut data else {
                return err(span, "map definition does not specify mapping data type");
            };
            if d.flags & F_INTERVAL != 0 {
                d.len *= 2;
            }
            if d.len == 0 && d.dt.ty != TYPE_VERDICT {
                return err(
                    span,
                    format!(
                        "unqualified type {} specified in {kind} definition",
                        d.dt.name()
                    ),
                );
            }
        } else if s.is_objmap() {
            data = Some(E::value(0, Dt::of(TYPE_STRING), Bo::Host, 256 * 8, span));
        }
        let kdt = key.dt;
        s.key = Some(key);
        s.data = data;
        s.init = Some(init);
        let idx = self.cache.sets.len();
        self.cache.sets.push(s);
        if let Some(t) = self.cache.table_mut(self.family, &self.table.clone()) {
            t.sets.push(idx);
        }
        self.anon.push(idx);
        if set_flags & SET_INTERVAL != 0 && set_flags & SET_CONCAT == 0 {
            super::intervals::interval_set_eval(self.cache, idx, super::intervals::Cmd::Add)?;
        }
        let mut r = E::typed(K::SetRef(idx), kdt, Bo::Invalid, 0, span);
        r.flags |= F_CONSTANT;
        Ok(r)
    }

    fn eval_map(&mut self, e: &mut E) -> R<()> {
        let saved = self.ectx.clone();
        let span = e.span;
        let K::Map { key, mappings } = &mut e.k else {
            return Ok(());
        };
        let ct_addr = |x: &E| matches!(x.k, K::Ct { key: 8 | 9, .. });
        if ct_addr(key) {
            return err(key.span, "specify either ip or ip6 for address matching");
        }
        if let K::Concat { items, .. } = &key.k
            && let Some(i) = items.iter().find(|i| ct_addr(i))
        {
            return err(i.span, "specify either ip or ip6 for address matching");
        }
        self.expr_set_context(None, 0);
        self.expr(key)?;
        if key.is_constant() {
            return err(key.span, "Map expression can not be constant");
        }
        if let K::Set { set_flags, .. } = &mut mappings.k {
            *set_flags |= SET_MAP;
        }
        match &mappings.k {
            K::Set { .. } => {
                let skey = match &self.ectx.key {
                    Some(k) if matches!(k.k, K::Concat { .. }) => (**k).clone(),
                    _ => E::value(
                        0,
                        self.ectx.dtype.unwrap_or(Dt::of(TYPE_INVALID)),
                        self.ectx.bo.unwrap_or(Bo::Invalid),
                        self.ectx.len,
                        span,
                    ),
                };
                let mut sdt = saved.dtype.unwrap_or(Dt::of(TYPE_INVALID));
                if sdt.ty == TYPE_INTEGER {
                    sdt.bo = saved.bo.unwrap_or(Bo::Invalid);
                }
                let data = if sdt.ty == TYPE_VERDICT {
                    let mut v = E::verdict(0, None, Span::DUMMY);
                    v.flags = F_CONSTANT | F_SINGLETON;
                    v
                } else {
                    E::value(0, sdt, sdt.bo, saved.len, Span::DUMMY)
                };
                let init = take(mappings);
                let r = self.implicit_set("__map%d", skey, Some(data), init, 0)?;
                let K::SetRef(si) = r.k else {
                    return Ok(());
                };
                **mappings = r;
                let prev = self.set_ctx.replace(si);
                let mut init = self.cache.sets[si]
                    .init
                    .take()
                    .unwrap_or(E::new(K::Catchall, span));
                let res = self.expr(&mut init);
                self.cache.sets[si].init = Some(init);
                res?;
                let isf = match &self.cache.sets[si].init {
                    Some(E {
                        k: K::Set { set_flags, .. },
                        ..
                    }) => *set_flags,
                    _ => 0,
                };
                if isf & SET_INTERVAL != 0 && isf & SET_CONCAT == 0 {
                    super::intervals::interval_set_eval(
                        self.cache,
                        si,
                        super::intervals::Cmd::Add,
                    )?;
                }
                let (kdt, klen) = {
                    let k = self.cache.sets[si].key.as_ref();
                    (k.map(|k| k.dt), k.map(|k| k.len).unwrap_or(0))
                };
                self.expr_set_context(kdt, klen);
                self.binop_transfer_pair(key, mappings)?;
                let s = &mut self.cache.sets[si];
                if let Some(d) = &mut s.data
                    && d.flags & F_INTERVAL != 0
                {
                    d.len *= 2;
                }
                let elen = self.ectx.len;
                if let Some(k) = &mut self.cache.sets[si].key {
                    k.len = elen;
                }
                self.set_ctx = prev;
                // map_set_concat_info
                let s = &mut self.cache.sets[si];
                s.flags |= isf;
                if s.flags & SET_INTERVAL != 0
                    && let K::Concat { field_len, .. } = &key.k
                {
                    s.field_len = field_len.clone();
                }
            }
            K::SetName(_) => {
                self.expr(mappings)?;
                let ok = match mappings.k {
                    K::SetRef(si) => self.cache.sets[si].is_datamap(),
                    _ => false,
                };
                if !ok {
                    return err(mappings.span, "Expression is not a map");
                }
            }
            K::SetRef(_) => {}
            _ => return err(mappings.span, "invalid mapping expression"),
        }
        let K::SetRef(si) = mappings.k else {
            return err(mappings.span, "Expression is not a map");
        };
        let s = &self.cache.sets[si];
        let skdt = s.key.as_ref().map(|k| k.dt).unwrap_or(Dt::of(0));
        if key.dt.ty != skdt.ty {
            return err(
                mappings.span,
                format!(
                    "datatype mismatch, map expects {}, mapping expression has type {}",
                    skdt.desc(),
                    key.dt.desc()
                ),
            );
        }
        let ddt = s.data.as_ref().map(|d| d.dt).unwrap_or(Dt::of(0));
        let interval = s.flags & SET_INTERVAL != 0;
        e.dt = ddt;
        e.flags |= F_CONSTANT;
        if interval && let K::Map { key, .. } = &mut e.k {
            let mut k = take(key);
            self.byteorder_conversion(&mut k, Bo::Big)?;
            **key = k;
        }
        Ok(())
    }

    fn eval_mapping(&mut self, e: &mut E) -> R<()> {
        let Some(si) = self.set_ctx else {
            return err(e.span, "mapping outside of map context");
        };
        if !self.cache.sets[si].is_map() {
            return err(self.cache.sets[si].span, "set is not a map");
        }
        let (kdt, klen) = {
            let k = self.cache.sets[si].key.as_ref();
            (k.map(|k| k.dt), k.map(|k| k.len).unwrap_or(0))
        };
        self.expr_set_context(kdt, klen);
        let K::Mapping(l, r) = &mut e.k else {
            return Ok(());
        };
        self.expr(l)?;
        if !l.is_constant() {
            return err(l.span, "Key must be a constant");
        }
        let lsingle = l.flags & F_SINGLETON;
        let s = &self.cache.sets[si];
        let anon = s.is_anonymous();
        let objmap = s.is_objmap();
        if let Some(d) = &s.data {
            let dlen = if !anon && d.flags & F_INTERVAL != 0 {
                d.len / 2
            } else {
                d.len
            };
            let (ddt, dbo) = (d.dt, d.bo);
            self.set_ectx(Some(ddt), dbo, dlen);
        }
        if objmap {
            // Object names: strings up to NFT_OBJ_MAXNAMELEN, kept as text.
            match &r.k {
                K::Symbol(s) if !s.is_empty() && s.len() < 256 => {
                    r.dt = Dt::of(TYPE_STRING);
                    r.bo = Bo::Host;
                    r.len = 256 * 8;
                    r.flags |= F_CONSTANT | F_SINGLETON;
                }
                K::Symbol(_) => return err(r.span, "invalid object name"),
                _ => return err(r.span, "Value must be a constant"),
            }
        } else {
            self.expr(r)?;
        }
        if !r.is_constant() {
            return err(r.span, "Value must be a constant");
        }
        let has_interval = |d: &E| match &d.k {
            K::Range(..) | K::Prefix { .. } => true,
            K::Concat { items, .. } => items
                .iter()
                .any(|i| matches!(i.k, K::Range(..) | K::Prefix { .. })),
            _ => false,
        };
        let rint = has_interval(r);
        let rsingle = r.is_singleton();
        let rspan = r.span;
        let s = &mut self.cache.sets[si];
        if anon
            && rint
            && let Some(d) = &mut s.data
        {
            d.flags |= F_INTERVAL;
        }
        let dint = s.data.as_ref().is_some_and(|d| d.flags & F_INTERVAL != 0);
        if !dint && !rsingle {
            return err(rspan, "Value must be a singleton");
        }
        e.flags |= lsingle | F_CONSTANT;
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // relational

    fn eval_rel(&mut self, e: &mut E) -> R<()> {
        let span = e.span;
        let K::Rel { op, l, r } = &mut e.k else {
            return Ok(());
        };
        self.expr(l)?;
        if matches!(r.k, K::Range(..))
            && let K::Meta { key: 31 | 32, .. } = l.k
        {
            self.eval_range_parts(r)?;
            if let K::Range(a, b) = &mut r.k
                && a.val() > b.val()
            {
                std::mem::swap(a, b);
                match op {
                    Op::Eq | Op::Implicit => *op = Op::Neq,
                    Op::Neq => *op = Op::Eq,
                    _ => {}
                }
            }
        }
        self.expr(r)?;
        let sym = op.symbol();
        if !r.is_constant() {
            return Err(Diagnostic::error(
                r.span,
                format!("Right hand side of relational expression ({sym}) must be constant"),
            ));
        }
        if l.is_constant() {
            return err(
                l.span,
                format!("Relational expression ({sym}) has constant value"),
            );
        }
        if l.dt.ty != r.dt.ty {
            return err(
                r.span,
                format!(
                    "datatype mismatch, expected {}, expression has type {}",
                    l.dt.desc(),
                    r.dt.desc()
                ),
            );
        }
        if (matches!(l.k, K::Meta { key: 14, .. }) || matches!(l.k, K::Ct { key: 4, .. }))
            && r.flags & F_CONSTANT != 0
        {
            return err(r.span, "Cannot be used with right hand side constant value");
        }
        let op = *op;
        match op {
            Op::Eq | Op::Implicit | Op::Neq | Op::Neg => {
                if matches!(op, Op::Eq | Op::Implicit) {
                    let snapshot = E::new(
                        K::Rel {
                            op,
                            l: l.clone(),
                            r: r.clone(),
                        },
                        span,
                    );
                    self.rel_pctx_update(&snapshot);
                }
                if op == Op::Neg {
                    if matches!(l.k, K::Binop { .. }) {
                        return err(l.span, "cannot combine negation with binary expression");
                    }
                    if !matches!(r.k, K::Value(_)) || r.dt.immediate_base() != Some(TYPE_BITMASK) {
                        return err(
                            l.span,
                            "negation can only be used with singleton bitmask values",
                        );
                    }
                }
                match &r.k {
                    K::Range(..) => {
                        let mut lv = take(l);
                        self.byteorder_conversion(&mut lv, Bo::Big)?;
                        **l = lv;
                        if let K::Range(a, b) = &mut r.k {
                            let mut av = take(a);
                            self.byteorder_conversion(&mut av, Bo::Big)?;
                            **a = av;
                            let mut bv = take(b);
                            self.byteorder_conversion(&mut bv, Bo::Big)?;
                            **b = bv;
                        }
                    }
                    K::Prefix { .. } => {
                        let lbo = l.bo;
                        if let K::Prefix { base, .. } = &mut r.k {
                            let mut b = take(base);
                            self.byteorder_conversion(&mut b, lbo)?;
                            **base = b;
                        }
                    }
                    K::Value(_) => {
                        let lbo = l.bo;
                        let mut rv = take(r);
                        self.byteorder_conversion(&mut rv, lbo)?;
                        **r = rv;
                    }
                    K::Set { .. } | K::SetRef(_) => {
                        if let K::Set { size, .. } = &r.k {
                            if *size == 0 {
                                return err(r.span, "Set is empty");
                            }
                            let init = take(r);
                            let key = (**l).clone();
                            **r = self.implicit_set("__set%d", key, None, init, 0)?;
                        }
                        if let K::Ct { key: 8 | 9, .. } = l.k {
                            return err(l.span, "specify either ip or ip6 for address matching");
                        }
                        let K::SetRef(si) = r.k else { return Ok(()) };
                        if self.cache.sets[si].flags & SET_INTERVAL != 0 {
                            let mut lv = take(l);
                            self.byteorder_conversion(&mut lv, Bo::Big)?;
                            **l = lv;
                        }
                    }
                    K::Concat { .. } => {
                        return err(
                            l.span,
                            "Use concatenations with sets and maps, not singleton values",
                        );
                    }
                    _ => return err(r.span, format!("invalid expression type {}", r.name())),
                }
            }
            Op::Lt | Op::Gt | Op::Lte | Op::Gte => {
                if matches!(l.k, K::Concat { .. }) {
                    return err(
                        l.span,
                        format!(
                            "Relational expression ({sym}) is undefined for {} expressions",
                            l.name()
                        ),
                    );
                }
                if !r.is_singleton() {
                    return err(
                        r.span,
                        format!(
                            "Relational expression ({sym}) is undefined for {} expressions",
                            r.name()
                        ),
                    );
                }
                let mut lv = take(l);
                self.byteorder_conversion(&mut lv, Bo::Big)?;
                **l = lv;
                let mut rv = take(r);
                self.byteorder_conversion(&mut rv, Bo::Big)?;
                **r = rv;
            }
            _ => return err(span, "invalid relational operation"),
        }
        if let K::Rel { l, r, .. } = &mut e.k {
            self.binop_transfer_pair(l, r)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // binop transfer

    fn binop_can_transfer(&mut self, l: &E, r: &E) -> R<bool> {
        match &r.k {
            K::Value(_) => {}
            K::Elem(el) => return self.binop_can_transfer(l, &el.key),
            K::Range(a, b) => {
                if !self.binop_can_transfer(l, a)? {
                    return Ok(false);
                }
                return self.binop_can_transfer(l, b);
            }
            K::Mapping(a, _) => return self.binop_can_transfer(l, a),
            _ => return Ok(false),
        }
        let K::Binop { op, r: lr, .. } = &l.k else {
            return Ok(false);
        };
        let sh = lr.val() as u32;
        match op {
            Op::Lshift => {
                let v = r.val();
                let scan1 = if v == 0 { u32::MAX } else { v.trailing_zeros() };
                if scan1 < sh {
                    return err(r.span, "Comparison is always false");
                }
                Ok(true)
            }
            Op::Rshift => {
                if self.ectx.len < r.len + sh {
                    self.ectx.len += sh;
                }
                Ok(true)
            }
            Op::Xor => Ok(true),
            _ => Ok(false),
        }
    }

    fn binop_transfer_one(&mut self, l: &E, r: &mut E) -> R<()> {
        match &mut r.k {
            K::Mapping(a, _) => return self.binop_transfer_one(l, a),
            K::Value(_) => {}
            K::Elem(el) => return self.binop_transfer_one(l, &mut el.key),
            K::Range(a, b) => {
                self.binop_transfer_one(l, a)?;
                return self.binop_transfer_one(l, b);
            }
            _ => return Ok(()),
        }
        let K::Binop { op, r: lr, .. } = &l.k else {
            return Ok(());
        };
        let nop = match op {
            Op::Lshift => Op::Rshift,
            Op::Rshift => Op::Lshift,
            Op::Xor => Op::Xor,
            _ => return err(l.span, "invalid binary operation"),
        };
        let v = take(r);
        let (dt, bo, len, span) = (v.dt, v.bo, v.len, v.span);
        *r = E::typed(
            K::Binop {
                op: nop,
                l: Box::new(v),
                r: lr.clone(),
            },
            dt,
            bo,
            len,
            span,
        );
        self.expr(r)
    }

    fn binop_transfer_inner(&mut self, l: &E, r: &mut E) -> R<bool> {
        match &r.k {
            K::Value(_) | K::Range(..) => {
                if !self.binop_can_transfer(l, r)? {
                    return Ok(false);
                }
                self.binop_transfer_one(l, r)?;
            }
            K::Set { items, .. } => {
                let items = items.clone();
                for i in &items {
                    if !self.binop_can_transfer(l, i)? {
                        return Ok(false);
                    }
                }
                if let K::Set { items, .. } = &mut r.k {
                    for i in items.iter_mut() {
                        self.binop_transfer_one(l, i)?;
                    }
                }
            }
            K::SetRef(si) => {
                let si = *si;
                if !self.cache.sets[si].is_anonymous() {
                    return Ok(false);
                }
                let Some(mut init) = self.cache.sets[si].init.take() else {
                    return Ok(false);
                };
                let res = self.binop_transfer_inner(l, &mut init);
                self.cache.sets[si].init = Some(init);
                return res;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `binop_transfer` over (left, right).
    fn binop_transfer_pair(&mut self, l: &mut E, r: &mut E) -> R<()> {
        if !matches!(l.k, K::Binop { .. }) {
            return Ok(());
        }
        let lc = l.clone();
        if !self.binop_transfer_inner(&lc, r)? {
            return Ok(());
        }
        // binop_transfer_handle_lhs
        let dt = l.dt;
        let K::Binop {
            op,
            l: inner,
            r: lr,
        } = &mut l.k
        else {
            return Ok(());
        };
        match op {
            Op::Rshift => {
                let shift = lr.val() as u32;
                let v = bitmask(inner.len) << shift;
                lr.k = K::Value(v);
                *op = Op::And;
            }
            Op::Lshift | Op::Xor => {
                let mut x = take(inner);
                x.dt = dt;
                *l = x;
            }
            _ => return err(l.span, "invalid binop operation"),
        }
        Ok(())
    }
}

fn conv_op(e: &E, bo: Bo) -> R<Op> {
    match (e.bo, bo) {
        (Bo::Host, Bo::Big) => Ok(Op::Hton),
        (Bo::Big, Bo::Host) => Ok(Op::Ntoh),
        _ => err(
            e.span,
            format!(
                "invalid byte order conversion {} => {}",
                bo_name(e.bo),
                bo_name(bo)
            ),
        ),
    }
}

/// `stmt_reduce`: drops `meta protocol` matches the family implies and merges adjacent payload
/// matches (`payload_do_merge`).
pub(crate) fn stmt_reduce(stmts: &mut Vec<St>, family: u8) {
    let mut sa: Vec<usize> = Vec::new();
    let mut remove: Vec<usize> = Vec::new();
    let mut dstmt: Option<usize> = None;
    for idx in 0..stmts.len() {
        if let Some(d) = dstmt.take() {
            remove.push(d);
        }
        let s = &stmts[idx];
        let SK::Expr(e) = &s.k else {
            if sa.len() >= 2 {
                payload_do_merge(stmts, &sa, &mut remove);
            }
            sa.clear();
            continue;
        };
        let K::Rel { op, l, r } = &e.k else { continue };
        if !matches!(r.k, K::Value(_)) {
            continue;
        }
        match &l.k {
            K::Payload { .. } => {
                if matches!(op, Op::Eq | Op::Implicit | Op::Neq) {
                    sa.push(idx);
                }
            }
            K::Meta { key: 1, .. } if matches!(op, Op::Eq | Op::Implicit) => {
                let p = r.val() as u16;
                if (family == 2 && p == 0x0800) || (family == 10 && p == 0x86dd) {
                    dstmt = Some(idx);
                }
            }
            _ => {}
        }
    }
    if sa.len() > 1 {
        payload_do_merge(stmts, &sa, &mut remove);
    }
    remove.sort_unstable();
    remove.dedup();
    for i in remove.into_iter().rev() {
        stmts.remove(i);
    }
}

fn payload_key(s: &St) -> (u8, u32, u32, u32, Op) {
    if let SK::Expr(E {
        k: K::Rel { op, l, .. },
        ..
    }) = &s.k
        && let K::Payload { base, offset, .. } = &l.k
    {
        let op = if *op == Op::Implicit { Op::Eq } else { *op };
        return (*base, *offset, l.len, l.flags, op);
    }
    (0, 0, 0, 0, Op::Invalid)
}

fn payload_do_merge(stmts: &mut [St], idx: &[usize], remove: &mut Vec<usize>) {
    let mut sa: Vec<usize> = idx.to_vec();
    sa.sort_by_key(|i| {
        let (b, o, _, _, _) = payload_key(&stmts[*i]);
        (b, o)
    });
    let mut last = sa[0];
    for &this in &sa[1..] {
        let (lb, lo, ll, _, lop) = payload_key(&stmts[last]);
        let (tb, to, tl, tflags, top) = payload_key(&stmts[this]);
        let adjacent = lb == tb && lo + ll == to;
        let total = ll + tl;
        let can = adjacent
            && lo % 8 == 0
            && ll % 8 == 0
            && to % 8 == 0
            && tl % 8 == 0
            && total <= 128
            && (total <= 32 || lb == BASE_LL || ll > 32 || tl > 32);
        if !can || lop != top {
            last = this;
            continue;
        }
        // Join: the payload of `last` grows by `this`; the constants concatenate.
        let (lval, lbo, llen) = rel_value(&stmts[last]);
        let (tval, tbo, tlen) = rel_value(&stmts[this]);
        let mut data = export(lval, lbo, (llen / 8) as usize);
        data.extend(export(tval, tbo, (tlen / 8) as usize));
        let joined_len = (data.len() * 8) as u32;
        let joined_val = import(&data, Bo::Invalid);
        let (target, other) = if tflags & F_PROTOCOL != 0 {
            (this, last)
        } else {
            (last, this)
        };
        let span = stmts[target].span;
        if let SK::Expr(E {
            k: K::Rel { l, r, .. },
            ..
        }) = &mut stmts[target].k
        {
            let mut np = E::typed(
                K::Payload {
                    p: P::Unknown,
                    tmpl: 0,
                    base: lb,
                    offset: lo,
                    is_raw: false,
                    evaluated: true,
                },
                Dt::of(TYPE_INVALID),
                Bo::Invalid,
                total,
                span,
            );
            if tflags & F_PROTOCOL != 0 {
                np.flags |= F_PROTOCOL;
            }
            **l = np;
            **r = E::value(
                joined_val,
                Dt::of(TYPE_INVALID),
                Bo::Invalid,
                joined_len,
                span,
            );
        }
        remove.push(other);
        last = target;
    }
}

fn rel_value(s: &St) -> (u128, Bo, u32) {
    if let SK::Expr(E {
        k: K::Rel { r, .. },
        ..
    }) = &s.k
    {
        return (r.val(), r.bo, r.len);
    }
    (0, Bo::Invalid, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_masks() {
        assert_eq!(prefix_mask(32, 24), 0xffff_ff00);
        assert_eq!(prefix_mask(32, 0), 0);
        assert_eq!(prefix_mask(128, 128), u128::MAX);
    }

    #[test]
    fn protocol_numbers_follow_host_layout() {
        // ETH_P_IP as nft stores it in PROTO_LINK (htons) on this host.
        let v = proto_num(0x0800, Bo::Big, 16);
        assert_eq!(v, u32::from(0x0800u16.to_be()));
    }
}
