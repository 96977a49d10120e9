//! VM tier for cgroups: the real controllers (pure cgroup v2 with every controller enabled at the
//! root, in the qemu guest of `cargo xtask vm-test`). Limits, controller enabling, OOM kills,
//! fork limits, CPU throttling and statistics.
//!
//! Every test creates its own parent `/sys/fs/cgroup/linx-test-<pid>-<n>` (no processes of its
//! own, so it may enable controllers for its children) and removes it afterwards.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use linx::cgroup::{
    self, Cgroup, Controller, CpuList, CpuMax, Limit, Partition, RemoveOptions, WatchEvent,
};
use linx::error::Errno;

static COUNTER: AtomicUsize = AtomicUsize::new(0);
const WAIT: Duration = Duration::from_secs(20);

struct TestParent {
    cg: Cgroup,
}

impl TestParent {
    fn new(what: &str) -> Option<TestParent> {
        if !linx_testkit::require_vm(what) {
            return None;
        }
        let root = Cgroup::root().expect("cgroup v2 root");
        let name = format!(
            "linx-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let cg = root.create_child(&name).expect("test parent");
        Some(TestParent { cg })
    }

    /// A child with `controllers` usable in it.
    fn leaf(&self, name: &str, controllers: &[Controller]) -> Cgroup {
        self.cg.enable(controllers).unwrap().into_result().unwrap();
        self.cg.create_child(name).unwrap()
    }
}

impl Drop for TestParent {
    fn drop(&mut self) {
        if let Err(e) = self.cg.remove_with(&RemoveOptions::default()) {
            eprintln!("cleanup of {} failed: {e}", self.cg);
        }
    }
}

struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `sh -c script` that waits for a line on stdin before running, moves it into `cg`, then
/// releases it — so everything it does happens inside the cgroup.
fn run_in(cg: &Cgroup, script: &str) -> Child {
    use std::io::Write;
    let mut sh = Command::new("sh")
        .args(["-c", &format!("read go; {script}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh");
    cg.add_process(sh.id() as i32).unwrap();
    sh.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    sh
}

#[test]
fn vm_cg_06_limits_read_back() {
    let Some(t) = TestParent::new("cgroup v2 controllers") else {
        return;
    };
    let cg = t.leaf(
        "limits",
        &[
            Controller::Memory,
            Controller::Pids,
            Controller::Cpu,
            Controller::Io,
            Controller::Cpuset,
        ],
    );
    cg.set_memory_max(Limit::parse_bytes("256M").unwrap())
        .unwrap();
    assert_eq!(cg.read("memory.max").unwrap(), "268435456");
    assert_eq!(cg.memory_max().unwrap(), Limit::Value(268_435_456));
    cg.set_memory_max(Limit::Max).unwrap();
    assert_eq!(cg.read("memory.max").unwrap(), "max");
    cg.set_memory_high(Limit::Value(128 << 20)).unwrap();
    assert_eq!(cg.memory_high().unwrap(), Limit::Value(128 << 20));
    cg.set_memory_low(Limit::Value(1 << 20)).unwrap();
    assert_eq!(cg.memory_low().unwrap(), Limit::Value(1 << 20));
    cg.set_memory_min(Limit::Value(0)).unwrap();
    assert_eq!(cg.memory_min().unwrap(), Limit::Value(0));
    match cg.set_memory_swap_max(Limit::Value(0)) {
        Ok(()) => assert_eq!(cg.memory_swap_max().unwrap(), Limit::Value(0)),
        Err(e) => assert_eq!(e.errno(), Some(Errno::NOENT), "{e}"),
    }
    cg.set_memory_oom_group(true).unwrap();
    assert!(cg.memory_oom_group().unwrap());
    cg.set_pids_max(Limit::Value(100)).unwrap();
    assert_eq!(cg.read("pids.max").unwrap(), "100");
    cg.set_pids_max(Limit::Max).unwrap();
    assert_eq!(cg.pids_max().unwrap(), Limit::Max);
    cg.set_cpu_max(CpuMax::new(Some(50_000), 100_000).unwrap())
        .unwrap();
    assert_eq!(cg.read("cpu.max").unwrap(), "50000 100000");
    cg.set_cpu_max(CpuMax::new(None, 100_000).unwrap()).unwrap();
    assert_eq!(cg.read("cpu.max").unwrap(), "max 100000");
    cg.set_cpu_weight(250).unwrap();
    assert_eq!(cg.cpu_weight().unwrap(), 250);
    cg.set_cpu_weight_nice(5).unwrap();
    assert_eq!(cg.cpu_weight_nice().unwrap(), 5);
    cg.set_cpu_idle(true).unwrap();
    assert!(cg.cpu_idle().unwrap());
    cg.set_io_weight(300).unwrap();
    assert_eq!(cg.io_weight().unwrap().default, Some(300));
    let cpus: CpuList = "0".parse().unwrap();
    cg.set_cpuset_cpus(&cpus).unwrap();
    assert_eq!(cg.cpuset_cpus().unwrap(), cpus);
    cg.set_cpuset_mems(&"0".parse().unwrap()).unwrap();
    assert_eq!(cg.cpuset_mems().unwrap().to_vec(), vec![0]);
    assert_eq!(cg.cpuset_partition().unwrap(), Partition::Member);
    // The kernel refuses an out-of-range write typed values would not produce.
    let e = cg.write("cpu.weight", "0").unwrap_err();
    assert!(
        matches!(e.errno(), Some(Errno::INVAL | Errno::RANGE)),
        "{e}"
    );
    assert!(e.to_string().contains("cpu.weight"), "{e}");
}

#[test]
fn vm_cg_12_controllers_enable_and_partial() {
    let Some(t) = TestParent::new("cgroup v2 controllers") else {
        return;
    };
    let change =
        t.cg.enable(&[Controller::Pids, Controller::Memory])
            .unwrap();
    assert!(change.is_complete(), "{change:?}");
    let enabled = t.cg.enabled().unwrap();
    assert!(enabled.contains(&Controller::Pids) && enabled.contains(&Controller::Memory));
    let child = t.cg.create_child("c").unwrap();
    let mut avail = child.available().unwrap();
    avail.sort();
    assert_eq!(avail, vec![Controller::Memory, Controller::Pids]);
    // cpu is not in the child's cgroup.controllers: its own error, the others still apply.
    let change = child.enable(&[Controller::Pids, Controller::Cpu]).unwrap();
    assert_eq!(change.applied, vec![Controller::Pids]);
    assert_eq!(change.failed.len(), 1);
    let (c, e) = &change.failed[0];
    assert_eq!(c, &Controller::Cpu);
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    assert!(e.to_string().contains("cgroup.controllers"), "{e}");
    // No internal processes: a cgroup with a process cannot enable a domain controller (memory;
    // threaded ones such as pids are exempt) for its children.
    let busy = t.cg.create_child("busy").unwrap();
    let kid = Kid(Command::new("sleep").arg("600").spawn().unwrap());
    busy.add_process(kid.0.id() as i32).unwrap();
    let change = busy.enable(&[Controller::Memory]).unwrap();
    let e = change.into_result().unwrap_err();
    assert_eq!(e.errno(), Some(Errno::BUSY), "{e}");
    assert!(e.to_string().contains("no internal processes"), "{e}");
    // ensure_controllers enables top-down where missing.
    let deep = t.cg.create_all("d1/d2/d3").unwrap();
    deep.ensure_controllers(&[Controller::Pids]).unwrap();
    deep.set_pids_max(Limit::Value(7)).unwrap();
    assert_eq!(deep.pids_max().unwrap(), Limit::Value(7));
    // Disabling.
    let change = child.disable(&[Controller::Pids]).unwrap();
    assert!(change.is_complete(), "{change:?}");
    assert!(!child.enabled().unwrap().contains(&Controller::Pids));
    drop(kid);
}

/// Scenario 10: memory.max 16 MiB and a process that allocates 64 MiB → OOM kill, counted in
/// memory.events and reported by the watcher.
#[test]
fn vm_cg_07_oom_kill_is_counted_and_watched() {
    let Some(t) = TestParent::new("the memory controller") else {
        return;
    };
    let cg = t.leaf("oom", &[Controller::Memory]);
    cg.set_memory_max(Limit::parse_bytes("16M").unwrap())
        .unwrap();
    let _ = cg.set_memory_swap_max(Limit::Value(0));
    let mut w = cg.watch().unwrap();
    // dd allocates (and touches) a 64 MiB buffer.
    let mut sh = run_in(&cg, "exec dd if=/dev/zero of=/dev/null bs=64M count=4");
    let status = sh.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|e| matches!(e, WatchEvent::Memory { key, .. } if key == "oom_kill"))
    {
        seen.extend(w.wait(Some(WAIT)).unwrap());
    }
    assert!(cg.memory_events().unwrap().oom_kill >= 1);
    let s = cg.stats().unwrap();
    assert!(s.memory_events.unwrap().oom_kill >= 1);
}

/// pids.max stops a fork loop at the limit.
#[test]
fn vm_cg_08_pids_max_stops_a_fork_loop() {
    let Some(t) = TestParent::new("the pids controller") else {
        return;
    };
    let cg = t.leaf("pids", &[Controller::Pids]);
    cg.set_pids_max(Limit::Value(5)).unwrap();
    let _sh = Kid(run_in(
        &cg,
        "i=0; while [ $i -lt 20 ]; do sleep 600 & i=$((i+1)); done; wait",
    ));
    let mut events = 0;
    for _ in 0..2000 {
        events = cg
            .stats()
            .unwrap()
            .pids_events
            .unwrap_or_default()
            .get("max")
            .copied()
            .unwrap_or(0);
        if events > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(events > 0, "no fork was refused");
    let cur = cg.pids_current().unwrap();
    assert!(cur <= 5, "pids.current {cur} above the limit");
    assert_eq!(cur, 5, "the loop filled the limit");
    cg.kill().unwrap();
    cg.wait_empty(WAIT).unwrap();
}

/// cpu.max throttles a busy loop (cpu.stat nr_throttled > 0).
#[test]
fn vm_cg_09_cpu_max_throttles() {
    let Some(t) = TestParent::new("the cpu controller") else {
        return;
    };
    let cg = t.leaf("cpu", &[Controller::Cpu]);
    cg.set_cpu_max(CpuMax::new(Some(1000), 10_000).unwrap())
        .unwrap();
    let _busy = Kid(run_in(&cg, "while :; do :; done"));
    let mut throttled = 0;
    for _ in 0..2000 {
        throttled = cg.cpu_stat().unwrap().nr_throttled.unwrap_or(0);
        if throttled > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(throttled > 0, "never throttled");
    // Throttled time is accounted when a period ends; wait for it too.
    let mut usec = 0;
    for _ in 0..2000 {
        usec = cg.stats().unwrap().cpu.unwrap().throttled_usec.unwrap_or(0);
        if usec > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(usec > 0, "no throttled time accounted");
    cg.kill().unwrap();
    cg.wait_empty(WAIT).unwrap();
}

/// Scenario 9 with the controllers present: pids, memory, io and pressure statistics.
#[test]
fn vm_cg_16_stats_with_controllers() {
    let Some(t) = TestParent::new("cgroup v2 controllers") else {
        return;
    };
    let cg = t.leaf(
        "stats",
        &[
            Controller::Memory,
            Controller::Pids,
            Controller::Cpu,
            Controller::Io,
        ],
    );
    let _kid = Kid(run_in(&cg, "exec sleep 600"));
    for _ in 0..1000 {
        if cg.pids_current().unwrap() >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = cg.stats().unwrap();
    assert!(s.pids_current.unwrap() >= 1, "{s:?}");
    assert!(s.memory_current.is_some(), "{s:?}");
    let ms = s.memory_stat.as_ref().unwrap();
    assert!(ms.contains_key("anon") && ms.contains_key("file"), "{ms:?}");
    assert!(s.memory_events.is_some());
    assert!(s.io.is_some());
    assert!(s.cpu.as_ref().unwrap().nr_periods.is_some(), "{s:?}");
    assert!(s.to_string().contains("pids"), "{s}");
    #[cfg(feature = "serde")]
    {
        let j = serde_json::to_value(&s).unwrap();
        assert!(j["pids_current"].as_u64().unwrap() >= 1);
    }
    cg.kill().unwrap();
    cg.wait_empty(WAIT).unwrap();
}

/// Freeze, thaw and kill on the guest kernel too.
#[test]
fn vm_cg_14_cg_15_freeze_and_kill() {
    let Some(t) = TestParent::new("cgroup v2 freezer") else {
        return;
    };
    let cg = t.cg.create_child("fk").unwrap();
    let mut sh = run_in(&cg, "for i in 1 2 3; do sleep 600 & done; wait");
    for _ in 0..1000 {
        if cg.procs().unwrap().len() == 4 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cg.freeze(WAIT).unwrap();
    assert!(cg.is_frozen().unwrap());
    cg.thaw(WAIT).unwrap();
    cg.kill().unwrap();
    cg.wait_empty(WAIT).unwrap();
    assert_eq!(sh.wait().unwrap().signal(), Some(libc::SIGKILL));
    cg.remove_with(&RemoveOptions::default()).unwrap();
    assert!(!cg.exists());
}

/// The guest's hierarchy has every controller: nothing is reported unavailable.
#[test]
fn vm_cg_01_pure_v2_has_no_unavailable_controllers() {
    if !linx_testkit::require_vm("a pure cgroup v2 hierarchy") {
        return;
    }
    let h = cgroup::hierarchy().unwrap();
    for c in ["memory", "pids", "cpu", "io", "cpuset"] {
        assert!(!h.unavailable.iter().any(|(x, _)| x == c), "{c}: {h:?}");
    }
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

/// Scenario 11: `clone3(CLONE_INTO_CGROUP)` with the handle's directory fd puts the child into a
/// limited cgroup before it runs an instruction; with `CLONE_NEWCGROUP` its cgroup namespace is
/// rooted there.
#[test]
fn vm_cg_20_clone_into_a_limited_cgroup() {
    use std::os::fd::AsRawFd;
    let Some(t) = TestParent::new("cgroup v2 controllers") else {
        return;
    };
    let cg = t.leaf("spawn", &[Controller::Pids]);
    cg.set_pids_max(Limit::Value(1)).unwrap();
    let mut pidfd: libc::c_int = -1;
    let args = CloneArgs {
        flags: libc::CLONE_PIDFD as u64 | 0x2_0000_0000 | libc::CLONE_NEWCGROUP as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cg.dir_fd().as_raw_fd() as u64,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 without CLONE_VM behaves like fork; the child only pauses until killed.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        loop {
            // SAFETY: async-signal-safe.
            unsafe { libc::pause() };
        }
    }
    assert!(pid > 0, "clone3: {}", std::io::Error::last_os_error());
    let pid = pid as i32;
    let outside = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let inside = linx::ns::NsTarget::Pid(pid)
        .run(linx::ns::NsSet::CGROUP, || {
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap()
        })
        .unwrap();
    let pids_current = cg.pids_current().unwrap();
    // SAFETY: killing and reaping our own child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::close(pidfd);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
    assert_eq!(
        cgroup::parse::proc_cgroup(&outside),
        cg.hierarchy_path().to_str(),
        "{outside}"
    );
    assert_eq!(cgroup::parse::proc_cgroup(&inside), Some("/"), "{inside}");
    assert_eq!(pids_current, 1, "counted against the cgroup's pids.max");
}

/// The first block device of the guest (a RAM disk from `brd` when there is none).
fn block_device() -> linx::cgroup::DevNum {
    let find = || {
        std::fs::read_dir("/sys/block").ok()?.find_map(|e| {
            let dev = std::fs::read_to_string(e.ok()?.path().join("dev")).ok()?;
            let (maj, min) = dev.trim().split_once(':')?;
            Some(linx::cgroup::DevNum::new(
                maj.parse().ok()?,
                min.parse().ok()?,
            ))
        })
    };
    if let Some(d) = find() {
        return d;
    }
    let status = Command::new("modprobe")
        .args(["brd", "rd_nr=1", "rd_size=4096"])
        .status()
        .expect("run modprobe");
    assert!(status.success(), "modprobe brd: {status}");
    find().expect("a block device after loading brd")
}

#[test]
fn vm_cg_10_io_max_and_per_device_weight_on_a_real_device() {
    use linx::cgroup::IoMax;
    let Some(t) = TestParent::new("the io controller and a block device") else {
        return;
    };
    let dev = block_device();
    let cg = t.leaf("io", &[Controller::Io]);
    let mut max = IoMax::new(dev);
    max.rbps = Some(Limit::Value(1 << 20));
    max.wiops = Some(Limit::Value(100));
    cg.set_io_max(&max).unwrap();
    // The kernel's own line, and the typed read of it.
    assert_eq!(
        cg.read("io.max").unwrap(),
        format!("{dev} rbps=1048576 wbps=max riops=max wiops=100")
    );
    let read = cg.io_max().unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].device, dev);
    assert_eq!(read[0].rbps, Some(Limit::Value(1 << 20)));
    assert_eq!(read[0].wbps, Some(Limit::Max));
    assert_eq!(read[0].wiops, Some(Limit::Value(100)));
    // Fields left None stay as they are; all max removes the line.
    let mut more = IoMax::new(dev);
    more.wbps = Some(Limit::Value(2 << 20));
    cg.set_io_max(&more).unwrap();
    assert_eq!(
        cg.read("io.max").unwrap(),
        format!("{dev} rbps=1048576 wbps=2097152 riops=max wiops=100")
    );
    let mut clear = IoMax::new(dev);
    clear.rbps = Some(Limit::Max);
    clear.wbps = Some(Limit::Max);
    clear.riops = Some(Limit::Max);
    clear.wiops = Some(Limit::Max);
    cg.set_io_max(&clear).unwrap();
    assert!(cg.io_max().unwrap().is_empty());
    // The default weight applies; a per-device weight needs the iocost controller active on
    // that device (io.cost.qos), which the guest's RAM disk does not have: the kernel's
    // EOPNOTSUPP comes back naming the file.
    cg.set_io_weight(200).unwrap();
    assert_eq!(cg.io_weight().unwrap().default, Some(200));
    assert_eq!(cg.read("io.weight").unwrap(), "default 200");
    match cg.set_io_weight_device(dev, Some(500)) {
        Ok(()) => assert_eq!(cg.io_weight().unwrap().devices, vec![(dev, 500)]),
        Err(e) => {
            assert_eq!(e.errno(), Some(Errno::OPNOTSUPP), "{e}");
            assert!(e.to_string().contains("io.weight"), "{e}");
        }
    }
}

#[test]
fn vm_cg_11_cpuset_partition_root_with_an_exclusive_cpu() {
    let Some(t) = TestParent::new("the cpuset controller with two CPUs") else {
        return;
    };
    // The test parent is a child of the hierarchy root (a partition root); give it CPU 1 alone.
    let cpus: CpuList = "1".parse().unwrap();
    t.cg.set_cpuset_cpus(&cpus).unwrap();
    t.cg.set_cpuset_partition(&Partition::Root).unwrap();
    assert_eq!(t.cg.cpuset_partition().unwrap(), Partition::Root);
    assert_eq!(t.cg.read("cpuset.cpus.partition").unwrap(), "root");
    assert_eq!(t.cg.read("cpuset.cpus.effective").unwrap(), "1");
    // Back to a member, so the CPU returns to the root before removal.
    t.cg.set_cpuset_partition(&Partition::Member).unwrap();
    assert_eq!(t.cg.cpuset_partition().unwrap(), Partition::Member);
    // Anything else than member/root/isolated is refused before writing.
    let e =
        t.cg.set_cpuset_partition(&Partition::Other("bogus".into()))
            .unwrap_err();
    assert!(e.is_input(), "{e}");
}
