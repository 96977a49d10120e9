//! Watching nf_tables changes (NF-95, NF-89): a subscriber of the `NFNLGRP_NFTABLES` multicast
//! group (7) that groups entity events per committed transaction.
//!
//! The kernel sends one notification per changed object (table, chain, rule, set, elements,
//! object, flowtable), then `NFT_MSG_NEWGEN` closing the transaction with the new generation and
//! the committing process. [`Monitor`] buffers the entity events until that generation message
//! and delivers them stamped with it, followed by the [`Event::Generation`] itself. Multicast is
//! lossy: when the receive buffer overflowed the monitor yields [`Event::Overrun`] (and drops the
//! half-seen transaction) — re-pull then.
//!
//! ```no_run
//! use linx::netfilter::monitor::{Monitor, Event};
//! let mut mon = Monitor::open(&linx::ns::NsTarget::Current)?;
//! for ev in mon.by_ref().take(10) {
//!     match ev? {
//!         Event::Change(c) => println!("{c}"),
//!         Event::Generation(g) => println!("generation {} done", g.id),
//!         Event::Overrun => println!("lost events, re-pull"),
//!     }
//! }
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use super::batch::Nft;
use super::codec::{self, Decoded, Generation};
use super::model::Ruleset;
use crate::error::Result;
use crate::netlink::{NetlinkSocket, Protocol, Received};
use crate::ns::NsTarget;

/// `NFNLGRP_NFTABLES`.
pub const NFNLGRP_NFTABLES: u32 = 7;
/// `NFNLGRP_NFTRACE`.
pub const NFNLGRP_NFTRACE: u32 = 9;

/// Whether an object appeared or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ChangeKind {
    /// `NFT_MSG_NEW*`.
    New,
    /// `NFT_MSG_DEL*` / `DESTROY*`.
    Delete,
}

/// One changed object, stamped with the transaction that changed it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Change {
    /// New or delete.
    pub kind: ChangeKind,
    /// The object, decoded like a dump reply (unknown messages raw).
    pub object: Decoded,
    /// The generation the transaction committed.
    pub generation: u32,
    /// Committing process id.
    pub proc_pid: Option<u32>,
    /// Committing process name.
    pub proc_name: Option<String>,
}

impl fmt::Display for Change {
    /// `#1247 new rule inet/app/input: tcp dport 22 accept (by nft[4242])` (the rule in nft
    /// syntax when it prints without its table's sets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            ChangeKind::New => "new",
            ChangeKind::Delete => "delete",
        };
        write!(f, "#{} {k} ", self.generation)?;
        match &self.object {
            Decoded::Table(t) => write!(f, "table {}/{}", t.family, t.name)?,
            Decoded::Chain {
                family,
                table,
                chain,
            } => write!(f, "chain {family}/{table}/{}", chain.name)?,
            Decoded::Rule {
                family,
                table,
                chain,
                rule,
            } => {
                write!(f, "rule {family}/{table}/{chain}")?;
                if self.kind == ChangeKind::New
                    && let Some(text) = super::diff::nft_text(*family, table, chain, rule)
                {
                    write!(f, ": {text}")?;
                }
            }
            Decoded::Set { family, table, set } => write!(f, "set {family}/{table}/{}", set.name)?,
            Decoded::Elements {
                family,
                table,
                set,
                elements,
                ..
            } => write!(f, "{} elements {family}/{table}/{set}", elements.len())?,
            Decoded::Object {
                family,
                table,
                object,
            } => write!(f, "{} {family}/{table}/{}", object.kind(), object.name)?,
            Decoded::Flowtable {
                family,
                table,
                flowtable,
            } => write!(f, "flowtable {family}/{table}/{}", flowtable.name)?,
            Decoded::Generation(g) => write!(f, "generation {}", g.id)?,
            Decoded::Other { msg_type, .. } => write!(f, "message 0x{msg_type:04x}")?,
        }
        match (&self.proc_name, self.proc_pid) {
            (Some(n), Some(p)) => write!(f, " (by {n}[{p}])"),
            (None, Some(p)) => write!(f, " (by pid {p})"),
            _ => Ok(()),
        }
    }
}

/// What the monitor yields.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Event {
    /// An object changed in a committed transaction.
    Change(Box<Change>),
    /// A transaction committed (after its changes).
    Generation(Generation),
    /// Notifications were lost (receive buffer overrun); re-pull to resynchronise.
    Overrun,
}

/// A subscriber to nf_tables change notifications in one network namespace.
#[derive(Debug)]
pub struct Monitor {
    sock: NetlinkSocket,
    pending: Vec<(ChangeKind, Decoded)>,
    ready: VecDeque<Event>,
    min_generation: Option<u32>,
}

impl Monitor {
    /// Subscribes in `target`'s namespace.
    ///
    /// # Errors
    /// Namespace and socket errors.
    pub fn open(target: &NsTarget) -> Result<Monitor> {
        let mut sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
        sock.join_group(NFNLGRP_NFTABLES)?;
        Ok(Monitor {
            sock,
            pending: Vec::new(),
            ready: VecDeque::new(),
            min_generation: None,
        })
    }

    /// Drops every transaction whose generation is at or below `g` (events a snapshot already
    /// reflects).
    pub fn set_min_generation(&mut self, g: u32) {
        self.min_generation = Some(g);
    }

    /// Sets the receive buffer size (to provoke or avoid overruns).
    ///
    /// # Errors
    /// Socket errors.
    pub fn set_recv_buffer(&mut self, bytes: usize) -> Result<usize> {
        self.sock.set_recv_buffer(bytes)
    }

    /// Waits up to `timeout` (`None`: forever) for the next event.
    ///
    /// # Errors
    /// Socket errors; malformed messages.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Ok(Some(e));
            }
            match self.sock.recv_multicast(timeout)? {
                None => return Ok(None),
                Some(Received::Overrun) => {
                    self.pending.clear();
                    return Ok(Some(Event::Overrun));
                }
                Some(Received::Messages(msgs)) => {
                    for m in msgs {
                        self.feed(&m.as_msg())?;
                    }
                }
            }
        }
    }

    /// Feeds one message (exposed for decoding captured notifications without a socket).
    ///
    /// # Errors
    /// Malformed messages.
    pub fn feed(&mut self, m: &crate::netlink::wire::Msg<'_>) -> Result<()> {
        if m.header.msg_type >> 8 != u16::from(codec::NFNL_SUBSYS_NFTABLES) {
            return Ok(());
        }
        let cmd = (m.header.msg_type & 0xff) as u8;
        let d = codec::decode(m)?;
        if let Decoded::Generation(g) = d {
            let pending = std::mem::take(&mut self.pending);
            if self.min_generation.is_some_and(|min| g.id <= min) {
                return Ok(());
            }
            for (kind, object) in pending {
                self.ready.push_back(Event::Change(Box::new(Change {
                    kind,
                    object,
                    generation: g.id,
                    proc_pid: g.proc_pid,
                    proc_name: g.proc_name.clone(),
                })));
            }
            self.ready.push_back(Event::Generation(g));
            return Ok(());
        }
        let kind = match cmd {
            codec::NFT_MSG_NEWTABLE
            | codec::NFT_MSG_NEWCHAIN
            | codec::NFT_MSG_NEWRULE
            | codec::NFT_MSG_NEWSET
            | codec::NFT_MSG_NEWSETELEM
            | codec::NFT_MSG_NEWOBJ
            | codec::NFT_MSG_NEWFLOWTABLE => ChangeKind::New,
            _ => ChangeKind::Delete,
        };
        self.pending.push((kind, d));
        Ok(())
    }
}

impl Iterator for Monitor {
    type Item = Result<Event>;

    /// Blocks until the next event.
    fn next(&mut self) -> Option<Result<Event>> {
        self.next_event(None).transpose()
    }
}

impl AsFd for Monitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Nft {
    /// Pull then follow (NF-89): subscribes first, then pulls; the returned monitor drops every
    /// event the snapshot already reflects.
    ///
    /// # Errors
    /// Socket and pull errors.
    pub fn pull_and_follow(target: &NsTarget) -> Result<(Ruleset, Monitor)> {
        let mut mon = Monitor::open(target)?;
        let mut nft = Nft::open(target)?;
        let (rs, g) = nft.pull_snapshot(None)?;
        mon.set_min_generation(g.id);
        Ok((rs, mon))
    }
}

#[cfg(feature = "tokio")]
mod asynchronous {
    use super::*;
    use std::os::fd::OwnedFd;
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    /// A [`Monitor`] driven by tokio: `next().await` yields events as they arrive.
    #[derive(Debug)]
    pub struct AsyncMonitor {
        mon: Monitor,
        fd: AsyncFd<OwnedFd>,
    }

    fn poll_err(e: std::io::Error) -> crate::Error {
        crate::error::OsError::new(
            crate::error::Subsystem::Netfilter,
            crate::error::Operation::Poll,
            crate::error::Errno::from_io_error(&e).unwrap_or(crate::error::Errno::IO),
        )
        .into()
    }

    impl AsyncMonitor {
        /// Wraps a monitor (requires a tokio runtime with I/O enabled).
        ///
        /// # Errors
        /// Duplicating the socket or registering it with the reactor failed.
        pub fn new(mon: Monitor) -> Result<AsyncMonitor> {
            let dup =
                rustix::io::fcntl_dupfd_cloexec(mon.as_fd(), 0).map_err(|e| poll_err(e.into()))?;
            // SAFETY: the duplicate is an OwnedFd moved into the AsyncFd, so it stays open and
            // refers to the same socket for the AsyncFd's whole life.
            let fd = unsafe { AsyncFd::register_with_interest(dup, Interest::READABLE) }
                .map_err(|e| poll_err(e.into()))?;
            Ok(AsyncMonitor { mon, fd })
        }

        /// The next event.
        ///
        /// # Errors
        /// Socket errors.
        pub async fn next(&mut self) -> Result<Event> {
            loop {
                if let Some(e) = self.mon.next_event(Some(Duration::ZERO))? {
                    return Ok(e);
                }
                let mut guard = self.fd.readable().await.map_err(poll_err)?;
                match self.mon.next_event(Some(Duration::ZERO))? {
                    Some(e) => return Ok(e),
                    None => guard.clear_ready(),
                }
            }
        }
    }
}

#[cfg(feature = "tokio")]
pub use asynchronous::AsyncMonitor;

/// The kind of a trace event (`NFT_TRACETYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum TraceKind {
    /// The chain's policy decided (1).
    Policy,
    /// The chain returned (2).
    Return,
    /// A rule matched (3).
    Rule,
    /// Another number.
    Other(u32),
}

/// One trace event (`NFT_MSG_TRACE`, NF-96), produced for packets marked with
/// `meta nftrace set 1`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TraceEvent {
    /// Family of the hook.
    pub family: u8,
    /// Trace id (the same for every event of one packet).
    pub id: Option<u32>,
    /// Kind.
    pub kind: Option<TraceKind>,
    /// Table.
    pub table: Option<String>,
    /// Chain.
    pub chain: Option<String>,
    /// Handle of the rule that matched.
    pub rule_handle: Option<u64>,
    /// The verdict.
    pub verdict: Option<super::expr::Verdict>,
    /// The policy (for policy events).
    pub policy: Option<u32>,
    /// Input interface index.
    pub iif: Option<u32>,
    /// Output interface index.
    pub oif: Option<u32>,
    /// Packet mark.
    pub mark: Option<u32>,
    /// Netfilter protocol.
    pub nfproto: Option<u32>,
    /// Link-layer header bytes.
    pub ll_header: Option<Vec<u8>>,
    /// Network header bytes.
    pub network_header: Option<Vec<u8>>,
    /// Transport header bytes.
    pub transport_header: Option<Vec<u8>>,
}

impl TraceEvent {
    /// Decodes an `NFT_MSG_TRACE` message.
    ///
    /// # Errors
    /// Protocol errors for malformed attributes.
    pub fn decode(m: &crate::netlink::wire::Msg<'_>) -> Result<TraceEvent> {
        use super::attr::{Tab, be16, be32, be64, lenient_str};
        let bad = || {
            crate::Error::protocol(
                crate::error::Subsystem::Netfilter,
                crate::error::ProtocolKind::Malformed,
                "malformed NFT_MSG_TRACE",
            )
        };
        let p = m.payload;
        let fam = *p.first().ok_or_else(bad)?;
        let t = Tab::parse(p.get(4..).unwrap_or_default(), u32::MAX, 0).ok_or_else(bad)?;
        let u = |k: u16| t.get(k).and_then(be32);
        let _ = be16;
        Ok(TraceEvent {
            family: fam,
            id: u(6),
            kind: u(4).map(|k| match k {
                1 => TraceKind::Policy,
                2 => TraceKind::Return,
                3 => TraceKind::Rule,
                n => TraceKind::Other(n),
            }),
            table: t.get(1).map(lenient_str),
            chain: t.get(2).map(lenient_str),
            rule_handle: t.get(3).and_then(be64),
            verdict: t.get(5).and_then(super::codec::decode_verdict),
            policy: u(16),
            iif: u(10),
            oif: u(12),
            mark: u(14),
            nfproto: u(15),
            ll_header: t.get(7).map(<[u8]>::to_vec),
            network_header: t.get(8).map(<[u8]>::to_vec),
            transport_header: t.get(9).map(<[u8]>::to_vec),
        })
    }
}

impl fmt::Display for TraceEvent {
    /// `trace id 1a2b inet fw output rule handle 3 verdict accept`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trace id {:08x}", self.id.unwrap_or(0))?;
        if let (Some(t), Some(c)) = (&self.table, &self.chain) {
            write!(f, " {t} {c}")?;
        }
        match self.kind {
            Some(TraceKind::Rule) => write!(f, " rule handle {}", self.rule_handle.unwrap_or(0))?,
            Some(TraceKind::Policy) => f.write_str(" policy")?,
            Some(TraceKind::Return) => f.write_str(" return")?,
            _ => {}
        }
        if let Some(v) = &self.verdict {
            write!(f, " verdict {v}")?;
        }
        Ok(())
    }
}

/// A subscriber to nf_tables trace events (`NFNLGRP_NFTRACE`, 9).
#[derive(Debug)]
pub struct Tracer {
    sock: NetlinkSocket,
    queue: VecDeque<TraceEvent>,
}

/// What [`Tracer::next_event`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceItem {
    /// A trace event.
    Event(Box<TraceEvent>),
    /// Events were lost.
    Overrun,
}

impl Tracer {
    /// Subscribes in `target`'s namespace.
    ///
    /// # Errors
    /// Namespace and socket errors.
    pub fn open(target: &NsTarget) -> Result<Tracer> {
        let mut sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
        sock.join_group(NFNLGRP_NFTRACE)?;
        Ok(Tracer {
            sock,
            queue: VecDeque::new(),
        })
    }

    /// Waits up to `timeout` (`None`: forever) for the next trace event.
    ///
    /// # Errors
    /// Socket errors; malformed events.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<TraceItem>> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(Some(TraceItem::Event(Box::new(e))));
            }
            match self.sock.recv_multicast(timeout)? {
                None => return Ok(None),
                Some(Received::Overrun) => return Ok(Some(TraceItem::Overrun)),
                Some(Received::Messages(ms)) => {
                    for m in ms {
                        if m.header.msg_type == codec::msg_type(codec::NFT_MSG_TRACE) {
                            self.queue.push_back(TraceEvent::decode(&m.as_msg())?);
                        }
                    }
                }
            }
        }
    }
}

impl AsFd for Tracer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
