//! Data types of the nft language: byte order, width, base type, symbol tables and the
//! parsers of symbolic values, as nftables 1.0.6 defines them (`datatype.c`, `proto.c`,
//! `meta.c`, `ct.c`, `fib.c`).
//!
//! Values are kept as numbers (`u128`), the way nft keeps them in GMP integers: the byte order
//! of a value only matters when it is exported to register data. Strings are numbers too (their
//! bytes in host order), so interface names and other short strings take part in the same
//! arithmetic (prefixes, intervals) as nft's.

use super::sysdb;

/// Byte order of a value (`enum byteorder`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Bo {
    /// No byte order (single bytes, verdicts).
    Invalid,
    /// Host byte order.
    Host,
    /// Network byte order.
    Big,
}

impl Bo {
    /// The value nft writes into set userdata (`NFTNL_UDATA_SET_KEYBYTEORDER`).
    pub(crate) fn udata(self) -> u32 {
        match self {
            Bo::Invalid => 0,
            Bo::Host => 1,
            Bo::Big => 2,
        }
    }
}

pub(crate) const TYPE_INVALID: u32 = 0;
pub(crate) const TYPE_VERDICT: u32 = 1;
pub(crate) const TYPE_NFPROTO: u32 = 2;
pub(crate) const TYPE_BITMASK: u32 = 3;
pub(crate) const TYPE_INTEGER: u32 = 4;
pub(crate) const TYPE_STRING: u32 = 5;
pub(crate) const TYPE_LLADDR: u32 = 6;
pub(crate) const TYPE_IPADDR: u32 = 7;
pub(crate) const TYPE_IP6ADDR: u32 = 8;
pub(crate) const TYPE_ETHERADDR: u32 = 9;
pub(crate) const TYPE_ETHERTYPE: u32 = 10;
pub(crate) const TYPE_ARPOP: u32 = 11;
pub(crate) const TYPE_INET_PROTOCOL: u32 = 12;
pub(crate) const TYPE_INET_SERVICE: u32 = 13;
pub(crate) const TYPE_ICMP_TYPE: u32 = 14;
pub(crate) const TYPE_TCP_FLAG: u32 = 15;
pub(crate) const TYPE_DCCP_PKTTYPE: u32 = 16;
pub(crate) const TYPE_MH_TYPE: u32 = 17;
pub(crate) const TYPE_TIME: u32 = 18;
pub(crate) const TYPE_MARK: u32 = 19;
pub(crate) const TYPE_IFINDEX: u32 = 20;
pub(crate) const TYPE_ARPHRD: u32 = 21;
pub(crate) const TYPE_REALM: u32 = 22;
pub(crate) const TYPE_CLASSID: u32 = 23;
pub(crate) const TYPE_UID: u32 = 24;
pub(crate) const TYPE_GID: u32 = 25;
pub(crate) const TYPE_CT_STATE: u32 = 26;
pub(crate) const TYPE_CT_DIR: u32 = 27;
pub(crate) const TYPE_CT_STATUS: u32 = 28;
pub(crate) const TYPE_ICMP6_TYPE: u32 = 29;
pub(crate) const TYPE_CT_LABEL: u32 = 30;
pub(crate) const TYPE_PKTTYPE: u32 = 31;
pub(crate) const TYPE_ICMP_CODE: u32 = 32;
pub(crate) const TYPE_ICMPV6_CODE: u32 = 33;
pub(crate) const TYPE_ICMPX_CODE: u32 = 34;
pub(crate) const TYPE_DEVGROUP: u32 = 35;
pub(crate) const TYPE_DSCP: u32 = 36;
pub(crate) const TYPE_ECN: u32 = 37;
pub(crate) const TYPE_FIB_ADDR: u32 = 38;
pub(crate) const TYPE_BOOLEAN: u32 = 39;
pub(crate) const TYPE_CT_EVENTBIT: u32 = 40;
pub(crate) const TYPE_IFNAME: u32 = 41;
pub(crate) const TYPE_IGMP_TYPE: u32 = 42;
pub(crate) const TYPE_TIME_DATE: u32 = 43;
pub(crate) const TYPE_TIME_HOUR: u32 = 44;
pub(crate) const TYPE_TIME_DAY: u32 = 45;
pub(crate) const TYPE_CGROUPV2: u32 = 46;
/// Bits per component of a concatenated type id.
pub(crate) const TYPE_BITS: u32 = 6;
const TYPE_MASK: u32 = (1 << TYPE_BITS) - 1;

/// How a type parses symbols it has no table entry for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parse {
    /// Use the symbol table, else the base type's parser.
    Table,
    /// `mpz_set_str(v, s, 0)`.
    Integer,
    /// The whole text is the value.
    String,
    LlAddr,
    Ipv4,
    Ipv6,
    InetProto,
    InetService,
    Time,
    /// `/etc/iproute2/rt_marks`, then integer.
    Mark,
    Ifindex,
    Realm,
    Classid,
    Uid,
    Gid,
    CtLabel,
    Devgroup,
    Date,
    Hour,
    Cgroupv2,
    /// No parser (verdict, invalid).
    None,
}

/// A registered data type.
#[derive(Debug)]
pub(crate) struct TypeInfo {
    pub id: u32,
    pub name: &'static str,
    pub desc: &'static str,
    pub bo: Bo,
    /// Width in bits (0: variable).
    pub size: u32,
    pub base: Option<u32>,
    pub syms: &'static [(&'static str, u64)],
    pub parse: Parse,
    /// Numbers print in hexadecimal (`basefmt "0x…"`).
    pub hex: bool,
}

macro_rules! ti {
    ($id:expr, $name:literal, $desc:literal, $bo:ident, $size:expr, $base:expr, $syms:expr, $parse:ident, $hex:expr) => {
        TypeInfo {
            id: $id,
            name: $name,
            desc: $desc,
            bo: Bo::$bo,
            size: $size,
            base: $base,
            syms: $syms,
            parse: Parse::$parse,
            hex: $hex,
        }
    };
}

const NO: &[(&str, u64)] = &[];

pub(crate) const NFPROTO_SYMS: &[(&str, u64)] = &[("ipv4", 2), ("ipv6", 10)];
pub(crate) const ETHERTYPE_SYMS: &[(&str, u64)] = &[
    ("ip", 0x0800),
    ("arp", 0x0806),
    ("ip6", 0x86dd),
    ("8021q", 0x8100),
    ("8021ad", 0x88a8),
    ("vlan", 0x8100),
];
pub(crate) const ARPOP_SYMS: &[(&str, u64)] = &[
    ("request", 1),
    ("reply", 2),
    ("rrequest", 3),
    ("rreply", 4),
    ("inrequest", 8),
    ("inreply", 9),
    ("nak", 10),
];
pub(crate) const ICMP_TYPE_SYMS: &[(&str, u64)] = &[
    ("echo-reply", 0),
    ("destination-unreachable", 3),
    ("source-quench", 4),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicitation", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp-request", 13),
    ("timestamp-reply", 14),
    ("info-request", 15),
    ("info-reply", 16),
    ("address-mask-request", 17),
    ("address-mask-reply", 18),
];
pub(crate) const TCP_FLAG_SYMS: &[(&str, u64)] = &[
    ("fin", 0x01),
    ("syn", 0x02),
    ("rst", 0x04),
    ("psh", 0x08),
    ("ack", 0x10),
    ("urg", 0x20),
    ("ecn", 0x40),
    ("cwr", 0x80),
];
const DCCP_PKTTYPE_SYMS: &[(&str, u64)] = &[
    ("request", 0),
    ("response", 1),
    ("data", 2),
    ("ack", 3),
    ("dataack", 4),
    ("closereq", 5),
    ("close", 6),
    ("reset", 7),
    ("sync", 8),
    ("syncack", 9),
];
const MH_TYPE_SYMS: &[(&str, u64)] = &[
    ("binding-refresh-request", 0),
    ("home-test-init", 1),
    ("careof-test-init", 2),
    ("home-test", 3),
    ("careof-test", 4),
    ("binding-update", 5),
    ("binding-acknowledgement", 6),
    ("binding-error", 7),
    ("fast-binding-update", 8),
    ("fast-binding-acknowledgement", 9),
    ("fast-binding-advertisement", 10),
    ("experimental-mobility-header", 11),
    ("home-agent-switch-message", 12),
];
const ARPHRD_SYMS: &[(&str, u64)] = &[
    ("ether", 1),
    ("ppp", 512),
    ("ipip", 768),
    ("ipip6", 769),
    ("loopback", 772),
    ("sit", 776),
    ("ipgre", 778),
];
pub(crate) const CT_STATE_SYMS: &[(&str, u64)] = &[
    ("invalid", 1),
    ("new", 8),
    ("established", 2),
    ("related", 4),
    ("untracked", 64),
];
const CT_DIR_SYMS: &[(&str, u64)] = &[("original", 0), ("reply", 1)];
pub(crate) const CT_STATUS_SYMS: &[(&str, u64)] = &[
    ("expected", 1),
    ("seen-reply", 2),
    ("assured", 4),
    ("confirmed", 8),
    ("snat", 16),
    ("dnat", 32),
    ("dying", 512),
];
const CT_EVENT_SYMS: &[(&str, u64)] = &[
    ("new", 1),
    ("related", 2),
    ("destroy", 4),
    ("reply", 8),
    ("assured", 16),
    ("protoinfo", 32),
    ("helper", 64),
    ("mark", 128),
    ("seqadj", 256),
    ("secmark", 512),
    ("label", 1024),
];
pub(crate) const ICMP6_TYPE_SYMS: &[(&str, u64)] = &[
    ("destination-unreachable", 1),
    ("packet-too-big", 2),
    ("time-exceeded", 3),
    ("parameter-problem", 4),
    ("echo-request", 128),
    ("echo-reply", 129),
    ("mld-listener-query", 130),
    ("mld-listener-report", 131),
    ("mld-listener-done", 132),
    ("mld-listener-reduction", 132),
    ("nd-router-solicit", 133),
    ("nd-router-advert", 134),
    ("nd-neighbor-solicit", 135),
    ("nd-neighbor-advert", 136),
    ("nd-redirect", 137),
    ("router-renumbering", 138),
    ("ind-neighbor-solicit", 141),
    ("ind-neighbor-advert", 142),
    ("mld2-listener-report", 143),
];
const PKTTYPE_SYMS: &[(&str, u64)] = &[
    ("host", 0),
    ("unicast", 0),
    ("broadcast", 1),
    ("multicast", 2),
    ("other", 3),
];
pub(crate) const ICMP_CODE_SYMS: &[(&str, u64)] = &[
    ("net-unreachable", 0),
    ("host-unreachable", 1),
    ("prot-unreachable", 2),
    ("port-unreachable", 3),
    ("net-prohibited", 9),
    ("host-prohibited", 10),
    ("admin-prohibited", 13),
    ("frag-needed", 4),
];
pub(crate) const ICMPV6_CODE_SYMS: &[(&str, u64)] = &[
    ("no-route", 0),
    ("admin-prohibited", 1),
    ("addr-unreachable", 3),
    ("port-unreachable", 4),
    ("policy-fail", 5),
    ("reject-route", 6),
];
pub(crate) const ICMPX_CODE_SYMS: &[(&str, u64)] = &[
    ("port-unreachable", 1),
    ("admin-prohibited", 3),
    ("no-route", 0),
    ("host-unreachable", 2),
];
const DSCP_SYMS: &[(&str, u64)] = &[
    ("cs0", 0x00),
    ("cs1", 0x08),
    ("cs2", 0x10),
    ("cs3", 0x18),
    ("cs4", 0x20),
    ("cs5", 0x28),
    ("cs6", 0x30),
    ("cs7", 0x38),
    ("df", 0x00),
    ("be", 0x00),
    ("lephb", 0x01),
    ("af11", 0x0a),
    ("af12", 0x0c),
    ("af13", 0x0e),
    ("af21", 0x12),
    ("af22", 0x14),
    ("af23", 0x16),
    ("af31", 0x1a),
    ("af32", 0x1c),
    ("af33", 0x1e),
    ("af41", 0x22),
    ("af42", 0x24),
    ("af43", 0x26),
    ("va", 0x2c),
    ("ef", 0x2e),
];
const ECN_SYMS: &[(&str, u64)] = &[("not-ect", 0), ("ect1", 1), ("ect0", 2), ("ce", 3)];
pub(crate) const FIB_ADDR_SYMS: &[(&str, u64)] = &[
    ("unspec", 0),
    ("unicast", 1),
    ("local", 2),
    ("broadcast", 3),
    ("anycast", 4),
    ("multicast", 5),
    ("blackhole", 6),
    ("unreachable", 7),
    ("prohibit", 8),
];
const BOOLEAN_SYMS: &[(&str, u64)] = &[("exists", 1), ("missing", 0)];
const IGMP_TYPE_SYMS: &[(&str, u64)] = &[
    ("membership-query", 0x11),
    ("membership-report-v1", 0x12),
    ("membership-report-v2", 0x16),
    ("membership-report-v3", 0x22),
    ("leave-group", 0x17),
];
const DAY_SYMS: &[(&str, u64)] = &[
    ("Sunday", 0),
    ("Monday", 1),
    ("Tuesday", 2),
    ("Wednesday", 3),
    ("Thursday", 4),
    ("Friday", 5),
    ("Saturday", 6),
];

static TYPES: [TypeInfo; 47] = [
    ti!(
        TYPE_INVALID,
        "invalid",
        "invalid",
        Invalid,
        0,
        None,
        NO,
        None,
        false
    ),
    ti!(
        TYPE_VERDICT,
        "verdict",
        "netfilter verdict",
        Invalid,
        0,
        None,
        NO,
        None,
        false
    ),
    ti!(
        TYPE_NFPROTO,
        "nf_proto",
        "netfilter protocol",
        Invalid,
        8,
        Some(TYPE_INTEGER),
        NFPROTO_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_BITMASK,
        "bitmask",
        "bitmask",
        Invalid,
        0,
        Some(TYPE_INTEGER),
        NO,
        Table,
        true
    ),
    ti!(
        TYPE_INTEGER,
        "integer",
        "integer",
        Invalid,
        0,
        None,
        NO,
        Integer,
        false
    ),
    ti!(
        TYPE_STRING,
        "string",
        "string",
        Host,
        0,
        None,
        NO,
        String,
        false
    ),
    ti!(
        TYPE_LLADDR,
        "ll_addr",
        "link layer address",
        Big,
        0,
        Some(TYPE_INTEGER),
        NO,
        LlAddr,
        false
    ),
    ti!(
        TYPE_IPADDR,
        "ipv4_addr",
        "IPv4 address",
        Big,
        32,
        Some(TYPE_INTEGER),
        NO,
        Ipv4,
        false
    ),
    ti!(
        TYPE_IP6ADDR,
        "ipv6_addr",
        "IPv6 address",
        Big,
        128,
        Some(TYPE_INTEGER),
        NO,
        Ipv6,
        false
    ),
    ti!(
        TYPE_ETHERADDR,
        "ether_addr",
        "Ethernet address",
        Big,
        48,
        Some(TYPE_LLADDR),
        NO,
        Table,
        false
    ),
    ti!(
        TYPE_ETHERTYPE,
        "ether_type",
        "Ethernet protocol",
        Big,
        16,
        Some(TYPE_INTEGER),
        ETHERTYPE_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_ARPOP,
        "arp_op",
        "ARP operation",
        Big,
        16,
        Some(TYPE_INTEGER),
        ARPOP_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_INET_PROTOCOL,
        "inet_proto",
        "Internet protocol",
        Invalid,
        8,
        Some(TYPE_INTEGER),
        NO,
        InetProto,
        false
    ),
    ti!(
        TYPE_INET_SERVICE,
        "inet_service",
        "internet network service",
        Big,
        16,
        Some(TYPE_INTEGER),
        NO,
        InetService,
        false
    ),
    ti!(
        TYPE_ICMP_TYPE,
        "icmp_type",
        "ICMP type",
        Big,
        8,
        Some(TYPE_INTEGER),
        ICMP_TYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_TCP_FLAG,
        "tcp_flag",
        "TCP flag",
        Big,
        8,
        Some(TYPE_BITMASK),
        TCP_FLAG_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_DCCP_PKTTYPE,
        "dccp_pkttype",
        "DCCP packet type",
        Invalid,
        4,
        Some(TYPE_INTEGER),
        DCCP_PKTTYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_MH_TYPE,
        "mh_type",
        "Mobility Header Type",
        Big,
        8,
        Some(TYPE_INTEGER),
        MH_TYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_TIME,
        "time",
        "relative time",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Time,
        false
    ),
    ti!(
        TYPE_MARK,
        "mark",
        "packet mark",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Mark,
        true
    ),
    ti!(
        TYPE_IFINDEX,
        "iface_index",
        "network interface index",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Ifindex,
        false
    ),
    ti!(
        TYPE_ARPHRD,
        "iface_type",
        "network interface type",
        Host,
        16,
        Some(TYPE_INTEGER),
        ARPHRD_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_REALM,
        "realm",
        "routing realm",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Realm,
        false
    ),
    ti!(
        TYPE_CLASSID,
        "classid",
        "TC classid",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Classid,
        false
    ),
    ti!(
        TYPE_UID,
        "uid",
        "user ID",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Uid,
        false
    ),
    ti!(
        TYPE_GID,
        "gid",
        "group ID",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Gid,
        false
    ),
    ti!(
        TYPE_CT_STATE,
        "ct_state",
        "conntrack state",
        Host,
        32,
        Some(TYPE_BITMASK),
        CT_STATE_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_CT_DIR,
        "ct_dir",
        "conntrack direction",
        Invalid,
        8,
        Some(TYPE_INTEGER),
        CT_DIR_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_CT_STATUS,
        "ct_status",
        "conntrack status",
        Host,
        32,
        Some(TYPE_BITMASK),
        CT_STATUS_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_ICMP6_TYPE,
        "icmpv6_type",
        "ICMPv6 type",
        Big,
        8,
        Some(TYPE_INTEGER),
        ICMP6_TYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_CT_LABEL,
        "ct_label",
        "conntrack label",
        Host,
        128,
        Some(TYPE_BITMASK),
        NO,
        CtLabel,
        true
    ),
    ti!(
        TYPE_PKTTYPE,
        "pkt_type",
        "packet type",
        Host,
        8,
        Some(TYPE_INTEGER),
        PKTTYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_ICMP_CODE,
        "icmp_code",
        "icmp code",
        Big,
        8,
        Some(TYPE_INTEGER),
        ICMP_CODE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_ICMPV6_CODE,
        "icmpv6_code",
        "icmpv6 code",
        Big,
        8,
        Some(TYPE_INTEGER),
        ICMPV6_CODE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_ICMPX_CODE,
        "icmpx_code",
        "icmpx code",
        Big,
        8,
        Some(TYPE_INTEGER),
        ICMPX_CODE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_DEVGROUP,
        "devgroup",
        "devgroup name",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Devgroup,
        false
    ),
    ti!(
        TYPE_DSCP,
        "dscp",
        "Differentiated Services Code Point",
        Big,
        6,
        Some(TYPE_INTEGER),
        DSCP_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_ECN,
        "ecn",
        "Explicit Congestion Notification",
        Big,
        2,
        Some(TYPE_INTEGER),
        ECN_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_FIB_ADDR,
        "fib_addrtype",
        "fib address type",
        Host,
        32,
        Some(TYPE_INTEGER),
        FIB_ADDR_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_BOOLEAN,
        "boolean",
        "boolean type",
        Invalid,
        1,
        Some(TYPE_INTEGER),
        BOOLEAN_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_CT_EVENTBIT,
        "ct_event",
        "conntrack event bits",
        Host,
        32,
        Some(TYPE_BITMASK),
        CT_EVENT_SYMS,
        Table,
        true
    ),
    ti!(
        TYPE_IFNAME,
        "ifname",
        "network interface name",
        Host,
        128,
        Some(TYPE_STRING),
        NO,
        Table,
        false
    ),
    ti!(
        TYPE_IGMP_TYPE,
        "igmp_type",
        "IGMP type",
        Big,
        8,
        Some(TYPE_INTEGER),
        IGMP_TYPE_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_TIME_DATE,
        "time",
        "Relative time of packet reception",
        Host,
        64,
        Some(TYPE_INTEGER),
        NO,
        Date,
        false
    ),
    ti!(
        TYPE_TIME_HOUR,
        "hour",
        "Hour of day of packet reception",
        Host,
        32,
        Some(TYPE_INTEGER),
        NO,
        Hour,
        false
    ),
    ti!(
        TYPE_TIME_DAY,
        "day",
        "Day of week of packet reception",
        Host,
        8,
        Some(TYPE_INTEGER),
        DAY_SYMS,
        Table,
        false
    ),
    ti!(
        TYPE_CGROUPV2,
        "cgroupsv2",
        "cgroupv2 path",
        Host,
        64,
        Some(TYPE_INTEGER),
        NO,
        Cgroupv2,
        false
    ),
];

/// The registered type `id`.
pub(crate) fn info(id: u32) -> Option<&'static TypeInfo> {
    TYPES.get(id as usize)
}

/// The type nft registers under `name` (set `type` declarations).
pub(crate) fn lookup_by_name(name: &str) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.name == name)
}

/// A data type as an expression carries it: a registered or concatenated type id, plus the
/// width and byte order (which nft changes on clones of `integer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Dt {
    pub ty: u32,
    /// Width in bits (0: variable).
    pub size: u32,
    pub bo: Bo,
}

impl Dt {
    /// The registered type with its declared width and byte order.
    pub(crate) fn of(id: u32) -> Dt {
        match info(id) {
            Some(t) => Dt {
                ty: id,
                size: t.size,
                bo: t.bo,
            },
            None => Dt {
                ty: id,
                size: 0,
                bo: Bo::Invalid,
            },
        }
    }

    /// A concatenation of the given types (each padded to 32 bits).
    pub(crate) fn concat(ty: u32) -> Dt {
        let mut size = 0;
        for sub in concat_subtypes(ty) {
            size += padded(Dt::of(sub).size);
        }
        Dt {
            ty,
            size,
            bo: Bo::Invalid,
        }
    }

    /// True for a concatenated type.
    pub(crate) fn is_concat(&self) -> bool {
        self.ty > TYPE_MASK
    }

    /// Number of components of a concatenation (0 otherwise).
    pub(crate) fn subtypes(&self) -> usize {
        if self.is_concat() {
            concat_subtypes(self.ty).len()
        } else {
            0
        }
    }

    /// The registered type information (`None` for concatenations).
    pub(crate) fn info(&self) -> Option<&'static TypeInfo> {
        if self.is_concat() {
            None
        } else {
            info(self.ty)
        }
    }

    /// nft's name (`ipv4_addr`, `ipv4_addr . inet_service`).
    pub(crate) fn name(&self) -> String {
        if self.is_concat() {
            concat_subtypes(self.ty)
                .iter()
                .map(|t| info(*t).map(|i| i.name).unwrap_or("invalid"))
                .collect::<Vec<_>>()
                .join(" . ")
        } else {
            self.info()
                .map(|i| i.name.to_string())
                .unwrap_or_else(|| "invalid".into())
        }
    }

    /// nft's description (used in error messages).
    pub(crate) fn desc(&self) -> String {
        if self.is_concat() {
            let parts: Vec<&str> = concat_subtypes(self.ty)
                .iter()
                .map(|t| info(*t).map(|i| i.desc).unwrap_or("invalid"))
                .collect();
            format!("concatenation of ({})", parts.join(", "))
        } else {
            self.info()
                .map(|i| i.desc.to_string())
                .unwrap_or_else(|| "invalid".into())
        }
    }

    /// The immediate base type id (`datatype_basetype`).
    pub(crate) fn immediate_base(&self) -> Option<u32> {
        self.info().and_then(|i| i.base)
    }

    /// The root base type id (`expr_basetype`).
    pub(crate) fn root(&self) -> u32 {
        let mut t = self.ty;
        let mut guard = 0;
        while let Some(b) = info(t).and_then(|i| i.base) {
            t = b;
            guard += 1;
            if guard > 8 {
                break;
            }
        }
        t
    }

    /// True when the immediate base type is `bitmask` (flag matches).
    pub(crate) fn is_bitmask(&self) -> bool {
        self.immediate_base() == Some(TYPE_BITMASK)
    }
}

/// Bits rounded up to whole 32-bit registers (`netlink_padded_len`).
pub(crate) fn padded(bits: u32) -> u32 {
    bits.div_ceil(32) * 32
}

/// The component type ids of a concatenated type id, first component first.
pub(crate) fn concat_subtypes(ty: u32) -> Vec<u32> {
    let mut v = Vec::new();
    let mut t = ty;
    while t != 0 {
        v.push(t & TYPE_MASK);
        t >>= TYPE_BITS;
    }
    v.reverse();
    v
}

/// `concat_subtype_add`.
pub(crate) fn concat_add(ty: u32, sub: u32) -> u32 {
    (ty << TYPE_BITS) | sub
}

/// A mask of `bits` ones.
pub(crate) fn bitmask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Exports a value as `nbytes` of register data in `bo` order (`mpz_export_data`).
pub(crate) fn export(value: u128, bo: Bo, nbytes: usize) -> Vec<u8> {
    let n = nbytes.min(16);
    // nft exports anything but host order as big endian (`__mpz_export_data`).
    let mut out = match bo {
        Bo::Big | Bo::Invalid => value.to_be_bytes()[16 - n..].to_vec(),
        _ => {
            if cfg!(target_endian = "little") {
                value.to_le_bytes()[..n].to_vec()
            } else {
                value.to_be_bytes()[16 - n..].to_vec()
            }
        }
    };
    if nbytes > 16 {
        // Only strings are longer than a u128; their tail is NUL padding.
        if bo != Bo::Host {
            let mut v = vec![0u8; nbytes - 16];
            v.extend(out);
            out = v;
        } else {
            out.resize(nbytes, 0);
        }
    }
    out
}

/// Imports register data in `bo` order (`mpz_import_data`).
pub(crate) fn import(data: &[u8], bo: Bo) -> u128 {
    let d = &data[..data.len().min(16)];
    let mut buf = [0u8; 16];
    match bo {
        Bo::Big | Bo::Invalid => {
            buf[16 - d.len()..].copy_from_slice(d);
            u128::from_be_bytes(buf)
        }
        _ => {
            if cfg!(target_endian = "little") {
                buf[..d.len()].copy_from_slice(d);
                u128::from_le_bytes(buf)
            } else {
                buf[16 - d.len()..].copy_from_slice(d);
                u128::from_be_bytes(buf)
            }
        }
    }
}

/// Reverses the byte order of a `nbytes`-wide value (`mpz_switch_byteorder`).
pub(crate) fn switch_bo(value: u128, nbytes: usize) -> u128 {
    let b = export(value, Bo::Big, nbytes);
    let mut r = b.clone();
    r.reverse();
    import(&r, Bo::Big)
}

/// A string as a host-order value (`constant_expr_alloc(string_type, HOST, …)`).
pub(crate) fn string_value(s: &[u8]) -> u128 {
    import(s, Bo::Host)
}

/// The bytes of a string value of `nbytes`, without trailing NULs.
pub(crate) fn string_bytes(value: u128, nbytes: usize) -> Vec<u8> {
    let mut b = export(value, Bo::Host, nbytes);
    while b.last() == Some(&0) {
        b.pop();
    }
    b
}

/// A parsed symbol: its value and the width and byte order the parser gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub value: u128,
    pub bits: u32,
    pub bo: Bo,
    /// The type the value has (the context type; `string` for string parses).
    pub ty: u32,
}

/// Parses `text` as a value of `dt`, following nft's base-type chain: the type's own parser, or
/// its symbol table and then the base type's parser. Errors carry nft's message.
pub(crate) fn parse_symbol(dt: &Dt, text: &str) -> Result<Parsed, String> {
    if dt.is_concat() {
        return Err(format!("invalid data type, expected {}", dt.desc()));
    }
    let Some(info) = dt.info() else {
        return Err("No symbol type information".into());
    };
    match info.parse {
        Parse::Table => {
            if let Some((_, v)) = info.syms.iter().find(|(s, _)| *s == text) {
                return Ok(Parsed {
                    value: u128::from(*v),
                    bits: info.size,
                    bo: info.bo,
                    ty: dt.ty,
                });
            }
            // Symbol tables fall back to the first base type with a parser.
            let mut b = info.base;
            let mut guard = 0;
            while let Some(bi) = b.and_then(self::info) {
                if bi.parse != Parse::Table {
                    return parse_with(bi.parse, dt, info, text);
                }
                b = bi.base;
                guard += 1;
                if guard > 8 {
                    break;
                }
            }
            Err(format!("Could not parse {}", info.desc))
        }
        Parse::None => Err(format!("Can't parse symbolic {} expressions", info.desc)),
        p => parse_with(p, dt, info, text),
    }
}

/// `strtoull(s, &end, 0)` that must consume the whole string.
pub(crate) fn parse_c_number(s: &str) -> Option<u128> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return if radix == 16 { None } else { Some(0) };
    }
    u128::from_str_radix(digits, radix).ok()
}

fn parse_with(p: Parse, dt: &Dt, info: &TypeInfo, text: &str) -> Result<Parsed, String> {
    let ok = |value: u128, bits: u32, bo: Bo| {
        Ok(Parsed {
            value,
            bits,
            bo,
            ty: dt.ty,
        })
    };
    match p {
        Parse::Integer => match parse_c_number(text) {
            // mpz_set_str accepts arbitrarily large numbers; the width check comes later.
            Some(v) => ok(v, 1, Bo::Host),
            None => {
                if text.len() > 1 && text.chars().all(|c| c.is_ascii_digit()) {
                    Err(format!("Value {text} exceeds valid range"))
                } else {
                    Err(format!("Could not parse {}", info.desc))
                }
            }
        },
        Parse::String => {
            let b = text.as_bytes();
            if b.len() > 16 {
                return Err(format!(
                    "String exceeds maximum length of {}",
                    dt.size.max(128) / 8
                ));
            }
            Ok(Parsed {
                value: string_value(b),
                bits: (b.len() as u32 + 1) * 8,
                bo: Bo::Host,
                ty: TYPE_STRING,
            })
        }
        Parse::LlAddr => {
            let mut bytes = Vec::new();
            for part in text.split(':') {
                let v = u32::from_str_radix(part, 16).ok().filter(|v| *v <= 0xff);
                match v {
                    Some(v) if !part.is_empty() && part.len() <= 8 => bytes.push(v as u8),
                    _ => return Err("Invalid LL address".into()),
                }
            }
            if bytes.len() > 16 {
                return Err("Invalid LL address".into());
            }
            ok(import(&bytes, Bo::Big), bytes.len() as u32 * 8, Bo::Big)
        }
        Parse::Ipv4 => match text.parse::<std::net::Ipv4Addr>() {
            Ok(a) => ok(u128::from(u32::from(a)), 32, Bo::Big),
            Err(_) => match sysdb::host_v4(text) {
                Some(a) => ok(u128::from(u32::from(a)), 32, Bo::Big),
                None => Err(format!(
                    "unsupported: hostname resolution of '{text}' (use an address)"
                )),
            },
        },
        Parse::Ipv6 => match text.parse::<std::net::Ipv6Addr>() {
            Ok(a) => ok(u128::from(a), 128, Bo::Big),
            Err(_) => match sysdb::host_v6(text) {
                Some(a) => ok(u128::from(a), 128, Bo::Big),
                None => Err(format!(
                    "unsupported: hostname resolution of '{text}' (use an address)"
                )),
            },
        },
        Parse::InetProto => {
            if let Some(v) = c_number_prefix(text) {
                if v > 255 {
                    return Err("Protocol out of range".into());
                }
                return ok(v, 8, Bo::Host);
            }
            match sysdb::protocol_by_name(text) {
                Some(n) => ok(u128::from(n), 8, Bo::Host),
                None => Err("Could not resolve protocol name".into()),
            }
        }
        Parse::InetService => {
            if let Some(v) = c_number_prefix(text) {
                if v > 65535 {
                    return Err("Service out of range".into());
                }
                return ok(v, 16, Bo::Big);
            }
            match sysdb::service_by_name(text) {
                Some(p) => ok(u128::from(p), 16, Bo::Big),
                None => {
                    Err("Could not resolve service: Servname not supported for ai_socktype".into())
                }
            }
        }
        Parse::Time => {
            let ms = linx_nft_syntax::keywords::parse_time(text)?;
            if ms > u64::from(u32::MAX) {
                return Err("value too large".into());
            }
            ok(u128::from(ms), 32, Bo::Host)
        }
        Parse::Mark | Parse::Realm | Parse::Devgroup => {
            let file = match p {
                Parse::Mark => "/etc/iproute2/rt_marks",
                Parse::Realm => "/etc/iproute2/rt_realms",
                _ => "/etc/iproute2/group",
            };
            if let Some(v) = sysdb::rt_table(file, text) {
                return ok(u128::from(v), info.size, info.bo);
            }
            match parse_c_number(text) {
                Some(v) => ok(v, 1, Bo::Host),
                None => Err(format!("Could not parse {}", info.desc)),
            }
        }
        Parse::Ifindex => Err("Interface does not exist".into()),
        Parse::Classid => {
            let v = if text == "root" {
                0xffff_ffff
            } else if text == "none" {
                0
            } else if let Some((a, b)) = text.split_once(':') {
                let hi = u32::from_str_radix(a, 16).unwrap_or(0);
                let lo = if b.is_empty() {
                    0
                } else {
                    u32::from_str_radix(b, 16).unwrap_or(0)
                };
                (hi << 16) | (lo & 0xffff)
            } else {
                parse_c_number(text).unwrap_or(0) as u32
            };
            ok(u128::from(v), 32, Bo::Host)
        }
        Parse::Uid | Parse::Gid => {
            let file = if p == Parse::Uid {
                "/etc/passwd"
            } else {
                "/etc/group"
            };
            if let Some(id) = sysdb::passwd_id(file, text) {
                return ok(u128::from(id), 32, Bo::Host);
            }
            let v = if p == Parse::Uid {
                text.parse::<u64>().ok().map(u128::from)
            } else {
                parse_c_number(text)
            };
            match v {
                Some(v) if v > u128::from(u32::MAX) => Err("Value too large".into()),
                Some(v) => ok(v, 32, Bo::Host),
                None if p == Parse::Uid => Err("User does not exist".into()),
                None => Err("Group does not exist".into()),
            }
        }
        Parse::CtLabel => {
            let bit = match sysdb::connlabel(text) {
                Some(b) => u128::from(b),
                None => match parse_c_number(text) {
                    Some(b) => b,
                    None => {
                        return Err(format!(
                            "/etc/connlabel.conf: could not parse conntrack label \"{text}\""
                        ));
                    }
                },
            };
            if bit >= 128 {
                return Err(format!("{text}: bit {bit} out of range (128 max)"));
            }
            ok(1u128 << bit, 128, Bo::Host)
        }
        Parse::Date | Parse::Hour | Parse::Cgroupv2 => Err(format!(
            "unsupported: {} values (they depend on the local time zone or cgroup file system)",
            info.name
        )),
        Parse::Table | Parse::None => Err(format!("Could not parse {}", info.desc)),
    }
}

/// `strtoumax(s, &end, 0)` consuming the whole (non-empty) string.
fn c_number_prefix(s: &str) -> Option<u128> {
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    match parse_c_number(s) {
        Some(v) => Some(v),
        // Digits that overflow: nft reports out of range.
        None if s.chars().all(|c| c.is_ascii_digit()) => Some(u128::MAX),
        None => None,
    }
}

/// The symbol printed for `value` of type `id`, if its table has one.
pub(crate) fn symbol_name(id: u32, value: u128) -> Option<&'static str> {
    let t = info(id)?;
    t.syms
        .iter()
        .find(|(_, v)| u128::from(*v) == value)
        .map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_numbers() {
        let p = parse_symbol(&Dt::of(TYPE_INET_SERVICE), "22").unwrap();
        assert_eq!((p.value, p.bits, p.bo), (22, 16, Bo::Big));
        let p = parse_symbol(&Dt::of(TYPE_INET_SERVICE), "ssh").unwrap();
        assert_eq!(p.value, 22);
        let p = parse_symbol(&Dt::of(TYPE_CT_STATE), "established").unwrap();
        assert_eq!(p.value, 2);
        let p = parse_symbol(&Dt::of(TYPE_ETHERTYPE), "ip6").unwrap();
        assert_eq!(p.value, 0x86dd);
        let p = parse_symbol(&Dt::of(TYPE_TCP_FLAG), "0x12").unwrap();
        assert_eq!(p.value, 0x12);
        let p = parse_symbol(&Dt::of(TYPE_IPADDR), "10.0.0.1").unwrap();
        assert_eq!(p.value, 0x0a00_0001);
        assert!(parse_symbol(&Dt::of(TYPE_INET_SERVICE), "70000").is_err());
        let p = parse_symbol(&Dt::of(TYPE_ETHERADDR), "02:1a:4c:00:00:01").unwrap();
        assert_eq!(p.value, 0x021a_4c00_0001);
        let p = parse_symbol(&Dt::of(TYPE_IFNAME), "eth0").unwrap();
        assert_eq!(string_bytes(p.value, 16), b"eth0");
        assert_eq!(export(0x1234, Bo::Big, 2), vec![0x12, 0x34]);
        assert_eq!(switch_bo(0x1234, 2), 0x3412);
        assert_eq!(concat_subtypes(7 << 6 | 13), vec![7, 13]);
        assert_eq!(Dt::concat(7 << 6 | 13).size, 64);
    }
}
