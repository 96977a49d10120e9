//! Marks this build of linx's sources as the host copy used by linx-macros.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(linx_host)");
    println!("cargo::rustc-cfg=linx_host");
}
