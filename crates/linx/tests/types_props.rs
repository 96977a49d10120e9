//! types.md scenario 5 and TYP-06 as property tests: round trips, prefix laws, aggregate and
//! range decomposition checked by brute force, const parsers agreeing with std's, no panics.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use linx::types::{IfAddr, IfName, IpRange, Ipv4Prefix, Ipv6Prefix, Mac, Prefix, constparse, wire};
use proptest::prelude::*;

// ---- strategies -------------------------------------------------------------------------------

fn any_v4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from_bits)
}

/// IPv6 addresses with many zero groups, so that `::` compression and embedded forms show up.
fn any_v6() -> impl Strategy<Value = Ipv6Addr> {
    prop::array::uniform8(prop_oneof![3 => Just(0u16), 1 => Just(0xffff), 4 => any::<u16>()])
        .prop_map(|g| Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]))
}

fn any_prefix() -> impl Strategy<Value = Prefix> {
    prop_oneof![
        (any_v4(), 0u8..=32).prop_map(|(a, l)| Prefix::new_truncating(a.into(), l).unwrap()),
        (any_v6(), 0u8..=128).prop_map(|(a, l)| Prefix::new_truncating(a.into(), l).unwrap()),
    ]
}

fn any_ifaddr() -> impl Strategy<Value = IfAddr> {
    prop_oneof![
        (any_v4(), 0u8..=32).prop_map(|(a, l)| IfAddr::new(a.into(), l).unwrap()),
        (any_v6(), 0u8..=128).prop_map(|(a, l)| IfAddr::new(a.into(), l).unwrap()),
    ]
}

fn any_range() -> impl Strategy<Value = IpRange> {
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            IpRange::new(Ipv4Addr::from_bits(a).into(), Ipv4Addr::from_bits(b).into()).unwrap()
        }),
        (any_v6(), any_v6()).prop_map(|(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            IpRange::new(a.into(), b.into()).unwrap()
        }),
    ]
}

fn any_ifname() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.@é-]{1,7}".prop_filter("reserved or too long", |s| {
        s != "." && s != ".." && s.len() <= 15
    })
}

/// A hex group as written by people: 1–5 digits, either case, leading zeros.
fn hex_group() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<u16>().prop_map(|g| format!("{g:x}")),
        1 => any::<u16>().prop_map(|g| format!("{g:04X}")),
        1 => any::<u16>().prop_map(|g| format!("{g:05x}")),
        1 => "[0-9a-fA-F]{1,5}",
        1 => Just(String::new()),
    ]
}

/// A dotted quad, sometimes with leading zeros, out-of-range octets or missing parts.
fn dotted() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any_v4().prop_map(|a| a.to_string()),
        1 => prop::collection::vec(
            prop_oneof![Just("0".to_string()), Just("00".into()), Just("01".into()), Just("255".into()), Just("256".into()), Just("1000".into()), (0u16..300).prop_map(|n| n.to_string())],
            1..6
        ).prop_map(|v| v.join(".")),
    ]
}

/// Valid and near-valid IPv6 text: eight groups, an optional `::` replacing a random run, an
/// optional dotted tail, then optional small mutations.
fn ipv6_like() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(hex_group(), 1..10),
        prop::option::of((0usize..10, 0usize..10)),
        prop::option::of(dotted()),
        prop::collection::vec(
            (
                0usize..48,
                prop::sample::select(vec![":", "::", ".", "%eth0", "g", "0", "1", "/", ""]),
            ),
            0..3,
        ),
        prop::collection::vec(0usize..48, 0..2),
    )
        .prop_map(|(mut groups, compress, tail, inserts, deletes)| {
            if let Some(t) = tail {
                groups.truncate(groups.len().saturating_sub(2).max(1));
                groups.push(t);
            }
            let mut s = match compress {
                Some((a, b)) => {
                    let a = a.min(groups.len());
                    let b = b.clamp(a, groups.len());
                    format!("{}::{}", groups[..a].join(":"), groups[b..].join(":"))
                }
                None => groups.join(":"),
            };
            for (pos, ins) in inserts {
                let pos = pos.min(s.len());
                if s.is_char_boundary(pos) {
                    s.insert_str(pos, ins);
                }
            }
            for pos in deletes {
                if pos < s.len() && s.is_char_boundary(pos) && s.is_char_boundary(pos + 1) {
                    s.remove(pos);
                }
            }
            s
        })
}

/// Tokens glued together: a denser search of the grammar's corners.
fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "0", "00", "1", "01", "12", "255", "256", "ffff", "FFFF", "fffff", "1.2.3.4", ":",
            "::", ".", "/", "%", "a", "g", " ", "-", "+", "0x",
        ]),
        0..14,
    )
    .prop_map(|v| v.concat())
}

fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any_v4().prop_map(|a| a.to_string()),
        2 => any_v6().prop_map(|a| a.to_string()),
        2 => dotted(),
        6 => ipv6_like(),
        4 => token_soup(),
        1 => "[0-9a-fA-F:.]{0,40}",
        1 => ".{0,20}",
    ]
}

fn len_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u16..=140).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["", "00", "01", "024", "+1", "-0", "1a", " 8", "999", "0x8", "128", "129", "32", "33", "/8"]).prop_map(String::from),
    ]
}

fn prefix_like() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (address_like(), len_like()).prop_map(|(a, l)| format!("{a}/{l}")),
        1 => address_like(),
        1 => any_prefix().prop_map(|p| p.to_string()),
    ]
}

// ---- round trips (scenario 5) -----------------------------------------------------------------

proptest! {
    #[test]
    fn typ_02_prop_prefix_roundtrip(p in any_prefix()) {
        let s = p.to_string();
        prop_assert_eq!(s.parse::<Prefix>().unwrap(), p);
        prop_assert_eq!(constparse::prefix(&s), Ok(p));
        match p {
            Prefix::V4(v4) => prop_assert_eq!(s.parse::<Ipv4Prefix>().unwrap(), v4),
            Prefix::V6(v6) => prop_assert_eq!(s.parse::<Ipv6Prefix>().unwrap(), v6),
        }
    }

    #[test]
    fn typ_03_prop_ifaddr_roundtrip(a in any_ifaddr()) {
        let s = a.to_string();
        prop_assert_eq!(s.parse::<IfAddr>().unwrap(), a);
        prop_assert_eq!(constparse::if_addr(&s), Ok(a));
        // network() is idempotent and contains the address.
        let n = a.network();
        prop_assert_eq!(n.network(), n);
        prop_assert!(n.contains(a.addr()));
        prop_assert_eq!(n.len(), a.len());
        prop_assert_eq!(a.broadcast(), n.broadcast());
    }

    #[test]
    fn typ_05_prop_range_roundtrip(r in any_range()) {
        prop_assert_eq!(r.to_string().parse::<IpRange>().unwrap(), r);
    }

    #[test]
    fn typ_07_prop_mac_roundtrip(b in any::<[u8; 6]>(), upper in any::<bool>(), dash in any::<bool>()) {
        let m = Mac(b);
        prop_assert_eq!(m.to_string().parse::<Mac>().unwrap(), m);
        let mut s = m.to_string();
        if upper { s = s.to_uppercase(); }
        if dash { s = s.replace(':', "-"); }
        prop_assert_eq!(s.parse::<Mac>().unwrap(), m);
        prop_assert_eq!(Mac::from_bytes(&m.octets()), Some(m));
    }

    #[test]
    fn typ_08_prop_from_seed_local_unicast(seed in prop::collection::vec(any::<u8>(), 0..64)) {
        let m = Mac::from_seed(&seed);
        prop_assert!(m.is_local() && m.is_unicast());
        prop_assert_eq!(m, Mac::from_seed(&seed));
    }

    #[test]
    fn typ_09_prop_ifname_roundtrip(s in any_ifname()) {
        let n: IfName = s.parse().unwrap();
        prop_assert_eq!(n.to_string().parse::<IfName>().unwrap(), n);
        prop_assert_eq!(IfName::from_wire(&n.to_wire()).unwrap(), n);
        prop_assert_eq!(n.as_str(), s.as_str());
    }

    #[test]
    fn typ_01_prop_wire_roundtrip(a in any_v4(), b in any_v6()) {
        prop_assert_eq!(wire::ipv4_from_bytes(&wire::ipv4_to_bytes(a)), Some(a));
        prop_assert_eq!(wire::ipv6_from_bytes(&wire::ipv6_to_bytes(b)), Some(b));
        prop_assert_eq!(wire::ip_from_bytes(&wire::ip_to_bytes(a.into())), Some(a.into()));
        prop_assert_eq!(wire::ip_from_bytes(&wire::ip_to_bytes(b.into())), Some(b.into()));
    }
}

// ---- prefix laws (TYP-04) ---------------------------------------------------------------------

proptest! {
    #[test]
    fn typ_04_prop_contains_first_last(p in any_prefix()) {
        prop_assert!(p.contains(p.first()));
        prop_assert!(p.contains(p.last()));
        prop_assert_eq!(p.network(), p);
        prop_assert_eq!(p.network().network(), p.network());
        prop_assert_eq!(IpRange::from(p).to_prefixes(), vec![p]);
        if let Some(s) = p.supernet() {
            prop_assert!(s.contains_prefix(&p));
            prop_assert_eq!(s.len() + 1, p.len());
        }
        let mut hosts = p.hosts();
        if let Some(h) = hosts.next() { prop_assert!(p.contains(h)); }
        if let Some(h) = hosts.next_back() { prop_assert!(p.contains(h)); }
        if p.len() < p.max_len() {
            let mut subs = p.subnets(p.len() + 1).unwrap();
            let (a, b) = (subs.next().unwrap(), subs.next().unwrap());
            prop_assert_eq!(subs.next(), None);
            prop_assert_eq!(a.first(), p.first());
            prop_assert_eq!(b.last(), p.last());
            prop_assert_eq!(a.supernet(), Some(p));
            prop_assert_eq!(b.supernet(), Some(p));
        }
    }

    #[test]
    fn typ_04_prop_contains_across_families_false(p in any_prefix(), a in any_v4(), b in any_v6()) {
        let other: IpAddr = if p.is_ipv4() { b.into() } else { a.into() };
        prop_assert!(!p.contains(other));
        // Not even the IPv4-mapped form of an IPv4 address.
        if p.is_ipv4() {
            prop_assert!(!p.contains(IpAddr::V6(a.to_ipv6_mapped())));
        }
        let other_p = if p.is_ipv4() { Prefix::from_addr(b.into()) } else { Prefix::from_addr(a.into()) };
        prop_assert!(!p.contains_prefix(&other_p));
        prop_assert!(!IpRange::from(p).contains(other));
    }

    #[test]
    fn typ_04_prop_ordering_family_addr_len(a in any_prefix(), b in any_prefix()) {
        let key = |p: &Prefix| (p.is_ipv6(), match p.addr() { IpAddr::V4(x) => u128::from(x.to_bits()), IpAddr::V6(x) => x.to_bits() }, p.len());
        prop_assert_eq!(a.cmp(&b), key(&a).cmp(&key(&b)));
    }

    #[test]
    fn typ_04_prop_hosts_brute_force(off in 0u32..256, len in 24u8..=32) {
        let p = Ipv4Prefix::new_truncating(Ipv4Addr::new(10, 0, 0, off as u8), len).unwrap();
        let hosts: Vec<Ipv4Addr> = p.hosts().collect();
        let all: Vec<Ipv4Addr> = (p.first().to_bits()..=p.last().to_bits()).map(Ipv4Addr::from_bits).collect();
        let expected: Vec<Ipv4Addr> = if len <= 30 { all[1..all.len() - 1].to_vec() } else { all };
        prop_assert_eq!(p.hosts().size_hint(), (expected.len(), Some(expected.len())));
        prop_assert_eq!(hosts, expected.clone());
        let mut rev: Vec<Ipv4Addr> = p.hosts().rev().collect();
        rev.reverse();
        prop_assert_eq!(rev, expected.clone());
        for n in 0..expected.len() + 2 {
            prop_assert_eq!(p.hosts().nth(n), expected.get(n).copied());
        }
    }
}

/// Brute-force membership over 10.0.0.0/24.
fn covered(prefixes: &[Ipv4Prefix]) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for x in 0u32..256 {
        let a = Ipv4Addr::from_bits(0x0a00_0000 | x);
        if prefixes.iter().any(|p| p.contains(a)) {
            set.insert(x);
        }
    }
    set
}

proptest! {
    #[test]
    fn typ_04_prop_aggregate_covers_exactly(
        items in prop::collection::vec((0u32..256, 24u8..=32), 0..12)
    ) {
        let input: Vec<Ipv4Prefix> = items
            .iter()
            .map(|&(x, l)| Ipv4Prefix::new_truncating(Ipv4Addr::from_bits(0x0a00_0000 | x), l).unwrap())
            .collect();
        let out = Ipv4Prefix::aggregate(&input);
        prop_assert_eq!(covered(&out), covered(&input));
        // Sorted, disjoint, and no two siblings or adjacent equal-size blocks left to merge.
        for w in out.windows(2) {
            prop_assert!(w[0].last() < w[1].first());
            if w[0].len() == w[1].len() {
                prop_assert!(w[0].supernet() != w[1].supernet());
            }
        }
        // Minimal: the union's own range decomposition has exactly as many prefixes.
        let mut expected = 0;
        let set = covered(&input);
        let mut iter = set.iter().peekable();
        while let Some(&start) = iter.next() {
            let mut end = start;
            while iter.peek() == Some(&&(end + 1)) { end = *iter.next().unwrap(); }
            let r = IpRange::new(
                Ipv4Addr::from_bits(0x0a00_0000 | start).into(),
                Ipv4Addr::from_bits(0x0a00_0000 | end).into(),
            ).unwrap();
            expected += r.to_prefixes().len();
        }
        prop_assert_eq!(out.len(), expected);
        // Via the enum, too.
        let via_enum: Vec<Prefix> = Prefix::aggregate(&input.iter().map(|p| Prefix::V4(*p)).collect::<Vec<_>>());
        prop_assert_eq!(via_enum, out.iter().map(|p| Prefix::V4(*p)).collect::<Vec<_>>());
    }

    #[test]
    fn typ_05_prop_to_prefixes_covers_exactly_small(a in 0u32..256, b in 0u32..256) {
        let (a, b) = (a.min(b), a.max(b));
        let r = IpRange::new(
            Ipv4Addr::from_bits(0x0a00_0000 | a).into(),
            Ipv4Addr::from_bits(0x0a00_0000 | b).into(),
        ).unwrap();
        let list: Vec<Ipv4Prefix> = r.to_prefixes().into_iter().map(|p| Ipv4Prefix::try_from(p).unwrap()).collect();
        prop_assert_eq!(covered(&list), (a..=b).collect::<BTreeSet<_>>());
        for x in 0u32..256 {
            prop_assert_eq!(r.contains(Ipv4Addr::from_bits(0x0a00_0000 | x).into()), (a..=b).contains(&x));
        }
    }

    #[test]
    fn typ_05_prop_to_prefixes_contiguous_any_size(r in any_range()) {
        let list = r.to_prefixes();
        prop_assert!(!list.is_empty());
        let max = if r.first().is_ipv4() { 32 } else { 128 };
        prop_assert!(list.len() <= 2 * max);
        prop_assert_eq!(list[0].first(), r.first());
        prop_assert_eq!(list[list.len() - 1].last(), r.last());
        let bits = |a: IpAddr| match a { IpAddr::V4(x) => u128::from(x.to_bits()), IpAddr::V6(x) => x.to_bits() };
        for w in list.windows(2) {
            prop_assert_eq!(bits(w[0].last()) + 1, bits(w[1].first()));
            // Maximal: two equal-size neighbours never form one aligned block.
            if w[0].len() == w[1].len() {
                prop_assert!(w[0].supernet() != w[1].supernet());
            }
        }
        // The aggregate of the decomposition is itself.
        prop_assert_eq!(Prefix::aggregate(&list), list);
    }
}

// ---- const parsers agree with std / runtime (TYP-06) ------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn typ_06_prop_const_ip_parsers_agree_with_std(s in address_like()) {
        prop_assert_eq!(constparse::ipv4(&s), s.parse::<Ipv4Addr>().ok(), "ipv4 {:?}", s);
        prop_assert_eq!(constparse::ipv6(&s), s.parse::<Ipv6Addr>().ok(), "ipv6 {:?}", s);
        prop_assert_eq!(constparse::ip(&s), s.parse::<IpAddr>().ok(), "ip {:?}", s);
    }

    #[test]
    fn typ_06_prop_const_prefix_parsers_agree_with_runtime(s in prefix_like()) {
        prop_assert_eq!(constparse::prefix(&s), s.parse::<Prefix>().map_err(|e| e.kind), "prefix {:?}", s);
        prop_assert_eq!(constparse::if_addr(&s), s.parse::<IfAddr>().map_err(|e| e.kind), "ifaddr {:?}", s);
    }

    #[test]
    fn typ_06_prop_const_parses_std_display(a in any_v6(), b in any_v4()) {
        // std's RFC 5952 output, the fully expanded form and the embedded-IPv4 form all parse.
        prop_assert_eq!(constparse::ipv6(&a.to_string()), Some(a));
        let full = a.segments().iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":");
        prop_assert_eq!(constparse::ipv6(&full), Some(a));
        let mapped = b.to_ipv6_mapped();
        prop_assert_eq!(constparse::ipv6(&format!("::ffff:{b}")), Some(mapped));
        let s = a.segments();
        let embedded = format!("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{}", s[0], s[1], s[2], s[3], s[4], s[5], b);
        prop_assert_eq!(constparse::ipv6(&embedded), embedded.parse::<Ipv6Addr>().ok());
        prop_assert!(constparse::ipv6(&embedded).is_some());
        prop_assert_eq!(constparse::ipv4(&b.to_string()), Some(b));
    }
}

// ---- no parser panics (TYP-11, section 4) ------------------------------------------------------

fn exercise_all(s: &str) {
    let _ = s.parse::<Prefix>();
    let _ = s.parse::<Ipv4Prefix>();
    let _ = s.parse::<Ipv6Prefix>();
    let _ = s.parse::<IfAddr>();
    let _ = s.parse::<linx::types::Ipv4IfAddr>();
    let _ = s.parse::<linx::types::Ipv6IfAddr>();
    let _ = s.parse::<IpRange>();
    let _ = s.parse::<Mac>();
    let _ = s.parse::<IfName>();
    let _ = constparse::prefix(s);
    let _ = constparse::if_addr(s);
    let _ = constparse::mac(s);
    let _ = constparse::if_name(s);
    let _ = constparse::ip(s);
    if let Err(e) = s.parse::<Prefix>() {
        let _ = e.to_string();
    }
}

proptest! {
    #[test]
    fn typ_11_prop_no_parser_panics(s in prop_oneof![".*", prefix_like(), "[0-9a-fA-F:.%/ -]{0,60}"]) {
        exercise_all(&s);
    }

    #[test]
    fn typ_11_prop_no_decoder_panics(b in prop::collection::vec(any::<u8>(), 0..40)) {
        let _ = wire::ip_from_bytes(&b);
        let _ = wire::ipv4_from_bytes(&b);
        let _ = wire::ipv6_from_bytes(&b);
        let _ = Mac::from_bytes(&b);
        let _ = IfName::from_wire(&b);
        let _ = constparse::ip_bytes(&b);
        let _ = constparse::if_name_bytes(&b);
        let _ = Mac::from_seed(&b);
    }
}
