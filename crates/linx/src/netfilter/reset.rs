//! Reset requests (NFT-08 `reset`): read stateful objects and zero them in one step.
//!
//! Resetting is not a batch operation: the kernel answers a GET request of a reset type
//! (`NFT_MSG_GETOBJ_RESET`) with the objects as they were and zeroes them while it answers, as
//! `nft reset counters` does. Nothing is committed, so the ruleset generation does not change.

use super::batch::Nft;
use super::codec::{self, Decoded};
use super::model::{Family, Ruleset, Table, TableLifetime};
use super::obj::{Object, ObjectType};
use crate::error::{Error, Result, Subsystem};
use crate::netlink::Request;

/// Which tables a reset covers (`reset counters`, `reset counters ip`,
/// `reset counters table ip t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetScope {
    /// Every table of every family.
    All,
    /// Every table of one family.
    Family(Family),
    /// One table.
    Table(Family, String),
}

fn reset_kind(kind: ObjectType) -> Result<()> {
    match kind {
        ObjectType::Counter | ObjectType::Quota => Ok(()),
        other => Err(Error::input(
            Subsystem::Netfilter,
            "object type to reset",
            format!("{other:?}"),
            "only counters and quotas have state to reset",
        )),
    }
}

/// Groups reset objects by table, in the kernel's order, in tables that carry nothing else
/// (so printing them gives `nft reset …`'s output).
fn group(found: Vec<(Family, String, Object)>) -> Result<Ruleset> {
    let mut rs = Ruleset::new();
    for (family, table, object) in found {
        let i = match rs
            .tables
            .iter()
            .position(|t| t.family == family && t.name == table)
        {
            Some(i) => i,
            None => {
                rs.tables
                    .push(Table::new(family, &table, TableLifetime::Persistent)?);
                rs.tables.len() - 1
            }
        };
        rs.tables[i].objects.push(object);
    }
    Ok(rs)
}

impl Nft {
    /// Reads and zeroes the named objects of `kind` (counters or quotas) in `scope`
    /// (`NFT_MSG_GETOBJ_RESET` dump) — `reset counters|quotas [family | table F T]`. Returns
    /// their values *before* the reset, grouped by table in tables holding only those objects
    /// (print them with `linx::nft::print` for `nft reset`'s output). A table that does not
    /// exist yields nothing.
    ///
    /// ```no_run
    /// use linx::netfilter::{Family, Nft, ResetScope};
    /// use linx::netfilter::obj::ObjectType;
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let before = nft.reset_objects_of(ObjectType::Counter, &ResetScope::Table(Family::Inet, "fw".into()))?;
    /// for t in &before.tables {
    ///     for o in &t.objects {
    ///         println!("{} {}: {:?}", t.name, o.name, o.data);
    ///     }
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// An input error for a type without state; kernel errors.
    pub fn reset_objects_of(&mut self, kind: ObjectType, scope: &ResetScope) -> Result<Ruleset> {
        reset_kind(kind)?;
        let (family, table) = match scope {
            ResetScope::All => (0, None),
            ResetScope::Family(f) => (f.number(), None),
            ResetScope::Table(f, t) => (f.number(), Some(t.as_str())),
        };
        let req = Request::new(
            codec::obj_reset_request(family, table, None, Some(kind.number())),
            "NFT_MSG_GETOBJ_RESET",
        )?;
        let mut found = Vec::new();
        self.socket_mut().dump_with(&req, |m| {
            if let Decoded::Object {
                family: f,
                table: t,
                object,
            } = codec::decode(&m)?
                && object.kind() == kind
                && table.is_none_or(|want| want == t)
            {
                found.push((f, t, object));
            }
            Ok(())
        })?;
        group(found)
    }

    /// Reads and zeroes one named counter or quota (`NFT_MSG_GETOBJ_RESET`) — `reset counter
    /// F T NAME` — and returns it as it was before.
    ///
    /// # Errors
    /// An input error for a type without state; `ENOENT` when the table or an object of that
    /// type and name does not exist.
    pub fn reset_object(
        &mut self,
        family: Family,
        table: &str,
        kind: ObjectType,
        name: &str,
    ) -> Result<Object> {
        reset_kind(kind)?;
        let req = Request::new(
            codec::obj_reset_request(
                family.number(),
                Some(table),
                Some(name),
                Some(kind.number()),
            ),
            "NFT_MSG_GETOBJ_RESET",
        )?;
        let what = format!("{family}/{table} {kind:?} {name}").to_lowercase();
        for m in self
            .socket_mut()
            .request(&req)
            .map_err(|e| e.with_context(|c| c.object = Some(what.clone())))?
        {
            if let Decoded::Object { object, .. } = codec::decode(&m.as_msg())? {
                return Ok(object);
            }
        }
        Err(Error::protocol(
            Subsystem::Netfilter,
            crate::error::ProtocolKind::UnexpectedMessage,
            format!("NFT_MSG_GETOBJ_RESET of {what} answered without the object"),
        ))
    }
}
