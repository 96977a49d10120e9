//! `linx link …`: network links.

use clap::Subcommand;

use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum LinkVerb {
    /// List links (or one link by name).
    Show {
        /// Only this interface.
        name: Option<String>,
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j -d link show`).
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(verb: LinkVerb) -> linx::Result<()> {
    match verb {
        LinkVerb::Show { name, netns, json } => {
            let mut rtnl = linx::rtnl::Rtnl::open(&netns.target()?)?;
            let all = rtnl.links()?;
            let shown: Vec<linx::rtnl::Link> = match &name {
                Some(n) => vec![rtnl.link_by_name(n)?],
                None => all.clone(),
            };
            if json {
                let views: Vec<_> = shown
                    .iter()
                    .map(|link| linx::rtnl::link::IpLinkJson { link, all: &all })
                    .collect();
                print_json(&views)
            } else {
                print_lines(&shown);
                Ok(())
            }
        }
    }
}
