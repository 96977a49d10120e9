//! The shared fixture corpus: every file parses and expands without a diagnostic, its printed
//! form re-parses to the same AST, nft accepts the printed form, and loading the printed form
//! leaves the kernel in the same state as loading the original (NFT-05, NFT-06, NFT-07 … NFT-14).

mod common;

use common::{fixtures, nft_check, nft_state, scratch_file};
use linx_nft_syntax::expand::OsFileSystem;
use linx_nft_syntax::printer::print_script;
use linx_nft_syntax::{Options, load_file, parse_str};

#[test]
fn nft_07_fixtures_parse_and_expand_without_diagnostics() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let name = path.display().to_string();
        let parsed = parse_str(&name, &text, &Default::default())
            .unwrap_or_else(|e| panic!("{name} does not parse:\n{e}"));
        assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
        let loaded = load_file(&path, &Options::default(), &OsFileSystem)
            .unwrap_or_else(|e| panic!("{name} does not expand:\n{e}"));
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    }
}

#[test]
fn nft_05_printed_fixtures_reparse_to_the_same_ast() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let name = path.display().to_string();
        let ast = parse_str(&name, &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .script;
        let printed = print_script(&ast);
        let again = parse_str("printed", &printed, &Default::default())
            .unwrap_or_else(|e| panic!("printed form of {name} does not parse:\n{e}\n{printed}"))
            .script;
        assert_eq!(
            ast.without_spans(),
            again.without_spans(),
            "{name} changed through print:\n{printed}"
        );
        // Printing is idempotent.
        assert_eq!(printed, print_script(&again), "{name}");
        // The expanded program (defines substituted) prints and re-parses too.
        let loaded =
            load_file(&path, &Options::default(), &OsFileSystem).unwrap_or_else(|e| panic!("{e}"));
        let flat = print_script(&loaded.script);
        parse_str("flat", &flat, &Default::default())
            .unwrap_or_else(|e| panic!("expanded print of {name} does not parse:\n{e}\n{flat}"));
    }
}

#[test]
fn nft_05_printed_fixtures_pass_nft_check() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let name = path.display().to_string();
        let ast = parse_str(&name, &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .script;
        let printed = scratch_file("printed.nft", &print_script(&ast));
        if let Err(e) = nft_check(&printed) {
            panic!("nft -c rejects the printed form of {name}:\n{e}");
        }
        let loaded =
            load_file(&path, &Options::default(), &OsFileSystem).unwrap_or_else(|e| panic!("{e}"));
        let flat = scratch_file("flat.nft", &print_script(&loaded.script));
        if let Err(e) = nft_check(&flat) {
            panic!("nft -c rejects the expanded print of {name}:\n{e}");
        }
    }
}

#[test]
fn nft_05_printed_fixtures_load_the_same_kernel_state() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let name = path.display().to_string();
        let ast = parse_str(&name, &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .script;
        let printed = scratch_file("state.nft", &print_script(&ast));
        let want = nft_state(&path).unwrap_or_else(|e| panic!("nft -f {name}: {e}"));
        let got = nft_state(&printed).unwrap_or_else(|e| panic!("nft -f printed {name}: {e}"));
        assert_eq!(want, got, "{name}: printed form loads a different ruleset");
    }
}
