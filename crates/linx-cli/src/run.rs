//! `linx run` and `linx exec`: spawn (or enter) with the checkpoint, then supervise the workload
//! like a shell would: forward signals, escalate SIGTERM after a grace period, return its exit code.
//!
//! Exit codes (spec PROC-50): the workload's code; 128+N if a signal N killed it; 125 if linx failed
//! before exec; 126 for EACCES/ENOEXEC at exec; 127 for ENOENT at exec.

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use clap::Args;
use linx::error::{Errno, Operation, Stage};
use linx::ns::{NsKind, NsSet};
use linx::process::{Command, ExitStatus, Parked, Running, Signal, TimeOffsets};

/// Options shared by `run` and `exec`.
#[derive(Args, Debug)]
pub(crate) struct CommonOpts {
    /// Run on a new pseudo-terminal; with a terminal on stdin, it is put in raw mode and its size
    /// is forwarded (like `docker run -it`).
    #[arg(short = 't', long = "pty")]
    pty: bool,
    /// Set an environment variable (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Start from an empty environment.
    #[arg(long)]
    clear_env: bool,
    /// Working directory (inside the workload's mount namespace).
    #[arg(long, value_name = "DIR")]
    cwd: Option<std::path::PathBuf>,
    /// Set no_new_privs.
    #[arg(long)]
    no_new_privs: bool,
    /// Capabilities to keep (comma list of names, or `all`); everything else is dropped from
    /// every set, the bounding set included.
    #[arg(long, value_name = "LIST", conflicts_with = "cap_drop")]
    cap_keep: Option<String>,
    /// Capabilities to drop from every set (comma list, or `all`).
    #[arg(long, value_name = "LIST")]
    cap_drop: Option<String>,
    /// Seccomp profile (OCI/Docker or linx JSON) installed right before exec (implies
    /// --no-new-privs).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["seccomp_allow", "seccomp_deny"])]
    seccomp: Option<std::path::PathBuf>,
    /// Seccomp allow-list: only these syscalls (comma list) are allowed, others kill the process.
    #[arg(long, value_name = "LIST", conflicts_with = "seccomp_deny")]
    seccomp_allow: Option<String>,
    /// Seccomp deny-list: these syscalls (comma list) fail with EPERM.
    #[arg(long, value_name = "LIST")]
    seccomp_deny: Option<String>,
    /// After forwarding SIGTERM, wait this long before SIGKILL (seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    grace: f64,
    /// The program and its arguments (a bare name is looked up in PATH).
    #[arg(last = true, required = true, value_name = "PROGRAM ARGS")]
    argv: Vec<OsString>,
}

/// `linx run`.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// New namespaces: a comma list of user,pid,net,mnt,uts,ipc,cgroup,time.
    #[arg(long = "ns", value_name = "LIST", value_delimiter = ',')]
    ns: Vec<String>,
    /// All eight namespaces.
    #[arg(long, conflicts_with = "ns")]
    all_ns: bool,
    /// Host name inside a new UTS namespace.
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,
    /// Time-namespace offsets, e.g. `monotonic=10,boottime=86400` (seconds; implies --ns time).
    #[arg(long, value_name = "monotonic=S,boottime=S")]
    time_offset: Option<String>,
    /// User-namespace uid map `IN:OUT:COUNT[,…]` (implies --ns user).
    #[arg(long, value_name = "IN:OUT:COUNT")]
    uid_map: Option<String>,
    /// User-namespace gid map `IN:OUT:COUNT[,…]` (implies --ns user).
    #[arg(long, value_name = "IN:OUT:COUNT")]
    gid_map: Option<String>,
    /// Map root inside to the caller's uid and gid outside (implies --ns user).
    #[arg(long, conflicts_with_all = ["uid_map", "gid_map"])]
    map_root: bool,
    /// Set a sysctl inside the workload's namespaces (repeatable; namespaced keys only).
    #[arg(long = "sysctl", value_name = "KEY=VALUE")]
    sysctls: Vec<String>,
    /// Network: a veth pair, one end moved into the workload's new network namespace:
    /// `veth[:HOST_IF[=INNER_IF]][,host=ADDR/LEN][,addr=ADDR/LEN][,gw=IP]` (implies --ns net).
    #[arg(long, value_name = "veth[:HOST[=INNER]][,host=A/L][,addr=A/L][,gw=IP]")]
    net: Option<String>,
    /// Load an nft file (nft syntax, as `nft -f`) into the workload's network namespace after
    /// its network is set up; every table it creates is owned by linx's netlink socket, so the
    /// ruleset disappears with the workload. Needs a new network namespace (--net or --ns net).
    #[arg(long, value_name = "FILE")]
    nft: Option<std::path::PathBuf>,
    /// Run in this cgroup v2 (a path below the hierarchy's mount, created if missing and then
    /// removed afterwards); the workload is born in it (CLONE_INTO_CGROUP).
    #[arg(long, value_name = "PATH")]
    cgroup: Option<String>,
    /// memory.max for the workload's cgroup (e.g. `256M`, `max`; implies a cgroup).
    #[arg(long, value_name = "BYTES")]
    memory_max: Option<String>,
    /// pids.max for the workload's cgroup (implies a cgroup).
    #[arg(long, value_name = "N")]
    pids_max: Option<String>,
    /// cpu.max for the workload's cgroup, `QUOTA PERIOD` or `QUOTA/PERIOD` in µs (implies a
    /// cgroup).
    #[arg(long, value_name = "QUOTA/PERIOD")]
    cpu_max: Option<String>,
    /// A new root: pivot into DIR with proc, dev and a private /tmp mounted inside (implies
    /// --ns mnt).
    #[arg(long, value_name = "DIR")]
    rootfs: Option<std::path::PathBuf>,
    /// Bind a host path into the new root, `SRC:DST[:ro|:rw]` (repeatable; needs --rootfs).
    #[arg(long = "bind", value_name = "SRC:DST[:ro]", requires = "rootfs")]
    binds: Vec<String>,
    /// A mount in `key=value` form (repeatable): `type=bind,source=SRC,target=DST[,readonly]`
    /// (needs --rootfs) or `type=tmpfs,target=DST[,size=…,mode=…]` (implies --ns mnt).
    #[arg(long = "mount", value_name = "SPEC")]
    mounts: Vec<String>,
    /// Make the new root read-only (needs --rootfs).
    #[arg(long, requires = "rootfs")]
    readonly: bool,
    /// Mount a fresh tmpfs at DST, `DST[:OPTIONS]` (e.g. `/run:size=64m,mode=755`; inside the
    /// new root with --rootfs; repeatable; implies --ns mnt). The directory must exist.
    #[arg(long = "tmpfs", value_name = "DST[:OPTIONS]")]
    tmpfs: Vec<String>,
    /// Mount a fresh proc for the workload's pid namespace at /proc (without --rootfs; implies
    /// --ns mnt,pid).
    #[arg(long, conflicts_with = "rootfs")]
    proc: bool,
    #[command(flatten)]
    common: CommonOpts,
}

/// `linx exec`.
#[derive(Args, Debug)]
pub(crate) struct ExecArgs {
    /// The process whose namespaces to enter.
    #[arg(long, value_name = "PID")]
    target: i32,
    /// Only these namespaces (default: every one that differs from linx's own).
    #[arg(long = "ns", value_name = "LIST", value_delimiter = ',')]
    ns: Vec<String>,
    /// Start the workload in the target's cgroup.
    #[arg(long)]
    cgroup_of_target: bool,
    #[command(flatten)]
    common: CommonOpts,
}

/// Why `run` ends; turned into the process exit code by `main`.
pub(crate) struct Finished(pub i32);

fn input(arg: &'static str, value: &str, reason: &'static str) -> linx::Error {
    linx::Error::input(linx::error::Subsystem::Process, arg, value, reason)
}

fn parse_ns(list: &[String]) -> linx::Result<NsSet> {
    let mut set = NsSet::empty();
    for name in list {
        let kind = match name.trim() {
            "user" => NsKind::User,
            "pid" => NsKind::Pid,
            "net" => NsKind::Net,
            "mnt" | "mount" => NsKind::Mount,
            "uts" => NsKind::Uts,
            "ipc" => NsKind::Ipc,
            "cgroup" => NsKind::Cgroup,
            "time" => NsKind::Time,
            other => {
                return Err(input(
                    "namespace",
                    other,
                    "expected user, pid, net, mnt, uts, ipc, cgroup or time",
                ));
            }
        };
        set |= kind.set();
    }
    Ok(set)
}

fn parse_time_offsets(s: &str) -> linx::Result<TimeOffsets> {
    let mut o = TimeOffsets::default();
    for part in s.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| input("time offset", part, "expected CLOCK=SECONDS"))?;
        let secs: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| input("time offset", part, "seconds must be a non-negative number"))?;
        let d = Duration::from_secs_f64(secs);
        match k {
            "monotonic" => o.monotonic = d,
            "boottime" => o.boottime = d,
            _ => {
                return Err(input(
                    "time offset",
                    part,
                    "clock must be monotonic or boottime",
                ));
            }
        }
    }
    Ok(o)
}

fn build(common: &CommonOpts) -> linx::Result<Command> {
    let (program, args) = common
        .argv
        .split_first()
        .ok_or_else(|| input("program", "", "missing"))?;
    let path = std::env::var_os("PATH");
    let mut cmd = Command::new(Command::resolve(program, path.as_deref())?);
    cmd.argv0(program).args(args);
    if common.clear_env {
        cmd.env_clear();
    }
    for kv in &common.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| input("--env", kv, "expected K=V"))?;
        cmd.env(k, v);
    }
    if let Some(d) = &common.cwd {
        cmd.current_dir(d);
    }
    cmd.no_new_privs(common.no_new_privs);
    if common.pty {
        let size = linx::tty::window_size(std::io::stdin().as_fd()).ok();
        cmd.pty(size);
    }
    Ok(cmd)
}

/// The exit code for a failure before or at exec.
pub(crate) fn failure_code(e: &linx::Error) -> i32 {
    match e {
        linx::Error::Os(os) if os.operation == Operation::Stage(Stage::Execve) => match os.errno {
            Errno::NOENT => 127,
            Errno::ACCESS | Errno::NOEXEC => 126,
            _ => 125,
        },
        _ => 125,
    }
}

pub(crate) fn run(args: RunArgs) -> linx::Result<Finished> {
    let mut ns = if args.all_ns {
        NsSet::all()
    } else {
        parse_ns(&args.ns)?
    };
    let offsets = args
        .time_offset
        .as_deref()
        .map(parse_time_offsets)
        .transpose()?;
    if offsets.is_some() {
        ns |= NsSet::TIME;
    }
    let uid_map = args
        .uid_map
        .as_deref()
        .map(str::parse::<linx::user::IdMap>)
        .transpose()?;
    let gid_map = args
        .gid_map
        .as_deref()
        .map(str::parse::<linx::user::IdMap>)
        .transpose()?;
    if uid_map.is_some() || gid_map.is_some() || args.map_root {
        ns |= NsSet::USER;
    }
    let mut sysctls = Vec::new();
    for kv in &args.sysctls {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| input("--sysctl", kv, "expected KEY=VALUE"))?;
        let key: linx::sysctl::Key = k.trim().parse()?;
        sysctls.push((key, v.trim().to_owned()));
    }
    let net = args.net.as_deref().map(NetSpec::parse).transpose()?;
    if net.is_some() {
        ns |= NsSet::NET;
    }
    // Loaded (and every error located) before anything is created; compiled once the
    // workload's interfaces exist.
    let nft_source = match &args.nft {
        Some(path) => {
            if !ns.contains(NsSet::NET) {
                return Err(input(
                    "--nft",
                    &path.display().to_string(),
                    "needs a new network namespace (--net or --ns net)",
                ));
            }
            Some(
                linx::nft::load_file(path, &linx::nft::LoadOptions::default())
                    .map_err(|e| nft_compile_error(path, &e))?,
            )
        }
        None => None,
    };
    let mut tmpfs = args
        .tmpfs
        .iter()
        .map(|t| t.parse::<linx::mount::TmpfsSpec>())
        .collect::<linx::Result<Vec<_>>>()?;
    let mut binds = args
        .binds
        .iter()
        .map(|b| b.parse::<linx::mount::BindSpec>())
        .collect::<linx::Result<Vec<_>>>()?;
    for m in &args.mounts {
        match m.parse::<linx::mount::MountSpec>()? {
            linx::mount::MountSpec::Bind(b) => {
                if args.rootfs.is_none() {
                    return Err(input("--mount", m, "a bind mount needs --rootfs"));
                }
                binds.push(b);
            }
            linx::mount::MountSpec::Tmpfs(t) => tmpfs.push(t),
        }
    }
    if args.rootfs.is_some() || !tmpfs.is_empty() {
        ns |= NsSet::MOUNT;
    }
    if args.proc {
        ns |= NsSet::MOUNT | NsSet::PID;
    }
    let rootfs = match &args.rootfs {
        Some(dir) => {
            let mut spec = linx::mount::RootfsSpec::new(dir).read_only(args.readonly);
            for b in &binds {
                spec = spec.bind(b.clone());
            }
            for t in &tmpfs {
                spec = spec.tmpfs(t.clone());
            }
            Some(spec)
        }
        None => None,
    };
    let limits = CgroupLimits::parse(&args)?;
    // The caller's working directory means nothing inside a new root.
    let default_cwd = args.rootfs.is_some() && args.common.cwd.is_none();
    if args.hostname.is_some() && !ns.contains(NsSet::UTS) {
        return Err(input(
            "--hostname",
            args.hostname.as_deref().unwrap_or_default(),
            "needs a new UTS namespace (--ns uts)",
        ));
    }
    let mut cmd = build(&args.common)?;
    cmd.namespaces(ns);
    if default_cwd {
        cmd.current_dir("/");
    }
    if let Some(o) = offsets {
        cmd.time_offsets(o);
    }
    // With a map that covers id 0 inside, the workload switches to root inside after the maps
    // are written (its ids at clone time are the caller's, unmapped there).
    let maps_root = |m: &Option<linx::user::IdMap>| {
        m.as_ref()
            .is_some_and(|m| m.entries().iter().any(|e| e.inside == 0))
    };
    if maps_root(&uid_map) {
        cmd.uid(0);
    }
    if maps_root(&gid_map) {
        cmd.gid(0);
    }
    let seccomp = seccomp_filter(&args.common)?;
    if seccomp.is_some() {
        cmd.no_new_privs(true);
    }
    let signals = SignalFd::new()?;
    // Created before the clone, so the workload is born in its cgroup; removed when we are done.
    let cgroup = match (&args.cgroup, limits.any()) {
        (None, false) => None,
        (path, _) => Some(OwnedCgroup::create(path.as_deref())?),
    };
    if let Some(cg) = &cgroup {
        limits.apply(&cg.cgroup)?;
        cmd.cgroup_fd(cg.cgroup.open_dir_fd()?);
    }
    let mut parked = cmd.spawn()?;
    // The checkpoint: identity first (maps), then the namespaces' settings, then what the child
    // applies to itself.
    if args.map_root {
        linx::user::map_root_to_caller(&parked.pidfd()?)?;
    } else if uid_map.is_some() || gid_map.is_some() {
        let pidfd = parked.pidfd()?;
        if let Some(g) = &gid_map {
            linx::user::deny_setgroups(&pidfd)?;
            linx::user::write_gid_map(&pidfd, g)?;
        }
        if let Some(u) = &uid_map {
            linx::user::write_uid_map(&pidfd, u)?;
        }
    }
    if let Some(name) = &args.hostname {
        set_hostname(&parked, name)?;
    }
    if !sysctls.is_empty() {
        let sysctl = linx::sysctl::Sysctl::new(parked.target()?);
        for (key, value) in &sysctls {
            sysctl.write(key, value.as_str())?;
        }
    }
    let veth = match &net {
        Some(net) => Some(net.apply(&parked)?),
        None => None,
    };
    // Held until the workload is gone: its tables are owned by this socket.
    let _nft = match (&nft_source, &args.nft) {
        (Some(src), Some(path)) => Some(load_nft(&parked, src, path)?),
        _ => None,
    };
    if ns.contains(NsSet::MOUNT) {
        // Like unshare(1): the workload's copy of the tree stops sharing mount events with
        // linx's namespace first, so nothing mounted for (or by) the workload appears outside.
        linx::mount::Mounts::new(parked.target()?).set_propagation(
            "/",
            linx::mount::Propagation::Private,
            true,
        )?;
    }
    if let Some(spec) = &rootfs {
        linx::mount::setup_rootfs(&parked.target()?, spec)?;
    } else {
        let mounts = linx::mount::Mounts::new(parked.target()?);
        use linx::mount::MountFlags;
        if args.proc {
            mounts.mount_proc(
                "/proc",
                MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
            )?;
        }
        for t in &tmpfs {
            mounts.mount(
                "tmpfs",
                &t.dest,
                "tmpfs",
                MountFlags::NOSUID | MountFlags::NODEV,
                &t.options,
            )?;
        }
    }
    checkpoint_self(&mut parked, &args.common, seccomp.as_ref())?;
    let finished = supervise(parked, &args.common, signals);
    // The pair dies with the workload's namespace, but the kernel tears namespaces down
    // asynchronously: delete the host end now so nothing is left behind when linx returns.
    if let Some(host_if) = veth
        && let Ok(mut rtnl) = linx::rtnl::Rtnl::open(&linx::ns::NsTarget::Current)
    {
        let _ = rtnl.delete_link(host_if.as_str());
    }
    drop(cgroup);
    finished
}

/// Prints the located diagnostics of an nft file and turns them into one input error.
fn nft_compile_error(path: &std::path::Path, e: &linx::nft::CompileError) -> linx::Error {
    eprint!("{e}");
    input(
        "--nft",
        &path.display().to_string(),
        if e.is_unsupported() {
            "uses constructs linx does not reproduce exactly (diagnostics above)"
        } else {
            "does not compile (diagnostics above)"
        },
    )
}

/// `--nft`: compiles the file against the workload's interfaces and commits it as one batch
/// of socket-owned tables in the workload's network namespace.
fn load_nft(
    parked: &Parked,
    src: &linx::nft::Source,
    path: &std::path::Path,
) -> linx::Result<linx::netfilter::Nft> {
    let target = parked.target()?;
    let resolver = linx::nft::NetlinkIfResolver::new(&target)?;
    let program = linx::nft::compile(src, &linx::nft::CompileEnv::new(&resolver))
        .map_err(|e| nft_compile_error(path, &e))?
        .socket_owned()?;
    let mut nft = linx::netfilter::Nft::open(&target)?;
    match linx::nft::apply_with(&program, &mut nft) {
        Ok(()) => Ok(nft),
        Err(e) => {
            if let linx::nft::ApplyError::Kernel {
                diagnostic: Some(d),
                sources,
                ..
            } = &e
            {
                eprint!("{}", d.render(sources));
            }
            Err(match e {
                linx::nft::ApplyError::Kernel { error, .. } | linx::nft::ApplyError::Io(error) => {
                    error
                }
            })
        }
    }
}

/// `--memory-max`, `--pids-max`, `--cpu-max`.
struct CgroupLimits {
    memory: Option<linx::cgroup::Limit>,
    pids: Option<linx::cgroup::Limit>,
    cpu: Option<linx::cgroup::CpuMax>,
}

impl CgroupLimits {
    fn parse(args: &RunArgs) -> linx::Result<CgroupLimits> {
        Ok(CgroupLimits {
            memory: args
                .memory_max
                .as_deref()
                .map(linx::cgroup::Limit::parse_bytes)
                .transpose()?,
            pids: args.pids_max.as_deref().map(str::parse).transpose()?,
            cpu: args
                .cpu_max
                .as_deref()
                .map(|s| s.replace('/', " ").parse())
                .transpose()?,
        })
    }

    fn any(&self) -> bool {
        self.memory.is_some() || self.pids.is_some() || self.cpu.is_some()
    }

    /// Enables the needed controllers top-down, then writes the limits; a host whose cgroup v2
    /// lacks a controller gives an `Unsupported` error naming why.
    fn apply(&self, cg: &linx::cgroup::Cgroup) -> linx::Result<()> {
        use linx::cgroup::Controller;
        let mut need = Vec::new();
        if self.memory.is_some() {
            need.push(Controller::Memory);
        }
        if self.pids.is_some() {
            need.push(Controller::Pids);
        }
        if self.cpu.is_some() {
            need.push(Controller::Cpu);
        }
        if need.is_empty() {
            return Ok(());
        }
        cg.ensure_controllers(&need)?;
        if let Some(m) = self.memory {
            cg.set_memory_max(m)?;
        }
        if let Some(p) = self.pids {
            cg.set_pids_max(p)?;
        }
        if let Some(c) = self.cpu {
            cg.set_cpu_max(c)?;
        }
        Ok(())
    }
}

/// A cgroup `linx run` uses; removed on drop when linx created it.
struct OwnedCgroup {
    cgroup: linx::cgroup::Cgroup,
    created: bool,
}

impl OwnedCgroup {
    fn create(path: Option<&str>) -> linx::Result<OwnedCgroup> {
        let root = linx::cgroup::Cgroup::root()?;
        let default = format!("linx-run-{}", std::process::id());
        let rel = path.unwrap_or(&default).trim_start_matches('/');
        match root.child(rel) {
            Ok(cgroup) if cgroup.exists() => Ok(OwnedCgroup {
                cgroup,
                created: false,
            }),
            _ => Ok(OwnedCgroup {
                cgroup: root.create_all(rel)?,
                created: true,
            }),
        }
    }
}

impl Drop for OwnedCgroup {
    fn drop(&mut self) {
        if self.created {
            let _ = self.cgroup.remove();
        }
    }
}

/// `--net veth[:HOST[=INNER]][,host=A/L][,addr=A/L][,gw=IP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NetSpec {
    host_if: Option<String>,
    inner_if: String,
    host_addr: Option<linx::types::IfAddr>,
    addr: Option<linx::types::IfAddr>,
    gw: Option<std::net::IpAddr>,
}

impl NetSpec {
    fn parse(s: &str) -> linx::Result<NetSpec> {
        let bad = |why: &'static str| input("--net", s, why);
        let mut parts = s.split(',');
        let head = parts.next().unwrap_or_default();
        let names = match head.split_once(':') {
            Some(("veth", names)) => Some(names),
            None if head == "veth" => None,
            _ => {
                return Err(bad(
                    "only `veth` is supported: veth[:HOST[=INNER]][,host=A/L][,addr=A/L][,gw=IP]",
                ));
            }
        };
        let (host_if, inner_if) = match names.map(|n| n.split_once('=').unwrap_or((n, "eth0"))) {
            Some((h, i)) => (Some(h.to_owned()), i.to_owned()),
            None => (None, "eth0".to_owned()),
        };
        for name in host_if.iter().chain(std::iter::once(&inner_if)) {
            name.parse::<linx::types::IfName>()?;
        }
        let mut spec = NetSpec {
            host_if,
            inner_if,
            host_addr: None,
            addr: None,
            gw: None,
        };
        for kv in parts {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad("expected KEY=VALUE after the first comma"))?;
            match k {
                "host" => spec.host_addr = Some(v.parse()?),
                "addr" => spec.addr = Some(v.parse()?),
                "gw" => {
                    spec.gw = Some(
                        v.parse()
                            .map_err(|_| input("--net gw", v, "not an IP address"))?,
                    )
                }
                _ => return Err(bad("keys are host, addr and gw")),
            }
        }
        Ok(spec)
    }

    /// Creates the pair in linx's namespace, moves the inner end into the workload's, addresses
    /// both ends, brings them up and adds the default route inside. Returns the host end's name.
    fn apply(&self, parked: &Parked) -> linx::Result<String> {
        use linx::rtnl::{AddressSpec, LinkSpec, NetnsDest, RouteSpec, Rtnl};
        let target = parked.target()?;
        let host_if = self
            .host_if
            .clone()
            .unwrap_or_else(|| format!("lx{}", parked.pid()));
        // A temporary inner name that cannot clash on the host; renamed once inside.
        let tmp_inner = format!("lx{}i", parked.pid());
        let mut host = Rtnl::open(&linx::ns::NsTarget::Current)?;
        host.create_link(&LinkSpec::veth(&host_if, &tmp_inner))?;
        host.move_link(tmp_inner.as_str(), NetnsDest::Target(target.clone()))?;
        if let Some(a) = self.host_addr {
            host.add_address(&AddressSpec::new(host_if.as_str(), a))?;
        }
        host.set_up(host_if.as_str())?;
        let mut inner = Rtnl::open(&target)?;
        inner.set_name(tmp_inner.as_str(), &self.inner_if)?;
        inner.set_up("lo")?;
        if let Some(a) = self.addr {
            inner.add_address(&AddressSpec::new(self.inner_if.as_str(), a))?;
        }
        inner.set_up(self.inner_if.as_str())?;
        if let Some(gw) = self.gw {
            inner.add_route(&RouteSpec::default_via(gw))?;
        }
        Ok(host_if)
    }
}

/// The compiled filter of `--seccomp`, `--seccomp-allow` or `--seccomp-deny`.
fn seccomp_filter(common: &CommonOpts) -> linx::Result<Option<linx::seccomp::Filter>> {
    use linx::seccomp::{Action, Arch, Filter};
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(if let Some(path) = &common.seccomp {
        Some(crate::seccomp::load(path, None)?)
    } else if let Some(list) = &common.seccomp_allow {
        Some(Filter::allow_list(Arch::native()?, names(list))?)
    } else if let Some(list) = &common.seccomp_deny {
        Some(Filter::deny_list(
            Arch::native()?,
            names(list),
            Action::errno(Errno::PERM),
        )?)
    } else {
        None
    })
}

/// Checkpoint commands the child applies to itself: capabilities now, seccomp at exec.
fn checkpoint_self(
    parked: &mut Parked,
    common: &CommonOpts,
    seccomp: Option<&linx::seccomp::Filter>,
) -> linx::Result<()> {
    use linx::caps::{CapPlan, CapSet};
    if let Some(keep) = &common.cap_keep {
        parked.caps(&CapPlan::keep_only(CapSet::from_names(keep)?))?;
    } else if let Some(drop) = &common.cap_drop {
        let state = linx::caps::read(&parked.pidfd()?)?;
        parked.caps(&CapPlan::drop_from(&state, CapSet::from_names(drop)?))?;
    }
    if let Some(filter) = seccomp {
        parked.seccomp(filter, linx::seccomp::InstallFlags::empty(), false)?;
    }
    Ok(())
}

pub(crate) fn exec(args: ExecArgs) -> linx::Result<Finished> {
    let mut cmd = build(&args.common)?;
    let kinds = if args.ns.is_empty() {
        None
    } else {
        Some(parse_ns(&args.ns)?)
    };
    cmd.enter(linx::pidfd::Pidfd::open(args.target)?, kinds)
        .enter_cgroup(args.cgroup_of_target);
    let seccomp = seccomp_filter(&args.common)?;
    if seccomp.is_some() {
        cmd.no_new_privs(true);
    }
    let signals = SignalFd::new()?;
    let mut parked = cmd.spawn()?;
    checkpoint_self(&mut parked, &args.common, seccomp.as_ref())?;
    supervise(parked, &args.common, signals)
}

fn set_hostname(parked: &Parked, name: &str) -> linx::Result<()> {
    if name.is_empty() || name.len() > 64 || name.contains(['\0', '\n']) {
        return Err(input(
            "--hostname",
            name,
            "must be 1 to 64 bytes without NUL or newline",
        ));
    }
    parked
        .target()?
        .run(NsSet::UTS, || {
            std::fs::write("/proc/sys/kernel/hostname", name)
        })?
        .map_err(|e| {
            linx::error::OsError::new(
                linx::error::Subsystem::Sysctl,
                Operation::Write,
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
            )
            .key("kernel.hostname")
            .into()
        })
}

/// Proceeds, then forwards signals and (with a PTY) pumps the terminal until the workload exits.
fn supervise(parked: Parked, common: &CommonOpts, signals: SignalFd) -> linx::Result<Finished> {
    let running = parked.proceed()?;
    let grace = Duration::from_secs_f64(common.grace.max(0.0));
    let status = if running.pty().is_some() {
        let interactive = rustix::termios::isatty(std::io::stdin());
        let raw = if interactive {
            linx::tty::RawMode::controlling().ok()
        } else {
            None
        };
        let term = raw.as_ref().and_then(|r| r.fd()).map(|f| f.as_raw_fd());
        let status = std::thread::scope(|s| {
            let pump = s.spawn(|| {
                let stdin = std::io::stdin();
                let stdout = std::io::stdout();
                let input = interactive.then(|| stdin.as_fd());
                // The closure reads the local terminal's size: resizes reach the child without any
                // signal handler.
                linx::tty::pump(
                    running.pty().map(|p| p.as_fd()).unwrap_or(stdout.as_fd()),
                    input,
                    stdout.as_fd(),
                    running.as_fd(),
                    || {
                        // SAFETY: the raw-mode guard keeps the terminal fd open during the pump.
                        term.and_then(|fd| {
                            linx::tty::window_size(unsafe {
                                std::os::fd::BorrowedFd::borrow_raw(fd)
                            })
                            .ok()
                        })
                    },
                )
            });
            let status = wait_forwarding(&running, &signals, grace);
            let pumped = pump.join();
            (status, pumped)
        });
        drop(raw);
        let (status, pumped) = status;
        if let Ok(Err(e)) = pumped {
            eprintln!("linx: {e}");
        }
        status?
    } else {
        wait_forwarding(&running, &signals, grace)?
    };
    Ok(Finished(status.shell_code()))
}

/// Waits for the workload while forwarding SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGTERM; after
/// SIGTERM, sends SIGKILL if the workload outlives the grace period.
fn wait_forwarding(
    running: &Running,
    signals: &SignalFd,
    grace: Duration,
) -> linx::Result<ExitStatus> {
    use rustix::event::{PollFd, PollFlags};
    let mut kill_at: Option<Instant> = None;
    loop {
        if let Some(s) = running.try_wait()? {
            return Ok(s);
        }
        let timeout = kill_at.map(|t| {
            let left = t.saturating_duration_since(Instant::now());
            rustix::time::Timespec {
                tv_sec: left.as_secs() as i64,
                tv_nsec: i64::from(left.subsec_nanos()),
            }
        });
        let mut fds = [
            PollFd::new(running, PollFlags::IN),
            PollFd::new(&signals.fd, PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => {
                return Err(linx::error::OsError::new(
                    linx::error::Subsystem::Process,
                    Operation::Poll,
                    e,
                )
                .into());
            }
        }
        let signal_ready = fds[1].revents().contains(PollFlags::IN);
        if signal_ready {
            while let Some(sig) = signals.read() {
                if sig == libc::SIGWINCH {
                    continue; // sizes are forwarded by the pump
                }
                if let Ok(s) = Signal::new(sig) {
                    let _ = running.signal(s);
                }
                if sig == libc::SIGTERM && kill_at.is_none() {
                    kill_at = Some(Instant::now() + grace);
                }
            }
        }
        if let Some(t) = kill_at
            && Instant::now() >= t
        {
            let _ = running.signal(Signal::KILL);
            kill_at = None;
        }
    }
}

/// The forwarded signals, blocked in this thread (and so in threads spawned later) and read from
/// a signalfd.
struct SignalFd {
    fd: OwnedFd,
}

const FORWARDED: [i32; 7] = [
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGTERM,
    libc::SIGWINCH,
];

impl SignalFd {
    fn new() -> linx::Result<SignalFd> {
        // SAFETY: sigset manipulation on a local set; pthread_sigmask changes only this thread's
        // mask; signalfd returns a new fd or -1.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in FORWARDED {
                libc::sigaddset(&mut set, s);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if fd < 0 {
                return Err(linx::error::OsError::new(
                    linx::error::Subsystem::Process,
                    Operation::Syscall("signalfd"),
                    Errno::from_raw_os_error(
                        std::io::Error::last_os_error()
                            .raw_os_error()
                            .unwrap_or(libc::EINVAL),
                    ),
                )
                .into());
            }
            Ok(SignalFd {
                fd: OwnedFd::from_raw_fd(fd),
            })
        }
    }

    /// The next pending signal, if any.
    fn read(&self) -> Option<i32> {
        let mut info = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
        match rustix::io::read(&self.fd, &mut info) {
            Ok(n) if n == info.len() => {
                Some(u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespace_lists_and_offsets() {
        let s = parse_ns(&["net".into(), "mnt".into(), "pid".into()]).unwrap();
        assert_eq!(s, NsSet::NET | NsSet::MOUNT | NsSet::PID);
        assert!(parse_ns(&["bogus".into()]).unwrap_err().is_input());
        let o = parse_time_offsets("monotonic=10,boottime=86400").unwrap();
        assert_eq!(o.boottime, Duration::from_secs(86400));
        assert!(parse_time_offsets("realtime=1").unwrap_err().is_input());
        assert!(parse_time_offsets("boottime=-1").unwrap_err().is_input());
    }
}
