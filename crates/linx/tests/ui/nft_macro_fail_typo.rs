// A typo in the token form fails at the misspelt token.
fn main() {
    let _ = linx::nft! {
        table inet filter {
            chain input {
                type filter hook input priority 0; policy drop;
                tcp dport 22 acept
            }
        }
    };
}
