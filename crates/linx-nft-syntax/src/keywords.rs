//! The vocabulary of nft's language (nftables 1.0.6): reserved words, protocol fields, meta and
//! ct keys, data types, chain types and hooks, log levels, and the small value parsers that nft's
//! grammar applies while parsing (time strings, byte units).
//!
//! These tables are facts about the language, used by the parser for validation and did-you-mean
//! suggestions and by later stages for typing.

use crate::ast::{ExthdrKind, PayloadProto};

/// Words nft's scanner always turns into keywords (outside any start condition), so they can
/// never be used as bare identifiers (a chain named `ip` is a syntax error in nft).
pub const RESERVED: &[&str] = &[
    "eq",
    "ne",
    "le",
    "lt",
    "ge",
    "gt",
    "lshift",
    "rshift",
    "xor",
    "and",
    "or",
    "not",
    "vmap",
    "include",
    "define",
    "redefine",
    "undefine",
    "describe",
    "hook",
    "device",
    "devices",
    "table",
    "chain",
    "rule",
    "set",
    "element",
    "map",
    "flowtable",
    "handle",
    "ruleset",
    "socket",
    "tproxy",
    "accept",
    "drop",
    "continue",
    "jump",
    "goto",
    "return",
    "inet",
    "netdev",
    "add",
    "replace",
    "update",
    "create",
    "insert",
    "delete",
    "get",
    "list",
    "reset",
    "flush",
    "rename",
    "import",
    "export",
    "monitor",
    "position",
    "index",
    "comment",
    "constant",
    "interval",
    "dynamic",
    "auto-merge",
    "timeout",
    "gc-interval",
    "elements",
    "expires",
    "policy",
    "size",
    "flow",
    "offload",
    "meter",
    "counter",
    "log",
    "queue",
    "limit",
    "quota",
    "hour",
    "day",
    "reject",
    "snat",
    "dnat",
    "masquerade",
    "redirect",
    "random",
    "th",
    "bridge",
    "ether",
    "type",
    "typeof",
    "vlan",
    "arp",
    "ip",
    "ecn",
    "time",
    "icmp",
    "icmpv6",
    "igmp",
    "ip6",
    "priority",
    "ah",
    "esp",
    "comp",
    "flags",
    "udp",
    "udplite",
    "tcp",
    "dccp",
    "sctp",
    "rt",
    "rt0",
    "rt2",
    "srh",
    "hbh",
    "frag",
    "dst",
    "mh",
    "meta",
    "mark",
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibriport",
    "ibrname",
    "obriport",
    "obrname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "ct",
    "numgen",
    "jhash",
    "symhash",
    "dup",
    "fwd",
    "fib",
    "osf",
    "synproxy",
    "notrack",
    "all",
    "exists",
    "missing",
    "exthdr",
    "ipsec",
    "secmark",
];

/// True if nft always scans `w` as a keyword.
///
/// ```
/// use linx_nft_syntax::keywords::is_reserved;
/// assert!(is_reserved("ip") && is_reserved("counter"));
/// assert!(!is_reserved("input") && !is_reserved("state"));
/// ```
pub fn is_reserved(w: &str) -> bool {
    reserved_set().contains(w)
}

fn reserved_set() -> &'static std::collections::HashSet<&'static str> {
    static S: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    S.get_or_init(|| RESERVED.iter().copied().collect())
}

/// Words that can begin a statement (for did-you-mean on an unknown statement).
pub const STATEMENT_STARTS: &[&str] = &[
    "accept",
    "drop",
    "continue",
    "return",
    "jump",
    "goto",
    "counter",
    "limit",
    "quota",
    "log",
    "reject",
    "snat",
    "dnat",
    "masquerade",
    "redirect",
    "tproxy",
    "queue",
    "dup",
    "fwd",
    "synproxy",
    "notrack",
    "flow",
    "meter",
    "add",
    "update",
    "delete",
    "set",
    "reset",
    "ct",
    "meta",
    "ether",
    "vlan",
    "arp",
    "ip",
    "ip6",
    "icmp",
    "icmpv6",
    "igmp",
    "ah",
    "esp",
    "comp",
    "udp",
    "udplite",
    "tcp",
    "dccp",
    "sctp",
    "th",
    "hbh",
    "rt",
    "rt0",
    "rt2",
    "srh",
    "frag",
    "dst",
    "mh",
    "exthdr",
    "fib",
    "socket",
    "osf",
    "numgen",
    "jhash",
    "symhash",
    "ipsec",
    "mark",
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibriport",
    "obriport",
    "ibrname",
    "obrname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "time",
    "day",
    "hour",
    "comment",
];

/// The fields of a payload protocol, in nft's order.
///
/// ```
/// use linx_nft_syntax::{ast::PayloadProto, keywords::payload_fields};
/// assert!(payload_fields(PayloadProto::Tcp).contains(&"dport"));
/// assert!(payload_fields(PayloadProto::Arp).contains(&"saddr ip"));
/// ```
pub fn payload_fields(proto: PayloadProto) -> &'static [&'static str] {
    match proto {
        PayloadProto::Ether => &["saddr", "daddr", "type"],
        PayloadProto::Vlan => &["id", "cfi", "dei", "pcp", "type"],
        PayloadProto::Arp => &[
            "htype",
            "ptype",
            "hlen",
            "plen",
            "operation",
            "saddr ether",
            "daddr ether",
            "saddr ip",
            "daddr ip",
        ],
        PayloadProto::Ip => &[
            "version",
            "hdrlength",
            "dscp",
            "ecn",
            "length",
            "id",
            "frag-off",
            "ttl",
            "protocol",
            "checksum",
            "saddr",
            "daddr",
        ],
        PayloadProto::Icmp => &[
            "type", "code", "checksum", "id", "sequence", "gateway", "mtu",
        ],
        PayloadProto::Igmp => &["type", "checksum", "mrt", "group"],
        PayloadProto::Ip6 => &[
            "version",
            "dscp",
            "ecn",
            "flowlabel",
            "length",
            "nexthdr",
            "hoplimit",
            "saddr",
            "daddr",
        ],
        PayloadProto::Icmpv6 => &[
            "type",
            "code",
            "checksum",
            "param-problem",
            "mtu",
            "id",
            "sequence",
            "max-delay",
        ],
        PayloadProto::Ah => &["nexthdr", "hdrlength", "reserved", "spi", "sequence"],
        PayloadProto::Esp => &["spi", "sequence"],
        PayloadProto::Comp => &["nexthdr", "flags", "cpi"],
        PayloadProto::Udp => &["sport", "dport", "length", "checksum"],
        PayloadProto::Udplite => &["sport", "dport", "csumcov", "checksum"],
        PayloadProto::Tcp => &[
            "sport", "dport", "sequence", "ackseq", "doff", "reserved", "flags", "window",
            "checksum", "urgptr",
        ],
        PayloadProto::Dccp => &["sport", "dport", "type"],
        PayloadProto::Sctp => &["sport", "dport", "vtag", "checksum"],
        PayloadProto::Th => &["sport", "dport"],
    }
}

/// Interns a field name of a payload protocol.
///
/// ```
/// use linx_nft_syntax::{ast::PayloadProto, keywords::payload_field};
/// assert_eq!(payload_field(PayloadProto::Ip, "saddr"), Some("saddr"));
/// assert_eq!(payload_field(PayloadProto::Ip, "sport"), None);
/// ```
pub fn payload_field(proto: PayloadProto, w: &str) -> Option<&'static str> {
    payload_fields(proto).iter().copied().find(|f| *f == w)
}

/// The fields of an IPv6 extension header (`addr` of rt0 and `sid` of srh take an index).
///
/// ```
/// use linx_nft_syntax::{ast::ExthdrKind, keywords::exthdr_fields};
/// assert!(exthdr_fields(ExthdrKind::Frag).contains(&"more-fragments"));
/// ```
pub fn exthdr_fields(hdr: ExthdrKind) -> &'static [&'static str] {
    match hdr {
        ExthdrKind::Hbh => &["nexthdr", "hdrlength"],
        ExthdrKind::Rt => &["nexthdr", "hdrlength", "type", "seg-left"],
        ExthdrKind::Rt0 => &["addr"],
        ExthdrKind::Rt2 => &["addr"],
        ExthdrKind::Srh => &["last-entry", "flags", "tag", "sid"],
        ExthdrKind::Frag => &[
            "nexthdr",
            "reserved",
            "frag-off",
            "reserved2",
            "more-fragments",
            "id",
        ],
        ExthdrKind::Dst => &["nexthdr", "hdrlength"],
        ExthdrKind::Mh => &["nexthdr", "hdrlength", "type", "reserved", "checksum"],
    }
}

/// Parses an extension header keyword.
///
/// ```
/// use linx_nft_syntax::{ast::ExthdrKind, keywords::exthdr_kind};
/// assert_eq!(exthdr_kind("hbh"), Some(ExthdrKind::Hbh));
/// ```
pub fn exthdr_kind(w: &str) -> Option<ExthdrKind> {
    Some(match w {
        "hbh" => ExthdrKind::Hbh,
        "rt" => ExthdrKind::Rt,
        "rt0" => ExthdrKind::Rt0,
        "rt2" => ExthdrKind::Rt2,
        "srh" => ExthdrKind::Srh,
        "frag" => ExthdrKind::Frag,
        "dst" => ExthdrKind::Dst,
        "mh" => ExthdrKind::Mh,
        _ => return None,
    })
}

/// TCP option names as nft accepts them, with their canonical spelling.
pub const TCP_OPTIONS: &[(&str, &str)] = &[
    ("echo", "echo"),
    ("eol", "eol"),
    ("fastopen", "fastopen"),
    ("md5sig", "md5sig"),
    ("mptcp", "mptcp"),
    ("maxseg", "maxseg"),
    ("mss", "maxseg"),
    ("nop", "nop"),
    ("noop", "nop"),
    ("sack-permitted", "sack-perm"),
    ("sack-perm", "sack-perm"),
    ("timestamp", "timestamp"),
    ("window", "window"),
    ("sack", "sack"),
    ("sack0", "sack0"),
    ("sack1", "sack1"),
    ("sack2", "sack2"),
    ("sack3", "sack3"),
];

/// The canonical name of a TCP option keyword.
///
/// ```
/// use linx_nft_syntax::keywords::tcp_option_canonical;
/// assert_eq!(tcp_option_canonical("mss"), Some("maxseg"));
/// assert_eq!(tcp_option_canonical("bogus"), None);
/// ```
pub fn tcp_option_canonical(w: &str) -> Option<&'static str> {
    TCP_OPTIONS.iter().find(|(n, _)| *n == w).map(|(_, c)| *c)
}

/// The fields a TCP option accepts (besides `length`, valid for every option).
///
/// ```
/// use linx_nft_syntax::keywords::tcp_option_fields;
/// assert_eq!(tcp_option_fields("maxseg"), &["size"]);
/// ```
pub fn tcp_option_fields(option: &str) -> &'static [&'static str] {
    match option {
        "maxseg" => &["size"],
        "sack" | "sack0" | "sack1" | "sack2" | "sack3" => &["left", "right"],
        "window" => &["count"],
        "timestamp" => &["tsval", "tsecr"],
        "mptcp" => &["subtype"],
        _ => &[],
    }
}

/// Interns a TCP option field.
///
/// ```
/// use linx_nft_syntax::keywords::tcp_option_field;
/// assert_eq!(tcp_option_field("timestamp", "tsval"), Some("tsval"));
/// assert_eq!(tcp_option_field("eol", "length"), Some("length"));
/// ```
pub fn tcp_option_field(option: &str, w: &str) -> Option<&'static str> {
    if w == "length" {
        return Some("length");
    }
    tcp_option_fields(option).iter().copied().find(|f| *f == w)
}

/// IPv4 options of `ip option`.
pub const IP_OPTIONS: &[&str] = &["lsrr", "rr", "ssrr", "ra"];
/// Fields of `ip option X`.
pub const IP_OPTION_FIELDS: &[&str] = &["type", "length", "value", "ptr", "addr"];

/// SCTP chunk types of `sctp chunk`.
pub const SCTP_CHUNKS: &[&str] = &[
    "data",
    "init",
    "init-ack",
    "sack",
    "heartbeat",
    "heartbeat-ack",
    "abort",
    "shutdown",
    "shutdown-ack",
    "error",
    "cookie-echo",
    "cookie-ack",
    "ecne",
    "cwr",
    "shutdown-complete",
    "asconf-ack",
    "forward-tsn",
    "asconf",
];

/// The fields `sctp chunk TYPE` accepts.
///
/// ```
/// use linx_nft_syntax::keywords::sctp_chunk_fields;
/// assert!(sctp_chunk_fields("data").contains(&"tsn"));
/// assert!(sctp_chunk_fields("abort").contains(&"flags"));
/// ```
pub fn sctp_chunk_fields(chunk: &str) -> Vec<&'static str> {
    let mut v = vec!["type", "flags", "length"];
    v.extend_from_slice(match chunk {
        "data" => &["tsn", "stream", "ssn", "ppid"][..],
        "init" | "init-ack" => &[
            "init-tag",
            "a-rwnd",
            "num-outbound-streams",
            "num-inbound-streams",
            "initial-tsn",
        ],
        "sack" => &[
            "cum-tsn-ack",
            "a-rwnd",
            "num-gap-ack-blocks",
            "num-dup-tsns",
        ],
        "shutdown" => &["cum-tsn-ack"],
        "ecne" | "cwr" => &["lowest-tsn"],
        "asconf-ack" | "asconf" => &["seqno"],
        "forward-tsn" => &["new-cum-tsn"],
        _ => &[],
    });
    v
}

/// Meta keys that may be written without `meta`.
pub const META_UNQUALIFIED: &[&str] = &[
    "mark",
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibriport",
    "obriport",
    "ibrname",
    "obrname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "ipsec",
    "time",
    "day",
    "hour",
];

/// Every meta key `meta KEY` accepts (canonical names).
pub const META_KEYS: &[&str] = &[
    "length",
    "protocol",
    "nfproto",
    "l4proto",
    "priority",
    "mark",
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibrname",
    "obrname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "random",
    "ipsec",
    "iifkind",
    "oifkind",
    "ibrpvid",
    "ibrvproto",
    "time",
    "day",
    "hour",
    "secmark",
    "sdif",
    "sdifname",
];

/// The canonical meta key for a word (also the backward-compatible `ibriport`, `obriport`,
/// `secpath`).
///
/// ```
/// use linx_nft_syntax::keywords::meta_key;
/// assert_eq!(meta_key("l4proto"), Some("l4proto"));
/// assert_eq!(meta_key("ibriport"), Some("ibrname"));
/// assert_eq!(meta_key("bogus"), None);
/// ```
pub fn meta_key(w: &str) -> Option<&'static str> {
    match w {
        "ibriport" => return Some("ibrname"),
        "obriport" => return Some("obrname"),
        "secpath" => return Some("ipsec"),
        _ => {}
    }
    META_KEYS.iter().copied().find(|k| *k == w)
}

/// True if `key` (canonical) may be written without `meta`.
///
/// ```
/// use linx_nft_syntax::keywords::meta_key_unqualified;
/// assert!(meta_key_unqualified("iifname"));
/// assert!(!meta_key_unqualified("l4proto"));
/// ```
pub fn meta_key_unqualified(key: &str) -> bool {
    META_UNQUALIFIED.contains(&key)
}

/// Keys of `ct KEY` (without direction).
pub const CT_KEYS: &[&str] = &[
    "l3proto",
    "protocol",
    "mark",
    "state",
    "direction",
    "status",
    "expiration",
    "helper",
    "saddr",
    "daddr",
    "proto-src",
    "proto-dst",
    "label",
    "event",
    "secmark",
    "id",
    "bytes",
    "packets",
    "avgpkt",
    "zone",
];

/// Keys of `ct original|reply KEY`.
pub const CT_DIR_KEYS: &[&str] = &[
    "saddr",
    "daddr",
    "l3proto",
    "protocol",
    "proto-src",
    "proto-dst",
    "bytes",
    "packets",
    "avgpkt",
    "zone",
];

/// Keys settable with `ct original|reply KEY set`.
pub const CT_DIR_SET_KEYS: &[&str] = &["bytes", "packets", "avgpkt", "zone"];

/// Interns a ct key from [`CT_KEYS`] (plus `timeout`, `expectation` for `ct … set`).
///
/// ```
/// use linx_nft_syntax::keywords::ct_key;
/// assert_eq!(ct_key("state"), Some("state"));
/// assert_eq!(ct_key("timeout"), Some("timeout"));
/// ```
pub fn ct_key(w: &str) -> Option<&'static str> {
    CT_KEYS
        .iter()
        .chain(["timeout", "expectation", "count"].iter())
        .copied()
        .find(|k| *k == w)
}

/// `fib` flags.
pub const FIB_FLAGS: &[&str] = &["saddr", "daddr", "mark", "iif", "oif"];
/// `fib` results.
pub const FIB_RESULTS: &[&str] = &["oif", "oifname", "type"];
/// `rt` keys.
pub const RT_KEYS: &[&str] = &["classid", "nexthop", "mtu", "ipsec"];
/// `socket` keys.
pub const SOCKET_KEYS: &[&str] = &["transparent", "mark", "wildcard", "cgroupv2"];

/// Data type names accepted by a set `type` (nft's registered data types).
pub const DATA_TYPES: &[&str] = &[
    "invalid",
    "verdict",
    "nf_proto",
    "bitmask",
    "integer",
    "string",
    "ll_addr",
    "ipv4_addr",
    "ipv6_addr",
    "ether_addr",
    "ether_type",
    "arp_op",
    "inet_proto",
    "inet_service",
    "icmp_type",
    "tcp_flag",
    "dccp_pkttype",
    "mh_type",
    "time",
    "mark",
    "iface_index",
    "iface_type",
    "realm",
    "classid",
    "uid",
    "gid",
    "ct_state",
    "ct_dir",
    "ct_status",
    "icmpv6_type",
    "pkt_type",
    "icmp_code",
    "icmpv6_code",
    "icmpx_code",
    "devgroup",
    "dscp",
    "ecn",
    "fib_addrtype",
    "boolean",
    "ifname",
    "igmp_type",
    "hour",
    "day",
    "cgroupsv2",
];

/// Chain types.
pub const CHAIN_TYPES: &[&str] = &["filter", "nat", "route"];
/// Chain hooks.
pub const CHAIN_HOOKS: &[&str] = &[
    "prerouting",
    "input",
    "forward",
    "postrouting",
    "output",
    "ingress",
    "egress",
];
/// Standard priority names.
pub const PRIORITY_NAMES: &[&str] = &[
    "raw", "mangle", "dstnat", "filter", "security", "srcnat", "out",
];
/// Log levels.
pub const LOG_LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit",
];
/// Table flags (nft 1.0.6).
pub const TABLE_FLAGS: &[&str] = &["dormant", "owner"];

/// Bytes per unit of a byte quantity word; nft compares by prefix (`mbytes…`), so anything
/// starting with `bytes`, `kbytes` or `mbytes` is accepted. `gbytes` is not in nftables 1.0.6.
///
/// ```
/// use linx_nft_syntax::keywords::byte_unit_multiplier;
/// assert_eq!(byte_unit_multiplier("mbytes"), Some(1 << 20));
/// assert_eq!(byte_unit_multiplier("gbytes"), None);
/// ```
pub fn byte_unit_multiplier(unit: &str) -> Option<u64> {
    if unit.starts_with("bytes") {
        Some(1)
    } else if unit.starts_with("kbytes") {
        Some(1024)
    } else if unit.starts_with("mbytes") {
        Some(1024 * 1024)
    } else {
        None
    }
}

/// Parses an nft time string (`1h30m`, `250ms`, `2d`, or digits meaning seconds) to
/// milliseconds, with nft's error messages.
///
/// ```
/// use linx_nft_syntax::keywords::parse_time;
/// assert_eq!(parse_time("1h30m"), Ok(5_400_000));
/// assert_eq!(parse_time("250ms"), Ok(250));
/// assert_eq!(parse_time("30"), Ok(30_000));
/// assert!(parse_time("1h1h").is_err());
/// assert!(parse_time("5x").is_err());
/// ```
pub fn parse_time(s: &str) -> Result<u64, String> {
    const MAX_DIGITS: usize = 8;
    let b = s.as_bytes();
    let mut i = 0;
    let mut k = 0usize;
    let (mut d, mut h, mut m, mut sec, mut ms) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut mask = 0u8;
    let num = |end: usize, k: usize| -> u64 {
        s.get(end - k..end)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0)
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'd' => {
                if mask & 1 != 0 {
                    return Err("Day has been specified twice".into());
                }
                d = num(i, k);
                k = 0;
                mask |= 1;
            }
            b'h' => {
                if mask & 2 != 0 {
                    return Err("Hour has been specified twice".into());
                }
                h = num(i, k);
                k = 0;
                mask |= 2;
            }
            b'm' => {
                if &s[i..] == "ms" {
                    if mask & 16 != 0 {
                        return Err("Millisecond has been specified twice".into());
                    }
                    ms = num(i, k);
                    i += 1;
                    k = 0;
                    mask |= 16;
                } else {
                    if mask & 4 != 0 {
                        return Err("Minute has been specified twice".into());
                    }
                    m = num(i, k);
                    k = 0;
                    mask |= 4;
                }
            }
            b's' => {
                if mask & 8 != 0 {
                    return Err("Second has been specified twice".into());
                }
                sec = num(i, k);
                k = 0;
                mask |= 8;
            }
            _ => {
                if !c.is_ascii_digit() {
                    return Err("wrong time format".into());
                }
                if k >= MAX_DIGITS {
                    return Err("value too large".into());
                }
                k += 1;
            }
        }
        i += 1;
    }
    if mask == 0 {
        let secs: u64 = s.parse().unwrap_or(0);
        return Ok(secs.saturating_mul(1000));
    }
    Ok(d.saturating_mul(86_400_000)
        .saturating_add(h.saturating_mul(3_600_000))
        .saturating_add(m.saturating_mul(60_000))
        .saturating_add(sec.saturating_mul(1000))
        .saturating_add(ms))
}

/// Formats milliseconds as nft prints time values (`1h30m`, never weeks; `0s` for zero).
///
/// ```
/// use linx_nft_syntax::keywords::format_time;
/// assert_eq!(format_time(5_400_000), "1h30m");
/// assert_eq!(format_time(14 * 86_400_000), "14d");
/// assert_eq!(format_time(250), "250ms");
/// ```
pub fn format_time(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, len) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        let q = rest / len;
        rest %= len;
        if q > 0 {
            out.push_str(&q.to_string());
            out.push_str(unit);
        }
    }
    out
}
