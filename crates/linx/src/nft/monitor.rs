//! nf_tables change events as `nft monitor` prints them (spec NFT-32).
//!
//! [`MonitorPrinter`] keeps a copy of the namespace's ruleset — a snapshot taken when the
//! monitor started ([`Nft::pull_and_follow`](crate::netfilter::Nft::pull_and_follow)) updated
//! by every event — because a rule can only be printed with the sets (named and anonymous) of
//! its table. Anonymous sets and their elements are not printed, as in nft; they only feed the
//! copy.

use crate::netfilter::codec::Decoded;
use crate::netfilter::monitor::{ChangeKind, Event};
use crate::netfilter::set::{Element, RawElement, elem_flags};
use crate::netfilter::{ChainKind, Family, Ruleset, Set, Table};

use super::print::{PrintOptions, base_chain_header, fmt_elements, print_rule, print_set};

/// Renders [`Event`]s as the lines `nft monitor` prints.
///
/// ```no_run
/// use linx::netfilter::Nft;
/// use linx::nft::{MonitorPrinter, PrintOptions};
/// let (snapshot, monitor) = Nft::pull_and_follow(&linx::ns::NsTarget::Current)?;
/// let mut printer = MonitorPrinter::new(snapshot, PrintOptions::default());
/// for event in monitor {
///     for line in printer.lines(&event?) {
///         println!("{line}");
///     }
/// }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MonitorPrinter {
    rs: Ruleset,
    opts: PrintOptions,
    /// Interval starts waiting for their end marker: (verb, family, table, set, element).
    pending: Vec<(ChangeKind, Family, String, String, RawElement)>,
}

impl MonitorPrinter {
    /// A printer starting from `snapshot`, the ruleset as it was when the monitor subscribed.
    /// `opts.ifnames` names interfaces in `iif`/`oif` matches; `opts.handles` has no effect.
    pub fn new(snapshot: Ruleset, opts: PrintOptions) -> MonitorPrinter {
        MonitorPrinter {
            rs: snapshot,
            opts,
            pending: Vec::new(),
        }
    }

    /// The ruleset as the events so far left it.
    pub fn ruleset(&self) -> &Ruleset {
        &self.rs
    }

    /// The lines for one event (none for anonymous sets and their elements), updating the
    /// copy of the ruleset. An overrun is a comment telling the reader to re-read the
    /// ruleset; the copy is then stale until the caller starts a new printer from a new pull.
    pub fn lines(&mut self, ev: &Event) -> Vec<String> {
        match ev {
            Event::Generation(g) => {
                // Interval starts whose end never came reach to the end of the key space.
                let mut out: Vec<String> = std::mem::take(&mut self.pending)
                    .into_iter()
                    .filter_map(|(k, f, t, s, start)| self.elements(k, f, &t, &s, &[start]))
                    .collect();
                out.push(format!(
                    "# new generation {} by process {} ({})",
                    g.id,
                    g.proc_pid.unwrap_or(0),
                    g.proc_name.as_deref().unwrap_or("")
                ));
                out
            }
            Event::Overrun => vec!["# events lost (overrun): re-read the ruleset".to_string()],
            Event::Change(c) => match &c.object {
                Decoded::Elements {
                    family,
                    table,
                    set,
                    elements,
                    ..
                } => self.element_events(c.kind, *family, table, set, elements),
                other => self.change(c.kind, other).into_iter().collect(),
            },
        }
    }

    fn table_mut(&mut self, family: Family, name: &str) -> Option<&mut Table> {
        self.rs
            .tables
            .iter_mut()
            .find(|t| t.family == family && t.name == name)
    }

    fn change(&mut self, kind: ChangeKind, object: &Decoded) -> Option<String> {
        let verb = match kind {
            ChangeKind::New => "add",
            ChangeKind::Delete => "delete",
        };
        match object {
            Decoded::Table(t) => {
                let line = format!("{verb} table {} {}", t.family.name(), t.name);
                match kind {
                    ChangeKind::New => {
                        if self.table_mut(t.family, &t.name).is_none() {
                            self.rs.tables.push(t.clone());
                        }
                    }
                    ChangeKind::Delete => self
                        .rs
                        .tables
                        .retain(|x| !(x.family == t.family && x.name == t.name)),
                }
                Some(line)
            }
            Decoded::Chain {
                family,
                table,
                chain,
            } => {
                let mut line = format!("{verb} chain {} {table} {}", family.name(), chain.name);
                let t = self
                    .rs
                    .tables
                    .iter_mut()
                    .find(|t| t.family == *family && &t.name == table)?;
                match kind {
                    ChangeKind::New => {
                        if let ChainKind::Base(bc) = &chain.kind {
                            line.push_str(&format!(" {{ {} }}", base_chain_header(*family, bc)));
                        }
                        t.chains.retain(|c| c.name != chain.name);
                        t.chains.push(chain.clone());
                    }
                    ChangeKind::Delete => t.chains.retain(|c| c.name != chain.name),
                }
                Some(line)
            }
            Decoded::Set { family, table, set } => {
                let t = self.table_mut(*family, table)?;
                t.sets.retain(|s| s.name != set.name);
                if kind == ChangeKind::New {
                    t.sets.push(set.clone());
                }
                if set.is_anonymous() {
                    return None;
                }
                let kw = if set.data.is_some() { "map" } else { "set" };
                let mut line = format!("{verb} {kw} {} {table} {}", family.name(), set.name);
                if kind == ChangeKind::New {
                    line.push_str(&format!(" {{ {} }} ", self.set_body(family, table, set)));
                }
                Some(line)
            }
            Decoded::Rule {
                family,
                table,
                chain,
                rule,
            } => {
                let fam = family.name();
                let t = self.table_mut(*family, table)?;
                let c = t.chains.iter_mut().find(|c| &c.name == chain)?;
                match kind {
                    ChangeKind::New => {
                        c.rules.push(rule.clone());
                        let t = self
                            .rs
                            .tables
                            .iter()
                            .find(|t| t.family == *family && &t.name == table)?;
                        // Checked against its own table only, as `show` does.
                        let ctx = super::print::verify_context(t);
                        let text = match print_rule(rule, t, chain, &ctx, &self.opts) {
                            Ok(text) => text,
                            Err((text, why)) => format!("{text} # lossy: {why}"),
                        };
                        Some(format!("add rule {fam} {table} {chain} {text}"))
                    }
                    ChangeKind::Delete => {
                        c.rules.retain(|r| r.handle != rule.handle);
                        let handle = rule
                            .handle
                            .map(|h| format!(" handle {h}"))
                            .unwrap_or_default();
                        Some(format!("delete rule {fam} {table} {chain}{handle}"))
                    }
                }
            }
            Decoded::Object {
                family,
                table,
                object,
            } => {
                let t = self.table_mut(*family, table)?;
                t.objects
                    .retain(|o| !(o.name == object.name && o.kind() == object.kind()));
                if kind == ChangeKind::New {
                    t.objects.push(object.clone());
                }
                Some(format!(
                    "{verb} {} {} {table} {}",
                    object.kind(),
                    family.name(),
                    object.name
                ))
            }
            Decoded::Flowtable {
                family,
                table,
                flowtable,
            } => Some(format!(
                "{verb} flowtable {} {table} {}",
                family.name(),
                flowtable.name
            )),
            _ => None,
        }
    }

    /// Element notifications. The kernel announces each interval of a (non-concatenated)
    /// interval set as a start element followed by its end marker; they are paired into one
    /// element, as nft shows it.
    fn element_events(
        &mut self,
        kind: ChangeKind,
        family: Family,
        table: &str,
        set: &str,
        raw: &[RawElement],
    ) -> Vec<String> {
        let interval = self
            .rs
            .tables
            .iter()
            .find(|t| t.family == family && t.name == table)
            .and_then(|t| t.sets.iter().find(|s| s.name == set))
            .is_some_and(|s| s.is_interval() && !s.key.is_concat());
        if !interval {
            return self
                .elements(kind, family, table, set, raw)
                .into_iter()
                .collect();
        }
        let mut out = Vec::new();
        for r in raw {
            let at = self
                .pending
                .iter()
                .position(|(k, f, t, s, _)| *k == kind && *f == family && t == table && s == set);
            if r.flags.unwrap_or(0) & elem_flags::INTERVAL_END != 0 {
                // A leading end marker (the gap before the first interval) pairs with nothing.
                if let Some(i) = at {
                    let (_, _, _, _, start) = self.pending.remove(i);
                    out.extend(self.elements(kind, family, table, set, &[start, r.clone()]));
                }
                continue;
            }
            if let Some(i) = at {
                let (_, _, _, _, start) = self.pending.remove(i);
                out.extend(self.elements(kind, family, table, set, &[start]));
            }
            self.pending
                .push((kind, family, table.to_owned(), set.to_owned(), r.clone()));
        }
        out
    }

    /// One `add element`/`delete element` line for `raw`, updating the copy.
    fn elements(
        &mut self,
        kind: ChangeKind,
        family: Family,
        table: &str,
        set: &str,
        raw: &[RawElement],
    ) -> Option<String> {
        let verb = match kind {
            ChangeKind::New => "add",
            ChangeKind::Delete => "delete",
        };
        let t = self.table_mut(family, table)?;
        let cached = t.sets.iter_mut().find(|s| s.name == set)?;
        let decoded = cached.decode_elements(raw).ok()?;
        let mut shown = cached.clone();
        shown.elements = decoded.clone();
        match kind {
            ChangeKind::New => cached.elements.extend(decoded),
            ChangeKind::Delete => {
                let gone = |e: &Element| decoded.iter().any(|d| d.key == e.key);
                cached.elements.retain(|e| !gone(e));
            }
        }
        if shown.is_anonymous() || shown.elements.is_empty() {
            return None;
        }
        let elems = fmt_elements(&shown, &self.opts);
        Some(format!(
            "{verb} element {} {table} {set} {elems}",
            family.name()
        ))
    }

    /// `type …; flags …;` of a set declaration, as `nft monitor` puts it in braces.
    fn set_body(&self, family: &Family, table: &str, set: &Set) -> String {
        let Some(t) = self
            .rs
            .tables
            .iter()
            .find(|t| t.family == *family && t.name == table)
        else {
            return String::new();
        };
        let mut s = set.clone();
        s.elements.clear();
        print_set(&s, t, &self.opts, &mut Vec::new())
            .lines()
            .filter_map(|l| l.strip_prefix("\t\t"))
            .filter(|l| !l.starts_with('\t') && !l.starts_with("elements"))
            .map(|l| format!("{l};"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
