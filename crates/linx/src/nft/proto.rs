//! Protocol descriptions, header templates, meta and ct keys, as nftables 1.0.6 defines them
//! (`proto.c`, `meta.c`, `ct.c`). The protocol context and the implicit dependencies of the
//! evaluator are built on these tables (NFT-15).

use super::dtype::*;

/// No base (`PROTO_BASE_INVALID`).
pub(crate) const BASE_INVALID: u8 = 0;
/// Link layer header.
pub(crate) const BASE_LL: u8 = 1;
/// Network header.
pub(crate) const BASE_NETWORK: u8 = 2;
/// Transport header.
pub(crate) const BASE_TRANSPORT: u8 = 3;
/// Inner header.
pub(crate) const BASE_INNER: u8 = 4;

/// The name nft uses for a base in messages (`proto_base_names`).
pub(crate) fn base_name(b: u8) -> &'static str {
    match b {
        BASE_LL => "link layer",
        BASE_NETWORK => "network layer",
        BASE_TRANSPORT => "transport layer",
        BASE_INNER => "inner",
        _ => "invalid",
    }
}

/// Protocol descriptions; the discriminants are nft's `enum proto_desc_id` (the pseudo
/// descriptions of hook families have none of their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub(crate) enum P {
    Unknown = 0,
    Ah = 1,
    Esp = 2,
    Comp = 3,
    Icmp = 4,
    Igmp = 5,
    Udp = 6,
    Udplite = 7,
    Tcp = 8,
    Dccp = 9,
    Sctp = 10,
    Th = 11,
    Ip = 12,
    Ip6 = 13,
    Icmp6 = 14,
    Arp = 15,
    Vlan = 16,
    Eth = 17,
    Inet = 100,
    Netdev = 101,
    InetService = 102,
}

/// ICMP header field dependencies (`enum icmp_hdr_field_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IcmpDep {
    Any = 0,
    Echo = 1,
    Mtu = 2,
    Address = 3,
    Icmp6Mtu = 4,
    Icmp6Pptr = 5,
    Icmp6Echo = 6,
    Icmp6Mgmq = 7,
}

/// A header field template (`struct proto_hdr_template`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tmpl {
    pub token: &'static str,
    pub dtype: u32,
    pub bo: Bo,
    pub offset: u32,
    pub len: u32,
    pub icmp_dep: IcmpDep,
    /// Meta template (`[0]` of ip, ip6, inet, netdev).
    pub meta_key: Option<u32>,
}

const fn t(token: &'static str, dtype: u32, offset: u32, len: u32) -> Tmpl {
    Tmpl {
        token,
        dtype,
        bo: Bo::Big,
        offset,
        len,
        icmp_dep: IcmpDep::Any,
        meta_key: None,
    }
}

const fn ti(token: &'static str, offset: u32, len: u32, dep: IcmpDep) -> Tmpl {
    Tmpl {
        token,
        dtype: TYPE_INTEGER,
        bo: Bo::Big,
        offset,
        len,
        icmp_dep: dep,
        meta_key: None,
    }
}

const fn tm(token: &'static str, dtype: u32, key: u32, len: u32) -> Tmpl {
    Tmpl {
        token,
        dtype,
        bo: Bo::Invalid,
        offset: 0,
        len,
        icmp_dep: IcmpDep::Any,
        meta_key: Some(key),
    }
}

const NONE: Tmpl = Tmpl {
    token: "",
    dtype: TYPE_INVALID,
    bo: Bo::Invalid,
    offset: 0,
    len: 0,
    icmp_dep: IcmpDep::Any,
    meta_key: None,
};

/// A protocol description (`struct proto_desc`).
#[derive(Debug)]
pub(crate) struct Desc {
    #[allow(dead_code)] // identity of the template, read in Debug output
    pub id: P,
    pub name: &'static str,
    pub base: u8,
    /// Index of the template selecting the upper protocol (0: none).
    pub protocol_key: usize,
    /// Header length in bits (link layer headers).
    pub length: u32,
    /// Upper protocols by protocol value.
    pub protocols: &'static [(u32, P)],
    pub templates: &'static [Tmpl],
    pub checksum_key: usize,
    pub checksum_type: u32,
    pub pseudohdr: &'static [usize],
}

const INET_UPPER: &[(u32, P)] = &[
    (50, P::Esp),
    (51, P::Ah),
    (108, P::Comp),
    (17, P::Udp),
    (136, P::Udplite),
    (6, P::Tcp),
    (33, P::Dccp),
    (132, P::Sctp),
];

const IP_UPPER: &[(u32, P)] = &[
    (1, P::Icmp),
    (2, P::Igmp),
    (58, P::Icmp6),
    (50, P::Esp),
    (51, P::Ah),
    (108, P::Comp),
    (17, P::Udp),
    (136, P::Udplite),
    (6, P::Tcp),
    (33, P::Dccp),
    (132, P::Sctp),
];

const IP6_UPPER: &[(u32, P)] = &[
    (50, P::Esp),
    (51, P::Ah),
    (108, P::Comp),
    (17, P::Udp),
    (136, P::Udplite),
    (6, P::Tcp),
    (33, P::Dccp),
    (132, P::Sctp),
    (1, P::Icmp),
    (2, P::Igmp),
    (58, P::Icmp6),
];

const ETH_UPPER: &[(u32, P)] = &[
    (0x0008, P::Ip),
    (0x0608, P::Arp),
    (0xdd86, P::Ip6),
    (0x0081, P::Vlan),
    (0xa888, P::Vlan),
];

static UNKNOWN: Desc = Desc {
    id: P::Unknown,
    name: "unknown",
    base: BASE_INVALID,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static AH: Desc = Desc {
    id: P::Ah,
    name: "ah",
    base: BASE_TRANSPORT,
    protocol_key: 1,
    length: 0,
    protocols: INET_UPPER,
    templates: &[
        NONE,
        Tmpl {
            dtype: TYPE_INET_PROTOCOL,
            ..t("nexthdr", TYPE_INET_PROTOCOL, 0, 8)
        },
        ti("hdrlength", 8, 8, IcmpDep::Any),
        ti("reserved", 16, 16, IcmpDep::Any),
        ti("spi", 32, 32, IcmpDep::Any),
        ti("sequence", 64, 32, IcmpDep::Any),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static ESP: Desc = Desc {
    id: P::Esp,
    name: "esp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        ti("spi", 0, 32, IcmpDep::Any),
        ti("sequence", 32, 32, IcmpDep::Any),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static COMP: Desc = Desc {
    id: P::Comp,
    name: "comp",
    base: BASE_TRANSPORT,
    protocol_key: 1,
    length: 0,
    protocols: INET_UPPER,
    templates: &[
        NONE,
        t("nexthdr", TYPE_INET_PROTOCOL, 0, 8),
        t("flags", TYPE_BITMASK, 8, 8),
        ti("cpi", 16, 16, IcmpDep::Any),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static ICMP: Desc = Desc {
    id: P::Icmp,
    name: "icmp",
    base: BASE_TRANSPORT,
    protocol_key: 1,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("type", TYPE_ICMP_TYPE, 0, 8),
        t("code", TYPE_ICMP_CODE, 8, 8),
        ti("checksum", 16, 16, IcmpDep::Any),
        ti("id", 32, 16, IcmpDep::Echo),
        ti("sequence", 48, 16, IcmpDep::Echo),
        ti("gateway", 32, 32, IcmpDep::Address),
        ti("mtu", 48, 16, IcmpDep::Mtu),
    ],
    checksum_key: 3,
    checksum_type: 1,
    pseudohdr: &[],
};

static IGMP: Desc = Desc {
    id: P::Igmp,
    name: "igmp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("type", TYPE_IGMP_TYPE, 0, 8),
        ti("checksum", 16, 16, IcmpDep::Any),
        ti("mrt", 8, 8, IcmpDep::Any),
        ti("group", 32, 32, IcmpDep::Any),
    ],
    checksum_key: 2,
    checksum_type: 1,
    pseudohdr: &[],
};

static UDP: Desc = Desc {
    id: P::Udp,
    name: "udp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
        ti("length", 32, 16, IcmpDep::Any),
        ti("checksum", 48, 16, IcmpDep::Any),
    ],
    checksum_key: 4,
    checksum_type: 1,
    pseudohdr: &[],
};

static UDPLITE: Desc = Desc {
    id: P::Udplite,
    name: "udplite",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
        ti("csumcov", 32, 16, IcmpDep::Any),
        ti("checksum", 48, 16, IcmpDep::Any),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static TCP: Desc = Desc {
    id: P::Tcp,
    name: "tcp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
        ti("sequence", 32, 32, IcmpDep::Any),
        ti("ackseq", 64, 32, IcmpDep::Any),
        ti("doff", 96, 4, IcmpDep::Any),
        ti("reserved", 100, 4, IcmpDep::Any),
        t("flags", TYPE_TCP_FLAG, 104, 8),
        ti("window", 112, 16, IcmpDep::Any),
        ti("checksum", 128, 16, IcmpDep::Any),
        ti("urgptr", 144, 16, IcmpDep::Any),
    ],
    checksum_key: 9,
    checksum_type: 1,
    pseudohdr: &[],
};

static DCCP: Desc = Desc {
    id: P::Dccp,
    name: "dccp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
        t("type", TYPE_DCCP_PKTTYPE, 67, 4),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static SCTP: Desc = Desc {
    id: P::Sctp,
    name: "sctp",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
        ti("vtag", 32, 32, IcmpDep::Any),
        ti("checksum", 64, 32, IcmpDep::Any),
    ],
    checksum_key: 4,
    checksum_type: 2,
    pseudohdr: &[],
};

static TH: Desc = Desc {
    id: P::Th,
    name: "th",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static IP: Desc = Desc {
    id: P::Ip,
    name: "ip",
    base: BASE_NETWORK,
    protocol_key: 0,
    length: 0,
    protocols: IP_UPPER,
    templates: &[
        tm("l4proto", TYPE_INET_PROTOCOL, 16, 8),
        ti("version", 0, 4, IcmpDep::Any),
        ti("hdrlength", 4, 4, IcmpDep::Any),
        t("dscp", TYPE_DSCP, 8, 6),
        t("ecn", TYPE_ECN, 14, 2),
        ti("length", 16, 16, IcmpDep::Any),
        ti("id", 32, 16, IcmpDep::Any),
        ti("frag-off", 48, 16, IcmpDep::Any),
        ti("ttl", 64, 8, IcmpDep::Any),
        t("protocol", TYPE_INET_PROTOCOL, 72, 8),
        ti("checksum", 80, 16, IcmpDep::Any),
        t("saddr", TYPE_IPADDR, 96, 32),
        t("daddr", TYPE_IPADDR, 128, 32),
    ],
    checksum_key: 10,
    checksum_type: 1,
    pseudohdr: &[11, 12, 9, 5],
};

static ICMP6: Desc = Desc {
    id: P::Icmp6,
    name: "icmpv6",
    base: BASE_TRANSPORT,
    protocol_key: 1,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        t("type", TYPE_ICMP6_TYPE, 0, 8),
        t("code", TYPE_ICMPV6_CODE, 8, 8),
        ti("checksum", 16, 16, IcmpDep::Any),
        ti("parameter-problem", 32, 32, IcmpDep::Icmp6Pptr),
        ti("mtu", 32, 32, IcmpDep::Icmp6Mtu),
        ti("id", 32, 16, IcmpDep::Icmp6Echo),
        ti("sequence", 48, 16, IcmpDep::Icmp6Echo),
        ti("max-delay", 32, 16, IcmpDep::Icmp6Mgmq),
    ],
    checksum_key: 3,
    checksum_type: 1,
    pseudohdr: &[],
};

static IP6: Desc = Desc {
    id: P::Ip6,
    name: "ip6",
    base: BASE_NETWORK,
    protocol_key: 0,
    length: 0,
    protocols: IP6_UPPER,
    templates: &[
        tm("l4proto", TYPE_INET_PROTOCOL, 16, 8),
        ti("version", 0, 4, IcmpDep::Any),
        t("dscp", TYPE_DSCP, 4, 6),
        t("ecn", TYPE_ECN, 10, 2),
        ti("flowlabel", 12, 20, IcmpDep::Any),
        ti("length", 32, 16, IcmpDep::Any),
        t("nexthdr", TYPE_INET_PROTOCOL, 48, 8),
        ti("hoplimit", 56, 8, IcmpDep::Any),
        t("saddr", TYPE_IP6ADDR, 64, 128),
        t("daddr", TYPE_IP6ADDR, 192, 128),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[8, 9, 6, 5],
};

static INET: Desc = Desc {
    id: P::Inet,
    name: "inet",
    base: BASE_LL,
    protocol_key: 0,
    length: 0,
    protocols: &[(2, P::Ip), (10, P::Ip6)],
    templates: &[tm("nfproto", TYPE_NFPROTO, 15, 8)],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static INET_SERVICE: Desc = Desc {
    id: P::InetService,
    name: "inet-service",
    base: BASE_TRANSPORT,
    protocol_key: 0,
    length: 0,
    protocols: &[
        (50, P::Esp),
        (51, P::Ah),
        (108, P::Comp),
        (17, P::Udp),
        (136, P::Udplite),
        (6, P::Tcp),
        (33, P::Dccp),
        (132, P::Sctp),
        (1, P::Icmp),
        (2, P::Igmp),
        (58, P::Icmp6),
    ],
    templates: &[
        tm("l4proto", TYPE_INET_PROTOCOL, 16, 8),
        t("sport", TYPE_INET_SERVICE, 0, 16),
        t("dport", TYPE_INET_SERVICE, 16, 16),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static ARP: Desc = Desc {
    id: P::Arp,
    name: "arp",
    base: BASE_NETWORK,
    protocol_key: 0,
    length: 0,
    protocols: &[],
    templates: &[
        NONE,
        ti("htype", 0, 16, IcmpDep::Any),
        t("ptype", TYPE_ETHERTYPE, 16, 16),
        ti("hlen", 32, 8, IcmpDep::Any),
        ti("plen", 40, 8, IcmpDep::Any),
        t("operation", TYPE_ARPOP, 48, 16),
        t("saddr ether", TYPE_ETHERADDR, 64, 48),
        t("saddr ip", TYPE_IPADDR, 112, 32),
        t("daddr ether", TYPE_ETHERADDR, 144, 48),
        t("daddr ip", TYPE_IPADDR, 192, 32),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static VLAN: Desc = Desc {
    id: P::Vlan,
    name: "vlan",
    base: BASE_LL,
    protocol_key: 5,
    length: 32,
    protocols: ETH_UPPER,
    templates: &[
        NONE,
        ti("pcp", 0, 3, IcmpDep::Any),
        ti("dei", 3, 1, IcmpDep::Any),
        ti("cfi", 3, 1, IcmpDep::Any),
        ti("id", 4, 12, IcmpDep::Any),
        t("type", TYPE_ETHERTYPE, 16, 16),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static ETH: Desc = Desc {
    id: P::Eth,
    name: "ether",
    base: BASE_LL,
    protocol_key: 3,
    length: 112,
    protocols: ETH_UPPER,
    templates: &[
        NONE,
        t("daddr", TYPE_ETHERADDR, 0, 48),
        t("saddr", TYPE_ETHERADDR, 48, 48),
        t("type", TYPE_ETHERTYPE, 96, 16),
    ],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

static NETDEV: Desc = Desc {
    id: P::Netdev,
    name: "netdev",
    base: BASE_LL,
    protocol_key: 0,
    length: 0,
    protocols: ETH_UPPER,
    templates: &[Tmpl {
        bo: Bo::Big,
        ..tm("protocol", TYPE_ETHERTYPE, 1, 16)
    }],
    checksum_key: 0,
    checksum_type: 0,
    pseudohdr: &[],
};

/// The description of a protocol.
pub(crate) fn desc(p: P) -> &'static Desc {
    match p {
        P::Unknown => &UNKNOWN,
        P::Ah => &AH,
        P::Esp => &ESP,
        P::Comp => &COMP,
        P::Icmp => &ICMP,
        P::Igmp => &IGMP,
        P::Udp => &UDP,
        P::Udplite => &UDPLITE,
        P::Tcp => &TCP,
        P::Dccp => &DCCP,
        P::Sctp => &SCTP,
        P::Th => &TH,
        P::Ip => &IP,
        P::Ip6 => &IP6,
        P::Icmp6 => &ICMP6,
        P::Arp => &ARP,
        P::Vlan => &VLAN,
        P::Eth => &ETH,
        P::Inet => &INET,
        P::Netdev => &NETDEV,
        P::InetService => &INET_SERVICE,
    }
}

/// The protocol of a payload keyword.
pub(crate) fn from_ast(p: linx_nft_syntax::ast::PayloadProto) -> P {
    use linx_nft_syntax::ast::PayloadProto as A;
    match p {
        A::Ether => P::Eth,
        A::Vlan => P::Vlan,
        A::Arp => P::Arp,
        A::Ip => P::Ip,
        A::Icmp => P::Icmp,
        A::Igmp => P::Igmp,
        A::Ip6 => P::Ip6,
        A::Icmpv6 => P::Icmp6,
        A::Ah => P::Ah,
        A::Esp => P::Esp,
        A::Comp => P::Comp,
        A::Udp => P::Udp,
        A::Udplite => P::Udplite,
        A::Tcp => P::Tcp,
        A::Dccp => P::Dccp,
        A::Sctp => P::Sctp,
        A::Th => P::Th,
    }
}

/// `proto_find_desc`.
pub(crate) fn from_desc_id(id: u32) -> Option<P> {
    Some(match id {
        1 => P::Ah,
        2 => P::Esp,
        3 => P::Comp,
        4 => P::Icmp,
        5 => P::Igmp,
        6 => P::Udp,
        7 => P::Udplite,
        8 => P::Tcp,
        9 => P::Dccp,
        10 => P::Sctp,
        11 => P::Th,
        12 => P::Ip,
        13 => P::Ip6,
        14 => P::Icmp6,
        15 => P::Arp,
        16 => P::Vlan,
        17 => P::Eth,
        _ => return None,
    })
}

/// The template index of a field token (index 0 is never a header field).
pub(crate) fn field_index(p: P, token: &str) -> Option<usize> {
    desc(p)
        .templates
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, t)| t.token == token)
        .map(|(i, _)| i)
}

/// `proto_find_upper`.
pub(crate) fn find_upper(base: P, num: u32) -> Option<P> {
    desc(base)
        .protocols
        .iter()
        .find(|(n, _)| *n == num)
        .map(|(_, p)| *p)
}

/// `proto_find_num`.
pub(crate) fn find_num(base: P, upper: P) -> Option<u32> {
    desc(base)
        .protocols
        .iter()
        .find(|(_, p)| *p == upper)
        .map(|(n, _)| *n)
}

/// `proto_dev_type`: the ARPHRD type of a link layer protocol.
pub(crate) fn dev_type(p: P) -> Option<u16> {
    if p == P::Eth || ETH.protocols.iter().any(|(_, u)| *u == p) {
        Some(1)
    } else {
        None
    }
}

/// `proto_dev_desc`.
pub(crate) fn dev_desc(ty: u16) -> Option<P> {
    (ty == 1).then_some(P::Eth)
}

/// `hook_proto_desc`: the base and description a family's hooks start with.
pub(crate) fn hook_proto(family: u8) -> (u8, P) {
    match family {
        7 => (BASE_LL, P::Eth),
        5 => (BASE_LL, P::Netdev),
        1 => (BASE_LL, P::Inet),
        10 => (BASE_NETWORK, P::Ip6),
        3 => (BASE_NETWORK, P::Arp),
        _ => (BASE_NETWORK, P::Ip),
    }
}

/// A meta key (`struct meta_template`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MetaT {
    pub key: u32,
    pub token: &'static str,
    pub dtype: u32,
    pub len: u32,
    pub bo: Bo,
}

const fn mt(key: u32, token: &'static str, dtype: u32, len: u32, big: bool) -> MetaT {
    MetaT {
        key,
        token,
        dtype,
        len,
        bo: if big { Bo::Big } else { Bo::Host },
    }
}

/// `meta_templates`.
pub(crate) static META: &[MetaT] = &[
    mt(0, "length", TYPE_INTEGER, 32, false),
    mt(1, "protocol", TYPE_ETHERTYPE, 16, true),
    mt(2, "priority", TYPE_CLASSID, 32, false),
    mt(3, "mark", TYPE_MARK, 32, false),
    mt(4, "iif", TYPE_IFINDEX, 32, false),
    mt(5, "oif", TYPE_IFINDEX, 32, false),
    mt(6, "iifname", TYPE_IFNAME, 128, false),
    mt(7, "oifname", TYPE_IFNAME, 128, false),
    mt(8, "iiftype", TYPE_ARPHRD, 16, false),
    mt(9, "oiftype", TYPE_ARPHRD, 16, false),
    mt(10, "skuid", TYPE_UID, 32, false),
    mt(11, "skgid", TYPE_GID, 32, false),
    mt(12, "nftrace", TYPE_INTEGER, 1, false),
    mt(13, "rtclassid", TYPE_REALM, 32, false),
    mt(14, "secmark", TYPE_INTEGER, 32, false),
    mt(15, "nfproto", TYPE_NFPROTO, 8, false),
    mt(16, "l4proto", TYPE_INET_PROTOCOL, 8, false),
    mt(17, "ibrname", TYPE_IFNAME, 128, false),
    mt(18, "obrname", TYPE_IFNAME, 128, false),
    mt(19, "pkttype", TYPE_PKTTYPE, 8, false),
    mt(20, "cpu", TYPE_INTEGER, 32, false),
    mt(21, "iifgroup", TYPE_DEVGROUP, 32, false),
    mt(22, "oifgroup", TYPE_DEVGROUP, 32, false),
    mt(23, "cgroup", TYPE_INTEGER, 32, false),
    mt(24, "random", TYPE_INTEGER, 32, true),
    mt(25, "ipsec", TYPE_BOOLEAN, 8, false),
    mt(26, "iifkind", TYPE_IFNAME, 128, false),
    mt(27, "oifkind", TYPE_IFNAME, 128, false),
    mt(28, "ibrpvid", TYPE_INTEGER, 16, false),
    mt(29, "ibrvproto", TYPE_ETHERTYPE, 16, true),
    mt(30, "time", TYPE_TIME_DATE, 64, false),
    mt(31, "day", TYPE_TIME_DAY, 8, false),
    mt(32, "hour", TYPE_TIME_HOUR, 32, false),
    mt(33, "sdif", TYPE_IFINDEX, 32, false),
    mt(34, "sdifname", TYPE_IFNAME, 128, false),
];

/// The template of a meta key.
pub(crate) fn meta(key: u32) -> Option<&'static MetaT> {
    META.iter().find(|m| m.key == key)
}

/// A meta key by name (the parser's spellings: `ibriport` is `ibrname`, …).
pub(crate) fn meta_by_name(name: &str) -> Option<&'static MetaT> {
    let n = match name {
        "ibriport" => "ibrname",
        "obriport" => "obrname",
        "secpath" => "ipsec",
        o => o,
    };
    META.iter().find(|m| m.token == n)
}

/// Keys nft prints without `meta` (`meta_key_is_unqualified`).
pub(crate) fn meta_unqualified(key: u32) -> bool {
    matches!(key, 4 | 5 | 6 | 7 | 21 | 22)
}

/// A ct key (`struct ct_template`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CtT {
    pub key: u32,
    pub token: &'static str,
    pub dtype: u32,
    pub bo: Bo,
    pub len: u32,
}

const fn ct(key: u32, token: &'static str, dtype: u32, big: bool, len: u32) -> CtT {
    CtT {
        key,
        token,
        dtype,
        bo: if big { Bo::Big } else { Bo::Host },
        len,
    }
}

/// `ct_templates`.
pub(crate) static CT: &[CtT] = &[
    ct(0, "state", TYPE_CT_STATE, false, 32),
    ct(1, "direction", TYPE_CT_DIR, false, 8),
    ct(2, "status", TYPE_CT_STATUS, false, 32),
    ct(3, "mark", TYPE_MARK, false, 32),
    ct(4, "secmark", TYPE_INTEGER, false, 32),
    ct(5, "expiration", TYPE_TIME, false, 32),
    ct(6, "helper", TYPE_STRING, false, 128),
    ct(7, "l3proto", TYPE_NFPROTO, false, 8),
    ct(8, "saddr", TYPE_INVALID, true, 0),
    ct(9, "daddr", TYPE_INVALID, true, 0),
    ct(10, "protocol", TYPE_INET_PROTOCOL, true, 8),
    ct(11, "proto-src", TYPE_INVALID, true, 16),
    ct(12, "proto-dst", TYPE_INVALID, true, 16),
    ct(13, "label", TYPE_CT_LABEL, false, 128),
    ct(14, "packets", TYPE_INTEGER, false, 64),
    ct(15, "bytes", TYPE_INTEGER, false, 64),
    ct(16, "avgpkt", TYPE_INTEGER, false, 64),
    ct(17, "zone", TYPE_INTEGER, false, 16),
    ct(18, "event", TYPE_CT_EVENTBIT, false, 32),
    ct(19, "ip saddr", TYPE_IPADDR, true, 32),
    ct(20, "ip daddr", TYPE_IPADDR, true, 32),
    ct(21, "ip6 saddr", TYPE_IP6ADDR, true, 128),
    ct(22, "ip6 daddr", TYPE_IP6ADDR, true, 128),
    ct(4, "secmark", TYPE_INTEGER, false, 32),
    ct(23, "id", TYPE_INTEGER, true, 32),
];

/// The template of a ct key.
pub(crate) fn ct_key(key: u32) -> Option<&'static CtT> {
    CT.iter().find(|c| c.key == key)
}

/// A ct key by name.
pub(crate) fn ct_by_name(name: &str) -> Option<&'static CtT> {
    CT.iter().find(|c| c.token == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_nft_offsets() {
        let i = field_index(P::Tcp, "flags").unwrap();
        assert_eq!(i, 7);
        assert_eq!(desc(P::Tcp).templates[i].offset, 104);
        assert_eq!(field_index(P::Ip, "protocol"), Some(9));
        assert_eq!(
            desc(P::Ip).templates[desc(P::Ip).protocol_key].meta_key,
            Some(16)
        );
        assert_eq!(find_upper(P::Ip, 6), Some(P::Tcp));
        assert_eq!(find_num(P::Eth, P::Vlan), Some(0x0081));
        assert_eq!(meta_by_name("l4proto").unwrap().key, 16);
        assert_eq!(ct_by_name("status").unwrap().key, 2);
    }
}
