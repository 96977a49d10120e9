//! Inclusive address ranges ([`IpRange`]).

use core::fmt;
use core::net::IpAddr;
use core::str::FromStr;

use super::error::{ParseError, ParseErrorKind, ParseTarget};
use super::prefix::range_to_prefixes;
use super::{Ipv4Prefix, Ipv6Prefix, Prefix};

/// An inclusive range of addresses `first..=last` of one family (TYP-05), as used by nf_tables
/// interval sets.
///
/// The text form is `FIRST-LAST` (nft's syntax), e.g. `10.0.0.1-10.0.0.6`; a single address is
/// `A-A`. Ordered by first address (IPv4 first), then last.
///
/// ```
/// use linx::{prefix, types::IpRange};
///
/// let r: IpRange = "10.0.0.1-10.0.0.6".parse()?;
/// assert!(r.contains("10.0.0.3".parse().unwrap()));
/// let list: Vec<String> = r.to_prefixes().iter().map(|p| p.to_string()).collect();
/// assert_eq!(list, ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]);
/// assert_eq!(IpRange::from(prefix!("10.0.0.0/8")).to_string(), "10.0.0.0-10.255.255.255");
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    first: IpAddr,
    last: IpAddr,
}

/// (bits of first, bits of last) when both have the same family.
fn bits(first: IpAddr, last: IpAddr) -> Option<(u128, u128, u32)> {
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some((a.to_bits().into(), b.to_bits().into(), 32)),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some((a.to_bits(), b.to_bits(), 128)),
        _ => None,
    }
}

impl IpRange {
    fn check(first: IpAddr, last: IpAddr) -> Result<Self, ParseErrorKind> {
        match bits(first, last) {
            None => Err(ParseErrorKind::FamilyMismatch),
            Some((a, b, _)) if a > b => Err(ParseErrorKind::RangeOrder),
            Some(_) => Ok(IpRange { first, last }),
        }
    }

    /// The range `first..=last`.
    ///
    /// # Errors
    /// [`FamilyMismatch`](ParseErrorKind::FamilyMismatch) when the families differ,
    /// [`RangeOrder`](ParseErrorKind::RangeOrder) when `first > last`.
    ///
    /// ```
    /// use linx::types::IpRange;
    /// let a = "10.0.0.1".parse().unwrap();
    /// let b = "10.0.0.9".parse().unwrap();
    /// assert!(IpRange::new(a, b).is_ok());
    /// assert!(IpRange::new(b, a).is_err());
    /// assert!(IpRange::new(a, "::1".parse().unwrap()).is_err());
    /// ```
    pub fn new(first: IpAddr, last: IpAddr) -> Result<Self, ParseError> {
        Self::check(first, last)
            .map_err(|k| ParseError::new(ParseTarget::Range, format!("{first}-{last}"), k))
    }

    /// The first address.
    ///
    /// ```
    /// use linx::types::IpRange;
    /// let r: IpRange = "10.0.0.1-10.0.0.6".parse().unwrap();
    /// assert_eq!(r.first().to_string(), "10.0.0.1");
    /// ```
    pub const fn first(&self) -> IpAddr {
        self.first
    }

    /// The last address (inclusive).
    ///
    /// ```
    /// use linx::types::IpRange;
    /// let r: IpRange = "10.0.0.1-10.0.0.6".parse().unwrap();
    /// assert_eq!(r.last().to_string(), "10.0.0.6");
    /// ```
    pub const fn last(&self) -> IpAddr {
        self.last
    }

    /// Whether `addr` lies in the range (`false` for the other family).
    ///
    /// ```
    /// use linx::types::IpRange;
    /// let r: IpRange = "10.0.0.1-10.0.0.6".parse().unwrap();
    /// assert!(r.contains("10.0.0.6".parse().unwrap()));
    /// assert!(!r.contains("10.0.0.7".parse().unwrap()));
    /// assert!(!r.contains("::ffff:10.0.0.2".parse().unwrap()));
    /// ```
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (bits(self.first, addr), bits(addr, self.last)) {
            (Some((f, a, _)), Some((_, l, _))) => f <= a && a <= l,
            _ => false,
        }
    }

    /// The minimal list of prefixes covering exactly this range, in ascending order.
    ///
    /// ```
    /// use linx::{prefix, types::IpRange};
    /// let r: IpRange = "10.0.0.0-10.0.1.255".parse().unwrap();
    /// assert_eq!(r.to_prefixes(), [prefix!("10.0.0.0/23")]);
    /// ```
    pub fn to_prefixes(&self) -> Vec<Prefix> {
        let mut out = Vec::new();
        if let Some((a, b, width)) = bits(self.first, self.last) {
            range_to_prefixes(a, b, width, |start, len| {
                let p = if width == 32 {
                    Ipv4Prefix::new_truncating((start as u32).into(), len).map(Prefix::V4)
                } else {
                    Ipv6Prefix::new_truncating(start.into(), len).map(Prefix::V6)
                };
                // Lengths from `range_to_prefixes` never exceed the width.
                if let Ok(p) = p {
                    out.push(p);
                }
            });
        }
        out
    }
}

impl From<Prefix> for IpRange {
    /// The addresses of the prefix, `first()..=last()`.
    fn from(p: Prefix) -> Self {
        IpRange {
            first: p.first(),
            last: p.last(),
        }
    }
}

impl From<Ipv4Prefix> for IpRange {
    /// The addresses of the prefix, `first()..=last()`.
    fn from(p: Ipv4Prefix) -> Self {
        IpRange::from(Prefix::V4(p))
    }
}

impl From<Ipv6Prefix> for IpRange {
    /// The addresses of the prefix, `first()..=last()`.
    fn from(p: Ipv6Prefix) -> Self {
        IpRange::from(Prefix::V6(p))
    }
}

impl fmt::Display for IpRange {
    /// `FIRST-LAST`, e.g. `10.0.0.1-10.0.0.6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl fmt::Debug for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpRange({self})")
    }
}

impl FromStr for IpRange {
    type Err = ParseError;

    /// Parses `FIRST-LAST` with std's strict address syntax on both sides and no spaces.
    ///
    /// # Errors
    /// `BadRange` (no `-`), `BadAddress`, `FamilyMismatch`, `RangeOrder`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::Range, s, k);
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| err(ParseErrorKind::BadRange))?;
        let first: IpAddr = a.parse().map_err(|_| err(ParseErrorKind::BadAddress))?;
        let last: IpAddr = b.parse().map_err(|_| err(ParseErrorKind::BadAddress))?;
        Self::check(first, last).map_err(err)
    }
}
