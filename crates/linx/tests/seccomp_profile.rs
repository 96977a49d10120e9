//! SEC-20: OCI/Docker profile import and export, linx profiles (feature `serde`).
#![cfg(feature = "serde")]

use linx::seccomp::profile::{ImportOptions, OciProfile, Profile, ProfileDocument, UnknownNames};
use linx::seccomp::{Action, Arch, Cmp, Condition, Filter, SeccompData};

/// A profile in Docker's `default.json` format (written for this test): `archMap`, `includes` by
/// arch and capability, `excludes`, masked comparisons, a name missing on aarch64, an unknown
/// name, and two comparisons of one argument (runc splits them into separate rules).
const DOCKER_STYLE: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"names": ["read", "write", "openat", "open", "exit_group", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]}},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
     "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}
  ]
}"#;

fn call(arch: Arch, name: &str, args: [u64; 6]) -> SeccompData {
    SeccompData::new(arch, arch.syscall_number(name).unwrap(), args)
}

#[test]
fn sec_20_import_docker_style_profile() {
    let doc: ProfileDocument = serde_json::from_str(DOCKER_STYLE).unwrap();
    let ProfileDocument::Oci(oci) = &doc else {
        panic!("OCI profile not recognised")
    };
    let x86 = ImportOptions::new(Arch::X86_64);
    let (f, warnings) = oci.build(&x86).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no_such_call"), "{warnings:?}");
    let a = Arch::X86_64;
    assert_eq!(f.evaluate(&call(a, "read", [0; 6])), Action::Allow);
    assert_eq!(f.evaluate(&call(a, "open", [0; 6])), Action::Allow);
    assert_eq!(f.evaluate(&call(a, "getpid", [0; 6])), Action::Errno(1));
    // Two comparisons of arg0: either may hold (runc semantics).
    assert_eq!(f.evaluate(&call(a, "personality", [0; 6])), Action::Allow);
    assert_eq!(
        f.evaluate(&call(a, "personality", [8, 0, 0, 0, 0, 0])),
        Action::Allow
    );
    assert_eq!(
        f.evaluate(&call(a, "personality", [9, 0, 0, 0, 0, 0])),
        Action::Errno(1)
    );
    // Different arguments: all must hold.
    assert_eq!(
        f.evaluate(&call(a, "socket", [2, 1, 0, 0, 0, 0])),
        Action::Errno(97)
    );
    assert_eq!(
        f.evaluate(&call(a, "socket", [2, 2, 0, 0, 0, 0])),
        Action::Errno(1)
    );
    assert_eq!(f.evaluate(&call(a, "arch_prctl", [0; 6])), Action::Allow);
    assert_eq!(f.evaluate(&call(a, "mount", [0; 6])), Action::Errno(1));
    assert_eq!(
        f.evaluate(&call(a, "clone", [0x11, 0, 0, 0, 0, 0])),
        Action::Allow
    );
    assert_eq!(
        f.evaluate(&call(a, "clone", [0x1000_0000, 0, 0, 0, 0, 0])),
        Action::Errno(1)
    );
    assert_eq!(f.evaluate(&call(a, "ptrace", [0; 6])), Action::Allow);

    // With CAP_SYS_ADMIN: mount allowed, the clone restriction excluded; an old kernel loses
    // the minKernel group.
    let mut admin = ImportOptions::new(Arch::X86_64);
    admin.caps = vec!["CAP_SYS_ADMIN".into()];
    admin.kernel = Some((4, 4));
    let (f, _) = oci.build(&admin).unwrap();
    assert_eq!(f.evaluate(&call(a, "mount", [0; 6])), Action::Allow);
    assert_eq!(
        f.evaluate(&call(a, "clone", [0x1000_0000, 0, 0, 0, 0, 0])),
        Action::Errno(1)
    );
    assert_eq!(f.evaluate(&call(a, "ptrace", [0; 6])), Action::Errno(1));

    // aarch64: `open` and `arch_prctl` do not exist there; the arch include drops arch_prctl.
    let (f, warnings) = oci.build(&ImportOptions::new(Arch::Aarch64)).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("\"open\"") && w.contains("did you mean \"openat\""))
    );
    assert_eq!(
        f.evaluate(&call(Arch::Aarch64, "openat", [0; 6])),
        Action::Allow
    );

    // Unknown names as errors.
    let mut strict = ImportOptions::new(Arch::X86_64);
    strict.unknown_names = UnknownNames::Error;
    let e = oci.build(&strict).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("no_such_call"),
        "{e}"
    );
}

#[test]
fn sec_20_export_round_trips() {
    let f = Filter::builder(Arch::X86_64)
        .default_action(Action::Errno(1))
        .allow("read")
        .rule(
            "personality",
            Action::Allow,
            [Condition::new(0, Cmp::Eq(0))],
        )
        .rule(
            "clone",
            Action::Log,
            [
                Condition::new(
                    0,
                    Cmp::MaskedEq {
                        mask: 0xff00,
                        value: 0x100,
                    },
                ),
                Condition::new(2, Cmp::Gt(7)),
            ],
        )
        .action("kill", Action::Trace(3))
        .build()
        .unwrap();
    let oci = OciProfile::from_filter(&f).unwrap();
    let json = serde_json::to_string(&oci).unwrap();
    assert!(
        json.contains("\"defaultAction\":\"SCMP_ACT_ERRNO\""),
        "{json}"
    );
    assert!(json.contains("\"op\":\"SCMP_CMP_MASKED_EQ\""), "{json}");
    let back: OciProfile = serde_json::from_str(&json).unwrap();
    let (g, warnings) = back.build(&ImportOptions::new(Arch::X86_64)).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(g.program(), f.program());

    // linx's own format keeps everything, including U32 widths and the bad-arch action.
    let f = Filter::builder(Arch::Aarch64)
        .default_action(Action::KillProcess)
        .bad_arch_action(Action::Errno(38))
        .unknown_syscalls(Action::Errno(38))
        .rule("socket", Action::Allow, [Condition::u32(0, Cmp::Eq(1))])
        .build()
        .unwrap();
    let p = Profile::from_filter(&f).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains("\"width\":\"u32\""), "{json}");
    let doc: ProfileDocument = serde_json::from_str(&json).unwrap();
    assert!(matches!(doc, ProfileDocument::Linx(_)));
    let (g, _) = doc.build(None).unwrap();
    assert_eq!(g.program(), f.program());
    assert!(OciProfile::from_filter(&f).unwrap_err().is_input());
}

#[test]
fn sec_20_linx_profile_text() {
    let doc: ProfileDocument = serde_json::from_str(
        r#"{"arch": "x86_64", "default_action": "errno(EPERM)",
            "rules": [{"syscall": "personality", "action": "allow",
                       "conditions": [{"arg": 0, "cmp": {"eq": 0}}]},
                      {"syscall": "write", "action": "log"}]}"#,
    )
    .unwrap();
    let (f, _) = doc.build(None).unwrap();
    assert_eq!(
        f.evaluate(&call(Arch::X86_64, "write", [0; 6])),
        Action::Log
    );
    assert_eq!(
        f.evaluate(&call(Arch::X86_64, "personality", [1, 0, 0, 0, 0, 0])),
        Action::Errno(1)
    );
    let bad: Result<ProfileDocument, _> =
        serde_json::from_str(r#"{"default_action": "errno(99999)"}"#);
    assert!(bad.is_err());
}

/// SEC-08 through SEC-20: a comparison on an argument the syscall does not take (argument 3 of
/// `close`) builds, and both profile formats report it as a warning naming the syscall and index.
#[test]
fn sec_08_profiles_warn_about_conditions_past_the_argument_count() {
    let oci: ProfileDocument = serde_json::from_str(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["close"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 3, "value": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["read"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let linx: ProfileDocument = serde_json::from_str(
        r#"{"default_action": "allow",
            "rules": [{"syscall": "close", "action": "errno(EPERM)",
                       "conditions": [{"arg": 3, "cmp": {"eq": 0}}]},
                      {"syscall": "read", "action": "errno(EPERM)",
                       "conditions": [{"arg": 2, "cmp": {"eq": 0}}]}]}"#,
    )
    .unwrap();
    for doc in [oci, linx] {
        for arch in Arch::ALL {
            let (f, warnings) = doc.build(Some(arch)).unwrap();
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0]
                    .starts_with("close: condition on argument 3, but close takes 1 argument"),
                "{warnings:?}"
            );
            assert_eq!(f.warnings().len(), 1);
        }
    }
}
