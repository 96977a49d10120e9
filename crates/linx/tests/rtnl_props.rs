//! Unit tier: property tests of the rtnetlink codecs — no decoder panics on any input, and
//! encode → decode round trips (spec scenario 4; RT-02, RT-13, RT-20, RT-24, RT-31, RT-33, RT-34, RT-35).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use linx::netlink::wire::{self, MsgBuilder, RawAttr, flags};
use linx::rtnl::kinds::{
    Bond, BondMode, Bridge, Geneve, Gre, IpTunnel, Ipvlan, IpvlanFlag, IpvlanMode, KindResolved,
    LinkKind, Macvlan, MacvlanMode, TunnelProto, Vlan, VlanProtocol, Vrf, Vxlan,
};
use linx::rtnl::monitor::decode_event;
use linx::rtnl::nexthop::GroupMember;
use linx::rtnl::stats::{AfStats, Xstats, bond_xstats, bridge_xstats};
use linx::rtnl::{
    Address, AddressSpec, HopSpec, Link, Link64, LinkStats, NeighSpec, Neighbour, Nexthop,
    NexthopSpec, NudState, Route, RouteSpec, Rule, RuleSpec,
};
use linx::types::{IfAddr, Prefix};
use proptest::prelude::*;

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
    ]
}

fn v4() -> impl Strategy<Value = IpAddr> {
    any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v)))
}

fn prefix4() -> impl Strategy<Value = Prefix> {
    (any::<u32>(), 0u8..=32)
        .prop_map(|(a, l)| Prefix::new_truncating(IpAddr::V4(Ipv4Addr::from(a)), l).unwrap())
}

/// A message body: a header of `hlen` arbitrary bytes, then arbitrary attributes (some nested).
fn body(hlen: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), hlen),
        proptest::collection::vec(
            (
                0u16..40,
                any::<bool>(),
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
            0..12,
        ),
    )
        .prop_map(|(h, attrs)| {
            let mut b = MsgBuilder::new(16, 0);
            b.push_header(&h);
            for (t, nested, p) in attrs {
                if nested {
                    let n = b.begin_nested(t);
                    b.attr(t.wrapping_add(1), &p);
                    b.end_nested(n);
                } else {
                    b.attr(t, &p);
                }
            }
            let bytes = b.finish().unwrap();
            bytes[16..].to_vec()
        })
}

fn decode_all(p: &[u8]) {
    let _ = Link::decode(p);
    let _ = Address::decode(p);
    let _ = Route::decode(p);
    let _ = Neighbour::decode(p);
    let _ = Rule::decode(p);
    let _ = Nexthop::decode(p);
    let _ = LinkStats::decode(p);
    let _ = Link64::decode(p);
    // The extended and per-family statistics decoders, on the bytes as one entry's payload.
    for t in [1u16, 2, 3, 28] {
        let a = RawAttr {
            raw_type: t,
            payload: p.to_vec(),
        };
        let _ = (Xstats::decode(&a), AfStats::decode(&a));
    }
    for t in [16u16, 17, 20, 21, 24, 25, 28, 29, 32, 33, 88, 92, 104, 105] {
        let _ = decode_event(t, p);
    }
    let attrs: Vec<RawAttr> = wire::attrs(p)
        .flatten()
        .map(|a| RawAttr::from_attr(&a))
        .collect();
    for kind in [
        "veth",
        "bridge",
        "dummy",
        "macvlan",
        "macvtap",
        "ipvlan",
        "ipvtap",
        "vlan",
        "vxlan",
        "bond",
        "vrf",
        "tun",
        "gre",
        "gretap",
        "ip6gre",
        "ip6gretap",
        "ipip",
        "sit",
        "ip6tnl",
        "geneve",
        "wireguard",
        "macsec",
    ] {
        let k = LinkKind::decode(kind, &attrs);
        let mut b = MsgBuilder::new(16, 0);
        k.encode_data(&mut b, &KindResolved::default());
        let _ = b.finish();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rtnl_decoders_never_panic_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        decode_all(&data);
    }

    #[test]
    fn rtnl_decoders_never_panic_on_structured_messages(
        h8 in body(8), h12 in body(12), h16 in body(16)
    ) {
        decode_all(&h8);
        decode_all(&h12);
        decode_all(&h16);
    }

    #[test]
    fn rt_24_route_spec_round_trips(
        dst in prefix4(), gw in v4(), table in 1u32.., metric in proptest::option::of(any::<u32>()),
        oif in 1u32..1000, proto in 0u8.., hops in proptest::collection::vec((v4(), 1u16..=256), 0..4)
    ) {
        let mut spec = RouteSpec::new(dst).table(table).oif(oif)
            .protocol(linx::rtnl::RouteProtocol(proto));
        if let Some(m) = metric { spec = spec.metric(m); }
        if hops.is_empty() {
            spec = spec.gateway(gw);
        } else {
            for (g, w) in &hops { spec = spec.hop(HopSpec::via(*g).weight(*w).oif(oif)); }
        }
        let req = spec.request(24, flags::CREATE, None, &[]).unwrap();
        let r = Route::decode(&req.bytes()[16..]).unwrap();
        prop_assert_eq!(r.table, table);
        prop_assert_eq!(r.dst_len, dst.len());
        prop_assert_eq!(r.destination(), Some(dst));
        prop_assert_eq!(r.metric, metric);
        prop_assert_eq!(r.protocol.0, proto);
        prop_assert_eq!(r.oif, Some(oif));
        if hops.is_empty() {
            prop_assert_eq!(r.gateway, Some(gw));
        } else {
            let got: Vec<(Option<IpAddr>, u16)> = r.multipath.iter().map(|h| (h.gateway, h.weight)).collect();
            let want: Vec<(Option<IpAddr>, u16)> = hops.iter().map(|(g, w)| (Some(*g), *w)).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn rt_20_address_spec_round_trips(a in any_ip(), len in 0u8..=128, index in 1u32.., metric in any::<u32>()) {
        let len = if a.is_ipv4() { len % 33 } else { len };
        let spec = AddressSpec::new(index, IfAddr::new(a, len).unwrap()).metric(metric);
        let req = spec.request(20, flags::CREATE, index).unwrap();
        let d = Address::decode(&req.bytes()[16..]).unwrap();
        prop_assert_eq!(d.ip(), Some(a));
        prop_assert_eq!(d.prefix_len, len);
        prop_assert_eq!(d.index, index);
        prop_assert_eq!(d.metric, Some(metric));
    }

    #[test]
    fn rt_31_neigh_spec_round_trips(a in any_ip(), mac in any::<[u8; 6]>(), index in 1u32.., bit in 0u32..8) {
        let state = NudState::from_bits_retain(1 << bit);
        let spec = NeighSpec::new(index, a).lladdr(linx::Mac(mac)).state(state);
        let req = spec.request(28, flags::CREATE, index, None).unwrap();
        let n = Neighbour::decode(&req.bytes()[16..]).unwrap();
        prop_assert_eq!(n.dst, Some(a));
        prop_assert_eq!(n.state, state);
        prop_assert_eq!(n.lladdr.map(|l| l.as_bytes().to_vec()), Some(mac.to_vec()));
    }

    #[test]
    fn rt_33_rule_spec_round_trips(
        src in prefix4(), prio in any::<u32>(), table in 1u32.., mark in any::<u32>(),
        uid in (any::<u32>(), any::<u32>()), ports in (any::<u16>(), any::<u16>())
    ) {
        let (u0, u1) = (uid.0.min(uid.1), uid.0.max(uid.1));
        let (p0, p1) = (ports.0.min(ports.1), ports.0.max(ports.1));
        let spec = RuleSpec::new().from(src).priority(prio).table(table)
            .fwmark(mark, None).uid_range(u0, u1).dport_range(p0, p1);
        let req = spec.request(32, flags::CREATE).unwrap();
        let r = Rule::decode(&req.bytes()[16..]).unwrap();
        prop_assert_eq!(r.priority, Some(prio));
        prop_assert_eq!(r.table, table);
        prop_assert_eq!(r.src_len, src.len());
        prop_assert_eq!(r.fwmark, Some(mark));
        prop_assert_eq!(r.uid_range, Some((u0, u1)));
        prop_assert_eq!(r.dport_range, Some((p0, p1)));
    }

    #[test]
    fn rt_29_nexthop_group_round_trips(members in proptest::collection::vec((1u32.., 1u32..=256), 1..8), id in 1u32..) {
        let members: Vec<GroupMember> = members.into_iter().map(|(id, weight)| GroupMember { id, weight }).collect();
        let req = NexthopSpec::group(id, members.clone()).request(flags::CREATE, None).unwrap();
        let n = Nexthop::decode(&req.bytes()[16..]).unwrap();
        prop_assert_eq!(n.id, id);
        prop_assert_eq!(n.group, members);
    }

    #[test]
    fn rt_34_link64_round_trips(v in proptest::collection::vec(any::<u64>(), 25)) {
        let mut bytes = Vec::new();
        for x in &v { bytes.extend_from_slice(&x.to_ne_bytes()); }
        let s = Link64::decode(&bytes).unwrap();
        prop_assert_eq!(s.encode().to_vec(), bytes.clone());
        prop_assert_eq!(s.rx_otherhost_dropped, Some(v[24]));
        let short = Link64::decode(&bytes[..192]).unwrap();
        prop_assert_eq!(short.rx_otherhost_dropped, None);
    }

    #[test]
    fn rt_07_typed_kinds_round_trip(
        mode in any::<u32>(), imode in any::<u16>(), vid in 1u16..=4094, vni in 0u32..(1 << 24),
        port in any::<u16>(), remote in any_ip(), ttl in any::<u8>(), table in 1u32.., bmode in any::<u8>(),
        miimon in any::<u32>(), ageing in any::<u32>(), stp in any::<bool>()
    ) {
        let mut vx = Vxlan::new(vni, port).remote(remote).ttl(ttl).underlay(3u32);
        vx.learning = Some(stp);
        let mut bond = Bond::mode(BondMode::from_raw(bmode));
        bond.miimon = Some(miimon);
        let mut vrf = Vrf::default();
        vrf.table = Some(table);
        let mut vlan = Vlan::id(vid);
        vlan.protocol = Some(VlanProtocol::from_raw(if stp { 0x88a8 } else { 0x8100 }));
        let mut ipv = Ipvlan::mode(IpvlanMode::from_raw(imode));
        ipv.flag = Some(IpvlanFlag::from_raw(imode % 3));
        let kinds = vec![
            LinkKind::Macvlan(Macvlan::mode(MacvlanMode::from_raw(mode))),
            LinkKind::Ipvlan(ipv),
            LinkKind::Vlan(vlan),
            LinkKind::Vxlan(vx),
            LinkKind::Bridge(Bridge::default().ageing_time(ageing).stp(stp)),
            LinkKind::Bond(bond),
            LinkKind::Vrf(vrf),
        ];
        for k in kinds {
            let mut b = MsgBuilder::new(16, 0);
            k.encode_data(&mut b, &KindResolved::default());
            let bytes = b.finish().unwrap();
            let attrs: Vec<RawAttr> = wire::attrs(&bytes[16..]).map(|a| RawAttr::from_attr(&a.unwrap())).collect();
            prop_assert_eq!(LinkKind::decode(k.kind_name(), &attrs), k);
        }
    }

    #[test]
    fn rt_13_tunnel_kind_data_never_loses_an_attribute(
        kind in proptest::sample::select(vec![
            "gre", "gretap", "ip6gre", "ip6gretap", "ipip", "sit", "ip6tnl", "geneve", "wireguard",
        ]),
        attrs in proptest::collection::vec(
            (
                prop_oneof![0u16..26, any::<u16>()],
                prop_oneof![
                    Just(0usize), Just(1), Just(2), Just(4), Just(16), 0usize..24
                ],
                any::<u8>(),
            ),
            0..14,
        )
    ) {
        // Kernel-shaped data (mostly the right sizes) as well as nonsense: whatever decodes,
        // typed or raw, encodes back to the same attributes.
        let data: Vec<RawAttr> = attrs
            .into_iter()
            .map(|(t, len, fill)| RawAttr { raw_type: t, payload: vec![fill; len] })
            .collect();
        let k = LinkKind::decode(kind, &data);
        let mut b = MsgBuilder::new(16, 0);
        k.encode_data(&mut b, &KindResolved::default());
        let bytes = b.finish().unwrap();
        let mut out: Vec<RawAttr> = wire::attrs(&bytes[16..]).map(|a| RawAttr::from_attr(&a.unwrap())).collect();
        let mut want = data.clone();
        let key = |a: &RawAttr| (a.raw_type, a.payload.clone());
        out.sort_by_key(key);
        want.sort_by_key(key);
        prop_assert_eq!(out, want);
        prop_assert_eq!(k.kind_name(), kind);
    }

    #[test]
    fn rt_13_typed_tunnels_round_trip(
        a4 in any::<u32>(), b4 in any::<u32>(), a6 in any::<u128>(), b6 in any::<u128>(),
        ikey in any::<u32>(), okey in any::<u32>(), ttl in any::<u8>(), tos in any::<u8>(),
        link in any::<u32>(), pmtu in any::<bool>(), proto in any::<u8>(), vni in 0u32..(1 << 24),
        port in any::<u16>(), flags in any::<u16>()
    ) {
        let (l4, r4) = (IpAddr::V4(Ipv4Addr::from(a4)), IpAddr::V4(Ipv4Addr::from(b4)));
        let (l6, r6) = (IpAddr::V6(Ipv6Addr::from(a6)), IpAddr::V6(Ipv6Addr::from(b6)));
        let gre4 = Gre::new().local(l4).remote(r4).ikey(ikey).okey(okey).ttl(ttl).tos(tos)
            .pmtudisc(pmtu).underlay(link);
        let gre6 = Gre::new().local(l6).remote(r6).key(ikey).ttl(ttl).encap_limit(tos).underlay(link);
        let tun4 = IpTunnel::new().local(l4).remote(r4).ttl(ttl).tos(tos)
            .proto(TunnelProto::from_raw(proto)).pmtudisc(pmtu).underlay(link);
        let mut sit = tun4.clone();
        sit.flags = Some(u32::from(flags));
        let mut tun6 = IpTunnel::new().local(l6).remote(r6).ttl(ttl).encap_limit(tos)
            .proto(TunnelProto::from_raw(proto)).underlay(link);
        tun6.flags = Some(u32::from(flags) << 8);
        let kinds = vec![
            LinkKind::Gre(gre4.clone()),
            LinkKind::Gretap(gre4.external()),
            LinkKind::Ip6gre(gre6.clone()),
            LinkKind::Ip6gretap(gre6),
            LinkKind::Ipip(tun4),
            LinkKind::Sit(sit),
            LinkKind::Ip6tnl(tun6.external()),
            LinkKind::Geneve(Geneve::new(vni).remote(if pmtu { r4 } else { r6 }).ttl(ttl).tos(tos).port(port)),
            LinkKind::Wireguard,
        ];
        for k in kinds {
            k.validate().unwrap();
            let mut b = MsgBuilder::new(16, 0);
            k.encode_data(&mut b, &KindResolved::default());
            let bytes = b.finish().unwrap();
            let attrs: Vec<RawAttr> = wire::attrs(&bytes[16..]).map(|a| RawAttr::from_attr(&a.unwrap())).collect();
            prop_assert_eq!(LinkKind::decode(k.kind_name(), &attrs), k);
        }
    }

    #[test]
    fn rt_35_stats_entries_decode_typed_or_stay_raw(
        kind in prop_oneof![Just(1u16), Just(2), Just(28), any::<u16>()],
        inner in proptest::collection::vec(
            (
                prop_oneof![0u16..12, any::<u16>()],
                prop_oneof![Just(0usize), Just(8), Just(40), Just(48), Just(72), Just(240), 0usize..300],
                any::<u8>(),
            ),
            0..6,
        ),
        nest_3ad in any::<bool>(),
    ) {
        // Kernel-shaped nests (right struct sizes, a 3ad nest of u64s) and nonsense alike: the
        // decoders never panic, and an entry that does not decode typed is kept byte for byte.
        let mut b = MsgBuilder::new(16, 0);
        for (t, len, fill) in &inner {
            b.attr(*t, &vec![*fill; *len]);
        }
        let mut payload = b.finish().unwrap().split_off(16);
        if nest_3ad && kind == 2 {
            let mut o = MsgBuilder::new(16, 0);
            o.attr(bond_xstats::XSTATS_3AD, &payload);
            payload = o.finish().unwrap().split_off(16);
        }
        let a = RawAttr { raw_type: kind, payload };
        match Xstats::decode(&a) {
            Xstats::Other(raw) => prop_assert_eq!(raw, a.clone()),
            Xstats::Bridge(x) => {
                prop_assert_eq!(kind, 1);
                let typed = x.vlans.len()
                    + usize::from(x.mcast.is_some())
                    + usize::from(x.stp.is_some())
                    + x.other.len();
                let pads = inner
                    .iter()
                    .filter(|(t, len, _)| *t & wire::NLA_TYPE_MASK == bridge_xstats::PAD && *len == 0)
                    .count();
                prop_assert_eq!(typed + pads, inner.len());
            }
            Xstats::Bond(_) => prop_assert_eq!(kind, 2),
            _ => {}
        }
        match AfStats::decode(&a) {
            AfStats::Other(raw) => prop_assert_eq!(raw, a),
            AfStats::Mpls(_) => prop_assert_eq!(kind, 28),
            _ => {}
        }
    }
}
