//! Typed values of cgroup v2 control files: limits with `max`, `cpu.max`, CPU/node lists, device
//! numbers, `io.max`/`io.weight`, controllers, cgroup types and cpuset partitions. Each parses
//! (`FromStr`, input errors naming the value) and prints (`Display`) exactly the kernel's text.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, Subsystem};

fn bad(argument: &'static str, value: &str, reason: impl Into<String>) -> Error {
    Error::input(Subsystem::Cgroup, argument, value, reason.into())
}

/// A limit that is a number or `max` (no limit): `memory.max`, `pids.max`, `io.max` fields,
/// `cgroup.max.descendants` …
///
/// ```
/// use linx::cgroup::Limit;
/// assert_eq!(Limit::Value(268435456).to_string(), "268435456");
/// assert_eq!("max".parse::<Limit>()?, Limit::Max);
/// assert_eq!(Limit::parse_bytes("256M")?, Limit::Value(256 << 20));
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Limit {
    /// A number (bytes, a count, bytes/s … depending on the file).
    Value(u64),
    /// `max`: unlimited.
    Max,
}

impl Limit {
    /// A byte size with an optional binary suffix `K`, `M`, `G`, `T` (`KiB` … and lower case
    /// accepted), or `max`.
    ///
    /// # Errors
    /// Input error naming the text when it is neither.
    pub fn parse_bytes(s: &str) -> Result<Limit> {
        let t = s.trim();
        if t == "max" {
            return Ok(Limit::Max);
        }
        let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &t[digits.len()..];
        let shift = match suffix.to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kb" | "kib" => 10,
            "m" | "mb" | "mib" => 20,
            "g" | "gb" | "gib" => 30,
            "t" | "tb" | "tib" => 40,
            _ => return Err(bad("byte size", s, "unknown suffix (use K, M, G or T)")),
        };
        let n: u64 = digits.parse().map_err(|_| {
            bad(
                "byte size",
                s,
                "expected a number with an optional K/M/G/T suffix, or max",
            )
        })?;
        n.checked_mul(1u64 << shift)
            .map(Limit::Value)
            .ok_or_else(|| bad("byte size", s, "too large"))
    }

    /// The number, or `None` for `max`.
    pub fn value(self) -> Option<u64> {
        match self {
            Limit::Value(n) => Some(n),
            Limit::Max => None,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Value(n) => write!(f, "{n}"),
            Limit::Max => f.write_str("max"),
        }
    }
}

impl FromStr for Limit {
    type Err = Error;
    /// `max` or an unsigned decimal number.
    fn from_str(s: &str) -> Result<Limit> {
        let t = s.trim();
        if t == "max" {
            Ok(Limit::Max)
        } else {
            t.parse()
                .map(Limit::Value)
                .map_err(|_| bad("limit", s, "expected an unsigned number or max"))
        }
    }
}

/// The largest `pids.max` the kernel accepts (`PID_MAX_LIMIT` on 64-bit).
pub const PIDS_MAX_LIMIT: u64 = 4_194_304;

/// `cpu.max`: a quota per period; `quota: None` is `max` (no limit).
///
/// ```
/// use linx::cgroup::CpuMax;
/// let half = CpuMax::new(Some(50_000), 100_000)?;
/// assert_eq!(half.to_string(), "50000 100000");
/// assert_eq!("max 100000".parse::<CpuMax>()?.quota, None);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CpuMax {
    /// Run time allowed per period, µs (`None` = unlimited).
    pub quota: Option<u64>,
    /// The period, µs (1000 ..= 1,000,000).
    pub period_us: u64,
}

impl CpuMax {
    /// The kernel's period range (µs).
    pub const PERIOD_RANGE: std::ops::RangeInclusive<u64> = 1000..=1_000_000;
    /// The smallest quota the kernel accepts (µs).
    pub const MIN_QUOTA: u64 = 1000;

    /// A validated value.
    ///
    /// # Errors
    /// Input error for a period outside 1000..=1,000,000 µs or a quota below 1000 µs.
    pub fn new(quota: Option<u64>, period_us: u64) -> Result<CpuMax> {
        if !Self::PERIOD_RANGE.contains(&period_us) {
            return Err(bad(
                "cpu.max period",
                &period_us.to_string(),
                "must be within 1000..=1000000 µs",
            ));
        }
        if let Some(q) = quota {
            if q < Self::MIN_QUOTA {
                return Err(bad(
                    "cpu.max quota",
                    &q.to_string(),
                    "must be at least 1000 µs",
                ));
            }
        }
        Ok(CpuMax { quota, period_us })
    }
}

impl fmt::Display for CpuMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.quota {
            Some(q) => write!(f, "{q} {}", self.period_us),
            None => write!(f, "max {}", self.period_us),
        }
    }
}

impl FromStr for CpuMax {
    type Err = Error;
    /// `QUOTA PERIOD`, `max PERIOD`, `QUOTA/PERIOD` (the CLI form) or a lone `QUOTA`/`max`
    /// (period 100000).
    fn from_str(s: &str) -> Result<CpuMax> {
        let t = s.trim();
        let mut it = t
            .split(|c: char| c.is_whitespace() || c == '/')
            .filter(|x| !x.is_empty());
        let (q, p) = (it.next(), it.next());
        if it.next().is_some() || q.is_none() {
            return Err(bad("cpu.max", s, "expected QUOTA PERIOD or max PERIOD"));
        }
        let quota = match q {
            Some("max") => None,
            Some(q) => Some(
                q.parse()
                    .map_err(|_| bad("cpu.max", s, "quota is not a number or max"))?,
            ),
            None => None,
        };
        let period = match p {
            Some(p) => p
                .parse()
                .map_err(|_| bad("cpu.max", s, "period is not a number"))?,
            None => 100_000,
        };
        CpuMax::new(quota, period)
    }
}

/// A CPU or memory-node list (`cpuset.cpus`, `cpuset.mems`): `0-3,8` as inclusive ranges.
///
/// ```
/// use linx::cgroup::CpuList;
/// let l: CpuList = "0-3,8".parse()?;
/// assert!(l.contains(2) && l.contains(8) && !l.contains(5));
/// assert_eq!(l.to_string(), "0-3,8");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct CpuList {
    /// Inclusive ranges, as given.
    pub ranges: Vec<(u32, u32)>,
}

impl CpuList {
    /// True when `n` is in the list.
    pub fn contains(&self, n: u32) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= n && n <= b)
    }

    /// Every listed number, ascending, duplicates removed.
    pub fn to_vec(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.ranges.iter().flat_map(|&(a, b)| a..=b).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for CpuList {
    type Err = Error;
    /// Comma-separated numbers and `A-B` ranges; empty text is the empty list.
    fn from_str(s: &str) -> Result<CpuList> {
        let t = s.trim();
        let mut ranges = Vec::new();
        if t.is_empty() {
            return Ok(CpuList { ranges });
        }
        for part in t.split(',') {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None => (part, part),
            };
            let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
                return Err(bad("cpu list", s, format!("{part:?} is not N or A-B")));
            };
            if a > b {
                return Err(bad("cpu list", s, format!("range {part:?} runs backwards")));
            }
            ranges.push((a, b));
        }
        Ok(CpuList { ranges })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CpuList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A block device number `major:minor`, as `io.*` files use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevNum {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl DevNum {
    /// A device number.
    pub const fn new(major: u32, minor: u32) -> DevNum {
        DevNum { major, minor }
    }
}

impl fmt::Display for DevNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl FromStr for DevNum {
    type Err = Error;
    /// `MAJOR:MINOR`.
    fn from_str(s: &str) -> Result<DevNum> {
        let (a, b) = s
            .split_once(':')
            .ok_or_else(|| bad("device number", s, "expected MAJOR:MINOR"))?;
        match (a.parse(), b.parse()) {
            (Ok(major), Ok(minor)) => Ok(DevNum { major, minor }),
            _ => Err(bad("device number", s, "MAJOR and MINOR must be numbers")),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for DevNum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One `io.max` line: per-device limits. When writing, `None` fields are left unchanged; when
/// reading, every field the kernel shows is `Some`.
///
/// ```
/// use linx::cgroup::{DevNum, IoMax, Limit};
/// let mut l = IoMax::new(DevNum::new(8, 16));
/// l.rbps = Some(Limit::Value(2 << 20));
/// l.wiops = Some(Limit::Max);
/// assert_eq!(l.to_string(), "8:16 rbps=2097152 wiops=max");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct IoMax {
    /// The device.
    pub device: DevNum,
    /// Read bytes per second.
    pub rbps: Option<Limit>,
    /// Write bytes per second.
    pub wbps: Option<Limit>,
    /// Read operations per second.
    pub riops: Option<Limit>,
    /// Write operations per second.
    pub wiops: Option<Limit>,
}

impl IoMax {
    /// No change for `device`.
    pub fn new(device: DevNum) -> IoMax {
        IoMax {
            device,
            rbps: None,
            wbps: None,
            riops: None,
            wiops: None,
        }
    }
}

impl fmt::Display for IoMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.device)?;
        for (k, v) in [
            ("rbps", self.rbps),
            ("wbps", self.wbps),
            ("riops", self.riops),
            ("wiops", self.wiops),
        ] {
            if let Some(v) = v {
                write!(f, " {k}={v}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for IoMax {
    type Err = Error;
    /// `MAJ:MIN key=value …` with keys `rbps wbps riops wiops` (unknown keys are an error).
    fn from_str(s: &str) -> Result<IoMax> {
        let mut it = s.split_whitespace();
        let dev: DevNum = it
            .next()
            .ok_or_else(|| bad("io.max", s, "empty"))?
            .parse()?;
        let mut v = IoMax::new(dev);
        for pair in it {
            let (k, val) = pair
                .split_once('=')
                .ok_or_else(|| bad("io.max", s, format!("{pair:?} is not key=value")))?;
            let lim: Limit = val.parse()?;
            match k {
                "rbps" => v.rbps = Some(lim),
                "wbps" => v.wbps = Some(lim),
                "riops" => v.riops = Some(lim),
                "wiops" => v.wiops = Some(lim),
                _ => return Err(bad("io.max", s, format!("unknown key {k:?}"))),
            }
        }
        Ok(v)
    }
}

/// The weight range of `cpu.weight` and `io.weight`.
pub const WEIGHT_RANGE: std::ops::RangeInclusive<u32> = 1..=10_000;

/// `io.weight`: the default weight and per-device overrides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct IoWeight {
    /// `default N`.
    pub default: Option<u32>,
    /// `MAJ:MIN N` lines.
    pub devices: Vec<(DevNum, u32)>,
}

impl FromStr for IoWeight {
    type Err = Error;
    fn from_str(s: &str) -> Result<IoWeight> {
        let mut w = IoWeight::default();
        for line in s.lines().filter(|l| !l.trim().is_empty()) {
            let mut it = line.split_whitespace();
            let (Some(k), Some(v)) = (it.next(), it.next()) else {
                return Err(bad(
                    "io.weight",
                    s,
                    format!("line {line:?} is not KEY WEIGHT"),
                ));
            };
            let n: u32 = v
                .parse()
                .map_err(|_| bad("io.weight", s, format!("{v:?} is not a weight")))?;
            if k == "default" {
                w.default = Some(n);
            } else {
                w.devices.push((k.parse()?, n));
            }
        }
        Ok(w)
    }
}

/// A cgroup v2 controller.
///
/// Parsing (`FromStr`) accepts the known names only, so a typo is an input error; a controller
/// of a newer kernel can still be named with [`Controller::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Controller {
    /// `cpu`.
    Cpu,
    /// `cpuset`.
    Cpuset,
    /// `io`.
    Io,
    /// `memory`.
    Memory,
    /// `hugetlb`.
    Hugetlb,
    /// `pids`.
    Pids,
    /// `rdma`.
    Rdma,
    /// `misc`.
    Misc,
    /// Any other controller name (lowercase letters, digits, `_`).
    Other(String),
}

impl Controller {
    /// The kernel's name.
    pub fn name(&self) -> &str {
        match self {
            Controller::Cpu => "cpu",
            Controller::Cpuset => "cpuset",
            Controller::Io => "io",
            Controller::Memory => "memory",
            Controller::Hugetlb => "hugetlb",
            Controller::Pids => "pids",
            Controller::Rdma => "rdma",
            Controller::Misc => "misc",
            Controller::Other(s) => s,
        }
    }

    /// Maps a name from a kernel file: known names to their variant, others to `Other`.
    pub fn from_kernel(name: &str) -> Controller {
        name.parse()
            .unwrap_or_else(|_| Controller::Other(name.to_owned()))
    }

    /// Checks that an `Other` name is a plausible controller name.
    pub(crate) fn validate(&self) -> Result<()> {
        let n = self.name();
        if n.is_empty()
            || !n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad(
                "controller",
                n,
                "a controller name is lowercase letters, digits and '_'",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Controller {
    type Err = Error;
    fn from_str(s: &str) -> Result<Controller> {
        Ok(match s {
            "cpu" => Controller::Cpu,
            "cpuset" => Controller::Cpuset,
            "io" => Controller::Io,
            "memory" => Controller::Memory,
            "hugetlb" => Controller::Hugetlb,
            "pids" => Controller::Pids,
            "rdma" => Controller::Rdma,
            "misc" => Controller::Misc,
            _ => {
                return Err(bad(
                    "controller",
                    s,
                    "unknown (known: cpu cpuset io memory hugetlb pids rdma misc; use Controller::Other for others)",
                ));
            }
        })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Controller {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// `cgroup.type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CgroupType {
    /// `domain`: a normal cgroup.
    Domain,
    /// `domain threaded`: the root of a threaded subtree.
    DomainThreaded,
    /// `domain invalid`: a cgroup in an invalid state for threaded mode.
    DomainInvalid,
    /// `threaded`: a member of a threaded subtree.
    Threaded,
    /// Anything else, verbatim.
    Other(String),
}

impl FromStr for CgroupType {
    type Err = Error;
    /// Never fails: unknown text is kept as `Other`.
    fn from_str(s: &str) -> Result<CgroupType> {
        Ok(match s.trim() {
            "domain" => CgroupType::Domain,
            "domain threaded" => CgroupType::DomainThreaded,
            "domain invalid" => CgroupType::DomainInvalid,
            "threaded" => CgroupType::Threaded,
            other => CgroupType::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for CgroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CgroupType::Domain => "domain",
            CgroupType::DomainThreaded => "domain threaded",
            CgroupType::DomainInvalid => "domain invalid",
            CgroupType::Threaded => "threaded",
            CgroupType::Other(s) => s,
        })
    }
}

/// `cpuset.cpus.partition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// `member`: not a partition root.
    Member,
    /// `root`: a partition root with exclusive CPUs.
    Root,
    /// `isolated`: a partition root without load balancing.
    Isolated,
    /// Anything else, verbatim (e.g. `root invalid (…)`).
    Other(String),
}

impl FromStr for Partition {
    type Err = Error;
    /// Never fails: unknown text is kept as `Other`.
    fn from_str(s: &str) -> Result<Partition> {
        Ok(match s.trim() {
            "member" => Partition::Member,
            "root" => Partition::Root,
            "isolated" => Partition::Isolated,
            other => Partition::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Partition::Member => "member",
            Partition::Root => "root",
            Partition::Isolated => "isolated",
            Partition::Other(s) => s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cg_07_limits_parse_and_print() {
        assert_eq!(
            Limit::parse_bytes("256M").unwrap(),
            Limit::Value(268_435_456)
        );
        assert_eq!(Limit::parse_bytes("1g").unwrap(), Limit::Value(1 << 30));
        assert_eq!(Limit::parse_bytes("4096").unwrap(), Limit::Value(4096));
        assert_eq!(Limit::parse_bytes("max").unwrap(), Limit::Max);
        for badv in ["", "12Q", "M", "-1", "99999999999T"] {
            assert!(Limit::parse_bytes(badv).unwrap_err().is_input(), "{badv}");
        }
        assert!("x".parse::<Limit>().unwrap_err().is_input());
        assert_eq!(" 42\n".parse::<Limit>().unwrap(), Limit::Value(42));
    }

    #[test]
    fn cg_09_cpu_max_validation() {
        assert_eq!(
            "50000/100000".parse::<CpuMax>().unwrap().quota,
            Some(50_000)
        );
        assert_eq!("max".parse::<CpuMax>().unwrap().period_us, 100_000);
        assert!(CpuMax::new(Some(500), 100_000).unwrap_err().is_input());
        assert!(CpuMax::new(None, 999).unwrap_err().is_input());
        assert!(CpuMax::new(None, 1_000_001).unwrap_err().is_input());
        assert!("1 2 3".parse::<CpuMax>().unwrap_err().is_input());
        assert!("".parse::<CpuMax>().unwrap_err().is_input());
    }

    #[test]
    fn cg_10_cg_11_io_and_cpuset_values() {
        let l: CpuList = "0-3,8,10-11".parse().unwrap();
        assert_eq!(l.to_vec(), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(l.to_string(), "0-3,8,10-11");
        assert!("".parse::<CpuList>().unwrap().ranges.is_empty());
        for badv in ["3-1", "a", "1,,2", "1-"] {
            assert!(badv.parse::<CpuList>().unwrap_err().is_input(), "{badv}");
        }
        let m: IoMax = "8:16 rbps=2097152 wbps=max riops=max wiops=120"
            .parse()
            .unwrap();
        assert_eq!(m.wiops, Some(Limit::Value(120)));
        assert_eq!(
            m.to_string(),
            "8:16 rbps=2097152 wbps=max riops=max wiops=120"
        );
        assert!("8:x rbps=1".parse::<IoMax>().unwrap_err().is_input());
        assert!("8:1 zbps=1".parse::<IoMax>().unwrap_err().is_input());
        let w: IoWeight = "default 100\n8:16 200\n".parse().unwrap();
        assert_eq!(w.default, Some(100));
        assert_eq!(w.devices, vec![(DevNum::new(8, 16), 200)]);
        assert!("nonsense".parse::<DevNum>().unwrap_err().is_input());
    }

    #[test]
    fn cg_13_controllers() {
        assert_eq!("memory".parse::<Controller>().unwrap(), Controller::Memory);
        let e = "memroy".parse::<Controller>().unwrap_err();
        assert!(e.is_input() && e.to_string().contains("memroy"), "{e}");
        assert_eq!(
            Controller::from_kernel("newthing"),
            Controller::Other("newthing".into())
        );
        assert!(Controller::Other("Bad Name".into()).validate().is_err());
        assert_eq!(
            "domain threaded".parse::<CgroupType>().unwrap(),
            CgroupType::DomainThreaded
        );
        assert_eq!(
            "root invalid (x)".parse::<Partition>().unwrap().to_string(),
            "root invalid (x)"
        );
    }
}
