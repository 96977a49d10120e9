//! VM tier: rtnetlink link kinds the host kernel lacks (dummy, vlan, ipvlan, bond, vrf, gre,
//! bridge VLAN filtering), checked in the qemu guest of `cargo xtask vm-test` (Debian's kernel,
//! drivers loaded on demand). Every test starts with [`linx_testkit::require_vm`].

use linx::netlink::wire::RawAttr;
use linx::ns::NsTarget;
use linx::rtnl::kinds::{Bond, BondMode, Bridge, IpvlanFlag, IpvlanMode, LinkKind, VlanProtocol};
use linx::rtnl::{LinkChange, LinkFlags, LinkSpec, Rtnl};
use linx_testkit::NetNs;

fn fresh() -> (NetNs, Rtnl) {
    let ns = NetNs::new().expect("create a network namespace");
    let rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).expect("rtnl");
    (ns, rtnl)
}

fn ip_json(ns: &NetNs, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["-j"];
    full.extend_from_slice(args);
    serde_json::from_str(&ns.ip(&full)).expect("ip -j output")
}

#[test]
fn vm_rt_06_dummy_create_carrier_delete() {
    if !linx_testkit::require_vm("the dummy link driver") {
        return;
    }
    let (_ns, mut rtnl) = fresh();
    let d = rtnl
        .create_link(&LinkSpec::dummy("d0").mtu(1280).up())
        .unwrap();
    assert_eq!(d.kind(), Some("dummy"));
    assert!(matches!(d.kind_data(), Some(LinkKind::Dummy)));
    assert_eq!(d.mtu, Some(1280));
    // RT-16: dummy supports changing the carrier.
    rtnl.set_link("d0", &LinkChange::new().carrier(false))
        .unwrap();
    let l = rtnl.link_by_name("d0").unwrap();
    // (IFF_RUNNING follows asynchronously through linkwatch; the carrier itself is immediate.)
    assert_eq!(l.carrier, Some(false));
    assert!(l.flags.contains(LinkFlags::UP));
    rtnl.set_link("d0", &LinkChange::new().carrier(true))
        .unwrap();
    assert_eq!(rtnl.link_by_name("d0").unwrap().carrier, Some(true));
    rtnl.delete_link("d0").unwrap();
    assert!(rtnl.link_by_name("d0").is_err());
}

#[test]
fn vm_rt_09_vlan_id_and_protocol() {
    if !linx_testkit::require_vm("the 8021q driver") {
        return;
    }
    let (ns, mut rtnl) = fresh();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    let v0 = rtnl.link_by_name("v0").unwrap();
    let vl = rtnl
        .create_link(&LinkSpec::vlan("v0.42", "v0", 42))
        .unwrap();
    assert_eq!(vl.parent, Some(v0.index));
    match vl.kind_data() {
        Some(LinkKind::Vlan(v)) => {
            assert_eq!(v.id, Some(42));
            assert_eq!(v.protocol, Some(VlanProtocol::Dot1Q));
        }
        other => panic!("{other:?}"),
    }
    let mut qinq = LinkSpec::vlan("v0.100", "v0", 100);
    if let LinkKind::Vlan(v) = &mut qinq.kind {
        v.protocol = Some(VlanProtocol::Dot1Ad);
    }
    let q = rtnl.create_link(&qinq).unwrap();
    match q.kind_data() {
        Some(LinkKind::Vlan(v)) => assert_eq!(v.protocol, Some(VlanProtocol::Dot1Ad)),
        other => panic!("{other:?}"),
    }
    // info_data agrees with ip -d.
    let links = rtnl.links().unwrap();
    let ours = serde_json::to_value(linx::rtnl::link::ip_json(&links)).unwrap();
    let theirs = ip_json(&ns, &["-d", "link", "show"]);
    for name in ["v0.42", "v0.100"] {
        let o = ours
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["ifname"] == name)
            .unwrap();
        let t = theirs
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["ifname"] == name)
            .unwrap();
        for k in ["protocol", "id"] {
            assert_eq!(
                o["linkinfo"]["info_data"][k], t["linkinfo"]["info_data"][k],
                "{name}.{k}"
            );
        }
    }
    // Out of range: typed, nothing sent.
    assert!(
        rtnl.create_link(&LinkSpec::vlan("v0.x", "v0", 4095))
            .unwrap_err()
            .is_input()
    );
}

#[test]
fn vm_rt_08_ipvlan_modes() {
    if !linx_testkit::require_vm("the ipvlan driver") {
        return;
    }
    let (ns, mut rtnl) = fresh();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    let l3 = rtnl
        .create_link(&LinkSpec::ipvlan("ip0", "v0", IpvlanMode::L3))
        .unwrap();
    match l3.kind_data() {
        Some(LinkKind::Ipvlan(x)) => assert_eq!(x.mode, Some(IpvlanMode::L3)),
        other => panic!("{other:?}"),
    }
    let mut l2 = LinkSpec::ipvlan("ip1", "v0", IpvlanMode::L2);
    if let LinkKind::Ipvlan(x) = &mut l2.kind {
        x.flag = Some(IpvlanFlag::Private);
    }
    let l2 = rtnl.create_link(&l2).unwrap();
    match l2.kind_data() {
        Some(LinkKind::Ipvlan(x)) => {
            assert_eq!(x.mode, Some(IpvlanMode::L2));
            assert_eq!(x.flag, Some(IpvlanFlag::Private));
        }
        other => panic!("{other:?}"),
    }
    let t = ip_json(&ns, &["-d", "link", "show", "ip1"]);
    assert_eq!(t[0]["linkinfo"]["info_data"]["mode"], "l2");
}

#[test]
fn vm_rt_11_bond_with_two_down_ports() {
    if !linx_testkit::require_vm("the bonding driver") {
        return;
    }
    let (ns, mut rtnl) = fresh();
    let mut opts = Bond::mode(BondMode::ActiveBackup);
    opts.miimon = Some(100);
    let b = rtnl
        .create_link(&LinkSpec::new("bond0", LinkKind::Bond(opts)))
        .unwrap();
    match b.kind_data() {
        Some(LinkKind::Bond(x)) => {
            assert_eq!(x.mode, Some(BondMode::ActiveBackup));
            assert_eq!(x.miimon, Some(100));
        }
        other => panic!("{other:?}"),
    }
    for (a, p) in [("p0", "q0"), ("p1", "q1")] {
        rtnl.create_link(&LinkSpec::veth(a, p)).unwrap();
        // Ports must be down before enslaving (they are after creation).
        rtnl.set_master(a, "bond0").unwrap();
    }
    let ports = rtnl
        .links_filtered(&linx::rtnl::LinkFilter::master("bond0"))
        .unwrap();
    assert_eq!(ports.len(), 2);
    assert!(
        ports
            .iter()
            .all(|p| p.info.as_ref().unwrap().port_kind.as_deref() == Some("bond"))
    );
    let t = ip_json(&ns, &["-d", "link", "show", "bond0"]);
    assert_eq!(t[0]["linkinfo"]["info_data"]["mode"], "active-backup");
    assert_eq!(t[0]["linkinfo"]["info_data"]["miimon"], 100);
    rtnl.set_nomaster("p0").unwrap();
    assert_eq!(rtnl.link_by_name("p0").unwrap().master, None);
    rtnl.delete_link("bond0").unwrap();
}

#[test]
fn vm_rt_14_vrf_with_its_table() {
    if !linx_testkit::require_vm("the vrf driver") {
        return;
    }
    let (_ns, mut rtnl) = fresh();
    let v = rtnl.create_link(&LinkSpec::vrf("vrf0", 10)).unwrap();
    match v.kind_data() {
        Some(LinkKind::Vrf(x)) => assert_eq!(x.table, Some(10)),
        other => panic!("{other:?}"),
    }
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_master("v0", "vrf0").unwrap();
    assert_eq!(rtnl.link_by_name("v0").unwrap().master, Some(v.index));
}

#[test]
fn vm_rt_13_gre_through_the_escape_hatch() {
    if !linx_testkit::require_vm("the ip_gre driver") {
        return;
    }
    let (ns, mut rtnl) = fresh();
    // IFLA_GRE_LOCAL 6, IFLA_GRE_REMOTE 7, IFLA_GRE_TTL 8.
    let data = vec![
        RawAttr {
            raw_type: 6,
            payload: vec![192, 0, 2, 2],
        },
        RawAttr {
            raw_type: 7,
            payload: vec![192, 0, 2, 1],
        },
        RawAttr {
            raw_type: 8,
            payload: vec![64],
        },
    ];
    let g = rtnl
        .create_link(&LinkSpec::generic("gre1", "gre", data))
        .unwrap();
    assert_eq!(g.kind(), Some("gre"));
    let Some(LinkKind::Generic { data, .. }) = g.kind_data() else {
        panic!("gre is not modelled: raw")
    };
    assert!(
        data.iter()
            .any(|a| a.kind() == 7 && a.payload == [192, 0, 2, 1])
    );
    let text = ns.ip(&["-d", "link", "show", "gre1"]);
    assert!(text.contains("remote 192.0.2.1 local 192.0.2.2"), "{text}");
    rtnl.delete_link("gre1").unwrap();
}

#[test]
fn vm_rt_06_bridge_vlan_filtering() {
    if !linx_testkit::require_vm("bridge VLAN filtering") {
        return;
    }
    let (_ns, mut rtnl) = fresh();
    let br = rtnl
        .create_link(&LinkSpec::new(
            "br0",
            LinkKind::Bridge(Bridge::default().vlan_filtering(true).default_pvid(7)),
        ))
        .unwrap();
    match br.kind_data() {
        Some(LinkKind::Bridge(b)) => {
            assert_eq!(b.vlan_filtering, Some(true));
            assert_eq!(b.default_pvid, Some(7));
        }
        other => panic!("{other:?}"),
    }
}
