//! A ruleset in nft's JSON schema (libnftables-json(5)): the document `nft -j list ruleset`
//! prints (NFT-31).
//!
//! Nothing is decompiled a second time. Rules and set elements go through the printer
//! ([`super::print`]), whose nft text of every rule is verified to compile back to the kernel's
//! expressions; that text is parsed again into the syntax tree ([`linx_nft_syntax::ast`]) and the
//! tree is written in the schema's shapes (`{"match": {"op", "left", "right"}}`, `{"payload":
//! {"protocol", "field"}}`, `{"set": [...]}`, …). Tables, chains, sets and objects come straight
//! from the model. A rule the printer cannot reproduce, or a construct this writer has no JSON
//! shape for, is reported in [`JsonPrinted::lossy`] (as the text printer reports its lossy rules).

use linx_nft_syntax::ast::{
    self, Burst, ExprKind, LogFlag, NatFlag, NatKind, Rate, RateMode, RejectWith, RelOp, StmtKind,
};
use serde_json::{Map, Value, json};

use super::dtype::{Dt, TYPE_BITMASK, TYPE_IFINDEX, TYPE_TIME};
use super::print::{self, PrintOptions};
use crate::netfilter::expr::{Expr as KExpr, LimitKind};
use crate::netfilter::obj::{Object, ObjectData, ObjectType};
use crate::netfilter::set::SetData;
use crate::netfilter::{Chain, ChainKind, Family, Policy, Ruleset, Set, Table};

/// The JSON objects of a listing and what could not be written faithfully.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonPrinted {
    /// The listed objects in nft's order (`{"table": …}`, `{"chain": …}`, `{"rule": …}`, …),
    /// without the leading `metainfo` object.
    pub objects: Vec<Value>,
    /// One entry per lossy item (`table inet t chain c rule 3: …`).
    pub lossy: Vec<String>,
}

impl JsonPrinted {
    fn extend(&mut self, other: JsonPrinted) {
        self.objects.extend(other.objects);
        self.lossy.extend(other.lossy);
    }

    /// The whole document, `{"nftables": [{"metainfo": …}, …]}`, as `nft -j list` prints it.
    ///
    /// ```
    /// let doc = linx::nft::JsonPrinted::default().document();
    /// assert_eq!(doc["nftables"][0]["metainfo"]["json_schema_version"], 1);
    /// ```
    pub fn document(&self) -> Value {
        let mut items = Vec::with_capacity(self.objects.len() + 1);
        items.push(metainfo());
        items.extend(self.objects.iter().cloned());
        let mut root = Map::new();
        root.insert("nftables".into(), Value::Array(items));
        Value::Object(root)
    }

    /// [`document`](Self::document) as compact JSON text, written straight from the objects
    /// (no copy of the document is built; on a large ruleset that is most of the time).
    ///
    /// ```
    /// let text = linx::nft::JsonPrinted::default().document_string();
    /// assert!(text.starts_with(r#"{"nftables":[{"metainfo":"#));
    /// ```
    pub fn document_string(&self) -> String {
        // Serializing a `Value` tree cannot fail (string keys only).
        serde_json::to_string(&Document(self)).unwrap_or_default()
    }
}

fn metainfo() -> Value {
    json!({"metainfo": {
        "version": env!("CARGO_PKG_VERSION"),
        "release_name": "linx",
        "json_schema_version": 1,
    }})
}

/// `{"nftables": [metainfo, objects…]}` over borrowed objects.
struct Document<'a>(&'a JsonPrinted);

impl serde::Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("nftables", &Items(self.0))?;
        m.end()
    }
}

struct Items<'a>(&'a JsonPrinted);

impl serde::Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(std::iter::once(&metainfo()).chain(&self.0.objects))
    }
}

/// The ruleset as `nft -j list ruleset` lists it: per table the table, its objects, its named
/// sets and maps, its chains, then the rules of every chain.
///
/// ```
/// use linx::netfilter::{Family, Ruleset, Table, TableLifetime};
/// let mut rs = Ruleset::new();
/// rs.tables.push(Table::new(Family::Inet, "t", TableLifetime::Persistent).unwrap());
/// let j = linx::nft::print_json(&rs, &Default::default());
/// assert_eq!(j.objects[0]["table"]["name"], "t");
/// ```
pub fn print_json(rs: &Ruleset, opts: &PrintOptions) -> JsonPrinted {
    let mut out = JsonPrinted::default();
    for t in &rs.tables {
        out.extend(table_json(t, opts));
    }
    out
}

/// The table objects only, as `nft -j list tables`.
///
/// ```
/// use linx::netfilter::{Family, Ruleset, Table, TableLifetime};
/// let mut rs = Ruleset::new();
/// rs.tables.push(Table::new(Family::Ip, "a", TableLifetime::Persistent).unwrap());
/// let j = linx::nft::tables_json(&rs);
/// assert_eq!(j.objects.len(), 1);
/// ```
pub fn tables_json(rs: &Ruleset) -> JsonPrinted {
    JsonPrinted {
        objects: rs.tables.iter().map(table_object).collect(),
        lossy: Vec::new(),
    }
}

/// One table of `rs` as `nft -j list table FAMILY NAME`.
pub fn table_json(t: &Table, opts: &PrintOptions) -> JsonPrinted {
    let mut out = JsonPrinted {
        objects: vec![table_object(t)],
        lossy: Vec::new(),
    };
    for o in &t.objects {
        match object_json(t, o) {
            Ok(v) => out.objects.push(v),
            Err(why) => out.lossy.push(format!(
                "table {} {} object {}: {why}",
                t.family.name(),
                t.name,
                o.name
            )),
        }
    }
    for s in &t.sets {
        if !print::is_anon(&s.name) && !print::is_meter(s) {
            let (v, lossy) = set_object(t, s, opts);
            out.objects.push(v);
            out.lossy.extend(lossy);
        }
    }
    for f in &t.flowtables {
        let mut m = object_head(t, &f.name, f.handle);
        m.insert("hook".into(), "ingress".into());
        m.insert("prio".into(), f.priority.into());
        m.insert("dev".into(), one_or_many(f.devices.iter().cloned()));
        out.objects.push(json!({ "flowtable": m }));
    }
    for c in &t.chains {
        out.objects.push(chain_object(t, c));
    }
    for c in &t.chains {
        out.extend(rules_json(t, c, opts));
    }
    out
}

/// One chain and its rules, as `nft -j list chain FAMILY TABLE NAME`.
pub fn chain_json(t: &Table, c: &Chain, opts: &PrintOptions) -> JsonPrinted {
    let mut out = JsonPrinted {
        objects: vec![chain_object(t, c)],
        lossy: Vec::new(),
    };
    out.extend(rules_json(t, c, opts));
    out
}

/// One named set or map, as `nft -j list set FAMILY TABLE NAME`.
pub fn set_json(t: &Table, s: &Set, opts: &PrintOptions) -> JsonPrinted {
    let (v, lossy) = set_object(t, s, opts);
    JsonPrinted {
        objects: vec![v],
        lossy,
    }
}

/// The fields naming an object of table `t`: family, table, name and handle.
fn object_head(t: &Table, name: &str, handle: Option<u64>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("family".into(), t.family.name().into());
    m.insert("table".into(), t.name.clone().into());
    m.insert("name".into(), name.into());
    if let Some(h) = handle {
        m.insert("handle".into(), h.into());
    }
    m
}

fn table_object(t: &Table) -> Value {
    let mut m = Map::new();
    m.insert("family".into(), t.family.name().into());
    m.insert("name".into(), t.name.clone().into());
    if let Some(h) = t.handle {
        m.insert("handle".into(), h.into());
    }
    let mut flags = Vec::new();
    if t.dormant {
        flags.push("dormant".to_string());
    }
    if t.lifetime != crate::netfilter::TableLifetime::Persistent {
        flags.push("owner".to_string());
    }
    if !flags.is_empty() {
        m.insert("flags".into(), one_or_many(flags));
    }
    if let Some(c) = t.userdata.comment() {
        m.insert("comment".into(), c.into());
    }
    json!({ "table": m })
}

fn chain_object(t: &Table, c: &Chain) -> Value {
    let mut m = object_head(t, &c.name, c.handle);
    if let Some(cm) = c.userdata.comment() {
        m.insert("comment".into(), cm.into());
    }
    if let ChainKind::Base(b) = &c.kind {
        m.insert("type".into(), b.chain_type.name().into());
        m.insert("hook".into(), b.hook.name().into());
        m.insert("prio".into(), b.priority.into());
        let policy = if b.policy == Some(Policy::Drop) {
            "drop"
        } else {
            "accept"
        };
        m.insert("policy".into(), policy.into());
        // nft 1.0.6 lists no devices of a base chain in JSON.
    }
    json!({ "chain": m })
}

fn rules_json(t: &Table, c: &Chain, opts: &PrintOptions) -> JsonPrinted {
    let mut out = JsonPrinted::default();
    let ctx = print::verify_context(t);
    for (i, r) in c.rules.iter().enumerate() {
        let located = || {
            format!(
                "table {} {} chain {} rule {}",
                t.family.name(),
                t.name,
                c.name,
                i + 1
            )
        };
        let (text, tree, lossy) = match print::print_rule_parsed(r, t, &c.name, &ctx, opts) {
            Ok((text, tree)) => (text, tree, None),
            Err((text, why)) => (text, None, Some(why)),
        };
        let mut m = object_head(t, &c.name, r.handle);
        // A rule names its chain.
        if let Some(chain) = m.remove("name") {
            m.insert("chain".into(), chain);
        }
        let parsed = match tree {
            Some(rule) => Ok(rule),
            None => parse_rule(t, &c.name, &text),
        };
        if let Ok(rule) = &parsed
            && let Some(cm) = &rule.comment
        {
            m.insert("comment".into(), cm.text.clone().into());
        }
        let w = Writer { family: t.family };
        let exprs = parsed.and_then(|rule| {
            rule.stmts
                .iter()
                .map(|s| w.stmt(s))
                .collect::<Result<Vec<_>, _>>()
        });
        match (exprs, lossy) {
            (Ok(v), None) => {
                m.insert("expr".into(), Value::Array(v));
            }
            (Ok(v), Some(why)) => {
                m.insert("expr".into(), Value::Array(v));
                out.lossy.push(format!("{}: {why}", located()));
            }
            (Err(e), why) => {
                m.insert("expr".into(), Value::Array(Vec::new()));
                out.lossy
                    .push(format!("{}: {}", located(), why.unwrap_or(e)));
            }
        }
        out.objects.push(json!({ "rule": m }));
    }
    out
}

/// How printed text is parsed back: with extensions, since a pulled ruleset may hold what
/// nftables added after 1.0.6 (`last`).
fn printed_text() -> linx_nft_syntax::ParseOptions {
    linx_nft_syntax::ParseOptions { extensions: true }
}

/// The syntax tree of one printed rule.
fn parse_rule(t: &Table, chain: &str, text: &str) -> Result<ast::Rule, String> {
    let src = format!("add rule {} {} {chain} {text}\n", t.family.name(), t.name);
    let p =
        linx_nft_syntax::parse_str("rule.nft", &src, &printed_text()).map_err(|f| f.to_string())?;
    print::script_rule(p.script).ok_or_else(|| "printed rule did not parse as a rule".into())
}

/// The syntax tree of a printed element list `{ … }`.
fn parse_elements(t: &Table, set: &str, text: &str) -> Result<Vec<ast::SetElem>, String> {
    let src = format!("add element {} {} {set} {text}\n", t.family.name(), t.name);
    let p = linx_nft_syntax::parse_str("elements.nft", &src, &printed_text())
        .map_err(|f| f.to_string())?;
    for item in p.script.items {
        if let ast::TopItem::Command(ast::Command {
            kind: ast::CommandKind::Element { elements, .. },
            ..
        }) = item
            && let ExprKind::Set(elems) = elements.kind
        {
            return Ok(elems);
        }
    }
    Err("printed elements did not parse".into())
}

fn set_object(t: &Table, s: &Set, opts: &PrintOptions) -> (Value, Vec<String>) {
    let mut lossy = Vec::new();
    let mut m = object_head(t, &s.name, s.handle);
    let key_types: Vec<String> = if s.key.fields.len() > 1 {
        s.key
            .fields
            .iter()
            .map(|f| print::type_name(f.ty.0))
            .collect()
    } else {
        vec![print::type_name(s.key.type_id)]
    };
    m.insert("type".into(), one_or_many(key_types));
    match &s.data {
        None => {}
        Some(SetData::Verdict { .. }) => {
            m.insert("map".into(), "verdict".into());
        }
        Some(SetData::Object(o)) => {
            m.insert("map".into(), o.name().into());
        }
        Some(SetData::Value(k)) => {
            let name = if k.fields.len() > 1 {
                k.fields
                    .iter()
                    .map(|f| print::type_name(f.ty.0))
                    .collect::<Vec<_>>()
                    .join(" . ")
            } else {
                print::type_name(k.type_id)
            };
            m.insert("map".into(), name.into());
        }
    }
    if s.policy == Some(crate::netfilter::set::SetPolicy::Memory) {
        m.insert("policy".into(), "memory".into());
    }
    let f = s.flags.bits();
    let flags: Vec<Value> = [(0x2, "constant"), (0x4, "interval"), (0x10, "timeout")]
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| Value::from(*n))
        .collect();
    if !flags.is_empty() {
        m.insert("flags".into(), Value::Array(flags));
    }
    if let Some(to) = s.timeout {
        m.insert("timeout".into(), (to / 1000).into());
    }
    if let Some(g) = s.gc_interval {
        m.insert("gc-interval".into(), (u64::from(g) / 1000).into());
    }
    if f & 0x2 == 0
        && let Some(sz) = s.size
    {
        m.insert("size".into(), sz.into());
    }
    if let Some(c) = s.userdata.get(7) {
        let c: Vec<u8> = c.iter().copied().take_while(|x| *x != 0).collect();
        m.insert(
            "comment".into(),
            String::from_utf8_lossy(&c).into_owned().into(),
        );
    }
    let located = format!("table {} {} set {}", t.family.name(), t.name, s.name);
    if !s.elements.is_empty() {
        let text = print::fmt_elements(s, opts);
        let w = Writer { family: t.family };
        let elems = parse_elements(t, &s.name, &text).and_then(|elems| {
            elems
                .iter()
                .zip(&s.elements)
                .map(|(e, model)| {
                    let mut v = w.elem(e)?;
                    // The printer leaves out the (read-only) time left; nft lists it.
                    if let Some(exp) = model.expiration {
                        add_elem_field(&mut v, "expires", (exp / 1000).into());
                    }
                    Ok(v)
                })
                .collect::<Result<Vec<_>, String>>()
        });
        match elems {
            Ok(v) => {
                m.insert("elem".into(), Value::Array(v));
            }
            Err(why) => lossy.push(format!("{located}: elements: {why}")),
        }
    }
    // A set's statements are templates: nft lists a counter's without its values.
    let stmts: Vec<Value> = s
        .exprs
        .iter()
        .filter_map(|e| match e {
            KExpr::Counter(_) => Some(json!({"counter": null})),
            other => stateful_json(other),
        })
        .collect();
    if !stmts.is_empty() {
        m.insert("stmt".into(), Value::Array(stmts));
    }
    let kw = if s.data.is_some() { "map" } else { "set" };
    (json!({ kw: m }), lossy)
}

/// Adds `field` to an element's `{"elem": {"val": …}}` wrapper (creating it), or to the key of
/// a map element `[key, data]`.
fn add_elem_field(v: &mut Value, field: &str, x: Value) {
    if let Value::Array(pair) = v
        && let Some(k) = pair.first_mut()
    {
        add_elem_field(k, field, x);
        return;
    }
    if let Some(Value::Object(inner)) = v.get_mut("elem") {
        inner.insert(field.into(), x);
        return;
    }
    let val = v.take();
    *v = json!({"elem": {"val": val, field: x}});
}

/// A set's per-element stateful expression as a statement object.
fn stateful_json(e: &KExpr) -> Option<Value> {
    Some(match e {
        KExpr::Counter(c) => json!({"counter": {"packets": c.packets, "bytes": c.bytes}}),
        KExpr::Limit(l) => model_limit(l, true),
        KExpr::Quota(q) => {
            let (v, u) = byte_rate(q.bytes);
            let mut m = Map::new();
            m.insert("val".into(), v.into());
            m.insert("val_unit".into(), u.into());
            if q.flags & 1 != 0 {
                m.insert("inv".into(), true.into());
            }
            json!({ "quota": m })
        }
        KExpr::Connlimit(c) => {
            let mut m = Map::new();
            m.insert("val".into(), c.count.into());
            if c.flags & 1 != 0 {
                m.insert("inv".into(), true.into());
            }
            json!({ "ct count": m })
        }
        // A set's template: listed stateless.
        KExpr::Last(_) => json!({"last": null}),
        _ => return None,
    })
}

fn object_json(t: &Table, o: &Object) -> Result<Value, String> {
    let mut m = object_head(t, &o.name, o.handle);
    if let Some(c) = o.userdata.comment() {
        m.insert("comment".into(), c.into());
    }
    let proto = |p: u8| if p == 17 { "udp" } else { "tcp" };
    match &o.data {
        ObjectData::Counter(c) => {
            m.insert("packets".into(), c.packets.into());
            m.insert("bytes".into(), c.bytes.into());
        }
        ObjectData::Quota(q) => {
            m.insert("bytes".into(), q.bytes.into());
            m.insert("used".into(), q.consumed.into());
            m.insert("inv".into(), (q.flags & 1 != 0).into());
        }
        ObjectData::Limit(l) => {
            let v = model_limit(l, false);
            if let Some(Value::Object(fields)) = v.get("limit") {
                m.extend(fields.clone());
            }
        }
        ObjectData::CtHelper(h) => {
            m.insert("type".into(), h.name.clone().into());
            m.insert("protocol".into(), proto(h.l4proto).into());
            if let Some(l3) = h.l3proto {
                m.insert("l3proto".into(), print::l3_name(l3).into());
            }
        }
        ObjectData::CtExpectation(e) => {
            m.insert("protocol".into(), proto(e.l4proto).into());
            m.insert("dport".into(), e.dport.into());
            m.insert("timeout".into(), e.timeout.into());
            m.insert("size".into(), e.size.into());
            if let Some(l3) = e.l3proto {
                m.insert("l3proto".into(), print::l3_name(l3).into());
            }
        }
        ObjectData::CtTimeout(to) => {
            let Some(states) = super::program::timeout_states(to.l4proto) else {
                return Err(format!("ct timeout for protocol {}", to.l4proto));
            };
            m.insert("protocol".into(), proto(to.l4proto).into());
            if let Some(l3) = to.l3proto {
                m.insert("l3proto".into(), print::l3_name(l3).into());
            }
            // As nft lists it: only the states whose timeout differs from the default.
            let mut policy = Map::new();
            for (attr, secs) in &to.timeouts {
                if let Some((name, default)) = usize::from(*attr)
                    .checked_sub(1)
                    .and_then(|i| states.get(i))
                    && secs != default
                {
                    policy.insert((*name).into(), (*secs).into());
                }
            }
            if !policy.is_empty() {
                m.insert("policy".into(), Value::Object(policy));
            }
        }
        ObjectData::Secmark(s) => {
            m.insert("context".into(), s.clone().into());
        }
        ObjectData::Synproxy(sp) => {
            let fl = sp.flags.unwrap_or(0);
            m.insert("mss".into(), sp.mss.unwrap_or(0).into());
            m.insert("wscale".into(), sp.wscale.unwrap_or(0).into());
            let mut flags = Vec::new();
            if fl & 4 != 0 {
                flags.push("timestamp".to_string());
            }
            if fl & 8 != 0 {
                flags.push("sack-perm".to_string());
            }
            if !flags.is_empty() {
                m.insert("flags".into(), one_or_many(flags));
            }
        }
        _ => return Err(format!("{} objects have no JSON form here", o.kind())),
    }
    let kind = match o.kind() {
        ObjectType::Other(_) => "unknown",
        k => k.name(),
    };
    Ok(json!({ kind: m }))
}

/// A limit's fields (`{"limit": {"rate", "burst", "per", …}}`): byte rates in the largest unit
/// that divides them, `inv` only when set. A statement always lists its burst (with a unit for
/// byte rates), a named limit object only a non-zero one.
fn limit_value(rate: u64, unit: u64, burst: u64, bytes: bool, inv: bool, stmt: bool) -> Value {
    let mut m = Map::new();
    let per = match unit {
        60 => "minute",
        3600 => "hour",
        86400 => "day",
        604800 => "week",
        _ => "second",
    };
    let (rate, rate_unit) = if bytes { byte_rate(rate) } else { (rate, "") };
    m.insert("rate".into(), rate.into());
    m.insert("per".into(), per.into());
    if inv {
        m.insert("inv".into(), true.into());
    }
    if bytes {
        m.insert("rate_unit".into(), rate_unit.into());
    }
    if stmt || burst != 0 {
        if bytes {
            let (b, bu) = byte_rate(burst);
            m.insert("burst".into(), b.into());
            m.insert("burst_unit".into(), bu.into());
        } else {
            m.insert("burst".into(), burst.into());
        }
    }
    json!({ "limit": m })
}

/// A limit of the model (statement or named object) in JSON.
fn model_limit(l: &crate::netfilter::expr::Limit, stmt: bool) -> Value {
    let bytes = l.kind == LimitKind::Bytes;
    limit_value(
        l.rate,
        l.unit,
        u64::from(l.burst),
        bytes,
        l.flags & 1 != 0,
        stmt,
    )
}

/// A byte count in the largest of bytes, kbytes, mbytes that divides it.
fn byte_rate(n: u64) -> (u64, &'static str) {
    let mut v = n;
    for unit in ["bytes", "kbytes"] {
        if v == 0 || v % 1024 != 0 {
            return (v, unit);
        }
        v /= 1024;
    }
    (v, "mbytes")
}

/// One value as itself, several as an array (nft's convention for flag lists).
fn one_or_many<S: Into<Value>>(items: impl IntoIterator<Item = S>) -> Value {
    let mut v: Vec<Value> = items.into_iter().map(Into::into).collect();
    if v.len() == 1 {
        v.remove(0)
    } else {
        Value::Array(v)
    }
}

/// Writes syntax-tree statements and expressions in the JSON schema.
struct Writer {
    family: Family,
}

type R<T> = Result<T, String>;

fn num(n: &ast::Num) -> Value {
    match n.signed_value() {
        Some(v) if v < 0 => Value::from(v as i64),
        _ => Value::from(n.value()),
    }
}

fn secs(s: &ast::Str) -> R<Value> {
    super::eval::time_ms(s)
        .map(|ms| Value::from(ms / 1000))
        .map_err(|_| format!("time {}", s.text))
}

fn timeout_secs(t: &ast::TimeValue) -> R<Value> {
    match t {
        ast::TimeValue::Lit(s) => secs(s),
        ast::TimeValue::Var(v) => super::eval::time_value_ms(t)
            .map(|ms| Value::from(ms / 1000))
            .map_err(|_| format!("time ${}", v.name)),
    }
}

/// The data type of a selector, when it has one of its own.
fn selector_type(e: &ast::Expr) -> Option<Dt> {
    super::eval::from_ast(e).ok().map(|x| x.dt)
}

impl Writer {
    fn verdict(&self, v: &ast::Verdict) -> R<Value> {
        Ok(match v {
            ast::Verdict::Accept => json!({"accept": null}),
            ast::Verdict::Drop => json!({"drop": null}),
            ast::Verdict::Continue => json!({"continue": null}),
            ast::Verdict::Return => json!({"return": null}),
            ast::Verdict::Jump(c) => json!({"jump": {"target": self.expr(c)?}}),
            ast::Verdict::Goto(c) => json!({"goto": {"target": self.expr(c)?}}),
        })
    }

    fn elem(&self, e: &ast::SetElem) -> R<Value> {
        let mut key = self.expr(&e.key)?;
        let o = &e.options;
        if !o.is_empty() || !e.stmts.is_empty() {
            let mut m = Map::new();
            m.insert("val".into(), key);
            if let Some(t) = &o.timeout {
                m.insert("timeout".into(), timeout_secs(t)?);
            }
            if let Some(t) = &o.expires {
                m.insert("expires".into(), timeout_secs(t)?);
            }
            if let Some(c) = &o.comment {
                m.insert("comment".into(), c.text.clone().into());
            }
            for s in &e.stmts {
                if let Value::Object(so) = self.stmt(s)? {
                    m.extend(so);
                }
            }
            key = json!({ "elem": m });
        }
        Ok(match &e.data {
            Some(d) => json!([key, self.expr(d)?]),
            None => key,
        })
    }

    fn expr(&self, e: &ast::Expr) -> R<Value> {
        let e = e.resolved();
        Ok(match &e.kind {
            ExprKind::Number(n) => num(n),
            ExprKind::Symbol(s) | ExprKind::Quoted(s) | ExprKind::Asterisk(s) => s.clone().into(),
            ExprKind::Wildcard => "*".into(),
            ExprKind::Bool(b) => (*b).into(),
            ExprKind::SetRef(i) => format!("@{}", i.name).into(),
            ExprKind::Payload { proto, field } => {
                json!({"payload": {"protocol": proto.as_str(), "field": field}})
            }
            ExprKind::RawPayload { base, offset, len } => {
                json!({"payload": {"base": base.as_str(), "offset": num(offset), "len": num(len)}})
            }
            ExprKind::Meta { key, .. } => json!({"meta": {"key": key}}),
            ExprKind::Ct { dir, proto, key } => {
                // `ct original ip saddr`: nft names the key with its family.
                let key = match proto {
                    Some(p) => format!("{} {key}", nfproto(*p)),
                    None => (*key).to_string(),
                };
                let mut m = Map::new();
                m.insert("key".into(), key.into());
                if let Some(d) = dir {
                    m.insert("dir".into(), d.as_str().into());
                }
                json!({ "ct": m })
            }
            ExprKind::Fib { flags, result } => {
                json!({"fib": {"result": result, "flags": flags}})
            }
            ExprKind::Rt { proto, key } => {
                let mut m = Map::new();
                m.insert("key".into(), (*key).into());
                if let Some(p) = proto {
                    m.insert("family".into(), nfproto(*p).into());
                }
                json!({ "rt": m })
            }
            ExprKind::Socket { key, level } => {
                let mut m = Map::new();
                m.insert("key".into(), (*key).into());
                if let Some(l) = level {
                    m.insert("level".into(), num(l));
                }
                json!({ "socket": m })
            }
            ExprKind::Numgen {
                mode,
                modulus,
                offset,
            } => {
                let off = offset.as_ref().map_or(Value::from(0), num);
                json!({"numgen": {"mode": mode, "mod": num(modulus), "offset": off}})
            }
            ExprKind::Jhash {
                expr,
                modulus,
                seed,
                offset,
            } => {
                let mut m = Map::new();
                m.insert("mod".into(), num(modulus));
                if let Some(s) = seed {
                    m.insert("seed".into(), num(s));
                }
                if let Some(o) = offset {
                    m.insert("offset".into(), num(o));
                }
                m.insert("expr".into(), self.expr(expr)?);
                json!({ "jhash": m })
            }
            ExprKind::Symhash { modulus, offset } => {
                let mut m = Map::new();
                m.insert("mod".into(), num(modulus));
                if let Some(o) = offset {
                    m.insert("offset".into(), num(o));
                }
                json!({ "symhash": m })
            }
            ExprKind::Concat(items) => json!({"concat": self.exprs(items)?}),
            ExprKind::Binary { op, left, right } => {
                json!({ op.as_str(): [self.expr(left)?, self.expr(right)?] })
            }
            ExprKind::Prefix { base, len } => {
                json!({"prefix": {"addr": self.expr(base)?, "len": num(len)}})
            }
            ExprKind::Range { low, high } => {
                json!({"range": [self.expr(low)?, self.expr(high)?]})
            }
            ExprKind::Set(elems) => {
                let v = elems.iter().map(|x| self.elem(x)).collect::<R<Vec<_>>>()?;
                json!({ "set": v })
            }
            ExprKind::Map { key, map } => {
                json!({"map": {"key": self.expr(key)?, "data": self.expr(map)?}})
            }
            ExprKind::List(items) => Value::Array(self.exprs(items)?),
            ExprKind::Verdict(v) => self.verdict(v)?,
            ExprKind::Exthdr { hdr, field, index } => {
                let field = match index {
                    Some(i) => format!("{field}[{}]", i.text),
                    None => (*field).to_string(),
                };
                json!({"exthdr": {"name": hdr.as_str(), "field": field}})
            }
            ExprKind::ExthdrExists(hdr) => json!({"exthdr": {"name": hdr.as_str()}}),
            // An option known only by its number: nft lists the bytes it reads (the kind byte
            // for `exists`).
            ExprKind::TcpOption {
                option,
                field: None,
            } if option.parse::<u8>().is_ok() => {
                json!({"tcp option": {"base": option.parse::<u8>().unwrap_or(0), "offset": 0, "len": 8}})
            }
            ExprKind::TcpOption { option, field } => {
                json!({ "tcp option": named(option, *field) })
            }
            ExprKind::TcpOptionRaw {
                option,
                offset,
                len,
            } => {
                let base = super::exthdr::tcp_kind(option)
                    .ok_or_else(|| format!("no JSON form for tcp option {option}"))?;
                json!({"tcp option": {"base": base, "offset": num(offset), "len": num(len)}})
            }
            ExprKind::IpOption { option, field } => json!({ "ip option": named(option, *field) }),
            ExprKind::SctpChunk { chunk, field } => json!({ "sctp chunk": named(chunk, *field) }),
            ExprKind::Ipsec { out, spnum, key } => {
                let mut m = Map::new();
                match key {
                    ast::IpsecKey::Spi => m.insert("key".into(), "spi".into()),
                    ast::IpsecKey::Reqid => m.insert("key".into(), "reqid".into()),
                    ast::IpsecKey::Addr(p, k) => {
                        m.insert("family".into(), nfproto(*p).into());
                        m.insert("key".into(), (*k).into())
                    }
                };
                m.insert("dir".into(), if *out { "out" } else { "in" }.into());
                m.insert("spnum".into(), spnum.as_ref().map_or(Value::from(0), num));
                json!({ "ipsec": m })
            }
            ExprKind::Osf { ttl, key } => {
                let mut m = Map::new();
                m.insert("key".into(), (*key).into());
                if let Some(t) = ttl {
                    m.insert("ttl".into(), t.clone().into());
                }
                json!({ "osf": m })
            }
            other => return Err(format!("no JSON form for {}", print::debug_name(other))),
        })
    }

    fn exprs(&self, v: &[ast::Expr]) -> R<Vec<Value>> {
        v.iter().map(|x| self.expr(x)).collect()
    }

    fn stmt(&self, s: &ast::Stmt) -> R<Value> {
        Ok(match &s.kind {
            StmtKind::Match { left, op, right } => self.matches(left, *op, right)?,
            StmtKind::Verdict(v) => self.verdict(v)?,
            StmtKind::VerdictMap { key, map } => {
                json!({"vmap": {"key": self.expr(key)?, "data": self.expr(map)?}})
            }
            StmtKind::Counter { name: Some(n), .. } => json!({ "counter": self.expr(n)? }),
            StmtKind::Counter { packets, bytes, .. } => json!({"counter": {
                "packets": packets.as_ref().map_or(Value::from(0), num),
                "bytes": bytes.as_ref().map_or(Value::from(0), num),
            }}),
            StmtKind::Limit(l) => {
                let inv = l.mode == Some(RateMode::Over);
                let (rate, per, bytes) = match &l.rate {
                    Rate::Packets { count, per } => (count.value(), per, false),
                    Rate::Bytes { amount, per } => (
                        amount.amount.value().saturating_mul(amount.multiplier()),
                        per,
                        true,
                    ),
                };
                let burst = match &l.burst {
                    Some(Burst::Packets(n)) => n.value(),
                    Some(Burst::Bytes(b)) => b.amount.value().saturating_mul(b.multiplier()),
                    None if bytes => 0,
                    None => 5,
                };
                limit_value(rate, per.seconds(), burst, bytes, inv, true)
            }
            StmtKind::LimitName(n) => json!({ "limit": self.expr(n)? }),
            StmtKind::Quota(q) => {
                let (v, u) = byte_rate(
                    q.amount
                        .amount
                        .value()
                        .saturating_mul(q.amount.multiplier()),
                );
                let mut m = Map::new();
                m.insert("val".into(), v.into());
                m.insert("val_unit".into(), u.into());
                if q.mode == Some(RateMode::Over) {
                    m.insert("inv".into(), true.into());
                }
                if let Some(used) = &q.used {
                    let (v, u) = byte_rate(used.amount.value().saturating_mul(used.multiplier()));
                    if v != 0 {
                        m.insert("used".into(), v.into());
                        m.insert("used_unit".into(), u.into());
                    }
                }
                json!({ "quota": m })
            }
            StmtKind::QuotaName(n) => json!({ "quota": self.expr(n)? }),
            StmtKind::CtCount { over, count } => {
                let mut m = Map::new();
                m.insert("val".into(), num(count));
                if *over {
                    m.insert("inv".into(), true.into());
                }
                json!({ "ct count": m })
            }
            StmtKind::Log(l) => {
                let mut m = Map::new();
                if let Some(p) = &l.prefix {
                    m.insert("prefix".into(), p.text.clone().into());
                }
                if let Some(g) = &l.group {
                    m.insert("group".into(), num(g));
                }
                if let Some(s) = &l.snaplen {
                    m.insert("snaplen".into(), num(s));
                }
                if let Some(q) = &l.queue_threshold {
                    m.insert("queue-threshold".into(), num(q));
                }
                // `warn` is the default level; nft leaves it out.
                if let Some(lv) = &l.level
                    && lv.text != "warn"
                {
                    m.insert("level".into(), lv.text.clone().into());
                }
                let mut flags = Vec::new();
                for f in &l.flags {
                    match f {
                        LogFlag::Tcp(v) => flags.extend(v.iter().map(|x| format!("tcp {x}"))),
                        LogFlag::IpOptions => flags.push("ip options".into()),
                        LogFlag::Skuid => flags.push("skuid".into()),
                        LogFlag::Ether => flags.push("ether".into()),
                        LogFlag::All => flags.push("all".into()),
                    }
                }
                if !flags.is_empty() {
                    m.insert("flags".into(), one_or_many(flags));
                }
                if m.is_empty() {
                    return Ok(json!({ "log": null }));
                }
                json!({ "log": m })
            }
            // A listing names the family's default, as nft's JSON does.
            StmtKind::Reject(None) => {
                let ty = match self.family {
                    Family::Ip => "icmp",
                    Family::Ip6 => "icmpv6",
                    _ => "icmpx",
                };
                json!({"reject": {"type": ty, "expr": "port-unreachable"}})
            }
            StmtKind::Reject(Some(w)) => match w {
                RejectWith::TcpReset => json!({"reject": {"type": "tcp reset"}}),
                RejectWith::Icmp(e) => json!({"reject": {"type": "icmp", "expr": self.expr(e)?}}),
                RejectWith::Icmpv6(e) => {
                    json!({"reject": {"type": "icmpv6", "expr": self.expr(e)?}})
                }
                RejectWith::Icmpx(e) => {
                    json!({"reject": {"type": "icmpx", "expr": self.expr(e)?}})
                }
            },
            StmtKind::Nat(n) => self.nat(n)?,
            StmtKind::Tproxy { family, addr, port } => {
                let mut m = Map::new();
                if let Some(f) = family {
                    m.insert("family".into(), nfproto(*f).into());
                }
                if let Some(a) = addr {
                    m.insert("addr".into(), self.expr(a)?);
                }
                if let Some(p) = port {
                    m.insert("port".into(), self.expr(p)?);
                }
                json!({ "tproxy": m })
            }
            StmtKind::Queue(q) => {
                let mut m = Map::new();
                if let Some(n) = &q.num {
                    m.insert("num".into(), self.expr(n)?);
                }
                if !q.flags.is_empty() {
                    m.insert(
                        "flags".into(),
                        one_or_many(q.flags.iter().map(|f| f.as_str())),
                    );
                }
                json!({ "queue": m })
            }
            StmtKind::Dup { addr, device } => {
                let mut m = Map::new();
                m.insert("addr".into(), self.expr(addr)?);
                if let Some(d) = device {
                    m.insert("dev".into(), self.expr(d)?);
                }
                json!({ "dup": m })
            }
            StmtKind::Fwd { family, to, device } => {
                let mut m = Map::new();
                match device {
                    Some(d) => {
                        if let Some(f) = family {
                            m.insert("family".into(), nfproto(*f).into());
                        }
                        m.insert("addr".into(), self.expr(to)?);
                        m.insert("dev".into(), self.expr(d)?);
                    }
                    None => {
                        m.insert("dev".into(), self.expr(to)?);
                    }
                }
                json!({ "fwd": m })
            }
            StmtKind::Synproxy {
                mss,
                wscale,
                timestamp,
                sack_perm,
            } => {
                let mut m = Map::new();
                if let Some(x) = mss {
                    m.insert("mss".into(), num(x));
                }
                if let Some(x) = wscale {
                    m.insert("wscale".into(), num(x));
                }
                let mut flags = Vec::new();
                if *timestamp {
                    flags.push("timestamp");
                }
                if *sack_perm {
                    flags.push("sack-perm");
                }
                if !flags.is_empty() {
                    m.insert("flags".into(), one_or_many(flags));
                }
                json!({ "synproxy": m })
            }
            StmtKind::SynproxyName(n) => json!({ "synproxy": self.expr(n)? }),
            StmtKind::MetaSet { key, value, .. } => {
                json!({"mangle": {"key": {"meta": {"key": key}}, "value": self.expr(value)?}})
            }
            StmtKind::CtSet { dir, key, value } => match (*key, dir) {
                ("helper", None) => json!({"ct helper": self.expr(value)?}),
                ("timeout", None) => json!({"ct timeout": self.expr(value)?}),
                ("expectation", None) => json!({"ct expectation": self.expr(value)?}),
                _ => {
                    let mut k = Map::new();
                    k.insert("key".into(), (*key).into());
                    if let Some(d) = dir {
                        k.insert("dir".into(), d.as_str().into());
                    }
                    json!({"mangle": {"key": {"ct": k}, "value": self.expr(value)?}})
                }
            },
            StmtKind::PayloadSet { target, value } => {
                json!({"mangle": {"key": self.expr(target)?, "value": self.expr(value)?}})
            }
            StmtKind::Notrack => json!({"notrack": null}),
            StmtKind::FlowAdd { name, .. } => {
                json!({"flow": {"op": "add", "flowtable": format!("@{}", name.text)}})
            }
            StmtKind::Set(s) => {
                let set = self.expr(&s.set)?;
                let mut elem = self.expr(&s.key)?;
                let mut opts = Map::new();
                if let Some(t) = &s.options.timeout {
                    opts.insert("timeout".into(), timeout_secs(t)?);
                }
                if let Some(t) = &s.options.expires {
                    opts.insert("expires".into(), timeout_secs(t)?);
                }
                if let Some(c) = &s.options.comment {
                    opts.insert("comment".into(), c.text.clone().into());
                }
                if !opts.is_empty() {
                    opts.insert("val".into(), elem);
                    elem = json!({ "elem": opts });
                }
                let mut m = Map::new();
                m.insert("op".into(), s.op.as_str().into());
                m.insert("elem".into(), elem);
                let kw = match &s.data {
                    Some(d) => {
                        m.insert("data".into(), self.expr(d)?);
                        m.insert("map".into(), set);
                        "map"
                    }
                    None => {
                        m.insert("set".into(), set);
                        "set"
                    }
                };
                if !s.stmts.is_empty() {
                    // Templates for the new element: nft lists a counter's without values.
                    let v = s
                        .stmts
                        .iter()
                        .map(|x| match &x.kind {
                            StmtKind::Counter { name: None, .. } => Ok(json!({"counter": null})),
                            _ => self.stmt(x),
                        })
                        .collect::<R<Vec<_>>>()?;
                    m.insert("stmt".into(), Value::Array(v));
                }
                json!({ kw: m })
            }
            StmtKind::Meter(m) => {
                let mut key = self.expr(&m.key)?;
                if let Some(t) = &m.options.timeout {
                    key = json!({"elem": {"val": key, "timeout": timeout_secs(t)?}});
                }
                // Listed stateless, as nft lists a meter's statement.
                let stmt = match &m.stmt.kind {
                    StmtKind::Counter { name: None, .. } => json!({"counter": null}),
                    _ => self.stmt(&m.stmt)?,
                };
                json!({"meter": {
                    "key": key,
                    "stmt": stmt,
                    "size": m.size.as_ref().map_or(Value::from(65535), num),
                    "name": m.name.name,
                }})
            }
            // nftables ≥ 1.0.7 (nft 1.1.3's listing checked side by side): `null` while never
            // used, else the time since, in milliseconds.
            StmtKind::Last { used } => match used.as_ref().filter(|u| u.text != "never") {
                None => json!({"last": null}),
                Some(t) => json!({"last": {"used": super::eval::time_ms(t)
                    .map_err(|_| format!("time {}", t.text))?}}),
            },
            StmtKind::OptStrip { option } => match option.parse::<u8>() {
                Ok(n) => json!({"reset": {"tcp option": {"base": n, "offset": 0, "len": 0}}}),
                Err(_) => json!({"reset": {"tcp option": {"name": option}}}),
            },
            _ => return Err("statement has no JSON form here".into()),
        })
    }

    fn matches(&self, left: &ast::Expr, op: RelOp, right: &ast::Expr) -> R<Value> {
        let right = right.resolved();
        // `value / mask`: the flag comparison `(left & mask) op value`.
        let dt = selector_type(left);
        let (l, mut r, masked) = match &right.kind {
            ExprKind::Masked { value, mask } => (
                json!({"&": [self.expr(left)?, self.expr(mask)?]}),
                self.expr(value)?,
                true,
            ),
            _ => (self.expr(left)?, self.expr(right)?, false),
        };
        // An interface index nft cannot name is listed as its number in a string.
        if dt.as_ref().is_some_and(|d| d.ty == TYPE_IFINDEX)
            && let Value::Number(n) = &r
        {
            r = Value::String(n.to_string());
        }
        // A time is listed in seconds.
        if dt.as_ref().is_some_and(|d| d.ty == TYPE_TIME)
            && let ExprKind::Symbol(t) = &right.kind
            && let Ok(ms) = linx_nft_syntax::keywords::parse_time(t)
        {
            r = Value::from(ms / 1000);
        }
        // An implicit match on a bit mask type (`ct state`, `tcp flags`) is a flag test,
        // which nft writes with the `in` operator.
        let flags = dt
            .as_ref()
            .is_some_and(|d| d.is_bitmask() || d.ty == TYPE_BITMASK);
        let op = match op {
            RelOp::Implicit | RelOp::Eq
                if op == RelOp::Implicit
                    && !masked
                    && matches!(
                        right.kind,
                        ExprKind::Symbol(_) | ExprKind::Number(_) | ExprKind::List(_)
                    )
                    && flags =>
            {
                "in"
            }
            RelOp::Implicit | RelOp::Eq => "==",
            other => other.as_str(),
        };
        Ok(json!({"match": {"op": op, "left": l, "right": r}}))
    }

    fn nat(&self, n: &ast::Nat) -> R<Value> {
        let mut m = Map::new();
        if let Some(f) = n.family {
            m.insert("family".into(), nfproto(f).into());
        }
        if let Some(a) = &n.addr {
            m.insert("addr".into(), self.expr(a)?);
        }
        if let Some(p) = &n.port {
            m.insert("port".into(), self.expr(p)?);
        }
        if n.mode == ast::NatMode::Prefix {
            m.insert("type_flags".into(), "prefix".into());
        }
        if !n.flags.is_empty() {
            m.insert(
                "flags".into(),
                one_or_many(n.flags.iter().map(|f: &NatFlag| f.as_str())),
            );
        }
        let kw = n.kind.as_str();
        let _ = self.family;
        if m.is_empty() && matches!(n.kind, NatKind::Masquerade | NatKind::Redirect) {
            return Ok(json!({ kw: null }));
        }
        Ok(json!({ kw: m }))
    }
}

/// `{"name": …[, "field": …]}` of an option or chunk selector.
fn named(name: &str, field: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    if let Some(f) = field {
        m.insert("field".into(), f.into());
    }
    Value::Object(m)
}

fn nfproto(p: ast::NfProto) -> &'static str {
    match p {
        ast::NfProto::Ip => "ip",
        _ => "ip6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_units() {
        assert_eq!(byte_rate(0), (0, "bytes"));
        assert_eq!(byte_rate(1000), (1000, "bytes"));
        assert_eq!(byte_rate(524_288), (512, "kbytes"));
        assert_eq!(byte_rate(104_857_600), (100, "mbytes"));
        assert_eq!(byte_rate(3 * 1024 * 1024 * 1024), (3072, "mbytes"));
    }

    #[test]
    fn document_string_is_the_document() {
        let p = JsonPrinted {
            objects: vec![
                json!({"table": {"family": "inet", "name": "t", "handle": 1}}),
                json!({"rule": {"family": "inet", "table": "t", "chain": "c", "handle": 2,
                    "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}},
                    "right": "tcp"}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}),
            ],
            lossy: vec!["not part of the document".into()],
        };
        let text = p.document_string();
        assert_eq!(text, serde_json::to_string(&p.document()).unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["nftables"][2]["rule"]["expr"][2],
            json!({"accept": null})
        );
    }

    #[test]
    fn rule_statements() {
        let t = Table::new(
            Family::Inet,
            "t",
            crate::netfilter::TableLifetime::Persistent,
        )
        .unwrap();
        let w = Writer {
            family: Family::Inet,
        };
        let r = parse_rule(
            &t,
            "c",
            "ct state established,related tcp flags syn / syn,ack tcp dport { 22, 80 } accept",
        )
        .unwrap();
        let v: Vec<Value> = r.stmts.iter().map(|s| w.stmt(s).unwrap()).collect();
        assert_eq!(
            Value::Array(v),
            json!([
                {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
                {"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": "syn"}},
                {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [22, 80]}}},
                {"accept": null}
            ])
        );
    }
}
