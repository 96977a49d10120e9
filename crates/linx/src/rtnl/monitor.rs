//! Watching rtnetlink changes: a multicast subscriber yielding typed events, with an explicit
//! [`Event::Overrun`] when the kernel dropped notifications, and snapshot-then-follow.
//!
//! Treat events as prompts to re-read, not as exact deltas: netlink multicast is lossy (an
//! overrun means some were dropped) and a snapshot taken after subscribing may repeat events
//! older than it. See [rtnetlink(7)](https://man7.org/linux/man-pages/man7/rtnetlink.7.html)
//! (multicast groups) and `ip monitor` in
//! [ip-monitor(8)](https://man7.org/linux/man-pages/man8/ip-monitor.8.html).

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use crate::error::Result;
use crate::netlink::{NetlinkSocket, Protocol, Received};
use crate::ns::NsTarget;

use super::addr::Address;
use super::common::{AF_BRIDGE, AF_INET, AF_INET6};
use super::link::Link;
use super::neigh::{NeighFilter, Neighbour};
use super::nexthop::Nexthop;
use super::route::Route;
use super::rule::Rule;
use super::{
    RTM_DELADDR, RTM_DELLINK, RTM_DELNEIGH, RTM_DELNEXTHOP, RTM_DELROUTE, RTM_DELRULE, RTM_NEWADDR,
    RTM_NEWLINK, RTM_NEWNEIGH, RTM_NEWNEXTHOP, RTM_NEWROUTE, RTM_NEWRULE, Rtnl,
};

bitflags::bitflags! {
    /// rtnetlink multicast groups (`RTNLGRP_*`); bit `n - 1` is group `n`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MonitorGroups: u64 {
        /// `RTNLGRP_LINK` (1).
        const LINK = 1 << 0;
        /// `RTNLGRP_NEIGH` (3).
        const NEIGH = 1 << 2;
        /// `RTNLGRP_IPV4_IFADDR` (5).
        const IPV4_IFADDR = 1 << 4;
        /// `RTNLGRP_IPV4_ROUTE` (7).
        const IPV4_ROUTE = 1 << 6;
        /// `RTNLGRP_IPV4_RULE` (8).
        const IPV4_RULE = 1 << 7;
        /// `RTNLGRP_IPV6_IFADDR` (9).
        const IPV6_IFADDR = 1 << 8;
        /// `RTNLGRP_IPV6_ROUTE` (11).
        const IPV6_ROUTE = 1 << 10;
        /// `RTNLGRP_IPV6_RULE` (19).
        const IPV6_RULE = 1 << 18;
        /// `RTNLGRP_NSID` (28).
        const NSID = 1 << 27;
        /// `RTNLGRP_NEXTHOP` (32).
        const NEXTHOP = 1 << 31;
        /// Addresses of both families.
        const ADDRESS = Self::IPV4_IFADDR.bits() | Self::IPV6_IFADDR.bits();
        /// Routes of both families.
        const ROUTE = Self::IPV4_ROUTE.bits() | Self::IPV6_ROUTE.bits();
        /// Rules of both families.
        const RULE = Self::IPV4_RULE.bits() | Self::IPV6_RULE.bits();
        /// The default set: links, neighbours, addresses, routes and rules.
        const DEFAULT = Self::LINK.bits() | Self::NEIGH.bits() | Self::ADDRESS.bits()
            | Self::ROUTE.bits() | Self::RULE.bits();
    }
}

impl MonitorGroups {
    /// The group numbers in the set.
    pub fn numbers(self) -> impl Iterator<Item = u32> {
        (0..64u32)
            .filter(move |b| self.bits() & (1u64 << b) != 0)
            .map(|b| b + 1)
    }
}

/// A changed object, decoded with the same decoders as dumps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// A link (boxed: links are much larger than the other objects).
    Link(Box<Link>),
    /// An address.
    Address(Address),
    /// A route.
    Route(Route),
    /// A neighbour or FDB entry.
    Neighbour(Neighbour),
    /// A rule.
    Rule(Rule),
    /// A nexthop object.
    Nexthop(Nexthop),
}

/// One monitor event, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An object appeared or changed (`RTM_NEW*`).
    New(Object),
    /// An object went away (`RTM_DEL*`).
    Del(Object),
    /// A message linx does not model (e.g. `RTM_NEWNSID`, multicast routes), raw.
    Unknown {
        /// The message type.
        msg_type: u16,
        /// The payload.
        bytes: Vec<u8>,
    },
    /// The receive buffer overflowed: notifications were lost. Re-dump the state.
    Overrun,
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Object::Link(x) => write!(f, "link {x}"),
            Object::Address(x) => write!(f, "address {x}"),
            Object::Route(x) => write!(f, "route {x}"),
            Object::Neighbour(x) => write!(f, "neigh {x}"),
            Object::Rule(x) => write!(f, "rule {x}"),
            Object::Nexthop(x) => write!(f, "nexthop {x}"),
        }
    }
}

impl std::fmt::Display for Event {
    /// One line in the spirit of `ip monitor`: the object, prefixed `Deleted ` for deletions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::New(o) => write!(f, "{o}"),
            Event::Del(o) => write!(f, "Deleted {o}"),
            Event::Unknown { msg_type, bytes } => {
                write!(f, "unknown message type {msg_type} ({} bytes)", bytes.len())
            }
            Event::Overrun => f.write_str("overrun: events were lost, re-read the state"),
        }
    }
}

/// Decodes one notification into an [`Event`] (pure).
///
/// # Errors
/// Protocol errors of the object decoders for malformed payloads.
pub fn decode_event(msg_type: u16, payload: &[u8]) -> Result<Event> {
    let family = payload.first().copied().unwrap_or(0);
    let ip = family == AF_INET || family == AF_INET6;
    let (new, obj) = match msg_type {
        RTM_NEWLINK | RTM_DELLINK => (
            msg_type == RTM_NEWLINK,
            Object::Link(Box::new(Link::decode(payload)?)),
        ),
        RTM_NEWADDR | RTM_DELADDR if ip => (
            msg_type == RTM_NEWADDR,
            Object::Address(Address::decode(payload)?),
        ),
        RTM_NEWROUTE | RTM_DELROUTE if ip => (
            msg_type == RTM_NEWROUTE,
            Object::Route(Route::decode(payload)?),
        ),
        RTM_NEWNEIGH | RTM_DELNEIGH if ip || family == AF_BRIDGE => (
            msg_type == RTM_NEWNEIGH,
            Object::Neighbour(Neighbour::decode(payload)?),
        ),
        RTM_NEWRULE | RTM_DELRULE if ip => (
            msg_type == RTM_NEWRULE,
            Object::Rule(Rule::decode(payload)?),
        ),
        RTM_NEWNEXTHOP | RTM_DELNEXTHOP => (
            msg_type == RTM_NEWNEXTHOP,
            Object::Nexthop(Nexthop::decode(payload)?),
        ),
        _ => {
            return Ok(Event::Unknown {
                msg_type,
                bytes: payload.to_vec(),
            });
        }
    };
    Ok(if new {
        Event::New(obj)
    } else {
        Event::Del(obj)
    })
}

/// A subscriber to rtnetlink multicast groups in one network namespace.
///
/// Blocking by default ([`next_event`](Self::next_event) with a timeout, or the [`Iterator`]
/// impl which waits forever); pollable through [`AsFd`]; with the `tokio` feature,
/// [`AsyncRouteMonitor`] adapts it to async code.
///
/// ```no_run
/// use linx::rtnl::monitor::{Event, MonitorGroups, RouteMonitor};
/// let mut mon = RouteMonitor::open(&linx::ns::NsTarget::Current, MonitorGroups::DEFAULT)?;
/// for ev in &mut mon {
///     match ev? {
///         Event::Overrun => println!("lost events: re-dump"),
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct RouteMonitor {
    sock: NetlinkSocket,
    pending: VecDeque<Result<Event>>,
    groups: MonitorGroups,
}

impl RouteMonitor {
    /// Opens a `NETLINK_ROUTE` socket in `target` and joins `groups` (the receive buffer is
    /// raised to 4 MiB, clamped by `rmem_max` when unprivileged).
    ///
    /// # Errors
    /// Socket and namespace errors; `setsockopt` errors of the joins.
    pub fn open(target: &NsTarget, groups: MonitorGroups) -> Result<RouteMonitor> {
        let mut sock = NetlinkSocket::open(Protocol::ROUTE, target)?;
        for g in groups.numbers() {
            sock.join_group(g)?;
        }
        Ok(RouteMonitor {
            sock,
            pending: VecDeque::new(),
            groups,
        })
    }

    /// The joined groups.
    pub fn groups(&self) -> MonitorGroups {
        self.groups
    }

    /// Sets the receive buffer (privileged callers bypass `rmem_max`); returns the effective size.
    ///
    /// # Errors
    /// `setsockopt` errors.
    pub fn set_recv_buffer(&mut self, bytes: usize) -> Result<usize> {
        self.sock.set_recv_buffer(bytes)
    }

    /// The next event, waiting up to `timeout` (`None` waits forever); `Ok(None)` on timeout.
    ///
    /// # Errors
    /// Receive errors; protocol errors for a malformed notification (the monitor stays usable:
    /// the next call continues with the following message).
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return e.map(Some);
            }
            match self.sock.recv_multicast(timeout)? {
                None => return Ok(None),
                Some(Received::Overrun) => return Ok(Some(Event::Overrun)),
                Some(Received::Messages(msgs)) => {
                    for m in msgs {
                        if m.header.msg_type < crate::netlink::wire::NLMSG_MIN_TYPE {
                            continue;
                        }
                        self.pending
                            .push_back(decode_event(m.header.msg_type, &m.payload));
                    }
                }
            }
        }
    }

    /// The next event if one is ready, without waiting.
    ///
    /// # Errors
    /// As [`next_event`](Self::next_event).
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        self.next_event(Some(Duration::ZERO))
    }

    /// The underlying socket.
    pub fn socket_mut(&mut self) -> &mut NetlinkSocket {
        &mut self.sock
    }
}

impl Iterator for RouteMonitor {
    type Item = Result<Event>;

    /// Blocks until the next event; never ends on its own.
    fn next(&mut self) -> Option<Result<Event>> {
        self.next_event(None).transpose()
    }
}

impl AsFd for RouteMonitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl AsRawFd for RouteMonitor {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_fd().as_raw_fd()
    }
}

/// The state read right after subscribing (see [`snapshot_then_follow`]). Each list is filled
/// when its group was requested.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// Links (group `LINK`).
    pub links: Vec<Link>,
    /// Addresses (`IPV4_IFADDR`/`IPV6_IFADDR`).
    pub addresses: Vec<Address>,
    /// Routes (`IPV4_ROUTE`/`IPV6_ROUTE`).
    pub routes: Vec<Route>,
    /// Neighbours (`NEIGH`).
    pub neighbours: Vec<Neighbour>,
    /// Rules (`IPV4_RULE`/`IPV6_RULE`).
    pub rules: Vec<Rule>,
    /// Nexthop objects (`NEXTHOP`).
    pub nexthops: Vec<Nexthop>,
}

/// Retries of an interrupted dump in [`snapshot_then_follow`].
pub const SNAPSHOT_DUMP_RETRIES: u32 = 100;

/// Subscribes first, then dumps, and returns both: no change made after this call started is
/// missed (it is in the snapshot, in the stream, or both — events older than the snapshot may
/// repeat).
///
/// ```no_run
/// use linx::rtnl::monitor::{snapshot_then_follow, MonitorGroups};
/// let (snap, mut mon) = snapshot_then_follow(&linx::ns::NsTarget::Current, MonitorGroups::ADDRESS)?;
/// println!("{} addresses now", snap.addresses.len());
/// let next = mon.next_event(None)?;
/// # Ok::<(), linx::Error>(())
/// ```
///
/// Each dump is retried (up to [`SNAPSHOT_DUMP_RETRIES`] times) until the kernel reports it
/// consistent.
///
/// # Errors
/// Errors of [`RouteMonitor::open`] and of the dumps; [`Error::DumpInterrupted`](crate::Error::DumpInterrupted)
/// if changes never pause long enough for a consistent dump.
pub fn snapshot_then_follow(
    target: &NsTarget,
    groups: MonitorGroups,
) -> Result<(Snapshot, RouteMonitor)> {
    let mon = RouteMonitor::open(target, groups)?;
    let mut rtnl = Rtnl::open(target)?;
    // Changes keep coming while we dump (that is the point): insist on a consistent dump, as an
    // interrupted one may skip objects that did not change. The monitor buffers events meanwhile.
    rtnl.set_dump_retries(SNAPSHOT_DUMP_RETRIES);
    let mut snap = Snapshot::default();
    if groups.contains(MonitorGroups::LINK) {
        snap.links = rtnl.links()?;
    }
    if groups.intersects(MonitorGroups::ADDRESS) {
        let fam = if groups.contains(MonitorGroups::ADDRESS) {
            None
        } else if groups.contains(MonitorGroups::IPV4_IFADDR) {
            Some(AF_INET)
        } else {
            Some(AF_INET6)
        };
        let f = super::addr::AddressFilter {
            family: fam,
            ..Default::default()
        };
        snap.addresses = rtnl.addresses_filtered(&f)?;
    }
    if groups.intersects(MonitorGroups::ROUTE) {
        let family = (!groups.contains(MonitorGroups::ROUTE)).then(|| {
            if groups.contains(MonitorGroups::IPV4_ROUTE) {
                AF_INET
            } else {
                AF_INET6
            }
        });
        let f = super::route::RouteFilter {
            family,
            ..Default::default()
        };
        snap.routes = rtnl.routes_filtered(&f)?;
    }
    if groups.contains(MonitorGroups::NEIGH) {
        snap.neighbours = rtnl.neighbours_filtered(&NeighFilter::default())?;
    }
    if groups.intersects(MonitorGroups::RULE) {
        snap.rules = rtnl.rules()?;
    }
    if groups.contains(MonitorGroups::NEXTHOP) {
        snap.nexthops = rtnl.nexthops()?;
    }
    Ok((snap, mon))
}

#[cfg(feature = "tokio")]
pub use async_monitor::AsyncRouteMonitor;

#[cfg(feature = "tokio")]
mod async_monitor {
    use std::task::{Context, Poll};

    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    use super::{Event, RouteMonitor};
    use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};

    /// A [`RouteMonitor`] driven by tokio's reactor (`tokio::io::unix::AsyncFd`).
    ///
    /// [`next`](Self::next) is an async "stream next"; [`poll_next`](Self::poll_next) has the
    /// signature of `futures::Stream::poll_next`, so wrapping it in a `Stream` is one line for
    /// callers that use `futures`/`tokio-stream`.
    ///
    /// ```no_run
    /// # async fn f() -> linx::Result<()> {
    /// use linx::rtnl::monitor::{AsyncRouteMonitor, MonitorGroups, RouteMonitor};
    /// let mon = RouteMonitor::open(&linx::ns::NsTarget::Current, MonitorGroups::LINK)?;
    /// let mut mon = AsyncRouteMonitor::new(mon)?;
    /// while let Some(ev) = mon.next().await {
    ///     println!("{:?}", ev?);
    /// }
    /// # Ok(()) }
    /// ```
    #[derive(Debug)]
    pub struct AsyncRouteMonitor {
        fd: AsyncFd<RouteMonitor>,
    }

    impl AsyncRouteMonitor {
        /// Registers the monitor with the current tokio runtime (which needs IO enabled).
        ///
        /// # Errors
        /// [`Error::State`] (`Closed`) outside a tokio runtime; `epoll_ctl` errors (e.g. a runtime
        /// without IO).
        pub fn new(mon: RouteMonitor) -> Result<AsyncRouteMonitor> {
            if tokio::runtime::Handle::try_current().is_err() {
                return Err(Error::state(
                    Subsystem::Netlink,
                    crate::error::StateKind::Closed,
                    Some("AsyncRouteMonitor needs a tokio runtime with IO enabled".into()),
                ));
            }
            // SAFETY: the fd belongs to the monitor's socket, which the AsyncFd owns from here
            // on; it stays open and is the same fd until the AsyncFd is dropped.
            let fd = unsafe { AsyncFd::register_with_interest(mon, Interest::READABLE) }.map_err(
                |e| {
                    let e: std::io::Error = e.into();
                    Error::from(OsError::new(
                        Subsystem::Netlink,
                        Operation::Syscall("epoll_ctl"),
                        Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
                    ))
                },
            )?;
            Ok(AsyncRouteMonitor { fd })
        }

        /// The wrapped monitor.
        pub fn get_mut(&mut self) -> &mut RouteMonitor {
            self.fd.get_mut()
        }

        /// Waits for the next event. Never returns `None` on its own (the stream is endless)
        /// except when the reactor fails.
        pub async fn next(&mut self) -> Option<Result<Event>> {
            std::future::poll_fn(|cx| self.poll_next(cx)).await
        }

        /// Polls for the next event (the shape of `Stream::poll_next`).
        pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Event>>> {
            loop {
                let mut guard = match self.fd.poll_read_ready_mut(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => {
                        return Poll::Ready(Some(Err(OsError::new(
                            Subsystem::Netlink,
                            Operation::Poll,
                            Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
                        )
                        .into())));
                    }
                    Poll::Ready(Ok(g)) => g,
                };
                match guard.get_inner_mut().try_next() {
                    Ok(Some(ev)) => return Poll::Ready(Some(Ok(ev))),
                    Ok(None) => guard.clear_ready(),
                    Err(e) => return Poll::Ready(Some(Err(e))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::wire::MsgBuilder;

    #[test]
    fn rt_40_groups_and_decode() {
        let g: Vec<u32> = MonitorGroups::DEFAULT.numbers().collect();
        assert_eq!(g, vec![1, 3, 5, 7, 8, 9, 11, 19]);
        assert_eq!(
            (MonitorGroups::NEXTHOP | MonitorGroups::NSID)
                .numbers()
                .collect::<Vec<_>>(),
            vec![28, 32]
        );
        let mut b = MsgBuilder::new(RTM_NEWADDR, 0);
        b.push_header(&[2, 24, 0, 0, 1, 0, 0, 0]);
        b.attr(2, &[10, 0, 0, 1]);
        let bytes = b.finish().unwrap();
        match decode_event(RTM_NEWADDR, &bytes[16..]).unwrap() {
            Event::New(Object::Address(a)) => assert_eq!(a.to_string(), "10.0.0.1/24 dev 1"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode_event(88, &[0; 8]).unwrap(),
            Event::Unknown { msg_type: 88, .. }
        ));
        // A multicast-routing family route is not an IP route: kept raw.
        assert!(matches!(
            decode_event(RTM_NEWROUTE, &[128; 12]).unwrap(),
            Event::Unknown { .. }
        ));
        assert!(decode_event(RTM_NEWLINK, &[0; 3]).is_err());
    }
}
