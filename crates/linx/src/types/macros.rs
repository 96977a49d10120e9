//! Compile-time checked literals (TYP-06).

/// A [`Prefix`](crate::types::Prefix) literal checked at compile time (TYP-06).
///
/// The string is parsed by the `const fn` [`constparse::prefix`](crate::types::constparse::prefix),
/// which accepts exactly what `Prefix::from_str` accepts; an invalid literal is a compile error
/// naming the problem (e.g. `invalid prefix literal: host bits set ...`). The expansion is a
/// constant, usable in `const` items.
///
/// ```
/// use linx::prefix;
/// use linx::types::Prefix;
///
/// const PRIVATE: Prefix = prefix!("10.0.0.0/8");
/// assert!(PRIVATE.contains("10.1.2.3".parse().unwrap()));
/// assert_eq!(prefix!("::/0").len(), 0);
/// ```
///
/// ```compile_fail
/// let p = linx::prefix!("10.0.0.1/24"); // host bits set
/// ```
#[macro_export]
macro_rules! prefix {
    ($lit:literal $(,)?) => {{
        const __LINX_PREFIX: $crate::types::Prefix = match $crate::types::constparse::prefix($lit) {
            ::core::result::Result::Ok(p) => p,
            ::core::result::Result::Err(e) => {
                ::core::panic!("{}", $crate::types::constparse::__prefix_literal_message(e))
            }
        };
        __LINX_PREFIX
    }};
}

/// An [`IfAddr`](crate::types::IfAddr) literal (address plus prefix length, host bits kept)
/// checked at compile time (TYP-06).
///
/// Parsed by the `const fn` [`constparse::if_addr`](crate::types::constparse::if_addr), which
/// accepts exactly what `IfAddr::from_str` accepts; an invalid literal is a compile error.
///
/// ```
/// use linx::ifaddr;
/// use linx::types::IfAddr;
///
/// const ADDR: IfAddr = ifaddr!("10.0.0.5/24");
/// assert_eq!(ADDR.to_string(), "10.0.0.5/24");
/// ```
///
/// ```compile_fail
/// let a = linx::ifaddr!("10.0.0.5"); // missing length
/// ```
#[macro_export]
macro_rules! ifaddr {
    ($lit:literal $(,)?) => {{
        const __LINX_IFADDR: $crate::types::IfAddr = match $crate::types::constparse::if_addr($lit)
        {
            ::core::result::Result::Ok(a) => a,
            ::core::result::Result::Err(e) => {
                ::core::panic!("{}", $crate::types::constparse::__ifaddr_literal_message(e))
            }
        };
        __LINX_IFADDR
    }};
}

/// A [`Mac`](crate::types::Mac) literal checked at compile time (TYP-06, TYP-07).
///
/// Accepts exactly what `Mac::from_str` accepts (six hex pairs separated by `:` or `-`).
///
/// ```
/// use linx::mac;
/// use linx::types::Mac;
///
/// const GW: Mac = mac!("02:aa:bb:cc:dd:ee");
/// assert_eq!(GW.octets(), [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
/// ```
///
/// ```compile_fail
/// let m = linx::mac!("zz:00:00:00:00:00");
/// ```
#[macro_export]
macro_rules! mac {
    ($lit:literal $(,)?) => {{
        const __LINX_MAC: $crate::types::Mac = match $crate::types::constparse::mac($lit) {
            ::core::result::Result::Ok(m) => m,
            ::core::result::Result::Err(e) => {
                ::core::panic!("{}", $crate::types::constparse::__mac_literal_message(e))
            }
        };
        __LINX_MAC
    }};
}

/// An [`IfName`](crate::types::IfName) literal checked at compile time (TYP-06, TYP-09).
///
/// Accepts exactly what `IfName::from_str` accepts.
///
/// ```
/// use linx::ifname;
/// use linx::types::IfName;
///
/// const UPLINK: IfName = ifname!("eth0");
/// assert_eq!(UPLINK.as_str(), "eth0");
/// ```
///
/// ```compile_fail
/// let n = linx::ifname!("this-name-is-too-long");
/// ```
#[macro_export]
macro_rules! ifname {
    ($lit:literal $(,)?) => {{
        const __LINX_IFNAME: $crate::types::IfName = match $crate::types::constparse::if_name($lit)
        {
            ::core::result::Result::Ok(n) => n,
            ::core::result::Result::Err(e) => {
                ::core::panic!("{}", $crate::types::constparse::__ifname_literal_message(e))
            }
        };
        __LINX_IFNAME
    }};
}
