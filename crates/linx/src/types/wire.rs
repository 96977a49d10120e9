//! Wire encoding of plain `std::net` addresses (TYP-01): IPv4 is 4 bytes and IPv6 16 bytes, in
//! network byte order, as in rtnetlink attributes and nf_tables data. Decoders accept only the
//! exact length and return `None` otherwise; nothing here panics.
//!
//! ```
//! use linx::types::wire;
//! use std::net::{IpAddr, Ipv4Addr};
//!
//! let a = Ipv4Addr::new(10, 0, 0, 1);
//! assert_eq!(wire::ipv4_to_bytes(a), [10, 0, 0, 1]);
//! assert_eq!(wire::ip_from_bytes(&[10, 0, 0, 1]), Some(IpAddr::V4(a)));
//! assert_eq!(wire::ipv4_from_bytes(&[10, 0, 0]), None);
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::ops::Deref;

/// Decodes a 4-byte IPv4 address; any other length gives `None`.
///
/// ```
/// use linx::types::wire::ipv4_from_bytes;
/// assert!(ipv4_from_bytes(&[127, 0, 0, 1]).is_some());
/// assert!(ipv4_from_bytes(&[127, 0, 0, 1, 0]).is_none());
/// ```
pub const fn ipv4_from_bytes(b: &[u8]) -> Option<Ipv4Addr> {
    match *b {
        [a, b, c, d] => Some(Ipv4Addr::new(a, b, c, d)),
        _ => None,
    }
}

/// Decodes a 16-byte IPv6 address; any other length gives `None`.
///
/// ```
/// use linx::types::wire::ipv6_from_bytes;
/// use std::net::Ipv6Addr;
/// let mut b = [0u8; 16];
/// b[15] = 1;
/// assert_eq!(ipv6_from_bytes(&b), Some(Ipv6Addr::LOCALHOST));
/// assert_eq!(ipv6_from_bytes(&b[..15]), None);
/// ```
pub const fn ipv6_from_bytes(b: &[u8]) -> Option<Ipv6Addr> {
    if b.len() != 16 {
        return None;
    }
    let mut o = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        o[i] = b[i];
        i += 1;
    }
    Some(Ipv6Addr::from_bits(u128::from_be_bytes(o)))
}

/// Decodes a 4-byte IPv4 or 16-byte IPv6 address; any other length gives `None`. The family is
/// taken from the length alone (an IPv4-mapped IPv6 address stays IPv6).
///
/// ```
/// use linx::types::wire::ip_from_bytes;
/// assert!(ip_from_bytes(&[0; 4]).unwrap().is_ipv4());
/// assert!(ip_from_bytes(&[0; 16]).unwrap().is_ipv6());
/// assert!(ip_from_bytes(&[0; 5]).is_none());
/// ```
pub const fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    if let Some(a) = ipv4_from_bytes(b) {
        return Some(IpAddr::V4(a));
    }
    match ipv6_from_bytes(b) {
        Some(a) => Some(IpAddr::V6(a)),
        None => None,
    }
}

/// Encodes an IPv4 address as 4 bytes in network order.
///
/// ```
/// use linx::types::wire::ipv4_to_bytes;
/// assert_eq!(ipv4_to_bytes("192.0.2.1".parse().unwrap()), [192, 0, 2, 1]);
/// ```
pub const fn ipv4_to_bytes(a: Ipv4Addr) -> [u8; 4] {
    a.octets()
}

/// Encodes an IPv6 address as 16 bytes in network order.
///
/// ```
/// use linx::types::wire::ipv6_to_bytes;
/// assert_eq!(ipv6_to_bytes("::1".parse().unwrap())[15], 1);
/// ```
pub const fn ipv6_to_bytes(a: Ipv6Addr) -> [u8; 16] {
    a.octets()
}

/// Encodes an address as 4 or 16 bytes in network order, without allocating.
///
/// ```
/// use linx::types::wire::ip_to_bytes;
/// assert_eq!(ip_to_bytes("10.0.0.1".parse().unwrap()).as_slice(), &[10, 0, 0, 1]);
/// assert_eq!(ip_to_bytes("::1".parse().unwrap()).len(), 16);
/// ```
pub const fn ip_to_bytes(a: IpAddr) -> IpBytes {
    match a {
        IpAddr::V4(a) => {
            let o = a.octets();
            let mut buf = [0u8; 16];
            buf[0] = o[0];
            buf[1] = o[1];
            buf[2] = o[2];
            buf[3] = o[3];
            IpBytes { buf, len: 4 }
        }
        IpAddr::V6(a) => IpBytes {
            buf: a.octets(),
            len: 16,
        },
    }
}

/// The wire bytes of an address (4 or 16), returned by [`ip_to_bytes`]; dereferences to `[u8]`.
///
/// ```
/// use linx::types::wire::ip_to_bytes;
/// let b = ip_to_bytes("10.0.0.1".parse().unwrap());
/// let v: Vec<u8> = b.to_vec();
/// assert_eq!(v, [10, 0, 0, 1]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpBytes {
    buf: [u8; 16],
    len: u8,
}

impl IpBytes {
    /// The 4 or 16 bytes.
    ///
    /// ```
    /// use linx::types::wire::ip_to_bytes;
    /// assert_eq!(ip_to_bytes("::".parse().unwrap()).as_slice(), &[0u8; 16]);
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        let len = usize::from(self.len).min(16);
        &self.buf[..len]
    }
}

impl Deref for IpBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for IpBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}
