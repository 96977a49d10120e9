//! `linx cgroup` (spec CG-40) on a throwaway cgroup of the host's v2 hierarchy: stats against the
//! files the kernel shows, freeze/thaw against `cgroup.events`, kill with `--wait`, relative and
//! absolute paths, and the error for a missing cgroup.

use std::process::{Child, Command, Stdio};

use linx::cgroup::{Cgroup, RemoveOptions};
use linx_testkit::{require_root, skip};

fn linx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_linx"))
        .args(args)
        .output()
        .unwrap()
}

/// A throwaway cgroup `<mount>/linx-cli-cg-<pid>` with one `sleep` and one busy loop in it; both
/// are killed and the cgroup removed on drop.
struct Busy {
    cg: Cgroup,
    rel: String,
    kids: Vec<Child>,
}

impl Busy {
    fn new() -> Option<Busy> {
        if !require_root() {
            return None;
        }
        let root = match Cgroup::root() {
            Ok(r) => r,
            Err(e) => {
                skip(&format!("no cgroup v2 hierarchy: {e}"));
                return None;
            }
        };
        let rel = format!("linx-cli-cg-{}", std::process::id());
        let cg = root.create_child(&rel).unwrap();
        let mut kids = Vec::new();
        for script in ["exec sleep 600", "while :; do :; done"] {
            let kid = Command::new("sh")
                .args(["-c", script])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            cg.add_process(kid.id() as i32).unwrap();
            kids.push(kid);
        }
        Some(Busy { cg, rel, kids })
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.cg.path().join(name)).unwrap()
    }

    fn events_value(&self, key: &str) -> String {
        self.file("cgroup.events")
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")).map(str::to_owned))
            .unwrap()
    }

    fn usage_usec(&self) -> u64 {
        self.file("cpu.stat")
            .lines()
            .find_map(|l| l.strip_prefix("usage_usec "))
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        for k in &mut self.kids {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.cg.remove_with(&RemoveOptions::default());
    }
}

#[test]
fn cg_40_stats_freeze_thaw_kill_from_the_cli() {
    let Some(mut b) = Busy::new() else { return };
    let abs = b.cg.path().display().to_string();

    // stats --json: the CPU usage lies between two reads of cpu.stat around the call, and the
    // pressure files are decoded.
    let before = b.usage_usec();
    let out = linx(&["cgroup", "stats", &b.rel, "--json"]);
    let after = b.usage_usec();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let usage = v["cpu"]["usage_usec"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&usage),
        "{before} ≤ {usage} ≤ {after}"
    );
    assert!(v["cpu_pressure"].is_object(), "{v}");
    // Plain output names the cgroup by its absolute path.
    let out = linx(&["cgroup", "stats", &abs]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("{abs}: ")), "{text}");

    // freeze waits until the kernel reports the cgroup frozen; thaw until it is not.
    let out = linx(&["cgroup", "freeze", &b.rel]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(b.events_value("frozen"), "1");
    let out = linx(&["cgroup", "thaw", &abs]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(b.events_value("frozen"), "0");

    // kill --wait returns once the cgroup is empty; both children died of SIGKILL.
    assert_eq!(b.events_value("populated"), "1");
    let out = linx(&["cgroup", "kill", &b.rel, "--wait", "30"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(b.events_value("populated"), "0");
    assert_eq!(b.file("cgroup.procs"), "");
    for k in &mut b.kids {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(k.wait().unwrap().signal(), Some(libc::SIGKILL));
    }
}

#[test]
fn cg_40_missing_cgroup_is_an_error_naming_it() {
    if !require_root() {
        return;
    }
    let name = format!("linx-cli-missing-{}", std::process::id());
    for verb in ["stats", "freeze", "thaw", "kill"] {
        let out = linx(&["cgroup", verb, &name]);
        assert!(!out.status.success(), "{verb}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("linx: cgroup: "), "{verb}: {err}");
        assert!(err.contains(&name), "{verb}: {err}");
        assert!(err.contains("ENOENT"), "{verb}: {err}");
    }
    // A bad duration is refused before anything is opened (so it is named, not the path).
    for args in [
        ["freeze", "--timeout=-1"],
        ["thaw", "--timeout=nan"],
        ["kill", "--wait=-5"],
    ] {
        let out = linx(&["cgroup", args[0], &name, args[1]]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let flag = args[1].split('=').next().unwrap();
        assert!(err.contains(flag) && !err.contains("ENOENT"), "{err}");
    }
}
