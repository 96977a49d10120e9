//! Interface addresses: `RTM_NEWADDR`, `RTM_DELADDR`, `RTM_GETADDR` (`ifaddrmsg` + `IFA_*`).
//!
//! See [rtnetlink(7)](https://man7.org/linux/man-pages/man7/rtnetlink.7.html) and
//! [ip-address(8)](https://man7.org/linux/man-pages/man8/ip-address.8.html).

use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};
use crate::netlink::Request;
use crate::netlink::wire::{self, MsgBuilder, RawAttr, flags};
use crate::types::IfAddr;

use super::common::{AF_INET, AF_INET6, AF_UNSPEC, addr_of_family, family_of, input};
use super::link::LinkRef;
use super::{RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR, Rtnl, Scope};

/// Size of `struct ifaddrmsg`.
pub const IFADDRMSG_LEN: usize = 8;

/// `IFA_*` attribute numbers.
#[allow(missing_docs)]
pub mod ifa {
    pub const ADDRESS: u16 = 1;
    pub const LOCAL: u16 = 2;
    pub const LABEL: u16 = 3;
    pub const BROADCAST: u16 = 4;
    pub const ANYCAST: u16 = 5;
    pub const CACHEINFO: u16 = 6;
    pub const MULTICAST: u16 = 7;
    pub const FLAGS: u16 = 8;
    pub const RT_PRIORITY: u16 = 9;
    pub const TARGET_NETNSID: u16 = 10;
    pub const PROTO: u16 = 11;
}

/// Lifetime value meaning "forever".
pub const INFINITY_LIFE_TIME: u32 = u32::MAX;

bitflags::bitflags! {
    /// Address flags (`IFA_F_*`): the 8-bit header field and the 32-bit `IFA_FLAGS` merged.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AddrFlags: u32 {
        /// Secondary (IPv4) / temporary (IPv6).
        const SECONDARY = 0x01;
        /// No duplicate address detection.
        const NODAD = 0x02;
        /// Optimistic DAD.
        const OPTIMISTIC = 0x04;
        /// DAD failed.
        const DADFAILED = 0x08;
        /// Mobile IPv6 home address.
        const HOMEADDRESS = 0x10;
        /// Deprecated.
        const DEPRECATED = 0x20;
        /// Tentative (DAD running).
        const TENTATIVE = 0x40;
        /// Permanent (configured, not autoconfigured).
        const PERMANENT = 0x80;
        /// Manage temporary addresses.
        const MANAGETEMPADDR = 0x100;
        /// Do not add a prefix route.
        const NOPREFIXROUTE = 0x200;
        /// Join multicast automatically.
        const MCAUTOJOIN = 0x400;
        /// Stable privacy address.
        const STABLE_PRIVACY = 0x800;
        const _ = !0;
    }
}

/// An interface address as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Address {
    /// `AF_INET` (2) or `AF_INET6` (10).
    pub family: u8,
    /// Prefix length.
    pub prefix_len: u8,
    /// Flags (header byte and `IFA_FLAGS` merged).
    pub flags: AddrFlags,
    /// Scope.
    pub scope: Scope,
    /// Interface index.
    pub index: u32,
    /// `IFA_ADDRESS`: the address (IPv6) or the peer/prefix address (IPv4).
    pub address: Option<IpAddr>,
    /// `IFA_LOCAL`: the local address (IPv4).
    pub local: Option<IpAddr>,
    /// Label (IPv4).
    pub label: Option<String>,
    /// Broadcast address.
    pub broadcast: Option<IpAddr>,
    /// Anycast address.
    pub anycast: Option<IpAddr>,
    /// Multicast address.
    pub multicast: Option<IpAddr>,
    /// Valid lifetime in seconds ([`INFINITY_LIFE_TIME`] = forever).
    pub valid_lft: Option<u32>,
    /// Preferred lifetime in seconds.
    pub preferred_lft: Option<u32>,
    /// Route metric of the prefix route.
    pub metric: Option<u32>,
    /// Protocol that installed the address.
    pub protocol: Option<u8>,
    /// Attributes linx does not model, raw.
    pub other: Vec<RawAttr>,
}

impl Address {
    /// Decodes the payload of an `RTM_NEWADDR`/`RTM_DELADDR` message.
    ///
    /// # Errors
    /// Protocol errors for a short header, malformed attributes or addresses of the wrong size.
    pub fn decode(payload: &[u8]) -> Result<Address> {
        let h = payload
            .get(..IFADDRMSG_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWADDR", payload.len(), 8))?;
        let mut a = Address {
            family: h[0],
            prefix_len: h[1],
            flags: AddrFlags::from_bits_retain(u32::from(h[2])),
            scope: Scope(h[3]),
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            ..Address::default()
        };
        for at in wire::attrs(&payload[IFADDRMSG_LEN..]) {
            let at = at?;
            match at.kind() {
                ifa::ADDRESS => a.address = Some(addr_of_family(&at, a.family, "IFA_ADDRESS")?),
                ifa::LOCAL => a.local = Some(addr_of_family(&at, a.family, "IFA_LOCAL")?),
                ifa::BROADCAST => {
                    a.broadcast = Some(addr_of_family(&at, a.family, "IFA_BROADCAST")?)
                }
                ifa::ANYCAST => a.anycast = Some(addr_of_family(&at, a.family, "IFA_ANYCAST")?),
                ifa::MULTICAST => {
                    a.multicast = Some(addr_of_family(&at, a.family, "IFA_MULTICAST")?)
                }
                ifa::LABEL => a.label = Some(at.str()?.to_owned()),
                ifa::FLAGS => a.flags = AddrFlags::from_bits_retain(at.u32()?),
                ifa::RT_PRIORITY => a.metric = Some(at.u32()?),
                ifa::PROTO => a.protocol = Some(at.u8()?),
                ifa::CACHEINFO => {
                    let p = at.payload;
                    if p.len() < 8 {
                        return Err(super::common::malformed(format!(
                            "IFA_CACHEINFO of {} bytes",
                            p.len()
                        )));
                    }
                    a.preferred_lft = Some(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]));
                    a.valid_lft = Some(u32::from_ne_bytes([p[4], p[5], p[6], p[7]]));
                    a.other.push(RawAttr::from_attr(&at));
                }
                _ => a.other.push(RawAttr::from_attr(&at)),
            }
        }
        Ok(a)
    }

    /// The address configured on the interface: `IFA_LOCAL` when present, else `IFA_ADDRESS`.
    pub fn ip(&self) -> Option<IpAddr> {
        self.local.or(self.address)
    }

    /// The point-to-point peer: `IFA_ADDRESS` when it differs from `IFA_LOCAL`.
    pub fn peer(&self) -> Option<IpAddr> {
        match (self.local, self.address) {
            (Some(l), Some(a)) if l != a => Some(a),
            _ => None,
        }
    }

    /// The address with its prefix length, as an [`IfAddr`].
    pub fn if_addr(&self) -> Option<IfAddr> {
        IfAddr::new(self.ip()?, self.prefix_len).ok()
    }

    /// True while duplicate address detection runs.
    pub fn is_tentative(&self) -> bool {
        self.flags.contains(AddrFlags::TENTATIVE)
    }
}

impl fmt::Display for Address {
    /// `10.0.0.2/24 dev 2`, with ` peer P`, ` scope S` (when not global) and ` label L`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip() {
            Some(ip) => write!(f, "{ip}/{}", self.prefix_len)?,
            None => write!(f, "?/{}", self.prefix_len)?,
        }
        if let Some(p) = self.peer() {
            write!(f, " peer {p}")?;
        }
        write!(f, " dev {}", self.index)?;
        if self.scope != Scope::UNIVERSE {
            write!(f, " scope {}", self.scope)?;
        }
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        Ok(())
    }
}

/// The broadcast address of an IPv4 address to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Broadcast {
    /// Computed from the prefix (`brd +`): all host bits set.
    Compute,
    /// Explicit.
    Addr(IpAddr),
}

/// An address to add, replace or delete (`ip address add ADDR/LEN dev LINK …`).
///
/// The address is an [`IfAddr`] (host bits kept). The local address is the address itself unless
/// a point-to-point `peer` is given, in which case the prefix length is the peer's.
///
/// ```no_run
/// use linx::rtnl::{AddressSpec, Rtnl};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// rtnl.add_address(&AddressSpec::new("br0", "192.0.2.10/24".parse()?))?;
/// rtnl.add_address(&AddressSpec::new("br0", "2001:db8::1/64".parse()?).nodad())?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressSpec {
    /// The interface.
    pub link: LinkRef,
    /// Address and prefix length.
    pub addr: IfAddr,
    /// Point-to-point peer (its length becomes the prefix length).
    pub peer: Option<IfAddr>,
    /// Broadcast (IPv4).
    pub broadcast: Option<Broadcast>,
    /// Label (IPv4): the interface name or `name:suffix`, at most 15 bytes.
    pub label: Option<String>,
    /// Scope (default: host for loopback addresses, universe otherwise).
    pub scope: Option<Scope>,
    /// Flags to set (`NODAD`, `NOPREFIXROUTE`, `HOMEADDRESS`, `MANAGETEMPADDR`, …).
    pub flags: AddrFlags,
    /// Valid lifetime (s).
    pub valid_lft: Option<u32>,
    /// Preferred lifetime (s).
    pub preferred_lft: Option<u32>,
    /// Metric of the prefix route.
    pub metric: Option<u32>,
    /// Protocol (`IFA_PROTO`, Linux ≥ 5.18).
    pub protocol: Option<u8>,
}

impl AddressSpec {
    /// `addr` on `link`.
    pub fn new(link: impl Into<LinkRef>, addr: IfAddr) -> AddressSpec {
        AddressSpec {
            link: link.into(),
            addr,
            peer: None,
            broadcast: None,
            label: None,
            scope: None,
            flags: AddrFlags::empty(),
            valid_lft: None,
            preferred_lft: None,
            metric: None,
            protocol: None,
        }
    }

    /// Sets a point-to-point peer.
    pub fn peer(mut self, peer: IfAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Sets the broadcast address.
    pub fn broadcast(mut self, b: Broadcast) -> Self {
        self.broadcast = Some(b);
        self
    }

    /// Sets the label.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Adds flags.
    pub fn flags(mut self, f: AddrFlags) -> Self {
        self.flags |= f;
        self
    }

    /// Skips duplicate address detection (IPv6): usable immediately.
    pub fn nodad(self) -> Self {
        self.flags(AddrFlags::NODAD)
    }

    /// Adds no prefix route.
    pub fn noprefixroute(self) -> Self {
        self.flags(AddrFlags::NOPREFIXROUTE)
    }

    /// Sets the lifetimes (seconds).
    pub fn lifetimes(mut self, valid: u32, preferred: u32) -> Self {
        self.valid_lft = Some(valid);
        self.preferred_lft = Some(preferred);
        self
    }

    /// Sets the prefix route metric.
    pub fn metric(mut self, metric: u32) -> Self {
        self.metric = Some(metric);
        self
    }

    /// Checks every value before anything is sent. `link_name` (when known) is checked against
    /// the label.
    ///
    /// # Errors
    /// Input errors naming the value: mixed families of address, peer and broadcast; a label that
    /// is not the interface name or `name:…` or is over 15 bytes; a valid lifetime of 0 or a
    /// preferred lifetime above the valid one; an invalid link reference.
    pub fn validate(&self, link_name: Option<&str>) -> Result<()> {
        self.link.validate("interface")?;
        let ip = self.addr.addr();
        if let Some(p) = &self.peer {
            super::common::same_family("peer address", &p.addr(), "address", &ip)?;
        }
        if let Some(Broadcast::Addr(b)) = &self.broadcast {
            super::common::same_family("broadcast address", b, "address", &ip)?;
        }
        if self.broadcast.is_some() && ip.is_ipv6() {
            return Err(input(
                "broadcast address",
                self.addr.to_string(),
                "IPv6 has no broadcast",
            ));
        }
        if let Some(l) = &self.label {
            if l.is_empty() || l.len() > 15 || l.contains('\0') {
                return Err(input("address label", l.as_str(), "must be 1..=15 bytes"));
            }
            let name = link_name.or(match &self.link {
                LinkRef::Name(n) => Some(n.as_str()),
                LinkRef::Index(_) => None,
            });
            if let Some(n) = name
                && l != n
                && !l.strip_prefix(n).is_some_and(|r| r.starts_with(':'))
            {
                return Err(input(
                    "address label",
                    l.as_str(),
                    format!("must be the interface name {n:?} or start with \"{n}:\""),
                ));
            }
        }
        let valid = self.valid_lft.unwrap_or(INFINITY_LIFE_TIME);
        let preferred = self.preferred_lft.unwrap_or(INFINITY_LIFE_TIME);
        if valid == 0 {
            return Err(input("valid lifetime", "0", "must be positive"));
        }
        if preferred > valid {
            return Err(input(
                "preferred lifetime",
                preferred.to_string(),
                format!("exceeds the valid lifetime {valid}"),
            ));
        }
        Ok(())
    }

    fn default_scope(&self) -> Scope {
        let ip = self.addr.addr();
        let loopback = match ip {
            IpAddr::V4(a) => a.is_loopback(),
            IpAddr::V6(a) => a.is_loopback(),
        };
        if loopback {
            Scope::HOST
        } else {
            Scope::UNIVERSE
        }
    }

    /// Builds the request (pure): `msg_type` is `RTM_NEWADDR` or `RTM_DELADDR`, `nl_flags` the
    /// `NLM_F_*` creation flags, `index` the resolved interface index.
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(&self, msg_type: u16, nl_flags: u16, index: u32) -> Result<Request> {
        self.validate(None)?;
        let ip = self.addr.addr();
        let prefix_len = self.peer.map_or(self.addr.len(), |p| p.len());
        let scope = self.scope.unwrap_or_else(|| self.default_scope());
        let fl = self.flags.bits();
        let mut h = [0u8; IFADDRMSG_LEN];
        h[0] = family_of(&ip);
        h[1] = prefix_len;
        h[2] = if fl <= 0xff { fl as u8 } else { 0 };
        h[3] = scope.0;
        h[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut b = MsgBuilder::new(msg_type, nl_flags);
        b.push_header(&h);
        b.attr_ip(ifa::LOCAL, ip);
        b.attr_ip(ifa::ADDRESS, self.peer.map_or(ip, |p| p.addr()));
        if msg_type == RTM_NEWADDR {
            if fl > 0xff {
                b.attr_u32(ifa::FLAGS, fl);
            }
            if let Some(l) = &self.label {
                b.attr_str(ifa::LABEL, l);
            }
            match self.broadcast {
                Some(Broadcast::Addr(a)) => {
                    b.attr_ip(ifa::BROADCAST, a);
                }
                Some(Broadcast::Compute) => {
                    if let Some(bc) = self.addr.network().broadcast() {
                        b.attr_ip(ifa::BROADCAST, IpAddr::V4(bc));
                    }
                }
                None => {}
            }
            if self.valid_lft.is_some() || self.preferred_lft.is_some() {
                let mut ci = [0u8; 16];
                ci[..4].copy_from_slice(
                    &self
                        .preferred_lft
                        .unwrap_or(INFINITY_LIFE_TIME)
                        .to_ne_bytes(),
                );
                ci[4..8]
                    .copy_from_slice(&self.valid_lft.unwrap_or(INFINITY_LIFE_TIME).to_ne_bytes());
                b.attr(ifa::CACHEINFO, &ci);
            }
            if let Some(m) = self.metric {
                b.attr_u32(ifa::RT_PRIORITY, m);
            }
            if let Some(p) = self.protocol {
                b.attr_u8(ifa::PROTO, p);
            }
        }
        let name = if msg_type == RTM_NEWADDR {
            "RTM_NEWADDR"
        } else {
            "RTM_DELADDR"
        };
        Ok(Request::new(b, name)?.with_attr_namer(attr_path_name))
    }
}

/// Names an attribute path inside an `RTM_*ADDR` request.
pub fn attr_path_name(path: &[u16]) -> String {
    super::common::name_path(path, |t| {
        Some(match t {
            ifa::ADDRESS => "IFA_ADDRESS",
            ifa::LOCAL => "IFA_LOCAL",
            ifa::LABEL => "IFA_LABEL",
            ifa::BROADCAST => "IFA_BROADCAST",
            ifa::ANYCAST => "IFA_ANYCAST",
            ifa::CACHEINFO => "IFA_CACHEINFO",
            ifa::MULTICAST => "IFA_MULTICAST",
            ifa::FLAGS => "IFA_FLAGS",
            ifa::RT_PRIORITY => "IFA_RT_PRIORITY",
            ifa::PROTO => "IFA_PROTO",
            _ => return None,
        })
    })
}

/// Which addresses to list or flush.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressFilter {
    /// Only this interface.
    pub link: Option<LinkRef>,
    /// Only this family (`AF_INET` 2 / `AF_INET6` 10).
    pub family: Option<u8>,
    /// Only this scope.
    pub scope: Option<Scope>,
}

impl AddressFilter {
    /// Addresses of one interface.
    pub fn link(link: impl Into<LinkRef>) -> AddressFilter {
        AddressFilter {
            link: Some(link.into()),
            ..AddressFilter::default()
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

    /// Restricts to a scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }
}

fn dump_request(family: u8, index: u32) -> Result<Request> {
    let mut h = [0u8; IFADDRMSG_LEN];
    h[0] = family;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    let mut b = MsgBuilder::new(RTM_GETADDR, 0);
    b.push_header(&h);
    Ok(Request::new(b, "RTM_GETADDR")?.with_attr_namer(attr_path_name))
}

impl Rtnl {
    /// Every address of the namespace, both families (an `RTM_GETADDR` dump).
    ///
    /// # Errors
    /// Dump errors; protocol errors for malformed replies.
    pub fn addresses(&mut self) -> Result<Vec<Address>> {
        self.addresses_filtered(&AddressFilter::default())
    }

    /// Addresses matching `filter` (per link with strict checking in the kernel, otherwise
    /// filtered here; the family always in the kernel).
    ///
    /// # Errors
    /// Input error for a family other than 2/10 or an invalid link; `ENODEV` for an unknown link.
    pub fn addresses_filtered(&mut self, filter: &AddressFilter) -> Result<Vec<Address>> {
        let family = filter.family.unwrap_or(AF_UNSPEC);
        if !matches!(family, AF_UNSPEC | AF_INET | AF_INET6) {
            return Err(input(
                "address family",
                family.to_string(),
                "expected 2 (inet) or 10 (inet6)",
            ));
        }
        let index = match &filter.link {
            Some(l) => Some(self.resolve(l, "interface")?),
            None => None,
        };
        let kernel_index = if index.is_some() && self.strict_checking() {
            index.unwrap_or(0)
        } else {
            0
        };
        let req = dump_request(family, kernel_index)?;
        self.dump_decode(&req, RTM_NEWADDR, |p| {
            let a = Address::decode(p)?;
            let keep = index.is_none_or(|i| a.index == i)
                && filter.scope.is_none_or(|s| a.scope == s)
                && (family == AF_UNSPEC || a.family == family);
            Ok(keep.then_some(a))
        })
    }

    fn address_op(&mut self, spec: &AddressSpec, msg_type: u16, nl_flags: u16) -> Result<()> {
        spec.validate(None)?;
        let (index, name) = match &spec.link {
            LinkRef::Index(i) => {
                // The label rule needs the name.
                let name = if spec.label.is_some() {
                    Some(self.link_by_index(*i)?.name)
                } else {
                    None
                };
                (*i, name)
            }
            l @ LinkRef::Name(n) => (self.resolve(l, "interface")?, Some(n.clone())),
        };
        spec.validate(name.as_deref())?;
        let req = spec.request(msg_type, nl_flags, index)?;
        let object = format!("{} dev {}", spec.addr, spec.link);
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Adds an address (`NLM_F_CREATE | NLM_F_EXCL`): `EEXIST` if it is already there.
    ///
    /// # Errors
    /// Input errors of [`AddressSpec::validate`]; `ENODEV` for an unknown interface; `EEXIST`.
    pub fn add_address(&mut self, spec: &AddressSpec) -> Result<()> {
        self.address_op(spec, RTM_NEWADDR, flags::CREATE | flags::EXCL)
    }

    /// Adds or replaces an address (`NLM_F_CREATE | NLM_F_REPLACE`).
    ///
    /// # Errors
    /// As [`add_address`](Self::add_address), without `EEXIST`.
    pub fn replace_address(&mut self, spec: &AddressSpec) -> Result<()> {
        self.address_op(spec, RTM_NEWADDR, flags::CREATE | flags::REPLACE)
    }

    /// Deletes an address (`RTM_DELADDR`, matching local address, prefix length and peer).
    ///
    /// # Errors
    /// Input errors; `EADDRNOTAVAIL` when it is not configured.
    pub fn delete_address(&mut self, spec: &AddressSpec) -> Result<()> {
        self.address_op(spec, RTM_DELADDR, 0)
    }

    /// Deletes an address exactly as a dump reported it.
    ///
    /// # Errors
    /// `EADDRNOTAVAIL` when it is gone.
    pub fn delete_observed_address(&mut self, a: &Address) -> Result<()> {
        let mut h = [0u8; IFADDRMSG_LEN];
        h[0] = a.family;
        h[1] = a.prefix_len;
        h[4..8].copy_from_slice(&a.index.to_ne_bytes());
        let mut b = MsgBuilder::new(RTM_DELADDR, 0);
        b.push_header(&h);
        if let Some(l) = a.local {
            b.attr_ip(ifa::LOCAL, l);
        }
        if let Some(x) = a.address {
            b.attr_ip(ifa::ADDRESS, x);
        }
        let req = Request::new(b, "RTM_DELADDR")?.with_attr_namer(attr_path_name);
        let object = a.to_string();
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Removes every address matching `filter` (typically one link, optionally a family or
    /// scope) and returns how many were removed. Addresses that vanish meanwhile (e.g.
    /// secondaries removed with their primary) are not an error.
    ///
    /// # Errors
    /// As [`addresses_filtered`](Self::addresses_filtered) and the deletes.
    pub fn flush_addresses(&mut self, filter: &AddressFilter) -> Result<usize> {
        let mut n = 0;
        for a in self.addresses_filtered(filter)? {
            match self.delete_observed_address(&a) {
                Ok(()) => n += 1,
                Err(e) if e.errno() == Some(Errno::ADDRNOTAVAIL) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Waits until IPv6 duplicate address detection for `addr` on `link` finishes: returns when
    /// `IFA_F_TENTATIVE` clears. Event driven (the socket joins the IPv6 address group while it
    /// waits) with a periodic re-read, so no change is missed.
    ///
    /// # Errors
    /// `EADDRNOTAVAIL` naming the address when DAD failed (`IFA_F_DADFAILED`) or the address is not
    /// on the link; [`Error::Timeout`] after `timeout`.
    pub fn wait_dad(
        &mut self,
        link: impl Into<LinkRef>,
        addr: IpAddr,
        timeout: Duration,
    ) -> Result<()> {
        const RTNLGRP_IPV6_IFADDR: u32 = 9;
        let link = link.into();
        let index = self.resolve(&link, "interface")?;
        let deadline = Instant::now() + timeout;
        let op = Operation::netlink("RTM_GETADDR", RTM_GETADDR);
        let fail = |what: &str| -> Error {
            OsError::new(Subsystem::Netlink, op, Errno::ADDRNOTAVAIL)
                .object(format!("{addr} dev {link}: {what}"))
                .into()
        };
        let joined = addr.is_ipv6() && self.sock.join_group(RTNLGRP_IPV6_IFADDR).is_ok();
        let result = loop {
            let filter = AddressFilter::link(index);
            let found = self
                .addresses_filtered(&filter)?
                .into_iter()
                .find(|a| a.ip() == Some(addr));
            match found {
                None => break Err(fail("address not configured")),
                Some(a) if a.flags.contains(AddrFlags::DADFAILED) => {
                    break Err(fail("duplicate address detection failed"));
                }
                Some(a) if !a.is_tentative() => break Ok(()),
                Some(_) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(Error::timeout(Subsystem::Netlink, op, timeout)
                    .with_context(|c| c.object = Some(format!("DAD of {addr} dev {link}"))));
            }
            let wait = left.min(Duration::from_millis(200));
            if joined {
                // Any notification (or the period) prompts a re-read.
                let _ = self.sock.recv_multicast(Some(wait))?;
            } else {
                std::thread::sleep(wait);
            }
        };
        if joined {
            let _ = self.sock.leave_group(RTNLGRP_IPV6_IFADDR);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_21_add_request_bytes() {
        let spec = AddressSpec::new(3u32, "192.0.2.10/24".parse().unwrap())
            .broadcast(Broadcast::Compute)
            .label("br0:1");
        let req = spec
            .request(RTM_NEWADDR, flags::CREATE | flags::EXCL, 3)
            .unwrap();
        let b = req.bytes();
        assert_eq!(&b[16..24], &[2, 24, 0, 0, 3, 0, 0, 0]);
        let attrs: Vec<_> = wire::attrs(&b[24..]).map(|a| a.unwrap()).collect();
        assert_eq!(attrs[0].kind(), ifa::LOCAL);
        assert_eq!(attrs[0].payload, [192, 0, 2, 10]);
        assert_eq!(attrs[1].kind(), ifa::ADDRESS);
        assert_eq!(attrs[2].str().unwrap(), "br0:1");
        assert_eq!(attrs[3].payload, [192, 0, 2, 255]);
        // Flags above 8 bits travel in IFA_FLAGS.
        let spec = AddressSpec::new(3u32, "2001:db8::1/64".parse().unwrap())
            .nodad()
            .noprefixroute();
        let req = spec.request(RTM_NEWADDR, 0, 3).unwrap();
        let b = req.bytes();
        assert_eq!(b[18], 0);
        let fl = wire::attrs(&b[24..])
            .map(|a| a.unwrap())
            .find(|a| a.kind() == ifa::FLAGS)
            .unwrap();
        assert_eq!(fl.u32().unwrap(), 0x202);
    }

    #[test]
    fn rt_21_input_errors() {
        let a: IfAddr = "192.0.2.10/24".parse().unwrap();
        let e = AddressSpec::new("br0", a)
            .peer("2001:db8::1/128".parse().unwrap())
            .validate(None)
            .unwrap_err();
        assert!(e.is_input() && e.to_string().contains("2001:db8::1"), "{e}");
        let e = AddressSpec::new("br0", a)
            .label("eth0:1")
            .validate(None)
            .unwrap_err();
        assert!(e.to_string().contains("eth0:1"), "{e}");
        assert!(
            AddressSpec::new("br0", a)
                .label("br0:averyverylongone")
                .validate(None)
                .is_err()
        );
        AddressSpec::new("br0", a)
            .label("br0:x")
            .validate(None)
            .unwrap();
        assert!(
            AddressSpec::new("br0", a)
                .lifetimes(10, 20)
                .validate(None)
                .is_err()
        );
        assert!(
            AddressSpec::new("br0/x", a)
                .validate(None)
                .unwrap_err()
                .is_input()
        );
        let lo = AddressSpec::new("lo", "127.0.0.2/8".parse().unwrap());
        assert_eq!(lo.default_scope(), Scope::HOST);
    }

    #[test]
    fn rt_20_decode_merges_flags_and_lifetimes() {
        let mut b = MsgBuilder::new(RTM_NEWADDR, 0);
        b.push_header(&[10, 64, 0x80, 0, 2, 0, 0, 0]);
        b.attr(
            ifa::ADDRESS,
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        b.attr_u32(ifa::FLAGS, 0x282);
        let mut ci = Vec::new();
        for v in [100u32, 200, 0, 0] {
            ci.extend_from_slice(&v.to_ne_bytes());
        }
        b.attr(ifa::CACHEINFO, &ci);
        b.attr(99, &[1]);
        let bytes = b.finish().unwrap();
        let a = Address::decode(&bytes[16..]).unwrap();
        assert_eq!(a.family, AF_INET6);
        assert_eq!(
            a.flags,
            AddrFlags::PERMANENT | AddrFlags::NODAD | AddrFlags::NOPREFIXROUTE
        );
        assert_eq!((a.preferred_lft, a.valid_lft), (Some(100), Some(200)));
        assert_eq!(a.to_string(), "2001:db8::1/64 dev 2");
        assert_eq!(a.other.last().unwrap().kind(), 99);
        // A 4-byte address in an inet6 message is malformed, not a panic.
        let mut b = MsgBuilder::new(RTM_NEWADDR, 0);
        b.push_header(&[10, 64, 0, 0, 2, 0, 0, 0]);
        b.attr(ifa::ADDRESS, &[1, 2, 3, 4]);
        let bytes = b.finish().unwrap();
        assert!(Address::decode(&bytes[16..]).is_err());
        assert!(Address::decode(&[1, 2]).is_err());
    }
}
