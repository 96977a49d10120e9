// `tcp dport $p` needs a u16: a &str does not compile.
fn main() {
    let p: &str = "22";
    let _ = linx::nft!(p = p; {
        table inet filter {
            chain input {
                tcp dport $p accept
            }
        }
    });
}
