//! Interval sets as nft 1.0.6 handles them (`intervals.c`): elements become ranges, are sorted,
//! checked for overlaps (or merged with `auto-merge`, which anonymous sets always use), and are
//! finally turned into the start/end-marker pairs the kernel's rbtree backend stores.

use linx_nft_syntax::{Diagnostic, Span};

use super::dtype::*;
use super::eval::{Cache, R};
use super::ir::*;

/// Which command the elements belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Add,
    Delete,
}

/// The element of a set item (`interval_expr_key`).
fn elem_of(i: &E) -> Option<&Elem> {
    match &i.k {
        K::Elem(e) => Some(e),
        K::Mapping(l, _) => match &l.k {
            K::Elem(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

fn elem_of_mut(i: &mut E) -> Option<&mut Elem> {
    match &mut i.k {
        K::Elem(e) => Some(e),
        K::Mapping(l, _) => match &mut l.k {
            K::Elem(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

/// `range_expr_value_low` / `_high` of a key.
pub(crate) fn key_low(k: &E) -> u128 {
    match &k.k {
        K::Value(v) => *v,
        K::Prefix { base, .. } => key_low(base),
        K::Range(l, _) => key_low(l),
        K::Catchall => bitmask(k.len),
        _ => 0,
    }
}

pub(crate) fn key_high(k: &E) -> u128 {
    match &k.k {
        K::Value(v) => *v,
        K::Prefix { base, plen } => key_low(base).wrapping_add(bitmask(k.len - plen)),
        K::Range(_, r) => key_high(r),
        K::Catchall => bitmask(k.len),
        _ => 0,
    }
}

/// `setelem_expr_to_range`.
fn to_range(i: &mut E) {
    let is_string = i.dt.root() == TYPE_STRING;
    let Some(el) = elem_of_mut(i) else { return };
    let k = &mut el.key;
    match &mut k.k {
        K::Catchall | K::Range(..) => {}
        K::Prefix { base, plen } => {
            let nbytes = (k.len / 8) as usize;
            if is_string {
                let v = switch_bo(base.val(), nbytes);
                base.k = K::Value(v);
            }
            let hi_v = bitmask(k.len - *plen) | base.val();
            // mpz_export_data/constant_expr_alloc round trip in the prefix byte order.
            let mut hi = (**base).clone();
            hi.k = K::Value(hi_v);
            let lo = (**base).clone();
            let span = k.span;
            let (dt, bo, len) = (k.dt, k.bo, k.len);
            *k = E::typed(K::Range(Box::new(lo), Box::new(hi)), dt, bo, len, span);
            k.flags |= F_CONSTANT;
        }
        K::Value(v) => {
            let mut v = *v;
            if is_string {
                v = switch_bo(v, (k.len / 8) as usize);
            }
            let mut lo = k.clone();
            lo.k = K::Value(v);
            let hi = lo.clone();
            let (dt, bo, len, span) = (k.dt, k.bo, k.len, k.span);
            *k = E::typed(K::Range(Box::new(lo), Box::new(hi)), dt, bo, len, span);
            k.flags |= F_CONSTANT;
        }
        _ => {}
    }
}

/// The sort value of an item (`expr_msort_value`).
fn sort_value(i: &E) -> u128 {
    match &i.k {
        K::Elem(e) => sort_value(&e.key),
        K::Mapping(l, _) => sort_value(l),
        K::Range(l, _) => sort_value(l),
        K::Binop { l, .. } => sort_value(l),
        K::Value(v) => *v,
        K::Catchall => bitmask(i.len),
        K::Concat { items, .. } => {
            let mut data = Vec::new();
            for x in items {
                data.extend(export(x.val(), x.bo, x.len.div_ceil(8) as usize));
            }
            import(&data, Bo::Host)
        }
        _ => 0,
    }
}

fn sort(items: &mut [E]) {
    // list_expr_sort is a stable merge sort.
    items.sort_by_key(sort_value);
}

fn range_of(i: &E) -> Option<(u128, u128)> {
    let el = elem_of(i)?;
    if matches!(el.key.k, K::Catchall) {
        return None;
    }
    Some((key_low(&el.key), key_high(&el.key)))
}

/// `interval_set_eval` for a set in the cache.
pub(crate) fn interval_set_eval(cache: &mut Cache, idx: usize, cmd: Cmd) -> R<()> {
    let set = &mut cache.sets[idx];
    let Some(mut init) = set.init.take() else {
        return Ok(());
    };
    let r = match cmd {
        Cmd::Add => {
            if set.automerge {
                automerge(set.flags, &mut init, &set.kernel_ranges)
            } else {
                overlap(&mut init, &set.kernel_ranges)
            }
        }
        Cmd::Delete => Ok(()),
    };
    set.init = Some(init);
    r
}

/// Elements of a command (`add element`) against a set in the cache.
pub(crate) fn elements_eval(cache: &mut Cache, idx: usize, elems: &mut E, cmd: Cmd) -> R<()> {
    let set = &cache.sets[idx];
    match cmd {
        Cmd::Add => {
            if set.automerge {
                automerge(set.flags, elems, &set.kernel_ranges)
            } else {
                overlap(elems, &set.kernel_ranges)
            }
        }
        Cmd::Delete => {
            if let K::Set { items, .. } = &mut elems.k {
                for i in items.iter_mut() {
                    to_range(i);
                }
            }
            Ok(())
        }
    }
}

fn items_mut(e: &mut E) -> Option<&mut Vec<E>> {
    match &mut e.k {
        K::Set { items, .. } => Some(items),
        _ => None,
    }
}

fn span_of(i: &E) -> Span {
    elem_of(i).map(|e| e.key.span).unwrap_or(i.span)
}

/// `set_automerge`.
fn automerge(flags: u32, init: &mut E, kernel: &[(u128, u128)]) -> R<()> {
    let Some(items) = items_mut(init) else {
        return Ok(());
    };
    for i in items.iter_mut() {
        to_range(i);
    }
    sort(items);
    if flags & SET_MAP != 0 {
        return Ok(());
    }
    if !kernel.is_empty() {
        // Merging with kernel elements makes nft delete and re-add them; refuse instead of
        // approximating.
        for i in items.iter() {
            if let Some((lo, hi)) = range_of(i)
                && kernel
                    .iter()
                    .any(|(a, b)| lo <= b.saturating_add(1) && a.saturating_sub(1) <= hi)
            {
                return Err(Diagnostic::unsupported(
                    span_of(i),
                    "auto-merge with elements already in the kernel",
                ));
            }
        }
    }
    let old = std::mem::take(items);
    let mut out: Vec<E> = Vec::with_capacity(old.len());
    let mut prev: Option<(usize, u128, u128)> = None;
    let mut removed = 0u32;
    for i in old {
        let Some((lo, hi)) = range_of(&i) else {
            out.push(i);
            continue;
        };
        let Some((pi, plo, phi)) = prev else {
            prev = Some((out.len(), lo, hi));
            out.push(i);
            continue;
        };
        if plo <= lo && phi >= hi {
            removed += 1;
            continue;
        } else if lo <= phi || lo.wrapping_sub(phi) == 1 {
            // Overlapping or contiguous: extend the previous range.
            let new_hi = key_high(
                &elem_of(&i)
                    .map(|e| e.key.clone())
                    .unwrap_or_else(|| i.clone()),
            );
            if let Some(el) = elem_of_mut(&mut out[pi])
                && let K::Range(_, r) = &mut el.key.k
                && let Some(ie) = elem_of(&i)
                && let K::Range(_, ir) = &ie.key.k
            {
                **r = (**ir).clone();
            }
            prev = Some((pi, plo, new_hi.max(hi)));
            removed += 1;
            continue;
        }
        prev = Some((out.len(), lo, hi));
        out.push(i);
    }
    *items = out;
    if let K::Set { size, .. } = &mut init.k {
        *size = size.saturating_sub(removed);
    }
    Ok(())
}

/// `set_overlap`.
fn overlap(init: &mut E, kernel: &[(u128, u128)]) -> R<()> {
    let Some(items) = items_mut(init) else {
        return Ok(());
    };
    for i in items.iter_mut() {
        to_range(i);
    }
    sort(items);
    // Kernel elements take part in the check (EXPR_F_KERNEL).
    let mut all: Vec<(u128, u128, Option<usize>)> = items
        .iter()
        .enumerate()
        .filter_map(|(n, i)| range_of(i).map(|(a, b)| (a, b, Some(n))))
        .collect();
    all.extend(kernel.iter().map(|(a, b)| (*a, *b, None)));
    all.sort_by_key(|x| x.0);
    let mut prev: Option<(u128, u128, Option<usize>)> = None;
    for cur in all {
        if let Some((plo, phi, pidx)) = prev {
            let (lo, hi, idx) = cur;
            if !(plo == lo && phi == hi) && ((plo <= lo && phi >= hi) || lo <= phi) {
                let (at, other) = match (pidx, idx) {
                    (None, Some(i)) => (i, None),
                    (Some(p), None) => (p, None),
                    (Some(p), Some(i)) => (i, Some(p)),
                    (None, None) => {
                        prev = Some(cur);
                        continue;
                    }
                };
                let msg = if other.is_none() {
                    "interval overlaps with an existing one"
                } else {
                    "conflicting intervals specified"
                };
                let mut d = Diagnostic::error(span_of(&items[at]), msg);
                if let Some(o) = other {
                    d = d.with_note("overlaps with this interval", Some(span_of(&items[o])));
                }
                return Err(d);
            }
        }
        prev = Some(cur);
    }
    Ok(())
}

/// `set_to_intervals`: start elements and end markers, as nft sends them. `anonymous` sets
/// drop end markers that coincide with the next start; `first_segment` adds the leading zero
/// end marker. Returns the number nft adds to the set's size.
pub(crate) fn to_intervals(
    items: &mut Vec<E>,
    key_len: u32,
    key_bo: Bo,
    key_dt: Dt,
    anonymous: bool,
    first_segment: bool,
) -> u32 {
    let old = std::mem::take(items);
    let mut out: Vec<E> = Vec::with_capacity(old.len() * 2 + 1);
    let mut added = 0u32;
    let mut newelem: Option<E> = None;
    let mut first = true;
    let nbytes = (key_len / 8) as usize;
    let host = key_bo == Bo::Host;
    let mut catchall = Vec::new();
    for mut i in old {
        let Some((lo, hi)) = range_of(&i) else {
            catchall.push(i);
            continue;
        };
        let data = match &i.k {
            K::Mapping(_, r) => Some((**r).clone()),
            _ => None,
        };
        let mk_marker = |v: u128, span: Span| -> E {
            let val = E::value(v, key_dt, key_bo, key_len, span);
            let el = E::typed(
                K::Elem(Box::new(Elem {
                    key: val,
                    timeout: 0,
                    expiration: 0,
                    comment: None,
                    stmts: Vec::new(),
                    elem_flags: 0,
                })),
                key_dt,
                key_bo,
                key_len,
                span,
            );
            let mut m = match &data {
                Some(d) => E::new(K::Mapping(Box::new(el), Box::new(d.clone())), span),
                None => el,
            };
            m.flags |= F_INTERVAL_END;
            m
        };
        if first && first_segment && lo != 0 {
            out.push(mk_marker(0, Span::DUMMY));
            added += 1;
        }
        first = false;
        if let Some(ne) = newelem.take() {
            let mut p = elem_of(&ne).map(|e| e.key.val()).unwrap_or(0);
            if host {
                p = switch_bo(p, nbytes);
            }
            if !anonymous || p != lo {
                out.push(ne);
            }
        }
        let mut flags = 0;
        if hi != bitmask(key_len) {
            let mut v = hi.wrapping_add(1) & bitmask(key_len);
            if host {
                v = switch_bo(v, nbytes);
            }
            newelem = Some(mk_marker(v, Span::DUMMY));
        } else {
            flags = 1;
        }
        let mut start = lo;
        if host {
            start = switch_bo(start, nbytes);
        }
        if let Some(el) = elem_of_mut(&mut i) {
            let span = el.key.span;
            el.key = E::value(start, key_dt, key_bo, key_len, span);
            el.elem_flags |= flags;
        }
        added += 1;
        out.push(i);
    }
    if let Some(ne) = newelem {
        out.push(ne);
    }
    out.extend(catchall);
    *items = out;
    added
}
