//! Differential tier: linx's mount table against `findmnt -J` (util-linux) on a parked child's
//! mount namespace holding 5,000 extra mounts, with spaces, tabs, newlines and backslashes in
//! their paths, bind mounts of subdirectories and shared/slave propagation.
#![cfg(feature = "serde")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use linx::mount::{self, MountFlags, Mounts, Propagation};
use linx::ns::NsTarget;
use linx_testkit::{require_root, require_tool};

const COLUMNS: &str =
    "ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION";

struct Parked(Child);

impl Drop for Parked {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn parked() -> Option<(Parked, i32)> {
    if !require_root() || !require_tool("unshare") || !require_tool("findmnt") {
        return None;
    }
    // Wrapped at once, so it is killed and reaped on every path.
    let child = Parked(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sleep", "600"])
            .spawn()
            .expect("spawn unshare"),
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

fn name(i: usize) -> String {
    match i % 5 {
        0 => format!("plain{i}"),
        1 => format!("with space {i}"),
        2 => format!("new\nline{i}"),
        3 => format!("back\\slash{i}"),
        _ => format!("tab\there{i}"),
    }
}

fn findmnt(pid: i32) -> serde_json::Value {
    let out = Command::new("findmnt")
        .args(["-J", "-l", "-o", COLUMNS, "--task", &pid.to_string()])
        .output()
        .expect("run findmnt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("findmnt -J output is JSON")
}

fn by_id(v: &serde_json::Value) -> BTreeMap<u64, serde_json::Value> {
    v["filesystems"]
        .as_array()
        .expect("filesystems array")
        .iter()
        .map(|fs| (fs["id"].as_u64().expect("numeric id"), fs.clone()))
        .collect()
}

#[test]
fn mnt_40_matches_findmnt_on_5000_mounts() {
    let Some((_child, pid)) = parked() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("many");
    std::fs::create_dir(&base).unwrap();
    let m = Mounts::new(NsTarget::Pid(pid));
    m.mount("linx-base", &base, "tmpfs", MountFlags::empty(), "mode=755")
        .unwrap();
    let count = 5000;
    m.run(|| {
        std::fs::create_dir(base.join("src")).unwrap();
        std::fs::create_dir(base.join("src/sub dir")).unwrap();
        for i in 0..count {
            let dir = base.join(name(i));
            std::fs::create_dir(&dir).unwrap();
            if i % 11 == 0 {
                // A bind of a subdirectory: fsroot != "/", findmnt shows source[fsroot].
                mount::bind(base.join("src/sub dir"), &dir, false)?;
            } else {
                mount::mount(
                    format!("src {i}"),
                    &dir,
                    "tmpfs",
                    if i % 3 == 0 {
                        MountFlags::NOSUID
                    } else {
                        MountFlags::empty()
                    },
                    "size=1M",
                )?;
            }
            if i % 7 == 0 {
                mount::set_propagation(&dir, Propagation::Shared, false)?;
            }
            if i % 13 == 0 {
                mount::set_propagation(&dir, Propagation::Unbindable, false)?;
            }
        }
        // Slaves: binds of shared mounts, made slaves of their peer group.
        for i in (0..count).filter(|i| i % 7 == 0 && i % 13 != 0).take(50) {
            let dir = base.join(name(i));
            let slave = base.join(format!("slave {i}"));
            std::fs::create_dir(&slave).unwrap();
            mount::bind(&dir, &slave, false)?;
            mount::set_propagation(&slave, Propagation::Slave, false)?;
        }
        Ok(())
    })
    .unwrap();
    let table = mount::list_pid(pid).unwrap();
    assert!(table.skipped.is_empty(), "{:?}", table.skipped);
    assert!(table.entries.len() > count, "{}", table.entries.len());
    let ours = serde_json::to_value(mount::FindmntJson(&table)).unwrap();
    let theirs = findmnt(pid);
    let (ours, theirs) = (by_id(&ours), by_id(&theirs));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "same mount ids"
    );
    let mut mismatches = Vec::new();
    for (id, t) in &theirs {
        if ours[id] != *t {
            mismatches.push(format!("ours {}\nfindmnt {t}", ours[id]));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} rows differ, e.g.\n{}",
        mismatches.len(),
        theirs.len(),
        mismatches[..mismatches.len().min(3)].join("\n")
    );
    // The weird names really are there, decoded.
    let targets: Vec<PathBuf> = table.iter().map(|e| e.mount_point.clone()).collect();
    for i in [1, 2, 3, 4] {
        assert!(targets.contains(&base.join(name(i))), "{:?}", name(i));
    }
}

/// Scenario 12 on the host's own table (read-only): every row agrees with findmnt.
#[test]
fn mnt_12_own_table_matches_findmnt() {
    if !require_tool("findmnt") {
        return;
    }
    let pid = std::process::id() as i32;
    let table = mount::list_pid(pid).unwrap();
    let ours = by_id(&serde_json::to_value(mount::FindmntJson(&table)).unwrap());
    let theirs = by_id(&findmnt(pid));
    assert_eq!(ours, theirs);
}
