//! The capability parsers over arbitrary bytes: `/proc/<pid>/status` `Cap*` lines, masks, names
//! and `security.capability` values. Nothing may panic; what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::caps::{CapSet, CapState, FileCaps};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(state) = CapState::parse_status(&text) {
        let again = format!(
            "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}\n",
            state.inheritable, state.permitted, state.effective, state.bounding, state.ambient
        );
        assert_eq!(
            CapState::parse_status(&again).expect("formatted status parses"),
            state
        );
    }
    if let Ok(set) = text.parse::<CapSet>() {
        assert_eq!(
            set.to_string()
                .parse::<CapSet>()
                .expect("displayed set parses"),
            set
        );
    }
    if let Ok(fc) = FileCaps::decode(data) {
        assert_eq!(
            FileCaps::decode(&fc.encode()).expect("encoded caps decode"),
            fc
        );
    }
});
