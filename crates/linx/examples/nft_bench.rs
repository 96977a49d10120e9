//! nf_tables benchmark: linx against `nft` in the same run, in fresh network namespaces.
//!
//! 1. a ruleset with a 100,000-element ipv4 set: linx push vs `nft -f` (and the same with
//!    100,000 ranges in an interval set);
//! 2. 10,000 rules in one chain: linx push vs `nft -f`;
//! 3. pull of (2) vs `nft -j list ruleset`;
//! 4. reconcile of the unchanged (2): pull + diff, no batch.
//!
//! Run as root: `cargo run --release -p linx --example nft_bench [-- RUNS]` (default 3 runs per
//! measurement, median reported). Prints absolute times and linx/nft ratios (< 1 = linx faster).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use linx::netfilter::builder::{RuleBuilder, tcp};
use linx::netfilter::set::{DataType, Element, Part, Set, SetKey};
use linx::netfilter::{
    BaseChain, Chain, ChainType, Family, Hook, Nft, Policy, Ruleset, Table, TableLifetime,
};
use linx::ns::NsTarget;
use linx_testkit::NetNs;

const ELEMENTS: u32 = 100_000;
const RULES: u16 = 10_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn target(ns: &NetNs) -> NsTarget {
    NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"))
}

fn nft(ns: &NetNs, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = ns.command("nft").args(args).output().expect("run nft");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "nft {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn addr(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + i)
}

fn set_ruleset() -> (Ruleset, String) {
    let mut t = Table::new(Family::Ip, "bench", TableLifetime::Persistent).unwrap();
    t.add_set(
        Set::new("s", SetKey::single(DataType::IPV4_ADDR))
            .with_elements((0..ELEMENTS).map(|i| Element::new(addr(i)))),
    )
    .unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    let mut text = String::from("table ip bench {\n set s {\n  type ipv4_addr\n  elements = { ");
    for i in 0..ELEMENTS {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&addr(i).to_string());
    }
    text.push_str(" }\n }\n}\n");
    (rs, text)
}

fn interval_ruleset() -> (Ruleset, String) {
    let range = |i: u32| (addr(i * 8), addr(i * 8 + 2));
    let mut t = Table::new(Family::Ip, "bench", TableLifetime::Persistent).unwrap();
    t.add_set(
        Set::new("r", SetKey::single(DataType::IPV4_ADDR))
            .interval()
            .with_elements((0..ELEMENTS).map(|i| {
                let (a, b) = range(i);
                Element::new(Part::Range(a.into(), b.into()))
            })),
    )
    .unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    let mut text = String::from(
        "table ip bench {\n set r {\n  type ipv4_addr\n  flags interval\n  elements = { ",
    );
    for i in 0..ELEMENTS {
        if i > 0 {
            text.push_str(", ");
        }
        let (a, b) = range(i);
        text.push_str(&format!("{a}-{b}"));
    }
    text.push_str(" }\n }\n}\n");
    (rs, text)
}

fn rules_ruleset() -> (Ruleset, String) {
    let mut t = Table::new(Family::Inet, "bench", TableLifetime::Persistent).unwrap();
    let mut c = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Accept),
    )
    .unwrap();
    let mut text = String::from(
        "table inet bench {\n chain input {\n  type filter hook input priority 0; policy accept;\n",
    );
    for i in 0..RULES {
        let port = 1 + i;
        c.push(
            RuleBuilder::new(Family::Inet)
                .matches(tcp().dport(port))
                .counter()
                .accept()
                .tag(&format!("r{i}"))
                .unwrap(),
        );
        text.push_str(&format!("  tcp dport {port} counter accept\n"));
    }
    text.push_str(" }\n}\n");
    t.add_chain(c).unwrap();
    let mut rs = Ruleset::new();
    rs.add_table(t).unwrap();
    (rs, text)
}

fn report(what: &str, linx: Duration, nft: Option<Duration>) {
    match nft {
        Some(n) => println!(
            "{what:<44} linx {:>9.1} ms   nft {:>9.1} ms   ratio {:.2}",
            linx.as_secs_f64() * 1e3,
            n.as_secs_f64() * 1e3,
            linx.as_secs_f64() / n.as_secs_f64()
        ),
        None => println!("{what:<44} linx {:>9.1} ms", linx.as_secs_f64() * 1e3),
    }
}

fn main() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("nft_bench needs root (it creates network namespaces)");
        std::process::exit(2);
    }
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let dir = std::env::temp_dir().join(format!("linx-nft-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let version = std::process::Command::new("nft")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("nf_tables benchmark, {runs} runs each, median; reference: {version}");

    // 1. 100k-element set.
    let (rs, text) = set_ruleset();
    let file = dir.join("set.nft");
    std::fs::write(&file, text).unwrap();
    let (mut l, mut n) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let ns = NetNs::new().unwrap();
        let mut h = Nft::open(&target(&ns)).unwrap();
        let t = Instant::now();
        h.push_replace(&rs).unwrap();
        l.push(t.elapsed());
        let ns2 = NetNs::new().unwrap();
        n.push(nft(&ns2, &["-f", file.to_str().unwrap()]));
    }
    report(
        &format!("push: set of {ELEMENTS} ipv4 elements"),
        median(l),
        Some(median(n)),
    );

    // 1b. 100k-range interval set (spec acceptance 17: within 2x of nft).
    let (rs, text) = interval_ruleset();
    let file = dir.join("ranges.nft");
    std::fs::write(&file, text).unwrap();
    let (mut l, mut n) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let ns = NetNs::new().unwrap();
        let mut h = Nft::open(&target(&ns)).unwrap();
        let t = Instant::now();
        h.push_replace(&rs).unwrap();
        l.push(t.elapsed());
        let ns2 = NetNs::new().unwrap();
        n.push(nft(&ns2, &["-f", file.to_str().unwrap()]));
    }
    report(
        &format!("push: interval set of {ELEMENTS} ranges"),
        median(l),
        Some(median(n)),
    );

    // 2. 10k rules.
    let (rs, text) = rules_ruleset();
    let file = dir.join("rules.nft");
    std::fs::write(&file, text).unwrap();
    let (mut l, mut n) = (Vec::new(), Vec::new());
    let keep = NetNs::new().unwrap();
    for i in 0..runs {
        let ns = NetNs::new().unwrap();
        let mut h = Nft::open(&target(&ns)).unwrap();
        let t = Instant::now();
        h.push_replace(&rs).unwrap();
        l.push(t.elapsed());
        let ns2 = NetNs::new().unwrap();
        n.push(nft(&ns2, &["-f", file.to_str().unwrap()]));
        if i == 0 {
            Nft::open(&target(&keep))
                .unwrap()
                .push_replace(&rs)
                .unwrap();
        }
    }
    report(
        &format!("push: {RULES} rules in one chain"),
        median(l),
        Some(median(n)),
    );

    // 3. pull vs nft -j list ruleset.
    let mut h = Nft::open(&target(&keep)).unwrap();
    let (mut l, mut n) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let pulled = h.pull().unwrap();
        l.push(t.elapsed());
        assert_eq!(pulled.rule_count(), usize::from(RULES));
        n.push(nft(&keep, &["-j", "list", "ruleset"]));
    }
    report(
        &format!("pull: {RULES} rules vs nft -j list ruleset"),
        median(l),
        Some(median(n)),
    );

    // 4. reconcile of the unchanged ruleset.
    let g = h.generation().unwrap().id;
    let mut l = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let p = h.reconcile(&rs).unwrap();
        l.push(t.elapsed());
        assert!(p.is_empty(), "{p:#}");
    }
    assert_eq!(h.generation().unwrap().id, g, "reconcile sent a batch");
    report(
        &format!("reconcile (pull + diff): {RULES} unchanged rules"),
        median(l),
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
