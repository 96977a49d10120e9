//! rtnetlink: links (and, as they land, addresses, routes, neighbours, rules, stats, monitor).
//!
//! [`Rtnl`] is a handle on one `NETLINK_ROUTE` socket bound to one network namespace
//! ([`NsTarget`]). Decoders are lenient where the kernel evolves (attributes linx does not model are
//! kept raw) and strict where data would be misread (wrong attribute lengths are protocol errors).
//! See [rtnetlink(7)](https://man7.org/linux/man-pages/man7/rtnetlink.7.html).
//!
//! ```no_run
//! use linx::rtnl::Rtnl;
//! let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
//! for link in rtnl.links()? {
//!     println!("{link}");
//! }
//! # Ok::<(), linx::Error>(())
//! ```

pub mod link;

use crate::error::Result;
use crate::netlink::{NetlinkSocket, Protocol};
use crate::ns::NsTarget;

pub use link::{Link, LinkFlags, LinkInfo, OperState};

/// `RTM_NEWLINK`.
pub const RTM_NEWLINK: u16 = 16;
/// `RTM_DELLINK`.
pub const RTM_DELLINK: u16 = 17;
/// `RTM_GETLINK`.
pub const RTM_GETLINK: u16 = 18;
/// `RTM_SETLINK`.
pub const RTM_SETLINK: u16 = 19;
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u16 = 20;
/// `RTM_DELADDR`.
pub const RTM_DELADDR: u16 = 21;
/// `RTM_GETADDR`.
pub const RTM_GETADDR: u16 = 22;
/// `RTM_NEWROUTE`.
pub const RTM_NEWROUTE: u16 = 24;
/// `RTM_DELROUTE`.
pub const RTM_DELROUTE: u16 = 25;
/// `RTM_GETROUTE`.
pub const RTM_GETROUTE: u16 = 26;
/// `RTM_NEWNEIGH`.
pub const RTM_NEWNEIGH: u16 = 28;
/// `RTM_DELNEIGH`.
pub const RTM_DELNEIGH: u16 = 29;
/// `RTM_GETNEIGH`.
pub const RTM_GETNEIGH: u16 = 30;
/// `RTM_NEWRULE`.
pub const RTM_NEWRULE: u16 = 32;
/// `RTM_DELRULE`.
pub const RTM_DELRULE: u16 = 33;
/// `RTM_GETRULE`.
pub const RTM_GETRULE: u16 = 34;
/// `RTM_GETSTATS`.
pub const RTM_GETSTATS: u16 = 94;
/// `RTM_NEWNEXTHOP`.
pub const RTM_NEWNEXTHOP: u16 = 104;
/// `RTM_DELNEXTHOP`.
pub const RTM_DELNEXTHOP: u16 = 105;
/// `RTM_GETNEXTHOP`.
pub const RTM_GETNEXTHOP: u16 = 106;

/// The symbolic name of an rtnetlink message type (`RTM_GETLINK`), or `RTM_?` when unknown.
pub fn msg_type_name(msg_type: u16) -> &'static str {
    match msg_type {
        RTM_NEWLINK => "RTM_NEWLINK",
        RTM_DELLINK => "RTM_DELLINK",
        RTM_GETLINK => "RTM_GETLINK",
        RTM_SETLINK => "RTM_SETLINK",
        RTM_NEWADDR => "RTM_NEWADDR",
        RTM_DELADDR => "RTM_DELADDR",
        RTM_GETADDR => "RTM_GETADDR",
        RTM_NEWROUTE => "RTM_NEWROUTE",
        RTM_DELROUTE => "RTM_DELROUTE",
        RTM_GETROUTE => "RTM_GETROUTE",
        RTM_NEWNEIGH => "RTM_NEWNEIGH",
        RTM_DELNEIGH => "RTM_DELNEIGH",
        RTM_GETNEIGH => "RTM_GETNEIGH",
        RTM_NEWRULE => "RTM_NEWRULE",
        RTM_DELRULE => "RTM_DELRULE",
        RTM_GETRULE => "RTM_GETRULE",
        RTM_GETSTATS => "RTM_GETSTATS",
        RTM_NEWNEXTHOP => "RTM_NEWNEXTHOP",
        RTM_DELNEXTHOP => "RTM_DELNEXTHOP",
        RTM_GETNEXTHOP => "RTM_GETNEXTHOP",
        _ => "RTM_?",
    }
}

/// A handle on one rtnetlink socket, bound to one network namespace.
#[derive(Debug)]
pub struct Rtnl {
    sock: NetlinkSocket,
}

impl Rtnl {
    /// Opens an rtnetlink socket in `target`'s network namespace.
    ///
    /// # Errors
    /// Namespace-target errors and socket errors (see [`NetlinkSocket::open`]).
    pub fn open(target: &NsTarget) -> Result<Rtnl> {
        Ok(Rtnl {
            sock: NetlinkSocket::open(Protocol::ROUTE, target)?,
        })
    }

    /// Wraps an existing `NETLINK_ROUTE` socket.
    pub fn from_socket(sock: NetlinkSocket) -> Rtnl {
        Rtnl { sock }
    }

    /// The underlying socket (for raw requests, timeouts, buffer sizes).
    pub fn socket_mut(&mut self) -> &mut NetlinkSocket {
        &mut self.sock
    }

    /// Every link of the namespace (an `RTM_GETLINK` dump, retried while interrupted).
    ///
    /// # Errors
    /// OS errors of the dump; [`Error::DumpInterrupted`](crate::Error::DumpInterrupted) if the dump
    /// stays inconsistent; protocol errors for malformed replies.
    pub fn links(&mut self) -> Result<Vec<Link>> {
        link::list(&mut self.sock)
    }

    /// One link by name; `ENODEV` (naming the interface) if there is none.
    ///
    /// # Errors
    /// Input error for an invalid interface name (before any syscall); `ENODEV` otherwise.
    pub fn link_by_name(&mut self, name: &str) -> Result<Link> {
        link::get_by_name(&mut self.sock, name)
    }

    /// One link by index; `ENODEV` if there is none.
    pub fn link_by_index(&mut self, index: u32) -> Result<Link> {
        link::get_by_index(&mut self.sock, index)
    }
}
