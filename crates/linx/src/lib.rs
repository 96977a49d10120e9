//! linx — Linux kernel-interface primitives.
//!
//! linx is a library of typed, synchronous, dependency-light access to Linux kernel interfaces:
//! process spawning with a parked checkpoint before `execve`, netlink (rtnetlink, nf_tables),
//! cgroup v2, mounts, user-namespace id maps, capabilities, seccomp and sysctl. It is primitives,
//! not a runtime.
//!
//! # Layers
//! 1. Pure codecs, no I/O: [`netlink::wire`], [`types`].
//! 2. Transports: [`netlink::NetlinkSocket`], namespace targeting ([`ns`]), [`pidfd`].
//! 3. Subsystem APIs: [`rtnl`], … (one module per kernel area, each behind a cargo feature).
//! 4. Composition: the checkpoint and reconcile loops (as they land), and the `linx` CLI.
//!
//! # Errors
//! Every API returns [`Error`], which separates caller mistakes (input), kernel refusals (OS errors
//! with operation, errno and context) and lifecycle conditions; see [`error`].
#![warn(missing_docs)]

#[cfg(feature = "caps")]
pub mod caps;
#[cfg(feature = "cgroup")]
pub mod cgroup;
pub mod error;
#[cfg(feature = "mount")]
pub mod mount;
#[cfg(feature = "netfilter")]
pub mod netfilter;
pub mod netlink;
#[cfg(feature = "netfilter")]
pub mod nft;
pub mod ns;
pub mod pidfd;
pub mod probe;
#[cfg(feature = "process")]
pub mod process;
#[cfg(any(feature = "reconcile", feature = "sysctl"))]
pub mod reconcile;
#[cfg(feature = "rtnl")]
pub mod rtnl;
#[cfg(feature = "seccomp")]
pub mod seccomp;
#[cfg(feature = "sysctl")]
pub mod sysctl;
#[cfg(feature = "tty")]
pub mod tty;
pub mod types;
#[cfg(feature = "user")]
pub mod user;

pub use error::{Error, Result};
/// The compile-time nft macros (see [module `nft`](mod@nft) for the [`nft::Script`] they produce).
#[cfg(all(feature = "netfilter", not(linx_host)))]
pub use linx_macros::{nft, nft_file};
pub use types::{
    IfAddr, IfName, IpRange, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix, Mac, ParseError,
    Prefix,
};
