//! Tolerant parsers for cgroup v2 control files (pure, no I/O; see the
//! [cgroup v2 documentation](https://docs.kernel.org/admin-guide/cgroup-v2.html#interface-files)).
//!
//! The kernel uses three shapes:
//! * **flat keyed** — `key value` per line (`cpu.stat`, `memory.stat`, `memory.events`,
//!   `cgroup.events`);
//! * **nested keyed** — `key sub=value sub=value …` per line (`io.stat`, `io.max`, PSI files);
//! * **lists** — newline- or space-separated values (`cgroup.procs`, `cgroup.controllers`).
//!
//! Every parser keeps unknown keys, skips malformed lines and counts them; none panics.
//!
//! ```
//! use linx::cgroup::parse;
//! let (values, skipped) = parse::flat_keyed("usage_usec 10\nnew_key 7\nbroken\n");
//! assert_eq!(values["new_key"], 7);
//! assert_eq!(skipped, 1);
//! ```

use std::collections::BTreeMap;

/// Parses a flat-keyed file into `key → u64`; returns the map and the number of skipped lines
/// (no value, a value that is not an unsigned number, or extra fields).
pub fn flat_keyed(text: &str) -> (BTreeMap<String, u64>, usize) {
    let mut map = BTreeMap::new();
    let mut skipped = 0;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(k), Some(v), None) = (it.next(), it.next(), it.next()) else {
            if !line.trim().is_empty() {
                skipped += 1;
            }
            continue;
        };
        match v.parse::<u64>() {
            Ok(n) => {
                map.insert(k.to_owned(), n);
            }
            Err(_) => skipped += 1,
        }
    }
    (map, skipped)
}

/// One line of a nested-keyed file: the leading key and its `sub=value` pairs (kept as text,
/// in file order; a pair without `=` is kept with an empty value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedLine {
    /// The leading key (`8:0`, `some`, `default` …).
    pub key: String,
    /// The `sub=value` pairs.
    pub pairs: Vec<(String, String)>,
}

impl NestedLine {
    /// The value of `sub`.
    pub fn get(&self, sub: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == sub)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a nested-keyed file; returns the lines and the number of skipped (empty-key) lines.
pub fn nested_keyed(text: &str) -> (Vec<NestedLine>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let Some(key) = it.next() else { continue };
        if key.contains('=') {
            skipped += 1;
            continue;
        }
        let pairs = it
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        out.push(NestedLine {
            key: key.to_owned(),
            pairs,
        });
    }
    (out, skipped)
}

/// Parses a list of pids/tids (`cgroup.procs`, `cgroup.threads`): one decimal number per line;
/// returns the numbers and the number of skipped lines.
pub fn pid_list(text: &str) -> (Vec<i32>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.parse::<i32>() {
            Ok(p) if p > 0 => out.push(p),
            _ => skipped += 1,
        }
    }
    (out, skipped)
}

/// The v2 path of a `/proc/<pid>/cgroup` text: the `0::/path` line (`None` if there is none, as
/// on a v1-only host).
///
/// ```
/// let text = "12:memory:/x\n0::/user.slice/session-1.scope\n";
/// assert_eq!(linx::cgroup::parse::proc_cgroup(text), Some("/user.slice/session-1.scope"));
/// ```
pub fn proc_cgroup(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|p| p.trim_end())
}

/// `cgroup.events`: whether the subtree has live processes and whether it is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Events {
    /// `populated 1`: the cgroup or a descendant has live processes.
    pub populated: bool,
    /// `frozen 1`: the cgroup is frozen (`false` where the kernel has no freezer line).
    pub frozen: bool,
}

impl std::fmt::Display for Events {
    /// `populated 1 frozen 0`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "populated {} frozen {}",
            u8::from(self.populated),
            u8::from(self.frozen)
        )
    }
}

/// Parses `cgroup.events`.
pub fn events(text: &str) -> Events {
    let (m, _) = flat_keyed(text);
    Events {
        populated: m.get("populated").is_some_and(|v| *v != 0),
        frozen: m.get("frozen").is_some_and(|v| *v != 0),
    }
}

/// One line of a pressure (PSI) file.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PsiLine {
    /// Share of time stalled, averaged over 10 s (percent).
    pub avg10: f64,
    /// … over 60 s.
    pub avg60: f64,
    /// … over 300 s.
    pub avg300: f64,
    /// Total stall time, µs.
    pub total: u64,
}

/// A pressure file (`cpu.pressure`, `memory.pressure`, `io.pressure`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Pressure {
    /// Some tasks stalled.
    pub some: PsiLine,
    /// All non-idle tasks stalled (absent for `cpu.pressure` on older kernels).
    pub full: Option<PsiLine>,
}

/// Parses a pressure file; `None` when there is no `some` line. Returns the number of skipped
/// lines too.
pub fn pressure(text: &str) -> (Option<Pressure>, usize) {
    let (lines, mut skipped) = nested_keyed(text);
    let mut some = None;
    let mut full = None;
    for l in &lines {
        let f = |k: &str| l.get(k).and_then(|v| v.parse::<f64>().ok());
        let line = match (f("avg10"), f("avg60"), f("avg300"), l.get("total")) {
            (Some(avg10), Some(avg60), Some(avg300), Some(t)) => match t.parse::<u64>() {
                Ok(total) => Some(PsiLine {
                    avg10,
                    avg60,
                    avg300,
                    total,
                }),
                Err(_) => None,
            },
            _ => None,
        };
        match (l.key.as_str(), line) {
            ("some", Some(p)) => some = Some(p),
            ("full", Some(p)) => full = Some(p),
            _ => skipped += 1,
        }
    }
    (some.map(|some| Pressure { some, full }), skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cg_17_flat_and_nested_and_lists() {
        let (m, s) = flat_keyed("a 1\nb x\n\nc 2 3\nd 4\n");
        assert_eq!(m.len(), 2);
        assert_eq!((m["a"], m["d"]), (1, 4));
        assert_eq!(s, 2);
        let (n, s) = nested_keyed("8:0 rbytes=1 wbytes=2 odd\n=bad\n");
        assert_eq!(s, 1);
        assert_eq!(n[0].key, "8:0");
        assert_eq!(n[0].get("wbytes"), Some("2"));
        assert_eq!(n[0].get("odd"), Some(""));
        let (p, s) = pid_list("1\n22\nx\n-3\n");
        assert_eq!((p, s), (vec![1, 22], 2));
        assert_eq!(
            events("populated 1\nfrozen 0\n"),
            Events {
                populated: true,
                frozen: false
            }
        );
        assert_eq!(events("").to_string(), "populated 0 frozen 0");
        let (psi, s) = pressure(
            "some avg10=1.50 avg60=0.00 avg300=0.00 total=12\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n",
        );
        let psi = psi.unwrap();
        assert_eq!(s, 0);
        assert_eq!(psi.some.avg10, 1.5);
        assert_eq!(psi.full.unwrap().total, 3);
        assert_eq!(pressure("junk\n").0, None);
        assert_eq!(proc_cgroup("0::/\n"), Some("/"));
        assert_eq!(proc_cgroup("1:cpu:/\n"), None);
    }
}
