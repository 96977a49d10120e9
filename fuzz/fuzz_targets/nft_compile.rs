//! Fuzz the nft front end end to end (NFT-21, NFT-03): scanner, parser, expander, evaluator,
//! linearizer and printer never panic or loop on any input. Whatever compiles is decoded back
//! into a ruleset and printed (without verification, to keep runs fast).
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::nft::{self, CompileEnv, PrintOptions, Source, StaticIfResolver};
use linx_nft_syntax::expand::MemoryFileSystem;
use linx_nft_syntax::{Options, load_str};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fs = MemoryFileSystem::new();
    let Ok(p) = load_str("fuzz.nft", &text, &Options::default(), &fs) else {
        return;
    };
    let src = Source {
        sources: p.sources,
        script: p.script,
        warnings: p.warnings,
    };
    let ifr = StaticIfResolver::new([("lo", 1u32), ("eth0", 2)]);
    match nft::compile(&src, &CompileEnv::new(&ifr)) {
        Ok(prog) => {
            let _ = prog.bytecode();
            if let Ok(rs) = prog.ruleset() {
                let _ = nft::print(
                    &rs,
                    &PrintOptions {
                        verify: false,
                        ..Default::default()
                    },
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.to_json();
        }
    }
});
