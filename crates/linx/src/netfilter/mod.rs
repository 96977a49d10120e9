//! nf_tables over netlink.
//!
//! This module currently holds the support probe (spec NF-01: a `NETLINK_NETFILTER` socket opens
//! and the nf_tables generation can be read); the ruleset model lands with the nf_tables issue.

use crate::error::{Feature, Result, Subsystem};
use crate::netlink::wire::{self, MsgBuilder};
use crate::netlink::{NetlinkSocket, Protocol, Request};
use crate::ns::NsTarget;
use crate::probe::{Probe, Status};

/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u8 = 10;
/// `NFT_MSG_NEWGEN`.
pub const NFT_MSG_NEWGEN: u8 = 15;
/// `NFT_MSG_GETGEN`.
pub const NFT_MSG_GETGEN: u8 = 16;
const NFTA_GEN_ID: u16 = 1;

/// The nfnetlink message type of an nf_tables message.
pub const fn nft_msg_type(msg: u8) -> u16 {
    ((NFNL_SUBSYS_NFTABLES as u16) << 8) | msg as u16
}

/// Reads the ruleset generation id of `target`'s network namespace (`NFT_MSG_GETGEN`); every
/// committed nf_tables transaction increments it.
///
/// # Errors
/// Namespace and socket errors; the kernel's error when nf_tables is unavailable.
pub fn generation(target: &NsTarget) -> Result<u32> {
    let mut sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
    let mut b = MsgBuilder::new(nft_msg_type(NFT_MSG_GETGEN), 0);
    // nfgenmsg: family AF_UNSPEC, version NFNETLINK_V0, res_id 0.
    b.push_header(&[0, 0, 0, 0]);
    let replies = sock.request(&Request::new(b, "NFT_MSG_GETGEN")?)?;
    for m in &replies {
        if m.header.msg_type == nft_msg_type(NFT_MSG_NEWGEN) {
            for a in wire::attrs(m.payload.get(4..).unwrap_or_default()) {
                let a = a?;
                if a.kind() == NFTA_GEN_ID {
                    return Ok(a.be32()?);
                }
            }
        }
    }
    Err(crate::Error::protocol(
        Subsystem::Netfilter,
        crate::error::ProtocolKind::UnexpectedMessage,
        "NFT_MSG_GETGEN answered without a generation id",
    ))
}

/// True iff a netfilter socket opens and nf_tables answers in the caller's namespace.
pub fn supported() -> bool {
    generation(&NsTarget::Current).is_ok()
}

/// Probes nf_tables in the caller's network namespace.
pub fn probe() -> Probe {
    match generation(&NsTarget::Current) {
        Ok(g) => Probe::new(
            Subsystem::Netfilter,
            Feature::NfTables,
            Status::Available,
            format!("generation {g}"),
        ),
        Err(e) => Probe::new(
            Subsystem::Netfilter,
            Feature::NfTables,
            Status::Unavailable,
            e.to_string(),
        ),
    }
}
