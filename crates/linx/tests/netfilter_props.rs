//! Unit tier: property tests of the nf_tables codecs (spec acceptance 3) — encode → decode round
//! trips for expressions, objects and elements; the `Unknown` passthrough is byte-identical; no
//! decoder panics on any input; the register checker accepts what the builder emits.

use std::net::Ipv4Addr;

use linx::netfilter::builder::{CtState, RuleBuilder, check_registers, ct, ip, meta, tcp, udp};
use linx::netfilter::codec::{self, ElemOp};
use linx::netfilter::expr::*;
use linx::netfilter::monitor::Monitor;
use linx::netfilter::nflog::LogEvent;
use linx::netfilter::obj::{CtExpectation, CtHelper, CtTimeout, Object, ObjectData, ObjectType};
use linx::netfilter::set::{DataType, Element, Part, RawElement, Set, SetKey};
use linx::netfilter::{Family, Rule, Table, TableLifetime};
use linx::netlink::wire::{self, MsgBuilder};
use proptest::prelude::*;

fn reg() -> impl Strategy<Value = Reg> {
    prop_oneof![(1u32..=4).prop_map(Reg), (8u32..=23).prop_map(Reg)]
}

fn data() -> impl Strategy<Value = Data> {
    proptest::collection::vec(any::<u8>(), 1..=16).prop_map(Data)
}

fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,20}"
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Accept),
        Just(Verdict::Drop),
        Just(Verdict::Continue),
        Just(Verdict::Break),
        Just(Verdict::Return),
        name().prop_map(Verdict::Jump),
        name().prop_map(Verdict::Goto),
        (any::<u16>(), any::<bool>()).prop_map(|(num, bypass)| Verdict::Queue { num, bypass }),
    ]
}

fn base() -> impl Strategy<Value = PayloadBase> {
    prop_oneof![
        Just(PayloadBase::Link),
        Just(PayloadBase::Network),
        Just(PayloadBase::Transport),
        Just(PayloadBase::Inner),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (reg(), base(), any::<u32>(), any::<u32>()).prop_map(|(dreg, base, offset, len)| {
            Expr::Payload(Payload {
                dreg,
                base,
                offset,
                len,
            })
        }),
        (
            reg(),
            base(),
            any::<u32>(),
            any::<u32>(),
            proptest::option::of(0u32..3)
        )
            .prop_map(
                |(sreg, base, offset, len, c)| Expr::PayloadWrite(PayloadWrite {
                    sreg,
                    base,
                    offset,
                    len,
                    csum_type: c,
                    csum_offset: c.map(|x| x * 2),
                    csum_flags: None,
                })
            ),
        (0u32..40, reg()).prop_map(|(k, dreg)| Expr::Meta(Meta {
            key: MetaKey::from_number(k),
            dreg
        })),
        (0u32..40, reg()).prop_map(|(k, sreg)| Expr::MetaSet(MetaSet {
            key: MetaKey::from_number(k),
            sreg
        })),
        (reg(), 0u32..6, data()).prop_map(|(sreg, op, data)| Expr::Cmp(Cmp {
            sreg,
            op: CmpOp::from_number(op).unwrap(),
            data
        })),
        (reg(), data()).prop_map(|(r, m)| {
            let x = Data(vec![0; m.len()]);
            Expr::Bitwise(Bitwise {
                explicit_op: m.len() % 2 == 0,
                ..Bitwise::mask_xor(r, m, x)
            })
        }),
        (reg(), reg(), 1u32..32, any::<bool>()).prop_map(|(s, d, n, l)| Expr::Bitwise(Bitwise {
            sreg: s,
            dreg: d,
            len: 4,
            op: if l {
                BitwiseOp::Lshift(n)
            } else {
                BitwiseOp::Rshift(n)
            },
            explicit_op: true,
        })),
        (reg(), reg(), any::<bool>()).prop_map(|(s, d, h)| Expr::Byteorder(Byteorder {
            sreg: s,
            dreg: d,
            op: if h {
                ByteorderOp::Hton
            } else {
                ByteorderOp::Ntoh
            },
            len: 4,
            size: 2,
        })),
        (reg(), data(), data(), any::<bool>()).prop_map(|(sreg, from, to, n)| Expr::Range(Range {
            sreg,
            op: if n { RangeOp::Neq } else { RangeOp::Eq },
            from,
            to
        })),
        (0u32..24, reg(), proptest::option::of(any::<bool>())).prop_map(|(k, dreg, d)| Expr::Ct(
            Ct {
                key: CtKey::from_number(k),
                dreg,
                dir: d.map(|r| if r { CtDir::Reply } else { CtDir::Original }),
            }
        )),
        (0u32..24, reg()).prop_map(|(k, sreg)| Expr::CtSet(CtSet {
            key: CtKey::from_number(k),
            sreg,
            dir: None
        })),
        (
            name(),
            proptest::option::of(1u32..100),
            reg(),
            proptest::option::of(reg()),
            any::<bool>()
        )
            .prop_map(|(set, set_id, sreg, dreg, inverted)| Expr::Lookup(Lookup {
                set,
                set_id,
                sreg,
                dreg,
                inverted
            })),
        (reg(), data()).prop_map(|(dreg, d)| Expr::Immediate(Immediate::value(dreg, d))),
        verdict().prop_map(Expr::verdict),
        (any::<u64>(), any::<u64>())
            .prop_map(|(bytes, packets)| Expr::Counter(Counter { bytes, packets })),
        (
            1u64..1000,
            1u64..100_000,
            any::<u32>(),
            any::<bool>(),
            0u32..2
        )
            .prop_map(|(rate, unit, burst, b, flags)| {
                Expr::Limit(Limit {
                    rate,
                    unit,
                    burst,
                    kind: if b {
                        LimitKind::Bytes
                    } else {
                        LimitKind::Packets
                    },
                    flags,
                })
            }),
        (any::<u64>(), any::<u64>(), 0u32..4).prop_map(|(bytes, consumed, flags)| Expr::Quota(
            Quota {
                bytes,
                consumed,
                flags
            }
        )),
        (any::<u32>(), 0u32..2)
            .prop_map(|(count, flags)| Expr::Connlimit(Connlimit { count, flags })),
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of(0u32..2)
        )
            .prop_map(|(msecs, set)| Expr::Last(Last { msecs, set })),
        (
            any::<bool>(),
            proptest::option::of(reg()),
            proptest::option::of(reg()),
            proptest::option::of(0u32..0x80)
        )
            .prop_map(|(s, a, p, flags)| Expr::Nat(Nat {
                kind: if s { NatKind::Snat } else { NatKind::Dnat },
                family: 2,
                reg_addr_min: a,
                reg_addr_max: a,
                reg_proto_min: p,
                reg_proto_max: None,
                flags,
            })),
        (
            proptest::option::of(0u32..0x20),
            proptest::option::of(reg())
        )
            .prop_map(|(flags, r)| Expr::Masq(Masq {
                flags,
                reg_proto_min: r,
                reg_proto_max: r
            })),
        (
            proptest::option::of(0u32..0x20),
            proptest::option::of(reg())
        )
            .prop_map(|(flags, r)| Expr::Redir(Redir {
                reg_proto_min: r,
                reg_proto_max: None,
                flags
            })),
        (0u32..3, proptest::option::of(any::<u8>())).prop_map(|(k, code)| Expr::Reject(Reject {
            kind: match k {
                0 => RejectKind::IcmpUnreach,
                1 => RejectKind::TcpRst,
                _ => RejectKind::IcmpxUnreach,
            },
            code
        })),
        (
            proptest::option::of("[ -~]{0,20}"),
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(0u32..8)
        )
            .prop_map(|(prefix, group, snaplen, level)| Expr::Log(Log {
                prefix,
                group,
                snaplen,
                qthreshold: None,
                level,
                flags: None
            })),
        (
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<u16>()),
            proptest::option::of(0u16..4)
        )
            .prop_map(|(num, total, flags)| Expr::Queue(Queue {
                num,
                total,
                flags,
                sreg_qnum: None
            })),
        Just(Expr::Notrack),
        (1u32..11, name())
            .prop_map(|(k, n)| Expr::Objref(Objref::named(ObjectType::from_number(k), n))),
        (reg(), name(), proptest::option::of(1u32..9)).prop_map(
            |(sreg, set, set_id)| Expr::Objref(Objref {
                target: ObjrefTarget::Map { sreg, set, set_id }
            })
        ),
        (reg(), 0u32..64).prop_map(|(dreg, flags)| Expr::Fib(Fib {
            dreg,
            result: FibResult::Oif,
            flags
        })),
        (reg(), any::<u8>(), any::<u32>(), 1u32..16).prop_map(|(dreg, kind, offset, len)| {
            Expr::Exthdr(Exthdr {
                dreg,
                kind,
                offset,
                len,
                flags: Some(0),
                op: None,
            })
        }),
        (reg(), any::<u8>(), any::<u32>(), 1u32..16).prop_map(|(sreg, kind, offset, len)| {
            Expr::ExthdrWrite(ExthdrWrite {
                sreg,
                kind,
                offset,
                len,
                op: None,
                flags: None,
            })
        }),
        (any::<u8>(), any::<bool>()).prop_map(|(kind, op)| {
            Expr::ExthdrStrip(ExthdrStrip {
                kind,
                op: op.then_some(ExthdrOp::TcpOpt),
            })
        }),
        (
            reg(),
            1u32..100,
            any::<bool>(),
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(dreg, modulus, r, offset)| Expr::Numgen(Numgen {
                dreg,
                modulus,
                kind: if r {
                    NumgenKind::Random
                } else {
                    NumgenKind::Incremental
                },
                offset,
            })),
        (
            proptest::option::of(reg()),
            reg(),
            1u32..100,
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(sreg, dreg, modulus, seed)| Expr::Hash(Hash {
                sreg,
                dreg,
                len: if sreg.is_some() { 4 } else { 0 },
                modulus,
                seed,
                offset: None,
                kind: if sreg.is_some() {
                    HashKind::Jenkins
                } else {
                    HashKind::Symmetric
                },
            })),
        (0u32..4, reg(), proptest::option::of(0u32..4)).prop_map(|(k, dreg, level)| Expr::Socket(
            Socket {
                key: SocketKey::from_number(k),
                dreg,
                level
            }
        )),
        (proptest::option::of(reg()), proptest::option::of(reg())).prop_map(|(a, p)| Expr::Tproxy(
            Tproxy {
                family: 2,
                reg_addr: a,
                reg_port: p
            }
        )),
        (
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<u8>()),
            proptest::option::of(0u32..16)
        )
            .prop_map(|(mss, wscale, flags)| Expr::Synproxy(Synproxy {
                mss,
                wscale,
                flags
            })),
        (proptest::option::of(reg()), proptest::option::of(reg())).prop_map(|(a, d)| Expr::Dup(
            Dup {
                sreg_addr: a,
                sreg_dev: d
            }
        )),
        (proptest::option::of(reg()), proptest::option::of(reg())).prop_map(|(d, a)| Expr::Fwd(
            Fwd {
                sreg_dev: d,
                sreg_addr: a,
                nfproto: a.map(|_| 2)
            }
        )),
        name().prop_map(|flowtable| Expr::FlowOffload(FlowOffload { flowtable })),
        (0u32..5, reg()).prop_map(|(k, dreg)| Expr::Rt(Rt {
            key: RtKey::from_number(k),
            dreg
        })),
        (reg(), proptest::option::of(0u8..3)).prop_map(|(dreg, ttl)| Expr::Osf(Osf {
            dreg,
            ttl,
            flags: None
        })),
        (reg(), 1u32..7, 0u8..2, any::<u32>()).prop_map(|(dreg, key, dir, spnum)| Expr::Xfrm(
            Xfrm {
                dreg,
                key,
                dir,
                spnum
            }
        )),
        (0u32..2, reg()).prop_map(|(key, dreg)| Expr::Tunnel(Tunnel {
            key,
            dreg,
            mode: None
        })),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => leaf(),
        1 => (name(), reg(), proptest::option::of(1u64..100_000), proptest::collection::vec(
                prop_oneof![
                    (any::<u64>(), any::<u64>()).prop_map(|(bytes, packets)| Expr::Counter(Counter { bytes, packets })),
                    (1u64..100, 1u64..100).prop_map(|(r, u)| Expr::Limit(Limit { rate: r, unit: u, burst: 5, kind: LimitKind::Packets, flags: 1 })),
                ], 0..3))
            .prop_map(|(set, r, timeout, exprs)| Expr::Dynset(Dynset {
                op: DynsetOp::Update,
                sreg_key: r,
                sreg_data: None,
                set,
                set_id: None,
                timeout,
                flags: 0,
                exprs,
            })),
        1 => (reg(), data()).prop_map(|(dreg, d)| Expr::Inner(Inner {
                num: 0,
                kind: 1,
                flags: 3,
                hdrsize: 8,
                expr: Box::new(Expr::Immediate(Immediate::value(dreg, d))),
            })),
    ]
}

/// Arbitrary nested attributes.
fn attrs() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            0u16..20,
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..24),
        ),
        0..10,
    )
    .prop_map(|v| {
        let mut b = MsgBuilder::new(16, 0);
        for (t, nested, p) in v {
            if nested {
                let n = b.begin_nested(t);
                b.attr(t.wrapping_add(1), &p);
                b.end_nested(n);
            } else {
                b.attr(t, &p);
            }
        }
        b.finish().unwrap()[16..].to_vec()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Acceptance 3: every modelled expression survives encode → decode.
    #[test]
    fn nf_40_expression_round_trip(list in proptest::collection::vec(expr(), 1..6)) {
        let bytes = encode_list(&list).unwrap();
        let back = decode_list(&bytes).unwrap();
        prop_assert_eq!(&back, &list);
        prop_assert!(back.iter().all(|e| !e.is_unknown()));
        // And re-encoding is byte-identical.
        prop_assert_eq!(encode_list(&back).unwrap(), bytes);
    }

    /// NF-40: an expression linx does not know is carried raw and re-encoded byte for byte.
    #[test]
    fn nf_40_unknown_passthrough_is_byte_identical(n in "[a-z]{1,8}", data in attrs(), with_data in any::<bool>()) {
        let name = format!("zz_{n}");
        let mut b = MsgBuilder::new(16, 0);
        let elem = b.begin_nested(1);
        b.attr_str(1, &name);
        if with_data {
            b.attr(2 | wire::NLA_F_NESTED, &data);
        }
        b.end_nested(elem);
        let list = b.finish().unwrap()[16..].to_vec();
        let decoded = decode_list(&list).unwrap();
        prop_assert!(decoded[0].is_unknown());
        prop_assert_eq!(encode_list(&decoded).unwrap(), list);
    }

    /// No decoder panics: expression lists with known names and garbage data decode (possibly as
    /// Unknown), and whatever decodes as Unknown re-encodes to the same bytes.
    #[test]
    fn nf_40_expression_decoder_never_panics(
        n in prop_oneof![Just("payload"), Just("meta"), Just("cmp"), Just("bitwise"), Just("ct"),
            Just("lookup"), Just("dynset"), Just("immediate"), Just("nat"), Just("log"), Just("queue"),
            Just("objref"), Just("exthdr"), Just("hash"), Just("inner"), Just("limit"), Just("counter")],
        data in attrs(),
        raw in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut b = MsgBuilder::new(16, 0);
        let elem = b.begin_nested(1);
        b.attr_str(1, n);
        b.attr(2 | wire::NLA_F_NESTED, &data);
        b.end_nested(elem);
        let list = b.finish().unwrap()[16..].to_vec();
        if let Ok(d) = decode_list(&list)
            && d[0].is_unknown()
        {
            prop_assert_eq!(encode_list(&d).unwrap(), list);
        }
        let _ = decode_list(&raw);
    }

    /// Any nf_tables message bytes: decode never panics; monitor feeding never panics.
    #[test]
    fn nf_92_message_decoder_never_panics(cmd in 0u8..34, family in prop_oneof![Just(0u8), Just(1), Just(2), Just(7), Just(10), any::<u8>()], body in attrs()) {
        let mut b = MsgBuilder::new(codec::msg_type(cmd), 0);
        b.push_header(&[family, 0, 0, 0]);
        let mut bytes = b.finish().unwrap();
        bytes.extend_from_slice(&body);
        let len = bytes.len() as u32;
        bytes[0..4].copy_from_slice(&len.to_ne_bytes());
        let m = wire::messages(&bytes).next().unwrap().unwrap();
        let _ = codec::decode(&m);
        let _ = LogEvent::decode(&m);
    }

    /// Objects of every kind round-trip through their message.
    #[test]
    fn nf_33_object_round_trip(kind in 0usize..9, a in any::<u64>(), b in any::<u32>(), s in "[a-z]{1,10}") {
        let data = match kind {
            0 => ObjectData::Counter(Counter { bytes: a, packets: a / 2 }),
            1 => ObjectData::Quota(Quota { bytes: a, consumed: a / 3, flags: b & 1 }),
            2 => ObjectData::Limit(Limit { rate: a | 1, unit: 60, burst: b, kind: LimitKind::Bytes, flags: b & 1 }),
            3 => ObjectData::Connlimit(Connlimit { count: b, flags: 1 }),
            4 => ObjectData::CtHelper(CtHelper { name: s.clone(), l3proto: Some(2), l4proto: 6 }),
            5 => ObjectData::CtTimeout(CtTimeout { l3proto: Some(2), l4proto: 6, timeouts: vec![(1, b), (3, b / 2)] }),
            6 => ObjectData::CtExpectation(CtExpectation { l3proto: Some(2), l4proto: 6, dport: b as u16, timeout: b, size: 5 }),
            7 => ObjectData::Secmark(s.clone()),
            _ => ObjectData::Synproxy(Synproxy { mss: Some(1460), wscale: Some(7), flags: Some(b & 0xf) }),
        };
        let mut o = Object::new(s, data);
        o.userdata.set_comment(Some("c")).unwrap();
        let m = codec::new_object(Family::Inet, "t", &o, 0).unwrap();
        match codec::decode(&m.as_msg()).unwrap() {
            codec::Decoded::Object { object, .. } => prop_assert_eq!(object, o),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Elements: typed → kernel form → typed → kernel form is stable, through a message.
    #[test]
    fn nf_28_element_round_trip(mut starts in proptest::collection::btree_set(any::<u32>(), 1..40), widths in proptest::collection::vec(0u32..300, 40), interval in any::<bool>()) {
        let mut set = Set::new("s", SetKey::single(DataType::IPV4_ADDR));
        if interval {
            set = set.interval();
        }
        // Disjoint ranges from sorted starts.
        let v: Vec<u32> = std::mem::take(&mut starts).into_iter().collect();
        let mut els = Vec::new();
        for (i, s) in v.iter().enumerate() {
            let end = if interval {
                let next = v.get(i + 1).map_or(u32::MAX, |n| n - 1);
                s.saturating_add(widths[i % widths.len()]).min(next)
            } else {
                *s
            };
            els.push(if end == *s {
                Element::new(Ipv4Addr::from(*s))
            } else {
                Element::new(Part::Range(Ipv4Addr::from(*s).into(), Ipv4Addr::from(end).into()))
            });
        }
        let raw = set.encode_elements(&els, true).unwrap();
        let msgs = codec::set_elements(ElemOp::Add, Family::Ip, "t", "s", None, &raw).unwrap();
        let mut back: Vec<RawElement> = Vec::new();
        for m in &msgs {
            if let codec::Decoded::Elements { elements, .. } = codec::decode(&m.as_msg()).unwrap() {
                back.extend(elements);
            }
        }
        back.reverse(); // kernel order does not matter
        let typed = set.decode_elements(&back).unwrap();
        prop_assert_eq!(typed.len(), els.len());
        let again = set.encode_elements(&typed, true).unwrap();
        let mut a = again.clone();
        let mut b = raw.clone();
        a.sort_by(|x, y| x.key.cmp(&y.key).then(x.flags.cmp(&y.flags)));
        b.sort_by(|x, y| x.key.cmp(&y.key).then(x.flags.cmp(&y.flags)));
        prop_assert_eq!(a, b);
    }

    /// Element decoding never panics on arbitrary kernel elements.
    #[test]
    fn nf_28_element_decoder_never_panics(keys in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..20), any::<u32>()), 0..10), ty in 0u32..70000, len in 0u32..20, interval in any::<bool>()) {
        let mut set = Set::new("s", SetKey::from_wire(ty, len, None));
        if interval {
            set = set.interval();
        }
        let raw: Vec<RawElement> = keys.into_iter().map(|(k, f)| RawElement { key: Some(k), flags: Some(f & 3), ..RawElement::default() }).collect();
        let _ = set.decode_elements(&raw);
    }

    /// NF-41: every rule the builder emits passes the register checker.
    #[test]
    fn nf_41_checker_accepts_builder_output(port in any::<u16>(), a in any::<u32>(), l in 0u8..=32, mark in any::<u32>()) {
        let rules: Vec<Rule> = vec![
            RuleBuilder::new(Family::Inet).matches(tcp().dport(port)).matches(ip().saddr(Ipv4Addr::from(a))).accept(),
            RuleBuilder::new(Family::Ip).matches(ip().saddr_prefix(linx::Prefix::new_truncating(Ipv4Addr::from(a).into(), l).unwrap())).drop(),
            RuleBuilder::new(Family::Bridge).matches(udp().dport_range(port / 2, port)).counter().accept(),
            RuleBuilder::new(Family::Inet).matches(ct().state(CtState::NEW)).matches(meta().mark(mark)).set_mark(mark).accept(),
            RuleBuilder::new(Family::Ip6).matches(tcp().flags(0x12, Some(0x02))).matches(ct().mark(0xff, mark & 0xff)).accept(),
        ];
        for r in rules {
            prop_assert_eq!(check_registers(&r.exprs), Ok(()));
        }
    }
}

/// The checker rejects width mismatches: a 16-byte compare after a 4-byte load.
#[test]
fn nf_41_checker_rejects_width_mismatch() {
    let bad = vec![
        Expr::Meta(Meta {
            key: MetaKey::Mark,
            dreg: Reg::r32(3),
        }),
        Expr::Cmp(Cmp {
            sreg: Reg::r32(3),
            op: CmpOp::Eq,
            data: Data(vec![0; 16]),
        }),
    ];
    assert!(check_registers(&bad).is_err());
    let mut t = Table::new(Family::Inet, "t", TableLifetime::Persistent).unwrap();
    let mut c = linx::netfilter::Chain::regular("c").unwrap();
    c.push(Rule::new(bad));
    t.add_chain(c).unwrap();
    let e = linx::netfilter::validate_table(&t).unwrap_err();
    assert!(e.to_string().contains("expression #2"), "{e}");
}

/// The monitor groups what it is fed per generation, whatever the bytes.
#[test]
fn nf_95_monitor_feed_never_panics_on_garbage() {
    let mon_bytes = [0u8; 20];
    let m = wire::Msg {
        header: wire::MsgHeader {
            len: 20,
            msg_type: codec::msg_type(6),
            ..Default::default()
        },
        payload: &mon_bytes[16..],
    };
    let sock_free = Monitor::open(&linx::ns::NsTarget::Current);
    if let Ok(mut mon) = sock_free {
        let _ = mon.feed(&m);
    }
}
