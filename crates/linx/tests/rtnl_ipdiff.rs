//! Differential tier (spec scenario 13): the same state read by `ip -j` and by linx must agree on
//! every shared field — in both directions: state built with `ip` and read by linx, and state
//! built with linx and read by `ip`. linx's side is its iproute2-compatible JSON
//! ([`linx::rtnl::json`] and [`linx::rtnl::link::IpLinkJson`]), so this also pins
//! `linx … show --json`.
#![cfg(feature = "serde")]

use std::net::IpAddr;

use linx::ns::NsTarget;
use linx::rtnl::kinds::{MacvlanMode, Vxlan};
use linx::rtnl::nexthop::GroupMember;
use linx::rtnl::{
    AddressSpec, Broadcast, HopSpec, LinkSpec, NeighFilter, NeighSpec, NexthopSpec, NudState,
    RouteProtocol, RouteSpec, RouteType, Rtnl, RuleSpec, TunSpec, json,
};
use linx_testkit::{NetNs, require_root, require_tool};
use serde_json::{Map, Value};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Projects each object on `keys` and sorts, so order does not matter but every shared value does.
fn project(v: &Value, keys: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|o| {
            let mut m = Map::new();
            for k in keys {
                if let Some(x) = o.get(*k) {
                    m.insert((*k).to_owned(), x.clone());
                }
            }
            Value::Object(m).to_string()
        })
        .collect();
    out.sort();
    out
}

fn same(what: &str, ours: &Value, theirs: &Value, keys: &[&str]) {
    let a = project(ours, keys);
    let b = project(theirs, keys);
    assert_eq!(a, b, "{what}: linx (left) and ip -j (right) disagree");
    assert!(!b.is_empty(), "{what}: nothing compared");
}

fn ip_json(ns: &NetNs, args: &[&str]) -> Value {
    let mut full = vec!["-j"];
    full.extend_from_slice(args);
    serde_json::from_str(&ns.ip(&full)).unwrap_or_else(|e| panic!("ip {args:?}: {e}"))
}

const ROUTE_KEYS: &[&str] = &[
    "type", "dst", "from", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric",
    "flags", "pref", "nhid", "nexthops",
];
const LINK_KEYS: &[&str] = &[
    "ifindex",
    "ifname",
    "flags",
    "mtu",
    "master",
    "link",
    "operstate",
    "group",
    "txqlen",
    "link_type",
    "address",
    "broadcast",
    "min_mtu",
    "max_mtu",
    "ifalias",
];
const ADDR_INFO_KEYS: &[&str] = &[
    "family",
    "local",
    "address",
    "prefixlen",
    "broadcast",
    "scope",
    "label",
    "nodad",
    "noprefixroute",
    "secondary",
    "dynamic",
    "tentative",
    "valid_life_time",
    "preferred_life_time",
];

/// Compares every object class between linx and `ip -j` in `ns`.
fn compare_everything(ns: &NetNs, rtnl: &mut Rtnl) {
    let links = rtnl.links().unwrap();

    // Links (ip -j -d link show), including kind data for the kinds linx models.
    let ours = serde_json::to_value(linx::rtnl::link::ip_json(&links)).unwrap();
    let theirs = ip_json(ns, &["-d", "link", "show"]);
    same("links", &ours, &theirs, LINK_KEYS);
    let info = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let li = &l["linkinfo"];
                let mut m = Map::new();
                m.insert("ifname".into(), l["ifname"].clone());
                for k in ["info_kind", "info_slave_kind"] {
                    if let Some(x) = li.get(k) {
                        m.insert(k.into(), x.clone());
                    }
                }
                Value::Object(m).to_string()
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(info(&ours), info(&theirs), "linkinfo kinds");
    for (l_ours, l_theirs) in ours.as_array().unwrap().iter().map(|o| {
        let t = theirs
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["ifname"] == o["ifname"])
            .unwrap();
        (o, t)
    }) {
        // Every info_data key linx prints must equal iproute2's.
        if let Some(d) = l_ours["linkinfo"]["info_data"].as_object() {
            for (k, v) in d {
                assert_eq!(
                    Some(v),
                    l_theirs["linkinfo"]["info_data"].get(k),
                    "{}: info_data.{k}",
                    l_ours["ifname"]
                );
            }
        }
    }

    // Addresses (ip -j address show): link keys plus every addr_info entry.
    let addrs = rtnl.addresses().unwrap();
    let ours = serde_json::to_value(json::addresses(&links, &addrs)).unwrap();
    let theirs = ip_json(ns, &["address", "show"]);
    same("addr links", &ours, &theirs, LINK_KEYS);
    let infos = |v: &Value| -> Value {
        Value::Array(
            v.as_array()
                .unwrap()
                .iter()
                .flat_map(|l| {
                    l["addr_info"].as_array().unwrap().iter().map(move |a| {
                        let mut a = a.clone();
                        a["ifname"] = l["ifname"].clone();
                        a
                    })
                })
                .collect(),
        )
    };
    let mut keys = ADDR_INFO_KEYS.to_vec();
    keys.push("ifname");
    same("addr_info", &infos(&ours), &infos(&theirs), &keys);

    // Routes of every table and both families.
    let routes = rtnl.routes().unwrap();
    let ours = serde_json::to_value(json::routes(&routes, &links)).unwrap();
    same(
        "routes",
        &ours,
        &ip_json(ns, &["route", "show", "table", "all"]),
        ROUTE_KEYS,
    );
    let six: Vec<_> = routes.iter().filter(|r| r.family == 10).cloned().collect();
    let ours6 = serde_json::to_value(json::routes(&six, &links)).unwrap();
    same(
        "IPv6 routes",
        &ours6,
        &ip_json(ns, &["-6", "route", "show", "table", "all"]),
        ROUTE_KEYS,
    );

    // Neighbours (ip hides NOARP-only entries), and proxies.
    let neighs: Vec<_> = rtnl
        .neighbours()
        .unwrap()
        .into_iter()
        .filter(|n| n.state != NudState::NOARP)
        .collect();
    let ours = serde_json::to_value(json::neighbours(&neighs, &links)).unwrap();
    let nkeys = &["dst", "dev", "lladdr", "state", "router", "proxy"];
    same("neighbours", &ours, &ip_json(ns, &["neigh", "show"]), nkeys);
    let proxies = rtnl.neighbours_filtered(&NeighFilter::proxies()).unwrap();
    let ours = serde_json::to_value(json::neighbours(&proxies, &links)).unwrap();
    same(
        "proxies",
        &ours,
        &ip_json(ns, &["neigh", "show", "proxy"]),
        nkeys,
    );

    // Rules, per family as ip shows them.
    let rkeys = &[
        "priority",
        "src",
        "srclen",
        "dst",
        "dstlen",
        "fwmark",
        "fwmask",
        "iif",
        "oif",
        "uid_start",
        "uid_end",
        "ipproto",
        "sport_start",
        "sport_end",
        "dport_start",
        "dport_end",
        "table",
        "goto",
        "not",
    ];
    let r4 = rtnl.rules_of(2).unwrap();
    same(
        "IPv4 rules",
        &serde_json::to_value(json::rules(&r4)).unwrap(),
        &ip_json(ns, &["rule", "show"]),
        rkeys,
    );
    let r6 = rtnl.rules_of(10).unwrap();
    same(
        "IPv6 rules",
        &serde_json::to_value(json::rules(&r6)).unwrap(),
        &ip_json(ns, &["-6", "rule", "show"]),
        rkeys,
    );

    // Nexthop objects.
    let nhs = rtnl.nexthops().unwrap();
    same(
        "nexthops",
        &serde_json::to_value(json::nexthops(&nhs, &links)).unwrap(),
        &ip_json(ns, &["nexthop", "show"]),
        &["id", "group", "gateway", "dev", "scope", "blackhole", "fdb"],
    );
}

fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() || !require_tool("ip") {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    // No IPv6 DAD: addresses do not change state between the two reads.
    ns.run(
        "sysctl",
        &[
            "-qw",
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        ],
    );
    let rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    Some((ns, rtnl))
}

#[test]
fn rt_13_state_built_with_ip_reads_the_same_in_linx() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    for cmd in [
        "link set lo up",
        "link add v0 type veth peer name v1",
        "link add br0 type bridge ageing_time 1000",
        "link set v0 master br0",
        "link set v0 up",
        "link set v1 up",
        "link set br0 up",
        "link set v1 mtu 1400",
        "link add mv0 link v1 type macvlan mode private",
        "link add vx0 type vxlan id 42 dstport 4789 remote 192.0.2.1 dev v1 ttl 10",
        "tuntap add tap0 mode tap user 1000",
        "link set v1 alias uplink",
        "addr add 192.0.2.10/24 brd + dev br0 label br0:a",
        "addr add 192.0.2.11/24 dev br0",
        "addr add 10.9.0.1 peer 10.9.0.2 dev v1",
        "addr add 2001:db8::1/64 dev br0 nodad",
        "addr add 2001:db8:5::1/64 dev br0 nodad noprefixroute",
        "route add 198.51.100.0/24 via 192.0.2.1 dev br0 table 100 metric 50 proto static",
        "route add default via 192.0.2.1 dev br0",
        "route add 203.0.113.0/24 nexthop via 192.0.2.1 weight 1 nexthop via 192.0.2.2 weight 3",
        "route add blackhole 10.20.0.0/16",
        "route add unreachable 10.21.0.0/16 table 1000",
        "route add prohibit 10.22.0.0/16 table 7",
        "route add 10.23.0.0/16 dev br0 scope link",
        "route add 2001:db8:1::/64 via 2001:db8::2 metric 10",
        "neigh add 192.0.2.77 lladdr 02:00:00:00:00:77 dev br0 nud permanent",
        "neigh add 192.0.2.78 lladdr 02:00:00:00:00:78 dev br0 nud stale",
        "neigh add 2001:db8::77 lladdr 02:00:00:00:00:79 dev br0 router",
        "neigh add proxy 192.0.2.88 dev br0",
        "rule add from 203.0.113.0/24 table 100 priority 1000",
        "rule add fwmark 0x10/0xff iif br0 table 200 priority 1001 uidrange 100-200 dport 80-90 ipproto tcp",
        "rule add not to 198.51.100.0/24 table 300 priority 1002",
        "-6 rule add from 2001:db8::/32 table 100 priority 2000",
        "nexthop add id 1 via 192.0.2.1 dev br0",
        "nexthop add id 2 via 192.0.2.2 dev br0",
        "nexthop add id 10 group 1/2,3",
        "route add 10.30.0.0/16 nhid 10",
    ] {
        let args: Vec<&str> = cmd.split(' ').collect();
        ns.ip(&args);
    }
    compare_everything(&ns, &mut rtnl);
    // A few decoded values, as typed fields.
    let r = rtnl
        .routes()
        .unwrap()
        .into_iter()
        .find(|r| r.dst_text() == "198.51.100.0/24")
        .unwrap();
    assert_eq!(
        (r.table, r.protocol, r.metric),
        (100, RouteProtocol::STATIC, Some(50))
    );
    let mp = rtnl
        .routes()
        .unwrap()
        .into_iter()
        .find(|r| r.dst_text() == "203.0.113.0/24")
        .unwrap();
    assert_eq!(
        mp.multipath.iter().map(|h| h.weight).collect::<Vec<_>>(),
        [1, 3]
    );
}

#[test]
fn rt_13_state_built_with_linx_reads_the_same_in_ip() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    rtnl.set_up("lo").unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.create_link(&LinkSpec::bridge("br0")).unwrap();
    rtnl.set_master("v0", "br0").unwrap();
    for l in ["v0", "v1", "br0"] {
        rtnl.set_up(l).unwrap();
    }
    rtnl.set_mtu("v1", 1400).unwrap();
    rtnl.set_alias("v1", "uplink").unwrap();
    rtnl.create_link(&LinkSpec::macvlan("mv0", "v1", MacvlanMode::Private))
        .unwrap();
    rtnl.create_link(&LinkSpec::vxlan(
        "vx0",
        Vxlan::new(42, 4789)
            .remote(ip("192.0.2.1"))
            .underlay("v1")
            .ttl(10),
    ))
    .unwrap();
    let tap = TunSpec::tap("tap0")
        .persist(true)
        .owner(1000)
        .create(&target)
        .unwrap();
    drop(tap);
    rtnl.add_address(
        &AddressSpec::new("br0", "192.0.2.10/24".parse().unwrap())
            .broadcast(Broadcast::Compute)
            .label("br0:a"),
    )
    .unwrap();
    rtnl.add_address(&AddressSpec::new("br0", "192.0.2.11/24".parse().unwrap()))
        .unwrap();
    rtnl.add_address(
        &AddressSpec::new("v1", "10.9.0.1/32".parse().unwrap())
            .peer("10.9.0.2/32".parse().unwrap()),
    )
    .unwrap();
    rtnl.add_address(&AddressSpec::new("br0", "2001:db8::1/64".parse().unwrap()).nodad())
        .unwrap();
    rtnl.add_address(
        &AddressSpec::new("br0", "2001:db8:5::1/64".parse().unwrap())
            .nodad()
            .noprefixroute(),
    )
    .unwrap();
    rtnl.add_route(
        &RouteSpec::new("198.51.100.0/24".parse().unwrap())
            .gateway(ip("192.0.2.1"))
            .oif("br0")
            .table(100)
            .metric(50)
            .protocol(RouteProtocol::STATIC),
    )
    .unwrap();
    rtnl.add_route(&RouteSpec::default_via(ip("192.0.2.1")).oif("br0"))
        .unwrap();
    rtnl.add_route(
        &RouteSpec::new("203.0.113.0/24".parse().unwrap())
            .hop(HopSpec::via(ip("192.0.2.1")))
            .hop(HopSpec::via(ip("192.0.2.2")).weight(3)),
    )
    .unwrap();
    rtnl.add_route(&RouteSpec::new("10.20.0.0/16".parse().unwrap()).kind(RouteType::BLACKHOLE))
        .unwrap();
    rtnl.add_route(
        &RouteSpec::new("10.21.0.0/16".parse().unwrap())
            .kind(RouteType::UNREACHABLE)
            .table(1000),
    )
    .unwrap();
    rtnl.add_route(
        &RouteSpec::new("10.22.0.0/16".parse().unwrap())
            .kind(RouteType::PROHIBIT)
            .table(7),
    )
    .unwrap();
    rtnl.add_route(&RouteSpec::new("10.23.0.0/16".parse().unwrap()).oif("br0"))
        .unwrap();
    rtnl.add_route(
        &RouteSpec::new("2001:db8:1::/64".parse().unwrap())
            .gateway(ip("2001:db8::2"))
            .metric(10),
    )
    .unwrap();
    let mac = |s: &str| s.parse::<linx::Mac>().unwrap();
    rtnl.add_neighbour(&NeighSpec::new("br0", ip("192.0.2.77")).lladdr(mac("02:00:00:00:00:77")))
        .unwrap();
    rtnl.add_neighbour(
        &NeighSpec::new("br0", ip("192.0.2.78"))
            .lladdr(mac("02:00:00:00:00:78"))
            .state(NudState::STALE),
    )
    .unwrap();
    rtnl.add_neighbour(
        &NeighSpec::new("br0", ip("2001:db8::77"))
            .lladdr(mac("02:00:00:00:00:79"))
            .flags(linx::rtnl::NeighFlags::ROUTER)
            .state(NudState::REACHABLE),
    )
    .unwrap();
    rtnl.add_neighbour(&NeighSpec::proxy("br0", ip("192.0.2.88")))
        .unwrap();
    rtnl.add_rule(
        &RuleSpec::new()
            .from("203.0.113.0/24".parse().unwrap())
            .table(100)
            .priority(1000),
    )
    .unwrap();
    rtnl.add_rule(
        &RuleSpec::new()
            .fwmark(0x10, Some(0xff))
            .iif("br0")
            .table(200)
            .priority(1001)
            .uid_range(100, 200)
            .dport_range(80, 90)
            .ip_proto(6),
    )
    .unwrap();
    let mut not = RuleSpec::new()
        .to("198.51.100.0/24".parse().unwrap())
        .table(300)
        .priority(1002);
    not.invert = true;
    rtnl.add_rule(&not).unwrap();
    rtnl.add_rule(
        &RuleSpec::new()
            .from("2001:db8::/32".parse().unwrap())
            .table(100)
            .priority(2000),
    )
    .unwrap();
    rtnl.add_nexthop(&NexthopSpec::via(1, ip("192.0.2.1"), "br0"))
        .unwrap();
    rtnl.add_nexthop(&NexthopSpec::via(2, ip("192.0.2.2"), "br0"))
        .unwrap();
    rtnl.add_nexthop(&NexthopSpec::group(
        10,
        vec![
            GroupMember { id: 1, weight: 1 },
            GroupMember { id: 2, weight: 3 },
        ],
    ))
    .unwrap();
    rtnl.add_route(&RouteSpec::new("10.30.0.0/16".parse().unwrap()).nh_id(10))
        .unwrap();
    compare_everything(&ns, &mut rtnl);
    // And a few values as ip's own text shows them.
    let text = ns.ip(&["route", "show", "table", "100"]);
    assert!(
        text.contains("198.51.100.0/24 via 192.0.2.1 dev br0 proto static metric 50"),
        "{text}"
    );
    let text = ns.ip(&["-d", "link", "show", "vx0"]);
    assert!(
        text.contains("vxlan id 42 remote 192.0.2.1 dev v1"),
        "{text}"
    );
}
