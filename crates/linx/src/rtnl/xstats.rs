//! Extended and per-address-family link statistics: the nested contents of
//! `IFLA_STATS_LINK_XSTATS`, `IFLA_STATS_LINK_XSTATS_SLAVE` and `IFLA_STATS_AF_SPEC` in an
//! `RTM_NEWSTATS` message, decoded into typed structs where linx models them and kept raw
//! otherwise.
//!
//! Everything here is re-exported from [`stats`](super::stats) and reached through
//! [`LinkStats`](super::LinkStats) (fields [`xstats`](super::LinkStats::xstats),
//! [`xstats_port`](super::LinkStats::xstats_port), [`af_spec`](super::LinkStats::af_spec)).
//!
//! Wire facts (the kernel's `include/uapi/linux/if_link.h`, `if_bridge.h`, `if_bonding.h`,
//! `mpls.h`): extended statistics are nested once more by the driver that fills them
//! (`LINK_XSTATS_TYPE_BRIDGE` 1, `LINK_XSTATS_TYPE_BOND` 2). The bridge puts one
//! `struct bridge_vlan_xstats` (40 bytes) per VLAN, one `struct br_mcast_stats` (240 bytes) and,
//! for a port, one `struct bridge_stp_xstats` (48 bytes); the bond puts a `BOND_XSTATS_3AD` nest of
//! `u64` counters (numbered from 0) in 802.3ad mode. Per-family statistics are nested by address
//! family; only MPLS (`AF_MPLS` 28) fills any, one `struct mpls_link_stats` (72 bytes) in
//! `MPLS_STATS_LINK`. Structs longer than linx knows are accepted with their tail ignored (the
//! kernel only appends); shorter ones, and anything else that does not decode, stay raw.

use crate::netlink::wire::{self, Attr, RawAttr};

/// `LINK_XSTATS_TYPE_*`: which driver filled an extended-statistics nest.
#[allow(missing_docs)]
pub mod xstats_type {
    pub const BRIDGE: u16 = 1;
    pub const BOND: u16 = 2;
}

/// `BRIDGE_XSTATS_*` attribute numbers (`include/uapi/linux/if_bridge.h`).
#[allow(missing_docs)]
pub mod bridge_xstats {
    pub const VLAN: u16 = 1;
    pub const MCAST: u16 = 2;
    pub const PAD: u16 = 3;
    pub const STP: u16 = 4;
}

/// `BOND_XSTATS_*` and `BOND_3AD_STAT_*` attribute numbers (`include/uapi/linux/if_bonding.h`;
/// the 3ad counters start at 0).
#[allow(missing_docs)]
pub mod bond_xstats {
    pub const XSTATS_3AD: u16 = 1;
    pub const LACPDU_RX: u16 = 0;
    pub const LACPDU_TX: u16 = 1;
    pub const LACPDU_UNKNOWN_RX: u16 = 2;
    pub const LACPDU_ILLEGAL_RX: u16 = 3;
    pub const MARKER_RX: u16 = 4;
    pub const MARKER_TX: u16 = 5;
    pub const MARKER_RESP_RX: u16 = 6;
    pub const MARKER_RESP_TX: u16 = 7;
    pub const MARKER_UNKNOWN_RX: u16 = 8;
    pub const PAD: u16 = 9;
}

/// `AF_MPLS`: the address family whose per-family statistics linx decodes.
pub const AF_MPLS: u16 = 28;
/// `MPLS_STATS_LINK`: the `struct mpls_link_stats` inside the `AF_MPLS` nest.
pub const MPLS_STATS_LINK: u16 = 1;

/// Bytes of `struct bridge_vlan_xstats`.
pub const BRIDGE_VLAN_XSTATS_LEN: usize = 40;
/// Bytes of `struct br_mcast_stats`.
pub const BR_MCAST_STATS_LEN: usize = 240;
/// Bytes of `struct bridge_stp_xstats`.
pub const BRIDGE_STP_XSTATS_LEN: usize = 48;
/// Bytes of `struct mpls_link_stats`.
pub const MPLS_LINK_STATS_LEN: usize = 72;

/// The `n`-th native-endian `u64` of `b` (callers check the length first; 0 past the end).
fn u64_at(b: &[u8], n: usize) -> u64 {
    b.get(n * 8..n * 8 + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_ne_bytes)
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map_or(0, u16::from_ne_bytes)
}

/// The attributes nested in `payload`, or `None` when their framing is broken.
fn nested(payload: &[u8]) -> Option<Vec<Attr<'_>>> {
    wire::attrs(payload).collect::<Result<Vec<_>, _>>().ok()
}

/// One entry of `IFLA_STATS_LINK_XSTATS` (the link's own driver) or
/// `IFLA_STATS_LINK_XSTATS_SLAVE` (its master's driver, about the link as a port), dispatched on
/// `LINK_XSTATS_TYPE_*`.
///
/// Request it with a filter that has the extended bits, e.g.
/// [`ALL_FILTER`](super::stats::ALL_FILTER):
///
/// ```no_run
/// use linx::rtnl::Rtnl;
/// use linx::rtnl::stats::{ALL_FILTER, Xstats};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// let s = rtnl.stats_with("br0", ALL_FILTER)?;
/// for x in &s.xstats {
///     if let Xstats::Bridge(b) = x {
///         println!("IGMPv3 reports received: {:?}", b.mcast.map(|m| m.igmp_v3reports.rx));
///     }
/// }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Xstats {
    /// `LINK_XSTATS_TYPE_BRIDGE`: a bridge, or a bridge port (boxed: the IGMP/MLD counters alone
    /// are 240 bytes).
    Bridge(Box<BridgeXstats>),
    /// `LINK_XSTATS_TYPE_BOND`: a bond, or a bond port.
    Bond(BondXstats),
    /// Another driver's entry, or one that does not decode: the attribute as the kernel sent it.
    Other(RawAttr),
}

impl Xstats {
    /// Decodes one attribute nested in `IFLA_STATS_LINK_XSTATS(_SLAVE)`; never fails (what does
    /// not decode is [`Xstats::Other`]).
    ///
    /// ```
    /// use linx::netlink::wire::RawAttr;
    /// use linx::rtnl::stats::Xstats;
    /// let unknown = RawAttr { raw_type: 9, payload: vec![1, 2, 3, 4] };
    /// assert_eq!(Xstats::decode(&unknown), Xstats::Other(unknown.clone()));
    /// ```
    pub fn decode(a: &RawAttr) -> Xstats {
        let typed = match a.kind() {
            xstats_type::BRIDGE => {
                BridgeXstats::decode(&a.payload).map(|b| Xstats::Bridge(Box::new(b)))
            }
            xstats_type::BOND => BondXstats::decode(&a.payload).map(Xstats::Bond),
            _ => None,
        };
        typed.unwrap_or_else(|| Xstats::Other(a.clone()))
    }
}

/// A pair of counters, one per direction (the `[BR_MCAST_DIR_SIZE]` arrays of
/// `struct br_mcast_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RxTx {
    /// Received.
    pub rx: u64,
    /// Sent.
    pub tx: u64,
}

/// Bridge extended statistics (`LINK_XSTATS_TYPE_BRIDGE`, attributes `BRIDGE_XSTATS_*`), of a
/// bridge (in [`LinkStats::xstats`](super::LinkStats::xstats)) or of a bridge port (in
/// [`LinkStats::xstats_port`](super::LinkStats::xstats_port)). iproute2 shows them with
/// `ip stats show dev DEV group xstats subgroup bridge` (`xstats_slave` for a port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeXstats {
    /// Per-VLAN counters (`BRIDGE_XSTATS_VLAN`, one per VLAN of a VLAN-filtering bridge or port).
    pub vlans: Vec<BridgeVlanXstats>,
    /// IGMP/MLD counters (`BRIDGE_XSTATS_MCAST`; all zero unless the bridge has
    /// `mcast_stats_enabled`).
    pub mcast: Option<BridgeMcastStats>,
    /// STP counters of a port (`BRIDGE_XSTATS_STP`).
    pub stp: Option<BridgeStpXstats>,
    /// Other `BRIDGE_XSTATS_*` attributes (padding aside), raw.
    pub other: Vec<RawAttr>,
}

impl BridgeXstats {
    fn decode(payload: &[u8]) -> Option<BridgeXstats> {
        let mut x = BridgeXstats::default();
        for a in nested(payload)? {
            match a.kind() {
                bridge_xstats::VLAN => x.vlans.push(BridgeVlanXstats::decode(a.payload)?),
                bridge_xstats::MCAST if x.mcast.is_none() => {
                    x.mcast = Some(BridgeMcastStats::decode(a.payload)?);
                }
                bridge_xstats::STP if x.stp.is_none() => {
                    x.stp = Some(BridgeStpXstats::decode(a.payload)?);
                }
                bridge_xstats::PAD if a.payload.is_empty() => {}
                _ => x.other.push(RawAttr::from_attr(&a)),
            }
        }
        Some(x)
    }
}

/// `struct bridge_vlan_xstats`: the traffic of one VLAN on a bridge or bridge port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BridgeVlanXstats {
    /// VLAN id.
    pub vid: u16,
    /// `BRIDGE_VLAN_INFO_*` flags (`1` master, `2` PVID, `4` untagged, …).
    pub flags: u16,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
}

impl BridgeVlanXstats {
    fn decode(b: &[u8]) -> Option<BridgeVlanXstats> {
        (b.len() >= BRIDGE_VLAN_XSTATS_LEN).then(|| BridgeVlanXstats {
            rx_bytes: u64_at(b, 0),
            rx_packets: u64_at(b, 1),
            tx_bytes: u64_at(b, 2),
            tx_packets: u64_at(b, 3),
            vid: u16_at(b, 32),
            flags: u16_at(b, 34),
        })
    }
}

/// `struct br_mcast_stats`: IGMP and MLD messages seen by a bridge or bridge port, per
/// direction. Counted only while the bridge has `mcast_stats_enabled` (otherwise all zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BridgeMcastStats {
    /// IGMPv1 queries.
    pub igmp_v1queries: RxTx,
    /// IGMPv2 queries.
    pub igmp_v2queries: RxTx,
    /// IGMPv3 queries.
    pub igmp_v3queries: RxTx,
    /// IGMP leave messages.
    pub igmp_leaves: RxTx,
    /// IGMPv1 reports.
    pub igmp_v1reports: RxTx,
    /// IGMPv2 reports.
    pub igmp_v2reports: RxTx,
    /// IGMPv3 reports.
    pub igmp_v3reports: RxTx,
    /// IGMP messages that did not parse.
    pub igmp_parse_errors: u64,
    /// MLDv1 queries.
    pub mld_v1queries: RxTx,
    /// MLDv2 queries.
    pub mld_v2queries: RxTx,
    /// MLD done (leave) messages.
    pub mld_leaves: RxTx,
    /// MLDv1 reports.
    pub mld_v1reports: RxTx,
    /// MLDv2 reports.
    pub mld_v2reports: RxTx,
    /// MLD messages that did not parse.
    pub mld_parse_errors: u64,
    /// Multicast bytes.
    pub mcast_bytes: RxTx,
    /// Multicast packets.
    pub mcast_packets: RxTx,
}

impl BridgeMcastStats {
    fn decode(b: &[u8]) -> Option<BridgeMcastStats> {
        if b.len() < BR_MCAST_STATS_LEN {
            return None;
        }
        let d = |n: usize| RxTx {
            rx: u64_at(b, n),
            tx: u64_at(b, n + 1),
        };
        Some(BridgeMcastStats {
            igmp_v1queries: d(0),
            igmp_v2queries: d(2),
            igmp_v3queries: d(4),
            igmp_leaves: d(6),
            igmp_v1reports: d(8),
            igmp_v2reports: d(10),
            igmp_v3reports: d(12),
            igmp_parse_errors: u64_at(b, 14),
            mld_v1queries: d(15),
            mld_v2queries: d(17),
            mld_leaves: d(19),
            mld_v1reports: d(21),
            mld_v2reports: d(23),
            mld_parse_errors: u64_at(b, 25),
            mcast_bytes: d(26),
            mcast_packets: d(28),
        })
    }
}

/// `struct bridge_stp_xstats`: spanning-tree counters of a bridge port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BridgeStpXstats {
    /// Transitions to the blocking state.
    pub transition_blk: u64,
    /// Transitions to the forwarding state.
    pub transition_fwd: u64,
    /// BPDUs received.
    pub rx_bpdu: u64,
    /// BPDUs sent.
    pub tx_bpdu: u64,
    /// Topology change notifications received.
    pub rx_tcn: u64,
    /// Topology change notifications sent.
    pub tx_tcn: u64,
}

impl BridgeStpXstats {
    fn decode(b: &[u8]) -> Option<BridgeStpXstats> {
        (b.len() >= BRIDGE_STP_XSTATS_LEN).then(|| BridgeStpXstats {
            transition_blk: u64_at(b, 0),
            transition_fwd: u64_at(b, 1),
            rx_bpdu: u64_at(b, 2),
            tx_bpdu: u64_at(b, 3),
            rx_tcn: u64_at(b, 4),
            tx_tcn: u64_at(b, 5),
        })
    }
}

/// Bond extended statistics (`LINK_XSTATS_TYPE_BOND`, attributes `BOND_XSTATS_*`), of a bond or
/// of a bond port; iproute2 shows them with
/// `ip stats show dev DEV group xstats subgroup bond suite 802.3ad`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BondXstats {
    /// LACP counters (`BOND_XSTATS_3AD`; present in 802.3ad mode only).
    pub lacp: Option<Bond3adStats>,
    /// Other `BOND_XSTATS_*` attributes, raw.
    pub other: Vec<RawAttr>,
}

impl BondXstats {
    fn decode(payload: &[u8]) -> Option<BondXstats> {
        let mut x = BondXstats::default();
        for a in nested(payload)? {
            match a.kind() {
                bond_xstats::XSTATS_3AD if x.lacp.is_none() => {
                    x.lacp = Some(Bond3adStats::decode(a.payload)?);
                }
                _ => x.other.push(RawAttr::from_attr(&a)),
            }
        }
        Some(x)
    }
}

/// The LACP counters of an 802.3ad bond (the sum over its ports) or of one port
/// (`BOND_3AD_STAT_*`, each a `u64`; a counter the kernel did not send reads 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bond3adStats {
    /// LACPDUs received.
    pub lacpdu_rx: u64,
    /// LACPDUs sent.
    pub lacpdu_tx: u64,
    /// LACPDUs of an unknown type received.
    pub lacpdu_unknown_rx: u64,
    /// Illegal LACPDUs received.
    pub lacpdu_illegal_rx: u64,
    /// Marker PDUs received.
    pub marker_rx: u64,
    /// Marker PDUs sent.
    pub marker_tx: u64,
    /// Marker responses received.
    pub marker_resp_rx: u64,
    /// Marker responses sent.
    pub marker_resp_tx: u64,
    /// Marker PDUs of an unknown type received.
    pub marker_unknown_rx: u64,
    /// Other `BOND_3AD_STAT_*` attributes (padding aside), raw.
    pub other: Vec<RawAttr>,
}

impl Bond3adStats {
    fn decode(payload: &[u8]) -> Option<Bond3adStats> {
        use bond_xstats as b;
        let mut x = Bond3adStats::default();
        for a in nested(payload)? {
            let slot = match a.kind() {
                b::LACPDU_RX => &mut x.lacpdu_rx,
                b::LACPDU_TX => &mut x.lacpdu_tx,
                b::LACPDU_UNKNOWN_RX => &mut x.lacpdu_unknown_rx,
                b::LACPDU_ILLEGAL_RX => &mut x.lacpdu_illegal_rx,
                b::MARKER_RX => &mut x.marker_rx,
                b::MARKER_TX => &mut x.marker_tx,
                b::MARKER_RESP_RX => &mut x.marker_resp_rx,
                b::MARKER_RESP_TX => &mut x.marker_resp_tx,
                b::MARKER_UNKNOWN_RX => &mut x.marker_unknown_rx,
                b::PAD if a.payload.is_empty() => continue,
                _ => {
                    x.other.push(RawAttr::from_attr(&a));
                    continue;
                }
            };
            *slot = a.u64().ok()?;
        }
        Some(x)
    }
}

/// One entry of `IFLA_STATS_AF_SPEC`, dispatched on the address family that filled it.
///
/// ```
/// use linx::netlink::wire::RawAttr;
/// use linx::rtnl::stats::AfStats;
/// // AF_INET6 (10) fills no per-family statistics today: an entry for it would stay raw.
/// let a = RawAttr { raw_type: 10, payload: vec![] };
/// assert_eq!(AfStats::decode(&a), AfStats::Other(a.clone()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AfStats {
    /// `AF_MPLS`: the link's MPLS counters (with the `mpls_router` module loaded).
    Mpls(MplsLinkStats),
    /// Another family's entry, or one that does not decode: the attribute as the kernel sent it.
    Other(RawAttr),
}

impl AfStats {
    /// Decodes one attribute nested in `IFLA_STATS_AF_SPEC`; never fails (what does not decode
    /// is [`AfStats::Other`]).
    pub fn decode(a: &RawAttr) -> AfStats {
        let typed = match a.kind() {
            AF_MPLS => nested(&a.payload).and_then(|inner| {
                let mut link = None;
                for i in inner {
                    match i.kind() {
                        MPLS_STATS_LINK if link.is_none() => {
                            link = Some(MplsLinkStats::decode(i.payload)?);
                        }
                        // MPLS_STATS_UNSPEC doubles as the 64-bit alignment pad.
                        0 if i.payload.is_empty() => {}
                        _ => return None,
                    }
                }
                link.map(AfStats::Mpls)
            }),
            _ => None,
        };
        typed.unwrap_or_else(|| AfStats::Other(a.clone()))
    }
}

/// `struct mpls_link_stats`: the MPLS traffic of one link (iproute2:
/// `ip stats show dev DEV group afstats subgroup mpls`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MplsLinkStats {
    /// MPLS packets received.
    pub rx_packets: u64,
    /// MPLS packets sent.
    pub tx_packets: u64,
    /// MPLS bytes received.
    pub rx_bytes: u64,
    /// MPLS bytes sent.
    pub tx_bytes: u64,
    /// Bad MPLS packets received.
    pub rx_errors: u64,
    /// MPLS transmit problems.
    pub tx_errors: u64,
    /// MPLS packets dropped on receive (e.g. MPLS input disabled on the link).
    pub rx_dropped: u64,
    /// MPLS packets dropped on transmit.
    pub tx_dropped: u64,
    /// MPLS packets received with no route for their label.
    pub rx_noroute: u64,
}

impl MplsLinkStats {
    fn decode(b: &[u8]) -> Option<MplsLinkStats> {
        (b.len() >= MPLS_LINK_STATS_LEN).then(|| MplsLinkStats {
            rx_packets: u64_at(b, 0),
            tx_packets: u64_at(b, 1),
            rx_bytes: u64_at(b, 2),
            tx_bytes: u64_at(b, 3),
            rx_errors: u64_at(b, 4),
            tx_errors: u64_at(b, 5),
            rx_dropped: u64_at(b, 6),
            tx_dropped: u64_at(b, 7),
            rx_noroute: u64_at(b, 8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::wire::MsgBuilder;

    /// Attributes as the kernel frames them (no `NLA_F_NESTED` on nests).
    fn attrs(list: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = MsgBuilder::new(0, 0);
        for (t, p) in list {
            b.attr(*t, p);
        }
        b.finish().unwrap().split_off(16)
    }

    fn u64s(v: &[u64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    fn raw(t: u16, payload: Vec<u8>) -> RawAttr {
        RawAttr {
            raw_type: t,
            payload,
        }
    }

    #[test]
    fn rt_35_bridge_vlan_mcast_stp_layouts() {
        let mut vlan = u64s(&[1000, 10, 2000, 20]);
        vlan.extend_from_slice(&42u16.to_ne_bytes());
        vlan.extend_from_slice(&6u16.to_ne_bytes());
        vlan.extend_from_slice(&[0; 4]);
        let mcast = u64s(&(1..=30).collect::<Vec<u64>>());
        let stp = u64s(&[1, 2, 3, 4, 5, 6]);
        let payload = attrs(&[
            (bridge_xstats::VLAN, vlan.clone()),
            (bridge_xstats::PAD, vec![]),
            (bridge_xstats::MCAST, mcast),
            (bridge_xstats::STP, stp),
            (77, vec![9, 9]),
        ]);
        let Xstats::Bridge(b) = Xstats::decode(&raw(xstats_type::BRIDGE, payload)) else {
            panic!("typed")
        };
        assert_eq!(
            b.vlans,
            [BridgeVlanXstats {
                vid: 42,
                flags: 6,
                rx_bytes: 1000,
                rx_packets: 10,
                tx_bytes: 2000,
                tx_packets: 20
            }]
        );
        let m = b.mcast.unwrap();
        assert_eq!(m.igmp_v1queries, RxTx { rx: 1, tx: 2 });
        assert_eq!(m.igmp_v3reports, RxTx { rx: 13, tx: 14 });
        assert_eq!(m.igmp_parse_errors, 15);
        assert_eq!(m.mld_v1queries, RxTx { rx: 16, tx: 17 });
        assert_eq!(m.mld_v2reports, RxTx { rx: 24, tx: 25 });
        assert_eq!(m.mld_parse_errors, 26);
        assert_eq!(m.mcast_packets, RxTx { rx: 29, tx: 30 });
        let s = b.stp.unwrap();
        assert_eq!(
            (
                s.transition_blk,
                s.transition_fwd,
                s.rx_bpdu,
                s.tx_bpdu,
                s.rx_tcn,
                s.tx_tcn
            ),
            (1, 2, 3, 4, 5, 6)
        );
        assert_eq!(b.other, [raw(77, vec![9, 9])], "unknown kept, pad dropped");
        // A longer struct (a future kernel) is accepted; a short one leaves the entry raw.
        let mut long = vlan.clone();
        long.extend_from_slice(&[0xff; 8]);
        let p = attrs(&[(bridge_xstats::VLAN, long)]);
        assert!(matches!(
            Xstats::decode(&raw(1, p)),
            Xstats::Bridge(b) if b.vlans[0].vid == 42
        ));
        let p = attrs(&[(bridge_xstats::VLAN, vlan[..39].to_vec())]);
        let a = raw(1, p);
        assert_eq!(Xstats::decode(&a), Xstats::Other(a.clone()));
    }

    #[test]
    fn rt_35_bond_3ad_counters_start_at_zero() {
        let inner = attrs(&[
            (bond_xstats::LACPDU_RX, 5u64.to_ne_bytes().to_vec()),
            (bond_xstats::LACPDU_TX, 6u64.to_ne_bytes().to_vec()),
            (bond_xstats::PAD, vec![]),
            (bond_xstats::MARKER_UNKNOWN_RX, 7u64.to_ne_bytes().to_vec()),
            (40, vec![1]),
        ]);
        let payload = attrs(&[(bond_xstats::XSTATS_3AD, inner)]);
        let Xstats::Bond(b) = Xstats::decode(&raw(xstats_type::BOND, payload)) else {
            panic!("typed")
        };
        let l = b.lacp.unwrap();
        assert_eq!((l.lacpdu_rx, l.lacpdu_tx, l.marker_unknown_rx), (5, 6, 7));
        assert_eq!(l.other, [raw(40, vec![1])]);
        // A bond not in 802.3ad mode sends an empty nest.
        assert_eq!(
            Xstats::decode(&raw(xstats_type::BOND, vec![])),
            Xstats::Bond(BondXstats::default())
        );
        // A 4-byte counter: raw.
        let inner = attrs(&[(bond_xstats::LACPDU_RX, vec![1, 0, 0, 0])]);
        let a = raw(2, attrs(&[(bond_xstats::XSTATS_3AD, inner)]));
        assert_eq!(Xstats::decode(&a), Xstats::Other(a.clone()));
    }

    #[test]
    fn rt_35_mpls_af_stats_and_raw_fallback() {
        let stats = u64s(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let a = raw(AF_MPLS, attrs(&[(0, vec![]), (MPLS_STATS_LINK, stats)]));
        let AfStats::Mpls(m) = AfStats::decode(&a) else {
            panic!("typed")
        };
        assert_eq!((m.rx_packets, m.tx_bytes, m.rx_noroute), (1, 4, 9));
        for bad in [
            raw(AF_MPLS, attrs(&[(MPLS_STATS_LINK, vec![0; 64])])),
            raw(AF_MPLS, attrs(&[(5, vec![0; 72])])),
            raw(AF_MPLS, vec![]),
            raw(AF_MPLS, vec![200, 0, 1, 0]),
            raw(10, vec![]),
        ] {
            assert_eq!(AfStats::decode(&bad), AfStats::Other(bad.clone()));
        }
        // Broken framing inside a bridge entry: raw, no panic.
        let a = raw(1, vec![12, 0, 1, 0, 0, 0]);
        assert_eq!(Xstats::decode(&a), Xstats::Other(a.clone()));
    }
}
