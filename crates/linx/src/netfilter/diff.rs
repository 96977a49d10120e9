//! Pure diff between two rulesets (NF-85…NF-91): the minimal [`Patch`] that turns the current
//! state into the desired one, and its translation into one [`Batch`].
//!
//! Identity: tables by (family, name) — only tables of the desired ruleset are looked at, so
//! foreign tables (Docker's, firewalld's) are never touched; chains, sets, objects (with their
//! type) and flowtables by name; rules by tag; elements by value. Anonymous sets belong to the
//! rule that uses them and are compared by content. Runtime state (counter values, quota usage,
//! element expiry) and attributes the kernel fills in by itself are ignored.
//!
//! Rules: a desired chain with more than one rule must tag all of them
//! ([`Rule::tag`](super::Rule::tag)); a changed tagged rule is replaced on its handle, a moved one
//! deleted and inserted at its place; a chain with one untagged rule is rebuilt when it differs.
//! Base-chain policy changes are applied in place; other chain changes recreate the chain with
//! its rules; a changed set declaration recreates the set with its elements (and rebuilds the
//! chains that use it).
//!
//! ```
//! use linx::netfilter::{diff, Ruleset, Table, TableLifetime, Family};
//! let mut want = Ruleset::new();
//! want.add_table(Table::new(Family::Inet, "t", TableLifetime::Persistent)?)?;
//! let p = diff(&Ruleset::new(), &want)?;
//! assert_eq!(p.to_string(), "patch: 1 ops (+1 ~0 -0)");
//! assert!(diff(&want, &want)?.is_empty());
//! # Ok::<(), linx::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::batch::Batch;
use super::codec::{self, ElemOp, RulePlacement};
use super::expr::{Expr, ObjrefTarget};
use super::model::{Chain, ChainKind, Family, Flowtable, Policy, Rule, Ruleset, Table};
use super::obj::{Object, ObjectData, ObjectType};
use super::push::{Ids, rule_set_refs};
use super::set::{Element, RawElement, Set, SetData, SetKey, SetPolicy};
use crate::error::{Error, Result, Subsystem};
use crate::netlink::wire::flags;

/// One change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PatchOp {
    /// Delete a rule by handle.
    DeleteRule {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// Handle.
        handle: u64,
        /// Its tag, if any.
        tag: Option<String>,
    },
    /// Delete every rule of a chain.
    FlushChain {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
    },
    /// Delete elements.
    DeleteElements {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// The set (declaration: key type, data type, interval flag).
        set: Box<Set>,
        /// Elements.
        elements: Vec<Element>,
    },
    /// Delete a chain.
    DeleteChain {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
    },
    /// Delete a set.
    DeleteSet {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Set.
        set: String,
    },
    /// Delete an object.
    DeleteObject {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Type.
        kind: ObjectType,
        /// Name.
        name: String,
    },
    /// Delete a flowtable.
    DeleteFlowtable {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Name.
        name: String,
    },
    /// Delete a table.
    DeleteTable {
        /// Family.
        family: Family,
        /// Table.
        table: String,
    },
    /// Create a table (without contents; they come as their own ops).
    CreateTable(Box<Table>),
    /// Update a table's flags or comment.
    UpdateTable(Box<Table>),
    /// Create an object.
    CreateObject {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Object.
        object: Box<Object>,
    },
    /// Create a set (without elements; they come as `AddElements`).
    CreateSet {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Set declaration.
        set: Box<Set>,
    },
    /// Create a chain (without rules).
    CreateChain {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: Box<Chain>,
    },
    /// Change a base chain's policy in place.
    UpdateChain {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// New policy.
        policy: Policy,
    },
    /// Create a flowtable.
    CreateFlowtable {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Flowtable.
        flowtable: Box<Flowtable>,
    },
    /// Add elements.
    AddElements {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// The set (declaration: key type, data type, interval flag).
        set: Box<Set>,
        /// Elements.
        elements: Vec<Element>,
        /// True when the set is created in the same patch.
        new_set: bool,
    },
    /// Replace a rule in place (keeps its handle).
    ReplaceRule {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// Handle of the rule replaced.
        handle: u64,
        /// The new rule.
        rule: Box<Rule>,
    },
    /// Create a rule at a position.
    CreateRule {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// Where.
        placement: RulePlacement,
        /// The rule.
        rule: Box<Rule>,
    },
}

impl PatchOp {
    /// Sort rank per NF-91.
    fn rank(&self) -> u8 {
        use PatchOp::*;
        match self {
            DeleteRule { .. } | FlushChain { .. } => 0,
            DeleteElements { .. } => 1,
            DeleteChain { .. } => 2,
            DeleteSet { .. } => 3,
            DeleteObject { .. } => 4,
            DeleteFlowtable { .. } => 5,
            DeleteTable { .. } => 6,
            CreateTable(_) | UpdateTable(_) => 7,
            CreateObject { .. } => 8,
            CreateSet { .. } => 9,
            CreateChain { .. } | UpdateChain { .. } => 10,
            CreateFlowtable { .. } => 11,
            AddElements { .. } => 12,
            ReplaceRule { .. } => 13,
            CreateRule { .. } => 14,
        }
    }

    /// `+` create, `~` change, `-` delete.
    pub fn sign(&self) -> char {
        use PatchOp::*;
        match self {
            DeleteRule { .. }
            | FlushChain { .. }
            | DeleteElements { .. }
            | DeleteChain { .. }
            | DeleteSet { .. }
            | DeleteObject { .. }
            | DeleteFlowtable { .. }
            | DeleteTable { .. } => '-',
            UpdateTable(_) | UpdateChain { .. } | ReplaceRule { .. } => '~',
            _ => '+',
        }
    }
}

impl fmt::Display for PatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PatchOp::*;
        let s = self.sign();
        match self {
            DeleteRule {
                family,
                table,
                chain,
                handle,
                tag,
            } => {
                write!(f, "{s} rule {family}/{table}/{chain} handle {handle}")?;
                if let Some(t) = tag {
                    write!(f, " [tag {t}]")?;
                }
                Ok(())
            }
            FlushChain {
                family,
                table,
                chain,
            } => write!(f, "{s} rules {family}/{table}/{chain}"),
            DeleteElements {
                family,
                table,
                set,
                elements,
            } => write!(
                f,
                "{s} {} elements {family}/{table}/{}",
                elements.len(),
                set.name
            ),
            DeleteChain {
                family,
                table,
                chain,
            } => write!(f, "{s} chain {family}/{table}/{chain}"),
            DeleteSet { family, table, set } => write!(f, "{s} set {family}/{table}/{set}"),
            DeleteObject {
                family,
                table,
                kind,
                name,
            } => {
                write!(f, "{s} {kind} {family}/{table}/{name}")
            }
            DeleteFlowtable {
                family,
                table,
                name,
            } => {
                write!(f, "{s} flowtable {family}/{table}/{name}")
            }
            DeleteTable { family, table } => write!(f, "{s} table {family}/{table}"),
            CreateTable(t) => write!(f, "{s} table {}/{}", t.family, t.name),
            UpdateTable(t) => write!(f, "{s} table {}/{}", t.family, t.name),
            CreateObject {
                family,
                table,
                object,
            } => {
                write!(f, "{s} {} {family}/{table}/{}", object.kind(), object.name)
            }
            CreateSet { family, table, set } => write!(f, "{s} set {family}/{table}/{}", set.name),
            CreateChain {
                family,
                table,
                chain,
            } => {
                write!(f, "{s} chain {family}/{table}/{}", chain.name)
            }
            UpdateChain {
                family,
                table,
                chain,
                policy,
            } => {
                write!(f, "{s} chain {family}/{table}/{chain} policy {policy:?}")
            }
            CreateFlowtable {
                family,
                table,
                flowtable,
            } => {
                write!(f, "{s} flowtable {family}/{table}/{}", flowtable.name)
            }
            AddElements {
                family,
                table,
                set,
                elements,
                ..
            } => write!(
                f,
                "{s} {} elements {family}/{table}/{}",
                elements.len(),
                set.name
            ),
            ReplaceRule {
                family,
                table,
                chain,
                handle,
                rule,
            } => {
                write!(f, "{s} rule {family}/{table}/{chain} handle {handle}")?;
                if let Some(text) = nft_text(*family, table, chain, rule) {
                    write!(f, ": {text}")?;
                }
                if let Some(t) = rule.get_tag() {
                    write!(f, " [tag {t}]")?;
                }
                Ok(())
            }
            CreateRule {
                family,
                table,
                chain,
                rule,
                ..
            } => {
                write!(f, "{s} rule {family}/{table}/{chain}")?;
                if let Some(text) = nft_text(*family, table, chain, rule) {
                    write!(f, ": {text}")?;
                }
                if let Some(t) = rule.get_tag() {
                    write!(f, " [tag {t}]")?;
                }
                Ok(())
            }
        }
    }
}

/// A rule in nft syntax for one-line displays, when it prints without its table's sets (a rule
/// using an anonymous set, which only the patch holds, shows without its body).
pub(crate) fn nft_text(family: Family, table: &str, chain: &str, rule: &Rule) -> Option<String> {
    let t = super::Table::new(family, table, super::TableLifetime::Persistent).ok()?;
    let opts = crate::nft::PrintOptions {
        verify: false,
        ..Default::default()
    };
    let line = crate::nft::rule_line(&t, chain, rule, &opts);
    let text = line.strip_prefix(&format!("{}/{table}/{chain}: ", family.name()))?;
    let text = match text.rfind(" [tag ") {
        Some(i) if rule.get_tag().is_some() => &text[..i],
        _ => text,
    };
    (!text.contains("# lossy") && !text.is_empty()).then(|| text.to_owned())
}

/// An ordered list of changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Patch {
    /// The operations, in the order they are applied.
    pub ops: Vec<PatchOp>,
    /// The desired anonymous sets, per table, that created or replaced rules reference.
    anon: HashMap<(Family, String), Vec<Set>>,
}

impl Patch {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Translates the patch into one batch. Anonymous sets of created or replaced rules are
    /// recreated under nft's allocating names (`__set%d`) with fresh in-batch ids.
    ///
    /// # Errors
    /// Encoding errors (element types).
    pub fn to_batch(&self) -> Result<Batch> {
        let mut b = Batch::new();
        let mut ids = Ids::default();
        let mut created_sets: HashMap<(Family, String, String), u32> = HashMap::new();
        for op in &self.ops {
            use PatchOp::*;
            match op {
                DeleteRule {
                    family,
                    table,
                    chain,
                    handle,
                    ..
                } => {
                    b.push(codec::del_rule(*family, table, chain, *handle, false)?);
                }
                FlushChain {
                    family,
                    table,
                    chain,
                } => {
                    b.push(codec::flush_chain(*family, table, chain)?);
                }
                DeleteElements {
                    family,
                    table,
                    set,
                    elements,
                } => {
                    let raw = set.encode_elements(elements, false)?;
                    b.extend(codec::set_elements(
                        ElemOp::Delete,
                        *family,
                        table,
                        &set.name,
                        None,
                        &raw,
                    )?);
                }
                DeleteChain {
                    family,
                    table,
                    chain,
                } => {
                    b.push(codec::del_chain(*family, table, chain, false)?);
                }
                DeleteSet { family, table, set } => {
                    b.push(codec::del_set(*family, table, set, false)?);
                }
                DeleteObject {
                    family,
                    table,
                    kind,
                    name,
                } => {
                    b.push(codec::del_object(*family, table, *kind, name, false)?);
                }
                DeleteFlowtable {
                    family,
                    table,
                    name,
                } => {
                    b.push(codec::del_flowtable(*family, table, name, false)?);
                }
                DeleteTable { family, table } => {
                    b.push(codec::del_table(*family, table, false)?);
                }
                CreateTable(t) => {
                    b.push(codec::new_table(t, flags::CREATE)?);
                }
                UpdateTable(t) => {
                    b.push(codec::new_table(t, 0)?);
                }
                CreateObject {
                    family,
                    table,
                    object,
                } => {
                    b.push(codec::new_object(*family, table, object, flags::CREATE)?);
                }
                CreateSet { family, table, set } => {
                    let id = ids.next();
                    let mut s = (**set).clone();
                    s.id = Some(id);
                    s.elements.clear();
                    created_sets.insert((*family, table.clone(), s.name.clone()), id);
                    b.push(codec::new_set(*family, table, &s, flags::CREATE)?);
                }
                CreateChain {
                    family,
                    table,
                    chain,
                } => {
                    let mut c = (**chain).clone();
                    c.rules.clear();
                    b.push(codec::new_chain(*family, table, &c, flags::CREATE, None)?);
                }
                UpdateChain {
                    family,
                    table,
                    chain,
                    policy,
                } => {
                    b.push(codec::chain_policy(*family, table, chain, *policy)?);
                }
                CreateFlowtable {
                    family,
                    table,
                    flowtable,
                } => {
                    b.push(codec::new_flowtable(
                        *family,
                        table,
                        flowtable,
                        flags::CREATE,
                    )?);
                }
                AddElements {
                    family,
                    table,
                    set,
                    elements,
                    new_set,
                } => {
                    let raw = set.encode_elements(elements, *new_set)?;
                    let id = created_sets
                        .get(&(*family, table.clone(), set.name.clone()))
                        .copied();
                    b.extend(codec::set_elements(
                        ElemOp::Add,
                        *family,
                        table,
                        &set.name,
                        id,
                        &raw,
                    )?);
                }
                ReplaceRule {
                    family,
                    table,
                    chain,
                    handle,
                    rule,
                } => {
                    let r =
                        self.with_anon_sets(&mut b, &mut ids, &created_sets, *family, table, rule)?;
                    b.push(codec::new_rule(
                        *family,
                        table,
                        chain,
                        &r,
                        RulePlacement::Replace(*handle),
                    )?);
                }
                CreateRule {
                    family,
                    table,
                    chain,
                    placement,
                    rule,
                } => {
                    let r =
                        self.with_anon_sets(&mut b, &mut ids, &created_sets, *family, table, rule)?;
                    b.push(codec::new_rule(*family, table, chain, &r, *placement)?);
                }
            }
        }
        Ok(b)
    }

    /// Creates the anonymous sets a rule uses (renamed for allocation) and rewrites the rule's
    /// references; references to named sets created in this batch get their ids.
    fn with_anon_sets(
        &self,
        b: &mut Batch,
        ids: &mut Ids,
        created: &HashMap<(Family, String, String), u32>,
        family: Family,
        table: &str,
        rule: &Rule,
    ) -> Result<Rule> {
        let anon = self.anon.get(&(family, table.to_owned()));
        let mut map: HashMap<String, (String, u32)> = HashMap::new();
        for name in rule_set_refs(rule) {
            if map.contains_key(&name) {
                continue;
            }
            if let Some(s) = anon.and_then(|v| v.iter().find(|s| s.name == name)) {
                let id = ids.next();
                let mut s2 = s.clone();
                s2.name = alloc_name(&s.name);
                map.insert(name.clone(), (s2.name.clone(), id));
                b.extend(super::push::set_messages(family, table, &s2, id)?);
            } else if let Some(id) = created.get(&(family, table.to_owned(), name.clone())) {
                map.insert(name.clone(), (name.clone(), *id));
            }
        }
        let mut r = rule.clone();
        for e in &mut r.exprs {
            match e {
                Expr::Lookup(l) => {
                    if let Some((n, id)) = map.get(&l.set) {
                        l.set = n.clone();
                        l.set_id = Some(*id);
                    }
                }
                Expr::Dynset(d) => {
                    if let Some((n, id)) = map.get(&d.set) {
                        d.set = n.clone();
                        d.set_id = Some(*id);
                    }
                }
                Expr::Objref(o) => {
                    if let ObjrefTarget::Map { set, set_id, .. } = &mut o.target
                        && let Some((n, id)) = map.get(set.as_str())
                    {
                        *set = n.clone();
                        *set_id = Some(*id);
                    }
                }
                _ => {}
            }
        }
        Ok(r)
    }
}

/// `__set3` → `__set%d` (the kernel allocates the number).
fn alloc_name(name: &str) -> String {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let stem = stem.strip_suffix("%d").unwrap_or(stem);
    format!("{stem}%d")
}

impl fmt::Display for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |c: char| self.ops.iter().filter(|o| o.sign() == c).count();
        write!(
            f,
            "patch: {} ops (+{} ~{} -{})",
            self.ops.len(),
            count('+'),
            count('~'),
            count('-')
        )?;
        if f.alternate() {
            for op in &self.ops {
                write!(f, "\n  {op}")?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// normalisation: what the kernel fills in by itself, and runtime state, is not a difference.

fn norm_expr(e: &Expr) -> Expr {
    use super::expr::*;
    let z = |v: Option<u32>| v.filter(|x| *x != 0);
    match e {
        Expr::Bitwise(b) => Expr::Bitwise(Bitwise {
            explicit_op: false,
            ..b.clone()
        }),
        Expr::Lookup(l) => Expr::Lookup(Lookup {
            set_id: None,
            ..l.clone()
        }),
        Expr::Dynset(d) => Expr::Dynset(Dynset {
            set_id: None,
            exprs: d.exprs.iter().map(norm_expr).collect(),
            ..d.clone()
        }),
        Expr::Objref(o) => {
            let mut o = o.clone();
            if let ObjrefTarget::Map { set_id, .. } = &mut o.target {
                *set_id = None;
            }
            Expr::Objref(o)
        }
        Expr::Counter(_) => Expr::Counter(Counter::default()),
        Expr::Quota(q) => Expr::Quota(Quota {
            consumed: 0,
            flags: q.flags & 1,
            ..*q
        }),
        Expr::Last(_) => Expr::Last(Last::default()),
        Expr::Log(l) => {
            let mut l = l.clone();
            if l.group.is_none() && l.level.is_none() {
                l.level = Some(4);
            }
            l.snaplen = z(l.snaplen);
            l.qthreshold = l.qthreshold.filter(|x| *x != 0);
            l.flags = z(l.flags);
            Expr::Log(l)
        }
        Expr::Reject(r) if r.kind == RejectKind::TcpRst => {
            Expr::Reject(Reject { code: None, ..*r })
        }
        Expr::Nat(n) => {
            let mut n = n.clone();
            let mut f = n.flags.unwrap_or(0);
            if n.reg_addr_min.is_some() {
                f |= nat_flags::MAP_IPS;
            }
            if n.reg_proto_min.is_some() {
                f |= nat_flags::PROTO_SPECIFIED;
            }
            n.flags = z(Some(f));
            Expr::Nat(n)
        }
        Expr::Masq(m) => {
            let mut m = m.clone();
            let mut f = m.flags.unwrap_or(0);
            if m.reg_proto_min.is_some() {
                f |= nat_flags::PROTO_SPECIFIED;
            }
            m.flags = z(Some(f));
            Expr::Masq(m)
        }
        Expr::Redir(m) => {
            let mut m = m.clone();
            let mut f = m.flags.unwrap_or(0);
            if m.reg_proto_min.is_some() {
                f |= nat_flags::PROTO_SPECIFIED;
            }
            m.flags = z(Some(f));
            Expr::Redir(m)
        }
        Expr::Socket(s) if s.key != SocketKey::Cgroupv2 => Expr::Socket(Socket {
            level: None,
            ..s.clone()
        }),
        Expr::Hash(h) => Expr::Hash(Hash {
            offset: z(h.offset),
            ..h.clone()
        }),
        Expr::Numgen(n) => Expr::Numgen(Numgen {
            offset: z(n.offset),
            ..n.clone()
        }),
        Expr::Exthdr(x) => Expr::Exthdr(Exthdr {
            flags: z(x.flags),
            op: Some(x.op.unwrap_or(ExthdrOp::Ipv6)),
            ..x.clone()
        }),
        Expr::ExthdrWrite(x) => Expr::ExthdrWrite(ExthdrWrite {
            flags: z(x.flags),
            op: Some(x.op.unwrap_or(ExthdrOp::Ipv6)),
            ..x.clone()
        }),
        Expr::Queue(q) => Expr::Queue(Queue {
            flags: q.flags.filter(|f| *f != 0),
            ..q.clone()
        }),
        Expr::PayloadWrite(p) => Expr::PayloadWrite(PayloadWrite {
            csum_type: z(p.csum_type),
            csum_offset: z(p.csum_offset),
            csum_flags: z(p.csum_flags),
            ..p.clone()
        }),
        Expr::Osf(o) => Expr::Osf(Osf {
            ttl: o.ttl.filter(|t| *t != 0),
            flags: z(o.flags),
            ..o.clone()
        }),
        other => other.clone(),
    }
}

/// A comparable form of a set declaration (and, for anonymous sets, its content).
#[derive(Debug, PartialEq)]
struct SetShape {
    flags: u32,
    key: SetKey,
    data: Option<SetData>,
    timeout: Option<u64>,
    gc: Option<u32>,
    size: Option<u32>,
    policy: Option<SetPolicy>,
    userdata: Vec<u8>,
    exprs: Vec<Expr>,
}

fn set_shape(s: &Set) -> SetShape {
    SetShape {
        flags: s.flags.bits(),
        key: s.key.clone(),
        data: s.data.clone(),
        timeout: s.timeout.filter(|t| *t != 0),
        gc: s.gc_interval.filter(|t| *t != 0),
        size: s.size,
        policy: s.policy.filter(|p| *p != SetPolicy::Performance),
        userdata: s.userdata.as_bytes().to_vec(),
        exprs: s.exprs.iter().map(norm_expr).collect(),
    }
}

/// Canonical element identity: the encoded key bytes (start and end), plus comparable
/// attributes.
fn elem_key(s: &Set, e: &Element) -> Option<Vec<RawElement>> {
    let mut raw = s.encode_elements(std::slice::from_ref(e), false).ok()?;
    for r in &mut raw {
        r.expiration = None;
        if r.timeout == s.timeout {
            r.timeout = None;
        }
        r.exprs = r.exprs.iter().map(norm_expr).collect();
    }
    Some(raw)
}

fn elements_diff(cur: &Set, des: &Set) -> (Vec<Element>, Vec<Element>) {
    let key = |s: &Set, e: &Element| format!("{:?}", elem_key(s, e));
    let ck: HashSet<String> = cur.elements.iter().map(|e| key(cur, e)).collect();
    let dk: HashSet<String> = des.elements.iter().map(|e| key(des, e)).collect();
    let add = des
        .elements
        .iter()
        .filter(|e| !ck.contains(&key(des, e)))
        .cloned()
        .collect();
    let dynamic = des.flags.contains(super::set::SetFlags::EVAL);
    let del = if dynamic {
        Vec::new()
    } else {
        cur.elements
            .iter()
            .filter(|e| !dk.contains(&key(cur, e)))
            .cloned()
            .collect()
    };
    (add, del)
}

/// What makes two rules equal for reconcile: normalised expressions, anonymous sets by content,
/// userdata.
fn rule_shape(t: &Table, r: &Rule) -> String {
    let mut exprs: Vec<Expr> = r.exprs.iter().map(norm_expr).collect();
    let mut anon = Vec::new();
    for e in &mut exprs {
        let name = match e {
            Expr::Lookup(l) => Some(&mut l.set),
            Expr::Dynset(d) => Some(&mut d.set),
            Expr::Objref(o) => match &mut o.target {
                ObjrefTarget::Map { set, .. } => Some(set),
                ObjrefTarget::Name { .. } => None,
            },
            _ => None,
        };
        if let Some(n) = name
            && let Some(s) = t.set(n).filter(|s| s.is_anonymous())
        {
            let mut els: Vec<String> = s
                .elements
                .iter()
                .map(|e| format!("{:?}", elem_key(s, e)))
                .collect();
            els.sort();
            let mut shape = set_shape(s);
            shape.size = None;
            anon.push(format!("{shape:?}{els:?}"));
            *n = String::new();
        }
    }
    format!("{exprs:?}|{anon:?}|{:?}", r.userdata.as_bytes())
}

fn obj_shape(o: &Object) -> (ObjectType, ObjectData, Vec<u8>) {
    let data = match &o.data {
        ObjectData::Counter(_) => ObjectData::Counter(Default::default()),
        ObjectData::Quota(q) => ObjectData::Quota(super::expr::Quota {
            consumed: 0,
            flags: q.flags & 1,
            ..*q
        }),
        d => d.clone(),
    };
    (o.kind(), data, o.userdata.as_bytes().to_vec())
}

fn tag_required(t: &Table, c: &Chain) -> Error {
    Error::input(
        Subsystem::Netfilter,
        "chain",
        format!("{}/{} chain {}", t.family, t.name, c.name),
        "TagRequired: reconcile identifies rules by tag; tag every rule of a chain with more than one rule",
    )
}

/// A rule's identity: its tag, else (for rules of a pulled ruleset) its handle.
fn rule_id(r: &Rule) -> Option<String> {
    r.get_tag()
        .or_else(|| r.handle.map(|h| format!("\0handle {h}")))
}

/// Computes the patch from `current` to `desired` (pure, NF-90).
///
/// # Errors
/// `TagRequired` input errors for desired chains with several rules not all tagged; duplicate
/// tags.
pub fn diff(current: &Ruleset, desired: &Ruleset) -> Result<Patch> {
    let mut p = Patch::default();
    for dt in &desired.tables {
        for c in &dt.chains {
            if c.rules.len() > 1 && c.rules.iter().any(|r| rule_id(r).is_none()) {
                return Err(tag_required(dt, c));
            }
        }
        let anon: Vec<Set> = dt
            .sets
            .iter()
            .filter(|s| s.is_anonymous())
            .cloned()
            .collect();
        p.anon.insert((dt.family, dt.name.clone()), anon);
        match current.table(dt.family, &dt.name) {
            None => create_all(&mut p, dt),
            Some(ct) if ct.lifetime != dt.lifetime => {
                p.ops.push(PatchOp::DeleteTable {
                    family: ct.family,
                    table: ct.name.clone(),
                });
                create_all(&mut p, dt);
            }
            Some(ct) => diff_table(&mut p, ct, dt)?,
        }
    }
    p.ops.sort_by_key(PatchOp::rank);
    Ok(p)
}

fn bare(t: &Table) -> Box<Table> {
    let mut t2 = t.clone();
    t2.chains.clear();
    t2.sets.clear();
    t2.objects.clear();
    t2.flowtables.clear();
    Box::new(t2)
}

fn create_all(p: &mut Patch, t: &Table) {
    let (f, n) = (t.family, t.name.clone());
    p.ops.push(PatchOp::CreateTable(bare(t)));
    for o in &t.objects {
        p.ops.push(PatchOp::CreateObject {
            family: f,
            table: n.clone(),
            object: Box::new(o.clone()),
        });
    }
    for s in t.sets.iter().filter(|s| !s.is_anonymous()) {
        create_set(p, t, s);
    }
    for c in &t.chains {
        create_chain(p, t, c);
    }
    for ft in &t.flowtables {
        p.ops.push(PatchOp::CreateFlowtable {
            family: f,
            table: n.clone(),
            flowtable: Box::new(ft.clone()),
        });
    }
}

fn create_set(p: &mut Patch, t: &Table, s: &Set) {
    let mut decl = s.clone();
    decl.elements.clear();
    p.ops.push(PatchOp::CreateSet {
        family: t.family,
        table: t.name.clone(),
        set: Box::new(decl.clone()),
    });
    if !s.elements.is_empty() {
        p.ops.push(PatchOp::AddElements {
            family: t.family,
            table: t.name.clone(),
            set: Box::new(decl),
            elements: s.elements.clone(),
            new_set: true,
        });
    }
}

fn create_chain(p: &mut Patch, t: &Table, c: &Chain) {
    let mut decl = c.clone();
    decl.rules.clear();
    p.ops.push(PatchOp::CreateChain {
        family: t.family,
        table: t.name.clone(),
        chain: Box::new(decl),
    });
    fill_chain(p, t, c);
}

fn fill_chain(p: &mut Patch, t: &Table, c: &Chain) {
    for r in &c.rules {
        p.ops.push(PatchOp::CreateRule {
            family: t.family,
            table: t.name.clone(),
            chain: c.name.clone(),
            placement: RulePlacement::Append,
            rule: Box::new(r.clone()),
        });
    }
}

fn chain_attrs_equal(a: &Chain, b: &Chain) -> bool {
    match (&a.kind, &b.kind) {
        (ChainKind::Regular, ChainKind::Regular) => true,
        (ChainKind::Base(x), ChainKind::Base(y)) => {
            x.chain_type == y.chain_type
                && x.hook == y.hook
                && x.priority == y.priority
                && x.devices == y.devices
                && x.hw_offload == y.hw_offload
                && a.userdata == b.userdata
        }
        _ => false,
    }
}

fn policy_of(c: &Chain) -> Policy {
    c.base_chain()
        .and_then(|b| b.policy)
        .unwrap_or(Policy::Accept)
}

fn diff_table(p: &mut Patch, ct: &Table, dt: &Table) -> Result<()> {
    let (f, tn) = (dt.family, dt.name.clone());
    if ct.dormant != dt.dormant || ct.userdata != dt.userdata || ct.other_flags != dt.other_flags {
        p.ops.push(PatchOp::UpdateTable(bare(dt)));
    }
    // Objects.
    for o in &ct.objects {
        match dt
            .objects
            .iter()
            .find(|x| x.name == o.name && x.kind() == o.kind())
        {
            Some(d) if obj_shape(d) == obj_shape(o) => {}
            _ => p.ops.push(PatchOp::DeleteObject {
                family: f,
                table: tn.clone(),
                kind: o.kind(),
                name: o.name.clone(),
            }),
        }
    }
    for o in &dt.objects {
        let same = ct
            .objects
            .iter()
            .find(|x| x.name == o.name && x.kind() == o.kind())
            .is_some_and(|c| obj_shape(c) == obj_shape(o));
        if !same {
            p.ops.push(PatchOp::CreateObject {
                family: f,
                table: tn.clone(),
                object: Box::new(o.clone()),
            });
        }
    }
    // Named sets.
    let mut rebuilt_sets: HashSet<String> = HashSet::new();
    for cs in ct.sets.iter().filter(|s| !s.is_anonymous()) {
        match dt.set(&cs.name) {
            None => p.ops.push(PatchOp::DeleteSet {
                family: f,
                table: tn.clone(),
                set: cs.name.clone(),
            }),
            Some(ds) if set_shape(ds) != set_shape(cs) => {
                p.ops.push(PatchOp::DeleteSet {
                    family: f,
                    table: tn.clone(),
                    set: cs.name.clone(),
                });
                create_set(p, dt, ds);
                rebuilt_sets.insert(cs.name.clone());
            }
            Some(ds) => {
                let (add, del) = elements_diff(cs, ds);
                let mut decl = ds.clone();
                decl.elements.clear();
                if !del.is_empty() {
                    p.ops.push(PatchOp::DeleteElements {
                        family: f,
                        table: tn.clone(),
                        set: Box::new(decl.clone()),
                        elements: del,
                    });
                }
                if !add.is_empty() {
                    p.ops.push(PatchOp::AddElements {
                        family: f,
                        table: tn.clone(),
                        set: Box::new(decl),
                        elements: add,
                        new_set: false,
                    });
                }
            }
        }
    }
    for ds in dt.sets.iter().filter(|s| !s.is_anonymous()) {
        if ct.set(&ds.name).is_none() {
            create_set(p, dt, ds);
        }
    }
    // Flowtables.
    for cf in &ct.flowtables {
        let same = dt.flowtables.iter().any(|d| {
            d.name == cf.name
                && d.priority == cf.priority
                && d.devices == cf.devices
                && d.flags == cf.flags
        });
        if !same {
            p.ops.push(PatchOp::DeleteFlowtable {
                family: f,
                table: tn.clone(),
                name: cf.name.clone(),
            });
        }
    }
    for df in &dt.flowtables {
        let same = ct.flowtables.iter().any(|c| {
            c.name == df.name
                && c.priority == df.priority
                && c.devices == df.devices
                && c.flags == df.flags
        });
        if !same {
            p.ops.push(PatchOp::CreateFlowtable {
                family: f,
                table: tn.clone(),
                flowtable: Box::new(df.clone()),
            });
        }
    }
    // Chains.
    for cc in &ct.chains {
        if dt.chain(&cc.name).is_none() {
            if !cc.rules.is_empty() {
                p.ops.push(PatchOp::FlushChain {
                    family: f,
                    table: tn.clone(),
                    chain: cc.name.clone(),
                });
            }
            p.ops.push(PatchOp::DeleteChain {
                family: f,
                table: tn.clone(),
                chain: cc.name.clone(),
            });
        }
    }
    for dc in &dt.chains {
        let Some(cc) = ct.chain(&dc.name) else {
            create_chain(p, dt, dc);
            continue;
        };
        if !chain_attrs_equal(cc, dc) {
            if !cc.rules.is_empty() {
                p.ops.push(PatchOp::FlushChain {
                    family: f,
                    table: tn.clone(),
                    chain: cc.name.clone(),
                });
            }
            p.ops.push(PatchOp::DeleteChain {
                family: f,
                table: tn.clone(),
                chain: cc.name.clone(),
            });
            create_chain(p, dt, dc);
            continue;
        }
        if let (ChainKind::Base(_), Some(pol)) = (&dc.kind, dc.base_chain().and_then(|b| b.policy))
            && policy_of(cc) != pol
        {
            p.ops.push(PatchOp::UpdateChain {
                family: f,
                table: tn.clone(),
                chain: dc.name.clone(),
                policy: pol,
            });
        }
        let uses_rebuilt = cc
            .rules
            .iter()
            .chain(dc.rules.iter())
            .flat_map(rule_set_refs)
            .any(|s| rebuilt_sets.contains(&s));
        diff_rules(p, ct, dt, cc, dc, uses_rebuilt)?;
    }
    Ok(())
}

fn diff_rules(
    p: &mut Patch,
    ct: &Table,
    dt: &Table,
    cc: &Chain,
    dc: &Chain,
    force_rebuild: bool,
) -> Result<()> {
    let (f, tn, cn) = (dt.family, dt.name.clone(), dc.name.clone());
    let rebuild = |p: &mut Patch| {
        if !cc.rules.is_empty() {
            p.ops.push(PatchOp::FlushChain {
                family: f,
                table: tn.clone(),
                chain: cn.clone(),
            });
        }
        fill_chain(p, dt, dc);
    };
    let all_tagged = dc.rules.iter().all(|r| rule_id(r).is_some());
    if force_rebuild || !all_tagged || cc.rules.iter().any(|r| r.handle.is_none()) {
        let same = !force_rebuild
            && cc.rules.len() == dc.rules.len()
            && cc
                .rules
                .iter()
                .zip(&dc.rules)
                .all(|(a, b)| rule_shape(ct, a) == rule_shape(dt, b));
        if !same {
            rebuild(p);
        }
        return Ok(());
    }
    // Tagged reconcile.
    // Current rules answer to their tag and to their handle.
    let mut cur_by_tag: HashMap<String, (usize, &Rule)> = HashMap::new();
    for (i, r) in cc.rules.iter().enumerate() {
        if let Some(h) = r.handle {
            cur_by_tag.insert(format!("\0handle {h}"), (i, r));
        }
        if let Some(t) = r.get_tag() {
            cur_by_tag.insert(t, (i, r));
        }
    }
    let des_ids: Vec<String> = dc.rules.iter().filter_map(rule_id).collect();
    let kept_cur: HashSet<usize> = des_ids
        .iter()
        .filter_map(|id| cur_by_tag.get(id).map(|(i, _)| *i))
        .collect();
    for (i, r) in cc.rules.iter().enumerate() {
        let keep = kept_cur.contains(&i);
        if !keep && let Some(h) = r.handle {
            p.ops.push(PatchOp::DeleteRule {
                family: f,
                table: tn.clone(),
                chain: cn.clone(),
                handle: h,
                tag: r.get_tag(),
            });
        }
    }
    // Kept rules in desired order, with their current positions; the longest increasing run
    // stays in place, the others move.
    let kept: Vec<(usize, usize)> = dc
        .rules
        .iter()
        .enumerate()
        .filter_map(|(di, r)| {
            let t = rule_id(r)?;
            cur_by_tag.get(&t).map(|(ci, _)| (di, *ci))
        })
        .collect();
    let in_place: HashSet<usize> = lis(&kept.iter().map(|k| k.1).collect::<Vec<_>>())
        .into_iter()
        .map(|i| kept[i].0)
        .collect();
    for (di, r) in dc.rules.iter().enumerate() {
        let tag = rule_id(r).unwrap_or_default();
        let cur = cur_by_tag.get(&tag);
        match cur {
            Some((_, c)) if in_place.contains(&di) => {
                if rule_shape(ct, c) != rule_shape(dt, r) {
                    p.ops.push(PatchOp::ReplaceRule {
                        family: f,
                        table: tn.clone(),
                        chain: cn.clone(),
                        handle: c.handle.unwrap_or(0),
                        rule: Box::new(r.clone()),
                    });
                }
            }
            other => {
                if let Some((_, c)) = other
                    && let Some(h) = c.handle
                {
                    p.ops.push(PatchOp::DeleteRule {
                        family: f,
                        table: tn.clone(),
                        chain: cn.clone(),
                        handle: h,
                        tag: c.get_tag(),
                    });
                }
                // Before the next rule that stays in place, else at the end.
                let next = dc.rules[di + 1..]
                    .iter()
                    .enumerate()
                    .find(|(k, _)| in_place.contains(&(di + 1 + k)))
                    .and_then(|(_, nr)| cur_by_tag.get(&rule_id(nr).unwrap_or_default()))
                    .and_then(|(_, c)| c.handle);
                p.ops.push(PatchOp::CreateRule {
                    family: f,
                    table: tn.clone(),
                    chain: cn.clone(),
                    placement: match next {
                        Some(h) => RulePlacement::Before(h),
                        None => RulePlacement::Append,
                    },
                    rule: Box::new(r.clone()),
                });
            }
        }
    }
    Ok(())
}

/// Indices of a longest strictly increasing subsequence.
fn lis(v: &[usize]) -> Vec<usize> {
    let n = v.len();
    let mut tails: Vec<usize> = Vec::new();
    let mut prev = vec![usize::MAX; n];
    for i in 0..n {
        let pos = tails.partition_point(|&t| v[t] < v[i]);
        if pos > 0 {
            prev[i] = tails[pos - 1];
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::new();
    let mut k = tails.last().copied().unwrap_or(usize::MAX);
    while k != usize::MAX {
        out.push(k);
        k = prev[k];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netfilter::expr::{Cmp, CmpOp, Data, Payload, PayloadBase, Reg, Verdict};
    use crate::netfilter::model::{BaseChain, ChainType, Hook, TableLifetime};

    fn port_rule(port: u16, tag: &str, handle: Option<u64>) -> Rule {
        let mut r = Rule::new(vec![
            Expr::Payload(Payload {
                dreg: Reg::R1,
                base: PayloadBase::Transport,
                offset: 2,
                len: 2,
            }),
            Expr::Cmp(Cmp {
                sreg: Reg::R1,
                op: CmpOp::Eq,
                data: Data::be16(port),
            }),
            Expr::verdict(Verdict::Accept),
        ])
        .tag(tag)
        .unwrap();
        r.handle = handle;
        r
    }

    fn rs(rules: Vec<Rule>, policy: Policy) -> Ruleset {
        let mut t = Table::new(Family::Inet, "t", TableLifetime::Persistent).unwrap();
        let mut c = Chain::base(
            "input",
            BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(policy),
        )
        .unwrap();
        c.rules = rules;
        t.add_chain(c).unwrap();
        let mut r = Ruleset::new();
        r.add_table(t).unwrap();
        r
    }

    #[test]
    fn nf_18_identity_and_foreign_tables() {
        let a = rs(vec![port_rule(22, "ssh", Some(4))], Policy::Drop);
        assert!(diff(&a, &a).unwrap().is_empty());
        // A table only in `from` is ignored.
        let mut cur = a.clone();
        cur.add_table(Table::new(Family::Ip, "docker", TableLifetime::Persistent).unwrap())
            .unwrap();
        assert!(diff(&cur, &a).unwrap().is_empty());
    }

    #[test]
    fn nf_18_tagged_change_is_a_replace_on_the_handle() {
        let cur = rs(vec![port_rule(22, "ssh", Some(17))], Policy::Drop);
        let des = rs(vec![port_rule(2222, "ssh", None)], Policy::Drop);
        let p = diff(&cur, &des).unwrap();
        assert_eq!(p.len(), 1, "{p:#}");
        assert!(matches!(&p.ops[0], PatchOp::ReplaceRule { handle: 17, .. }));
        assert_eq!(p.to_string(), "patch: 1 ops (+0 ~1 -0)");
    }

    #[test]
    fn nf_16_patch_ops_show_rules_in_nft_syntax() {
        let cur = rs(vec![port_rule(22, "ssh", Some(17))], Policy::Drop);
        let des = rs(
            vec![port_rule(2222, "ssh", None), port_rule(80, "web", None)],
            Policy::Drop,
        );
        let p = diff(&cur, &des).unwrap();
        let lines: Vec<String> = p.ops.iter().map(ToString::to_string).collect();
        // A bare transport-header match prints as nft prints it (`th dport`).
        assert!(
            lines.contains(&"~ rule inet/t/input handle 17: th dport 2222 accept [tag ssh]".into()),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"+ rule inet/t/input: th dport 80 accept [tag web]".into()),
            "{lines:#?}"
        );
    }

    #[test]
    fn nf_85_untagged_multi_rule_chain_needs_tags() {
        let mut a = port_rule(22, "x", None);
        a.userdata = Default::default();
        let b = a.clone();
        let des = rs(vec![a, b], Policy::Drop);
        let e = diff(&Ruleset::new(), &des).unwrap_err();
        assert!(e.to_string().contains("TagRequired"), "{e}");
    }

    #[test]
    fn nf_86_reorder_and_policy_in_place() {
        let cur = rs(
            vec![port_rule(1, "a", Some(5)), port_rule(2, "b", Some(6))],
            Policy::Drop,
        );
        let des = rs(
            vec![port_rule(2, "b", None), port_rule(1, "a", None)],
            Policy::Drop,
        );
        let p = diff(&cur, &des).unwrap();
        assert!(!p.is_empty());
        assert!(
            p.ops
                .iter()
                .any(|o| matches!(o, PatchOp::DeleteRule { .. }))
        );
        assert!(
            p.ops
                .iter()
                .any(|o| matches!(o, PatchOp::CreateRule { .. }))
        );
        let des = rs(
            vec![port_rule(1, "a", None), port_rule(2, "b", None)],
            Policy::Accept,
        );
        let p = diff(&cur, &des).unwrap();
        assert_eq!(p.len(), 1, "{p:#}");
        assert!(matches!(
            &p.ops[0],
            PatchOp::UpdateChain {
                policy: Policy::Accept,
                ..
            }
        ));
    }

    #[test]
    fn nf_18_hook_change_recreates_chain() {
        let cur = rs(vec![port_rule(1, "a", Some(5))], Policy::Drop);
        let mut des = rs(vec![port_rule(1, "a", None)], Policy::Drop);
        if let ChainKind::Base(b) = &mut des.tables[0].chains[0].kind {
            b.hook = Hook::Output;
        }
        let p = diff(&cur, &des).unwrap();
        let kinds: Vec<char> = p.ops.iter().map(PatchOp::sign).collect();
        assert_eq!(kinds, vec!['-', '-', '+', '+'], "{p:#}");
    }

    #[test]
    fn lis_works() {
        assert_eq!(lis(&[0, 1, 2]), vec![0, 1, 2]);
        assert_eq!(lis(&[1, 0]).len(), 1);
        assert_eq!(lis(&[2, 0, 1, 3]), vec![1, 2, 3]);
        assert!(lis(&[]).is_empty());
        assert_eq!(alloc_name("__set12"), "__set%d");
        assert_eq!(alloc_name("__map%d"), "__map%d");
    }
}
