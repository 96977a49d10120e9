//! The rtnetlink reconciler (REC-40…REC-46): links, addresses, routes, nexthop objects,
//! neighbours and policy rules of one network namespace.
//!
//! A pass opens a socket in the scope, lists links (name → index), normalises the desired state
//! (interfaces by **name**, resolved to indexes every pass and never persisted), lists
//! addresses, routes (of the reconciler's protocol only), rules and — when any are desired or
//! owned — neighbours, diffs with the [`rtnl::diff`](crate::rtnl::diff) helpers, applies in
//! order and reports.
//!
//! # Ownership (REC-42)
//! * **Routes, rules and nexthop objects**: two-way within the reconciler's protocol number
//!   ([`DEFAULT_PROTOCOL`] 76, ASCII `L`, configurable). Routes and rules with another protocol
//!   are never touched; pick distinct numbers for reconcilers that share a namespace.
//! * **Addresses**: three-way through [`NetOwned`], scope universe only (the link-local and host
//!   addresses the kernel adds itself are ignored).
//! * **Neighbours**: three-way (permanent entries this reconciler wrote).
//! * **Links**: a desired link with a `kind` is created when missing and then owned (deleted
//!   once it leaves the desired set); a desired link without `kind` must exist and only has its
//!   attributes (MTU, up, master, address) set — links that existed before are never deleted.
//!
//! # Order and failure (REC-43)
//! Link creates → link updates → address creates → address updates → neighbour creates and
//! updates → nexthop creates and updates (members before groups) → route creates → route
//! updates → rule creates and updates → rule deletes → route deletes → nexthop deletes (groups
//! first) → neighbour deletes → address deletes → link deletes. Fail-fast: the first error stops
//! the pass and the remaining operations are `pending` (rtnetlink has no transactions; the next
//! pass is the safety net). Updates are replaces; route creates use `NLM_F_EXCL`, so a foreign
//! route occupying the same key is reported (`EEXIST`) rather than taken over. Deleting
//! something that is already gone (an address whose interface vanished, a route or neighbour
//! removed meanwhile) counts as done.
//!
//! # Normalisation errors (REC-44)
//! An unknown interface, a malformed value, a family mismatch or a duplicate key is an
//! [`Error::Input`] naming the entry (`routes[2]`, `addresses[0]` …) before anything is applied.
//!
//! ```no_run
//! use linx::ns::NsTarget;
//! use linx::reconcile::{Options, Reconciler};
//! use linx::reconcile::net::{AddressDesired, NetDesired, NetOwned, NetReconciler, RouteDesired};
//!
//! let desired = NetDesired::new()
//!     .address(AddressDesired::new("v0".parse()?, "192.0.2.10/24".parse()?))
//!     .route(RouteDesired::new("198.51.100.0/24".parse()?).via("192.0.2.1".parse().unwrap()))
//!     .route(RouteDesired::default_route().via("192.0.2.1".parse().unwrap()).dev("v0".parse()?));
//! let target: NsTarget = "/run/netns/blue".parse()?;
//! let mut net = NetReconciler::new();
//! let first = net.reconcile(&target, &desired, &NetOwned::default(), &Options::default())?;
//! assert_eq!(first.to_string(), "converged (3 applied)");
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, BorrowedFd};
use std::str::FromStr;

use super::wake::DRAIN_LIMIT;
use super::{Options, Reconciler, Report, Wake, WakeSource, Wakeup};
use crate::error::{Errno, Error, Result, Subsystem};
use crate::ns::NsTarget;
use crate::rtnl::diff::{self, AddressKey, Op, RouteKey};
use crate::rtnl::link::LinkInfo;
use crate::rtnl::monitor::{Event, MonitorGroups, Object, RouteMonitor};
use crate::rtnl::neigh::{LlAddr, NeighFilter, NeighSpec, Neighbour, NudState};
use crate::rtnl::nexthop::{GroupMember, Nexthop, NexthopKind, NexthopSpec};
use crate::rtnl::route::{
    HopSpec, MultipathHop, RouteFilter, RouteSpec, parse_table, table, table_name,
};
use crate::rtnl::rule::{Rule, RuleAction, RuleSpec};
use crate::rtnl::{
    Address, AddressSpec, Link, LinkChange, LinkFlags, LinkRef, LinkSpec, Route, RouteProtocol,
    RouteType, Rtnl, Scope,
};
use crate::types::{IfAddr, IfName, Mac, Prefix};

/// The route and rule protocol number the reconciler owns by default: 76 (ASCII `L`).
pub const DEFAULT_PROTOCOL: RouteProtocol = RouteProtocol(76);

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

fn input(
    argument: impl fmt::Display,
    value: impl Into<String>,
    reason: impl Into<String>,
) -> Error {
    Error::input(
        Subsystem::Reconcile,
        argument.to_string(),
        value,
        reason.into(),
    )
}

/// An entry path (`routes[2]`), formatted only when an error needs it.
#[derive(Debug, Clone, Copy)]
struct At(&'static str, usize);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

fn family_word(f: u8) -> &'static str {
    if f == AF_INET6 { "IPv6" } else { "IPv4" }
}

fn family_of(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { AF_INET } else { AF_INET6 }
}

// ------------------------------------------------------------------------------------------
// Desired state
// ------------------------------------------------------------------------------------------

/// A routing table by number, parsed from `main`, `local`, `default` or a number (`Display`
/// gives the name back).
///
/// ```
/// use linx::reconcile::net::TableId;
/// assert_eq!("main".parse::<TableId>()?.0, 254);
/// assert_eq!(TableId(100).to_string(), "100");
/// assert!("0".parse::<TableId>().is_err());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

impl Default for TableId {
    fn default() -> TableId {
        TableId(table::MAIN)
    }
}

impl FromStr for TableId {
    type Err = Error;
    fn from_str(s: &str) -> Result<TableId> {
        parse_table(s).map(TableId)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&table_name(self.0))
    }
}

/// A route destination: `default` or a prefix.
///
/// `default` is IPv4's `0.0.0.0/0` unless the route's gateway (or a hop's, or its preferred
/// source) is IPv6; write `::/0` for an IPv6 default route without gateway.
///
/// ```
/// use linx::reconcile::net::RouteDst;
/// assert_eq!("default".parse::<RouteDst>()?, RouteDst::Default);
/// assert_eq!("10.0.0.0/8".parse::<RouteDst>()?.to_string(), "10.0.0.0/8");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteDst {
    /// The default route.
    Default,
    /// A prefix.
    Prefix(Prefix),
}

impl FromStr for RouteDst {
    type Err = Error;
    fn from_str(s: &str) -> Result<RouteDst> {
        if s == "default" {
            Ok(RouteDst::Default)
        } else {
            Ok(RouteDst::Prefix(s.parse::<Prefix>()?))
        }
    }
}

impl fmt::Display for RouteDst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteDst::Default => f.write_str("default"),
            RouteDst::Prefix(p) => write!(f, "{p}"),
        }
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{RouteDst, TableId};
    use serde::de::{self, Visitor};
    use std::fmt;

    impl serde::Serialize for RouteDst {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }

    impl<'de> serde::Deserialize<'de> for RouteDst {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RouteDst, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = RouteDst;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("\"default\" or a prefix such as \"10.0.0.0/8\"")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<RouteDst, E> {
                    v.parse()
                        .map_err(|e: crate::Error| E::custom(e.to_string()))
                }
            }
            d.deserialize_str(V)
        }
    }

    impl serde::Serialize for TableId {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }

    impl<'de> serde::Deserialize<'de> for TableId {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TableId, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = TableId;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a routing table: main, local, default or a number 1..=4294967295")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<TableId, E> {
                    match u32::try_from(v) {
                        Ok(t) if t > 0 => Ok(TableId(t)),
                        _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                    }
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<TableId, E> {
                    match u64::try_from(v) {
                        Ok(u) => self.visit_u64(u),
                        Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                    }
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<TableId, E> {
                    v.parse()
                        .map_err(|e: crate::Error| E::custom(e.to_string()))
                }
            }
            d.deserialize_any(V)
        }
    }
}

/// A desired link (REC-45).
///
/// With a `kind` (`veth` with `peer`, `bridge`, `dummy`, or any other kind name created without
/// options) the link is created when missing and owned; without one it must exist and only its
/// attributes are reconciled. Unset attributes are left as they are.
///
/// ```
/// use linx::reconcile::net::LinkDesired;
/// let br = LinkDesired::new("br0".parse()?).kind("bridge").up(true).mtu(1400);
/// assert_eq!(br.kind.as_deref(), Some("bridge"));
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct LinkDesired {
    /// Interface name.
    pub name: IfName,
    /// Kind to create (`veth`, `bridge`, `dummy`, …); `None`: the link must already exist.
    #[cfg_attr(feature = "serde", serde(default))]
    pub kind: Option<String>,
    /// The veth peer's name (created in the same namespace).
    #[cfg_attr(feature = "serde", serde(default))]
    pub peer: Option<IfName>,
    /// MTU.
    #[cfg_attr(feature = "serde", serde(default))]
    pub mtu: Option<u32>,
    /// Administrative state.
    #[cfg_attr(feature = "serde", serde(default))]
    pub up: Option<bool>,
    /// Master (bridge, bond, vrf) by name.
    #[cfg_attr(feature = "serde", serde(default))]
    pub master: Option<IfName>,
    /// Hardware address.
    #[cfg_attr(feature = "serde", serde(default))]
    pub address: Option<Mac>,
}

impl LinkDesired {
    /// A link that must exist (no attribute set).
    pub fn new(name: IfName) -> LinkDesired {
        LinkDesired {
            name,
            kind: None,
            peer: None,
            mtu: None,
            up: None,
            master: None,
            address: None,
        }
    }

    /// Creates it with this kind when missing.
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_owned());
        self
    }

    /// A veth pair `name` ↔ `peer`.
    pub fn veth(name: IfName, peer: IfName) -> LinkDesired {
        let mut l = LinkDesired::new(name).kind("veth");
        l.peer = Some(peer);
        l
    }

    /// Sets the MTU.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the administrative state.
    pub fn up(mut self, up: bool) -> Self {
        self.up = Some(up);
        self
    }

    /// Sets the master.
    pub fn master(mut self, master: IfName) -> Self {
        self.master = Some(master);
        self
    }

    /// Sets the hardware address.
    pub fn address(mut self, mac: Mac) -> Self {
        self.address = Some(mac);
        self
    }
}

/// A desired interface address (REC-41).
///
/// ```
/// use linx::reconcile::net::AddressDesired;
/// let a = AddressDesired::new("v0".parse()?, "2001:db8::10/64".parse()?).nodad();
/// assert!(a.nodad);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct AddressDesired {
    /// Interface name.
    pub dev: IfName,
    /// Address and prefix length.
    pub address: IfAddr,
    /// Point-to-point peer.
    #[cfg_attr(feature = "serde", serde(default))]
    pub peer: Option<IfAddr>,
    /// Label (IPv4).
    #[cfg_attr(feature = "serde", serde(default))]
    pub label: Option<String>,
    /// Metric of the prefix route.
    #[cfg_attr(feature = "serde", serde(default))]
    pub metric: Option<u32>,
    /// Skip duplicate address detection (IPv6).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nodad: bool,
}

impl AddressDesired {
    /// `address` on `dev`.
    pub fn new(dev: IfName, address: IfAddr) -> AddressDesired {
        AddressDesired {
            dev,
            address,
            peer: None,
            label: None,
            metric: None,
            nodad: false,
        }
    }

    /// Skips duplicate address detection.
    pub fn nodad(mut self) -> Self {
        self.nodad = true;
        self
    }

    /// Sets a point-to-point peer.
    pub fn peer(mut self, peer: IfAddr) -> Self {
        self.peer = Some(peer);
        self
    }
}

/// One hop of a desired multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct HopDesired {
    /// Gateway.
    #[cfg_attr(feature = "serde", serde(default))]
    pub via: Option<IpAddr>,
    /// Output interface.
    #[cfg_attr(feature = "serde", serde(default))]
    pub dev: Option<IfName>,
    /// Weight 1..=256 (default 1).
    #[cfg_attr(feature = "serde", serde(default))]
    pub weight: Option<u16>,
}

impl HopDesired {
    /// A hop via `gateway`.
    pub fn via(gateway: IpAddr) -> HopDesired {
        HopDesired {
            via: Some(gateway),
            dev: None,
            weight: None,
        }
    }

    /// Sets the interface.
    pub fn dev(mut self, dev: IfName) -> Self {
        self.dev = Some(dev);
        self
    }

    /// Sets the weight.
    pub fn weight(mut self, w: u16) -> Self {
        self.weight = Some(w);
        self
    }
}

/// A desired route (REC-41): destination (prefix or default), gateway and/or device, table,
/// metric, type, multipath. The reconciler forces its own protocol number.
///
/// ```
/// use linx::reconcile::net::RouteDesired;
/// let r = RouteDesired::new("198.51.100.0/24".parse()?)
///     .via("192.0.2.1".parse().unwrap())
///     .table(100)
///     .metric(50);
/// assert_eq!(r.to_string(), "198.51.100.0/24 via 192.0.2.1 table 100 metric 50");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct RouteDesired {
    /// Destination.
    pub dst: RouteDst,
    /// Gateway.
    #[cfg_attr(feature = "serde", serde(default, alias = "gateway"))]
    pub via: Option<IpAddr>,
    /// Output interface.
    #[cfg_attr(feature = "serde", serde(default))]
    pub dev: Option<IfName>,
    /// Table (default main).
    #[cfg_attr(feature = "serde", serde(default))]
    pub table: Option<TableId>,
    /// Metric (default 0 for IPv4, 1024 for IPv6).
    #[cfg_attr(feature = "serde", serde(default))]
    pub metric: Option<u32>,
    /// Type: `unicast` (default), `blackhole`, `unreachable`, `prohibit`, `local`, …
    #[cfg_attr(feature = "serde", serde(default, rename = "type"))]
    pub kind: Option<String>,
    /// Preferred source address.
    #[cfg_attr(feature = "serde", serde(default))]
    pub src: Option<IpAddr>,
    /// Multipath hops (instead of `via`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nexthops: Vec<HopDesired>,
    /// A nexthop object (instead of `via`, `dev` and `nexthops`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nhid: Option<u32>,
}

impl RouteDesired {
    /// A route to `dst`.
    pub fn new(dst: Prefix) -> RouteDesired {
        RouteDesired::to(RouteDst::Prefix(dst))
    }

    /// The default route (family from the gateway).
    pub fn default_route() -> RouteDesired {
        RouteDesired::to(RouteDst::Default)
    }

    fn to(dst: RouteDst) -> RouteDesired {
        RouteDesired {
            dst,
            via: None,
            dev: None,
            table: None,
            metric: None,
            kind: None,
            src: None,
            nexthops: Vec::new(),
            nhid: None,
        }
    }

    /// Sets the gateway.
    pub fn via(mut self, gw: IpAddr) -> Self {
        self.via = Some(gw);
        self
    }

    /// Sets the output interface.
    pub fn dev(mut self, dev: IfName) -> Self {
        self.dev = Some(dev);
        self
    }

    /// Sets the table.
    pub fn table(mut self, t: u32) -> Self {
        self.table = Some(TableId(t));
        self
    }

    /// Sets the metric.
    pub fn metric(mut self, m: u32) -> Self {
        self.metric = Some(m);
        self
    }

    /// Sets the type (`blackhole`, `unreachable`, `prohibit` …).
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_owned());
        self
    }

    /// Adds a multipath hop.
    pub fn hop(mut self, hop: HopDesired) -> Self {
        self.nexthops.push(hop);
        self
    }

    /// Uses nexthop object `id`.
    pub fn nhid(mut self, id: u32) -> Self {
        self.nhid = Some(id);
        self
    }

    /// The family: from the prefix, else from the gateway, a hop's gateway or the preferred
    /// source; IPv4 otherwise.
    pub fn family(&self) -> u8 {
        match self.dst {
            RouteDst::Prefix(p) => family_of(&p.addr()),
            RouteDst::Default => self
                .via
                .or(self.nexthops.iter().find_map(|h| h.via))
                .or(self.src)
                .map_or(AF_INET, |ip| family_of(&ip)),
        }
    }

    fn prefix(&self) -> Prefix {
        match self.dst {
            RouteDst::Prefix(p) => p,
            RouteDst::Default => {
                let any = if self.family() == AF_INET6 {
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED)
                } else {
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
                };
                // Length 0 is valid for both families.
                Prefix::new_truncating(any, 0).unwrap_or(Prefix::from_addr(any))
            }
        }
    }
}

impl fmt::Display for RouteDesired {
    /// `ip route` style: `10.0.0.0/8 via 192.0.2.1 dev v0 table 100 metric 5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = &self.kind {
            write!(f, "{k} ")?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(g) = self.via {
            write!(f, " via {g}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if let Some(id) = self.nhid {
            write!(f, " nhid {id}")?;
        }
        if let Some(t) = self.table.filter(|t| t.0 != table::MAIN) {
            write!(f, " table {t}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        Ok(())
    }
}

/// A desired permanent neighbour entry (static ARP/NDP).
///
/// ```
/// use linx::reconcile::net::NeighbourDesired;
/// let n = NeighbourDesired::new("v0".parse()?, "192.0.2.77".parse().unwrap(), "02:00:00:00:00:77".parse()?);
/// assert_eq!(n.dst.to_string(), "192.0.2.77");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct NeighbourDesired {
    /// Interface name.
    pub dev: IfName,
    /// The neighbour's IP address.
    pub dst: IpAddr,
    /// Its link-layer address.
    pub lladdr: Mac,
}

impl NeighbourDesired {
    /// A permanent entry.
    pub fn new(dev: IfName, dst: IpAddr, lladdr: Mac) -> NeighbourDesired {
        NeighbourDesired { dev, dst, lladdr }
    }
}

/// One member of a desired nexthop group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct NexthopMember {
    /// The member's nexthop id.
    pub id: u32,
    /// Weight 1..=256 (default 1).
    #[cfg_attr(feature = "serde", serde(default))]
    pub weight: Option<u32>,
}

impl NexthopMember {
    /// Member `id` with weight `weight`.
    pub fn new(id: u32, weight: u32) -> NexthopMember {
        NexthopMember {
            id,
            weight: Some(weight),
        }
    }
}

/// A desired nexthop object (`ip nexthop`): a gateway and/or device, a blackhole, or a group of
/// other nexthops. Owned two-way by the reconciler's protocol number, like routes; routes use
/// one with [`RouteDesired::nhid`].
///
/// ```
/// use linx::reconcile::net::{NexthopDesired, NexthopMember};
/// let a = NexthopDesired::via(1, "192.0.2.1".parse().unwrap()).dev("v0".parse()?);
/// let g = NexthopDesired::group(10, vec![NexthopMember::new(1, 1), NexthopMember::new(2, 3)]);
/// assert_eq!(g.group.len(), 2);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct NexthopDesired {
    /// Id (> 0).
    pub id: u32,
    /// Gateway.
    #[cfg_attr(feature = "serde", serde(default))]
    pub via: Option<IpAddr>,
    /// Output interface.
    #[cfg_attr(feature = "serde", serde(default))]
    pub dev: Option<IfName>,
    /// A blackhole nexthop.
    #[cfg_attr(feature = "serde", serde(default))]
    pub blackhole: bool,
    /// Group members (a multipath group).
    #[cfg_attr(feature = "serde", serde(default))]
    pub group: Vec<NexthopMember>,
}

impl NexthopDesired {
    fn empty(id: u32) -> NexthopDesired {
        NexthopDesired {
            id,
            via: None,
            dev: None,
            blackhole: false,
            group: Vec::new(),
        }
    }

    /// A nexthop via `gateway`.
    pub fn via(id: u32, gateway: IpAddr) -> NexthopDesired {
        let mut n = NexthopDesired::empty(id);
        n.via = Some(gateway);
        n
    }

    /// Sets the output interface.
    pub fn dev(mut self, dev: IfName) -> Self {
        self.dev = Some(dev);
        self
    }

    /// A blackhole nexthop.
    pub fn blackhole(id: u32) -> NexthopDesired {
        let mut n = NexthopDesired::empty(id);
        n.blackhole = true;
        n
    }

    /// A multipath group.
    pub fn group(id: u32, members: Vec<NexthopMember>) -> NexthopDesired {
        let mut n = NexthopDesired::empty(id);
        n.group = members;
        n
    }
}

/// A desired policy rule. The reconciler forces its own protocol number on it.
///
/// ```
/// use linx::reconcile::net::RuleDesired;
/// let r = RuleDesired::new(1000).from("203.0.113.0/24".parse()?).table(100);
/// assert_eq!(r.priority, 1000);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct RuleDesired {
    /// Priority (part of the rule's identity, so required).
    pub priority: u32,
    /// Source prefix.
    #[cfg_attr(feature = "serde", serde(default))]
    pub from: Option<Prefix>,
    /// Destination prefix.
    #[cfg_attr(feature = "serde", serde(default))]
    pub to: Option<Prefix>,
    /// Table to look up (the default action).
    #[cfg_attr(feature = "serde", serde(default))]
    pub table: Option<TableId>,
    /// Firewall mark.
    #[cfg_attr(feature = "serde", serde(default))]
    pub fwmark: Option<u32>,
    /// Firewall mark mask.
    #[cfg_attr(feature = "serde", serde(default))]
    pub fwmask: Option<u32>,
    /// Input interface.
    #[cfg_attr(feature = "serde", serde(default))]
    pub iif: Option<IfName>,
    /// Output interface.
    #[cfg_attr(feature = "serde", serde(default))]
    pub oif: Option<IfName>,
    /// `lookup` (default), `blackhole`, `unreachable`, `prohibit` or `nop`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub action: Option<String>,
    /// `inet` or `inet6` for rules without prefixes (default `inet`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub family: Option<String>,
}

impl RuleDesired {
    /// A rule at `priority`.
    pub fn new(priority: u32) -> RuleDesired {
        RuleDesired {
            priority,
            from: None,
            to: None,
            table: None,
            fwmark: None,
            fwmask: None,
            iif: None,
            oif: None,
            action: None,
            family: None,
        }
    }

    /// Sets the source prefix.
    pub fn from(mut self, p: Prefix) -> Self {
        self.from = Some(p);
        self
    }

    /// Sets the destination prefix.
    pub fn to(mut self, p: Prefix) -> Self {
        self.to = Some(p);
        self
    }

    /// Sets the table.
    pub fn table(mut self, t: u32) -> Self {
        self.table = Some(TableId(t));
        self
    }

    /// Sets the firewall mark.
    pub fn fwmark(mut self, mark: u32) -> Self {
        self.fwmark = Some(mark);
        self
    }

    /// Sets the action.
    pub fn action(mut self, action: &str) -> Self {
        self.action = Some(action.to_owned());
        self
    }
}

/// The desired network state of one namespace.
///
/// ```
/// use linx::reconcile::net::{AddressDesired, NetDesired};
/// let d = NetDesired::new().address(AddressDesired::new("v0".parse()?, "192.0.2.10/24".parse()?));
/// d.validate()?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct NetDesired {
    /// Links.
    pub links: Vec<LinkDesired>,
    /// Addresses.
    pub addresses: Vec<AddressDesired>,
    /// Routes.
    pub routes: Vec<RouteDesired>,
    /// Neighbours.
    pub neighbours: Vec<NeighbourDesired>,
    /// Rules.
    pub rules: Vec<RuleDesired>,
    /// Nexthop objects.
    pub nexthops: Vec<NexthopDesired>,
}

impl NetDesired {
    /// Nothing desired (an empty desired state still deletes owned objects).
    pub fn new() -> NetDesired {
        NetDesired::default()
    }

    /// Adds a link.
    pub fn link(mut self, l: LinkDesired) -> Self {
        self.links.push(l);
        self
    }

    /// Adds an address.
    pub fn address(mut self, a: AddressDesired) -> Self {
        self.addresses.push(a);
        self
    }

    /// Adds a route.
    pub fn route(mut self, r: RouteDesired) -> Self {
        self.routes.push(r);
        self
    }

    /// Adds a neighbour.
    pub fn neighbour(mut self, n: NeighbourDesired) -> Self {
        self.neighbours.push(n);
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, r: RuleDesired) -> Self {
        self.rules.push(r);
        self
    }

    /// Adds a nexthop object.
    pub fn nexthop(mut self, n: NexthopDesired) -> Self {
        self.nexthops.push(n);
        self
    }

    /// True when nothing is desired.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
            && self.addresses.is_empty()
            && self.routes.is_empty()
            && self.neighbours.is_empty()
            && self.rules.is_empty()
            && self.nexthops.is_empty()
    }

    /// Checks everything that does not need the kernel (REC-44): known link kinds, veth peers,
    /// family consistency, route types and rule actions, multipath weights, duplicate keys.
    /// Errors name the entry (`routes[2]`).
    ///
    /// # Errors
    /// [`Error::Input`] for the first invalid entry.
    pub fn validate(&self) -> Result<()> {
        let mut names = BTreeMap::new();
        for (i, l) in self.links.iter().enumerate() {
            let at = At("links", i);
            if let Some(prev) = names.insert(l.name, i) {
                return Err(input(
                    at,
                    l.name.as_str(),
                    format!("duplicate of links[{prev}]"),
                ));
            }
            match (l.kind.as_deref(), &l.peer) {
                (Some("veth"), None) => {
                    return Err(input(at, l.name.as_str(), "a veth needs a peer"));
                }
                (Some(k), Some(_)) if k != "veth" => {
                    return Err(input(at, k, "only veth links take a peer"));
                }
                (None, Some(_)) => {
                    return Err(input(at, l.name.as_str(), "a peer needs kind = \"veth\""));
                }
                (Some(k), _) if k.is_empty() || !k.bytes().all(|b| b.is_ascii_graphic()) => {
                    return Err(input(at, k, "not a link kind"));
                }
                _ => {}
            }
            if l.peer == Some(l.name) {
                return Err(input(at, l.name.as_str(), "a veth cannot be its own peer"));
            }
            if l.master == Some(l.name) {
                return Err(input(
                    at,
                    l.name.as_str(),
                    "a link cannot be its own master",
                ));
            }
            if l.mtu == Some(0) {
                return Err(input(at, "0", "MTU must be positive"));
            }
        }
        let mut seen = BTreeMap::new();
        for (i, a) in self.addresses.iter().enumerate() {
            let at = At("addresses", i);
            if let Some(p) = &a.peer
                && p.is_ipv4() != a.address.is_ipv4()
            {
                return Err(input(
                    at,
                    p.to_string(),
                    format!("peer family differs from {}", a.address),
                ));
            }
            if a.label
                .as_ref()
                .is_some_and(|l| l.is_empty() || l.len() > 15 || l.contains('\0'))
            {
                return Err(input(
                    at,
                    a.label.clone().unwrap_or_default(),
                    "label must be 1..=15 bytes",
                ));
            }
            let key = (a.dev, a.address.addr(), a.address.len());
            if let Some(prev) = seen.insert(key, i) {
                return Err(input(
                    at,
                    format!("{} dev {}", a.address, a.dev),
                    format!("duplicate of addresses[{prev}]"),
                ));
            }
        }
        let mut seen = BTreeMap::new();
        for (i, r) in self.routes.iter().enumerate() {
            let at = At("routes", i);
            let fam = r.family();
            let check = |what: &str, ip: &IpAddr| {
                if family_of(ip) == fam {
                    Ok(())
                } else {
                    Err(input(
                        at,
                        ip.to_string(),
                        format!(
                            "{what} is {} but the destination {} is {}",
                            family_word(family_of(ip)),
                            r.dst,
                            family_word(fam)
                        ),
                    ))
                }
            };
            if let Some(g) = &r.via {
                check("gateway", g)?;
            }
            if let Some(s) = &r.src {
                check("preferred source", s)?;
            }
            for h in &r.nexthops {
                if let Some(g) = &h.via {
                    check("nexthop gateway", g)?;
                }
                if h.via.is_none() && h.dev.is_none() {
                    return Err(input(at, "{}", "a nexthop needs via or dev"));
                }
                if let Some(w) = h.weight
                    && !(1..=256).contains(&w)
                {
                    return Err(input(
                        at,
                        w.to_string(),
                        "nexthop weight must be in 1..=256",
                    ));
                }
            }
            if !r.nexthops.is_empty() && (r.via.is_some() || r.dev.is_some()) {
                return Err(input(
                    at,
                    r.to_string(),
                    "nexthops cannot be combined with via or dev",
                ));
            }
            if r.nhid.is_some() && (r.via.is_some() || r.dev.is_some() || !r.nexthops.is_empty()) {
                return Err(input(
                    at,
                    r.to_string(),
                    "nhid cannot be combined with via, dev or nexthops",
                ));
            }
            if r.nhid == Some(0) {
                return Err(input(at, "0", "nexthop ids start at 1"));
            }
            let kind = route_type(r).map_err(|e| relabel(e, at))?;
            if kind == RouteType::UNICAST
                && r.via.is_none()
                && r.dev.is_none()
                && r.nexthops.is_empty()
                && r.nhid.is_none()
            {
                return Err(input(
                    at,
                    r.to_string(),
                    "a unicast route needs via, dev or nexthops",
                ));
            }
            let key = route_key_of(r, fam);
            if let Some(prev) = seen.insert(key, i) {
                return Err(input(
                    at,
                    r.to_string(),
                    format!("duplicate of routes[{prev}]"),
                ));
            }
        }
        let mut seen = BTreeMap::new();
        for (i, n) in self.neighbours.iter().enumerate() {
            let at = At("neighbours", i);
            if let Some(prev) = seen.insert((n.dev, n.dst), i) {
                return Err(input(
                    at,
                    format!("{} dev {}", n.dst, n.dev),
                    format!("duplicate of neighbours[{prev}]"),
                ));
            }
        }
        let mut seen = BTreeMap::new();
        for (i, n) in self.nexthops.iter().enumerate() {
            let at = At("nexthops", i);
            if n.id == 0 {
                return Err(input(at, "0", "nexthop ids start at 1"));
            }
            if let Some(prev) = seen.insert(n.id, i) {
                return Err(input(
                    at,
                    n.id.to_string(),
                    format!("duplicate of nexthops[{prev}]"),
                ));
            }
            let kinds = usize::from(n.via.is_some() || n.dev.is_some())
                + usize::from(n.blackhole)
                + usize::from(!n.group.is_empty());
            if kinds != 1 {
                return Err(input(
                    at,
                    n.id.to_string(),
                    "a nexthop is exactly one of: via/dev, blackhole, group",
                ));
            }
            for m in &n.group {
                if m.id == 0 || m.id == n.id {
                    return Err(input(at, m.id.to_string(), "not a valid group member id"));
                }
                if m.weight.is_some_and(|w| !(1..=256).contains(&w)) {
                    return Err(input(
                        at,
                        m.weight.unwrap_or(0).to_string(),
                        "group weight must be in 1..=256",
                    ));
                }
            }
        }
        let mut seen = BTreeMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            let at = At("rules", i);
            let rule = desired_rule(r, DEFAULT_PROTOCOL).map_err(|e| relabel(e, at))?;
            if let Some(prev) = seen.insert(diff::rule_key(&rule), i) {
                return Err(input(
                    at,
                    rule.to_string(),
                    format!("duplicate of rules[{prev}]"),
                ));
            }
        }
        Ok(())
    }
}

/// Renames an input error's argument to the entry path, keeping the original argument in the
/// reason.
fn relabel(e: Error, at: impl fmt::Display) -> Error {
    match e {
        Error::Input(mut i) => {
            i.reason = format!("{}: {}", i.argument, i.reason).into();
            i.argument = at.to_string().into();
            i.subsystem = Subsystem::Reconcile;
            Error::Input(i)
        }
        other => other,
    }
}

fn route_type(r: &RouteDesired) -> Result<RouteType> {
    match &r.kind {
        None => Ok(RouteType::UNICAST),
        Some(k) => RouteType::parse(k),
    }
}

fn route_key_of(r: &RouteDesired, fam: u8) -> (u32, u8, Prefix, u32) {
    let default_metric = if fam == AF_INET6 { 1024 } else { 0 };
    (
        r.table.unwrap_or_default().0,
        fam,
        r.prefix(),
        r.metric.unwrap_or(default_metric),
    )
}

fn rule_action(r: &RuleDesired) -> Result<RuleAction> {
    Ok(match r.action.as_deref() {
        None | Some("lookup") | Some("table") => RuleAction::TO_TABLE,
        Some("blackhole") => RuleAction::BLACKHOLE,
        Some("unreachable") => RuleAction::UNREACHABLE,
        Some("prohibit") => RuleAction::PROHIBIT,
        Some("nop") => RuleAction::NOP,
        Some(other) => {
            return Err(Error::input(
                Subsystem::Reconcile,
                "rule action",
                other,
                "expected lookup, blackhole, unreachable, prohibit or nop",
            ));
        }
    })
}

/// The kernel object a desired rule becomes (protocol forced).
fn desired_rule(r: &RuleDesired, protocol: RouteProtocol) -> Result<Rule> {
    let action = rule_action(r)?;
    let fam_field = match r.family.as_deref() {
        None => None,
        Some("inet") | Some("ipv4") => Some(AF_INET),
        Some("inet6") | Some("ipv6") => Some(AF_INET6),
        Some(other) => {
            return Err(Error::input(
                Subsystem::Reconcile,
                "rule family",
                other,
                "expected inet or inet6",
            ));
        }
    };
    let mut family = fam_field;
    for p in [&r.from, &r.to].into_iter().flatten() {
        let f = family_of(&p.addr());
        match family {
            Some(x) if x != f => {
                return Err(Error::input(
                    Subsystem::Reconcile,
                    "rule prefix",
                    p.to_string(),
                    format!("is {} but the rule is {}", family_word(f), family_word(x)),
                ));
            }
            _ => family = Some(f),
        }
    }
    if action == RuleAction::TO_TABLE && r.table.is_none() {
        return Err(Error::input(
            Subsystem::Reconcile,
            "rule table",
            "none",
            "the lookup action needs a table",
        ));
    }
    if action != RuleAction::TO_TABLE && r.table.is_some() {
        return Err(Error::input(
            Subsystem::Reconcile,
            "rule table",
            r.table.unwrap_or_default().to_string(),
            "only the lookup action takes a table",
        ));
    }
    let mut rule = Rule {
        family: family.unwrap_or(AF_INET),
        priority: Some(r.priority),
        action,
        table: r.table.map_or(0, |t| t.0),
        protocol: Some(protocol.0),
        fwmark: r.fwmark,
        fwmask: r.fwmask,
        iif: r.iif.map(|i| i.as_str().to_owned()),
        oif: r.oif.map(|i| i.as_str().to_owned()),
        ..Rule::default()
    };
    if let Some(p) = r.from {
        rule.src = Some(p.addr());
        rule.src_len = p.len();
    }
    if let Some(p) = r.to {
        rule.dst = Some(p.addr());
        rule.dst_len = p.len();
    }
    Ok(rule)
}

// ------------------------------------------------------------------------------------------
// Ownership, observation, plan, operations
// ------------------------------------------------------------------------------------------

/// The `last_applied` of the rtnetlink reconciler: what it created, by interface **name** (never
/// by index). Routes and rules need none (they are owned by protocol).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct NetOwned {
    /// Links created by this reconciler.
    pub links: BTreeSet<IfName>,
    /// Addresses written by this reconciler: (interface, address).
    pub addresses: BTreeSet<(IfName, IfAddr)>,
    /// Permanent neighbours written by this reconciler: (interface, IP).
    pub neighbours: BTreeSet<(IfName, IpAddr)>,
}

impl NetOwned {
    /// True when nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.addresses.is_empty() && self.neighbours.is_empty()
    }
}

/// What a pass read from the namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetObserved {
    /// Every link.
    pub links: Vec<Link>,
    /// Every address.
    pub addresses: Vec<Address>,
    /// Routes of the reconciler's protocol (every table, both families).
    pub routes: Vec<Route>,
    /// IPv4 and IPv6 neighbours (read only when some are desired or owned).
    pub neighbours: Vec<Neighbour>,
    /// Every rule.
    pub rules: Vec<Rule>,
    /// Nexthop objects (empty where the kernel has none, before Linux 5.3).
    pub nexthops: Vec<Nexthop>,
}

/// Whether an operation creates, updates or deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// Create a desired object.
    Create,
    /// Replace an observed object with the desired one.
    Update,
    /// Delete an observed (owned) object.
    Delete,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Delete => "delete",
        })
    }
}

/// The object of a [`NetOp`], with interface names for display and for ownership.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetObject {
    /// A link: what is desired (creates and updates) and what was observed (updates, deletes).
    Link {
        /// Its name.
        name: IfName,
        /// The desired link.
        desired: Option<Box<LinkDesired>>,
        /// The observed link.
        observed: Option<Box<Link>>,
    },
    /// An address.
    Address {
        /// Interface name.
        dev: IfName,
        /// The address (desired for creates and updates, observed for deletes).
        address: Address,
        /// Skip DAD on creation.
        nodad: bool,
    },
    /// A route (of the reconciler's protocol).
    Route {
        /// The route.
        route: Route,
        /// The output interface's name, when it has one.
        dev: Option<IfName>,
        /// Hop interface names, parallel to the route's hops.
        hop_devs: Vec<Option<IfName>>,
    },
    /// A neighbour entry.
    Neighbour {
        /// Interface name.
        dev: IfName,
        /// The entry.
        neighbour: Neighbour,
    },
    /// A policy rule (of the reconciler's protocol).
    Rule(Rule),
    /// A nexthop object (of the reconciler's protocol).
    Nexthop {
        /// The nexthop.
        nexthop: Nexthop,
        /// Its output interface's name.
        dev: Option<IfName>,
    },
}

impl NetObject {
    /// The object class: `link`, `address`, `route`, `neighbour`, `rule`.
    pub fn class(&self) -> &'static str {
        match self {
            NetObject::Link { .. } => "link",
            NetObject::Address { .. } => "address",
            NetObject::Route { .. } => "route",
            NetObject::Neighbour { .. } => "neighbour",
            NetObject::Rule(_) => "rule",
            NetObject::Nexthop { .. } => "nexthop",
        }
    }
}

impl fmt::Display for NetObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetObject::Link {
                name,
                desired,
                observed,
            } => {
                write!(f, "link {name}")?;
                let kind = desired
                    .as_ref()
                    .and_then(|d| d.kind.clone())
                    .or_else(|| observed.as_ref().and_then(|o| o.kind().map(str::to_owned)));
                if let Some(k) = kind {
                    write!(f, " type {k}")?;
                }
                if let Some(d) = desired {
                    if let Some(m) = d.mtu {
                        write!(f, " mtu {m}")?;
                    }
                    if let Some(m) = &d.master {
                        write!(f, " master {m}")?;
                    }
                    match d.up {
                        Some(true) => f.write_str(" up")?,
                        Some(false) => f.write_str(" down")?,
                        None => {}
                    }
                }
                Ok(())
            }
            NetObject::Address { dev, address, .. } => {
                match address.ip() {
                    Some(ip) => write!(f, "address {ip}/{}", address.prefix_len)?,
                    None => write!(f, "address ?/{}", address.prefix_len)?,
                }
                if let Some(p) = address.peer() {
                    write!(f, " peer {p}")?;
                }
                write!(f, " dev {dev}")
            }
            NetObject::Route {
                route,
                dev,
                hop_devs,
            } => {
                f.write_str("route ")?;
                if route.kind != RouteType::UNICAST {
                    write!(f, "{} ", route.kind)?;
                }
                f.write_str(&route.dst_text())?;
                if let Some(g) = route.gateway {
                    write!(f, " via {g}")?;
                }
                if let Some(d) = dev {
                    write!(f, " dev {d}")?;
                }
                for (h, d) in route.multipath.iter().zip(hop_devs) {
                    f.write_str(" nexthop")?;
                    if let Some(g) = h.gateway {
                        write!(f, " via {g}")?;
                    }
                    if let Some(d) = d {
                        write!(f, " dev {d}")?;
                    }
                    write!(f, " weight {}", h.weight)?;
                }
                if route.table != table::MAIN {
                    write!(f, " table {}", table_name(route.table))?;
                }
                if let Some(m) = route.metric {
                    write!(f, " metric {m}")?;
                }
                Ok(())
            }
            NetObject::Neighbour { dev, neighbour } => {
                write!(f, "neighbour ")?;
                if let Some(d) = neighbour.dst {
                    write!(f, "{d}")?;
                }
                if let Some(l) = &neighbour.lladdr {
                    write!(f, " lladdr {l}")?;
                }
                write!(f, " dev {dev}")
            }
            NetObject::Rule(r) => write!(f, "rule {r}"),
            NetObject::Nexthop { nexthop, dev } => {
                write!(f, "nexthop id {}", nexthop.id)?;
                if let Some(g) = nexthop.gateway {
                    write!(f, " via {g}")?;
                }
                if let Some(d) = dev {
                    write!(f, " dev {d}")?;
                }
                if nexthop.blackhole {
                    f.write_str(" blackhole")?;
                }
                if !nexthop.group.is_empty() {
                    let g: Vec<String> = nexthop
                        .group
                        .iter()
                        .map(|m| {
                            if m.weight > 1 {
                                format!("{},{}", m.id, m.weight)
                            } else {
                                m.id.to_string()
                            }
                        })
                        .collect();
                    write!(f, " group {}", g.join("/"))?;
                }
                Ok(())
            }
        }
    }
}

/// One operation of the rtnetlink reconciler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetOp {
    /// Create, update or delete.
    pub change: Change,
    /// What.
    pub object: NetObject,
}

impl NetOp {
    fn new(change: Change, object: NetObject) -> NetOp {
        NetOp { change, object }
    }
}

impl fmt::Display for NetOp {
    /// `create address 192.0.2.10/24 dev v0`, `update route 10.0.0.0/8 via 192.0.2.9 dev v0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.change, self.object)
    }
}

/// The pure plan of a pass: operations in apply order and the ownership to start from (owned
/// entries whose interface vanished are dropped: their objects went with it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetPlan {
    /// Operations in apply order (REC-43).
    pub ops: Vec<NetOp>,
    /// Ownership before applying.
    pub owned: NetOwned,
}

// ------------------------------------------------------------------------------------------
// Normalisation (pure)
// ------------------------------------------------------------------------------------------

/// Name ↔ index resolution for one pass: observed links plus synthetic indexes (counting down
/// from `u32::MAX`) for desired links that will be created, so objects on them diff by name.
struct Names {
    by_name: BTreeMap<IfName, u32>,
    by_index: BTreeMap<u32, IfName>,
}

impl Names {
    fn new(observed: &[Link], creatable: &BTreeSet<IfName>) -> Names {
        let mut by_name = BTreeMap::new();
        let mut by_index = BTreeMap::new();
        for l in observed {
            if let Ok(n) = IfName::new(&l.name) {
                by_name.insert(n, l.index);
                by_index.insert(l.index, n);
            }
        }
        let mut next = u32::MAX;
        for n in creatable {
            if !by_name.contains_key(n) {
                by_name.insert(*n, next);
                by_index.insert(next, *n);
                next -= 1;
            }
        }
        Names { by_name, by_index }
    }

    fn index(&self, at: At, role: &str, name: &IfName) -> Result<u32> {
        self.by_name.get(name).copied().ok_or_else(|| {
            input(
                at,
                name.as_str(),
                format!("no such interface ({role}) in the namespace"),
            )
        })
    }

    fn name(&self, index: u32) -> Option<IfName> {
        self.by_index.get(&index).copied()
    }
}

fn desired_address(a: &AddressDesired, index: u32) -> Address {
    let ip = a.address.addr();
    let v4 = a.address.is_ipv4();
    Address {
        family: if v4 { AF_INET } else { AF_INET6 },
        prefix_len: a.address.len(),
        scope: Scope::UNIVERSE,
        index,
        local: if v4 || a.peer.is_some() {
            Some(ip)
        } else {
            None
        },
        address: Some(a.peer.map_or(ip, |p| p.addr())),
        label: a.label.clone(),
        metric: a.metric,
        ..Address::default()
    }
}

fn desired_route(
    r: &RouteDesired,
    names: &Names,
    at: At,
    protocol: RouteProtocol,
) -> Result<Route> {
    let fam = r.family();
    let prefix = r.prefix();
    let kind = route_type(r).map_err(|e| relabel(e, at))?;
    let mut multipath = Vec::new();
    for h in &r.nexthops {
        multipath.push(MultipathHop {
            weight: h.weight.unwrap_or(1),
            ifindex: match &h.dev {
                Some(d) => names.index(at, "nexthop dev", d)?,
                None => 0,
            },
            gateway: h.via,
            ..MultipathHop::default()
        });
    }
    Ok(Route {
        family: fam,
        dst_len: prefix.len(),
        dst: (prefix.len() > 0).then(|| prefix.addr()),
        table: r.table.unwrap_or_default().0,
        protocol,
        scope: Scope::UNIVERSE,
        kind,
        gateway: r.via,
        oif: match &r.dev {
            Some(d) => Some(names.index(at, "dev", d)?),
            None => None,
        },
        metric: r.metric,
        prefsrc: r.src,
        multipath,
        nh_id: r.nhid,
        ..Route::default()
    })
}

/// Copies what the desired object leaves unset from the observed object with the same key, so
/// only what the caller asked for can differ.
fn fill_route(d: &mut Route, o: &Route) {
    if d.nh_id.is_some() && d.nh_id == o.nh_id {
        // The kernel expands a nexthop object into the route it reports (compat mode).
        d.gateway = o.gateway;
        d.oif = o.oif;
        d.multipath.clone_from(&o.multipath);
    }
    if d.oif.is_none() && d.multipath.is_empty() {
        d.oif = o.oif;
    }
    for h in &mut d.multipath {
        if h.ifindex == 0
            && let Some(oh) = o.multipath.iter().find(|x| x.gateway == h.gateway)
        {
            h.ifindex = oh.ifindex;
        }
    }
    if d.metric.is_none() {
        d.metric = o.metric;
    }
}

fn fill_address(d: &mut Address, o: &Address) {
    if d.label.is_none() {
        d.label.clone_from(&o.label);
    }
    if d.metric.is_none() {
        d.metric = o.metric;
    }
    if d.broadcast.is_none() {
        d.broadcast = o.broadcast;
    }
    if d.peer().is_none() && o.peer().is_some() {
        d.local = o.local;
        d.address = o.address;
    }
}

fn fill_rule(d: &mut Rule, o: &Rule) {
    if d.fwmask.is_none() {
        d.fwmask = o.fwmask;
    }
    d.flags = o.flags;
    if d.goto.is_none() {
        d.goto = o.goto;
    }
}

fn link_kind_of(l: &Link) -> Option<String> {
    l.kind().map(str::to_owned)
}

fn desired_link(d: &LinkDesired, o: Option<&Link>, names: &Names, at: At) -> Result<Link> {
    let mut l = Link {
        name: d.name.as_str().to_owned(),
        index: o.map_or(0, |o| o.index),
        ..Link::default()
    };
    l.mtu = d.mtu.or(o.and_then(|o| o.mtu));
    l.master = match &d.master {
        Some(m) => Some(names.index(at, "master", m)?),
        None => o.and_then(|o| o.master),
    };
    let up = d.up.unwrap_or(o.is_some_and(Link::is_up));
    if up {
        l.flags |= LinkFlags::UP;
    }
    l.address = match &d.address {
        Some(m) => Some(m.as_ref().to_vec()),
        None => o.and_then(|o| o.address.clone()),
    };
    let kind = d.kind.clone().or(o.and_then(link_kind_of));
    l.info = kind.map(|k| LinkInfo {
        kind: Some(k),
        ..LinkInfo::default()
    });
    Ok(l)
}

fn neighbour_value(n: &Neighbour) -> (Option<LlAddr>, bool) {
    (n.lladdr.clone(), n.state.contains(NudState::PERMANENT))
}

/// The plan (pure, REC-03): normalise `desired` against `observed`, diff each object class with
/// the `rtnl::diff` helpers and order the operations (REC-43).
///
/// ```
/// use linx::reconcile::net::{plan, AddressDesired, Change, NetDesired, NetObserved, NetOwned, DEFAULT_PROTOCOL};
/// use linx::rtnl::Link;
/// let mut observed = NetObserved::default();
/// let mut v0 = Link::default();
/// v0.name = "v0".into();
/// v0.index = 2;
/// observed.links.push(v0);
/// let desired = NetDesired::new().address(AddressDesired::new("v0".parse()?, "192.0.2.10/24".parse()?));
/// let p = plan(&observed, &desired, &NetOwned::default(), DEFAULT_PROTOCOL)?;
/// assert_eq!(p.ops.len(), 1);
/// assert_eq!(p.ops[0].change, Change::Create);
/// assert_eq!(p.ops[0].to_string(), "create address 192.0.2.10/24 dev v0");
/// # Ok::<(), linx::Error>(())
/// ```
///
/// # Errors
/// [`Error::Input`] naming the entry for an invalid desired state (REC-44).
pub fn plan(
    observed: &NetObserved,
    desired: &NetDesired,
    owned: &NetOwned,
    protocol: RouteProtocol,
) -> Result<NetPlan> {
    desired.validate()?;
    // Links that a pass may create (desired with a kind, and their veth peers).
    let mut creatable = BTreeSet::new();
    for l in &desired.links {
        if l.kind.is_some() {
            creatable.insert(l.name);
            if let Some(p) = l.peer {
                creatable.insert(p);
            }
        }
    }
    let names = Names::new(&observed.links, &creatable);
    let observed_link = |n: &IfName| observed.links.iter().find(|l| l.name == n.as_str());

    // Ownership: entries whose interface vanished went with it.
    let mut base = NetOwned {
        links: owned
            .links
            .iter()
            .filter(|n| observed_link(n).is_some())
            .copied()
            .collect(),
        ..NetOwned::default()
    };
    let mut owned_addr_keys = BTreeSet::new();
    for (dev, a) in &owned.addresses {
        if let Some(i) = observed_link(dev).map(|l| l.index) {
            base.addresses.insert((*dev, *a));
            owned_addr_keys.insert(AddressKey {
                index: i,
                family: if a.is_ipv4() { AF_INET } else { AF_INET6 },
                address: Some(a.addr()),
                prefix_len: a.len(),
            });
        }
    }
    let mut owned_neigh_keys = BTreeSet::new();
    for (dev, ip) in &owned.neighbours {
        if let Some(i) = observed_link(dev).map(|l| l.index) {
            base.neighbours.insert((*dev, *ip));
            owned_neigh_keys.insert((i, Some(*ip)));
        }
    }

    // Links.
    let mut link_des = Vec::new();
    let mut link_src = BTreeMap::new();
    for (i, d) in desired.links.iter().enumerate() {
        let at = At("links", i);
        let o = observed_link(&d.name);
        if o.is_none() && d.kind.is_none() && !creatable.contains(&d.name) {
            return Err(input(
                at,
                d.name.as_str(),
                "no such interface in the namespace (give a kind to create it)",
            ));
        }
        link_des.push(desired_link(d, o, &names, at)?);
        link_src.insert(d.name, d.clone());
    }
    // The peer of a desired veth stays while its partner is desired, listed or not.
    let desired_peers: BTreeSet<IfName> = desired.links.iter().filter_map(|l| l.peer).collect();
    let owned_links: BTreeSet<String> = base
        .links
        .iter()
        .filter(|n| !desired_peers.contains(n))
        .map(|n| n.as_str().to_owned())
        .collect();
    let peers: BTreeSet<IfName> = desired
        .links
        .iter()
        .filter(|l| l.kind.is_some() && observed_link(&l.name).is_none())
        .filter_map(|l| l.peer)
        .collect();
    let mut link_creates = Vec::new();
    let mut link_updates = Vec::new();
    let mut link_deletes = Vec::new();
    for op in diff::diff_links_owned(&observed.links, &link_des, &owned_links) {
        let (change, l) = match op {
            Op::Create(l) => (Change::Create, l),
            Op::Update(l) => (Change::Update, l),
            Op::Delete(l) => (Change::Delete, l),
        };
        let Ok(name) = IfName::new(&l.name) else {
            continue;
        };
        let observed = observed_link(&name).cloned().map(Box::new);
        let desired = link_src.get(&name).cloned().map(Box::new);
        match change {
            // A peer of a veth created in this pass comes with it: only its attributes remain.
            Change::Create if peers.contains(&name) => link_updates.push(NetOp::new(
                Change::Update,
                NetObject::Link {
                    name,
                    desired,
                    observed,
                },
            )),
            Change::Create => link_creates.push(NetOp::new(
                Change::Create,
                NetObject::Link {
                    name,
                    desired,
                    observed,
                },
            )),
            Change::Update => link_updates.push(NetOp::new(
                Change::Update,
                NetObject::Link {
                    name,
                    desired,
                    observed,
                },
            )),
            Change::Delete => link_deletes.push(NetOp::new(
                Change::Delete,
                NetObject::Link {
                    name,
                    desired: None,
                    observed: Some(Box::new(l)),
                },
            )),
        }
    }

    // Addresses.
    let universe: Vec<Address> = observed
        .addresses
        .iter()
        .filter(|a| a.scope == Scope::UNIVERSE)
        .cloned()
        .collect();
    let obs_addr: BTreeMap<AddressKey, &Address> =
        universe.iter().map(|a| (diff::address_key(a), a)).collect();
    let mut addr_des = Vec::new();
    let mut nodad = BTreeSet::new();
    for (i, a) in desired.addresses.iter().enumerate() {
        let at = At("addresses", i);
        let idx = names.index(at, "dev", &a.dev)?;
        let mut d = desired_address(a, idx);
        if let Some(o) = obs_addr.get(&diff::address_key(&d)) {
            fill_address(&mut d, o);
        }
        if a.nodad {
            nodad.insert(diff::address_key(&d));
        }
        addr_des.push(d);
    }
    let (mut addr_creates, mut addr_updates, mut addr_deletes) =
        (Vec::new(), Vec::new(), Vec::new());
    for op in diff::diff_addresses_owned(&universe, &addr_des, &owned_addr_keys) {
        let (change, a) = split(op);
        let Some(dev) = names.name(a.index) else {
            continue;
        };
        let obj = NetObject::Address {
            dev,
            nodad: nodad.contains(&diff::address_key(&a)),
            address: a,
        };
        match change {
            Change::Create => addr_creates.push(NetOp::new(change, obj)),
            Change::Update => addr_updates.push(NetOp::new(change, obj)),
            Change::Delete => addr_deletes.push(NetOp::new(change, obj)),
        }
    }

    // Neighbours.
    let obs_neigh: Vec<Neighbour> = observed
        .neighbours
        .iter()
        .filter(|n| matches!(n.family, AF_INET | AF_INET6) && !n.is_proxy())
        .cloned()
        .collect();
    let mut neigh_des = Vec::new();
    for (i, n) in desired.neighbours.iter().enumerate() {
        let at = At("neighbours", i);
        let idx = names.index(at, "dev", &n.dev)?;
        neigh_des.push(Neighbour {
            family: family_of(&n.dst),
            index: idx,
            state: NudState::PERMANENT,
            dst: Some(n.dst),
            lladdr: Some(LlAddr::Mac(n.lladdr)),
            ..Neighbour::default()
        });
    }
    let (mut neigh_sets, mut neigh_deletes) = (Vec::new(), Vec::new());
    for op in diff::diff_owned(
        &obs_neigh,
        &neigh_des,
        &owned_neigh_keys,
        diff::neighbour_key,
        neighbour_value,
    ) {
        let (change, n) = split(op);
        let Some(dev) = names.name(n.index) else {
            continue;
        };
        let obj = NetObject::Neighbour { dev, neighbour: n };
        match change {
            Change::Delete => neigh_deletes.push(NetOp::new(change, obj)),
            _ => neigh_sets.push(NetOp::new(change, obj)),
        }
    }

    // Routes (two-way within the protocol; observation already filters by protocol, the diff
    // helper filters again).
    let obs_route_by_key: BTreeMap<RouteKey, &Route> = observed
        .routes
        .iter()
        .filter(|r| r.protocol == protocol)
        .map(|r| (diff::route_key(r), r))
        .collect();
    let mut route_des = Vec::with_capacity(desired.routes.len());
    for (i, r) in desired.routes.iter().enumerate() {
        let at = At("routes", i);
        let mut d = desired_route(r, &names, at, protocol)?;
        if let Some(o) = obs_route_by_key.get(&diff::route_key(&d)) {
            fill_route(&mut d, o);
        }
        route_des.push(d);
    }
    let (mut route_creates, mut route_updates, mut route_deletes) =
        (Vec::new(), Vec::new(), Vec::new());
    for op in diff::diff_routes(&observed.routes, &route_des, protocol) {
        let (change, r) = split(op);
        let dev = r.oif.and_then(|i| names.name(i));
        let hop_devs = r.multipath.iter().map(|h| names.name(h.ifindex)).collect();
        let obj = NetObject::Route {
            route: r,
            dev,
            hop_devs,
        };
        match change {
            Change::Create => route_creates.push(NetOp::new(change, obj)),
            Change::Update => route_updates.push(NetOp::new(change, obj)),
            Change::Delete => route_deletes.push(NetOp::new(change, obj)),
        }
    }

    // Nexthop objects (two-way within the protocol; members before groups, groups deleted
    // first).
    let obs_nh: Vec<Nexthop> = observed
        .nexthops
        .iter()
        .filter(|n| n.protocol == protocol.0)
        .cloned()
        .collect();
    let obs_nh_by_id: BTreeMap<u32, &Nexthop> = obs_nh.iter().map(|n| (n.id, n)).collect();
    let mut nh_des = Vec::new();
    for (i, n) in desired.nexthops.iter().enumerate() {
        let at = At("nexthops", i);
        let mut d = Nexthop {
            id: n.id,
            protocol: protocol.0,
            gateway: n.via,
            oif: match &n.dev {
                Some(dev) => Some(names.index(at, "dev", dev)?),
                None => None,
            },
            blackhole: n.blackhole,
            group: n
                .group
                .iter()
                .map(|m| GroupMember {
                    id: m.id,
                    weight: m.weight.unwrap_or(1),
                })
                .collect(),
            ..Nexthop::default()
        };
        if let Some(o) = obs_nh_by_id.get(&n.id)
            && d.oif.is_none()
            && d.group.is_empty()
        {
            d.oif = o.oif;
        }
        nh_des.push(d);
    }
    let nh_value = |n: &Nexthop| (n.gateway, n.oif, n.blackhole, n.group.clone());
    let (mut nh_sets, mut nh_deletes) = (Vec::new(), Vec::new());
    for op in diff::diff(&obs_nh, &nh_des, |n| n.id, nh_value) {
        let (change, n) = split(op);
        let dev = n.oif.and_then(|i| names.name(i));
        let obj = NetObject::Nexthop { nexthop: n, dev };
        match change {
            Change::Delete => nh_deletes.push(NetOp::new(change, obj)),
            _ => nh_sets.push(NetOp::new(change, obj)),
        }
    }
    let is_group = |o: &NetOp| matches!(&o.object, NetObject::Nexthop { nexthop, .. } if !nexthop.group.is_empty());
    nh_sets.sort_by_key(|o| is_group(o));
    nh_deletes.sort_by_key(|o| !is_group(o));

    // Rules (two-way within the protocol).
    let obs_rules: Vec<Rule> = observed
        .rules
        .iter()
        .filter(|r| r.protocol == Some(protocol.0))
        .cloned()
        .collect();
    let obs_rule_by_key: BTreeMap<_, &Rule> =
        obs_rules.iter().map(|r| (diff::rule_key(r), r)).collect();
    let mut rule_des = Vec::new();
    for (i, r) in desired.rules.iter().enumerate() {
        let at = At("rules", i);
        let mut d = desired_rule(r, protocol).map_err(|e| relabel(e, at))?;
        if let Some(o) = obs_rule_by_key.get(&diff::rule_key(&d)) {
            fill_rule(&mut d, o);
        }
        rule_des.push(d);
    }
    let (mut rule_sets, mut rule_deletes) = (Vec::new(), Vec::new());
    for op in diff::diff_rules(&obs_rules, &rule_des) {
        let (change, r) = split(op);
        let obj = NetObject::Rule(r);
        match change {
            Change::Delete => rule_deletes.push(NetOp::new(change, obj)),
            _ => rule_sets.push(NetOp::new(change, obj)),
        }
    }

    let mut ops = Vec::new();
    ops.extend(link_creates);
    ops.extend(link_updates);
    ops.extend(addr_creates);
    ops.extend(addr_updates);
    ops.extend(neigh_sets);
    ops.extend(nh_sets);
    ops.extend(route_creates);
    ops.extend(route_updates);
    ops.extend(rule_sets);
    ops.extend(rule_deletes);
    ops.extend(route_deletes);
    ops.extend(nh_deletes);
    ops.extend(neigh_deletes);
    ops.extend(addr_deletes);
    ops.extend(link_deletes);
    Ok(NetPlan { ops, owned: base })
}

fn split<T>(op: Op<T>) -> (Change, T) {
    match op {
        Op::Create(t) => (Change::Create, t),
        Op::Update(t) => (Change::Update, t),
        Op::Delete(t) => (Change::Delete, t),
    }
}

// ------------------------------------------------------------------------------------------
// Apply
// ------------------------------------------------------------------------------------------

fn gone(e: &Error, errnos: &[Errno]) -> bool {
    e.errno().is_some_and(|x| errnos.contains(&x))
}

fn if_addr_of(a: &Address) -> Option<IfAddr> {
    a.if_addr()
}

fn apply_one(rtnl: &mut Rtnl, op: &NetOp, owned: &mut NetOwned) -> Result<()> {
    match (&op.object, op.change) {
        (NetObject::Link { name, desired, .. }, Change::Create) => {
            let d = desired
                .as_deref()
                .ok_or_else(|| input("links", name.as_str(), "nothing desired to create"))?;
            let mut spec = match d.kind.as_deref() {
                Some("bridge") => LinkSpec::bridge(name.as_str()),
                Some("dummy") => LinkSpec::dummy(name.as_str()),
                Some("veth") => {
                    let peer = d.peer.map(|p| p.as_str().to_owned()).unwrap_or_default();
                    LinkSpec::veth(name.as_str(), &peer)
                }
                Some(other) => LinkSpec::generic(name.as_str(), other, Vec::new()),
                None => {
                    return Err(input("links", name.as_str(), "no kind to create it with"));
                }
            };
            if let Some(m) = d.mtu {
                spec = spec.mtu(m);
            }
            if let Some(a) = d.address {
                spec = spec.address(a);
            }
            if let Some(m) = d.master {
                spec = spec.master(m.as_str());
            }
            if d.up == Some(true) {
                spec = spec.up();
            }
            rtnl.create_link(&spec)?;
            owned.links.insert(*name);
            if let Some(p) = d.peer {
                owned.links.insert(p);
            }
            Ok(())
        }
        (
            NetObject::Link {
                name,
                desired,
                observed,
            },
            Change::Update,
        ) => {
            let d = desired
                .as_deref()
                .ok_or_else(|| input("links", name.as_str(), "nothing desired to update"))?;
            if let (Some(want), Some(have)) =
                (d.kind.as_deref(), observed.as_deref().and_then(Link::kind))
                && want != have
            {
                return Err(input(
                    "links",
                    name.as_str(),
                    format!(
                        "exists with kind {have}, desired kind {want} (delete it to let it be recreated)"
                    ),
                ));
            }
            let mut ch = LinkChange::new();
            let o = observed.as_deref();
            if let Some(m) = d.mtu.filter(|m| o.and_then(|o| o.mtu) != Some(*m)) {
                ch = ch.mtu(m);
            }
            if let Some(a) = d
                .address
                .filter(|a| o.and_then(|o| o.address.as_deref()) != Some(a.as_ref()))
            {
                ch = ch.address(a);
            }
            if let Some(m) = d.master {
                ch = ch.master(m.as_str());
            }
            if let Some(up) = d.up {
                ch = ch.up(up);
            }
            rtnl.set_link(name.as_str(), &ch)
        }
        (NetObject::Link { name, .. }, Change::Delete) => {
            match rtnl.delete_link(name.as_str()) {
                Err(e) if !gone(&e, &[Errno::NODEV]) => return Err(e),
                _ => {}
            }
            owned.links.remove(name);
            Ok(())
        }
        (
            NetObject::Address {
                dev,
                address,
                nodad,
            },
            Change::Create | Change::Update,
        ) => {
            let ifaddr = if_addr_of(address)
                .ok_or_else(|| input("addresses", address.to_string(), "no address"))?;
            let mut spec = AddressSpec::new(dev.as_str(), ifaddr);
            if let Some(p) = address.peer()
                && let Ok(p) = IfAddr::new(p, address.prefix_len)
            {
                spec = spec.peer(p);
            }
            if let Some(l) = &address.label {
                spec = spec.label(l);
            }
            if let Some(m) = address.metric {
                spec = spec.metric(m);
            }
            if *nodad {
                spec = spec.nodad();
            }
            rtnl.replace_address(&spec)?;
            owned.addresses.insert((*dev, ifaddr));
            Ok(())
        }
        (NetObject::Address { dev, address, .. }, Change::Delete) => {
            match rtnl.delete_observed_address(address) {
                Err(e) if !gone(&e, &[Errno::NODEV, Errno::ADDRNOTAVAIL]) => return Err(e),
                _ => {}
            }
            if let Some(a) = if_addr_of(address) {
                owned.addresses.remove(&(*dev, a));
            }
            Ok(())
        }
        (NetObject::Neighbour { dev, neighbour }, Change::Create | Change::Update) => {
            let dst = neighbour
                .dst
                .ok_or_else(|| input("neighbours", dev.as_str(), "no destination"))?;
            let mut spec = NeighSpec::new(dev.as_str(), dst);
            if let Some(LlAddr::Mac(m)) = &neighbour.lladdr {
                spec = spec.lladdr(*m);
            }
            rtnl.replace_neighbour(&spec)?;
            owned.neighbours.insert((*dev, dst));
            Ok(())
        }
        (NetObject::Neighbour { dev, neighbour }, Change::Delete) => {
            if let Some(dst) = neighbour.dst {
                match rtnl.delete_neighbour(&NeighSpec::new(dev.as_str(), dst)) {
                    Err(e) if !gone(&e, &[Errno::NOENT, Errno::NODEV]) => return Err(e),
                    _ => {}
                }
                owned.neighbours.remove(&(*dev, dst));
            }
            Ok(())
        }
        (
            NetObject::Route {
                route,
                dev,
                hop_devs,
            },
            Change::Create | Change::Update,
        ) => {
            let spec = route_spec(route, dev.as_ref(), hop_devs)?;
            if op.change == Change::Create {
                rtnl.add_route(&spec)
            } else {
                rtnl.replace_route(&spec)
            }
        }
        (NetObject::Route { route, .. }, Change::Delete) => {
            match rtnl.delete_observed_route(route) {
                Err(e) if !gone(&e, &[Errno::SRCH, Errno::NODEV]) => Err(e),
                _ => Ok(()),
            }
        }
        (NetObject::Rule(r), Change::Create) => rtnl.add_rule(&rule_spec(r)),
        (NetObject::Rule(r), Change::Update) => {
            // Rules cannot be replaced in place: delete the observed one, add the desired one.
            let spec = rule_spec(r);
            let mut del = spec.clone();
            del.action = None;
            del.iif = None;
            del.oif = None;
            del.fwmark = r.fwmark.map(|m| (m, None));
            match rtnl.delete_rule(&del) {
                Err(e) if !gone(&e, &[Errno::NOENT]) => return Err(e),
                _ => {}
            }
            rtnl.add_rule(&spec)
        }
        (NetObject::Nexthop { nexthop, dev }, Change::Create | Change::Update) => {
            let mut spec = if nexthop.blackhole {
                NexthopSpec::blackhole(nexthop.id)
            } else if !nexthop.group.is_empty() {
                NexthopSpec::group(nexthop.id, nexthop.group.clone())
            } else {
                let mut s = NexthopSpec::blackhole(nexthop.id);
                s.kind = NexthopKind::Gateway {
                    gateway: nexthop.gateway,
                    oif: match dev {
                        Some(d) => Some(LinkRef::Name(d.as_str().to_owned())),
                        None => nexthop
                            .oif
                            .filter(|i| *i < u32::MAX / 2)
                            .map(LinkRef::Index),
                    },
                    onlink: false,
                };
                s
            };
            spec.protocol = Some(nexthop.protocol);
            if op.change == Change::Create {
                rtnl.add_nexthop(&spec)
            } else {
                rtnl.replace_nexthop(&spec)
            }
        }
        (NetObject::Nexthop { nexthop, .. }, Change::Delete) => {
            match rtnl.delete_nexthop(nexthop.id) {
                Err(e) if !gone(&e, &[Errno::NOENT]) => Err(e),
                _ => Ok(()),
            }
        }
        (NetObject::Rule(r), Change::Delete) => match rtnl.delete_observed_rule(r) {
            Err(e) if !gone(&e, &[Errno::NOENT]) => Err(e),
            _ => Ok(()),
        },
    }
}

fn route_spec(r: &Route, dev: Option<&IfName>, hop_devs: &[Option<IfName>]) -> Result<RouteSpec> {
    let prefix = r
        .destination()
        .ok_or_else(|| input("routes", r.dst_text(), "not an IP route"))?;
    let mut spec = RouteSpec::new(prefix)
        .table(r.table)
        .protocol(r.protocol)
        .kind(r.kind);
    if let Some(g) = r.gateway {
        spec = spec.gateway(g);
    }
    if let Some(d) = dev {
        spec = spec.oif(d.as_str());
    } else if let Some(i) = r.oif.filter(|i| *i < u32::MAX / 2) {
        spec = spec.oif(i);
    }
    if let Some(m) = r.metric {
        spec = spec.metric(m);
    }
    if let Some(p) = r.prefsrc {
        spec = spec.prefsrc(p);
    }
    if let Some(id) = r.nh_id {
        // The nexthop object carries gateway, device and hops.
        spec.gateway = None;
        spec.oif = None;
        return Ok(spec.nh_id(id));
    }
    for (h, d) in r
        .multipath
        .iter()
        .zip(hop_devs.iter().chain(std::iter::repeat(&None)))
    {
        let mut hop = match h.gateway {
            Some(g) => HopSpec::via(g),
            None => match d {
                Some(d) => HopSpec::dev(d.as_str()),
                None => HopSpec::dev(h.ifindex),
            },
        };
        if h.gateway.is_some() {
            if let Some(d) = d {
                hop = hop.oif(d.as_str());
            } else if h.ifindex != 0 && h.ifindex < u32::MAX / 2 {
                hop = hop.oif(h.ifindex);
            }
        }
        spec = spec.hop(hop.weight(h.weight));
    }
    Ok(spec)
}

fn rule_spec(r: &Rule) -> RuleSpec {
    let mut s = RuleSpec::new();
    s.family = Some(r.family);
    s.priority = r.priority;
    s.src = r
        .src
        .and_then(|a| Prefix::new_truncating(a, r.src_len).ok());
    s.dst = r
        .dst
        .and_then(|a| Prefix::new_truncating(a, r.dst_len).ok());
    s.fwmark = r.fwmark.map(|m| (m, r.fwmask));
    s.table = (r.table != 0).then_some(r.table);
    s.action = Some(r.action);
    s.iif.clone_from(&r.iif);
    s.oif.clone_from(&r.oif);
    s.protocol = r.protocol;
    s
}

/// Applies a plan fail-fast (REC-43): operations in order; the first failure stops the pass and
/// the rest become `pending`.
///
/// ```no_run
/// use linx::ns::NsTarget;
/// use linx::reconcile::net::{apply_plan, plan, NetDesired, NetOwned, NetReconciler, DEFAULT_PROTOCOL};
/// let mut rtnl = linx::rtnl::Rtnl::open(&NsTarget::Current)?;
/// let observed = NetReconciler::new().observe_with(&NsTarget::Current, false, false)?;
/// let p = plan(&observed, &NetDesired::new(), &NetOwned::default(), DEFAULT_PROTOCOL)?;
/// let report = apply_plan(&mut rtnl, p);
/// println!("{report}");
/// # Ok::<(), linx::Error>(())
/// ```
pub fn apply_plan(rtnl: &mut Rtnl, plan: NetPlan) -> Report<NetOp, NetOwned> {
    let mut owned = plan.owned;
    let mut report = Report::new(NetOwned::default());
    let mut ops = plan.ops.into_iter();
    for op in ops.by_ref() {
        match apply_one(rtnl, &op, &mut owned) {
            Ok(()) => report.applied.push(op),
            Err(e) => {
                report.failed.push((op, e));
                break;
            }
        }
    }
    report.pending.extend(ops);
    report.last_applied = owned;
    report.finish()
}

// ------------------------------------------------------------------------------------------
// The reconciler
// ------------------------------------------------------------------------------------------

/// The rtnetlink reconciler (REC-40).
///
/// ```
/// use linx::reconcile::net::{NetReconciler, DEFAULT_PROTOCOL};
/// use linx::rtnl::RouteProtocol;
/// assert_eq!(NetReconciler::new().protocol(), DEFAULT_PROTOCOL);
/// assert_eq!(NetReconciler::with_protocol(RouteProtocol(77)).protocol().0, 77);
/// ```
#[derive(Debug)]
pub struct NetReconciler {
    protocol: RouteProtocol,
    /// The socket of the last scope (by its `Display`), kept between passes.
    sock: Option<(String, Rtnl)>,
    /// The receive buffer of the monitor [`subscribe`](Reconciler::subscribe) opens.
    monitor_buffer: Option<usize>,
}

impl Default for NetReconciler {
    fn default() -> NetReconciler {
        NetReconciler::new()
    }
}

impl NetReconciler {
    /// A reconciler owning routes and rules of protocol [`DEFAULT_PROTOCOL`] (76).
    pub fn new() -> NetReconciler {
        NetReconciler::with_protocol(DEFAULT_PROTOCOL)
    }

    /// A reconciler owning routes and rules of `protocol` (give two reconcilers sharing a
    /// namespace distinct numbers).
    pub fn with_protocol(protocol: RouteProtocol) -> NetReconciler {
        NetReconciler {
            protocol,
            sock: None,
            monitor_buffer: None,
        }
    }

    /// Sets the receive buffer (`SO_RCVBUF`, or `SO_RCVBUFFORCE` for privileged callers) of the
    /// route monitor that [`subscribe`](Reconciler::subscribe) opens. A larger buffer makes
    /// overruns under event floods rarer; an overrun is never lost either way — it wakes the
    /// loop for a full pass (REC-06, REC-46).
    ///
    /// ```
    /// use linx::reconcile::net::NetReconciler;
    /// let net = NetReconciler::new().monitor_buffer(4 << 20);
    /// # let _ = net;
    /// ```
    pub fn monitor_buffer(mut self, bytes: usize) -> NetReconciler {
        self.monitor_buffer = Some(bytes);
        self
    }

    /// The protocol number this reconciler owns.
    pub fn protocol(&self) -> RouteProtocol {
        self.protocol
    }

    fn socket(&mut self, scope: &NsTarget) -> Result<&mut Rtnl> {
        let id = scope.to_string();
        let sock = match self.sock.take() {
            Some((s, r)) if s == id => r,
            _ => Rtnl::open(scope)?,
        };
        Ok(&mut self.sock.insert((id, sock)).1)
    }

    /// Reads links, addresses, routes of this protocol, rules, nexthop objects (required when
    /// `nexthops`, otherwise read if the kernel has them) and (when `neighbours`) the neighbour
    /// tables.
    ///
    /// # Errors
    /// Socket and dump errors ([`Error::DumpInterrupted`] when changes never pause).
    pub fn observe_with(
        &mut self,
        scope: &NsTarget,
        neighbours: bool,
        nexthops: bool,
    ) -> Result<NetObserved> {
        let protocol = self.protocol;
        let r = (|| {
            let rtnl = self.socket(scope)?;
            let mut o = NetObserved {
                links: rtnl.links()?,
                addresses: rtnl.addresses()?,
                ..NetObserved::default()
            };
            rtnl.routes_into(&RouteFilter::default().protocol(protocol), &mut o.routes)?;
            o.rules = rtnl.rules()?;
            o.nexthops = if nexthops {
                rtnl.nexthops()?
            } else {
                // Only to delete owned ones: a kernel without nexthop objects has none.
                rtnl.nexthops().unwrap_or_default()
            };
            if neighbours {
                o.neighbours = rtnl.neighbours_filtered(&NeighFilter::default())?;
            }
            Ok(o)
        })();
        if r.is_err() {
            // A socket that failed may be out of step: open a fresh one next time.
            self.sock = None;
        }
        r
    }
}

struct NetWake {
    mon: RouteMonitor,
    protocol: RouteProtocol,
}

impl NetWake {
    fn relevant(&self, o: &Object) -> bool {
        match o {
            Object::Route(r) => r.protocol == self.protocol,
            Object::Address(a) => a.scope == Scope::UNIVERSE,
            Object::Neighbour(n) => n.state.contains(NudState::PERMANENT),
            Object::Rule(r) => r.protocol == Some(self.protocol.0),
            Object::Nexthop(n) => n.protocol == self.protocol.0,
            Object::Link(_) => true,
            // Object kinds added later (the enum is non-exhaustive) do not wake the loop.
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

impl Wake for NetWake {
    fn fd(&self) -> BorrowedFd<'_> {
        self.mon.as_fd()
    }

    fn drain(&mut self) -> Result<Wakeup> {
        let mut w = Wakeup::Nothing;
        for _ in 0..DRAIN_LIMIT {
            match self.mon.try_next() {
                Ok(None) => break,
                Ok(Some(Event::Overrun)) => return Ok(Wakeup::Overrun),
                Ok(Some(Event::New(o) | Event::Del(o))) => {
                    if self.relevant(&o) {
                        w = Wakeup::Changed;
                    }
                }
                Ok(Some(_)) => {}
                // A malformed notification is still a change; the monitor stays usable.
                Err(Error::Protocol(_)) => w = Wakeup::Changed,
                Err(Error::Overrun { .. }) => return Ok(Wakeup::Overrun),
                Err(e) => return Err(e),
            }
        }
        Ok(w)
    }
}

impl Reconciler for NetReconciler {
    type Scope = NsTarget;
    type Desired = NetDesired;
    type Observed = NetObserved;
    type Plan = NetPlan;
    type Op = NetOp;
    type LastApplied = NetOwned;

    fn observe(
        &mut self,
        scope: &NsTarget,
        desired: &NetDesired,
        last_applied: &NetOwned,
    ) -> Result<NetObserved> {
        let neighbours = !desired.neighbours.is_empty() || !last_applied.neighbours.is_empty();
        self.observe_with(scope, neighbours, !desired.nexthops.is_empty())
    }

    fn diff(
        &self,
        observed: &NetObserved,
        desired: &NetDesired,
        last_applied: &NetOwned,
        _options: &Options,
    ) -> Result<NetPlan> {
        plan(observed, desired, last_applied, self.protocol)
    }

    fn ops(&self, plan: &NetPlan) -> Vec<NetOp> {
        plan.ops.clone()
    }

    fn apply(
        &mut self,
        scope: &NsTarget,
        plan: NetPlan,
        _last_applied: &NetOwned,
        _options: &Options,
    ) -> Result<Report<NetOp, NetOwned>> {
        let rtnl = self.socket(scope)?;
        Ok(apply_plan(rtnl, plan))
    }

    /// A route monitor in the scope (links, addresses, routes, rules, neighbours); events of
    /// other protocols, non-universe addresses and non-permanent neighbours are ignored; an
    /// overrun forces a full pass (REC-46).
    fn subscribe(&mut self, scope: &NsTarget) -> Result<Option<WakeSource>> {
        let mut mon = RouteMonitor::open(
            scope,
            MonitorGroups::LINK
                | MonitorGroups::ADDRESS
                | MonitorGroups::ROUTE
                | MonitorGroups::RULE
                | MonitorGroups::NEIGH
                | MonitorGroups::NEXTHOP,
        )?;
        if let Some(bytes) = self.monitor_buffer {
            mon.set_recv_buffer(bytes)?;
        }
        Ok(Some(WakeSource::new(NetWake {
            mon,
            protocol: self.protocol,
        })))
    }
}
