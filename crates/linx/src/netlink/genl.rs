//! Generic netlink: resolving families by name (`CTRL_CMD_GETFAMILY` on the `nlctrl` family).
//!
//! Generic netlink multiplexes many kernel subsystems over [`Protocol::GENERIC`]; each family gets a
//! dynamic message type id that must be looked up by name before use. Messages carry a 4-byte
//! `genlmsghdr` (`cmd u8, version u8, reserved u16`) before their attributes. See
//! [genetlink](https://docs.kernel.org/userspace-api/netlink/intro.html).

use super::wire::{self, MsgBuilder};
use super::{NetlinkSocket, Protocol, Request};
use crate::error::{Error, ProtocolKind, Result, Subsystem};

/// The fixed id of the controller family `nlctrl`.
pub const GENL_ID_CTRL: u16 = 0x10;
/// `CTRL_CMD_GETFAMILY`.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_HDRSIZE: u16 = 4;
const CTRL_ATTR_MAXATTR: u16 = 5;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;
/// `GENL_NAMSIZ`: family names are at most 15 bytes plus NUL.
pub const GENL_NAMSIZ: usize = 16;

/// A generic netlink multicast group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McastGroup {
    /// Group name.
    pub name: String,
    /// Group number to pass to [`NetlinkSocket::join_group`].
    pub id: u32,
}

/// A resolved generic netlink family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Family {
    /// Message type id to use for this family's requests.
    pub id: u16,
    /// Family name.
    pub name: String,
    /// Family version.
    pub version: u32,
    /// Size of the family's own header after `genlmsghdr`.
    pub hdr_size: u32,
    /// Highest attribute number.
    pub max_attr: u32,
    /// Multicast groups.
    pub mcast_groups: Vec<McastGroup>,
}

/// The 4-byte `genlmsghdr`.
pub fn genl_header(cmd: u8, version: u8) -> [u8; 4] {
    [cmd, version, 0, 0]
}

/// Decodes a `CTRL_CMD_NEWFAMILY` payload (genlmsghdr + attributes).
pub fn decode_family(payload: &[u8]) -> Result<Family> {
    let attrs_bytes = payload.get(4..).ok_or_else(|| {
        Error::protocol(
            Subsystem::Netlink,
            ProtocolKind::Truncated,
            "generic netlink message without genlmsghdr",
        )
    })?;
    let mut fam = Family {
        id: 0,
        name: String::new(),
        version: 0,
        hdr_size: 0,
        max_attr: 0,
        mcast_groups: Vec::new(),
    };
    for a in wire::attrs(attrs_bytes) {
        let a = a?;
        match a.kind() {
            CTRL_ATTR_FAMILY_ID => fam.id = a.u16()?,
            CTRL_ATTR_FAMILY_NAME => fam.name = a.str()?.to_owned(),
            CTRL_ATTR_VERSION => fam.version = a.u32()?,
            CTRL_ATTR_HDRSIZE => fam.hdr_size = a.u32()?,
            CTRL_ATTR_MAXATTR => fam.max_attr = a.u32()?,
            CTRL_ATTR_MCAST_GROUPS => {
                for g in a.nested() {
                    let g = g?;
                    let mut group = McastGroup {
                        name: String::new(),
                        id: 0,
                    };
                    for ga in g.nested() {
                        let ga = ga?;
                        match ga.kind() {
                            CTRL_ATTR_MCAST_GRP_NAME => group.name = ga.str()?.to_owned(),
                            CTRL_ATTR_MCAST_GRP_ID => group.id = ga.u32()?,
                            _ => {}
                        }
                    }
                    fam.mcast_groups.push(group);
                }
            }
            _ => {}
        }
    }
    Ok(fam)
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() >= GENL_NAMSIZ || name.contains('\0') {
        return Err(Error::input(
            Subsystem::Netlink,
            "generic netlink family name",
            name,
            "must be 1 to 15 bytes without NUL",
        ));
    }
    Ok(())
}

/// Resolves a family by name on a [`Protocol::GENERIC`] socket.
///
/// # Errors
/// Input error for an invalid name; `ENOENT` (with the name as context) when no such family is
/// registered (its module may not be loaded).
///
/// ```no_run
/// use linx::netlink::{genl, NetlinkSocket, Protocol};
/// let mut sock = NetlinkSocket::open(Protocol::GENERIC, &linx::ns::NsTarget::Current)?;
/// let ctrl = genl::resolve_family(&mut sock, "nlctrl")?;
/// assert_eq!(ctrl.id, genl::GENL_ID_CTRL);
/// # Ok::<(), linx::Error>(())
/// ```
pub fn resolve_family(sock: &mut NetlinkSocket, name: &str) -> Result<Family> {
    check_name(name)?;
    check_protocol(sock)?;
    let mut b = MsgBuilder::new(GENL_ID_CTRL, 0);
    b.push_header(&genl_header(CTRL_CMD_GETFAMILY, 1));
    b.attr_str(CTRL_ATTR_FAMILY_NAME, name);
    let req = Request::new(b, "CTRL_CMD_GETFAMILY")?;
    let replies = sock
        .request(&req)
        .map_err(|e| e.with_context(|c| c.key = Some(name.to_owned())))?;
    let first = replies.first().ok_or_else(|| {
        Error::protocol(
            Subsystem::Netlink,
            ProtocolKind::UnexpectedMessage,
            format!("CTRL_CMD_GETFAMILY {name:?}: ack without a family"),
        )
    })?;
    decode_family(&first.payload)
}

/// Lists every registered family.
pub fn list_families(sock: &mut NetlinkSocket) -> Result<Vec<Family>> {
    check_protocol(sock)?;
    let mut b = MsgBuilder::new(GENL_ID_CTRL, 0);
    b.push_header(&genl_header(CTRL_CMD_GETFAMILY, 1));
    let req = Request::new(b, "CTRL_CMD_GETFAMILY")?;
    let mut out = Vec::new();
    sock.dump_with(&req, |m| {
        out.push(decode_family(m.payload)?);
        Ok(())
    })?;
    Ok(out)
}

fn check_protocol(sock: &NetlinkSocket) -> Result<()> {
    if sock.protocol() != Protocol::GENERIC {
        return Err(Error::input(
            Subsystem::Netlink,
            "socket protocol",
            sock.protocol().0.to_string(),
            "generic netlink needs a Protocol::GENERIC socket",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nl_16_decode_family_and_reject_bad_names() {
        let mut b = MsgBuilder::new(GENL_ID_CTRL, 0);
        b.push_header(&genl_header(1, 2));
        b.attr_u16(CTRL_ATTR_FAMILY_ID, 0x1c);
        b.attr_str(CTRL_ATTR_FAMILY_NAME, "thermal");
        b.attr_u32(CTRL_ATTR_VERSION, 1);
        let groups = b.begin_nested(CTRL_ATTR_MCAST_GROUPS);
        let g = b.begin_nested(1);
        b.attr_str(CTRL_ATTR_MCAST_GRP_NAME, "event");
        b.attr_u32(CTRL_ATTR_MCAST_GRP_ID, 7);
        b.end_nested(g);
        b.end_nested(groups);
        let bytes = b.finish().unwrap();
        let f = decode_family(&bytes[16..]).unwrap();
        assert_eq!(f.id, 0x1c);
        assert_eq!(f.name, "thermal");
        assert_eq!(
            f.mcast_groups,
            vec![McastGroup {
                name: "event".into(),
                id: 7
            }]
        );
        assert!(check_name("").is_err());
        assert!(check_name("a_very_long_family").is_err());
        assert!(check_name("nlctrl").is_ok());
        assert!(decode_family(&[1]).is_err());
    }
}
