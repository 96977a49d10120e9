//! MAC (Ethernet hardware) addresses ([`Mac`]).

use core::fmt;
use core::str::FromStr;

use super::constparse;
use super::error::{ParseError, ParseTarget};

/// A 48-bit MAC address (TYP-07), stored as its six wire bytes.
///
/// Parsing accepts six pairs of hex digits (either case) separated by `:` or by `-` (the same
/// separator throughout); `Display` is the lowercase colon form and `Debug` the literal form:
///
/// ```
/// use linx::{mac, types::Mac};
///
/// let m: Mac = "02:AA:bb:cc:dd:ee".parse()?;
/// assert_eq!(m, "02-aa-bb-cc-dd-ee".parse()?);
/// assert_eq!(m, mac!("02:aa:bb:cc:dd:ee"));
/// assert_eq!(m.to_string(), "02:aa:bb:cc:dd:ee");
/// assert_eq!(format!("{m:?}"), r#"mac!("02:aa:bb:cc:dd:ee")"#);
/// assert!(m.is_local() && m.is_unicast());
/// # Ok::<(), linx::types::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: Mac = Mac([0xff; 6]);

    /// `00:00:00:00:00:00`.
    pub const ZERO: Mac = Mac([0; 6]);

    /// The six bytes in wire order.
    ///
    /// ```
    /// use linx::mac;
    /// assert_eq!(mac!("02:00:00:00:00:01").octets(), [2, 0, 0, 0, 0, 1]);
    /// ```
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// Decodes the 6-byte wire form; any other length gives `None`.
    ///
    /// ```
    /// use linx::types::Mac;
    /// assert_eq!(Mac::from_bytes(&[2, 0, 0, 0, 0, 1]), Some(Mac([2, 0, 0, 0, 0, 1])));
    /// assert_eq!(Mac::from_bytes(&[2, 0, 0, 0, 0]), None);
    /// assert_eq!(Mac::from_bytes(&[0; 7]), None);
    /// ```
    pub const fn from_bytes(b: &[u8]) -> Option<Mac> {
        match *b {
            [a, b, c, d, e, f] => Some(Mac([a, b, c, d, e, f])),
            _ => None,
        }
    }

    /// Whether this is a group (multicast or broadcast) address: bit 0 of the first octet.
    ///
    /// ```
    /// use linx::{mac, types::Mac};
    /// assert!(mac!("01:00:5e:00:00:01").is_multicast());
    /// assert!(Mac::BROADCAST.is_multicast());
    /// ```
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether this is an individual (unicast) address: bit 0 of the first octet clear.
    ///
    /// ```
    /// use linx::mac;
    /// assert!(mac!("00:11:22:33:44:55").is_unicast());
    /// ```
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// Whether this is a locally administered address: bit 1 of the first octet.
    ///
    /// ```
    /// use linx::mac;
    /// assert!(mac!("02:00:00:00:00:01").is_local());
    /// assert!(!mac!("00:11:22:33:44:55").is_local());
    /// ```
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// Whether this is `ff:ff:ff:ff:ff:ff`.
    ///
    /// ```
    /// use linx::types::Mac;
    /// assert!(Mac::BROADCAST.is_broadcast());
    /// ```
    pub const fn is_broadcast(&self) -> bool {
        matches!(self.0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    }

    /// A stable, locally administered unicast address derived from `seed` (TYP-08), e.g. for
    /// veth or bridge addresses that must survive restarts.
    ///
    /// The derivation is fixed and part of the API: the 64-bit FNV-1a hash of `seed`, passed
    /// through the MurmurHash3 `fmix64` finaliser; the first six big-endian bytes of the result,
    /// with bit 1 of the first octet set (locally administered) and bit 0 cleared (unicast). It
    /// does not depend on the Rust version, the platform or the process.
    ///
    /// ```
    /// use linx::types::Mac;
    /// let a = Mac::from_seed(b"veth0");
    /// assert_eq!(a, Mac::from_seed(b"veth0"));
    /// assert_ne!(a, Mac::from_seed(b"veth1"));
    /// assert!(a.is_local() && a.is_unicast());
    /// ```
    pub const fn from_seed(seed: &[u8]) -> Mac {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < seed.len() {
            h ^= seed[i] as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
            i += 1;
        }
        // fmix64
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        let b = h.to_be_bytes();
        Mac([(b[0] | 0x02) & !0x01, b[1], b[2], b[3], b[4], b[5]])
    }

    /// A random locally administered unicast address, read from `/dev/urandom` (no extra
    /// dependency, so no cargo feature is needed).
    ///
    /// # Errors
    /// The I/O error of opening or reading `/dev/urandom`.
    ///
    /// ```
    /// use linx::types::Mac;
    /// let m = Mac::random()?;
    /// assert!(m.is_local() && m.is_unicast());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn random() -> std::io::Result<Mac> {
        use std::io::Read;
        let mut b = [0u8; 6];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
        b[0] = (b[0] | 0x02) & !0x01;
        Ok(Mac(b))
    }
}

impl From<[u8; 6]> for Mac {
    fn from(b: [u8; 6]) -> Self {
        Mac(b)
    }
}

impl From<Mac> for [u8; 6] {
    fn from(m: Mac) -> Self {
        m.0
    }
}

impl AsRef<[u8]> for Mac {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Mac {
    /// Lowercase colon form, e.g. `02:aa:bb:cc:dd:ee`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for Mac {
    /// The literal form, e.g. `mac!("02:aa:bb:cc:dd:ee")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mac!(\"{self}\")")
    }
}

impl FromStr for Mac {
    type Err = ParseError;

    /// Parses `xx:xx:xx:xx:xx:xx` or `xx-xx-xx-xx-xx-xx` (hex, either case, exactly two digits
    /// per group, one separator kind throughout).
    ///
    /// # Errors
    /// [`BadMac`](super::ParseErrorKind::BadMac) for anything else (wrong group count, wrong
    /// digit count, mixed separators, non-hex digits).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        constparse::mac(s).map_err(|k| ParseError::new(ParseTarget::Mac, s, k))
    }
}
