// TYP-06 / scenario 8: a prefix literal with host bits set is a compile error.
fn main() {
    let _p = linx::prefix!("10.0.0.1/24");
}
