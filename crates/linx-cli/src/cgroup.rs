//! `linx cgroup …`: cgroup v2 helpers. PATH is absolute (inside a cgroup2 mount) or relative to
//! the cgroup2 mount.

use std::time::Duration;

use clap::Subcommand;
use linx::cgroup::Cgroup;
use linx::error::{Error, Subsystem};

use crate::print_json;

#[derive(Subcommand)]
pub(crate) enum CgroupVerb {
    /// Statistics: cpu, memory, pids, io, pressure.
    Stats {
        /// The cgroup.
        path: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Kill every process in the cgroup's subtree (cgroup.kill).
    Kill {
        /// The cgroup.
        path: String,
        /// Then wait up to SECS for the subtree to empty.
        #[arg(long, value_name = "SECS")]
        wait: Option<f64>,
    },
    /// Freeze the cgroup and wait until it is frozen.
    Freeze {
        /// The cgroup.
        path: String,
        /// How long to wait for `frozen 1`.
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        timeout: f64,
    },
    /// Thaw the cgroup and wait until it is thawed.
    Thaw {
        /// The cgroup.
        path: String,
        /// How long to wait for `frozen 0`.
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        timeout: f64,
    },
}

fn secs(flag: &'static str, v: f64) -> linx::Result<Duration> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        Error::input(
            Subsystem::Cgroup,
            flag,
            v.to_string(),
            "not a duration in seconds",
        )
    })
}

pub(crate) fn run(verb: CgroupVerb) -> linx::Result<()> {
    match verb {
        CgroupVerb::Stats { path, json } => {
            let cg = Cgroup::open(&path)?;
            let stats = cg.stats()?;
            if json {
                print_json(&stats)
            } else {
                crate::print_lines([format!("{}: {stats}", cg.path().display())]);
                Ok(())
            }
        }
        CgroupVerb::Kill { path, wait } => {
            // Input first: a bad duration is refused before anything is opened.
            let wait = wait.map(|w| secs("--wait", w)).transpose()?;
            let cg = Cgroup::open(&path)?;
            cg.kill()?;
            match wait {
                Some(w) => cg.wait_empty(w),
                None => Ok(()),
            }
        }
        CgroupVerb::Freeze { path, timeout } => {
            let timeout = secs("--timeout", timeout)?;
            Cgroup::open(&path)?.freeze(timeout)
        }
        CgroupVerb::Thaw { path, timeout } => {
            let timeout = secs("--timeout", timeout)?;
            Cgroup::open(&path)?.thaw(timeout)
        }
    }
}
