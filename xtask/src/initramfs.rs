//! The VM tier's initramfs: a cpio (newc) archive with busybox-static, the kernel modules that mount
//! the host root over 9p, and a generated `/init` script that runs the test binaries in a chroot.
//!
//! The chroot's root is an overlay: the host root (9p, read-only) under a tmpfs, so tests can write
//! anywhere (e.g. `CARGO_TARGET_TMPDIR`) without touching the host. It gets fresh proc, sysfs,
//! devtmpfs/devpts, tmpfs on /tmp and /run, and cgroup2 at /sys/fs/cgroup.

use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The static busybox that becomes the initramfs userland.
pub const BUSYBOX: &str = "/bin/busybox";
/// The modules `/init` loads to mount the host root (dependencies are added from `modules.dep`).
pub const ROOT_MODULES: &[&str] = &["virtio_pci", "9pnet_virtio", "9p", "overlay"];
/// The virtfs mount tag qemu exports the host root under.
pub const MOUNT_TAG: &str = "hostroot";
/// 9p mount options: `cache=loose` keeps file pages in the guest page cache (the export is
/// read-only and the host tree does not change during a run), so binaries execute and page in
/// fast; `msize` is the largest the 6.1 virtio transport accepts (128 pages minus headers).
pub const NINEP_OPTIONS: &str = "trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000";
/// The busybox applets `/init` uses (linked in the archive: `busybox --install` is slow under TCG).
const APPLETS: &[&str] = &[
    "sh", "cat", "chroot", "dmesg", "env", "hostname", "insmod", "ip", "ln", "ls", "mkdir",
    "mount", "poweroff", "sleep", "sync", "uname",
];
/// The kernel's module loader helper (`kernel.modprobe`): the kernel runs it in the initramfs root,
/// so it runs the chroot's modprobe (auto-loading `dummy` for `ip link add … type dummy` etc.).
const MODPROBE_HELPER: &str =
    "#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /sbin/modprobe \"$@\"\n";
/// `PATH` inside the guest chroot.
pub const GUEST_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Marker printed before a test binary starts: `LINX-VM-RUN <name>`.
pub const MARK_RUN: &str = "LINX-VM-RUN";
/// Marker printed after a test binary exits: `LINX-VM-RESULT <name> <exit code>`.
pub const MARK_RESULT: &str = "LINX-VM-RESULT";
/// Marker printed once every binary has run: `LINX-VM-DONE`.
pub const MARK_DONE: &str = "LINX-VM-DONE";
/// Marker printed when the guest setup fails: `LINX-VM-ERROR <what>`.
pub const MARK_ERROR: &str = "LINX-VM-ERROR";

/// One test binary to run in the guest.
#[derive(Debug, Clone)]
pub struct GuestTest {
    /// `package/target`, used in the markers.
    pub name: String,
    /// The package directory: the binary's working directory and `CARGO_MANIFEST_DIR`.
    pub dir: PathBuf,
    /// The test executable (a host path, identical in the guest chroot).
    pub exe: PathBuf,
}

/// What the generated `/init` does.
#[derive(Debug)]
pub struct InitPlan<'a> {
    /// Module file names under `/modules`, in load order.
    pub modules: &'a [String],
    /// The binaries to run, in order.
    pub tests: &'a [GuestTest],
    /// libtest arguments appended after `--test-threads=1`.
    pub extra_args: &'a [String],
    /// Extra `NAME=value` environment entries for the test binaries.
    pub extra_env: &'a [(String, String)],
}

/// A built initramfs.
#[derive(Debug)]
pub struct Initramfs {
    /// The cpio archive.
    pub archive: Vec<u8>,
    /// The generated `/init` script.
    pub init: String,
    /// The module files it loads, in order.
    pub modules: Vec<String>,
}

/// Builds the archive: busybox, the modules of `ROOT_MODULES` for kernel `modules_dir`, and `/init`.
pub fn build(
    modules_dir: &Path,
    tests: &[GuestTest],
    extra_args: &[String],
    extra_env: &[(String, String)],
) -> Result<Initramfs> {
    let modules = resolve_modules(modules_dir, ROOT_MODULES)?;
    let mut cpio = Cpio::default();
    for dir in [
        "bin", "dev", "proc", "sys", "tmp", "root", "lower", "rw", "newroot", "modules",
    ] {
        cpio.dir(dir, 0o755);
    }
    cpio.char_dev("dev/console", 0o600, 5, 1);
    let busybox = std::fs::read(BUSYBOX)
        .with_context(|| format!("cannot read {BUSYBOX} (install busybox-static)"))?;
    cpio.file("bin/busybox", 0o755, &busybox);
    for applet in APPLETS {
        cpio.symlink(&format!("bin/{applet}"), "busybox");
    }
    cpio.file("bin/linx-modprobe", 0o755, MODPROBE_HELPER.as_bytes());
    let mut names = Vec::new();
    for path in &modules {
        let (name, bytes) = read_module(path)?;
        cpio.file(&format!("modules/{name}"), 0o644, &bytes);
        names.push(name);
    }
    let init = init_script(&InitPlan {
        modules: &names,
        tests,
        extra_args,
        extra_env,
    });
    cpio.file("init", 0o755, init.as_bytes());
    Ok(Initramfs {
        archive: cpio.finish(),
        init,
        modules: names,
    })
}

/// Resolves `wanted` (and their dependencies) from `modules.dep` into module paths in load order.
/// Modules built into the kernel (`modules.builtin`) need no loading and are left out.
pub fn resolve_modules(modules_dir: &Path, wanted: &[&str]) -> Result<Vec<PathBuf>> {
    let dep_path = modules_dir.join("modules.dep");
    let text = std::fs::read_to_string(&dep_path)
        .with_context(|| format!("cannot read {}", dep_path.display()))?;
    let mut deps: HashMap<String, (String, Vec<String>)> = HashMap::new();
    for line in text.lines() {
        let Some((module, rest)) = line.split_once(':') else {
            continue;
        };
        let list = rest.split_whitespace().map(str::to_owned).collect();
        deps.insert(module_name(module), (module.to_owned(), list));
    }
    let builtin: HashSet<String> = std::fs::read_to_string(modules_dir.join("modules.builtin"))
        .unwrap_or_default()
        .lines()
        .map(module_name)
        .collect();

    fn visit(
        name: &str,
        deps: &HashMap<String, (String, Vec<String>)>,
        seen: &mut HashSet<String>,
        order: &mut Vec<String>,
    ) -> Result<()> {
        if !seen.insert(name.to_owned()) {
            return Ok(());
        }
        let (path, list) = deps
            .get(name)
            .with_context(|| format!("module `{name}` is not in modules.dep"))?;
        for dep in list {
            visit(&module_name(dep), deps, seen, order)?;
        }
        order.push(path.clone());
        Ok(())
    }

    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for name in wanted {
        let name = name.replace('-', "_");
        if builtin.contains(&name) {
            continue;
        }
        visit(&name, &deps, &mut seen, &mut order)?;
    }
    Ok(order.into_iter().map(|p| modules_dir.join(p)).collect())
}

/// `kernel/fs/9p/9p.ko.xz` → `9p` (the kernel treats `-` and `_` alike; we use `_`).
fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split(".ko").next().unwrap_or(file);
    stem.replace('-', "_")
}

/// Reads a module file, decompressing `.ko.xz`/`.ko.gz` (busybox) and `.ko.zst` (`zstd`, if
/// installed) since busybox `insmod` loads only plain `.ko` files. Returns `(name.ko, bytes)`.
fn read_module(path: &Path) -> Result<(String, Vec<u8>)> {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .with_context(|| format!("bad module path {}", path.display()))?;
    let Some((stem, suffix)) = file.split_once(".ko") else {
        bail!("{} is not a kernel module (.ko)", path.display());
    };
    let name = format!("{stem}.ko");
    let decompress: &[&str] = match suffix {
        "" => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            return Ok((name, bytes));
        }
        ".xz" => &[BUSYBOX, "xz", "-dc"],
        ".gz" => &[BUSYBOX, "gzip", "-dc"],
        ".zst" => &["zstd", "-dcq"],
        other => bail!(
            "module {} is compressed as `{other}`, which the VM tier cannot unpack",
            path.display()
        ),
    };
    let out = Command::new(decompress[0])
        .args(&decompress[1..])
        .arg(path)
        .output()
        .with_context(|| {
            format!(
                "cannot run `{}` to unpack {}",
                decompress.join(" "),
                path.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "`{}` failed on {}: {}",
            decompress.join(" "),
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok((name, out.stdout))
}

/// Quotes `s` for a POSIX shell (single quotes).
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Fresh tmpfs mounts on `/tmp` and `/run` (shell lines), except over a directory that holds a
/// test binary or package (a workspace under `/tmp`): that one stays the host's, writable through
/// the overlay.
fn scratch_mounts(tests: &[GuestTest]) -> String {
    let mut s = String::new();
    for (dir, mode) in [("/tmp", "1777"), ("/run", "0755")] {
        if tests
            .iter()
            .any(|t| t.dir.starts_with(dir) || t.exe.starts_with(dir))
        {
            s.push_str(&format!(
                "echo \"note: the tests live under {dir}: keeping the host's {dir} (writable through the overlay)\"\n"
            ));
        } else {
            s.push_str(&format!(
                "mount -t tmpfs -o mode={mode} tmpfs $R{dir} || fail \"mount {dir}\"\n"
            ));
        }
    }
    s
}

/// The guest's `/init` (busybox sh, PID 1).
pub fn init_script(plan: &InitPlan<'_>) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        r#"#!/bin/busybox sh
# linx VM tier init, generated by `cargo xtask vm-test`.
export PATH=/bin
echo
fail() {{
    echo "{MARK_ERROR} $*"
    sync
    poweroff -f
    echo o > /proc/sysrq-trigger
    sleep 10
}}
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
"#
    ));
    for module in plan.modules {
        s.push_str(&format!(
            "insmod /modules/{module} || fail \"insmod {module}\"\n"
        ));
    }
    let scratch = scratch_mounts(plan.tests);
    s.push_str(&format!(
        r#"L=/lower
W=/rw
R=/newroot
mount -t 9p -o {NINEP_OPTIONS} {MOUNT_TAG} $L || fail "mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs $W || fail "mount the overlay's tmpfs"
mkdir -p $W/upper $W/work
mount -t overlay -o lowerdir=$L,upperdir=$W/upper,workdir=$W/work overlay $R || fail "mount the overlay root"
mount -t proc proc $R/proc || fail "mount chroot /proc"
mount -t sysfs sysfs $R/sys || fail "mount chroot /sys"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || fail "mount cgroup2"
for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" > $R/sys/fs/cgroup/cgroup.subtree_control || echo "warning: cannot enable the $c controller"
done
mount -t devtmpfs devtmpfs $R/dev || fail "mount chroot /dev"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts $R/dev/pts || fail "mount devpts"
ln -sf pts/ptmx $R/dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm || fail "mount /dev/shm"
{scratch}echo /bin/linx-modprobe > /proc/sys/kernel/modprobe || fail "set kernel.modprobe"
hostname linx-vm
ip link set lo up
echo "linx VM tier: kernel $(uname -r), cgroup2 controllers: $(cat $R/sys/fs/cgroup/cgroup.subtree_control)"
"#
    ));
    let mut env = vec![
        format!("PATH={GUEST_PATH}"),
        "HOME=/root".to_owned(),
        "LINX_IN_VM=1".to_owned(),
        "RUST_BACKTRACE=1".to_owned(),
    ];
    env.extend(plan.extra_env.iter().map(|(k, v)| format!("{k}={v}")));
    for test in plan.tests {
        let name = &test.name;
        let dir = test.dir.to_string_lossy();
        let mut line = format!("echo \"{MARK_RUN} {name}\"\nenv -i");
        for entry in &env {
            line.push(' ');
            line.push_str(&sh_quote(entry));
        }
        line.push(' ');
        line.push_str(&sh_quote(&format!("CARGO_MANIFEST_DIR={dir}")));
        line.push_str(" chroot $R /bin/sh -c 'cd \"$1\" || exit 125; shift; exec \"$@\"' sh ");
        line.push_str(&sh_quote(&dir));
        line.push(' ');
        line.push_str(&sh_quote(&test.exe.to_string_lossy()));
        line.push_str(" --test-threads=1");
        for arg in plan.extra_args {
            line.push(' ');
            line.push_str(&sh_quote(arg));
        }
        line.push_str(&format!("\necho \"{MARK_RESULT} {name} $?\"\n"));
        s.push_str(&line);
    }
    s.push_str(&format!(
        r#"echo "{MARK_DONE}"
sync
poweroff -f
echo o > /proc/sysrq-trigger
sleep 10
"#
    ));
    s
}

/// A minimal writer of the cpio "newc" format the kernel unpacks as initramfs.
#[derive(Default)]
pub struct Cpio {
    buf: Vec<u8>,
    ino: u32,
}

impl Cpio {
    /// A directory (`path` without a leading `/`).
    pub fn dir(&mut self, path: &str, perm: u32) {
        self.entry(path, 0o040000 | perm, 0, &[]);
    }

    /// A regular file.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) {
        self.entry(path, 0o100000 | perm, 0, data);
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, 0o120777, 0, target.as_bytes());
    }

    /// A character device node.
    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) {
        self.entry(path, 0o020000 | perm, (major << 8) | minor, &[]);
    }

    /// Appends the trailer and returns the archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, 0, &[]);
        self.buf
    }

    fn entry(&mut self, path: &str, mode: u32, rdev: u32, data: &[u8]) {
        self.ino += 1;
        let nlink = if mode & 0o170000 == 0o040000 { 2 } else { 1 };
        let fields = [
            self.ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            u32::try_from(data.len()).expect("initramfs member under 4 GiB"),
            0, // devmajor
            0, // devminor
            rdev >> 8,
            rdev & 0xff,
            u32::try_from(path.len() + 1).expect("short path"),
            0, // check
        ];
        self.buf.extend_from_slice(b"070701");
        for field in fields {
            self.buf
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.buf.extend_from_slice(path.as_bytes());
        self.buf.push(0);
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_header_layout() {
        let mut cpio = Cpio::default();
        cpio.file("a", 0o644, b"xyz");
        let out = cpio.finish();
        assert_eq!(&out[..6], b"070701");
        // 6 + 13*8 = 110 header bytes, name "a\0" padded to 112, data 3 padded to 4.
        assert_eq!(&out[110..112], b"a\0");
        assert_eq!(&out[112..115], b"xyz");
        assert_eq!(&out[116..122], b"070701");
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn module_names() {
        assert_eq!(module_name("kernel/fs/9p/9p.ko"), "9p");
        assert_eq!(
            module_name("kernel/net/9p/9pnet_virtio.ko.xz"),
            "9pnet_virtio"
        );
        assert_eq!(
            module_name("kernel/drivers/hw_random/virtio-rng.ko"),
            "virtio_rng"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
