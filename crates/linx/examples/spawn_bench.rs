//! Spawn-to-exit latency of `/bin/true`, linx against references measured in the same run:
//!
//! 1. no namespaces: linx vs `std::process::Command`;
//! 2. user+pid+mnt+uts+ipc namespaces: linx vs a minimal raw `clone3` + `execve` loop (the kernel
//!    floor) and vs the `unshare -Ufpmiu` binary;
//! 3. the same plus a new network namespace: linx vs the floor.
//!
//! Run as root: `cargo run --release --example spawn_bench [ITERATIONS]`. Prints mean µs per spawn
//! and the ratios.

use std::ffi::CString;
use std::time::Instant;

use linx::ns::NsSet;
use linx::process::Command;

fn mean_us(iters: u32, mut f: impl FnMut()) -> f64 {
    // Warm-up.
    for _ in 0..iters.min(20) {
        f();
    }
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
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

    // Measure the floors first, while the process is still single-threaded.
    let floor5 = mean_us(iters, || raw_clone_exec(ns5, &prog, &argv, &envp));
    let floor6 = mean_us(iters / 3 + 1, || raw_clone_exec(ns6, &prog, &argv, &envp));
    let std_cmd = mean_us(iters, || {
        assert!(
            std::process::Command::new("/bin/true")
                .status()
                .unwrap()
                .success()
        );
    });
    let unshare = mean_us(iters, || {
        assert!(
            std::process::Command::new("unshare")
                .args(["-Ufpmiu", "/bin/true"])
                .status()
                .unwrap()
                .success()
        );
    });
    let linx_plain = {
        let c = Command::new("/bin/true");
        mean_us(iters, || {
            assert!(c.start().unwrap().wait().unwrap().success())
        })
    };
    let linx5 = {
        let mut c = Command::new("/bin/true");
        c.namespaces(NsSet::from_bits_retain(ns5 as u32));
        mean_us(iters, || {
            assert!(c.start().unwrap().wait().unwrap().success())
        })
    };
    let linx6 = {
        let mut c = Command::new("/bin/true");
        c.namespaces(NsSet::from_bits_retain(ns6 as u32));
        mean_us(iters / 3 + 1, || {
            assert!(c.start().unwrap().wait().unwrap().success())
        })
    };

    println!("spawn-to-exit of /bin/true, mean over {iters} runs (µs per spawn)");
    println!(
        "1. no namespaces:      linx {linx_plain:8.1}   std::process::Command {std_cmd:8.1}   ratio {:.2}x",
        linx_plain / std_cmd
    );
    println!(
        "2. user+pid+mnt+uts+ipc: linx {linx5:8.1}   raw clone3 floor {floor5:8.1}   ratio {:.2}x   unshare -Ufpmiu {unshare:8.1}   ratio {:.2}x",
        linx5 / floor5,
        linx5 / unshare
    );
    println!(
        "3. ... plus net:        linx {linx6:8.1}   raw clone3 floor {floor6:8.1}   ratio {:.2}x",
        linx6 / floor6
    );
}
