//! `linx doctor`: which kernel features this host supports, and why not.

use clap::Args;

use crate::{print_json, print_lines};

#[derive(Args)]
pub(crate) struct DoctorArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: DoctorArgs) -> linx::Result<()> {
    let probes = linx::probe::all();
    if args.json {
        print_json(&probes)
    } else {
        print_lines(&probes);
        Ok(())
    }
}
