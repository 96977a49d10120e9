// Malformed macro input is a compile error, never a panic of the macro.
fn main() {
    let _ = linx::nft!();
    let _ = linx::nft!(p = ; { table ip t {} });
    let _ = linx::nft!(p = 1u16 { table ip t {} });
    let _ = linx::nft!(p = 1u16, p = 2u16; { table ip t { chain c { tcp dport $p accept; }; } });
    let _ = linx::nft! { $ };
    let _ = linx::nft!(r"table ip t { chain c { tcp dport 99999 accept; }; }");
    let _ = linx::nft_file!(42);
    let _ = linx::nft_file!("x.nft", includes = ["a"]);
}
