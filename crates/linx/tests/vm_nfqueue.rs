//! VM tier (the host kernel lacks the nft `queue` expression): NFQUEUE verdicts decide the fate of
//! pings on loopback in a fresh network namespace.

use std::process::Stdio;
use std::time::Duration;

use linx::netfilter::nfqueue::{Queue, QueueConfig, QueueFlags, QueueItem, Verdict};
use linx::ns::NsTarget;
use linx_testkit::{NetNs, require_tool, require_vm};

fn setup() -> Option<(NetNs, NsTarget)> {
    if !require_vm("the nft queue expression") || !require_tool("nft") || !require_tool("ping") {
        return None;
    }
    let ns = NetNs::new().unwrap();
    ns.ip(&["link", "set", "lo", "up"]);
    ns.run(
        "nft",
        &[
            "add table ip t; add chain ip t out { type filter hook output priority 0; }; \
             add rule ip t out icmp type echo-request queue num 3",
        ],
    );
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    Some((ns, target))
}

fn ping(ns: &NetNs) -> std::process::Child {
    ns.command("ping")
        .args(["-c1", "-W3", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn next_packet(q: &mut Queue) -> Box<linx::netfilter::nfqueue::QueuedPacket> {
    match q.recv(Some(Duration::from_secs(10))).unwrap() {
        Some(QueueItem::Packet(p)) => p,
        other => panic!("expected a queued packet, got {other:?}"),
    }
}

#[test]
fn vm_nf_99_verdicts_accept_and_drop() {
    let Some((ns, target)) = setup() else { return };
    let mut q = Queue::bind(&target, 3, &QueueConfig::default()).unwrap();
    assert_eq!(q.num(), 3);

    let child = ping(&ns);
    let p = next_packet(&mut q);
    assert_eq!(p.hw_protocol, 0x0800);
    assert_eq!(p.payload.first().map(|b| b >> 4), Some(4), "an IPv4 packet");
    assert_eq!(p.payload.get(9), Some(&1), "ICMP");
    q.verdict_with(p.id, Verdict::Accept, Some(0x42), None)
        .unwrap();
    assert!(
        child.wait_with_output().unwrap().status.success(),
        "accepted ping must succeed"
    );

    let child = ping(&ns);
    let p = next_packet(&mut q);
    q.verdict(p.id, Verdict::Drop).unwrap();
    assert!(
        !child.wait_with_output().unwrap().status.success(),
        "dropped ping must fail"
    );

    // A verdict for an id the kernel does not hold comes back as an error on the next receive.
    q.verdict(p.id + 1000, Verdict::Accept).unwrap();
    let e = q.recv(Some(Duration::from_secs(2))).unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT), "{e}");
}

#[test]
fn vm_nf_99_batch_verdict_and_flags() {
    let Some((ns, target)) = setup() else { return };
    let cfg = QueueConfig {
        max_len: Some(64),
        flags: QueueFlags::FAIL_OPEN,
        ..QueueConfig::default()
    };
    let mut q = Queue::bind(&target, 3, &cfg).unwrap();
    let a = ping(&ns);
    let b = ping(&ns);
    let first = next_packet(&mut q);
    let second = next_packet(&mut q);
    q.verdict_batch(first.id.max(second.id), Verdict::Accept, None)
        .unwrap();
    assert!(a.wait_with_output().unwrap().status.success());
    assert!(b.wait_with_output().unwrap().status.success());
    drop(q);
    // Unbound: without a listener and without fail-open on the rule, queued pings are dropped.
    assert!(!ping(&ns).wait_with_output().unwrap().status.success());
}
