//! `linx mount list` (spec MNT-40) against util-linux on a parked process's private mount
//! namespace holding extra mounts (a source with spaces, a read-only bind): the text output equals
//! `mount(8)` run in that namespace line for line, and `--json` equals
//! `findmnt -J -l -o <the MNT-40 columns> --task PID` entry for entry.

use std::collections::BTreeMap;
use std::process::{Child, Command};
use std::time::Duration;

use linx_testkit::{require_root, require_tool};

const COLUMNS: &str =
    "ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION";

/// `unshare -m sleep`, killed and reaped on drop.
struct Parked(Child);

impl Drop for Parked {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn parked() -> Option<(Parked, i32)> {
    if !require_root()
        || !require_tool("unshare")
        || !require_tool("nsenter")
        || !require_tool("findmnt")
    {
        return None;
    }
    let child = Parked(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sleep", "600"])
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id() as i32;
    for _ in 0..1000 {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "sleep" {
            return Some((child, pid));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the parked child never reached sleep");
}

/// Runs a command inside the parked process's mount namespace and returns its stdout.
fn inside(pid: i32, args: &[&str]) -> String {
    let out = Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "--"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn linx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_linx"))
        .args(args)
        .output()
        .unwrap()
}

fn by_id(v: &serde_json::Value) -> BTreeMap<u64, serde_json::Value> {
    v["filesystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fs| (fs["id"].as_u64().unwrap(), fs.clone()))
        .collect()
}

#[test]
fn mnt_40_list_equals_mount_and_findmnt_in_a_target_namespace() {
    let Some((_child, pid)) = parked() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    inside(
        pid,
        &[
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=1m,mode=700",
            "linx cli src",
            a,
        ],
    );
    inside(pid, &["mount", "--bind", a, b]);
    inside(pid, &["mount", "-o", "remount,bind,ro", b]);

    // Text: mount(8)'s lines, including the merged per-mount and superblock options.
    let out = linx(&["mount", "list", "--target", &pid.to_string()]);
    assert!(out.status.success(), "{out:?}");
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = inside(pid, &["mount"]);
    assert_eq!(ours, theirs);
    assert!(
        ours.contains(&format!(
            "linx cli src on {b} type tmpfs (ro,relatime,size=1024k,mode=700)"
        )),
        "{ours}"
    );

    // JSON: findmnt's keys and values, entry for entry.
    let out = linx(&["mount", "list", "--target", &pid.to_string(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = Command::new("findmnt")
        .args(["-J", "-l", "-o", COLUMNS, "--task", &pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (ours, theirs) = (by_id(&ours), by_id(&theirs));
    assert_eq!(ours.len(), theirs.len());
    for (id, fs) in &theirs {
        assert_eq!(ours.get(id), Some(fs), "mount {id}");
    }

    // linx's own namespace differs from the target's: the extra mounts are not there.
    let own = linx(&["mount", "list"]);
    assert!(own.status.success());
    assert!(!String::from_utf8_lossy(&own.stdout).contains("linx cli src"));
}

#[test]
fn mnt_40_missing_target_is_an_error_naming_the_pid() {
    let out = linx(&["mount", "list", "--target", "999999999"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("linx: "), "{err}");
    assert!(err.contains("999999999"), "{err}");
}
