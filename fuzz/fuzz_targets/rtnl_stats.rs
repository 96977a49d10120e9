//! The rtnetlink decoder of link statistics (RTM_NEWSTATS payloads, rtnl_link_stats64): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = linx::rtnl::LinkStats::decode(data);
    if let Ok(s) = linx::rtnl::Link64::decode(data) {
        let _ = (s.to_string(), s.encode());
    }
});
