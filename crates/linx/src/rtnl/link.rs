//! Links (network interfaces): decoding `RTM_NEWLINK` messages, listing and getting links.
//!
//! A [`Link`] keeps every attribute: the ones linx models are typed fields, the rest are kept raw in
//! [`Link::other`] so nothing the kernel said is lost.

use std::fmt;

use std::os::fd::{AsRawFd, OwnedFd};

use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, MsgBuilder, RawAttr, flags};
use crate::netlink::{DEFAULT_DUMP_RETRIES, NetlinkSocket, Request};
use crate::ns::{NsKind, NsSet, NsTarget};
use crate::types::Mac;

use super::common::{check_ifname, input};
use super::kinds::{
    Bond, BondMode, Bridge, Geneve, Gre, IpTunnel, Ipvlan, IpvlanMode, KindResolved, LinkKind,
    Macvlan, MacvlanMode, Veth, VethPeer, Vlan, Vrf, Vxlan,
};
use super::{RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, Rtnl};

/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;

/// `IFLA_*` attribute numbers.
#[allow(missing_docs)]
pub mod ifla {
    pub const ADDRESS: u16 = 1;
    pub const BROADCAST: u16 = 2;
    pub const IFNAME: u16 = 3;
    pub const MTU: u16 = 4;
    pub const LINK: u16 = 5;
    pub const QDISC: u16 = 6;
    pub const STATS: u16 = 7;
    pub const MASTER: u16 = 10;
    pub const TXQLEN: u16 = 13;
    pub const OPERSTATE: u16 = 16;
    pub const LINKMODE: u16 = 17;
    pub const LINKINFO: u16 = 18;
    pub const NET_NS_PID: u16 = 19;
    pub const IFALIAS: u16 = 20;
    pub const STATS64: u16 = 23;
    pub const AF_SPEC: u16 = 26;
    pub const GROUP: u16 = 27;
    pub const NET_NS_FD: u16 = 28;
    pub const EXT_MASK: u16 = 29;
    pub const PROMISCUITY: u16 = 30;
    pub const NUM_TX_QUEUES: u16 = 31;
    pub const NUM_RX_QUEUES: u16 = 32;
    pub const CARRIER: u16 = 33;
    pub const CARRIER_CHANGES: u16 = 35;
    pub const LINK_NETNSID: u16 = 37;
    pub const PROTO_DOWN: u16 = 39;
    pub const GSO_MAX_SEGS: u16 = 40;
    pub const GSO_MAX_SIZE: u16 = 41;
    pub const CARRIER_UP_COUNT: u16 = 47;
    pub const CARRIER_DOWN_COUNT: u16 = 48;
    pub const MIN_MTU: u16 = 50;
    pub const MAX_MTU: u16 = 51;
    pub const PROP_LIST: u16 = 52;
    pub const ALT_IFNAME: u16 = 53;
    pub const PERM_ADDRESS: u16 = 54;
    pub const GRO_MAX_SIZE: u16 = 58;
    pub const TSO_MAX_SIZE: u16 = 59;
    pub const TSO_MAX_SEGS: u16 = 60;
    pub const ALLMULTI: u16 = 61;

    /// `IFLA_INFO_*` inside `IFLA_LINKINFO`.
    pub mod info {
        pub const KIND: u16 = 1;
        pub const DATA: u16 = 2;
        pub const XSTATS: u16 = 3;
        pub const SLAVE_KIND: u16 = 4;
        pub const SLAVE_DATA: u16 = 5;
    }
}

/// Names an attribute path inside an `RTM_*LINK` request (for extended-ack errors); attributes
/// inside `IFLA_INFO_DATA` are shown as numbers (see [`LinkKind::attr_namer`] for kind-aware
/// names).
pub fn attr_path_name(path: &[u16]) -> String {
    link_path_name(path, |_| None)
}

/// Names an attribute path inside an `RTM_*LINK` request, using `data_name` for the attributes
/// inside `IFLA_LINKINFO/IFLA_INFO_DATA`.
pub fn link_path_name(path: &[u16], data_name: fn(u16) -> Option<&'static str>) -> String {
    let mut out = Vec::with_capacity(path.len());
    let mut in_linkinfo = false;
    let mut in_data = false;
    for (i, &t) in path.iter().enumerate() {
        let name = if i == 0 {
            in_linkinfo = t == ifla::LINKINFO;
            top_level_name(t)
        } else if i == 1 && in_linkinfo {
            in_data = t == ifla::info::DATA;
            match t {
                ifla::info::KIND => Some("IFLA_INFO_KIND"),
                ifla::info::DATA => Some("IFLA_INFO_DATA"),
                ifla::info::XSTATS => Some("IFLA_INFO_XSTATS"),
                ifla::info::SLAVE_KIND => Some("IFLA_INFO_SLAVE_KIND"),
                ifla::info::SLAVE_DATA => Some("IFLA_INFO_SLAVE_DATA"),
                _ => None,
            }
        } else if i == 2 && in_data {
            data_name(t)
        } else {
            None
        };
        out.push(name.map_or_else(|| t.to_string(), str::to_owned));
    }
    out.join("/")
}

fn top_level_name(t: u16) -> Option<&'static str> {
    Some(match t {
        ifla::ADDRESS => "IFLA_ADDRESS",
        ifla::BROADCAST => "IFLA_BROADCAST",
        ifla::IFNAME => "IFLA_IFNAME",
        ifla::MTU => "IFLA_MTU",
        ifla::LINK => "IFLA_LINK",
        ifla::MASTER => "IFLA_MASTER",
        ifla::TXQLEN => "IFLA_TXQLEN",
        ifla::OPERSTATE => "IFLA_OPERSTATE",
        ifla::LINKMODE => "IFLA_LINKMODE",
        ifla::LINKINFO => "IFLA_LINKINFO",
        ifla::NET_NS_PID => "IFLA_NET_NS_PID",
        ifla::IFALIAS => "IFLA_IFALIAS",
        ifla::GROUP => "IFLA_GROUP",
        ifla::NET_NS_FD => "IFLA_NET_NS_FD",
        ifla::EXT_MASK => "IFLA_EXT_MASK",
        ifla::ALT_IFNAME => "IFLA_ALT_IFNAME",
        ifla::PROP_LIST => "IFLA_PROP_LIST",
        ifla::CARRIER => "IFLA_CARRIER",
        _ => return None,
    })
}

bitflags::bitflags! {
    /// Interface flags (`IFF_*`, [netdevice(7)](https://man7.org/linux/man-pages/man7/netdevice.7.html)).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LinkFlags: u32 {
        /// Administratively up.
        const UP = 1 << 0;
        /// Broadcast address valid.
        const BROADCAST = 1 << 1;
        /// Debugging.
        const DEBUG = 1 << 2;
        /// Loopback.
        const LOOPBACK = 1 << 3;
        /// Point-to-point link.
        const POINTOPOINT = 1 << 4;
        /// Avoid trailers.
        const NOTRAILERS = 1 << 5;
        /// Operationally up (RFC 2863 OPER_UP).
        const RUNNING = 1 << 6;
        /// No ARP.
        const NOARP = 1 << 7;
        /// Promiscuous.
        const PROMISC = 1 << 8;
        /// Receive all multicast.
        const ALLMULTI = 1 << 9;
        /// Master of a load balancer.
        const MASTER = 1 << 10;
        /// Slave of a load balancer.
        const SLAVE = 1 << 11;
        /// Supports multicast.
        const MULTICAST = 1 << 12;
        /// Can set media type.
        const PORTSEL = 1 << 13;
        /// Auto media select.
        const AUTOMEDIA = 1 << 14;
        /// Dial-up with changing addresses.
        const DYNAMIC = 1 << 15;
        /// Driver signals L1 up.
        const LOWER_UP = 1 << 16;
        /// Driver signals dormant.
        const DORMANT = 1 << 17;
        /// Echoes sent packets.
        const ECHO = 1 << 18;
        const _ = !0;
    }
}

/// The order and names iproute2 prints flags in.
const FLAG_NAMES: [(LinkFlags, &str); 18] = [
    (LinkFlags::LOOPBACK, "LOOPBACK"),
    (LinkFlags::BROADCAST, "BROADCAST"),
    (LinkFlags::POINTOPOINT, "POINTOPOINT"),
    (LinkFlags::MULTICAST, "MULTICAST"),
    (LinkFlags::NOARP, "NOARP"),
    (LinkFlags::ALLMULTI, "ALLMULTI"),
    (LinkFlags::PROMISC, "PROMISC"),
    (LinkFlags::NOTRAILERS, "NOTRAILERS"),
    (LinkFlags::DEBUG, "DEBUG"),
    (LinkFlags::DYNAMIC, "DYNAMIC"),
    (LinkFlags::AUTOMEDIA, "AUTOMEDIA"),
    (LinkFlags::PORTSEL, "PORTSEL"),
    (LinkFlags::UP, "UP"),
    (LinkFlags::MASTER, "MASTER"),
    (LinkFlags::SLAVE, "SLAVE"),
    (LinkFlags::LOWER_UP, "LOWER_UP"),
    (LinkFlags::DORMANT, "DORMANT"),
    (LinkFlags::ECHO, "ECHO"),
];

impl LinkFlags {
    /// The flag words as `ip link` prints them: `NO-CARRIER` first when up without carrier, then
    /// the set flags in iproute2's order (RUNNING is implied and not printed), unknown bits as hex,
    /// and `M-DOWN` last when `parent_down` (the link's parent/peer is down).
    pub fn ip_names(self, parent_down: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.contains(LinkFlags::UP) && !self.contains(LinkFlags::RUNNING) {
            out.push("NO-CARRIER".to_owned());
        }
        let mut rest = self - LinkFlags::RUNNING;
        for (flag, name) in FLAG_NAMES {
            if rest.contains(flag) {
                out.push(name.to_owned());
                rest -= flag;
            }
        }
        if !rest.is_empty() {
            out.push(format!("{:x}", rest.bits()));
        }
        if parent_down {
            out.push("M-DOWN".to_owned());
        }
        out
    }
}

/// RFC 2863 operational state (`IFLA_OPERSTATE`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperState {
    /// Unknown (e.g. loopback, or a driver that does not report it).
    Unknown,
    /// Not present.
    NotPresent,
    /// Down.
    Down,
    /// Down because a lower layer is down.
    LowerLayerDown,
    /// Testing.
    Testing,
    /// Dormant.
    Dormant,
    /// Up.
    Up,
    /// A value newer than linx.
    Other(u8),
}

impl OperState {
    /// From the kernel's number.
    pub fn from_raw(v: u8) -> OperState {
        match v {
            0 => OperState::Unknown,
            1 => OperState::NotPresent,
            2 => OperState::Down,
            3 => OperState::LowerLayerDown,
            4 => OperState::Testing,
            5 => OperState::Dormant,
            6 => OperState::Up,
            n => OperState::Other(n),
        }
    }

    /// The name iproute2 prints (`UP`, `LOWERLAYERDOWN`, …).
    pub fn name(self) -> String {
        match self {
            OperState::Unknown => "UNKNOWN".into(),
            OperState::NotPresent => "NOTPRESENT".into(),
            OperState::Down => "DOWN".into(),
            OperState::LowerLayerDown => "LOWERLAYERDOWN".into(),
            OperState::Testing => "TESTING".into(),
            OperState::Dormant => "DORMANT".into(),
            OperState::Up => "UP".into(),
            OperState::Other(n) => format!("{n:#x}"),
        }
    }
}

/// `IFLA_LINKINFO`: the link's kind and kind-specific data, and its port (slave) kind and data
/// when it is enslaved. Kind data is kept as raw attributes until its kind is modelled.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// `IFLA_INFO_KIND` (`veth`, `bridge`, …).
    pub kind: Option<String>,
    /// `IFLA_INFO_DATA`, raw.
    pub data: Vec<RawAttr>,
    /// `IFLA_INFO_SLAVE_KIND` (`bridge`, `bond`, …).
    pub port_kind: Option<String>,
    /// `IFLA_INFO_SLAVE_DATA`, raw.
    pub port_data: Vec<RawAttr>,
    /// Other `IFLA_INFO_*` attributes, raw.
    pub other: Vec<RawAttr>,
}

/// A network interface as the kernel reports it.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Interface index (unique per namespace).
    pub index: u32,
    /// Name (`IFLA_IFNAME`).
    pub name: String,
    /// `IFF_*` flags.
    pub flags: LinkFlags,
    /// Hardware type (`ARPHRD_*`).
    pub link_type: u16,
    /// MTU.
    pub mtu: Option<u32>,
    /// Minimum MTU the device accepts.
    pub min_mtu: Option<u32>,
    /// Maximum MTU the device accepts.
    pub max_mtu: Option<u32>,
    /// Hardware address (6 bytes for Ethernet-like links; other lengths kept as is).
    pub address: Option<Vec<u8>>,
    /// Broadcast hardware address.
    pub broadcast: Option<Vec<u8>>,
    /// Permanent hardware address.
    pub perm_address: Option<Vec<u8>>,
    /// Index of the master (bridge, bond …).
    pub master: Option<u32>,
    /// Index of the parent or peer link (`IFLA_LINK`), in the namespace given by
    /// [`link_netnsid`](Link::link_netnsid) when that is set.
    pub parent: Option<u32>,
    /// Namespace id of the parent/peer's namespace, when it is another namespace.
    pub link_netnsid: Option<i32>,
    /// Operational state.
    pub operstate: Option<OperState>,
    /// Link mode (0 default, 1 dormant).
    pub linkmode: Option<u8>,
    /// Transmit queue length.
    pub txqlen: Option<u32>,
    /// Interface group.
    pub group: Option<u32>,
    /// Alias (`IFLA_IFALIAS`).
    pub alias: Option<String>,
    /// Alternative names.
    pub alt_names: Vec<String>,
    /// Queueing discipline name.
    pub qdisc: Option<String>,
    /// Carrier state.
    pub carrier: Option<bool>,
    /// Carrier changes counter.
    pub carrier_changes: Option<u32>,
    /// Promiscuity count.
    pub promiscuity: Option<u32>,
    /// All-multicast count.
    pub allmulti: Option<u32>,
    /// Number of transmit queues.
    pub num_tx_queues: Option<u32>,
    /// Number of receive queues.
    pub num_rx_queues: Option<u32>,
    /// GSO maximum size.
    pub gso_max_size: Option<u32>,
    /// GSO maximum segments.
    pub gso_max_segs: Option<u32>,
    /// TSO maximum size.
    pub tso_max_size: Option<u32>,
    /// TSO maximum segments.
    pub tso_max_segs: Option<u32>,
    /// GRO maximum size.
    pub gro_max_size: Option<u32>,
    /// Protocol-down state.
    pub proto_down: Option<bool>,
    /// Kind and port information.
    pub info: Option<LinkInfo>,
    /// Attributes linx does not model (statistics, AF_SPEC, XDP …), raw and in order.
    pub other: Vec<RawAttr>,
}

fn err(detail: String) -> Error {
    Error::protocol(Subsystem::Netlink, ProtocolKind::Malformed, detail)
}

impl Link {
    /// Decodes the payload of an `RTM_NEWLINK` message (`ifinfomsg` + attributes).
    ///
    /// # Errors
    /// Protocol errors for a short header, malformed attributes or wrong attribute sizes.
    pub fn decode(payload: &[u8]) -> Result<Link> {
        let h: &[u8; IFINFOMSG_LEN] = payload
            .get(..IFINFOMSG_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                Error::protocol(
                    Subsystem::Netlink,
                    ProtocolKind::Truncated,
                    format!("RTM_NEWLINK payload of {} bytes", payload.len()),
                )
            })?;
        let mut link = Link {
            link_type: u16::from_ne_bytes([h[2], h[3]]),
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            flags: LinkFlags::from_bits_retain(u32::from_ne_bytes([h[8], h[9], h[10], h[11]])),
            ..Link::default()
        };
        for a in wire::attrs(&payload[IFINFOMSG_LEN..]) {
            let a = a?;
            match a.kind() {
                ifla::IFNAME => link.name = a.str()?.to_owned(),
                ifla::MTU => link.mtu = Some(a.u32()?),
                ifla::MIN_MTU => link.min_mtu = Some(a.u32()?),
                ifla::MAX_MTU => link.max_mtu = Some(a.u32()?),
                ifla::ADDRESS => link.address = Some(a.payload.to_vec()),
                ifla::BROADCAST => link.broadcast = Some(a.payload.to_vec()),
                ifla::PERM_ADDRESS => link.perm_address = Some(a.payload.to_vec()),
                ifla::MASTER => link.master = Some(a.u32()?),
                ifla::LINK => link.parent = Some(a.u32()?),
                ifla::LINK_NETNSID => link.link_netnsid = Some(a.i32()?),
                ifla::OPERSTATE => link.operstate = Some(OperState::from_raw(a.u8()?)),
                ifla::LINKMODE => link.linkmode = Some(a.u8()?),
                ifla::TXQLEN => link.txqlen = Some(a.u32()?),
                ifla::GROUP => link.group = Some(a.u32()?),
                ifla::IFALIAS => link.alias = Some(a.str()?.to_owned()),
                ifla::QDISC => link.qdisc = Some(a.str()?.to_owned()),
                ifla::CARRIER => link.carrier = Some(a.u8()? != 0),
                ifla::CARRIER_CHANGES => link.carrier_changes = Some(a.u32()?),
                ifla::PROMISCUITY => link.promiscuity = Some(a.u32()?),
                ifla::ALLMULTI => link.allmulti = Some(a.u32()?),
                ifla::NUM_TX_QUEUES => link.num_tx_queues = Some(a.u32()?),
                ifla::NUM_RX_QUEUES => link.num_rx_queues = Some(a.u32()?),
                ifla::GSO_MAX_SIZE => link.gso_max_size = Some(a.u32()?),
                ifla::GSO_MAX_SEGS => link.gso_max_segs = Some(a.u32()?),
                ifla::TSO_MAX_SIZE => link.tso_max_size = Some(a.u32()?),
                ifla::TSO_MAX_SEGS => link.tso_max_segs = Some(a.u32()?),
                ifla::GRO_MAX_SIZE => link.gro_max_size = Some(a.u32()?),
                ifla::PROTO_DOWN => link.proto_down = Some(a.u8()? != 0),
                ifla::PROP_LIST => {
                    for p in a.nested() {
                        let p = p?;
                        if p.kind() == ifla::ALT_IFNAME {
                            link.alt_names.push(p.str()?.to_owned());
                        }
                    }
                }
                ifla::LINKINFO => link.info = Some(decode_linkinfo(a.payload)?),
                _ => link.other.push(RawAttr::from_attr(&a)),
            }
        }
        if link.name.is_empty() {
            return Err(err(format!("link {} without IFLA_IFNAME", link.index)));
        }
        Ok(link)
    }

    /// The link's kind with typed options ([`LinkKind`]); `None` when the link reports no
    /// kind (e.g. `lo`, physical NICs). Kinds linx does not model, and data that does not
    /// decode, come back as [`LinkKind::Generic`] with raw attributes.
    pub fn kind_data(&self) -> Option<LinkKind> {
        let info = self.info.as_ref()?;
        let kind = info.kind.as_deref()?;
        Some(LinkKind::decode(kind, &info.data))
    }

    /// The link's kind (`veth`, `bridge` …), if it reports one.
    pub fn kind(&self) -> Option<&str> {
        self.info.as_ref()?.kind.as_deref()
    }

    /// True when administratively up.
    pub fn is_up(&self) -> bool {
        self.flags.contains(LinkFlags::UP)
    }

    /// The hardware address as text in iproute2's form (see [`format_ll_addr`]).
    pub fn address_text(&self) -> Option<String> {
        self.address
            .as_deref()
            .map(|a| format_ll_addr(a, self.link_type))
    }

    /// The hardware type name iproute2 uses (`ether`, `loopback`, `none` …).
    pub fn link_type_name(&self) -> String {
        arphrd_name(self.link_type)
    }
}

fn decode_linkinfo(payload: &[u8]) -> Result<LinkInfo> {
    let mut info = LinkInfo::default();
    for a in wire::attrs(payload) {
        let a = a?;
        match a.kind() {
            ifla::info::KIND => info.kind = Some(a.str()?.to_owned()),
            ifla::info::SLAVE_KIND => info.port_kind = Some(a.str()?.to_owned()),
            ifla::info::DATA => {
                info.data = a
                    .nested()
                    .map(|x| x.map(|x| RawAttr::from_attr(&x)))
                    .collect::<std::result::Result<_, _>>()?
            }
            ifla::info::SLAVE_DATA => {
                info.port_data = a
                    .nested()
                    .map(|x| x.map(|x| RawAttr::from_attr(&x)))
                    .collect::<std::result::Result<_, _>>()?
            }
            _ => info.other.push(RawAttr::from_attr(&a)),
        }
    }
    Ok(info)
}

/// Formats a link-layer address as iproute2 does: dotted IPv4 for 4-byte tunnel addresses, IPv6
/// text for 16-byte ones on IPv6 tunnels, otherwise lowercase hex bytes joined by `:`.
pub fn format_ll_addr(addr: &[u8], link_type: u16) -> String {
    const TUNNEL: u16 = 768;
    const SIT: u16 = 776;
    const IPGRE: u16 = 778;
    const TUNNEL6: u16 = 769;
    const IP6GRE: u16 = 823;
    match (link_type, addr.len()) {
        (TUNNEL | SIT | IPGRE, 4) => {
            std::net::Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]).to_string()
        }
        (TUNNEL6 | IP6GRE, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(addr);
            std::net::Ipv6Addr::from(b).to_string()
        }
        _ => addr
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

/// The iproute2 name of an `ARPHRD_*` hardware type; unknown types print as `[N]`.
pub fn arphrd_name(t: u16) -> String {
    let name = match t {
        0 => "netrom",
        1 => "ether",
        2 => "eether",
        3 => "ax25",
        4 => "pronet",
        5 => "chaos",
        6 => "ieee802",
        7 => "arcnet",
        8 => "appletlk",
        15 => "dlci",
        19 => "atm",
        23 => "metricom",
        24 => "ieee1394",
        27 => "eui64",
        32 => "infiniband",
        256 => "slip",
        257 => "cslip",
        258 => "slip6",
        259 => "cslip6",
        260 => "rsrvd",
        264 => "adapt",
        270 => "rose",
        271 => "x25",
        272 => "hwx25",
        280 => "can",
        512 => "ppp",
        513 => "hdlc",
        516 => "lapb",
        517 => "ddcmp",
        518 => "rawhdlc",
        519 => "rawip",
        768 => "ipip",
        769 => "tunnel6",
        770 => "frad",
        771 => "skip",
        772 => "loopback",
        773 => "localtlk",
        774 => "fddi",
        775 => "bif",
        776 => "sit",
        777 => "ip/ddp",
        778 => "gre",
        779 => "pimreg",
        780 => "hippi",
        781 => "ash",
        782 => "econet",
        783 => "irda",
        784 => "fcpp",
        785 => "fcal",
        786 => "fcpl",
        787 => "fcfb",
        800 => "tr",
        801 => "tr+",
        802 => "ieee802.11",
        803 => "ieee802.11/prism",
        804 => "ieee802.11/radiotap",
        805 => "ieee802.15.4",
        806 => "ieee802.15.4/monitor",
        820 => "phonet",
        821 => "phonet_pipe",
        822 => "caif",
        823 => "ip6gre",
        824 => "netlink",
        825 => "6lowpan",
        826 => "vsockmon",
        0xfffe => "none",
        0xffff => "void",
        n => return format!("[{n}]"),
    };
    name.to_owned()
}

impl fmt::Display for Link {
    /// `ip -o link` style: `4: veth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 veth`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} <{}>",
            self.index,
            self.name,
            self.flags.ip_names(false).join(",")
        )?;
        if let Some(mtu) = self.mtu {
            write!(f, " mtu {mtu}")?;
        }
        if let Some(m) = self.master {
            write!(f, " master {m}")?;
        }
        if let Some(state) = self.operstate {
            write!(f, " state {}", state.name())?;
        }
        if let Some(addr) = self.address_text() {
            write!(f, " link/{} {addr}", self.link_type_name())?;
        }
        if let Some(kind) = self.kind() {
            write!(f, " {kind}")?;
        }
        Ok(())
    }
}

fn ifinfomsg(index: u32) -> [u8; IFINFOMSG_LEN] {
    let mut h = [0u8; IFINFOMSG_LEN];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h
}

fn get_request(index: u32) -> MsgBuilder {
    let mut b = MsgBuilder::new(RTM_GETLINK, 0);
    b.push_header(&ifinfomsg(index));
    b
}

fn request(b: MsgBuilder) -> Result<Request> {
    Ok(Request::new(b, "RTM_GETLINK")?.with_attr_namer(attr_path_name))
}

pub(crate) fn dump_request() -> Result<Request> {
    request(get_request(0))
}

/// Dumps every link of the socket's namespace.
pub fn list(sock: &mut NetlinkSocket) -> Result<Vec<Link>> {
    let req = request(get_request(0))?;
    let msgs = sock.dump_consistent(&req, DEFAULT_DUMP_RETRIES)?;
    msgs.iter()
        .filter(|m| m.header.msg_type == RTM_NEWLINK)
        .map(|m| Link::decode(&m.payload))
        .collect()
}

fn single(sock: &mut NetlinkSocket, req: &Request) -> Result<Link> {
    let msgs = sock.request(req)?;
    let m = msgs
        .iter()
        .find(|m| m.header.msg_type == RTM_NEWLINK)
        .ok_or_else(|| {
            Error::protocol(
                Subsystem::Netlink,
                ProtocolKind::UnexpectedMessage,
                "RTM_GETLINK answered without a link",
            )
        })?;
    Link::decode(&m.payload)
}

/// Gets one link by name.
///
/// # Errors
/// Input error for an invalid name; `ENODEV` naming the interface when it does not exist.
pub fn get_by_name(sock: &mut NetlinkSocket, name: &str) -> Result<Link> {
    let ifname: crate::types::IfName = name.parse().map_err(|e: crate::types::ParseError| {
        Error::input(
            Subsystem::Netlink,
            e.target.as_str(),
            name,
            e.kind.to_string(),
        )
    })?;
    let mut b = get_request(0);
    b.attr_str(ifla::IFNAME, ifname.as_str());
    let req = request(b)?;
    single(sock, &req).map_err(|e| e.with_context(|c| c.interface = Some(name.to_owned())))
}

/// Gets one link by index.
///
/// # Errors
/// Input error for index 0; `ENODEV` when no link has that index.
pub fn get_by_index(sock: &mut NetlinkSocket, index: u32) -> Result<Link> {
    if index == 0 {
        return Err(Error::input(
            Subsystem::Netlink,
            "interface index",
            "0",
            "indexes start at 1",
        ));
    }
    let req = request(get_request(index))?;
    single(sock, &req).map_err(|e| e.with_context(|c| c.object = Some(format!("index {index}"))))
}

/// Names a link for an operation: by index or by name. Converts from `u32`, `&str`, `String`,
/// [`IfName`](crate::types::IfName) and `&Link` (its index). Names are validated before any
/// syscall (1..=15 bytes, no `/`, `:` or whitespace, not `.`/`..`).
///
/// ```
/// use linx::rtnl::LinkRef;
/// assert_eq!(LinkRef::from("v0"), LinkRef::Name("v0".into()));
/// assert_eq!(LinkRef::from(3u32), LinkRef::Index(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkRef {
    /// By interface index.
    Index(u32),
    /// By interface name.
    Name(String),
}

impl LinkRef {
    /// Checks the reference (index above 0, valid name) as an input error naming `argument`.
    ///
    /// # Errors
    /// Input error naming the value.
    pub fn validate(&self, argument: &'static str) -> Result<()> {
        match self {
            LinkRef::Index(0) => Err(input(argument, "0", "interface indexes start at 1")),
            LinkRef::Index(_) => Ok(()),
            LinkRef::Name(n) => check_ifname(argument, n),
        }
    }

    fn describe(&self) -> String {
        match self {
            LinkRef::Index(i) => format!("index {i}"),
            LinkRef::Name(n) => format!("{n:?}"),
        }
    }
}

impl std::fmt::Display for LinkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkRef::Index(i) => write!(f, "{i}"),
            LinkRef::Name(n) => f.write_str(n),
        }
    }
}

impl From<u32> for LinkRef {
    fn from(i: u32) -> LinkRef {
        LinkRef::Index(i)
    }
}

impl From<&str> for LinkRef {
    fn from(n: &str) -> LinkRef {
        LinkRef::Name(n.to_owned())
    }
}

impl From<String> for LinkRef {
    fn from(n: String) -> LinkRef {
        LinkRef::Name(n)
    }
}

impl From<&String> for LinkRef {
    fn from(n: &String) -> LinkRef {
        LinkRef::Name(n.clone())
    }
}

impl From<crate::types::IfName> for LinkRef {
    fn from(n: crate::types::IfName) -> LinkRef {
        LinkRef::Name(n.as_str().to_owned())
    }
}

impl From<&Link> for LinkRef {
    fn from(l: &Link) -> LinkRef {
        LinkRef::Index(l.index)
    }
}

/// `IFALIASZ - 1`: the longest alias the kernel keeps.
const MAX_ALIAS: usize = 255;

fn check_alias(alias: &str) -> Result<()> {
    if alias.len() > MAX_ALIAS || alias.contains('\0') {
        return Err(input(
            "interface alias",
            alias,
            "longer than 255 bytes or contains NUL",
        ));
    }
    Ok(())
}

/// A link to create (`RTM_NEWLINK` with `NLM_F_CREATE | NLM_F_EXCL`): common attributes plus a
/// typed [`LinkKind`]. See [ip-link(8)](https://man7.org/linux/man-pages/man8/ip-link.8.html).
///
/// ```no_run
/// use linx::rtnl::{LinkSpec, Rtnl};
/// use linx::rtnl::kinds::MacvlanMode;
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// let v0 = rtnl.create_link(&LinkSpec::veth("v0", "v1").mtu(1400))?;
/// rtnl.create_link(&LinkSpec::macvlan("mv0", "v1", MacvlanMode::Bridge).up())?;
/// println!("{v0}");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LinkSpec {
    /// Name (the kernel picks one when absent).
    pub name: Option<String>,
    /// Kind and options.
    pub kind: LinkKind,
    /// MTU.
    pub mtu: Option<u32>,
    /// Hardware address.
    pub address: Option<Mac>,
    /// Master (bridge, bond, vrf).
    pub master: Option<LinkRef>,
    /// Parent link (`IFLA_LINK`: the lower device of macvlan, ipvlan, vlan …).
    pub parent: Option<LinkRef>,
    /// Create the link directly in this network namespace (`IFLA_NET_NS_FD`).
    pub netns: Option<NsTarget>,
    /// Bring it up on creation.
    pub up: bool,
    /// Transmit queue length.
    pub txqlen: Option<u32>,
    /// Alias.
    pub alias: Option<String>,
    /// Interface group.
    pub group: Option<u32>,
}

impl LinkSpec {
    /// A link named `name` of `kind`.
    pub fn new(name: &str, kind: LinkKind) -> LinkSpec {
        LinkSpec {
            name: Some(name.to_owned()),
            kind,
            mtu: None,
            address: None,
            master: None,
            parent: None,
            netns: None,
            up: false,
            txqlen: None,
            alias: None,
            group: None,
        }
    }

    /// A veth pair `name` ↔ `peer`.
    pub fn veth(name: &str, peer: &str) -> LinkSpec {
        LinkSpec::new(
            name,
            LinkKind::Veth(Veth {
                peer: Some(VethPeer::named(peer)),
            }),
        )
    }

    /// A veth pair with a fully specified peer (namespace, address, MTU).
    pub fn veth_with_peer(name: &str, peer: VethPeer) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Veth(Veth { peer: Some(peer) }))
    }

    /// A bridge with default options.
    pub fn bridge(name: &str) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Bridge(Bridge::default()))
    }

    /// A dummy link.
    pub fn dummy(name: &str) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Dummy)
    }

    /// A macvlan on `parent`.
    pub fn macvlan(name: &str, parent: impl Into<LinkRef>, mode: MacvlanMode) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Macvlan(Macvlan::mode(mode))).parent(parent)
    }

    /// A macvtap on `parent` (its character device is `/dev/tap<ifindex>`).
    pub fn macvtap(name: &str, parent: impl Into<LinkRef>, mode: MacvlanMode) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Macvtap(Macvlan::mode(mode))).parent(parent)
    }

    /// An ipvlan on `parent`.
    pub fn ipvlan(name: &str, parent: impl Into<LinkRef>, mode: IpvlanMode) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Ipvlan(Ipvlan::mode(mode))).parent(parent)
    }

    /// An 802.1Q vlan `id` on `parent`.
    pub fn vlan(name: &str, parent: impl Into<LinkRef>, id: u16) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Vlan(Vlan::id(id))).parent(parent)
    }

    /// A vxlan.
    pub fn vxlan(name: &str, options: Vxlan) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Vxlan(options))
    }

    /// A bond.
    pub fn bond(name: &str, mode: BondMode) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Bond(Bond::mode(mode)))
    }

    /// A vrf bound to `table`.
    pub fn vrf(name: &str, table: u32) -> LinkSpec {
        LinkSpec::new(
            name,
            LinkKind::Vrf(Vrf {
                table: Some(table),
                other: Vec::new(),
            }),
        )
    }

    /// A `gre` tunnel (GRE over IPv4 carrying IP), see [`Gre`]. The kernel driver is `ip_gre`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::Gre;
    /// let spec = LinkSpec::gre(
    ///     "gre1",
    ///     Gre::new().remote("192.0.2.2".parse().unwrap()).key(42).underlay("eth0"),
    /// );
    /// assert_eq!(spec.kind.kind_name(), "gre");
    /// // The outer family is checked before anything is sent.
    /// let v6 = LinkSpec::gre("gre2", Gre::new().remote("2001:db8::2".parse().unwrap()));
    /// assert!(v6.validate().unwrap_err().is_input());
    /// ```
    pub fn gre(name: &str, options: Gre) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Gre(options))
    }

    /// A `gretap` tunnel (GRE over IPv4 carrying Ethernet frames), see [`Gre`].
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::Gre;
    /// let spec = LinkSpec::gretap("gt0", Gre::new().remote("192.0.2.2".parse().unwrap()));
    /// assert_eq!(spec.kind.kind_name(), "gretap");
    /// ```
    pub fn gretap(name: &str, options: Gre) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Gretap(options))
    }

    /// An `ip6gre` tunnel (GRE over IPv6 carrying IP), see [`Gre`]. The kernel driver is
    /// `ip6_gre`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::Gre;
    /// let spec = LinkSpec::ip6gre("g6", Gre::new().remote("2001:db8::2".parse().unwrap()).ttl(33));
    /// spec.validate()?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn ip6gre(name: &str, options: Gre) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Ip6gre(options))
    }

    /// An `ip6gretap` tunnel (GRE over IPv6 carrying Ethernet frames), see [`Gre`].
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::Gre;
    /// let spec = LinkSpec::ip6gretap("gt6", Gre::new().remote("2001:db8::3".parse().unwrap()));
    /// assert_eq!(spec.kind.kind_name(), "ip6gretap");
    /// ```
    pub fn ip6gretap(name: &str, options: Gre) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Ip6gretap(options))
    }

    /// An `ipip` tunnel (IPv4 over IPv4), see [`IpTunnel`]. The kernel driver is `ipip`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::IpTunnel;
    /// let spec = LinkSpec::ipip("ipip1", IpTunnel::new().remote("192.0.2.5".parse().unwrap()).ttl(10));
    /// spec.validate()?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn ipip(name: &str, options: IpTunnel) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Ipip(options))
    }

    /// A `sit` tunnel (IPv6 over IPv4), see [`IpTunnel`]. The kernel driver is `sit`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::IpTunnel;
    /// let spec = LinkSpec::sit("sit1", IpTunnel::new().remote("192.0.2.6".parse().unwrap()));
    /// assert_eq!(spec.kind.kind_name(), "sit");
    /// ```
    pub fn sit(name: &str, options: IpTunnel) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Sit(options))
    }

    /// An `ip6tnl` tunnel (IPv4 or IPv6 over IPv6), see [`IpTunnel`]. The kernel driver is
    /// `ip6_tunnel`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::IpTunnel;
    /// let spec = LinkSpec::ip6tnl("t6", IpTunnel::new().remote("2001:db8::4".parse().unwrap()));
    /// spec.validate()?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn ip6tnl(name: &str, options: IpTunnel) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Ip6tnl(options))
    }

    /// A `geneve` link (Ethernet over UDP), see [`Geneve`]. The kernel driver is `geneve`.
    ///
    /// ```
    /// use linx::rtnl::LinkSpec;
    /// use linx::rtnl::kinds::Geneve;
    /// let spec = LinkSpec::geneve("gnv0", Geneve::new(100).remote("192.0.2.7".parse().unwrap()));
    /// spec.validate()?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn geneve(name: &str, options: Geneve) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Geneve(options))
    }

    /// A `wireguard` link (no kind data). Creation and deletion go through rtnetlink; keys and
    /// peers are configured over the `wireguard` generic netlink family (e.g. with `wg(8)`),
    /// which linx does not wrap. The kernel driver is `wireguard`.
    ///
    /// ```no_run
    /// use linx::rtnl::{LinkSpec, Rtnl};
    /// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
    /// let wg = rtnl.create_link(&LinkSpec::wireguard("wg0"))?;
    /// assert_eq!(wg.kind(), Some("wireguard"));
    /// rtnl.delete_link("wg0")?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn wireguard(name: &str) -> LinkSpec {
        LinkSpec::new(name, LinkKind::Wireguard)
    }

    /// Any kind with raw `IFLA_INFO_DATA` attributes (the escape hatch).
    pub fn generic(name: &str, kind: &str, data: Vec<RawAttr>) -> LinkSpec {
        LinkSpec::new(name, LinkKind::generic(kind, data))
    }

    /// Sets the MTU.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the hardware address.
    pub fn address(mut self, mac: Mac) -> Self {
        self.address = Some(mac);
        self
    }

    /// Sets the master.
    pub fn master(mut self, master: impl Into<LinkRef>) -> Self {
        self.master = Some(master.into());
        self
    }

    /// Sets the parent link.
    pub fn parent(mut self, parent: impl Into<LinkRef>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Creates the link in `target`'s network namespace.
    pub fn netns(mut self, target: NsTarget) -> Self {
        self.netns = Some(target);
        self
    }

    /// Brings the link up on creation.
    pub fn up(mut self) -> Self {
        self.up = true;
        self
    }

    /// Sets the transmit queue length.
    pub fn txqlen(mut self, q: u32) -> Self {
        self.txqlen = Some(q);
        self
    }

    /// Sets the alias.
    pub fn alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.to_owned());
        self
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value: invalid names, MTU 0, VLAN id out of range, VNI ≥ 2^24,
    /// vxlan without a port, a kind that needs a parent without one, an alias over 255 bytes.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_ifname("interface name", n)?;
        }
        if self.mtu == Some(0) {
            return Err(input("MTU", "0", "must be positive"));
        }
        if let Some(m) = &self.master {
            m.validate("master interface")?;
        }
        if let Some(p) = &self.parent {
            p.validate("parent interface")?;
        }
        if let Some(a) = &self.alias {
            check_alias(a)?;
        }
        self.kind.validate()?;
        let needs_parent = matches!(
            self.kind,
            LinkKind::Macvlan(_)
                | LinkKind::Macvtap(_)
                | LinkKind::Ipvlan(_)
                | LinkKind::Ipvtap(_)
                | LinkKind::Vlan(_)
        );
        if needs_parent && self.parent.is_none() {
            return Err(input(
                "parent interface",
                "none",
                format!("a {} link needs a parent link", self.kind.kind_name()),
            ));
        }
        Ok(())
    }

    /// Builds the `RTM_NEWLINK` request from already-resolved indexes and fds (pure; used by
    /// [`Rtnl::create_link`] and by tests).
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate) and attributes over the 16-bit limit.
    pub fn request(&self, r: &LinkResolved) -> Result<Request> {
        self.validate()?;
        let mut h = [0u8; IFINFOMSG_LEN];
        if self.up {
            h[8..12].copy_from_slice(&LinkFlags::UP.bits().to_ne_bytes());
            h[12..16].copy_from_slice(&LinkFlags::UP.bits().to_ne_bytes());
        }
        let mut b = MsgBuilder::new(RTM_NEWLINK, flags::CREATE | flags::EXCL | flags::ECHO);
        b.push_header(&h);
        if let Some(n) = &self.name {
            b.attr_str(ifla::IFNAME, n);
        }
        if let Some(m) = self.mtu {
            b.attr_u32(ifla::MTU, m);
        }
        if let Some(a) = self.address {
            b.attr(ifla::ADDRESS, &a.octets());
        }
        if let Some(q) = self.txqlen {
            b.attr_u32(ifla::TXQLEN, q);
        }
        if let Some(p) = r.parent.or(index_of(&self.parent)) {
            b.attr_u32(ifla::LINK, p);
        }
        if let Some(m) = r.master.or(index_of(&self.master)) {
            b.attr_u32(ifla::MASTER, m);
        }
        if let Some(g) = self.group {
            b.attr_u32(ifla::GROUP, g);
        }
        if let Some(a) = &self.alias {
            b.attr_str(ifla::IFALIAS, a);
        }
        if let Some(fd) = r.netns_fd {
            b.attr_u32(ifla::NET_NS_FD, fd as u32);
        }
        self.kind.encode_linkinfo(&mut b, &r.kind);
        Ok(Request::new(b, "RTM_NEWLINK")?.with_attr_namer(self.kind.attr_namer()))
    }
}

fn index_of(r: &Option<LinkRef>) -> Option<u32> {
    match r {
        Some(LinkRef::Index(i)) => Some(*i),
        _ => None,
    }
}

/// Indexes and fds resolved before a link request is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkResolved {
    /// Master index.
    pub master: Option<u32>,
    /// Parent index.
    pub parent: Option<u32>,
    /// Namespace fd for `IFLA_NET_NS_FD`.
    pub netns_fd: Option<i32>,
    /// What the kind needs.
    pub kind: KindResolved,
}

/// Where to move a link ([`LinkChange::netns`], [`Rtnl::move_link`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NetnsDest {
    /// A namespace target: opened as a namespace fd (`IFLA_NET_NS_FD`). Prefer this: a pidfd-
    /// or path-based target cannot be redirected by pid reuse.
    Target(NsTarget),
    /// The network namespace of a process by bare pid (`IFLA_NET_NS_PID`).
    Pid(i32),
}

/// Changes to an existing link, sent as one minimal `RTM_NEWLINK` carrying only what is set.
///
/// Up/down, promiscuous and ARP changes set the matching bit in `ifi_change`, so no other flag is
/// touched. See [ip-link(8)](https://man7.org/linux/man-pages/man8/ip-link.8.html) `set`.
///
/// ```no_run
/// use linx::rtnl::{LinkChange, Rtnl};
/// let mut rtnl = Rtnl::open(&linx::ns::NsTarget::Current)?;
/// rtnl.set_link("v0", &LinkChange::new().mtu(1400).up(true))?;
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LinkChange {
    /// Administrative state (`IFF_UP`).
    pub up: Option<bool>,
    /// Promiscuous mode (`IFF_PROMISC`).
    pub promisc: Option<bool>,
    /// ARP on (clears `IFF_NOARP`) or off (sets it).
    pub arp: Option<bool>,
    /// MTU.
    pub mtu: Option<u32>,
    /// New name.
    pub name: Option<String>,
    /// Hardware address.
    pub address: Option<Mac>,
    /// `Some(Some(m))` enslaves to `m`, `Some(None)` releases (`nomaster`).
    pub master: Option<Option<LinkRef>>,
    /// Move to another network namespace.
    pub netns: Option<NetnsDest>,
    /// Transmit queue length.
    pub txqlen: Option<u32>,
    /// Alias (empty removes it).
    pub alias: Option<String>,
    /// Interface group.
    pub group: Option<u32>,
    /// Carrier (drivers that support it, e.g. dummy).
    pub carrier: Option<bool>,
}

impl LinkChange {
    /// No change.
    pub fn new() -> LinkChange {
        LinkChange::default()
    }

    /// Sets up or down.
    pub fn up(mut self, up: bool) -> Self {
        self.up = Some(up);
        self
    }

    /// Sets the MTU.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Renames.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Sets the hardware address.
    pub fn address(mut self, mac: Mac) -> Self {
        self.address = Some(mac);
        self
    }

    /// Enslaves to `master`.
    pub fn master(mut self, master: impl Into<LinkRef>) -> Self {
        self.master = Some(Some(master.into()));
        self
    }

    /// Releases from its master.
    pub fn nomaster(mut self) -> Self {
        self.master = Some(None);
        self
    }

    /// Moves into another namespace.
    pub fn netns(mut self, dest: NetnsDest) -> Self {
        self.netns = Some(dest);
        self
    }

    /// Sets the transmit queue length.
    pub fn txqlen(mut self, q: u32) -> Self {
        self.txqlen = Some(q);
        self
    }

    /// Sets (or with `""` removes) the alias.
    pub fn alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.to_owned());
        self
    }

    /// Sets promiscuous mode.
    pub fn promisc(mut self, on: bool) -> Self {
        self.promisc = Some(on);
        self
    }

    /// Turns ARP on or off.
    pub fn arp(mut self, on: bool) -> Self {
        self.arp = Some(on);
        self
    }

    /// Sets the interface group.
    pub fn group(mut self, group: u32) -> Self {
        self.group = Some(group);
        self
    }

    /// Sets the carrier.
    pub fn carrier(mut self, on: bool) -> Self {
        self.carrier = Some(on);
        self
    }

    /// Checks every value before anything is sent.
    ///
    /// # Errors
    /// Input errors naming the value.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_ifname("new interface name", n)?;
        }
        if self.mtu == Some(0) {
            return Err(input("MTU", "0", "must be positive"));
        }
        if let Some(Some(m)) = &self.master {
            m.validate("master interface")?;
        }
        if let Some(a) = &self.alias {
            check_alias(a)?;
        }
        if let Some(NetnsDest::Pid(p)) = self.netns
            && p <= 0
        {
            return Err(input("pid", p.to_string(), "must be positive"));
        }
        Ok(())
    }

    /// Builds the request for the link with `index` (or, when `index` is 0, the link named
    /// `name`), with the master index and namespace fd already resolved (pure).
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate).
    pub fn request(
        &self,
        index: u32,
        name: Option<&str>,
        master: Option<u32>,
        netns_fd: Option<i32>,
    ) -> Result<Request> {
        self.validate()?;
        let mut fl = LinkFlags::empty();
        let mut change = LinkFlags::empty();
        if let Some(up) = self.up {
            change |= LinkFlags::UP;
            fl.set(LinkFlags::UP, up);
        }
        if let Some(p) = self.promisc {
            change |= LinkFlags::PROMISC;
            fl.set(LinkFlags::PROMISC, p);
        }
        if let Some(arp) = self.arp {
            change |= LinkFlags::NOARP;
            fl.set(LinkFlags::NOARP, !arp);
        }
        let mut b = MsgBuilder::new(RTM_NEWLINK, 0);
        b.push_header(&ifinfomsg_with(index, fl.bits(), change.bits()));
        if index == 0
            && let Some(n) = name
        {
            b.attr_str(ifla::IFNAME, n);
        }
        if let Some(n) = &self.name {
            b.attr_str(ifla::IFNAME, n);
        }
        if let Some(m) = self.mtu {
            b.attr_u32(ifla::MTU, m);
        }
        if let Some(a) = self.address {
            b.attr(ifla::ADDRESS, &a.octets());
        }
        if let Some(q) = self.txqlen {
            b.attr_u32(ifla::TXQLEN, q);
        }
        match &self.master {
            Some(None) => {
                b.attr_u32(ifla::MASTER, 0);
            }
            Some(Some(m)) => {
                if let Some(i) = master.or(index_of(&Some(m.clone()))) {
                    b.attr_u32(ifla::MASTER, i);
                }
            }
            None => {}
        }
        if let Some(a) = &self.alias {
            b.attr_str(ifla::IFALIAS, a);
        }
        if let Some(g) = self.group {
            b.attr_u32(ifla::GROUP, g);
        }
        if let Some(c) = self.carrier {
            b.attr_u8(ifla::CARRIER, u8::from(c));
        }
        match &self.netns {
            Some(NetnsDest::Pid(p)) => {
                b.attr_u32(ifla::NET_NS_PID, *p as u32);
            }
            Some(NetnsDest::Target(_)) => {
                if let Some(fd) = netns_fd {
                    b.attr_u32(ifla::NET_NS_FD, fd as u32);
                }
            }
            None => {}
        }
        Ok(Request::new(b, "RTM_NEWLINK")?.with_attr_namer(attr_path_name))
    }
}

fn ifinfomsg_with(index: u32, fl: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut h = ifinfomsg(index);
    h[8..12].copy_from_slice(&fl.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// What to dump in [`Rtnl::links_filtered`]: links of a kind and/or under a master.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkFilter {
    /// Only links of this `IFLA_INFO_KIND`.
    pub kind: Option<String>,
    /// Only ports of this master.
    pub master: Option<LinkRef>,
}

impl LinkFilter {
    /// Links of `kind`.
    pub fn kind(kind: &str) -> LinkFilter {
        LinkFilter {
            kind: Some(kind.to_owned()),
            master: None,
        }
    }

    /// Ports of `master`.
    pub fn master(master: impl Into<LinkRef>) -> LinkFilter {
        LinkFilter {
            kind: None,
            master: Some(master.into()),
        }
    }

    fn matches(&self, l: &Link, master: Option<u32>) -> bool {
        self.kind.as_deref().is_none_or(|k| l.kind() == Some(k))
            && master.is_none_or(|m| l.master == Some(m))
    }
}

/// The character device of a macvtap link: `/dev/tap<ifindex>` (created by udev/devtmpfs from
/// `/sys/class/net/<name>/macvtap/tap<ifindex>/dev`).
pub fn macvtap_device_path(index: u32) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/dev/tap{index}"))
}

/// A tun or tap device to create through `/dev/net/tun` (`TUNSETIFF`, then optionally
/// `TUNSETOWNER`, `TUNSETGROUP`, `TUNSETPERSIST`); see the kernel's
/// [tuntap documentation](https://docs.kernel.org/networking/tuntap.html).
///
/// ```no_run
/// use linx::rtnl::TunSpec;
/// let tap = TunSpec::tap("tap0").persist(true).owner(1000).create(&linx::ns::NsTarget::Current)?;
/// assert_eq!(tap.name, "tap0");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TunSpec {
    /// Name (the kernel picks `tunN`/`tapN` when absent).
    pub name: Option<String>,
    /// TAP (Ethernet frames) instead of TUN (IP packets).
    pub tap: bool,
    /// Keep the packet-information header (off by default: `IFF_NO_PI`).
    pub packet_info: bool,
    /// Multi-queue (`IFF_MULTI_QUEUE`).
    pub multi_queue: bool,
    /// Virtio-net header (`IFF_VNET_HDR`).
    pub vnet_hdr: bool,
    /// Number of queue fds to open (≥ 1; more than 1 needs `multi_queue`).
    pub queues: usize,
    /// Persistent: the device outlives the fds.
    pub persist: bool,
    /// Owner uid.
    pub owner: Option<u32>,
    /// Owner gid.
    pub group: Option<u32>,
}

/// A created tun/tap device: its name and the open queue fds (empty for a persistent device
/// whose fds were closed: see [`TunSpec::create`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct Tun {
    /// The interface name.
    pub name: String,
    /// One fd per queue; reading gives packets/frames, writing injects them.
    pub queues: Vec<OwnedFd>,
}

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb;
const TUNSETOWNER: libc::c_ulong = 0x4004_54cc;
const TUNSETGROUP: libc::c_ulong = 0x4004_54ce;
const IFF_TUN: u16 = 0x1;
const IFF_TAP: u16 = 0x2;
const IFF_MULTI_QUEUE: u16 = 0x100;
const IFF_NO_PI: u16 = 0x1000;
const IFF_VNET_HDR: u16 = 0x4000;

impl TunSpec {
    /// A TUN device.
    pub fn tun(name: &str) -> TunSpec {
        TunSpec {
            name: Some(name.to_owned()),
            queues: 1,
            ..TunSpec::default()
        }
    }

    /// A TAP device.
    pub fn tap(name: &str) -> TunSpec {
        TunSpec {
            name: Some(name.to_owned()),
            tap: true,
            queues: 1,
            ..TunSpec::default()
        }
    }

    /// Makes it persistent.
    pub fn persist(mut self, on: bool) -> Self {
        self.persist = on;
        self
    }

    /// Sets the owner uid.
    pub fn owner(mut self, uid: u32) -> Self {
        self.owner = Some(uid);
        self
    }

    /// Sets the owner gid.
    pub fn group(mut self, gid: u32) -> Self {
        self.group = Some(gid);
        self
    }

    /// Opens `n` queues (sets multi-queue when `n > 1`).
    pub fn queues(mut self, n: usize) -> Self {
        self.queues = n;
        if n > 1 {
            self.multi_queue = true;
        }
        self
    }

    /// The `ifr_flags` word.
    pub fn ifr_flags(&self) -> u16 {
        let mut f = if self.tap { IFF_TAP } else { IFF_TUN };
        if !self.packet_info {
            f |= IFF_NO_PI;
        }
        if self.multi_queue {
            f |= IFF_MULTI_QUEUE;
        }
        if self.vnet_hdr {
            f |= IFF_VNET_HDR;
        }
        f
    }

    /// Checks the values before anything is opened.
    ///
    /// # Errors
    /// Input errors for a bad name, zero queues, or several queues without multi-queue.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_ifname("interface name", n)?;
        }
        if self.queues == 0 {
            return Err(input("tun queues", "0", "at least one queue is needed"));
        }
        if self.queues > 1 && !self.multi_queue {
            return Err(input(
                "tun queues",
                self.queues.to_string(),
                "more than one queue needs multi_queue",
            ));
        }
        Ok(())
    }

    /// Creates the device inside `target`'s network namespace (`/dev/net/tun` is opened on a
    /// thread in that namespace: a tun device belongs to the namespace its fd was opened in).
    /// For a persistent device the queue fds are returned too; dropping them leaves the device.
    ///
    /// # Errors
    /// Input errors of [`validate`](Self::validate); OS errors of `open` and the ioctls, naming
    /// the interface (`EBUSY` when the name is taken).
    #[doc(alias = "TUNSETIFF")]
    pub fn create(&self, target: &NsTarget) -> Result<Tun> {
        self.validate()?;
        target.run(NsSet::NET, || self.create_here())?
    }

    fn create_here(&self) -> Result<Tun> {
        let os = |op, e, name: &str| -> Error {
            OsError::new(Subsystem::Netlink, op, e)
                .interface(name.to_owned())
                .into()
        };
        let mut name = self.name.clone().unwrap_or_default();
        let mut queues = Vec::with_capacity(self.queues);
        for q in 0..self.queues {
            let fd = rustix::fs::open(
                "/dev/net/tun",
                rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map_err(|e| {
                Error::from(
                    OsError::new(Subsystem::Netlink, Operation::Open, e).path("/dev/net/tun"),
                )
            })?;
            let mut ifr = [0u8; 40];
            ifr[..name.len()].copy_from_slice(name.as_bytes());
            ifr[16..18].copy_from_slice(&self.ifr_flags().to_ne_bytes());
            // SAFETY: TUNSETIFF reads and writes a 40-byte `struct ifreq` we own.
            let r = unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF as _, ifr.as_mut_ptr()) };
            if r < 0 {
                return Err(os(Operation::Ioctl("TUNSETIFF"), last_errno(), &name));
            }
            if q == 0 {
                let end = ifr[..16].iter().position(|&c| c == 0).unwrap_or(16);
                name = String::from_utf8_lossy(&ifr[..end]).into_owned();
                for (req, label, v) in [
                    (TUNSETOWNER, "TUNSETOWNER", self.owner),
                    (TUNSETGROUP, "TUNSETGROUP", self.group),
                    (TUNSETPERSIST, "TUNSETPERSIST", self.persist.then_some(1)),
                ] {
                    if let Some(v) = v {
                        // SAFETY: these ioctls take their argument by value.
                        let r =
                            unsafe { libc::ioctl(fd.as_raw_fd(), req as _, v as libc::c_ulong) };
                        if r < 0 {
                            return Err(os(Operation::Ioctl(label), last_errno(), &name));
                        }
                    }
                }
            }
            queues.push(fd);
        }
        Ok(Tun { name, queues })
    }
}

fn last_errno() -> rustix::io::Errno {
    rustix::io::Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// `RTM_NEWLINKPROP`.
pub const RTM_NEWLINKPROP: u16 = 108;
/// `RTM_DELLINKPROP`.
pub const RTM_DELLINKPROP: u16 = 109;

impl Rtnl {
    /// Resolves a link reference to its index (a `RTM_GETLINK` for names). `argument` names the
    /// role in errors: an unknown name gives `ENODEV` with context `no such <argument> "x"`.
    ///
    /// # Errors
    /// Input error for an invalid reference; `ENODEV` naming the interface.
    pub fn link_index(&mut self, link: impl Into<LinkRef>) -> Result<u32> {
        self.resolve(&link.into(), "interface")
    }

    pub(crate) fn resolve(&mut self, r: &LinkRef, role: &'static str) -> Result<u32> {
        r.validate(role)?;
        match r {
            LinkRef::Index(i) => Ok(*i),
            LinkRef::Name(n) => get_by_name(&mut self.sock, n)
                .map(|l| l.index)
                .map_err(|e| {
                    if e.errno() == Some(rustix::io::Errno::NODEV) {
                        e.with_context(|c| {
                            c.interface = None;
                            c.object = Some(format!("no such {role} {n:?}"));
                        })
                    } else {
                        e
                    }
                }),
        }
    }

    /// Gets one link by reference.
    ///
    /// # Errors
    /// As [`link_by_name`](Self::link_by_name) / [`link_by_index`](Self::link_by_index).
    pub fn link(&mut self, link: impl Into<LinkRef>) -> Result<Link> {
        match link.into() {
            LinkRef::Index(i) => self.link_by_index(i),
            LinkRef::Name(n) => self.link_by_name(&n),
        }
    }

    /// Creates a link (`RTM_NEWLINK` with `NLM_F_CREATE | NLM_F_EXCL`) and returns it as the
    /// kernel reports it (from the kernel's echo, or a follow-up get by name — in the link's
    /// target namespace when [`LinkSpec::netns`] is set).
    ///
    /// Names of master, parent and the underlay of a vxlan or IP tunnel are resolved first (an unknown one gives
    /// `ENODEV` with context `no such parent interface "x"`); namespace targets are opened as fds.
    ///
    /// # Errors
    /// Input errors of [`LinkSpec::validate`] before any syscall; `EEXIST` when the name is
    /// taken; `EOPNOTSUPP` with "Unknown device type" when the kind's driver is missing; other
    /// kernel refusals with the extended-ack text and attribute path.
    pub fn create_link(&mut self, spec: &LinkSpec) -> Result<Link> {
        spec.validate()?;
        let mut r = LinkResolved::default();
        if let Some(m) = &spec.master {
            r.master = Some(self.resolve(m, "master interface")?);
        }
        if let Some(p) = &spec.parent {
            r.parent = Some(self.resolve(p, "parent interface")?);
        }
        if let Some(u) = spec.kind.underlay() {
            r.kind.underlay = Some(self.resolve(u, "underlay interface")?);
        }
        let netns_fd = spec
            .netns
            .as_ref()
            .map(|t| t.open(NsKind::Net))
            .transpose()?;
        r.netns_fd = netns_fd.as_ref().map(AsRawFd::as_raw_fd);
        let peer_fd = match &spec.kind {
            LinkKind::Veth(Veth {
                peer: Some(VethPeer { netns: Some(t), .. }),
            }) => Some(t.open(NsKind::Net)?),
            _ => None,
        };
        r.kind.peer_netns_fd = peer_fd.as_ref().map(AsRawFd::as_raw_fd);
        let req = spec.request(&r)?;
        let name_ctx = spec.name.clone();
        let msgs = self.sock.request(&req).map_err(|e| {
            e.with_context(|c| {
                if let Some(n) = &name_ctx {
                    c.interface = Some(n.clone());
                }
            })
        })?;
        drop((netns_fd, peer_fd));
        let echoed = msgs
            .iter()
            .filter(|m| m.header.msg_type == RTM_NEWLINK)
            .filter_map(|m| Link::decode(&m.payload).ok())
            .find(|l| spec.name.as_deref().is_none_or(|n| l.name == n));
        if let Some(l) = echoed {
            return Ok(l);
        }
        let Some(name) = &spec.name else {
            return Err(Error::protocol(
                Subsystem::Netlink,
                ProtocolKind::UnexpectedMessage,
                "the kernel did not echo the new link and it has no name to look it up by",
            ));
        };
        match &spec.netns {
            Some(t) => Rtnl::open(t)?.link_by_name(name),
            None => self.link_by_name(name),
        }
    }

    /// Deletes a link (`RTM_DELLINK`) by name or index. Deleting one end of a veth pair deletes
    /// both.
    ///
    /// # Errors
    /// Input error for an invalid reference; `ENODEV` naming the interface.
    pub fn delete_link(&mut self, link: impl Into<LinkRef>) -> Result<()> {
        let link = link.into();
        link.validate("interface")?;
        let mut b = MsgBuilder::new(RTM_DELLINK, 0);
        match &link {
            LinkRef::Index(i) => {
                b.push_header(&ifinfomsg(*i));
            }
            LinkRef::Name(n) => {
                b.push_header(&ifinfomsg(0));
                b.attr_str(ifla::IFNAME, n);
            }
        }
        let req = Request::new(b, "RTM_DELLINK")?.with_attr_namer(attr_path_name);
        self.sock
            .request_ack(&req)
            .map_err(|e| link_context(e, &link))
    }

    /// Applies `change` to a link in one `RTM_NEWLINK` carrying only the changed attributes.
    ///
    /// # Errors
    /// Input errors of [`LinkChange::validate`]; `ENODEV` naming the interface (or the master);
    /// kernel refusals with extended-ack text.
    pub fn set_link(&mut self, link: impl Into<LinkRef>, change: &LinkChange) -> Result<()> {
        let link = link.into();
        link.validate("interface")?;
        change.validate()?;
        let master = match &change.master {
            Some(Some(m)) => Some(self.resolve(m, "master interface")?),
            _ => None,
        };
        let netns_fd = match &change.netns {
            Some(NetnsDest::Target(t)) => Some(t.open(NsKind::Net)?),
            _ => None,
        };
        let (index, name) = match &link {
            LinkRef::Index(i) => (*i, None),
            // A rename needs the index; otherwise the kernel looks the name up itself.
            LinkRef::Name(n) if change.name.is_some() => (self.resolve(&link, "interface")?, None),
            LinkRef::Name(n) => (0, Some(n.as_str())),
        };
        let req = change.request(
            index,
            name,
            master,
            netns_fd.as_ref().map(AsRawFd::as_raw_fd),
        )?;
        self.sock
            .request_ack(&req)
            .map_err(|e| link_context(e, &link))
    }

    /// Sets a link up (`IFF_UP` with the change mask: no other flag is touched).
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_up(&mut self, link: impl Into<LinkRef>) -> Result<()> {
        self.set_link(link, &LinkChange::new().up(true))
    }

    /// Sets a link down.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_down(&mut self, link: impl Into<LinkRef>) -> Result<()> {
        self.set_link(link, &LinkChange::new().up(false))
    }

    /// Sets the MTU.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link); `EINVAL` outside the device's min/max MTU.
    pub fn set_mtu(&mut self, link: impl Into<LinkRef>, mtu: u32) -> Result<()> {
        self.set_link(link, &LinkChange::new().mtu(mtu))
    }

    /// Renames a link (it must be down for most drivers).
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_name(&mut self, link: impl Into<LinkRef>, name: &str) -> Result<()> {
        self.set_link(link, &LinkChange::new().name(name))
    }

    /// Sets the hardware address.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_address(&mut self, link: impl Into<LinkRef>, mac: Mac) -> Result<()> {
        self.set_link(link, &LinkChange::new().address(mac))
    }

    /// Enslaves a link to `master` (bridge, bond, vrf). Bond ports must be down first.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_master(
        &mut self,
        link: impl Into<LinkRef>,
        master: impl Into<LinkRef>,
    ) -> Result<()> {
        self.set_link(link, &LinkChange::new().master(master))
    }

    /// Releases a link from its master.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_nomaster(&mut self, link: impl Into<LinkRef>) -> Result<()> {
        self.set_link(link, &LinkChange::new().nomaster())
    }

    /// Moves a link into another network namespace. Its index may change there: look it up by
    /// name in the target namespace afterwards.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link), plus the target's namespace errors.
    pub fn move_link(&mut self, link: impl Into<LinkRef>, dest: NetnsDest) -> Result<()> {
        self.set_link(link, &LinkChange::new().netns(dest))
    }

    /// Sets the transmit queue length.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_txqlen(&mut self, link: impl Into<LinkRef>, q: u32) -> Result<()> {
        self.set_link(link, &LinkChange::new().txqlen(q))
    }

    /// Sets (or with `""` removes) the alias.
    ///
    /// # Errors
    /// As [`set_link`](Self::set_link).
    pub fn set_alias(&mut self, link: impl Into<LinkRef>, alias: &str) -> Result<()> {
        self.set_link(link, &LinkChange::new().alias(alias))
    }

    /// Adds (`RTM_NEWLINKPROP`) or removes (`RTM_DELLINKPROP`) an alternative name.
    ///
    /// # Errors
    /// Input error for an invalid reference or an alternative name that is empty, over 127 bytes
    /// or contains NUL; kernel refusals (`EEXIST`, `ENODEV`).
    pub fn alt_name(&mut self, link: impl Into<LinkRef>, alt_name: &str, add: bool) -> Result<()> {
        let link = link.into();
        link.validate("interface")?;
        if alt_name.is_empty() || alt_name.len() > 127 || alt_name.contains(['\0', '/', ' ']) {
            return Err(input(
                "alternative name",
                alt_name,
                "must be 1..=127 bytes without NUL, '/' or spaces",
            ));
        }
        let (t, name) = if add {
            (RTM_NEWLINKPROP, "RTM_NEWLINKPROP")
        } else {
            (RTM_DELLINKPROP, "RTM_DELLINKPROP")
        };
        let mut b = MsgBuilder::new(t, if add { flags::CREATE | flags::EXCL } else { 0 });
        match &link {
            LinkRef::Index(i) => {
                b.push_header(&ifinfomsg(*i));
            }
            LinkRef::Name(n) => {
                b.push_header(&ifinfomsg(0));
                b.attr_str(ifla::IFNAME, n);
            }
        }
        let n = b.begin_nested(ifla::PROP_LIST);
        b.attr_str(ifla::ALT_IFNAME, alt_name);
        b.end_nested(n);
        let req = Request::new(b, name)?.with_attr_namer(attr_path_name);
        self.sock
            .request_ack(&req)
            .map_err(|e| link_context(e, &link))
    }

    /// Links matching `filter` (kind and/or master). With strict checking (Linux ≥ 4.20) the
    /// kernel filters the dump; on older kernels the full dump is filtered here. The result is the
    /// same either way.
    ///
    /// # Errors
    /// Input errors for an invalid master reference; `ENODEV` for an unknown master; dump errors.
    pub fn links_filtered(&mut self, filter: &LinkFilter) -> Result<Vec<Link>> {
        if let Some(k) = &filter.kind
            && (k.is_empty() || k.contains('\0'))
        {
            return Err(input("link kind", k.as_str(), "empty or contains NUL"));
        }
        let master = filter
            .master
            .as_ref()
            .map(|m| self.resolve(m, "master interface"))
            .transpose()?;
        let mut b = get_request(0);
        if self.strict_checking() {
            if let Some(m) = master {
                b.attr_u32(ifla::MASTER, m);
            }
            if let Some(k) = &filter.kind {
                let li = b.begin_nested(ifla::LINKINFO);
                b.attr_str(ifla::info::KIND, k);
                b.end_nested(li);
            }
        }
        let req = request(b)?;
        self.dump_decode(&req, RTM_NEWLINK, |p| {
            let l = Link::decode(p)?;
            Ok(filter.matches(&l, master).then_some(l))
        })
    }
}

fn link_context(e: Error, link: &LinkRef) -> Error {
    e.with_context(|c| match link {
        LinkRef::Name(n) => c.interface = Some(n.clone()),
        LinkRef::Index(_) => c.object = Some(link.describe()),
    })
}

#[cfg(feature = "serde")]
mod ip_json {
    use serde::ser::{Serialize, SerializeMap, Serializer};

    use super::Link;

    /// A link together with the list it came from, serialised with the key names of
    /// `ip -j -d link show` (names of master and parent are resolved within the list).
    #[derive(Debug, Clone, Copy)]
    pub struct IpLinkJson<'a> {
        /// The link.
        pub link: &'a Link,
        /// All links of the same namespace (for index → name resolution).
        pub all: &'a [Link],
    }

    impl Serialize for IpLinkJson<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let l = self.link;
            let by_index = |i: u32| self.all.iter().find(|x| x.index == i);
            let mut m = s.serialize_map(None)?;
            m.serialize_entry("ifindex", &l.index)?;
            let mut parent_down = false;
            if let Some(p) = l.parent.filter(|p| *p != l.index) {
                match (l.link_netnsid, by_index(p)) {
                    (None, Some(parent)) => {
                        m.serialize_entry("link", &parent.name)?;
                        parent_down = !parent.is_up();
                    }
                    (None, None) => m.serialize_entry("link", &None::<String>)?,
                    (Some(nsid), _) => {
                        m.serialize_entry("link_index", &p)?;
                        m.serialize_entry("link_netnsid", &nsid)?;
                    }
                }
            }
            m.serialize_entry("ifname", &l.name)?;
            m.serialize_entry("flags", &l.flags.ip_names(parent_down))?;
            if let Some(v) = l.mtu {
                m.serialize_entry("mtu", &v)?;
            }
            if let Some(v) = &l.qdisc {
                m.serialize_entry("qdisc", v)?;
            }
            if let Some(master) = l.master.and_then(by_index) {
                m.serialize_entry("master", &master.name)?;
            }
            if let Some(v) = l.operstate {
                m.serialize_entry("operstate", &v.name())?;
            }
            if let Some(v) = l.linkmode {
                m.serialize_entry("linkmode", if v == 0 { "DEFAULT" } else { "DORMANT" })?;
            }
            if let Some(v) = l.group {
                if v == 0 {
                    m.serialize_entry("group", "default")?;
                } else {
                    m.serialize_entry("group", &v.to_string())?;
                }
            }
            if let Some(v) = l.txqlen {
                m.serialize_entry("txqlen", &v)?;
            }
            m.serialize_entry("link_type", &l.link_type_name())?;
            if let Some(a) = l.address_text() {
                m.serialize_entry("address", &a)?;
            }
            if let Some(b) = &l.broadcast {
                m.serialize_entry("broadcast", &super::format_ll_addr(b, l.link_type))?;
            }
            if let Some(p) = &l.perm_address {
                m.serialize_entry("permaddr", &super::format_ll_addr(p, l.link_type))?;
            }
            for (key, v) in [
                ("promiscuity", l.promiscuity),
                ("allmulti", l.allmulti),
                ("min_mtu", l.min_mtu),
                ("max_mtu", l.max_mtu),
                ("num_tx_queues", l.num_tx_queues),
                ("num_rx_queues", l.num_rx_queues),
                ("gso_max_size", l.gso_max_size),
                ("gso_max_segs", l.gso_max_segs),
                ("tso_max_size", l.tso_max_size),
                ("tso_max_segs", l.tso_max_segs),
                ("gro_max_size", l.gro_max_size),
            ] {
                if let Some(v) = v {
                    m.serialize_entry(key, &v)?;
                }
            }
            if let Some(alias) = &l.alias {
                m.serialize_entry("ifalias", alias)?;
            }
            if !l.alt_names.is_empty() {
                m.serialize_entry("altnames", &l.alt_names)?;
            }
            if let Some(info) = &l.info {
                m.serialize_entry("linkinfo", &LinkInfoJson(info, self.all))?;
            }
            m.end()
        }
    }

    struct LinkInfoJson<'a>(&'a super::LinkInfo, &'a [Link]);

    impl Serialize for LinkInfoJson<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(None)?;
            if let Some(k) = &self.0.kind {
                m.serialize_entry("info_kind", k)?;
                let data = super::LinkKind::decode(k, &self.0.data);
                if !matches!(
                    data,
                    super::LinkKind::Generic { .. }
                        | super::LinkKind::Veth(_)
                        | super::LinkKind::Dummy
                        | super::LinkKind::Wireguard
                ) {
                    m.serialize_entry("info_data", &InfoDataJson(&data, self.1))?;
                }
            }
            if let Some(k) = &self.0.port_kind {
                m.serialize_entry("info_slave_kind", k)?;
            }
            m.end()
        }
    }

    /// The `info_data` keys iproute2 prints for the kinds linx models (a subset of them).
    struct InfoDataJson<'a>(&'a super::LinkKind, &'a [Link]);

    impl Serialize for InfoDataJson<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use super::LinkKind as K;
            let mut m = s.serialize_map(None)?;
            match self.0 {
                K::Macvlan(x) | K::Macvtap(x) => {
                    if let Some(mode) = x.mode {
                        m.serialize_entry("mode", &mode.name())?;
                    }
                }
                K::Ipvlan(x) | K::Ipvtap(x) => {
                    if let Some(mode) = x.mode {
                        m.serialize_entry("mode", &mode.name())?;
                    }
                }
                K::Vlan(x) => {
                    if let Some(p) = x.protocol {
                        m.serialize_entry("protocol", &p.name())?;
                    }
                    if let Some(id) = x.id {
                        m.serialize_entry("id", &id)?;
                    }
                }
                K::Vxlan(x) => {
                    if let Some(v) = x.vni {
                        m.serialize_entry("id", &v)?;
                    }
                    if let Some(r) = x.remote.filter(|r| !r.is_unspecified()) {
                        let key = match (r.is_multicast(), r.is_ipv6()) {
                            (true, false) => "group",
                            (false, false) => "remote",
                            (true, true) => "group6",
                            (false, true) => "remote6",
                        };
                        m.serialize_entry(key, &r.to_string())?;
                    }
                    if let Some(l) = x.local.filter(|l| !l.is_unspecified()) {
                        let key = if l.is_ipv6() { "local6" } else { "local" };
                        m.serialize_entry(key, &l.to_string())?;
                    }
                    if let Some(super::LinkRef::Index(i)) = &x.underlay
                        && let Some(l) = self.1.iter().find(|l| l.index == *i)
                    {
                        m.serialize_entry("link", &l.name)?;
                    }
                    if let Some(p) = x.port {
                        m.serialize_entry("port", &p)?;
                    }
                    if let Some(v) = x.learning {
                        m.serialize_entry("learning", &v)?;
                    }
                    if let Some(v) = x.ttl {
                        m.serialize_entry("ttl", &v)?;
                    }
                    if let Some(v) = x.ageing {
                        m.serialize_entry("ageing", &v)?;
                    }
                }
                K::Bridge(x) => {
                    for (k, v) in [
                        ("forward_delay", x.forward_delay),
                        ("hello_time", x.hello_time),
                        ("max_age", x.max_age),
                        ("ageing_time", x.ageing_time),
                        ("stp_state", x.stp_state),
                        ("priority", x.priority.map(u32::from)),
                        ("vlan_filtering", x.vlan_filtering.map(u32::from)),
                    ] {
                        if let Some(v) = v {
                            m.serialize_entry(k, &v)?;
                        }
                    }
                }
                K::Bond(x) => {
                    if let Some(mode) = x.mode {
                        m.serialize_entry("mode", &mode.name())?;
                    }
                    for (k, v) in [
                        ("miimon", x.miimon),
                        ("updelay", x.updelay),
                        ("downdelay", x.downdelay),
                        ("min_links", x.min_links),
                    ] {
                        if let Some(v) = v {
                            m.serialize_entry(k, &v)?;
                        }
                    }
                }
                K::Vrf(x) => {
                    if let Some(t) = x.table {
                        m.serialize_entry("table", &t)?;
                    }
                }
                K::Gre(x) | K::Gretap(x) | K::Ip6gre(x) | K::Ip6gretap(x) => {
                    let v4 = matches!(self.0, K::Gre(_) | K::Gretap(_));
                    tunnel_ends(&mut m, x.remote, x.local, x.underlay.as_ref(), self.1)?;
                    if let Some(t) = x.ttl {
                        m.serialize_entry("ttl", &t)?;
                    }
                    if v4 {
                        tunnel_tos(&mut m, x.tos)?;
                        if let Some(p) = x.pmtudisc {
                            m.serialize_entry("pmtudisc", &p)?;
                        }
                    } else {
                        encap_limit(&mut m, x.encap_limit, x.flags)?;
                    }
                    if let Some(k) = x.input_key() {
                        m.serialize_entry("ikey", &std::net::Ipv4Addr::from(k).to_string())?;
                    }
                    if let Some(k) = x.output_key() {
                        m.serialize_entry("okey", &std::net::Ipv4Addr::from(k).to_string())?;
                    }
                }
                K::Ipip(x) | K::Sit(x) | K::Ip6tnl(x) => {
                    if let Some(p) = x.proto {
                        m.serialize_entry("proto", &p.mode_name(self.0.kind_name()))?;
                    }
                    tunnel_ends(&mut m, x.remote, x.local, x.underlay.as_ref(), self.1)?;
                    if let Some(t) = x.ttl {
                        m.serialize_entry("ttl", &t)?;
                    }
                    if matches!(self.0, K::Ip6tnl(_)) {
                        encap_limit(&mut m, x.encap_limit, x.flags)?;
                    } else {
                        tunnel_tos(&mut m, x.tos)?;
                        if let Some(p) = x.pmtudisc {
                            m.serialize_entry("pmtudisc", &p)?;
                        }
                    }
                }
                K::Geneve(x) => {
                    if let Some(v) = x.vni {
                        m.serialize_entry("id", &v)?;
                    }
                    match x.remote {
                        Some(r @ std::net::IpAddr::V4(_)) => {
                            m.serialize_entry("remote", &r.to_string())?;
                        }
                        Some(r @ std::net::IpAddr::V6(_)) => {
                            m.serialize_entry("remote6", &r.to_string())?;
                        }
                        None => {}
                    }
                    if let Some(t) = x.ttl {
                        m.serialize_entry("ttl", &t)?;
                    }
                    if let Some(p) = x.port {
                        m.serialize_entry("port", &p)?;
                    }
                    if let Some(c) = x.udp_csum {
                        m.serialize_entry("udp_csum", &c)?;
                    }
                }
                K::Tun(x) => {
                    if let Some(t) = x.tun_type {
                        m.serialize_entry("type", if t == 2 { "tap" } else { "tun" })?;
                    }
                    for (k, v) in [
                        ("pi", x.pi),
                        ("vnet_hdr", x.vnet_hdr),
                        ("multi_queue", x.multi_queue),
                        ("persist", x.persist),
                    ] {
                        if let Some(v) = v {
                            m.serialize_entry(k, &v)?;
                        }
                    }
                }
                _ => {}
            }
            m.end()
        }
    }

    /// `remote`, `local` (`any` when unspecified) and `link` (the underlay's name), as iproute2
    /// prints tunnels.
    fn tunnel_ends<M: SerializeMap>(
        m: &mut M,
        remote: Option<std::net::IpAddr>,
        local: Option<std::net::IpAddr>,
        underlay: Option<&super::LinkRef>,
        all: &[Link],
    ) -> Result<(), M::Error> {
        let text = |a: std::net::IpAddr| {
            if a.is_unspecified() {
                "any".to_owned()
            } else {
                a.to_string()
            }
        };
        if let Some(r) = remote {
            m.serialize_entry("remote", &text(r))?;
        }
        if let Some(l) = local {
            m.serialize_entry("local", &text(l))?;
        }
        if let Some(super::LinkRef::Index(i)) = underlay
            && *i != 0
            && let Some(l) = all.iter().find(|l| l.index == *i)
        {
            m.serialize_entry("link", &l.name)?;
        }
        Ok(())
    }

    /// `tos` as iproute2 prints it for IPv4 tunnels: nothing for 0, `inherit` for 1, hex
    /// otherwise.
    fn tunnel_tos<M: SerializeMap>(m: &mut M, tos: Option<u8>) -> Result<(), M::Error> {
        match tos {
            None | Some(0) => Ok(()),
            Some(1) => m.serialize_entry("tos", "inherit"),
            Some(t) => m.serialize_entry("tos", &format!("{t:#x}")),
        }
    }

    /// `encap_limit` of IPv6 tunnels: `none` when `IP6_TNL_F_IGN_ENCAP_LIMIT` (1) is set.
    fn encap_limit<M: SerializeMap>(
        m: &mut M,
        limit: Option<u8>,
        flags: Option<u32>,
    ) -> Result<(), M::Error> {
        if flags.is_some_and(|f| f & 1 != 0) {
            m.serialize_entry("encap_limit", "none")
        } else if let Some(l) = limit {
            m.serialize_entry("encap_limit", &l)
        } else {
            Ok(())
        }
    }

    /// Pairs every link with the list, ready for `serde_json::to_string`.
    pub fn ip_json(all: &[Link]) -> Vec<IpLinkJson<'_>> {
        all.iter().map(|link| IpLinkJson { link, all }).collect()
    }
}

#[cfg(feature = "serde")]
pub use ip_json::{IpLinkJson, ip_json};

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded_link() -> Vec<u8> {
        let mut b = MsgBuilder::new(RTM_NEWLINK, 0);
        let mut h = ifinfomsg(4);
        h[2..4].copy_from_slice(&1u16.to_ne_bytes());
        h[8..12].copy_from_slice(
            &(LinkFlags::UP
                | LinkFlags::BROADCAST
                | LinkFlags::MULTICAST
                | LinkFlags::RUNNING
                | LinkFlags::LOWER_UP)
                .bits()
                .to_ne_bytes(),
        );
        b.push_header(&h);
        b.attr_str(ifla::IFNAME, "veth0");
        b.attr_u32(ifla::MTU, 1500);
        b.attr(ifla::ADDRESS, &[2, 0, 0, 0, 0, 1]);
        b.attr_u32(ifla::MASTER, 7);
        b.attr_u8(ifla::OPERSTATE, 6);
        let li = b.begin_nested(ifla::LINKINFO);
        b.attr_str(ifla::info::KIND, "veth");
        let d = b.begin_nested(ifla::info::DATA);
        b.attr_u32(99, 5);
        b.end_nested(d);
        b.end_nested(li);
        b.attr(200, &[9, 9]);
        b.finish().unwrap()
    }

    #[test]
    fn rt_02_decode_link_keeps_unknown_attributes() {
        let bytes = encoded_link();
        let l = Link::decode(&bytes[16..]).unwrap();
        assert_eq!(l.index, 4);
        assert_eq!(l.name, "veth0");
        assert_eq!(l.mtu, Some(1500));
        assert_eq!(l.master, Some(7));
        assert_eq!(l.kind(), Some("veth"));
        assert_eq!(l.info.as_ref().unwrap().data[0].kind(), 99);
        assert_eq!(
            l.other,
            vec![RawAttr {
                raw_type: 200,
                payload: vec![9, 9]
            }]
        );
        assert_eq!(l.address_text().as_deref(), Some("02:00:00:00:00:01"));
        assert_eq!(
            l.to_string(),
            "4: veth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master 7 state UP link/ether 02:00:00:00:00:01 veth"
        );
    }

    #[test]
    fn decode_rejects_malformed_links() {
        assert!(Link::decode(&[0u8; 10]).is_err());
        // No name.
        assert!(Link::decode(&[0u8; 16]).is_err());
        // MTU with 2 bytes.
        let mut b = MsgBuilder::new(RTM_NEWLINK, 0);
        b.push_header(&ifinfomsg(1));
        b.attr_str(ifla::IFNAME, "x");
        b.attr_u16(ifla::MTU, 1);
        let bytes = b.finish().unwrap();
        assert!(Link::decode(&bytes[16..]).is_err());
    }

    #[test]
    fn ip_flag_names_follow_iproute2() {
        let f = LinkFlags::UP | LinkFlags::BROADCAST | LinkFlags::MULTICAST;
        assert_eq!(
            f.ip_names(true),
            ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"]
        );
        assert_eq!(LinkFlags::LOOPBACK.ip_names(false), ["LOOPBACK"]);
        assert_eq!(
            LinkFlags::from_bits_retain(1 << 20).ip_names(false),
            ["100000"]
        );
    }

    #[test]
    fn attr_paths_are_named() {
        assert_eq!(
            attr_path_name(&[18, 2, 1]),
            "IFLA_LINKINFO/IFLA_INFO_DATA/1"
        );
        assert_eq!(attr_path_name(&[3]), "IFLA_IFNAME");
        assert_eq!(attr_path_name(&[999]), "999");
    }

    #[test]
    fn ll_addresses_format_like_iproute2() {
        assert_eq!(
            format_ll_addr(&[0, 0, 0, 0, 0, 0], 772),
            "00:00:00:00:00:00"
        );
        assert_eq!(format_ll_addr(&[10, 0, 0, 1], 768), "10.0.0.1");
        assert_eq!(arphrd_name(1), "ether");
        assert_eq!(arphrd_name(65534), "none");
        assert_eq!(arphrd_name(9999), "[9999]");
    }
}
