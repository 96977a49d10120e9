// `iif $i` compiles whatever the host's interfaces: the name is resolved at load.
fn main() {
    let i = "no-such-if0";
    let s = linx::nft!(i = i; {
        table inet filter {
            chain input {
                iif $i accept
                oif "also-missing" accept
            }
        }
    });
    assert_eq!(s.bindings().len(), 1);
}
