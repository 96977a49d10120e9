// TYP-06 / TYP-09: an interface name longer than 15 bytes is a compile error.
fn main() {
    let _n = linx::ifname!("this-name-is-too-long");
}
