//! Seccomp in the kernel tier: filters installed in forked children (a filter cannot be removed),
//! observed from the parent. Needs no root (no_new_privs), except `pidfd_getfd` for the listener,
//! which the tests run as root.

use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use linx::error::Errno;
use linx::seccomp::{
    self, Action, Arch, Cmp, Condition, Filter, InstallFlags, Mode, Notifier, Prepared, Response,
    bpf::SockFilter,
};

fn arch() -> Arch {
    Arch::native().unwrap()
}

fn nr(name: &str) -> libc::c_long {
    libc::c_long::from(arch().syscall_number(name).unwrap())
}

fn nr_u32(name: &str) -> u32 {
    arch().syscall_number(name).unwrap()
}

fn errno() -> i32 {
    // SAFETY: reads the thread's errno.
    unsafe { *libc::__errno_location() }
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: two ints for pipe2.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    (fds[0], fds[1])
}

fn write_i64(fd: RawFd, v: i64) {
    // SAFETY: writes 8 bytes from a local.
    unsafe { libc::write(fd, (&raw const v).cast(), 8) };
}

fn read_i64(fd: RawFd) -> Option<i64> {
    let mut v = 0i64;
    // SAFETY: reads 8 bytes into a local.
    let n = unsafe { libc::read(fd, (&raw mut v).cast(), 8) };
    (n == 8).then_some(v)
}

/// Forks; the child runs `f` (which must be async-signal-safe: raw syscalls only) and exits with
/// its return value. Returns the child's pid.
fn fork_child(f: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child only runs `f` (raw syscalls) and `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let code = f();
        // SAFETY: terminate the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Waits for `pid`: `Ok(exit code)` or `Err(signal)`.
fn wait(pid: libc::pid_t) -> Result<i32, i32> {
    let mut status = 0;
    // SAFETY: waits for our own child.
    let r = unsafe { libc::waitpid(pid, &raw mut status, 0) };
    assert_eq!(r, pid);
    if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(libc::WTERMSIG(status))
    }
}

/// Installs `p` in a fresh child, then runs `body` there; exit code 100 + errno on install
/// failure.
fn run_filtered(p: &Prepared, body: impl FnOnce() -> i32) -> Result<i32, i32> {
    wait(fork_child(|| match p.apply_in_child() {
        Ok(_) => body(),
        Err(e) => 100 + e,
    }))
}

fn prepared(f: &Filter) -> Prepared {
    f.prepare(InstallFlags::empty()).unwrap()
}

/// Scenario 5: compiled filters install (status 0); zero-length and single-zero-instruction
/// programs are refused by the kernel with EINVAL.
#[test]
fn sec_16_scenario_5_kernel_accepts_compiled_and_refuses_invalid() {
    let filters = [
        Filter::deny_list(arch(), ["mount", "umount2", "reboot"], Action::Errno(1)).unwrap(),
        Filter::allow_list(
            arch(),
            arch().syscalls().map(|(n, _)| n).collect::<Vec<_>>(),
        )
        .unwrap(),
        Filter::from_rules(
            arch(),
            Action::Allow,
            // Every number up to 400 errno'ed, except what the child needs to exit.
            (0..400u32).map(|nr| {
                let exits = [nr_u32("exit"), nr_u32("exit_group")];
                let a = if exits.contains(&nr) {
                    Action::Allow
                } else {
                    Action::Errno((nr % 300 + 1) as u16)
                };
                (a, nr, vec![])
            }),
        )
        .unwrap(),
    ];
    for f in &filters {
        assert_eq!(run_filtered(&prepared(f), || 0), Ok(0), "{f}");
    }
    let empty = Prepared::from_program_unchecked(vec![], InstallFlags::empty());
    assert_eq!(run_filtered(&empty, || 0), Ok(100 + libc::EINVAL));
    let zero = Prepared::from_program_unchecked(vec![SockFilter::default()], InstallFlags::empty());
    assert_eq!(run_filtered(&zero, || 0), Ok(100 + libc::EINVAL));
}

/// Scenario 6: deny-list without rules + /bin/true exits 0; denying nanosleep and
/// clock_nanosleep with EPERM makes `sleep 60` fail at once; with KillProcess it ends with SIGSYS.
#[test]
fn sec_16_scenario_6_sleep_denied_and_killed() {
    let run = |f: &Filter, prog: &str, args: &[&str]| {
        let p = prepared(f);
        let mut cmd = Command::new(prog);
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: apply_in_child is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                p.apply_in_child()
                    .map(drop)
                    .map_err(std::io::Error::from_raw_os_error)
            });
        }
        let mut child = cmd.spawn().unwrap();
        // A guard, not a timing assertion: a filter that failed would leave `sleep 60` running.
        let start = Instant::now();
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("{prog} still running: the filter did not act");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let none = Filter::deny_list(arch(), Vec::<&str>::new(), Action::Errno(1)).unwrap();
    assert!(run(&none, "true", &[]).success());
    let deny = Filter::deny_list(
        arch(),
        ["nanosleep", "clock_nanosleep"],
        Action::errno(Errno::PERM),
    )
    .unwrap();
    let s = run(&deny, "sleep", &["60"]);
    assert_eq!(s.code(), Some(1), "{s:?}");
    let kill = Filter::deny_list(
        arch(),
        ["nanosleep", "clock_nanosleep"],
        Action::KillProcess,
    )
    .unwrap();
    let s = run(&kill, "sleep", &["60"]);
    assert_eq!(s.signal(), Some(libc::SIGSYS), "{s:?}");
}

/// A kill-process default kills with SIGSYS; allowed calls still run.
#[test]
fn sec_04_kill_process_default_is_sigsys() {
    let f = Filter::allow_list(arch(), ["exit_group", "exit", "write"]).unwrap();
    let getpid = nr("getpid");
    let p = prepared(&f);
    // SAFETY: raw syscalls in the child.
    assert_eq!(
        run_filtered(&p, || {
            unsafe { libc::syscall(getpid) };
            3
        }),
        Err(libc::SIGSYS)
    );
    assert_eq!(run_filtered(&p, || 7), Ok(7));
}

/// SEC-08: allow `personality` only for the query (arg0 == 0xffffffff, an `int`), EPERM otherwise;
/// and scenario 6's socket rule: AF_UNIX allowed, AF_INET answered with EAFNOSUPPORT.
#[test]
fn sec_08_scenario_6_argument_conditions() {
    let f = Filter::builder(arch())
        .default_action(Action::Allow)
        .allow_if("personality", [Condition::u32(0, Cmp::Eq(0xffff_ffff))])
        .deny("personality", Errno::PERM)
        .allow_if("socket", [Condition::u32(0, Cmp::Eq(libc::AF_UNIX as u64))])
        .deny("socket", Errno::AFNOSUPPORT)
        .build()
        .unwrap();
    let (personality, socket) = (nr("personality"), nr("socket"));
    let p = prepared(&f);
    // SAFETY (all closures): raw syscalls in the child.
    let query = run_filtered(&p, || unsafe {
        i32::from(libc::syscall(personality, 0xffff_ffffu64) < 0)
    });
    assert_eq!(query, Ok(0));
    let set = run_filtered(&p, || unsafe {
        if libc::syscall(personality, 0u64) == -1 {
            errno()
        } else {
            0
        }
    });
    assert_eq!(set, Ok(libc::EPERM));
    // The upper half of an int argument is ignored by a U32 condition.
    let high = run_filtered(&p, || unsafe {
        i32::from(libc::syscall(personality, 0xdead_0000_ffff_ffffu64) < 0)
    });
    assert_eq!(high, Ok(0));
    let unix = run_filtered(&p, || unsafe {
        if libc::syscall(socket, libc::AF_UNIX, libc::SOCK_STREAM, 0) >= 0 {
            0
        } else {
            errno()
        }
    });
    assert_eq!(unix, Ok(0));
    let inet = run_filtered(&p, || unsafe {
        if libc::syscall(socket, libc::AF_INET, libc::SOCK_STREAM, 0) >= 0 {
            0
        } else {
            errno()
        }
    });
    assert_eq!(inet, Ok(libc::EAFNOSUPPORT));
}

/// The parameter count of every syscall trace event of the running kernel: tracefs
/// `events/syscalls/sys_enter_<entry point>/format`, read from a tracefs instance mounted in the
/// private mount namespace of a short-lived thread (the host's mounts are untouched). `Err` says
/// why the metadata cannot be read.
fn kernel_syscall_param_counts() -> Result<Vec<(String, u8)>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let target = CString::new(dir.path().to_str().unwrap()).unwrap();
    let root = dir.path().to_owned();
    std::thread::spawn(move || -> Result<Vec<(String, u8)>, String> {
        // SAFETY: unshare and mount with valid NUL-terminated strings; only this thread's mount
        // namespace changes, and it disappears with the thread.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(format!("unshare(CLONE_NEWNS): errno {}", errno()));
            }
            let none = c"none";
            if libc::mount(
                none.as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return Err(format!("making / private: errno {}", errno()));
            }
            if libc::mount(
                c"tracefs".as_ptr(),
                target.as_ptr(),
                c"tracefs".as_ptr(),
                0,
                std::ptr::null(),
            ) != 0
            {
                return Err(format!("mount tracefs: errno {}", errno()));
            }
        }
        let events = root.join("events/syscalls");
        let entries = std::fs::read_dir(&events).map_err(|e| {
            format!(
                "{}: {e} (kernel without CONFIG_FTRACE_SYSCALLS?)",
                events.display()
            )
        })?;
        let mut counts = Vec::new();
        for entry in entries.flatten() {
            let dir_name = entry.file_name().to_string_lossy().into_owned();
            let Some(call) = dir_name.strip_prefix("sys_enter_") else {
                continue;
            };
            let Ok(format) = std::fs::read_to_string(entry.path().join("format")) else {
                continue;
            };
            // `field:<type> <name>;` lines: the common header (`common_*`), the syscall number
            // (`__syscall_nr`) and any derived fields (`__*`) are not parameters.
            let params = format
                .lines()
                .filter_map(|l| l.trim().strip_prefix("field:"))
                .filter_map(|f| f.split(';').next())
                .filter_map(|decl| decl.split_whitespace().last())
                .map(|name| name.trim_start_matches('*'))
                .filter(|name| !name.starts_with("common_") && !name.starts_with("__"))
                .count();
            counts.push((call.to_owned(), u8::try_from(params).unwrap()));
        }
        Ok(counts)
    })
    .join()
    .unwrap()
}

/// SEC-08: the tables' argument counts equal the parameter counts the running kernel records for
/// the entry points of this architecture's syscalls (its syscall trace metadata). Calls the
/// kernel was built without have no metadata and are not compared.
#[test]
fn sec_08_arg_counts_match_the_running_kernel() {
    if !linx_testkit::require_root() {
        return; // mounting tracefs
    }
    let kernel = match kernel_syscall_param_counts() {
        Ok(k) => k,
        Err(why) => {
            linx_testkit::skip(&format!("no syscall trace metadata: {why}"));
            return;
        }
    };
    let a = arch();
    // Table names whose entry point is named differently.
    let entry_point = |name: &'static str| -> &'static str {
        match (a, name) {
            (_, "stat") => "newstat",
            (_, "lstat") => "newlstat",
            (_, "fstat") => "newfstat",
            (_, "uname") => "newuname",
            (_, "umount2") => "umount",
            (_, "sendfile") => "sendfile64",
            (Arch::Aarch64, "fadvise64") => "fadvise64_64",
            (Arch::Aarch64, "personality") => "arm64_personality",
            _ => name,
        }
    };
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (name, nr) in a.syscalls() {
        let Some(ours) = a.syscall_arg_count(nr) else {
            continue;
        };
        let ep = entry_point(name);
        let Some(&(_, theirs)) = kernel.iter().find(|(k, _)| k == ep) else {
            continue;
        };
        compared += 1;
        if ours != theirs {
            mismatches.push(format!("{name} ({ep}): table {ours}, kernel {theirs}"));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert!(
        compared >= 250,
        "only {compared} syscalls had trace metadata"
    );
}

/// SEC-01, scenario 10: `/proc/<pid>/status` shows `Seccomp: 2` and the number of filters.
#[test]
fn sec_01_scenario_10_proc_status_shows_filters() {
    let a = prepared(&Filter::deny_list(arch(), ["mount"], Action::Errno(1)).unwrap());
    let b = prepared(&Filter::deny_list(arch(), ["reboot"], Action::Errno(1)).unwrap());
    let (r, w) = pipe();
    let (r2, w2) = pipe();
    let pid = fork_child(|| {
        if a.apply_in_child().is_err() || b.apply_in_child().is_err() {
            return 1;
        }
        write_i64(w2, 1);
        // Wait until the parent has looked.
        i32::from(read_i64(r).is_none())
    });
    // SAFETY: closing our copies of the child's ends.
    unsafe { libc::close(w2) };
    assert_eq!(read_i64(r2), Some(1));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
    assert!(status.contains("\nSeccomp_filters:\t2\n"), "{status}");
    assert_eq!(
        seccomp::mode(Some(pid)).unwrap(),
        Mode::Filter { filters: Some(2) }
    );
    write_i64(w, 0);
    assert_eq!(wait(pid), Ok(0));
    // SAFETY: our fds.
    unsafe {
        libc::close(r);
        libc::close(w);
        libc::close(r2);
    }
}

fn read_c_string(pid: libc::pid_t, addr: u64) -> String {
    use std::os::unix::fs::FileExt;
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut buf = [0u8; 256];
    let n = mem.read_at(&mut buf, addr).unwrap();
    let end = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// SEC-19, scenario 9: a filter notifying on `mkdirat`; the supervisor answers EPERM for one path
/// and Continue for another; after the notifier is dropped, notified calls fail with ENOSYS.
#[test]
fn sec_19_scenario_9_user_notification() {
    if !linx_testkit::require_root() {
        return; // pidfd_getfd needs PTRACE_MODE_ATTACH on the child
    }
    let dir = tempfile::tempdir().unwrap();
    let denied = CString::new(dir.path().join("denied").to_str().unwrap()).unwrap();
    let allowed = CString::new(dir.path().join("allowed").to_str().unwrap()).unwrap();
    let after = CString::new(dir.path().join("after").to_str().unwrap()).unwrap();
    let f = Filter::builder(arch())
        .default_action(Action::Allow)
        .action("mkdirat", Action::UserNotif)
        .build()
        .unwrap();
    let p = f.prepare(InstallFlags::NEW_LISTENER).unwrap();
    let mkdirat = nr("mkdirat");
    let (to_parent_r, to_parent_w) = pipe();
    let (to_child_r, to_child_w) = pipe();
    let pid = fork_child(|| {
        let fd = match p.apply_in_child() {
            Ok(Some(fd)) => fd,
            _ => return 1,
        };
        write_i64(to_parent_w, i64::from(fd));
        let mk = |path: &CString| unsafe {
            // SAFETY: raw mkdirat with a NUL-terminated path built before fork.
            if libc::syscall(mkdirat, libc::AT_FDCWD, path.as_ptr(), 0o755) == 0 {
                0
            } else {
                errno()
            }
        };
        write_i64(to_parent_w, i64::from(mk(&denied)));
        write_i64(to_parent_w, i64::from(mk(&allowed)));
        // Wait until the supervisor dropped the listener (and the inherited copy is closed).
        // SAFETY: closing our copy of the listener.
        unsafe { libc::close(fd) };
        if read_i64(to_child_r).is_none() {
            return 2;
        }
        write_i64(to_parent_w, i64::from(mk(&after)));
        0
    });
    // SAFETY: closing the parent's copies of the child's ends.
    unsafe {
        libc::close(to_parent_w);
        libc::close(to_child_r);
    }
    let child_fd = read_i64(to_parent_r).expect("listener fd") as i32;
    let pidfd = linx::pidfd::Pidfd::open(pid).unwrap();
    // SAFETY: pidfd_getfd with a valid pidfd.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_pidfd_getfd,
            std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(&pidfd)),
            child_fd,
            0,
        )
    };
    assert!(fd >= 0, "pidfd_getfd: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd we own.
    let notifier = Notifier::from(unsafe { OwnedFd::from_raw_fd(fd as RawFd) });
    for _ in 0..2 {
        assert!(
            notifier.wait(Some(Duration::from_secs(30))).unwrap(),
            "no notification"
        );
        let n = notifier.recv().unwrap();
        assert_eq!(n.syscall_name(), Some("mkdirat"));
        assert_eq!(n.pid, pid as u32);
        let path = read_c_string(pid, n.data.args[1]);
        assert!(notifier.id_valid(n.id).unwrap());
        let resp = if path.ends_with("/denied") {
            Response::Errno(libc::EPERM)
        } else {
            Response::Continue
        };
        notifier.respond(n.id, resp).unwrap();
        assert!(!notifier.id_valid(n.id).unwrap());
    }
    assert_eq!(read_i64(to_parent_r), Some(i64::from(libc::EPERM)));
    assert_eq!(read_i64(to_parent_r), Some(0));
    assert!(dir.path().join("allowed").is_dir());
    assert!(!dir.path().join("denied").exists());
    drop(notifier);
    write_i64(to_child_w, 1);
    assert_eq!(read_i64(to_parent_r), Some(i64::from(libc::ENOSYS)));
    assert_eq!(wait(pid), Ok(0));
    // SAFETY: our fds.
    unsafe {
        libc::close(to_parent_r);
        libc::close(to_child_w);
    }
}

const TSYNC_HELPER_ENV: &str = "LINX_SECCOMP_TSYNC_HELPER";

/// SEC-17: `install_all_threads` (TSYNC) reaches a thread that already exists. Runs in a separate
/// process (this test binary re-executed), since a filter cannot be removed.
#[test]
fn sec_17_tsync_on_a_multithreaded_child() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sec_17_tsync_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(TSYNC_HELPER_ENV, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("TSYNC-OK"), "{text}");
}

/// The child side of `sec_17_tsync_on_a_multithreaded_child` (does nothing when run directly).
#[test]
fn sec_17_tsync_helper() {
    if std::env::var_os(TSYNC_HELPER_ENV).is_none() {
        return;
    }
    let getppid = nr("getppid");
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        // SAFETY: raw getppid.
        let r = unsafe { libc::syscall(getppid) };
        (r, errno())
    });
    let f = Filter::deny_list(arch(), ["getppid"], Action::Errno(1)).unwrap();
    assert!(
        seccomp::install_all_threads(&f, InstallFlags::empty())
            .unwrap()
            .is_none()
    );
    go_tx.send(()).unwrap();
    assert_eq!(other.join().unwrap(), (-1, libc::EPERM));
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let status = std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
        assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
    }
    println!("TSYNC-OK");
}

/// SEC-18: flags and actions are probed; WAIT_KILLABLE_RECV needs NEW_LISTENER.
#[test]
fn sec_18_flags_and_actions_probed() {
    for flag in [
        InstallFlags::TSYNC,
        InstallFlags::LOG,
        InstallFlags::SPEC_ALLOW,
        InstallFlags::NEW_LISTENER,
    ] {
        assert!(seccomp::flags_supported(flag), "{flag:?}");
    }
    assert!(!seccomp::flags_supported(InstallFlags::from_bits_retain(
        1 << 20
    )));
    let avail = seccomp::actions_available();
    for (a, name) in [
        (Action::KillProcess, "kill_process"),
        (Action::Log, "log"),
        (Action::UserNotif, "user_notif"),
        (Action::Allow, "allow"),
    ] {
        assert_eq!(
            seccomp::action_available(a),
            avail.iter().any(|n| n == name),
            "{name}"
        );
    }
    let f = Filter::deny_list(arch(), ["mount"], Action::Errno(1)).unwrap();
    assert!(
        f.prepare(InstallFlags::WAIT_KILLABLE_RECV)
            .unwrap_err()
            .is_input()
    );
    let p = f
        .prepare(InstallFlags::TSYNC | InstallFlags::NEW_LISTENER)
        .unwrap();
    assert!(p.flags().contains(InstallFlags::TSYNC_ESRCH));
    // The lead's PROC-24 check: the verdict for execve.
    assert_eq!(
        p.verdict_for(arch().audit_arch(), nr("execve") as i32, [0; 6]),
        Action::Allow
    );
}

/// SEC-16: without no_new_privs and without CAP_SYS_ADMIN the kernel refuses (EACCES); the error
/// names the operation.
#[test]
fn sec_16_install_errors_are_typed() {
    let bad = Prepared::from_program_unchecked(vec![SockFilter::default()], InstallFlags::empty());
    let (r, w) = pipe();
    let pid = fork_child(|| {
        let code = match bad.install_current_thread() {
            Err(e) if e.errno() == Some(Errno::INVAL) => 0,
            _ => 1,
        };
        write_i64(w, 0);
        code
    });
    let _ = read_i64(r);
    assert_eq!(wait(pid), Ok(0));
    let e = linx::Error::from(
        linx::error::OsError::new(
            linx::error::Subsystem::Seccomp,
            linx::error::Operation::Syscall("seccomp(SECCOMP_SET_MODE_FILTER)"),
            Errno::INVAL,
        )
        .object("1 instructions, flags InstallFlags(0x0)"),
    );
    assert!(
        e.to_string()
            .starts_with("seccomp: seccomp(SECCOMP_SET_MODE_FILTER) 1 instructions"),
        "{e}"
    );
    // SAFETY: our fds.
    unsafe {
        libc::close(r);
        libc::close(w);
    }
}

/// SEC-19 through the checkpoint: a filter with a `UserNotif` rule queued on a parked child with
/// `NEW_LISTENER`; the listener arrives with the running handle; the supervisor answers every
/// `openat` with Continue except the one for a path that does not exist, into which it injects
/// its own file with `add_fd` (`send`: the injected fd number is the call's result). `cat` of the
/// missing path prints the supervisor's file.
#[test]
fn sec_19_listener_from_the_checkpoint_and_add_fd() {
    use linx::process::{Command as LinxCommand, Stdio as LinxStdio};
    use linx::seccomp::AddFd;
    use std::io::Read;
    use std::os::fd::AsFd;
    if !linx_testkit::require_root() {
        return; // reading the child's memory needs PTRACE_MODE_ATTACH
    }
    let dir = tempfile::tempdir().unwrap();
    let injected = dir.path().join("injected");
    std::fs::write(&injected, "hello from the supervisor\n").unwrap();
    let magic = "/nonexistent/linx-sec19-magic";
    let f = Filter::builder(arch())
        .default_action(Action::Allow)
        .action("openat", Action::UserNotif)
        .build()
        .unwrap();
    let mut c = LinxCommand::new("/bin/cat");
    c.arg(magic).no_new_privs(true).stdout(LinxStdio::Pipe);
    let mut parked = c.spawn().unwrap();
    parked
        .seccomp(&f, InstallFlags::NEW_LISTENER, false)
        .unwrap();
    let mut running = parked.proceed().unwrap();
    let mut listeners = running.take_seccomp_listeners();
    assert_eq!(listeners.len(), 1);
    let notifier = Notifier::from(listeners.remove(0));
    let mut out = running.take_stdout().unwrap();
    let file = std::fs::File::open(&injected).unwrap();
    let mut injected_count = 0;
    let deadline = Instant::now() + Duration::from_secs(60); // hang guard only
    while running.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "cat never finished");
        if !notifier.wait(Some(Duration::from_millis(100))).unwrap() {
            continue;
        }
        let Ok(n) = notifier.recv() else { continue };
        assert_eq!(n.syscall_name(), Some("openat"));
        let path = read_c_string(n.pid as libc::pid_t, n.data.args[1]);
        if path == magic {
            let fd = notifier
                .add_fd(
                    n.id,
                    file.as_fd(),
                    AddFd {
                        send: true,
                        ..AddFd::default()
                    },
                )
                .unwrap();
            assert!(fd >= 0, "{fd}");
            injected_count += 1;
        } else {
            // The call may have been abandoned meanwhile (ENOENT): nothing to answer then.
            let _ = notifier.respond(n.id, Response::Continue);
        }
    }
    let mut text = String::new();
    out.read_to_string(&mut text).unwrap();
    assert_eq!(injected_count, 1);
    assert_eq!(text, "hello from the supervisor\n");
    assert!(running.wait().unwrap().success());
}
