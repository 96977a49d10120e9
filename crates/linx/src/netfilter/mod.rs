//! nf_tables over netlink: a typed ruleset model, a complete expression codec, atomic batches
//! with generation-id concurrency, pull / push / diff, socket-owned tables, a change monitor and
//! an NFLOG listener — in any network namespace, without the `nft` binary or libnftnl.
//!
//! | Piece | Where |
//! |---|---|
//! | Model: [`Ruleset`] → [`Table`] → [`Chain`] / [`Set`] / [`Object`](obj::Object) / [`Flowtable`] | [`model`], [`set`], [`obj`] |
//! | Expressions (closed enum + lossless `Unknown`) | [`expr`] |
//! | Single messages, encode and decode | [`codec`] |
//! | The handle, atomic batches, generations | [`Nft`], [`Batch`] |
//! | Pull, push (replace / reconcile), diff | [`Nft::pull`], [`Nft::push_replace`], [`Nft::reconcile`], [`diff()`] |
//! | Monitor, NFLOG | [`monitor`], [`nflog`] |
//! | Rust builder DSL with nft's implicit dependencies | [`builder`] |
//!
//! Kernel interface: `NETLINK_NETFILTER`, subsystem `NFNL_SUBSYS_NFTABLES` (10); see
//! [nft(8)](https://www.netfilter.org/projects/nftables/manpage.html) and the kernel's
//! `include/uapi/linux/netfilter/nf_tables.h`.
//!
//! ```no_run
//! use linx::netfilter::{Nft, Ruleset, Table, TableLifetime, Family, Chain, BaseChain, ChainType, Hook, Policy};
//! use linx::netfilter::builder::{tcp, RuleBuilder};
//! use linx::ns::NsTarget;
//!
//! let mut table = Table::new(Family::Inet, "app", TableLifetime::SocketOwned)?;
//! let mut input = Chain::base("input", BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Drop))?;
//! input.push(RuleBuilder::new(Family::Inet).matches(tcp().dport(22)).accept().tag("ssh")?);
//! table.add_chain(input)?;
//! let mut rs = Ruleset::new();
//! rs.add_table(table)?;
//!
//! let mut nft = Nft::open(&NsTarget::Current)?;
//! nft.push_replace(&rs)?;            // the table lives as long as `nft`
//! let pulled = nft.pull_table(Family::Inet, "app")?;
//! assert_eq!(pulled.rule_count(), 1);
//! # Ok::<(), linx::Error>(())
//! ```

use crate::error::{Feature, Result, Subsystem};
use crate::ns::NsTarget;
use crate::probe::{Probe, Status};

pub(crate) mod attr;
mod batch;
pub mod builder;
pub mod codec;
pub mod diff;
pub mod expr;
pub mod model;
pub mod monitor;
pub mod nflog;
pub mod nfqueue;
pub mod obj;
mod pull;
mod push;
mod reset;
pub mod set;
mod split;
pub mod userdata;

pub use batch::{ACK_ALL_LIMIT, Batch, BatchReply, Nft, SplitReply, is_conflict};
pub use codec::Generation;
pub use diff::{Patch, PatchOp, diff};
pub use model::{
    BaseChain, Chain, ChainKind, ChainType, Family, Flowtable, Hook, Policy, Rule, Ruleset, Table,
    TableLifetime, named_priority,
};
pub use push::{PushOptions, ReconcileOptions, table_messages, validate_table};
pub use reset::{ResetScope, RuleResetScope};
pub use set::{Element, Set};
pub use userdata::Userdata;

/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u8 = codec::NFNL_SUBSYS_NFTABLES;
/// `NFT_MSG_NEWGEN`.
pub const NFT_MSG_NEWGEN: u8 = codec::NFT_MSG_NEWGEN;
/// `NFT_MSG_GETGEN`.
pub const NFT_MSG_GETGEN: u8 = codec::NFT_MSG_GETGEN;

/// The nfnetlink message type of an nf_tables message.
pub const fn nft_msg_type(msg: u8) -> u16 {
    codec::msg_type(msg)
}

/// Reads the ruleset generation id of `target`'s network namespace (`NFT_MSG_GETGEN`); every
/// committed nf_tables transaction increments it.
///
/// # Errors
/// Namespace and socket errors; the kernel's error when nf_tables is unavailable.
pub fn generation(target: &NsTarget) -> Result<u32> {
    Ok(Nft::open(target)?.generation()?.id)
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
