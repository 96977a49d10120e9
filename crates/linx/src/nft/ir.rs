//! The evaluator's expression and statement tree: nft's `struct expr` and `struct stmt` after
//! parsing, with a data type, byte order and width on every expression. The syntax tree is
//! converted into this form (`eval::from_ast`, `stmt::from_ast_stmt`), evaluated in place and
//! then linearized (`lower`).

use linx_nft_syntax::Span;

use super::dtype::*;
use super::proto::P;

/// `EXPR_F_CONSTANT`
pub(crate) const F_CONSTANT: u32 = 0x1;
/// `EXPR_F_SINGLETON`
pub(crate) const F_SINGLETON: u32 = 0x2;
/// `EXPR_F_PROTOCOL`
pub(crate) const F_PROTOCOL: u32 = 0x4;
/// `EXPR_F_INTERVAL_END`
pub(crate) const F_INTERVAL_END: u32 = 0x8;
/// `EXPR_F_BOOLEAN`
pub(crate) const F_BOOLEAN: u32 = 0x10;
/// `EXPR_F_INTERVAL`
pub(crate) const F_INTERVAL: u32 = 0x20;

/// `NFT_SET_ANONYMOUS`
pub(crate) const SET_ANON: u32 = 0x1;
/// `NFT_SET_CONSTANT`
pub(crate) const SET_CONSTANT: u32 = 0x2;
/// `NFT_SET_INTERVAL`
pub(crate) const SET_INTERVAL: u32 = 0x4;
/// `NFT_SET_MAP`
pub(crate) const SET_MAP: u32 = 0x8;
/// `NFT_SET_TIMEOUT`
pub(crate) const SET_TIMEOUT: u32 = 0x10;
/// `NFT_SET_EVAL`
pub(crate) const SET_EVAL: u32 = 0x20;
/// `NFT_SET_OBJECT`
pub(crate) const SET_OBJECT: u32 = 0x40;
/// `NFT_SET_CONCAT`
pub(crate) const SET_CONCAT: u32 = 0x80;
/// `NFT_SET_EXPR`
pub(crate) const SET_EXPR: u32 = 0x100;

/// Operators (`enum ops`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Invalid,
    Hton,
    Ntoh,
    Lshift,
    Rshift,
    And,
    Xor,
    Or,
    Eq,
    Neq,
    Lt,
    Gt,
    Lte,
    Gte,
    Neg,
    Implicit,
}

impl Op {
    /// The spelling nft uses in messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Invalid => "",
            Op::Hton => "hton",
            Op::Ntoh => "ntoh",
            Op::Lshift => "<<",
            Op::Rshift => ">>",
            Op::And => "&",
            Op::Xor => "^",
            Op::Or => "|",
            Op::Eq => "==",
            Op::Neq => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Lte => "<=",
            Op::Gte => ">=",
            Op::Neg => "!",
            Op::Implicit => "implicit",
        }
    }
}

/// A set element: key plus per-element options.
#[derive(Clone, Debug)]
pub(crate) struct Elem {
    pub key: E,
    pub timeout: u64,
    pub expiration: u64,
    pub comment: Option<String>,
    pub stmts: Vec<St>,
    /// Element userdata flags (`NFTNL_UDATA_SET_ELEM_FLAGS`: 1 = open interval).
    pub elem_flags: u32,
}

/// Expression kinds.
#[derive(Clone, Debug)]
pub(crate) enum K {
    /// An unresolved symbol (the text as written).
    Symbol(String),
    /// A constant value (numbers, addresses, strings as host-order numbers).
    Value(u128),
    /// A verdict (codes as `NF_ACCEPT`… / `NFT_JUMP`…).
    Verdict {
        code: i32,
        chain: Option<String>,
    },
    /// A payload field.
    Payload {
        p: P,
        /// Template index (0 with `is_raw`).
        tmpl: usize,
        /// `PROTO_BASE_*`.
        base: u8,
        /// Offset in bits.
        offset: u32,
        is_raw: bool,
        /// The dependency was generated (or is not needed).
        evaluated: bool,
    },
    /// Extension headers, TCP/IP options, SCTP chunks (`struct expr.exthdr`).
    Exthdr {
        /// `NFT_EXTHDR_OP_*`.
        op: u32,
        /// The header, option or chunk description (`None`: unknown).
        desc: Option<&'static super::exthdr::Desc>,
        /// The template index in `desc` (`None`: no template matches).
        tmpl: Option<usize>,
        /// The protocol number, option kind or chunk type sent to the kernel.
        raw_type: u8,
        /// Offset in bits.
        offset: u32,
        /// `NFT_EXTHDR_F_*`.
        flags: u32,
        /// Evaluated already (a bit field is wrapped in a mask afterwards).
        evaluated: bool,
    },
    Meta {
        key: u32,
        base: u8,
    },
    Ct {
        key: u32,
        dir: i8,
        nfproto: u8,
        base: u8,
    },
    Fib {
        result: u32,
        flags: u32,
    },
    Rt {
        key: u32,
    },
    Socket {
        key: u32,
        level: u32,
    },
    Osf {
        ttl: u8,
        flags: u32,
    },
    Numgen {
        kind: u32,
        modulus: u32,
        offset: u32,
    },
    Hash {
        kind: u32,
        expr: Option<Box<E>>,
        modulus: u32,
        seed: Option<u32>,
        offset: u32,
    },
    Xfrm {
        key: u32,
        dir: u8,
        spnum: u32,
    },
    Unary {
        op: Op,
        arg: Box<E>,
    },
    Binop {
        op: Op,
        l: Box<E>,
        r: Box<E>,
    },
    Rel {
        op: Op,
        l: Box<E>,
        r: Box<E>,
    },
    Concat {
        items: Vec<E>,
        field_len: Vec<u32>,
    },
    Prefix {
        base: Box<E>,
        plen: u32,
    },
    Range(Box<E>, Box<E>),
    List(Vec<E>),
    Set {
        items: Vec<E>,
        set_flags: u32,
        size: u32,
    },
    /// A reference to a set of the cache (index).
    SetRef(usize),
    /// A `@name` not yet resolved.
    SetName(String),
    Elem(Box<Elem>),
    Mapping(Box<E>, Box<E>),
    Map {
        key: Box<E>,
        mappings: Box<E>,
    },
    Catchall,
    /// `value / mask` (nft's flagcmp before evaluation turns it into a binop).
    Masked {
        value: Box<E>,
        mask: Box<E>,
    },
}

/// An expression.
#[derive(Clone, Debug)]
pub(crate) struct E {
    pub k: K,
    pub dt: Dt,
    pub bo: Bo,
    /// Width in bits.
    pub len: u32,
    pub flags: u32,
    pub span: Span,
}

impl E {
    /// An expression of invalid type.
    pub(crate) fn new(k: K, span: Span) -> E {
        E {
            k,
            dt: Dt::of(TYPE_INVALID),
            bo: Bo::Invalid,
            len: 0,
            flags: 0,
            span,
        }
    }

    /// An expression with a type.
    pub(crate) fn typed(k: K, dt: Dt, bo: Bo, len: u32, span: Span) -> E {
        E {
            k,
            dt,
            bo,
            len,
            flags: 0,
            span,
        }
    }

    /// A constant (`constant_expr_alloc`).
    pub(crate) fn value(v: u128, dt: Dt, bo: Bo, len: u32, span: Span) -> E {
        E {
            k: K::Value(v),
            dt,
            bo,
            len,
            flags: F_CONSTANT | F_SINGLETON,
            span,
        }
    }

    /// A verdict (`verdict_expr_alloc`).
    pub(crate) fn verdict(code: i32, chain: Option<String>, span: Span) -> E {
        E {
            k: K::Verdict { code, chain },
            dt: Dt::of(TYPE_VERDICT),
            bo: Bo::Invalid,
            len: 0,
            flags: F_CONSTANT | F_SINGLETON,
            span,
        }
    }

    /// `expr_is_constant`.
    pub(crate) fn is_constant(&self) -> bool {
        self.flags & F_CONSTANT != 0
    }

    /// `expr_is_singleton`.
    pub(crate) fn is_singleton(&self) -> bool {
        self.flags & F_SINGLETON != 0
    }

    /// The value of a constant (0 otherwise).
    pub(crate) fn val(&self) -> u128 {
        match &self.k {
            K::Value(v) => *v,
            _ => 0,
        }
    }

    /// nft's name of the expression kind (`expr_name`).
    pub(crate) fn name(&self) -> &'static str {
        match &self.k {
            K::Symbol(_) => "symbol",
            K::Value(_) => "value",
            K::Verdict { .. } => "verdict",
            K::Payload { .. } => "payload",
            K::Exthdr { .. } => "exthdr",
            K::Meta { .. } => "meta",
            K::Ct { .. } => "ct",
            K::Fib { .. } => "fib",
            K::Rt { .. } => "rt",
            K::Socket { .. } => "socket",
            K::Osf { .. } => "osf",
            K::Numgen { .. } => "numgen",
            K::Hash { .. } => "hash",
            K::Xfrm { .. } => "xfrm",
            K::Unary { .. } => "unary",
            K::Binop { .. } => "binop",
            K::Rel { .. } => "relational",
            K::Concat { .. } => "concat",
            K::Prefix { .. } => "prefix",
            K::Range(..) => "range",
            K::List(_) => "list",
            K::Set { .. } => "set",
            K::SetRef(_) | K::SetName(_) => "set reference",
            K::Elem(_) => "set element",
            K::Mapping(..) => "mapping",
            K::Map { .. } => "map",
            K::Catchall => "catch-all set element",
            K::Masked { .. } => "flagcmp",
        }
    }

    /// nft's `enum expr_types` number (typeof userdata).
    pub(crate) fn etype(&self) -> u32 {
        match &self.k {
            K::Verdict { .. } => 1,
            K::Symbol(_) => 2,
            K::Value(_) => 4,
            K::Prefix { .. } => 5,
            K::Range(..) => 6,
            K::Payload { .. } => 7,
            K::Exthdr { .. } => 8,
            K::Meta { .. } => 9,
            K::Socket { .. } => 10,
            K::Osf { .. } => 11,
            K::Ct { .. } => 12,
            K::Concat { .. } => 13,
            K::List(_) => 14,
            K::Set { .. } => 15,
            K::SetRef(_) | K::SetName(_) => 16,
            K::Elem(_) => 17,
            K::Mapping(..) => 18,
            K::Map { .. } => 19,
            K::Unary { .. } => 20,
            K::Binop { .. } => 21,
            K::Rel { .. } => 22,
            K::Numgen { .. } => 23,
            K::Hash { .. } => 24,
            K::Rt { .. } => 25,
            K::Fib { .. } => 26,
            K::Xfrm { .. } => 27,
            K::Catchall => 28,
            K::Masked { .. } => 29,
        }
    }
}

/// Arguments of a log statement.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogArgs {
    pub prefix: Option<String>,
    pub group: Option<u16>,
    pub snaplen: Option<u32>,
    pub qthreshold: Option<u16>,
    pub level: Option<u32>,
    pub flags: u32,
}

/// Statement kinds.
#[derive(Clone, Debug)]
pub(crate) enum SK {
    Expr(E),
    Verdict(E),
    Counter {
        packets: u64,
        bytes: u64,
    },
    Limit {
        rate: u64,
        unit: u64,
        burst: u32,
        bytes: bool,
        over: bool,
    },
    Quota {
        bytes: u64,
        used: u64,
        over: bool,
    },
    Connlimit {
        count: u32,
        flags: u32,
    },
    /// `last [used never|used T]` (nftables ≥ 1.0.7).
    Last {
        /// Milliseconds since the last match (`used T`).
        used: u64,
        /// 1 when `used T` was given.
        set: u32,
    },
    Log(LogArgs),
    Reject {
        ty: u32,
        code: i32,
        /// The family the reject was resolved for (0: none).
        family: u8,
        /// `with icmp|icmpv6|icmpx …` code symbol as written.
        expr: Option<E>,
        /// Which keyword was written (`icmp`, `icmpv6`, `icmpx`, `tcp`, none).
        #[allow(dead_code)] // as written, kept for diagnostics
        with: Option<&'static str>,
    },
    Nat {
        kind: u32,
        family: u8,
        addr: Option<E>,
        proto: Option<E>,
        flags: u32,
        type_flags: u32,
    },
    Meta {
        key: u32,
        expr: E,
    },
    Ct {
        key: u32,
        dir: i8,
        expr: E,
    },
    Payload {
        expr: E,
        val: E,
    },
    /// `tcp option … set VALUE` (and the IPv4 option / SCTP chunk writes nft sends).
    Exthdr {
        expr: E,
        val: E,
    },
    Notrack,
    FlowOffload(String),
    Objref {
        ty: u32,
        name: Option<String>,
        map: Option<E>,
    },
    Set {
        op: u32,
        set: usize,
        /// The `@name` before evaluation resolves `set`.
        name: Box<E>,
        key: E,
        stmts: Vec<St>,
    },
    /// `meter NAME [size N] { key [timeout T] stmt }`: a set the rule declares itself
    /// (anonymous, `eval`) and a dynset on it.
    Meter {
        name: String,
        size: u32,
        key: E,
        stmt: Box<St>,
        set: usize,
    },
    Map {
        op: u32,
        set: usize,
        /// The `@name` before evaluation resolves `set`.
        name: Box<E>,
        key: E,
        data: E,
        stmts: Vec<St>,
    },
    Queue {
        num: Option<E>,
        flags: u16,
    },
    Dup {
        to: Option<E>,
        dev: Option<E>,
    },
    Fwd {
        dev: E,
        addr: Option<E>,
        family: u8,
    },
    Tproxy {
        family: u8,
        addr: Option<E>,
        port: Option<E>,
    },
    Synproxy {
        mss: u16,
        wscale: u8,
        flags: u32,
    },
    /// `reset tcp option NAME`.
    Optstrip(E),
}

/// `STMT_F_TERMINAL`
pub(crate) const STMT_TERMINAL: u32 = 0x1;
/// `STMT_F_STATEFUL`
pub(crate) const STMT_STATEFUL: u32 = 0x2;

/// A statement.
#[derive(Clone, Debug)]
pub(crate) struct St {
    pub k: SK,
    pub flags: u32,
    pub span: Span,
}

impl St {
    /// A statement with nft's flags for its kind.
    pub(crate) fn new(k: SK, span: Span) -> St {
        let flags = match k {
            SK::Counter { .. }
            | SK::Limit { .. }
            | SK::Quota { .. }
            | SK::Connlimit { .. }
            | SK::Last { .. } => STMT_STATEFUL,
            _ => 0,
        };
        St { k, flags, span }
    }

    /// The statement's name (`stmt->ops->name`).
    pub(crate) fn name(&self) -> &'static str {
        match &self.k {
            SK::Expr(_) => "expression",
            SK::Verdict(_) => "verdict",
            SK::Counter { .. } => "counter",
            SK::Limit { .. } => "limit",
            SK::Quota { .. } => "quota",
            SK::Connlimit { .. } => "connlimit",
            SK::Last { .. } => "last",
            SK::Log(_) => "log",
            SK::Reject { .. } => "reject",
            SK::Nat { .. } => "nat",
            SK::Meta { .. } => "meta",
            SK::Ct { .. } => "ct",
            SK::Payload { .. } => "payload",
            SK::Exthdr { .. } => "exthdr",
            SK::Notrack => "notrack",
            SK::FlowOffload(_) => "flow_offload",
            SK::Objref { .. } => "objref",
            SK::Set { .. } => "set",
            SK::Meter { .. } => "meter",
            SK::Map { .. } => "map",
            SK::Queue { .. } => "queue",
            SK::Dup { .. } => "dup",
            SK::Fwd { .. } => "fwd",
            SK::Tproxy { .. } => "tproxy",
            SK::Synproxy { .. } => "synproxy",
            SK::Optstrip(_) => "optstrip",
        }
    }
}
