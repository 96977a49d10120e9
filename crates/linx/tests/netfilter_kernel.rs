//! Kernel tier for nf_tables: batches, generations, push/pull, socket-owned tables, reconcile,
//! monitor and NFLOG — each test in its own fresh network namespace, checked against `nft -j`.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use linx::error::Errno;
use linx::netfilter::builder::{CtState, RuleBuilder, ct, ip, meta, tcp, udp};
use linx::netfilter::codec::{self, RulePlacement};
use linx::netfilter::expr::{Cmp, CmpOp, Data, Expr, Log, Payload, PayloadBase, Reg, Verdict};
use linx::netfilter::monitor::{ChangeKind, Event, Monitor};
use linx::netfilter::nflog::{Config, CopyMode, Item, Listener};
use linx::netfilter::set::{DataType, Element, Part, Set, SetKey};
use linx::netfilter::{
    BaseChain, Batch, Chain, ChainType, Family, Hook, Nft, Policy, Rule, Ruleset, Table,
    TableLifetime, is_conflict,
};
use linx::ns::NsTarget;
use linx_testkit::{NetNs, require_root, require_tool};

fn fresh() -> Option<(NetNs, NsTarget)> {
    if !require_root() || !require_tool("nft") {
        return None;
    }
    let ns = NetNs::new().expect("create a network namespace");
    let t = NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"));
    Some((ns, t))
}

fn nft_json(ns: &NetNs) -> serde_json::Value {
    serde_json::from_str(&ns.run("nft", &["-j", "list", "ruleset"])).expect("nft -j is JSON")
}

/// `nft list tables` as `family name` strings (text: nft 1.0.6 cannot print newer table flags
/// in JSON).
fn nft_tables(ns: &NetNs) -> Vec<String> {
    ns.run("nft", &["list", "tables"])
        .lines()
        .filter_map(|l| l.strip_prefix("table "))
        .map(str::to_owned)
        .collect()
}

fn port_rule(port: u16) -> Rule {
    Rule::new(vec![
        Expr::Payload(Payload {
            dreg: Reg::R1,
            base: PayloadBase::Transport,
            offset: 2,
            len: 2,
        }),
        Expr::Cmp(Cmp {
            sreg: Reg::R1,
            op: CmpOp::Eq,
            data: Data::be16(port),
        }),
        Expr::verdict(Verdict::Accept),
    ])
}

fn filter_table(lifetime: TableLifetime, rules: Vec<Rule>) -> Ruleset {
    let mut t = Table::new(Family::Inet, "fw", lifetime).unwrap();
    let mut c = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
    )
    .unwrap();
    c.rules = rules;
    t.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    rs
}

#[test]
fn nf_01_open_in_namespace_and_read_generation() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let g0 = nft.generation().unwrap().id;
    ns.run("nft", &["add", "table", "ip", "x"]);
    let g1 = nft.generation().unwrap();
    assert!(g1.id > g0, "{g0} -> {g1:?}");
    assert_eq!(linx::netfilter::generation(&t).unwrap(), g1.id);
}

/// Acceptance 4: payload + cmp + accept pulls back as exactly those expressions with a handle;
/// a missing table is ENOENT.
#[test]
fn nf_88_push_pull_exact_expressions() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let rs = filter_table(TableLifetime::Persistent, vec![port_rule(22)]);
    nft.push_replace(&rs).unwrap();
    let pulled = nft.pull_table(Family::Inet, "fw").unwrap();
    let r = &pulled.chain("input").unwrap().rules[0];
    assert_eq!(r.exprs, port_rule(22).exprs);
    assert!(r.handle.is_some_and(|h| h > 0));
    let e = nft.pull_table(Family::Inet, "nope").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    assert!(e.to_string().contains("pull inet/nope"), "{e}");
    // nft sees the structure.
    let j = nft_json(&ns);
    let chain = j["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o.get("chain"))
        .unwrap();
    assert_eq!(chain["hook"], "input");
    assert_eq!(chain["policy"], "accept");
    let rule = j["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o.get("rule"))
        .unwrap();
    assert_eq!(rule["expr"][1], serde_json::json!({"accept": null}));
}

/// NF-03 / bad input: a batch with one invalid rule leaves the previous ruleset unchanged and
/// names the failing message with extended ack.
#[test]
fn nf_03_batch_error_position_and_atomicity() {
    let Some((_ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let rs = filter_table(TableLifetime::Persistent, vec![port_rule(22)]);
    nft.push_replace(&rs).unwrap();
    let before = nft.pull().unwrap();
    let g = nft.generation().unwrap().id;
    let mut b = Batch::new();
    b.push(
        codec::new_rule(
            Family::Inet,
            "fw",
            "input",
            &port_rule(80),
            RulePlacement::Append,
        )
        .unwrap(),
    );
    // A reject with an ICMP type but no code is refused by the kernel.
    let bad = Rule::new(vec![Expr::Reject(linx::netfilter::expr::Reject {
        kind: linx::netfilter::expr::RejectKind::IcmpUnreach,
        code: None,
    })]);
    b.push(codec::new_rule(Family::Inet, "fw", "input", &bad, RulePlacement::Append).unwrap());
    b.push(
        codec::new_rule(
            Family::Inet,
            "fw",
            "input",
            &port_rule(443),
            RulePlacement::Append,
        )
        .unwrap(),
    );
    let e = nft.send(&b).unwrap_err();
    let ctx = e.context().expect("OS error");
    assert_eq!(ctx.batch_index, Some(2), "{e}");
    assert!(
        ctx.object
            .as_deref()
            .unwrap()
            .contains("inet/fw chain input"),
        "{e}"
    );
    assert!(e.to_string().contains("at batch message 2"), "{e}");
    assert_eq!(
        nft.pull().unwrap(),
        before,
        "the failed batch changed the ruleset"
    );
    assert_eq!(nft.generation().unwrap().id, g);
    // A jump to a missing chain is rejected with ENOENT and its extack names the chain.
    let mut b = Batch::new();
    b.push(
        codec::new_rule(
            Family::Inet,
            "fw",
            "input",
            &Rule::new(vec![Expr::verdict(Verdict::Jump("nochain".into()))]),
            RulePlacement::Append,
        )
        .unwrap(),
    );
    let e = nft.send(&b).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
}

/// NF-07: a batch that expects an older generation is refused as a conflict.
#[test]
fn nf_07_generation_conflict() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let g = nft.generation().unwrap().id;
    ns.run("nft", &["add", "table", "ip", "other"]);
    let mut b = Batch::new();
    b.push(
        codec::new_table(
            &Table::new(Family::Ip, "mine", TableLifetime::Persistent).unwrap(),
            0,
        )
        .unwrap(),
    );
    b.expect_generation(g);
    let e = nft.send(&b).unwrap_err();
    assert!(is_conflict(&e), "{e}");
    assert!(e.to_string().contains(&format!("generation {g}")), "{e}");
    assert_eq!(nft_tables(&ns), ["ip other"]);
    // With the current generation it goes through.
    b.expect_generation(nft.generation().unwrap().id);
    nft.send(&b).unwrap();
}

fn one_chain_table(name: &str, chains: Vec<Chain>) -> Ruleset {
    let mut tbl = Table::new(Family::Ip, name, TableLifetime::Persistent).unwrap();
    for c in chains {
        tbl.add_chain(c).unwrap();
    }
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    rs
}

/// NF-08 / acceptance 8 and 15: the kernel-validated dry run (a batch without `BATCH_END`)
/// accepts and rejects exactly what `nft -c` accepts and rejects, never changes anything, and a
/// rejection names the message and errno.
#[test]
fn nf_08_validate_only_batch_agrees_with_nft_check() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let g = nft.generation().unwrap().id;
    let dir = std::env::temp_dir().join(format!("linx-nf08-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let nft_check = |text: &str| -> bool {
        let f = dir.join("x.nft");
        std::fs::write(&f, text).unwrap();
        ns.command("nft")
            .args(["-c", "-f", f.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    };

    // A jump loop: this kernel validates loops only at commit — `nft -c` and the linx check both
    // accept it, the real push is refused.
    let base = |jump: &str| {
        let mut c = Chain::base("in", BaseChain::new(ChainType::Filter, Hook::Input, 0)).unwrap();
        c.push(Rule::new(vec![Expr::verdict(Verdict::Jump(jump.into()))]));
        c
    };
    let mut a = Chain::regular("a").unwrap();
    a.push(Rule::new(vec![Expr::verdict(Verdict::Jump("b".into()))]));
    let mut b = Chain::regular("b").unwrap();
    b.push(Rule::new(vec![Expr::verdict(Verdict::Jump("a".into()))]));
    let looped = one_chain_table("loop", vec![base("a"), a, b]);
    let nft_ok = nft_check(
        "table ip loop {\n chain in { type filter hook input priority 0; jump a; }\n chain a { jump b; }\n chain b { jump a; }\n}\n",
    );
    assert_eq!(nft.check(&looped).is_ok(), nft_ok);
    assert!(
        !nft.dry_run(&looped).unwrap().is_empty(),
        "the pure dry run accepts it"
    );
    let e = nft.push_replace(&looped).unwrap_err();
    assert!(
        matches!(e.errno(), Some(Errno::MLINK) | Some(Errno::LOOP)),
        "{e}"
    );

    // A statement the kernel refuses when the rule is built (reject without code): the
    // validate-only batch reports it with its position.
    let mut c = Chain::regular("c").unwrap();
    c.push(Rule::new(vec![Expr::Reject(
        linx::netfilter::expr::Reject {
            kind: linx::netfilter::expr::RejectKind::IcmpUnreach,
            code: None,
        },
    )]));
    let e = nft.check(&one_chain_table("bad", vec![c])).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert!(e.context().unwrap().batch_index.is_some(), "{e}");

    // A nat chain on the forward hook, sent without linx's own validation, is refused by the
    // kernel in check mode, as `nft -c` refuses it.
    let mut bt = Batch::new();
    bt.push(
        codec::new_table(
            &Table::new(Family::Ip, "x", TableLifetime::Persistent).unwrap(),
            0,
        )
        .unwrap(),
    );
    let mut nat = Chain::regular("c").unwrap();
    nat.kind = linx::netfilter::ChainKind::Base(BaseChain::new(ChainType::Nat, Hook::Forward, 0));
    bt.push(codec::new_chain(Family::Ip, "x", &nat, 0, None).unwrap());
    let nft_ok = nft_check("table ip x {\n chain c { type nat hook forward priority 0; }\n}\n");
    let ours = nft.validate(&bt);
    assert_eq!(ours.is_ok(), nft_ok, "{ours:?}");
    assert_eq!(ours.unwrap_err().errno(), Some(Errno::OPNOTSUPP));

    assert_eq!(
        nft.generation().unwrap().id,
        g,
        "a check changed the ruleset"
    );
    assert!(nft.pull().unwrap().tables.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// NF-09: echo returns created objects with their kernel handles.
#[test]
fn nf_09_echo_returns_handles() {
    let Some((_ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let rs = filter_table(TableLifetime::Persistent, vec![port_rule(22)]);
    let reply = nft
        .push_replace_with(
            &rs,
            &linx::netfilter::PushOptions {
                echo: true,
                destroy: None,
                ..Default::default()
            },
        )
        .unwrap();
    let rule_handle = reply.echoed.iter().find_map(|d| match d {
        codec::Decoded::Rule { rule, .. } => rule.handle,
        _ => None,
    });
    assert!(rule_handle.is_some(), "{:?}", reply.echoed);
    let pulled = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(pulled.chains[0].rules[0].handle, rule_handle);
}

/// NF-11 / acceptance 5: a socket-owned table vanishes with its socket; a persistent one stays;
/// creating the same table twice is a no-op; other sockets cannot change an owned table.
#[test]
fn nf_11_socket_owned_table_lifetime() {
    let Some((ns, t)) = fresh() else { return };
    let mut owner = Nft::open(&t).unwrap();
    let owned = Table::new(Family::Inet, "owned", TableLifetime::SocketOwned).unwrap();
    owner.create_table(&owned).unwrap();
    owner.create_table(&owned).unwrap();
    let persistent = Table::new(Family::Inet, "kept", TableLifetime::Persistent).unwrap();
    owner.create_table(&persistent).unwrap();
    let mut tables = nft_tables(&ns);
    tables.sort();
    assert_eq!(tables, ["inet kept", "inet owned"]);
    let pulled = owner.pull_table(Family::Inet, "owned").unwrap();
    assert_eq!(pulled.lifetime, TableLifetime::SocketOwned);
    assert_eq!(pulled.owner, Some(owner.port_id()));
    let mut other = Nft::open(&t).unwrap();
    let e = other.delete_table(Family::Inet, "owned").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::PERM), "{e}");
    // OWNER | PERSIST (≥ 6.9): owned while the socket lives, kept when it closes.
    let (maj, min) = {
        let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut it = r
            .trim()
            .split(['.', '-'])
            .map(|x| x.parse::<u32>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    let persist = (maj, min) >= (6, 9);
    if persist {
        let released =
            Table::new(Family::Inet, "released", TableLifetime::OwnedUntilReleased).unwrap();
        owner.create_table(&released).unwrap();
        let p = owner.pull_table(Family::Inet, "released").unwrap();
        assert_eq!(p.lifetime, TableLifetime::OwnedUntilReleased);
    }
    drop(owner);
    let mut left = nft_tables(&ns);
    left.sort();
    if persist {
        assert_eq!(left, ["inet kept", "inet released"]);
    } else {
        assert_eq!(left, ["inet kept"]);
    }
}

/// NF-81: delete (fails if absent), destroy (silent), flush of chain/table/set.
#[test]
fn nf_81_delete_destroy_flush() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let mut rs = filter_table(
        TableLifetime::Persistent,
        vec![port_rule(22), port_rule(23)],
    );
    let set = Set::new("s", SetKey::single(DataType::IPV4_ADDR))
        .with_elements([Element::new(Ipv4Addr::new(10, 0, 0, 1))]);
    rs.tables[0].add_set(set).unwrap();
    nft.push_replace(&rs).unwrap();
    nft.flush_chain(Family::Inet, "fw", "input").unwrap();
    assert!(
        nft.pull_table(Family::Inet, "fw").unwrap().chains[0]
            .rules
            .is_empty()
    );
    nft.flush_set(Family::Inet, "fw", "s").unwrap();
    assert!(
        nft.pull_table(Family::Inet, "fw").unwrap().sets[0]
            .elements
            .is_empty()
    );
    nft.flush_table(Family::Inet, "fw").unwrap();
    nft.destroy_table(Family::Inet, "absent").unwrap();
    assert_eq!(
        nft.delete_table(Family::Inet, "absent")
            .unwrap_err()
            .errno(),
        Some(Errno::NOENT)
    );
    nft.destroy_table(Family::Inet, "fw").unwrap();
    assert!(nft_tables(&ns).is_empty());
}

/// NF-82: replace push leaves foreign tables alone and replaces its own atomically.
#[test]
fn nf_82_replace_push_keeps_foreign_tables() {
    let Some((ns, t)) = fresh() else { return };
    ns.run("nft", &["add", "table", "ip", "docker"]);
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&filter_table(
        TableLifetime::Persistent,
        vec![port_rule(22)],
    ))
    .unwrap();
    nft.push_replace(&filter_table(
        TableLifetime::Persistent,
        vec![port_rule(80)],
    ))
    .unwrap();
    let mut tables = nft_tables(&ns);
    tables.sort();
    assert_eq!(tables, ["inet fw", "ip docker"]);
    let fw = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(fw.chains[0].rules.len(), 1);
    assert_eq!(fw.chains[0].rules[0].exprs, port_rule(80).exprs);
    // The pre-6.3 path (create/delete/recreate without DESTROY) gives the same result.
    nft.push_replace_with(
        &filter_table(TableLifetime::Persistent, vec![port_rule(81)]),
        &linx::netfilter::PushOptions {
            echo: false,
            destroy: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    let fw = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(fw.chains[0].rules[0].exprs, port_rule(81).exprs);
}

/// Acceptance 8: reconcile sends nothing for an unchanged ruleset, replaces a changed tagged
/// rule on its handle, reorders, changes a policy in place keeping handles.
#[test]
fn nf_84_reconcile_minimal_changes() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let ssh = |p| port_rule(p).tag("ssh").unwrap();
    let web = |p| port_rule(p).tag("web").unwrap();
    let want = filter_table(TableLifetime::Persistent, vec![ssh(22), web(80)]);
    let p = nft.reconcile(&want).unwrap();
    assert!(!p.is_empty());
    let g = nft.generation().unwrap().id;
    assert!(nft.reconcile(&want).unwrap().is_empty());
    assert_eq!(
        nft.generation().unwrap().id,
        g,
        "an empty patch sent a batch"
    );
    // Pushing the pulled ruleset back is a no-op as well.
    let pulled = nft.pull().unwrap();
    assert!(nft.reconcile(&pulled).unwrap().is_empty());
    let h_before: Vec<Option<u64>> = pulled.tables[0].chains[0]
        .rules
        .iter()
        .map(|r| r.handle)
        .collect();
    // 22 -> 2222: exactly one replace on the same handle.
    let p = nft
        .reconcile(&filter_table(
            TableLifetime::Persistent,
            vec![ssh(2222), web(80)],
        ))
        .unwrap();
    assert_eq!(p.len(), 1, "{p:#}");
    let now = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(now.chains[0].rules[0].handle, h_before[0]);
    assert_eq!(now.chains[0].rules[0].exprs, port_rule(2222).exprs);
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(
        listing.contains("2222") && !listing.contains("dport 22 "),
        "{listing}"
    );
    // Swap: nft lists the new order.
    nft.reconcile(&filter_table(
        TableLifetime::Persistent,
        vec![web(80), ssh(2222)],
    ))
    .unwrap();
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(
        listing.find("dport 80").unwrap() < listing.find("dport 2222").unwrap(),
        "{listing}"
    );
    // Policy only: every handle stays.
    let before: Vec<Option<u64>> = nft.pull_table(Family::Inet, "fw").unwrap().chains[0]
        .rules
        .iter()
        .map(|r| r.handle)
        .collect();
    let mut drop = filter_table(TableLifetime::Persistent, vec![web(80), ssh(2222)]);
    if let linx::netfilter::ChainKind::Base(b) = &mut drop.tables[0].chains[0].kind {
        b.policy = Some(Policy::Drop);
    }
    let p = nft.reconcile(&drop).unwrap();
    assert_eq!(p.len(), 1, "{p:#}");
    let after = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(
        after.chains[0]
            .rules
            .iter()
            .map(|r| r.handle)
            .collect::<Vec<_>>(),
        before
    );
    assert_eq!(
        after.chains[0].base_chain().unwrap().policy,
        Some(Policy::Drop)
    );
    // Untagged multi-rule chains are refused before anything is sent.
    let e = nft
        .reconcile(&filter_table(
            TableLifetime::Persistent,
            vec![port_rule(1), port_rule(2)],
        ))
        .unwrap_err();
    assert!(e.is_input() && e.to_string().contains("TagRequired"), "{e}");
    // A dry run reports a chain creation without changing the generation.
    let g = nft.generation().unwrap().id;
    let mut more = drop.clone();
    more.tables[0]
        .add_chain(Chain::regular("extra").unwrap())
        .unwrap();
    let p = nft.dry_run(&more).unwrap();
    assert!(
        p.ops
            .iter()
            .any(|o| o.to_string().contains("chain inet/fw/extra")),
        "{p:#}"
    );
    assert_eq!(nft.generation().unwrap().id, g);
}

/// Acceptance 9: two threads reconcile different tables 100 times each; both converge
/// (generation conflicts are retried).
#[test]
fn nf_84_concurrent_reconcile_converges() {
    let Some((_ns, t)) = fresh() else { return };
    let run = |name: &'static str, t: NsTarget| {
        std::thread::spawn(move || {
            let mut nft = Nft::open(&t).unwrap();
            for i in 0..100u16 {
                let mut tbl = Table::new(Family::Inet, name, TableLifetime::Persistent).unwrap();
                let mut c = Chain::regular("c").unwrap();
                c.push(port_rule(1000 + i).tag("r").unwrap());
                tbl.add_chain(c).unwrap();
                let mut rs = Ruleset::new();
                rs.add_table(tbl).unwrap();
                nft.reconcile(&rs).unwrap();
            }
            nft.pull_table(Family::Inet, name).unwrap()
        })
    };
    let a = run("a", t.clone());
    let b = run("b", t.clone());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.chains[0].rules[0].exprs, port_rule(1099).exprs);
    assert_eq!(b.chains[0].rules[0].exprs, port_rule(1099).exprs);
}

/// Acceptance 6: a NAT rule built with the builder has exactly the expressions nft builds for
/// the same statement, and nft shows the chain at dstnat priority.
#[test]
fn nf_61_dnat_builder_matches_nft() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let mut tbl = Table::new(Family::Ip, "nat", TableLifetime::Persistent).unwrap();
    let mut pre = Chain::base(
        "prerouting",
        BaseChain::new(
            ChainType::Nat,
            Hook::Prerouting,
            linx::netfilter::named_priority(Family::Ip, "dstnat").unwrap(),
        ),
    )
    .unwrap();
    pre.push(
        RuleBuilder::new(Family::Ip)
            .matches(tcp().dport(8080))
            .dnat(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)), Some(80))
            .build(),
    );
    tbl.add_chain(pre).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    nft.push_replace(&rs).unwrap();
    let ours = nft.pull_table(Family::Ip, "nat").unwrap().chains[0].rules[0]
        .exprs
        .clone();

    let other = NetNs::new().unwrap();
    other.run("nft", &["add table ip nat; add chain ip nat prerouting { type nat hook prerouting priority dstnat; }; add rule ip nat prerouting tcp dport 8080 dnat to 10.0.0.5:80"]);
    let mut nft2 = Nft::open(&NsTarget::fd(other.try_clone_fd().unwrap())).unwrap();
    let theirs = nft2.pull_table(Family::Ip, "nat").unwrap().chains[0].rules[0]
        .exprs
        .clone();
    assert_eq!(ours, theirs);
    let j = nft_json(&ns);
    let chain = j["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o.get("chain"))
        .unwrap();
    assert_eq!(chain["prio"], -100);
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(listing.contains("dnat to 10.0.0.5:80"), "{listing}");
}

/// NF-42: builder rules equal what nft builds for the same statements.
#[test]
fn nf_42_builder_matches_nft_bytecode() {
    let Some((ns, t)) = fresh() else { return };
    let cases: Vec<(&str, Rule)> = vec![
        (
            "tcp dport 22 accept",
            RuleBuilder::new(Family::Inet)
                .matches(tcp().dport(22))
                .accept(),
        ),
        (
            "ct state established,related accept",
            RuleBuilder::new(Family::Inet)
                .matches(ct().state(CtState::ESTABLISHED | CtState::RELATED))
                .accept(),
        ),
        (
            "ip saddr 10.0.0.0/8 drop",
            RuleBuilder::new(Family::Inet)
                .matches(ip().saddr_prefix("10.0.0.0/8".parse().unwrap()))
                .drop(),
        ),
        (
            "ip saddr 10.1.2.0/23 drop",
            RuleBuilder::new(Family::Inet)
                .matches(ip().saddr_prefix("10.1.2.0/23".parse().unwrap()))
                .drop(),
        ),
        (
            "udp dport 1000-2000 counter accept",
            RuleBuilder::new(Family::Inet)
                .matches(udp().dport_range(1000, 2000))
                .counter()
                .accept(),
        ),
        (
            "iifname \"eth*\" accept",
            RuleBuilder::new(Family::Inet)
                .matches(meta().iifname("eth*"))
                .accept(),
        ),
        (
            "meta mark 0x10 accept",
            RuleBuilder::new(Family::Inet)
                .matches(meta().mark(0x10))
                .accept(),
        ),
        (
            "ct mark & 0xff == 0x4 accept",
            RuleBuilder::new(Family::Inet)
                .matches(ct().mark(0xff, 4))
                .accept(),
        ),
        (
            "tcp flags & (fin|syn|rst|ack) == syn accept",
            RuleBuilder::new(Family::Inet)
                .matches(tcp().flags(0x17, Some(0x02)))
                .accept(),
        ),
        (
            "meta mark set 0x10",
            RuleBuilder::new(Family::Inet).set_mark(0x10).build(),
        ),
    ];
    let mut script = String::from("add table inet b; add chain inet b c;");
    for (text, _) in &cases {
        script.push_str(&format!(" add rule inet b c {text};"));
    }
    ns.run("nft", &[&script]);
    let mut nft = Nft::open(&t).unwrap();
    let theirs = nft.pull_table(Family::Inet, "b").unwrap();
    for ((text, ours), r) in cases.iter().zip(&theirs.chains[0].rules) {
        let norm = |e: &Expr| match e {
            Expr::Bitwise(b) => {
                let mut b = b.clone();
                b.explicit_op = false;
                Expr::Bitwise(b)
            }
            other => other.clone(),
        };
        let a: Vec<Expr> = ours.exprs.iter().map(norm).collect();
        let b: Vec<Expr> = r.exprs.iter().map(norm).collect();
        assert_eq!(a, b, "{text}");
    }
}

/// Acceptance 7: sets and maps — named set, data map, verdict map with jump, interval set with
/// `flags interval`, element timeouts and comments, catch-all.
#[test]
fn nf_26_sets_and_maps_round_trip() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let mut tbl = Table::new(Family::Ip, "s", TableLifetime::Persistent).unwrap();
    tbl.add_chain(Chain::regular("ssh_in").unwrap()).unwrap();
    tbl.add_set(
        Set::new("three", SetKey::single(DataType::IPV4_ADDR)).with_elements([
            Element::new(Ipv4Addr::new(10, 0, 0, 1)),
            Element::new(Ipv4Addr::new(10, 0, 0, 2))
                .with_comment("second")
                .unwrap(),
            Element::new(Ipv4Addr::new(10, 0, 0, 3)),
        ]),
    )
    .unwrap();
    tbl.add_set(
        Set::new("fwd", SetKey::single(DataType::INET_SERVICE))
            .map(linx::netfilter::set::SetData::Value(SetKey::single(
                DataType::IPV4_ADDR,
            )))
            .with_elements([
                Element::new(80u16).with_data(linx::netfilter::set::ElemData::Value(vec![
                    Ipv4Addr::new(10, 0, 0, 5).into(),
                ])),
            ]),
    )
    .unwrap();
    tbl.add_set(
        Set::new("vm", SetKey::single(DataType::INET_SERVICE))
            .verdict_map()
            .with_elements([
                Element::new(22u16).with_verdict(Verdict::Jump("ssh_in".into())),
                Element::catch_all().with_verdict(Verdict::Drop),
            ]),
    )
    .unwrap();
    tbl.add_set(
        Set::new("nets", SetKey::single(DataType::IPV4_ADDR))
            .interval()
            .with_elements([
                Element::new(Part::Prefix("192.0.2.0/24".parse().unwrap())),
                Element::new(Part::Range(
                    Ipv4Addr::new(198, 51, 100, 10).into(),
                    Ipv4Addr::new(198, 51, 100, 20).into(),
                )),
            ]),
    )
    .unwrap();
    tbl.add_set(
        Set::new("tmo", SetKey::single(DataType::IPV4_ADDR))
            .with_timeout(3_600_000)
            .with_elements([Element::new(Ipv4Addr::new(1, 2, 3, 4)).with_timeout(600_000)]),
    )
    .unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    nft.push_replace(&rs).unwrap();
    let back = nft.pull_table(Family::Ip, "s").unwrap();
    for s in &rs.tables[0].sets {
        let b = back.set(&s.name).unwrap();
        assert_eq!(b.flags, s.flags, "{}", s.name);
        assert_eq!(b.key, s.key, "{}", s.name);
        let strip = |v: &[Element]| -> Vec<Element> {
            let mut v = v.to_vec();
            for e in &mut v {
                e.expiration = None;
            }
            v
        };
        let mut want = strip(&s.elements);
        let mut got = strip(&b.elements);
        want.sort_by_key(|e| format!("{e}"));
        got.sort_by_key(|e| format!("{e}"));
        assert_eq!(got, want, "{}", s.name);
    }
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(listing.contains("flags interval"), "{listing}");
    assert!(listing.contains("22 : jump ssh_in"), "{listing}");
    assert!(listing.contains("* : drop"), "{listing}");
    assert!(listing.contains("comment \"second\""), "{listing}");
    assert!(listing.contains("198.51.100.10-198.51.100.20"), "{listing}");
}

/// NF-31: runtime element verbs change a live set without touching the rest.
#[test]
fn nf_31_runtime_element_verbs() {
    let Some((_ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let mut rs = filter_table(TableLifetime::Persistent, vec![port_rule(22)]);
    let set = Set::new("block", SetKey::single(DataType::IPV4_ADDR));
    rs.tables[0].add_set(set.clone()).unwrap();
    nft.push_replace(&rs).unwrap();
    let handle = nft.pull_table(Family::Inet, "fw").unwrap().chains[0].rules[0].handle;
    let els: Vec<Element> = (1..=3)
        .map(|i| Element::new(Ipv4Addr::new(10, 0, 0, i)))
        .collect();
    nft.add_elements(Family::Inet, "fw", &set, &els).unwrap();
    let got = nft
        .get_elements(
            Family::Inet,
            "fw",
            &set,
            &[els[1].clone(), Element::new(Ipv4Addr::new(9, 9, 9, 9))],
        )
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].key, els[1].key);
    nft.delete_elements(Family::Inet, "fw", &set, &els[..2])
        .unwrap();
    let t2 = nft.pull_table(Family::Inet, "fw").unwrap();
    assert_eq!(t2.set("block").unwrap().elements.len(), 1);
    assert_eq!(t2.chains[0].rules[0].handle, handle);
}

/// NF-33: named objects of every kind the host supports push, pull back and are used by rules;
/// reset returns and zeroes counters.
#[test]
fn nf_33_objects_and_reset() {
    let Some((ns, t)) = fresh() else { return };
    ns.run(
        "nft",
        &["add table inet o; add counter inet o c { packets 5 bytes 100 }; add quota inet o q { over 10 mbytes }; add limit inet o l { rate 10/second }"],
    );
    let mut nft = Nft::open(&t).unwrap();
    let tbl = nft.pull_table(Family::Inet, "o").unwrap();
    assert_eq!(tbl.objects.len(), 3, "{:?}", tbl.objects);
    let other = NetNs::new().unwrap();
    let mut nft2 = Nft::open(&NsTarget::fd(other.try_clone_fd().unwrap())).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl.clone()).unwrap();
    nft2.push_replace(&rs).unwrap();
    let back = nft2.pull_table(Family::Inet, "o").unwrap();
    assert_eq!(back.objects.len(), 3);
    for (a, b) in back.objects.iter().zip(&tbl.objects) {
        assert_eq!((&a.name, &a.data), (&b.name, &b.data));
    }
    let reset = nft2.reset_objects(Family::Inet, "o").unwrap();
    let c = reset.iter().find(|o| o.name == "c").unwrap();
    assert!(
        matches!(c.data, linx::netfilter::obj::ObjectData::Counter(x) if x.packets == 5 && x.bytes == 100)
    );
    let after = nft2.pull_table(Family::Inet, "o").unwrap();
    let c = after.objects.iter().find(|o| o.name == "c").unwrap();
    assert!(matches!(c.data, linx::netfilter::obj::ObjectData::Counter(x) if x.packets == 0));
}

/// NF-95 / acceptance 10: monitor events grouped per generation; pull then follow drops stale
/// events; a tiny receive buffer under a burst gives an overrun, never a panic.
#[test]
fn nf_95_monitor_events_per_generation() {
    let Some((ns, t)) = fresh() else { return };
    let mut mon = Monitor::open(&t).unwrap();
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&filter_table(
        TableLifetime::Persistent,
        vec![port_rule(22)],
    ))
    .unwrap();
    let mut seen = Vec::new();
    let commit = loop {
        match mon
            .next_event(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("an event")
        {
            Event::Change(c) => seen.push(c),
            Event::Generation(g) => break g,
            Event::Overrun => panic!("overrun"),
        }
    };
    assert!(commit.id > 0);
    let kinds: Vec<String> = seen.iter().map(|c| c.to_string()).collect();
    assert!(
        kinds.iter().any(|k| k.contains("new table inet/fw")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|k| k.contains("new chain inet/fw/input")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| k.contains("new rule inet/fw/input: th dport 22 accept")),
        "{kinds:?}"
    );
    assert!(
        seen.iter()
            .all(|c| c.generation == commit.id && c.kind == ChangeKind::New)
    );
    assert!(
        kinds[0].starts_with(&format!("#{} ", commit.id)),
        "{kinds:?}"
    );

    // Pull then follow: nothing older than the snapshot, then the next commit.
    let (rs, mut follow) = Nft::pull_and_follow(&t).unwrap();
    assert_eq!(rs.tables.len(), 1);
    ns.run("nft", &["add", "table", "ip", "later"]);
    let first = follow
        .next_event(Some(Duration::from_secs(5)))
        .unwrap()
        .unwrap();
    match first {
        Event::Change(c) => {
            assert!(c.to_string().contains("new table ip/later"), "{c}");
            assert!(c.generation > commit.id);
            assert_eq!(c.proc_name.as_deref(), Some("nft"));
        }
        other => panic!("{other:?}"),
    }

    // Overrun.
    let mut tiny = Monitor::open(&t).unwrap();
    tiny.set_recv_buffer(1).unwrap();
    let mut big = Table::new(Family::Ip, "burst", TableLifetime::Persistent).unwrap();
    let mut c = Chain::regular("c").unwrap();
    for i in 0..500 {
        c.push(port_rule(i).tag(&format!("r{i}")).unwrap());
    }
    big.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(big).unwrap();
    nft.push_replace(&rs).unwrap();
    let mut overrun = false;
    while let Some(e) = tiny.next_event(Some(Duration::from_millis(200))).unwrap() {
        if e == Event::Overrun {
            overrun = true;
            break;
        }
    }
    assert!(overrun);
}

/// NF-97/NF-98 / acceptance 12: NFLOG receives logged pings on loopback with their prefix,
/// group and a payload limited by the snap length; meta mode carries no payload; group 0 works.
#[test]
fn nf_97_nflog_receives_pings() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("ping") {
        return;
    }
    ns.ip(&["link", "set", "lo", "up"]);
    let mut nft = Nft::open(&t).unwrap();
    let mut tbl = Table::new(Family::Ip, "log", TableLifetime::SocketOwned).unwrap();
    let mut out = Chain::base("out", BaseChain::new(ChainType::Filter, Hook::Output, 0)).unwrap();
    for (g, p) in [(7u16, "linx-test"), (0, "linx-zero")] {
        out.push(
            RuleBuilder::new(Family::Ip)
                .matches(ip().protocol(1))
                .expr(Expr::Log(Log {
                    prefix: Some(p.into()),
                    group: Some(g),
                    ..Log::default()
                }))
                .build(),
        );
    }
    tbl.add_chain(out).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    nft.push_replace(&rs).unwrap();
    let mut l7 = Listener::bind(
        &t,
        7,
        &Config {
            copy: CopyMode::Packet(256),
            ..Config::default()
        },
    )
    .unwrap();
    let mut l0 = Listener::bind(
        &t,
        0,
        &Config {
            copy: CopyMode::Meta,
            ..Config::default()
        },
    )
    .unwrap();
    ns.run("ping", &["-c", "2", "-i", "0.2", "-W", "1", "127.0.0.1"]);
    let mut got = Vec::new();
    while got.len() < 2 {
        match l7
            .recv(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("a logged packet")
        {
            Item::Packet(ev) => got.push(ev),
            Item::Overrun => panic!("overrun"),
        }
    }
    for ev in &got {
        assert_eq!(ev.prefix.as_deref(), Some("linx-test"));
        assert_eq!(ev.group, 7);
        let p = ev.payload.as_deref().unwrap();
        assert!(p.len() <= 256 && p[0] == 0x45, "{p:02x?}");
        assert_eq!(ev.summary().unwrap().protocol, 1);
    }
    match l0
        .recv(Some(Duration::from_secs(5)))
        .unwrap()
        .expect("group 0 packet")
    {
        Item::Packet(ev) => {
            assert_eq!(ev.prefix.as_deref(), Some("linx-zero"));
            assert_eq!(ev.group, 0);
            assert!(ev.payload.is_none());
        }
        Item::Overrun => panic!("overrun"),
    }
}

/// Bad input (spec §4): chains with invalid hooks, policy-less checks, missing references and
/// element type errors are input errors before anything is sent.
#[test]
fn nf_12_bad_input_is_refused_before_sending() {
    let Some((_ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let g = nft.generation().unwrap().id;
    // nat chain on forward
    let mut tbl = Table::new(Family::Ip, "bad", TableLifetime::Persistent).unwrap();
    let e = tbl
        .add_chain(Chain::base("f", BaseChain::new(ChainType::Nat, Hook::Forward, 0)).unwrap())
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    // jump to a missing chain / lookup of a missing set
    let mut c = Chain::regular("c").unwrap();
    c.push(Rule::new(vec![Expr::verdict(Verdict::Jump(
        "missing".into(),
    ))]));
    tbl.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    let e = nft.push_replace(&rs).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("missing"), "{e}");
    let mut rs2 = Ruleset::new();
    let mut tbl2 = Table::new(Family::Ip, "bad2", TableLifetime::Persistent).unwrap();
    let mut c2 = Chain::regular("c").unwrap();
    c2.push(
        RuleBuilder::new(Family::Ip)
            .matches(ip().saddr_in("nosuchset"))
            .accept(),
    );
    tbl2.add_chain(c2).unwrap();
    tbl2.add_set(
        Set::new("ports", SetKey::single(DataType::INET_SERVICE))
            .with_elements([Element::new(Ipv4Addr::LOCALHOST)]),
    )
    .unwrap();
    rs2.add_table(tbl2).unwrap();
    let e = nft.push_replace(&rs2).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert_eq!(nft.generation().unwrap().id, g, "something was sent");
}

/// Loopback TCP exchange inside the namespace: connect, send, echo, close.
fn tcp_exchange(t: &NsTarget) {
    t.run(linx::ns::NsSet::NET, || {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut b = [0u8; 5];
            s.read_exact(&mut b).unwrap();
            s.write_all(&b).unwrap();
        });
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"hello").unwrap();
        let mut b = [0u8; 5];
        c.read_exact(&mut b).unwrap();
        server.join().unwrap();
    })
    .unwrap();
}

fn counters(tbl: &Table, chain: &str) -> Vec<u64> {
    tbl.chain(chain)
        .unwrap()
        .rules
        .iter()
        .map(|r| {
            r.exprs
                .iter()
                .find_map(|e| match e {
                    Expr::Counter(c) => Some(c.packets),
                    _ => None,
                })
                .unwrap_or(0)
        })
        .collect()
}

/// Acceptance 16: byte order under traffic — `meta mark` after `meta mark set`, `ct state
/// established,related`, `oif lo` and `ct mark & 0xff == 4` after `ct mark set 4`, each with a
/// counter: after a TCP exchange every counter is non-zero, as with the same rules loaded by nft.
#[test]
fn nf_22_byte_order_under_traffic() {
    let Some((ns, t)) = fresh() else { return };
    ns.ip(&["link", "set", "lo", "up"]);
    let mut tbl = Table::new(Family::Inet, "bo", TableLifetime::SocketOwned).unwrap();
    let mut pre = Chain::base("pre", BaseChain::new(ChainType::Filter, Hook::Output, -10)).unwrap();
    pre.push(RuleBuilder::new(Family::Inet).set_mark(0x10).build());
    pre.push(
        RuleBuilder::new(Family::Inet)
            .expr(Expr::Immediate(linx::netfilter::expr::Immediate::value(
                Reg::R1,
                Data::host32(4),
            )))
            .expr(Expr::CtSet(linx::netfilter::expr::CtSet {
                key: linx::netfilter::expr::CtKey::Mark,
                sreg: Reg::R1,
                dir: None,
            }))
            .build(),
    );
    let mut out = Chain::base("out", BaseChain::new(ChainType::Filter, Hook::Output, 0)).unwrap();
    out.push(
        RuleBuilder::new(Family::Inet)
            .matches(meta().mark(0x10))
            .counter()
            .build(),
    );
    out.push(
        RuleBuilder::new(Family::Inet)
            .matches(ct().state(CtState::ESTABLISHED | CtState::RELATED))
            .counter()
            .build(),
    );
    out.push(
        RuleBuilder::new(Family::Inet)
            .matches(meta().oif(1))
            .counter()
            .build(),
    );
    out.push(
        RuleBuilder::new(Family::Inet)
            .matches(ct().mark(0xff, 4))
            .counter()
            .build(),
    );
    tbl.add_chain(pre).unwrap();
    tbl.add_chain(out).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&rs).unwrap();
    tcp_exchange(&t);
    let ours = counters(&nft.pull_table(Family::Inet, "bo").unwrap(), "out");
    assert!(ours.iter().all(|c| *c > 0), "{ours:?}");

    let other = NetNs::new().unwrap();
    other.ip(&["link", "set", "lo", "up"]);
    other.run(
        "nft",
        &["add table inet bo; \
           add chain inet bo pre { type filter hook output priority -10; }; \
           add rule inet bo pre meta mark set 0x10; add rule inet bo pre ct mark set 4; \
           add chain inet bo out { type filter hook output priority 0; }; \
           add rule inet bo out meta mark 0x10 counter; \
           add rule inet bo out ct state established,related counter; \
           add rule inet bo out oif lo counter; \
           add rule inet bo out ct mark & 0xff == 4 counter"],
    );
    let ot = NsTarget::fd(other.try_clone_fd().unwrap());
    tcp_exchange(&ot);
    let theirs = counters(
        &Nft::open(&ot)
            .unwrap()
            .pull_table(Family::Inet, "bo")
            .unwrap(),
        "out",
    );
    assert!(theirs.iter().all(|c| *c > 0), "{theirs:?}");
}

/// NF-96 / acceptance 11: `meta nftrace set 1` on an output chain plus a ping yields trace
/// events naming the table, chain and verdict.
#[test]
fn nf_96_trace_events() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("ping") {
        return;
    }
    ns.ip(&["link", "set", "lo", "up"]);
    let mut tr = linx::netfilter::monitor::Tracer::open(&t).unwrap();
    let mut tbl = Table::new(Family::Ip, "tr", TableLifetime::SocketOwned).unwrap();
    let mut out = Chain::base("out", BaseChain::new(ChainType::Filter, Hook::Output, 0)).unwrap();
    out.push(
        RuleBuilder::new(Family::Ip)
            .matches(ip().protocol(1))
            .expr(Expr::Immediate(linx::netfilter::expr::Immediate::value(
                Reg::R1,
                Data::u8(1),
            )))
            .expr(Expr::MetaSet(linx::netfilter::expr::MetaSet {
                key: linx::netfilter::expr::MetaKey::Nftrace,
                sreg: Reg::R1,
            }))
            .accept(),
    );
    tbl.add_chain(out).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&rs).unwrap();
    ns.run("ping", &["-c", "1", "-W", "1", "127.0.0.1"]);
    let mut got = Vec::new();
    while let Some(item) = tr.next_event(Some(Duration::from_secs(2))).unwrap() {
        match item {
            linx::netfilter::monitor::TraceItem::Event(e) => got.push(*e),
            linx::netfilter::monitor::TraceItem::Overrun => panic!("overrun"),
        }
        if got.iter().any(|e| e.verdict == Some(Verdict::Accept)) {
            break;
        }
    }
    let accept = got
        .iter()
        .find(|e| e.verdict == Some(Verdict::Accept))
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(accept.table.as_deref(), Some("tr"));
    assert_eq!(accept.chain.as_deref(), Some("out"));
    assert!(accept.rule_handle.is_some());
    assert!(
        accept.to_string().contains("tr out rule handle"),
        "{accept}"
    );
}

/// NF-27 / acceptance 7: an anonymous set literal (`tcp dport { 22, 80, 443 }`) built with
/// linx equals the anonymous set and rule nft creates for the same statement.
#[test]
fn nf_27_anonymous_set_like_nft() {
    let Some((ns, t)) = fresh() else { return };
    let mut tbl = Table::new(Family::Inet, "a", TableLifetime::Persistent).unwrap();
    let name = tbl
        .add_anonymous_set(
            Set::new("", SetKey::single(DataType::INET_SERVICE))
                .with_elements([22u16, 80, 443].map(Element::new)),
        )
        .unwrap();
    let mut c = Chain::regular("c").unwrap();
    c.push(
        RuleBuilder::new(Family::Inet)
            .matches(tcp().dport_in(&name))
            .accept(),
    );
    tbl.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&rs).unwrap();
    let ours = nft.pull_table(Family::Inet, "a").unwrap();

    let other = NetNs::new().unwrap();
    other.run(
        "nft",
        &["add table inet a; add chain inet a c; add rule inet a c tcp dport { 22, 80, 443 } accept"],
    );
    let theirs = Nft::open(&NsTarget::fd(other.try_clone_fd().unwrap()))
        .unwrap()
        .pull_table(Family::Inet, "a")
        .unwrap();
    assert_eq!(
        ours.chains[0].rules[0].exprs,
        theirs.chains[0].rules[0].exprs
    );
    let (a, b) = (&ours.sets[0], &theirs.sets[0]);
    // nft also writes its `typeof` description (the selector) into the set userdata; the
    // kernel state is otherwise the same.
    assert_eq!(
        (&a.name, a.flags, &a.key, a.size, &a.elements),
        (&b.name, b.flags, &b.key, b.size, &b.elements)
    );
    assert_eq!(
        a.userdata.get(linx::netfilter::userdata::SET_KEYBYTEORDER),
        b.userdata.get(linx::netfilter::userdata::SET_KEYBYTEORDER)
    );
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(
        listing.contains("tcp dport { 22, 80, 443 } accept"),
        "{listing}"
    );
}

/// NF-30 / acceptance 17: a 100,000-range interval set loads in one batch of element messages
/// each below 64 KiB and pulls back as 100,000 ranges.
#[test]
fn nf_30_large_interval_set() {
    let Some((ns, t)) = fresh() else { return };
    let ranges: Vec<Element> = (0..100_000u32)
        .map(|i| {
            let a = 0x0a00_0000 + i * 8;
            Element::new(Part::Range(
                Ipv4Addr::from(a).into(),
                Ipv4Addr::from(a + 2).into(),
            ))
        })
        .collect();
    let set = Set::new("big", SetKey::single(DataType::IPV4_ADDR))
        .interval()
        .with_elements(ranges);
    let mut tbl = Table::new(Family::Ip, "scale", TableLifetime::Persistent).unwrap();
    tbl.add_set(set).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(tbl).unwrap();
    let msgs = linx::netfilter::table_messages(&rs.tables[0]).unwrap();
    let elem_msgs: Vec<_> = msgs
        .iter()
        .filter(|m| m.msg_type() == codec::msg_type(codec::NFT_MSG_NEWSETELEM))
        .collect();
    assert!(elem_msgs.len() > 1);
    assert!(elem_msgs.iter().all(|m| m.bytes().len() < 65_536));
    let mut nft = Nft::open(&t).unwrap();
    let g = nft.generation().unwrap().id;
    nft.push_replace(&rs).unwrap();
    assert!(nft.generation().unwrap().id > g);
    let back = nft.pull_table(Family::Ip, "scale").unwrap();
    let els = &back.set("big").unwrap().elements;
    assert_eq!(els.len(), 100_000);
    assert_eq!(els, &rs.tables[0].sets[0].elements);
    let count = ns.run("nft", &["list", "set", "ip", "scale", "big"]);
    assert!(
        count.contains("10.0.0.0-10.0.0.2"),
        "{}",
        &count[..200.min(count.len())]
    );
}

/// NF-13: every placement — start, end, before/after a handle, replacing a handle, and at an
/// index (resolved to a handle from the kernel, as nft does) — lands where `nft list` shows it.
#[test]
fn nf_13_rule_placements_including_index() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    nft.push_replace(&filter_table(
        TableLifetime::Persistent,
        vec![port_rule(1), port_rule(2), port_rule(3)],
    ))
    .unwrap();
    let ports = |nft: &mut Nft| -> Vec<u16> {
        nft.pull_table(Family::Inet, "fw").unwrap().chains[0]
            .rules
            .iter()
            .map(|r| match &r.exprs[1] {
                Expr::Cmp(c) => u16::from_be_bytes(c.data.as_bytes().try_into().unwrap()),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let add = |nft: &mut Nft, port: u16, p: RulePlacement| {
        nft.add_rule(Family::Inet, "fw", "input", &port_rule(port), p)
            .unwrap()
    };
    add(&mut nft, 0, RulePlacement::Insert);
    add(&mut nft, 4, RulePlacement::Append);
    let h = nft.rule_handle_at(Family::Inet, "fw", "input", 1).unwrap();
    add(&mut nft, 10, RulePlacement::Before(h));
    let h = nft.rule_handle_at(Family::Inet, "fw", "input", 2).unwrap();
    add(&mut nft, 11, RulePlacement::After(h));
    assert_eq!(ports(&mut nft), [0, 10, 1, 11, 2, 3, 4]);
    let h = nft.rule_handle_at(Family::Inet, "fw", "input", 0).unwrap();
    add(&mut nft, 99, RulePlacement::Replace(h));
    assert_eq!(ports(&mut nft), [99, 10, 1, 11, 2, 3, 4]);
    // nft sees the same order.
    let text = ns.run("nft", &["list", "chain", "inet", "fw", "input"]);
    let seen: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("th dport "))
        .map(|l| l.trim_end_matches(" accept"))
        .collect();
    assert_eq!(seen, ["99", "10", "1", "11", "2", "3", "4"], "{text}");
    // An index past the end names the index; a missing chain names the chain.
    let e = nft
        .rule_handle_at(Family::Inet, "fw", "input", 7)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rule index") && e.contains('7') && e.contains("7 rules"),
        "{e}"
    );
    let e = nft
        .rule_handle_at(Family::Inet, "fw", "nope", 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("inet/fw/nope"), "{e}");
}

/// NF-100: a refused batch names every field — operation, errno, object (table, chain, rule
/// number and text), batch position, attribute path, extended-ack text (nf_tables marks the
/// attribute but sends no text, as `nft` shows) and the generation it was checked against — in
/// the one-line `Display` shape.
#[test]
fn nf_100_batch_error_names_every_field() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    ns.run("nft", &["add", "table", "ip", "other"]);
    let g = nft.generation().unwrap().id;
    let bad = Rule::new(vec![Expr::Reject(linx::netfilter::expr::Reject {
        kind: linx::netfilter::expr::RejectKind::IcmpUnreach,
        code: None,
    })]);
    let rs = filter_table(
        TableLifetime::Persistent,
        vec![port_rule(22), port_rule(23), bad.clone()],
    );
    let e = nft
        .push_replace_with(
            &rs,
            &linx::netfilter::PushOptions {
                destroy: Some(true),
                ..Default::default()
            },
        )
        .unwrap_err();
    let linx::Error::Os(os) = &e else {
        panic!("not an OS error: {e}")
    };
    assert_eq!(os.subsystem, linx::error::Subsystem::Netfilter);
    assert_eq!(
        os.operation,
        linx::error::Operation::netlink("NFT_MSG_NEWRULE", linx::netfilter::nft_msg_type(6))
    );
    assert_eq!(os.errno, Errno::INVAL);
    let object = format!("inet/fw chain input rule #3: {bad}");
    assert_eq!(os.context.object.as_deref(), Some(object.as_str()));
    // DESTROYTABLE, NEWTABLE, NEWCHAIN, then the rules: the third rule is message 6.
    assert_eq!(os.context.batch_index, Some(6));
    assert_eq!(
        os.context.attr_path.as_deref(),
        Some("NFTA_RULE_EXPRESSIONS/1")
    );
    assert_eq!(os.context.extack, None);
    assert_eq!(os.context.generation, Some(g));
    assert_eq!(
        e.to_string(),
        format!(
            "netfilter: NFT_MSG_NEWRULE {object} at batch message 6 (generation {g}): EINVAL (errno 22) (attribute NFTA_RULE_EXPRESSIONS/1)"
        )
    );
    // nf_tables marks attributes but sends no text: a refusal nft can also provoke (a nat
    // chain before conntrack) shows nothing beyond strerror in nft, and no extack in linx.
    let out = ns
        .command("nft")
        .arg("add table ip y; add chain ip y c { type nat hook prerouting priority -300; }")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().next(),
        Some("Error: Could not process rule: Operation not supported"),
        "{stderr}"
    );
    let mut y = Table::new(Family::Ip, "y", TableLifetime::Persistent).unwrap();
    y.add_chain(Chain::base("c", BaseChain::new(ChainType::Nat, Hook::Prerouting, -300)).unwrap())
        .unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(y).unwrap();
    let e = nft.push_replace(&rs).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::OPNOTSUPP), "{e}");
    assert_eq!(e.context().unwrap().extack, None, "{e}");
    assert_eq!(e.context().unwrap().generation, Some(g), "{e}");
    assert_eq!(
        nft.generation().unwrap().id,
        g,
        "refused batches commit nothing"
    );

    // A batch carrying its expected generation names it; a conflict names the generation the
    // kernel had.
    let mut b = Batch::new();
    b.push(
        codec::new_rule(
            Family::Ip,
            "other",
            "nochain",
            &port_rule(1),
            RulePlacement::Append,
        )
        .unwrap(),
    );
    b.expect_generation(g);
    let e = nft.send(&b).unwrap_err();
    let ctx = e.context().unwrap();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    assert_eq!(ctx.batch_index, Some(1));
    assert_eq!(ctx.object.as_deref(), Some("ip/other chain nochain rule"));
    assert_eq!(ctx.attr_path.as_deref(), Some("NFTA_RULE_CHAIN"));
    assert_eq!(ctx.generation, Some(g));
    b.expect_generation(g - 1);
    let e = nft.send(&b).unwrap_err();
    assert!(is_conflict(&e), "{e}");
    assert_eq!(e.context().unwrap().generation, Some(g), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "netfilter: NFNL_MSG_BATCH_BEGIN batch expecting generation {} (generation {g}): ERESTART (errno 85)",
            g - 1
        )
    );
}

/// `getsockopt(SO_MEMINFO)`'s drop counter (`SK_MEMINFO_DROPS`) of a socket.
fn socket_drops(fd: std::os::fd::BorrowedFd<'_>) -> u32 {
    use std::os::fd::AsRawFd;
    let mut info = [0u32; 16];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: passes a live buffer and its exact size.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0, "SO_MEMINFO: {}", std::io::Error::last_os_error());
    info[8]
}

/// Makes the kernel drop every further reply to `nft`'s socket silently: with
/// `NETLINK_NO_ENOBUFS` a full receive queue loses datagrams without raising `ENOBUFS`, so the
/// queue is filled with unread `NFT_MSG_GETGEN` answers until the kernel reports a drop.
fn starve_replies(nft: &mut Nft) {
    use linx::netlink::wire::{MsgBuilder, flags};
    use std::os::fd::{AsFd, AsRawFd};
    let one: libc::c_int = 1;
    // SAFETY: passes a live int and its exact size.
    let r = unsafe {
        libc::setsockopt(
            nft.socket().as_fd().as_raw_fd(),
            libc::SOL_NETLINK,
            libc::NETLINK_NO_ENOBUFS,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of_val(&one) as libc::socklen_t,
        )
    };
    assert_eq!(
        r,
        0,
        "NETLINK_NO_ENOBUFS: {}",
        std::io::Error::last_os_error()
    );
    let mut b = MsgBuilder::new(
        linx::netfilter::nft_msg_type(linx::netfilter::NFT_MSG_GETGEN),
        flags::REQUEST,
    );
    b.push_header(&[0, 0, 0, 0]);
    let getgen = b.finish().unwrap();
    let before = socket_drops(nft.socket().as_fd());
    for _ in 0..1_000_000 {
        nft.socket_mut().send_raw(&getgen).unwrap();
        if socket_drops(nft.socket().as_fd()) > before {
            return;
        }
    }
    panic!("the receive queue never filled");
}

/// NF-05: when an ack never arrives the wait ends with a typed timeout naming the operation,
/// after the configured per-ack timeout; the socket stays usable. The ack is made to vanish
/// deterministically with a real kernel socket: its receive queue is full and
/// `NETLINK_NO_ENOBUFS` tells the kernel to drop replies silently. The kernel did process the
/// batch — a timeout means "outcome unknown", not "not applied".
#[test]
fn nf_05_ack_timeout_is_typed_and_leaves_the_socket_usable() {
    let Some((ns, t)) = fresh() else { return };
    let mut nft = Nft::open(&t).unwrap();
    let table = |name: &str| {
        let mut b = Batch::new();
        b.push(
            codec::new_table(
                &Table::new(Family::Ip, name, TableLifetime::Persistent).unwrap(),
                0,
            )
            .unwrap(),
        );
        b
    };
    // Sizes the socket's buffers once, so the queue filled below is the one the batch meets.
    nft.send(&table("first")).unwrap();
    let after = Duration::from_millis(200);
    nft.set_timeout(Some(after));

    starve_replies(&mut nft);
    let e = nft.send(&table("second")).unwrap_err();
    let linx::Error::Timeout(te) = &e else {
        panic!("not a timeout: {e}")
    };
    assert_eq!(te.subsystem, linx::error::Subsystem::Netfilter);
    assert_eq!(
        te.operation,
        linx::error::Operation::netlink("NFNL_MSG_BATCH_END", 0x11)
    );
    assert_eq!(te.after, after);
    assert_eq!(e.io_kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(
        e.to_string(),
        "netfilter: NFNL_MSG_BATCH_END batch of 1 messages: timed out after 200ms"
    );
    assert_eq!(nft_tables(&ns), ["ip first", "ip second"]);

    // A plain request times out the same way, naming its message.
    starve_replies(&mut nft);
    let e = nft.generation().unwrap_err();
    let linx::Error::Timeout(te) = &e else {
        panic!("not a timeout: {e}")
    };
    assert_eq!(te.operation.to_string(), "NFT_MSG_GETGEN", "{e}");

    // Stale replies are discarded by sequence number: the handle works on.
    let g = nft.generation().unwrap().id;
    nft.send(&table("third")).unwrap();
    assert_eq!(nft.generation().unwrap().id, g + 1);
}

/// A ruleset whose replace batch is tens of kilobytes: a named set of 300 addresses (its
/// element messages name it by set id), 150 rules each with its own anonymous set (bound by set
/// id), a regular chain with 150 more rules and a jump.
fn big_ruleset() -> Ruleset {
    let mut t = Table::new(Family::Inet, "big", TableLifetime::Persistent).unwrap();
    t.add_set(
        Set::new("allowed", SetKey::single(DataType::IPV4_ADDR))
            .with_elements((0..300u32).map(|i| Element::new(Ipv4Addr::from(0x0a00_0000 + i)))),
    )
    .unwrap();
    let mut input = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
    )
    .unwrap();
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(ip().saddr_in("allowed"))
            .accept(),
    );
    let mut sub = Chain::regular("sub").unwrap();
    for i in 0..150u16 {
        let ports = Set::new("", SetKey::single(DataType::INET_SERVICE))
            .with_elements((0..3).map(|k| Element::new(2000 + i * 3 + k)));
        let name = t.add_anonymous_set(ports).unwrap();
        input.push(
            RuleBuilder::new(Family::Inet)
                .matches(tcp().dport_in(&name))
                .counter()
                .accept(),
        );
        sub.push(
            RuleBuilder::new(Family::Inet)
                .matches(udp().dport(1000 + i))
                .drop(),
        );
    }
    input.push(RuleBuilder::new(Family::Inet).jump("sub"));
    t.add_chain(input).unwrap();
    t.add_chain(sub).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    rs
}

/// NF-04: a batch too large for the socket is refused whole by default (`EMSGSIZE` naming its
/// size); with non-atomic loading allowed it goes in several batches — each under the limit,
/// ids kept with their sets, order kept — and the result equals the atomic push (`nft -j` in
/// another namespace). The generation advances once per part: it really was split.
#[test]
fn nf_04_oversized_batch_splits_only_when_allowed() {
    let Some((ns, t)) = fresh() else { return };
    let rs = big_ruleset();
    let mut nft = Nft::open(&t).unwrap();
    let opts = linx::netfilter::PushOptions {
        destroy: Some(true),
        ..Default::default()
    };
    let b = nft.replace_batch(&rs, &opts).unwrap();
    let max = 16 * 1024;
    assert!(b.byte_len() > 3 * max, "{} bytes", b.byte_len());

    // Default: atomic. A socket that cannot take the datagram refuses it, naming the size.
    // (Here the send buffer is shrunk by hand; unprivileged sockets are capped at twice
    // `net.core.wmem_max`, privileged ones grow it with SO_SNDBUFFORCE.)
    nft.socket_mut().set_send_buffer(4096).unwrap();
    let g0 = nft.generation().unwrap().id;
    let e = nft.send(&b).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::MSGSIZE), "{e}");
    let object = e.context().unwrap().object.clone().unwrap();
    assert!(
        object.starts_with(&format!(
            "batch of {} messages, {} bytes, larger than the socket can send",
            b.len(),
            b.byte_len() - 8 // no expected generation: BATCH_BEGIN without NFNL_BATCH_GENID
        )),
        "{e}"
    );
    assert_eq!(nft.generation().unwrap().id, g0);
    nft.socket_mut().set_send_buffer(256 * 1024).unwrap();

    // Allowed: split under the limit, each part committed on its own.
    let ranges = b.split_ranges(max).unwrap();
    assert!(ranges.len() >= 3, "{ranges:?}");
    assert_eq!(ranges.first().unwrap().start, 0);
    assert_eq!(ranges.last().unwrap().end, b.len());
    assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
    for r in &ranges {
        let mut part = Batch::new();
        part.extend(b.messages()[r.clone()].iter().cloned());
        assert!(part.byte_len() <= max, "{r:?}: {}", part.byte_len());
    }
    let reply = nft.send_split(&b, max).unwrap();
    assert_eq!(reply.parts, ranges);
    assert_eq!(
        nft.generation().unwrap().id,
        g0 + ranges.len() as u32,
        "one generation per part"
    );

    // The same ruleset pushed atomically elsewhere is identical.
    let (ns2, t2) = fresh().unwrap();
    let mut nft2 = Nft::open(&t2).unwrap();
    let g = nft2.generation().unwrap().id;
    nft2.push_replace(&rs).unwrap();
    assert_eq!(nft2.generation().unwrap().id, g + 1);
    assert_eq!(ns.nft_state(), ns2.nft_state());
    assert_eq!(
        ns.nft_state()["nftables"].as_array().unwrap().len(),
        1 + 1 + 2 + (1 + 150 + 1) + 150,
        "table, named set, two chains, the rules (anonymous sets print inline)"
    );

    // The push option does the same, replacing the table again.
    let g = nft.generation().unwrap().id;
    nft.push_replace_with(
        &rs,
        &linx::netfilter::PushOptions {
            destroy: Some(true),
            split: Some(max),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(nft.generation().unwrap().id, g + ranges.len() as u32);
    assert_eq!(ns.nft_state(), ns2.nft_state());

    // A refusal in a later part names the original position and the part; earlier parts
    // stay committed.
    let mut bad = b.clone();
    bad.push(
        codec::new_rule(
            Family::Inet,
            "big",
            "sub",
            &Rule::new(vec![Expr::Reject(linx::netfilter::expr::Reject {
                kind: linx::netfilter::expr::RejectKind::IcmpUnreach,
                code: None,
            })]),
            RulePlacement::Append,
        )
        .unwrap(),
    );
    let parts = bad.split_ranges(max).unwrap().len();
    let g = nft.generation().unwrap().id;
    let e = nft.send_split(&bad, max).unwrap_err();
    let ctx = e.context().unwrap();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert_eq!(ctx.batch_index, Some(bad.len()), "{e}");
    assert_eq!(
        ctx.object.as_deref(),
        Some(
            format!(
                "inet/big chain sub rule (part {parts} of {parts} of a split batch; parts before it are committed)"
            )
            .as_str()
        )
    );
    assert_eq!(ctx.generation, Some(g + parts as u32 - 1), "{e}");
    assert_eq!(nft.generation().unwrap().id, g + parts as u32 - 1);

    // A group bound by set ids larger than the limit cannot be split: nothing is sent.
    let e = nft.send_split(&b, 4096).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(
        e.to_string()
            .contains("refer to each other by batch-local id"),
        "{e}"
    );
    assert_eq!(nft.generation().unwrap().id, g + parts as u32 - 1);
}
