// TYP-01 / TYP-06: literals are as strict as std (no leading zeros, no zone ids).
fn main() {
    let _a = linx::prefix!("010.0.0.0/8");
    let _b = linx::prefix!("fe80::%eth0/64");
}
