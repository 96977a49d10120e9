// A timeout takes a `std::time::Duration`: a number of seconds does not compile.
fn main() {
    let t: u64 = 60;
    let _ = linx::nft!(t = t; {
        table ip t {
            set s {
                type ipv4_addr
                flags timeout
                timeout $t
            }
        }
    });
}
