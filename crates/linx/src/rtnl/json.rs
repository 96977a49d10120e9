//! JSON views with the key names and value conventions of iproute2's `-j` output (`serde`
//! feature), so `linx … show --json` and `ip -j … show` can be diffed mechanically.
//!
//! Each view pairs an object with the namespace's links, to print interface names (`dev`,
//! `master`) as iproute2 does. Fields iproute2 prints conditionally are printed under the same
//! conditions (e.g. `table` only when it is not `main`, `protocol` only when it is not `boot`).
//!
//! ```no_run
//! use linx::rtnl::{Rtnl, json};
//! let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
//! let links = rtnl.links()?;
//! let routes = rtnl.routes()?;
//! let views = json::routes(&routes, &links); // serialise with serde_json::to_string(&views)
//! # Ok::<(), linx::Error>(())
//! ```

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::Scope;
use super::addr::{AddrFlags, Address};
use super::common::{AF_INET, AF_INET6, family_name};
use super::link::Link;
use super::neigh::{NeighFlags, Neighbour};
use super::nexthop::Nexthop;
use super::route::{Route, RouteProtocol, RouteType, table, table_name};
use super::rule::{Rule, RuleAction, ip_proto_name};
use super::stats::LinkStats;

/// A JSON value built without `serde_json` (which the library does not depend on).
enum Val {
    U(u64),
    S(String),
    L(Vec<&'static str>),
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::U(n) => s.serialize_u64(*n),
            Val::S(t) => s.serialize_str(t),
            Val::L(v) => v.serialize(s),
        }
    }
}

/// An ordered JSON object.
struct Obj(Vec<(&'static str, Val)>);

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn link_name(links: &[Link], index: u32) -> Option<&str> {
    // Dumps come in index order: binary search first, scan as the fallback.
    match links.binary_search_by_key(&index, |l| l.index) {
        Ok(i) => Some(links[i].name.as_str()),
        Err(_) => links
            .iter()
            .find(|l| l.index == index)
            .map(|l| l.name.as_str()),
    }
}

struct Flags(Vec<&'static str>);

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in &self.0 {
            seq.serialize_element(f)?;
        }
        seq.end()
    }
}

/// iproute2's `print_rt_flags` words for route and hop flags.
fn rt_flags(flags: u32) -> Flags {
    let mut v = Vec::new();
    for (bit, name) in [
        (0x1, "dead"),
        (0x4, "onlink"),
        (0x2, "pervasive"),
        (0x8, "offload"),
        (0x40, "trap"),
        (0x100, "notify"),
        (0x10, "linkdown"),
        (0x20, "unresolved"),
        (0x4000, "rt_offload"),
        (0x8000, "rt_trap"),
    ] {
        if flags & bit != 0 {
            v.push(name);
        }
    }
    Flags(v)
}

/// A route as `ip -j route show` prints it.
#[derive(Debug, Clone, Copy)]
pub struct RouteJson<'a> {
    /// The route.
    pub route: &'a Route,
    /// The namespace's links (for `dev` names).
    pub links: &'a [Link],
    /// The listing was of one table (`ip route show table N`): iproute2 then omits `table`.
    pub table_filtered: bool,
}

impl Serialize for RouteJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.route;
        let mut m = s.serialize_map(None)?;
        if r.kind != RouteType::UNICAST {
            m.serialize_entry("type", &r.kind.name())?;
        }
        m.serialize_entry("dst", &r.dst_text())?;
        if r.src_len > 0
            && let Some(src) = r.src
        {
            m.serialize_entry("from", &format!("{src}/{}", r.src_len))?;
        }
        if r.tos != 0 {
            m.serialize_entry("tos", &format!("{:#x}", r.tos))?;
        }
        if let Some(g) = r.gateway {
            m.serialize_entry("gateway", &g.to_string())?;
        }
        if let Some(v) = r.via {
            let fam = family_name(if v.is_ipv4() { AF_INET } else { AF_INET6 });
            m.serialize_entry(
                "via",
                &Obj(vec![
                    ("family", Val::S(fam)),
                    ("host", Val::S(v.to_string())),
                ]),
            )?;
        }
        if let Some(o) = r.oif {
            match link_name(self.links, o) {
                Some(n) => m.serialize_entry("dev", n)?,
                None => m.serialize_entry("dev", &format!("if{o}"))?,
            }
        }
        if r.table != table::MAIN && r.table != 0 && !self.table_filtered {
            m.serialize_entry("table", &table_name(r.table))?;
        }
        if r.flags & super::route::RTM_F_CLONED == 0 {
            if r.protocol != RouteProtocol::BOOT {
                m.serialize_entry("protocol", &r.protocol.name())?;
            }
            if r.scope != Scope::UNIVERSE {
                m.serialize_entry("scope", &r.scope.name())?;
            }
        }
        if let Some(p) = r.prefsrc {
            m.serialize_entry("prefsrc", &p.to_string())?;
        }
        if let Some(x) = r.metric {
            m.serialize_entry("metric", &x)?;
        }
        m.serialize_entry("flags", &rt_flags(r.flags))?;
        if let Some(x) = r.mark {
            m.serialize_entry("mark", &x)?;
        }
        if let Some(x) = r.uid {
            m.serialize_entry("uid", &x)?;
        }
        if let Some(metrics) = r.metrics.as_deref().filter(|m| !m.is_empty()) {
            let mut o = Vec::new();
            for (k, v) in [
                ("mtu", metrics.mtu),
                ("window", metrics.window),
                ("advmss", metrics.advmss),
                ("hoplimit", metrics.hoplimit),
                ("initcwnd", metrics.initcwnd),
                ("features", metrics.features),
                ("initrwnd", metrics.initrwnd),
                ("quickack", metrics.quickack),
            ] {
                if let Some(v) = v {
                    o.push((k, Val::U(u64::from(v))));
                }
            }
            if let Some(cc) = &metrics.cc_algo {
                o.push(("congctl", Val::S(cc.clone())));
            }
            m.serialize_entry("metrics", &[Obj(o)])?;
        }
        if let Some(i) = r.iif {
            match link_name(self.links, i) {
                Some(n) => m.serialize_entry("iif", n)?,
                None => m.serialize_entry("iif", &format!("if{i}"))?,
            }
        }
        if let Some(p) = r.pref {
            m.serialize_entry("pref", &p.name())?;
        }
        if let Some(id) = r.nh_id {
            m.serialize_entry("nhid", &id)?;
        }
        if !r.multipath.is_empty() {
            let hops: Vec<Obj> = r
                .multipath
                .iter()
                .map(|h| {
                    let mut o = Vec::new();
                    if let Some(g) = h.gateway {
                        o.push(("gateway", Val::S(g.to_string())));
                    }
                    if h.ifindex != 0 {
                        let dev = link_name(self.links, h.ifindex)
                            .map_or_else(|| format!("if{}", h.ifindex), str::to_owned);
                        o.push(("dev", Val::S(dev)));
                    }
                    o.push(("weight", Val::U(u64::from(h.weight))));
                    o.push(("flags", Val::L(rt_flags(u32::from(h.flags)).0)));
                    Obj(o)
                })
                .collect();
            m.serialize_entry("nexthops", &hops)?;
        }
        m.end()
    }
}

/// Routes as `ip -j route show table all` prints them.
pub fn routes<'a>(routes: &'a [Route], links: &'a [Link]) -> Vec<RouteJson<'a>> {
    routes
        .iter()
        .map(|route| RouteJson {
            route,
            links,
            table_filtered: false,
        })
        .collect()
}

/// Routes of one table as `ip -j route show [table N]` prints them (without `table`).
pub fn routes_of_table<'a>(routes: &'a [Route], links: &'a [Link]) -> Vec<RouteJson<'a>> {
    routes
        .iter()
        .map(|route| RouteJson {
            route,
            links,
            table_filtered: true,
        })
        .collect()
}

/// One `addr_info` entry of `ip -j address show`.
#[derive(Debug, Clone, Copy)]
pub struct AddrInfoJson<'a>(pub &'a Address);

impl Serialize for AddrInfoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("family", &family_name(a.family))?;
        if let Some(ip) = a.ip() {
            m.serialize_entry("local", &ip.to_string())?;
        }
        if let Some(p) = a.peer() {
            m.serialize_entry("address", &p.to_string())?;
        }
        m.serialize_entry("prefixlen", &a.prefix_len)?;
        if let Some(b) = a.broadcast {
            m.serialize_entry("broadcast", &b.to_string())?;
        }
        if let Some(b) = a.anycast {
            m.serialize_entry("anycast", &b.to_string())?;
        }
        m.serialize_entry("scope", &a.scope.name())?;
        // iproute2's print_ifa_flags: every family, in this order; "dynamic" when not permanent.
        let six = a.family == AF_INET6;
        let f = a.flags;
        for (flag, name) in [
            (
                AddrFlags::SECONDARY,
                if six { "temporary" } else { "secondary" },
            ),
            (AddrFlags::NODAD, "nodad"),
            (AddrFlags::OPTIMISTIC, "optimistic"),
            (AddrFlags::DADFAILED, "dadfailed"),
            (AddrFlags::HOMEADDRESS, "home"),
            (AddrFlags::DEPRECATED, "deprecated"),
            (AddrFlags::TENTATIVE, "tentative"),
        ] {
            if f.contains(flag) {
                m.serialize_entry(name, &true)?;
            }
        }
        if !f.contains(AddrFlags::PERMANENT) {
            m.serialize_entry("dynamic", &true)?;
        }
        for (flag, name) in [
            (AddrFlags::MANAGETEMPADDR, "mngtmpaddr"),
            (AddrFlags::NOPREFIXROUTE, "noprefixroute"),
            (AddrFlags::MCAUTOJOIN, "autojoin"),
            (AddrFlags::STABLE_PRIVACY, "stable-privacy"),
        ] {
            if f.contains(flag) {
                m.serialize_entry(name, &true)?;
            }
        }
        if let Some(l) = &a.label {
            m.serialize_entry("label", l)?;
        }
        if let Some(v) = a.valid_lft {
            m.serialize_entry("valid_life_time", &v)?;
        }
        if let Some(v) = a.preferred_lft {
            m.serialize_entry("preferred_life_time", &v)?;
        }
        if let Some(v) = a.metric {
            m.serialize_entry("metric", &v)?;
        }
        m.end()
    }
}

/// A link with its addresses, as `ip -j address show` prints it.
#[derive(Debug, Clone, Copy)]
pub struct AddrShowJson<'a> {
    /// The link.
    pub link: &'a Link,
    /// All links (for `master`/`link` names).
    pub links: &'a [Link],
    /// All addresses (those of this link are printed).
    pub addresses: &'a [Address],
}

impl Serialize for AddrShowJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.link;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ifindex", &l.index)?;
        let mut parent_down = false;
        if let Some(p) = l.parent.filter(|p| *p != l.index) {
            match (l.link_netnsid, self.links.iter().find(|x| x.index == p)) {
                (None, Some(parent)) => {
                    m.serialize_entry("link", &parent.name)?;
                    parent_down = !parent.is_up();
                }
                (None, None) => m.serialize_entry("link", &None::<String>)?,
                (Some(nsid), _) => {
                    m.serialize_entry("link_index", &p)?;
                    m.serialize_entry("link_netnsid", &nsid)?;
                }
            }
        }
        m.serialize_entry("ifname", &l.name)?;
        m.serialize_entry("flags", &l.flags.ip_names(parent_down))?;
        if let Some(v) = l.mtu {
            m.serialize_entry("mtu", &v)?;
        }
        if let Some(v) = &l.qdisc {
            m.serialize_entry("qdisc", v)?;
        }
        if let Some(master) = l.master.and_then(|i| link_name(self.links, i)) {
            m.serialize_entry("master", master)?;
        }
        if let Some(v) = l.operstate {
            m.serialize_entry("operstate", &v.name())?;
        }
        if let Some(v) = l.group {
            if v == 0 {
                m.serialize_entry("group", "default")?;
            } else {
                m.serialize_entry("group", &v.to_string())?;
            }
        }
        if let Some(v) = l.txqlen {
            m.serialize_entry("txqlen", &v)?;
        }
        m.serialize_entry("link_type", &l.link_type_name())?;
        if let Some(a) = l.address_text() {
            m.serialize_entry("address", &a)?;
        }
        if let Some(b) = &l.broadcast {
            m.serialize_entry("broadcast", &super::link::format_ll_addr(b, l.link_type))?;
        }
        let mut mine: Vec<&Address> = self
            .addresses
            .iter()
            .filter(|a| a.index == l.index)
            .collect();
        // iproute2 prints IPv4 before IPv6, each in kernel order.
        mine.sort_by_key(|a| if a.family == AF_INET { 0 } else { 1 });
        let infos: Vec<AddrInfoJson<'_>> = mine.into_iter().map(AddrInfoJson).collect();
        m.serialize_entry("addr_info", &infos)?;
        m.end()
    }
}

/// Links with their addresses, as `ip -j address show` prints them.
pub fn addresses<'a>(links: &'a [Link], addresses: &'a [Address]) -> Vec<AddrShowJson<'a>> {
    links
        .iter()
        .map(|link| AddrShowJson {
            link,
            links,
            addresses,
        })
        .collect()
}

/// A neighbour as `ip -j neigh show` prints it.
#[derive(Debug, Clone, Copy)]
pub struct NeighJson<'a> {
    /// The entry.
    pub neigh: &'a Neighbour,
    /// All links (for `dev`).
    pub links: &'a [Link],
}

impl Serialize for NeighJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.neigh;
        let mut m = s.serialize_map(None)?;
        if let Some(d) = n.dst {
            m.serialize_entry("dst", &d.to_string())?;
        }
        match link_name(self.links, n.index) {
            Some(d) => m.serialize_entry("dev", d)?,
            None => m.serialize_entry("dev", &format!("if{}", n.index))?,
        }
        if let Some(l) = &n.lladdr {
            m.serialize_entry("lladdr", &l.to_string())?;
        }
        if n.flags.contains(NeighFlags::ROUTER) {
            m.serialize_entry("router", &None::<()>)?;
        }
        if n.flags.contains(NeighFlags::PROXY) {
            m.serialize_entry("proxy", &None::<()>)?;
        }
        if n.flags.contains(NeighFlags::EXT_LEARNED) {
            m.serialize_entry("extern_learn", &None::<()>)?;
        }
        if !n.is_proxy() && !n.state.is_empty() {
            m.serialize_entry("state", &n.state.names())?;
        }
        m.end()
    }
}

/// Neighbours as `ip -j neigh show` prints them.
pub fn neighbours<'a>(neighs: &'a [Neighbour], links: &'a [Link]) -> Vec<NeighJson<'a>> {
    neighs
        .iter()
        .map(|neigh| NeighJson { neigh, links })
        .collect()
}

/// A rule as `ip -j rule show` prints it.
#[derive(Debug, Clone, Copy)]
pub struct RuleJson<'a>(pub &'a Rule);

impl Serialize for RuleJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        if r.is_inverted() {
            m.serialize_entry("not", &None::<()>)?;
        }
        m.serialize_entry("priority", &r.priority.unwrap_or(0))?;
        match r.src {
            Some(a) if r.src_len > 0 => {
                m.serialize_entry("src", &a.to_string())?;
                let host = if a.is_ipv4() { 32 } else { 128 };
                if r.src_len != host {
                    m.serialize_entry("srclen", &r.src_len)?;
                }
            }
            _ => m.serialize_entry("src", "all")?,
        }
        if let Some(d) = r.dst
            && r.dst_len > 0
        {
            m.serialize_entry("dst", &d.to_string())?;
            let host = if d.is_ipv4() { 32 } else { 128 };
            if r.dst_len != host {
                m.serialize_entry("dstlen", &r.dst_len)?;
            }
        }
        if r.tos != 0 {
            m.serialize_entry("tos", &format!("{:#x}", r.tos))?;
        }
        if let Some(mark) = r.fwmark.filter(|m| *m != 0) {
            m.serialize_entry("fwmark", &format!("{mark:#x}"))?;
            if let Some(mask) = r.fwmask.filter(|m| *m != u32::MAX) {
                m.serialize_entry("fwmask", &format!("{mask:#x}"))?;
            }
        }
        if let Some(i) = &r.iif {
            m.serialize_entry("iif", i)?;
        }
        if let Some(o) = &r.oif {
            m.serialize_entry("oif", o)?;
        }
        if let Some((a, b)) = r.uid_range {
            m.serialize_entry("uid_start", &a)?;
            m.serialize_entry("uid_end", &b)?;
        }
        if let Some(p) = r.ip_proto {
            m.serialize_entry("ipproto", &ip_proto_name(p))?;
        }
        if let Some((a, b)) = r.sport_range {
            m.serialize_entry("sport_start", &a)?;
            m.serialize_entry("sport_end", &b)?;
        }
        if let Some((a, b)) = r.dport_range {
            m.serialize_entry("dport_start", &a)?;
            m.serialize_entry("dport_end", &b)?;
        }
        if r.table != 0 {
            m.serialize_entry("table", &table_name(r.table))?;
            if let Some(p) = r.suppress_prefixlen.filter(|p| *p >= 0) {
                m.serialize_entry("suppress_prefixlen", &p)?;
            }
        }
        match r.action {
            RuleAction::GOTO => {
                m.serialize_entry("goto", &r.goto.unwrap_or(0))?;
            }
            RuleAction::NOP => m.serialize_entry("action", "nop")?,
            RuleAction::BLACKHOLE => m.serialize_entry("action", "blackhole")?,
            RuleAction::UNREACHABLE => m.serialize_entry("action", "unreachable")?,
            RuleAction::PROHIBIT => m.serialize_entry("action", "prohibit")?,
            _ => {}
        }
        m.end()
    }
}

/// Rules as `ip -j rule show` prints them.
pub fn rules(rules: &[Rule]) -> Vec<RuleJson<'_>> {
    rules.iter().map(RuleJson).collect()
}

/// A nexthop object as `ip -j nexthop show` prints it.
#[derive(Debug, Clone, Copy)]
pub struct NexthopJson<'a> {
    /// The nexthop.
    pub nexthop: &'a Nexthop,
    /// All links (for `dev`).
    pub links: &'a [Link],
}

impl Serialize for NexthopJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.nexthop;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &n.id)?;
        if !n.group.is_empty() {
            let g: Vec<Obj> = n
                .group
                .iter()
                .map(|x| {
                    let mut o = vec![("id", Val::U(u64::from(x.id)))];
                    if x.weight != 1 {
                        o.push(("weight", Val::U(u64::from(x.weight))));
                    }
                    Obj(o)
                })
                .collect();
            m.serialize_entry("group", &g)?;
            if n.group_type == Some(super::nexthop::GROUP_TYPE_RES) {
                m.serialize_entry("type", "resilient")?;
            }
        }
        if let Some(g) = n.gateway {
            m.serialize_entry("gateway", &g.to_string())?;
        }
        if let Some(o) = n.oif {
            match link_name(self.links, o) {
                Some(d) => m.serialize_entry("dev", d)?,
                None => m.serialize_entry("dev", &format!("if{o}"))?,
            }
            m.serialize_entry("scope", &n.scope.name())?;
        }
        if n.blackhole {
            m.serialize_entry("blackhole", &None::<()>)?;
        }
        m.serialize_entry("flags", &rt_flags(n.flags))?;
        if n.protocol != 3 && n.protocol != 0 {
            m.serialize_entry("protocol", &RouteProtocol(n.protocol).name())?;
        }
        if n.fdb {
            m.serialize_entry("fdb", &None::<()>)?;
        }
        m.end()
    }
}

/// Nexthops as `ip -j nexthop show` prints them.
pub fn nexthops<'a>(nhs: &'a [Nexthop], links: &'a [Link]) -> Vec<NexthopJson<'a>> {
    nhs.iter()
        .map(|nexthop| NexthopJson { nexthop, links })
        .collect()
}

/// A link's statistics as `ip -j stats show group link` prints them.
#[derive(Debug, Clone, Copy)]
pub struct StatsJson<'a> {
    /// The statistics.
    pub stats: &'a LinkStats,
    /// All links (for `ifname`).
    pub links: &'a [Link],
}

impl Serialize for StatsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.stats;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ifindex", &st.index)?;
        if let Some(n) = link_name(self.links, st.index) {
            m.serialize_entry("ifname", n)?;
        }
        m.serialize_entry("group", "link")?;
        if let Some(x) = &st.link64 {
            let rx = Obj(vec![
                ("bytes", Val::U(x.rx_bytes)),
                ("packets", Val::U(x.rx_packets)),
                ("errors", Val::U(x.rx_errors)),
                ("dropped", Val::U(x.rx_dropped)),
                ("over_errors", Val::U(x.rx_over_errors)),
                ("multicast", Val::U(x.multicast)),
            ]);
            let tx = Obj(vec![
                ("bytes", Val::U(x.tx_bytes)),
                ("packets", Val::U(x.tx_packets)),
                ("errors", Val::U(x.tx_errors)),
                ("dropped", Val::U(x.tx_dropped)),
                ("carrier_errors", Val::U(x.tx_carrier_errors)),
                ("collisions", Val::U(x.collisions)),
            ]);
            let mut sm = std::collections::BTreeMap::new();
            sm.insert("rx", rx);
            sm.insert("tx", tx);
            m.serialize_entry("stats64", &sm)?;
        }
        m.end()
    }
}

/// Statistics as `ip -j stats show group link` prints them.
pub fn stats<'a>(stats: &'a [LinkStats], links: &'a [Link]) -> Vec<StatsJson<'a>> {
    stats
        .iter()
        .map(|stats| StatsJson { stats, links })
        .collect()
}
