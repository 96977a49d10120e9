//! Statements that act on the packet: nat, masq, redir, tproxy, reject, log, queue, dup, fwd,
//! synproxy.

use std::fmt;

use super::Reg;
use crate::netfilter::attr::{Tab, W, mask};

fn opt_reg(t: &Tab<'_>, k: u16) -> Option<Option<Reg>> {
    Some(t.be32(k)?.map(Reg))
}

const NFTA_NAT_TYPE: u16 = 1;
const NFTA_NAT_FAMILY: u16 = 2;
const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
const NFTA_NAT_REG_ADDR_MAX: u16 = 4;
const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
const NFTA_NAT_REG_PROTO_MAX: u16 = 6;
const NFTA_NAT_FLAGS: u16 = 7;

/// NAT range flags (`NF_NAT_RANGE_*`).
pub mod nat_flags {
    /// Addresses given (set by the kernel when an address register is present).
    pub const MAP_IPS: u32 = 0x1;
    /// Ports given.
    pub const PROTO_SPECIFIED: u32 = 0x2;
    /// `random`.
    pub const PROTO_RANDOM: u32 = 0x4;
    /// `persistent`.
    pub const PERSISTENT: u32 = 0x8;
    /// `fully-random`.
    pub const PROTO_RANDOM_FULLY: u32 = 0x10;
    /// Port offset.
    pub const PROTO_OFFSET: u32 = 0x20;
    /// `prefix` (netmap).
    pub const NETMAP: u32 = 0x40;
}

/// Source or destination NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NatKind {
    /// `snat` (0).
    Snat,
    /// `dnat` (1).
    Dnat,
}

/// `nat`: rewrite addresses and ports from registers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Nat {
    /// snat or dnat.
    pub kind: NatKind,
    /// `NFPROTO_IPV4` (2) or `NFPROTO_IPV6` (10); required even in inet tables.
    pub family: u32,
    /// Register with the lowest address.
    pub reg_addr_min: Option<Reg>,
    /// Register with the highest address.
    pub reg_addr_max: Option<Reg>,
    /// Register with the lowest port.
    pub reg_proto_min: Option<Reg>,
    /// Register with the highest port.
    pub reg_proto_max: Option<Reg>,
    /// [`nat_flags`].
    pub flags: Option<u32>,
}

impl Nat {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(
            NFTA_NAT_TYPE,
            match self.kind {
                NatKind::Snat => 0,
                NatKind::Dnat => 1,
            },
        );
        w.be32(NFTA_NAT_FAMILY, self.family);
        for (k, r) in [
            (NFTA_NAT_REG_ADDR_MIN, self.reg_addr_min),
            (NFTA_NAT_REG_ADDR_MAX, self.reg_addr_max),
            (NFTA_NAT_REG_PROTO_MIN, self.reg_proto_min),
            (NFTA_NAT_REG_PROTO_MAX, self.reg_proto_max),
        ] {
            if let Some(r) = r {
                w.be32(k, r.0);
            }
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_NAT_FLAGS, f);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Nat> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_NAT_TYPE,
                NFTA_NAT_FAMILY,
                NFTA_NAT_REG_ADDR_MIN,
                NFTA_NAT_REG_ADDR_MAX,
                NFTA_NAT_REG_PROTO_MIN,
                NFTA_NAT_REG_PROTO_MAX,
                NFTA_NAT_FLAGS,
            ]),
            0,
        )?;
        Some(Nat {
            kind: match t.req32(NFTA_NAT_TYPE)? {
                0 => NatKind::Snat,
                1 => NatKind::Dnat,
                _ => return None,
            },
            family: t.req32(NFTA_NAT_FAMILY)?,
            reg_addr_min: opt_reg(&t, NFTA_NAT_REG_ADDR_MIN)?,
            reg_addr_max: opt_reg(&t, NFTA_NAT_REG_ADDR_MAX)?,
            reg_proto_min: opt_reg(&t, NFTA_NAT_REG_PROTO_MIN)?,
            reg_proto_max: opt_reg(&t, NFTA_NAT_REG_PROTO_MAX)?,
            flags: t.be32(NFTA_NAT_FLAGS)?,
        })
    }
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            NatKind::Snat => "snat",
            NatKind::Dnat => "dnat",
        };
        let fam = match self.family {
            2 => "ip",
            10 => "ip6",
            _ => "unknown",
        };
        write!(f, "nat {k} {fam}")?;
        if let Some(r) = self.reg_addr_min {
            write!(f, " addr_min {}", r)?;
        }
        if let Some(r) = self.reg_addr_max {
            write!(f, " addr_max {}", r)?;
        }
        if let Some(r) = self.reg_proto_min {
            write!(f, " proto_min {}", r)?;
        }
        if let Some(r) = self.reg_proto_max {
            write!(f, " proto_max {}", r)?;
        }
        if let Some(fl) = self.flags {
            write!(f, " flags 0x{fl:x}")?;
        }
        Ok(())
    }
}

const NFTA_MASQ_FLAGS: u16 = 1;
const NFTA_MASQ_REG_PROTO_MIN: u16 = 2;
const NFTA_MASQ_REG_PROTO_MAX: u16 = 3;

/// `masquerade [to :PORTS] [flags]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Masq {
    /// [`nat_flags`].
    pub flags: Option<u32>,
    /// Register with the lowest port.
    pub reg_proto_min: Option<Reg>,
    /// Register with the highest port.
    pub reg_proto_max: Option<Reg>,
}

impl Masq {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(f) = self.flags {
            w.be32(NFTA_MASQ_FLAGS, f);
        }
        if let Some(r) = self.reg_proto_min {
            w.be32(NFTA_MASQ_REG_PROTO_MIN, r.0);
        }
        if let Some(r) = self.reg_proto_max {
            w.be32(NFTA_MASQ_REG_PROTO_MAX, r.0);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Masq> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_MASQ_FLAGS,
                NFTA_MASQ_REG_PROTO_MIN,
                NFTA_MASQ_REG_PROTO_MAX,
            ]),
            0,
        )?;
        Some(Masq {
            flags: t.be32(NFTA_MASQ_FLAGS)?,
            reg_proto_min: opt_reg(&t, NFTA_MASQ_REG_PROTO_MIN)?,
            reg_proto_max: opt_reg(&t, NFTA_MASQ_REG_PROTO_MAX)?,
        })
    }
}

impl fmt::Display for Masq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("masq")?;
        if let Some(r) = self.reg_proto_min {
            write!(f, " proto_min {r}")?;
        }
        if let Some(r) = self.reg_proto_max {
            write!(f, " proto_max {r}")?;
        }
        if let Some(fl) = self.flags {
            write!(f, " flags 0x{fl:x}")?;
        }
        Ok(())
    }
}

const NFTA_REDIR_REG_PROTO_MIN: u16 = 1;
const NFTA_REDIR_REG_PROTO_MAX: u16 = 2;
const NFTA_REDIR_FLAGS: u16 = 3;

/// `redirect [to :PORTS] [flags]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Redir {
    /// Register with the lowest port.
    pub reg_proto_min: Option<Reg>,
    /// Register with the highest port.
    pub reg_proto_max: Option<Reg>,
    /// [`nat_flags`].
    pub flags: Option<u32>,
}

impl Redir {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(r) = self.reg_proto_min {
            w.be32(NFTA_REDIR_REG_PROTO_MIN, r.0);
        }
        if let Some(r) = self.reg_proto_max {
            w.be32(NFTA_REDIR_REG_PROTO_MAX, r.0);
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_REDIR_FLAGS, f);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Redir> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_REDIR_REG_PROTO_MIN,
                NFTA_REDIR_REG_PROTO_MAX,
                NFTA_REDIR_FLAGS,
            ]),
            0,
        )?;
        Some(Redir {
            reg_proto_min: opt_reg(&t, NFTA_REDIR_REG_PROTO_MIN)?,
            reg_proto_max: opt_reg(&t, NFTA_REDIR_REG_PROTO_MAX)?,
            flags: t.be32(NFTA_REDIR_FLAGS)?,
        })
    }
}

impl fmt::Display for Redir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("redir")?;
        if let Some(r) = self.reg_proto_min {
            write!(f, " proto_min {r}")?;
        }
        if let Some(r) = self.reg_proto_max {
            write!(f, " proto_max {r}")?;
        }
        if let Some(fl) = self.flags {
            write!(f, " flags 0x{fl:x}")?;
        }
        Ok(())
    }
}

const NFTA_TPROXY_FAMILY: u16 = 1;
const NFTA_TPROXY_REG_ADDR: u16 = 2;
const NFTA_TPROXY_REG_PORT: u16 = 3;

/// `tproxy [ip|ip6] to [ADDR][:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tproxy {
    /// `NFPROTO_IPV4` 2, `NFPROTO_IPV6` 10, or 0 (inet, both).
    pub family: u32,
    /// Register holding the address.
    pub reg_addr: Option<Reg>,
    /// Register holding the port.
    pub reg_port: Option<Reg>,
}

impl Tproxy {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_TPROXY_FAMILY, self.family);
        if let Some(r) = self.reg_addr {
            w.be32(NFTA_TPROXY_REG_ADDR, r.0);
        }
        if let Some(r) = self.reg_port {
            w.be32(NFTA_TPROXY_REG_PORT, r.0);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Tproxy> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_TPROXY_FAMILY,
                NFTA_TPROXY_REG_ADDR,
                NFTA_TPROXY_REG_PORT,
            ]),
            0,
        )?;
        Some(Tproxy {
            family: t.req32(NFTA_TPROXY_FAMILY)?,
            reg_addr: opt_reg(&t, NFTA_TPROXY_REG_ADDR)?,
            reg_port: opt_reg(&t, NFTA_TPROXY_REG_PORT)?,
        })
    }
}

impl fmt::Display for Tproxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tproxy family {}", self.family)?;
        if let Some(r) = self.reg_addr {
            write!(f, " addr {r}")?;
        }
        if let Some(r) = self.reg_port {
            write!(f, " port {r}")?;
        }
        Ok(())
    }
}

const NFTA_REJECT_TYPE: u16 = 1;
const NFTA_REJECT_ICMP_CODE: u16 = 2;

/// How to reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RejectKind {
    /// ICMP/ICMPv6 unreachable with a family-specific code (0).
    IcmpUnreach,
    /// TCP reset (1).
    TcpRst,
    /// Family-independent ICMP code (`icmpx`, 2): 0 no-route, 1 port-unreachable,
    /// 2 host-unreachable, 3 admin-prohibited.
    IcmpxUnreach,
}

/// `reject [with …]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Reject {
    /// Kind.
    pub kind: RejectKind,
    /// ICMP code (required for the ICMP kinds; nft also sends 0 with TCP reset).
    pub code: Option<u8>,
}

impl Reject {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(
            NFTA_REJECT_TYPE,
            match self.kind {
                RejectKind::IcmpUnreach => 0,
                RejectKind::TcpRst => 1,
                RejectKind::IcmpxUnreach => 2,
            },
        );
        if let Some(c) = self.code {
            w.u8(NFTA_REJECT_ICMP_CODE, c);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Reject> {
        let t = Tab::parse(d, mask(&[NFTA_REJECT_TYPE, NFTA_REJECT_ICMP_CODE]), 0)?;
        Some(Reject {
            kind: match t.req32(NFTA_REJECT_TYPE)? {
                0 => RejectKind::IcmpUnreach,
                1 => RejectKind::TcpRst,
                2 => RejectKind::IcmpxUnreach,
                _ => return None,
            },
            code: t.u8(NFTA_REJECT_ICMP_CODE)?,
        })
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            RejectKind::IcmpUnreach => 0,
            RejectKind::TcpRst => 1,
            RejectKind::IcmpxUnreach => 2,
        };
        write!(f, "reject type {k} code {}", self.code.unwrap_or(0))
    }
}

const NFTA_LOG_GROUP: u16 = 1;
const NFTA_LOG_PREFIX: u16 = 2;
const NFTA_LOG_SNAPLEN: u16 = 3;
const NFTA_LOG_QTHRESHOLD: u16 = 4;
const NFTA_LOG_LEVEL: u16 = 5;
const NFTA_LOG_FLAGS: u16 = 6;

/// Log flags (`NF_LOG_*`).
pub mod log_flags {
    /// TCP sequence numbers.
    pub const TCPSEQ: u32 = 0x01;
    /// TCP options.
    pub const TCPOPT: u32 = 0x02;
    /// IP options.
    pub const IPOPT: u32 = 0x04;
    /// Socket uid.
    pub const UID: u32 = 0x08;
    /// MAC header decoding.
    pub const MACDECODE: u32 = 0x20;
    /// Everything (`flags all`).
    pub const ALL: u32 = 0x2f;
}

/// Syslog levels (`NFT_LOGLEVEL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LogLevel {
    /// 0.
    Emerg,
    /// 1.
    Alert,
    /// 2.
    Crit,
    /// 3.
    Err,
    /// 4 (the kernel's default).
    Warning,
    /// 5.
    Notice,
    /// 6.
    Info,
    /// 7.
    Debug,
    /// 8: audit log instead of syslog.
    Audit,
}

impl LogLevel {
    /// The level for a number.
    pub fn from_number(n: u32) -> Option<LogLevel> {
        use LogLevel::*;
        Some(match n {
            0 => Emerg,
            1 => Alert,
            2 => Crit,
            3 => Err,
            4 => Warning,
            5 => Notice,
            6 => Info,
            7 => Debug,
            8 => Audit,
            _ => return None,
        })
    }
}

/// `log`: to syslog (level, flags) or to an NFLOG group (group, snaplen, queue threshold).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Log {
    /// Prefix (at most 127 bytes).
    pub prefix: Option<String>,
    /// NFLOG group.
    pub group: Option<u16>,
    /// Bytes of packet copied to NFLOG.
    pub snaplen: Option<u32>,
    /// Packets queued in the kernel before sending to NFLOG.
    pub qthreshold: Option<u16>,
    /// Syslog level (a [`LogLevel`] number).
    pub level: Option<u32>,
    /// [`log_flags`].
    pub flags: Option<u32>,
}

impl Log {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(p) = &self.prefix {
            w.str(NFTA_LOG_PREFIX, p);
        }
        if let Some(g) = self.group {
            w.be16(NFTA_LOG_GROUP, g);
        }
        if let Some(s) = self.snaplen {
            w.be32(NFTA_LOG_SNAPLEN, s);
        }
        if let Some(q) = self.qthreshold {
            w.be16(NFTA_LOG_QTHRESHOLD, q);
        }
        if let Some(l) = self.level {
            w.be32(NFTA_LOG_LEVEL, l);
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_LOG_FLAGS, f);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Log> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_LOG_GROUP,
                NFTA_LOG_PREFIX,
                NFTA_LOG_SNAPLEN,
                NFTA_LOG_QTHRESHOLD,
                NFTA_LOG_LEVEL,
                NFTA_LOG_FLAGS,
            ]),
            0,
        )?;
        Some(Log {
            prefix: t.str(NFTA_LOG_PREFIX)?,
            group: t.be16(NFTA_LOG_GROUP)?,
            snaplen: t.be32(NFTA_LOG_SNAPLEN)?,
            qthreshold: t.be16(NFTA_LOG_QTHRESHOLD)?,
            level: t.be32(NFTA_LOG_LEVEL)?,
            flags: t.be32(NFTA_LOG_FLAGS)?,
        })
    }
}

impl fmt::Display for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("log")?;
        if let Some(p) = &self.prefix {
            write!(f, " prefix {p}")?;
        }
        if let Some(g) = self.group {
            write!(f, " group {g}")?;
        }
        if let Some(s) = self.snaplen {
            write!(f, " snaplen {s}")?;
        }
        if let Some(q) = self.qthreshold {
            write!(f, " qthreshold {q}")?;
        }
        if let Some(l) = self.level {
            write!(f, " level {l}")?;
        }
        if let Some(fl) = self.flags {
            write!(f, " flags 0x{fl:x}")?;
        }
        Ok(())
    }
}

const NFTA_QUEUE_NUM: u16 = 1;
const NFTA_QUEUE_TOTAL: u16 = 2;
const NFTA_QUEUE_FLAGS: u16 = 3;
const NFTA_QUEUE_SREG_QNUM: u16 = 4;

/// Queue flags (`NFT_QUEUE_FLAG_*`).
pub mod queue_flags {
    /// Accept when no program listens.
    pub const BYPASS: u16 = 0x1;
    /// Spread over queues by CPU.
    pub const CPU_FANOUT: u16 = 0x2;
}

/// `queue num N[-M] [bypass,fanout]` or `queue to EXPR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Queue {
    /// First queue number.
    pub num: Option<u16>,
    /// Number of queues.
    pub total: Option<u16>,
    /// [`queue_flags`].
    pub flags: Option<u16>,
    /// Register holding the queue number.
    pub sreg_qnum: Option<Reg>,
}

impl Queue {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(n) = self.num {
            w.be16(NFTA_QUEUE_NUM, n);
        }
        if let Some(t) = self.total {
            w.be16(NFTA_QUEUE_TOTAL, t);
        }
        if let Some(f) = self.flags {
            w.be16(NFTA_QUEUE_FLAGS, f);
        }
        if let Some(r) = self.sreg_qnum {
            w.be32(NFTA_QUEUE_SREG_QNUM, r.0);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Queue> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_QUEUE_NUM,
                NFTA_QUEUE_TOTAL,
                NFTA_QUEUE_FLAGS,
                NFTA_QUEUE_SREG_QNUM,
            ]),
            0,
        )?;
        Some(Queue {
            num: t.be16(NFTA_QUEUE_NUM)?,
            total: t.be16(NFTA_QUEUE_TOTAL)?,
            flags: t.be16(NFTA_QUEUE_FLAGS)?,
            sreg_qnum: opt_reg(&t, NFTA_QUEUE_SREG_QNUM)?,
        })
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue")?;
        if let Some(n) = self.num {
            write!(f, " num {n}")?;
        }
        if let Some(t) = self.total {
            write!(f, " total {t}")?;
        }
        if let Some(r) = self.sreg_qnum {
            write!(f, " sreg_qnum {}", r.0)?;
        }
        if let Some(fl) = self.flags {
            write!(f, " flags {fl}")?;
        }
        Ok(())
    }
}

const NFTA_DUP_SREG_ADDR: u16 = 1;
const NFTA_DUP_SREG_DEV: u16 = 2;

/// `dup to ADDR [device DEV]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dup {
    /// Register holding the gateway address.
    pub sreg_addr: Option<Reg>,
    /// Register holding the output interface index.
    pub sreg_dev: Option<Reg>,
}

impl Dup {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(r) = self.sreg_addr {
            w.be32(NFTA_DUP_SREG_ADDR, r.0);
        }
        if let Some(r) = self.sreg_dev {
            w.be32(NFTA_DUP_SREG_DEV, r.0);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Dup> {
        let t = Tab::parse(d, mask(&[NFTA_DUP_SREG_ADDR, NFTA_DUP_SREG_DEV]), 0)?;
        Some(Dup {
            sreg_addr: opt_reg(&t, NFTA_DUP_SREG_ADDR)?,
            sreg_dev: opt_reg(&t, NFTA_DUP_SREG_DEV)?,
        })
    }
}

impl fmt::Display for Dup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dup")?;
        if let Some(r) = self.sreg_addr {
            write!(f, " sreg_addr {}", r.0)?;
        }
        if let Some(r) = self.sreg_dev {
            write!(f, " sreg_dev {}", r.0)?;
        }
        Ok(())
    }
}

const NFTA_FWD_SREG_DEV: u16 = 1;
const NFTA_FWD_SREG_ADDR: u16 = 2;
const NFTA_FWD_NFPROTO: u16 = 3;

/// `fwd [ip|ip6 to ADDR] to DEV` (netdev).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Fwd {
    /// Register holding the output interface index.
    pub sreg_dev: Option<Reg>,
    /// Register holding the next-hop address.
    pub sreg_addr: Option<Reg>,
    /// Address family of the next hop (2 or 10).
    pub nfproto: Option<u32>,
}

impl Fwd {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(r) = self.sreg_dev {
            w.be32(NFTA_FWD_SREG_DEV, r.0);
        }
        if let Some(r) = self.sreg_addr {
            w.be32(NFTA_FWD_SREG_ADDR, r.0);
        }
        if let Some(p) = self.nfproto {
            w.be32(NFTA_FWD_NFPROTO, p);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Fwd> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_FWD_SREG_DEV, NFTA_FWD_SREG_ADDR, NFTA_FWD_NFPROTO]),
            0,
        )?;
        Some(Fwd {
            sreg_dev: opt_reg(&t, NFTA_FWD_SREG_DEV)?,
            sreg_addr: opt_reg(&t, NFTA_FWD_SREG_ADDR)?,
            nfproto: t.be32(NFTA_FWD_NFPROTO)?,
        })
    }
}

impl fmt::Display for Fwd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fwd")?;
        if let Some(r) = self.sreg_dev {
            write!(f, " sreg_dev {}", r.0)?;
        }
        if let Some(r) = self.sreg_addr {
            write!(f, " sreg_addr {}", r.0)?;
        }
        if let Some(p) = self.nfproto {
            write!(f, " nfproto {p}")?;
        }
        Ok(())
    }
}

const NFTA_SYNPROXY_MSS: u16 = 1;
const NFTA_SYNPROXY_WSCALE: u16 = 2;
const NFTA_SYNPROXY_FLAGS: u16 = 3;

/// SYN proxy option flags (`NF_SYNPROXY_OPT_*`).
pub mod synproxy_flags {
    /// MSS option.
    pub const MSS: u32 = 0x01;
    /// Window scale option.
    pub const WSCALE: u32 = 0x02;
    /// SACK permitted.
    pub const SACK_PERM: u32 = 0x04;
    /// Timestamps.
    pub const TIMESTAMP: u32 = 0x08;
}

/// `synproxy mss M wscale W [timestamp] [sack-perm]` (also the object of the same kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Synproxy {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale.
    pub wscale: Option<u8>,
    /// [`synproxy_flags`].
    pub flags: Option<u32>,
}

impl Synproxy {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(m) = self.mss {
            w.be16(NFTA_SYNPROXY_MSS, m);
        }
        if let Some(s) = self.wscale {
            w.u8(NFTA_SYNPROXY_WSCALE, s);
        }
        if let Some(f) = self.flags {
            w.be32(NFTA_SYNPROXY_FLAGS, f);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Synproxy> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_SYNPROXY_MSS, NFTA_SYNPROXY_WSCALE, NFTA_SYNPROXY_FLAGS]),
            0,
        )?;
        Some(Synproxy {
            mss: t.be16(NFTA_SYNPROXY_MSS)?,
            wscale: t.u8(NFTA_SYNPROXY_WSCALE)?,
            flags: t.be32(NFTA_SYNPROXY_FLAGS)?,
        })
    }
}

impl fmt::Display for Synproxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "synproxy mss {} wscale {} flags 0x{:x}",
            self.mss.unwrap_or(0),
            self.wscale.unwrap_or(0),
            self.flags.unwrap_or(0)
        )
    }
}
