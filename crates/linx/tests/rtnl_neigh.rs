//! Kernel tier: neighbours (RT-31) and the bridge FDB (RT-32), each test in a fresh network
//! namespace.

use std::net::IpAddr;

use linx::error::Errno;
use linx::ns::NsTarget;
use linx::rtnl::{LinkSpec, LlAddr, NeighFilter, NeighFlags, NeighSpec, NudState, Rtnl};
use linx_testkit::{NetNs, require_root};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let mut rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    Some((ns, rtnl))
}

#[test]
fn rt_31_permanent_add_get_replace_delete() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let mac: linx::Mac = "02:00:00:00:00:77".parse().unwrap();
    let spec = NeighSpec::new("v0", ip("192.0.2.77")).lladdr(mac);
    rtnl.add_neighbour(&spec).unwrap();
    let v0 = rtnl.link_by_name("v0").unwrap();
    let all = rtnl.neighbours().unwrap();
    let n = all
        .iter()
        .find(|n| n.dst == Some(ip("192.0.2.77")))
        .unwrap();
    assert_eq!(n.state, NudState::PERMANENT);
    assert_eq!(n.index, v0.index);
    assert_eq!(n.lladdr, Some(LlAddr::Mac(mac)));
    let got = rtnl.neighbour("v0", ip("192.0.2.77")).unwrap();
    assert_eq!(got.lladdr, n.lladdr);
    let shown = ns.ip(&["neigh", "show", "dev", "v0"]);
    assert!(
        shown.contains("192.0.2.77 lladdr 02:00:00:00:00:77 PERMANENT"),
        "{shown}"
    );
    let e = rtnl.add_neighbour(&spec).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("192.0.2.77 dev v0"), "{e}");
    // Replace with another MAC and state.
    let mac2: linx::Mac = "02:00:00:00:00:78".parse().unwrap();
    rtnl.replace_neighbour(&spec.clone().lladdr(mac2).state(NudState::REACHABLE))
        .unwrap();
    let got = rtnl.neighbour("v0", ip("192.0.2.77")).unwrap();
    assert_eq!(got.lladdr, Some(LlAddr::Mac(mac2)));
    assert!(!got.state.contains(NudState::PERMANENT));
    rtnl.delete_neighbour(&spec).unwrap();
    assert_eq!(
        rtnl.neighbour("v0", ip("192.0.2.77")).unwrap_err().errno(),
        Some(Errno::NOENT)
    );
    // IPv6 with the router flag.
    rtnl.add_neighbour(
        &NeighSpec::new("v0", ip("2001:db8::77"))
            .lladdr(mac)
            .flags(NeighFlags::ROUTER),
    )
    .unwrap();
    let n6 = rtnl
        .neighbours_filtered(&NeighFilter::link("v0").family(10))
        .unwrap();
    assert!(
        n6.iter()
            .any(|n| n.dst == Some(ip("2001:db8::77")) && n.flags.contains(NeighFlags::ROUTER))
    );
}

#[test]
fn rt_31_proxy_entries_and_flush() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_neighbour(&NeighSpec::proxy("v0", ip("192.0.2.88")))
        .unwrap();
    let proxies = rtnl.neighbours_filtered(&NeighFilter::proxies()).unwrap();
    assert_eq!(proxies.len(), 1, "{proxies:?}");
    assert!(proxies[0].is_proxy());
    assert_eq!(proxies[0].dst, Some(ip("192.0.2.88")));
    assert!(
        rtnl.neighbours().unwrap().iter().all(|n| !n.is_proxy()),
        "ordinary listing excludes proxies"
    );
    rtnl.delete_neighbour(&NeighSpec::proxy("v0", ip("192.0.2.88")))
        .unwrap();
    assert!(
        rtnl.neighbours_filtered(&NeighFilter::proxies())
            .unwrap()
            .is_empty()
    );
    // Flush: stale entries go, permanent ones stay unless asked.
    for (i, state) in [NudState::STALE, NudState::PERMANENT]
        .into_iter()
        .enumerate()
    {
        rtnl.add_neighbour(
            &NeighSpec::new("v0", ip(&format!("192.0.2.{}", 100 + i)))
                .lladdr("02:00:00:00:00:01".parse().unwrap())
                .state(state),
        )
        .unwrap();
    }
    assert_eq!(
        rtnl.flush_neighbours(&NeighFilter::link("v0"), false)
            .unwrap(),
        1
    );
    assert_eq!(
        rtnl.neighbours_filtered(&NeighFilter::link("v0"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        rtnl.flush_neighbours(&NeighFilter::link("v0"), true)
            .unwrap(),
        1
    );
    assert!(
        rtnl.neighbours_filtered(&NeighFilter::link("v0"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rt_31_input_errors() {
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let e = rtnl
        .add_neighbour(&NeighSpec::new("v0", ip("192.0.2.1")).state(NudState::empty()))
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    let e = rtnl
        .add_neighbour(
            &NeighSpec::proxy("v0", ip("192.0.2.1")).lladdr("02:00:00:00:00:01".parse().unwrap()),
        )
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(
        rtnl.neighbours_filtered(&NeighFilter::default().family(99))
            .unwrap_err()
            .is_input()
    );
}

#[test]
fn rt_32_bridge_fdb_add_list_delete() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::bridge("br0")).unwrap();
    rtnl.set_master("v0", "br0").unwrap();
    let mac: linx::Mac = "02:00:00:00:00:99".parse().unwrap();
    rtnl.add_neighbour(&NeighSpec::fdb("v0", mac)).unwrap();
    let br = rtnl.link_by_name("br0").unwrap();
    let fdb = rtnl.neighbours_filtered(&NeighFilter::fdb()).unwrap();
    let e = fdb
        .iter()
        .find(|n| n.lladdr == Some(LlAddr::Mac(mac)))
        .unwrap_or_else(|| panic!("{fdb:?}"));
    assert_eq!(e.family, 7);
    assert_eq!(e.master, Some(br.index));
    assert!(e.state.contains(NudState::PERMANENT), "{e:?}");
    let shown = ns.run("bridge", &["fdb", "show", "dev", "v0"]);
    assert!(shown.contains("02:00:00:00:00:99"), "{shown}");
    rtnl.delete_neighbour(&NeighSpec::fdb("v0", mac)).unwrap();
    assert!(
        !rtnl
            .neighbours_filtered(&NeighFilter::fdb())
            .unwrap()
            .iter()
            .any(|n| n.lladdr == Some(LlAddr::Mac(mac)))
    );
}

#[test]
fn rt_32_vxlan_fdb_remote_and_vni() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::vxlan(
        "vx0",
        linx::rtnl::kinds::Vxlan::new(42, 4789).underlay("v0"),
    ))
    .unwrap();
    let zero: linx::Mac = "00:00:00:00:00:00".parse().unwrap();
    let spec = NeighSpec::fdb("vx0", zero)
        .dst(ip("192.0.2.5"))
        .flags(NeighFlags::SELF);
    let mut spec = spec;
    spec.flags.remove(NeighFlags::MASTER);
    // (An entry with the device's own VNI is reported without NDA_VNI.)
    spec.vni = Some(43);
    rtnl.add_neighbour(&spec).unwrap();
    let vx = rtnl.link_by_name("vx0").unwrap();
    let fdb = rtnl.neighbours_filtered(&NeighFilter::fdb()).unwrap();
    let e = fdb
        .iter()
        .find(|n| n.index == vx.index && n.dst == Some(ip("192.0.2.5")))
        .unwrap_or_else(|| panic!("{fdb:?}"));
    assert_eq!(e.lladdr, Some(LlAddr::Mac(zero)));
    assert_eq!(e.vni, Some(43));
    let shown = ns.run("bridge", &["fdb", "show", "dev", "vx0"]);
    assert!(shown.contains("dst 192.0.2.5"), "{shown}");
    rtnl.delete_neighbour(&spec).unwrap();
}
