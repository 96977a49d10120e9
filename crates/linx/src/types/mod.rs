//! Value types: IP prefixes, interface addresses, address ranges, MAC addresses, interface names.
//!
//! Plain IP addresses are [`std::net::IpAddr`], [`Ipv4Addr`](std::net::Ipv4Addr) and
//! [`Ipv6Addr`](std::net::Ipv6Addr); linx defines no address type of its own and parses
//! addresses exactly as std does (no classful shorthand such as `10.0.0`, no leading zeros such
//! as `010.0.0.1`, no zone ids such as `fe80::1%eth0`). This module adds what std lacks:
//!
//! | Type | Example | Used for |
//! |---|---|---|
//! | [`Prefix`] ([`Ipv4Prefix`], [`Ipv6Prefix`]) | `10.0.0.0/24` | routes, rules, nf_tables prefixes and intervals |
//! | [`IfAddr`] ([`Ipv4IfAddr`], [`Ipv6IfAddr`]) | `10.0.0.5/24` | addresses configured on interfaces |
//! | [`IpRange`] | `10.0.0.1-10.0.0.6` | nf_tables interval elements |
//! | [`Mac`] | `02:aa:bb:cc:dd:ee` | link-layer addresses |
//! | [`IfName`] | `eth0` | interface names (`IFNAMSIZ` wire form) |
//!
//! # Routes need networks, interfaces need addresses
//!
//! `10.0.0.5/24` means two different things depending on where it goes. On an interface it is
//! an *address* with the length of its on-link network: the host bits (`.5`) are the point. In a
//! route, rule or nf_tables prefix it would be a *network* whose host bits must be zero; the
//! kernel rejects such a route or silently normalises it. linx therefore has two types:
//! [`Prefix`] refuses host bits (`"10.0.0.5/24".parse::<Prefix>()` fails with
//! [`ParseErrorKind::HostBitsSet`], suggesting `10.0.0.0/24`), while [`IfAddr`] keeps them and
//! gives its network through [`IfAddr::network`]. A bare address becomes a prefix only through
//! the explicit [`Prefix::from_addr`] (host route); host bits are cleared only through the
//! explicit [`Prefix::new_truncating`].
//!
//! ```
//! use linx::types::{IfAddr, ParseErrorKind, Prefix};
//!
//! let on_eth0: IfAddr = "10.0.0.5/24".parse()?;
//! let route: Prefix = on_eth0.network();
//! assert_eq!(route.to_string(), "10.0.0.0/24");
//!
//! let err = "10.0.0.5/24".parse::<Prefix>().unwrap_err();
//! assert!(matches!(err.kind, ParseErrorKind::HostBitsSet { .. }));
//! # Ok::<(), linx::types::ParseError>(())
//! ```
//!
//! # Text, wire and literals
//!
//! Every type implements `FromStr` and `Display`, which round-trip; all parsers return a
//! [`ParseError`] quoting the input and never panic. Prefix lengths are decimal digits only: no
//! sign, no leading zeros except `0` itself (`/024` is refused), at most 32 or 128. Wire helpers
//! for plain addresses are in [`wire`]; [`Mac`] and [`IfName`] carry their own. The macros
//! [`prefix!`](crate::prefix), [`ifaddr!`](crate::ifaddr), [`mac!`](crate::mac) and
//! [`ifname!`](crate::ifname) check literals at compile time with the `const fn` parsers of
//! [`constparse`], which accept exactly what the runtime parsers accept.
//!
//! # Features
//!
//! `serde`: all types (de)serialise as their string forms. `ipnet`: conversions between the
//! prefixes and interface addresses here and `ipnet::{Ipv4Net, Ipv6Net, IpNet}`.

pub mod constparse;
mod error;
mod ifaddr;
mod ifname;
#[cfg(feature = "ipnet")]
mod ipnet_impls;
mod mac;
mod macros;
mod prefix;
mod range;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod wire;

pub use error::{IfNameReason, ParseError, ParseErrorKind, ParseTarget};
pub use ifaddr::{IfAddr, Ipv4IfAddr, Ipv6IfAddr};
pub use ifname::{IFNAMSIZ, IfName};
pub use mac::Mac;
pub use prefix::{
    Hosts, Ipv4Hosts, Ipv4Prefix, Ipv4Subnets, Ipv6Hosts, Ipv6Prefix, Ipv6Subnets, Prefix, Subnets,
};
pub use range::IpRange;
pub use wire::{
    IpBytes, ip_from_bytes, ip_to_bytes, ipv4_from_bytes, ipv4_to_bytes, ipv6_from_bytes,
    ipv6_to_bytes,
};
