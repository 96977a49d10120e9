// Interpolations stand only where the position fixes a Rust type; unused or unknown names are
// errors too.
fn main() {
    let helper = "ftp";
    let _ = linx::nft!(helper = helper; {
        table inet filter {
            chain input {
                ct helper $helper accept
            }
        }
    });
    let _ = linx::nft!(port = 1u16; {
        table inet filter {
            chain input {
                tcp dport $undefined accept
            }
        }
    });
    let _ = linx::nft!(unused = 1u16; {
        table inet filter {
            chain input {
                tcp dport 22 accept
            }
        }
    });
}
