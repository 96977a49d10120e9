//! IP tunnel link kinds: the GRE family (`gre`, `gretap`, `ip6gre`, `ip6gretap`, attributes
//! `IFLA_GRE_*`), the IP-in-IP family (`ipip`, `sit`, `ip6tnl`, attributes `IFLA_IPTUN_*`) and
//! `geneve` (`IFLA_GENEVE_*`). The attribute numbers and layouts are those of the kernel's
//! `include/uapi/linux/if_tunnel.h` and `include/uapi/linux/if_link.h`.
//!
//! Everything here is re-exported from [`kinds`](super::kinds); the types are used through
//! [`LinkKind`](super::kinds::LinkKind) and the [`LinkSpec`](super::LinkSpec) constructors
//! ([`LinkSpec::gre`](super::LinkSpec::gre), [`LinkSpec::ipip`](super::LinkSpec::ipip),
//! [`LinkSpec::geneve`](super::LinkSpec::geneve), …).
//!
//! Layout facts worth knowing: GRE flags are big-endian `u16`s holding the GRE header bits (the
//! key bit is `0x2000`), GRE keys are big-endian `u32`s; the geneve VNI is a host-order `u32` but
//! its port is big-endian; `IFLA_IPTUN_FLAGS` is a `u16` for `sit` and a `u32` for `ip6tnl`;
//! `IFLA_GRE_COLLECT_METADATA`, `IFLA_IPTUN_COLLECT_METADATA` and
//! `IFLA_GENEVE_COLLECT_METADATA` are flags (present, no payload).
//!
//! Decoding is lossless: an attribute linx does not model, one repeated, or one carrying
//! `NLA_F_*` flag bits is kept raw in the struct's `other` field, so decode → encode reproduces
//! the same attributes (typed ones first). Data of the wrong size for its kind does not decode
//! typed at all and comes back as [`LinkKind::Generic`](super::kinds::LinkKind::Generic).

use std::net::IpAddr;

use crate::error::Result;
use crate::netlink::wire::{Attr, MsgBuilder, RawAttr};

use super::common::input;
use super::link::LinkRef;

/// `IFLA_GRE_*` attribute numbers (`include/uapi/linux/if_tunnel.h`) and GRE header flag bits.
#[allow(missing_docs)]
pub mod gre {
    pub const LINK: u16 = 1;
    pub const IFLAGS: u16 = 2;
    pub const OFLAGS: u16 = 3;
    pub const IKEY: u16 = 4;
    pub const OKEY: u16 = 5;
    pub const LOCAL: u16 = 6;
    pub const REMOTE: u16 = 7;
    pub const TTL: u16 = 8;
    pub const TOS: u16 = 9;
    pub const PMTUDISC: u16 = 10;
    pub const ENCAP_LIMIT: u16 = 11;
    pub const FLOWINFO: u16 = 12;
    pub const FLAGS: u16 = 13;
    pub const ENCAP_TYPE: u16 = 14;
    pub const ENCAP_FLAGS: u16 = 15;
    pub const ENCAP_SPORT: u16 = 16;
    pub const ENCAP_DPORT: u16 = 17;
    pub const COLLECT_METADATA: u16 = 18;
    pub const IGNORE_DF: u16 = 19;
    pub const FWMARK: u16 = 20;
    pub const ERSPAN_INDEX: u16 = 21;
    pub const ERSPAN_VER: u16 = 22;
    pub const ERSPAN_DIR: u16 = 23;
    pub const ERSPAN_HWID: u16 = 24;
    /// `GRE_CSUM`: the checksum bit of `IFLA_GRE_IFLAGS` / `IFLA_GRE_OFLAGS` (read big-endian).
    pub const FLAG_CSUM: u16 = 0x8000;
    /// `GRE_KEY`: the key bit; set it with a key, as `ip link add … key K` does.
    pub const FLAG_KEY: u16 = 0x2000;
    /// `GRE_SEQ`: the sequence-number bit.
    pub const FLAG_SEQ: u16 = 0x1000;
}

/// `IFLA_IPTUN_*` attribute numbers (`include/uapi/linux/if_tunnel.h`).
#[allow(missing_docs)]
pub mod iptun {
    pub const LINK: u16 = 1;
    pub const LOCAL: u16 = 2;
    pub const REMOTE: u16 = 3;
    pub const TTL: u16 = 4;
    pub const TOS: u16 = 5;
    pub const ENCAP_LIMIT: u16 = 6;
    pub const FLOWINFO: u16 = 7;
    pub const FLAGS: u16 = 8;
    pub const PROTO: u16 = 9;
    pub const PMTUDISC: u16 = 10;
    pub const SIXRD_PREFIX: u16 = 11;
    pub const SIXRD_RELAY_PREFIX: u16 = 12;
    pub const SIXRD_PREFIXLEN: u16 = 13;
    pub const SIXRD_RELAY_PREFIXLEN: u16 = 14;
    pub const ENCAP_TYPE: u16 = 15;
    pub const ENCAP_FLAGS: u16 = 16;
    pub const ENCAP_SPORT: u16 = 17;
    pub const ENCAP_DPORT: u16 = 18;
    pub const COLLECT_METADATA: u16 = 19;
    pub const FWMARK: u16 = 20;
}

/// `IFLA_GENEVE_*` attribute numbers (`include/uapi/linux/if_link.h`).
#[allow(missing_docs)]
pub mod geneve {
    pub const ID: u16 = 1;
    pub const REMOTE: u16 = 2;
    pub const TTL: u16 = 3;
    pub const TOS: u16 = 4;
    pub const PORT: u16 = 5;
    pub const COLLECT_METADATA: u16 = 6;
    pub const REMOTE6: u16 = 7;
    pub const UDP_CSUM: u16 = 8;
    pub const UDP_ZERO_CSUM6_TX: u16 = 9;
    pub const UDP_ZERO_CSUM6_RX: u16 = 10;
    pub const LABEL: u16 = 11;
    pub const TTL_INHERIT: u16 = 12;
    pub const DF: u16 = 13;
    pub const INNER_PROTO_INHERIT: u16 = 14;
}

/// Which address family a tunnel kind's outer header uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outer {
    V4,
    V6,
}

type DecodeResult<T> = std::result::Result<T, crate::error::ProtocolError>;

fn view(r: &RawAttr) -> Attr<'_> {
    Attr {
        raw_type: r.raw_type,
        payload: &r.payload,
    }
}

fn malformed(detail: String) -> crate::error::ProtocolError {
    crate::error::ProtocolError::new(
        crate::error::Subsystem::Netlink,
        crate::error::ProtocolKind::Malformed,
        detail,
    )
}

/// The payload as an address of exactly 4 or 16 bytes.
fn addr(a: &Attr<'_>, len: usize) -> DecodeResult<IpAddr> {
    if a.payload.len() != len {
        return Err(malformed(format!(
            "attribute type {}: expected a {len}-byte address, got {} bytes",
            a.kind(),
            a.payload.len()
        )));
    }
    a.ip()
}

/// A `u8` boolean attribute holding exactly 0 or 1 (other values stay raw, so they survive).
fn is_bool(a: &Attr<'_>) -> bool {
    matches!(a.payload, [0] | [1])
}

fn write_ip(b: &mut MsgBuilder, t: u16, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => b.attr(t, &a.octets()),
        IpAddr::V6(a) => b.attr(t, &a.octets()),
    };
}

fn opt_u8(b: &mut MsgBuilder, t: u16, v: Option<u8>) {
    if let Some(v) = v {
        b.attr_u8(t, v);
    }
}

fn opt_u32(b: &mut MsgBuilder, t: u16, v: Option<u32>) {
    if let Some(v) = v {
        b.attr_u32(t, v);
    }
}

fn opt_bool(b: &mut MsgBuilder, t: u16, v: Option<bool>) {
    if let Some(v) = v {
        b.attr_u8(t, u8::from(v));
    }
}

fn underlay_index(r: Option<u32>, u: &Option<LinkRef>) -> Option<u32> {
    r.or(match u {
        Some(LinkRef::Index(i)) => Some(*i),
        _ => None,
    })
}

fn check_family(kind: &str, outer: Outer, what: &'static str, ip: Option<&IpAddr>) -> Result<()> {
    let Some(ip) = ip else { return Ok(()) };
    let ok = match outer {
        Outer::V4 => ip.is_ipv4(),
        Outer::V6 => ip.is_ipv6(),
    };
    if ok {
        Ok(())
    } else {
        Err(input(
            what,
            ip.to_string(),
            format!(
                "a {kind} tunnel's outer addresses are {}",
                if outer == Outer::V4 { "IPv4" } else { "IPv6" }
            ),
        ))
    }
}

/// Options of the GRE family — `gre` and `gretap` over IPv4, `ip6gre` and `ip6gretap` over IPv6
/// (`IFLA_INFO_DATA` attributes `IFLA_GRE_*`, see ip-link(8) "GRE, IPIP, SIT, ISATAP Type
/// Support" and "IP6GRE/IP6GRETAP Type Support").
///
/// Every field is optional: what is absent is left to the kernel's default (no key, TTL inherit
/// (0), path-MTU discovery on, no underlay). Dumps report every field; attributes linx does not
/// model (encapsulation, `ignore_df`, ERSPAN …) are kept raw in [`other`](Gre::other) and sent back
/// unchanged.
///
/// Keys follow iproute2: [`key`](Gre::key) sets both keys *and* the `GRE_KEY` bit in both flag
/// words (the kernel ignores a key whose bit is clear). Dumps carry the key attributes even when
/// no key is used (as 0); [`input_key`](Gre::input_key) and [`output_key`](Gre::output_key)
/// interpret them.
///
/// ```
/// use linx::rtnl::LinkSpec;
/// use linx::rtnl::kinds::Gre;
/// let spec = LinkSpec::gre(
///     "gre1",
///     Gre::new()
///         .local("192.0.2.1".parse().unwrap())
///         .remote("192.0.2.2".parse().unwrap())
///         .key(42)
///         .ttl(64),
/// );
/// spec.validate()?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gre {
    /// Local (source) address, `IFLA_GRE_LOCAL` (IPv4 for gre/gretap, IPv6 for the ip6 kinds;
    /// unspecified = any).
    pub local: Option<IpAddr>,
    /// Remote (destination) address, `IFLA_GRE_REMOTE` (unspecified = any).
    pub remote: Option<IpAddr>,
    /// Underlay device the encapsulated packets leave through, `IFLA_GRE_LINK` (a name is resolved
    /// by [`Rtnl::create_link`](super::Rtnl::create_link)).
    pub underlay: Option<LinkRef>,
    /// `IFLA_GRE_IFLAGS`: GRE header bits expected on input ([`gre::FLAG_KEY`], …).
    pub iflags: Option<u16>,
    /// `IFLA_GRE_OFLAGS`: GRE header bits put on output.
    pub oflags: Option<u16>,
    /// `IFLA_GRE_IKEY`: input key (used when `iflags` has [`gre::FLAG_KEY`]).
    pub ikey: Option<u32>,
    /// `IFLA_GRE_OKEY`: output key (used when `oflags` has [`gre::FLAG_KEY`]).
    pub okey: Option<u32>,
    /// `IFLA_GRE_TTL`: TTL (hop limit for the ip6 kinds); 0 inherits the inner packet's.
    pub ttl: Option<u8>,
    /// `IFLA_GRE_TOS` (IPv4 kinds): 0 for none, 1 to inherit.
    pub tos: Option<u8>,
    /// `IFLA_GRE_PMTUDISC` (IPv4 kinds): path-MTU discovery (sets DF); the kernel's default is on.
    pub pmtudisc: Option<bool>,
    /// `IFLA_GRE_ENCAP_LIMIT` (ip6 kinds): the tunnel encapsulation limit option.
    pub encap_limit: Option<u8>,
    /// `IFLA_GRE_FLOWINFO` (ip6 kinds): traffic class and flow label, as in the IPv6 header.
    pub flowinfo: Option<u32>,
    /// `IFLA_GRE_FLAGS` (ip6 kinds): `IP6_TNL_F_*` bits.
    pub flags: Option<u32>,
    /// `IFLA_GRE_FWMARK`: firewall mark of the encapsulated packets.
    pub fwmark: Option<u32>,
    /// `IFLA_GRE_COLLECT_METADATA`: external control plane (flow-based tunnel).
    pub external: bool,
    /// Other `IFLA_GRE_*` attributes, raw, re-encoded verbatim after the typed ones.
    pub other: Vec<RawAttr>,
}

impl Gre {
    /// Options with nothing set (the kernel's defaults); add fields with the builder methods.
    pub fn new() -> Gre {
        Gre::default()
    }

    /// Sets the local (source) address.
    pub fn local(mut self, ip: IpAddr) -> Self {
        self.local = Some(ip);
        self
    }

    /// Sets the remote (destination) address.
    pub fn remote(mut self, ip: IpAddr) -> Self {
        self.remote = Some(ip);
        self
    }

    /// Sets the underlay device (by name or index).
    pub fn underlay(mut self, link: impl Into<LinkRef>) -> Self {
        self.underlay = Some(link.into());
        self
    }

    /// Uses `key` in both directions: sets `ikey` and `okey` and the `GRE_KEY` bit in both flag
    /// words (iproute2's `key K`).
    pub fn key(self, key: u32) -> Self {
        self.ikey(key).okey(key)
    }

    /// Expects `key` on input (sets `ikey` and the `GRE_KEY` bit of `iflags`).
    pub fn ikey(mut self, key: u32) -> Self {
        self.ikey = Some(key);
        self.iflags = Some(self.iflags.unwrap_or(0) | gre::FLAG_KEY);
        self
    }

    /// Puts `key` on output (sets `okey` and the `GRE_KEY` bit of `oflags`).
    pub fn okey(mut self, key: u32) -> Self {
        self.okey = Some(key);
        self.oflags = Some(self.oflags.unwrap_or(0) | gre::FLAG_KEY);
        self
    }

    /// Sets the TTL (hop limit for the ip6 kinds); 0 inherits.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the TOS (IPv4 kinds; 1 inherits).
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = Some(tos);
        self
    }

    /// Turns path-MTU discovery on or off (IPv4 kinds).
    pub fn pmtudisc(mut self, on: bool) -> Self {
        self.pmtudisc = Some(on);
        self
    }

    /// Sets the encapsulation limit (ip6 kinds).
    pub fn encap_limit(mut self, limit: u8) -> Self {
        self.encap_limit = Some(limit);
        self
    }

    /// Makes the tunnel flow-based (`external`: addresses and keys come with each packet).
    pub fn external(mut self) -> Self {
        self.external = true;
        self
    }

    /// The input key in use: `ikey` when `iflags` has the `GRE_KEY` bit.
    pub fn input_key(&self) -> Option<u32> {
        self.iflags
            .filter(|f| f & gre::FLAG_KEY != 0)
            .and(self.ikey)
    }

    /// The output key in use: `okey` when `oflags` has the `GRE_KEY` bit.
    pub fn output_key(&self) -> Option<u32> {
        self.oflags
            .filter(|f| f & gre::FLAG_KEY != 0)
            .and(self.okey)
    }
}

/// The protocol carried inside an `ipip`, `sit` or `ip6tnl` tunnel (`IFLA_IPTUN_PROTO`, an IP
/// protocol number); iproute2 calls it the tunnel mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TunnelProto {
    /// 0: any protocol the kind supports (iproute2 `any`).
    Any,
    /// 4 (`IPPROTO_IPIP`): IPv4 inside (`ipip` over IPv4, `ipip6` over IPv6).
    Ipv4,
    /// 41 (`IPPROTO_IPV6`): IPv6 inside (`ip6ip` over IPv4, `ip6ip6` over IPv6).
    Ipv6,
    /// 137 (`IPPROTO_MPLS`): MPLS inside (`mplsip`).
    Mpls,
    /// Another protocol number.
    Other(u8),
}

impl TunnelProto {
    /// The wire value.
    pub fn to_raw(self) -> u8 {
        match self {
            TunnelProto::Any => 0,
            TunnelProto::Ipv4 => 4,
            TunnelProto::Ipv6 => 41,
            TunnelProto::Mpls => 137,
            TunnelProto::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u8) -> TunnelProto {
        match v {
            0 => TunnelProto::Any,
            4 => TunnelProto::Ipv4,
            41 => TunnelProto::Ipv6,
            137 => TunnelProto::Mpls,
            n => TunnelProto::Other(n),
        }
    }

    /// The mode name iproute2 prints for a tunnel of `kind` (`ipip`, `ip6ip`, `ip6ip6`, `ipip6`,
    /// `mplsip`, `any`); the name depends on the outer family.
    pub fn mode_name(self, kind: &str) -> String {
        let over_v6 = kind == "ip6tnl";
        match self {
            TunnelProto::Any => "any".into(),
            TunnelProto::Ipv4 if over_v6 => "ipip6".into(),
            TunnelProto::Ipv4 => "ipip".into(),
            TunnelProto::Ipv6 if over_v6 => "ip6ip6".into(),
            TunnelProto::Ipv6 => "ip6ip".into(),
            TunnelProto::Mpls if over_v6 => "mplsip6".into(),
            TunnelProto::Mpls => "mplsip".into(),
            TunnelProto::Other(n) => n.to_string(),
        }
    }
}

/// Options of the IP-in-IP family — `ipip` (IPv4 over IPv4), `sit` (IPv6, and with
/// [`proto`](IpTunnel::proto) also IPv4 or MPLS, over IPv4) and `ip6tnl` (IPv4 or IPv6 over IPv6)
/// (`IFLA_INFO_DATA` attributes `IFLA_IPTUN_*`, see ip-link(8)).
///
/// Every field is optional; attributes linx does not model (6rd, encapsulation …) are kept raw in
/// [`other`](IpTunnel::other) and sent back unchanged.
///
/// ```
/// use linx::rtnl::LinkSpec;
/// use linx::rtnl::kinds::{IpTunnel, TunnelProto};
/// let v4 = LinkSpec::ipip(
///     "ipip1",
///     IpTunnel::new().local("192.0.2.1".parse().unwrap()).remote("192.0.2.2".parse().unwrap()),
/// );
/// let v6 = LinkSpec::ip6tnl(
///     "t6",
///     IpTunnel::new()
///         .remote("2001:db8::2".parse().unwrap())
///         .proto(TunnelProto::Ipv6)
///         .ttl(32),
/// );
/// v4.validate()?;
/// v6.validate()?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IpTunnel {
    /// Local address, `IFLA_IPTUN_LOCAL` (IPv4 for ipip/sit, IPv6 for ip6tnl).
    pub local: Option<IpAddr>,
    /// Remote address, `IFLA_IPTUN_REMOTE`.
    pub remote: Option<IpAddr>,
    /// Underlay device, `IFLA_IPTUN_LINK`.
    pub underlay: Option<LinkRef>,
    /// `IFLA_IPTUN_TTL`: TTL (hop limit for ip6tnl); 0 inherits.
    pub ttl: Option<u8>,
    /// `IFLA_IPTUN_TOS` (ipip, sit): 1 inherits.
    pub tos: Option<u8>,
    /// `IFLA_IPTUN_PROTO`: the inner protocol (the tunnel mode).
    pub proto: Option<TunnelProto>,
    /// `IFLA_IPTUN_PMTUDISC` (ipip, sit): path-MTU discovery.
    pub pmtudisc: Option<bool>,
    /// `IFLA_IPTUN_ENCAP_LIMIT` (ip6tnl).
    pub encap_limit: Option<u8>,
    /// `IFLA_IPTUN_FLOWINFO` (ip6tnl): traffic class and flow label.
    pub flowinfo: Option<u32>,
    /// `IFLA_IPTUN_FLAGS`: a `u16` for sit (`SIT_ISATAP` 1), a `u32` for ip6tnl
    /// (`IP6_TNL_F_*`); ipip has none (kept in `other`).
    pub flags: Option<u32>,
    /// `IFLA_IPTUN_FWMARK`.
    pub fwmark: Option<u32>,
    /// `IFLA_IPTUN_COLLECT_METADATA`: external control plane (ipip, ip6tnl).
    pub external: bool,
    /// Other `IFLA_IPTUN_*` attributes, raw.
    pub other: Vec<RawAttr>,
}

impl IpTunnel {
    /// Options with nothing set (the kernel's defaults).
    pub fn new() -> IpTunnel {
        IpTunnel::default()
    }

    /// Sets the local address.
    pub fn local(mut self, ip: IpAddr) -> Self {
        self.local = Some(ip);
        self
    }

    /// Sets the remote address.
    pub fn remote(mut self, ip: IpAddr) -> Self {
        self.remote = Some(ip);
        self
    }

    /// Sets the underlay device (by name or index).
    pub fn underlay(mut self, link: impl Into<LinkRef>) -> Self {
        self.underlay = Some(link.into());
        self
    }

    /// Sets the TTL (hop limit for ip6tnl); 0 inherits.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the TOS (ipip, sit).
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = Some(tos);
        self
    }

    /// Sets the inner protocol (the tunnel mode).
    pub fn proto(mut self, proto: TunnelProto) -> Self {
        self.proto = Some(proto);
        self
    }

    /// Turns path-MTU discovery on or off (ipip, sit).
    pub fn pmtudisc(mut self, on: bool) -> Self {
        self.pmtudisc = Some(on);
        self
    }

    /// Sets the encapsulation limit (ip6tnl).
    pub fn encap_limit(mut self, limit: u8) -> Self {
        self.encap_limit = Some(limit);
        self
    }

    /// Makes the tunnel flow-based (`external`).
    pub fn external(mut self) -> Self {
        self.external = true;
        self
    }
}

/// geneve options (`IFLA_INFO_DATA` attributes `IFLA_GENEVE_*`, see ip-link(8) "GENEVE Type
/// Support").
///
/// A geneve link has a VNI and a remote (IPv4 or IPv6) unless it is [`external`](Geneve::external);
/// it has no local address and no underlay device (the route to the remote decides). The UDP
/// destination port defaults to 6081 in the kernel. Attributes linx does not model (zero UDP
/// checksums over IPv6, flow label, DF, TTL inherit …) are kept raw in [`other`](Geneve::other).
///
/// ```
/// use linx::rtnl::LinkSpec;
/// use linx::rtnl::kinds::Geneve;
/// let spec = LinkSpec::geneve("gnv0", Geneve::new(100).remote("192.0.2.7".parse().unwrap()).ttl(13));
/// spec.validate()?;
/// assert!(LinkSpec::geneve("gnv1", Geneve::new(1 << 24)).validate().unwrap_err().is_input());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Geneve {
    /// VNI, 0..2^24 (`IFLA_GENEVE_ID`, host-order `u32`); required unless `external`.
    pub vni: Option<u32>,
    /// Remote address (`IFLA_GENEVE_REMOTE` for IPv4, `IFLA_GENEVE_REMOTE6` for IPv6).
    pub remote: Option<IpAddr>,
    /// `IFLA_GENEVE_TTL`; 0 lets the kernel choose.
    pub ttl: Option<u8>,
    /// `IFLA_GENEVE_TOS`; 1 inherits.
    pub tos: Option<u8>,
    /// UDP destination port (`IFLA_GENEVE_PORT`, big-endian); the kernel's default is 6081.
    pub port: Option<u16>,
    /// UDP checksums over IPv4 (`IFLA_GENEVE_UDP_CSUM`).
    pub udp_csum: Option<bool>,
    /// `IFLA_GENEVE_COLLECT_METADATA`: external control plane.
    pub external: bool,
    /// Other `IFLA_GENEVE_*` attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Geneve {
    /// A geneve with `vni`.
    pub fn new(vni: u32) -> Geneve {
        Geneve {
            vni: Some(vni),
            ..Geneve::default()
        }
    }

    /// A flow-based geneve (`external`): VNI and remote come with each packet.
    pub fn external() -> Geneve {
        Geneve {
            external: true,
            ..Geneve::default()
        }
    }

    /// Sets the remote address (IPv4 or IPv6).
    pub fn remote(mut self, ip: IpAddr) -> Self {
        self.remote = Some(ip);
        self
    }

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the TOS.
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = Some(tos);
        self
    }

    /// Sets the UDP destination port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
}

// ---- validation ----

pub(super) fn validate_gre(kind: &str, outer: Outer, g: &Gre) -> Result<()> {
    check_family(kind, outer, "tunnel local address", g.local.as_ref())?;
    check_family(kind, outer, "tunnel remote address", g.remote.as_ref())?;
    if let Some(u) = &g.underlay {
        u.validate("tunnel underlay device")?;
    }
    Ok(())
}

pub(super) fn validate_iptun(kind: &str, outer: Outer, t: &IpTunnel) -> Result<()> {
    check_family(kind, outer, "tunnel local address", t.local.as_ref())?;
    check_family(kind, outer, "tunnel remote address", t.remote.as_ref())?;
    if let Some(u) = &t.underlay {
        u.validate("tunnel underlay device")?;
    }
    match (kind, t.flags) {
        ("sit", Some(f)) if f > u32::from(u16::MAX) => {
            return Err(input(
                "sit tunnel flags",
                f.to_string(),
                "IFLA_IPTUN_FLAGS of sit is 16 bits",
            ));
        }
        ("ipip", Some(f)) => {
            return Err(input(
                "ipip tunnel flags",
                f.to_string(),
                "ipip has no IFLA_IPTUN_FLAGS (sit and ip6tnl do)",
            ));
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn validate_geneve(g: &Geneve) -> Result<()> {
    match g.vni {
        None if !g.external => {
            return Err(input(
                "geneve VNI",
                "none",
                "a geneve link needs a VNI unless it is external",
            ));
        }
        Some(n) if n >= 1 << 24 => {
            return Err(input("geneve VNI", n.to_string(), "must be below 2^24"));
        }
        _ => {}
    }
    Ok(())
}

// ---- encoding ----

pub(super) fn encode_gre(b: &mut MsgBuilder, g: &Gre, underlay: Option<u32>) {
    opt_u32(b, gre::LINK, underlay_index(underlay, &g.underlay));
    if let Some(f) = g.iflags {
        b.attr_be16(gre::IFLAGS, f);
    }
    if let Some(f) = g.oflags {
        b.attr_be16(gre::OFLAGS, f);
    }
    if let Some(k) = g.ikey {
        b.attr_be32(gre::IKEY, k);
    }
    if let Some(k) = g.okey {
        b.attr_be32(gre::OKEY, k);
    }
    if let Some(ip) = g.local {
        write_ip(b, gre::LOCAL, ip);
    }
    if let Some(ip) = g.remote {
        write_ip(b, gre::REMOTE, ip);
    }
    opt_u8(b, gre::TTL, g.ttl);
    opt_u8(b, gre::TOS, g.tos);
    opt_bool(b, gre::PMTUDISC, g.pmtudisc);
    opt_u8(b, gre::ENCAP_LIMIT, g.encap_limit);
    if let Some(v) = g.flowinfo {
        b.attr_be32(gre::FLOWINFO, v);
    }
    opt_u32(b, gre::FLAGS, g.flags);
    if g.external {
        b.attr(gre::COLLECT_METADATA, &[]);
    }
    opt_u32(b, gre::FWMARK, g.fwmark);
    for a in &g.other {
        b.raw_attr(a);
    }
}

pub(super) fn encode_iptun(b: &mut MsgBuilder, kind: &str, t: &IpTunnel, underlay: Option<u32>) {
    opt_u32(b, iptun::LINK, underlay_index(underlay, &t.underlay));
    if let Some(ip) = t.local {
        write_ip(b, iptun::LOCAL, ip);
    }
    if let Some(ip) = t.remote {
        write_ip(b, iptun::REMOTE, ip);
    }
    opt_u8(b, iptun::TTL, t.ttl);
    opt_u8(b, iptun::TOS, t.tos);
    opt_u8(b, iptun::ENCAP_LIMIT, t.encap_limit);
    if let Some(v) = t.flowinfo {
        b.attr_be32(iptun::FLOWINFO, v);
    }
    if let Some(f) = t.flags {
        if kind == "sit" {
            // Validation keeps sit flags within 16 bits; a larger value is cut like the kernel's
            // own u16 would be.
            b.attr_u16(iptun::FLAGS, f as u16);
        } else {
            b.attr_u32(iptun::FLAGS, f);
        }
    }
    if let Some(p) = t.proto {
        b.attr_u8(iptun::PROTO, p.to_raw());
    }
    opt_bool(b, iptun::PMTUDISC, t.pmtudisc);
    if t.external {
        b.attr(iptun::COLLECT_METADATA, &[]);
    }
    opt_u32(b, iptun::FWMARK, t.fwmark);
    for a in &t.other {
        b.raw_attr(a);
    }
}

pub(super) fn encode_geneve(b: &mut MsgBuilder, g: &Geneve) {
    opt_u32(b, geneve::ID, g.vni);
    match g.remote {
        Some(ip @ IpAddr::V4(_)) => write_ip(b, geneve::REMOTE, ip),
        Some(ip @ IpAddr::V6(_)) => write_ip(b, geneve::REMOTE6, ip),
        None => {}
    }
    opt_u8(b, geneve::TTL, g.ttl);
    opt_u8(b, geneve::TOS, g.tos);
    if let Some(p) = g.port {
        b.attr_be16(geneve::PORT, p);
    }
    if g.external {
        b.attr(geneve::COLLECT_METADATA, &[]);
    }
    opt_bool(b, geneve::UDP_CSUM, g.udp_csum);
    for a in &g.other {
        b.raw_attr(a);
    }
}

// ---- decoding ----

fn addr_len(outer: Outer) -> usize {
    match outer {
        Outer::V4 => 4,
        Outer::V6 => 16,
    }
}

pub(super) fn decode_gre(outer: Outer, data: &[RawAttr]) -> DecodeResult<Gre> {
    let mut x = Gre::default();
    for r in data {
        let a = view(r);
        match r.raw_type {
            gre::LINK if x.underlay.is_none() => x.underlay = Some(LinkRef::Index(a.u32()?)),
            gre::IFLAGS if x.iflags.is_none() => x.iflags = Some(a.be16()?),
            gre::OFLAGS if x.oflags.is_none() => x.oflags = Some(a.be16()?),
            gre::IKEY if x.ikey.is_none() => x.ikey = Some(a.be32()?),
            gre::OKEY if x.okey.is_none() => x.okey = Some(a.be32()?),
            gre::LOCAL if x.local.is_none() => x.local = Some(addr(&a, addr_len(outer))?),
            gre::REMOTE if x.remote.is_none() => x.remote = Some(addr(&a, addr_len(outer))?),
            gre::TTL if x.ttl.is_none() => x.ttl = Some(a.u8()?),
            gre::TOS if x.tos.is_none() => x.tos = Some(a.u8()?),
            gre::PMTUDISC if x.pmtudisc.is_none() && is_bool(&a) => x.pmtudisc = Some(a.u8()? != 0),
            gre::ENCAP_LIMIT if x.encap_limit.is_none() => x.encap_limit = Some(a.u8()?),
            gre::FLOWINFO if x.flowinfo.is_none() => x.flowinfo = Some(a.be32()?),
            gre::FLAGS if x.flags.is_none() => x.flags = Some(a.u32()?),
            gre::COLLECT_METADATA if a.payload.is_empty() && !x.external => x.external = true,
            gre::FWMARK if x.fwmark.is_none() => x.fwmark = Some(a.u32()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

pub(super) fn decode_iptun(kind: &str, outer: Outer, data: &[RawAttr]) -> DecodeResult<IpTunnel> {
    let mut x = IpTunnel::default();
    for r in data {
        let a = view(r);
        match r.raw_type {
            iptun::LINK if x.underlay.is_none() => x.underlay = Some(LinkRef::Index(a.u32()?)),
            iptun::LOCAL if x.local.is_none() => x.local = Some(addr(&a, addr_len(outer))?),
            iptun::REMOTE if x.remote.is_none() => x.remote = Some(addr(&a, addr_len(outer))?),
            iptun::TTL if x.ttl.is_none() => x.ttl = Some(a.u8()?),
            iptun::TOS if x.tos.is_none() => x.tos = Some(a.u8()?),
            iptun::ENCAP_LIMIT if x.encap_limit.is_none() => x.encap_limit = Some(a.u8()?),
            iptun::FLOWINFO if x.flowinfo.is_none() => x.flowinfo = Some(a.be32()?),
            iptun::FLAGS if kind == "sit" && x.flags.is_none() => {
                x.flags = Some(u32::from(a.u16()?))
            }
            iptun::FLAGS if kind == "ip6tnl" && x.flags.is_none() => x.flags = Some(a.u32()?),
            iptun::PROTO if x.proto.is_none() => x.proto = Some(TunnelProto::from_raw(a.u8()?)),
            iptun::PMTUDISC if x.pmtudisc.is_none() && is_bool(&a) => {
                x.pmtudisc = Some(a.u8()? != 0)
            }
            iptun::COLLECT_METADATA if a.payload.is_empty() && !x.external => x.external = true,
            iptun::FWMARK if x.fwmark.is_none() => x.fwmark = Some(a.u32()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

pub(super) fn decode_geneve(data: &[RawAttr]) -> DecodeResult<Geneve> {
    let mut x = Geneve::default();
    for r in data {
        let a = view(r);
        match r.raw_type {
            geneve::ID if x.vni.is_none() => x.vni = Some(a.u32()?),
            geneve::REMOTE if x.remote.is_none() => x.remote = Some(addr(&a, 4)?),
            geneve::REMOTE6 if x.remote.is_none() => x.remote = Some(addr(&a, 16)?),
            geneve::TTL if x.ttl.is_none() => x.ttl = Some(a.u8()?),
            geneve::TOS if x.tos.is_none() => x.tos = Some(a.u8()?),
            geneve::PORT if x.port.is_none() => x.port = Some(a.be16()?),
            geneve::COLLECT_METADATA if a.payload.is_empty() && !x.external => x.external = true,
            geneve::UDP_CSUM if x.udp_csum.is_none() && is_bool(&a) => {
                x.udp_csum = Some(a.u8()? != 0)
            }
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

// ---- attribute names (extended-ack paths) ----

pub(super) fn gre_name(t: u16) -> Option<&'static str> {
    Some(match t {
        gre::LINK => "IFLA_GRE_LINK",
        gre::IFLAGS => "IFLA_GRE_IFLAGS",
        gre::OFLAGS => "IFLA_GRE_OFLAGS",
        gre::IKEY => "IFLA_GRE_IKEY",
        gre::OKEY => "IFLA_GRE_OKEY",
        gre::LOCAL => "IFLA_GRE_LOCAL",
        gre::REMOTE => "IFLA_GRE_REMOTE",
        gre::TTL => "IFLA_GRE_TTL",
        gre::TOS => "IFLA_GRE_TOS",
        gre::PMTUDISC => "IFLA_GRE_PMTUDISC",
        gre::ENCAP_LIMIT => "IFLA_GRE_ENCAP_LIMIT",
        gre::FLOWINFO => "IFLA_GRE_FLOWINFO",
        gre::FLAGS => "IFLA_GRE_FLAGS",
        gre::ENCAP_TYPE => "IFLA_GRE_ENCAP_TYPE",
        gre::ENCAP_FLAGS => "IFLA_GRE_ENCAP_FLAGS",
        gre::ENCAP_SPORT => "IFLA_GRE_ENCAP_SPORT",
        gre::ENCAP_DPORT => "IFLA_GRE_ENCAP_DPORT",
        gre::COLLECT_METADATA => "IFLA_GRE_COLLECT_METADATA",
        gre::IGNORE_DF => "IFLA_GRE_IGNORE_DF",
        gre::FWMARK => "IFLA_GRE_FWMARK",
        gre::ERSPAN_INDEX => "IFLA_GRE_ERSPAN_INDEX",
        gre::ERSPAN_VER => "IFLA_GRE_ERSPAN_VER",
        gre::ERSPAN_DIR => "IFLA_GRE_ERSPAN_DIR",
        gre::ERSPAN_HWID => "IFLA_GRE_ERSPAN_HWID",
        _ => return None,
    })
}

pub(super) fn iptun_name(t: u16) -> Option<&'static str> {
    Some(match t {
        iptun::LINK => "IFLA_IPTUN_LINK",
        iptun::LOCAL => "IFLA_IPTUN_LOCAL",
        iptun::REMOTE => "IFLA_IPTUN_REMOTE",
        iptun::TTL => "IFLA_IPTUN_TTL",
        iptun::TOS => "IFLA_IPTUN_TOS",
        iptun::ENCAP_LIMIT => "IFLA_IPTUN_ENCAP_LIMIT",
        iptun::FLOWINFO => "IFLA_IPTUN_FLOWINFO",
        iptun::FLAGS => "IFLA_IPTUN_FLAGS",
        iptun::PROTO => "IFLA_IPTUN_PROTO",
        iptun::PMTUDISC => "IFLA_IPTUN_PMTUDISC",
        iptun::SIXRD_PREFIX => "IFLA_IPTUN_6RD_PREFIX",
        iptun::SIXRD_RELAY_PREFIX => "IFLA_IPTUN_6RD_RELAY_PREFIX",
        iptun::SIXRD_PREFIXLEN => "IFLA_IPTUN_6RD_PREFIXLEN",
        iptun::SIXRD_RELAY_PREFIXLEN => "IFLA_IPTUN_6RD_RELAY_PREFIXLEN",
        iptun::ENCAP_TYPE => "IFLA_IPTUN_ENCAP_TYPE",
        iptun::ENCAP_FLAGS => "IFLA_IPTUN_ENCAP_FLAGS",
        iptun::ENCAP_SPORT => "IFLA_IPTUN_ENCAP_SPORT",
        iptun::ENCAP_DPORT => "IFLA_IPTUN_ENCAP_DPORT",
        iptun::COLLECT_METADATA => "IFLA_IPTUN_COLLECT_METADATA",
        iptun::FWMARK => "IFLA_IPTUN_FWMARK",
        _ => return None,
    })
}

pub(super) fn geneve_name(t: u16) -> Option<&'static str> {
    Some(match t {
        geneve::ID => "IFLA_GENEVE_ID",
        geneve::REMOTE => "IFLA_GENEVE_REMOTE",
        geneve::TTL => "IFLA_GENEVE_TTL",
        geneve::TOS => "IFLA_GENEVE_TOS",
        geneve::PORT => "IFLA_GENEVE_PORT",
        geneve::COLLECT_METADATA => "IFLA_GENEVE_COLLECT_METADATA",
        geneve::REMOTE6 => "IFLA_GENEVE_REMOTE6",
        geneve::UDP_CSUM => "IFLA_GENEVE_UDP_CSUM",
        geneve::UDP_ZERO_CSUM6_TX => "IFLA_GENEVE_UDP_ZERO_CSUM6_TX",
        geneve::UDP_ZERO_CSUM6_RX => "IFLA_GENEVE_UDP_ZERO_CSUM6_RX",
        geneve::LABEL => "IFLA_GENEVE_LABEL",
        geneve::TTL_INHERIT => "IFLA_GENEVE_TTL_INHERIT",
        geneve::DF => "IFLA_GENEVE_DF",
        geneve::INNER_PROTO_INHERIT => "IFLA_GENEVE_INNER_PROTO_INHERIT",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::kinds::{KindResolved, LinkKind};
    use super::*;
    use crate::netlink::wire;

    fn raw(t: u16, payload: &[u8]) -> RawAttr {
        RawAttr {
            raw_type: t,
            payload: payload.to_vec(),
        }
    }

    fn data_of(kind: &LinkKind) -> Vec<RawAttr> {
        let mut b = MsgBuilder::new(0, 0);
        kind.encode_data(&mut b, &KindResolved::default());
        let bytes = b.finish().unwrap();
        wire::attrs(&bytes[16..])
            .map(|a| RawAttr::from_attr(&a.unwrap()))
            .collect()
    }

    fn sorted(mut v: Vec<RawAttr>) -> Vec<RawAttr> {
        v.sort_by(|a, b| (a.raw_type, &a.payload).cmp(&(b.raw_type, &b.payload)));
        v
    }

    /// Decodes kernel-style data typed, re-encodes it and checks that no attribute was lost or
    /// changed (order aside), and that decoding the re-encoding gives the same value.
    fn round_trip(kind: &str, data: &[RawAttr]) -> LinkKind {
        let k = LinkKind::decode(kind, data);
        assert!(
            !matches!(k, LinkKind::Generic { .. }),
            "{kind} decodes typed: {k:?}"
        );
        let again = data_of(&k);
        assert_eq!(sorted(again.clone()), sorted(data.to_vec()), "{kind}");
        assert_eq!(LinkKind::decode(kind, &again), k);
        k
    }

    #[test]
    fn rt_13_gre_key_sets_the_key_bit_and_is_big_endian() {
        let k = LinkKind::Gre(
            Gre::new()
                .local("192.0.2.1".parse().unwrap())
                .remote("192.0.2.2".parse().unwrap())
                .key(42)
                .ttl(64)
                .underlay(7u32),
        );
        k.validate().unwrap();
        let d = data_of(&k);
        let get = |t: u16| d.iter().find(|a| a.kind() == t).unwrap().payload.clone();
        assert_eq!(get(gre::LINK), 7u32.to_ne_bytes());
        // GRE_KEY is __cpu_to_be16(0x2000): bytes 0x20 0x00 in both flag words.
        assert_eq!(get(gre::IFLAGS), [0x20, 0x00]);
        assert_eq!(get(gre::OFLAGS), [0x20, 0x00]);
        // `key 42` is htonl(42).
        assert_eq!(get(gre::IKEY), [0, 0, 0, 42]);
        assert_eq!(get(gre::OKEY), [0, 0, 0, 42]);
        assert_eq!(get(gre::LOCAL), [192, 0, 2, 1]);
        assert_eq!(get(gre::REMOTE), [192, 0, 2, 2]);
        assert_eq!(get(gre::TTL), [64]);
        let LinkKind::Gre(g) = LinkKind::decode("gre", &d) else {
            panic!("typed")
        };
        assert_eq!((g.input_key(), g.output_key()), (Some(42), Some(42)));
        assert_eq!(LinkKind::Gre(g), k);
        // Separate keys; a key attribute without its bit is no key.
        let g = Gre::new().ikey(7).okey(8);
        assert_eq!((g.input_key(), g.output_key()), (Some(7), Some(8)));
        let mut g = Gre::new().key(5);
        g.iflags = Some(0);
        assert_eq!((g.input_key(), g.output_key()), (None, Some(5)));
    }

    #[test]
    fn rt_13_kernel_gre_dumps_round_trip_with_unknown_attributes_kept() {
        // What ipgre_fill_info reports for `ip link add g type gre remote 192.0.2.2 local
        // 192.0.2.1 key 42 ttl 64 dev <3>`, plus attributes linx does not model and one newer
        // than it.
        let data = vec![
            raw(gre::LINK, &3u32.to_ne_bytes()),
            raw(gre::IFLAGS, &[0x20, 0]),
            raw(gre::OFLAGS, &[0x20, 0]),
            raw(gre::IKEY, &[0, 0, 0, 42]),
            raw(gre::OKEY, &[0, 0, 0, 42]),
            raw(gre::LOCAL, &[192, 0, 2, 1]),
            raw(gre::REMOTE, &[192, 0, 2, 2]),
            raw(gre::TTL, &[64]),
            raw(gre::TOS, &[0]),
            raw(gre::PMTUDISC, &[1]),
            raw(gre::FWMARK, &0u32.to_ne_bytes()),
            raw(gre::ENCAP_TYPE, &0u16.to_ne_bytes()),
            raw(gre::ENCAP_SPORT, &[0, 0]),
            raw(gre::ENCAP_DPORT, &[0, 0]),
            raw(gre::ENCAP_FLAGS, &0u16.to_ne_bytes()),
            raw(gre::IGNORE_DF, &[0]),
            raw(99, &[1, 2, 3, 4, 5]),
        ];
        for kind in ["gre", "gretap"] {
            let k = round_trip(kind, &data);
            let (LinkKind::Gre(g) | LinkKind::Gretap(g)) = k else {
                panic!("{kind}: {k:?}")
            };
            assert_eq!(g.remote, Some("192.0.2.2".parse().unwrap()));
            assert_eq!(g.underlay, Some(LinkRef::Index(3)));
            assert_eq!(
                (g.input_key(), g.ttl, g.pmtudisc),
                (Some(42), Some(64), Some(true))
            );
            assert_eq!(g.other.len(), 6, "encap ×4, ignore_df, type 99 stay raw");
            assert!(g.other.iter().any(|a| a.kind() == 99));
        }
        // ip6gre: 16-byte addresses, hop limit, encap limit, flowinfo, flags, external.
        let data6 = vec![
            raw(gre::LINK, &0u32.to_ne_bytes()),
            raw(gre::IFLAGS, &[0, 0]),
            raw(gre::OFLAGS, &[0, 0]),
            raw(gre::IKEY, &[0, 0, 0, 0]),
            raw(gre::OKEY, &[0, 0, 0, 0]),
            raw(
                gre::LOCAL,
                &"2001:db8::1"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            ),
            raw(
                gre::REMOTE,
                &"2001:db8::2"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            ),
            raw(gre::TTL, &[33]),
            raw(gre::ENCAP_LIMIT, &[4]),
            raw(gre::FLOWINFO, &[0x00, 0x01, 0x23, 0x45]),
            raw(gre::FLAGS, &0x30000u32.to_ne_bytes()),
            raw(gre::COLLECT_METADATA, &[]),
            raw(gre::FWMARK, &9u32.to_ne_bytes()),
        ];
        for kind in ["ip6gre", "ip6gretap"] {
            let k = round_trip(kind, &data6);
            let (LinkKind::Ip6gre(g) | LinkKind::Ip6gretap(g)) = k else {
                panic!("{kind}: {k:?}")
            };
            assert_eq!(g.local, Some("2001:db8::1".parse().unwrap()));
            assert_eq!((g.ttl, g.encap_limit), (Some(33), Some(4)));
            assert_eq!(g.flowinfo, Some(0x12345));
            assert_eq!(
                (g.flags, g.fwmark, g.external),
                (Some(0x30000), Some(9), true)
            );
            assert_eq!((g.input_key(), g.output_key()), (None, None));
            assert!(g.other.is_empty());
        }
    }

    #[test]
    fn rt_13_ip_tunnels_round_trip_with_kind_specific_flags() {
        let ipip = vec![
            raw(iptun::LINK, &2u32.to_ne_bytes()),
            raw(iptun::LOCAL, &[192, 0, 2, 1]),
            raw(iptun::REMOTE, &[192, 0, 2, 5]),
            raw(iptun::TTL, &[10]),
            raw(iptun::TOS, &[1]),
            raw(iptun::PROTO, &[4]),
            raw(iptun::PMTUDISC, &[1]),
            raw(iptun::FWMARK, &0u32.to_ne_bytes()),
            raw(iptun::ENCAP_TYPE, &0u16.to_ne_bytes()),
            raw(iptun::COLLECT_METADATA, &[]),
        ];
        let LinkKind::Ipip(t) = round_trip("ipip", &ipip) else {
            panic!()
        };
        assert_eq!(t.proto, Some(TunnelProto::Ipv4));
        assert_eq!(t.proto.unwrap().mode_name("ipip"), "ipip");
        assert_eq!((t.ttl, t.tos, t.external), (Some(10), Some(1), true));
        assert_eq!(t.other.len(), 1, "encap type stays raw");
        // sit: FLAGS is a u16 (SIT_ISATAP), 6rd attributes stay raw.
        let sit = vec![
            raw(iptun::LOCAL, &[192, 0, 2, 1]),
            raw(iptun::REMOTE, &[192, 0, 2, 6]),
            raw(iptun::TTL, &[11]),
            raw(iptun::PROTO, &[41]),
            raw(iptun::FLAGS, &1u16.to_ne_bytes()),
            raw(
                iptun::SIXRD_PREFIX,
                &[0x20, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            raw(iptun::SIXRD_PREFIXLEN, &16u16.to_ne_bytes()),
        ];
        let LinkKind::Sit(t) = round_trip("sit", &sit) else {
            panic!()
        };
        assert_eq!(t.flags, Some(1));
        assert_eq!(t.proto.unwrap().mode_name("sit"), "ip6ip");
        assert_eq!(t.other.len(), 2);
        // ip6tnl: FLAGS is a u32, addresses are IPv6.
        let ip6 = vec![
            raw(iptun::LINK, &0u32.to_ne_bytes()),
            raw(
                iptun::LOCAL,
                &"2001:db8::1"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            ),
            raw(
                iptun::REMOTE,
                &"2001:db8::4"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            ),
            raw(iptun::TTL, &[12]),
            raw(iptun::ENCAP_LIMIT, &[4]),
            raw(iptun::FLOWINFO, &[0, 0, 0, 0]),
            raw(iptun::FLAGS, &0x30000u32.to_ne_bytes()),
            raw(iptun::PROTO, &[0]),
        ];
        let LinkKind::Ip6tnl(t) = round_trip("ip6tnl", &ip6) else {
            panic!()
        };
        assert_eq!((t.flags, t.proto), (Some(0x30000), Some(TunnelProto::Any)));
        assert_eq!(TunnelProto::Ipv6.mode_name("ip6tnl"), "ip6ip6");
        assert_eq!(TunnelProto::Ipv4.mode_name("ip6tnl"), "ipip6");
        // Flags of the wrong width for the kind: no typed reading, everything raw.
        let mut bad = ip6.clone();
        bad[6] = raw(iptun::FLAGS, &[1, 0]);
        assert_eq!(
            LinkKind::decode("ip6tnl", &bad),
            LinkKind::generic("ip6tnl", bad.clone())
        );
        // ipip has no flags attribute: one would stay raw.
        let mut odd = ipip.clone();
        odd.push(raw(iptun::FLAGS, &[1, 0]));
        let LinkKind::Ipip(t) = round_trip("ipip", &odd) else {
            panic!()
        };
        assert_eq!(t.flags, None);
    }

    #[test]
    fn rt_13_geneve_vni_host_order_port_big_endian() {
        let k = LinkKind::Geneve(
            Geneve::new(100)
                .remote("192.0.2.7".parse().unwrap())
                .ttl(13)
                .port(6082),
        );
        k.validate().unwrap();
        let d = data_of(&k);
        let get = |t: u16| d.iter().find(|a| a.kind() == t).unwrap().payload.clone();
        assert_eq!(get(geneve::ID), 100u32.to_ne_bytes());
        assert_eq!(get(geneve::REMOTE), [192, 0, 2, 7]);
        assert_eq!(get(geneve::PORT), [0x17, 0xc2]);
        assert_eq!(LinkKind::decode("geneve", &d), k);
        let v6 = LinkKind::Geneve(Geneve::new(1).remote("2001:db8::9".parse().unwrap()));
        assert!(data_of(&v6).iter().any(|a| a.kind() == geneve::REMOTE6));
        // A kernel dump: unmodelled attributes stay raw.
        let dump = vec![
            raw(geneve::ID, &101u32.to_ne_bytes()),
            raw(
                geneve::REMOTE6,
                &"2001:db8::9"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            ),
            raw(geneve::TTL, &[0]),
            raw(geneve::TOS, &[0]),
            raw(geneve::DF, &[0]),
            raw(geneve::LABEL, &[0, 0, 0, 0]),
            raw(geneve::TTL_INHERIT, &[0]),
            raw(geneve::PORT, &6081u16.to_be_bytes()),
            raw(geneve::UDP_CSUM, &[0]),
            raw(geneve::UDP_ZERO_CSUM6_TX, &[0]),
            raw(geneve::UDP_ZERO_CSUM6_RX, &[0]),
            raw(geneve::INNER_PROTO_INHERIT, &[]),
        ];
        let LinkKind::Geneve(g) = round_trip("geneve", &dump) else {
            panic!()
        };
        assert_eq!(
            (g.vni, g.port, g.udp_csum),
            (Some(101), Some(6081), Some(false))
        );
        assert_eq!(g.remote, Some("2001:db8::9".parse().unwrap()));
        assert_eq!(g.other.len(), 6);
        // Two remotes (never sent by the kernel): the second stays raw.
        let mut two = dump.clone();
        two.push(raw(geneve::REMOTE, &[192, 0, 2, 1]));
        round_trip("geneve", &two);
    }

    #[test]
    fn rt_13_tunnel_validation() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let e = LinkKind::Gre(Gre::new().remote(v6)).validate().unwrap_err();
        assert!(e.is_input() && e.to_string().contains("2001:db8::1"), "{e}");
        assert!(LinkKind::Gretap(Gre::new().local(v6)).validate().is_err());
        assert!(LinkKind::Ip6gre(Gre::new().remote(v4)).validate().is_err());
        assert!(
            LinkKind::Ip6gretap(Gre::new().remote(v6))
                .validate()
                .is_ok()
        );
        assert!(
            LinkKind::Ipip(IpTunnel::new().remote(v6))
                .validate()
                .is_err()
        );
        assert!(
            LinkKind::Sit(IpTunnel::new().remote(v6))
                .validate()
                .is_err()
        );
        assert!(
            LinkKind::Ip6tnl(IpTunnel::new().local(v4))
                .validate()
                .is_err()
        );
        assert!(
            LinkKind::Ip6tnl(IpTunnel::new().local(v6))
                .validate()
                .is_ok()
        );
        let mut t = IpTunnel::new();
        t.flags = Some(1);
        assert!(LinkKind::Ipip(t.clone()).validate().is_err());
        assert!(LinkKind::Sit(t.clone()).validate().is_ok());
        t.flags = Some(0x10000);
        assert!(LinkKind::Sit(t.clone()).validate().is_err());
        assert!(LinkKind::Ip6tnl(t).validate().is_ok());
        let e = LinkKind::Geneve(Geneve::new(1 << 24))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("16777216"), "{e}");
        assert!(LinkKind::Geneve(Geneve::default()).validate().is_err());
        assert!(LinkKind::Geneve(Geneve::external()).validate().is_ok());
        let e = LinkKind::Gre(Gre::new().underlay(""))
            .validate()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
    }

    #[test]
    fn rt_13_wrong_sizes_fall_back_to_raw() {
        // A 16-byte local address on an IPv4 gre, a 3-byte key: nothing typed, nothing lost.
        for (kind, data) in [
            ("gre", vec![raw(gre::LOCAL, &[0; 16])]),
            ("ip6gre", vec![raw(gre::LOCAL, &[0; 4])]),
            ("gretap", vec![raw(gre::IKEY, &[0; 3])]),
            ("sit", vec![raw(iptun::REMOTE, &[0; 16])]),
            ("geneve", vec![raw(geneve::REMOTE, &[0; 16])]),
            ("geneve", vec![raw(geneve::PORT, &[0; 4])]),
            ("wireguard", vec![raw(1, &[1])]),
        ] {
            let k = LinkKind::decode(kind, &data);
            assert_eq!(k, LinkKind::generic(kind, data.clone()), "{kind}");
            assert_eq!(data_of(&k), data);
        }
    }

    #[test]
    fn rt_14_wireguard_has_no_kind_data() {
        assert_eq!(LinkKind::decode("wireguard", &[]), LinkKind::Wireguard);
        let spec = super::super::LinkSpec::wireguard("wg0");
        let req = spec.request(&Default::default()).unwrap();
        let bytes = req.bytes();
        let attrs: Vec<_> = wire::attrs(&bytes[32..]).map(|a| a.unwrap()).collect();
        let li = attrs
            .iter()
            .find(|a| a.kind() == super::super::link::ifla::LINKINFO)
            .unwrap();
        let inner: Vec<_> = li.nested().map(|a| a.unwrap()).collect();
        assert_eq!(inner.len(), 1, "IFLA_INFO_KIND only, no IFLA_INFO_DATA");
        assert_eq!(inner[0].str().unwrap(), "wireguard");
    }
}
