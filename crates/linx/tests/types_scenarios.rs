//! types.md: acceptance scenarios 1–7 and per-row behaviour (scenario 8 is `types_ui.rs`,
//! the properties of scenario 5 are `types_props.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use linx::types::{
    self, IfAddr, IfName, IfNameReason, IpRange, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix,
    Mac, ParseError, ParseErrorKind, ParseTarget, Prefix, constparse, wire,
};
use linx::{ifaddr, ifname, mac, prefix};

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

fn kind<T: std::str::FromStr<Err = ParseError>>(s: &str) -> ParseErrorKind {
    match s.parse::<T>() {
        Ok(_) => panic!("{s:?} parsed"),
        Err(e) => e.kind,
    }
}

// ---- TYP-01 -----------------------------------------------------------------------------------

#[test]
fn typ_01_scenario_1_strict_std_parsing() {
    for bad in ["10.0.0", "010.0.0.1", "fe80::1%eth0"] {
        assert!(bad.parse::<IpAddr>().is_err(), "{bad}");
        assert!(constparse::ip(bad).is_none(), "{bad}");
        assert_eq!(
            kind::<Prefix>(&format!("{bad}/8")),
            ParseErrorKind::BadAddress
        );
        assert_eq!(
            kind::<IfAddr>(&format!("{bad}/8")),
            ParseErrorKind::BadAddress
        );
        assert_eq!(
            kind::<IpRange>(&format!("{bad}-{bad}")),
            ParseErrorKind::BadAddress
        );
    }
    let a: IpAddr = "fc00::1".parse().unwrap();
    assert_eq!(a.to_string(), "fc00::1");
    assert_eq!(constparse::ip("fc00::1"), Some(a));
    assert_eq!(p("fc00::/64").to_string(), "fc00::/64");
}

#[test]
fn typ_01_mapped_ipv6_stays_ipv6() {
    let a: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
    assert!(a.is_ipv6());
    assert_eq!(constparse::ip("::ffff:1.2.3.4"), Some(a));
    assert!(!prefix!("1.2.3.0/24").contains(a));
    assert!(
        wire::ip_from_bytes(&wire::ip_to_bytes(a))
            .unwrap()
            .is_ipv6()
    );
}

#[test]
fn typ_01_scenario_7_wire_exact_lengths() {
    assert_eq!(wire::ipv4_from_bytes(&[10, 0, 0]), None);
    assert_eq!(wire::ipv4_from_bytes(&[10, 0, 0, 1, 2]), None);
    assert_eq!(wire::ipv4_from_bytes(&[]), None);
    assert_eq!(
        wire::ipv4_from_bytes(&[10, 0, 0, 1]),
        Some(Ipv4Addr::new(10, 0, 0, 1))
    );
    for n in 0..40 {
        let buf = vec![0xabu8; n];
        assert_eq!(wire::ipv6_from_bytes(&buf).is_some(), n == 16);
        assert_eq!(wire::ip_from_bytes(&buf).is_some(), n == 4 || n == 16);
        assert_eq!(Mac::from_bytes(&buf).is_some(), n == 6);
    }
    let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
    assert_eq!(wire::ipv6_from_bytes(&wire::ipv6_to_bytes(v6)), Some(v6));
    assert_eq!(&*wire::ip_to_bytes(IpAddr::V6(v6)), &v6.octets()[..]);
    assert_eq!(wire::ip_to_bytes("10.0.0.1".parse().unwrap()).len(), 4);
}

// ---- TYP-02 -----------------------------------------------------------------------------------

#[test]
fn typ_02_scenario_2_prefix_parse() {
    assert_eq!(p("10.0.0.0/24").to_string(), "10.0.0.0/24");
    assert_eq!(p("::/0").to_string(), "::/0");
    assert_eq!(p("::/0").len(), 0);
    assert_eq!(
        kind::<Prefix>("10.0.0.0/33"),
        ParseErrorKind::BadPrefixLength { max: 32 }
    );
    assert_eq!(
        kind::<Prefix>("::/129"),
        ParseErrorKind::BadPrefixLength { max: 128 }
    );
}

#[test]
fn typ_02_prefix_host_bits_set() {
    let err = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
    assert_eq!(
        err.kind,
        ParseErrorKind::HostBitsSet {
            suggestion: p("10.0.0.0/24")
        }
    );
    assert_eq!(err.suggestion(), Some(prefix!("10.0.0.0/24")));
    assert_eq!(err.input, "10.0.0.1/24");
    assert!(err.to_string().contains("did you mean 10.0.0.0/24?"));
    let err = "2001:db8::1/32".parse::<Ipv6Prefix>().unwrap_err();
    assert_eq!(err.suggestion(), Some(prefix!("2001:db8::/32")));
    assert!(Ipv4Prefix::new(Ipv4Addr::new(10, 0, 0, 1), 24).is_err());
    assert!(Prefix::new("10.0.0.1".parse().unwrap(), 32).is_ok());
}

#[test]
fn typ_02_new_truncating_and_from_addr() {
    let t = Prefix::new_truncating("10.0.0.77".parse().unwrap(), 24).unwrap();
    assert_eq!(t, prefix!("10.0.0.0/24"));
    let t6 = Prefix::new_truncating("2001:db8::ff".parse().unwrap(), 120).unwrap();
    assert_eq!(t6, prefix!("2001:db8::/120"));
    // Never silently truncated: too long is an error.
    assert_eq!(
        Prefix::new_truncating("10.0.0.1".parse().unwrap(), 33)
            .unwrap_err()
            .kind,
        ParseErrorKind::BadPrefixLength { max: 32 }
    );
    // A bare address is not a prefix, except through from_addr.
    assert_eq!(
        kind::<Prefix>("10.0.0.1"),
        ParseErrorKind::MissingPrefixLength
    );
    assert_eq!(
        Prefix::from_addr("10.0.0.1".parse().unwrap()),
        prefix!("10.0.0.1/32")
    );
    assert_eq!(
        Prefix::from_addr("::1".parse().unwrap()),
        prefix!("::1/128")
    );
}

#[test]
fn typ_02_prefix_length_grammar() {
    assert!("10.0.0.0/0".parse::<Prefix>().is_err()); // host bits
    assert!("0.0.0.0/0".parse::<Prefix>().is_ok());
    for bad in [
        "/", "/024", "/00", "/+8", "/-8", "/8 ", "/ 8", "/8/8", "/0x8", "/１",
    ] {
        assert_eq!(
            kind::<Prefix>(&format!("10.0.0.0{bad}")),
            ParseErrorKind::BadPrefixLength { max: 32 },
            "{bad}"
        );
    }
    assert_eq!(kind::<Ipv4Prefix>("::/0"), ParseErrorKind::FamilyMismatch);
    assert_eq!(
        kind::<Ipv6Prefix>("10.0.0.0/8"),
        ParseErrorKind::FamilyMismatch
    );
    assert_eq!(kind::<Prefix>(""), ParseErrorKind::BadAddress);
    assert_eq!(kind::<Prefix>("/8"), ParseErrorKind::BadAddress);
    assert_eq!(kind::<Prefix>(" 10.0.0.0/8"), ParseErrorKind::BadAddress);
}

// ---- TYP-03 -----------------------------------------------------------------------------------

#[test]
fn typ_03_scenario_3_ifaddr_network_broadcast() {
    let a: IfAddr = "10.0.0.5/24".parse().unwrap();
    assert_eq!(a.addr(), "10.0.0.5".parse::<IpAddr>().unwrap());
    assert_eq!(a.network(), prefix!("10.0.0.0/24"));
    assert_eq!(a.broadcast(), Some(Ipv4Addr::new(10, 0, 0, 255)));
    assert_eq!(a.to_string(), "10.0.0.5/24");
    assert_eq!(ifaddr!("10.0.0.5/31").broadcast(), None);
    assert_eq!(ifaddr!("10.0.0.5/32").broadcast(), None);
    assert_eq!(
        ifaddr!("10.0.0.5/30").broadcast(),
        Some(Ipv4Addr::new(10, 0, 0, 7))
    );
    assert_eq!(ifaddr!("fe80::1/64").broadcast(), None);
    assert_eq!(ifaddr!("fe80::1/64").network(), prefix!("fe80::/64"));
    assert_eq!(
        "10.0.0.5/24"
            .parse::<Ipv4IfAddr>()
            .unwrap()
            .network()
            .to_string(),
        "10.0.0.0/24"
    );
    assert_eq!(
        kind::<Ipv6IfAddr>("10.0.0.5/24"),
        ParseErrorKind::FamilyMismatch
    );
    assert_eq!(
        kind::<IfAddr>("10.0.0.5"),
        ParseErrorKind::MissingPrefixLength
    );
    assert_eq!(
        kind::<IfAddr>("10.0.0.5/33"),
        ParseErrorKind::BadPrefixLength { max: 32 }
    );
    assert_eq!(
        IfAddr::from_addr("10.0.0.5".parse().unwrap()),
        ifaddr!("10.0.0.5/32")
    );
    assert!(IfAddr::new("fe80::1".parse().unwrap(), 129).is_err());
    assert_eq!(
        Ipv4IfAddr::try_from(ifaddr!("10.0.0.5/24"))
            .unwrap()
            .to_string(),
        "10.0.0.5/24"
    );
    assert_eq!(
        Ipv4IfAddr::try_from(ifaddr!("fe80::1/64"))
            .unwrap_err()
            .kind,
        ParseErrorKind::FamilyMismatch
    );
    assert!(Ipv6IfAddr::try_from(ifaddr!("fe80::1/64")).is_ok());
    assert_eq!(
        Ipv4Prefix::try_from(prefix!("::/0")).unwrap_err().kind,
        ParseErrorKind::FamilyMismatch
    );
    assert!(Ipv6Prefix::try_from(prefix!("::/0")).is_ok());
}

// ---- TYP-04 -----------------------------------------------------------------------------------

#[test]
fn typ_04_contains_and_contains_prefix() {
    let net = prefix!("10.0.0.0/8");
    assert!(net.contains("10.255.0.1".parse().unwrap()));
    assert!(!net.contains("11.0.0.0".parse().unwrap()));
    assert!(!net.contains("::a00:1".parse().unwrap()));
    assert!(!prefix!("::/0").contains("10.0.0.1".parse().unwrap()));
    assert!(prefix!("0.0.0.0/0").contains("255.255.255.255".parse().unwrap()));
    assert!(net.contains_prefix(&prefix!("10.1.0.0/16")));
    assert!(net.contains_prefix(&net));
    assert!(!prefix!("10.1.0.0/16").contains_prefix(&net));
    assert!(!prefix!("::/0").contains_prefix(&net));
}

#[test]
fn typ_04_network_broadcast_first_last() {
    let net = prefix!("192.168.4.0/22");
    assert_eq!(net.network(), net);
    assert_eq!(net.first(), "192.168.4.0".parse::<IpAddr>().unwrap());
    assert_eq!(net.last(), "192.168.7.255".parse::<IpAddr>().unwrap());
    assert_eq!(net.broadcast(), Some(Ipv4Addr::new(192, 168, 7, 255)));
    assert_eq!(
        prefix!("192.168.4.0/30").broadcast(),
        Some(Ipv4Addr::new(192, 168, 4, 3))
    );
    assert_eq!(prefix!("192.168.4.0/31").broadcast(), None);
    assert_eq!(prefix!("192.168.4.1/32").broadcast(), None);
    assert_eq!(prefix!("2001:db8::/32").broadcast(), None);
    assert_eq!(
        prefix!("2001:db8::/32").last(),
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
            .parse::<IpAddr>()
            .unwrap()
    );
    assert_eq!(prefix!("0.0.0.0/0").last(), IpAddr::V4(Ipv4Addr::BROADCAST));
    assert_eq!(
        prefix!("10.0.0.0/24").netmask(),
        "255.255.255.0".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn typ_04_hosts() {
    let h: Vec<IpAddr> = prefix!("10.0.0.0/29").hosts().collect();
    assert_eq!(h.len(), 6);
    assert_eq!(h[0], "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(h[5], "10.0.0.6".parse::<IpAddr>().unwrap());
    assert_eq!(prefix!("10.0.0.0/31").hosts().count(), 2);
    assert_eq!(
        prefix!("10.0.0.9/32").hosts().collect::<Vec<_>>(),
        ["10.0.0.9".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(prefix!("10.0.0.0/24").hosts().size_hint(), (254, Some(254)));
    assert_eq!(
        prefix!("0.0.0.0/0").hosts().size_hint().0,
        (1usize << 32) - 2
    );
    // IPv6: the Subnet-Router anycast address is excluded, the last address is not.
    let h6: Vec<IpAddr> = prefix!("2001:db8::/125").hosts().collect();
    assert_eq!(h6.len(), 7);
    assert_eq!(h6[0], "2001:db8::1".parse::<IpAddr>().unwrap());
    assert_eq!(prefix!("2001:db8::/127").hosts().count(), 2);
    assert_eq!(prefix!("2001:db8::/128").hosts().count(), 1);
    // Huge prefixes do not allocate and can be skipped through.
    let mut all = prefix!("::/0").hosts();
    assert_eq!(all.size_hint(), (usize::MAX, None));
    assert_eq!(all.next(), Some("::1".parse().unwrap()));
    assert_eq!(all.nth(1), Some("::3".parse().unwrap()));
    assert_eq!(
        all.next_back(),
        Some("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap())
    );
    let mut it = prefix!("10.0.0.0/30").hosts();
    assert_eq!(it.nth(5), None);
    assert_eq!(it.next(), None);
}

#[test]
fn typ_04_subnets_and_supernet() {
    let s: Vec<Prefix> = prefix!("10.0.0.0/22").subnets(24).unwrap().collect();
    assert_eq!(
        s,
        [
            prefix!("10.0.0.0/24"),
            prefix!("10.0.1.0/24"),
            prefix!("10.0.2.0/24"),
            prefix!("10.0.3.0/24")
        ]
    );
    assert_eq!(prefix!("10.0.0.0/22").subnets(22).unwrap().count(), 1);
    assert!(prefix!("10.0.0.0/22").subnets(21).is_none());
    assert!(prefix!("10.0.0.0/22").subnets(33).is_none());
    assert_eq!(prefix!("0.0.0.0/0").subnets(0).unwrap().count(), 1);
    assert_eq!(
        prefix!("0.0.0.0/0").subnets(32).unwrap().size_hint().0,
        1 << 32
    );
    assert_eq!(
        prefix!("::/0").subnets(0).unwrap().collect::<Vec<_>>(),
        [prefix!("::/0")]
    );
    let mut big = prefix!("::/0").subnets(128).unwrap();
    assert_eq!(big.next(), Some(prefix!("::/128")));
    assert_eq!(
        big.next_back(),
        Some(prefix!("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"))
    );
    assert_eq!(
        prefix!("::/0").subnets(1).unwrap().collect::<Vec<_>>(),
        [prefix!("::/1"), prefix!("8000::/1")]
    );
    assert_eq!(
        prefix!("10.0.1.0/24").supernet(),
        Some(prefix!("10.0.0.0/23"))
    );
    assert_eq!(prefix!("0.0.0.0/0").supernet(), None);
    assert_eq!(prefix!("::/0").supernet(), None);
    assert_eq!(prefix!("::1/128").supernet(), Some(prefix!("::/127")));
}

#[test]
fn typ_04_aggregate() {
    let agg = Prefix::aggregate(&[
        prefix!("10.0.0.0/25"),
        prefix!("10.0.0.128/25"),
        prefix!("10.0.1.0/24"),
        prefix!("10.0.0.7/32"),
        prefix!("192.168.0.0/16"),
        prefix!("fc00::/8"),
        prefix!("fd00::/8"),
        prefix!("10.0.3.0/24"),
    ]);
    assert_eq!(
        agg,
        [
            prefix!("10.0.0.0/23"),
            prefix!("10.0.3.0/24"),
            prefix!("192.168.0.0/16"),
            prefix!("fc00::/7")
        ]
    );
    assert!(Prefix::aggregate(&[]).is_empty());
    assert_eq!(
        Prefix::aggregate(&[prefix!("0.0.0.0/1"), prefix!("128.0.0.0/1")]),
        [prefix!("0.0.0.0/0")]
    );
    assert_eq!(
        Prefix::aggregate(&[prefix!("::/1"), prefix!("8000::/1"), prefix!("::1/128")]),
        [prefix!("::/0")]
    );
}

#[test]
fn typ_04_ordering_by_family_address_length() {
    let mut v = vec![
        prefix!("::/0"),
        prefix!("10.0.0.0/16"),
        prefix!("10.0.0.0/8"),
        prefix!("9.0.0.0/8"),
        prefix!("0.0.0.0/0"),
    ];
    v.sort();
    assert_eq!(
        v,
        [
            prefix!("0.0.0.0/0"),
            prefix!("9.0.0.0/8"),
            prefix!("10.0.0.0/8"),
            prefix!("10.0.0.0/16"),
            prefix!("::/0")
        ]
    );
}

// ---- TYP-05 -----------------------------------------------------------------------------------

#[test]
fn typ_05_scenario_4_range_from_prefix_and_to_prefixes() {
    let r = IpRange::from(prefix!("10.0.0.0/8"));
    assert_eq!(r.first(), "10.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(r.last(), "10.255.255.255".parse::<IpAddr>().unwrap());
    assert_eq!(r.to_string(), "10.0.0.0-10.255.255.255");
    let r: IpRange = "10.0.0.1-10.0.0.6".parse().unwrap();
    assert_eq!(
        r.to_prefixes(),
        [
            prefix!("10.0.0.1/32"),
            prefix!("10.0.0.2/31"),
            prefix!("10.0.0.4/31"),
            prefix!("10.0.0.6/32")
        ]
    );
    assert_eq!(
        IpRange::from(prefix!("::/0")).to_prefixes(),
        [prefix!("::/0")]
    );
    assert_eq!(
        IpRange::from(prefix!("0.0.0.0/0")).to_prefixes(),
        [prefix!("0.0.0.0/0")]
    );
}

#[test]
fn typ_05_range_errors_and_contains() {
    assert_eq!(
        kind::<IpRange>("10.0.0.6-10.0.0.1"),
        ParseErrorKind::RangeOrder
    );
    assert_eq!(
        kind::<IpRange>("10.0.0.1-::1"),
        ParseErrorKind::FamilyMismatch
    );
    assert_eq!(kind::<IpRange>("10.0.0.1"), ParseErrorKind::BadRange);
    assert_eq!(
        kind::<IpRange>("10.0.0.1 - 10.0.0.2"),
        ParseErrorKind::BadAddress
    );
    assert_eq!(
        kind::<IpRange>("10.0.0.1-10.0.0.2-10.0.0.3"),
        ParseErrorKind::BadAddress
    );
    let err = IpRange::new("::2".parse().unwrap(), "::1".parse().unwrap()).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::RangeOrder);
    assert_eq!(err.target, ParseTarget::Range);
    let r: IpRange = "2001:db8::-2001:db8::ff".parse().unwrap();
    assert!(r.contains("2001:db8::80".parse().unwrap()));
    assert!(!r.contains("2001:db8::100".parse().unwrap()));
    assert!(!r.contains("10.0.0.1".parse().unwrap()));
    let single: IpRange = "10.0.0.1-10.0.0.1".parse().unwrap();
    assert_eq!(single.to_prefixes(), [prefix!("10.0.0.1/32")]);
}

// ---- TYP-06 -----------------------------------------------------------------------------------

const NET: Prefix = prefix!("10.0.0.0/8");
const NET6: Prefix = prefix!("2001:db8::/32");
const ADDR: IfAddr = ifaddr!("10.0.0.5/24");
const ADDR6: IfAddr = ifaddr!("::ffff:10.0.0.5/120");
const GW_MAC: Mac = mac!("02-AA-bb-cc-dd-ee");
const NAME: IfName = ifname!("veth-a.100");

#[test]
fn typ_06_literals_are_constants() {
    assert_eq!(NET, "10.0.0.0/8".parse().unwrap());
    assert_eq!(NET6, "2001:db8::/32".parse().unwrap());
    assert_eq!(ADDR, "10.0.0.5/24".parse().unwrap());
    assert_eq!(ADDR6, "::ffff:10.0.0.5/120".parse().unwrap());
    assert!(ADDR6.is_ipv6());
    assert_eq!(GW_MAC, "02:aa:bb:cc:dd:ee".parse().unwrap());
    assert_eq!(NAME, "veth-a.100".parse::<IfName>().unwrap());
    // Usable in further const computations.
    const LEN: u8 = NET.len();
    const IN: bool = NET.contains(ADDR.addr());
    assert_eq!(LEN, 8);
    const { assert!(IN) };
    let _trailing_comma = prefix!("::/0",);
}

#[test]
fn typ_06_const_parser_matches_runtime_examples() {
    for s in [
        "10.0.0.0/24",
        "10.0.0.1/24",
        "10.0.0.0/33",
        "::/0",
        "10.0.0.0",
        "bogus",
        "",
        "/",
        "1.2.3.4/024",
        "::ffff:1.2.3.4/128",
        "fe80::%1/64",
        "1:2:3:4:5:6:7:8/128",
        "1:2:3:4:5:6:7::/112",
        "::1:2:3:4:5:6:7/128",
        "1::2::3/0",
    ] {
        assert_eq!(
            constparse::prefix(s),
            s.parse::<Prefix>().map_err(|e| e.kind),
            "{s}"
        );
        assert_eq!(
            constparse::if_addr(s),
            s.parse::<IfAddr>().map_err(|e| e.kind),
            "{s}"
        );
    }
}

// ---- TYP-07 -----------------------------------------------------------------------------------

#[test]
fn typ_07_scenario_6_mac_forms() {
    let a: Mac = "02:AA:bb:cc:dd:ee".parse().unwrap();
    let b: Mac = "02-aa-bb-cc-dd-ee".parse().unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_string(), "02:aa:bb:cc:dd:ee");
    assert_eq!(b.to_string(), "02:aa:bb:cc:dd:ee");
    assert_eq!(format!("{a:?}"), "mac!(\"02:aa:bb:cc:dd:ee\")");
    for bad in [
        "02:aa:bb:cc:dd",
        "02:aa:bb:cc:dd:eee",
        "02:aa:bb:cc:dd:ee:",
        "02:aa:bb:cc:dd:e",
        "2:aa:bb:cc:dd:ee",
        "02:aa-bb:cc:dd:ee",
        "02.aa.bb.cc.dd.ee",
        "02aabbccddee",
        "02:aa:bb:cc:dd:gg",
        "",
        "+2:aa:bb:cc:dd:ee",
        "02:aa:bb:cc:dd:é",
    ] {
        let err = bad.parse::<Mac>().unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::BadMac, "{bad}");
        assert_eq!(err.target, ParseTarget::Mac);
    }
}

#[test]
fn typ_07_mac_bits_and_wire() {
    assert!(Mac::BROADCAST.is_multicast() && Mac::BROADCAST.is_broadcast());
    assert_eq!(Mac::BROADCAST.to_string(), "ff:ff:ff:ff:ff:ff");
    assert!(mac!("01:00:5e:00:00:fb").is_multicast());
    assert!(!mac!("01:00:5e:00:00:fb").is_unicast());
    assert!(mac!("00:16:3e:00:00:01").is_unicast());
    assert!(!mac!("00:16:3e:00:00:01").is_local());
    assert!(mac!("02:00:00:00:00:01").is_local());
    let m = mac!("02:aa:bb:cc:dd:ee");
    assert_eq!(Mac::from_bytes(&m.octets()), Some(m));
    assert_eq!(Mac::from_bytes(&[1, 2, 3]), None);
    assert_eq!(<[u8; 6]>::from(m), m.0);
}

// ---- TYP-08 -----------------------------------------------------------------------------------

#[test]
fn typ_08_from_seed_stable_local_unicast() {
    let m = Mac::from_seed(b"veth0");
    // Golden value: the derivation (FNV-1a 64 + fmix64) is part of the API.
    assert_eq!(m, mac!("8e:71:30:9f:43:19"));
    assert_eq!(Mac::from_seed(b""), mac!("ee:d0:1f:60:ba:99"));
    assert!(m.is_local() && m.is_unicast());
    let mut seen = std::collections::HashSet::new();
    for i in 0..1000 {
        let m = Mac::from_seed(format!("veth{i}").as_bytes());
        assert!(m.is_local() && m.is_unicast());
        seen.insert(m);
    }
    assert_eq!(seen.len(), 1000);
    const C: Mac = Mac::from_seed(b"br0");
    assert_eq!(C, Mac::from_seed(b"br0"));
    let r = Mac::random().unwrap();
    assert!(r.is_local() && r.is_unicast());
}

// ---- TYP-09 -----------------------------------------------------------------------------------

#[test]
fn typ_09_ifname_rules() {
    for ok in [
        "eth0",
        "a",
        "123456789012345",
        "veth-a_b.1",
        "wlp0s20f3",
        "é",
        "...",
    ] {
        assert_eq!(ok.parse::<IfName>().unwrap().as_str(), ok);
    }
    let reason = |s: &str| match kind::<IfName>(s) {
        ParseErrorKind::BadIfName(r) => r,
        k => panic!("{k:?}"),
    };
    assert_eq!(reason(""), IfNameReason::Empty);
    assert_eq!(
        reason("1234567890123456"),
        IfNameReason::TooLong { len: 16 }
    );
    assert_eq!(reason("."), IfNameReason::Reserved);
    assert_eq!(reason(".."), IfNameReason::Reserved);
    assert_eq!(reason("eth/0"), IfNameReason::InvalidByte(b'/'));
    assert_eq!(reason("eth:0"), IfNameReason::InvalidByte(b':'));
    assert_eq!(reason("eth 0"), IfNameReason::InvalidByte(b' '));
    assert_eq!(reason("eth\t0"), IfNameReason::InvalidByte(b'\t'));
    assert_eq!(reason("eth\x0b0"), IfNameReason::InvalidByte(0x0b));
    assert_eq!(reason("eth\n"), IfNameReason::InvalidByte(b'\n'));
    assert_eq!(reason("eth\0"), IfNameReason::InvalidByte(0));
    // U+00A0 is C2 A0 in UTF-8; the kernel's isspace() refuses the byte 0xa0.
    assert_eq!(reason("eth\u{a0}"), IfNameReason::InvalidByte(0xa0));
    // 15 bytes but more characters than that would allow is fine; 16 bytes of UTF-8 is not.
    assert_eq!(reason("ééééééééx"), IfNameReason::TooLong { len: 17 });
}

#[test]
fn typ_09_scenario_7_ifname_wire() {
    let n = IfName::new("eth0").unwrap();
    let w = n.to_wire();
    assert_eq!(&w, b"eth0\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(w.len(), types::IFNAMSIZ);
    assert_eq!(IfName::from_wire(&w).unwrap(), n);
    assert_eq!(IfName::from_wire(b"eth0").unwrap(), n);
    assert_eq!(IfName::from_wire(b"eth0\0").unwrap(), n);
    let full = IfName::new("123456789012345").unwrap();
    assert_eq!(IfName::from_wire(&full.to_wire()).unwrap(), full);
    assert_eq!(full.to_wire()[15], 0);
    let bad = |b: &[u8]| IfName::from_wire(b).unwrap_err().kind;
    assert_eq!(bad(b""), ParseErrorKind::BadIfName(IfNameReason::Empty));
    assert_eq!(
        bad(&[0; 16]),
        ParseErrorKind::BadIfName(IfNameReason::Empty)
    );
    assert_eq!(
        bad(b"eth\x000\0"),
        ParseErrorKind::BadIfName(IfNameReason::InvalidByte(0))
    );
    assert_eq!(
        bad(b"1234567890123456"),
        ParseErrorKind::BadIfName(IfNameReason::TooLong { len: 16 })
    );
    assert_eq!(
        bad(b"\xff\xfe"),
        ParseErrorKind::BadIfName(IfNameReason::NotUtf8)
    );
    assert_eq!(format!("{n:?}"), "ifname!(\"eth0\")");
    assert_eq!(n, "eth0");
}

// ---- TYP-10 -----------------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn typ_10_serde_string_forms() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Cfg {
        net: Prefix,
        addr: IfAddr,
        range: IpRange,
        mac: Mac,
        name: IfName,
        v4: Ipv4Prefix,
        v6: Ipv6Prefix,
    }
    let c = Cfg {
        net: NET,
        addr: ADDR,
        range: "10.0.0.1-10.0.0.6".parse().unwrap(),
        mac: GW_MAC,
        name: NAME,
        v4: "10.0.0.0/8".parse().unwrap(),
        v6: "fc00::/7".parse().unwrap(),
    };
    let j = serde_json::to_string(&c).unwrap();
    assert_eq!(
        j,
        r#"{"net":"10.0.0.0/8","addr":"10.0.0.5/24","range":"10.0.0.1-10.0.0.6","mac":"02:aa:bb:cc:dd:ee","name":"veth-a.100","v4":"10.0.0.0/8","v6":"fc00::/7"}"#
    );
    assert_eq!(serde_json::from_str::<Cfg>(&j).unwrap(), c);
    let err = serde_json::from_str::<Prefix>(r#""10.0.0.1/24""#).unwrap_err();
    assert!(err.to_string().contains("host bits set"), "{err}");
    assert!(serde_json::from_str::<Mac>("42").is_err());
}

#[cfg(feature = "ipnet")]
#[test]
fn typ_10_ipnet_conversions() {
    use ipnet::{IpNet, Ipv4Net, Ipv6Net};
    let n: IpNet = NET.into();
    assert_eq!(n.to_string(), "10.0.0.0/8");
    assert_eq!(Prefix::try_from(n).unwrap(), NET);
    let host_bits: IpNet = "10.0.0.5/24".parse().unwrap();
    let err = Prefix::try_from(host_bits).unwrap_err();
    assert_eq!(err.suggestion(), Some(prefix!("10.0.0.0/24")));
    assert_eq!(IfAddr::from(host_bits), ADDR);
    assert_eq!(IpNet::from(ADDR), host_bits);
    let v4: Ipv4Net = "192.168.0.0/16".parse().unwrap();
    assert_eq!(
        Ipv4Prefix::try_from(v4).unwrap().to_string(),
        "192.168.0.0/16"
    );
    assert_eq!(Ipv4Net::from(Ipv4Prefix::try_from(v4).unwrap()), v4);
    let v6: Ipv6Net = "2001:db8::1/64".parse().unwrap();
    assert!(Ipv6Prefix::try_from(v6).is_err());
    assert_eq!(Ipv6Net::from(Ipv6IfAddr::from(v6)), v6);
    assert_eq!(
        Ipv6Net::from("2001:db8::/64".parse::<Ipv6Prefix>().unwrap()),
        v6.trunc()
    );
}

// ---- TYP-11 -----------------------------------------------------------------------------------

#[test]
fn typ_11_error_display_quotes_input() {
    let e = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"invalid prefix "10.0.0.1/24": host bits set (did you mean 10.0.0.0/24?)"#
    );
    let e = "10.0.0.0/33".parse::<Prefix>().unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"invalid prefix "10.0.0.0/33": the prefix length must be a decimal number from 0 to 32"#
    );
    let e = "zz:00:00:00:00:00".parse::<Mac>().unwrap_err();
    assert!(
        e.to_string()
            .starts_with(r#"invalid MAC address "zz:00:00:00:00:00": "#)
    );
    let e = "a\nb".parse::<IfName>().unwrap_err();
    assert_eq!(e.target, ParseTarget::IfName);
    assert!(
        e.to_string()
            .starts_with(r#"invalid interface name "a\nb": "#),
        "{e}"
    );
    let e = "1.2.3.4-::1".parse::<IpRange>().unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"invalid address range "1.2.3.4-::1": address family mismatch"#
    );
    let e = "10.0.0.5".parse::<IfAddr>().unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"invalid interface address "10.0.0.5": missing "/LENGTH""#
    );
    fn assert_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    assert_error(&e);
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn typ_11_debug_literal_forms() {
    assert_eq!(format!("{NET:?}"), r#"prefix!("10.0.0.0/8")"#);
    assert_eq!(format!("{ADDR:?}"), r#"ifaddr!("10.0.0.5/24")"#);
    assert_eq!(format!("{NAME:?}"), r#"ifname!("veth-a.100")"#);
    let r: IpRange = "10.0.0.1-10.0.0.6".parse().unwrap();
    assert_eq!(format!("{r:?}"), "IpRange(10.0.0.1-10.0.0.6)");
}
