//! The system databases nft consults while evaluating: `/etc/services` (port names, as
//! `getaddrinfo(NULL, name, NULL)` resolves them: tcp first, then udp), `/etc/protocols`,
//! the iproute2 tables (`rt_marks`, `rt_realms`, `group`), `/etc/passwd`, `/etc/group`,
//! `/etc/connlabel.conf` and `/etc/hosts`. Files are read once per process.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Mutex, OnceLock};

fn read(path: &str) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    }
}

struct Services {
    /// (name or alias, protocol) → port, first entry wins.
    by_name: HashMap<(String, String), u16>,
}

fn services() -> &'static Services {
    static S: OnceLock<Services> = OnceLock::new();
    S.get_or_init(|| {
        let mut by_name = HashMap::new();
        for line in read("/etc/services").lines() {
            let mut it = strip_comment(line).split_whitespace();
            let (Some(name), Some(pp)) = (it.next(), it.next()) else {
                continue;
            };
            let Some((port, proto)) = pp.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for n in std::iter::once(name).chain(it) {
                by_name
                    .entry((n.to_string(), proto.to_string()))
                    .or_insert(port);
            }
        }
        Services { by_name }
    })
}

/// The port of a service name, as `getaddrinfo(NULL, name, NULL)` answers it.
pub(crate) fn service_by_name(name: &str) -> Option<u16> {
    let s = services();
    ["tcp", "udp", "dccp", "udplite"].iter().find_map(|p| {
        s.by_name
            .get(&(name.to_string(), (*p).to_string()))
            .copied()
    })
}

struct Protocols {
    by_name: HashMap<String, u8>,
    by_number: HashMap<u8, String>,
}

fn protocols() -> &'static Protocols {
    static P: OnceLock<Protocols> = OnceLock::new();
    P.get_or_init(|| {
        let mut by_name = HashMap::new();
        let mut by_number = HashMap::new();
        let text = read("/etc/protocols");
        let text = if text.is_empty() {
            // A minimal fallback for hosts without netbase.
            "ip 0 IP\nicmp 1 ICMP\nigmp 2 IGMP\ntcp 6 TCP\nudp 17 UDP\nipv6 41 IPv6\n\
             gre 47 GRE\nesp 50 IPSEC-ESP\nah 51 IPSEC-AH\nipv6-icmp 58 IPv6-ICMP\n\
             ipcomp 108 IPCOMP\nsctp 132 SCTP\nudplite 136 UDPLite\ndccp 33 DCCP\n"
                .to_string()
        } else {
            text
        };
        for line in text.lines() {
            let mut it = strip_comment(line).split_whitespace();
            let (Some(name), Some(num)) = (it.next(), it.next()) else {
                continue;
            };
            let Ok(num) = num.parse::<u8>() else { continue };
            by_number.entry(num).or_insert_with(|| name.to_string());
            for n in std::iter::once(name).chain(it) {
                by_name.entry(n.to_string()).or_insert(num);
            }
        }
        Protocols { by_name, by_number }
    })
}

/// `getprotobyname`.
pub(crate) fn protocol_by_name(name: &str) -> Option<u8> {
    protocols().by_name.get(name).copied()
}

/// `getprotobynumber` (the official name).
pub(crate) fn protocol_name(num: u8) -> Option<&'static str> {
    protocols().by_number.get(&num).map(String::as_str)
}

type RtTables = Mutex<HashMap<String, HashMap<String, u32>>>;

fn rt_tables() -> &'static RtTables {
    static T: OnceLock<RtTables> = OnceLock::new();
    T.get_or_init(Default::default)
}

fn load_rt(file: &str) -> HashMap<String, u32> {
    let mut m = HashMap::new();
    for line in read(file).lines() {
        let l = line.trim_start();
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        let mut it = l.split_whitespace();
        let (Some(v), Some(n)) = (it.next(), it.next()) else {
            continue;
        };
        let v = match v.strip_prefix("0x") {
            Some(h) => u32::from_str_radix(h, 16).ok(),
            None => v.parse().ok(),
        };
        if let Some(v) = v {
            m.entry(n.to_string()).or_insert(v);
        }
    }
    m
}

/// A name of an iproute2 table file (`/etc/iproute2/rt_marks`, …).
pub(crate) fn rt_table(file: &str, name: &str) -> Option<u32> {
    let mut g = rt_tables().lock().ok()?;
    let t = g.entry(file.to_string()).or_insert_with(|| load_rt(file));
    t.get(name).copied()
}

/// The numeric id of a user or group name (`/etc/passwd`, `/etc/group`).
pub(crate) fn passwd_id(file: &str, name: &str) -> Option<u32> {
    for line in read(file).lines() {
        let mut f = line.split(':');
        if f.next() == Some(name) {
            return f.nth(1)?.parse().ok();
        }
    }
    None
}

/// A conntrack label name (`/etc/connlabel.conf`: `bit name`).
pub(crate) fn connlabel(name: &str) -> Option<u32> {
    for line in read("/etc/connlabel.conf").lines() {
        let mut it = strip_comment(line).split_whitespace();
        if let (Some(b), Some(n)) = (it.next(), it.next())
            && n == name
        {
            return b.parse().ok();
        }
    }
    None
}

type Hosts = Vec<(std::net::IpAddr, Vec<String>)>;

fn hosts() -> &'static Hosts {
    static H: OnceLock<Hosts> = OnceLock::new();
    H.get_or_init(|| {
        let mut v = Vec::new();
        for line in read("/etc/hosts").lines() {
            let mut it = strip_comment(line).split_whitespace();
            let Some(a) = it.next().and_then(|a| a.parse().ok()) else {
                continue;
            };
            v.push((a, it.map(str::to_string).collect()));
        }
        v
    })
}

/// An IPv4 address of a name in `/etc/hosts` (one address only, as nft requires).
pub(crate) fn host_v4(name: &str) -> Option<Ipv4Addr> {
    let mut found = hosts().iter().filter_map(|(a, n)| match a {
        std::net::IpAddr::V4(a) if n.iter().any(|x| x == name) => Some(*a),
        _ => None,
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// An IPv6 address of a name in `/etc/hosts`.
pub(crate) fn host_v6(name: &str) -> Option<Ipv6Addr> {
    let mut found = hosts().iter().filter_map(|(a, n)| match a {
        std::net::IpAddr::V6(a) if n.iter().any(|x| x == name) => Some(*a),
        _ => None,
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}
