//! Property tests of the pure netlink codecs (unit tier, no privileges).

use linx::netlink::wire::{
    self, MsgBuilder, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, RawAttr, align4,
};
use proptest::prelude::*;

fn raw_attr() -> impl Strategy<Value = RawAttr> {
    (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(t, payload)| RawAttr {
        raw_type: t,
        payload,
    })
}

proptest! {
    #[test]
    fn nl_06_attributes_round_trip_and_align(attrs in proptest::collection::vec(raw_attr(), 0..20),
                                             header in proptest::collection::vec(any::<u8>(), 0..20)) {
        let mut b = MsgBuilder::new(100, 0);
        b.push_header(&header);
        for a in &attrs {
            b.raw_attr(a);
        }
        let bytes = b.finish().unwrap();
        prop_assert_eq!(bytes.len() % 4, 0);
        let msg = wire::messages(&bytes).next().unwrap().unwrap();
        prop_assert_eq!(msg.header.len as usize, bytes.len());
        let body = &msg.payload[align4(header.len())..];
        let decoded: Vec<RawAttr> = wire::attrs(body)
            .map(|a| a.map(|a| RawAttr::from_attr(&a)))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(&decoded, &attrs);
        for (d, a) in decoded.iter().zip(&attrs) {
            // Matching masks the flag bits; re-encoding preserves them.
            prop_assert_eq!(d.kind(), a.raw_type & NLA_TYPE_MASK);
            prop_assert_eq!(d.raw_type & (NLA_F_NESTED | NLA_F_NET_BYTEORDER),
                            a.raw_type & (NLA_F_NESTED | NLA_F_NET_BYTEORDER));
        }
    }

    #[test]
    fn nl_06_nested_round_trip(inner in proptest::collection::vec(raw_attr(), 0..10), outer_type in 1u16..0x3fff) {
        let mut b = MsgBuilder::new(100, 0);
        let n = b.begin_nested(outer_type);
        for a in &inner {
            b.raw_attr(a);
        }
        b.end_nested(n);
        let bytes = b.finish().unwrap();
        let outer = wire::attrs(&bytes[16..]).next().unwrap().unwrap();
        prop_assert_eq!(outer.kind(), outer_type);
        prop_assert!(outer.is_nested_flag());
        let decoded: Vec<RawAttr> = outer.nested().map(|a| RawAttr::from_attr(&a.unwrap())).collect();
        prop_assert_eq!(decoded, inner);
    }

    #[test]
    fn nl_05_multi_message_datagrams_round_trip(
        msgs in proptest::collection::vec((16u16..0xffff, any::<u16>(), proptest::collection::vec(any::<u8>(), 0..100)), 1..8)
    ) {
        let mut dgram = Vec::new();
        for (t, f, payload) in &msgs {
            let mut b = MsgBuilder::new(*t, *f);
            b.push_header(payload);
            dgram.extend(b.finish().unwrap());
        }
        let got: Vec<_> = wire::messages(&dgram).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), msgs.len());
        for (g, (t, f, payload)) in got.iter().zip(&msgs) {
            prop_assert_eq!(g.header.msg_type, *t);
            prop_assert_eq!(g.header.flags, *f);
            prop_assert_eq!(&g.payload[..payload.len()], &payload[..]);
        }
    }

    #[test]
    fn nl_05_short_and_overrunning_lengths_are_rejected(len in 0u32..16, extra in 0u32..1000) {
        let h = wire::MsgHeader { len, ..Default::default() }.to_bytes();
        prop_assert!(wire::messages(&h).next().unwrap().is_err());
        let h = wire::MsgHeader { len: 17 + extra, ..Default::default() }.to_bytes();
        prop_assert!(wire::messages(&h).next().unwrap().is_err());
    }

    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        for m in wire::messages(&data).flatten() {
            let _ = wire::parse_error(&m);
            let _ = linx::rtnl::Link::decode(m.payload);
            let _ = linx::netlink::genl::decode_family(m.payload);
        }
        for a in wire::attrs(&data).flatten() {
            let _ = (a.u32(), a.str(), a.ip());
            for n in a.nested().flatten() {
                let _ = n.u64();
            }
        }
        let _ = wire::attr_path_at(&data, 16, data.len() / 2);
        let _ = linx::rtnl::Link::decode(&data);
    }
}

#[test]
fn nl_06_payload_over_the_16_bit_limit_is_an_input_error() {
    let mut b = MsgBuilder::new(100, 0);
    b.attr(1, &vec![0u8; u16::MAX as usize]);
    assert!(b.finish().is_err());
    let mut b = MsgBuilder::new(100, 0);
    b.attr(1, &vec![0u8; u16::MAX as usize - 4]);
    assert!(b.finish().is_ok());
}
