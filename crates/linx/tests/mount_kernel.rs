//! Kernel tier: mount verbs against the real kernel. Every test works in a fresh private mount
//! namespace (`linx_testkit::MountNs`) or in a parked child that has one (`unshare -m`), never in
//! the host's own mount namespace.

use std::collections::BTreeSet;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use linx::error::Errno;
use linx::mount::{
    self, BindSpec, DetachedMount, FsContext, MountAttr, MountFlags, MountPointKind, MountSetAttr,
    Mounts, PivotMode, Propagation, Root, RootfsSpec, UnmountFlags,
};
use linx::ns::{NsSet, NsTarget};
use linx_testkit::{MountNs, require_root, require_tool};

/// A fresh private mount namespace, a target for it, and a scratch directory (on the host's
/// filesystem, so it exists inside the namespace too; mounts on it happen only inside).
struct Fresh {
    _ns: MountNs,
    target: NsTarget,
    dir: tempfile::TempDir,
}

impl Fresh {
    fn new() -> Option<Fresh> {
        if !require_root() {
            return None;
        }
        let ns = MountNs::new().expect("create a mount namespace");
        let target = NsTarget::fd(ns.try_clone_fd().expect("dup mntns fd"));
        let dir = tempfile::tempdir().expect("scratch dir");
        Some(Fresh {
            _ns: ns,
            target,
            dir,
        })
    }

    fn mounts(&self) -> Mounts {
        Mounts::new(self.target.clone())
    }

    fn path(&self, rel: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// Runs `f` inside the namespace.
    fn inside<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        self.target.run(NsSet::MOUNT, f).expect("enter namespace")
    }
}

fn host_has_mount_at(path: &Path) -> bool {
    mount::list_pid(std::process::id() as i32)
        .unwrap()
        .iter()
        .any(|e| e.mount_point == path)
}

/// A child parked in its own mount namespace (`unshare -m [-p -f] sleep 60`); killed on drop.
struct Parked {
    unshare: Child,
    pid: i32,
}

impl Parked {
    fn spawn(pid_ns: bool) -> Option<Parked> {
        if !require_root() || !require_tool("unshare") {
            return None;
        }
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "--propagation", "private"]);
        if pid_ns {
            cmd.args(["-p", "-f", "--kill-child"]);
        }
        cmd.args(["sleep", "600"]);
        let unshare = cmd.spawn().expect("spawn unshare");
        let outer = unshare.id() as i32;
        // Wait until the workload runs `sleep` in the new namespaces (bounded; not a timing
        // assertion).
        let mut pid = None;
        for _ in 0..1000 {
            let candidate = if pid_ns {
                std::fs::read_to_string(format!("/proc/{outer}/task/{outer}/children"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse().ok()))
            } else {
                Some(outer)
            };
            if let Some(c) = candidate {
                let comm = std::fs::read_to_string(format!("/proc/{c}/comm")).unwrap_or_default();
                if comm.trim() == "sleep" {
                    pid = Some(c);
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = pid.expect("the parked child never reached sleep");
        Some(Parked { unshare, pid })
    }

    fn target(&self) -> NsTarget {
        NsTarget::Pid(self.pid)
    }

    fn mounts(&self) -> Mounts {
        Mounts::new(self.target())
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(self.pid).unwrap(),
            rustix::process::Signal::KILL,
        );
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

#[test]
fn mnt_05_tmpfs_with_options_appears_and_umount_removes_it() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let dir = f.path("t");
    m.mount(
        "linx-t",
        &dir,
        "tmpfs",
        MountFlags::RDONLY | MountFlags::NOSUID,
        "size=64M,mode=755",
    )
    .unwrap();
    let table = m.list().unwrap();
    let e = table.find(&dir).expect("tmpfs listed");
    assert_eq!(e.fstype, "tmpfs");
    assert_eq!(e.source, "linx-t");
    let opts: Vec<&str> = e.mount_option_list().collect();
    assert!(opts.contains(&"ro") && opts.contains(&"nosuid"), "{opts:?}");
    let sopts: Vec<String> = e
        .super_option_list()
        .map(|o| o.to_string_lossy().into_owned())
        .collect();
    assert!(sopts.contains(&"size=65536k".to_string()), "{sopts:?}");
    assert!(sopts.contains(&"mode=755".to_string()), "{sopts:?}");
    assert!(!host_has_mount_at(&dir), "the mount leaked to the host");
    m.umount(&dir, UnmountFlags::empty()).unwrap();
    assert!(m.list().unwrap().find(&dir).is_none());
    let e = m.umount(&dir, UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert!(e.to_string().starts_with("mount: umount "), "{e}");
}

#[test]
fn mnt_19_umount_of_missing_path_names_it() {
    let Some(f) = Fresh::new() else { return };
    let e = f
        .mounts()
        .umount("/srv/linx-missing", UnmountFlags::empty())
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT));
    assert!(
        e.to_string()
            .starts_with("mount: umount /srv/linx-missing in namespace fd"),
        "{e}"
    );
}

#[test]
fn mnt_06_bind_ro_and_recursive_bind() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let base = f.path("base");
    m.mount("tmpfs", &base, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let src = base.join("src");
    f.inside(|| {
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::create_dir_all(base.join("dst")).unwrap();
        std::fs::create_dir_all(base.join("ro")).unwrap();
        std::fs::create_dir_all(base.join("rec")).unwrap();
    });
    // Plain bind: the entry's root ends with the source directory.
    m.bind(&src, base.join("dst"), false).unwrap();
    let t = m.list().unwrap();
    let e = t.find(base.join("dst")).unwrap();
    assert_eq!(e.root, Path::new("/src"));
    // bind_ro is really read-only, the source stays writable.
    m.bind_ro(&src, base.join("ro"), false).unwrap();
    let (ro_err, src_ok) = f.inside(|| {
        (
            std::fs::write(base.join("ro/x"), b"x").unwrap_err(),
            std::fs::write(src.join("y"), b"y").is_ok(),
        )
    });
    assert_eq!(ro_err.raw_os_error(), Some(libc::EROFS));
    assert!(src_ok);
    assert!(
        m.list()
            .unwrap()
            .find(base.join("ro"))
            .unwrap()
            .is_read_only()
    );
    // Recursive bind carries a submount.
    m.mount("sub", src.join("sub"), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    m.bind(&src, base.join("rec"), true).unwrap();
    let t = m.list().unwrap();
    let sub = t.find(base.join("rec/sub")).expect("submount came along");
    assert_eq!(sub.source, "sub");
}

#[test]
fn mnt_06_remount_is_per_mount_for_binds() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let a = f.path("a");
    let b = f.path("b");
    m.mount("tmpfs", &a, "tmpfs", MountFlags::NOATIME, "size=1M")
        .unwrap();
    m.bind(&a, &b, false).unwrap();
    m.remount(&b, MountFlags::RDONLY | MountFlags::NODEV, None)
        .unwrap();
    let t = m.list().unwrap();
    let eb = t.find(&b).unwrap();
    let ea = t.find(&a).unwrap();
    assert!(eb.is_read_only(), "{eb:?}");
    assert!(eb.mount_option_list().any(|o| o == "nodev"));
    // The atime mode was kept (noatime), and the superblock / the other mount stay writable.
    assert!(eb.mount_option_list().any(|o| o == "noatime"), "{eb:?}");
    assert!(!ea.is_read_only(), "{ea:?}");
    assert!(
        f.inside(|| linx::mount::current_flags(&b))
            .unwrap()
            .contains(MountFlags::RDONLY)
    );
    // A superblock remount with data changes the filesystem options.
    m.remount(&a, MountFlags::empty(), Some("size=2M")).unwrap();
    let t = m.list().unwrap();
    let ea = t.find(&a).unwrap();
    assert!(
        ea.super_option_list().any(|o| o == "size=2048k"),
        "{:?}",
        ea.super_options
    );
}

/// Locked flags: in a mount namespace owned by a less privileged user namespace, a bind remount
/// that drops nosuid/nodev/noexec is refused by the kernel; `remount` keeps them. The test re-runs
/// itself under `unshare -Urm` inside a fresh mount namespace; the child role asserts.
#[test]
fn mnt_06_remount_keeps_locked_flags() {
    const CHILD: &str = "LINX_TEST_LOCKED_REMOUNT_DIR";
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        // The raw request without the locked flags is refused …
        let raw = linx::mount::mount(
            "",
            &dir,
            "",
            MountFlags::REMOUNT | MountFlags::BIND | MountFlags::RDONLY,
            "",
        )
        .unwrap_err();
        assert_eq!(raw.errno(), Some(Errno::PERM), "{raw}");
        // … and remount keeps them.
        linx::mount::remount(&dir, MountFlags::RDONLY, None).expect("remount keeping locked flags");
        let flags = linx::mount::current_flags(&dir).unwrap();
        assert!(
            flags.contains(
                MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC
            ),
            "{flags:?}"
        );
        return;
    }
    let Some(f) = Fresh::new() else { return };
    if !require_tool("unshare") {
        return;
    }
    let dir = f.path("locked");
    f.mounts()
        .mount(
            "tmpfs",
            &dir,
            "tmpfs",
            MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
            "",
        )
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = f
        ._ns
        .command("unshare")
        .args(["-Urm", "--propagation", "private"])
        .arg(exe)
        .args([
            "--exact",
            "mnt_06_remount_keeps_locked_flags",
            "--nocapture",
        ])
        .env(CHILD, &dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "child failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mnt_07_propagation_changes() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let a = f.path("p");
    m.mount("tmpfs", &a, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    f.inside(|| std::fs::create_dir(a.join("sub")).unwrap());
    m.mount("tmpfs", a.join("sub"), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let prop = |p: &Path| m.list().unwrap().find(p).unwrap().propagation().to_string();
    assert_eq!(prop(&a), "private");
    m.set_propagation(&a, Propagation::Shared, true).unwrap();
    assert_eq!(prop(&a), "shared");
    assert_eq!(prop(&a.join("sub")), "shared", "recursive");
    let group = m.list().unwrap().find(&a).unwrap().peer_group();
    assert!(group.is_some());
    m.set_propagation(&a, Propagation::Slave, false).unwrap();
    // A shared mount without other peers becomes private when made a slave.
    assert!(prop(&a).starts_with("private"), "{}", prop(&a));
    // A bind of a shared mount becomes its peer; making it a slave gives master:N.
    let b = f.path("peer");
    m.set_propagation(&a, Propagation::Shared, false).unwrap();
    m.bind(&a, &b, false).unwrap();
    m.set_propagation(&b, Propagation::Slave, false).unwrap();
    let t = m.list().unwrap();
    let eb = t.find(&b).unwrap();
    assert_eq!(eb.master(), t.find(&a).unwrap().peer_group());
    assert_eq!(eb.propagation().to_string(), "private,slave");
    m.set_propagation(&a, Propagation::Unbindable, false)
        .unwrap();
    assert_eq!(prop(&a), "private,unbindable");
    let e = m.bind(&a, f.path("nobind"), false).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    m.set_propagation(&a, Propagation::Private, true).unwrap();
    assert_eq!(prop(&a), "private");
    let e = m
        .set_propagation(f.path("notamount"), Propagation::Private, false)
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
}

#[test]
fn mnt_08_move_and_shared_parent_hint() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let p = f.path("mv");
    m.mount("tmpfs", &p, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    f.inside(|| {
        for d in ["a", "b", "c", "d"] {
            std::fs::create_dir(p.join(d)).unwrap();
        }
    });
    m.mount("moved", p.join("a"), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    m.mount_move(p.join("a"), p.join("b")).unwrap();
    let t = m.list().unwrap();
    assert!(t.find(p.join("a")).is_none());
    assert_eq!(t.find(p.join("b")).unwrap().source, "moved");
    // Out of a shared parent: EINVAL with the hint.
    m.set_propagation(&p, Propagation::Shared, false).unwrap();
    m.mount("c", p.join("c"), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let e = m.mount_move(p.join("c"), p.join("d")).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert!(e.to_string().contains("shared"), "{e}");
}

#[test]
fn mnt_09_umount_flags() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let busy = f.path("busy");
    m.mount("tmpfs", &busy, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    // Keep it busy with an open file inside.
    let file = f.inside(|| std::fs::File::create(busy.join("f")).unwrap());
    let e = m.umount(&busy, UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::BUSY), "{e}");
    m.umount(&busy, UnmountFlags::DETACH).unwrap();
    assert!(m.list().unwrap().find(&busy).is_none());
    drop(file);
    // EXPIRE: first call marks (EAGAIN), second unmounts.
    let exp = f.path("exp");
    m.mount("tmpfs", &exp, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let e = m.umount(&exp, UnmountFlags::EXPIRE).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::AGAIN), "{e}");
    m.umount(&exp, UnmountFlags::EXPIRE).unwrap();
    assert!(m.list().unwrap().find(&exp).is_none());
    // FORCE on an idle tmpfs unmounts it.
    let force = f.path("force");
    m.mount("tmpfs", &force, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    m.umount(&force, UnmountFlags::FORCE).unwrap();
    // NOFOLLOW: a symlink to a mount point is not followed.
    let real = f.path("real");
    m.mount("tmpfs", &real, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let link = f.dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let e = m.umount(&link, UnmountFlags::NOFOLLOW).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::INVAL), "{e}");
    assert!(m.list().unwrap().find(&real).is_some());
    m.umount(&link, UnmountFlags::empty()).unwrap();
    assert!(m.list().unwrap().find(&real).is_none());
}

fn make_rootfs(dir: &Path) {
    for d in ["bin", "etc"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("marker"), b"new root").unwrap();
}

#[test]
fn mnt_10_pivot_in_place_in_a_parked_child() {
    let Some(child) = Parked::spawn(false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = tmp.path().join("rootfs");
    make_rootfs(&rootfs);
    let m = child.mounts();
    let before = m.list().unwrap().root().unwrap().mount_id;
    m.set_propagation("/", Propagation::Private, true).unwrap();
    m.bind(&rootfs, &rootfs, true).unwrap();
    m.pivot_root_in_place(&rootfs).unwrap();
    let t = m.list().unwrap();
    let root = t.root().expect("root entry");
    assert_ne!(root.mount_id, before, "the root mount changed");
    assert_eq!(
        t.entries.len(),
        1,
        "no trace of the old root: {:?}",
        t.entries
    );
    // The workload sees the new root.
    let marker = std::fs::read(format!("/proc/{}/root/marker", child.pid)).unwrap();
    assert_eq!(marker, b"new root");
}

#[test]
fn mnt_10_pivot_classic_keeps_old_root_until_unmounted() {
    let Some(child) = Parked::spawn(false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = tmp.path().join("rootfs");
    make_rootfs(&rootfs);
    std::fs::create_dir(rootfs.join("old_root")).unwrap();
    let m = child.mounts();
    m.set_propagation("/", Propagation::Private, true).unwrap();
    m.bind(&rootfs, &rootfs, true).unwrap();
    m.pivot_root(&rootfs, rootfs.join("old_root")).unwrap();
    let t = m.list().unwrap();
    assert!(t.find("/old_root").is_some(), "old root under /old_root");
    m.umount("/old_root", UnmountFlags::DETACH).unwrap();
    let t = m.list().unwrap();
    assert!(t.find("/old_root").is_none());
    assert_eq!(t.entries.len(), 1, "{:?}", t.entries);
    assert!(std::path::Path::new(&format!("/proc/{}/root/marker", child.pid)).exists());
    // Errors name the stage and new_root.
    let e = m.pivot_root("/nope", "old").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
    assert!(e.to_string().starts_with("mount: chdir /nope"), "{e}");
}

#[test]
fn mnt_10_setup_rootfs_at_the_checkpoint() {
    let Some(child) = Parked::spawn(true) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = tmp.path().join("rootfs");
    make_rootfs(&rootfs);
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("hello"), b"from the host").unwrap();
    let spec = RootfsSpec::new(&rootfs)
        .read_only(true)
        .bind(BindSpec::new(&shared, "/data").read_only());
    mount::setup_rootfs(&child.target(), &spec).unwrap();
    let pid = child.pid;
    let t = mount::list_pid(pid).unwrap();
    let root = t.root().unwrap();
    assert!(root.is_read_only(), "{root:?}");
    for (p, fstype) in [
        ("/proc", "proc"),
        ("/dev", "tmpfs"),
        ("/dev/pts", "devpts"),
        ("/dev/shm", "tmpfs"),
        ("/tmp", "tmpfs"),
    ] {
        assert_eq!(
            t.find(p).map(|e| e.fstype.as_str()),
            Some(fstype),
            "{p}: {t:?}"
        );
    }
    assert!(t.find("/dev/null").is_some());
    assert!(t.find("/data").unwrap().is_read_only());
    // Nothing of the host's mount table remains.
    assert!(t.find("/sys").is_none(), "{t:?}");
    let croot = PathBuf::from(format!("/proc/{pid}/root"));
    assert_eq!(std::fs::read(croot.join("marker")).unwrap(), b"new root");
    assert_eq!(
        std::fs::read(croot.join("data/hello")).unwrap(),
        b"from the host"
    );
    assert!(std::fs::write(croot.join("data/x"), b"x").is_err());
    assert!(std::fs::write(croot.join("marker2"), b"x").is_err());
    std::fs::write(croot.join("tmp/ok"), b"x").unwrap();
    std::fs::write(croot.join("dev/null"), b"discarded").unwrap();
    // proc shows the child's pid namespace: only its pid 1.
    let pids: BTreeSet<String> = std::fs::read_dir(croot.join("proc"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(pids, BTreeSet::from(["1".to_string()]));
}

#[test]
fn mnt_10_setup_rootfs_put_old() {
    let Some(child) = Parked::spawn(false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = tmp.path().join("rootfs");
    make_rootfs(&rootfs);
    let mut spec = RootfsSpec::new(&rootfs).pivot(PivotMode::PutOld("old".into()));
    spec.dev = false;
    spec.proc = false;
    mount::setup_rootfs(&child.target(), &spec).unwrap();
    let t = mount::list_pid(child.pid).unwrap();
    assert!(t.find("/old").is_some(), "{t:?}");
    assert!(t.find("/tmp").is_some(), "{t:?}");
    assert!(t.find("/proc").is_none(), "{t:?}");
}

#[test]
fn mnt_11_cross_namespace_mounts_stay_in_the_child() {
    let Some(child) = Parked::spawn(true) else {
        return;
    };
    let m = child.mounts();
    // proc for the child's pid namespace.
    m.mount_proc(
        "/proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
    )
    .unwrap();
    let t = mount::list_pid(child.pid).unwrap();
    let proc_entry = t.find("/proc").unwrap();
    assert_eq!(proc_entry.fstype, "proc");
    let pids: BTreeSet<String> = std::fs::read_dir(format!("/proc/{}/root/proc", child.pid))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(
        pids,
        BTreeSet::from(["1".to_string()]),
        "only the child's pid 1"
    );
    // A tmpfs into the running child is invisible on the host.
    let tmp = tempfile::tempdir().unwrap();
    m.mount("linx-x", tmp.path(), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    assert!(m.list().unwrap().find(tmp.path()).is_some());
    assert!(!host_has_mount_at(tmp.path()));
    m.umount(tmp.path(), UnmountFlags::empty()).unwrap();
    assert!(m.list().unwrap().find(tmp.path()).is_none());
    // By pidfd as well.
    let pidfd = linx::pidfd::Pidfd::open(child.pid).unwrap();
    let by_fd = Mounts::new(NsTarget::pidfd(pidfd));
    by_fd
        .mount("linx-y", tmp.path(), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    assert_eq!(
        by_fd.list().unwrap().find(tmp.path()).unwrap().source,
        "linx-y"
    );
    assert!(!host_has_mount_at(tmp.path()));
    // Relative paths are refused for a foreign namespace.
    let e = m.umount("relative", UnmountFlags::empty()).unwrap_err();
    assert!(e.is_input(), "{e}");
}

#[test]
fn mnt_13_create_mount_point_in_a_namespace() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let base = f.path("cmp");
    m.mount("tmpfs", &base, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    m.create_mount_point(base.join("a/b/dir"), MountPointKind::Dir)
        .unwrap();
    m.create_mount_point(base.join("a/node"), MountPointKind::File)
        .unwrap();
    let (dir_ok, file_ok) =
        f.inside(|| (base.join("a/b/dir").is_dir(), base.join("a/node").is_file()));
    assert!(dir_ok && file_ok);
    // Created inside the namespace's tmpfs, not on the host's directory underneath.
    assert!(!base.join("a").exists());
    m.bind("/dev/null", base.join("a/node"), false).unwrap();
    f.inside(|| {
        std::os::unix::fs::symlink("/", base.join("link")).unwrap();
    });
    let e = m
        .create_mount_point(base.join("link/linx-escape"), MountPointKind::Dir)
        .unwrap_err();
    assert_eq!(e.errno(), Some(Errno::LOOP), "{e}");
    assert!(!Path::new("/linx-escape").exists());
}

#[test]
fn mnt_14_root_resolution_defeats_symlink_attacks() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let rootfs = f.path("rootfs");
    m.mount("tmpfs", &rootfs, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let src = f.path("src");
    std::fs::write(src.join("payload"), b"p").unwrap();
    let landed = m
        .run(|| {
            std::os::unix::fs::symlink("/", rootfs.join("etc")).unwrap();
            let root = Root::open(&rootfs)?;
            root.create("x", MountPointKind::Dir)?;
            // etc -> / resolves to the rootfs itself: the bind lands on <rootfs>/x.
            root.bind(&src, "etc/x", false)?;
            let e = root.create("etc/y", MountPointKind::Dir).unwrap_err();
            assert_eq!(e.errno(), Some(Errno::LOOP), "{e}");
            // Classic mount(2) through the resolved fd, too.
            root.create("t", MountPointKind::Dir)?;
            root.mount("linx-root", "etc/t", "tmpfs", MountFlags::empty(), "")?;
            Ok(std::fs::read(rootfs.join("x/payload")).ok())
        })
        .unwrap();
    assert_eq!(landed.as_deref(), Some(&b"p"[..]));
    let t = m.list().unwrap();
    assert!(t.find(rootfs.join("x")).is_some());
    assert_eq!(t.find(rootfs.join("t")).unwrap().source, "linx-root");
    assert!(t.find("/x").is_none() && t.find("/t").is_none());
    assert!(!Path::new("/y").exists());
}

#[test]
fn mnt_15_new_mount_api_detached_trees() {
    let Some(f) = Fresh::new() else { return };
    if !mount::probe_new_api().is_usable() {
        linx_testkit::skip("no new mount API");
        return;
    }
    let m = f.mounts();
    // fsopen/fsconfig/fsmount, attached in the namespace.
    let fs = FsContext::new("tmpfs").unwrap();
    fs.set_string("size", "8M").unwrap();
    fs.set_source("linx-new").unwrap();
    let tree = fs.mount(MountAttr::NOSUID).unwrap();
    let dst = f.path("fsmount");
    m.attach(&tree, &dst).unwrap();
    let t = m.list().unwrap();
    let e = t.find(&dst).unwrap();
    assert_eq!(e.source, "linx-new");
    assert!(e.mount_option_list().any(|o| o == "nosuid"));
    assert!(e.super_option_list().any(|o| o == "size=8192k"));
    // The kernel's own message for a bad value.
    let bad = FsContext::new("tmpfs").unwrap();
    let err = bad.set_string("size", "lots").unwrap_err();
    assert_eq!(err.errno(), Some(Errno::INVAL), "{err}");
    assert!(err.to_string().contains("size"), "{err}");
    // open_tree clone + recursive read-only with mount_setattr.
    let src = f.path("tree");
    m.mount("top", &src, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    f.inside(|| std::fs::create_dir(src.join("sub")).unwrap());
    m.mount("sub", src.join("sub"), "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let ro = f.path("ro");
    m.bind_ro(&src, &ro, true).unwrap();
    let t = m.list().unwrap();
    assert!(t.find(&ro).unwrap().is_read_only());
    assert!(t.find(ro.join("sub")).unwrap().is_read_only(), "recursive");
    assert!(!t.find(src.join("sub")).unwrap().is_read_only());
    let clone_dst = f.path("clone");
    m.run(|| {
        let clone = DetachedMount::clone_tree(&src, true)?;
        clone.set_attr(
            &MountSetAttr::new()
                .set(MountAttr::NOEXEC)
                .atime(linx::mount::Atime::Noatime),
            true,
        )?;
        clone.attach(&clone_dst)
    })
    .unwrap();
    let t = m.list().unwrap();
    let c = t.find(clone_dst.join("sub")).expect("recursive clone");
    assert!(c.mount_option_list().any(|o| o == "noexec"), "{c:?}");
    assert!(c.mount_option_list().any(|o| o == "noatime"), "{c:?}");
    // set_attr on an attached path.
    m.set_attr(
        &clone_dst,
        &MountSetAttr::new().set(MountAttr::RDONLY),
        false,
    )
    .unwrap();
    assert!(m.list().unwrap().find(&clone_dst).unwrap().is_read_only());
}

/// A child in a new user namespace with `0 100000 65536` maps; gives the userns fd.
fn userns_child() -> (Child, std::fs::File) {
    let child = Command::new("unshare")
        .args(["-U", "sleep", "600"])
        .spawn()
        .expect("spawn unshare -U");
    let pid = child.id();
    for _ in 0..1000 {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "sleep" {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(format!("/proc/{pid}/uid_map"), "0 100000 65536").unwrap();
    std::fs::write(format!("/proc/{pid}/gid_map"), "0 100000 65536").unwrap();
    let fd = std::fs::File::open(format!("/proc/{pid}/ns/user")).unwrap();
    (child, fd)
}

/// Idmapped mounts map on-disk ids *down* through the user namespace's map (the kernel's
/// `make_vfsuid`): with `0 100000 65536`, a file owned by on-disk uid 0 shows as 100000 to the
/// host — which a process inside the user namespace sees as its uid 0 — and on-disk uid 100000
/// (outside the map's inner range) shows as the overflow id.
#[test]
fn mnt_16_idmapped_mount() {
    let Some(f) = Fresh::new() else { return };
    if !require_tool("unshare") || !require_tool("nsenter") {
        return;
    }
    let m = f.mounts();
    let src = f.path("idsrc");
    m.mount("tmpfs", &src, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    f.inside(|| {
        std::fs::write(src.join("root-owned"), b"x").unwrap();
        std::fs::write(src.join("shifted"), b"x").unwrap();
        std::os::unix::fs::chown(src.join("shifted"), Some(100000), Some(100000)).unwrap();
    });
    let (mut child, userns) = userns_child();
    let dst = f.path("iddst");
    let result = m.run(|| {
        let tree = DetachedMount::clone_tree(&src, false)?;
        tree.idmap(userns.as_fd(), false)?;
        tree.attach(&dst)
    });
    match result {
        Ok(()) => {}
        Err(e) if e.errno() == Some(Errno::INVAL) => {
            let _ = child.kill();
            let _ = child.wait();
            assert!(e.to_string().contains("idmapped"), "{e}");
            linx_testkit::skip(&format!("tmpfs refuses idmapped mounts here: {e}"));
            return;
        }
        Err(e) => panic!("{e}"),
    }
    let ids = |name: &str| {
        let p = dst.join(name);
        f.inside(move || {
            let md = std::fs::metadata(p).unwrap();
            (md.uid(), md.gid())
        })
    };
    assert_eq!(ids("root-owned"), (100000, 100000));
    assert_eq!(
        ids("shifted"),
        (65534, 65534),
        "outside the map: overflow id"
    );
    // Seen from inside the user namespace, the root-owned file belongs to its uid 0.
    let inside = f
        ._ns
        .command("nsenter")
        .args([
            "-t",
            &child.id().to_string(),
            "-U",
            "--preserve-credentials",
            "stat",
            "-c",
            "%u",
        ])
        .arg(dst.join("root-owned"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&inside.stdout).trim(),
        "0",
        "{inside:?}"
    );
    // A filesystem without idmap support (procfs) refuses, with the explanation.
    let refused = m
        .run(|| {
            let tree = DetachedMount::clone_tree("/proc", false)?;
            tree.idmap(userns.as_fd(), false)
        })
        .unwrap_err();
    assert_eq!(refused.errno(), Some(Errno::INVAL), "{refused}");
    assert!(
        refused
            .to_string()
            .contains("does not support idmapped mounts"),
        "{refused}"
    );
    // Idmapping it again (it is attached and already idmapped) is refused, with the explanation.
    let e = m
        .set_attr(&dst, &MountSetAttr::new().idmap(userns.as_fd()), false)
        .unwrap_err();
    let _ = child.kill();
    let _ = child.wait();
    assert!(matches!(e.errno(), Some(Errno::INVAL | Errno::PERM)), "{e}");
    assert!(e.to_string().contains("detached clone"), "{e}");
}

#[test]
fn mnt_17_detached_host_dir_attached_in_a_child() {
    let Some(child) = Parked::spawn(false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let host_dir = tmp.path().join("hostdir");
    std::fs::create_dir(&host_dir).unwrap();
    std::fs::write(host_dir.join("secret"), b"host data").unwrap();
    let dst = tmp.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    let m = child.mounts();
    // Hide the host path inside the child: an empty tmpfs over the whole scratch dir's parent
    // view of hostdir.
    m.mount("hide", &host_dir, "tmpfs", MountFlags::empty(), "")
        .unwrap();
    let tree = DetachedMount::clone_tree(&host_dir, false).unwrap();
    m.attach(&tree, &dst).unwrap();
    let croot = PathBuf::from(format!("/proc/{}/root", child.pid));
    let inner = |p: &Path| croot.join(p.strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read(inner(&dst).join("secret")).unwrap(),
        b"host data"
    );
    assert!(
        !inner(&host_dir).join("secret").exists(),
        "host path hidden in the child"
    );
    assert!(!host_has_mount_at(&dst));
}

/// listmount/statmount agree with mountinfo on every mount of a namespace, and give unique ids.
#[test]
fn mnt_18_unique_ids_agree_with_mountinfo() {
    let Some(f) = Fresh::new() else { return };
    let m = f.mounts();
    let a = f.path("u");
    m.mount("tmpfs", &a, "tmpfs", MountFlags::RDONLY, "")
        .unwrap();
    m.set_propagation(&a, Propagation::Shared, false).unwrap();
    let uniq = match m.list_unique() {
        Ok(u) => u,
        Err(linx::Error::Unsupported(u)) => {
            linx_testkit::skip(&format!("no listmount/statmount: {u}"));
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let table = m.list().unwrap();
    assert_eq!(uniq.len(), table.entries.len());
    let ids: BTreeSet<u64> = uniq.iter().map(|s| s.mnt_id).collect();
    assert_eq!(ids.len(), uniq.len(), "unique ids are unique");
    for s in &uniq {
        let e = table.by_id(s.mnt_id_old).expect("same mount in mountinfo");
        assert_eq!(e.mount_point, s.mount_point);
        assert_eq!(e.root, s.root);
        assert_eq!(e.fstype.split('.').next(), Some(s.fstype.as_str()));
        assert_eq!((e.major, e.minor), (s.major, s.minor));
        assert_eq!(e.parent_id, s.parent_id_old);
        assert_eq!(e.is_read_only(), s.is_read_only(), "{e:?} {s:?}");
        assert_eq!(e.peer_group().map(u64::from).unwrap_or(0), s.peer_group);
    }
    let mine = uniq.iter().find(|s| s.mount_point == a).unwrap();
    assert!(mine.is_read_only() && mine.peer_group != 0);
    assert_ne!(mine.mnt_id, u64::from(mine.mnt_id_old), "{mine:?}");
}
