//! Unprivileged tier for cgroups: fixture directories with fake control files exercise the
//! parsers, the typed setters (the written bytes are asserted) and the error shapes; property
//! tests check that no parser panics.

use std::path::Path;

use linx::cgroup::{
    self, Cgroup, Controller, CpuList, CpuMax, DevNum, IoMax, Limit, Partition, RemoveOptions,
};
use linx::error::{CgroupOp, Errno, Operation};
use proptest::prelude::*;

struct Fixture {
    dir: tempfile::TempDir,
    cg: Cgroup,
}

impl Fixture {
    fn new(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        let cg = Cgroup::open_unchecked(dir.path()).unwrap();
        Fixture { dir, cg }
    }

    fn content(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    /// An empty file to write into (cgroupfs files are written without truncation).
    fn empty(&self, name: &str) {
        std::fs::write(self.dir.path().join(name), "").unwrap();
    }
}

#[test]
fn cg_17_fixture_parsers() {
    let f = Fixture::new(&[
        ("cgroup.procs", "12\n34\n"),
        ("cpu.max", "max 100000\n"),
        (
            "cpu.stat",
            "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\nnr_bursts 0\n",
        ),
        (
            "memory.stat",
            "anon 4096\nfile 8192\nbrand_new_key 3\nbroken line here\n",
        ),
        ("memory.current", "12288\n"),
        (
            "memory.events",
            "low 0\nhigh 1\nmax 2\noom 3\noom_kill 4\noom_group_kill 0\n",
        ),
        ("pids.current", "3\n"),
        ("pids.events", "max 9\n"),
        (
            "io.stat",
            "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\ngarbage=1\n",
        ),
        (
            "memory.pressure",
            "some avg10=0.50 avg60=0.25 avg300=0.00 total=99\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
        ),
        ("cgroup.events", "populated 1\nfrozen 0\n"),
        ("cgroup.type", "domain\n"),
        ("cgroup.controllers", "cpu io memory pids future\n"),
        ("cgroup.subtree_control", "memory pids\n"),
        ("io.max", "8:16 rbps=2097152 wbps=max riops=max wiops=120\n"),
        ("io.weight", "default 100\n8:16 200\n"),
        ("cpuset.cpus", "0-3,8\n"),
        (
            "cpuset.cpus.partition",
            "root invalid (Cpu list in cpuset.cpus not exclusive)\n",
        ),
    ]);
    let cg = &f.cg;
    let m = cg.cpu_max().unwrap();
    assert_eq!((m.quota, m.period_us), (None, 100_000));
    let s = cg.stats().unwrap();
    let cpu = s.cpu.as_ref().unwrap();
    assert_eq!((cpu.usage_usec, cpu.nr_throttled), (100, Some(2)));
    assert_eq!(cpu.other["nr_bursts"], 0);
    let ms = s.memory_stat.as_ref().unwrap();
    assert_eq!(ms["brand_new_key"], 3, "unknown keys kept");
    assert_eq!(s.memory_current, Some(12288));
    assert_eq!(s.memory_peak, None, "missing file gives None");
    assert_eq!(s.memory_events.as_ref().unwrap().oom_kill, 4);
    assert_eq!(s.pids_current, Some(3));
    assert_eq!(s.pids_events.as_ref().unwrap()["max"], 9);
    let io = s.io.as_ref().unwrap();
    assert_eq!(io.len(), 1);
    assert_eq!(io[0].device, DevNum::new(8, 0));
    assert_eq!(io[0].get("wios"), 4);
    assert_eq!(s.memory_pressure.unwrap().some.total, 99);
    assert_eq!(s.cpu_pressure, None);
    assert_eq!(
        s.skipped_lines, 2,
        "the broken memory.stat and io.stat lines"
    );
    assert_eq!(s.to_string(), "cpu 0.0 s, memory 12 KiB, 3 pids");
    assert_eq!(cg.procs().unwrap(), vec![12, 34]);
    assert!(cg.events().unwrap().populated);
    assert_eq!(cg.cgroup_type().unwrap(), cgroup::CgroupType::Domain);
    assert_eq!(
        cg.available().unwrap(),
        vec![
            Controller::Cpu,
            Controller::Io,
            Controller::Memory,
            Controller::Pids,
            Controller::Other("future".into())
        ]
    );
    assert_eq!(
        cg.enabled().unwrap(),
        vec![Controller::Memory, Controller::Pids]
    );
    assert_eq!(cg.io_max().unwrap()[0].wiops, Some(Limit::Value(120)));
    assert_eq!(
        cg.io_weight().unwrap().devices,
        vec![(DevNum::new(8, 16), 200)]
    );
    assert_eq!(cg.cpuset_cpus().unwrap().to_vec(), vec![0, 1, 2, 3, 8]);
    assert!(matches!(
        cg.cpuset_partition().unwrap(),
        Partition::Other(_)
    ));
    assert_eq!(
        cg.read("cpu.max").unwrap(),
        "max 100000",
        "trailing newline trimmed"
    );
}

#[test]
fn cg_07_cg_08_cg_09_setters_write_exact_bytes() {
    let f = Fixture::new(&[("cgroup.procs", "")]);
    let cg = &f.cg;
    type Setter<'a> = Box<dyn Fn() -> linx::Result<()> + 'a>;
    let cases: Vec<(&str, Setter<'_>, &str)> = vec![
        (
            "memory.max",
            Box::new(|| cg.set_memory_max(Limit::parse_bytes("256M")?)),
            "268435456",
        ),
        (
            "memory.high",
            Box::new(|| cg.set_memory_high(Limit::Max)),
            "max",
        ),
        (
            "memory.low",
            Box::new(|| cg.set_memory_low(Limit::Value(1 << 20))),
            "1048576",
        ),
        (
            "memory.min",
            Box::new(|| cg.set_memory_min(Limit::Value(0))),
            "0",
        ),
        (
            "memory.swap.max",
            Box::new(|| cg.set_memory_swap_max(Limit::Max)),
            "max",
        ),
        (
            "memory.oom.group",
            Box::new(|| cg.set_memory_oom_group(true)),
            "1",
        ),
        (
            "pids.max",
            Box::new(|| cg.set_pids_max(Limit::Value(64))),
            "64",
        ),
        (
            "cpu.max",
            Box::new(|| cg.set_cpu_max(CpuMax::new(Some(50_000), 100_000)?)),
            "50000 100000",
        ),
        ("cpu.weight", Box::new(|| cg.set_cpu_weight(250)), "250"),
        (
            "cpu.weight.nice",
            Box::new(|| cg.set_cpu_weight_nice(-5)),
            "-5",
        ),
        ("cpu.idle", Box::new(|| cg.set_cpu_idle(true)), "1"),
        (
            "io.max",
            Box::new(|| {
                let mut m = IoMax::new(DevNum::new(8, 16));
                m.rbps = Some(Limit::Value(2 << 20));
                m.wiops = Some(Limit::Max);
                cg.set_io_max(&m)
            }),
            "8:16 rbps=2097152 wiops=max",
        ),
        (
            "io.weight",
            Box::new(|| cg.set_io_weight(100)),
            "default 100",
        ),
        (
            "cpuset.cpus",
            Box::new(|| cg.set_cpuset_cpus(&"0-3,8".parse::<CpuList>()?)),
            "0-3,8",
        ),
        (
            "cpuset.mems",
            Box::new(|| cg.set_cpuset_mems(&"0".parse::<CpuList>()?)),
            "0",
        ),
        (
            "cpuset.cpus.partition",
            Box::new(|| cg.set_cpuset_partition(&Partition::Isolated)),
            "isolated",
        ),
        (
            "cgroup.max.descendants",
            Box::new(|| cg.set_max_descendants(Limit::Value(42))),
            "42",
        ),
        (
            "cgroup.max.depth",
            Box::new(|| cg.set_max_depth(Limit::Max)),
            "max",
        ),
        (
            "cgroup.freeze",
            Box::new(|| cg.write("cgroup.freeze", "1")),
            "1",
        ),
    ];
    for (file, set, want) in cases {
        f.empty(file);
        set().unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(f.content(file), want, "{file}");
    }
    f.empty("io.weight");
    cg.set_io_weight_device(DevNum::new(8, 0), None).unwrap();
    assert_eq!(f.content("io.weight"), "8:0 default");
    f.empty("cgroup.procs");
    cg.add_process(4242).unwrap();
    assert_eq!(f.content("cgroup.procs"), "4242");
}

#[test]
fn cg_bad_input_is_typed_and_names_the_value() {
    let f = Fixture::new(&[("cgroup.procs", "")]);
    let cg = &f.cg;
    let inputs: Vec<linx::Error> = vec![
        cg.set_cpu_weight(0).unwrap_err(),
        cg.set_cpu_weight(10_001).unwrap_err(),
        cg.set_cpu_weight_nice(20).unwrap_err(),
        cg.set_io_weight(0).unwrap_err(),
        cg.set_pids_max(Limit::Value(5_000_000)).unwrap_err(),
        CpuMax::new(Some(50_000), 999).unwrap_err(),
        "1-0".parse::<CpuList>().unwrap_err(),
        "8-0".parse::<DevNum>().unwrap_err(),
        "memroy".parse::<Controller>().unwrap_err(),
        cg.enable(&[Controller::Other("no/slash".into())])
            .unwrap_err(),
        cg.write("cpu.max", "1\n2").unwrap_err(),
        cg.write("cpu.max", "a\0").unwrap_err(),
        cg.write("../escape", "1").unwrap_err(),
        cg.read("").unwrap_err(),
        cg.create_child("a/b").unwrap_err(),
        cg.create_child("..").unwrap_err(),
        cg.create_all("x/../../y").unwrap_err(),
        cg.child("").unwrap_err(),
        cg.add_process(0).unwrap_err(),
        cg.set_cpuset_partition(&Partition::Other("x".into()))
            .unwrap_err(),
        Cgroup::open("../../etc").unwrap_err(),
        Limit::parse_bytes("12 parsecs").unwrap_err(),
    ];
    for e in inputs {
        assert!(e.is_input(), "not an input error: {e}");
        assert!(e.to_string().starts_with("cgroup: invalid "), "{e}");
    }
    // A write that ends in one newline is allowed (written exactly).
    f.empty("cpu.weight");
    cg.write("cpu.weight", "100\n").unwrap();
    assert_eq!(f.content("cpu.weight"), "100\n");
}

/// Scenario 13: every verb on a missing cgroup returns an error whose path ends with the verb's
/// file and whose operation matches the verb.
#[test]
fn cg_21_verbs_on_a_missing_cgroup_name_file_and_operation() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let cg = Cgroup::open_unchecked(&gone).unwrap();
    std::fs::remove_dir(&gone).unwrap();
    let check = |e: linx::Error, file: &str, op: Operation| {
        let ctx = e.context().unwrap_or_else(|| panic!("no context: {e}"));
        let path = ctx.path.as_ref().unwrap();
        assert!(path.ends_with(file), "{e}");
        match &e {
            linx::Error::Os(os) => assert_eq!(os.operation, op, "{e}"),
            other => panic!("not an OS error: {other}"),
        }
        assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
        assert!(e.to_string().starts_with("cgroup: "), "{e}");
    };
    check(
        cg.set_memory_max(Limit::Max).unwrap_err(),
        "memory.max",
        Operation::Cgroup(CgroupOp::Write),
    );
    check(
        cg.set_pids_max(Limit::Max).unwrap_err(),
        "pids.max",
        Operation::Cgroup(CgroupOp::Write),
    );
    check(
        cg.memory_max().unwrap_err(),
        "memory.max",
        Operation::Cgroup(CgroupOp::Read),
    );
    check(
        cg.add_process(1).unwrap_err(),
        "cgroup.procs",
        Operation::Cgroup(CgroupOp::AddProcess),
    );
    check(
        cg.procs().unwrap_err(),
        "cgroup.procs",
        Operation::Cgroup(CgroupOp::Read),
    );
    check(
        cg.stats().unwrap_err(),
        "cgroup.procs",
        Operation::Cgroup(CgroupOp::Stats),
    );
    check(
        cg.kill().unwrap_err(),
        "cgroup.kill",
        Operation::Cgroup(CgroupOp::Kill),
    );
    check(
        cg.freeze(std::time::Duration::from_secs(1)).unwrap_err(),
        "cgroup.freeze",
        Operation::Cgroup(CgroupOp::Freeze),
    );
    check(
        cg.events().unwrap_err(),
        "cgroup.events",
        Operation::Cgroup(CgroupOp::Read),
    );
    check(
        cg.enable(&[Controller::Pids])
            .unwrap()
            .into_result()
            .unwrap_err(),
        "cgroup.subtree_control",
        Operation::Cgroup(CgroupOp::Write),
    );
    let e = cg.create_child("x").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    assert!(e.to_string().starts_with("cgroup: create "), "{e}");
    let e = cg
        .remove_with(&RemoveOptions {
            kill: false,
            ..RemoveOptions::default()
        })
        .unwrap_err();
    assert!(e.errno().is_some(), "{e}");
    assert!(e.to_string().starts_with("cgroup: remove "), "{e}");
    // The documented Display shape.
    let e = cg.set_pids_max(Limit::Value(1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "cgroup: write {}: ENOENT (errno 2): the cgroup no longer exists",
            gone.join("pids.max").display()
        )
    );
    assert!(!Path::new(&gone).exists());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// CG-17: no parser panics on any input.
    #[test]
    fn cg_17_parsers_never_panic(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for t in [&text, &lossy] {
            let _ = cgroup::parse::flat_keyed(t);
            let _ = cgroup::parse::nested_keyed(t);
            let _ = cgroup::parse::pid_list(t);
            let _ = cgroup::parse::proc_cgroup(t);
            let _ = cgroup::parse::events(t);
            let _ = cgroup::parse::pressure(t);
            let _ = cgroup::parse_io_stat(t);
            let _ = t.parse::<Limit>();
            let _ = Limit::parse_bytes(t);
            let _ = t.parse::<CpuMax>();
            let _ = t.parse::<CpuList>();
            let _ = t.parse::<IoMax>();
            let _ = t.parse::<cgroup::IoWeight>();
            let _ = t.parse::<DevNum>();
            let _ = t.parse::<Controller>();
            let _ = t.parse::<cgroup::CgroupType>();
            let _ = t.parse::<Partition>();
        }
    }

    /// Printed values parse back to themselves.
    #[test]
    fn cg_17_values_round_trip(
        quota in proptest::option::of(1000u64..10_000_000),
        period in 1000u64..=1_000_000,
        ranges in proptest::collection::vec((0u32..64, 0u32..8), 0..5),
        lim in proptest::option::of(any::<u64>()),
    ) {
        let m = CpuMax::new(quota, period).unwrap();
        prop_assert_eq!(m.to_string().parse::<CpuMax>().unwrap(), m);
        let l: CpuList = ranges.iter().map(|(a, d)| format!("{a}-{}", a + d)).collect::<Vec<_>>().join(",").parse().unwrap();
        prop_assert_eq!(l.to_string().parse::<CpuList>().unwrap(), l);
        let lim = lim.map_or(Limit::Max, Limit::Value);
        prop_assert_eq!(lim.to_string().parse::<Limit>().unwrap(), lim);
    }
}
