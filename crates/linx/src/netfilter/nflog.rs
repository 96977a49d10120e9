//! NFLOG listener (NF-97, NF-98): packets logged by `log group N` rules, delivered to user
//! space over `NETLINK_NETFILTER` (subsystem `NFNL_SUBSYS_ULOG`, 4).
//!
//! A [`Listener`] binds one group (0–65535; group 0 is a valid group) in a namespace, configures
//! copy mode, snap length, flags, queue threshold and flush timeout — waiting for the kernel's
//! ack of each configuration message — and unbinds when dropped. Events carry the prefix, hook,
//! interfaces, mark, uid/gid, hardware header, conntrack info, VLAN and the payload, plus an
//! optional parsed summary of the IP and transport headers. See
//! [libnetfilter_log](https://www.netfilter.org/projects/libnetfilter_log/).
//!
//! ```no_run
//! use linx::netfilter::nflog::{Listener, Config, CopyMode, Item};
//! let mut l = Listener::bind(&linx::ns::NsTarget::Current, 5, &Config {
//!     copy: CopyMode::Packet(256),
//!     ..Config::default()
//! })?;
//! if let Some(Item::Packet(ev)) = l.recv(Some(std::time::Duration::from_secs(1)))? {
//!     println!("{:?} {:?}", ev.prefix, ev.summary());
//! }
//! # Ok::<(), linx::Error>(())
//! ```

use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use super::attr::{Tab, be16, be32, be64, lenient_str};
use crate::error::{Error, Result, Subsystem};
use crate::netlink::wire::{self, MsgBuilder};
use crate::netlink::{NetlinkSocket, Protocol, Received, Request};
use crate::ns::NsTarget;
use crate::types::Mac;

/// `NFNL_SUBSYS_ULOG`.
pub const NFNL_SUBSYS_ULOG: u8 = 4;
/// `NFULNL_MSG_PACKET`.
pub const NFULNL_MSG_PACKET: u8 = 0;
/// `NFULNL_MSG_CONFIG`.
pub const NFULNL_MSG_CONFIG: u8 = 1;

const CFG_CMD: u16 = 1;
const CFG_MODE: u16 = 2;
const CFG_NLBUFSIZ: u16 = 3;
const CFG_TIMEOUT: u16 = 4;
const CFG_QTHRESH: u16 = 5;
const CFG_FLAGS: u16 = 6;
const CMD_BIND: u8 = 1;
const CMD_UNBIND: u8 = 2;

/// How much of each packet to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    /// Nothing but the event (0).
    None,
    /// Metadata only (1).
    Meta,
    /// Metadata and up to this many payload bytes (2), at most 0xFFFF.
    Packet(u32),
}

bitflags::bitflags! {
    /// Listener flags (`NFULNL_CFG_F_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LogFlags: u16 {
        /// Per-instance sequence numbers.
        const SEQ = 1;
        /// Global sequence numbers.
        const SEQ_GLOBAL = 2;
        /// Conntrack information.
        const CONNTRACK = 4;
    }
}

/// Listener configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Copy mode (default: whole packets up to 0xFFFF bytes).
    pub copy: CopyMode,
    /// Flags.
    pub flags: LogFlags,
    /// Packets queued in the kernel before a batch is sent.
    pub qthreshold: Option<u32>,
    /// Flush timeout (sent in hundredths of a second).
    pub timeout: Option<Duration>,
    /// Kernel buffer size for batching.
    pub nlbufsiz: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            copy: CopyMode::Packet(0xFFFF),
            flags: LogFlags::empty(),
            qthreshold: None,
            timeout: None,
            nlbufsiz: None,
        }
    }
}

/// The timeout as the kernel counts it: hundredths of a second (1 s → 100).
pub fn timeout_units(d: Duration) -> u32 {
    u32::try_from(d.as_millis() / 10).unwrap_or(u32::MAX)
}

fn config_msg(group: u16, family: u8, attrs: impl FnOnce(&mut MsgBuilder)) -> MsgBuilder {
    let ty = (u16::from(NFNL_SUBSYS_ULOG) << 8) | u16::from(NFULNL_MSG_CONFIG);
    let mut b = MsgBuilder::new(ty, 0);
    let g = group.to_be_bytes();
    b.push_header(&[family, 0, g[0], g[1]]);
    attrs(&mut b);
    b
}

/// Messages that bind and configure `group`, in order (pure, for tests).
///
/// # Errors
/// A snap length over 0xFFFF.
pub fn config_messages(group: u16, cfg: &Config) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    out.push(config_msg(group, 0, |b| {
        b.attr(CFG_CMD, &[CMD_BIND]);
    }));
    let (mode, range) = match cfg.copy {
        CopyMode::None => (0u8, 0u32),
        CopyMode::Meta => (1, 0),
        CopyMode::Packet(n) => {
            if n > 0xFFFF {
                return Err(Error::input(
                    Subsystem::Netfilter,
                    "NFLOG snap length",
                    n.to_string(),
                    "at most 65535",
                ));
            }
            (2, n)
        }
    };
    let mut m = range.to_be_bytes().to_vec();
    m.extend_from_slice(&[mode, 0]);
    out.push(config_msg(group, 0, |b| {
        b.attr(CFG_MODE, &m);
    }));
    if !cfg.flags.is_empty() {
        out.push(config_msg(group, 0, |b| {
            b.attr_be16(CFG_FLAGS, cfg.flags.bits());
        }));
    }
    if let Some(q) = cfg.qthreshold {
        out.push(config_msg(group, 0, |b| {
            b.attr_be32(CFG_QTHRESH, q);
        }));
    }
    if let Some(t) = cfg.timeout {
        out.push(config_msg(group, 0, |b| {
            b.attr_be32(CFG_TIMEOUT, timeout_units(t));
        }));
    }
    if let Some(n) = cfg.nlbufsiz {
        out.push(config_msg(group, 0, |b| {
            b.attr_be32(CFG_NLBUFSIZ, n);
        }));
    }
    out.into_iter()
        .map(|b| b.finish().map_err(Error::from))
        .collect()
}

/// A parsed summary of the logged packet's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol number.
    pub protocol: u8,
    /// Source port (TCP/UDP).
    pub sport: Option<u16>,
    /// Destination port.
    pub dport: Option<u16>,
    /// ICMP/ICMPv6 type and code.
    pub icmp: Option<(u8, u8)>,
}

/// One logged packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogEvent {
    /// The group it was logged to (`res_id`).
    pub group: u16,
    /// The netfilter family.
    pub family: u8,
    /// Rule prefix.
    pub prefix: Option<String>,
    /// Hardware protocol (ether type) and hook number.
    pub hw_protocol: Option<u16>,
    /// Hook number.
    pub hook: Option<u8>,
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
    /// Physical output interface.
    pub physoutdev: Option<u32>,
    /// Hardware source address.
    pub hwaddr: Option<Vec<u8>>,
    /// Packet bytes from the network header on.
    pub payload: Option<Vec<u8>>,
    /// Socket uid.
    pub uid: Option<u32>,
    /// Socket gid.
    pub gid: Option<u32>,
    /// Per-instance sequence number.
    pub seq: Option<u32>,
    /// Global sequence number.
    pub seq_global: Option<u32>,
    /// Hardware type (`ARPHRD_*`).
    pub hwtype: Option<u16>,
    /// Hardware header.
    pub hwheader: Option<Vec<u8>>,
    /// Conntrack info (`IP_CT_*`).
    pub ct_info: Option<u32>,
    /// VLAN (protocol, TCI).
    pub vlan: Option<(u16, u16)>,
}

impl LogEvent {
    /// Decodes a `NFULNL_MSG_PACKET` message.
    ///
    /// # Errors
    /// Protocol errors for malformed attributes.
    pub fn decode(m: &wire::Msg<'_>) -> Result<LogEvent> {
        let p = m.payload;
        let bad = |what: &str| {
            Error::protocol(
                Subsystem::Netfilter,
                crate::error::ProtocolKind::Malformed,
                format!("NFLOG packet: {what}"),
            )
        };
        if p.len() < 4 {
            return Err(bad("shorter than nfgenmsg"));
        }
        let t = Tab::parse(&p[4..], u32::MAX, 0).ok_or_else(|| bad("malformed attributes"))?;
        let u32a = |k: u16| t.get(k).and_then(be32);
        let mut ev = LogEvent {
            group: u16::from_be_bytes([p[2], p[3]]),
            family: p[0],
            prefix: t.get(10).map(lenient_str),
            mark: u32a(2),
            indev: u32a(4),
            outdev: u32a(5),
            physindev: u32a(6),
            physoutdev: u32a(7),
            payload: t.get(9).map(<[u8]>::to_vec),
            uid: u32a(11),
            seq: u32a(12),
            seq_global: u32a(13),
            gid: u32a(14),
            hwtype: t.get(15).and_then(be16),
            hwheader: t.get(16).map(<[u8]>::to_vec),
            ct_info: u32a(19),
            ..LogEvent::default()
        };
        if let Some(h) = t.get(1) {
            if h.len() < 3 {
                return Err(bad("short packet header"));
            }
            ev.hw_protocol = Some(u16::from_be_bytes([h[0], h[1]]));
            ev.hook = Some(h[2]);
        }
        if let Some(ts) = t.get(3) {
            if ts.len() < 16 {
                return Err(bad("short timestamp"));
            }
            ev.timestamp = Some((be64(&ts[..8]).unwrap_or(0), be64(&ts[8..16]).unwrap_or(0)));
        }
        if let Some(h) = t.get(8) {
            if h.len() < 4 {
                return Err(bad("short hardware address"));
            }
            let n = usize::from(u16::from_be_bytes([h[0], h[1]])).min(8);
            ev.hwaddr = h.get(4..4 + n).map(<[u8]>::to_vec);
        }
        if let Some(v) = t.get(20) {
            let vt = Tab::parse(v, u32::MAX, 0).ok_or_else(|| bad("malformed vlan"))?;
            if let (Some(p), Some(tci)) = (vt.get(1).and_then(be16), vt.get(2).and_then(be16)) {
                ev.vlan = Some((p, tci));
            }
        }
        Ok(ev)
    }

    /// The hardware source as a MAC address (6-byte addresses only).
    pub fn mac(&self) -> Option<Mac> {
        self.hwaddr.as_deref().and_then(Mac::from_bytes)
    }

    /// Parses the IPv4/IPv6 header and a TCP/UDP/ICMP header from the payload.
    pub fn summary(&self) -> Option<Summary> {
        let p = self.payload.as_deref()?;
        let (src, dst, proto, l4) = match p.first()? >> 4 {
            4 => {
                let ihl = usize::from(p[0] & 0xf) * 4;
                if p.len() < 20 || ihl < 20 {
                    return None;
                }
                let src = IpAddr::from(<[u8; 4]>::try_from(&p[12..16]).ok()?);
                let dst = IpAddr::from(<[u8; 4]>::try_from(&p[16..20]).ok()?);
                (src, dst, p[9], p.get(ihl..).unwrap_or_default())
            }
            6 => {
                if p.len() < 40 {
                    return None;
                }
                let src = IpAddr::from(<[u8; 16]>::try_from(&p[8..24]).ok()?);
                let dst = IpAddr::from(<[u8; 16]>::try_from(&p[24..40]).ok()?);
                (src, dst, p[6], &p[40..])
            }
            _ => return None,
        };
        let mut s = Summary {
            src,
            dst,
            protocol: proto,
            sport: None,
            dport: None,
            icmp: None,
        };
        match proto {
            6 | 17 if l4.len() >= 4 => {
                s.sport = Some(u16::from_be_bytes([l4[0], l4[1]]));
                s.dport = Some(u16::from_be_bytes([l4[2], l4[3]]));
            }
            1 | 58 if l4.len() >= 2 => s.icmp = Some((l4[0], l4[1])),
            _ => {}
        }
        Some(s)
    }
}

/// What [`Listener::recv`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A logged packet.
    Packet(Box<LogEvent>),
    /// Events were lost (receive buffer overrun).
    Overrun,
}

/// A bound NFLOG group; unbinds on drop.
#[derive(Debug)]
pub struct Listener {
    sock: NetlinkSocket,
    group: u16,
    queue: std::collections::VecDeque<LogEvent>,
}

impl Listener {
    /// Binds `group` in `target`'s namespace and applies `cfg`, awaiting each ack.
    ///
    /// # Errors
    /// Input errors (snap length); `EBUSY` when another socket has the group; socket errors.
    pub fn bind(target: &NsTarget, group: u16, cfg: &Config) -> Result<Listener> {
        let msgs = config_messages(group, cfg)?;
        let mut sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
        sock.set_recv_buffer(crate::netlink::MONITOR_RCVBUF)?;
        for (i, m) in msgs.into_iter().enumerate() {
            let mut b = MsgBuilder::new(u16::from_ne_bytes([m[4], m[5]]), 0);
            b.push_header(&m[16..20]);
            for a in wire::attrs(&m[20..]) {
                b.raw_attr(&wire::RawAttr::from_attr(&a?));
            }
            let name = if i == 0 {
                "NFULNL_MSG_CONFIG(BIND)"
            } else {
                "NFULNL_MSG_CONFIG"
            };
            sock.request_ack(&Request::new(b, name)?)
                .map_err(|e| e.with_context(|c| c.object = Some(format!("NFLOG group {group}"))))?;
        }
        Ok(Listener {
            sock,
            group,
            queue: Default::default(),
        })
    }

    /// The bound group.
    pub fn group(&self) -> u16 {
        self.group
    }

    /// Waits up to `timeout` (`None`: forever) for the next packet.
    ///
    /// # Errors
    /// Socket errors; malformed packets.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<Item>> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(Some(Item::Packet(Box::new(e))));
            }
            match self.sock.recv_multicast(timeout)? {
                None => return Ok(None),
                Some(Received::Overrun) => return Ok(Some(Item::Overrun)),
                Some(Received::Messages(ms)) => {
                    for m in ms {
                        let ty = m.header.msg_type;
                        if ty == (u16::from(NFNL_SUBSYS_ULOG) << 8) | u16::from(NFULNL_MSG_PACKET) {
                            self.queue.push_back(LogEvent::decode(&m.as_msg())?);
                        }
                    }
                }
            }
        }
    }
}

impl Iterator for Listener {
    type Item = Result<Item>;

    /// Blocks until the next packet.
    fn next(&mut self) -> Option<Result<Item>> {
        self.recv(None).transpose()
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let b = config_msg(self.group, 0, |b| {
            b.attr(CFG_CMD, &[CMD_UNBIND]);
        });
        if let Ok(req) = Request::new(b, "NFULNL_MSG_CONFIG(UNBIND)") {
            let _ = self.sock.request_ack(&req);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_97_config_encoding() {
        let cfg = Config {
            copy: CopyMode::Packet(256),
            flags: LogFlags::SEQ,
            qthreshold: Some(10),
            timeout: Some(Duration::from_secs(1)),
            nlbufsiz: None,
        };
        let m = config_messages(0, &cfg).unwrap();
        assert_eq!(m.len(), 5);
        // group 0 is valid: res_id 0
        assert_eq!(&m[0][16..20], &[0, 0, 0, 0]);
        assert_eq!(&m[0][20..], &[5, 0, 1, 0, CMD_BIND, 0, 0, 0]);
        // mode: copy_range BE 256, mode 2
        assert_eq!(&m[1][24..30], &[0, 0, 1, 0, 2, 0]);
        // 1 s → 100 hundredths
        assert_eq!(timeout_units(Duration::from_secs(1)), 100);
        assert_eq!(&m[4][24..28], &100u32.to_be_bytes());
        let big = Config {
            copy: CopyMode::Packet(0x10000),
            ..Config::default()
        };
        assert!(config_messages(1, &big).unwrap_err().is_input());
        let g = config_messages(65535, &Config::default()).unwrap();
        assert_eq!(&g[0][18..20], &[0xff, 0xff]);
    }

    #[test]
    fn nf_98_packet_decoding_and_summary() {
        let mut b = MsgBuilder::new(
            (u16::from(NFNL_SUBSYS_ULOG) << 8) | u16::from(NFULNL_MSG_PACKET),
            0,
        );
        b.push_header(&[2, 0, 0, 7]);
        b.attr(1, &[0x08, 0x00, 3, 0]);
        b.attr_str(10, "linx-test");
        b.attr_be32(2, 0x10);
        let mut pkt = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        pkt.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0]);
        b.attr(9, &pkt);
        let bytes = b.finish().unwrap();
        let m = wire::messages(&bytes).next().unwrap().unwrap();
        let ev = LogEvent::decode(&m).unwrap();
        assert_eq!(ev.group, 7);
        assert_eq!(ev.prefix.as_deref(), Some("linx-test"));
        assert_eq!(ev.hook, Some(3));
        assert_eq!(ev.mark, Some(0x10));
        let s = ev.summary().unwrap();
        assert_eq!(s.protocol, 1);
        assert_eq!(s.icmp, Some((8, 0)));
    }
}
