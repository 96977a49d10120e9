//! The headline example (`examples/sandbox.rs`), run for real in a fresh network namespace: every
//! constraint is visible from the inside, and nothing it created remains afterwards — also when
//! it is interrupted.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Output, Stdio};

use linx_testkit::{NetNs, require_root};

/// `target/<profile>/examples/sandbox`, built by `cargo test`/nextest next to the test binaries.
fn example() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples").join("sandbox");
    if dir.is_file() {
        Some(dir)
    } else {
        linx_testkit::skip(&format!(
            "the sandbox example is not built at {}",
            dir.display()
        ));
        None
    }
}

fn leftovers(ns: &NetNs, tag: u32) -> Vec<String> {
    let mut found = Vec::new();
    let links = ns.ip(&["-o", "link"]);
    if links.contains(&format!("lx{tag}")) {
        found.push(format!("veth: {links}"));
    }
    if let Ok(h) = linx::cgroup::hierarchy()
        && h.mount_point.join(format!("linx-sandbox-{tag}")).exists()
    {
        found.push("cgroup".into());
    }
    if std::env::temp_dir()
        .join(format!("linx-sandbox-{tag}"))
        .exists()
    {
        found.push("rootfs dir".into());
    }
    found
}

#[test]
fn rec_headline_sandbox_runs_and_cleans_up() {
    if !require_root() {
        return;
    }
    let Some(bin) = example() else { return };
    let ns = NetNs::new().unwrap();
    let child = ns
        .command(&bin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let tag = child.id();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&stdout);
    assert!(
        status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    for expected in [
        "uid map:      0 100000 65536",
        "identity:     uid=0(root) gid=0(root)",
        "hostname:     sandbox",
        "default via 10.200.",
        "seccomp:      unshare: unshare failed: Operation not permitted",
        "Connection refused",
        "CapEff: 0000000000000400 CapBnd: 0000000000000400",
        "cgroup:       0::/",
        "ip_unprivileged_port_start = 0",
        "root:         bin dev etc lib lib64 proc sbin tmp usr",
        "pid:          1",
        "exit:      exited(0)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert_eq!(leftovers(&ns, tag), Vec::<String>::new());
}

#[test]
fn rec_headline_sandbox_cleans_up_on_sigint_and_sigterm() {
    if !require_root() {
        return;
    }
    let Some(bin) = example() else { return };
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let ns = NetNs::new().unwrap();
        let mut child = ns
            .command(&bin)
            .env("LINX_SANDBOX_HOLD", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let tag = child.id();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut workload_pid = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.starts_with("spawn:") {
                workload_pid = line
                    .split_whitespace()
                    .nth(3)
                    .and_then(|p| p.parse::<i32>().ok());
            }
            if line.contains("pid:          1") {
                break;
            }
        }
        let workload_pid = workload_pid.expect("the example names the workload's pid");
        // SAFETY: kill(2) on our own child process.
        unsafe { libc::kill(child.id() as i32, sig) };
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(137), "{rest:?}");
        assert!(rest.iter().any(|l| l.starts_with("cleanup:")), "{rest:?}");
        assert!(
            !std::path::Path::new(&format!("/proc/{workload_pid}")).exists(),
            "the workload survived"
        );
        assert_eq!(leftovers(&ns, tag), Vec::<String>::new());
    }
}
