//! The shared fixture corpus: every file parses and expands without a diagnostic, its printed
//! form re-parses to the same AST, nft accepts the printed form, and loading the printed form
//! leaves the kernel in the same state as loading the original (NFT-05, NFT-06, NFT-07 … NFT-14).

mod common;

use common::{fixtures, nft_check, nft_state, scratch_file};
use linx_nft_syntax::expand::OsFileSystem;
use linx_nft_syntax::printer::{print_script, print_script_with_comments};
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

/// Formats with comments and checks the rule of NFT-27: same AST, every comment kept in order,
/// idempotent.
fn formats_keeping_comments(name: &str, text: &str) -> String {
    let ast = parse_str(name, text, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .script;
    let printed = print_script_with_comments(&ast, text);
    let again = parse_str("printed", &printed, &Default::default())
        .unwrap_or_else(|e| panic!("formatted {name} does not parse:\n{e}\n{printed}"))
        .script;
    assert_eq!(
        ast.without_spans(),
        again.without_spans(),
        "{name} changed through fmt:\n{printed}"
    );
    assert_eq!(
        linx_testkit::nft_comments(&printed),
        linx_testkit::nft_comments(text),
        "{name}: comments lost or reordered:\n{printed}"
    );
    assert_eq!(
        print_script_with_comments(&again, &printed),
        printed,
        "{name}: not idempotent"
    );
    printed
}

#[test]
fn nft_27_formatting_keeps_every_comment_in_place() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        formats_keeping_comments(&path.display().to_string(), &text);
    }
    // Every position a comment can take.
    let text = "#!/usr/sbin/nft -f\n# header\n\ndefine P = 22 # ssh\n\n# the table\ntable inet t { # main\n  # first chain\n  chain c { type filter hook input priority 0; policy drop; # base\n    tcp dport $P accept # admins\n    udp dport { 53, # dns\n      123 } accept\n    # end of rules\n  } # after chain\n  set s { type ipv4_addr # key\n    elements = { # the list\n      10.0.0.1, # db\n      # own line\n      10.0.0.2 # web\n    }\n    # end of set\n  }\n  counter k { # obj\n  }\n  flowtable f { hook ingress priority 0; # hook\n  }\n}\n# trailer\n";
    let printed = formats_keeping_comments("positions", text);
    assert_eq!(
        printed,
        "#!/usr/sbin/nft -f\n# header\n\ndefine P = 22 # ssh\n\n# the table\ntable inet t { # main\n\t# first chain\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop; # base\n\t\ttcp dport $P accept # admins\n\t\tudp dport { 53, 123 } accept # dns\n\t\t# end of rules\n\t} # after chain\n\n\tset s {\n\t\ttype ipv4_addr # key\n\t\telements = { # the list\n\t\t             10.0.0.1, # db\n\t\t             # own line\n\t\t             10.0.0.2 # web\n\t\t}\n\t\t# end of set\n\t}\n\n\tcounter k { # obj\n\t}\n\n\tflowtable f {\n\t\thook ingress priority 0; # hook\n\t}\n}\n# trailer\n"
    );
}
