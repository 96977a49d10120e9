//! Kernel tier: named network namespaces (NL-17). Everything runs inside a private mount
//! namespace with a tmpfs on /run/netns, so the host's /run/netns is never touched.

use linx::error::Errno;
use linx::ns::{NsSet, NsTarget};
use linx::rtnl::{LinkSpec, Rtnl, netns};
use linx_testkit::{MountNs, require_root};

#[test]
fn nl_17_create_list_use_delete() {
    if !require_root() {
        return;
    }
    let mnt = MountNs::new().expect("private mount namespace");
    mnt.run("mount", &["-t", "tmpfs", "linx-nl17", "/run/netns"]);
    let inside = NsTarget::fd(mnt.try_clone_fd().unwrap());
    inside
        .run(NsSet::MOUNT, || {
            let t = netns::create("linx-nl17-a").unwrap();
            assert!(matches!(t, NsTarget::Named(ref n) if n == "linx-nl17-a"));
            netns::create("linx-nl17-b").unwrap();
            assert_eq!(netns::list().unwrap(), ["linx-nl17-a", "linx-nl17-b"]);
            // Usable as a target: a fresh namespace holding only lo.
            let mut rtnl = Rtnl::open(&t).unwrap();
            let names: Vec<String> = rtnl.links().unwrap().into_iter().map(|l| l.name).collect();
            assert_eq!(names, ["lo"]);
            rtnl.create_link(&LinkSpec::veth("n0", "n1")).unwrap();
            // Reopening by name finds the same namespace.
            let mut again = Rtnl::open(&NsTarget::named("linx-nl17-a").unwrap()).unwrap();
            assert!(again.link_by_name("n0").is_ok());
            // The two namespaces are distinct.
            let mut b = Rtnl::open(&NsTarget::named("linx-nl17-b").unwrap()).unwrap();
            assert!(b.link_by_name("n0").is_err());
            let e = netns::create("linx-nl17-a").unwrap_err();
            assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
            assert!(e.to_string().contains("/run/netns/linx-nl17-a"), "{e}");
            netns::delete("linx-nl17-a").unwrap();
            netns::delete("linx-nl17-b").unwrap();
            assert!(netns::list().unwrap().is_empty());
            let e = netns::delete("linx-nl17-a").unwrap_err();
            assert_eq!(e.errno(), Some(Errno::NOENT), "{e}");
            // `ip netns` sees what linx creates.
            netns::create("linx-nl17-c").unwrap();
            let out = std::process::Command::new("ip")
                .args(["netns", "list"])
                .output()
                .unwrap();
            let out = String::from_utf8_lossy(&out.stdout);
            assert!(out.contains("linx-nl17-c"), "{out}");
            netns::delete("linx-nl17-c").unwrap();
        })
        .unwrap();
    // Another directory, also inside the private mount namespace.
    inside
        .run(NsSet::MOUNT, || {
            let dir = std::path::Path::new("/run/netns/sub");
            let t = netns::create_in(dir, "x").unwrap();
            assert!(Rtnl::open(&t).unwrap().links().is_ok());
            assert_eq!(netns::list_in(dir).unwrap(), ["x"]);
            netns::delete_in(dir, "x").unwrap();
        })
        .unwrap();
}
