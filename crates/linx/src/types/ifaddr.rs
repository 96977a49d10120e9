//! Interface addresses: an address plus a prefix length, host bits kept ([`IfAddr`]).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use super::constparse;
use super::error::{ParseError, ParseErrorKind, ParseTarget};
use super::prefix::split_addr;
use super::{Ipv4Prefix, Ipv6Prefix, Prefix};

/// An IPv4 interface address such as `10.0.0.5/24`: the address keeps its host bits (TYP-03).
///
/// ```
/// use linx::types::Ipv4IfAddr;
///
/// let a: Ipv4IfAddr = "10.0.0.5/24".parse()?;
/// assert_eq!(a.addr().to_string(), "10.0.0.5");
/// assert_eq!(a.network().to_string(), "10.0.0.0/24");
/// assert_eq!(a.broadcast().unwrap().to_string(), "10.0.0.255");
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4IfAddr {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4IfAddr {
    /// Unchecked constructor for callers that validated `len`.
    pub(crate) const fn from_parts(addr: Ipv4Addr, len: u8) -> Self {
        Ipv4IfAddr { addr, len }
    }

    /// The interface address `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 32`.
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// use std::net::Ipv4Addr;
    ///
    /// assert!(Ipv4IfAddr::new(Ipv4Addr::new(10, 0, 0, 5), 24).is_ok());
    /// assert!(Ipv4IfAddr::new(Ipv4Addr::new(10, 0, 0, 5), 33).is_err());
    /// ```
    pub fn new(addr: Ipv4Addr, len: u8) -> Result<Self, ParseError> {
        if len > Ipv4Prefix::MAX_LEN {
            return Err(ParseError::new(
                ParseTarget::IfAddr,
                format!("{addr}/{len}"),
                ParseErrorKind::BadPrefixLength {
                    max: Ipv4Prefix::MAX_LEN,
                },
            ));
        }
        Ok(Ipv4IfAddr { addr, len })
    }

    /// `addr/32`.
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// assert_eq!(Ipv4IfAddr::from_addr("10.0.0.1".parse().unwrap()).to_string(), "10.0.0.1/32");
    /// ```
    pub const fn from_addr(addr: Ipv4Addr) -> Self {
        Ipv4IfAddr { addr, len: 32 }
    }

    /// The address, host bits included.
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// let a: Ipv4IfAddr = "10.0.0.5/24".parse().unwrap();
    /// assert_eq!(a.addr().to_string(), "10.0.0.5");
    /// ```
    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The prefix length, 0..=32.
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// assert_eq!("10.0.0.5/24".parse::<Ipv4IfAddr>().unwrap().len(), 24);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        self.len
    }

    /// The network this address is on (host bits cleared).
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// let a: Ipv4IfAddr = "10.0.0.5/24".parse().unwrap();
    /// assert_eq!(a.network().to_string(), "10.0.0.0/24");
    /// ```
    pub const fn network(&self) -> Ipv4Prefix {
        match Ipv4Prefix::checked(self.addr, self.len) {
            Ok(p) => p,
            Err(ParseErrorKind::HostBitsSet {
                suggestion: Prefix::V4(p),
            }) => p,
            // `len` is validated at construction; the host route is a safe fallback.
            Err(_) => Ipv4Prefix::from_addr(self.addr),
        }
    }

    /// The broadcast address of the network for lengths up to `/30`; `None` for `/31` and `/32`.
    ///
    /// ```
    /// use linx::types::Ipv4IfAddr;
    /// let a: Ipv4IfAddr = "10.0.0.5/24".parse().unwrap();
    /// assert_eq!(a.broadcast().unwrap().to_string(), "10.0.0.255");
    /// assert_eq!("10.0.0.1/31".parse::<Ipv4IfAddr>().unwrap().broadcast(), None);
    /// ```
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        self.network().broadcast()
    }
}

impl fmt::Display for Ipv4IfAddr {
    /// `ADDRESS/LENGTH`, e.g. `10.0.0.5/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Ipv4IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipv4IfAddr({self})")
    }
}

impl FromStr for Ipv4IfAddr {
    type Err = ParseError;

    /// Parses `a.b.c.d/len` (std's address syntax, decimal length 0..=32); host bits allowed.
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength`, `FamilyMismatch`, `BadPrefixLength`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::IfAddr, s, k);
        let (addr, l) = split_addr(s).map_err(err)?;
        let IpAddr::V4(addr) = addr else {
            return Err(err(ParseErrorKind::FamilyMismatch));
        };
        let len = constparse::prefix_len(l.as_bytes(), Ipv4Prefix::MAX_LEN).map_err(err)?;
        Ok(Ipv4IfAddr { addr, len })
    }
}

/// An IPv6 interface address such as `fe80::1/64`: the address keeps its host bits (TYP-03).
///
/// ```
/// use linx::types::Ipv6IfAddr;
///
/// let a: Ipv6IfAddr = "2001:db8::5/64".parse()?;
/// assert_eq!(a.network().to_string(), "2001:db8::/64");
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv6IfAddr {
    addr: Ipv6Addr,
    len: u8,
}

impl Ipv6IfAddr {
    /// Unchecked constructor for callers that validated `len`.
    pub(crate) const fn from_parts(addr: Ipv6Addr, len: u8) -> Self {
        Ipv6IfAddr { addr, len }
    }

    /// The interface address `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len > 128`.
    ///
    /// ```
    /// use linx::types::Ipv6IfAddr;
    /// assert!(Ipv6IfAddr::new("fe80::1".parse().unwrap(), 64).is_ok());
    /// assert!(Ipv6IfAddr::new("fe80::1".parse().unwrap(), 129).is_err());
    /// ```
    pub fn new(addr: Ipv6Addr, len: u8) -> Result<Self, ParseError> {
        if len > Ipv6Prefix::MAX_LEN {
            return Err(ParseError::new(
                ParseTarget::IfAddr,
                format!("{addr}/{len}"),
                ParseErrorKind::BadPrefixLength {
                    max: Ipv6Prefix::MAX_LEN,
                },
            ));
        }
        Ok(Ipv6IfAddr { addr, len })
    }

    /// `addr/128`.
    ///
    /// ```
    /// use linx::types::Ipv6IfAddr;
    /// assert_eq!(Ipv6IfAddr::from_addr("::1".parse().unwrap()).to_string(), "::1/128");
    /// ```
    pub const fn from_addr(addr: Ipv6Addr) -> Self {
        Ipv6IfAddr { addr, len: 128 }
    }

    /// The address, host bits included.
    ///
    /// ```
    /// use linx::types::Ipv6IfAddr;
    /// let a: Ipv6IfAddr = "fe80::1/64".parse().unwrap();
    /// assert_eq!(a.addr().to_string(), "fe80::1");
    /// ```
    pub const fn addr(&self) -> Ipv6Addr {
        self.addr
    }

    /// The prefix length, 0..=128.
    ///
    /// ```
    /// use linx::types::Ipv6IfAddr;
    /// assert_eq!("fe80::1/64".parse::<Ipv6IfAddr>().unwrap().len(), 64);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        self.len
    }

    /// The network this address is on (host bits cleared).
    ///
    /// ```
    /// use linx::types::Ipv6IfAddr;
    /// let a: Ipv6IfAddr = "fe80::1/64".parse().unwrap();
    /// assert_eq!(a.network().to_string(), "fe80::/64");
    /// ```
    pub const fn network(&self) -> Ipv6Prefix {
        match Ipv6Prefix::checked(self.addr, self.len) {
            Ok(p) => p,
            Err(ParseErrorKind::HostBitsSet {
                suggestion: Prefix::V6(p),
            }) => p,
            // `len` is validated at construction; the host route is a safe fallback.
            Err(_) => Ipv6Prefix::from_addr(self.addr),
        }
    }
}

impl fmt::Display for Ipv6IfAddr {
    /// `ADDRESS/LENGTH` with the RFC 5952 address form, e.g. `fe80::1/64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Ipv6IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipv6IfAddr({self})")
    }
}

impl FromStr for Ipv6IfAddr {
    type Err = ParseError;

    /// Parses `ipv6/len` (std's address syntax, decimal length 0..=128); host bits allowed.
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength`, `FamilyMismatch`, `BadPrefixLength`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::IfAddr, s, k);
        let (addr, l) = split_addr(s).map_err(err)?;
        let IpAddr::V6(addr) = addr else {
            return Err(err(ParseErrorKind::FamilyMismatch));
        };
        let len = constparse::prefix_len(l.as_bytes(), Ipv6Prefix::MAX_LEN).map_err(err)?;
        Ok(Ipv6IfAddr { addr, len })
    }
}

/// An interface address of either family: address plus prefix length, host bits kept (TYP-03).
///
/// This is what an interface carries (`ip addr add 10.0.0.5/24 dev eth0`); the network it
/// implies, [`network()`](Self::network), is a [`Prefix`] with the host bits cleared. `Debug`
/// prints the literal form, e.g. `ifaddr!("10.0.0.5/24")`. Ordered by family, address, length.
///
/// ```
/// use linx::{ifaddr, prefix};
/// use linx::types::IfAddr;
///
/// const A: IfAddr = ifaddr!("10.0.0.5/24");
/// assert_eq!(A.network(), prefix!("10.0.0.0/24"));
/// assert_eq!(A.broadcast().unwrap().to_string(), "10.0.0.255");
/// assert_eq!("10.0.0.5/24".parse::<IfAddr>()?, A);
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IfAddr {
    /// An IPv4 interface address.
    V4(Ipv4IfAddr),
    /// An IPv6 interface address.
    V6(Ipv6IfAddr),
}

impl IfAddr {
    /// The interface address `addr/len`.
    ///
    /// # Errors
    /// [`BadPrefixLength`](ParseErrorKind::BadPrefixLength) when `len` exceeds 32/128.
    ///
    /// ```
    /// use linx::types::IfAddr;
    /// let a = IfAddr::new("10.0.0.5".parse().unwrap(), 24)?;
    /// assert_eq!(a.to_string(), "10.0.0.5/24");
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, ParseError> {
        match addr {
            IpAddr::V4(a) => Ipv4IfAddr::new(a, len).map(IfAddr::V4),
            IpAddr::V6(a) => Ipv6IfAddr::new(a, len).map(IfAddr::V6),
        }
    }

    /// The address with a full-length prefix (`/32` or `/128`).
    ///
    /// ```
    /// use linx::types::IfAddr;
    /// assert_eq!(IfAddr::from_addr("10.0.0.1".parse().unwrap()).to_string(), "10.0.0.1/32");
    /// ```
    pub const fn from_addr(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => IfAddr::V4(Ipv4IfAddr::from_addr(a)),
            IpAddr::V6(a) => IfAddr::V6(Ipv6IfAddr::from_addr(a)),
        }
    }

    /// The address, host bits included.
    ///
    /// ```
    /// use linx::ifaddr;
    /// assert_eq!(ifaddr!("10.0.0.5/24").addr().to_string(), "10.0.0.5");
    /// ```
    pub const fn addr(&self) -> IpAddr {
        match self {
            IfAddr::V4(a) => IpAddr::V4(a.addr),
            IfAddr::V6(a) => IpAddr::V6(a.addr),
        }
    }

    /// The prefix length.
    ///
    /// ```
    /// use linx::ifaddr;
    /// assert_eq!(ifaddr!("fe80::1/64").len(), 64);
    /// ```
    #[expect(clippy::len_without_is_empty)]
    pub const fn len(&self) -> u8 {
        match self {
            IfAddr::V4(a) => a.len,
            IfAddr::V6(a) => a.len,
        }
    }

    /// Whether this is an IPv4 interface address.
    ///
    /// ```
    /// use linx::ifaddr;
    /// assert!(ifaddr!("10.0.0.5/24").is_ipv4());
    /// ```
    pub const fn is_ipv4(&self) -> bool {
        matches!(self, IfAddr::V4(_))
    }

    /// Whether this is an IPv6 interface address.
    ///
    /// ```
    /// use linx::ifaddr;
    /// assert!(ifaddr!("fe80::1/64").is_ipv6());
    /// ```
    pub const fn is_ipv6(&self) -> bool {
        matches!(self, IfAddr::V6(_))
    }

    /// The network this address is on: the [`Prefix`] with the host bits cleared.
    ///
    /// ```
    /// use linx::{ifaddr, prefix};
    /// assert_eq!(ifaddr!("10.0.0.5/24").network(), prefix!("10.0.0.0/24"));
    /// ```
    pub const fn network(&self) -> Prefix {
        match self {
            IfAddr::V4(a) => Prefix::V4(a.network()),
            IfAddr::V6(a) => Prefix::V6(a.network()),
        }
    }

    /// The IPv4 broadcast address for lengths up to `/30`; `None` for `/31`, `/32` and IPv6.
    ///
    /// ```
    /// use linx::ifaddr;
    /// assert_eq!(ifaddr!("10.0.0.5/24").broadcast().unwrap().to_string(), "10.0.0.255");
    /// assert_eq!(ifaddr!("10.0.0.5/32").broadcast(), None);
    /// assert_eq!(ifaddr!("fe80::1/64").broadcast(), None);
    /// ```
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        match self {
            IfAddr::V4(a) => a.broadcast(),
            IfAddr::V6(_) => None,
        }
    }
}

impl From<Ipv4IfAddr> for IfAddr {
    fn from(a: Ipv4IfAddr) -> Self {
        IfAddr::V4(a)
    }
}

impl From<Ipv6IfAddr> for IfAddr {
    fn from(a: Ipv6IfAddr) -> Self {
        IfAddr::V6(a)
    }
}

impl TryFrom<IfAddr> for Ipv4IfAddr {
    type Error = ParseError;

    /// # Errors
    /// [`FamilyMismatch`](ParseErrorKind::FamilyMismatch) for an IPv6 interface address.
    fn try_from(a: IfAddr) -> Result<Self, ParseError> {
        match a {
            IfAddr::V4(a) => Ok(a),
            IfAddr::V6(a) => Err(ParseError::new(
                ParseTarget::IfAddr,
                a.to_string(),
                ParseErrorKind::FamilyMismatch,
            )),
        }
    }
}

impl TryFrom<IfAddr> for Ipv6IfAddr {
    type Error = ParseError;

    /// # Errors
    /// [`FamilyMismatch`](ParseErrorKind::FamilyMismatch) for an IPv4 interface address.
    fn try_from(a: IfAddr) -> Result<Self, ParseError> {
        match a {
            IfAddr::V6(a) => Ok(a),
            IfAddr::V4(a) => Err(ParseError::new(
                ParseTarget::IfAddr,
                a.to_string(),
                ParseErrorKind::FamilyMismatch,
            )),
        }
    }
}

impl fmt::Display for IfAddr {
    /// `ADDRESS/LENGTH`, e.g. `10.0.0.5/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfAddr::V4(a) => a.fmt(f),
            IfAddr::V6(a) => a.fmt(f),
        }
    }
}

impl fmt::Debug for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ifaddr!(\"{self}\")")
    }
}

impl FromStr for IfAddr {
    type Err = ParseError;

    /// Parses `ADDRESS/LENGTH` (std's address syntax, decimal length up to 32/128, no sign or
    /// leading zeros); host bits are kept.
    ///
    /// # Errors
    /// `BadAddress`, `MissingPrefixLength`, `BadPrefixLength`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |k| ParseError::new(ParseTarget::IfAddr, s, k);
        Ok(match super::prefix::parse_addr_len(s).map_err(err)? {
            (IpAddr::V4(a), len) => IfAddr::V4(Ipv4IfAddr { addr: a, len }),
            (IpAddr::V6(a), len) => IfAddr::V6(Ipv6IfAddr { addr: a, len }),
        })
    }
}
