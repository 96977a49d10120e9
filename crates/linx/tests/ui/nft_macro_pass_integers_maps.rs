// Integer fields take the Rust integer of their width; map data take the map's data type.
use std::net::Ipv4Addr;

fn main() {
    let s = linx::nft!(ttl = 64u8, fl = 0xabcdeu32, zone = 7u16, pkts = 10u64, p = 8080u16, a = Ipv4Addr::LOCALHOST; {
        table inet filter {
            map ports {
                type ipv4_addr : inet_service
                elements = { $a : $p }
            }
            chain input {
                ip ttl $ttl ct zone $zone ct packets > $pkts accept
                ip6 flowlabel $fl accept
            }
            chain pre {
                type nat hook prerouting priority dstnat; policy accept;
                dnat ip to ip saddr map { 10.0.0.1 : $a }
            }
        }
    });
    assert_eq!(s.bindings().len(), 6);
}
