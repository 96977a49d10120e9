//! Small helpers shared by the rtnetlink message families (crate-private).

use std::net::IpAddr;

use crate::error::{Error, InputError, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, Attr, MsgBuilder};

/// `AF_UNSPEC`.
pub(crate) const AF_UNSPEC: u8 = 0;
/// `AF_INET`.
pub(crate) const AF_INET: u8 = 2;
/// `AF_BRIDGE`.
pub(crate) const AF_BRIDGE: u8 = 7;
/// `AF_INET6`.
pub(crate) const AF_INET6: u8 = 10;

/// An input error of the netlink subsystem.
pub(crate) fn input(
    argument: &'static str,
    value: impl Into<String>,
    reason: impl Into<std::borrow::Cow<'static, str>>,
) -> Error {
    Error::input(Subsystem::Netlink, argument, value, reason)
}

/// A protocol error for a message whose fixed header is shorter than it must be.
pub(crate) fn short_header(what: &str, len: usize, need: usize) -> Error {
    Error::protocol(
        Subsystem::Netlink,
        ProtocolKind::Truncated,
        format!("{what} payload of {len} bytes, header needs {need}"),
    )
}

/// A malformed-data protocol error.
pub(crate) fn malformed(detail: impl Into<String>) -> Error {
    Error::protocol(Subsystem::Netlink, ProtocolKind::Malformed, detail)
}

/// Validates an interface name (1..=15 bytes, no `/`, `:`, whitespace, not `.`/`..`) as an input
/// error of the netlink subsystem naming `argument`.
pub(crate) fn check_ifname(argument: &'static str, name: &str) -> Result<()> {
    crate::types::IfName::new(name)
        .map(|_| ())
        .map_err(|e| input(argument, name, e.kind.to_string()))
}

/// The family byte of an address.
pub(crate) fn family_of(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

/// The name of a family byte (`inet`, `inet6`, `bridge`, …) as iproute2 prints it.
pub fn family_name(family: u8) -> String {
    match family {
        AF_UNSPEC => "unspec".into(),
        AF_INET => "inet".into(),
        AF_INET6 => "inet6".into(),
        AF_BRIDGE => "bridge".into(),
        1 => "unix".into(),
        17 => "packet".into(),
        28 => "mpls".into(),
        n => format!("{n}"),
    }
}

/// Builds the payload of a nested attribute *without* setting `NLA_F_NESTED`, the way iproute2
/// encodes structures such as `VETH_INFO_PEER`, `RTA_MULTIPATH` and `RTA_METRICS`.
pub(crate) fn nested_payload(f: impl FnOnce(&mut MsgBuilder)) -> Result<Vec<u8>, InputError> {
    let mut b = MsgBuilder::new(0, 0);
    f(&mut b);
    let mut bytes = b.finish()?;
    Ok(bytes.split_off(wire::NLMSG_HDRLEN))
}

/// The payload as an address of the given family: 4 bytes for `AF_INET`, 16 for `AF_INET6`;
/// anything else (or a length mismatch) is malformed.
pub(crate) fn addr_of_family(a: &Attr<'_>, family: u8, what: &str) -> Result<IpAddr> {
    let ip = a.ip().map_err(Error::from)?;
    let ok = matches!(
        (family, &ip),
        (AF_INET, IpAddr::V4(_)) | (AF_INET6, IpAddr::V6(_)) | (AF_UNSPEC, _)
    );
    if ok {
        Ok(ip)
    } else {
        Err(malformed(format!(
            "{what}: {} bytes for family {}",
            a.payload.len(),
            family_name(family)
        )))
    }
}

/// `Display` helper: the address-family word for an address (`inet`/`inet6`).
pub(crate) fn ip_family_word(ip: &IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

/// Checks two addresses have the same family, as an input error showing both.
pub(crate) fn same_family(
    argument: &'static str,
    what: &IpAddr,
    reference_name: &str,
    reference: &IpAddr,
) -> Result<()> {
    if family_of(what) == family_of(reference) {
        Ok(())
    } else {
        Err(input(
            argument,
            what.to_string(),
            format!(
                "is {} but {reference_name} {reference} is {}",
                ip_family_word(what),
                ip_family_word(reference)
            ),
        ))
    }
}

/// Names a top-level attribute path from a table of (type, name).
pub(crate) fn name_path(path: &[u16], top: fn(u16) -> Option<&'static str>) -> String {
    path.iter()
        .enumerate()
        .map(|(i, &t)| match (i, top(t)) {
            (0, Some(n)) => n.to_owned(),
            _ => t.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}
