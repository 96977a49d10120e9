//! Extension headers, TCP and IPv4 options and SCTP chunks: nftables 1.0.6's `exthdr.c`,
//! `tcpopt.c`, `ipopt.c` and `sctp_chunk.c` (the header templates and their allocation from
//! the syntax tree), the exthdr parts of `evaluate.c` (implicit `ip`/`ip6` dependency, bit
//! fields, option length limits) and, for the printer, how `netlink_delinearize.c` names an
//! `exthdr` expression read back from the kernel.
//!
//! Every template keeps nft's index: it is what nft writes into a set's `typeof` userdata and
//! what `addr[N]`/`sid[N]` select.

use linx_nft_syntax::ast::{self, ExprKind, ExthdrKind};

use super::dtype::*;
use super::eval::{Ev, R, err};
use super::ir::*;
use super::proto::{self, BASE_LL, BASE_NETWORK, P};

/// `NFT_EXTHDR_OP_IPV6`
pub(crate) const OP_IPV6: u32 = 0;
/// `NFT_EXTHDR_OP_TCPOPT`
pub(crate) const OP_TCPOPT: u32 = 1;
/// `NFT_EXTHDR_OP_IPV4`
pub(crate) const OP_IPV4: u32 = 2;
/// `NFT_EXTHDR_OP_SCTP`
pub(crate) const OP_SCTP: u32 = 3;
/// `NFT_EXTHDR_F_PRESENT`
pub(crate) const F_PRESENT: u32 = 1;

/// The number of template slots of nft's `struct exthdr_desc`.
const SLOTS: usize = 10;

/// A header field template (`struct proto_hdr_template`; all of them big endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tmpl {
    pub token: &'static str,
    pub dtype: u32,
    /// Offset in bits.
    pub offset: u32,
    /// Length in bits (0: an empty slot).
    pub len: u32,
}

/// An empty template slot.
const NO: Tmpl = Tmpl {
    token: "",
    dtype: TYPE_INVALID,
    offset: 0,
    len: 0,
};

const fn t(token: &'static str, dtype: u32, offset: u32, len: u32) -> Tmpl {
    Tmpl {
        token,
        dtype,
        offset,
        len,
    }
}

const fn i(token: &'static str, offset: u32, len: u32) -> Tmpl {
    t(token, TYPE_INTEGER, offset, len)
}

/// An extension header, option or chunk description (`struct exthdr_desc`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Desc {
    pub name: &'static str,
    /// `enum exthdr_desc_id` (IPv6 headers only).
    pub id: u32,
    /// Protocol number, option kind or chunk type.
    pub ty: u8,
    /// The templates; slots past the end are empty.
    pub templates: &'static [Tmpl],
}

impl Desc {
    /// Template slot `idx` (empty past the listed ones, `None` past nft's array).
    fn slot(&self, idx: usize) -> Option<Tmpl> {
        if idx >= SLOTS {
            return None;
        }
        Some(self.templates.get(idx).copied().unwrap_or(NO))
    }
}

// ---- IPv6 extension headers (`exthdr.c`)

const P6: u32 = TYPE_INET_PROTOCOL;
const A6: u32 = TYPE_IP6ADDR;

static HBH: Desc = Desc {
    name: "hbh",
    id: 1,
    ty: 0,
    templates: &[NO, t("nexthdr", P6, 0, 8), i("hdrlength", 8, 8)],
};
static RT: Desc = Desc {
    name: "rt",
    id: 2,
    ty: 43,
    templates: &[
        NO,
        t("nexthdr", P6, 0, 8),
        i("hdrlength", 8, 8),
        i("type", 16, 8),
        i("seg-left", 24, 8),
    ],
};
static RT0: Desc = Desc {
    name: "rt0",
    id: 3,
    ty: 43,
    templates: &[
        NO,
        i("reserved", 32, 8),
        t("addr[1]", A6, 64, 128),
        t("addr[2]", A6, 192, 128),
    ],
};
static RT2: Desc = Desc {
    name: "rt2",
    id: 4,
    ty: 43,
    templates: &[],
};
static SRH: Desc = Desc {
    name: "srh",
    id: 5,
    ty: 43,
    templates: &[
        NO,
        i("last-entry", 32, 8),
        i("flags", 40, 8),
        i("tag", 48, 16),
        t("sid[1]", A6, 64, 128),
        t("sid[2]", A6, 192, 128),
    ],
};
static FRAG: Desc = Desc {
    name: "frag",
    id: 6,
    ty: 44,
    templates: &[
        NO,
        t("nexthdr", P6, 0, 8),
        i("reserved", 8, 8),
        i("frag-off", 16, 13),
        i("reserved2", 29, 2),
        i("more-fragments", 31, 1),
        i("id", 32, 32),
    ],
};
static DST: Desc = Desc {
    name: "dst",
    id: 7,
    ty: 60,
    templates: &[NO, t("nexthdr", P6, 0, 8), i("hdrlength", 8, 8)],
};
static MH: Desc = Desc {
    name: "mh",
    id: 8,
    ty: 135,
    templates: &[
        NO,
        t("nexthdr", P6, 0, 8),
        i("hdrlength", 8, 8),
        t("type", TYPE_MH_TYPE, 16, 8),
        i("reserved", 24, 8),
        i("checksum", 32, 16),
    ],
};

/// `exthdr_find_proto` / `exthdr_protocols`: the header of an IPv6 protocol number.
fn ipv6_by_proto(ty: u8) -> Option<&'static Desc> {
    Some(match ty {
        0 => &HBH,
        43 => &RT,
        44 => &FRAG,
        60 => &DST,
        135 => &MH,
        _ => return None,
    })
}

fn ipv6_desc(k: ExthdrKind) -> &'static Desc {
    match k {
        ExthdrKind::Hbh => &HBH,
        ExthdrKind::Rt => &RT,
        ExthdrKind::Rt0 => &RT0,
        ExthdrKind::Rt2 => &RT2,
        ExthdrKind::Srh => &SRH,
        ExthdrKind::Frag => &FRAG,
        ExthdrKind::Dst => &DST,
        ExthdrKind::Mh => &MH,
    }
}

/// The description of `enum exthdr_desc_id` `id` (typeof userdata).
pub(crate) fn ipv6_by_id(id: u32) -> Option<&'static Desc> {
    [&HBH, &RT, &RT0, &RT2, &SRH, &FRAG, &DST, &MH]
        .into_iter()
        .find(|d| d.id == id)
}

// ---- TCP options (`tcpopt.c`)

const KIND: Tmpl = i("kind", 0, 8);
const LENGTH: Tmpl = i("length", 8, 8);

static TCP_EOL: Desc = Desc {
    name: "eol",
    id: 0,
    ty: 0,
    templates: &[KIND],
};
static TCP_NOP: Desc = Desc {
    name: "nop",
    id: 0,
    ty: 1,
    templates: &[KIND],
};
static TCP_MAXSEG: Desc = Desc {
    name: "maxseg",
    id: 0,
    ty: 2,
    templates: &[KIND, LENGTH, i("size", 16, 16)],
};
static TCP_WINDOW: Desc = Desc {
    name: "window",
    id: 0,
    ty: 3,
    templates: &[KIND, LENGTH, i("count", 16, 8)],
};
static TCP_SACK_PERM: Desc = Desc {
    name: "sack-perm",
    id: 0,
    ty: 4,
    templates: &[KIND, LENGTH],
};
static TCP_SACK: Desc = Desc {
    name: "sack",
    id: 0,
    ty: 5,
    templates: &[
        KIND,
        LENGTH,
        i("left", 16, 32),
        i("right", 48, 32),
        i("left", 80, 32),
        i("right", 112, 32),
        i("left", 144, 32),
        i("right", 176, 32),
        i("left", 208, 32),
        i("right", 240, 32),
    ],
};
static TCP_TIMESTAMP: Desc = Desc {
    name: "timestamp",
    id: 0,
    ty: 8,
    templates: &[KIND, LENGTH, i("tsval", 16, 32), i("tsecr", 48, 32)],
};
static TCP_MD5SIG: Desc = Desc {
    name: "md5sig",
    id: 0,
    ty: 19,
    templates: &[KIND, LENGTH],
};
static TCP_MPTCP: Desc = Desc {
    name: "mptcp",
    id: 0,
    ty: 30,
    templates: &[KIND, LENGTH, i("subtype", 16, 4)],
};
static TCP_FASTOPEN: Desc = Desc {
    name: "fastopen",
    id: 0,
    ty: 34,
    templates: &[KIND, LENGTH],
};

/// `tcpopt_protocols`.
fn tcp_by_kind(kind: u32) -> Option<&'static Desc> {
    Some(match kind {
        0 => &TCP_EOL,
        1 => &TCP_NOP,
        2 => &TCP_MAXSEG,
        3 => &TCP_WINDOW,
        4 => &TCP_SACK_PERM,
        5 => &TCP_SACK,
        8 => &TCP_TIMESTAMP,
        19 => &TCP_MD5SIG,
        30 => &TCP_MPTCP,
        34 => &TCP_FASTOPEN,
        _ => return None,
    })
}

/// The option number of a TCP option keyword as the syntax crate spells it (`sack1`..`sack3`
/// are nft's internal kinds 256..258).
pub(crate) fn tcp_kind(option: &str) -> Option<u32> {
    Some(match option {
        "eol" => 0,
        "nop" => 1,
        "maxseg" => 2,
        "window" => 3,
        "sack-perm" => 4,
        "sack" | "sack0" => 5,
        "timestamp" | "echo" => 8,
        "md5sig" => 19,
        "mptcp" => 30,
        "fastopen" => 34,
        "sack1" => 256,
        "sack2" => 257,
        "sack3" => 258,
        n => return n.parse().ok(),
    })
}

// ---- IPv4 options (`ipopt.c`): slots are `enum ipopt_fields`

const IP_ROUTE: &[Tmpl] = &[
    NO,
    i("type", 0, 8),
    i("length", 8, 8),
    NO,
    i("ptr", 16, 8),
    i("addr", 24, 32),
];

static IP_LSRR: Desc = Desc {
    name: "lsrr",
    id: 0,
    ty: 131,
    templates: IP_ROUTE,
};
static IP_RR: Desc = Desc {
    name: "rr",
    id: 0,
    ty: 7,
    templates: IP_ROUTE,
};
static IP_SSRR: Desc = Desc {
    name: "ssrr",
    id: 0,
    ty: 137,
    templates: IP_ROUTE,
};
static IP_RA: Desc = Desc {
    name: "ra",
    id: 0,
    ty: 148,
    templates: &[NO, i("type", 0, 8), i("length", 8, 8), i("value", 16, 16)],
};

fn ip_by_type(ty: u32) -> Option<&'static Desc> {
    Some(match ty {
        131 => &IP_LSRR,
        7 => &IP_RR,
        137 => &IP_SSRR,
        148 => &IP_RA,
        _ => return None,
    })
}

fn ip_field(f: &str) -> Option<usize> {
    Some(match f {
        "type" => 1,
        "length" => 2,
        "value" => 3,
        "ptr" => 4,
        "addr" => 5,
        _ => return None,
    })
}

// ---- SCTP chunks (`sctp_chunk.c`)

const C_TYPE: Tmpl = i("type", 0, 8);
const C_FLAGS: Tmpl = i("flags", 8, 8);
const C_LENGTH: Tmpl = i("length", 16, 16);
const COMMON: &[Tmpl] = &[C_TYPE, C_FLAGS, C_LENGTH];
const INIT: &[Tmpl] = &[
    C_TYPE,
    C_FLAGS,
    C_LENGTH,
    i("init-tag", 32, 32),
    i("a-rwnd", 64, 32),
    i("num-outbound-streams", 96, 16),
    i("num-inbound-streams", 112, 16),
    i("initial-tsn", 128, 32),
];
const LOWEST: &[Tmpl] = &[C_TYPE, C_FLAGS, C_LENGTH, i("lowest-tsn", 32, 32)];
const SEQNO: &[Tmpl] = &[C_TYPE, C_FLAGS, C_LENGTH, i("seqno", 32, 32)];

macro_rules! chunk {
    ($id:ident, $name:literal, $ty:literal, $t:expr) => {
        static $id: Desc = Desc {
            name: $name,
            id: 0,
            ty: $ty,
            templates: $t,
        };
    };
}

chunk!(
    SCTP_DATA,
    "data",
    0,
    &[
        C_TYPE,
        C_FLAGS,
        C_LENGTH,
        i("tsn", 32, 32),
        i("stream", 64, 16),
        i("ssn", 80, 16),
        i("ppid", 96, 32),
    ]
);
chunk!(SCTP_INIT, "init", 1, INIT);
chunk!(SCTP_INIT_ACK, "init-ack", 2, INIT);
chunk!(
    SCTP_SACK,
    "sack",
    3,
    &[
        C_TYPE,
        C_FLAGS,
        C_LENGTH,
        i("cum-tsn-ack", 32, 32),
        i("a-rwnd", 64, 32),
        i("num-gap-ack-blocks", 96, 16),
        i("num-dup-tsns", 112, 16),
    ]
);
chunk!(SCTP_HEARTBEAT, "heartbeat", 4, COMMON);
chunk!(SCTP_HEARTBEAT_ACK, "heartbeat-ack", 5, COMMON);
chunk!(SCTP_ABORT, "abort", 6, COMMON);
chunk!(
    SCTP_SHUTDOWN,
    "shutdown",
    7,
    &[C_TYPE, C_FLAGS, C_LENGTH, i("cum-tsn-ack", 32, 32)]
);
chunk!(SCTP_SHUTDOWN_ACK, "shutdown-ack", 8, COMMON);
chunk!(SCTP_ERROR, "error", 9, COMMON);
chunk!(SCTP_COOKIE_ECHO, "cookie-echo", 10, COMMON);
chunk!(SCTP_COOKIE_ACK, "cookie-ack", 11, COMMON);
chunk!(SCTP_ECNE, "ecne", 12, LOWEST);
chunk!(SCTP_CWR, "cwr", 13, LOWEST);
chunk!(SCTP_SHUTDOWN_COMPLETE, "shutdown-complete", 14, COMMON);
chunk!(SCTP_ASCONF_ACK, "asconf-ack", 128, SEQNO);
chunk!(
    SCTP_FORWARD_TSN,
    "forward-tsn",
    192,
    &[C_TYPE, C_FLAGS, C_LENGTH, i("new-cum-tsn", 32, 32)]
);
chunk!(SCTP_ASCONF, "asconf", 193, SEQNO);

static SCTP_CHUNKS: [&Desc; 18] = [
    &SCTP_DATA,
    &SCTP_INIT,
    &SCTP_INIT_ACK,
    &SCTP_SACK,
    &SCTP_HEARTBEAT,
    &SCTP_HEARTBEAT_ACK,
    &SCTP_ABORT,
    &SCTP_SHUTDOWN,
    &SCTP_SHUTDOWN_ACK,
    &SCTP_ERROR,
    &SCTP_COOKIE_ECHO,
    &SCTP_COOKIE_ACK,
    &SCTP_ECNE,
    &SCTP_CWR,
    &SCTP_SHUTDOWN_COMPLETE,
    &SCTP_ASCONF_ACK,
    &SCTP_FORWARD_TSN,
    &SCTP_ASCONF,
];

fn sctp_by_type(ty: u32) -> Option<&'static Desc> {
    SCTP_CHUNKS.iter().copied().find(|d| u32::from(d.ty) == ty)
}

fn sctp_by_name(name: &str) -> Option<&'static Desc> {
    SCTP_CHUNKS.iter().copied().find(|d| d.name == name)
}

// ------------------------------------------------------------------------------------------------
// allocation (nft's parser actions)

/// An exthdr expression of template `tmpl` of `desc` (the `*_expr_alloc` functions).
fn alloc(
    op: u32,
    desc: Option<&'static Desc>,
    idx: Option<usize>,
    tm: Tmpl,
    raw_type: u8,
    span: linx_nft_syntax::Span,
) -> E {
    E::typed(
        K::Exthdr {
            op,
            desc,
            tmpl: idx,
            raw_type,
            offset: tm.offset,
            flags: 0,
            evaluated: false,
        },
        Dt::of(tm.dtype),
        Bo::Big,
        tm.len,
        span,
    )
}

/// `tcpopt_expr_alloc`: `None` where nft's returns NULL.
fn tcpopt_alloc(kind: u32, field: usize, span: linx_nft_syntax::Span) -> Option<E> {
    let (kind, field) = match kind {
        256..=258 => {
            let n = (kind - 255) as usize;
            let f = match field {
                2 | 3 => field + 2 * n,
                f => f,
            };
            (5, f)
        }
        k => (k, field),
    };
    match tcp_by_kind(kind) {
        Some(d) => {
            let tm = d.slot(field)?;
            Some(alloc(OP_TCPOPT, Some(d), Some(field), tm, d.ty, span))
        }
        None => {
            if field != 0 || kind > 255 {
                return None;
            }
            // An unknown option: its kind byte, described as `nop`'s (as nft does).
            Some(alloc(
                OP_TCPOPT,
                Some(&TCP_NOP),
                Some(0),
                KIND,
                kind as u8,
                span,
            ))
        }
    }
}

/// `tcpopt_init_raw` applied to an allocated expression.
fn tcpopt_init_raw(e: &mut E, ty: u8, off: u32, len: u32) {
    e.len = len;
    e.dt = Dt::of(TYPE_INTEGER);
    let K::Exthdr {
        desc,
        tmpl,
        offset,
        flags,
        op,
        ..
    } = &mut e.k
    else {
        return;
    };
    *op = OP_TCPOPT;
    *offset = off;
    *flags = 0;
    *tmpl = None;
    let Some(d) = tcp_by_kind(u32::from(ty)) else {
        return;
    };
    *desc = Some(d);
    for (n, tm) in d.templates.iter().enumerate() {
        if tm.offset == off && tm.len == len {
            e.dt = Dt::of(tm.dtype);
            *tmpl = Some(n);
            break;
        }
    }
}

fn set_present(e: &mut E) {
    if let K::Exthdr { flags, .. } = &mut e.k {
        *flags |= F_PRESENT;
    }
}

/// Converts an extension header, option or chunk expression of the syntax tree.
pub(crate) fn from_ast(e: &ast::Expr) -> R<E> {
    let span = e.span;
    Ok(match &e.kind {
        ExprKind::Exthdr { hdr, field, index } => {
            let desc = ipv6_desc(*hdr);
            let idx: i64 = match (*hdr, *field) {
                (ExthdrKind::Rt0, "addr") | (ExthdrKind::Srh, "sid") => {
                    let first = if *hdr == ExthdrKind::Rt0 { 2 } else { 4 };
                    let n = index.as_ref().map(|n| n.value()).unwrap_or(1);
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    first + n.saturating_sub(1)
                }
                (ExthdrKind::Rt2, "addr") => 2,
                (_, f) => desc
                    .templates
                    .iter()
                    .position(|t| t.token == f)
                    .map(|p| p as i64)
                    .unwrap_or(-1),
            };
            let Some(tm) = usize::try_from(idx).ok().and_then(|i| desc.slot(i)) else {
                return err(span, format!("{} {field}: index out of range", desc.name));
            };
            alloc(OP_IPV6, Some(desc), Some(idx as usize), tm, desc.ty, span)
        }
        ExprKind::ExthdrExists(hdr) => {
            let desc = ipv6_desc(*hdr);
            let Some(tm) = desc.slot(1) else {
                return err(span, "unknown extension header");
            };
            let mut x = alloc(OP_IPV6, Some(desc), Some(1), tm, desc.ty, span);
            set_present(&mut x);
            x
        }
        ExprKind::TcpOption { option, field } => {
            let Some(kind) = tcp_kind(option) else {
                return err(span, format!("unknown tcp option {option}"));
            };
            if kind > 258 || (kind > 255 && option.parse::<u32>().is_ok()) {
                return err(span, "value too large");
            }
            // `enum tcpopt_*` field numbers of nft's grammar.
            let f = match *field {
                None => 0,
                Some("length") => 1,
                Some("right" | "tsecr") => 3,
                Some(_) => 2,
            };
            let Some(mut x) = tcpopt_alloc(kind, f, span) else {
                return err(span, "unknown tcp option type/field");
            };
            if field.is_none() {
                set_present(&mut x);
            }
            x
        }
        ExprKind::TcpOptionRaw {
            option,
            offset,
            len,
        } => {
            let Some(kind) = tcp_kind(option) else {
                return err(span, format!("unknown tcp option {option}"));
            };
            if kind > 258 || (kind > 255 && option.parse::<u32>().is_ok()) {
                return err(span, "value too large");
            }
            let Some(mut x) = tcpopt_alloc(kind, 0, span) else {
                return err(span, "unknown tcp option type/field");
            };
            let (Ok(off), Ok(l)) = (u32::try_from(offset.value()), u32::try_from(len.value()))
            else {
                return err(span, "tcp option offset or length out of range");
            };
            if l > 128 {
                return err(span, "tcp option length must be at most 128 bits");
            }
            // nft passes the keyword's value through a `uint8_t` here.
            tcpopt_init_raw(&mut x, kind as u8, off, l);
            x
        }
        ExprKind::IpOption { option, field } => {
            let ty = match *option {
                "lsrr" => 131,
                "rr" => 7,
                "ssrr" => 137,
                "ra" => 148,
                o => return err(span, format!("unknown ip option {o}")),
            };
            let Some(desc) = ip_by_type(ty) else {
                return err(span, "unknown ip option type/field");
            };
            let idx = match field {
                None => 1,
                Some(f) => ip_field(f).unwrap_or(0),
            };
            let tm = desc.slot(idx).unwrap_or(NO);
            if tm.len == 0 {
                return err(span, "unknown ip option type/field");
            }
            let mut x = alloc(OP_IPV4, Some(desc), Some(idx), tm, desc.ty, span);
            if field.is_none() {
                set_present(&mut x);
            }
            x
        }
        ExprKind::SctpChunk { chunk, field } => {
            let Some(desc) = sctp_by_name(chunk) else {
                return err(span, format!("unknown sctp chunk {chunk}"));
            };
            let idx = match field {
                None => Some(0),
                Some(f) => desc.templates.iter().position(|t| t.token == *f),
            };
            let Some(idx) = idx else {
                return err(span, format!("unknown sctp chunk {chunk} field"));
            };
            let tm = desc.slot(idx).unwrap_or(NO);
            let mut x = alloc(OP_SCTP, Some(desc), Some(idx), tm, desc.ty, span);
            if field.is_none() {
                set_present(&mut x);
            }
            x
        }
        _ => return err(span, "not an extension header expression"),
    })
}

/// `reset tcp option NAME` (the parser's `tcpopt_expr_alloc(kind, TCPOPT_COMMON_KIND)`).
pub(crate) fn optstrip_from_ast(option: &str, span: linx_nft_syntax::Span) -> R<E> {
    let Some(kind) = tcp_kind(option) else {
        return err(span, format!("unknown tcp option {option}"));
    };
    if kind > 258 || (kind > 255 && option.parse::<u32>().is_ok()) {
        return err(span, "value too large");
    }
    let Some(mut x) = tcpopt_alloc(kind, 0, span) else {
        return err(span, "unknown tcp option type/field");
    };
    set_present(&mut x);
    Ok(x)
}

// ------------------------------------------------------------------------------------------------
// evaluation

/// `expr_evaluate_exthdr`: TCP options and SCTP chunks need no dependency; IPv4 options need
/// the `ip` and IPv6 extension headers the `ip6` network protocol, generated (at the start of
/// the rule, as nft does) when the context has none yet.
pub(crate) fn evaluate(ev: &mut Ev<'_>, e: &mut E) -> R<()> {
    let K::Exthdr { op, evaluated, .. } = e.k else {
        return Ok(());
    };
    if evaluated {
        return Ok(());
    }
    let dependency = match op {
        OP_TCPOPT | OP_SCTP => return evaluate_inner(ev, e),
        OP_IPV4 => P::Ip,
        _ => P::Ip6,
    };
    match ev.pctx.desc(BASE_NETWORK) {
        Some(base) if base == dependency => {}
        Some(base) => {
            return err(
                e.span,
                format!("cannot use exthdr with {}", proto::desc(base).name),
            );
        }
        None => {
            let Some(ll) = ev.pctx.desc(BASE_LL) else {
                return err(
                    e.span,
                    format!(
                        "Cannot generate dependency: no {} protocol specified",
                        proto::base_name(BASE_LL)
                    ),
                );
            };
            let dep = ev.payload_add_dependency(ll, dependency, e)?;
            ev.out.insert(0, dep);
        }
    }
    evaluate_inner(ev, e)
}

/// `__expr_evaluate_exthdr`.
pub(crate) fn evaluate_inner(ev: &mut Ev<'_>, e: &mut E) -> R<()> {
    let K::Exthdr {
        op,
        flags,
        offset,
        desc,
        tmpl,
        evaluated,
        ..
    } = &mut e.k
    else {
        return Ok(());
    };
    if *evaluated {
        return Ok(());
    }
    *evaluated = true;
    let (op, offset) = (*op, *offset);
    let tlen = match (*desc, *tmpl) {
        (Some(d), Some(n)) => d.slot(n).map(|t| t.len).unwrap_or(0),
        _ => 0,
    };
    // An empty template slot (`rt2 addr`, `srh sid[3]`, `tcp option eol length`) has no
    // data type at all in nft.
    let untyped = tmpl.is_some() && tlen == 0;
    if *flags & F_PRESENT != 0 {
        e.dt = Dt::of(TYPE_BOOLEAN);
    }
    ev.primary(e);
    if untyped && e.dt.ty == TYPE_INVALID {
        ev.ectx.dtype = None;
    }
    if offset % 8 != 0 || e.len % 8 != 0 {
        ev.eval_bits(e);
    }
    let totlen = tlen + offset;
    match op {
        OP_TCPOPT if totlen > 320 => err(
            e.span,
            format!("offset and size {totlen} exceeds max tcp headerlen (320)"),
        ),
        OP_IPV4 if totlen > 320 => err(
            e.span,
            format!("offset and size {totlen} exceeds max ip option len (320)"),
        ),
        _ => Ok(()),
    }
}

/// The typeof userdata of an exthdr expression (`exthdr_expr_build_udata`): the template
/// index, then the header id (IPv6) or the operation and the raw type.
pub(crate) fn build_udata(e: &E, tlv: &mut dyn FnMut(u8, &[u8])) {
    let K::Exthdr {
        op,
        desc,
        tmpl,
        raw_type,
        ..
    } = &e.k
    else {
        return;
    };
    tlv(1, &(tmpl.unwrap_or(0) as u32).to_ne_bytes());
    if *op == OP_IPV6 {
        tlv(0, &desc.map(|d| d.id).unwrap_or(0).to_ne_bytes());
    } else {
        tlv(2, &op.to_ne_bytes());
        tlv(0, &u32::from(*raw_type).to_ne_bytes());
    }
}

// ------------------------------------------------------------------------------------------------
// decompilation (`exthdr_init_raw` + `exthdr_expr_print`)

/// An `exthdr` load read back from the kernel, named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Named {
    /// The selector text (`tcp option maxseg size`, `exthdr frag`, `srh sid[1]`).
    pub text: String,
    /// Its data type (boolean for presence tests).
    pub dtype: u32,
    /// Its width in bits.
    pub len: u32,
}

/// Names the load of `len` bits at bit `off` of header/option/chunk `ty` (`op`), as nft prints
/// it; `None` where nft's text would not load again (unknown templates of IPv6 headers, IPv4
/// options and SCTP chunks). An unknown TCP option field is printed in the raw
/// `tcp option @kind,offset,length` form (nft prints `tcp option NAME unknown`).
pub(crate) fn name(op: u32, ty: u8, off: u32, len: u32, flags: u32) -> Option<Named> {
    let present = flags & F_PRESENT != 0;
    let named = |text: String, dtype: u32| Named {
        text,
        dtype: if present { TYPE_BOOLEAN } else { dtype },
        len,
    };
    let find = |d: &'static Desc| -> Option<Tmpl> {
        d.templates
            .iter()
            .copied()
            .find(|t| t.len != 0 && t.offset == off && t.len == len)
    };
    match op {
        OP_TCPOPT => {
            let raw = || named(format!("tcp option @{ty},{off},{len}"), TYPE_INTEGER);
            let Some(d) = tcp_by_kind(u32::from(ty)) else {
                if off == 0 && present {
                    return Some(named(format!("tcp option {ty}"), TYPE_INTEGER));
                }
                return Some(raw());
            };
            let Some(tm) = find(d) else {
                return Some(raw());
            };
            if present {
                return Some(named(format!("tcp option {}", d.name), tm.dtype));
            }
            if tm.token == "kind" {
                // nft prints `tcp option NAME kind`, which no parser accepts.
                return Some(raw());
            }
            let n = off / 64;
            let idx = if n != 0 { n.to_string() } else { String::new() };
            Some(named(
                format!("tcp option {}{idx} {}", d.name, tm.token),
                tm.dtype,
            ))
        }
        OP_IPV4 => {
            let d = ip_by_type(u32::from(ty))?;
            let tm = find(d)?;
            Some(if present {
                named(format!("ip option {}", d.name), tm.dtype)
            } else {
                named(format!("ip option {} {}", d.name, tm.token), tm.dtype)
            })
        }
        OP_SCTP => {
            let d = sctp_by_type(u32::from(ty))?;
            let tm = find(d)?;
            Some(if present {
                named(format!("sctp chunk {}", d.name), tm.dtype)
            } else {
                named(format!("sctp chunk {} {}", d.name, tm.token), tm.dtype)
            })
        }
        OP_IPV6 => {
            let d = ipv6_by_proto(ty)?;
            let (d, tm) = match find(d) {
                Some(tm) => (d, tm),
                None if std::ptr::eq(d, &RT) => [&SRH, &RT0, &RT2]
                    .into_iter()
                    .find_map(|x| find(x).map(|tm| (x, tm)))?,
                None => return None,
            };
            Some(if present {
                named(format!("exthdr {}", d.name), tm.dtype)
            } else {
                named(format!("{} {}", d.name, tm.token), tm.dtype)
            })
        }
        _ => None,
    }
}

/// `exthdr_find_template`: the field a `bitwise` mask selects from a byte-aligned load, with
/// the shift of its value.
pub(crate) fn name_bits(op: u32, ty: u8, off: u32, len: u32, mask: u128) -> Option<(Named, u32)> {
    if mask == 0 {
        return None;
    }
    let mask_offset = mask.trailing_zeros();
    let mask_len = mask_offset + (mask >> mask_offset).trailing_ones();
    let field_off = off + len.div_ceil(8) * 8 - mask_len;
    let field_len = mask_len - mask_offset;
    // The mask must be one contiguous run.
    if (mask >> mask_len) != 0 {
        return None;
    }
    let n = name(op, ty, field_off, field_len, 0)?;
    Some((n, mask_offset))
}

/// The text of a `typeof` userdata nest of an exthdr expression (`exthdr_expr_parse_udata`).
pub(crate) fn typeof_text(tlvs: &[(u8, &[u8])]) -> Option<String> {
    let get = |ty: u8| -> Option<u32> {
        let v = tlvs.iter().find(|(t, _)| *t == ty)?.1;
        Some(u32::from_ne_bytes(v.try_into().ok()?))
    };
    let idx = get(1)? as usize;
    let desc_id = get(0)?;
    let op = get(2).unwrap_or(OP_IPV6);
    let (d, tm) = match op {
        OP_IPV6 => {
            let d = ipv6_by_id(desc_id)?;
            (d, d.slot(idx)?)
        }
        OP_TCPOPT => {
            let d = tcp_by_kind(desc_id)?;
            (d, d.slot(idx)?)
        }
        OP_IPV4 => {
            let d = ip_by_type(desc_id)?;
            (d, d.slot(idx)?)
        }
        OP_SCTP => {
            let d = sctp_by_type(desc_id)?;
            (d, d.slot(idx)?)
        }
        _ => return None,
    };
    if tm.len == 0 {
        return None;
    }
    Some(match op {
        OP_IPV6 => format!("{} {}", d.name, tm.token),
        OP_TCPOPT => {
            if tm.token == "kind" {
                return None;
            }
            let n = tm.offset / 64;
            let idx = if n != 0 { n.to_string() } else { String::new() };
            format!("tcp option {}{idx} {}", d.name, tm.token)
        }
        OP_IPV4 => format!("ip option {} {}", d.name, tm.token),
        _ => format!("sctp chunk {} {}", d.name, tm.token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_back() {
        let n = name(OP_TCPOPT, 5, 80, 32, 0).unwrap();
        assert_eq!(n.text, "tcp option sack1 left");
        let n = name(OP_TCPOPT, 42, 0, 8, F_PRESENT).unwrap();
        assert_eq!(n.text, "tcp option 42");
        assert_eq!(n.dtype, TYPE_BOOLEAN);
        let n = name(OP_IPV6, 43, 64, 128, 0).unwrap();
        assert_eq!(n.text, "srh sid[1]");
        let n = name(OP_TCPOPT, 5, 64, 32, 0).unwrap();
        assert_eq!(n.text, "tcp option @5,64,32");
        assert!(name(OP_IPV4, 99, 0, 8, 0).is_none());
    }

    #[test]
    fn bit_fields_are_found_by_mask() {
        let (n, shift) = name_bits(OP_IPV6, 44, 16, 16, 0xfff8).unwrap();
        assert_eq!((n.text.as_str(), shift), ("frag frag-off", 3));
        let (n, shift) = name_bits(OP_TCPOPT, 30, 16, 8, 0xf0).unwrap();
        assert_eq!((n.text.as_str(), shift), ("tcp option mptcp subtype", 4));
        assert!(name_bits(OP_IPV6, 44, 16, 16, 0xf0f0).is_none());
    }
}
