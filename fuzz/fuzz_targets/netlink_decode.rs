//! Every netlink decoder over arbitrary datagrams: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::netlink::wire;

fn walk(attrs: wire::Attrs<'_>, depth: u32) {
    for a in attrs.flatten() {
        let _ = (a.u8(), a.u16(), a.u32(), a.u64(), a.str(), a.ip(), a.be16());
        if depth < 8 {
            walk(a.nested(), depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for msg in wire::messages(data).flatten() {
        let _ = wire::parse_error(&msg);
        let _ = linx::rtnl::Link::decode(msg.payload);
        let _ = linx::netlink::genl::decode_family(msg.payload);
        walk(wire::attrs(msg.payload), 0);
        let _ = wire::attr_path_at(data, 16, msg.payload.len());
    }
});
