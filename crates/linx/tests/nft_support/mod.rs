//! The differential harness shared by the nft kernel tiers (host `nft_kernel`, VM `vm_nft`):
//! apply a file with `nft -f` in one fresh network namespace and with linx in another, then
//! compare `nft -j list ruleset` and linx's raw pulls.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};

use linx::netfilter::{Nft, Ruleset};
use linx::nft::{self, CompileEnv, LoadOptions, NetlinkIfResolver};
use linx::ns::NsTarget;
use linx_testkit::NetNs;

/// The `.nft` files of `tests/fixtures/nft/<sub>`, sorted.
pub fn corpus(sub: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nft")
        .join(sub);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nft"))
        .collect();
    v.sort();
    v
}

pub fn target(ns: &NetNs) -> NsTarget {
    NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"))
}

/// `nft -j list ruleset` without handles and metainfo.
pub fn nft_json(ns: &NetNs) -> serde_json::Value {
    ns.nft_state()
}

/// The pulled model with handles, in-batch ids and timers masked.
pub fn masked(mut rs: Ruleset) -> Ruleset {
    for t in &mut rs.tables {
        t.handle = None;
        t.owner = None;
        for c in &mut t.chains {
            c.handle = None;
            for r in &mut c.rules {
                r.handle = None;
            }
        }
        for s in &mut t.sets {
            s.handle = None;
            s.id = None;
            for e in &mut s.elements {
                e.expiration = None;
            }
        }
        for o in &mut t.objects {
            o.handle = None;
        }
        for f in &mut t.flowtables {
            f.handle = None;
        }
    }
    rs
}

pub fn first_difference(a: &Ruleset, b: &Ruleset) -> Option<String> {
    if a == b {
        return None;
    }
    let (x, y) = (format!("{a:#?}"), format!("{b:#?}"));
    let (xl, yl): (Vec<&str>, Vec<&str>) = (x.lines().collect(), y.lines().collect());
    let i = xl
        .iter()
        .zip(&yl)
        .position(|(p, q)| p != q)
        .unwrap_or(xl.len().min(yl.len()));
    let lo = i.saturating_sub(20);
    Some(format!(
        "line {i}:\n--- linx\n{}\n--- nft\n{}",
        xl[lo..(i + 5).min(xl.len())].join("\n"),
        yl[lo..(i + 5).min(yl.len())].join("\n")
    ))
}

/// Compiles `file` for `ns` and applies it there.
pub fn linx_apply(file: &Path, ns: &NetNs) -> Result<(), String> {
    let t = target(ns);
    let src = nft::load_file(file, &LoadOptions::default()).map_err(|e| e.to_string())?;
    let r = NetlinkIfResolver::new(&t).map_err(|e| e.to_string())?;
    let kernel = Nft::open(&t)
        .and_then(|mut n| n.pull())
        .map_err(|e| e.to_string())?;
    let p =
        nft::compile(&src, &CompileEnv::new(&r).with_kernel(&kernel)).map_err(|e| e.to_string())?;
    nft::apply(&p, &t).map_err(|e| e.to_string())
}

pub fn pull(ns: &NetNs) -> Ruleset {
    Nft::open(&target(ns)).unwrap().pull().unwrap()
}

/// [`differential`] for every file: one `NAME: problem` line per file that fails.
pub fn differential_failures(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            differential(f).err().map(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// The differential harness for one file: `nft -f` in one fresh namespace, linx in another;
/// `nft -j list ruleset` (handles removed) and linx's raw pulls (handles masked) must be equal.
pub fn differential(f: &Path) -> Result<(), String> {
    let a = NetNs::new().unwrap();
    a.run("nft", &["-f", f.to_str().unwrap()]);
    let b = NetNs::new().unwrap();
    linx_apply(f, &b).map_err(|e| format!("linx apply failed: {e}"))?;
    if nft_json(&a) != nft_json(&b) {
        return Err("nft -j list ruleset differs".into());
    }
    match first_difference(&masked(pull(&b)), &masked(pull(&a))) {
        Some(d) => Err(format!("raw pull differs at {d}")),
        None => Ok(()),
    }
}

/// What [`show_round_trip`] found.
pub enum RoundTrip {
    /// linx's text loaded back with `nft -f` into the identical state.
    Identical,
    /// The printer reported these items lossy (the text was not loaded).
    Lossy(Vec<String>),
}

/// The `linx nft show` check for one file (NFT-28): `nft -f FILE` in a fresh namespace, linx
/// pulls and prints that ruleset, and `nft -f` of the printed text (written under `dir`) in
/// another fresh namespace must give the identical `nft -j list ruleset`.
pub fn show_round_trip(f: &Path, dir: &Path) -> Result<RoundTrip, String> {
    let name = f.file_name().unwrap().to_string_lossy().into_owned();
    let a = NetNs::new().unwrap();
    a.run("nft", &["-f", f.to_str().unwrap()]);
    let names = NetlinkIfResolver::new(&target(&a)).unwrap().names();
    let opts = nft::PrintOptions {
        ifnames: names,
        ..Default::default()
    };
    let printed = nft::print(&pull(&a), &opts);
    if !printed.lossy.is_empty() {
        return Ok(RoundTrip::Lossy(printed.lossy));
    }
    let out = dir.join(&name);
    std::fs::write(&out, &printed.text).unwrap();
    let c = NetNs::new().unwrap();
    let o = c
        .command("nft")
        .args(["-f", out.to_str().unwrap()])
        .output()
        .unwrap();
    if !o.status.success() {
        return Err(format!(
            "nft -f refused the printed text: {}\n{}",
            String::from_utf8_lossy(&o.stderr),
            printed.text
        ));
    }
    if nft_json(&a) != nft_json(&c) {
        return Err(format!("state differs after printing\n{}", printed.text));
    }
    Ok(RoundTrip::Identical)
}

/// `expires 59m59s984ms` ticks between two listings: the value is masked.
fn mask_expires(line: &str) -> String {
    let mut out = Vec::new();
    let mut words = line.split(' ').peekable();
    while let Some(w) = words.next() {
        out.push(w);
        if w.trim_start() == "expires" && words.peek().is_some() {
            words.next();
            out.push("T");
        }
    }
    out.join(" ")
}

/// Lines where nft's listing would load back into a different state and linx prints a form
/// that does not: (nft's line, linx's line).
const DIVERGE: &[(&str, &str)] = &[
    // `tcp option @2,4,4 1`: nft names the load by the option's kind template.
    ("tcp option maxseg kind & 15 == 1", "tcp option @2,4,4 1"),
    // nft drops `ip protocol tcp` as if it were the option's dependency (it is not one).
    (
        "tcp option sack-perm exists",
        "ip protocol tcp tcp option sack-perm exists",
    ),
];

/// nft drops an explicit protocol match it takes for the dependency it would generate itself,
/// but it generates `meta l4proto` / `meta protocol`, so its line loads back with a different
/// match; linx keeps the match (the rest of the line is nft's).
const KEPT_MATCHES: &[&str] = &["ip protocol ", "ip6 nexthdr ", "ether type "];

/// True when linx's line is nft's with one protocol match nft dropped as a dependency though
/// its line then loads back without it: one of [`KEPT_MATCHES`] with its value (`ip protocol
/// udp `) anywhere, or a second `meta l4proto tcp` right before `reject with tcp reset` (after
/// `tcp sport 1` the protocol is known, so nft's line loads back with one `meta l4proto tcp`
/// fewer).
fn nft_dropped_a_match(nft: &str, linx: &str) -> bool {
    // `m` and the word after it removed at one of its places.
    let without = |m: &str, with_word: bool| {
        linx.match_indices(m).any(|(i, _)| {
            let rest = &linx[i + m.len()..];
            let cut = if with_word {
                match rest.find(' ') {
                    Some(sp) => sp + 1,
                    None => return false,
                }
            } else {
                0
            };
            format!("{}{}", &linx[..i], &rest[cut..]) == nft
        })
    };
    KEPT_MATCHES.iter().any(|m| without(m, true))
        || (linx.contains("meta l4proto tcp reject with tcp reset")
            && without("meta l4proto tcp ", false))
}

/// NFT-28's listing check for the ruleset in `ns`: linx's printout of its pull against
/// `nft list ruleset`, line for line. Returns the number of lines compared and one entry per
/// lossy item or differing line (`expires` values masked; the known divergences above
/// allowed).
pub fn listing_differences(ns: &NetNs) -> (usize, Vec<String>) {
    let o = ns
        .command("nft")
        .args(["list", "ruleset"])
        .output()
        .unwrap();
    assert!(o.status.success(), "nft list ruleset failed");
    let listed = String::from_utf8(o.stdout).unwrap();
    let names = NetlinkIfResolver::new(&target(ns)).unwrap().names();
    let opts = nft::PrintOptions {
        ifnames: names,
        ..Default::default()
    };
    let printed = nft::print(&pull(ns), &opts);
    let mut diffs: Vec<String> = printed
        .lossy
        .iter()
        .map(|l| format!("lossy: {l}"))
        .collect();
    let (l, p): (Vec<&str>, Vec<&str>) = (listed.lines().collect(), printed.text.lines().collect());
    if l.len() != p.len() {
        diffs.push(format!(
            "{} lines from nft, {} from linx\n--- nft\n{listed}--- linx\n{}",
            l.len(),
            p.len(),
            printed.text
        ));
        return (0, diffs);
    }
    for (x, y) in l.iter().zip(&p) {
        let (x, y) = (mask_expires(x), mask_expires(y));
        let (xt, yt) = (x.trim(), y.trim());
        if x != y && !nft_dropped_a_match(xt, yt) && !DIVERGE.contains(&(xt, yt)) {
            diffs.push(format!("\n  nft:  {x}\n  linx: {y}"));
        }
    }
    (l.len(), diffs)
}
