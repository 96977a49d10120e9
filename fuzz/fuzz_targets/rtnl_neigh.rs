//! The rtnetlink decoder of neighbours and FDB entries (RTM_NEWNEIGH payloads): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = linx::rtnl::Neighbour::decode(data) {
        let _ = (n.to_string(), n.shown_by_ip());
    }
});
