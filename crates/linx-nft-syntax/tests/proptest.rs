//! Properties: the scanner, parser and expander never panic on arbitrary input (NFT-06, NFT-21),
//! and generated ASTs survive print → parse unchanged (spans aside).

use linx_nft_syntax::ast::*;
use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::keywords::{self, is_reserved};
use linx_nft_syntax::lexer::tokenize;
use linx_nft_syntax::printer::print_script;
use linx_nft_syntax::{FileId, Options, Span, load_str, parse_str};
use proptest::prelude::*;

// ------------------------------------------------------------------------------------------------
// never panic

const VOCAB: &[&str] = &[
    "table",
    "chain",
    "set",
    "map",
    "inet",
    "ip",
    "ip6",
    "t",
    "c",
    "{",
    "}",
    "{",
    "}",
    ";",
    "\n",
    "\n",
    "type",
    "filter",
    "hook",
    "input",
    "priority",
    "0",
    "-",
    "policy",
    "accept",
    "drop",
    "tcp",
    "dport",
    "22",
    "ip",
    "saddr",
    "10.0.0.1",
    "/",
    "24",
    ",",
    ".",
    ":",
    "@",
    "$",
    "x",
    "define",
    "=",
    "include",
    "\"a.nft\"",
    "vmap",
    "jump",
    "counter",
    "log",
    "prefix",
    "\"p\"",
    "limit",
    "rate",
    "10/second",
    "ct",
    "state",
    "established",
    "meta",
    "mark",
    "set",
    "0x1",
    "elements",
    "flags",
    "interval",
    "timeout",
    "1h",
    "add",
    "update",
    "delete",
    "(",
    ")",
    "|",
    "&",
    "==",
    "!=",
    "<",
    "ether",
    "saddr",
    "fib",
    "daddr",
    "oif",
    "snat",
    "to",
    "dnat",
    "masquerade",
    "random",
    "queue",
    "num",
    "reject",
    "with",
    "icmp",
    "type",
    "*",
    "#",
    "\\\n",
    "comment",
    "flush",
    "ruleset",
    "2001:db8::1",
    "fe80::/10",
    "02:00:00:00:00:01",
    "map",
    "numgen",
    "inc",
    "mod",
    "jhash",
    "symhash",
    "osf",
    "socket",
    "exthdr",
    "hbh",
    "rt",
    "srh",
    "sid",
    "[",
    "]",
    "tproxy",
    "synproxy",
    "meter",
    "flow",
    "goto",
    "return",
    "redefine",
    "undefine",
    "handle",
    "position",
    "insert",
    "replace",
    "create",
    "reset",
    "counters",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCAB), 0..80).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn nft_06_scanner_never_panics(s in any::<String>()) {
        let toks = tokenize(&s, FileId(0));
        prop_assert!(!toks.is_empty());
        for t in &toks {
            prop_assert!(t.span.end as usize <= s.len());
        }
    }

    #[test]
    fn nft_21_parser_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = parse_str("fuzz.nft", &s, &Default::default());
    }

    #[test]
    fn nft_21_parser_never_panics_on_token_soup(s in token_soup()) {
        if let Err(e) = parse_str("soup.nft", &s, &Default::default()) {
            // Rendering never panics either.
            let _ = e.to_string();
            let _ = e.to_json();
        }
        let mut fs = MemoryFileSystem::new();
        fs.add("/etc/a.nft", s.clone());
        let _ = load_str("soup.nft", &s, &Options::default(), &fs);
    }
}

// ------------------------------------------------------------------------------------------------
// generated ASTs

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,7}".prop_filter("not a keyword", |w| {
        !is_reserved(w) && Family::from_name(w).is_none()
    })
}

fn ident() -> impl Strategy<Value = Ident> {
    word().prop_map(Ident::new)
}

fn num() -> impl Strategy<Value = Num> {
    prop_oneof![
        (0u64..100_000).prop_map(Num::from_u64),
        (0u64..0xffff).prop_map(|v| Num::new(format!("0x{v:x}"))),
        (1u64..0o777).prop_map(|v| Num::new(format!("0{v:o}"))),
    ]
}

fn e(kind: ExprKind) -> Expr {
    Expr::new(kind)
}

fn ipv4() -> impl Strategy<Value = String> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

fn quoted() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _.:-]{0,20}"
}

/// A basic right-hand-side value.
fn atom() -> impl Strategy<Value = Expr> {
    prop_oneof![
        num().prop_map(|n| e(ExprKind::Number(n))),
        word().prop_map(|w| e(ExprKind::Symbol(w))),
        ipv4().prop_map(|a| e(ExprKind::Symbol(a))),
        quoted().prop_map(|q| e(ExprKind::Quoted(q))),
        Just(e(ExprKind::Symbol("2001:db8::1".into()))),
        Just(e(ExprKind::Symbol("1h30m".into()))),
        Just(e(ExprKind::Symbol("tcp".into()))),
        Just(e(ExprKind::Bool(true))),
        word().prop_map(|n| e(ExprKind::Variable(Var::new(n)))),
    ]
}

fn basic() -> impl Strategy<Value = Expr> {
    let leaf = atom();
    leaf.prop_recursive(3, 12, 2, |inner| {
        (
            inner.clone(),
            prop::sample::select(&[BinOp::Or, BinOp::Xor, BinOp::And, BinOp::Shl, BinOp::Shr][..]),
            inner,
        )
            .prop_map(|(l, op, r)| {
                e(ExprKind::Binary {
                    op,
                    left: Box::new(l),
                    right: Box::new(r),
                })
            })
    })
}

/// A concat_rhs component: basic, prefix or range.
fn component() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => basic(),
        1 => (ipv4(), 0u64..33).prop_map(|(a, l)| e(ExprKind::Prefix {
            base: Box::new(e(ExprKind::Symbol(a))),
            len: Num::from_u64(l),
        })),
        1 => (atom(), atom()).prop_map(|(a, b)| e(ExprKind::Range {
            low: Box::new(a),
            high: Box::new(b),
        })),
    ]
}

fn concat_rhs() -> impl Strategy<Value = Expr> {
    prop::collection::vec(component(), 1..4).prop_map(|mut v| {
        if v.len() == 1 {
            v.remove(0)
        } else {
            e(ExprKind::Concat(v))
        }
    })
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Accept),
        Just(Verdict::Drop),
        Just(Verdict::Continue),
        Just(Verdict::Return),
        word().prop_map(|w| Verdict::Jump(Box::new(e(ExprKind::Symbol(w))))),
        word().prop_map(|w| Verdict::Goto(Box::new(e(ExprKind::Symbol(w))))),
    ]
}

fn time() -> impl Strategy<Value = Str> {
    prop::sample::select(&["1s", "30m", "1h30m", "2d", "250ms", "1d2h3m4s5ms"][..]).prop_map(|t| {
        Str {
            text: t.into(),
            quoted: false,
            span: Span::DUMMY,
        }
    })
}

fn elem_options() -> impl Strategy<Value = ElemOptions> {
    (
        prop::option::of(time()),
        prop::option::of(time()),
        prop::option::of(quoted().prop_map(Str::quoted)),
    )
        .prop_map(|(timeout, expires, comment)| ElemOptions {
            timeout: timeout.map(TimeValue::Lit),
            expires: expires.map(TimeValue::Lit),
            comment,
        })
}

fn set_elem(with_data: bool) -> impl Strategy<Value = SetElem> {
    (
        prop_oneof![9 => concat_rhs(), 1 => Just(e(ExprKind::Wildcard))],
        prop::bool::ANY,
        elem_options(),
        prop_oneof![
            concat_rhs(),
            verdict().prop_map(|v| e(ExprKind::Verdict(v)))
        ],
    )
        .prop_map(move |(key, counter, options, data)| SetElem {
            key,
            stmts: if counter {
                vec![Stmt {
                    kind: StmtKind::Counter {
                        name: None,
                        packets: None,
                        bytes: None,
                    },
                    span: Span::DUMMY,
                }]
            } else {
                Vec::new()
            },
            options,
            data: with_data.then_some(data),
            span: Span::DUMMY,
        })
}

fn set_expr() -> impl Strategy<Value = Expr> {
    (prop::bool::ANY, 1usize..5)
        .prop_flat_map(|(data, n)| prop::collection::vec(set_elem(data), n))
        .prop_map(|v| e(ExprKind::Set(v)))
}

fn payload() -> impl Strategy<Value = Expr> {
    const PROTOS: &[PayloadProto] = &[
        PayloadProto::Ether,
        PayloadProto::Vlan,
        PayloadProto::Arp,
        PayloadProto::Ip,
        PayloadProto::Icmp,
        PayloadProto::Igmp,
        PayloadProto::Ip6,
        PayloadProto::Icmpv6,
        PayloadProto::Ah,
        PayloadProto::Esp,
        PayloadProto::Comp,
        PayloadProto::Udp,
        PayloadProto::Udplite,
        PayloadProto::Tcp,
        PayloadProto::Dccp,
        PayloadProto::Sctp,
        PayloadProto::Th,
    ];
    (prop::sample::select(PROTOS), any::<prop::sample::Index>()).prop_map(|(proto, i)| {
        let fields = keywords::payload_fields(proto);
        e(ExprKind::Payload {
            proto,
            field: fields[i.index(fields.len())],
        })
    })
}

fn selector() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => payload(),
        1 => prop::sample::select(keywords::META_KEYS).prop_map(|k| e(ExprKind::Meta { key: k, explicit: true })),
        1 => prop::sample::select(keywords::META_UNQUALIFIED)
            .prop_filter_map("canonical", keywords::meta_key)
            .prop_map(|k| e(ExprKind::Meta { key: k, explicit: false })),
        1 => prop::sample::select(keywords::CT_KEYS).prop_map(|k| e(ExprKind::Ct { dir: None, proto: None, key: k })),
        1 => (prop::sample::select(&[CtDir::Original, CtDir::Reply][..]), prop::sample::select(keywords::CT_DIR_KEYS))
            .prop_map(|(d, k)| e(ExprKind::Ct { dir: Some(d), proto: None, key: k })),
        1 => (0u64..64, 1u64..32).prop_map(|(o, l)| e(ExprKind::RawPayload { base: RawBase::Nh, offset: Num::from_u64(o), len: Num::from_u64(l) })),
    ]
}

fn lhs() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => selector(),
        1 => (selector(), num()).prop_map(|(s, n)| e(ExprKind::Binary {
            op: BinOp::And,
            left: Box::new(s),
            right: Box::new(e(ExprKind::Number(n))),
        })),
        1 => prop::collection::vec(selector(), 2..4).prop_map(|v| e(ExprKind::Concat(v))),
    ]
}

fn match_rhs() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => concat_rhs(),
        2 => set_expr(),
        1 => ident().prop_map(|i| e(ExprKind::SetRef(i))),
        1 => prop::collection::vec(basic(), 2..4).prop_map(|v| e(ExprKind::List(v))),
    ]
}

fn stmt_kind() -> impl Strategy<Value = StmtKind> {
    let rel = prop::sample::select(
        &[
            RelOp::Implicit,
            RelOp::Eq,
            RelOp::Ne,
            RelOp::Lt,
            RelOp::Gt,
            RelOp::Le,
            RelOp::Ge,
        ][..],
    );
    prop_oneof![
        6 => (lhs(), rel, match_rhs()).prop_map(|(left, op, right)| StmtKind::Match { left, op, right }),
        2 => verdict().prop_map(StmtKind::Verdict),
        1 => (prop::option::of(num()), prop::option::of(num())).prop_map(|(packets, bytes)| StmtKind::Counter { name: None, packets, bytes }),
        1 => (num(), prop::sample::select(&[TimeUnit::Second, TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day, TimeUnit::Week][..]), prop::option::of(1u64..100))
            .prop_map(|(count, per, burst)| StmtKind::Limit(LimitRate {
                mode: Some(RateMode::Over),
                rate: Rate::Packets { count: Count::Num(count), per },
                burst: burst.map(|b| Burst::Packets(Count::Num(Num::from_u64(b)))),
            })),
        1 => (prop::option::of(quoted()), prop::option::of(prop::sample::select(keywords::LOG_LEVELS)))
            .prop_map(|(p, l)| StmtKind::Log(Log {
                prefix: p.map(Str::quoted),
                level: l.map(|l| Str { text: l.into(), quoted: false, span: Span::DUMMY }),
                ..Log::default()
            })),
        1 => Just(StmtKind::Reject(Some(RejectWith::TcpReset))),
        1 => word().prop_map(|w| StmtKind::Reject(Some(RejectWith::Icmpx(e(ExprKind::Symbol(w)))))),
        1 => (ipv4(), prop::option::of(1u64..65535), prop::bool::ANY).prop_map(|(a, p, dnat)| StmtKind::Nat(Nat {
            kind: if dnat { NatKind::Dnat } else { NatKind::Snat },
            family: None,
            mode: NatMode::Plain,
            to: true,
            addr: Some(e(ExprKind::Symbol(a))),
            port: p.map(|p| e(ExprKind::Number(Num::from_u64(p)))),
            flags: vec![NatFlag::Random],
        })),
        1 => Just(StmtKind::Nat(Nat {
            kind: NatKind::Masquerade,
            family: None,
            mode: NatMode::Plain,
            to: false,
            addr: None,
            port: None,
            flags: vec![NatFlag::Persistent, NatFlag::FullyRandom],
        })),
        1 => (num(), prop::bool::ANY).prop_map(|(n, explicit)| StmtKind::MetaSet { key: "mark", explicit, value: e(ExprKind::Number(n)) }),
        1 => num().prop_map(|n| StmtKind::CtSet { dir: None, key: "mark", value: e(ExprKind::Number(n)) }),
        1 => Just(StmtKind::Notrack),
        1 => (ident(), payload(), elem_options()).prop_map(|(s, key, options)| StmtKind::Set(Box::new(SetStmt {
            op: SetOp::Update,
            set: e(ExprKind::SetRef(s)),
            key,
            options,
            stmts: Vec::new(),
            data: None,
            legacy: false,
        }))),
        1 => (payload(), prop::collection::vec((num(), verdict()), 1..4)).prop_map(|(key, v)| StmtKind::VerdictMap {
            key,
            map: e(ExprKind::Set(v.into_iter().map(|(n, vd)| SetElem {
                key: e(ExprKind::Number(n)),
                stmts: Vec::new(),
                options: ElemOptions::default(),
                data: Some(e(ExprKind::Verdict(vd))),
                span: Span::DUMMY,
            }).collect())),
        }),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(stmt_kind(), 1..5),
        prop::option::of(quoted()),
    )
        .prop_map(|(stmts, comment)| Rule {
            stmts: stmts
                .into_iter()
                .map(|kind| Stmt {
                    kind,
                    span: Span::DUMMY,
                })
                .collect(),
            comment: comment.map(Str::quoted),
            span: Span::DUMMY,
        })
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        (prop::bool::ANY, num())
            .prop_map(|(negative, value)| PriorityValue::Number { negative, value }),
        (
            prop::sample::select(keywords::PRIORITY_NAMES),
            prop::option::of((prop::bool::ANY, num()))
        )
            .prop_map(|(n, offset)| PriorityValue::Named {
                name: Ident::new(n),
                offset
            }),
    ]
    .prop_map(|value| Priority {
        value,
        span: Span::DUMMY,
    })
}

fn chain() -> impl Strategy<Value = TableItem> {
    (
        ident(),
        prop::option::of((
            prop::sample::select(keywords::CHAIN_TYPES),
            prop::sample::select(keywords::CHAIN_HOOKS),
            priority(),
            prop::bool::ANY,
        )),
        prop::collection::vec(rule(), 0..4),
    )
        .prop_map(|(name, hook, rules)| {
            let mut items = Vec::new();
            if let Some((t, h, priority, accept)) = hook {
                items.push(ChainItem::Hook(HookSpec {
                    chain_type: Ident::new(t),
                    hook: Ident::new(h),
                    device: None,
                    priority,
                    span: Span::DUMMY,
                }));
                items.push(ChainItem::Policy(if accept {
                    Policy::Accept(Span::DUMMY)
                } else {
                    Policy::Drop(Span::DUMMY)
                }));
            }
            items.extend(rules.into_iter().map(ChainItem::Rule));
            TableItem::Chain(ChainDecl {
                name,
                body: ChainBody {
                    items,
                    span: Span::DUMMY,
                },
                span: Span::DUMMY,
            })
        })
}

fn set_decl() -> impl Strategy<Value = TableItem> {
    (
        ident(),
        prop::sample::subsequence(
            &[
                SetFlag::Constant,
                SetFlag::Interval,
                SetFlag::Timeout,
                SetFlag::Dynamic,
            ][..],
            0..4,
        ),
        prop::option::of(set_expr()),
        prop::option::of(time()),
    )
        .prop_map(|(name, flags, elements, timeout)| {
            let mut items = vec![SetItem::Type {
                key: vec![Ident::new("ipv4_addr"), Ident::new("inet_service")],
                data: None,
                span: Span::DUMMY,
            }];
            if !flags.is_empty() {
                items.push(SetItem::Flags(
                    flags.into_iter().map(|f| (f, Span::DUMMY)).collect(),
                ));
            }
            if let Some(t) = timeout {
                items.push(SetItem::Timeout(TimeValue::Lit(t)));
            }
            if let Some(e) = elements {
                items.push(SetItem::Elements(e));
            }
            TableItem::Set(SetDecl {
                map: false,
                name,
                body: SetBody {
                    items,
                    span: Span::DUMMY,
                },
                span: Span::DUMMY,
            })
        })
}

fn script() -> impl Strategy<Value = Script> {
    let family = prop::option::of(prop::sample::select(
        &[
            Family::Ip,
            Family::Ip6,
            Family::Inet,
            Family::Arp,
            Family::Bridge,
            Family::Netdev,
        ][..],
    ));
    let table = (
        family,
        ident(),
        prop::collection::vec(prop_oneof![3 => chain(), 1 => set_decl()], 0..4),
    )
        .prop_map(|(family, name, items)| {
            TopItem::Command(Command {
                verb: Verb::Add { explicit: false },
                kind: CommandKind::Table {
                    table: TableSel::Name(TableName { family, name }),
                    body: Some(TableBody {
                        items,
                        span: Span::DUMMY,
                    }),
                },
                span: Span::DUMMY,
            })
        });
    let define = (ident(), prop_oneof![concat_rhs(), set_expr()]).prop_map(|(name, value)| {
        TopItem::Directive(Directive::Define {
            name,
            value,
            redefine: false,
            span: Span::DUMMY,
        })
    });
    prop::collection::vec(prop_oneof![1 => define, 3 => table], 0..4)
        .prop_map(|items| Script { items })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn nft_05_print_parse_round_trip_on_generated_asts(s in script()) {
        let text = print_script(&s);
        let parsed = match parse_str("gen.nft", &text, &Default::default()) {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        prop_assert_eq!(parsed.script.without_spans(), s.without_spans(), "{}", text);
        // And printing is a fixed point.
        prop_assert_eq!(print_script(&parsed.script), text);
    }
}
