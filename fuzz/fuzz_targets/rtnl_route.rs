//! The rtnetlink decoder of routes (RTM_NEWROUTE payloads, multipath and metrics included): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = linx::rtnl::Route::decode(data) {
        let _ = (r.to_string(), r.destination(), r.dst_text());
        let _ = linx::rtnl::route::observed_delete_request(&r);
    }
});
