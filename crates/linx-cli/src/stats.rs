//! `linx stats …`: link statistics (64-bit counters).

use clap::Subcommand;
use linx::rtnl::Rtnl;
use linx::rtnl::stats::DEFAULT_FILTER;

use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum StatsVerb {
    /// Show the counters of every link (or `dev DEV`).
    Show {
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j stats show group link`).
        #[arg(long)]
        json: bool,
        /// `dev DEV`.
        args: Vec<String>,
    },
}

pub(crate) fn run(verb: StatsVerb) -> linx::Result<()> {
    match verb {
        StatsVerb::Show { netns, json, args } => {
            let mut w = crate::link::Words::new(args, "stats argument");
            let mut dev = None;
            while let Some(word) = w.next() {
                match word.as_str() {
                    "dev" => dev = Some(w.value("dev")?),
                    other => return Err(w.bad(other)),
                }
            }
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let stats = match &dev {
                Some(d) => vec![rtnl.stats(d.as_str())?],
                None => rtnl.all_stats(DEFAULT_FILTER)?,
            };
            if json {
                let links = rtnl.links()?;
                print_json(&linx::rtnl::json::stats(&stats, &links))
            } else {
                let links = rtnl.links()?;
                print_lines(stats.iter().map(|s| {
                    let name = links
                        .iter()
                        .find(|l| l.index == s.index)
                        .map_or("?", |l| l.name.as_str());
                    match &s.link64 {
                        Some(c) => format!("{}: {name}: {c}", s.index),
                        None => format!("{}: {name}: no counters", s.index),
                    }
                }));
                Ok(())
            }
        }
    }
}
