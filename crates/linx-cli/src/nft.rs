//! `linx nft …`: nf_tables commands that need no nft-language parser — `show` (the pulled
//! ruleset, `--json` for the linx model as JSON) and `monitor` (changes per committed
//! transaction). `apply`, `check`, `diff` and `fmt` come with the nft language front end.

use clap::Subcommand;
use linx::netfilter::monitor::{Event, Monitor};
use linx::netfilter::{Family, Nft, Ruleset};

use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum NftVerb {
    /// Print the ruleset (or one table: `FAMILY NAME`), expressions in `nft --debug=netlink`
    /// style.
    Show {
        /// `FAMILY NAME` of one table.
        #[arg(num_args = 0..=2)]
        table: Vec<String>,
        #[command(flatten)]
        netns: NetnsArg,
        /// Print the linx ruleset model as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print nf_tables changes as they are committed (one line per object, then the
    /// generation), until interrupted.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
}

fn show(rs: &Ruleset) -> Vec<String> {
    let mut out = vec![rs.to_string()];
    for t in &rs.tables {
        out.push(t.to_string());
        for c in &t.chains {
            match c.base_chain() {
                Some(b) => out.push(format!(
                    "  chain {} {{ type {} hook {} priority {}; policy {:?} }}",
                    c.name,
                    b.chain_type.name(),
                    b.hook,
                    b.priority,
                    b.policy.unwrap_or(linx::netfilter::Policy::Accept)
                )),
                None => out.push(format!("  chain {}", c.name)),
            }
            for r in &c.rules {
                out.push(format!("    {r} # handle {}", r.handle.unwrap_or(0)));
            }
        }
        for s in &t.sets {
            out.push(format!("  {s}"));
        }
        for o in &t.objects {
            out.push(format!("  {o}"));
        }
        for f in &t.flowtables {
            out.push(format!(
                "  flowtable {} {{ priority {}; devices {:?} }}",
                f.name, f.priority, f.devices
            ));
        }
    }
    out
}

pub(crate) fn run(verb: NftVerb) -> linx::Result<()> {
    match verb {
        NftVerb::Show { table, netns, json } => {
            let mut nft = Nft::open(&netns.target()?)?;
            let rs = match table.as_slice() {
                [] => nft.pull()?,
                [family, name] => {
                    let mut rs = Ruleset::new();
                    rs.add_table(nft.pull_table(family.parse::<Family>()?, name)?)?;
                    rs
                }
                other => {
                    return Err(linx::Error::input(
                        linx::error::Subsystem::Netfilter,
                        "table",
                        other.join(" "),
                        "give FAMILY NAME",
                    ));
                }
            };
            if json {
                print_json(&rs)
            } else {
                print_lines(show(&rs));
                Ok(())
            }
        }
        NftVerb::Monitor { netns, json } => {
            let mut mon = Monitor::open(&netns.target()?)?;
            for ev in mon.by_ref() {
                let ev = ev?;
                if json {
                    print_json(&ev)?;
                    continue;
                }
                match ev {
                    Event::Change(c) => print_lines([c.to_string()]),
                    Event::Generation(g) => print_lines([format!(
                        "# new generation {} by process {} ({})",
                        g.id,
                        g.proc_pid.unwrap_or(0),
                        g.proc_name.unwrap_or_default()
                    )]),
                    Event::Overrun => print_lines(["# events lost (overrun): re-read the ruleset"]),
                }
            }
            Ok(())
        }
    }
}
