//! `linx caps …`: capability sets.

use clap::Subcommand;
use linx::caps::{self, Task};

use crate::{print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum CapsVerb {
    /// Show the five capability sets (effective, permitted, inheritable, bounding, ambient) of
    /// a process or one of its threads.
    Show {
        /// The process (default: linx itself).
        #[arg(long, value_name = "PID")]
        target: Option<i32>,
        /// One thread of the process.
        #[arg(long, value_name = "TID")]
        tid: Option<i32>,
        /// Print JSON: `{"inheritable": {"hex": …, "names": […]}, …}`.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(verb: CapsVerb) -> linx::Result<()> {
    match verb {
        CapsVerb::Show { target, tid, json } => {
            let pid = target.unwrap_or(std::process::id() as i32);
            let task = match tid {
                Some(tid) => Task::Thread { pid, tid },
                None => Task::Pid(pid),
            };
            let state = caps::read(task)?;
            if json {
                print_json(&state)
            } else {
                print_lines([state.listing()]);
                Ok(())
            }
        }
    }
}
