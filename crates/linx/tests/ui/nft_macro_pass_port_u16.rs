// `tcp dport $p` with a u16 compiles; so do addresses, prefixes and interface names.
use std::net::Ipv4Addr;

fn main() {
    let p: u16 = 22;
    let net: linx::Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    let host = Ipv4Addr::LOCALHOST;
    let wan = String::from("eth0");
    let s = linx::nft!(p = p, net = net, host = &host, wan = &wan; {
        table inet filter {
            chain input {
                iifname $wan ip saddr { $net, $host } tcp dport $p accept
            }
        }
    });
    assert_eq!(s.bindings().len(), 4);
}
