//! Typed link kinds: the `IFLA_INFO_DATA` of veth, bridge, macvlan/macvtap, ipvlan/ipvtap, vlan,
//! vxlan, bond, vrf, tun, the IP tunnels (gre, gretap, ip6gre, ip6gretap, ipip, sit, ip6tnl,
//! geneve) and wireguard links, with a raw escape hatch ([`LinkKind::Generic`]) for every other
//! kind.
//!
//! The same [`LinkKind`] value describes a link to create ([`LinkSpec`](super::link::LinkSpec)) and
//! a decoded link's kind data ([`Link::kind_data`](super::Link::kind_data)). Decoding is lenient:
//! attributes linx does not model are kept in each struct's `other` field and re-encoded verbatim;
//! data that does not decode as its kind (a wrong attribute size) falls back to
//! [`LinkKind::Generic`] with every attribute raw, so nothing is ever lost.
//!
//! Layout facts that differ between kinds (see the kernel's `include/uapi/linux/if_link.h`):
//! macvlan's mode is a `u32`, ipvlan's a `u16`; the vxlan port is big-endian; the veth peer is a
//! complete nested `ifinfomsg` message. The tunnel kinds' own facts are in [`Gre`], [`IpTunnel`]
//! and [`Geneve`].

use std::net::IpAddr;

use crate::error::Result;
use crate::netlink::AttrNamer;
use crate::netlink::wire::{Attr, MsgBuilder, RawAttr};
use crate::ns::NsTarget;
use crate::types::Mac;

use super::common::{input, nested_payload};
use super::link::{IFINFOMSG_LEN, LinkRef, ifla};
pub use super::tunnel::{Geneve, Gre, IpTunnel, TunnelProto, geneve, gre, iptun};
use super::tunnel::{
    Outer, decode_geneve, decode_gre, decode_iptun, encode_geneve, encode_gre, encode_iptun,
    geneve_name, gre_name, iptun_name, validate_geneve, validate_gre, validate_iptun,
};

/// `VETH_INFO_PEER`.
pub const VETH_INFO_PEER: u16 = 1;

/// `IFLA_BR_*` (bridge options).
#[allow(missing_docs)]
pub mod br {
    pub const FORWARD_DELAY: u16 = 1;
    pub const HELLO_TIME: u16 = 2;
    pub const MAX_AGE: u16 = 3;
    pub const AGEING_TIME: u16 = 4;
    pub const STP_STATE: u16 = 5;
    pub const PRIORITY: u16 = 6;
    pub const VLAN_FILTERING: u16 = 7;
    pub const VLAN_PROTOCOL: u16 = 8;
    pub const VLAN_DEFAULT_PVID: u16 = 39;
}

/// `IFLA_MACVLAN_*`.
#[allow(missing_docs)]
pub mod macvlan {
    pub const MODE: u16 = 1;
    pub const FLAGS: u16 = 2;
    pub const BC_QUEUE_LEN: u16 = 7;
}

/// `IFLA_IPVLAN_*`.
#[allow(missing_docs)]
pub mod ipvlan {
    pub const MODE: u16 = 1;
    pub const FLAGS: u16 = 2;
}

/// `IFLA_VLAN_*`.
#[allow(missing_docs)]
pub mod vlan {
    pub const ID: u16 = 1;
    pub const FLAGS: u16 = 2;
    pub const EGRESS_QOS: u16 = 3;
    pub const INGRESS_QOS: u16 = 4;
    pub const PROTOCOL: u16 = 5;
    /// `IFLA_VLAN_QOS_MAPPING` inside the QoS nests.
    pub const QOS_MAPPING: u16 = 1;
}

/// `IFLA_VXLAN_*`.
#[allow(missing_docs)]
pub mod vxlan {
    pub const ID: u16 = 1;
    pub const GROUP: u16 = 2;
    pub const LINK: u16 = 3;
    pub const LOCAL: u16 = 4;
    pub const TTL: u16 = 5;
    pub const TOS: u16 = 6;
    pub const LEARNING: u16 = 7;
    pub const AGEING: u16 = 8;
    pub const LIMIT: u16 = 9;
    pub const PORT_RANGE: u16 = 10;
    pub const PORT: u16 = 15;
    pub const GROUP6: u16 = 16;
    pub const LOCAL6: u16 = 17;
    pub const UDP_CSUM: u16 = 18;
    pub const COLLECT_METADATA: u16 = 25;
}

/// `IFLA_BOND_*`.
#[allow(missing_docs)]
pub mod bond {
    pub const MODE: u16 = 1;
    pub const ACTIVE_SLAVE: u16 = 2;
    pub const MIIMON: u16 = 3;
    pub const UPDELAY: u16 = 4;
    pub const DOWNDELAY: u16 = 5;
    pub const PRIMARY: u16 = 11;
    pub const XMIT_HASH_POLICY: u16 = 14;
    pub const MIN_LINKS: u16 = 18;
    pub const AD_LACP_RATE: u16 = 21;
}

/// `IFLA_VRF_*`.
#[allow(missing_docs)]
pub mod vrf {
    pub const TABLE: u16 = 1;
}

/// `IFLA_TUN_*` (read-only through rtnetlink; tun/tap links are created with `/dev/net/tun`).
#[allow(missing_docs)]
pub mod tun {
    pub const OWNER: u16 = 1;
    pub const GROUP: u16 = 2;
    pub const TYPE: u16 = 3;
    pub const PI: u16 = 4;
    pub const VNET_HDR: u16 = 5;
    pub const PERSIST: u16 = 6;
    pub const MULTI_QUEUE: u16 = 7;
    pub const NUM_QUEUES: u16 = 8;
    pub const NUM_DISABLED_QUEUES: u16 = 9;
}

/// The peer end of a veth pair to create: a complete nested `ifinfomsg` with its own name,
/// namespace, address and MTU.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VethPeer {
    /// Peer name (the kernel picks `vethN` when absent).
    pub name: Option<String>,
    /// Namespace to create the peer in (opened as `IFLA_NET_NS_FD` when the request is sent).
    pub netns: Option<NsTarget>,
    /// Peer hardware address.
    pub address: Option<Mac>,
    /// Peer MTU.
    pub mtu: Option<u32>,
    /// Peer transmit queue length.
    pub txqlen: Option<u32>,
}

impl PartialEq for VethPeer {
    /// Namespace targets compare by their description (fds have no other identity here).
    fn eq(&self, o: &VethPeer) -> bool {
        self.name == o.name
            && self.address == o.address
            && self.mtu == o.mtu
            && self.txqlen == o.txqlen
            && self.netns.as_ref().map(ToString::to_string)
                == o.netns.as_ref().map(ToString::to_string)
    }
}

impl Eq for VethPeer {}

impl VethPeer {
    /// A peer with this name.
    pub fn named(name: &str) -> VethPeer {
        VethPeer {
            name: Some(name.to_owned()),
            ..VethPeer::default()
        }
    }

    /// Creates the peer inside `target`'s network namespace.
    pub fn netns(mut self, target: NsTarget) -> Self {
        self.netns = Some(target);
        self
    }

    /// Sets the peer's hardware address.
    pub fn address(mut self, mac: Mac) -> Self {
        self.address = Some(mac);
        self
    }

    /// Sets the peer's MTU.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }
}

/// veth options: only the peer (dumps carry no veth data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Veth {
    /// The peer to create (absent when decoded).
    pub peer: Option<VethPeer>,
}

/// Bridge options (`IFLA_BR_*`). Timers are in the kernel's clock ticks (hundredths of a second,
/// as `ip -d link` prints them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bridge {
    /// Forward delay (1/100 s).
    pub forward_delay: Option<u32>,
    /// Hello time (1/100 s).
    pub hello_time: Option<u32>,
    /// Maximum message age (1/100 s).
    pub max_age: Option<u32>,
    /// FDB ageing time (1/100 s).
    pub ageing_time: Option<u32>,
    /// STP state (0 off, 1 kernel STP, 2 user STP).
    pub stp_state: Option<u32>,
    /// Bridge priority.
    pub priority: Option<u16>,
    /// VLAN filtering on/off.
    pub vlan_filtering: Option<bool>,
    /// VLAN protocol (0x8100 or 0x88a8).
    pub vlan_protocol: Option<u16>,
    /// Default PVID.
    pub default_pvid: Option<u16>,
    /// Other `IFLA_BR_*` attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Bridge {
    /// Turns kernel STP on or off (`stp_state` 1 or 0).
    pub fn stp(mut self, on: bool) -> Self {
        self.stp_state = Some(u32::from(on));
        self
    }

    /// Turns VLAN filtering on or off.
    pub fn vlan_filtering(mut self, on: bool) -> Self {
        self.vlan_filtering = Some(on);
        self
    }

    /// Sets the FDB ageing time (1/100 s).
    pub fn ageing_time(mut self, t: u32) -> Self {
        self.ageing_time = Some(t);
        self
    }

    /// Sets the forward delay (1/100 s).
    pub fn forward_delay(mut self, t: u32) -> Self {
        self.forward_delay = Some(t);
        self
    }

    /// Sets the default PVID.
    pub fn default_pvid(mut self, pvid: u16) -> Self {
        self.default_pvid = Some(pvid);
        self
    }
}

/// macvlan / macvtap mode (a `u32` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MacvlanMode {
    /// `private` (1): no traffic between macvlans of the same parent.
    Private,
    /// `vepa` (2): traffic between macvlans goes through the external switch.
    Vepa,
    /// `bridge` (4, the default): macvlans of one parent talk directly.
    #[default]
    Bridge,
    /// `passthru` (8): one macvlan takes over the parent.
    Passthru,
    /// `source` (16): accept only from listed source MACs.
    Source,
    /// A value newer than linx.
    Other(u32),
}

impl MacvlanMode {
    /// The wire value.
    pub fn to_raw(self) -> u32 {
        match self {
            MacvlanMode::Private => 1,
            MacvlanMode::Vepa => 2,
            MacvlanMode::Bridge => 4,
            MacvlanMode::Passthru => 8,
            MacvlanMode::Source => 16,
            MacvlanMode::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u32) -> MacvlanMode {
        match v {
            1 => MacvlanMode::Private,
            2 => MacvlanMode::Vepa,
            4 => MacvlanMode::Bridge,
            8 => MacvlanMode::Passthru,
            16 => MacvlanMode::Source,
            n => MacvlanMode::Other(n),
        }
    }

    /// The name iproute2 uses (`bridge`, `vepa`, …).
    pub fn name(self) -> String {
        match self {
            MacvlanMode::Private => "private".into(),
            MacvlanMode::Vepa => "vepa".into(),
            MacvlanMode::Bridge => "bridge".into(),
            MacvlanMode::Passthru => "passthru".into(),
            MacvlanMode::Source => "source".into(),
            MacvlanMode::Other(n) => n.to_string(),
        }
    }

    /// Parses an iproute2 mode name.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn parse(s: &str) -> Result<MacvlanMode> {
        Ok(match s {
            "private" => MacvlanMode::Private,
            "vepa" => MacvlanMode::Vepa,
            "bridge" => MacvlanMode::Bridge,
            "passthru" => MacvlanMode::Passthru,
            "source" => MacvlanMode::Source,
            _ => {
                return Err(input(
                    "macvlan mode",
                    s,
                    "expected private, vepa, bridge, passthru or source",
                ));
            }
        })
    }
}

/// macvlan and macvtap options (`IFLA_MACVLAN_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Macvlan {
    /// The mode (`u32`).
    pub mode: Option<MacvlanMode>,
    /// `IFLA_MACVLAN_FLAGS` (e.g. nopromisc 1).
    pub flags: Option<u16>,
    /// Broadcast queue length.
    pub bc_queue_len: Option<u32>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Macvlan {
    /// Options with only a mode.
    pub fn mode(mode: MacvlanMode) -> Macvlan {
        Macvlan {
            mode: Some(mode),
            ..Macvlan::default()
        }
    }
}

/// ipvlan mode (a `u16` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IpvlanMode {
    /// `l2` (0).
    L2,
    /// `l3` (1, the default).
    #[default]
    L3,
    /// `l3s` (2).
    L3s,
    /// A value newer than linx.
    Other(u16),
}

impl IpvlanMode {
    /// The wire value.
    pub fn to_raw(self) -> u16 {
        match self {
            IpvlanMode::L2 => 0,
            IpvlanMode::L3 => 1,
            IpvlanMode::L3s => 2,
            IpvlanMode::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u16) -> IpvlanMode {
        match v {
            0 => IpvlanMode::L2,
            1 => IpvlanMode::L3,
            2 => IpvlanMode::L3s,
            n => IpvlanMode::Other(n),
        }
    }

    /// The name iproute2 uses.
    pub fn name(self) -> String {
        match self {
            IpvlanMode::L2 => "l2".into(),
            IpvlanMode::L3 => "l3".into(),
            IpvlanMode::L3s => "l3s".into(),
            IpvlanMode::Other(n) => n.to_string(),
        }
    }
}

/// ipvlan port flag (`IFLA_IPVLAN_FLAGS`, a `u16`): bridge 0, private 1, vepa 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IpvlanFlag {
    /// `bridge` (0, default).
    #[default]
    Bridge,
    /// `private` (1).
    Private,
    /// `vepa` (2).
    Vepa,
    /// Another value.
    Other(u16),
}

impl IpvlanFlag {
    /// The wire value.
    pub fn to_raw(self) -> u16 {
        match self {
            IpvlanFlag::Bridge => 0,
            IpvlanFlag::Private => 1,
            IpvlanFlag::Vepa => 2,
            IpvlanFlag::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u16) -> IpvlanFlag {
        match v {
            0 => IpvlanFlag::Bridge,
            1 => IpvlanFlag::Private,
            2 => IpvlanFlag::Vepa,
            n => IpvlanFlag::Other(n),
        }
    }
}

/// ipvlan and ipvtap options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ipvlan {
    /// Mode (`u16`).
    pub mode: Option<IpvlanMode>,
    /// Port flag.
    pub flag: Option<IpvlanFlag>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Ipvlan {
    /// Options with only a mode.
    pub fn mode(mode: IpvlanMode) -> Ipvlan {
        Ipvlan {
            mode: Some(mode),
            ..Ipvlan::default()
        }
    }
}

/// 802.1Q (`0x8100`) or 802.1ad (`0x88a8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum VlanProtocol {
    /// 802.1Q, `0x8100` (default).
    #[default]
    Dot1Q,
    /// 802.1ad (QinQ), `0x88a8`.
    Dot1Ad,
    /// Another ethertype.
    Other(u16),
}

impl VlanProtocol {
    /// The ethertype.
    pub fn to_raw(self) -> u16 {
        match self {
            VlanProtocol::Dot1Q => 0x8100,
            VlanProtocol::Dot1Ad => 0x88a8,
            VlanProtocol::Other(n) => n,
        }
    }

    /// From the ethertype.
    pub fn from_raw(v: u16) -> VlanProtocol {
        match v {
            0x8100 => VlanProtocol::Dot1Q,
            0x88a8 => VlanProtocol::Dot1Ad,
            n => VlanProtocol::Other(n),
        }
    }

    /// `802.1Q`, `802.1ad` or hex, as iproute2 prints it.
    pub fn name(self) -> String {
        match self {
            VlanProtocol::Dot1Q => "802.1Q".into(),
            VlanProtocol::Dot1Ad => "802.1ad".into(),
            VlanProtocol::Other(n) => format!("{n:#06x}"),
        }
    }
}

/// vlan options (`IFLA_VLAN_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Vlan {
    /// VLAN id, 1..=4094 (required to create).
    pub id: Option<u16>,
    /// Protocol.
    pub protocol: Option<VlanProtocol>,
    /// `(flags, mask)`: reorder_hdr 1, gvrp 2, loose_binding 4, mvrp 8, bridge_binding 0x10.
    pub flags: Option<(u32, u32)>,
    /// Ingress priority map `(from, to)` pairs.
    pub ingress_qos: Vec<(u32, u32)>,
    /// Egress priority map `(from, to)` pairs.
    pub egress_qos: Vec<(u32, u32)>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Vlan {
    /// An 802.1Q VLAN with this id.
    pub fn id(id: u16) -> Vlan {
        Vlan {
            id: Some(id),
            ..Vlan::default()
        }
    }
}

/// vxlan options (`IFLA_VXLAN_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Vxlan {
    /// VNI, 0..2^24 (required).
    pub vni: Option<u32>,
    /// Remote (unicast) or group (multicast) address, v4 or v6.
    pub remote: Option<IpAddr>,
    /// Local address.
    pub local: Option<IpAddr>,
    /// Underlay device.
    pub underlay: Option<LinkRef>,
    /// UDP destination port (required: the kernel's default 8472 is not IANA's 4789).
    pub port: Option<u16>,
    /// UDP source port range `(low, high)`.
    pub port_range: Option<(u16, u16)>,
    /// TTL.
    pub ttl: Option<u8>,
    /// TOS.
    pub tos: Option<u8>,
    /// Learning.
    pub learning: Option<bool>,
    /// FDB ageing (seconds).
    pub ageing: Option<u32>,
    /// UDP checksums (IPv4).
    pub udp_csum: Option<bool>,
    /// External control plane (collect metadata).
    pub external: Option<bool>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Vxlan {
    /// A vxlan with `vni` and destination `port`.
    pub fn new(vni: u32, port: u16) -> Vxlan {
        Vxlan {
            vni: Some(vni),
            port: Some(port),
            ..Vxlan::default()
        }
    }

    /// Sets the remote (or multicast group) address.
    pub fn remote(mut self, ip: IpAddr) -> Self {
        self.remote = Some(ip);
        self
    }

    /// Sets the local address.
    pub fn local(mut self, ip: IpAddr) -> Self {
        self.local = Some(ip);
        self
    }

    /// Sets the underlay device.
    pub fn underlay(mut self, link: impl Into<LinkRef>) -> Self {
        self.underlay = Some(link.into());
        self
    }

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// Bonding mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BondMode {
    /// `balance-rr` (0, default).
    #[default]
    BalanceRr,
    /// `active-backup` (1).
    ActiveBackup,
    /// `balance-xor` (2).
    BalanceXor,
    /// `broadcast` (3).
    Broadcast,
    /// `802.3ad` (4).
    Lacp,
    /// `balance-tlb` (5).
    BalanceTlb,
    /// `balance-alb` (6).
    BalanceAlb,
    /// Another value.
    Other(u8),
}

impl BondMode {
    /// The wire value.
    pub fn to_raw(self) -> u8 {
        match self {
            BondMode::BalanceRr => 0,
            BondMode::ActiveBackup => 1,
            BondMode::BalanceXor => 2,
            BondMode::Broadcast => 3,
            BondMode::Lacp => 4,
            BondMode::BalanceTlb => 5,
            BondMode::BalanceAlb => 6,
            BondMode::Other(n) => n,
        }
    }

    /// From the wire value.
    pub fn from_raw(v: u8) -> BondMode {
        match v {
            0 => BondMode::BalanceRr,
            1 => BondMode::ActiveBackup,
            2 => BondMode::BalanceXor,
            3 => BondMode::Broadcast,
            4 => BondMode::Lacp,
            5 => BondMode::BalanceTlb,
            6 => BondMode::BalanceAlb,
            n => BondMode::Other(n),
        }
    }

    /// The iproute2 name.
    pub fn name(self) -> String {
        match self {
            BondMode::BalanceRr => "balance-rr".into(),
            BondMode::ActiveBackup => "active-backup".into(),
            BondMode::BalanceXor => "balance-xor".into(),
            BondMode::Broadcast => "broadcast".into(),
            BondMode::Lacp => "802.3ad".into(),
            BondMode::BalanceTlb => "balance-tlb".into(),
            BondMode::BalanceAlb => "balance-alb".into(),
            BondMode::Other(n) => n.to_string(),
        }
    }
}

/// Bond options (`IFLA_BOND_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bond {
    /// Mode.
    pub mode: Option<BondMode>,
    /// MII link monitoring interval (ms).
    pub miimon: Option<u32>,
    /// Up delay (ms).
    pub updelay: Option<u32>,
    /// Down delay (ms).
    pub downdelay: Option<u32>,
    /// Transmit hash policy (layer2 0, layer3+4 1, layer2+3 2, encap2+3 3, encap3+4 4).
    pub xmit_hash_policy: Option<u8>,
    /// LACP rate (slow 0, fast 1).
    pub lacp_rate: Option<u8>,
    /// Minimum links.
    pub min_links: Option<u32>,
    /// Primary port index.
    pub primary: Option<u32>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

impl Bond {
    /// A bond in `mode`.
    pub fn mode(mode: BondMode) -> Bond {
        Bond {
            mode: Some(mode),
            ..Bond::default()
        }
    }
}

/// vrf options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Vrf {
    /// Routing table (required to create).
    pub table: Option<u32>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

/// tun/tap information as dumps report it (`IFLA_TUN_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TunInfo {
    /// 1 = tun, 2 = tap.
    pub tun_type: Option<u8>,
    /// Owner uid.
    pub owner: Option<u32>,
    /// Owner gid.
    pub group: Option<u32>,
    /// Packet information header.
    pub pi: Option<bool>,
    /// Virtio-net header.
    pub vnet_hdr: Option<bool>,
    /// Persistent.
    pub persist: Option<bool>,
    /// Multi-queue.
    pub multi_queue: Option<bool>,
    /// Number of queues.
    pub num_queues: Option<u32>,
    /// Number of disabled queues.
    pub num_disabled_queues: Option<u32>,
    /// Other attributes, raw.
    pub other: Vec<RawAttr>,
}

/// A link kind with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKind {
    /// `veth`.
    Veth(Veth),
    /// `bridge`.
    Bridge(Bridge),
    /// `dummy`.
    Dummy,
    /// `macvlan`.
    Macvlan(Macvlan),
    /// `macvtap` (character device `/dev/tap<ifindex>`).
    Macvtap(Macvlan),
    /// `ipvlan`.
    Ipvlan(Ipvlan),
    /// `ipvtap`.
    Ipvtap(Ipvlan),
    /// `vlan`.
    Vlan(Vlan),
    /// `vxlan`.
    Vxlan(Vxlan),
    /// `bond`.
    Bond(Bond),
    /// `vrf`.
    Vrf(Vrf),
    /// `tun` (decode only: create tun/tap links with [`TunSpec`](super::link::TunSpec)).
    Tun(TunInfo),
    /// `gre`: GRE over IPv4, carrying IP (layer 3).
    Gre(Gre),
    /// `gretap`: GRE over IPv4, carrying Ethernet (layer 2).
    Gretap(Gre),
    /// `ip6gre`: GRE over IPv6, carrying IP.
    Ip6gre(Gre),
    /// `ip6gretap`: GRE over IPv6, carrying Ethernet.
    Ip6gretap(Gre),
    /// `ipip`: IPv4 (or MPLS) over IPv4.
    Ipip(IpTunnel),
    /// `sit`: IPv6 (or IPv4, MPLS) over IPv4.
    Sit(IpTunnel),
    /// `ip6tnl`: IPv4 or IPv6 over IPv6.
    Ip6tnl(IpTunnel),
    /// `geneve`: Ethernet over UDP.
    Geneve(Geneve),
    /// `wireguard`: created and deleted here with no kind data; keys and peers are configured
    /// over the `wireguard` generic netlink family (e.g. with `wg(8)`), which linx does not
    /// wrap.
    Wireguard,
    /// Any kind, with raw `IFLA_INFO_DATA` attributes: the escape hatch for kinds linx does not
    /// model (`ifb`, `macsec`, `netkit`, `erspan` …) and the fallback of decoding.
    Generic {
        /// `IFLA_INFO_KIND`.
        kind: String,
        /// `IFLA_INFO_DATA` attributes, raw.
        data: Vec<RawAttr>,
    },
}

/// Index resolutions a kind needs when its request is built (done by the caller before encoding,
/// so the encoder stays pure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindResolved {
    /// The underlay device's index (vxlan and the IP tunnels; see [`LinkKind::underlay`]).
    pub underlay: Option<u32>,
    /// A veth peer's namespace fd (`IFLA_NET_NS_FD`).
    pub peer_netns_fd: Option<i32>,
}

fn view(r: &RawAttr) -> Attr<'_> {
    Attr {
        raw_type: r.raw_type,
        payload: &r.payload,
    }
}

type DecodeResult<T> = std::result::Result<T, crate::error::ProtocolError>;

impl LinkKind {
    /// The `IFLA_INFO_KIND` string.
    pub fn kind_name(&self) -> &str {
        match self {
            LinkKind::Veth(_) => "veth",
            LinkKind::Bridge(_) => "bridge",
            LinkKind::Dummy => "dummy",
            LinkKind::Macvlan(_) => "macvlan",
            LinkKind::Macvtap(_) => "macvtap",
            LinkKind::Ipvlan(_) => "ipvlan",
            LinkKind::Ipvtap(_) => "ipvtap",
            LinkKind::Vlan(_) => "vlan",
            LinkKind::Vxlan(_) => "vxlan",
            LinkKind::Bond(_) => "bond",
            LinkKind::Vrf(_) => "vrf",
            LinkKind::Tun(_) => "tun",
            LinkKind::Gre(_) => "gre",
            LinkKind::Gretap(_) => "gretap",
            LinkKind::Ip6gre(_) => "ip6gre",
            LinkKind::Ip6gretap(_) => "ip6gretap",
            LinkKind::Ipip(_) => "ipip",
            LinkKind::Sit(_) => "sit",
            LinkKind::Ip6tnl(_) => "ip6tnl",
            LinkKind::Geneve(_) => "geneve",
            LinkKind::Wireguard => "wireguard",
            LinkKind::Generic { kind, .. } => kind,
        }
    }

    /// The underlay device a vxlan or IP tunnel is bound to (`IFLA_VXLAN_LINK`,
    /// `IFLA_GRE_LINK`, `IFLA_IPTUN_LINK`); [`Rtnl::create_link`](super::Rtnl::create_link)
    /// resolves a name to its index into [`KindResolved::underlay`].
    pub fn underlay(&self) -> Option<&LinkRef> {
        match self {
            LinkKind::Vxlan(x) => x.underlay.as_ref(),
            LinkKind::Gre(x)
            | LinkKind::Gretap(x)
            | LinkKind::Ip6gre(x)
            | LinkKind::Ip6gretap(x) => x.underlay.as_ref(),
            LinkKind::Ipip(x) | LinkKind::Sit(x) | LinkKind::Ip6tnl(x) => x.underlay.as_ref(),
            _ => None,
        }
    }

    /// A generic kind with raw data.
    pub fn generic(kind: &str, data: Vec<RawAttr>) -> LinkKind {
        LinkKind::Generic {
            kind: kind.to_owned(),
            data,
        }
    }

    /// Decodes kind data (the attributes inside `IFLA_INFO_DATA`) for `kind`. Never fails: data
    /// that does not decode as its kind becomes [`LinkKind::Generic`].
    pub fn decode(kind: &str, data: &[RawAttr]) -> LinkKind {
        let typed = match kind {
            "veth" if data.is_empty() => Ok(LinkKind::Veth(Veth::default())),
            "dummy" if data.is_empty() => Ok(LinkKind::Dummy),
            "bridge" => decode_bridge(data).map(LinkKind::Bridge),
            "macvlan" => decode_macvlan(data).map(LinkKind::Macvlan),
            "macvtap" => decode_macvlan(data).map(LinkKind::Macvtap),
            "ipvlan" => decode_ipvlan(data).map(LinkKind::Ipvlan),
            "ipvtap" => decode_ipvlan(data).map(LinkKind::Ipvtap),
            "vlan" => decode_vlan(data).map(LinkKind::Vlan),
            "vxlan" => decode_vxlan(data).map(LinkKind::Vxlan),
            "bond" => decode_bond(data).map(LinkKind::Bond),
            "vrf" => decode_vrf(data).map(LinkKind::Vrf),
            "tun" => decode_tun(data).map(LinkKind::Tun),
            "gre" => decode_gre(Outer::V4, data).map(LinkKind::Gre),
            "gretap" => decode_gre(Outer::V4, data).map(LinkKind::Gretap),
            "ip6gre" => decode_gre(Outer::V6, data).map(LinkKind::Ip6gre),
            "ip6gretap" => decode_gre(Outer::V6, data).map(LinkKind::Ip6gretap),
            "ipip" => decode_iptun(kind, Outer::V4, data).map(LinkKind::Ipip),
            "sit" => decode_iptun(kind, Outer::V4, data).map(LinkKind::Sit),
            "ip6tnl" => decode_iptun(kind, Outer::V6, data).map(LinkKind::Ip6tnl),
            "geneve" => decode_geneve(data).map(LinkKind::Geneve),
            "wireguard" if data.is_empty() => Ok(LinkKind::Wireguard),
            _ => return LinkKind::generic(kind, data.to_vec()),
        };
        typed.unwrap_or_else(|_| LinkKind::generic(kind, data.to_vec()))
    }

    /// Checks the options before anything is sent (VLAN id range, VNI range, required vxlan
    /// port, names of a veth peer, vrf table, tunnel address families and geneve VNI).
    ///
    /// # Errors
    /// Input errors naming the value.
    pub fn validate(&self) -> Result<()> {
        match self {
            LinkKind::Veth(v) => {
                if let Some(p) = &v.peer {
                    if let Some(n) = &p.name {
                        super::common::check_ifname("veth peer name", n)?;
                    }
                    if p.mtu == Some(0) {
                        return Err(input("veth peer MTU", "0", "must be positive"));
                    }
                }
            }
            LinkKind::Vlan(v) => match v.id {
                None => return Err(input("vlan id", "none", "a vlan needs an id (1..=4094)")),
                Some(id) if !(1..=4094).contains(&id) => {
                    return Err(input("vlan id", id.to_string(), "must be in 1..=4094"));
                }
                _ => {}
            },
            LinkKind::Vxlan(v) => {
                match v.vni {
                    None => return Err(input("vxlan VNI", "none", "a vxlan needs a VNI")),
                    Some(n) if n >= 1 << 24 => {
                        return Err(input("vxlan VNI", n.to_string(), "must be below 2^24"));
                    }
                    _ => {}
                }
                if v.port.is_none() {
                    return Err(input(
                        "vxlan destination port",
                        "none",
                        "required: the kernel default 8472 is not the IANA port 4789",
                    ));
                }
                if let (Some(r), Some(l)) = (&v.remote, &v.local) {
                    super::common::same_family("vxlan local address", l, "remote", r)?;
                }
                if let Some(u) = &v.underlay {
                    u.validate("vxlan underlay device")?;
                }
            }
            LinkKind::Vrf(v) if v.table.is_none_or(|t| t == 0) => {
                return Err(input(
                    "vrf table",
                    v.table.unwrap_or(0).to_string(),
                    "a vrf needs a table id above 0",
                ));
            }
            LinkKind::Gre(g) | LinkKind::Gretap(g) => validate_gre(self.kind_name(), Outer::V4, g)?,
            LinkKind::Ip6gre(g) | LinkKind::Ip6gretap(g) => {
                validate_gre(self.kind_name(), Outer::V6, g)?;
            }
            LinkKind::Ipip(t) | LinkKind::Sit(t) => validate_iptun(self.kind_name(), Outer::V4, t)?,
            LinkKind::Ip6tnl(t) => validate_iptun(self.kind_name(), Outer::V6, t)?,
            LinkKind::Geneve(g) => validate_geneve(g)?,
            LinkKind::Generic { kind, .. } if kind.is_empty() || kind.contains('\0') => {
                return Err(input("link kind", kind.as_str(), "empty or contains NUL"));
            }
            LinkKind::Tun(_) => {
                return Err(input(
                    "link kind",
                    "tun",
                    "tun/tap links are created through /dev/net/tun (TunSpec)",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes the `IFLA_LINKINFO` nest (kind and, if any, `IFLA_INFO_DATA`) into `b`.
    pub fn encode_linkinfo(&self, b: &mut MsgBuilder, r: &KindResolved) {
        let li = b.begin_nested(ifla::LINKINFO);
        b.attr_str(ifla::info::KIND, self.kind_name());
        let mut data = MsgBuilder::new(0, 0);
        self.encode_data(&mut data, r);
        match data.finish() {
            Ok(bytes) if bytes.len() > crate::netlink::wire::NLMSG_HDRLEN => {
                let d = b.begin_nested(ifla::info::DATA);
                // Copy the already-encoded attributes inside the nest.
                for a in crate::netlink::wire::attrs(&bytes[crate::netlink::wire::NLMSG_HDRLEN..])
                    .flatten()
                {
                    b.attr(a.raw_type, a.payload);
                }
                b.end_nested(d);
            }
            Ok(_) => {}
            // Re-emit through the outer builder so its error surfaces at `finish`.
            Err(_) => self.encode_data(b, r),
        }
        b.end_nested(li);
    }

    /// Writes the attributes that go inside `IFLA_INFO_DATA` (typed fields first, then `other`).
    pub fn encode_data(&self, b: &mut MsgBuilder, r: &KindResolved) {
        match self {
            LinkKind::Veth(v) => {
                if let Some(p) = &v.peer {
                    match peer_payload(p, r.peer_netns_fd) {
                        Ok(payload) => b.attr(VETH_INFO_PEER, &payload),
                        Err(_) => b.attr(VETH_INFO_PEER, &[0u8; 65536]),
                    };
                }
            }
            LinkKind::Bridge(x) => {
                opt_u32(b, br::FORWARD_DELAY, x.forward_delay);
                opt_u32(b, br::HELLO_TIME, x.hello_time);
                opt_u32(b, br::MAX_AGE, x.max_age);
                opt_u32(b, br::AGEING_TIME, x.ageing_time);
                opt_u32(b, br::STP_STATE, x.stp_state);
                if let Some(v) = x.priority {
                    b.attr_u16(br::PRIORITY, v);
                }
                if let Some(v) = x.vlan_filtering {
                    b.attr_u8(br::VLAN_FILTERING, u8::from(v));
                }
                if let Some(v) = x.vlan_protocol {
                    b.attr_be16(br::VLAN_PROTOCOL, v);
                }
                if let Some(v) = x.default_pvid {
                    b.attr_u16(br::VLAN_DEFAULT_PVID, v);
                }
                raw_all(b, &x.other);
            }
            LinkKind::Dummy | LinkKind::Wireguard => {}
            LinkKind::Tun(t) => encode_tun(b, t),
            LinkKind::Gre(g)
            | LinkKind::Gretap(g)
            | LinkKind::Ip6gre(g)
            | LinkKind::Ip6gretap(g) => {
                encode_gre(b, g, r.underlay);
            }
            LinkKind::Ipip(t) | LinkKind::Sit(t) | LinkKind::Ip6tnl(t) => {
                encode_iptun(b, self.kind_name(), t, r.underlay);
            }
            LinkKind::Geneve(g) => encode_geneve(b, g),
            LinkKind::Macvlan(x) | LinkKind::Macvtap(x) => {
                if let Some(m) = x.mode {
                    b.attr_u32(macvlan::MODE, m.to_raw());
                }
                if let Some(f) = x.flags {
                    b.attr_u16(macvlan::FLAGS, f);
                }
                opt_u32(b, macvlan::BC_QUEUE_LEN, x.bc_queue_len);
                raw_all(b, &x.other);
            }
            LinkKind::Ipvlan(x) | LinkKind::Ipvtap(x) => {
                if let Some(m) = x.mode {
                    b.attr_u16(ipvlan::MODE, m.to_raw());
                }
                if let Some(f) = x.flag {
                    b.attr_u16(ipvlan::FLAGS, f.to_raw());
                }
                raw_all(b, &x.other);
            }
            LinkKind::Vlan(x) => {
                if let Some(id) = x.id {
                    b.attr_u16(vlan::ID, id);
                }
                if let Some((f, m)) = x.flags {
                    let mut v = f.to_ne_bytes().to_vec();
                    v.extend_from_slice(&m.to_ne_bytes());
                    b.attr(vlan::FLAGS, &v);
                }
                for (t, map) in [
                    (vlan::EGRESS_QOS, &x.egress_qos),
                    (vlan::INGRESS_QOS, &x.ingress_qos),
                ] {
                    if !map.is_empty() {
                        let n = b.begin_nested(t);
                        for (from, to) in map {
                            let mut v = from.to_ne_bytes().to_vec();
                            v.extend_from_slice(&to.to_ne_bytes());
                            b.attr(vlan::QOS_MAPPING, &v);
                        }
                        b.end_nested(n);
                    }
                }
                if let Some(p) = x.protocol {
                    b.attr_be16(vlan::PROTOCOL, p.to_raw());
                }
                raw_all(b, &x.other);
            }
            LinkKind::Vxlan(x) => {
                opt_u32(b, vxlan::ID, x.vni);
                if let Some(ip) = x.remote {
                    match ip {
                        IpAddr::V4(a) => b.attr(vxlan::GROUP, &a.octets()),
                        IpAddr::V6(a) => b.attr(vxlan::GROUP6, &a.octets()),
                    };
                }
                if let Some(ip) = x.local {
                    match ip {
                        IpAddr::V4(a) => b.attr(vxlan::LOCAL, &a.octets()),
                        IpAddr::V6(a) => b.attr(vxlan::LOCAL6, &a.octets()),
                    };
                }
                let underlay = r.underlay.or(match x.underlay {
                    Some(LinkRef::Index(i)) => Some(i),
                    _ => None,
                });
                opt_u32(b, vxlan::LINK, underlay);
                if let Some(v) = x.ttl {
                    b.attr_u8(vxlan::TTL, v);
                }
                if let Some(v) = x.tos {
                    b.attr_u8(vxlan::TOS, v);
                }
                if let Some(v) = x.learning {
                    b.attr_u8(vxlan::LEARNING, u8::from(v));
                }
                opt_u32(b, vxlan::AGEING, x.ageing);
                if let Some((lo, hi)) = x.port_range {
                    let mut v = lo.to_be_bytes().to_vec();
                    v.extend_from_slice(&hi.to_be_bytes());
                    b.attr(vxlan::PORT_RANGE, &v);
                }
                if let Some(p) = x.port {
                    b.attr_be16(vxlan::PORT, p);
                }
                if let Some(v) = x.udp_csum {
                    b.attr_u8(vxlan::UDP_CSUM, u8::from(v));
                }
                if let Some(v) = x.external {
                    b.attr_u8(vxlan::COLLECT_METADATA, u8::from(v));
                }
                raw_all(b, &x.other);
            }
            LinkKind::Bond(x) => {
                if let Some(m) = x.mode {
                    b.attr_u8(bond::MODE, m.to_raw());
                }
                opt_u32(b, bond::MIIMON, x.miimon);
                opt_u32(b, bond::UPDELAY, x.updelay);
                opt_u32(b, bond::DOWNDELAY, x.downdelay);
                opt_u32(b, bond::PRIMARY, x.primary);
                if let Some(v) = x.xmit_hash_policy {
                    b.attr_u8(bond::XMIT_HASH_POLICY, v);
                }
                opt_u32(b, bond::MIN_LINKS, x.min_links);
                if let Some(v) = x.lacp_rate {
                    b.attr_u8(bond::AD_LACP_RATE, v);
                }
                raw_all(b, &x.other);
            }
            LinkKind::Vrf(x) => {
                opt_u32(b, vrf::TABLE, x.table);
                raw_all(b, &x.other);
            }
            LinkKind::Generic { data, .. } => raw_all(b, data),
        }
    }

    /// The function naming attribute paths of requests carrying this kind (extended-ack offsets),
    /// e.g. `IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VXLAN_ID`.
    pub fn attr_namer(&self) -> AttrNamer {
        if let LinkKind::Generic { kind, .. } = self {
            // Raw data of a kind linx models still gets its attribute names.
            return match kind.as_str() {
                "vxlan" => |p| super::link::link_path_name(p, vxlan_name),
                "vlan" => |p| super::link::link_path_name(p, vlan_name),
                "bridge" => |p| super::link::link_path_name(p, bridge_name),
                "macvlan" | "macvtap" => |p| super::link::link_path_name(p, macvlan_name),
                "ipvlan" | "ipvtap" => |p| super::link::link_path_name(p, ipvlan_name),
                "bond" => |p| super::link::link_path_name(p, bond_name),
                "veth" => |p| super::link::link_path_name(p, veth_name),
                "vrf" => |p| super::link::link_path_name(p, vrf_name),
                "gre" | "gretap" | "ip6gre" | "ip6gretap" | "erspan" | "ip6erspan" => {
                    |p| super::link::link_path_name(p, gre_name)
                }
                "ipip" | "sit" | "ip6tnl" => |p| super::link::link_path_name(p, iptun_name),
                "geneve" => |p| super::link::link_path_name(p, geneve_name),
                _ => super::link::attr_path_name,
            };
        }
        match self {
            LinkKind::Vxlan(_) => |p| super::link::link_path_name(p, vxlan_name),
            LinkKind::Vlan(_) => |p| super::link::link_path_name(p, vlan_name),
            LinkKind::Bridge(_) => |p| super::link::link_path_name(p, bridge_name),
            LinkKind::Macvlan(_) | LinkKind::Macvtap(_) => {
                |p| super::link::link_path_name(p, macvlan_name)
            }
            LinkKind::Ipvlan(_) | LinkKind::Ipvtap(_) => {
                |p| super::link::link_path_name(p, ipvlan_name)
            }
            LinkKind::Bond(_) => |p| super::link::link_path_name(p, bond_name),
            LinkKind::Veth(_) => |p| super::link::link_path_name(p, veth_name),
            LinkKind::Vrf(_) => |p| super::link::link_path_name(p, vrf_name),
            LinkKind::Gre(_)
            | LinkKind::Gretap(_)
            | LinkKind::Ip6gre(_)
            | LinkKind::Ip6gretap(_) => |p| super::link::link_path_name(p, gre_name),
            LinkKind::Ipip(_) | LinkKind::Sit(_) | LinkKind::Ip6tnl(_) => {
                |p| super::link::link_path_name(p, iptun_name)
            }
            LinkKind::Geneve(_) => |p| super::link::link_path_name(p, geneve_name),
            _ => super::link::attr_path_name,
        }
    }
}

fn vxlan_name(t: u16) -> Option<&'static str> {
    Some(match t {
        vxlan::ID => "IFLA_VXLAN_ID",
        vxlan::GROUP => "IFLA_VXLAN_GROUP",
        vxlan::LINK => "IFLA_VXLAN_LINK",
        vxlan::LOCAL => "IFLA_VXLAN_LOCAL",
        vxlan::TTL => "IFLA_VXLAN_TTL",
        vxlan::TOS => "IFLA_VXLAN_TOS",
        vxlan::LEARNING => "IFLA_VXLAN_LEARNING",
        vxlan::AGEING => "IFLA_VXLAN_AGEING",
        vxlan::PORT_RANGE => "IFLA_VXLAN_PORT_RANGE",
        vxlan::PORT => "IFLA_VXLAN_PORT",
        vxlan::GROUP6 => "IFLA_VXLAN_GROUP6",
        vxlan::LOCAL6 => "IFLA_VXLAN_LOCAL6",
        vxlan::UDP_CSUM => "IFLA_VXLAN_UDP_CSUM",
        vxlan::COLLECT_METADATA => "IFLA_VXLAN_COLLECT_METADATA",
        _ => return None,
    })
}

fn vlan_name(t: u16) -> Option<&'static str> {
    Some(match t {
        vlan::ID => "IFLA_VLAN_ID",
        vlan::FLAGS => "IFLA_VLAN_FLAGS",
        vlan::EGRESS_QOS => "IFLA_VLAN_EGRESS_QOS",
        vlan::INGRESS_QOS => "IFLA_VLAN_INGRESS_QOS",
        vlan::PROTOCOL => "IFLA_VLAN_PROTOCOL",
        _ => return None,
    })
}

fn bridge_name(t: u16) -> Option<&'static str> {
    Some(match t {
        br::FORWARD_DELAY => "IFLA_BR_FORWARD_DELAY",
        br::HELLO_TIME => "IFLA_BR_HELLO_TIME",
        br::MAX_AGE => "IFLA_BR_MAX_AGE",
        br::AGEING_TIME => "IFLA_BR_AGEING_TIME",
        br::STP_STATE => "IFLA_BR_STP_STATE",
        br::PRIORITY => "IFLA_BR_PRIORITY",
        br::VLAN_FILTERING => "IFLA_BR_VLAN_FILTERING",
        br::VLAN_PROTOCOL => "IFLA_BR_VLAN_PROTOCOL",
        br::VLAN_DEFAULT_PVID => "IFLA_BR_VLAN_DEFAULT_PVID",
        _ => return None,
    })
}

fn macvlan_name(t: u16) -> Option<&'static str> {
    Some(match t {
        macvlan::MODE => "IFLA_MACVLAN_MODE",
        macvlan::FLAGS => "IFLA_MACVLAN_FLAGS",
        macvlan::BC_QUEUE_LEN => "IFLA_MACVLAN_BC_QUEUE_LEN",
        _ => return None,
    })
}

fn ipvlan_name(t: u16) -> Option<&'static str> {
    Some(match t {
        ipvlan::MODE => "IFLA_IPVLAN_MODE",
        ipvlan::FLAGS => "IFLA_IPVLAN_FLAGS",
        _ => return None,
    })
}

fn bond_name(t: u16) -> Option<&'static str> {
    Some(match t {
        bond::MODE => "IFLA_BOND_MODE",
        bond::MIIMON => "IFLA_BOND_MIIMON",
        bond::UPDELAY => "IFLA_BOND_UPDELAY",
        bond::DOWNDELAY => "IFLA_BOND_DOWNDELAY",
        bond::PRIMARY => "IFLA_BOND_PRIMARY",
        bond::XMIT_HASH_POLICY => "IFLA_BOND_XMIT_HASH_POLICY",
        bond::MIN_LINKS => "IFLA_BOND_MIN_LINKS",
        bond::AD_LACP_RATE => "IFLA_BOND_AD_LACP_RATE",
        _ => return None,
    })
}

fn veth_name(t: u16) -> Option<&'static str> {
    (t == VETH_INFO_PEER).then_some("VETH_INFO_PEER")
}

fn vrf_name(t: u16) -> Option<&'static str> {
    (t == vrf::TABLE).then_some("IFLA_VRF_TABLE")
}

fn opt_u32(b: &mut MsgBuilder, t: u16, v: Option<u32>) {
    if let Some(v) = v {
        b.attr_u32(t, v);
    }
}

fn raw_all(b: &mut MsgBuilder, attrs: &[RawAttr]) {
    for a in attrs {
        b.raw_attr(a);
    }
}

/// The payload of `VETH_INFO_PEER`: a complete `ifinfomsg` followed by the peer's attributes.
fn peer_payload(
    p: &VethPeer,
    netns_fd: Option<i32>,
) -> std::result::Result<Vec<u8>, crate::error::InputError> {
    nested_payload(|b| {
        b.push_header(&[0u8; IFINFOMSG_LEN]);
        if let Some(n) = &p.name {
            b.attr_str(ifla::IFNAME, n);
        }
        if let Some(a) = p.address {
            b.attr(ifla::ADDRESS, &a.octets());
        }
        if let Some(m) = p.mtu {
            b.attr_u32(ifla::MTU, m);
        }
        if let Some(q) = p.txqlen {
            b.attr_u32(ifla::TXQLEN, q);
        }
        if let Some(fd) = netns_fd {
            b.attr_u32(ifla::NET_NS_FD, fd as u32);
        }
    })
}

fn encode_tun(b: &mut MsgBuilder, t: &TunInfo) {
    opt_u32(b, tun::OWNER, t.owner);
    opt_u32(b, tun::GROUP, t.group);
    if let Some(v) = t.tun_type {
        b.attr_u8(tun::TYPE, v);
    }
    for (k, v) in [
        (tun::PI, t.pi),
        (tun::VNET_HDR, t.vnet_hdr),
        (tun::PERSIST, t.persist),
        (tun::MULTI_QUEUE, t.multi_queue),
    ] {
        if let Some(v) = v {
            b.attr_u8(k, u8::from(v));
        }
    }
    opt_u32(b, tun::NUM_QUEUES, t.num_queues);
    opt_u32(b, tun::NUM_DISABLED_QUEUES, t.num_disabled_queues);
    raw_all(b, &t.other);
}

fn decode_bridge(data: &[RawAttr]) -> DecodeResult<Bridge> {
    let mut x = Bridge::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            br::FORWARD_DELAY => x.forward_delay = Some(a.u32()?),
            br::HELLO_TIME => x.hello_time = Some(a.u32()?),
            br::MAX_AGE => x.max_age = Some(a.u32()?),
            br::AGEING_TIME => x.ageing_time = Some(a.u32()?),
            br::STP_STATE => x.stp_state = Some(a.u32()?),
            br::PRIORITY => x.priority = Some(a.u16()?),
            br::VLAN_FILTERING => x.vlan_filtering = Some(a.u8()? != 0),
            br::VLAN_PROTOCOL => x.vlan_protocol = Some(a.be16()?),
            br::VLAN_DEFAULT_PVID => x.default_pvid = Some(a.u16()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_macvlan(data: &[RawAttr]) -> DecodeResult<Macvlan> {
    let mut x = Macvlan::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            macvlan::MODE => x.mode = Some(MacvlanMode::from_raw(a.u32()?)),
            macvlan::FLAGS => x.flags = Some(a.u16()?),
            macvlan::BC_QUEUE_LEN => x.bc_queue_len = Some(a.u32()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_ipvlan(data: &[RawAttr]) -> DecodeResult<Ipvlan> {
    let mut x = Ipvlan::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            ipvlan::MODE => x.mode = Some(IpvlanMode::from_raw(a.u16()?)),
            ipvlan::FLAGS => x.flag = Some(IpvlanFlag::from_raw(a.u16()?)),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn pair(p: &[u8]) -> DecodeResult<(u32, u32)> {
    let b: [u8; 8] = p.try_into().map_err(|_| {
        crate::error::ProtocolError::new(
            crate::error::Subsystem::Netlink,
            crate::error::ProtocolKind::Malformed,
            format!("expected 8 bytes, got {}", p.len()),
        )
    })?;
    Ok((
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    ))
}

fn decode_vlan(data: &[RawAttr]) -> DecodeResult<Vlan> {
    let mut x = Vlan::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            vlan::ID => x.id = Some(a.u16()?),
            vlan::PROTOCOL => x.protocol = Some(VlanProtocol::from_raw(a.be16()?)),
            vlan::FLAGS => x.flags = Some(pair(a.payload)?),
            vlan::EGRESS_QOS | vlan::INGRESS_QOS => {
                let mut map = Vec::new();
                for m in a.nested() {
                    let m = m?;
                    if m.kind() == vlan::QOS_MAPPING {
                        map.push(pair(m.payload)?);
                    } else {
                        return Err(crate::error::ProtocolError::new(
                            crate::error::Subsystem::Netlink,
                            crate::error::ProtocolKind::Malformed,
                            "unknown vlan QoS attribute",
                        ));
                    }
                }
                if a.kind() == vlan::EGRESS_QOS {
                    x.egress_qos = map;
                } else {
                    x.ingress_qos = map;
                }
            }
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_vxlan(data: &[RawAttr]) -> DecodeResult<Vxlan> {
    let mut x = Vxlan::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            vxlan::ID => x.vni = Some(a.u32()?),
            vxlan::GROUP if a.payload.len() == 4 => x.remote = Some(a.ip()?),
            vxlan::GROUP6 if a.payload.len() == 16 => x.remote = Some(a.ip()?),
            vxlan::LOCAL if a.payload.len() == 4 => x.local = Some(a.ip()?),
            vxlan::LOCAL6 if a.payload.len() == 16 => x.local = Some(a.ip()?),
            vxlan::LINK => x.underlay = Some(LinkRef::Index(a.u32()?)),
            vxlan::TTL => x.ttl = Some(a.u8()?),
            vxlan::TOS => x.tos = Some(a.u8()?),
            vxlan::LEARNING => x.learning = Some(a.u8()? != 0),
            vxlan::AGEING => x.ageing = Some(a.u32()?),
            vxlan::PORT => x.port = Some(a.be16()?),
            vxlan::PORT_RANGE => {
                let p = a.payload;
                if p.len() != 4 {
                    x.other.push(r.clone());
                } else {
                    x.port_range = Some((
                        u16::from_be_bytes([p[0], p[1]]),
                        u16::from_be_bytes([p[2], p[3]]),
                    ));
                }
            }
            vxlan::UDP_CSUM => x.udp_csum = Some(a.u8()? != 0),
            vxlan::COLLECT_METADATA => x.external = Some(a.u8()? != 0),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_bond(data: &[RawAttr]) -> DecodeResult<Bond> {
    let mut x = Bond::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            bond::MODE => x.mode = Some(BondMode::from_raw(a.u8()?)),
            bond::MIIMON => x.miimon = Some(a.u32()?),
            bond::UPDELAY => x.updelay = Some(a.u32()?),
            bond::DOWNDELAY => x.downdelay = Some(a.u32()?),
            bond::PRIMARY => x.primary = Some(a.u32()?),
            bond::XMIT_HASH_POLICY => x.xmit_hash_policy = Some(a.u8()?),
            bond::MIN_LINKS => x.min_links = Some(a.u32()?),
            bond::AD_LACP_RATE => x.lacp_rate = Some(a.u8()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_vrf(data: &[RawAttr]) -> DecodeResult<Vrf> {
    let mut x = Vrf::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            vrf::TABLE => x.table = Some(a.u32()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

fn decode_tun(data: &[RawAttr]) -> DecodeResult<TunInfo> {
    let mut x = TunInfo::default();
    for r in data {
        let a = view(r);
        match a.kind() {
            tun::OWNER => x.owner = Some(a.u32()?),
            tun::GROUP => x.group = Some(a.u32()?),
            tun::TYPE => x.tun_type = Some(a.u8()?),
            tun::PI => x.pi = Some(a.u8()? != 0),
            tun::VNET_HDR => x.vnet_hdr = Some(a.u8()? != 0),
            tun::PERSIST => x.persist = Some(a.u8()? != 0),
            tun::MULTI_QUEUE => x.multi_queue = Some(a.u8()? != 0),
            tun::NUM_QUEUES => x.num_queues = Some(a.u32()?),
            tun::NUM_DISABLED_QUEUES => x.num_disabled_queues = Some(a.u32()?),
            _ => x.other.push(r.clone()),
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::wire;

    fn data_of(kind: &LinkKind) -> Vec<RawAttr> {
        let mut b = MsgBuilder::new(0, 0);
        kind.encode_data(&mut b, &KindResolved::default());
        let bytes = b.finish().unwrap();
        wire::attrs(&bytes[16..])
            .map(|a| RawAttr::from_attr(&a.unwrap()))
            .collect()
    }

    #[test]
    fn rt_07_macvlan_mode_is_u32_and_round_trips() {
        let k = LinkKind::Macvlan(Macvlan::mode(MacvlanMode::Bridge));
        let d = data_of(&k);
        assert_eq!(d[0].kind(), macvlan::MODE);
        assert_eq!(d[0].payload, 4u32.to_ne_bytes());
        assert_eq!(LinkKind::decode("macvlan", &d), k);
        let k = LinkKind::Macvtap(Macvlan::mode(MacvlanMode::Source));
        assert_eq!(LinkKind::decode("macvtap", &data_of(&k)), k);
    }

    #[test]
    fn rt_08_ipvlan_mode_is_u16() {
        let k = LinkKind::Ipvlan(Ipvlan {
            mode: Some(IpvlanMode::L3s),
            flag: Some(IpvlanFlag::Private),
            other: vec![],
        });
        let d = data_of(&k);
        assert_eq!(d[0].payload, 2u16.to_ne_bytes());
        assert_eq!(d[1].payload, 1u16.to_ne_bytes());
        assert_eq!(LinkKind::decode("ipvlan", &d), k);
    }

    #[test]
    fn rt_09_vlan_validation_and_protocol_big_endian() {
        assert!(
            LinkKind::Vlan(Vlan::id(0))
                .validate()
                .unwrap_err()
                .is_input()
        );
        let e = LinkKind::Vlan(Vlan::id(4095)).validate().unwrap_err();
        assert!(e.to_string().contains("4095"), "{e}");
        let k = LinkKind::Vlan(Vlan {
            id: Some(42),
            protocol: Some(VlanProtocol::Dot1Ad),
            flags: Some((1, 1)),
            ingress_qos: vec![(1, 2)],
            egress_qos: vec![(3, 4), (5, 6)],
            other: vec![],
        });
        k.validate().unwrap();
        let d = data_of(&k);
        let proto = d.iter().find(|a| a.kind() == vlan::PROTOCOL).unwrap();
        assert_eq!(proto.payload, [0x88, 0xa8]);
        assert_eq!(LinkKind::decode("vlan", &d), k);
    }

    #[test]
    fn rt_10_vxlan_requires_vni_and_port_big_endian() {
        let mut v = Vxlan::new(42, 4789).remote("192.0.2.1".parse().unwrap());
        let k = LinkKind::Vxlan(v.clone());
        k.validate().unwrap();
        let d = data_of(&k);
        let port = d.iter().find(|a| a.kind() == vxlan::PORT).unwrap();
        assert_eq!(port.payload, [0x12, 0xb5]);
        assert_eq!(LinkKind::decode("vxlan", &d), k);
        v.port = None;
        let e = LinkKind::Vxlan(v.clone()).validate().unwrap_err();
        assert!(e.to_string().contains("port"), "{e}");
        let e = LinkKind::Vxlan(Vxlan::new(1 << 24, 4789))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("16777216"), "{e}");
        let e = LinkKind::Vxlan(
            Vxlan::new(1, 4789)
                .remote("192.0.2.1".parse().unwrap())
                .local("2001:db8::1".parse().unwrap()),
        )
        .validate()
        .unwrap_err();
        assert!(e.is_input(), "{e}");
    }

    #[test]
    fn rt_17_unknown_kinds_and_bad_sizes_stay_raw() {
        let data = vec![RawAttr {
            raw_type: 7,
            payload: vec![1, 2, 3],
        }];
        assert_eq!(
            LinkKind::decode("macsec", &data),
            LinkKind::generic("macsec", data.clone())
        );
        // A macvlan mode of 3 bytes does not decode as macvlan: raw fallback, nothing lost.
        let bad = vec![RawAttr {
            raw_type: macvlan::MODE,
            payload: vec![4, 0, 0],
        }];
        let k = LinkKind::decode("macvlan", &bad);
        assert_eq!(k, LinkKind::generic("macvlan", bad.clone()));
        assert_eq!(data_of(&k), bad);
    }

    #[test]
    fn rt_05_veth_peer_is_a_full_ifinfomsg() {
        let k = LinkKind::Veth(Veth {
            peer: Some(VethPeer::named("v1").mtu(1400)),
        });
        let d = data_of(&k);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].raw_type, VETH_INFO_PEER,
            "no NLA_F_NESTED, like iproute2"
        );
        let p = &d[0].payload;
        assert_eq!(&p[..16], &[0u8; 16]);
        let inner: Vec<_> = wire::attrs(&p[16..]).map(|a| a.unwrap()).collect();
        assert_eq!(inner[0].str().unwrap(), "v1");
        assert_eq!(inner[1].u32().unwrap(), 1400);
    }
}
