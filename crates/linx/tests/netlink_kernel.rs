//! Kernel tier: the netlink transport and namespace targeting against the real kernel.
//! Every test that changes anything does so in a fresh network namespace.

use std::io::Write;
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::Duration;

use linx::Error;
use linx::netlink::wire::{self, MsgBuilder, flags};
use linx::netlink::{NetlinkSocket, Protocol, Received, Request, genl};
use linx::ns::{NsKind, NsSet, NsTarget};
use linx::rtnl::{RTM_GETLINK, RTM_NEWLINK, Rtnl};
use linx_testkit::{NetNs, require_root};

fn fresh() -> Option<(NetNs, NsTarget)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("create a network namespace");
    let target = NsTarget::fd(ns.try_clone_fd().expect("dup netns fd"));
    Some((ns, target))
}

fn own_netns_inode() -> u64 {
    use std::os::linux::fs::MetadataExt;
    std::fs::metadata("/proc/thread-self/ns/net")
        .unwrap()
        .st_ino()
}

#[test]
fn nl_01_open_in_foreign_namespace_keeps_caller_thread() {
    let Some((ns, target)) = fresh() else { return };
    let before = own_netns_inode();
    let mut rtnl = Rtnl::open(&target).expect("open rtnl in the new netns");
    assert_eq!(
        own_netns_inode(),
        before,
        "the caller's thread changed namespace"
    );
    let names: Vec<String> = rtnl.links().unwrap().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["lo"], "a fresh netns holds only lo");
    // Links created later in that namespace are seen through the same socket: it stays bound.
    ns.ip(&[
        "link", "add", "nl01a", "type", "veth", "peer", "name", "nl01b",
    ]);
    let mut names: Vec<String> = rtnl.links().unwrap().into_iter().map(|l| l.name).collect();
    names.sort();
    assert_eq!(names, ["lo", "nl01a", "nl01b"]);
}

#[test]
fn nl_01_target_by_pid_and_by_path() {
    let Some((ns, _)) = fresh() else { return };
    ns.ip(&[
        "link", "add", "nl01p", "type", "veth", "peer", "name", "nl01q",
    ]);
    let mut child = ns
        .command("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep in the netns");
    let pid = child.id() as i32;
    for target in [
        NsTarget::Pid(pid),
        NsTarget::pidfd(linx::pidfd::Pidfd::open(pid).unwrap()),
        NsTarget::path(format!("/proc/{pid}/ns/net")),
    ] {
        let mut rtnl = Rtnl::open(&target).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert!(rtnl.link_by_name("nl01p").is_ok(), "{target}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A dead process is a typed state error naming the target, never another namespace.
    let e = Rtnl::open(&NsTarget::Pid(pid)).unwrap_err();
    assert!(matches!(e, Error::State(_)), "{e}");
}

#[test]
fn nl_01_mount_namespace_entry_unshares_fs() {
    if !require_root() {
        return;
    }
    let mnt = linx_testkit::MountNs::new().expect("mount namespace");
    mnt.run("mount", &["-t", "tmpfs", "linx-nl01-tmpfs", "/mnt"]);
    let target = NsTarget::fd(mnt.try_clone_fd().unwrap());
    let inside = target
        .run(NsSet::MOUNT, || {
            std::fs::read_to_string("/proc/thread-self/mountinfo")
        })
        .expect("run in the mount namespace")
        .expect("read mountinfo");
    assert!(inside.contains("linx-nl01-tmpfs"), "{inside}");
    let outside = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !outside.contains("linx-nl01-tmpfs"),
        "the mount leaked to the host"
    );
    // Asking for the wrong kind from a namespace fd is a typed input error.
    let e = target.run(NsSet::NET, || ()).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(target.open(NsKind::Mount).is_ok());
}

#[test]
fn nl_02_port_ids_are_assigned_and_distinct() {
    let a = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    let b = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    assert_ne!(a.port_id(), 0);
    assert_ne!(a.port_id(), b.port_id());
}

#[test]
fn rt_01_unknown_interface_is_enodev_naming_it() {
    // Works unprivileged.
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let links = rtnl.links().unwrap();
    assert!(links.iter().any(|l| l.name == "lo"));
    let e = rtnl.link_by_name("nosuchif0").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NODEV));
    assert!(
        e.to_string()
            .starts_with("netlink: RTM_GETLINK \"nosuchif0\": ENODEV (errno 19)"),
        "{e}"
    );
    let lo = rtnl.link_by_name("lo").unwrap();
    assert_eq!(rtnl.link_by_index(lo.index).unwrap().name, "lo");
    assert!(rtnl.link_by_index(0).unwrap_err().is_input());
    assert!(
        rtnl.link_by_name("this-name-is-too-long")
            .unwrap_err()
            .is_input()
    );
}

#[test]
fn nl_09_extended_ack_names_the_bad_attribute() {
    let Some((_ns, target)) = fresh() else { return };
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    // RTM_NEWLINK for a veth whose IFLA_MTU has the wrong size (2 bytes instead of 4).
    let mut b = MsgBuilder::new(RTM_NEWLINK, flags::CREATE | flags::EXCL);
    b.push_header(&[0u8; 16]);
    b.attr_str(3, "nl09");
    b.attr_u16(4, 1400);
    let li = b.begin_nested(18);
    b.attr_str(1, "veth");
    b.end_nested(li);
    let req = Request::new(b, "RTM_NEWLINK")
        .unwrap()
        .with_attr_namer(linx::rtnl::link::attr_path_name);
    let e = sock.request_ack(&req).unwrap_err();
    let Error::Os(os) = &e else {
        panic!("expected an OS error, got {e}")
    };
    assert_eq!(os.errno, rustix::io::Errno::RANGE, "{e}");
    assert!(
        os.context.extack.as_deref().is_some_and(|t| !t.is_empty()),
        "no extended-ack text: {e}"
    );
    assert_eq!(os.context.attr_path.as_deref(), Some("IFLA_MTU"), "{e}");
    // The socket stays usable.
    assert_eq!(Rtnl::from_socket(sock).links().unwrap().len(), 1);
}

#[test]
fn nl_08_stale_replies_are_discarded_by_sequence() {
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    // A hand-made request whose reply we never read.
    let mut b = MsgBuilder::new(RTM_GETLINK, flags::REQUEST | flags::ACK);
    b.push_header(&[0u8; 16]);
    b.attr_str(3, "lo");
    let mut raw = b.finish().unwrap();
    let seq = sock.next_seq();
    raw[8..12].copy_from_slice(&seq.to_ne_bytes());
    sock.send_raw(&raw).unwrap();
    // The next request gets its own answer, not the stale one.
    let mut rtnl = Rtnl::from_socket(sock);
    let lo = rtnl.link_by_name("lo").unwrap();
    assert_eq!(lo.name, "lo");
    let sock = rtnl.socket_mut();
    sock.set_timeout(Some(Duration::from_millis(50)));
    assert_eq!(
        sock.recv_raw(Some(Duration::from_millis(50))).unwrap(),
        None
    );
}

#[test]
fn nl_10_dump_collects_multipart_and_reports_interruption_flag() {
    let Some((ns, target)) = fresh() else { return };
    // Enough links that the dump spans several datagrams.
    let mut batch = String::new();
    for i in 0..150 {
        batch.push_str(&format!("link add nl10a{i} type veth peer name nl10b{i}\n"));
    }
    run_ip_batch(&ns, &batch);
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    let mut b = MsgBuilder::new(RTM_GETLINK, 0);
    b.push_header(&[0u8; 16]);
    let req = Request::new(b, "RTM_GETLINK").unwrap();
    let r = sock.dump(&req).unwrap();
    assert_eq!(r.messages.len(), 301);
    assert!(!r.interrupted);
    let mut datagram_sized = 0;
    let n = sock
        .dump_with(&req, |m| {
            datagram_sized += m.payload.len();
            Ok(())
        })
        .unwrap();
    assert!(!n);
    assert!(
        datagram_sized > 32 * 1024,
        "the dump was expected to exceed one datagram"
    );
    // A callback error is returned after the dump is consumed; the socket stays usable.
    let e = sock
        .dump_with(&req, |_| {
            Err(Error::input(
                linx::error::Subsystem::Netlink,
                "test",
                "x",
                "stop",
            ))
        })
        .unwrap_err();
    assert!(e.is_input());
    assert_eq!(sock.dump_consistent(&req, 2).unwrap().len(), 301);
}

fn run_ip_batch(ns: &NetNs, batch: &str) {
    let mut child = ns
        .command("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn ip -batch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(batch.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "ip -batch failed");
}

#[test]
fn nl_14_multicast_link_events() {
    let Some((ns, target)) = fresh() else { return };
    let mut mon = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    mon.join_group(1).unwrap(); // RTNLGRP_LINK
    assert_eq!(
        mon.recv_multicast(Some(Duration::from_millis(20))).unwrap(),
        None
    );
    ns.ip(&[
        "link", "add", "nl14a", "type", "veth", "peer", "name", "nl14b",
    ]);
    let mut seen = Vec::new();
    while let Some(r) = mon.recv_multicast(Some(Duration::from_secs(2))).unwrap() {
        let Received::Messages(msgs) = r else {
            panic!("unexpected overrun")
        };
        for m in msgs {
            if m.header.msg_type == RTM_NEWLINK {
                seen.push(linx::rtnl::Link::decode(&m.payload).unwrap().name);
            }
        }
        if seen.iter().any(|n| n == "nl14a") && seen.iter().any(|n| n == "nl14b") {
            break;
        }
    }
    assert!(seen.iter().any(|n| n == "nl14a"), "{seen:?}");
    assert!(
        mon.as_fd().try_clone_to_owned().is_ok(),
        "the socket is pollable via AsFd"
    );
}

#[test]
fn nl_13_overrun_is_an_event_and_the_socket_recovers() {
    let Some((ns, target)) = fresh() else { return };
    let mut mon = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    mon.join_group(1).unwrap();
    let effective = mon.set_recv_buffer(1).unwrap();
    assert!(effective < 16 * 1024, "buffer {effective}");
    let mut batch = String::new();
    for i in 0..200 {
        batch.push_str(&format!("link add nl13a{i} type veth peer name nl13b{i}\n"));
    }
    run_ip_batch(&ns, &batch);
    let mut overrun = false;
    while let Some(r) = mon
        .recv_multicast(Some(Duration::from_millis(200)))
        .unwrap()
    {
        if r == Received::Overrun {
            overrun = true;
            break;
        }
    }
    assert!(overrun, "200 link pairs into a tiny buffer must overrun");
    // Drained and usable: a new event arrives.
    while mon
        .recv_multicast(Some(Duration::from_millis(50)))
        .unwrap()
        .is_some()
    {}
    ns.ip(&["link", "set", "nl13a0", "up"]);
    let r = mon.recv_multicast(Some(Duration::from_secs(2))).unwrap();
    assert!(matches!(r, Some(Received::Messages(_))), "{r:?}");
}

#[test]
fn nl_13_overrun_during_a_dump_is_typed() {
    let Some((ns, target)) = fresh() else { return };
    let mut batch = String::new();
    for i in 0..50 {
        batch.push_str(&format!("link add nl13d{i} type veth peer name nl13e{i}\n"));
    }
    run_ip_batch(&ns, &batch);
    // A socket that is also a multicast member, flooded while a request waits.
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    sock.join_group(1).unwrap();
    sock.set_recv_buffer(1).unwrap();
    let mut batch = String::new();
    for i in 0..50 {
        batch.push_str(&format!("link set nl13d{i} up\nlink set nl13d{i} down\n"));
    }
    run_ip_batch(&ns, &batch);
    let mut rtnl = Rtnl::from_socket(sock);
    match rtnl.links() {
        Err(Error::Overrun { .. }) => {}
        other => panic!("expected Overrun, got {other:?}"),
    }
    // After the overrun the socket was drained: the next request works.
    rtnl.socket_mut().leave_group(1).unwrap();
    while rtnl
        .socket_mut()
        .recv_raw(Some(Duration::from_millis(20)))
        .unwrap()
        .is_some()
    {}
    assert_eq!(rtnl.links().unwrap().len(), 101);
}

#[test]
fn nl_12_timeouts_leave_the_socket_usable() {
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    assert_eq!(sock.timeout(), Some(Duration::from_secs(5)));
    // Nothing was asked: a bounded receive returns None after the timeout.
    assert_eq!(
        sock.recv_raw(Some(Duration::from_millis(30))).unwrap(),
        None
    );
    let mut rtnl = Rtnl::from_socket(sock);
    assert!(rtnl.links().is_ok());
}

#[test]
fn nl_16_generic_netlink_families() {
    let mut sock = NetlinkSocket::open(Protocol::GENERIC, &NsTarget::Current).unwrap();
    let ctrl = genl::resolve_family(&mut sock, "nlctrl").unwrap();
    assert_eq!(ctrl.id, genl::GENL_ID_CTRL);
    assert!(ctrl.mcast_groups.iter().any(|g| g.name == "notify"));
    let all = genl::list_families(&mut sock).unwrap();
    assert!(all.iter().any(|f| f.name == "nlctrl"));
    let e = genl::resolve_family(&mut sock, "linxnosuchfam").unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT), "{e}");
    assert!(e.to_string().contains("linxnosuchfam"), "{e}");
    assert!(genl::resolve_family(&mut sock, "").unwrap_err().is_input());
    let mut route = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    assert!(
        genl::resolve_family(&mut route, "nlctrl")
            .unwrap_err()
            .is_input()
    );
}

#[test]
fn nl_05_malformed_replies_never_panic() {
    // Decoding every prefix of a real dump datagram must fail cleanly or succeed, never panic.
    let mut sock = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current).unwrap();
    let mut b = MsgBuilder::new(RTM_GETLINK, 0);
    b.push_header(&[0u8; 16]);
    let r = sock.dump(&Request::new(b, "RTM_GETLINK").unwrap()).unwrap();
    for m in &r.messages {
        for cut in 0..m.payload.len() {
            let _ = linx::rtnl::Link::decode(&m.payload[..cut]);
        }
        let mut dgram = wire::MsgHeader {
            len: (16 + m.payload.len()) as u32,
            ..m.header
        }
        .to_bytes()
        .to_vec();
        dgram.extend_from_slice(&m.payload);
        for cut in 0..dgram.len() {
            for msg in wire::messages(&dgram[..cut]).flatten() {
                let _ = linx::rtnl::Link::decode(msg.payload);
            }
        }
    }
}

#[test]
fn nf_01_nftables_generation_in_fresh_namespace() {
    let Some((_ns, target)) = fresh() else { return };
    let g = linx::netfilter::generation(&target).expect("read the nf_tables generation");
    assert!(g >= 1, "{g}");
}
