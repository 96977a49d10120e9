// A missing file is a compile error at the path.
fn main() {
    let _ = linx::nft_file!("no-such-file.nft");
}
