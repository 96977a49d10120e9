//! The sysctl parsers over arbitrary bytes: sysctl.conf text, keys and globs. Nothing may panic;
//! every parsed key stays under /proc/sys and its display form parses back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::sysctl::{Key, glob_match, parse_conf};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let conf = parse_conf(&text);
    for e in &conf.entries {
        assert!(e.key.path().starts_with("/proc/sys"));
        assert_eq!(
            e.key
                .to_string()
                .parse::<Key>()
                .expect("displayed key parses"),
            e.key
        );
    }
    if let Some((p, n)) = text.split_once('\n') {
        let _ = glob_match(p, n);
    }
});
