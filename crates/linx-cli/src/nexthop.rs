//! `linx nexthop …`: nexthop objects.

use clap::Subcommand;
use linx::rtnl::nexthop::{GroupMember, NexthopKind};
use linx::rtnl::{NexthopSpec, Rtnl};

use crate::link::{Words, parse_ip, parse_num};
use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum NexthopVerb {
    /// List nexthop objects.
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j nexthop show`).
        #[arg(long)]
        json: bool,
    },
    /// Add a nexthop: `id N (via GW [dev DEV] [onlink] | dev DEV | blackhole | group
    /// ID[,WEIGHT]/…) [fdb]`.
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete a nexthop: `id N`.
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// `id N`.
        #[arg(trailing_var_arg = true, required = true)]
        args: Vec<String>,
    },
}

fn parse_spec(args: Vec<String>) -> linx::Result<NexthopSpec> {
    let mut w = Words::new(args, "nexthop argument");
    let mut id = None;
    let mut gw = None;
    let mut dev: Option<String> = None;
    let mut onlink = false;
    let mut blackhole = false;
    let mut group = None;
    let mut fdb = false;
    while let Some(word) = w.next() {
        match word.as_str() {
            "id" => id = Some(w.number("id")?),
            "via" => gw = Some(parse_ip(&w.value("via")?, "gateway")?),
            "dev" => dev = Some(w.value("dev")?),
            "onlink" => onlink = true,
            "blackhole" => blackhole = true,
            "fdb" => fdb = true,
            "group" => {
                let v = w.value("group")?;
                let mut members = Vec::new();
                for m in v.split('/') {
                    let (i, weight) = match m.split_once(',') {
                        Some((i, wt)) => (parse_num(i, "group id")?, parse_num(wt, "weight")?),
                        None => (parse_num(m, "group id")?, 1),
                    };
                    members.push(GroupMember { id: i, weight });
                }
                group = Some(members);
            }
            other => return Err(w.bad(other)),
        }
    }
    let id = id.ok_or_else(|| w.bad("(missing `id N`)"))?;
    let mut spec = match (group, blackhole) {
        (Some(members), _) => NexthopSpec::group(id, members),
        (None, true) => NexthopSpec::blackhole(id),
        (None, false) => {
            let mut s = NexthopSpec::blackhole(id);
            s.kind = NexthopKind::Gateway {
                gateway: gw,
                oif: dev.map(Into::into),
                onlink,
            };
            s
        }
    };
    spec.fdb = fdb;
    Ok(spec)
}

pub(crate) fn run(verb: NexthopVerb) -> linx::Result<()> {
    match verb {
        NexthopVerb::Show { netns, json } => {
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let nhs = rtnl.nexthops()?;
            if json {
                let links = rtnl.links()?;
                print_json(&linx::rtnl::json::nexthops(&nhs, &links))
            } else {
                print_lines(&nhs);
                Ok(())
            }
        }
        NexthopVerb::Add { netns, args } => {
            let s = parse_spec(args)?;
            s.validate()?;
            Rtnl::open(&netns.target()?)?.add_nexthop(&s)
        }
        NexthopVerb::Del { netns, args } => {
            let mut w = Words::new(args, "nexthop argument");
            let mut id = None;
            while let Some(word) = w.next() {
                match word.as_str() {
                    "id" => id = Some(w.number("id")?),
                    other => return Err(w.bad(other)),
                }
            }
            let id = id.ok_or_else(|| w.bad("(missing `id N`)"))?;
            Rtnl::open(&netns.target()?)?.delete_nexthop(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_60_nexthop_grammar() {
        let w = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let s = parse_spec(w("id 10 group 1/2,3")).unwrap();
        assert!(matches!(s.kind, NexthopKind::Group { ref members, .. } if members[1].weight == 3));
        let s = parse_spec(w("id 1 via 192.0.2.1 dev br0")).unwrap();
        s.validate().unwrap();
        assert!(parse_spec(w("via 192.0.2.1")).unwrap_err().is_input());
    }
}
