//! Kernel tier: the reconcilers against the real kernel, each test in a fresh network namespace
//! (REC-02, REC-04, REC-05, REC-21, REC-25, REC-40…REC-46, REC-60, REC-80…REC-83; spec scenarios
//! 3, 4 and 6). Drift is made by hand with `ip`, `nft` and `sysctl` inside the namespace; healing
//! is awaited by polling with a generous bound, never by a timed assertion.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use linx::error::Errno;
use linx::netfilter::builder::{RuleBuilder, tcp};
use linx::netfilter::{
    BaseChain, Chain, ChainType, Family, Hook, Policy, Ruleset, Table, TableLifetime,
};
use linx::ns::NsTarget;
use linx::reconcile::flat::{FlatOp, FlatState};
use linx::reconcile::net::{
    AddressDesired, Change, HopDesired, LinkDesired, NeighbourDesired, NetDesired, NetObject,
    NetOwned, NetReconciler, NexthopDesired, NexthopMember, RouteDesired, RuleDesired,
};
use linx::reconcile::nft::{NftOp, NftOwned, NftReconciler};
use linx::reconcile::sysctl::SysctlReconciler;
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler, Wakeup};
use linx::rtnl::{LinkSpec, RouteFilter, RouteProtocol, RouteSpec, Rtnl};
use linx::sysctl::{Key, Sysctl, Value};
use linx::types::IfName;
use linx_testkit::{NetNs, require_root, require_tool};

const PATIENCE: Duration = Duration::from_secs(30);

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ifn(s: &str) -> IfName {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A namespace with a veth pair v0 ↔ v1, both up, and its target.
fn fresh() -> Option<(NetNs, NsTarget)> {
    if !require_root() || !require_tool("ip") {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let t = NsTarget::fd(ns.try_clone_fd().unwrap());
    let mut rtnl = Rtnl::open(&t).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    rtnl.set_up("v1").unwrap();
    Some((ns, t))
}

/// `ip -j -4 addr show dev DEV` → ["a.b.c.d/len", …] (global scope).
fn addrs(ns: &NetNs, dev: &str) -> Vec<String> {
    let out = ns.ip(&["-j", "addr", "show", "dev", dev]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut r = Vec::new();
    for l in v.as_array().unwrap() {
        for a in l["addr_info"].as_array().unwrap() {
            if a["scope"] == "global" {
                r.push(format!(
                    "{}/{}",
                    a["local"].as_str().unwrap(),
                    a["prefixlen"]
                ));
            }
        }
    }
    r.sort();
    r
}

/// `ip -j route show table all proto P` → ["dst via gw", …].
fn routes(ns: &NetNs, proto: &str) -> Vec<String> {
    let out = ns.ip(&["-j", "route", "show", "table", "all", "proto", proto]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or(serde_json::Value::Array(vec![]));
    let mut r: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let mut s = x["dst"].as_str().unwrap_or("?").to_string();
            if let Some(g) = x["gateway"].as_str() {
                s.push_str(&format!(" via {g}"));
            }
            if let Some(t) = x["table"].as_str() {
                s.push_str(&format!(" table {t}"));
            }
            s
        })
        .collect();
    r.sort();
    r
}

fn base_desired() -> NetDesired {
    NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .route(RouteDesired::new("198.51.100.0/24".parse().unwrap()).via(ip("192.0.2.1")))
        .route(
            RouteDesired::default_route()
                .via(ip("192.0.2.1"))
                .dev(ifn("v0")),
        )
}

fn opts() -> Options {
    Options::default()
}

#[test]
fn rec_40_first_pass_converges_second_is_noop_protocol_76() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let r1 = net
        .reconcile(&t, &base_desired(), &NetOwned::default(), &opts())
        .unwrap();
    assert_eq!(r1.to_string(), "converged (3 applied)", "{:?}", r1.lines());
    let classes: Vec<(Change, &str)> = r1
        .applied
        .iter()
        .map(|o| (o.change, o.object.class()))
        .collect();
    assert_eq!(
        classes,
        [
            (Change::Create, "address"),
            (Change::Create, "route"),
            (Change::Create, "route")
        ]
    );
    // Differential check against iproute2: the routes carry protocol 76.
    assert_eq!(
        routes(&ns, "76"),
        ["198.51.100.0/24 via 192.0.2.1", "default via 192.0.2.1"]
    );
    assert_eq!(addrs(&ns, "v0"), ["192.0.2.10/24"]);
    assert_eq!(r1.last_applied.addresses.len(), 1);
    let r2 = net
        .reconcile(&t, &base_desired(), &r1.last_applied, &opts())
        .unwrap();
    assert_eq!(r2.to_string(), "converged (nothing to do)");
    assert_eq!(r2.last_applied, r1.last_applied);
}

#[test]
fn rec_42_drift_heal_ownership_and_foreign_objects() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let r1 = net
        .reconcile(&t, &base_desired(), &NetOwned::default(), &opts())
        .unwrap();
    // Foreign state: an address and a static route added by hand.
    ns.ip(&["addr", "add", "10.99.0.9/24", "dev", "v1"]);
    ns.ip(&[
        "route",
        "add",
        "203.0.113.0/24",
        "via",
        "10.99.0.1",
        "proto",
        "static",
    ]);
    // A hand-deleted address is recreated.
    ns.ip(&["addr", "del", "192.0.2.10/24", "dev", "v0"]);
    let r2 = net
        .reconcile(&t, &base_desired(), &r1.last_applied, &opts())
        .unwrap();
    assert!(r2.converged, "{:?}", r2.lines());
    assert!(
        r2.applied
            .iter()
            .any(|o| o.change == Change::Create && matches!(o.object, NetObject::Address { .. })),
        "{:?}",
        r2.lines()
    );
    assert_eq!(addrs(&ns, "v0"), ["192.0.2.10/24"]);
    // A gateway change is a single Update(Route).
    let desired = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .route(RouteDesired::new("198.51.100.0/24".parse().unwrap()).via(ip("192.0.2.2")))
        .route(
            RouteDesired::default_route()
                .via(ip("192.0.2.1"))
                .dev(ifn("v0")),
        );
    let r3 = net
        .reconcile(&t, &desired, &r2.last_applied, &opts())
        .unwrap();
    assert_eq!(r3.applied.len(), 1, "{:?}", r3.lines());
    assert_eq!(r3.applied[0].change, Change::Update);
    assert!(matches!(r3.applied[0].object, NetObject::Route { .. }));
    assert!(routes(&ns, "76").contains(&"198.51.100.0/24 via 192.0.2.2".to_string()));
    // An empty desired state deletes the owned address and the protocol-76 routes; the foreign
    // address and the static route survive.
    let r4 = net
        .reconcile(&t, &NetDesired::new(), &r3.last_applied, &opts())
        .unwrap();
    assert!(r4.converged, "{:?}", r4.lines());
    assert_eq!(r4.applied.len(), 3, "{:?}", r4.lines());
    assert!(r4.last_applied.is_empty());
    assert!(addrs(&ns, "v0").is_empty());
    assert_eq!(addrs(&ns, "v1"), ["10.99.0.9/24"]);
    assert!(routes(&ns, "76").is_empty());
    assert_eq!(routes(&ns, "static"), ["203.0.113.0/24 via 10.99.0.1"]);
    // Without ownership nothing is deleted: an unowned address matching nothing stays.
    let r5 = net
        .reconcile(&t, &NetDesired::new(), &NetOwned::default(), &opts())
        .unwrap();
    assert!(r5.is_noop());
}

#[test]
fn rec_43_apply_order_in_one_pass() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let a = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .route(RouteDesired::new("10.1.0.0/16".parse().unwrap()).via(ip("192.0.2.1")))
        .route(RouteDesired::new("10.2.0.0/16".parse().unwrap()).via(ip("192.0.2.1")));
    let r1 = net
        .reconcile(&t, &a, &NetOwned::default(), &opts())
        .unwrap();
    assert!(r1.converged);
    // New address in another subnet, one route updated, one created, one deleted, the old
    // address deleted — the update needs the old address (its gateway), so order matters.
    let b = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "198.18.0.1/24".parse().unwrap(),
        ))
        .route(RouteDesired::new("10.1.0.0/16".parse().unwrap()).via(ip("192.0.2.2")))
        .route(RouteDesired::new("10.3.0.0/16".parse().unwrap()).via(ip("198.18.0.254")));
    let r2 = net.reconcile(&t, &b, &r1.last_applied, &opts()).unwrap();
    assert!(r2.converged, "{:?}", r2.lines());
    let shape: Vec<(Change, &str)> = r2
        .applied
        .iter()
        .map(|o| (o.change, o.object.class()))
        .collect();
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
    assert_eq!(addrs(&ns, "v0"), ["198.18.0.1/24"]);
    assert_eq!(
        routes(&ns, "76"),
        ["10.1.0.0/16 via 192.0.2.2", "10.3.0.0/16 via 198.18.0.254"]
    );
}

#[test]
fn rec_44_normalisation_errors_apply_nothing() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let cases = [
        NetDesired::new()
            .address(AddressDesired::new(
                ifn("v0"),
                "192.0.2.10/24".parse().unwrap(),
            ))
            .address(AddressDesired::new(
                ifn("eth9"),
                "10.0.0.1/24".parse().unwrap(),
            )),
        NetDesired::new()
            .address(AddressDesired::new(
                ifn("v0"),
                "192.0.2.10/24".parse().unwrap(),
            ))
            .route(RouteDesired::new("10.0.0.0/8".parse().unwrap()).via(ip("2001:db8::1"))),
        NetDesired::new()
            .address(AddressDesired::new(
                ifn("v0"),
                "192.0.2.10/24".parse().unwrap(),
            ))
            .route(RouteDesired::new("10.0.0.0/8".parse().unwrap()).dev(ifn("nope0"))),
    ];
    for (i, d) in cases.iter().enumerate() {
        let e = net
            .reconcile(&t, d, &NetOwned::default(), &opts())
            .unwrap_err();
        assert!(e.is_input(), "case {i}: {e}");
        assert!(addrs(&ns, "v0").is_empty(), "case {i}: nothing applied");
        assert!(routes(&ns, "76").is_empty());
    }
    // Bad addresses never get that far: they are parse errors.
    assert!("192.0.2.300/24".parse::<linx::IfAddr>().is_err());
}

#[test]
fn rec_43_partial_failure_is_fail_fast_and_names_the_item() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let d = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .route(RouteDesired::new("10.1.0.0/16".parse().unwrap()).via(ip("192.0.2.1")))
        // Unreachable gateway: the kernel refuses (ENETUNREACH).
        .route(RouteDesired::new("10.2.0.0/16".parse().unwrap()).via(ip("10.255.0.1")))
        .route(RouteDesired::new("10.3.0.0/16".parse().unwrap()).via(ip("192.0.2.1")));
    let r = net
        .reconcile(&t, &d, &NetOwned::default(), &opts())
        .unwrap();
    assert!(!r.converged);
    assert_eq!(
        r.to_string(),
        "not converged (2 applied, 1 failed, 1 pending)"
    );
    assert_eq!(r.failed.len(), 1);
    let (op, e) = &r.failed[0];
    assert!(
        op.to_string().contains("10.2.0.0/16 via 10.255.0.1"),
        "{op}"
    );
    assert_eq!(e.errno(), Some(Errno::NETUNREACH), "{e}");
    assert!(r.pending[0].to_string().contains("10.3.0.0/16"));
    assert_eq!(addrs(&ns, "v0"), ["192.0.2.10/24"]);
    assert_eq!(routes(&ns, "76"), ["10.1.0.0/16 via 192.0.2.1"]);
    // The address created before the failure is owned.
    assert_eq!(r.last_applied.addresses.len(), 1);
}

#[test]
fn rec_45_links_neighbours_rules() {
    let Some((ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new();
    let d = NetDesired::new()
        .link(LinkDesired::new(ifn("br9")).kind("bridge").up(true))
        .link(
            LinkDesired::veth(ifn("w0"), ifn("w1"))
                .master(ifn("br9"))
                .up(true),
        )
        .link(LinkDesired::new(ifn("w1")).up(true).mtu(1400))
        .link(LinkDesired::new(ifn("lo")).up(true))
        .address(AddressDesired::new(
            ifn("br9"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .neighbour(NeighbourDesired::new(
            ifn("br9"),
            ip("192.0.2.77"),
            "02:00:00:00:00:77".parse().unwrap(),
        ))
        .rule(
            RuleDesired::new(1000)
                .from("203.0.113.0/24".parse().unwrap())
                .table(100),
        );
    let r1 = net
        .reconcile(&t, &d, &NetOwned::default(), &opts())
        .unwrap();
    assert!(r1.converged, "{:?}", r1.lines());
    let owned: Vec<&str> = r1.last_applied.links.iter().map(|n| n.as_str()).collect();
    assert_eq!(owned, ["br9", "w0", "w1"], "lo is adjusted, never owned");
    let link = |n: &str| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&ns.ip(&["-j", "-d", "link", "show", n])).unwrap()
            [0]
        .clone()
    };
    assert_eq!(link("w1")["mtu"], 1400);
    assert_eq!(link("w0")["master"], "br9");
    assert!(
        link("lo")["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "UP")
    );
    let neigh = ns.ip(&["neigh", "show", "dev", "br9"]);
    assert!(
        neigh.contains("192.0.2.77 lladdr 02:00:00:00:00:77 PERMANENT"),
        "{neigh}"
    );
    let rules = ns.ip(&["rule", "show"]);
    assert!(
        rules.contains("1000:\tfrom 203.0.113.0/24 lookup 100 proto 76"),
        "{rules}"
    );
    // Second pass: nothing to do.
    let r2 = net.reconcile(&t, &d, &r1.last_applied, &opts()).unwrap();
    assert!(r2.is_noop(), "{:?}", r2.lines());
    // A rule whose value changes (an input interface added) is one Update, in place.
    let mut d2 = d.clone();
    d2.rules[0].iif = Some(ifn("v0"));
    let ru = net.reconcile(&t, &d2, &r2.last_applied, &opts()).unwrap();
    assert!(ru.converged && ru.applied.len() == 1, "{:?}", ru.lines());
    assert_eq!(ru.applied[0].change, Change::Update);
    let rules = ns.ip(&["rule", "show"]);
    assert_eq!(rules.matches("1000:").count(), 1, "{rules}");
    assert!(rules.contains("iif v0 lookup 100"), "{rules}");
    let r2 = net.reconcile(&t, &d, &ru.last_applied, &opts()).unwrap();
    assert_eq!(r2.applied.len(), 1, "{:?}", r2.lines());
    // Drift: mtu changed and the neighbour deleted by hand → both healed.
    ns.ip(&["link", "set", "w1", "mtu", "1300"]);
    ns.ip(&["neigh", "del", "192.0.2.77", "dev", "br9"]);
    let r3 = net.reconcile(&t, &d, &r2.last_applied, &opts()).unwrap();
    assert!(r3.converged && r3.applied.len() == 2, "{:?}", r3.lines());
    assert_eq!(link("w1")["mtu"], 1400);
    // Empty desired: the owned links, neighbour and rule go; lo and the test's veth stay.
    let r4 = net
        .reconcile(&t, &NetDesired::new(), &r3.last_applied, &opts())
        .unwrap();
    assert!(r4.converged, "{:?}", r4.lines());
    assert!(r4.last_applied.is_empty());
    let names = ns.ip(&["-o", "link", "show"]);
    assert!(!names.contains("br9") && !names.contains("w0"), "{names}");
    assert!(names.contains("v0") && names.contains("lo"));
    assert!(!ns.ip(&["rule", "show"]).contains("1000:"));
}

#[test]
fn rec_05_verify_turns_silent_non_convergence_into_pending() {
    let Some((ns, t)) = fresh() else { return };
    // A bridge created with MTU 1400 silently takes its port's MTU (1500) when the port is
    // enslaved right after — later in the same pass. Every operation succeeds, yet the state
    // is not the desired one: verification reports it.
    let d = NetDesired::new()
        .link(LinkDesired::new(ifn("br9")).kind("bridge").mtu(1400))
        .link(LinkDesired::veth(ifn("w0"), ifn("w1")).master(ifn("br9")));
    let mut net = NetReconciler::new();
    let o = Options::default().verify(2, Duration::from_millis(20));
    let r1 = net.reconcile(&t, &d, &NetOwned::default(), &o).unwrap();
    assert!(r1.failed.is_empty(), "{:?}", r1.lines());
    assert!(!r1.converged, "{:?}", r1.lines());
    assert_eq!(
        r1.to_string(),
        "not converged (2 applied, 0 failed, 1 pending)",
        "{:?}",
        r1.lines()
    );
    assert_eq!(r1.pending[0].change, Change::Update);
    assert!(
        r1.pending[0].to_string().contains("link br9"),
        "{}",
        r1.pending[0]
    );
    // Without verification the same pass claims convergence; the next pass heals (an MTU set
    // on the bridge after creation sticks).
    let r2 = net.reconcile(&t, &d, &r1.last_applied, &o).unwrap();
    assert!(r2.converged && r2.applied.len() == 1, "{:?}", r2.lines());
    let mtu: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "link", "show", "br9"])).unwrap();
    assert_eq!(mtu[0]["mtu"], 1400);
    let r3 = net.reconcile(&t, &d, &r2.last_applied, &o).unwrap();
    assert!(r3.is_noop());
}

#[test]
fn rec_81_net_loop_heals_by_timer_and_by_monitor() {
    let Some((ns, t)) = fresh() else { return };
    // Timer only (no monitor), interval 100 ms.
    let lp = ReconcileLoop::start(
        NetReconciler::new(),
        t.clone(),
        base_desired(),
        LoopOptions::default()
            .use_monitor(false)
            .interval(Some(Duration::from_millis(100))),
    )
    .unwrap();
    eventually("first pass converged", || {
        addrs(&ns, "v0") == ["192.0.2.10/24"]
    });
    ns.ip(&["addr", "del", "192.0.2.10/24", "dev", "v0"]);
    eventually("timer pass restored the address", || {
        addrs(&ns, "v0") == ["192.0.2.10/24"]
    });
    lp.stop();
    // Monitor only (no interval): the wake-up restores it.
    let (tx, rx) = mpsc::channel();
    let lp = ReconcileLoop::start(
        NetReconciler::new(),
        t.clone(),
        base_desired(),
        LoopOptions::default()
            .interval(None)
            .debounce(Duration::from_millis(50))
            .channel(tx),
    )
    .unwrap();
    rx.recv_timeout(PATIENCE).unwrap().unwrap();
    let before = lp.passes();
    ns.ip(&["addr", "del", "192.0.2.10/24", "dev", "v0"]);
    eventually("monitor-driven pass restored the address", || {
        addrs(&ns, "v0") == ["192.0.2.10/24"]
    });
    // A pass is counted when it ends, which may be just after its change is visible.
    eventually("the healing pass counted", || lp.passes() > before);
    // A route of another protocol does not wake it: only relevant events count.
    lp.stop();
}

#[test]
fn rec_25_sysctl_reconcile_best_effort_and_loop_heal() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("sysctl") {
        return;
    }
    let desired = BTreeMap::from([
        (Key::parse("net.ipv4.ip_forward").unwrap(), Value::Int(1)),
        (
            Key::parse("net.ipv4.conf.v0.rp_filter").unwrap(),
            Value::Int(2),
        ),
        (Key::parse("net.ipv4.linx_bogus").unwrap(), Value::Int(1)),
    ]);
    let mut s = SysctlReconciler::new();
    let r = s
        .reconcile(&t, &desired, &FlatState::default(), &opts())
        .unwrap();
    // The bogus key fails, the rest applies, nothing is pending; only applied keys are owned.
    assert_eq!(
        r.to_string(),
        "not converged (2 applied, 1 failed, 0 pending)"
    );
    assert_eq!(r.failed[0].0.key(), "net.ipv4.linx_bogus");
    assert_eq!(r.failed[0].1.errno(), Some(Errno::NOENT));
    assert!(
        r.last_applied.owns("net.ipv4.ip_forward") && !r.last_applied.owns("net.ipv4.linx_bogus")
    );
    assert_eq!(r.last_applied.original("net.ipv4.ip_forward"), Some("0"));
    // Differential check with sysctl(8) inside the namespace; the host is untouched.
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "1");
    // Release with revert: the original comes back.
    let keep = BTreeMap::from([(
        Key::parse("net.ipv4.conf.v0.rp_filter").unwrap(),
        Value::Int(2),
    )]);
    let r2 = s
        .reconcile(
            &t,
            &keep,
            &r.last_applied,
            &Options::default().revert_on_release(true),
        )
        .unwrap();
    assert!(r2.applied.contains(&FlatOp::Revert {
        key: "net.ipv4.ip_forward".into(),
        original: "0".into()
    }));
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "0");
    // The loop restores ip_forward after a reset by hand (timer: sysctl has no wake source).
    let want = BTreeMap::from([(Key::parse("net.ipv4.ip_forward").unwrap(), Value::Int(1))]);
    let lp = ReconcileLoop::start(
        SysctlReconciler::new(),
        t.clone(),
        want,
        LoopOptions::default().interval(Some(Duration::from_millis(100))),
    )
    .unwrap();
    eventually("converged", || {
        ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim() == "1"
    });
    ns.run("sysctl", &["-w", "net.ipv4.ip_forward=0"]);
    eventually("healed within a period", || {
        ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim() == "1"
    });
    lp.stop();
    // The host's value never changed (the target is the test namespace).
    let host = Sysctl::current().read("net.ipv4.ip_forward").unwrap();
    assert!(host == "0" || host == "1");
}

fn ruleset(table: &str, port: u16) -> Ruleset {
    let mut t = Table::new(Family::Inet, table, TableLifetime::Persistent).unwrap();
    let mut input = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
    )
    .unwrap();
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(tcp().dport(port))
            .accept()
            .tag("allow")
            .unwrap(),
    );
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(tcp().dport(port + 1))
            .drop()
            .tag("deny")
            .unwrap(),
    );
    t.add_chain(input).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    rs
}

fn nft_rule_count(ns: &NetNs, table: &str) -> usize {
    let out = ns.run("nft", &["-j", "list", "table", "inet", table]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x.get("rule").is_some())
        .count()
}

fn first_rule_handle(ns: &NetNs, table: &str) -> u64 {
    let out = ns.run("nft", &["-j", "-a", "list", "table", "inet", table]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|x| x.get("rule").and_then(|r| r["handle"].as_u64()))
        .unwrap()
}

#[test]
fn rec_60_nft_adapter_report_and_ownership() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("nft") {
        return;
    }
    // A foreign table stays untouched.
    ns.run("nft", &["add", "table", "inet", "foreign"]);
    let mut n = NftReconciler::new();
    let rs = ruleset("app", 22);
    let r1 = n.reconcile(&t, &rs, &NftOwned::default(), &opts()).unwrap();
    assert!(r1.converged && !r1.applied.is_empty(), "{:?}", r1.lines());
    assert!(r1.applied.iter().all(|o| matches!(o, NftOp::Patch(_))));
    assert_eq!(nft_rule_count(&ns, "app"), 2);
    let r2 = n.reconcile(&t, &rs, &r1.last_applied, &opts()).unwrap();
    assert!(r2.is_noop(), "{:?}", r2.lines());
    // Drift: a rule deleted by hand comes back as one patch operation.
    let h = first_rule_handle(&ns, "app");
    ns.run(
        "nft",
        &[
            "delete",
            "rule",
            "inet",
            "app",
            "input",
            "handle",
            &h.to_string(),
        ],
    );
    let r3 = n.reconcile(&t, &rs, &r2.last_applied, &opts()).unwrap();
    assert!(r3.converged && r3.applied.len() == 1, "{:?}", r3.lines());
    assert_eq!(nft_rule_count(&ns, "app"), 2);
    // The owned table leaving the desired ruleset is deleted; the foreign one stays.
    let r4 = n
        .reconcile(&t, &Ruleset::new(), &r3.last_applied, &opts())
        .unwrap();
    assert!(r4.converged, "{:?}", r4.lines());
    assert!(r4.last_applied.tables.is_empty());
    let tables = ns.run("nft", &["list", "tables"]);
    assert!(
        !tables.contains("inet app") && tables.contains("inet foreign"),
        "{tables}"
    );
}

#[test]
fn rec_60_nft_loop_heals_on_monitor_event_and_two_loops_coexist() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("nft") {
        return;
    }
    let mk = |table: &str, port| {
        ReconcileLoop::start(
            NftReconciler::new(),
            t.clone(),
            ruleset(table, port),
            LoopOptions::default()
                .interval(None)
                .debounce(Duration::from_millis(50)),
        )
        .unwrap()
    };
    let a = mk("a", 22);
    let b = mk("b", 80);
    eventually("both tables applied", || {
        ns.run("nft", &["list", "tables"]).contains("inet a")
            && ns.run("nft", &["list", "tables"]).contains("inet b")
            && nft_rule_count(&ns, "a") == 2
            && nft_rule_count(&ns, "b") == 2
    });
    // Drift in table a: `nft delete rule` → a's monitor wakes it, the rule comes back.
    let h = first_rule_handle(&ns, "a");
    ns.run(
        "nft",
        &[
            "delete",
            "rule",
            "inet",
            "a",
            "input",
            "handle",
            &h.to_string(),
        ],
    );
    eventually("rule restored after the monitor event", || {
        nft_rule_count(&ns, "a") == 2
    });
    // Neither loop undoes the other: explicit passes are no-ops and both tables are intact.
    let ra = a.reconcile_now(PATIENCE).unwrap();
    let rb = b.reconcile_now(PATIENCE).unwrap();
    assert!(
        ra.is_noop() && rb.is_noop(),
        "{:?} {:?}",
        ra.lines(),
        rb.lines()
    );
    assert_eq!(nft_rule_count(&ns, "b"), 2);
    a.stop();
    b.stop();
}

#[test]
fn rec_46_wake_source_filters_foreign_events() {
    if !require_root() || !require_tool("ip") {
        return;
    }
    // Only `lo`, brought up before subscribing: no veth whose carrier comes up asynchronously
    // (linkwatch) and no IPv6 autoconfiguration, so every event below is one the test made.
    let ns = NetNs::new().expect("netns");
    let t = NsTarget::fd(ns.try_clone_fd().unwrap());
    ns.ip(&["link", "set", "lo", "up"]);
    let mut net = NetReconciler::new();
    let mut w = net.subscribe(&t).unwrap().unwrap();
    assert_eq!(w.len(), 1);
    // A link-scope address and a route of another protocol: read and filtered out.
    ns.ip(&["addr", "add", "10.7.0.1/24", "dev", "lo", "scope", "link"]);
    ns.ip(&[
        "route",
        "add",
        "10.8.0.0/16",
        "dev",
        "lo",
        "proto",
        "static",
    ]);
    let mut seen = Wakeup::Nothing;
    // The events are queued already; drain until the queue is empty.
    for _ in 0..10 {
        seen = seen.max(w.wait(Some(Duration::from_millis(200))).unwrap());
    }
    assert_eq!(seen, Wakeup::Nothing);
    // A route of the reconciler's own protocol wakes it.
    ns.ip(&["route", "add", "10.9.0.0/16", "dev", "lo", "proto", "76"]);
    let mut seen = Wakeup::Nothing;
    let start = Instant::now();
    while seen == Wakeup::Nothing && start.elapsed() < PATIENCE {
        seen = w.wait(Some(Duration::from_millis(200))).unwrap();
    }
    assert_eq!(seen, Wakeup::Changed);
    let rtnl_routes = Rtnl::open(&t)
        .unwrap()
        .routes_filtered(&RouteFilter::default().protocol(RouteProtocol(76)))
        .unwrap();
    assert_eq!(rtnl_routes.len(), 1);
}

#[test]
fn rec_45_nexthop_objects_two_way_by_protocol() {
    let Some((ns, t)) = fresh() else { return };
    // A foreign nexthop object (another protocol) that must survive (a blackhole needs lo up).
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&["nexthop", "add", "id", "50", "blackhole", "proto", "static"]);
    let d = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .nexthop(NexthopDesired::via(1, ip("192.0.2.1")).dev(ifn("v0")))
        .nexthop(NexthopDesired::via(2, ip("192.0.2.2")).dev(ifn("v0")))
        .nexthop(NexthopDesired::group(
            10,
            vec![NexthopMember::new(1, 1), NexthopMember::new(2, 3)],
        ))
        .route(RouteDesired::new("198.51.100.0/24".parse().unwrap()).nhid(10));
    let mut net = NetReconciler::new();
    let r1 = net
        .reconcile(&t, &d, &NetOwned::default(), &opts())
        .unwrap();
    assert_eq!(r1.to_string(), "converged (5 applied)", "{:?}", r1.lines());
    let shown = ns.ip(&["nexthop", "show"]);
    assert!(shown.contains("id 10 group 1/2,3 proto 76"), "{shown}");
    assert!(
        ns.ip(&["route", "show", "proto", "76"])
            .contains("198.51.100.0/24 nhid 10")
    );
    let r2 = net.reconcile(&t, &d, &r1.last_applied, &opts()).unwrap();
    assert!(r2.is_noop(), "{:?}", r2.lines());
    // Drift: a member deleted by hand (the kernel drops it from the group) is recreated and the
    // group repaired.
    ns.ip(&["nexthop", "del", "id", "2"]);
    let r3 = net.reconcile(&t, &d, &r2.last_applied, &opts()).unwrap();
    assert!(r3.converged, "{:?}", r3.lines());
    assert!(
        ns.ip(&["nexthop", "show"])
            .contains("id 10 group 1/2,3 proto 76")
    );
    // An empty desired state removes route, group and members; the foreign one stays.
    let r4 = net
        .reconcile(&t, &NetDesired::new(), &r3.last_applied, &opts())
        .unwrap();
    assert!(r4.converged, "{:?}", r4.lines());
    let shown = ns.ip(&["nexthop", "show"]);
    assert_eq!(shown.trim(), "id 50 blackhole proto static", "{shown}");
}

/// REC-06/REC-46 against the kernel: when the wake source's receive buffer overflows (a flood of
/// route events it does not read in time), it reports `Overrun` — which the loop turns into a
/// full pass — never a partial `Changed`; afterwards it keeps working.
#[test]
fn rec_46_monitor_overrun_is_reported_as_overrun() {
    let Some((_ns, t)) = fresh() else { return };
    let mut net = NetReconciler::new().monitor_buffer(4096);
    let mut w = net.subscribe(&t).unwrap().unwrap();
    // 2,000 route events (~100 bytes each) against a buffer of a few KiB, nothing reading.
    let specs: Vec<RouteSpec> = (0..2000u32)
        .map(|i| {
            let p = format!("100.{}.{}.0/24", 64 + i / 256, i % 256);
            RouteSpec::new(p.parse().unwrap())
                .oif("v0")
                .protocol(RouteProtocol(76))
        })
        .collect();
    Rtnl::open(&t).unwrap().add_routes(&specs).unwrap();
    let mut seen = Wakeup::Nothing;
    let start = Instant::now();
    while seen != Wakeup::Overrun && start.elapsed() < PATIENCE {
        seen = seen.max(w.wait(Some(Duration::from_millis(200))).unwrap());
    }
    assert_eq!(seen, Wakeup::Overrun);
    // Drained, the source reports new events again.
    while w.wait(Some(Duration::from_millis(0))).unwrap() != Wakeup::Nothing {}
    Rtnl::open(&t)
        .unwrap()
        .add_route(
            &RouteSpec::new("198.18.0.0/15".parse().unwrap())
                .oif("v0")
                .protocol(RouteProtocol(76)),
        )
        .unwrap();
    let mut seen = Wakeup::Nothing;
    let start = Instant::now();
    while seen == Wakeup::Nothing && start.elapsed() < PATIENCE {
        seen = w.wait(Some(Duration::from_millis(200))).unwrap();
    }
    assert_eq!(seen, Wakeup::Changed);
}

/// REC-41: every route shape the desired state can name — multipath with weights, a device
/// route, a table and a metric, a non-unicast type, IPv6 — converges, is a no-op on the second
/// pass, and each is shown by iproute2 with protocol 76; a hand-changed hop weight is healed by
/// one update.
#[test]
fn rec_41_route_shapes_multipath_table_metric_type_ipv6() {
    let Some((ns, t)) = fresh() else { return };
    let d = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .address(AddressDesired::new(ifn("v0"), "2001:db8::10/64".parse().unwrap()).nodad())
        .route(
            RouteDesired::new("198.51.100.0/24".parse().unwrap())
                .hop(HopDesired::via(ip("192.0.2.1")).dev(ifn("v0")).weight(1))
                .hop(HopDesired::via(ip("192.0.2.2")).dev(ifn("v0")).weight(3)),
        )
        .route(RouteDesired::new("203.0.113.0/24".parse().unwrap()).dev(ifn("v0")))
        .route(
            RouteDesired::new("10.20.0.0/16".parse().unwrap())
                .via(ip("192.0.2.1"))
                .table(100)
                .metric(50),
        )
        .route(RouteDesired::new("10.30.0.0/16".parse().unwrap()).kind("unreachable"))
        .route(RouteDesired::new("2001:db8:1::/48".parse().unwrap()).via(ip("2001:db8::1")));
    let mut net = NetReconciler::new();
    let r1 = net
        .reconcile(&t, &d, &NetOwned::default(), &opts())
        .unwrap();
    assert_eq!(r1.to_string(), "converged (7 applied)", "{:?}", r1.lines());
    let v4 = ns.ip(&["-4", "route", "show", "table", "all", "proto", "76"]);
    assert!(v4.contains("198.51.100.0/24"), "{v4}");
    assert!(v4.contains("nexthop via 192.0.2.1 dev v0 weight 1"), "{v4}");
    assert!(v4.contains("nexthop via 192.0.2.2 dev v0 weight 3"), "{v4}");
    assert!(v4.contains("203.0.113.0/24 dev v0"), "{v4}");
    assert!(
        v4.contains("10.20.0.0/16 via 192.0.2.1 dev v0 table 100 metric 50"),
        "{v4}"
    );
    assert!(v4.contains("unreachable 10.30.0.0/16"), "{v4}");
    let v6 = ns.ip(&["-6", "route", "show", "proto", "76"]);
    assert!(
        v6.contains("2001:db8:1::/48 via 2001:db8::1 dev v0"),
        "{v6}"
    );
    let r2 = net.reconcile(&t, &d, &r1.last_applied, &opts()).unwrap();
    assert!(r2.is_noop(), "{:?}", r2.lines());
    // Drift: the multipath route replaced by hand with other weights.
    ns.ip(&[
        "route",
        "replace",
        "198.51.100.0/24",
        "proto",
        "76",
        "nexthop",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "weight",
        "2",
        "nexthop",
        "via",
        "192.0.2.2",
        "dev",
        "v0",
        "weight",
        "2",
    ]);
    let r3 = net.reconcile(&t, &d, &r2.last_applied, &opts()).unwrap();
    let classes: Vec<(Change, &str)> = r3
        .applied
        .iter()
        .map(|o| (o.change, o.object.class()))
        .collect();
    assert_eq!(classes, [(Change::Update, "route")], "{:?}", r3.lines());
    let v4 = ns.ip(&["-4", "route", "show", "198.51.100.0/24", "proto", "76"]);
    assert!(v4.contains("weight 3"), "{v4}");
}

/// REC-43: an owned address whose interface vanished (deleted by hand) is done, not a failure:
/// the pass that no longer desires it converges and forgets it; an interface created again under
/// the same name does not inherit the old ownership.
#[test]
fn rec_43_owned_address_on_a_vanished_interface_counts_as_done() {
    let Some((ns, t)) = fresh() else { return };
    ns.ip(&["link", "add", "w0", "type", "veth", "peer", "name", "w1"]);
    ns.ip(&["link", "set", "w0", "up"]);
    let d = NetDesired::new()
        .address(AddressDesired::new(
            ifn("v0"),
            "192.0.2.10/24".parse().unwrap(),
        ))
        .address(AddressDesired::new(
            ifn("w0"),
            "198.18.0.1/24".parse().unwrap(),
        ));
    let mut net = NetReconciler::new();
    let r1 = net
        .reconcile(&t, &d, &NetOwned::default(), &opts())
        .unwrap();
    assert_eq!(r1.to_string(), "converged (2 applied)", "{:?}", r1.lines());
    assert_eq!(r1.last_applied.addresses.len(), 2);
    ns.ip(&["link", "del", "w0"]);
    let d2 = NetDesired::new().address(AddressDesired::new(
        ifn("v0"),
        "192.0.2.10/24".parse().unwrap(),
    ));
    let r2 = net.reconcile(&t, &d2, &r1.last_applied, &opts()).unwrap();
    assert!(r2.converged, "{:?}", r2.lines());
    assert!(r2.failed.is_empty() && r2.pending.is_empty());
    assert_eq!(r2.last_applied.addresses.len(), 1, "{:?}", r2.last_applied);
    // w0 again, with the same address added by someone else: foreign, never deleted.
    ns.ip(&["link", "add", "w0", "type", "veth", "peer", "name", "w1"]);
    ns.ip(&["addr", "add", "198.18.0.1/24", "dev", "w0"]);
    let r3 = net.reconcile(&t, &d2, &r2.last_applied, &opts()).unwrap();
    assert!(r3.is_noop(), "{:?}", r3.lines());
    assert_eq!(addrs(&ns, "w0"), ["198.18.0.1/24"]);
}
