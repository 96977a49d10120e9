//! The rtnetlink decoder of link statistics (RTM_NEWSTATS payloads, rtnl_link_stats64, the
//! extended and per-family statistics entries): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = linx::rtnl::LinkStats::decode(data);
    // The bytes as the payload of a bridge, bond, unknown and MPLS entry.
    for t in [1u16, 2, 3, 28] {
        let a = linx::netlink::wire::RawAttr {
            raw_type: t,
            payload: data.to_vec(),
        };
        let _ = linx::rtnl::stats::Xstats::decode(&a);
        let _ = linx::rtnl::stats::AfStats::decode(&a);
    }
    if let Ok(s) = linx::rtnl::Link64::decode(data) {
        let _ = (s.to_string(), s.encode());
    }
});
