// A quota takes a `u64`: a `u32` does not compile.
fn main() {
    let q: u32 = 1000;
    let _ = linx::nft!(q = q; {
        table inet t {
            chain c {
                quota over $q drop
            }
        }
    });
}
