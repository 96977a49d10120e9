//! nft-language scenario 7 (NFT-23, NFT-24): what the nft macros refuse at compile time, and
//! what they accept.
//!
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p linx --test nft_macro_ui` (the `.stderr` files follow the
//! pinned rustc).

#![cfg(feature = "netfilter")]

#[test]
fn nft_23_24_scenario_7_macro_errors_fail_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/nft_macro_fail_*.rs");
    t.pass("tests/ui/nft_macro_pass_*.rs");
}
