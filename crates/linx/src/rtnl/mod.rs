//! rtnetlink: links, addresses, routes, nexthop objects, neighbours (and the bridge FDB), policy
//! rules, statistics, a change monitor, diff helpers for reconcilers, and named network
//! namespaces.
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

pub mod addr;
mod common;
pub mod diff;
#[cfg(feature = "serde")]
pub mod json;
pub mod kinds;
pub mod link;
pub mod monitor;
pub mod neigh;
pub mod netns;
pub mod nexthop;
pub mod route;
pub mod rule;
pub mod stats;
mod tunnel;
mod xstats;

use crate::error::{Error, OsError, Result, Subsystem};
use crate::netlink::{DEFAULT_DUMP_RETRIES, NetlinkSocket, Protocol, Request};
use crate::ns::NsTarget;

pub use addr::{AddrFlags, Address, AddressFilter, AddressSpec, Broadcast};
pub use common::family_name;
pub use kinds::LinkKind;
pub use link::{
    Link, LinkChange, LinkFilter, LinkFlags, LinkInfo, LinkRef, LinkSpec, NetnsDest, OperState,
    Tun, TunSpec,
};
pub use monitor::{Event, MonitorGroups, Object, RouteMonitor};
pub use neigh::{LlAddr, NeighFilter, NeighFlags, NeighSpec, Neighbour, NudState};
pub use nexthop::{Nexthop, NexthopSpec};
pub use route::{
    HopSpec, MultipathHop, Route, RouteFilter, RouteGet, RouteMetrics, RouteProtocol, RouteSpec,
    RouteType,
};
pub use rule::{Rule, RuleAction, RuleSpec};
pub use stats::{Link64, LinkStats};

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
    /// Strict checking of dump requests: `None` not tried yet, `Some(on)` after trying.
    strict: Option<bool>,
    /// How many pipelined requests may await their acks at once (from the receive buffer).
    batch_window: Option<usize>,
    /// Retries of an interrupted dump.
    dump_retries: u32,
}

impl Rtnl {
    /// Opens an rtnetlink socket in `target`'s network namespace.
    ///
    /// # Errors
    /// Namespace-target errors and socket errors (see [`NetlinkSocket::open`]).
    pub fn open(target: &NsTarget) -> Result<Rtnl> {
        Ok(Rtnl {
            sock: NetlinkSocket::open(Protocol::ROUTE, target)?,
            strict: None,
            batch_window: None,
            dump_retries: DEFAULT_DUMP_RETRIES,
        })
    }

    /// Wraps an existing `NETLINK_ROUTE` socket.
    pub fn from_socket(sock: NetlinkSocket) -> Rtnl {
        Rtnl {
            sock,
            strict: None,
            batch_window: None,
            dump_retries: DEFAULT_DUMP_RETRIES,
        }
    }

    /// Sets how many times a dump the kernel flags as interrupted (`NLM_F_DUMP_INTR`: objects
    /// changed while it ran) is retried with a fresh sequence number before
    /// [`Error::DumpInterrupted`] is returned (default 2).
    pub fn set_dump_retries(&mut self, retries: u32) {
        self.dump_retries = retries;
    }

    /// Unwraps the socket.
    pub fn into_socket(self) -> NetlinkSocket {
        self.sock
    }

    /// Turns on strict checking of dump requests (`NETLINK_GET_STRICT_CHK`, Linux ≥ 4.20) the
    /// first time a filtered dump needs it; returns whether the kernel filters dumps. On older
    /// kernels filtered dumps fall back to filtering here.
    pub(crate) fn strict_checking(&mut self) -> bool {
        if let Some(on) = self.strict {
            return on;
        }
        let on = match self.sock.set_strict_checking(true) {
            Ok(()) => true,
            Err(Error::Os(OsError { .. })) => false,
            Err(_) => false,
        };
        self.strict = Some(on);
        on
    }

    /// The underlying socket (for raw requests, timeouts, buffer sizes).
    pub fn socket_mut(&mut self) -> &mut NetlinkSocket {
        &mut self.sock
    }

    /// Runs a dump, decoding every message of `msg_type` as it arrives (no copy of the raw
    /// messages); `decode` returns `None` to skip one. Retried with a fresh sequence number while
    /// the kernel flags the dump as interrupted.
    pub(crate) fn dump_decode<T>(
        &mut self,
        req: &Request,
        msg_type: u16,
        mut decode: impl FnMut(&[u8]) -> Result<Option<T>>,
    ) -> Result<Vec<T>> {
        for _ in 0..=self.dump_retries {
            let mut out = Vec::new();
            let interrupted = self.sock.dump_with(req, |m| {
                if m.header.msg_type == msg_type
                    && let Some(v) = decode(m.payload)?
                {
                    out.push(v);
                }
                Ok(())
            })?;
            if !interrupted {
                return Ok(out);
            }
        }
        Err(Error::DumpInterrupted {
            subsystem: Subsystem::Netlink,
            operation: crate::error::Operation::netlink(req.name(), req.msg_type()),
            attempts: self.dump_retries + 1,
        })
    }

    /// Sends many requests pipelined — packed into datagrams of up to 64 KiB, each request with
    /// its own ack — and waits for every ack. This is how bulk changes (e.g. 100,000 routes) go
    /// fast without an all-or-nothing transaction: rtnetlink has none.
    ///
    /// The kernel processes every message of a datagram even after one fails, so requests after a
    /// failed one *in the same datagram* may have been applied; no further datagram is sent.
    ///
    /// # Errors
    /// The failure of the lowest-indexed failed request, with its errno, extended-ack text and
    /// `batch_index`; [`Error::Timeout`] when acks stop coming; overruns and protocol errors.
    pub fn request_batch(&mut self, reqs: &[Request]) -> Result<()> {
        use crate::netlink::wire::{self, NLMSG_ERROR, flags};
        const MAX_DGRAM: usize = 64 * 1024;
        // Each ack occupies roughly 1 KiB of receive buffer (skb overhead included): keep the
        // number of unacknowledged requests below what the buffer holds, after raising it.
        let window = match self.batch_window {
            Some(w) => w,
            None => {
                let rcv = self.sock.set_recv_buffer(crate::netlink::MONITOR_RCVBUF)?;
                let w = (rcv / 1024).clamp(16, 4096);
                self.batch_window = Some(w);
                w
            }
        };
        let port = self.sock.port_id();
        let mut i = 0;
        let mut buf = Vec::with_capacity(MAX_DGRAM);
        while i < reqs.len() {
            buf.clear();
            let mut seqs = std::collections::HashMap::new();
            while i < reqs.len()
                && seqs.len() < window
                && (buf.is_empty() || buf.len() + reqs[i].bytes().len() <= MAX_DGRAM)
            {
                let seq = self.sock.next_seq();
                let start = buf.len();
                buf.extend_from_slice(reqs[i].bytes());
                if let Some(h) = buf.get_mut(start..start + 16) {
                    let fl = u16::from_ne_bytes([h[6], h[7]]) | flags::REQUEST | flags::ACK;
                    h[6..8].copy_from_slice(&fl.to_ne_bytes());
                    h[8..12].copy_from_slice(&seq.to_ne_bytes());
                }
                buf.resize(wire::align4(buf.len()), 0);
                seqs.insert(seq, i);
                i += 1;
            }
            self.sock.send_raw(&buf)?;
            let mut failed: Option<(usize, Error)> = None;
            while !seqs.is_empty() {
                let timeout = self.sock.timeout();
                let Some(dgram) = self.sock.recv_raw(timeout)? else {
                    let first = seqs.values().min().copied().unwrap_or(0);
                    let r = &reqs[first];
                    return Err(Error::timeout(
                        Subsystem::Netlink,
                        crate::error::Operation::netlink(r.name(), r.msg_type()),
                        timeout.unwrap_or_default(),
                    )
                    .with_context(|c| c.batch_index = Some(first)));
                };
                for m in wire::messages(&dgram) {
                    let m = m?;
                    if m.header.pid != port || m.header.msg_type != NLMSG_ERROR {
                        continue;
                    }
                    let Some(idx) = seqs.remove(&m.header.seq) else {
                        continue;
                    };
                    let e = wire::parse_error(&m)?;
                    if e.errno != 0 && failed.as_ref().is_none_or(|(f, _)| idx < *f) {
                        let r = &reqs[idx];
                        let mut os = OsError::new(
                            Subsystem::Netlink,
                            crate::error::Operation::netlink(r.name(), r.msg_type()),
                            crate::error::Errno::from_raw_os_error(e.errno),
                        )
                        .batch_index(idx);
                        if let Some(t) = e.ext.msg.filter(|t| !t.is_empty()) {
                            os = os.extack(t);
                        }
                        failed = Some((idx, os.into()));
                    }
                }
            }
            if let Some((_, e)) = failed {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Every link of the namespace (an `RTM_GETLINK` dump, retried while interrupted).
    ///
    /// # Errors
    /// OS errors of the dump; [`Error::DumpInterrupted`] if the dump
    /// stays inconsistent; protocol errors for malformed replies.
    pub fn links(&mut self) -> Result<Vec<Link>> {
        let req = link::dump_request()?;
        self.dump_decode(&req, RTM_NEWLINK, |p| Link::decode(p).map(Some))
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

/// A route or address scope (`RT_SCOPE_*`): universe 0 (printed `global`), site 200, link 253,
/// host 254, nowhere 255; other values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Scope(pub u8);

impl Scope {
    /// `RT_SCOPE_UNIVERSE` (0): global.
    pub const UNIVERSE: Scope = Scope(0);
    /// `RT_SCOPE_SITE` (200).
    pub const SITE: Scope = Scope(200);
    /// `RT_SCOPE_LINK` (253): directly attached.
    pub const LINK: Scope = Scope(253);
    /// `RT_SCOPE_HOST` (254): this host.
    pub const HOST: Scope = Scope(254);
    /// `RT_SCOPE_NOWHERE` (255).
    pub const NOWHERE: Scope = Scope(255);

    /// The iproute2 name (`global`, `site`, `link`, `host`, `nowhere`, or the number).
    pub fn name(self) -> String {
        match self.0 {
            0 => "global".into(),
            200 => "site".into(),
            253 => "link".into(),
            254 => "host".into(),
            255 => "nowhere".into(),
            n => n.to_string(),
        }
    }

    /// Parses an iproute2 name or a number.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn parse(s: &str) -> Result<Scope> {
        Ok(match s {
            "global" | "universe" => Scope::UNIVERSE,
            "site" => Scope::SITE,
            "link" => Scope::LINK,
            "host" => Scope::HOST,
            "nowhere" => Scope::NOWHERE,
            _ => Scope(s.parse().map_err(|_| {
                common::input(
                    "scope",
                    s,
                    "expected global, site, link, host, nowhere or 0..=255",
                )
            })?),
        })
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
