//! `cargo xtask test`: every tier in order, stopping at the first failure.
//!
//! setup → fmt → clippy → doc → host tier (nextest, without `vm_*` binaries) → doctests → VM tier.
//! `--quick` leaves out setup and the VM tier.

use crate::{REQUIRE_PRIVILEGED, cargo, newer_nft, run_checked, secs, setup, vm};
use anyhow::{Result, bail};
use std::process::Command;
use std::time::{Duration, Instant};

/// The nextest filterset of the host tier: everything but the VM tier's binaries.
pub const HOST_FILTER: &str = "not binary(/^vm_/)";

/// Options of `cargo xtask test`.
#[derive(Debug, Default)]
pub struct Options {
    /// Skip setup and the VM tier.
    pub quick: bool,
}

impl Options {
    /// Parses `[--quick]`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options::default();
        for arg in args {
            match arg.as_str() {
                "--quick" => opts.quick = true,
                other => bail!("test: unexpected argument `{other}` (see `cargo xtask help`)"),
            }
        }
        Ok(opts)
    }
}

type Action = Box<dyn FnOnce() -> Result<()>>;

/// A step: its name and what it runs.
struct Step {
    name: &'static str,
    action: Action,
}

fn command_step(name: &'static str, mut cmd: Command) -> Step {
    Step {
        name,
        action: Box::new(move || run_checked(&mut cmd)),
    }
}

/// Runs every step; each prints a header and its duration.
pub fn run(opts: &Options) -> Result<()> {
    match std::env::var(REQUIRE_PRIVILEGED) {
        Ok(v) => println!("xtask test: {REQUIRE_PRIVILEGED}={v} (passed to every tier)"),
        Err(_) => {
            println!("xtask test: {REQUIRE_PRIVILEGED} unset (tests may skip, with a reason)")
        }
    }
    let mut steps = Vec::new();
    if !opts.quick {
        steps.push(Step {
            name: "setup",
            action: Box::new(setup::run),
        });
    }

    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    steps.push(command_step("fmt", fmt));

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    steps.push(command_step("clippy", clippy));

    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps", "--all-features"])
        .env("RUSTDOCFLAGS", "-Dwarnings");
    steps.push(command_step("doc", doc));

    let mut host = cargo();
    host.args(["nextest", "run", "--workspace", "--all-features"])
        .env(newer_nft::ENV, newer_nft::wrapper());
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        host.args(["--profile", "ci"]);
    }
    host.args(["-E", HOST_FILTER]);
    steps.push(command_step("host tier (nextest)", host));

    let mut doctests = cargo();
    // linx-host is linx's sources built again for the nft macros; its doc examples are
    // linx's (they name the crate `linx`) and run there.
    doctests.args([
        "test",
        "--workspace",
        "--exclude",
        "linx-host",
        "--all-features",
        "--doc",
    ]);
    steps.push(command_step("doctests", doctests));

    if !opts.quick {
        steps.push(Step {
            name: "VM tier",
            action: Box::new(|| vm::run(&vm::Options::default())),
        });
    }

    let count = steps.len();
    let start = Instant::now();
    let mut done: Vec<(&str, Duration)> = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        println!("\n==== [{}/{count}] {} ====", i + 1, step.name);
        let t = Instant::now();
        let result = (step.action)();
        let took = t.elapsed();
        if let Err(err) = result {
            println!(
                "==== {} FAILED after {} (workspace disk: {}) ====",
                step.name,
                secs(took),
                crate::disk_free_text()
            );
            summary(&done, start.elapsed());
            bail!("step `{}` failed: {err:#}", step.name);
        }
        println!("==== {} ok ({}) ====", step.name, secs(took));
        done.push((step.name, took));
    }
    summary(&done, start.elapsed());
    println!("all {count} steps passed");
    Ok(())
}

fn summary(done: &[(&str, Duration)], total: Duration) {
    println!("\nsteps passed:");
    for (name, took) in done {
        println!("  {:>8}  {name}", secs(*took));
    }
    println!("  {:>8}  total", secs(total));
}
