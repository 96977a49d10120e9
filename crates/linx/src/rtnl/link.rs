//! Links (network interfaces): decoding `RTM_NEWLINK` messages, listing and getting links.
//!
//! A [`Link`] keeps every attribute: the ones linx models are typed fields, the rest are kept raw in
//! [`Link::other`] so nothing the kernel said is lost.

use std::fmt;

use crate::error::{Error, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, MsgBuilder, RawAttr};
use crate::netlink::{DEFAULT_DUMP_RETRIES, NetlinkSocket, Request};

use super::{RTM_GETLINK, RTM_NEWLINK};

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

/// Names an attribute path inside an `RTM_*LINK` request (for extended-ack errors).
pub fn attr_path_name(path: &[u16]) -> String {
    let mut out = Vec::with_capacity(path.len());
    let mut in_linkinfo = false;
    for (i, &t) in path.iter().enumerate() {
        let name = if i == 0 {
            in_linkinfo = t == ifla::LINKINFO;
            top_level_name(t)
        } else if i == 1 && in_linkinfo {
            match t {
                ifla::info::KIND => Some("IFLA_INFO_KIND"),
                ifla::info::DATA => Some("IFLA_INFO_DATA"),
                ifla::info::XSTATS => Some("IFLA_INFO_XSTATS"),
                ifla::info::SLAVE_KIND => Some("IFLA_INFO_SLAVE_KIND"),
                ifla::info::SLAVE_DATA => Some("IFLA_INFO_SLAVE_DATA"),
                _ => None,
            }
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
                m.serialize_entry("linkinfo", &LinkInfoJson(info))?;
            }
            m.end()
        }
    }

    struct LinkInfoJson<'a>(&'a super::LinkInfo);

    impl Serialize for LinkInfoJson<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(None)?;
            if let Some(k) = &self.0.kind {
                m.serialize_entry("info_kind", k)?;
            }
            if let Some(k) = &self.0.port_kind {
                m.serialize_entry("info_slave_kind", k)?;
            }
            m.end()
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
