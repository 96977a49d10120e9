//! `linx mount …`: the mount table.

use clap::Subcommand;
use linx::mount::{FindmntJson, Mounts};
use linx::ns::NsTarget;

use crate::{print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum MountVerb {
    /// List the mount table (mount(8) style, or findmnt's JSON with --json).
    List {
        /// List the mount namespace of this process instead of linx's own.
        #[arg(long, value_name = "PID")]
        target: Option<i32>,
        /// Print JSON with findmnt's key names (`findmnt -J -l -o
        /// ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION`).
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(verb: MountVerb) -> linx::Result<()> {
    match verb {
        MountVerb::List { target, json } => {
            let table = match target {
                None => linx::mount::list()?,
                Some(pid) => Mounts::new(NsTarget::Pid(pid)).list()?,
            };
            for s in &table.skipped {
                eprintln!(
                    "linx: skipped malformed mountinfo line {}: {}",
                    s.line, s.reason
                );
            }
            if json {
                print_json(&FindmntJson(&table))
            } else {
                print_lines(&table.entries);
                Ok(())
            }
        }
    }
}
