//! Which kind of value each interpolation (`$name` bound by the macro, not by a `define`)
//! stands for, from its position in the expanded syntax tree (NFT-24). The kind fixes the Rust
//! type: the generated code requires `linx::nft::interp::NftValue<Kind>` of the expression.

use linx_nft_syntax::ast::{
    ChainItem, Command, CommandKind, DeviceSpec, Expr, ExprKind, Family, FlowtableItem, Nat,
    NfProto, ObjSel, PayloadProto, Rule, Script, SetElem, SetItem, Stmt, StmtKind, TableItem,
    TableSel, TopItem, Var, Verdict,
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
}

impl Kind {
    /// The marker type's name in `linx::nft::interp::kind`.
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Kind::InetService => "InetService",
            Kind::Ipv4 => "Ipv4",
            Kind::Ipv6 => "Ipv6",
            Kind::IfName => "IfName",
            Kind::IfIndex => "IfIndex",
            Kind::Mark => "Mark",
            Kind::Chain => "Chain",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::InetService => "a port (inet_service, u16)",
            Kind::Ipv4 => "an IPv4 address or prefix",
            Kind::Ipv6 => "an IPv6 address or prefix",
            Kind::IfName => "an interface name",
            Kind::IfIndex => "an interface (iif/oif, resolved at load)",
            Kind::Mark => "a mark (u32)",
            Kind::Chain => "a chain name",
        }
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
            errors.push(Diagnostic::error(
                span,
                format!(
                    "${name} cannot be interpolated here: a Rust value may stand in value \
                     positions of matches on ports, addresses, interface names and marks, in \
                     set elements, NAT targets, device lists and jump/goto targets"
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

#[derive(Default)]
struct Classifier {
    uses: Vec<Use>,
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
            (PayloadProto::Ip, "saddr" | "daddr") => Some(Kind::Ipv4),
            (PayloadProto::Ip6, "saddr" | "daddr") => Some(Kind::Ipv6),
            _ => None,
        },
        ExprKind::Meta { key, .. } => match *key {
            "iifname" | "oifname" | "ibrname" | "obrname" => Some(Kind::IfName),
            "iif" | "oif" => Some(Kind::IfIndex),
            "mark" => Some(Kind::Mark),
            _ => None,
        },
        ExprKind::Ct { proto, key, .. } => match (*key, proto) {
            ("mark", _) => Some(Kind::Mark),
            ("saddr" | "daddr", Some(NfProto::Ip)) => Some(Kind::Ipv4),
            ("saddr" | "daddr", Some(NfProto::Ip6)) => Some(Kind::Ipv6),
            ("proto-src" | "proto-dst", _) => Some(Kind::InetService),
            _ => None,
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
            _ => {}
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
        self.rhs(&el.key, kinds);
        if let Some(d) = &el.data {
            self.verdict_expr(d);
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
        let mut kinds: Vec<Option<Kind>> = Vec::new();
        for item in items {
            match item {
                SetItem::Type { key, .. } => {
                    kinds = key.iter().map(|k| set_type_kind(&k.name)).collect();
                }
                SetItem::Typeof { key, .. } => {
                    kinds = key.iter().map(lhs_kind).collect();
                }
                _ => {}
            }
        }
        for item in items {
            if let SetItem::Elements(e) = item {
                self.rhs(e, &kinds);
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
                let kinds = lhs_kinds(left);
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
            self.value(a, k);
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
        // meta l4proto has no interpolation kind.
        let (_, errors) = kinds_of(
            "table inet t {\n\tchain c {\n\t\tmeta l4proto $x accept\n\t}\n}\n",
            &["x"],
        );
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
}
