//! The id-map parsers over arbitrary bytes: kernel `uid_map` text, the CLI form, subuid files
//! and status id lines. Nothing may panic; valid maps round-trip through the kernel text form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::user::{IdMap, parse_ids, parse_map, parse_subid};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let contents = parse_map(&text);
    if let Ok(map) = IdMap::new(contents.entries.clone()) {
        assert_eq!(parse_map(&map.render()).entries, contents.entries);
    }
    if let Ok(map) = text.parse::<IdMap>() {
        assert_eq!(parse_map(&map.render()).entries.as_slice(), map.entries());
    }
    let _ = parse_subid(&text);
    let _ = parse_ids(&text);
});
