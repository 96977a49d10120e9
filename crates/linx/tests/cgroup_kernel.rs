//! Kernel tier for cgroups on the host. The host mounts cgroup v2 in hybrid mode (controllers
//! bound to v1), so these tests cover what works without controllers — create/remove, placing
//! processes, freeze, kill, events, watch, delegation, `CLONE_INTO_CGROUP` — plus the clear
//! unavailability errors for controller files. Limits and controllers are tested in the VM tier
//! (`vm_cgroup.rs`).
//!
//! Every test works under its own throwaway parent `<v2 mount>/linx-test-<pid>-<n>`, removed at
//! the end; the processes it moves are its own children.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use linx::cgroup::{self, Cgroup, Controller, Limit, RemoveOptions, WatchEvent};
use linx::error::{Errno, Operation};
use linx::ns::{NsSet, NsTarget};
use linx_testkit::{require_root, skip};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
const WAIT: Duration = Duration::from_secs(10);

/// A throwaway parent cgroup, removed (killing anything left) on drop.
struct TestParent {
    cg: Cgroup,
}

impl TestParent {
    fn new() -> Option<TestParent> {
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
        let name = format!(
            "linx-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let cg = root.create_child(&name).expect("create the test parent");
        Some(TestParent { cg })
    }
}

impl Drop for TestParent {
    fn drop(&mut self) {
        if let Err(e) = self.cg.remove_with(&RemoveOptions::default()) {
            eprintln!("cleanup of {} failed: {e}", self.cg);
        }
    }
}

/// A child process of this test, killed and reaped on drop.
struct Kid(Child);

impl Kid {
    fn sleep() -> Kid {
        Kid(Command::new("sleep")
            .arg("600")
            .spawn()
            .expect("spawn sleep"))
    }

    fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn cg_03_create_idempotent_and_over_a_file() {
    let Some(t) = TestParent::new() else { return };
    let a = t.cg.create_child("a").unwrap();
    let again = t.cg.create_child("a").unwrap();
    assert_eq!(a.path(), again.path());
    a.set_max_descendants(Limit::Value(42)).unwrap();
    assert_eq!(a.max_descendants().unwrap(), Limit::Value(42));
    assert_eq!(a.read("cgroup.max.descendants").unwrap(), "42");
    a.set_max_depth(Limit::Max).unwrap();
    assert_eq!(a.max_depth().unwrap(), Limit::Max);
    assert_eq!(a.cgroup_type().unwrap(), cgroup::CgroupType::Domain);
    let e = t.cg.create_child("cgroup.procs").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("not a directory"), "{e}");
    let deep = t.cg.create_all("x/y/z").unwrap();
    assert!(deep.path().ends_with("x/y/z"));
    assert_eq!(
        t.cg.children().unwrap(),
        vec!["a".to_string(), "x".to_string()]
    );
    let by_path = Cgroup::create(deep.path().join("w")).unwrap();
    assert_eq!(by_path.hierarchy_path(), deep.hierarchy_path().join("w"));
    // Relative to the mount, too.
    let rel = t.cg.hierarchy_path();
    let rel = rel.strip_prefix("/").unwrap();
    assert_eq!(Cgroup::open(rel.join("a")).unwrap().path(), a.path());
    a.remove().unwrap();
    assert!(!a.exists());
    let e = Cgroup::open(t.cg.path().join("a")).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    // An absolute path outside the cgroup2 mount is a hierarchy path (as /proc/<pid>/cgroup
    // shows it).
    assert_eq!(
        Cgroup::open(t.cg.hierarchy_path()).unwrap().path(),
        t.cg.path()
    );
    assert!(Cgroup::open("/").unwrap().is_root());
    // A directory that is not on cgroup2.
    let tmp = tempfile::tempdir().unwrap();
    let e = Cgroup::open_unchecked(tmp.path())
        .unwrap()
        .child("x")
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
}

#[test]
fn cg_04_remove_populated_is_ebusy() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("busy").unwrap();
    let kid = Kid::sleep();
    cg.add_process(kid.pid()).unwrap();
    let e = cg.remove().unwrap_err();
    assert_eq!(e.errno(), Some(Errno::BUSY), "{e}");
    assert!(e.to_string().starts_with("cgroup: remove "), "{e}");
    assert!(
        e.to_string().contains(&cg.path().display().to_string()),
        "{e}"
    );
    // A parent with children is busy as well; remove_with kills, waits and retries.
    let e = t.cg.remove().unwrap_err();
    assert_eq!(e.errno(), Some(Errno::BUSY), "{e}");
    let parent = t.cg.try_clone().unwrap();
    parent.remove_with(&RemoveOptions::default()).unwrap();
    assert!(!cg.exists() && !parent.exists());
    drop(kid);
}

#[test]
fn cg_05_place_list_and_membership() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("p").unwrap();
    let kid = Kid::sleep();
    cg.add_process(kid.pid()).unwrap();
    assert_eq!(cg.procs().unwrap(), vec![kid.pid()]);
    assert_eq!(cg.threads().unwrap(), vec![kid.pid()]);
    assert_eq!(Cgroup::of(kid.pid()).unwrap().path(), cg.path());
    assert!(cg.events().unwrap().populated);
    // By pidfd.
    let other = t.cg.create_child("q").unwrap();
    let pidfd = linx::pidfd::Pidfd::open(kid.pid()).unwrap();
    other.add_pidfd(&pidfd).unwrap();
    assert_eq!(other.procs().unwrap(), vec![kid.pid()]);
    assert!(cg.procs().unwrap().is_empty());
    // A bogus pid: ESRCH (or EINVAL), operation "add process", the file and the pid named.
    let e = cg.add_process(2147483640).unwrap_err();
    assert!(matches!(e.errno(), Some(Errno::SRCH | Errno::INVAL)), "{e}");
    let linx::Error::Os(os) = &e else {
        panic!("{e}")
    };
    assert_eq!(
        os.operation,
        Operation::Cgroup(linx::error::CgroupOp::AddProcess)
    );
    assert!(os.context.path.as_ref().unwrap().ends_with("cgroup.procs"));
    assert_eq!(os.context.pid, Some(2147483640));
    // The caller's own cgroup, from /proc/thread-self/cgroup.
    let me = Cgroup::current().unwrap();
    assert!(me.path().starts_with(me.mount_point()));
}

fn wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

#[test]
fn cg_14_freeze_waits_for_frozen_and_thaw_for_thawed() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("f").unwrap();
    let kid = Kid::sleep();
    cg.add_process(kid.pid()).unwrap();
    cg.freeze(WAIT).unwrap();
    assert!(cg.is_frozen().unwrap());
    // The task sits in the freezer trap (inlined into get_signal on some kernels).
    let w = wchan(kid.pid());
    assert!(
        w == "do_freezer_trap" || w == "get_signal",
        "wchan {w:?} is not the freezer trap"
    );
    cg.thaw(WAIT).unwrap();
    assert!(!cg.is_frozen().unwrap());
    // A bounded wait that cannot be met reports Timeout with the last values.
    let e = cg
        .wait_events(Duration::from_millis(50), |e| !e.populated)
        .unwrap_err();
    assert!(matches!(e, linx::Error::Timeout(_)), "{e}");
    assert!(e.to_string().contains("populated 1 frozen 0"), "{e}");
}

/// A shell in the cgroup that starts ten background sleeps once released.
fn shell_with_sleeps(cg: &Cgroup) -> Child {
    use std::io::Write;
    let mut sh = Command::new("sh")
        .args([
            "-c",
            "read go; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 600 & done; wait",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    cg.add_process(sh.id() as i32).unwrap();
    sh.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    for _ in 0..1000 {
        if cg.procs().unwrap().len() == 11 {
            return sh;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let procs = cg.procs();
    let _ = cg.kill();
    let _ = sh.wait();
    panic!("the shell did not start its sleeps: {procs:?}");
}

#[test]
fn cg_15_kill_subtree_and_wait_empty() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("k").unwrap();
    let mut sh = shell_with_sleeps(&cg);
    cg.kill().unwrap();
    cg.wait_empty(WAIT).unwrap();
    assert!(cg.procs().unwrap().is_empty());
    let status = sh.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    cg.remove_with(&RemoveOptions {
        kill: false,
        ..RemoveOptions::default()
    })
    .unwrap();
}

#[test]
fn cg_15_kill_fallback_by_signal() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("kf").unwrap();
    let nested = cg.create_child("nested").unwrap();
    let mut sh = shell_with_sleeps(&cg);
    let kid = Kid::sleep();
    nested.add_process(kid.pid()).unwrap();
    cg.kill_by_signal().unwrap();
    cg.wait_empty(WAIT).unwrap();
    assert!(!cg.is_frozen().unwrap(), "thawed again");
    let _ = sh.wait();
    assert!(nested.procs().unwrap().is_empty());
    cg.remove_with(&RemoveOptions::default()).unwrap();
}

#[test]
fn cg_16_stats_of_a_busy_cgroup() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("s").unwrap();
    let busy = Kid(Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap());
    cg.add_process(busy.pid()).unwrap();
    let first = cg.stats().unwrap();
    let before = first
        .cpu
        .as_ref()
        .expect("cpu.stat is a core file")
        .usage_usec;
    let mut after = before;
    for _ in 0..500 {
        std::thread::sleep(Duration::from_millis(10));
        after = cg.cpu_stat().unwrap().usage_usec;
        if after > before {
            break;
        }
    }
    assert!(
        after > before,
        "cpu usage did not grow: {before} -> {after}"
    );
    assert!(!first.to_string().is_empty());
}

#[test]
fn cg_18_watch_populated_and_frozen() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("w").unwrap();
    let mut w = cg.watch().unwrap();
    assert!(!w.last_events().populated);
    let kid = Kid::sleep();
    cg.add_process(kid.pid()).unwrap();
    let ev = w.wait(Some(WAIT)).unwrap();
    assert!(ev.contains(&WatchEvent::Populated(true)), "{ev:?}");
    cg.write("cgroup.freeze", "1").unwrap();
    let mut seen = Vec::new();
    while !seen.contains(&WatchEvent::Frozen(true)) {
        seen.extend(w.wait(Some(WAIT)).unwrap());
    }
    cg.thaw(WAIT).unwrap();
    cg.kill().unwrap();
    let mut seen = Vec::new();
    while !seen.contains(&WatchEvent::Populated(false)) {
        seen.extend(w.wait(Some(WAIT)).unwrap());
    }
    assert!(w.as_fd().as_raw_fd() >= 0);
}

#[test]
fn cg_19_delegate_chowns_the_interface() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("d").unwrap();
    cg.delegate(12345, 23456).unwrap();
    for f in [
        "",
        "cgroup.procs",
        "cgroup.threads",
        "cgroup.subtree_control",
    ] {
        let md = std::fs::metadata(cg.path().join(f)).unwrap();
        assert_eq!((md.uid(), md.gid()), (12345, 23456), "{f}");
    }
    // Files outside the delegation list stay root's.
    let md = std::fs::metadata(cg.path().join("cgroup.max.depth")).unwrap();
    assert_eq!(md.uid(), 0);
}

/// Host, hybrid mode: controller files of v1-bound controllers give a clear `Unsupported`.
#[test]
fn cg_01_controllers_bound_to_v1_are_explained() {
    let Some(t) = TestParent::new() else { return };
    let h = cgroup::hierarchy().unwrap();
    let Some((name, reason)) = h.unavailable.iter().find(|(c, _)| c == "memory") else {
        skip("the memory controller is available in v2 here (not a hybrid host)");
        return;
    };
    let cg = t.cg.create_child("h").unwrap();
    let e = cg.set_memory_max(Limit::Value(1 << 20)).unwrap_err();
    assert!(matches!(e, linx::Error::Unsupported(_)), "{e}");
    let text = e.to_string();
    assert!(
        text.contains(name) && text.contains(&reason.to_string()),
        "{text}"
    );
    assert!(text.contains("memory.max"), "{text}");
    let change = t.cg.enable(&[Controller::Memory]).unwrap();
    assert!(!change.is_complete());
    let (c, err) = &change.failed[0];
    assert_eq!(c, &Controller::Memory);
    assert!(matches!(err, linx::Error::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("bound to cgroup v1"), "{err}");
}

#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// clone3 into `cg`; the child only pauses (raw syscalls) until killed. Returns (pid, pidfd).
fn clone_into(cg: &Cgroup, extra: u64) -> (i32, OwnedFd) {
    let mut pidfd: libc::c_int = -1;
    let args = CloneArgs {
        flags: libc::CLONE_PIDFD as u64 | CLONE_INTO_CGROUP | extra,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cg.dir_fd().as_raw_fd() as u64,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 without CLONE_VM behaves like fork; the child only calls pause()/_exit.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        loop {
            // SAFETY: async-signal-safe; the parent kills us.
            unsafe { libc::pause() };
        }
    }
    assert!(pid > 0, "clone3: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel stored a fresh pidfd.
    (pid as i32, unsafe { OwnedFd::from_raw_fd(pidfd) })
}

fn reap(pid: i32, pidfd: OwnedFd) {
    let _ = rustix::process::pidfd_send_signal(&pidfd, rustix::process::Signal::KILL);
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

#[test]
fn cg_20_clone_into_cgroup_with_the_dir_fd() {
    let Some(t) = TestParent::new() else { return };
    let cg = t.cg.create_child("spawn").unwrap();
    let (pid, pidfd) = clone_into(&cg, 0);
    let membership = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let line = cgroup::parse::proc_cgroup(&membership).map(str::to_owned);
    // A new cgroup namespace is rooted at the child's cgroup.
    let (pid2, pidfd2) = clone_into(&cg, libc::CLONE_NEWCGROUP as u64);
    let seen_inside = NsTarget::Pid(pid2)
        .run(NsSet::CGROUP, || {
            std::fs::read_to_string(format!("/proc/{pid2}/cgroup")).unwrap()
        })
        .unwrap();
    reap(pid, pidfd);
    reap(pid2, pidfd2);
    assert_eq!(
        line.as_deref(),
        Some(cg.hierarchy_path().to_str().unwrap()),
        "{membership}"
    );
    assert_eq!(
        cgroup::parse::proc_cgroup(&seen_inside),
        Some("/"),
        "{seen_inside}"
    );
}
