//! [`CapSet`]: a set of capabilities as a 64-bit mask (pure, allocation-free).

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub, SubAssign};
use std::str::FromStr;

use super::cap::{Cap, LAST_KNOWN};
use crate::error::{Error, Result, Subsystem};

/// A set of capabilities: bit *n* is capability *n*, exactly as the kernel's masks
/// (`CapEff:` in `/proc/<pid>/status`, `capget(2)`) lay them out.
///
/// `Copy`, allocation-free and usable between `clone` and `execve`. Set algebra with the usual
/// operators (`|` union, `&` intersection, `-` difference, `!` complement within 64 bits).
/// Iteration yields [`Cap`]s in bit order. `Display` lists names separated by commas in bit
/// order, unnamed bits as numbers, exactly like `capsh --decode` (the empty set displays as an
/// empty string); `{:x}` formats the mask in hex (`{:016x}` as `/proc` shows it).
///
/// Parsing (`FromStr`): `0x`-prefixed hex, or a comma-separated list of names as accepted by
/// [`Cap::from_name`], where `all` stands for every named capability ([`CapSet::all_known`]).
///
/// ```
/// use linx::caps::{Cap, CapSet};
/// let s: CapSet = "cap_chown, setpcap".parse()?;
/// assert_eq!(s.bits(), 0x101);
/// assert_eq!(s.to_string(), "cap_chown,cap_setpcap");
/// assert_eq!(format!("{s:016x}"), "0000000000000101");
/// assert_eq!("0x200001".parse::<CapSet>()?, CapSet::from_iter([Cap::Chown, Cap::SysAdmin]));
/// assert!(s.contains(Cap::Setpcap));
/// assert_eq!((s - CapSet::from(Cap::Chown)).len(), 1);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct CapSet(u64);

impl CapSet {
    /// The empty set.
    pub const EMPTY: CapSet = CapSet(0);

    /// The empty set.
    pub const fn empty() -> CapSet {
        CapSet(0)
    }

    /// The set with exactly these bits.
    pub const fn from_bits(bits: u64) -> CapSet {
        CapSet(bits)
    }

    /// The mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Every capability this table names (0..=40, mask `0x1ffffffffff`).
    pub const fn all_known() -> CapSet {
        CapSet::up_to(LAST_KNOWN)
    }

    /// Capabilities 0..=`last` (e.g. with [`last_cap`](super::last_cap): every capability the
    /// running kernel knows). `last` above 63 is treated as 63.
    pub const fn up_to(last: u8) -> CapSet {
        if last >= 63 {
            CapSet(u64::MAX)
        } else {
            CapSet((1u64 << (last + 1)) - 1)
        }
    }

    /// Every capability the running kernel knows (0..=[`last_cap`](super::last_cap)).
    ///
    /// # Errors
    /// As [`last_cap`](super::last_cap).
    pub fn kernel() -> Result<CapSet> {
        Ok(CapSet::up_to(super::last_cap()?))
    }

    /// The set holding only `cap`.
    pub const fn single(cap: Cap) -> CapSet {
        CapSet(1u64 << (cap.number() & 63))
    }

    /// True when `cap` is in the set.
    pub const fn contains(self, cap: Cap) -> bool {
        let n = cap.number();
        n <= 63 && self.0 & (1u64 << n) != 0
    }

    /// True when the set holds bit `n` (false for `n` > 63).
    pub const fn contains_number(self, n: u8) -> bool {
        n <= 63 && self.0 & (1u64 << n) != 0
    }

    /// Adds `cap`.
    pub fn insert(&mut self, cap: Cap) {
        self.0 |= CapSet::single(cap).0;
    }

    /// Removes `cap`.
    pub fn remove(&mut self, cap: Cap) {
        self.0 &= !CapSet::single(cap).0;
    }

    /// True for the empty set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of capabilities in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Union.
    pub const fn union(self, other: CapSet) -> CapSet {
        CapSet(self.0 | other.0)
    }

    /// Intersection.
    pub const fn intersection(self, other: CapSet) -> CapSet {
        CapSet(self.0 & other.0)
    }

    /// The capabilities of `self` that are not in `other`.
    pub const fn difference(self, other: CapSet) -> CapSet {
        CapSet(self.0 & !other.0)
    }

    /// True when every capability of `self` is in `other`.
    pub const fn is_subset(self, other: CapSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The capabilities in bit order.
    pub fn iter(self) -> Iter {
        Iter(self.0)
    }

    /// Parses a mask as `/proc/<pid>/status` prints it: hex digits, any case, optional `0x`,
    /// surrounding whitespace ignored. Leading zeros beyond 16 digits are accepted (a kernel
    /// with wider masks still parses while the set bits fit in 64).
    ///
    /// # Errors
    /// An input error naming the text when it is empty, not hex, or has a bit above 63.
    pub fn from_hex(text: &str) -> Result<CapSet> {
        let t = text.trim();
        let digits = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        let bad =
            |reason: &'static str| Error::input(Subsystem::Caps, "capability mask", text, reason);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("not a hexadecimal mask"));
        }
        let significant = digits.trim_start_matches('0');
        if significant.len() > 16 {
            return Err(bad("has bits above 63"));
        }
        if significant.is_empty() {
            return Ok(CapSet(0));
        }
        u64::from_str_radix(significant, 16)
            .map(CapSet)
            .map_err(|_| bad("not a hexadecimal mask"))
    }

    /// Parses a comma-separated list of names (see [`Cap::from_name`]; `all` adds every named
    /// capability). Empty items are ignored, so `""` is the empty set.
    ///
    /// # Errors
    /// The first unknown name, as an input error with a suggestion.
    pub fn from_names(list: &str) -> Result<CapSet> {
        let mut set = CapSet::empty();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.eq_ignore_ascii_case("all") {
                set |= CapSet::all_known();
            } else {
                set.insert(Cap::from_name(item)?);
            }
        }
        Ok(set)
    }
}

/// Iterator over a [`CapSet`] in bit order.
#[derive(Debug, Clone)]
pub struct Iter(u64);

impl Iterator for Iter {
    type Item = Cap;

    fn next(&mut self) -> Option<Cap> {
        if self.0 == 0 {
            return None;
        }
        let n = self.0.trailing_zeros() as u8;
        self.0 &= self.0 - 1;
        Cap::from_number(n)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter {}

impl IntoIterator for CapSet {
    type Item = Cap;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<Cap> for CapSet {
    fn from_iter<I: IntoIterator<Item = Cap>>(iter: I) -> CapSet {
        let mut s = CapSet::empty();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

impl Extend<Cap> for CapSet {
    fn extend<I: IntoIterator<Item = Cap>>(&mut self, iter: I) {
        for c in iter {
            self.insert(c);
        }
    }
}

impl From<Cap> for CapSet {
    fn from(c: Cap) -> CapSet {
        CapSet::single(c)
    }
}

impl BitOr for CapSet {
    type Output = CapSet;
    fn bitor(self, o: CapSet) -> CapSet {
        self.union(o)
    }
}

impl BitOrAssign for CapSet {
    fn bitor_assign(&mut self, o: CapSet) {
        self.0 |= o.0;
    }
}

impl BitAnd for CapSet {
    type Output = CapSet;
    fn bitand(self, o: CapSet) -> CapSet {
        self.intersection(o)
    }
}

impl BitAndAssign for CapSet {
    fn bitand_assign(&mut self, o: CapSet) {
        self.0 &= o.0;
    }
}

impl Sub for CapSet {
    type Output = CapSet;
    fn sub(self, o: CapSet) -> CapSet {
        self.difference(o)
    }
}

impl SubAssign for CapSet {
    fn sub_assign(&mut self, o: CapSet) {
        self.0 &= !o.0;
    }
}

impl Not for CapSet {
    type Output = CapSet;
    fn not(self) -> CapSet {
        CapSet(!self.0)
    }
}

impl fmt::Display for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::LowerHex for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl fmt::UpperHex for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&self.0, f)
    }
}

impl FromStr for CapSet {
    type Err = Error;

    /// `0x…` parses as hex ([`CapSet::from_hex`]); anything else as names
    /// ([`CapSet::from_names`]).
    fn from_str(s: &str) -> Result<CapSet> {
        let t = s.trim();
        if t.starts_with("0x") || t.starts_with("0X") {
            CapSet::from_hex(t)
        } else {
            CapSet::from_names(t)
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CapSet {
    /// `{"hex": "000001ffffffffff", "names": ["cap_chown", …]}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Names(CapSet);
        impl serde::Serialize for Names {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter())
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("hex", &format!("{:016x}", self.0))?;
        m.serialize_entry("names", &Names(*self))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(CapSet::all_known().bits(), 0x1ff_ffff_ffff);
        assert_eq!(CapSet::all_known().len(), 41);
        assert_eq!(CapSet::up_to(63).bits(), u64::MAX);
        assert_eq!(
            CapSet::from_hex("0004000000000101").unwrap().to_string(),
            "cap_chown,cap_setpcap,50"
        );
        assert_eq!(CapSet::from_hex("00000000000000000001").unwrap().bits(), 1);
        assert!(CapSet::from_hex("10000000000000000").is_err());
        assert!(CapSet::from_hex("").is_err());
        assert!(CapSet::from_hex("xyz").is_err());
        assert_eq!("all".parse::<CapSet>().unwrap(), CapSet::all_known());
        assert_eq!("".parse::<CapSet>().unwrap(), CapSet::EMPTY);
    }
}
