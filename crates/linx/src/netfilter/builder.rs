//! A Rust builder for rules, for people who do not want nft text (NF-42).
//!
//! Typed matchers lower to the expression sequences nft emits, **including nft's implicit
//! dependencies**: a transport match loads and checks `meta l4proto` first; an `ip`/`ip6` match in
//! an inet table checks `meta nfproto` (in bridge and netdev tables `meta protocol`); `ct state`
//! sets become a host-order bit test. Byte order follows the kernel: ports and addresses
//! big-endian, marks and ct states in host order.
//!
//! ```
//! use linx::netfilter::builder::{ct, ip, meta, tcp, CtState, RuleBuilder};
//! use linx::netfilter::Family;
//! let rule = RuleBuilder::new(Family::Inet)
//!     .matches(ct().state(CtState::ESTABLISHED | CtState::RELATED))
//!     .accept();
//! assert_eq!(rule.exprs.len(), 4);
//! let ssh = RuleBuilder::new(Family::Inet)
//!     .matches(ip().saddr_in("office"))
//!     .matches(tcp().dport(22))
//!     .counter()
//!     .accept();
//! // meta nfproto ipv4, ip saddr @office, meta l4proto tcp, tcp dport 22, counter, accept
//! assert_eq!(ssh.exprs.len(), 10);
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::expr::{
    Bitwise, Cmp, CmpOp, Ct, CtKey, Data, Expr, Immediate, Limit, Log, Lookup, Meta, MetaKey,
    MetaSet, Nat, NatKind, Payload, PayloadBase, Range, RangeOp, Reg, Reject, RejectKind, Verdict,
};
use super::model::{Family, Rule};
use crate::error::Result;
use crate::types::Prefix;

bitflags::bitflags! {
    /// Conntrack states (`ct state`), as the kernel's host-order bit mask.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct CtState: u32 {
        /// `invalid`.
        const INVALID = 1;
        /// `established`.
        const ESTABLISHED = 2;
        /// `related`.
        const RELATED = 4;
        /// `new`.
        const NEW = 8;
        /// `untracked`.
        const UNTRACKED = 64;
    }
}

bitflags::bitflags! {
    /// Conntrack status bits (`ct status`), as the kernel's host-order bit mask
    /// (`IPS_*` of `linux/netfilter/nf_conntrack_common.h`; the ones nft names).
    ///
    /// ```
    /// use linx::netfilter::builder::CtStatus;
    /// assert_eq!((CtStatus::SNAT | CtStatus::DNAT).bits(), 0x30);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct CtStatus: u32 {
        /// `expected`: the connection was expected by a helper.
        const EXPECTED = 1;
        /// `seen-reply`: packets were seen in both directions.
        const SEEN_REPLY = 2;
        /// `assured`.
        const ASSURED = 4;
        /// `confirmed`: the entry is in the conntrack table.
        const CONFIRMED = 8;
        /// `snat`: source NAT applies.
        const SNAT = 0x10;
        /// `dnat`: destination NAT applies.
        const DNAT = 0x20;
        /// `dying`: the entry is being removed.
        const DYING = 0x200;
    }
}

bitflags::bitflags! {
    /// TCP header flags (`tcp flags`), bit 0 = FIN as on the wire.
    ///
    /// ```
    /// use linx::netfilter::builder::TcpFlags;
    /// assert_eq!((TcpFlags::SYN | TcpFlags::ACK).bits(), 0x12);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct TcpFlags: u8 {
        /// `fin`.
        const FIN = 0x01;
        /// `syn`.
        const SYN = 0x02;
        /// `rst`.
        const RST = 0x04;
        /// `psh`.
        const PSH = 0x08;
        /// `ack`.
        const ACK = 0x10;
        /// `urg`.
        const URG = 0x20;
        /// `ecn` (ECE).
        const ECN = 0x40;
        /// `cwr`.
        const CWR = 0x80;
    }
}

/// The direction of a packet in its connection (`ct direction`; `IP_CT_DIR_*`).
///
/// ```
/// assert_eq!(linx::netfilter::builder::CtDirection::Reply as u8, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CtDirection {
    /// `original`: from the side that opened the connection.
    Original = 0,
    /// `reply`.
    Reply = 1,
}

/// The link-layer class of a packet (`meta pkttype`; `PACKET_*` of `linux/if_packet.h`).
///
/// ```
/// assert_eq!(linx::netfilter::builder::PktType::Multicast as u8, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PktType {
    /// `host`: addressed to this host.
    Host = 0,
    /// `broadcast`.
    Broadcast = 1,
    /// `multicast`.
    Multicast = 2,
    /// `other`: addressed to another host.
    Other = 3,
}

/// Protocol context a match needs before its own expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dep {
    /// IPv4 network header.
    Ip4,
    /// IPv6 network header.
    Ip6,
    /// A transport protocol number.
    L4(u8),
}

/// A typed match, lowered to expressions by [`RuleBuilder::matches`].
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    deps: Vec<Dep>,
    exprs: Vec<Expr>,
}

impl Match {
    fn new(deps: Vec<Dep>, exprs: Vec<Expr>) -> Match {
        Match { deps, exprs }
    }
}

fn load(base: PayloadBase, offset: u32, len: u32) -> Expr {
    Expr::Payload(Payload {
        dreg: Reg::R1,
        base,
        offset,
        len,
    })
}

fn eq(data: Data) -> Expr {
    Expr::Cmp(Cmp {
        sreg: Reg::R1,
        op: CmpOp::Eq,
        data,
    })
}

fn lookup(set: &str) -> Expr {
    Expr::Lookup(Lookup::set(set, Reg::R1))
}

/// Transport header matches (`tcp`, `udp`, any L4 with ports).
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    proto: u8,
}

/// `tcp …`.
pub fn tcp() -> Transport {
    Transport { proto: 6 }
}

/// `udp …`.
pub fn udp() -> Transport {
    Transport { proto: 17 }
}

impl Transport {
    fn port(self, off: u32, exprs: Vec<Expr>) -> Match {
        let mut v = vec![load(PayloadBase::Transport, off, 2)];
        v.extend(exprs);
        Match::new(vec![Dep::L4(self.proto)], v)
    }
    /// `dport N`.
    pub fn dport(self, p: u16) -> Match {
        self.port(2, vec![eq(Data::be16(p))])
    }
    /// `sport N`.
    pub fn sport(self, p: u16) -> Match {
        self.port(0, vec![eq(Data::be16(p))])
    }
    /// `dport A-B`, lowered as nft 1.0.6 does: `cmp gte A` + `cmp lte B`.
    pub fn dport_range(self, a: u16, b: u16) -> Match {
        self.port(
            2,
            vec![
                Expr::Cmp(Cmp {
                    sreg: Reg::R1,
                    op: CmpOp::Gte,
                    data: Data::be16(a),
                }),
                Expr::Cmp(Cmp {
                    sreg: Reg::R1,
                    op: CmpOp::Lte,
                    data: Data::be16(b),
                }),
            ],
        )
    }

    /// `dport != A-B`: the `range` expression with `neq`, as nft lowers it.
    pub fn dport_not_range(self, a: u16, b: u16) -> Match {
        self.port(
            2,
            vec![Expr::Range(Range {
                sreg: Reg::R1,
                op: RangeOp::Neq,
                from: Data::be16(a),
                to: Data::be16(b),
            })],
        )
    }
    /// `dport @set`.
    pub fn dport_in(self, set: &str) -> Match {
        self.port(2, vec![lookup(set)])
    }
    /// The L4 protocol dependency alone (`meta l4proto tcp`).
    pub fn any(self) -> Match {
        Match::new(vec![Dep::L4(self.proto)], Vec::new())
    }
    /// `tcp flags & mask == value` (a bit test `!= 0` when `value` is `None`).
    pub fn flags(self, mask: u8, value: Option<u8>) -> Match {
        let mut v = vec![load(PayloadBase::Transport, 13, 1)];
        v.push(Expr::Bitwise(Bitwise::mask_xor(
            Reg::R1,
            Data::u8(mask),
            Data::u8(0),
        )));
        v.push(match value {
            Some(x) => eq(Data::u8(x)),
            None => Expr::Cmp(Cmp {
                sreg: Reg::R1,
                op: CmpOp::Neq,
                data: Data::u8(0),
            }),
        });
        Match::new(vec![Dep::L4(self.proto)], v)
    }
}

/// Network header matches (`ip`, `ip6`).
#[derive(Debug, Clone, Copy)]
pub struct Network {
    v6: bool,
}

/// `ip …`.
pub fn ip() -> Network {
    Network { v6: false }
}

/// `ip6 …`.
pub fn ip6() -> Network {
    Network { v6: true }
}

impl Network {
    fn dep(self) -> Vec<Dep> {
        vec![if self.v6 { Dep::Ip6 } else { Dep::Ip4 }]
    }
    fn addr_off(self, src: bool) -> (u32, u32) {
        match (self.v6, src) {
            (false, true) => (12, 4),
            (false, false) => (16, 4),
            (true, true) => (8, 16),
            (true, false) => (24, 16),
        }
    }
    fn addr(self, src: bool, a: IpAddr) -> Match {
        let (off, len) = self.addr_off(src);
        Match::new(
            self.dep(),
            vec![load(PayloadBase::Network, off, len), eq(Data::ip(a))],
        )
    }
    fn prefix(self, src: bool, p: Prefix) -> Match {
        let (off, len) = self.addr_off(src);
        let plen = u32::from(p.len());
        let net = Data::ip(p.first());
        if plen % 8 == 0 {
            // nft loads only the prefix bytes.
            let n = (plen / 8).max(1);
            return Match::new(
                self.dep(),
                vec![
                    load(PayloadBase::Network, off, n),
                    eq(Data(net.0[..n as usize].to_vec())),
                ],
            );
        }
        let mask: Vec<u8> = (0..len)
            .map(|i| {
                let bits = plen.saturating_sub(i * 8).min(8);
                (0xffu16 << (8 - bits)) as u8
            })
            .collect();
        Match::new(
            self.dep(),
            vec![
                load(PayloadBase::Network, off, len),
                Expr::Bitwise(Bitwise::mask_xor(
                    Reg::R1,
                    Data(mask),
                    Data(vec![0; len as usize]),
                )),
                eq(net),
            ],
        )
    }
    /// `saddr A`.
    pub fn saddr(self, a: impl Into<IpAddr>) -> Match {
        self.addr(true, a.into())
    }
    /// `daddr A`.
    pub fn daddr(self, a: impl Into<IpAddr>) -> Match {
        self.addr(false, a.into())
    }
    /// `saddr P/len`.
    pub fn saddr_prefix(self, p: Prefix) -> Match {
        self.prefix(true, p)
    }
    /// `daddr P/len`.
    pub fn daddr_prefix(self, p: Prefix) -> Match {
        self.prefix(false, p)
    }
    /// `saddr @set`.
    pub fn saddr_in(self, set: &str) -> Match {
        let (off, len) = self.addr_off(true);
        Match::new(
            self.dep(),
            vec![load(PayloadBase::Network, off, len), lookup(set)],
        )
    }
    /// `daddr @set`.
    pub fn daddr_in(self, set: &str) -> Match {
        let (off, len) = self.addr_off(false);
        Match::new(
            self.dep(),
            vec![load(PayloadBase::Network, off, len), lookup(set)],
        )
    }
    /// `ip protocol N` / `ip6 nexthdr N`.
    pub fn protocol(self, p: u8) -> Match {
        let off = if self.v6 { 6 } else { 9 };
        Match::new(
            self.dep(),
            vec![load(PayloadBase::Network, off, 1), eq(Data::u8(p))],
        )
    }
}

/// Conntrack matches.
#[derive(Debug, Clone, Copy)]
pub struct CtMatch;

/// `ct …`.
pub fn ct() -> CtMatch {
    CtMatch
}

impl CtMatch {
    /// `ct state { … }`: host-order bit test.
    pub fn state(self, s: CtState) -> Match {
        Match::new(
            Vec::new(),
            vec![
                Expr::Ct(Ct {
                    key: CtKey::State,
                    dreg: Reg::R1,
                    dir: None,
                }),
                Expr::Bitwise(Bitwise::mask_xor(
                    Reg::R1,
                    Data::host32(s.bits()),
                    Data::host32(0),
                )),
                Expr::Cmp(Cmp {
                    sreg: Reg::R1,
                    op: CmpOp::Neq,
                    data: Data::host32(0),
                }),
            ],
        )
    }
    /// `ct mark & mask == value` (host order; no mask when `mask` is all ones).
    pub fn mark(self, mask: u32, value: u32) -> Match {
        let mut v = vec![Expr::Ct(Ct {
            key: CtKey::Mark,
            dreg: Reg::R1,
            dir: None,
        })];
        if mask != u32::MAX {
            v.push(Expr::Bitwise(Bitwise::mask_xor(
                Reg::R1,
                Data::host32(mask),
                Data::host32(0),
            )));
        }
        v.push(eq(Data::host32(value)));
        Match::new(Vec::new(), v)
    }
}

/// Metadata matches.
#[derive(Debug, Clone, Copy)]
pub struct MetaMatch;

/// `meta …`.
pub fn meta() -> MetaMatch {
    MetaMatch
}

impl MetaMatch {
    fn m(key: MetaKey, data: Data) -> Match {
        Match::new(
            Vec::new(),
            vec![Expr::Meta(Meta { key, dreg: Reg::R1 }), eq(data)],
        )
    }
    /// `iifname NAME` (a trailing `*` matches a prefix).
    pub fn iifname(self, name: &str) -> Match {
        Self::m(MetaKey::IifName, ifname_data(name))
    }
    /// `oifname NAME`.
    pub fn oifname(self, name: &str) -> Match {
        Self::m(MetaKey::OifName, ifname_data(name))
    }
    /// `iif INDEX` (host order).
    pub fn iif(self, index: u32) -> Match {
        Self::m(MetaKey::Iif, Data::host32(index))
    }
    /// `oif INDEX`.
    pub fn oif(self, index: u32) -> Match {
        Self::m(MetaKey::Oif, Data::host32(index))
    }
    /// `mark N` (host order).
    pub fn mark(self, v: u32) -> Match {
        Self::m(MetaKey::Mark, Data::host32(v))
    }
    /// `l4proto N`.
    pub fn l4proto(self, p: u8) -> Match {
        Self::m(MetaKey::L4proto, Data::u8(p))
    }
    /// `skuid N` (host order).
    pub fn skuid(self, uid: u32) -> Match {
        Self::m(MetaKey::SkUid, Data::host32(uid))
    }
}

fn ifname_data(name: &str) -> Data {
    match name.strip_suffix('*') {
        Some(p) => Data::ifname_prefix(p),
        None => Data::ifname(name),
    }
}

/// `icmp type N` (with the `meta l4proto icmp` dependency).
pub fn icmp_type(t: u8) -> Match {
    Match::new(
        vec![Dep::L4(1)],
        vec![load(PayloadBase::Transport, 0, 1), eq(Data::u8(t))],
    )
}

/// `icmpv6 type N`.
pub fn icmpv6_type(t: u8) -> Match {
    Match::new(
        vec![Dep::L4(58)],
        vec![load(PayloadBase::Transport, 0, 1), eq(Data::u8(t))],
    )
}

/// Builds one rule: matches (with their dependencies, each emitted once), statements, a verdict.
#[derive(Debug, Clone)]
pub struct RuleBuilder {
    family: Family,
    exprs: Vec<Expr>,
    have: Vec<Dep>,
}

impl RuleBuilder {
    /// A rule for a table of `family` (dependencies depend on it).
    pub fn new(family: Family) -> RuleBuilder {
        RuleBuilder {
            family,
            exprs: Vec::new(),
            have: Vec::new(),
        }
    }

    fn dep_exprs(&self, d: Dep) -> Vec<Expr> {
        match d {
            Dep::L4(p) => vec![
                Expr::Meta(Meta {
                    key: MetaKey::L4proto,
                    dreg: Reg::R1,
                }),
                eq(Data::u8(p)),
            ],
            Dep::Ip4 | Dep::Ip6 => {
                let v6 = d == Dep::Ip6;
                match self.family {
                    Family::Ip | Family::Ip6 | Family::Arp => Vec::new(),
                    Family::Inet => vec![
                        Expr::Meta(Meta {
                            key: MetaKey::Nfproto,
                            dreg: Reg::R1,
                        }),
                        eq(Data::u8(if v6 { 10 } else { 2 })),
                    ],
                    Family::Bridge | Family::Netdev => vec![
                        Expr::Meta(Meta {
                            key: MetaKey::Protocol,
                            dreg: Reg::R1,
                        }),
                        eq(Data::be16(if v6 { 0x86dd } else { 0x0800 })),
                    ],
                }
            }
        }
    }

    /// Adds a match (and its dependencies, unless already present).
    pub fn matches(mut self, m: Match) -> RuleBuilder {
        for d in m.deps {
            if !self.have.contains(&d) {
                let e = self.dep_exprs(d);
                self.exprs.extend(e);
                self.have.push(d);
            }
        }
        self.exprs.extend(m.exprs);
        self
    }

    /// Adds raw expressions.
    pub fn expr(mut self, e: Expr) -> RuleBuilder {
        self.exprs.push(e);
        self
    }

    /// `counter`.
    pub fn counter(self) -> RuleBuilder {
        self.expr(Expr::counter())
    }

    /// `limit rate …`.
    pub fn limit(self, l: Limit) -> RuleBuilder {
        self.expr(Expr::Limit(l))
    }

    /// `log` with a prefix and NFLOG group.
    pub fn log_group(self, prefix: &str, group: u16) -> RuleBuilder {
        self.expr(Expr::Log(Log {
            prefix: Some(prefix.to_owned()),
            group: Some(group),
            ..Log::default()
        }))
    }

    /// `meta mark set V`.
    pub fn set_mark(self, v: u32) -> RuleBuilder {
        self.expr(Expr::Immediate(Immediate::value(Reg::R1, Data::host32(v))))
            .expr(Expr::MetaSet(MetaSet {
                key: MetaKey::Mark,
                sreg: Reg::R1,
            }))
    }

    /// `dnat to ADDR[:PORT]` (the family is required even in inet tables).
    pub fn dnat(self, addr: IpAddr, port: Option<u16>) -> RuleBuilder {
        self.nat(NatKind::Dnat, addr, port)
    }

    /// `snat to ADDR[:PORT]`.
    pub fn snat(self, addr: IpAddr, port: Option<u16>) -> RuleBuilder {
        self.nat(NatKind::Snat, addr, port)
    }

    fn nat(mut self, kind: NatKind, addr: IpAddr, port: Option<u16>) -> RuleBuilder {
        self.exprs
            .push(Expr::Immediate(Immediate::value(Reg::R1, Data::ip(addr))));
        if let Some(p) = port {
            self.exprs
                .push(Expr::Immediate(Immediate::value(Reg::R2, Data::be16(p))));
        }
        self.exprs.push(Expr::Nat(Nat {
            kind,
            family: if addr.is_ipv4() { 2 } else { 10 },
            reg_addr_min: Some(Reg::R1),
            reg_addr_max: None,
            reg_proto_min: port.map(|_| Reg::R2),
            reg_proto_max: None,
            flags: None,
        }));
        self
    }

    /// `reject with icmpx port-unreachable` (code 1).
    pub fn reject(self) -> Rule {
        self.expr(Expr::Reject(Reject {
            kind: RejectKind::IcmpxUnreach,
            code: Some(1),
        }))
        .build()
    }

    /// Ends with a verdict.
    pub fn verdict(self, v: Verdict) -> Rule {
        self.expr(Expr::verdict(v)).build()
    }

    /// Ends with `accept`.
    pub fn accept(self) -> Rule {
        self.verdict(Verdict::Accept)
    }

    /// Ends with `drop`.
    pub fn drop(self) -> Rule {
        self.verdict(Verdict::Drop)
    }

    /// Ends with `jump CHAIN`.
    pub fn jump(self, chain: &str) -> Rule {
        self.verdict(Verdict::Jump(chain.to_owned()))
    }

    /// Finishes without a verdict.
    pub fn build(self) -> Rule {
        Rule::new(self.exprs)
    }
}

/// Convenience: `Rule` plus tag in one step.
pub trait TagExt {
    /// Sets the tag.
    ///
    /// # Errors
    /// Empty or over-long tags.
    fn tagged(self, tag: &str) -> Result<Rule>;
}

impl TagExt for Rule {
    fn tagged(self, tag: &str) -> Result<Rule> {
        self.tag(tag)
    }
}

/// The register checker (NF-41): every register a consumer reads must have been written
/// earlier in the rule with at least the width read, inside the 80-byte register file. Rules
/// containing unknown expressions are not checked (their effects are unknown).
///
/// # Errors
/// `(expression index, reason)` of the first violation.
pub fn check_registers(exprs: &[Expr]) -> std::result::Result<(), (usize, String)> {
    if exprs.iter().any(Expr::is_unknown) {
        return Ok(());
    }
    let mut written = [false; 80];
    for (i, e) in exprs.iter().enumerate() {
        for (r, n) in e.reads() {
            let Some(off) = r.offset() else {
                return Err((i, format!("{} reads invalid register {}", e.name(), r.0)));
            };
            if r.0 == 0 {
                return Err((i, format!("{} reads the verdict register", e.name())));
            }
            let end = off + n.max(1);
            if end > 80 || !written[off..end].iter().all(|w| *w) {
                return Err((
                    i,
                    format!(
                        "{} reads {n} bytes of register {} that no earlier expression wrote",
                        e.name(),
                        r.0
                    ),
                ));
            }
        }
        if let Some((r, n)) = e.writes() {
            let Some(off) = r.offset() else {
                return Err((i, format!("{} writes invalid register {}", e.name(), r.0)));
            };
            if r.0 == 0 {
                return Err((
                    i,
                    format!("{} writes data into the verdict register", e.name()),
                ));
            }
            // Unknown widths (map lookups: up to 64 bytes of data) are taken generously.
            let len = match n {
                Some(n) => super::set::align4(n as u32) as usize,
                None => 64.min(80 - off),
            };
            let end = off + len.max(4);
            if end > 80 {
                return Err((
                    i,
                    format!(
                        "{} writes {len} bytes past the end of register {}",
                        e.name(),
                        r.0
                    ),
                ));
            }
            for w in &mut written[off..end] {
                *w = true;
            }
        }
    }
    Ok(())
}

/// IPv4 helper for `saddr`/`daddr`.
pub fn v4(a: [u8; 4]) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// IPv6 helper for `saddr`/`daddr`.
pub fn v6(a: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::from(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_42_dependencies_once() {
        let r = RuleBuilder::new(Family::Inet)
            .matches(tcp().dport(22))
            .matches(tcp().sport(1024))
            .accept();
        let metas = r
            .exprs
            .iter()
            .filter(|e| matches!(e, Expr::Meta(_)))
            .count();
        assert_eq!(metas, 1);
        let r = RuleBuilder::new(Family::Ip)
            .matches(ip().saddr(v4([1, 2, 3, 4])))
            .accept();
        assert_eq!(r.exprs.len(), 3, "no nfproto dependency in ip tables");
        let r = RuleBuilder::new(Family::Bridge)
            .matches(ip6().daddr(Ipv6Addr::LOCALHOST))
            .accept();
        assert!(matches!(&r.exprs[0], Expr::Meta(m) if m.key == MetaKey::Protocol));
    }

    #[test]
    fn nf_42_ct_state_is_host_order() {
        let r = RuleBuilder::new(Family::Inet)
            .matches(ct().state(CtState::ESTABLISHED | CtState::RELATED))
            .accept();
        match &r.exprs[1] {
            Expr::Bitwise(b) => match &b.op {
                super::super::expr::BitwiseOp::MaskXor { mask, .. } => {
                    assert_eq!(mask.0, 6u32.to_ne_bytes().to_vec())
                }
                o => panic!("{o:?}"),
            },
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn nf_41_register_checker() {
        let ok = RuleBuilder::new(Family::Inet)
            .matches(tcp().dport_range(1, 5))
            .matches(ip().saddr_prefix("10.0.0.0/9".parse().unwrap()))
            .matches(meta().iifname("eth*"))
            .dnat(IpAddr::V4(v4([10, 0, 0, 1])), Some(80))
            .build();
        assert_eq!(check_registers(&ok.exprs), Ok(()));
        let bad = vec![Expr::Cmp(Cmp {
            sreg: Reg::R2,
            op: CmpOp::Eq,
            data: Data::be16(1),
        })];
        let e = check_registers(&bad).unwrap_err();
        assert_eq!(e.0, 0);
        let narrow = vec![
            Expr::Meta(Meta {
                key: MetaKey::L4proto,
                dreg: Reg::r32(0),
            }),
            Expr::Cmp(Cmp {
                sreg: Reg::r32(0),
                op: CmpOp::Eq,
                data: Data(vec![0; 16]),
            }),
        ];
        assert!(check_registers(&narrow).is_err());
    }
}
