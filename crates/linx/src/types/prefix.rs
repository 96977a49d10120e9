//! Strict network prefixes: [`Prefix`], [`Ipv4Prefix`], [`Ipv6Prefix`] and their iterators.

use core::fmt;
use core::iter::FusedIterator;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use super::constparse;
use super::error::{ParseError, ParseErrorKind, ParseTarget};

// ---------------------------------------------------------------------------------------------
// Integer helpers shared by both families (addresses as u128, `width` = 32 or 128).

/// A mask with the low `bits` bits set (`bits` may be 0..=128).
pub(crate) const fn low_mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Calls `emit(start, len)` for each prefix of the minimal list covering `start..=end` exactly.
pub(crate) fn range_to_prefixes(
    start: u128,
    end: u128,
    width: u32,
    mut emit: impl FnMut(u128, u8),
) {
    let mut cur = start;
    loop {
        if cur > end {
            return;
        }
        // Largest aligned block starting at `cur`...
        let align = if cur == 0 {
            width
        } else {
            cur.trailing_zeros().min(width)
        };
        // ...that does not run past `end`: floor(log2(end - cur + 1)).
        let span = end - cur;
        let fit = match span.checked_add(1) {
            Some(n) => 127 - n.leading_zeros(),
            None => 128,
        };
        let host_bits = align.min(fit);
        emit(cur, (width - host_bits) as u8);
        let block_last = cur | low_mask(host_bits);
        if block_last >= end {
            return;
        }
        cur = block_last + 1;
    }
}

/// Sorts and merges overlapping or adjacent inclusive ranges.
pub(crate) fn merge_ranges(mut v: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        if let Some(last) = out.last_mut() {
            if last.1 == u128::MAX || s <= last.1 + 1 {
                if e > last.1 {
                    last.1 = e;
                }
                continue;
            }
        }
        out.push((s, e));
    }
    out
}

/// An inclusive stepping counter over u128 values, the engine of the host and subnet iterators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Stepper {
    next: u128,
    last: u128,
    /// log2 of the step (0 for hosts, host bits of the new length for subnets).
    shift: u32,
    done: bool,
}

impl Stepper {
    const fn new(first: u128, last: u128, shift: u32) -> Self {
        Stepper {
            next: first,
            last,
            shift,
            done: first > last,
        }
    }

    /// Remaining items minus one (`None` when done).
    fn remaining_minus_one(&self) -> Option<u128> {
        if self.done {
            None
        } else if self.shift >= 128 {
            Some(0)
        } else {
            Some((self.last - self.next) >> self.shift)
        }
    }

    fn next(&mut self) -> Option<u128> {
        if self.done {
            return None;
        }
        let v = self.next;
        if self.next == self.last || self.shift >= 128 {
            self.done = true;
        } else {
            self.next += 1u128 << self.shift;
        }
        Some(v)
    }

    fn next_back(&mut self) -> Option<u128> {
        if self.done {
            return None;
        }
        let v = self.last;
        if self.next == self.last || self.shift >= 128 {
            self.done = true;
        } else {
            self.last -= 1u128 << self.shift;
        }
        Some(v)
    }

    fn nth(&mut self, n: usize) -> Option<u128> {
        let rem = self.remaining_minus_one()?;
        let n = n as u128;
        if n > rem {
            self.done = true;
            return None;
        }
        if n > 0 {
            // n <= rem < 2^(128 - shift), so this cannot overflow.
            self.next += n << self.shift;
        }
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.remaining_minus_one() {
            None => (0, Some(0)),
            Some(r) => match r.checked_add(1).map(usize::try_from) {
                Some(Ok(n)) => (n, Some(n)),
                _ => (usize::MAX, None),
            },
        }
    }
}

macro_rules! stepper_iter {
    ($(#[$m:meta])* $name:ident, $item:ty, $conv:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            inner: Stepper,
        }

        impl Iterator for $name {
            type Item = $item;

            fn next(&mut self) -> Option<$item> {
                self.inner.next().map($conv)
            }

            fn nth(&mut self, n: usize) -> Option<$item> {
                self.inner.nth(n).map($conv)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }
        }

        impl DoubleEndedIterator for $name {
            fn next_back(&mut self) -> Option<$item> {
                self.inner.next_back().map($conv)
            }
        }

        impl FusedIterator for $name {}
    };
}

fn v4_of(x: u128) -> Ipv4Addr {
    Ipv4Addr::from_bits(x as u32)
}

fn v6_of(x: u128) -> Ipv6Addr {
    Ipv6Addr::from_bits(x)
}

stepper_iter!(
    /// The usable host addresses of an [`Ipv4Prefix`], from [`Ipv4Prefix::hosts`].
    ///
    /// Allocation-free; double-ended; `nth` skips in constant time.
    Ipv4Hosts,
    Ipv4Addr,
    v4_of
);
stepper_iter!(
    /// The usable host addresses of an [`Ipv6Prefix`], from [`Ipv6Prefix::hosts`].
    ///
    /// Allocation-free even for `::/0`; double-ended; `nth` skips in constant time. `size_hint`
    /// saturates when the count exceeds `usize::MAX`.
    Ipv6Hosts,
    Ipv6Addr,
    v6_of
);

/// The subnets of an [`Ipv4Prefix`], from [`Ipv4Prefix::subnets`], in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ipv4Subnets {
    inner: Stepper,
    len: u8,
}

/// The subnets of an [`Ipv6Prefix`], from [`Ipv6Prefix::subnets`], in ascending order.
///
/// Allocation-free; `size_hint` saturates when the count exceeds `usize::MAX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ipv6Subnets {
    inner: Stepper,
    len: u8,
}

macro_rules! subnets_iter {
    ($name:ident, $prefix:ident, $conv:expr) => {
        impl Iterator for $name {
            type Item = $prefix;

            fn next(&mut self) -> Option<$prefix> {
                let len = self.len;
                self.inner.next().map(|x| $prefix {
                    addr: $conv(x),
                    len,
                })
            }

            fn nth(&mut self, n: usize) -> Option<$prefix> {
                let len = self.len;
                self.inner.nth(n).map(|x| $prefix {
                    addr: $conv(x),
                    len,
                })
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }
        }

        impl DoubleEndedIterator for $name {
            fn next_back(&mut self) -> Option<$prefix> {
                let len = self.len;
                self.inner.next_back().map(|x| $prefix {
                    addr: $conv(x),
                    len,
                })
            }
        }

        impl FusedIterator for $name {}
    };
}

subnets_iter!(Ipv4Subnets, Ipv4Prefix, v4_of);
subnets_iter!(Ipv6Subnets, Ipv6Prefix, v6_of);

// ---------------------------------------------------------------------------------------------
// Runtime parsing (std's address parsers + the shared prefix-length grammar).

/// Splits `ADDRESS/LENGTH` and parses the address with std. Errors as `constparse`.
pub(crate) fn split_addr(s: &str) -> Result<(IpAddr, &str), ParseErrorKind> {
    match s.split_once('/') {
        None => Err(if s.parse::<IpAddr>().is_ok() {
            ParseErrorKind::MissingPrefixLength
        } else {
            ParseErrorKind::BadAddress
        }),
        Some((a, l)) => match a.parse::<IpAddr>() {
            Ok(addr) => Ok((addr, l)),
            Err(_) => Err(ParseErrorKind::BadAddress),
        },
    }
}

/// `ADDRESS/LENGTH` with the length checked against the address's family.
pub(crate) fn parse_addr_len(s: &str) -> Result<(IpAddr, u8), ParseErrorKind> {
    let (addr, l) = split_addr(s)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = constparse::prefix_len(l.as_bytes(), max)?;
    Ok((addr, len))
}

// ---------------------------------------------------------------------------------------------
// Ipv4Prefix

/// An IPv4 network prefix: an address whose bits after the prefix length are all **zero**,
/// e.g. `10.0.0.0/24` (TYP-02).
///
/// Use it for routes, rules and nf_tables prefixes; an interface address such as `10.0.0.5/24`
/// is an [`Ipv4IfAddr`](super::Ipv4IfAddr). Ordered by address, then length.
///
/// ```
/// use linx::types::Ipv4Prefix;
/// use std::net::Ipv4Addr;
///
/// let p: Ipv4Prefix = "192.168.0.0/16".parse()?;
/// assert_eq!(p.addr(), Ipv4Addr::new(192, 168, 0, 0));
/// assert_eq!(p.len(), 16);
/// assert!(p.contains(Ipv4Addr::new(192, 168, 7, 1)));
/// assert!("192.168.0.1/16".parse::<Ipv4Prefix>().is_err());
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Prefix {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4Prefix {
    /// The longest prefix length, 32.
    pub const MAX_LEN: u8 = 32;

    /// `0.0.0.0/0`, every IPv4 address.
    pub const ANY: Ipv4Prefix = Ipv4Prefix {
        addr: Ipv4Addr::UNSPECIFIED,
        len: 0,
    };

    /// Checks length and host bits; the const core of [`new`](Self::new).
    pub(crate) const fn checked(addr: Ipv4Addr, len: u8) -> Result<Self, ParseErrorKind> {
        if len > Self::MAX_LEN {
            return Err(ParseErrorKind::BadPrefixLength { max: Self::MAX_LEN });
        }
        let p = Self::truncating(addr, len);
        if p.addr.to_bits() != addr.to_bits() {
            return Err(ParseErrorKind::HostBitsSet {
                suggestion: Prefix::V4(p),
            });
        }
        Ok(p)
    }

    /// Zeroes the host bits; `len` must be at most 32.
    const fn truncating(addr: Ipv4Addr, len: u8) -> Self {
        Ipv4Prefix {
            addr: Ipv4Addr::from_bits(addr.to_bits() & mask4(len)),
            len,
        }
    }

    /// The prefix `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 32`,
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) (with the truncated suggestion) when `addr`
    /// has bits set after `len`.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// use std::net::Ipv4Addr;
    ///
    /// assert!(Ipv4Prefix::new(Ipv4Addr::new(10, 0, 0, 0), 8).is_ok());
    /// assert!(Ipv4Prefix::new(Ipv4Addr::new(10, 0, 0, 1), 8).is_err());
    /// ```
    pub fn new(addr: Ipv4Addr, len: u8) -> Result<Self, ParseError> {
        Self::checked(addr, len)
            .map_err(|k| ParseError::new(ParseTarget::Prefix, format!("{addr}/{len}"), k))
    }

    /// The prefix `addr/len` with the host bits of `addr` cleared on purpose.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 32` (never truncated
    /// silently).
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// use std::net::Ipv4Addr;
    ///
    /// let p = Ipv4Prefix::new_truncating(Ipv4Addr::new(10, 0, 0, 5), 24)?;
    /// assert_eq!(p.to_string(), "10.0.0.0/24");
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn new_truncating(addr: Ipv4Addr, len: u8) -> Result<Self, ParseError> {
        if len > Self::MAX_LEN {
            return Err(ParseError::new(
                ParseTarget::Prefix,
                format!("{addr}/{len}"),
                ParseErrorKind::BadPrefixLength { max: Self::MAX_LEN },
            ));
        }
        Ok(Self::truncating(addr, len))
    }

    /// The host route `addr/32`. This is the only way a bare address becomes a prefix.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// use std::net::Ipv4Addr;
    ///
    /// assert_eq!(Ipv4Prefix::from_addr(Ipv4Addr::LOCALHOST).to_string(), "127.0.0.1/32");
    /// ```
    pub const fn from_addr(addr: Ipv4Addr) -> Self {
        Ipv4Prefix { addr, len: 32 }
    }

    /// The network address (host bits zero).
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").addr().to_string(), "10.0.0.0");
    /// ```
    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The prefix length, 0..=32.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// assert_eq!("10.0.0.0/8".parse::<Ipv4Prefix>().unwrap().len(), 8);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        self.len
    }

    /// The netmask, e.g. `255.255.255.0` for `/24`.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/24".parse().unwrap();
    /// assert_eq!(p.netmask().to_string(), "255.255.255.0");
    /// ```
    pub const fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(mask4(self.len))
    }

    /// The host mask, e.g. `0.0.0.255` for `/24`.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/24".parse().unwrap();
    /// assert_eq!(p.hostmask().to_string(), "0.0.0.255");
    /// ```
    pub const fn hostmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(!mask4(self.len))
    }

    /// Whether `addr` lies in this prefix.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// use std::net::Ipv4Addr;
    /// let p: Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    /// assert!(p.contains(Ipv4Addr::new(10, 9, 8, 7)));
    /// assert!(!p.contains(Ipv4Addr::new(11, 0, 0, 0)));
    /// ```
    pub const fn contains(&self, addr: Ipv4Addr) -> bool {
        addr.to_bits() & mask4(self.len) == self.addr.to_bits()
    }

    /// Whether `other` is this prefix or one of its subnets.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let a: Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    /// let b: Ipv4Prefix = "10.1.0.0/16".parse().unwrap();
    /// assert!(a.contains_prefix(&b) && !b.contains_prefix(&a));
    /// ```
    pub const fn contains_prefix(&self, other: &Ipv4Prefix) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }

    /// The prefix itself (a prefix is already a network); provided for symmetry with
    /// [`Ipv4IfAddr::network`](super::Ipv4IfAddr::network). Idempotent.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    /// assert_eq!(p.network(), p);
    /// ```
    pub const fn network(&self) -> Ipv4Prefix {
        *self
    }

    /// The broadcast address (the last address) for prefixes up to `/30`; `None` for `/31`
    /// (point-to-point, RFC 3021) and `/32`.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/24".parse().unwrap();
    /// assert_eq!(p.broadcast().unwrap().to_string(), "10.0.0.255");
    /// assert_eq!("10.0.0.0/31".parse::<Ipv4Prefix>().unwrap().broadcast(), None);
    /// ```
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        if self.len <= 30 {
            Some(self.last())
        } else {
            None
        }
    }

    /// The first address (the network address).
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    /// assert_eq!(p.first().to_string(), "10.0.0.0");
    /// ```
    pub const fn first(&self) -> Ipv4Addr {
        self.addr
    }

    /// The last address (all host bits one).
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/8".parse().unwrap();
    /// assert_eq!(p.last().to_string(), "10.255.255.255");
    /// ```
    pub const fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.addr.to_bits() | !mask4(self.len))
    }

    /// The addresses usable by hosts: for `/0`..`/30` every address except the network and
    /// broadcast addresses; for `/31` both addresses (RFC 3021); for `/32` the single address.
    /// Never allocates.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/30".parse().unwrap();
    /// let hosts: Vec<String> = p.hosts().map(|a| a.to_string()).collect();
    /// assert_eq!(hosts, ["10.0.0.1", "10.0.0.2"]);
    /// ```
    pub fn hosts(&self) -> Ipv4Hosts {
        let first = self.first().to_bits() as u128;
        let last = self.last().to_bits() as u128;
        let inner = if self.len <= 30 {
            Stepper::new(first + 1, last - 1, 0)
        } else {
            Stepper::new(first, last, 0)
        };
        Ipv4Hosts { inner }
    }

    /// The subnets of length `new_len`, in ascending order; `None` when `new_len` is shorter
    /// than this prefix or above 32. Never allocates.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.0.0/23".parse().unwrap();
    /// let subnets: Vec<String> = p.subnets(24).unwrap().map(|s| s.to_string()).collect();
    /// assert_eq!(subnets, ["10.0.0.0/24", "10.0.1.0/24"]);
    /// assert!(p.subnets(22).is_none());
    /// ```
    pub fn subnets(&self, new_len: u8) -> Option<Ipv4Subnets> {
        if new_len < self.len || new_len > Self::MAX_LEN {
            return None;
        }
        let first = self.first().to_bits() as u128;
        let last_net = (self.last().to_bits() & mask4(new_len)) as u128;
        Some(Ipv4Subnets {
            inner: Stepper::new(first, last_net, u32::from(32 - new_len)),
            len: new_len,
        })
    }

    /// The enclosing prefix one bit shorter; `None` for `/0`.
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let p: Ipv4Prefix = "10.0.1.0/24".parse().unwrap();
    /// assert_eq!(p.supernet().unwrap().to_string(), "10.0.0.0/23");
    /// ```
    pub const fn supernet(&self) -> Option<Ipv4Prefix> {
        if self.len == 0 {
            None
        } else {
            Some(Self::truncating(self.addr, self.len - 1))
        }
    }

    /// The minimal sorted list of prefixes covering exactly the addresses of `prefixes`
    /// (duplicates and nested prefixes are removed, adjacent ones merged).
    ///
    /// ```
    /// use linx::types::Ipv4Prefix;
    /// let list: Vec<Ipv4Prefix> = ["10.0.0.0/25", "10.0.0.128/25", "10.0.0.7/32"]
    ///     .iter()
    ///     .map(|s| s.parse().unwrap())
    ///     .collect();
    /// let agg = Ipv4Prefix::aggregate(&list);
    /// assert_eq!(agg, ["10.0.0.0/24".parse().unwrap()]);
    /// ```
    pub fn aggregate(prefixes: &[Ipv4Prefix]) -> Vec<Ipv4Prefix> {
        let ranges = prefixes
            .iter()
            .map(|p| (p.first().to_bits() as u128, p.last().to_bits() as u128))
            .collect();
        let mut out = Vec::new();
        for (s, e) in merge_ranges(ranges) {
            range_to_prefixes(s, e, 32, |a, len| {
                out.push(Ipv4Prefix {
                    addr: v4_of(a),
                    len,
                });
            });
        }
        out
    }
}

const fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else if len >= 32 {
        u32::MAX
    } else {
        u32::MAX << (32 - len)
    }
}

const fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else if len >= 128 {
        u128::MAX
    } else {
        u128::MAX << (128 - len)
    }
}

impl fmt::Display for Ipv4Prefix {
    /// `ADDRESS/LENGTH`, e.g. `10.0.0.0/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipv4Prefix({self})")
    }
}

impl FromStr for Ipv4Prefix {
    type Err = ParseError;

    /// Parses `a.b.c.d/len` strictly: std's address syntax, a decimal length 0..=32 without
    /// sign or leading zeros, and no host bits set.
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength`, `FamilyMismatch` (an IPv6 address),
    /// `BadPrefixLength`, `HostBitsSet`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::Prefix, s, k);
        let (addr, l) = split_addr(s).map_err(err)?;
        let IpAddr::V4(addr) = addr else {
            return Err(err(ParseErrorKind::FamilyMismatch));
        };
        let len = constparse::prefix_len(l.as_bytes(), Self::MAX_LEN).map_err(err)?;
        Self::checked(addr, len).map_err(err)
    }
}

// ---------------------------------------------------------------------------------------------
// Ipv6Prefix

/// An IPv6 network prefix: an address whose bits after the prefix length are all **zero**,
/// e.g. `2001:db8::/32` (TYP-02). Ordered by address, then length.
///
/// ```
/// use linx::types::Ipv6Prefix;
///
/// let p: Ipv6Prefix = "2001:db8::/32".parse()?;
/// assert_eq!(p.len(), 32);
/// assert!(p.contains("2001:db8::1".parse().unwrap()));
/// assert!("2001:db8::1/32".parse::<Ipv6Prefix>().is_err());
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv6Prefix {
    addr: Ipv6Addr,
    len: u8,
}

impl Ipv6Prefix {
    /// The longest prefix length, 128.
    pub const MAX_LEN: u8 = 128;

    /// `::/0`, every IPv6 address.
    pub const ANY: Ipv6Prefix = Ipv6Prefix {
        addr: Ipv6Addr::UNSPECIFIED,
        len: 0,
    };

    /// Checks length and host bits; the const core of [`new`](Self::new).
    pub(crate) const fn checked(addr: Ipv6Addr, len: u8) -> Result<Self, ParseErrorKind> {
        if len > Self::MAX_LEN {
            return Err(ParseErrorKind::BadPrefixLength { max: Self::MAX_LEN });
        }
        let p = Self::truncating(addr, len);
        if p.addr.to_bits() != addr.to_bits() {
            return Err(ParseErrorKind::HostBitsSet {
                suggestion: Prefix::V6(p),
            });
        }
        Ok(p)
    }

    /// Zeroes the host bits; `len` must be at most 128.
    const fn truncating(addr: Ipv6Addr, len: u8) -> Self {
        Ipv6Prefix {
            addr: Ipv6Addr::from_bits(addr.to_bits() & mask6(len)),
            len,
        }
    }

    /// The prefix `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 128`,
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) when `addr` has bits set after `len`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// use std::net::Ipv6Addr;
    ///
    /// assert!(Ipv6Prefix::new(Ipv6Addr::UNSPECIFIED, 0).is_ok());
    /// assert!(Ipv6Prefix::new(Ipv6Addr::LOCALHOST, 64).is_err());
    /// ```
    pub fn new(addr: Ipv6Addr, len: u8) -> Result<Self, ParseError> {
        Self::checked(addr, len)
            .map_err(|k| ParseError::new(ParseTarget::Prefix, format!("{addr}/{len}"), k))
    }

    /// The prefix `addr/len` with the host bits of `addr` cleared on purpose.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 128`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// use std::net::Ipv6Addr;
    ///
    /// let p = Ipv6Prefix::new_truncating("2001:db8::1".parse().unwrap(), 64)?;
    /// assert_eq!(p.to_string(), "2001:db8::/64");
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn new_truncating(addr: Ipv6Addr, len: u8) -> Result<Self, ParseError> {
        if len > Self::MAX_LEN {
            return Err(ParseError::new(
                ParseTarget::Prefix,
                format!("{addr}/{len}"),
                ParseErrorKind::BadPrefixLength { max: Self::MAX_LEN },
            ));
        }
        Ok(Self::truncating(addr, len))
    }

    /// The host route `addr/128`. This is the only way a bare address becomes a prefix.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// use std::net::Ipv6Addr;
    ///
    /// assert_eq!(Ipv6Prefix::from_addr(Ipv6Addr::LOCALHOST).to_string(), "::1/128");
    /// ```
    pub const fn from_addr(addr: Ipv6Addr) -> Self {
        Ipv6Prefix { addr, len: 128 }
    }

    /// The network address (host bits zero).
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "fc00::/7".parse().unwrap();
    /// assert_eq!(p.addr().to_string(), "fc00::");
    /// ```
    pub const fn addr(&self) -> Ipv6Addr {
        self.addr
    }

    /// The prefix length, 0..=128.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// assert_eq!("fc00::/7".parse::<Ipv6Prefix>().unwrap().len(), 7);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        self.len
    }

    /// The netmask, e.g. `ffff:ffff:ffff:ffff::` for `/64`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/64".parse().unwrap();
    /// assert_eq!(p.netmask().to_string(), "ffff:ffff:ffff:ffff::");
    /// ```
    pub const fn netmask(&self) -> Ipv6Addr {
        Ipv6Addr::from_bits(mask6(self.len))
    }

    /// The host mask, e.g. `::ffff:ffff:ffff:ffff` for `/64`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/64".parse().unwrap();
    /// assert_eq!(p.hostmask().to_string(), "::ffff:ffff:ffff:ffff");
    /// ```
    pub const fn hostmask(&self) -> Ipv6Addr {
        Ipv6Addr::from_bits(!mask6(self.len))
    }

    /// Whether `addr` lies in this prefix.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "fe80::/10".parse().unwrap();
    /// assert!(p.contains("fe80::1".parse().unwrap()));
    /// ```
    pub const fn contains(&self, addr: Ipv6Addr) -> bool {
        addr.to_bits() & mask6(self.len) == self.addr.to_bits()
    }

    /// Whether `other` is this prefix or one of its subnets.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let a: Ipv6Prefix = "2001:db8::/32".parse().unwrap();
    /// let b: Ipv6Prefix = "2001:db8:1::/48".parse().unwrap();
    /// assert!(a.contains_prefix(&b));
    /// ```
    pub const fn contains_prefix(&self, other: &Ipv6Prefix) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }

    /// The prefix itself (a prefix is already a network). Idempotent.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/32".parse().unwrap();
    /// assert_eq!(p.network(), p);
    /// ```
    pub const fn network(&self) -> Ipv6Prefix {
        *self
    }

    /// The first address (the network address).
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/32".parse().unwrap();
    /// assert_eq!(p.first().to_string(), "2001:db8::");
    /// ```
    pub const fn first(&self) -> Ipv6Addr {
        self.addr
    }

    /// The last address (all host bits one).
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/32".parse().unwrap();
    /// assert_eq!(p.last().to_string(), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    /// ```
    pub const fn last(&self) -> Ipv6Addr {
        Ipv6Addr::from_bits(self.addr.to_bits() | !mask6(self.len))
    }

    /// The addresses usable by hosts: for `/0`..`/126` every address except the first, which is
    /// the Subnet-Router anycast address (RFC 4291 §2.6.1); for `/127` both addresses
    /// (RFC 6164); for `/128` the single address. IPv6 has no broadcast address, so the last
    /// address is included. Never allocates, even for `::/0`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/126".parse().unwrap();
    /// let hosts: Vec<String> = p.hosts().map(|a| a.to_string()).collect();
    /// assert_eq!(hosts, ["2001:db8::1", "2001:db8::2", "2001:db8::3"]);
    /// let all: Ipv6Prefix = "::/0".parse().unwrap();
    /// assert_eq!(all.hosts().next().unwrap().to_string(), "::1");
    /// ```
    pub fn hosts(&self) -> Ipv6Hosts {
        let first = self.first().to_bits();
        let last = self.last().to_bits();
        let inner = if self.len <= 126 {
            Stepper::new(first + 1, last, 0)
        } else {
            Stepper::new(first, last, 0)
        };
        Ipv6Hosts { inner }
    }

    /// The subnets of length `new_len`, in ascending order; `None` when `new_len` is shorter
    /// than this prefix or above 128. Never allocates.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8::/32".parse().unwrap();
    /// let mut it = p.subnets(48).unwrap();
    /// assert_eq!(it.next().unwrap().to_string(), "2001:db8::/48");
    /// assert_eq!(it.next().unwrap().to_string(), "2001:db8:1::/48");
    /// assert_eq!(it.next_back().unwrap().to_string(), "2001:db8:ffff::/48");
    /// ```
    pub fn subnets(&self, new_len: u8) -> Option<Ipv6Subnets> {
        if new_len < self.len || new_len > Self::MAX_LEN {
            return None;
        }
        let first = self.first().to_bits();
        let last_net = self.last().to_bits() & mask6(new_len);
        Some(Ipv6Subnets {
            inner: Stepper::new(first, last_net, u32::from(128 - new_len)),
            len: new_len,
        })
    }

    /// The enclosing prefix one bit shorter; `None` for `/0`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let p: Ipv6Prefix = "2001:db8:1::/48".parse().unwrap();
    /// assert_eq!(p.supernet().unwrap().to_string(), "2001:db8::/47");
    /// ```
    pub const fn supernet(&self) -> Option<Ipv6Prefix> {
        if self.len == 0 {
            None
        } else {
            Some(Self::truncating(self.addr, self.len - 1))
        }
    }

    /// The minimal sorted list of prefixes covering exactly the addresses of `prefixes`.
    ///
    /// ```
    /// use linx::types::Ipv6Prefix;
    /// let list: Vec<Ipv6Prefix> = ["2001:db8::/33", "2001:db8:8000::/33"]
    ///     .iter()
    ///     .map(|s| s.parse().unwrap())
    ///     .collect();
    /// assert_eq!(Ipv6Prefix::aggregate(&list), ["2001:db8::/32".parse().unwrap()]);
    /// ```
    pub fn aggregate(prefixes: &[Ipv6Prefix]) -> Vec<Ipv6Prefix> {
        let ranges = prefixes
            .iter()
            .map(|p| (p.first().to_bits(), p.last().to_bits()))
            .collect();
        let mut out = Vec::new();
        for (s, e) in merge_ranges(ranges) {
            range_to_prefixes(s, e, 128, |a, len| {
                out.push(Ipv6Prefix {
                    addr: v6_of(a),
                    len,
                });
            });
        }
        out
    }
}

impl fmt::Display for Ipv6Prefix {
    /// `ADDRESS/LENGTH` with the RFC 5952 address form, e.g. `2001:db8::/32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipv6Prefix({self})")
    }
}

impl FromStr for Ipv6Prefix {
    type Err = ParseError;

    /// Parses `ipv6/len` strictly (std's address syntax, decimal length 0..=128, no host bits).
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength`, `FamilyMismatch` (an IPv4 address),
    /// `BadPrefixLength`, `HostBitsSet`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::Prefix, s, k);
        let (addr, l) = split_addr(s).map_err(err)?;
        let IpAddr::V6(addr) = addr else {
            return Err(err(ParseErrorKind::FamilyMismatch));
        };
        let len = constparse::prefix_len(l.as_bytes(), Self::MAX_LEN).map_err(err)?;
        Self::checked(addr, len).map_err(err)
    }
}

// ---------------------------------------------------------------------------------------------
// Prefix

/// A network prefix of either family, with host bits **zero** (TYP-02, TYP-04).
///
/// Routes, rules, nf_tables prefixes and interval elements take a `Prefix`; an interface address
/// with host bits (`10.0.0.5/24`) is an [`IfAddr`](super::IfAddr). Parsing is strict:
/// `10.0.0.1/24` is refused with [`HostBitsSet`](ParseErrorKind::HostBitsSet) suggesting
/// `10.0.0.0/24`; use [`new_truncating`](Self::new_truncating) to clear host bits on purpose
/// and [`from_addr`](Self::from_addr) for a host route. Ordered by family (IPv4 first), then
/// address, then length. `Debug` prints the literal form, e.g. `prefix!("10.0.0.0/24")`.
///
/// ```
/// use linx::prefix;
/// use linx::types::{ParseErrorKind, Prefix};
///
/// const NET: Prefix = prefix!("10.0.0.0/24");
/// assert_eq!("10.0.0.0/24".parse::<Prefix>()?, NET);
/// let err = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::HostBitsSet { suggestion: NET });
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Prefix {
    /// An IPv4 prefix.
    V4(Ipv4Prefix),
    /// An IPv6 prefix.
    V6(Ipv6Prefix),
}

impl Prefix {
    /// The prefix `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len` exceeds 32/128,
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) when `addr` has host bits set.
    ///
    /// ```
    /// use linx::types::Prefix;
    /// use std::net::Ipv4Addr;
    ///
    /// let p = Prefix::new(Ipv4Addr::new(10, 0, 0, 0).into(), 8)?;
    /// assert_eq!(p.to_string(), "10.0.0.0/8");
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, ParseError> {
        match addr {
            IpAddr::V4(a) => Ipv4Prefix::new(a, len).map(Prefix::V4),
            IpAddr::V6(a) => Ipv6Prefix::new(a, len).map(Prefix::V6),
        }
    }

    /// The prefix `addr/len` with host bits cleared on purpose.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len` exceeds 32/128.
    ///
    /// ```
    /// use linx::types::Prefix;
    /// let p = Prefix::new_truncating("10.0.0.1".parse().unwrap(), 24)?;
    /// assert_eq!(p.to_string(), "10.0.0.0/24");
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn new_truncating(addr: IpAddr, len: u8) -> Result<Self, ParseError> {
        match addr {
            IpAddr::V4(a) => Ipv4Prefix::new_truncating(a, len).map(Prefix::V4),
            IpAddr::V6(a) => Ipv6Prefix::new_truncating(a, len).map(Prefix::V6),
        }
    }

    /// The host route of `addr` (`/32` or `/128`); the only way a bare address becomes a prefix.
    ///
    /// ```
    /// use linx::types::Prefix;
    /// assert_eq!(Prefix::from_addr("fc00::1".parse().unwrap()).to_string(), "fc00::1/128");
    /// ```
    pub const fn from_addr(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Prefix::V4(Ipv4Prefix::from_addr(a)),
            IpAddr::V6(a) => Prefix::V6(Ipv6Prefix::from_addr(a)),
        }
    }

    /// The network address.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").addr().to_string(), "10.0.0.0");
    /// ```
    pub const fn addr(&self) -> IpAddr {
        match self {
            Prefix::V4(p) => IpAddr::V4(p.addr),
            Prefix::V6(p) => IpAddr::V6(p.addr),
        }
    }

    /// The prefix length.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("fc00::/7").len(), 7);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        match self {
            Prefix::V4(p) => p.len,
            Prefix::V6(p) => p.len,
        }
    }

    /// The longest length of this family (32 or 128).
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("fc00::/7").max_len(), 128);
    /// ```
    pub const fn max_len(&self) -> u8 {
        match self {
            Prefix::V4(_) => Ipv4Prefix::MAX_LEN,
            Prefix::V6(_) => Ipv6Prefix::MAX_LEN,
        }
    }

    /// Whether this is an IPv4 prefix.
    ///
    /// ```
    /// use linx::prefix;
    /// assert!(prefix!("10.0.0.0/8").is_ipv4());
    /// ```
    pub const fn is_ipv4(&self) -> bool {
        matches!(self, Prefix::V4(_))
    }

    /// Whether this is an IPv6 prefix.
    ///
    /// ```
    /// use linx::prefix;
    /// assert!(prefix!("::/0").is_ipv6());
    /// ```
    pub const fn is_ipv6(&self) -> bool {
        matches!(self, Prefix::V6(_))
    }

    /// The netmask.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").netmask().to_string(), "255.0.0.0");
    /// ```
    pub const fn netmask(&self) -> IpAddr {
        match self {
            Prefix::V4(p) => IpAddr::V4(p.netmask()),
            Prefix::V6(p) => IpAddr::V6(p.netmask()),
        }
    }

    /// Whether `addr` lies in this prefix; always `false` for an address of the other family
    /// (an IPv4-mapped IPv6 address is IPv6).
    ///
    /// ```
    /// use linx::prefix;
    /// let p = prefix!("10.0.0.0/8");
    /// assert!(p.contains("10.1.2.3".parse().unwrap()));
    /// assert!(!p.contains("::ffff:10.1.2.3".parse().unwrap()));
    /// ```
    pub const fn contains(&self, addr: IpAddr) -> bool {
        match (self, addr) {
            (Prefix::V4(p), IpAddr::V4(a)) => p.contains(a),
            (Prefix::V6(p), IpAddr::V6(a)) => p.contains(a),
            _ => false,
        }
    }

    /// Whether `other` is this prefix or one of its subnets (`false` across families).
    ///
    /// ```
    /// use linx::prefix;
    /// assert!(prefix!("10.0.0.0/8").contains_prefix(&prefix!("10.1.0.0/16")));
    /// ```
    pub const fn contains_prefix(&self, other: &Prefix) -> bool {
        match (self, other) {
            (Prefix::V4(p), Prefix::V4(o)) => p.contains_prefix(o),
            (Prefix::V6(p), Prefix::V6(o)) => p.contains_prefix(o),
            _ => false,
        }
    }

    /// The prefix itself (a prefix is already a network); for symmetry with
    /// [`IfAddr::network`](super::IfAddr::network). Idempotent.
    ///
    /// ```
    /// use linx::prefix;
    /// let p = prefix!("10.0.0.0/8");
    /// assert_eq!(p.network().network(), p);
    /// ```
    pub const fn network(&self) -> Prefix {
        *self
    }

    /// The IPv4 broadcast address for prefixes up to `/30`; `None` for `/31`, `/32` and IPv6.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/24").broadcast().unwrap().to_string(), "10.0.0.255");
    /// assert_eq!(prefix!("10.0.0.0/31").broadcast(), None);
    /// assert_eq!(prefix!("fc00::/64").broadcast(), None);
    /// ```
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        match self {
            Prefix::V4(p) => p.broadcast(),
            Prefix::V6(_) => None,
        }
    }

    /// The first address.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").first().to_string(), "10.0.0.0");
    /// ```
    pub const fn first(&self) -> IpAddr {
        self.addr()
    }

    /// The last address.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").last().to_string(), "10.255.255.255");
    /// ```
    pub const fn last(&self) -> IpAddr {
        match self {
            Prefix::V4(p) => IpAddr::V4(p.last()),
            Prefix::V6(p) => IpAddr::V6(p.last()),
        }
    }

    /// The host addresses; see [`Ipv4Prefix::hosts`] and [`Ipv6Prefix::hosts`] for which
    /// addresses are excluded. Never allocates.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/24").hosts().count(), 254);
    /// ```
    pub fn hosts(&self) -> Hosts {
        match self {
            Prefix::V4(p) => Hosts::V4(p.hosts()),
            Prefix::V6(p) => Hosts::V6(p.hosts()),
        }
    }

    /// The subnets of length `new_len`; `None` when `new_len` is shorter than this prefix or
    /// longer than the family allows.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.0.0/8").subnets(16).unwrap().count(), 256);
    /// ```
    pub fn subnets(&self, new_len: u8) -> Option<Subnets> {
        match self {
            Prefix::V4(p) => p.subnets(new_len).map(Subnets::V4),
            Prefix::V6(p) => p.subnets(new_len).map(Subnets::V6),
        }
    }

    /// The enclosing prefix one bit shorter; `None` for `/0`.
    ///
    /// ```
    /// use linx::prefix;
    /// assert_eq!(prefix!("10.0.1.0/24").supernet(), Some(prefix!("10.0.0.0/23")));
    /// ```
    pub const fn supernet(&self) -> Option<Prefix> {
        match self {
            Prefix::V4(p) => match p.supernet() {
                Some(s) => Some(Prefix::V4(s)),
                None => None,
            },
            Prefix::V6(p) => match p.supernet() {
                Some(s) => Some(Prefix::V6(s)),
                None => None,
            },
        }
    }

    /// The minimal sorted list of prefixes covering exactly the addresses of `prefixes`
    /// (IPv4 first, then IPv6).
    ///
    /// ```
    /// use linx::{prefix, types::Prefix};
    /// let agg = Prefix::aggregate(&[
    ///     prefix!("10.0.1.0/24"),
    ///     prefix!("fc00::/8"),
    ///     prefix!("10.0.0.0/24"),
    ///     prefix!("10.0.0.128/25"),
    /// ]);
    /// assert_eq!(agg, [prefix!("10.0.0.0/23"), prefix!("fc00::/8")]);
    /// ```
    pub fn aggregate(prefixes: &[Prefix]) -> Vec<Prefix> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for p in prefixes {
            match p {
                Prefix::V4(p) => v4.push(*p),
                Prefix::V6(p) => v6.push(*p),
            }
        }
        let mut out: Vec<Prefix> = Ipv4Prefix::aggregate(&v4)
            .into_iter()
            .map(Prefix::V4)
            .collect();
        out.extend(Ipv6Prefix::aggregate(&v6).into_iter().map(Prefix::V6));
        out
    }
}

impl From<Ipv4Prefix> for Prefix {
    fn from(p: Ipv4Prefix) -> Self {
        Prefix::V4(p)
    }
}

impl From<Ipv6Prefix> for Prefix {
    fn from(p: Ipv6Prefix) -> Self {
        Prefix::V6(p)
    }
}

impl TryFrom<Prefix> for Ipv4Prefix {
    type Error = ParseError;

    /// # Errors
    /// [`FamilyMismatch`](ParseErrorKind::FamilyMismatch) for an IPv6 prefix.
    fn try_from(p: Prefix) -> Result<Self, ParseError> {
        match p {
            Prefix::V4(p) => Ok(p),
            Prefix::V6(p) => Err(ParseError::new(
                ParseTarget::Prefix,
                p.to_string(),
                ParseErrorKind::FamilyMismatch,
            )),
        }
    }
}

impl TryFrom<Prefix> for Ipv6Prefix {
    type Error = ParseError;

    /// # Errors
    /// [`FamilyMismatch`](ParseErrorKind::FamilyMismatch) for an IPv4 prefix.
    fn try_from(p: Prefix) -> Result<Self, ParseError> {
        match p {
            Prefix::V6(p) => Ok(p),
            Prefix::V4(p) => Err(ParseError::new(
                ParseTarget::Prefix,
                p.to_string(),
                ParseErrorKind::FamilyMismatch,
            )),
        }
    }
}

impl fmt::Display for Prefix {
    /// `ADDRESS/LENGTH`, e.g. `10.0.0.0/24` or `2001:db8::/32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prefix::V4(p) => p.fmt(f),
            Prefix::V6(p) => p.fmt(f),
        }
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "prefix!(\"{self}\")")
    }
}

impl FromStr for Prefix {
    type Err = ParseError;

    /// Parses `ADDRESS/LENGTH` strictly: std's address syntax (no `10.0.0`, no leading zeros,
    /// no zone ids), a decimal length without sign or leading zeros (except `0`) up to 32/128,
    /// and no host bits set.
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength` (a bare address; use [`Prefix::from_addr`]),
    /// `BadPrefixLength`, `HostBitsSet`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::Prefix, s, k);
        match parse_addr_len(s).map_err(err)? {
            (IpAddr::V4(a), len) => Ipv4Prefix::checked(a, len).map(Prefix::V4),
            (IpAddr::V6(a), len) => Ipv6Prefix::checked(a, len).map(Prefix::V6),
        }
        .map_err(err)
    }
}

/// The host addresses of a [`Prefix`], from [`Prefix::hosts`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Hosts {
    /// Hosts of an IPv4 prefix.
    V4(Ipv4Hosts),
    /// Hosts of an IPv6 prefix.
    V6(Ipv6Hosts),
}

impl Iterator for Hosts {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        match self {
            Hosts::V4(i) => i.next().map(IpAddr::V4),
            Hosts::V6(i) => i.next().map(IpAddr::V6),
        }
    }

    fn nth(&mut self, n: usize) -> Option<IpAddr> {
        match self {
            Hosts::V4(i) => i.nth(n).map(IpAddr::V4),
            Hosts::V6(i) => i.nth(n).map(IpAddr::V6),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Hosts::V4(i) => i.size_hint(),
            Hosts::V6(i) => i.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Hosts {
    fn next_back(&mut self) -> Option<IpAddr> {
        match self {
            Hosts::V4(i) => i.next_back().map(IpAddr::V4),
            Hosts::V6(i) => i.next_back().map(IpAddr::V6),
        }
    }
}

impl FusedIterator for Hosts {}

/// The subnets of a [`Prefix`], from [`Prefix::subnets`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subnets {
    /// Subnets of an IPv4 prefix.
    V4(Ipv4Subnets),
    /// Subnets of an IPv6 prefix.
    V6(Ipv6Subnets),
}

impl Iterator for Subnets {
    type Item = Prefix;

    fn next(&mut self) -> Option<Prefix> {
        match self {
            Subnets::V4(i) => i.next().map(Prefix::V4),
            Subnets::V6(i) => i.next().map(Prefix::V6),
        }
    }

    fn nth(&mut self, n: usize) -> Option<Prefix> {
        match self {
            Subnets::V4(i) => i.nth(n).map(Prefix::V4),
            Subnets::V6(i) => i.nth(n).map(Prefix::V6),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Subnets::V4(i) => i.size_hint(),
            Subnets::V6(i) => i.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Subnets {
    fn next_back(&mut self) -> Option<Prefix> {
        match self {
            Subnets::V4(i) => i.next_back().map(Prefix::V4),
            Subnets::V6(i) => i.next_back().map(Prefix::V6),
        }
    }
}

impl FusedIterator for Subnets {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_04_range_to_prefixes_full_v6() {
        let mut v = Vec::new();
        range_to_prefixes(0, u128::MAX, 128, |a, l| v.push((a, l)));
        assert_eq!(v, [(0, 0)]);
        let mut v = Vec::new();
        range_to_prefixes(0, u32::MAX as u128, 32, |a, l| v.push((a, l)));
        assert_eq!(v, [(0, 0)]);
    }

    #[test]
    fn typ_04_stepper_edges() {
        let mut s = Stepper::new(0, u128::MAX, 0);
        assert_eq!(s.size_hint(), (usize::MAX, None));
        assert_eq!(s.nth(5), Some(5));
        assert_eq!(s.next_back(), Some(u128::MAX));
        let mut one = Stepper::new(7, 7, 128);
        assert_eq!(one.next(), Some(7));
        assert_eq!(one.next(), None);
        let mut e = Stepper::new(1, 0, 0);
        assert_eq!(e.next(), None);
        assert_eq!(e.size_hint(), (0, Some(0)));
    }

    #[test]
    fn typ_04_merge_ranges_adjacent_and_max() {
        assert_eq!(
            merge_ranges(vec![(5, 9), (0, 4), (20, 30)]),
            [(0, 9), (20, 30)]
        );
        assert_eq!(merge_ranges(vec![(0, u128::MAX), (3, 4)]), [(0, u128::MAX)]);
    }
}
