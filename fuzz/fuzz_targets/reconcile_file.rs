//! Desired-state files over arbitrary bytes, as TOML and as JSON: parsing, validation and
//! locating entries never panic; every parse failure is an input error located as `fuzz:LINE`;
//! entry paths, limit values and value comparisons parse whatever they are given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::reconcile::cgroup::CgroupLimit;
use linx::reconcile::file::{Format, locate, parse};
use linx::reconcile::flat::values_equal;
use linx::reconcile::net::RouteDst;
use linx::reconcile::state::entry_path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for format in [Format::Toml, Format::Json] {
        match parse(&text, format, "fuzz") {
            Ok(f) => {
                assert!(f.state.validate().is_ok());
                for i in 0..f.state.net.routes.len().min(8) {
                    assert!(locate(&text, format, &format!("routes[{i}]")).is_some());
                }
            }
            Err(e) => {
                assert!(e.is_input(), "{e:?}");
                assert!(e.to_string().contains("fuzz:"), "{e}");
            }
        }
        if let Some((path, rest)) = text.split_once('\n') {
            let _ = locate(rest, format, path);
        }
    }
    let path = entry_path(&text);
    assert!(text.starts_with(path));
    if let Some((a, b)) = text.split_once('\t') {
        let _ = values_equal(a, b);
        let _ = a.parse::<CgroupLimit>();
        let _ = b.parse::<RouteDst>();
    }
});
