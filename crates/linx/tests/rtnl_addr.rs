//! Kernel tier: addresses (RT-20..RT-23), each test in a fresh network namespace.

use std::net::IpAddr;
use std::time::Duration;

use linx::error::Errno;
use linx::ns::NsTarget;
use linx::rtnl::{AddrFlags, AddressFilter, AddressSpec, Broadcast, LinkSpec, Rtnl, Scope};
use linx_testkit::{NetNs, require_root};

fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let mut rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    rtnl.set_up("v1").unwrap();
    Some((ns, rtnl))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn rt_21_ipv4_add_list_duplicate_replace_delete() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let spec = AddressSpec::new("v0", "192.0.2.10/24".parse().unwrap())
        .broadcast(Broadcast::Compute)
        .label("v0:web")
        .metric(77);
    rtnl.add_address(&spec).unwrap();
    let v0 = rtnl.link_by_name("v0").unwrap();
    let list = rtnl
        .addresses_filtered(&AddressFilter::link("v0").ipv4())
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let a = &list[0];
    assert_eq!(a.ip(), Some(ip("192.0.2.10")));
    assert_eq!(a.prefix_len, 24);
    assert_eq!(a.index, v0.index);
    assert_eq!(a.broadcast, Some(ip("192.0.2.255")));
    assert_eq!(a.label.as_deref(), Some("v0:web"));
    assert_eq!(a.scope, Scope::UNIVERSE);
    assert_eq!(a.metric, Some(77));
    assert!(a.flags.contains(AddrFlags::PERMANENT));
    assert_eq!(
        a.to_string(),
        format!("192.0.2.10/24 dev {} label v0:web", v0.index)
    );
    // ip agrees.
    let shown = ns.ip(&["-o", "-4", "addr", "show", "dev", "v0"]);
    assert!(
        shown.contains("192.0.2.10/24 metric 77 brd 192.0.2.255"),
        "{shown}"
    );
    // Duplicate add: EEXIST; replace succeeds.
    let e = rtnl.add_address(&spec).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("192.0.2.10/24 dev v0"), "{e}");
    rtnl.replace_address(&spec.clone().metric(88)).unwrap();
    let list = rtnl
        .addresses_filtered(&AddressFilter::link("v0").ipv4())
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].metric, Some(88));
    // A point-to-point peer: local is the address, the prefix length is the peer's.
    rtnl.add_address(
        &AddressSpec::new("v1", "10.9.0.1/32".parse().unwrap())
            .peer("10.9.0.2/32".parse().unwrap()),
    )
    .unwrap();
    let p = &rtnl
        .addresses_filtered(&AddressFilter::link("v1").ipv4())
        .unwrap()[0];
    assert_eq!(
        (p.ip(), p.peer()),
        (Some(ip("10.9.0.1")), Some(ip("10.9.0.2")))
    );
    rtnl.delete_address(&spec).unwrap();
    assert!(
        rtnl.addresses_filtered(&AddressFilter::link("v0").ipv4())
            .unwrap()
            .is_empty()
    );
    let e = rtnl.delete_address(&spec).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::ADDRNOTAVAIL), "{e}");
}

#[test]
fn rt_21_ipv6_nodad_lifetimes_and_flags() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_address(
        &AddressSpec::new("v0", "2001:db8::1/64".parse().unwrap())
            .nodad()
            .noprefixroute()
            .lifetimes(3600, 1800),
    )
    .unwrap();
    let a = rtnl
        .addresses_filtered(&AddressFilter::link("v0").ipv6().scope(Scope::UNIVERSE))
        .unwrap()
        .into_iter()
        .find(|a| a.ip() == Some(ip("2001:db8::1")))
        .unwrap();
    assert!(
        a.flags
            .contains(AddrFlags::NODAD | AddrFlags::NOPREFIXROUTE)
    );
    assert!(!a.is_tentative(), "nodad: usable immediately");
    assert!(a.valid_lft.is_some_and(|v| v <= 3600 && v > 3000), "{a:?}");
    assert!(a.preferred_lft.is_some_and(|v| v <= 1800), "{a:?}");
    // A nodad address can be bound right away.
    let sock = NsTarget::fd(_ns.try_clone_fd().unwrap())
        .run(linx::ns::NsSet::NET, || {
            std::net::UdpSocket::bind("[2001:db8::1]:0").map(|_| ())
        })
        .unwrap();
    sock.expect("bind to the nodad address");
}

#[test]
fn rt_22_wait_dad_returns_and_reports_failure() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    rtnl.add_address(&AddressSpec::new("v0", "2001:db8::7/64".parse().unwrap()))
        .unwrap();
    rtnl.wait_dad("v0", ip("2001:db8::7"), Duration::from_secs(20))
        .unwrap();
    let a = rtnl
        .addresses_filtered(&AddressFilter::link("v0").ipv6())
        .unwrap()
        .into_iter()
        .find(|a| a.ip() == Some(ip("2001:db8::7")))
        .unwrap();
    assert!(!a.is_tentative());
    // The same address already on the other end (nodad there): DAD here fails.
    rtnl.add_address(&AddressSpec::new("v1", "2001:db8::9/64".parse().unwrap()).nodad())
        .unwrap();
    rtnl.add_address(&AddressSpec::new("v0", "2001:db8::9/64".parse().unwrap()))
        .unwrap();
    let e = rtnl
        .wait_dad("v0", ip("2001:db8::9"), Duration::from_secs(20))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::ADDRNOTAVAIL), "{e}");
    assert!(
        e.to_string().contains("duplicate address detection failed"),
        "{e}"
    );
    let e = rtnl
        .wait_dad("v0", ip("2001:db8::99"), Duration::from_secs(1))
        .unwrap_err();
    assert!(e.to_string().contains("not configured"), "{e}");
}

#[test]
fn rt_23_flush_by_link_and_family() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    for a in ["192.0.2.1/24", "192.0.2.2/24", "198.51.100.1/24"] {
        rtnl.add_address(&AddressSpec::new("v0", a.parse().unwrap()))
            .unwrap();
    }
    rtnl.add_address(&AddressSpec::new("v0", "2001:db8::1/64".parse().unwrap()).nodad())
        .unwrap();
    rtnl.add_address(&AddressSpec::new("v1", "192.0.2.9/24".parse().unwrap()))
        .unwrap();
    let n = rtnl
        .flush_addresses(&AddressFilter::link("v0").ipv4())
        .unwrap();
    assert!(
        (2..=3).contains(&n),
        "secondaries may go with their primary: {n}"
    );
    assert!(
        rtnl.addresses_filtered(&AddressFilter::link("v0").ipv4())
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        rtnl.addresses_filtered(&AddressFilter::link("v1").ipv4())
            .unwrap()
            .len(),
        1,
        "other links untouched"
    );
    assert!(
        rtnl.addresses_filtered(&AddressFilter::link("v0").ipv6().scope(Scope::UNIVERSE))
            .unwrap()
            .iter()
            .any(|a| a.ip() == Some(ip("2001:db8::1"))),
        "other family untouched"
    );
}

#[test]
fn rt_21_input_and_kernel_errors_name_the_value() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let e = rtnl
        .add_address(&AddressSpec::new("v0", "192.0.2.1/24".parse().unwrap()).label("eth0"))
        .unwrap_err();
    assert!(e.is_input() && e.to_string().contains("\"eth0\""), "{e}");
    // By index, the label is still checked against the real name.
    let v0 = rtnl.link_by_name("v0").unwrap();
    let e = rtnl
        .add_address(&AddressSpec::new(v0.index, "192.0.2.1/24".parse().unwrap()).label("v1"))
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    rtnl.add_address(&AddressSpec::new(v0.index, "192.0.2.1/24".parse().unwrap()).label("v0:1"))
        .unwrap();
    let e = rtnl
        .add_address(&AddressSpec::new(
            "nosuch0",
            "192.0.2.1/24".parse().unwrap(),
        ))
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NODEV));
    assert!(
        e.to_string().contains("no such interface \"nosuch0\""),
        "{e}"
    );
    let e = rtnl
        .add_address(
            &AddressSpec::new("v0", "2001:db8::1/64".parse().unwrap())
                .broadcast(Broadcast::Compute),
        )
        .unwrap_err();
    assert!(e.is_input(), "{e}");
}
