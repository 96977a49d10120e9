//! `linx`: the command-line tool over the linx library.
//!
//! A thin shell: argument parsing, output formatting and exit codes. Every operation is a library
//! call. Errors print as one line on stderr; exit code 1 for kernel/state failures, 2 for usage or
//! input errors.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use linx::ns::NsTarget;

#[derive(Parser)]
#[command(
    name = "linx",
    version,
    about = "Linux kernel-interface primitives",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Network links (rtnetlink).
    Link {
        #[command(subcommand)]
        verb: LinkVerb,
    },
    /// Report which kernel features this host supports, and why not.
    Doctor {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct NetnsArg {
    /// Network namespace: a PID, a namespace file path, or a name under /run/netns.
    #[arg(long, value_name = "PID|PATH|NAME")]
    netns: Option<String>,
}

impl NetnsArg {
    fn target(&self) -> linx::Result<NsTarget> {
        match &self.netns {
            None => Ok(NsTarget::Current),
            Some(s) => s.parse(),
        }
    }
}

#[derive(Subcommand)]
enum LinkVerb {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linx: {e}");
            if e.is_input() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> linx::Result<()> {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!("\"json error: {e}\""));
    let mut out = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) is not an error worth reporting.
    let _ = writeln!(out, "{text}");
    Ok(())
}

fn run(cli: Cli) -> linx::Result<()> {
    match cli.command {
        Command::Link {
            verb: LinkVerb::Show { name, netns, json },
        } => {
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
                let mut out = std::io::stdout().lock();
                for l in &shown {
                    let _ = writeln!(out, "{l}");
                }
                Ok(())
            }
        }
        Command::Doctor { json } => {
            let probes = linx::probe::all();
            if json {
                print_json(&probes)
            } else {
                let mut out = std::io::stdout().lock();
                for p in &probes {
                    let _ = writeln!(out, "{p}");
                }
                Ok(())
            }
        }
    }
}
