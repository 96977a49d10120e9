//! Kernel tier: every ruleset `nft -f` builds from the shared fixture corpus decodes without an
//! `Unknown` expression, and pushing the pulled model into a fresh namespace reproduces the same
//! kernel state: `nft -j list ruleset` of both namespaces is identical (handles aside), and so is
//! linx's own pull (handles masked).

mod nft_support;

use std::path::{Path, PathBuf};

use linx::netfilter::{Nft, Ruleset};
use linx_testkit::{NetNs, require_root, require_tool};
use nft_support::{corpus, first_difference, masked, nft_json, target};

fn fixtures() -> Vec<PathBuf> {
    corpus("")
}

/// Equality of two pulls, with a readable first difference.
fn assert_same(a: &Ruleset, b: &Ruleset, what: &str) {
    if let Some(d) = first_difference(a, b) {
        panic!("{what}: linx pulls differ (pushed vs original) at {d}");
    }
}

/// nft loads `file` into namespace A; linx pulls it (no `Unknown`), pushes it into B; both
/// namespaces must look the same to nft and to linx.
fn round_trip(file: &Path) -> Ruleset {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let a = NetNs::new().unwrap();
    a.run("nft", &["-f", file.to_str().unwrap()]);
    let mut nft_a = Nft::open(&target(&a)).unwrap();
    let pulled = nft_a.pull().unwrap_or_else(|e| panic!("{name}: pull: {e}"));
    assert!(!pulled.tables.is_empty(), "{name}: nothing pulled");
    assert_eq!(
        pulled.unknown_rules(),
        Vec::<String>::new(),
        "{name}: Unknown expressions"
    );
    let b = NetNs::new().unwrap();
    let mut nft_b = Nft::open(&target(&b)).unwrap();
    nft_b
        .push_replace(&pulled)
        .unwrap_or_else(|e| panic!("{name}: push: {e}"));
    assert_eq!(
        nft_json(&a),
        nft_json(&b),
        "{name}: nft -j list ruleset differs"
    );
    let again = nft_b.pull().unwrap();
    assert_same(&masked(again), &masked(pulled.clone()), &name);
    // A freshly pulled ruleset diffs empty against the kernel it came from.
    let patch = nft_b.dry_run(&pulled).unwrap();
    assert!(patch.is_empty(), "{name}: {patch:#}");
    pulled
}

#[test]
fn nf_88_fixture_corpus_round_trip() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let files = fixtures();
    assert_eq!(files.len(), 14, "{files:?}");
    for f in files {
        round_trip(&f);
    }
}

/// Acceptance 14 / NF-40…NF-71: a ruleset using every expression kind the host kernel supports
/// (nft writes it, linx pulls, pushes, pulls again; `nft -j` sees the same statements).
#[test]
fn nf_40_every_expression_kind_round_trips() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netfilter_data/expressions_host.nft");
    let rs = round_trip(&f);
    let mut kinds = std::collections::BTreeSet::new();
    for t in &rs.tables {
        for c in &t.chains {
            for r in &c.rules {
                for e in &r.exprs {
                    kinds.insert(e.name().to_owned());
                }
            }
        }
    }
    for k in [
        "payload",
        "meta",
        "cmp",
        "bitwise",
        "byteorder",
        "range",
        "ct",
        "lookup",
        "dynset",
        "immediate",
        "counter",
        "limit",
        "quota",
        "connlimit",
        "nat",
        "masq",
        "redir",
        "reject",
        "log",
        "notrack",
        "objref",
        "fib",
        "exthdr",
        "numgen",
        "hash",
        "socket",
        "tproxy",
        "synproxy",
        "dup",
        "fwd",
        "rt",
        "osf",
        "xfrm",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
}
