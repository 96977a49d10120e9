//! Conversions to and from the `ipnet` crate (feature `ipnet`, TYP-10).
//!
//! linx prefixes always convert into `ipnet` nets. `ipnet` nets may carry host bits, so the
//! way back is `TryFrom`, failing with [`HostBitsSet`](super::ParseErrorKind::HostBitsSet);
//! interface addresses convert both ways without loss.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::error::ParseError;
#[cfg(doc)]
use super::error::ParseErrorKind;
use super::{IfAddr, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix, Prefix};

impl From<Ipv4Prefix> for Ipv4Net {
    fn from(p: Ipv4Prefix) -> Self {
        // `len` is at most 32, so this cannot fail; the fallback is unreachable.
        Ipv4Net::new(p.addr(), p.len()).unwrap_or_default()
    }
}

impl From<Ipv6Prefix> for Ipv6Net {
    fn from(p: Ipv6Prefix) -> Self {
        // `len` is at most 128, so this cannot fail; the fallback is unreachable.
        Ipv6Net::new(p.addr(), p.len()).unwrap_or_default()
    }
}

impl From<Prefix> for IpNet {
    fn from(p: Prefix) -> Self {
        match p {
            Prefix::V4(p) => IpNet::V4(p.into()),
            Prefix::V6(p) => IpNet::V6(p.into()),
        }
    }
}

impl TryFrom<Ipv4Net> for Ipv4Prefix {
    type Error = ParseError;

    /// # Errors
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) when the net has host bits set.
    fn try_from(n: Ipv4Net) -> Result<Self, ParseError> {
        Ipv4Prefix::new(n.addr(), n.prefix_len())
    }
}

impl TryFrom<Ipv6Net> for Ipv6Prefix {
    type Error = ParseError;

    /// # Errors
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) when the net has host bits set.
    fn try_from(n: Ipv6Net) -> Result<Self, ParseError> {
        Ipv6Prefix::new(n.addr(), n.prefix_len())
    }
}

impl TryFrom<IpNet> for Prefix {
    type Error = ParseError;

    /// # Errors
    /// [`HostBitsSet`](ParseErrorKind::HostBitsSet) when the net has host bits set.
    fn try_from(n: IpNet) -> Result<Self, ParseError> {
        Prefix::new(n.addr(), n.prefix_len())
    }
}

impl From<Ipv4IfAddr> for Ipv4Net {
    fn from(a: Ipv4IfAddr) -> Self {
        // `len` is at most 32, so this cannot fail; the fallback is unreachable.
        Ipv4Net::new(a.addr(), a.len()).unwrap_or_default()
    }
}

impl From<Ipv6IfAddr> for Ipv6Net {
    fn from(a: Ipv6IfAddr) -> Self {
        // `len` is at most 128, so this cannot fail; the fallback is unreachable.
        Ipv6Net::new(a.addr(), a.len()).unwrap_or_default()
    }
}

impl From<IfAddr> for IpNet {
    fn from(a: IfAddr) -> Self {
        match a {
            IfAddr::V4(a) => IpNet::V4(a.into()),
            IfAddr::V6(a) => IpNet::V6(a.into()),
        }
    }
}

impl From<Ipv4Net> for Ipv4IfAddr {
    fn from(n: Ipv4Net) -> Self {
        // ipnet guarantees a length of at most 32.
        Ipv4IfAddr::from_parts(n.addr(), n.prefix_len())
    }
}

impl From<Ipv6Net> for Ipv6IfAddr {
    fn from(n: Ipv6Net) -> Self {
        // ipnet guarantees a length of at most 128.
        Ipv6IfAddr::from_parts(n.addr(), n.prefix_len())
    }
}

impl From<IpNet> for IfAddr {
    fn from(n: IpNet) -> Self {
        match n {
            IpNet::V4(n) => IfAddr::V4(n.into()),
            IpNet::V6(n) => IfAddr::V6(n.into()),
        }
    }
}
