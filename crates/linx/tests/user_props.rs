//! User namespaces, pure tier: id-map validation, the kernel text codec, the CLI form, the
//! subuid parser, the status id parser; property tests.

use linx::user::{IdMap, IdMapEntry, MAX_ENTRIES, parse_ids, parse_map, parse_subid};
use proptest::prelude::*;

#[test]
fn usr_01_supported() {
    assert!(linx::user::supported());
    assert!(linx::user::probe().detail.contains("max_user_namespaces"));
}

#[test]
fn usr_03_validation_before_any_write() {
    // Nothing invalid can even be constructed, so nothing invalid can reach a write.
    let empty = IdMap::new(vec![]).unwrap_err();
    assert!(empty.is_input(), "{empty}");
    assert!(empty.to_string().contains("at least one entry"), "{empty}");
    let zero = IdMap::single(0, 1000, 0).unwrap_err();
    assert!(zero.is_input());
    assert!(zero.to_string().contains("\"0 1000 0\""), "{zero}");
    let overlap = IdMap::new(vec![
        IdMapEntry::new(0, 1000, 10),
        IdMapEntry::new(5, 2000, 10),
    ])
    .unwrap_err();
    assert!(overlap.is_input());
    let msg = overlap.to_string();
    assert!(
        msg.contains("0..10 → 1000..1010") && msg.contains("5..15 → 2000..2010"),
        "{msg}"
    );
    assert!(msg.contains("inside"), "{msg}");
    let outside_overlap = IdMap::new(vec![
        IdMapEntry::new(0, 1000, 10),
        IdMapEntry::new(100, 1009, 1),
    ])
    .unwrap_err();
    assert!(
        outside_overlap.to_string().contains("outside"),
        "{outside_overlap}"
    );
    let too_many: Vec<IdMapEntry> = (0..341)
        .map(|i| IdMapEntry::new(i, 10_000 + i, 1))
        .collect();
    let e = IdMap::new(too_many).unwrap_err();
    assert!(e.to_string().contains("340"), "{e}");
    let max: Vec<IdMapEntry> = (0..MAX_ENTRIES as u32)
        .map(|i| IdMapEntry::new(i, 10_000 + i, 1))
        .collect();
    assert_eq!(IdMap::new(max).unwrap().entries().len(), 340);
    // Overflow past 2^32 − 1.
    assert!(IdMap::single(u32::MAX - 5, 0, 10).is_err());
    assert!(IdMap::single(0, u32::MAX - 5, 10).is_err());
    assert!(
        IdMap::single(0, 0, u32::MAX).is_ok(),
        "the host's identity map"
    );
    assert!(IdMap::single(1, 0, u32::MAX).is_err());
}

#[test]
fn usr_04_parse_kernel_text() {
    let m = parse_map("         0       1000          1\n    100000     200000      65536\n");
    assert_eq!(
        m.entries,
        [
            IdMapEntry::new(0, 1000, 1),
            IdMapEntry::new(100000, 200000, 65536)
        ]
    );
    assert_eq!(m.malformed, 0);
    let m = parse_map("0 1000\nx y z\n0 1 2 3\n\n5 6 7\n-1 0 1\n");
    assert_eq!(m.entries, [IdMapEntry::new(5, 6, 7)]);
    assert_eq!(m.malformed, 4);
    assert!(parse_map("").is_empty());
}

#[test]
fn usr_06_values_display_and_cli_form() {
    assert_eq!(IdMapEntry::new(0, 1000, 1).to_string(), "0 → 1000");
    assert_eq!(
        IdMapEntry::new(0, 100000, 65536).to_string(),
        "0..65536 → 100000..165536"
    );
    let m: IdMap = "0:100000:65536, 65536:1000:1".parse().unwrap();
    assert_eq!(m.render(), "0 100000 65536\n65536 1000 1\n");
    assert_eq!(m.map_to_outside(65536), Some(1000));
    assert_eq!(m.map_to_outside(70000), None);
    for bad in [
        "",
        "0:1",
        "0:1:2:3",
        "-1:0:1",
        "a:b:c",
        "0:0:4294967296",
        "0::1",
    ] {
        let e = bad.parse::<IdMap>().unwrap_err();
        assert!(e.is_input(), "{bad}: {e}");
    }
}

#[test]
fn usr_08_subid_parser() {
    let r = parse_subid(
        "# comment\nroot:100000:65536\n\nalice:200000:10\n1000:300000:5\nbad\nx:1\ny:1:0\n",
    );
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].owner.as_str(), r[0].start, r[0].count),
        ("root", 100000, 65536)
    );
    assert_eq!(r[2].owner, "1000");
}

#[test]
fn usr_10_parse_ids() {
    let ids = parse_ids("Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t5\t6\t7\t8\n").unwrap();
    assert_eq!(ids.uid.real, 1000);
    assert_eq!(ids.uid.fs, 1003);
    assert_eq!(ids.gid.saved, 7);
    let e = parse_ids("Uid:\t1\t2\t3\n").unwrap_err();
    assert!(e.to_string().contains("Uid"), "{e}");
    let e = parse_ids("Uid:\t1\t2\t3\t4\n").unwrap_err();
    assert!(e.to_string().contains("Gid"), "{e}");
}

proptest! {
    #[test]
    fn usr_04_render_parse_round_trip(raw in proptest::collection::vec((0u32..1_000_000, 0u32..1_000_000, 1u32..1000), 1..20)) {
        if let Ok(map) = IdMap::new(raw.iter().map(|(a, b, c)| IdMapEntry::new(*a, *b, *c)).collect()) {
            let back = parse_map(&map.render());
            prop_assert_eq!(back.entries.as_slice(), map.entries());
            prop_assert_eq!(back.malformed, 0);
            let cli: String = map.entries().iter().map(|e| format!("{}:{}:{}", e.inside, e.outside, e.count)).collect::<Vec<_>>().join(",");
            prop_assert_eq!(cli.parse::<IdMap>().unwrap(), map);
        }
    }

    #[test]
    fn usr_03_validation_agrees_with_brute_force(raw in proptest::collection::vec((0u32..64, 0u32..64, 0u32..8), 1..6)) {
        let entries: Vec<IdMapEntry> = raw.iter().map(|(a, b, c)| IdMapEntry::new(*a, *b, *c)).collect();
        let valid = entries.iter().all(|e| e.count > 0) && {
            let overlaps = |f: fn(&IdMapEntry) -> (u64, u64)| {
                entries.iter().enumerate().any(|(i, a)| entries.iter().skip(i + 1).any(|b| {
                    let (a0, a1) = f(a);
                    let (b0, b1) = f(b);
                    a0 < b1 && b0 < a1
                }))
            };
            !overlaps(|e| (u64::from(e.inside), e.inside_end())) && !overlaps(|e| (u64::from(e.outside), e.outside_end()))
        };
        prop_assert_eq!(IdMap::new(entries).is_ok(), valid);
    }

    #[test]
    fn usr_04_parsers_never_panic(text in "\\PC{0,300}") {
        let _ = parse_map(&text);
        let _ = text.parse::<IdMap>();
        let _ = parse_subid(&text);
        let _ = parse_ids(&text);
    }
}
