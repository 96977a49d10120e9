// Interpolations stand only where the position fixes a Rust type; unused or unknown names are
// errors too.
fn main() {
    let proto: u8 = 6;
    let _ = linx::nft!(proto = proto; {
        table inet filter {
            chain input {
                meta l4proto $proto accept
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
