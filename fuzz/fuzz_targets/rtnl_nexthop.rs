//! The rtnetlink decoder of nexthop objects (RTM_NEWNEXTHOP payloads): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = linx::rtnl::Nexthop::decode(data) {
        let _ = n.to_string();
    }
});
