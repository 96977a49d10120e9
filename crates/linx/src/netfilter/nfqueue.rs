//! NFQUEUE (NF-99): packets sent to user space by `queue num N` rules, each held by the kernel
//! until user space returns a verdict (accept, drop, repeat, stop) — optionally with a new mark
//! and a mangled payload.
//!
//! A [`Queue`] binds one queue number in a namespace over `NETLINK_NETFILTER` (subsystem
//! `NFNL_SUBSYS_QUEUE`, 3), configures copy mode and range, the queue length and the fail-open,
//! conntrack, GSO and uid/gid flags (each config message acknowledged), and unbinds on drop.
//! Verdicts are sent without waiting for an ack (the kernel reports a bad verdict as an error
//! message, surfaced by the next [`Queue::recv`]); [`Queue::verdict_batch`] settles every packet
//! up to an id at once. See [libnetfilter_queue](https://www.netfilter.org/projects/libnetfilter_queue/).
//!
//! ```no_run
//! use linx::netfilter::nfqueue::{Queue, QueueConfig, QueueItem, Verdict};
//! let mut q = Queue::bind(&linx::ns::NsTarget::Current, 0, &QueueConfig::default())?;
//! while let Some(QueueItem::Packet(p)) = q.recv(None)? {
//!     q.verdict(p.id, Verdict::Accept)?;
//! }
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, MsgBuilder, NLMSG_ERROR};
use crate::netlink::{NetlinkSocket, Protocol, Received, Request};
use crate::ns::NsTarget;

/// `NFNL_SUBSYS_QUEUE`.
pub const NFNL_SUBSYS_QUEUE: u8 = 3;
/// `NFQNL_MSG_PACKET`.
pub const NFQNL_MSG_PACKET: u8 = 0;
/// `NFQNL_MSG_VERDICT`.
pub const NFQNL_MSG_VERDICT: u8 = 1;
/// `NFQNL_MSG_CONFIG`.
pub const NFQNL_MSG_CONFIG: u8 = 2;
/// `NFQNL_MSG_VERDICT_BATCH`.
pub const NFQNL_MSG_VERDICT_BATCH: u8 = 3;

const CFG_CMD: u16 = 1;
const CFG_PARAMS: u16 = 2;
const CFG_QUEUE_MAXLEN: u16 = 3;
const CFG_MASK: u16 = 4;
const CFG_FLAGS: u16 = 5;
const CMD_BIND: u8 = 1;
const CMD_UNBIND: u8 = 2;

const A_PACKET_HDR: u16 = 1;
const A_VERDICT_HDR: u16 = 2;
const A_MARK: u16 = 3;
const A_TIMESTAMP: u16 = 4;
const A_INDEV: u16 = 5;
const A_OUTDEV: u16 = 6;
const A_PHYSINDEV: u16 = 7;
const A_PHYSOUTDEV: u16 = 8;
const A_HWADDR: u16 = 9;
const A_PAYLOAD: u16 = 10;
const A_CAP_LEN: u16 = 13;
const A_SKB_INFO: u16 = 14;
const A_UID: u16 = 16;
const A_GID: u16 = 17;

/// How much of each packet the kernel copies to user space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    /// Nothing (`NFQNL_COPY_NONE`, 0).
    None,
    /// Metadata only (1).
    Meta,
    /// Metadata and up to this many payload bytes (2), at most 0xFFFF.
    Packet(u32),
}

bitflags::bitflags! {
    /// Queue flags (`NFQA_CFG_F_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct QueueFlags: u32 {
        /// Accept packets instead of dropping them when the queue is full.
        const FAIL_OPEN = 1;
        /// Attach conntrack information.
        const CONNTRACK = 2;
        /// Deliver GSO packets unsegmented.
        const GSO = 4;
        /// Attach the socket owner's uid and gid.
        const UID_GID = 8;
        /// Attach the security context.
        const SECCTX = 16;
    }
}

/// Queue configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Copy mode (default: whole packets up to 0xFFFF bytes).
    pub copy: CopyMode,
    /// Maximum number of packets waiting for a verdict in the kernel.
    pub max_len: Option<u32>,
    /// Flags (sent with a mask covering exactly these bits).
    pub flags: QueueFlags,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            copy: CopyMode::Packet(0xFFFF),
            max_len: None,
            flags: QueueFlags::empty(),
        }
    }
}

/// A verdict for a queued packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `NF_DROP`.
    Drop,
    /// `NF_ACCEPT`: continue with the next rule.
    Accept,
    /// `NF_REPEAT`: run the hook again from the start.
    Repeat,
    /// `NF_STOP`: accept without running the remaining hooks.
    Stop,
    /// `NF_QUEUE` to another queue number.
    Queue(u16),
}

impl Verdict {
    /// The kernel's 32-bit verdict.
    pub fn code(self) -> u32 {
        match self {
            Verdict::Drop => 0,
            Verdict::Accept => 1,
            Verdict::Repeat => 4,
            Verdict::Stop => 5,
            Verdict::Queue(n) => 3 | (u32::from(n) << 16),
        }
    }
}

/// A packet held by the kernel until its verdict.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueuedPacket {
    /// The id to give the verdict for.
    pub id: u32,
    /// Hardware protocol (ethertype), e.g. 0x0800.
    pub hw_protocol: u16,
    /// Netfilter hook number.
    pub hook: u8,
    /// Packet mark.
    pub mark: Option<u32>,
    /// Timestamp (seconds, microseconds).
    pub timestamp: Option<(u64, u64)>,
    /// Input interface index.
    pub indev: Option<u32>,
    /// Output interface index.
    pub outdev: Option<u32>,
    /// Physical input interface (bridges).
    pub physindev: Option<u32>,
    /// Physical output interface (bridges).
    pub physoutdev: Option<u32>,
    /// Hardware source address.
    pub hwaddr: Option<Vec<u8>>,
    /// The copied payload (network header first).
    pub payload: Vec<u8>,
    /// The packet's real length when the payload was truncated.
    pub cap_len: Option<u32>,
    /// `NFQA_SKB_*` flags (checksum not ready 1, GSO 2, checksum verified 4).
    pub skb_info: Option<u32>,
    /// Socket owner's uid.
    pub uid: Option<u32>,
    /// Socket owner's gid.
    pub gid: Option<u32>,
}

fn malformed(detail: String) -> Error {
    Error::protocol(Subsystem::Netfilter, ProtocolKind::Malformed, detail)
}

impl QueuedPacket {
    /// Decodes an `NFQNL_MSG_PACKET` payload (nfgenmsg + attributes).
    ///
    /// # Errors
    /// Protocol errors for a missing packet header or wrong attribute sizes.
    pub fn decode(payload: &[u8]) -> Result<QueuedPacket> {
        let attrs = payload
            .get(4..)
            .ok_or_else(|| malformed("NFQNL_MSG_PACKET without nfgenmsg".into()))?;
        let mut p = QueuedPacket::default();
        let mut have_hdr = false;
        for a in wire::attrs(attrs) {
            let a = a?;
            match a.kind() {
                A_PACKET_HDR => {
                    let b = a.payload;
                    if b.len() < 7 {
                        return Err(malformed(format!("NFQA_PACKET_HDR of {} bytes", b.len())));
                    }
                    p.id = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    p.hw_protocol = u16::from_be_bytes([b[4], b[5]]);
                    p.hook = b[6];
                    have_hdr = true;
                }
                A_MARK => p.mark = Some(a.be32()?),
                A_TIMESTAMP => {
                    let b: &[u8; 16] = a.payload.try_into().map_err(|_| {
                        malformed(format!("NFQA_TIMESTAMP of {} bytes", a.payload.len()))
                    })?;
                    let (sec, usec) = b.split_at(8);
                    p.timestamp = Some((
                        u64::from_be_bytes(sec.try_into().unwrap_or_default()),
                        u64::from_be_bytes(usec.try_into().unwrap_or_default()),
                    ));
                }
                A_INDEV => p.indev = Some(a.be32()?),
                A_OUTDEV => p.outdev = Some(a.be32()?),
                A_PHYSINDEV => p.physindev = Some(a.be32()?),
                A_PHYSOUTDEV => p.physoutdev = Some(a.be32()?),
                A_HWADDR => {
                    // struct nfqnl_msg_packet_hw: hw_addrlen be16, pad be16, hw_addr[8].
                    let b = a.payload;
                    if b.len() >= 4 {
                        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
                        p.hwaddr = b.get(4..4 + len).map(<[u8]>::to_vec);
                    }
                }
                A_PAYLOAD => p.payload = a.payload.to_vec(),
                A_CAP_LEN => p.cap_len = Some(a.be32()?),
                A_SKB_INFO => p.skb_info = Some(a.be32()?),
                A_UID => p.uid = Some(a.be32()?),
                A_GID => p.gid = Some(a.be32()?),
                _ => {}
            }
        }
        if !have_hdr {
            return Err(malformed("NFQNL_MSG_PACKET without NFQA_PACKET_HDR".into()));
        }
        Ok(p)
    }
}

/// What [`Queue::recv`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueItem {
    /// A packet waiting for its verdict.
    Packet(Box<QueuedPacket>),
    /// The socket's receive buffer overflowed: packets were lost to user space (with fail-open
    /// they were accepted, otherwise dropped by the kernel).
    Overrun,
}

fn msg(msg_type: u8, queue: u16, attrs: impl FnOnce(&mut MsgBuilder)) -> MsgBuilder {
    let ty = (u16::from(NFNL_SUBSYS_QUEUE) << 8) | u16::from(msg_type);
    let mut b = MsgBuilder::new(ty, 0);
    let q = queue.to_be_bytes();
    b.push_header(&[0, 0, q[0], q[1]]);
    attrs(&mut b);
    b
}

/// The configuration messages that bind and configure `queue`, in order (pure, for tests).
///
/// # Errors
/// A copy range over 0xFFFF.
pub fn config_messages(queue: u16, cfg: &QueueConfig) -> Result<Vec<MsgBuilder>> {
    let (mode, range) = match cfg.copy {
        CopyMode::None => (0u8, 0u32),
        CopyMode::Meta => (1, 0),
        CopyMode::Packet(n) if n <= 0xFFFF => (2, n),
        CopyMode::Packet(n) => {
            return Err(Error::input(
                Subsystem::Netfilter,
                "NFQUEUE copy range",
                n.to_string(),
                "at most 65535",
            ));
        }
    };
    let mut out = vec![msg(NFQNL_MSG_CONFIG, queue, |b| {
        // nfqnl_msg_config_cmd: command, pad, pf (ignored by current kernels).
        b.attr(CFG_CMD, &[CMD_BIND, 0, 0, 0]);
    })];
    let mut params = range.to_be_bytes().to_vec();
    params.push(mode);
    out.push(msg(NFQNL_MSG_CONFIG, queue, |b| {
        b.attr(CFG_PARAMS, &params);
    }));
    if let Some(n) = cfg.max_len {
        out.push(msg(NFQNL_MSG_CONFIG, queue, |b| {
            b.attr_be32(CFG_QUEUE_MAXLEN, n);
        }));
    }
    if !cfg.flags.is_empty() {
        out.push(msg(NFQNL_MSG_CONFIG, queue, |b| {
            b.attr_be32(CFG_MASK, cfg.flags.bits());
            b.attr_be32(CFG_FLAGS, cfg.flags.bits());
        }));
    }
    Ok(out)
}

/// The verdict message for one packet (pure, for tests).
pub fn verdict_message(
    queue: u16,
    id: u32,
    v: Verdict,
    mark: Option<u32>,
    payload: Option<&[u8]>,
) -> MsgBuilder {
    msg(NFQNL_MSG_VERDICT, queue, |b| {
        let mut hdr = v.code().to_be_bytes().to_vec();
        hdr.extend_from_slice(&id.to_be_bytes());
        b.attr(A_VERDICT_HDR, &hdr);
        if let Some(m) = mark {
            b.attr_be32(A_MARK, m);
        }
        if let Some(p) = payload {
            b.attr(A_PAYLOAD, p);
        }
    })
}

/// A bound queue; unbinds on drop.
#[derive(Debug)]
pub struct Queue {
    sock: NetlinkSocket,
    num: u16,
    pending: VecDeque<QueueItem>,
}

impl Queue {
    /// Binds queue `num` in `target`'s namespace and applies `cfg`, awaiting each ack.
    ///
    /// # Errors
    /// Input errors (copy range); `EBUSY` when another socket has the queue; socket errors.
    pub fn bind(target: &NsTarget, num: u16, cfg: &QueueConfig) -> Result<Queue> {
        let msgs = config_messages(num, cfg)?;
        let mut sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
        sock.set_recv_buffer(crate::netlink::MONITOR_RCVBUF)?;
        for (i, b) in msgs.into_iter().enumerate() {
            let name = if i == 0 {
                "NFQNL_MSG_CONFIG(BIND)"
            } else {
                "NFQNL_MSG_CONFIG"
            };
            sock.request_ack(&Request::new(b, name)?)
                .map_err(|e| e.with_context(|c| c.object = Some(format!("NFQUEUE {num}"))))?;
        }
        Ok(Queue {
            sock,
            num,
            pending: VecDeque::new(),
        })
    }

    /// The bound queue number.
    pub fn num(&self) -> u16 {
        self.num
    }

    /// Waits up to `timeout` (`None`: forever) for the next packet.
    ///
    /// # Errors
    /// Socket errors; malformed packets; a verdict the kernel refused (e.g. an unknown packet
    /// id, `ENOENT`), reported here because verdicts are sent without waiting for an ack.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<QueueItem>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            match self.sock.recv_multicast(timeout)? {
                None => return Ok(None),
                Some(Received::Overrun) => return Ok(Some(QueueItem::Overrun)),
                Some(Received::Messages(ms)) => {
                    for m in ms {
                        let ty = m.header.msg_type;
                        if ty == (u16::from(NFNL_SUBSYS_QUEUE) << 8) | u16::from(NFQNL_MSG_PACKET) {
                            self.pending.push_back(QueueItem::Packet(Box::new(
                                QueuedPacket::decode(&m.payload)?,
                            )));
                        } else if ty == NLMSG_ERROR {
                            let e = wire::parse_error(&m.as_msg())?;
                            if e.errno != 0 {
                                let mut err = OsError::new(
                                    Subsystem::Netfilter,
                                    Operation::netlink("NFQNL_MSG_VERDICT", e.request.msg_type),
                                    crate::error::Errno::from_raw_os_error(e.errno),
                                )
                                .object(format!("NFQUEUE {}", self.num));
                                if let Some(t) = e.ext.msg {
                                    err = err.extack(t);
                                }
                                return Err(err.into());
                            }
                        }
                    }
                }
            }
        }
    }

    fn send(&mut self, b: MsgBuilder) -> Result<()> {
        let mut bytes = b.finish()?;
        let seq = self.sock.next_seq();
        let flags = u16::from_ne_bytes([bytes[6], bytes[7]]) | wire::flags::REQUEST;
        bytes[6..8].copy_from_slice(&flags.to_ne_bytes());
        bytes[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.sock.send_raw(&bytes)
    }

    /// Gives the verdict for packet `id`.
    pub fn verdict(&mut self, id: u32, v: Verdict) -> Result<()> {
        self.send(verdict_message(self.num, id, v, None, None))
    }

    /// Gives the verdict for packet `id`, setting a new mark and/or replacing the payload.
    ///
    /// # Errors
    /// Input error for a payload over 65,000 bytes; socket errors.
    pub fn verdict_with(
        &mut self,
        id: u32,
        v: Verdict,
        mark: Option<u32>,
        payload: Option<&[u8]>,
    ) -> Result<()> {
        if payload.is_some_and(|p| p.len() > 65_000) {
            return Err(Error::input(
                Subsystem::Netfilter,
                "NFQUEUE payload",
                format!("{} bytes", payload.map_or(0, <[u8]>::len)),
                "too large for one attribute",
            ));
        }
        self.send(verdict_message(self.num, id, v, mark, payload))
    }

    /// Gives one verdict (and optional mark) for every queued packet with an id up to `id`.
    pub fn verdict_batch(&mut self, id: u32, v: Verdict, mark: Option<u32>) -> Result<()> {
        let b = msg(NFQNL_MSG_VERDICT_BATCH, self.num, |b| {
            let mut hdr = v.code().to_be_bytes().to_vec();
            hdr.extend_from_slice(&id.to_be_bytes());
            b.attr(A_VERDICT_HDR, &hdr);
            if let Some(m) = mark {
                b.attr_be32(A_MARK, m);
            }
        });
        self.send(b)
    }
}

impl AsFd for Queue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        let b = msg(NFQNL_MSG_CONFIG, self.num, |b| {
            b.attr(CFG_CMD, &[CMD_UNBIND, 0, 0, 0]);
        });
        if let Ok(req) = Request::new(b, "NFQNL_MSG_CONFIG(UNBIND)") {
            let _ = self.sock.request_ack(&req);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_99_config_and_verdict_encoding() {
        let cfg = QueueConfig {
            copy: CopyMode::Packet(128),
            max_len: Some(1024),
            flags: QueueFlags::FAIL_OPEN | QueueFlags::GSO,
        };
        let msgs: Vec<Vec<u8>> = config_messages(7, &cfg)
            .unwrap()
            .into_iter()
            .map(|b| b.finish().unwrap())
            .collect();
        assert_eq!(msgs.len(), 4);
        // type = subsys 3 << 8 | CONFIG 2; nfgenmsg res_id = queue 7 big-endian.
        assert_eq!(u16::from_ne_bytes([msgs[0][4], msgs[0][5]]), 0x0302);
        assert_eq!(&msgs[0][16..20], &[0, 0, 0, 7]);
        // params: range 128 BE + mode 2 (5 bytes).
        let params = wire::attrs(&msgs[1][20..]).next().unwrap().unwrap();
        assert_eq!(params.payload, &[0, 0, 0, 128, 2]);
        let v = verdict_message(7, 42, Verdict::Accept, Some(9), None)
            .finish()
            .unwrap();
        let a: Vec<_> = wire::attrs(&v[20..]).map(|a| a.unwrap()).collect();
        assert_eq!(a[0].payload, &[0, 0, 0, 1, 0, 0, 0, 42]);
        assert_eq!(a[1].payload, &[0, 0, 0, 9]);
        assert_eq!(Verdict::Queue(5).code(), 3 | (5 << 16));
        assert!(
            config_messages(
                1,
                &QueueConfig {
                    copy: CopyMode::Packet(70_000),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn nf_99_packet_decode_and_no_panics() {
        let mut b = MsgBuilder::new(0x0300, 0);
        b.push_header(&[2, 0, 0, 7]);
        b.attr(A_PACKET_HDR, &[0, 0, 0, 5, 0x08, 0x00, 3]);
        b.attr_be32(A_MARK, 0x10);
        b.attr(A_PAYLOAD, &[0x45, 0, 0, 20]);
        let bytes = b.finish().unwrap();
        let p = QueuedPacket::decode(&bytes[16..]).unwrap();
        assert_eq!(
            (p.id, p.hw_protocol, p.hook, p.mark),
            (5, 0x0800, 3, Some(0x10))
        );
        assert_eq!(p.payload, [0x45, 0, 0, 20]);
        for cut in 0..bytes.len() - 16 {
            let _ = QueuedPacket::decode(&bytes[16..16 + cut]);
        }
        assert!(QueuedPacket::decode(&[2, 0, 0, 7]).is_err());
    }
}
