//! `linx route …`: routes (`linx route add 198.51.100.0/24 via 192.0.2.1 dev br0 table 100
//! metric 50`, `linx route show table all`, `linx route get 10.1.2.3`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use clap::Subcommand;
use linx::rtnl::monitor::MonitorGroups;
use linx::rtnl::route::{parse_table, rtax, table};
use linx::rtnl::{
    HopSpec, RouteFilter, RouteGet, RouteProtocol, RouteSpec, RouteType, Rtnl, Scope,
};
use linx::types::Prefix;

use crate::link::{Words, parse_ip};
use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum RouteVerb {
    /// List routes: `[table T|all] [dev DEV] [proto P] [type T] [-4|-6]` (default: IPv4, table
    /// main, as `ip route show`).
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j route show`).
        #[arg(long)]
        json: bool,
        /// Only IPv4.
        #[arg(short = '4')]
        ipv4: bool,
        /// Only IPv6.
        #[arg(short = '6')]
        ipv6: bool,
        /// Selectors.
        args: Vec<String>,
    },
    /// Add a route: `[TYPE] PREFIX|default [via GW] [dev DEV] [table T] [metric N] [proto P]
    /// [scope S] [src IP] [mtu [lock] N] [onlink] [nhid N] [nexthop via GW [dev D] [weight W]]…`.
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// IPv6 default route (`default` without a gateway).
        #[arg(short = '6')]
        ipv6: bool,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Add or replace a route (same arguments as `add`).
    Replace {
        #[command(flatten)]
        netns: NetnsArg,
        /// IPv6 default route.
        #[arg(short = '6')]
        ipv6: bool,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Append a route (IPv6 ECMP; same arguments as `add`).
    Append {
        #[command(flatten)]
        netns: NetnsArg,
        /// IPv6 default route.
        #[arg(short = '6')]
        ipv6: bool,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete a route (same arguments as `add`; unset fields match any).
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// IPv6 default route.
        #[arg(short = '6')]
        ipv6: bool,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Ask the kernel which route it would use: `ADDR [from IP] [iif DEV] [oif DEV] [mark N]
    /// [uid N] [ipproto P] [sport N] [dport N] [fibmatch]`.
    Get {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names.
        #[arg(long)]
        json: bool,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Print route changes as they happen.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
    },
}

fn default_prefix(v6: bool) -> Prefix {
    let a = if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    // Length 0 of the unspecified address never fails.
    Prefix::new(a, 0).unwrap_or(Prefix::from_addr(a))
}

fn parse_prefix(s: &str) -> linx::Result<Prefix> {
    if s.contains('/') {
        s.parse::<Prefix>().map_err(linx::Error::from)
    } else {
        Ok(Prefix::from_addr(parse_ip(s, "route destination")?))
    }
}

fn parse_spec(args: Vec<String>, v6: bool) -> linx::Result<RouteSpec> {
    let mut w = Words::new(args, "route argument");
    let mut dst: Option<String> = None;
    let mut spec = RouteSpec::new(default_prefix(v6));
    let mut kind = None;
    let mut gw = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "via" => gw = Some(parse_ip(&w.value("via")?, "gateway")?),
            "dev" | "oif" => spec.oif = Some(w.value("dev")?.into()),
            "table" => spec.table = parse_table(&w.value("table")?)?,
            "metric" | "priority" | "preference" => spec.metric = Some(w.number("metric")?),
            "proto" | "protocol" => spec.protocol = Some(RouteProtocol::parse(&w.value("proto")?)?),
            "scope" => spec.scope = Some(Scope::parse(&w.value("scope")?)?),
            "src" => spec.prefsrc = Some(parse_ip(&w.value("src")?, "preferred source")?),
            "from" => spec.src = Some(parse_prefix(&w.value("from")?)?),
            "tos" | "dsfield" => spec.tos = w.number("tos")?,
            "onlink" => spec.onlink = true,
            "nhid" => spec.nh_id = Some(w.number("nhid")?),
            "mtu" | "advmss" | "window" | "hoplimit" | "initcwnd" | "initrwnd" => {
                let mut v = w.value(&word)?;
                let lock = v == "lock";
                if lock {
                    v = w.value(&word)?;
                }
                let n: u32 = crate::link::parse_num(&v, &word)?;
                let (slot, bit) = match word.as_str() {
                    "mtu" => (&mut spec.metrics.mtu, rtax::MTU),
                    "advmss" => (&mut spec.metrics.advmss, rtax::ADVMSS),
                    "window" => (&mut spec.metrics.window, rtax::WINDOW),
                    "hoplimit" => (&mut spec.metrics.hoplimit, rtax::HOPLIMIT),
                    "initcwnd" => (&mut spec.metrics.initcwnd, rtax::INITCWND),
                    _ => (&mut spec.metrics.initrwnd, rtax::INITRWND),
                };
                *slot = Some(n);
                if lock {
                    spec.metrics.lock |= 1 << bit;
                }
            }
            "congctl" => spec.metrics.cc_algo = Some(w.value("congctl")?),
            "nexthop" => {
                let mut hop: Option<HopSpec> = None;
                while let Some(k) = w.peek() {
                    match k {
                        "via" => {
                            w.next();
                            let g = parse_ip(&w.value("via")?, "nexthop gateway")?;
                            hop = Some(match hop {
                                Some(mut h) => {
                                    h.gateway = Some(g);
                                    h
                                }
                                None => HopSpec::via(g),
                            });
                        }
                        "dev" => {
                            w.next();
                            let d = w.value("dev")?;
                            hop = Some(match hop {
                                Some(h) => h.oif(d),
                                None => HopSpec::dev(d),
                            });
                        }
                        "weight" => {
                            w.next();
                            let n = w.number("weight")?;
                            hop = Some(hop.ok_or_else(|| w.bad("weight"))?.weight(n));
                        }
                        "onlink" => {
                            w.next();
                            if let Some(h) = hop.as_mut() {
                                h.onlink = true;
                            }
                        }
                        _ => break,
                    }
                }
                spec.multipath.push(hop.ok_or_else(|| w.bad("nexthop"))?);
            }
            other if dst.is_none() && kind.is_none() && RouteType::parse(other).is_ok() => {
                kind = Some(RouteType::parse(other)?);
            }
            other if dst.is_none() => dst = Some(other.to_owned()),
            other => return Err(w.bad(other)),
        }
    }
    let dst = dst.ok_or_else(|| w.bad("(missing destination)"))?;
    spec.dst = if dst == "default" || dst == "all" {
        default_prefix(gw.map_or(v6, |g: IpAddr| g.is_ipv6()))
    } else {
        parse_prefix(&dst)?
    };
    spec.gateway = gw;
    spec.kind = kind;
    Ok(spec)
}

fn parse_filter(args: Vec<String>, ipv4: bool, ipv6: bool) -> linx::Result<(RouteFilter, bool)> {
    let mut w = Words::new(args, "route filter");
    let mut f = RouteFilter::default();
    let mut all = false;
    let mut table_given = false;
    while let Some(word) = w.next() {
        match word.as_str() {
            "table" => {
                table_given = true;
                let t = w.value("table")?;
                if t == "all" {
                    all = true;
                } else {
                    f.table = Some(parse_table(&t)?);
                }
            }
            "dev" | "oif" => f.oif = Some(w.value("dev")?.into()),
            "proto" | "protocol" => f.protocol = Some(RouteProtocol::parse(&w.value("proto")?)?),
            "type" => f.kind = Some(RouteType::parse(&w.value("type")?)?),
            other => return Err(w.bad(other)),
        }
    }
    if !table_given {
        f.table = Some(table::MAIN);
    }
    // Like `ip route show`: IPv4 unless -6, both families for `table all`.
    if ipv6 {
        f.family = Some(10);
    } else if ipv4 || !all {
        f.family = Some(2);
    }
    Ok((f, all))
}

fn parse_get(args: Vec<String>) -> linx::Result<RouteGet> {
    let mut w = Words::new(args, "route get argument");
    let mut q: Option<RouteGet> = None;
    let mut pending = Vec::new();
    while let Some(word) = w.next() {
        match word.as_str() {
            "from" | "iif" | "oif" | "mark" | "uid" | "ipproto" | "sport" | "dport" => {
                pending.push((word.clone(), w.value(&word)?));
            }
            "fibmatch" => pending.push((word, String::new())),
            "to" => q = Some(RouteGet::to(parse_ip(&w.value("to")?, "destination")?)),
            other if q.is_none() => q = Some(RouteGet::to(parse_ip(other, "destination")?)),
            other => return Err(w.bad(other)),
        }
    }
    let mut q = q.ok_or_else(|| w.bad("(missing destination)"))?;
    for (k, v) in pending {
        match k.as_str() {
            "from" => q.src = Some(parse_ip(&v, "source")?),
            "iif" => q.iif = Some(v.into()),
            "oif" => q.oif = Some(v.into()),
            "mark" => q.mark = Some(crate::link::parse_num(&v, "mark")?),
            "uid" => q.uid = Some(crate::link::parse_num(&v, "uid")?),
            "ipproto" => {
                q.ip_proto = Some(match v.as_str() {
                    "tcp" => 6,
                    "udp" => 17,
                    "icmp" => 1,
                    "ipv6-icmp" => 58,
                    n => crate::link::parse_num(n, "ipproto")?,
                })
            }
            "sport" => q.sport = Some(crate::link::parse_num(&v, "sport")?),
            "dport" => q.dport = Some(crate::link::parse_num(&v, "dport")?),
            _ => q.fib_match = true,
        }
    }
    Ok(q)
}

fn modify(
    netns: NetnsArg,
    args: Vec<String>,
    ipv6: bool,
    op: fn(&mut Rtnl, &RouteSpec) -> linx::Result<()>,
) -> linx::Result<()> {
    let spec = parse_spec(args, ipv6)?;
    spec.validate()?;
    let mut rtnl = Rtnl::open(&netns.target()?)?;
    op(&mut rtnl, &spec)
}

pub(crate) fn run(verb: RouteVerb) -> linx::Result<()> {
    match verb {
        RouteVerb::Show {
            netns,
            json,
            ipv4,
            ipv6,
            args,
        } => {
            let (f, all) = parse_filter(args, ipv4, ipv6)?;
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let routes = rtnl.routes_filtered(&f)?;
            if json {
                let links = rtnl.links()?;
                if all {
                    print_json(&linx::rtnl::json::routes(&routes, &links))
                } else {
                    print_json(&linx::rtnl::json::routes_of_table(&routes, &links))
                }
            } else {
                print_lines(&routes);
                Ok(())
            }
        }
        RouteVerb::Add { netns, ipv6, args } => modify(netns, args, ipv6, Rtnl::add_route),
        RouteVerb::Replace { netns, ipv6, args } => modify(netns, args, ipv6, Rtnl::replace_route),
        RouteVerb::Append { netns, ipv6, args } => modify(netns, args, ipv6, Rtnl::append_route),
        RouteVerb::Del { netns, ipv6, args } => modify(netns, args, ipv6, Rtnl::delete_route),
        RouteVerb::Get { netns, json, args } => {
            let q = parse_get(args)?;
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let r = rtnl.route_get(&q)?;
            if json {
                let links = rtnl.links()?;
                print_json(&linx::rtnl::json::routes_of_table(&[r], &links))
            } else {
                print_lines([r]);
                Ok(())
            }
        }
        RouteVerb::Monitor { netns } => crate::link::monitor(&netns, MonitorGroups::ROUTE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn rt_60_route_grammar() {
        let s = parse_spec(
            w("198.51.100.0/24 via 192.0.2.1 dev br0 table 100 metric 50"),
            false,
        )
        .unwrap();
        assert_eq!((s.table, s.metric), (100, Some(50)));
        assert_eq!(s.dst.to_string(), "198.51.100.0/24");
        let s = parse_spec(w("default via 192.0.2.1 dev br0"), false).unwrap();
        assert_eq!(s.dst.len(), 0);
        let s = parse_spec(w("default via 2001:db8::1"), false).unwrap();
        assert!(s.dst.is_ipv6());
        let s = parse_spec(w("blackhole 10.0.0.0/8"), false).unwrap();
        assert_eq!(s.kind, Some(RouteType::BLACKHOLE));
        let s = parse_spec(
            w("203.0.113.0/24 nexthop via 192.0.2.1 weight 1 nexthop via 192.0.2.2 dev v0 weight 3"),
            false,
        )
        .unwrap();
        assert_eq!(s.multipath.len(), 2);
        assert_eq!(s.multipath[1].weight, 3);
        let s = parse_spec(w("10.0.0.0/8 via 192.0.2.1 mtu lock 1400"), false).unwrap();
        assert_eq!(s.metrics.mtu, Some(1400));
        assert!(
            parse_spec(w("10.0.0.1/8 via 192.0.2.1"), false)
                .unwrap_err()
                .is_input()
        );
        let (f, all) = parse_filter(w("table all"), false, false).unwrap();
        assert!(all && f.table.is_none() && f.family.is_none());
        let (f, _) = parse_filter(vec![], false, false).unwrap();
        assert_eq!((f.table, f.family), (Some(254), Some(2)));
        let q = parse_get(w("10.1.2.3 from 10.0.0.1 mark 7 dport 80 ipproto tcp")).unwrap();
        assert_eq!((q.mark, q.dport, q.ip_proto), (Some(7), Some(80), Some(6)));
    }
}
