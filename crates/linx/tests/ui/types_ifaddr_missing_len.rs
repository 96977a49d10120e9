// TYP-06: an interface address literal needs "/LENGTH".
fn main() {
    let _a = linx::ifaddr!("10.0.0.5");
}
