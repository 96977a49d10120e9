//! Fuzz the nft language front end (nft-language.md NFT-06, NFT-21: the scanner, parser and
//! expander never panic or loop on any input). Also checks that whatever parses survives
//! print → parse unchanged (spans aside), and that the formatter keeping comments (NFT-27)
//! gives text that parses to the same program, is idempotent and keeps every comment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::lexer::tokenize;
use linx_nft_syntax::printer::{print_script, print_script_with_comments};
use linx_nft_syntax::{FileId, Options, load_str, parse_str};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tokenize(&text, FileId(0));
    match parse_str("fuzz.nft", &text, &Default::default()) {
        Ok(p) => {
            let printed = print_script(&p.script);
            let again = parse_str("printed.nft", &printed, &Default::default())
                .unwrap_or_else(|e| panic!("printed form does not parse:\n{e}\n{printed}"));
            assert_eq!(
                p.script.without_spans(),
                again.script.without_spans(),
                "{printed}"
            );
            let formatted = print_script_with_comments(&p.script, &text);
            let f = parse_str("formatted.nft", &formatted, &Default::default())
                .unwrap_or_else(|e| panic!("formatted text does not parse:\n{e}\n{formatted}"));
            assert_eq!(
                p.script.without_spans(),
                f.script.without_spans(),
                "{formatted}"
            );
            assert_eq!(
                print_script_with_comments(&f.script, &formatted),
                formatted,
                "not idempotent"
            );
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.to_json();
        }
    }
    // The same bytes as an included file, and as the main file including itself.
    let mut fs = MemoryFileSystem::new();
    fs.add("/etc/fuzz.nft", data.to_vec());
    let _ = load_str(
        "main.nft",
        "include \"fuzz.nft\"\n",
        &Options::default(),
        &fs,
    );
    let _ = load_str("/etc/fuzz.nft", &text, &Options::default(), &fs);
});
