//! Spawn-to-exit latency of `/bin/true`, linx against references measured in the same run:
//!
//! 1. no namespaces: linx vs `std::process::Command`;
//! 2. user+pid+mnt+uts+ipc namespaces: linx vs the kernel floor — a minimal raw
//!    `clone(CLONE_VM | CLONE_VFORK | flags)` + `execve` loop, the cheapest way to start a process
//!    in new namespaces (a fork-style raw `clone3` loop is printed too) — and vs the
//!    `unshare -Ufpmiu` binary;
//! 3. the same plus a new network namespace: linx vs the floor.
//!
//! Run as root: `cargo run --release --example spawn_bench [ITERATIONS]`. The cases run in five
//! interleaved rounds; each reports its best round's mean µs per spawn, and the ratios.

use std::ffi::CString;
use std::time::Instant;

use linx::ns::NsSet;
use linx::process::Command;

/// Mean µs per call of `f` over `iters` calls.
fn mean_us(iters: u32, f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
}

/// Runs every case in `rounds` interleaved rounds (so slow drift on a shared machine, and the
/// kernel's deferred namespace teardown, hit every case alike) and returns each case's minimum
/// round mean.
fn interleaved(rounds: u32, per_round: &[u32], cases: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    for (case, n) in cases.iter_mut().zip(per_round) {
        for _ in 0..(*n).min(20) {
            case();
        }
    }
    let mut best = vec![f64::INFINITY; cases.len()];
    for _ in 0..rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            best[i] = best[i].min(mean_us(per_round[i], *case));
        }
    }
    best
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

/// The kernel floor: clone3 with the flags, execve in the child, waitid in the parent.
fn raw_clone_exec(
    flags: u64,
    prog: &CString,
    argv: &[*const libc::c_char; 2],
    envp: &[*const libc::c_char; 1],
) {
    let args = CloneArgs {
        flags,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: like fork; the child only calls execve and _exit with prepared data.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        // SAFETY: execve with NULL-terminated arrays of valid C strings.
        unsafe {
            libc::execve(prog.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    assert!(
        pid > 0,
        "clone3 failed: {}",
        std::io::Error::last_os_error()
    );
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    assert_eq!(status, 0);
}

/// The vfork-style floor: `clone(CLONE_VM | CLONE_VFORK | flags)` on a static stack, `execve`
/// in the child, `waitpid` in the parent.
fn raw_vfork_exec(
    flags: u64,
    prog: &CString,
    argv: &[*const libc::c_char; 2],
    envp: &[*const libc::c_char; 1],
) {
    struct Args<'a> {
        prog: &'a CString,
        argv: &'a [*const libc::c_char; 2],
        envp: &'a [*const libc::c_char; 1],
    }
    extern "C" fn child(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` points at the parent's Args, alive while the parent is suspended.
        unsafe {
            let a = &*(arg as *const Args);
            libc::execve(a.prog.as_ptr(), a.argv.as_ptr(), a.envp.as_ptr());
            libc::_exit(127)
        }
    }
    let mut stack = vec![0u8; 64 * 1024];
    let args = Args { prog, argv, envp };
    // SAFETY: the child runs `child` on the top of `stack` and execs or exits; CLONE_VFORK keeps
    // this thread (and so `stack` and `args`) suspended until then.
    let pid = unsafe {
        libc::clone(
            child,
            stack.as_mut_ptr().add(stack.len()).cast(),
            flags as libc::c_int | libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &args as *const Args as *mut libc::c_void,
        )
    };
    assert!(pid > 0, "clone failed: {}", std::io::Error::last_os_error());
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(status, 0);
}

fn main() {
    let iters: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let prog = CString::new("/bin/true").unwrap();
    let argv = [prog.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    let ns5 = (NsSet::USER | NsSet::PID | NsSet::MOUNT | NsSet::UTS | NsSet::IPC).bits() as u64;
    let ns6 = ns5 | NsSet::NET.bits() as u64;

    let c_plain = Command::new("/bin/true");
    let mut c5 = Command::new("/bin/true");
    c5.namespaces(NsSet::from_bits_retain(ns5 as u32));
    let mut c6 = Command::new("/bin/true");
    c6.namespaces(NsSet::from_bits_retain(ns6 as u32));
    let linx_run = |c: &Command| assert!(c.start().unwrap().wait().unwrap().success());
    let rounds = 5;
    let per = (iters / rounds).max(1);
    let per_net = (per / 3).max(1);
    let r = interleaved(
        rounds,
        &[per, per, per_net, per, per, per, per_net, per, per_net],
        &mut [
            &mut || raw_clone_exec(ns5, &prog, &argv, &envp),
            &mut || linx_run(&c5),
            &mut || raw_clone_exec(ns6, &prog, &argv, &envp),
            &mut || {
                assert!(
                    std::process::Command::new("/bin/true")
                        .status()
                        .unwrap()
                        .success()
                )
            },
            &mut || {
                assert!(
                    std::process::Command::new("unshare")
                        .args(["-Ufpmiu", "/bin/true"])
                        .status()
                        .unwrap()
                        .success()
                )
            },
            &mut || linx_run(&c_plain),
            &mut || linx_run(&c6),
            &mut || raw_vfork_exec(ns5, &prog, &argv, &envp),
            &mut || raw_vfork_exec(ns6, &prog, &argv, &envp),
        ],
    );
    let [
        fork5,
        linx5,
        fork6,
        std_cmd,
        unshare,
        linx_plain,
        linx6,
        floor5,
        floor6,
    ] = r[..]
    else {
        unreachable!("nine cases")
    };

    println!(
        "spawn-to-exit of /bin/true, µs per spawn: best of {rounds} interleaved rounds of {per} runs ({per_net} with net)"
    );
    println!(
        "1. no namespaces:      linx {linx_plain:8.1}   std::process::Command {std_cmd:8.1}   ratio {:.2}x",
        linx_plain / std_cmd
    );
    println!(
        "2. user+pid+mnt+uts+ipc: linx {linx5:8.1}   raw vfork floor {floor5:8.1}   ratio {:.2}x   unshare -Ufpmiu {unshare:8.1}   ratio {:.2}x   (fork-style clone3 {fork5:8.1})",
        linx5 / floor5,
        linx5 / unshare
    );
    println!(
        "3. ... plus net:        linx {linx6:8.1}   raw vfork floor {floor6:8.1}   ratio {:.2}x   (fork-style clone3 {fork6:8.1})",
        linx6 / floor6
    );
}
