//! `linx addr …`: interface addresses (`linx addr add 192.0.2.10/24 dev br0`).

use clap::Subcommand;
use linx::rtnl::monitor::MonitorGroups;
use linx::rtnl::{AddrFlags, AddressFilter, AddressSpec, Broadcast, Rtnl, Scope};

use crate::link::{Words, parse, parse_ip};
use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum AddrVerb {
    /// List addresses: `[dev DEV] [-4|-6]`.
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j address show`).
        #[arg(long)]
        json: bool,
        /// Only IPv4.
        #[arg(short = '4')]
        ipv4: bool,
        /// Only IPv6.
        #[arg(short = '6')]
        ipv6: bool,
        /// `dev DEV`.
        args: Vec<String>,
    },
    /// Add an address: `ADDR/LEN [peer P] [broadcast B|brd +] [label L] [scope S] dev DEV
    /// [nodad] [noprefixroute] [valid_lft N] [preferred_lft N] [metric N]`.
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Add or replace an address (same arguments as `add`).
    Replace {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete an address (same arguments as `add`).
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Remove every address of a link: `dev DEV [-4|-6]`.
    Flush {
        #[command(flatten)]
        netns: NetnsArg,
        /// Only IPv4.
        #[arg(short = '4')]
        ipv4: bool,
        /// Only IPv6.
        #[arg(short = '6')]
        ipv6: bool,
        /// `dev DEV`.
        #[arg(required = true)]
        args: Vec<String>,
    },
    /// Print address changes as they happen.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
    },
}

fn parse_spec(args: Vec<String>) -> linx::Result<AddressSpec> {
    let mut w = Words::new(args, "address argument");
    let mut addr = None;
    let mut dev = None;
    let mut peer = None;
    let mut broadcast = None;
    let mut label = None;
    let mut scope = None;
    let mut flags = AddrFlags::empty();
    let mut valid = None;
    let mut preferred = None;
    let mut metric = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            "local" => addr = Some(parse::<linx::IfAddr>(&w.value("local")?)?),
            "peer" | "remote" => {
                let p = w.value("peer")?;
                peer = Some(match p.contains('/') {
                    true => parse::<linx::IfAddr>(&p)?,
                    false => linx::IfAddr::from_addr(parse_ip(&p, "peer address")?),
                });
            }
            "broadcast" | "brd" => {
                let b = w.value("broadcast")?;
                broadcast = Some(if b == "+" {
                    Broadcast::Compute
                } else {
                    Broadcast::Addr(parse_ip(&b, "broadcast address")?)
                });
            }
            "label" => label = Some(w.value("label")?),
            "scope" => scope = Some(Scope::parse(&w.value("scope")?)?),
            "nodad" => flags |= AddrFlags::NODAD,
            "noprefixroute" => flags |= AddrFlags::NOPREFIXROUTE,
            "home" => flags |= AddrFlags::HOMEADDRESS,
            "mngtmpaddr" => flags |= AddrFlags::MANAGETEMPADDR,
            "autojoin" => flags |= AddrFlags::MCAUTOJOIN,
            "valid_lft" => valid = Some(lifetime(&w.value("valid_lft")?)?),
            "preferred_lft" => preferred = Some(lifetime(&w.value("preferred_lft")?)?),
            "metric" | "priority" => metric = Some(w.number("metric")?),
            other if addr.is_none() => {
                addr = Some(match other.contains('/') {
                    true => parse::<linx::IfAddr>(other)?,
                    false => linx::IfAddr::from_addr(parse_ip(other, "address")?),
                })
            }
            other => return Err(w.bad(other)),
        }
    }
    let addr = addr.ok_or_else(|| w.bad("(missing address)"))?;
    let dev = dev.ok_or_else(|| w.bad("(missing `dev DEV`)"))?;
    let mut spec = AddressSpec::new(dev, addr).flags(flags);
    spec.peer = peer;
    spec.broadcast = broadcast;
    spec.label = label;
    spec.scope = scope;
    spec.valid_lft = valid;
    spec.preferred_lft = preferred;
    spec.metric = metric;
    Ok(spec)
}

fn lifetime(v: &str) -> linx::Result<u32> {
    if v == "forever" {
        Ok(u32::MAX)
    } else {
        crate::link::parse_num(v, "lifetime")
    }
}

fn filter(args: Vec<String>, ipv4: bool, ipv6: bool) -> linx::Result<AddressFilter> {
    let mut w = Words::new(args, "address filter");
    let mut f = AddressFilter::default();
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => f.link = Some(w.value("dev")?.into()),
            other if f.link.is_none() => f.link = Some(other.into()),
            other => return Err(w.bad(other)),
        }
    }
    if ipv4 {
        f = f.ipv4();
    }
    if ipv6 {
        f = f.ipv6();
    }
    Ok(f)
}

pub(crate) fn run(verb: AddrVerb) -> linx::Result<()> {
    match verb {
        AddrVerb::Show {
            netns,
            json,
            ipv4,
            ipv6,
            args,
        } => {
            let f = filter(args, ipv4, ipv6)?;
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let addrs = rtnl.addresses_filtered(&f)?;
            if json {
                let links = rtnl.links()?;
                let shown: Vec<linx::rtnl::Link> = match &f.link {
                    Some(l) => vec![rtnl.link(l.clone())?],
                    None => links.clone(),
                };
                let views: Vec<_> = shown
                    .iter()
                    .map(|link| linx::rtnl::json::AddrShowJson {
                        link,
                        links: &links,
                        addresses: &addrs,
                    })
                    .collect();
                print_json(&views)
            } else {
                print_lines(&addrs);
                Ok(())
            }
        }
        AddrVerb::Add { netns, args } => {
            let spec = parse_spec(args)?;
            spec.validate(None)?;
            Rtnl::open(&netns.target()?)?.add_address(&spec)
        }
        AddrVerb::Replace { netns, args } => {
            let spec = parse_spec(args)?;
            spec.validate(None)?;
            Rtnl::open(&netns.target()?)?.replace_address(&spec)
        }
        AddrVerb::Del { netns, args } => {
            let spec = parse_spec(args)?;
            spec.validate(None)?;
            Rtnl::open(&netns.target()?)?.delete_address(&spec)
        }
        AddrVerb::Flush {
            netns,
            ipv4,
            ipv6,
            args,
        } => {
            let f = filter(args, ipv4, ipv6)?;
            Rtnl::open(&netns.target()?)?
                .flush_addresses(&f)
                .map(|_| ())
        }
        AddrVerb::Monitor { netns } => crate::link::monitor(&netns, MonitorGroups::ADDRESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_60_addr_grammar() {
        let w = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let s = parse_spec(w("192.0.2.10/24 dev br0")).unwrap();
        assert_eq!(s.addr.to_string(), "192.0.2.10/24");
        assert_eq!(s.link, "br0".into());
        let s = parse_spec(w("10.0.0.1 peer 10.0.0.2 dev v1 brd + label v1:x nodad")).unwrap();
        assert!(s.peer.is_some() && s.flags.contains(AddrFlags::NODAD));
        assert!(parse_spec(w("192.0.2.10/24")).unwrap_err().is_input());
        assert!(parse_spec(w("192.0.2.10/33 dev x")).unwrap_err().is_input());
    }
}
