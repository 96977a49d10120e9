//! User namespaces, kernel tier: children in fresh user namespaces (forked by the test), their
//! maps written through linx and checked through `/proc/<pid>/uid_map`, `/proc/<pid>/status`
//! and the workload's own `id`; write-once semantics; the unprivileged self map; the
//! `newuidmap`/`newgidmap` helpers. Nothing here changes the host's namespaces or files.

use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, OwnedFd};

use linx::pidfd::Pidfd;
use linx::user::{self, Helpers, IdMap, IdMapEntry, MapTracker, Setgroups, SetgroupsPolicy, Task};
use linx_testkit::require_root;

/// A child forked by the test into a new user namespace (plus `extra` clone flags). It reports
/// its uid as seen right after `unshare` (before any map exists), waits for [`Child::go`], then
/// optionally becomes uid/gid 0 *inside* and execs `argv` with stdout on a pipe.
struct Child {
    pid: i32,
    pidfd: Pidfd,
    go: Option<OwnedFd>,
    stdout: Option<BufReader<std::fs::File>>,
    uid_before_maps: u32,
}

impl Child {
    fn spawn(extra: libc::c_int, become_root: bool, argv: &[&str]) -> Child {
        let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
        let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let (report_r, report_w) =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let (go_r, go_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let (out_r, out_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let (rw, gr, ow) = (report_w.as_raw_fd(), go_r.as_raw_fd(), out_w.as_raw_fd());
        // SAFETY: the child makes raw, async-signal-safe syscalls on prebuilt data only.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            unsafe {
                if libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER | extra) != 0 {
                    libc::_exit(10);
                }
                let uid = libc::syscall(libc::SYS_getuid) as u32;
                libc::write(rw, uid.to_ne_bytes().as_ptr().cast(), 4);
                let mut b = [0u8; 1];
                if libc::read(gr, b.as_mut_ptr().cast(), 1) != 1 {
                    libc::_exit(0);
                }
                if become_root
                    && (libc::syscall(libc::SYS_setresgid, 0, 0, 0) != 0
                        || libc::syscall(libc::SYS_setresuid, 0, 0, 0) != 0)
                {
                    libc::_exit(11);
                }
                libc::dup2(ow, 1);
                libc::execv(ptrs[0], ptrs.as_ptr());
                libc::_exit(12);
            }
        }
        drop((report_w, go_r, out_w));
        let mut buf = [0u8; 4];
        assert_eq!(
            rustix::io::read(&report_r, &mut buf).unwrap(),
            4,
            "child failed to unshare"
        );
        Child {
            pid,
            pidfd: Pidfd::open(pid).unwrap(),
            go: Some(go_w),
            stdout: Some(BufReader::new(std::fs::File::from(out_r))),
            uid_before_maps: u32::from_ne_bytes(buf),
        }
    }

    fn go(&mut self) {
        let go = self.go.take().unwrap();
        assert_eq!(rustix::io::write(&go, b"g").unwrap(), 1);
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.stdout.as_mut().unwrap().read_line(&mut s).unwrap();
        s.trim_end().to_owned()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            let mut st = 0;
            libc::waitpid(self.pid, &mut st, 0);
        }
    }
}

/// The map file read with plain file I/O (the differential side of USR scenario 9).
fn plain_map(pid: i32, file: &str) -> Vec<IdMapEntry> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<u32> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            IdMapEntry::new(v[0], v[1], v[2])
        })
        .collect()
}

#[test]
fn usr_05_setup_readback_write_once_and_identity() {
    if !require_root() {
        return;
    }
    let mut c = Child::spawn(0, true, &["/bin/sh", "-c", "id -u; id -g; exec sleep 1000"]);
    // Before the maps are written the child is the overflow uid.
    assert_eq!(c.uid_before_maps, 65534);
    assert!(user::read_uid_map(&c.pidfd).unwrap().is_empty());
    assert_eq!(user::setgroups_state(&c.pidfd).unwrap(), Setgroups::Allow);

    let map = IdMap::single(0, 100000, 65536).unwrap();
    let mut tracker = MapTracker::new();
    tracker
        .setup(&c.pidfd, &map, &map, SetgroupsPolicy::Deny)
        .unwrap();
    assert_eq!(user::read_uid_map(&c.pidfd).unwrap().entries, map.entries());
    assert_eq!(user::read_gid_map(c.pid).unwrap().entries, map.entries());
    assert_eq!(plain_map(c.pid, "uid_map"), map.entries());
    assert_eq!(plain_map(c.pid, "gid_map"), map.entries());
    assert_eq!(user::setgroups_state(c.pid).unwrap(), Setgroups::Deny);
    user::deny_setgroups(&c.pidfd).unwrap();
    user::deny_setgroups(&c.pidfd).unwrap();

    // Through the tracker: refused without touching the kernel.
    let e = tracker.write_uid_map(&c.pidfd, &map).unwrap_err();
    assert!(
        matches!(&e, linx::Error::State(s) if s.kind == linx::error::StateKind::MapAlreadyWritten),
        "{e}"
    );
    assert!(e.to_string().contains("already written"), "{e}");
    // Directly: the kernel's EPERM, with the path.
    let e = user::write_uid_map(c.pid, &map).unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::PERM));
    assert_eq!(
        e.to_string(),
        format!("user: write /proc/{}/uid_map: EPERM (errno 1)", c.pid)
    );

    // After the go, the workload becomes root inside: `id` prints 0 inside, 100000 outside.
    c.go();
    assert_eq!(c.line(), "0");
    assert_eq!(c.line(), "0");
    let ids = user::ids(&c.pidfd).unwrap();
    assert_eq!(ids.uid.real, 100000);
    assert_eq!(ids.uid.effective, 100000);
    assert_eq!(ids.gid.real, 100000);
}

#[test]
fn usr_05_leave_setgroups_and_multi_range() {
    if !require_root() {
        return;
    }
    let c = Child::spawn(0, false, &["/bin/sleep", "1000"]);
    let uid_map: IdMap = "0:200000:1000,1000:300000:1000,5000:1234:1"
        .parse()
        .unwrap();
    let gid_map: IdMap = "0:200000:65536".parse().unwrap();
    user::setup(&c.pidfd, &uid_map, &gid_map, SetgroupsPolicy::Leave).unwrap();
    assert_eq!(user::setgroups_state(&c.pidfd).unwrap(), Setgroups::Allow);
    let back = user::read_uid_map(&c.pidfd).unwrap();
    assert_eq!(back.entries, uid_map.entries());
    assert_eq!(back.malformed, 0);
    assert_eq!(plain_map(c.pid, "uid_map"), uid_map.entries());
    // setgroups cannot be denied once the gid map is written with it allowed.
    let e = user::deny_setgroups(&c.pidfd).unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::PERM), "{e}");
}

#[test]
fn usr_04_dead_pid_errors_carry_the_path() {
    let mut child = std::process::Command::new("/bin/true").spawn().unwrap();
    let pid = child.id() as i32;
    child.wait().unwrap();
    let map = IdMap::single(0, 1000, 1).unwrap();
    let check = |e: linx::Error, file: &str| {
        assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT), "{e}");
        assert!(
            e.to_string().contains(&format!("/proc/{pid}/{file}")),
            "{e}"
        );
    };
    let e = user::write_uid_map(pid, &map).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("user: write /proc/{pid}/uid_map: ENOENT (errno 2)")
    );
    check(e, "uid_map");
    check(user::write_gid_map(pid, &map).unwrap_err(), "gid_map");
    check(user::read_uid_map(pid).unwrap_err(), "uid_map");
    check(user::read_gid_map(pid).unwrap_err(), "gid_map");
    check(user::deny_setgroups(pid).unwrap_err(), "setgroups");
    check(user::setgroups_state(pid).unwrap_err(), "setgroups");
    check(user::ids(pid).unwrap_err(), "status");
    check(
        user::setup(pid, &map, &map, SetgroupsPolicy::Deny).unwrap_err(),
        "setgroups",
    );
    assert!(user::write_uid_map(0, &map).unwrap_err().is_input());
}

#[test]
fn usr_07_unprivileged_self_map() {
    if !require_root() || !linx_testkit::require_tool("ip") {
        return;
    }
    // A forked child drops to uid/gid 1000 (no capabilities), creates User+Net, writes its own
    // single-line maps through linx, then runs `id -u` and creates a veth pair in its netns.
    let sh = CString::new("/bin/sh").unwrap();
    let c_arg = CString::new("-c").unwrap();
    let script = CString::new(
        "id -u; PATH=/usr/sbin:/sbin:$PATH ip link add v0 type veth peer name v1 && echo created",
    )
    .unwrap();
    let argv = [
        sh.as_ptr(),
        c_arg.as_ptr(),
        script.as_ptr(),
        std::ptr::null(),
    ];
    let (out_r, out_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let ow = out_w.as_raw_fd();
    // SAFETY: the child drops privileges with raw syscalls, then calls linx (which allocates;
    // glibc's malloc is fork-safe) and execs.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        unsafe {
            if libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) != 0
                || libc::syscall(libc::SYS_setresgid, 1000, 1000, 1000) != 0
                || libc::syscall(libc::SYS_setresuid, 1000, 1000, 1000) != 0
            {
                libc::_exit(20);
            }
            // A uid change makes the process non-dumpable, which makes /proc/self/* root-owned;
            // a process that was always unprivileged is dumpable, so restore that.
            libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0);
            let Ok(self_map) = user::map_current_user(0) else {
                libc::_exit(21)
            };
            if libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER | libc::CLONE_NEWNET) != 0 {
                libc::_exit(22);
            }
            if let Err(e) = self_map.apply(Task::Current) {
                let msg = e.to_string();
                libc::write(ow, msg.as_ptr().cast(), msg.len());
                libc::_exit(23);
            }
            libc::dup2(ow, 1);
            libc::dup2(ow, 2);
            libc::execv(argv[0], argv.as_ptr());
            libc::_exit(24);
        }
    }
    drop(out_w);
    let mut out = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(out_r), &mut out).unwrap();
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status:#x}: {out}"
    );
    assert_eq!(out, "0\ncreated\n");
}

#[test]
fn usr_08_helpers_refuse_outside_allocation_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let me = rustix::process::getuid().as_raw();
    let sub = dir.path().join("subuid");
    std::fs::write(&sub, format!("{me}:100000:65536\n")).unwrap();
    let helpers = Helpers {
        newuidmap: "/nonexistent/newuidmap".into(),
        newgidmap: "/nonexistent/newgidmap".into(),
        subuid: sub.clone(),
        subgid: sub.clone(),
    };
    let inside: IdMap = "0:100000:1000,1000:101000:1000".parse().unwrap();
    helpers.check(&inside, &inside).unwrap();
    let outside: IdMap = "0:100000:1000,1000:300000:10".parse().unwrap();
    let e = helpers.check(&outside, &inside).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(e.to_string().contains("300000..300010"), "{e}");
    // write_maps refuses before running anything (the helpers do not exist: running them would
    // give ENOENT, not an input error).
    let e = helpers
        .write_maps(Task::Current, &outside, &inside)
        .unwrap_err();
    assert!(e.is_input(), "{e}");
    // Own uid, count 1, is always allowed.
    helpers
        .check(&IdMap::single(0, me, 1).unwrap(), &inside)
        .unwrap();
}

#[test]
fn usr_08_helpers_multi_range() {
    if !require_root()
        || !linx_testkit::require_tool("newuidmap")
        || !linx_testkit::require_tool("newgidmap")
    {
        return;
    }
    if !std::path::Path::new("/etc/subuid").exists()
        || !std::path::Path::new("/etc/subgid").exists()
    {
        linx_testkit::skip("needs /etc/subuid and /etc/subgid to bind-mount fixtures over");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("sub");
    std::fs::write(&fixture, "root:100000:65536\n").unwrap();
    // A dedicated thread in a private mount namespace sees the fixture as /etc/subuid and
    // /etc/subgid; the helpers it runs (and the child it forks) inherit that view. The host's
    // files are untouched.
    std::thread::spawn(move || {
        use rustix::mount::{MountFlags, MountPropagationFlags};
        // SAFETY: only CLONE_FS and CLONE_NEWNS, on this thread only.
        unsafe {
            rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS).unwrap();
            rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS).unwrap();
        }
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )
        .unwrap();
        for target in ["/etc/subuid", "/etc/subgid"] {
            rustix::mount::mount(&fixture, target, "", MountFlags::BIND, None).unwrap();
        }
        let c = Child::spawn(0, false, &["/bin/sleep", "1000"]);
        let helpers = Helpers::find().unwrap();
        let bad: IdMap = "0:100000:1000,1000:900000:1000".parse().unwrap();
        let good: IdMap = "0:100000:1000,1000:101000:1000".parse().unwrap();
        assert!(
            helpers
                .write_maps(&c.pidfd, &bad, &good)
                .unwrap_err()
                .is_input()
        );
        assert!(
            user::read_uid_map(&c.pidfd).unwrap().is_empty(),
            "nothing ran"
        );
        helpers.write_maps(&c.pidfd, &good, &good).unwrap();
        assert_eq!(
            user::read_uid_map(&c.pidfd).unwrap().entries,
            good.entries()
        );
        assert_eq!(
            user::read_gid_map(&c.pidfd).unwrap().entries,
            good.entries()
        );
        assert_eq!(plain_map(c.pid, "uid_map"), good.entries());
        // A second run fails in the helper; the error names it and carries its stderr.
        let e = helpers.write_maps(&c.pidfd, &good, &good).unwrap_err();
        assert!(e.to_string().contains("newuidmap"), "{e}");
        assert!(e.errno().is_some(), "{e}");
    })
    .join()
    .unwrap();
}

#[test]
fn usr_09_map_root_to_caller() {
    if !require_root() {
        return;
    }
    let m = user::map_current_user(0).unwrap();
    let me = rustix::process::geteuid().as_raw();
    assert_eq!(m.uid_map, IdMap::single(0, me, 1).unwrap());
    let mut c = Child::spawn(0, true, &["/bin/sh", "-c", "id -u; exec sleep 1000"]);
    user::map_root_to_caller(&c.pidfd).unwrap();
    assert_eq!(user::setgroups_state(&c.pidfd).unwrap(), Setgroups::Deny);
    assert_eq!(
        user::read_uid_map(&c.pidfd).unwrap().entries,
        m.uid_map.entries()
    );
    c.go();
    assert_eq!(c.line(), "0");
    assert_eq!(user::ids(&c.pidfd).unwrap().uid.effective, me);
}

#[test]
fn usr_10_ids_of_current_process() {
    let ids = user::ids(Task::Current).unwrap();
    assert_eq!(ids.uid.real, rustix::process::getuid().as_raw());
    assert_eq!(ids.uid.effective, rustix::process::geteuid().as_raw());
    assert_eq!(ids.gid.real, rustix::process::getgid().as_raw());
    let own = user::read_uid_map(Task::Current).unwrap();
    assert!(!own.is_empty());
}
