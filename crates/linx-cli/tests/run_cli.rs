//! `linx run` / `linx exec` (spec PROC-50/51): exit codes, namespaces, signals, grace.

use std::io::Read;
use std::process::{Command, Stdio};

use linx_testkit::require_root;

fn linx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_linx"))
}

fn code(args: &[&str]) -> i32 {
    linx().args(args).status().unwrap().code().unwrap()
}

fn output(args: &[&str]) -> (i32, String) {
    let out = linx().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn proc_50_exit_codes() {
    assert_eq!(code(&["run", "--", "true"]), 0);
    assert_eq!(code(&["run", "--", "false"]), 1);
    assert_eq!(code(&["run", "--", "sh", "-c", "exit 42"]), 42);
    assert_eq!(code(&["run", "--", "/no/such/program"]), 127);
    assert_eq!(code(&["run", "--", "no-such-program-in-path"]), 125);
    assert_eq!(code(&["run", "--", "/etc/hostname"]), 126);
    assert_eq!(code(&["run", "--", "sh", "-c", "kill -TERM $$"]), 143);
    assert_eq!(code(&["run", "--ns", "bogus", "--", "true"]), 125);
    let out = linx()
        .args(["run", "--", "/no/such/program"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("linx: process: execve /no/such/program"),
        "{err}"
    );
    assert!(err.contains("ENOENT (errno 2)"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn proc_50_env_and_cwd() {
    let (c, out) = output(&[
        "run",
        "--clear-env",
        "--env",
        "A=1",
        "--cwd",
        "/tmp",
        "--",
        "/bin/sh",
        "-c",
        "echo $A $B; pwd",
    ]);
    assert_eq!(c, 0);
    assert_eq!(out, "1\n/tmp\n");
}

#[test]
fn proc_50_namespaces_from_the_cli() {
    if !require_root() {
        return;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let (c, out) = output(&[
        "run",
        "--ns",
        "pid,uts,net,mnt,ipc",
        "--hostname",
        "box",
        "--",
        "sh",
        "-c",
        "hostname; echo $$; ls /sys/class/net | wc -l",
    ]);
    assert_eq!(c, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "box");
    assert_eq!(lines[1], "1");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host
    );
    let (c, out) = output(&["run", "--all-ns", "--", "true"]);
    assert_eq!(c, 0, "{out}");
    let (c, out) = output(&[
        "run",
        "--time-offset",
        "boottime=864000",
        "--",
        "cat",
        "/proc/uptime",
    ]);
    assert_eq!(c, 0);
    let up: f64 = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(up > 864_000.0, "{out}");
}

#[test]
fn proc_50_user_namespace_unprivileged_shape() {
    // Even without maps, a new user namespace works (uid shows as the overflow id).
    let (c, out) = output(&["run", "--ns", "user", "--", "cat", "/proc/self/uid_map"]);
    assert_eq!(c, 0);
    assert_eq!(out, "", "no map written yet");
}

#[test]
fn proc_50_sigterm_is_forwarded_then_escalated_after_grace() {
    let mut child = linx()
        .args([
            "run",
            "--grace",
            "1",
            "--",
            "sh",
            "-c",
            "trap '' TERM; echo up; exec sleep 60",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 3];
    child.stdout.take().unwrap().read_exact(&mut buf).unwrap();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    // The workload ignored SIGTERM, so linx killed it after the grace period: 128 + 9.
    assert_eq!(status.code(), Some(137));
}

#[test]
fn proc_50_sigint_is_forwarded() {
    let mut child = linx()
        .args(["run", "--", "sh", "-c", "echo up; exec sleep 60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 3];
    child.stdout.take().unwrap().read_exact(&mut buf).unwrap();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
}

#[test]
fn proc_51_exec_into_a_running_workload() {
    if !require_root() {
        return;
    }
    let mut target = linx()
        .args([
            "run",
            "--ns",
            "uts,pid,net",
            "--hostname",
            "inner",
            "--grace",
            "0.2",
            "--",
            "sh",
            "-c",
            "echo up; exec sleep 60",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 3];
    target.stdout.take().unwrap().read_exact(&mut buf).unwrap();
    // The workload is linx's child: find it.
    let children = std::fs::read_to_string(format!(
        "/proc/{}/task/{}/children",
        target.id(),
        target.id()
    ))
    .unwrap_or_default();
    let mut workload = children.split_whitespace().next().map(str::to_owned);
    if workload.is_none() {
        // The workload may be the child of another linx thread (the spawner).
        for task in std::fs::read_dir(format!("/proc/{}/task", target.id())).unwrap() {
            let t = task.unwrap().file_name();
            let c = std::fs::read_to_string(format!(
                "/proc/{}/task/{}/children",
                target.id(),
                t.to_string_lossy()
            ))
            .unwrap_or_default();
            if let Some(p) = c.split_whitespace().next() {
                workload = Some(p.to_owned());
            }
        }
    }
    let workload = workload.expect("the run workload's pid");
    let (c, out) = output(&[
        "exec",
        "--target",
        &workload,
        "--",
        "sh",
        "-c",
        "hostname; echo $$",
    ]);
    assert_eq!(c, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "inner");
    assert!(lines[1].parse::<i32>().unwrap() > 1);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(target.id() as i32, libc::SIGTERM) };
    // As pid 1 of its namespace the workload ignores SIGTERM, so the grace period ends in SIGKILL.
    let st = target.wait().unwrap();
    assert_eq!(st.code(), Some(137));
}

#[test]
fn proc_50_user_maps_from_the_cli() {
    if !require_root() {
        return;
    }
    let (c, out) = output(&[
        "run",
        "--uid-map",
        "0:100000:65536",
        "--gid-map",
        "0:100000:65536",
        "--",
        "sh",
        "-c",
        "cat /proc/self/uid_map /proc/self/gid_map; id -u",
    ]);
    assert_eq!(c, 0, "{out}");
    let fields: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(fields[0], ["0", "100000", "65536"]);
    assert_eq!(fields[1], ["0", "100000", "65536"]);
    assert_eq!(fields[2], ["0"]);
    let (c, out) = output(&["run", "--map-root", "--", "cat", "/proc/self/uid_map"]);
    assert_eq!(c, 0);
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f, ["0", "0", "1"], "as root the caller's uid outside is 0");
    assert_eq!(code(&["run", "--uid-map", "0:1:0", "--", "true"]), 125);
}

#[test]
fn proc_50_capabilities_from_the_cli() {
    if !require_root() {
        return;
    }
    let (c, out) = output(&[
        "run",
        "--cap-keep",
        "cap_net_bind_service",
        "--",
        "grep",
        "-E",
        "^Cap(Eff|Bnd)",
        "/proc/self/status",
    ]);
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("CapEff:\t0000000000000400"), "{out}");
    assert!(out.contains("CapBnd:\t0000000000000400"), "{out}");
    let (c, out) = output(&[
        "run",
        "--cap-drop",
        "all",
        "--",
        "grep",
        "^CapBnd",
        "/proc/self/status",
    ]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(out.trim(), "CapBnd:\t0000000000000000");
    assert_eq!(
        code(&["run", "--cap-keep", "cap_nosuch", "--", "true"]),
        125
    );
}

#[test]
fn proc_50_seccomp_from_the_cli() {
    // Deny nanosleep and clock_nanosleep: `sleep` fails at once instead of sleeping.
    let out = linx()
        .args([
            "run",
            "--seccomp-deny",
            "nanosleep,clock_nanosleep",
            "--",
            "sleep",
            "30",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (c, out) = output(&[
        "run",
        "--seccomp-deny",
        "mkdir",
        "--",
        "grep",
        "^Seccomp:",
        "/proc/self/status",
    ]);
    assert_eq!(c, 0);
    assert_eq!(out.trim(), "Seccomp:\t2");
    assert_eq!(
        code(&["run", "--seccomp-deny", "nosuchcall", "--", "true"]),
        125
    );
}

#[test]
fn proc_50_sysctl_inside_the_namespace() {
    if !require_root() {
        return;
    }
    let host = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap();
    let (c, out) = output(&[
        "run",
        "--ns",
        "net",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--",
        "cat",
        "/proc/sys/net/ipv4/ip_forward",
    ]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(out.trim(), "1");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap(),
        host
    );
}

#[test]
fn proc_50_veth_network_from_the_cli() {
    if !require_root() || !linx_testkit::require_tool("ping") {
        return;
    }
    // Run linx itself inside a fresh network namespace, so the host end lands there.
    let ns = linx_testkit::NetNs::new().unwrap();
    let out = ns
        .command(env!("CARGO_BIN_EXE_linx"))
        .args([
            "run", "--net", "veth:h0=eth0,host=10.9.0.1/30,addr=10.9.0.2/30,gw=10.9.0.1", "--",
            "sh", "-c", "ip -o -4 addr show eth0; ip route show default; ping -c1 -W2 10.9.0.1 >/dev/null && echo ping-ok",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("eth0    inet 10.9.0.2/30"), "{text}");
    assert!(text.contains("default via 10.9.0.1 dev eth0"), "{text}");
    assert!(text.contains("ping-ok"), "{text}");
    // Nothing is left behind in linx's namespace.
    assert!(
        !ns.ip(&["-o", "link"]).contains("h0"),
        "the host end survived"
    );
    assert_eq!(code(&["run", "--net", "macvlan", "--", "true"]), 125);
}

#[test]
fn proc_50_rootfs_binds_readonly_and_proc() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for l in ["bin", "sbin", "lib", "lib64"] {
        std::os::unix::fs::symlink(format!("usr/{l}"), dir.path().join(l)).unwrap();
    }
    let root = dir.path().to_str().unwrap();
    let (c, out) = output(&[
        "run",
        "--ns",
        "pid",
        "--rootfs",
        root,
        "--bind",
        "/usr:/usr:ro",
        "--readonly",
        "--",
        "sh",
        "-c",
        "ls /; pwd; touch /x 2>/dev/null || echo read-only; echo $$; ls /proc | grep -c '^[0-9]'",
    ]);
    assert_eq!(c, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..9],
        [
            "bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr", "/"
        ],
        "{out}"
    );
    assert_eq!(lines[9], "read-only");
    assert_eq!(lines[10], "1");
    // proc belongs to the new pid namespace: it lists the shell and ls/grep, not the host.
    assert!(lines[11].parse::<u32>().unwrap() < 10, "{out}");
    // --proc without a new root.
    let (c, out) = output(&[
        "run",
        "--proc",
        "--",
        "sh",
        "-c",
        "ls /proc | grep -c '^[0-9]'",
    ]);
    assert_eq!(c, 0);
    assert!(out.trim().parse::<u32>().unwrap() < 10, "{out}");
}

#[test]
fn proc_50_cgroup_is_created_used_and_removed() {
    if !require_root() {
        return;
    }
    let Ok(h) = linx::cgroup::hierarchy() else {
        linx_testkit::skip("no cgroup v2 hierarchy");
        return;
    };
    let name = format!("linx-cli-test-{}", std::process::id());
    let (c, out) = output(&["run", "--cgroup", &name, "--", "cat", "/proc/self/cgroup"]);
    assert_eq!(c, 0, "{out}");
    assert!(out.lines().any(|l| l == format!("0::/{name}")), "{out}");
    assert!(
        !h.mount_point.join(&name).exists(),
        "the cgroup was not removed"
    );
    // Limits on a host whose v2 hierarchy lacks the controller: a clear error, exit 125.
    if !h.controllers.iter().any(|c| c == "memory") {
        let out = linx()
            .args(["run", "--memory-max", "64M", "--", "true"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("memory"),
            "{out:?}"
        );
    }
}

/// Mounts the workload makes in its own mount namespace stay there even when the namespace linx
/// runs in has shared propagation (the default on systemd hosts): like unshare(1), linx makes the
/// workload's copy of the tree private before mounting anything. The test runs linx inside a
/// throwaway `unshare -m --propagation shared` namespace and counts the mounts there afterwards.
#[test]
fn proc_50_mounts_do_not_propagate_out_of_the_workload() {
    if !require_root() || !linx_testkit::require_tool("unshare") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().to_str().unwrap();
    let linx = env!("CARGO_BIN_EXE_linx");
    let script = format!(
        "before=$(wc -l < /proc/self/mountinfo); \
         {linx} run --proc --tmpfs {scratch}:size=1m -- sh -c 'grep -c \" {scratch} \" /proc/self/mountinfo' || exit 99; \
         after=$(wc -l < /proc/self/mountinfo); \
         echo \"outside $before $after\""
    );
    let out = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "shared", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    // Inside: the tmpfs is mounted at the scratch directory.
    assert_eq!(lines[0], "1", "{text}");
    // Outside: the same number of mounts before and after.
    let outside: Vec<&str> = lines[1].split(' ').collect();
    assert_eq!(outside[0], "outside");
    assert_eq!(outside[1], outside[2], "mounts leaked out: {text}");
}

#[test]
fn proc_50_tmpfs_mounts_in_a_new_root_shallow_first() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for l in ["bin", "sbin", "lib", "lib64"] {
        std::os::unix::fs::symlink(format!("usr/{l}"), dir.path().join(l)).unwrap();
    }
    // Given deepest first: linx mounts /data before /data/cache so neither hides the other.
    let (c, out) = output(&[
        "run",
        "--rootfs",
        dir.path().to_str().unwrap(),
        "--bind",
        "/usr:/usr:ro",
        "--tmpfs",
        "/data/cache",
        "--tmpfs",
        "/data:size=1m,mode=700",
        "--",
        "sh",
        "-c",
        "stat -c %a /data; grep ' /data' /proc/self/mountinfo | cut -d' ' -f5,6,9; \
         touch /data/cache/x && echo writable",
    ]);
    assert_eq!(c, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "700", "{out}");
    // mountinfo fields 5, 6, 9: mount point, per-mount options, fstype.
    assert!(lines[1].starts_with("/data rw,nosuid,nodev"), "{out}");
    assert!(lines[1].ends_with(" tmpfs"), "{out}");
    assert!(lines[2].starts_with("/data/cache rw,nosuid,nodev"), "{out}");
    assert!(lines[2].ends_with(" tmpfs"), "{out}");
    assert_eq!(lines[3], "writable", "{out}");
    // Bad specs are input errors before anything runs.
    assert_eq!(code(&["run", "--tmpfs", "relative", "--", "true"]), 125);
}

#[test]
fn proc_50_nft_file_loaded_socket_owned_into_the_workload() {
    if !require_root() || !linx_testkit::require_tool("ping") || !linx_testkit::require_tool("nft")
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("linx-run-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fw = dir.join("fw.nft");
    // `oif "eth0"` names the workload's interface: resolved in its namespace, not linx's.
    std::fs::write(
        &fw,
        "table inet guard {\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t\toif \"eth0\" ip daddr 10.9.2.1 icmp type echo-request counter drop\n\t}\n}\n",
    )
    .unwrap();
    let ns = linx_testkit::NetNs::new().unwrap();
    let out = ns
        .command(env!("CARGO_BIN_EXE_linx"))
        .args([
            "run", "--net", "veth:h2=eth0,host=10.9.2.1/30,addr=10.9.2.2/30", "--nft",
            fw.to_str().unwrap(), "--", "sh", "-c",
            "ping -c1 -W1 10.9.2.1 >/dev/null && echo ping-ok || echo ping-blocked; nft list ruleset",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("flags owner"), "not socket-owned:\n{text}");
    assert!(
        text.contains("oif \"eth0\" ip daddr 10.9.2.1 icmp type echo-request counter packets 1"),
        "{text}"
    );
    assert!(text.contains("ping-blocked"), "{text}");
    // Nothing of it in linx's own namespace.
    assert_eq!(ns.run("nft", &["list", "ruleset"]).trim(), "");

    // Refused before anything is created: no new network namespace; a file that does not
    // compile (located diagnostic on stderr).
    let o = linx()
        .args(["run", "--nft", fw.to_str().unwrap(), "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs a new network namespace"));
    let bad = dir.join("bad.nft");
    std::fs::write(
        &bad,
        "table inet t {\n\tchain c {\n\t\ttcp dport ssh acept\n\t}\n}\n",
    )
    .unwrap();
    let o = ns
        .command(env!("CARGO_BIN_EXE_linx"))
        .args([
            "run",
            "--ns",
            "net",
            "--nft",
            bad.to_str().unwrap(),
            "--",
            "true",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(err.contains("bad.nft:3:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's one-command equivalent of the sandbox example (without the cgroup limits the
/// host's controller-less cgroup v2 cannot apply; those are tested in the VM tier).
#[test]
fn proc_50_readme_sandbox_one_liner() {
    if !require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let root = std::env::temp_dir().join(format!("linx-readme-sb-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let nft = concat!(env!("CARGO_MANIFEST_DIR"), "/../linx/examples/sandbox.nft");
    let args = [
        "run",
        "--map-root",
        "--ns",
        "user,pid,net,mount,uts,ipc",
        "--hostname",
        "sandbox",
        "--net",
        "veth:sbh=eth0,host=10.200.0.1/30,addr=10.200.0.2/30,gw=10.200.0.1",
        "--nft",
        nft,
        "--sysctl",
        "net.ipv4.ip_unprivileged_port_start=0",
        "--rootfs",
        root.to_str().unwrap(),
        "--bind",
        "/usr:/usr:ro",
        "--bind",
        "/lib:/lib:ro",
        "--bind",
        "/lib64:/lib64:ro",
        "--bind",
        "/bin:/bin:ro",
        "--bind",
        "/etc:/etc:ro",
        "--readonly",
        "--tmpfs",
        "/tmp",
        "--cap-keep",
        "cap_net_bind_service",
        "--seccomp-deny",
        "unshare,setns,mount,umount2,pivot_root,bpf,ptrace",
        "--",
        "sh",
        "-c",
        "id -u; hostname; ip -o -4 addr show eth0; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; \
         grep CapEff /proc/self/status; unshare -U true 2>/dev/null || echo unshare-refused; \
         touch /usr/x 2>/dev/null || echo usr-ro; touch /tmp/x && echo tmp-rw",
    ];
    // The flags are the README's, so the documented command stays true.
    for flag in args.iter().filter(|a| a.starts_with("--") && a.len() > 2) {
        assert!(readme.contains(flag), "README lacks {flag}");
    }
    let ns = linx_testkit::NetNs::new().unwrap();
    let out = ns
        .command(env!("CARGO_BIN_EXE_linx"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0", "{text}");
    assert_eq!(lines[1], "sandbox", "{text}");
    assert!(lines[2].contains("inet 10.200.0.2/30"), "{text}");
    assert_eq!(lines[3], "0", "{text}");
    assert_eq!(lines[4], "CapEff:\t0000000000000400", "{text}");
    assert_eq!(
        &lines[5..],
        ["unshare-refused", "usr-ro", "tmp-rw"],
        "{text}"
    );
    // Nothing is left: no host veth end, no ruleset in linx's namespace.
    assert!(!ns.ip(&["-o", "link"]).contains("sbh"));
    assert_eq!(ns.run("nft", &["list", "ruleset"]).trim(), "");
    let _ = std::fs::remove_dir_all(&root);
}

/// `--mount type=bind|tmpfs,…`: the same mounts as `--bind`/`--tmpfs`, in the key=value form.
#[test]
fn proc_50_mount_specs_bind_and_tmpfs() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for l in ["bin", "sbin", "lib", "lib64"] {
        std::os::unix::fs::symlink(format!("usr/{l}"), dir.path().join(l)).unwrap();
    }
    let (c, out) = output(&[
        "run",
        "--rootfs",
        dir.path().to_str().unwrap(),
        "--mount",
        "type=bind,source=/usr,target=/usr,readonly",
        "--mount",
        "type=tmpfs,target=/scratch,size=1m,mode=711",
        "--",
        "sh",
        "-c",
        "stat -c %a /scratch; touch /usr/x 2>/dev/null || echo usr-ro; \
         grep ' /scratch ' /proc/self/mountinfo | cut -d' ' -f9",
    ]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["711", "usr-ro", "tmpfs"],
        "{out}"
    );
    // A bind without a new root, and a malformed spec: input errors before anything runs.
    assert_eq!(
        code(&[
            "run",
            "--mount",
            "type=bind,source=/usr,target=/usr",
            "--",
            "true"
        ]),
        125
    );
    assert_eq!(
        code(&["run", "--mount", "type=overlay,target=/x", "--", "true"]),
        125
    );
}
