//! nft language at scale (spec nft-language.md, acceptance scenario 10): a file with a
//! 100,000-element interval set, and one with 10,000 rules, through linx's front end
//! (read + parse + expand + evaluate + linearise, then one batch) against `nft -f` of the same
//! file, each in a fresh network namespace, in the same run.
//!
//! Run as root: `cargo run --release -p linx --example nft_lang_bench [-- RUNS]` (default 5;
//! medians). Targets: parse + evaluate under 1 s; load within 2× of `nft -f`.

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
    let _ = std::fs::remove_dir_all(&dir);
}
