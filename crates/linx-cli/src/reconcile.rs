//! `linx reconcile FILE [--netns NS] [--watch]`: make a namespace look like a desired-state file
//! (TOML or JSON: links, addresses, routes, neighbours, rules, sysctls, cgroup limits, an
//! nf_tables ruleset) and report what was done; `--watch` keeps it converged.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;
use linx::error::{Errno, Operation, OsError, Subsystem};
use linx::reconcile::state::{StateOwned, StateReconciler};
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler};

use crate::{NetnsArg, print_lines};

#[derive(Args)]
pub(crate) struct ReconcileArgs {
    /// Desired-state file: TOML, or JSON when it ends in `.json`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    netns: NetnsArg,
    /// Keep the namespace converged: an immediate pass, periodic passes and debounced passes on
    /// monitor events; prints each pass's report until interrupted.
    #[arg(long)]
    watch: bool,
    /// With --watch: seconds between periodic passes (0: monitor wake-ups only).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    interval: f64,
    /// With --watch: milliseconds a burst of events is collected before the pass.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    debounce: u64,
    /// Re-read up to N times after applying; what still differs is reported pending.
    #[arg(long, value_name = "N")]
    verify: Option<u32>,
    /// Write sysctl and cgroup values that leave the file back to their originals.
    #[arg(long)]
    revert_on_release: bool,
    /// Keep ownership (what was created, with originals) in this JSON file between runs, so
    /// objects removed from FILE are deleted next time.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
}

fn read_state(path: Option<&Path>) -> linx::Result<StateOwned> {
    let Some(path) = path else {
        return Ok(StateOwned::default());
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            linx::Error::input(
                Subsystem::Reconcile,
                "state file",
                path.display().to_string(),
                format!("not a reconcile state: {e}"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StateOwned::default()),
        Err(e) => Err(io_error(Operation::Read, path, &e)),
    }
}

fn io_error(op: Operation, path: &Path, e: &std::io::Error) -> linx::Error {
    OsError::new(
        Subsystem::Reconcile,
        op,
        Errno::from_io_error(e).unwrap_or(Errno::IO),
    )
    .path(path)
    .into()
}

fn write_state(path: Option<&Path>, owned: &StateOwned) -> linx::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string_pretty(owned).unwrap_or_default();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| io_error(Operation::Write, &tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(Operation::Write, path, &e))
}

pub(crate) fn run(args: ReconcileArgs) -> linx::Result<()> {
    let target = args.netns.target()?;
    let file = linx::reconcile::file::load(&args.file, &target)?;
    let mut reconciler = StateReconciler::new();
    if let Some(p) = file.route_protocol {
        reconciler = reconciler.with_protocol(p);
    }
    let mut options = Options::default().revert_on_release(args.revert_on_release);
    if let Some(n) = args.verify {
        options = options.verify(n, Duration::from_millis(100));
    }
    let last = read_state(args.state.as_deref())?;
    if !args.watch {
        let report = reconciler.reconcile(&target, &file.state, &last, &options)?;
        write_state(args.state.as_deref(), &report.last_applied)?;
        print_lines(report.lines());
        if !report.converged {
            std::process::exit(1);
        }
        return Ok(());
    }
    let interval = (args.interval > 0.0)
        .then(|| Duration::try_from_secs_f64(args.interval).ok())
        .flatten();
    let (tx, rx) = mpsc::channel();
    let _loop = ReconcileLoop::start(
        reconciler,
        target,
        file.state,
        LoopOptions::default()
            .interval(interval)
            .debounce(Duration::from_millis(args.debounce))
            .last_applied(last)
            .options(options)
            .channel(tx),
    )?;
    for outcome in rx {
        match outcome {
            Ok(report) => {
                if let Err(e) = write_state(args.state.as_deref(), &report.last_applied) {
                    eprintln!("linx: {e}");
                }
                if report.is_noop() {
                    print_lines([report.to_string()]);
                } else {
                    print_lines(report.lines());
                }
            }
            Err(e) => eprintln!("linx: {e}"),
        }
    }
    Ok(())
}
