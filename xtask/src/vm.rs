//! `cargo xtask vm-test`: runs the `vm_*` integration-test binaries inside a qemu guest booting
//! Debian's kernel, with the host root mounted read-only over 9p and a pure cgroup v2 hierarchy.

use crate::initramfs::{self, GuestTest, MARK_DONE, MARK_ERROR, MARK_RESULT, MARK_RUN};
use crate::kernel;
use crate::{REQUIRE_PRIVILEGED, cargo, describe, secs, workspace_root};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The prefix of the integration-test targets that form the VM tier.
pub const VM_PREFIX: &str = "vm_";
/// The per-run files, in `target/xtask-vm/run-<pid>` (removed after the run unless `--keep`); the
/// unpacked kernel is cached in `target/xtask-vm/kernel`.
const WORK_FILES: [&str; 3] = ["initramfs.cpio", "init.sh", "console.log"];
/// The default overall guest timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Options of `cargo xtask vm-test`.
#[derive(Debug, Default)]
pub struct Options {
    /// Only binaries whose `package/target` name contains this.
    pub filter: Option<String>,
    /// Keep the work directory (initramfs, init script, console log).
    pub keep: bool,
    /// Overall guest timeout.
    pub timeout: Option<Duration>,
    /// Guest kernel image.
    pub kernel: Option<PathBuf>,
    /// Extra libtest arguments.
    pub test_args: Vec<String>,
}

impl Options {
    /// Parses `[--filter S] [--keep] [--timeout SECS] [--kernel PATH] [-- ARGS…]`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .with_context(|| format!("{name} needs a value"))
            };
            match arg.as_str() {
                "--filter" => opts.filter = Some(value("--filter")?),
                "--keep" => opts.keep = true,
                "--timeout" => {
                    let v = value("--timeout")?;
                    opts.timeout = Some(parse_secs(&v)?);
                }
                "--kernel" => opts.kernel = Some(value("--kernel")?.into()),
                "--" => {
                    opts.test_args = it.cloned().collect();
                    break;
                }
                other => bail!("vm-test: unexpected argument `{other}` (see `cargo xtask help`)"),
            }
        }
        Ok(opts)
    }
}

fn parse_secs(v: &str) -> Result<Duration> {
    let n: u64 = v
        .parse()
        .with_context(|| format!("timeout `{v}` is not a number of seconds"))?;
    Ok(Duration::from_secs(n))
}

/// Builds the test binaries, boots the guest, runs the selected `vm_*` binaries and checks results.
pub fn run(opts: &Options) -> Result<()> {
    let started = Instant::now();
    let timeout = match (&opts.timeout, std::env::var("LINX_VM_TIMEOUT")) {
        (Some(t), _) => *t,
        (None, Ok(v)) => parse_secs(&v).context("LINX_VM_TIMEOUT")?,
        (None, Err(_)) => DEFAULT_TIMEOUT,
    };
    let mut tests = build_test_binaries()?;
    let total = tests.len();
    if let Some(filter) = &opts.filter {
        tests.retain(|t| t.name.contains(filter.as_str()));
    }
    if tests.is_empty() {
        bail!(
            "no VM-tier test binary to run ({total} `{VM_PREFIX}*` binaries found{})",
            opts.filter
                .as_ref()
                .map(|f| format!(", none matching `{f}`"))
                .unwrap_or_default()
        );
    }
    for t in &tests {
        println!("vm-test: {} = {}", t.name, t.exe.display());
    }

    let kernel = match opts
        .kernel
        .clone()
        .or_else(|| std::env::var_os("LINX_VM_KERNEL").map(PathBuf::from))
    {
        Some(k) => k,
        None => kernel::newest()?,
    };
    let version = kernel::version(&kernel)?;
    let modules_dir = Path::new("/lib/modules").join(&version);
    if !modules_dir.join("modules.dep").is_file() {
        bail!(
            "{} has no modules.dep (is linux-image-{version} fully installed?)",
            modules_dir.display()
        );
    }

    let mut extra_env = Vec::new();
    if let Ok(v) = std::env::var(REQUIRE_PRIVILEGED) {
        extra_env.push((REQUIRE_PRIVILEGED.to_owned(), v));
    }
    let image = initramfs::build(&modules_dir, &tests, &opts.test_args, &extra_env)?;
    let base = target_dir()?.join("xtask-vm");
    let work = base.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let files = WORK_FILES.map(|f| work.join(f));
    let [initrd, init, log] = &files;
    std::fs::write(initrd, &image.archive)?;
    std::fs::write(init, &image.init)?;
    let boot_image = kernel::boot_image(&kernel, &version, &base.join("kernel"));
    println!(
        "vm-test: kernel {version}, booting {}, modules {}, initramfs {} KiB, timeout {}",
        boot_image.display(),
        image.modules.join(" "),
        image.archive.len() / 1024,
        secs(timeout),
    );

    let outcome = boot(&boot_image, initrd, log, timeout);
    if opts.keep {
        println!(
            "vm-test: kept {} ({})",
            work.display(),
            WORK_FILES.join(", ")
        );
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    outcome?.check(&tests, started.elapsed())
}

/// `cargo test --no-run` for the workspace's `vm_*` test targets; returns their binaries.
fn build_test_binaries() -> Result<Vec<GuestTest>> {
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--workspace",
        "--all-features",
        "--no-run",
        "--message-format=json-render-diagnostics",
        // Only the VM tier's targets: faster, and a broken host-tier test cannot block this tier.
        "--test",
        "vm_*",
    ])
    .stdout(Stdio::piped());
    println!("vm-test: {}", describe(&cmd));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", describe(&cmd)))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut tests = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(test) = vm_test_artifact(&msg) {
            tests.push(test);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("building the test binaries failed ({status})");
    }
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    tests.dedup_by(|a, b| a.exe == b.exe);
    Ok(tests)
}

/// The `GuestTest` for a `compiler-artifact` message of a `vm_*` integration test, if it is one.
fn vm_test_artifact(msg: &serde_json::Value) -> Option<GuestTest> {
    if msg["reason"] != "compiler-artifact" || msg["profile"]["test"] != true {
        return None;
    }
    let target = &msg["target"];
    let kinds = target["kind"].as_array()?;
    let name = target["name"].as_str()?;
    if !kinds.iter().any(|k| k == "test") || !name.starts_with(VM_PREFIX) {
        return None;
    }
    let exe = PathBuf::from(msg["executable"].as_str()?);
    let dir = Path::new(msg["manifest_path"].as_str()?)
        .parent()?
        .to_path_buf();
    let package = msg["package_id"]
        .as_str()
        .and_then(package_name)
        .or_else(|| dir.file_name()?.to_str().map(str::to_owned))?;
    Some(GuestTest {
        name: format!("{package}/{name}"),
        dir,
        exe,
    })
}

/// The package name in a cargo package id: `path+file:///x/linx#0.1.0`, `…#name@0.1.0`, or the
/// older `name 0.1.0 (path+file:///…)`.
fn package_name(id: &str) -> Option<String> {
    if let Some((url, frag)) = id.rsplit_once('#') {
        return match frag.split_once('@') {
            Some((name, _)) => Some(name.to_owned()),
            None => url.rsplit('/').next().map(str::to_owned),
        };
    }
    id.split_whitespace().next().map(str::to_owned)
}

/// The cargo target directory (from `cargo metadata`).
fn target_dir() -> Result<PathBuf> {
    let out = cargo()
        .args(["metadata", "--format-version=1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed ({})", out.status);
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    match meta["target_directory"].as_str() {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(workspace_root().join("target")),
    }
}

/// What the guest reported.
#[derive(Debug, Default)]
struct Outcome {
    /// Time from qemu start to the first `LINX-VM-RUN` marker.
    boot: Option<Duration>,
    /// Time from qemu start to qemu exit (or the kill).
    total: Duration,
    /// `(name, exit code, run time)` per `LINX-VM-RESULT` marker.
    results: Vec<(String, i32, Duration)>,
    /// The `LINX-VM-DONE` marker appeared.
    done: bool,
    /// `LINX-VM-ERROR` messages.
    errors: Vec<String>,
    /// The guest did not finish within the timeout.
    timed_out: bool,
}

/// Boots qemu, streams the console to stdout (and `log`), and collects the markers.
fn boot(kernel: &Path, initrd: &Path, log: &Path, timeout: Duration) -> Result<Outcome> {
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", "tcg,thread=multi", "-cpu", "max", "-m", "2048"])
        .args(["-smp", "2", "-no-reboot", "-nodefaults"])
        // Like -nographic (serial console on stdio, no display) but without SeaBIOS's serial
        // console, which resets the host terminal.
        .args(["-display", "none", "-serial", "stdio"])
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args([
            "-append",
            "console=ttyS0 quiet panic=-1 mitigations=off rdinit=/init",
            "-virtfs",
        ])
        .arg(format!(
            "local,path=/,mount_tag={},security_model=none,readonly=on,multidevs=remap",
            initramfs::MOUNT_TAG
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    println!("vm-test: {}", describe(&cmd));
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .context("cannot start qemu-system-x86_64 (run `cargo xtask setup`)")?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut log =
        std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;

    // A thread copies the console to our stdout as it arrives and hands complete lines over.
    let (tx, rx) = mpsc::channel::<(String, Instant)>();
    let reader = std::thread::spawn(move || {
        let mut console = stdout;
        let mut buf = [0u8; 8192];
        let mut line = Vec::new();
        loop {
            let n = match console.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(chunk);
            let _ = out.flush();
            let _ = log.write_all(chunk);
            for &b in chunk {
                if b == b'\n' {
                    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                    if tx.send((text, Instant::now())).is_err() {
                        return;
                    }
                    line.clear();
                } else {
                    line.push(b);
                }
            }
        }
        if !line.is_empty() {
            let _ = tx.send((String::from_utf8_lossy(&line).into_owned(), Instant::now()));
        }
    });

    let mut outcome = Outcome::default();
    let mut running: Option<(String, Instant)> = None;
    let deadline = start + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((line, at)) => {
                parse_marker(&line, at, start, &mut running, &mut outcome);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                outcome.timed_out = true;
                let _ = child.kill();
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child.wait().context("waiting for qemu")?;
    let _ = reader.join();
    outcome.total = start.elapsed();
    if !outcome.timed_out && !status.success() {
        outcome
            .errors
            .push(format!("qemu-system-x86_64 exited with {status}"));
    }
    Ok(outcome)
}

/// Records one console line's marker, if it carries one (kernel messages may precede it).
fn parse_marker(
    line: &str,
    at: Instant,
    start: Instant,
    running: &mut Option<(String, Instant)>,
    outcome: &mut Outcome,
) {
    let marker = |m: &str| {
        line.find(m).and_then(|i| {
            let rest = &line[i + m.len()..];
            (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim())
        })
    };
    if let Some(name) = marker(MARK_RUN) {
        outcome.boot.get_or_insert(at - start);
        *running = Some((name.to_owned(), at));
    } else if let Some(rest) = marker(MARK_RESULT) {
        let mut parts = rest.split_whitespace();
        let name = parts.next().unwrap_or("?").to_owned();
        let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
        let took = running.take().map(|(_, t)| at - t).unwrap_or_default();
        outcome.results.push((name, code, took));
    } else if marker(MARK_DONE).is_some() {
        outcome.done = true;
    } else if let Some(what) = marker(MARK_ERROR) {
        outcome.errors.push(format!("guest setup failed: {what}"));
    }
}

impl Outcome {
    /// Prints the summary (`overall` includes the build); fails unless every selected binary ran
    /// and exited 0.
    fn check(&self, tests: &[GuestTest], overall: Duration) -> Result<()> {
        println!();
        println!("==== VM tier summary ====");
        match self.boot {
            Some(b) => println!(
                "boot time {} (qemu start to first test binary), total {} (qemu start to exit)",
                secs(b),
                secs(self.total)
            ),
            None => println!("no test binary started; qemu ran {}", secs(self.total)),
        }
        println!("vm-test took {} in all (with the build)", secs(overall));
        let mut failures = Vec::new();
        for t in tests {
            match self.results.iter().find(|(name, _, _)| *name == t.name) {
                Some((_, 0, took)) => println!("  ok      {} ({})", t.name, secs(*took)),
                Some((_, code, took)) => {
                    println!("  FAILED  {} (exit {code}, {})", t.name, secs(*took));
                    failures.push(format!("{} exited with {code}", t.name));
                }
                None => {
                    println!("  NO RESULT {}", t.name);
                    failures.push(format!("{} reported no result", t.name));
                }
            }
        }
        if self.timed_out {
            failures.push(format!("the guest timed out after {}", secs(self.total)));
        } else if !self.done {
            failures.push(format!("the guest never printed {MARK_DONE}"));
        }
        failures.extend(self.errors.iter().cloned());
        if failures.is_empty() {
            println!("VM tier passed");
            Ok(())
        } else {
            bail!("VM tier failed: {}", failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids() {
        assert_eq!(
            package_name("path+file:///w/crates/linx#0.1.0").as_deref(),
            Some("linx")
        );
        assert_eq!(
            package_name("path+file:///w/crates/x#linx@0.1.0").as_deref(),
            Some("linx")
        );
        assert_eq!(
            package_name("linx 0.1.0 (path+file:///w)").as_deref(),
            Some("linx")
        );
    }

    #[test]
    fn markers() {
        let start = Instant::now();
        let mut running = None;
        let mut o = Outcome::default();
        parse_marker(
            "LINX-VM-RUN linx/vm_tier",
            start,
            start,
            &mut running,
            &mut o,
        );
        parse_marker(
            "[  1.0] x LINX-VM-RESULT linx/vm_tier 101",
            start,
            start,
            &mut running,
            &mut o,
        );
        parse_marker("LINX-VM-DONE", start, start, &mut running, &mut o);
        parse_marker(
            "LINX-VM-RUNNING is not a marker",
            start,
            start,
            &mut running,
            &mut o,
        );
        assert_eq!(
            o.results,
            vec![("linx/vm_tier".to_owned(), 101, Duration::ZERO)]
        );
        assert!(o.done && o.boot.is_some() && running.is_none());
    }
}
