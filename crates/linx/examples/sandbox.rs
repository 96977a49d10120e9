//! The headline composition: one workload, configured completely at the checkpoint.
//!
//! As root, `cargo run --release --example sandbox` spawns `/bin/sh` parked before `execve` in new
//! user, pid, net, mount, uts, ipc and cgroup namespaces, and then, while it is parked:
//!
//! 1. maps root inside to uid/gid 100000 outside;
//! 2. puts it in a fresh cgroup v2 with memory, pids and cpu limits (saying so in one line when the
//!    host's cgroup v2 lacks those controllers, and continuing without them);
//! 3. names its host;
//! 4. creates a veth pair, moves one end in, addresses both ends and adds a default route inside;
//! 5. pushes a socket-owned nf_tables ruleset into its network namespace (input: drop by default,
//!    established and TCP port 8080 allowed; output: TCP port 9 rejected);
//! 6. sets a namespaced sysctl;
//! 7. gives it a fresh root (host `/usr` and `/etc` read-only, `proc`, `dev` and a private `/tmp`);
//! 8. drops every capability but `cap_net_bind_service`;
//! 9. queues a seccomp allow-list (every syscall but the namespace, mount, module, tracing and
//!    clock ones, which fail with EPERM);
//!
//! then lets it run a script that shows each constraint from the inside, and removes everything it
//! created when the workload ends — also on Ctrl-C or SIGTERM. Every step prints one line.
//!
//! Set `LINX_SANDBOX_HOLD=1` to keep the workload running (sleeping) after its report, e.g. to
//! inspect it from another terminal or to test interruption.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::ExitCode;

use linx::caps::{Cap, CapPlan, CapSet};
use linx::cgroup::{Cgroup, Controller, CpuMax, Limit};
use linx::mount::{BindSpec, RootfsSpec};
use linx::netfilter::builder::{CtState, RuleBuilder, ct, meta, tcp};
use linx::netfilter::{
    BaseChain, Chain, ChainType, Family, Hook, Nft, Policy, Ruleset, Table, TableLifetime,
};
use linx::ns::NsSet;
use linx::process::{Command, ExitStatus, Running, Signal, Stdio};
use linx::rtnl::{AddressSpec, LinkSpec, NetnsDest, RouteSpec, Rtnl};
use linx::seccomp::{Action, Arch, Filter, InstallFlags};
use linx::types::IfAddr;

/// What the workload runs: one line per constraint.
const REPORT: &str = r#"
echo "  uid map:      $(awk '{print $1, $2, $3}' /proc/self/uid_map)"
echo "  identity:     $(id)"
echo "  hostname:     $(hostname)"
echo "  addresses:    $(ip -o -4 addr show | awk '{print $2, $4}' | tr '\n' ' ')"
echo "  routes:       $(ip route | head -1)"
echo "  seccomp:      $(unshare --user true 2>&1 || true)"
echo "  firewall:     tcp to $GW:9: $(bash -c 'exec 3<>/dev/tcp/$GW/9' 2>&1 | head -1 | sed 's/.*: //')"
echo "  capabilities: $(grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr -s '\t\n' '  ')"
echo "  cgroup:       $(grep '^0::' /proc/self/cgroup) (its own cgroup namespace)"
echo "  sysctl:       net.ipv4.ip_unprivileged_port_start = $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
echo "  root:         $(ls / | tr '\n' ' ')"
echo "  pid:          $$"
if [ -n "$HOLD" ]; then exec sleep 3600; fi
"#;

/// The syscalls the allow-list leaves out (they fail with EPERM).
const DENIED: &[&str] = &[
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsmount",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "bpf",
    "perf_event_open",
    "reboot",
    "swapon",
    "swapoff",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "acct",
    "quotactl",
    "add_key",
    "request_key",
    "keyctl",
    "userfaultfd",
    "open_by_handle_at",
];

/// Everything the example created on the host, removed on drop (success, error or signal).
#[derive(Default)]
struct Cleanup {
    veth: Option<String>,
    cgroup: Option<Cgroup>,
    rootfs: Option<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(name) = self.veth.take()
            && let Ok(mut rtnl) = Rtnl::open(&linx::ns::NsTarget::Current)
        {
            // Usually already gone: a veth pair dies with the namespace of its other end.
            let _ = rtnl.delete_link(name.as_str());
        }
        if let Some(cg) = self.cgroup.take() {
            let _ = cg.remove();
        }
        if let Some(dir) = self.rootfs.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        println!("cleanup:   removed the host veth end, the cgroup and the rootfs directory");
    }
}

fn step(name: &str, what: impl std::fmt::Display) {
    println!("{name:<10} {what}");
    let _ = std::io::stdout().flush();
}

fn main() -> ExitCode {
    // Block the interrupting signals before any thread exists; they are read from a signalfd
    // while the workload runs, so cleanup always happens.
    let signals = match SignalFd::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    let mut cleanup = Cleanup::default();
    match run(&mut cleanup, &signals) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sandbox: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cleanup: &mut Cleanup, signals: &SignalFd) -> linx::Result<u8> {
    let tag = std::process::id();
    let (host_ip, inner_ip) = (
        Ipv4Addr::new(10, 200, (tag % 250) as u8, 1),
        Ipv4Addr::new(10, 200, (tag % 250) as u8, 2),
    );

    // The cgroup exists before the clone: the child is born in it (CLONE_INTO_CGROUP).
    let cgroup = cleanup
        .cgroup
        .insert(Cgroup::root()?.create_child(&format!("linx-sandbox-{tag}"))?);
    let wanted = [Controller::Memory, Controller::Pids, Controller::Cpu];
    let limits = match cgroup.ensure_controllers(&wanted) {
        Ok(()) => {
            cgroup.set_memory_max(Limit::Value(256 << 20))?;
            cgroup.set_pids_max(Limit::Value(64))?;
            cgroup.set_cpu_max(CpuMax::new(Some(50_000), 100_000)?)?;
            "memory.max 256M, pids.max 64, cpu.max 50%".to_owned()
        }
        Err(_) => {
            let missing: Vec<String> = linx::cgroup::hierarchy()?
                .unavailable
                .into_iter()
                .filter(|(c, _)| ["memory", "pids", "cpu"].contains(&c.as_str()))
                .map(|(c, why)| format!("{c} {why}"))
                .collect();
            format!("no limits on this host: {}", missing.join("; "))
        }
    };
    let cgroup_fd = cgroup.open_dir_fd()?;

    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", REPORT])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("GW", host_ip.to_string())
        .namespaces(
            NsSet::USER
                | NsSet::PID
                | NsSet::NET
                | NsSet::MOUNT
                | NsSet::UTS
                | NsSet::IPC
                | NsSet::CGROUP,
        )
        .cgroup_fd(cgroup_fd)
        .uid(0)
        .gid(0)
        .no_new_privs(true)
        .current_dir("/")
        .stdin(Stdio::Null);
    if std::env::var_os("LINX_SANDBOX_HOLD").is_some() {
        cmd.env("HOLD", "1");
    }
    let mut parked = cmd.spawn()?;
    step(
        "spawn:",
        format!(
            "parked pid {} (pid {} inside) in user, pid, net, mnt, uts, ipc, cgroup namespaces",
            parked.pid(),
            parked.ns_pid()
        ),
    );

    // 1. identity
    let map: linx::user::IdMap = "0:100000:65536".parse()?;
    let pidfd = parked.pidfd()?;
    linx::user::deny_setgroups(&pidfd)?;
    linx::user::write_gid_map(&pidfd, &map)?;
    linx::user::write_uid_map(&pidfd, &map)?;
    step("user:", "uid/gid 0-65535 inside = 100000-165535 outside");

    // 2. resources
    step(
        "cgroup:",
        format!(
            "{} ({limits})",
            cleanup
                .cgroup
                .as_ref()
                .map(|c| c.path().display().to_string())
                .unwrap_or_default()
        ),
    );

    // 3. host name
    let target = parked.target()?;
    linx::sysctl::Sysctl::new(target.clone()).write("kernel.hostname", "sandbox")?;
    step("uts:", "hostname sandbox");

    // 4. network
    let (host_if, inner_if) = (format!("lx{tag}h"), format!("lx{tag}c"));
    let mut host = Rtnl::open(&linx::ns::NsTarget::Current)?;
    host.create_link(&LinkSpec::veth(&host_if, &inner_if))?;
    cleanup.veth = Some(host_if.clone());
    host.move_link(inner_if.as_str(), NetnsDest::Target(target.clone()))?;
    host.add_address(&AddressSpec::new(
        host_if.as_str(),
        IfAddr::new(IpAddr::V4(host_ip), 30)?,
    ))?;
    host.set_up(host_if.as_str())?;
    let mut inner = Rtnl::open(&target)?;
    inner.set_up("lo")?;
    inner.add_address(&AddressSpec::new(
        inner_if.as_str(),
        IfAddr::new(IpAddr::V4(inner_ip), 30)?,
    ))?;
    inner.set_up(inner_if.as_str())?;
    inner.add_route(&RouteSpec::default_via(IpAddr::V4(host_ip)))?;
    step(
        "net:",
        format!(
            "veth {host_if} {host_ip}/30 <-> {inner_if} {inner_ip}/30 inside, default via {host_ip}"
        ),
    );

    // 5. firewall, owned by this socket: it disappears with the socket (or the namespace)
    let mut nft = Nft::open(&target)?;
    nft.push_replace(&ruleset()?)?;
    step(
        "nft:",
        "table inet sandbox (socket-owned): input drop except established and tcp 8080; output rejects tcp 9",
    );

    // 6. a namespaced sysctl
    linx::sysctl::Sysctl::new(target.clone()).write("net.ipv4.ip_unprivileged_port_start", "0")?;
    step(
        "sysctl:",
        "net.ipv4.ip_unprivileged_port_start = 0 (inside only)",
    );

    // 7. a fresh root
    let rootfs = std::env::temp_dir().join(format!("linx-sandbox-{tag}"));
    std::fs::create_dir_all(&rootfs).map_err(|e| io_error("create rootfs", &rootfs, e))?;
    cleanup.rootfs = Some(rootfs.clone());
    for (link, to) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        let _ = std::os::unix::fs::symlink(to, rootfs.join(link));
    }
    let spec = RootfsSpec::new(&rootfs)
        .bind(BindSpec::new("/usr", "/usr").read_only())
        .bind(BindSpec::new("/etc", "/etc").read_only())
        .read_only(true);
    linx::mount::setup_rootfs(&target, &spec)?;
    step(
        "mount:",
        format!(
            "pivoted into {} with /usr and /etc read-only, proc, dev, private /tmp",
            rootfs.display()
        ),
    );

    // 8. capabilities
    parked.caps_at_exec(&CapPlan::keep_only(CapSet::single(Cap::NetBindService)))?;
    step(
        "caps:",
        "all dropped but cap_net_bind_service (bounding, effective, permitted)",
    );

    // 9. seccomp, installed right before execve
    let arch = Arch::native()?;
    let filter = arch
        .syscalls()
        .map(|(name, _)| name)
        .filter(|n| !DENIED.contains(n))
        .fold(
            Filter::builder(arch).default_action(Action::errno(linx::error::Errno::PERM)),
            |b, n| b.allow(n),
        )
        .build()?;
    parked.seccomp(&filter, InstallFlags::empty(), false)?;
    step(
        "seccomp:",
        format!(
            "allow-list of {} syscalls, {} denied with EPERM ({} instructions)",
            filter.syscall_count(),
            DENIED.len(),
            filter.len()
        ),
    );

    let running = parked.proceed()?;
    step("proceed:", "the workload reports from the inside:");
    let status = wait_or_interrupt(&running, signals)?;
    drop(nft);
    step("exit:", status);
    Ok(u8::try_from(status.shell_code()).unwrap_or(255))
}

fn ruleset() -> linx::Result<Ruleset> {
    let mut table = Table::new(Family::Inet, "sandbox", TableLifetime::SocketOwned)?;
    let mut input = Chain::base(
        "input",
        BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Drop),
    )?;
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(ct().state(CtState::ESTABLISHED | CtState::RELATED))
            .accept(),
    );
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(meta().iifname("lo"))
            .accept(),
    );
    input.push(
        RuleBuilder::new(Family::Inet)
            .matches(tcp().dport(8080))
            .accept(),
    );
    let mut output = Chain::base(
        "output",
        BaseChain::new(ChainType::Filter, Hook::Output, 0).policy(Policy::Accept),
    )?;
    output.push(
        RuleBuilder::new(Family::Inet)
            .matches(tcp().dport(9))
            .reject(),
    );
    table.add_chain(input)?;
    table.add_chain(output)?;
    let mut rs = Ruleset::new();
    rs.add_table(table)?;
    Ok(rs)
}

/// Waits for the workload; SIGINT/SIGTERM/SIGHUP kill it, so cleanup runs either way.
fn wait_or_interrupt(running: &Running, signals: &SignalFd) -> linx::Result<ExitStatus> {
    use rustix::event::{PollFd, PollFlags};
    loop {
        if let Some(s) = running.try_wait()? {
            return Ok(s);
        }
        let mut fds = [
            PollFd::new(running, PollFlags::IN),
            PollFd::new(&signals.fd, PollFlags::IN),
        ];
        let _ = rustix::event::poll(&mut fds, None);
        if fds[1].revents().contains(PollFlags::IN)
            && let Some(sig) = signals.read()
        {
            step(
                "signal:",
                format!(
                    "{} received, stopping the workload",
                    Signal::new(sig).map(|s| s.to_string()).unwrap_or_default()
                ),
            );
            let _ = running.signal(Signal::KILL);
        }
    }
}

fn io_error(what: &'static str, path: &std::path::Path, e: std::io::Error) -> linx::Error {
    linx::error::OsError::new(
        linx::error::Subsystem::Mount,
        linx::error::Operation::Syscall(what),
        linx::error::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
    )
    .path(path)
    .into()
}

struct SignalFd {
    fd: OwnedFd,
}

impl SignalFd {
    fn new() -> std::io::Result<SignalFd> {
        // SAFETY: signal-set manipulation on a local set; the mask change affects this thread and
        // the threads it creates later; signalfd returns a new fd or -1.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, s);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(SignalFd {
                fd: OwnedFd::from_raw_fd(fd),
            })
        }
    }

    fn read(&self) -> Option<i32> {
        let mut buf = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
        match rustix::io::read(&self.fd, &mut buf) {
            Ok(n) if n == buf.len() => {
                Some(u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as i32)
            }
            _ => None,
        }
    }
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
