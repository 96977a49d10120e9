//! `linx`: the command-line tool over the linx library.
//!
//! A thin shell: argument parsing, output formatting and exit codes. Every operation is a library
//! call. Errors print as one line on stderr; exit code 1 for kernel/state failures, 2 for usage or
//! input errors.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use linx::ns::NsTarget;

// One module per area; each has a clap `Subcommand` enum and `run`.
mod addr;
mod caps;
mod cgroup;
mod doctor;
mod link;
mod mount;
mod neigh;
mod nexthop;
mod nft;
mod reconcile;
mod route;
mod rule;
mod run;
mod seccomp;
mod stats;
mod sysctl;

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
    /// Spawn a program into new namespaces through the checkpoint, then supervise it (exit code:
    /// the program's; 128+N for signal N; 125 linx failed; 126/127 exec failed).
    Run(Box<run::RunArgs>),
    /// Run a program inside the namespaces of a running process.
    Exec(run::ExecArgs),
    /// Network links (rtnetlink).
    Link {
        #[command(subcommand)]
        verb: link::LinkVerb,
    },
    /// Interface addresses (rtnetlink).
    Addr {
        #[command(subcommand)]
        verb: addr::AddrVerb,
    },
    /// Routes (rtnetlink).
    Route {
        #[command(subcommand)]
        verb: route::RouteVerb,
    },
    /// Nexthop objects (rtnetlink).
    Nexthop {
        #[command(subcommand)]
        verb: nexthop::NexthopVerb,
    },
    /// Neighbours: ARP and NDP entries (rtnetlink).
    Neigh {
        #[command(subcommand)]
        verb: neigh::NeighVerb,
    },
    /// Policy routing rules (rtnetlink).
    Rule {
        #[command(subcommand)]
        verb: rule::RuleVerb,
    },
    /// Link statistics (rtnetlink).
    Stats {
        #[command(subcommand)]
        verb: stats::StatsVerb,
    },
    /// Report which kernel features this host supports, and why not.
    Doctor(doctor::DoctorArgs),
    /// Capability sets of a process or thread.
    Caps {
        #[command(subcommand)]
        verb: caps::CapsVerb,
    },
    /// Kernel parameters (/proc/sys), with sysctl(8)'s flags.
    Sysctl(sysctl::SysctlArgs),
    /// nf_tables: show the ruleset, monitor changes.
    Nft {
        #[command(subcommand)]
        verb: nft::NftVerb,
    },
    /// Seccomp filters: compile profiles, disassemble programs, check verdicts.
    Seccomp {
        #[command(subcommand)]
        verb: seccomp::SeccompVerb,
    },
    /// The mount table.
    Mount {
        #[command(subcommand)]
        verb: mount::MountVerb,
    },
    /// cgroup v2 helpers: stats, kill, freeze, thaw.
    Cgroup {
        #[command(subcommand)]
        verb: cgroup::CgroupVerb,
    },
    /// Make a namespace look like a desired-state file (links, addresses, routes, neighbours,
    /// rules, sysctls, cgroup limits, nf_tables); `--watch` keeps it converged.
    Reconcile(reconcile::ReconcileArgs),
}

/// `--netns PID|PATH|NAME`, shared by every command that works on a network namespace.
#[derive(Args)]
pub(crate) struct NetnsArg {
    /// Network namespace: a PID, a namespace file path, or a name under /run/netns.
    #[arg(long, value_name = "PID|PATH|NAME")]
    netns: Option<String>,
}

impl NetnsArg {
    pub(crate) fn target(&self) -> linx::Result<NsTarget> {
        match &self.netns {
            None => Ok(NsTarget::Current),
            Some(s) => s.parse(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workload = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Exec(args) => run::exec(args),
        other => return finish(run(Cli { command: other })),
    };
    match workload {
        Ok(run::Finished(code)) => ExitCode::from(u8::try_from(code).unwrap_or(255)),
        Err(e) => {
            eprintln!("linx: {e}");
            ExitCode::from(run::failure_code(&e) as u8)
        }
    }
}

fn finish(result: linx::Result<()>) -> ExitCode {
    match result {
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

/// Prints one JSON document on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> linx::Result<()> {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!("\"json error: {e}\""));
    let mut out = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) is not an error worth reporting.
    let _ = writeln!(out, "{text}");
    Ok(())
}

/// Prints lines on stdout (a closed stdout, e.g. `| head`, is not an error worth reporting).
pub(crate) fn print_lines<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) {
    let mut out = std::io::stdout().lock();
    for item in items {
        let _ = writeln!(out, "{item}");
    }
}

fn run(cli: Cli) -> linx::Result<()> {
    match cli.command {
        Command::Run(_) | Command::Exec(_) => Ok(()),
        Command::Link { verb } => link::run(verb),
        Command::Nft { verb } => nft::run(verb),
        Command::Addr { verb } => addr::run(verb),
        Command::Route { verb } => route::run(verb),
        Command::Nexthop { verb } => nexthop::run(verb),
        Command::Neigh { verb } => neigh::run(verb),
        Command::Rule { verb } => rule::run(verb),
        Command::Stats { verb } => stats::run(verb),
        Command::Doctor(args) => doctor::run(args),
        Command::Caps { verb } => caps::run(verb),
        Command::Sysctl(args) => sysctl::run(args),
        Command::Seccomp { verb } => seccomp::run(verb),
        Command::Mount { verb } => mount::run(verb),
        Command::Cgroup { verb } => cgroup::run(verb),
        Command::Reconcile(args) => reconcile::run(args),
    }
}
