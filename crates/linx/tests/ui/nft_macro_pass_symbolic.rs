// Typed flags and enums for symbolic selectors; `add element` keys typed by the declaration.
use linx::netfilter::builder::{CtDirection, CtState, PktType, TcpFlags};

fn main() {
    let s = CtState::ESTABLISHED | CtState::RELATED;
    let d = CtDirection::Original;
    let p = PktType::Host;
    let f = TcpFlags::SYN;
    let a = std::net::Ipv4Addr::new(192, 0, 2, 1);
    let _ = linx::nft!(s = s, d = d, p = p, f = f, a = a; {
        table inet filter {
            set blocked {
                type ipv4_addr
            }
            chain input {
                ct state $s ct direction $d meta pkttype $p accept
                tcp flags $f / syn,ack drop
            }
        }
        add element inet filter blocked { $a }
    });
}
