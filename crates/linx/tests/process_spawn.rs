//! Process spawning and the checkpoint against the real kernel (spec process.md section 5).

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use linx::Error;
use linx::caps::{CapPlan, CapSet, ThreadSets};
use linx::error::{Operation, StateKind};
use linx::ns::NsSet;
use linx::process::{Command, DropPolicy, ExitStatus, Signal, Stage, Stdio, TimeOffsets, WinSize};
use linx_testkit::require_root;

fn sh(script: &str) -> Command {
    let mut c = Command::new("/bin/sh");
    c.args(["-c", script]);
    c
}

fn stage_of(e: &Error) -> Option<Stage> {
    match e {
        Error::Os(os) => match os.operation {
            Operation::Stage(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn proc_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn proc_01_exit_codes_propagate() {
    for (cmd, code) in [
        (Command::new("/bin/true"), 0),
        (Command::new("/bin/false"), 1),
        (sh("exit 42"), 42),
    ] {
        let parked = cmd.spawn().expect("spawn");
        assert!(parked.pid() > 0);
        let running = parked.proceed().expect("proceed");
        assert_eq!(running.wait().unwrap(), ExitStatus::Exited(code));
    }
}

#[test]
fn proc_25_missing_program_fails_at_execve() {
    let e = Command::new("/this/does/not/exist").start().unwrap_err();
    assert_eq!(stage_of(&e), Some(Stage::Execve), "{e}");
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
    assert!(
        e.to_string()
            .starts_with("process: execve /this/does/not/exist"),
        "{e}"
    );
    assert!(e.to_string().contains("ENOENT (errno 2)"), "{e}");
    // A non-executable file.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("not-exec");
    std::fs::write(&f, "#!/bin/sh\n").unwrap();
    let e = Command::new(&f).start().unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::ACCESS), "{e}");
}

#[test]
fn proc_01_bad_input_is_refused_before_clone() {
    assert!(Command::new("bin/true").spawn().unwrap_err().is_input());
    assert!(Command::new("").spawn().unwrap_err().is_input());
    let mut c = Command::new("/bin/true");
    c.arg("a\0b");
    let e = c.spawn().unwrap_err();
    assert!(e.is_input() && e.to_string().contains("argument 1"), "{e}");
    let mut c = Command::new("/bin/true");
    c.env("A=B", "x");
    assert!(c.spawn().unwrap_err().is_input());
    let mut c = Command::new("/bin/true");
    c.env("K", "v\0");
    assert!(c.spawn().unwrap_err().is_input());
    let mut c = Command::new("/bin/true");
    c.stdout(Stdio::ConnectUnix(std::path::PathBuf::from(format!(
        "/tmp/{}",
        "x".repeat(120)
    ))));
    assert!(c.spawn().unwrap_err().is_input());
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut c = Command::new("/bin/true");
    c.fd(1, a.into());
    assert!(c.spawn().unwrap_err().is_input());
    assert!(Command::resolve("sh", None).unwrap().is_absolute());
    assert!(
        Command::resolve("linx-no-such-program", None)
            .unwrap_err()
            .is_input()
    );
}

#[test]
fn proc_29_signals_kill_and_queue() {
    let running = Command::new("/bin/sleep").arg("60").start().unwrap();
    running.signal(Signal::TERM).unwrap();
    assert_eq!(
        running.wait().unwrap(),
        ExitStatus::Signaled {
            signal: Signal::TERM,
            core_dumped: false
        }
    );
    assert!(matches!(
        running.signal(Signal::TERM).unwrap_err(),
        Error::State(s) if s.kind == StateKind::NoProcess
    ));
    // Queued while parked: delivered right after exec.
    let mut parked = Command::new("/bin/sleep").arg("60").spawn().unwrap();
    parked.queue_signal(Signal::TERM);
    let running = parked.proceed().unwrap();
    assert_eq!(running.wait().unwrap().signal(), Some(Signal::TERM));
}

#[test]
fn proc_35_wait_variants_and_concurrent_waiters() {
    let r = sh("sleep 0.1; exit 7").start().unwrap();
    assert_eq!(
        r.wait_timeout(Duration::from_secs(20)).unwrap(),
        Some(ExitStatus::Exited(7))
    );
    assert_eq!(r.try_wait().unwrap(), Some(ExitStatus::Exited(7)));
    assert_eq!(r.wait().unwrap(), ExitStatus::Exited(7));

    let r = Command::new("/bin/sleep").arg("60").start().unwrap();
    assert_eq!(r.wait_timeout(Duration::from_millis(100)).unwrap(), None);
    assert_eq!(r.try_wait().unwrap(), None);
    assert!(
        proc_exists(r.pid()),
        "a timed-out wait must leave the child alone"
    );

    let r = sh("sleep 0.2; exit 3").start().unwrap();
    let statuses: Vec<ExitStatus> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| r.wait().unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|s| *s == ExitStatus::Exited(3)),
        "{statuses:?}"
    );
}

#[test]
fn proc_20_pid_without_namespace_and_after_exit() {
    let parked = Command::new("/bin/true").spawn().unwrap();
    assert_eq!(parked.ns_pid(), parked.pid());
    let r = parked.proceed().unwrap();
    r.wait().unwrap();
    assert!(r.pid() > 0 && r.ns_pid() == r.pid());
}

#[test]
fn proc_26_abort_never_runs_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let parked = sh(&format!("touch {}", marker.display())).spawn().unwrap();
    let pid = parked.pid();
    parked.abort().unwrap();
    assert!(!marker.exists());
    assert!(!proc_exists(pid), "aborted child must be reaped");
    // Dropping a parked child behaves the same.
    let parked = sh(&format!("touch {}", marker.display())).spawn().unwrap();
    let pid = parked.pid();
    drop(parked);
    assert!(!marker.exists());
    assert!(!proc_exists(pid));
}

#[test]
fn proc_09_stdio_null_pipe_and_unix_socket() {
    let mut c = Command::new("/bin/echo");
    c.arg("hi").stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(out, "hi\n");
    assert!(r.wait().unwrap().success());

    // Null: the child's output goes nowhere, a pipe on stderr stays empty.
    let mut c = sh("echo gone; echo gone >&2");
    c.stdout(Stdio::Null).stderr(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut err = String::new();
    r.take_stderr().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(err, "gone\n");

    // Stdin from a pipe.
    let mut c = Command::new("/bin/cat");
    c.stdin(Stdio::Pipe).stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    {
        let mut w = r.take_stdin().unwrap();
        w.write_all(b"through cat").unwrap();
    }
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(out, "through cat");

    // ConnectUnix: a listener receives the output, then EOF.
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let mut c = Command::new("/bin/echo");
    c.arg("greetings").stdout(Stdio::ConnectUnix(sock.clone()));
    let r = c.start().unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "greetings\n");
    r.wait().unwrap();
    // A missing socket fails before clone with stage ConnectUnix.
    let mut c = Command::new("/bin/echo");
    c.stdout(Stdio::ConnectUnix(dir.path().join("missing")));
    let e = c.spawn().unwrap_err();
    assert_eq!(stage_of(&e), Some(Stage::ConnectUnix), "{e}");
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
}

#[test]
fn proc_11_fd_hygiene() {
    // A descriptor of ours without close-on-exec must not reach the workload.
    let leaky = rustix::fs::open(
        "/dev/null",
        rustix::fs::OFlags::RDONLY,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let (placed, _keep) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut c = Command::new("/bin/ls");
    c.arg("/proc/self/fd")
        .stdout(Stdio::Pipe)
        .fd(7, placed.into());
    let mut r = c.start().unwrap();
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    r.wait().unwrap();
    let mut fds: Vec<i32> = out.split_whitespace().map(|s| s.parse().unwrap()).collect();
    fds.sort();
    // ls itself opens one descriptor for the directory it lists.
    let dir_fd = fds.iter().copied().find(|f| ![0, 1, 2, 7].contains(f));
    fds.retain(|f| Some(*f) != dir_fd);
    assert_eq!(fds, [0, 1, 2, 7], "workload fds: {out}");
    drop(leaky);
}

#[test]
fn proc_40_drop_policies_leave_no_zombies() {
    let r = Command::new("/bin/sleep").arg("60").start().unwrap();
    let pid = r.pid();
    drop(r);
    assert!(!proc_exists(pid), "Kill policy: killed and reaped on drop");

    let mut c = Command::new("/bin/sleep");
    c.arg("60").drop_policy(DropPolicy::Detach);
    let r = c.start().unwrap();
    let pid = r.pid();
    drop(r);
    assert!(proc_exists(pid), "Detach policy: keeps running");
    // SAFETY: kill(2) on a pid we spawned and know to be alive.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let mut gone = false;
    for _ in 0..100 {
        if !proc_exists(pid) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone, "the background reaper must reap a detached child");
}

#[test]
fn proc_07_no_new_privs() {
    let mut c = Command::new("/bin/grep");
    c.args(["NoNewPrivs", "/proc/self/status"])
        .no_new_privs(true)
        .stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(out.trim(), "NoNewPrivs:\t1");
}

#[test]
fn proc_30_pty_output_and_size() {
    let mut c = Command::new("/bin/echo");
    c.arg("hi").pty(None);
    let r = c.start().unwrap();
    let out = r.pty().unwrap().read_all().unwrap();
    r.wait().unwrap();
    assert!(String::from_utf8_lossy(&out).contains("hi\r\n"), "{out:?}");

    let mut c = sh("stty size");
    c.pty(None);
    let parked = c.spawn().unwrap();
    parked.set_pty_size(WinSize::new(42, 132)).unwrap();
    let r = parked.proceed().unwrap();
    let out = r.pty().unwrap().read_all().unwrap();
    r.wait().unwrap();
    assert_eq!(String::from_utf8_lossy(&out).trim(), "42 132");

    let parked = Command::new("/bin/true").spawn().unwrap();
    assert!(matches!(
        parked.set_pty_size(WinSize::new(1, 1)).unwrap_err(),
        Error::State(s) if s.kind == StateKind::NoPty
    ));
}

#[test]
fn proc_22_failed_checkpoint_command_poisons() {
    // Raising an ambient capability that is not permitted/inheritable fails with its stage.
    let mut parked = Command::new("/bin/true").spawn().unwrap();
    parked
        .caps(&CapPlan::new().thread(ThreadSets::same(CapSet::EMPTY)))
        .unwrap();
    let e = parked
        .caps(&CapPlan::new().ambient(CapSet::from_bits(1 << 10)))
        .unwrap_err();
    assert_eq!(stage_of(&e), Some(Stage::CapSetAmbient), "{e}");
    assert!(
        e.to_string().contains("capability cap_net_bind_service"),
        "{e}"
    );
    let e = parked.caps(&CapPlan::new()).unwrap_err();
    assert!(
        matches!(e, Error::State(ref s) if s.kind == StateKind::Poisoned),
        "{e}"
    );
    let e = parked.proceed().unwrap_err();
    assert!(
        matches!(e, Error::State(ref s) if s.kind == StateKind::Poisoned),
        "{e}"
    );
}

#[test]
fn proc_22_capabilities_applied_at_the_checkpoint() {
    if !require_root() {
        return;
    }
    let mut c = Command::new("/bin/grep");
    c.args(["^Cap", "/proc/self/status"]).stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    let bind = CapSet::from_bits(1 << 10); // cap_net_bind_service
    parked.caps(&CapPlan::new().bounding(bind)).unwrap();
    parked
        .caps(
            &CapPlan::new()
                .thread(ThreadSets {
                    effective: bind,
                    permitted: bind,
                    inheritable: bind,
                })
                .ambient(bind),
        )
        .unwrap();
    let mut r = parked.proceed().unwrap();
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    // After exec as root, the permitted/effective sets are recomputed from the bounding set.
    assert!(out.contains("CapBnd:\t0000000000000400"), "{out}");
    assert!(out.contains("CapAmb:\t0000000000000400"), "{out}");
    assert!(out.contains("CapEff:\t0000000000000400"), "{out}");
}

#[test]
fn proc_17_pid_namespace() {
    if !require_root() {
        return;
    }
    let mut c = sh("echo $$");
    c.namespaces(NsSet::PID).stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    assert_eq!(parked.ns_pid(), 1);
    assert!(parked.pid() > 1);
    assert!(proc_exists(parked.pid()));
    let mut out = parked.take_stdout().unwrap();
    let r = parked.proceed().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert_eq!(s.trim(), "1");
    r.wait().unwrap();
}

#[test]
fn proc_18_net_namespace_has_only_lo() {
    if !require_root() {
        return;
    }
    let mut c = Command::new("/bin/true");
    c.namespaces(NsSet::NET);
    let parked = c.spawn().unwrap();
    let mut rtnl = linx::rtnl::Rtnl::open(&parked.target().unwrap()).unwrap();
    let names: Vec<String> = rtnl.links().unwrap().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["lo"]);
    parked.proceed().unwrap().wait().unwrap();
}

#[test]
fn proc_02_uts_namespace_hostname_set_from_outside() {
    if !require_root() {
        return;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut c = Command::new("/bin/hostname");
    c.namespaces(NsSet::UTS).stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    parked
        .target()
        .unwrap()
        .run(NsSet::UTS, || {
            std::fs::write("/proc/sys/kernel/hostname", "box")
        })
        .unwrap()
        .unwrap();
    let mut out = parked.take_stdout().unwrap();
    parked.proceed().unwrap().wait().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert_eq!(s.trim(), "box");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host
    );
}

#[test]
fn proc_06_time_namespace_with_boottime_offset() {
    if !require_root() {
        return;
    }
    let mut c = Command::new("/bin/cat");
    c.arg("/proc/uptime")
        .time_offsets(TimeOffsets {
            monotonic: Duration::ZERO,
            boottime: Duration::from_secs(864_000),
        })
        .stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut out = String::new();
    r.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    let inside: f64 = out.split_whitespace().next().unwrap().parse().unwrap();
    let host: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(inside >= host + 863_000.0, "inside {inside}, host {host}");
}

#[test]
fn proc_02_all_namespaces_at_once() {
    if !require_root() {
        return;
    }
    let mut c = Command::new("/bin/true");
    c.namespaces(NsSet::all());
    let parked = c.spawn().unwrap();
    assert_eq!(parked.ns_pid(), 1);
    assert!(parked.proceed().unwrap().wait().unwrap().success());
}

#[test]
fn proc_05_spawn_into_cgroup() {
    if !require_root() {
        return;
    }
    let Ok(h) = linx::cgroup::hierarchy() else {
        linx_testkit::skip("no cgroup v2 hierarchy");
        return;
    };
    let dir = h
        .mount_point
        .join(format!("linx-proc05-{}", std::process::id()));
    std::fs::create_dir(&dir).unwrap();
    let fd = rustix::fs::open(
        &dir,
        rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let mut c = Command::new("/bin/cat");
    c.arg("/proc/self/cgroup")
        .cgroup_fd(fd)
        .namespaces(NsSet::CGROUP)
        .stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    let outside = std::fs::read_to_string(format!("/proc/{}/cgroup", parked.pid())).unwrap();
    let rel = format!("0::/linx-proc05-{}", std::process::id());
    assert!(outside.lines().any(|l| l.ends_with(&rel)), "{outside}");
    let mut out = parked.take_stdout().unwrap();
    parked.proceed().unwrap().wait().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert!(
        s.lines().any(|l| l == "0::/"),
        "cgroup namespace rooted at the cgroup: {s}"
    );
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn proc_24_seccomp_at_the_checkpoint_raw_program() {
    // A program that allows everything (RET ALLOW) installs before exec under no_new_privs.
    let allow: [u8; 8] = {
        let mut b = [0u8; 8];
        b[0..2].copy_from_slice(&0x06u16.to_ne_bytes()); // BPF_RET | BPF_K
        b[4..8].copy_from_slice(&0x7fff_0000u32.to_ne_bytes()); // SECCOMP_RET_ALLOW
        b
    };
    let mut c = Command::new("/bin/grep");
    c.args(["^Seccomp:", "/proc/self/status"])
        .no_new_privs(true)
        .stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    assert!(parked.seccomp_bpf(&allow, 0, false).unwrap().is_none());
    let mut r = parked.proceed().unwrap();
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert_eq!(s.trim(), "Seccomp:\t2");
    // Invalid programs are refused before anything is sent.
    let mut parked = Command::new("/bin/true").spawn().unwrap();
    assert!(parked.seccomp_bpf(&[], 0, false).unwrap_err().is_input());
    assert!(
        parked
            .seccomp_bpf(&[0u8; 7], 0, false)
            .unwrap_err()
            .is_input()
    );
    // Immediate mode: a filter that kills everything kills the child before exec.
    let kill: [u8; 8] = {
        let mut b = [0u8; 8];
        b[0..2].copy_from_slice(&0x06u16.to_ne_bytes());
        b[4..8].copy_from_slice(&0x8000_0000u32.to_ne_bytes()); // SECCOMP_RET_KILL_PROCESS
        b
    };
    let mut c = Command::new("/bin/true");
    c.no_new_privs(true);
    let mut parked = c.spawn().unwrap();
    let e = parked.seccomp_bpf(&kill, 0, true).unwrap_err();
    assert!(
        matches!(e, Error::State(ref s) if s.kind == StateKind::KilledBeforeExec(libc::SIGSYS)),
        "{e}"
    );
}

#[test]
fn proc_04_fork_safety_under_allocating_threads() {
    // Eight threads hammer the allocator and a lock while we spawn: no hang, no crash.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lock = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let stop = stop.clone();
            let lock = lock.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let v: Vec<u8> = vec![1; 4096];
                    let mut g = lock.lock().unwrap();
                    g.extend_from_slice(&v[..16]);
                    g.truncate(64);
                }
            })
        })
        .collect();
    let mut c = Command::new("/bin/true");
    c.spawn_timeout(Duration::from_secs(30));
    for _ in 0..2000 {
        let r = c.start().expect("spawn under load");
        assert!(r.wait().unwrap().success());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn proc_11_parent_fd_count_is_stable() {
    let count = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    // Warm up (the spawner thread, the reaper…).
    Command::new("/bin/true").start().unwrap().wait().unwrap();
    let before = count();
    let mut c = Command::new("/bin/true");
    c.stdout(Stdio::Pipe).stdin(Stdio::Null);
    for _ in 0..10_000 {
        let r = c.start().unwrap();
        r.wait().unwrap();
    }
    // Under nextest each test is its own process and the count is exact; under `cargo test`
    // other tests open descriptors concurrently, but a per-spawn leak would add 10,000.
    let after = count();
    assert!(
        after <= before + 16,
        "fd count grew from {before} to {after}"
    );
}

#[test]
fn proc_39_pidfd_is_pollable() {
    let r = Command::new("/bin/true").start().unwrap();
    let mut fds = [rustix::event::PollFd::new(&r, rustix::event::PollFlags::IN)];
    rustix::event::poll(&mut fds, None).unwrap();
    assert!(fds[0].revents().contains(rustix::event::PollFlags::IN));
    assert!(r.as_fd().try_clone_to_owned().is_ok());
    assert!(r.wait().unwrap().success());
}

/// Runs only inside a re-executed copy of this test binary (see `proc_08_orphan_policy`): spawns
/// `sleep 60` with the policy named by the environment, prints its pid, and waits to be killed.
#[test]
fn proc_08_helper_spawns_and_waits() {
    let Some(policy) = std::env::var_os("LINX_PROC08_HELPER") else {
        return; // only meaningful in the re-executed copy
    };
    let mut c = Command::new("/bin/sleep");
    c.arg("60").drop_policy(DropPolicy::Detach);
    if policy == "linger" {
        c.orphan_policy(linx::process::OrphanPolicy::Linger);
    }
    let r = c.start().unwrap();
    println!("SLEEP_PID={}", r.pid());
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

fn alive(pid: i32) -> bool {
    // A zombie has already died; only its parent (now init) still has to reap it.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            state != Some("Z")
        })
        .unwrap_or(false)
}

#[test]
fn proc_08_orphan_policy() {
    for (policy, survives) in [("kill", false), ("linger", true)] {
        let mut helper = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "proc_08_helper_spawns_and_waits", "--nocapture"])
            .env("LINX_PROC08_HELPER", policy)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(helper.stdout.take().unwrap());
        let mut pid = None;
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
            if let Some(p) = line.trim().strip_prefix("SLEEP_PID=") {
                pid = Some(p.parse::<i32>().unwrap());
                break;
            }
            line.clear();
        }
        let pid = pid.expect("the helper reported the sleep's pid");
        assert!(alive(pid));
        helper.kill().unwrap();
        helper.wait().unwrap();
        // Poll (no timing assertion): the kill policy's child dies soon after its owner.
        let mut dead = false;
        for _ in 0..200 {
            if !alive(pid) {
                dead = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        if survives {
            assert!(!dead, "{policy}: the child must outlive its owner");
            // SAFETY: kill(2) on the lingering sleep we caused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        } else {
            assert!(dead, "{policy}: the child must die with its owner");
        }
    }
}

#[test]
fn proc_14_rlimits_and_proc_12_credentials() {
    let mut c = sh("ulimit -n");
    c.rlimit(libc::RLIMIT_NOFILE, 77, 77).stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert_eq!(s.trim(), "77");
    if !require_root() {
        return;
    }
    let mut c = sh("id -u; id -g; id -G");
    c.uid(4242)
        .gid(4343)
        .groups(&[4444, 4545])
        .stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines, ["4242", "4343", "4343 4444 4545"], "{s}");
}

#[test]
fn proc_13_exec_from_an_fd() {
    let fd = rustix::fs::open(
        "/bin/echo",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let mut c = Command::new("echo");
    c.program_fd(fd).arg("from-fd").stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert_eq!(s, "from-fd\n");
}

#[test]
fn proc_15_signal_hygiene() {
    // The test process ignores SIGPIPE (Rust does) and has signals blocked in the spawner thread;
    // the workload starts with no ignored and no blocked signals.
    let mut c = Command::new("/bin/grep");
    c.args(["-E", "^Sig(Ign|Blk)", "/proc/self/status"])
        .stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert!(s.contains("SigBlk:\t0000000000000000"), "{s}");
    assert!(s.contains("SigIgn:\t0000000000000000"), "{s}");
}

#[test]
fn proc_43_parked_child_killed_from_outside() {
    let parked = Command::new("/bin/true").spawn().unwrap();
    // SAFETY: kill(2) on our own parked child.
    unsafe { libc::kill(parked.pid(), libc::SIGKILL) };
    let e = parked.proceed().unwrap_err();
    assert!(
        matches!(e, Error::State(ref s) if s.kind == StateKind::KilledBeforeExec(libc::SIGKILL)),
        "{e}"
    );
}

#[test]
fn proc_38_info_snapshots() {
    use linx::process::State;
    let parked = Command::new("/bin/true").spawn().unwrap();
    let info = parked.info();
    assert_eq!(info.state, State::Ready);
    assert_eq!(
        info.to_string(),
        format!("spawn/ready pid {}", parked.pid())
    );
    let r = parked.proceed().unwrap();
    r.wait().unwrap();
    assert_eq!(r.info().state, State::Exited(0));
    assert_eq!(
        r.info().to_string(),
        format!("spawn/exited(0) pid {}", r.pid())
    );
    let mut parked = Command::new("/bin/true").spawn().unwrap();
    let _ = parked.caps(&CapPlan::new().thread(ThreadSets::same(CapSet::EMPTY)));
    let _ = parked.caps(&CapPlan::new().ambient(CapSet::from_bits(1 << 10)));
    assert_eq!(
        parked.info().to_string(),
        format!("spawn/failed(cap-set-ambient: EPERM) pid {}", parked.pid())
    );
}

#[test]
fn proc_12_caps_at_exec_around_the_credential_switch() {
    if !require_root() {
        return;
    }
    // A non-root workload keeping one capability through ambient: keep-caps before setresuid,
    // thread sets and ambient after it.
    let bind = CapSet::from_bits(1 << 10);
    let mut c = Command::new("/bin/grep");
    c.args(["-E", "^(Uid|CapEff|CapAmb)", "/proc/self/status"])
        .uid(1000)
        .gid(1000)
        .groups(&[])
        .stdout(Stdio::Pipe);
    let mut parked = c.spawn().unwrap();
    parked
        .caps_at_exec(
            &CapPlan::new()
                .keep_caps(true)
                .thread(ThreadSets {
                    effective: bind,
                    permitted: bind,
                    inheritable: bind,
                })
                .ambient(bind),
        )
        .unwrap();
    let mut out = parked.take_stdout().unwrap();
    parked.proceed().unwrap().wait().unwrap();
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert!(s.contains("Uid:\t1000\t1000\t1000\t1000"), "{s}");
    assert!(s.contains("CapAmb:\t0000000000000400"), "{s}");
    assert!(s.contains("CapEff:\t0000000000000400"), "{s}");
}

#[test]
fn proc_24_compiled_filter_only_execve_runs_under_it_before_the_program() {
    use linx::seccomp::{Action, Arch, Filter, InstallFlags};
    let arch = Arch::native().unwrap();
    // Default EPERM; allowed: execve (added by the builder) plus what /bin/true needs after exec.
    let needs = [
        "brk",
        "arch_prctl",
        "mmap",
        "munmap",
        "mprotect",
        "access",
        "openat",
        "read",
        "pread64",
        "newfstatat",
        "fstat",
        "close",
        "set_tid_address",
        "set_robust_list",
        "rseq",
        "prlimit64",
        "getrandom",
        "exit_group",
    ];
    let filter = needs
        .iter()
        .filter(|n| arch.syscall_number(n).is_some())
        .fold(
            Filter::builder(arch).default_action(Action::errno(rustix::io::Errno::PERM)),
            |b, n| b.allow(*n),
        )
        .build()
        .unwrap();
    let mut c = Command::new("/bin/true");
    c.no_new_privs(true);
    let mut parked = c.spawn().unwrap();
    parked
        .seccomp(&filter, InstallFlags::empty(), false)
        .unwrap();
    // Everything before exec (dup3, close_range, chdir, sigaction…) would have failed with EPERM
    // had the filter been installed earlier.
    assert_eq!(
        parked.proceed().unwrap().wait().unwrap(),
        ExitStatus::Exited(0)
    );

    // A filter that kills execve is refused when queued.
    let kill_exec = Filter::builder(arch)
        .default_action(Action::Allow)
        .allow_exec(false)
        .action("execve", Action::KillProcess)
        .build()
        .unwrap();
    let mut parked = Command::new("/bin/true").spawn().unwrap();
    let e = parked
        .seccomp(&kill_exec, InstallFlags::empty(), false)
        .unwrap_err();
    assert!(e.is_input() && e.to_string().contains("execve"), "{e}");

    // Immediate mode: a filter that kills dup3 (used for stdio at proceed) kills the child before
    // its pre-exec marker.
    let kill_dup3 = Filter::builder(arch)
        .default_action(Action::Allow)
        .action("dup3", Action::KillProcess)
        .build()
        .unwrap();
    let mut c = Command::new("/bin/true");
    c.no_new_privs(true).stdout(Stdio::Null);
    let mut parked = c.spawn().unwrap();
    parked
        .seccomp_now(&kill_dup3, InstallFlags::empty())
        .unwrap();
    let e = parked.proceed().unwrap_err();
    assert!(
        matches!(e, Error::State(ref s) if s.kind == StateKind::KilledBeforeExec(libc::SIGSYS)),
        "{e}"
    );
}

/// Runs only in a re-executed copy (see `proc_03_clone_fallback`): refuses clone3 for the whole
/// process with the errno named by the environment, then spawns.
#[test]
fn proc_03_helper_spawns_without_clone3() {
    let Some(errno) = std::env::var_os("LINX_PROC03_ERRNO") else {
        return; // only meaningful in the re-executed copy
    };
    use linx::seccomp::{Action, Arch, Filter, InstallFlags};
    let errno = match errno.to_str() {
        Some("ENOSYS") => rustix::io::Errno::NOSYS,
        _ => rustix::io::Errno::PERM,
    };
    // Start linx's spawner thread first: glibc creates threads with clone3 too, and only falls
    // back to clone on ENOSYS.
    assert!(
        Command::new("/bin/true")
            .start()
            .unwrap()
            .wait()
            .unwrap()
            .success()
    );
    let filter =
        Filter::deny_list(Arch::native().unwrap(), ["clone3"], Action::errno(errno)).unwrap();
    linx::seccomp::install_all_threads(&filter, InstallFlags::empty()).unwrap();
    let mut c = sh("echo $$");
    c.stdout(Stdio::Pipe)
        .namespaces(if rustix::process::geteuid().is_root() {
            NsSet::UTS | NsSet::TIME
        } else {
            NsSet::empty()
        });
    let mut r = c.start().expect("spawn through the legacy clone fallback");
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert!(r.wait().unwrap().success());
    assert_eq!(s.trim(), r.pid().to_string());
    println!("FALLBACK_OK");
}

#[test]
fn proc_03_clone_fallback() {
    for errno in ["ENOSYS", "EPERM"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "proc_03_helper_spawns_without_clone3",
                "--nocapture",
            ])
            .env("LINX_PROC03_ERRNO", errno)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("FALLBACK_OK"),
            "{errno}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn proc_20_spawn_timeout_kills_and_reaps() {
    if !require_root() {
        return;
    }
    let Ok(cg) = linx::cgroup::Cgroup::root()
        .and_then(|r| r.create_child(&format!("linx-proc20-{}", std::process::id())))
    else {
        linx_testkit::skip("no cgroup v2 hierarchy to freeze");
        return;
    };
    // A frozen cgroup: a child born there never reports ready.
    cg.write("cgroup.freeze", "1").unwrap();
    let mut c = Command::new("/bin/true");
    c.cgroup_fd(cg.open_dir_fd().unwrap())
        .spawn_timeout(Duration::from_millis(300));
    let e = c.spawn().unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e}");
    // Killed and reaped: the cgroup is empty again and can be removed.
    cg.write("cgroup.freeze", "0").unwrap();
    let mut empty = false;
    for _ in 0..100 {
        if cg.procs().unwrap().is_empty() {
            empty = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(empty, "the timed-out child is still in the cgroup");
    cg.remove().unwrap();
}

/// `PR_SET_PDEATHSIG` follows the creating *thread*: a child started from a short-lived thread
/// must outlive that thread (linx clones it from its long-lived spawner thread), and stays
/// killable and waitable from anywhere.
#[test]
fn proc_08_child_outlives_the_thread_that_started_it() {
    let running = std::thread::spawn(|| {
        let mut c = Command::new("/bin/sleep");
        c.arg("600");
        c.start().unwrap()
    })
    .join()
    .unwrap();
    // The starting thread is gone; give a death signal every chance to be delivered first.
    assert_eq!(
        running.wait_timeout(Duration::from_millis(300)).unwrap(),
        None,
        "the child died with the thread that started it"
    );
    assert!(proc_exists(running.pid()));
    running.signal(Signal::KILL).unwrap();
    assert_eq!(running.wait().unwrap().signal(), Some(Signal::KILL));
}

/// What a workload sees of its own process: credentials, capabilities, signal state, limits,
/// descriptors, directory and environment.
fn self_portrait(c: &mut Command, via_checkpoint: bool) -> String {
    c.stdout(Stdio::Pipe);
    let mut r = if via_checkpoint {
        c.spawn().unwrap().proceed().unwrap()
    } else {
        c.start().unwrap()
    };
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert!(r.wait().unwrap().success(), "{s}");
    s
}

#[test]
fn proc_01_start_without_checkpoint_matches_spawn_then_proceed() {
    // `start()` without namespaces takes the vfork-style path (no checkpoint); the workload must
    // not be able to tell it from spawn + proceed, from the main thread's or any other thread's
    // spawn.
    let script = "grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Sig(Blk|Ign|Cgt)|Seccomp):' /proc/self/status; \
                  ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; readlink /proc/self/fd/0 /proc/self/fd/2; \
                  ulimit -n; pwd; env | sort";
    let build = || {
        let mut c = sh(script);
        c.env_clear()
            .env("LINX_PORTRAIT", "1")
            .current_dir("/tmp")
            .stdin(Stdio::Null)
            .rlimit(libc::RLIMIT_NOFILE, 99, 99)
            .no_new_privs(true);
        if rustix::process::geteuid().is_root() {
            c.uid(4242).gid(4343).groups(&[4444]);
        }
        c
    };
    let straight = self_portrait(&mut build(), false);
    let parked = self_portrait(&mut build(), true);
    assert_eq!(straight, parked);
    assert!(straight.contains("NoNewPrivs:\t1"), "{straight}");
    assert!(straight.contains("\n99\n/tmp\n"), "{straight}");
    let from_thread = std::thread::spawn(move || self_portrait(&mut build(), false))
        .join()
        .unwrap();
    assert_eq!(from_thread, parked);
}

#[test]
fn proc_25_start_without_checkpoint_reports_every_stage_and_leaves_nothing() {
    // Failures on the vfork-style path carry their stage and the child is reaped.
    let mut c = Command::new("/bin/true");
    c.current_dir("/no/such/dir");
    let e = c.start().unwrap_err();
    assert_eq!(stage_of(&e), Some(Stage::Chdir), "{e}");
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
    let e = Command::new("/no/such/program").start().unwrap_err();
    assert_eq!(stage_of(&e), Some(Stage::Execve), "{e}");
    // No zombie or live child is left: no thread of this process has a child.
    let children: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| t.ok())
        .flat_map(|t| {
            std::fs::read_to_string(t.path().join("children"))
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(children.is_empty(), "children left: {children:?}");
}

#[test]
fn proc_17_start_into_new_namespaces_without_checkpoint() {
    // `start()` with namespaces (and no cgroup or time namespace) clones vfork-style straight
    // into them: the workload is pid 1 of its pid namespace, sees only `lo`, its own hostname.
    if !require_root() {
        return;
    }
    let mut c = sh(
        "echo $$; awk -F: 'NR > 2 { gsub(/ /, \"\", $1); printf \"%s \", $1 }' /proc/net/dev; echo; \
         hostname ns-box; hostname",
    );
    c.namespaces(NsSet::PID | NsSet::NET | NsSet::UTS | NsSet::IPC | NsSet::MOUNT)
        .stdout(Stdio::Pipe);
    let mut r = c.start().unwrap();
    assert_eq!(r.ns_pid(), 1);
    assert_ne!(r.pid(), 1);
    let mut s = String::new();
    r.take_stdout().unwrap().read_to_string(&mut s).unwrap();
    assert!(r.wait().unwrap().success(), "{s}");
    assert_eq!(s, "1\nlo \nns-box\n");
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        "ns-box\n"
    );
    // The same workload through the checkpoint sees the same.
    let mut r = c.spawn().unwrap().proceed().unwrap();
    let mut t = String::new();
    r.take_stdout().unwrap().read_to_string(&mut t).unwrap();
    assert!(r.wait().unwrap().success());
    assert_eq!(t, s);
}
