//! Validated network interface names ([`IfName`]).

use core::fmt;
use core::str::FromStr;

use super::constparse;
use super::error::{ParseError, ParseTarget};

/// The kernel's `IFNAMSIZ`: the size of an interface-name buffer, NUL terminator included.
pub const IFNAMSIZ: usize = 16;

/// A network interface name valid for the kernel (TYP-09): 1 to 15 bytes, not `.` or `..`,
/// without `/`, `:`, NUL or whitespace (see [`IfNameReason`](super::IfNameReason) for the exact
/// rules), and valid UTF-8.
///
/// It is `Copy` (stored inline as the 16-byte NUL-padded wire form) and converts to and from
/// that wire form, as used by nf_tables ifname keys and `IFLA_IFNAME`. Ordered bytewise.
///
/// ```
/// use linx::{ifname, types::IfName};
///
/// let n: IfName = "eth0".parse()?;
/// assert_eq!(n, ifname!("eth0"));
/// assert_eq!(n.as_str(), "eth0");
/// assert_eq!(&n.to_wire(), b"eth0\0\0\0\0\0\0\0\0\0\0\0\0");
/// assert_eq!(IfName::from_wire(&n.to_wire())?, n);
/// assert!("a-very-long-name".parse::<IfName>().is_err()); // 16 bytes
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName {
    /// NUL-padded; bytes before the first NUL are a validated name of 1..=15 bytes.
    wire: [u8; IFNAMSIZ],
}

impl IfName {
    /// Wraps a buffer already validated by `constparse::if_name_bytes`.
    pub(crate) const fn from_validated(wire: [u8; IFNAMSIZ]) -> Self {
        IfName { wire }
    }

    /// Validates `name`.
    ///
    /// # Errors
    /// [`BadIfName`](super::ParseErrorKind::BadIfName) with the reason.
    ///
    /// ```
    /// use linx::types::IfName;
    /// assert!(IfName::new("br-lan").is_ok());
    /// assert!(IfName::new("eth 0").is_err());
    /// ```
    pub fn new(name: &str) -> Result<Self, ParseError> {
        constparse::if_name(name).map_err(|k| ParseError::new(ParseTarget::IfName, name, k))
    }

    /// Decodes a name from its wire form: trailing NULs are trimmed, then the rest must be a
    /// valid name (so a NUL inside the name, or more than 15 bytes, is an error). Any buffer
    /// length is accepted, e.g. the 16-byte nf_tables form or a NUL-terminated `IFLA_IFNAME`.
    ///
    /// # Errors
    /// [`BadIfName`](super::ParseErrorKind::BadIfName); the error's `input` is the buffer
    /// decoded lossily.
    ///
    /// ```
    /// use linx::types::IfName;
    /// assert_eq!(IfName::from_wire(b"lo\0")?.as_str(), "lo");
    /// assert!(IfName::from_wire(b"\0\0\0\0").is_err());
    /// assert!(IfName::from_wire(b"a\0b\0").is_err());
    /// # Ok::<(), linx::types::ParseError>(())
    /// ```
    pub fn from_wire(bytes: &[u8]) -> Result<Self, ParseError> {
        let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let name = &bytes[..end];
        constparse::if_name_bytes(name)
            .map_err(|k| ParseError::new(ParseTarget::IfName, String::from_utf8_lossy(bytes), k))
    }

    /// The 16-byte NUL-padded wire form (`IFNAMSIZ`).
    ///
    /// ```
    /// use linx::ifname;
    /// let w = ifname!("eth0").to_wire();
    /// assert_eq!(&w[..4], b"eth0");
    /// assert!(w[4..].iter().all(|&b| b == 0));
    /// ```
    pub const fn to_wire(&self) -> [u8; IFNAMSIZ] {
        self.wire
    }

    /// The name's bytes, without padding (1 to 15 bytes).
    ///
    /// ```
    /// use linx::ifname;
    /// assert_eq!(ifname!("wg0").as_bytes(), b"wg0");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.wire.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
        &self.wire[..len]
    }

    /// The name.
    ///
    /// ```
    /// use linx::ifname;
    /// assert_eq!(ifname!("wg0").as_str(), "wg0");
    /// ```
    pub fn as_str(&self) -> &str {
        // Validated as UTF-8 at construction; the fallback is unreachable.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Display for IfName {
    /// The name as is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    /// The literal form, e.g. `ifname!("eth0")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ifname!({:?})", self.as_str())
    }
}

impl FromStr for IfName {
    type Err = ParseError;

    /// Validates `s` as an interface name (see [`IfName`]).
    ///
    /// # Errors
    /// [`BadIfName`](super::ParseErrorKind::BadIfName) with the reason.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        IfName::new(s)
    }
}

impl TryFrom<&str> for IfName {
    type Error = ParseError;

    /// Same as [`IfName::new`].
    fn try_from(s: &str) -> Result<Self, ParseError> {
        IfName::new(s)
    }
}

impl AsRef<str> for IfName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for IfName {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq<str> for IfName {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for IfName {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
