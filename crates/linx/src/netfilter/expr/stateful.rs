//! Stateful expressions: counter, limit, quota, connlimit, last. The same attribute layouts are
//! used by the named objects of the same kinds (see [`crate::netfilter::obj`]).

use std::fmt;

use crate::netfilter::attr::{Tab, W, mask};

const NFTA_COUNTER_BYTES: u16 = 1;
const NFTA_COUNTER_PACKETS: u16 = 2;
const NFTA_COUNTER_PAD: u16 = 3;

/// `counter`: packets and bytes (read back on pull; both zero is sent as an empty counter,
/// as nft does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Counter {
    /// Bytes counted.
    pub bytes: u64,
    /// Packets counted.
    pub packets: u64,
}

impl Counter {
    pub(crate) fn encode(&self, w: &mut W) {
        if self.bytes != 0 || self.packets != 0 {
            w.be64(NFTA_COUNTER_BYTES, self.bytes);
            w.be64(NFTA_COUNTER_PACKETS, self.packets);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Counter> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS]),
            mask(&[NFTA_COUNTER_PAD]),
        )?;
        Some(Counter {
            bytes: t.be64(NFTA_COUNTER_BYTES)?.unwrap_or(0),
            packets: t.be64(NFTA_COUNTER_PACKETS)?.unwrap_or(0),
        })
    }
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "counter pkts {} bytes {}", self.packets, self.bytes)
    }
}

const NFTA_LIMIT_RATE: u16 = 1;
const NFTA_LIMIT_UNIT: u16 = 2;
const NFTA_LIMIT_BURST: u16 = 3;
const NFTA_LIMIT_TYPE: u16 = 4;
const NFTA_LIMIT_FLAGS: u16 = 5;
const NFTA_LIMIT_PAD: u16 = 6;

/// Time units of rates (`limit rate N/unit`), as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TimeUnit {
    /// 1 s.
    Second,
    /// 60 s.
    Minute,
    /// 3600 s.
    Hour,
    /// 86400 s.
    Day,
    /// 604800 s.
    Week,
}

impl TimeUnit {
    /// The unit in seconds.
    pub fn secs(self) -> u64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3600,
            TimeUnit::Day => 86400,
            TimeUnit::Week => 604800,
        }
    }
    /// The unit for a number of seconds, when it is one of the five.
    pub fn from_secs(s: u64) -> Option<TimeUnit> {
        Some(match s {
            1 => TimeUnit::Second,
            60 => TimeUnit::Minute,
            3600 => TimeUnit::Hour,
            86400 => TimeUnit::Day,
            604800 => TimeUnit::Week,
            _ => return None,
        })
    }
    /// nft's name (`second`, `minute` …).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LimitKind {
    /// Packets (`NFT_LIMIT_PKTS`, 0).
    Packets,
    /// Bytes (`NFT_LIMIT_PKT_BYTES`, 1).
    Bytes,
}

/// `limit rate [over] RATE/UNIT burst N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Limit {
    /// Packets or bytes per unit.
    pub rate: u64,
    /// Unit in seconds (see [`TimeUnit`]).
    pub unit: u64,
    /// Burst (nft's default: 5 packets, 0 bytes).
    pub burst: u32,
    /// Packets or bytes.
    pub kind: LimitKind,
    /// 0x1 = `over` (match when the rate is exceeded).
    pub flags: u32,
}

impl Limit {
    /// A packet limit with nft's defaults (burst 5).
    pub fn packets(rate: u64, unit: TimeUnit) -> Limit {
        Limit {
            rate,
            unit: unit.secs(),
            burst: 5,
            kind: LimitKind::Packets,
            flags: 0,
        }
    }
    /// A byte limit with nft's defaults (burst 0).
    pub fn bytes(rate: u64, unit: TimeUnit) -> Limit {
        Limit {
            rate,
            unit: unit.secs(),
            burst: 0,
            kind: LimitKind::Bytes,
            flags: 0,
        }
    }
    /// Sets the burst.
    pub fn burst(mut self, burst: u32) -> Limit {
        self.burst = burst;
        self
    }
    /// Matches when over the rate.
    pub fn over(mut self) -> Limit {
        self.flags |= 1;
        self
    }
    /// True for `over`.
    pub fn is_over(&self) -> bool {
        self.flags & 1 != 0
    }

    /// As an expression: nft sends no burst at all for a zero burst (a byte limit without
    /// `burst`).
    pub(crate) fn encode(&self, w: &mut W) {
        self.encode_with(w, self.burst != 0);
    }

    /// As a named object's data: nft always sends the burst.
    pub(crate) fn encode_object(&self, w: &mut W) {
        self.encode_with(w, true);
    }

    fn encode_with(&self, w: &mut W, burst: bool) {
        w.be64(NFTA_LIMIT_RATE, self.rate);
        w.be64(NFTA_LIMIT_UNIT, self.unit);
        if burst {
            w.be32(NFTA_LIMIT_BURST, self.burst);
        }
        w.be32(
            NFTA_LIMIT_TYPE,
            match self.kind {
                LimitKind::Packets => 0,
                LimitKind::Bytes => 1,
            },
        );
        w.be32(NFTA_LIMIT_FLAGS, self.flags);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Limit> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_LIMIT_RATE,
                NFTA_LIMIT_UNIT,
                NFTA_LIMIT_BURST,
                NFTA_LIMIT_TYPE,
                NFTA_LIMIT_FLAGS,
            ]),
            mask(&[NFTA_LIMIT_PAD]),
        )?;
        Some(Limit {
            rate: t.be64(NFTA_LIMIT_RATE)??,
            unit: t.be64(NFTA_LIMIT_UNIT)??,
            burst: t.be32(NFTA_LIMIT_BURST)?.unwrap_or(0),
            kind: match t.be32(NFTA_LIMIT_TYPE)?.unwrap_or(0) {
                0 => LimitKind::Packets,
                1 => LimitKind::Bytes,
                _ => return None,
            },
            flags: t.be32(NFTA_LIMIT_FLAGS)?.unwrap_or(0),
        })
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = TimeUnit::from_secs(self.unit)
            .map(|u| u.name().to_owned())
            .unwrap_or_else(|| format!("{}s", self.unit));
        write!(
            f,
            "limit rate {}/{unit} burst {} type {} flags 0x{:x}",
            self.rate,
            self.burst,
            match self.kind {
                LimitKind::Packets => "packets",
                LimitKind::Bytes => "bytes",
            },
            self.flags
        )
    }
}

const NFTA_QUOTA_BYTES: u16 = 1;
const NFTA_QUOTA_FLAGS: u16 = 2;
const NFTA_QUOTA_PAD: u16 = 3;
const NFTA_QUOTA_CONSUMED: u16 = 4;

/// `quota [over|until] BYTES [used CONSUMED]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Quota {
    /// Quota in bytes.
    pub bytes: u64,
    /// Bytes already consumed.
    pub consumed: u64,
    /// 0x1 = `over` (invert); 0x2 = depleted (read-only).
    pub flags: u32,
}

impl Quota {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be64(NFTA_QUOTA_BYTES, self.bytes);
        w.be64(NFTA_QUOTA_CONSUMED, self.consumed);
        w.be32(NFTA_QUOTA_FLAGS, self.flags);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Quota> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_QUOTA_BYTES, NFTA_QUOTA_FLAGS, NFTA_QUOTA_CONSUMED]),
            mask(&[NFTA_QUOTA_PAD]),
        )?;
        Some(Quota {
            bytes: t.be64(NFTA_QUOTA_BYTES)??,
            consumed: t.be64(NFTA_QUOTA_CONSUMED)?.unwrap_or(0),
            flags: t.be32(NFTA_QUOTA_FLAGS)?.unwrap_or(0),
        })
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "quota bytes {} consumed {} flags {}",
            self.bytes, self.consumed, self.flags
        )
    }
}

const NFTA_CONNLIMIT_COUNT: u16 = 1;
const NFTA_CONNLIMIT_FLAGS: u16 = 2;

/// `ct count [over] N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Connlimit {
    /// Connection count.
    pub count: u32,
    /// 0x1 = `over`.
    pub flags: u32,
}

impl Connlimit {
    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_CONNLIMIT_COUNT, self.count);
        w.be32(NFTA_CONNLIMIT_FLAGS, self.flags);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Connlimit> {
        let t = Tab::parse(d, mask(&[NFTA_CONNLIMIT_COUNT, NFTA_CONNLIMIT_FLAGS]), 0)?;
        Some(Connlimit {
            count: t.req32(NFTA_CONNLIMIT_COUNT)?,
            flags: t.be32(NFTA_CONNLIMIT_FLAGS)?.unwrap_or(0),
        })
    }
}

impl fmt::Display for Connlimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connlimit count {} flags {:x}", self.count, self.flags)
    }
}

const NFTA_LAST_SET: u16 = 1;
const NFTA_LAST_MSECS: u16 = 2;
const NFTA_LAST_PAD: u16 = 3;

/// `last used …`: when the rule last matched (≥ 5.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Last {
    /// Milliseconds since the last match (read back on pull).
    pub msecs: Option<u64>,
    /// 1 once the rule has matched.
    pub set: Option<u32>,
}

impl Last {
    pub(crate) fn encode(&self, w: &mut W) {
        if let Some(m) = self.msecs {
            w.be64(NFTA_LAST_MSECS, m);
        }
        if let Some(s) = self.set {
            w.be32(NFTA_LAST_SET, s);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Last> {
        let t = Tab::parse(
            d,
            mask(&[NFTA_LAST_SET, NFTA_LAST_MSECS]),
            mask(&[NFTA_LAST_PAD]),
        )?;
        Some(Last {
            msecs: t.be64(NFTA_LAST_MSECS)?,
            set: t.be32(NFTA_LAST_SET)?,
        })
    }
}

impl fmt::Display for Last {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.set, self.msecs) {
            (Some(1), Some(ms)) => write!(f, "last {ms}"),
            _ => f.write_str("last never"),
        }
    }
}
