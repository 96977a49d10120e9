//! Kernel tier, `tokio` feature: the monitor as an async event source
//! (`cargo test -p linx --features tokio --test netfilter_async`).
#![cfg(feature = "tokio")]

use linx::netfilter::monitor::{AsyncMonitor, Event, Monitor};
use linx::netfilter::{Family, Nft, Table, TableLifetime};
use linx::ns::NsTarget;
use linx_testkit::{NetNs, require_root};

/// NF-95: `AsyncMonitor::next().await` yields the change and generation of a commit.
#[test]
fn nf_95_async_monitor_yields_events() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new().unwrap();
    let t = NsTarget::fd(ns.try_clone_fd().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut mon = AsyncMonitor::new(Monitor::open(&t).unwrap()).unwrap();
        let mut nft = Nft::open(&t).unwrap();
        nft.create_table(&Table::new(Family::Ip, "async", TableLifetime::Persistent).unwrap())
            .unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), mon.next())
            .await
            .expect("an event")
            .unwrap();
        match first {
            Event::Change(c) => assert!(c.to_string().contains("new table ip/async"), "{c}"),
            other => panic!("{other:?}"),
        }
        let second = mon.next().await.unwrap();
        assert!(matches!(second, Event::Generation(_)), "{second:?}");
    });
}
