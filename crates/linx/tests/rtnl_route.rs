//! Kernel tier: routes (RT-24..RT-28, RT-30) and nexthop objects (RT-29), each test in a fresh
//! network namespace.

use std::net::IpAddr;

use linx::Error;
use linx::error::Errno;
use linx::ns::NsTarget;
use linx::rtnl::nexthop::GroupMember;
use linx::rtnl::{
    AddressSpec, HopSpec, LinkSpec, NexthopSpec, Route, RouteFilter, RouteGet, RouteProtocol,
    RouteSpec, RouteType, Rtnl, Scope,
};
use linx_testkit::{NetNs, require_root};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A namespace with v0 (192.0.2.10/24, 2001:db8::10/64) ↔ v1, both up.
fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let mut rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    rtnl.set_up("v1").unwrap();
    rtnl.add_address(&AddressSpec::new("v0", "192.0.2.10/24".parse().unwrap()))
        .unwrap();
    rtnl.add_address(&AddressSpec::new("v0", "2001:db8::10/64".parse().unwrap()).nodad())
        .unwrap();
    Some((ns, rtnl))
}

fn find<'a>(routes: &'a [Route], dst: &str) -> Vec<&'a Route> {
    routes.iter().filter(|r| r.dst_text() == dst).collect()
}

#[test]
fn rt_25_table_protocol_metric_duplicate_and_replace_in_place() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let spec = RouteSpec::new("198.51.100.0/24".parse().unwrap())
        .gateway(ip("192.0.2.1"))
        .oif("v0")
        .table(100)
        .protocol(RouteProtocol::STATIC)
        .metric(50);
    rtnl.add_route(&spec).unwrap();
    let routes = rtnl.routes_filtered(&RouteFilter::table(100)).unwrap();
    let r = find(&routes, "198.51.100.0/24");
    assert_eq!(r.len(), 1, "{routes:?}");
    assert_eq!(
        (r[0].table, r[0].protocol.0, r[0].metric),
        (100, 4, Some(50))
    );
    assert_eq!(r[0].gateway, Some(ip("192.0.2.1")));
    let v0 = rtnl.link_by_name("v0").unwrap();
    assert_eq!(r[0].oif, Some(v0.index));
    assert_eq!(
        r[0].to_string(),
        format!(
            "198.51.100.0/24 via 192.0.2.1 dev {} table 100 metric 50 proto static",
            v0.index
        )
    );
    let e = rtnl.add_route(&spec).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("198.51.100.0/24 table 100"), "{e}");
    // Replace changes the gateway in place: exactly one route remains.
    rtnl.replace_route(&spec.clone().gateway(ip("192.0.2.2")))
        .unwrap();
    let routes = rtnl.routes_filtered(&RouteFilter::table(100)).unwrap();
    let r = find(&routes, "198.51.100.0/24");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].gateway, Some(ip("192.0.2.2")));
    rtnl.delete_route(&RouteSpec::new("198.51.100.0/24".parse().unwrap()).table(100))
        .unwrap();
    assert!(
        find(
            &rtnl.routes_filtered(&RouteFilter::table(100)).unwrap(),
            "198.51.100.0/24"
        )
        .is_empty()
    );
    let e = rtnl
        .delete_route(&RouteSpec::new("198.51.100.0/24".parse().unwrap()).table(100))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::SRCH), "{e}");
}

#[test]
fn rt_25_default_routes_for_both_families() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_route(&RouteSpec::default_via(ip("192.0.2.1")))
        .unwrap();
    rtnl.add_route(&RouteSpec::default_via(ip("2001:db8::1")))
        .unwrap();
    let routes = rtnl.routes_filtered(&RouteFilter::table(254)).unwrap();
    let defaults = find(&routes, "default");
    assert_eq!(defaults.len(), 2, "{routes:?}");
    assert!(defaults.iter().any(|r| r.gateway == Some(ip("192.0.2.1"))));
    assert!(
        defaults
            .iter()
            .any(|r| r.gateway == Some(ip("2001:db8::1")))
    );
    assert_eq!(
        defaults[0].destination().map(|p| p.len()),
        Some(0),
        "destination() is the /0 prefix"
    );
}

#[test]
fn rt_26_tables_above_255_and_metrics() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_route(
        &RouteSpec::new("10.20.0.0/16".parse().unwrap())
            .gateway(ip("192.0.2.1"))
            .table(100_000)
            .mtu(1400, true)
            .prefsrc(ip("192.0.2.10")),
    )
    .unwrap();
    let routes = rtnl.routes_filtered(&RouteFilter::table(100_000)).unwrap();
    assert_eq!(routes.len(), 1, "{routes:?}");
    let r = &routes[0];
    assert_eq!(r.table, 100_000, "RTA_TABLE wins over the header byte");
    let metrics = r.metrics.as_deref().expect("metrics");
    assert_eq!(metrics.mtu, Some(1400));
    assert_ne!(metrics.lock, 0);
    assert_eq!(r.prefsrc, Some(ip("192.0.2.10")));
    // A table with nothing in it lists as empty.
    assert!(
        rtnl.routes_filtered(&RouteFilter::table(4242))
            .unwrap()
            .is_empty()
    );
    assert!(
        rtnl.routes_filtered(&RouteFilter::table(4242).ipv4())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rt_27_device_blackhole_unreachable_prohibit_throw() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_route(&RouteSpec::new("10.1.0.0/24".parse().unwrap()).oif("v0"))
        .unwrap();
    for (dst, t) in [
        ("10.2.0.0/16", RouteType::BLACKHOLE),
        ("10.3.0.0/16", RouteType::UNREACHABLE),
        ("10.4.0.0/16", RouteType::PROHIBIT),
        ("10.5.0.0/16", RouteType::THROW),
    ] {
        rtnl.add_route(&RouteSpec::new(dst.parse().unwrap()).kind(t).table(7))
            .unwrap();
    }
    rtnl.add_route(&RouteSpec::new("2001:db8:6::/48".parse().unwrap()).kind(RouteType::BLACKHOLE))
        .unwrap();
    let all = rtnl.routes().unwrap();
    let dev = find(&all, "10.1.0.0/24");
    assert_eq!(dev.len(), 1);
    assert_eq!((dev[0].scope, dev[0].gateway), (Scope::LINK, None));
    for (dst, t) in [
        ("10.2.0.0/16", RouteType::BLACKHOLE),
        ("10.3.0.0/16", RouteType::UNREACHABLE),
        ("10.4.0.0/16", RouteType::PROHIBIT),
        ("10.5.0.0/16", RouteType::THROW),
    ] {
        let r = find(&all, dst);
        assert_eq!(r.len(), 1, "{dst}");
        assert_eq!((r[0].kind, r[0].table), (t, 7), "{dst}");
    }
    assert_eq!(find(&all, "2001:db8:6::/48")[0].kind, RouteType::BLACKHOLE);
    // Local routes the kernel made for the address.
    let local = find(&all, "192.0.2.10");
    assert!(
        local
            .iter()
            .any(|r| r.kind == RouteType::LOCAL && r.table == 255)
    );
    // Filters: by type and by interface.
    let mut f = RouteFilter::default();
    f.kind = Some(RouteType::UNREACHABLE);
    let only = rtnl.routes_filtered(&f).unwrap();
    assert_eq!(only.len(), 1);
    let mut f = RouteFilter::default().ipv4();
    f.oif = Some("v0".into());
    let out = rtnl.routes_filtered(&f).unwrap();
    assert!(!out.is_empty() && out.iter().all(|r| r.oif == dev[0].oif));
}

#[test]
fn rt_28_multipath_with_weights_and_ipv6_append() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_route(
        &RouteSpec::new("203.0.113.0/24".parse().unwrap())
            .hop(HopSpec::via(ip("192.0.2.1")).oif("v0"))
            .hop(HopSpec::via(ip("192.0.2.2")).oif("v0").weight(3)),
    )
    .unwrap();
    let all = rtnl.routes().unwrap();
    let r = find(&all, "203.0.113.0/24");
    assert_eq!(r.len(), 1);
    let hops: Vec<(Option<IpAddr>, u16)> = r[0]
        .multipath
        .iter()
        .map(|h| (h.gateway, h.weight))
        .collect();
    assert_eq!(
        hops,
        vec![(Some(ip("192.0.2.1")), 1), (Some(ip("192.0.2.2")), 3)]
    );
    // IPv6 ECMP by append.
    let base = RouteSpec::new("2001:db8:9::/48".parse().unwrap()).metric(10);
    rtnl.add_route(&base.clone().gateway(ip("2001:db8::1")))
        .unwrap();
    rtnl.append_route(&base.clone().gateway(ip("2001:db8::2")))
        .unwrap();
    let all = rtnl
        .routes_filtered(&RouteFilter::default().ipv6())
        .unwrap();
    let r = find(&all, "2001:db8:9::/48");
    let gws: Vec<IpAddr> = r
        .iter()
        .flat_map(|r| {
            r.gateway
                .into_iter()
                .chain(r.multipath.iter().filter_map(|h| h.gateway))
        })
        .collect();
    assert!(
        gws.contains(&ip("2001:db8::1")) && gws.contains(&ip("2001:db8::2")),
        "{r:?}"
    );
    // Weight out of range: typed before any syscall.
    let e = rtnl
        .add_route(
            &RouteSpec::new("203.0.114.0/24".parse().unwrap())
                .hop(HopSpec::via(ip("192.0.2.1")).weight(300)),
        )
        .unwrap_err();
    assert!(e.is_input() && e.to_string().contains("300"), "{e}");
}

#[test]
fn rt_29_nexthop_objects_group_and_route() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_nexthop(&NexthopSpec::via(1, ip("192.0.2.1"), "v0"))
        .unwrap();
    rtnl.add_nexthop(&NexthopSpec::via(2, ip("192.0.2.2"), "v0"))
        .unwrap();
    rtnl.add_nexthop(&NexthopSpec::group(
        10,
        vec![
            GroupMember { id: 1, weight: 1 },
            GroupMember { id: 2, weight: 3 },
        ],
    ))
    .unwrap();
    // A blackhole nexthop needs lo up ("Device for nexthop is not up" otherwise).
    rtnl.set_up("lo").unwrap();
    rtnl.add_nexthop(&NexthopSpec::blackhole(20)).unwrap();
    let nhs = rtnl.nexthops().unwrap();
    assert_eq!(nhs.len(), 4, "{nhs:?}");
    let g = rtnl.nexthop(10).unwrap();
    assert_eq!(
        g.group,
        vec![
            GroupMember { id: 1, weight: 1 },
            GroupMember { id: 2, weight: 3 }
        ]
    );
    assert!(rtnl.nexthop(20).unwrap().blackhole);
    let one = rtnl.nexthop(1).unwrap();
    assert_eq!(one.gateway, Some(ip("192.0.2.1")));
    rtnl.add_route(&RouteSpec::new("10.30.0.0/16".parse().unwrap()).nh_id(10))
        .unwrap();
    let r = rtnl.routes().unwrap();
    let r = find(&r, "10.30.0.0/16");
    assert_eq!(r[0].nh_id, Some(10));
    assert_eq!(
        r[0].multipath.len(),
        2,
        "the kernel expands the group's hops"
    );
    // Errors: duplicate id, unknown id, id 0.
    let e = rtnl.add_nexthop(&NexthopSpec::blackhole(20)).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("nexthop id 20"), "{e}");
    assert_eq!(rtnl.nexthop(99).unwrap_err().errno(), Some(Errno::NOENT));
    assert!(rtnl.delete_nexthop(0).unwrap_err().is_input());
    // An unreachable gateway: the kernel's extended-ack text comes through.
    let e = rtnl
        .add_nexthop(&NexthopSpec::via(30, ip("203.0.113.1"), "v0"))
        .unwrap_err();
    assert!(e.to_string().contains("Nexthop has invalid gateway"), "{e}");
    rtnl.delete_nexthop(10).unwrap();
    assert!(find(&rtnl.routes().unwrap(), "10.30.0.0/16").is_empty());
}

#[test]
fn rt_24_get_performs_a_fib_lookup() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let v0 = rtnl.link_by_name("v0").unwrap();
    let r = rtnl.route_get(&RouteGet::to(ip("192.0.2.5"))).unwrap();
    assert_eq!(r.oif, Some(v0.index));
    assert_eq!(r.prefsrc, Some(ip("192.0.2.10")));
    rtnl.add_route(&RouteSpec::new("10.7.0.0/16".parse().unwrap()).gateway(ip("192.0.2.1")))
        .unwrap();
    let r = rtnl
        .route_get(&RouteGet::to(ip("10.7.1.1")).from(ip("192.0.2.10")).mark(5))
        .unwrap();
    assert_eq!(r.gateway, Some(ip("192.0.2.1")));
    let e = rtnl
        .route_get(&RouteGet::to(ip("203.0.113.9")))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NETUNREACH), "{e}");
    assert!(e.to_string().contains("203.0.113.9"), "{e}");
}

#[test]
fn rt_24_get_local_route_unprivileged() {
    // Scenario 2, in the caller's own namespace: read-only and unprivileged.
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let r = rtnl.route_get(&RouteGet::to(ip("127.0.0.1"))).unwrap();
    assert_eq!(r.kind, RouteType::LOCAL);
}

#[test]
fn rt_25_unreachable_gateway_carries_extack() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    // Scenario 5: a gateway on no connected network.
    let e = rtnl
        .add_route(&RouteSpec::new("10.8.0.0/16".parse().unwrap()).gateway(ip("203.0.113.1")))
        .unwrap_err();
    let Error::Os(os) = &e else { panic!("{e}") };
    assert_eq!(os.errno, Errno::NETUNREACH, "{e}");
    assert!(
        os.context.extack.as_deref().is_some_and(|t| !t.is_empty()),
        "{e}"
    );
    // Mixed families and table 0 never reach the kernel.
    let e = rtnl
        .add_route(&RouteSpec::new("10.8.0.0/16".parse().unwrap()).gateway(ip("2001:db8::1")))
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(
        rtnl.add_route(&RouteSpec::new("10.8.0.0/16".parse().unwrap()).table(0))
            .unwrap_err()
            .is_input()
    );
    let e = rtnl
        .add_route(&RouteSpec::new("10.8.0.0/16".parse().unwrap()).oif("nosuch0"))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("no such output interface \"nosuch0\""),
        "{e}"
    );
}

#[test]
fn rt_25_delete_narrows_by_metric_and_observed_delete() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let base = RouteSpec::new("10.40.0.0/16".parse().unwrap()).gateway(ip("192.0.2.1"));
    rtnl.add_route(&base.clone().metric(10)).unwrap();
    rtnl.add_route(&base.clone().metric(20)).unwrap();
    rtnl.delete_route(&RouteSpec::new("10.40.0.0/16".parse().unwrap()).metric(20))
        .unwrap();
    let left = rtnl.routes().unwrap();
    let left = find(&left, "10.40.0.0/16");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].metric, Some(10));
    rtnl.delete_observed_route(left[0]).unwrap();
    assert!(find(&rtnl.routes().unwrap(), "10.40.0.0/16").is_empty());
    // Protocol narrowing: a delete for protocol static leaves a boot route alone.
    rtnl.add_route(&base).unwrap();
    let e = rtnl
        .delete_route(
            &RouteSpec::new("10.40.0.0/16".parse().unwrap()).protocol(RouteProtocol::STATIC),
        )
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::SRCH), "{e}");
}

#[test]
fn rt_25_pipelined_batch_installs_and_names_the_failing_position() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let specs: Vec<RouteSpec> = (0..5000u32)
        .map(|i| {
            let a = std::net::Ipv4Addr::from(0x0a00_0000 + (i << 8));
            RouteSpec::new(linx::types::Prefix::new(IpAddr::V4(a), 24).unwrap())
                .gateway(ip("192.0.2.1"))
                .oif("v0")
                .table(300)
        })
        .collect();
    rtnl.add_routes(&specs).unwrap();
    assert_eq!(
        rtnl.routes_filtered(&RouteFilter::table(300))
            .unwrap()
            .len(),
        5000
    );
    // A duplicate at position 2: the error names it.
    let again = vec![
        RouteSpec::new("10.200.0.0/24".parse().unwrap())
            .gateway(ip("192.0.2.1"))
            .table(300),
        RouteSpec::new("10.201.0.0/24".parse().unwrap())
            .gateway(ip("192.0.2.1"))
            .table(300),
        specs[7].clone(),
    ];
    let e = rtnl.add_routes(&again).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert_eq!(e.context().unwrap().batch_index, Some(2), "{e}");
    assert!(e.to_string().contains("at batch message 2"), "{e}");
    // Invalid input anywhere: nothing is sent.
    let bad = vec![
        again[0].clone(),
        RouteSpec::new("10.202.0.0/24".parse().unwrap()).table(0),
    ];
    let e = rtnl.add_routes(&bad).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("route 1"), "{e}");
}

#[test]
fn rt_24_dump_under_concurrent_changes_is_flagged_or_consistent() {
    // Spec scenario 12.
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    let writer = std::thread::spawn(move || {
        let mut w = Rtnl::open(&target).unwrap();
        let specs: Vec<RouteSpec> = (0..2500u32)
            .map(|i| {
                let a = std::net::Ipv4Addr::from(0x0a80_0000 + (i << 8));
                RouteSpec::new(linx::types::Prefix::new(IpAddr::V4(a), 24).unwrap())
                    .gateway(ip("192.0.2.1"))
            })
            .collect();
        for s in &specs {
            w.add_route(s).unwrap();
        }
        for s in &specs {
            w.delete_route(s).unwrap();
        }
    });
    let mut flagged = 0;
    let mut consistent = 0;
    let req = RouteFilter::default().ipv4().request(false, None).unwrap();
    while !writer.is_finished() {
        // The raw dump reports interruption instead of hiding it.
        let raw = rtnl.socket_mut().dump(&req).unwrap();
        if raw.interrupted {
            flagged += 1;
        }
        match rtnl.routes_filtered(&RouteFilter::default().ipv4()) {
            Ok(routes) => {
                consistent += 1;
                let mut keys: Vec<String> = routes
                    .iter()
                    .map(|r| format!("{} {}", r.dst_text(), r.table))
                    .collect();
                let n = keys.len();
                keys.sort();
                keys.dedup();
                assert_eq!(keys.len(), n, "a consistent dump has no duplicates");
            }
            Err(linx::Error::DumpInterrupted { attempts, .. }) => assert_eq!(attempts, 3),
            Err(e) => panic!("{e}"),
        }
    }
    writer.join().unwrap();
    eprintln!("{flagged} raw dumps flagged interrupted, {consistent} consistent reads");
    // Once the writer is done the retry wrapper converges on the final state.
    let after = rtnl
        .routes_filtered(&RouteFilter::default().ipv4())
        .unwrap();
    assert!(
        after.iter().all(|r| !r.dst_text().starts_with("10.128.")),
        "all removed"
    );
}
