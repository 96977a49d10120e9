//! Enter: running a program inside the namespaces of a running process (spec PROC-45..49,
//! scenario 19).

use std::io::Read;

use linx::ns::NsSet;
use linx::pidfd::Pidfd;
use linx::process::{Command, Stage, Stdio};
use linx_testkit::{require_root, require_tool};

fn ns_inode(pid: &str, kind: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn proc_45_enter_a_parked_child() {
    if !require_root() || !require_tool("ip") {
        return;
    }
    let mine: Vec<String> = ["net", "pid", "uts", "mnt"]
        .iter()
        .map(|k| ns_inode("self", k))
        .collect();
    let mut target_cmd = Command::new("/bin/sleep");
    target_cmd
        .arg("60")
        .namespaces(NsSet::NET | NsSet::PID | NsSet::UTS);
    let target = target_cmd.spawn().unwrap();
    let target_pid = target.pid();
    let target_pidns = ns_inode(&target_pid.to_string(), "pid");
    for kinds in [None, Some(NsSet::NET | NsSet::PID)] {
        let mut c = Command::new("/bin/sh");
        c.args([
            "-c",
            "test \"$(ip -o link | wc -l)\" = 1 && readlink /proc/self/ns/pid",
        ])
        .enter(Pidfd::open(target_pid).unwrap(), kinds)
        .stdout(Stdio::Pipe);
        let mut parked = c.spawn().unwrap_or_else(|e| panic!("{kinds:?}: {e}"));
        let mut out = parked.take_stdout().unwrap();
        let running = parked.proceed().unwrap();
        // A direct child: its pidfd waits.
        let status = running.wait().unwrap();
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        assert!(status.success(), "{kinds:?}: {status} {s}");
        assert_eq!(s.trim(), target_pidns, "{kinds:?}");
    }
    let after: Vec<String> = ["net", "pid", "uts", "mnt"]
        .iter()
        .map(|k| ns_inode("self", k))
        .collect();
    assert_eq!(mine, after, "the caller's namespaces must not change");
    target.abort().unwrap();
}

#[test]
fn proc_45_enter_sees_the_targets_hostname_and_is_pid_in_its_namespace() {
    if !require_root() {
        return;
    }
    let mut t = Command::new("/bin/sleep");
    t.arg("60").namespaces(NsSet::UTS | NsSet::PID);
    let target = t.spawn().unwrap();
    target
        .target()
        .unwrap()
        .run(NsSet::UTS, || {
            std::fs::write("/proc/sys/kernel/hostname", "entered")
        })
        .unwrap()
        .unwrap();
    let mut c = Command::new("/bin/sh");
    c.args(["-c", "hostname; echo $$"])
        .enter(Pidfd::open(target.pid()).unwrap(), None)
        .stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    // The parked workload is already inside the target's pid namespace (pid 2 or more there).
    assert!(parked.ns_pid() > 1, "{}", parked.ns_pid());
    let mut out = parked.take_stdout().unwrap();
    parked.proceed().unwrap().wait().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "entered");
    assert!(lines[1].parse::<i32>().unwrap() > 1);
    target.abort().unwrap();
}

#[test]
fn proc_45_enter_bad_input_and_dead_target() {
    let mut child = std::process::Command::new("/bin/true").spawn().unwrap();
    let pidfd = Pidfd::open(child.id() as i32).unwrap();
    child.wait().unwrap();
    let mut c = Command::new("/bin/true");
    c.enter(pidfd, None);
    let e = c.spawn().unwrap_err();
    assert!(matches!(e, linx::Error::State(_)), "{e}");
    // Enter cannot also create namespaces.
    let mut c = Command::new("/bin/true");
    c.enter(Pidfd::open(std::process::id() as i32).unwrap(), None)
        .namespaces(NsSet::NET);
    assert!(c.spawn().unwrap_err().is_input());
}

#[test]
fn proc_46_enter_own_namespaces_is_a_plain_spawn() {
    // Entering ourselves joins nothing (every namespace is identical) and still works.
    let mut c = Command::new("/bin/true");
    c.enter(Pidfd::open(std::process::id() as i32).unwrap(), None);
    assert!(c.start().unwrap().wait().unwrap().success());
    // An explicit kind the process has, but joining our own user namespace is skipped.
    let mut c = Command::new("/bin/true");
    c.enter(
        Pidfd::open(std::process::id() as i32).unwrap(),
        Some(NsSet::USER),
    );
    assert!(c.start().unwrap().wait().unwrap().success());
    let _ = Stage::Fork;
}

#[test]
fn proc_49_enter_joins_the_targets_cgroup() {
    if !require_root() {
        return;
    }
    let Ok(h) = linx::cgroup::hierarchy() else {
        linx_testkit::skip("no cgroup v2 hierarchy");
        return;
    };
    let name = format!("linx-proc49-{}", std::process::id());
    let dir = h.mount_point.join(&name);
    std::fs::create_dir(&dir).unwrap();
    let fd = rustix::fs::open(
        &dir,
        rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let mut t = Command::new("/bin/sleep");
    t.arg("60").cgroup_fd(fd);
    let target = t.start().unwrap();
    let mut c = Command::new("/bin/cat");
    c.arg("/proc/self/cgroup")
        .enter(Pidfd::open(target.pid()).unwrap(), None)
        .enter_cgroup(true)
        .stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    let mut out = parked.take_stdout().unwrap();
    parked.proceed().unwrap().wait().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert!(s.lines().any(|l| l.ends_with(&format!("/{name}"))), "{s}");
    drop(target);
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn proc_48_aborting_a_pid_namespace_init_with_an_entered_child_alive() {
    if !require_root() {
        return;
    }
    // The entered workload is our child but lives in the target's pid namespace: killing the
    // target (its init) kills it too, and the init can only finish once we reap it. Dropping the
    // target while the entered handle still exists must not deadlock.
    let mut t = Command::new("/bin/sleep");
    t.arg("60").namespaces(NsSet::PID);
    let target = t.spawn().unwrap();
    let mut c = Command::new("/bin/sleep");
    c.arg("60")
        .enter(Pidfd::open(target.pid()).unwrap(), Some(NsSet::PID));
    let entered = c.start().unwrap();
    target.abort().unwrap();
    assert_eq!(
        entered.wait().unwrap().signal(),
        Some(linx::process::Signal::KILL)
    );
}
