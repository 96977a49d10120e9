//! `linx rule …`: policy rules (`linx rule add from 203.0.113.0/24 table 100 priority 1000`).

use clap::Subcommand;
use linx::rtnl::monitor::MonitorGroups;
use linx::rtnl::route::parse_table;
use linx::rtnl::{Rtnl, RuleAction, RuleSpec};
use linx::types::Prefix;

use crate::link::{Words, parse_ip, parse_num};
use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum RuleVerb {
    /// List rules (IPv4 unless -6, as `ip rule show`).
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j rule show`).
        #[arg(long)]
        json: bool,
        /// IPv6 rules.
        #[arg(short = '6')]
        ipv6: bool,
    },
    /// Add a rule: `[not] [from P|all] [to P|all] [tos T] [fwmark M[/MASK]] [iif DEV] [oif DEV]
    /// [priority N] [table T] [uidrange A-B] [ipproto P] [sport A[-B]] [dport A[-B]]
    /// [goto N|blackhole|unreachable|prohibit|nop] [l3mdev] [suppress_prefixlength N]`.
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete the first rule matching the given selectors (same arguments as `add`).
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Print rule changes as they happen.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
    },
}

fn prefix(s: &str) -> linx::Result<Option<Prefix>> {
    if s == "all" {
        return Ok(None);
    }
    Ok(Some(if s.contains('/') {
        s.parse::<Prefix>().map_err(linx::Error::from)?
    } else {
        Prefix::from_addr(parse_ip(s, "rule prefix")?)
    }))
}

fn range<T: std::str::FromStr + Copy>(s: &str, kw: &str) -> linx::Result<(T, T)> {
    match s.split_once('-') {
        Some((a, b)) => Ok((parse_num(a, kw)?, parse_num(b, kw)?)),
        None => {
            let v = parse_num(s, kw)?;
            Ok((v, v))
        }
    }
}

fn parse_spec(args: Vec<String>) -> linx::Result<RuleSpec> {
    let mut w = Words::new(args, "rule argument");
    let mut s = RuleSpec::new();
    while let Some(word) = w.next() {
        match word.as_str() {
            "not" => s.invert = true,
            "from" => s.src = prefix(&w.value("from")?)?,
            "to" => s.dst = prefix(&w.value("to")?)?,
            "tos" | "dsfield" => s.tos = w.number("tos")?,
            "fwmark" => {
                let v = w.value("fwmark")?;
                s.fwmark = Some(match v.split_once('/') {
                    Some((m, mask)) => (parse_num(m, "fwmark")?, Some(parse_num(mask, "fwmask")?)),
                    None => (parse_num(&v, "fwmark")?, None),
                });
            }
            "iif" | "dev" => s.iif = Some(w.value("iif")?),
            "oif" => s.oif = Some(w.value("oif")?),
            "priority" | "pref" | "preference" | "order" => {
                s.priority = Some(w.number("priority")?)
            }
            "table" | "lookup" => s.table = Some(parse_table(&w.value("table")?)?),
            "uidrange" => s.uid_range = Some(range(&w.value("uidrange")?, "uidrange")?),
            "ipproto" => {
                let v = w.value("ipproto")?;
                s.ip_proto = Some(match v.as_str() {
                    "tcp" => 6,
                    "udp" => 17,
                    "icmp" => 1,
                    "ipv6-icmp" => 58,
                    "sctp" => 132,
                    n => parse_num(n, "ipproto")?,
                });
            }
            "sport" => s.sport_range = Some(range(&w.value("sport")?, "sport")?),
            "dport" => s.dport_range = Some(range(&w.value("dport")?, "dport")?),
            "protocol" | "proto" => s.protocol = Some(w.number("protocol")?),
            "goto" => {
                s.action = Some(RuleAction::GOTO);
                s.goto = Some(w.number("goto")?);
            }
            "blackhole" => s.action = Some(RuleAction::BLACKHOLE),
            "unreachable" => s.action = Some(RuleAction::UNREACHABLE),
            "prohibit" => s.action = Some(RuleAction::PROHIBIT),
            "nop" => s.action = Some(RuleAction::NOP),
            "l3mdev" => s.l3mdev = true,
            "suppress_prefixlength" => {
                s.suppress_prefixlen = Some(w.number("suppress_prefixlength")?)
            }
            "suppress_ifgroup" => s.suppress_ifgroup = Some(w.number("suppress_ifgroup")?),
            other => return Err(w.bad(other)),
        }
    }
    Ok(s)
}

pub(crate) fn run(verb: RuleVerb) -> linx::Result<()> {
    match verb {
        RuleVerb::Show { netns, json, ipv6 } => {
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let rules = rtnl.rules_of(if ipv6 { 10 } else { 2 })?;
            if json {
                print_json(&linx::rtnl::json::rules(&rules))
            } else {
                print_lines(&rules);
                Ok(())
            }
        }
        RuleVerb::Add { netns, args } => {
            let s = parse_spec(args)?;
            s.validate(false)?;
            Rtnl::open(&netns.target()?)?.add_rule(&s)
        }
        RuleVerb::Del { netns, args } => {
            let s = parse_spec(args)?;
            s.validate(true)?;
            Rtnl::open(&netns.target()?)?.delete_rule(&s)
        }
        RuleVerb::Monitor { netns } => crate::link::monitor(&netns, MonitorGroups::RULE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_60_rule_grammar() {
        let w = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let s = parse_spec(w("from 203.0.113.0/24 table 100 priority 1000")).unwrap();
        assert_eq!((s.table, s.priority), (Some(100), Some(1000)));
        let s = parse_spec(w(
            "fwmark 0x10/0xff uidrange 100-200 dport 80-90 ipproto tcp lookup main",
        ))
        .unwrap();
        assert_eq!(s.fwmark, Some((0x10, Some(0xff))));
        assert_eq!(s.uid_range, Some((100, 200)));
        assert_eq!(s.table, Some(254));
        assert!(parse_spec(w("from 10.0.0.1/8")).unwrap_err().is_input());
        assert!(
            parse_spec(w("from all priority 5"))
                .unwrap()
                .validate(false)
                .is_err()
        );
    }
}
