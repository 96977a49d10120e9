//! Which kind of value each interpolation (`$name` bound by the macro, not by a `define`)
//! stands for, from its position in the expanded syntax tree (NFT-24). The kind fixes the Rust
//! type: the generated code requires `linx::nft::interp::NftValue<Kind>` of the expression.

use linx_nft_syntax::ast::{
    BinOp, Burst, ChainItem, Command, CommandKind, Count, DeviceSpec, ElemOptions, Expr, ExprKind,
    Family, FlowtableItem, LimitRate, MapData, Nat, NfProto, ObjSel, ObjectBody, ObjectItem,
    PayloadProto, QualName, QuotaSpec, Rate, Rule, Script, SetElem, SetItem, Stmt, StmtKind,
    TableItem, TableSel, TimeValue, TopItem, Var, Verdict,
};
use linx_nft_syntax::walk::{VisitMut, WalkMut};
use linx_nft_syntax::{Diagnostic, Span};

/// What nft expects at an interpolation (mirrors `linx::nft::interp::kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    InetService,
    Ipv4,
    Ipv6,
    IfName,
    IfIndex,
    Mark,
    Chain,
    /// An integer field of this many bits (1 to 64).
    Int(u8),
    /// A timeout.
    Duration,
    /// `ct state` flags.
    CtState,
    /// `ct status` flags.
    CtStatus,
    /// `ct direction`.
    CtDirection,
    /// `meta pkttype`.
    PktType,
    /// `tcp flags`.
    TcpFlags,
}

impl Kind {
    /// The marker type in `linx::nft::interp::kind` (e.g. `Ipv4`, `U8<6>`).
    pub(crate) fn marker(self) -> proc_macro2::TokenStream {
        let name = match self {
            Kind::InetService => "InetService",
            Kind::Ipv4 => "Ipv4",
            Kind::Ipv6 => "Ipv6",
            Kind::IfName => "IfName",
            Kind::IfIndex => "IfIndex",
            Kind::Mark => "Mark",
            Kind::Chain => "Chain",
            Kind::Duration => "Duration",
            Kind::CtState => "CtState",
            Kind::CtStatus => "CtStatus",
            Kind::CtDirection => "CtDirection",
            Kind::PktType => "PktType",
            Kind::TcpFlags => "TcpFlags",
            Kind::Int(bits) => {
                let ty = proc_macro2::Ident::new(
                    int_type(bits).to_ascii_uppercase().as_str(),
                    proc_macro2::Span::call_site(),
                );
                let bits = proc_macro2::Literal::u32_unsuffixed(u32::from(bits));
                return quote::quote!(#ty<#bits>);
            }
        };
        let id = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        quote::quote!(#id)
    }

    fn describe(self) -> String {
        match self {
            Kind::InetService => "a port (inet_service, u16)".into(),
            Kind::Ipv4 => "an IPv4 address or prefix".into(),
            Kind::Ipv6 => "an IPv6 address or prefix".into(),
            Kind::IfName => "an interface name".into(),
            Kind::IfIndex => "an interface (iif/oif, resolved at load)".into(),
            Kind::Mark => "a mark (u32)".into(),
            Kind::Chain => "a chain name".into(),
            Kind::Int(bits) => format!("a {bits}-bit integer ({})", int_type(bits)),
            Kind::Duration => "a timeout (std::time::Duration)".into(),
            Kind::CtState => "conntrack states (linx::netfilter::builder::CtState)".into(),
            Kind::CtStatus => "conntrack status bits (linx::netfilter::builder::CtStatus)".into(),
            Kind::CtDirection => {
                "a conntrack direction (linx::netfilter::builder::CtDirection)".into()
            }
            Kind::PktType => "a packet type (linx::netfilter::builder::PktType)".into(),
            Kind::TcpFlags => "TCP flags (linx::netfilter::builder::TcpFlags)".into(),
        }
    }
}

/// The Rust type of an integer field of `bits` bits.
pub(crate) fn int_type(bits: u8) -> &'static str {
    match bits {
        0..=8 => "u8",
        9..=16 => "u16",
        17..=32 => "u32",
        _ => "u64",
    }
}

/// One use of an interpolated variable.
#[derive(Clone, Debug)]
pub(crate) struct Use {
    pub name: String,
    pub span: Span,
    pub kind: Kind,
}

/// Every use of an unbound variable in `script`, with its kind; an error for each use whose
/// position admits no interpolation (or whose variable is used as two different kinds); the
/// names of all unbound variables.
pub(crate) fn classify(script: &Script) -> (Vec<Use>, Vec<Diagnostic>, Vec<String>) {
    let mut c = Classifier::default();
    for item in &script.items {
        if let TopItem::Command(cmd) = item {
            c.declare_sets(cmd);
        }
    }
    for item in &script.items {
        if let TopItem::Command(cmd) = item {
            c.command(cmd);
        }
    }
    // Every unbound variable must have been classified.
    let mut all = Collect::default();
    let mut copy = script.clone();
    copy.walk_mut(&mut all);
    let mut errors = Vec::new();
    let names = all.vars.iter().map(|(n, _)| n.clone()).collect();
    for (name, span) in all.vars {
        if !c.uses.iter().any(|u| u.span == span && u.name == name) {
            if let Some((_, why)) = c.hints.iter().find(|(s, _)| *s == span) {
                errors.push(Diagnostic::error(span, format!("${name} {why}")));
                continue;
            }
            errors.push(Diagnostic::error(
                span,
                format!(
                    "${name} cannot be interpolated here: a Rust value may stand in value \
                     positions of matches (and `set` statements) on ports, addresses, interface \
                     names, marks, integer header/meta/ct fields, ct state/status/direction, \
                     meta pkttype and tcp flags, in set elements and map data, NAT targets, \
                     timeouts and expiries, rates, bursts, quotas, device lists and jump/goto \
                     targets"
                ),
            ));
        }
    }
    // One kind per variable.
    let mut seen: Vec<(String, Kind)> = Vec::new();
    for u in &c.uses {
        match seen.iter().find(|(n, _)| *n == u.name) {
            Some((_, k)) if *k != u.kind => errors.push(Diagnostic::error(
                u.span,
                format!(
                    "${} is used as {} here and as {} before; interpolate two variables",
                    u.name,
                    u.kind.describe(),
                    k.describe()
                ),
            )),
            Some(_) => {}
            None => seen.push((u.name.clone(), u.kind)),
        }
    }
    (c.uses, errors, names)
}

#[derive(Default)]
struct Collect {
    vars: Vec<(String, Span)>,
}

impl VisitMut for Collect {
    fn var(&mut self, v: &mut Var) {
        if v.value.is_none() {
            self.vars.push((v.name.clone(), v.span));
        }
    }
}

/// The kinds of a declared set's key components and data components.
type SetKinds = (Vec<Option<Kind>>, Vec<Option<Kind>>);

#[derive(Default)]
struct Classifier {
    uses: Vec<Use>,
    /// Sets and maps declared in the script: family, table, name and their kinds (for the
    /// elements of `add element` commands).
    sets: Vec<(Family, String, String, SetKinds)>,
    /// Why a variable at this span cannot be classified (more precise than the generic error).
    hints: Vec<(Span, String)>,
}

/// The kinds of a set's key and data, from its `type` or `typeof`.
fn set_kinds(items: &[SetItem]) -> SetKinds {
    let mut kinds: Vec<Option<Kind>> = Vec::new();
    let mut data: Vec<Option<Kind>> = Vec::new();
    for item in items {
        match item {
            SetItem::Type { key, data: d, .. } => {
                kinds = key.iter().map(|k| set_type_kind(&k.name)).collect();
                if let Some(MapData::Type { types, .. }) = d {
                    data = types.iter().map(|t| set_type_kind(&t.name)).collect();
                }
            }
            SetItem::Typeof { key, data: d, .. } => {
                kinds = key.iter().map(lhs_kind).collect();
                if let Some(d) = d {
                    data = d.exprs.iter().map(lhs_kind).collect();
                }
            }
            _ => {}
        }
    }
    (kinds, data)
}

fn table_family(t: &TableSel) -> Family {
    match t {
        TableSel::Name(n) => n.family.unwrap_or(Family::Ip),
        TableSel::Handle { family, .. } => family.unwrap_or(Family::Ip),
    }
}

fn obj_family(o: &ObjSel) -> Family {
    match o {
        ObjSel::Name(q) => q.table.family.unwrap_or(Family::Ip),
        ObjSel::Handle { table, .. } => table.family.unwrap_or(Family::Ip),
    }
}

fn set_type_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "inet_service" => Kind::InetService,
        "ipv4_addr" => Kind::Ipv4,
        "ipv6_addr" => Kind::Ipv6,
        "ifname" => Kind::IfName,
        "mark" => Kind::Mark,
        "inet_proto" => Kind::Int(8),
        "ct_state" => Kind::CtState,
        "ct_status" => Kind::CtStatus,
        "ct_dir" => Kind::CtDirection,
        "pkt_type" => Kind::PktType,
        "tcp_flag" => Kind::TcpFlags,
        _ => return None,
    })
}

/// The width of a header field whose values are plain numbers (nft's integer types, and
/// symbolic types that take numbers too: protocols, ICMP types, DSCP, ECN).
fn payload_bits(proto: PayloadProto, field: &str) -> Option<u8> {
    Some(match (proto, field) {
        (PayloadProto::Ip, "version" | "hdrlength") => 4,
        (PayloadProto::Ip, "dscp") => 6,
        (PayloadProto::Ip, "ecn") => 2,
        (PayloadProto::Ip, "length" | "id" | "frag-off" | "checksum") => 16,
        (PayloadProto::Ip, "ttl" | "protocol") => 8,
        (PayloadProto::Ip6, "version") => 4,
        (PayloadProto::Ip6, "dscp") => 6,
        (PayloadProto::Ip6, "ecn") => 2,
        (PayloadProto::Ip6, "flowlabel") => 20,
        (PayloadProto::Ip6, "length") => 16,
        (PayloadProto::Ip6, "nexthdr" | "hoplimit") => 8,
        (PayloadProto::Tcp, "sequence" | "ackseq") => 32,
        (PayloadProto::Tcp, "doff") => 4,
        (PayloadProto::Tcp, "window" | "checksum" | "urgptr") => 16,
        (PayloadProto::Udp, "length" | "checksum") => 16,
        (PayloadProto::Icmp, "type" | "code") => 8,
        (PayloadProto::Icmp, "id" | "sequence" | "mtu") => 16,
        (PayloadProto::Icmpv6, "type" | "code") => 8,
        (PayloadProto::Icmpv6, "id" | "sequence" | "max-delay") => 16,
        (PayloadProto::Icmpv6, "mtu") => 32,
        (PayloadProto::Vlan, "id") => 12,
        (PayloadProto::Vlan, "pcp") => 3,
        (PayloadProto::Vlan, "dei" | "cfi") => 1,
        _ => return None,
    })
}

/// The width of a meta key whose values are plain numbers.
fn meta_bits(key: &str) -> Option<u8> {
    Some(match key {
        "length" | "skuid" | "skgid" | "cpu" | "cgroup" => 32,
        "l4proto" => 8,
        "ibrpvid" => 16,
        _ => return None,
    })
}

/// The width of a ct key whose values are plain numbers.
fn ct_bits(key: &str) -> Option<u8> {
    Some(match key {
        "zone" => 16,
        "protocol" => 8,
        "packets" | "bytes" | "avgpkt" => 64,
        _ => return None,
    })
}

/// The kinds of a left-hand side (one per component of a concatenation).
fn lhs_kinds(e: &Expr) -> Vec<Option<Kind>> {
    match &e.resolved().kind {
        ExprKind::Concat(parts) => parts.iter().map(lhs_kind).collect(),
        _ => vec![lhs_kind(e)],
    }
}

fn lhs_kind(e: &Expr) -> Option<Kind> {
    match &e.resolved().kind {
        ExprKind::Payload { proto, field } => match (proto, *field) {
            (
                PayloadProto::Tcp
                | PayloadProto::Udp
                | PayloadProto::Udplite
                | PayloadProto::Sctp
                | PayloadProto::Dccp
                | PayloadProto::Th,
                "sport" | "dport",
            ) => Some(Kind::InetService),
            (PayloadProto::Tcp, "flags") => Some(Kind::TcpFlags),
            (PayloadProto::Ip, "saddr" | "daddr") => Some(Kind::Ipv4),
            (PayloadProto::Ip6, "saddr" | "daddr") => Some(Kind::Ipv6),
            (p, f) => payload_bits(*p, f).map(Kind::Int),
        },
        ExprKind::Meta { key, .. } => match *key {
            "iifname" | "oifname" | "ibrname" | "obrname" => Some(Kind::IfName),
            "iif" | "oif" => Some(Kind::IfIndex),
            "mark" => Some(Kind::Mark),
            "pkttype" => Some(Kind::PktType),
            k => meta_bits(k).map(Kind::Int),
        },
        ExprKind::Ct { proto, key, .. } => match (*key, proto) {
            ("mark", _) => Some(Kind::Mark),
            ("state", _) => Some(Kind::CtState),
            ("status", _) => Some(Kind::CtStatus),
            ("direction", _) => Some(Kind::CtDirection),
            ("saddr" | "daddr", Some(NfProto::Ip)) => Some(Kind::Ipv4),
            ("saddr" | "daddr", Some(NfProto::Ip6)) => Some(Kind::Ipv6),
            ("proto-src" | "proto-dst", _) => Some(Kind::InetService),
            (k, _) => ct_bits(k).map(Kind::Int),
        },
        _ => None,
    }
}

impl Classifier {
    fn record(&mut self, v: &Var, kind: Kind) {
        self.uses.push(Use {
            name: v.name.clone(),
            span: v.span,
            kind,
        });
    }

    /// A value of kind `kind`: the variable itself, or inside a set, list, range or prefix.
    fn value(&mut self, e: &Expr, kind: Kind) {
        match &e.kind {
            ExprKind::Variable(v) => match &v.value {
                None => self.record(v, kind),
                Some(inner) => self.value(inner, kind),
            },
            ExprKind::Set(elems) => {
                for el in elems {
                    self.elem_key(el, &[Some(kind)]);
                }
            }
            ExprKind::List(items) => {
                for i in items {
                    self.value(i, kind);
                }
            }
            ExprKind::Range { low, high } => {
                self.value(low, kind);
                self.value(high, kind);
            }
            ExprKind::Prefix { base, .. } => self.value(base, kind),
            ExprKind::Masked { value, mask } => {
                self.value(value, kind);
                self.value(mask, kind);
            }
            ExprKind::Map { key, map } => self.map(key, map, &[Some(kind)]),
            _ => {}
        }
    }

    /// A rate or quota number (`u64`).
    fn count(&mut self, c: &Count) {
        self.count_of(c, Kind::Int(64));
    }

    /// A number of kind `kind` (`u32` bursts, `u64` rates and quotas).
    fn count_of(&mut self, c: &Count, kind: Kind) {
        if let Count::Var(v) = c
            && v.value.is_none()
        {
            self.record(v, kind);
        }
    }

    /// A limit's rate (`u64`) and burst (`u32`, the kernel's width).
    fn limit(&mut self, l: &LimitRate) {
        match &l.rate {
            Rate::Packets { count, .. } => self.count(count),
            Rate::Bytes { amount, .. } => self.count(&amount.amount),
        }
        match &l.burst {
            Some(Burst::Packets(n)) => self.count_of(n, Kind::Int(32)),
            Some(Burst::Bytes(b)) => self.count_of(&b.amount, Kind::Int(32)),
            None => {}
        }
    }

    /// A quota and what it has used (`u64`).
    fn quota(&mut self, q: &QuotaSpec) {
        self.count(&q.amount.amount);
        if let Some(u) = &q.used {
            self.count(&u.amount);
        }
    }

    /// The timeout and expiry of an element or set statement.
    fn elem_options(&mut self, o: &ElemOptions) {
        self.timeout(o.timeout.as_ref());
        self.timeout(o.expires.as_ref());
    }

    /// The configuration of a named quota or limit.
    fn object(&mut self, body: &ObjectBody) {
        for item in &body.items {
            match item {
                ObjectItem::Quota(q) => self.quota(q),
                ObjectItem::Limit(l) => self.limit(l),
                _ => {}
            }
        }
    }

    /// A set or element timeout.
    fn timeout(&mut self, t: Option<&TimeValue>) {
        if let Some(TimeValue::Var(v)) = t
            && v.value.is_none()
        {
            self.record(v, Kind::Duration);
        }
    }

    /// An anonymous map `KEY map { k : d, … }` whose data are of the kinds `data`.
    fn map(&mut self, key: &Expr, map: &Expr, data: &[Option<Kind>]) {
        let keys = lhs_kinds(key);
        if let ExprKind::Set(elems) = &map.kind {
            for el in elems {
                self.elem(el, &keys, data);
            }
        }
    }

    /// A right-hand side for a left-hand side of the given component kinds.
    fn rhs(&mut self, e: &Expr, kinds: &[Option<Kind>]) {
        match &e.kind {
            ExprKind::Variable(v) => {
                if let Some(inner) = &v.value {
                    self.rhs(inner, kinds);
                } else if let [Some(k)] = kinds {
                    self.record(v, *k);
                }
            }
            ExprKind::Set(elems) => {
                for el in elems {
                    self.elem_key(el, kinds);
                }
            }
            ExprKind::Concat(parts) if parts.len() == kinds.len() => {
                for (p, k) in parts.iter().zip(kinds) {
                    if let Some(k) = k {
                        self.value(p, *k);
                    }
                }
            }
            _ => {
                if let [Some(k)] = kinds {
                    self.value(e, *k);
                }
            }
        }
    }

    fn elem_key(&mut self, el: &SetElem, kinds: &[Option<Kind>]) {
        self.elem(el, kinds, &[]);
    }

    /// A set or map element: the key of the given kinds, the data of the kinds `data` (none:
    /// a verdict).
    fn elem(&mut self, el: &SetElem, kinds: &[Option<Kind>], data: &[Option<Kind>]) {
        self.rhs(&el.key, kinds);
        self.elem_options(&el.options);
        for s in &el.stmts {
            // Per-element `limit`, `quota` (the family plays no part in them).
            self.stmt(s, Family::Ip);
        }
        if let Some(d) = &el.data {
            if data.is_empty() {
                self.verdict_expr(d);
            } else if data.len() > 1 && !matches!(d.resolved().kind, ExprKind::Concat(_)) {
                // `addr` where `addr . port` may stand (NAT maps).
                self.rhs(d, &data[..1]);
            } else {
                self.rhs(d, data);
            }
        }
    }

    fn verdict_expr(&mut self, e: &Expr) {
        if let ExprKind::Verdict(v) = &e.resolved().kind {
            self.verdict(v);
        }
    }

    fn verdict(&mut self, v: &Verdict) {
        if let Verdict::Jump(t) | Verdict::Goto(t) = v
            && let ExprKind::Variable(var) = &t.kind
        {
            match &var.value {
                None => self.record(var, Kind::Chain),
                Some(inner) => self.verdict(&Verdict::Jump(inner.clone())),
            }
        }
    }

    fn devices(&mut self, e: &Expr) {
        self.value(e, Kind::IfName);
    }

    /// Notes the sets and maps `c` declares.
    fn declare_sets(&mut self, c: &Command) {
        match &c.kind {
            CommandKind::Table {
                table: TableSel::Name(t),
                body: Some(body),
            } => {
                let fam = t.family.unwrap_or(Family::Ip);
                for item in &body.items {
                    if let TableItem::Set(s) = item {
                        self.sets.push((
                            fam,
                            t.name.name.clone(),
                            s.name.name.clone(),
                            set_kinds(&s.body.items),
                        ));
                    }
                }
            }
            CommandKind::Set {
                set: ObjSel::Name(q),
                body: Some(body),
                ..
            } => self.sets.push((
                q.table.family.unwrap_or(Family::Ip),
                q.table.name.name.clone(),
                q.name.name.clone(),
                set_kinds(&body.items),
            )),
            _ => {}
        }
    }

    /// The elements of `add|create|delete element F T S { … }`: keys and data by the set's
    /// declaration in the script.
    fn element_command(&mut self, set: &QualName, elements: &Expr) {
        let fam = set.table.family.unwrap_or(Family::Ip);
        let found = self
            .sets
            .iter()
            .rev()
            .find(|(f, t, s, _)| *f == fam && *t == set.table.name.name && *s == set.name.name)
            .map(|(.., k)| k.clone());
        let ExprKind::Set(elems) = &elements.kind else {
            return;
        };
        match found {
            Some((keys, data)) => {
                for el in elems {
                    self.elem(el, &keys, &data);
                }
            }
            None => {
                // Options and per-element statements have their kinds anyway.
                for el in elems {
                    let why = format!(
                        "cannot be interpolated here: the type of {} {} {} is unknown at \
                         compile time (declare the set in the same nft! text)",
                        fam.as_str(),
                        set.table.name.name,
                        set.name.name
                    );
                    let mut all = Collect::default();
                    let mut key = el.key.clone();
                    key.walk_mut(&mut all);
                    if let Some(d) = &el.data {
                        let mut d = d.clone();
                        d.walk_mut(&mut all);
                    }
                    for (_, span) in all.vars {
                        self.hints.push((span, why.clone()));
                    }
                    self.elem_options(&el.options);
                    for s in &el.stmts {
                        self.stmt(s, fam);
                    }
                }
            }
        }
    }

    fn command(&mut self, c: &Command) {
        match &c.kind {
            CommandKind::Table {
                table,
                body: Some(body),
            } => {
                let fam = table_family(table);
                for item in &body.items {
                    self.table_item(item, fam);
                }
            }
            CommandKind::Chain {
                chain,
                body: Some(body),
            } => {
                let fam = obj_family(chain);
                for item in &body.items {
                    self.chain_item(item, fam);
                }
            }
            CommandKind::Rule {
                chain,
                rule: Some(rule),
                ..
            } => self.rule(rule, chain.table.family.unwrap_or(Family::Ip)),
            CommandKind::Set {
                body: Some(body), ..
            } => self.set_items(&body.items),
            CommandKind::Element { set, elements } => self.element_command(set, elements),
            CommandKind::Object {
                body: Some(body), ..
            } => self.object(body),
            CommandKind::Flowtable {
                body: Some(body), ..
            } => {
                for item in &body.items {
                    if let FlowtableItem::Devices(e) = item {
                        self.devices(e);
                    }
                }
            }
            _ => {}
        }
    }

    fn table_item(&mut self, item: &TableItem, fam: Family) {
        match item {
            TableItem::Chain(c) => {
                for i in &c.body.items {
                    self.chain_item(i, fam);
                }
            }
            TableItem::Set(s) => self.set_items(&s.body.items),
            TableItem::Object(o) => self.object(&o.body),
            TableItem::Flowtable(f) => {
                for item in &f.body.items {
                    if let FlowtableItem::Devices(e) = item {
                        self.devices(e);
                    }
                }
            }
            _ => {}
        }
    }

    fn chain_item(&mut self, item: &ChainItem, fam: Family) {
        match item {
            ChainItem::Hook(h) => {
                if let Some(DeviceSpec::Device(e) | DeviceSpec::Devices(e)) = &h.device {
                    self.devices(e);
                }
            }
            ChainItem::Rule(r) => self.rule(r, fam),
            _ => {}
        }
    }

    fn set_items(&mut self, items: &[SetItem]) {
        let (kinds, data) = set_kinds(items);
        for item in items {
            match item {
                SetItem::Timeout(t) | SetItem::GcInterval(t) => self.timeout(Some(t)),
                SetItem::Stateful(stmts) => {
                    for s in stmts {
                        self.stmt(s, Family::Ip);
                    }
                }
                _ => {}
            }
        }
        for item in items {
            if let SetItem::Elements(e) = item {
                match &e.kind {
                    ExprKind::Set(elems) => {
                        for el in elems {
                            self.elem(el, &kinds, &data);
                        }
                    }
                    _ => self.rhs(e, &kinds),
                }
            }
        }
    }

    fn rule(&mut self, r: &Rule, fam: Family) {
        for s in &r.stmts {
            self.stmt(s, fam);
        }
    }

    fn stmt(&mut self, s: &Stmt, fam: Family) {
        match &s.kind {
            StmtKind::Match { left, right, .. } => {
                // `SELECTOR & MASK == VALUE`: mask and value are of the selector's kind.
                let mut sel = left;
                while let ExprKind::Binary {
                    op: BinOp::And | BinOp::Or | BinOp::Xor,
                    left: inner,
                    right: mask,
                } = &sel.kind
                {
                    if let Some(k) = lhs_kind(inner) {
                        self.value(mask, k);
                    }
                    sel = inner;
                }
                let kinds = lhs_kinds(sel);
                self.rhs(right, &kinds);
            }
            StmtKind::Verdict(v) => self.verdict(v),
            StmtKind::VerdictMap { key, map } => {
                let kinds = lhs_kinds(key);
                if let ExprKind::Set(elems) = &map.kind {
                    for el in elems {
                        self.elem_key(el, &kinds);
                    }
                }
            }
            StmtKind::Nat(n) => self.nat(n, fam),
            StmtKind::Set(s) => {
                self.elem_options(&s.options);
                for st in &s.stmts {
                    self.stmt(st, fam);
                }
            }
            StmtKind::Limit(l) => self.limit(l),
            StmtKind::Quota(q) => self.quota(q),
            StmtKind::MetaSet {
                key,
                explicit,
                value,
            } => {
                let target = Expr::new(ExprKind::Meta {
                    key,
                    explicit: *explicit,
                });
                if let Some(k) = lhs_kind(&target) {
                    self.value(value, k);
                }
            }
            StmtKind::CtSet { dir, key, value } => {
                let target = Expr::new(ExprKind::Ct {
                    dir: *dir,
                    proto: None,
                    key,
                });
                if let Some(k) = lhs_kind(&target) {
                    self.value(value, k);
                }
            }
            StmtKind::PayloadSet { target, value } => {
                if let Some(k) = lhs_kind(target) {
                    self.value(value, k);
                }
            }
            StmtKind::Chain { rules, .. } => {
                for r in rules {
                    self.rule(r, fam);
                }
            }
            _ => {}
        }
    }

    fn nat(&mut self, n: &Nat, fam: Family) {
        let addr_kind = match (n.family, fam) {
            (Some(NfProto::Ip), _) | (None, Family::Ip) => Some(Kind::Ipv4),
            (Some(NfProto::Ip6), _) | (None, Family::Ip6) => Some(Kind::Ipv6),
            _ => None,
        };
        if let (Some(a), Some(k)) = (&n.addr, addr_kind) {
            match &a.kind {
                // `dnat to KEY map { k : addr }` or `{ k : addr . port }`.
                ExprKind::Map { key, map } => {
                    let concat = matches!(&map.kind, ExprKind::Set(elems) if elems.iter().any(
                        |el| matches!(el.data.as_ref().map(|d| &d.kind), Some(ExprKind::Concat(_)))
                    ));
                    if concat {
                        self.map(key, map, &[Some(k), Some(Kind::InetService)]);
                    } else {
                        self.map(key, map, &[Some(k)]);
                    }
                }
                _ => self.value(a, k),
            }
        }
        if let Some(p) = &n.port {
            self.value(p, Kind::InetService);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linx_nft_syntax::expand::MemoryFileSystem;
    use linx_nft_syntax::{Options, load_str};

    fn kinds_of(text: &str, names: &[&str]) -> (Vec<(String, Kind)>, usize) {
        let o = Options {
            externals: names.iter().map(|n| n.to_string()).collect(),
            ..Options::default()
        };
        let p = match load_str("t.nft", text, &o, &MemoryFileSystem::new()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let (uses, errors, _) = classify(&p.script);
        (
            uses.into_iter().map(|u| (u.name, u.kind)).collect(),
            errors.len(),
        )
    }

    #[test]
    fn nft_24_kinds_follow_the_left_hand_side() {
        let text = "table inet t {\n\tchain c {\n\t\ttcp dport $p ip saddr { $a, 10.0.0.0/8 } iifname $w accept\n\t\tip6 daddr $b meta mark $m oif $o jump $j\n\t}\n}\n";
        let (uses, errors) = kinds_of(text, &["p", "a", "w", "b", "m", "o", "j"]);
        assert_eq!(errors, 0);
        assert_eq!(
            uses,
            vec![
                ("p".to_string(), Kind::InetService),
                ("a".to_string(), Kind::Ipv4),
                ("w".to_string(), Kind::IfName),
                ("b".to_string(), Kind::Ipv6),
                ("m".to_string(), Kind::Mark),
                ("o".to_string(), Kind::IfIndex),
                ("j".to_string(), Kind::Chain),
            ]
        );
    }

    #[test]
    fn nft_24_set_declarations_nat_and_concatenations() {
        let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { $a . $p }\n\t}\n\tchain c {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tip saddr . tcp dport { $a . 22 } dnat to $h:$q\n\t}\n}\n";
        let (uses, errors) = kinds_of(text, &["a", "p", "h", "q"]);
        assert_eq!(errors, 0);
        assert!(uses.contains(&("a".to_string(), Kind::Ipv4)));
        assert!(uses.contains(&("p".to_string(), Kind::InetService)));
        assert!(uses.contains(&("h".to_string(), Kind::Ipv4)));
        assert!(uses.contains(&("q".to_string(), Kind::InetService)));
    }

    #[test]
    fn nft_24_unsupported_positions_and_conflicting_kinds_are_errors() {
        // `ct helper` (a helper object's name) has no interpolation kind.
        let (_, errors) = kinds_of(
            "table inet t {\n\tchain c {\n\t\tct helper $x accept\n\t}\n}\n",
            &["x"],
        );
        assert_eq!(errors, 1);
        // Nor has the data of a map whose data type has none (ether_addr).
        let (_, errors) = kinds_of(
            "table ip t {\n\tmap m {\n\t\ttype ipv4_addr : ether_addr\n\t\telements = { 10.0.0.1 : $x }\n\t}\n}\n",
            &["x"],
        );
        assert_eq!(errors, 1);
        // Nor has the key of an element added to a set the script does not declare.
        let (_, errors) = kinds_of("add element ip t s { $x }\n", &["x"]);
        assert_eq!(errors, 1);
        // One variable as a port and as an address.
        let (_, errors) = kinds_of(
            "table inet t {\n\tchain c {\n\t\ttcp dport $x ip saddr $x accept\n\t}\n}\n",
            &["x"],
        );
        assert_eq!(errors, 1);
        // A NAT address in an inet table without `ip to`/`ip6 to` has no fixed family.
        let (_, errors) = kinds_of(
            "table inet t {\n\tchain c {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tdnat $x\n\t}\n}\n",
            &["x"],
        );
        assert_eq!(errors, 1);
    }

    #[test]
    fn nft_24_integer_fields_take_their_width() {
        let text = "table inet t {\n\tchain c {\n\t\tip ttl $ttl ip dscp $d meta l4proto $p vlan id $v accept\n\t\tip6 flowlabel $f meta length { $l, 100 } ct packets > $n ct zone $z accept\n\t\tmeta mark set $m ct zone set $z2 ip dscp set $d2\n\t}\n}\n";
        let (uses, errors) = kinds_of(
            text,
            &["ttl", "d", "p", "v", "f", "l", "n", "z", "m", "z2", "d2"],
        );
        assert_eq!(errors, 0);
        let get = |n: &str| uses.iter().find(|(u, _)| u == n).map(|(_, k)| *k);
        assert_eq!(get("ttl"), Some(Kind::Int(8)));
        assert_eq!(get("d"), Some(Kind::Int(6)));
        assert_eq!(get("p"), Some(Kind::Int(8)));
        assert_eq!(get("v"), Some(Kind::Int(12)));
        assert_eq!(get("f"), Some(Kind::Int(20)));
        assert_eq!(get("l"), Some(Kind::Int(32)));
        assert_eq!(get("n"), Some(Kind::Int(64)));
        assert_eq!(get("z"), Some(Kind::Int(16)));
        assert_eq!(get("m"), Some(Kind::Mark));
        assert_eq!(get("z2"), Some(Kind::Int(16)));
        assert_eq!(get("d2"), Some(Kind::Int(6)));
        assert_eq!(Kind::Int(6).marker().to_string(), "U8 < 6 >");
        assert_eq!(Kind::Int(20).marker().to_string(), "U32 < 20 >");
    }

    #[test]
    fn nft_24_map_data_takes_the_data_type() {
        let text = "table ip t {\n\tmap m {\n\t\ttype ipv4_addr : inet_service\n\t\telements = { $k : $p }\n\t}\n\tmap n {\n\t\ttypeof ip saddr : meta mark\n\t\telements = { 10.0.0.1 : $m }\n\t}\n\tchain c {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tmeta mark set ip saddr map { 10.0.0.2 : $m }\n\t\ttcp dport vmap { $q : accept }\n\t\tdnat to ip saddr map { 10.0.0.1 : $a, 10.0.0.2 : $b . $bp }\n\t}\n}\n";
        let (uses, errors) = kinds_of(text, &["k", "p", "m", "q", "a", "b", "bp"]);
        assert_eq!(errors, 0, "{uses:?}");
        let get = |n: &str| uses.iter().find(|(u, _)| u == n).map(|(_, k)| *k);
        assert_eq!(get("k"), Some(Kind::Ipv4));
        assert_eq!(get("p"), Some(Kind::InetService));
        assert_eq!(get("m"), Some(Kind::Mark));
        assert_eq!(get("q"), Some(Kind::InetService));
        assert_eq!(get("a"), Some(Kind::Ipv4));
        assert_eq!(get("b"), Some(Kind::Ipv4));
        assert_eq!(get("bp"), Some(Kind::InetService));
    }

    #[test]
    fn nft_24_timeouts_are_durations() {
        let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\ttimeout $a\n\t\telements = { 10.0.0.1 timeout $b }\n\t}\n\tchain c {\n\t\tupdate @s { ip saddr timeout $c }\n\t}\n}\nadd element ip t s { 10.0.0.2 timeout $d }\n";
        let (uses, errors) = kinds_of(text, &["a", "b", "c", "d"]);
        assert_eq!(errors, 0, "{uses:?}");
        for n in ["a", "b", "c", "d"] {
            assert!(
                uses.contains(&(n.to_string(), Kind::Duration)),
                "{n}: {uses:?}"
            );
        }
        // `expires` and `gc-interval` are time values too.
        let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\tgc-interval $g\n\t\telements = { 10.0.0.1 timeout 1h expires $e }\n\t}\n}\nadd element ip t s { 10.0.0.3 expires $f }\n";
        let (uses, errors) = kinds_of(text, &["g", "e", "f"]);
        assert_eq!(errors, 0, "{uses:?}");
        for n in ["g", "e", "f"] {
            assert!(
                uses.contains(&(n.to_string(), Kind::Duration)),
                "{n}: {uses:?}"
            );
        }
    }

    #[test]
    fn nft_24_symbolic_selectors_take_their_types() {
        let text = "table inet t {\n\tset states {\n\t\ttype ct_state\n\t\telements = { $e }\n\t}\n\tchain c {\n\t\tct state $s ct status $st ct direction $d accept\n\t\tmeta pkttype { $p, host } tcp flags & $m == $f drop\n\t\ttcp flags $v / syn,$w accept\n\t}\n}\n";
        let (uses, errors) = kinds_of(text, &["e", "s", "st", "d", "p", "m", "f", "v", "w"]);
        assert_eq!(errors, 0, "{uses:?}");
        let get = |n: &str| uses.iter().find(|(u, _)| u == n).map(|(_, k)| *k);
        assert_eq!(get("e"), Some(Kind::CtState));
        assert_eq!(get("s"), Some(Kind::CtState));
        assert_eq!(get("st"), Some(Kind::CtStatus));
        assert_eq!(get("d"), Some(Kind::CtDirection));
        assert_eq!(get("p"), Some(Kind::PktType));
        assert_eq!(get("f"), Some(Kind::TcpFlags));
        assert_eq!(get("v"), Some(Kind::TcpFlags));
        assert_eq!(get("w"), Some(Kind::TcpFlags));
    }

    #[test]
    fn nft_24_element_commands_objects_bursts_and_element_statements() {
        let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\tflags timeout\n\t}\n\tquota q {\n\t\tover $qa mbytes used $qu\n\t}\n\tlimit l {\n\t\trate $lr/second burst $lb packets\n\t}\n\tchain c {\n\t\tlimit rate $r kbytes/second burst $b kbytes accept\n\t}\n}\nadd map ip t m { type ipv4_addr : mark; }\nadd element ip t s { $a . $p timeout 1m }\nadd element ip t m { $k : $v }\nadd quota ip t q2 { $q2 bytes }\ntable ip u {\n\tset c {\n\t\ttype ipv4_addr\n\t\tlimit rate $tl/second\n\t\telements = { 10.0.0.1 limit rate 5/second, 10.0.0.2 limit rate $eq/second }\n\t}\n}\n";
        let names = [
            "qa", "qu", "lr", "lb", "r", "b", "a", "p", "k", "v", "q2", "eq", "tl",
        ];
        let (uses, errors) = kinds_of(text, &names);
        assert_eq!(errors, 0, "{uses:?}");
        let get = |n: &str| uses.iter().find(|(u, _)| u == n).map(|(_, k)| *k);
        for n in ["qa", "qu", "lr", "r", "q2", "eq", "tl"] {
            assert_eq!(get(n), Some(Kind::Int(64)), "{n}");
        }
        assert_eq!(get("lb"), Some(Kind::Int(32)));
        assert_eq!(get("b"), Some(Kind::Int(32)));
        assert_eq!(get("a"), Some(Kind::Ipv4));
        assert_eq!(get("p"), Some(Kind::InetService));
        assert_eq!(get("k"), Some(Kind::Ipv4));
        assert_eq!(get("v"), Some(Kind::Mark));
    }

    #[test]
    fn nft_24_rates_and_quotas_are_u64() {
        let text = "table inet t {\n\tchain c {\n\t\tlimit rate over $a/second drop\n\t\tlimit rate $b kbytes/minute accept\n\t\tquota over $c drop\n\t\tupdate @s { ip saddr limit rate $d/hour }\n\t}\n}\n";
        let (uses, errors) = kinds_of(text, &["a", "b", "c", "d"]);
        assert_eq!(errors, 0, "{uses:?}");
        for n in ["a", "b", "c", "d"] {
            assert!(
                uses.contains(&(n.to_string(), Kind::Int(64))),
                "{n}: {uses:?}"
            );
        }
    }
}
