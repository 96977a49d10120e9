//! `linx neigh …`: neighbours (`linx neigh add 192.0.2.77 lladdr 02:00:00:00:00:77 dev br0 nud
//! permanent`).

use clap::Subcommand;
use linx::rtnl::monitor::MonitorGroups;
use linx::rtnl::{NeighFilter, NeighFlags, NeighSpec, NudState, Rtnl};

use crate::link::{Words, parse, parse_ip};
use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum NeighVerb {
    /// List neighbours: `[dev DEV] [proxy] [-4|-6]` (entries `ip neigh show` hides are hidden).
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j neigh show`).
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
    /// Add an entry: `[proxy] ADDR [lladdr MAC] dev DEV [nud STATE] [router]`.
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Add or replace an entry (same arguments as `add`).
    Replace {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete an entry: `[proxy] ADDR dev DEV`.
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Print neighbour changes as they happen.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
    },
}

fn parse_spec(args: Vec<String>) -> linx::Result<NeighSpec> {
    let mut w = Words::new(args, "neighbour argument");
    let mut proxy = false;
    let mut dst = None;
    let mut dev = None;
    let mut lladdr = None;
    let mut state = None;
    let mut flags = NeighFlags::empty();
    while let Some(word) = w.next() {
        match word.as_str() {
            "proxy" => {
                proxy = true;
                dst = Some(parse_ip(&w.value("proxy")?, "neighbour address")?);
            }
            "to" => dst = Some(parse_ip(&w.value("to")?, "neighbour address")?),
            "dev" => dev = Some(w.value("dev")?),
            "lladdr" => lladdr = Some(parse::<linx::Mac>(&w.value("lladdr")?)?),
            "nud" => state = Some(NudState::parse(&w.value("nud")?)?),
            "router" => flags |= NeighFlags::ROUTER,
            "extern_learn" => flags |= NeighFlags::EXT_LEARNED,
            other if dst.is_none() => dst = Some(parse_ip(other, "neighbour address")?),
            other => return Err(w.bad(other)),
        }
    }
    let dst = dst.ok_or_else(|| w.bad("(missing address)"))?;
    let dev = dev.ok_or_else(|| w.bad("(missing `dev DEV`)"))?;
    let mut spec = if proxy {
        NeighSpec::proxy(dev, dst)
    } else {
        NeighSpec::new(dev, dst)
    };
    if let Some(m) = lladdr {
        spec = spec.lladdr(m);
    }
    if let Some(s) = state {
        spec = spec.state(s);
    }
    Ok(spec.flags(flags))
}

pub(crate) fn run(verb: NeighVerb) -> linx::Result<()> {
    match verb {
        NeighVerb::Show {
            netns,
            json,
            ipv4,
            ipv6,
            args,
        } => {
            let mut w = Words::new(args, "neighbour filter");
            let mut f = NeighFilter::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "dev" => f.link = Some(w.value("dev")?.into()),
                    "proxy" => f.proxy = true,
                    other => return Err(w.bad(other)),
                }
            }
            if ipv4 {
                f = f.family(2);
            } else if ipv6 {
                f = f.family(10);
            }
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let shown: Vec<_> = rtnl
                .neighbours_filtered(&f)?
                .into_iter()
                .filter(|n| n.shown_by_ip())
                .collect();
            if json {
                let links = rtnl.links()?;
                print_json(&linx::rtnl::json::neighbours(&shown, &links))
            } else {
                print_lines(&shown);
                Ok(())
            }
        }
        NeighVerb::Add { netns, args } => {
            let s = parse_spec(args)?;
            s.validate(false)?;
            Rtnl::open(&netns.target()?)?.add_neighbour(&s)
        }
        NeighVerb::Replace { netns, args } => {
            let s = parse_spec(args)?;
            s.validate(false)?;
            Rtnl::open(&netns.target()?)?.replace_neighbour(&s)
        }
        NeighVerb::Del { netns, args } => {
            let s = parse_spec(args)?;
            s.validate(true)?;
            Rtnl::open(&netns.target()?)?.delete_neighbour(&s)
        }
        NeighVerb::Monitor { netns } => crate::link::monitor(&netns, MonitorGroups::NEIGH),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_60_neigh_grammar() {
        let w = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let s = parse_spec(w(
            "192.0.2.77 lladdr 02:00:00:00:00:77 dev br0 nud permanent",
        ))
        .unwrap();
        assert_eq!(s.state, NudState::PERMANENT);
        let s = parse_spec(w("proxy 192.0.2.88 dev br0")).unwrap();
        assert!(s.flags.contains(NeighFlags::PROXY));
        assert!(
            parse_spec(w("192.0.2.77 dev br0 nud bogus"))
                .unwrap_err()
                .is_input()
        );
    }
}
