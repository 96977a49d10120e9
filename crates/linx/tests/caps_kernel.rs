//! Capabilities, kernel tier: the checkpoint contract exercised in forked children (fork →
//! apply the plan → execve), verified through `/proc/<pid>/status` of the running workload and
//! against `getpcaps`; reading other processes and threads; file capabilities against `getcap`.
//! Nothing here changes the test process's own capabilities except on dedicated threads that
//! exit.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

use linx::caps::{
    self, ApplyError, ApplyStep, Cap, CapPlan, CapSet, CapState, FileCaps, Securebits, Task,
    ThreadSets,
};
use linx_testkit::require_root;

fn set(names: &str) -> CapSet {
    names.parse().expect("valid capability list")
}

/// Plain-file-I/O reading of the `Cap*` hex lines, independent of linx's parser.
fn raw_status_masks(pid: i32) -> [u64; 5] {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let get = |f: &str| {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{f}:")))
            .unwrap();
        u64::from_str_radix(line[f.len() + 1..].trim(), 16).unwrap()
    };
    ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"].map(get)
}

fn assert_read_matches_proc(pid: i32, state: &CapState) {
    let [i, p, e, b, a] = raw_status_masks(pid);
    assert_eq!(
        [
            state.inheritable.bits(),
            state.permitted.bits(),
            state.effective.bits(),
            state.bounding.bits(),
            state.ambient.bits()
        ],
        [i, p, e, b, a],
        "linx's read differs from /proc/{pid}/status"
    );
}

/// A workload started by fork → `setup` (async-signal-safe, in the child) → `execve(sleep)`.
/// Killed and reaped on drop.
struct Workload {
    pid: i32,
}

impl Drop for Workload {
    fn drop(&mut self) {
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            let mut st = 0;
            libc::waitpid(self.pid, &mut st, 0);
        }
    }
}

/// Encodes an `ApplyError` (or an exec failure, step 255) into 6 bytes for the pipe.
fn encode(e: ApplyError) -> [u8; 6] {
    let step = match e.step {
        ApplyStep::DropBounding => 0u8,
        ApplyStep::Securebits => 1,
        ApplyStep::KeepCaps => 2,
        ApplyStep::SetThread => 3,
        ApplyStep::ClearAmbient => 4,
        ApplyStep::RaiseAmbient => 5,
    };
    let b = e.errno.to_ne_bytes();
    [b[0], b[1], b[2], b[3], step, e.cap.unwrap_or(u8::MAX)]
}

fn decode(buf: &[u8]) -> ApplyError {
    let step = match buf[4] {
        0 => ApplyStep::DropBounding,
        1 => ApplyStep::Securebits,
        2 => ApplyStep::KeepCaps,
        3 => ApplyStep::SetThread,
        4 => ApplyStep::ClearAmbient,
        _ => ApplyStep::RaiseAmbient,
    };
    ApplyError {
        errno: i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]),
        step,
        cap: (buf[5] != u8::MAX).then_some(buf[5]),
    }
}

/// Forks; the child runs `setup` and then execs `sleep 1000`. Returns the running workload, or
/// the child's failure record (the child has then exited).
fn spawn<F>(setup: F) -> Result<Workload, ApplyError>
where
    F: Fn() -> Result<(), ApplyError>,
{
    let prog = CString::new("/bin/sleep").unwrap();
    let arg = CString::new("1000").unwrap();
    let argv = [prog.as_ptr(), arg.as_ptr(), std::ptr::null()];
    let (rd, wr): (OwnedFd, OwnedFd) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let wr_raw = wr.as_raw_fd();
    // SAFETY: the child only calls the async-signal-safe `setup` (raw syscalls on prebuilt
    // data), write(2), execv(2) and _exit(2).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe {
            if let Err(e) = setup() {
                let msg = encode(e);
                libc::write(wr_raw, msg.as_ptr().cast(), msg.len());
                libc::_exit(1);
            }
            libc::execv(prog.as_ptr(), argv.as_ptr());
            let msg = encode(ApplyError {
                errno: *libc::__errno_location(),
                step: ApplyStep::RaiseAmbient,
                cap: Some(254),
            });
            libc::write(wr_raw, msg.as_ptr().cast(), msg.len());
            libc::_exit(127);
        }
    }
    drop(wr);
    let workload = Workload { pid };
    let mut buf = [0u8; 6];
    let n = rustix::io::read(&rd, &mut buf).unwrap();
    if n == 0 {
        // EOF: execve succeeded (the CLOEXEC write end closed).
        Ok(workload)
    } else {
        assert_eq!(n, 6);
        let e = decode(&buf);
        assert_ne!(e.cap, Some(254), "execv failed: errno {}", e.errno);
        Err(e)
    }
}

fn setres(uid: u32, gid: u32) -> Result<(), ApplyError> {
    // SAFETY: raw syscalls (not the glibc wrappers that broadcast to threads).
    unsafe {
        if libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) != 0
            || libc::syscall(libc::SYS_setresgid, gid, gid, gid) != 0
            || libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0
        {
            return Err(ApplyError {
                errno: *libc::__errno_location(),
                step: ApplyStep::KeepCaps,
                cap: Some(253),
            });
        }
    }
    Ok(())
}

#[test]
fn cap_04_read_self_thread_and_current() {
    let me = std::process::id() as i32;
    let state = caps::read(me).unwrap();
    assert_read_matches_proc(me, &state);
    let pidfd = linx::pidfd::Pidfd::open(me).unwrap();
    assert_eq!(caps::read(&pidfd).unwrap(), state);
    // A thread: read by tid, by CurrentThread and by capget agree.
    std::thread::spawn(move || {
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        let by_tid = caps::read(Task::Thread { pid: me, tid }).unwrap();
        let by_self = caps::read(Task::CurrentThread).unwrap();
        let by_capget = caps::current().unwrap();
        assert_eq!(by_tid, by_self);
        assert_eq!(by_self, by_capget);
    })
    .join()
    .unwrap();
}

#[test]
fn cap_05_bounding_drop() {
    if !require_root() {
        return;
    }
    let before = caps::current().unwrap();
    let plan = CapPlan::new().bounding(before.bounding - CapSet::from(Cap::SysAdmin));
    plan.validate_for(&before).unwrap();
    let w = spawn(|| plan.apply()).unwrap();
    let after = caps::read(w.pid).unwrap();
    assert!(!after.bounding.contains(Cap::SysAdmin));
    assert_eq!(
        after.bounding,
        before.bounding - CapSet::from(Cap::SysAdmin)
    );
    // A root workload: E = P = bounding after exec.
    assert_eq!(after, plan.predict_exec(&before, true, true));
    assert_read_matches_proc(w.pid, &after);
}

#[test]
fn cap_06_keep_set_root_workload() {
    if !require_root() {
        return;
    }
    let before = caps::current().unwrap();
    let k = set("net_bind_service,chown");
    let plan = CapPlan::keep_only(k);
    plan.validate_for(&before).unwrap();
    let w = spawn(|| plan.apply()).unwrap();
    let after = caps::read(w.pid).unwrap();
    assert_eq!(after.effective, k);
    assert_eq!(after.permitted, k);
    assert_eq!(after.bounding, k);
    assert_eq!(after.inheritable, CapSet::EMPTY);
    assert_eq!(after, plan.predict_exec(&before, true, true));
    assert_read_matches_proc(w.pid, &after);
    if linx_testkit::require_tool("getpcaps") {
        let out = std::process::Command::new("getpcaps")
            .arg(w.pid.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.trim(), format!("{}: {k}=ep", w.pid));
    }
}

#[test]
fn cap_07_ambient_non_root_workload() {
    if !require_root() {
        return;
    }
    let before = caps::current().unwrap();
    let k = set("net_bind_service,chown");
    let plan = CapPlan::new()
        .keep_caps(true)
        .thread(ThreadSets {
            effective: k,
            permitted: k,
            inheritable: k,
        })
        .ambient(k);
    plan.validate_for(&before).unwrap();
    let w = spawn(|| {
        plan.apply_before_credentials()?;
        setres(1000, 1000)?;
        plan.apply_after_credentials()
    })
    .unwrap();
    let after = caps::read(w.pid).unwrap();
    assert_eq!(after.effective, k);
    assert_eq!(after.permitted, k);
    assert_eq!(after.ambient, k);
    assert_eq!(after, plan.predict_exec(&before, false, false));
    assert_read_matches_proc(w.pid, &after);
    let ids = std::fs::read_to_string(format!("/proc/{}/status", w.pid)).unwrap();
    assert!(
        ids.lines().any(|l| l == "Uid:\t1000\t1000\t1000\t1000"),
        "{ids}"
    );
}

#[test]
fn cap_08_refusals() {
    if !require_root() {
        return;
    }
    let before = caps::current().unwrap();
    let k = set("net_bind_service,chown");
    // Ambient outside P ∩ I: an input error before anything reaches a child.
    let bad = CapPlan::new().thread(ThreadSets::same(k)).ambient(k);
    assert!(bad.validate_for(&before).unwrap_err().is_input());
    // A raw capset that adds to permitted: the child reports step SetThread with EPERM and
    // never execs.
    let lower = CapPlan::new().thread(ThreadSets::same(k));
    let raise = CapPlan::new().thread(ThreadSets::same(k | CapSet::from(Cap::SysAdmin)));
    assert!(
        raise
            .validate_for(&lower.after_apply(&before))
            .unwrap_err()
            .is_input()
    );
    let e = spawn(|| {
        lower.apply()?;
        raise.apply()
    })
    .err()
    .expect("the child must fail");
    assert_eq!(e.step, ApplyStep::SetThread);
    assert_eq!(e.errno, libc::EPERM);
    // Raising ambient that is not permitted: step RaiseAmbient names the capability.
    let e = spawn(|| {
        CapPlan::new().thread(ThreadSets::same(k)).apply()?;
        // Bypass validation on purpose: raw ambient raise of cap_sys_admin.
        CapPlan::new().ambient(CapSet::from(Cap::SysAdmin)).apply()
    })
    .err()
    .expect("the child must fail");
    assert_eq!(e.step, ApplyStep::RaiseAmbient);
    assert_eq!(e.cap, Some(Cap::SysAdmin.number()));
    assert_eq!(e.errno, libc::EPERM);
}

#[test]
fn cap_09_securebits_noroot() {
    if !require_root() {
        return;
    }
    let before = caps::current().unwrap();
    let plan = CapPlan::new().securebits(Securebits::NOROOT | Securebits::NOROOT_LOCKED);
    plan.validate_for(&before).unwrap();
    let w = spawn(|| plan.apply()).unwrap();
    let after = caps::read(w.pid).unwrap();
    assert!(after.effective.is_empty(), "{after}");
    assert!(after.permitted.is_empty(), "{after}");
    assert_eq!(after, plan.predict_exec(&before, true, true));
    assert_read_matches_proc(w.pid, &after);
}

#[test]
fn cap_11_current_thread_only() {
    if !require_root() {
        return;
    }
    let main_before = caps::read(Task::CurrentThread).unwrap();
    let h = std::thread::spawn(|| {
        let before = caps::current().unwrap();
        let drop = CapSet::from(Cap::NetRaw);
        CapPlan::drop_from(&before, drop).apply_current().unwrap();
        let after = caps::current().unwrap();
        assert!(!after.bounding.contains(Cap::NetRaw));
        assert!(!after.effective.contains(Cap::NetRaw));
        assert_eq!(caps::read(Task::CurrentThread).unwrap(), after);
        assert_eq!(
            Securebits::current().unwrap(),
            Securebits::empty(),
            "securebits untouched"
        );
        // Input errors change nothing.
        let e = CapPlan::new()
            .thread(ThreadSets::same(after.permitted | drop))
            .apply_current()
            .unwrap_err();
        assert!(e.is_input(), "{e}");
        assert_eq!(caps::current().unwrap(), after);
    });
    h.join().unwrap();
    // Other threads keep their sets.
    assert_eq!(caps::read(Task::CurrentThread).unwrap(), main_before);
}

#[test]
fn cap_12_file_caps_against_getcap() {
    if !require_root() || !linx_testkit::require_tool("getcap") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prog");
    std::fs::write(&path, b"#!/bin/sh\n").unwrap();
    assert_eq!(caps::read_file_caps(&path).unwrap(), None);
    let fc = FileCaps {
        permitted: set("net_raw,net_bind_service"),
        inheritable: CapSet::EMPTY,
        effective: true,
        root_uid: None,
    };
    caps::write_file_caps(&path, &fc).unwrap();
    assert_eq!(caps::read_file_caps(&path).unwrap(), Some(fc));
    let out = std::process::Command::new("getcap")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim(),
        format!("{} cap_net_bind_service,cap_net_raw=ep", path.display())
    );
    // setcap writes, linx reads.
    let st = std::process::Command::new("setcap")
        .args(["cap_chown+i"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    let read = caps::read_file_caps(&path).unwrap().unwrap();
    assert_eq!(read.inheritable, set("chown"));
    assert!(read.permitted.is_empty() && !read.effective);
    caps::remove_file_caps(&path).unwrap();
    caps::remove_file_caps(&path).unwrap();
    assert_eq!(caps::read_file_caps(&path).unwrap(), None);
    let e = caps::read_file_caps(dir.path().join("missing")).unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
    assert!(e.to_string().contains("missing"), "{e}");
}
