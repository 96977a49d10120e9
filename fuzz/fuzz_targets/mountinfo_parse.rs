//! The mountinfo parser over arbitrary bytes: nothing may panic; what parses strictly round-trips;
//! the lenient parser accounts for every line and agrees with the strict one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::mount::mountinfo;

fuzz_target!(|data: &[u8]| {
    let lenient = mountinfo::parse_lenient(data);
    let lines = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(lenient.entries.len() + lenient.skipped.len(), lines);
    // Re-formatting what the lenient parser kept gives text that parses to the same entries.
    let again = mountinfo::parse(&mountinfo::format(&lenient.entries)).expect("formatted text parses");
    assert_eq!(again, lenient.entries);
    if let Ok(entries) = mountinfo::parse(data) {
        assert_eq!(entries, lenient.entries);
    }
    for e in &lenient.entries {
        let _ = e.to_string();
        let _ = e.propagation().to_string();
    }
});
