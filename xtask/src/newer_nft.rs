//! A second, newer nft for the differential tests of what nftables added after 1.0.6 (the pinned
//! reference, bookworm's): `last`, `destroy`, the `reset rules|set|element` forms.
//!
//! Debian trixie's nftables and the libraries it links (glibc included) are unpacked from their
//! `.deb`s under `target/nft-newer/root` (nothing is installed on the system); the wrapper
//! `target/nft-newer/nft` runs the binary with trixie's own dynamic loader, so it does not meet
//! bookworm's older glibc. Every `.deb` is checked against the SHA-256 that trixie's `Packages`
//! index lists for it. Tests find the wrapper through `LINX_NFT_NEWER`.

use crate::{describe, workspace_root};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable the tests read the wrapper's path from.
pub const ENV: &str = "LINX_NFT_NEWER";

const MIRROR: &str = "http://deb.debian.org/debian";
const SUITE: &str = "trixie";

/// nft and everything its binary and libnftables load.
const PACKAGES: &[&str] = &[
    "nftables",
    "libnftables1",
    "libnftnl11",
    "libmnl0",
    "libjansson4",
    "libgmp10",
    "libxtables12",
    "libedit2",
    "libbsd0",
    "libmd0",
    "libtinfo6",
    "libc6",
];

/// The wrapper's path (whether or not it exists yet).
pub fn wrapper() -> PathBuf {
    dir().join("nft")
}

fn dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("nft-newer")
}

/// Makes sure the wrapper exists and runs; returns its `--version` line.
pub fn ensure() -> Result<String> {
    if let Ok(v) = version(&wrapper()) {
        return Ok(v);
    }
    let dir = dir();
    let root = dir.join("root");
    let debs = dir.join("debs");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&debs).with_context(|| format!("creating {}", debs.display()))?;
    let index = debs.join("Packages.xz");
    fetch(
        &format!("{MIRROR}/dists/{SUITE}/main/binary-amd64/Packages.xz"),
        &index,
    )?;
    let out = Command::new("xz")
        .args(["-dc", "--"])
        .arg(&index)
        .output()
        .context("running xz")?;
    if !out.status.success() {
        bail!("xz could not unpack {}", index.display());
    }
    let stanzas = parse_index(&String::from_utf8_lossy(&out.stdout));
    for pkg in PACKAGES {
        let Some(s) = stanzas.get(*pkg) else {
            bail!("{SUITE}'s index has no package {pkg}");
        };
        let (Some(file), Some(sha)) = (s.get("Filename"), s.get("SHA256")) else {
            bail!("{SUITE}'s index entry of {pkg} lacks Filename or SHA256");
        };
        let deb = debs.join(format!("{pkg}.deb"));
        fetch(&format!("{MIRROR}/{file}"), &deb)?;
        let sum = Command::new("sha256sum")
            .arg(&deb)
            .output()
            .context("running sha256sum")?;
        let got = String::from_utf8_lossy(&sum.stdout);
        if got.split_whitespace().next() != Some(sha.as_str()) {
            bail!("{pkg}: SHA-256 of {file} is not the index's {sha}");
        }
        let mut x = Command::new("dpkg-deb");
        x.arg("-x").arg(&deb).arg(&root);
        let st = x.status().context("running dpkg-deb")?;
        if !st.success() {
            bail!("{} failed", describe(&x));
        }
    }
    std::fs::remove_dir_all(&debs).ok();
    let lib = |p: &str| root.join(p).display().to_string();
    let script = format!(
        "#!/bin/sh\n# nft from Debian {SUITE}, run with its own loader and libraries (cargo xtask setup).\nexec {} --library-path {}:{} {} \"$@\"\n",
        lib("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        lib("usr/lib/x86_64-linux-gnu"),
        lib("lib/x86_64-linux-gnu"),
        lib("usr/sbin/nft"),
    );
    let w = wrapper();
    std::fs::write(&w, script).with_context(|| format!("writing {}", w.display()))?;
    let chmod = Command::new("chmod").arg("0755").arg(&w).status()?;
    if !chmod.success() {
        bail!("chmod {} failed", w.display());
    }
    version(&w)
}

fn fetch(url: &str, to: &Path) -> Result<()> {
    let mut c = Command::new("curl");
    c.args(["-fsS", "--retry", "3", "-m", "300", "-o"])
        .arg(to)
        .arg(url);
    let st = c
        .status()
        .with_context(|| format!("running {}", describe(&c)))?;
    if !st.success() {
        bail!("{} failed with {st}", describe(&c));
    }
    Ok(())
}

fn version(nft: &Path) -> Result<String> {
    let out = Command::new(nft)
        .arg("--version")
        .output()
        .with_context(|| format!("running {}", nft.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !text.starts_with("nftables v") {
        bail!("{} --version printed {text:?}", nft.display());
    }
    Ok(text)
}

/// `Package:` name → that stanza's fields (`Filename`, `SHA256`, …).
fn parse_index(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut all = HashMap::new();
    for stanza in text.split("\n\n") {
        let fields: HashMap<String, String> = stanza
            .lines()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect();
        if let Some(name) = fields.get("Package").cloned() {
            all.insert(name, fields);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_stanzas() {
        let idx = parse_index(
            "Package: nftables\nVersion: 1.1.3-1\nDescription: x\n more\nFilename: pool/main/n/nftables/nftables_1.1.3-1_amd64.deb\nSHA256: ab12\n\nPackage: libc6\nFilename: pool/c.deb\n",
        );
        assert_eq!(
            idx["nftables"]["Filename"],
            "pool/main/n/nftables/nftables_1.1.3-1_amd64.deb"
        );
        assert_eq!(idx["nftables"]["SHA256"], "ab12");
        assert_eq!(idx["libc6"]["Filename"], "pool/c.deb");
        assert!(!idx.contains_key("more"));
    }
}
