//! NFT-05, NFT-06: the scanner.

use linx_nft_syntax::FileId;
use linx_nft_syntax::ast::Num;
use linx_nft_syntax::keywords::{format_time, parse_time};
use linx_nft_syntax::lexer::{TokenKind, WordClass, number_value, tokenize};

fn kinds(src: &str) -> Vec<(TokenKind, String)> {
    tokenize(src, FileId(0))
        .into_iter()
        .filter(|t| t.kind != TokenKind::Eof)
        .map(|t| (t.kind, t.text.to_string()))
        .collect()
}

fn texts(src: &str) -> Vec<String> {
    kinds(src).into_iter().map(|(_, t)| t).collect()
}

#[test]
fn nft_06_octal_numbers() {
    assert_eq!(number_value("010"), Some(8));
    assert_eq!(Num::new("010").value(), 8);
    // strtoull stops at the first non-octal digit, as in nft.
    assert_eq!(number_value("089"), Some(0));
    assert_eq!(number_value("0"), Some(0));
    assert_eq!(number_value("0x1f"), Some(31));
    assert_eq!(number_value("0XFF"), Some(255));
    assert_eq!(number_value("4294967295"), Some(4294967295));
    let t = tokenize("010 0x10 22", FileId(0));
    assert!(t[..3].iter().all(|t| t.kind == TokenKind::Number));
}

#[test]
fn nft_06_number_too_large_is_a_word() {
    let t = tokenize("18446744073709551616", FileId(0));
    assert_eq!(t[0].kind, TokenKind::Word);
    assert_eq!(t[0].class, WordClass::BigNumber);
    let t = tokenize("18446744073709551615", FileId(0));
    assert_eq!(t[0].kind, TokenKind::Number);
}

#[test]
fn nft_05_no_binary_literals() {
    // `0b101` is the number 0 followed by the word b101, as in nft's scanner.
    assert_eq!(
        kinds("0b101"),
        vec![
            (TokenKind::Number, "0".into()),
            (TokenKind::Word, "b101".into())
        ]
    );
}

#[test]
fn nft_05_no_block_comments() {
    assert_eq!(
        kinds("/* x */"),
        vec![
            (TokenKind::Slash, "/".into()),
            (TokenKind::Star, "*".into()),
            (TokenKind::Word, "x".into()),
            (TokenKind::Star, "*".into()),
            (TokenKind::Slash, "/".into()),
        ]
    );
}

#[test]
fn nft_06_time_strings() {
    let t = tokenize("1h30m 250ms 2d 10s 1d2h3m4s5ms", FileId(0));
    for tok in &t[..5] {
        assert_eq!(tok.kind, TokenKind::Word);
        assert_eq!(tok.class, WordClass::Time, "{}", tok.text);
    }
    assert_eq!(parse_time("1h30m"), Ok(5_400_000));
    assert_eq!(format_time(5_400_000), "1h30m");
    assert_eq!(parse_time("250ms"), Ok(250));
    assert_eq!(parse_time("2d"), Ok(172_800_000));
    // 14 days never print as weeks.
    assert_eq!(format_time(14 * 86_400_000), "14d");
    // Units must come in nft's order to form one token.
    assert_eq!(texts("30m1h"), vec!["30m", "1h"]);
    assert!(parse_time("1h1h").is_err());
}

#[test]
fn nft_06_addresses() {
    let cases = [
        ("192.0.2.1", WordClass::Ipv4),
        ("2001:db8::1", WordClass::Ipv6),
        ("::1", WordClass::Ipv6),
        ("::", WordClass::Ipv6),
        ("fe80::", WordClass::Ipv6),
        ("::ffff:192.0.2.1", WordClass::Ipv6),
        ("::192.0.2.1", WordClass::Ipv6),
        ("1:2:3:4:5:6:7:8", WordClass::Ipv6),
        ("02:1a:4c:00:00:01", WordClass::Mac),
        ("ff:ff:ff:ff:ff:ff", WordClass::Mac),
    ];
    for (text, class) in cases {
        let t = tokenize(text, FileId(0));
        assert_eq!(t.len(), 2, "{text}");
        assert_eq!(t[0].text, text);
        assert_eq!(t[0].class, class, "{text}");
    }
    // Bracketed IPv6 drops the brackets.
    let t = tokenize("[2001:db8::1]:80", FileId(0));
    assert_eq!(t[0].text, "2001:db8::1");
    assert_eq!(t[1].kind, TokenKind::Colon);
    assert_eq!(t[2].text, "80");
    // Prefixes and ranges split into tokens.
    assert_eq!(texts("10.0.0.0/8"), vec!["10.0.0.0", "/", "8"]);
    assert_eq!(texts("fe80::/10"), vec!["fe80::", "/", "10"]);
    assert_eq!(
        texts("10.0.0.1-10.0.0.9"),
        vec!["10.0.0.1", "-", "10.0.0.9"]
    );
    assert_eq!(
        texts("2001:db8::1-2001:db8::9"),
        vec!["2001:db8::1", "-", "2001:db8::9"]
    );
    // An address with a port.
    assert_eq!(texts("10.0.0.1:80"), vec!["10.0.0.1", ":", "80"]);
    // Five dotted parts: the address, then the word ".5" (as nft).
    assert_eq!(texts("1.2.3.4.5"), vec!["1.2.3.4", ".5"]);
}

#[test]
fn nft_06_dotted_and_dashed_words() {
    for w in ["eth0.10", "br-lan", "wlan0-1", "mbytes/second", "sack-perm"] {
        let t = tokenize(w, FileId(0));
        assert_eq!(t.len(), 2, "{w}");
        assert_eq!(t[0].kind, TokenKind::Word);
        assert_eq!(t[0].text, w);
    }
    assert_eq!(kinds("eth*")[0].0, TokenKind::Asterisk);
    assert_eq!(kinds("eth\\*")[0].0, TokenKind::Asterisk);
}

#[test]
fn nft_06_variables_and_set_references() {
    assert_eq!(texts("$var @set"), vec!["$", "var", "@", "set"]);
    assert_eq!(kinds("$var")[0].0, TokenKind::Dollar);
    assert_eq!(kinds("@set")[0].0, TokenKind::At);
}

#[test]
fn nft_06_quoted_strings_keep_backslashes() {
    let t = tokenize(r#"comment "a\nb\"c""#, FileId(0));
    assert_eq!(t[1].kind, TokenKind::Quoted);
    assert_eq!(t[1].text, r"a\nb\");
    // A quoted string may span lines.
    let t = tokenize("\"a\nb\"", FileId(0));
    assert_eq!(t[0].text, "a\nb");
    // An unterminated quote is junk.
    assert_eq!(kinds("\"abc")[0].0, TokenKind::Junk);
}

#[test]
fn nft_06_comments_newlines_continuation() {
    // A comment after tokens keeps its newline; a comment-only line vanishes with its newline.
    assert_eq!(
        kinds("a # c\n# only\nb\n"),
        vec![
            (TokenKind::Word, "a".into()),
            (TokenKind::Newline, "\n".into()),
            (TokenKind::Word, "b".into()),
            (TokenKind::Newline, "\n".into()),
        ]
    );
    // Backslash-newline continues the line.
    assert_eq!(texts("a \\\n b"), vec!["a", "b"]);
    // `;` is a token; a comment at the very end without a newline is junk (as nft).
    assert_eq!(kinds("a;b")[1].0, TokenKind::Semicolon);
    assert_eq!(kinds("a\n# end")[2].0, TokenKind::Junk);
    // Carriage returns are junk.
    assert_eq!(kinds("a\r\n")[1].0, TokenKind::Junk);
}

#[test]
fn nft_06_operator_words() {
    let k: Vec<TokenKind> = kinds("eq ne lt gt le ge and or xor not lshift rshift")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        k,
        vec![
            TokenKind::EqEq,
            TokenKind::Ne,
            TokenKind::Lt,
            TokenKind::Gt,
            TokenKind::Le,
            TokenKind::Ge,
            TokenKind::Amp,
            TokenKind::Pipe,
            TokenKind::Caret,
            TokenKind::Bang,
            TokenKind::Shl,
            TokenKind::Shr
        ]
    );
    // Longer words are plain words.
    assert_eq!(kinds("android")[0].0, TokenKind::Word);
}

#[test]
fn nft_06_locations() {
    let toks = tokenize("table ip t {\n\tchain c {\n", FileId(3));
    let chain = toks.iter().find(|t| t.text == "chain").map(|t| t.span);
    let chain = chain.expect("chain token");
    assert_eq!(chain.file, FileId(3));
    assert_eq!((chain.start, chain.end), (14, 19));
    let mut sm = linx_nft_syntax::SourceMap::new();
    let id = sm.add("x.nft", "table ip t {\n\tchain c {\n", None);
    let loc = sm.location(linx_nft_syntax::Span::new(id, 14, 19));
    assert_eq!((loc.line, loc.column), (2, 2));
}

#[test]
fn nft_06_scanner_never_fails_on_junk() {
    let t = tokenize("é ` ~ \u{0} \"", FileId(0));
    assert!(t.iter().filter(|t| t.kind == TokenKind::Junk).count() >= 4);
    assert_eq!(t.last().map(|t| t.kind), Some(TokenKind::Eof));
}

#[test]
fn nft_06_classid_and_special_words() {
    let t = tokenize("1:2 8021q 8021ad", FileId(0));
    assert_eq!(t[0].class, WordClass::ClassId);
    assert_eq!(t[1].text, "8021q");
    assert_eq!(t[1].kind, TokenKind::Word);
    assert_eq!(t[2].text, "8021ad");
}
