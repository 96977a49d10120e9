//! Desired-state files (TOML and JSON) and the composite reconciler: located errors for bad
//! input before anything is applied (unit tier), and a whole namespace reconciled from a file
//! (kernel tier, fresh network namespaces).

#![cfg(feature = "serde")]

use std::time::Duration;

use linx::error::Errno;
use linx::ns::NsTarget;
use linx::reconcile::file::{Format, load, locate, parse};
use linx::reconcile::state::{StateOp, StateOwned, StateReconciler};
use linx::reconcile::{LoopOptions, Options, ReconcileLoop, Reconciler};
use linx::rtnl::{LinkSpec, Rtnl};
use linx_testkit::{NetNs, require_root, require_tool};

const FULL_TOML: &str = r#"# A whole namespace.
route_protocol = 76

[[links]]
name = "br0"
kind = "bridge"
up = true

[[addresses]]
dev = "v0"
address = "192.0.2.10/24"

[[addresses]]
dev = "br0"
address = "198.18.0.1/24"

[[routes]]
dst = "default"
via = "192.0.2.1"

[[routes]]
dst = "203.0.113.0/24"
type = "blackhole"
table = 100

[[rules]]
priority = 1000
from = "203.0.113.0/24"
table = 100

[[neighbours]]
dev = "v0"
dst = "192.0.2.77"
lladdr = "02:00:00:00:00:77"

[sysctl]
"net.ipv4.ip_forward" = 1
"net/ipv4/conf/v0/rp_filter" = "2"
"net.ipv4.tcp_rmem" = [4096, 131072, 6291456]
"#;

fn err(text: &str, format: Format) -> String {
    parse(text, format, "net.conf").unwrap_err().to_string()
}

#[test]
fn rec_file_toml_parses_every_section() {
    let f = parse(FULL_TOML, Format::Toml, "net.toml").unwrap();
    let s = &f.state;
    assert_eq!(s.net.links.len(), 1);
    assert_eq!(s.net.addresses.len(), 2);
    assert_eq!(s.net.routes.len(), 2);
    assert_eq!(s.net.rules.len(), 1);
    assert_eq!(s.net.neighbours.len(), 1);
    assert_eq!(s.sysctl.len(), 3);
    assert_eq!(f.route_protocol.map(|p| p.0), Some(76));
    assert!(
        s.sysctl
            .keys()
            .any(|k| k.to_string() == "net.ipv4.conf.v0.rp_filter")
    );
}

#[test]
fn rec_file_json_equivalent() {
    let json = r#"{
  "addresses": [{"dev": "v0", "address": "192.0.2.10/24"}],
  "routes": [
    {"dst": "default", "via": "192.0.2.1"},
    {"dst": "10.0.0.0/8", "dev": "v0", "metric": 5}
  ],
  "sysctl": {"net.ipv4.ip_forward": 1},
  "cgroup": {"path": "jobs/a", "limits": {"pids.max": 100, "memory.max": "256M", "cpu.max": {"quota": 50000, "period": 100000}}}
}"#;
    let f = parse(json, Format::Json, "net.json").unwrap();
    assert_eq!(f.state.net.routes.len(), 2);
    let c = f.state.cgroup.as_ref().unwrap();
    assert_eq!(c.limits["memory.max"].to_string(), "268435456");
    assert_eq!(c.limits["cpu.max"].to_string(), "50000 100000");
    assert_eq!(locate(json, Format::Json, "routes[1]"), Some(5));
    assert_eq!(
        locate(json, Format::Json, "cgroup.limits.\"pids.max\""),
        Some(8)
    );
}

#[test]
fn rec_file_bad_input_is_located() {
    // Unknown key (TOML and JSON).
    let e = err(
        "[[routes]]\ndst = \"default\"\ngatway = \"192.0.2.1\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:3") && e.contains("gatway"), "{e}");
    let e = err(
        "{\n \"routes\": [\n  {\"dst\": \"default\", \"gatway\": \"x\"}\n ]\n}",
        Format::Json,
    );
    assert!(e.contains("net.conf:3") && e.contains("gatway"), "{e}");
    let e = err("colour = 1\n", Format::Toml);
    assert!(e.contains("net.conf:1") && e.contains("colour"), "{e}");
    // Wrong type.
    let e = err(
        "[[routes]]\ndst = \"default\"\nmetric = \"high\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:3"), "{e}");
    let e = err("{\"routes\": [{\"dst\": 5}]}", Format::Json);
    assert!(e.contains("net.conf:1"), "{e}");
    // Malformed values.
    let e = err(
        "\n[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.300/24\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:4"), "{e}");
    let e = err(
        "[[links]]\nname = \"this-name-is-far-too-long\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:2"), "{e}");
    // Entry-level errors found after parsing are located too.
    let e = err(
        "[[routes]]\ndst = \"10.0.0.0/8\"\nvia = \"2001:db8::1\"\n",
        Format::Toml,
    );
    assert!(
        e.contains("net.conf:1: routes[0]") && e.contains("IPv6"),
        "{e}"
    );
    let e = err(
        "[[routes]]\ndst = \"10.0.0.0/8\"\ndev = \"v0\"\n\n[[routes]]\ndst = \"10.0.0.0/8\"\ndev = \"v1\"\n",
        Format::Toml,
    );
    assert!(
        e.contains("net.conf:5: routes[1]") && e.contains("duplicate"),
        "{e}"
    );
    let e = err("[sysctl]\n\"net..ipv4\" = 1\n", Format::Toml);
    assert!(e.contains("net.conf:2") && e.contains("sysctl"), "{e}");
    let e = err(
        "[cgroup]\npath = \"a\"\n[cgroup.limits]\n\"pids.max\" = 100\n\"cpu.max\" = \"5 100000\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:5"), "{e}");
    let e = err(
        "[[rules]]\npriority = 5\naction = \"teleport\"\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:1: rules[0]"), "{e}");
    // Duplicate keys: TOML refuses them itself; JSON objects are checked (the last one would
    // otherwise win silently), and two spellings of one sysctl key are one key.
    let e = err(
        "{\n \"sysctl\": {\n  \"net.ipv4.ip_forward\": 1,\n  \"net.ipv4.ip_forward\": 0\n }\n}",
        Format::Json,
    );
    assert!(e.contains("net.conf:4") && e.contains("twice"), "{e}");
    let e = err(
        "{\"cgroup\": {\"path\": \"a\",\n \"limits\": {\"pids.max\": 1,\n \"pids.max\": 2}}}",
        Format::Json,
    );
    assert!(e.contains("net.conf:3") && e.contains("twice"), "{e}");
    let e = err(
        "[sysctl]\n\"net.ipv4.ip_forward\" = 1\n\"net.ipv4.ip_forward\" = 0\n",
        Format::Toml,
    );
    assert!(e.contains("net.conf:3"), "{e}");
    let e = err(
        "[sysctl]\n\"net.ipv4.ip_forward\" = 1\n\"net/ipv4/ip_forward\" = 0\n",
        Format::Toml,
    );
    assert!(e.contains("twice"), "{e}");
    // Syntax errors.
    let e = err("[[routes]\n", Format::Toml);
    assert!(e.contains("net.conf:1"), "{e}");
    let e = err("{\n\"routes\": [\n", Format::Json);
    assert!(e.contains("net.conf:3") || e.contains("net.conf:2"), "{e}");
}

/// A namespace with v0 ↔ v1 up.
fn fresh() -> Option<(NetNs, NsTarget)> {
    if !require_root() || !require_tool("ip") {
        return None;
    }
    let ns = NetNs::new().unwrap();
    let t = NsTarget::fd(ns.try_clone_fd().unwrap());
    let mut rtnl = Rtnl::open(&t).unwrap();
    rtnl.create_link(&LinkSpec::veth("v0", "v1")).unwrap();
    rtnl.set_up("v0").unwrap();
    rtnl.set_up("v1").unwrap();
    Some((ns, t))
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn rec_44_unknown_interface_is_located_and_nothing_applied() {
    let Some((ns, t)) = fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "net.toml",
        "[sysctl]\n\"net.ipv4.ip_forward\" = 1\n\n[[addresses]]\ndev = \"v0\"\naddress = \"192.0.2.10/24\"\n\n[[routes]]\ndst = \"10.0.0.0/8\"\ndev = \"eth9\"\n",
    );
    let f = load(&path, &t).unwrap();
    let mut r = StateReconciler::new();
    let e = r
        .reconcile(&t, &f.state, &StateOwned::default(), &Options::default())
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&format!("{}:8: routes[0]", path.display())),
        "{text}"
    );
    assert!(text.contains("eth9"), "{text}");
    // Nothing was applied: no address, ip_forward untouched.
    assert!(!ns.ip(&["addr", "show", "dev", "v0"]).contains("192.0.2.10"));
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "0");
}

#[test]
fn rec_file_whole_namespace_converges_and_heals() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("nft") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A JSON ruleset (the linx model), as `linx nft show --model` prints it.
    let mut table = linx::netfilter::Table::new(
        linx::netfilter::Family::Inet,
        "app",
        linx::netfilter::TableLifetime::Persistent,
    )
    .unwrap();
    let mut chain = linx::netfilter::Chain::base(
        "input",
        linx::netfilter::BaseChain::new(
            linx::netfilter::ChainType::Filter,
            linx::netfilter::Hook::Input,
            0,
        ),
    )
    .unwrap();
    chain.push(
        linx::netfilter::builder::RuleBuilder::new(linx::netfilter::Family::Inet)
            .matches(linx::netfilter::builder::tcp().dport(22))
            .accept(),
    );
    table.add_chain(chain).unwrap();
    let mut rs = linx::netfilter::Ruleset::new();
    rs.add_table(table).unwrap();
    write(&dir, "fw.json", &serde_json::to_string(&rs).unwrap());
    let text = format!("nft_ruleset = \"fw.json\"\n{FULL_TOML}");
    let path = write(&dir, "net.toml", &text);
    let f = load(&path, &t).unwrap();
    assert!(f.state.nft.is_some());
    let mut r = StateReconciler::new();
    let r1 = r
        .reconcile(&t, &f.state, &StateOwned::default(), &Options::default())
        .unwrap();
    assert!(r1.converged, "{:#?}", r1.lines());
    assert!(r1.applied.iter().any(|o| matches!(o, StateOp::Nft(_))));
    assert!(r1.applied.iter().any(|o| matches!(o, StateOp::Sysctl(_))));
    let r2 = r
        .reconcile(&t, &f.state, &r1.last_applied, &Options::default())
        .unwrap();
    assert!(r2.is_noop(), "{:#?}", r2.lines());
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "1");
    assert!(ns.run("nft", &["list", "tables"]).contains("inet app"));
    assert!(
        ns.ip(&["route", "show", "table", "100"])
            .contains("blackhole 203.0.113.0/24")
    );
    // The last_applied serialises (serde) and restores.
    let saved = serde_json::to_string(&r2.last_applied).unwrap();
    let restored: StateOwned = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, r2.last_applied);
    // A loop heals drift made with ip, nft and sysctl.
    let lp = ReconcileLoop::start(
        StateReconciler::new(),
        t.clone(),
        f.state.clone(),
        LoopOptions::default()
            .interval(Some(Duration::from_millis(200)))
            .debounce(Duration::from_millis(50))
            .last_applied(restored),
    )
    .unwrap();
    ns.ip(&["addr", "del", "198.18.0.1/24", "dev", "br0"]);
    ns.run("nft", &["flush", "chain", "inet", "app", "input"]);
    ns.run("sysctl", &["-w", "net.ipv4.ip_forward=0"]);
    let start = std::time::Instant::now();
    loop {
        let healed = ns
            .ip(&["addr", "show", "dev", "br0"])
            .contains("198.18.0.1/24")
            && ns
                .run("nft", &["list", "chain", "inet", "app", "input"])
                .contains("dport 22")
            && ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim() == "1";
        if healed {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never healed");
        std::thread::sleep(Duration::from_millis(20));
    }
    lp.stop();
}

#[test]
fn rec_21_partial_failure_reports_exactly_the_failed_items() {
    let Some((ns, t)) = fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "net.json",
        r#"{
  "addresses": [{"dev": "v0", "address": "192.0.2.10/24"}],
  "sysctl": {"net.ipv4.ip_forward": 1, "net.ipv4.linx_bogus": 1, "net.ipv4.conf.v0.forwarding": "abc"}
}"#,
    );
    let f = load(&path, &t).unwrap();
    let mut r = StateReconciler::new();
    let rep = r
        .reconcile(&t, &f.state, &StateOwned::default(), &Options::default())
        .unwrap();
    assert!(!rep.converged);
    let failed: Vec<String> = rep.failed.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(
        failed,
        [
            "sysctl write net.ipv4.conf.v0.forwarding = abc",
            "sysctl write net.ipv4.linx_bogus = 1"
        ]
    );
    assert_eq!(rep.failed[0].1.errno(), Some(Errno::INVAL));
    assert_eq!(rep.failed[1].1.errno(), Some(Errno::NOENT));
    // The rest was applied.
    assert_eq!(rep.applied.len(), 2, "{:?}", rep.lines());
    assert!(
        ns.ip(&["addr", "show", "dev", "v0"])
            .contains("192.0.2.10/24")
    );
    assert_eq!(ns.run("sysctl", &["-n", "net.ipv4.ip_forward"]).trim(), "1");
    assert_eq!(
        rep.to_string(),
        "not converged (2 applied, 2 failed, 0 pending)"
    );
}

#[test]
fn rec_60_nft_text_file_reconciles_and_heals() {
    let Some((ns, t)) = fresh() else { return };
    if !require_tool("nft") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "fw.nft",
        "table inet fw {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tiifname \"v0\" tcp dport 22 accept\n\t\ttcp dport 23 drop\n\t\tct state established accept\n\t}\n}\n",
    );
    let path = write(&dir, "net.toml", "nft = \"fw.nft\"\n");
    let f = load(&path, &t).unwrap();
    let rs = f.state.nft.as_ref().unwrap();
    assert_eq!(rs.rule_count(), 3);
    let mut r = StateReconciler::new();
    let r1 = r
        .reconcile(&t, &f.state, &StateOwned::default(), &Options::default())
        .unwrap();
    assert!(r1.converged, "{:#?}", r1.lines());
    let r2 = r
        .reconcile(&t, &f.state, &r1.last_applied, &Options::default())
        .unwrap();
    assert!(r2.is_noop(), "{:#?}", r2.lines());
    // Differential check: nft lists the three rules.
    let listed = ns.run("nft", &["list", "chain", "inet", "fw", "input"]);
    assert!(listed.contains("tcp dport 23 drop"), "{listed}");
    // Drift: the middle rule deleted by hand comes back in place.
    let out = ns.run("nft", &["-a", "list", "chain", "inet", "fw", "input"]);
    let handle = out
        .lines()
        .find(|l| l.contains("dport 23"))
        .and_then(|l| l.rsplit("handle ").next())
        .unwrap()
        .trim()
        .to_string();
    ns.run(
        "nft",
        &["delete", "rule", "inet", "fw", "input", "handle", &handle],
    );
    let r3 = r
        .reconcile(&t, &f.state, &r2.last_applied, &Options::default())
        .unwrap();
    assert!(r3.converged && r3.applied.len() == 1, "{:#?}", r3.lines());
    let listed = ns.run("nft", &["list", "chain", "inet", "fw", "input"]);
    let order: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("dport") || l.starts_with("ct state"))
        .collect();
    assert_eq!(
        order,
        [
            "iifname \"v0\" tcp dport 22 accept",
            "tcp dport 23 drop",
            "ct state established accept"
        ]
    );
    // A syntax error in the nft file is located at the state file's `nft` line.
    write(
        &dir,
        "bad.nft",
        "table inet fw {\n\tchain input {\n\t\ttcp dport accept\n\t}\n}\n",
    );
    let bad = write(&dir, "bad.toml", "\nnft = \"bad.nft\"\n");
    let e = load(&bad, &t).unwrap_err().to_string();
    assert!(e.contains(&format!("{}:2: nft", bad.display())), "{e}");
}
