//! Kernel tier: policy rules (RT-33), each test in a fresh network namespace.

use linx::error::Errno;
use linx::ns::NsTarget;
use linx::rtnl::{Rtnl, RuleAction, RuleSpec};
use linx_testkit::{NetNs, require_root};

fn fresh() -> Option<(NetNs, Rtnl)> {
    if !require_root() {
        return None;
    }
    let ns = NetNs::new().expect("netns");
    let rtnl = Rtnl::open(&NsTarget::fd(ns.try_clone_fd().unwrap())).unwrap();
    Some((ns, rtnl))
}

#[test]
fn rt_33_rule_add_list_delete() {
    let Some((ns, mut rtnl)) = fresh() else {
        return;
    };
    let before = rtnl.rules().unwrap();
    // local, main, default for IPv4; local and main for IPv6.
    assert_eq!(before.len(), 5, "{before:?}");
    assert!(
        before
            .iter()
            .any(|r| r.priority.is_none() && r.table == 255)
    );
    let spec = RuleSpec::new()
        .from("10.0.0.0/24".parse().unwrap())
        .table(100)
        .priority(1000);
    rtnl.add_rule(&spec).unwrap();
    let r = rtnl
        .rules_of(2)
        .unwrap()
        .into_iter()
        .find(|r| r.priority == Some(1000))
        .unwrap();
    assert_eq!(
        (r.src_len, r.table, r.action),
        (24, 100, RuleAction::TO_TABLE)
    );
    assert_eq!(r.src, Some("10.0.0.0".parse().unwrap()));
    assert_eq!(r.to_string(), "1000: from 10.0.0.0/24 lookup 100");
    let shown = ns.ip(&["rule", "show"]);
    assert!(
        shown.contains("1000:\tfrom 10.0.0.0/24 lookup 100"),
        "{shown}"
    );
    let e = rtnl.add_rule(&spec).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::EXIST), "{e}");
    assert!(e.to_string().contains("rule priority 1000"), "{e}");
    rtnl.delete_rule(&spec).unwrap();
    assert_eq!(rtnl.rules().unwrap(), before);
    assert_eq!(
        rtnl.delete_rule(&spec).unwrap_err().errno(),
        Some(Errno::NOENT)
    );
}

#[test]
fn rt_33_uid_range_ports_mark_iif_and_ipv6() {
    let Some((_ns, mut rtnl)) = fresh() else {
        return;
    };
    let spec = RuleSpec::new()
        .fwmark(0x10, Some(0xff))
        .iif("br0")
        .uid_range(100, 200)
        .ip_proto(6)
        .dport_range(80, 90)
        .table(200)
        .priority(1001);
    rtnl.add_rule(&spec).unwrap();
    let r = rtnl
        .rules()
        .unwrap()
        .into_iter()
        .find(|r| r.priority == Some(1001))
        .unwrap();
    assert_eq!((r.fwmark, r.fwmask), (Some(0x10), Some(0xff)));
    assert_eq!(r.iif.as_deref(), Some("br0"));
    assert_eq!(r.uid_range, Some((100, 200)));
    assert_eq!(r.ip_proto, Some(6));
    assert_eq!(r.dport_range, Some((80, 90)));
    assert_eq!(r.table, 200);
    rtnl.delete_observed_rule(&r).unwrap();
    // IPv6, table above 255, blackhole and goto actions.
    rtnl.add_rule(
        &RuleSpec::new()
            .to("2001:db8::/32".parse().unwrap())
            .table(100_000)
            .priority(5),
    )
    .unwrap();
    rtnl.add_rule(
        &RuleSpec::new()
            .from("192.0.2.0/24".parse().unwrap())
            .action(RuleAction::BLACKHOLE)
            .priority(6),
    )
    .unwrap();
    let mut goto = RuleSpec::new().priority(7).action(RuleAction::GOTO);
    goto.goto = Some(1000);
    rtnl.add_rule(&goto).unwrap();
    let six = rtnl.rules_of(10).unwrap();
    let r6 = six.iter().find(|r| r.priority == Some(5)).unwrap();
    assert_eq!((r6.table, r6.dst_len), (100_000, 32));
    let four = rtnl.rules_of(2).unwrap();
    assert_eq!(
        four.iter().find(|r| r.priority == Some(6)).unwrap().action,
        RuleAction::BLACKHOLE
    );
    let g = four.iter().find(|r| r.priority == Some(7)).unwrap();
    assert_eq!((g.action, g.goto), (RuleAction::GOTO, Some(1000)));
}

#[test]
fn rt_33_to_table_without_table_is_an_input_error() {
    let mut rtnl = Rtnl::open(&NsTarget::Current).unwrap();
    let e = rtnl
        .add_rule(
            &RuleSpec::new()
                .from("10.0.0.0/8".parse().unwrap())
                .priority(9),
        )
        .unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("needs a table"),
        "{e}"
    );
    let e = rtnl
        .add_rule(&RuleSpec::new().iif("bad name").table(1))
        .unwrap_err();
    assert!(e.is_input(), "{e}");
}
