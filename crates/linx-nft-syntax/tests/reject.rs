//! Reject parity (NFT-05, NFT-06, NFT-20, NFT-21): invalid input gives a located error at the
//! expected line and column, and nft rejects the same input.

mod common;

use common::{nft_check, scratch_file};
use linx_nft_syntax::diag::Class;
use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::{Options, load_str};

struct Case {
    name: &'static str,
    text: &'static str,
    line: u32,
    col: u32,
    message: &'static str,
}

const fn case(
    name: &'static str,
    text: &'static str,
    line: u32,
    col: u32,
    message: &'static str,
) -> Case {
    Case {
        name,
        text,
        line,
        col,
        message,
    }
}

const CASES: &[Case] = &[
    case(
        "block comment",
        "table inet t {\n\tchain c {\n\t\t/* block */ accept\n\t}\n}\n",
        3,
        3,
        "unexpected '/'",
    ),
    case(
        "binary literal",
        "table inet t {\n\tchain c {\n\t\tmeta mark 0b101 accept\n\t}\n}\n",
        3,
        14,
        "'b101'",
    ),
    case(
        "missing closing brace",
        "table inet t {\n\tchain c {\n\t\taccept\n\t}\n",
        5,
        1,
        "unexpected end of file, expecting '}'",
    ),
    case(
        "unknown statement keyword",
        "table inet t {\n\tchain c {\n\t\tacept\n\t}\n}\n",
        3,
        3,
        "unknown statement or selector 'acept'; did you mean 'accept'?",
    ),
    case(
        "duplicate define",
        "define A = 1\ndefine A = 2\n",
        2,
        8,
        "redefinition of symbol 'A'",
    ),
    case(
        "unknown variable",
        "define port = 22\ntable inet t {\n\tchain c {\n\t\ttcp dport $prot accept\n\t}\n}\n",
        4,
        13,
        "unknown identifier 'prot'; did you mean 'port'?",
    ),
    case(
        "five dotted parts",
        "table inet t {\n\tchain c {\n\t\tip saddr 1.2.3.4.5 accept\n\t}\n}\n",
        3,
        19,
        "'.5'",
    ),
    case(
        "unknown field",
        "table inet t {\n\tchain c {\n\t\ttcp dprt 22 accept\n\t}\n}\n",
        3,
        7,
        "unknown tcp field 'dprt'; did you mean 'dport'?",
    ),
    case(
        "unknown hook",
        "table inet t {\n\tchain c {\n\t\ttype filter hook inptu priority 0;\n\t}\n}\n",
        3,
        20,
        "unknown chain hook; did you mean 'input'?",
    ),
    case(
        "misspelled command",
        "tabel inet t {\n}\n",
        1,
        1,
        "unknown command 'tabel'; did you mean 'table'?",
    ),
    case(
        "rule without separator before brace",
        "table inet t {\n\tchain c {\n\t\ttcp dport 22 accept }\n}\n",
        3,
        23,
        "expecting newline or semicolon",
    ),
    case(
        "missing include",
        "include \"missing-file-linx-test.nft\"\n",
        1,
        1,
        "File not found: missing-file-linx-test.nft",
    ),
    case(
        "invalid log level",
        "table inet t {\n\tchain c {\n\t\tlog level verbose\n\t}\n}\n",
        3,
        13,
        "invalid log level",
    ),
    case(
        "unknown datatype",
        "table inet t {\n\tset s {\n\t\ttype ipv4_adr\n\t}\n}\n",
        3,
        8,
        "unknown datatype ipv4_adr; did you mean 'ipv4_addr'?",
    ),
    case(
        "comment at end of file without newline",
        "table inet t {\n}\n# end",
        3,
        1,
        "junk '#'",
    ),
    case(
        "gbytes rate",
        "table inet t {\n\tchain c {\n\t\tlimit rate 10 gbytes/second accept\n\t}\n}\n",
        3,
        14,
        "Wrong rate format",
    ),
    case(
        "dangling list comma",
        "table inet t {\n\tchain c {\n\t\tct state established,\n\t}\n}\n",
        3,
        24,
        "unexpected newline",
    ),
    case(
        "stray closing brace",
        "table inet t {\n\tchain c {\n\t\tudp dport 53 accept\n\t}\n}\n}\n",
        6,
        1,
        "unexpected '}'",
    ),
    case(
        "number as time",
        "table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\ttimeout 1\n\t}\n}\n",
        4,
        11,
        "unexpected number '1'",
    ),
    case(
        "quoted jump target",
        "table inet t {\n\tchain c {\n\t\tjump \"x\"\n\t}\n}\n",
        3,
        8,
        "unexpected quoted string",
    ),
    case(
        "keyword as chain name",
        "table inet t {\n\tchain ip {\n\t}\n}\n",
        2,
        8,
        "unexpected 'ip', expecting a chain name",
    ),
    case(
        "fib saddr and daddr",
        "table inet t {\n\tchain c {\n\t\tfib saddr . daddr oif missing drop\n\t}\n}\n",
        3,
        3,
        "fib: saddr and daddr are mutually exclusive",
    ),
    case(
        "unknown meta key",
        "table inet t {\n\tchain c {\n\t\tmeta foo 1\n\t}\n}\n",
        3,
        8,
        "unknown meta key 'foo'",
    ),
    case(
        "zero burst",
        "table inet t {\n\tchain c {\n\t\tlimit rate 10/second burst 0 packets\n\t}\n}\n",
        3,
        30,
        "limit burst must be > 0",
    ),
    case(
        "unknown table flag",
        "table inet t {\n\tflags bogus\n}\n",
        2,
        8,
        "unknown table option bogus",
    ),
    case(
        "blank line inside a set",
        "table inet t {\n\tchain c {\n\t\tip saddr { 1.2.3.4,\n\n 5.6.7.8 } accept\n\t}\n}\n",
        4,
        1,
        "unexpected newline",
    ),
    case(
        "carriage return",
        "table inet t {\r\n}\n",
        1,
        15,
        "junk '\\r'",
    ),
    case(
        "empty anonymous set",
        "table inet t {\n\tchain c {\n\t\ttcp dport { } accept\n\t}\n}\n",
        3,
        15,
        "unexpected '}'",
    ),
    case(
        "unknown chain type",
        "table inet t {\n\tchain c {\n\t\ttype filtre hook input priority 0;\n\t}\n}\n",
        3,
        8,
        "unknown chain type; did you mean 'filter'?",
    ),
    case(
        "missing priority",
        "table inet t {\n\tchain c {\n\t\ttype filter hook input;\n\t}\n}\n",
        3,
        25,
        "expecting 'priority'",
    ),
    case(
        "flag mask without list",
        "table inet t {\n\tchain c {\n\t\ttcp flags syn / ack accept\n\t}\n}\n",
        3,
        23,
        "expecting comma",
    ),
];

fn run(c: &Case) -> linx_nft_syntax::Failure {
    match load_str(
        "bad.nft",
        c.text,
        &Options::default(),
        &MemoryFileSystem::new(),
    ) {
        Ok(_) => panic!("{}: accepted", c.name),
        Err(e) => e,
    }
}

#[test]
fn nft_21_invalid_snippets_give_located_errors() {
    for c in CASES {
        let e = run(c);
        let first = e.diagnostics.errors().next().expect("an error");
        let loc = first.location_string(&e.sources);
        assert_eq!(
            loc,
            format!("bad.nft:{}:{}", c.line, c.col),
            "{}: {}",
            c.name,
            e
        );
        assert!(
            first.full_message().contains(c.message),
            "{}: message {:?} lacks {:?}",
            c.name,
            first.full_message(),
            c.message
        );
        assert_eq!(first.class, Class::Invalid, "{}", c.name);
        // The rendering has the source line and a caret.
        let text = e.to_string();
        assert!(text.contains('^'), "{}: {text}", c.name);
    }
}

#[test]
fn nft_04_nft_rejects_the_invalid_snippets_too() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    for c in CASES {
        let path = scratch_file("bad.nft", c.text);
        assert!(
            nft_check(&path).is_err(),
            "{}: nft accepts what linx rejects",
            c.name
        );
    }
}

#[test]
fn nft_07_include_cycle_is_an_error_at_the_include_line() {
    let mut fs = MemoryFileSystem::new();
    fs.add("/r/a.nft", "add table ip t\ninclude \"/r/b.nft\"\n");
    fs.add("/r/b.nft", "\ninclude \"/r/a.nft\"\n");
    let e = load_str(
        "/r/main.nft",
        "include \"/r/a.nft\"\n",
        &Options::default(),
        &fs,
    )
    .unwrap_err();
    let d = e.diagnostics.errors().next().expect("error");
    assert!(d.message.contains("include cycle"), "{e}");
    assert_eq!(d.location_string(&e.sources), "/r/b.nft:2:1");
    let text = e.to_string();
    assert!(text.contains("in file included from /r/a.nft:2"), "{text}");
    assert!(
        text.contains("in file included from /r/main.nft:1"),
        "{text}"
    );

    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    let a = scratch_file("cycle-a.nft", "");
    let b = scratch_file("cycle-b.nft", "");
    std::fs::write(&a, format!("include \"{}\"\n", b.display())).expect("write");
    std::fs::write(&b, format!("include \"{}\"\n", a.display())).expect("write");
    assert!(nft_check(&a).is_err(), "nft accepts an include cycle");
}

#[test]
fn nft_03_unsupported_is_its_own_class() {
    for text in [
        "list ruleset\n",
        "destroy table ip t\n",
        "table inet t {\n\tchain c {\n\t\tgre protocol ip\n\t}\n}\n",
        "table inet t {\n\tchain c {\n\t\ttcp dport 22 last\n\t}\n}\n",
        "table inet t {\n\tflags persist\n}\n",
    ] {
        let e = load_str("u.nft", text, &Options::default(), &MemoryFileSystem::new()).unwrap_err();
        let d = e.diagnostics.errors().next().expect("error");
        assert_eq!(d.class, Class::Unsupported, "{text}: {e}");
        assert!(d.message.starts_with("unsupported: "), "{}", d.message);
    }
}

/// Differential check on mutated fixtures: token-level deletions, insertions and replacements.
/// Whatever nft accepts, linx parses; whatever linx parses, nft does not reject as a syntax
/// error.
#[test]
fn nft_04_nft_05_mutated_fixtures_agree_with_nft() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    const VOCAB: &[&str] = &[
        "{",
        "}",
        ",",
        ".",
        ":",
        ";",
        "\n",
        "/",
        "-",
        "=",
        "==",
        "ip",
        "tcp",
        "accept",
        "counter",
        "set",
        "map",
        "type",
        "flags",
        "interval",
        "elements",
        "timeout",
        "1h",
        "policy",
        "priority",
        "hook",
        "chain",
        "table",
        "@x",
        "10.0.0.1",
        "22",
        "*",
        "comment",
        "\"c\"",
        "size",
        "auto-merge",
        "devices",
        "device",
        "typeof",
        "ipv4_addr",
        "inet_service",
        "dynamic",
        "drop",
        "jump",
        "vmap",
        "log",
        "limit",
    ];
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let files = common::fixtures();
    let mut disagreements = Vec::new();
    for _ in 0..120 {
        let f = &files[next(files.len())];
        let text = std::fs::read_to_string(f).expect("read");
        let mut toks: Vec<String> = Vec::new();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let mut rest = line;
            while !rest.trim_start().is_empty() {
                rest = rest.trim_start();
                if rest.starts_with('#') {
                    break;
                }
                let end = if let Some(r) = rest.strip_prefix('"') {
                    r.find('"').map(|i| i + 2).unwrap_or(rest.len())
                } else {
                    rest.find(char::is_whitespace).unwrap_or(rest.len())
                };
                toks.push(rest[..end].to_string());
                rest = &rest[end..];
            }
            toks.push("\n".into());
        }
        for _ in 0..1 + next(2) {
            let j = next(toks.len());
            match next(3) {
                0 => {
                    toks.remove(j);
                }
                1 => toks.insert(j, VOCAB[next(VOCAB.len())].to_string()),
                _ => toks[j] = VOCAB[next(VOCAB.len())].to_string(),
            }
        }
        let mutated: String = toks
            .iter()
            .map(|t| {
                if t == "\n" {
                    "\n".to_string()
                } else {
                    format!("{t} ")
                }
            })
            .collect();
        let linx_ok = load_str(
            "m.nft",
            &mutated,
            &Options::default(),
            &MemoryFileSystem::new(),
        );
        let path = scratch_file("mutated.nft", &mutated);
        let nft = nft_check(&path);
        match (&nft, &linx_ok) {
            (Ok(()), Err(e)) => {
                disagreements.push(format!("nft accepts, linx rejects:\n{e}\n{mutated}"))
            }
            (Err(n), Ok(_)) if n.contains("syntax error") => {
                disagreements.push(format!("linx accepts, nft syntax error:\n{n}\n{mutated}"))
            }
            _ => {}
        }
    }
    assert!(
        disagreements.is_empty(),
        "{}",
        disagreements.join("\n-----\n")
    );
}
