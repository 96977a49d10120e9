//! Project automation for linx, run as `cargo xtask <command>`.
//!
//! * `setup` installs the Debian packages the test tiers need.
//! * `vm-test` runs the VM tier: the `vm_*` integration-test binaries inside a qemu guest.
//! * `test` runs every tier (the one command the README documents and CI calls).

mod initramfs;
mod kernel;
mod newer_nft;
mod setup;
mod test;
mod vm;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup                       install the system packages the tests need (apt-get, as root)
  vm-test [options] [-- ARGS] run the VM tier (crates/*/tests/vm_*.rs) in a qemu guest
      --filter SUBSTR         only the vm_* binaries whose name (`package/target`) contains SUBSTR
      --keep                  keep the initramfs, init script and console log (path printed)
      --timeout SECS          overall guest timeout (default 900, env LINX_VM_TIMEOUT)
      --kernel PATH           guest kernel (default: newest /boot/vmlinuz-*, env LINX_VM_KERNEL)
      -- ARGS                 extra libtest arguments (e.g. a test-name filter, --nocapture)
  test [--quick]              run every tier: setup, fmt, clippy, doc, host tests, doctests, VM tier
      --quick                 skip setup and the VM tier

LINX_REQUIRE_PRIVILEGED=1 turns every test skip into a failure (CI sets it); it is passed through
to the host tier and into the VM guest.";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: error: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        println!("{USAGE}");
        bail!("no command given");
    };
    match cmd.as_str() {
        "setup" => {
            no_args(rest)?;
            setup::run()
        }
        "vm-test" => vm::run(&vm::Options::parse(rest)?),
        "test" => test::run(&test::Options::parse(rest)?),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            println!("{USAGE}");
            bail!("unknown command `{other}`")
        }
    }
}

fn no_args(rest: &[String]) -> Result<()> {
    match rest.first() {
        Some(arg) => bail!("unexpected argument `{arg}`"),
        None => Ok(()),
    }
}

/// The environment variable that turns test skips into failures (passed to every tier).
pub const REQUIRE_PRIVILEGED: &str = "LINX_REQUIRE_PRIVILEGED";

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// The cargo that runs us (`$CARGO`), or `cargo` from `PATH`.
///
/// Incremental compilation is off: xtask builds each target once per run, and the incremental
/// caches would about double the disk the tiers need (CI machines have little to spare). The
/// debug-info level is the workspace's own (`Cargo.toml`), passed on in the environment so that
/// the cargo trybuild runs for the compile-fail tests (its own workspace, without our
/// profiles) builds no full debug info either (1.3 GB of it otherwise).
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(workspace_root())
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only");
    cmd
}

/// Bytes free on the filesystem holding the workspace (and its `target/`), from `df -Pk`;
/// `None` when `df` is unavailable or prints something unexpected.
pub fn disk_free() -> Option<u64> {
    let out = Command::new("df")
        .args(["-Pk", "--"])
        .arg(workspace_root())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

/// `disk_free()` as a short human-readable phrase.
pub fn disk_free_text() -> String {
    match disk_free() {
        Some(b) => format!("{:.1} GiB free", b as f64 / (1u64 << 30) as f64),
        None => "free space unknown (df failed)".to_string(),
    }
}

/// Runs `cmd` with inherited stdio; fails unless it exits successfully.
pub fn run_checked(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(cmd));
    }
    Ok(())
}

/// A short human-readable form of a command line.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Formats a duration as seconds with one decimal.
pub fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
