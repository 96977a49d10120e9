//! Splitting a batch that is too large for one datagram (NF-04) — pure, no I/O.
//!
//! Messages of one batch may refer to each other by batch-local ids instead of names or
//! handles: a set created in the batch is named by `NFTA_SET_ID` in the element messages and in
//! `lookup` / `dynset` / `objref` expressions, a chain by `NFTA_CHAIN_ID` (rules and verdicts),
//! a rule by `NFTA_RULE_ID` (placement, deletion). Those ids mean nothing outside their batch, so
//! a message must travel with the message defining the id it uses — and anonymous sets must be
//! committed together with the rule that binds them anyway. [`split_ranges`] cuts a batch only
//! between messages where no such reference crosses, keeps the order, and packs the pieces
//! greedily under a byte limit.

use std::collections::HashMap;
use std::ops::Range;

use super::codec::{self, NftMessage};
use crate::error::{Error, Result, Subsystem};
use crate::netlink::wire::{self, Attr};

/// Bytes of the envelope around a batch: `BATCH_BEGIN` with its generation attribute and
/// `BATCH_END`.
pub(crate) const ENVELOPE: usize = 48;

/// The id spaces of batch-local references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IdKind {
    Set,
    Chain,
    Rule,
}

/// Batch-local ids a message defines and uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LocalIds {
    pub(crate) defines: Vec<(IdKind, u32)>,
    pub(crate) uses: Vec<(IdKind, u32)>,
}

// Attribute numbers (include/uapi/linux/netfilter/nf_tables.h).
const NFTA_CHAIN_ID: u16 = 11;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_ID: u16 = 9;
const NFTA_RULE_POSITION_ID: u16 = 10;
const NFTA_RULE_CHAIN_ID: u16 = 11;
const NFTA_SET_ID: u16 = 10;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_SET_ELEM_LIST_SET_ID: u16 = 4;
const NFTA_SET_ELEM_DATA: u16 = 2;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_LOOKUP_SET_ID: u16 = 4;
const NFTA_DYNSET_SET_ID: u16 = 2;
const NFTA_OBJREF_SET_ID: u16 = 5;
const NFTA_IMMEDIATE_DATA: u16 = 2;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CHAIN_ID: u16 = 3;

fn be32(a: &Attr<'_>) -> Option<u32> {
    a.be32().ok()
}

fn children<'a>(a: &Attr<'a>) -> impl Iterator<Item = Attr<'a>> {
    a.nested().map_while(|x| x.ok())
}

/// A verdict chain id inside an `nft_data` nest (`NFTA_DATA_VERDICT` / `NFTA_VERDICT_CHAIN_ID`).
fn verdict_chain_id(data: &Attr<'_>, out: &mut Vec<(IdKind, u32)>) {
    for d in children(data).filter(|d| d.kind() == NFTA_DATA_VERDICT) {
        for v in children(&d).filter(|v| v.kind() == NFTA_VERDICT_CHAIN_ID) {
            out.extend(be32(&v).map(|id| (IdKind::Chain, id)));
        }
    }
}

fn expression_ids(list: &Attr<'_>, out: &mut Vec<(IdKind, u32)>) {
    for e in children(list).filter(|e| e.kind() == NFTA_LIST_ELEM) {
        let parts: Vec<Attr<'_>> = children(&e).collect();
        let name = parts
            .iter()
            .find(|a| a.kind() == NFTA_EXPR_NAME)
            .and_then(|a| a.str().ok())
            .unwrap_or_default();
        let Some(data) = parts.iter().find(|a| a.kind() == NFTA_EXPR_DATA) else {
            continue;
        };
        for a in children(data) {
            match (name, a.kind()) {
                ("lookup", NFTA_LOOKUP_SET_ID)
                | ("dynset", NFTA_DYNSET_SET_ID)
                | ("objref", NFTA_OBJREF_SET_ID) => {
                    out.extend(be32(&a).map(|id| (IdKind::Set, id)));
                }
                ("immediate", NFTA_IMMEDIATE_DATA) => verdict_chain_id(&a, out),
                _ => {}
            }
        }
    }
}

/// The batch-local ids `m` defines and uses. Unparsable parts are skipped (the kernel refuses
/// such a message whole, wherever it travels).
pub(crate) fn local_ids(m: &NftMessage) -> LocalIds {
    let mut ids = LocalIds::default();
    let ty = m.msg_type();
    if (ty >> 8) as u8 != codec::NFNL_SUBSYS_NFTABLES {
        return ids;
    }
    let Some(body) = m.bytes().get(wire::NLMSG_HDRLEN + 4..) else {
        return ids;
    };
    let cmd = (ty & 0xff) as u8;
    for a in wire::attrs(body).map_while(|a| a.ok()) {
        let id = be32(&a);
        match (cmd, a.kind()) {
            (codec::NFT_MSG_NEWCHAIN, NFTA_CHAIN_ID) => {
                ids.defines.extend(id.map(|i| (IdKind::Chain, i)))
            }
            (codec::NFT_MSG_DELCHAIN | codec::NFT_MSG_DESTROYCHAIN, NFTA_CHAIN_ID) => {
                ids.uses.extend(id.map(|i| (IdKind::Chain, i)))
            }
            (codec::NFT_MSG_NEWRULE, NFTA_RULE_ID) => {
                ids.defines.extend(id.map(|i| (IdKind::Rule, i)))
            }
            (
                codec::NFT_MSG_DELRULE | codec::NFT_MSG_DESTROYRULE,
                NFTA_RULE_ID | NFTA_RULE_POSITION_ID,
            )
            | (codec::NFT_MSG_NEWRULE, NFTA_RULE_POSITION_ID) => {
                ids.uses.extend(id.map(|i| (IdKind::Rule, i)))
            }
            (
                codec::NFT_MSG_NEWRULE | codec::NFT_MSG_DELRULE | codec::NFT_MSG_DESTROYRULE,
                NFTA_RULE_CHAIN_ID,
            ) => ids.uses.extend(id.map(|i| (IdKind::Chain, i))),
            (codec::NFT_MSG_NEWRULE, NFTA_RULE_EXPRESSIONS) => expression_ids(&a, &mut ids.uses),
            (codec::NFT_MSG_NEWSET, NFTA_SET_ID) => {
                ids.defines.extend(id.map(|i| (IdKind::Set, i)))
            }
            (codec::NFT_MSG_DELSET | codec::NFT_MSG_DESTROYSET, NFTA_SET_ID) => {
                ids.uses.extend(id.map(|i| (IdKind::Set, i)))
            }
            (
                codec::NFT_MSG_NEWSETELEM
                | codec::NFT_MSG_DELSETELEM
                | codec::NFT_MSG_DESTROYSETELEM,
                NFTA_SET_ELEM_LIST_SET_ID,
            ) => ids.uses.extend(id.map(|i| (IdKind::Set, i))),
            (codec::NFT_MSG_NEWSETELEM, NFTA_SET_ELEM_LIST_ELEMENTS) => {
                for e in children(&a) {
                    for d in children(&e).filter(|d| d.kind() == NFTA_SET_ELEM_DATA) {
                        verdict_chain_id(&d, &mut ids.uses);
                    }
                }
            }
            _ => {}
        }
    }
    ids
}

/// Encoded size of a message inside a batch datagram.
pub(crate) fn wire_len(m: &NftMessage) -> usize {
    wire::align4(m.bytes().len())
}

/// Cuts `msgs` into consecutive ranges whose batches (envelope included) are at most
/// `max_bytes` long, never separating a batch-local id from its uses. One range when the whole
/// batch fits.
///
/// # Errors
/// An input error naming the messages when a group that must stay together (or a single
/// message) is larger than `max_bytes` on its own.
pub(crate) fn split_ranges(msgs: &[NftMessage], max_bytes: usize) -> Result<Vec<Range<usize>>> {
    // The last message that uses each message's ids: a cut inside (definer, last use] would
    // separate them.
    let mut defined_at: HashMap<(IdKind, u32), usize> = HashMap::new();
    let mut reach: Vec<usize> = (0..msgs.len()).collect();
    for (i, m) in msgs.iter().enumerate() {
        let ids = local_ids(m);
        for u in &ids.uses {
            if let Some(&d) = defined_at.get(u) {
                reach[d] = reach[d].max(i);
            }
        }
        for d in ids.defines {
            defined_at.insert(d, i);
        }
    }
    // Atomic groups: minimal ranges with no reference crossing their ends.
    let mut groups: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, r) in reach.iter().enumerate() {
        end = end.max(*r);
        if end == i {
            groups.push(start..i + 1);
            start = i + 1;
        }
    }
    let size = |r: &Range<usize>| msgs[r.clone()].iter().map(wire_len).sum::<usize>();
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut cur: Option<(Range<usize>, usize)> = None;
    for g in groups {
        let n = size(&g);
        if ENVELOPE + n > max_bytes {
            let what = if g.len() == 1 {
                format!("message {} ({})", g.start + 1, msgs[g.start].object())
            } else {
                format!(
                    "messages {}..={} ({} … {}), which refer to each other by batch-local id,",
                    g.start + 1,
                    g.end,
                    msgs[g.start].object(),
                    msgs[g.end - 1].object()
                )
            };
            return Err(Error::input(
                Subsystem::Netfilter,
                "maximum batch size",
                max_bytes.to_string(),
                format!("{what} need {} bytes in one batch", ENVELOPE + n),
            ));
        }
        cur = match cur {
            Some((r, s)) if ENVELOPE + s + n <= max_bytes => Some((r.start..g.end, s + n)),
            Some((r, _)) => {
                out.push(r);
                Some((g, n))
            }
            None => Some((g, n)),
        };
    }
    out.extend(cur.map(|(r, _)| r));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netfilter::codec::{ElemOp, RulePlacement};
    use crate::netfilter::expr::{Expr, Lookup, Reg, Verdict};
    use crate::netfilter::set::{DataType, Element, Set, SetKey};
    use crate::netfilter::{Chain, Family, Rule, Table, TableLifetime};
    use crate::netlink::wire::flags;

    fn rule(exprs: Vec<Expr>) -> NftMessage {
        codec::new_rule(
            Family::Ip,
            "t",
            "c",
            &Rule::new(exprs),
            RulePlacement::Append,
        )
        .unwrap()
    }

    fn set_with_id(id: u32) -> (Set, NftMessage) {
        let mut s = Set::new("s", SetKey::single(DataType::IPV4_ADDR));
        s.id = Some(id);
        let m = codec::new_set(Family::Ip, "t", &s, flags::CREATE).unwrap();
        (s, m)
    }

    #[test]
    fn nf_04_local_ids_of_sets_rules_and_elements() {
        let (s, m) = set_with_id(7);
        assert_eq!(local_ids(&m).defines, vec![(IdKind::Set, 7)]);
        let raw = s
            .encode_elements(
                &[Element::new(
                    "10.0.0.1".parse::<std::net::Ipv4Addr>().unwrap(),
                )],
                true,
            )
            .unwrap();
        let el = codec::set_elements(ElemOp::Add, Family::Ip, "t", "s", Some(7), &raw).unwrap();
        assert_eq!(local_ids(&el[0]).uses, vec![(IdKind::Set, 7)]);
        let r = rule(vec![Expr::Lookup(Lookup {
            set: "s".into(),
            set_id: Some(7),
            sreg: Reg::R1,
            dreg: None,
            inverted: false,
        })]);
        assert_eq!(local_ids(&r).uses, vec![(IdKind::Set, 7)]);
        let c = Chain::regular("c").unwrap();
        let m = codec::new_chain(Family::Ip, "t", &c, 0, Some(3)).unwrap();
        assert_eq!(local_ids(&m).defines, vec![(IdKind::Chain, 3)]);
        assert_eq!(
            local_ids(&rule(vec![Expr::verdict(Verdict::Accept)])),
            LocalIds::default()
        );
    }

    #[test]
    fn nf_04_split_keeps_id_groups_and_order() {
        let t = codec::new_table(
            &Table::new(Family::Ip, "t", TableLifetime::Persistent).unwrap(),
            0,
        )
        .unwrap();
        let (_, set) = set_with_id(1);
        let lookup = rule(vec![Expr::Lookup(Lookup {
            set: "s".into(),
            set_id: Some(1),
            sreg: Reg::R1,
            dreg: None,
            inverted: false,
        })]);
        let plain = rule(vec![Expr::verdict(Verdict::Accept)]);
        // table, set, plain, lookup(set), plain
        let msgs = vec![t, set, plain.clone(), lookup, plain];
        let all: usize = msgs.iter().map(wire_len).sum();
        assert_eq!(split_ranges(&msgs, ENVELOPE + all).unwrap(), vec![0..5]);
        let one = |i: usize| wire_len(&msgs[i]);
        let group = one(1) + one(2) + one(3);
        // Just room for the set … lookup group: it stays whole.
        let r = split_ranges(&msgs, ENVELOPE + group).unwrap();
        assert_eq!(r, vec![0..1, 1..4, 4..5]);
        let e = split_ranges(&msgs, ENVELOPE + group - 1).unwrap_err();
        assert!(e.is_input(), "{e}");
        assert!(e.to_string().contains("messages 2..=4"), "{e}");
        let e = split_ranges(&msgs, 10).unwrap_err();
        assert!(e.to_string().contains("message 1 (ip/t table)"), "{e}");
        assert_eq!(split_ranges(&[], 10).unwrap(), Vec::<Range<usize>>::new());
    }
}
