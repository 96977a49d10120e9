// In the string form the error points at the literal and names the line and column inside it.
fn main() {
    let _ = linx::nft!(
        r"table inet filter {
	chain input {
		tcp dport 22 acept
	}
}
"
    );
}
