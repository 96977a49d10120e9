//! Kernel tier: link statistics (RT-34, RT-35), checked against `ip -j stats show`.

use std::net::UdpSocket;

use linx::ns::{NsSet, NsTarget};
use linx::rtnl::stats::{
    ALL_FILTER, BridgeMcastStats, BridgeStpXstats, LinkStats, XSTATS_FILTER, Xstats,
};
use linx::rtnl::{AddressSpec, LinkSpec, NeighSpec, Rtnl};
use linx_testkit::{NetNs, require_root};

#[test]
fn rt_34_stats_of_lo_unprivileged() {
    // Scenario 2: works without privileges, in the caller's namespace (read-only).
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let s = rtnl.stats("lo").unwrap();
    let l64 = s.link64.expect("64-bit counters");
    assert_eq!(l64.rx_packets, l64.tx_packets, "loopback sends to itself");
    assert!(s.index > 0);
    let all = rtnl.all_stats(linx::rtnl::stats::DEFAULT_FILTER).unwrap();
    assert!(all.iter().any(|x| x.index == s.index));
    let e = rtnl.stats("nosuchif0").unwrap_err();
    assert!(e.to_string().contains("nosuchif0"), "{e}");
    assert!(rtnl.all_stats(0).unwrap_err().is_input());
}

#[test]
fn rt_34_counters_follow_traffic_and_match_ip() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new().unwrap();
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    let mut rtnl = Rtnl::open(&target).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    rtnl.set_up("v1").unwrap();
    rtnl.add_address(&AddressSpec::new("v0", "192.0.2.10/24".parse().unwrap()))
        .unwrap();
    rtnl.add_neighbour(
        &NeighSpec::new("v0", "192.0.2.20".parse().unwrap())
            .lladdr("02:00:00:00:00:20".parse().unwrap()),
    )
    .unwrap();
    let before = rtnl.stats("v0").unwrap().link64.unwrap();
    target
        .run(NsSet::NET, || {
            let s = UdpSocket::bind("192.0.2.10:0").unwrap();
            for _ in 0..5 {
                s.send_to(b"hello", "192.0.2.20:9").unwrap();
            }
        })
        .unwrap();
    let after = rtnl.stats("v0").unwrap().link64.unwrap();
    assert!(
        after.tx_packets >= before.tx_packets + 5,
        "{before} -> {after}"
    );
    let peer = rtnl.stats("v1").unwrap().link64.unwrap();
    assert!(peer.rx_packets >= 5, "{peer}");
    // The same numbers as `ip -j stats show`. The kernel may send on its own meanwhile (IPv6
    // neighbour discovery, MLD reports after the link came up), and counters only grow: ip's
    // reading lies between linx's readings just before and just after it.
    let lo = rtnl.stats("v0").unwrap().link64.unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "stats", "show", "dev", "v0", "group", "link"]))
            .unwrap();
    let hi = rtnl.stats("v0").unwrap().link64.unwrap();
    let tx = &json[0]["stats64"]["tx"];
    let (packets, bytes) = (
        tx["packets"].as_u64().unwrap(),
        tx["bytes"].as_u64().unwrap(),
    );
    assert!(
        (lo.tx_packets..=hi.tx_packets).contains(&packets),
        "ip {packets} packets, linx {lo} .. {hi}"
    );
    assert!(
        (lo.tx_bytes..=hi.tx_bytes).contains(&bytes),
        "ip {bytes} bytes, linx {lo} .. {hi}"
    );
}

/// iproute2's key path and linx's value for every counter `ip -j stats … suite mcast` prints.
fn mcast_keys(m: &BridgeMcastStats) -> Vec<(&'static str, &'static str, u64)> {
    let q = "igmp_queries";
    let r = "igmp_reports";
    let mq = "mld_queries";
    let mr = "mld_reports";
    vec![
        (q, "rx_v1", m.igmp_v1queries.rx),
        (q, "rx_v2", m.igmp_v2queries.rx),
        (q, "rx_v3", m.igmp_v3queries.rx),
        (q, "tx_v1", m.igmp_v1queries.tx),
        (q, "tx_v2", m.igmp_v2queries.tx),
        (q, "tx_v3", m.igmp_v3queries.tx),
        (r, "rx_v1", m.igmp_v1reports.rx),
        (r, "rx_v2", m.igmp_v2reports.rx),
        (r, "rx_v3", m.igmp_v3reports.rx),
        (r, "tx_v1", m.igmp_v1reports.tx),
        (r, "tx_v2", m.igmp_v2reports.tx),
        (r, "tx_v3", m.igmp_v3reports.tx),
        ("igmp_leaves", "rx", m.igmp_leaves.rx),
        ("igmp_leaves", "tx", m.igmp_leaves.tx),
        ("igmp_parse_errors", "", m.igmp_parse_errors),
        (mq, "rx_v1", m.mld_v1queries.rx),
        (mq, "rx_v2", m.mld_v2queries.rx),
        (mq, "tx_v1", m.mld_v1queries.tx),
        (mq, "tx_v2", m.mld_v2queries.tx),
        (mr, "rx_v1", m.mld_v1reports.rx),
        (mr, "rx_v2", m.mld_v2reports.rx),
        (mr, "tx_v1", m.mld_v1reports.tx),
        (mr, "tx_v2", m.mld_v2reports.tx),
        ("mld_leaves", "rx", m.mld_leaves.rx),
        ("mld_leaves", "tx", m.mld_leaves.tx),
        ("mld_parse_errors", "", m.mld_parse_errors),
    ]
}

fn stp_keys(s: &BridgeStpXstats) -> Vec<(&'static str, &'static str, u64)> {
    vec![
        ("rx_bpdu", "", s.rx_bpdu),
        ("tx_bpdu", "", s.tx_bpdu),
        ("rx_tcn", "", s.rx_tcn),
        ("tx_tcn", "", s.tx_tcn),
        ("transition_blk", "", s.transition_blk),
        ("transition_fwd", "", s.transition_fwd),
    ]
}

/// The object `key` (`multicast`, `stp`) of `ip -j stats show dev DEV group GROUP subgroup
/// bridge`.
fn ip_bridge_xstats(ns: &NetNs, dev: &str, group: &str, key: &str) -> serde_json::Value {
    let out = ns.ip(&[
        "-j", "stats", "show", "dev", dev, "group", group, "subgroup", "bridge",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.get(key).cloned())
        .unwrap_or_else(|| panic!("ip prints no {key} for {dev} {group}: {out}"))
}

/// Counters move while the two tools read them, so each of iproute2's values must lie between
/// linx's reading before and linx's reading after (equal when nothing moved).
fn between(
    what: &str,
    theirs: &serde_json::Value,
    before: &[(&str, &str, u64)],
    after: &[(&str, &str, u64)],
) {
    for ((k, sub, lo), (_, _, hi)) in before.iter().zip(after) {
        let v = if sub.is_empty() {
            &theirs[k]
        } else {
            &theirs[k][sub]
        };
        let v = v
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: ip has no {k}.{sub}: {theirs}"));
        assert!(
            *lo <= v && v <= *hi,
            "{what} {k}.{sub}: linx {lo}..={hi}, ip {v}"
        );
    }
}

/// Polls (up to 20 s) until `ok` holds for the statistics of `dev`, for counters that only move
/// once the kernel's timers have run (MLD reports, BPDUs).
fn stats_once(rtnl: &mut Rtnl, dev: &str, ok: impl Fn(&LinkStats) -> bool) -> LinkStats {
    for _ in 0..200 {
        let s = rtnl.stats_with(dev, ALL_FILTER).unwrap();
        if ok(&s) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{dev}: the awaited counters never moved");
}

#[test]
fn rt_35_bridge_xstats_typed_and_matching_ip_stats() {
    if !require_root() || !linx_testkit::require_tool("ip") {
        return;
    }
    let ns = NetNs::new().unwrap();
    let mut rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    // IGMP/MLD statistics on, kernel STP with 1 s hellos and the shortest forward delay (2 s):
    // BPDUs flow at once, and MLD reports once the port forwards and the bridge has carrier.
    for cmd in [
        "link add br0 type bridge mcast_stats_enabled 1 stp_state 1 hello_time 100 forward_delay 200",
        "link add v0 type veth peer name v1",
        "link set v0 master br0",
        "link set v1 up",
        "link set v0 up",
        "link set br0 up",
    ] {
        ns.ip(&cmd.split(' ').collect::<Vec<_>>());
    }
    // The bridge: LINK_XSTATS_TYPE_BRIDGE with IGMP/MLD counters, no STP (a port thing). The
    // bridge's own MLD reports count as received on the bridge and sent on the port.
    let bridge_moved = |s: &LinkStats| {
        s.bridge()
            .and_then(|b| b.mcast)
            .is_some_and(|m| m.mld_v2reports.rx > 0)
    };
    let before = stats_once(&mut rtnl, "br0", bridge_moved);
    let b = before.bridge().expect("bridge xstats typed").clone();
    assert!(b.stp.is_none() && b.vlans.is_empty(), "{b:?}");
    assert!(
        before.xstats.iter().all(|x| matches!(x, Xstats::Bridge(_))),
        "{:?}",
        before.xstats
    );
    assert!(before.xstats_port.is_empty(), "a bridge is no port");
    let theirs = ip_bridge_xstats(&ns, "br0", "xstats", "multicast");
    let after = rtnl.stats_with("br0", ALL_FILTER).unwrap();
    between(
        "br0 multicast",
        &theirs,
        &mcast_keys(&b.mcast.unwrap()),
        &mcast_keys(&after.bridge().unwrap().mcast.unwrap()),
    );

    // The port: its bridge's view of it (LINK_XSTATS_SLAVE) with STP and IGMP/MLD counters.
    let port_moved = |s: &LinkStats| {
        s.bridge_port()
            .and_then(|p| p.stp)
            .is_some_and(|stp| stp.tx_bpdu > 0 && stp.transition_fwd > 0)
    };
    let before = stats_once(&mut rtnl, "v0", port_moved);
    assert!(before.bridge().is_none(), "a veth has no xstats of its own");
    let p = before.bridge_port().unwrap().clone();
    let theirs_stp = ip_bridge_xstats(&ns, "v0", "xstats_slave", "stp");
    let theirs_mcast = ip_bridge_xstats(&ns, "v0", "xstats_slave", "multicast");
    let after = rtnl.stats_with("v0", ALL_FILTER).unwrap();
    let ap = after.bridge_port().unwrap();
    between(
        "v0 stp",
        &theirs_stp,
        &stp_keys(&p.stp.unwrap()),
        &stp_keys(&ap.stp.unwrap()),
    );
    between(
        "v0 multicast",
        &theirs_mcast,
        &mcast_keys(&p.mcast.unwrap()),
        &mcast_keys(&ap.mcast.unwrap()),
    );
    // The default filter asks for none of it.
    let plain = rtnl.stats("v0").unwrap();
    assert!(plain.xstats_port.is_empty() && plain.af_spec.is_empty());
    assert_eq!(
        rtnl.stats_with("v1", XSTATS_FILTER).unwrap().xstats_port,
        [],
        "v1 has no master"
    );
}
