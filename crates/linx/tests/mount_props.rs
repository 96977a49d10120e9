//! Unprivileged tier for mounts: mountinfo goldens and properties, input validation, and the
//! error shapes that need no root.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use linx::error::Errno;
use linx::mount::mountinfo::{self, MountEntry, OptionalField};
use linx::mount::{MountFlags, Mounts, UnmountFlags};
use linx::ns::NsTarget;
use proptest::prelude::*;

#[test]
fn mnt_02_goldens() {
    let text = b"22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 master:3 - proc proc rw\n\
68 44 0:39 /sub /tmp/fx/bind rw,relatime shared:2 - tmpfs my\\040src rw,size=1024k,mode=755\n\
66 44 0:40 / /tmp/fx/nl\\012x\\011tab rw,relatime propagate_from:4 x-future:9 unbindable - tmpfs none rw\n\
67 44 0:41 /r\\134oot /tmp/fx/back\\134slash rw - fuse.my\\040fs back\\134src rw,lowerdir=/a\\054b\n";
    let v = mountinfo::parse(text).unwrap();
    assert_eq!(v.len(), 4);
    assert_eq!(v[0].mount_id, 22);
    assert_eq!(v[0].parent_id, 27);
    assert_eq!((v[0].major, v[0].minor), (0, 21));
    assert_eq!(
        v[0].optional,
        vec![OptionalField::Shared(12), OptionalField::Master(3)]
    );
    assert_eq!(v[0].propagation().to_string(), "shared,slave");
    assert_eq!(v[1].root, Path::new("/sub"));
    assert_eq!(v[1].source, "my src");
    assert_eq!(v[2].mount_point, Path::new("/tmp/fx/nl\nx\ttab"));
    assert_eq!(
        v[2].optional,
        vec![
            OptionalField::PropagateFrom(4),
            OptionalField::Other("x-future:9".into()),
            OptionalField::Unbindable
        ]
    );
    assert_eq!(v[3].root, Path::new("/r\\oot"));
    assert_eq!(v[3].mount_point, Path::new("/tmp/fx/back\\slash"));
    assert_eq!(v[3].fstype, "fuse.my fs");
    assert_eq!(v[3].source, "back\\src");
    assert_eq!(v[3].super_options, "rw,lowerdir=/a,b");
    // mount(8)'s line: per-mount then superblock options, one leading rw/ro.
    assert_eq!(
        v[1].to_string(),
        "my src on /tmp/fx/bind type tmpfs (rw,relatime,size=1024k,mode=755)"
    );
    assert_eq!(v[2].merged_options(), "rw,relatime");
    let merged = |vfs: &str, fs: &str| {
        let line = format!("1 1 0:1 / /x {vfs} - tmpfs t {fs}\n");
        mountinfo::parse(line.as_bytes()).unwrap()[0].merged_options()
    };
    assert_eq!(merged("ro,relatime", "rw,size=4k"), "ro,relatime,size=4k");
    assert_eq!(merged("rw,nosuid", "ro"), "ro,nosuid");
    assert_eq!(merged("rw", "rw"), "rw");
    assert_eq!(merged("rw,relatime", "rw"), "rw,relatime");
    // Empty input, a truncated line skipped and counted.
    assert!(mountinfo::parse(b"").unwrap().is_empty());
    let t =
        mountinfo::parse_lenient(b"22 27 0:21 / /proc rw - proc proc rw\n23 27 0:22 / /sys rw\n");
    assert_eq!(t.entries.len(), 1);
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.skipped[0].line, 2);
    assert!(t.skipped[0].reason.contains("line 2"), "{:?}", t.skipped);
    let t = linx::mount::parse(&text[..]).unwrap();
    assert_eq!(t.entries, v);
}

#[cfg(feature = "serde")]
#[test]
fn mnt_40_findmnt_json_shape() {
    let t = linx::mount::parse(
        &b"68 44 0:39 /sub /tmp/a\\040b rw,relatime shared:2 master:1 - tmpfs my\\040src rw,size=1024k\n"[..],
    )
    .unwrap();
    let json = serde_json::to_value(linx::mount::FindmntJson(&t)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"filesystems": [{
            "id": 68, "parent": 44, "maj:min": "0:39", "target": "/tmp/a b",
            "source": "my src[/sub]", "fstype": "tmpfs", "vfs-options": "rw,relatime",
            "fs-options": "rw,size=1024k", "fsroot": "/sub", "propagation": "shared,slave"
        }]})
    );
}

fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>().prop_filter("no NUL", |b| *b != 0), 0..24)
}

fn option_text() -> impl Strategy<Value = String> {
    "[a-z0-9=,_.:-]{0,24}"
}

fn optional_field() -> impl Strategy<Value = OptionalField> {
    prop_oneof![
        any::<u32>().prop_map(OptionalField::Shared),
        any::<u32>().prop_map(OptionalField::Master),
        any::<u32>().prop_map(OptionalField::PropagateFrom),
        Just(OptionalField::Unbindable),
        "x-[a-z0-9:]{1,8}".prop_map(OptionalField::Other),
    ]
}

fn entry() -> impl Strategy<Value = MountEntry> {
    (
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
        (path_bytes(), path_bytes(), path_bytes(), path_bytes()),
        "[a-z,]{1,20}",
        proptest::collection::vec(optional_field(), 0..4),
        "[a-z0-9. \\\\\t\n]{0,12}",
        option_text(),
    )
        .prop_map(
            |(
                (id, parent, major, minor),
                (root, mp, src, sopts),
                mopts,
                optional,
                fstype,
                extra,
            )| {
                let mut e = MountEntry::new(
                    id,
                    parent,
                    PathBuf::from(OsString::from_vec(mp)),
                    fstype,
                    OsString::from_vec(src),
                );
                e.major = major;
                e.minor = minor;
                e.root = PathBuf::from(OsString::from_vec(root));
                e.mount_options = mopts;
                e.optional = optional;
                let mut s = sopts;
                s.extend_from_slice(extra.as_bytes());
                e.super_options = OsString::from_vec(s);
                e
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// MNT-03: parse(format(x)) == x for arbitrary bytes in paths, source and options.
    #[test]
    fn mnt_03_format_parse_round_trip(entries in proptest::collection::vec(entry(), 0..8)) {
        let text = mountinfo::format(&entries);
        let back = mountinfo::parse(&text).expect("formatted text parses");
        prop_assert_eq!(back, entries);
    }

    /// MNT-02: the parser never panics, and the lenient parser accounts for every line.
    #[test]
    fn mnt_02_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let strict = mountinfo::parse(&data);
        let lenient = mountinfo::parse_lenient(&data);
        let lines = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
        prop_assert_eq!(lenient.entries.len() + lenient.skipped.len(), lines);
        if let Ok(v) = strict {
            prop_assert_eq!(v, lenient.entries);
        }
    }

    /// MNT-02: lines that look almost right never panic either.
    #[test]
    fn mnt_02_near_miss_lines_never_panic(
        fields in proptest::collection::vec("[0-9:/a-z\\\\-]{0,6}", 0..14)
    ) {
        let line = fields.join(" ");
        let _ = mountinfo::parse_line(line.as_bytes(), 1);
    }
}

/// Scenario 4: a dead pid target fails at the namespace file, for every mutating verb.
#[test]
fn mnt_11_dead_target_is_esrch_at_open_ns() {
    let dead = Mounts::new(NsTarget::Pid(2147483640));
    let check = |e: linx::Error| {
        assert_eq!(e.errno(), Some(Errno::SRCH), "{e}");
        assert!(
            e.to_string().contains("open /proc/2147483640/ns/mnt"),
            "{e}"
        );
    };
    check(
        dead.mount("tmpfs", "/mnt", "tmpfs", MountFlags::empty(), "")
            .unwrap_err(),
    );
    check(dead.bind("/a", "/b", false).unwrap_err());
    check(dead.remount("/a", MountFlags::RDONLY, None).unwrap_err());
    check(dead.mount_move("/a", "/b").unwrap_err());
    check(dead.umount("/a", UnmountFlags::empty()).unwrap_err());
}

/// Bad input is refused before any system call, naming the value.
#[test]
fn mnt_04_bad_input_is_typed() {
    let m = Mounts::new(NsTarget::Pid(1));
    let e = m
        .umount("relative/path", UnmountFlags::empty())
        .unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("relative/path"),
        "{e}"
    );
    let e = linx::mount::mount("", "", "tmpfs", MountFlags::empty(), "").unwrap_err();
    assert!(e.is_input(), "{e}");
    let e = linx::mount::mount("", "/x", "", MountFlags::MOVE | MountFlags::BIND, "").unwrap_err();
    assert!(e.is_input() && e.to_string().contains("MOVE"), "{e}");
    let e =
        linx::mount::mount("", "/x", "", MountFlags::SHARED | MountFlags::NOSUID, "").unwrap_err();
    assert!(e.is_input(), "{e}");
    let e = linx::mount::bind("/a\0b", "/x", false).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("NUL"), "{e}");
    let e = m.mount_proc("/proc", MountFlags::BIND).unwrap_err();
    assert!(e.is_input(), "{e}");
}
