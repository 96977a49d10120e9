//! Routes: `RTM_NEWROUTE`, `RTM_DELROUTE`, `RTM_GETROUTE` (`rtmsg` + `RTA_*`), including
//! multipath, tables above 255, metrics, route types and FIB lookups.
//!
//! See [rtnetlink(7)](https://man7.org/linux/man-pages/man7/rtnetlink.7.html) and
//! [ip-route(8)](https://man7.org/linux/man-pages/man8/ip-route.8.html).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Errno, Error, Result};
use crate::netlink::Request;
use crate::netlink::wire::{self, Attr, MsgBuilder, RawAttr, flags};
use crate::types::Prefix;

use super::common::{
    AF_INET, AF_INET6, AF_UNSPEC, family_of, input, malformed, nested_payload, same_family,
};
use super::link::LinkRef;
use super::{RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, Rtnl, Scope};

/// Size of `struct rtmsg`.
pub const RTMSG_LEN: usize = 12;

/// `RTA_*` attribute numbers.
#[allow(missing_docs)]
pub mod rta {
    pub const DST: u16 = 1;
    pub const SRC: u16 = 2;
    pub const IIF: u16 = 3;
    pub const OIF: u16 = 4;
    pub const GATEWAY: u16 = 5;
    pub const PRIORITY: u16 = 6;
    pub const PREFSRC: u16 = 7;
    pub const METRICS: u16 = 8;
    pub const MULTIPATH: u16 = 9;
    pub const FLOW: u16 = 11;
    pub const CACHEINFO: u16 = 12;
    pub const TABLE: u16 = 15;
    pub const MARK: u16 = 16;
    pub const VIA: u16 = 18;
    pub const PREF: u16 = 20;
    pub const ENCAP_TYPE: u16 = 21;
    pub const ENCAP: u16 = 22;
    pub const EXPIRES: u16 = 23;
    pub const UID: u16 = 25;
    pub const IP_PROTO: u16 = 27;
    pub const SPORT: u16 = 28;
    pub const DPORT: u16 = 29;
    pub const NH_ID: u16 = 30;
}

/// `RTAX_*` metric numbers (inside `RTA_METRICS`).
#[allow(missing_docs)]
pub mod rtax {
    pub const LOCK: u16 = 1;
    pub const MTU: u16 = 2;
    pub const WINDOW: u16 = 3;
    pub const RTT: u16 = 4;
    pub const RTTVAR: u16 = 5;
    pub const SSTHRESH: u16 = 6;
    pub const CWND: u16 = 7;
    pub const ADVMSS: u16 = 8;
    pub const REORDERING: u16 = 9;
    pub const HOPLIMIT: u16 = 10;
    pub const INITCWND: u16 = 11;
    pub const FEATURES: u16 = 12;
    pub const RTO_MIN: u16 = 13;
    pub const INITRWND: u16 = 14;
    pub const QUICKACK: u16 = 15;
    pub const CC_ALGO: u16 = 16;
    pub const FASTOPEN_NO_COOKIE: u16 = 17;
}

/// Routing table ids (`RT_TABLE_*`).
pub mod table {
    /// `RT_TABLE_UNSPEC` (0): invalid as a route's table.
    pub const UNSPEC: u32 = 0;
    /// `RT_TABLE_COMPAT` (252): what the header byte says for tables above 255.
    pub const COMPAT: u32 = 252;
    /// `RT_TABLE_DEFAULT` (253).
    pub const DEFAULT: u32 = 253;
    /// `RT_TABLE_MAIN` (254).
    pub const MAIN: u32 = 254;
    /// `RT_TABLE_LOCAL` (255).
    pub const LOCAL: u32 = 255;
}

/// The iproute2 name of a table: `main`, `local`, `default`, or the number.
pub fn table_name(t: u32) -> String {
    match t {
        table::MAIN => "main".into(),
        table::LOCAL => "local".into(),
        table::DEFAULT => "default".into(),
        n => n.to_string(),
    }
}

/// Parses `main`, `local`, `default` or a number 1..=2^32−1.
///
/// # Errors
/// Input error naming the value (table 0 is invalid).
pub fn parse_table(s: &str) -> Result<u32> {
    let t = match s {
        "main" => table::MAIN,
        "local" => table::LOCAL,
        "default" => table::DEFAULT,
        _ => s.parse().map_err(|_| {
            input(
                "routing table",
                s,
                "expected main, local, default or a number",
            )
        })?,
    };
    if t == 0 {
        return Err(input("routing table", s, "table 0 is invalid"));
    }
    Ok(t)
}

/// A route type (`RTN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteType(pub u8);

impl RouteType {
    /// `RTN_UNSPEC` (0).
    pub const UNSPEC: RouteType = RouteType(0);
    /// `RTN_UNICAST` (1): a gateway or direct route.
    pub const UNICAST: RouteType = RouteType(1);
    /// `RTN_LOCAL` (2): a local interface address.
    pub const LOCAL: RouteType = RouteType(2);
    /// `RTN_BROADCAST` (3).
    pub const BROADCAST: RouteType = RouteType(3);
    /// `RTN_ANYCAST` (4).
    pub const ANYCAST: RouteType = RouteType(4);
    /// `RTN_MULTICAST` (5).
    pub const MULTICAST: RouteType = RouteType(5);
    /// `RTN_BLACKHOLE` (6): drop silently.
    pub const BLACKHOLE: RouteType = RouteType(6);
    /// `RTN_UNREACHABLE` (7): ICMP unreachable.
    pub const UNREACHABLE: RouteType = RouteType(7);
    /// `RTN_PROHIBIT` (8): ICMP prohibited.
    pub const PROHIBIT: RouteType = RouteType(8);
    /// `RTN_THROW` (9): continue with the next rule.
    pub const THROW: RouteType = RouteType(9);

    /// The iproute2 name.
    pub fn name(self) -> String {
        match self.0 {
            0 => "none".into(),
            1 => "unicast".into(),
            2 => "local".into(),
            3 => "broadcast".into(),
            4 => "anycast".into(),
            5 => "multicast".into(),
            6 => "blackhole".into(),
            7 => "unreachable".into(),
            8 => "prohibit".into(),
            9 => "throw".into(),
            10 => "nat".into(),
            11 => "xresolve".into(),
            n => n.to_string(),
        }
    }

    /// Parses an iproute2 type name.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn parse(s: &str) -> Result<RouteType> {
        Ok(RouteType(match s {
            "unicast" => 1,
            "local" => 2,
            "broadcast" => 3,
            "anycast" => 4,
            "multicast" => 5,
            "blackhole" => 6,
            "unreachable" => 7,
            "prohibit" => 8,
            "throw" => 9,
            _ => return Err(input("route type", s, "unknown route type")),
        }))
    }
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A routing protocol number (`RTPROT_*`): who installed a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteProtocol(pub u8);

impl RouteProtocol {
    /// `RTPROT_UNSPEC` (0): matches any on delete.
    pub const UNSPEC: RouteProtocol = RouteProtocol(0);
    /// `RTPROT_REDIRECT` (1).
    pub const REDIRECT: RouteProtocol = RouteProtocol(1);
    /// `RTPROT_KERNEL` (2).
    pub const KERNEL: RouteProtocol = RouteProtocol(2);
    /// `RTPROT_BOOT` (3): the default for routes added by tools.
    pub const BOOT: RouteProtocol = RouteProtocol(3);
    /// `RTPROT_STATIC` (4).
    pub const STATIC: RouteProtocol = RouteProtocol(4);
    /// `RTPROT_RA` (9).
    pub const RA: RouteProtocol = RouteProtocol(9);
    /// `RTPROT_DHCP` (16).
    pub const DHCP: RouteProtocol = RouteProtocol(16);

    const NAMES: [(u8, &'static str); 22] = [
        (0, "unspec"),
        (1, "redirect"),
        (2, "kernel"),
        (3, "boot"),
        (4, "static"),
        (8, "gated"),
        (9, "ra"),
        (10, "mrt"),
        (11, "zebra"),
        (12, "bird"),
        (13, "dnrouted"),
        (14, "xorp"),
        (15, "ntk"),
        (16, "dhcp"),
        (18, "keepalived"),
        (42, "babel"),
        (99, "openr"),
        (186, "bgp"),
        (187, "isis"),
        (188, "ospf"),
        (189, "rip"),
        (192, "eigrp"),
    ];

    /// The iproute2 name (`static`, `kernel`, …) or the number.
    pub fn name(self) -> String {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == self.0)
            .map_or_else(|| self.0.to_string(), |(_, s)| (*s).to_owned())
    }

    /// Parses a name or number.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn parse(s: &str) -> Result<RouteProtocol> {
        if let Some((n, _)) = Self::NAMES.iter().find(|(_, name)| *name == s) {
            return Ok(RouteProtocol(*n));
        }
        s.parse().map(RouteProtocol).map_err(|_| {
            input(
                "route protocol",
                s,
                "expected a name such as static, or 0..=255",
            )
        })
    }
}

impl fmt::Display for RouteProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// IPv6 router preference (`RTA_PREF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoutePref {
    /// Low (3).
    Low,
    /// Medium (0).
    Medium,
    /// High (1).
    High,
    /// Another value.
    Other(u8),
}

impl RoutePref {
    /// The wire value.
    pub fn to_raw(self) -> u8 {
        match self {
            RoutePref::Low => 3,
            RoutePref::Medium => 0,
            RoutePref::High => 1,
            RoutePref::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u8) -> RoutePref {
        match v {
            3 => RoutePref::Low,
            0 => RoutePref::Medium,
            1 => RoutePref::High,
            n => RoutePref::Other(n),
        }
    }

    /// `low`, `medium`, `high`.
    pub fn name(self) -> String {
        match self {
            RoutePref::Low => "low".into(),
            RoutePref::Medium => "medium".into(),
            RoutePref::High => "high".into(),
            RoutePref::Other(n) => n.to_string(),
        }
    }
}

/// `RTM_F_CLONED`: the route is a lookup result (cache clone), not a FIB entry.
pub const RTM_F_CLONED: u32 = 0x200;

/// `RTNH_F_ONLINK`: the gateway is on-link even without a matching prefix.
pub const RTNH_F_ONLINK: u8 = 4;

/// Route metrics (`RTA_METRICS`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RouteMetrics {
    /// Bit mask of locked metrics (`1 << RTAX_x`).
    pub lock: u32,
    /// Path MTU.
    pub mtu: Option<u32>,
    /// TCP window clamp.
    pub window: Option<u32>,
    /// Initial RTT.
    pub rtt: Option<u32>,
    /// Advertised MSS.
    pub advmss: Option<u32>,
    /// Hop limit.
    pub hoplimit: Option<u32>,
    /// Initial congestion window.
    pub initcwnd: Option<u32>,
    /// Features (ECN …).
    pub features: Option<u32>,
    /// Initial receive window.
    pub initrwnd: Option<u32>,
    /// Quick ACK.
    pub quickack: Option<u32>,
    /// Congestion control algorithm.
    pub cc_algo: Option<String>,
    /// Other metrics, raw.
    pub other: Vec<RawAttr>,
}

impl RouteMetrics {
    /// True when no metric is set.
    pub fn is_empty(&self) -> bool {
        *self == RouteMetrics::default()
    }

    fn decode(payload: &[u8]) -> Result<RouteMetrics> {
        let mut m = RouteMetrics::default();
        for a in wire::attrs(payload) {
            let a = a?;
            match a.kind() {
                rtax::LOCK => m.lock = a.u32()?,
                rtax::MTU => m.mtu = Some(a.u32()?),
                rtax::WINDOW => m.window = Some(a.u32()?),
                rtax::RTT => m.rtt = Some(a.u32()?),
                rtax::ADVMSS => m.advmss = Some(a.u32()?),
                rtax::HOPLIMIT => m.hoplimit = Some(a.u32()?),
                rtax::INITCWND => m.initcwnd = Some(a.u32()?),
                rtax::FEATURES => m.features = Some(a.u32()?),
                rtax::INITRWND => m.initrwnd = Some(a.u32()?),
                rtax::QUICKACK => m.quickack = Some(a.u32()?),
                rtax::CC_ALGO => m.cc_algo = Some(a.str()?.to_owned()),
                _ => m.other.push(RawAttr::from_attr(&a)),
            }
        }
        Ok(m)
    }

    fn encode(&self, b: &mut MsgBuilder) {
        if self.lock != 0 {
            b.attr_u32(rtax::LOCK, self.lock);
        }
        for (t, v) in [
            (rtax::MTU, self.mtu),
            (rtax::WINDOW, self.window),
            (rtax::RTT, self.rtt),
            (rtax::ADVMSS, self.advmss),
            (rtax::HOPLIMIT, self.hoplimit),
            (rtax::INITCWND, self.initcwnd),
            (rtax::FEATURES, self.features),
            (rtax::INITRWND, self.initrwnd),
            (rtax::QUICKACK, self.quickack),
        ] {
            if let Some(v) = v {
                b.attr_u32(t, v);
            }
        }
        if let Some(cc) = &self.cc_algo {
            b.attr_str(rtax::CC_ALGO, cc);
        }
        for a in &self.other {
            b.raw_attr(a);
        }
    }
}

/// One hop of a multipath route (`struct rtnexthop` + attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MultipathHop {
    /// `RTNH_F_*` flags (dead 1, pervasive 2, onlink 4, offload 8, linkdown 16).
    pub flags: u8,
    /// Weight 1..=256 (`rtnh_hops + 1`).
    pub weight: u16,
    /// Output interface index (0 when none).
    pub ifindex: u32,
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Gateway of another family (`RTA_VIA`).
    pub via: Option<IpAddr>,
    /// Other per-hop attributes, raw.
    pub other: Vec<RawAttr>,
}

/// A route as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// Destination prefix length.
    pub dst_len: u8,
    /// Source prefix length (IPv6 source routing).
    pub src_len: u8,
    /// TOS / DS field.
    pub tos: u8,
    /// Table: `RTA_TABLE` when present (wins over the header byte, which reads 252 above 255).
    pub table: u32,
    /// Protocol.
    pub protocol: RouteProtocol,
    /// Scope.
    pub scope: Scope,
    /// Type.
    pub kind: RouteType,
    /// `RTM_F_*` / `RTNH_F_*` flags.
    pub flags: u32,
    /// Destination address (absent for the default route).
    pub dst: Option<IpAddr>,
    /// Source prefix address.
    pub src: Option<IpAddr>,
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Gateway of another family (`RTA_VIA`).
    pub via: Option<IpAddr>,
    /// Output interface index.
    pub oif: Option<u32>,
    /// Input interface index.
    pub iif: Option<u32>,
    /// Metric (`RTA_PRIORITY`).
    pub metric: Option<u32>,
    /// Preferred source address.
    pub prefsrc: Option<IpAddr>,
    /// Metrics (`RTA_METRICS`), boxed because most routes have none.
    pub metrics: Option<Box<RouteMetrics>>,
    /// Multipath hops.
    pub multipath: Vec<MultipathHop>,
    /// Nexthop object id.
    pub nh_id: Option<u32>,
    /// IPv6 router preference.
    pub pref: Option<RoutePref>,
    /// Expiry in clock ticks (IPv6 cache info), when non-zero.
    pub expires: Option<i32>,
    /// Firewall mark (lookups).
    pub mark: Option<u32>,
    /// UID (lookups).
    pub uid: Option<u32>,
    /// Attributes linx does not model, raw.
    pub other: Vec<RawAttr>,
}

fn ip_of(a: &Attr<'_>, family: u8, what: &str) -> Result<IpAddr> {
    super::common::addr_of_family(a, family, what)
}

fn decode_via(a: &Attr<'_>) -> Result<IpAddr> {
    let p = a.payload;
    if p.len() < 2 {
        return Err(malformed("RTA_VIA shorter than its family"));
    }
    let fam = u16::from_ne_bytes([p[0], p[1]]);
    let addr = &p[2..];
    match (fam, addr.len()) {
        (2, 4) => Ok(IpAddr::V4(Ipv4Addr::new(
            addr[0], addr[1], addr[2], addr[3],
        ))),
        (10, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(addr);
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => Err(malformed(format!(
            "RTA_VIA family {fam} with {} address bytes",
            addr.len()
        ))),
    }
}

fn decode_multipath(payload: &[u8], family: u8) -> Result<Vec<MultipathHop>> {
    let mut hops = Vec::new();
    let mut off = 0;
    while off + 8 <= payload.len() {
        let p = &payload[off..];
        let len = u16::from_ne_bytes([p[0], p[1]]) as usize;
        if len < 8 || len > p.len() {
            return Err(malformed(format!(
                "rtnexthop length {len} with {} bytes left",
                p.len()
            )));
        }
        let mut hop = MultipathHop {
            flags: p[2],
            weight: u16::from(p[3]) + 1,
            ifindex: u32::from_ne_bytes([p[4], p[5], p[6], p[7]]),
            ..MultipathHop::default()
        };
        for a in wire::attrs(&p[8..len]) {
            let a = a?;
            match a.kind() {
                rta::GATEWAY => hop.gateway = Some(ip_of(&a, family, "RTA_GATEWAY")?),
                rta::VIA => hop.via = Some(decode_via(&a)?),
                _ => hop.other.push(RawAttr::from_attr(&a)),
            }
        }
        hops.push(hop);
        off += wire::align4(len);
    }
    Ok(hops)
}

impl Route {
    /// Decodes the payload of an `RTM_NEWROUTE`/`RTM_DELROUTE` message.
    ///
    /// # Errors
    /// Protocol errors for a short header, malformed attributes or addresses of the wrong size.
    pub fn decode(payload: &[u8]) -> Result<Route> {
        let mut r = Route::default();
        r.decode_into(payload)?;
        Ok(r)
    }

    /// Decodes into `self` (which must be `Route::default()`), so a dump can decode straight
    /// into its output vector without moving the value around.
    fn decode_into(&mut self, payload: &[u8]) -> Result<()> {
        let h = payload
            .get(..RTMSG_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWROUTE", payload.len(), 12))?;
        let r = self;
        r.family = h[0];
        r.dst_len = h[1];
        r.src_len = h[2];
        r.tos = h[3];
        r.table = u32::from(h[4]);
        r.protocol = RouteProtocol(h[5]);
        r.scope = Scope(h[6]);
        r.kind = RouteType(h[7]);
        r.flags = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
        let fam = r.family;
        for a in wire::attrs(&payload[RTMSG_LEN..]) {
            let a = a?;
            match a.kind() {
                rta::TABLE => r.table = a.u32()?,
                rta::DST => r.dst = Some(ip_of(&a, fam, "RTA_DST")?),
                rta::SRC => r.src = Some(ip_of(&a, fam, "RTA_SRC")?),
                rta::GATEWAY => r.gateway = Some(ip_of(&a, fam, "RTA_GATEWAY")?),
                rta::OIF => r.oif = Some(a.u32()?),
                rta::IIF => r.iif = Some(a.u32()?),
                rta::PRIORITY => r.metric = Some(a.u32()?),
                rta::PREFSRC => r.prefsrc = Some(ip_of(&a, fam, "RTA_PREFSRC")?),
                rta::METRICS => r.metrics = Some(Box::new(RouteMetrics::decode(a.payload)?)),
                rta::MULTIPATH => r.multipath = decode_multipath(a.payload, fam)?,
                rta::NH_ID => r.nh_id = Some(a.u32()?),
                rta::PREF => r.pref = Some(RoutePref::from_raw(a.u8()?)),
                rta::VIA => r.via = Some(decode_via(&a)?),
                rta::MARK => r.mark = Some(a.u32()?),
                rta::UID => r.uid = Some(a.u32()?),
                rta::CACHEINFO => {
                    // struct rta_cacheinfo: clntref, lastuse, expires (i32), …
                    if let Some(e) = a.payload.get(8..12) {
                        let e = i32::from_ne_bytes([e[0], e[1], e[2], e[3]]);
                        if e != 0 {
                            r.expires = Some(e);
                        }
                    }
                    r.other.push(RawAttr::from_attr(&a));
                }
                _ => r.other.push(RawAttr::from_attr(&a)),
            }
        }
        if (fam == AF_INET && r.dst_len > 32) || (fam == AF_INET6 && r.dst_len > 128) {
            return Err(malformed(format!("route prefix length {}", r.dst_len)));
        }
        Ok(())
    }

    /// The destination prefix (`0.0.0.0/0` or `::/0` for the default route); `None` for
    /// families other than IPv4/IPv6.
    pub fn destination(&self) -> Option<Prefix> {
        let addr = self.dst.or(match self.family {
            AF_INET => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            AF_INET6 => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            _ => None,
        })?;
        Prefix::new_truncating(addr, self.dst_len).ok()
    }

    /// The destination as iproute2 prints it: `default` for length 0, a bare address for a host
    /// route, `a.b.c.d/len` otherwise.
    pub fn dst_text(&self) -> String {
        if self.dst_len == 0 {
            return "default".into();
        }
        let Some(d) = self.dst else {
            return format!("?/{}", self.dst_len);
        };
        let host = match d {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if self.dst_len == host {
            d.to_string()
        } else {
            format!("{d}/{}", self.dst_len)
        }
    }
}

impl fmt::Display for Route {
    /// `10.50.0.0/24 via 10.0.0.1 dev 2 table 100 metric 50 proto static`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != RouteType::UNICAST {
            write!(f, "{} ", self.kind)?;
        }
        f.write_str(&self.dst_text())?;
        if let Some(g) = self.gateway.or(self.via) {
            write!(f, " via {g}")?;
        }
        if let Some(o) = self.oif {
            write!(f, " dev {o}")?;
        }
        if self.table != table::MAIN {
            write!(f, " table {}", table_name(self.table))?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        // Lookup results (RTM_F_CLONED) carry no meaningful protocol or scope.
        if self.flags & RTM_F_CLONED == 0 {
            if self.protocol != RouteProtocol::BOOT {
                write!(f, " proto {}", self.protocol)?;
            }
            if self.scope != Scope::UNIVERSE {
                write!(f, " scope {}", self.scope)?;
            }
        }
        if let Some(id) = self.nh_id {
            write!(f, " nhid {id}")?;
        }
        for h in &self.multipath {
            f.write_str(" nexthop")?;
            if let Some(g) = h.gateway.or(h.via) {
                write!(f, " via {g}")?;
            }
            if h.ifindex != 0 {
                write!(f, " dev {}", h.ifindex)?;
            }
            write!(f, " weight {}", h.weight)?;
        }
        Ok(())
    }
}

/// One hop of a multipath route to add.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HopSpec {
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Output interface.
    pub oif: Option<LinkRef>,
    /// Weight 1..=256.
    pub weight: u16,
    /// On-link gateway.
    pub onlink: bool,
}

impl HopSpec {
    /// A hop via `gateway` with weight 1.
    pub fn via(gateway: IpAddr) -> HopSpec {
        HopSpec {
            gateway: Some(gateway),
            oif: None,
            weight: 1,
            onlink: false,
        }
    }

    /// A hop out of `oif` (no gateway) with weight 1.
    pub fn dev(oif: impl Into<LinkRef>) -> HopSpec {
        HopSpec {
            gateway: None,
            oif: Some(oif.into()),
            weight: 1,
            onlink: false,
        }
    }

    /// Sets the output interface.
    pub fn oif(mut self, oif: impl Into<LinkRef>) -> Self {
        self.oif = Some(oif.into());
        self
    }

    /// Sets the weight (1..=256).
    pub fn weight(mut self, w: u16) -> Self {
        self.weight = w;
        self
    }
}

/// A route to add, replace, append or delete (`ip route add|replace|append|del …`).
///
/// Defaults follow iproute2: table main (254), protocol boot (3) for adds and "any" (0) for
/// deletes, type unicast, scope link for a device route without gateway, host for local routes,
/// universe otherwise (nowhere for deletes, which then match any scope).
///
/// ```no_run
/// use linx::rtnl::{Rtnl, RouteSpec};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// let r = RouteSpec::new("198.51.100.0/24".parse()?)
///     .gateway("192.0.2.1".parse().unwrap())
///     .oif("br0")
///     .table(100)
///     .metric(50);
/// rtnl.add_route(&r)?;
/// rtnl.add_route(&RouteSpec::default_via("192.0.2.1".parse().unwrap()))?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteSpec {
    /// Destination.
    pub dst: Prefix,
    /// Source prefix (IPv6 source-specific routing).
    pub src: Option<Prefix>,
    /// TOS.
    pub tos: u8,
    /// Table 1..=2^32−1 (default main).
    pub table: u32,
    /// Protocol (default boot for adds, any for deletes).
    pub protocol: Option<RouteProtocol>,
    /// Scope (default as described above).
    pub scope: Option<Scope>,
    /// Type (default unicast for adds, any for deletes).
    pub kind: Option<RouteType>,
    /// Gateway (same family as the destination).
    pub gateway: Option<IpAddr>,
    /// Output interface.
    pub oif: Option<LinkRef>,
    /// Metric.
    pub metric: Option<u32>,
    /// Preferred source address.
    pub prefsrc: Option<IpAddr>,
    /// IPv6 preference.
    pub pref: Option<RoutePref>,
    /// On-link gateway (`RTNH_F_ONLINK`).
    pub onlink: bool,
    /// Metrics (MTU, window, …; `lock` bits lock them).
    pub metrics: RouteMetrics,
    /// Multipath hops (instead of a single gateway).
    pub multipath: Vec<HopSpec>,
    /// Nexthop object id (instead of gateway/multipath).
    pub nh_id: Option<u32>,
}

impl RouteSpec {
    /// A route to `dst` with every option at its default.
    pub fn new(dst: Prefix) -> RouteSpec {
        RouteSpec {
            dst,
            src: None,
            tos: 0,
            table: table::MAIN,
            protocol: None,
            scope: None,
            kind: None,
            gateway: None,
            oif: None,
            metric: None,
            prefsrc: None,
            pref: None,
            onlink: false,
            metrics: RouteMetrics::default(),
            multipath: Vec::new(),
            nh_id: None,
        }
    }

    /// The default route via `gateway`: `0.0.0.0/0` or `::/0` by the gateway's family.
    pub fn default_via(gateway: IpAddr) -> RouteSpec {
        let dst = match gateway {
            IpAddr::V4(_) => Prefix::from_addr(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            IpAddr::V6(_) => Prefix::from_addr(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        };
        let dst = Prefix::new_truncating(dst.addr(), 0).unwrap_or(dst);
        RouteSpec::new(dst).gateway(gateway)
    }

    /// Sets the gateway.
    pub fn gateway(mut self, gw: IpAddr) -> Self {
        self.gateway = Some(gw);
        self
    }

    /// Sets the output interface.
    pub fn oif(mut self, oif: impl Into<LinkRef>) -> Self {
        self.oif = Some(oif.into());
        self
    }

    /// Sets the table.
    pub fn table(mut self, t: u32) -> Self {
        self.table = t;
        self
    }

    /// Sets the metric.
    pub fn metric(mut self, m: u32) -> Self {
        self.metric = Some(m);
        self
    }

    /// Sets the protocol.
    pub fn protocol(mut self, p: RouteProtocol) -> Self {
        self.protocol = Some(p);
        self
    }

    /// Sets the scope.
    pub fn scope(mut self, s: Scope) -> Self {
        self.scope = Some(s);
        self
    }

    /// Sets the type.
    pub fn kind(mut self, t: RouteType) -> Self {
        self.kind = Some(t);
        self
    }

    /// Sets the preferred source.
    pub fn prefsrc(mut self, ip: IpAddr) -> Self {
        self.prefsrc = Some(ip);
        self
    }

    /// Adds a multipath hop.
    pub fn hop(mut self, hop: HopSpec) -> Self {
        self.multipath.push(hop);
        self
    }

    /// Uses a nexthop object.
    pub fn nh_id(mut self, id: u32) -> Self {
        self.nh_id = Some(id);
        self
    }

    /// Sets the path MTU metric.
    pub fn mtu(mut self, mtu: u32, lock: bool) -> Self {
        self.metrics.mtu = Some(mtu);
        if lock {
            self.metrics.lock |= 1 << rtax::MTU;
        }
        self
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value: table 0; gateway, preferred source, source prefix or a
    /// hop gateway of the other family (the error shows both); multipath weight 0 or above 256;
    /// a gateway combined with multipath or a nexthop id; a source prefix on IPv4.
    pub fn validate(&self) -> Result<()> {
        let d = self.dst.addr();
        if self.table == 0 {
            return Err(input(
                "routing table",
                "0",
                "table 0 is invalid (use 1..=2^32-1)",
            ));
        }
        if let Some(g) = &self.gateway {
            same_family("gateway", g, "destination", &d)?;
        }
        if let Some(p) = &self.prefsrc {
            same_family("preferred source", p, "destination", &d)?;
        }
        if let Some(s) = &self.src {
            same_family("source prefix", &s.addr(), "destination", &d)?;
            if d.is_ipv4() {
                return Err(input(
                    "source prefix",
                    s.to_string(),
                    "IPv4 routes have no source prefix (use a rule)",
                ));
            }
        }
        if let Some(o) = &self.oif {
            o.validate("output interface")?;
        }
        if !self.multipath.is_empty() && (self.gateway.is_some() || self.nh_id.is_some()) {
            return Err(input(
                "multipath",
                format!("{} hops", self.multipath.len()),
                "cannot be combined with a gateway or a nexthop id",
            ));
        }
        if self.nh_id == Some(0) {
            return Err(input("nexthop id", "0", "ids start at 1"));
        }
        for h in &self.multipath {
            if !(1..=256).contains(&h.weight) {
                return Err(input(
                    "multipath weight",
                    h.weight.to_string(),
                    "must be in 1..=256",
                ));
            }
            if let Some(g) = &h.gateway {
                same_family("nexthop gateway", g, "destination", &d)?;
            }
            if let Some(o) = &h.oif {
                o.validate("nexthop interface")?;
            }
            if h.gateway.is_none() && h.oif.is_none() {
                return Err(input(
                    "multipath hop",
                    "empty",
                    "a hop needs a gateway or an interface",
                ));
            }
        }
        Ok(())
    }

    /// Builds the request (pure). `msg_type` is `RTM_NEWROUTE` or `RTM_DELROUTE`; `nl_flags` the
    /// creation flags; `oif` and the hops' interfaces already resolved to indexes (`hop_oifs`
    /// parallel to [`multipath`](Self::multipath); `None` keeps an index given in the spec).
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(
        &self,
        msg_type: u16,
        nl_flags: u16,
        oif: Option<u32>,
        hop_oifs: &[Option<u32>],
    ) -> Result<Request> {
        self.validate()?;
        let delete = msg_type == RTM_DELROUTE;
        let d = self.dst.addr();
        let family = family_of(&d);
        let kind = self.kind.unwrap_or(if delete {
            RouteType::UNSPEC
        } else {
            RouteType::UNICAST
        });
        let protocol = self.protocol.unwrap_or(if delete {
            RouteProtocol::UNSPEC
        } else {
            RouteProtocol::BOOT
        });
        let scope = self.scope.unwrap_or_else(|| {
            if family == AF_INET6 {
                Scope::UNIVERSE
            } else if kind == RouteType::LOCAL {
                Scope::HOST
            } else if matches!(
                kind,
                RouteType::BROADCAST | RouteType::MULTICAST | RouteType::ANYCAST
            ) {
                Scope::LINK
            } else if delete {
                Scope::NOWHERE
            } else if matches!(kind, RouteType::UNICAST | RouteType::UNSPEC)
                && self.gateway.is_none()
                && self.multipath.is_empty()
                && self.nh_id.is_none()
            {
                Scope::LINK
            } else {
                Scope::UNIVERSE
            }
        });
        let mut h = [0u8; RTMSG_LEN];
        h[0] = family;
        h[1] = self.dst.len();
        h[2] = self.src.map_or(0, |s| s.len());
        h[3] = self.tos;
        h[4] = if self.table < 256 {
            self.table as u8
        } else {
            0
        };
        h[5] = protocol.0;
        h[6] = scope.0;
        h[7] = kind.0;
        let rtm_flags: u32 = if self.onlink {
            u32::from(RTNH_F_ONLINK)
        } else {
            0
        };
        h[8..12].copy_from_slice(&rtm_flags.to_ne_bytes());
        let mut b = MsgBuilder::new(msg_type, nl_flags);
        b.push_header(&h);
        if self.table >= 256 {
            b.attr_u32(rta::TABLE, self.table);
        }
        if self.dst.len() > 0 {
            b.attr_ip(rta::DST, d);
        }
        if let Some(s) = &self.src {
            b.attr_ip(rta::SRC, s.addr());
        }
        if let Some(g) = self.gateway {
            b.attr_ip(rta::GATEWAY, g);
        }
        let oif = oif.or(match &self.oif {
            Some(LinkRef::Index(i)) => Some(*i),
            _ => None,
        });
        if let Some(o) = oif {
            b.attr_u32(rta::OIF, o);
        }
        if let Some(m) = self.metric {
            b.attr_u32(rta::PRIORITY, m);
        }
        if let Some(p) = self.prefsrc {
            b.attr_ip(rta::PREFSRC, p);
        }
        if !self.metrics.is_empty() {
            let payload = nested_payload(|mb| self.metrics.encode(mb))?;
            b.attr(rta::METRICS, &payload);
        }
        if !self.multipath.is_empty() {
            let mut payload = Vec::new();
            for (i, hop) in self.multipath.iter().enumerate() {
                let idx = hop_oifs.get(i).copied().flatten().or(match &hop.oif {
                    Some(LinkRef::Index(x)) => Some(*x),
                    _ => None,
                });
                let attrs = nested_payload(|mb| {
                    if let Some(g) = hop.gateway {
                        mb.attr_ip(rta::GATEWAY, g);
                    }
                })?;
                let len = 8 + attrs.len();
                let len16 = u16::try_from(len)
                    .map_err(|_| input("multipath hop", format!("{len} bytes"), "too long"))?;
                payload.extend_from_slice(&len16.to_ne_bytes());
                payload.push(if hop.onlink { RTNH_F_ONLINK } else { 0 });
                // Weight 1..=256 was checked: hops = weight - 1 fits u8.
                payload.push((hop.weight - 1) as u8);
                payload.extend_from_slice(&idx.unwrap_or(0).to_ne_bytes());
                payload.extend_from_slice(&attrs);
            }
            b.attr(rta::MULTIPATH, &payload);
        }
        if let Some(id) = self.nh_id {
            b.attr_u32(rta::NH_ID, id);
        }
        if let Some(p) = self.pref {
            b.attr_u8(rta::PREF, p.to_raw());
        }
        let name = if delete {
            "RTM_DELROUTE"
        } else {
            "RTM_NEWROUTE"
        };
        Ok(Request::new(b, name)?.with_attr_namer(attr_path_name))
    }

    fn describe(&self) -> String {
        let mut s = self.dst.to_string();
        if self.table != table::MAIN {
            s.push_str(&format!(" table {}", table_name(self.table)));
        }
        s
    }
}

/// Names an attribute path inside an `RTM_*ROUTE` request.
pub fn attr_path_name(path: &[u16]) -> String {
    super::common::name_path(path, |t| {
        Some(match t {
            rta::DST => "RTA_DST",
            rta::SRC => "RTA_SRC",
            rta::IIF => "RTA_IIF",
            rta::OIF => "RTA_OIF",
            rta::GATEWAY => "RTA_GATEWAY",
            rta::PRIORITY => "RTA_PRIORITY",
            rta::PREFSRC => "RTA_PREFSRC",
            rta::METRICS => "RTA_METRICS",
            rta::MULTIPATH => "RTA_MULTIPATH",
            rta::TABLE => "RTA_TABLE",
            rta::MARK => "RTA_MARK",
            rta::VIA => "RTA_VIA",
            rta::PREF => "RTA_PREF",
            rta::UID => "RTA_UID",
            rta::IP_PROTO => "RTA_IP_PROTO",
            rta::SPORT => "RTA_SPORT",
            rta::DPORT => "RTA_DPORT",
            rta::NH_ID => "RTA_NH_ID",
            _ => return None,
        })
    })
}

/// Which routes to list: all tables and both families by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteFilter {
    /// Only `AF_INET` (2) or `AF_INET6` (10).
    pub family: Option<u8>,
    /// Only this table.
    pub table: Option<u32>,
    /// Only this protocol.
    pub protocol: Option<RouteProtocol>,
    /// Only this type.
    pub kind: Option<RouteType>,
    /// Only routes out of this interface.
    pub oif: Option<LinkRef>,
}

impl RouteFilter {
    /// Routes of one table.
    pub fn table(t: u32) -> RouteFilter {
        RouteFilter {
            table: Some(t),
            ..RouteFilter::default()
        }
    }

    /// Restricts to IPv4.
    pub fn ipv4(mut self) -> Self {
        self.family = Some(AF_INET);
        self
    }

    /// Restricts to IPv6.
    pub fn ipv6(mut self) -> Self {
        self.family = Some(AF_INET6);
        self
    }

    /// Restricts to a protocol.
    pub fn protocol(mut self, p: RouteProtocol) -> Self {
        self.protocol = Some(p);
        self
    }

    fn matches(&self, r: &Route, oif: Option<u32>) -> bool {
        self.family.is_none_or(|f| r.family == f)
            && self.table.is_none_or(|t| r.table == t)
            && self.protocol.is_none_or(|p| r.protocol == p)
            && self.kind.is_none_or(|k| r.kind == k)
            && oif.is_none_or(|o| r.oif == Some(o))
    }

    /// The dump request (pure): with `strict` the kernel filters by table, protocol, type and
    /// output interface.
    ///
    /// # Errors
    /// Input error for a family other than 0/2/10 or table 0.
    pub fn request(&self, strict: bool, oif: Option<u32>) -> Result<Request> {
        let family = self.family.unwrap_or(AF_UNSPEC);
        if !matches!(family, AF_UNSPEC | AF_INET | AF_INET6) {
            return Err(input(
                "route family",
                family.to_string(),
                "expected 2 (inet) or 10 (inet6)",
            ));
        }
        if self.table == Some(0) {
            return Err(input("routing table", "0", "table 0 is invalid"));
        }
        let mut h = [0u8; RTMSG_LEN];
        h[0] = family;
        let mut b = MsgBuilder::new(RTM_GETROUTE, 0);
        if strict {
            if let Some(t) = self.table {
                h[4] = if t < 256 { t as u8 } else { 0 };
            }
            h[5] = self.protocol.map_or(0, |p| p.0);
            h[7] = self.kind.map_or(0, |k| k.0);
            b.push_header(&h);
            if let Some(t) = self.table.filter(|t| *t >= 256) {
                b.attr_u32(rta::TABLE, t);
            }
            if let Some(o) = oif {
                b.attr_u32(rta::OIF, o);
            }
        } else {
            b.push_header(&h);
        }
        Ok(Request::new(b, "RTM_GETROUTE")?.with_attr_namer(attr_path_name))
    }
}

/// A FIB lookup (`ip route get`): the kernel's choice of route for a destination, optionally
/// for a given source, input/output interface, mark, uid, IP protocol and ports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteGet {
    /// Destination.
    pub dst: IpAddr,
    /// Source address.
    pub src: Option<IpAddr>,
    /// Input interface (simulates a forwarded packet).
    pub iif: Option<LinkRef>,
    /// Output interface.
    pub oif: Option<LinkRef>,
    /// Firewall mark.
    pub mark: Option<u32>,
    /// UID.
    pub uid: Option<u32>,
    /// IP protocol (6 tcp, 17 udp …).
    pub ip_proto: Option<u8>,
    /// Source port.
    pub sport: Option<u16>,
    /// Destination port.
    pub dport: Option<u16>,
    /// Return the matching FIB entry rather than the resolved route (`RTM_F_FIB_MATCH`).
    pub fib_match: bool,
}

impl RouteGet {
    /// A lookup of `dst`.
    pub fn to(dst: IpAddr) -> RouteGet {
        RouteGet {
            dst,
            src: None,
            iif: None,
            oif: None,
            mark: None,
            uid: None,
            ip_proto: None,
            sport: None,
            dport: None,
            fib_match: false,
        }
    }

    /// Sets the source.
    pub fn from(mut self, src: IpAddr) -> Self {
        self.src = Some(src);
        self
    }

    /// Sets the mark.
    pub fn mark(mut self, mark: u32) -> Self {
        self.mark = Some(mark);
        self
    }

    /// Builds the request (pure) with interfaces already resolved.
    ///
    /// # Errors
    /// Input error when the source's family differs from the destination's.
    pub fn request(&self, iif: Option<u32>, oif: Option<u32>) -> Result<Request> {
        if let Some(s) = &self.src {
            same_family("source address", s, "destination", &self.dst)?;
        }
        let host = if self.dst.is_ipv4() { 32 } else { 128 };
        let mut h = [0u8; RTMSG_LEN];
        h[0] = family_of(&self.dst);
        h[1] = host;
        h[2] = if self.src.is_some() { host } else { 0 };
        let fl: u32 = if self.fib_match { 0x2000 } else { 0 };
        h[8..12].copy_from_slice(&fl.to_ne_bytes());
        let mut b = MsgBuilder::new(RTM_GETROUTE, 0);
        b.push_header(&h);
        b.attr_ip(rta::DST, self.dst);
        if let Some(s) = self.src {
            b.attr_ip(rta::SRC, s);
        }
        if let Some(i) = iif {
            b.attr_u32(rta::IIF, i);
        }
        if let Some(o) = oif {
            b.attr_u32(rta::OIF, o);
        }
        if let Some(m) = self.mark {
            b.attr_u32(rta::MARK, m);
        }
        if let Some(u) = self.uid {
            b.attr_u32(rta::UID, u);
        }
        if let Some(p) = self.ip_proto {
            b.attr_u8(rta::IP_PROTO, p);
        }
        if let Some(p) = self.sport {
            b.attr_be16(rta::SPORT, p);
        }
        if let Some(p) = self.dport {
            b.attr_be16(rta::DPORT, p);
        }
        Ok(Request::new(b, "RTM_GETROUTE")?.with_attr_namer(attr_path_name))
    }
}

impl Rtnl {
    /// Every IPv4 and IPv6 route of every table (one `RTM_GETROUTE` dump, decoded as it streams
    /// in; multicast-routing and MPLS entries are skipped).
    ///
    /// # Errors
    /// Dump errors; protocol errors for malformed replies.
    pub fn routes(&mut self) -> Result<Vec<Route>> {
        self.routes_filtered(&RouteFilter::default())
    }

    /// Routes matching `filter`. With strict checking the kernel filters; results are filtered
    /// here too, so older kernels give the same answer. A table with no routes gives an empty
    /// list.
    ///
    /// # Errors
    /// Input errors of [`RouteFilter::request`]; `ENODEV` for an unknown interface; dump errors.
    pub fn routes_filtered(&mut self, filter: &RouteFilter) -> Result<Vec<Route>> {
        let mut out = Vec::new();
        self.routes_into(filter, &mut out)?;
        Ok(out)
    }

    /// Like [`routes_filtered`](Self::routes_filtered), decoding into `out` (cleared first), so a
    /// caller that re-reads the table repeatedly (a reconciler, a monitor's resync) reuses one
    /// allocation. Routes are decoded in place as the dump streams in.
    ///
    /// # Errors
    /// As [`routes_filtered`](Self::routes_filtered).
    pub fn routes_into(&mut self, filter: &RouteFilter, out: &mut Vec<Route>) -> Result<()> {
        let oif = filter
            .oif
            .as_ref()
            .map(|o| self.resolve(o, "output interface"))
            .transpose()?;
        let strict = (filter.table.is_some()
            || filter.protocol.is_some()
            || filter.kind.is_some()
            || oif.is_some())
            && self.strict_checking();
        let req = filter.request(strict, oif)?;
        for _ in 0..=self.dump_retries {
            out.clear();
            let r = self.sock.dump_with(&req, |m| {
                let fam = m.payload.first().copied().unwrap_or(0);
                if m.header.msg_type != RTM_NEWROUTE || (fam != AF_INET && fam != AF_INET6) {
                    return Ok(());
                }
                out.push(Route::default());
                let ok = match out.last_mut() {
                    Some(r) => {
                        r.decode_into(m.payload)?;
                        filter.matches(r, oif)
                    }
                    None => false,
                };
                if !ok {
                    out.pop();
                }
                Ok(())
            });
            match r {
                Ok(false) => return Ok(()),
                Ok(true) => continue,
                // A filtered dump of a table that does not exist (for that family).
                Err(e) if filter.table.is_some() && e.errno() == Some(Errno::NOENT) => {
                    out.clear();
                    return Ok(());
                }
                Err(e) => {
                    out.clear();
                    return Err(e);
                }
            }
        }
        out.clear();
        Err(Error::DumpInterrupted {
            subsystem: crate::error::Subsystem::Netlink,
            operation: crate::error::Operation::netlink("RTM_GETROUTE", RTM_GETROUTE),
            attempts: self.dump_retries + 1,
        })
    }

    fn route_op(&mut self, spec: &RouteSpec, msg_type: u16, nl_flags: u16) -> Result<()> {
        spec.validate()?;
        let oif = spec
            .oif
            .as_ref()
            .map(|o| self.resolve(o, "output interface"))
            .transpose()?;
        let mut hop_oifs = Vec::with_capacity(spec.multipath.len());
        for h in &spec.multipath {
            hop_oifs.push(
                h.oif
                    .as_ref()
                    .map(|o| self.resolve(o, "nexthop interface"))
                    .transpose()?,
            );
        }
        let req = spec.request(msg_type, nl_flags, oif, &hop_oifs)?;
        let object = spec.describe();
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Adds a route (`NLM_F_CREATE | NLM_F_EXCL`): `EEXIST` for a duplicate.
    ///
    /// # Errors
    /// Input errors of [`RouteSpec::validate`]; `ENODEV` naming an unknown interface; kernel
    /// refusals with extended-ack text (e.g. `ENETUNREACH` "Nexthop has invalid gateway").
    pub fn add_route(&mut self, spec: &RouteSpec) -> Result<()> {
        self.route_op(spec, RTM_NEWROUTE, flags::CREATE | flags::EXCL)
    }

    /// Adds or replaces a route in place (`NLM_F_CREATE | NLM_F_REPLACE`).
    ///
    /// # Errors
    /// As [`add_route`](Self::add_route), without `EEXIST`.
    pub fn replace_route(&mut self, spec: &RouteSpec) -> Result<()> {
        self.route_op(spec, RTM_NEWROUTE, flags::CREATE | flags::REPLACE)
    }

    /// Appends a route (`NLM_F_CREATE | NLM_F_APPEND`): for IPv6 this adds an ECMP sibling.
    ///
    /// # Errors
    /// As [`add_route`](Self::add_route).
    pub fn append_route(&mut self, spec: &RouteSpec) -> Result<()> {
        self.route_op(spec, RTM_NEWROUTE, flags::CREATE | flags::APPEND)
    }

    /// Deletes a route. Unset protocol, type and scope match any; set table, protocol, metric,
    /// gateway and interface narrow the match (a bare prefix deletes the first route to it).
    ///
    /// # Errors
    /// Input errors; `ESRCH` when no route matches.
    pub fn delete_route(&mut self, spec: &RouteSpec) -> Result<()> {
        self.route_op(spec, RTM_DELROUTE, 0)
    }

    /// Adds many routes pipelined (see [`Rtnl::request_batch`]): every spec is validated before
    /// anything is sent, interface names are resolved once each, then the requests go out in
    /// 64 KiB datagrams with one ack per route.
    ///
    /// # Errors
    /// Input errors naming the spec's position (`batch_index` in the message); the first kernel
    /// refusal with its `batch_index`.
    pub fn add_routes(&mut self, specs: &[RouteSpec]) -> Result<()> {
        for (i, s) in specs.iter().enumerate() {
            s.validate().map_err(|e| match e {
                Error::Input(mut ie) => {
                    ie.argument = format!("route {i}: {}", ie.argument).into();
                    Error::Input(ie)
                }
                other => other,
            })?;
        }
        let mut names: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut reqs = Vec::with_capacity(specs.len());
        for s in specs {
            let oif = match &s.oif {
                Some(LinkRef::Name(n)) => Some(match names.get(n) {
                    Some(i) => *i,
                    None => {
                        let i = self.resolve(&LinkRef::Name(n.clone()), "output interface")?;
                        names.insert(n.clone(), i);
                        i
                    }
                }),
                Some(LinkRef::Index(i)) => Some(*i),
                None => None,
            };
            let mut hop_oifs = Vec::with_capacity(s.multipath.len());
            for h in &s.multipath {
                hop_oifs.push(
                    h.oif
                        .as_ref()
                        .map(|o| self.resolve(o, "nexthop interface"))
                        .transpose()?,
                );
            }
            reqs.push(s.request(RTM_NEWROUTE, flags::CREATE | flags::EXCL, oif, &hop_oifs)?);
        }
        self.request_batch(&reqs).map_err(|e| {
            let idx = e.context().and_then(|c| c.batch_index);
            match idx.and_then(|i| specs.get(i)) {
                Some(s) => {
                    let o = s.describe();
                    e.with_context(|c| c.object = Some(o))
                }
                None => e,
            }
        })
    }

    /// Deletes a route exactly as a dump reported it (table, protocol, type, scope, metric,
    /// gateway or hops, interface).
    ///
    /// # Errors
    /// `ESRCH` when it is gone.
    pub fn delete_observed_route(&mut self, r: &Route) -> Result<()> {
        let req = observed_delete_request(r)?;
        let object = format!("{} table {}", r.dst_text(), table_name(r.table));
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Asks the kernel which route it would use (`ip route get`).
    ///
    /// # Errors
    /// `ENETUNREACH` for an unroutable destination; input errors; `ENODEV` for unknown
    /// interfaces.
    pub fn route_get(&mut self, q: &RouteGet) -> Result<Route> {
        let iif = q
            .iif
            .as_ref()
            .map(|i| self.resolve(i, "input interface"))
            .transpose()?;
        let oif = q
            .oif
            .as_ref()
            .map(|o| self.resolve(o, "output interface"))
            .transpose()?;
        let req = q.request(iif, oif)?;
        let dst = q.dst;
        let msgs = self
            .sock
            .request(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(dst.to_string())))?;
        let m = msgs
            .iter()
            .find(|m| m.header.msg_type == RTM_NEWROUTE)
            .ok_or_else(|| {
                Error::protocol(
                    crate::error::Subsystem::Netlink,
                    crate::error::ProtocolKind::UnexpectedMessage,
                    "RTM_GETROUTE answered without a route",
                )
            })?;
        Route::decode(&m.payload)
    }
}

/// The `RTM_DELROUTE` request matching an observed route exactly (pure).
///
/// # Errors
/// Attribute-length input errors only.
pub fn observed_delete_request(r: &Route) -> Result<Request> {
    let mut h = [0u8; RTMSG_LEN];
    h[0] = r.family;
    h[1] = r.dst_len;
    h[2] = r.src_len;
    h[3] = r.tos;
    h[4] = if r.table < 256 { r.table as u8 } else { 0 };
    h[5] = r.protocol.0;
    h[6] = r.scope.0;
    h[7] = r.kind.0;
    let mut b = MsgBuilder::new(RTM_DELROUTE, 0);
    b.push_header(&h);
    if r.table >= 256 {
        b.attr_u32(rta::TABLE, r.table);
    }
    if let Some(d) = r.dst {
        b.attr_ip(rta::DST, d);
    }
    if let Some(s) = r.src {
        b.attr_ip(rta::SRC, s);
    }
    if let Some(g) = r.gateway {
        b.attr_ip(rta::GATEWAY, g);
    }
    if let Some(o) = r.oif {
        b.attr_u32(rta::OIF, o);
    }
    if let Some(m) = r.metric {
        b.attr_u32(rta::PRIORITY, m);
    }
    if let Some(id) = r.nh_id {
        b.attr_u32(rta::NH_ID, id);
    }
    Ok(Request::new(b, "RTM_DELROUTE")?.with_attr_namer(attr_path_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_25_golden_default_route() {
        // Scenario 3: the default IPv4 route via 10.0.0.1 (table main, protocol boot, unicast).
        let spec = RouteSpec::default_via("10.0.0.1".parse().unwrap());
        let req = spec
            .request(RTM_NEWROUTE, flags::CREATE | flags::EXCL, None, &[])
            .unwrap();
        let b = req.bytes();
        assert_eq!(
            &b[16..28],
            &[
                0x02, 0x00, 0x00, 0x00, 0xfe, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00
            ]
        );
        assert_eq!(&b[28..], &[0x08, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x00, 0x01]);
        assert_eq!(b.len(), 36);
        let d = Route::decode(&b[16..]).unwrap();
        assert_eq!(d.dst_text(), "default");
        assert_eq!(d.gateway, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(d.table, table::MAIN);
    }

    #[test]
    fn rt_26_tables_above_255_use_rta_table() {
        let spec = RouteSpec::new("10.1.0.0/16".parse().unwrap())
            .kind(RouteType::UNREACHABLE)
            .table(1000);
        let req = spec.request(RTM_NEWROUTE, 0, None, &[]).unwrap();
        let b = req.bytes();
        assert_eq!(b[16 + 4], 0, "header table 0 (unspec)");
        let r = Route::decode(&b[16..]).unwrap();
        assert_eq!(r.table, 1000);
        assert_eq!(r.kind, RouteType::UNREACHABLE);
        assert_eq!(r.to_string(), "unreachable 10.1.0.0/16 table 1000");
        let e = RouteSpec::new("10.1.0.0/16".parse().unwrap())
            .table(0)
            .validate()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
    }

    #[test]
    fn rt_27_device_route_defaults_to_scope_link() {
        let spec = RouteSpec::new("10.2.0.0/24".parse().unwrap()).oif(5u32);
        let req = spec.request(RTM_NEWROUTE, 0, None, &[]).unwrap();
        let r = Route::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(r.scope, Scope::LINK);
        assert_eq!(r.oif, Some(5));
        let del = spec.request(RTM_DELROUTE, 0, None, &[]).unwrap();
        let r = Route::decode(&del.bytes()[16..]).unwrap();
        assert_eq!(
            (r.scope, r.protocol, r.kind),
            (Scope::NOWHERE, RouteProtocol(0), RouteType(0))
        );
    }

    #[test]
    fn rt_28_multipath_weights_round_trip() {
        let spec = RouteSpec::new("203.0.113.0/24".parse().unwrap())
            .hop(HopSpec::via("192.0.2.1".parse().unwrap()).oif(3u32))
            .hop(
                HopSpec::via("192.0.2.2".parse().unwrap())
                    .oif(3u32)
                    .weight(3),
            );
        let req = spec.request(RTM_NEWROUTE, 0, None, &[]).unwrap();
        let r = Route::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(r.multipath.len(), 2);
        assert_eq!((r.multipath[0].weight, r.multipath[1].weight), (1, 3));
        assert_eq!(r.multipath[1].gateway, Some("192.0.2.2".parse().unwrap()));
        assert_eq!(r.multipath[1].ifindex, 3);
        for bad in [0u16, 257] {
            let e = RouteSpec::new("203.0.113.0/24".parse().unwrap())
                .hop(HopSpec::via("192.0.2.1".parse().unwrap()).weight(bad))
                .validate()
                .unwrap_err();
            assert!(e.to_string().contains(&bad.to_string()), "{e}");
        }
    }

    #[test]
    fn rt_30_metrics_round_trip() {
        let mut spec = RouteSpec::new("10.3.0.0/24".parse().unwrap())
            .oif(2u32)
            .mtu(1400, true);
        spec.metrics.cc_algo = Some("cubic".into());
        spec.metrics.initcwnd = Some(10);
        let req = spec.request(RTM_NEWROUTE, 0, None, &[]).unwrap();
        let r = Route::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(r.metrics.as_deref(), Some(&spec.metrics));
    }

    #[test]
    fn rt_25_mixed_families_are_input_errors() {
        let e = RouteSpec::new("10.0.0.0/8".parse().unwrap())
            .gateway("2001:db8::1".parse().unwrap())
            .validate()
            .unwrap_err();
        assert!(e.is_input());
        let s = e.to_string();
        assert!(s.contains("2001:db8::1") && s.contains("10.0.0.0"), "{s}");
        assert!(
            RouteGet::to("10.0.0.1".parse().unwrap())
                .from("::1".parse().unwrap())
                .request(None, None)
                .is_err()
        );
        assert!(parse_table("0").unwrap_err().is_input());
        assert_eq!(parse_table("main").unwrap(), 254);
        assert_eq!(
            RouteProtocol::parse("static").unwrap(),
            RouteProtocol::STATIC
        );
        assert_eq!(RouteProtocol(4).name(), "static");
    }
}
