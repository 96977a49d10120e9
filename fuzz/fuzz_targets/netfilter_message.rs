//! nf_tables message decoding (dump replies, monitor events, NFLOG and NFQUEUE packets) over arbitrary
//! datagrams: nothing may panic, and what decodes re-encodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::netfilter::codec::{self, Decoded};
use linx::netfilter::nflog::LogEvent;

fuzz_target!(|data: &[u8]| {
    for msg in linx::netlink::wire::messages(data).flatten() {
        if let Ok(d) = codec::decode(&msg) {
            match d {
                Decoded::Rule {
                    family,
                    table,
                    chain,
                    rule,
                } => {
                    let _ = codec::new_rule(
                        family,
                        &table,
                        &chain,
                        &rule,
                        codec::RulePlacement::Append,
                    );
                }
                Decoded::Set { family, table, set } => {
                    let _ = codec::new_set(family, &table, &set, 0);
                }
                Decoded::Chain {
                    family,
                    table,
                    chain,
                } => {
                    let _ = codec::new_chain(family, &table, &chain, 0, None);
                }
                Decoded::Object {
                    family,
                    table,
                    object,
                } => {
                    let _ = codec::new_object(family, &table, &object, 0);
                }
                _ => {}
            }
        }
        let _ = LogEvent::decode(&msg).map(|e| e.summary());
        let _ = linx::netfilter::nfqueue::QueuedPacket::decode(msg.payload);
    }
});
