//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared nft fixture corpus, sorted.
pub fn fixtures() -> Vec<PathBuf> {
    // The project's copy of the shared fixture corpus.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nft");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "nft"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures in {}", dir.display());
    v
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `text` to a fresh file in a per-process scratch directory and returns its path.
pub fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("linx-nft-syntax-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let p = dir.join(format!("{n}-{name}"));
    std::fs::write(&p, text).expect("write scratch file");
    p
}

/// `nft -c -f FILE` in a fresh network namespace: Ok or nft's stderr.
pub fn nft_check(path: &Path) -> Result<(), String> {
    let ns = linx_testkit::NetNs::new().expect("fresh netns");
    let out = ns
        .command("nft")
        .arg("-c")
        .arg("-f")
        .arg(path)
        .output()
        .expect("run nft");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `nft -f FILE` then `nft -j list ruleset` in a fresh network namespace, with handles removed.
pub fn nft_state(path: &Path) -> Result<String, String> {
    let ns = linx_testkit::NetNs::new().expect("fresh netns");
    let out = ns
        .command("nft")
        .arg("-f")
        .arg(path)
        .output()
        .expect("run nft");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let out = ns
        .command("nft")
        .args(["-j", "list", "ruleset"])
        .output()
        .expect("run nft");
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(strip_handles(&json))
}

/// Removes `"handle": N` members from nft's JSON output.
fn strip_handles(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\"handle\": ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "\"handle\": ".len()..];
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
