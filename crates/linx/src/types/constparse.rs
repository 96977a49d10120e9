//! `const fn` parsers behind the compile-time literals ([`prefix!`](crate::prefix),
//! [`ifaddr!`](crate::ifaddr), [`mac!`](crate::mac), [`ifname!`](crate::ifname)).
//!
//! std's address parsers are not `const`, so this module carries a faithful port of them:
//! [`ipv4`] accepts exactly what `Ipv4Addr::from_str` accepts, [`ipv6`] exactly what
//! `Ipv6Addr::from_str` accepts (RFC 4291 text forms: full, `::`-compressed, embedded IPv4 tail;
//! hex groups of 1–4 digits, no zone ids) and [`ip`] exactly what `IpAddr::from_str` accepts.
//! [`prefix`] and [`if_addr`] return the same [`ParseErrorKind`] as the runtime `FromStr`
//! implementations of [`Prefix`] and [`IfAddr`] (which use std's parsers); property tests check
//! both agreements. Everything here also works at run time.
//!
//! ```
//! use linx::types::constparse;
//! use std::net::Ipv6Addr;
//!
//! const LOOPBACK: Option<Ipv6Addr> = constparse::ipv6("::1");
//! assert_eq!(LOOPBACK, Some(Ipv6Addr::LOCALHOST));
//! assert_eq!(constparse::ipv4("010.0.0.1"), None);
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::{IfNameReason, ParseErrorKind};
use super::{IfAddr, IfName, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix, Mac, Prefix};

/// The value of `c` as a digit in `radix` (10 or 16).
const fn digit(c: u8, radix: u32) -> Option<u32> {
    let v = match c {
        b'0'..=b'9' => (c - b'0') as u32,
        b'a'..=b'f' => (c - b'a') as u32 + 10,
        b'A'..=b'F' => (c - b'A') as u32 + 10,
        _ => return None,
    };
    if v < radix { Some(v) } else { None }
}

/// std's `Parser::read_number`: reads every consecutive digit; fails (consuming nothing) when there
/// are none, more than `max_digits`, a value above `max_value`, or a forbidden leading zero.
const fn read_number(
    b: &[u8],
    start: usize,
    radix: u32,
    max_digits: usize,
    allow_zero_prefix: bool,
    max_value: u32,
) -> Option<(u32, usize)> {
    let mut pos = start;
    let mut value: u32 = 0;
    let mut overflow = false;
    while pos < b.len() {
        let d = match digit(b[pos], radix) {
            Some(d) => d,
            None => break,
        };
        if !overflow {
            value = value * radix + d;
            if value > max_value {
                overflow = true;
            }
        }
        pos += 1;
    }
    let count = pos - start;
    if count == 0 || count > max_digits || overflow {
        return None;
    }
    if !allow_zero_prefix && b[start] == b'0' && count > 1 {
        return None;
    }
    Some((value, pos))
}

/// Consumes `sep` at `pos` when `needed`, returning the new position.
const fn read_sep(b: &[u8], pos: usize, sep: u8, needed: bool) -> Option<usize> {
    if !needed {
        Some(pos)
    } else if pos < b.len() && b[pos] == sep {
        Some(pos + 1)
    } else {
        None
    }
}

/// std's `read_ipv4_addr`: four dot-separated decimal octets, no leading zeros.
const fn read_ipv4(b: &[u8], start: usize) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut pos = start;
    let mut i = 0;
    while i < 4 {
        pos = match read_sep(b, pos, b'.', i > 0) {
            Some(p) => p,
            None => return None,
        };
        match read_number(b, pos, 10, 3, false, 255) {
            Some((v, np)) => {
                octets[i] = v as u8;
                pos = np;
            }
            None => return None,
        }
        i += 1;
    }
    Some((
        Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]),
        pos,
    ))
}

/// std's `read_groups`: up to `limit` colon-separated hex groups, the last two of which may be an
/// embedded IPv4 address. Returns the groups, how many were read, whether an IPv4 tail was read,
/// and the position after them.
const fn read_groups(b: &[u8], start: usize, limit: usize) -> ([u16; 8], usize, bool, usize) {
    let mut groups = [0u16; 8];
    let mut pos = start;
    let mut i = 0;
    while i < limit {
        if i + 1 < limit {
            if let Some(p) = read_sep(b, pos, b':', i > 0) {
                if let Some((v4, np)) = read_ipv4(b, p) {
                    let o = v4.octets();
                    groups[i] = u16::from_be_bytes([o[0], o[1]]);
                    groups[i + 1] = u16::from_be_bytes([o[2], o[3]]);
                    return (groups, i + 2, true, np);
                }
            }
        }
        let p = match read_sep(b, pos, b':', i > 0) {
            Some(p) => p,
            None => return (groups, i, false, pos),
        };
        match read_number(b, p, 16, 4, true, 0xffff) {
            Some((g, np)) => {
                groups[i] = g as u16;
                pos = np;
            }
            None => return (groups, i, false, pos),
        }
        i += 1;
    }
    (groups, limit, false, pos)
}

const fn ipv6_from_groups(g: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
}

/// Parses an IPv4 address from bytes exactly as `Ipv4Addr::from_str` does.
///
/// ```
/// use linx::types::constparse::ipv4_bytes;
/// use std::net::Ipv4Addr;
///
/// assert_eq!(ipv4_bytes(b"192.0.2.1"), Some(Ipv4Addr::new(192, 0, 2, 1)));
/// assert_eq!(ipv4_bytes(b"10.0.0"), None);
/// ```
pub const fn ipv4_bytes(b: &[u8]) -> Option<Ipv4Addr> {
    match read_ipv4(b, 0) {
        Some((a, pos)) if pos == b.len() => Some(a),
        _ => None,
    }
}

/// Parses an IPv4 address exactly as `Ipv4Addr::from_str` does, in a `const` context if needed.
///
/// ```
/// use linx::types::constparse::ipv4;
/// use std::net::Ipv4Addr;
///
/// const GW: Option<Ipv4Addr> = ipv4("10.0.0.1");
/// assert_eq!(GW, Some(Ipv4Addr::new(10, 0, 0, 1)));
/// assert_eq!(ipv4("010.0.0.1"), None);
/// ```
pub const fn ipv4(s: &str) -> Option<Ipv4Addr> {
    ipv4_bytes(s.as_bytes())
}

/// Parses an IPv6 address from bytes exactly as `Ipv6Addr::from_str` does.
///
/// ```
/// use linx::types::constparse::ipv6_bytes;
///
/// assert!(ipv6_bytes(b"::ffff:192.0.2.1").is_some());
/// assert_eq!(ipv6_bytes(b"fe80::1%eth0"), None);
/// ```
pub const fn ipv6_bytes(b: &[u8]) -> Option<Ipv6Addr> {
    let (head, head_size, head_ipv4, pos) = read_groups(b, 0, 8);
    if head_size == 8 {
        return if pos == b.len() {
            Some(ipv6_from_groups(head))
        } else {
            None
        };
    }
    // An IPv4 part is allowed only at the very end.
    if head_ipv4 {
        return None;
    }
    if !(pos + 1 < b.len() && b[pos] == b':' && b[pos + 1] == b':') {
        return None;
    }
    // `::` stands for at least one zero group, so at most 7 groups remain in total.
    let limit = 8 - (head_size + 1);
    let (tail, tail_size, _, end) = read_groups(b, pos + 2, limit);
    if end != b.len() {
        return None;
    }
    let mut out = head;
    let mut k = 0;
    while k < tail_size {
        out[8 - tail_size + k] = tail[k];
        k += 1;
    }
    Some(ipv6_from_groups(out))
}

/// Parses an IPv6 address exactly as `Ipv6Addr::from_str` does, in a `const` context if needed.
///
/// ```
/// use linx::types::constparse::ipv6;
/// use std::net::Ipv6Addr;
///
/// assert_eq!(ipv6("fc00::1"), Some(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 1)));
/// assert_eq!(ipv6("1::2::3"), None);
/// ```
pub const fn ipv6(s: &str) -> Option<Ipv6Addr> {
    ipv6_bytes(s.as_bytes())
}

/// Parses an IPv4 or IPv6 address from bytes exactly as `IpAddr::from_str` does.
///
/// ```
/// use linx::types::constparse::ip_bytes;
///
/// assert!(ip_bytes(b"::1").is_some());
/// assert!(ip_bytes(b"127.1").is_none());
/// ```
pub const fn ip_bytes(b: &[u8]) -> Option<IpAddr> {
    if let Some(a) = ipv4_bytes(b) {
        return Some(IpAddr::V4(a));
    }
    match ipv6_bytes(b) {
        Some(a) => Some(IpAddr::V6(a)),
        None => None,
    }
}

/// Parses an IPv4 or IPv6 address exactly as `IpAddr::from_str` does.
///
/// ```
/// use linx::types::constparse::ip;
/// use std::net::{IpAddr, Ipv4Addr};
///
/// assert_eq!(ip("10.1.2.3"), Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))));
/// ```
pub const fn ip(s: &str) -> Option<IpAddr> {
    ip_bytes(s.as_bytes())
}

/// Parses a prefix length: decimal digits only, no sign, no leading zeros except `0` itself, at
/// most `max`.
///
/// ```
/// use linx::types::constparse::prefix_len;
///
/// assert_eq!(prefix_len(b"24", 32), Ok(24));
/// assert!(prefix_len(b"024", 32).is_err());
/// assert!(prefix_len(b"+1", 32).is_err());
/// assert!(prefix_len(b"33", 32).is_err());
/// ```
pub const fn prefix_len(b: &[u8], max: u8) -> Result<u8, ParseErrorKind> {
    let err = Err(ParseErrorKind::BadPrefixLength { max });
    if b.is_empty() || b.len() > 3 || (b[0] == b'0' && b.len() > 1) {
        return err;
    }
    let mut v: u32 = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return err;
        }
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    if v > max as u32 { err } else { Ok(v as u8) }
}

/// Splits at the first `/`.
const fn split_slash(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            let (addr, rest) = b.split_at(i);
            let (_, len) = rest.split_at(1);
            return Some((addr, len));
        }
        i += 1;
    }
    None
}

/// `ADDRESS/LENGTH` into its parts, with the errors of the runtime parsers.
const fn addr_len(b: &[u8]) -> Result<(IpAddr, u8), ParseErrorKind> {
    let (a, l) = match split_slash(b) {
        Some(parts) => parts,
        None => {
            return Err(if ip_bytes(b).is_some() {
                ParseErrorKind::MissingPrefixLength
            } else {
                ParseErrorKind::BadAddress
            });
        }
    };
    let addr = match ip_bytes(a) {
        Some(addr) => addr,
        None => return Err(ParseErrorKind::BadAddress),
    };
    let max = match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    match prefix_len(l, max) {
        Ok(len) => Ok((addr, len)),
        Err(e) => Err(e),
    }
}

/// Parses a strict network prefix (`10.0.0.0/24`, `2001:db8::/32`); the `const` twin of
/// `Prefix::from_str`, returning the same error kinds.
///
/// ```
/// use linx::types::{constparse, ParseErrorKind};
///
/// assert!(constparse::prefix("10.0.0.0/24").is_ok());
/// assert!(matches!(
///     constparse::prefix("10.0.0.1/24"),
///     Err(ParseErrorKind::HostBitsSet { .. })
/// ));
/// ```
pub const fn prefix(s: &str) -> Result<Prefix, ParseErrorKind> {
    match addr_len(s.as_bytes()) {
        Ok((IpAddr::V4(a), len)) => match Ipv4Prefix::checked(a, len) {
            Ok(p) => Ok(Prefix::V4(p)),
            Err(e) => Err(e),
        },
        Ok((IpAddr::V6(a), len)) => match Ipv6Prefix::checked(a, len) {
            Ok(p) => Ok(Prefix::V6(p)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Parses an interface address (`10.0.0.5/24`, host bits kept); the `const` twin of
/// `IfAddr::from_str`, returning the same error kinds.
///
/// ```
/// use linx::types::constparse;
///
/// let a = constparse::if_addr("10.0.0.5/24").unwrap();
/// assert_eq!(a.len(), 24);
/// ```
pub const fn if_addr(s: &str) -> Result<IfAddr, ParseErrorKind> {
    match addr_len(s.as_bytes()) {
        Ok((IpAddr::V4(a), len)) => Ok(IfAddr::V4(Ipv4IfAddr::from_parts(a, len))),
        Ok((IpAddr::V6(a), len)) => Ok(IfAddr::V6(Ipv6IfAddr::from_parts(a, len))),
        Err(e) => Err(e),
    }
}

/// Parses a MAC address: exactly six pairs of hex digits (either case) separated by `:` or by
/// `-` (one separator throughout). This is the only MAC parser; `Mac::from_str` uses it.
///
/// ```
/// use linx::types::{constparse, Mac};
///
/// assert_eq!(constparse::mac("02-AA-bb-cc-dd-ee"), Ok(Mac([2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee])));
/// assert!(constparse::mac("02:aa:bb:cc:dd").is_err());
/// ```
pub const fn mac(s: &str) -> Result<Mac, ParseErrorKind> {
    let b = s.as_bytes();
    if b.len() != 17 {
        return Err(ParseErrorKind::BadMac);
    }
    let sep = b[2];
    if sep != b':' && sep != b'-' {
        return Err(ParseErrorKind::BadMac);
    }
    let mut out = [0u8; 6];
    let mut i = 0;
    while i < 6 {
        let hi = digit(b[3 * i], 16);
        let lo = digit(b[3 * i + 1], 16);
        match (hi, lo) {
            (Some(h), Some(l)) => out[i] = (h * 16 + l) as u8,
            _ => return Err(ParseErrorKind::BadMac),
        }
        if i < 5 && b[3 * i + 2] != sep {
            return Err(ParseErrorKind::BadMac);
        }
        i += 1;
    }
    Ok(Mac(out))
}

/// Whether the kernel's `isspace()` (Latin-1 `_ctype` table) is true for `c`.
const fn kernel_isspace(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0xa0)
}

/// Validates an interface name given as bytes (no trimming); the only interface-name validator,
/// used by `IfName::from_str` and `IfName::from_wire`.
///
/// ```
/// use linx::types::{constparse, IfNameReason, ParseErrorKind};
///
/// assert_eq!(constparse::if_name_bytes(b"eth0").unwrap().as_str(), "eth0");
/// assert_eq!(
///     constparse::if_name_bytes(b".."),
///     Err(ParseErrorKind::BadIfName(IfNameReason::Reserved))
/// );
/// ```
pub const fn if_name_bytes(b: &[u8]) -> Result<IfName, ParseErrorKind> {
    let len = b.len();
    if len == 0 {
        return Err(ParseErrorKind::BadIfName(IfNameReason::Empty));
    }
    if len > 15 {
        return Err(ParseErrorKind::BadIfName(IfNameReason::TooLong { len }));
    }
    if (len == 1 && b[0] == b'.') || (len == 2 && b[0] == b'.' && b[1] == b'.') {
        return Err(ParseErrorKind::BadIfName(IfNameReason::Reserved));
    }
    let mut wire = [0u8; 16];
    let mut i = 0;
    while i < len {
        let c = b[i];
        if c == b'/' || c == b':' || c == 0 || kernel_isspace(c) {
            return Err(ParseErrorKind::BadIfName(IfNameReason::InvalidByte(c)));
        }
        wire[i] = c;
        i += 1;
    }
    if core::str::from_utf8(b).is_err() {
        return Err(ParseErrorKind::BadIfName(IfNameReason::NotUtf8));
    }
    Ok(IfName::from_validated(wire))
}

/// Validates an interface name; the `const` twin of `IfName::from_str`.
///
/// ```
/// use linx::types::constparse;
///
/// assert!(constparse::if_name("veth0").is_ok());
/// assert!(constparse::if_name("a-name-that-is-too-long").is_err());
/// ```
pub const fn if_name(s: &str) -> Result<IfName, ParseErrorKind> {
    if_name_bytes(s.as_bytes())
}

/// The compile-error message of the `prefix!` literal macro for `kind`.
#[doc(hidden)]
pub const fn __prefix_literal_message(kind: ParseErrorKind) -> &'static str {
    match kind {
        ParseErrorKind::BadAddress => {
            "invalid prefix literal: bad address (expected e.g. \"10.0.0.0/24\" or \"2001:db8::/32\")"
        }
        ParseErrorKind::MissingPrefixLength => "invalid prefix literal: missing \"/LENGTH\"",
        ParseErrorKind::BadPrefixLength { max: 32 } => {
            "invalid prefix literal: bad prefix length (must be 0 to 32)"
        }
        ParseErrorKind::BadPrefixLength { .. } => {
            "invalid prefix literal: bad prefix length (must be 0 to 128)"
        }
        ParseErrorKind::HostBitsSet { .. } => {
            "invalid prefix literal: host bits set (clear the bits after the prefix length, or use ifaddr! for an interface address)"
        }
        _ => "invalid prefix literal",
    }
}

/// The compile-error message of the `ifaddr!` literal macro for `kind`.
#[doc(hidden)]
pub const fn __ifaddr_literal_message(kind: ParseErrorKind) -> &'static str {
    match kind {
        ParseErrorKind::BadAddress => {
            "invalid interface address literal: bad address (expected e.g. \"10.0.0.5/24\" or \"fe80::1/64\")"
        }
        ParseErrorKind::MissingPrefixLength => {
            "invalid interface address literal: missing \"/LENGTH\""
        }
        ParseErrorKind::BadPrefixLength { max: 32 } => {
            "invalid interface address literal: bad prefix length (must be 0 to 32)"
        }
        ParseErrorKind::BadPrefixLength { .. } => {
            "invalid interface address literal: bad prefix length (must be 0 to 128)"
        }
        _ => "invalid interface address literal",
    }
}

/// The compile-error message of the `mac!` literal macro for `kind`.
#[doc(hidden)]
pub const fn __mac_literal_message(kind: ParseErrorKind) -> &'static str {
    match kind {
        ParseErrorKind::BadMac => {
            "invalid MAC literal: expected six pairs of hex digits separated by ':' or '-'"
        }
        _ => "invalid MAC literal",
    }
}

/// The compile-error message of the `ifname!` literal macro for `kind`.
#[doc(hidden)]
pub const fn __ifname_literal_message(kind: ParseErrorKind) -> &'static str {
    match kind {
        ParseErrorKind::BadIfName(IfNameReason::Empty) => "invalid interface name literal: empty",
        ParseErrorKind::BadIfName(IfNameReason::TooLong { .. }) => {
            "invalid interface name literal: longer than 15 bytes"
        }
        ParseErrorKind::BadIfName(IfNameReason::Reserved) => {
            "invalid interface name literal: \".\" and \"..\" are reserved"
        }
        ParseErrorKind::BadIfName(IfNameReason::InvalidByte(_)) => {
            "invalid interface name literal: contains '/', ':', NUL or whitespace"
        }
        ParseErrorKind::BadIfName(IfNameReason::NotUtf8) => {
            "invalid interface name literal: not valid UTF-8"
        }
        _ => "invalid interface name literal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) {
        assert_eq!(ipv4(s), s.parse::<Ipv4Addr>().ok(), "ipv4 {s:?}");
        assert_eq!(ipv6(s), s.parse::<Ipv6Addr>().ok(), "ipv6 {s:?}");
        assert_eq!(ip(s), s.parse::<IpAddr>().ok(), "ip {s:?}");
    }

    /// Every string up to 6 characters over an alphabet that hits all branches of the grammar.
    #[test]
    fn typ_06_const_ip_exhaustive_short_strings() {
        const ALPHABET: &[u8] = b"0019f:.";
        let mut buf = Vec::new();
        fn rec(buf: &mut Vec<u8>, depth: usize) {
            check(core::str::from_utf8(buf).unwrap_or(""));
            if depth == 0 {
                return;
            }
            for &c in ALPHABET {
                buf.push(c);
                rec(buf, depth - 1);
                buf.pop();
            }
        }
        rec(&mut buf, 6);
    }

    /// Long pseudo-random strings biased towards addresses (deterministic, no extra deps).
    #[test]
    fn typ_06_const_ip_random_long_strings() {
        const PIECES: &[&str] = &[
            "0", "1", "12", "255", "256", "01", "ffff", "fFfF", "10000", "a", ":", "::", ".",
            "1.2.3.4", "%", "/", "g",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let n = (next() % 16) as usize;
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            check(&s);
        }
    }

    #[test]
    fn typ_06_const_ip_known_cases() {
        for s in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "::ffff:1.2.3.4",
            "1::1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3",
            "::1.2.3.4.5",
            "::01.2.3.4",
            "::1.2.3.4a",
            "1:::2",
            ":1::",
            "::1:",
            "0000:0000:0000:0000:0000:0000:0000:0001",
            "00000::1",
            "1::2::3",
            "FE80::1",
            "fe80::1%eth0",
            "[::1]",
            " ::1",
            "127.0.0.1",
            "127.1",
            "255.255.255.255",
            "256.0.0.0",
            "1.2.3.04",
            "0.0.0.0",
            "1.2.3.4.",
            "",
        ] {
            check(s);
        }
    }
}
