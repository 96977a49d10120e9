//! NFT-18 golden test: compiling every fixture of the corpus yields, message for message and
//! byte for byte, the batch nft 1.0.6 sends for it (captured with `netfilter_data/capture.sh`;
//! sequence numbers and port ids are ignored). No kernel needed.

#![cfg(feature = "netfilter")]

use std::path::{Path, PathBuf};

use linx::netfilter::codec;
use linx::netlink::wire::MsgHeader;
use linx::nft::{CompileEnv, LoadOptions, StaticIfResolver, compile, load_file};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nft")
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netfilter_data")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// nft's messages without the batch envelope, seq/pid zeroed.
#[path = "netfilter_support/padding.rs"]
mod padding;
use padding::zero_padding;

fn captured(name: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    let mut v: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "--")
        .map(|l| normalize(hex(l.trim())))
        .collect();
    // batch begin and end
    v.remove(0);
    v.pop();
    v
}

fn normalize(mut b: Vec<u8>) -> Vec<u8> {
    if b.len() >= 16 {
        for x in &mut b[8..16] {
            *x = 0;
        }
        // NLM_F_REQUEST | NLM_F_ACK are added by the socket.
        let f = u16::from_ne_bytes([b[6], b[7]]) & !(0x1 | 0x4);
        b[6..8].copy_from_slice(&f.to_ne_bytes());
    }
    if b.len() >= 20 {
        let end = b.len();
        zero_padding(&mut b, 20, end);
    }
    b
}

fn describe(b: &[u8]) -> String {
    let h = MsgHeader::parse(b).unwrap();
    let m = linx::netlink::wire::Msg {
        header: h,
        payload: &b[16..h.len as usize],
    };
    format!("{:?}", codec::decode(&m))
}

pub fn compile_fixture(path: &Path) -> Vec<Vec<u8>> {
    let src = load_file(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let r = StaticIfResolver::new([("lo", 1u32)]);
    let p = compile(&src, &CompileEnv::new(&r)).unwrap_or_else(|e| panic!("{e}"));
    p.messages()
        .iter()
        .map(|m| normalize(m.bytes().to_vec()))
        .collect()
}

#[test]
fn nft_18_fixture_batches_match_nft_byte_for_byte() {
    let mut failures = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nft"))
        .collect();
    names.sort();
    let only = std::env::var("NFT_FIXTURE").ok();
    for p in names {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        if let Some(o) = &only
            && !stem.contains(o.as_str())
        {
            continue;
        }
        let want = captured(&format!("fixture_{stem}.hex"));
        let got = compile_fixture(&p);
        let mut ok = want.len() == got.len();
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            if w != g {
                ok = false;
                eprintln!(
                    "{stem}: message {i} differs\n  nft:  {}\n  linx: {}",
                    describe(w),
                    describe(g)
                );
                eprintln!("  nft  hex {}\n  linx hex {}", to_hex(w), to_hex(g));
                break;
            }
        }
        if want.len() != got.len() {
            eprintln!(
                "{stem}: {} messages from nft, {} from linx",
                want.len(),
                got.len()
            );
        }
        if !ok {
            failures.push(stem);
        }
    }
    assert!(failures.is_empty(), "fixtures differing: {failures:?}");
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Lines of `expressions.nft` with constructs linx refuses as unsupported (NFT-03).
const UNSUPPORTED: &[&str] = &["ct timeout cto", "ct timeout set", "cgroupv2", "meta time"];

#[test]
fn nft_18_expression_corpus_matches_nft_byte_for_byte() {
    let text = std::fs::read_to_string(data_dir().join("expressions.nft")).unwrap();
    let mut removed = 0;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let drop = UNSUPPORTED.iter().any(|u| l.contains(u));
            removed += usize::from(drop);
            !drop
        })
        .collect();
    let src = linx::nft::load_str(
        "expressions.nft",
        &(kept.join("\n") + "\n"),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = StaticIfResolver::new([("lo", 1u32)]);
    let p = compile(&src, &CompileEnv::new(&r)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<Vec<u8>> = p
        .messages()
        .iter()
        .map(|m| normalize(m.bytes().to_vec()))
        .collect();
    let want = captured("expressions.hex");
    let mut j = 0;
    let mut skipped = Vec::new();
    for (i, g) in got.iter().enumerate() {
        let start = j;
        while j < want.len() && &want[j] != g {
            j += 1;
        }
        if j == want.len() {
            // Show the message it should have been.
            let w = &want[start.min(want.len() - 1)];
            panic!(
                "message {i} not produced by nft\n  nft:  {}\n  linx: {}\n  nft  hex {}\n  linx hex {}",
                describe(w),
                describe(g),
                to_hex(w),
                to_hex(g)
            );
        }
        skipped.extend(start..j);
        j += 1;
    }
    skipped.extend(j..want.len());
    assert_eq!(
        skipped.len(),
        removed,
        "nft messages without a linx counterpart: {:?}",
        skipped
            .iter()
            .map(|i| describe(&want[*i]))
            .collect::<Vec<_>>()
    );
}

/// NFT-12/NFT-14: extension headers, TCP/IPv4 options, SCTP chunks, option writes and
/// removal, ipsec and osf, meters — the beyond-Linx corpus files and the writes the kernel
/// refuses — compile to nft's batch byte for byte (dependencies, bit fields, typeof userdata,
/// the sets meters declare included).
#[test]
fn nft_12_nft_14_exthdr_ipsec_osf_corpora_match_nft_byte_for_byte() {
    let beyond = fixtures_dir().join("beyond");
    let cases = [
        (
            beyond.join("b17_exthdr_options.nft"),
            "fixture_beyond_b17_exthdr_options.hex",
        ),
        (
            beyond.join("b18_ipsec_osf.nft"),
            "fixture_beyond_b18_ipsec_osf.hex",
        ),
        (data_dir().join("exthdr_refused.nft"), "exthdr_refused.hex"),
        (
            beyond.join("b19_meters.nft"),
            "fixture_beyond_b19_meters.hex",
        ),
    ];
    let mut failures = Vec::new();
    for (path, hex) in cases {
        let want = captured(hex);
        let got = compile_fixture(&path);
        if want.len() != got.len() {
            failures.push(format!(
                "{hex}: {} messages from nft, {} from linx",
                want.len(),
                got.len()
            ));
        }
        if let Some((i, (w, g))) = want.iter().zip(&got).enumerate().find(|(_, (w, g))| w != g) {
            failures.push(format!(
                "{hex}: message {i} differs\n  nft:  {}\n  linx: {}\n  nft  hex {}\n  linx hex {}",
                describe(w),
                describe(g),
                to_hex(w),
                to_hex(g)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// NFT-14: `last` is nftables ≥ 1.0.7 syntax. Without `LoadOptions::extensions` linx refuses
/// it as nft 1.0.6 does (located `unsupported`); with them it lowers to the `last` expression
/// nftables 1.0.7 sends (its `tests/py/any/last.t.payload`: `[ last never ]` for `last`,
/// `[ last 300000 ]` for `last used 300s`), in rules, set updates and set elements.
#[test]
fn nft_14_last_lowers_as_nftables_1_0_7() {
    let text = "table ip x {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags dynamic\n\t}\n\tset e {\n\t\ttype ipv4_addr\n\t\tlast\n\t\telements = { 10.0.0.1 last }\n\t}\n\tchain y {\n\t\tlast\n\t\tlast used never\n\t\tlast used 300s\n\t\tupdate @s { ip saddr last }\n\t}\n}\n";
    let e = linx::nft::load_str("last.nft", text, &LoadOptions::default()).unwrap_err();
    assert!(e.is_unsupported(), "{e}");
    for at in [
        "last.nft:8:3",
        "last.nft:9:25",
        "last.nft:12:3",
        "last.nft:15:24",
    ] {
        assert!(e.to_string().contains(at), "{at}: {e}");
    }
    let opts = LoadOptions {
        extensions: true,
        ..Default::default()
    };
    let src = linx::nft::load_str("last.nft", text, &opts).unwrap_or_else(|e| panic!("{e}"));
    let r = StaticIfResolver::default();
    let p = compile(&src, &CompileEnv::new(&r)).unwrap_or_else(|e| panic!("{e}"));
    let code = p.bytecode();
    let rules: Vec<&[String]> = code
        .split(|l| l.starts_with("ip "))
        .filter(|r| !r.is_empty())
        .collect();
    assert_eq!(rules.len(), 4, "{code:#?}");
    assert_eq!(rules[0], ["  [ last never ]"]);
    assert_eq!(rules[1], ["  [ last never ]"]);
    assert_eq!(rules[2], ["  [ last 300000 ]"]);
    assert!(rules[3].iter().any(|l| l.contains("dynset")), "{code:#?}");
    let rs = p.ruleset().unwrap();
    let dynset = &rs.tables[0].chains[0].rules[3].exprs[1];
    let linx::netfilter::expr::Expr::Dynset(d) = dynset else {
        panic!("{dynset:?}")
    };
    assert!(matches!(
        d.exprs.as_slice(),
        [linx::netfilter::expr::Expr::Last(_)]
    ));
    let e = &rs.tables[0]
        .sets
        .iter()
        .find(|s| s.name == "e")
        .unwrap()
        .elements[0];
    assert!(matches!(
        e.exprs.as_slice(),
        [linx::netfilter::expr::Expr::Last(_)]
    ));
}
