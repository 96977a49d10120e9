//! Netlink transport: pure codecs ([`wire`]) and a synchronous socket ([`NetlinkSocket`]) usable in
//! any network namespace, plus generic-netlink family resolution ([`genl`]).
//!
//! The model: one [`NetlinkSocket`] per driver (it is `Send`, not `Sync`); a socket opened for a
//! [`NsTarget`](crate::ns::NsTarget) stays bound to that namespace for life. Requests are built with
//! [`wire::MsgBuilder`], wrapped in a [`Request`] (which remembers the message's name and layout so
//! kernel errors can name the failing attribute), and sent with [`NetlinkSocket::request`] or one of
//! the dump methods. Nothing received is trusted: every length is checked, malformed data becomes
//! [`Error::Protocol`](crate::Error::Protocol), and a receive-buffer overflow becomes
//! [`Error::Overrun`](crate::Error::Overrun) (or [`Received::Overrun`] on a multicast socket) —
//! never a panic, never silent loss.

pub mod genl;
mod socket;
pub mod wire;

pub use socket::{
    AttrNamer, DEFAULT_DUMP_RETRIES, DEFAULT_TIMEOUT, DumpResult, MONITOR_RCVBUF, NetlinkSocket,
    Protocol, Received, Request,
};
