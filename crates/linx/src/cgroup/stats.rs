//! Typed statistics of a cgroup: `cpu.stat`, `memory.*`, `pids.*`, `io.stat` and pressure.

use std::collections::BTreeMap;
use std::fmt;

use super::handle::Cgroup;
use super::parse::{self, Pressure};
use super::values::DevNum;
use crate::error::{CgroupOp, Errno, Operation, Result};

/// `cpu.stat` (times in µs). The `cpu` controller adds the period/throttling fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CpuStat {
    /// `usage_usec`.
    pub usage_usec: u64,
    /// `user_usec`.
    pub user_usec: u64,
    /// `system_usec`.
    pub system_usec: u64,
    /// `nr_periods`.
    pub nr_periods: Option<u64>,
    /// `nr_throttled`.
    pub nr_throttled: Option<u64>,
    /// `throttled_usec`.
    pub throttled_usec: Option<u64>,
    /// Every other key, as given.
    pub other: BTreeMap<String, u64>,
}

impl CpuStat {
    /// From parsed `cpu.stat` keys.
    pub fn from_map(mut m: BTreeMap<String, u64>) -> CpuStat {
        let mut take = |k: &str| m.remove(k);
        CpuStat {
            usage_usec: take("usage_usec").unwrap_or(0),
            user_usec: take("user_usec").unwrap_or(0),
            system_usec: take("system_usec").unwrap_or(0),
            nr_periods: take("nr_periods"),
            nr_throttled: take("nr_throttled"),
            throttled_usec: take("throttled_usec"),
            other: m,
        }
    }
}

/// `memory.events` counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MemoryEvents {
    /// Reclaimed below `memory.low`.
    pub low: u64,
    /// Throttled above `memory.high`.
    pub high: u64,
    /// Hit `memory.max`.
    pub max: u64,
    /// OOM situations.
    pub oom: u64,
    /// Processes killed by the OOM killer.
    pub oom_kill: u64,
    /// Group OOM kills (`memory.oom.group`).
    pub oom_group_kill: u64,
    /// Every other key.
    pub other: BTreeMap<String, u64>,
}

impl MemoryEvents {
    /// From parsed `memory.events` keys.
    pub fn from_map(mut m: BTreeMap<String, u64>) -> MemoryEvents {
        let mut take = |k: &str| m.remove(k).unwrap_or(0);
        MemoryEvents {
            low: take("low"),
            high: take("high"),
            max: take("max"),
            oom: take("oom"),
            oom_kill: take("oom_kill"),
            oom_group_kill: take("oom_group_kill"),
            other: m,
        }
    }
}

/// One device of `io.stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct IoStat {
    /// The device.
    pub device: DevNum,
    /// `rbytes`, `wbytes`, `rios`, `wios`, `dbytes`, `dios` and any other numeric key.
    pub values: BTreeMap<String, u64>,
}

impl IoStat {
    /// A counter (0 when absent).
    pub fn get(&self, key: &str) -> u64 {
        self.values.get(key).copied().unwrap_or(0)
    }
}

/// Parses `io.stat`; returns the devices and the number of skipped lines.
///
/// ```
/// let (v, skipped) = linx::cgroup::parse_io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\nbad\n");
/// assert_eq!(v[0].get("wios"), 4);
/// assert_eq!(skipped, 1);
/// ```
pub fn parse_io_stat(text: &str) -> (Vec<IoStat>, usize) {
    let (lines, mut skipped) = parse::nested_keyed(text);
    let mut out = Vec::new();
    for l in lines {
        let Ok(device) = l.key.parse::<DevNum>() else {
            skipped += 1;
            continue;
        };
        let values = l
            .pairs
            .iter()
            .filter_map(|(k, v)| v.parse::<u64>().ok().map(|n| (k.clone(), n)))
            .collect();
        out.push(IoStat { device, values });
    }
    (out, skipped)
}

/// A snapshot of a cgroup's statistics ([`Cgroup::stats`]). A file that does not exist (its
/// controller is not enabled, or the kernel is older) gives `None`; unknown keys are kept.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Stats {
    /// `cpu.stat`.
    pub cpu: Option<CpuStat>,
    /// `memory.current`, bytes.
    pub memory_current: Option<u64>,
    /// `memory.peak`, bytes (Linux ≥ 5.19).
    pub memory_peak: Option<u64>,
    /// `memory.stat`, all keys.
    pub memory_stat: Option<BTreeMap<String, u64>>,
    /// `memory.events`.
    pub memory_events: Option<MemoryEvents>,
    /// `pids.current`.
    pub pids_current: Option<u64>,
    /// `pids.peak` (Linux ≥ 6.1).
    pub pids_peak: Option<u64>,
    /// `pids.events` (`max`: forks refused by `pids.max`).
    pub pids_events: Option<BTreeMap<String, u64>>,
    /// `io.stat`, per device.
    pub io: Option<Vec<IoStat>>,
    /// `cpu.pressure`.
    pub cpu_pressure: Option<Pressure>,
    /// `memory.pressure`.
    pub memory_pressure: Option<Pressure>,
    /// `io.pressure`.
    pub io_pressure: Option<Pressure>,
    /// Malformed lines skipped across all files.
    pub skipped_lines: usize,
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

impl fmt::Display for Stats {
    /// `cpu 12.3 s, memory 42 MiB, 3 pids` (parts without data are left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(c) = &self.cpu {
            parts.push(format!("cpu {:.1} s", c.usage_usec as f64 / 1e6));
        }
        if let Some(m) = self.memory_current {
            parts.push(format!("memory {}", human_bytes(m)));
        }
        if let Some(p) = self.pids_current {
            parts.push(format!("{p} pids"));
        }
        if parts.is_empty() {
            f.write_str("no statistics")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl Cgroup {
    fn read_u64_opt(&self, file: &str, skipped: &mut usize) -> Result<Option<u64>> {
        Ok(self.read_opt(file)?.and_then(|t| match t.trim().parse() {
            Ok(n) => Some(n),
            Err(_) => {
                *skipped += 1;
                None
            }
        }))
    }

    fn flat_opt(&self, file: &str, skipped: &mut usize) -> Result<Option<BTreeMap<String, u64>>> {
        Ok(self.read_opt(file)?.map(|t| {
            let (m, s) = parse::flat_keyed(&t);
            *skipped += s;
            m
        }))
    }

    fn pressure_opt(&self, file: &str, skipped: &mut usize) -> Result<Option<Pressure>> {
        // Reading a pressure file can fail with EOPNOTSUPP when PSI is disabled at boot.
        match self.read_opt(file) {
            Ok(Some(t)) => {
                let (p, s) = parse::pressure(&t);
                *skipped += s;
                Ok(p)
            }
            Ok(None) => Ok(None),
            Err(e) if e.errno() == Some(Errno::OPNOTSUPP) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads every statistics file there is. Missing files give `None`; only a missing cgroup
    /// (its `cgroup.procs` gone) is an error.
    ///
    /// # Errors
    /// OS error naming the file when the cgroup no longer exists or a file cannot be read.
    ///
    /// ```no_run
    /// let s = linx::cgroup::Cgroup::current()?.stats()?;
    /// println!("{s}"); // cpu 12.3 s, memory 42 MiB, 3 pids
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        if self.read_opt("cgroup.procs")?.is_none() {
            return Err(self.file_error(
                Operation::Cgroup(CgroupOp::Stats),
                Errno::NOENT,
                "cgroup.procs",
            ));
        }
        let mut s = Stats::default();
        let mut skipped = 0;
        s.cpu = self
            .flat_opt("cpu.stat", &mut skipped)?
            .map(CpuStat::from_map);
        s.memory_current = self.read_u64_opt("memory.current", &mut skipped)?;
        s.memory_peak = self.read_u64_opt("memory.peak", &mut skipped)?;
        s.memory_stat = self.flat_opt("memory.stat", &mut skipped)?;
        s.memory_events = self
            .flat_opt("memory.events", &mut skipped)?
            .map(MemoryEvents::from_map);
        s.pids_current = self.read_u64_opt("pids.current", &mut skipped)?;
        s.pids_peak = self.read_u64_opt("pids.peak", &mut skipped)?;
        s.pids_events = self.flat_opt("pids.events", &mut skipped)?;
        s.io = self.read_opt("io.stat")?.map(|t| {
            let (v, n) = parse_io_stat(&t);
            skipped += n;
            v
        });
        s.cpu_pressure = self.pressure_opt("cpu.pressure", &mut skipped)?;
        s.memory_pressure = self.pressure_opt("memory.pressure", &mut skipped)?;
        s.io_pressure = self.pressure_opt("io.pressure", &mut skipped)?;
        s.skipped_lines = skipped;
        Ok(s)
    }

    /// `memory.events` alone.
    ///
    /// # Errors
    /// OS error naming the file (`Unsupported` where the memory controller is unusable).
    pub fn memory_events(&self) -> Result<MemoryEvents> {
        Ok(MemoryEvents::from_map(
            parse::flat_keyed(&self.read_raw("memory.events")?).0,
        ))
    }

    /// `cpu.stat` alone.
    ///
    /// # Errors
    /// OS error naming the file.
    pub fn cpu_stat(&self) -> Result<CpuStat> {
        Ok(CpuStat::from_map(
            parse::flat_keyed(&self.read_raw("cpu.stat")?).0,
        ))
    }

    /// `pids.current` alone.
    ///
    /// # Errors
    /// OS error naming the file.
    pub fn pids_current(&self) -> Result<u64> {
        let t = self.read("pids.current")?;
        t.parse().map_err(|_| {
            crate::Error::protocol(
                crate::error::Subsystem::Cgroup,
                crate::error::ProtocolKind::Malformed,
                format!("{}/pids.current: {t:?}", self.path().display()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cg_16_display_and_parsers() {
        let s = Stats {
            cpu: Some(CpuStat {
                usage_usec: 12_345_678,
                ..CpuStat::default()
            }),
            memory_current: Some(42 << 20),
            pids_current: Some(3),
            ..Stats::default()
        };
        assert_eq!(s.to_string(), "cpu 12.3 s, memory 42 MiB, 3 pids");
        assert_eq!(Stats::default().to_string(), "no statistics");
        let (v, skipped) =
            parse_io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\nnot-a-dev x=1\n");
        assert_eq!(skipped, 1);
        assert_eq!(v[0].device, DevNum::new(8, 0));
        assert_eq!((v[0].get("rbytes"), v[0].get("wios")), (1, 4));
        let c = CpuStat::from_map(parse::flat_keyed("usage_usec 5\nnr_throttled 2\nfuture 9\n").0);
        assert_eq!((c.usage_usec, c.nr_throttled), (5, Some(2)));
        assert_eq!(c.other["future"], 9);
        let m =
            MemoryEvents::from_map(parse::flat_keyed("oom 1\noom_kill 2\nsock_throttled 3\n").0);
        assert_eq!((m.oom, m.oom_kill), (1, 2));
        assert_eq!(m.other["sock_throttled"], 3);
    }
}
