//! nf_tables messages: build any single message (tables, chains, rules, sets, elements, objects,
//! flowtables, their deletes/destroys/flushes) and decode any nf_tables message — dump replies
//! and monitor events alike — into the model (NF-92). Pure, no I/O.
//!
//! Every message is `nlmsghdr` + `nfgenmsg {family, version 0, res_id 0}` + attributes, with the
//! attribute order nft (libnftnl) uses, so messages compare byte for byte with nft's.
//!
//! ```
//! use linx::netfilter::{codec, Family, Table, TableLifetime};
//! let t = Table::new(Family::Inet, "t", TableLifetime::SocketOwned)?;
//! let m = codec::new_table(&t, linx::netlink::wire::flags::CREATE)?;
//! assert_eq!(m.msg_type(), codec::msg_type(codec::NFT_MSG_NEWTABLE));
//! match codec::decode(&m.as_msg())? {
//!     codec::Decoded::Table(back) => assert_eq!(back.name, "t"),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), linx::Error>(())
//! ```

use super::attr::{Tab, W, be32, lenient_str, mask};
use super::expr::{self, Expr, Verdict};
use super::model::{
    BaseChain, Chain, ChainKind, ChainType, Family, Flowtable, Hook, Policy, Rule, Table,
};
use super::obj::{Object, ObjectType};
use super::set::{RawData, RawElement, Set, SetData, SetFlags, SetKey, SetPolicy};
use super::userdata::Userdata;
use crate::error::{Error, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, Msg, MsgHeader, NLMSG_HDRLEN, flags};

/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u8 = 10;
/// `NFNL_MSG_BATCH_BEGIN`.
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
/// `NFNL_MSG_BATCH_END`.
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
/// `NFNL_BATCH_GENID` (u32 BE in `BATCH_BEGIN`).
pub const NFNL_BATCH_GENID: u16 = 1;

macro_rules! msgs {
    ($($(#[$m:meta])* $c:ident = $n:literal;)*) => {
        $($(#[$m])* pub const $c: u8 = $n;)*
        /// The symbolic name of an nf_tables command.
        pub fn msg_name(cmd: u8) -> &'static str {
            match cmd { $($n => stringify!($c),)* _ => "NFT_MSG_UNKNOWN" }
        }
    };
}

msgs! {
    /// Create or update a table.
    NFT_MSG_NEWTABLE = 0;
    /// Get or dump tables.
    NFT_MSG_GETTABLE = 1;
    /// Delete a table (fails if absent).
    NFT_MSG_DELTABLE = 2;
    /// Create or update a chain.
    NFT_MSG_NEWCHAIN = 3;
    /// Get or dump chains.
    NFT_MSG_GETCHAIN = 4;
    /// Delete a chain.
    NFT_MSG_DELCHAIN = 5;
    /// Add, insert or replace a rule.
    NFT_MSG_NEWRULE = 6;
    /// Get or dump rules.
    NFT_MSG_GETRULE = 7;
    /// Delete rules.
    NFT_MSG_DELRULE = 8;
    /// Create a set.
    NFT_MSG_NEWSET = 9;
    /// Get or dump sets.
    NFT_MSG_GETSET = 10;
    /// Delete a set.
    NFT_MSG_DELSET = 11;
    /// Add elements.
    NFT_MSG_NEWSETELEM = 12;
    /// Get or dump elements.
    NFT_MSG_GETSETELEM = 13;
    /// Delete elements.
    NFT_MSG_DELSETELEM = 14;
    /// Generation notification.
    NFT_MSG_NEWGEN = 15;
    /// Read the generation.
    NFT_MSG_GETGEN = 16;
    /// Trace event.
    NFT_MSG_TRACE = 17;
    /// Create an object.
    NFT_MSG_NEWOBJ = 18;
    /// Get or dump objects.
    NFT_MSG_GETOBJ = 19;
    /// Delete an object.
    NFT_MSG_DELOBJ = 20;
    /// Get and reset objects.
    NFT_MSG_GETOBJ_RESET = 21;
    /// Create a flowtable.
    NFT_MSG_NEWFLOWTABLE = 22;
    /// Get or dump flowtables.
    NFT_MSG_GETFLOWTABLE = 23;
    /// Delete a flowtable.
    NFT_MSG_DELFLOWTABLE = 24;
    /// Get and reset rules.
    NFT_MSG_GETRULE_RESET = 25;
    /// Delete a table if present (≥ 6.3).
    NFT_MSG_DESTROYTABLE = 26;
    /// Delete a chain if present.
    NFT_MSG_DESTROYCHAIN = 27;
    /// Delete a rule if present.
    NFT_MSG_DESTROYRULE = 28;
    /// Delete a set if present.
    NFT_MSG_DESTROYSET = 29;
    /// Delete elements if present.
    NFT_MSG_DESTROYSETELEM = 30;
    /// Delete an object if present.
    NFT_MSG_DESTROYOBJ = 31;
    /// Delete a flowtable if present.
    NFT_MSG_DESTROYFLOWTABLE = 32;
    /// Get and reset set elements (≥ 6.5).
    NFT_MSG_GETSETELEM_RESET = 33;
}

/// The nfnetlink message type of an nf_tables command.
pub const fn msg_type(cmd: u8) -> u16 {
    ((NFNL_SUBSYS_NFTABLES as u16) << 8) | cmd as u16
}

// Attribute numbers.
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_TABLE_FLAGS: u16 = 2;
const NFTA_TABLE_USE: u16 = 3;
const NFTA_TABLE_HANDLE: u16 = 4;
const NFTA_TABLE_PAD: u16 = 5;
const NFTA_TABLE_USERDATA: u16 = 6;
const NFTA_TABLE_OWNER: u16 = 7;

const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_HANDLE: u16 = 2;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_USE: u16 = 6;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_CHAIN_COUNTERS: u16 = 8;
const NFTA_CHAIN_PAD: u16 = 9;
const NFTA_CHAIN_FLAGS: u16 = 10;
const NFTA_CHAIN_ID: u16 = 11;
const NFTA_CHAIN_USERDATA: u16 = 12;

const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_HOOK_DEV: u16 = 3;
const NFTA_HOOK_DEVS: u16 = 4;
const NFTA_DEVICE_NAME: u16 = 1;

const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_COMPAT: u16 = 5;
const NFTA_RULE_POSITION: u16 = 6;
const NFTA_RULE_USERDATA: u16 = 7;
const NFTA_RULE_PAD: u16 = 8;
const NFTA_RULE_ID: u16 = 9;

const NFTA_SET_TABLE: u16 = 1;
const NFTA_SET_NAME: u16 = 2;
const NFTA_SET_FLAGS: u16 = 3;
const NFTA_SET_KEY_TYPE: u16 = 4;
const NFTA_SET_KEY_LEN: u16 = 5;
const NFTA_SET_DATA_TYPE: u16 = 6;
const NFTA_SET_DATA_LEN: u16 = 7;
const NFTA_SET_POLICY: u16 = 8;
const NFTA_SET_DESC: u16 = 9;
const NFTA_SET_ID: u16 = 10;
const NFTA_SET_TIMEOUT: u16 = 11;
const NFTA_SET_GC_INTERVAL: u16 = 12;
const NFTA_SET_USERDATA: u16 = 13;
const NFTA_SET_PAD: u16 = 14;
const NFTA_SET_OBJ_TYPE: u16 = 15;
const NFTA_SET_HANDLE: u16 = 16;
const NFTA_SET_EXPR: u16 = 17;
const NFTA_SET_EXPRESSIONS: u16 = 18;
const NFTA_SET_DESC_SIZE: u16 = 1;
const NFTA_SET_DESC_CONCAT: u16 = 2;
const NFTA_SET_FIELD_LEN: u16 = 1;

const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
const NFTA_SET_ELEM_LIST_SET: u16 = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_SET_ELEM_LIST_SET_ID: u16 = 4;

const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_SET_ELEM_DATA: u16 = 2;
const NFTA_SET_ELEM_FLAGS: u16 = 3;
const NFTA_SET_ELEM_TIMEOUT: u16 = 4;
const NFTA_SET_ELEM_EXPIRATION: u16 = 5;
const NFTA_SET_ELEM_USERDATA: u16 = 6;
const NFTA_SET_ELEM_EXPR: u16 = 7;
const NFTA_SET_ELEM_PAD: u16 = 8;
const NFTA_SET_ELEM_OBJREF: u16 = 9;
const NFTA_SET_ELEM_KEY_END: u16 = 10;
const NFTA_SET_ELEM_EXPRESSIONS: u16 = 11;

const NFTA_DATA_VALUE: u16 = 1;

const NFTA_OBJ_TABLE: u16 = 1;
const NFTA_OBJ_NAME: u16 = 2;
const NFTA_OBJ_TYPE: u16 = 3;
const NFTA_OBJ_DATA: u16 = 4;
const NFTA_OBJ_USE: u16 = 5;
const NFTA_OBJ_HANDLE: u16 = 6;
const NFTA_OBJ_PAD: u16 = 7;
const NFTA_OBJ_USERDATA: u16 = 8;

const NFTA_FLOWTABLE_TABLE: u16 = 1;
const NFTA_FLOWTABLE_NAME: u16 = 2;
const NFTA_FLOWTABLE_HOOK: u16 = 3;
const NFTA_FLOWTABLE_USE: u16 = 4;
const NFTA_FLOWTABLE_HANDLE: u16 = 5;
const NFTA_FLOWTABLE_PAD: u16 = 6;
const NFTA_FLOWTABLE_FLAGS: u16 = 7;
const NFTA_FLOWTABLE_HOOK_NUM: u16 = 1;
const NFTA_FLOWTABLE_HOOK_PRIORITY: u16 = 2;
const NFTA_FLOWTABLE_HOOK_DEVS: u16 = 3;

const NFTA_GEN_ID: u16 = 1;
const NFTA_GEN_PROC_PID: u16 = 2;
const NFTA_GEN_PROC_NAME: u16 = 3;

/// One encoded nf_tables message plus what error reports need to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftMessage {
    bytes: Vec<u8>,
    object: String,
}

impl NftMessage {
    /// The complete message (`nlmsghdr` with sequence 0 and port id 0).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The message type.
    pub fn msg_type(&self) -> u16 {
        u16::from_ne_bytes([self.bytes[4], self.bytes[5]])
    }
    /// The header flags.
    pub fn flags(&self) -> u16 {
        u16::from_ne_bytes([self.bytes[6], self.bytes[7]])
    }
    /// The symbolic name (`NFT_MSG_NEWRULE`).
    pub fn name(&self) -> &'static str {
        msg_name(self.msg_type() as u8)
    }
    /// What it carries, e.g. `inet/fw chain input rule #3`.
    pub fn object(&self) -> &str {
        &self.object
    }
    /// Borrowed view for decoding.
    pub fn as_msg(&self) -> Msg<'_> {
        Msg {
            header: MsgHeader::parse(&self.bytes).unwrap_or_default(),
            payload: self.bytes.get(NLMSG_HDRLEN..).unwrap_or_default(),
        }
    }
    /// Replaces the object descriptor.
    pub fn with_object(mut self, o: impl Into<String>) -> NftMessage {
        self.object = o.into();
        self
    }
}

/// Starts a message: header + nfgenmsg.
fn start(cmd: u8, family: u8, fl: u16, cap: usize) -> W {
    let mut w = W::with_capacity(cap);
    let hdr = MsgHeader {
        len: 0,
        msg_type: msg_type(cmd),
        flags: fl,
        seq: 0,
        pid: 0,
    };
    w.buf.extend_from_slice(&hdr.to_bytes());
    w.buf.extend_from_slice(&[family, 0, 0, 0]);
    w
}

fn finish(w: W, object: String) -> Result<NftMessage> {
    let mut bytes = w.into_inner()?;
    let len = u32::try_from(bytes.len()).map_err(|_| {
        Error::input(
            Subsystem::Netfilter,
            "message",
            object.clone(),
            "longer than 4 GiB",
        )
    })?;
    bytes[0..4].copy_from_slice(&len.to_ne_bytes());
    Ok(NftMessage { bytes, object })
}

/// A batch envelope message (`NFNL_MSG_BATCH_BEGIN`/`END`) with `res_id` = nf_tables and an
/// optional expected generation.
pub fn batch_envelope(msg_type: u16, seq: u32, genid: Option<u32>) -> Vec<u8> {
    let mut w = W::with_capacity(32);
    let hdr = MsgHeader {
        len: 0,
        msg_type,
        flags: flags::REQUEST,
        seq,
        pid: 0,
    };
    w.buf.extend_from_slice(&hdr.to_bytes());
    w.buf.extend_from_slice(&[0, 0, 0, NFNL_SUBSYS_NFTABLES]);
    if let Some(g) = genid {
        w.be32(NFNL_BATCH_GENID, g);
    }
    let mut b = w.buf;
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b
}

fn udata(w: &mut W, ty: u16, u: &Userdata) {
    if !u.is_empty() {
        w.attr(ty, u.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// tables

/// `NFT_MSG_NEWTABLE` for `t` (name, flags, userdata; not its contents).
///
/// # Errors
/// Invalid names or oversized userdata.
pub fn new_table(t: &Table, fl: u16) -> Result<NftMessage> {
    super::model::check_name("table name", &t.name)?;
    let mut w = start(NFT_MSG_NEWTABLE, t.family.number(), fl, 64);
    w.str(NFTA_TABLE_NAME, &t.name);
    w.be32(NFTA_TABLE_FLAGS, t.flags());
    udata(&mut w, NFTA_TABLE_USERDATA, &t.userdata);
    finish(w, format!("{}/{} table", t.family, t.name))
}

/// `NFT_MSG_DELTABLE` (or `DESTROYTABLE` with `destroy`) by name; deletes everything inside.
///
/// # Errors
/// Invalid names.
pub fn del_table(family: Family, name: &str, destroy: bool) -> Result<NftMessage> {
    super::model::check_name("table name", name)?;
    let cmd = if destroy {
        NFT_MSG_DESTROYTABLE
    } else {
        NFT_MSG_DELTABLE
    };
    let mut w = start(cmd, family.number(), 0, 48);
    w.str(NFTA_TABLE_NAME, name);
    finish(w, format!("{family}/{name} table"))
}

/// `NFT_MSG_DELTABLE` without a name: deletes every table (of `family`, or of every family),
/// as nft sends `flush ruleset`.
///
/// # Errors
/// Never.
pub fn flush_ruleset(family: Option<Family>) -> Result<NftMessage> {
    let w = start(NFT_MSG_DELTABLE, family.map_or(0, Family::number), 0, 20);
    let what = match family {
        Some(f) => format!("{f} ruleset flush"),
        None => "ruleset flush".to_string(),
    };
    finish(w, what)
}

/// `m` with `extra` header flags added (for example `NLM_F_EXCL` for `create` commands).
pub fn add_flags(mut m: NftMessage, extra: u16) -> NftMessage {
    let fl = m.flags() | extra;
    m.bytes[6..8].copy_from_slice(&fl.to_ne_bytes());
    m
}

/// `NFT_MSG_DELRULE` with only the table: flushes every chain of the table.
///
/// # Errors
/// Invalid names.
pub fn flush_table(family: Family, name: &str) -> Result<NftMessage> {
    super::model::check_name("table name", name)?;
    let mut w = start(NFT_MSG_DELRULE, family.number(), 0, 48);
    w.str(NFTA_RULE_TABLE, name);
    finish(w, format!("{family}/{name} flush"))
}

// ---------------------------------------------------------------------------------------------
// chains

/// `NFT_MSG_NEWCHAIN` (without rules). `chain_id` is the in-batch id (`NFTA_CHAIN_ID`).
///
/// # Errors
/// Invalid names.
pub fn new_chain(
    family: Family,
    table: &str,
    c: &Chain,
    fl: u16,
    chain_id: Option<u32>,
) -> Result<NftMessage> {
    super::model::check_name("chain name", &c.name)?;
    let mut w = start(NFT_MSG_NEWCHAIN, family.number(), fl, 128);
    w.str(NFTA_CHAIN_TABLE, table);
    w.str(NFTA_CHAIN_NAME, &c.name);
    if let Some(h) = c.handle.filter(|_| fl & flags::REPLACE != 0) {
        w.be64(NFTA_CHAIN_HANDLE, h);
    }
    if let ChainKind::Base(b) = &c.kind {
        w.str(NFTA_CHAIN_TYPE, b.chain_type.name());
        if let Some(p) = b.policy {
            w.be32(NFTA_CHAIN_POLICY, p.number());
        }
        if b.hw_offload {
            w.be32(NFTA_CHAIN_FLAGS, 0x2);
        }
    }
    if let Some(id) = chain_id {
        w.be32(NFTA_CHAIN_ID, id);
    }
    udata(&mut w, NFTA_CHAIN_USERDATA, &c.userdata);
    if let ChainKind::Base(b) = &c.kind {
        let hooknum = b.hook.number(family).ok_or_else(|| {
            Error::input(
                Subsystem::Netfilter,
                "chain hook",
                format!("{family} {} {}", c.name, b.hook),
                "not a hook of this family",
            )
        })?;
        let n = w.nest(NFTA_CHAIN_HOOK);
        w.be32(NFTA_HOOK_HOOKNUM, hooknum);
        w.be32(NFTA_HOOK_PRIORITY, b.priority as u32);
        match b.devices.as_slice() {
            [] => {}
            [one] => w.str(NFTA_HOOK_DEV, one),
            many => {
                let d = w.nest(NFTA_HOOK_DEVS);
                for dev in many {
                    w.str(NFTA_DEVICE_NAME, dev);
                }
                w.end(d);
            }
        }
        w.end(n);
    }
    finish(w, format!("{family}/{table} chain {}", c.name))
}

/// `NFT_MSG_NEWCHAIN` that only changes a base chain's policy (keeps its rules and hook).
///
/// # Errors
/// Invalid names.
pub fn chain_policy(family: Family, table: &str, chain: &str, p: Policy) -> Result<NftMessage> {
    super::model::check_name("chain name", chain)?;
    let mut w = start(NFT_MSG_NEWCHAIN, family.number(), 0, 64);
    w.str(NFTA_CHAIN_TABLE, table);
    w.str(NFTA_CHAIN_NAME, chain);
    w.be32(NFTA_CHAIN_POLICY, p.number());
    finish(w, format!("{family}/{table} chain {chain} policy"))
}

/// `NFT_MSG_DELCHAIN` (or `DESTROYCHAIN`); the chain must be empty or be flushed earlier in the
/// same batch.
///
/// # Errors
/// Invalid names.
pub fn del_chain(family: Family, table: &str, name: &str, destroy: bool) -> Result<NftMessage> {
    super::model::check_name("chain name", name)?;
    let cmd = if destroy {
        NFT_MSG_DESTROYCHAIN
    } else {
        NFT_MSG_DELCHAIN
    };
    let mut w = start(cmd, family.number(), 0, 64);
    w.str(NFTA_CHAIN_TABLE, table);
    w.str(NFTA_CHAIN_NAME, name);
    finish(w, format!("{family}/{table} chain {name}"))
}

/// `NFT_MSG_DELRULE` with table and chain: deletes every rule of the chain.
///
/// # Errors
/// Invalid names.
pub fn flush_chain(family: Family, table: &str, chain: &str) -> Result<NftMessage> {
    let mut w = start(NFT_MSG_DELRULE, family.number(), 0, 64);
    w.str(NFTA_RULE_TABLE, table);
    w.str(NFTA_RULE_CHAIN, chain);
    finish(w, format!("{family}/{table} chain {chain} flush"))
}

// ---------------------------------------------------------------------------------------------
// rules

/// Where a new rule goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulePlacement {
    /// At the end of the chain (`CREATE | APPEND`).
    Append,
    /// At the start of the chain (`CREATE`).
    Insert,
    /// After the rule with this handle (`APPEND` + `NFTA_RULE_POSITION`).
    After(u64),
    /// Before the rule with this handle (`NFTA_RULE_POSITION` without `APPEND`).
    Before(u64),
    /// Replacing the rule with this handle (`REPLACE` + `NFTA_RULE_HANDLE`).
    Replace(u64),
}

/// `NFT_MSG_NEWRULE`.
///
/// # Errors
/// Unknown expressions without a name; oversized rules.
pub fn new_rule(
    family: Family,
    table: &str,
    chain: &str,
    r: &Rule,
    place: RulePlacement,
) -> Result<NftMessage> {
    let (fl, handle, pos) = match place {
        RulePlacement::Append => (flags::CREATE | flags::APPEND, None, None),
        RulePlacement::Insert => (flags::CREATE, None, None),
        RulePlacement::After(h) => (flags::CREATE | flags::APPEND, None, Some(h)),
        RulePlacement::Before(h) => (flags::CREATE, None, Some(h)),
        RulePlacement::Replace(h) => (flags::REPLACE, Some(h), None),
    };
    let mut w = start(
        NFT_MSG_NEWRULE,
        family.number(),
        fl,
        64 + 48 * r.exprs.len(),
    );
    w.str(NFTA_RULE_TABLE, table);
    w.str(NFTA_RULE_CHAIN, chain);
    if let Some(h) = handle {
        w.be64(NFTA_RULE_HANDLE, h);
    }
    if let Some(p) = pos {
        w.be64(NFTA_RULE_POSITION, p);
    }
    let n = w.nest(NFTA_RULE_EXPRESSIONS);
    for e in &r.exprs {
        e.encode_elem(&mut w)?;
    }
    w.end(n);
    if let Some(c) = &r.compat {
        w.attr(NFTA_RULE_COMPAT | wire::NLA_F_NESTED, c);
    }
    udata(&mut w, NFTA_RULE_USERDATA, &r.userdata);
    let what = match r.userdata.tag() {
        Some(t) => format!("{family}/{table} chain {chain} rule [tag {t}]"),
        None => format!("{family}/{table} chain {chain} rule"),
    };
    finish(w, what)
}

/// `NFT_MSG_DELRULE` (or `DESTROYRULE`) by handle.
///
/// # Errors
/// Never for valid names.
pub fn del_rule(
    family: Family,
    table: &str,
    chain: &str,
    handle: u64,
    destroy: bool,
) -> Result<NftMessage> {
    let cmd = if destroy {
        NFT_MSG_DESTROYRULE
    } else {
        NFT_MSG_DELRULE
    };
    let mut w = start(cmd, family.number(), 0, 64);
    w.str(NFTA_RULE_TABLE, table);
    w.str(NFTA_RULE_CHAIN, chain);
    w.be64(NFTA_RULE_HANDLE, handle);
    finish(
        w,
        format!("{family}/{table} chain {chain} rule handle {handle}"),
    )
}

// ---------------------------------------------------------------------------------------------
// sets

/// `NFT_MSG_NEWSET` (declaration only; elements go in [`set_elements`]).
///
/// # Errors
/// Invalid names; oversized userdata.
pub fn new_set(family: Family, table: &str, s: &Set, fl: u16) -> Result<NftMessage> {
    if s.name.is_empty() || s.name.len() > super::model::NAME_MAX {
        return Err(Error::input(
            Subsystem::Netfilter,
            "set name",
            s.name.clone(),
            "a name has 1 to 255 bytes",
        ));
    }
    let mut w = start(NFT_MSG_NEWSET, family.number(), fl, 128);
    w.str(NFTA_SET_TABLE, table);
    w.str(NFTA_SET_NAME, &s.name);
    w.be32(NFTA_SET_FLAGS, s.flags.bits());
    w.be32(NFTA_SET_KEY_TYPE, s.key.type_id);
    w.be32(NFTA_SET_KEY_LEN, s.key.len);
    match &s.data {
        Some(SetData::Value(k)) => {
            w.be32(NFTA_SET_DATA_TYPE, k.type_id);
            w.be32(NFTA_SET_DATA_LEN, k.len);
        }
        Some(SetData::Verdict { len }) => {
            w.be32(NFTA_SET_DATA_TYPE, super::set::NFT_DATA_VERDICT);
            w.be32(NFTA_SET_DATA_LEN, *len);
        }
        Some(SetData::Object(o)) => w.be32(NFTA_SET_OBJ_TYPE, o.number()),
        None => {}
    }
    if let Some(id) = s.id {
        w.be32(NFTA_SET_ID, id);
    }
    if let Some(p) = s.policy {
        w.be32(
            NFTA_SET_POLICY,
            match p {
                SetPolicy::Performance => 0,
                SetPolicy::Memory => 1,
            },
        );
    }
    let concat_desc = s.flags.contains(SetFlags::INTERVAL) && s.key.is_concat();
    if s.size.is_some() || concat_desc {
        let d = w.nest(NFTA_SET_DESC);
        if let Some(sz) = s.size {
            w.be32(NFTA_SET_DESC_SIZE, sz);
        }
        if concat_desc {
            let c = w.nest(NFTA_SET_DESC_CONCAT);
            for f in &s.key.fields {
                let e = w.nest(expr::NFTA_LIST_ELEM);
                w.be32(NFTA_SET_FIELD_LEN, f.len);
                w.end(e);
            }
            w.end(c);
        }
        w.end(d);
    }
    if let Some(t) = s.timeout {
        w.be64(NFTA_SET_TIMEOUT, t);
    }
    if let Some(g) = s.gc_interval {
        w.be32(NFTA_SET_GC_INTERVAL, g);
    }
    udata(&mut w, NFTA_SET_USERDATA, &s.userdata);
    match s.exprs.as_slice() {
        [] => {}
        [one] => {
            let n = w.nest(NFTA_SET_EXPR);
            one.encode_body(&mut w)?;
            w.end(n);
        }
        many => {
            let n = w.nest(NFTA_SET_EXPRESSIONS);
            for e in many {
                e.encode_elem(&mut w)?;
            }
            w.end(n);
        }
    }
    finish(w, format!("{family}/{table} set {}", s.name))
}

/// `NFT_MSG_DELSET` (or `DESTROYSET`).
///
/// # Errors
/// Invalid names.
pub fn del_set(family: Family, table: &str, name: &str, destroy: bool) -> Result<NftMessage> {
    let cmd = if destroy {
        NFT_MSG_DESTROYSET
    } else {
        NFT_MSG_DELSET
    };
    let mut w = start(cmd, family.number(), 0, 64);
    w.str(NFTA_SET_TABLE, table);
    w.str(NFTA_SET_NAME, name);
    finish(w, format!("{family}/{table} set {name}"))
}

/// `NFT_MSG_DELSETELEM` without elements: removes every element of the set.
///
/// # Errors
/// Never for valid names.
pub fn flush_set(family: Family, table: &str, name: &str) -> Result<NftMessage> {
    let mut w = start(NFT_MSG_DELSETELEM, family.number(), 0, 64);
    w.str(NFTA_SET_ELEM_LIST_TABLE, table);
    w.str(NFTA_SET_ELEM_LIST_SET, name);
    finish(w, format!("{family}/{table} set {name} flush"))
}

/// Which element command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemOp {
    /// `NFT_MSG_NEWSETELEM` (with `CREATE`).
    Add,
    /// `NFT_MSG_DELSETELEM`.
    Delete,
    /// `NFT_MSG_DESTROYSETELEM` (≥ 6.3).
    Destroy,
}

/// Largest element-list attribute linx builds (below the 16-bit netlink attribute limit with
/// room for the message around it).
pub const ELEMENT_CHUNK: usize = 60 * 1024;

fn encode_raw_element(w: &mut W, idx: u16, e: &RawElement) -> Result<()> {
    let n = w.nest(idx);
    if let Some(f) = e.flags {
        w.be32(NFTA_SET_ELEM_FLAGS, f);
    }
    if let Some(t) = e.timeout {
        w.be64(NFTA_SET_ELEM_TIMEOUT, t);
    }
    if let Some(k) = &e.key {
        let k2 = w.nest(NFTA_SET_ELEM_KEY);
        w.attr(NFTA_DATA_VALUE, k);
        w.end(k2);
    }
    if let Some(k) = &e.key_end {
        let k2 = w.nest(NFTA_SET_ELEM_KEY_END);
        w.attr(NFTA_DATA_VALUE, k);
        w.end(k2);
    }
    match &e.data {
        Some(RawData::Verdict(v)) => expr::put_verdict(w, NFTA_SET_ELEM_DATA, v),
        Some(RawData::Value(d)) => expr::put_data(w, NFTA_SET_ELEM_DATA, d),
        None => {}
    }
    if let Some(o) = &e.objref {
        w.str(NFTA_SET_ELEM_OBJREF, o);
    }
    udata(w, NFTA_SET_ELEM_USERDATA, &e.userdata);
    match e.exprs.as_slice() {
        [] => {}
        [one] => {
            let x = w.nest(NFTA_SET_ELEM_EXPR);
            one.encode_body(w)?;
            w.end(x);
        }
        many => {
            let x = w.nest(NFTA_SET_ELEM_EXPRESSIONS);
            for ex in many {
                ex.encode_elem(w)?;
            }
            w.end(x);
        }
    }
    w.end(n);
    Ok(())
}

/// Element messages for `set` (by name, plus its in-batch id when it is created in the same
/// batch), split so each element list stays below [`ELEMENT_CHUNK`] bytes (NF-30). Elements are
/// numbered from 1 in each message, as libnftnl does.
///
/// # Errors
/// An element that alone exceeds the chunk size; unknown element expressions without a name.
pub fn set_elements(
    op: ElemOp,
    family: Family,
    table: &str,
    set: &str,
    set_id: Option<u32>,
    elems: &[RawElement],
) -> Result<Vec<NftMessage>> {
    let cmd = match op {
        ElemOp::Add => NFT_MSG_NEWSETELEM,
        ElemOp::Delete => NFT_MSG_DELSETELEM,
        ElemOp::Destroy => NFT_MSG_DESTROYSETELEM,
    };
    let fl = if op == ElemOp::Add { flags::CREATE } else { 0 };
    let mut out = Vec::new();
    let mut i = 0;
    while i < elems.len() {
        let mut w = start(
            cmd,
            family.number(),
            fl,
            ELEMENT_CHUNK.min(64 * elems.len()) + 128,
        );
        w.str(NFTA_SET_ELEM_LIST_TABLE, table);
        w.str(NFTA_SET_ELEM_LIST_SET, set);
        if let Some(id) = set_id {
            w.be32(NFTA_SET_ELEM_LIST_SET_ID, id);
        }
        let list = w.nest(NFTA_SET_ELEM_LIST_ELEMENTS);
        let list_start = w.len();
        let first = i;
        let mut idx: u16 = 0;
        while i < elems.len() {
            let before = w.len();
            idx = idx.wrapping_add(1);
            if idx & 0x3fff == 0 {
                idx = 1;
            }
            encode_raw_element(&mut w, idx & 0x3fff, &elems[i])?;
            if w.len() - list_start > ELEMENT_CHUNK {
                if i == first {
                    return Err(Error::input(
                        Subsystem::Netfilter,
                        "set element",
                        format!("element {} of set {set}", i + 1),
                        "too large for one netlink attribute",
                    ));
                }
                w.truncate(before);
                break;
            }
            i += 1;
        }
        w.end(list);
        let what = format!("{family}/{table} set {set} elements {}-{}", first + 1, i);
        out.push(finish(w, what)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// objects and flowtables

/// `NFT_MSG_NEWOBJ`.
///
/// # Errors
/// Invalid names.
pub fn new_object(family: Family, table: &str, o: &Object, fl: u16) -> Result<NftMessage> {
    super::model::check_name("object name", &o.name)?;
    let mut w = start(NFT_MSG_NEWOBJ, family.number(), fl, 128);
    w.str(NFTA_OBJ_TABLE, table);
    w.str(NFTA_OBJ_NAME, &o.name);
    w.be32(NFTA_OBJ_TYPE, o.kind().number());
    udata(&mut w, NFTA_OBJ_USERDATA, &o.userdata);
    let n = w.nest(NFTA_OBJ_DATA);
    o.encode_data(&mut w);
    w.end(n);
    finish(w, format!("{family}/{table} {} {}", o.kind(), o.name))
}

/// `NFT_MSG_DELOBJ` (or `DESTROYOBJ`).
///
/// # Errors
/// Invalid names.
pub fn del_object(
    family: Family,
    table: &str,
    kind: ObjectType,
    name: &str,
    destroy: bool,
) -> Result<NftMessage> {
    let cmd = if destroy {
        NFT_MSG_DESTROYOBJ
    } else {
        NFT_MSG_DELOBJ
    };
    let mut w = start(cmd, family.number(), 0, 64);
    w.str(NFTA_OBJ_TABLE, table);
    w.str(NFTA_OBJ_NAME, name);
    w.be32(NFTA_OBJ_TYPE, kind.number());
    finish(w, format!("{family}/{table} {kind} {name}"))
}

/// `NFT_MSG_NEWFLOWTABLE`.
///
/// # Errors
/// Invalid names; a hook other than ingress.
pub fn new_flowtable(family: Family, table: &str, f: &Flowtable, fl: u16) -> Result<NftMessage> {
    super::model::check_name("flowtable name", &f.name)?;
    if f.hook != Hook::Ingress {
        return Err(Error::input(
            Subsystem::Netfilter,
            "flowtable hook",
            f.hook.name(),
            "flowtables only attach to ingress",
        ));
    }
    let mut w = start(NFT_MSG_NEWFLOWTABLE, family.number(), fl, 128);
    w.str(NFTA_FLOWTABLE_TABLE, table);
    w.str(NFTA_FLOWTABLE_NAME, &f.name);
    let h = w.nest(NFTA_FLOWTABLE_HOOK);
    w.be32(NFTA_FLOWTABLE_HOOK_NUM, 0);
    w.be32(NFTA_FLOWTABLE_HOOK_PRIORITY, f.priority as u32);
    if !f.devices.is_empty() {
        let d = w.nest(NFTA_FLOWTABLE_HOOK_DEVS);
        for dev in &f.devices {
            w.str(NFTA_DEVICE_NAME, dev);
        }
        w.end(d);
    }
    w.end(h);
    if f.flags != 0 {
        w.be32(NFTA_FLOWTABLE_FLAGS, f.flags);
    }
    finish(w, format!("{family}/{table} flowtable {}", f.name))
}

/// `NFT_MSG_DELFLOWTABLE` (or `DESTROYFLOWTABLE`).
///
/// # Errors
/// Invalid names.
pub fn del_flowtable(family: Family, table: &str, name: &str, destroy: bool) -> Result<NftMessage> {
    let cmd = if destroy {
        NFT_MSG_DESTROYFLOWTABLE
    } else {
        NFT_MSG_DELFLOWTABLE
    };
    let mut w = start(cmd, family.number(), 0, 64);
    w.str(NFTA_FLOWTABLE_TABLE, table);
    w.str(NFTA_FLOWTABLE_NAME, name);
    finish(w, format!("{family}/{table} flowtable {name}"))
}

/// What a delete-by-handle message names (`nft delete chain inet t handle 7` and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleOf<'a> {
    /// A table (the handle alone identifies it within its family).
    Table,
    /// A chain of this table.
    Chain(&'a str),
    /// A set or map of this table.
    Set(&'a str),
    /// A named object of this table, of this kind.
    Object(&'a str, ObjectType),
    /// A flowtable of this table.
    Flowtable(&'a str),
}

/// `NFT_MSG_DEL*` (or `DESTROY*` with `destroy`) naming the object by its kernel handle
/// instead of its name (`NFTA_*_HANDLE`), as nft sends `delete … handle N`.
///
/// ```
/// use linx::netfilter::codec::{self, HandleOf};
/// use linx::netfilter::Family;
/// let m = codec::del_by_handle(Family::Inet, HandleOf::Chain("fw"), 7, false).unwrap();
/// assert_eq!(m.name(), "NFT_MSG_DELCHAIN");
/// ```
///
/// # Errors
/// Invalid table names.
pub fn del_by_handle(
    family: Family,
    of: HandleOf<'_>,
    handle: u64,
    destroy: bool,
) -> Result<NftMessage> {
    let (del, destroy_cmd) = match of {
        HandleOf::Table => (NFT_MSG_DELTABLE, NFT_MSG_DESTROYTABLE),
        HandleOf::Chain(_) => (NFT_MSG_DELCHAIN, NFT_MSG_DESTROYCHAIN),
        HandleOf::Set(_) => (NFT_MSG_DELSET, NFT_MSG_DESTROYSET),
        HandleOf::Object(..) => (NFT_MSG_DELOBJ, NFT_MSG_DESTROYOBJ),
        HandleOf::Flowtable(_) => (NFT_MSG_DELFLOWTABLE, NFT_MSG_DESTROYFLOWTABLE),
    };
    let mut w = start(
        if destroy { destroy_cmd } else { del },
        family.number(),
        0,
        48,
    );
    let what = match of {
        HandleOf::Table => {
            w.be64(NFTA_TABLE_HANDLE, handle);
            format!("{family} table handle {handle}")
        }
        HandleOf::Chain(t) => {
            super::model::check_name("table name", t)?;
            w.str(NFTA_CHAIN_TABLE, t);
            w.be64(NFTA_CHAIN_HANDLE, handle);
            format!("{family}/{t} chain handle {handle}")
        }
        HandleOf::Set(t) => {
            super::model::check_name("table name", t)?;
            w.str(NFTA_SET_TABLE, t);
            w.be64(NFTA_SET_HANDLE, handle);
            format!("{family}/{t} set handle {handle}")
        }
        HandleOf::Object(t, kind) => {
            super::model::check_name("table name", t)?;
            w.str(NFTA_OBJ_TABLE, t);
            w.be32(NFTA_OBJ_TYPE, kind.number());
            w.be64(NFTA_OBJ_HANDLE, handle);
            format!("{family}/{t} {kind} handle {handle}")
        }
        HandleOf::Flowtable(t) => {
            super::model::check_name("table name", t)?;
            w.str(NFTA_FLOWTABLE_TABLE, t);
            w.be64(NFTA_FLOWTABLE_HANDLE, handle);
            format!("{family}/{t} flowtable handle {handle}")
        }
    };
    finish(w, what)
}

/// An `NFT_MSG_GETOBJ_RESET` request: a dump filtered by table and type, or (with `name`) one
/// object, which then needs its table and type.
pub(crate) fn obj_reset_request(
    family: u8,
    table: Option<&str>,
    name: Option<&str>,
    kind: Option<u32>,
) -> crate::netlink::wire::MsgBuilder {
    let mut b = crate::netlink::wire::MsgBuilder::new(msg_type(NFT_MSG_GETOBJ_RESET), 0);
    b.push_header(&[family, 0, 0, 0]);
    if let Some(t) = table {
        b.attr_str(NFTA_OBJ_TABLE, t);
    }
    if let Some(n) = name {
        b.attr_str(NFTA_OBJ_NAME, n);
    }
    if let Some(k) = kind {
        b.attr_be32(NFTA_OBJ_TYPE, k);
    }
    b
}

/// An `NFT_MSG_GETRULE_RESET` request: as a dump, filtered by table and chain (the kernel's
/// rule dump honours both); with `handle`, one rule, which then needs its table and chain.
pub(crate) fn rule_reset_request(
    family: u8,
    table: Option<&str>,
    chain: Option<&str>,
    handle: Option<u64>,
) -> crate::netlink::wire::MsgBuilder {
    let mut b = crate::netlink::wire::MsgBuilder::new(msg_type(NFT_MSG_GETRULE_RESET), 0);
    b.push_header(&[family, 0, 0, 0]);
    if let Some(t) = table {
        b.attr_str(NFTA_RULE_TABLE, t);
    }
    if let Some(c) = chain {
        b.attr_str(NFTA_RULE_CHAIN, c);
    }
    if let Some(h) = handle {
        b.attr(NFTA_RULE_HANDLE, &h.to_be_bytes());
    }
    b
}

/// An `NFT_MSG_GETCHAIN` request for one chain by table and name.
pub(crate) fn chain_get_request(
    family: u8,
    table: &str,
    chain: &str,
) -> crate::netlink::wire::MsgBuilder {
    let mut b = crate::netlink::wire::MsgBuilder::new(msg_type(NFT_MSG_GETCHAIN), 0);
    b.push_header(&[family, 0, 0, 0]);
    b.attr_str(NFTA_CHAIN_TABLE, table);
    b.attr_str(NFTA_CHAIN_NAME, chain);
    b
}

/// An `NFT_MSG_GETSETELEM_RESET` request for the set `table`/`set`: without `elems` a dump of
/// the whole set; with them, those elements (by key, interval end and catch-all flag only).
pub(crate) fn setelem_reset_request(
    family: u8,
    table: &str,
    set: &str,
    elems: &[RawElement],
) -> crate::netlink::wire::MsgBuilder {
    let mut b = crate::netlink::wire::MsgBuilder::new(msg_type(NFT_MSG_GETSETELEM_RESET), 0);
    b.push_header(&[family, 0, 0, 0]);
    b.attr_str(NFTA_SET_ELEM_LIST_TABLE, table);
    b.attr_str(NFTA_SET_ELEM_LIST_SET, set);
    if elems.is_empty() {
        return b;
    }
    let list = b.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
    for (i, e) in elems.iter().enumerate() {
        // Element nests are numbered from 1, as libnftnl does (the kernel ignores the number).
        let n = b.begin_nested((i % 0x3fff) as u16 + 1);
        if let Some(f) = e.flags {
            b.attr_be32(NFTA_SET_ELEM_FLAGS, f);
        }
        if let Some(k) = &e.key {
            let k2 = b.begin_nested(NFTA_SET_ELEM_KEY);
            b.attr(NFTA_DATA_VALUE, k);
            b.end_nested(k2);
        }
        if let Some(k) = &e.key_end {
            let k2 = b.begin_nested(NFTA_SET_ELEM_KEY_END);
            b.attr(NFTA_DATA_VALUE, k);
            b.end_nested(k2);
        }
        b.end_nested(n);
    }
    b.end_nested(list);
    b
}

/// A GET request (for dumps): nfgenmsg family plus optional table / set filter attributes.
pub(crate) fn get_request(
    cmd: u8,
    family: u8,
    table: Option<&str>,
    set: Option<&str>,
) -> crate::netlink::wire::MsgBuilder {
    let mut b = crate::netlink::wire::MsgBuilder::new(msg_type(cmd), 0);
    b.push_header(&[family, 0, 0, 0]);
    if let Some(t) = table {
        b.attr_str(1, t);
    }
    if let Some(s) = set {
        b.attr_str(2, s);
    }
    b
}

// ---------------------------------------------------------------------------------------------
// decoding

/// A generation notification (`NFT_MSG_NEWGEN`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Generation {
    /// Generation id.
    pub id: u32,
    /// Process that committed it.
    pub proc_pid: Option<u32>,
    /// Its name.
    pub proc_name: Option<String>,
}

/// A decoded nf_tables message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Decoded {
    /// A table (without contents).
    Table(Table),
    /// A chain (without rules).
    Chain {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// The chain.
        chain: Chain,
    },
    /// A rule.
    Rule {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// Chain name.
        chain: String,
        /// The rule.
        rule: Rule,
    },
    /// A set declaration (without elements).
    Set {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// The set.
        set: Set,
    },
    /// Elements of a set, in kernel form (type them with [`Set::decode_elements`]).
    Elements {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// Set name.
        set: String,
        /// In-batch set id (in requests only).
        set_id: Option<u32>,
        /// The elements.
        elements: Vec<RawElement>,
    },
    /// A named object.
    Object {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// The object.
        object: Object,
    },
    /// A flowtable.
    Flowtable {
        /// Family.
        family: Family,
        /// Table name.
        table: String,
        /// The flowtable.
        flowtable: Flowtable,
    },
    /// A generation notification.
    Generation(Generation),
    /// Any other message, raw.
    Other {
        /// Message type.
        msg_type: u16,
        /// Payload after `nlmsghdr`.
        payload: Vec<u8>,
    },
}

fn proto(detail: impl Into<String>) -> Error {
    Error::protocol(Subsystem::Netfilter, ProtocolKind::Malformed, detail)
}

fn need_str(t: &Tab<'_>, k: u16, what: &str) -> Result<String> {
    t.get(k)
        .map(lenient_str)
        .ok_or_else(|| proto(format!("{what} without its name attribute")))
}

fn opt_be64(t: &Tab<'_>, k: u16) -> Option<u64> {
    t.be64(k).flatten()
}

/// Decodes any nf_tables message into the model.
///
/// # Errors
/// Protocol errors for malformed framing, unknown families or missing names; unknown
/// expressions, attributes or object kinds are carried raw, never errors.
pub fn decode(m: &Msg<'_>) -> Result<Decoded> {
    let ty = m.header.msg_type;
    if ty >> 8 != u16::from(NFNL_SUBSYS_NFTABLES) {
        return Ok(Decoded::Other {
            msg_type: ty,
            payload: m.payload.to_vec(),
        });
    }
    let cmd = (ty & 0xff) as u8;
    let Some(fam_byte) = m.payload.first() else {
        return Err(proto("nf_tables message without nfgenmsg"));
    };
    let body = m.payload.get(4..).unwrap_or_default();
    if cmd == NFT_MSG_NEWGEN {
        let t = Tab::parse(body, ANY, 0).ok_or_else(|| proto("malformed NFT_MSG_NEWGEN"))?;
        return Ok(Decoded::Generation(Generation {
            id: t.be32(NFTA_GEN_ID).flatten().unwrap_or(0),
            proc_pid: t.be32(NFTA_GEN_PROC_PID).flatten(),
            proc_name: t.get(NFTA_GEN_PROC_NAME).map(lenient_str),
        }));
    }
    let family = Family::from_number(*fam_byte);
    // `flush ruleset` is a DELTABLE without family or name.
    if family.is_none() || body.is_empty() {
        return Ok(Decoded::Other {
            msg_type: ty,
            payload: m.payload.to_vec(),
        });
    }
    let fam = || family.ok_or_else(|| proto(format!("unknown nf_tables family {fam_byte}")));
    match cmd {
        NFT_MSG_NEWTABLE | NFT_MSG_DELTABLE | NFT_MSG_DESTROYTABLE => {
            Ok(Decoded::Table(decode_table(fam()?, body)?))
        }
        NFT_MSG_NEWCHAIN | NFT_MSG_DELCHAIN | NFT_MSG_DESTROYCHAIN => decode_chain(fam()?, body),
        NFT_MSG_NEWRULE | NFT_MSG_DELRULE | NFT_MSG_DESTROYRULE => decode_rule(fam()?, body),
        NFT_MSG_NEWSET | NFT_MSG_DELSET | NFT_MSG_DESTROYSET => decode_set(fam()?, body),
        NFT_MSG_NEWSETELEM | NFT_MSG_DELSETELEM | NFT_MSG_DESTROYSETELEM => {
            decode_elements(fam()?, body)
        }
        NFT_MSG_NEWOBJ | NFT_MSG_DELOBJ | NFT_MSG_DESTROYOBJ => decode_object(fam()?, body),
        NFT_MSG_NEWFLOWTABLE | NFT_MSG_DELFLOWTABLE | NFT_MSG_DESTROYFLOWTABLE => {
            decode_flowtable(fam()?, body)
        }
        _ => Ok(Decoded::Other {
            msg_type: ty,
            payload: m.payload.to_vec(),
        }),
    }
}

/// Accept every attribute type (container messages are decoded leniently).
const ANY: u32 = u32::MAX;

fn decode_table(family: Family, b: &[u8]) -> Result<Table> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed table message"))?;
    let name = need_str(&t, NFTA_TABLE_NAME, "table")?;
    let mut table = Table {
        family,
        name,
        lifetime: super::model::TableLifetime::Persistent,
        dormant: false,
        other_flags: 0,
        userdata: Userdata::from_bytes(t.get(NFTA_TABLE_USERDATA).unwrap_or_default()),
        handle: opt_be64(&t, NFTA_TABLE_HANDLE),
        owner: t.be32(NFTA_TABLE_OWNER).flatten(),
        chains: Vec::new(),
        sets: Vec::new(),
        objects: Vec::new(),
        flowtables: Vec::new(),
    };
    let _ = (NFTA_TABLE_USE, NFTA_TABLE_PAD);
    table.set_flags(t.be32(NFTA_TABLE_FLAGS).flatten().unwrap_or(0));
    Ok(table)
}

fn devices(b: &[u8]) -> Vec<String> {
    wire::attrs(b)
        .filter_map(|a| a.ok())
        .filter(|a| a.kind() == NFTA_DEVICE_NAME)
        .map(|a| lenient_str(a.payload))
        .collect()
}

fn decode_chain(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed chain message"))?;
    let table = need_str(&t, NFTA_CHAIN_TABLE, "chain")?;
    let name = t.get(NFTA_CHAIN_NAME).map(lenient_str).unwrap_or_default();
    let _ = (
        NFTA_CHAIN_USE,
        NFTA_CHAIN_COUNTERS,
        NFTA_CHAIN_PAD,
        NFTA_CHAIN_ID,
    );
    let kind = match t.get(NFTA_CHAIN_HOOK) {
        Some(h) => {
            let ht = Tab::parse(h, ANY, 0).ok_or_else(|| proto("malformed chain hook"))?;
            let num = ht.be32(NFTA_HOOK_HOOKNUM).flatten().unwrap_or(0);
            let hook = Hook::from_number(family, num)
                .ok_or_else(|| proto(format!("chain {name}: hook {num} unknown in {family}")))?;
            // Kernels ≥ 6.x dump a single device both as DEV and inside DEVS.
            let devs = match (ht.get(NFTA_HOOK_DEVS), ht.get(NFTA_HOOK_DEV)) {
                (Some(d), _) => devices(d),
                (None, Some(d)) => vec![lenient_str(d)],
                (None, None) => Vec::new(),
            };
            let ty = t
                .get(NFTA_CHAIN_TYPE)
                .map(lenient_str)
                .unwrap_or_else(|| "filter".into());
            ChainKind::Base(BaseChain {
                chain_type: ChainType::from_name(&ty)
                    .ok_or_else(|| proto(format!("chain {name}: unknown type {ty}")))?,
                hook,
                priority: ht.be32(NFTA_HOOK_PRIORITY).flatten().unwrap_or(0) as i32,
                policy: match t.be32(NFTA_CHAIN_POLICY).flatten() {
                    Some(0) => Some(Policy::Drop),
                    Some(1) => Some(Policy::Accept),
                    Some(p) => return Err(proto(format!("chain {name}: policy {p}"))),
                    None => None,
                },
                devices: devs,
                hw_offload: t.be32(NFTA_CHAIN_FLAGS).flatten().unwrap_or(0) & 0x2 != 0,
            })
        }
        None => ChainKind::Regular,
    };
    Ok(Decoded::Chain {
        family,
        table,
        chain: Chain {
            name,
            kind,
            rules: Vec::new(),
            userdata: Userdata::from_bytes(t.get(NFTA_CHAIN_USERDATA).unwrap_or_default()),
            handle: opt_be64(&t, NFTA_CHAIN_HANDLE),
        },
    })
}

fn decode_rule(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed rule message"))?;
    let table = need_str(&t, NFTA_RULE_TABLE, "rule")?;
    let chain = t.get(NFTA_RULE_CHAIN).map(lenient_str).unwrap_or_default();
    let exprs = match t.get(NFTA_RULE_EXPRESSIONS) {
        Some(e) => expr::decode_list(e)?,
        None => Vec::new(),
    };
    let _ = (NFTA_RULE_PAD, NFTA_RULE_ID);
    Ok(Decoded::Rule {
        family,
        table,
        chain,
        rule: Rule {
            exprs,
            userdata: Userdata::from_bytes(t.get(NFTA_RULE_USERDATA).unwrap_or_default()),
            handle: opt_be64(&t, NFTA_RULE_HANDLE),
            compat: t.get(NFTA_RULE_COMPAT).map(<[u8]>::to_vec),
        },
    })
}

fn decode_set(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed set message"))?;
    let table = need_str(&t, NFTA_SET_TABLE, "set")?;
    let name = t.get(NFTA_SET_NAME).map(lenient_str).unwrap_or_default();
    let flags = SetFlags::from_bits_retain(t.be32(NFTA_SET_FLAGS).flatten().unwrap_or(0));
    let mut size = None;
    let mut field_lens: Option<Vec<u32>> = None;
    if let Some(d) = t.get(NFTA_SET_DESC) {
        let dt = Tab::parse(d, ANY, 0).ok_or_else(|| proto("malformed set desc"))?;
        size = dt.be32(NFTA_SET_DESC_SIZE).flatten();
        if let Some(c) = dt.get(NFTA_SET_DESC_CONCAT) {
            let mut v = Vec::new();
            for a in wire::attrs(c) {
                let a = a?;
                let ft =
                    Tab::parse(a.payload, ANY, 0).ok_or_else(|| proto("malformed set field"))?;
                v.push(ft.be32(NFTA_SET_FIELD_LEN).flatten().unwrap_or(0));
            }
            field_lens = Some(v);
        }
    }
    let key = SetKey::from_wire(
        t.be32(NFTA_SET_KEY_TYPE).flatten().unwrap_or(0),
        t.be32(NFTA_SET_KEY_LEN).flatten().unwrap_or(0),
        field_lens.as_deref(),
    );
    let data = if let Some(o) = t.be32(NFTA_SET_OBJ_TYPE).flatten() {
        Some(SetData::Object(ObjectType::from_number(o)))
    } else {
        match t.be32(NFTA_SET_DATA_TYPE).flatten() {
            Some(super::set::NFT_DATA_VERDICT) => Some(SetData::Verdict {
                len: t.be32(NFTA_SET_DATA_LEN).flatten().unwrap_or(0),
            }),
            Some(dt) => Some(SetData::Value(SetKey::from_wire(
                dt,
                t.be32(NFTA_SET_DATA_LEN).flatten().unwrap_or(0),
                None,
            ))),
            None => None,
        }
    };
    let mut exprs = Vec::new();
    if let Some(e) = t.get(NFTA_SET_EXPR) {
        exprs.push(Expr::decode_body(e)?);
    }
    if let Some(l) = t.get(NFTA_SET_EXPRESSIONS) {
        exprs.extend(expr::decode_list(l)?);
    }
    let _ = NFTA_SET_PAD;
    Ok(Decoded::Set {
        family,
        table,
        set: Set {
            name,
            handle: opt_be64(&t, NFTA_SET_HANDLE),
            flags,
            key,
            data,
            policy: match t.be32(NFTA_SET_POLICY).flatten() {
                Some(0) => Some(SetPolicy::Performance),
                Some(1) => Some(SetPolicy::Memory),
                _ => None,
            },
            size,
            timeout: opt_be64(&t, NFTA_SET_TIMEOUT),
            gc_interval: t.be32(NFTA_SET_GC_INTERVAL).flatten(),
            userdata: Userdata::from_bytes(t.get(NFTA_SET_USERDATA).unwrap_or_default()),
            exprs,
            id: t.be32(NFTA_SET_ID).flatten(),
            elements: Vec::new(),
        },
    })
}

fn value_of(b: &[u8]) -> Option<Vec<u8>> {
    let t = Tab::parse(b, mask(&[NFTA_DATA_VALUE]), 0)?;
    t.get(NFTA_DATA_VALUE).map(<[u8]>::to_vec)
}

/// Decodes one element nest.
pub(crate) fn decode_raw_element(b: &[u8]) -> Result<RawElement> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed set element"))?;
    let bad = || proto("malformed set element value");
    let data = match t.get(NFTA_SET_ELEM_DATA) {
        None => None,
        Some(d) => Some(match expr::get_data(d).ok_or_else(bad)? {
            expr::DataOrVerdict::Value(v) => RawData::Value(v),
            expr::DataOrVerdict::Verdict(v) => RawData::Verdict(v),
        }),
    };
    let mut exprs = Vec::new();
    if let Some(e) = t.get(NFTA_SET_ELEM_EXPR) {
        exprs.push(Expr::decode_body(e)?);
    }
    if let Some(l) = t.get(NFTA_SET_ELEM_EXPRESSIONS) {
        exprs.extend(expr::decode_list(l)?);
    }
    let _ = NFTA_SET_ELEM_PAD;
    Ok(RawElement {
        key: match t.get(NFTA_SET_ELEM_KEY) {
            Some(k) => Some(value_of(k).ok_or_else(bad)?),
            None => None,
        },
        key_end: match t.get(NFTA_SET_ELEM_KEY_END) {
            Some(k) => Some(value_of(k).ok_or_else(bad)?),
            None => None,
        },
        flags: t.get(NFTA_SET_ELEM_FLAGS).and_then(be32),
        data,
        objref: t.get(NFTA_SET_ELEM_OBJREF).map(lenient_str),
        timeout: opt_be64(&t, NFTA_SET_ELEM_TIMEOUT),
        expiration: opt_be64(&t, NFTA_SET_ELEM_EXPIRATION),
        userdata: Userdata::from_bytes(t.get(NFTA_SET_ELEM_USERDATA).unwrap_or_default()),
        exprs,
    })
}

fn decode_elements(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed element message"))?;
    let table = need_str(&t, NFTA_SET_ELEM_LIST_TABLE, "element list")?;
    let set = t
        .get(NFTA_SET_ELEM_LIST_SET)
        .map(lenient_str)
        .unwrap_or_default();
    let mut elements = Vec::new();
    if let Some(l) = t.get(NFTA_SET_ELEM_LIST_ELEMENTS) {
        for a in wire::attrs(l) {
            elements.push(decode_raw_element(a?.payload)?);
        }
    }
    Ok(Decoded::Elements {
        family,
        table,
        set,
        set_id: t.be32(NFTA_SET_ELEM_LIST_SET_ID).flatten(),
        elements,
    })
}

fn decode_object(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed object message"))?;
    let table = need_str(&t, NFTA_OBJ_TABLE, "object")?;
    let kind = ObjectType::from_number(t.be32(NFTA_OBJ_TYPE).flatten().unwrap_or(0));
    let data = Object::decode_data(kind, t.get(NFTA_OBJ_DATA).unwrap_or_default());
    let _ = (NFTA_OBJ_USE, NFTA_OBJ_PAD);
    Ok(Decoded::Object {
        family,
        table,
        object: Object {
            name: t.get(NFTA_OBJ_NAME).map(lenient_str).unwrap_or_default(),
            handle: opt_be64(&t, NFTA_OBJ_HANDLE),
            data,
            userdata: Userdata::from_bytes(t.get(NFTA_OBJ_USERDATA).unwrap_or_default()),
        },
    })
}

fn decode_flowtable(family: Family, b: &[u8]) -> Result<Decoded> {
    let t = Tab::parse(b, ANY, 0).ok_or_else(|| proto("malformed flowtable message"))?;
    let table = need_str(&t, NFTA_FLOWTABLE_TABLE, "flowtable")?;
    let mut priority = 0;
    let mut devs = Vec::new();
    if let Some(h) = t.get(NFTA_FLOWTABLE_HOOK) {
        let ht = Tab::parse(h, ANY, 0).ok_or_else(|| proto("malformed flowtable hook"))?;
        priority = ht.be32(NFTA_FLOWTABLE_HOOK_PRIORITY).flatten().unwrap_or(0) as i32;
        if let Some(d) = ht.get(NFTA_FLOWTABLE_HOOK_DEVS) {
            devs = devices(d);
        }
    }
    let _ = (NFTA_FLOWTABLE_USE, NFTA_FLOWTABLE_PAD);
    Ok(Decoded::Flowtable {
        family,
        table,
        flowtable: Flowtable {
            name: t
                .get(NFTA_FLOWTABLE_NAME)
                .map(lenient_str)
                .unwrap_or_default(),
            hook: Hook::Ingress,
            priority,
            devices: devs,
            flags: t.be32(NFTA_FLOWTABLE_FLAGS).flatten().unwrap_or(0),
            handle: opt_be64(&t, NFTA_FLOWTABLE_HANDLE),
        },
    })
}

/// Decodes a verdict from the payload of a `NFTA_DATA_VERDICT` nest (exposed for tests and
/// trace decoding).
pub fn decode_verdict(b: &[u8]) -> Option<Verdict> {
    Verdict::decode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netfilter::model::TableLifetime;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn nf_92_spec_golden_table() {
        let t = Table::new(Family::Inet, "t", TableLifetime::SocketOwned).unwrap();
        let m = new_table(&t, flags::CREATE).unwrap();
        assert_eq!(
            m.bytes(),
            hex("24000000000a000400000000000000000100000006000100740000000800020000000002")
        );
    }

    #[test]
    fn nf_30_elements_split_below_attribute_limit() {
        let elems: Vec<RawElement> = (0..20_000u32)
            .map(|i| RawElement {
                key: Some(i.to_be_bytes().to_vec()),
                ..RawElement::default()
            })
            .collect();
        let msgs = set_elements(ElemOp::Add, Family::Ip, "t", "s", None, &elems).unwrap();
        assert!(msgs.len() > 1);
        let mut n = 0;
        for m in &msgs {
            assert!(m.bytes().len() < 65_535, "{}", m.bytes().len());
            match decode(&m.as_msg()).unwrap() {
                Decoded::Elements { elements, .. } => n += elements.len(),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(n, 20_000);
    }
}
