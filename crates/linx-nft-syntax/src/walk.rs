//! A mutable walk over the AST: every node, every span, every `$var`.
//!
//! Used by the expander (to bind variables) and to compare trees "spans aside"
//! ([`crate::ast::Script::without_spans`]).

use crate::ast::*;
use crate::source::Span;

/// Callbacks of a walk; every method has an empty default. Hooks are called before the walk
/// descends into the node.
///
/// ```
/// use linx_nft_syntax::{walk::{VisitMut, WalkMut}, parse_str};
/// struct Count(usize);
/// impl VisitMut for Count {
///     fn var(&mut self, _v: &mut linx_nft_syntax::ast::Var) { self.0 += 1; }
/// }
/// let mut p = parse_str("a", "define A = 1\nadd rule t c tcp dport $A\n", &Default::default()).unwrap();
/// let mut c = Count(0);
/// p.script.walk_mut(&mut c);
/// assert_eq!(c.0, 1);
/// ```
pub trait VisitMut {
    /// Every span.
    fn span(&mut self, _s: &mut Span) {}
    /// Every `$var` (then its span and, if bound, its value are walked).
    fn var(&mut self, _v: &mut Var) {}
    /// A variable where nft's grammar takes only a literal (a rate, quota or timeout); called
    /// before [`var`](Self::var) for it. `time` is true for a timeout.
    fn literal_var(&mut self, _v: &mut Var, _time: bool) {}
    /// Every statement.
    fn stmt(&mut self, _s: &mut Stmt) {}
    /// Every expression.
    fn expr(&mut self, _e: &mut Expr) {}
}

/// Implemented by every AST node.
pub trait WalkMut {
    /// Walks the node and its children.
    fn walk_mut(&mut self, v: &mut dyn VisitMut);
}

impl<T: WalkMut> WalkMut for Vec<T> {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        for x in self {
            x.walk_mut(v);
        }
    }
}

impl<T: WalkMut> WalkMut for Option<T> {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        if let Some(x) = self {
            x.walk_mut(v);
        }
    }
}

impl<T: WalkMut> WalkMut for Box<T> {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        (**self).walk_mut(v);
    }
}

impl WalkMut for Span {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.span(self);
    }
}

impl WalkMut for Ident {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.span(&mut self.span);
    }
}

impl WalkMut for Str {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.span(&mut self.span);
    }
}

impl WalkMut for Num {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.span(&mut self.span);
    }
}

impl WalkMut for Var {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.var(self);
        v.span(&mut self.span);
        self.value.walk_mut(v);
    }
}

impl WalkMut for Script {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
    }
}

impl WalkMut for TopItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            TopItem::Directive(d) => d.walk_mut(v),
            TopItem::Command(c) => c.walk_mut(v),
        }
    }
}

impl WalkMut for Directive {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            Directive::Include { path, span } => {
                path.walk_mut(v);
                v.span(span);
            }
            Directive::Define {
                name, value, span, ..
            } => {
                name.walk_mut(v);
                value.walk_mut(v);
                v.span(span);
            }
            Directive::Undefine { name, span } => {
                name.walk_mut(v);
                v.span(span);
            }
        }
    }
}

impl WalkMut for TableName {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.name.walk_mut(v);
    }
}

impl WalkMut for TableSel {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            TableSel::Name(n) => n.walk_mut(v),
            TableSel::Handle { handle, .. } => handle.walk_mut(v),
        }
    }
}

impl WalkMut for QualName {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.table.walk_mut(v);
        self.name.walk_mut(v);
    }
}

impl WalkMut for ObjSel {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            ObjSel::Name(n) => n.walk_mut(v),
            ObjSel::Handle { table, handle } => {
                table.walk_mut(v);
                handle.walk_mut(v);
            }
        }
    }
}

impl WalkMut for RulePosition {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            RulePosition::Position(n) | RulePosition::Handle(n) | RulePosition::Index(n) => {
                n.walk_mut(v)
            }
        }
    }
}

impl WalkMut for Command {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.kind.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for CommandKind {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            CommandKind::Table { table, body } => {
                table.walk_mut(v);
                body.walk_mut(v);
            }
            CommandKind::Chain { chain, body } => {
                chain.walk_mut(v);
                body.walk_mut(v);
            }
            CommandKind::Rule {
                chain,
                position,
                rule,
                ..
            } => {
                chain.walk_mut(v);
                position.walk_mut(v);
                rule.walk_mut(v);
            }
            CommandKind::Set { set, body, .. } => {
                set.walk_mut(v);
                body.walk_mut(v);
            }
            CommandKind::Element { set, elements } => {
                set.walk_mut(v);
                elements.walk_mut(v);
            }
            CommandKind::Flowtable { flowtable, body } => {
                flowtable.walk_mut(v);
                body.walk_mut(v);
            }
            CommandKind::Object { object, body, .. } => {
                object.walk_mut(v);
                body.walk_mut(v);
            }
            CommandKind::Ruleset { .. } => {}
            CommandKind::ResetObjects { table, .. } => table.walk_mut(v),
            CommandKind::ResetRules { table, chain, .. } => {
                table.walk_mut(v);
                chain.walk_mut(v);
            }
        }
    }
}

impl WalkMut for TableBody {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for TableItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            TableItem::Directive(d) => d.walk_mut(v),
            TableItem::Flags(i) => i.walk_mut(v),
            TableItem::Comment(s) => s.walk_mut(v),
            TableItem::Chain(c) => {
                c.name.walk_mut(v);
                c.body.walk_mut(v);
                v.span(&mut c.span);
            }
            TableItem::Set(s) => {
                s.name.walk_mut(v);
                s.body.walk_mut(v);
                v.span(&mut s.span);
            }
            TableItem::Flowtable(f) => {
                f.name.walk_mut(v);
                f.body.walk_mut(v);
                v.span(&mut f.span);
            }
            TableItem::Object(o) => {
                o.name.walk_mut(v);
                o.body.walk_mut(v);
                v.span(&mut o.span);
            }
        }
    }
}

impl WalkMut for ChainBody {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for ChainItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            ChainItem::Directive(d) => d.walk_mut(v),
            ChainItem::Hook(h) => h.walk_mut(v),
            ChainItem::Policy(p) => match p {
                Policy::Accept(s) | Policy::Drop(s) => v.span(s),
                Policy::Var(x) => x.walk_mut(v),
            },
            ChainItem::FlagsOffload(s) => v.span(s),
            ChainItem::Comment(s) => s.walk_mut(v),
            ChainItem::Rule(r) => r.walk_mut(v),
        }
    }
}

impl WalkMut for HookSpec {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.chain_type.walk_mut(v);
        self.hook.walk_mut(v);
        match &mut self.device {
            Some(DeviceSpec::Device(e)) | Some(DeviceSpec::Devices(e)) => e.walk_mut(v),
            None => {}
        }
        self.priority.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for Priority {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match &mut self.value {
            PriorityValue::Number { value, .. } => value.walk_mut(v),
            PriorityValue::Named { name, offset } => {
                name.walk_mut(v);
                if let Some((_, n)) = offset {
                    n.walk_mut(v);
                }
            }
            PriorityValue::Var(x) => x.walk_mut(v),
        }
        v.span(&mut self.span);
    }
}

impl WalkMut for SetBody {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for SetItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            SetItem::Directive(d) => d.walk_mut(v),
            SetItem::Type { key, data, span } => {
                key.walk_mut(v);
                match data {
                    Some(MapData::Type { types, .. }) => types.walk_mut(v),
                    Some(MapData::Object(_, s)) => v.span(s),
                    None => {}
                }
                v.span(span);
            }
            SetItem::Typeof { key, data, span } => {
                key.walk_mut(v);
                if let Some(d) = data {
                    d.exprs.walk_mut(v);
                }
                v.span(span);
            }
            SetItem::Flags(f) => {
                for (_, s) in f {
                    v.span(s);
                }
            }
            SetItem::Timeout(t) | SetItem::GcInterval(t) => t.walk_mut(v),
            SetItem::Comment(s) => s.walk_mut(v),
            SetItem::Stateful(s) => s.walk_mut(v),
            SetItem::Elements(e) => e.walk_mut(v),
            SetItem::AutoMerge(s) => v.span(s),
            SetItem::Policy(i) => i.walk_mut(v),
            SetItem::Size(n) => n.walk_mut(v),
        }
    }
}

impl WalkMut for FlowtableBody {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for FlowtableItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            FlowtableItem::Directive(d) => d.walk_mut(v),
            FlowtableItem::Hook { hook, priority } => {
                hook.walk_mut(v);
                priority.walk_mut(v);
            }
            FlowtableItem::Devices(e) => e.walk_mut(v),
            FlowtableItem::Counter(s) | FlowtableItem::FlagsOffload(s) => v.span(s),
        }
    }
}

impl WalkMut for ObjectBody {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.items.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for ObjectItem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            ObjectItem::Directive(d) => d.walk_mut(v),
            ObjectItem::Comment(s) | ObjectItem::Secmark(s) | ObjectItem::Timeout(s) => {
                s.walk_mut(v)
            }
            ObjectItem::Counter { packets, bytes } => {
                packets.walk_mut(v);
                bytes.walk_mut(v);
            }
            ObjectItem::Quota(q) => q.walk_mut(v),
            ObjectItem::Limit(l) => l.walk_mut(v),
            ObjectItem::Synproxy { mss, wscale, .. } => {
                mss.walk_mut(v);
                wscale.walk_mut(v);
            }
            ObjectItem::CtHelperType { name, protocol } => {
                name.walk_mut(v);
                protocol.walk_mut(v);
            }
            ObjectItem::L3Proto(_, s) => v.span(s),
            ObjectItem::Protocol(i) => i.walk_mut(v),
            ObjectItem::TimeoutPolicy(states) => {
                for (i, n) in states {
                    i.walk_mut(v);
                    n.walk_mut(v);
                }
            }
            ObjectItem::Dport(n) | ObjectItem::Size(n) => n.walk_mut(v),
        }
    }
}

impl WalkMut for Rule {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.stmts.walk_mut(v);
        self.comment.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for ByteAmount {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.amount.walk_mut(v);
    }
}

impl WalkMut for LimitRate {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match &mut self.rate {
            Rate::Packets { count, .. } => count.walk_mut(v),
            Rate::Bytes { amount, .. } => amount.walk_mut(v),
        }
        match &mut self.burst {
            Some(Burst::Packets(n)) => n.walk_mut(v),
            Some(Burst::Bytes(b)) => b.walk_mut(v),
            None => {}
        }
    }
}

impl WalkMut for QuotaSpec {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.amount.walk_mut(v);
        self.used.walk_mut(v);
    }
}

impl WalkMut for TimeValue {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            TimeValue::Lit(s) => s.walk_mut(v),
            TimeValue::Var(x) => {
                v.literal_var(x, true);
                x.walk_mut(v)
            }
        }
    }
}

impl WalkMut for Count {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            Count::Num(n) => n.walk_mut(v),
            Count::Var(x) => {
                v.literal_var(x, false);
                x.walk_mut(v)
            }
        }
    }
}

impl WalkMut for ElemOptions {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.timeout.walk_mut(v);
        self.expires.walk_mut(v);
        self.comment.walk_mut(v);
    }
}

impl WalkMut for Verdict {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        match self {
            Verdict::Jump(e) | Verdict::Goto(e) => e.walk_mut(v),
            _ => {}
        }
    }
}

impl WalkMut for Stmt {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.stmt(self);
        v.span(&mut self.span);
        match &mut self.kind {
            StmtKind::Match { left, right, .. } => {
                left.walk_mut(v);
                right.walk_mut(v);
            }
            StmtKind::Verdict(x) => x.walk_mut(v),
            StmtKind::VerdictMap { key, map } => {
                key.walk_mut(v);
                map.walk_mut(v);
            }
            StmtKind::Counter {
                name,
                packets,
                bytes,
            } => {
                name.walk_mut(v);
                packets.walk_mut(v);
                bytes.walk_mut(v);
            }
            StmtKind::Limit(l) => l.walk_mut(v),
            StmtKind::LimitName(e) | StmtKind::QuotaName(e) | StmtKind::SynproxyName(e) => {
                e.walk_mut(v)
            }
            StmtKind::Quota(q) => q.walk_mut(v),
            StmtKind::CtCount { count, .. } => count.walk_mut(v),
            StmtKind::Log(l) => {
                l.prefix.walk_mut(v);
                l.group.walk_mut(v);
                l.snaplen.walk_mut(v);
                l.queue_threshold.walk_mut(v);
                l.level.walk_mut(v);
            }
            StmtKind::Reject(r) => match r {
                Some(RejectWith::Icmp(e))
                | Some(RejectWith::Icmpv6(e))
                | Some(RejectWith::Icmpx(e)) => e.walk_mut(v),
                _ => {}
            },
            StmtKind::Nat(n) => {
                n.addr.walk_mut(v);
                n.port.walk_mut(v);
            }
            StmtKind::Tproxy { addr, port, .. } => {
                addr.walk_mut(v);
                port.walk_mut(v);
            }
            StmtKind::Queue(q) => q.num.walk_mut(v),
            StmtKind::Dup { addr, device } => {
                addr.walk_mut(v);
                device.walk_mut(v);
            }
            StmtKind::Fwd { to, device, .. } => {
                to.walk_mut(v);
                device.walk_mut(v);
            }
            StmtKind::Synproxy { mss, wscale, .. } => {
                mss.walk_mut(v);
                wscale.walk_mut(v);
            }
            StmtKind::MetaSet { value, .. } | StmtKind::CtSet { value, .. } => value.walk_mut(v),
            StmtKind::PayloadSet { target, value } => {
                target.walk_mut(v);
                value.walk_mut(v);
            }
            StmtKind::Notrack => {}
            StmtKind::FlowAdd { name, .. } => name.walk_mut(v),
            StmtKind::Set(s) => {
                s.set.walk_mut(v);
                s.key.walk_mut(v);
                s.options.walk_mut(v);
                s.stmts.walk_mut(v);
                s.data.walk_mut(v);
            }
            StmtKind::Meter(m) => {
                m.name.walk_mut(v);
                m.size.walk_mut(v);
                m.key.walk_mut(v);
                m.options.walk_mut(v);
                m.stmt.walk_mut(v);
            }
            StmtKind::Chain { rules, .. } => rules.walk_mut(v),
            StmtKind::OptStrip { .. } => {}
            StmtKind::Last { used } => used.walk_mut(v),
        }
    }
}

impl WalkMut for SetElem {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        self.key.walk_mut(v);
        self.stmts.walk_mut(v);
        self.options.walk_mut(v);
        self.data.walk_mut(v);
        v.span(&mut self.span);
    }
}

impl WalkMut for Expr {
    fn walk_mut(&mut self, v: &mut dyn VisitMut) {
        v.expr(self);
        v.span(&mut self.span);
        match &mut self.kind {
            ExprKind::Number(n) => n.walk_mut(v),
            ExprKind::Symbol(_)
            | ExprKind::Quoted(_)
            | ExprKind::Asterisk(_)
            | ExprKind::Wildcard
            | ExprKind::Bool(_)
            | ExprKind::Payload { .. }
            | ExprKind::ExthdrExists(_)
            | ExprKind::TcpOption { .. }
            | ExprKind::IpOption { .. }
            | ExprKind::SctpChunk { .. }
            | ExprKind::Meta { .. }
            | ExprKind::Ct { .. }
            | ExprKind::Fib { .. }
            | ExprKind::Rt { .. }
            | ExprKind::Osf { .. }
            | ExprKind::Ipsec { spnum: None, .. } => {}
            ExprKind::Variable(x) => x.walk_mut(v),
            ExprKind::SetRef(i) => i.walk_mut(v),
            ExprKind::RawPayload { offset, len, .. }
            | ExprKind::TcpOptionRaw { offset, len, .. } => {
                offset.walk_mut(v);
                len.walk_mut(v);
            }
            ExprKind::Exthdr { index, .. } => index.walk_mut(v),
            ExprKind::Socket { level, .. } => level.walk_mut(v),
            ExprKind::Numgen {
                modulus, offset, ..
            } => {
                modulus.walk_mut(v);
                offset.walk_mut(v);
            }
            ExprKind::Jhash {
                expr,
                modulus,
                seed,
                offset,
            } => {
                expr.walk_mut(v);
                modulus.walk_mut(v);
                seed.walk_mut(v);
                offset.walk_mut(v);
            }
            ExprKind::Symhash { modulus, offset } => {
                modulus.walk_mut(v);
                offset.walk_mut(v);
            }
            ExprKind::Ipsec { spnum, .. } => spnum.walk_mut(v),
            ExprKind::Concat(parts) | ExprKind::List(parts) => parts.walk_mut(v),
            ExprKind::Binary { left, right, .. } => {
                left.walk_mut(v);
                right.walk_mut(v);
            }
            ExprKind::Prefix { base, len } => {
                base.walk_mut(v);
                len.walk_mut(v);
            }
            ExprKind::Range { low, high } => {
                low.walk_mut(v);
                high.walk_mut(v);
            }
            ExprKind::Set(elems) => elems.walk_mut(v),
            ExprKind::Map { key, map } => {
                key.walk_mut(v);
                map.walk_mut(v);
            }
            ExprKind::Verdict(x) => x.walk_mut(v),
            ExprKind::Masked { value, mask } => {
                value.walk_mut(v);
                mask.walk_mut(v);
            }
        }
    }
}

struct StripSpans;

impl VisitMut for StripSpans {
    fn span(&mut self, s: &mut Span) {
        *s = Span::DUMMY;
    }
}

impl Script {
    /// A copy with every span replaced by [`Span::DUMMY`], for comparing trees "spans aside".
    ///
    /// ```
    /// use linx_nft_syntax::parse_str;
    /// let a = parse_str("a", "add table ip t\n", &Default::default()).unwrap().script;
    /// let b = parse_str("b", "\n\nadd   table ip t\n", &Default::default()).unwrap().script;
    /// assert_ne!(a, b);
    /// assert_eq!(a.without_spans(), b.without_spans());
    /// ```
    pub fn without_spans(&self) -> Script {
        let mut s = self.clone();
        s.walk_mut(&mut StripSpans);
        s
    }
}
