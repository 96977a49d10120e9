// TYP-06: a prefix length above 32 is a compile error, also in a const item.
const P: linx::types::Prefix = linx::prefix!("10.0.0.0/33");

fn main() {
    let _ = P;
}
