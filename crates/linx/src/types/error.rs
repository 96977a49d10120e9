//! The one error type of every parser and checked constructor in [`crate::types`].

use core::fmt;

use super::Prefix;

/// What a [`ParseError`] was trying to produce; it names the value in the error message.
///
/// ```
/// use linx::types::{ParseTarget, Prefix};
///
/// let err = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
/// assert_eq!(err.target, ParseTarget::Prefix);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseTarget {
    /// A network prefix ([`Prefix`], [`Ipv4Prefix`](super::Ipv4Prefix), [`Ipv6Prefix`](super::Ipv6Prefix)).
    Prefix,
    /// An interface address ([`IfAddr`](super::IfAddr) and its per-family forms).
    IfAddr,
    /// An inclusive address range ([`IpRange`](super::IpRange)).
    Range,
    /// A MAC address ([`Mac`](super::Mac)).
    Mac,
    /// An interface name ([`IfName`](super::IfName)).
    IfName,
}

impl ParseTarget {
    /// The human-readable name used in error messages, e.g. `"prefix"`.
    ///
    /// ```
    /// assert_eq!(linx::types::ParseTarget::Mac.as_str(), "MAC address");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ParseTarget::Prefix => "prefix",
            ParseTarget::IfAddr => "interface address",
            ParseTarget::Range => "address range",
            ParseTarget::Mac => "MAC address",
            ParseTarget::IfName => "interface name",
        }
    }
}

impl fmt::Display for ParseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string (or byte string) is not a valid interface name (TYP-09).
///
/// The rules are the kernel's `dev_valid_name()`: 1 to 15 bytes, not `.` or `..`, and no `/`, `:`,
/// NUL or whitespace byte. The kernel's `isspace()` treats the bytes 0x09–0x0d, 0x20 and 0xa0
/// (Latin-1 no-break space) as whitespace, so those are refused too. linx additionally requires
/// valid UTF-8 so that [`IfName::as_str`](super::IfName::as_str) can hand out a `&str`.
///
/// ```
/// use linx::types::{IfName, IfNameReason, ParseErrorKind};
///
/// let err = "eth/0".parse::<IfName>().unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::BadIfName(IfNameReason::InvalidByte(b'/')));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IfNameReason {
    /// The name is empty.
    Empty,
    /// The name is longer than 15 bytes (`IFNAMSIZ - 1`).
    TooLong {
        /// The length of the offending name in bytes.
        len: usize,
    },
    /// The name is `.` or `..`.
    Reserved,
    /// The name contains `/`, `:`, NUL or a whitespace byte (the byte is given).
    InvalidByte(u8),
    /// The name is not valid UTF-8.
    NotUtf8,
}

impl fmt::Display for IfNameReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfNameReason::Empty => f.write_str("empty name"),
            IfNameReason::TooLong { len } => {
                write!(f, "{len} bytes long, at most 15 bytes are allowed")
            }
            IfNameReason::Reserved => f.write_str("\".\" and \"..\" are reserved"),
            IfNameReason::InvalidByte(b) => write!(
                f,
                "contains the byte 0x{b:02x} ('/', ':', NUL and whitespace are not allowed)"
            ),
            IfNameReason::NotUtf8 => f.write_str("not valid UTF-8"),
        }
    }
}

/// The reason a value failed to parse or to construct; the `kind` of a [`ParseError`].
///
/// It is `Copy` and usable in `const` contexts: the const parsers of
/// [`constparse`](super::constparse) return it directly.
///
/// ```
/// use linx::types::{ParseErrorKind, Prefix};
///
/// let err = "10.0.0.0/33".parse::<Prefix>().unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::BadPrefixLength { max: 32 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The address part is not an IPv4 or IPv6 address in std's strict syntax (no classful
    /// shorthand such as `10.0.0`, no leading zeros such as `010.0.0.1`, no zone id such as
    /// `fe80::1%eth0`).
    BadAddress,
    /// An address was given where `ADDRESS/LENGTH` was required.
    MissingPrefixLength,
    /// The prefix length is not a decimal number from 0 to `max` (no sign, no leading zeros
    /// except `0` itself).
    BadPrefixLength {
        /// The largest length allowed for the address family (32 or 128).
        max: u8,
    },
    /// A network prefix has bits set after its prefix length; `suggestion` is the prefix with
    /// those bits cleared.
    HostBitsSet {
        /// The same prefix with the host bits zeroed.
        suggestion: Prefix,
    },
    /// IPv4 and IPv6 were mixed, or the wrong family was given for a family-specific type.
    FamilyMismatch,
    /// A range's first address is greater than its last address.
    RangeOrder,
    /// A range is not written `FIRST-LAST`.
    BadRange,
    /// A MAC address is not six pairs of hex digits separated by `:` or `-`.
    BadMac,
    /// An interface name breaks the kernel's naming rules.
    BadIfName(IfNameReason),
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::BadAddress => f.write_str("not a valid IPv4 or IPv6 address"),
            ParseErrorKind::MissingPrefixLength => f.write_str("missing \"/LENGTH\""),
            ParseErrorKind::BadPrefixLength { max } => write!(
                f,
                "the prefix length must be a decimal number from 0 to {max}"
            ),
            ParseErrorKind::HostBitsSet { suggestion } => {
                write!(f, "host bits set (did you mean {suggestion}?)")
            }
            ParseErrorKind::FamilyMismatch => f.write_str("address family mismatch"),
            ParseErrorKind::RangeOrder => {
                f.write_str("the first address is greater than the last address")
            }
            ParseErrorKind::BadRange => f.write_str("expected FIRST-LAST"),
            ParseErrorKind::BadMac => f.write_str(
                "expected six pairs of hex digits separated by ':' or '-' (e.g. 02:aa:bb:cc:dd:ee)",
            ),
            ParseErrorKind::BadIfName(reason) => reason.fmt(f),
        }
    }
}

/// An input error from a parser or checked constructor of [`crate::types`] (TYP-11).
///
/// It keeps the offending `input` (for constructors, the value written in its text form) and the
/// `kind` of problem. `Display` quotes the input:
///
/// ```
/// use linx::types::{ParseErrorKind, Prefix};
///
/// let err = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
/// assert_eq!(err.input, "10.0.0.1/24");
/// assert!(matches!(err.kind, ParseErrorKind::HostBitsSet { .. }));
/// assert_eq!(
///     err.to_string(),
///     r#"invalid prefix "10.0.0.1/24": host bits set (did you mean 10.0.0.0/24?)"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ParseError {
    /// The rejected input, exactly as given (for byte-string inputs, lossily decoded).
    pub input: String,
    /// What is wrong with it.
    pub kind: ParseErrorKind,
    /// What kind of value was being parsed.
    pub target: ParseTarget,
}

impl ParseError {
    /// Creates an error for `input`, which was meant to become a `target`.
    ///
    /// ```
    /// use linx::types::{ParseError, ParseErrorKind, ParseTarget};
    ///
    /// let err = ParseError::new(ParseTarget::Mac, "zz", ParseErrorKind::BadMac);
    /// assert!(err.to_string().starts_with(r#"invalid MAC address "zz": "#));
    /// ```
    pub fn new(target: ParseTarget, input: impl Into<String>, kind: ParseErrorKind) -> Self {
        ParseError {
            input: input.into(),
            kind,
            target,
        }
    }

    /// For [`ParseErrorKind::HostBitsSet`], the suggested prefix with the host bits cleared.
    ///
    /// ```
    /// use linx::prefix;
    /// use linx::types::Prefix;
    ///
    /// let err = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
    /// assert_eq!(err.suggestion(), Some(prefix!("10.0.0.0/24")));
    /// ```
    pub fn suggestion(&self) -> Option<Prefix> {
        match self.kind {
            ParseErrorKind::HostBitsSet { suggestion } => Some(suggestion),
            _ => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {:?}: {}", self.target, self.input, self.kind)
    }
}

impl std::error::Error for ParseError {}

impl From<ParseError> for std::io::Error {
    fn from(e: ParseError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}
