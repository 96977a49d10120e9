//! Push: replace whole tables (NF-82/NF-83) or reconcile to a desired state with a minimal,
//! generation-checked patch (NF-84…NF-87); plus the single-purpose verbs (create, delete,
//! destroy, flush, runtime element changes, object reset).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::batch::{Batch, BatchReply, Nft, is_conflict};
use super::codec::{self, Decoded, ElemOp, NftMessage, RulePlacement};
use super::diff::{self, Patch};
use super::expr::{Expr, ObjrefTarget};
use super::model::{ChainKind, Family, Rule, Ruleset, Table};
use super::obj::{Object, ObjectType};
use super::set::{Element, Set};
use crate::error::{Errno, Error, Result, Subsystem};
use crate::netlink::Request;
use crate::netlink::wire::flags;

/// Options of [`Nft::push_replace_with`].
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Echo created objects back (with handles).
    pub echo: bool,
    /// Force (`Some(true)`) or avoid (`Some(false)`) `DESTROYTABLE`; `None` probes the kernel.
    pub destroy: Option<bool>,
    /// `Some(max_bytes)` allows non-atomic loading (NF-04): a replace batch longer than
    /// `max_bytes` is sent as several batches with [`Nft::send_split`]. `None` (the default)
    /// keeps the push atomic; a batch the socket cannot send then fails with `EMSGSIZE`.
    pub split: Option<usize>,
}

/// Options of [`Nft::reconcile_with`].
#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Retries after a generation conflict (default 3).
    pub retries: u32,
    /// Back-off before retry `n` is `backoff * n` (default 10 ms: 10/20/30 ms).
    pub backoff: Duration,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions {
            retries: 3,
            backoff: Duration::from_millis(10),
        }
    }
}

/// Allocates in-batch set ids (unique per batch, like nft's).
#[derive(Debug, Default)]
pub(crate) struct Ids {
    next: u32,
}

impl Ids {
    pub(crate) fn next(&mut self) -> u32 {
        self.next += 1;
        self.next
    }
}

fn input(what: &'static str, value: String, reason: impl Into<String>) -> Error {
    Error::input(Subsystem::Netfilter, what, value, reason.into())
}

/// Sets a rule references (lookup, dynset, objref map), by name.
pub(crate) fn rule_set_refs(r: &Rule) -> Vec<String> {
    let mut v = Vec::new();
    for e in &r.exprs {
        match e {
            Expr::Lookup(l) => v.push(l.set.clone()),
            Expr::Dynset(d) => v.push(d.set.clone()),
            Expr::Objref(o) => {
                if let ObjrefTarget::Map { set, .. } = &o.target {
                    v.push(set.clone());
                }
            }
            _ => {}
        }
    }
    v
}

/// Checks a table before anything is sent: chain kinds, duplicate tags, jump targets and set
/// references inside the table, duplicate names.
///
/// # Errors
/// Input errors naming the table, chain and rule.
pub fn validate_table(t: &Table) -> Result<()> {
    super::model::check_name("table name", &t.name)?;
    let mut names = HashSet::new();
    for c in &t.chains {
        if !names.insert(c.name.as_str()) {
            return Err(input(
                "chain",
                format!("{}/{} {}", t.family, t.name, c.name),
                "duplicate chain",
            ));
        }
        if let ChainKind::Base(b) = &c.kind {
            b.validate(t.family, &c.name)?;
        }
    }
    let mut set_names = HashSet::new();
    for s in &t.sets {
        if !s.name.contains("%d") && !set_names.insert(s.name.as_str()) {
            return Err(input(
                "set",
                format!("{}/{} {}", t.family, t.name, s.name),
                "duplicate set or map name",
            ));
        }
    }
    for c in &t.chains {
        let mut tags = HashSet::new();
        for (i, r) in c.rules.iter().enumerate() {
            let at = || format!("{}/{} chain {} rule #{}", t.family, t.name, c.name, i + 1);
            if let Some(tag) = r.get_tag()
                && !tags.insert(tag.clone())
            {
                return Err(input("rule tag", tag, format!("duplicate in {}", at())));
            }
            for e in &r.exprs {
                if let Expr::Immediate(im) = e
                    && let super::expr::ImmediateData::Verdict(v) = &im.data
                    && let Some(target) = v.chain()
                    && t.chain(target).is_none()
                {
                    return Err(input(
                        "jump target",
                        target.to_owned(),
                        format!("no such chain in {}", at()),
                    ));
                }
            }
            for s in rule_set_refs(r) {
                if t.set(&s).is_none() {
                    return Err(input(
                        "set reference",
                        s,
                        format!("no such set in {}", at()),
                    ));
                }
            }
            super::builder::check_registers(&r.exprs).map_err(|(idx, why)| {
                input("rule", format!("{} expression #{}", at(), idx + 1), why)
            })?;
        }
    }
    Ok(())
}

/// Fills `set_id` of references to sets created in the same batch.
fn with_set_ids(r: &Rule, ids: &HashMap<String, u32>) -> Rule {
    let mut r = r.clone();
    for e in &mut r.exprs {
        match e {
            Expr::Lookup(l) => {
                if let Some(id) = ids.get(&l.set) {
                    l.set_id = Some(*id);
                }
            }
            Expr::Dynset(d) => {
                if let Some(id) = ids.get(&d.set) {
                    d.set_id = Some(*id);
                }
            }
            Expr::Objref(o) => {
                if let ObjrefTarget::Map { set, set_id, .. } = &mut o.target
                    && let Some(id) = ids.get(set.as_str())
                {
                    *set_id = Some(*id);
                }
            }
            _ => {}
        }
    }
    r
}

/// Messages creating a set (with id) and its elements.
pub(crate) fn set_messages(
    family: Family,
    table: &str,
    s: &Set,
    id: u32,
) -> Result<Vec<NftMessage>> {
    let mut s2 = s.clone();
    s2.id = Some(id);
    let mut out = vec![codec::new_set(family, table, &s2, flags::CREATE)?];
    if !s.elements.is_empty() {
        let raw = s.encode_elements(&s.elements, true)?;
        out.extend(codec::set_elements(
            ElemOp::Add,
            family,
            table,
            &s.name,
            Some(id),
            &raw,
        )?);
    }
    Ok(out)
}

/// The messages that create `t` with everything inside it, in nft's order: table, chains,
/// objects, named sets with their elements, flowtables, then rules in order, each preceded by the
/// anonymous sets it uses.
///
/// # Errors
/// Validation errors ([`validate_table`]); element type errors.
pub fn table_messages(t: &Table) -> Result<Vec<NftMessage>> {
    let mut ids = Ids::default();
    table_messages_with(t, &mut ids)
}

pub(crate) fn table_messages_with(t: &Table, ids: &mut Ids) -> Result<Vec<NftMessage>> {
    validate_table(t)?;
    let f = t.family;
    let mut out = vec![codec::new_table(t, flags::CREATE)?];
    for c in &t.chains {
        let mut c2 = c.clone();
        c2.rules.clear();
        out.push(codec::new_chain(f, &t.name, &c2, flags::CREATE, None)?);
    }
    for o in &t.objects {
        out.push(codec::new_object(f, &t.name, o, flags::CREATE)?);
    }
    let mut set_ids: HashMap<String, u32> = HashMap::new();
    for s in t.sets.iter().filter(|s| !s.is_anonymous()) {
        let id = ids.next();
        set_ids.insert(s.name.clone(), id);
        out.extend(set_messages(f, &t.name, s, id)?);
    }
    for ft in &t.flowtables {
        out.push(codec::new_flowtable(f, &t.name, ft, flags::CREATE)?);
    }
    let mut created: HashSet<String> = set_ids.keys().cloned().collect();
    for c in &t.chains {
        for (i, r) in c.rules.iter().enumerate() {
            for name in rule_set_refs(r) {
                if created.contains(&name) {
                    continue;
                }
                if let Some(s) = t.set(&name) {
                    let id = ids.next();
                    set_ids.insert(name.clone(), id);
                    out.extend(set_messages(f, &t.name, s, id)?);
                    created.insert(name);
                }
            }
            let r2 = with_set_ids(r, &set_ids);
            let m = codec::new_rule(f, &t.name, &c.name, &r2, RulePlacement::Append)?;
            let what = format!("{} #{}: {r}", m.object(), i + 1);
            out.push(m.with_object(what));
        }
    }
    Ok(out)
}

impl Nft {
    /// Creates `t` alone (no contents) with `CREATE` and no `EXCL`, so repeating it is a no-op
    /// (NF-80).
    ///
    /// # Errors
    /// Kernel errors (`EOPNOTSUPP` for flags the kernel lacks, `EPERM` for a table owned by
    /// another socket).
    pub fn create_table(&mut self, t: &Table) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::new_table(t, flags::CREATE)?);
        self.send(&b).map(|_| ())
    }

    /// Deletes a table and everything in it; fails with `ENOENT` if absent (NF-81).
    ///
    /// # Errors
    /// Kernel errors.
    pub fn delete_table(&mut self, family: Family, name: &str) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::del_table(family, name, false)?);
        self.send(&b).map(|_| ())
    }

    /// Deletes a table if present (`DESTROYTABLE`, ≥ 6.3; on older kernels a pull decides).
    ///
    /// # Errors
    /// Kernel errors.
    pub fn destroy_table(&mut self, family: Family, name: &str) -> Result<()> {
        let mut b = Batch::new();
        if self.destroy_supported()? {
            b.push(codec::del_table(family, name, true)?);
        } else {
            let g = self.generation()?.id;
            if !self.existing_tables()?.contains(&(family, name.to_owned())) {
                return Ok(());
            }
            b.push(codec::del_table(family, name, false)?);
            b.expect_generation(g);
        }
        self.send(&b).map(|_| ())
    }

    /// Deletes every rule of a table.
    ///
    /// # Errors
    /// Kernel errors.
    pub fn flush_table(&mut self, family: Family, name: &str) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::flush_table(family, name)?);
        self.send(&b).map(|_| ())
    }

    /// Deletes every rule of a chain.
    ///
    /// # Errors
    /// Kernel errors.
    pub fn flush_chain(&mut self, family: Family, table: &str, chain: &str) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::flush_chain(family, table, chain)?);
        self.send(&b).map(|_| ())
    }

    /// Deletes every element of a set.
    ///
    /// # Errors
    /// Kernel errors.
    pub fn flush_set(&mut self, family: Family, table: &str, set: &str) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::flush_set(family, table, set)?);
        self.send(&b).map(|_| ())
    }

    /// Adds one rule to a chain at `placement` (append, start, before/after or replacing a
    /// handle), as one atomic batch (`NFT_MSG_NEWRULE`). To place a rule at an index as nft's
    /// `index N` does, resolve the index with [`rule_handle_at`](Nft::rule_handle_at) first.
    ///
    /// ```no_run
    /// use linx::netfilter::builder::{RuleBuilder, tcp};
    /// use linx::netfilter::codec::RulePlacement;
    /// use linx::netfilter::{Family, Nft};
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let rule = RuleBuilder::new(Family::Inet).matches(tcp().dport(22)).accept();
    /// let second = nft.rule_handle_at(Family::Inet, "fw", "input", 1)?;
    /// nft.add_rule(Family::Inet, "fw", "input", &rule, RulePlacement::Before(second))?;
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// Invalid names or an oversized rule (before anything is sent); kernel errors (`ENOENT`
    /// for a missing table, chain or handle).
    pub fn add_rule(
        &mut self,
        family: Family,
        table: &str,
        chain: &str,
        rule: &Rule,
        placement: RulePlacement,
    ) -> Result<()> {
        let mut b = Batch::new();
        b.push(codec::new_rule(family, table, chain, rule, placement)?);
        self.send(&b).map(|_| ())
    }

    /// The handle of a chain's `index`-th rule (0-based, in chain order), read from the
    /// kernel (`NFT_MSG_GETRULE` dump of the table) — how nft resolves `index N`: `add … index N`
    /// is [`RulePlacement::After`] that handle, `insert … index N` is [`RulePlacement::Before`].
    ///
    /// # Errors
    /// Kernel errors (`ENOENT` for a missing table); an input error naming the index when the
    /// chain does not exist or has no rule at that index.
    pub fn rule_handle_at(
        &mut self,
        family: Family,
        table: &str,
        chain: &str,
        index: usize,
    ) -> Result<u64> {
        let t = self.pull_table(family, table)?;
        let c = t.chains.iter().find(|c| c.name == chain).ok_or_else(|| {
            Error::input(
                Subsystem::Netfilter,
                "chain",
                format!("{family}/{table}/{chain}"),
                "no such chain",
            )
        })?;
        c.rules.get(index).and_then(|r| r.handle).ok_or_else(|| {
            Error::input(
                Subsystem::Netfilter,
                "rule index",
                index.to_string(),
                format!("{family}/{table}/{chain} has {} rules", c.rules.len()),
            )
        })
    }

    /// The (family, name) of every table.
    ///
    /// # Errors
    /// Kernel errors.
    pub fn existing_tables(&mut self) -> Result<Vec<(Family, String)>> {
        let req = Request::new(
            codec::get_request(codec::NFT_MSG_GETTABLE, 0, None, None),
            "NFT_MSG_GETTABLE",
        )?;
        let mut out = Vec::new();
        self.socket_mut().dump_with(&req, |m| {
            if let Decoded::Table(t) = codec::decode(&m)? {
                out.push((t.family, t.name));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Builds the replace batch for `rs` without sending it.
    ///
    /// # Errors
    /// Validation and encoding errors.
    pub fn replace_batch(&mut self, rs: &Ruleset, opts: &PushOptions) -> Result<Batch> {
        let destroy = match opts.destroy {
            Some(d) => d,
            None => self.destroy_supported()?,
        };
        let mut b = Batch::new();
        b.echo(opts.echo);
        let mut ids = Ids::default();
        let existing = if destroy {
            Vec::new()
        } else {
            let g = self.generation()?.id;
            b.expect_generation(g);
            self.existing_tables()?
        };
        for t in &rs.tables {
            if destroy {
                b.push(codec::del_table(t.family, &t.name, true)?);
            } else if existing.contains(&(t.family, t.name.clone())) {
                b.push(codec::del_table(t.family, &t.name, false)?);
            }
            b.extend(table_messages_with(t, &mut ids)?);
        }
        Ok(b)
    }

    /// Replaces every table of `rs` atomically: each is destroyed and recreated with its
    /// contents in one batch; tables not in `rs` are untouched (NF-82).
    ///
    /// # Errors
    /// Input errors before anything is sent; the failing message otherwise.
    pub fn push_replace(&mut self, rs: &Ruleset) -> Result<()> {
        self.push_replace_with(rs, &PushOptions::default())
            .map(|_| ())
    }

    /// [`push_replace`](Nft::push_replace) with options.
    ///
    /// # Errors
    /// As `push_replace`.
    pub fn push_replace_with(&mut self, rs: &Ruleset, opts: &PushOptions) -> Result<BatchReply> {
        for t in &rs.tables {
            validate_table(t)?;
        }
        let mut tries = 0;
        loop {
            let b = self.replace_batch(rs, opts)?;
            let sent = match opts.split {
                Some(max) => self
                    .send_split(&b, max)
                    .map(|r| BatchReply { echoed: r.echoed }),
                None => self.send(&b),
            };
            match sent {
                Err(e) if is_conflict(&e) && tries < 3 => tries += 1,
                r => return r,
            }
        }
    }

    /// Adds elements to a live set without touching anything else, chunked (NF-31).
    ///
    /// # Errors
    /// Element type errors before sending; kernel errors.
    pub fn add_elements(
        &mut self,
        family: Family,
        table: &str,
        set: &Set,
        elems: &[Element],
    ) -> Result<()> {
        let raw = set.encode_elements(elems, false)?;
        let mut b = Batch::new();
        b.extend(codec::set_elements(
            ElemOp::Add,
            family,
            table,
            &set.name,
            None,
            &raw,
        )?);
        self.send(&b).map(|_| ())
    }

    /// Deletes elements from a live set.
    ///
    /// # Errors
    /// Element type errors before sending; `ENOENT` for absent elements.
    pub fn delete_elements(
        &mut self,
        family: Family,
        table: &str,
        set: &Set,
        elems: &[Element],
    ) -> Result<()> {
        let raw = set.encode_elements(elems, false)?;
        let mut b = Batch::new();
        b.extend(codec::set_elements(
            ElemOp::Delete,
            family,
            table,
            &set.name,
            None,
            &raw,
        )?);
        self.send(&b).map(|_| ())
    }

    /// Looks elements up in a live set and returns those present (with their data, timeouts
    /// and counters).
    ///
    /// # Errors
    /// Element type errors; kernel errors other than "not present".
    pub fn get_elements(
        &mut self,
        family: Family,
        table: &str,
        set: &Set,
        elems: &[Element],
    ) -> Result<Vec<Element>> {
        let mut out = Vec::new();
        for e in elems {
            let raw = set.encode_elements(std::slice::from_ref(e), false)?;
            // One GET per element: the kernel answers the first element of a list only.
            for r in raw.iter().filter(|r| r.flags.unwrap_or(0) & 1 == 0) {
                let m = codec::set_elements(
                    ElemOp::Add,
                    family,
                    table,
                    &set.name,
                    None,
                    std::slice::from_ref(r),
                )?;
                let Some(m) = m.into_iter().next() else {
                    continue;
                };
                let mut bytes = m.bytes().to_vec();
                let ty = codec::msg_type(codec::NFT_MSG_GETSETELEM);
                bytes[4..6].copy_from_slice(&ty.to_ne_bytes());
                bytes[6..8].copy_from_slice(&0u16.to_ne_bytes());
                let mut mb = crate::netlink::wire::MsgBuilder::new(ty, 0);
                mb.push_header(&bytes[16..20]);
                for a in crate::netlink::wire::attrs(&bytes[20..]) {
                    mb.raw_attr(&crate::netlink::wire::RawAttr::from_attr(&a?));
                }
                let req = Request::new(mb, "NFT_MSG_GETSETELEM")?;
                match self.socket_mut().request(&req) {
                    Ok(msgs) => {
                        for m in msgs {
                            if let Decoded::Elements { elements, .. } = codec::decode(&m.as_msg())?
                            {
                                out.extend(set.decode_elements(&elements)?);
                            }
                        }
                    }
                    Err(err) if err.errno() == Some(Errno::NOENT) => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(out)
    }

    /// Reads and zeroes the named counters and quotas of a table (`NFT_MSG_GETOBJ_RESET`),
    /// returning their values before the reset.
    ///
    /// # Errors
    /// Kernel errors.
    pub fn reset_objects(&mut self, family: Family, table: &str) -> Result<Vec<Object>> {
        let req = Request::new(
            codec::get_request(
                codec::NFT_MSG_GETOBJ_RESET,
                family.number(),
                Some(table),
                None,
            ),
            "NFT_MSG_GETOBJ_RESET",
        )?;
        let mut out = Vec::new();
        self.socket_mut().dump_with(&req, |m| {
            if let Decoded::Object {
                object, table: t, ..
            } = codec::decode(&m)?
                && t == table
                && matches!(object.kind(), ObjectType::Counter | ObjectType::Quota)
            {
                out.push(object);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Computes the patch that would bring the kernel to `desired`, without sending anything
    /// (NF-90).
    ///
    /// # Errors
    /// Pull errors; `TagRequired`-style input errors from [`diff::diff`].
    pub fn dry_run(&mut self, desired: &Ruleset) -> Result<Patch> {
        let filter = tables_of(desired);
        let (current, _) = self.pull_tables(&filter)?;
        diff::diff(&current, desired)
    }

    /// Computes the patch and lets the kernel validate it (a batch without `BATCH_END`): chain
    /// loops, unknown devices and the like are reported without changing anything (NF-08).
    ///
    /// # Errors
    /// As [`dry_run`](Nft::dry_run), plus the message the kernel would refuse.
    pub fn check(&mut self, desired: &Ruleset) -> Result<Patch> {
        let filter = tables_of(desired);
        let (current, _) = self.pull_tables(&filter)?;
        let patch = diff::diff(&current, desired)?;
        let b = patch.to_batch()?;
        self.validate(&b)?;
        Ok(patch)
    }

    fn pull_tables(&mut self, filter: &[(Family, String)]) -> Result<(Ruleset, u32)> {
        let (mut rs, g) = match filter {
            [(f, n)] => self.pull_snapshot(Some((*f, n)))?,
            _ => self.pull_snapshot(None)?,
        };
        rs.tables
            .retain(|t| filter.iter().any(|(f, n)| *f == t.family && *n == t.name));
        Ok((rs, g.id))
    }

    /// Reconciles the tables of `desired` (NF-84): read the generation, pull, diff, and send the
    /// minimal patch with the generation check; an empty patch sends nothing. Conflicts are
    /// retried (3 times, 10/20/30 ms).
    ///
    /// # Errors
    /// Input errors (untagged multi-rule chains, see [`diff::diff`]); the last conflict when
    /// retries run out ([`is_conflict`]); kernel errors.
    pub fn reconcile(&mut self, desired: &Ruleset) -> Result<Patch> {
        self.reconcile_with(desired, &ReconcileOptions::default())
    }

    /// [`reconcile`](Nft::reconcile) with options.
    ///
    /// # Errors
    /// As `reconcile`.
    pub fn reconcile_with(&mut self, desired: &Ruleset, opts: &ReconcileOptions) -> Result<Patch> {
        for t in &desired.tables {
            validate_table(t)?;
        }
        let filter = tables_of(desired);
        let mut attempt = 0;
        loop {
            let g = self.generation()?.id;
            let (current, _) = self.pull_tables(&filter)?;
            let patch = diff::diff(&current, desired)?;
            if patch.is_empty() {
                return Ok(patch);
            }
            let mut b = patch.to_batch()?;
            b.expect_generation(g);
            match self.send(&b) {
                Ok(_) => return Ok(patch),
                Err(e) if is_conflict(&e) && attempt < opts.retries => {
                    attempt += 1;
                    std::thread::sleep(opts.backoff * attempt);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn tables_of(rs: &Ruleset) -> Vec<(Family, String)> {
    rs.tables
        .iter()
        .map(|t| (t.family, t.name.clone()))
        .collect()
}
