//! Kernel tier: the rtnetlink monitor (RT-40) and snapshot-then-follow (RT-41), each test in a
//! fresh network namespace.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::time::Duration;

use linx::ns::NsTarget;
use linx::rtnl::monitor::{MonitorGroups, RouteMonitor, snapshot_then_follow};
use linx::rtnl::{
    AddressSpec, Event, LinkSpec, NeighSpec, NexthopSpec, Object, RouteSpec, Rtnl, RuleSpec,
};
use linx_testkit::{NetNs, require_root};

const WAIT: Option<Duration> = Some(Duration::from_secs(5));

fn fresh() -> Option<(NetNs, NsTarget, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    let rtnl = Rtnl::open(&target).unwrap();
    Some((ns, target, rtnl))
}

/// Reads events until `pred` matches one (each read bounded by [`WAIT`]).
fn wait_for(mon: &mut RouteMonitor, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    loop {
        match mon.next_event(WAIT).unwrap() {
            Some(ev) if pred(&ev) => return ev,
            Some(_) => {}
            None => panic!("no {what} event arrived"),
        }
    }
}

#[test]
fn rt_40_typed_events_for_every_object_class() {
    let Some((_ns, target, mut rtnl)) = fresh() else {
        return;
    };
    let mut mon =
        RouteMonitor::open(&target, MonitorGroups::DEFAULT | MonitorGroups::NEXTHOP).unwrap();
    assert_eq!(mon.try_next().unwrap(), None, "nothing happened yet");
    rtnl.create_link(&LinkSpec::veth("m0", "m1")).unwrap();
    wait_for(
        &mut mon,
        "link",
        |e| matches!(e, Event::New(Object::Link(l)) if l.name == "m0"),
    );
    rtnl.set_up("m0").unwrap();
    rtnl.set_up("lo").unwrap();
    rtnl.add_address(&AddressSpec::new("m0", "192.0.2.10/24".parse().unwrap()))
        .unwrap();
    let ev = wait_for(
        &mut mon,
        "address",
        |e| matches!(e, Event::New(Object::Address(a)) if a.ip() == Some("192.0.2.10".parse().unwrap())),
    );
    let Event::New(Object::Address(a)) = ev else {
        unreachable!()
    };
    assert_eq!(a.prefix_len, 24);
    rtnl.add_route(
        &RouteSpec::new("10.9.0.0/16".parse().unwrap()).gateway("192.0.2.1".parse().unwrap()),
    )
    .unwrap();
    wait_for(
        &mut mon,
        "route",
        |e| matches!(e, Event::New(Object::Route(r)) if r.dst_text() == "10.9.0.0/16"),
    );
    rtnl.add_neighbour(
        &NeighSpec::new("m0", "192.0.2.7".parse().unwrap())
            .lladdr("02:00:00:00:00:07".parse().unwrap()),
    )
    .unwrap();
    wait_for(&mut mon, "neighbour", |e| {
        matches!(e, Event::New(Object::Neighbour(_)))
    });
    rtnl.add_rule(&RuleSpec::new().table(5).priority(500))
        .unwrap();
    wait_for(
        &mut mon,
        "rule",
        |e| matches!(e, Event::New(Object::Rule(r)) if r.priority == Some(500)),
    );
    rtnl.add_nexthop(&NexthopSpec::blackhole(3)).unwrap();
    wait_for(
        &mut mon,
        "nexthop",
        |e| matches!(e, Event::New(Object::Nexthop(n)) if n.id == 3),
    );
    rtnl.delete_link("m0").unwrap();
    wait_for(
        &mut mon,
        "link deletion",
        |e| matches!(e, Event::Del(Object::Link(l)) if l.name == "m0"),
    );
}

fn run_ip_batch(ns: &NetNs, batch: &str) {
    let mut child = ns
        .command("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ip -batch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(batch.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "ip -batch failed");
}

#[test]
fn rt_40_burst_into_a_tiny_buffer_yields_overrun() {
    let Some((ns, target, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("b0", "b1")).unwrap();
    let mut mon = RouteMonitor::open(&target, MonitorGroups::ADDRESS).unwrap();
    let effective = mon.set_recv_buffer(1).unwrap();
    assert!(effective < 16 * 1024, "{effective}");
    let mut batch = String::new();
    for i in 0..10_000u32 {
        let a = Ipv4Addr::from(0x0a00_0000 + i + 1);
        batch.push_str(&format!("addr add {a}/32 dev b0\n"));
    }
    run_ip_batch(&ns, &batch);
    let mut overrun = false;
    while let Some(ev) = mon.next_event(Some(Duration::from_millis(500))).unwrap() {
        if ev == Event::Overrun {
            overrun = true;
            break;
        }
    }
    assert!(
        overrun,
        "10,000 address adds into a tiny buffer must overrun"
    );
    // The monitor stays usable: drain, then a new change arrives.
    while mon
        .next_event(Some(Duration::from_millis(50)))
        .unwrap()
        .is_some()
    {}
    rtnl.add_address(&AddressSpec::new("b1", "192.0.2.1/24".parse().unwrap()))
        .unwrap();
    wait_for(
        &mut mon,
        "address after overrun",
        |e| matches!(e, Event::New(Object::Address(a)) if a.ip() == Some("192.0.2.1".parse().unwrap())),
    );
}

#[test]
fn rt_41_snapshot_then_follow_never_misses_an_address() {
    let Some((_ns, target, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("s0", "s1")).unwrap();
    for round in 0..5u32 {
        let t2 = target.clone();
        let wanted: BTreeSet<IpAddr> = (0..300u32)
            .map(|i| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (round << 16) + i + 1)))
            .collect();
        let list: Vec<IpAddr> = wanted.iter().copied().collect();
        let adder = std::thread::spawn(move || {
            let mut r = Rtnl::open(&t2).unwrap();
            for a in list {
                r.add_address(&AddressSpec::new("s0", linx::IfAddr::new(a, 32).unwrap()))
                    .unwrap();
            }
        });
        let (snap, mut mon) = snapshot_then_follow(&target, MonitorGroups::IPV4_IFADDR).unwrap();
        adder.join().unwrap();
        let mut seen: BTreeSet<IpAddr> = snap.addresses.iter().filter_map(|a| a.ip()).collect();
        while let Some(ev) = mon.next_event(Some(Duration::from_millis(300))).unwrap() {
            match ev {
                Event::New(Object::Address(a)) => {
                    seen.extend(a.ip());
                }
                Event::Overrun => panic!("unexpected overrun with a 4 MiB buffer"),
                _ => {}
            }
        }
        let missing: Vec<_> = wanted.difference(&seen).collect();
        assert!(missing.is_empty(), "round {round}: missed {missing:?}");
        assert!(
            snap.links.is_empty(),
            "only the address group was asked for"
        );
    }
}

#[cfg(feature = "tokio")]
#[test]
fn rt_40_tokio_adapter_yields_events() {
    use linx::rtnl::monitor::AsyncRouteMonitor;
    let Some((_ns, target, mut rtnl)) = fresh() else {
        return;
    };
    // Outside a runtime: a typed state error, not a panic.
    let mon = RouteMonitor::open(&target, MonitorGroups::LINK).unwrap();
    assert!(AsyncRouteMonitor::new(mon).is_err());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(async {
        let mon = RouteMonitor::open(&target, MonitorGroups::LINK).unwrap();
        let mut mon = AsyncRouteMonitor::new(mon).unwrap();
        rtnl.create_link(&LinkSpec::veth("t0", "t1")).unwrap();
        loop {
            match mon.next().await.expect("endless stream").unwrap() {
                Event::New(Object::Link(l)) if l.name == "t0" => break,
                _ => {}
            }
        }
    });
}
