//! VM tier for nf_tables: what the host kernel cannot show, checked inside the qemu guest of
//! `cargo xtask vm-test` (Debian's 6.1 kernel, where flowtables, the queue expression and the
//! conntrack helpers are loadable modules, and which predates `DESTROYTABLE`).

use std::path::Path;

use linx::netfilter::expr::{Expr, FlowOffload, Queue, queue_flags};
use linx::netfilter::{
    BaseChain, Chain, ChainType, Family, Flowtable, Hook, Nft, PushOptions, Rule, Ruleset, Table,
    TableLifetime,
};
use linx::ns::NsTarget;
use linx_testkit::NetNs;

fn target(ns: &NetNs) -> NsTarget {
    NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"))
}

fn kernel_release() -> (u32, u32) {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = r
        .trim()
        .split(['.', '-'])
        .map(|x| x.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// NF-34 / NF-71: a flowtable on `lo` and a `flow add` rule push, pull back intact, and nft sees
/// them.
#[test]
fn vm_nf_34_flowtable_and_flow_offload() {
    if !linx_testkit::require_vm("flowtables (nf_flow_table module)") {
        return;
    }
    let ns = NetNs::new().unwrap();
    let mut nft = Nft::open(&target(&ns)).unwrap();
    let mut t = Table::new(Family::Inet, "ft", TableLifetime::Persistent).unwrap();
    let mut f = Flowtable::new("f", 0, ["lo"]);
    f.flags = 0x2;
    t.add_flowtable(f).unwrap();
    let mut fwd = Chain::base("fwd", BaseChain::new(ChainType::Filter, Hook::Forward, 0)).unwrap();
    fwd.push(Rule::new(vec![Expr::FlowOffload(FlowOffload {
        flowtable: "f".into(),
    })]));
    t.add_chain(fwd).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    nft.push_replace(&rs).unwrap();
    let back = nft.pull_table(Family::Inet, "ft").unwrap();
    assert_eq!(back.flowtables.len(), 1);
    assert_eq!(back.flowtables[0].devices, ["lo"]);
    assert_eq!(back.flowtables[0].flags, 0x2);
    assert_eq!(
        back.chains[0].rules[0].exprs,
        rs.tables[0].chains[0].rules[0].exprs
    );
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(listing.contains("flowtable f"), "{listing}");
    assert!(listing.contains("flow add @f"), "{listing}");
}

/// NF-69: the queue statement with a number range, bypass and fanout.
#[test]
fn vm_nf_69_queue_statement() {
    if !linx_testkit::require_vm("the queue expression (nft_queue module)") {
        return;
    }
    let ns = NetNs::new().unwrap();
    let mut nft = Nft::open(&target(&ns)).unwrap();
    let mut t = Table::new(Family::Inet, "q", TableLifetime::Persistent).unwrap();
    let mut c = Chain::base("in", BaseChain::new(ChainType::Filter, Hook::Input, 0)).unwrap();
    c.push(Rule::new(vec![Expr::Queue(Queue {
        num: Some(1),
        total: Some(3),
        flags: Some(queue_flags::BYPASS | queue_flags::CPU_FANOUT),
        sreg_qnum: None,
    })]));
    t.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    nft.push_replace(&rs).unwrap();
    let back = nft.pull_table(Family::Inet, "q").unwrap();
    assert_eq!(
        back.chains[0].rules[0].exprs,
        rs.tables[0].chains[0].rules[0].exprs
    );
    let listing = ns.run("nft", &["list", "ruleset"]);
    assert!(listing.contains("queue"), "{listing}");
    assert!(listing.contains("1-3"), "{listing}");
}

/// NF-82 / acceptance 20: on a kernel before 6.3 there is no DESTROYTABLE; replace pushes go
/// through the create/delete/recreate fallback and still replace atomically.
#[test]
fn vm_nf_82_replace_without_destroytable() {
    if !linx_testkit::require_vm("a kernel older than 6.3") {
        return;
    }
    let ns = NetNs::new().unwrap();
    let mut nft = Nft::open(&target(&ns)).unwrap();
    let old = kernel_release() < (6, 3);
    assert_eq!(nft.destroy_supported().unwrap(), !old);
    let mk = |port: u16| {
        let mut t = Table::new(Family::Ip, "r", TableLifetime::Persistent).unwrap();
        let mut c = Chain::regular("c").unwrap();
        c.push(
            linx::netfilter::builder::RuleBuilder::new(Family::Ip)
                .matches(linx::netfilter::builder::tcp().dport(port))
                .accept(),
        );
        t.add_chain(c).unwrap();
        let mut rs = Ruleset::new();
        rs.add_table(t).unwrap();
        rs
    };
    nft.push_replace(&mk(1)).unwrap();
    nft.push_replace(&mk(2)).unwrap();
    nft.push_replace_with(&mk(3), &PushOptions::default())
        .unwrap();
    let back = nft.pull_table(Family::Ip, "r").unwrap();
    assert_eq!(back.chains[0].rules.len(), 1);
    assert_eq!(
        back.chains[0].rules[0].exprs,
        mk(3).tables[0].chains[0].rules[0].exprs
    );
    if old {
        // Forcing DESTROY on this kernel is refused as an unknown message, changing nothing.
        let e = nft
            .push_replace_with(
                &mk(4),
                &PushOptions {
                    echo: false,
                    destroy: Some(true),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(e.errno().is_some(), "{e}");
        let back = nft.pull_table(Family::Ip, "r").unwrap();
        assert_eq!(
            back.chains[0].rules[0].exprs,
            mk(3).tables[0].chains[0].rules[0].exprs
        );
    }
}

/// Every expression and object kind (flowtables, queue, ct helper/timeout/expectation
/// included): nft loads the capture ruleset, linx pulls it without `Unknown`, pushes it into a
/// fresh namespace, and both look the same to nft.
#[test]
fn vm_nf_40_every_expression_kind_round_trips() {
    if !linx_testkit::require_vm("flowtable, queue and conntrack helper modules") {
        return;
    }
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netfilter_data/expressions_vm.nft");
    let a = NetNs::new().unwrap();
    let out = a
        .command("nft")
        .args(["-f", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nft -f: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut na = Nft::open(&target(&a)).unwrap();
    let pulled = na.pull().unwrap();
    assert!(!pulled.tables.is_empty(), "nothing loaded");
    assert_eq!(pulled.unknown_rules(), Vec::<String>::new());
    let b = NetNs::new().unwrap();
    Nft::open(&target(&b))
        .unwrap()
        .push_replace(&pulled)
        .unwrap();
    assert_eq!(a.nft_state(), b.nft_state());
}
