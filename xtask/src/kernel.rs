//! The guest kernel: finding Debian's newest `/boot/vmlinuz-*` and unpacking it for a fast boot.
//!
//! Under TCG the bzImage's own decompressor (xz, in Debian) takes about 4 s. A kernel built with
//! `CONFIG_PVH=y` can instead be booted by qemu directly as the uncompressed ELF `vmlinux` through
//! its PVH entry point, so the payload is unpacked once on the host and cached.

use anyhow::{Context, Result, bail};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The newest `/boot/vmlinuz-*` (Debian's `linux-image-amd64` installs it).
pub fn newest() -> Result<PathBuf> {
    let mut kernels: Vec<PathBuf> = std::fs::read_dir("/boot")
        .context("cannot list /boot")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .collect();
    kernels.sort_by(|a, b| version_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    kernels
        .pop()
        .context("no /boot/vmlinuz-* kernel: run `cargo xtask setup` (installs linux-image-amd64)")
}

/// `…/vmlinuz-6.1.0-56-amd64` → `6.1.0-56-amd64`.
pub fn version(kernel: &Path) -> Result<String> {
    kernel
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
        .map(str::to_owned)
        .with_context(|| {
            format!(
                "cannot tell the version of kernel {} (expected vmlinuz-<version>)",
                kernel.display()
            )
        })
}

/// Compares version strings with digit runs compared as numbers (`6.10` > `6.9`).
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, sa), (db, sb)) in ca.iter().zip(&cb) {
        let ord = if *da && *db {
            let (ta, tb) = (sa.trim_start_matches('0'), sb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
}

/// The image qemu should boot: the cached uncompressed `vmlinux` when the kernel has a PVH entry
/// and unpacks, else the bzImage itself (slower; the reason is printed).
pub fn boot_image(kernel: &Path, version: &str, cache: &Path) -> PathBuf {
    match unpacked(kernel, version, cache) {
        Ok(vmlinux) => vmlinux,
        Err(err) => {
            println!("vm-test: booting the compressed kernel (slower under TCG): {err:#}");
            kernel.to_path_buf()
        }
    }
}

fn unpacked(kernel: &Path, version: &str, cache: &Path) -> Result<PathBuf> {
    let config = Path::new("/boot").join(format!("config-{version}"));
    let config = std::fs::read_to_string(&config)
        .with_context(|| format!("cannot read {}", config.display()))?;
    if !config.lines().any(|l| l == "CONFIG_PVH=y") {
        bail!("the kernel has no PVH entry (CONFIG_PVH)");
    }
    let meta = std::fs::metadata(kernel)?;
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let out = cache.join(format!("vmlinux-{version}-{}-{mtime}", meta.len()));
    if out.is_file() {
        return Ok(out);
    }

    let image =
        std::fs::read(kernel).with_context(|| format!("cannot read {}", kernel.display()))?;
    let payload = payload(&image)?;
    let (tool, args): (&str, &[&str]) = match payload {
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => ("xz", &["-dc", "--single-stream"]),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => ("zstd", &["-dcq"]),
        [0x1f, 0x8b, ..] => ("gzip", &["-dc"]),
        _ => bail!("unknown compression of the kernel payload"),
    };
    std::fs::create_dir_all(cache)?;
    let packed = cache.join(format!("payload.{}.tmp", std::process::id()));
    std::fs::write(&packed, payload)?;
    let result = Command::new(tool).args(args).arg(&packed).output();
    let _ = std::fs::remove_file(&packed);
    let result = result.with_context(|| format!("cannot run `{tool}` to unpack the kernel"))?;
    // gzip exits 2 ("trailing garbage ignored") for the size word after the stream.
    let ok = result.status.success() || (tool == "gzip" && result.status.code() == Some(2));
    if !ok || !result.stdout.starts_with(b"\x7fELF") {
        bail!(
            "`{tool}` could not unpack the kernel: {}",
            String::from_utf8_lossy(&result.stderr).trim()
        );
    }
    let tmp = cache.join(format!("vmlinux.{}.tmp", std::process::id()));
    std::fs::write(&tmp, &result.stdout)?;
    std::fs::rename(&tmp, &out)?;
    println!(
        "vm-test: unpacked {} to {} (cached)",
        kernel.display(),
        out.display()
    );
    Ok(out)
}

/// The compressed payload of a bzImage (x86 boot protocol ≥ 2.08).
fn payload(image: &[u8]) -> Result<&[u8]> {
    let u16_at = |o: usize| {
        image
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |o: usize| {
        image
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    if image.get(0x202..0x206) != Some(b"HdrS") || u16_at(0x206).unwrap_or(0) < 0x208 {
        bail!("not a bzImage with boot protocol 2.08 or later");
    }
    let setup_sects = match image[0x1f1] {
        0 => 4,
        n => usize::from(n),
    };
    let (offset, len) = (u32_at(0x248), u32_at(0x24c));
    let start = (setup_sects + 1) * 512 + offset.unwrap_or(0);
    image
        .get(start..start + len.unwrap_or(0))
        .filter(|p| !p.is_empty())
        .context("bad payload offset in the bzImage header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(
            version_cmp("vmlinuz-6.10.0-1", "vmlinuz-6.9.0-9"),
            Ordering::Greater
        );
        assert_eq!(
            version_cmp("vmlinuz-6.1.0-56-amd64", "vmlinuz-6.1.0-9-amd64"),
            Ordering::Greater
        );
        assert_eq!(version_cmp("a-1", "a-1"), Ordering::Equal);
    }

    #[test]
    fn rejects_non_bzimage() {
        assert!(payload(&[0u8; 1024]).is_err());
    }
}
