//! Lists the network links of the current network namespace, or of another one given as the first
//! argument (a pid, a namespace file path, or a name under /run/netns), through linx's own netlink
//! transport; then prints what the host kernel supports.
//!
//! ```sh
//! cargo run --example links
//! cargo run --example links -- /run/netns/blue
//! ```

fn main() -> Result<(), linx::Error> {
    let target: linx::ns::NsTarget = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => linx::ns::NsTarget::Current,
    };
    let mut rtnl = linx::rtnl::Rtnl::open(&target)?;
    println!("links in {target}:");
    for link in rtnl.links()? {
        println!("  {link}");
    }
    println!("kernel features:");
    for probe in linx::probe::all() {
        println!("  {probe}");
    }
    Ok(())
}
