//! Test-tier helpers shared by every linx test binary.
//!
//! * [`skip`] states why a test cannot run; under `LINX_REQUIRE_PRIVILEGED=1` (set by CI) a skip is a
//!   failure, so nothing is ever skipped silently.
//! * [`require_root`], [`require_tool`], [`require_newer_nft`], [`require_vm`] probe the
//!   preconditions of a tier.
//! * [`NetNs`] and [`MountNs`] are fresh namespaces owned by one test: created on a dedicated thread
//!   (the test's own thread never changes namespace) and kept alive by an open namespace fd.
//!   [`NetNs::command`] runs a reference tool (`ip`, `nft`, …) inside the namespace.
//!
//! This crate deliberately does not depend on `linx`, so it can be used to test linx against the
//! reference tools without circularity.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

/// The environment variable that turns every skip into a failure.
pub const REQUIRE_PRIVILEGED_ENV: &str = "LINX_REQUIRE_PRIVILEGED";
/// Set to `1` inside the qemu guest of the VM tier.
pub const IN_VM_ENV: &str = "LINX_IN_VM";

/// True when `LINX_REQUIRE_PRIVILEGED=1`.
pub fn skips_forbidden() -> bool {
    std::env::var_os(REQUIRE_PRIVILEGED_ENV).is_some_and(|v| v == "1")
}

/// Records that the current test cannot run, with the reason.
///
/// Prints `SKIP: <reason>` on stderr. When `LINX_REQUIRE_PRIVILEGED=1` it panics instead, so a CI run
/// can never pass by skipping.
#[track_caller]
pub fn skip(reason: &str) {
    if skips_forbidden() {
        panic!("test skipped but {REQUIRE_PRIVILEGED_ENV}=1 forbids skips: {reason}");
    }
    eprintln!("SKIP: {reason}");
}

/// True when running as root (effective uid 0); otherwise records a skip and returns false.
#[track_caller]
pub fn require_root() -> bool {
    if rustix::process::geteuid().is_root() {
        true
    } else {
        skip("needs root (effective uid 0)");
        false
    }
}

/// True when `name` is found on `PATH`; otherwise records a skip and returns false.
#[track_caller]
pub fn require_tool(name: &str) -> bool {
    if find_tool(name).is_some() {
        true
    } else {
        skip(&format!("needs the tool `{name}` on PATH"));
        false
    }
}

/// The environment variable naming a newer nft (nftables ≥ 1.0.7), set by `cargo xtask test`.
pub const NEWER_NFT_ENV: &str = "LINX_NFT_NEWER";

/// A newer nft than the pinned 1.0.6, for the syntax nftables added since (`last`, `destroy`,
/// the `reset rules|set|element` forms): `$LINX_NFT_NEWER`, else the one `cargo xtask setup`
/// unpacks (Debian trixie's) at `target/nft-newer/nft`. Otherwise records a skip.
#[track_caller]
pub fn require_newer_nft() -> Option<std::path::PathBuf> {
    let path = std::env::var_os(NEWER_NFT_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/nft-newer/nft")
        });
    if path.is_file() {
        Some(path)
    } else {
        skip(&format!(
            "needs a newer nft at {} (`cargo xtask setup` unpacks Debian trixie's)",
            path.display()
        ));
        None
    }
}

/// Looks `name` up on `PATH` (plus the sbin directories, which a non-login root shell may lack).
pub fn find_tool(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let extra = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
    std::env::split_paths(&path)
        .chain(extra.iter().map(std::path::PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// True inside the VM tier's guest.
pub fn in_vm() -> bool {
    std::env::var_os(IN_VM_ENV).is_some_and(|v| v == "1")
}

/// True inside the VM tier's guest; otherwise records a skip naming what the test needs.
///
/// VM tests are named `vm_*`; the host tier excludes them by filter and `cargo xtask vm-test` runs
/// them in the guest, so under CI this skip never triggers.
#[track_caller]
pub fn require_vm(what: &str) -> bool {
    if in_vm() {
        true
    } else {
        skip(&format!(
            "VM tier only ({what}); run through `cargo xtask vm-test`"
        ));
        false
    }
}

/// Creates a new namespace of the given `unshare` kind on a short-lived thread and returns an fd to
/// it. The calling thread's namespaces are untouched.
fn fresh_namespace(
    flags: rustix::thread::UnshareFlags,
    proc_name: &str,
) -> std::io::Result<OwnedFd> {
    let proc_path = format!("/proc/thread-self/ns/{proc_name}");
    std::thread::spawn(move || -> std::io::Result<OwnedFd> {
        // SAFETY: FILES is never unshared, so no fd table is split; the namespace change affects
        // only this short-lived thread (CLONE_FS first for mount namespaces, as the kernel requires).
        unsafe {
            if flags.contains(rustix::thread::UnshareFlags::NEWNS) {
                rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS)?;
            }
            rustix::thread::unshare_unsafe(flags)?;
        }
        let fd = rustix::fs::open(
            proc_path.as_str(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        Ok(fd)
    })
    .join()
    .map_err(|_| std::io::Error::other("namespace thread panicked"))?
}

/// A fresh network namespace owned by one test; it disappears when the value is dropped (unless
/// something else holds it).
#[derive(Debug)]
pub struct NetNs {
    fd: OwnedFd,
}

impl NetNs {
    /// Creates a new, empty network namespace (only `lo`, down). Needs `CAP_SYS_ADMIN`.
    pub fn new() -> std::io::Result<NetNs> {
        let fd = fresh_namespace(rustix::thread::UnshareFlags::NEWNET, "net")?;
        Ok(NetNs { fd })
    }

    /// A duplicate of the namespace fd (e.g. to build a linx namespace target from it).
    pub fn try_clone_fd(&self) -> std::io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// A `Command` that runs `program` inside this namespace (the child joins it after fork).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        command_in(
            &self.fd,
            rustix::thread::LinkNameSpaceType::Network,
            program,
        )
    }

    /// Runs `program args…` inside the namespace; panics with its stderr unless it succeeds.
    #[track_caller]
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        checked_output(self.command(program).args(args), program, args)
    }

    /// `ip args…` inside the namespace; panics unless it succeeds.
    #[track_caller]
    pub fn ip(&self, args: &[&str]) -> String {
        self.run("ip", args)
    }

    /// The namespace's nf_tables state as `nft -j list ruleset` prints it, without what differs
    /// between two namespaces holding the same ruleset: handles, element expiry timers and the
    /// metainfo object. The comparison value of the nft differential tests.
    #[track_caller]
    pub fn nft_state(&self) -> serde_json::Value {
        self.nft_state_by("nft")
    }

    /// [`nft_state`](Self::nft_state) as another nft binary (a path) lists it.
    #[track_caller]
    pub fn nft_state_by(&self, nft: &str) -> serde_json::Value {
        let out = self.run(nft, &["-j", "list", "ruleset"]);
        let mut v: serde_json::Value = serde_json::from_str(&out).expect("nft -j output is JSON");
        fn scrub(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.remove("handle");
                    m.remove("expires");
                    for (_, x) in m.iter_mut() {
                        scrub(x);
                    }
                }
                serde_json::Value::Array(a) => {
                    a.retain(|x| x.get("metainfo").is_none());
                    for x in a {
                        scrub(x);
                    }
                }
                _ => {}
            }
        }
        scrub(&mut v);
        v
    }
}

impl AsFd for NetNs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A fresh mount namespace (a private copy of the caller's mount table) owned by one test.
#[derive(Debug)]
pub struct MountNs {
    fd: OwnedFd,
}

impl MountNs {
    /// Creates a new mount namespace and makes its whole tree private, so nothing done inside
    /// propagates back to the host.
    pub fn new() -> std::io::Result<MountNs> {
        let fd = std::thread::spawn(|| -> std::io::Result<OwnedFd> {
            use rustix::thread::UnshareFlags;
            // SAFETY: FILES is not unshared; only this short-lived thread changes namespace.
            unsafe {
                rustix::thread::unshare_unsafe(UnshareFlags::FS)?;
                rustix::thread::unshare_unsafe(UnshareFlags::NEWNS)?;
            }
            rustix::mount::mount_change(
                "/",
                rustix::mount::MountPropagationFlags::PRIVATE
                    | rustix::mount::MountPropagationFlags::REC,
            )?;
            rustix::fs::open(
                "/proc/thread-self/ns/mnt",
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map_err(Into::into)
        })
        .join()
        .map_err(|_| std::io::Error::other("namespace thread panicked"))??;
        Ok(MountNs { fd })
    }

    /// A duplicate of the namespace fd.
    pub fn try_clone_fd(&self) -> std::io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// A `Command` that runs `program` inside this mount namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        command_in(&self.fd, rustix::thread::LinkNameSpaceType::Mount, program)
    }

    /// Runs `program args…` inside the namespace; panics with its stderr unless it succeeds.
    #[track_caller]
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        checked_output(self.command(program).args(args), program, args)
    }
}

impl AsFd for MountNs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn command_in(
    fd: &OwnedFd,
    kind: rustix::thread::LinkNameSpaceType,
    program: impl AsRef<OsStr>,
) -> Command {
    let raw = fd.as_raw_fd();
    let mut cmd = Command::new(program);
    // SAFETY: the closure runs in the forked child before exec and only makes the setns system
    // call (async-signal-safe); the fd stays valid because the parent holds it across spawn.
    unsafe {
        cmd.pre_exec(move || {
            let fd = BorrowedFd::borrow_raw(raw);
            rustix::thread::move_into_link_name_space(fd, Some(kind))?;
            Ok(())
        });
    }
    cmd
}

#[track_caller]
fn checked_output(cmd: &mut Command, program: &str, args: &[&str]) -> String {
    let out: Output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} {args:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{program} {args:?} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A pseudo-terminal pair standing in for a user's terminal: everything written to the slave is
/// collected from the master by a background thread, and processes can be started as session
/// leaders whose controlling terminal, stdin, stdout and stderr are the slave.
pub struct Terminal {
    /// The master side (the "keyboard and screen").
    pub master: std::os::fd::OwnedFd,
    /// The slave side (what the program under test sees as its terminal).
    pub slave: std::os::fd::OwnedFd,
    output: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

/// Upper bound for any single [`Terminal`] wait: a hang guard, not a timing assertion.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(60);

impl Terminal {
    /// Opens a pair (`openpty(3)`) with the given size in rows and columns.
    pub fn open(rows: u16, cols: u16) -> Terminal {
        use std::os::fd::FromRawFd;
        let (mut m, mut s) = (-1, -1);
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors into the out-parameters; the size is read.
        let rc = unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors are fresh and owned by nobody else.
        let (master, slave) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(m),
                std::os::fd::OwnedFd::from_raw_fd(s),
            )
        };
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = master.try_clone().unwrap();
        let sink = std::sync::Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = rustix::io::read(&reader, &mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            master,
            slave,
            output,
        }
    }

    /// Makes `cmd` start as the leader of a new session controlled by this terminal, with the
    /// slave as its stdin, stdout and stderr.
    pub fn attach(&self, cmd: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        cmd.stdin(Stdio::from(self.slave.try_clone().unwrap()))
            .stdout(Stdio::from(self.slave.try_clone().unwrap()))
            .stderr(Stdio::from(self.slave.try_clone().unwrap()));
        // SAFETY: setsid and ioctl are async-signal-safe; fd 0 is the slave by then.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Everything shown on the terminal so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal has shown `needle` (panics after [`HANG_GUARD`]).
    pub fn wait_for(&self, needle: &str) {
        let start = std::time::Instant::now();
        while !self.text().contains(needle) {
            assert!(
                start.elapsed() < HANG_GUARD,
                "terminal never showed {needle:?}; it shows {:?}",
                self.text()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The slave's current settings.
    pub fn settings(&self) -> rustix::termios::Termios {
        rustix::termios::tcgetattr(&self.slave).unwrap()
    }

    /// The settings a restore must bring back (modes and control characters), comparable.
    pub fn modes(&self) -> String {
        let t = self.settings();
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            t.input_modes, t.output_modes, t.control_modes, t.local_modes, t.special_codes
        )
    }

    /// Waits until something put the terminal into raw mode (canonical mode off).
    pub fn wait_raw(&self) {
        let start = std::time::Instant::now();
        while self
            .settings()
            .local_modes
            .contains(rustix::termios::LocalModes::ICANON)
        {
            assert!(start.elapsed() < HANG_GUARD, "terminal never went raw");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Types `keys` on the terminal's keyboard.
    pub fn type_keys(&self, keys: &[u8]) {
        use std::io::Write;
        let mut f = std::fs::File::from(self.master.try_clone().unwrap());
        f.write_all(keys).unwrap();
    }
}

/// Waits for `child` to exit and returns its exit code (-1 when killed by a signal); panics after
/// [`HANG_GUARD`].
pub fn wait_exit(child: &mut std::process::Child) -> i32 {
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(start.elapsed() < HANG_GUARD, "the process never exited");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The `#` comments of nft text (outside quoted strings), trimmed, in order: what a formatter
/// must keep. A plain scan, independent of the formatter it checks.
pub fn nft_comments(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    for line in text.lines() {
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => {
                    v.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    v
}
