//! The rtnetlink decoder of addresses (RTM_NEWADDR payloads): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = linx::rtnl::Address::decode(data) {
        let _ = (a.to_string(), a.if_addr(), a.peer());
    }
});
