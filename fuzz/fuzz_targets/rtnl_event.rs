//! The rtnetlink decoder of monitor notifications (whole datagrams, any message type): nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for msg in linx::netlink::wire::messages(data).flatten() {
        if let Ok(ev) = linx::rtnl::monitor::decode_event(msg.header.msg_type, msg.payload) {
            let _ = ev.to_string();
        }
    }
});
