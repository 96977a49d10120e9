//! Sysctl, kernel tier: per-namespace access in fresh network, UTS, IPC and user namespaces
//! (the host's values are read before and after and must not change), dotted interface names,
//! config files, and differential checks against sysctl(8) run inside the same namespace.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::OwnedFd;

use linx::ns::NsTarget;
use linx::sysctl::{Key, Outcome, SkipReason, Sysctl, parse_conf};
use linx_testkit::{NetNs, require_root};

fn fresh_net() -> Option<(NetNs, Sysctl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("create a network namespace");
    let s = Sysctl::new(NsTarget::fd(ns.try_clone_fd().unwrap()));
    Some((ns, s))
}

/// A fresh namespace of the given kind, created on a short-lived thread that unshares it and
/// keeps an fd (the test's threads never change namespace).
fn fresh_ns(flag: libc::c_int, name: &str) -> OwnedFd {
    let path = format!("/proc/thread-self/ns/{name}");
    std::thread::spawn(move || {
        // SAFETY: unshare of a namespace kind only, on this short-lived thread.
        assert_eq!(unsafe { libc::unshare(flag) }, 0, "unshare {flag:#x}");
        rustix::fs::open(
            path.as_str(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .unwrap()
    })
    .join()
    .unwrap()
}

/// A process (`sleep`) in fresh namespaces, forked by the test; killed and reaped on drop.
struct Proc {
    pid: i32,
}

impl Proc {
    fn spawn(flags: libc::c_int) -> Proc {
        Proc::spawn_with(flags, false)
    }

    /// With `hide_proc`, the child (in a new mount namespace) also detaches its `/proc`, like a
    /// workload that pivoted into a rootfs without proc.
    fn spawn_with(flags: libc::c_int, hide_proc: bool) -> Proc {
        let prog = std::ffi::CString::new("/bin/sleep").unwrap();
        let arg = std::ffi::CString::new("1000").unwrap();
        let argv = [prog.as_ptr(), arg.as_ptr(), std::ptr::null()];
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let wr = std::os::fd::AsRawFd::as_raw_fd(&w);
        // SAFETY: the child makes raw syscalls only, then execs.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            unsafe {
                if libc::syscall(libc::SYS_unshare, flags) != 0 {
                    libc::write(wr, b"x".as_ptr().cast(), 1);
                    libc::_exit(1);
                }
                if hide_proc
                    && (libc::mount(
                        std::ptr::null(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ) != 0
                        || libc::umount2(c"/proc".as_ptr(), libc::MNT_DETACH) != 0)
                {
                    libc::write(wr, b"y".as_ptr().cast(), 1);
                    libc::_exit(1);
                }
                libc::execv(prog.as_ptr(), argv.as_ptr());
                libc::_exit(2);
            }
        }
        drop(w);
        let mut b = [0u8; 1];
        assert_eq!(
            rustix::io::read(&r, &mut b).unwrap(),
            0,
            "child failed to unshare"
        );
        Proc { pid }
    }

    fn nsenter(&self, ns_flags: &[&str], args: &[&str]) -> String {
        let out = std::process::Command::new("nsenter")
            .arg("-t")
            .arg(self.pid.to_string())
            .args(ns_flags)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            let mut st = 0;
            libc::waitpid(self.pid, &mut st, 0);
        }
    }
}

#[test]
fn sys_06_write_current_value_changes_nothing() {
    let Some((_ns, s)) = fresh_net() else { return };
    let before = s.read("net.ipv4.ip_forward").unwrap();
    s.write("net.ipv4.ip_forward", before.clone()).unwrap();
    assert_eq!(s.read("net.ipv4.ip_forward").unwrap(), before);
    let n: i64 = before.parse().unwrap();
    assert!(!s.write_if_different("net.ipv4.ip_forward", n).unwrap());
    assert!(s.write_if_different("net.ipv4.ip_forward", 1 - n).unwrap());
    assert_eq!(s.read_int("net.ipv4.ip_forward").unwrap(), 1 - n);
}

#[test]
fn sys_07_netns_ip_forward_host_unchanged() {
    let Some((ns, s)) = fresh_net() else { return };
    let host = Sysctl::current();
    let host_before = host.read("net.ipv4.ip_forward").unwrap();
    let caller_thread_ns = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    s.write("net.ipv4.ip_forward", 1).unwrap();
    assert_eq!(s.read_int("net.ipv4.ip_forward").unwrap(), 1);
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "1");
    assert_eq!(host.read("net.ipv4.ip_forward").unwrap(), host_before);
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
            .unwrap()
            .trim(),
        host_before
    );
    assert_eq!(
        std::fs::read_link("/proc/thread-self/ns/net").unwrap(),
        caller_thread_ns,
        "the caller's thread never changes namespace"
    );
    // A global key through a netns target reads the host's value.
    assert_eq!(s.read("kernel.ostype").unwrap(), "Linux");
    // A value the kernel rejects: EINVAL with key, path and target.
    let e = s.write("net.ipv4.ip_forward", "bogus").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::INVAL), "{e}");
    let ctx = e.context().unwrap();
    assert_eq!(ctx.key.as_deref(), Some("net.ipv4.ip_forward"));
    assert!(ctx.target.is_some(), "{e}");
}

#[test]
fn sys_07_uts_hostname_in_fresh_namespace() {
    if !require_root() {
        return;
    }
    let host = Sysctl::current();
    let host_name = host.read("kernel.hostname").unwrap();
    let uts = Sysctl::new(NsTarget::fd(fresh_ns(libc::CLONE_NEWUTS, "uts")));
    uts.write("kernel.hostname", "ct0").unwrap();
    assert_eq!(uts.read("kernel.hostname").unwrap(), "ct0");
    assert_eq!(host.read("kernel.hostname").unwrap(), host_name);
    assert_eq!(
        rustix::system::uname().nodename().to_str().unwrap(),
        host_name
    );
}

#[test]
fn sys_07_ipc_key_in_fresh_namespace() {
    if !require_root() {
        return;
    }
    let host = Sysctl::current();
    let host_val = host.read_int("kernel.msgmnb").unwrap();
    let ipc = Sysctl::new(NsTarget::fd(fresh_ns(libc::CLONE_NEWIPC, "ipc")));
    ipc.write("kernel.msgmnb", host_val + 1).unwrap();
    assert_eq!(ipc.read_int("kernel.msgmnb").unwrap(), host_val + 1);
    assert_eq!(host.read_int("kernel.msgmnb").unwrap(), host_val);
}

#[test]
fn sys_07_process_target_joins_only_the_routing_namespace() {
    if !require_root() || !linx_testkit::require_tool("nsenter") {
        return;
    }
    let p = Proc::spawn(libc::CLONE_NEWNET | libc::CLONE_NEWUTS);
    let host = Sysctl::current();
    let host_fwd = host.read("net.ipv4.ip_forward").unwrap();
    let host_name = host.read("kernel.hostname").unwrap();
    let pidfd = linx::pidfd::Pidfd::open(p.pid).unwrap();
    let s = Sysctl::new(NsTarget::pidfd(pidfd));
    s.write("net.ipv4.ip_forward", 1).unwrap();
    s.write("kernel.hostname", "ct0").unwrap();
    assert_eq!(s.read("net.ipv4.ip_forward").unwrap(), "1");
    assert_eq!(s.read("kernel.hostname").unwrap(), "ct0");
    assert_eq!(
        p.nsenter(&["-n"], &["sysctl", "-n", "net.ipv4.ip_forward"])
            .trim(),
        "1"
    );
    assert_eq!(p.nsenter(&["-u"], &["hostname"]).trim(), "ct0");
    assert_eq!(host.read("net.ipv4.ip_forward").unwrap(), host_fwd);
    assert_eq!(host.read("kernel.hostname").unwrap(), host_name);
    // IPC is not a new namespace for this process: the host's value, without joining anything.
    assert_eq!(
        Sysctl::new(NsTarget::Pid(p.pid))
            .read("kernel.msgmnb")
            .unwrap(),
        host.read("kernel.msgmnb").unwrap()
    );
}

#[test]
fn sys_07_target_without_proc_mounted() {
    if !require_root() || !linx_testkit::require_tool("nsenter") {
        return;
    }
    let p = Proc::spawn_with(libc::CLONE_NEWNS | libc::CLONE_NEWNET, true);
    let nsenter_proc = p.nsenter(
        &["-m"],
        &[
            "sh",
            "-c",
            "test -e /proc/sys/kernel/ostype || echo no-proc",
        ],
    );
    assert_eq!(
        nsenter_proc.trim(),
        "no-proc",
        "the child's mount namespace has no /proc"
    );
    let host = Sysctl::current().read("net.ipv4.ip_forward").unwrap();
    let s = Sysctl::new(NsTarget::Pid(p.pid));
    s.write("net.ipv4.ip_forward", 1).unwrap();
    assert_eq!(s.read_int("net.ipv4.ip_forward").unwrap(), 1);
    assert_eq!(
        p.nsenter(&["-n"], &["sysctl", "-n", "net.ipv4.ip_forward"])
            .trim(),
        "1"
    );
    assert_eq!(Sysctl::current().read("net.ipv4.ip_forward").unwrap(), host);
}

#[test]
fn sys_08_user_keys_through_forked_helper() {
    if !require_root() || !linx_testkit::require_tool("nsenter") {
        return;
    }
    let p = Proc::spawn(libc::CLONE_NEWUSER);
    let host = Sysctl::current();
    let host_val = host.read("user.max_user_namespaces").unwrap();
    let s = Sysctl::new(NsTarget::Pid(p.pid));
    s.write("user.max_user_namespaces", 7).unwrap();
    assert_eq!(s.read_int("user.max_user_namespaces").unwrap(), 7);
    assert_eq!(
        p.nsenter(
            &["-U", "--preserve-credentials"],
            &["cat", "/proc/sys/user/max_user_namespaces"]
        )
        .trim(),
        "7"
    );
    assert_eq!(host.read("user.max_user_namespaces").unwrap(), host_val);
    let listing = s.list("user").unwrap();
    let got: BTreeMap<String, String> = listing
        .entries
        .iter()
        .map(|e| (e.key.to_string(), e.value().to_owned()))
        .collect();
    assert_eq!(
        got.get("user.max_user_namespaces").map(String::as_str),
        Some("7")
    );
    // A user-namespace fd target works the same way.
    let fd = rustix::fs::open(
        format!("/proc/{}/ns/user", p.pid).as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    assert_eq!(
        Sysctl::new(NsTarget::fd(fd))
            .read_int("user.max_user_namespaces")
            .unwrap(),
        7
    );
    let e = s.read("user.linx_nope").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT), "{e}");
}

#[test]
fn sys_08_dotted_interface_name() {
    let Some((ns, s)) = fresh_net() else { return };
    if !linx_testkit::require_tool("ip") {
        return;
    }
    ns.ip(&[
        "link", "add", "v0.100", "type", "veth", "peer", "name", "p0",
    ]);
    let key: Key = "net.ipv4.conf.v0/100.forwarding".parse().unwrap();
    assert_eq!(
        key.path().to_str(),
        Some("/proc/sys/net/ipv4/conf/v0.100/forwarding")
    );
    s.write(&key, 1).unwrap();
    assert_eq!(s.read_int(&key).unwrap(), 1);
    assert_eq!(s.read_int("net/ipv4/conf/v0.100/forwarding").unwrap(), 1);
    assert_eq!(s.read_int("net.ipv4.conf.p0.forwarding").unwrap(), 0);
    let listing = s.list("net.ipv4.conf").unwrap();
    assert!(
        listing
            .entries
            .iter()
            .any(|e| e.key.to_string() == "net.ipv4.conf.v0/100.forwarding" && e.value() == "1")
    );
    // sysctl(8) names it the same way.
    let out = ns.run("sysctl", &["net.ipv4.conf.v0/100.forwarding"]);
    assert_eq!(out.trim(), "net.ipv4.conf.v0/100.forwarding = 1");
}

#[test]
fn sys_06_list_reports_skipped_entries() {
    let Some((_ns, s)) = fresh_net() else { return };
    let l = s.list("net.ipv4").unwrap();
    let skipped: BTreeMap<String, SkipReason> = l
        .skipped
        .iter()
        .map(|k| (k.key.to_string(), k.reason))
        .collect();
    assert_eq!(
        skipped.get("net.ipv4.route.flush"),
        Some(&SkipReason::WriteOnly)
    );
    assert_eq!(
        skipped.get("net.ipv4.neigh.lo.base_reachable_time"),
        Some(&SkipReason::Deprecated)
    );
    assert!(
        l.entries
            .iter()
            .all(|e| e.key.starts_with(&"net.ipv4".parse().unwrap()))
    );
    let keys: Vec<&Key> = l.entries.iter().map(|e| &e.key).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    // In the fresh namespace: only lo exists under conf.
    let confs: BTreeSet<&str> = l
        .entries
        .iter()
        .filter(|e| e.key.components().get(2).map(String::as_str) == Some("conf"))
        .map(|e| e.key.components()[3].as_str())
        .collect();
    assert_eq!(confs, BTreeSet::from(["all", "default", "lo"]));
}

#[test]
fn sys_09_apply_conf() {
    let Some((_ns, s)) = fresh_net() else { return };
    let conf = parse_conf(
        "# test config\n\
         net.ipv4.ip_forward = 1\n\
         -net.ipv4.linx_missing = 3\n\
         ; comment\n\
         net.ipv4.conf.default.rp_filter=2\n\
         -net.ipv4.conf.default.accept_local\n\
         net.ipv4.conf.*.accept_local = 1\n\
         net.ipv4.conf.all.accept_local = 0\n",
    );
    assert!(conf.diagnostics.is_empty(), "{:?}", conf.diagnostics);
    let report = s.apply_conf(&conf).unwrap();
    let by_key: BTreeMap<String, &Outcome> = report
        .items
        .iter()
        .filter(|i| i.line != 8)
        .map(|i| (i.key.to_string(), &i.outcome))
        .collect();
    assert_eq!(by_key["net.ipv4.ip_forward"], &Outcome::Applied);
    assert!(
        matches!(by_key["net.ipv4.linx_missing"], Outcome::Ignored(e) if e.errno() == Some(rustix::io::Errno::NOENT))
    );
    assert_eq!(by_key["net.ipv4.conf.default.rp_filter"], &Outcome::Applied);
    // (Writing `default` would propagate to lo in the kernel, so `default` is the excluded one.)
    assert_eq!(
        by_key["net.ipv4.conf.default.accept_local"],
        &Outcome::Excluded
    );
    assert_eq!(by_key["net.ipv4.conf.all.accept_local"], &Outcome::Excluded);
    assert_eq!(by_key["net.ipv4.conf.lo.accept_local"], &Outcome::Applied);
    assert!(report.is_success());
    assert_eq!(s.read_int("net.ipv4.ip_forward").unwrap(), 1);
    assert_eq!(s.read_int("net.ipv4.conf.default.rp_filter").unwrap(), 2);
    assert_eq!(s.read_int("net.ipv4.conf.default.accept_local").unwrap(), 0);
    assert_eq!(s.read_int("net.ipv4.conf.lo.accept_local").unwrap(), 1);
    assert_eq!(s.read_int("net.ipv4.conf.all.accept_local").unwrap(), 0);
    let failing = s
        .apply_conf(&parse_conf("net.ipv4.linx_missing = 1\n"))
        .unwrap();
    assert!(!failing.is_success());
}

#[test]
fn sys_30_conf_lo_matches_sysctl_line_for_line() {
    let Some((ns, s)) = fresh_net() else { return };
    if !linx_testkit::require_tool("sysctl") {
        return;
    }
    let ours: Vec<String> = s
        .list("net.ipv4.conf.lo")
        .unwrap()
        .entries
        .iter()
        .flat_map(|e| e.sysctl_lines().collect::<Vec<_>>())
        .collect();
    let theirs = ns.run("sysctl", &["net.ipv4.conf.lo"]);
    assert_eq!(ours, theirs.lines().collect::<Vec<_>>());
}

#[test]
fn sys_11_differential_against_sysctl_a() {
    let Some((ns, s)) = fresh_net() else { return };
    if !linx_testkit::require_tool("sysctl") {
        return;
    }
    let parse = |text: String| -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in text.lines() {
            if let Some((k, v)) = l.split_once(" = ") {
                m.entry(k.to_owned()).or_default().push(v.to_owned());
            } else if let Some(k) = l.strip_suffix(" =") {
                m.entry(k.to_owned()).or_default().push(String::new());
            }
        }
        m
    };
    let first = parse(ns.run("sysctl", &["-a"]));
    let listing = s.list_all().unwrap();
    let second = parse(ns.run("sysctl", &["-a"]));
    let again = s.list_all().unwrap();
    let values = |l: &linx::sysctl::Listing| -> BTreeMap<String, Vec<String>> {
        l.entries
            .iter()
            .map(|e| {
                (
                    e.key.to_string(),
                    e.sysctl_lines()
                        .map(|l| {
                            l.split_once(" = ")
                                .map_or(String::new(), |(_, v)| v.to_owned())
                        })
                        .collect(),
                )
            })
            .collect()
    };
    let ours = values(&listing);
    let ours_again = values(&again);
    // Counters that depend on the reading process itself (its open files, dentries, pids).
    let observer_dependent = [
        "fs.file-nr",
        "fs.inode-nr",
        "fs.inode-state",
        "fs.dentry-state",
        "kernel.ns_last_pid",
        "kernel.random.uuid",
        "kernel.random.entropy_avail",
    ];
    // Same key set (entries without lines, i.e. empty files, print nothing in sysctl(8)).
    let our_keys: BTreeSet<&String> = ours
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k)
        .collect();
    let their_keys: BTreeSet<&String> = first.keys().collect();
    assert_eq!(
        our_keys
            .symmetric_difference(&their_keys)
            .collect::<Vec<_>>(),
        Vec::<&&String>::new()
    );
    // Same values for every key whose value did not change between the two sysctl runs.
    let mut compared = 0;
    for (k, v) in &first {
        if second.get(k) == Some(v)
            && ours.get(k) == ours_again.get(k)
            && !observer_dependent.contains(&k.as_str())
        {
            assert_eq!(ours.get(k), Some(v), "value of {k}");
            compared += 1;
        }
    }
    assert!(compared > 500, "only {compared} stable keys compared");
}
