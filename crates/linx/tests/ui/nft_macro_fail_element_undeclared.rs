// The key of an `add element` command is typed by the set's declaration; a set the text does
// not declare has no known type at compile time.
fn main() {
    let a = std::net::Ipv4Addr::new(192, 0, 2, 1);
    let _ = linx::nft!(a = a; {
        add element inet filter blocked { $a }
    });
}
