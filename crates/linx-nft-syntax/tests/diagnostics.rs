//! Diagnostics (NFT-21): located errors with the source line and a caret, several errors per
//! run with recovery at statement and block boundaries, a cap of 10 rendered errors plus a count,
//! warnings, JSON output.

use linx_nft_syntax::diag::{Diagnostic, Diagnostics, Severity};
use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::{Options, SourceMap, Span, load_str, parse_str};

#[test]
fn nft_21_errors_on_two_lines_are_both_reported_with_carets() {
    let text = "table inet t {\n\tchain c {\n\t\ttcp dprt 22 accept\n\t\tudp dport 53 accept\n\t\tip saddr 1.2.3.4 acept\n\t}\n}\n";
    let e = parse_str("two.nft", text, &Default::default()).unwrap_err();
    let out = e.to_string();
    let expected = "two.nft:3:7: error: unknown tcp field 'dprt'; did you mean 'dport'?\n\t\ttcp dprt 22 accept\n\t\t    ^^^^\nnote: valid: sport, dport, sequence, ackseq, doff, reserved, flags, window, checksum, urgptr, option\ntwo.nft:5:20: error: unknown statement or selector 'acept'; did you mean 'accept'?\n\t\tip saddr 1.2.3.4 acept\n\t\t                 ^^^^^\n";
    assert_eq!(out, expected);
    assert_eq!(e.diagnostics.error_count(), 2);
}

#[test]
fn nft_21_twenty_errors_render_ten_and_a_count() {
    let mut text = String::from("table inet t {\n\tchain c {\n");
    for i in 0..20 {
        text.push_str(&format!("\t\ttcp dprt {i} accept\n"));
    }
    text.push_str("\t}\n}\n");
    let e = parse_str("many.nft", &text, &Default::default()).unwrap_err();
    assert_eq!(e.diagnostics.error_count(), 20);
    let out = e.to_string();
    assert_eq!(out.matches(": error: ").count(), 10);
    assert!(out.ends_with("and 10 more errors\n"), "{out}");
    assert!(out.contains("many.nft:12:7:"));
    assert!(!out.contains("many.nft:13:7:"));
}

#[test]
fn nft_21_recovery_at_statement_and_block_boundaries() {
    // An error inside a set declaration does not cascade into the following declarations.
    let text = "table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 1.2.3.4 5.6.7.8, 9.9.9.9 }\n\t}\n\tchain c {\n\t\ttcp dport 22 accept\n\t\tbogus 1\n\t}\n\tchain d {\n\t\tdrop\n\t}\n}\nadd rule inet t d tcp dprt 1\n";
    let e = parse_str("rec.nft", text, &Default::default()).unwrap_err();
    let locs: Vec<String> = e
        .diagnostics
        .errors()
        .map(|d| d.location_string(&e.sources))
        .collect();
    assert_eq!(locs, vec!["rec.nft:4:24", "rec.nft:8:3", "rec.nft:14:23"]);
    // The rest of the file was still parsed.
    let chains = e.partial.items.len();
    assert_eq!(chains, 1);
}

#[test]
fn nft_21_stray_braces_do_not_loop() {
    for text in [
        "}\n",
        "}}}}\n",
        "table ip t {\n}\n}\n}\n",
        "{\n",
        "{{{{\n",
        "table ip t { } }\n",
    ] {
        let e = parse_str("s.nft", text, &Default::default()).unwrap_err();
        assert!(e.diagnostics.error_count() >= 1, "{text:?}");
    }
}

#[test]
fn nft_21_warnings_do_not_fail() {
    let p = load_str(
        "w.nft",
        "undefine NOPE\n",
        &Options::default(),
        &MemoryFileSystem::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<&Diagnostic> = p.warnings.iter().collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, Severity::Warning);
    assert!(
        w[0].render(&p.sources)
            .starts_with("w.nft:1:10: warning: undefine of unknown symbol 'NOPE'")
    );
}

#[test]
fn nft_21_json_diagnostics() {
    let e = parse_str(
        "j.nft",
        "table ip t {\n\tchain c {\n\t\tacept\n\t}\n}\n",
        &Default::default(),
    )
    .unwrap_err();
    let j = e.to_json();
    assert_eq!(
        j,
        "[{\"file\":\"j.nft\",\"line\":3,\"column\":3,\"end_line\":3,\"end_column\":7,\"severity\":\"error\",\"class\":\"invalid\",\"message\":\"unknown statement or selector 'acept'\",\"suggestion\":\"accept\",\"notes\":[],\"included_from\":[]}]"
    );
}

#[test]
fn nft_21_caret_covers_the_offending_tokens() {
    let mut sm = SourceMap::new();
    let id = sm.add("c.nft", "ip saddr 1.2.3.4 accept\n", None);
    let d = Diagnostic::error(Span::new(id, 9, 16), "bad address");
    assert_eq!(
        d.render(&sm),
        "c.nft:1:10: error: bad address\nip saddr 1.2.3.4 accept\n         ^^^^^^^\n"
    );
    // Non-ASCII text before the span: columns count characters.
    let id = sm.add("u.nft", "comment \"café\" x\n", None);
    let d = Diagnostic::error(Span::new(id, 16, 17), "x");
    assert!(d.render(&sm).starts_with("u.nft:1:16: error"));
    let mut all = Diagnostics::new();
    all.push(d);
    assert_eq!(all.error_count(), 1);
}

#[test]
fn nft_21_non_utf8_input_is_a_located_error() {
    let mut fs = MemoryFileSystem::new();
    fs.add("/x.nft", b"add table ip t\n\xff\n".to_vec());
    let e = linx_nft_syntax::load_file("/x.nft".as_ref(), &Options::default(), &fs).unwrap_err();
    let d = e.diagnostics.errors().next().expect("error");
    assert_eq!(d.location_string(&e.sources), "/x.nft:2:1");
    assert!(d.message.contains("UTF-8"));
    // An unreadable file is an error with its path.
    let e = linx_nft_syntax::load_file("/nope.nft".as_ref(), &Options::default(), &fs).unwrap_err();
    assert!(e.to_string().contains("Could not open file \"/nope.nft\""));
}
