//! Nexthop objects (Linux ≥ 5.3): `RTM_NEWNEXTHOP`, `RTM_DELNEXTHOP`, `RTM_GETNEXTHOP`
//! (`nhmsg` + `NHA_*`). Routes reference them with [`RouteSpec::nh_id`](super::RouteSpec::nh_id).
//!
//! See [ip-nexthop(8)](https://man7.org/linux/man-pages/man8/ip-nexthop.8.html).

use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, ProtocolKind, Result, Subsystem};
use crate::netlink::Request;
use crate::netlink::wire::{self, MsgBuilder, RawAttr, flags};

use super::common::{AF_INET, AF_INET6, AF_UNSPEC, family_of, input, malformed};
use super::link::LinkRef;
use super::{RTM_DELNEXTHOP, RTM_GETNEXTHOP, RTM_NEWNEXTHOP, Rtnl, Scope};

/// Size of `struct nhmsg`.
pub const NHMSG_LEN: usize = 8;

/// `NHA_*` attribute numbers.
#[allow(missing_docs)]
pub mod nha {
    pub const ID: u16 = 1;
    pub const GROUP: u16 = 2;
    pub const GROUP_TYPE: u16 = 3;
    pub const BLACKHOLE: u16 = 4;
    pub const OIF: u16 = 5;
    pub const GATEWAY: u16 = 6;
    pub const ENCAP_TYPE: u16 = 7;
    pub const ENCAP: u16 = 8;
    pub const GROUPS: u16 = 9;
    pub const MASTER: u16 = 10;
    pub const FDB: u16 = 11;
    pub const RES_GROUP: u16 = 12;
    /// `NHA_RES_GROUP_*` inside `NHA_RES_GROUP`.
    pub mod res {
        pub const BUCKETS: u16 = 1;
        pub const IDLE_TIMER: u16 = 2;
        pub const UNBALANCED_TIMER: u16 = 3;
    }
}

/// `NEXTHOP_GRP_TYPE_MPATH`.
pub const GROUP_TYPE_MPATH: u16 = 0;
/// `NEXTHOP_GRP_TYPE_RES`.
pub const GROUP_TYPE_RES: u16 = 1;

/// One member of a nexthop group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupMember {
    /// Member nexthop id.
    pub id: u32,
    /// Weight: 1..=256 to create; decoded values may reach 65,536 on kernels with
    /// `weight_high`.
    pub weight: u32,
}

/// Resilient-group parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Resilient {
    /// Number of buckets.
    pub buckets: Option<u16>,
    /// Idle timer (clock ticks).
    pub idle_timer: Option<u32>,
    /// Unbalanced timer (clock ticks).
    pub unbalanced_timer: Option<u32>,
}

/// A nexthop object as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Nexthop {
    /// Family (`AF_UNSPEC` for groups and blackholes).
    pub family: u8,
    /// Scope.
    pub scope: Scope,
    /// Protocol.
    pub protocol: u8,
    /// `RTNH_F_*` flags.
    pub flags: u32,
    /// Id.
    pub id: u32,
    /// Group members (empty unless a group).
    pub group: Vec<GroupMember>,
    /// Group type (mpath 0, resilient 1).
    pub group_type: Option<u16>,
    /// Resilient-group parameters.
    pub resilient: Option<Resilient>,
    /// Blackhole.
    pub blackhole: bool,
    /// FDB nexthop.
    pub fdb: bool,
    /// Output interface.
    pub oif: Option<u32>,
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Attributes linx does not model, raw.
    pub other: Vec<RawAttr>,
}

impl Nexthop {
    /// Decodes the payload of an `RTM_NEWNEXTHOP`/`RTM_DELNEXTHOP` message.
    ///
    /// # Errors
    /// Protocol errors for a short header or malformed attributes.
    pub fn decode(payload: &[u8]) -> Result<Nexthop> {
        let h = payload
            .get(..NHMSG_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWNEXTHOP", payload.len(), 8))?;
        let mut n = Nexthop {
            family: h[0],
            scope: Scope(h[1]),
            protocol: h[2],
            flags: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            ..Nexthop::default()
        };
        for a in wire::attrs(&payload[NHMSG_LEN..]) {
            let a = a?;
            match a.kind() {
                nha::ID => n.id = a.u32()?,
                nha::GROUP => {
                    if a.payload.len() % 8 != 0 {
                        return Err(malformed(format!("NHA_GROUP of {} bytes", a.payload.len())));
                    }
                    for c in a.payload.chunks_exact(8) {
                        // weight (u8) is weight-1; newer kernels add weight_high for > 256.
                        let w = (u32::from(c[4]) | (u32::from(c[5]) << 8)) + 1;
                        n.group.push(GroupMember {
                            id: u32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
                            weight: w,
                        });
                    }
                }
                nha::GROUP_TYPE => n.group_type = Some(a.u16()?),
                nha::BLACKHOLE => n.blackhole = true,
                nha::FDB => n.fdb = true,
                nha::OIF => n.oif = Some(a.u32()?),
                nha::GATEWAY => n.gateway = Some(a.ip()?),
                nha::RES_GROUP => {
                    let mut r = Resilient::default();
                    for x in a.nested() {
                        let x = x?;
                        match x.kind() {
                            nha::res::BUCKETS => r.buckets = Some(x.u16()?),
                            nha::res::IDLE_TIMER => r.idle_timer = Some(x.u32()?),
                            nha::res::UNBALANCED_TIMER => r.unbalanced_timer = Some(x.u32()?),
                            _ => {}
                        }
                    }
                    n.resilient = Some(r);
                }
                _ => n.other.push(RawAttr::from_attr(&a)),
            }
        }
        Ok(n)
    }
}

impl fmt::Display for Nexthop {
    /// `id 10 group 1/2,3` or `id 1 via 192.0.2.1 dev 2`, in `ip nexthop` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "id {}", self.id)?;
        if !self.group.is_empty() {
            let g: Vec<String> = self
                .group
                .iter()
                .map(|m| {
                    if m.weight == 1 {
                        m.id.to_string()
                    } else {
                        format!("{},{}", m.id, m.weight)
                    }
                })
                .collect();
            write!(f, " group {}", g.join("/"))?;
        }
        if let Some(g) = self.gateway {
            write!(f, " via {g}")?;
        }
        if let Some(o) = self.oif {
            write!(f, " dev {o}")?;
        }
        if self.blackhole {
            f.write_str(" blackhole")?;
        }
        if self.fdb {
            f.write_str(" fdb")?;
        }
        Ok(())
    }
}

/// What a nexthop object to create is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NexthopKind {
    /// A gateway and/or output interface.
    Gateway {
        /// Gateway.
        gateway: Option<IpAddr>,
        /// Output interface.
        oif: Option<LinkRef>,
        /// On-link gateway.
        onlink: bool,
    },
    /// A blackhole.
    Blackhole,
    /// A group of other nexthops (multipath, or resilient with buckets).
    Group {
        /// Members.
        members: Vec<GroupMember>,
        /// Resilient parameters (resilient group when set).
        resilient: Option<Resilient>,
    },
}

/// A nexthop object to add or replace (`ip nexthop add id N …`).
///
/// ```no_run
/// use linx::rtnl::{NexthopSpec, Rtnl};
/// use linx::rtnl::nexthop::GroupMember;
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// rtnl.add_nexthop(&NexthopSpec::via(1, "192.0.2.1".parse().unwrap(), "br0"))?;
/// rtnl.add_nexthop(&NexthopSpec::via(2, "192.0.2.2".parse().unwrap(), "br0"))?;
/// rtnl.add_nexthop(&NexthopSpec::group(10, vec![
///     GroupMember { id: 1, weight: 1 }, GroupMember { id: 2, weight: 3 }]))?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NexthopSpec {
    /// Id (> 0).
    pub id: u32,
    /// What it is.
    pub kind: NexthopKind,
    /// FDB nexthop (for vxlan).
    pub fdb: bool,
    /// Protocol.
    pub protocol: Option<u8>,
    /// Family for a device-only or blackhole nexthop (default IPv4; groups default to
    /// `AF_UNSPEC`).
    pub family: Option<u8>,
}

impl NexthopSpec {
    /// A nexthop via `gateway` out of `oif`.
    pub fn via(id: u32, gateway: IpAddr, oif: impl Into<LinkRef>) -> NexthopSpec {
        NexthopSpec {
            id,
            kind: NexthopKind::Gateway {
                gateway: Some(gateway),
                oif: Some(oif.into()),
                onlink: false,
            },
            fdb: false,
            protocol: None,
            family: None,
        }
    }

    /// A blackhole nexthop.
    pub fn blackhole(id: u32) -> NexthopSpec {
        NexthopSpec {
            id,
            kind: NexthopKind::Blackhole,
            fdb: false,
            protocol: None,
            family: None,
        }
    }

    /// A multipath group.
    pub fn group(id: u32, members: Vec<GroupMember>) -> NexthopSpec {
        NexthopSpec {
            id,
            kind: NexthopKind::Group {
                members,
                resilient: None,
            },
            fdb: false,
            protocol: None,
            family: None,
        }
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value: id 0; an empty group, a member id 0 or weight outside
    /// 1..=256; a gateway nexthop with neither gateway nor interface; a family contradicting the
    /// gateway.
    pub fn validate(&self) -> Result<()> {
        if self.id == 0 {
            return Err(input("nexthop id", "0", "ids start at 1"));
        }
        match &self.kind {
            NexthopKind::Gateway { gateway, oif, .. } => {
                if gateway.is_none() && oif.is_none() {
                    return Err(input(
                        "nexthop",
                        self.id.to_string(),
                        "needs a gateway or an interface",
                    ));
                }
                if let Some(o) = oif {
                    o.validate("nexthop interface")?;
                }
                if let (Some(g), Some(f)) = (gateway, self.family)
                    && family_of(g) != f
                {
                    return Err(input(
                        "nexthop gateway",
                        g.to_string(),
                        "does not match the family",
                    ));
                }
            }
            NexthopKind::Blackhole => {}
            NexthopKind::Group { members, .. } => {
                if members.is_empty() {
                    return Err(input(
                        "nexthop group",
                        self.id.to_string(),
                        "has no members",
                    ));
                }
                for m in members {
                    if m.id == 0 {
                        return Err(input("nexthop group member", "0", "ids start at 1"));
                    }
                    if !(1..=256).contains(&m.weight) {
                        return Err(input(
                            "nexthop group weight",
                            m.weight.to_string(),
                            "must be in 1..=256",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Builds the request (pure) with the interface resolved.
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(&self, nl_flags: u16, oif: Option<u32>) -> Result<Request> {
        self.validate()?;
        let family = match &self.kind {
            NexthopKind::Gateway { gateway, .. } => gateway
                .map(|g| family_of(&g))
                .or(self.family)
                .unwrap_or(AF_INET),
            // The kernel accepts AF_UNSPEC only for groups.
            NexthopKind::Blackhole => self.family.unwrap_or(AF_INET),
            NexthopKind::Group { .. } => self.family.unwrap_or(AF_UNSPEC),
        };
        let mut h = [0u8; NHMSG_LEN];
        h[0] = family;
        h[2] = self.protocol.unwrap_or(3);
        if let NexthopKind::Gateway { onlink: true, .. } = self.kind {
            h[4..8].copy_from_slice(&u32::from(super::route::RTNH_F_ONLINK).to_ne_bytes());
        }
        let mut b = MsgBuilder::new(RTM_NEWNEXTHOP, nl_flags);
        b.push_header(&h);
        b.attr_u32(nha::ID, self.id);
        match &self.kind {
            NexthopKind::Gateway {
                gateway, oif: o, ..
            } => {
                if let Some(g) = gateway {
                    b.attr_ip(nha::GATEWAY, *g);
                }
                let idx = oif.or(match o {
                    Some(LinkRef::Index(i)) => Some(*i),
                    _ => None,
                });
                if let Some(i) = idx {
                    b.attr_u32(nha::OIF, i);
                }
            }
            NexthopKind::Blackhole => {
                b.attr(nha::BLACKHOLE, &[]);
            }
            NexthopKind::Group { members, resilient } => {
                let mut v = Vec::with_capacity(members.len() * 8);
                for m in members {
                    v.extend_from_slice(&m.id.to_ne_bytes());
                    // weight 1..=256 was checked.
                    v.push((m.weight - 1) as u8);
                    v.extend_from_slice(&[0, 0, 0]);
                }
                b.attr(nha::GROUP, &v);
                if let Some(r) = resilient {
                    b.attr_u16(nha::GROUP_TYPE, GROUP_TYPE_RES);
                    let n = b.begin_nested(nha::RES_GROUP);
                    if let Some(x) = r.buckets {
                        b.attr_u16(nha::res::BUCKETS, x);
                    }
                    if let Some(x) = r.idle_timer {
                        b.attr_u32(nha::res::IDLE_TIMER, x);
                    }
                    if let Some(x) = r.unbalanced_timer {
                        b.attr_u32(nha::res::UNBALANCED_TIMER, x);
                    }
                    b.end_nested(n);
                }
            }
        }
        if self.fdb {
            b.attr(nha::FDB, &[]);
        }
        Ok(Request::new(b, "RTM_NEWNEXTHOP")?.with_attr_namer(attr_path_name))
    }
}

/// Names an attribute path inside an `RTM_*NEXTHOP` request.
pub fn attr_path_name(path: &[u16]) -> String {
    super::common::name_path(path, |t| {
        Some(match t {
            nha::ID => "NHA_ID",
            nha::GROUP => "NHA_GROUP",
            nha::GROUP_TYPE => "NHA_GROUP_TYPE",
            nha::BLACKHOLE => "NHA_BLACKHOLE",
            nha::OIF => "NHA_OIF",
            nha::GATEWAY => "NHA_GATEWAY",
            nha::FDB => "NHA_FDB",
            nha::RES_GROUP => "NHA_RES_GROUP",
            _ => return None,
        })
    })
}

fn id_request(msg_type: u16, id: u32) -> Result<Request> {
    let mut b = MsgBuilder::new(msg_type, 0);
    b.push_header(&[0u8; NHMSG_LEN]);
    b.attr_u32(nha::ID, id);
    let name = if msg_type == RTM_DELNEXTHOP {
        "RTM_DELNEXTHOP"
    } else {
        "RTM_GETNEXTHOP"
    };
    Ok(Request::new(b, name)?.with_attr_namer(attr_path_name))
}

impl Rtnl {
    /// Every nexthop object (an `RTM_GETNEXTHOP` dump).
    ///
    /// # Errors
    /// Dump errors (`EOPNOTSUPP` before Linux 5.3).
    pub fn nexthops(&mut self) -> Result<Vec<Nexthop>> {
        let mut b = MsgBuilder::new(RTM_GETNEXTHOP, 0);
        b.push_header(&[0u8; NHMSG_LEN]);
        let req = Request::new(b, "RTM_GETNEXTHOP")?.with_attr_namer(attr_path_name);
        self.dump_decode(&req, RTM_NEWNEXTHOP, |p| Nexthop::decode(p).map(Some))
    }

    /// One nexthop by id.
    ///
    /// # Errors
    /// `ENOENT` when there is none; input error for id 0.
    pub fn nexthop(&mut self, id: u32) -> Result<Nexthop> {
        if id == 0 {
            return Err(input("nexthop id", "0", "ids start at 1"));
        }
        let msgs = self
            .sock
            .request(&id_request(RTM_GETNEXTHOP, id)?)
            .map_err(|e| e.with_context(|c| c.object = Some(format!("nexthop id {id}"))))?;
        let m = msgs
            .iter()
            .find(|m| m.header.msg_type == RTM_NEWNEXTHOP)
            .ok_or_else(|| {
                Error::protocol(
                    Subsystem::Netlink,
                    ProtocolKind::UnexpectedMessage,
                    "RTM_GETNEXTHOP answered without a nexthop",
                )
            })?;
        Nexthop::decode(&m.payload)
    }

    fn nexthop_op(&mut self, spec: &NexthopSpec, nl_flags: u16) -> Result<()> {
        spec.validate()?;
        let oif = match &spec.kind {
            NexthopKind::Gateway { oif: Some(o), .. } => {
                Some(self.resolve(o, "nexthop interface")?)
            }
            _ => None,
        };
        let req = spec.request(nl_flags, oif)?;
        let id = spec.id;
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(format!("nexthop id {id}"))))
    }

    /// Adds a nexthop object (`EEXIST` when the id is taken).
    ///
    /// # Errors
    /// Input errors of [`NexthopSpec::validate`]; kernel refusals with extended-ack text (e.g.
    /// "Nexthop has invalid gateway").
    pub fn add_nexthop(&mut self, spec: &NexthopSpec) -> Result<()> {
        self.nexthop_op(spec, flags::CREATE | flags::EXCL)
    }

    /// Adds or replaces a nexthop object.
    ///
    /// # Errors
    /// As [`add_nexthop`](Self::add_nexthop).
    pub fn replace_nexthop(&mut self, spec: &NexthopSpec) -> Result<()> {
        self.nexthop_op(spec, flags::CREATE | flags::REPLACE)
    }

    /// Deletes a nexthop object by id (routes using it go too).
    ///
    /// # Errors
    /// `ENOENT` when there is none.
    pub fn delete_nexthop(&mut self, id: u32) -> Result<()> {
        if id == 0 {
            return Err(input("nexthop id", "0", "ids start at 1"));
        }
        self.sock
            .request_ack(&id_request(RTM_DELNEXTHOP, id)?)
            .map_err(|e| e.with_context(|c| c.object = Some(format!("nexthop id {id}"))))
    }
}

/// `true` for families a nexthop can have.
pub fn valid_family(f: u8) -> bool {
    matches!(f, AF_UNSPEC | AF_INET | AF_INET6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_29_group_round_trip_and_validation() {
        let spec = NexthopSpec::group(
            10,
            vec![
                GroupMember { id: 1, weight: 1 },
                GroupMember { id: 2, weight: 256 },
            ],
        );
        let req = spec.request(flags::CREATE | flags::EXCL, None).unwrap();
        let n = Nexthop::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(n.id, 10);
        assert_eq!(
            n.group,
            vec![
                GroupMember { id: 1, weight: 1 },
                GroupMember { id: 2, weight: 256 }
            ]
        );
        assert_eq!(n.to_string(), "id 10 group 1/2,256");
        assert!(NexthopSpec::group(10, vec![]).validate().is_err());
        assert!(
            NexthopSpec::group(10, vec![GroupMember { id: 1, weight: 0 }])
                .validate()
                .is_err()
        );
        assert!(NexthopSpec::blackhole(0).validate().unwrap_err().is_input());
        let v = NexthopSpec::via(1, "192.0.2.1".parse().unwrap(), 3u32);
        let n = Nexthop::decode(&v.request(0, None).unwrap().bytes()[16..]).unwrap();
        assert_eq!((n.family, n.oif), (AF_INET, Some(3)));
        assert!(valid_family(AF_INET6));
    }
}
