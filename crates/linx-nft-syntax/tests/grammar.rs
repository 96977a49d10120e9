//! Grammar coverage (NFT-07 … NFT-14): a corpus of valid rules and declarations parses, keeps the
//! literal text of values, re-parses identically after printing, and — where nft accepts the
//! original on this kernel — nft accepts the printed form and loads the same state.

mod common;

use common::{nft_check, nft_state, scratch_file};
use linx_nft_syntax::ast::*;
use linx_nft_syntax::printer::print_script;
use linx_nft_syntax::{ParseOptions, parse_str};

/// One rule per line, with the family of the table it is tested in.
const RULES: &[(&str, &str)] = &[
    ("inet", "fib saddr . iif oif missing drop"),
    ("inet", "tcp flags syn tcp option maxseg size set rt mtu"),
    ("inet", "tcp flags syn tcp option maxseg size set 1360"),
    ("inet", "meta mark set numgen inc mod 2"),
    (
        "inet",
        "ct mark set jhash ip saddr mod 4 seed 0xdead offset 1",
    ),
    ("inet", "meta mark set symhash mod 2"),
    ("inet", "queue num 0-3 bypass,fanout"),
    ("inet", "queue flags bypass to 2"),
    ("inet", "ct count over 10 drop"),
    ("inet", "tcp dport 22 ct count 5 accept"),
    ("inet", "meta l4proto tcp socket transparent 1 accept"),
    ("inet", "ip saddr 10.0.0.1 notrack"),
    ("inet", "ct original ip saddr 1.2.3.4 accept"),
    ("inet", "ct reply proto-dst 80 accept"),
    ("inet", "ct direction original accept"),
    ("inet", "ct status snat,dnat accept"),
    ("inet", "ct zone set 1"),
    ("inet", "ct original zone set 2"),
    ("inet", "meta priority set 1:2"),
    ("inet", "meta pkttype broadcast drop"),
    ("inet", "meta cpu 1-3 accept"),
    ("inet", "meta nftrace set 1"),
    ("inet", "meta iifkind \"vrf\" accept"),
    ("inet", "ip dscp cs1 accept"),
    ("inet", "ip6 flowlabel 0x12345 accept"),
    ("inet", "ip ttl 1 drop"),
    ("inet", "ip frag-off & 0x1fff != 0 drop"),
    ("inet", "udplite csumcov 8 accept"),
    ("inet", "sctp dport 2905 accept"),
    ("inet", "sctp chunk data exists accept"),
    ("inet", "sctp chunk init init-tag 1 accept"),
    ("inet", "dccp type request accept"),
    ("inet", "ah spi 1 accept"),
    ("inet", "esp spi 1 accept"),
    ("inet", "comp cpi 1 accept"),
    ("inet", "igmp type membership-query accept"),
    ("inet", "ip option ra exists accept"),
    ("inet", "hbh nexthdr 58 accept"),
    ("inet", "frag more-fragments 1 drop"),
    ("inet", "exthdr frag exists drop"),
    ("inet", "rt seg-left 0 accept"),
    ("inet", "rt0 addr[1] ::1 accept"),
    ("inet", "srh sid[1] ::1 accept"),
    ("inet", "mh type 1 accept"),
    ("inet", "dst nexthdr 6 accept"),
    ("inet", "@nh,0,8 & 0xf0 == 0x40 accept"),
    ("inet", "@th,0,16 22 accept"),
    ("inet", "tcp option sack-perm exists accept"),
    ("inet", "tcp option timestamp tsval 1 accept"),
    ("inet", "tcp option @2,16,16 1460 accept"),
    ("inet", "th dport 53 accept"),
    ("inet", "ip saddr & 255.255.255.0 == 10.0.0.0 accept"),
    ("inet", "meta mark & 0xff00 >> 8 == 0x1 accept"),
    ("inet", "meta mark set meta mark | 0x10"),
    ("inet", "meta mark set meta mark ^ 0x10"),
    ("inet", "meta mark set meta mark << 2"),
    (
        "inet",
        "ip saddr . ip daddr vmap { 1.2.3.4 . 5.6.7.8 : drop }",
    ),
    ("inet", "ip saddr vmap { 1.2.3.4 : jump x, * : drop }"),
    ("inet", "tcp dport != { 22, 80 } drop"),
    ("inet", "tcp dport < 1024 accept"),
    ("inet", "tcp dport >= 1024 tcp dport le 2000 accept"),
    ("inet", "ip saddr != 10.0.0.0/8 drop"),
    ("inet", "tcp dport != 1-1024 drop"),
    ("inet", "meta l4proto { tcp, udp } th dport 53 accept"),
    ("inet", "iifname \"eth*\" accept"),
    ("inet", "iifname eth\\* accept"),
    (
        "inet",
        "meta iifname \"lo\" counter packets 0 bytes 0 accept",
    ),
    ("inet", "limit rate over 10 mbytes/second drop"),
    ("inet", "limit rate 1/day accept"),
    ("inet", "limit rate 10/week burst 2 packets accept"),
    ("inet", "quota until 100 kbytes used 10 kbytes accept"),
    (
        "inet",
        "log prefix \"x\" group 2 snaplen 10 queue-threshold 2",
    ),
    ("inet", "log level audit"),
    ("inet", "log flags ether"),
    ("inet", "reject with icmpv6 type no-route"),
    ("inet", "reject with icmpx type host-unreachable"),
    ("inet", "reject with icmp type 3"),
    ("inet", "meta nfproto ipv4 dnat ip to 10.0.0.1:8080"),
    ("inet", "meta nfproto ipv4 snat ip to 10.0.0.1-10.0.0.5"),
    ("inet", "meta nfproto ipv6 dnat ip6 to [2001:db8::1]:80"),
    ("inet", "meta nfproto ipv6 dnat ip6 to 2001:db8::1"),
    ("inet", "masquerade to :1024-2048 random"),
    ("inet", "redirect to :8080"),
    ("inet", "redirect to 8080"),
    ("inet", "masquerade fully-random"),
    (
        "inet",
        "meta nfproto ipv4 dnat ip addr . port to ip saddr map { 1.2.3.4 : 5.6.7.8 . 80 }",
    ),
    (
        "inet",
        "meta nfproto ipv4 dnat ip to ip saddr map { 1.2.3.4 : 5.6.7.8 }",
    ),
    (
        "inet",
        "ip daddr 1.2.3.4 jump { tcp dport 22 accept; udp dport 53 accept; }",
    ),
    ("inet", "add @s4 { ip saddr counter }"),
    (
        "inet",
        "update @s4 { ip saddr timeout 30s limit rate 10/second }",
    ),
    ("inet", "delete @s4 { ip saddr }"),
    ("inet", "meter m1 { ip saddr limit rate 10/second } accept"),
    ("inet", "flow add @ft"),
    ("inet", "synproxy mss 1460 wscale 7 timestamp sack-perm"),
    ("inet", "tproxy ip to 127.0.0.1:8080"),
    ("inet", "meta l4proto tcp tproxy to :8080"),
    ("inet", "dup to 10.0.0.1 device \"lo\""),
    ("inet", "meta secmark set \"sctx\""),
    ("inet", "ct helper set \"ftph\""),
    ("inet", "ct mark set ct mark & 0xff"),
    ("inet", "meta mark set ct mark"),
    ("inet", "ip saddr map { 1.2.3.4 : 1 } 1 accept"),
    ("inet", "reset tcp option sack-perm"),
    ("inet", "ipsec in spi 1 accept"),
    ("inet", "ipsec out ip daddr 1.2.3.4 accept"),
    ("inet", "rt classid 1:1 accept"),
    ("inet", "rt ip nexthop 1.2.3.4 accept"),
    ("inet", "osf name \"Linux\" accept"),
    ("inet", "osf ttl loose version \"Linux:3.0\" accept"),
    ("inet", "socket cgroupv2 level 1 \"user.slice\" accept"),
    (
        "inet",
        "meta time \"2022-01-01 10:00\" - \"2022-01-02 10:00\" accept",
    ),
    ("inet", "meta day \"Monday\" accept"),
    ("inet", "meta hour \"17:00\"-\"19:00\" accept"),
    ("inet", "vlan id 10 vlan pcp 3 accept"),
    ("inet", "ether type != ip6 drop"),
    ("inet", "icmpv6 type nd-router-advert icmpv6 code 0 accept"),
    ("inet", "counter name \"c1\""),
    ("inet", "quota name \"q1\" accept"),
    ("inet", "limit name \"l1\" accept"),
    ("inet", "tcp flags syn,ack / syn,ack,fin accept"),
    ("inet", "tcp flags & (syn|ack) == syn|ack accept"),
    ("inet", "ct state vmap @vm"),
    ("inet", "ip saddr @s4 accept"),
    ("inet", "ip saddr != @s4 accept"),
    ("inet", "meta mark set 1 counter accept"),
    ("inet", "ct event set new,related"),
    ("inet", "ct label set foo"),
    ("inet", "ct expectation set \"e1\""),
    ("inet", "ct timeout set \"t1\""),
    ("netdev", "fwd to \"lo\""),
    ("netdev", "dup to \"lo\""),
    ("netdev", "fwd ip to 192.168.1.1 device \"lo\""),
];

const PREAMBLE: &str = "\tset s4 { type ipv4_addr; flags dynamic,timeout; }\n\tmap vm { type ct_state : verdict; }\n\tcounter c1 { }\n\tquota q1 { over 10 mbytes; }\n\tlimit l1 { rate 10/second; }\n\tchain x { }\n";

fn wrap(family: &str, rule: &str) -> String {
    if family == "netdev" {
        format!(
            "table netdev t {{\n\tchain c {{\n\t\ttype filter hook ingress device \"lo\" priority 0;\n\t\t{rule}\n\t}}\n}}\n"
        )
    } else {
        format!("table {family} t {{\n{PREAMBLE}\tchain c {{\n\t\t{rule}\n\t}}\n}}\n")
    }
}

fn parse(text: &str) -> Script {
    parse_str("test.nft", text, &ParseOptions::default())
        .unwrap_or_else(|e| panic!("does not parse:\n{e}\n{text}"))
        .script
}

fn roundtrip(text: &str) -> Script {
    let ast = parse(text);
    let printed = print_script(&ast);
    let again = parse_str("printed.nft", &printed, &ParseOptions::default())
        .unwrap_or_else(|e| panic!("printed form does not parse:\n{e}\n{printed}"))
        .script;
    assert_eq!(ast.without_spans(), again.without_spans(), "{printed}");
    ast
}

/// The statements of the only rule of the chain `c` of the first table.
fn rule_stmts(text: &str) -> Vec<Stmt> {
    let s = roundtrip(text);
    for item in s.items {
        let TopItem::Command(Command {
            kind: CommandKind::Table { body: Some(b), .. },
            ..
        }) = item
        else {
            continue;
        };
        for ti in b.items {
            if let TableItem::Chain(c) = ti {
                if c.name.name == "c" {
                    for ci in c.body.items {
                        if let ChainItem::Rule(r) = ci {
                            return r.stmts;
                        }
                    }
                }
            }
        }
    }
    panic!("no rule in\n{text}");
}

fn one_rule(rule: &str) -> Vec<Stmt> {
    rule_stmts(&wrap("inet", rule))
}

#[test]
fn nft_12_nft_13_nft_14_rule_corpus_parses_and_round_trips() {
    for (family, rule) in RULES {
        roundtrip(&wrap(family, rule));
    }
}

#[test]
fn nft_12_nft_13_nft_14_rule_corpus_printed_form_accepted_by_nft() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    let mut checked = 0;
    for (family, rule) in RULES {
        let text = wrap(family, rule);
        let original = scratch_file("orig.nft", &text);
        if nft_check(&original).is_err() {
            // Not loadable on this kernel or rejected by nft's evaluator (not a syntax matter).
            continue;
        }
        let printed = scratch_file("printed.nft", &print_script(&parse(&text)));
        if let Err(e) = nft_check(&printed) {
            panic!("nft rejects the printed form of `{rule}`:\n{e}");
        }
        let a = nft_state(&original).unwrap_or_else(|e| panic!("{e}"));
        let b = nft_state(&printed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b, "`{rule}` loads differently once printed");
        checked += 1;
    }
    assert!(checked > 80, "only {checked} rules loadable");
}

#[test]
fn nft_13_symbolic_values_keep_their_literal_text() {
    for (rule, want) in [
        ("tcp dport ssh", ExprKind::Symbol("ssh".into())),
        ("tcp dport 22", ExprKind::Number(Num::new("22"))),
        ("tcp dport 0x16", ExprKind::Number(Num::new("0x16"))),
        ("tcp dport 026", ExprKind::Number(Num::new("026"))),
        ("iifname \"lo\"", ExprKind::Quoted("lo".into())),
        ("iifname eth*", ExprKind::Asterisk("eth*".into())),
        ("ip protocol tcp", ExprKind::Symbol("tcp".into())),
        ("ether type ip6", ExprKind::Symbol("ip6".into())),
        ("tcp option sack-perm exists", ExprKind::Bool(true)),
    ] {
        let stmts = one_rule(rule);
        let StmtKind::Match { right, op, .. } = &stmts[0].kind else {
            panic!("{rule}: not a match");
        };
        assert_eq!(*op, RelOp::Implicit);
        let mut got = right.clone();
        if let ExprKind::Number(n) = &mut got.kind {
            n.span = linx_nft_syntax::Span::DUMMY;
        }
        assert_eq!(got.kind, want, "{rule}");
    }
}

#[test]
fn nft_13_lists_masks_prefixes_ranges() {
    let s = one_rule("ct state established,related accept");
    let StmtKind::Match { right, .. } = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::List(v) if v.len() == 2));

    let s = one_rule("tcp flags syn / fin,syn,rst,ack accept");
    let StmtKind::Match { right, .. } = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::Masked { .. }));

    let s = one_rule("tcp flags syn / 2 accept");
    let StmtKind::Match { right, .. } = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::Prefix { .. }));

    let s = one_rule("ip saddr 10.0.0.0/8 tcp dport 1-1024 accept");
    let StmtKind::Match { right, .. } = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::Prefix { .. }));
    let StmtKind::Match { right, .. } = &s[1].kind else {
        panic!()
    };
    assert!(matches!(&right.kind, ExprKind::Range { .. }));

    let s = one_rule("ip saddr . tcp dport { 10.0.0.0/24 . 80-443 } accept");
    let StmtKind::Match { left, right, .. } = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&left.kind, ExprKind::Concat(v) if v.len() == 2));
    let ExprKind::Set(elems) = &right.kind else {
        panic!()
    };
    assert!(matches!(&elems[0].key.kind, ExprKind::Concat(v)
        if matches!(v[0].kind, ExprKind::Prefix { .. }) && matches!(v[1].kind, ExprKind::Range { .. })));

    let s = one_rule("ct mark & 0x00ff == 0x0001 accept");
    let StmtKind::Match { left, op, .. } = &s[0].kind else {
        panic!()
    };
    assert_eq!(*op, RelOp::Eq);
    assert!(matches!(
        &left.kind,
        ExprKind::Binary { op: BinOp::And, .. }
    ));

    let s = one_rule("tcp flags & (fin|syn) == fin|syn drop");
    let StmtKind::Match { left, right, .. } = &s[0].kind else {
        panic!()
    };
    let ExprKind::Binary { right: mask, .. } = &left.kind else {
        panic!()
    };
    assert!(matches!(mask.kind, ExprKind::Binary { op: BinOp::Or, .. }));
    assert!(matches!(right.kind, ExprKind::Binary { op: BinOp::Or, .. }));

    let s = one_rule("ip saddr != @s4 drop");
    let StmtKind::Match { op, right, .. } = &s[0].kind else {
        panic!()
    };
    assert_eq!(*op, RelOp::Ne);
    assert!(matches!(&right.kind, ExprKind::SetRef(i) if i.name == "s4"));
}

#[test]
fn nft_12_selectors() {
    let s = one_rule("iifname \"lo\" meta l4proto tcp meta mark 1 ct original ip saddr 1.2.3.4");
    assert!(matches!(
        &s[0].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Meta {
                    key: "iifname",
                    explicit: false
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[1].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Meta {
                    key: "l4proto",
                    explicit: true
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[2].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Meta {
                    key: "mark",
                    explicit: true
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[3].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Ct {
                    dir: Some(CtDir::Original),
                    proto: Some(NfProto::Ip),
                    key: "saddr"
                },
                ..
            },
            ..
        }
    ));

    let s = one_rule(
        "arp saddr ip 1.2.3.4 @nh,0,8 1 tcp option maxseg size 1460 fib saddr . iif oif missing",
    );
    assert!(matches!(
        &s[0].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Payload {
                    proto: PayloadProto::Arp,
                    field: "saddr ip"
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[1].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::RawPayload {
                    base: RawBase::Nh,
                    ..
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[2].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::TcpOption {
                    field: Some("size"),
                    ..
                },
                ..
            },
            ..
        }
    ));
    let StmtKind::Match { left, .. } = &s[3].kind else {
        panic!()
    };
    assert!(
        matches!(&left.kind, ExprKind::Fib { flags, result: "oif" } if flags == &vec!["saddr", "iif"])
    );

    // `rt` is the routing header with a header field, the route expression otherwise.
    let s = one_rule("rt seg-left 0 rt mtu 1500");
    assert!(matches!(
        &s[0].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Exthdr {
                    hdr: ExthdrKind::Rt,
                    ..
                },
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        &s[1].kind,
        StmtKind::Match {
            left: Expr {
                kind: ExprKind::Rt { key: "mtu", .. },
                ..
            },
            ..
        }
    ));
}

#[test]
fn nft_14_statements() {
    let s = one_rule("meta nfproto ipv4 dnat ip to 10.0.0.1:8080");
    let StmtKind::Nat(n) = &s[1].kind else {
        panic!()
    };
    assert_eq!(
        (n.kind, n.family, n.to),
        (NatKind::Dnat, Some(NfProto::Ip), true)
    );
    assert!(n.addr.is_some() && n.port.is_some());

    let s = one_rule("tcp dport 22 snat to 192.0.2.1:1024-65535 random,persistent");
    let StmtKind::Nat(n) = &s[1].kind else {
        panic!()
    };
    assert!(matches!(
        n.port.as_ref().map(|p| &p.kind),
        Some(ExprKind::Range { .. })
    ));
    assert_eq!(n.flags, vec![NatFlag::Random, NatFlag::Persistent]);

    let s = one_rule("dnat to tcp dport map { 80 : 10.0.0.1 }");
    let StmtKind::Nat(n) = &s[0].kind else {
        panic!()
    };
    assert!(matches!(
        n.addr.as_ref().map(|a| &a.kind),
        Some(ExprKind::Map { .. })
    ));

    let s = one_rule(
        "update @s4 { ip saddr timeout 5m limit rate over 300/minute } add @s4 { ip saddr }",
    );
    let StmtKind::Set(u) = &s[0].kind else {
        panic!()
    };
    assert_eq!(u.op, SetOp::Update);
    assert!(u.options.timeout.is_some());
    assert!(matches!(
        u.stmts[0].kind,
        StmtKind::Limit(LimitRate {
            mode: Some(RateMode::Over),
            ..
        })
    ));

    let s = one_rule(
        "limit rate over 20 mbytes/second burst 4 mbytes counter quota until 10 kbytes used 1 kbytes log prefix \"p\" level info flags tcp sequence,options flags ip options",
    );
    assert!(matches!(
        &s[0].kind,
        StmtKind::Limit(LimitRate {
            rate: Rate::Bytes {
                per: TimeUnit::Second,
                ..
            },
            burst: Some(Burst::Bytes(_)),
            ..
        })
    ));
    assert!(matches!(
        &s[2].kind,
        StmtKind::Quota(QuotaSpec { used: Some(_), .. })
    ));
    let StmtKind::Log(l) = &s[3].kind else {
        panic!()
    };
    assert_eq!(l.flags.len(), 2);

    let s = one_rule("queue num 0-3 bypass,fanout");
    let StmtKind::Queue(q) = &s[0].kind else {
        panic!()
    };
    assert_eq!(q.flags, vec![QueueFlag::Bypass, QueueFlag::Fanout]);

    let s = one_rule("meta mark set ct mark and 0xff ct mark set iifname map { \"eth0\" : 1 }");
    assert!(matches!(&s[0].kind, StmtKind::MetaSet { key: "mark", .. }));
    assert!(matches!(
        &s[1].kind,
        StmtKind::CtSet {
            key: "mark",
            value: Expr {
                kind: ExprKind::Map { .. },
                ..
            },
            ..
        }
    ));

    let s = one_rule("reject with icmpx type admin-prohibited");
    assert!(matches!(
        &s[0].kind,
        StmtKind::Reject(Some(RejectWith::Icmpx(_)))
    ));

    let s = one_rule("ct state vmap { established : accept, related : accept, invalid : drop }");
    assert!(matches!(&s[0].kind, StmtKind::VerdictMap { .. }));

    let s = one_rule("ip daddr 1.2.3.4 jump { tcp dport 22 accept; udp dport 53 accept; }");
    assert!(matches!(&s[1].kind, StmtKind::Chain { goto: false, rules } if rules.len() == 2));
}

#[test]
fn nft_10_chain_bodies() {
    let text = "define p = -10\ntable netdev t {\n\tchain a {\n\t\ttype filter hook ingress devices = { \"lo\", eth0 } priority -500; policy drop;\n\t\tcomment \"x\"\n\t}\n\tchain b {\n\t\ttype filter hook ingress device lo priority filter + 10\n\t\tpolicy accept\n\t}\n\tchain c {\n\t\ttype filter hook ingress device $p priority $p;\n\t}\n\tchain d { type filter hook ingress device \"lo\" priority raw - 5; }\n}\n";
    let s = roundtrip(text);
    let TopItem::Command(Command {
        kind: CommandKind::Table { body: Some(b), .. },
        ..
    }) = &s.items[1]
    else {
        panic!()
    };
    let mut prios = Vec::new();
    for it in &b.items {
        let TableItem::Chain(c) = it else { continue };
        for ci in &c.body.items {
            if let ChainItem::Hook(h) = ci {
                prios.push(h.priority.value.clone());
            }
        }
    }
    assert!(
        matches!(&prios[0], PriorityValue::Number { negative: true, value } if value.text == "500")
    );
    assert!(
        matches!(&prios[1], PriorityValue::Named { name, offset: Some((false, n)) } if name.name == "filter" && n.text == "10")
    );
    assert!(matches!(&prios[2], PriorityValue::Var(v) if v.name == "p"));
    assert!(matches!(
        &prios[3],
        PriorityValue::Named {
            offset: Some((true, _)),
            ..
        }
    ));
}

#[test]
fn nft_09_nft_11_table_and_set_bodies() {
    let text = r#"table ip t {
	flags dormant
	comment "a table"
	counter c1 {
		packets 10 bytes 20
		comment "ccc"
	}
	quota q1 { until 10 mbytes used 1 mbytes; comment "qq"; }
	limit l1 { rate over 1 mbytes/second burst 10 kbytes; comment "ll" }
	ct helper h { type "ftp" protocol tcp; l3proto ip; }
	ct timeout to { protocol tcp; l3proto ip; policy = { established: 100, close: 10 }; }
	ct expectation e { protocol tcp; dport 21; timeout 10s; size 8; l3proto ip; }
	secmark sm { "system_u:object_r:ssh_server_packet_t:s0" }
	synproxy sp { mss 1460 wscale 7 timestamp sack-perm }
	flowtable ft { hook ingress priority filter; devices = { lo, "eth0" }; counter }
	map cm {
		type ipv4_addr : counter
		elements = { 1.2.3.4 : "c1" }
	}
	set s1 {
		typeof ip saddr . tcp dport
		flags interval
		auto-merge
		elements = { 10.0.0.0/8 . 22-23 }
	}
	set s2 {
		type ipv4_addr
		size 100
		policy memory
		flags timeout
		gc-interval 1m
		timeout 1h30m
		elements = { 1.2.3.4 timeout 10s comment "x", 5.6.7.8 expires 5s }
	}
	set s3 {
		type ipv4_addr
		counter
		elements = { 1.2.3.4 counter packets 1 bytes 2 }
	}
	map m2 {
		typeof ip saddr : meta mark
		elements = { 1.2.3.4 : 0x1, * : 0x2 }
	}
	map m3 {
		type ipv4_addr : interval ipv4_addr
		flags interval
		elements = { 10.0.0.0/8 : 192.168.0.0/24 }
	}
	set s4 { type ipv4_addr; elements = { 1.2.3.4 } }
}
"#;
    let s = roundtrip(text);
    let TopItem::Command(Command {
        kind: CommandKind::Table { body: Some(b), .. },
        ..
    }) = &s.items[0]
    else {
        panic!()
    };
    let kinds: Vec<ObjectKind> = b
        .items
        .iter()
        .filter_map(|i| match i {
            TableItem::Object(o) => Some(o.kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ObjectKind::Counter,
            ObjectKind::Quota,
            ObjectKind::Limit,
            ObjectKind::CtHelper,
            ObjectKind::CtTimeout,
            ObjectKind::CtExpectation,
            ObjectKind::Secmark,
            ObjectKind::Synproxy
        ]
    );
    assert!(b.items.iter().any(|i| matches!(i, TableItem::Flowtable(_))));
    let sets = b
        .items
        .iter()
        .filter(|i| matches!(i, TableItem::Set(_)))
        .count();
    assert_eq!(sets, 7);
}

#[test]
fn nft_08_command_forms() {
    let text = "add table inet t
add chain inet t c { type filter hook input priority 0; policy accept; }
add chain inet t d
add rule inet t c tcp dport 22 accept
insert rule inet t c position 0 udp dport 53 accept
add rule inet t c index 0 counter
add rule inet t c handle 4 counter
replace rule inet t c handle 3 accept
delete rule inet t c handle 2
add set inet t s { type ipv4_addr; flags interval; }
add element inet t s { 10.0.0.0/8, 192.168.1.1 }
add map inet t m { type ipv4_addr : verdict; }
add element inet t m { 1.2.3.4 : drop }
add counter inet t cnt
add counter inet t cnt2 packets 1 bytes 2
add quota inet t q over 10 mbytes
add limit inet t l rate 10/second
add secmark inet t sm \"ctx\"
add synproxy inet t sp mss 1460 wscale 7
add ct helper inet t h { type \"ftp\" protocol tcp; }
add flowtable inet t f { hook ingress priority 0; devices = { lo }; }
create table inet t2
create chain inet t2 c
create set inet t2 s { type ipv4_addr; }
create counter inet t2 c packets 0 bytes 0
flush chain inet t c
flush set inet t s
flush map inet t m
flush table inet t2
flush ruleset
flush ruleset ip
delete element inet t s { 192.168.1.1 }
delete chain inet t d
delete chain inet t handle 5
delete set inet t2 s
delete set inet t handle 9
delete map inet t m
delete counter inet t cnt2
delete quota inet t handle 3
delete ct helper inet t h
delete flowtable inet t f
delete flowtable inet t handle 2
delete table inet t2
delete table handle 7
reset counters
reset counters inet
reset quotas table inet t
reset counter inet t cnt
inet t c ip saddr 1.1.1.1 drop
add inet t c ip saddr 1.1.1.2 drop
t c accept
";
    let s = roundtrip(text);
    let verbs: Vec<Verb> = s
        .items
        .iter()
        .filter_map(|i| match i {
            TopItem::Command(c) => Some(c.verb),
            _ => None,
        })
        .collect();
    assert_eq!(verbs.len(), 51);
    assert!(verbs.contains(&Verb::Insert));
    assert!(verbs.contains(&Verb::Replace));
    assert!(verbs.contains(&Verb::Create));
    assert!(verbs.contains(&Verb::Reset));
    assert_eq!(verbs.last(), Some(&Verb::Add { explicit: false }));
}

#[test]
fn nft_08_destroy_needs_extensions() {
    let text = "destroy table inet t\ndestroy chain inet t c\n";
    let e = parse_str("d.nft", text, &ParseOptions::default()).unwrap_err();
    assert_eq!(e.diagnostics.errors().count(), 2);
    assert!(
        e.diagnostics
            .iter()
            .all(|d| d.class == linx_nft_syntax::diag::Class::Unsupported)
    );
    let opts = ParseOptions { extensions: true };
    let p = parse_str("d.nft", text, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        &p.script.items[0],
        TopItem::Command(Command {
            verb: Verb::Destroy,
            ..
        })
    ));
    let printed = print_script(&p.script);
    let again = parse_str("p.nft", &printed, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.script.without_spans(), again.script.without_spans());
}

/// The reset forms of nftables ≥ 1.0.8 (`reset rules …`, `reset rule … handle N`,
/// `reset element`, `reset set`, `reset map`): without extensions each is refused with nft
/// 1.0.6's own syntax error at the word after `reset`; with them each parses to its command and
/// prints back to text that parses to the same tree.
#[test]
fn nft_08_reset_forms_need_extensions() {
    const NFT_106: &str = "expecting counter or counters or quotas or quota";
    let cases: &[(&str, &str)] = &[
        ("reset rules", "string"),
        ("reset rules ip", "string"),
        ("reset rules table ip t", "string"),
        ("reset rules chain t c", "string"),
        ("reset rule ip t c handle 3", "rule"),
        ("reset element ip t s { 1.2.3.4 }", "element"),
        ("reset set ip t s", "set"),
        ("reset map ip t m", "map"),
    ];
    for (text, unexpected) in cases {
        let e = parse_str("r.nft", &format!("{text}\n"), &ParseOptions::default()).unwrap_err();
        let d = e.diagnostics.errors().next().unwrap();
        assert_eq!(
            d.message,
            format!("syntax error, unexpected {unexpected}, {NFT_106}"),
            "{text}"
        );
        // Located at the word after `reset`, as nft's caret.
        let word = text[6..].split(' ').next().unwrap();
        let span = d.span.unwrap();
        assert_eq!((span.start, span.end), (6, 6 + word.len() as u32), "{text}");
    }
    let opts = ParseOptions { extensions: true };
    let text = "reset rules
reset rules inet
reset rules t
reset rules table t
reset rules table ip6 t
reset rules ip t c
reset rules t c
reset rules chain inet t c
reset rule inet t c handle 7
reset rule t c handle 7
reset element inet t s { 1.2.3.4, 5.6.7.8 }
reset element t m { 1.2.3.4 . 80 }
reset set inet t s
reset map t m
reset counters ip
reset quota inet t q
";
    let p = parse_str("r.nft", text, &opts).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&CommandKind> = p
        .script
        .items
        .iter()
        .map(|i| match i {
            TopItem::Command(c) => {
                assert_eq!(c.verb, Verb::Reset);
                &c.kind
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let rules = |k: &CommandKind| match k {
        CommandKind::ResetRules {
            family,
            table,
            chain,
        } => (
            *family,
            table.as_ref().map(|t| (t.family, t.name.name.clone())),
            chain.as_ref().map(|c| c.name.clone()),
        ),
        other => panic!("{other:?}"),
    };
    let t = |f: Option<Family>| Some((f, "t".to_string()));
    let c = Some("c".to_string());
    assert_eq!(rules(kinds[0]), (None, None, None));
    assert_eq!(rules(kinds[1]), (Some(Family::Inet), None, None));
    assert_eq!(rules(kinds[2]), (None, t(None), None));
    assert_eq!(rules(kinds[3]), (None, t(None), None));
    assert_eq!(rules(kinds[4]), (None, t(Some(Family::Ip6)), None));
    assert_eq!(rules(kinds[5]), (None, t(Some(Family::Ip)), c.clone()));
    assert_eq!(rules(kinds[6]), (None, t(None), c.clone()));
    assert_eq!(rules(kinds[7]), (None, t(Some(Family::Inet)), c.clone()));
    assert!(matches!(
        kinds[8],
        CommandKind::Rule {
            position: Some(RulePosition::Handle(_)),
            rule: None,
            ..
        }
    ));
    assert!(matches!(kinds[10], CommandKind::Element { .. }));
    assert!(matches!(
        kinds[12],
        CommandKind::Set {
            map: false,
            body: None,
            ..
        }
    ));
    assert!(matches!(
        kinds[13],
        CommandKind::Set {
            map: true,
            body: None,
            ..
        }
    ));
    let printed = print_script(&p.script);
    assert!(printed.contains("reset rules chain ip t c\n"), "{printed}");
    assert!(printed.contains("reset rules table t\n"), "{printed}");
    let again = parse_str("p.nft", &printed, &opts).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(p.script.without_spans(), again.script.without_spans());
    // Malformed forms are syntax errors, located.
    for bad in [
        "reset rule inet t c 7",
        "reset rules chain inet t",
        "reset element inet t s",
        "reset rules t c d",
    ] {
        let e = parse_str("b.nft", &format!("{bad}\n"), &opts).unwrap_err();
        assert!(e.diagnostics.has_errors(), "{bad}");
    }
}

#[test]
fn nft_07_top_level_directives_and_separators() {
    let text = "#!/usr/sbin/nft -f\ninclude \"a.nft\"\ndefine A = 1; define B = { 1, 2 }\nredefine A = 2\nundefine B\nflush ruleset; add table ip t\n";
    let s = roundtrip(text);
    assert_eq!(s.items.len(), 7);
    assert!(matches!(
        &s.items[0],
        TopItem::Directive(Directive::Include { .. })
    ));
    assert!(matches!(
        &s.items[3],
        TopItem::Directive(Directive::Define { redefine: true, .. })
    ));
    assert!(matches!(
        &s.items[4],
        TopItem::Directive(Directive::Undefine { .. })
    ));
    assert!(matches!(
        &s.items[5],
        TopItem::Command(Command {
            kind: CommandKind::Ruleset { family: None },
            verb: Verb::Flush,
            ..
        })
    ));
}

#[test]
fn nft_14_last_needs_extensions() {
    let text = wrap("inet", "tcp dport 22 last used never");
    assert!(parse_str("l.nft", &text, &ParseOptions::default()).is_err());
    let p = parse_str("l.nft", &text, &ParseOptions { extensions: true });
    assert!(p.is_ok());
}

#[test]
fn nft_06_context_sensitive_keywords() {
    // Words that are keywords only inside some expressions are fine as names (as in nft).
    let text = "table inet filter {\n\tset saddr {\n\t\ttype ipv4_addr\n\t}\n\tchain state {\n\t\tip daddr @saddr accept\n\t}\n\tchain input {\n\t\tjump state\n\t}\n\tchain dport {\n\t}\n}\n";
    roundtrip(text);
    // Words nft always scans as keywords are not names.
    for bad in [
        "chain ip {",
        "chain counter {",
        "set meta {",
        "chain time {",
    ] {
        let text = format!("table inet t {{\n\t{bad}\n\t}}\n}}\n");
        assert!(
            parse_str("k.nft", &text, &ParseOptions::default()).is_err(),
            "{bad}"
        );
    }
    // Protocol keywords are values on the right-hand side.
    let s = one_rule("meta l4proto { tcp, udp, icmp, icmpv6 } ip protocol esp ether type vlan");
    assert_eq!(s.len(), 3);
}

#[test]
fn nft_24_timeouts_take_a_variable() {
    let s = one_rule("update @s4 { ip saddr timeout $t } add @s4 { ip saddr timeout 5m }");
    let StmtKind::Set(u) = &s[0].kind else {
        panic!()
    };
    assert!(matches!(&u.options.timeout, Some(TimeValue::Var(v)) if v.name == "t"));
    let StmtKind::Set(a) = &s[1].kind else {
        panic!()
    };
    assert!(matches!(&a.options.timeout, Some(TimeValue::Lit(l)) if l.text == "5m"));
    let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\ttimeout $life\n\t\telements = { 10.0.0.1 timeout $e }\n\t}\n}\n";
    let ast = roundtrip(text);
    assert_eq!(print_script(&ast), text);
}

#[test]
fn nft_24_rates_and_quotas_take_a_variable() {
    let s = one_rule(
        "limit rate over $n/second burst 5 packets limit rate $b kbytes/minute quota over $q quota $m mbytes",
    );
    let StmtKind::Limit(LimitRate {
        rate:
            Rate::Packets {
                count: Count::Var(v),
                per: TimeUnit::Second,
            },
        ..
    }) = &s[0].kind
    else {
        panic!("{:?}", s[0].kind)
    };
    assert_eq!(v.name, "n");
    assert!(
        matches!(&s[1].kind, StmtKind::Limit(LimitRate { rate: Rate::Bytes { amount, per: TimeUnit::Minute }, .. })
        if matches!(&amount.amount, Count::Var(v) if v.name == "b") && amount.unit == "kbytes")
    );
    assert!(matches!(&s[2].kind, StmtKind::Quota(q)
        if matches!(&q.amount.amount, Count::Var(v) if v.name == "q") && q.amount.unit.is_empty()));
    assert!(matches!(&s[3].kind, StmtKind::Quota(q)
        if matches!(&q.amount.amount, Count::Var(v) if v.name == "m") && q.amount.unit == "mbytes"));
    // A bad unit after the variable is still an error.
    let text = wrap("inet", "limit rate $n/fortnight accept");
    assert!(parse_str("test.nft", &text, &ParseOptions::default()).is_err());
}

#[test]
fn nft_24_bursts_used_expires_and_gc_interval_take_a_variable() {
    let s = one_rule(
        "limit rate 5/second burst $b packets limit rate 1 mbytes/second burst $k kbytes quota 5 mbytes used $u quota 5 mbytes used $w kbytes",
    );
    assert!(
        matches!(&s[0].kind, StmtKind::Limit(LimitRate { burst: Some(Burst::Packets(Count::Var(v))), .. }) if v.name == "b")
    );
    assert!(
        matches!(&s[1].kind, StmtKind::Limit(LimitRate { burst: Some(Burst::Bytes(b)), .. })
        if matches!(&b.amount, Count::Var(v) if v.name == "k") && b.unit == "kbytes")
    );
    assert!(
        matches!(&s[2].kind, StmtKind::Quota(QuotaSpec { used: Some(u), .. })
        if matches!(&u.amount, Count::Var(v) if v.name == "u") && u.unit.is_empty())
    );
    assert!(
        matches!(&s[3].kind, StmtKind::Quota(QuotaSpec { used: Some(u), .. })
        if matches!(&u.amount, Count::Var(v) if v.name == "w") && u.unit == "kbytes")
    );
    // Printed back as written, and parsed again to the same tree.
    let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\tgc-interval $g\n\t\telements = { 10.0.0.1 expires $e }\n\t}\n\n\tquota q {\n\t\tover $n mbytes used $m\n\t}\n\n\tchain c {\n\t\tlimit rate 5/second burst $b packets\n\t}\n}\n";
    let ast = roundtrip(text);
    assert_eq!(print_script(&ast), text);
    // A literal zero burst is refused by the parser (as nft does); a variable at load.
    let text = wrap("inet", "limit rate 5/second burst 0 packets");
    assert!(parse_str("test.nft", &text, &ParseOptions::default()).is_err());
}
