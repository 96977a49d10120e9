//! Loads, comparisons and register arithmetic: payload, meta, cmp, bitwise, byteorder, range,
//! immediate, ct, exthdr, fib, rt, socket, numgen, hash, osf, xfrm, tunnel, inner.

use std::fmt;

use super::{Data, DataOrVerdict, Expr, Reg, Verdict, get_data, get_value, put_data, put_verdict};
use crate::error::Result;
use crate::netfilter::attr::{Tab, W, mask};

fn reg(v: u32) -> Reg {
    Reg(v)
}

macro_rules! key_enum {
    (
        $(#[$m:meta])*
        $name:ident { $($(#[$vm:meta])* $v:ident = $n:literal, $s:literal, $w:expr;)* }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $v,)*
            /// A key number linx has no name for.
            Other(u32),
        }

        impl $name {
            /// The kernel's number.
            pub fn number(self) -> u32 {
                match self {
                    $($name::$v => $n,)*
                    $name::Other(n) => n,
                }
            }

            /// The key for a kernel number.
            pub fn from_number(n: u32) -> $name {
                match n {
                    $($n => $name::$v,)*
                    n => $name::Other(n),
                }
            }

            /// nft's name for the key.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                    $name::Other(_) => "unknown",
                }
            }

            /// Bytes the kernel writes for this key, when fixed.
            pub fn width(self) -> Option<usize> {
                match self {
                    $($name::$v => $w,)*
                    $name::Other(_) => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::Other(n) => write!(f, "unknown {n}"),
                    k => f.write_str(k.name()),
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// payload

const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFTA_PAYLOAD_SREG: u16 = 5;
const NFTA_PAYLOAD_CSUM_TYPE: u16 = 6;
const NFTA_PAYLOAD_CSUM_OFFSET: u16 = 7;
const NFTA_PAYLOAD_CSUM_FLAGS: u16 = 8;

/// The header a payload offset counts from (`NFT_PAYLOAD_*_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PayloadBase {
    /// Link layer (0).
    Link,
    /// Network layer (1).
    Network,
    /// Transport layer (2).
    Transport,
    /// Inner header (3).
    Inner,
    /// Any other base number.
    Other(u32),
}

impl PayloadBase {
    /// The kernel's number.
    pub fn number(self) -> u32 {
        match self {
            PayloadBase::Link => 0,
            PayloadBase::Network => 1,
            PayloadBase::Transport => 2,
            PayloadBase::Inner => 3,
            PayloadBase::Other(n) => n,
        }
    }
    /// The base for a kernel number.
    pub fn from_number(n: u32) -> PayloadBase {
        match n {
            0 => PayloadBase::Link,
            1 => PayloadBase::Network,
            2 => PayloadBase::Transport,
            3 => PayloadBase::Inner,
            n => PayloadBase::Other(n),
        }
    }
}

impl fmt::Display for PayloadBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadBase::Link => f.write_str("link header"),
            PayloadBase::Network => f.write_str("network header"),
            PayloadBase::Transport => f.write_str("transport header"),
            PayloadBase::Inner => f.write_str("inner header"),
            PayloadBase::Other(n) => write!(f, "base {n}"),
        }
    }
}

/// `payload load`: `len` bytes at `offset` from `base` into `dreg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Payload {
    /// Destination register.
    pub dreg: Reg,
    /// Header the offset counts from.
    pub base: PayloadBase,
    /// Byte offset.
    pub offset: u32,
    /// Number of bytes.
    pub len: u32,
}

impl Payload {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_PAYLOAD_DREG, self.dreg.0);
        w.be32(NFTA_PAYLOAD_BASE, self.base.number());
        w.be32(NFTA_PAYLOAD_OFFSET, self.offset);
        w.be32(NFTA_PAYLOAD_LEN, self.len);
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "payload load {}b @ {} + {} => {}",
            self.len, self.base, self.offset, self.dreg
        )
    }
}

/// `payload write`: `len` bytes from `sreg` to `offset` of `base`, updating a checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PayloadWrite {
    /// Source register.
    pub sreg: Reg,
    /// Header the offset counts from.
    pub base: PayloadBase,
    /// Byte offset.
    pub offset: u32,
    /// Number of bytes.
    pub len: u32,
    /// Checksum type: 0 none, 1 inet, 2 sctp (`NFTA_PAYLOAD_CSUM_TYPE`).
    pub csum_type: Option<u32>,
    /// Offset of the checksum field inside the header.
    pub csum_offset: Option<u32>,
    /// Checksum flags: 0x1 = update the L4 pseudo-header checksum.
    pub csum_flags: Option<u32>,
}

impl PayloadWrite {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_PAYLOAD_SREG, self.sreg.0);
        w.be32(NFTA_PAYLOAD_BASE, self.base.number());
        w.be32(NFTA_PAYLOAD_OFFSET, self.offset);
        w.be32(NFTA_PAYLOAD_LEN, self.len);
        if let Some(v) = self.csum_type {
            w.be32(NFTA_PAYLOAD_CSUM_TYPE, v);
        }
        if let Some(v) = self.csum_offset {
            w.be32(NFTA_PAYLOAD_CSUM_OFFSET, v);
        }
        if let Some(v) = self.csum_flags {
            w.be32(NFTA_PAYLOAD_CSUM_FLAGS, v);
        }
    }
}

impl fmt::Display for PayloadWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "payload write {} => {}b @ {} + {} csum_type {} csum_off {} csum_flags 0x{:x}",
            self.sreg,
            self.len,
            self.base,
            self.offset,
            self.csum_type.unwrap_or(0),
            self.csum_offset.unwrap_or(0),
            self.csum_flags.unwrap_or(0)
        )
    }
}

pub(super) fn decode_payload(d: &[u8]) -> Option<Expr> {
    let t = Tab::parse(
        d,
        mask(&[
            NFTA_PAYLOAD_DREG,
            NFTA_PAYLOAD_BASE,
            NFTA_PAYLOAD_OFFSET,
            NFTA_PAYLOAD_LEN,
            NFTA_PAYLOAD_SREG,
            NFTA_PAYLOAD_CSUM_TYPE,
            NFTA_PAYLOAD_CSUM_OFFSET,
            NFTA_PAYLOAD_CSUM_FLAGS,
        ]),
        0,
    )?;
    let base = PayloadBase::from_number(t.req32(NFTA_PAYLOAD_BASE)?);
    let offset = t.req32(NFTA_PAYLOAD_OFFSET)?;
    let len = t.req32(NFTA_PAYLOAD_LEN)?;
    match (t.be32(NFTA_PAYLOAD_DREG)?, t.be32(NFTA_PAYLOAD_SREG)?) {
        (Some(dreg), None) => {
            if t.has(NFTA_PAYLOAD_CSUM_TYPE)
                || t.has(NFTA_PAYLOAD_CSUM_OFFSET)
                || t.has(NFTA_PAYLOAD_CSUM_FLAGS)
            {
                return None;
            }
            Some(Expr::Payload(Payload {
                dreg: reg(dreg),
                base,
                offset,
                len,
            }))
        }
        (None, Some(sreg)) => Some(Expr::PayloadWrite(PayloadWrite {
            sreg: reg(sreg),
            base,
            offset,
            len,
            csum_type: t.be32(NFTA_PAYLOAD_CSUM_TYPE)?,
            csum_offset: t.be32(NFTA_PAYLOAD_CSUM_OFFSET)?,
            csum_flags: t.be32(NFTA_PAYLOAD_CSUM_FLAGS)?,
        })),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// meta

const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFTA_META_SREG: u16 = 3;

key_enum! {
    /// `meta` keys (`NFT_META_*`).
    MetaKey {
        /// Packet length (0).
        Len = 0, "length", Some(4);
        /// Ether type (1).
        Protocol = 1, "protocol", Some(2);
        /// TC priority (2).
        Priority = 2, "priority", Some(4);
        /// Packet mark, host order (3).
        Mark = 3, "mark", Some(4);
        /// Input interface index, host order (4).
        Iif = 4, "iif", Some(4);
        /// Output interface index (5).
        Oif = 5, "oif", Some(4);
        /// Input interface name (6).
        IifName = 6, "iifname", Some(16);
        /// Output interface name (7).
        OifName = 7, "oifname", Some(16);
        /// Input interface type (8).
        IifType = 8, "iiftype", Some(2);
        /// Output interface type (9).
        OifType = 9, "oiftype", Some(2);
        /// Socket uid (10).
        SkUid = 10, "skuid", Some(4);
        /// Socket gid (11).
        SkGid = 11, "skgid", Some(4);
        /// Trace flag (12).
        Nftrace = 12, "nftrace", Some(1);
        /// Routing realm (13).
        RtClassid = 13, "rtclassid", Some(4);
        /// Security mark (14).
        Secmark = 14, "secmark", Some(4);
        /// Netfilter protocol family (15).
        Nfproto = 15, "nfproto", Some(1);
        /// Layer-4 protocol (16).
        L4proto = 16, "l4proto", Some(1);
        /// Bridge input port name (17).
        BriIifName = 17, "bri_iifname", Some(16);
        /// Bridge output port name (18).
        BriOifName = 18, "bri_oifname", Some(16);
        /// Packet type (19).
        Pkttype = 19, "pkttype", Some(1);
        /// CPU number (20).
        Cpu = 20, "cpu", Some(4);
        /// Input interface group (21).
        IifGroup = 21, "iifgroup", Some(4);
        /// Output interface group (22).
        OifGroup = 22, "oifgroup", Some(4);
        /// cgroup v1 classid (23).
        Cgroup = 23, "cgroup", Some(4);
        /// Pseudo-random number (24).
        Prandom = 24, "random", Some(4);
        /// IPsec security path present (25).
        Secpath = 25, "secpath", Some(1);
        /// Input interface kind (26).
        IifKind = 26, "iifkind", Some(16);
        /// Output interface kind (27).
        OifKind = 27, "oifkind", Some(16);
        /// Bridge port PVID (28).
        BriIifPvid = 28, "ibrpvid", Some(2);
        /// Bridge VLAN protocol (29).
        BriIifVproto = 29, "ibrvproto", Some(2);
        /// Time in ns (30).
        TimeNs = 30, "time", Some(8);
        /// Day of week (31).
        TimeDay = 31, "day", Some(1);
        /// Seconds since midnight (32).
        TimeHour = 32, "hour", Some(4);
        /// Slave device index (33).
        Sdif = 33, "sdif", Some(4);
        /// Slave device name (34).
        SdifName = 34, "sdifname", Some(16);
        /// Bridge broute (35).
        BriBroute = 35, "broute", Some(1);
    }
}

/// `meta load KEY => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Meta {
    /// What to load.
    pub key: MetaKey,
    /// Destination register.
    pub dreg: Reg,
}

impl Meta {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_META_KEY, self.key.number());
        w.be32(NFTA_META_DREG, self.dreg.0);
    }
}

impl fmt::Display for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "meta load {} => {}", self.key, self.dreg)
    }
}

/// `meta set KEY with reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetaSet {
    /// What to set.
    pub key: MetaKey,
    /// Source register.
    pub sreg: Reg,
}

impl MetaSet {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_META_KEY, self.key.number());
        w.be32(NFTA_META_SREG, self.sreg.0);
    }
}

impl fmt::Display for MetaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "meta set {} with {}", self.key, self.sreg)
    }
}

pub(super) fn decode_meta(d: &[u8]) -> Option<Expr> {
    let t = Tab::parse(d, mask(&[NFTA_META_DREG, NFTA_META_KEY, NFTA_META_SREG]), 0)?;
    let key = MetaKey::from_number(t.req32(NFTA_META_KEY)?);
    match (t.be32(NFTA_META_DREG)?, t.be32(NFTA_META_SREG)?) {
        (Some(r), None) => Some(Expr::Meta(Meta { key, dreg: reg(r) })),
        (None, Some(r)) => Some(Expr::MetaSet(MetaSet { key, sreg: reg(r) })),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// cmp

const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;

/// Comparison operators (`NFT_CMP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CmpOp {
    /// `==` (0).
    Eq,
    /// `!=` (1).
    Neq,
    /// `<` (2).
    Lt,
    /// `<=` (3).
    Lte,
    /// `>` (4).
    Gt,
    /// `>=` (5).
    Gte,
}

impl CmpOp {
    /// The kernel's number.
    pub fn number(self) -> u32 {
        self as u32
    }
    /// The operator for a kernel number.
    pub fn from_number(n: u32) -> Option<CmpOp> {
        Some(match n {
            0 => CmpOp::Eq,
            1 => CmpOp::Neq,
            2 => CmpOp::Lt,
            3 => CmpOp::Lte,
            4 => CmpOp::Gt,
            5 => CmpOp::Gte,
            _ => return None,
        })
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "eq",
            CmpOp::Neq => "neq",
            CmpOp::Lt => "lt",
            CmpOp::Lte => "lte",
            CmpOp::Gt => "gt",
            CmpOp::Gte => "gte",
        })
    }
}

/// `cmp OP reg DATA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cmp {
    /// Register compared.
    pub sreg: Reg,
    /// Operator.
    pub op: CmpOp,
    /// Value (its length is the compared width).
    pub data: Data,
}

impl Cmp {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_CMP_SREG, self.sreg.0);
        w.be32(NFTA_CMP_OP, self.op.number());
        put_data(w, NFTA_CMP_DATA, &self.data.0);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Cmp> {
        let t = Tab::parse(d, mask(&[NFTA_CMP_SREG, NFTA_CMP_OP, NFTA_CMP_DATA]), 0)?;
        Some(Cmp {
            sreg: reg(t.req32(NFTA_CMP_SREG)?),
            op: CmpOp::from_number(t.req32(NFTA_CMP_OP)?)?,
            data: get_value(t.get(NFTA_CMP_DATA)?)?,
        })
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cmp {} {} {}", self.op, self.sreg, self.data)
    }
}

// ---------------------------------------------------------------------------------------------
// bitwise

const NFTA_BITWISE_SREG: u16 = 1;
const NFTA_BITWISE_DREG: u16 = 2;
const NFTA_BITWISE_LEN: u16 = 3;
const NFTA_BITWISE_MASK: u16 = 4;
const NFTA_BITWISE_XOR: u16 = 5;
const NFTA_BITWISE_OP: u16 = 6;
const NFTA_BITWISE_DATA: u16 = 7;

/// What a bitwise expression computes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BitwiseOp {
    /// `(reg & mask) ^ xor` (`NFT_BITWISE_MASK_XOR`, 0).
    MaskXor {
        /// AND mask.
        mask: Data,
        /// XOR value.
        xor: Data,
    },
    /// Left shift by bits (`NFT_BITWISE_LSHIFT`, 1), per 32-bit word in host order.
    Lshift(u32),
    /// Right shift by bits (`NFT_BITWISE_RSHIFT`, 2).
    Rshift(u32),
}

/// `bitwise reg = f(reg)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bitwise {
    /// Source register.
    pub sreg: Reg,
    /// Destination register.
    pub dreg: Reg,
    /// Width in bytes.
    pub len: u32,
    /// The operation.
    pub op: BitwiseOp,
    /// Whether `NFTA_BITWISE_OP` is sent for mask/xor (nft sends it for some statements and not
    /// for others; the kernel treats a missing op as mask/xor). Shifts always send it.
    pub explicit_op: bool,
}

impl Bitwise {
    /// A mask/xor bitwise in place on `reg`.
    pub fn mask_xor(reg: Reg, mask: Data, xor: Data) -> Bitwise {
        Bitwise {
            sreg: reg,
            dreg: reg,
            len: mask.len() as u32,
            op: BitwiseOp::MaskXor { mask, xor },
            explicit_op: false,
        }
    }

    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_BITWISE_SREG, self.sreg.0);
        w.be32(NFTA_BITWISE_DREG, self.dreg.0);
        match &self.op {
            BitwiseOp::MaskXor { mask, xor } => {
                if self.explicit_op {
                    w.be32(NFTA_BITWISE_OP, 0);
                }
                w.be32(NFTA_BITWISE_LEN, self.len);
                put_data(w, NFTA_BITWISE_MASK, &mask.0);
                put_data(w, NFTA_BITWISE_XOR, &xor.0);
            }
            BitwiseOp::Lshift(n) | BitwiseOp::Rshift(n) => {
                let op = if matches!(self.op, BitwiseOp::Lshift(_)) {
                    1
                } else {
                    2
                };
                w.be32(NFTA_BITWISE_OP, op);
                w.be32(NFTA_BITWISE_LEN, self.len);
                put_data(w, NFTA_BITWISE_DATA, &n.to_ne_bytes());
            }
        }
    }

    pub(crate) fn decode(d: &[u8]) -> Option<Bitwise> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_BITWISE_SREG,
                NFTA_BITWISE_DREG,
                NFTA_BITWISE_LEN,
                NFTA_BITWISE_MASK,
                NFTA_BITWISE_XOR,
                NFTA_BITWISE_OP,
                NFTA_BITWISE_DATA,
            ]),
            0,
        )?;
        let op_num = t.be32(NFTA_BITWISE_OP)?;
        let op = match op_num.unwrap_or(0) {
            0 => {
                if t.has(NFTA_BITWISE_DATA) {
                    return None;
                }
                BitwiseOp::MaskXor {
                    mask: get_value(t.get(NFTA_BITWISE_MASK)?)?,
                    xor: get_value(t.get(NFTA_BITWISE_XOR)?)?,
                }
            }
            n @ (1 | 2) => {
                if t.has(NFTA_BITWISE_MASK) || t.has(NFTA_BITWISE_XOR) {
                    return None;
                }
                let data = get_value(t.get(NFTA_BITWISE_DATA)?)?;
                let bits = u32::from_ne_bytes(data.0.as_slice().try_into().ok()?);
                if n == 1 {
                    BitwiseOp::Lshift(bits)
                } else {
                    BitwiseOp::Rshift(bits)
                }
            }
            _ => return None,
        };
        Some(Bitwise {
            sreg: reg(t.req32(NFTA_BITWISE_SREG)?),
            dreg: reg(t.req32(NFTA_BITWISE_DREG)?),
            len: t.req32(NFTA_BITWISE_LEN)?,
            op,
            explicit_op: op_num.is_some(),
        })
    }
}

impl fmt::Display for Bitwise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            BitwiseOp::MaskXor { mask, xor } => write!(
                f,
                "bitwise {} = ( {} & {} ) ^ {}",
                self.dreg, self.sreg, mask, xor
            ),
            BitwiseOp::Lshift(n) => write!(
                f,
                "bitwise {} = ( {} << 0x{:08x} )",
                self.dreg, self.sreg, n
            ),
            BitwiseOp::Rshift(n) => write!(
                f,
                "bitwise {} = ( {} >> 0x{:08x} )",
                self.dreg, self.sreg, n
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// byteorder

const NFTA_BYTEORDER_SREG: u16 = 1;
const NFTA_BYTEORDER_DREG: u16 = 2;
const NFTA_BYTEORDER_OP: u16 = 3;
const NFTA_BYTEORDER_LEN: u16 = 4;
const NFTA_BYTEORDER_SIZE: u16 = 5;

/// Byte-order conversion direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ByteorderOp {
    /// Network to host (0).
    Ntoh,
    /// Host to network (1).
    Hton,
}

/// `byteorder reg = op(reg, size, len)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Byteorder {
    /// Source register.
    pub sreg: Reg,
    /// Destination register.
    pub dreg: Reg,
    /// Direction.
    pub op: ByteorderOp,
    /// Total bytes converted.
    pub len: u32,
    /// Element size: 2, 4 or 8.
    pub size: u32,
}

impl Byteorder {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_BYTEORDER_SREG, self.sreg.0);
        w.be32(NFTA_BYTEORDER_DREG, self.dreg.0);
        w.be32(
            NFTA_BYTEORDER_OP,
            match self.op {
                ByteorderOp::Ntoh => 0,
                ByteorderOp::Hton => 1,
            },
        );
        w.be32(NFTA_BYTEORDER_LEN, self.len);
        w.be32(NFTA_BYTEORDER_SIZE, self.size);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Byteorder> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_BYTEORDER_SREG,
                NFTA_BYTEORDER_DREG,
                NFTA_BYTEORDER_OP,
                NFTA_BYTEORDER_LEN,
                NFTA_BYTEORDER_SIZE,
            ]),
            0,
        )?;
        Some(Byteorder {
            sreg: reg(t.req32(NFTA_BYTEORDER_SREG)?),
            dreg: reg(t.req32(NFTA_BYTEORDER_DREG)?),
            op: match t.req32(NFTA_BYTEORDER_OP)? {
                0 => ByteorderOp::Ntoh,
                1 => ByteorderOp::Hton,
                _ => return None,
            },
            len: t.req32(NFTA_BYTEORDER_LEN)?,
            size: t.req32(NFTA_BYTEORDER_SIZE)?,
        })
    }
}

impl fmt::Display for Byteorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            ByteorderOp::Ntoh => "ntoh",
            ByteorderOp::Hton => "hton",
        };
        write!(
            f,
            "byteorder {} = {op}({}, {}, {})",
            self.dreg, self.sreg, self.size, self.len
        )
    }
}

// ---------------------------------------------------------------------------------------------
// range

const NFTA_RANGE_SREG: u16 = 1;
const NFTA_RANGE_OP: u16 = 2;
const NFTA_RANGE_FROM_DATA: u16 = 3;
const NFTA_RANGE_TO_DATA: u16 = 4;

/// Range operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RangeOp {
    /// Inside (0).
    Eq,
    /// Outside (1).
    Neq,
}

/// `range OP reg FROM TO` (inclusive; compares big-endian bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Range {
    /// Register tested.
    pub sreg: Reg,
    /// Operator.
    pub op: RangeOp,
    /// Lower bound.
    pub from: Data,
    /// Upper bound.
    pub to: Data,
}

impl Range {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_RANGE_SREG, self.sreg.0);
        w.be32(
            NFTA_RANGE_OP,
            match self.op {
                RangeOp::Eq => 0,
                RangeOp::Neq => 1,
            },
        );
        put_data(w, NFTA_RANGE_FROM_DATA, &self.from.0);
        put_data(w, NFTA_RANGE_TO_DATA, &self.to.0);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Range> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_RANGE_SREG,
                NFTA_RANGE_OP,
                NFTA_RANGE_FROM_DATA,
                NFTA_RANGE_TO_DATA,
            ]),
            0,
        )?;
        Some(Range {
            sreg: reg(t.req32(NFTA_RANGE_SREG)?),
            op: match t.req32(NFTA_RANGE_OP)? {
                0 => RangeOp::Eq,
                1 => RangeOp::Neq,
                _ => return None,
            },
            from: get_value(t.get(NFTA_RANGE_FROM_DATA)?)?,
            to: get_value(t.get(NFTA_RANGE_TO_DATA)?)?,
        })
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            RangeOp::Eq => "eq",
            RangeOp::Neq => "neq",
        };
        write!(f, "range {op} {} {} {}", self.sreg, self.from, self.to)
    }
}

// ---------------------------------------------------------------------------------------------
// immediate

const NFTA_IMMEDIATE_DREG: u16 = 1;
const NFTA_IMMEDIATE_DATA: u16 = 2;

/// What an immediate loads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ImmediateData {
    /// Data into a data register.
    Value(Data),
    /// A verdict into register 0.
    Verdict(Verdict),
}

/// `immediate reg DATA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Immediate {
    /// Destination register (0 for verdicts).
    pub dreg: Reg,
    /// The value.
    pub data: ImmediateData,
}

impl Immediate {
    /// Data into a register.
    pub fn value(dreg: Reg, data: Data) -> Immediate {
        Immediate {
            dreg,
            data: ImmediateData::Value(data),
        }
    }

    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_IMMEDIATE_DREG, self.dreg.0);
        match &self.data {
            ImmediateData::Value(d) => put_data(w, NFTA_IMMEDIATE_DATA, &d.0),
            ImmediateData::Verdict(v) => put_verdict(w, NFTA_IMMEDIATE_DATA, v),
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Immediate> {
        let t = Tab::parse(d, mask(&[NFTA_IMMEDIATE_DREG, NFTA_IMMEDIATE_DATA]), 0)?;
        Some(Immediate {
            dreg: reg(t.req32(NFTA_IMMEDIATE_DREG)?),
            data: match get_data(t.get(NFTA_IMMEDIATE_DATA)?)? {
                DataOrVerdict::Value(v) => ImmediateData::Value(Data(v)),
                DataOrVerdict::Verdict(v) => ImmediateData::Verdict(v),
            },
        })
    }
}

impl fmt::Display for Immediate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            ImmediateData::Value(d) => write!(f, "immediate {} {}", self.dreg, d),
            ImmediateData::Verdict(v) => write!(f, "immediate {} {}", self.dreg, v),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ct

const NFTA_CT_DREG: u16 = 1;
const NFTA_CT_KEY: u16 = 2;
const NFTA_CT_DIRECTION: u16 = 3;
const NFTA_CT_SREG: u16 = 4;

key_enum! {
    /// Conntrack keys (`NFT_CT_*`).
    CtKey {
        /// State bits, host order (0).
        State = 0, "state", Some(4);
        /// Direction (1).
        Direction = 1, "direction", Some(1);
        /// Status bits, host order (2).
        Status = 2, "status", Some(4);
        /// Connection mark, host order (3).
        Mark = 3, "mark", Some(4);
        /// Security mark (4).
        Secmark = 4, "secmark", Some(4);
        /// Seconds left, ms (5).
        Expiration = 5, "expiration", Some(4);
        /// Helper name (6).
        Helper = 6, "helper", Some(16);
        /// Layer-3 protocol (7).
        L3protocol = 7, "l3protocol", Some(1);
        /// Source address, 4 or 16 bytes (8).
        Src = 8, "src", None;
        /// Destination address (9).
        Dst = 9, "dst", None;
        /// Layer-4 protocol (10).
        Protocol = 10, "protocol", Some(1);
        /// Source port (11).
        ProtoSrc = 11, "proto-src", Some(2);
        /// Destination port (12).
        ProtoDst = 12, "proto-dst", Some(2);
        /// Labels bitmap (13).
        Labels = 13, "label", Some(16);
        /// Packet count (14).
        Pkts = 14, "packets", Some(8);
        /// Byte count (15).
        Bytes = 15, "bytes", Some(8);
        /// Average packet size (16).
        Avgpkt = 16, "avgpkt", Some(8);
        /// Zone (17).
        Zone = 17, "zone", Some(2);
        /// Event mask (18).
        Eventmask = 18, "event", Some(4);
        /// IPv4 source (19).
        SrcIp = 19, "ip saddr", Some(4);
        /// IPv4 destination (20).
        DstIp = 20, "ip daddr", Some(4);
        /// IPv6 source (21).
        SrcIp6 = 21, "ip6 saddr", Some(16);
        /// IPv6 destination (22).
        DstIp6 = 22, "ip6 daddr", Some(16);
        /// Connection id (23).
        Id = 23, "id", Some(4);
    }
}

/// Conntrack direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CtDir {
    /// Original (0).
    Original,
    /// Reply (1).
    Reply,
}

/// `ct load KEY [dir] => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ct {
    /// What to load.
    pub key: CtKey,
    /// Destination register.
    pub dreg: Reg,
    /// Direction, for keys that have one.
    pub dir: Option<CtDir>,
}

impl Ct {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_CT_KEY, self.key.number());
        w.be32(NFTA_CT_DREG, self.dreg.0);
        if let Some(d) = self.dir {
            w.u8(NFTA_CT_DIRECTION, d as u8);
        }
    }
}

impl fmt::Display for Ct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ct load {} => {}", self.key, self.dreg)?;
        match self.dir {
            Some(CtDir::Original) => f.write_str(" , dir original"),
            Some(CtDir::Reply) => f.write_str(" , dir reply"),
            None => Ok(()),
        }
    }
}

/// `ct set KEY with reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CtSet {
    /// What to set (mark, labels, zone, event mask, secmark).
    pub key: CtKey,
    /// Source register.
    pub sreg: Reg,
    /// Direction (zone).
    pub dir: Option<CtDir>,
}

impl CtSet {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_CT_KEY, self.key.number());
        if let Some(d) = self.dir {
            w.u8(NFTA_CT_DIRECTION, d as u8);
        }
        w.be32(NFTA_CT_SREG, self.sreg.0);
    }
}

impl fmt::Display for CtSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ct set {} with {}", self.key, self.sreg)
    }
}

pub(super) fn decode_ct(d: &[u8]) -> Option<Expr> {
    let t = Tab::parse(
        d,
        mask(&[NFTA_CT_DREG, NFTA_CT_KEY, NFTA_CT_DIRECTION, NFTA_CT_SREG]),
        0,
    )?;
    let key = CtKey::from_number(t.req32(NFTA_CT_KEY)?);
    let dir = match t.u8(NFTA_CT_DIRECTION)? {
        None => None,
        Some(0) => Some(CtDir::Original),
        Some(1) => Some(CtDir::Reply),
        Some(_) => return None,
    };
    match (t.be32(NFTA_CT_DREG)?, t.be32(NFTA_CT_SREG)?) {
        (Some(r), None) => Some(Expr::Ct(Ct {
            key,
            dreg: reg(r),
            dir,
        })),
        (None, Some(r)) => Some(Expr::CtSet(CtSet {
            key,
            sreg: reg(r),
            dir,
        })),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// exthdr

const NFTA_EXTHDR_DREG: u16 = 1;
const NFTA_EXTHDR_TYPE: u16 = 2;
const NFTA_EXTHDR_OFFSET: u16 = 3;
const NFTA_EXTHDR_LEN: u16 = 4;
const NFTA_EXTHDR_FLAGS: u16 = 5;
const NFTA_EXTHDR_OP: u16 = 6;
const NFTA_EXTHDR_SREG: u16 = 7;

/// Which header family an exthdr expression looks into (`NFT_EXTHDR_OP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ExthdrOp {
    /// IPv6 extension headers (0).
    Ipv6,
    /// TCP options (1).
    TcpOpt,
    /// IPv4 options (2).
    Ipv4,
    /// SCTP chunks (3).
    Sctp,
    /// DCCP options (4).
    Dccp,
    /// Another number.
    Other(u32),
}

impl ExthdrOp {
    /// The `NFT_EXTHDR_OP_*` number.
    ///
    /// ```
    /// assert_eq!(linx::netfilter::expr::ExthdrOp::TcpOpt.number(), 1);
    /// ```
    pub fn number(self) -> u32 {
        match self {
            ExthdrOp::Ipv6 => 0,
            ExthdrOp::TcpOpt => 1,
            ExthdrOp::Ipv4 => 2,
            ExthdrOp::Sctp => 3,
            ExthdrOp::Dccp => 4,
            ExthdrOp::Other(n) => n,
        }
    }
    fn from_number(n: u32) -> ExthdrOp {
        match n {
            0 => ExthdrOp::Ipv6,
            1 => ExthdrOp::TcpOpt,
            2 => ExthdrOp::Ipv4,
            3 => ExthdrOp::Sctp,
            4 => ExthdrOp::Dccp,
            n => ExthdrOp::Other(n),
        }
    }
}

/// `exthdr load` (or presence test with `flags` 0x1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Exthdr {
    /// Destination register.
    pub dreg: Reg,
    /// Header / option / chunk type.
    pub kind: u8,
    /// Offset inside it.
    pub offset: u32,
    /// Bytes loaded.
    pub len: u32,
    /// `NFT_EXTHDR_F_PRESENT` (0x1): load a boolean instead of data.
    pub flags: Option<u32>,
    /// Header family (absent means IPv6 for old kernels).
    pub op: Option<ExthdrOp>,
}

impl Exthdr {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_EXTHDR_DREG, self.dreg.0);
        w.u8(NFTA_EXTHDR_TYPE, self.kind);
        w.be32(NFTA_EXTHDR_OFFSET, self.offset);
        w.be32(NFTA_EXTHDR_LEN, self.len);
        if let Some(op) = self.op {
            w.be32(NFTA_EXTHDR_OP, op.number());
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_EXTHDR_FLAGS, f);
        }
    }
}

/// The operation as `nft --debug=netlink` names it (empty for SCTP and unknown ones).
fn op_text(op: Option<ExthdrOp>) -> &'static str {
    match op.unwrap_or(ExthdrOp::Ipv6) {
        ExthdrOp::TcpOpt => " tcpopt",
        ExthdrOp::Ipv6 => " ipv6",
        ExthdrOp::Ipv4 => " ipv4",
        _ => "",
    }
}

impl fmt::Display for Exthdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exthdr load{} {}b @ {} + {}{} => {}",
            op_text(self.op),
            self.len,
            self.kind,
            self.offset,
            if self.flags.unwrap_or(0) & 1 != 0 {
                " present"
            } else {
                ""
            },
            self.dreg
        )
    }
}

/// `exthdr write` of a TCP option field (e.g. MSS clamping).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExthdrWrite {
    /// Source register.
    pub sreg: Reg,
    /// Option type.
    pub kind: u8,
    /// Offset inside the option.
    pub offset: u32,
    /// Bytes written.
    pub len: u32,
    /// Header family.
    pub op: Option<ExthdrOp>,
    /// Flags.
    pub flags: Option<u32>,
}

impl ExthdrWrite {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_EXTHDR_SREG, self.sreg.0);
        w.u8(NFTA_EXTHDR_TYPE, self.kind);
        w.be32(NFTA_EXTHDR_OFFSET, self.offset);
        w.be32(NFTA_EXTHDR_LEN, self.len);
        if let Some(op) = self.op {
            w.be32(NFTA_EXTHDR_OP, op.number());
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_EXTHDR_FLAGS, f);
        }
    }
}

impl fmt::Display for ExthdrWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exthdr write{} {} => {}b @ {} + {}",
            op_text(self.op),
            self.sreg,
            self.len,
            self.kind,
            self.offset
        )
    }
}

/// `exthdr` without a register: remove a TCP option from the packet (`reset tcp option`,
/// kernel ≥ 5.18), overwriting it with NOPs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExthdrStrip {
    /// Option kind.
    pub kind: u8,
    /// Header family (TCP options are the only one the kernel strips).
    pub op: Option<ExthdrOp>,
}

impl ExthdrStrip {
    pub(crate) fn encode(&self, w: &mut W) {
        w.u8(NFTA_EXTHDR_TYPE, self.kind);
        if let Some(op) = self.op {
            w.be32(NFTA_EXTHDR_OP, op.number());
        }
    }
}

impl fmt::Display for ExthdrStrip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Some(ExthdrOp::TcpOpt) => write!(f, "exthdr reset tcpopt {}", self.kind),
            op => write!(
                f,
                "exthdr op {} len 0 type {} offset 0",
                op.map(ExthdrOp::number).unwrap_or(0),
                self.kind
            ),
        }
    }
}

pub(super) fn decode_exthdr(d: &[u8]) -> Option<Expr> {
    let t = Tab::parse(
        d,
        mask(&[
            NFTA_EXTHDR_DREG,
            NFTA_EXTHDR_TYPE,
            NFTA_EXTHDR_OFFSET,
            NFTA_EXTHDR_LEN,
            NFTA_EXTHDR_FLAGS,
            NFTA_EXTHDR_OP,
            NFTA_EXTHDR_SREG,
        ]),
        0,
    )?;
    let kind = t.u8(NFTA_EXTHDR_TYPE)??;
    let offset = t.be32(NFTA_EXTHDR_OFFSET)?.unwrap_or(0);
    let flags = t.be32(NFTA_EXTHDR_FLAGS)?;
    let op = t.be32(NFTA_EXTHDR_OP)?.map(ExthdrOp::from_number);
    let (dreg, sreg) = (t.be32(NFTA_EXTHDR_DREG)?, t.be32(NFTA_EXTHDR_SREG)?);
    if dreg.is_none() && sreg.is_none() {
        // A strip: the kernel dumps offset, length and flags as 0.
        let len = t.be32(NFTA_EXTHDR_LEN)?.unwrap_or(0);
        if offset != 0 || len != 0 || flags.unwrap_or(0) != 0 {
            return None;
        }
        return Some(Expr::ExthdrStrip(ExthdrStrip { kind, op }));
    }
    let len = t.req32(NFTA_EXTHDR_LEN)?;
    if !t.has(NFTA_EXTHDR_OFFSET) {
        return None;
    }
    match (dreg, sreg) {
        (Some(r), None) => Some(Expr::Exthdr(Exthdr {
            dreg: reg(r),
            kind,
            offset,
            len,
            flags,
            op,
        })),
        (None, Some(r)) => Some(Expr::ExthdrWrite(ExthdrWrite {
            sreg: reg(r),
            kind,
            offset,
            len,
            op,
            // The kernel dumps FLAGS 0 but refuses FLAGS when writing.
            flags: flags.filter(|f| *f != 0),
        })),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// fib

const NFTA_FIB_DREG: u16 = 1;
const NFTA_FIB_RESULT: u16 = 2;
const NFTA_FIB_FLAGS: u16 = 3;

/// fib lookup flags (`NFTA_FIB_F_*`).
pub mod fib_flags {
    /// Look up the source address.
    pub const SADDR: u32 = 1 << 0;
    /// Look up the destination address.
    pub const DADDR: u32 = 1 << 1;
    /// Use the packet mark.
    pub const MARK: u32 = 1 << 2;
    /// Restrict to the input interface.
    pub const IIF: u32 = 1 << 3;
    /// Restrict to the output interface.
    pub const OIF: u32 = 1 << 4;
    /// Only test existence.
    pub const PRESENT: u32 = 1 << 5;
}

/// What a fib lookup returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FibResult {
    /// Output interface index (1).
    Oif,
    /// Output interface name (2).
    OifName,
    /// Address type (3).
    AddrType,
    /// Another number.
    Other(u32),
}

impl FibResult {
    fn number(self) -> u32 {
        match self {
            FibResult::Oif => 1,
            FibResult::OifName => 2,
            FibResult::AddrType => 3,
            FibResult::Other(n) => n,
        }
    }
    fn from_number(n: u32) -> FibResult {
        match n {
            1 => FibResult::Oif,
            2 => FibResult::OifName,
            3 => FibResult::AddrType,
            n => FibResult::Other(n),
        }
    }
}

/// `fib FLAGS RESULT => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Fib {
    /// Destination register.
    pub dreg: Reg,
    /// Result kind.
    pub result: FibResult,
    /// [`fib_flags`].
    pub flags: u32,
}

impl Fib {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_FIB_FLAGS, self.flags);
        w.be32(NFTA_FIB_RESULT, self.result.number());
        w.be32(NFTA_FIB_DREG, self.dreg.0);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Fib> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_FIB_DREG, NFTA_FIB_RESULT, NFTA_FIB_FLAGS]),
            0,
        )?;
        Some(Fib {
            dreg: reg(t.req32(NFTA_FIB_DREG)?),
            result: FibResult::from_number(t.req32(NFTA_FIB_RESULT)?),
            flags: t.req32(NFTA_FIB_FLAGS)?,
        })
    }
}

impl fmt::Display for Fib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fib flags 0x{:x} result {} => {}",
            self.flags,
            self.result.number(),
            self.dreg
        )
    }
}

// ---------------------------------------------------------------------------------------------
// rt

const NFTA_RT_DREG: u16 = 1;
const NFTA_RT_KEY: u16 = 2;

key_enum! {
    /// Routing keys (`NFT_RT_*`).
    RtKey {
        /// Realm (0).
        Classid = 0, "classid", Some(4);
        /// IPv4 next hop (1).
        Nexthop4 = 1, "nexthop", Some(4);
        /// IPv6 next hop (2).
        Nexthop6 = 2, "nexthop", Some(16);
        /// TCP MSS of the route (3).
        Tcpmss = 3, "mtu", Some(2);
        /// IPsec route (4).
        Xfrm = 4, "ipsec", Some(1);
    }
}

/// `rt load KEY => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rt {
    /// What to load.
    pub key: RtKey,
    /// Destination register.
    pub dreg: Reg,
}

impl Rt {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_RT_KEY, self.key.number());
        w.be32(NFTA_RT_DREG, self.dreg.0);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Rt> {
        let t = Tab::parse(d, mask(&[NFTA_RT_DREG, NFTA_RT_KEY]), 0)?;
        Some(Rt {
            key: RtKey::from_number(t.req32(NFTA_RT_KEY)?),
            dreg: reg(t.req32(NFTA_RT_DREG)?),
        })
    }
}

impl fmt::Display for Rt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rt load {} => {}", self.key, self.dreg)
    }
}

// ---------------------------------------------------------------------------------------------
// socket

const NFTA_SOCKET_KEY: u16 = 1;
const NFTA_SOCKET_DREG: u16 = 2;
const NFTA_SOCKET_LEVEL: u16 = 3;

key_enum! {
    /// Socket keys (`NFT_SOCKET_*`).
    SocketKey {
        /// Transparent socket (0).
        Transparent = 0, "transparent", Some(1);
        /// Socket mark (1).
        Mark = 1, "mark", Some(4);
        /// Bound to a wildcard address (2).
        Wildcard = 2, "wildcard", Some(1);
        /// cgroup v2 id at a level (3).
        Cgroupv2 = 3, "cgroupv2", Some(8);
    }
}

/// `socket KEY [level] => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Socket {
    /// What to load.
    pub key: SocketKey,
    /// Destination register.
    pub dreg: Reg,
    /// cgroup v2 ancestor level (nft also sends 0 for other keys).
    pub level: Option<u32>,
}

impl Socket {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_SOCKET_KEY, self.key.number());
        w.be32(NFTA_SOCKET_DREG, self.dreg.0);
        if let Some(l) = self.level {
            w.be32(NFTA_SOCKET_LEVEL, l);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Socket> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_SOCKET_KEY, NFTA_SOCKET_DREG, NFTA_SOCKET_LEVEL]),
            0,
        )?;
        Some(Socket {
            key: SocketKey::from_number(t.req32(NFTA_SOCKET_KEY)?),
            dreg: reg(t.req32(NFTA_SOCKET_DREG)?),
            level: t.be32(NFTA_SOCKET_LEVEL)?,
        })
    }
}

impl fmt::Display for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket load {} => {}", self.key, self.dreg)?;
        if let Some(l) = self.level {
            write!(f, ", level {l}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// numgen

const NFTA_NG_DREG: u16 = 1;
const NFTA_NG_MODULUS: u16 = 2;
const NFTA_NG_TYPE: u16 = 3;
const NFTA_NG_OFFSET: u16 = 4;

/// Number generator kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NumgenKind {
    /// Incremental (0).
    Incremental,
    /// Random (1).
    Random,
}

/// `numgen KIND mod N [offset O] => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Numgen {
    /// Destination register.
    pub dreg: Reg,
    /// Modulus.
    pub modulus: u32,
    /// Kind.
    pub kind: NumgenKind,
    /// Offset added to the result.
    pub offset: Option<u32>,
}

impl Numgen {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_NG_DREG, self.dreg.0);
        w.be32(NFTA_NG_MODULUS, self.modulus);
        w.be32(NFTA_NG_TYPE, self.kind as u32);
        if let Some(o) = self.offset {
            w.be32(NFTA_NG_OFFSET, o);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Numgen> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_NG_DREG, NFTA_NG_MODULUS, NFTA_NG_TYPE, NFTA_NG_OFFSET]),
            0,
        )?;
        Some(Numgen {
            dreg: reg(t.req32(NFTA_NG_DREG)?),
            modulus: t.req32(NFTA_NG_MODULUS)?,
            kind: match t.req32(NFTA_NG_TYPE)? {
                0 => NumgenKind::Incremental,
                1 => NumgenKind::Random,
                _ => return None,
            },
            offset: t.be32(NFTA_NG_OFFSET)?,
        })
    }
}

impl fmt::Display for Numgen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            NumgenKind::Incremental => "inc",
            NumgenKind::Random => "random",
        };
        write!(
            f,
            "numgen {} = {k} mod {} offset {}",
            self.dreg,
            self.modulus,
            self.offset.unwrap_or(0)
        )
    }
}

// ---------------------------------------------------------------------------------------------
// hash

const NFTA_HASH_SREG: u16 = 1;
const NFTA_HASH_DREG: u16 = 2;
const NFTA_HASH_LEN: u16 = 3;
const NFTA_HASH_MODULUS: u16 = 4;
const NFTA_HASH_SEED: u16 = 5;
const NFTA_HASH_OFFSET: u16 = 6;
const NFTA_HASH_TYPE: u16 = 7;

/// Hash kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum HashKind {
    /// Jenkins hash over a register (0).
    Jenkins,
    /// Symmetric hash over the flow (1).
    Symmetric,
}

/// `hash => reg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Hash {
    /// Hashed register (jhash only).
    pub sreg: Option<Reg>,
    /// Destination register.
    pub dreg: Reg,
    /// Bytes hashed (jhash only).
    pub len: u32,
    /// Modulus.
    pub modulus: u32,
    /// Seed (jhash).
    pub seed: Option<u32>,
    /// Offset added.
    pub offset: Option<u32>,
    /// Kind.
    pub kind: HashKind,
}

impl Hash {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(r) = self.sreg {
            w.be32(NFTA_HASH_SREG, r.0);
        }
        w.be32(NFTA_HASH_DREG, self.dreg.0);
        if self.sreg.is_some() {
            w.be32(NFTA_HASH_LEN, self.len);
        }
        w.be32(NFTA_HASH_MODULUS, self.modulus);
        if let Some(s) = self.seed {
            w.be32(NFTA_HASH_SEED, s);
        }
        if let Some(o) = self.offset {
            w.be32(NFTA_HASH_OFFSET, o);
        }
        w.be32(NFTA_HASH_TYPE, self.kind as u32);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Hash> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_HASH_SREG,
                NFTA_HASH_DREG,
                NFTA_HASH_LEN,
                NFTA_HASH_MODULUS,
                NFTA_HASH_SEED,
                NFTA_HASH_OFFSET,
                NFTA_HASH_TYPE,
            ]),
            0,
        )?;
        let sreg = t.be32(NFTA_HASH_SREG)?.map(reg);
        let len = t.be32(NFTA_HASH_LEN)?;
        if sreg.is_some() != len.is_some() {
            return None;
        }
        Some(Hash {
            sreg,
            dreg: reg(t.req32(NFTA_HASH_DREG)?),
            len: len.unwrap_or(0),
            modulus: t.req32(NFTA_HASH_MODULUS)?,
            seed: t.be32(NFTA_HASH_SEED)?,
            offset: t.be32(NFTA_HASH_OFFSET)?,
            kind: match t.be32(NFTA_HASH_TYPE)?.unwrap_or(0) {
                0 => HashKind::Jenkins,
                1 => HashKind::Symmetric,
                _ => return None,
            },
        })
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.sreg) {
            (HashKind::Jenkins, Some(s)) => write!(
                f,
                "hash {} = jhash({}, {}, 0x{:x}) % mod {} offset {}",
                self.dreg,
                s,
                self.len,
                self.seed.unwrap_or(0),
                self.modulus,
                self.offset.unwrap_or(0)
            ),
            _ => write!(
                f,
                "hash {} = symhash() % mod {} offset {}",
                self.dreg,
                self.modulus,
                self.offset.unwrap_or(0)
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// osf, xfrm, tunnel

const NFTA_OSF_DREG: u16 = 1;
const NFTA_OSF_TTL: u16 = 2;
const NFTA_OSF_FLAGS: u16 = 3;

/// `osf => reg` (OS fingerprint name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Osf {
    /// Destination register.
    pub dreg: Reg,
    /// TTL check mode (0 strict, 1 loose, 2 skip).
    pub ttl: Option<u8>,
    /// 0x1: load the version too.
    pub flags: Option<u32>,
}

impl Osf {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_OSF_DREG, self.dreg.0);
        if let Some(t) = self.ttl {
            w.u8(NFTA_OSF_TTL, t);
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_OSF_FLAGS, f);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Osf> {
        let t = Tab::parse(d, mask(&[NFTA_OSF_DREG, NFTA_OSF_TTL, NFTA_OSF_FLAGS]), 0)?;
        Some(Osf {
            dreg: reg(t.req32(NFTA_OSF_DREG)?),
            ttl: t.u8(NFTA_OSF_TTL)?,
            // The kernel dumps FLAGS 0 but only accepts FLAGS = NFT_OSF_F_VERSION.
            flags: t.be32(NFTA_OSF_FLAGS)?.filter(|f| *f != 0),
        })
    }
}

impl fmt::Display for Osf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "osf dreg {}", self.dreg)
    }
}

const NFTA_XFRM_DREG: u16 = 1;
const NFTA_XFRM_KEY: u16 = 2;
const NFTA_XFRM_DIR: u16 = 3;
const NFTA_XFRM_SPNUM: u16 = 4;

/// `xfrm load` (IPsec state).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Xfrm {
    /// Destination register.
    pub dreg: Reg,
    /// Key: daddr4 1, daddr6 2, saddr4 3, saddr6 4, reqid 5, spi 6.
    pub key: u32,
    /// Direction: 0 in, 1 out.
    pub dir: u8,
    /// Security path index.
    pub spnum: u32,
}

impl Xfrm {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_XFRM_KEY, self.key);
        w.u8(NFTA_XFRM_DIR, self.dir);
        w.be32(NFTA_XFRM_SPNUM, self.spnum);
        w.be32(NFTA_XFRM_DREG, self.dreg.0);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Xfrm> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_XFRM_DREG,
                NFTA_XFRM_KEY,
                NFTA_XFRM_DIR,
                NFTA_XFRM_SPNUM,
            ]),
            0,
        )?;
        Some(Xfrm {
            dreg: reg(t.req32(NFTA_XFRM_DREG)?),
            key: t.req32(NFTA_XFRM_KEY)?,
            dir: t.u8(NFTA_XFRM_DIR)??,
            spnum: t.be32(NFTA_XFRM_SPNUM)?.unwrap_or(0),
        })
    }
}

impl fmt::Display for Xfrm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "xfrm load {} {} {} => {}",
            if self.dir == 0 { "in" } else { "out" },
            self.spnum,
            self.key,
            self.dreg
        )
    }
}

const NFTA_TUNNEL_KEY: u16 = 1;
const NFTA_TUNNEL_DREG: u16 = 2;
const NFTA_TUNNEL_MODE: u16 = 3;

/// `tunnel load` (tunnel metadata: 0 path, 1 id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tunnel {
    /// Key.
    pub key: u32,
    /// Destination register.
    pub dreg: Reg,
    /// Mode: 0 none, 1 rx, 2 tx.
    pub mode: Option<u32>,
}

impl Tunnel {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_TUNNEL_KEY, self.key);
        w.be32(NFTA_TUNNEL_DREG, self.dreg.0);
        if let Some(m) = self.mode {
            w.be32(NFTA_TUNNEL_MODE, m);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Tunnel> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_TUNNEL_KEY, NFTA_TUNNEL_DREG, NFTA_TUNNEL_MODE]),
            0,
        )?;
        Some(Tunnel {
            key: t.req32(NFTA_TUNNEL_KEY)?,
            dreg: reg(t.req32(NFTA_TUNNEL_DREG)?),
            mode: t.be32(NFTA_TUNNEL_MODE)?,
        })
    }
}

impl fmt::Display for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tunnel load {} => {}", self.key, self.dreg)
    }
}

// ---------------------------------------------------------------------------------------------
// inner (≥ 6.2)

const NFTA_INNER_NUM: u16 = 1;
const NFTA_INNER_TYPE: u16 = 2;
const NFTA_INNER_FLAGS: u16 = 3;
const NFTA_INNER_HDRSIZE: u16 = 4;
const NFTA_INNER_EXPR: u16 = 5;

/// `inner`: run one payload/meta expression over an encapsulated packet (vxlan, geneve, gre).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Inner {
    /// Number (0).
    pub num: u32,
    /// Tunnel type: 0 unspec, 1 vxlan, 2 geneve, 3 gre.
    pub kind: u32,
    /// Which inner headers to parse.
    pub flags: u32,
    /// Tunnel header size.
    pub hdrsize: u32,
    /// The inner expression.
    pub expr: Box<Expr>,
}

impl Inner {
    pub(crate) fn encode(&self, w: &mut W) -> Result<()> {
        w.be32(NFTA_INNER_NUM, self.num);
        w.be32(NFTA_INNER_TYPE, self.kind);
        w.be32(NFTA_INNER_FLAGS, self.flags);
        w.be32(NFTA_INNER_HDRSIZE, self.hdrsize);
        let n = w.nest(NFTA_INNER_EXPR);
        self.expr.encode_body(w)?;
        w.end(n);
        Ok(())
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Inner> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_INNER_NUM,
                NFTA_INNER_TYPE,
                NFTA_INNER_FLAGS,
                NFTA_INNER_HDRSIZE,
                NFTA_INNER_EXPR,
            ]),
            0,
        )?;
        let expr = Expr::decode_body(t.get(NFTA_INNER_EXPR)?).ok()?;
        if expr.is_unknown() {
            return None;
        }
        Some(Inner {
            num: t.req32(NFTA_INNER_NUM)?,
            kind: t.req32(NFTA_INNER_TYPE)?,
            flags: t.req32(NFTA_INNER_FLAGS)?,
            hdrsize: t.req32(NFTA_INNER_HDRSIZE)?,
            expr: Box::new(expr),
        })
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "inner type {} hdrsize {} [ {} ]",
            self.kind, self.hdrsize, self.expr
        )
    }
}
