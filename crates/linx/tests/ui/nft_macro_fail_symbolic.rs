// Symbolic selectors take linx's typed flags and enums: `ct state $s` does not take a string,
// `tcp flags $f` not a raw `u8`, and a burst (the kernel's 32 bits) not a `u64`.
fn main() {
    let s = "established";
    let _ = linx::nft!(s = s; {
        table inet filter {
            chain input {
                ct state $s accept
            }
        }
    });
    let f: u8 = 0x02;
    let _ = linx::nft!(f = f; {
        table inet filter {
            chain input {
                tcp flags $f drop
            }
        }
    });
    let b: u64 = 10;
    let _ = linx::nft!(b = b; {
        table inet filter {
            chain input {
                limit rate 5/second burst $b packets accept
            }
        }
    });
}
