//! Id maps as values (pure): [`IdMapEntry`], the validated [`IdMap`], the kernel's text form
//! (`inside outside count` lines, [`parse_map`]/[`IdMap::render`]) and the CLI form
//! (`IN:OUT:COUNT`).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, Subsystem};

/// The kernel's limit on lines in one map (since Linux 4.15; 5 before).
pub const MAX_ENTRIES: usize = 340;

/// One line of a uid or gid map: `count` consecutive ids starting at `inside` (in the child
/// namespace) map to ids starting at `outside` (in the parent namespace of the writer).
///
/// `Display` shows `0 → 1000` for a single id and half-open ranges otherwise
/// (`0..65536 → 100000..165536`). `FromStr` reads the CLI form `IN:OUT:COUNT`.
///
/// ```
/// use linx::user::IdMapEntry;
/// let e: IdMapEntry = "0:100000:65536".parse()?;
/// assert_eq!(e.to_string(), "0..65536 → 100000..165536");
/// assert_eq!(IdMapEntry::new(0, 1000, 1).to_string(), "0 → 1000");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdMapEntry {
    /// First id inside the namespace.
    pub inside: u32,
    /// First id outside (in the parent namespace).
    pub outside: u32,
    /// Number of ids.
    pub count: u32,
}

impl IdMapEntry {
    /// An entry (not validated until it is put into an [`IdMap`]).
    pub const fn new(inside: u32, outside: u32, count: u32) -> IdMapEntry {
        IdMapEntry {
            inside,
            outside,
            count,
        }
    }

    /// End of the inside range (exclusive), as `u64` so it cannot overflow.
    pub const fn inside_end(&self) -> u64 {
        self.inside as u64 + self.count as u64
    }

    /// End of the outside range (exclusive).
    pub const fn outside_end(&self) -> u64 {
        self.outside as u64 + self.count as u64
    }

    /// The outside id an inside id maps to.
    pub fn map_to_outside(&self, inside: u32) -> Option<u32> {
        if u64::from(inside) >= u64::from(self.inside) && u64::from(inside) < self.inside_end() {
            self.outside.checked_add(inside - self.inside)
        } else {
            None
        }
    }

    fn check(&self) -> Result<()> {
        if self.count == 0 {
            return Err(Error::input(
                Subsystem::User,
                "id map entry",
                self.line(),
                "count must be at least 1",
            ));
        }
        // The kernel rejects an extent whose end wraps around 2^32 (and so the id 4294967295,
        // which is (uid_t)-1, "no id").
        if self.inside_end() > u64::from(u32::MAX) || self.outside_end() > u64::from(u32::MAX) {
            return Err(Error::input(
                Subsystem::User,
                "id map entry",
                self.line(),
                "range runs past 4294967294 (ids are 32-bit and 4294967295 is reserved)",
            ));
        }
        Ok(())
    }

    /// The kernel line form, `inside outside count`.
    fn line(&self) -> String {
        format!("{} {} {}", self.inside, self.outside, self.count)
    }
}

impl fmt::Display for IdMapEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            write!(f, "{} → {}", self.inside, self.outside)
        } else {
            write!(
                f,
                "{}..{} → {}..{}",
                self.inside,
                self.inside_end(),
                self.outside,
                self.outside_end()
            )
        }
    }
}

impl FromStr for IdMapEntry {
    type Err = Error;

    /// `IN:OUT:COUNT`, three decimal numbers (whitespace around each allowed).
    fn from_str(s: &str) -> Result<IdMapEntry> {
        let bad = |reason: &'static str| Error::input(Subsystem::User, "id map entry", s, reason);
        let mut parts = s.split(':');
        let mut num = || -> Result<u32> {
            let p = parts
                .next()
                .ok_or_else(|| bad("expected IN:OUT:COUNT"))?
                .trim();
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("ids and counts are non-negative decimal numbers"));
            }
            p.parse::<u32>()
                .map_err(|_| bad("number out of range (ids are 32-bit)"))
        };
        let e = IdMapEntry::new(num()?, num()?, num()?);
        if parts.next().is_some() {
            return Err(bad("expected IN:OUT:COUNT"));
        }
        Ok(e)
    }
}

/// A validated uid or gid map: 1 to [`MAX_ENTRIES`] entries, each with a count ≥ 1 and ranges
/// that stay below 2^32 − 1, no two overlapping inside and no two overlapping outside.
///
/// Validation happens at construction, so a map that exists can be written; the kernel may
/// still refuse it for reasons of privilege (see [`write_uid_map`](super::write_uid_map)).
///
/// `FromStr` reads comma-separated CLI entries (`0:100000:65536,65536:1000:1`).
///
/// ```
/// use linx::user::{IdMap, IdMapEntry};
/// let map = IdMap::new(vec![IdMapEntry::new(0, 100000, 65536)])?;
/// assert_eq!(map.render(), "0 100000 65536\n");
/// let overlap = IdMap::new(vec![IdMapEntry::new(0, 1000, 10), IdMapEntry::new(5, 2000, 10)]);
/// assert!(overlap.unwrap_err().is_input());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdMap {
    entries: Vec<IdMapEntry>,
}

impl IdMap {
    /// Validates and wraps `entries` (kept in the given order).
    ///
    /// # Errors
    /// An input error for an empty map, more than 340 entries, a count of 0, a range past
    /// 2^32 − 1, or two overlapping ranges (the message names both entries).
    pub fn new(entries: Vec<IdMapEntry>) -> Result<IdMap> {
        if entries.is_empty() {
            return Err(Error::input(
                Subsystem::User,
                "id map",
                "",
                "needs at least one entry",
            ));
        }
        if entries.len() > MAX_ENTRIES {
            return Err(Error::input(
                Subsystem::User,
                "id map",
                format!("{} entries", entries.len()),
                "the kernel accepts at most 340 lines",
            ));
        }
        for e in &entries {
            e.check()?;
        }
        overlap(
            &entries,
            |e| (u64::from(e.inside), e.inside_end()),
            "inside",
        )?;
        overlap(
            &entries,
            |e| (u64::from(e.outside), e.outside_end()),
            "outside",
        )?;
        Ok(IdMap { entries })
    }

    /// A one-line map.
    ///
    /// # Errors
    /// As [`IdMap::new`].
    pub fn single(inside: u32, outside: u32, count: u32) -> Result<IdMap> {
        IdMap::new(vec![IdMapEntry::new(inside, outside, count)])
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[IdMapEntry] {
        &self.entries
    }

    /// The text the kernel expects: one `inside outside count\n` line per entry, written in a
    /// single `write(2)`.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(self.entries.len() * 24);
        for e in &self.entries {
            s.push_str(&e.line());
            s.push('\n');
        }
        s
    }

    /// The outside id an inside id maps to.
    pub fn map_to_outside(&self, inside: u32) -> Option<u32> {
        self.entries.iter().find_map(|e| e.map_to_outside(inside))
    }
}

fn overlap(
    entries: &[IdMapEntry],
    range: impl Fn(&IdMapEntry) -> (u64, u64),
    side: &'static str,
) -> Result<()> {
    let mut sorted: Vec<&IdMapEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| range(e));
    for pair in sorted.windows(2) {
        if let [a, b] = pair
            && range(b).0 < range(a).1
        {
            return Err(Error::input(
                Subsystem::User,
                "id map",
                format!("{a}, {b}"),
                format!("entries overlap on the {side} side"),
            ));
        }
    }
    Ok(())
}

impl fmt::Display for IdMap {
    /// Entries separated by `, `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl FromStr for IdMap {
    type Err = Error;

    /// Comma-separated `IN:OUT:COUNT` entries.
    fn from_str(s: &str) -> Result<IdMap> {
        IdMap::new(
            s.split(',')
                .map(str::parse)
                .collect::<Result<Vec<IdMapEntry>>>()?,
        )
    }
}

impl TryFrom<Vec<IdMapEntry>> for IdMap {
    type Error = Error;

    fn try_from(v: Vec<IdMapEntry>) -> Result<IdMap> {
        IdMap::new(v)
    }
}

/// What a map file held, as read back from the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapContents {
    /// The entries, in file order (empty for a map not written yet).
    pub entries: Vec<IdMapEntry>,
    /// Lines that did not parse and were skipped.
    pub malformed: usize,
}

impl MapContents {
    /// True when the map has not been written.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Parses the text of `/proc/<pid>/uid_map` or `gid_map` (see
/// [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html)): three
/// whitespace-separated decimal numbers per line, with the kernel's padding. Blank lines are
/// ignored; malformed lines are skipped and counted. Never panics.
///
/// ```
/// let m = linx::user::parse_map("         0       1000          1\nbogus\n");
/// assert_eq!(m.entries, [linx::user::IdMapEntry::new(0, 1000, 1)]);
/// assert_eq!(m.malformed, 1);
/// ```
pub fn parse_map(text: &str) -> MapContents {
    let mut out = MapContents::default();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        let nums: Option<[u32; 3]> = (|| {
            let a = first.parse().ok()?;
            let b = fields.next()?.parse().ok()?;
            let c = fields.next()?.parse().ok()?;
            fields.next().is_none().then_some([a, b, c])
        })();
        match nums {
            Some([a, b, c]) => out.entries.push(IdMapEntry::new(a, b, c)),
            None => out.malformed += 1,
        }
    }
    out
}
