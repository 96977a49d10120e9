//! Sysctl, pure tier (plus read-only host reads): keys, values, the config parser, globs;
//! property tests.

use linx::sysctl::{Key, Sysctl, Value, glob_match, parse_conf};
use proptest::prelude::*;

#[test]
fn sys_01_supported() {
    assert!(linx::sysctl::supported());
}

#[test]
fn sys_02_03_key_forms() {
    let dot: Key = "net.ipv4.conf.eth0/100.forwarding".parse().unwrap();
    let slash: Key = "net/ipv4/conf/eth0.100/forwarding".parse().unwrap();
    assert_eq!(dot, slash);
    assert_eq!(
        dot.components(),
        ["net", "ipv4", "conf", "eth0.100", "forwarding"]
    );
    assert_eq!(dot.to_string(), "net.ipv4.conf.eth0/100.forwarding");
    assert_eq!(dot.slash_form(), "net/ipv4/conf/eth0.100/forwarding");
    assert_eq!(
        dot.path().to_str(),
        Some("/proc/sys/net/ipv4/conf/eth0.100/forwarding")
    );
    let explicit = Key::from_components(["net", "ipv4", "conf", "eth0.100", "forwarding"]).unwrap();
    assert_eq!(explicit, dot);
    assert_eq!(
        "kernel.ostype".parse::<Key>().unwrap().components(),
        ["kernel", "ostype"]
    );
    assert_eq!("kernel".parse::<Key>().unwrap().components(), ["kernel"]);
    for bad in [
        "",
        ".",
        "..",
        "a..b",
        ".a",
        "a.",
        "a//b",
        "/a",
        "a/",
        "a./.",
        "a/../b",
        "a b",
        "a\tb",
        "a\0b",
        "net.ipv4./..x",
        "a.\u{a0}",
    ] {
        let e = Key::parse(bad).unwrap_err();
        assert!(e.is_input(), "{bad:?}: {e}");
        assert!(e.to_string().starts_with("sysctl: invalid key"), "{e}");
    }
    assert!(Key::from_components(["a", ".."]).is_err());
    assert!(Key::from_components(["a/b"]).is_err());
    assert!(
        Key::from_components(["a.b", "c"]).is_err(),
        "dot in the first component"
    );
    assert!(Key::from_components(Vec::<String>::new()).is_err());
    assert!(Key::parse(&"x".repeat(256)).is_err());
}

#[test]
fn sys_07_routing_table() {
    use linx::ns::NsKind;
    let route = |k: &str| k.parse::<Key>().unwrap().namespace();
    assert_eq!(route("net.ipv4.ip_forward"), Some(NsKind::Net));
    assert_eq!(route("net.core.somaxconn"), Some(NsKind::Net));
    assert_eq!(route("kernel.hostname"), Some(NsKind::Uts));
    assert_eq!(route("kernel.domainname"), Some(NsKind::Uts));
    assert_eq!(route("kernel.shmmax"), Some(NsKind::Ipc));
    assert_eq!(route("kernel.msgmnb"), Some(NsKind::Ipc));
    assert_eq!(route("kernel.sem"), Some(NsKind::Ipc));
    assert_eq!(route("fs.mqueue.msg_max"), Some(NsKind::Ipc));
    assert_eq!(route("user.max_user_namespaces"), Some(NsKind::User));
    assert_eq!(route("vm.swappiness"), None);
    assert_eq!(route("fs.file-max"), None);
    assert_eq!(route("kernel.printk"), None);
}

#[test]
fn sys_05_value_validation_and_rendering() {
    assert!(Value::from("a\nb").validate().unwrap_err().is_input());
    assert!(Value::from("a\0b").validate().unwrap_err().is_input());
    assert!(Value::Ints(vec![]).validate().is_err());
    assert_eq!(Value::Ints(vec![4, 4, 1, 7]).to_string(), "4 4 1 7");
    assert_eq!(Value::Int(-3).to_string(), "-3");
    assert_eq!(Value::from("reno").to_string(), "reno");
    // Rejected before any file access, even for a key that does not exist.
    let e = Sysctl::current().write("linx.nope", "a\nb").unwrap_err();
    assert!(e.is_input(), "{e}");
}

#[test]
fn sys_04_missing_key_is_enoent_with_context() {
    let e = Sysctl::current().read("linx.does.not.exist").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
    let ctx = e.context().unwrap();
    assert_eq!(ctx.key.as_deref(), Some("linx.does.not.exist"));
    assert_eq!(
        ctx.path.as_deref(),
        Some(std::path::Path::new("/proc/sys/linx/does/not/exist"))
    );
    match &e {
        linx::Error::Os(os) => assert_eq!(os.operation, linx::error::Operation::Read),
        other => panic!("{other}"),
    }
    assert_eq!(
        e.to_string(),
        "sysctl: read linx.does.not.exist (/proc/sys/linx/does/not/exist): ENOENT (errno 2)"
    );
    let e = Sysctl::current().list("linx.nope").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
}

#[test]
fn sys_04_host_reads() {
    let s = Sysctl::current();
    assert_eq!(s.read("kernel.ostype").unwrap(), "Linux");
    assert_eq!(s.read_raw("kernel/ostype").unwrap(), "Linux\n");
    let sw = s.read_int("vm.swappiness").unwrap();
    assert!((0..=200).contains(&sw));
    assert_eq!(s.read_ints("kernel.printk").unwrap().len(), 4);
    assert_eq!(s.read_ints("net.ipv4.tcp_rmem").unwrap().len(), 3);
    let e = s.read_int("kernel.printk").unwrap_err();
    assert!(e.is_input(), "{e}");
    let e = s.read_int("kernel.ostype").unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("\"Linux\""), "{e}");
    // Plain file I/O agrees.
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/printk")
            .unwrap()
            .trim_end(),
        s.read("kernel.printk").unwrap()
    );
}

#[test]
fn sys_06_list_leaf_and_skips() {
    let s = Sysctl::current();
    let leaf = s.list("kernel.ostype").unwrap();
    assert_eq!(leaf.entries.len(), 1);
    assert_eq!(leaf.entries[0].value(), "Linux");
    let vm = s.list("vm").unwrap();
    let keys: Vec<String> = vm.entries.iter().map(|e| e.key.to_string()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(keys.contains(&"vm.swappiness".to_owned()));
    assert!(!keys.contains(&"vm.drop_caches".to_owned()));
    assert!(
        vm.skipped
            .iter()
            .any(|s| s.key.to_string() == "vm.drop_caches"
                && s.reason == linx::sysctl::SkipReason::WriteOnly)
    );
    if std::path::Path::new("/proc/sys/vm/stat_refresh").exists() {
        assert!(
            vm.skipped
                .iter()
                .any(|s| s.key.to_string() == "vm.stat_refresh"
                    && s.reason == linx::sysctl::SkipReason::SideEffects)
        );
    }
}

#[test]
fn sys_09_conf_parsing() {
    let text = "# comment\n; other comment\n\n   net.ipv4.ip_forward = 1\n\
                -net.ipv4.nosuch = 5\nkernel.printk=4 4 1 7  \n-net.ipv4.conf.lo.forwarding\n\
                net.ipv4.conf.*.forwarding = 1\nnot a setting\nbad..key = 1\nx\n";
    let conf = parse_conf(text);
    let keys: Vec<String> = conf.entries.iter().map(|e| e.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            "net.ipv4.ip_forward",
            "net.ipv4.nosuch",
            "kernel.printk",
            "net.ipv4.conf.lo.forwarding",
            "net.ipv4.conf.*.forwarding"
        ]
    );
    assert_eq!(conf.entries[0].value.as_deref(), Some("1"));
    assert_eq!(conf.entries[0].line, 4);
    assert!(conf.entries[1].ignore_errors);
    assert_eq!(conf.entries[2].value.as_deref(), Some("4 4 1 7"));
    assert_eq!(conf.entries[3].value, None, "exclusion");
    assert!(conf.entries[4].key.is_glob());
    assert_eq!(conf.diagnostics.len(), 3);
    assert_eq!(conf.diagnostics[0].line, 9);
}

#[test]
fn sys_09_glob_matching() {
    assert!(glob_match("*", "eth0"));
    assert!(glob_match("eth*", "eth0.100"));
    assert!(glob_match("e?h[0-9]", "eth7"));
    assert!(!glob_match("e?h[!0-9]", "eth7"));
    assert!(glob_match("[]x]", "]"));
    assert!(glob_match("a[", "a["));
    assert!(!glob_match("*.x", "eth0"));
    assert!(glob_match("*a*b*c*", "xxaxxbxxcxx"));
    assert!(!glob_match(&"*a".repeat(50), &"a".repeat(40)));
}

#[test]
fn sys_10_entry_display() {
    let l = Sysctl::current().list("kernel.ostype").unwrap();
    assert_eq!(l.entries[0].to_string(), "kernel.ostype = Linux");
    assert_eq!(
        l.entries[0].sysctl_lines().collect::<Vec<_>>(),
        ["kernel.ostype = Linux"]
    );
    let long = linx::sysctl::Entry {
        key: "a.b".parse().unwrap(),
        raw: "x".repeat(500),
    };
    assert!(long.to_string().ends_with('…'));
    assert_eq!(long.to_string().chars().count(), "a.b = ".len() + 200);
    let multi = linx::sysctl::Entry {
        key: "dev.cdrom.info".parse().unwrap(),
        raw: "a\n\nb\tc\n".into(),
    };
    assert_eq!(
        multi.sysctl_lines().collect::<Vec<_>>(),
        [
            "dev.cdrom.info = a",
            "dev.cdrom.info = ",
            "dev.cdrom.info = b\tc"
        ]
    );
}

fn component() -> impl Strategy<Value = String> {
    "[a-z0-9_.:-]{1,12}".prop_filter("not . or ..", |c| c != "." && c != "..")
}

fn plain() -> impl Strategy<Value = String> {
    "[a-z0-9_:-]{1,12}"
}

fn key_components() -> impl Strategy<Value = Vec<String>> {
    (plain(), proptest::collection::vec(component(), 0..5)).prop_map(|(first, mut rest)| {
        rest.insert(0, first);
        rest
    })
}

proptest! {
    #[test]
    fn sys_02_display_parse_round_trip(comps in key_components()) {
        let k = Key::from_components(comps.clone()).unwrap();
        prop_assert_eq!(k.to_string().parse::<Key>().unwrap(), k.clone());
        prop_assert_eq!(k.slash_form().parse::<Key>().unwrap(), k.clone());
        let path = k.path();
        prop_assert!(path.starts_with("/proc/sys"));
        prop_assert_eq!(path.components().count(), 3 + comps.len());
        prop_assert!(!path.components().any(|c| matches!(c, std::path::Component::ParentDir | std::path::Component::CurDir)));
    }

    #[test]
    fn sys_02_parse_never_escapes_or_panics(text in "\\PC{0,60}") {
        if let Ok(k) = Key::parse(&text) {
            let path = k.path();
            prop_assert!(path.starts_with("/proc/sys"));
            prop_assert!(path.components().skip(3).all(|c| matches!(c, std::path::Component::Normal(_))));
            prop_assert_eq!(k.to_string().parse::<Key>().unwrap(), k.clone());
            for c in k.components() {
                prop_assert!(!c.is_empty() && c != "." && c != "..");
                prop_assert!(!c.contains(['/', '\0']) && !c.chars().any(char::is_whitespace));
            }
        }
    }

    #[test]
    fn sys_02_bad_separators_are_errors(a in plain(), b in plain(), sep in prop::sample::select(vec!["..", "//", "/./", "./."])) {
        let joined = format!("{a}{sep}{b}");
        // A doubled separator yields an empty component, and `/./` or `./.` a `.` component.
        prop_assert!(Key::parse(&joined).is_err(), "{joined}");
        let leading = format!(".{a}");
        let trailing = format!("{a}.");
        prop_assert!(Key::parse(&leading).is_err());
        prop_assert!(Key::parse(&trailing).is_err());
    }

    #[test]
    fn sys_09_conf_parser_never_panics(text in "\\PC{0,300}") {
        let conf = parse_conf(&text);
        for e in &conf.entries {
            prop_assert!(e.line >= 1);
        }
    }

    #[test]
    fn sys_09_glob_never_panics(p in "[a-c*?\\[\\]!^-]{0,12}", n in "[a-c\\[\\]-]{0,12}") {
        let _ = glob_match(&p, &n);
    }
}
