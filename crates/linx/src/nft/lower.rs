//! The linearizer: evaluated statements to nf_tables expressions, as nft 1.0.6's
//! `netlink_linearize.c` emits them (register allocation, `range`/`cmp` pairs, prefix masks,
//! flag tests, lookups), plus the set element encoding of `netlink.c`.

use crate::netfilter::expr::{
    Bitwise, BitwiseOp, Byteorder, ByteorderOp, Cmp, CmpOp, Connlimit, Counter, Ct, CtDir, CtKey,
    CtSet, Data, Dup, Dynset, DynsetOp, Expr, Exthdr, ExthdrOp, ExthdrStrip, ExthdrWrite, Fib,
    FibResult, FlowOffload, Fwd, Hash, HashKind, Immediate, ImmediateData, Last, Limit, LimitKind,
    Log, Lookup, Masq, Meta, MetaKey, MetaSet, Nat, NatKind, Numgen, NumgenKind, Objref,
    ObjrefTarget, Osf, Payload, PayloadBase, PayloadWrite, Queue, Quota, Range, RangeOp, Redir,
    Reg, Reject, RejectKind, Rt, RtKey, Socket, SocketKey, Synproxy, Tproxy, Verdict, Xfrm,
};
use crate::netfilter::obj::ObjectType;
use crate::netfilter::set::{RawData, RawElement};
use crate::netfilter::userdata::Userdata;

use super::dtype::*;
use super::eval::{Cache, R, err};
use super::ir::*;
use super::proto;

/// Register numbers in 32-bit units (`NFT_REG_1` is 1).
struct Lin<'a> {
    reg_low: u32,
    out: Vec<Expr>,
    cache: &'a Cache,
}

fn space(bits: u32) -> u32 {
    bits.div_ceil(32)
}

/// `netlink_put_register`: 128-bit register numbers where possible.
fn kreg(reg: u32) -> Reg {
    if reg == 0 {
        return Reg(0);
    }
    let r = reg - 1;
    if r % 4 == 0 {
        Reg(1 + r / 4)
    } else {
        Reg(8 + r)
    }
}

fn is_concat(e: &E) -> bool {
    matches!(e.k, K::Concat { .. })
}

/// A verdict for a code.
pub(crate) fn verdict(code: i32, chain: Option<&String>) -> Verdict {
    match (code, chain) {
        (-3, Some(c)) => Verdict::Jump(c.clone()),
        (-4, Some(c)) => Verdict::Goto(c.clone()),
        (c, _) => Verdict::from_code(c, None).unwrap_or(Verdict::Code(c)),
    }
}

/// `netlink_gen_data` of a constant expression.
pub(crate) fn gen_data(e: &E) -> Vec<u8> {
    match &e.k {
        K::Value(v) => export(*v, e.bo, e.len.div_ceil(8) as usize),
        K::Concat { items, .. } => {
            let mut out = Vec::new();
            for i in items {
                out.extend(concat_data_part(i, false));
            }
            out
        }
        K::Range(l, r) => {
            let mut out = export_pad(l.val(), l.bo, l.len);
            out.extend(export_pad(r.val(), r.bo, r.len));
            out
        }
        K::Prefix { base, plen } => {
            let mut out = export_pad(base.val(), e.bo, e.len);
            let hi = base.val().wrapping_add(bitmask(e.len - plen));
            out.extend(export_pad(hi, base.bo, base.len));
            out
        }
        K::Elem(el) => gen_data(&el.key),
        _ => Vec::new(),
    }
}

/// `netlink_export_pad`.
fn export_pad(v: u128, bo: Bo, len: u32) -> Vec<u8> {
    let mut d = export(v, bo, len.div_ceil(8) as usize);
    d.resize((padded(len) / 8) as usize, 0);
    d
}

/// `__netlink_gen_concat_data`.
fn concat_data_part(i: &E, end: bool) -> Vec<u8> {
    match &i.k {
        K::Range(l, r) => {
            let x = if end { r } else { l };
            export_pad(x.val(), x.bo, x.len)
        }
        K::Prefix { base, plen } => {
            if end {
                let v = base.val().wrapping_add(bitmask(i.len - plen));
                export_pad(v, i.bo, i.len)
            } else {
                export_pad(base.val(), i.bo, i.len)
            }
        }
        _ => export_pad(i.val(), i.bo, i.len),
    }
}

/// Map data of an element (`__netlink_gen_data` with `expand` for non-singletons).
fn elem_data(d: &E) -> Vec<u8> {
    let expand = d.flags & F_SINGLETON == 0;
    match &d.k {
        K::Concat { items, .. } if expand => {
            let mut out = Vec::new();
            for i in items {
                out.extend(concat_data_part(i, false));
            }
            for i in items {
                out.extend(concat_data_part(i, true));
            }
            out
        }
        _ => gen_data(d),
    }
}

/// `__netlink_gen_concat_key` for interval concatenations.
fn concat_key(items: &[E], interval: bool, end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        let part = match &i.k {
            K::Range(l, r) => {
                let x = if end { r } else { l };
                let mut v = x.val();
                if x.dt.root() == TYPE_INTEGER && x.bo == Bo::Host {
                    v = switch_bo(v, (x.len / 8) as usize);
                }
                export_pad(v, x.bo, x.len)
            }
            K::Prefix { base, plen } => {
                if end {
                    let mut m = bitmask(i.len - plen);
                    if i.bo == Bo::Host {
                        m = switch_bo(m, (i.len / 8) as usize);
                    }
                    export_pad(base.val().wrapping_add(m), i.bo, i.len)
                } else {
                    export_pad(base.val(), i.bo, i.len)
                }
            }
            _ => {
                let mut v = i.val();
                if (interval || end) && i.dt.root() == TYPE_INTEGER && i.bo == Bo::Host {
                    v = switch_bo(v, (i.len / 8) as usize);
                }
                export_pad(v, i.bo, i.len)
            }
        };
        out.extend(part);
    }
    out
}

/// Converts one evaluated set item into the element nft sends (`alloc_nftnl_setelem`).
pub(crate) fn raw_element(item: &E, set_flags: u32, objmap: bool, cache: &Cache) -> R<RawElement> {
    let (elem_e, data) = match &item.k {
        K::Mapping(l, r) => {
            let d = if item.flags & F_INTERVAL_END != 0 {
                None
            } else {
                Some(&**r)
            };
            (&**l, d)
        }
        _ => (item, None),
    };
    let K::Elem(el) = &elem_e.k else {
        return err(item.span, "unexpected set element expression");
    };
    let mut raw = RawElement::default();
    let mut flags = 0u32;
    match &el.key.k {
        K::Catchall => flags |= 2,
        K::Concat { items, .. } if set_flags & SET_INTERVAL != 0 && items.len() > 1 => {
            raw.key = Some(concat_key(items, true, false));
            raw.key_end = Some(concat_key(items, false, true));
        }
        K::Concat { items, .. } => {
            raw.key = Some(concat_key(items, false, false));
        }
        _ => raw.key = Some(gen_data(&el.key)),
    }
    if el.timeout != 0 {
        raw.timeout = Some(el.timeout);
    }
    if el.expiration != 0 {
        // Expiration is read-only for the kernel; nft sends it anyway.
        raw.expiration = Some(el.expiration);
    }
    let mut ud = Userdata::default();
    if let Some(c) = &el.comment {
        let mut v = c.as_bytes().to_vec();
        v.push(0);
        let _ = ud.set(0, Some(&v));
    }
    if el.elem_flags != 0 {
        let _ = ud.set(1, Some(&el.elem_flags.to_ne_bytes()));
    }
    raw.userdata = ud;
    let mut exprs = Vec::new();
    for s in &el.stmts {
        exprs.push(stateful(s)?);
    }
    raw.exprs = exprs;
    if let Some(d) = data {
        if set_flags & SET_MAP != 0 {
            match &d.k {
                K::Verdict { code, chain } => {
                    raw.data = Some(RawData::Verdict(verdict(*code, chain.as_ref())));
                }
                _ => raw.data = Some(RawData::Value(elem_data(d))),
            }
        } else if objmap {
            raw.objref = Some(match &d.k {
                K::Value(v) => String::from_utf8_lossy(&string_bytes(*v, 16)).into_owned(),
                K::Symbol(s) => s.clone(),
                _ => String::new(),
            });
        }
    }
    if item.flags & F_INTERVAL_END != 0 {
        flags |= 1;
    }
    if flags != 0 {
        raw.flags = Some(flags);
    }
    let _ = cache;
    Ok(raw)
}

/// `netlink_gen_stmt_stateful`.
pub(crate) fn stateful(s: &St) -> R<Expr> {
    Ok(match &s.k {
        SK::Counter { packets, bytes } => Expr::Counter(Counter {
            packets: *packets,
            bytes: *bytes,
        }),
        SK::Limit {
            rate,
            unit,
            burst,
            bytes,
            over,
        } => Expr::Limit(Limit {
            rate: *rate,
            unit: *unit,
            burst: *burst,
            kind: if *bytes {
                LimitKind::Bytes
            } else {
                LimitKind::Packets
            },
            flags: u32::from(*over),
        }),
        SK::Quota { bytes, used, over } => Expr::Quota(Quota {
            bytes: *bytes,
            consumed: *used,
            flags: u32::from(*over),
        }),
        SK::Connlimit { count, flags } => Expr::Connlimit(Connlimit {
            count: *count,
            flags: *flags,
        }),
        SK::Last { used, set } => Expr::Last(Last {
            msecs: Some(*used),
            set: Some(*set),
        }),
        _ => return err(s.span, "statement must be stateful"),
    })
}

/// `NFT_EXTHDR_OP_*` as the codec spells it.
fn exthdr_op(op: u32) -> ExthdrOp {
    match op {
        0 => ExthdrOp::Ipv6,
        1 => ExthdrOp::TcpOpt,
        2 => ExthdrOp::Ipv4,
        3 => ExthdrOp::Sctp,
        n => ExthdrOp::Other(n),
    }
}

/// Linearizes the statements of one rule.
pub(crate) fn rule(cache: &Cache, stmts: &[St]) -> R<Vec<Expr>> {
    let mut l = Lin {
        reg_low: 1,
        out: Vec::new(),
        cache,
    };
    for s in stmts {
        l.stmt(s)?;
    }
    Ok(l.out)
}

impl Lin<'_> {
    fn get_register(&mut self, e: Option<&E>) -> u32 {
        let n = match e {
            Some(x) if is_concat(x) => space(x.len),
            _ => 4,
        };
        let r = self.reg_low;
        self.reg_low += n;
        r
    }

    fn release_register(&mut self, e: Option<&E>) {
        let n = match e {
            Some(x) if is_concat(x) => space(x.len),
            _ => 4,
        };
        self.reg_low = self.reg_low.saturating_sub(n).max(1);
    }

    /// A dynset adding, updating or deleting the element `key` (an elem: key and timeout) of set
    /// `set`, with `stmts` as the new element's stateful expressions (set statements, meters).
    fn set_dynset(
        &mut self,
        span: linx_nft_syntax::Span,
        op: u32,
        set: usize,
        key: &E,
        stmts: &[St],
    ) -> R<()> {
        let K::Elem(el) = &key.k else {
            return err(span, "set statement without key");
        };
        let r = self.get_register(Some(&el.key));
        self.expr(&el.key, r)?;
        self.release_register(Some(&el.key));
        let (name, set_id) = self.set_ref(set);
        let mut exprs = Vec::new();
        for st in stmts {
            exprs.push(stateful(st)?);
        }
        let flags = if exprs.len() > 1 { 1 } else { 0 };
        self.out.push(Expr::Dynset(Dynset {
            op: dynset_op(op),
            sreg_key: kreg(r),
            sreg_data: None,
            set: name,
            set_id,
            timeout: (el.timeout > 0).then_some(el.timeout),
            flags,
            exprs,
        }));
        Ok(())
    }

    fn set_ref(&self, idx: usize) -> (String, Option<u32>) {
        let s = &self.cache.sets[idx];
        (s.name.clone(), Some(s.id))
    }

    fn expr(&mut self, e: &E, dreg: u32) -> R<()> {
        match &e.k {
            K::Verdict { code, chain } => {
                self.out.push(Expr::Immediate(Immediate {
                    dreg: kreg(dreg),
                    data: ImmediateData::Verdict(verdict(*code, chain.as_ref())),
                }));
            }
            K::Value(_) => {
                self.out.push(Expr::Immediate(Immediate::value(
                    kreg(dreg),
                    Data(gen_data(e)),
                )));
            }
            K::Unary { op, arg } => {
                let size = if arg.len % 64 == 0 {
                    8
                } else if arg.len % 32 == 0 {
                    4
                } else {
                    2
                };
                self.expr(arg, dreg)?;
                self.out.push(Expr::Byteorder(Byteorder {
                    sreg: kreg(dreg),
                    dreg: kreg(dreg),
                    op: if *op == Op::Hton {
                        ByteorderOp::Hton
                    } else {
                        ByteorderOp::Ntoh
                    },
                    len: e.len / 8,
                    size,
                }));
            }
            K::Binop { op, .. } => match op {
                Op::Lshift | Op::Rshift => self.shift(e, dreg)?,
                _ => self.bitwise(e, dreg)?,
            },
            K::Rel { .. } => self.relational(e)?,
            K::Concat { items, .. } => {
                let mut r = dreg;
                for i in items {
                    self.expr(i, r)?;
                    r += space(i.len);
                }
            }
            K::Map { key, mappings } => {
                let K::SetRef(si) = mappings.k else {
                    return err(e.span, "map without set reference");
                };
                let sreg = if dreg == 0 {
                    self.get_register(Some(key))
                } else {
                    dreg
                };
                let regspace = if is_concat(key) { space(key.len) } else { 0 };
                self.reg_low += regspace;
                self.expr(key, sreg)?;
                self.reg_low -= regspace;
                let (set, set_id) = self.set_ref(si);
                self.out.push(Expr::Lookup(Lookup {
                    set,
                    set_id,
                    sreg: kreg(sreg),
                    dreg: Some(kreg(dreg)),
                    inverted: false,
                }));
                if dreg == 0 {
                    self.release_register(Some(key));
                }
            }
            K::Payload { base, offset, .. } => {
                self.out.push(Expr::Payload(Payload {
                    dreg: kreg(dreg),
                    base: PayloadBase::from_number(u32::from(base.saturating_sub(1))),
                    offset: offset / 8,
                    len: e.len.div_ceil(8),
                }));
            }
            K::Exthdr {
                op,
                raw_type,
                offset,
                flags,
                ..
            } => self.out.push(Expr::Exthdr(Exthdr {
                dreg: kreg(dreg),
                kind: *raw_type,
                offset: offset / 8,
                len: e.len.div_ceil(8),
                flags: Some(*flags),
                op: Some(exthdr_op(*op)),
            })),
            K::Meta { key, .. } => self.out.push(Expr::Meta(Meta {
                key: MetaKey::from_number(*key),
                dreg: kreg(dreg),
            })),
            K::Rt { key } => self.out.push(Expr::Rt(Rt {
                key: RtKey::from_number(*key),
                dreg: kreg(dreg),
            })),
            K::Ct { key, dir, .. } => self.out.push(Expr::Ct(Ct {
                key: CtKey::from_number(*key),
                dreg: kreg(dreg),
                dir: match dir {
                    0 => Some(CtDir::Original),
                    1 => Some(CtDir::Reply),
                    _ => None,
                },
            })),
            K::Elem(el) => self.expr(&el.key, dreg)?,
            K::Numgen {
                kind,
                modulus,
                offset,
            } => self.out.push(Expr::Numgen(Numgen {
                dreg: kreg(dreg),
                modulus: *modulus,
                kind: if *kind == 0 {
                    NumgenKind::Incremental
                } else {
                    NumgenKind::Random
                },
                offset: Some(*offset),
            })),
            K::Hash {
                kind,
                expr,
                modulus,
                seed,
                offset,
            } => {
                let (sreg, len) = match expr {
                    Some(x) => {
                        let r = self.get_register(Some(x));
                        self.expr(x, r)?;
                        self.release_register(Some(x));
                        (Some(kreg(r)), x.len.div_ceil(8))
                    }
                    None => (None, 0),
                };
                self.out.push(Expr::Hash(Hash {
                    sreg,
                    dreg: kreg(dreg),
                    len,
                    modulus: *modulus,
                    seed: *seed,
                    offset: Some(*offset),
                    kind: if *kind == 0 {
                        HashKind::Jenkins
                    } else {
                        HashKind::Symmetric
                    },
                }));
            }
            K::Fib { result, flags } => self.out.push(Expr::Fib(Fib {
                dreg: kreg(dreg),
                result: match *result {
                    1 => FibResult::Oif,
                    2 => FibResult::OifName,
                    3 => FibResult::AddrType,
                    n => FibResult::Other(n),
                },
                flags: *flags,
            })),
            K::Socket { key, level } => self.out.push(Expr::Socket(Socket {
                key: SocketKey::from_number(*key),
                dreg: kreg(dreg),
                level: Some(*level),
            })),
            K::Osf { ttl, flags } => self.out.push(Expr::Osf(Osf {
                dreg: kreg(dreg),
                ttl: Some(*ttl),
                flags: Some(*flags).filter(|f| *f != 0),
            })),
            K::Xfrm { key, dir, spnum } => self.out.push(Expr::Xfrm(Xfrm {
                dreg: kreg(dreg),
                key: *key,
                dir: *dir,
                spnum: *spnum,
            })),
            _ => return err(e.span, format!("cannot linearize {}", e.name())),
        }
        Ok(())
    }

    fn shift(&mut self, e: &E, dreg: u32) -> R<()> {
        let K::Binop { op, l, r } = &e.k else {
            return Ok(());
        };
        self.expr(l, dreg)?;
        let n = r.val() as u32;
        self.out.push(Expr::Bitwise(Bitwise {
            sreg: kreg(dreg),
            dreg: kreg(dreg),
            len: e.len.div_ceil(8),
            op: if *op == Op::Lshift {
                BitwiseOp::Lshift(n)
            } else {
                BitwiseOp::Rshift(n)
            },
            explicit_op: true,
        }));
        Ok(())
    }

    /// `netlink_gen_bitwise`: a chain of `&`, `|`, `^` folded into one mask/xor.
    fn bitwise(&mut self, e: &E, dreg: u32) -> R<()> {
        let mut chain: Vec<&E> = Vec::new();
        let mut cur = e;
        chain.push(cur);
        while let K::Binop { op, l, .. } = &cur.k {
            if !matches!(op, Op::And | Op::Or | Op::Xor) {
                break;
            }
            cur = l;
            chain.push(cur);
        }
        let first = chain.pop().unwrap_or(e);
        self.expr(first, dreg)?;
        let mut mask = bitmask(e.len);
        let mut xor = 0u128;
        for i in chain.iter().rev() {
            let K::Binop { op, r, .. } = &i.k else {
                continue;
            };
            let val = r.val();
            let (m, x) = match op {
                Op::And => (val, 0),
                Op::Or => (!val & bitmask(e.len), val),
                _ => (bitmask(e.len), val),
            };
            xor = x ^ (xor & m);
            mask &= m;
        }
        let len = e.len.div_ceil(8);
        self.out.push(Expr::Bitwise(Bitwise {
            sreg: kreg(dreg),
            dreg: kreg(dreg),
            len,
            op: BitwiseOp::MaskXor {
                mask: Data(export(mask, e.bo, len as usize)),
                xor: Data(export(xor, e.bo, len as usize)),
            },
            explicit_op: true,
        }));
        Ok(())
    }

    fn cmp(&mut self, sreg: u32, op: CmpOp, data: Vec<u8>) {
        self.out.push(Expr::Cmp(Cmp {
            sreg: kreg(sreg),
            op,
            data: Data(data),
        }));
    }

    fn relational(&mut self, e: &E) -> R<()> {
        let K::Rel { op, l, r } = &e.k else {
            return Ok(());
        };
        let op = *op;
        match &r.k {
            K::Range(a, b) => {
                let sreg = self.get_register(Some(l));
                self.expr(l, sreg)?;
                match op {
                    Op::Neq => self.out.push(Expr::Range(Range {
                        sreg: kreg(sreg),
                        op: RangeOp::Neq,
                        from: Data(gen_data(a)),
                        to: Data(gen_data(b)),
                    })),
                    Op::Eq | Op::Implicit => {
                        self.cmp(sreg, CmpOp::Gte, gen_data(a));
                        self.cmp(sreg, CmpOp::Lte, gen_data(b));
                    }
                    _ => return err(e.span, "invalid range operation"),
                }
                self.release_register(Some(l));
                return Ok(());
            }
            K::SetRef(si) => {
                let sreg = self.get_register(Some(l));
                self.expr(l, sreg)?;
                let (set, set_id) = self.set_ref(*si);
                self.out.push(Expr::Lookup(Lookup {
                    set,
                    set_id,
                    sreg: kreg(sreg),
                    dreg: None,
                    inverted: op == Op::Neq,
                }));
                self.release_register(Some(l));
                return Ok(());
            }
            K::List(_) => return self.flagcmp(e),
            _ => {}
        }
        let sreg;
        let len;
        let data;
        match &r.k {
            K::Prefix { base, plen } => {
                sreg = self.get_register(Some(l));
                if l.dt.root() != TYPE_STRING && (r.bo != Bo::Big || *plen == 0 || plen % 8 != 0) {
                    len = r.len.div_ceil(8);
                    self.expr(l, sreg)?;
                    let mask = super::eval::prefix_mask(r.len, *plen);
                    let nbytes = (r.len / 8) as usize;
                    self.out.push(Expr::Bitwise(Bitwise {
                        sreg: kreg(sreg),
                        dreg: kreg(sreg),
                        len: nbytes as u32,
                        op: BitwiseOp::MaskXor {
                            mask: Data(export(mask, r.bo, nbytes)),
                            xor: Data(vec![0; nbytes]),
                        },
                        explicit_op: false,
                    }));
                    data = gen_data(base);
                } else {
                    len = plen.div_ceil(8);
                    let mut l2 = (**l).clone();
                    l2.len = *plen;
                    self.expr(&l2, sreg)?;
                    data = gen_data(base);
                }
            }
            _ => {
                if matches!(op, Op::Implicit | Op::Neg) && r.dt.is_bitmask() {
                    return self.flagcmp(e);
                }
                sreg = self.get_register(Some(l));
                len = r.len.div_ceil(8);
                self.expr(l, sreg)?;
                data = gen_data(r);
            }
        }
        let cop = match op {
            Op::Eq | Op::Implicit => CmpOp::Eq,
            Op::Neq => CmpOp::Neq,
            Op::Lt => CmpOp::Lt,
            Op::Gt => CmpOp::Gt,
            Op::Lte => CmpOp::Lte,
            Op::Gte => CmpOp::Gte,
            _ => return err(e.span, "invalid relational operation"),
        };
        let mut d = data;
        d.resize(len as usize, 0);
        self.cmp(sreg, cop, d);
        self.release_register(Some(l));
        Ok(())
    }

    /// `netlink_gen_flagcmp`.
    fn flagcmp(&mut self, e: &E) -> R<()> {
        let K::Rel { op, l, r } = &e.k else {
            return Ok(());
        };
        let sreg = self.get_register(Some(l));
        self.expr(l, sreg)?;
        let len = l.len.div_ceil(8) as usize;
        let zero = export(0, r.bo, len);
        let val = gen_data(r);
        if matches!(l.k, K::Binop { .. }) {
            self.cmp(sreg, CmpOp::Eq, val);
        } else {
            self.out.push(Expr::Bitwise(Bitwise {
                sreg: kreg(sreg),
                dreg: kreg(sreg),
                len: len as u32,
                op: BitwiseOp::MaskXor {
                    mask: Data(val),
                    xor: Data(zero.clone()),
                },
                explicit_op: false,
            }));
            let cop = if *op == Op::Neg {
                CmpOp::Eq
            } else {
                CmpOp::Neq
            };
            self.cmp(sreg, cop, zero);
        }
        self.release_register(Some(l));
        Ok(())
    }

    fn stmt(&mut self, s: &St) -> R<()> {
        match &s.k {
            SK::Expr(e) => self.expr(e, 0),
            SK::Verdict(e) => self.expr(e, 0),
            SK::Counter { .. } | SK::Limit { .. } | SK::Quota { .. } | SK::Connlimit { .. } => {
                let x = stateful(s)?;
                self.out.push(x);
                Ok(())
            }
            SK::Last { .. } => {
                let x = stateful(s)?;
                self.out.push(x);
                Ok(())
            }
            SK::Payload { expr, val } => {
                let sreg = self.get_register(Some(val));
                self.expr(val, sreg)?;
                self.release_register(Some(val));
                let K::Payload {
                    p, base, offset, ..
                } = expr.k
                else {
                    return err(s.span, "payload statement without payload");
                };
                let d = proto::desc(p);
                let mut w = PayloadWrite {
                    sreg: kreg(sreg),
                    base: PayloadBase::from_number(u32::from(base.saturating_sub(1))),
                    offset: offset / 8,
                    len: expr.len / 8,
                    csum_type: None,
                    csum_offset: None,
                    csum_flags: None,
                };
                if d.checksum_key != 0 {
                    let off = d.templates[d.checksum_key].offset;
                    if off != 0 {
                        w.csum_type = Some(d.checksum_type);
                        w.csum_offset = Some(off / 8);
                    }
                }
                // nft compares against all PROTO_HDRS_MAX slots, the unused ones being 0.
                let pseudo = match &expr.k {
                    K::Payload { tmpl, .. } => *tmpl == 0 || d.pseudohdr.contains(tmpl),
                    _ => false,
                };
                if (base == proto::BASE_NETWORK && pseudo) || base == proto::BASE_INNER {
                    w.csum_flags = Some(1);
                }
                self.out.push(Expr::PayloadWrite(w));
                Ok(())
            }
            SK::Exthdr { expr, val } => {
                let sreg = self.get_register(Some(val));
                self.expr(val, sreg)?;
                self.release_register(Some(val));
                let K::Exthdr {
                    op,
                    raw_type,
                    offset,
                    ..
                } = expr.k
                else {
                    return err(s.span, "exthdr statement without exthdr");
                };
                self.out.push(Expr::ExthdrWrite(ExthdrWrite {
                    sreg: kreg(sreg),
                    kind: raw_type,
                    offset: offset / 8,
                    len: expr.len.div_ceil(8),
                    op: Some(exthdr_op(op)),
                    flags: None,
                }));
                Ok(())
            }
            SK::Meta { key, expr } => {
                let sreg = self.get_register(Some(expr));
                self.expr(expr, sreg)?;
                self.release_register(Some(expr));
                self.out.push(Expr::MetaSet(MetaSet {
                    key: MetaKey::from_number(*key),
                    sreg: kreg(sreg),
                }));
                Ok(())
            }
            SK::Ct { key, dir, expr } => {
                let sreg = self.get_register(Some(expr));
                self.expr(expr, sreg)?;
                self.release_register(Some(expr));
                self.out.push(Expr::CtSet(CtSet {
                    key: CtKey::from_number(*key),
                    sreg: kreg(sreg),
                    dir: match dir {
                        0 => Some(CtDir::Original),
                        1 => Some(CtDir::Reply),
                        _ => None,
                    },
                }));
                Ok(())
            }
            SK::Log(a) => {
                let mut log = Log {
                    prefix: a.prefix.clone(),
                    group: None,
                    snaplen: None,
                    qthreshold: None,
                    level: None,
                    flags: None,
                };
                if let Some(g) = a.group {
                    log.group = Some(g);
                    log.snaplen = a.snaplen;
                    log.qthreshold = a.qthreshold;
                } else {
                    log.level = a.level;
                    if a.flags != 0 {
                        log.flags = Some(a.flags);
                    }
                }
                self.out.push(Expr::Log(log));
                Ok(())
            }
            SK::Reject { ty, code, .. } => {
                self.out.push(Expr::Reject(Reject {
                    kind: match *ty {
                        0 => RejectKind::IcmpUnreach,
                        1 => RejectKind::TcpRst,
                        _ => RejectKind::IcmpxUnreach,
                    },
                    code: if *code == -1 { None } else { Some(*code as u8) },
                }));
                Ok(())
            }
            SK::Nat { .. } => self.nat(s),
            SK::Tproxy { family, addr, port } => {
                let mut t = Tproxy {
                    family: u32::from(*family),
                    reg_addr: None,
                    reg_port: None,
                };
                let mut regs = 0;
                if let Some(a) = addr {
                    let r = self.get_register(None);
                    regs += 1;
                    self.expr(a, r)?;
                    t.reg_addr = Some(kreg(r));
                }
                if let Some(p) = port {
                    let r = self.get_register(None);
                    regs += 1;
                    self.expr(p, r)?;
                    t.reg_port = Some(kreg(r));
                }
                for _ in 0..regs {
                    self.release_register(None);
                }
                self.out.push(Expr::Tproxy(t));
                Ok(())
            }
            SK::Synproxy { mss, wscale, flags } => {
                self.out.push(Expr::Synproxy(Synproxy {
                    mss: Some(*mss),
                    wscale: Some(*wscale),
                    flags: Some(*flags),
                }));
                Ok(())
            }
            SK::Dup { to, dev } => {
                let mut d = Dup {
                    sreg_addr: None,
                    sreg_dev: None,
                };
                if let Some(t) = to {
                    let r = self.get_register(Some(t));
                    self.expr(t, r)?;
                    if t.dt.ty == TYPE_IFINDEX {
                        d.sreg_dev = Some(kreg(r));
                    } else {
                        d.sreg_addr = Some(kreg(r));
                    }
                }
                if let Some(dv) = dev {
                    let r = self.get_register(Some(dv));
                    self.expr(dv, r)?;
                    d.sreg_dev = Some(kreg(r));
                    self.release_register(Some(dv));
                }
                if let Some(t) = to {
                    self.release_register(Some(t));
                }
                self.out.push(Expr::Dup(d));
                Ok(())
            }
            SK::Fwd { dev, addr, family } => {
                let r1 = self.get_register(Some(dev));
                self.expr(dev, r1)?;
                let mut f = Fwd {
                    sreg_dev: Some(kreg(r1)),
                    sreg_addr: None,
                    nfproto: None,
                };
                if let Some(a) = addr {
                    let r2 = self.get_register(Some(a));
                    self.expr(a, r2)?;
                    f.sreg_addr = Some(kreg(r2));
                    self.release_register(Some(a));
                }
                self.release_register(Some(dev));
                if *family != 0 {
                    f.nfproto = Some(u32::from(*family));
                }
                self.out.push(Expr::Fwd(f));
                Ok(())
            }
            SK::Queue { num, flags } => {
                let mut q = Queue {
                    num: None,
                    total: None,
                    flags: None,
                    sreg_qnum: None,
                };
                let (mut lo, mut hi) = (0u128, 0u128);
                let mut sreg = 0;
                if let Some(e) = num {
                    match &e.k {
                        K::Range(a, b) => {
                            lo = a.val();
                            hi = b.val();
                        }
                        K::Value(v) => {
                            lo = *v;
                            hi = *v;
                        }
                        _ => {
                            sreg = self.get_register(Some(e));
                            self.expr(e, sreg)?;
                            self.release_register(Some(e));
                        }
                    }
                }
                if sreg != 0 {
                    q.sreg_qnum = Some(kreg(sreg));
                } else {
                    q.num = Some(lo as u16);
                    q.total = Some((hi as u16).wrapping_sub(lo as u16).wrapping_add(1));
                }
                if *flags != 0 {
                    q.flags = Some(*flags);
                }
                self.out.push(Expr::Queue(q));
                Ok(())
            }
            SK::Notrack => {
                self.out.push(Expr::Notrack);
                Ok(())
            }
            SK::FlowOffload(name) => {
                self.out.push(Expr::FlowOffload(FlowOffload {
                    flowtable: name.clone(),
                }));
                Ok(())
            }
            SK::Objref { ty, name, map } => {
                let target = match (name, map) {
                    (Some(n), _) => ObjrefTarget::Name {
                        kind: ObjectType::from_number(*ty),
                        name: n.clone(),
                    },
                    (None, Some(m)) => {
                        let K::Map { key, mappings } = &m.k else {
                            return err(s.span, "object map without map");
                        };
                        let K::SetRef(si) = mappings.k else {
                            return err(s.span, "object map without map");
                        };
                        let r = self.get_register(Some(key));
                        self.expr(key, r)?;
                        self.release_register(Some(key));
                        let (set, set_id) = self.set_ref(si);
                        ObjrefTarget::Map {
                            sreg: kreg(r),
                            set,
                            set_id,
                        }
                    }
                    _ => return err(s.span, "object reference without name"),
                };
                self.out.push(Expr::Objref(Objref { target }));
                Ok(())
            }
            SK::Set {
                op,
                set,
                key,
                stmts,
                ..
            } => self.set_dynset(s.span, *op, *set, key, stmts),
            // netlink_gen_meter_stmt: `update` when the key has a timeout, else `add`.
            SK::Meter { key, stmt, set, .. } => {
                let op = match &key.k {
                    K::Elem(el) if el.timeout > 0 => 1,
                    _ => 0,
                };
                self.set_dynset(s.span, op, *set, key, std::slice::from_ref(&**stmt))
            }
            SK::Map {
                op,
                set,
                key,
                data,
                stmts,
                ..
            } => {
                let (K::Elem(kel), K::Elem(del)) = (&key.k, &data.k) else {
                    return err(s.span, "map statement without key");
                };
                let rk = self.get_register(Some(&kel.key));
                self.expr(&kel.key, rk)?;
                let rd = self.get_register(Some(&del.key));
                self.expr(&del.key, rd)?;
                self.release_register(Some(&kel.key));
                self.release_register(Some(&del.key));
                let (name, set_id) = self.set_ref(*set);
                let mut exprs = Vec::new();
                for st in stmts {
                    exprs.push(stateful(st)?);
                }
                self.out.push(Expr::Dynset(Dynset {
                    op: dynset_op(*op),
                    sreg_key: kreg(rk),
                    sreg_data: Some(kreg(rd)),
                    set: name,
                    set_id,
                    timeout: (kel.timeout > 0).then_some(kel.timeout),
                    flags: 0,
                    exprs,
                }));
                Ok(())
            }
            SK::Optstrip(e) => {
                let K::Exthdr { op, raw_type, .. } = e.k else {
                    return err(s.span, "reset without a tcp option");
                };
                self.out.push(Expr::ExthdrStrip(ExthdrStrip {
                    kind: raw_type,
                    op: Some(exthdr_op(op)),
                }));
                Ok(())
            }
        }
    }

    fn nat(&mut self, s: &St) -> R<()> {
        let SK::Nat {
            kind,
            family,
            addr,
            proto: port,
            flags,
            type_flags,
        } = &s.k
        else {
            return Ok(());
        };
        let mut amin = None;
        let mut amax = None;
        let mut pmin = None;
        let mut pmax = None;
        let mut regs = 0;
        let addrlen = if *family == 10 { 128 } else { 32 };
        if let Some(a) = addr {
            let r = self.get_register(None);
            regs += 1;
            if let K::Range(lo, hi) = &a.k {
                let r2 = self.get_register(None);
                regs += 1;
                self.expr(lo, r)?;
                self.expr(hi, r2)?;
                amin = Some(kreg(r));
                amax = Some(kreg(r2));
            } else {
                self.expr(a, r)?;
                amin = Some(kreg(r));
                let mut next = r;
                if let K::Map { mappings, .. } = &a.k
                    && let K::SetRef(si) = mappings.k
                    && self.cache.sets[si]
                        .data
                        .as_ref()
                        .is_some_and(|d| d.flags & F_INTERVAL != 0)
                {
                    next += space(addrlen);
                    if type_flags & super::stmt::NAT_F_CONCAT != 0 {
                        pmin = Some(kreg(next));
                    } else {
                        amax = Some(kreg(next));
                    }
                }
                if type_flags & super::stmt::NAT_F_CONCAT != 0 {
                    let mut p = r;
                    if type_flags & super::stmt::NAT_F_INTERVAL != 0 {
                        p += space(addrlen);
                        amax = Some(kreg(p));
                    }
                    p += space(addrlen);
                    if type_flags & super::stmt::NAT_F_INTERVAL != 0 {
                        pmax = Some(kreg(p));
                    } else {
                        pmin = Some(kreg(p));
                    }
                }
            }
        }
        if let Some(p) = port {
            let r = self.get_register(None);
            regs += 1;
            if let K::Range(lo, hi) = &p.k {
                let r2 = self.get_register(None);
                regs += 1;
                self.expr(lo, r)?;
                self.expr(hi, r2)?;
                pmin = Some(kreg(r));
                pmax = Some(kreg(r2));
            } else {
                self.expr(p, r)?;
                pmin = Some(kreg(r));
            }
        }
        for _ in 0..regs {
            self.release_register(None);
        }
        let fl = (*flags != 0).then_some(*flags);
        let x = match *kind {
            super::stmt::NAT_SNAT | super::stmt::NAT_DNAT => Expr::Nat(Nat {
                kind: if *kind == super::stmt::NAT_SNAT {
                    NatKind::Snat
                } else {
                    NatKind::Dnat
                },
                family: u32::from(*family),
                reg_addr_min: amin,
                reg_addr_max: amax,
                reg_proto_min: pmin,
                reg_proto_max: pmax,
                flags: fl,
            }),
            super::stmt::NAT_MASQ => Expr::Masq(Masq {
                flags: fl,
                reg_proto_min: pmin,
                reg_proto_max: pmax,
            }),
            _ => Expr::Redir(Redir {
                reg_proto_min: pmin,
                reg_proto_max: pmax,
                flags: fl,
            }),
        };
        self.out.push(x);
        Ok(())
    }
}

fn dynset_op(op: u32) -> DynsetOp {
    match op {
        0 => DynsetOp::Add,
        1 => DynsetOp::Update,
        _ => DynsetOp::Delete,
    }
}
