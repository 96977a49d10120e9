//! Commands: nft's `cmd_evaluate` and `nft_cmd_expand` over a whole script, producing the
//! messages of ONE batch in nft's order (NFT-01). Tables expand to table, chains, objects,
//! named sets with their elements, flowtables, then rules, each rule preceded by the anonymous
//! sets it uses; `flush ruleset` is a `DELTABLE` without a name inside the same batch.

use linx_nft_syntax::ast::{self, CommandKind, ExprKind, TopItem, Verb};
use linx_nft_syntax::{Diagnostic, Diagnostics, Span};

use crate::netfilter::codec::{self, ElemOp, NftMessage, RulePlacement};
use crate::netfilter::expr::Counter;
use crate::netfilter::expr::{Limit, LimitKind, Quota, Synproxy};
use crate::netfilter::model::{
    BaseChain, Chain, ChainKind, ChainType, Family, Flowtable, Hook, Policy, Rule, Ruleset, Table,
    TableLifetime,
};
use crate::netfilter::obj::{CtExpectation, CtHelper, Object, ObjectData, ObjectType};
use crate::netfilter::set::{DataType, Field, Set};
use crate::netfilter::set::{RawElement, SetData, SetFlags, SetKey};
use crate::netfilter::userdata::Userdata;
use crate::netfilter::{ResetScope, RuleResetScope};
use crate::netlink::wire::flags;

use super::dtype::*;
use super::eval::{Cache, Ev, IfResolver, R, SetDef, TableInfo, err, from_ast, unsupported};
use super::intervals;
use super::ir::*;
use super::lower;
use super::stmt::{from_ast_stmt, limit_args};

/// A message of the batch and the source it came from.
#[derive(Clone, Debug)]
pub(crate) struct Msg {
    pub msg: NftMessage,
    pub span: Span,
}

/// What a command turned into, before messages are built (set flags and anonymous sets are
/// only final once every command is evaluated).
#[derive(Clone, Debug)]
enum Pending {
    FlushRuleset(Option<Family>),
    Table {
        family: Family,
        name: String,
        flags: u32,
        comment: Option<String>,
        has_body: bool,
        excl: bool,
    },
    Chain {
        family: Family,
        table: String,
        chain: Chain,
        excl: bool,
    },
    Object {
        family: Family,
        table: String,
        obj: Object,
        excl: bool,
    },
    Set {
        set: usize,
        excl: bool,
    },
    Flowtable {
        family: Family,
        table: String,
        ft: Flowtable,
        excl: bool,
    },
    Rule {
        family: Family,
        table: String,
        chain: String,
        stmts: Vec<St>,
        anon: Vec<usize>,
        comment: Option<String>,
        place: RulePlacement,
    },
    Elements {
        set: usize,
        elems: E,
        op: ElemOp,
        excl: bool,
    },
    Raw(NftMessage),
}

#[derive(Clone, Debug)]
struct PendingOp {
    p: Pending,
    span: Span,
}

/// Something the compiler needs from the outside: interface indexes in the target namespace
/// and, optionally, the kernel's current ruleset (for references to existing objects).
pub(crate) struct Env<'a> {
    pub ifr: &'a dyn IfResolver,
    pub kernel: Option<&'a Ruleset>,
}

/// The result of compiling a script.
pub(crate) struct Compiled {
    pub msgs: Vec<Msg>,
    pub resets: Vec<(super::ResetCmd, Span)>,
    pub warnings: Diagnostics,
}

fn family_of(f: Option<ast::Family>) -> Family {
    match f {
        None | Some(ast::Family::Ip) => Family::Ip,
        Some(ast::Family::Ip6) => Family::Ip6,
        Some(ast::Family::Inet) => Family::Inet,
        Some(ast::Family::Arp) => Family::Arp,
        Some(ast::Family::Bridge) => Family::Bridge,
        Some(ast::Family::Netdev) => Family::Netdev,
    }
}

struct Compiler<'a> {
    env: Env<'a>,
    cache: Cache,
    next_set_id: u32,
    pending: Vec<PendingOp>,
    diags: Diagnostics,
    /// Set ids assigned in the parse pre-pass, by declaration span.
    named_ids: Vec<(Span, u32)>,
    /// `reset` commands, in order.
    resets: Vec<(super::ResetCmd, Span)>,
}

/// Compiles an expanded script (no directives left) into batch messages.
pub(crate) fn compile(script: &ast::Script, env: Env<'_>) -> Result<Compiled, Diagnostics> {
    let mut c = Compiler {
        env,
        cache: Cache::default(),
        next_set_id: 0,
        pending: Vec::new(),
        diags: Diagnostics::new(),
        named_ids: Vec::new(),
        resets: Vec::new(),
    };
    c.prepass(script);
    if let Some(k) = c.env.kernel {
        c.seed(k);
    }
    for item in &script.items {
        match item {
            TopItem::Directive(_) => {}
            TopItem::Command(cmd) => {
                if let Err(d) = c.command(cmd) {
                    c.diags.push(d);
                    if c.diags.error_count() >= 10 {
                        break;
                    }
                }
            }
        }
    }
    if c.diags.has_errors() {
        return Err(c.diags);
    }
    let resets = std::mem::take(&mut c.resets);
    match c.build() {
        Ok(msgs) => {
            if let (Some((_, span)), false) = (resets.first(), msgs.is_empty()) {
                // nft runs a reset while it builds the batch, before committing it, and then
                // prints the objects the file adds as if they had been reset.
                let mut ds = c.diags;
                ds.push(Diagnostic::unsupported(
                    *span,
                    "reset commands in a file that also changes the ruleset (nft resets before \
                     committing the file's changes); put them in a file of their own",
                ));
                return Err(ds);
            }
            Ok(Compiled {
                msgs,
                resets,
                warnings: c.diags,
            })
        }
        Err(d) => {
            let mut ds = c.diags;
            ds.push(d);
            Err(ds)
        }
    }
}

impl Compiler<'_> {
    /// nft allocates set ids while parsing: named sets first, in file order.
    fn prepass(&mut self, script: &ast::Script) {
        for item in &script.items {
            let TopItem::Command(cmd) = item else {
                continue;
            };
            match &cmd.kind {
                CommandKind::Table { body: Some(b), .. } => {
                    for ti in &b.items {
                        if let ast::TableItem::Set(sd) = ti {
                            self.next_set_id += 1;
                            self.named_ids.push((sd.span, self.next_set_id));
                        }
                    }
                }
                CommandKind::Set { .. } if matches!(cmd.verb, Verb::Add { .. } | Verb::Create) => {
                    self.next_set_id += 1;
                    self.named_ids.push((cmd.span, self.next_set_id));
                }
                _ => {}
            }
        }
    }

    fn named_id(&self, span: Span) -> u32 {
        self.named_ids
            .iter()
            .find(|(s, _)| *s == span)
            .map(|(_, i)| *i)
            .unwrap_or(0)
    }

    /// Loads the kernel's objects into the cache (nft's cache fill).
    fn seed(&mut self, rs: &Ruleset) {
        for t in &rs.tables {
            let mut ti = TableInfo {
                family: t.family.number(),
                name: t.name.clone(),
                chains: t.chains.iter().map(|c| c.name.clone()).collect(),
                sets: Vec::new(),
                objs: t
                    .objects
                    .iter()
                    .map(|o| (o.kind().number(), o.name.clone()))
                    .collect(),
                flowtables: t.flowtables.iter().map(|f| f.name.clone()).collect(),
                in_kernel: true,
            };
            for s in &t.sets {
                let mut d = SetDef::new(s.name.clone(), ti.family, t.name.clone(), Span::DUMMY);
                self.next_set_id += 1;
                d.id = self.next_set_id;
                d.flags = s.flags.bits();
                d.in_kernel = true;
                let bo = match s
                    .userdata
                    .get_u32(crate::netfilter::userdata::SET_KEYBYTEORDER)
                {
                    Some(1) => Bo::Host,
                    Some(2) => Bo::Big,
                    _ => Bo::Invalid,
                };
                let kdt = if s.key.type_id > 63 {
                    Dt::concat(s.key.type_id)
                } else {
                    Dt {
                        ty: s.key.type_id,
                        size: s.key.len * 8,
                        bo,
                    }
                };
                d.key = Some(E::value(0, kdt, bo, s.key.len * 8, Span::DUMMY));
                d.data = match &s.data {
                    Some(SetData::Verdict { .. }) => Some(E::verdict(0, None, Span::DUMMY)),
                    Some(SetData::Value(k)) => {
                        let dbo = match s
                            .userdata
                            .get_u32(crate::netfilter::userdata::SET_DATABYTEORDER)
                        {
                            Some(1) => Bo::Host,
                            Some(2) => Bo::Big,
                            _ => Bo::Invalid,
                        };
                        let ddt = if k.type_id > 63 {
                            Dt::concat(k.type_id)
                        } else {
                            Dt {
                                ty: k.type_id,
                                size: k.len * 8,
                                bo: dbo,
                            }
                        };
                        Some(E::value(0, ddt, dbo, k.len * 8, Span::DUMMY))
                    }
                    Some(SetData::Object(o)) => {
                        d.objtype = o.number();
                        Some(E::value(
                            0,
                            Dt::of(TYPE_STRING),
                            Bo::Host,
                            256 * 8,
                            Span::DUMMY,
                        ))
                    }
                    None => None,
                };
                if s.is_interval() && !s.key.is_concat() && !s.elements.is_empty() {
                    // Kernel elements take part in overlap checks.
                    if let Ok(raw) = s.encode_elements(&s.elements, false) {
                        let _ = raw;
                    }
                    d.kernel_ranges = kernel_ranges(s);
                }
                let idx = self.cache.sets.len();
                self.cache.sets.push(d);
                ti.sets.push(idx);
            }
            self.cache.tables.push(ti);
        }
    }

    fn push(&mut self, p: Pending, span: Span) {
        self.pending.push(PendingOp { p, span });
    }

    fn ensure_table(&mut self, family: Family, name: &str) {
        let f = family.number();
        if self.cache.table(f, name).is_none() {
            self.cache.tables.push(TableInfo {
                family: f,
                name: name.to_string(),
                ..TableInfo::default()
            });
        }
    }

    fn table_exists(&self, family: Family, name: &str) -> bool {
        self.cache.table(family.number(), name).is_some()
    }

    fn command(&mut self, cmd: &ast::Command) -> R<()> {
        let span = cmd.span;
        let excl = cmd.verb == Verb::Create;
        match (&cmd.verb, &cmd.kind) {
            (Verb::Flush, CommandKind::Ruleset { family }) => {
                let fam = family.map(|f| family_of(Some(f)));
                match fam {
                    None => self.cache.tables.clear(),
                    Some(f) => {
                        let n = f.number();
                        self.cache.tables.retain(|t| t.family != n);
                    }
                }
                self.push(Pending::FlushRuleset(fam), span);
                Ok(())
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Table { table, body }) => {
                let (family, name) = table_name(table)?;
                self.table(family, &name, body.as_ref(), excl, span)
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Chain { chain, body }) => {
                let (family, table, name) = obj_name(chain)?;
                self.need_table(family, &table, span)?;
                let b = body.clone().unwrap_or_default();
                self.chain(family, &table, &name, &b, excl, span)
            }
            (
                Verb::Add { .. } | Verb::Insert | Verb::Replace | Verb::Create,
                CommandKind::Rule {
                    chain,
                    position,
                    rule: Some(rule),
                    ..
                },
            ) => {
                let family = family_of(chain.table.family);
                let table = chain.table.name.name.clone();
                self.need_table(family, &table, chain.table.name.span)?;
                let place = match (&cmd.verb, position) {
                    (Verb::Add { .. }, None) => RulePlacement::Append,
                    (Verb::Insert, None) => RulePlacement::Insert,
                    (Verb::Add { .. }, Some(ast::RulePosition::Position(n)))
                    | (Verb::Add { .. }, Some(ast::RulePosition::Handle(n))) => {
                        RulePlacement::After(n.value())
                    }
                    (Verb::Insert, Some(ast::RulePosition::Position(n)))
                    | (Verb::Insert, Some(ast::RulePosition::Handle(n))) => {
                        RulePlacement::Before(n.value())
                    }
                    (Verb::Replace, Some(ast::RulePosition::Handle(n))) => {
                        RulePlacement::Replace(n.value())
                    }
                    (
                        verb @ (Verb::Add { .. } | Verb::Insert),
                        Some(ast::RulePosition::Index(n)),
                    ) => {
                        let h = self.rule_at_index(
                            family,
                            &table,
                            &chain.name.name,
                            n.value(),
                            n.span,
                        )?;
                        if matches!(verb, Verb::Insert) {
                            RulePlacement::Before(h)
                        } else {
                            RulePlacement::After(h)
                        }
                    }
                    _ => return unsupported(span, "this rule command"),
                };
                self.rule(family, &table, &chain.name.name, rule, place)
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Set { map, set, body }) => {
                let (family, table, name) = obj_name(set)?;
                self.need_table(family, &table, span)?;
                let b = body.clone().unwrap_or_default();
                let id = self.named_id(span);
                self.set(family, &table, &name, *map, &b, excl, id, span)
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Element { set, elements }) => {
                self.elements(set, elements, ElemOp::Add, excl, span)
            }
            (Verb::Delete, CommandKind::Element { set, elements }) => {
                self.elements(set, elements, ElemOp::Delete, false, span)
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Flowtable { flowtable, body }) => {
                let (family, table, name) = obj_name(flowtable)?;
                self.need_table(family, &table, span)?;
                let b = body.clone().unwrap_or_default();
                self.flowtable(family, &table, &name, &b, excl, span)
            }
            (Verb::Add { .. } | Verb::Create, CommandKind::Object { kind, object, body }) => {
                let (family, table, name) = obj_name(object)?;
                self.need_table(family, &table, span)?;
                let b = body.clone().unwrap_or_default();
                self.object(family, &table, &name, *kind, &b, excl, span)
            }
            (Verb::Delete | Verb::Destroy, kind) => self.delete(cmd.verb, kind, span),
            (Verb::Flush, kind) => self.flush(kind, span),
            (
                Verb::Reset,
                CommandKind::ResetObjects {
                    quotas,
                    family,
                    table,
                },
            ) => {
                let kind = if *quotas {
                    ObjectType::Quota
                } else {
                    ObjectType::Counter
                };
                let scope = match (table, family) {
                    (Some(t), _) => {
                        let f = family_of(t.family);
                        self.need_table(f, &t.name.name, t.name.span)?;
                        ResetScope::Table(f, t.name.name.clone())
                    }
                    (None, Some(f)) => ResetScope::Family(family_of(Some(*f))),
                    (None, None) => ResetScope::All,
                };
                self.resets
                    .push((super::ResetCmd::Objects { kind, scope }, span));
                Ok(())
            }
            (Verb::Reset, CommandKind::Object { kind, object, .. }) => {
                let (family, table, name) = obj_name(object)?;
                self.need_table(family, &table, span)?;
                let kind = match kind {
                    ast::ObjectKind::Counter => ObjectType::Counter,
                    ast::ObjectKind::Quota => ObjectType::Quota,
                    _ => {
                        return unsupported(
                            span,
                            "reset of objects other than counters and quotas",
                        );
                    }
                };
                self.resets.push((
                    super::ResetCmd::Object {
                        family,
                        table,
                        kind,
                        name,
                    },
                    span,
                ));
                Ok(())
            }
            (
                Verb::Reset,
                CommandKind::ResetRules {
                    family,
                    table,
                    chain,
                },
            ) => {
                let scope = match (table, chain) {
                    (Some(t), c) => {
                        let f = family_of(t.family);
                        self.need_table(f, &t.name.name, t.name.span)?;
                        match c {
                            Some(c) => {
                                self.need_chain(f, &t.name.name, c)?;
                                RuleResetScope::Chain(f, t.name.name.clone(), c.name.clone())
                            }
                            None => RuleResetScope::Table(f, t.name.name.clone()),
                        }
                    }
                    (None, _) => match family {
                        Some(f) => RuleResetScope::Family(family_of(Some(*f))),
                        None => RuleResetScope::All,
                    },
                };
                self.resets.push((super::ResetCmd::Rules { scope }, span));
                Ok(())
            }
            (
                Verb::Reset,
                CommandKind::Rule {
                    chain,
                    position: Some(ast::RulePosition::Handle(h)),
                    rule: None,
                    ..
                },
            ) => {
                let family = family_of(chain.table.family);
                let table = chain.table.name.name.clone();
                self.need_table(family, &table, chain.table.name.span)?;
                self.need_chain(family, &table, &chain.name)?;
                self.resets.push((
                    super::ResetCmd::Rule {
                        family,
                        table,
                        chain: chain.name.name.clone(),
                        handle: h.value(),
                    },
                    span,
                ));
                Ok(())
            }
            (
                Verb::Reset,
                CommandKind::Set {
                    map,
                    set: ast::ObjSel::Name(q),
                    body: None,
                },
            ) => {
                let family = family_of(q.table.family);
                let table = q.table.name.name.clone();
                self.need_table(family, &table, q.table.name.span)?;
                let found = self
                    .cache
                    .find_set(family.number(), &table, &q.name.name)
                    .map(|i| &self.cache.sets[i])
                    .filter(|s| !s.is_anonymous() && s.is_map() == *map);
                if found.is_none() {
                    return err(
                        q.name.span,
                        format!(
                            "No such file or directory ({} '{}' does not exist in table {family} {table})",
                            if *map { "map" } else { "set" },
                            q.name.name
                        ),
                    );
                }
                self.resets.push((
                    super::ResetCmd::Set {
                        family,
                        table,
                        name: q.name.name.clone(),
                    },
                    span,
                ));
                Ok(())
            }
            (Verb::Reset, CommandKind::Element { set, elements }) => {
                let keys = self.element_keys(set, elements, span)?;
                self.resets.push((
                    super::ResetCmd::Elements {
                        family: family_of(set.table.family),
                        table: set.table.name.name.clone(),
                        set: set.name.name.clone(),
                        keys,
                    },
                    span,
                ));
                Ok(())
            }
            (Verb::Reset, _) => unsupported(span, "this reset command"),
            _ => unsupported(span, format!("{} command", cmd.verb.as_str())),
        }
    }

    /// A chain the file refers to must exist (in the kernel or declared before).
    fn need_chain(&self, family: Family, table: &str, chain: &ast::Ident) -> R<()> {
        let chains: &[String] = self
            .cache
            .table(family.number(), table)
            .map_or(&[], |t| t.chains.as_slice());
        if chains.contains(&chain.name) {
            return Ok(());
        }
        Err(Diagnostic::error(
            chain.span,
            format!(
                "No such file or directory (chain '{}' does not exist in table {family} {table})",
                chain.name
            ),
        )
        .maybe_suggest(linx_nft_syntax::diag::did_you_mean(
            &chain.name,
            chains.iter().cloned(),
        )))
    }

    fn need_table(&self, family: Family, table: &str, span: Span) -> R<()> {
        if self.table_exists(family, table) {
            return Ok(());
        }
        let names: Vec<String> = self
            .cache
            .tables
            .iter()
            .filter(|t| t.family == family.number())
            .map(|t| t.name.clone())
            .collect();
        Err(Diagnostic::error(
            span,
            format!(
                "Could not process rule: No such file or directory (table '{table}' does not exist in family {family})"
            ),
        )
        .maybe_suggest(linx_nft_syntax::diag::did_you_mean(table, names)))
    }

    // ------------------------------------------------------------------------------------------
    // tables

    fn table(
        &mut self,
        family: Family,
        name: &str,
        body: Option<&ast::TableBody>,
        excl: bool,
        span: Span,
    ) -> R<()> {
        self.ensure_table(family, name);
        let mut flags = 0u32;
        let mut comment = None;
        if let Some(b) = body {
            for it in &b.items {
                match it {
                    ast::TableItem::Flags(f) => match f.name.as_str() {
                        "dormant" => flags |= 1,
                        "owner" => flags |= 2,
                        "persist" => flags |= 4,
                        o => return err(f.span, format!("unknown table option {o}")),
                    },
                    ast::TableItem::Comment(c) => {
                        if comment.is_some() {
                            return err(c.span, "You cannot set comment twice");
                        }
                        comment = Some(c.text.clone());
                    }
                    _ => {}
                }
            }
        }
        self.push(
            Pending::Table {
                family,
                name: name.to_string(),
                flags,
                comment,
                has_body: body.is_some(),
                excl,
            },
            span,
        );
        let Some(b) = body else { return Ok(()) };
        // nft evaluates sets, then chains (with rules), flowtables and objects, but expands
        // to chains, objects, sets, flowtables, rules.
        let mut sets = Vec::new();
        for it in &b.items {
            if let ast::TableItem::Set(sd) = it {
                let id = self.named_id(sd.span);
                let before = self.pending.len();
                self.set(
                    family,
                    name,
                    &sd.name.name,
                    sd.map,
                    &sd.body,
                    false,
                    id,
                    sd.span,
                )?;
                sets.extend(self.pending.drain(before..));
            }
        }
        let mut chains = Vec::new();
        let mut rules = Vec::new();
        for it in &b.items {
            if let ast::TableItem::Chain(cd) = it {
                let before = self.pending.len();
                self.chain(family, name, &cd.name.name, &cd.body, false, cd.span)?;
                for p in self.pending.drain(before..) {
                    match p.p {
                        Pending::Chain { .. } => chains.push(p),
                        _ => rules.push(p),
                    }
                }
            }
        }
        let mut fts = Vec::new();
        for it in &b.items {
            if let ast::TableItem::Flowtable(fd) = it {
                let before = self.pending.len();
                self.flowtable(family, name, &fd.name.name, &fd.body, false, fd.span)?;
                fts.extend(self.pending.drain(before..));
            }
        }
        let mut objs = Vec::new();
        for it in &b.items {
            if let ast::TableItem::Object(od) = it {
                let before = self.pending.len();
                self.object(
                    family,
                    name,
                    &od.name.name,
                    od.kind,
                    &od.body,
                    false,
                    od.span,
                )?;
                objs.extend(self.pending.drain(before..));
            }
        }
        self.pending.extend(chains);
        self.pending.extend(objs);
        self.pending.extend(sets);
        self.pending.extend(fts);
        self.pending.extend(rules);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // chains and rules

    fn chain(
        &mut self,
        family: Family,
        table: &str,
        name: &str,
        body: &ast::ChainBody,
        excl: bool,
        span: Span,
    ) -> R<()> {
        let f = family.number();
        if let Some(t) = self.cache.table_mut(f, table)
            && !t.chains.iter().any(|c| c == name)
        {
            t.chains.push(name.to_string());
        }
        let mut chain = Chain {
            name: name.to_string(),
            kind: ChainKind::Regular,
            rules: Vec::new(),
            userdata: Userdata::default(),
            handle: None,
        };
        let mut policy: Option<Policy> = None;
        let mut hook: Option<&ast::HookSpec> = None;
        let mut offload = false;
        for it in &body.items {
            match it {
                ast::ChainItem::Hook(h) => hook = Some(h),
                ast::ChainItem::Policy(p) => {
                    policy = Some(match p {
                        ast::Policy::Accept(_) => Policy::Accept,
                        ast::Policy::Drop(_) => Policy::Drop,
                        ast::Policy::Var(v) => {
                            let val = v.value.as_deref().map(|e| e.resolved());
                            match val.map(|e| &e.kind) {
                                Some(ExprKind::Symbol(s)) | Some(ExprKind::Quoted(s))
                                    if s == "accept" =>
                                {
                                    Policy::Accept
                                }
                                Some(ExprKind::Symbol(s)) | Some(ExprKind::Quoted(s))
                                    if s == "drop" =>
                                {
                                    Policy::Drop
                                }
                                _ => return err(v.span, "invalid policy expression"),
                            }
                        }
                    })
                }
                ast::ChainItem::FlagsOffload(_) => offload = true,
                ast::ChainItem::Comment(c) => {
                    chain
                        .userdata
                        .set_comment(Some(&c.text))
                        .map_err(|e| Diagnostic::error(c.span, e.to_string()))?;
                }
                _ => {}
            }
        }
        if let Some(h) = hook {
            let ct = ChainType::from_name(&h.chain_type.name)
                .ok_or_else(|| Diagnostic::error(h.chain_type.span, "unknown chain type"))?;
            let hk = hook_from_name(&h.hook.name)
                .ok_or_else(|| Diagnostic::error(h.hook.span, "unknown chain hook"))?;
            if hk.number(family).is_none() {
                return err(
                    h.hook.span,
                    format!("The {} family does not support this hook", family.name()),
                );
            }
            let prio = priority(family, hk, &h.priority)?;
            let mut b = BaseChain::new(ct, hk, prio);
            b.policy = policy;
            b.hw_offload = offload;
            let needs_dev =
                family == Family::Netdev || (family == Family::Inet && hk == Hook::Ingress);
            match (&h.device, needs_dev) {
                (None, true) => {
                    return err(h.span, "Missing `device' in this chain definition");
                }
                (Some(d), false) => {
                    let sp = match d {
                        ast::DeviceSpec::Device(e) | ast::DeviceSpec::Devices(e) => e.span,
                    };
                    return err(sp, "This chain type cannot be bound to device");
                }
                (Some(d), true) => b.devices = devices(d)?,
                (None, false) => {}
            }
            chain.kind = ChainKind::Base(b);
        } else if policy.is_some() || offload {
            // nft ignores a policy on a chain without hook only at the kernel; send it.
            let _ = policy;
        }
        self.push(
            Pending::Chain {
                family,
                table: table.to_string(),
                chain,
                excl,
            },
            span,
        );
        for it in &body.items {
            if let ast::ChainItem::Rule(r) = it {
                self.rule(family, table, name, r, RulePlacement::Append)?;
            }
        }
        Ok(())
    }

    /// `index N`: the handle of the chain's N-th rule (0-based) in the kernel's ruleset, as
    /// nft resolves it from its cache; `add` then places after it and `insert` before it.
    fn rule_at_index(
        &self,
        family: Family,
        table: &str,
        chain: &str,
        index: u64,
        span: Span,
    ) -> R<u64> {
        // nft also counts rules added earlier in the same transaction; linx does not model that.
        let earlier = self.pending.iter().any(|op| {
            matches!(&op.p, Pending::Rule { family: f, table: t, chain: c, .. }
                if *f == family && t == table && c == chain)
        });
        if earlier {
            return unsupported(
                span,
                "rule position by index in a chain this file also adds rules to",
            );
        }
        let Some(kernel) = self.env.kernel else {
            return err(
                span,
                "rule position by index needs the kernel's ruleset (CompileEnv::with_kernel)",
            );
        };
        let rule = kernel
            .tables
            .iter()
            .find(|t| t.family == family && t.name == table)
            .and_then(|t| t.chains.iter().find(|c| c.name == chain))
            .and_then(|c| usize::try_from(index).ok().and_then(|i| c.rules.get(i)));
        match rule.and_then(|r| r.handle) {
            Some(h) => Ok(h),
            None => err(
                span,
                format!(
                    "Could not process rule: No such file or directory (no rule at index {index} in {chain})"
                ),
            ),
        }
    }

    fn rule(
        &mut self,
        family: Family,
        table: &str,
        chain: &str,
        rule: &ast::Rule,
        place: RulePlacement,
    ) -> R<()> {
        let mut stmts = Vec::new();
        for s in &rule.stmts {
            stmts.push(from_ast_stmt(s)?);
        }
        let comment = rule.comment.as_ref().map(|c| c.text.clone());
        let mut ev = Ev::new(
            &mut self.cache,
            self.env.ifr,
            family.number(),
            table.to_string(),
            &mut self.next_set_id,
        );
        let out = ev.rule(stmts)?;
        let anon = std::mem::take(&mut ev.anon);
        self.push(
            Pending::Rule {
                family,
                table: table.to_string(),
                chain: chain.to_string(),
                stmts: out,
                anon,
                comment,
                place,
            },
            rule.span,
        );
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // sets

    #[allow(clippy::too_many_arguments)]
    fn set(
        &mut self,
        family: Family,
        table: &str,
        name: &str,
        map: bool,
        body: &ast::SetBody,
        excl: bool,
        id: u32,
        span: Span,
    ) -> R<()> {
        let f = family.number();
        let mut s = SetDef::new(name.to_string(), f, table.to_string(), span);
        s.id = if id != 0 {
            id
        } else {
            self.next_set_id += 1;
            self.next_set_id
        };
        let mut init: Option<&ast::Expr> = None;
        let mut stmts = Vec::new();
        let mut key_set = false;
        for it in &body.items {
            match it {
                ast::SetItem::Type { key, data, span } => {
                    s.key = Some(type_key(key, *span)?);
                    key_set = true;
                    match data {
                        None if map => {
                            return err(*span, "map definition does not specify mapping data type");
                        }
                        None => {}
                        Some(ast::MapData::Type { interval, types }) => {
                            let mut d = type_key(types, *span)?;
                            if *interval {
                                d.flags |= F_INTERVAL;
                            }
                            s.data = Some(d);
                            s.flags |= SET_MAP;
                        }
                        Some(ast::MapData::Object(k, _)) => {
                            s.objtype = match k {
                                ast::ObjectKind::Counter => 1,
                                ast::ObjectKind::Quota => 2,
                                ast::ObjectKind::Limit => 4,
                                ast::ObjectKind::Secmark => 8,
                                ast::ObjectKind::Synproxy => 10,
                                _ => return unsupported(*span, "this object map type"),
                            };
                            s.flags |= SET_OBJECT;
                        }
                    }
                }
                ast::SetItem::Typeof { key, data, span } => {
                    s.key = Some(typeof_key(key, *span)?);
                    key_set = true;
                    match data {
                        None if map => {
                            return err(*span, "map definition does not specify mapping data type");
                        }
                        None => {}
                        Some(d) => {
                            let mut k = typeof_key(&d.exprs, *span)?;
                            if d.interval {
                                k.flags |= F_INTERVAL;
                            }
                            s.data = Some(k);
                            s.flags |= SET_MAP;
                        }
                    }
                }
                ast::SetItem::Flags(fl) => {
                    let mut v = 0;
                    for (fl, _) in fl {
                        v |= match fl {
                            ast::SetFlag::Constant => SET_CONSTANT,
                            ast::SetFlag::Interval => SET_INTERVAL,
                            ast::SetFlag::Timeout => SET_TIMEOUT,
                            ast::SetFlag::Dynamic => SET_EVAL,
                        };
                    }
                    // Sets assign, maps OR (parser_bison.y).
                    if map {
                        s.flags |= v;
                    } else {
                        s.flags = (s.flags & (SET_MAP | SET_OBJECT)) | v;
                    }
                }
                ast::SetItem::Timeout(t) => s.timeout = super::eval::time_value_ms(t)?,
                ast::SetItem::GcInterval(t) => {
                    s.gc_int = super::eval::time_value_ms(t)? as u32;
                }
                ast::SetItem::Stateful(v) => {
                    for st in v {
                        stmts.push(super::stmt::stateful_from_ast(st)?);
                    }
                }
                ast::SetItem::Elements(e) => init = Some(e),
                ast::SetItem::AutoMerge(_) => s.automerge = true,
                ast::SetItem::Policy(p) => {
                    s.policy = Some(if p.name == "memory" { 1 } else { 0 });
                }
                ast::SetItem::Size(n) => s.size = n.value() as u32,
                ast::SetItem::Comment(c) => {
                    if s.comment.is_some() {
                        return err(c.span, "You cannot set comment twice");
                    }
                    s.comment = Some(c.text.clone());
                }
                ast::SetItem::Directive(_) => {}
            }
        }
        s.stmts = stmts;
        let kind = if map { "map" } else { "set" };
        if !key_set {
            return err(span, format!("{kind} definition does not specify key"));
        }
        if s.flags & SET_INTERVAL == 0 && s.automerge {
            return err(span, "auto-merge only works with interval sets");
        }
        if let Some(k) = &s.key
            && k.len == 0
        {
            return err(
                span,
                format!(
                    "unqualified type {} specified in {kind} definition. Try \"typeof expression\" instead of \"type datatype\".",
                    k.dt.name()
                ),
            );
        }
        if s.flags & SET_INTERVAL != 0
            && let Some(E {
                k: K::Concat { field_len, .. },
                ..
            }) = &s.key
        {
            s.field_len = field_len.clone();
            s.flags |= SET_CONCAT;
        }
        if s.is_datamap() {
            if let Some(d) = &mut s.data
                && d.flags & F_INTERVAL != 0
            {
                d.len *= 2;
            }
        } else if s.is_objmap() {
            s.data = Some(E::value(0, Dt::of(TYPE_STRING), Bo::Host, 256 * 8, span));
        }
        if s.timeout != 0 {
            s.flags |= SET_TIMEOUT;
        }
        if s.stmts.len() > 1 {
            s.flags |= SET_EXPR;
        }
        // Register in the cache (set_cache_add) unless the set exists.
        let existing = self.cache.find_set(f, table, name);
        let idx = self.cache.sets.len();
        if let Some(e) = existing {
            // A declaration of an existing set: elements are checked against it.
            s.kernel_ranges = self.cache.sets[e].kernel_ranges.clone();
        }
        self.cache.sets.push(s);
        if existing.is_none()
            && let Some(t) = self.cache.table_mut(f, table)
        {
            t.sets.push(idx);
        }
        if let Some(e) = init {
            let mut x = from_ast(e)?;
            let key = self.cache.sets[idx].key.clone();
            let mut ev = Ev::new(
                &mut self.cache,
                self.env.ifr,
                f,
                table.to_string(),
                &mut self.next_set_id,
            );
            ev.set_ctx_for(idx);
            if let Some(k) = &key {
                ev.set_ectx(Some(k.dt), k.bo, k.len);
            }
            ev.expr(&mut x)?;
            if !matches!(x.k, K::Set { .. }) {
                return err(
                    e.span,
                    format!(
                        "Set {name}: Unexpected initial type {}, missing {{ }}?",
                        x.name()
                    ),
                );
            }
            self.cache.sets[idx].init = Some(x);
        }
        let sflags = self.cache.sets[idx].flags;
        if sflags & SET_INTERVAL != 0 && sflags & SET_CONCAT == 0 {
            intervals::interval_set_eval(&mut self.cache, idx, intervals::Cmd::Add)?;
        }
        self.push(Pending::Set { set: idx, excl }, span);
        Ok(())
    }

    /// The set `set` names (its table must exist) and `elements` evaluated against its type:
    /// its cache index and the evaluated expression.
    fn set_elements(&mut self, set: &ast::QualName, elements: &ast::Expr) -> R<(usize, E)> {
        let family = family_of(set.table.family);
        let table = set.table.name.name.clone();
        self.need_table(family, &table, set.table.name.span)?;
        let f = family.number();
        let Some(idx) = self.cache.find_set(f, &table, &set.name.name) else {
            return err(
                set.name.span,
                format!(
                    "Could not process rule: Set '{}' does not exist",
                    set.name.name
                ),
            );
        };
        let mut x = from_ast(elements)?;
        let key = self.cache.sets[idx].key.clone();
        let mut ev = Ev::new(
            &mut self.cache,
            self.env.ifr,
            f,
            table.clone(),
            &mut self.next_set_id,
        );
        ev.set_ctx_for(idx);
        if let Some(k) = &key {
            ev.set_ectx(Some(k.dt), k.dt.bo, k.len);
        }
        ev.expr(&mut x)?;
        Ok((idx, x))
    }

    fn elements(
        &mut self,
        set: &ast::QualName,
        elements: &ast::Expr,
        op: ElemOp,
        excl: bool,
        span: Span,
    ) -> R<()> {
        let (idx, mut x) = self.set_elements(set, elements)?;
        let sflags = self.cache.sets[idx].flags;
        if sflags & SET_INTERVAL != 0 && sflags & SET_CONCAT == 0 {
            let cmd = if op == ElemOp::Add {
                intervals::Cmd::Add
            } else {
                intervals::Cmd::Delete
            };
            if op != ElemOp::Add {
                return unsupported(span, "deleting elements of interval sets");
            }
            intervals::elements_eval(&mut self.cache, idx, &mut x, cmd)?;
        }
        self.push(
            Pending::Elements {
                set: idx,
                elems: x,
                op,
                excl,
            },
            span,
        );
        Ok(())
    }

    /// The keys of `reset element … { … }` in kernel form: evaluated against the set's type
    /// as nft's `get element` does, without data or statements (the kernel finds elements by
    /// key alone).
    fn element_keys(
        &mut self,
        set: &ast::QualName,
        elements: &ast::Expr,
        span: Span,
    ) -> R<Vec<crate::netfilter::set::RawElement>> {
        let (idx, x) = self.set_elements(set, elements)?;
        let sflags = self.cache.sets[idx].flags;
        if sflags & SET_INTERVAL != 0 && sflags & SET_CONCAT == 0 {
            return unsupported(span, "resetting elements of interval sets");
        }
        let s = &self.cache.sets[idx];
        let K::Set { items, .. } = &x.k else {
            return err(span, "elements are not a set expression");
        };
        let mut keys = Vec::with_capacity(items.len());
        for i in items {
            let raw = lower::raw_element(i, s.flags, s.is_objmap(), &self.cache)?;
            keys.push(crate::netfilter::set::RawElement {
                key: raw.key,
                key_end: raw.key_end,
                flags: raw.flags,
                ..Default::default()
            });
        }
        Ok(keys)
    }

    // ------------------------------------------------------------------------------------------
    // flowtables and objects

    fn flowtable(
        &mut self,
        family: Family,
        table: &str,
        name: &str,
        body: &ast::FlowtableBody,
        excl: bool,
        span: Span,
    ) -> R<()> {
        let mut ft = Flowtable::new(name, 0, Vec::<String>::new());
        let mut hooked = false;
        for it in &body.items {
            match it {
                ast::FlowtableItem::Hook { hook, priority: p } => {
                    if hook.name != "ingress" {
                        return err(hook.span, format!("invalid hook {}", hook.name));
                    }
                    ft.priority = priority(Family::Netdev, Hook::Ingress, p)?;
                    hooked = true;
                }
                ast::FlowtableItem::Devices(e) => {
                    ft.devices = devices(&ast::DeviceSpec::Devices(e.clone()))?;
                }
                ast::FlowtableItem::Counter(_) => ft.flags |= 2,
                ast::FlowtableItem::FlagsOffload(_) => ft.flags |= 1,
                ast::FlowtableItem::Directive(_) => {}
            }
        }
        let _ = hooked;
        if let Some(t) = self.cache.table_mut(family.number(), table)
            && !t.flowtables.iter().any(|f| f == name)
        {
            t.flowtables.push(name.to_string());
        }
        self.push(
            Pending::Flowtable {
                family,
                table: table.to_string(),
                ft,
                excl,
            },
            span,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn object(
        &mut self,
        family: Family,
        table: &str,
        name: &str,
        kind: ast::ObjectKind,
        body: &ast::ObjectBody,
        excl: bool,
        span: Span,
    ) -> R<()> {
        let mut comment = None;
        let mut data: Option<ObjectData> = None;
        let mut helper = CtHelper {
            name: String::new(),
            l3proto: None,
            l4proto: 0,
        };
        let mut expect = CtExpectation {
            l3proto: None,
            l4proto: 0,
            dport: 0,
            timeout: 0,
            size: 0,
        };
        let mut policy: Vec<(ast::Ident, ast::Num)> = Vec::new();
        for it in &body.items {
            match it {
                ast::ObjectItem::Comment(c) => comment = Some(c.text.clone()),
                ast::ObjectItem::Counter { packets, bytes } => {
                    data = Some(ObjectData::Counter(Counter {
                        packets: packets.value(),
                        bytes: bytes.value(),
                    }));
                }
                ast::ObjectItem::Quota(q) => {
                    let m = super::stmt::bytes;
                    data = Some(ObjectData::Quota(Quota {
                        bytes: m(&q.amount)?,
                        consumed: q.used.as_ref().map(m).transpose()?.unwrap_or(0),
                        flags: u32::from(q.mode == Some(ast::RateMode::Over)),
                    }));
                }
                ast::ObjectItem::Limit(l) => {
                    let (rate, unit, burst, bytes, over) = limit_args(l)?;
                    data = Some(ObjectData::Limit(Limit {
                        rate,
                        unit,
                        burst,
                        kind: if bytes {
                            LimitKind::Bytes
                        } else {
                            LimitKind::Packets
                        },
                        flags: u32::from(over),
                    }));
                }
                ast::ObjectItem::Secmark(s) => data = Some(ObjectData::Secmark(s.text.clone())),
                ast::ObjectItem::Synproxy {
                    mss,
                    wscale,
                    timestamp,
                    sack_perm,
                } => {
                    let mut fl = 1 | 2;
                    if *timestamp {
                        fl |= 4;
                    }
                    if *sack_perm {
                        fl |= 8;
                    }
                    data = Some(ObjectData::Synproxy(Synproxy {
                        mss: Some(mss.value() as u16),
                        wscale: Some(wscale.value() as u8),
                        flags: Some(fl),
                    }));
                }
                ast::ObjectItem::CtHelperType { name, protocol } => {
                    helper.name = name.text.clone();
                    helper.l4proto = if protocol.name == "udp" { 17 } else { 6 };
                }
                ast::ObjectItem::L3Proto(f, _) => {
                    let n = u16::from(family_of(Some(*f)).number());
                    helper.l3proto = Some(n);
                    expect.l3proto = Some(n);
                }
                ast::ObjectItem::Protocol(p) => {
                    expect.l4proto = if p.name == "udp" { 17 } else { 6 };
                }
                ast::ObjectItem::Dport(n) => expect.dport = n.value() as u16,
                ast::ObjectItem::Timeout(t) => {
                    expect.timeout = super::eval::time_ms(t)? as u32;
                }
                ast::ObjectItem::Size(n) => expect.size = n.value() as u8,
                ast::ObjectItem::TimeoutPolicy(p) => policy.extend(p.iter().cloned()),
                ast::ObjectItem::Directive(_) => {}
            }
        }
        let data = match kind {
            ast::ObjectKind::CtHelper => ObjectData::CtHelper(helper),
            ast::ObjectKind::CtExpectation => {
                if expect.l4proto == 0
                    || expect.dport == 0
                    || expect.timeout == 0
                    || expect.size == 0
                {
                    return err(span, "missing options");
                }
                ObjectData::CtExpectation(expect)
            }
            ast::ObjectKind::CtTimeout => {
                ObjectData::CtTimeout(ct_timeout(expect.l4proto, helper.l3proto, &policy, span)?)
            }
            ast::ObjectKind::Counter => data.unwrap_or(ObjectData::Counter(Counter {
                packets: 0,
                bytes: 0,
            })),
            _ => match data {
                Some(d) => d,
                None => {
                    return err(
                        span,
                        format!("{} object without configuration", kind.keyword()),
                    );
                }
            },
        };
        let mut obj = Object::new(name, data);
        if let Some(c) = comment {
            obj.userdata
                .set_comment(Some(&c))
                .map_err(|e| Diagnostic::error(span, e.to_string()))?;
        }
        let ty = obj.kind().number();
        if let Some(t) = self.cache.table_mut(family.number(), table)
            && !t.objs.iter().any(|(k, n)| *k == ty && n == name)
        {
            t.objs.push((ty, name.to_string()));
        }
        self.push(
            Pending::Object {
                family,
                table: table.to_string(),
                obj,
                excl,
            },
            span,
        );
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // delete and flush

    fn delete(&mut self, verb: Verb, kind: &CommandKind, span: Span) -> R<()> {
        let destroy = verb == Verb::Destroy;
        let msg = match kind {
            CommandKind::Table { table, .. } => {
                let (family, name) = match table {
                    ast::TableSel::Name(t) => (family_of(t.family), t.name.name.clone()),
                    ast::TableSel::Handle { family, handle } => {
                        let m = codec::del_by_handle(
                            family_of(*family),
                            codec::HandleOf::Table,
                            handle.value(),
                            destroy,
                        );
                        return self.push_delete(m, span);
                    }
                };
                let f = family.number();
                self.cache
                    .tables
                    .retain(|t| !(t.family == f && t.name == name));
                codec::del_table(family, &name, destroy)
            }
            CommandKind::Chain { chain, .. } => match chain {
                ast::ObjSel::Name(q) => {
                    let family = family_of(q.table.family);
                    codec::del_chain(family, &q.table.name.name, &q.name.name, destroy)
                }
                ast::ObjSel::Handle { table, handle } => codec::del_by_handle(
                    family_of(table.family),
                    codec::HandleOf::Chain(&table.name.name),
                    handle.value(),
                    destroy,
                ),
            },
            CommandKind::Rule {
                chain,
                position: Some(ast::RulePosition::Handle(h)),
                rule: None,
                ..
            } => codec::del_rule(
                family_of(chain.table.family),
                &chain.table.name.name,
                &chain.name.name,
                h.value(),
                destroy,
            ),
            CommandKind::Set { set, .. } => match set {
                ast::ObjSel::Name(q) => {
                    let family = family_of(q.table.family);
                    codec::del_set(family, &q.table.name.name, &q.name.name, destroy)
                }
                ast::ObjSel::Handle { table, handle } => codec::del_by_handle(
                    family_of(table.family),
                    codec::HandleOf::Set(&table.name.name),
                    handle.value(),
                    destroy,
                ),
            },
            CommandKind::Flowtable { flowtable, .. } => match flowtable {
                ast::ObjSel::Name(q) => codec::del_flowtable(
                    family_of(q.table.family),
                    &q.table.name.name,
                    &q.name.name,
                    destroy,
                ),
                ast::ObjSel::Handle { table, handle } => codec::del_by_handle(
                    family_of(table.family),
                    codec::HandleOf::Flowtable(&table.name.name),
                    handle.value(),
                    destroy,
                ),
            },
            CommandKind::Object { kind, object, .. } => match object {
                ast::ObjSel::Name(q) => {
                    let ty = object_type(*kind);
                    codec::del_object(
                        family_of(q.table.family),
                        &q.table.name.name,
                        crate::netfilter::obj::ObjectType::from_number(ty),
                        &q.name.name,
                        destroy,
                    )
                }
                ast::ObjSel::Handle { table, handle } => codec::del_by_handle(
                    family_of(table.family),
                    codec::HandleOf::Object(
                        &table.name.name,
                        crate::netfilter::obj::ObjectType::from_number(object_type(*kind)),
                    ),
                    handle.value(),
                    destroy,
                ),
            },
            _ => return unsupported(span, "this delete command"),
        };
        self.push_delete(msg, span)
    }

    fn push_delete(&mut self, msg: crate::Result<NftMessage>, span: Span) -> R<()> {
        let msg = msg.map_err(|e| Diagnostic::error(span, e.to_string()))?;
        self.push(Pending::Raw(msg), span);
        Ok(())
    }

    fn flush(&mut self, kind: &CommandKind, span: Span) -> R<()> {
        let msg = match kind {
            CommandKind::Table {
                table: ast::TableSel::Name(t),
                ..
            } => codec::flush_table(family_of(t.family), &t.name.name),
            CommandKind::Chain {
                chain: ast::ObjSel::Name(q),
                ..
            } => codec::flush_chain(family_of(q.table.family), &q.table.name.name, &q.name.name),
            CommandKind::Set {
                set: ast::ObjSel::Name(q),
                ..
            } => codec::flush_set(family_of(q.table.family), &q.table.name.name, &q.name.name),
            _ => return unsupported(span, "this flush command"),
        };
        let msg = msg.map_err(|e| Diagnostic::error(span, e.to_string()))?;
        self.push(Pending::Raw(msg), span);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // messages

    fn build(&mut self) -> R<Vec<Msg>> {
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        for op in pending {
            let span = op.span;
            let m = |r: crate::Result<NftMessage>| {
                r.map_err(|e| Diagnostic::error(span, e.to_string()))
            };
            match op.p {
                Pending::FlushRuleset(f) => out.push(Msg {
                    msg: m(codec::flush_ruleset(f))?,
                    span,
                }),
                Pending::Table {
                    family,
                    name,
                    flags: fl,
                    comment,
                    has_body,
                    excl,
                } => {
                    let mut t = Table::new(family, &name, TableLifetime::Persistent)
                        .map_err(|e| Diagnostic::error(span, e.to_string()))?;
                    t.set_flags(fl);
                    if let Some(c) = comment {
                        t.set_comment(Some(&c))
                            .map_err(|e| Diagnostic::error(span, e.to_string()))?;
                    }
                    let _ = has_body;
                    let f = if excl { flags::EXCL } else { 0 };
                    out.push(Msg {
                        msg: m(codec::new_table(&t, f))?,
                        span,
                    });
                }
                Pending::Chain {
                    family,
                    table,
                    chain,
                    excl,
                } => {
                    let f = flags::CREATE | if excl { flags::EXCL } else { 0 };
                    out.push(Msg {
                        msg: m(codec::new_chain(family, &table, &chain, f, None))?,
                        span,
                    });
                }
                Pending::Object {
                    family,
                    table,
                    obj,
                    excl,
                } => {
                    let f = flags::CREATE | if excl { flags::EXCL } else { 0 };
                    out.push(Msg {
                        msg: m(codec::new_object(family, &table, &obj, f))?,
                        span,
                    });
                }
                Pending::Flowtable {
                    family,
                    table,
                    ft,
                    excl,
                } => {
                    let f = flags::CREATE | if excl { flags::EXCL } else { 0 };
                    out.push(Msg {
                        msg: m(codec::new_flowtable(family, &table, &ft, f))?,
                        span,
                    });
                }
                Pending::Set { set, excl } => {
                    self.set_msgs(set, excl, span, &mut out)?;
                }
                Pending::Rule {
                    family,
                    table,
                    chain,
                    stmts,
                    anon,
                    comment,
                    place,
                } => {
                    for a in anon {
                        self.set_msgs(a, false, span, &mut out)?;
                    }
                    let exprs = lower::rule(&self.cache, &stmts)?;
                    let mut r = Rule::new(exprs);
                    if let Some(c) = comment {
                        r.userdata
                            .set_comment(Some(&c))
                            .map_err(|e| Diagnostic::error(span, e.to_string()))?;
                    }
                    out.push(Msg {
                        msg: m(codec::new_rule(family, &table, &chain, &r, place))?,
                        span,
                    });
                }
                Pending::Elements {
                    set,
                    mut elems,
                    op,
                    excl,
                } => {
                    let s = &self.cache.sets[set];
                    let family = Family::from_number(s.family).unwrap_or(Family::Ip);
                    let items = match &mut elems.k {
                        K::Set { items, .. } => items,
                        _ => return err(span, "elements are not a set expression"),
                    };
                    if s.flags & SET_INTERVAL != 0 && s.flags & SET_CONCAT == 0 && op == ElemOp::Add
                    {
                        let key = s.key.clone().unwrap_or_else(|| E::new(K::Catchall, span));
                        let first = s.init.as_ref().is_none_or(|i| match &i.k {
                            K::Set { items, .. } => items.is_empty(),
                            _ => true,
                        }) && s.kernel_ranges.is_empty();
                        intervals::to_intervals(items, key.len, key.bo, key.dt, false, first);
                    }
                    let mut raw = Vec::new();
                    for i in items.iter() {
                        raw.push(lower::raw_element(i, s.flags, s.is_objmap(), &self.cache)?);
                    }
                    let name = s.name.clone();
                    let table = s.table.clone();
                    let id = if s.in_kernel { None } else { Some(s.id) };
                    let msgs = codec::set_elements(op, family, &table, &name, id, &raw)
                        .map_err(|e| Diagnostic::error(span, e.to_string()))?;
                    for msg in msgs {
                        let msg = if excl {
                            with_flags(msg, flags::EXCL)
                        } else {
                            msg
                        };
                        out.push(Msg { msg, span });
                    }
                }
                Pending::Raw(msg) => out.push(Msg { msg, span }),
            }
        }
        Ok(out)
    }

    /// NEWSET plus its initial elements (`mnl_nft_set_add`, `do_add_setelems`).
    fn set_msgs(&mut self, idx: usize, excl: bool, span: Span, out: &mut Vec<Msg>) -> R<()> {
        let s = self.cache.sets[idx].clone();
        let family = Family::from_number(s.family).unwrap_or(Family::Ip);
        let key = s
            .key
            .clone()
            .ok_or_else(|| Diagnostic::error(span, "set without key"))?;
        let mut items: Vec<E> = match &s.init {
            Some(E {
                k: K::Set { items, .. },
                ..
            }) => items.clone(),
            _ => Vec::new(),
        };
        let mut init_size = match &s.init {
            Some(E {
                k: K::Set { size, .. },
                ..
            }) => *size,
            _ => 0,
        };
        let non_concat_range = s.flags & SET_INTERVAL != 0 && s.flags & SET_CONCAT == 0;
        if s.init.is_some() && non_concat_range {
            init_size += intervals::to_intervals(
                &mut items,
                key.len,
                key.bo,
                key.dt,
                s.is_anonymous(),
                true,
            );
        }
        let mut set = Set::new(
            s.name.clone(),
            SetKey {
                fields: key_fields(&key),
                type_id: kernel_type(&key.dt),
                len: key.len.div_ceil(8),
            },
        );
        set.flags = SetFlags::from_bits_retain(s.flags);
        set.id = Some(s.id);
        if let Some(d) = &s.data {
            if s.is_objmap() {
                set.data = Some(SetData::Object(
                    crate::netfilter::obj::ObjectType::from_number(s.objtype),
                ));
            } else if d.dt.ty == TYPE_VERDICT {
                set.data = Some(SetData::Verdict {
                    len: d.len.div_ceil(8),
                });
            } else {
                set.data = Some(SetData::Value(SetKey {
                    fields: key_fields(d),
                    type_id: kernel_type(&d.dt),
                    len: d.len.div_ceil(8),
                }));
            }
        }
        if s.timeout != 0 {
            set.timeout = Some(s.timeout);
        }
        if s.gc_int != 0 {
            set.gc_interval = Some(s.gc_int);
        }
        if s.flags & SET_CONSTANT == 0 {
            if let Some(p) = s.policy
                && p != 0
            {
                set.policy = Some(crate::netfilter::set::SetPolicy::Memory);
            }
            if s.size != 0 {
                set.size = Some(s.size);
            }
        } else if s.init.is_some() {
            set.size = Some(init_size);
        }
        if !s.field_len.is_empty() {
            set.key.fields = s
                .field_len
                .iter()
                .zip(key_fields(&key))
                .map(|(l, f)| Field::with_len(f.ty, *l))
                .collect();
        }
        set.userdata = set_udata(&s, &key);
        let mut exprs = Vec::new();
        for st in &s.stmts {
            exprs.push(lower::stateful(st)?);
        }
        set.exprs = exprs;
        let f = flags::CREATE | if excl { flags::EXCL } else { 0 };
        let msg = codec::new_set(family, &s.table, &set, f)
            .map_err(|e| Diagnostic::error(span, e.to_string()))?;
        out.push(Msg { msg, span: s.span });
        if s.init.is_some() {
            let mut raw: Vec<RawElement> = Vec::new();
            for i in &items {
                raw.push(lower::raw_element(i, s.flags, s.is_objmap(), &self.cache)?);
            }
            let msgs =
                codec::set_elements(ElemOp::Add, family, &s.table, &s.name, Some(s.id), &raw)
                    .map_err(|e| Diagnostic::error(span, e.to_string()))?;
            for msg in msgs {
                out.push(Msg { msg, span: s.span });
            }
        }
        Ok(())
    }
}

impl Ev<'_> {
    /// Evaluates set elements in the context of set `idx`.
    pub(crate) fn set_ctx_for(&mut self, idx: usize) {
        self.set_set_ctx(Some(idx));
    }
}

/// Decodes batch messages into the ruleset they create on an empty kernel. Anonymous sets keep
/// nft's `__set%d` names (the kernel numbers them).
pub(crate) fn messages_to_ruleset(msgs: &[NftMessage]) -> crate::Result<Ruleset> {
    use crate::netfilter::codec::Decoded;
    let mut rs = Ruleset::default();
    let find = |rs: &mut Ruleset, f: Family, t: &str| -> Option<usize> {
        rs.tables.iter().position(|x| x.family == f && x.name == t)
    };
    for m in msgs {
        let cmd = (m.msg_type() & 0xff) as u8;
        match codec::decode(&m.as_msg())? {
            Decoded::Table(t) if find(&mut rs, t.family, &t.name).is_none() => {
                rs.tables.push(t);
            }
            Decoded::Chain {
                family,
                table,
                chain,
            } if cmd == codec::NFT_MSG_NEWCHAIN => {
                if let Some(i) = find(&mut rs, family, &table)
                    && !rs.tables[i].chains.iter().any(|c| c.name == chain.name)
                {
                    rs.tables[i].chains.push(chain);
                }
            }
            Decoded::Rule {
                family,
                table,
                chain,
                rule,
            } if cmd == codec::NFT_MSG_NEWRULE => {
                if let Some(i) = find(&mut rs, family, &table)
                    && let Some(c) = rs.tables[i].chains.iter_mut().find(|c| c.name == chain)
                {
                    c.rules.push(rule);
                }
            }
            Decoded::Set { family, table, set } if cmd == codec::NFT_MSG_NEWSET => {
                if let Some(i) = find(&mut rs, family, &table) {
                    rs.tables[i].sets.push(set);
                }
            }
            Decoded::Elements {
                family,
                table,
                set,
                set_id,
                elements,
            } if cmd == codec::NFT_MSG_NEWSETELEM => {
                if let Some(i) = find(&mut rs, family, &table) {
                    let t = &mut rs.tables[i];
                    let pos = match set_id {
                        Some(id) => t.sets.iter().rposition(|s| s.id == Some(id)),
                        None => t.sets.iter().rposition(|s| s.name == set),
                    };
                    if let Some(p) = pos {
                        let typed = t.sets[p].decode_elements(&elements)?;
                        t.sets[p].elements.extend(typed);
                    }
                }
            }
            Decoded::Object {
                family,
                table,
                object,
            } if cmd == codec::NFT_MSG_NEWOBJ => {
                if let Some(i) = find(&mut rs, family, &table) {
                    rs.tables[i].objects.push(object);
                }
            }
            Decoded::Flowtable {
                family,
                table,
                flowtable,
            } if cmd == codec::NFT_MSG_NEWFLOWTABLE => {
                if let Some(i) = find(&mut rs, family, &table) {
                    rs.tables[i].flowtables.push(flowtable);
                }
            }
            _ => {}
        }
    }
    Ok(rs)
}

fn with_flags(m: NftMessage, extra: u16) -> NftMessage {
    codec::add_flags(m, extra)
}

/// `dtype_map_to_kernel`.
fn kernel_type(dt: &Dt) -> u32 {
    if dt.ty == TYPE_VERDICT {
        crate::netfilter::set::NFT_DATA_VERDICT
    } else {
        dt.ty
    }
}

fn key_fields(k: &E) -> Vec<Field> {
    match &k.k {
        K::Concat { items, .. } => items
            .iter()
            .map(|i| Field::with_len(DataType(i.dt.ty), i.len.div_ceil(8)))
            .collect(),
        _ => {
            if k.dt.is_concat() {
                concat_subtypes(k.dt.ty)
                    .into_iter()
                    .map(|t| Field::with_len(DataType(t), Dt::of(t).size.div_ceil(8)))
                    .collect()
            } else {
                vec![Field::with_len(DataType(k.dt.ty), k.len.div_ceil(8))]
            }
        }
    }
}

/// Appends a libnftnl userdata TLV.
fn tlv(buf: &mut Vec<u8>, ty: u8, v: &[u8]) {
    buf.push(ty);
    buf.push(v.len() as u8);
    buf.extend_from_slice(v);
}

/// True when nft's expression kind has a `build_udata` operation.
fn has_udata(e: &E) -> bool {
    matches!(
        e.k,
        K::Payload { .. }
            | K::Meta { .. }
            | K::Ct { .. }
            | K::Verdict { .. }
            | K::Concat { .. }
            | K::Fib { .. }
            | K::Rt { .. }
            | K::Socket { .. }
            | K::Numgen { .. }
            | K::Hash { .. }
            | K::Osf { .. }
            | K::Xfrm { .. }
            | K::Exthdr { .. }
    )
}

/// nft's `build_udata` of an expression into `b`; false where nft's returns an error (the
/// bytes written so far stay, as in nft).
fn build_udata(e: &E, b: &mut Vec<u8>) -> bool {
    match &e.k {
        K::Payload {
            p,
            tmpl,
            base,
            offset,
            ..
        } => {
            let id = *p as u32;
            let id = if id >= 100 { 0 } else { id };
            tlv(b, 0, &id.to_ne_bytes());
            let ty = if id == 0 { 0u32 } else { *tmpl as u32 };
            tlv(b, 1, &ty.to_ne_bytes());
            if id == 0 {
                tlv(b, 2, &u32::from(*base).to_ne_bytes());
                tlv(b, 3, &offset.to_ne_bytes());
            }
            if e.dt.ty == TYPE_INTEGER {
                tlv(b, 4, &e.len.to_ne_bytes());
            }
        }
        K::Meta { key, .. } => tlv(b, 0, &key.to_ne_bytes()),
        K::Ct { key, dir, .. } => {
            tlv(b, 0, &key.to_ne_bytes());
            tlv(b, 1, &(i32::from(*dir) as u32).to_ne_bytes());
        }
        K::Verdict { .. } => {}
        K::Concat { items, .. } => {
            for (n, i) in items.iter().enumerate() {
                let inner = match &i.k {
                    K::Binop { l, .. } => l,
                    _ => i,
                };
                if !has_udata(inner) || n >= 16 {
                    return false;
                }
                let mut d = Vec::new();
                let ok = build_udata(inner, &mut d);
                let mut nest = Vec::new();
                tlv(&mut nest, 0, &inner.etype().to_ne_bytes());
                tlv(&mut nest, 1, &d);
                if !ok {
                    // nft returns with both nests left open: their bytes are in the buffer
                    // but the enclosing lengths never cover them; keep what nft keeps.
                    return false;
                }
                tlv(b, n as u8, &nest);
            }
        }
        K::Fib { result, flags } => {
            tlv(b, 0, &result.to_ne_bytes());
            tlv(b, 1, &flags.to_ne_bytes());
        }
        K::Rt { key } => tlv(b, 0, &key.to_ne_bytes()),
        K::Exthdr { .. } => super::exthdr::build_udata(e, &mut |t, v| tlv(b, t, v)),
        K::Osf { .. } => {}
        K::Xfrm { key, dir, spnum } => {
            tlv(b, 0, &key.to_ne_bytes());
            tlv(b, 1, &spnum.to_ne_bytes());
            tlv(b, 2, &u32::from(*dir).to_ne_bytes());
        }
        K::Socket { key, .. } => tlv(b, 0, &key.to_ne_bytes()),
        K::Numgen {
            kind,
            modulus,
            offset,
        } => {
            tlv(b, 0, &kind.to_ne_bytes());
            tlv(b, 1, &modulus.to_ne_bytes());
            tlv(b, 2, &offset.to_ne_bytes());
        }
        K::Hash {
            kind,
            modulus,
            seed,
            offset,
            ..
        } => {
            tlv(b, 0, &kind.to_ne_bytes());
            tlv(b, 1, &offset.to_ne_bytes());
            tlv(b, 2, &modulus.to_ne_bytes());
            tlv(b, 3, &seed.unwrap_or(0).to_ne_bytes());
            tlv(b, 4, &u32::from(seed.is_some()).to_ne_bytes());
        }
        _ => return false,
    }
    true
}

/// `set_key_expression`: the typeof nest of a key or data expression.
fn typeof_nest(b: &mut Vec<u8>, ty: u8, e: &E) {
    if !has_udata(e) {
        return;
    }
    let mut d = Vec::new();
    let _ = build_udata(e, &mut d);
    let mut nest = Vec::new();
    tlv(&mut nest, 0, &e.etype().to_ne_bytes());
    tlv(&mut nest, 1, &d);
    tlv(b, ty, &nest);
}

/// The set userdata nft writes (`mnl_nft_set_add`).
fn set_udata(s: &SetDef, key: &E) -> Userdata {
    let mut b = Vec::new();
    tlv(&mut b, 0, &key.bo.udata().to_ne_bytes());
    if s.is_datamap()
        && let Some(d) = &s.data
    {
        tlv(&mut b, 1, &d.bo.udata().to_ne_bytes());
    }
    if s.automerge {
        tlv(&mut b, 2, &1u32.to_ne_bytes());
    }
    typeof_nest(&mut b, 3, key);
    if let Some(d) = &s.data {
        typeof_nest(&mut b, 4, d);
        tlv(
            &mut b,
            6,
            &u32::from(d.flags & F_INTERVAL != 0).to_ne_bytes(),
        );
    }
    if let Some(c) = &s.comment {
        let mut v = c.as_bytes().to_vec();
        v.push(0);
        tlv(&mut b, 7, &v);
    }
    Userdata::from_bytes(b)
}

/// The key of a `type a . b` declaration (`data_type_expr`).
fn type_key(types: &[ast::Ident], span: Span) -> R<E> {
    let mut parts = Vec::new();
    for t in types {
        let Some(info) = lookup_by_name(&t.name) else {
            return err(t.span, format!("unknown datatype {}", t.name));
        };
        let dt = Dt::of(info.id);
        parts.push(E::value(0, dt, dt.bo, dt.size, t.span));
    }
    concat_key(parts, span)
}

/// The key (or map data) of a `typeof a . b` declaration: the selectors as nft's parser
/// allocates them (datatype, length and byte order of their templates), concatenated.
fn typeof_key(exprs: &[ast::Expr], span: Span) -> R<E> {
    let mut parts = Vec::new();
    for x in exprs {
        let e = from_ast(x)?;
        if !has_udata(&e) {
            return err(
                x.span,
                format!(
                    "primary expression type '{}' lacks typeof serialization",
                    e.name()
                ),
            );
        }
        parts.push(e);
    }
    concat_key(parts, span)
}

/// One key expression, or the concatenation of several (`set_expr_evaluate_concat`).
fn concat_key(mut parts: Vec<E>, span: Span) -> R<E> {
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let mut ntype = 0;
    let mut size = 0;
    let mut field_len = Vec::new();
    for p in &mut parts {
        if matches!(p.k, K::Payload { .. }) && p.dt.ty == TYPE_INTEGER {
            p.dt = Dt {
                ty: TYPE_INTEGER,
                size: p.len,
                bo: p.bo,
            };
        }
        if p.dt.size == 0 && p.len == 0 {
            return err(
                p.span,
                format!(
                    "can not use variable sized data types ({}) in concat expressions",
                    p.dt.name()
                ),
            );
        }
        ntype = concat_add(ntype, p.dt.ty);
        field_len.push(p.len.div_ceil(8));
        size += padded(p.len);
    }
    let mut e = E::new(
        K::Concat {
            items: parts,
            field_len,
        },
        span,
    );
    e.dt = Dt {
        ty: ntype,
        size,
        bo: Bo::Invalid,
    };
    e.len = size;
    e.flags = F_CONSTANT | F_SINGLETON;
    Ok(e)
}

/// nft's conntrack timeout states per layer-4 protocol, in `CTA_TIMEOUT_*` attribute order
/// (attribute = index + 1), with the defaults (seconds) nft sends for states the policy leaves
/// out.
pub(crate) fn timeout_states(l4proto: u8) -> Option<&'static [(&'static str, u32)]> {
    const TCP: &[(&str, u32)] = &[
        ("syn_sent", 120),
        ("syn_recv", 60),
        ("established", 432_000),
        ("fin_wait", 120),
        ("close_wait", 60),
        ("last_ack", 30),
        ("time_wait", 120),
        ("close", 10),
        ("syn_sent2", 120),
        ("retrans", 300),
        ("unack", 300),
    ];
    const UDP: &[(&str, u32)] = &[("unreplied", 30), ("replied", 120)];
    match l4proto {
        6 => Some(TCP),
        17 => Some(UDP),
        _ => None,
    }
}

/// A `ct timeout` object: every state of the protocol, the policy's values over nft's defaults.
fn ct_timeout(
    l4proto: u8,
    l3proto: Option<u16>,
    policy: &[(ast::Ident, ast::Num)],
    span: Span,
) -> R<crate::netfilter::obj::CtTimeout> {
    let Some(states) = timeout_states(l4proto) else {
        return unsupported(
            span,
            "ct timeout objects for protocols other than tcp and udp",
        );
    };
    let mut values: Vec<u32> = states.iter().map(|(_, d)| *d).collect();
    for (state, n) in policy {
        let Some(i) = states.iter().position(|(name, _)| *name == state.name) else {
            return err(
                state.span,
                format!("Unknown state '{}' for this protocol", state.name),
            );
        };
        values[i] = u32::try_from(n.value())
            .map_err(|_| Diagnostic::error(n.span, "timeout value out of range"))?;
    }
    Ok(crate::netfilter::obj::CtTimeout {
        l3proto,
        l4proto,
        timeouts: values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u16 + 1, v))
            .collect(),
    })
}

/// `NFT_OBJECT_*` of an object kind.
fn object_type(kind: ast::ObjectKind) -> u32 {
    match kind {
        ast::ObjectKind::Counter => 1,
        ast::ObjectKind::Quota => 2,
        ast::ObjectKind::CtHelper => 3,
        ast::ObjectKind::Limit => 4,
        ast::ObjectKind::CtTimeout => 7,
        ast::ObjectKind::Secmark => 8,
        ast::ObjectKind::CtExpectation => 9,
        ast::ObjectKind::Synproxy => 10,
    }
}

fn table_name(t: &ast::TableSel) -> R<(Family, String)> {
    match t {
        ast::TableSel::Name(n) => Ok((family_of(n.family), n.name.name.clone())),
        ast::TableSel::Handle { handle, .. } => unsupported(handle.span, "tables by handle"),
    }
}

fn obj_name(o: &ast::ObjSel) -> R<(Family, String, String)> {
    match o {
        ast::ObjSel::Name(q) => Ok((
            family_of(q.table.family),
            q.table.name.name.clone(),
            q.name.name.clone(),
        )),
        ast::ObjSel::Handle { handle, .. } => unsupported(handle.span, "objects by handle"),
    }
}

fn hook_from_name(s: &str) -> Option<Hook> {
    Some(match s {
        "prerouting" => Hook::Prerouting,
        "input" => Hook::Input,
        "forward" => Hook::Forward,
        "output" => Hook::Output,
        "postrouting" => Hook::Postrouting,
        "ingress" => Hook::Ingress,
        "egress" => Hook::Egress,
        _ => return None,
    })
}

/// `evaluate_priority` with `std_prio_lookup`.
fn priority(family: Family, hook: Hook, p: &ast::Priority) -> R<i32> {
    let named = |name: &str| -> Option<i32> {
        let (hook_pre, hook_out, hook_post) = (
            hook == Hook::Prerouting,
            hook == Hook::Output,
            hook == Hook::Postrouting,
        );
        if family == Family::Bridge {
            return match name {
                "dstnat" if hook_pre => Some(-300),
                "filter" => Some(-200),
                "out" if hook_out => Some(100),
                "srcnat" if hook_post => Some(300),
                _ => None,
            };
        }
        let inet = matches!(family, Family::Inet | Family::Ip | Family::Ip6);
        match name {
            "filter" if inet || matches!(family, Family::Arp | Family::Netdev) => Some(0),
            "raw" if inet => Some(-300),
            "mangle" if inet => Some(-150),
            "security" if inet => Some(50),
            "dstnat" if inet && hook_pre => Some(-100),
            "srcnat" if inet && hook_post => Some(100),
            _ => None,
        }
    };
    let invalid =
        || Diagnostic::error(p.span, "invalid priority expression value in this context.");
    match &p.value {
        ast::PriorityValue::Number { negative, value } => {
            let v = value.value() as i64;
            let v = if *negative { -v } else { v };
            Ok(v as i32)
        }
        ast::PriorityValue::Named { name, offset } => {
            let base = named(&name.name).ok_or_else(invalid)?;
            Ok(match offset {
                None => base,
                Some((neg, n)) => {
                    let o = n.value() as i64;
                    (i64::from(base) + if *neg { -o } else { o }) as i32
                }
            })
        }
        ast::PriorityValue::Var(v) => {
            let Some(val) = v.value.as_deref().map(|e| e.resolved()) else {
                return Err(invalid());
            };
            match &val.kind {
                ExprKind::Number(n) => n.signed_value().map(|x| x as i32).ok_or_else(invalid),
                ExprKind::Symbol(s) | ExprKind::Quoted(s) => named(s).ok_or_else(invalid),
                _ => Err(invalid()),
            }
        }
    }
}

/// Device names of a hook (`evaluate_device_expr` reverses brace lists).
fn devices(d: &ast::DeviceSpec) -> R<Vec<String>> {
    let e = match d {
        ast::DeviceSpec::Device(e) | ast::DeviceSpec::Devices(e) => e.resolved(),
    };
    let one = |x: &ast::Expr| -> R<String> {
        match &x.resolved().kind {
            ExprKind::Symbol(s) | ExprKind::Quoted(s) => Ok(s.clone()),
            ExprKind::Number(n) => Ok(n.text.clone()),
            _ => err(x.span, "invalid device expression"),
        }
    };
    Ok(match &e.kind {
        ExprKind::Set(elems) => {
            let mut v: Vec<String> = Vec::new();
            for el in elems {
                v.push(one(&el.key)?);
            }
            v.reverse();
            v
        }
        ExprKind::List(items) => {
            let mut v: Vec<String> = Vec::new();
            for i in items {
                v.push(one(i)?);
            }
            v.reverse();
            v
        }
        _ => vec![one(e)?],
    })
}

/// The ranges of a kernel interval set's elements (for overlap checks).
fn kernel_ranges(s: &Set) -> Vec<(u128, u128)> {
    let mut v = Vec::new();
    let Ok(raw) = s.encode_elements(&s.elements, false) else {
        return v;
    };
    let mut starts: Vec<(Vec<u8>, bool)> = raw
        .iter()
        .filter_map(|r| r.key.clone().map(|k| (k, r.flags.unwrap_or(0) & 1 != 0)))
        .collect();
    starts.sort();
    let mut i = 0;
    while i < starts.len() {
        if starts[i].1 {
            i += 1;
            continue;
        }
        let lo = import(&starts[i].0, Bo::Big);
        let hi = match starts.get(i + 1) {
            Some((k, true)) => import(k, Bo::Big).wrapping_sub(1),
            Some((k, false)) => import(k, Bo::Big).wrapping_sub(1),
            None => bitmask((starts[i].0.len() * 8) as u32),
        };
        v.push((lo, hi));
        i += 1;
    }
    v
}
