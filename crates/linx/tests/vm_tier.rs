//! VM tier: what the host kernel cannot show, checked inside the qemu guest of
//! `cargo xtask vm-test` (Debian's kernel, pure cgroup v2, loadable dummy/vlan/ipvlan drivers).
//!
//! Every test starts with [`linx_testkit::require_vm`], so outside the guest it skips with a reason
//! (and fails under `LINX_REQUIRE_PRIVILEGED=1`; the host tier excludes `vm_*` binaries).

use std::fs;

/// The guest mounts a pure cgroup v2 hierarchy at /sys/fs/cgroup with the usual controllers.
#[test]
fn vm_cgroup_v2_controllers() {
    if !linx_testkit::require_vm("a pure cgroup v2 hierarchy") {
        return;
    }
    let controllers = fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .expect("read /sys/fs/cgroup/cgroup.controllers");
    let controllers: Vec<&str> = controllers.split_whitespace().collect();
    for wanted in ["memory", "pids", "cpu"] {
        assert!(
            controllers.contains(&wanted),
            "controller {wanted} missing from {controllers:?}"
        );
    }

    // mountinfo: "id parent maj:min root mount-point options [optional…] - fstype source super-options"
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    let fstype = mountinfo.lines().find_map(|line| {
        let mut fields = line.split(' ');
        let mount_point = fields.nth(4)?;
        if mount_point != "/sys/fs/cgroup" {
            return None;
        }
        let mut after_dash = fields.skip_while(|f| *f != "-");
        after_dash.next();
        after_dash.next()
    });
    assert_eq!(
        fstype,
        Some("cgroup2"),
        "/sys/fs/cgroup is not a cgroup2 mount:\n{mountinfo}"
    );
}

/// The guest kernel loads the dummy driver on demand (the host kernel lacks it).
#[test]
fn vm_dummy_link() {
    if !linx_testkit::require_vm("the dummy link driver") {
        return;
    }
    let ns = linx_testkit::NetNs::new().expect("create a network namespace");
    ns.ip(&["link", "add", "d0", "type", "dummy"]);
    let json = ns.ip(&["-j", "link", "show", "d0"]);
    let links: serde_json::Value = serde_json::from_str(&json).expect("ip -j output is JSON");
    let links = links.as_array().expect("ip -j link show gives an array");
    assert_eq!(links.len(), 1, "{json}");
    assert_eq!(links[0]["ifname"], "d0", "{json}");
    assert_eq!(links[0]["link_type"], "ether", "{json}");
}

/// The guest root is the host's, read-only underneath but writable through an overlay, so tests can
/// use the temp dir and `CARGO_TARGET_TMPDIR` there without touching the host.
#[test]
fn vm_scratch_dirs_writable() {
    if !linx_testkit::require_vm("the guest's overlay root") {
        return;
    }
    for dir in [std::env::temp_dir(), env!("CARGO_TARGET_TMPDIR").into()] {
        let path = dir.join(format!("linx-vm-{}", std::process::id()));
        fs::write(&path, b"ok").unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        assert_eq!(fs::read(&path).unwrap(), b"ok");
        fs::remove_file(&path).unwrap();
    }
}

/// linx's own discovery (mountinfo, not a hard-coded path) finds the pure v2 hierarchy and reports
/// the essential controllers as available.
#[test]
fn vm_cg_01_linx_discovers_pure_v2() {
    if !linx_testkit::require_vm("a pure cgroup v2 hierarchy") {
        return;
    }
    let h = linx::cgroup::hierarchy().expect("cgroup v2 hierarchy");
    assert_eq!(h.mount_point, std::path::Path::new("/sys/fs/cgroup"));
    for c in ["memory", "pids", "cpu"] {
        assert!(h.controllers.iter().any(|x| x == c), "{c} missing: {h:?}");
        assert!(
            !h.unavailable.iter().any(|(x, _)| x == c),
            "{c} reported unavailable: {h:?}"
        );
    }
    let probe = linx::cgroup::probe();
    assert_eq!(probe.status, linx::probe::Status::Available, "{probe}");
    assert!(linx::cgroup::supported());
}

/// A dummy link created in a fresh namespace decodes through linx's netlink stack with its kind.
#[test]
fn vm_rt_02_linx_decodes_dummy_link() {
    if !linx_testkit::require_vm("the dummy link driver") {
        return;
    }
    let ns = linx_testkit::NetNs::new().expect("create a network namespace");
    ns.ip(&["link", "add", "d1", "type", "dummy"]);
    ns.ip(&["link", "set", "d1", "mtu", "1280"]);
    let target = linx::ns::NsTarget::fd(ns.try_clone_fd().unwrap());
    let mut rtnl = linx::rtnl::Rtnl::open(&target).expect("rtnl in the namespace");
    let d1 = rtnl.link_by_name("d1").expect("d1");
    assert_eq!(d1.kind(), Some("dummy"));
    assert_eq!(d1.mtu, Some(1280));
    // Besides lo and d1 a fresh namespace may hold the fallback devices of tunnel modules that
    // earlier tests loaded (gre0, sit0 …); d1 and lo must be there, and d1 only once.
    let names: Vec<String> = rtnl.links().unwrap().into_iter().map(|l| l.name).collect();
    assert!(names.iter().any(|n| n == "lo"), "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "d1").count(), 1, "{names:?}");
}
