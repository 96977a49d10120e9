// `include` has no file to be relative to in inline text: use nft_file!.
fn main() {
    let _ = linx::nft! {
        include "./rules.nft"
        table inet filter {
        }
    };
}
