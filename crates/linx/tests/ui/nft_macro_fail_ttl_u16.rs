// `ip ttl $t` is an 8-bit field: a u16 does not compile; nor does a port in a map's
// `inet_service` data given as a `u32`.
fn main() {
    let t: u16 = 64;
    let _ = linx::nft!(t = t; {
        table ip filter {
            chain input {
                ip ttl $t accept
            }
        }
    });
    let p: u32 = 80;
    let _ = linx::nft!(p = p; {
        table ip t {
            map m {
                type ipv4_addr : inet_service
                elements = { 10.0.0.1 : $p }
            }
        }
    });
}
