//! Fuzz every parser and decoder of `linx::types` (types.md section 4: no parser panics on any
//! byte string). Also checks that the const parsers agree with std's / the runtime parsers and
//! that successful parses round-trip through `Display`.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use linx::types::{
    IfAddr, IfName, IpRange, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix, Mac, Prefix,
    constparse, wire,
};

fn roundtrip<T>(s: &str)
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
    T::Err: std::fmt::Display,
{
    match s.parse::<T>() {
        Ok(v) => {
            let back: T = match v.to_string().parse() {
                Ok(b) => b,
                Err(e) => panic!("display of {v:?} does not parse: {e}"),
            };
            assert_eq!(back, v);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Byte-level decoders.
    let _ = wire::ipv4_from_bytes(data);
    let _ = wire::ipv6_from_bytes(data);
    let _ = wire::ip_from_bytes(data);
    let _ = Mac::from_bytes(data);
    let _ = Mac::from_seed(data);
    let _ = IfName::from_wire(data);
    let _ = constparse::if_name_bytes(data);
    assert_eq!(
        constparse::ip_bytes(data),
        std::str::from_utf8(data).ok().and_then(|s| s.parse().ok())
    );

    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    // Const parsers accept exactly what std / the runtime parsers accept.
    assert_eq!(constparse::ipv4(s), s.parse::<Ipv4Addr>().ok());
    assert_eq!(constparse::ipv6(s), s.parse::<Ipv6Addr>().ok());
    assert_eq!(constparse::ip(s), s.parse::<IpAddr>().ok());
    assert_eq!(
        constparse::prefix(s),
        s.parse::<Prefix>().map_err(|e| e.kind)
    );
    assert_eq!(
        constparse::if_addr(s),
        s.parse::<IfAddr>().map_err(|e| e.kind)
    );
    let _ = constparse::mac(s);
    let _ = constparse::if_name(s);

    roundtrip::<Prefix>(s);
    roundtrip::<Ipv4Prefix>(s);
    roundtrip::<Ipv6Prefix>(s);
    roundtrip::<IfAddr>(s);
    roundtrip::<Ipv4IfAddr>(s);
    roundtrip::<Ipv6IfAddr>(s);
    roundtrip::<IpRange>(s);
    roundtrip::<Mac>(s);
    roundtrip::<IfName>(s);

    if let Ok(r) = s.parse::<IpRange>() {
        let list = r.to_prefixes();
        assert_eq!(list.first().map(|p| p.first()), Some(r.first()));
        assert_eq!(list.last().map(|p| p.last()), Some(r.last()));
    }
    if let Ok(p) = s.parse::<Prefix>() {
        assert!(p.contains(p.first()) && p.contains(p.last()));
        let _ = p.hosts().take(4).count();
        let _ = p.subnets(p.max_len()).map(|mut it| it.next_back());
    }
});
