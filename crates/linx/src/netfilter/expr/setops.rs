//! Expressions that use sets, objects and flowtables: lookup, dynset, objref, flow_offload.

use std::fmt;

use super::{Expr, NFTA_LIST_ELEM, Reg};
use crate::error::Result;
use crate::netfilter::attr::{Tab, W, mask};
use crate::netfilter::obj::ObjectType;
use crate::netlink::wire;

const NFTA_LOOKUP_SET: u16 = 1;
const NFTA_LOOKUP_SREG: u16 = 2;
const NFTA_LOOKUP_DREG: u16 = 3;
const NFTA_LOOKUP_SET_ID: u16 = 4;
const NFTA_LOOKUP_FLAGS: u16 = 5;

/// `lookup reg set NAME [dreg]`: set membership, or a map lookup into `dreg` (register 0 for
/// verdict maps).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Lookup {
    /// Set or map name (nft's `__set%d` for anonymous sets created in the same batch).
    pub set: String,
    /// In-batch set id, for a set created earlier in the same batch.
    pub set_id: Option<u32>,
    /// Key register.
    pub sreg: Reg,
    /// Data register for maps.
    pub dreg: Option<Reg>,
    /// `!= @set` (`NFT_LOOKUP_F_INV`).
    pub inverted: bool,
}

impl Lookup {
    /// Membership test of `sreg` in `set`.
    pub fn set(set: impl Into<String>, sreg: Reg) -> Lookup {
        Lookup {
            set: set.into(),
            set_id: None,
            sreg,
            dreg: None,
            inverted: false,
        }
    }

    pub(crate) fn encode(&self, w: &mut W) {
        w.be32(NFTA_LOOKUP_SREG, self.sreg.0);
        if let Some(d) = self.dreg {
            w.be32(NFTA_LOOKUP_DREG, d.0);
        }
        w.str(NFTA_LOOKUP_SET, &self.set);
        if let Some(id) = self.set_id {
            w.be32(NFTA_LOOKUP_SET_ID, id);
        }
        if self.inverted {
            w.be32(NFTA_LOOKUP_FLAGS, 1);
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Lookup> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_LOOKUP_SET,
                NFTA_LOOKUP_SREG,
                NFTA_LOOKUP_DREG,
                NFTA_LOOKUP_SET_ID,
                NFTA_LOOKUP_FLAGS,
            ]),
            0,
        )?;
        let flags = t.be32(NFTA_LOOKUP_FLAGS)?.unwrap_or(0);
        if flags & !1 != 0 {
            return None;
        }
        Some(Lookup {
            set: t.str(NFTA_LOOKUP_SET)??,
            set_id: t.be32(NFTA_LOOKUP_SET_ID)?,
            sreg: Reg(t.req32(NFTA_LOOKUP_SREG)?),
            dreg: t.be32(NFTA_LOOKUP_DREG)?.map(Reg),
            inverted: flags & 1 != 0,
        })
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lookup {} set {}", self.sreg, self.set)?;
        if let Some(d) = self.dreg {
            write!(f, " dreg {}", d.0)?;
        }
        if self.inverted {
            f.write_str(" 0x1")?;
        }
        Ok(())
    }
}

const NFTA_DYNSET_SET_NAME: u16 = 1;
const NFTA_DYNSET_SET_ID: u16 = 2;
const NFTA_DYNSET_OP: u16 = 3;
const NFTA_DYNSET_SREG_KEY: u16 = 4;
const NFTA_DYNSET_SREG_DATA: u16 = 5;
const NFTA_DYNSET_TIMEOUT: u16 = 6;
const NFTA_DYNSET_EXPR: u16 = 7;
const NFTA_DYNSET_PAD: u16 = 8;
const NFTA_DYNSET_FLAGS: u16 = 9;
const NFTA_DYNSET_EXPRESSIONS: u16 = 10;

/// What a dynset does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DynsetOp {
    /// `add @set { … }` (0).
    Add,
    /// `update @set { … }` (1).
    Update,
    /// `delete @set { … }` (2).
    Delete,
}

/// `dynset`: add, update or delete the key (and data) in a set from the packet path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dynset {
    /// Operation.
    pub op: DynsetOp,
    /// Key register.
    pub sreg_key: Reg,
    /// Data register (maps).
    pub sreg_data: Option<Reg>,
    /// Set name.
    pub set: String,
    /// In-batch set id.
    pub set_id: Option<u32>,
    /// Element timeout in ms (`None`: the set's default).
    pub timeout: Option<u64>,
    /// `NFT_DYNSET_F_*` flags (0x1 invert, 0x2 use the set's expressions).
    pub flags: u32,
    /// Stateful expressions attached to the new element (limit, counter, quota, …).
    pub exprs: Vec<Expr>,
}

impl Dynset {
    pub(crate) fn encode(&self, w: &mut W) -> Result<()> {
        w.be32(NFTA_DYNSET_SREG_KEY, self.sreg_key.0);
        if let Some(r) = self.sreg_data {
            w.be32(NFTA_DYNSET_SREG_DATA, r.0);
        }
        w.be32(
            NFTA_DYNSET_OP,
            match self.op {
                DynsetOp::Add => 0,
                DynsetOp::Update => 1,
                DynsetOp::Delete => 2,
            },
        );
        if let Some(t) = self.timeout {
            w.be64(NFTA_DYNSET_TIMEOUT, t);
        }
        w.str(NFTA_DYNSET_SET_NAME, &self.set);
        if let Some(id) = self.set_id {
            w.be32(NFTA_DYNSET_SET_ID, id);
        }
        if self.flags != 0 {
            w.be32(NFTA_DYNSET_FLAGS, self.flags);
        }
        match self.exprs.as_slice() {
            [] => {}
            [one] => {
                let n = w.nest(NFTA_DYNSET_EXPR);
                one.encode_body(w)?;
                w.end(n);
            }
            many => {
                let n = w.nest(NFTA_DYNSET_EXPRESSIONS);
                for e in many {
                    e.encode_elem(w)?;
                }
                w.end(n);
            }
        }
        Ok(())
    }

    pub(crate) fn decode(d: &[u8]) -> Option<Dynset> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_DYNSET_SET_NAME,
                NFTA_DYNSET_SET_ID,
                NFTA_DYNSET_OP,
                NFTA_DYNSET_SREG_KEY,
                NFTA_DYNSET_SREG_DATA,
                NFTA_DYNSET_TIMEOUT,
                NFTA_DYNSET_EXPR,
                NFTA_DYNSET_FLAGS,
                NFTA_DYNSET_EXPRESSIONS,
            ]),
            mask(&[NFTA_DYNSET_PAD]),
        )?;
        let mut exprs = Vec::new();
        if let Some(e) = t.get(NFTA_DYNSET_EXPR) {
            exprs.push(Expr::decode_body(e).ok()?);
        }
        if let Some(list) = t.get(NFTA_DYNSET_EXPRESSIONS) {
            if !exprs.is_empty() {
                return None;
            }
            for a in wire::attrs(list) {
                let a = a.ok()?;
                if a.kind() != NFTA_LIST_ELEM {
                    return None;
                }
                exprs.push(Expr::decode_body(a.payload).ok()?);
            }
        }
        if exprs.iter().any(Expr::is_unknown) {
            return None;
        }
        Some(Dynset {
            op: match t.req32(NFTA_DYNSET_OP)? {
                0 => DynsetOp::Add,
                1 => DynsetOp::Update,
                2 => DynsetOp::Delete,
                _ => return None,
            },
            sreg_key: Reg(t.req32(NFTA_DYNSET_SREG_KEY)?),
            sreg_data: t.be32(NFTA_DYNSET_SREG_DATA)?.map(Reg),
            set: t.str(NFTA_DYNSET_SET_NAME)??,
            set_id: t.be32(NFTA_DYNSET_SET_ID)?,
            // The kernel dumps a zero timeout for "none"; sending it back to a set without
            // timeouts would be refused, so zero means none.
            timeout: t.be64(NFTA_DYNSET_TIMEOUT)?.filter(|&t| t != 0),
            flags: t.be32(NFTA_DYNSET_FLAGS)?.unwrap_or(0),
            exprs,
        })
    }
}

impl fmt::Display for Dynset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            DynsetOp::Add => "add",
            DynsetOp::Update => "update",
            DynsetOp::Delete => "delete",
        };
        write!(
            f,
            "dynset {op} reg_key {} set {}",
            self.sreg_key.0, self.set
        )?;
        if let Some(d) = self.sreg_data {
            write!(f, " sreg_data {}", d.0)?;
        }
        if let Some(t) = self.timeout {
            write!(f, " timeout {t}ms")?;
        }
        for e in &self.exprs {
            write!(f, " expr [ {e} ]")?;
        }
        Ok(())
    }
}

const NFTA_OBJREF_IMM_TYPE: u16 = 1;
const NFTA_OBJREF_IMM_NAME: u16 = 2;
const NFTA_OBJREF_SET_SREG: u16 = 3;
const NFTA_OBJREF_SET_NAME: u16 = 4;
const NFTA_OBJREF_SET_ID: u16 = 5;

/// Which object an objref uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ObjrefTarget {
    /// A named object (`counter name "x"`).
    Name {
        /// Object type.
        kind: ObjectType,
        /// Object name.
        name: String,
    },
    /// The object an object map yields for the key in `sreg` (`counter name ip saddr map @m`).
    Map {
        /// Key register.
        sreg: Reg,
        /// Map name.
        set: String,
        /// In-batch set id.
        set_id: Option<u32>,
    },
}

/// `objref`: apply a named stateful object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Objref {
    /// The object.
    pub target: ObjrefTarget,
}

impl Objref {
    /// A reference to the named object of `kind`.
    pub fn named(kind: ObjectType, name: impl Into<String>) -> Objref {
        Objref {
            target: ObjrefTarget::Name {
                kind,
                name: name.into(),
            },
        }
    }

    pub(crate) fn encode(&self, w: &mut W) {
        match &self.target {
            ObjrefTarget::Name { kind, name } => {
                w.be32(NFTA_OBJREF_IMM_TYPE, kind.number());
                // libnftnl sends the name without its NUL terminator.
                w.attr(NFTA_OBJREF_IMM_NAME, name.as_bytes());
            }
            ObjrefTarget::Map { sreg, set, set_id } => {
                w.be32(NFTA_OBJREF_SET_SREG, sreg.0);
                w.attr(NFTA_OBJREF_SET_NAME, set.as_bytes());
                if let Some(id) = set_id {
                    w.be32(NFTA_OBJREF_SET_ID, *id);
                }
            }
        }
    }
    pub(crate) fn decode(d: &[u8]) -> Option<Objref> {
        let t = Tab::parse(
            d,
            mask(&[
                NFTA_OBJREF_IMM_TYPE,
                NFTA_OBJREF_IMM_NAME,
                NFTA_OBJREF_SET_SREG,
                NFTA_OBJREF_SET_NAME,
                NFTA_OBJREF_SET_ID,
            ]),
            0,
        )?;
        let target = if t.has(NFTA_OBJREF_IMM_NAME) {
            if t.has(NFTA_OBJREF_SET_SREG) || t.has(NFTA_OBJREF_SET_NAME) {
                return None;
            }
            ObjrefTarget::Name {
                kind: ObjectType::from_number(t.req32(NFTA_OBJREF_IMM_TYPE)?),
                name: t.str_any(NFTA_OBJREF_IMM_NAME)??,
            }
        } else {
            if t.has(NFTA_OBJREF_IMM_TYPE) {
                return None;
            }
            ObjrefTarget::Map {
                sreg: Reg(t.req32(NFTA_OBJREF_SET_SREG)?),
                set: t.str_any(NFTA_OBJREF_SET_NAME)??,
                set_id: t.be32(NFTA_OBJREF_SET_ID)?,
            }
        };
        Some(Objref { target })
    }
}

impl fmt::Display for Objref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            ObjrefTarget::Name { kind, name } => {
                write!(f, "objref type {} name {name}", kind.number())
            }
            ObjrefTarget::Map { sreg, set, .. } => write!(f, "objref sreg {} set {set}", sreg.0),
        }
    }
}

const NFTA_FLOW_TABLE_NAME: u16 = 1;

/// `flow add @FLOWTABLE` (`flow_offload`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlowOffload {
    /// Flowtable name.
    pub flowtable: String,
}

impl FlowOffload {
    pub(crate) fn encode(&self, w: &mut W) {
        w.str(NFTA_FLOW_TABLE_NAME, &self.flowtable);
    }
    pub(crate) fn decode(d: &[u8]) -> Option<FlowOffload> {
        let t = Tab::parse(d, mask(&[NFTA_FLOW_TABLE_NAME]), 0)?;
        Some(FlowOffload {
            flowtable: t.str(NFTA_FLOW_TABLE_NAME)??,
        })
    }
}

impl fmt::Display for FlowOffload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flow_offload {}", self.flowtable)
    }
}
