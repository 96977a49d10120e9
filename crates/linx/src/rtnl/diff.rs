//! Pure diff helpers for reconcilers: compare observed and desired objects by key and value.
//!
//! * **Two-way** ([`diff`]): everything observed but not desired is deleted.
//! * **Three-way** ([`diff_owned`]): only observed keys in an *owned* set (what this reconciler
//!   created earlier) are deleted; everything else is left alone.
//!
//! Ops are [`Op::Create`] (desired), [`Op::Update`] (desired) and [`Op::Delete`] (observed), output
//! as all creates, then all updates, then all deletes, each in key order. Keys per object class
//! follow the spec: routes by (table, family, destination — `None` for the default route —,
//! length, metric, TOS) after filtering observed routes to one protocol; addresses by (ifindex,
//! family, address, prefix length) after filtering to scope universe; neighbours by (ifindex,
//! destination); rules by (priority, family, src, src length, dst, dst length, fwmark, table);
//! links by name.
//!
//! ```
//! use linx::rtnl::diff::{diff, Op};
//! let observed = [("a", 1), ("b", 2)];
//! let desired = [("b", 3), ("c", 4)];
//! let ops = diff(&observed, &desired, |x| x.0, |x| x.1);
//! assert_eq!(ops, vec![Op::Create(("c", 4)), Op::Update(("b", 3)), Op::Delete(("a", 1))]);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::addr::Address;
use super::link::Link;
use super::neigh::{LlAddr, Neighbour};
use super::route::{Route, RouteProtocol, RouteType};
use super::rule::{Rule, RuleAction};
use super::{Scope, common::AF_INET6};

/// One step to turn the observed state into the desired one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op<T> {
    /// Create this desired object.
    Create(T),
    /// Replace the observed object with this desired one (same key, different value).
    Update(T),
    /// Delete this observed object.
    Delete(T),
}

impl<T> Op<T> {
    /// The object the op carries.
    pub fn object(&self) -> &T {
        match self {
            Op::Create(t) | Op::Update(t) | Op::Delete(t) => t,
        }
    }
}

fn diff_impl<T: Clone, K: Ord, V: PartialEq>(
    observed: &[T],
    desired: &[T],
    key: impl Fn(&T) -> K,
    value: impl Fn(&T) -> V,
    may_delete: impl Fn(&K) -> bool,
) -> Vec<Op<T>> {
    let mut obs: BTreeMap<K, Vec<&T>> = BTreeMap::new();
    for o in observed {
        obs.entry(key(o)).or_default().push(o);
    }
    let mut des: BTreeMap<K, &T> = BTreeMap::new();
    for d in desired {
        // Later duplicates of a desired key are ignored.
        des.entry(key(d)).or_insert(d);
    }
    let (mut creates, mut updates, mut deletes) = (Vec::new(), Vec::new(), Vec::new());
    for (k, d) in &des {
        match obs.get(k) {
            None => creates.push(Op::Create((*d).clone())),
            Some(os) => {
                if value(os[0]) != value(d) {
                    updates.push(Op::Update((*d).clone()));
                }
                // Extra observed objects under a desired key are duplicates: delete them.
                if may_delete(k) {
                    deletes.extend(os[1..].iter().map(|o| Op::Delete((*o).clone())));
                }
            }
        }
    }
    for (k, os) in &obs {
        if !des.contains_key(k) && may_delete(k) {
            deletes.extend(os.iter().map(|o| Op::Delete((*o).clone())));
        }
    }
    creates.extend(updates);
    creates.extend(deletes);
    creates
}

/// Two-way diff: desired keys missing from `observed` are created, keys present in both with a
/// different value are updated, observed keys not desired are deleted.
pub fn diff<T: Clone, K: Ord, V: PartialEq>(
    observed: &[T],
    desired: &[T],
    key: impl Fn(&T) -> K,
    value: impl Fn(&T) -> V,
) -> Vec<Op<T>> {
    diff_impl(observed, desired, key, value, |_| true)
}

/// Three-way diff: like [`diff`], but an observed object is deleted only when its key is in
/// `owned`.
pub fn diff_owned<T: Clone, K: Ord, V: PartialEq>(
    observed: &[T],
    desired: &[T],
    owned: &BTreeSet<K>,
    key: impl Fn(&T) -> K,
    value: impl Fn(&T) -> V,
) -> Vec<Op<T>> {
    diff_impl(observed, desired, key, value, |k| owned.contains(k))
}

/// The identity of a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    /// Table.
    pub table: u32,
    /// Family.
    pub family: u8,
    /// Destination address; `None` for the default route (length 0).
    pub dst: Option<IpAddr>,
    /// Prefix length.
    pub dst_len: u8,
    /// Metric (absent: 0 for IPv4, 1024 for IPv6, as the kernel fills it in).
    pub metric: u32,
    /// TOS.
    pub tos: u8,
}

/// What must match for a route to be unchanged: type, gateways, hops, nexthop id, interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteValue {
    /// Type.
    pub kind: RouteType,
    /// Gateway set (single gateway or all hop gateways).
    pub gateways: BTreeSet<IpAddr>,
    /// Hops `(gateway, ifindex, weight)`.
    pub hops: BTreeSet<(Option<IpAddr>, u32, u16)>,
    /// Nexthop object id.
    pub nh_id: Option<u32>,
    /// Output interface.
    pub oif: Option<u32>,
}

/// The key of a route.
pub fn route_key(r: &Route) -> RouteKey {
    let default_metric = if r.family == AF_INET6 { 1024 } else { 0 };
    RouteKey {
        table: r.table,
        family: r.family,
        dst: if r.dst_len == 0 { None } else { r.dst },
        dst_len: r.dst_len,
        metric: r.metric.unwrap_or(default_metric),
        tos: r.tos,
    }
}

/// The value of a route.
pub fn route_value(r: &Route) -> RouteValue {
    let mut gateways: BTreeSet<IpAddr> = r.gateway.into_iter().collect();
    gateways.extend(r.multipath.iter().filter_map(|h| h.gateway));
    RouteValue {
        kind: r.kind,
        gateways,
        hops: r
            .multipath
            .iter()
            .map(|h| (h.gateway, h.ifindex, h.weight))
            .collect(),
        nh_id: r.nh_id,
        oif: if r.multipath.is_empty() { r.oif } else { None },
    }
}

/// Two-way route diff; `observed` is first filtered to routes of `protocol` (the protocol this
/// reconciler owns), so kernel and other daemons' routes are never touched.
pub fn diff_routes(
    observed: &[Route],
    desired: &[Route],
    protocol: RouteProtocol,
) -> Vec<Op<Route>> {
    let obs: Vec<Route> = observed
        .iter()
        .filter(|r| r.protocol == protocol)
        .cloned()
        .collect();
    diff(&obs, desired, route_key, route_value)
}

/// Three-way route diff over routes of `protocol`.
pub fn diff_routes_owned(
    observed: &[Route],
    desired: &[Route],
    owned: &BTreeSet<RouteKey>,
    protocol: RouteProtocol,
) -> Vec<Op<Route>> {
    let obs: Vec<Route> = observed
        .iter()
        .filter(|r| r.protocol == protocol)
        .cloned()
        .collect();
    diff_owned(&obs, desired, owned, route_key, route_value)
}

/// The identity of an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressKey {
    /// Interface index.
    pub index: u32,
    /// Family.
    pub family: u8,
    /// The configured address.
    pub address: Option<IpAddr>,
    /// Prefix length.
    pub prefix_len: u8,
}

/// The key of an address.
pub fn address_key(a: &Address) -> AddressKey {
    AddressKey {
        index: a.index,
        family: a.family,
        address: a.ip(),
        prefix_len: a.prefix_len,
    }
}

type AddressValue = (Option<IpAddr>, Option<IpAddr>, Option<String>, Option<u32>);

fn address_value(a: &Address) -> AddressValue {
    (a.peer(), a.broadcast, a.label.clone(), a.metric)
}

fn universe(observed: &[Address]) -> Vec<Address> {
    observed
        .iter()
        .filter(|a| a.scope == Scope::UNIVERSE)
        .cloned()
        .collect()
}

/// Two-way address diff; `observed` is first filtered to scope universe (so link-local and host
/// addresses the kernel adds itself are never deleted).
pub fn diff_addresses(observed: &[Address], desired: &[Address]) -> Vec<Op<Address>> {
    diff(&universe(observed), desired, address_key, address_value)
}

/// Three-way address diff.
pub fn diff_addresses_owned(
    observed: &[Address],
    desired: &[Address],
    owned: &BTreeSet<AddressKey>,
) -> Vec<Op<Address>> {
    diff_owned(
        &universe(observed),
        desired,
        owned,
        address_key,
        address_value,
    )
}

/// The key of a neighbour: (ifindex, destination).
pub fn neighbour_key(n: &Neighbour) -> (u32, Option<IpAddr>) {
    (n.index, n.dst)
}

fn neighbour_value(n: &Neighbour) -> Option<LlAddr> {
    n.lladdr.clone()
}

/// Two-way neighbour diff (value: the link-layer address).
pub fn diff_neighbours(observed: &[Neighbour], desired: &[Neighbour]) -> Vec<Op<Neighbour>> {
    diff(observed, desired, neighbour_key, neighbour_value)
}

/// Three-way neighbour diff.
pub fn diff_neighbours_owned(
    observed: &[Neighbour],
    desired: &[Neighbour],
    owned: &BTreeSet<(u32, Option<IpAddr>)>,
) -> Vec<Op<Neighbour>> {
    diff_owned(observed, desired, owned, neighbour_key, neighbour_value)
}

/// The identity of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    /// Priority.
    pub priority: u32,
    /// Family.
    pub family: u8,
    /// Source address.
    pub src: Option<IpAddr>,
    /// Source length.
    pub src_len: u8,
    /// Destination address.
    pub dst: Option<IpAddr>,
    /// Destination length.
    pub dst_len: u8,
    /// Firewall mark.
    pub fwmark: Option<u32>,
    /// Table.
    pub table: u32,
}

/// The key of a rule.
pub fn rule_key(r: &Rule) -> RuleKey {
    RuleKey {
        priority: r.priority.unwrap_or(0),
        family: r.family,
        src: r.src,
        src_len: r.src_len,
        dst: r.dst,
        dst_len: r.dst_len,
        fwmark: r.fwmark,
        table: r.table,
    }
}

type RuleValue = (
    RuleAction,
    Option<u32>,
    Option<String>,
    Option<String>,
    Option<u32>,
    u32,
);

fn rule_value(r: &Rule) -> RuleValue {
    (
        r.action,
        r.fwmask,
        r.iif.clone(),
        r.oif.clone(),
        r.goto,
        r.flags,
    )
}

/// Two-way rule diff.
pub fn diff_rules(observed: &[Rule], desired: &[Rule]) -> Vec<Op<Rule>> {
    diff(observed, desired, rule_key, rule_value)
}

/// Three-way rule diff.
pub fn diff_rules_owned(
    observed: &[Rule],
    desired: &[Rule],
    owned: &BTreeSet<RuleKey>,
) -> Vec<Op<Rule>> {
    diff_owned(observed, desired, owned, rule_key, rule_value)
}

type LinkValue = (
    Option<String>,
    Option<u32>,
    Option<u32>,
    bool,
    Option<Vec<u8>>,
);

fn link_value(l: &Link) -> LinkValue {
    (
        l.kind().map(str::to_owned),
        l.mtu,
        l.master,
        l.is_up(),
        l.address.clone(),
    )
}

/// The key of a link: its name.
pub fn link_key(l: &Link) -> String {
    l.name.clone()
}

/// Two-way link diff (value: kind, MTU, master, up, address).
pub fn diff_links(observed: &[Link], desired: &[Link]) -> Vec<Op<Link>> {
    diff(observed, desired, link_key, link_value)
}

/// Three-way link diff.
pub fn diff_links_owned(
    observed: &[Link],
    desired: &[Link],
    owned: &BTreeSet<String>,
) -> Vec<Op<Link>> {
    diff_owned(observed, desired, owned, link_key, link_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dst: &str, len: u8, gw: &str, proto: u8) -> Route {
        Route {
            family: 2,
            dst: Some(dst.parse().unwrap()),
            dst_len: len,
            gateway: Some(gw.parse().unwrap()),
            table: 254,
            protocol: RouteProtocol(proto),
            kind: RouteType::UNICAST,
            ..Route::default()
        }
    }

    #[test]
    fn rt_42_two_and_three_way() {
        let obs = vec![
            route("10.0.0.0", 8, "192.0.2.1", 4),
            route("10.1.0.0", 16, "192.0.2.1", 4),
            route("10.2.0.0", 16, "192.0.2.1", 2),
        ];
        let des = vec![
            route("10.0.0.0", 8, "192.0.2.9", 4),
            route("10.3.0.0", 16, "192.0.2.1", 4),
        ];
        let ops = diff_routes(&obs, &des, RouteProtocol(4));
        assert!(matches!(&ops[0], Op::Create(r) if r.dst_len == 16));
        assert!(
            matches!(&ops[1], Op::Update(r) if r.gateway == Some("192.0.2.9".parse().unwrap()))
        );
        assert!(matches!(&ops[2], Op::Delete(r) if r.dst == Some("10.1.0.0".parse().unwrap())));
        assert_eq!(ops.len(), 3, "the kernel-protocol route is never touched");
        let owned = BTreeSet::new();
        let ops = diff_routes_owned(&obs, &des, &owned, RouteProtocol(4));
        assert_eq!(ops.len(), 2, "nothing owned: nothing deleted");
    }

    #[test]
    fn rt_43_keys() {
        let mut r = route("0.0.0.0", 0, "192.0.2.1", 4);
        assert_eq!(route_key(&r).dst, None);
        r.family = AF_INET6;
        assert_eq!(route_key(&r).metric, 1024);
        let a = Address {
            scope: Scope::LINK,
            ..Address::default()
        };
        assert!(
            diff_addresses(&[a], &[]).is_empty(),
            "link scope is filtered out"
        );
    }
}
