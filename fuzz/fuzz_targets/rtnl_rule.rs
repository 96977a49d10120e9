//! The rtnetlink decoder of policy rules (RTM_NEWRULE payloads): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = linx::rtnl::Rule::decode(data) {
        let _ = r.to_string();
    }
});
