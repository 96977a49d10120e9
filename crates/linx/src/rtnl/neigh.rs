//! Neighbours (ARP / NDP entries) and bridge FDB entries: `RTM_NEWNEIGH`, `RTM_DELNEIGH`,
//! `RTM_GETNEIGH` (`ndmsg` + `NDA_*`).
//!
//! See [rtnetlink(7)](https://man7.org/linux/man-pages/man7/rtnetlink.7.html),
//! [ip-neighbour(8)](https://man7.org/linux/man-pages/man8/ip-neighbour.8.html) and
//! [bridge(8)](https://man7.org/linux/man-pages/man8/bridge.8.html) (`fdb`).

use std::fmt;
use std::net::IpAddr;

use crate::error::{Errno, Error, ProtocolKind, Result, Subsystem};
use crate::netlink::Request;
use crate::netlink::wire::{self, MsgBuilder, RawAttr, flags};
use crate::types::Mac;

use super::common::{AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC, family_of, input};
use super::link::LinkRef;
use super::{RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH, Rtnl};

/// Size of `struct ndmsg`.
pub const NDMSG_LEN: usize = 12;

/// `NDA_*` attribute numbers.
#[allow(missing_docs)]
pub mod nda {
    pub const DST: u16 = 1;
    pub const LLADDR: u16 = 2;
    pub const CACHEINFO: u16 = 3;
    pub const PROBES: u16 = 4;
    pub const VLAN: u16 = 5;
    pub const PORT: u16 = 6;
    pub const VNI: u16 = 7;
    pub const IFINDEX: u16 = 8;
    pub const MASTER: u16 = 9;
    pub const LINK_NETNSID: u16 = 10;
    pub const SRC_VNI: u16 = 11;
    pub const PROTOCOL: u16 = 12;
    pub const NH_ID: u16 = 13;
    pub const FLAGS_EXT: u16 = 15;
}

bitflags::bitflags! {
    /// Neighbour states (`NUD_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
    pub struct NudState: u16 {
        /// Resolution in progress.
        const INCOMPLETE = 0x01;
        /// Confirmed reachable.
        const REACHABLE = 0x02;
        /// Valid but unconfirmed.
        const STALE = 0x04;
        /// Waiting before probing.
        const DELAY = 0x08;
        /// Probing.
        const PROBE = 0x10;
        /// Resolution failed.
        const FAILED = 0x20;
        /// No ARP needed.
        const NOARP = 0x40;
        /// Static entry (the default for adds).
        const PERMANENT = 0x80;
        const _ = !0;
    }
}

const NUD_NAMES: [(NudState, &str); 8] = [
    (NudState::INCOMPLETE, "INCOMPLETE"),
    (NudState::REACHABLE, "REACHABLE"),
    (NudState::STALE, "STALE"),
    (NudState::DELAY, "DELAY"),
    (NudState::PROBE, "PROBE"),
    (NudState::FAILED, "FAILED"),
    (NudState::NOARP, "NOARP"),
    (NudState::PERMANENT, "PERMANENT"),
];

impl NudState {
    /// The names `ip neigh` prints (`PERMANENT`, `REACHABLE` …; `NONE` for no bit).
    pub fn names(self) -> Vec<String> {
        if self.is_empty() {
            return vec!["NONE".into()];
        }
        let mut out: Vec<String> = NUD_NAMES
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| (*n).to_owned())
            .collect();
        let rest = self.bits() & !0xff;
        if rest != 0 {
            out.push(format!("{rest:#x}"));
        }
        out
    }

    /// Parses an `ip neigh … nud` word.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn parse(s: &str) -> Result<NudState> {
        NUD_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(f, _)| *f)
            .or_else(|| s.eq_ignore_ascii_case("none").then_some(NudState::empty()))
            .ok_or_else(|| {
                input(
                    "neighbour state",
                    s,
                    "expected permanent, noarp, reachable, stale, delay, probe, failed, incomplete or none",
                )
            })
    }
}

bitflags::bitflags! {
    /// Neighbour flags (`NTF_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct NeighFlags: u8 {
        /// Used.
        const USE = 0x01;
        /// FDB: the device's own table.
        const SELF = 0x02;
        /// FDB: the master's (bridge's) table.
        const MASTER = 0x04;
        /// A proxy (ARP/NDP) entry.
        const PROXY = 0x08;
        /// Learned externally.
        const EXT_LEARNED = 0x10;
        /// Offloaded.
        const OFFLOADED = 0x20;
        /// FDB: sticky.
        const STICKY = 0x40;
        /// The neighbour is a router (IPv6).
        const ROUTER = 0x80;
        const _ = !0;
    }
}

/// A link-layer address: a MAC for the usual 6 bytes, raw bytes for other lengths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LlAddr {
    /// Six bytes.
    Mac(Mac),
    /// Any other length (InfiniBand, tunnels …).
    Raw(Vec<u8>),
}

impl LlAddr {
    /// From bytes.
    pub fn from_bytes(b: &[u8]) -> LlAddr {
        match Mac::from_bytes(b) {
            Some(m) if b.len() == 6 => LlAddr::Mac(m),
            _ => LlAddr::Raw(b.to_vec()),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            LlAddr::Mac(m) => m.as_ref(),
            LlAddr::Raw(v) => v,
        }
    }
}

impl fmt::Display for LlAddr {
    /// Lowercase hex bytes joined by `:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: Vec<String> = self.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        f.write_str(&s.join(":"))
    }
}

/// A neighbour (or FDB) entry as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Neighbour {
    /// `AF_INET`, `AF_INET6` or `AF_BRIDGE` (FDB).
    pub family: u8,
    /// Interface index.
    pub index: u32,
    /// State.
    pub state: NudState,
    /// Flags.
    pub flags: NeighFlags,
    /// `ndm_type`.
    pub kind: u8,
    /// Destination (the neighbour's IP; for vxlan FDB entries the remote).
    pub dst: Option<IpAddr>,
    /// Link-layer address.
    pub lladdr: Option<LlAddr>,
    /// Probes sent.
    pub probes: Option<u32>,
    /// FDB VLAN.
    pub vlan: Option<u16>,
    /// FDB vxlan VNI.
    pub vni: Option<u32>,
    /// FDB vxlan port.
    pub port: Option<u16>,
    /// FDB master (bridge) index.
    pub master: Option<u32>,
    /// Namespace id of the link (vxlan FDB).
    pub link_netnsid: Option<i32>,
    /// Protocol.
    pub protocol: Option<u8>,
    /// Nexthop id (FDB).
    pub nh_id: Option<u32>,
    /// Extended flags (`NDA_FLAGS_EXT`).
    pub flags_ext: Option<u32>,
    /// Attributes linx does not model, raw.
    pub other: Vec<RawAttr>,
}

impl Neighbour {
    /// Decodes the payload of an `RTM_NEWNEIGH`/`RTM_DELNEIGH` message.
    ///
    /// # Errors
    /// Protocol errors for a short header or malformed attributes.
    pub fn decode(payload: &[u8]) -> Result<Neighbour> {
        let h = payload
            .get(..NDMSG_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWNEIGH", payload.len(), 12))?;
        let mut n = Neighbour {
            family: h[0],
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            state: NudState::from_bits_retain(u16::from_ne_bytes([h[8], h[9]])),
            flags: NeighFlags::from_bits_retain(h[10]),
            kind: h[11],
            ..Neighbour::default()
        };
        for a in wire::attrs(&payload[NDMSG_LEN..]) {
            let a = a?;
            match a.kind() {
                nda::DST => {
                    n.dst = Some(if n.family == AF_BRIDGE {
                        a.ip()?
                    } else {
                        super::common::addr_of_family(&a, n.family, "NDA_DST")?
                    })
                }
                nda::LLADDR => n.lladdr = Some(LlAddr::from_bytes(a.payload)),
                nda::PROBES => n.probes = Some(a.u32()?),
                nda::VLAN => n.vlan = Some(a.u16()?),
                nda::PORT => n.port = Some(a.be16()?),
                nda::VNI => n.vni = Some(a.u32()?),
                nda::MASTER => n.master = Some(a.u32()?),
                nda::LINK_NETNSID => n.link_netnsid = Some(a.i32()?),
                nda::PROTOCOL => n.protocol = Some(a.u8()?),
                nda::NH_ID => n.nh_id = Some(a.u32()?),
                nda::FLAGS_EXT => n.flags_ext = Some(a.u32()?),
                _ => n.other.push(RawAttr::from_attr(&a)),
            }
        }
        Ok(n)
    }

    /// True for proxy entries.
    pub fn is_proxy(&self) -> bool {
        self.flags.contains(NeighFlags::PROXY)
    }

    /// Whether `ip neigh show` lists this entry by default: it hides entries whose only state is
    /// `NOARP` (or none), unless they are proxies or externally learned.
    pub fn shown_by_ip(&self) -> bool {
        self.is_proxy()
            || self.flags.contains(NeighFlags::EXT_LEARNED)
            || (self.state.bits() & 0xff & !NudState::NOARP.bits()) != 0
    }
}

impl fmt::Display for Neighbour {
    /// `192.0.2.77 dev 2 lladdr 02:00:00:00:00:77 PERMANENT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.dst, &self.lladdr) {
            (Some(d), _) => write!(f, "{d}")?,
            (None, Some(l)) => write!(f, "{l}")?,
            (None, None) => f.write_str("?")?,
        }
        write!(f, " dev {}", self.index)?;
        if self.dst.is_some()
            && let Some(l) = &self.lladdr
        {
            write!(f, " lladdr {l}")?;
        }
        if let Some(v) = self.vlan {
            write!(f, " vlan {v}")?;
        }
        if self.is_proxy() {
            f.write_str(" proxy")?;
        } else {
            write!(f, " {}", self.state.names().join(","))?;
        }
        Ok(())
    }
}

/// A neighbour or FDB entry to add, replace or delete.
///
/// ```no_run
/// use linx::rtnl::{NeighSpec, Rtnl};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// rtnl.add_neighbour(&NeighSpec::new("br0", "192.0.2.77".parse().unwrap())
///     .lladdr("02:00:00:00:00:77".parse()?))?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NeighSpec {
    /// The interface.
    pub link: LinkRef,
    /// Family: `AF_INET`/`AF_INET6` from `dst`, or `AF_BRIDGE` (7) for FDB entries.
    pub family: u8,
    /// Destination IP (neighbours; vxlan FDB remote).
    pub dst: Option<IpAddr>,
    /// Link-layer address.
    pub lladdr: Option<LlAddr>,
    /// State (default permanent).
    pub state: NudState,
    /// Flags (`PROXY`, `ROUTER`, `EXT_LEARNED`; FDB `SELF`/`MASTER`).
    pub flags: NeighFlags,
    /// FDB VLAN.
    pub vlan: Option<u16>,
    /// FDB vxlan VNI.
    pub vni: Option<u32>,
    /// FDB vxlan port.
    pub port: Option<u16>,
    /// FDB master.
    pub master: Option<LinkRef>,
}

impl NeighSpec {
    /// A permanent neighbour entry for `dst` on `link`.
    pub fn new(link: impl Into<LinkRef>, dst: IpAddr) -> NeighSpec {
        NeighSpec {
            link: link.into(),
            family: family_of(&dst),
            dst: Some(dst),
            lladdr: None,
            state: NudState::PERMANENT,
            flags: NeighFlags::empty(),
            vlan: None,
            vni: None,
            port: None,
            master: None,
        }
    }

    /// A proxy (ARP/NDP) entry for `dst` on `link`.
    pub fn proxy(link: impl Into<LinkRef>, dst: IpAddr) -> NeighSpec {
        let mut n = NeighSpec::new(link, dst);
        n.flags = NeighFlags::PROXY;
        n.state = NudState::empty();
        n
    }

    /// A bridge FDB entry for `mac` on port `link` (`bridge fdb add MAC dev LINK`); by default
    /// in the master's table, permanent.
    pub fn fdb(link: impl Into<LinkRef>, mac: Mac) -> NeighSpec {
        NeighSpec {
            link: link.into(),
            family: AF_BRIDGE,
            dst: None,
            lladdr: Some(LlAddr::Mac(mac)),
            state: NudState::PERMANENT,
            flags: NeighFlags::MASTER,
            vlan: None,
            vni: None,
            port: None,
            master: None,
        }
    }

    /// Sets the link-layer address.
    pub fn lladdr(mut self, mac: Mac) -> Self {
        self.lladdr = Some(LlAddr::Mac(mac));
        self
    }

    /// Sets the state.
    pub fn state(mut self, s: NudState) -> Self {
        self.state = s;
        self
    }

    /// Adds flags.
    pub fn flags(mut self, f: NeighFlags) -> Self {
        self.flags |= f;
        self
    }

    /// Sets the FDB VLAN.
    pub fn vlan(mut self, v: u16) -> Self {
        self.vlan = Some(v);
        self
    }

    /// Sets the FDB remote (vxlan).
    pub fn dst(mut self, ip: IpAddr) -> Self {
        self.dst = Some(ip);
        self
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value: a state with several `NUD_*` bits (the kernel keeps one), a
    /// proxy with a link-layer address or state, an FDB entry without a MAC, a VLAN outside
    /// 1..=4094, a family that does not match the destination.
    pub fn validate(&self, deleting: bool) -> Result<()> {
        self.link.validate("interface")?;
        if let Some(m) = &self.master {
            m.validate("master interface")?;
        }
        match self.family {
            AF_INET | AF_INET6 => {
                let Some(d) = &self.dst else {
                    return Err(input("neighbour", "none", "needs a destination address"));
                };
                if family_of(d) != self.family {
                    return Err(input(
                        "neighbour address",
                        d.to_string(),
                        "does not match the family",
                    ));
                }
            }
            AF_BRIDGE => {
                if !matches!(self.lladdr, Some(LlAddr::Mac(_))) {
                    return Err(input("fdb entry", "none", "needs a 6-byte MAC address"));
                }
            }
            f => {
                return Err(input(
                    "neighbour family",
                    f.to_string(),
                    "expected 2 (inet), 10 (inet6) or 7 (bridge)",
                ));
            }
        }
        if let Some(v) = self.vlan
            && !(1..=4094).contains(&v)
        {
            return Err(input("vlan id", v.to_string(), "must be in 1..=4094"));
        }
        if let Some(v) = self.vni
            && v >= 1 << 24
        {
            return Err(input("vxlan VNI", v.to_string(), "must be below 2^24"));
        }
        if self.flags.contains(NeighFlags::PROXY) {
            if self.lladdr.is_some() {
                return Err(input(
                    "proxy neighbour",
                    self.dst.map(|d| d.to_string()).unwrap_or_default(),
                    "a proxy entry has no link-layer address",
                ));
            }
        } else if !deleting && self.state.bits().count_ones() != 1 {
            return Err(input(
                "neighbour state",
                self.state.names().join(","),
                "exactly one NUD state is required",
            ));
        }
        Ok(())
    }

    /// Builds the request (pure) with the interface (and master) resolved.
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(
        &self,
        msg_type: u16,
        nl_flags: u16,
        index: u32,
        master: Option<u32>,
    ) -> Result<Request> {
        let deleting = msg_type == RTM_DELNEIGH;
        self.validate(deleting)?;
        let mut h = [0u8; NDMSG_LEN];
        h[0] = self.family;
        h[4..8].copy_from_slice(&index.to_ne_bytes());
        h[8..10].copy_from_slice(&self.state.bits().to_ne_bytes());
        h[10] = self.flags.bits();
        let mut b = MsgBuilder::new(msg_type, nl_flags);
        b.push_header(&h);
        if let Some(d) = self.dst {
            b.attr_ip(nda::DST, d);
        }
        if let Some(l) = &self.lladdr {
            b.attr(nda::LLADDR, l.as_bytes());
        }
        if let Some(v) = self.vlan {
            b.attr_u16(nda::VLAN, v);
        }
        if let Some(p) = self.port {
            b.attr_be16(nda::PORT, p);
        }
        if let Some(v) = self.vni {
            b.attr_u32(nda::VNI, v);
        }
        if let Some(m) = master {
            b.attr_u32(nda::MASTER, m);
        }
        let name = if deleting {
            "RTM_DELNEIGH"
        } else {
            "RTM_NEWNEIGH"
        };
        Ok(Request::new(b, name)?.with_attr_namer(attr_path_name))
    }

    fn describe(&self) -> String {
        match (&self.dst, &self.lladdr) {
            (Some(d), _) => format!("{d} dev {}", self.link),
            (None, Some(l)) => format!("{l} dev {}", self.link),
            _ => format!("dev {}", self.link),
        }
    }
}

/// Names an attribute path inside an `RTM_*NEIGH` request.
pub fn attr_path_name(path: &[u16]) -> String {
    super::common::name_path(path, |t| {
        Some(match t {
            nda::DST => "NDA_DST",
            nda::LLADDR => "NDA_LLADDR",
            nda::VLAN => "NDA_VLAN",
            nda::PORT => "NDA_PORT",
            nda::VNI => "NDA_VNI",
            nda::IFINDEX => "NDA_IFINDEX",
            nda::MASTER => "NDA_MASTER",
            _ => return None,
        })
    })
}

/// Which neighbours to list or flush.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NeighFilter {
    /// Only this interface.
    pub link: Option<LinkRef>,
    /// Only `AF_INET` (2), `AF_INET6` (10); `AF_BRIDGE` (7) lists the bridge FDB.
    pub family: Option<u8>,
    /// List proxy entries instead of ordinary ones.
    pub proxy: bool,
}

impl NeighFilter {
    /// Entries of one interface.
    pub fn link(link: impl Into<LinkRef>) -> NeighFilter {
        NeighFilter {
            link: Some(link.into()),
            ..NeighFilter::default()
        }
    }

    /// The bridge FDB (optionally of one port).
    pub fn fdb() -> NeighFilter {
        NeighFilter {
            family: Some(AF_BRIDGE),
            ..NeighFilter::default()
        }
    }

    /// Restricts to one family (`AF_INET` 2, `AF_INET6` 10, `AF_BRIDGE` 7).
    pub fn family(mut self, family: u8) -> Self {
        self.family = Some(family);
        self
    }

    /// Proxy entries.
    pub fn proxies() -> NeighFilter {
        NeighFilter {
            proxy: true,
            ..NeighFilter::default()
        }
    }
}

impl Rtnl {
    /// Every ordinary IPv4/IPv6 neighbour entry (not proxies, not the FDB).
    ///
    /// # Errors
    /// Dump errors; protocol errors for malformed replies.
    pub fn neighbours(&mut self) -> Result<Vec<Neighbour>> {
        self.neighbours_filtered(&NeighFilter::default())
    }

    /// Neighbour entries matching `filter` (FDB entries with family `AF_BRIDGE`; proxies with
    /// `proxy`).
    ///
    /// # Errors
    /// Input error for an unknown family; `ENODEV` for an unknown interface; dump errors.
    pub fn neighbours_filtered(&mut self, filter: &NeighFilter) -> Result<Vec<Neighbour>> {
        let family = filter.family.unwrap_or(AF_UNSPEC);
        if !matches!(family, AF_UNSPEC | AF_INET | AF_INET6 | AF_BRIDGE) {
            return Err(input(
                "neighbour family",
                family.to_string(),
                "expected 2, 10 or 7",
            ));
        }
        let index = filter
            .link
            .as_ref()
            .map(|l| self.resolve(l, "interface"))
            .transpose()?;
        let strict = index.is_some() && self.strict_checking();
        let mut h = [0u8; NDMSG_LEN];
        h[0] = family;
        if filter.proxy {
            h[10] = NeighFlags::PROXY.bits();
        }
        let mut b = MsgBuilder::new(RTM_GETNEIGH, 0);
        b.push_header(&h);
        if strict && let Some(i) = index {
            b.attr_u32(nda::IFINDEX, i);
        }
        let req = Request::new(b, "RTM_GETNEIGH")?.with_attr_namer(attr_path_name);
        self.dump_decode(&req, RTM_NEWNEIGH, |p| {
            let n = Neighbour::decode(p)?;
            let keep = index.is_none_or(|i| n.index == i)
                && (family == AF_UNSPEC || n.family == family)
                && n.is_proxy() == filter.proxy;
            Ok(keep.then_some(n))
        })
    }

    /// Gets one neighbour entry (`RTM_GETNEIGH` without dump; Linux ≥ 5.0).
    ///
    /// # Errors
    /// `ENOENT` when there is none; input errors.
    pub fn neighbour(&mut self, link: impl Into<LinkRef>, dst: IpAddr) -> Result<Neighbour> {
        let link = link.into();
        let index = self.resolve(&link, "interface")?;
        let mut h = [0u8; NDMSG_LEN];
        h[0] = family_of(&dst);
        h[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut b = MsgBuilder::new(RTM_GETNEIGH, 0);
        b.push_header(&h);
        b.attr_ip(nda::DST, dst);
        let req = Request::new(b, "RTM_GETNEIGH")?.with_attr_namer(attr_path_name);
        let msgs = self
            .sock
            .request(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(format!("{dst} dev {link}"))))?;
        let m = msgs
            .iter()
            .find(|m| m.header.msg_type == RTM_NEWNEIGH)
            .ok_or_else(|| {
                Error::protocol(
                    Subsystem::Netlink,
                    ProtocolKind::UnexpectedMessage,
                    "RTM_GETNEIGH answered without an entry",
                )
            })?;
        Neighbour::decode(&m.payload)
    }

    fn neigh_op(&mut self, spec: &NeighSpec, msg_type: u16, nl_flags: u16) -> Result<()> {
        spec.validate(msg_type == RTM_DELNEIGH)?;
        let index = self.resolve(&spec.link, "interface")?;
        let master = spec
            .master
            .as_ref()
            .map(|m| self.resolve(m, "master interface"))
            .transpose()?;
        let req = spec.request(msg_type, nl_flags, index, master)?;
        let object = spec.describe();
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Adds a neighbour or FDB entry (`NLM_F_CREATE | NLM_F_EXCL`).
    ///
    /// # Errors
    /// Input errors of [`NeighSpec::validate`]; `EEXIST`; `ENODEV`.
    pub fn add_neighbour(&mut self, spec: &NeighSpec) -> Result<()> {
        self.neigh_op(spec, RTM_NEWNEIGH, flags::CREATE | flags::EXCL)
    }

    /// Adds or replaces an entry (`NLM_F_CREATE | NLM_F_REPLACE`).
    ///
    /// # Errors
    /// As [`add_neighbour`](Self::add_neighbour) without `EEXIST`.
    pub fn replace_neighbour(&mut self, spec: &NeighSpec) -> Result<()> {
        self.neigh_op(spec, RTM_NEWNEIGH, flags::CREATE | flags::REPLACE)
    }

    /// Deletes an entry.
    ///
    /// # Errors
    /// `ENOENT` when it does not exist; input errors.
    pub fn delete_neighbour(&mut self, spec: &NeighSpec) -> Result<()> {
        self.neigh_op(spec, RTM_DELNEIGH, 0)
    }

    /// Deletes every non-permanent (or, with `include_permanent`, every) entry matching `filter`
    /// and returns how many went. Entries that vanish meanwhile are not an error.
    ///
    /// # Errors
    /// As [`neighbours_filtered`](Self::neighbours_filtered) and the deletes.
    pub fn flush_neighbours(
        &mut self,
        filter: &NeighFilter,
        include_permanent: bool,
    ) -> Result<usize> {
        let mut n = 0;
        for e in self.neighbours_filtered(filter)? {
            if e.state.contains(NudState::PERMANENT) && !include_permanent {
                continue;
            }
            let mut h = [0u8; NDMSG_LEN];
            h[0] = e.family;
            h[4..8].copy_from_slice(&e.index.to_ne_bytes());
            h[10] =
                e.flags.bits() & (NeighFlags::PROXY | NeighFlags::SELF | NeighFlags::MASTER).bits();
            let mut b = MsgBuilder::new(RTM_DELNEIGH, 0);
            b.push_header(&h);
            if let Some(d) = e.dst {
                b.attr_ip(nda::DST, d);
            }
            if e.family == AF_BRIDGE {
                if let Some(l) = &e.lladdr {
                    b.attr(nda::LLADDR, l.as_bytes());
                }
                if let Some(v) = e.vlan {
                    b.attr_u16(nda::VLAN, v);
                }
            }
            let req = Request::new(b, "RTM_DELNEIGH")?.with_attr_namer(attr_path_name);
            match self.sock.request_ack(&req) {
                Ok(()) => n += 1,
                Err(err) if err.errno() == Some(Errno::NOENT) => {}
                Err(err) => return Err(err.with_context(|c| c.object = Some(e.to_string()))),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_31_request_and_decode_round_trip() {
        let spec = NeighSpec::new(3u32, "192.0.2.77".parse().unwrap())
            .lladdr("02:00:00:00:00:77".parse().unwrap());
        let req = spec
            .request(RTM_NEWNEIGH, flags::CREATE | flags::EXCL, 3, None)
            .unwrap();
        let n = Neighbour::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(n.state, NudState::PERMANENT);
        assert_eq!(n.index, 3);
        assert_eq!(
            n.to_string(),
            "192.0.2.77 dev 3 lladdr 02:00:00:00:00:77 PERMANENT"
        );
        assert_eq!(
            n.lladdr,
            Some(LlAddr::Mac("02:00:00:00:00:77".parse().unwrap()))
        );
    }

    #[test]
    fn rt_31_states_and_odd_lladdrs() {
        let e = NeighSpec::new(3u32, "192.0.2.1".parse().unwrap())
            .state(NudState::PERMANENT | NudState::REACHABLE)
            .validate(false)
            .unwrap_err();
        assert!(
            e.is_input() && e.to_string().contains("REACHABLE,PERMANENT"),
            "{e}"
        );
        assert!(
            NeighSpec::proxy(3u32, "192.0.2.1".parse().unwrap())
                .lladdr("02:00:00:00:00:01".parse().unwrap())
                .validate(false)
                .is_err()
        );
        assert!(LlAddr::from_bytes(&[1, 2, 3, 4]) == LlAddr::Raw(vec![1, 2, 3, 4]));
        assert_eq!(LlAddr::from_bytes(&[1, 2, 3, 4]).to_string(), "01:02:03:04");
        assert_eq!(NudState::parse("permanent").unwrap(), NudState::PERMANENT);
        assert!(NudState::parse("bogus").is_err());
    }

    #[test]
    fn rt_32_fdb_entries_need_a_mac() {
        let spec = NeighSpec::fdb(4u32, "02:00:00:00:00:99".parse().unwrap()).vlan(10);
        let req = spec.request(RTM_NEWNEIGH, 0, 4, Some(5)).unwrap();
        let n = Neighbour::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(n.family, AF_BRIDGE);
        assert_eq!((n.vlan, n.master), (Some(10), Some(5)));
        let mut bad = spec.clone();
        bad.lladdr = None;
        assert!(bad.validate(false).is_err());
        assert!(spec.vlan(5000).validate(false).is_err());
    }
}
