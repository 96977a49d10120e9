//! The compile-time nft macros (NFT-23, NFT-24, NFT-25): `linx::nft!` and `linx::nft_file!`.
//!
//! Offline tests compare the program a macro builds with the program compiled from the same
//! text at run time (bytecode and message count); the kernel tests apply a macro-built script
//! in a fresh network namespace and compare with `nft -f` of the same text in another one.

#![cfg(feature = "netfilter")]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use linx::Ipv4Prefix;
use linx::netfilter::builder::{CtDirection, CtState, CtStatus, PktType, TcpFlags};
use linx::nft::{CompileEnv, Program, Script, ScriptError, StaticIfResolver};
use linx::ns::NsTarget;
use linx_testkit::{NetNs, require_root, require_tool};

fn resolver() -> StaticIfResolver {
    StaticIfResolver::new([("lo", 1), ("eth0", 2)])
}

fn offline(s: &Script) -> Program {
    let r = resolver();
    match s.compile(&CompileEnv::new(&r)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn from_text(text: &str) -> Program {
    let src = match linx::nft::load_str("t.nft", text, &Default::default()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let r = resolver();
    match linx::nft::compile(&src, &CompileEnv::new(&r)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn assert_same(got: &Program, want: &Program) {
    assert_eq!(got.bytecode(), want.bytecode());
    assert_eq!(got.len(), want.len());
    assert_eq!(
        got.ruleset().expect("decodes"),
        want.ruleset().expect("decodes")
    );
}

const FILTER: &str = "table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iifname \"lo\" accept
		tcp dport { 22, 80, 443 } counter accept
		ip saddr 10.0.0.0/8 udp dport 53 accept # dns
		ip6 saddr fe80::/10 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
";

#[test]
fn nft_23_token_form_builds_the_same_program_as_the_text() {
    let s = linx::nft! {
        table inet filter {
            chain input {
                type filter hook input priority 0; policy drop;
                ct state established,related accept
                iifname "lo" accept
                tcp dport { 22, 80, 443 } counter accept
                ip saddr 10.0.0.0/8 udp dport 53 accept # dns
                ip6 saddr fe80::/10 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
            }
        }
    };
    assert_same(&offline(&s), &from_text(FILTER));
    // The recovered text keeps the statements on their lines.
    let text = s.sources().text(linx::nft::syntax::FileId(0));
    assert!(
        text.contains("tcp dport { 22, 80, 443 } counter accept\n"),
        "{text}"
    );
    assert!(
        text.contains("ip saddr 10.0.0.0/8 udp dport 53 accept # dns\n"),
        "{text}"
    );
}

#[test]
fn nft_23_literal_form_builds_the_same_program_as_the_text() {
    let s = linx::nft!(
        r#"table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iifname "lo" accept
		tcp dport { 22, 80, 443 } counter accept
		ip saddr 10.0.0.0/8 udp dport 53 accept # dns
		ip6 saddr fe80::/10 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
"#
    );
    assert_same(&offline(&s), &from_text(FILTER));
    // What Rust cannot tokenize is fine in the literal form: an apostrophe in a comment and
    // a line continuation.
    let s = linx::nft!(
        r"# don't panic
table ip t {
	chain c {
		tcp dport 22 \
			accept
	}
}
"
    );
    assert_same(
        &offline(&s),
        &from_text("table ip t {\n\tchain c {\n\t\ttcp dport 22 accept\n\t}\n}\n"),
    );
}

#[test]
fn nft_23_defines_are_expanded_at_compile_time() {
    let s = linx::nft! {
        define ports = { 22, 2222 }
        define lan = 192.168.0.0/16
        table ip t {
            chain c {
                ip saddr $lan tcp dport $ports accept
            }
        }
    };
    assert_same(
        &offline(&s),
        &from_text(
            "table ip t {\n\tchain c {\n\t\tip saddr 192.168.0.0/16 tcp dport { 22, 2222 } accept\n\t}\n}\n",
        ),
    );
}

#[test]
fn nft_24_interpolations_take_rust_values_by_position() {
    let port: u16 = 8080;
    let admin = Ipv4Addr::new(192, 0, 2, 7);
    let lan: Ipv4Prefix = "10.1.0.0/16".parse().unwrap();
    let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let wan = String::from("eth0");
    let mark: u32 = 0x10;
    let target = "allowed";
    let s = linx::nft!(
        port = port, admin = admin, lan = lan, v6 = v6, wan = wan.as_str(), fwmark = mark,
        target = target, lo = 1000u16, hi = 2000u16;
        {
            table inet t {
                chain allowed {
                    counter accept
                }
                chain c {
                    type filter hook input priority 0; policy accept;
                    tcp dport $port accept
                    ip saddr $admin accept
                    ip saddr $lan tcp dport { $lo, $hi, 22 } accept
                    ip6 daddr $v6 accept
                    iifname $wan meta mark $fwmark jump $target
                }
            }
        }
    );
    let text = "table inet t {
	chain allowed {
		counter accept
	}
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 8080 accept
		ip saddr 192.0.2.7 accept
		ip saddr 10.1.0.0/16 tcp dport { 1000, 2000, 22 } accept
		ip6 daddr 2001:db8::1 accept
		iifname \"eth0\" meta mark 0x10 jump allowed
	}
}
";
    assert_same(&offline(&s), &from_text(text));
    assert_eq!(s.bindings().len(), 9);
}

#[test]
fn nft_24_interpolations_in_sets_nat_devices_and_defines() {
    let host = Ipv4Addr::new(10, 0, 0, 2);
    let s = linx::nft!(host = host, web = 8080u16, a = 22u16, b = 443u16, dev = "lo"; {
        define both = { $a, $b }
        table ip nat {
            set ports {
                type inet_service
                elements = { $a, $b }
            }
            chain pre {
                type nat hook prerouting priority dstnat; policy accept;
                tcp dport $both dnat to $host:$web
            }
        }
        table netdev edge {
            chain ingress {
                type filter hook ingress device $dev priority 0; policy accept;
                counter
            }
        }
    });
    let text = "table ip nat {
	set ports {
		type inet_service
		elements = { 22, 443 }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport { 22, 443 } dnat to 10.0.0.2:8080
	}
}
table netdev edge {
	chain ingress {
		type filter hook ingress device \"lo\" priority 0; policy accept;
		counter
	}
}
";
    assert_same(&offline(&s), &from_text(text));
}

#[test]
fn nft_24_values_checked_at_load_are_input_errors_naming_the_variable() {
    let wan = "a-name-longer-than-15-bytes";
    let s = linx::nft!(wan = wan; { table inet t { chain c { iifname $wan accept; }; } });
    let r = resolver();
    match s.compile(&CompileEnv::new(&r)) {
        Err(ScriptError::Input(e)) => {
            let m = e.to_string();
            assert!(m.contains("$wan"), "{m}");
            assert!(m.contains(wan), "{m}");
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    // The expression is evaluated once, when the macro's expression is.
    let mut calls = 0;
    let mut next = || {
        calls += 1;
        22u16
    };
    let s = linx::nft!(p = next(); { table inet t { chain c { tcp dport $p accept; tcp sport $p accept; }; } });
    assert_eq!(calls, 1);
    assert_eq!(offline(&s).len(), 4);
}

/// Integer fields, `set` statements and map data, as the macro builds them (shared by the
/// offline and the kernel test), and the same text written out.
fn integers_and_maps() -> (Script, &'static str) {
    let ttl: u8 = 64;
    let dscp: u8 = 46;
    let len: u16 = 1500;
    let proto: u8 = 17;
    let mlen: u32 = 1000;
    let uid: u32 = 1000;
    let zone: u16 = 7;
    let pkts: u64 = 1_000_000;
    let win: u16 = 512;
    let port: u16 = 8080;
    let mark: u32 = 0x2a;
    let to = Ipv4Addr::new(192, 0, 2, 1);
    let fl: u32 = 0xabcde;
    let hl: u8 = 255;
    let vid: u16 = 100;
    let s = linx::nft!(
        ttl = ttl, dscp = dscp, len = len, proto = proto, mlen = mlen, uid = uid, zone = zone,
        pkts = pkts, win = win, port = port, fwmark = mark, to = to, fl = fl, hl = hl, vid = vid;
        {
            table ip t {
                map ports {
                    type ipv4_addr : inet_service
                    elements = { 10.0.0.1 : $port }
                }
                map marks {
                    typeof ip saddr : meta mark
                    elements = { 10.0.0.2 : $fwmark }
                }
                chain c {
                    type filter hook input priority 0; policy accept;
                    ip ttl $ttl ip dscp $dscp ip length { $len, 100 } accept
                    meta l4proto $proto meta length > $mlen meta skuid $uid accept
                    ct zone $zone ct packets > $pkts accept
                    ip protocol tcp tcp window $win accept
                    meta mark set ip saddr map { 10.0.0.3 : $fwmark }
                    tcp dport vmap { $port : accept }
                }
                chain raw {
                    type filter hook prerouting priority raw; policy accept;
                    ct zone set $zone
                    ip dscp set $dscp
                }
                chain pre {
                    type nat hook prerouting priority dstnat; policy accept;
                    dnat to ip saddr map { 10.0.0.4 : $to }
                    meta l4proto tcp dnat to ip saddr map { 10.0.0.5 : $to . $port }
                }
            }
            table ip6 t6 {
                chain c {
                    type filter hook input priority 0; policy accept;
                    ip6 flowlabel $fl ip6 hoplimit $hl accept
                }
            }
            table bridge b {
                chain c {
                    type filter hook forward priority 0; policy accept;
                    vlan id $vid accept
                }
            }
        }
    );
    let text = "table ip t {
	map ports {
		type ipv4_addr : inet_service
		elements = { 10.0.0.1 : 8080 }
	}
	map marks {
		typeof ip saddr : meta mark
		elements = { 10.0.0.2 : 0x2a }
	}
	chain c {
		type filter hook input priority 0; policy accept;
		ip ttl 64 ip dscp 46 ip length { 1500, 100 } accept
		meta l4proto 17 meta length > 1000 meta skuid 1000 accept
		ct zone 7 ct packets > 1000000 accept
		ip protocol tcp tcp window 512 accept
		meta mark set ip saddr map { 10.0.0.3 : 0x2a }
		tcp dport vmap { 8080 : accept }
	}
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		ct zone set 7
		ip dscp set 46
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		dnat to ip saddr map { 10.0.0.4 : 192.0.2.1 }
		meta l4proto tcp dnat to ip saddr map { 10.0.0.5 : 192.0.2.1 . 8080 }
	}
}
table ip6 t6 {
	chain c {
		type filter hook input priority 0; policy accept;
		ip6 flowlabel 703710 ip6 hoplimit 255 accept
	}
}
table bridge b {
	chain c {
		type filter hook forward priority 0; policy accept;
		vlan id 100 accept
	}
}
";
    (s, text)
}

#[test]
fn nft_24_integer_fields_set_statements_and_map_data() {
    let (s, text) = integers_and_maps();
    assert_same(&offline(&s), &from_text(text));
}

#[test]
fn nft_24_integers_out_of_range_for_their_field_are_input_errors() {
    // `ip dscp` is 6 bits: 64 fits the u8 but not the field.
    let d: u8 = 64;
    let s = linx::nft!(d = d; { table ip t { chain c { ip dscp $d accept; }; } });
    let r = resolver();
    match s.compile(&CompileEnv::new(&r)) {
        Err(ScriptError::Input(e)) => {
            let m = e.to_string();
            assert!(m.contains("$d"), "{m}");
            assert!(m.contains("64"), "{m}");
            assert!(m.contains("6-bit"), "{m}");
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    // The largest value that fits is accepted.
    let d: u8 = 63;
    let s = linx::nft!(d = d; { table ip t { chain c { ip dscp $d accept; }; } });
    assert_same(
        &offline(&s),
        &from_text("table ip t {\n\tchain c {\n\t\tip dscp 63 accept\n\t}\n}\n"),
    );
    // `vlan id` is 12 bits.
    let v: u16 = 4096;
    let s = linx::nft!(v = v; { table bridge b { chain c { vlan id $v accept; }; } });
    assert!(
        matches!(s.compile(&CompileEnv::new(&r)), Err(ScriptError::Input(e)) if e.to_string().contains("$v"))
    );
}

/// Set, element and `update` timeouts as `Duration`s, and the same text written out.
fn timeouts() -> (Script, &'static str) {
    let set = Duration::from_secs(3723);
    let elem = Duration::from_millis(1500);
    let upd = Duration::from_secs(90);
    let s = linx::nft!(life = set, elem = elem, upd = upd; {
        table ip t {
            set seen {
                type ipv4_addr
                flags dynamic,timeout
                timeout $life
                elements = { 10.0.0.9 timeout $elem }
            }
            chain c {
                type filter hook input priority 0; policy accept;
                update @seen { ip saddr timeout $upd }
            }
        }
    });
    let text = "table ip t {
	set seen {
		type ipv4_addr
		flags dynamic,timeout
		timeout 1h2m3s
		elements = { 10.0.0.9 timeout 1s500ms }
	}
	chain c {
		type filter hook input priority 0; policy accept;
		update @seen { ip saddr timeout 1m30s }
	}
}
";
    (s, text)
}

#[test]
fn nft_24_timeouts_take_durations() {
    let (s, text) = timeouts();
    assert_same(&offline(&s), &from_text(text));
    // The loaded source shows the values as nft writes time.
    let printed = linx::nft::syntax::printer::print_script(&s.source().unwrap().script);
    assert!(printed.contains("timeout 1h2m3s"), "{printed}");
    assert!(printed.contains("timeout 1s500ms"), "{printed}");
    // Sub-millisecond durations are input errors naming the variable.
    let t = Duration::from_micros(1500);
    let s =
        linx::nft!(t = t; { table ip t { set s { type ipv4_addr; flags timeout; timeout $t; }; } });
    let r = resolver();
    match s.compile(&CompileEnv::new(&r)) {
        Err(ScriptError::Input(e)) => {
            let m = e.to_string();
            assert!(m.contains("$t"), "{m}");
            assert!(m.contains("milliseconds"), "{m}");
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

/// Rates and quotas as `u64`s, and the same text written out.
fn rates_and_quotas() -> (Script, &'static str) {
    let pps: u64 = 10;
    let bps: u64 = 512;
    let cap: u64 = 2_000_000;
    let mb: u64 = 25;
    let s = linx::nft!(pps = pps, bps = bps, cap = cap, mb = mb; {
        table inet t {
            set meters {
                type ipv4_addr
                flags dynamic
            }
            chain c {
                type filter hook input priority 0; policy accept;
                limit rate over $pps/second burst 5 packets drop
                limit rate $bps kbytes/minute accept
                quota over $cap drop
                quota $mb mbytes accept
                update @meters { ip saddr limit rate over $pps/minute } drop
            }
        }
    });
    let text = "table inet t {
	set meters {
		type ipv4_addr
		flags dynamic
	}
	chain c {
		type filter hook input priority 0; policy accept;
		limit rate over 10/second burst 5 packets drop
		limit rate 512 kbytes/minute accept
		quota over 2000000 bytes drop
		quota 25 mbytes accept
		update @meters { ip saddr limit rate over 10/minute } drop
	}
}
";
    (s, text)
}

#[test]
fn nft_24_rates_and_quotas_take_u64() {
    let (s, text) = rates_and_quotas();
    assert_same(&offline(&s), &from_text(text));
    let printed = linx::nft::syntax::printer::print_script(&s.source().unwrap().script);
    assert!(printed.contains("limit rate over 10/second"), "{printed}");
    assert!(printed.contains("quota over 2000000 drop"), "{printed}");
}

/// Symbolic selectors (`ct state`, `ct status`, `ct direction`, `meta pkttype`, `tcp flags`)
/// with linx's typed flags and enums, and the same text written out.
fn symbolic_selectors() -> (Script, &'static str) {
    let ok = CtState::ESTABLISHED | CtState::RELATED;
    let fresh = CtState::NEW;
    let nat = CtStatus::SNAT | CtStatus::DNAT;
    let dir = CtDirection::Reply;
    let pkt = PktType::Broadcast;
    let syn = TcpFlags::SYN;
    let synack = TcpFlags::SYN | TcpFlags::ACK;
    let mask = TcpFlags::FIN | TcpFlags::SYN | TcpFlags::RST | TcpFlags::ACK;
    let s = linx::nft!(ok = ok, fresh = fresh, nat = nat, dir = dir, pkt = pkt, syn = syn, synack = synack, mask = mask; {
        table inet t {
            set states {
                type ct_state
                elements = { $ok, $fresh }
            }
            chain c {
                type filter hook input priority 0; policy accept;
                ct state $ok accept
                ct state { $ok, invalid } counter
                ct status $nat ct direction $dir accept
                meta pkttype $pkt drop
                meta pkttype { $pkt, multicast } counter
                tcp flags & $mask == $syn counter
                tcp flags $syn / fin,syn,rst,ack accept
                tcp flags $synack drop
                ct state != $fresh counter
            }
        }
    });
    let text = "table inet t {
	set states {
		type ct_state
		elements = { established|related, new }
	}
	chain c {
		type filter hook input priority 0; policy accept;
		ct state established,related accept
		ct state { established|related, invalid } counter
		ct status snat,dnat ct direction reply accept
		meta pkttype broadcast drop
		meta pkttype { broadcast, multicast } counter
		tcp flags & (fin|syn|rst|ack) == syn counter
		tcp flags syn / fin,syn,rst,ack accept
		tcp flags syn,ack drop
		ct state != new counter
	}
}
";
    (s, text)
}

#[test]
fn nft_24_symbolic_selectors_take_typed_flags_and_enums() {
    let (s, text) = symbolic_selectors();
    assert_same(&offline(&s), &from_text(text));
    // No flags at all is the number 0, as nft writes it.
    let none = CtState::empty();
    let s = linx::nft!(none = none; { table inet t { chain c { ct state $none drop; }; } });
    assert_same(
        &offline(&s),
        &from_text("table inet t {\n\tchain c {\n\t\tct state 0 drop\n\t}\n}\n"),
    );
}

/// The remaining value positions: elements of `add element` commands (typed by the set's
/// declaration in the same text), `expires`, `gc-interval`, bursts, `quota … used`, named
/// quota and limit objects (in a table and as commands), per-element and set-template limits.
fn objects_elements_and_bursts() -> (Script, &'static str) {
    let host = Ipv4Addr::new(192, 0, 2, 7);
    let port: u16 = 8443;
    let life = Duration::from_secs(600);
    let left = Duration::from_secs(300);
    let gc = Duration::from_secs(20);
    let burst: u32 = 20;
    let kburst: u32 = 64;
    let cap: u64 = 50;
    let used: u64 = 4096;
    let rate: u64 = 100;
    let each: u64 = 7;
    let mark: u32 = 0x42;
    let s = linx::nft!(
        host = host, port = port, life = life, left = left, gc = gc, burst = burst,
        kburst = kburst, cap = cap, used = used, rate = rate, each = each, m = mark;
    {
        table ip t {
            set allow {
                type ipv4_addr . inet_service
                flags timeout
                gc-interval $gc
            }
            set metered {
                type ipv4_addr
                limit rate $each/second
                elements = { 10.0.0.1 limit rate $each/second burst $burst packets }
            }
            map marks {
                type ipv4_addr : mark
            }
            quota q {
                over $cap mbytes used $used
            }
            limit l {
                rate $rate/second burst $burst packets
            }
            chain c {
                type filter hook input priority 0; policy accept;
                limit rate over $rate/second burst $burst packets drop
                limit rate 1 mbytes/second burst $kburst kbytes accept
                quota over $cap mbytes used $used drop
                ip saddr . tcp dport @allow accept
            }
        }
        add element ip t allow { $host . $port timeout $life expires $left }
        add element ip t marks { $host : $m }
        add quota ip t q2 { $cap mbytes }
        add limit ip t l2 { rate over $rate/minute }
    });
    let text = "table ip t {
	set allow {
		type ipv4_addr . inet_service
		flags timeout
		gc-interval 20s
	}
	set metered {
		type ipv4_addr
		limit rate 7/second
		elements = { 10.0.0.1 limit rate 7/second burst 20 packets }
	}
	map marks {
		type ipv4_addr : mark
	}
	quota q {
		over 50 mbytes used 4096 bytes
	}
	limit l {
		rate 100/second burst 20 packets
	}
	chain c {
		type filter hook input priority 0; policy accept;
		limit rate over 100/second burst 20 packets drop
		limit rate 1 mbytes/second burst 64 kbytes accept
		quota over 50 mbytes used 4096 bytes drop
		ip saddr . tcp dport @allow accept
	}
}
add element ip t allow { 192.0.2.7 . 8443 timeout 10m expires 5m }
add element ip t marks { 192.0.2.7 : 0x42 }
add quota ip t q2 { 50 mbytes }
add limit ip t l2 { rate over 100/minute }
";
    (s, text)
}

#[test]
fn nft_24_element_commands_objects_bursts_and_expiries() {
    let (s, text) = objects_elements_and_bursts();
    assert_same(&offline(&s), &from_text(text));
    // A zero burst is refused at load, located at the interpolation.
    let zero: u32 = 0;
    let s = linx::nft!(zero = zero; { table ip t { chain c { limit rate 5/second burst $zero packets accept; }; } });
    let r = resolver();
    match s.compile(&CompileEnv::new(&r)) {
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains("limit burst must be > 0"), "{m}");
            assert!(m.starts_with("nft!:1:"), "{m}");
        }
        Ok(_) => panic!("a zero burst compiled"),
    }
}

#[test]
fn nft_24_defines_in_timeouts_rates_and_quotas_only_with_extensions() {
    // nft 1.0.6's grammar takes no `$define` where a rate, quota or timeout literal goes: linx
    // refuses it the same way (nft's message, located); with extensions the define stands there.
    let text = "define life = 1h30m\ndefine n = 10\ntable ip t {\n\tset s { type ipv4_addr; flags timeout; timeout $life; }\n\tchain c { limit rate $n/second accept; quota over $n mbytes drop; }\n}\n";
    let e = linx::nft::load_str("d.nft", text, &Default::default()).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("d.nft:4:") && m.contains("syntax error, unexpected '$', expecting string"),
        "{m}"
    );
    assert!(
        m.contains("d.nft:5:") && m.contains("syntax error, unexpected '$', expecting number"),
        "{m}"
    );
    let opts = linx::nft::LoadOptions {
        extensions: true,
        ..Default::default()
    };
    // The same for bursts, `used`, `expires` and `gc-interval`: nft 1.0.6 reports these four
    // at the same lines and columns.
    let more = "define n = 5\ndefine t = 1m\ntable ip t {\n\tset s { type ipv4_addr; flags timeout; gc-interval $t; elements = { 10.0.0.1 expires $t }; }\n\tchain c { limit rate 5/second burst $n packets; quota 5 bytes used $n bytes; }\n}\n";
    let m = linx::nft::load_str("m.nft", more, &Default::default())
        .unwrap_err()
        .to_string();
    for (at, expecting) in [
        ("m.nft:4:53:", "string"),
        ("m.nft:4:87:", "string"),
        ("m.nft:5:38:", "number"),
        ("m.nft:5:69:", "number"),
    ] {
        assert!(
            m.contains(&format!(
                "{at} error: syntax error, unexpected '$', expecting {expecting}"
            )),
            "{at} {m}"
        );
    }
    assert!(linx::nft::load_str("m.nft", more, &opts).is_ok());
    let src = linx::nft::load_str("d.nft", text, &opts).unwrap_or_else(|e| panic!("{e}"));
    let r = resolver();
    let got = linx::nft::compile(&src, &CompileEnv::new(&r)).unwrap_or_else(|e| panic!("{e}"));
    assert_same(
        &got,
        &from_text(
            "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\ttimeout 1h30m\n\t}\n\tchain c {\n\t\tlimit rate 10/second accept\n\t\tquota over 10 mbytes drop\n\t}\n}\n",
        ),
    );
}

#[test]
fn nft_17_iif_names_stay_symbolic_until_load() {
    let i = "eth0";
    let s = linx::nft!(i = i; { table inet t { chain c { iif $i accept; oif "lo" accept; }; } });
    // Resolved with the resolver of the load (eth0 = 2 here).
    let got = offline(&s);
    assert_same(
        &got,
        &from_text(
            "table inet t {\n\tchain c {\n\t\tiif \"eth0\" accept\n\t\toif \"lo\" accept\n\t}\n}\n",
        ),
    );
    // An interface the target does not have is a load error, not a compile error.
    let r = StaticIfResolver::new([("lo", 1)]);
    match s.compile(&CompileEnv::new(&r)) {
        Err(ScriptError::Compile(e)) => {
            // Located at the interpolation.
            let m = e.to_string();
            assert!(m.contains("Interface does not exist"), "{m}");
            assert!(m.starts_with("nft!:1:30:"), "{m}");
        }
        other => panic!("expected a load-time compile error, got {other:?}"),
    }
}

#[test]
fn nft_25_file_macro_resolves_includes_next_to_the_file() {
    let s = linx::nft_file!("nft_macro_files/main.nft"; extra = 8443u16);
    let text = "table inet macrofile {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 22 counter accept
		tcp dport 8443 accept
	}
}
";
    assert_same(&offline(&s), &from_text(text));
    // Both files are part of the script (for diagnostics), the include noted.
    assert_eq!(s.sources().len(), 2);
    let inc = s.sources().file(linx::nft::syntax::FileId(1)).unwrap();
    assert!(inc.included_from().is_some());
    // Bare names are searched in the include directories given to the macro.
    let s = linx::nft_file!(
        "nft_macro_files/search.nft",
        include = ["nft_macro_files/inc"]
    );
    assert_same(
        &offline(&s),
        &from_text("table ip searched {\n\tchain c {\n\t\tip saddr 192.0.2.0/24 drop\n\t}\n}\n"),
    );
}

// ---- kernel tier

fn target(ns: &NetNs) -> NsTarget {
    NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"))
}

/// Loads `text` with `nft -f` in one fresh namespace and the macro program `s` (kernel-checked,
/// then applied) in another; returns both `nft -j` states (nft's first).
fn macro_and_nft_f(s: &Script, text: &str) -> (serde_json::Value, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("literal.nft");
    std::fs::write(&path, text).unwrap();
    let a = NetNs::new().unwrap();
    a.run("nft", &["-f", path.to_str().unwrap()]);
    let b = NetNs::new().unwrap();
    let t = target(&b);
    s.check(&t).expect("kernel validates the macro program");
    s.apply(&t).expect("macro program applies");
    (a.nft_state(), b.nft_state())
}

#[test]
fn nft_23_macro_program_applies_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let port: u16 = 2222;
    let s = linx::nft!(port = port; {
        table inet filter {
            set blocked {
                type ipv4_addr
                flags interval
                elements = { 192.0.2.0/24, 198.51.100.7 }
            }
            chain input {
                type filter hook input priority 0; policy drop;
                ct state established,related accept
                iif "lo" accept
                ip saddr @blocked drop
                tcp dport { 22, $port } counter accept
                ip6 saddr fe80::/10 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
            }
        }
    });
    let text = "table inet filter {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 192.0.2.0/24, 198.51.100.7 }
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif \"lo\" accept
		ip saddr @blocked drop
		tcp dport { 22, 2222 } counter accept
		ip6 saddr fe80::/10 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
";
    let (nft, linx) = macro_and_nft_f(&s, text);
    assert_eq!(linx, nft);
}

#[test]
fn nft_17_iif_interpolation_resolves_in_the_target_namespace() {
    if !require_root() || !require_tool("ip") {
        return;
    }
    let ns = NetNs::new().unwrap();
    ns.ip(&[
        "link", "add", "macro0", "type", "veth", "peer", "name", "macro1",
    ]);
    let t = target(&ns);
    let name = "macro0";
    let s = linx::nft!(i = name; { table inet t { chain c { iif $i accept; }; } });
    s.apply(&t).expect("macro0 exists in the target");
    let listed = ns.run("nft", &["list", "ruleset"]);
    assert!(listed.contains("iif \"macro0\" accept"), "{listed}");
    // The same script in a namespace without that interface: a load error naming it.
    let other = NetNs::new().unwrap();
    match s.apply(&target(&other)) {
        Err(ScriptError::Compile(e)) => {
            assert!(e.to_string().contains("Interface does not exist"), "{e}")
        }
        r => panic!("expected a load error, got {r:?}"),
    }
    let listed = other.run("nft", &["list", "ruleset"]);
    assert!(listed.trim().is_empty(), "{listed}");
}

#[test]
fn nft_24_integer_fields_and_map_data_apply_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let (s, text) = integers_and_maps();
    let (want, got) = macro_and_nft_f(&s, text);
    assert!(want.to_string().contains("flowlabel"), "{want}");
    assert_eq!(got, want);
}

#[test]
fn nft_24_timeouts_apply_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let (s, text) = timeouts();
    // `nft_state` drops the ticking `expires`.
    let (want, got) = macro_and_nft_f(&s, text);
    assert!(want.to_string().contains("\"timeout\":3723"), "{want}");
    assert_eq!(got, want);
}

#[test]
fn nft_24_symbolic_selectors_apply_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let (s, text) = symbolic_selectors();
    let (want, got) = macro_and_nft_f(&s, text);
    assert!(want.to_string().contains("pkttype"), "{want}");
    assert_eq!(got, want);
}

#[test]
fn nft_24_element_commands_objects_bursts_and_expiries_apply_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let (s, text) = objects_elements_and_bursts();
    let (want, got) = macro_and_nft_f(&s, text);
    assert!(want.to_string().contains("8443"), "{want}");
    assert!(want.to_string().contains("\"gc-interval\":20"), "{want}");
    assert_eq!(got, want);
}

#[test]
fn nft_24_rates_and_quotas_apply_the_same_state_as_nft_f() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let (s, text) = rates_and_quotas();
    let (want, got) = macro_and_nft_f(&s, text);
    assert!(want.to_string().contains("\"quota\""), "{want}");
    assert_eq!(got, want);
}
