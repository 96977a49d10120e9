//! nft language at scale (spec nft-language.md, acceptance scenario 10): a file with a
//! 100,000-element interval set, and one with 10,000 rules, through linx's front end
//! (read + parse + expand + evaluate + linearise, then one batch) against `nft -f` of the same
//! file, each in a fresh network namespace, in the same run.
//!
//! Then both rulesets are listed back: linx's pull + print (and pull + JSON) against
//! `nft list ruleset` (and `nft -j list ruleset`).
//!
//! Run as root: `cargo run --release -p linx --features serde --example nft_lang_bench [-- RUNS]`
//! (default 5; medians; without `serde` the JSON columns are left out). Targets: parse +
//! evaluate under 1 s; load within 2× of `nft -f`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use linx::nft::{self, CompileEnv, LoadOptions, NetlinkIfResolver};
use linx::ns::NsTarget;
use linx_testkit::NetNs;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn interval_file() -> String {
    let mut s = String::from(
        "table ip big {\n\tset nets {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ",
    );
    for i in 0..100_000u32 {
        // Disjoint /30 prefixes and single hosts, alternating.
        let base = 0x0a00_0000u32 + i * 8;
        let a = std::net::Ipv4Addr::from(base);
        if i % 2 == 0 {
            let _ = write!(s, "{a}/30, ");
        } else {
            let _ = write!(s, "{a}, ");
        }
    }
    s.truncate(s.len() - 2);
    s.push_str(" }\n\t}\n\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tip saddr @nets drop\n\t}\n}\n");
    s
}

fn rules_file() -> String {
    let mut s = String::from(
        "table inet many {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n",
    );
    for i in 0..10_000u32 {
        let _ = writeln!(
            s,
            "\t\tip saddr 10.{}.{}.0/24 tcp dport {} counter accept",
            i / 256 % 256,
            i % 256,
            1024 + i % 60_000
        );
    }
    s.push_str("\t}\n}\n");
    s
}

/// Pull + `show --json` of the namespace (with the `serde` feature).
#[cfg(feature = "serde")]
fn json_listing(target: &NsTarget, opts: &nft::PrintOptions) -> Option<Duration> {
    let t = Instant::now();
    let rs = linx::netfilter::Nft::open(target).unwrap().pull().unwrap();
    let j = nft::print_json(&rs, opts);
    let _ = j.document_string();
    Some(t.elapsed())
}

#[cfg(not(feature = "serde"))]
fn json_listing(_: &NsTarget, _: &nft::PrintOptions) -> Option<Duration> {
    None
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("linx-nft-lang-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("| file | linx parse+evaluate | linx load (all) | nft -f | ratio load |");
    println!("|---|---|---|---|---|");
    for (name, text) in [
        ("100,000-element interval set", interval_file()),
        ("10,000 rules", rules_file()),
    ] {
        let path = dir.join("f.nft");
        std::fs::write(&path, &text).unwrap();
        let (mut front, mut load, mut reference) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..runs {
            // The kernel tears a dropped namespace's 100,000 elements down in the background:
            // alternate which tool goes first so that cost lands on both alike.
            let mut linx_run = || {
                let ns = NetNs::new().unwrap();
                let target = NsTarget::fd(ns.try_clone_fd().unwrap());
                let t = Instant::now();
                let src = nft::load_file(Path::new(&path), &LoadOptions::default()).unwrap();
                let ifr = NetlinkIfResolver::new(&target).unwrap();
                let prog = nft::compile(&src, &CompileEnv::new(&ifr)).unwrap();
                front.push(t.elapsed());
                nft::apply(&prog, &target).unwrap();
                load.push(t.elapsed());
            };
            let mut nft_run = || {
                let ns2 = NetNs::new().unwrap();
                let t = Instant::now();
                let out = ns2
                    .command("nft")
                    .args(["-f", path.to_str().unwrap()])
                    .output()
                    .unwrap();
                reference.push(t.elapsed());
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            if run % 2 == 0 {
                linx_run();
                nft_run();
            } else {
                nft_run();
                linx_run();
            }
        }
        let (f, l, r) = (median(front), median(load), median(reference));
        println!(
            "| {name} ({} KB) | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}× |",
            text.len() / 1024,
            f.as_secs_f64() * 1e3,
            l.as_secs_f64() * 1e3,
            r.as_secs_f64() * 1e3,
            l.as_secs_f64() / r.as_secs_f64()
        );
    }
    // Listing the loaded ruleset back: pull + print (every rule decompiled and checked by
    // recompiling it) against `nft list ruleset`, and the JSON forms, in one namespace.
    println!();
    println!(
        "| ruleset | linx show | nft list ruleset | ratio | linx show --json | nft -j list ruleset | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, text) in [
        ("100,000-element interval set", interval_file()),
        ("10,000 rules", rules_file()),
    ] {
        let path = dir.join("f.nft");
        std::fs::write(&path, &text).unwrap();
        let ns = NetNs::new().unwrap();
        ns.run("nft", &["-f", path.to_str().unwrap()]);
        let target = NsTarget::fd(ns.try_clone_fd().unwrap());
        let opts = nft::PrintOptions {
            ifnames: NetlinkIfResolver::new(&target).unwrap().names(),
            ..Default::default()
        };
        let (mut text_l, mut text_n, mut json_l, mut json_n) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let time_nft = |args: &[&str]| {
            let t = Instant::now();
            let out = ns.command("nft").args(args).output().unwrap();
            assert!(out.status.success());
            t.elapsed()
        };
        for _ in 0..runs {
            let t = Instant::now();
            let rs = linx::netfilter::Nft::open(&target).unwrap().pull().unwrap();
            let p = nft::print(&rs, &opts);
            assert!(p.lossy.is_empty(), "{:?}", p.lossy);
            text_l.push(t.elapsed());
            text_n.push(time_nft(&["list", "ruleset"]));
            if let Some(d) = json_listing(&target, &opts) {
                json_l.push(d);
                json_n.push(time_nft(&["-j", "list", "ruleset"]));
            }
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (a, b) = (median(text_l), median(text_n));
        let json = if json_l.is_empty() {
            "– (needs `--features serde`) | – | –".to_string()
        } else {
            let (c, d) = (median(json_l), median(json_n));
            format!("{:.0} ms | {:.0} ms | {:.2}×", ms(c), ms(d), ms(c) / ms(d))
        };
        println!(
            "| {name} | {:.0} ms | {:.0} ms | {:.2}× | {json} |",
            ms(a),
            ms(b),
            ms(a) / ms(b),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
