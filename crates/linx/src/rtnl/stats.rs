//! Link statistics: `RTM_GETSTATS` (`if_stats_msg` + `IFLA_STATS_*`), per link and dumped.
//!
//! The 64-bit counters ([`Link64`], `struct rtnl_link_stats64`) are decoded tolerantly: the
//! struct grew over time (184 bytes before 4.6, 192 bytes with `rx_nohandler`, 200 bytes with
//! `rx_otherhost_dropped` since 5.19), so shorter forms leave the newer fields `None` and longer
//! forms are accepted with their tail ignored. Works unprivileged. See
//! [ip-stats(8)](https://man7.org/linux/man-pages/man8/ip-stats.8.html).
//!
//! Extended statistics (`IFLA_STATS_LINK_XSTATS`, `IFLA_STATS_LINK_XSTATS_SLAVE`) and per-family
//! statistics (`IFLA_STATS_AF_SPEC`) dispatch on the driver or family that filled them: bridge
//! ([`BridgeXstats`]: per-VLAN, IGMP/MLD, STP), bond ([`BondXstats`]: LACP) and MPLS
//! ([`MplsLinkStats`]) are typed, everything else stays raw ([`Xstats::Other`],
//! [`AfStats::Other`]). Offload statistics stay raw.

use std::fmt;

use crate::error::{Error, ProtocolKind, Result, Subsystem};
use crate::netlink::Request;
use crate::netlink::wire::{self, MsgBuilder, RawAttr};

use super::common::malformed;
use super::link::LinkRef;
pub use super::xstats::{
    AF_MPLS, AfStats, BR_MCAST_STATS_LEN, BRIDGE_STP_XSTATS_LEN, BRIDGE_VLAN_XSTATS_LEN,
    Bond3adStats, BondXstats, BridgeMcastStats, BridgeStpXstats, BridgeVlanXstats, BridgeXstats,
    MPLS_LINK_STATS_LEN, MPLS_STATS_LINK, MplsLinkStats, RxTx, Xstats, bond_xstats, bridge_xstats,
    xstats_type,
};
use super::{RTM_GETSTATS, Rtnl};

/// `RTM_NEWSTATS`.
pub const RTM_NEWSTATS: u16 = 92;

/// Size of `struct if_stats_msg`.
pub const IF_STATS_MSG_LEN: usize = 12;

/// `IFLA_STATS_*` attribute numbers (the filter mask bit of attribute `n` is `1 << (n - 1)`).
#[allow(missing_docs)]
pub mod ifla_stats {
    pub const LINK_64: u16 = 1;
    pub const LINK_XSTATS: u16 = 2;
    pub const LINK_XSTATS_SLAVE: u16 = 3;
    pub const LINK_OFFLOAD_XSTATS: u16 = 4;
    pub const AF_SPEC: u16 = 5;
}

/// The filter-mask bit selecting attribute `attr`.
pub const fn filter_bit(attr: u16) -> u32 {
    1 << (attr - 1)
}

/// `struct rtnl_link_stats64`: the 64-bit link counters in kernel order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Link64 {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Bad packets received.
    pub rx_errors: u64,
    /// Packet transmit problems.
    pub tx_errors: u64,
    /// Received packets dropped.
    pub rx_dropped: u64,
    /// Transmitted packets dropped.
    pub tx_dropped: u64,
    /// Multicast packets received.
    pub multicast: u64,
    /// Collisions.
    pub collisions: u64,
    /// Length errors.
    pub rx_length_errors: u64,
    /// Receiver ring overflows.
    pub rx_over_errors: u64,
    /// CRC errors.
    pub rx_crc_errors: u64,
    /// Frame alignment errors.
    pub rx_frame_errors: u64,
    /// FIFO overruns.
    pub rx_fifo_errors: u64,
    /// Missed packets.
    pub rx_missed_errors: u64,
    /// Aborted transmissions.
    pub tx_aborted_errors: u64,
    /// Carrier errors.
    pub tx_carrier_errors: u64,
    /// Transmit FIFO errors.
    pub tx_fifo_errors: u64,
    /// Heartbeat errors.
    pub tx_heartbeat_errors: u64,
    /// Window errors.
    pub tx_window_errors: u64,
    /// Compressed packets received.
    pub rx_compressed: u64,
    /// Compressed packets sent.
    pub tx_compressed: u64,
    /// Dropped for lack of a handler (192-byte form and later).
    pub rx_nohandler: Option<u64>,
    /// Dropped as destined to another host (200-byte form and later).
    pub rx_otherhost_dropped: Option<u64>,
}

/// Bytes of the oldest `rtnl_link_stats64` linx accepts (23 counters).
pub const LINK64_MIN_LEN: usize = 184;
/// Bytes of the current `rtnl_link_stats64` (25 counters), as [`Link64::encode`] writes.
pub const LINK64_LEN: usize = 200;

impl Link64 {
    /// Decodes a `rtnl_link_stats64` of 184, 192, 200 or more bytes.
    ///
    /// # Errors
    /// Protocol error for fewer than 184 bytes.
    pub fn decode(b: &[u8]) -> Result<Link64> {
        if b.len() < LINK64_MIN_LEN {
            return Err(malformed(format!(
                "rtnl_link_stats64 of {} bytes (at least {LINK64_MIN_LEN} expected)",
                b.len()
            )));
        }
        let f = |i: usize| -> u64 {
            b.get(i * 8..i * 8 + 8)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map_or(0, u64::from_ne_bytes)
        };
        let opt = |i: usize| -> Option<u64> { (b.len() >= (i + 1) * 8).then(|| f(i)) };
        Ok(Link64 {
            rx_packets: f(0),
            tx_packets: f(1),
            rx_bytes: f(2),
            tx_bytes: f(3),
            rx_errors: f(4),
            tx_errors: f(5),
            rx_dropped: f(6),
            tx_dropped: f(7),
            multicast: f(8),
            collisions: f(9),
            rx_length_errors: f(10),
            rx_over_errors: f(11),
            rx_crc_errors: f(12),
            rx_frame_errors: f(13),
            rx_fifo_errors: f(14),
            rx_missed_errors: f(15),
            tx_aborted_errors: f(16),
            tx_carrier_errors: f(17),
            tx_fifo_errors: f(18),
            tx_heartbeat_errors: f(19),
            tx_window_errors: f(20),
            rx_compressed: f(21),
            tx_compressed: f(22),
            rx_nohandler: opt(23),
            rx_otherhost_dropped: opt(24),
        })
    }

    /// Encodes the 200-byte form (missing fields as 0).
    pub fn encode(&self) -> [u8; LINK64_LEN] {
        let v = [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_errors,
            self.tx_errors,
            self.rx_dropped,
            self.tx_dropped,
            self.multicast,
            self.collisions,
            self.rx_length_errors,
            self.rx_over_errors,
            self.rx_crc_errors,
            self.rx_frame_errors,
            self.rx_fifo_errors,
            self.rx_missed_errors,
            self.tx_aborted_errors,
            self.tx_carrier_errors,
            self.tx_fifo_errors,
            self.tx_heartbeat_errors,
            self.tx_window_errors,
            self.rx_compressed,
            self.tx_compressed,
            self.rx_nohandler.unwrap_or(0),
            self.rx_otherhost_dropped.unwrap_or(0),
        ];
        let mut out = [0u8; LINK64_LEN];
        for (i, x) in v.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&x.to_ne_bytes());
        }
        out
    }
}

impl fmt::Display for Link64 {
    /// `rx 10 pkts 840 B, tx 10 pkts 840 B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rx {} pkts {} B, tx {} pkts {} B",
            self.rx_packets, self.rx_bytes, self.tx_packets, self.tx_bytes
        )?;
        if [
            self.rx_errors,
            self.tx_errors,
            self.rx_dropped,
            self.tx_dropped,
        ]
        .iter()
        .any(|x| *x != 0)
        {
            write!(
                f,
                ", errors rx {} tx {}, dropped rx {} tx {}",
                self.rx_errors, self.tx_errors, self.rx_dropped, self.tx_dropped
            )?;
        }
        Ok(())
    }
}

/// The statistics of one link (`RTM_NEWSTATS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats {
    /// Interface index.
    pub index: u32,
    /// The filter mask the kernel answered.
    pub filter_mask: u32,
    /// The 64-bit counters.
    pub link64: Option<Link64>,
    /// `IFLA_STATS_LINK_XSTATS`: the extended statistics of the link's own driver (a bridge's,
    /// a bond's), typed where modelled.
    pub xstats: Vec<Xstats>,
    /// `IFLA_STATS_LINK_XSTATS_SLAVE`: the extended statistics the link's master keeps about it
    /// as a port (a bridge port's STP counters, a bond port's LACP counters).
    pub xstats_port: Vec<Xstats>,
    /// `IFLA_STATS_LINK_OFFLOAD_XSTATS`, raw.
    pub offload_xstats: Vec<RawAttr>,
    /// `IFLA_STATS_AF_SPEC`: per-address-family statistics (MPLS), typed where modelled.
    pub af_spec: Vec<AfStats>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

fn nested_raw(a: &wire::Attr<'_>) -> Result<Vec<RawAttr>> {
    a.nested()
        .map(|x| x.map(|x| RawAttr::from_attr(&x)).map_err(Error::from))
        .collect()
}

impl LinkStats {
    /// Decodes the payload of an `RTM_NEWSTATS` message.
    ///
    /// # Errors
    /// Protocol errors for a short header, malformed attributes or a short `Link64`.
    pub fn decode(payload: &[u8]) -> Result<LinkStats> {
        let h = payload
            .get(..IF_STATS_MSG_LEN)
            .ok_or_else(|| super::common::short_header("RTM_NEWSTATS", payload.len(), 12))?;
        let mut s = LinkStats {
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            filter_mask: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            ..LinkStats::default()
        };
        for a in wire::attrs(&payload[IF_STATS_MSG_LEN..]) {
            let a = a?;
            match a.kind() {
                ifla_stats::LINK_64 => s.link64 = Some(Link64::decode(a.payload)?),
                ifla_stats::LINK_XSTATS => {
                    s.xstats = nested_raw(&a)?.iter().map(Xstats::decode).collect();
                }
                ifla_stats::LINK_XSTATS_SLAVE => {
                    s.xstats_port = nested_raw(&a)?.iter().map(Xstats::decode).collect();
                }
                ifla_stats::LINK_OFFLOAD_XSTATS => s.offload_xstats = nested_raw(&a)?,
                ifla_stats::AF_SPEC => {
                    s.af_spec = nested_raw(&a)?.iter().map(AfStats::decode).collect();
                }
                _ => s.other.push(RawAttr::from_attr(&a)),
            }
        }
        Ok(s)
    }

    /// The bridge's own extended statistics (per-VLAN and IGMP/MLD counters), when this is a
    /// bridge and the request asked for `IFLA_STATS_LINK_XSTATS` (e.g. [`ALL_FILTER`]).
    ///
    /// ```no_run
    /// use linx::rtnl::Rtnl;
    /// use linx::rtnl::stats::ALL_FILTER;
    /// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
    /// if let Some(m) = rtnl.stats_with("br0", ALL_FILTER)?.bridge().and_then(|b| b.mcast) {
    ///     println!("IGMPv3 reports: {} in, {} out", m.igmp_v3reports.rx, m.igmp_v3reports.tx);
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn bridge(&self) -> Option<&BridgeXstats> {
        self.xstats.iter().find_map(|x| match x {
            Xstats::Bridge(b) => Some(&**b),
            _ => None,
        })
    }

    /// What the link's bridge keeps about it as a port (STP, IGMP/MLD, per-VLAN counters), from
    /// `IFLA_STATS_LINK_XSTATS_SLAVE`.
    ///
    /// ```no_run
    /// use linx::rtnl::Rtnl;
    /// use linx::rtnl::stats::ALL_FILTER;
    /// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
    /// let s = rtnl.stats_with("veth0", ALL_FILTER)?;
    /// println!("BPDUs sent: {:?}", s.bridge_port().and_then(|p| p.stp).map(|s| s.tx_bpdu));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn bridge_port(&self) -> Option<&BridgeXstats> {
        self.xstats_port.iter().find_map(|x| match x {
            Xstats::Bridge(b) => Some(&**b),
            _ => None,
        })
    }

    /// The LACP counters of an 802.3ad bond (its own, from `IFLA_STATS_LINK_XSTATS`) or, for a
    /// bond port, of that port (from `IFLA_STATS_LINK_XSTATS_SLAVE`).
    ///
    /// ```no_run
    /// use linx::rtnl::Rtnl;
    /// use linx::rtnl::stats::ALL_FILTER;
    /// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
    /// let lacp = rtnl.stats_with("bond0", ALL_FILTER)?.lacp().cloned();
    /// println!("LACPDUs sent: {:?}", lacp.map(|l| l.lacpdu_tx));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn lacp(&self) -> Option<&Bond3adStats> {
        self.xstats
            .iter()
            .chain(&self.xstats_port)
            .find_map(|x| match x {
                Xstats::Bond(b) => b.lacp.as_ref(),
                _ => None,
            })
    }

    /// The link's MPLS counters (`IFLA_STATS_AF_SPEC`, `AF_MPLS`; present once the kernel's
    /// `mpls_router` module is loaded).
    ///
    /// ```no_run
    /// use linx::rtnl::Rtnl;
    /// use linx::rtnl::stats::AF_SPEC_FILTER;
    /// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
    /// let s = rtnl.stats_with("eth0", AF_SPEC_FILTER)?;
    /// println!("MPLS packets in: {:?}", s.mpls().map(|m| m.rx_packets));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn mpls(&self) -> Option<&MplsLinkStats> {
        self.af_spec.iter().find_map(|x| match x {
            AfStats::Mpls(m) => Some(m),
            _ => None,
        })
    }
}

/// Builds an `RTM_GETSTATS` request for `index` (0 with a dump) and `filter_mask` (pure).
///
/// # Errors
/// None in practice (the message has no attributes); kept fallible for uniformity.
pub fn request(index: u32, filter_mask: u32) -> Result<Request> {
    let mut h = [0u8; IF_STATS_MSG_LEN];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&filter_mask.to_ne_bytes());
    let mut b = MsgBuilder::new(RTM_GETSTATS, 0);
    b.push_header(&h);
    Request::new(b, "RTM_GETSTATS")
}

/// The default filter mask: 64-bit counters only.
pub const DEFAULT_FILTER: u32 = filter_bit(ifla_stats::LINK_64);
/// Extended statistics of the link and of the link as a port (`IFLA_STATS_LINK_XSTATS` and
/// `IFLA_STATS_LINK_XSTATS_SLAVE`).
pub const XSTATS_FILTER: u32 =
    filter_bit(ifla_stats::LINK_XSTATS) | filter_bit(ifla_stats::LINK_XSTATS_SLAVE);
/// Per-address-family statistics (`IFLA_STATS_AF_SPEC`).
pub const AF_SPEC_FILTER: u32 = filter_bit(ifla_stats::AF_SPEC);
/// Everything: counters, extended, port-extended, offload and per-family statistics.
pub const ALL_FILTER: u32 = filter_bit(ifla_stats::LINK_64)
    | filter_bit(ifla_stats::LINK_XSTATS)
    | filter_bit(ifla_stats::LINK_XSTATS_SLAVE)
    | filter_bit(ifla_stats::LINK_OFFLOAD_XSTATS)
    | filter_bit(ifla_stats::AF_SPEC);

impl Rtnl {
    /// The statistics of one link (`RTM_GETSTATS`, 64-bit counters).
    ///
    /// # Errors
    /// Input error for an invalid reference; `ENODEV` naming the interface.
    pub fn stats(&mut self, link: impl Into<LinkRef>) -> Result<LinkStats> {
        self.stats_with(link, DEFAULT_FILTER)
    }

    /// The statistics of one link with an explicit filter mask (see [`ALL_FILTER`]).
    ///
    /// # Errors
    /// As [`stats`](Self::stats); input error for mask 0.
    pub fn stats_with(&mut self, link: impl Into<LinkRef>, filter_mask: u32) -> Result<LinkStats> {
        if filter_mask == 0 {
            return Err(super::common::input(
                "stats filter mask",
                "0",
                "select at least one IFLA_STATS_* attribute",
            ));
        }
        let link = link.into();
        let index = self.resolve(&link, "interface")?;
        let msgs = self
            .sock
            .request(&request(index, filter_mask)?)
            .map_err(|e| {
                e.with_context(|c| match &link {
                    LinkRef::Name(n) => c.interface = Some(n.clone()),
                    LinkRef::Index(i) => c.object = Some(format!("index {i}")),
                })
            })?;
        let m = msgs
            .iter()
            .find(|m| m.header.msg_type == RTM_NEWSTATS)
            .ok_or_else(|| {
                Error::protocol(
                    Subsystem::Netlink,
                    ProtocolKind::UnexpectedMessage,
                    "RTM_GETSTATS answered without statistics",
                )
            })?;
        LinkStats::decode(&m.payload)
    }

    /// The statistics of every link (an `RTM_GETSTATS` dump).
    ///
    /// # Errors
    /// Input error for mask 0; dump errors.
    pub fn all_stats(&mut self, filter_mask: u32) -> Result<Vec<LinkStats>> {
        if filter_mask == 0 {
            return Err(super::common::input(
                "stats filter mask",
                "0",
                "select at least one IFLA_STATS_* attribute",
            ));
        }
        let req = request(0, filter_mask)?;
        self.dump_decode(&req, RTM_NEWSTATS, |p| LinkStats::decode(p).map(Some))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_34_golden_stats_request() {
        // Scenario 3: a stats request for ifindex 1.
        let r = request(1, DEFAULT_FILTER).unwrap();
        assert_eq!(&r.bytes()[16..], &[0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(r.msg_type(), 94);
    }

    #[test]
    fn rt_34_link64_sizes() {
        let mut s = Link64 {
            rx_packets: 10,
            rx_bytes: 840,
            tx_packets: 3,
            tx_bytes: 274,
            rx_nohandler: Some(7),
            rx_otherhost_dropped: Some(9),
            ..Link64::default()
        };
        let b = s.encode();
        assert_eq!(Link64::decode(&b).unwrap(), s);
        let short = Link64::decode(&b[..192]).unwrap();
        assert_eq!(short.rx_otherhost_dropped, None);
        assert_eq!(short.rx_nohandler, Some(7));
        let oldest = Link64::decode(&b[..184]).unwrap();
        assert_eq!(
            (oldest.rx_nohandler, oldest.rx_otherhost_dropped),
            (None, None)
        );
        let mut longer = b.to_vec();
        longer.extend_from_slice(&[0xff; 16]);
        assert_eq!(Link64::decode(&longer).unwrap(), s);
        assert!(Link64::decode(&b[..100]).is_err());
        s.rx_errors = 1;
        assert_eq!(
            s.to_string(),
            "rx 10 pkts 840 B, tx 3 pkts 274 B, errors rx 1 tx 0, dropped rx 0 tx 0"
        );
    }
}
