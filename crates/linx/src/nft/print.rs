//! The printer/decompiler (NFT-28): a ruleset — compiled or pulled from the kernel — as nft
//! text in `nft list ruleset` layout.
//!
//! Rules are decompiled from their expressions the way nft's `netlink_delinearize.c` reads
//! them: register tracking, payload loads named through a protocol context (`tcp dport 22`),
//! `cmp` pairs back to ranges, bitwise masks back to prefixes and flag tests, lookups in
//! anonymous sets back to `{ … }`. Every rendering of a rule is *verified*: it is compiled again
//! (with [`super::compile`]) and must reproduce the original expressions. The printer tries the
//! idiomatic form first (implicit dependencies removed), then the explicit one; a rule neither
//! reproduces is printed as a comment and reported as lossy, never silently approximated.

use std::collections::HashMap;
use std::fmt::Write as _;

use linx_nft_syntax::ast;

use crate::netfilter::expr::{
    BitwiseOp, ByteorderOp, CmpOp, CtDir, Data, Expr, HashKind, ImmediateData, LimitKind, NatKind,
    NumgenKind, ObjrefTarget, PayloadBase, RangeOp, Reg, RejectKind, Verdict,
};
use crate::netfilter::obj::{ObjectData, ObjectType};
use crate::netfilter::set::{ElemData, Part, SetData, SetPolicy, Value};
use crate::netfilter::{ChainKind, Family, Policy, Rule, Ruleset, Set, Table};

use super::dtype::*;
use super::proto::{self, P};

/// Options of [`print()`].
#[derive(Clone, Debug)]
pub struct PrintOptions {
    /// Print handles as `# handle N` comments (as `nft -a`).
    pub handles: bool,
    /// Interface names by index (for `iif`/`oif` and devices), as in the namespace the
    /// ruleset lives in. Unknown indexes print as numbers.
    pub ifnames: HashMap<u32, String>,
    /// Verify every decompiled rule by compiling it again (on by default).
    pub verify: bool,
    /// Print when set elements with a timeout expire (`expires 59m58s`, as nft lists them;
    /// on by default). The value ticks, so two listings of one ruleset differ there.
    pub expires: bool,
}

impl Default for PrintOptions {
    fn default() -> PrintOptions {
        PrintOptions {
            handles: false,
            ifnames: HashMap::new(),
            verify: true,
            expires: true,
        }
    }
}

/// Printed text and what could not be printed faithfully.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Printed {
    /// The nft text.
    pub text: String,
    /// One entry per lossy item (`table inet t chain c rule 3: …`); these are printed as
    /// comments in [`Printed::text`].
    pub lossy: Vec<String>,
}

/// The ruleset as `nft list ruleset` text.
///
/// ```
/// use linx::netfilter::{Family, Ruleset, Table, TableLifetime};
/// let mut rs = Ruleset::new();
/// rs.tables.push(Table::new(Family::Inet, "t", TableLifetime::Persistent).unwrap());
/// let p = linx::nft::print(&rs, &Default::default());
/// assert_eq!(p.text, "table inet t {\n}\n");
/// ```
pub fn print(rs: &Ruleset, opts: &PrintOptions) -> Printed {
    let mut out = Printed::default();
    for t in &rs.tables {
        let p = print_table(t, opts);
        out.text.push_str(&p.text);
        out.lossy.extend(p.lossy);
    }
    out
}

/// The named objects of `rs` as `nft list counters` and `nft reset counters` print them: each
/// table that has objects, its objects one after the other (no blank lines), nothing else.
///
/// ```
/// use linx::netfilter::obj::{Object, ObjectData};
/// use linx::netfilter::expr::Counter;
/// use linx::netfilter::{Family, Ruleset, Table, TableLifetime};
/// let mut t = Table::new(Family::Ip, "t", TableLifetime::Persistent).unwrap();
/// t.add_object(Object::new("c", ObjectData::Counter(Counter { packets: 3, bytes: 252 }))).unwrap();
/// let mut rs = Ruleset::new();
/// rs.tables.push(t);
/// assert_eq!(
///     linx::nft::print_objects(&rs).text,
///     "table ip t {\n\tcounter c {\n\t\tpackets 3 bytes 252\n\t}\n}\n"
/// );
/// ```
pub fn print_objects(rs: &Ruleset) -> Printed {
    let mut out = Printed::default();
    for t in rs.tables.iter().filter(|t| !t.objects.is_empty()) {
        let _ = writeln!(out.text, "table {} {} {{", t.family.name(), t.name);
        for o in &t.objects {
            out.text.push_str(&print_object(o, t, &mut out.lossy));
        }
        out.text.push_str("}\n");
    }
    out
}

/// A base chain's header statement as `nft list` prints it: `type filter hook input priority
/// filter; policy accept;` (devices and named priorities included).
pub(crate) fn base_chain_header(family: Family, bc: &crate::netfilter::BaseChain) -> String {
    let mut b = format!("type {} hook {}", bc.chain_type.name(), bc.hook.name());
    match bc.devices.len() {
        0 => {}
        1 => {
            let _ = write!(b, " device {}", quote(&bc.devices[0]));
        }
        _ => {
            let devices: Vec<String> = bc.devices.iter().map(|d| quote(d)).collect();
            let _ = write!(b, " devices = {{ {} }}", devices.join(", "));
        }
    }
    let _ = write!(b, " priority {};", prio_name(family, bc.hook, bc.priority));
    if let Some(p) = bc.policy {
        let policy = if p == Policy::Drop { "drop" } else { "accept" };
        let _ = write!(b, " policy {policy};");
    }
    b
}

/// One rule as a compact line in nft syntax, located by family, table and chain, with its
/// linx tag (NF-16), e.g. `inet/fw/input: tcp dport 22 accept [tag ssh]`. `table` gives the
/// context the rule needs to print (its family, sets and maps); the rule need not be in it. A
/// rule that cannot be printed faithfully ends with `# lossy: <reason>`.
///
/// ```
/// use linx::netfilter::builder::{RuleBuilder, tcp};
/// use linx::netfilter::{Family, Table, TableLifetime};
/// let t = Table::new(Family::Inet, "fw", TableLifetime::Persistent).unwrap();
/// let r = RuleBuilder::new(Family::Inet).matches(tcp().dport(22)).accept().tag("ssh").unwrap();
/// let line = linx::nft::rule_line(&t, "input", &r, &Default::default());
/// assert_eq!(line, "inet/fw/input: tcp dport 22 accept [tag ssh]");
/// ```
pub fn rule_line(table: &Table, chain: &str, rule: &Rule, opts: &PrintOptions) -> String {
    let rs = verify_context(table);
    let text = match print_rule(rule, table, chain, &rs, opts) {
        Ok(text) => text,
        Err((text, why)) => format!("{text} # lossy: {why}"),
    };
    let mut line = format!("{}/{}/{chain}: {text}", table.family.name(), table.name);
    if let Some(tag) = rule.get_tag() {
        let _ = write!(line, " [tag {tag}]");
    }
    line
}

/// One table of `rs` as `nft list table` text.
pub fn print_table(t: &Table, opts: &PrintOptions) -> Printed {
    let mut lossy = Vec::new();
    let mut s = String::new();
    let _ = write!(s, "table {} {} {{", t.family.name(), t.name);
    if opts.handles
        && let Some(h) = t.handle
    {
        let _ = write!(s, " # handle {h}");
    }
    s.push('\n');
    let mut blocks: Vec<String> = Vec::new();
    let mut head = String::new();
    if let Some(c) = t.userdata.comment() {
        let _ = writeln!(head, "\tcomment {}", quote(&c));
    }
    let mut fl = Vec::new();
    if t.dormant {
        fl.push("dormant");
    }
    if t.lifetime != crate::netfilter::TableLifetime::Persistent {
        fl.push("owner");
    }
    if !fl.is_empty() {
        let _ = writeln!(head, "\tflags {}", fl.join(","));
    }
    for o in &t.objects {
        blocks.push(print_object(o, t, &mut lossy));
    }
    for set in &t.sets {
        if is_anon(&set.name) || is_meter(set) {
            continue;
        }
        blocks.push(print_set(set, t, opts, &mut lossy));
    }
    for f in &t.flowtables {
        let mut b = String::new();
        let _ = writeln!(b, "\tflowtable {} {{", f.name);
        let _ = writeln!(
            b,
            "\t\thook ingress priority {}",
            prio_name(Family::Netdev, crate::netfilter::Hook::Ingress, f.priority)
        );
        if !f.devices.is_empty() {
            let _ = writeln!(
                b,
                "\t\tdevices = {{ {} }}",
                f.devices
                    .iter()
                    .map(|d| quote(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if f.flags & 1 != 0 {
            b.push_str("\t\tflags offload\n");
        }
        if f.flags & 2 != 0 {
            b.push_str("\t\tcounter\n");
        }
        b.push_str("\t}\n");
        blocks.push(b);
    }
    for c in &t.chains {
        blocks.push(chain_block(t, c, opts, &mut lossy));
    }
    s.push_str(&head);
    if !head.is_empty() && !blocks.is_empty() {
        s.push('\n');
    }
    s.push_str(&blocks.join("\n"));
    s.push_str("}\n");
    Printed { text: s, lossy }
}

/// One chain of `t` as its `chain NAME { … }` block (one tab deep), lossy rules reported.
fn chain_block(
    t: &Table,
    c: &crate::netfilter::Chain,
    opts: &PrintOptions,
    lossy: &mut Vec<String>,
) -> String {
    let mut b = String::new();
    let _ = write!(b, "\tchain {} {{", c.name);
    if opts.handles
        && let Some(h) = c.handle
    {
        let _ = write!(b, " # handle {h}");
    }
    b.push('\n');
    if let Some(cm) = c.userdata.comment() {
        let _ = writeln!(b, "\t\tcomment {}", quote(&cm));
    }
    if let ChainKind::Base(bc) = &c.kind {
        let _ = writeln!(b, "\t\t{}", base_chain_header(t.family, bc));
        if bc.hw_offload {
            b.push_str("\t\tflags offload;\n");
        }
    }
    let ctx = verify_context(t);
    for (i, r) in c.rules.iter().enumerate() {
        let line = print_rule(r, t, &c.name, &ctx, opts);
        match line {
            Ok(text) => {
                b.push_str("\t\t");
                b.push_str(&text);
            }
            Err((text, why)) => {
                lossy.push(format!(
                    "table {} {} chain {} rule {}: {why}",
                    t.family.name(),
                    t.name,
                    c.name,
                    i + 1
                ));
                b.push_str("\t\t# linx: not reproducible: ");
                b.push_str(&why);
                b.push_str("\n\t\t# ");
                b.push_str(&text);
            }
        }
        if opts.handles
            && let Some(h) = r.handle
        {
            let _ = write!(b, " # handle {h}");
        }
        b.push('\n');
    }
    b.push_str("\t}\n");
    b
}

/// One chain of a table as `nft list chain FAMILY TABLE NAME` prints it (inside its table).
///
/// ```
/// use linx::netfilter::{Chain, Family, Ruleset, Table, TableLifetime};
/// let mut t = Table::new(Family::Inet, "t", TableLifetime::Persistent).unwrap();
/// t.chains.push(Chain::regular("c").unwrap());
/// let rs = Ruleset::new();
/// let p = linx::nft::print_chain(&t, &t.chains[0], &Default::default());
/// assert_eq!(p.text, "table inet t {\n\tchain c {\n\t}\n}\n");
/// ```
pub fn print_chain(t: &Table, c: &crate::netfilter::Chain, opts: &PrintOptions) -> Printed {
    let mut lossy = Vec::new();
    let block = chain_block(t, c, opts, &mut lossy);
    Printed {
        text: format!("table {} {} {{\n{block}}}\n", t.family.name(), t.name),
        lossy,
    }
}

/// One named set or map of a table as `nft list set FAMILY TABLE NAME` prints it (inside its
/// table).
pub fn print_set_listing(t: &Table, set: &Set, opts: &PrintOptions) -> Printed {
    let mut lossy = Vec::new();
    let block = print_set(set, t, opts, &mut lossy);
    Printed {
        text: format!("table {} {} {{\n{block}}}\n", t.family.name(), t.name),
        lossy,
    }
}

pub(crate) fn is_anon(name: &str) -> bool {
    name.starts_with("__set") || name.starts_with("__map") || name.starts_with("__objmap")
}

/// What the printer's self-check compiles a rule against: `t` alone, its chains without rules,
/// its named sets without elements, objects and flowtables — everything a single rule of `t`
/// can refer to, without the cost of the rest (anonymous sets, other rules, other tables).
pub(crate) fn verify_context(t: &Table) -> Ruleset {
    let mut table = Table {
        chains: Vec::new(),
        sets: Vec::new(),
        objects: t.objects.clone(),
        flowtables: t.flowtables.clone(),
        userdata: t.userdata.clone(),
        name: t.name.clone(),
        ..*t
    };
    for c in &t.chains {
        table.chains.push(crate::netfilter::Chain {
            name: c.name.clone(),
            kind: c.kind.clone(),
            rules: Vec::new(),
            userdata: c.userdata.clone(),
            handle: c.handle,
        });
    }
    for set in t.sets.iter().filter(|s| !is_anon(&s.name)) {
        table.sets.push(crate::netfilter::Set {
            name: set.name.clone(),
            handle: set.handle,
            flags: set.flags,
            key: set.key.clone(),
            data: set.data.clone(),
            policy: set.policy,
            size: set.size,
            timeout: set.timeout,
            gc_interval: set.gc_interval,
            userdata: set.userdata.clone(),
            exprs: set.exprs.clone(),
            id: set.id,
            elements: Vec::new(),
        });
    }
    let mut rs = Ruleset::new();
    rs.tables.push(table);
    rs
}

/// A meter's set (`set_is_meter`): anonymous and `eval`, named by the rule that declares it;
/// listed inside that rule, never as a declaration.
pub(crate) fn is_meter(set: &crate::netfilter::Set) -> bool {
    use crate::netfilter::set::SetFlags;
    set.flags.contains(SetFlags::ANONYMOUS | SetFlags::EVAL)
}

/// A string in nft quotes.
fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

/// `std_prio_lookup` in reverse: symbolic names where nft uses them.
fn prio_name(family: Family, hook: crate::netfilter::Hook, prio: i32) -> String {
    use crate::netfilter::Hook;
    let table: &[(&str, i32)] = if family == Family::Bridge {
        match hook {
            Hook::Prerouting => &[("dstnat", -300), ("filter", -200)],
            Hook::Output => &[("filter", -200), ("out", 100)],
            Hook::Postrouting => &[("filter", -200), ("srcnat", 300)],
            _ => &[("filter", -200)],
        }
    } else if matches!(family, Family::Arp | Family::Netdev) {
        &[("filter", 0)]
    } else {
        match hook {
            Hook::Prerouting => &[
                ("raw", -300),
                ("mangle", -150),
                ("dstnat", -100),
                ("filter", 0),
                ("security", 50),
            ],
            Hook::Postrouting => &[
                ("raw", -300),
                ("mangle", -150),
                ("filter", 0),
                ("security", 50),
                ("srcnat", 100),
            ],
            _ => &[
                ("raw", -300),
                ("mangle", -150),
                ("filter", 0),
                ("security", 50),
            ],
        }
    };
    for (n, v) in table {
        if *v == prio {
            return (*n).to_string();
        }
    }
    for (n, v) in table {
        let d = i64::from(prio) - i64::from(*v);
        if d.abs() <= 10 {
            return if d > 0 {
                format!("{n} + {d}")
            } else {
                format!("{n} - {}", -d)
            };
        }
    }
    prio.to_string()
}

// ------------------------------------------------------------------------------------------------
// values

/// Renders a value of data type `ty` (nft's `datatype_print`).
/// The printer's type of raw payload values (`@th,0,32 0x10001`): nft's hexadecimal integer
/// (`xinteger`), which has no kernel type id of its own; 63 is the last single-type id, unused
/// by nft.
const TYPE_XINTEGER: u32 = 63;

fn fmt_typed(ty: u32, v: u128, len_bits: u32) -> String {
    let nbytes = len_bits.div_ceil(8) as usize;
    match ty {
        TYPE_IPADDR => std::net::Ipv4Addr::from(v as u32).to_string(),
        TYPE_IP6ADDR => std::net::Ipv6Addr::from(v).to_string(),
        TYPE_ETHERADDR | TYPE_LLADDR => {
            let b = export(v, Bo::Big, nbytes.max(1));
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        }
        TYPE_STRING | TYPE_IFNAME => {
            let b = string_bytes(v, nbytes.min(16));
            quote(&String::from_utf8_lossy(&b))
        }
        TYPE_MARK => format!("0x{v:08x}"),
        TYPE_XINTEGER => format!("0x{v:x}"),
        TYPE_CLASSID => match v {
            0xffff_ffff => "root".to_string(),
            0 => "none".to_string(),
            _ => format!("{:x}:{:x}", v >> 16, v & 0xffff),
        },
        TYPE_TIME => fmt_time(v as u64),
        TYPE_INET_PROTOCOL => match super::sysdb::protocol_name(v as u8) {
            Some(n) if v < 256 => n.to_string(),
            _ => v.to_string(),
        },
        TYPE_BOOLEAN => if v != 0 { "exists" } else { "missing" }.to_string(),
        TYPE_VERDICT | TYPE_INTEGER | TYPE_INET_SERVICE => v.to_string(),
        _ => {
            if let Some(n) = symbol_name(ty, v) {
                return n.to_string();
            }
            let info = info(ty);
            if info.is_some_and(|i| i.hex) {
                format!("0x{v:x}")
            } else {
                v.to_string()
            }
        }
    }
}

/// A bitmask value as nft's flag list (`established,related`), if every bit has a name.
fn fmt_flags(ty: u32, v: u128, sep: &str) -> Option<String> {
    let info = info(ty)?;
    if info.syms.is_empty() || v == 0 {
        return None;
    }
    // One name per bit, lowest bit first (as nft lists flags).
    let mut names = Vec::new();
    for bit in 0..128 {
        let b = 1u128 << bit;
        if v & b == 0 {
            continue;
        }
        let (n, _) = info.syms.iter().find(|(_, x)| u128::from(*x) == b)?;
        names.push(*n);
    }
    Some(names.join(sep))
}

fn fmt_value(v: &Value, ty: u32, ifnames: &HashMap<u32, String>) -> String {
    match v {
        Value::Ipv4(a) => a.to_string(),
        Value::Ipv6(a) => a.to_string(),
        Value::Mac(m) => m.to_string(),
        Value::Ifname(n) => quote(n),
        Value::Int(i) => {
            if ty == TYPE_IFINDEX
                && let Some(n) = ifnames.get(&(*i as u32))
            {
                return quote(n);
            }
            fmt_typed(ty, u128::from(*i), 64)
        }
        Value::Bytes(b) => {
            if matches!(ty, TYPE_STRING | TYPE_IFNAME) {
                let mut b = b.clone();
                while b.last() == Some(&0) {
                    b.pop();
                }
                return quote(&String::from_utf8_lossy(&b));
            }
            fmt_typed(ty, import(b, Bo::Big), (b.len() * 8) as u32)
        }
    }
}

fn fmt_part(p: &Part, ty: u32, ifnames: &HashMap<u32, String>) -> String {
    match p {
        Part::Value(v) => fmt_value(v, ty, ifnames),
        Part::Range(a, b) => format!(
            "{}-{}",
            fmt_value(a, ty, ifnames),
            fmt_value(b, ty, ifnames)
        ),
        Part::Prefix(x) => x.to_string(),
    }
}

fn fmt_verdict(v: &Verdict) -> String {
    match v {
        Verdict::Accept => "accept".into(),
        Verdict::Drop => "drop".into(),
        Verdict::Continue => "continue".into(),
        Verdict::Return => "return".into(),
        Verdict::Jump(c) => format!("jump {c}"),
        Verdict::Goto(c) => format!("goto {c}"),
        other => format!("{other:?}"),
    }
}

/// nft stores host-order keys of interval sets in network order (so the kernel's byte-wise
/// comparison orders them numerically) and records host order in the userdata; the pulled
/// model decodes them as host order. Swap such values back, as nft's listing does.
fn nft_interval_order(set: &Set) -> Option<Set> {
    let host_interval = set.flags.bits() & 0x4 != 0
        && set.key.fields.len() <= 1
        && set
            .userdata
            .get_u32(crate::netfilter::userdata::SET_KEYBYTEORDER)
            == Some(1)
        && (1..=8).contains(&set.key.len);
    if !host_interval {
        return None;
    }
    let n = set.key.len as usize;
    let swap = |v: &mut Value| {
        if let Value::Int(i) = v {
            // The low `n` bytes of the host-order reading are the stored bytes; read them as a
            // big-endian number.
            let ne = i.to_ne_bytes();
            let stored = if cfg!(target_endian = "little") {
                &ne[..n]
            } else {
                &ne[8 - n..]
            };
            *i = stored
                .iter()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
        }
    };
    let mut s = set.clone();
    map_key_values(&mut s, swap);
    Some(s)
}

/// Applies `f` to every value of every element key (both ends of a range; prefixes stay).
fn map_key_values(set: &mut Set, mut f: impl FnMut(&mut Value)) {
    for p in set.elements.iter_mut().flat_map(|e| e.key.iter_mut()) {
        match p {
            Part::Value(v) => f(v),
            Part::Range(a, b) => {
                f(a);
                f(b);
            }
            Part::Prefix(_) => {}
        }
    }
}

/// The elements of a set in `{ … }` syntax, on one line.
pub(crate) fn fmt_elements(set: &Set, opts: &PrintOptions) -> String {
    format!("{{ {} }}", elements_text(set, opts).join(", "))
}

/// The elements of a named set as its `elements = { … }` line breaks them
/// (`calculate_delim`): five integer-like values per line, two addresses (or ct states,
/// statuses, packet types), one of anything else.
fn fmt_elements_named(set: &Set, opts: &PrintOptions) -> String {
    let per_line = match set.key.type_id {
        TYPE_NFPROTO | TYPE_INTEGER | TYPE_ARPOP | TYPE_INET_PROTOCOL | TYPE_INET_SERVICE
        | TYPE_TCP_FLAG | TYPE_DCCP_PKTTYPE | TYPE_MARK | TYPE_IFINDEX | TYPE_CLASSID
        | TYPE_UID | TYPE_GID | TYPE_CT_DIR => 5,
        TYPE_IPADDR | TYPE_CT_STATE | TYPE_CT_STATUS | TYPE_PKTTYPE => 2,
        _ => 1,
    };
    let mut out = String::from("{ ");
    for (n, e) in elements_text(set, opts).iter().enumerate() {
        if n > 0 {
            out.push_str(if n % per_line == 0 {
                ",\n\t\t\t     "
            } else {
                ", "
            });
        }
        out.push_str(e);
    }
    out.push_str(" }");
    out
}

fn elements_text(set: &Set, opts: &PrintOptions) -> Vec<String> {
    let fixed = nft_interval_order(set);
    let set = fixed.as_ref().unwrap_or(set);
    let kty: Vec<u32> = set.key.fields.iter().map(|f| f.ty.0).collect();
    let kty = if kty.is_empty() {
        vec![set.key.type_id]
    } else {
        kty
    };
    let dty: Vec<u32> = match &set.data {
        Some(SetData::Value(k)) => {
            let v: Vec<u32> = k.fields.iter().map(|f| f.ty.0).collect();
            if v.is_empty() { vec![k.type_id] } else { v }
        }
        _ => Vec::new(),
    };
    let mut items = Vec::new();
    for e in &set.elements {
        let mut s = if e.catch_all {
            "*".to_string()
        } else {
            e.key
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    fmt_part(
                        p,
                        kty.get(i).copied().unwrap_or(TYPE_INTEGER),
                        &opts.ifnames,
                    )
                })
                .collect::<Vec<_>>()
                .join(" . ")
        };
        // As nft: statements, timeout (unless the set's), expiry, comment.
        for x in &e.exprs {
            if let Some(st) = fmt_stateful(x) {
                s.push(' ');
                s.push_str(&st);
            }
        }
        if let Some(t) = e.timeout
            && Some(t) != set.timeout
        {
            let _ = write!(s, " timeout {}", fmt_time(t));
        }
        if let Some(x) = e.expiration
            && opts.expires
        {
            let _ = write!(s, " expires {}", fmt_time(x));
        }
        if let Some(c) = e.userdata.comment() {
            let _ = write!(s, " comment {}", quote(&c));
        }
        match &e.data {
            Some(ElemData::Verdict(v)) => {
                let _ = write!(s, " : {}", fmt_verdict(v));
            }
            Some(ElemData::Object(o)) => {
                let _ = write!(s, " : {}", quote(o));
            }
            Some(ElemData::Value(parts)) => {
                let d = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        fmt_part(
                            p,
                            dty.get(i).copied().unwrap_or(TYPE_INTEGER),
                            &opts.ifnames,
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" . ");
                let _ = write!(s, " : {d}");
            }
            None => {}
        }
        items.push(s);
    }
    items
}

pub(crate) fn type_name(ty: u32) -> String {
    if ty > 63 {
        Dt::concat(ty).name()
    } else {
        info(ty)
            .map(|i| i.name.to_string())
            .unwrap_or_else(|| "integer".into())
    }
}

/// The nftnl userdata TLVs (type, length, value) of `b`; `None` when malformed.
fn udata_tlvs(b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        let (&ty, r) = rest.split_first()?;
        let (&len, r) = r.split_first()?;
        let v = r.get(..usize::from(len))?;
        out.push((ty, v));
        rest = &r[usize::from(len)..];
    }
    Some(out)
}

fn udata_u32(tlvs: &[(u8, &[u8])], ty: u8) -> Option<u32> {
    let v = tlvs.iter().find(|(t, _)| *t == ty)?.1;
    Some(u32::from_ne_bytes(v.try_into().ok()?))
}

/// The selector text of a set's typeof userdata nest (`NFTNL_UDATA_SET_KEY_TYPEOF` /
/// `_DATA_TYPEOF`: expression kind and its `build_udata` bytes), for the payload, meta, ct and
/// concatenation kinds; `None` for anything else (printed by type instead).
fn typeof_text(nest: Option<&[u8]>) -> Option<String> {
    let tlvs = udata_tlvs(nest?)?;
    let etype = udata_u32(&tlvs, 0)?;
    let data = udata_tlvs(tlvs.iter().find(|(t, _)| *t == 1)?.1)?;
    match etype {
        // payload: protocol description and template index (0: raw, not printed this way)
        7 => {
            let p = proto::from_desc_id(udata_u32(&data, 0)?)?;
            let d = proto::desc(p);
            let t = d
                .templates
                .get(usize::try_from(udata_u32(&data, 1)?).ok()?)?;
            (!t.token.is_empty()).then(|| format!("{} {}", d.name, t.token))
        }
        9 => {
            let k = udata_u32(&data, 0)?;
            let m = proto::meta(k)?;
            Some(if proto::meta_unqualified(k) {
                m.token.to_string()
            } else {
                format!("meta {}", m.token)
            })
        }
        12 => {
            let c = proto::ct_key(udata_u32(&data, 0)?)?;
            let dir = match udata_u32(&data, 1)? {
                0 => "original ",
                1 => "reply ",
                _ => "",
            };
            Some(format!("ct {dir}{}", c.token))
        }
        // exthdr: template index, header id or option/chunk type, operation
        8 => super::exthdr::typeof_text(&data),
        // osf (no userdata of its own)
        11 => Some("osf name".to_string()),
        // xfrm: key, spnum, direction
        27 => {
            let key = udata_u32(&data, 0)?;
            let spnum = udata_u32(&data, 1)?;
            let dir = if udata_u32(&data, 2)? == 0 {
                "in"
            } else {
                "out"
            };
            let sp = if spnum != 0 {
                format!(" spnum {spnum}")
            } else {
                String::new()
            };
            let k = match key {
                1 => "ip daddr",
                2 => "ip6 daddr",
                3 => "ip saddr",
                4 => "ip6 saddr",
                5 => "reqid",
                6 => "spi",
                _ => return None,
            };
            Some(format!("ipsec {dir}{sp} {k}"))
        }
        13 => {
            let parts = data
                .iter()
                .map(|(_, sub)| typeof_text(Some(sub)))
                .collect::<Option<Vec<_>>>()?;
            (!parts.is_empty()).then(|| parts.join(" . "))
        }
        _ => None,
    }
}

pub(crate) fn print_set(
    set: &Set,
    t: &Table,
    opts: &PrintOptions,
    lossy: &mut Vec<String>,
) -> String {
    let mut b = String::new();
    let kw = if set.data.is_some() { "map" } else { "set" };
    let _ = write!(b, "\t{kw} {} {{", set.name);
    if opts.handles
        && let Some(h) = set.handle
    {
        let _ = write!(b, " # handle {h}");
    }
    b.push('\n');
    let key = if set.key.fields.len() > 1 {
        set.key
            .fields
            .iter()
            .map(|f| type_name(f.ty.0))
            .collect::<Vec<_>>()
            .join(" . ")
    } else {
        type_name(set.key.type_id)
    };
    let data = match &set.data {
        None => String::new(),
        Some(SetData::Verdict { .. }) => " : verdict".into(),
        Some(SetData::Object(o)) => format!(
            " : {}",
            match o {
                ObjectType::Counter => "counter",
                ObjectType::Quota => "quota",
                ObjectType::Limit => "limit",
                ObjectType::Secmark => "secmark",
                ObjectType::Synproxy => "synproxy",
                _ => "counter",
            }
        ),
        Some(SetData::Value(k)) => {
            let interval = set.userdata.get_u32(6).unwrap_or(0) != 0;
            let name = if k.fields.len() > 1 {
                k.fields
                    .iter()
                    .map(|f| type_name(f.ty.0))
                    .collect::<Vec<_>>()
                    .join(" . ")
            } else {
                type_name(k.type_id)
            };
            format!(" : {}{name}", if interval { "interval " } else { "" })
        }
    };
    // nft prints the expressions the set was declared with when its userdata has them.
    let typed =
        typeof_text(set.userdata.get(crate::netfilter::userdata::SET_KEY_TYPEOF)).and_then(|k| {
            match &set.data {
                Some(SetData::Value(_)) => {
                    let d = typeof_text(
                        set.userdata
                            .get(crate::netfilter::userdata::SET_DATA_TYPEOF),
                    )?;
                    let interval = set.userdata.get_u32(6).unwrap_or(0) != 0;
                    Some(format!(
                        "{k} : {}{d}",
                        if interval { "interval " } else { "" }
                    ))
                }
                _ => Some(format!("{k}{data}")),
            }
        });
    if typed.is_none() && (key == "integer" || key == "string") {
        lossy.push(format!(
            "table {} {} set {}: key type needs typeof",
            t.family.name(),
            t.name,
            set.name
        ));
    }
    match typed {
        Some(t) => {
            let _ = writeln!(b, "\t\ttypeof {t}");
        }
        None => {
            let _ = writeln!(b, "\t\ttype {key}{data}");
        }
    }
    // In nft's order: policy, size, flags, statement templates, auto-merge, timeout,
    // gc-interval, comment, elements.
    let f = set.flags.bits();
    if f & 0x2 == 0 {
        if set.policy == Some(SetPolicy::Memory) {
            b.push_str("\t\tpolicy memory\n");
        }
        if let Some(sz) = set.size {
            let _ = writeln!(b, "\t\tsize {sz}");
        }
    }
    // nft leaves the flags line out when `timeout` is the only flag and the set has a default
    // timeout (which implies it); otherwise it lists all four in this order.
    let timeout_implied = f & 0x10 != 0 && set.timeout.is_some_and(|t| t != 0);
    if f & (0x2 | 0x4 | 0x20) != 0 || (f & 0x10 != 0 && !timeout_implied) {
        let fl: Vec<&str> = [
            (0x2, "constant"),
            (0x20, "dynamic"),
            (0x4, "interval"),
            (0x10, "timeout"),
        ]
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect();
        let _ = writeln!(b, "\t\tflags {}", fl.join(","));
    }
    // The set's statement templates, stateless and on one line (`set_print_declaration`).
    let templates: Vec<String> = set.exprs.iter().filter_map(fmt_stateless).collect();
    if !templates.is_empty() {
        let _ = writeln!(b, "\t\t{}", templates.join(" "));
    }
    if set.userdata.get_u32(2).unwrap_or(0) != 0 {
        b.push_str("\t\tauto-merge\n");
    }
    if let Some(to) = set.timeout {
        let _ = writeln!(b, "\t\ttimeout {}", fmt_time(to));
    }
    if let Some(g) = set.gc_interval {
        let _ = writeln!(b, "\t\tgc-interval {}", fmt_time(u64::from(g)));
    }
    if let Some(c) = set.userdata.get(7) {
        let c: Vec<u8> = c.iter().copied().take_while(|x| *x != 0).collect();
        let _ = writeln!(b, "\t\tcomment {}", quote(&String::from_utf8_lossy(&c)));
    }
    if !set.elements.is_empty() {
        let _ = writeln!(b, "\t\telements = {}", fmt_elements_named(set, opts));
    }
    b.push_str("\t}\n");
    b
}

/// A time in milliseconds as nft prints it (`1h30m`, `250ms`; never weeks).
fn fmt_time(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut s = String::new();
    let mut rest = ms;
    for (unit, n) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if rest >= n {
            let _ = write!(s, "{}{unit}", rest / n);
            rest %= n;
        }
    }
    if rest > 0 {
        let _ = write!(s, "{rest}ms");
    }
    s
}

/// A byte count in the largest unit that divides it, as nft prints quotas (`100 mbytes`).
fn bytes_unit(n: u64) -> String {
    let mut v = n;
    let mut unit = 0;
    while unit < 4 && v >= 1024 && v % 1024 == 0 {
        v /= 1024;
        unit += 1;
    }
    let name = ["bytes", "kbytes", "mbytes", "gbytes", "tbytes"][unit];
    format!("{v} {name}")
}

fn time_unit(u: u64) -> &'static str {
    match u {
        60 => "minute",
        3600 => "hour",
        86400 => "day",
        604800 => "week",
        _ => "second",
    }
}

fn fmt_stateful(x: &Expr) -> Option<String> {
    Some(match x {
        Expr::Counter(c) => format!("counter packets {} bytes {}", c.packets, c.bytes),
        Expr::Limit(l) => fmt_limit_stmt(l, "limit rate "),
        Expr::Quota(q) => {
            let mut s = format!(
                "quota {}{}",
                if q.flags & 1 != 0 { "over " } else { "" },
                bytes_unit(q.bytes)
            );
            if q.consumed != 0 {
                let _ = write!(s, " used {}", bytes_unit(q.consumed));
            }
            s
        }
        Expr::Connlimit(c) => format!(
            "ct count {}{}",
            if c.flags & 1 != 0 { "over " } else { "" },
            c.count
        ),
        // nftables ≥ 1.0.7's `last_stmt_print`.
        Expr::Last(l) => match (l.set, l.msecs) {
            (Some(1), Some(ms)) => format!("last used {}", fmt_time(ms)),
            _ => "last used never".to_string(),
        },
        _ => return None,
    })
}

/// A limit as nft prints one in a rule, a set element, a declaration or a limit object
/// (`limit_stmt_print`, `obj_print_data`): byte rates and bursts in the largest whole unit, the
/// default packet burst of 5 left out. `prefix` is `limit rate ` or, in an object, `rate `.
fn fmt_limit_stmt(l: &crate::netfilter::expr::Limit, prefix: &str) -> String {
    let over = if l.flags & 1 != 0 { "over " } else { "" };
    let per = time_unit(l.unit);
    if l.kind == LimitKind::Bytes {
        let mut s = format!("{prefix}{over}{}/{per}", bytes_unit(l.rate));
        if l.burst != 0 {
            let _ = write!(s, " burst {}", bytes_unit(u64::from(l.burst)));
        }
        s
    } else {
        let mut s = format!("{prefix}{over}{}/{per}", l.rate);
        if l.burst != 0 && l.burst != 5 {
            let _ = write!(s, " burst {} packets", l.burst);
        }
        s
    }
}

/// A stateful statement printed stateless, as nft prints a set update's, a meter's and a set
/// declaration's (`NFT_CTX_OUTPUT_STATELESS`): a bare `counter` and `last`, a quota without
/// `used`.
fn fmt_stateless(x: &Expr) -> Option<String> {
    match x {
        Expr::Counter(_) => Some("counter".to_string()),
        Expr::Last(_) => Some("last".to_string()),
        Expr::Quota(q) => fmt_stateful(&Expr::Quota(crate::netfilter::expr::Quota {
            consumed: 0,
            ..*q
        })),
        other => fmt_stateful(other),
    }
}

fn print_object(o: &crate::netfilter::obj::Object, _t: &Table, lossy: &mut Vec<String>) -> String {
    let mut b = String::new();
    let (kw, body): (&str, Vec<String>) = match &o.data {
        ObjectData::Counter(c) => (
            "counter",
            vec![format!("packets {} bytes {}", c.packets, c.bytes)],
        ),
        ObjectData::Quota(q) => {
            // As nft prints it: `over` only when inverted, `used` only when non-zero.
            let mut s = format!(
                "{}{}",
                if q.flags & 1 != 0 { "over " } else { "" },
                bytes_unit(q.bytes)
            );
            if q.consumed != 0 {
                let _ = write!(s, " used {}", bytes_unit(q.consumed));
            }
            ("quota", vec![s])
        }
        ObjectData::Limit(l) => ("limit", vec![fmt_limit_stmt(l, "rate ")]),
        ObjectData::Secmark(s) => ("secmark", vec![quote(s)]),
        ObjectData::Synproxy(sp) => {
            let fl = sp.flags.unwrap_or(0);
            let mut v = vec![
                format!("mss {}", sp.mss.unwrap_or(0)),
                format!("wscale {}", sp.wscale.unwrap_or(0)),
            ];
            let opts: Vec<&str> = [(4, "timestamp"), (8, "sack-perm")]
                .iter()
                .filter(|(bit, _)| fl & bit != 0)
                .map(|(_, n)| *n)
                .collect();
            if !opts.is_empty() {
                v.push(opts.join(" "));
            }
            ("synproxy", v)
        }
        ObjectData::CtHelper(h) => {
            let mut v = vec![format!(
                "type {} protocol {}",
                quote(&h.name),
                if h.l4proto == 17 { "udp" } else { "tcp" }
            )];
            if let Some(l3) = h.l3proto {
                v.push(format!("l3proto {}", l3_name(l3)));
            }
            ("ct helper", v)
        }
        ObjectData::CtExpectation(e) => {
            let mut v = vec![
                format!("protocol {}", if e.l4proto == 17 { "udp" } else { "tcp" }),
                format!("dport {}", e.dport),
                format!("timeout {}", fmt_time(u64::from(e.timeout))),
                format!("size {}", e.size),
            ];
            if let Some(l3) = e.l3proto {
                v.push(format!("l3proto {}", l3_name(l3)));
            }
            ("ct expectation", v)
        }
        ObjectData::CtTimeout(t) if super::program::timeout_states(t.l4proto).is_some() => {
            let states = super::program::timeout_states(t.l4proto).unwrap_or_default();
            let mut v = vec![format!(
                "protocol {}",
                if t.l4proto == 17 { "udp" } else { "tcp" }
            )];
            if let Some(l3) = t.l3proto {
                v.push(format!("l3proto {}", l3_name(l3)));
            }
            // As nft lists it: only the states whose timeout differs from the default.
            let policy: Vec<String> = t
                .timeouts
                .iter()
                .filter_map(|(attr, secs)| {
                    let (name, default) = states.get(usize::from(*attr).checked_sub(1)?)?;
                    (secs != default).then(|| format!("{name} : {secs}"))
                })
                .collect();
            if !policy.is_empty() {
                v.push(format!("policy = {{ {} }}", policy.join(", ")));
            }
            ("ct timeout", v)
        }
        other => {
            lossy.push(format!("object {}: {:?} is not printed", o.name, o.kind()));
            let _ = other;
            return format!(
                "\t# linx: object {} ({:?}) not printable\n",
                o.name,
                o.kind()
            );
        }
    };
    let _ = writeln!(b, "\t{kw} {} {{", o.name);
    // nft lists an object's comment first.
    if let Some(c) = o.userdata.comment() {
        let _ = writeln!(b, "\t\tcomment {}", quote(&c));
    }
    for l in body {
        let _ = writeln!(b, "\t\t{l}");
    }
    b.push_str("\t}\n");
    b
}

pub(crate) fn l3_name(n: u16) -> &'static str {
    match n {
        2 => "ip",
        10 => "ip6",
        1 => "inet",
        _ => "ip",
    }
}

// ------------------------------------------------------------------------------------------------
// rules

/// What a register holds.
#[derive(Clone, Debug, PartialEq)]
enum X {
    Payload {
        base: u8,
        off: u32,
        len: u32,
    },
    Meta(u32),
    Ct {
        key: u32,
        dir: Option<u8>,
    },
    Rt(u32),
    Socket {
        key: u32,
        level: Option<u32>,
    },
    Fib {
        result: u32,
        flags: u32,
    },
    Numgen {
        inc: bool,
        modulus: u32,
        offset: u32,
    },
    Hash {
        sym: bool,
        key: Option<Box<X>>,
        modulus: u32,
        seed: Option<u32>,
        offset: u32,
    },
    Imm(Vec<u8>),
    Mask {
        x: Box<X>,
        mask: Vec<u8>,
        xor: Vec<u8>,
    },
    Shift {
        x: Box<X>,
        left: bool,
        n: u32,
    },
    Conv(Box<X>),
    MapGet {
        key: Box<X>,
        set: String,
    },
    Concat(Vec<X>),
    /// An `exthdr` load (offset and length in bits).
    Exthdr {
        op: u32,
        kind: u8,
        off: u32,
        len: u32,
        flags: u32,
    },
    Osf {
        ttl: u8,
        flags: u32,
    },
    Xfrm {
        key: u32,
        dir: u8,
        spnum: u32,
    },
}

/// A named selector: its text and value type.
#[derive(Clone, Debug)]
struct Named {
    text: String,
    ty: u32,
    bo: Bo,
    /// Bits of the field.
    len: u32,
    /// The load is shorter than the field (`ip saddr 10.0.0.0/8` as a 1-byte load).
    prefix_of: Option<u32>,
    /// Bit field: the value is shifted by this much in the loaded bytes.
    shift: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dep {
    /// A protocol match nft generates as an implicit dependency.
    Proto,
}

#[derive(Clone, Debug)]
struct Item {
    text: String,
    dep: Option<Dep>,
}

struct Dec<'a> {
    family: Family,
    table: &'a Table,
    opts: &'a PrintOptions,
    regs: Vec<Option<(X, u32)>>,
    items: Vec<Item>,
    ll: Option<P>,
    nl: Option<P>,
    tl: Option<P>,
    stacked: u32,
    pending_cmp: Option<(u32, Vec<u8>)>,
    failed: Option<String>,
}

fn slot(r: Reg) -> usize {
    let r = r.0 as usize;
    if r >= 8 {
        r - 8
    } else {
        r.saturating_sub(1) * 4
    }
}

fn be(d: &[u8]) -> u128 {
    import(d, Bo::Big)
}

impl<'a> Dec<'a> {
    fn new(family: Family, table: &'a Table, opts: &'a PrintOptions) -> Dec<'a> {
        let (ll, nl) = match family {
            Family::Ip => (None, Some(P::Ip)),
            Family::Ip6 => (None, Some(P::Ip6)),
            Family::Arp => (None, Some(P::Arp)),
            Family::Inet => (Some(P::Inet), None),
            Family::Bridge => (Some(P::Eth), None),
            Family::Netdev => (Some(P::Netdev), None),
        };
        Dec {
            family,
            table,
            opts,
            regs: vec![None; 16],
            items: Vec::new(),
            ll,
            nl,
            tl: None,
            stacked: 0,
            pending_cmp: None,
            failed: None,
        }
    }

    fn fail(&mut self, why: impl Into<String>) {
        if self.failed.is_none() {
            self.failed = Some(why.into());
        }
    }

    fn set_reg(&mut self, r: Reg, x: X, len: u32) {
        let s = slot(r);
        if s >= 16 {
            return;
        }
        let n = (len.div_ceil(4) as usize).max(1);
        for i in s..(s + n).min(16) {
            self.regs[i] = None;
        }
        self.regs[s] = Some((x, len));
    }

    fn reg(&mut self, r: Reg) -> X {
        let s = slot(r);
        match self.regs.get(s).cloned().flatten() {
            Some((x, _)) => x,
            None => {
                self.fail(format!("register {} read before written", r.0));
                X::Imm(Vec::new())
            }
        }
    }

    /// Reads `len` bytes starting at `r`: one value or a concatenation.
    fn reg_len(&mut self, r: Reg, len: u32) -> X {
        let mut s = slot(r);
        let mut parts = Vec::new();
        let mut covered = 0u32;
        while covered < len && s < 16 {
            match self.regs[s].clone() {
                Some((x, l)) => {
                    covered += l.div_ceil(4) * 4;
                    s += l.div_ceil(4) as usize;
                    parts.push(x);
                }
                None => {
                    self.fail("concatenation register missing");
                    break;
                }
            }
        }
        if parts.len() == 1 {
            parts.remove(0)
        } else {
            X::Concat(parts)
        }
    }

    fn desc_at(&self, base: u8) -> Option<P> {
        match base {
            proto::BASE_LL => self.ll,
            proto::BASE_NETWORK => self.nl,
            proto::BASE_TRANSPORT => self.tl,
            _ => None,
        }
    }

    /// Names a payload region through the protocol context.
    fn name_payload(&self, base: u8, off: u32, len: u32) -> Option<Named> {
        let mut off = off;
        if base == proto::BASE_LL {
            off = off.checked_sub(self.stacked)?;
        }
        let desc = self.desc_at(base);
        if desc.is_none_or(|d| matches!(d, P::Unknown | P::InetService))
            && let Some(n) = Self::transport_port(base, off, len)
        {
            return Some(n);
        }
        let d = desc?;
        if matches!(d, P::Inet | P::Netdev | P::Unknown | P::InetService) {
            return None;
        }
        let pd = proto::desc(d);
        for t in pd.templates.iter().skip(1) {
            if t.meta_key.is_some() || t.len == 0 {
                continue;
            }
            if t.offset == off && t.len == len {
                return Some(Named {
                    text: format!("{} {}", pd.name, t.token),
                    ty: t.dtype,
                    bo: t.bo,
                    len: t.len,
                    prefix_of: None,
                    shift: 0,
                });
            }
        }
        for t in pd.templates.iter().skip(1) {
            if t.meta_key.is_some() || t.len == 0 {
                continue;
            }
            if t.offset == off
                && len < t.len
                && len % 8 == 0
                && matches!(t.dtype, TYPE_IPADDR | TYPE_IP6ADDR | TYPE_ETHERADDR)
            {
                return Some(Named {
                    text: format!("{} {}", pd.name, t.token),
                    ty: t.dtype,
                    bo: t.bo,
                    len: t.len,
                    prefix_of: Some(len),
                    shift: 0,
                });
            }
        }
        None
    }

    /// A bit field inside a byte-aligned payload load under `mask`.
    fn name_bits(&self, base: u8, off: u32, len: u32, mask: &[u8]) -> Option<Named> {
        let mut off = off;
        if base == proto::BASE_LL {
            off = off.checked_sub(self.stacked)?;
        }
        let d = self.desc_at(base)?;
        if matches!(d, P::Inet | P::Netdev | P::Unknown | P::InetService) {
            return None;
        }
        let pd = proto::desc(d);
        let m = be(mask);
        for t in pd.templates.iter().skip(1) {
            if t.meta_key.is_some() || t.len == 0 {
                continue;
            }
            if t.offset < off || t.offset + t.len > off + len {
                continue;
            }
            let shift = off + len - (t.offset + t.len);
            if mask.len() as u32 * 8 == len && m == bitmask(t.len) << shift {
                return Some(Named {
                    text: format!("{} {}", pd.name, t.token),
                    ty: t.dtype,
                    bo: Bo::Big,
                    len: t.len,
                    prefix_of: None,
                    shift,
                });
            }
        }
        None
    }

    /// `th sport` / `th dport`: nft reads every 16-bit transport load at offset 0 or 16 so,
    /// unless the protocol context has a field there (after `icmp type …`, a set or range
    /// on the first 16 bits stays `th sport`; an equality is split into type and code first).
    fn transport_port(base: u8, off: u32, len: u32) -> Option<Named> {
        (base == proto::BASE_TRANSPORT && len == 16 && (off == 0 || off == 16)).then(|| Named {
            text: format!("th {}", if off == 0 { "sport" } else { "dport" }),
            ty: TYPE_INET_SERVICE,
            bo: Bo::Big,
            len: 16,
            prefix_of: None,
            shift: 0,
        })
    }

    fn raw_payload(base: u8, off: u32, len: u32) -> String {
        let b = match base {
            proto::BASE_LL => "ll",
            proto::BASE_NETWORK => "nh",
            proto::BASE_TRANSPORT => "th",
            _ => "ih",
        };
        format!("@{b},{off},{len}")
    }

    /// Names any selector.
    fn name(&mut self, x: &X) -> Named {
        let plain = |text: String, ty: u32, bo: Bo, len: u32| Named {
            text,
            ty,
            bo,
            len,
            prefix_of: None,
            shift: 0,
        };
        match x {
            X::Payload { base, off, len } => match self
                .name_payload(*base, *off, *len)
                .or_else(|| Self::transport_port(*base, *off, *len))
            {
                Some(n) => n,
                None => plain(
                    Self::raw_payload(*base, *off, *len),
                    TYPE_XINTEGER,
                    Bo::Big,
                    *len,
                ),
            },
            X::Meta(k) => {
                let Some(m) = proto::meta(*k) else {
                    self.fail(format!("meta key {k}"));
                    return plain(format!("meta {k}"), TYPE_INTEGER, Bo::Host, 32);
                };
                let text = if proto::meta_unqualified(*k) {
                    m.token.to_string()
                } else {
                    format!("meta {}", m.token)
                };
                plain(text, m.dtype, m.bo, m.len)
            }
            X::Ct { key, dir } => {
                let Some(c) = proto::ct_key(*key) else {
                    self.fail(format!("ct key {key}"));
                    return plain(format!("ct {key}"), TYPE_INTEGER, Bo::Host, 32);
                };
                let d = match dir {
                    Some(0) => "original ",
                    Some(1) => "reply ",
                    _ => "",
                };
                let (mut ty, mut len) = (c.dtype, c.len);
                if matches!(key, 8 | 9) {
                    match self.nl {
                        Some(P::Ip6) => {
                            ty = TYPE_IP6ADDR;
                            len = 128;
                        }
                        _ => {
                            ty = TYPE_IPADDR;
                            len = 32;
                        }
                    }
                }
                if matches!(key, 11 | 12) {
                    ty = TYPE_INET_SERVICE;
                }
                plain(format!("ct {d}{}", c.token), ty, c.bo, len)
            }
            X::Rt(k) => {
                let (t, ty, bo, len) = match k {
                    0 => ("rt classid", TYPE_REALM, Bo::Host, 32),
                    1 => ("rt ip nexthop", TYPE_IPADDR, Bo::Big, 32),
                    2 => ("rt ip6 nexthop", TYPE_IP6ADDR, Bo::Big, 128),
                    3 => ("rt mtu", TYPE_INTEGER, Bo::Host, 16),
                    _ => ("rt ipsec", TYPE_BOOLEAN, Bo::Host, 8),
                };
                plain(t.to_string(), ty, bo, len)
            }
            X::Socket { key, .. } => {
                let (t, ty, len) = match key {
                    0 => ("socket transparent", TYPE_INTEGER, 8),
                    1 => ("socket mark", TYPE_MARK, 32),
                    _ => ("socket wildcard", TYPE_INTEGER, 8),
                };
                if *key > 2 {
                    self.fail("socket cgroupv2");
                }
                plain(t.to_string(), ty, Bo::Host, len)
            }
            X::Fib { result, flags } => {
                let mut f = Vec::new();
                for (bit, n) in [
                    (1, "saddr"),
                    (2, "daddr"),
                    (4, "mark"),
                    (8, "iif"),
                    (16, "oif"),
                ] {
                    if flags & bit != 0 {
                        f.push(n);
                    }
                }
                let (r, ty, len) = match result {
                    1 => ("oif", TYPE_IFINDEX, 32),
                    2 => ("oifname", TYPE_STRING, 128),
                    _ => ("type", TYPE_FIB_ADDR, 32),
                };
                let ty = if flags & 32 != 0 { TYPE_BOOLEAN } else { ty };
                plain(format!("fib {} {r}", f.join(" . ")), ty, Bo::Host, len)
            }
            X::Numgen {
                inc,
                modulus,
                offset,
            } => {
                let mut s = format!(
                    "numgen {} mod {modulus}",
                    if *inc { "inc" } else { "random" }
                );
                if *offset != 0 {
                    let _ = write!(s, " offset {offset}");
                }
                plain(s, TYPE_INTEGER, Bo::Host, 32)
            }
            X::Hash {
                sym,
                key,
                modulus,
                seed,
                offset,
            } => {
                let mut s = if *sym {
                    format!("symhash mod {modulus}")
                } else {
                    let k = key.as_ref().map(|k| self.name(k).text).unwrap_or_default();
                    format!("jhash {k} mod {modulus}")
                };
                if let Some(sd) = seed {
                    let _ = write!(s, " seed 0x{sd:x}");
                }
                if *offset != 0 {
                    let _ = write!(s, " offset {offset}");
                }
                plain(s, TYPE_INTEGER, Bo::Host, 32)
            }
            X::Concat(items) => {
                let names: Vec<Named> = items.iter().map(|i| self.name(i)).collect();
                let ty = names.iter().fold(0, |acc, n| concat_add(acc, n.ty));
                plain(
                    names
                        .iter()
                        .map(|n| n.text.clone())
                        .collect::<Vec<_>>()
                        .join(" . "),
                    ty,
                    Bo::Invalid,
                    names.iter().map(|n| padded(n.len)).sum(),
                )
            }
            X::Conv(x) => {
                let mut n = self.name(x);
                n.bo = if n.bo == Bo::Host { Bo::Big } else { Bo::Host };
                n
            }
            X::Mask { x, mask, xor } => {
                if let X::Exthdr {
                    op,
                    kind,
                    off,
                    len,
                    flags: 0,
                } = **x
                    && xor.iter().all(|b| *b == 0)
                    && mask.len() as u32 * 8 == len
                    && let Some((n, shift)) = super::exthdr::name_bits(op, kind, off, len, be(mask))
                {
                    return Named {
                        text: n.text,
                        ty: n.dtype,
                        bo: Bo::Big,
                        len: n.len,
                        prefix_of: None,
                        shift,
                    };
                }
                // A bit field under its mask (`ip dscp`, `ip6 flowlabel`, `tcp doff`): values
                // compared with it are shifted into place (`ip dscp cs1` is `& 0xfc == 0x20`),
                // which `shift` undoes when they are printed.
                if let X::Payload { base, off, len } = **x
                    && self.name_payload(base, off, len).is_none()
                    && xor.iter().all(|b| *b == 0)
                    && let Some(n) = self.name_bits(base, off, len, mask)
                {
                    return n;
                }
                let inner = self.name(x);
                let text = self.fmt_bitwise(&inner, mask, xor);
                Named { text, ..inner }
            }
            X::Shift { x, left, n } => {
                if !left
                    && let X::Mask { x: px, mask, xor } = &**x
                    && let X::Payload { base, off, len } = **px
                    && xor.iter().all(|b| *b == 0)
                    && let Some(nm) = self.name_bits(base, off, len, mask)
                    && nm.shift == *n
                {
                    return Named { shift: 0, ..nm };
                }
                let inner = self.name(x);
                Named {
                    text: format!("{} {} {n}", inner.text, if *left { "<<" } else { ">>" }),
                    ..inner
                }
            }
            X::Exthdr {
                op,
                kind,
                off,
                len,
                flags,
            } => match super::exthdr::name(*op, *kind, *off, *len, *flags) {
                Some(n) => plain(n.text, n.dtype, Bo::Big, n.len),
                // No nft syntax (an unknown field of an IPv6 header, IPv4 option or SCTP
                // chunk): this text does not parse, so verification reports the rule lossy.
                None => plain(
                    format!("@exthdr,{op},{kind},{off},{len}"),
                    TYPE_INTEGER,
                    Bo::Big,
                    *len,
                ),
            },
            X::Osf { ttl, flags } => {
                let t = match ttl {
                    1 => "ttl loose ",
                    2 => "ttl skip ",
                    _ => "",
                };
                let k = if flags & 1 != 0 { "version" } else { "name" };
                plain(format!("osf {t}{k}"), TYPE_STRING, Bo::Host, 128)
            }
            X::Xfrm { key, dir, spnum } => {
                let d = if *dir == 0 { "in" } else { "out" };
                let sp = if *spnum != 0 {
                    format!(" spnum {spnum}")
                } else {
                    String::new()
                };
                let (k, ty, bo, len) = match key {
                    1 => ("ip daddr", TYPE_IPADDR, Bo::Big, 32),
                    2 => ("ip6 daddr", TYPE_IP6ADDR, Bo::Big, 128),
                    3 => ("ip saddr", TYPE_IPADDR, Bo::Big, 32),
                    4 => ("ip6 saddr", TYPE_IP6ADDR, Bo::Big, 128),
                    5 => ("reqid", TYPE_INTEGER, Bo::Host, 32),
                    6 => ("spi", TYPE_INTEGER, Bo::Big, 32),
                    _ => {
                        self.fail(format!("xfrm key {key}"));
                        ("spi", TYPE_INTEGER, Bo::Big, 32)
                    }
                };
                plain(format!("ipsec {d}{sp} {k}"), ty, bo, len)
            }
            X::MapGet { key, set } => {
                let k = self.name(key);
                let (ty, len) = self.set_data_type(set);
                let m = self.fmt_setref(set, true);
                plain(format!("{} map {m}", k.text), ty, Bo::Host, len)
            }
            X::Imm(d) => plain(
                format!("0x{}", hexs(d)),
                TYPE_INTEGER,
                Bo::Big,
                (d.len() * 8) as u32,
            ),
        }
    }

    fn set_data_type(&self, set: &str) -> (u32, u32) {
        match self
            .table
            .sets
            .iter()
            .find(|s| s.name == set)
            .and_then(|s| s.data.clone())
        {
            Some(SetData::Value(k)) => (k.type_id, k.len * 8),
            Some(SetData::Verdict { .. }) => (TYPE_VERDICT, 0),
            _ => (TYPE_INTEGER, 32),
        }
    }

    fn fmt_bitwise(&self, inner: &Named, mask: &[u8], xor: &[u8]) -> String {
        let bo = inner.bo;
        let n = mask.len();
        let m = import(mask, bo);
        let x = import(xor, bo);
        let all = bitmask((n * 8) as u32);
        let v = |v: u128| self.fmt_const(inner, &export(v, bo, n));
        if x == 0 {
            format!("{} & {}", inner.text, v(m))
        } else if m | x == all && m & x == 0 {
            format!("{} | {}", inner.text, v(x))
        } else if m == all {
            format!("{} ^ {}", inner.text, v(x))
        } else {
            format!("{} & {} ^ {}", inner.text, v(m), v(x))
        }
    }

    /// A constant in the selector's type.
    fn fmt_const(&self, n: &Named, data: &[u8]) -> String {
        let v = import(data, n.bo) >> n.shift;
        if n.ty == TYPE_IFINDEX
            && let Some(name) = self.opts.ifnames.get(&(v as u32))
        {
            return quote(name);
        }
        if n.ty > 63 {
            // A concatenation: split the data by the component widths.
            let subs = concat_subtypes(n.ty);
            let mut out = Vec::new();
            let mut pos = 0usize;
            for s in subs {
                let dt = Dt::of(s);
                let w = (dt.size.div_ceil(8)) as usize;
                let part = data.get(pos..pos + w).unwrap_or(&[]);
                out.push(fmt_typed(s, import(part, dt.bo), dt.size));
                pos += (dt.size.div_ceil(32) * 4) as usize;
            }
            return out.join(" . ");
        }
        if matches!(n.ty, TYPE_STRING | TYPE_IFNAME) {
            let b = string_bytes(import(data, Bo::Host), data.len().min(16));
            return quote(&String::from_utf8_lossy(&b));
        }
        fmt_typed(n.ty, v, (data.len() * 8) as u32)
    }

    /// [`fmt_setref`](Self::fmt_setref) for a key that is a bit field shifted into place
    /// (`ip dscp { cs1, af41 }` stores `cs1 << 2`): anonymous elements are shifted back.
    /// A raw payload key (`@th,0,32 { 0x1, 0x2 }`) prints its anonymous elements in hex.
    fn fmt_setref_shifted(&mut self, name: &str, map: bool, key: &Named) -> String {
        let shift = key.shift;
        let raw = key.ty == TYPE_XINTEGER;
        if (shift == 0 && !raw) || !is_anon(name) {
            return self.fmt_setref(name, map);
        }
        let Some(mut set) = self.table.sets.iter().find(|s| s.name == name).cloned() else {
            return self.fmt_setref(name, map);
        };
        if raw && set.key.fields.len() <= 1 {
            set.key.fields.clear();
            set.key.type_id = TYPE_XINTEGER;
        }
        let down = |v: &mut Value| match v {
            Value::Int(i) => *i >>= shift,
            Value::Bytes(b) => {
                let x = import(b, Bo::Big) >> shift;
                let n = b.len();
                for (i, byte) in b.iter_mut().enumerate() {
                    *byte = (x >> (8 * (n - 1 - i))) as u8;
                }
            }
            _ => {}
        };
        map_key_values(&mut set, down);
        fmt_elements(&set, self.opts)
    }

    fn fmt_setref(&mut self, name: &str, map: bool) -> String {
        if !is_anon(name) {
            return format!("@{name}");
        }
        let Some(set) = self.table.sets.iter().find(|s| s.name == name) else {
            self.fail(format!("anonymous set {name} not found"));
            return format!("@{name}");
        };
        let _ = map;
        fmt_elements(set, self.opts)
    }

    fn push(&mut self, text: String) {
        self.items.push(Item { text, dep: None });
    }

    fn is_proto_key(&self, x: &X) -> bool {
        match x {
            X::Meta(k) => matches!(k, 1 | 8 | 15 | 16),
            X::Payload { base, off, len } => {
                let Some(n) = self.name_payload(*base, *off, *len) else {
                    return false;
                };
                matches!(
                    n.text.as_str(),
                    "ip protocol" | "ip6 nexthdr" | "ether type" | "vlan type"
                )
            }
            X::Ct { key, .. } => matches!(key, 7 | 10),
            _ => false,
        }
    }

    /// Updates the protocol context after `x == data`.
    fn ctx_update(&mut self, x: &X, data: &[u8]) {
        match x {
            X::Meta(16) => {
                self.tl = proto::find_upper(P::InetService, u32::from(data[0])).or(Some(P::Unknown))
            }
            X::Meta(15) => {
                self.nl = match data[0] {
                    2 => Some(P::Ip),
                    10 => Some(P::Ip6),
                    _ => Some(P::Unknown),
                }
            }
            X::Meta(1) => {
                if matches!(self.family, Family::Netdev | Family::Bridge) {
                    self.nl = match be(data) {
                        0x0800 => Some(P::Ip),
                        0x86dd => Some(P::Ip6),
                        0x0806 => Some(P::Arp),
                        _ => Some(P::Unknown),
                    };
                }
            }
            X::Meta(8) if u16::from_ne_bytes([data[0], *data.get(1).unwrap_or(&0)]) == 1 => {
                self.ll = Some(P::Eth);
            }
            X::Ct { key: 7, .. } => {
                self.nl = match data[0] {
                    2 => Some(P::Ip),
                    10 => Some(P::Ip6),
                    _ => self.nl,
                }
            }
            X::Payload { base, off, len } => {
                let Some(n) = self.name_payload(*base, *off, *len) else {
                    return;
                };
                match n.text.as_str() {
                    "ip protocol" | "ip6 nexthdr" => {
                        let p = proto::find_upper(P::InetService, u32::from(data[0]));
                        self.tl = p.or(Some(P::Unknown));
                    }
                    "ether type" | "vlan type" => {
                        let v = be(data) as u16;
                        match v {
                            0x8100 | 0x88a8 => {
                                let cur = self.ll.unwrap_or(P::Eth);
                                self.stacked += proto::desc(cur).length;
                                self.ll = Some(P::Vlan);
                            }
                            0x0800 => self.nl = Some(P::Ip),
                            0x86dd => self.nl = Some(P::Ip6),
                            0x0806 => self.nl = Some(P::Arp),
                            _ => self.nl = Some(P::Unknown),
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Whole header fields exactly covering `[off, off+len)` (payload matches nft merged).
    fn split_payload(&self, base: u8, off: u32, len: u32) -> Option<Vec<(u32, u32)>> {
        let mut o = off;
        if base == proto::BASE_LL {
            o = o.checked_sub(self.stacked)?;
        }
        let d = self.desc_at(base)?;
        if matches!(d, P::Inet | P::Netdev | P::Unknown | P::InetService) {
            return None;
        }
        let pd = proto::desc(d);
        let end = o + len;
        let mut parts = Vec::new();
        let mut cur = o;
        while cur < end {
            let t = pd.templates.iter().skip(1).find(|t| {
                t.meta_key.is_none()
                    && t.offset == cur
                    && t.len > 0
                    && t.len % 8 == 0
                    && cur + t.len <= end
            })?;
            parts.push((t.offset + (off - o), t.len));
            cur += t.len;
        }
        (parts.len() > 1).then_some(parts)
    }

    fn cmp(&mut self, sreg: Reg, op: CmpOp, data: &Data) {
        let x = self.reg(sreg);
        let d = &data.0;
        if matches!(op, CmpOp::Eq | CmpOp::Neq)
            && let X::Payload { base, off, len } = x
            && self.name_payload(base, off, len).is_none()
            && d.len() as u32 * 8 == len
            && let Some(parts) = self.split_payload(base, off, len)
        {
            let mut pos = 0usize;
            for (o, l) in parts {
                let n = (l / 8) as usize;
                let piece = Data(d[pos..pos + n].to_vec());
                pos += n;
                let r = Reg(1000);
                let _ = r;
                self.cmp_x(
                    X::Payload {
                        base,
                        off: o,
                        len: l,
                    },
                    op,
                    &piece,
                );
            }
            return;
        }
        self.cmp_x(x, op, data);
    }

    fn cmp_x(&mut self, x: X, op: CmpOp, data: &Data) {
        let d = &data.0;
        // icmp type dependency of echo/mtu fields and the like are plain matches here.
        let n = self.name(&x);
        // Flag tests and flag comparisons under a mask, as nft lists them: `(x & m) != 0` is
        // `x m`, `(x & m) == 0` is `x ! m`, `(x & m) == v` is `x v / m` (`!=` alike).
        if matches!(op, CmpOp::Eq | CmpOp::Neq)
            && let X::Mask {
                x: inner,
                mask,
                xor,
            } = &x
            && xor.iter().all(|b| *b == 0)
        {
            let ni = self.name(inner);
            if Dt::of(ni.ty).is_bitmask() {
                let m = import(mask, ni.bo) >> ni.shift;
                let v = import(d, ni.bo) >> ni.shift;
                let neg = if op == CmpOp::Neq { "!= " } else { "" };
                let text = match (fmt_flags(ni.ty, m, ","), v) {
                    (Some(mf), 0) if op == CmpOp::Neq => Some(format!("{} {mf}", ni.text)),
                    (Some(mf), 0) => Some(format!("{} ! {mf}", ni.text)),
                    (Some(mf), v) => {
                        fmt_flags(ni.ty, v, ",").map(|vf| format!("{} {neg}{vf} / {mf}", ni.text))
                    }
                    _ => None,
                };
                if let Some(text) = text {
                    self.push(text);
                    return;
                }
            }
        }
        let opt = match op {
            CmpOp::Eq => "",
            CmpOp::Neq => "!= ",
            CmpOp::Lt => "< ",
            CmpOp::Lte => "<= ",
            CmpOp::Gt => "> ",
            CmpOp::Gte => ">= ",
        };
        // Prefix match: a shorter load or a prefix mask.
        let (ntext, value) = if let Some(plen) = n.prefix_of {
            let mut full = d.clone();
            full.resize((n.len / 8) as usize, 0);
            (
                n.text.clone(),
                format!("{}/{plen}", fmt_typed(n.ty, import(&full, n.bo), n.len)),
            )
        } else if (d.len() as u32) * 8 < n.len && matches!(n.ty, TYPE_STRING | TYPE_IFNAME) {
            let s = String::from_utf8_lossy(d).to_string();
            (n.text.clone(), quote(&format!("{s}*")))
        } else if (d.len() as u32) * 8 < n.len
            && matches!(n.ty, TYPE_IPADDR | TYPE_IP6ADDR | TYPE_ETHERADDR)
        {
            let mut full = d.clone();
            full.resize((n.len / 8) as usize, 0);
            (
                n.text.clone(),
                format!(
                    "{}/{}",
                    fmt_typed(n.ty, import(&full, n.bo), n.len),
                    d.len() * 8
                ),
            )
        } else if let X::Mask {
            x: inner,
            mask,
            xor,
        } = &x
            && xor.iter().all(|b| *b == 0)
            && matches!(op, CmpOp::Eq | CmpOp::Neq)
            && let ni = self.name(inner)
            // nft's types with prefix notation (`DTYPE_F_PREFIX`)
            && matches!(ni.ty, TYPE_IPADDR | TYPE_IP6ADDR | TYPE_MARK | TYPE_REALM)
            && is_prefix_mask(&import(mask, ni.bo), ni.len)
        {
            let plen = import(mask, ni.bo).count_ones();
            (
                ni.text.clone(),
                format!("{}/{plen}", fmt_typed(ni.ty, import(d, ni.bo), ni.len)),
            )
        } else {
            let v = if Dt::of(n.ty).is_bitmask() && op == CmpOp::Eq {
                let v = import(d, n.bo) >> n.shift;
                match fmt_flags(n.ty, v, "|") {
                    Some(f) if v.count_ones() == 1 => f,
                    _ => format!("0x{v:x}"),
                }
            } else {
                self.fmt_const(&n, d)
            };
            (n.text.clone(), v)
        };
        let proto_dep = op == CmpOp::Eq && self.is_proto_key(&x);
        // nft writes `==` after a bitwise selector it could not name (`ct mark & 0xff == 0x2`).
        let binop = match &x {
            X::Mask {
                x: inner,
                mask,
                xor,
            } => {
                let ni = self.name(inner);
                ntext == self.fmt_bitwise(&ni, mask, xor)
            }
            _ => false,
        };
        let text =
            if op == CmpOp::Eq && (binop || Dt::of(n.ty).is_bitmask()) && !value.contains('/') {
                format!("{ntext} == {value}")
            } else {
                format!("{ntext} {opt}{value}")
            };
        self.items.push(Item {
            text,
            dep: proto_dep.then_some(Dep::Proto),
        });
        if op == CmpOp::Eq {
            self.ctx_update(&x, d);
        }
    }

    fn expr(&mut self, e: &Expr, next: Option<&Expr>) -> bool {
        match e {
            Expr::Payload(p) => {
                let base = match p.base {
                    PayloadBase::Link => proto::BASE_LL,
                    PayloadBase::Network => proto::BASE_NETWORK,
                    PayloadBase::Transport => proto::BASE_TRANSPORT,
                    _ => proto::BASE_INNER,
                };
                self.set_reg(
                    p.dreg,
                    X::Payload {
                        base,
                        off: p.offset * 8,
                        len: p.len * 8,
                    },
                    p.len,
                );
            }
            Expr::Meta(m) => {
                let k = m.key.number();
                let len = proto::meta(k).map(|t| t.len.div_ceil(8)).unwrap_or(4);
                self.set_reg(m.dreg, X::Meta(k), len);
            }
            Expr::Ct(c) => {
                let k = c.key.number();
                let len = proto::ct_key(k)
                    .map(|t| t.len.div_ceil(8))
                    .unwrap_or(4)
                    .max(4);
                let dir = c.dir.map(|d| if d == CtDir::Original { 0 } else { 1 });
                self.set_reg(c.dreg, X::Ct { key: k, dir }, len);
            }
            Expr::Rt(r) => self.set_reg(r.dreg, X::Rt(r.key.number()), 4),
            Expr::Exthdr(x) => self.set_reg(
                x.dreg,
                X::Exthdr {
                    op: x.op.map(|o| o.number()).unwrap_or(0),
                    kind: x.kind,
                    off: x.offset * 8,
                    len: x.len * 8,
                    flags: x.flags.unwrap_or(0),
                },
                x.len,
            ),
            Expr::Osf(o) => self.set_reg(
                o.dreg,
                X::Osf {
                    ttl: o.ttl.unwrap_or(0),
                    flags: o.flags.unwrap_or(0),
                },
                16,
            ),
            Expr::Xfrm(x) => self.set_reg(
                x.dreg,
                X::Xfrm {
                    key: x.key,
                    dir: x.dir,
                    spnum: x.spnum,
                },
                if matches!(x.key, 2 | 4) { 16 } else { 4 },
            ),
            Expr::ExthdrWrite(w) => {
                let op = w.op.map(|o| o.number()).unwrap_or(0);
                let x = self.reg(w.sreg);
                match super::exthdr::name(op, w.kind, w.offset * 8, w.len * 8, 0) {
                    Some(n) => {
                        let nm = Named {
                            text: String::new(),
                            ty: n.dtype,
                            bo: Bo::Big,
                            len: n.len,
                            prefix_of: None,
                            shift: 0,
                        };
                        let v = self.value_of(&x, &nm);
                        self.push(format!("{} set {v}", n.text));
                    }
                    None => {
                        self.fail("exthdr write of a field without nft syntax");
                        self.push("# exthdr write".into());
                    }
                }
            }
            Expr::ExthdrStrip(x) => {
                let op = x.op.map(|o| o.number()).unwrap_or(0);
                match super::exthdr::name(op, x.kind, 0, 8, super::exthdr::F_PRESENT) {
                    Some(n) if op == super::exthdr::OP_TCPOPT => {
                        self.push(format!("reset {}", n.text));
                    }
                    _ => {
                        self.fail("exthdr reset of something other than a tcp option");
                        self.push("# exthdr reset".into());
                    }
                }
            }

            Expr::Socket(s) => self.set_reg(
                s.dreg,
                X::Socket {
                    key: s.key.number(),
                    level: s.level,
                },
                4,
            ),
            Expr::Fib(f) => {
                let res = match f.result {
                    crate::netfilter::expr::FibResult::Oif => 1,
                    crate::netfilter::expr::FibResult::OifName => 2,
                    crate::netfilter::expr::FibResult::AddrType => 3,
                    crate::netfilter::expr::FibResult::Other(n) => n,
                };
                let len = if res == 2 { 16 } else { 4 };
                self.set_reg(
                    f.dreg,
                    X::Fib {
                        result: res,
                        flags: f.flags,
                    },
                    len,
                );
            }
            Expr::Numgen(n) => self.set_reg(
                n.dreg,
                X::Numgen {
                    inc: n.kind == NumgenKind::Incremental,
                    modulus: n.modulus,
                    offset: n.offset.unwrap_or(0),
                },
                4,
            ),
            Expr::Hash(h) => {
                let key = h.sreg.map(|r| Box::new(self.reg_len(r, h.len)));
                self.set_reg(
                    h.dreg,
                    X::Hash {
                        sym: h.kind == HashKind::Symmetric,
                        key,
                        modulus: h.modulus,
                        seed: h.seed,
                        offset: h.offset.unwrap_or(0),
                    },
                    4,
                );
            }
            Expr::Immediate(i) => match &i.data {
                ImmediateData::Verdict(v) => {
                    if i.dreg.0 == 0 {
                        self.push(fmt_verdict(v));
                    } else {
                        self.fail("verdict into a data register");
                    }
                }
                ImmediateData::Value(d) => {
                    let len = d.0.len() as u32;
                    self.set_reg(i.dreg, X::Imm(d.0.clone()), len);
                }
            },
            Expr::Bitwise(b) => {
                let x = self.reg(b.sreg);
                let y = match &b.op {
                    BitwiseOp::MaskXor { mask, xor } => X::Mask {
                        x: Box::new(x),
                        mask: mask.0.clone(),
                        xor: xor.0.clone(),
                    },
                    BitwiseOp::Lshift(n) => X::Shift {
                        x: Box::new(x),
                        left: true,
                        n: *n,
                    },
                    BitwiseOp::Rshift(n) => X::Shift {
                        x: Box::new(x),
                        left: false,
                        n: *n,
                    },
                };
                self.set_reg(b.dreg, y, b.len);
            }
            Expr::Byteorder(b) => {
                let x = self.reg(b.sreg);
                let _ = ByteorderOp::Hton;
                self.set_reg(b.dreg, X::Conv(Box::new(x)), b.len);
            }
            Expr::Cmp(c) => {
                // A range as a pair of cmp: >= low, <= high on the same register.
                if c.op == CmpOp::Gte
                    && let Some(Expr::Cmp(c2)) = next
                    && c2.op == CmpOp::Lte
                    && c2.sreg == c.sreg
                {
                    self.pending_cmp = Some((c.sreg.0, c.data.0.clone()));
                    return true;
                }
                if c.op == CmpOp::Lte
                    && let Some((r, lo)) = self.pending_cmp.take()
                    && r == c.sreg.0
                {
                    self.range(c.sreg, false, &lo, &c.data.0);
                    return true;
                }
                self.cmp(c.sreg, c.op, &c.data);
            }
            Expr::Range(r) => {
                self.range(r.sreg, r.op == RangeOp::Neq, &r.from.0, &r.to.0);
            }
            Expr::Lookup(l) => {
                let (klen, is_map) = match self.table.sets.iter().find(|s| s.name == l.set) {
                    Some(s) => (s.key.len, s.data.is_some()),
                    None => (4, false),
                };
                let key = self.reg_len(l.sreg, klen);
                let kn = self.name(&key);
                let sref = self.fmt_setref_shifted(&l.set, is_map, &kn);
                match l.dreg {
                    None => {
                        let neg = if l.inverted { "!= " } else { "" };
                        let dep = !l.inverted && self.is_proto_key(&key);
                        self.items.push(Item {
                            text: format!("{} {neg}{sref}", kn.text),
                            dep: dep.then_some(Dep::Proto),
                        });
                    }
                    Some(Reg(0)) => {
                        self.push(format!("{} vmap {sref}", kn.text));
                    }
                    Some(d) => {
                        let dlen = match self
                            .table
                            .sets
                            .iter()
                            .find(|s| s.name == l.set)
                            .and_then(|s| s.data.clone())
                        {
                            Some(SetData::Value(k)) => k.len,
                            _ => 4,
                        };
                        self.set_reg(
                            d,
                            X::MapGet {
                                key: Box::new(key),
                                set: l.set.clone(),
                            },
                            dlen,
                        );
                    }
                }
            }
            Expr::Counter(_)
            | Expr::Limit(_)
            | Expr::Quota(_)
            | Expr::Connlimit(_)
            | Expr::Last(_) => {
                if let Some(s) = fmt_stateful(e) {
                    self.push(s);
                }
            }
            Expr::Log(l) => {
                let mut s = "log".to_string();
                if let Some(p) = &l.prefix {
                    let _ = write!(s, " prefix {}", quote(p));
                }
                if let Some(g) = l.group {
                    let _ = write!(s, " group {g}");
                }
                if let Some(sn) = l.snaplen {
                    let _ = write!(s, " snaplen {sn}");
                }
                if let Some(q) = l.qthreshold {
                    let _ = write!(s, " queue-threshold {q}");
                }
                // nft leaves out the default level (warn), which the kernel always reports.
                if let Some(lv) = l.level.filter(|lv| *lv != 4) {
                    let n = [
                        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit",
                    ];
                    let _ = write!(
                        s,
                        " level {}",
                        n.get(lv as usize).copied().unwrap_or("warn")
                    );
                }
                if let Some(f) = l.flags {
                    if f & 0x2f == 0x2f {
                        s.push_str(" flags all");
                    } else {
                        let mut tcp = Vec::new();
                        if f & 1 != 0 {
                            tcp.push("sequence");
                        }
                        if f & 2 != 0 {
                            tcp.push("options");
                        }
                        if !tcp.is_empty() {
                            let _ = write!(s, " flags tcp {}", tcp.join(","));
                        }
                        if f & 4 != 0 {
                            s.push_str(" flags ip options");
                        }
                        if f & 8 != 0 {
                            s.push_str(" flags skuid");
                        }
                        if f & 0x20 != 0 {
                            s.push_str(" flags ether");
                        }
                    }
                }
                self.push(s);
            }
            Expr::Reject(r) => {
                let code = r.code.unwrap_or(0);
                // As nft lists it: a bare `reject` for the family's default (port unreachable
                // as icmpx in inet/bridge/netdev, as icmp in ip, as icmpv6 in ip6).
                let s = match r.kind {
                    RejectKind::TcpRst => "reject with tcp reset".to_string(),
                    RejectKind::IcmpxUnreach if code == 1 => "reject".to_string(),
                    RejectKind::IcmpxUnreach => format!(
                        "reject with icmpx {}",
                        fmt_typed(TYPE_ICMPX_CODE, u128::from(code), 8)
                    ),
                    RejectKind::IcmpUnreach => {
                        let v6 = match self.family {
                            Family::Ip6 => true,
                            Family::Ip => false,
                            _ => self.nl == Some(P::Ip6),
                        };
                        match (v6, self.family, code) {
                            (false, Family::Ip, 3) | (true, Family::Ip6, 4) => "reject".to_string(),
                            // No single network protocol in the context (`meta nfproto { ipv4,
                            // ipv6 } reject`: nft rejects per the set's last element and lists
                            // a bare `reject`, which it compiles the same way again).
                            (_, Family::Inet | Family::Bridge | Family::Netdev, _)
                                if self.nl.is_none() =>
                            {
                                "reject".to_string()
                            }
                            (true, ..) => format!(
                                "reject with icmpv6 {}",
                                fmt_typed(TYPE_ICMPV6_CODE, u128::from(code), 8)
                            ),
                            (false, ..) => format!(
                                "reject with icmp {}",
                                fmt_typed(TYPE_ICMP_CODE, u128::from(code), 8)
                            ),
                        }
                    }
                };
                self.push(s);
            }
            Expr::Notrack => self.push("notrack".into()),
            Expr::FlowOffload(f) => self.push(format!("flow add @{}", f.flowtable)),
            Expr::Objref(o) => {
                let (kind, tail) = match &o.target {
                    ObjrefTarget::Name { kind, name } => (*kind, quote(name)),
                    ObjrefTarget::Map { sreg, set, .. } => {
                        let klen = self
                            .table
                            .sets
                            .iter()
                            .find(|s| &s.name == set)
                            .map(|s| s.key.len)
                            .unwrap_or(4);
                        let k = self.reg_len(*sreg, klen);
                        let kn = self.name(&k);
                        let sref = self.fmt_setref(set, true);
                        let kind = self
                            .table
                            .sets
                            .iter()
                            .find(|s| &s.name == set)
                            .and_then(|s| match &s.data {
                                Some(SetData::Object(o)) => Some(*o),
                                _ => None,
                            })
                            .unwrap_or(ObjectType::Counter);
                        (kind, format!("{} map {sref}", kn.text))
                    }
                };
                let s = match kind {
                    ObjectType::Counter => format!("counter name {tail}"),
                    ObjectType::Quota => format!("quota name {tail}"),
                    ObjectType::Limit => format!("limit name {tail}"),
                    ObjectType::CtHelper => format!("ct helper set {tail}"),
                    ObjectType::CtTimeout => format!("ct timeout set {tail}"),
                    ObjectType::CtExpectation => format!("ct expectation set {tail}"),
                    ObjectType::Secmark => format!("meta secmark set {tail}"),
                    ObjectType::Synproxy => format!("synproxy name {tail}"),
                    _ => {
                        self.fail("object reference kind");
                        format!("counter name {tail}")
                    }
                };
                self.push(s);
            }
            Expr::MetaSet(m) => {
                let k = m.key.number();
                let x = self.reg(m.sreg);
                let Some(t) = proto::meta(k) else {
                    self.fail("meta key");
                    return true;
                };
                let n = Named {
                    text: String::new(),
                    ty: t.dtype,
                    bo: t.bo,
                    len: t.len,
                    prefix_of: None,
                    shift: 0,
                };
                let v = self.value_of(&x, &n);
                let kt = if proto::meta_unqualified(k) {
                    t.token.to_string()
                } else {
                    format!("meta {}", t.token)
                };
                self.push(format!("{kt} set {v}"));
            }
            Expr::CtSet(c) => {
                let k = c.key.number();
                let x = self.reg(c.sreg);
                let Some(t) = proto::ct_key(k) else {
                    self.fail("ct key");
                    return true;
                };
                let n = Named {
                    text: String::new(),
                    ty: t.dtype,
                    bo: t.bo,
                    len: t.len,
                    prefix_of: None,
                    shift: 0,
                };
                let v = self.value_of(&x, &n);
                let d = match c.dir {
                    Some(CtDir::Original) => "original ",
                    Some(CtDir::Reply) => "reply ",
                    None => "",
                };
                self.push(format!("ct {d}{} set {v}", t.token));
            }
            Expr::PayloadWrite(p) => {
                let base = match p.base {
                    PayloadBase::Link => proto::BASE_LL,
                    PayloadBase::Network => proto::BASE_NETWORK,
                    PayloadBase::Transport => proto::BASE_TRANSPORT,
                    _ => proto::BASE_INNER,
                };
                let x = self.reg(p.sreg);
                match self.name_payload(base, p.offset * 8, p.len * 8) {
                    Some(n) if n.prefix_of.is_none() => {
                        let v = self.value_of(&x, &n);
                        self.push(format!("{} set {v}", n.text));
                    }
                    _ => {
                        self.fail("payload write of a partial field");
                        self.push(format!(
                            "{} set ?",
                            Self::raw_payload(base, p.offset * 8, p.len * 8)
                        ));
                    }
                }
            }
            Expr::Nat(n) => {
                let kw = if n.kind == NatKind::Snat {
                    "snat"
                } else {
                    "dnat"
                };
                let fam = if self.family == Family::Inet {
                    match n.family {
                        2 => " ip",
                        10 => " ip6",
                        _ => "",
                    }
                } else {
                    ""
                };
                let at = match n.family {
                    10 => TYPE_IP6ADDR,
                    _ => TYPE_IPADDR,
                };
                let mut s = format!("{kw}{fam}");
                let an = Named {
                    text: String::new(),
                    ty: at,
                    bo: Bo::Big,
                    len: if at == TYPE_IPADDR { 32 } else { 128 },
                    prefix_of: None,
                    shift: 0,
                };
                let pn = Named {
                    text: String::new(),
                    ty: TYPE_INET_SERVICE,
                    bo: Bo::Big,
                    len: 16,
                    prefix_of: None,
                    shift: 0,
                };
                let mut addr = String::new();
                let mut concat_map = false;
                if let Some(r) = n.reg_addr_min {
                    let x = self.reg(r);
                    if let X::MapGet { key, set } = &x {
                        let k = self.name(key);
                        let m = self.fmt_setref(set, true);
                        let data_concat = self
                            .table
                            .sets
                            .iter()
                            .find(|s| &s.name == set)
                            .is_some_and(|s| matches!(&s.data, Some(SetData::Value(k)) if k.fields.len() > 1));
                        concat_map = data_concat;
                        addr = format!("{} map {m}", k.text);
                    } else {
                        addr = self.value_of(&x, &an);
                        if let Some(r2) = n.reg_addr_max
                            && r2 != r
                        {
                            let y = self.reg(r2);
                            let _ = write!(addr, "-{}", self.value_of(&y, &an));
                        }
                    }
                }
                let mut port = String::new();
                if !concat_map && let Some(r) = n.reg_proto_min {
                    let x = self.reg(r);
                    port = self.value_of(&x, &pn);
                    if let Some(r2) = n.reg_proto_max
                        && r2 != r
                    {
                        let y = self.reg(r2);
                        let _ = write!(port, "-{}", self.value_of(&y, &pn));
                    }
                }
                // An IPv6 address before a port is bracketed, each end of a range alone
                // (`dnat to [2001:db8::5]-[2001:db8::9]:8080`).
                if at == TYPE_IP6ADDR && !port.is_empty() && !addr.contains(' ') {
                    addr = addr
                        .split('-')
                        .map(|a| format!("[{a}]"))
                        .collect::<Vec<_>>()
                        .join("-");
                }
                let flags = n.flags.unwrap_or(0);
                if concat_map {
                    // An `addr . port` map: nft lists it as `dnat ip to KEY map @m` (the map's
                    // data type gives both; the family named in every table family), which
                    // loads back the same.
                    if fam.is_empty() {
                        s.push_str(if n.family == 10 { " ip6" } else { " ip" });
                    }
                    let _ = write!(s, " to {addr}");
                } else if flags & 0x40 != 0 {
                    let _ = write!(s, " prefix to {addr}");
                } else if !addr.is_empty() || !port.is_empty() {
                    s.push_str(" to");
                    if !addr.is_empty() {
                        let _ = write!(s, " {addr}");
                    }
                    if !port.is_empty() {
                        if addr.is_empty() {
                            let _ = write!(s, " :{port}");
                        } else {
                            let _ = write!(s, ":{port}");
                        }
                    }
                }
                s.push_str(&nat_flags(flags));
                self.push(s);
            }
            Expr::Masq(m) => {
                let mut s = "masquerade".to_string();
                if let Some(r) = m.reg_proto_min {
                    let pn = port_named();
                    let x = self.reg(r);
                    let mut p = self.value_of(&x, &pn);
                    if let Some(r2) = m.reg_proto_max
                        && r2 != r
                    {
                        let y = self.reg(r2);
                        let _ = write!(p, "-{}", self.value_of(&y, &pn));
                    }
                    let _ = write!(s, " to :{p}");
                }
                s.push_str(&nat_flags(m.flags.unwrap_or(0)));
                self.push(s);
            }
            Expr::Redir(m) => {
                let mut s = "redirect".to_string();
                if let Some(r) = m.reg_proto_min {
                    let pn = port_named();
                    let x = self.reg(r);
                    let mut p = self.value_of(&x, &pn);
                    if let Some(r2) = m.reg_proto_max
                        && r2 != r
                    {
                        let y = self.reg(r2);
                        let _ = write!(p, "-{}", self.value_of(&y, &pn));
                    }
                    let _ = write!(s, " to :{p}");
                }
                s.push_str(&nat_flags(m.flags.unwrap_or(0)));
                self.push(s);
            }
            Expr::Queue(q) => {
                let mut s = "queue".to_string();
                let fl = q.flags.unwrap_or(0);
                let mut f = Vec::new();
                if fl & 1 != 0 {
                    f.push("bypass");
                }
                if fl & 2 != 0 {
                    f.push("fanout");
                }
                if let Some(r) = q.sreg_qnum {
                    let x = self.reg(r);
                    let n = self.name(&x);
                    if !f.is_empty() {
                        let _ = write!(s, " flags {}", f.join(","));
                    }
                    let _ = write!(s, " to {}", n.text);
                } else {
                    let num = q.num.unwrap_or(0);
                    let total = q.total.unwrap_or(1);
                    if total > 1 {
                        let _ = write!(s, " num {num}-{}", u32::from(num) + u32::from(total) - 1);
                    } else {
                        let _ = write!(s, " num {num}");
                    }
                    if !f.is_empty() {
                        let _ = write!(s, " {}", f.join(","));
                    }
                }
                self.push(s);
            }
            Expr::Dup(d) => {
                let mut s = "dup".to_string();
                if let Some(r) = d.sreg_addr {
                    let x = self.reg(r);
                    let n = Named {
                        text: String::new(),
                        ty: if self.family == Family::Ip6 {
                            TYPE_IP6ADDR
                        } else {
                            TYPE_IPADDR
                        },
                        bo: Bo::Big,
                        len: if self.family == Family::Ip6 { 128 } else { 32 },
                        prefix_of: None,
                        shift: 0,
                    };
                    let _ = write!(s, " to {}", self.value_of(&x, &n));
                    if let Some(r2) = d.sreg_dev {
                        let y = self.reg(r2);
                        let _ = write!(s, " device {}", self.value_of(&y, &ifindex_named()));
                    }
                } else if let Some(r2) = d.sreg_dev {
                    let y = self.reg(r2);
                    let _ = write!(s, " to {}", self.value_of(&y, &ifindex_named()));
                }
                self.push(s);
            }
            Expr::Fwd(f) => {
                let dev = match f.sreg_dev {
                    Some(r) => {
                        let y = self.reg(r);
                        self.value_of(&y, &ifindex_named())
                    }
                    None => String::new(),
                };
                match (f.sreg_addr, f.nfproto) {
                    (Some(r), Some(fam)) => {
                        let x = self.reg(r);
                        let (kw, ty, len) = if fam == 10 {
                            ("ip6", TYPE_IP6ADDR, 128)
                        } else {
                            ("ip", TYPE_IPADDR, 32)
                        };
                        let n = Named {
                            text: String::new(),
                            ty,
                            bo: Bo::Big,
                            len,
                            prefix_of: None,
                            shift: 0,
                        };
                        let a = self.value_of(&x, &n);
                        self.push(format!("fwd {kw} to {a} device {dev}"));
                    }
                    _ => self.push(format!("fwd to {dev}")),
                }
            }
            Expr::Tproxy(t) => {
                let fam = match (self.family, t.family) {
                    (Family::Inet, 2) => " ip",
                    (Family::Inet, 10) => " ip6",
                    _ => "",
                };
                let mut s = format!("tproxy{fam} to");
                if let Some(r) = t.reg_addr {
                    let x = self.reg(r);
                    let (ty, len) = if t.family == 10 {
                        (TYPE_IP6ADDR, 128)
                    } else {
                        (TYPE_IPADDR, 32)
                    };
                    let n = Named {
                        text: String::new(),
                        ty,
                        bo: Bo::Big,
                        len,
                        prefix_of: None,
                        shift: 0,
                    };
                    let _ = write!(s, " {}", self.value_of(&x, &n));
                }
                if let Some(r) = t.reg_port {
                    let x = self.reg(r);
                    let p = self.value_of(&x, &port_named());
                    if t.reg_addr.is_some() {
                        let _ = write!(s, ":{p}");
                    } else {
                        let _ = write!(s, " :{p}");
                    }
                }
                self.push(s);
            }
            Expr::Synproxy(sp) => {
                let fl = sp.flags.unwrap_or(0);
                let mut s = "synproxy".to_string();
                if fl & 1 != 0 {
                    let _ = write!(s, " mss {}", sp.mss.unwrap_or(0));
                }
                if fl & 2 != 0 {
                    let _ = write!(s, " wscale {}", sp.wscale.unwrap_or(0));
                }
                if fl & 4 != 0 {
                    s.push_str(" timestamp");
                }
                if fl & 8 != 0 {
                    s.push_str(" sack-perm");
                }
                self.push(s);
            }
            Expr::Dynset(d) => {
                let op = match d.op {
                    crate::netfilter::expr::DynsetOp::Add => "add",
                    crate::netfilter::expr::DynsetOp::Update => "update",
                    _ => "delete",
                };
                let set = self.table.sets.iter().find(|s| s.name == d.set).cloned();
                let klen = set.as_ref().map(|s| s.key.len).unwrap_or(4);
                let k = self.reg_len(d.sreg_key, klen);
                let kn = self.name(&k);
                let mut s = match &set {
                    // nft lists a meter without a size as the kernel's default, 65535.
                    Some(m) if is_meter(m) && d.sreg_data.is_none() => format!(
                        "meter {} size {} {{ {}",
                        d.set,
                        m.size.unwrap_or(65535),
                        kn.text
                    ),
                    _ => format!("{op} @{} {{ {}", d.set, kn.text),
                };
                if let Some(t) = d.timeout {
                    let _ = write!(s, " timeout {}", fmt_time(t));
                }
                // nft prints the statements of a set update stateless, as templates (`counter`,
                // `last`; nft 1.1.3 checked side by side for `last`).
                for x in &d.exprs {
                    if let Some(st) = fmt_stateless(x) {
                        s.push(' ');
                        s.push_str(&st);
                    }
                }
                if let Some(r) = d.sreg_data {
                    let (ty, len) = self.set_data_type(&d.set);
                    let x = self.reg(r);
                    let dn = self.name(&x);
                    let _ = (ty, len);
                    let _ = write!(s, " : {}", dn.text);
                }
                s.push_str(" }");
                self.push(s);
            }
            other => {
                self.fail(format!("expression {}", expr_name(other)));
                self.push(format!("# {}", expr_name(other)));
            }
        }
        true
    }

    /// A register's content as a statement argument of type `n`.
    fn value_of(&mut self, x: &X, n: &Named) -> String {
        match x {
            X::Imm(d) => self.fmt_const(n, d),
            other => self.name(other).text,
        }
    }

    fn range(&mut self, sreg: Reg, neg: bool, lo: &[u8], hi: &[u8]) {
        let x = self.reg(sreg);
        let n = self.name(&x);
        let a = self.fmt_const(&n, lo);
        let b = self.fmt_const(&n, hi);
        let op = if neg { "!= " } else { "" };
        self.push(format!("{} {op}{a}-{b}", n.text));
    }
}

fn port_named() -> Named {
    Named {
        text: String::new(),
        ty: TYPE_INET_SERVICE,
        bo: Bo::Big,
        len: 16,
        prefix_of: None,
        shift: 0,
    }
}

fn ifindex_named() -> Named {
    Named {
        text: String::new(),
        ty: TYPE_IFINDEX,
        bo: Bo::Host,
        len: 32,
        prefix_of: None,
        shift: 0,
    }
}

fn nat_flags(f: u32) -> String {
    let mut v = Vec::new();
    if f & 4 != 0 {
        v.push("random");
    }
    if f & 0x10 != 0 {
        v.push("fully-random");
    }
    if f & 8 != 0 {
        v.push("persistent");
    }
    if v.is_empty() {
        String::new()
    } else {
        format!(" {}", v.join(","))
    }
}

fn is_prefix_mask(m: &u128, len: u32) -> bool {
    let ones = m.count_ones();
    ones > 0 && *m == super::eval::prefix_mask(len, ones)
}

fn hexs(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn expr_name(e: &Expr) -> String {
    debug_name(e)
}

/// The lower-cased variant name of a value's `Debug` form (`Lookup(…)` → `lookup`), for
/// messages naming what could not be printed.
pub(crate) fn debug_name(e: &impl std::fmt::Debug) -> String {
    let s = format!("{e:?}");
    s.split(['(', ' ', '{'])
        .next()
        .unwrap_or("?")
        .to_lowercase()
}

/// Decompiles one rule; `Ok` with verified text, `Err` with the best text and the reason.
pub(crate) fn print_rule(
    r: &Rule,
    t: &Table,
    chain: &str,
    rs: &Ruleset,
    opts: &PrintOptions,
) -> Result<String, (String, String)> {
    print_rule_parsed(r, t, chain, rs, opts).map(|(text, _)| text)
}

/// [`print_rule`], with the syntax tree of the text when verification parsed it (`None` when
/// `opts.verify` is off), so that a caller needing the tree does not parse the text again.
pub(crate) fn print_rule_parsed(
    r: &Rule,
    t: &Table,
    chain: &str,
    rs: &Ruleset,
    opts: &PrintOptions,
) -> Result<(String, Option<ast::Rule>), (String, String)> {
    let mut d = Dec::new(t.family, t, opts);
    for (i, e) in r.exprs.iter().enumerate() {
        d.expr(e, r.exprs.get(i + 1));
    }
    let comment = r
        .userdata
        .comment()
        .map(|c| format!(" comment {}", quote(&c)))
        .unwrap_or_default();
    let render = |keep: &[bool]| {
        let v: Vec<&str> = d
            .items
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(i, _)| i.text.as_str())
            .collect();
        let mut s = v.join(" ");
        s.push_str(&comment);
        s.trim().to_string()
    };
    let all = vec![true; d.items.len()];
    let explicit = render(&all);
    if let Some(why) = d.failed {
        return Err((explicit, why));
    }
    // Idiomatic form: the protocol matches nft generates as implicit dependencies are left
    // out, each one only if the rule still compiles to the same expressions without it (as
    // nft's delinearization kills a dependency the following match implies).
    // Every dependency that some other statement follows, at once (the form used without
    // verification, and the last resort).
    let whole: Vec<bool> = (0..d.items.len())
        .map(|i| {
            let mut end = i;
            while d.items.get(end).is_some_and(|x| x.dep.is_some()) {
                end += 1;
            }
            !(d.items[i].dep.is_some() && end < d.items.len())
        })
        .collect();
    if !opts.verify {
        return Ok((render(&whole), None));
    }
    // The runs of adjacent dependencies, each without those nft keeps (before a reject).
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut i = 0;
    while i < d.items.len() {
        if d.items[i].dep.is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while d.items.get(i).is_some_and(|x| x.dep.is_some()) {
            i += 1;
        }
        let run: Vec<usize> = (start..i)
            .filter(|&j| !keeps_dependency(t.family, &d.items, j))
            .collect();
        if !run.is_empty() && run.len() <= 4 {
            runs.push(run);
        }
    }
    // Usually every dependency can go (each is implied by the match after it): try that with
    // one verification before searching run by run (one or more per run).
    if runs.len() > 1 {
        let mut k = all.clone();
        for &j in runs.iter().flatten() {
            k[j] = false;
        }
        let text = render(&k);
        if let Ok(rule) = verify(&text, r, t, chain, rs, opts) {
            return Ok((text, Some(rule)));
        }
    }
    // Per run, the largest subset whose removal still verifies.
    let mut keep = all.clone();
    let mut found = None;
    for run in &runs {
        let mut subsets: Vec<u32> = (1..(1u32 << run.len())).collect();
        subsets.sort_by_key(|m| std::cmp::Reverse(m.count_ones()));
        for m in subsets {
            let mut k = keep.clone();
            for (b, &j) in run.iter().enumerate() {
                if m & (1 << b) != 0 {
                    k[j] = false;
                }
            }
            let text = render(&k);
            if let Ok(rule) = verify(&text, r, t, chain, rs, opts) {
                keep = k;
                found = Some((text, rule));
                break;
            }
        }
    }
    if let Some((text, rule)) = found {
        return Ok((text, Some(rule)));
    }
    let last_err = match verify(&explicit, r, t, chain, rs, opts) {
        Ok(rule) => return Ok((explicit, Some(rule))),
        Err(e) => e,
    };
    let idiomatic = render(&whole);
    if idiomatic != explicit
        && let Ok(rule) = verify(&idiomatic, r, t, chain, rs, opts)
    {
        return Ok((idiomatic, Some(rule)));
    }
    Err((explicit, last_err))
}

/// nft keeps a transport protocol match in front of a `reject` in the inet, bridge and netdev
/// families (its reject postprocessing releases only the network-header dependency there).
fn keeps_dependency(family: Family, items: &[Item], i: usize) -> bool {
    matches!(family, Family::Inet | Family::Bridge | Family::Netdev)
        && items
            .get(i + 1)
            .is_some_and(|n| n.text.starts_with("reject"))
        && ["meta l4proto ", "ip protocol ", "ip6 nexthdr "]
            .iter()
            .any(|p| items[i].text.starts_with(p))
}

/// Anonymous set names and in-batch ids do not matter when comparing expressions, nor what the
/// kernel fills in on its own (bitwise op attribute, NAT range maxima and flags, the code of a
/// TCP reset).
fn normalize(exprs: &[Expr]) -> Vec<Expr> {
    exprs
        .iter()
        .map(|e| {
            let mut e = e.clone();
            match &mut e {
                Expr::Bitwise(b) => b.explicit_op = false,
                Expr::Reject(r) if r.kind == RejectKind::TcpRst => r.code = None,
                Expr::Nat(n) => {
                    let mut f = n.flags.unwrap_or(0);
                    if let Some(a) = n.reg_addr_min {
                        n.reg_addr_max.get_or_insert(a);
                        f |= 1;
                    }
                    if let Some(p) = n.reg_proto_min {
                        n.reg_proto_max.get_or_insert(p);
                        f |= 2;
                    }
                    n.flags = (f != 0).then_some(f);
                }
                Expr::Masq(n) => {
                    let mut f = n.flags.unwrap_or(0);
                    if let Some(p) = n.reg_proto_min {
                        n.reg_proto_max.get_or_insert(p);
                        f |= 2;
                    }
                    n.flags = (f != 0).then_some(f);
                }
                Expr::Redir(n) => {
                    let mut f = n.flags.unwrap_or(0);
                    if let Some(p) = n.reg_proto_min {
                        n.reg_proto_max.get_or_insert(p);
                        f |= 2;
                    }
                    n.flags = (f != 0).then_some(f);
                }
                Expr::Lookup(l) => {
                    l.set_id = None;
                    if is_anon(&l.set) {
                        l.set = "<anon>".into();
                    }
                }
                Expr::Dynset(d) => {
                    d.set_id = None;
                }
                // The kernel dumps these defaults even when nft did not send them.
                Expr::Hash(h) if h.offset == Some(0) => h.offset = None,
                Expr::Socket(s) if s.level == Some(0) => s.level = None,
                Expr::Queue(q) if q.flags == Some(0) => q.flags = None,
                Expr::Log(l) if l.level == Some(4) => l.level = None,
                // No checksum to fix (IPv6 has none): nft sends neither attribute.
                Expr::PayloadWrite(w) if w.csum_type == Some(0) => {
                    w.csum_type = None;
                    if w.csum_offset == Some(0) {
                        w.csum_offset = None;
                    }
                }
                Expr::Objref(o) => {
                    if let ObjrefTarget::Map { set, set_id, .. } = &mut o.target {
                        *set_id = None;
                        if is_anon(set) {
                            *set = "<anon>".into();
                        }
                    }
                }
                _ => {}
            }
            e
        })
        .collect()
}

/// The rule of a script holding one `add rule` command.
pub(crate) fn script_rule(script: ast::Script) -> Option<ast::Rule> {
    script.items.into_iter().find_map(|item| match item {
        ast::TopItem::Command(ast::Command {
            kind: ast::CommandKind::Rule {
                rule: Some(rule), ..
            },
            ..
        }) => Some(rule),
        _ => None,
    })
}

struct MapResolver<'a>(&'a HashMap<u32, String>);

impl super::IfResolver for MapResolver<'_> {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.0
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(i, _)| *i)
    }
}

fn verify(
    text: &str,
    r: &Rule,
    t: &Table,
    chain: &str,
    rs: &Ruleset,
    opts: &PrintOptions,
) -> Result<ast::Rule, String> {
    let src = format!("add rule {} {} {} {text}\n", t.family.name(), t.name, chain);
    // A `last` expression can only have come from a newer nft (or linx with extensions).
    let opts_load = super::LoadOptions {
        extensions: r.exprs.iter().any(|e| match e {
            Expr::Last(_) => true,
            Expr::Dynset(d) => d.exprs.iter().any(|x| matches!(x, Expr::Last(_))),
            _ => false,
        }),
        ..Default::default()
    };
    let loaded = super::load_str("rule.nft", &src, &opts_load).map_err(|e| e.to_string())?;
    let ifr = MapResolver(&opts.ifnames);
    let env = super::CompileEnv::new(&ifr).with_kernel(rs);
    let p = super::compile(&loaded, &env).map_err(|e| e.to_string())?;
    let Some(last) = p.messages().last() else {
        return Err("no rule produced".into());
    };
    let decoded = crate::netfilter::codec::decode(&last.as_msg()).map_err(|e| e.to_string())?;
    let crate::netfilter::codec::Decoded::Rule { rule, .. } = decoded else {
        return Err("no rule produced".into());
    };
    if normalize(&rule.exprs) == normalize(&r.exprs) {
        script_rule(loaded.script).ok_or_else(|| "printed rule did not parse as a rule".into())
    } else {
        Err(format!(
            "recompiled rule differs: {:?} vs {:?}",
            rule.exprs, r.exprs
        ))
    }
}
