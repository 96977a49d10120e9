//! `linx reconcile FILE` inside a fresh network namespace: a file converges, a second run is a
//! no-op, ownership kept in `--state` lets a removed address be deleted while a foreign one
//! survives, and bad files are located errors (`FILE:LINE`, exit 2) with nothing applied.

use std::path::Path;
use std::process::Output;

use linx_testkit::{NetNs, require_root};

const LINX: &str = env!("CARGO_BIN_EXE_linx");

fn fresh() -> Option<NetNs> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("create a network namespace");
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    ns.ip(&["link", "set", "v0", "up"]);
    ns.ip(&["link", "set", "v1", "up"]);
    Some(ns)
}

fn linx(ns: &NetNs, args: &[&str]) -> Output {
    ns.command(LINX).args(args).output().expect("run linx")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write the desired-state file");
    p.display().to_string()
}

const NET: &str = r#"# v0 gets an address and two routes
[[addresses]]
dev = "v0"
address = "192.0.2.10/24"

[[addresses]]
dev = "v0"
address = "192.0.2.11/24"

[[routes]]
dst = "198.51.100.0/24"
via = "192.0.2.1"

[[routes]]
dst = "203.0.113.0/24"
dev = "v0"
"#;

#[test]
fn rec_cli_file_converges_second_run_noop_and_state_ownership() {
    let Some(ns) = fresh() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "net.toml", NET);
    let state = dir.path().join("state.json").display().to_string();
    // A foreign address on the same interface.
    ns.ip(&["addr", "add", "10.99.0.9/24", "dev", "v0"]);

    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("converged (4 applied)"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with("+ ")).count(), 4);
    let routes = ns.ip(&["route", "show", "proto", "76"]);
    assert!(
        routes.contains("198.51.100.0/24 via 192.0.2.1 dev v0"),
        "{routes}"
    );
    assert!(routes.contains("203.0.113.0/24 dev v0"), "{routes}");

    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "converged (nothing to do)");

    // Drop 192.0.2.11 from the file: owned through --state, so it is deleted; the foreign
    // address stays.
    let smaller = NET.replace(
        "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.11/24\"\n\n",
        "",
    );
    assert_ne!(smaller, NET);
    let file = write(dir.path(), "net.toml", &smaller);
    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("converged (1 applied)"),
        "{stdout}"
    );
    assert!(stdout.contains("192.0.2.11/24"), "{stdout}");
    let addrs = ns.ip(&["-4", "addr", "show", "dev", "v0"]);
    assert!(!addrs.contains("192.0.2.11/24"), "{addrs}");
    assert!(addrs.contains("192.0.2.10/24"), "{addrs}");
    assert!(addrs.contains("10.99.0.9/24"), "{addrs}");
}

#[test]
fn rec_cli_bad_files_are_located_and_apply_nothing() {
    let Some(ns) = fresh() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        // Unknown key.
        (
            "unknown.toml",
            "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[[routes]]\ndst = \"default\"\ngatway = \"192.0.2.1\"\n",
            ":7",
        ),
        // Wrong type.
        (
            "type.toml",
            "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[[routes]]\ndst = \"10.0.0.0/8\"\nmetric = \"high\"\ndev = \"v0\"\n",
            ":7",
        ),
        // Unknown interface: found by the pass, before anything is applied.
        (
            "unknown-if.toml",
            "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[[addresses]]\ndev = \"nosuch0\"\naddress = \"192.0.2.20/24\"\n",
            ":5",
        ),
        // JSON with a malformed address.
        (
            "bad.json",
            "{\n  \"addresses\": [\n    {\"dev\": \"v0\", \"address\": \"192.0.2.10/24\"},\n    {\"dev\": \"v0\", \"address\": \"192.0.2.300/24\"}\n  ]\n}\n",
            ":4",
        ),
    ];
    for (name, body, line) in cases {
        let file = write(dir.path(), name, body);
        let out = linx(&ns, &["reconcile", &file]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{file}{line}")),
            "{name}: expected {file}{line} in {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let addrs = ns.ip(&["-4", "addr", "show", "dev", "v0"]);
        assert!(
            !addrs.contains("192.0.2.10"),
            "{name} applied something: {addrs}"
        );
    }
}

/// `--watch` with monitor wake-ups only (`--interval 0`): the first report, then an address
/// deleted by hand with `ip` is recreated by the pass the route monitor wakes, and that pass's
/// report lines are printed.
#[test]
fn rec_cli_watch_heals_drift_from_monitor_events() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let Some(ns) = fresh() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "net.toml",
        "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n",
    );
    let mut child = ns
        .command(LINX)
        .args([
            "reconcile",
            &file,
            "--watch",
            "--interval",
            "0",
            "--debounce",
            "10",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn linx reconcile --watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // A hang guard, not a timing assertion.
    let next = || {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("a report line")
    };
    let mut first = Vec::new();
    loop {
        let l = next();
        let done = l.starts_with("converged") || l.starts_with("not converged");
        first.push(l);
        if done {
            break;
        }
    }
    assert_eq!(
        first.last().map(String::as_str),
        Some("converged (1 applied)"),
        "{first:?}"
    );
    ns.ip(&["addr", "del", "192.0.2.10/24", "dev", "v0"]);
    // Passes woken by unrelated events print `converged (nothing to do)`; wait for the heal.
    let mut healed = Vec::new();
    loop {
        let l = next();
        if l.starts_with("+ ") {
            healed.push(l);
        } else if !healed.is_empty() {
            assert_eq!(l, "converged (1 applied)", "{healed:?}");
            break;
        }
    }
    assert_eq!(healed.len(), 1);
    assert!(healed[0].contains("192.0.2.10/24"), "{healed:?}");
    let addrs = ns.ip(&["-4", "addr", "show", "dev", "v0"]);
    assert!(addrs.contains("192.0.2.10/24"), "{addrs}");
    child.kill().expect("stop linx reconcile --watch");
    let _ = child.wait();
    let _ = reader.join();
}

/// A file's `[cgroup]` section through the CLI: the limit of a throwaway cgroup (absolute path)
/// is written next to the network state, a second run is a no-op, a hand-written value is healed
/// by the next run, and `--revert-on-release` with the section gone writes the original back.
#[test]
fn rec_cli_cgroup_limits_from_a_file() {
    let Some(ns) = fresh() else { return };
    let root = match linx::cgroup::Cgroup::root() {
        Ok(r) => r,
        Err(e) => {
            linx_testkit::skip(&format!("no cgroup v2 hierarchy: {e}"));
            return;
        }
    };
    let cg = root
        .create_child(&format!("linx-rec-cli-{}", std::process::id()))
        .expect("throwaway cgroup");
    struct Remove(linx::cgroup::Cgroup);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = self.0.remove();
        }
    }
    let cg = Remove(cg);
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.json").display().to_string();
    let body = format!(
        "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[cgroup]\npath = \"{}\"\nlimits = {{ \"cgroup.max.descendants\" = 3 }}\n",
        cg.0.path().display()
    );
    let file = write(dir.path(), "all.toml", &body);
    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("+ cgroup write cgroup.max.descendants = 3"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("converged (2 applied)"));
    assert_eq!(cg.0.read("cgroup.max.descendants").unwrap(), "3");
    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert_eq!(text(&out.stdout).trim(), "converged (nothing to do)");
    std::fs::write(cg.0.path().join("cgroup.max.descendants"), "40").unwrap();
    let out = linx(&ns, &["reconcile", &file, "--state", &state]);
    assert_eq!(
        text(&out.stdout).lines().last(),
        Some("converged (1 applied)")
    );
    assert_eq!(cg.0.read("cgroup.max.descendants").unwrap(), "3");
    // The limit leaves the file: reverted to the original captured at the first write.
    let body = format!(
        "[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[cgroup]\npath = \"{}\"\n",
        cg.0.path().display()
    );
    let file = write(dir.path(), "all.toml", &body);
    let out = linx(
        &ns,
        &["reconcile", &file, "--state", &state, "--revert-on-release"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("revert cgroup.max.descendants"), "{stdout}");
    assert_eq!(cg.0.read("cgroup.max.descendants").unwrap(), "max");
}
