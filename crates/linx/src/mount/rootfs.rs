//! The standard container-root sequence: bind the rootfs onto itself, mount `proc`, `dev` and
//! `tmp` inside it, add bind mounts, optionally make it read-only, and `pivot_root` into it —
//! all inside a target's mount namespace (typically a parked child at the checkpoint).

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::mounts::Mounts;
use super::newapi::{DetachedMount, FsContext, MountAttr, MountSetAttr};
use super::ops::{self, MountFlags, Propagation};
use super::root::{MountPointKind, Root};
use crate::error::{Error, Operation, OsError, Result, Subsystem};
use crate::ns::{NsSet, NsTarget};

/// One bind mount into the new root: `source` is a path in the **caller's** mount namespace,
/// `dest` a path inside the rootfs (resolved with `RESOLVE_IN_ROOT`, created if missing).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindSpec {
    /// Source path in the caller's namespace.
    pub source: PathBuf,
    /// Destination inside the rootfs (`/data` means `<rootfs>/data`).
    pub dest: PathBuf,
    /// Read-only (recursively, with `mount_setattr`).
    pub readonly: bool,
    /// Bring submounts of `source` along (default true).
    pub recursive: bool,
}

impl BindSpec {
    /// A recursive, writable bind of `source` at `dest`.
    pub fn new(source: impl Into<PathBuf>, dest: impl Into<PathBuf>) -> BindSpec {
        BindSpec {
            source: source.into(),
            dest: dest.into(),
            readonly: false,
            recursive: true,
        }
    }

    /// Makes the bind read-only.
    pub fn read_only(mut self) -> BindSpec {
        self.readonly = true;
        self
    }
}

impl std::str::FromStr for BindSpec {
    type Err = Error;

    /// `SRC:DST[:ro|:rw]` (the `--mount` syntax of `linx run`); both paths absolute.
    ///
    /// ```
    /// let b: linx::mount::BindSpec = "/srv/data:/data:ro".parse()?;
    /// assert!(b.readonly);
    /// # Ok::<(), linx::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<BindSpec> {
        let bad = |why: &'static str| Error::input(Subsystem::Mount, "bind spec", s, why);
        let mut parts = s.split(':');
        let (Some(src), Some(dst)) = (parts.next(), parts.next()) else {
            return Err(bad("expected SRC:DST[:ro|:rw]"));
        };
        let readonly = match parts.next() {
            None | Some("rw") => false,
            Some("ro") => true,
            Some(_) => return Err(bad("the option after DST must be ro or rw")),
        };
        if parts.next().is_some() {
            return Err(bad("expected SRC:DST[:ro|:rw]"));
        }
        if !src.starts_with('/') || !dst.starts_with('/') {
            return Err(bad("SRC and DST must be absolute paths"));
        }
        if src.contains('\0') || dst.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        Ok(BindSpec {
            source: src.into(),
            dest: dst.into(),
            readonly,
            recursive: true,
        })
    }
}

/// A fresh tmpfs at `dest`: inside the new root for [`setup_rootfs`], or at a path of the
/// workload's mount namespace (`linx run --tmpfs`). Mounted `nosuid,nodev`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsSpec {
    /// Where to mount it (absolute; inside the rootfs when used with [`RootfsSpec`]).
    pub dest: PathBuf,
    /// tmpfs options (`size=64m,mode=1777`); empty for the kernel's defaults.
    pub options: String,
}

impl TmpfsSpec {
    /// A tmpfs at `dest` with the kernel's default options.
    pub fn new(dest: impl Into<PathBuf>) -> TmpfsSpec {
        TmpfsSpec {
            dest: dest.into(),
            options: String::new(),
        }
    }

    /// Sets the tmpfs options (`size=…`, `mode=…`, `nr_inodes=…`, `uid=…`, `gid=…`).
    pub fn options(mut self, options: impl Into<String>) -> TmpfsSpec {
        self.options = options.into();
        self
    }
}

/// One `--mount` of `linx run`, in the `key=value,…` form container tools use:
/// `type=bind,source=SRC,target=DST[,readonly][,nonrecursive]` or
/// `type=tmpfs,target=DST[,OPTION=VALUE…]` (the remaining options, e.g. `size=64m,mode=1777`,
/// go to tmpfs). `src` and `dst`/`destination` are accepted for `source` and `target`, `ro` for
/// `readonly`.
///
/// ```
/// use linx::mount::MountSpec;
/// let m: MountSpec = "type=bind,source=/usr,target=/usr,readonly".parse()?;
/// let MountSpec::Bind(b) = m else { unreachable!() };
/// assert!(b.readonly && b.recursive);
/// let t: MountSpec = "type=tmpfs,dst=/run,size=64m,mode=755".parse()?;
/// let MountSpec::Tmpfs(t) = t else { unreachable!() };
/// assert_eq!(t.options, "size=64m,mode=755");
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSpec {
    /// A bind mount into the new root.
    Bind(BindSpec),
    /// A fresh tmpfs.
    Tmpfs(TmpfsSpec),
}

impl std::str::FromStr for MountSpec {
    type Err = Error;

    /// Parses the `key=value,…` form; errors name the spec and what is wrong (unknown type or
    /// key, missing target, relative target, NUL byte).
    fn from_str(s: &str) -> Result<MountSpec> {
        let bad = |why: &'static str| Error::input(Subsystem::Mount, "mount spec", s, why);
        if s.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        let (mut kind, mut source, mut target) = (None, None, None);
        let (mut readonly, mut recursive) = (false, true);
        let mut options = Vec::new();
        for item in s.split(',') {
            let (k, v) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item.trim(), None),
            };
            match (k, v) {
                ("type", Some(v)) => kind = Some(v),
                ("source" | "src", Some(v)) => source = Some(v),
                ("target" | "dst" | "destination", Some(v)) => target = Some(v),
                ("readonly" | "ro", None | Some("true" | "1")) => readonly = true,
                ("readonly" | "ro", Some("false" | "0")) => readonly = false,
                ("nonrecursive", None) => recursive = false,
                ("", _) => return Err(bad("empty item")),
                (_, Some(_)) => options.push(item.trim()),
                (_, None) => return Err(bad("unknown flag (expected readonly or nonrecursive)")),
            }
        }
        let target = target.ok_or_else(|| bad("missing target=DST"))?;
        if !target.starts_with('/') {
            return Err(bad("target must be an absolute path"));
        }
        match kind {
            Some("bind") => {
                if !options.is_empty() {
                    return Err(bad("unknown key for a bind mount"));
                }
                let source = source.ok_or_else(|| bad("missing source=SRC"))?;
                let mut b = BindSpec::new(source, target);
                b.readonly = readonly;
                b.recursive = recursive;
                Ok(MountSpec::Bind(b))
            }
            Some("tmpfs") => {
                if source.is_some() || readonly || !recursive {
                    return Err(bad("a tmpfs takes only target and tmpfs options"));
                }
                Ok(MountSpec::Tmpfs(TmpfsSpec {
                    dest: target.into(),
                    options: options.join(","),
                }))
            }
            Some(_) => Err(bad("type must be bind or tmpfs")),
            None => Err(bad("missing type=bind|tmpfs")),
        }
    }
}

impl std::str::FromStr for TmpfsSpec {
    type Err = Error;

    /// `DST[:OPTIONS]` (the `--tmpfs` syntax of `linx run`); DST absolute.
    ///
    /// ```
    /// let t: linx::mount::TmpfsSpec = "/run:size=64m,mode=755".parse()?;
    /// assert_eq!(t.options, "size=64m,mode=755");
    /// # Ok::<(), linx::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<TmpfsSpec> {
        let bad = |why: &'static str| Error::input(Subsystem::Mount, "tmpfs spec", s, why);
        let (dest, options) = s.split_once(':').unwrap_or((s, ""));
        if !dest.starts_with('/') {
            return Err(bad("DST must be an absolute path"));
        }
        if s.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        if options.split(',').any(|o| o.trim().is_empty()) && !options.is_empty() {
            return Err(bad("empty option in OPTIONS"));
        }
        Ok(TmpfsSpec {
            dest: dest.into(),
            options: options.to_owned(),
        })
    }
}

/// How the root is switched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PivotMode {
    /// `pivot_root(".", ".")` and a lazy unmount of the old root (nothing of it stays visible).
    InPlace,
    /// Classic `pivot_root(".", put_old)`; the old root stays mounted at `put_old` (relative to
    /// the rootfs; created if missing) until the caller unmounts it.
    PutOld(PathBuf),
}

/// What [`setup_rootfs`] builds.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsSpec {
    /// The rootfs directory, as a path in the **target's** mount namespace (for a child cloned
    /// from the caller this is the same path the caller sees).
    pub rootfs: PathBuf,
    /// Make the rootfs mount itself read-only at the end (proc, dev, tmp and binds keep their
    /// own modes).
    pub readonly: bool,
    /// Mount `proc` at `/proc` for the target's pid namespace (`nosuid,nodev,noexec`).
    pub proc: bool,
    /// Mount a tmpfs at `/dev` with `null zero full random urandom tty` bound from the caller's
    /// `/dev`, the `fd`/`stdin`/`stdout`/`stderr`/`ptmx` symlinks, a private `devpts` at
    /// `/dev/pts` and a tmpfs at `/dev/shm`.
    pub dev: bool,
    /// Mount a tmpfs at `/tmp` (`mode=1777,nosuid,nodev`).
    pub tmp: bool,
    /// Extra bind mounts, in order.
    pub binds: Vec<BindSpec>,
    /// Extra tmpfs mounts inside the root.
    pub tmpfs: Vec<TmpfsSpec>,
    /// How the root is switched.
    pub pivot: PivotMode,
}

impl RootfsSpec {
    /// Defaults: writable, proc, dev and tmp mounted, no extra binds, pivot in place.
    pub fn new(rootfs: impl Into<PathBuf>) -> RootfsSpec {
        RootfsSpec {
            rootfs: rootfs.into(),
            readonly: false,
            proc: true,
            dev: true,
            tmp: true,
            binds: Vec::new(),
            tmpfs: Vec::new(),
            pivot: PivotMode::InPlace,
        }
    }

    /// Sets [`readonly`](RootfsSpec::readonly).
    pub fn read_only(mut self, readonly: bool) -> RootfsSpec {
        self.readonly = readonly;
        self
    }

    /// Adds a bind mount.
    pub fn bind(mut self, bind: BindSpec) -> RootfsSpec {
        self.binds.push(bind);
        self
    }

    /// Adds a tmpfs mount.
    pub fn tmpfs(mut self, tmpfs: TmpfsSpec) -> RootfsSpec {
        self.tmpfs.push(tmpfs);
        self
    }

    /// Sets the pivot mode.
    pub fn pivot(mut self, pivot: PivotMode) -> RootfsSpec {
        self.pivot = pivot;
        self
    }
}

/// Device nodes bound into `/dev`.
pub const DEV_NODES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

fn is_dir(path: &Path) -> Result<bool> {
    std::fs::metadata(path).map(|m| m.is_dir()).map_err(|e| {
        OsError::new(
            Subsystem::Mount,
            Operation::Stat,
            crate::error::Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        )
        .path(path)
        .into()
    })
}

fn tmpfs(options: &str, attrs: MountAttr) -> Result<DetachedMount> {
    let fs = FsContext::new("tmpfs")?;
    fs.set_string("source", "tmpfs")?;
    fs.set_options(options)?;
    fs.mount(attrs)
}

fn symlink_in(root: &Root, dir: &str, name: &str, to: &str) -> Result<()> {
    let dirfd = root.resolve(dir)?;
    match rustix::fs::symlinkat(to, &dirfd, name) {
        Ok(()) | Err(crate::error::Errno::EXIST) => Ok(()),
        Err(e) => Err(
            OsError::new(Subsystem::Mount, Operation::Syscall("symlink"), e)
                .path(root.path().join(dir).join(name))
                .into(),
        ),
    }
}

/// A mount added after the standard ones, in destination-depth order.
enum Extra<'a> {
    Bind(&'a DetachedMount, MountPointKind),
    Tmpfs(&'a str),
}

/// Builds a container root inside `target`'s mount namespace and switches to it — the standard
/// sequence a runtime performs at the checkpoint:
///
/// 1. in the caller's namespace: clone every bind source (`open_tree`, recursive, made read-only
///    with `mount_setattr` when asked) and, for `dev`, the device nodes of `/dev`;
/// 2. in the target's mount namespace (and pid namespace, for `proc`), on one worker thread:
///    make `/` recursively private; bind the rootfs onto itself (recursively) so it is a mount
///    point; open it as a [`Root`]; mount `tmp`, `dev` (with nodes, symlinks, `pts`, `shm`) and
///    `proc` (in a helper born in the target's pid namespace) onto targets resolved inside the
///    rootfs with `RESOLVE_IN_ROOT` and created without following symlinks; attach the binds;
///    make the rootfs read-only if asked; then `pivot_root` ([`PivotMode`]).
///
/// Afterwards every task of the namespace that had the old root as its root (the parked child)
/// sees the new root; with [`PivotMode::InPlace`] nothing of the old root remains.
///
/// # Errors
/// Input errors for a relative rootfs; the first failing step as an OS error naming the stage
/// (`open_tree`, `mount`, `create`, `move_mount`, `fsconfig`, `chdir`, `pivot_root` …) and path,
/// with the target named. A failure leaves the namespace half-built; abort the child.
///
/// ```no_run
/// use linx::mount::{self, RootfsSpec, BindSpec};
/// use linx::ns::NsTarget;
/// let spec = RootfsSpec::new("/srv/containers/a/rootfs")
///     .read_only(true)
///     .bind(BindSpec::new("/srv/shared", "/shared").read_only());
/// mount::setup_rootfs(&NsTarget::Pid(4242), &spec)?;
/// # Ok::<(), linx::Error>(())
/// ```
pub fn setup_rootfs(target: &NsTarget, spec: &RootfsSpec) -> Result<()> {
    let rootfs = spec.rootfs.as_path();
    if !rootfs.is_absolute() {
        return Err(Error::input(
            Subsystem::Mount,
            "rootfs",
            rootfs.display().to_string(),
            "must be an absolute path",
        ));
    }
    ops::target_cstring(rootfs)?;
    if let PivotMode::PutOld(p) = &spec.pivot {
        if p.is_absolute() {
            ops::check_put_old(rootfs, p)?;
        } else {
            ops::check_put_old(Path::new("/"), p)?;
        }
    }
    // 1. Clones in the caller's namespace.
    let mut binds = Vec::with_capacity(spec.binds.len());
    for b in &spec.binds {
        if !b.dest.is_absolute() {
            return Err(Error::input(
                Subsystem::Mount,
                "bind destination",
                b.dest.display().to_string(),
                "must be absolute (inside the rootfs)",
            ));
        }
        let kind = if is_dir(&b.source)? {
            MountPointKind::Dir
        } else {
            MountPointKind::File
        };
        let tree = DetachedMount::clone_tree(&b.source, b.recursive)?;
        if b.readonly {
            tree.make_read_only(true)?;
        }
        binds.push((tree, kind, b.dest.as_path()));
    }
    for t in &spec.tmpfs {
        if !t.dest.is_absolute() {
            return Err(Error::input(
                Subsystem::Mount,
                "tmpfs destination",
                t.dest.display().to_string(),
                "must be absolute (inside the rootfs)",
            ));
        }
    }
    // Binds and tmpfs mounts go on shallow destinations first, so `/data` is mounted before
    // `/data/cache` and does not hide it.
    let mut extras: Vec<(&Path, Extra<'_>)> = binds
        .iter()
        .map(|(tree, kind, dest)| (*dest, Extra::Bind(tree, *kind)))
        .chain(
            spec.tmpfs
                .iter()
                .map(|t| (t.dest.as_path(), Extra::Tmpfs(t.options.as_str()))),
        )
        .collect();
    extras.sort_by_key(|(dest, _)| dest.components().count());
    let mut nodes = Vec::new();
    if spec.dev {
        for n in DEV_NODES {
            let host = Path::new("/dev").join(n);
            if host.exists() {
                nodes.push((n, DetachedMount::clone_tree(&host, false)?));
            }
        }
    }
    // 2. Everything else inside the target.
    let kinds = match target {
        NsTarget::Pid(_) | NsTarget::Pidfd(_) if spec.proc => NsSet::MOUNT | NsSet::PID,
        _ => NsSet::MOUNT,
    };
    let mounts = Mounts::new(target.clone());
    let work = || -> Result<()> {
        ops::set_propagation("/", Propagation::Private, true)?;
        ops::mount(rootfs, rootfs, "", MountFlags::BIND | MountFlags::REC, "")?;
        let root = Root::open(rootfs)?;
        if spec.tmp {
            root.create("tmp", MountPointKind::Dir)?;
            let t = tmpfs("mode=1777", MountAttr::NOSUID | MountAttr::NODEV)?;
            root.attach(&t, "tmp")?;
        }
        if spec.dev {
            root.create("dev", MountPointKind::Dir)?;
            let d = tmpfs(
                "mode=755,size=65536k",
                MountAttr::NOSUID | MountAttr::NOEXEC,
            )?;
            root.attach(&d, "dev")?;
            for (name, tree) in &nodes {
                let rel = format!("dev/{name}");
                root.create(&rel, MountPointKind::File)?;
                root.attach(tree, &rel)?;
            }
            for (name, to) in [
                ("fd", "/proc/self/fd"),
                ("stdin", "/proc/self/fd/0"),
                ("stdout", "/proc/self/fd/1"),
                ("stderr", "/proc/self/fd/2"),
                ("ptmx", "pts/ptmx"),
            ] {
                symlink_in(&root, "dev", name, to)?;
            }
            root.create("dev/pts", MountPointKind::Dir)?;
            let pts = FsContext::new("devpts")?;
            pts.set_string("source", "devpts")?;
            pts.set_options("ptmxmode=0666,mode=0620")?;
            let pts = pts.mount(MountAttr::NOSUID | MountAttr::NOEXEC)?;
            root.attach(&pts, "dev/pts")?;
            root.create("dev/shm", MountPointKind::Dir)?;
            let shm = tmpfs(
                "mode=1777",
                MountAttr::NOSUID | MountAttr::NODEV | MountAttr::NOEXEC,
            )?;
            root.attach(&shm, "dev/shm")?;
        }
        if spec.proc {
            let fd = root.create("proc", MountPointKind::Dir)?;
            Mounts::proc_onto_fd_here(
                fd.as_fd(),
                MountAttr::NOSUID | MountAttr::NODEV | MountAttr::NOEXEC,
                &rootfs.join("proc"),
            )?;
        }
        for (dest, extra) in &extras {
            match extra {
                Extra::Bind(tree, kind) => {
                    root.create(dest, *kind)?;
                    root.attach(tree, dest)?;
                }
                Extra::Tmpfs(options) => {
                    root.create(dest, MountPointKind::Dir)?;
                    let t = tmpfs(options, MountAttr::NOSUID | MountAttr::NODEV)?;
                    root.attach(&t, dest)?;
                }
            }
        }
        let put_old = match &spec.pivot {
            PivotMode::InPlace => None,
            PivotMode::PutOld(p) => {
                let rel = p.strip_prefix(rootfs).unwrap_or(p);
                let rel = rel.strip_prefix("/").unwrap_or(rel).to_path_buf();
                root.create(&rel, MountPointKind::Dir)?;
                Some(rel)
            }
        };
        if spec.readonly {
            super::newapi::set_attr_path(
                rootfs,
                &MountSetAttr::new().set(MountAttr::RDONLY),
                false,
            )?;
        }
        ops::pivot_here(rootfs, put_old.as_deref())
    };
    if target.is_current() {
        ops::on_private_fs_thread(work)
    } else {
        mounts.run_kinds(kinds, work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnt_10_bind_specs_parse() {
        let b: BindSpec = "/a:/b".parse().unwrap();
        assert_eq!(b, BindSpec::new("/a", "/b"));
        let b: BindSpec = "/a:/b:ro".parse().unwrap();
        assert!(b.readonly);
        for bad in ["/a", "a:/b", "/a:b", "/a:/b:rx", "/a:/b:ro:x", ""] {
            assert!(bad.parse::<BindSpec>().unwrap_err().is_input(), "{bad}");
        }
        let t: TmpfsSpec = "/run".parse().unwrap();
        assert_eq!(t, TmpfsSpec::new("/run"));
        let t: TmpfsSpec = "/run:size=1m,mode=700".parse().unwrap();
        assert_eq!(t, TmpfsSpec::new("/run").options("size=1m,mode=700"));
        for bad in ["run", "", "/a:size=1m,,mode=7", "/a\0b"] {
            let e = bad.parse::<TmpfsSpec>().unwrap_err();
            assert!(
                e.is_input() && e.to_string().contains("tmpfs spec"),
                "{bad}: {e}"
            );
        }
        let e = setup_rootfs(&NsTarget::Pid(1), &RootfsSpec::new("relative")).unwrap_err();
        assert!(e.is_input(), "{e}");
    }

    #[test]
    fn mnt_run_mount_specs() {
        let m: MountSpec = "type=bind,src=/srv/data,dst=/data,ro,nonrecursive"
            .parse()
            .unwrap();
        assert_eq!(
            m,
            MountSpec::Bind(BindSpec {
                source: "/srv/data".into(),
                dest: "/data".into(),
                readonly: true,
                recursive: false,
            })
        );
        let m: MountSpec = "type=tmpfs,target=/tmp".parse().unwrap();
        assert_eq!(m, MountSpec::Tmpfs(TmpfsSpec::new("/tmp")));
        for bad in [
            "",
            "type=bind,target=/x",
            "type=bind,source=/a",
            "type=bind,source=/a,target=x",
            "type=bind,source=/a,target=/x,size=1m",
            "type=tmpfs,source=/a,target=/x",
            "type=tmpfs,target=/x,ro",
            "type=overlay,target=/x",
            "source=/a,target=/x",
            "type=bind,source=/a,target=/x,bogus",
            "type=tmpfs,,target=/x",
            "type=tmpfs,target=/x\0",
        ] {
            let e = bad.parse::<MountSpec>().unwrap_err();
            assert!(
                e.is_input() && e.to_string().contains("mount spec"),
                "{bad}: {e}"
            );
        }
    }
}
