//! nf_tables expressions: a closed, typed enum over the kernel's register machine, with encode and
//! decode for every kind and a lossless [`Expr::Unknown`] fallback.
//!
//! A rule is a list of expressions the kernel runs in order over a set of registers (register 0
//! holds the verdict; 1–4 are 16-byte registers aliased by the 4-byte registers 8–23). Loads
//! (payload, meta, ct, …) write data into a register; consumers (cmp, lookup, nat, …) read it.
//! Register *data* keeps the packet's byte order (ports and addresses big-endian) except for
//! values the kernel produces in host order (`meta mark`, `iif`, `skuid`, `ct mark`, `ct state`);
//! attribute integers are always big-endian. See
//! [nft(8)](https://www.netfilter.org/projects/nftables/manpage.html) and the kernel's
//! `include/uapi/linux/netfilter/nf_tables.h`.
//!
//! Encoding follows libnftnl's attribute order, so a rule built here is byte-identical to what
//! `nft` sends for the same expressions. Decoding is strict: an expression with an attribute linx
//! does not model, or a value it cannot represent, decodes as [`Expr::Unknown`] keeping the raw
//! bytes, and re-encodes byte for byte.
//!
//! ```
//! use linx::netfilter::expr::{Expr, Payload, PayloadBase, Cmp, CmpOp, Reg, Data, Verdict};
//! let rule = vec![
//!     Expr::Payload(Payload { dreg: Reg::R1, base: PayloadBase::Transport, offset: 2, len: 2 }),
//!     Expr::Cmp(Cmp { sreg: Reg::R1, op: CmpOp::Eq, data: Data::be16(22) }),
//!     Expr::verdict(Verdict::Accept),
//! ];
//! let bytes = linx::netfilter::expr::encode_list(&rule)?;
//! assert_eq!(linx::netfilter::expr::decode_list(&bytes)?, rule);
//! # Ok::<(), linx::Error>(())
//! ```

mod action;
mod load;
mod setops;
mod stateful;

use std::fmt;

pub use action::{
    Dup, Fwd, Log, LogLevel, Masq, Nat, NatKind, Queue, Redir, Reject, RejectKind, Synproxy,
    Tproxy, log_flags, nat_flags, queue_flags, synproxy_flags,
};
pub use load::{
    Bitwise, BitwiseOp, Byteorder, ByteorderOp, Cmp, CmpOp, Ct, CtDir, CtKey, CtSet, Exthdr,
    ExthdrOp, ExthdrStrip, ExthdrWrite, Fib, FibResult, Hash, HashKind, Immediate, ImmediateData,
    Inner, Meta, MetaKey, MetaSet, Numgen, NumgenKind, Osf, Payload, PayloadBase, PayloadWrite,
    Range, RangeOp, Rt, RtKey, Socket, SocketKey, Tunnel, Xfrm, fib_flags,
};
pub use setops::{Dynset, DynsetOp, FlowOffload, Lookup, Objref, ObjrefTarget};
pub use stateful::{Connlimit, Counter, Last, Limit, LimitKind, Quota, TimeUnit};

use super::attr::{Tab, W, mask, strz};
use crate::error::{Error, ProtocolKind, Result, Subsystem};
use crate::netlink::wire;

pub(crate) const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;
const NFTA_VERDICT_CHAIN: u16 = 2;

/// Largest register data the kernel accepts (`NFT_DATA_VALUE_MAXLEN`).
pub const DATA_MAX_LEN: usize = 64;

/// A register number as the kernel numbers them (`NFTA_*_SREG`/`DREG`).
///
/// 0 is the verdict register; 1–4 are the 16-byte registers; 8–23 the 4-byte registers
/// (`NFT_REG32_00`…`NFT_REG32_15`) that alias them: 8–11 overlay register 1, 12–15 register 2 …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Reg(pub u32);

impl Reg {
    /// The verdict register.
    pub const VERDICT: Reg = Reg(0);
    /// 16-byte register 1.
    pub const R1: Reg = Reg(1);
    /// 16-byte register 2.
    pub const R2: Reg = Reg(2);
    /// 16-byte register 3.
    pub const R3: Reg = Reg(3);
    /// 16-byte register 4.
    pub const R4: Reg = Reg(4);

    /// The 4-byte register `NFT_REG32_<n>` (n in 0..16), i.e. register number 8 + n.
    pub const fn r32(n: u32) -> Reg {
        Reg(8 + n)
    }

    /// Byte offset of the register inside the kernel's 80-byte register file (`None` for
    /// numbers the kernel rejects).
    pub fn offset(self) -> Option<usize> {
        match self.0 {
            0 => Some(0),
            1..=4 => Some(self.0 as usize * 16),
            8..=23 => Some(16 + (self.0 as usize - 8) * 4),
            _ => None,
        }
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reg {}", self.0)
    }
}

/// Register data (`NFTA_DATA_VALUE`): at most 64 bytes, kept in the byte order the kernel
/// compares (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Data(pub Vec<u8>);

impl Data {
    /// Raw bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Data {
        Data(bytes.into())
    }
    /// One byte (`ip protocol`, `meta l4proto`, `icmp type` …).
    pub fn u8(v: u8) -> Data {
        Data(vec![v])
    }
    /// A big-endian 16-bit value (ports, ether types).
    pub fn be16(v: u16) -> Data {
        Data(v.to_be_bytes().to_vec())
    }
    /// A big-endian 32-bit value.
    pub fn be32(v: u32) -> Data {
        Data(v.to_be_bytes().to_vec())
    }
    /// A host-order 32-bit value (`meta mark`, `ct mark`, `ct state`, `iif`, `skuid` …).
    pub fn host32(v: u32) -> Data {
        Data(v.to_ne_bytes().to_vec())
    }
    /// A host-order 16-bit value.
    pub fn host16(v: u16) -> Data {
        Data(v.to_ne_bytes().to_vec())
    }
    /// A host-order 64-bit value.
    pub fn host64(v: u64) -> Data {
        Data(v.to_ne_bytes().to_vec())
    }
    /// An IPv4 or IPv6 address in network order.
    pub fn ip(a: std::net::IpAddr) -> Data {
        Data(crate::types::ip_to_bytes(a).to_vec())
    }
    /// An interface name NUL-padded to 16 bytes (`IFNAMSIZ`), as `meta iifname` loads it.
    pub fn ifname(name: &str) -> Data {
        let mut v = name.as_bytes().to_vec();
        v.resize(16.max(v.len()), 0);
        Data(v)
    }
    /// An interface-name prefix (`"eth*"`): the name without the star and without padding,
    /// compared over its own length.
    pub fn ifname_prefix(prefix: &str) -> Data {
        Data(prefix.as_bytes().to_vec())
    }
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True for zero-length data.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Data {
    /// As `nft --debug=netlink` prints register data: 32-bit host-order words in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "0x{:08x}", u32::from_ne_bytes(w))?;
        }
        Ok(())
    }
}

/// A verdict (`NFTA_DATA_VERDICT`): what happens to the packet when a rule ends with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Verdict {
    /// `accept` (`NF_ACCEPT` 1).
    Accept,
    /// `drop` (`NF_DROP` 0).
    Drop,
    /// `continue` (`NFT_CONTINUE` −1).
    Continue,
    /// `NFT_BREAK` (−2): stop evaluating the rule.
    Break,
    /// `return` (`NFT_RETURN` −5).
    Return,
    /// `jump CHAIN` (`NFT_JUMP` −3).
    Jump(String),
    /// `goto CHAIN` (`NFT_GOTO` −4).
    Goto(String),
    /// `NF_QUEUE` with the queue number in the upper 16 bits (and the bypass flag 0x8000).
    Queue {
        /// Queue number.
        num: u16,
        /// Accept instead of drop when no listener is bound.
        bypass: bool,
    },
    /// Any other verdict code, kept as is.
    Code(i32),
}

const NF_DROP: i32 = 0;
const NF_ACCEPT: i32 = 1;
const NF_QUEUE: i32 = 3;
const NFT_CONTINUE: i32 = -1;
const NFT_BREAK: i32 = -2;
const NFT_JUMP: i32 = -3;
const NFT_GOTO: i32 = -4;
const NFT_RETURN: i32 = -5;

impl Verdict {
    /// The 32-bit verdict code.
    pub fn code(&self) -> i32 {
        match self {
            Verdict::Accept => NF_ACCEPT,
            Verdict::Drop => NF_DROP,
            Verdict::Continue => NFT_CONTINUE,
            Verdict::Break => NFT_BREAK,
            Verdict::Return => NFT_RETURN,
            Verdict::Jump(_) => NFT_JUMP,
            Verdict::Goto(_) => NFT_GOTO,
            Verdict::Queue { num, bypass } => {
                NF_QUEUE | (i32::from(*num) << 16) | if *bypass { 0x8000 } else { 0 }
            }
            Verdict::Code(c) => *c,
        }
    }

    /// The verdict for a code and optional chain name.
    pub fn from_code(code: i32, chain: Option<String>) -> Option<Verdict> {
        Some(match (code, chain) {
            (NFT_JUMP, Some(c)) => Verdict::Jump(c),
            (NFT_GOTO, Some(c)) => Verdict::Goto(c),
            (NFT_JUMP | NFT_GOTO, None) => return None,
            (_, Some(_)) => return None,
            (NF_ACCEPT, None) => Verdict::Accept,
            (NF_DROP, None) => Verdict::Drop,
            (NFT_CONTINUE, None) => Verdict::Continue,
            (NFT_BREAK, None) => Verdict::Break,
            (NFT_RETURN, None) => Verdict::Return,
            (c, None) if c & 0xff == NF_QUEUE && c & 0x7f00 == 0 => Verdict::Queue {
                num: ((c as u32) >> 16) as u16,
                bypass: c & 0x8000 != 0,
            },
            (c, None) => Verdict::Code(c),
        })
    }

    /// The chain a jump or goto names.
    pub fn chain(&self) -> Option<&str> {
        match self {
            Verdict::Jump(c) | Verdict::Goto(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn encode(&self, w: &mut W) {
        let n = w.nest(NFTA_DATA_VERDICT);
        w.be32(NFTA_VERDICT_CODE, self.code() as u32);
        if let Some(c) = self.chain() {
            w.str(NFTA_VERDICT_CHAIN, c);
        }
        w.end(n);
    }

    /// Decodes the payload of an `NFTA_DATA_VERDICT` nest.
    pub(crate) fn decode(b: &[u8]) -> Option<Verdict> {
        let t = Tab::parse(b, mask(&[NFTA_VERDICT_CODE, NFTA_VERDICT_CHAIN]), 0)?;
        let code = t.req32(NFTA_VERDICT_CODE)? as i32;
        let chain = t.str(NFTA_VERDICT_CHAIN)?;
        Verdict::from_code(code, chain)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Continue => f.write_str("continue"),
            Verdict::Break => f.write_str("break"),
            Verdict::Return => f.write_str("return"),
            Verdict::Jump(c) => write!(f, "jump {c}"),
            Verdict::Goto(c) => write!(f, "goto {c}"),
            Verdict::Queue { num, bypass } => {
                write!(f, "queue {num}")?;
                if *bypass {
                    f.write_str(" bypass")?;
                }
                Ok(())
            }
            Verdict::Code(c) => write!(f, "verdict {c}"),
        }
    }
}

/// Writes `NFTA_*_DATA { NFTA_DATA_VALUE bytes }`.
pub(crate) fn put_data(w: &mut W, ty: u16, d: &[u8]) {
    let n = w.nest(ty);
    w.attr(NFTA_DATA_VALUE, d);
    w.end(n);
}

/// Writes `NFTA_*_DATA { NFTA_DATA_VERDICT … }`.
pub(crate) fn put_verdict(w: &mut W, ty: u16, v: &Verdict) {
    let n = w.nest(ty);
    v.encode(w);
    w.end(n);
}

/// The contents of an `NFTA_*_DATA` nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DataOrVerdict {
    Value(Vec<u8>),
    Verdict(Verdict),
}

pub(crate) fn get_data(b: &[u8]) -> Option<DataOrVerdict> {
    let t = Tab::parse(b, mask(&[NFTA_DATA_VALUE, NFTA_DATA_VERDICT]), 0)?;
    match (t.get(NFTA_DATA_VALUE), t.get(NFTA_DATA_VERDICT)) {
        (Some(v), None) if v.len() <= DATA_MAX_LEN => Some(DataOrVerdict::Value(v.to_vec())),
        (None, Some(v)) => Verdict::decode(v).map(DataOrVerdict::Verdict),
        _ => None,
    }
}

pub(crate) fn get_value(b: &[u8]) -> Option<Data> {
    match get_data(b)? {
        DataOrVerdict::Value(v) => Some(Data(v)),
        DataOrVerdict::Verdict(_) => None,
    }
}

/// An expression the kernel runs (one `NFTA_LIST_ELEM` of `NFTA_RULE_EXPRESSIONS`).
///
/// Names in brackets are the kernel's expression names (`NFTA_EXPR_NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Expr {
    /// Load packet bytes into a register (`payload`).
    Payload(Payload),
    /// Write a register into the packet, with checksum update (`payload` with a source register).
    PayloadWrite(PayloadWrite),
    /// Load packet metadata (`meta`).
    Meta(Meta),
    /// Set packet metadata from a register (`meta` with a source register).
    MetaSet(MetaSet),
    /// Compare a register with data (`cmp`).
    Cmp(Cmp),
    /// Mask/xor or shift a register (`bitwise`).
    Bitwise(Bitwise),
    /// Convert byte order (`byteorder`).
    Byteorder(Byteorder),
    /// Test a register against an inclusive range (`range`).
    Range(Range),
    /// Load conntrack data (`ct`).
    Ct(Ct),
    /// Set conntrack data from a register (`ct` with a source register).
    CtSet(CtSet),
    /// Set membership or map lookup (`lookup`).
    Lookup(Lookup),
    /// Add, update or delete a set element from the packet path (`dynset`).
    Dynset(Dynset),
    /// Load data or a verdict (`immediate`).
    Immediate(Immediate),
    /// Count packets and bytes (`counter`).
    Counter(Counter),
    /// Rate limit (`limit`).
    Limit(Limit),
    /// Byte quota (`quota`).
    Quota(Quota),
    /// Connection count limit (`connlimit`).
    Connlimit(Connlimit),
    /// Time since the rule last matched (`last`).
    Last(Last),
    /// Source or destination NAT (`nat`).
    Nat(Nat),
    /// Masquerade (`masq`).
    Masq(Masq),
    /// Redirect to the local machine (`redir`).
    Redir(Redir),
    /// Reject with ICMP or TCP reset (`reject`).
    Reject(Reject),
    /// Log to syslog or an NFLOG group (`log`).
    Log(Log),
    /// Queue to user space (`queue`).
    Queue(Queue),
    /// Disable connection tracking (`notrack`).
    Notrack,
    /// Reference a named stateful object (`objref`).
    Objref(Objref),
    /// Routing lookup (`fib`).
    Fib(Fib),
    /// IPv6 extension headers, TCP/IPv4 options, SCTP chunks (`exthdr`, load or presence).
    Exthdr(Exthdr),
    /// Write a TCP option field (`exthdr` with a source register).
    ExthdrWrite(ExthdrWrite),
    /// Remove a TCP option (`exthdr` with neither register).
    ExthdrStrip(ExthdrStrip),
    /// Number generator (`numgen`).
    Numgen(Numgen),
    /// Jenkins or symmetric hash (`hash`).
    Hash(Hash),
    /// Socket lookup (`socket`).
    Socket(Socket),
    /// Transparent proxy (`tproxy`).
    Tproxy(Tproxy),
    /// SYN proxy (`synproxy`).
    Synproxy(Synproxy),
    /// Duplicate the packet (`dup`).
    Dup(Dup),
    /// Forward the packet (`fwd`, netdev).
    Fwd(Fwd),
    /// Add the flow to a flowtable (`flow_offload`).
    FlowOffload(FlowOffload),
    /// Routing data (`rt`).
    Rt(Rt),
    /// Passive OS fingerprint (`osf`).
    Osf(Osf),
    /// IPsec state (`xfrm`).
    Xfrm(Xfrm),
    /// Tunnel metadata (`tunnel`).
    Tunnel(Tunnel),
    /// Match on an inner (encapsulated) header (`inner`).
    Inner(Inner),
    /// Anything else (including x_tables `match`/`target`), kept as raw attributes and re-encoded
    /// byte for byte.
    Unknown(UnknownExpr),
}

/// An expression linx does not model, or one carrying attributes it does not model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UnknownExpr {
    /// `NFTA_EXPR_NAME`.
    pub name: String,
    /// The raw type of the `NFTA_EXPR_DATA` attribute (flag bits included) and its payload, if
    /// the expression had one.
    pub data: Option<(u16, Vec<u8>)>,
}

impl UnknownExpr {
    /// The attributes inside the data payload (for inspection).
    pub fn attrs(&self) -> Vec<wire::RawAttr> {
        match &self.data {
            Some((_, b)) => wire::attrs(b)
                .filter_map(|a| a.ok())
                .map(|a| wire::RawAttr::from_attr(&a))
                .collect(),
            None => Vec::new(),
        }
    }
}

impl Expr {
    /// `immediate reg 0 <verdict>`.
    pub fn verdict(v: Verdict) -> Expr {
        Expr::Immediate(Immediate {
            dreg: Reg::VERDICT,
            data: ImmediateData::Verdict(v),
        })
    }

    /// A zeroed counter.
    pub fn counter() -> Expr {
        Expr::Counter(Counter::default())
    }

    /// The kernel's name for this expression kind.
    pub fn name(&self) -> &str {
        match self {
            Expr::Payload(_) | Expr::PayloadWrite(_) => "payload",
            Expr::Meta(_) | Expr::MetaSet(_) => "meta",
            Expr::Cmp(_) => "cmp",
            Expr::Bitwise(_) => "bitwise",
            Expr::Byteorder(_) => "byteorder",
            Expr::Range(_) => "range",
            Expr::Ct(_) | Expr::CtSet(_) => "ct",
            Expr::Lookup(_) => "lookup",
            Expr::Dynset(_) => "dynset",
            Expr::Immediate(_) => "immediate",
            Expr::Counter(_) => "counter",
            Expr::Limit(_) => "limit",
            Expr::Quota(_) => "quota",
            Expr::Connlimit(_) => "connlimit",
            Expr::Last(_) => "last",
            Expr::Nat(_) => "nat",
            Expr::Masq(_) => "masq",
            Expr::Redir(_) => "redir",
            Expr::Reject(_) => "reject",
            Expr::Log(_) => "log",
            Expr::Queue(_) => "queue",
            Expr::Notrack => "notrack",
            Expr::Objref(_) => "objref",
            Expr::Fib(_) => "fib",
            Expr::Exthdr(_) | Expr::ExthdrWrite(_) | Expr::ExthdrStrip(_) => "exthdr",
            Expr::Numgen(_) => "numgen",
            Expr::Hash(_) => "hash",
            Expr::Socket(_) => "socket",
            Expr::Tproxy(_) => "tproxy",
            Expr::Synproxy(_) => "synproxy",
            Expr::Dup(_) => "dup",
            Expr::Fwd(_) => "fwd",
            Expr::FlowOffload(_) => "flow_offload",
            Expr::Rt(_) => "rt",
            Expr::Osf(_) => "osf",
            Expr::Xfrm(_) => "xfrm",
            Expr::Tunnel(_) => "tunnel",
            Expr::Inner(_) => "inner",
            Expr::Unknown(u) => &u.name,
        }
    }

    /// True for [`Expr::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Expr::Unknown(_))
    }

    /// Writes the expression body (`NFTA_EXPR_NAME` and `NFTA_EXPR_DATA`) without the list
    /// element around it.
    pub(crate) fn encode_body(&self, w: &mut W) -> Result<()> {
        if let Expr::Unknown(u) = self {
            if u.name.is_empty() || u.name.contains('\0') {
                return Err(Error::input(
                    Subsystem::Netfilter,
                    "expression name",
                    u.name.clone(),
                    "an expression needs a non-empty name without NUL",
                ));
            }
            w.str(NFTA_EXPR_NAME, &u.name);
            if let Some((ty, d)) = &u.data {
                w.attr(*ty, d);
            }
            return Ok(());
        }
        w.str(NFTA_EXPR_NAME, self.name());
        if matches!(self, Expr::Notrack) {
            return Ok(());
        }
        let n = w.nest(NFTA_EXPR_DATA);
        match self {
            Expr::Payload(e) => e.encode(w),
            Expr::PayloadWrite(e) => e.encode(w),
            Expr::Meta(e) => e.encode(w),
            Expr::MetaSet(e) => e.encode(w),
            Expr::Cmp(e) => e.encode(w),
            Expr::Bitwise(e) => e.encode(w),
            Expr::Byteorder(e) => e.encode(w),
            Expr::Range(e) => e.encode(w),
            Expr::Ct(e) => e.encode(w),
            Expr::CtSet(e) => e.encode(w),
            Expr::Lookup(e) => e.encode(w),
            Expr::Dynset(e) => e.encode(w)?,
            Expr::Immediate(e) => e.encode(w),
            Expr::Counter(e) => e.encode(w),
            Expr::Limit(e) => e.encode(w),
            Expr::Quota(e) => e.encode(w),
            Expr::Connlimit(e) => e.encode(w),
            Expr::Last(e) => e.encode(w),
            Expr::Nat(e) => e.encode(w),
            Expr::Masq(e) => e.encode(w),
            Expr::Redir(e) => e.encode(w),
            Expr::Reject(e) => e.encode(w),
            Expr::Log(e) => e.encode(w),
            Expr::Queue(e) => e.encode(w),
            Expr::Objref(e) => e.encode(w),
            Expr::Fib(e) => e.encode(w),
            Expr::Exthdr(e) => e.encode(w),
            Expr::ExthdrWrite(e) => e.encode(w),
            Expr::ExthdrStrip(e) => e.encode(w),
            Expr::Numgen(e) => e.encode(w),
            Expr::Hash(e) => e.encode(w),
            Expr::Socket(e) => e.encode(w),
            Expr::Tproxy(e) => e.encode(w),
            Expr::Synproxy(e) => e.encode(w),
            Expr::Dup(e) => e.encode(w),
            Expr::Fwd(e) => e.encode(w),
            Expr::FlowOffload(e) => e.encode(w),
            Expr::Rt(e) => e.encode(w),
            Expr::Osf(e) => e.encode(w),
            Expr::Xfrm(e) => e.encode(w),
            Expr::Tunnel(e) => e.encode(w),
            Expr::Inner(e) => e.encode(w)?,
            Expr::Notrack | Expr::Unknown(_) => {}
        }
        w.end(n);
        Ok(())
    }

    /// Writes the expression as one `NFTA_LIST_ELEM` nest.
    pub(crate) fn encode_elem(&self, w: &mut W) -> Result<()> {
        let n = w.nest(NFTA_LIST_ELEM);
        self.encode_body(w)?;
        w.end(n);
        Ok(())
    }

    /// Decodes the body of one list element (`NFTA_EXPR_NAME` + `NFTA_EXPR_DATA`).
    ///
    /// # Errors
    /// Only when the element has no readable name; everything else that does not decode becomes
    /// [`Expr::Unknown`].
    pub fn decode_body(b: &[u8]) -> Result<Expr> {
        let mut name = None;
        let mut data: Option<(u16, &[u8])> = None;
        let mut extra = false;
        for a in wire::attrs(b) {
            let a = a?;
            match a.kind() {
                NFTA_EXPR_NAME if name.is_none() => name = Some(a.payload),
                NFTA_EXPR_DATA if data.is_none() => data = Some((a.raw_type, a.payload)),
                _ => extra = true,
            }
        }
        let Some(raw_name) = name else {
            return Err(Error::protocol(
                Subsystem::Netfilter,
                ProtocolKind::Malformed,
                "expression without NFTA_EXPR_NAME",
            ));
        };
        let unknown = || {
            Expr::Unknown(UnknownExpr {
                name: super::attr::lenient_str(raw_name),
                data: data.map(|(t, d)| (t, d.to_vec())),
            })
        };
        let Some(n) = strz(raw_name) else {
            return Ok(unknown());
        };
        if extra || n.is_empty() {
            return Ok(unknown());
        }
        let d = data.map(|(_, d)| d);
        let typed = match (n.as_str(), d) {
            ("notrack", None) => Some(Expr::Notrack),
            (_, None) => None,
            ("payload", Some(d)) => load::decode_payload(d),
            ("meta", Some(d)) => load::decode_meta(d),
            ("cmp", Some(d)) => Cmp::decode(d).map(Expr::Cmp),
            ("bitwise", Some(d)) => Bitwise::decode(d).map(Expr::Bitwise),
            ("byteorder", Some(d)) => Byteorder::decode(d).map(Expr::Byteorder),
            ("range", Some(d)) => Range::decode(d).map(Expr::Range),
            ("ct", Some(d)) => load::decode_ct(d),
            ("lookup", Some(d)) => Lookup::decode(d).map(Expr::Lookup),
            ("dynset", Some(d)) => Dynset::decode(d).map(Expr::Dynset),
            ("immediate", Some(d)) => Immediate::decode(d).map(Expr::Immediate),
            ("counter", Some(d)) => Counter::decode(d).map(Expr::Counter),
            ("limit", Some(d)) => Limit::decode(d).map(Expr::Limit),
            ("quota", Some(d)) => Quota::decode(d).map(Expr::Quota),
            ("connlimit", Some(d)) => Connlimit::decode(d).map(Expr::Connlimit),
            ("last", Some(d)) => Last::decode(d).map(Expr::Last),
            ("nat", Some(d)) => Nat::decode(d).map(Expr::Nat),
            ("masq", Some(d)) => Masq::decode(d).map(Expr::Masq),
            ("redir", Some(d)) => Redir::decode(d).map(Expr::Redir),
            ("reject", Some(d)) => Reject::decode(d).map(Expr::Reject),
            ("log", Some(d)) => Log::decode(d).map(Expr::Log),
            ("queue", Some(d)) => Queue::decode(d).map(Expr::Queue),
            ("objref", Some(d)) => Objref::decode(d).map(Expr::Objref),
            ("fib", Some(d)) => Fib::decode(d).map(Expr::Fib),
            ("exthdr", Some(d)) => load::decode_exthdr(d),
            ("numgen", Some(d)) => Numgen::decode(d).map(Expr::Numgen),
            ("hash", Some(d)) => Hash::decode(d).map(Expr::Hash),
            ("socket", Some(d)) => Socket::decode(d).map(Expr::Socket),
            ("tproxy", Some(d)) => Tproxy::decode(d).map(Expr::Tproxy),
            ("synproxy", Some(d)) => Synproxy::decode(d).map(Expr::Synproxy),
            ("dup", Some(d)) => Dup::decode(d).map(Expr::Dup),
            ("fwd", Some(d)) => Fwd::decode(d).map(Expr::Fwd),
            ("flow_offload", Some(d)) => FlowOffload::decode(d).map(Expr::FlowOffload),
            ("rt", Some(d)) => Rt::decode(d).map(Expr::Rt),
            ("osf", Some(d)) => Osf::decode(d).map(Expr::Osf),
            ("xfrm", Some(d)) => Xfrm::decode(d).map(Expr::Xfrm),
            ("tunnel", Some(d)) => Tunnel::decode(d).map(Expr::Tunnel),
            ("inner", Some(d)) => Inner::decode(d).map(Expr::Inner),
            _ => None,
        };
        Ok(typed.unwrap_or_else(unknown))
    }

    /// The registers this expression reads, with the byte width it reads from each.
    pub fn reads(&self) -> Vec<(Reg, usize)> {
        use Expr::*;
        let l = |r: Reg, n: u32| (r, n as usize);
        match self {
            PayloadWrite(e) => vec![l(e.sreg, e.len)],
            MetaSet(e) => vec![(e.sreg, e.key.width().unwrap_or(4))],
            Cmp(e) => vec![(e.sreg, e.data.len())],
            Bitwise(e) => vec![l(e.sreg, e.len)],
            Byteorder(e) => vec![l(e.sreg, e.len)],
            Range(e) => vec![(e.sreg, e.from.len())],
            CtSet(e) => vec![(e.sreg, e.key.width().unwrap_or(4))],
            Lookup(e) => vec![(e.sreg, 1)],
            Dynset(e) => {
                let mut v = vec![(e.sreg_key, 1)];
                if let Some(r) = e.sreg_data {
                    v.push((r, 1));
                }
                v
            }
            Nat(e) => [
                e.reg_addr_min,
                e.reg_addr_max,
                e.reg_proto_min,
                e.reg_proto_max,
            ]
            .into_iter()
            .flatten()
            .map(|r| (r, 1))
            .collect(),
            Masq(e) => [e.reg_proto_min, e.reg_proto_max]
                .into_iter()
                .flatten()
                .map(|r| (r, 2))
                .collect(),
            Redir(e) => [e.reg_proto_min, e.reg_proto_max]
                .into_iter()
                .flatten()
                .map(|r| (r, 2))
                .collect(),
            Queue(e) => e.sreg_qnum.map(|r| vec![(r, 4)]).unwrap_or_default(),
            Objref(e) => match &e.target {
                ObjrefTarget::Map { sreg, .. } => vec![(*sreg, 1)],
                ObjrefTarget::Name { .. } => Vec::new(),
            },
            Hash(e) => e.sreg.map(|r| vec![l(r, e.len)]).unwrap_or_default(),
            Tproxy(e) => [e.reg_addr, e.reg_port]
                .into_iter()
                .flatten()
                .map(|r| (r, 1))
                .collect(),
            Dup(e) => [e.sreg_addr, e.sreg_dev]
                .into_iter()
                .flatten()
                .map(|r| (r, 1))
                .collect(),
            Fwd(e) => [e.sreg_dev, e.sreg_addr]
                .into_iter()
                .flatten()
                .map(|r| (r, 1))
                .collect(),
            ExthdrWrite(e) => vec![l(e.sreg, e.len)],
            _ => Vec::new(),
        }
    }

    /// The register this expression writes and the number of bytes it writes (when known).
    pub fn writes(&self) -> Option<(Reg, Option<usize>)> {
        use Expr::*;
        Some(match self {
            Payload(e) => (e.dreg, Some(e.len as usize)),
            Meta(e) => (e.dreg, e.key.width()),
            Bitwise(e) => (e.dreg, Some(e.len as usize)),
            Byteorder(e) => (e.dreg, Some(e.len as usize)),
            Ct(e) => (e.dreg, Some(e.key.width().unwrap_or(16))),
            Lookup(e) => match e.dreg? {
                Reg::VERDICT => return None,
                r => (r, None),
            },
            Immediate(e) => match &e.data {
                ImmediateData::Value(d) => (e.dreg, Some(d.len())),
                ImmediateData::Verdict(_) => return None,
            },
            Fib(e) => (
                e.dreg,
                Some(if e.result == FibResult::OifName {
                    16
                } else {
                    4
                }),
            ),
            Exthdr(e) => (e.dreg, Some(e.len as usize)),
            Numgen(e) => (e.dreg, Some(4)),
            Hash(e) => (e.dreg, Some(4)),
            Socket(e) => (e.dreg, e.key.width()),
            Rt(e) => (e.dreg, e.key.width()),
            Osf(e) => (e.dreg, Some(16)),
            Xfrm(e) => (e.dreg, Some(if matches!(e.key, 2 | 4) { 16 } else { 4 })),
            Tunnel(e) => (e.dreg, Some(4)),
            _ => return None,
        })
    }
}

/// Encodes an expression list as the payload of `NFTA_RULE_EXPRESSIONS` (a sequence of
/// `NFTA_LIST_ELEM` nests).
///
/// # Errors
/// An [`Expr::Unknown`] without a name; a list too long for the 16-bit attribute length.
pub fn encode_list(exprs: &[Expr]) -> Result<Vec<u8>> {
    let mut w = W::with_capacity(64 * exprs.len());
    for e in exprs {
        e.encode_elem(&mut w)?;
    }
    Ok(w.into_inner()?)
}

/// Decodes the payload of `NFTA_RULE_EXPRESSIONS`.
///
/// # Errors
/// Malformed attribute framing, or a list element without a name; unknown expressions are not
/// errors.
pub fn decode_list(b: &[u8]) -> Result<Vec<Expr>> {
    let mut out = Vec::new();
    for a in wire::attrs(b) {
        let a = a?;
        if a.kind() != NFTA_LIST_ELEM {
            return Err(Error::protocol(
                Subsystem::Netfilter,
                ProtocolKind::Malformed,
                format!("expression list holds attribute type {}", a.kind()),
            ));
        }
        out.push(Expr::decode_body(a.payload)?);
    }
    Ok(out)
}

impl fmt::Display for Expr {
    /// In the style of `nft --debug=netlink`, without the brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Payload(e) => e.fmt(f),
            Expr::PayloadWrite(e) => e.fmt(f),
            Expr::Meta(e) => e.fmt(f),
            Expr::MetaSet(e) => e.fmt(f),
            Expr::Cmp(e) => e.fmt(f),
            Expr::Bitwise(e) => e.fmt(f),
            Expr::Byteorder(e) => e.fmt(f),
            Expr::Range(e) => e.fmt(f),
            Expr::Ct(e) => e.fmt(f),
            Expr::CtSet(e) => e.fmt(f),
            Expr::Lookup(e) => e.fmt(f),
            Expr::Dynset(e) => e.fmt(f),
            Expr::Immediate(e) => e.fmt(f),
            Expr::Counter(e) => e.fmt(f),
            Expr::Limit(e) => e.fmt(f),
            Expr::Quota(e) => e.fmt(f),
            Expr::Connlimit(e) => e.fmt(f),
            Expr::Last(e) => e.fmt(f),
            Expr::Nat(e) => e.fmt(f),
            Expr::Masq(e) => e.fmt(f),
            Expr::Redir(e) => e.fmt(f),
            Expr::Reject(e) => e.fmt(f),
            Expr::Log(e) => e.fmt(f),
            Expr::Queue(e) => e.fmt(f),
            Expr::Notrack => f.write_str("notrack"),
            Expr::Objref(e) => e.fmt(f),
            Expr::Fib(e) => e.fmt(f),
            Expr::Exthdr(e) => e.fmt(f),
            Expr::ExthdrWrite(e) => e.fmt(f),
            Expr::ExthdrStrip(e) => e.fmt(f),
            Expr::Numgen(e) => e.fmt(f),
            Expr::Hash(e) => e.fmt(f),
            Expr::Socket(e) => e.fmt(f),
            Expr::Tproxy(e) => e.fmt(f),
            Expr::Synproxy(e) => e.fmt(f),
            Expr::Dup(e) => e.fmt(f),
            Expr::Fwd(e) => e.fmt(f),
            Expr::FlowOffload(e) => e.fmt(f),
            Expr::Rt(e) => e.fmt(f),
            Expr::Osf(e) => e.fmt(f),
            Expr::Xfrm(e) => e.fmt(f),
            Expr::Tunnel(e) => e.fmt(f),
            Expr::Inner(e) => e.fmt(f),
            Expr::Unknown(u) => {
                write!(f, "{} (unknown", u.name)?;
                if let Some((_, d)) = &u.data {
                    write!(f, ", {} bytes", d.len())?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_14_queue_verdict_keeps_number() {
        let v = Verdict::Queue {
            num: 5,
            bypass: false,
        };
        assert_eq!(v.code(), 0x0005_0003);
        assert_eq!(Verdict::from_code(v.code(), None), Some(v.clone()));
        let mut w = W::default();
        v.encode(&mut w);
        let b = w.into_inner().unwrap();
        let a = wire::attrs(&b).next().unwrap().unwrap();
        assert_eq!(Verdict::decode(a.payload), Some(v));
        let bypass = Verdict::Queue {
            num: 65535,
            bypass: true,
        };
        assert_eq!(Verdict::from_code(bypass.code(), None), Some(bypass));
    }

    #[test]
    fn nf_40_unknown_round_trips_and_needs_a_name() {
        let mut w = W::default();
        w.str(NFTA_EXPR_NAME, "match");
        let n = w.nest(NFTA_EXPR_DATA);
        w.attr(1, b"xt_foo\0");
        w.attr(7, &[1, 2, 3]);
        w.end(n);
        let body = w.into_inner().unwrap();
        let e = Expr::decode_body(&body).unwrap();
        assert!(e.is_unknown());
        let mut again = W::default();
        e.encode_body(&mut again).unwrap();
        assert_eq!(again.into_inner().unwrap(), body);
        let bad = Expr::Unknown(UnknownExpr {
            name: String::new(),
            data: None,
        });
        assert!(bad.encode_body(&mut W::default()).unwrap_err().is_input());
    }

    #[test]
    fn known_expression_with_extra_attribute_stays_lossless() {
        // A counter with an attribute linx does not know (type 9) decodes as Unknown.
        let mut w = W::default();
        w.str(NFTA_EXPR_NAME, "counter");
        let n = w.nest(NFTA_EXPR_DATA);
        w.be64(1, 5);
        w.be64(2, 1);
        w.be32(9, 1);
        w.end(n);
        let body = w.into_inner().unwrap();
        let e = Expr::decode_body(&body).unwrap();
        assert!(e.is_unknown(), "{e:?}");
        let mut again = W::default();
        e.encode_body(&mut again).unwrap();
        assert_eq!(again.into_inner().unwrap(), body);
    }

    #[test]
    fn data_display_matches_nft_debug() {
        assert_eq!(Data::be16(22).to_string(), format!("0x{:08x}", 0x1600u32));
        assert_eq!(Data::host32(6).to_string(), "0x00000006");
    }
}
