//! Unit tier: property tests of every pure reconcile diff, without a kernel (REC-03, spec
//! scenario 2): the flat engine (REC-20…REC-23) and the rtnetlink plan (REC-40…REC-43) —
//! partition exactness, fixpoint after applying, never deleting what is not owned — and the
//! nf_tables adapter (REC-60): converged input, exact releases, foreign tables ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use linx::reconcile::flat::{
    self, FlatDesired, FlatObserved, FlatOp, FlatState, MemStore, Observed, Owned, values_equal,
};
use linx::reconcile::net::{
    AddressDesired, Change, NetDesired, NetObject, NetObserved, NetOwned, RouteDesired,
    RuleDesired, plan,
};
use linx::reconcile::{Options, Report};
use linx::rtnl::diff::{route_key, route_value};
use linx::rtnl::{Address, Link, Route, RouteProtocol, Rule, Scope};
use linx::types::{IfAddr, IfName, Prefix};
use proptest::prelude::*;

const OURS: RouteProtocol = RouteProtocol(76);

// ---------------------------------------------------------------------------------------------
// Flat engine
// ---------------------------------------------------------------------------------------------

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..5).prop_map(|v| v.to_string()),
        Just("max".to_string()),
        Just("max 100000".to_string()),
        (1u64..3, 1u64..3).prop_map(|(a, b)| format!("{a}000 {b}00000")),
        "[a-c]{1,3}".prop_map(|s| s),
    ]
}

fn keys() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map("k[0-7]", value(), 0..6)
}

fn state() -> impl Strategy<Value = FlatState> {
    proptest::collection::btree_map("k[0-7]", (value(), proptest::option::of(value())), 0..5)
        .prop_map(|m| FlatState {
            keys: m
                .into_iter()
                .map(|(k, (applied, original))| (k, Owned { applied, original }))
                .collect(),
        })
}

fn observe(m: &BTreeMap<String, String>) -> FlatObserved {
    m.iter()
        .map(|(k, v)| (k.clone(), Observed::Value(v.clone())))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Spec scenario 2: converged input produces no operations.
    #[test]
    fn rec_21_converged_input_produces_no_ops(desired in keys()) {
        let observed = observe(&desired);
        let owned = FlatState {
            keys: desired.keys().map(|k| (k.clone(), Owned { applied: desired[k].clone(), original: None })).collect(),
        };
        prop_assert!(flat::diff(&observed, &desired, &owned, true, values_equal).is_empty());
        prop_assert!(flat::diff(&observed, &desired, &FlatState::default(), false, values_equal).is_empty());
    }

    /// Exactly one write per differing key, none for equal keys; partition exactness.
    #[test]
    fn rec_21_one_write_per_differing_key(observed in keys(), desired in keys(), st in state(), revert in any::<bool>()) {
        let obs = observe(&observed);
        let ops = flat::diff(&obs, &desired, &st, revert, values_equal);
        let writes: Vec<&str> = ops.iter().filter(|o| matches!(o, FlatOp::Write { .. })).map(FlatOp::key).collect();
        let expected: Vec<&str> = desired
            .iter()
            .filter(|(k, v)| observed.get(*k).is_none_or(|o| !values_equal(o, v)))
            .map(|(k, _)| k.as_str())
            .collect();
        prop_assert_eq!(&writes, &expected);
        // Never an operation on a key neither desired nor owned.
        for op in &ops {
            prop_assert!(desired.contains_key(op.key()) || st.owns(op.key()), "{op}");
        }
        // Releases and reverts are exactly the owned keys that left the desired set.
        let released: BTreeSet<&str> = ops.iter().filter(|o| !matches!(o, FlatOp::Write { .. })).map(FlatOp::key).collect();
        let left: BTreeSet<&str> = st.keys.keys().filter(|k| !desired.contains_key(*k)).map(String::as_str).collect();
        prop_assert_eq!(released, left);
        for op in &ops {
            if let FlatOp::Revert { key, original } = op {
                prop_assert!(revert);
                prop_assert_eq!(Some(original.as_str()), st.original(key));
            }
            if let FlatOp::Release { key } = op {
                prop_assert!(!revert || st.original(key).is_none());
            }
        }
    }

    /// Applying the plan then re-diffing yields nothing (idempotence), originals are captured
    /// once, and only written keys are claimed.
    #[test]
    fn rec_22_apply_then_rediff_is_a_fixpoint(initial in keys(), desired in keys(), desired2 in keys(), revert in any::<bool>()) {
        let mut store = MemStore { values: initial.clone(), ..MemStore::default() };
        let opts = Options::default().revert_on_release(revert);
        let r1 = flat::reconcile(&mut store, &desired, &FlatState::default(), &opts);
        prop_assert!(r1.converged && r1.pending.is_empty());
        let again = flat::reconcile(&mut store, &desired, &r1.last_applied, &opts);
        prop_assert!(again.is_noop(), "{:?}", again.applied);
        for (k, o) in &r1.last_applied.keys {
            prop_assert!(store.writes.iter().any(|(w, _)| w == k), "owned {k} was written");
            prop_assert_eq!(o.original.as_ref(), initial.get(k));
        }
        // A second desired state: originals are kept for keys already owned.
        let r2 = flat::reconcile(&mut store, &desired2, &r1.last_applied, &opts);
        for (k, o) in &r2.last_applied.keys {
            if let Some(first) = r1.last_applied.keys.get(k) {
                prop_assert_eq!(&o.original, &first.original);
            }
        }
        let r3 = flat::reconcile(&mut store, &desired2, &r2.last_applied, &opts);
        prop_assert!(r3.is_noop());
        // With revert, a key that left the desired set is back at its original.
        if revert {
            for (k, o) in &r1.last_applied.keys {
                if !desired2.contains_key(k) && let Some(orig) = &o.original {
                    prop_assert!(values_equal(&store.values[k], orig));
                }
            }
        }
    }

    /// Best effort: a failing key lands in failed, the rest still applies, nothing is pending,
    /// and the failing key is not claimed.
    #[test]
    fn rec_21_failures_do_not_stop_the_rest(desired in keys(), bad in "k[0-7]") {
        let mut store = MemStore { failing: vec![bad.clone()], ..MemStore::default() };
        let r = flat::reconcile(&mut store, &desired, &FlatState::default(), &Options::default());
        prop_assert!(r.pending.is_empty());
        prop_assert_eq!(r.failed.len(), usize::from(desired.contains_key(&bad)));
        prop_assert_eq!(r.applied.len(), desired.len() - r.failed.len());
        prop_assert!(!r.last_applied.owns(&bad));
    }

    /// Value equality (REC-23): integers by value, `max` prefix, token lists, trailing space.
    #[test]
    fn rec_23_value_equality_rules(a in 0u64..1_000_000, b in 0u64..1_000_000, ws in "[ \t\n]{0,3}") {
        let padded = format!("{a}{ws}");
        let zero = format!("0{a}");
        let maxb = format!("max {b}");
        prop_assert!(values_equal(&padded, &a.to_string()));
        prop_assert!(values_equal(&zero, &a.to_string()));
        prop_assert_eq!(values_equal(&a.to_string(), &b.to_string()), a == b);
        prop_assert!(values_equal(&maxb, "max"));
        prop_assert!(!values_equal(&a.to_string(), "max"));
        prop_assert_eq!(values_equal(&format!("{a}\t{b}"), &format!("{a} {b}")), true);
        prop_assert_eq!(values_equal(&format!("{a} {b}"), &a.to_string()), false);
    }
}

#[test]
fn rec_22_failed_write_keeps_earlier_ownership() {
    let mut store = MemStore::from([("pids.max", "max")]);
    let d1: FlatDesired = [("pids.max".to_string(), "100".to_string())].into();
    let r1 = flat::reconcile(&mut store, &d1, &FlatState::default(), &Options::default());
    assert_eq!(r1.last_applied.original("pids.max"), Some("max"));
    store.failing.push("pids.max".into());
    let d2: FlatDesired = [("pids.max".to_string(), "200".to_string())].into();
    let r2 = flat::reconcile(&mut store, &d2, &r1.last_applied, &Options::default());
    assert_eq!(r2.failed.len(), 1);
    assert_eq!(r2.last_applied, r1.last_applied, "earlier ownership kept");
    assert_eq!(
        r2.to_string(),
        "not converged (0 applied, 1 failed, 0 pending)"
    );
}

// ---------------------------------------------------------------------------------------------
// rtnetlink plan
// ---------------------------------------------------------------------------------------------

fn link(name: &str, index: u32) -> Link {
    let mut l = Link::default();
    l.name = name.into();
    l.index = index;
    l
}

fn ifname(s: &str) -> IfName {
    s.parse().unwrap()
}

/// Two links: v0 (index 2) and v1 (index 3).
fn links() -> Vec<Link> {
    vec![link("lo", 1), link("v0", 2), link("v1", 3)]
}

fn dev_index(d: &str) -> u32 {
    match d {
        "v0" => 2,
        _ => 3,
    }
}

/// A desired route from (network octet, length, gateway octet, device, table, metric).
type RouteParams = (u8, u8, Option<u8>, bool, u32, Option<u32>);

fn route_params() -> impl Strategy<Value = RouteParams> {
    (
        0u8..8,
        prop_oneof![Just(0u8), Just(8u8), Just(16u8), Just(24u8)],
        proptest::option::of(1u8..4),
        any::<bool>(),
        prop_oneof![Just(254u32), Just(100u32)],
        proptest::option::of(0u32..3),
    )
}

fn desired_route(p: &RouteParams) -> RouteDesired {
    let (net, len, gw, v1, table, metric) = *p;
    let prefix = Prefix::new_truncating(IpAddr::V4(Ipv4Addr::new(10, net, 0, 0)), len).unwrap();
    let mut r = RouteDesired::new(prefix).table(table);
    if let Some(g) = gw {
        r = r.via(IpAddr::V4(Ipv4Addr::new(192, 0, 2, g)));
    }
    if v1 || gw.is_none() {
        r = r.dev(ifname(if v1 { "v1" } else { "v0" }));
    }
    if let Some(m) = metric {
        r = r.metric(m);
    }
    r
}

/// An observed route (what the kernel reports).
fn observed_route(p: &RouteParams, protocol: u8) -> Route {
    let (net, len, gw, v1, table, metric) = *p;
    let mut r = Route::default();
    r.family = 2;
    r.dst_len = len;
    r.dst = (len > 0).then_some(IpAddr::V4(Ipv4Addr::new(10, net, 0, 0)));
    if len > 0 {
        let p = Prefix::new_truncating(r.dst.unwrap(), len).unwrap();
        r.dst = Some(p.addr());
    }
    r.table = table;
    r.protocol = RouteProtocol(protocol);
    r.kind = linx::rtnl::RouteType::UNICAST;
    r.gateway = gw.map(|g| IpAddr::V4(Ipv4Addr::new(192, 0, 2, g)));
    r.oif = Some(if v1 { 3 } else { 2 });
    r.metric = metric.filter(|m| *m != 0);
    r
}

fn unique_routes(v: Vec<RouteParams>) -> Vec<RouteParams> {
    let mut seen = BTreeSet::new();
    v.into_iter()
        .filter(|p| {
            let prefix =
                Prefix::new_truncating(IpAddr::V4(Ipv4Addr::new(10, p.0, 0, 0)), p.1).unwrap();
            seen.insert((prefix, p.4, p.5.unwrap_or(0)))
        })
        .collect()
}

fn net_observed(routes: Vec<Route>, addresses: Vec<Address>) -> NetObserved {
    let mut o = NetObserved::default();
    o.links = links();
    o.routes = routes;
    o.addresses = addresses;
    o
}

fn address(dev: &str, a: IfAddr) -> Address {
    let mut x = Address::default();
    x.family = if a.is_ipv4() { 2 } else { 10 };
    x.prefix_len = a.len();
    x.scope = Scope::UNIVERSE;
    x.index = dev_index(dev);
    x.local = a.is_ipv4().then_some(a.addr());
    x.address = Some(a.addr());
    x.label = a.is_ipv4().then(|| dev.to_string());
    x
}

/// Applies a plan to an in-memory namespace the way the kernel would (creates appear, updates
/// replace, deletes vanish), for the fixpoint property.
fn simulate(obs: &mut NetObserved, ops: &[linx::reconcile::net::NetOp]) {
    for op in ops {
        match (&op.object, op.change) {
            (NetObject::Route { route, .. }, Change::Create | Change::Update) => {
                obs.routes.retain(|r| {
                    !(route_key(r) == route_key(route) && r.protocol == route.protocol)
                });
                obs.routes.push(route.clone());
            }
            (NetObject::Route { route, .. }, Change::Delete) => obs.routes.retain(|r| r != route),
            (NetObject::Address { address, .. }, Change::Create | Change::Update) => {
                obs.addresses.retain(|a| {
                    linx::rtnl::diff::address_key(a) != linx::rtnl::diff::address_key(address)
                });
                obs.addresses.push(address.clone());
            }
            (NetObject::Address { address, .. }, Change::Delete) => {
                obs.addresses.retain(|a| a != address)
            }
            (NetObject::Rule(r), Change::Create | Change::Update) => {
                obs.rules
                    .retain(|x| linx::rtnl::diff::rule_key(x) != linx::rtnl::diff::rule_key(r));
                obs.rules.push(r.clone());
            }
            (NetObject::Rule(r), Change::Delete) => obs.rules.retain(|x| x != r),
            _ => {}
        }
    }
}

fn owned_after(r: &Report<linx::reconcile::net::NetOp, NetOwned>) -> NetOwned {
    r.last_applied.clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// REC-42/REC-43 routes: creates are exactly desired keys not observed (in our protocol),
    /// updates keys whose value differs, deletes our observed keys not desired; routes of other
    /// protocols are never touched; applying gives a fixpoint.
    #[test]
    fn rec_42_route_plan_partition_and_fixpoint(
        desired in proptest::collection::vec(route_params(), 0..8),
        ours in proptest::collection::vec(route_params(), 0..8),
        foreign in proptest::collection::vec((route_params(), prop_oneof![Just(2u8), Just(3u8), Just(4u8)]), 0..6),
    ) {
        let desired = unique_routes(desired);
        let ours = unique_routes(ours);
        let mut observed: Vec<Route> = ours.iter().map(|p| observed_route(p, OURS.0)).collect();
        observed.extend(foreign.iter().map(|(p, proto)| observed_route(p, *proto)));
        let mut want = NetDesired::new();
        for p in &desired {
            want = want.route(desired_route(p));
        }
        let obs = net_observed(observed.clone(), Vec::new());
        let p = plan(&obs, &want, &NetOwned::default(), OURS).unwrap();
        let our_keys: BTreeMap<_, _> = obs.routes.iter().filter(|r| r.protocol == OURS).map(|r| (route_key(r), r)).collect();
        let mut created = BTreeSet::new();
        let mut updated = BTreeSet::new();
        let mut deleted = BTreeSet::new();
        for op in &p.ops {
            let NetObject::Route { route, .. } = &op.object else { panic!("{op}") };
            prop_assert_eq!(route.protocol, OURS, "foreign route in {}", op);
            let k = route_key(route);
            let fresh = match op.change {
                Change::Create => created.insert(k.clone()),
                Change::Update => updated.insert(k.clone()),
                Change::Delete => deleted.insert(k.clone()),
            };
            prop_assert!(fresh, "one op per key");
            match op.change {
                Change::Create => prop_assert!(!our_keys.contains_key(&k)),
                Change::Update => prop_assert!(our_keys.get(&k).is_some_and(|o| route_value(o) != route_value(route))),
                Change::Delete => prop_assert!(our_keys.contains_key(&k)),
            }
        }
        prop_assert_eq!(created.len() + updated.len() + deleted.len(), p.ops.len());
        // Order: creates, then updates, then deletes.
        let ranks: Vec<u8> = p.ops.iter().map(|o| match o.change { Change::Create => 0, Change::Update => 1, Change::Delete => 2 }).collect();
        prop_assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
        // Fixpoint.
        let mut after = obs.clone();
        simulate(&mut after, &p.ops);
        let again = plan(&after, &want, &NetOwned::default(), OURS).unwrap();
        prop_assert!(again.ops.is_empty(), "{:?}", again.ops.iter().map(ToString::to_string).collect::<Vec<_>>());
        // Foreign routes survive the simulated apply untouched.
        for (fp, proto) in &foreign {
            let f = observed_route(fp, *proto);
            prop_assert!(after.routes.contains(&f));
        }
    }

    /// REC-42 addresses: three-way — only owned addresses are ever deleted; scope-link addresses
    /// are ignored; the ownership afterwards is exactly what was created plus what was owned and
    /// still exists; fixpoint.
    #[test]
    fn rec_42_address_plan_never_deletes_unowned(
        existing in proptest::collection::btree_set((any::<bool>(), 1u8..20), 0..8),
        desired in proptest::collection::btree_set((any::<bool>(), 1u8..20), 0..8),
        owned_mask in any::<u32>(),
    ) {
        let addr = |(v1, h): (bool, u8)| (if v1 { "v1" } else { "v0" }, IfAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, h)), 24).unwrap());
        let mut observed: Vec<Address> = existing.iter().map(|e| { let (d, a) = addr(*e); address(d, a) }).collect();
        // A kernel-added link-local address that must be ignored.
        let mut ll = address("v0", "fe80::1/64".parse().unwrap());
        ll.scope = Scope::LINK;
        observed.push(ll.clone());
        let mut owned = NetOwned::default();
        for (i, e) in existing.iter().enumerate() {
            if owned_mask & (1 << i) != 0 {
                let (d, a) = addr(*e);
                owned.addresses.insert((ifname(d), a));
            }
        }
        let mut want = NetDesired::new();
        for e in &desired {
            let (d, a) = addr(*e);
            want = want.address(AddressDesired::new(ifname(d), a));
        }
        let obs = net_observed(Vec::new(), observed.clone());
        let p = plan(&obs, &want, &owned, OURS).unwrap();
        for op in &p.ops {
            let NetObject::Address { dev, address: a, .. } = &op.object else { panic!() };
            prop_assert!(a.scope == Scope::UNIVERSE);
            match op.change {
                Change::Delete => prop_assert!(owned.addresses.contains(&(*dev, a.if_addr().unwrap())), "deleted unowned {op}"),
                Change::Create => prop_assert!(desired.iter().any(|e| addr(*e) == (dev.as_str(), a.if_addr().unwrap()))),
                Change::Update => prop_assert!(false, "no update expected: {op}"),
            }
        }
        let deletes = p.ops.iter().filter(|o| o.change == Change::Delete).count();
        let expected_deletes = owned.addresses.iter().filter(|(d, a)| !desired.iter().any(|e| addr(*e) == (d.as_str(), *a))).count();
        prop_assert_eq!(deletes, expected_deletes);
        let mut after = obs.clone();
        simulate(&mut after, &p.ops);
        prop_assert!(after.addresses.contains(&ll));
        let again = plan(&after, &want, &owned, OURS).unwrap();
        prop_assert!(again.ops.iter().all(|o| o.change != Change::Create));
    }
}

#[test]
fn rec_44_normalisation_errors_name_the_entry() {
    let obs = net_observed(Vec::new(), Vec::new());
    // Unknown interface.
    let want = NetDesired::new().address(AddressDesired::new(
        ifname("eth9"),
        "10.0.0.1/24".parse().unwrap(),
    ));
    let e = plan(&obs, &want, &NetOwned::default(), OURS).unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("addresses[0]"), "{e}");
    assert!(e.to_string().contains("eth9"), "{e}");
    // Family mismatch.
    let want = NetDesired::new().route(
        RouteDesired::new("10.0.0.0/8".parse().unwrap()).via("2001:db8::1".parse().unwrap()),
    );
    let e = plan(&obs, &want, &NetOwned::default(), OURS).unwrap_err();
    assert!(e.to_string().contains("routes[0]"), "{e}");
    assert!(e.to_string().contains("IPv6"), "{e}");
    // Duplicate keys.
    let r = RouteDesired::new("10.0.0.0/8".parse().unwrap()).dev(ifname("v0"));
    let want = NetDesired::new().route(r.clone()).route(r);
    let e = plan(&obs, &want, &NetOwned::default(), OURS).unwrap_err();
    assert!(e.to_string().contains("duplicate of routes[0]"), "{e}");
    // Bad rule action.
    let want = NetDesired::new().rule(RuleDesired::new(10).action("teleport"));
    let e = plan(&obs, &want, &NetOwned::default(), OURS).unwrap_err();
    assert!(e.to_string().contains("rules[0]"), "{e}");
}

#[test]
fn rec_43_op_order_in_one_plan() {
    // Observed: an owned address to delete, an owned route to delete and one to update.
    let old = address("v0", "10.9.0.1/24".parse().unwrap());
    let r_upd = observed_route(&(1, 16, Some(1), false, 254, None), OURS.0);
    let r_del = observed_route(&(2, 16, Some(1), false, 254, None), OURS.0);
    let obs = net_observed(vec![r_upd, r_del], vec![old]);
    let mut owned = NetOwned::default();
    owned
        .addresses
        .insert((ifname("v0"), "10.9.0.1/24".parse().unwrap()));
    let want = NetDesired::new()
        .address(AddressDesired::new(
            ifname("v0"),
            "10.0.0.1/24".parse().unwrap(),
        ))
        .route(desired_route(&(1, 16, Some(2), false, 254, None)))
        .route(desired_route(&(3, 16, Some(1), false, 254, None)));
    let p = plan(&obs, &want, &owned, OURS).unwrap();
    let shape: Vec<(Change, &str)> = p.ops.iter().map(|o| (o.change, o.object.class())).collect();
    assert_eq!(
        shape,
        [
            (Change::Create, "address"),
            (Change::Create, "route"),
            (Change::Update, "route"),
            (Change::Delete, "route"),
            (Change::Delete, "address"),
        ]
    );
    let _ = owned_after;
}

#[test]
fn rec_42_foreign_rules_untouched_and_rules_two_way() {
    let mut foreign = Rule::default();
    foreign.family = 2;
    foreign.priority = Some(32766);
    foreign.table = 254;
    foreign.action = linx::rtnl::RuleAction::TO_TABLE;
    foreign.protocol = Some(2);
    let mut ours = foreign.clone();
    ours.priority = Some(500);
    ours.protocol = Some(OURS.0);
    let mut obs = net_observed(Vec::new(), Vec::new());
    obs.rules = vec![foreign, ours];
    let p = plan(&obs, &NetDesired::new(), &NetOwned::default(), OURS).unwrap();
    assert_eq!(p.ops.len(), 1);
    assert_eq!(p.ops[0].change, Change::Delete);
    assert!(p.ops[0].to_string().contains("500:"), "{}", p.ops[0]);
    let want = NetDesired::new().rule(
        RuleDesired::new(1000)
            .from("203.0.113.0/24".parse().unwrap())
            .table(100),
    );
    let p = plan(&obs, &want, &NetOwned::default(), OURS).unwrap();
    let mut after = obs.clone();
    simulate(&mut after, &p.ops);
    assert!(
        plan(&after, &want, &NetOwned::default(), OURS)
            .unwrap()
            .ops
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// nf_tables adapter
// ---------------------------------------------------------------------------------------------

mod nft_adapter {
    use std::collections::BTreeSet;

    use linx::netfilter::builder::{RuleBuilder, tcp};
    use linx::netfilter::{
        BaseChain, Chain, ChainType, Family, Hook, Policy, Ruleset, Table, TableLifetime,
    };
    use linx::reconcile::nft::{NftObserved, NftOwned, NftReconciler};
    use linx::reconcile::{Options, Reconciler};
    use proptest::prelude::*;

    /// A table `name` with one input chain whose rules accept `ports`, tagged by position.
    fn table(family: Family, name: &str, ports: &[u16]) -> Table {
        let mut t = Table::new(family, name, TableLifetime::Persistent).unwrap();
        let mut c = Chain::base(
            "input",
            BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
        )
        .unwrap();
        for (i, p) in ports.iter().enumerate() {
            c.push(
                RuleBuilder::new(family)
                    .matches(tcp().dport(*p))
                    .accept()
                    .tag(&format!("r{i}"))
                    .unwrap(),
            );
        }
        t.add_chain(c).unwrap();
        t
    }

    fn family() -> impl Strategy<Value = Family> {
        prop_oneof![Just(Family::Inet), Just(Family::Ip), Just(Family::Ip6)]
    }

    /// Up to three tables named `prefix` + a letter, each with up to four rules.
    fn tables(prefix: &'static str) -> impl Strategy<Value = Vec<Table>> {
        proptest::collection::btree_map(
            (family(), "[a-c]"),
            proptest::collection::vec(1u16..2000, 0..4),
            0..3,
        )
        .prop_map(move |m| {
            m.into_iter()
                .map(|((f, n), ports)| table(f, &format!("{prefix}{n}"), &ports))
                .collect()
        })
    }

    fn ruleset(tables: impl IntoIterator<Item = Table>) -> Ruleset {
        let mut rs = Ruleset::new();
        for t in tables {
            rs.add_table(t).unwrap();
        }
        rs
    }

    // NftObserved is non-exhaustive: no struct literal outside the crate.
    #[allow(clippy::field_reassign_with_default)]
    fn observed(rs: Ruleset) -> NftObserved {
        let mut o = NftObserved::default();
        o.generation = 7;
        o.ruleset = rs;
        o
    }

    fn names(ts: &[Table]) -> BTreeSet<(Family, String)> {
        ts.iter().map(|t| (t.family, t.name.clone())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// REC-03/REC-60: a kernel that already holds the desired tables (next to foreign ones)
        /// needs no patch; the only deletions are owned tables that left the desired ruleset and
        /// still exist; the generation the plan checks is the observed one.
        #[test]
        fn rec_60_converged_plan_is_empty_and_releases_exactly_the_dropped_owned_tables(
            desired in tables("d"),
            foreign in tables("f"),
            dropped in tables("o"),
            gone in tables("g"),
        ) {
            let nft = NftReconciler::new();
            let want = ruleset(desired.clone());
            let obs = observed(ruleset(desired.iter().chain(&foreign).chain(&dropped).cloned()));
            let owned = NftOwned {
                tables: names(&desired).into_iter().chain(names(&dropped)).chain(names(&gone)).collect(),
            };
            let plan = nft.diff(&obs, &want, &owned, &Options::default()).unwrap();
            prop_assert!(plan.patch.is_empty(), "{:?}", plan.patch);
            prop_assert_eq!(plan.release.iter().cloned().collect::<BTreeSet<_>>(), names(&dropped));
            prop_assert_eq!(plan.generation, 7);
        }

        /// REC-04/REC-60: foreign tables never influence the plan — the plan with any set of
        /// unowned, undesired tables present is the plan without them.
        #[test]
        fn rec_60_foreign_tables_never_change_the_plan(
            desired in tables("d"),
            current in tables("d"),
            foreign in tables("f"),
        ) {
            let nft = NftReconciler::new();
            let want = ruleset(desired.clone());
            let owned = NftOwned::default();
            let without = nft
                .diff(&observed(ruleset(current.clone())), &want, &owned, &Options::default())
                .unwrap();
            let with = nft
                .diff(
                    &observed(ruleset(current.iter().chain(&foreign).cloned())),
                    &want,
                    &owned,
                    &Options::default(),
                )
                .unwrap();
            prop_assert_eq!(&without, &with);
            prop_assert!(with.release.is_empty());
            // Desired tables that differ from (or are missing in) the kernel need a patch;
            // current tables that are not desired are not this reconciler's business.
            let wanted = names(&desired);
            let same = ruleset(current.into_iter().filter(|t| wanted.contains(&(t.family, t.name.clone())))) == want;
            prop_assert_eq!(with.patch.is_empty(), same);
        }
    }
}
