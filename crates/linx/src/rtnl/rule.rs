//! Policy routing rules: `RTM_NEWRULE`, `RTM_DELRULE`, `RTM_GETRULE` (`fib_rule_hdr` +
//! `FRA_*`).
//!
//! See [ip-rule(8)](https://man7.org/linux/man-pages/man8/ip-rule.8.html).

use std::fmt;
use std::net::IpAddr;

use crate::error::Result;
use crate::netlink::Request;
use crate::netlink::wire::{self, Attr, MsgBuilder, RawAttr, flags};
use crate::types::Prefix;

use super::common::{AF_INET, AF_INET6, AF_UNSPEC, check_ifname, family_of, input, malformed};
use super::route::{table, table_name};
use super::{RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE, Rtnl};

/// Size of `struct fib_rule_hdr`.
pub const FIB_RULE_HDR_LEN: usize = 12;

/// `FRA_*` attribute numbers.
#[allow(missing_docs)]
pub mod fra {
    pub const DST: u16 = 1;
    pub const SRC: u16 = 2;
    pub const IIFNAME: u16 = 3;
    pub const GOTO: u16 = 4;
    pub const PRIORITY: u16 = 6;
    pub const FWMARK: u16 = 10;
    pub const FLOW: u16 = 11;
    pub const TUN_ID: u16 = 12;
    pub const SUPPRESS_IFGROUP: u16 = 13;
    pub const SUPPRESS_PREFIXLEN: u16 = 14;
    pub const TABLE: u16 = 15;
    pub const FWMASK: u16 = 16;
    pub const OIFNAME: u16 = 17;
    pub const L3MDEV: u16 = 19;
    pub const UID_RANGE: u16 = 20;
    pub const PROTOCOL: u16 = 21;
    pub const IP_PROTO: u16 = 22;
    pub const SPORT_RANGE: u16 = 23;
    pub const DPORT_RANGE: u16 = 24;
}

/// `FIB_RULE_INVERT`: the selector is negated (`not`).
pub const FIB_RULE_INVERT: u32 = 0x2;

/// A rule action (`FR_ACT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RuleAction(pub u8);

impl RuleAction {
    /// `FR_ACT_TO_TBL` (1): look up a table (needs a table).
    pub const TO_TABLE: RuleAction = RuleAction(1);
    /// `FR_ACT_GOTO` (2): jump to another rule.
    pub const GOTO: RuleAction = RuleAction(2);
    /// `FR_ACT_NOP` (3).
    pub const NOP: RuleAction = RuleAction(3);
    /// `FR_ACT_BLACKHOLE` (6).
    pub const BLACKHOLE: RuleAction = RuleAction(6);
    /// `FR_ACT_UNREACHABLE` (7).
    pub const UNREACHABLE: RuleAction = RuleAction(7);
    /// `FR_ACT_PROHIBIT` (8).
    pub const PROHIBIT: RuleAction = RuleAction(8);

    /// The iproute2 word.
    pub fn name(self) -> String {
        match self.0 {
            1 => "lookup".into(),
            2 => "goto".into(),
            3 => "nop".into(),
            6 => "blackhole".into(),
            7 => "unreachable".into(),
            8 => "prohibit".into(),
            n => format!("action {n}"),
        }
    }
}

/// A policy rule as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// Destination prefix length.
    pub dst_len: u8,
    /// Source prefix length.
    pub src_len: u8,
    /// TOS.
    pub tos: u8,
    /// Table (`FRA_TABLE` wins over the header byte).
    pub table: u32,
    /// Action.
    pub action: RuleAction,
    /// `FIB_RULE_*` flags (invert 0x2 …).
    pub flags: u32,
    /// Source prefix address.
    pub src: Option<IpAddr>,
    /// Destination prefix address.
    pub dst: Option<IpAddr>,
    /// Input interface name.
    pub iif: Option<String>,
    /// Output interface name.
    pub oif: Option<String>,
    /// Goto target priority.
    pub goto: Option<u32>,
    /// Priority.
    pub priority: Option<u32>,
    /// Firewall mark.
    pub fwmark: Option<u32>,
    /// Firewall mark mask.
    pub fwmask: Option<u32>,
    /// Suppress routes with a prefix length ≤ this.
    pub suppress_prefixlen: Option<i32>,
    /// Suppress routes via this interface group.
    pub suppress_ifgroup: Option<u32>,
    /// l3mdev rule.
    pub l3mdev: Option<u8>,
    /// UID range.
    pub uid_range: Option<(u32, u32)>,
    /// Protocol that installed the rule.
    pub protocol: Option<u8>,
    /// IP protocol selector.
    pub ip_proto: Option<u8>,
    /// Source port range.
    pub sport_range: Option<(u16, u16)>,
    /// Destination port range.
    pub dport_range: Option<(u16, u16)>,
    /// Attributes linx does not model, raw.
    pub other: Vec<RawAttr>,
}

fn range32(a: &Attr<'_>) -> Result<(u32, u32)> {
    let p = a.payload;
    if p.len() != 8 {
        return Err(malformed(format!("uid range of {} bytes", p.len())));
    }
    Ok((
        u32::from_ne_bytes([p[0], p[1], p[2], p[3]]),
        u32::from_ne_bytes([p[4], p[5], p[6], p[7]]),
    ))
}

fn range16(a: &Attr<'_>) -> Result<(u16, u16)> {
    let p = a.payload;
    if p.len() != 4 {
        return Err(malformed(format!("port range of {} bytes", p.len())));
    }
    Ok((
        u16::from_ne_bytes([p[0], p[1]]),
        u16::from_ne_bytes([p[2], p[3]]),
    ))
}

impl Rule {
    /// Decodes the payload of an `RTM_NEWRULE`/`RTM_DELRULE` message.
    ///
    /// # Errors
    /// Protocol errors for a short header or malformed attributes.
    pub fn decode(payload: &[u8]) -> Result<Rule> {
        let h = payload
            .get(..FIB_RULE_HDR_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWRULE", payload.len(), 12))?;
        let mut r = Rule {
            family: h[0],
            dst_len: h[1],
            src_len: h[2],
            tos: h[3],
            table: u32::from(h[4]),
            action: RuleAction(h[7]),
            flags: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            ..Rule::default()
        };
        for a in wire::attrs(&payload[FIB_RULE_HDR_LEN..]) {
            let a = a?;
            match a.kind() {
                fra::SRC => r.src = Some(super::common::addr_of_family(&a, r.family, "FRA_SRC")?),
                fra::DST => r.dst = Some(super::common::addr_of_family(&a, r.family, "FRA_DST")?),
                fra::IIFNAME => r.iif = Some(a.str()?.to_owned()),
                fra::OIFNAME => r.oif = Some(a.str()?.to_owned()),
                fra::GOTO => r.goto = Some(a.u32()?),
                fra::PRIORITY => r.priority = Some(a.u32()?),
                fra::FWMARK => r.fwmark = Some(a.u32()?),
                fra::FWMASK => r.fwmask = Some(a.u32()?),
                fra::TABLE => r.table = a.u32()?,
                fra::SUPPRESS_PREFIXLEN => r.suppress_prefixlen = Some(a.i32()?),
                fra::SUPPRESS_IFGROUP => r.suppress_ifgroup = Some(a.u32()?),
                fra::L3MDEV => r.l3mdev = Some(a.u8()?),
                fra::UID_RANGE => r.uid_range = Some(range32(&a)?),
                fra::PROTOCOL => r.protocol = Some(a.u8()?),
                fra::IP_PROTO => r.ip_proto = Some(a.u8()?),
                fra::SPORT_RANGE => r.sport_range = Some(range16(&a)?),
                fra::DPORT_RANGE => r.dport_range = Some(range16(&a)?),
                _ => r.other.push(RawAttr::from_attr(&a)),
            }
        }
        Ok(r)
    }

    /// True when the selector is negated.
    pub fn is_inverted(&self) -> bool {
        self.flags & FIB_RULE_INVERT != 0
    }
}

impl fmt::Display for Rule {
    /// `1000: from 203.0.113.0/24 lookup 100`, in `ip rule` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.priority.unwrap_or(0))?;
        if self.is_inverted() {
            f.write_str(" not")?;
        }
        match self.src {
            Some(s) if self.src_len > 0 => write!(f, " from {s}/{}", self.src_len)?,
            _ => f.write_str(" from all")?,
        }
        if let Some(d) = self.dst {
            write!(f, " to {d}/{}", self.dst_len)?;
        }
        if let Some(m) = self.fwmark {
            write!(f, " fwmark {m:#x}")?;
            if let Some(mask) = self.fwmask.filter(|m| *m != u32::MAX) {
                write!(f, "/{mask:#x}")?;
            }
        }
        if let Some(i) = &self.iif {
            write!(f, " iif {i}")?;
        }
        if let Some(o) = &self.oif {
            write!(f, " oif {o}")?;
        }
        if let Some((a, b)) = self.uid_range {
            write!(f, " uidrange {a}-{b}")?;
        }
        if let Some(p) = self.ip_proto {
            write!(f, " ipproto {}", ip_proto_name(p))?;
        }
        if let Some((a, b)) = self.sport_range {
            write!(f, " sport {a}-{b}")?;
        }
        if let Some((a, b)) = self.dport_range {
            write!(f, " dport {a}-{b}")?;
        }
        match self.action {
            RuleAction::TO_TABLE => write!(f, " lookup {}", table_name(self.table))?,
            RuleAction::GOTO => write!(f, " goto {}", self.goto.unwrap_or(0))?,
            a => write!(f, " {}", a.name())?,
        }
        Ok(())
    }
}

/// The name iproute2 (via `/etc/protocols`) prints for common IP protocol numbers.
pub fn ip_proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        2 => "igmp".into(),
        4 => "ipencap".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        41 => "ipv6".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        51 => "ah".into(),
        58 => "ipv6-icmp".into(),
        89 => "ospf".into(),
        103 => "pim".into(),
        112 => "vrrp".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        n => format!("ipproto-{n}"),
    }
}

/// A rule to add or delete (`ip rule add|del …`).
///
/// The family comes from the prefixes (IPv4 when there are none); a bare address is a
/// full-length prefix.
///
/// ```no_run
/// use linx::rtnl::{Rtnl, RuleSpec};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// rtnl.add_rule(&RuleSpec::new().from("203.0.113.0/24".parse()?).table(100).priority(1000))?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleSpec {
    /// Family (`AF_INET`/`AF_INET6`); derived from the prefixes when `None`.
    pub family: Option<u8>,
    /// Source prefix.
    pub src: Option<Prefix>,
    /// Destination prefix.
    pub dst: Option<Prefix>,
    /// TOS.
    pub tos: u8,
    /// Firewall mark and optional mask.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// Priority.
    pub priority: Option<u32>,
    /// Table (required for the to-table action).
    pub table: Option<u32>,
    /// Action (default to-table).
    pub action: Option<RuleAction>,
    /// Goto target (for the goto action).
    pub goto: Option<u32>,
    /// Input interface name.
    pub iif: Option<String>,
    /// Output interface name.
    pub oif: Option<String>,
    /// UID range (inclusive).
    pub uid_range: Option<(u32, u32)>,
    /// Protocol.
    pub protocol: Option<u8>,
    /// IP protocol selector.
    pub ip_proto: Option<u8>,
    /// Source port range.
    pub sport_range: Option<(u16, u16)>,
    /// Destination port range.
    pub dport_range: Option<(u16, u16)>,
    /// l3mdev rule.
    pub l3mdev: bool,
    /// Suppress prefix length.
    pub suppress_prefixlen: Option<i32>,
    /// Suppress interface group.
    pub suppress_ifgroup: Option<u32>,
    /// Negate the selector.
    pub invert: bool,
}

impl RuleSpec {
    /// An empty rule.
    pub fn new() -> RuleSpec {
        RuleSpec::default()
    }

    /// Sets the source prefix.
    pub fn from(mut self, p: Prefix) -> Self {
        self.src = Some(p);
        self
    }

    /// Sets the destination prefix.
    pub fn to(mut self, p: Prefix) -> Self {
        self.dst = Some(p);
        self
    }

    /// Sets the table.
    pub fn table(mut self, t: u32) -> Self {
        self.table = Some(t);
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, p: u32) -> Self {
        self.priority = Some(p);
        self
    }

    /// Sets the firewall mark (and mask).
    pub fn fwmark(mut self, mark: u32, mask: Option<u32>) -> Self {
        self.fwmark = Some((mark, mask));
        self
    }

    /// Sets the input interface.
    pub fn iif(mut self, name: &str) -> Self {
        self.iif = Some(name.to_owned());
        self
    }

    /// Sets the output interface.
    pub fn oif(mut self, name: &str) -> Self {
        self.oif = Some(name.to_owned());
        self
    }

    /// Sets the action.
    pub fn action(mut self, a: RuleAction) -> Self {
        self.action = Some(a);
        self
    }

    /// Sets the uid range.
    pub fn uid_range(mut self, start: u32, end: u32) -> Self {
        self.uid_range = Some((start, end));
        self
    }

    /// Sets the destination port range.
    pub fn dport_range(mut self, start: u16, end: u16) -> Self {
        self.dport_range = Some((start, end));
        self
    }

    /// Sets the IP protocol.
    pub fn ip_proto(mut self, p: u8) -> Self {
        self.ip_proto = Some(p);
        self
    }

    /// The family this rule uses.
    ///
    /// # Errors
    /// Input error when the prefixes mix families or contradict `family`.
    pub fn resolved_family(&self) -> Result<u8> {
        let mut fam = self.family;
        for p in [&self.src, &self.dst].into_iter().flatten() {
            let f = family_of(&p.addr());
            match fam {
                Some(x) if x != f => {
                    return Err(input(
                        "rule prefix",
                        p.to_string(),
                        format!(
                            "is {} but the rule is {}",
                            super::common::family_name(f),
                            super::common::family_name(x)
                        ),
                    ));
                }
                _ => fam = Some(f),
            }
        }
        Ok(fam.unwrap_or(AF_INET))
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value: the to-table action without a table (or with table 0);
    /// mixed families; invalid interface names; reversed ranges; goto without a target.
    pub fn validate(&self, deleting: bool) -> Result<()> {
        let fam = self.resolved_family()?;
        if !matches!(fam, AF_INET | AF_INET6) {
            return Err(input("rule family", fam.to_string(), "expected 2 or 10"));
        }
        let action = self.action.unwrap_or(RuleAction::TO_TABLE);
        if self.table == Some(0) {
            return Err(input("routing table", "0", "table 0 is invalid"));
        }
        if action == RuleAction::TO_TABLE && self.table.is_none() && !deleting && !self.l3mdev {
            return Err(input(
                "rule table",
                "none",
                "the to-table (lookup) action needs a table",
            ));
        }
        if action == RuleAction::GOTO && self.goto.is_none() && !deleting {
            return Err(input(
                "rule goto",
                "none",
                "the goto action needs a target priority",
            ));
        }
        if let Some(i) = &self.iif {
            check_ifname("rule iif", i)?;
        }
        if let Some(o) = &self.oif {
            check_ifname("rule oif", o)?;
        }
        if let Some((a, b)) = self.uid_range
            && a > b
        {
            return Err(input("uid range", format!("{a}-{b}"), "start is above end"));
        }
        for (what, r) in [
            ("source port range", self.sport_range),
            ("destination port range", self.dport_range),
        ] {
            if let Some((a, b)) = r
                && a > b
            {
                return Err(input(what, format!("{a}-{b}"), "start is above end"));
            }
        }
        Ok(())
    }

    /// Builds the request (pure).
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(&self, msg_type: u16, nl_flags: u16) -> Result<Request> {
        let deleting = msg_type == RTM_DELRULE;
        self.validate(deleting)?;
        let fam = self.resolved_family()?;
        let action = self.action.unwrap_or(if deleting && self.table.is_none() {
            RuleAction(0)
        } else {
            RuleAction::TO_TABLE
        });
        let mut h = [0u8; FIB_RULE_HDR_LEN];
        h[0] = fam;
        h[1] = self.dst.map_or(0, |p| p.len());
        h[2] = self.src.map_or(0, |p| p.len());
        h[3] = self.tos;
        h[4] = match self.table {
            Some(t) if t < 256 => t as u8,
            _ => table::UNSPEC as u8,
        };
        h[7] = action.0;
        let fl = if self.invert { FIB_RULE_INVERT } else { 0 };
        h[8..12].copy_from_slice(&fl.to_ne_bytes());
        let mut b = MsgBuilder::new(msg_type, nl_flags);
        b.push_header(&h);
        if let Some(p) = self.priority {
            b.attr_u32(fra::PRIORITY, p);
        }
        if let Some(s) = &self.src {
            b.attr_ip(fra::SRC, s.addr());
        }
        if let Some(d) = &self.dst {
            b.attr_ip(fra::DST, d.addr());
        }
        if let Some((m, mask)) = self.fwmark {
            b.attr_u32(fra::FWMARK, m);
            if let Some(mask) = mask {
                b.attr_u32(fra::FWMASK, mask);
            }
        }
        if let Some(t) = self.table {
            b.attr_u32(fra::TABLE, t);
        }
        if let Some(g) = self.goto {
            b.attr_u32(fra::GOTO, g);
        }
        if let Some(i) = &self.iif {
            b.attr_str(fra::IIFNAME, i);
        }
        if let Some(o) = &self.oif {
            b.attr_str(fra::OIFNAME, o);
        }
        if let Some((a, z)) = self.uid_range {
            let mut v = a.to_ne_bytes().to_vec();
            v.extend_from_slice(&z.to_ne_bytes());
            b.attr(fra::UID_RANGE, &v);
        }
        if let Some(p) = self.protocol {
            b.attr_u8(fra::PROTOCOL, p);
        }
        if let Some(p) = self.ip_proto {
            b.attr_u8(fra::IP_PROTO, p);
        }
        for (t, r) in [
            (fra::SPORT_RANGE, self.sport_range),
            (fra::DPORT_RANGE, self.dport_range),
        ] {
            if let Some((a, z)) = r {
                let mut v = a.to_ne_bytes().to_vec();
                v.extend_from_slice(&z.to_ne_bytes());
                b.attr(t, &v);
            }
        }
        if self.l3mdev {
            b.attr_u8(fra::L3MDEV, 1);
        }
        if let Some(s) = self.suppress_prefixlen {
            b.attr(fra::SUPPRESS_PREFIXLEN, &s.to_ne_bytes());
        }
        if let Some(g) = self.suppress_ifgroup {
            b.attr_u32(fra::SUPPRESS_IFGROUP, g);
        }
        let name = if deleting {
            "RTM_DELRULE"
        } else {
            "RTM_NEWRULE"
        };
        Ok(Request::new(b, name)?.with_attr_namer(attr_path_name))
    }
}

/// Names an attribute path inside an `RTM_*RULE` request.
pub fn attr_path_name(path: &[u16]) -> String {
    super::common::name_path(path, |t| {
        Some(match t {
            fra::DST => "FRA_DST",
            fra::SRC => "FRA_SRC",
            fra::IIFNAME => "FRA_IIFNAME",
            fra::GOTO => "FRA_GOTO",
            fra::PRIORITY => "FRA_PRIORITY",
            fra::FWMARK => "FRA_FWMARK",
            fra::TABLE => "FRA_TABLE",
            fra::FWMASK => "FRA_FWMASK",
            fra::OIFNAME => "FRA_OIFNAME",
            fra::UID_RANGE => "FRA_UID_RANGE",
            fra::PROTOCOL => "FRA_PROTOCOL",
            fra::IP_PROTO => "FRA_IP_PROTO",
            fra::SPORT_RANGE => "FRA_SPORT_RANGE",
            fra::DPORT_RANGE => "FRA_DPORT_RANGE",
            _ => return None,
        })
    })
}

impl Rtnl {
    /// Every rule of both families (an `RTM_GETRULE` dump).
    ///
    /// # Errors
    /// Dump errors; protocol errors for malformed replies.
    pub fn rules(&mut self) -> Result<Vec<Rule>> {
        self.rules_of(AF_UNSPEC)
    }

    /// Rules of one family (`AF_INET` 2, `AF_INET6` 10, or 0 for both).
    ///
    /// # Errors
    /// Input error for another family; dump errors.
    pub fn rules_of(&mut self, family: u8) -> Result<Vec<Rule>> {
        if !matches!(family, AF_UNSPEC | AF_INET | AF_INET6) {
            return Err(input(
                "rule family",
                family.to_string(),
                "expected 0, 2 or 10",
            ));
        }
        let mut h = [0u8; FIB_RULE_HDR_LEN];
        h[0] = family;
        let mut b = MsgBuilder::new(RTM_GETRULE, 0);
        b.push_header(&h);
        let req = Request::new(b, "RTM_GETRULE")?.with_attr_namer(attr_path_name);
        self.dump_decode(&req, RTM_NEWRULE, |p| {
            let fam = p.first().copied().unwrap_or(0);
            if fam != AF_INET && fam != AF_INET6 {
                return Ok(None);
            }
            Rule::decode(p).map(Some)
        })
    }

    fn rule_op(&mut self, spec: &RuleSpec, msg_type: u16, nl_flags: u16) -> Result<()> {
        let req = spec.request(msg_type, nl_flags)?;
        let object = match spec.priority {
            Some(p) => format!("rule priority {p}"),
            None => "rule".to_owned(),
        };
        self.sock
            .request_ack(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(object)))
    }

    /// Adds a rule (`NLM_F_CREATE | NLM_F_EXCL`; a duplicate gives `EEXIST`).
    ///
    /// # Errors
    /// Input errors of [`RuleSpec::validate`]; kernel refusals.
    pub fn add_rule(&mut self, spec: &RuleSpec) -> Result<()> {
        self.rule_op(spec, RTM_NEWRULE, flags::CREATE | flags::EXCL)
    }

    /// Deletes the first rule matching every selector set in `spec`.
    ///
    /// # Errors
    /// `ENOENT` when none matches.
    pub fn delete_rule(&mut self, spec: &RuleSpec) -> Result<()> {
        self.rule_op(spec, RTM_DELRULE, 0)
    }

    /// Deletes a rule exactly as a dump reported it.
    ///
    /// # Errors
    /// `ENOENT` when it is gone.
    pub fn delete_observed_rule(&mut self, r: &Rule) -> Result<()> {
        let spec = RuleSpec {
            family: Some(r.family),
            src: r
                .src
                .and_then(|a| Prefix::new_truncating(a, r.src_len).ok()),
            dst: r
                .dst
                .and_then(|a| Prefix::new_truncating(a, r.dst_len).ok()),
            tos: r.tos,
            fwmark: r.fwmark.map(|m| (m, r.fwmask)),
            priority: r.priority,
            table: (r.table != 0).then_some(r.table),
            action: Some(r.action),
            goto: r.goto,
            iif: r.iif.clone(),
            oif: r.oif.clone(),
            uid_range: r.uid_range,
            protocol: r.protocol,
            ip_proto: r.ip_proto,
            sport_range: r.sport_range,
            dport_range: r.dport_range,
            l3mdev: r.l3mdev.is_some_and(|v| v != 0),
            suppress_prefixlen: r.suppress_prefixlen.filter(|v| *v >= 0),
            suppress_ifgroup: r.suppress_ifgroup.filter(|v| *v != u32::MAX),
            invert: r.is_inverted(),
        };
        self.delete_rule(&spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_33_request_round_trip() {
        let spec = RuleSpec::new()
            .from("203.0.113.0/24".parse().unwrap())
            .table(100)
            .priority(1000)
            .fwmark(0x10, Some(0xff))
            .uid_range(100, 200)
            .dport_range(80, 90)
            .ip_proto(6)
            .iif("br0");
        let req = spec
            .request(RTM_NEWRULE, flags::CREATE | flags::EXCL)
            .unwrap();
        let r = Rule::decode(&req.bytes()[16..]).unwrap();
        assert_eq!(r.family, AF_INET);
        assert_eq!((r.src_len, r.table, r.priority), (24, 100, Some(1000)));
        assert_eq!((r.fwmark, r.fwmask), (Some(0x10), Some(0xff)));
        assert_eq!(r.uid_range, Some((100, 200)));
        assert_eq!(r.dport_range, Some((80, 90)));
        assert_eq!(r.action, RuleAction::TO_TABLE);
        assert_eq!(
            r.to_string(),
            "1000: from 203.0.113.0/24 fwmark 0x10/0xff iif br0 uidrange 100-200 ipproto tcp dport 80-90 lookup 100"
        );
        // Tables above 255 travel in FRA_TABLE only.
        let r = Rule::decode(
            &RuleSpec::new()
                .table(1000)
                .request(RTM_NEWRULE, 0)
                .unwrap()
                .bytes()[16..],
        )
        .unwrap();
        assert_eq!(r.table, 1000);
    }

    #[test]
    fn rt_33_input_errors() {
        let e = RuleSpec::new().priority(5).validate(false).unwrap_err();
        assert!(e.is_input() && e.to_string().contains("table"), "{e}");
        let e = RuleSpec::new()
            .from("10.0.0.0/8".parse().unwrap())
            .to("2001:db8::/32".parse().unwrap())
            .table(1)
            .validate(false)
            .unwrap_err();
        assert!(e.to_string().contains("2001:db8::/32"), "{e}");
        assert!(RuleSpec::new().table(0).validate(false).is_err());
        assert!(
            RuleSpec::new()
                .table(1)
                .dport_range(90, 80)
                .validate(false)
                .is_err()
        );
        RuleSpec::new().priority(5).validate(true).unwrap();
        let six = RuleSpec::new()
            .from("2001:db8::/32".parse().unwrap())
            .table(1);
        assert_eq!(six.resolved_family().unwrap(), AF_INET6);
    }
}
