// Evaluation runs at compile time too: a string where a port is expected, and tcp and udp in
// one rule, are errors at their tokens.
fn main() {
    let _ = linx::nft! {
        table inet filter {
            chain input {
                tcp dport "x" accept
            }
        }
    };
    let _ = linx::nft! {
        table ip filter {
            chain input {
                tcp dport 22 udp dport 53 accept
            }
        }
    };
}
