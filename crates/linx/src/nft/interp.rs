//! Rust values interpolated into nft text by the [`nft!`](crate::nft!) and
//! [`nft_file!`](crate::nft_file!) macros (NFT-24).
//!
//! A `$name` that no `define` binds refers to a Rust expression passed to the macro
//! (`nft!(port = cfg.port; { … tcp dport $port accept … })`). The position of `$name` fixes
//! which *kind* of value it is — a marker type of [`kind`] — and the macro requires the Rust
//! expression to implement [`NftValue`] for that kind, so `tcp dport $p` with `p: &str` does not
//! compile. Values that can only be checked at run time (an interface name longer than 15
//! bytes, an empty chain name) are checked when the script is loaded and reported as input
//! errors naming the variable.
//!
//! | position | kind | Rust types |
//! |---|---|---|
//! | `tcp/udp/udplite/sctp/dccp/th sport\|dport`, `ct … proto-src\|proto-dst`, NAT ports | [`kind::InetService`] | `u16` |
//! | `ip saddr\|daddr`, `ct ip saddr\|daddr`, NAT addresses in ip tables, `ip ` sets | [`kind::Ipv4`] | [`Ipv4Addr`], [`Ipv4Prefix`] |
//! | `ip6 saddr\|daddr`, `ct ip6 …`, NAT addresses in ip6 tables | [`kind::Ipv6`] | [`Ipv6Addr`], [`Ipv6Prefix`] |
//! | `iifname`, `oifname`, `ibrname`, `obrname`, `device`/`devices`, `ifname` sets | [`kind::IfName`] | [`IfName`], `&str`, `String` (length checked at load) |
//! | `iif`, `oif` (resolved to an index at load, in the target namespace) | [`kind::IfIndex`] | [`IfName`], `&str`, `String` |
//! | `meta mark`, `ct mark`, `mark` sets | [`kind::Mark`] | `u32` |
//! | `jump $c`, `goto $c` | [`kind::Chain`] | `&str`, `String` |
//! | 8-bit fields: `ip ttl\|protocol`, `ip6 hoplimit\|nexthdr`, `meta l4proto`, `ct protocol`, `icmp\|icmpv6 type\|code`, `inet_proto` sets | [`kind::U8<8>`](kind::U8) | `u8` |
//! | narrower fields: `ip\|ip6 dscp` (6 bits), `ecn` (2), `version`, `ip hdrlength`, `tcp doff` (4), `vlan pcp` (3), `vlan dei\|cfi` (1) | [`kind::U8<BITS>`](kind::U8) | `u8` (width checked at load) |
//! | 16-bit fields: `ip length\|id\|frag-off\|checksum`, `ip6 length`, `tcp window\|checksum\|urgptr`, `udp length\|checksum`, `icmp id\|sequence\|mtu`, `icmpv6 id\|sequence\|max-delay`, `ct zone`, `meta ibrpvid` | [`kind::U16<16>`](kind::U16) | `u16` |
//! | `vlan id` (12 bits) | [`kind::U16<12>`](kind::U16) | `u16` (width checked at load) |
//! | 32-bit fields: `meta length\|skuid\|skgid\|cpu\|cgroup`, `tcp sequence\|ackseq`, `icmpv6 mtu` | [`kind::U32<32>`](kind::U32) | `u32` |
//! | `ip6 flowlabel` (20 bits) | [`kind::U32<20>`](kind::U32) | `u32` (width checked at load) |
//! | `ct packets\|bytes\|avgpkt` (with or without a direction) | [`kind::U64`] | `u64` |
//! | rates: `limit rate [over] $n/second`, `limit rate $n kbytes/second` (in rules, `update @s { … }`, per element, set templates and named `limit` objects); quotas: `quota [over] $q` (bytes) or `quota $q mbytes`, `used $u [unit]` (in rules and named `quota` objects) | [`kind::U64`] | `u64` (the count in the unit written) |
//! | bursts: `burst $b packets`, `burst $b kbytes` | [`kind::U32`] | `u32` (the kernel's width; 0 is refused at load as nft refuses `burst 0`) |
//! | set `timeout` and `gc-interval`, element `timeout` and `expires` (in declarations, `add element` and `add\|update @s { … }`) | [`kind::Duration`] | [`Duration`] (whole milliseconds, checked at load; written as nft prints time, `1h2m3s`) |
//! | `ct state`, `ct_state` sets | [`kind::CtState`] | [`CtState`] (several states: any of them, as nft's `established,related`; in a set, the one combined value) |
//! | `ct status`, `ct_status` sets | [`kind::CtStatus`] | [`CtStatus`] |
//! | `ct direction`, `ct_dir` sets | [`kind::CtDirection`] | [`CtDirection`] |
//! | `meta pkttype`, `pkt_type` sets | [`kind::PktType`] | [`PktType`] |
//! | `tcp flags` (also `tcp flags & $mask == $value` and `tcp flags $v / syn,ack`), `tcp_flag` sets | [`kind::TcpFlags`] | [`TcpFlags`] |
//!
//! A position is a match's right-hand side (also inside sets, ranges, prefixes and
//! concatenations, component by component), the value of a `set` statement on that selector
//! (`meta mark set $m`, `ct zone set $z`, `ip dscp set $d`), an element of a declared set or
//! map (kind by the declared `type`/`typeof` key), the data of a declared map (kind by its data
//! type: `type ipv4_addr : inet_service` takes a `u16`) and the data of an anonymous map
//! (`meta mark set ip saddr map { 10.0.0.1 : $m }`, `dnat to ip saddr map { 10.0.0.1 : $a }`
//! or `{ … : $a . $p }`; kind by the statement). The elements of an `add|delete element`
//! command take the kinds of the set's declaration in the same text (a set declared elsewhere
//! has no type the macro could know: a compile error says so). Names of tables, chains, sets
//! and objects (other than jump/goto targets), strings such as log prefixes and comments, and
//! selectors without a typed value (`ct helper`, `meta nfproto`, …) take no interpolation.
//!
//! Every kind accepts references to these types too.
//!
//! ```
//! use linx::nft::interp::{NftValue, kind};
//! use linx::nft::syntax::ast::ExprKind;
//! assert_eq!(NftValue::<kind::InetService>::to_nft(&22u16), Ok(ExprKind::Number(linx::nft::syntax::ast::Num::new("22"))));
//! assert!(NftValue::<kind::IfName>::to_nft("a-name-longer-than-15").is_err());
//! // `ip dscp` is 6 bits wide.
//! assert!(NftValue::<kind::U8<6>>::to_nft(&63u8).is_ok());
//! assert!(NftValue::<kind::U8<6>>::to_nft(&64u8).is_err());
//! let t = std::time::Duration::from_secs(3723);
//! assert_eq!(NftValue::<kind::Duration>::to_nft(&t), Ok(ExprKind::Symbol("1h2m3s".into())));
//! assert!(NftValue::<kind::Duration>::to_nft(&std::time::Duration::from_micros(1)).is_err());
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use linx_nft_syntax::ast::{BinOp, Expr, ExprKind, Num};
use linx_nft_syntax::keywords::{format_time, parse_time};

use super::dtype::{
    TYPE_CT_DIR, TYPE_CT_STATE, TYPE_CT_STATUS, TYPE_PKTTYPE, TYPE_TCP_FLAG, symbol_name,
};
use crate::netfilter::builder::{CtDirection, CtState, CtStatus, PktType, TcpFlags};
use crate::types::{IfName, Ipv4Prefix, Ipv6Prefix};

/// Marker types naming what nft expects at an interpolation (the Rust type is fixed by it).
pub mod kind {
    /// A port (nft's `inet_service`): `u16`.
    #[derive(Clone, Copy, Debug)]
    pub struct InetService;
    /// An IPv4 address or prefix (`ipv4_addr`).
    #[derive(Clone, Copy, Debug)]
    pub struct Ipv4;
    /// An IPv6 address or prefix (`ipv6_addr`).
    #[derive(Clone, Copy, Debug)]
    pub struct Ipv6;
    /// An interface name matched as a string (`ifname`, device lists).
    #[derive(Clone, Copy, Debug)]
    pub struct IfName;
    /// An interface name resolved to its index in the target namespace at load (`iif`, `oif`).
    #[derive(Clone, Copy, Debug)]
    pub struct IfIndex;
    /// A packet or connection mark (`mark`): `u32`.
    #[derive(Clone, Copy, Debug)]
    pub struct Mark;
    /// The name of a chain of the same table (`jump`, `goto`).
    #[derive(Clone, Copy, Debug)]
    pub struct Chain;
    /// An integer field of at most 8 bits (`ip ttl`, `meta l4proto`, `ip dscp`, …): `u8`,
    /// whose value must fit in `BITS` bits (checked at load).
    #[derive(Clone, Copy, Debug)]
    pub struct U8<const BITS: u32 = 8>;
    /// An integer field of 9 to 16 bits (`ip length`, `vlan id`, `ct zone`, …): `u16`, whose
    /// value must fit in `BITS` bits (checked at load).
    #[derive(Clone, Copy, Debug)]
    pub struct U16<const BITS: u32 = 16>;
    /// An integer field of 17 to 32 bits (`meta length`, `ip6 flowlabel`, `meta skuid`, …):
    /// `u32`, whose value must fit in `BITS` bits (checked at load).
    #[derive(Clone, Copy, Debug)]
    pub struct U32<const BITS: u32 = 32>;
    /// A 64-bit integer field (`ct packets`, `ct bytes`, `ct avgpkt`), a rate or a quota: `u64`.
    #[derive(Clone, Copy, Debug)]
    pub struct U64<const BITS: u32 = 64>;
    /// A timeout (set `timeout`, element `timeout`, `update @s { … timeout $t }`):
    /// [`std::time::Duration`], in whole milliseconds (checked at load).
    #[derive(Clone, Copy, Debug)]
    pub struct Duration;
    /// Conntrack states (`ct state`, `ct_state` sets):
    /// [`CtState`](crate::netfilter::builder::CtState).
    #[derive(Clone, Copy, Debug)]
    pub struct CtState;
    /// Conntrack status bits (`ct status`, `ct_status` sets):
    /// [`CtStatus`](crate::netfilter::builder::CtStatus).
    #[derive(Clone, Copy, Debug)]
    pub struct CtStatus;
    /// A conntrack direction (`ct direction`, `ct_dir` sets):
    /// [`CtDirection`](crate::netfilter::builder::CtDirection).
    #[derive(Clone, Copy, Debug)]
    pub struct CtDirection;
    /// A packet type (`meta pkttype`, `pkt_type` sets):
    /// [`PktType`](crate::netfilter::builder::PktType).
    #[derive(Clone, Copy, Debug)]
    pub struct PktType;
    /// TCP flags (`tcp flags`, `tcp_flag` sets):
    /// [`TcpFlags`](crate::netfilter::builder::TcpFlags).
    #[derive(Clone, Copy, Debug)]
    pub struct TcpFlags;
}

/// A Rust value usable where nft expects a value of kind `K` (see the [module](self) table).
///
/// `to_nft` gives the syntax-tree value the interpolation stands for, or the reason the value
/// is unusable (checked at load, reported as an input error naming the variable).
///
/// ```
/// use linx::nft::interp::{NftValue, kind};
/// use std::net::Ipv4Addr;
/// let e = NftValue::<kind::Ipv4>::to_nft(&Ipv4Addr::new(192, 0, 2, 1)).unwrap();
/// assert_eq!(e, linx::nft::syntax::ast::ExprKind::Symbol("192.0.2.1".into()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be interpolated here: nft expects a value of kind `{K}`",
    label = "this value has the wrong type for its position in the nft text",
    note = "see `linx::nft::interp` for the Rust types each position accepts"
)]
pub trait NftValue<K> {
    /// The syntax-tree value, or why this value cannot be used.
    ///
    /// # Errors
    /// [`Invalid`] (e.g. "longer than 15 bytes") when the value is unusable for nft.
    fn to_nft(&self) -> Result<ExprKind, Invalid>;
}

impl<K, T: NftValue<K> + ?Sized> NftValue<K> for &T {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        (**self).to_nft()
    }
}

impl NftValue<kind::InetService> for u16 {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(ExprKind::Number(Num::new(self.to_string())))
    }
}

impl NftValue<kind::Mark> for u32 {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(ExprKind::Number(Num::new(self.to_string())))
    }
}

/// `value` as a number, if it fits in a field of `bits` bits.
fn integer(value: u64, bits: u32) -> Result<ExprKind, Invalid> {
    if bits < 64 && value >> bits != 0 {
        return Err(Invalid::new(
            value.to_string(),
            format!(
                "out of range for this {bits}-bit field (at most {})",
                (1u64 << bits) - 1
            ),
        ));
    }
    Ok(ExprKind::Number(Num::new(value.to_string())))
}

macro_rules! integers {
    ($($kind:ident: $ty:ty),*) => {$(
        impl<const BITS: u32> NftValue<kind::$kind<BITS>> for $ty {
            fn to_nft(&self) -> Result<ExprKind, Invalid> {
                integer(u64::from(*self), BITS)
            }
        }
    )*};
}

integers!(U8: u8, U16: u16, U32: u32, U64: u64);

impl NftValue<kind::Duration> for Duration {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        let text = format!("{self:?}");
        if self.subsec_nanos() % 1_000_000 != 0 {
            return Err(Invalid::new(text, "nft time values are whole milliseconds"));
        }
        let Ok(ms) = u64::try_from(self.as_millis()) else {
            return Err(Invalid::new(text, "too large for an nft time value"));
        };
        let t = format_time(ms);
        // nft takes at most 8 digits per unit.
        if parse_time(&t) != Ok(ms) {
            return Err(Invalid::new(text, "too large for an nft time value"));
        }
        Ok(ExprKind::Symbol(t))
    }
}

/// Flags as nft writes a combination, `a|b|c`, each bit by its name in the type's symbol table
/// (one value: as a match it tests for any of them, as nft's `a,b`; as a set element it is the
/// one combined value); `0` for none.
fn flags(bits: u64, ty: u32) -> ExprKind {
    let mut out: Option<Expr> = None;
    for bit in (0..64).map(|i| 1u64 << i).filter(|b| bits & b != 0) {
        let sym = Expr::new(match symbol_name(ty, u128::from(bit)) {
            Some(name) => ExprKind::Symbol(name.to_string()),
            None => ExprKind::Number(Num::new(format!("0x{bit:x}"))),
        });
        out = Some(match out {
            None => sym,
            Some(left) => Expr::new(ExprKind::Binary {
                op: BinOp::Or,
                left: Box::new(left),
                right: Box::new(sym),
            }),
        });
    }
    out.map_or_else(|| ExprKind::Number(Num::new("0")), |e| e.kind)
}

/// A value of an enumerated type by its name in the type's symbol table.
fn symbol(value: u8, ty: u32) -> ExprKind {
    match symbol_name(ty, u128::from(value)) {
        Some(name) => ExprKind::Symbol(name.to_string()),
        None => ExprKind::Number(Num::new(value.to_string())),
    }
}

impl NftValue<kind::CtState> for CtState {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(flags(u64::from(self.bits()), TYPE_CT_STATE))
    }
}

impl NftValue<kind::CtStatus> for CtStatus {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(flags(u64::from(self.bits()), TYPE_CT_STATUS))
    }
}

impl NftValue<kind::TcpFlags> for TcpFlags {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(flags(u64::from(self.bits()), TYPE_TCP_FLAG))
    }
}

impl NftValue<kind::CtDirection> for CtDirection {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(symbol(*self as u8, TYPE_CT_DIR))
    }
}

impl NftValue<kind::PktType> for PktType {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(symbol(*self as u8, TYPE_PKTTYPE))
    }
}

impl NftValue<kind::Ipv4> for Ipv4Addr {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(ExprKind::Symbol(self.to_string()))
    }
}

impl NftValue<kind::Ipv4> for Ipv4Prefix {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(prefix(self.addr().to_string(), self.len()))
    }
}

impl NftValue<kind::Ipv6> for Ipv6Addr {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(ExprKind::Symbol(self.to_string()))
    }
}

impl NftValue<kind::Ipv6> for Ipv6Prefix {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        Ok(prefix(self.addr().to_string(), self.len()))
    }
}

fn prefix(addr: String, len: u8) -> ExprKind {
    ExprKind::Prefix {
        base: Box::new(Expr::new(ExprKind::Symbol(addr))),
        len: Num::new(len.to_string()),
    }
}

fn ifname(s: &str) -> Result<ExprKind, Invalid> {
    match IfName::new(s) {
        Ok(n) => Ok(ExprKind::Quoted(n.as_str().to_string())),
        Err(e) => Err(Invalid::new(s, e.to_string())),
    }
}

macro_rules! names {
    ($kind:ty, $check:expr) => {
        impl NftValue<$kind> for IfName {
            fn to_nft(&self) -> Result<ExprKind, Invalid> {
                $check(self.as_str())
            }
        }
        impl NftValue<$kind> for str {
            fn to_nft(&self) -> Result<ExprKind, Invalid> {
                $check(self)
            }
        }
        impl NftValue<$kind> for String {
            fn to_nft(&self) -> Result<ExprKind, Invalid> {
                $check(self.as_str())
            }
        }
    };
}

names!(kind::IfName, ifname);
names!(kind::IfIndex, ifname);

fn chain(s: &str) -> Result<ExprKind, Invalid> {
    if s.is_empty() {
        return Err(Invalid::new(s, "a chain name cannot be empty"));
    }
    if s.len() > 255 {
        return Err(Invalid::new(s, "a chain name is at most 255 bytes"));
    }
    if s.bytes().any(|b| b == 0 || b == b'"') {
        return Err(Invalid::new(s, "a chain name cannot contain NUL or '\"'"));
    }
    Ok(ExprKind::Quoted(s.to_string()))
}

impl NftValue<kind::Chain> for str {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        chain(self)
    }
}

impl NftValue<kind::Chain> for String {
    fn to_nft(&self) -> Result<ExprKind, Invalid> {
        chain(self)
    }
}

/// Why a value cannot be interpolated: its text and the reason.
///
/// ```
/// let e = linx::nft::interp::Invalid::new("x", "too short");
/// assert_eq!(e.to_string(), "\"x\": too short");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The value, as text.
    pub value: String,
    /// Why it is unusable.
    pub reason: String,
}

impl Invalid {
    /// A rejection of `value` for `reason`.
    ///
    /// ```
    /// assert_eq!(linx::nft::interp::Invalid::new("v", "r").reason, "r");
    /// ```
    pub fn new(value: impl Into<String>, reason: impl Into<String>) -> Invalid {
        Invalid {
            value: value.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.value, self.reason)
    }
}

impl std::error::Error for Invalid {}

/// One interpolated value, converted: the variable's name and its syntax-tree value (or the
/// value's text and the reason it is unusable). Built by the macros through [`bind`].
///
/// ```
/// let b = linx::nft::interp::bind::<linx::nft::interp::kind::InetService, _>("port", 22u16);
/// assert_eq!(b.name(), "port");
/// ```
#[derive(Clone, Debug)]
pub struct Bound {
    name: &'static str,
    value: Result<ExprKind, Invalid>,
}

impl Bound {
    /// The variable's name (without `$`).
    ///
    /// ```
    /// let b = linx::nft::interp::bind::<linx::nft::interp::kind::Mark, _>("m", 7u32);
    /// assert_eq!(b.name(), "m");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The converted value, or the reason the value is unusable.
    ///
    /// ```
    /// use linx::nft::interp::{bind, kind};
    /// let b = bind::<kind::Chain, _>("c", "");
    /// assert_eq!(b.value().unwrap_err().reason, "a chain name cannot be empty");
    /// ```
    ///
    /// # Errors
    /// The reason given by [`NftValue::to_nft`].
    pub fn value(&self) -> Result<&ExprKind, &Invalid> {
        self.value.as_ref()
    }
}

/// Converts `value` for a `$name` of kind `K` (used by the code the macros generate; the bound
/// `T: NftValue<K>` is what makes a mistyped interpolation a compile error).
///
/// ```
/// use linx::nft::interp::{bind, kind};
/// assert!(bind::<kind::IfName, _>("wan", "a-name-longer-than-15").value().is_err());
/// assert!(bind::<kind::IfName, _>("wan", "eth0").value().is_ok());
/// ```
pub fn bind<K, T: NftValue<K>>(name: &'static str, value: T) -> Bound {
    Bound {
        name,
        value: value.to_nft(),
    }
}
