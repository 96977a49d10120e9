//! `linx link …`: network links, with iproute2's grammar for the forms it shares
//! (`linx link add v0 type veth peer name v1`, `linx link set v0 master br0`, …).

use clap::Subcommand;
use linx::rtnl::kinds::{
    Bond, BondMode, Bridge, Ipvlan, IpvlanFlag, IpvlanMode, LinkKind, Macvlan, MacvlanMode, Veth,
    VethPeer, Vlan, VlanProtocol, Vrf, Vxlan,
};
use linx::rtnl::monitor::{MonitorGroups, RouteMonitor};
use linx::rtnl::{LinkChange, LinkSpec, NetnsDest, Rtnl};

use crate::{NetnsArg, print_json, print_lines};

#[derive(Subcommand)]
pub(crate) enum LinkVerb {
    /// List links (or one link by name).
    Show {
        /// Only this interface.
        name: Option<String>,
        #[command(flatten)]
        netns: NetnsArg,
        /// Print JSON with iproute2's key names (`ip -j -d link show`).
        #[arg(long)]
        json: bool,
    },
    /// Create a link: `NAME [link PARENT] [mtu N] [address MAC] [txqueuelen N] [alias A] [up]
    /// type KIND [KIND OPTIONS]` (veth `peer [name] P`, bridge `stp_state|ageing_time|
    /// forward_delay|vlan_filtering N`, macvlan/macvtap `mode M`, ipvlan `mode l2|l3|l3s`,
    /// vlan `id N [protocol 802.1Q|802.1ad]`, vxlan `id N dstport P [remote|group|local IP]
    /// [dev D] [ttl N]`, bond `mode M [miimon N]`, vrf `table N`, any other kind without options).
    Add {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Delete a link.
    #[command(alias = "delete")]
    Del {
        #[command(flatten)]
        netns: NetnsArg,
        /// The interface (`dev NAME` is accepted too).
        #[arg(trailing_var_arg = true, required = true)]
        args: Vec<String>,
    },
    /// Change a link: `DEV [up|down] [mtu N] [name NEW] [address MAC] [master M|nomaster]
    /// [netns PID|PATH|NAME] [txqueuelen N] [alias A] [group N] [promisc on|off] [arp on|off]`.
    Set {
        #[command(flatten)]
        netns: NetnsArg,
        /// The iproute2-style arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Print link changes as they happen.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
    },
}

/// A cursor over iproute2-style words.
pub(crate) struct Words {
    words: Vec<String>,
    pos: usize,
    what: &'static str,
}

impl Words {
    pub(crate) fn new(words: Vec<String>, what: &'static str) -> Words {
        Words {
            words,
            pos: 0,
            what,
        }
    }

    pub(crate) fn next(&mut self) -> Option<String> {
        let w = self.words.get(self.pos).cloned();
        self.pos += 1;
        w
    }

    pub(crate) fn peek(&self) -> Option<&str> {
        self.words.get(self.pos).map(String::as_str)
    }

    /// The value after keyword `kw`.
    pub(crate) fn value(&mut self, kw: &str) -> linx::Result<String> {
        self.next().ok_or_else(|| {
            linx::Error::input(
                linx::error::Subsystem::Netlink,
                self.what,
                kw.to_owned(),
                format!("{kw:?} needs a value"),
            )
        })
    }

    pub(crate) fn number<T: std::str::FromStr>(&mut self, kw: &str) -> linx::Result<T> {
        let v = self.value(kw)?;
        parse_num(&v, kw)
    }

    pub(crate) fn bad(&self, word: &str) -> linx::Error {
        linx::Error::input(
            linx::error::Subsystem::Netlink,
            self.what,
            word.to_owned(),
            "unknown or misplaced argument",
        )
    }
}

/// Parses a number (decimal, or hex with `0x`).
pub(crate) fn parse_num<T: std::str::FromStr>(v: &str, kw: &str) -> linx::Result<T> {
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)
            .ok()
            .and_then(|n| n.to_string().parse().ok()),
        None => v.parse().ok(),
    };
    parsed.ok_or_else(|| {
        linx::Error::input(
            linx::error::Subsystem::Netlink,
            "number",
            v.to_owned(),
            format!("{kw} expects a number in range"),
        )
    })
}

pub(crate) fn parse<T>(v: &str) -> linx::Result<T>
where
    T: std::str::FromStr,
    linx::Error: From<T::Err>,
{
    v.parse::<T>().map_err(linx::Error::from)
}

pub(crate) fn parse_ip(v: &str, what: &'static str) -> linx::Result<std::net::IpAddr> {
    v.parse().map_err(|_| {
        linx::Error::input(
            linx::error::Subsystem::Netlink,
            what,
            v.to_owned(),
            "not an IPv4 or IPv6 address",
        )
    })
}

fn on_off(w: &mut Words, kw: &str) -> linx::Result<bool> {
    match w.value(kw)?.as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(w.bad(other)),
    }
}

fn parse_add(args: Vec<String>) -> linx::Result<LinkSpec> {
    let mut w = Words::new(args, "link add argument");
    let mut name: Option<String> = None;
    let mut parent: Option<String> = None;
    let mut mtu = None;
    let mut address = None;
    let mut txqlen = None;
    let mut alias = None;
    let mut up = false;
    let mut kind: Option<String> = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "link" => parent = Some(w.value("link")?),
            "name" => name = Some(w.value("name")?),
            "dev" => name = Some(w.value("dev")?),
            "mtu" => mtu = Some(w.number::<u32>("mtu")?),
            "address" => address = Some(parse::<linx::Mac>(&w.value("address")?)?),
            "txqueuelen" | "txqlen" | "qlen" => txqlen = Some(w.number::<u32>("txqueuelen")?),
            "alias" => alias = Some(w.value("alias")?),
            "up" => up = true,
            "type" => {
                kind = Some(w.value("type")?);
                break;
            }
            other if name.is_none() => name = Some(other.to_owned()),
            other => return Err(w.bad(other)),
        }
    }
    let kind = kind.ok_or_else(|| w.bad("(missing `type KIND`)"))?;
    let kind = parse_kind(&kind, &mut w)?;
    let name = name.ok_or_else(|| w.bad("(missing interface name)"))?;
    let mut spec = LinkSpec::new(&name, kind);
    spec.mtu = mtu;
    spec.address = address;
    spec.txqlen = txqlen;
    spec.alias = alias;
    spec.up = up;
    if let Some(p) = parent {
        spec = spec.parent(p);
    }
    Ok(spec)
}

fn parse_kind(kind: &str, w: &mut Words) -> linx::Result<LinkKind> {
    Ok(match kind {
        "veth" => {
            let mut peer = VethPeer::default();
            if let Some(word) = w.next() {
                if word != "peer" {
                    return Err(w.bad(&word));
                }
                while let Some(word) = w.next() {
                    match word.as_str() {
                        "name" => peer.name = Some(w.value("name")?),
                        "mtu" => peer.mtu = Some(w.number("mtu")?),
                        "address" => peer.address = Some(parse::<linx::Mac>(&w.value("address")?)?),
                        "netns" => {
                            peer.netns = Some(parse::<linx::ns::NsTarget>(&w.value("netns")?)?)
                        }
                        other if peer.name.is_none() => peer.name = Some(other.to_owned()),
                        other => return Err(w.bad(other)),
                    }
                }
            }
            let mut v = Veth::default();
            v.peer = Some(peer);
            LinkKind::Veth(v)
        }
        "bridge" => {
            let mut b = Bridge::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "stp_state" => b.stp_state = Some(w.number(&word)?),
                    "ageing_time" => b.ageing_time = Some(w.number(&word)?),
                    "forward_delay" => b.forward_delay = Some(w.number(&word)?),
                    "hello_time" => b.hello_time = Some(w.number(&word)?),
                    "max_age" => b.max_age = Some(w.number(&word)?),
                    "priority" => b.priority = Some(w.number(&word)?),
                    "vlan_filtering" => b.vlan_filtering = Some(w.number::<u8>(&word)? != 0),
                    "vlan_default_pvid" => b.default_pvid = Some(w.number(&word)?),
                    other => return Err(w.bad(other)),
                }
            }
            LinkKind::Bridge(b)
        }
        "macvlan" | "macvtap" => {
            let mut m = Macvlan::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "mode" => m.mode = Some(MacvlanMode::parse(&w.value("mode")?)?),
                    other => return Err(w.bad(other)),
                }
            }
            if kind == "macvlan" {
                LinkKind::Macvlan(m)
            } else {
                LinkKind::Macvtap(m)
            }
        }
        "ipvlan" | "ipvtap" => {
            let mut m = Ipvlan::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "mode" => {
                        m.mode = Some(match w.value("mode")?.as_str() {
                            "l2" => IpvlanMode::L2,
                            "l3" => IpvlanMode::L3,
                            "l3s" => IpvlanMode::L3s,
                            other => return Err(w.bad(other)),
                        })
                    }
                    "bridge" => m.flag = Some(IpvlanFlag::Bridge),
                    "private" => m.flag = Some(IpvlanFlag::Private),
                    "vepa" => m.flag = Some(IpvlanFlag::Vepa),
                    other => return Err(w.bad(other)),
                }
            }
            if kind == "ipvlan" {
                LinkKind::Ipvlan(m)
            } else {
                LinkKind::Ipvtap(m)
            }
        }
        "vlan" => {
            let mut v = Vlan::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "id" => v.id = Some(w.number("id")?),
                    "protocol" => {
                        v.protocol =
                            Some(match w.value("protocol")?.to_ascii_lowercase().as_str() {
                                "802.1q" => VlanProtocol::Dot1Q,
                                "802.1ad" => VlanProtocol::Dot1Ad,
                                other => return Err(w.bad(other)),
                            })
                    }
                    other => return Err(w.bad(other)),
                }
            }
            LinkKind::Vlan(v)
        }
        "vxlan" => {
            let mut v = Vxlan::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "id" | "vni" => v.vni = Some(w.number("id")?),
                    "remote" | "group" => {
                        v.remote = Some(parse_ip(&w.value(&word)?, "vxlan remote")?)
                    }
                    "local" => v.local = Some(parse_ip(&w.value("local")?, "vxlan local")?),
                    "dev" => v.underlay = Some(w.value("dev")?.into()),
                    "dstport" | "port" => v.port = Some(w.number("dstport")?),
                    "ttl" | "hoplimit" => v.ttl = Some(w.number("ttl")?),
                    "tos" => v.tos = Some(w.number("tos")?),
                    "ageing" => v.ageing = Some(w.number("ageing")?),
                    "learning" => v.learning = Some(true),
                    "nolearning" => v.learning = Some(false),
                    "external" => v.external = Some(true),
                    other => return Err(w.bad(other)),
                }
            }
            LinkKind::Vxlan(v)
        }
        "bond" => {
            let mut b = Bond::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "mode" => {
                        let m = w.value("mode")?;
                        b.mode = Some(
                            (0..=6u8)
                                .map(BondMode::from_raw)
                                .find(|x| x.name() == m || x.to_raw().to_string() == m)
                                .ok_or_else(|| w.bad(&m))?,
                        );
                    }
                    "miimon" => b.miimon = Some(w.number("miimon")?),
                    "updelay" => b.updelay = Some(w.number("updelay")?),
                    "downdelay" => b.downdelay = Some(w.number("downdelay")?),
                    "min_links" => b.min_links = Some(w.number("min_links")?),
                    other => return Err(w.bad(other)),
                }
            }
            LinkKind::Bond(b)
        }
        "vrf" => {
            let mut v = Vrf::default();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "table" => v.table = Some(linx::rtnl::route::parse_table(&w.value("table")?)?),
                    other => return Err(w.bad(other)),
                }
            }
            LinkKind::Vrf(v)
        }
        "dummy" => {
            if let Some(word) = w.next() {
                return Err(w.bad(&word));
            }
            LinkKind::Dummy
        }
        other => {
            if let Some(word) = w.next() {
                return Err(w.bad(&word));
            }
            LinkKind::generic(other, Vec::new())
        }
    })
}

fn parse_set(args: Vec<String>) -> linx::Result<(String, LinkChange)> {
    let mut w = Words::new(args, "link set argument");
    let mut dev = None;
    let mut c = LinkChange::new();
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            "up" => c.up = Some(true),
            "down" => c.up = Some(false),
            "mtu" => c.mtu = Some(w.number("mtu")?),
            "name" => c.name = Some(w.value("name")?),
            "address" => c.address = Some(parse::<linx::Mac>(&w.value("address")?)?),
            "master" => c.master = Some(Some(w.value("master")?.into())),
            "nomaster" => c.master = Some(None),
            "netns" => {
                let t = w.value("netns")?;
                c.netns = Some(match t.parse::<i32>() {
                    Ok(pid) => NetnsDest::Pid(pid),
                    Err(_) => NetnsDest::Target(parse::<linx::ns::NsTarget>(&t)?),
                });
            }
            "txqueuelen" | "txqlen" | "qlen" => c.txqlen = Some(w.number("txqueuelen")?),
            "alias" => c.alias = Some(w.value("alias")?),
            "group" => c.group = Some(w.number("group")?),
            "promisc" => c.promisc = Some(on_off(&mut w, "promisc")?),
            "arp" => c.arp = Some(on_off(&mut w, "arp")?),
            "carrier" => c.carrier = Some(on_off(&mut w, "carrier")?),
            other if dev.is_none() => dev = Some(other.to_owned()),
            other => return Err(w.bad(other)),
        }
    }
    let dev = dev.ok_or_else(|| w.bad("(missing interface)"))?;
    Ok((dev, c))
}

/// Prints monitor events of `groups` forever, one line each.
pub(crate) fn monitor(netns: &NetnsArg, groups: MonitorGroups) -> linx::Result<()> {
    let mon = RouteMonitor::open(&netns.target()?, groups)?;
    for ev in mon {
        print_lines([ev?]);
    }
    Ok(())
}

fn dev_arg(args: Vec<String>) -> linx::Result<String> {
    let mut w = Words::new(args, "link del argument");
    let mut dev = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            other if dev.is_none() => dev = Some(other.to_owned()),
            other => return Err(w.bad(other)),
        }
    }
    dev.ok_or_else(|| w.bad("(missing interface)"))
}

pub(crate) fn run(verb: LinkVerb) -> linx::Result<()> {
    match verb {
        LinkVerb::Show { name, netns, json } => {
            let mut rtnl = Rtnl::open(&netns.target()?)?;
            let all = rtnl.links()?;
            let shown: Vec<linx::rtnl::Link> = match &name {
                Some(n) => vec![rtnl.link_by_name(n)?],
                None => all.clone(),
            };
            if json {
                let views: Vec<_> = shown
                    .iter()
                    .map(|link| linx::rtnl::link::IpLinkJson { link, all: &all })
                    .collect();
                print_json(&views)
            } else {
                print_lines(&shown);
                Ok(())
            }
        }
        LinkVerb::Add { netns, args } => {
            let spec = parse_add(args)?;
            spec.validate()?;
            Rtnl::open(&netns.target()?)?.create_link(&spec).map(|_| ())
        }
        LinkVerb::Del { netns, args } => {
            let dev = dev_arg(args)?;
            Rtnl::open(&netns.target()?)?.delete_link(dev)
        }
        LinkVerb::Set { netns, args } => {
            let (dev, change) = parse_set(args)?;
            change.validate()?;
            Rtnl::open(&netns.target()?)?.set_link(dev, &change)
        }
        LinkVerb::Monitor { netns } => monitor(&netns, MonitorGroups::LINK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn rt_60_link_grammar() {
        let s = parse_add(words("v0 type veth peer name v1")).unwrap();
        assert_eq!(s.name.as_deref(), Some("v0"));
        assert!(
            matches!(s.kind, LinkKind::Veth(ref v) if v.peer.as_ref().unwrap().name.as_deref() == Some("v1"))
        );
        let s = parse_add(words("mv0 link v1 type macvlan mode bridge")).unwrap();
        assert_eq!(s.parent, Some("v1".into()));
        assert!(matches!(s.kind, LinkKind::Macvlan(ref m) if m.mode == Some(MacvlanMode::Bridge)));
        let s = parse_add(words(
            "vx0 type vxlan id 42 dstport 4789 remote 192.0.2.1 dev v0",
        ))
        .unwrap();
        s.validate().unwrap();
        assert!(
            parse_add(words("br0 type bridge bogus 1"))
                .unwrap_err()
                .is_input()
        );
        assert!(parse_add(words("br0")).unwrap_err().is_input());
        let (dev, c) = parse_set(words("v0 master br0 mtu 1300 up")).unwrap();
        assert_eq!(dev, "v0");
        assert_eq!((c.mtu, c.up), (Some(1300), Some(true)));
        assert!(parse_set(words("v0 mtu x")).unwrap_err().is_input());
        assert_eq!(dev_arg(words("dev v0")).unwrap(), "v0");
    }
}
