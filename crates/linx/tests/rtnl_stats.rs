//! Kernel tier: link statistics (RT-34, RT-35).

use std::net::UdpSocket;

use linx::ns::{NsSet, NsTarget};
use linx::rtnl::stats::ALL_FILTER;
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
    // Same numbers as `ip -j stats show` (nothing else sends meanwhile).
    let json: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "stats", "show", "dev", "v0", "group", "link"]))
            .unwrap();
    let tx = &json[0]["stats64"]["tx"];
    let now = rtnl.stats("v0").unwrap().link64.unwrap();
    assert_eq!(tx["packets"].as_u64(), Some(now.tx_packets));
    assert_eq!(tx["bytes"].as_u64(), Some(now.tx_bytes));
}

#[test]
fn rt_35_extended_and_af_statistics_stay_raw() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new().unwrap();
    let mut rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    rtnl.create_link(&LinkSpec::bridge("br0")).unwrap();
    let s = rtnl.stats_with("br0", ALL_FILTER).unwrap();
    assert!(s.link64.is_some());
    assert!(!s.xstats.is_empty(), "bridge extended stats: {s:?}");
    assert_eq!(s.filter_mask & 1, 1);
}
