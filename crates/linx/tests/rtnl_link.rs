//! Kernel tier: rtnetlink links (RT-01..RT-17), each test in a fresh network namespace.

use linx::Error;
use linx::error::Errno;
use linx::netlink::wire::RawAttr;
use linx::ns::{NsKind, NsTarget};
use linx::rtnl::kinds::{Bridge, LinkKind, MacvlanMode, Vxlan};
use linx::rtnl::link::macvtap_device_path;
use linx::rtnl::{
    LinkChange, LinkFilter, LinkFlags, LinkSpec, NetnsDest, Rtnl, TunSpec, kinds::VethPeer,
};
use linx_testkit::{NetNs, require_root};

fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("create a network namespace");
    let target = NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"));
    let rtnl = Rtnl::open(&target).expect("open rtnl");
    Some((ns, rtnl))
}

fn target_of(ns: &NetNs) -> NsTarget {
    NsTarget::fd(ns.try_clone_fd().unwrap())
}

#[test]
fn rt_05_veth_pair_is_created_and_returned() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let v0 = rtnl
        .create_link(&LinkSpec::veth("v0", "v1").mtu(1400).up())
        .unwrap();
    assert_eq!(v0.name, "v0");
    assert_eq!(v0.mtu, Some(1400));
    assert_eq!(v0.kind(), Some("veth"));
    assert!(v0.is_up());
    let v1 = rtnl.link_by_name("v1").unwrap();
    assert_eq!(v1.parent, Some(v0.index), "the peer's IFLA_LINK is v0");
    assert_eq!(v0.parent, Some(v1.index));
    assert!(matches!(v0.kind_data(), Some(LinkKind::Veth(_))));
    // ip agrees.
    let shown = ns.ip(&["-o", "link", "show", "v1"]);
    assert!(shown.contains("v1@v0"), "{shown}");
    // Duplicate name: EEXIST naming the interface.
    let e = rtnl.create_link(&LinkSpec::veth("v0", "v9")).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("\"v0\""), "{e}");
}

#[test]
fn rt_05_veth_peer_in_another_namespace() {
    let Some((_a, mut rtnl)) = fresh() else {
        return;
    };
    let b = NetNs::new().unwrap();
    let peer = VethPeer::named("inb").netns(target_of(&b)).mtu(1300);
    rtnl.create_link(&LinkSpec::veth_with_peer("ina", peer))
        .unwrap();
    let mut rb = Rtnl::open(&target_of(&b)).unwrap();
    let inb = rb.link_by_name("inb").unwrap();
    assert_eq!(inb.mtu, Some(1300));
    assert!(
        inb.link_netnsid.is_some(),
        "the peer lives in another namespace"
    );
    assert!(rtnl.link_by_name("inb").is_err());
}

#[test]
fn rt_16_up_down_changes_only_iff_up() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_link("v0", &LinkChange::new().promisc(true))
        .unwrap();
    rtnl.set_up("v0").unwrap();
    let l = rtnl.link_by_name("v0").unwrap();
    assert!(l.flags.contains(LinkFlags::UP | LinkFlags::PROMISC), "{l}");
    rtnl.set_down("v0").unwrap();
    let l = rtnl.link_by_name("v0").unwrap();
    assert!(!l.flags.contains(LinkFlags::UP), "{l}");
    assert!(
        l.flags.contains(LinkFlags::PROMISC),
        "promisc untouched: {l}"
    );
    // By index too.
    rtnl.set_up(l.index).unwrap();
    assert!(rtnl.link_by_index(l.index).unwrap().is_up());
}

#[test]
fn rt_07_macvlan_and_macvtap_on_a_veth() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    let v1 = rtnl.link_by_name("v1").unwrap();
    let mv = rtnl
        .create_link(&LinkSpec::macvlan("mv0", "v1", MacvlanMode::Bridge))
        .unwrap();
    assert_eq!(mv.parent, Some(v1.index));
    assert_eq!(mv.kind(), Some("macvlan"));
    match mv.kind_data() {
        Some(LinkKind::Macvlan(m)) => {
            assert_eq!(m.mode, Some(MacvlanMode::Bridge));
            assert_eq!(m.mode.unwrap().to_raw(), 4);
        }
        other => panic!("{other:?}"),
    }
    for mode in [MacvlanMode::Private, MacvlanMode::Vepa, MacvlanMode::Source] {
        let name = format!("mt{}", mode.to_raw());
        let l = rtnl
            .create_link(&LinkSpec::macvtap(&name, v1.index, mode))
            .unwrap();
        match l.kind_data() {
            Some(LinkKind::Macvtap(m)) => assert_eq!(m.mode, Some(mode)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            macvtap_device_path(l.index).to_str().unwrap(),
            format!("/dev/tap{}", l.index)
        );
        rtnl.delete_link(&*name).unwrap();
    }
}

#[test]
fn rt_06_bridge_options_master_and_filtered_dumps() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    // (vlan_filtering is covered in the VM tier: the host kernel lacks it.)
    let opts = Bridge::default()
        .stp(false)
        .ageing_time(1000)
        .forward_delay(400);
    let br = rtnl
        .create_link(&LinkSpec::new("br0", LinkKind::Bridge(opts)))
        .unwrap();
    match br.kind_data() {
        Some(LinkKind::Bridge(b)) => {
            assert_eq!(b.ageing_time, Some(1000));
            assert_eq!(b.forward_delay, Some(400));
            assert_eq!(b.stp_state, Some(0));
        }
        other => panic!("{other:?}"),
    }
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_master("v0", "br0").unwrap();
    let v0 = rtnl.link_by_name("v0").unwrap();
    assert_eq!(v0.master, Some(br.index));
    assert_eq!(
        v0.info.as_ref().unwrap().port_kind.as_deref(),
        Some("bridge")
    );
    // RT-03: kernel-side filtering by master and by kind.
    let ports = rtnl.links_filtered(&LinkFilter::master("br0")).unwrap();
    assert_eq!(ports.iter().map(|l| &*l.name).collect::<Vec<_>>(), ["v0"]);
    let bridges = rtnl.links_filtered(&LinkFilter::kind("bridge")).unwrap();
    assert_eq!(
        bridges.iter().map(|l| &*l.name).collect::<Vec<_>>(),
        ["br0"]
    );
    let veths = rtnl.links_filtered(&LinkFilter::kind("veth")).unwrap();
    assert_eq!(veths.len(), 2);
    rtnl.set_nomaster("v0").unwrap();
    assert_eq!(rtnl.link_by_name("v0").unwrap().master, None);
    // A bridge created with a master on the fly.
    let v1 = rtnl.link_by_name("v1").unwrap();
    rtnl.set_link(v1.index, &LinkChange::new().master(br.index))
        .unwrap();
    assert_eq!(rtnl.link_by_index(v1.index).unwrap().master, Some(br.index));
}

#[test]
fn rt_16_mtu_name_address_txqlen_alias_group_arp() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_mtu("v0", 1400).unwrap();
    assert_eq!(rtnl.link_by_name("v0").unwrap().mtu, Some(1400));
    rtnl.set_name("v0", "renamed0").unwrap();
    let l = rtnl.link_by_name("renamed0").unwrap();
    assert!(rtnl.link_by_name("v0").is_err());
    let mac: linx::Mac = "02:11:22:33:44:55".parse().unwrap();
    rtnl.set_address(l.index, mac).unwrap();
    rtnl.set_txqlen("renamed0", 42).unwrap();
    rtnl.set_alias("renamed0", "uplink to nowhere").unwrap();
    rtnl.set_link("renamed0", &LinkChange::new().group(7).arp(false))
        .unwrap();
    let l = rtnl.link_by_index(l.index).unwrap();
    assert_eq!(l.address_text().as_deref(), Some("02:11:22:33:44:55"));
    assert_eq!(l.txqlen, Some(42));
    assert_eq!(l.alias.as_deref(), Some("uplink to nowhere"));
    assert_eq!(l.group, Some(7));
    assert!(l.flags.contains(LinkFlags::NOARP));
    rtnl.set_alias("renamed0", "").unwrap();
    assert_eq!(rtnl.link_by_index(l.index).unwrap().alias, None);
    // Alternative names.
    rtnl.alt_name("renamed0", "a-much-longer-alternative-name", true)
        .unwrap();
    let l = rtnl.link_by_index(l.index).unwrap();
    assert_eq!(l.alt_names, ["a-much-longer-alternative-name"]);
    rtnl.alt_name(l.index, "a-much-longer-alternative-name", false)
        .unwrap();
    assert!(rtnl.link_by_index(l.index).unwrap().alt_names.is_empty());
    // An MTU the device refuses is the kernel's error, with extended-ack text.
    let e = rtnl.set_mtu("renamed0", 10).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert!(e.to_string().contains("\"renamed0\""), "{e}");
}

#[test]
fn rt_15_delete_then_get_is_enodev() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let v0 = rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.delete_link("v0").unwrap();
    let e = rtnl.link_by_name("v0").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NODEV));
    assert!(
        rtnl.link_by_name("v1").is_err(),
        "deleting one end deletes both"
    );
    let e = rtnl.delete_link(v0.index).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NODEV));
    assert!(
        e.to_string().contains(&format!("index {}", v0.index)),
        "{e}"
    );
    let e = rtnl.delete_link("gone0").unwrap_err();
    assert!(e.to_string().contains("\"gone0\""), "{e}");
}

#[test]
fn rt_16_move_into_another_namespace_by_fd_and_by_pid() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let other = NetNs::new().unwrap();
    rtnl.create_link(&LinkSpec::veth("mv0", "mv1")).unwrap();
    rtnl.move_link("mv0", NetnsDest::Target(target_of(&other)))
        .unwrap();
    assert!(rtnl.link_by_name("mv0").is_err());
    let mut ro = Rtnl::open(&target_of(&other)).unwrap();
    assert_eq!(ro.link_by_name("mv0").unwrap().name, "mv0");
    // By pid: a process living in the other namespace.
    let mut child = other.command("sleep").arg("30").spawn().unwrap();
    rtnl.move_link("mv1", NetnsDest::Pid(child.id() as i32))
        .unwrap();
    assert!(ro.link_by_name("mv1").is_ok());
    child.kill().unwrap();
    child.wait().unwrap();
    // The fd is what was opened: NsTarget::open(NsKind::Net) of a pidfd target.
    let fd = target_of(&other).open(NsKind::Net).unwrap();
    drop(fd);
}

#[test]
fn rt_10_vxlan_created_and_decoded_with_its_parameters() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    let v0 = rtnl.link_by_name("v0").unwrap();
    let spec = LinkSpec::vxlan(
        "vx0",
        Vxlan::new(42, 4789)
            .remote("192.0.2.1".parse().unwrap())
            .underlay("v0")
            .ttl(10),
    );
    let vx = rtnl.create_link(&spec).unwrap();
    match vx.kind_data() {
        Some(LinkKind::Vxlan(v)) => {
            assert_eq!(v.vni, Some(42));
            assert_eq!(v.port, Some(4789));
            assert_eq!(v.remote, Some("192.0.2.1".parse().unwrap()));
            assert_eq!(v.ttl, Some(10));
            assert_eq!(v.underlay, Some(linx::rtnl::LinkRef::Index(v0.index)));
        }
        other => panic!("{other:?}"),
    }
    rtnl.delete_link("vx0").unwrap();
    // No port: a typed input error before anything is sent.
    let mut no_port = Vxlan::new(42, 4789);
    no_port.port = None;
    let e = rtnl
        .create_link(&LinkSpec::vxlan("vx1", no_port))
        .unwrap_err();
    assert!(e.is_input(), "{e}");
}

#[test]
fn rt_12_tap_persistent_with_owner_and_transient_tun() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let target = target_of(&ns);
    let tap = TunSpec::tap("tap0")
        .persist(true)
        .owner(1000)
        .create(&target)
        .unwrap();
    assert_eq!(tap.name, "tap0");
    drop(tap);
    let l = rtnl.link_by_name("tap0").unwrap();
    match l.kind_data() {
        Some(LinkKind::Tun(t)) => {
            assert_eq!(t.tun_type, Some(2));
            assert_eq!(t.owner, Some(1000));
            assert_eq!(t.persist, Some(true));
            assert_eq!(t.pi, Some(false));
        }
        other => panic!("{other:?}"),
    }
    rtnl.delete_link("tap0").unwrap();
    // Not persistent: it exists while its queue fds do.
    let tun = TunSpec::tun("tun7").queues(2).create(&target).unwrap();
    assert_eq!(tun.queues.len(), 2);
    assert!(rtnl.link_by_name("tun7").is_ok());
    drop(tun);
    assert_eq!(
        rtnl.link_by_name("tun7").unwrap_err().errno(),
        Some(Errno::NODEV)
    );
    assert!(TunSpec::tun("x").queues(0).validate().is_err());
}

#[test]
fn rt_17_generic_kind_round_trips_and_can_be_managed() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    // ifb is not modelled: created through the escape hatch, decoded raw.
    let l = rtnl
        .create_link(&LinkSpec::generic("ifb0", "ifb", vec![]))
        .unwrap();
    assert_eq!(l.kind(), Some("ifb"));
    assert!(matches!(l.kind_data(), Some(LinkKind::Generic { ref kind, .. }) if kind == "ifb"));
    rtnl.set_name("ifb0", "ifb9").unwrap();
    rtnl.set_up("ifb9").unwrap();
    let other = NetNs::new().unwrap();
    rtnl.move_link("ifb9", NetnsDest::Target(target_of(&other)))
        .unwrap();
    let mut ro = Rtnl::open(&target_of(&other)).unwrap();
    ro.delete_link("ifb9").unwrap();
    // A macvlan created from raw kind data decodes typed.
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    let raw = vec![RawAttr {
        raw_type: linx::rtnl::kinds::macvlan::MODE,
        payload: 2u32.to_ne_bytes().to_vec(),
    }];
    let mv = rtnl
        .create_link(&LinkSpec::generic("mv0", "macvlan", raw).parent("v1"))
        .unwrap();
    match mv.kind_data() {
        Some(LinkKind::Macvlan(m)) => assert_eq!(m.mode, Some(MacvlanMode::Vepa)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rt_04_unknown_parent_names_it_and_unknown_kind_is_eopnotsupp() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let e = rtnl
        .create_link(&LinkSpec::macvlan("mv0", "nosuch0", MacvlanMode::Bridge))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NODEV), "{e}");
    assert!(
        e.to_string()
            .contains("no such parent interface \"nosuch0\""),
        "{e}"
    );
    let e = rtnl
        .create_link(&LinkSpec::generic("k0", "linxnokind", vec![]))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::OPNOTSUPP), "{e}");
    assert!(e.to_string().contains("Unknown device type"), "{e}");
}

#[test]
fn nl_09_raw_escape_hatch_reports_the_attribute_path() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    // IFLA_VXLAN_ID must be a u32: a u16 fails the kernel's policy, which points at it.
    let raw = vec![
        RawAttr {
            raw_type: linx::rtnl::kinds::vxlan::ID,
            payload: 42u16.to_ne_bytes().to_vec(),
        },
        RawAttr {
            raw_type: linx::rtnl::kinds::vxlan::PORT,
            payload: 4789u16.to_be_bytes().to_vec(),
        },
    ];
    let e = rtnl
        .create_link(&LinkSpec::generic("vx0", "vxlan", raw))
        .unwrap_err();
    let Error::Os(os) = &e else { panic!("{e}") };
    // EINVAL or ERANGE depending on the kernel's policy check.
    assert!(matches!(os.errno, Errno::INVAL | Errno::RANGE), "{e}");
    assert_eq!(
        os.context.attr_path.as_deref(),
        Some("IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VXLAN_ID"),
        "{e}"
    );
    assert!(os.context.extack.is_some(), "{e}");
}

#[test]
fn rt_04_input_errors_are_typed_before_any_syscall() {
    // No privileges needed: nothing reaches the kernel.
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let cases = [
        LinkSpec::veth("this-name-is-too-long", "v1"),
        LinkSpec::veth("v0", "bad/peer"),
        LinkSpec::vlan("vl0", "eth0", 0),
        LinkSpec::vlan("vl0", "eth0", 4095),
        LinkSpec::vxlan("vx0", Vxlan::new(1 << 24, 4789)),
        LinkSpec::veth("v0", "v1").mtu(0),
        LinkSpec::new("mv0", LinkKind::Macvlan(Default::default())),
        LinkSpec::vrf("vrf0", 0),
    ];
    for spec in cases {
        let e = rtnl.create_link(&spec).unwrap_err();
        assert!(e.is_input(), "{spec:?}: {e}");
    }
    assert!(rtnl.set_mtu("ok0", 0).unwrap_err().is_input());
    assert!(rtnl.set_up(0u32).unwrap_err().is_input());
    assert!(rtnl.set_name("v0", "a b").unwrap_err().is_input());
    assert!(
        rtnl.move_link("v0", NetnsDest::Pid(-1))
            .unwrap_err()
            .is_input()
    );
    // An attribute over the 16-bit netlink length limit.
    let huge = vec![RawAttr {
        raw_type: 1,
        payload: vec![0; 70_000],
    }];
    let e = rtnl
        .create_link(&LinkSpec::generic("big0", "ifb", huge))
        .unwrap_err();
    assert!(e.is_input() && e.to_string().contains("16-bit"), "{e}");
    assert!(
        rtnl.set_alias("v0", &"x".repeat(300))
            .unwrap_err()
            .is_input()
    );
    let e = rtnl.delete_link("..").unwrap_err();
    assert!(e.is_input() && e.to_string().contains("\"..\""), "{e}");
}

#[test]
fn rt_02_decoded_fields_match_the_kernel() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    ns.ip(&["link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
    ns.ip(&[
        "link",
        "set",
        "d0",
        "mtu",
        "1280",
        "txqueuelen",
        "77",
        "alias",
        "hello",
    ]);
    ns.ip(&["link", "property", "add", "dev", "d0", "altname", "d0-alt"]);
    let l = rtnl.link_by_name("d0").unwrap();
    assert_eq!(l.mtu, Some(1280));
    assert_eq!(l.txqlen, Some(77));
    assert_eq!(l.alias.as_deref(), Some("hello"));
    assert_eq!(l.alt_names, ["d0-alt"]);
    assert_eq!(l.min_mtu, Some(68));
    assert!(l.address.as_ref().is_some_and(|a| a.len() == 6));
    assert!(
        l.to_string().starts_with(&format!("{}: d0 <", l.index)),
        "{l}"
    );
    // Alternative names resolve too.
    assert_eq!(rtnl.link_by_name("d0-alt").unwrap().index, l.index);
}
