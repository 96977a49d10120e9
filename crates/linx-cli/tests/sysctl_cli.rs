//! `linx sysctl` against sysctl(8), both run inside the same fresh network namespace (SYS-30).

use linx_testkit::{NetNs, require_root, require_tool};

const LINX: &str = env!("CARGO_BIN_EXE_linx");

fn fresh() -> Option<NetNs> {
    if !require_root() || !require_tool("sysctl") {
        return None;
    }
    Some(NetNs::new().expect("create a network namespace"))
}

#[test]
fn sys_30_conf_lo_output_equals_sysctl() {
    let Some(ns) = fresh() else { return };
    let ours = ns.run(LINX, &["sysctl", "net.ipv4.conf.lo"]);
    let theirs = ns.run("sysctl", &["net.ipv4.conf.lo"]);
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs);
    let ours = ns.run(
        LINX,
        &[
            "sysctl",
            "-n",
            "net.ipv4.conf.lo.forwarding",
            "kernel.ostype",
        ],
    );
    let theirs = ns.run(
        "sysctl",
        &["-n", "net.ipv4.conf.lo.forwarding", "kernel.ostype"],
    );
    assert_eq!(ours, theirs);
    let ours = ns.run(LINX, &["sysctl", "-N", "net.ipv4.conf.lo"]);
    let theirs = ns.run("sysctl", &["-N", "net.ipv4.conf.lo"]);
    assert_eq!(ours, theirs);
}

#[test]
fn sys_30_all_matches_sysctl_for_stable_keys() {
    let Some(ns) = fresh() else { return };
    let first = ns.run("sysctl", &["-a"]);
    let ours = ns.run(LINX, &["sysctl", "-a"]);
    let second = ns.run("sysctl", &["-a"]);
    let observer_dependent = [
        "fs.file-nr",
        "fs.inode-nr",
        "fs.inode-state",
        "fs.dentry-state",
        "kernel.ns_last_pid",
        "kernel.random.uuid",
        "kernel.random.entropy_avail",
    ];
    let key = |l: &str| {
        l.split(" = ")
            .next()
            .unwrap_or(l)
            .trim_end_matches(" =")
            .to_owned()
    };
    let stable: Vec<&str> = first
        .lines()
        .zip(second.lines())
        .filter(|(a, b)| a == b && !observer_dependent.contains(&key(a).as_str()))
        .map(|(a, _)| a)
        .collect();
    assert!(stable.len() > 500);
    let ours_lines: std::collections::BTreeSet<&str> = ours.lines().collect();
    for l in &stable {
        assert!(ours_lines.contains(l), "missing or different: {l}");
    }
    let their_keys: std::collections::BTreeSet<String> = first.lines().map(key).collect();
    let our_keys: std::collections::BTreeSet<String> = ours.lines().map(key).collect();
    assert_eq!(our_keys, their_keys);
    // Key order is the same.
    let order = |t: &str| {
        let mut v: Vec<String> = t.lines().map(key).collect();
        v.dedup();
        v
    };
    assert_eq!(order(&ours), order(&first));
}

#[test]
fn sys_30_write_load_and_netns_flag() {
    let Some(ns) = fresh() else { return };
    let out = ns.run(LINX, &["sysctl", "-w", "net.ipv4.ip_forward=1"]);
    assert_eq!(out, "net.ipv4.ip_forward = 1\n");
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]), "1\n");
    let file = std::env::temp_dir().join(format!("linx-sys30-{}.conf", std::process::id()));
    std::fs::write(
        &file,
        "# comment\nnet.ipv4.ip_forward = 0\n-net.ipv4.linx_missing = 1\nnet.ipv4.conf.lo.forwarding=1\n",
    )
    .unwrap();
    let out = ns
        .command(LINX)
        .args(["sysctl", "--load"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "net.ipv4.ip_forward = 0\nnet.ipv4.conf.lo.forwarding = 1\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("linx_missing"));
    std::fs::remove_file(&file).unwrap();
    // From the host, through --netns naming a process in that namespace.
    let mut sleeper = ns.command("sleep").arg("1000").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let host_before = std::fs::read_to_string("/proc/sys/net/ipv4/conf/lo/forwarding").unwrap();
    let out = std::process::Command::new(LINX)
        .args([
            "sysctl",
            "--netns",
            &pid,
            "-n",
            "net.ipv4.conf.lo.forwarding",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/conf/lo/forwarding").unwrap(),
        host_before
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

#[test]
fn sys_30_errors_and_exit_codes() {
    let out = std::process::Command::new(LINX)
        .args(["sysctl", "linx.does.not.exist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ENOENT (errno 2)") && err.contains("linx.does.not.exist"),
        "{err}"
    );
    let out = std::process::Command::new(LINX)
        .args(["sysctl", "net..ipv4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(LINX)
        .args(["sysctl", "-e", "linx.does.not.exist", "kernel.ostype"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "kernel.ostype = Linux\n"
    );
}
