//! Benchmark: parse (scan + parse + expand) a generated 10,000-rule file and a 100,000-element
//! set file, and compare with `nft -c -f` on the same files in the same run (the reference
//! tool also evaluates and sends a validate-only batch to the kernel, so the ratio bounds what
//! the parser costs within a full check).
//!
//! Run: `cargo run --release -p linx-nft-syntax --example nft_syntax_bench`
//! (`nft -c` needs root; without it only linx's times are printed).

use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::{Options, load_str};
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

fn rules_file(n: usize) -> String {
    let mut s = String::with_capacity(n * 80);
    s.push_str("flush ruleset\n\ntable inet bench {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "\t\tip saddr 10.{}.{}.{} tcp dport {} ct state new counter accept comment \"rule {i}\"",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            1024 + (i % 60000)
        );
    }
    s.push_str("\t}\n}\n");
    s
}

fn set_file(n: usize) -> String {
    let mut s = String::with_capacity(n * 14);
    s.push_str(
        "flush ruleset\n\ntable ip bench {\n\tset big {\n\t\ttype ipv4_addr\n\t\telements = { ",
    );
    for i in 0..n {
        if i > 0 {
            s.push_str(",\n\t\t\t     ");
        }
        let _ = write!(s, "10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    }
    s.push_str(" }\n\t}\n}\n");
    s
}

fn best_of<F: FnMut() -> bool>(runs: usize, mut f: F) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..runs {
        let t = Instant::now();
        if !f() {
            return None;
        }
        let d = t.elapsed();
        best = Some(best.map_or(d, |b| b.min(d)));
    }
    best
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn bench(name: &str, text: &str) {
    let fs = MemoryFileSystem::new();
    let opts = Options::default();
    let linx = best_of(5, || load_str(name, text, &opts, &fs).is_ok());
    let Some(linx) = linx else {
        println!("{name}: linx failed to parse the generated file");
        return;
    };
    let mut line = format!(
        "{name}: {} bytes; linx parse+expand {:.1} ms",
        text.len(),
        linx.as_secs_f64() * 1e3
    );
    if is_root() {
        let path = std::env::temp_dir().join(format!("linx-bench-{}-{name}", std::process::id()));
        if std::fs::write(&path, text).is_ok() {
            let nft = best_of(3, || {
                Command::new("unshare")
                    .args(["-n", "nft", "-c", "-f"])
                    .arg(&path)
                    .status()
                    .is_ok_and(|s| s.success())
            });
            match nft {
                Some(n) => {
                    let _ = write!(
                        line,
                        "; nft -c -f {:.1} ms; ratio nft/linx {:.1}x",
                        n.as_secs_f64() * 1e3,
                        n.as_secs_f64() / linx.as_secs_f64()
                    );
                }
                None => line.push_str("; nft -c -f failed"),
            }
            let _ = std::fs::remove_file(&path);
        }
    } else {
        line.push_str("; nft -c skipped (needs root)");
    }
    println!("{line}");
}

fn main() {
    bench("rules-10000.nft", &rules_file(10_000));
    bench("set-100000.nft", &set_file(100_000));
}
