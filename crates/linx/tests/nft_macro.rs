//! The compile-time nft macros (NFT-23, NFT-24, NFT-25): `linx::nft!` and `linx::nft_file!`.

use std::net::Ipv4Addr;

use linx::nft::{CompileEnv, StaticIfResolver};

fn offline(s: &linx::nft::Script) -> linx::nft::Program {
    let r = StaticIfResolver::new([("lo", 1), ("eth0", 2)]);
    match s.compile(&CompileEnv::new(&r)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn nft_23_token_form_builds_the_same_program_as_the_text() {
    let s = linx::nft! {
        table inet filter {
            chain input {
                type filter hook input priority 0; policy drop;
                ct state established,related accept
                iifname "lo" accept
                tcp dport { 22, 80, 443 } counter accept
                ip saddr 10.0.0.0/8 udp dport 53 accept
            }
        }
    };
    let text = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t\tct state established,related accept\n\t\tiifname \"lo\" accept\n\t\ttcp dport { 22, 80, 443 } counter accept\n\t\tip saddr 10.0.0.0/8 udp dport 53 accept\n\t}\n}\n";
    let src = linx::nft::load_str("t.nft", text, &Default::default()).unwrap();
    let r = StaticIfResolver::default();
    let want = linx::nft::compile(&src, &CompileEnv::new(&r)).unwrap();
    let got = offline(&s);
    assert_eq!(got.bytecode(), want.bytecode());
    assert_eq!(got.len(), want.len());
}
