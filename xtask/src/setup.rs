//! `cargo xtask setup`: installs the Debian packages the test tiers need, when missing.

use crate::{describe, run_checked};
use anyhow::{Context, Result, bail};
use std::process::{Command, Stdio};

/// Debian packages the tests need, with what for.
pub const PACKAGES: &[(&str, &str)] = &[
    ("qemu-system-x86", "VM tier: qemu-system-x86_64"),
    (
        "linux-image-amd64",
        "VM tier: the guest kernel and its modules",
    ),
    ("busybox-static", "VM tier: the initramfs userland"),
    (
        "xz-utils",
        "VM tier: unpacks the guest kernel for a fast (PVH) boot",
    ),
    ("nftables", "differential tests: nft"),
    (
        "curl",
        "differential tests: fetches a newer nft (Debian trixie's) for nftables ≥ 1.0.7 syntax",
    ),
    ("iproute2", "differential tests: ip"),
    ("util-linux", "differential tests: findmnt, unshare"),
    ("libcap2-bin", "differential tests: capsh, getpcaps"),
    (
        "uidmap",
        "user namespaces: newuidmap/newgidmap for unprivileged id maps",
    ),
    (
        "libseccomp2",
        "differential tests: libseccomp as a seccomp oracle",
    ),
    (
        "iputils-ping",
        "nf_tables tests: NFLOG of pings on loopback",
    ),
    ("strace", "nf_tables tests: capturing nft's netlink bytes"),
    ("kmod", "modprobe (host and VM guest)"),
    ("procps", "differential tests: sysctl, ps"),
];

/// Installs every missing package (one `apt-get update`, one `apt-get install`), then checks the
/// cargo tools the test command uses.
pub fn run() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !installed(name))
        .collect();
    if missing.is_empty() {
        println!("setup: all {} system packages present", PACKAGES.len());
    } else {
        println!("setup: installing missing packages: {}", missing.join(" "));
        if !is_root() {
            bail!(
                "packages missing ({}) and not running as root; install them with apt-get",
                missing.join(" ")
            );
        }
        run_checked(apt_get().arg("update"))?;
        run_checked(
            apt_get()
                .args(["install", "-y", "--no-install-recommends"])
                .args(&missing),
        )?;
        let still: Vec<&str> = missing.iter().copied().filter(|p| !installed(p)).collect();
        if !still.is_empty() {
            bail!("apt-get did not install: {}", still.join(" "));
        }
    }
    // The tiers need about 4 GB under target/ from a clean checkout (see README); say how
    // much there is, so a run that ends in "No space left on device" is explained up front.
    println!("setup: workspace disk: {}", crate::disk_free_text());
    let newer = crate::newer_nft::ensure().context("setting up the newer nft")?;
    println!(
        "setup: newer nft for nftables ≥ 1.0.7 syntax: {newer} ({})",
        crate::newer_nft::wrapper().display()
    );
    check_cargo_tools()
}

/// True when dpkg reports `pkg` as installed.
fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).ends_with(" installed")
        })
}

fn apt_get() -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// Effective uid 0, read from `/proc/self/status` (keeps xtask free of libc bindings).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
            .unwrap_or(false)
    })
}

/// The cargo subcommands `cargo xtask test` runs must exist (they come with the toolchain).
fn check_cargo_tools() -> Result<()> {
    for tool in ["fmt", "clippy", "nextest"] {
        let mut cmd = crate::cargo();
        cmd.args([tool, "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let ok = cmd
            .status()
            .with_context(|| format!("cannot run {}", describe(&cmd)))?
            .success();
        if !ok {
            bail!(
                "`cargo {tool}` is not available; install it (rustup component add / cargo install)"
            );
        }
    }
    println!("setup: cargo fmt, clippy and nextest present");
    Ok(())
}
