//! VM tier for mounts: the fd-based API and recursive `mount_setattr` on the guest's Debian
//! kernel (6.1, older than the host's). (Idmapped mounts need a user namespace, which a chrooted
//! process may not create; their refusal path is tested on the host with procfs.)
//!
//! The guest runs the tests in a chroot; `setns(CLONE_NEWNS)` gives a thread the namespace's
//! real root, so these tests create their paths from inside the namespace.

use std::path::PathBuf;

use linx::mount::{self, MountFlags, Mounts};
use linx::ns::NsTarget;

/// A fresh mount namespace and a scratch directory created *inside* it: the guest runs the tests
/// in a chroot, and `setns(CLONE_NEWNS)` resets a thread's root to the namespace's real root, so
/// paths are made where the namespace thread sees them.
fn fresh(what: &str) -> Option<(linx_testkit::MountNs, Mounts, PathBuf)> {
    if !linx_testkit::require_vm(what) {
        return None;
    }
    let ns = linx_testkit::MountNs::new().unwrap();
    let m = Mounts::new(NsTarget::fd(ns.try_clone_fd().unwrap()));
    let dir = PathBuf::from(format!("/tmp/linx-vm-mount-{}", std::process::id()));
    let d = dir.clone();
    m.run(move || {
        std::fs::create_dir_all(&d).unwrap();
        mount::mount("tmpfs", &d, "tmpfs", MountFlags::empty(), "")
    })
    .unwrap();
    Some((ns, m, dir))
}

/// The fd-based API and recursive mount_setattr on the guest kernel.
#[test]
fn vm_mnt_15_new_api_on_the_guest_kernel() {
    let Some((_ns, m, dir)) = fresh("the guest kernel's mount API") else {
        return;
    };
    let (src, dst) = (dir.join("src"), dir.join("dst"));
    let sub_ro = m
        .run(|| {
            std::fs::create_dir_all(src.join("sub")).unwrap();
            std::fs::create_dir_all(&dst).unwrap();
            let fs = linx::mount::FsContext::new("tmpfs")?;
            fs.set_string("size", "4M")?;
            fs.mount(linx::mount::MountAttr::empty())?
                .attach(src.join("sub"))?;
            mount::bind_ro(&src, &dst, true)?;
            Ok(std::fs::write(dst.join("sub/x"), b"x").is_err())
        })
        .unwrap();
    assert!(sub_ro, "the submount of a recursive bind_ro is read-only");
    let t = m.list().unwrap();
    assert!(t.find(dst.join("sub")).unwrap().is_read_only());
}

/// listmount/statmount (Linux 6.8) are missing on the guest's 6.1: a typed `Unsupported`.
#[test]
fn vm_mnt_18_unique_ids_unsupported_before_6_8() {
    let Some((_ns, m, _dir)) = fresh("the guest kernel (6.1)") else {
        return;
    };
    match m.list_unique() {
        Err(linx::Error::Unsupported(u)) => assert!(u.reason.contains("6.8"), "{u}"),
        Ok(v) => assert!(!v.is_empty(), "a newer guest kernel lists mounts"),
        Err(e) => panic!("{e}"),
    }
}
