//! Named stateful objects (`NFT_MSG_NEWOBJ`): counters, quotas, limits, connection limits,
//! conntrack helpers, timeouts and expectations, secmarks and SYN proxies. Rules use them through
//! [`Objref`](super::expr::Objref); object maps select them by key.
//!
//! ```
//! use linx::netfilter::obj::{Object, ObjectData};
//! use linx::netfilter::expr::Counter;
//! let c = Object::new("web_hits", ObjectData::Counter(Counter::default()));
//! assert_eq!(c.kind().number(), 1);
//! ```

use std::fmt;

use super::attr::{Tab, W, lenient_str, mask};
use super::expr::{Connlimit, Counter, Limit, Quota, Synproxy};
use super::userdata::Userdata;
use crate::netlink::wire;

/// Object types (`NFT_OBJECT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ObjectType {
    /// `counter` (1).
    Counter,
    /// `quota` (2).
    Quota,
    /// `ct helper` (3).
    CtHelper,
    /// `limit` (4).
    Limit,
    /// `ct count` (5).
    Connlimit,
    /// `tunnel` (6).
    Tunnel,
    /// `ct timeout` (7).
    CtTimeout,
    /// `secmark` (8).
    Secmark,
    /// `ct expectation` (9).
    CtExpectation,
    /// `synproxy` (10).
    Synproxy,
    /// Another type number.
    Other(u32),
}

impl ObjectType {
    /// The kernel's number.
    pub fn number(self) -> u32 {
        match self {
            ObjectType::Counter => 1,
            ObjectType::Quota => 2,
            ObjectType::CtHelper => 3,
            ObjectType::Limit => 4,
            ObjectType::Connlimit => 5,
            ObjectType::Tunnel => 6,
            ObjectType::CtTimeout => 7,
            ObjectType::Secmark => 8,
            ObjectType::CtExpectation => 9,
            ObjectType::Synproxy => 10,
            ObjectType::Other(n) => n,
        }
    }
    /// The type for a number.
    pub fn from_number(n: u32) -> ObjectType {
        match n {
            1 => ObjectType::Counter,
            2 => ObjectType::Quota,
            3 => ObjectType::CtHelper,
            4 => ObjectType::Limit,
            5 => ObjectType::Connlimit,
            6 => ObjectType::Tunnel,
            7 => ObjectType::CtTimeout,
            8 => ObjectType::Secmark,
            9 => ObjectType::CtExpectation,
            10 => ObjectType::Synproxy,
            n => ObjectType::Other(n),
        }
    }
    /// nft's name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Counter => "counter",
            ObjectType::Quota => "quota",
            ObjectType::CtHelper => "ct helper",
            ObjectType::Limit => "limit",
            ObjectType::Connlimit => "ct count",
            ObjectType::Tunnel => "tunnel",
            ObjectType::CtTimeout => "ct timeout",
            ObjectType::Secmark => "secmark",
            ObjectType::CtExpectation => "ct expectation",
            ObjectType::Synproxy => "synproxy",
            ObjectType::Other(_) => "unknown",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectType::Other(n) => write!(f, "object type {n}"),
            t => f.write_str(t.name()),
        }
    }
}

/// A conntrack helper object (`ct helper`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CtHelper {
    /// Helper name (`"ftp"`, `"sip"` …).
    pub name: String,
    /// Layer-3 protocol (`NFPROTO_*`), if restricted.
    pub l3proto: Option<u16>,
    /// Layer-4 protocol (6 tcp, 17 udp).
    pub l4proto: u8,
}

/// A conntrack timeout policy object (`ct timeout`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CtTimeout {
    /// Layer-3 protocol.
    pub l3proto: Option<u16>,
    /// Layer-4 protocol.
    pub l4proto: u8,
    /// Per-state timeouts in seconds: (`CTA_TIMEOUT_<PROTO>_<STATE>` attribute number, value).
    pub timeouts: Vec<(u16, u32)>,
}

/// A conntrack expectation object (`ct expectation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CtExpectation {
    /// Layer-3 protocol.
    pub l3proto: Option<u16>,
    /// Layer-4 protocol.
    pub l4proto: u8,
    /// Expected destination port.
    pub dport: u16,
    /// Timeout in ms (sent in host order, as the kernel reads it).
    pub timeout: u32,
    /// Maximum number of expectations.
    pub size: u8,
}

/// The kind-specific contents of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ObjectData {
    /// Packet and byte counter.
    Counter(Counter),
    /// Byte quota.
    Quota(Quota),
    /// Rate limit.
    Limit(Limit),
    /// Connection count limit.
    Connlimit(Connlimit),
    /// Conntrack helper.
    CtHelper(CtHelper),
    /// Conntrack timeout policy.
    CtTimeout(CtTimeout),
    /// Conntrack expectation.
    CtExpectation(CtExpectation),
    /// SELinux security context (`secmark`).
    Secmark(String),
    /// SYN proxy parameters.
    Synproxy(Synproxy),
    /// Anything else, kept raw: the type and the `NFTA_OBJ_DATA` payload.
    Unknown {
        /// Object type.
        kind: ObjectType,
        /// Raw data payload.
        data: Vec<u8>,
    },
}

/// A named stateful object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Object {
    /// Name (unique per table and type).
    pub name: String,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
    /// Contents.
    pub data: ObjectData,
    /// Userdata (comment).
    pub userdata: Userdata,
}

impl Object {
    /// A new object.
    pub fn new(name: impl Into<String>, data: ObjectData) -> Object {
        Object {
            name: name.into(),
            handle: None,
            data,
            userdata: Userdata::default(),
        }
    }

    /// The object type.
    pub fn kind(&self) -> ObjectType {
        match &self.data {
            ObjectData::Counter(_) => ObjectType::Counter,
            ObjectData::Quota(_) => ObjectType::Quota,
            ObjectData::Limit(_) => ObjectType::Limit,
            ObjectData::Connlimit(_) => ObjectType::Connlimit,
            ObjectData::CtHelper(_) => ObjectType::CtHelper,
            ObjectData::CtTimeout(_) => ObjectType::CtTimeout,
            ObjectData::CtExpectation(_) => ObjectType::CtExpectation,
            ObjectData::Secmark(_) => ObjectType::Secmark,
            ObjectData::Synproxy(_) => ObjectType::Synproxy,
            ObjectData::Unknown { kind, .. } => *kind,
        }
    }

    /// The comment.
    pub fn comment(&self) -> Option<String> {
        self.userdata.comment()
    }

    /// Writes the `NFTA_OBJ_DATA` payload.
    pub(crate) fn encode_data(&self, w: &mut W) {
        match &self.data {
            ObjectData::Counter(c) => c.encode_obj(w),
            ObjectData::Quota(q) => q.encode(w),
            ObjectData::Limit(l) => l.encode_object(w),
            ObjectData::Connlimit(c) => c.encode(w),
            ObjectData::Synproxy(s) => s.encode(w),
            ObjectData::CtHelper(h) => {
                w.attr(1, h.name.as_bytes());
                if let Some(l3) = h.l3proto {
                    w.be16(2, l3);
                }
                w.u8(3, h.l4proto);
            }
            ObjectData::CtTimeout(t) => {
                if let Some(l3) = t.l3proto {
                    w.be16(1, l3);
                }
                w.u8(2, t.l4proto);
                let n = w.nest(3);
                for (k, v) in &t.timeouts {
                    w.be32(*k, *v);
                }
                w.end(n);
            }
            ObjectData::CtExpectation(e) => {
                if let Some(l3) = e.l3proto {
                    w.be16(1, l3);
                }
                w.u8(2, e.l4proto);
                w.be16(3, e.dport);
                w.attr(4, &e.timeout.to_ne_bytes());
                w.u8(5, e.size);
            }
            ObjectData::Secmark(ctx) => w.attr(1, ctx.as_bytes()),
            ObjectData::Unknown { data, .. } => w.buf.extend_from_slice(data),
        }
    }

    /// Decodes the data payload of an object of `kind`; anything unexpected stays raw.
    pub(crate) fn decode_data(kind: ObjectType, d: &[u8]) -> ObjectData {
        let typed = match kind {
            ObjectType::Counter => Counter::decode(d).map(ObjectData::Counter),
            ObjectType::Quota => Quota::decode(d).map(ObjectData::Quota),
            ObjectType::Limit => Limit::decode(d).map(ObjectData::Limit),
            ObjectType::Connlimit => Connlimit::decode(d).map(ObjectData::Connlimit),
            ObjectType::Synproxy => Synproxy::decode(d).map(ObjectData::Synproxy),
            ObjectType::CtHelper => (|| {
                let t = Tab::parse(d, mask(&[1, 2, 3]), 0)?;
                Some(ObjectData::CtHelper(CtHelper {
                    name: lenient_str(t.get(1)?),
                    l3proto: t.be16(2)?,
                    l4proto: t.u8(3)??,
                }))
            })(),
            ObjectType::CtTimeout => (|| {
                let t = Tab::parse(d, mask(&[1, 2, 3]), 0)?;
                let mut timeouts = Vec::new();
                for a in wire::attrs(t.get(3)?) {
                    let a = a.ok()?;
                    timeouts.push((a.kind(), a.be32().ok()?));
                }
                Some(ObjectData::CtTimeout(CtTimeout {
                    l3proto: t.be16(1)?,
                    l4proto: t.u8(2)??,
                    timeouts,
                }))
            })(),
            ObjectType::CtExpectation => (|| {
                let t = Tab::parse(d, mask(&[1, 2, 3, 4, 5]), 0)?;
                Some(ObjectData::CtExpectation(CtExpectation {
                    l3proto: t.be16(1)?,
                    l4proto: t.u8(2)??,
                    dport: t.be16(3)??,
                    timeout: u32::from_ne_bytes(t.get(4)?.try_into().ok()?),
                    size: t.u8(5)??,
                }))
            })(),
            ObjectType::Secmark => (|| {
                let t = Tab::parse(d, mask(&[1]), 0)?;
                Some(ObjectData::Secmark(lenient_str(t.get(1)?)))
            })(),
            _ => None,
        };
        typed.unwrap_or_else(|| ObjectData::Unknown {
            kind,
            data: d.to_vec(),
        })
    }
}

impl Counter {
    /// Counter objects always carry both values (the kernel requires them).
    pub(crate) fn encode_obj(&self, w: &mut W) {
        w.be64(1, self.bytes);
        w.be64(2, self.packets);
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.name)
    }
}
