//! VM tier of the nft front end: the corpus files the host kernel cannot load
//! (`tests/fixtures/nft/vm/`: flowtables, the queue statement), checked inside the qemu guest of
//! `cargo xtask vm-test` by the same differential rule as the host tier — linx in one fresh
//! namespace, `nft -f` in another, identical `nft -j list ruleset` and raw pulls — and by the
//! `show` round trip.

#![cfg(feature = "netfilter")]

mod nft_support;

use nft_support::{RoundTrip, corpus, differential_failures, show_round_trip};

/// NFT-09 (flowtables) and NFT-14 (`queue`, `flow add`): every file of the VM corpus applies
/// exactly as `nft -f` applies it.
#[test]
fn vm_nft_09_nft_14_vm_corpus_apply_matches_nft() {
    if !linx_testkit::require_vm("flowtables and the queue expression (nf_flow_table, nft_queue)")
        || !linx_testkit::require_tool("nft")
    {
        return;
    }
    let files = corpus("vm");
    assert_eq!(files.len(), 2, "{files:?}");
    let failures = differential_failures(&files);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// NFT-28 on the VM corpus: what linx prints of a flowtable or queue ruleset loads back with
/// `nft -f` into the identical state, and nothing is reported lossy.
#[test]
fn vm_nft_28_vm_corpus_show_round_trips_through_nft() {
    if !linx_testkit::require_vm("flowtables and the queue expression (nf_flow_table, nft_queue)")
        || !linx_testkit::require_tool("nft")
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("linx-vm-nft-show-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for f in corpus("vm") {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match show_round_trip(&f, &dir) {
            Ok(RoundTrip::Identical) => {}
            Ok(RoundTrip::Lossy(l)) => failures.push(format!("{name}: lossy: {l:?}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
