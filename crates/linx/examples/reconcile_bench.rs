//! Reconcile benchmark: the cost of a pass when nothing changed, and the latency of an
//! event-driven heal, in fresh network namespaces, with the reference tools timed in the same run.
//!
//! 1. rtnetlink: a namespace with N routes of the reconciler's protocol (N = 1,250 … 10,000):
//!    one no-change pass (observe = dump links, addresses, routes, rules; diff; nothing to
//!    apply), split into observe and diff, against `ip -j route show table all proto 76`
//!    (which only lists). µs per route shows the scaling.
//! 2. nf_tables: one table with N tagged rules (N = 1,250 … 10,000): one no-change pass (read
//!    the generation, pull the table, diff) against `nft -j list table`.
//! 3. Heal latency: a loop with monitor wake-ups and no timer keeps 10 (and 10,000) routes; a
//!    route deleted by another socket (as `ip route del` does) is back after … (the delete's
//!    commit → the healing pass's report),
//!    for debounce windows of 0, 10 and 100 ms.
//!
//! Each figure is the best of `LINX_BENCH_RUNS` (default 7) runs; heal latencies are the median
//! and the maximum of 15 drifts. Needs root, `ip` and `nft`. Run:
//! `cargo run --release -p linx --all-features --example reconcile_bench`.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use linx::netfilter::builder::{RuleBuilder, tcp};
use linx::netfilter::{
    BaseChain, Chain, ChainType, Family, Hook, Policy, Ruleset, Table, TableLifetime,
};
use linx::ns::NsTarget;
use linx::reconcile::net::{
    AddressDesired, NetDesired, NetObserved, NetOwned, NetReconciler, RouteDesired,
};
use linx::reconcile::nft::{NftOwned, NftReconciler};
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler};
use linx::rtnl::{LinkSpec, RouteProtocol, RouteSpec, Rtnl};
use linx::types::{IfName, Prefix};
use linx_testkit::NetNs;

fn runs() -> usize {
    std::env::var("LINX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
}

fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut b = Duration::MAX;
    for _ in 0..runs() {
        let t = Instant::now();
        std::hint::black_box(f());
        b = b.min(t.elapsed());
    }
    b
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

const SIZES: [usize; 4] = [1_250, 2_500, 5_000, 10_000];

fn ifn(s: &str) -> IfName {
    s.parse().expect("interface name")
}

/// A namespace with b0 ↔ b1 up.
fn namespace() -> (NetNs, NsTarget) {
    let ns = NetNs::new().expect("netns (needs root)");
    let t = NsTarget::fd(ns.try_clone_fd().expect("dup"));
    let mut rtnl = Rtnl::open(&t).expect("rtnl");
    rtnl.create_link(&LinkSpec::veth("b0", "b1")).expect("veth");
    rtnl.set_up("b0").expect("up");
    rtnl.set_up("b1").expect("up");
    (ns, t)
}

fn net_desired(n: usize) -> NetDesired {
    let mut d = NetDesired::new().address(AddressDesired::new(
        ifn("b0"),
        "10.255.0.1/16".parse().expect("addr"),
    ));
    for i in 0..n {
        let p = Prefix::new(
            IpAddr::V4(Ipv4Addr::new(100, 64 + (i / 256) as u8, (i % 256) as u8, 0)),
            24,
        )
        .expect("prefix");
        d = d.route(RouteDesired::new(p).via(IpAddr::V4(Ipv4Addr::new(10, 255, 0, 2))));
    }
    d
}

fn ruleset(n: usize) -> Ruleset {
    let mut t = Table::new(Family::Inet, "bench", TableLifetime::Persistent).expect("table");
    let mut c = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
    )
    .expect("chain");
    for i in 0..n {
        c.push(
            RuleBuilder::new(Family::Inet)
                .matches(tcp().dport(1000 + (i % 60000) as u16))
                .accept()
                .tag(&format!("r{i}"))
                .expect("tag"),
        );
    }
    t.add_chain(c).expect("add chain");
    let mut rs = Ruleset::new();
    rs.add_table(t).expect("add table");
    rs
}

fn tool(ns: &NetNs, program: &str, args: &[&str]) {
    let st = ns
        .command(program)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("run tool");
    assert!(st.success(), "{program} {args:?} failed");
}

fn bench_net() {
    println!("== rtnetlink: a no-change pass over N routes of protocol 76 ==");
    println!(
        "{:>7} {:>11} {:>11} {:>11} {:>9} {:>16} {:>8}",
        "routes", "pass ms", "observe ms", "diff ms", "µs/route", "ip -j route ms", "ratio"
    );
    for n in SIZES {
        let (ns, t) = namespace();
        let desired = net_desired(n);
        let mut net = NetReconciler::new();
        let opts = Options::default();
        let first = net
            .reconcile(&t, &desired, &NetOwned::default(), &opts)
            .expect("first pass");
        assert!(first.converged, "{first}");
        let owned = first.last_applied.clone();
        let pass = best(|| {
            let r = net.reconcile(&t, &desired, &owned, &opts).expect("pass");
            assert!(r.is_noop(), "{r}");
        });
        let mut observed = NetObserved::default();
        let observe = best(|| {
            observed = net.observe(&t, &desired, &owned).expect("observe");
        });
        let diff = best(|| {
            let p = net.diff(&observed, &desired, &owned, &opts).expect("diff");
            assert!(p.ops.is_empty());
        });
        let ip = best(|| {
            tool(
                &ns,
                "ip",
                &["-j", "route", "show", "table", "all", "proto", "76"],
            )
        });
        println!(
            "{n:>7} {:>11.2} {:>11.2} {:>11.2} {:>9.2} {:>16.2} {:>7.2}x",
            ms(pass),
            ms(observe),
            ms(diff),
            pass.as_secs_f64() * 1e6 / n as f64,
            ms(ip),
            pass.as_secs_f64() / ip.as_secs_f64()
        );
    }
}

fn bench_nft() {
    println!("== nf_tables: a no-change pass over a table of N tagged rules ==");
    println!(
        "{:>7} {:>11} {:>11} {:>11} {:>9} {:>16} {:>8}",
        "rules", "pass ms", "observe ms", "diff ms", "µs/rule", "nft -j list ms", "ratio"
    );
    for n in SIZES {
        let (ns, t) = namespace();
        let rs = ruleset(n);
        let mut nft = NftReconciler::new();
        let opts = Options::default();
        let first = nft
            .reconcile(&t, &rs, &NftOwned::default(), &opts)
            .expect("first pass");
        assert!(first.converged, "{first}");
        let owned = first.last_applied.clone();
        let pass = best(|| {
            let r = nft.reconcile(&t, &rs, &owned, &opts).expect("pass");
            assert!(r.is_noop(), "{r}");
        });
        let mut observed = None;
        let observe = best(|| {
            observed = Some(nft.observe(&t, &rs, &owned).expect("observe"));
        });
        let observed = observed.expect("observed");
        let diff = best(|| {
            let p = nft.diff(&observed, &rs, &owned, &opts).expect("diff");
            assert!(p.patch.is_empty());
        });
        let reference = best(|| tool(&ns, "nft", &["-j", "list", "table", "inet", "bench"]));
        println!(
            "{n:>7} {:>11.2} {:>11.2} {:>11.2} {:>9.2} {:>16.2} {:>7.2}x",
            ms(pass),
            ms(observe),
            ms(diff),
            pass.as_secs_f64() * 1e6 / n as f64,
            ms(reference),
            pass.as_secs_f64() / reference.as_secs_f64()
        );
    }
}

fn bench_heal(routes: usize, debounce: Duration) -> (Duration, Duration) {
    let (_ns, t) = namespace();
    let mut rtnl = Rtnl::open(&t).expect("rtnl");
    let (tx, rx) = mpsc::channel();
    let lp = ReconcileLoop::start(
        NetReconciler::new(),
        t,
        net_desired(routes),
        LoopOptions::default()
            .interval(None)
            .debounce(debounce)
            .channel(tx),
    )
    .expect("loop");
    let first = rx.recv().expect("first pass").expect("first pass ok");
    assert!(first.converged);
    let mut samples = Vec::new();
    for i in 0..15 {
        // Let the passes our own changes triggered finish.
        while let Ok(r) = rx.recv_timeout(debounce * 3 + Duration::from_millis(50)) {
            r.expect("pass");
        }
        let dst = format!("100.64.{}.0/24", i % routes.min(256));
        let spec = RouteSpec::new(dst.parse().expect("prefix")).protocol(RouteProtocol(76));
        // The drift: a delete committed by another socket (the same as `ip route del`, without
        // the process start-up in the figure).
        let drift = Instant::now();
        rtnl.delete_route(&spec).expect("delete");
        loop {
            let r = rx.recv().expect("report").expect("pass ok");
            if r.applied.iter().any(|o| o.to_string().contains(&dst)) {
                samples.push(drift.elapsed());
                break;
            }
        }
    }
    lp.stop();
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() - 1])
}

fn main() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("reconcile_bench needs root (it creates network namespaces)");
        std::process::exit(2);
    }
    bench_net();
    bench_nft();
    println!("== heal latency: route deleted → the healing pass's report (monitor, no timer) ==");
    println!(
        "{:>7} {:>12} {:>11} {:>9}",
        "routes", "debounce ms", "median ms", "max ms"
    );
    for routes in [10, 10_000] {
        for d in [0u64, 10, 100] {
            let (med, max) = bench_heal(routes, Duration::from_millis(d));
            println!("{routes:>7} {d:>12} {:>11.2} {:>9.2}", ms(med), ms(max));
        }
    }
}
