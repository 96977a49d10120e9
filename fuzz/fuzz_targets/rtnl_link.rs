//! The rtnetlink decoder of links (RTM_NEWLINK payloads) and typed link kind data: nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = linx::rtnl::Link::decode(data);
    if let Ok(l) = linx::rtnl::Link::decode(data) {
        if let Some(k) = l.kind_data() {
            let mut b = linx::netlink::wire::MsgBuilder::new(16, 0);
            k.encode_data(&mut b, &linx::rtnl::kinds::KindResolved::default());
            let _ = b.finish();
        }
    }
    let attrs: Vec<linx::netlink::wire::RawAttr> = linx::netlink::wire::attrs(data)
        .flatten()
        .map(|a| linx::netlink::wire::RawAttr::from_attr(&a))
        .collect();
    for kind in [
        "veth",
        "bridge",
        "dummy",
        "macvlan",
        "macvtap",
        "ipvlan",
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
    ] {
        let k = linx::rtnl::kinds::LinkKind::decode(kind, &attrs);
        let mut b = linx::netlink::wire::MsgBuilder::new(16, 0);
        k.encode_data(&mut b, &linx::rtnl::kinds::KindResolved::default());
        let _ = b.finish();
    }
});
