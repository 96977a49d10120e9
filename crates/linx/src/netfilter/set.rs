//! Sets, maps and their elements, with type-directed element encoding.
//!
//! A set's key is one data type or a concatenation of several ([`SetKey`]); maps add a data type,
//! verdict maps carry [`Verdict`]s, object maps name stateful objects. Element values are typed
//! ([`Value`]: `std::net` addresses, [`Mac`], integers, interface names) and encoded per the set's
//! key fields: addresses and ports big-endian, marks and ct states in host order, interface
//! names NUL-padded to 16 bytes, concatenation components padded to 4 bytes each.
//!
//! Interval sets hold ranges and prefixes. On the wire they are start elements plus end markers
//! (`key = last + 1`, flag `NFT_SET_ELEM_INTERVAL_END`), no end marker when a range ends at the
//! type's maximum or touches the next range, and — when a set is created with its elements — a
//! leading end marker at zero, exactly as nft sends them. Interval concatenations (`10.0.0.0/24 .
//! 80-443`) use one element with `KEY` and `KEY_END` instead.
//!
//! ```
//! use linx::netfilter::set::{DataType, Element, Part, Set, SetKey};
//! use std::net::Ipv4Addr;
//! let mut s = Set::new("allow", SetKey::single(DataType::IPV4_ADDR)).interval();
//! s.elements.push(Element::new(Part::Prefix("10.0.0.0/8".parse()?)));
//! let raw = s.encode_elements(&s.elements, true)?;
//! // leading zero end marker, start 10.0.0.0, end 11.0.0.0
//! assert_eq!(raw.len(), 3);
//! assert_eq!(raw[2].key.as_deref(), Some(&[11u8, 0, 0, 0][..]));
//! assert_eq!(s.decode_elements(&raw)?, s.elements);
//! # Ok::<(), linx::Error>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::expr::{Expr, Verdict};
use super::obj::ObjectType;
use super::userdata::{self, Userdata};
use crate::error::{Error, Result, Subsystem};
use crate::types::{Mac, Prefix};

/// An nft data type id (`enum datatypes` in nft's `datatype.h`); also the set key type numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataType(pub u32);

/// Byte order of register data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ByteOrder {
    /// Network order (addresses, ports).
    Big,
    /// Host order (marks, ifindex, uid, ct state).
    Host,
}

macro_rules! datatypes {
    ($($(#[$m:meta])* $c:ident = $n:literal, $name:literal, $len:expr, $order:ident;)*) => {
        impl DataType {
            $($(#[$m])* pub const $c: DataType = DataType($n);)*

            /// nft's name of the type (`ipv4_addr`, `inet_service` …); `None` for unknown ids.
            pub fn name(self) -> Option<&'static str> {
                match self.0 { $($n => Some($name),)* _ => None }
            }

            /// The fixed byte length, if the type has one.
            pub fn width(self) -> Option<u32> {
                match self.0 { $($n => $len,)* _ => None }
            }

            /// The type's byte order.
            pub fn byte_order(self) -> ByteOrder {
                match self.0 { $($n => ByteOrder::$order,)* _ => ByteOrder::Big }
            }

            /// The type with nft's name `name`.
            pub fn from_name(name: &str) -> Option<DataType> {
                match name { $($name => Some(DataType($n)),)* _ => None }
            }
        }
    };
}

datatypes! {
    /// `verdict` (1).
    VERDICT = 1, "verdict", Some(4), Host;
    /// `nf_proto` (2).
    NFPROTO = 2, "nf_proto", Some(1), Host;
    /// `bitmask` (3).
    BITMASK = 3, "bitmask", None, Host;
    /// `integer` (4, any width; host order unless the set's userdata says otherwise).
    INTEGER = 4, "integer", None, Host;
    /// `string` (5).
    STRING = 5, "string", None, Host;
    /// `ll_addr` (6).
    LLADDR = 6, "ll_addr", None, Big;
    /// `ipv4_addr` (7).
    IPV4_ADDR = 7, "ipv4_addr", Some(4), Big;
    /// `ipv6_addr` (8).
    IPV6_ADDR = 8, "ipv6_addr", Some(16), Big;
    /// `ether_addr` (9).
    ETHER_ADDR = 9, "ether_addr", Some(6), Big;
    /// `ether_type` (10).
    ETHER_TYPE = 10, "ether_type", Some(2), Big;
    /// `arp_op` (11).
    ARP_OP = 11, "arp_op", Some(2), Big;
    /// `inet_proto` (12).
    INET_PROTO = 12, "inet_proto", Some(1), Big;
    /// `inet_service` (13).
    INET_SERVICE = 13, "inet_service", Some(2), Big;
    /// `icmp_type` (14).
    ICMP_TYPE = 14, "icmp_type", Some(1), Big;
    /// `tcp_flag` (15).
    TCP_FLAG = 15, "tcp_flag", Some(1), Big;
    /// `dccp_pkttype` (16).
    DCCP_PKTTYPE = 16, "dccp_pkttype", Some(1), Big;
    /// `mh_type` (17).
    MH_TYPE = 17, "mh_type", Some(1), Big;
    /// `time` (18).
    TIME = 18, "time", Some(8), Host;
    /// `mark` (19).
    MARK = 19, "mark", Some(4), Host;
    /// `iface_index` (20).
    IFINDEX = 20, "iface_index", Some(4), Host;
    /// `iface_type` (21).
    ARPHRD = 21, "iface_type", Some(2), Host;
    /// `realm` (22).
    REALM = 22, "realm", Some(4), Host;
    /// `classid` (23).
    CLASSID = 23, "classid", Some(4), Host;
    /// `uid` (24).
    UID = 24, "uid", Some(4), Host;
    /// `gid` (25).
    GID = 25, "gid", Some(4), Host;
    /// `ct_state` (26).
    CT_STATE = 26, "ct_state", Some(4), Host;
    /// `ct_dir` (27).
    CT_DIR = 27, "ct_dir", Some(1), Host;
    /// `ct_status` (28).
    CT_STATUS = 28, "ct_status", Some(4), Host;
    /// `icmpv6_type` (29).
    ICMPV6_TYPE = 29, "icmpv6_type", Some(1), Big;
    /// `ct_label` (30).
    CT_LABEL = 30, "ct_label", Some(16), Host;
    /// `pkt_type` (31).
    PKTTYPE = 31, "pkt_type", Some(1), Host;
    /// `icmp_code` (32).
    ICMP_CODE = 32, "icmp_code", Some(1), Big;
    /// `icmpv6_code` (33).
    ICMPV6_CODE = 33, "icmpv6_code", Some(1), Big;
    /// `icmpx_code` (34).
    ICMPX_CODE = 34, "icmpx_code", Some(1), Big;
    /// `devgroup` (35).
    DEVGROUP = 35, "devgroup", Some(4), Host;
    /// `dscp` (36).
    DSCP = 36, "dscp", Some(1), Big;
    /// `ecn` (37).
    ECN = 37, "ecn", Some(1), Big;
    /// `fib_addrtype` (38).
    FIB_ADDR = 38, "fib_addrtype", Some(4), Host;
    /// `boolean` (39).
    BOOLEAN = 39, "boolean", Some(1), Host;
    /// `ct_event` (40).
    CT_EVENT = 40, "ct_event", Some(4), Host;
    /// `ifname` (41).
    IFNAME = 41, "ifname", Some(16), Host;
    /// `igmp_type` (42).
    IGMP_TYPE = 42, "igmp_type", Some(1), Big;
    /// `time_date` (43).
    TIME_DATE = 43, "time_date", Some(8), Host;
    /// `time_hour` (44).
    TIME_HOUR = 44, "time_hour", Some(4), Host;
    /// `time_day` (45).
    TIME_DAY = 45, "time_day", Some(1), Host;
    /// `cgroupsv2` (46).
    CGROUPV2 = 46, "cgroupsv2", Some(8), Host;
}

/// Bits per component in a concatenated type id.
pub const TYPE_BITS: u32 = 6;
/// `NFT_DATA_VERDICT`: the data type of verdict maps.
pub const NFT_DATA_VERDICT: u32 = 0xffff_ff00;

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "type {}", self.0),
        }
    }
}

/// One component of a set key (or map data): its type and byte length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Field {
    /// Data type.
    pub ty: DataType,
    /// Unpadded length in bytes.
    pub len: u32,
}

impl Field {
    /// A field of a fixed-length type.
    ///
    /// # Errors
    /// Types without a fixed length (use [`Field::with_len`]).
    pub fn of(ty: DataType) -> Result<Field> {
        let len = ty.width().ok_or_else(|| {
            Error::input(
                Subsystem::Netfilter,
                "set key type",
                ty.to_string(),
                "has no fixed length; give one",
            )
        })?;
        Ok(Field { ty, len })
    }
    /// A field with an explicit length (`integer`, `string`, typeof keys).
    pub fn with_len(ty: DataType, len: u32) -> Field {
        Field { ty, len }
    }
}

/// A set key (or map data) description: one field, or a concatenation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SetKey {
    /// The components, in order.
    pub fields: Vec<Field>,
    /// The type id as sent (`NFTA_SET_KEY_TYPE`); derived from the fields unless overridden.
    pub type_id: u32,
    /// The total length as sent (`NFTA_SET_KEY_LEN`).
    pub len: u32,
}

impl SetKey {
    /// A single fixed-length type. Types without a fixed length get length 4.
    pub fn single(ty: DataType) -> SetKey {
        let len = ty.width().unwrap_or(4);
        SetKey::from_fields(vec![Field { ty, len }])
    }

    /// A key built from fields; type id and length are derived (6 bits per component, each
    /// component padded to 4 bytes in a concatenation).
    pub fn from_fields(fields: Vec<Field>) -> SetKey {
        let type_id = fields.iter().fold(0u32, |id, f| (id << TYPE_BITS) | f.ty.0);
        let len = if fields.len() == 1 {
            fields[0].len
        } else {
            fields.iter().map(|f| align4(f.len)).sum()
        };
        SetKey {
            fields,
            type_id,
            len,
        }
    }

    /// A concatenation of fixed-length types.
    ///
    /// # Errors
    /// A type without a fixed length; fewer than two or more than 16 components.
    pub fn concat(types: &[DataType]) -> Result<SetKey> {
        if types.len() < 2 || types.len() > 16 {
            return Err(Error::input(
                Subsystem::Netfilter,
                "concatenation",
                format!("{} components", types.len()),
                "a concatenation has 2 to 16 components",
            ));
        }
        let fields = types
            .iter()
            .map(|t| Field::of(*t))
            .collect::<Result<Vec<_>>>()?;
        Ok(SetKey::from_fields(fields))
    }

    /// Rebuilds the fields of a pulled key from its type id, length and (optional) per-field
    /// lengths (`NFTA_SET_DESC_CONCAT`). Unknown layouts become one opaque field.
    pub fn from_wire(type_id: u32, len: u32, field_lens: Option<&[u32]>) -> SetKey {
        let mut ids = Vec::new();
        if type_id >= 1 << TYPE_BITS {
            let mut t = type_id;
            while t != 0 {
                ids.push(t & ((1 << TYPE_BITS) - 1));
                t >>= TYPE_BITS;
            }
            ids.reverse();
        } else {
            ids.push(type_id);
        }
        let opaque = SetKey {
            fields: vec![Field {
                ty: DataType(type_id),
                len,
            }],
            type_id,
            len,
        };
        if ids.len() == 1 {
            return opaque;
        }
        let lens: Option<Vec<u32>> = match field_lens {
            Some(l) if l.len() == ids.len() => Some(l.to_vec()),
            Some(_) => None,
            None => {
                // Fill in from the registry; at most one unknown length can be inferred.
                let known: Vec<Option<u32>> = ids.iter().map(|&i| DataType(i).width()).collect();
                let unknown = known.iter().filter(|l| l.is_none()).count();
                match unknown {
                    0 => Some(known.into_iter().flatten().collect()),
                    1 => {
                        let used: u32 = known.iter().flatten().map(|&l| align4(l)).sum();
                        len.checked_sub(used)
                            .map(|rest| known.iter().map(|l| l.unwrap_or(rest)).collect())
                    }
                    _ => None,
                }
            }
        };
        let Some(lens) = lens else { return opaque };
        let total: u32 = lens.iter().map(|&l| align4(l)).sum();
        if total != len {
            return opaque;
        }
        SetKey {
            fields: ids
                .into_iter()
                .zip(lens)
                .map(|(i, l)| Field {
                    ty: DataType(i),
                    len: l,
                })
                .collect(),
            type_id,
            len,
        }
    }

    /// True for a concatenation.
    pub fn is_concat(&self) -> bool {
        self.fields.len() > 1
    }
}

impl fmt::Display for SetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fl) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(" . ")?;
            }
            write!(f, "{}", fl.ty)?;
        }
        Ok(())
    }
}

pub(crate) const fn align4(n: u32) -> u32 {
    (n + 3) & !3
}

/// What a map maps to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SetData {
    /// Data of these fields (`NFTA_SET_DATA_TYPE`/`DATA_LEN`).
    Value(SetKey),
    /// Verdicts (a verdict map; `NFT_DATA_VERDICT`). The length is the one sent (nft sends 0).
    Verdict {
        /// `NFTA_SET_DATA_LEN` as sent.
        len: u32,
    },
    /// Named stateful objects of one type (an object map, `NFTA_SET_OBJ_TYPE`).
    Object(ObjectType),
}

bitflags::bitflags! {
    /// Set flags (`NFT_SET_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SetFlags: u32 {
        /// Anonymous (bound to one rule).
        const ANONYMOUS = 0x1;
        /// Constant (no element changes after creation).
        const CONSTANT = 0x2;
        /// Holds intervals.
        const INTERVAL = 0x4;
        /// A map.
        const MAP = 0x8;
        /// Elements time out.
        const TIMEOUT = 0x10;
        /// Updated from the packet path (`dynamic`).
        const EVAL = 0x20;
        /// An object map.
        const OBJECT = 0x40;
        /// Interval concatenation.
        const CONCAT = 0x80;
        /// Has set expressions.
        const EXPR = 0x100;
        /// Any other bits.
        const _ = !0;
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SetFlags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u32(self.bits())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for SetFlags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<SetFlags, D::Error> {
        u32::deserialize(d).map(SetFlags::from_bits_retain)
    }
}

/// Set backend selection hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SetPolicy {
    /// `performance` (0).
    Performance,
    /// `memory` (1).
    Memory,
}

/// A typed element value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Value {
    /// An IPv4 address (`ipv4_addr`).
    Ipv4(Ipv4Addr),
    /// An IPv6 address (`ipv6_addr`).
    Ipv6(Ipv6Addr),
    /// A MAC address (`ether_addr`).
    Mac(Mac),
    /// An integer of any integer-like type (port, protocol, mark, ct state …), encoded at the
    /// field's width in the field's byte order.
    Int(u64),
    /// An interface name (`ifname`), NUL-padded to 16 bytes.
    Ifname(String),
    /// Raw bytes of exactly the field's width.
    Bytes(Vec<u8>),
}

impl From<Ipv4Addr> for Value {
    fn from(a: Ipv4Addr) -> Value {
        Value::Ipv4(a)
    }
}
impl From<Ipv6Addr> for Value {
    fn from(a: Ipv6Addr) -> Value {
        Value::Ipv6(a)
    }
}
impl From<IpAddr> for Value {
    fn from(a: IpAddr) -> Value {
        match a {
            IpAddr::V4(a) => Value::Ipv4(a),
            IpAddr::V6(a) => Value::Ipv6(a),
        }
    }
}
impl From<Mac> for Value {
    fn from(m: Mac) -> Value {
        Value::Mac(m)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(v.into())
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Value {
        Value::Int(v.into())
    }
}
impl From<u8> for Value {
    fn from(v: u8) -> Value {
        Value::Int(v.into())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Ipv4(a) => a.fmt(f),
            Value::Ipv6(a) => a.fmt(f),
            Value::Mac(m) => m.fmt(f),
            Value::Int(v) => v.fmt(f),
            Value::Ifname(n) => write!(f, "\"{n}\""),
            Value::Bytes(b) => {
                f.write_str("0x")?;
                for x in b {
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// One key component of an element: a value, an inclusive range, or a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Part {
    /// A single value.
    Value(Value),
    /// An inclusive range (interval sets only).
    Range(Value, Value),
    /// An address prefix (interval sets only).
    Prefix(Prefix),
}

impl<T: Into<Value>> From<T> for Part {
    fn from(v: T) -> Part {
        Part::Value(v.into())
    }
}

impl From<Prefix> for Part {
    fn from(p: Prefix) -> Part {
        Part::Prefix(p)
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Value(v) => v.fmt(f),
            Part::Range(a, b) => write!(f, "{a}-{b}"),
            Part::Prefix(p) => p.fmt(f),
        }
    }
}

/// Map data of one element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ElemData {
    /// Data values, one per data field (ranges for interval data).
    Value(Vec<Part>),
    /// A verdict (verdict maps).
    Verdict(Verdict),
    /// An object name (object maps).
    Object(String),
}

impl fmt::Display for ElemData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElemData::Value(v) => {
                for (i, p) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" . ")?;
                    }
                    p.fmt(f)?;
                }
                Ok(())
            }
            ElemData::Verdict(v) => v.fmt(f),
            ElemData::Object(o) => write!(f, "\"{o}\""),
        }
    }
}

/// A set element: key (one part per key field), optional map data and per-element attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Element {
    /// Key components; empty for the catch-all element.
    pub key: Vec<Part>,
    /// The catch-all element `*` (≥ 5.13).
    pub catch_all: bool,
    /// Map data.
    pub data: Option<ElemData>,
    /// Timeout in ms.
    pub timeout: Option<u64>,
    /// Milliseconds until expiry (read-only, pulled).
    pub expiration: Option<u64>,
    /// Userdata (comment).
    pub userdata: Userdata,
    /// Per-element stateful expressions (counter, quota, limit).
    pub exprs: Vec<Expr>,
}

impl Element {
    /// An element with a one-field key.
    pub fn new(key: impl Into<Part>) -> Element {
        Element::concat(vec![key.into()])
    }
    /// An element with a concatenated key.
    pub fn concat(key: Vec<Part>) -> Element {
        Element {
            key,
            catch_all: false,
            data: None,
            timeout: None,
            expiration: None,
            userdata: Userdata::default(),
            exprs: Vec::new(),
        }
    }
    /// The catch-all element.
    pub fn catch_all() -> Element {
        Element {
            catch_all: true,
            ..Element::concat(Vec::new())
        }
    }
    /// Sets map data.
    pub fn with_data(mut self, data: ElemData) -> Element {
        self.data = Some(data);
        self
    }
    /// Sets a verdict (verdict maps).
    pub fn with_verdict(self, v: Verdict) -> Element {
        self.with_data(ElemData::Verdict(v))
    }
    /// Sets the timeout in ms.
    pub fn with_timeout(mut self, ms: u64) -> Element {
        self.timeout = Some(ms);
        self
    }
    /// Sets the comment.
    ///
    /// # Errors
    /// Comments over 128 bytes.
    pub fn with_comment(mut self, c: &str) -> Result<Element> {
        self.userdata.set_comment(Some(c))?;
        Ok(self)
    }
    /// The comment.
    pub fn comment(&self) -> Option<String> {
        self.userdata.comment()
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.catch_all {
            f.write_str("*")?;
        }
        for (i, p) in self.key.iter().enumerate() {
            if i > 0 {
                f.write_str(" . ")?;
            }
            p.fmt(f)?;
        }
        if let Some(d) = &self.data {
            write!(f, " : {d}")?;
        }
        if let Some(t) = self.timeout {
            write!(f, " timeout {t}ms")?;
        }
        if let Some(c) = self.comment() {
            write!(f, " comment {c:?}")?;
        }
        Ok(())
    }
}

/// Element flags (`NFT_SET_ELEM_*`).
pub mod elem_flags {
    /// End marker of an interval.
    pub const INTERVAL_END: u32 = 0x1;
    /// The catch-all element.
    pub const CATCHALL: u32 = 0x2;
}

/// Element data as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RawData {
    /// Data bytes.
    Value(Vec<u8>),
    /// A verdict.
    Verdict(Verdict),
}

/// An element exactly as it travels in `NFTA_SET_ELEM_LIST_ELEMENTS` (see [`Set::encode_elements`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RawElement {
    /// `NFTA_SET_ELEM_KEY` value bytes.
    pub key: Option<Vec<u8>>,
    /// `NFTA_SET_ELEM_KEY_END` value bytes (interval concatenations).
    pub key_end: Option<Vec<u8>>,
    /// [`elem_flags`] (`NFTA_SET_ELEM_FLAGS`), `None` when not sent.
    pub flags: Option<u32>,
    /// Map data.
    pub data: Option<RawData>,
    /// Object name (object maps).
    pub objref: Option<String>,
    /// Timeout in ms.
    pub timeout: Option<u64>,
    /// Expiration in ms (read-only).
    pub expiration: Option<u64>,
    /// Userdata.
    pub userdata: Userdata,
    /// Element expressions.
    pub exprs: Vec<Expr>,
}

impl RawElement {
    fn is_end(&self) -> bool {
        self.flags.unwrap_or(0) & elem_flags::INTERVAL_END != 0
    }
}

/// A set or map declaration with its elements.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Set {
    /// Name (`__set%d` / `__map%d` for anonymous sets created with nft's naming).
    pub name: String,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
    /// Flags.
    pub flags: SetFlags,
    /// Key description.
    pub key: SetKey,
    /// Map data description.
    pub data: Option<SetData>,
    /// Backend hint.
    pub policy: Option<SetPolicy>,
    /// Maximum number of elements (`NFTA_SET_DESC_SIZE`).
    pub size: Option<u32>,
    /// Default element timeout in ms.
    pub timeout: Option<u64>,
    /// Garbage-collection interval in ms.
    pub gc_interval: Option<u32>,
    /// Userdata (key/data byte order, typeof, comment), as nft writes it.
    pub userdata: Userdata,
    /// Set expressions applied to every element (e.g. a counter per element).
    pub exprs: Vec<Expr>,
    /// In-batch set id (nft numbers the sets it creates; references may use it).
    pub id: Option<u32>,
    /// Elements.
    pub elements: Vec<Element>,
}

impl Set {
    /// A named set with nft's key byte-order userdata.
    pub fn new(name: impl Into<String>, key: SetKey) -> Set {
        let mut userdata = Userdata::default();
        let order = key_order_udata(&key);
        // A fresh TLV list cannot be malformed, and 4 bytes fit a TLV.
        let _ = userdata.set(userdata::SET_KEYBYTEORDER, Some(&order.to_ne_bytes()));
        Set {
            name: name.into(),
            handle: None,
            flags: SetFlags::empty(),
            key,
            data: None,
            policy: None,
            size: None,
            timeout: None,
            gc_interval: None,
            userdata,
            exprs: Vec::new(),
            id: None,
            elements: Vec::new(),
        }
    }

    /// Adds `flags interval`.
    pub fn interval(mut self) -> Set {
        self.flags |= SetFlags::INTERVAL;
        if self.key.is_concat() {
            self.flags |= SetFlags::CONCAT;
        }
        self
    }

    /// Makes it a map to `data`.
    pub fn map(mut self, data: SetData) -> Set {
        match &data {
            SetData::Object(_) => self.flags |= SetFlags::OBJECT,
            SetData::Value(k) => {
                self.flags |= SetFlags::MAP;
                let order = key_order_udata(k);
                let _ = self
                    .userdata
                    .set(userdata::SET_DATABYTEORDER, Some(&order.to_ne_bytes()));
            }
            SetData::Verdict { .. } => self.flags |= SetFlags::MAP,
        }
        self.data = Some(data);
        self
    }

    /// A verdict map.
    pub fn verdict_map(self) -> Set {
        self.map(SetData::Verdict { len: 0 })
    }

    /// Adds a default timeout (and `flags timeout`).
    pub fn with_timeout(mut self, ms: u64) -> Set {
        self.flags |= SetFlags::TIMEOUT;
        self.timeout = Some(ms);
        self
    }

    /// Adds elements.
    pub fn with_elements(mut self, e: impl IntoIterator<Item = Element>) -> Set {
        self.elements.extend(e);
        self
    }

    /// True for interval sets.
    pub fn is_interval(&self) -> bool {
        self.flags.contains(SetFlags::INTERVAL)
    }

    /// True for anonymous sets.
    pub fn is_anonymous(&self) -> bool {
        self.flags.contains(SetFlags::ANONYMOUS)
    }

    /// True for maps (data, verdict or object).
    pub fn is_map(&self) -> bool {
        self.data.is_some()
    }

    /// The comment (set userdata type 7).
    pub fn comment(&self) -> Option<String> {
        self.userdata.set_comment_text()
    }

    fn key_orders(&self) -> Vec<ByteOrder> {
        field_orders(&self.key, self.userdata.get_u32(userdata::SET_KEYBYTEORDER))
    }

    fn data_orders(&self) -> Vec<ByteOrder> {
        match &self.data {
            Some(SetData::Value(_)) => match self.data_key() {
                Some(k) => field_orders(&k, self.userdata.get_u32(userdata::SET_DATABYTEORDER)),
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// True when map data are intervals (nft's `DATA_INTERVAL` userdata: start and end are
    /// stored back to back).
    fn interval_data(&self) -> bool {
        self.userdata
            .get_u32(userdata::SET_DATA_INTERVAL)
            .unwrap_or(0)
            != 0
    }

    /// The logical data key (for interval data, one half of what the kernel stores).
    fn data_key(&self) -> Option<SetKey> {
        let Some(SetData::Value(k)) = &self.data else {
            return None;
        };
        if self.interval_data() && k.fields.len() == 1 && k.len % 2 == 0 {
            let f = k.fields[0];
            if f.ty.width() == Some(k.len / 2) {
                let half = Field {
                    ty: f.ty,
                    len: k.len / 2,
                };
                return Some(SetKey {
                    fields: vec![half],
                    type_id: k.type_id,
                    len: k.len / 2,
                });
            }
        }
        Some(k.clone())
    }

    fn err(&self, e: &Element, reason: impl Into<String>) -> Error {
        Error::input(
            Subsystem::Netfilter,
            "set element",
            format!("{} in set {}", e, self.name),
            reason.into(),
        )
    }

    /// Encodes elements into their kernel form, type-checked against the set.
    ///
    /// `creating` says whether these are the initial elements of a set created in the same
    /// batch (nft then prepends a zero end marker to interval sets).
    ///
    /// # Errors
    /// Input errors naming the set and element: a value of the wrong type or width, a range or
    /// prefix in a non-interval set, overlapping intervals, a concatenation arity mismatch, map
    /// data missing or of the wrong kind.
    pub fn encode_elements(&self, elems: &[Element], creating: bool) -> Result<Vec<RawElement>> {
        let korders = self.key_orders();
        let dorders = self.data_orders();
        let concat_interval = self.is_interval() && self.key.is_concat();
        let mut singles: Vec<(Vec<u8>, Vec<u8>, RawElement)> = Vec::new();
        let mut out = Vec::with_capacity(elems.len() * 2 + 1);
        let mut catch_alls = Vec::new();
        for e in elems {
            let mut raw = RawElement {
                timeout: e.timeout,
                userdata: e.userdata.clone(),
                exprs: e.exprs.clone(),
                ..RawElement::default()
            };
            raw.data = self.encode_data(e, &dorders)?;
            if let Some(ElemData::Object(o)) = &e.data {
                raw.objref = Some(o.clone());
            }
            if e.catch_all {
                if !e.key.is_empty() {
                    return Err(self.err(e, "a catch-all element has no key"));
                }
                raw.flags = Some(elem_flags::CATCHALL);
                catch_alls.push(raw);
                continue;
            }
            if e.key.len() != self.key.fields.len() {
                return Err(self.err(
                    e,
                    format!(
                        "key has {} components, the set's key type {} has {}",
                        e.key.len(),
                        self.key,
                        self.key.fields.len()
                    ),
                ));
            }
            let mut lo = Vec::with_capacity(self.key.len as usize);
            let mut hi = Vec::with_capacity(self.key.len as usize);
            let mut ranged = false;
            for ((p, f), o) in e.key.iter().zip(&self.key.fields).zip(&korders) {
                let (a, b) = encode_part(p, f, *o).map_err(|r| self.err(e, r))?;
                if a != b {
                    ranged = true;
                }
                if a > b && *o == ByteOrder::Big {
                    return Err(self.err(e, "range start is above its end"));
                }
                let pad = if self.key.is_concat() {
                    align4(f.len) as usize - a.len()
                } else {
                    0
                };
                lo.extend_from_slice(&a);
                lo.resize(lo.len() + pad, 0);
                hi.extend_from_slice(&b);
                hi.resize(hi.len() + pad, 0);
            }
            if ranged && !self.is_interval() {
                return Err(self.err(e, "ranges and prefixes need an interval set"));
            }
            if concat_interval {
                raw.key = Some(lo);
                raw.key_end = Some(hi);
                out.push(raw);
            } else if self.is_interval() {
                singles.push((lo, hi, raw));
            } else {
                raw.key = Some(lo);
                out.push(raw);
            }
        }
        if self.is_interval() && !concat_interval {
            singles.sort_by(|a, b| a.0.cmp(&b.0));
            for w in singles.windows(2) {
                if w[1].0 <= w[0].1 {
                    return Err(Error::input(
                        Subsystem::Netfilter,
                        "set element",
                        format!("{:02x?} in set {}", w[1].0, self.name),
                        "overlaps the previous interval",
                    ));
                }
            }
            if creating
                && let Some(first) = singles.first()
                && first.0.iter().any(|&b| b != 0)
            {
                out.push(RawElement {
                    key: Some(vec![0; first.0.len()]),
                    flags: Some(elem_flags::INTERVAL_END),
                    ..RawElement::default()
                });
            }
            for (lo, hi, mut raw) in singles {
                let end = increment(&hi);
                raw.key = Some(lo);
                raw.flags = raw.flags.or(Some(0)).filter(|f| *f != 0);
                if end.is_none() {
                    // Open interval: nft flags it in the element userdata.
                    let _ = raw.userdata.set(1, Some(&1u32.to_ne_bytes()));
                }
                out.push(raw);
                // nft sends the end marker even when the next range starts right there.
                if let Some(end) = end {
                    out.push(RawElement {
                        key: Some(end),
                        flags: Some(elem_flags::INTERVAL_END),
                        ..RawElement::default()
                    });
                }
            }
        }
        out.extend(catch_alls);
        Ok(out)
    }

    fn encode_data(&self, e: &Element, orders: &[ByteOrder]) -> Result<Option<RawData>> {
        match (&self.data, &e.data) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(self.err(e, "data given for a set that is not a map")),
            (Some(_), None) => Err(self.err(e, "a map element needs data")),
            (Some(SetData::Verdict { .. }), Some(ElemData::Verdict(v))) => {
                Ok(Some(RawData::Verdict(v.clone())))
            }
            (Some(SetData::Object(_)), Some(ElemData::Object(_))) => Ok(None),
            (Some(SetData::Value(_)), Some(ElemData::Value(parts))) => {
                let k = self
                    .data_key()
                    .unwrap_or_else(|| SetKey::from_fields(Vec::new()));
                if parts.len() != k.fields.len() {
                    return Err(self.err(e, "map data has the wrong number of components"));
                }
                let interval_data = self.interval_data();
                let (mut lo, mut hi) = (Vec::new(), Vec::new());
                for ((p, f), o) in parts.iter().zip(&k.fields).zip(orders) {
                    let (a, b) = encode_part(p, f, *o).map_err(|r| self.err(e, r))?;
                    if a != b && !interval_data {
                        return Err(
                            self.err(e, "map data is a range but the map has no interval data")
                        );
                    }
                    let pad = if k.is_concat() {
                        align4(f.len) as usize - a.len()
                    } else {
                        0
                    };
                    lo.extend_from_slice(&a);
                    lo.resize(lo.len() + pad, 0);
                    hi.extend_from_slice(&b);
                    hi.resize(hi.len() + pad, 0);
                }
                if interval_data {
                    lo.extend_from_slice(&hi);
                }
                Ok(Some(RawData::Value(lo)))
            }
            _ => Err(self.err(e, "map data of the wrong kind")),
        }
    }

    /// Decodes kernel elements back into typed elements: start/end pairs become ranges (a
    /// width-one range a value, an address range covering exactly a prefix a prefix), `KEY_END`
    /// becomes per-component ranges, map data is typed per the map.
    ///
    /// # Errors
    /// Protocol errors for keys of the wrong length.
    pub fn decode_elements(&self, raw: &[RawElement]) -> Result<Vec<Element>> {
        let korders = self.key_orders();
        let dorders = self.data_orders();
        let mut out = Vec::with_capacity(raw.len());
        let concat_interval = self.is_interval() && self.key.is_concat();
        let mk = |r: &RawElement, key: Vec<Part>| -> Result<Element> {
            Ok(Element {
                key,
                catch_all: r.flags.unwrap_or(0) & elem_flags::CATCHALL != 0,
                data: self.decode_data(r, &dorders)?,
                timeout: r.timeout,
                expiration: r.expiration,
                userdata: r.userdata.clone(),
                exprs: r.exprs.clone(),
            })
        };
        if !self.is_interval() || concat_interval {
            // Hash sets have no order (the kernel dumps them in bucket order): sort by key so
            // pulls are deterministic (catch-all last), in the order `nft list` shows them: the
            // key as one number, in network order for a single network-order field (ports,
            // addresses), in host order otherwise (concatenations, strings, marks).
            // Concatenated interval (pipapo) sets dump in insertion order, which `nft list`
            // shows and a printed ruleset must keep.
            let mut raw: Vec<&RawElement> = raw.iter().collect();
            if !concat_interval {
                let reverse = cfg!(target_endian = "little")
                    && !(korders.len() == 1 && korders[0] == ByteOrder::Big);
                if reverse {
                    let host_order = |k: &Option<Vec<u8>>| -> Option<Vec<u8>> {
                        k.as_ref().map(|k| k.iter().rev().copied().collect())
                    };
                    // Each key reversed once, not once per comparison.
                    raw.sort_by_cached_key(|r| {
                        (r.key.is_none(), host_order(&r.key), host_order(&r.key_end))
                    });
                } else {
                    raw.sort_by(|a, b| {
                        let ka = (a.key.is_none(), &a.key, &a.key_end);
                        let kb = (b.key.is_none(), &b.key, &b.key_end);
                        ka.cmp(&kb)
                    });
                }
            }
            for r in raw {
                if r.flags.unwrap_or(0) & elem_flags::CATCHALL != 0 {
                    out.push(mk(r, Vec::new())?);
                    continue;
                }
                let Some(k) = &r.key else { continue };
                let hi = r.key_end.as_deref().unwrap_or(k);
                let key = self.decode_key(k, hi, &korders)?;
                out.push(mk(r, key)?);
            }
            return Ok(out);
        }
        let mut items: Vec<&RawElement> = raw.iter().collect();
        let (cas, mut items): (Vec<&RawElement>, Vec<&RawElement>) = items
            .drain(..)
            .partition(|r| r.flags.unwrap_or(0) & elem_flags::CATCHALL != 0);
        items.retain(|r| r.key.is_some());
        // Kernel order is descending; an end marker sorts before a start with the same key.
        items.sort_by(|a, b| a.key.cmp(&b.key).then(b.is_end().cmp(&a.is_end())));
        let mut i = 0;
        while i < items.len() {
            let r = items[i];
            i += 1;
            if r.is_end() {
                continue;
            }
            let lo = r.key.clone().unwrap_or_default();
            let hi = match items.get(i) {
                Some(next) => {
                    let nk = next.key.as_deref().unwrap_or_default();
                    match decrement(nk) {
                        Some(h) => h,
                        None => continue,
                    }
                }
                None => vec![0xff; lo.len()],
            };
            let hi = if korders.first() == Some(&ByteOrder::Host) {
                host_max_fix(&hi, items.get(i).is_none())
            } else {
                hi
            };
            let key = self.decode_key(&lo, &hi, &korders)?;
            out.push(mk(r, key)?);
        }
        for r in cas {
            out.push(mk(r, Vec::new())?);
        }
        Ok(out)
    }

    fn decode_key(&self, lo: &[u8], hi: &[u8], orders: &[ByteOrder]) -> Result<Vec<Part>> {
        split_parts(&self.key, lo, hi, orders).ok_or_else(|| {
            Error::protocol(
                Subsystem::Netfilter,
                crate::error::ProtocolKind::Malformed,
                format!(
                    "set {}: element key of {} bytes for key type {} of {} bytes",
                    self.name,
                    lo.len(),
                    self.key,
                    self.key.len
                ),
            )
        })
    }

    fn decode_data(&self, r: &RawElement, orders: &[ByteOrder]) -> Result<Option<ElemData>> {
        if let Some(o) = &r.objref {
            return Ok(Some(ElemData::Object(o.clone())));
        }
        match (&r.data, &self.data) {
            (None, _) => Ok(None),
            (Some(RawData::Verdict(v)), _) => Ok(Some(ElemData::Verdict(v.clone()))),
            (Some(RawData::Value(b)), Some(SetData::Value(_))) => {
                let k = self
                    .data_key()
                    .unwrap_or_else(|| SetKey::from_fields(Vec::new()));
                let parts = if self.interval_data() && b.len() == 2 * k.len as usize {
                    let (lo, hi) = b.split_at(k.len as usize);
                    split_parts(&k, lo, hi, orders)
                } else {
                    split_parts(&k, b, b, orders)
                };
                Ok(Some(ElemData::Value(parts.unwrap_or_else(|| {
                    vec![Part::Value(Value::Bytes(b.clone()))]
                }))))
            }
            (Some(RawData::Value(b)), _) => Ok(Some(ElemData::Value(vec![Part::Value(
                Value::Bytes(b.clone()),
            )]))),
        }
    }
}

/// The byte-order userdata value nft writes for a key: 2 (big) or 1 (host) for one field, 0 for
/// concatenations.
fn key_order_udata(k: &SetKey) -> u32 {
    if k.is_concat() {
        return 0;
    }
    match k.fields.first().map(|f| f.ty.byte_order()) {
        Some(ByteOrder::Host) => 1,
        _ => 2,
    }
}

fn field_orders(k: &SetKey, udata: Option<u32>) -> Vec<ByteOrder> {
    if k.fields.len() == 1 {
        let o = match udata {
            Some(2) => ByteOrder::Big,
            Some(1) => ByteOrder::Host,
            _ => k.fields[0].ty.byte_order(),
        };
        return vec![o];
    }
    k.fields.iter().map(|f| f.ty.byte_order()).collect()
}

/// For host-order interval keys the kernel compares bytes as stored; a range to the end is
/// decoded as the numeric maximum.
fn host_max_fix(hi: &[u8], open: bool) -> Vec<u8> {
    if open {
        vec![0xff; hi.len()]
    } else {
        hi.to_vec()
    }
}

fn split_parts(k: &SetKey, lo: &[u8], hi: &[u8], orders: &[ByteOrder]) -> Option<Vec<Part>> {
    if lo.len() != k.len as usize || hi.len() != lo.len() {
        return None;
    }
    let mut parts = Vec::with_capacity(k.fields.len());
    let mut off = 0usize;
    for (f, o) in k.fields.iter().zip(orders) {
        let w = f.len as usize;
        let a = lo.get(off..off + w)?;
        let b = hi.get(off..off + w)?;
        parts.push(decode_part(a, b, f, *o));
        off += if k.is_concat() {
            align4(f.len) as usize
        } else {
            w
        };
    }
    Some(parts)
}

fn decode_part(a: &[u8], b: &[u8], f: &Field, o: ByteOrder) -> Part {
    let va = decode_value(a, f, o);
    if a == b {
        return Part::Value(va);
    }
    let vb = decode_value(b, f, o);
    // An address range that covers exactly one prefix decodes as the prefix.
    let prefix = match (&va, &vb) {
        (Value::Ipv4(x), Value::Ipv4(y)) => {
            prefix_of(u128::from(x.to_bits()), u128::from(y.to_bits()), 32)
                .and_then(|l| crate::types::Ipv4Prefix::new(*x, l).ok().map(Prefix::V4))
        }
        (Value::Ipv6(x), Value::Ipv6(y)) => prefix_of(x.to_bits(), y.to_bits(), 128)
            .and_then(|l| crate::types::Ipv6Prefix::new(*x, l).ok().map(Prefix::V6)),
        _ => None,
    };
    match prefix {
        Some(p) => Part::Prefix(p),
        None => Part::Range(va, vb),
    }
}

/// The prefix length `l` such that `[lo, hi]` is exactly a /l network.
fn prefix_of(lo: u128, hi: u128, bits: u8) -> Option<u8> {
    let span = hi.checked_sub(lo)?;
    let size = span.checked_add(1);
    let host_bits = match size {
        None => 128u32,
        Some(s) if s.is_power_of_two() => s.trailing_zeros(),
        Some(_) => return None,
    };
    if host_bits > u32::from(bits) || (host_bits < 128 && lo & ((1u128 << host_bits) - 1) != 0) {
        return None;
    }
    Some(bits - host_bits as u8)
}

fn decode_value(b: &[u8], f: &Field, o: ByteOrder) -> Value {
    match (f.ty, b.len()) {
        (DataType::IPV4_ADDR, 4) => {
            Value::Ipv4(crate::types::ipv4_from_bytes(b).unwrap_or(Ipv4Addr::UNSPECIFIED))
        }
        (DataType::IPV6_ADDR, 16) => {
            Value::Ipv6(crate::types::ipv6_from_bytes(b).unwrap_or(Ipv6Addr::UNSPECIFIED))
        }
        (DataType::ETHER_ADDR, 6) => match <[u8; 6]>::try_from(b) {
            Ok(m) => Value::Mac(Mac::from(m)),
            Err(_) => Value::Bytes(b.to_vec()),
        },
        (DataType::IFNAME, _) | (DataType::STRING, _) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            let tail_zero = b[end..].iter().all(|&c| c == 0);
            match (std::str::from_utf8(&b[..end]), tail_zero) {
                (Ok(s), true) if end < b.len() => Value::Ifname(s.to_owned()),
                _ => Value::Bytes(b.to_vec()),
            }
        }
        (_, n @ 1..=8) if !matches!(f.ty, DataType::LLADDR | DataType::CT_LABEL) => {
            let mut v: u64 = 0;
            match o {
                ByteOrder::Big => {
                    for &x in b {
                        v = (v << 8) | u64::from(x);
                    }
                }
                ByteOrder::Host => {
                    let mut w = [0u8; 8];
                    if cfg!(target_endian = "little") {
                        w[..n].copy_from_slice(b);
                        v = u64::from_le_bytes(w);
                    } else {
                        w[8 - n..].copy_from_slice(b);
                        v = u64::from_be_bytes(w);
                    }
                }
            }
            Value::Int(v)
        }
        _ => Value::Bytes(b.to_vec()),
    }
}

fn encode_value(v: &Value, f: &Field, o: ByteOrder) -> std::result::Result<Vec<u8>, String> {
    let w = f.len as usize;
    let want = |what: &str| format!("a {what} does not fit key type {} ({} bytes)", f.ty, w);
    match v {
        Value::Ipv4(a) if f.ty == DataType::IPV4_ADDR || (w == 4 && f.ty.name().is_none()) => {
            Ok(a.octets().to_vec())
        }
        Value::Ipv6(a) if f.ty == DataType::IPV6_ADDR || (w == 16 && f.ty.name().is_none()) => {
            Ok(a.octets().to_vec())
        }
        Value::Mac(m) if f.ty == DataType::ETHER_ADDR || (w == 6 && f.ty.name().is_none()) => {
            Ok(m.octets().to_vec())
        }
        Value::Ifname(n) if matches!(f.ty, DataType::IFNAME | DataType::STRING) => {
            if n.len() >= w || n.contains('\0') || n.is_empty() {
                return Err(format!(
                    "interface name {n:?} must have 1 to {} bytes without NUL",
                    w - 1
                ));
            }
            let mut b = n.as_bytes().to_vec();
            b.resize(w, 0);
            Ok(b)
        }
        Value::Int(x)
            if !matches!(
                f.ty,
                DataType::IPV4_ADDR
                    | DataType::IPV6_ADDR
                    | DataType::ETHER_ADDR
                    | DataType::IFNAME
                    | DataType::STRING
                    | DataType::VERDICT
            ) && (1..=8).contains(&w) =>
        {
            if w < 8 && *x >> (8 * w) != 0 {
                return Err(format!("{x} does not fit {w} bytes of {}", f.ty));
            }
            let be = x.to_be_bytes();
            let mut b = be[8 - w..].to_vec();
            if o == ByteOrder::Host && cfg!(target_endian = "little") {
                b.reverse();
            }
            Ok(b)
        }
        Value::Bytes(b) if b.len() == w => Ok(b.clone()),
        Value::Bytes(b) => Err(format!("{} raw bytes for a {w}-byte key field", b.len())),
        Value::Ipv4(_) => Err(want("IPv4 address")),
        Value::Ipv6(_) => Err(want("IPv6 address")),
        Value::Mac(_) => Err(want("MAC address")),
        Value::Ifname(_) => Err(want("interface name")),
        Value::Int(_) => Err(want("integer")),
    }
}

/// Encodes one key part into (low, high) bytes.
fn encode_part(
    p: &Part,
    f: &Field,
    o: ByteOrder,
) -> std::result::Result<(Vec<u8>, Vec<u8>), String> {
    match p {
        Part::Value(v) => {
            let b = encode_value(v, f, o)?;
            Ok((b.clone(), b))
        }
        Part::Range(a, b) => {
            let lo = encode_value(a, f, o)?;
            let hi = encode_value(b, f, o)?;
            let (cl, ch) = if o == ByteOrder::Host && cfg!(target_endian = "little") {
                let mut x = lo.clone();
                x.reverse();
                let mut y = hi.clone();
                y.reverse();
                (x, y)
            } else {
                (lo.clone(), hi.clone())
            };
            if cl > ch {
                return Err("range start is above its end".into());
            }
            Ok((lo, hi))
        }
        Part::Prefix(pfx) => {
            let lo = Value::from(pfx.first());
            let hi = Value::from(pfx.last());
            Ok((encode_value(&lo, f, o)?, encode_value(&hi, f, o)?))
        }
    }
}

/// Big-endian +1; `None` on overflow (the value was the maximum).
fn increment(b: &[u8]) -> Option<Vec<u8>> {
    let mut v = b.to_vec();
    for x in v.iter_mut().rev() {
        if *x == 0xff {
            *x = 0;
        } else {
            *x += 1;
            return Some(v);
        }
    }
    None
}

/// Big-endian −1; `None` below zero.
fn decrement(b: &[u8]) -> Option<Vec<u8>> {
    let mut v = b.to_vec();
    for x in v.iter_mut().rev() {
        if *x == 0 {
            *x = 0xff;
        } else {
            *x -= 1;
            return Some(v);
        }
    }
    None
}

impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {{ type {}",
            if self.is_map() { "map" } else { "set" },
            self.name,
            self.key
        )?;
        match &self.data {
            Some(SetData::Value(k)) => write!(f, " : {k}")?,
            Some(SetData::Verdict { .. }) => f.write_str(" : verdict")?,
            Some(SetData::Object(o)) => write!(f, " : {o}")?,
            None => {}
        }
        write!(f, "; {} elements }}", self.elements.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(raw: &[RawElement]) -> Vec<(Vec<u8>, u32)> {
        raw.iter()
            .map(|r| (r.key.clone().unwrap_or_default(), r.flags.unwrap_or(0)))
            .collect()
    }

    #[test]
    fn nf_22_scalar_encodings() {
        let s = Set::new("a", SetKey::single(DataType::IPV4_ADDR));
        let r = s
            .encode_elements(&[Element::new(Ipv4Addr::new(1, 2, 3, 4))], true)
            .unwrap();
        assert_eq!(r[0].key.as_deref(), Some(&[1u8, 2, 3, 4][..]));
        let s = Set::new("p", SetKey::single(DataType::INET_SERVICE));
        let r = s.encode_elements(&[Element::new(22u16)], true).unwrap();
        assert_eq!(r[0].key.as_deref(), Some(&[0u8, 0x16][..]));
        let s = Set::new("m", SetKey::single(DataType::MARK));
        let r = s.encode_elements(&[Element::new(1u32)], true).unwrap();
        assert_eq!(r[0].key.as_deref(), Some(&1u32.to_ne_bytes()[..]));
        let s = Set::new("i", SetKey::single(DataType::IFNAME));
        let r = s
            .encode_elements(&[Element::new(Value::Ifname("eth0".into()))], true)
            .unwrap();
        let mut want = b"eth0".to_vec();
        want.resize(16, 0);
        assert_eq!(r[0].key.as_deref(), Some(&want[..]));
        // wrong type → input error naming the set
        let e = s.encode_elements(&[Element::new(22u16)], true).unwrap_err();
        assert!(e.is_input());
        assert!(e.to_string().contains("set i"), "{e}");
        // range in a non-interval set
        let s = Set::new("p", SetKey::single(DataType::INET_SERVICE));
        let e = s
            .encode_elements(
                &[Element::new(Part::Range(22u16.into(), 25u16.into()))],
                true,
            )
            .unwrap_err();
        assert!(e.to_string().contains("interval"), "{e}");
    }

    #[test]
    fn nf_23_interval_encoding_like_nft() {
        let s = Set::new("p", SetKey::single(DataType::INET_SERVICE)).interval();
        let r = s
            .encode_elements(
                &[
                    Element::new(Part::Range(22u16.into(), 25u16.into())),
                    Element::new(80u16),
                    Element::new(Part::Range(65000u16.into(), 65535u16.into())),
                ],
                false,
            )
            .unwrap();
        assert_eq!(
            keys(&r),
            vec![
                (vec![0, 0x16], 0),
                (vec![0, 0x1a], 1),
                (vec![0, 0x50], 0),
                (vec![0, 0x51], 1),
                (vec![0xfd, 0xe8], 0),
            ]
        );
        let back = s.decode_elements(&r).unwrap();
        assert_eq!(back[0].key, vec![Part::Range(22u16.into(), 25u16.into())]);
        assert_eq!(back[1].key, vec![Part::Value(80u16.into())]);
        assert_eq!(
            back[2].key,
            vec![Part::Range(65000u16.into(), 65535u16.into())]
        );
        let s = Set::new("a", SetKey::single(DataType::IPV4_ADDR)).interval();
        let r = s
            .encode_elements(
                &[Element::new(Part::Prefix("10.0.0.0/8".parse().unwrap()))],
                true,
            )
            .unwrap();
        assert_eq!(
            keys(&r),
            vec![
                (vec![0, 0, 0, 0], 1),
                (vec![10, 0, 0, 0], 0),
                (vec![11, 0, 0, 0], 1)
            ]
        );
        // decoding kernel order (descending) gives the prefix back
        let mut rev = r.clone();
        rev.reverse();
        assert_eq!(
            s.decode_elements(&rev).unwrap()[0].key,
            vec![Part::Prefix("10.0.0.0/8".parse().unwrap())]
        );
        // overlaps are input errors
        let e = s
            .encode_elements(
                &[
                    Element::new(Part::Prefix("10.0.0.0/8".parse().unwrap())),
                    Element::new(Ipv4Addr::new(10, 1, 1, 1)),
                ],
                true,
            )
            .unwrap_err();
        assert!(e.to_string().contains("overlaps"), "{e}");
    }

    #[test]
    fn nf_24_concatenation_layout() {
        let k = SetKey::concat(&[DataType::IPV4_ADDR, DataType::INET_SERVICE]).unwrap();
        assert_eq!((k.type_id, k.len), (461, 8));
        let s = Set::new("svc", k.clone());
        let r = s
            .encode_elements(
                &[Element::concat(vec![
                    Ipv4Addr::new(10, 96, 0, 1).into(),
                    443u16.into(),
                ])],
                true,
            )
            .unwrap();
        assert_eq!(
            r[0].key.as_deref(),
            Some(&[10u8, 96, 0, 1, 1, 0xbb, 0, 0][..])
        );
        assert_eq!(SetKey::from_wire(461, 8, None), k);
        let e = s
            .encode_elements(&[Element::new(Ipv4Addr::new(1, 1, 1, 1))], true)
            .unwrap_err();
        assert!(e.to_string().contains("components"), "{e}");
    }

    #[test]
    fn nf_25_range_concatenation_key_end() {
        let k = SetKey::concat(&[DataType::IPV4_ADDR, DataType::INET_SERVICE]).unwrap();
        let s = Set::new("r", k).interval();
        assert!(s.flags.contains(SetFlags::CONCAT));
        let el = Element::concat(vec![
            Part::Prefix("10.0.0.0/24".parse().unwrap()),
            Part::Range(80u16.into(), 443u16.into()),
        ]);
        let r = s.encode_elements(std::slice::from_ref(&el), true).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].key.as_deref(), Some(&[10u8, 0, 0, 0, 0, 80, 0, 0][..]));
        assert_eq!(
            r[0].key_end.as_deref(),
            Some(&[10u8, 0, 0, 255, 1, 0xbb, 0, 0][..])
        );
        assert_eq!(s.decode_elements(&r).unwrap(), vec![el]);
    }

    #[test]
    fn nf_28_verdict_and_catch_all() {
        let s = Set::new("v", SetKey::single(DataType::INET_SERVICE)).verdict_map();
        let els = vec![
            Element::new(22u16).with_verdict(Verdict::Jump("ssh_in".into())),
            Element::catch_all().with_verdict(Verdict::Drop),
        ];
        let r = s.encode_elements(&els, true).unwrap();
        assert_eq!(r[1].flags, Some(elem_flags::CATCHALL));
        assert_eq!(s.decode_elements(&r).unwrap(), els);
        let e = s.encode_elements(&[Element::new(22u16)], true).unwrap_err();
        assert!(e.to_string().contains("needs data"), "{e}");
    }

    #[test]
    fn prefix_detection() {
        assert_eq!(prefix_of(0x0a00_0000, 0x0aff_ffff, 32), Some(8));
        assert_eq!(prefix_of(0x0a00_0001, 0x0aff_ffff, 32), None);
        assert_eq!(prefix_of(0, u128::from(u32::MAX), 32), Some(0));
        assert_eq!(prefix_of(0, u128::MAX, 128), Some(0));
        assert_eq!(prefix_of(5, 9, 32), None);
    }
}
