// TYP-06 / scenario 8: a MAC literal with non-hex digits is a compile error.
fn main() {
    let _m = linx::mac!("zz:00:00:00:00:00");
}
