//! The mountinfo parser over arbitrary bytes: nothing may panic, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::mount::mountinfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = mountinfo::parse(data) {
        let again = mountinfo::parse(&mountinfo::format(&entries)).expect("formatted text parses");
        assert_eq!(again, entries);
    }
});
