//! Reset requests (NFT-08 `reset`): read stateful state and zero it in one step.
//!
//! Resetting is not a batch operation: the kernel answers a GET request of a reset type with
//! the things as they were and zeroes their state while it answers, as `nft reset` does —
//! named counters and quotas (`NFT_MSG_GETOBJ_RESET`), the counters and quotas inside rules
//! (`NFT_MSG_GETRULE_RESET`, kernel ≥ 6.2) and those of set elements, whose timeouts also start
//! over (`NFT_MSG_GETSETELEM_RESET`, kernel ≥ 6.5). Nothing is committed, so the ruleset
//! generation does not change.

use super::batch::Nft;
use super::codec::{self, Decoded};
use super::model::{Chain, Family, Rule, Ruleset, Table, TableLifetime};
use super::obj::{Object, ObjectType};
use super::set::{Element, RawElement, Set};
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

/// Which rules a rule reset covers (`reset rules`, `reset rules ip`,
/// `reset rules table ip t`, `reset rules chain ip t c`); see [`Nft::reset_rules`].
///
/// ```
/// use linx::netfilter::{Family, RuleResetScope};
/// let scope = RuleResetScope::Chain(Family::Inet, "fw".into(), "input".into());
/// assert_ne!(scope, RuleResetScope::Table(Family::Inet, "fw".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleResetScope {
    /// Every rule of every table.
    All,
    /// Every rule of one family's tables.
    Family(Family),
    /// Every rule of one table.
    Table(Family, String),
    /// Every rule of one chain: family, table, chain.
    Chain(Family, String, String),
}

/// Elements sent per `NFT_MSG_GETSETELEM_RESET` request (keys are at most 64 bytes, so a
/// request stays far below the 64 KiB attribute limit).
const ELEMENTS_PER_REQUEST: usize = 256;

fn no_answer(what: &str, request: &str) -> Error {
    Error::protocol(
        Subsystem::Netfilter,
        crate::error::ProtocolKind::UnexpectedMessage,
        format!("{request} of {what} answered without it"),
    )
}

impl Nft {
    /// Runs a non-dump GET request and tags a failure (e.g. `ENOENT`) with `what`.
    fn get_one(&mut self, req: &Request, what: &str) -> Result<Vec<crate::netlink::wire::Message>> {
        self.socket_mut()
            .request(req)
            .map_err(|e| e.with_context(|c| c.object = Some(what.to_string())))
    }

    /// The chain `table`/`chain` (declaration only); `ENOENT` naming it when absent.
    fn get_chain(&mut self, family: Family, table: &str, chain: &str) -> Result<Chain> {
        let req = Request::new(
            codec::chain_get_request(family.number(), table, chain),
            "NFT_MSG_GETCHAIN",
        )?;
        let what = format!("chain {family} {table} {chain}");
        for m in self.get_one(&req, &what)? {
            if let Decoded::Chain { chain, .. } = codec::decode(&m.as_msg())? {
                return Ok(chain);
            }
        }
        Err(no_answer(&what, "NFT_MSG_GETCHAIN"))
    }

    /// The set or map `table`/`set` without its elements; `ENOENT` naming it when absent.
    fn get_set(&mut self, family: Family, table: &str, set: &str) -> Result<Set> {
        let req = Request::new(
            codec::get_request(
                codec::NFT_MSG_GETSET,
                family.number(),
                Some(table),
                Some(set),
            ),
            "NFT_MSG_GETSET",
        )?;
        let what = format!("set {family} {table} {set}");
        for m in self.get_one(&req, &what)? {
            if let Decoded::Set { set, .. } = codec::decode(&m.as_msg())? {
                return Ok(set);
            }
        }
        Err(no_answer(&what, "NFT_MSG_GETSET"))
    }

    /// Reads and zeroes the stateful expressions (counters, quotas) of the rules in `scope`
    /// (`NFT_MSG_GETRULE_RESET` dump, kernel ≥ 6.2) — `reset rules …` of nftables ≥ 1.0.8.
    /// Returns the tables and chains of the scope (declarations as the kernel lists them,
    /// without sets or objects) holding every rule as it was *before* the reset, in the
    /// kernel's order; a chain scope yields its table with that one chain. Print the result
    /// with [`linx::nft::print`](crate::nft::print) (the `nft` layer's `reset rules` output adds
    /// the tables' sets and objects, as nft's listing does).
    ///
    /// ```no_run
    /// use linx::netfilter::{Family, Nft, RuleResetScope};
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let before = nft.reset_rules(&RuleResetScope::Table(Family::Inet, "fw".into()))?;
    /// for t in &before.tables {
    ///     for c in &t.chains {
    ///         println!("{} {}: {} rules", t.name, c.name, c.rules.len());
    ///     }
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// `ENOENT` naming the table (`table ip t`) or chain (`chain ip t c`) when a table or chain
    /// scope does not exist; `EOPNOTSUPP`/`EINVAL` from kernels before 6.2; other kernel errors.
    pub fn reset_rules(&mut self, scope: &RuleResetScope) -> Result<Ruleset> {
        let (family, table, chain) = match scope {
            RuleResetScope::All => (0, None, None),
            RuleResetScope::Family(f) => (f.number(), None, None),
            RuleResetScope::Table(f, t) => (f.number(), Some(t.as_str()), None),
            RuleResetScope::Chain(f, t, c) => (f.number(), Some(t.as_str()), Some(c.as_str())),
        };
        let mut rs = Ruleset::new();
        match scope {
            RuleResetScope::All | RuleResetScope::Family(_) => {
                let req = Request::new(
                    codec::get_request(codec::NFT_MSG_GETTABLE, family, None, None),
                    "NFT_MSG_GETTABLE",
                )?;
                self.socket_mut().dump_with(&req, |m| {
                    if let Decoded::Table(t) = codec::decode(&m)? {
                        rs.tables.push(t);
                    }
                    Ok(())
                })?;
            }
            RuleResetScope::Table(f, t) | RuleResetScope::Chain(f, t, _) => {
                let req = Request::new(
                    codec::get_request(codec::NFT_MSG_GETTABLE, f.number(), Some(t), None),
                    "NFT_MSG_GETTABLE",
                )?;
                for m in self.get_one(&req, &format!("table {f} {t}"))? {
                    if let Decoded::Table(t) = codec::decode(&m.as_msg())? {
                        rs.tables.push(t);
                    }
                }
            }
        }
        if let RuleResetScope::Chain(f, t, c) = scope {
            let ch = self.get_chain(*f, t, c)?;
            if let Some(tb) = rs.table_mut(*f, t) {
                tb.chains.push(ch);
            }
        } else {
            let req = Request::new(
                codec::get_request(codec::NFT_MSG_GETCHAIN, family, table, None),
                "NFT_MSG_GETCHAIN",
            )?;
            self.socket_mut().dump_with(&req, |m| {
                if let Decoded::Chain {
                    family,
                    table,
                    chain,
                } = codec::decode(&m)?
                    && let Some(t) = rs.table_mut(family, &table)
                {
                    t.chains.push(chain);
                }
                Ok(())
            })?;
        }
        let req = Request::new(
            codec::rule_reset_request(family, table, chain, None),
            "NFT_MSG_GETRULE_RESET",
        )?;
        // The reset has happened once the dump ran: an interrupted dump is not retried.
        self.socket_mut().dump_with(&req, |m| {
            if let Decoded::Rule {
                family,
                table: t,
                chain: c,
                rule,
            } = codec::decode(&m)?
                && table.is_none_or(|want| want == t)
                && chain.is_none_or(|want| want == c)
            {
                let tb = match rs.table_mut(family, &t) {
                    Some(tb) => tb,
                    None => {
                        // Created after the table dump: listed all the same.
                        rs.tables
                            .push(Table::new(family, &t, TableLifetime::Persistent)?);
                        let i = rs.tables.len() - 1;
                        &mut rs.tables[i]
                    }
                };
                if tb.chain(&c).is_none() {
                    tb.chains.push(Chain::regular(&c)?);
                }
                if let Some(ch) = tb.chain_mut(&c) {
                    ch.rules.push(rule);
                }
            }
            Ok(())
        })?;
        Ok(rs)
    }

    /// Reads and zeroes the counters and quotas of one rule, found by its handle
    /// (`NFT_MSG_GETRULE_RESET`, kernel ≥ 6.2) — `reset rule F T C handle N` — and returns it
    /// as it was before.
    ///
    /// ```no_run
    /// use linx::netfilter::{Family, Nft};
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let rule = nft.reset_rule(Family::Inet, "fw", "input", 4)?;
    /// println!("{} expressions", rule.exprs.len());
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// `ENOENT` naming the rule (`rule ip t c handle 4`) when its table, chain or handle does not
    /// exist; other kernel errors.
    pub fn reset_rule(
        &mut self,
        family: Family,
        table: &str,
        chain: &str,
        handle: u64,
    ) -> Result<Rule> {
        let req = Request::new(
            codec::rule_reset_request(family.number(), Some(table), Some(chain), Some(handle)),
            "NFT_MSG_GETRULE_RESET",
        )?;
        let what = format!("rule {family} {table} {chain} handle {handle}");
        for m in self.get_one(&req, &what)? {
            if let Decoded::Rule { rule, .. } = codec::decode(&m.as_msg())? {
                return Ok(rule);
            }
        }
        Err(no_answer(&what, "NFT_MSG_GETRULE_RESET"))
    }

    /// Reads and zeroes the per-element state of a whole set or map — element counters and
    /// quotas, and element expiry, which starts over from the element's timeout
    /// (`NFT_MSG_GETSETELEM_RESET` dump, kernel ≥ 6.5) — `reset set|map F T NAME` of nftables
    /// ≥ 1.0.8. Returns the set (its declaration from `NFT_MSG_GETSET`, needed to type the
    /// elements) with every element as it was before the reset.
    ///
    /// ```no_run
    /// use linx::netfilter::{Family, Nft};
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let before = nft.reset_set(Family::Inet, "fw", "seen")?;
    /// for e in &before.elements {
    ///     println!("{e}: {:?}", e.exprs);
    /// }
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// `ENOENT` naming the set (`set ip t s`) when the table or set does not exist; protocol
    /// errors for elements that do not match the set's type; other kernel errors.
    pub fn reset_set(&mut self, family: Family, table: &str, set: &str) -> Result<Set> {
        let mut s = self.get_set(family, table, set)?;
        let req = Request::new(
            codec::setelem_reset_request(family.number(), table, set, &[]),
            "NFT_MSG_GETSETELEM_RESET",
        )?;
        let mut raw = Vec::new();
        self.socket_mut()
            .dump_with(&req, |m| {
                if let Decoded::Elements { elements, .. } = codec::decode(&m)? {
                    raw.extend(elements);
                }
                Ok(())
            })
            .map_err(|e| {
                e.with_context(|c| c.object = Some(format!("set {family} {table} {set}")))
            })?;
        s.elements = s.decode_elements(&raw)?;
        Ok(s)
    }

    /// Reads and zeroes the state of the given elements of a set or map (element counters and
    /// quotas; expiry starts over), found by key (`NFT_MSG_GETSETELEM_RESET`, kernel ≥ 6.5) —
    /// `reset element F T S { … }` of nftables ≥ 1.0.8. Only the keys of `elements` matter.
    /// Returns the set declaration holding those elements as they were before the reset, as
    /// `nft get element` shows them.
    ///
    /// ```no_run
    /// use linx::netfilter::{Element, Family, Nft};
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let ip: std::net::Ipv4Addr = "10.0.0.1".parse().unwrap();
    /// let before = nft.reset_elements(Family::Ip, "t", "seen", &[Element::new(ip)])?;
    /// println!("{:?}", before.elements[0].exprs);
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// Input errors for keys that do not fit the set's type; `ENOENT` naming the set when the
    /// table, set or an element does not exist (elements before the missing one are reset
    /// already, as with nft); other kernel errors.
    pub fn reset_elements(
        &mut self,
        family: Family,
        table: &str,
        set: &str,
        elements: &[Element],
    ) -> Result<Set> {
        let s = self.get_set(family, table, set)?;
        let mut raw = s.encode_elements(elements, false)?;
        for r in &mut raw {
            *r = RawElement {
                key: r.key.take(),
                key_end: r.key_end.take(),
                flags: r.flags,
                ..RawElement::default()
            };
        }
        self.reset_raw_elements(s, family, table, &raw)
    }

    /// [`reset_elements`](Nft::reset_elements) with keys already in kernel form (`key`,
    /// `key_end` and `flags` of each [`RawElement`] are sent; interval sets take the start and
    /// end elements [`Set::encode_elements`] makes).
    ///
    /// ```no_run
    /// use linx::netfilter::{Family, Nft};
    /// use linx::netfilter::set::RawElement;
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let key = RawElement { key: Some(vec![10, 0, 0, 1]), ..Default::default() };
    /// let before = nft.reset_elements_raw(Family::Ip, "t", "seen", &[key])?;
    /// println!("{}", before.elements.len());
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`reset_elements`](Nft::reset_elements).
    pub fn reset_elements_raw(
        &mut self,
        family: Family,
        table: &str,
        set: &str,
        keys: &[RawElement],
    ) -> Result<Set> {
        let s = self.get_set(family, table, set)?;
        self.reset_raw_elements(s, family, table, keys)
    }

    fn reset_raw_elements(
        &mut self,
        mut s: Set,
        family: Family,
        table: &str,
        keys: &[RawElement],
    ) -> Result<Set> {
        let what = format!("set {family} {table} {}", s.name);
        let mut raw = Vec::new();
        for chunk in keys.chunks(ELEMENTS_PER_REQUEST) {
            let req = Request::new(
                codec::setelem_reset_request(family.number(), table, &s.name, chunk),
                "NFT_MSG_GETSETELEM_RESET",
            )?;
            for m in self.get_one(&req, &what)? {
                if let Decoded::Elements { elements, .. } = codec::decode(&m.as_msg())? {
                    raw.extend(elements);
                }
            }
        }
        s.elements = s.decode_elements(&raw)?;
        Ok(s)
    }
}
