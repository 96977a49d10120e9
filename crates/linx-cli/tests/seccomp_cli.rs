//! SEC-40: `linx seccomp compile | dump | check`.

use std::process::Command;

fn linx(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_linx"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sec_40_compile_dump_check() {
    let dir = std::env::temp_dir().join(format!("linx-seccomp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("p.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    let out = dir.join("p.bpf");
    let (ok, _, err) = linx(&[
        "seccomp",
        "compile",
        p,
        "--arch",
        "aarch64",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("aarch64 filter: 5 syscalls"), "{err}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bytes.len() % 8, 0);
    assert_eq!(&bytes[..8], &[0x20, 0, 0, 0, 4, 0, 0, 0]);
    let (ok, text, err) = linx(&[
        "seccomp",
        "dump",
        out.to_str().unwrap(),
        "--arch",
        "aarch64",
    ]);
    assert!(ok, "{err}");
    assert!(text.starts_with("0000: ld [4]"), "{text}");
    assert_eq!(text.lines().count(), bytes.len() / 8);
    let (ok, text, _) = linx(&["seccomp", "disasm", out.to_str().unwrap()]);
    assert!(ok && text.contains("ret"), "{text}");
    let (ok, text, _) = linx(&[
        "seccomp",
        "check",
        p,
        "personality",
        "8",
        "--arch",
        "x86_64",
    ]);
    assert!(ok);
    assert_eq!(text, "allow\n");
    let (ok, text, _) = linx(&[
        "seccomp",
        "check",
        p,
        "--syscall",
        "personality",
        "--args",
        "0x9",
    ]);
    assert!(ok);
    assert_eq!(text, "errno(EPERM)\n");
    let (ok, _, err) = linx(&["seccomp", "check", p, "opne", "--arch", "x86_64"]);
    assert!(!ok);
    assert!(err.contains("did you mean \"open\"?"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SEC-08 / SEC-40: `linx seccomp compile` prints the builder's warning for a comparison on an
/// argument the syscall does not take, and still compiles the profile.
#[test]
fn sec_08_compile_warns_about_conditions_past_the_argument_count() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("close.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["close"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 3, "value": 0, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    let (ok, text, err) = linx(&["seccomp", "compile", p, "--arch", "x86_64"]);
    assert!(ok, "{err}");
    assert!(text.starts_with("x86_64 filter: 1 syscall"), "{text}");
    assert!(
        err.contains(
            "linx: seccomp: warning: close: condition on argument 3, but close takes 1 argument"
        ),
        "{err}"
    );
    // Argument 0 is within close's count: no warning.
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["close"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let (ok, _, err) = linx(&["seccomp", "compile", p, "--arch", "aarch64"]);
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
}
