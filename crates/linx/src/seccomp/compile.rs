//! The cBPF code generator (spec SEC-09 … SEC-12).
//!
//! Layout: the prologue (arch check, `nr` load, x32 guard on x86_64), then a balanced binary
//! decision tree over the syscall-number line. The number line is cut into intervals with one
//! outcome each — consecutive numbers with the same action share one interval, and so do the
//! gaps between rules — and the tree splits them with `JGE` tests, so any call is decided after
//! at most ⌈log2 intervals⌉ tests. Small subtrees where one action dominates use a short `JEQ`
//! chain instead. A leaf either returns directly (jumping to a shared `RET`) or enters the
//! syscall's condition block: the rules in order, each a run of 32-bit word tests on the
//! arguments.
//!
//! The body is emitted backwards (last instruction first), so every jump target already exists
//! when a jump is emitted and its distance is known: a conditional jump further than 255
//! instructions goes through a `JA` trampoline (32-bit offset), and a return that is out of
//! reach is emitted again rather than jumped to.

use std::collections::HashMap;

use super::bpf::*;
use super::rules::{Action, Cmp, Condition, Rule, Width, check_size};
use super::syscalls::{Arch, X32_SYSCALL_BIT};
use crate::error::Result;

/// How the syscall dispatch is generated.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeGen {
    /// A balanced binary decision tree: O(log n) tests per call (the default).
    #[default]
    Tree,
    /// One `JEQ` per syscall in number order, as seccompiler-style compilers do: O(n) tests.
    /// For comparisons and benchmarks.
    Linear,
}

pub(crate) struct Input<'a> {
    pub arch: Arch,
    pub default_action: Action,
    pub bad_arch_action: Action,
    pub unknown_action: Option<Action>,
    pub rules: &'a [Rule],
    pub codegen: CodeGen,
}

/// What decides the calls of one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Ret(Action),
    /// The condition block of group `i`.
    Block(usize),
}

/// A syscall with conditional rules: its rules up to the first unconditional one, and what
/// happens when none matches.
struct Group<'a> {
    nr: u32,
    rules: Vec<&'a Rule>,
    fallback: Action,
}

/// A jump target in the reversed body: an emitted instruction (index from the end) or a return
/// not yet placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    At(usize),
    Ret(Action),
}

/// Offsets a conditional jump may use; returns reused from further away are re-emitted.
const MAX_JUMP: usize = 255;

struct Emitter {
    /// The body, last instruction first.
    rev: Vec<SockFilter>,
    /// Most recent `RET k` per value.
    rets: HashMap<u32, usize>,
}

impl Emitter {
    fn len(&self) -> usize {
        self.rev.len()
    }

    fn push(&mut self, insn: SockFilter) -> usize {
        self.rev.push(insn);
        self.rev.len() - 1
    }

    /// Index of a `RET action` reachable from the next few instructions.
    fn ret(&mut self, action: Action) -> usize {
        let k = action.to_ret();
        if let Some(&i) = self.rets.get(&k) {
            // Leave room for the up-to-two instructions `jump` may still push.
            if self.len() - i - 1 <= MAX_JUMP - 2 {
                return i;
            }
        }
        let i = self.push(SockFilter::stmt(BPF_RET | BPF_K, k));
        self.rets.insert(k, i);
        i
    }

    fn resolve(&mut self, t: Target) -> usize {
        match t {
            Target::At(i) => i,
            Target::Ret(a) => self.ret(a),
        }
    }

    /// Emits a conditional jump (`code` with constant `k`) to `jt`/`jf`, adding trampolines for
    /// targets out of 8-bit reach. Equal targets need no test at all.
    fn jump(&mut self, code: u16, k: u32, jt: Target, jf: Target) -> Target {
        if jt == jf {
            return jt;
        }
        let mut f = self.resolve(jf);
        let mut t = self.resolve(jt);
        loop {
            let here = self.len();
            let (ot, of) = (here - t - 1, here - f - 1);
            if ot <= MAX_JUMP && of <= MAX_JUMP {
                return Target::At(self.push(SockFilter::jump(code, k, ot as u8, of as u8)));
            }
            let far = if of > MAX_JUMP { &mut f } else { &mut t };
            let off = here - *far - 1;
            // Body offsets stay below 4096 + trampolines; they fit in 32 bits.
            *far = self.push(SockFilter::stmt(BPF_JMP | BPF_JA, off as u32));
        }
    }

    /// Makes `t` the instruction that the previously emitted (i.e. the next lower) code falls
    /// through to.
    fn fall_into(&mut self, t: Target) {
        match t {
            Target::At(i) if i + 1 == self.len() => {}
            Target::At(i) => {
                let off = self.len() - i - 1;
                self.push(SockFilter::stmt(BPF_JMP | BPF_JA, off as u32));
            }
            Target::Ret(a) => {
                let k = a.to_ret();
                let i = self.push(SockFilter::stmt(BPF_RET | BPF_K, k));
                self.rets.insert(k, i);
            }
        }
    }

    fn load(&mut self, off: u32) -> Target {
        Target::At(self.push(SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, off)))
    }

    /// A word test: `LD off; [AND mask;] J<code> k` → `jt`/`jf`. A test whose targets are equal
    /// is decided at compile time and emits nothing.
    fn test(
        &mut self,
        off: u32,
        mask: Option<u32>,
        code: u16,
        k: u32,
        jt: Target,
        jf: Target,
    ) -> Target {
        let before = self.len();
        let j = self.jump(code, k, jt, jf);
        if self.len() == before {
            return j;
        }
        if let Some(m) = mask {
            self.push(SockFilter::stmt(BPF_ALU | BPF_AND | BPF_K, m));
        }
        self.load(off)
    }

    /// A condition: true → `t`, false → `f`. 64-bit comparisons test the high word first and
    /// look at the low word only when the high words are equal.
    fn cond(&mut self, c: &Condition, t: Target, f: Target) -> Target {
        let (cmp, words): (Cmp, &[bool]) = match c.width {
            Width::U64 => (c.cmp, &[true, false]),
            Width::U32 => (c.cmp.low_word(), &[false]),
        };
        let lo_off = offset_arg_lo(c.arg);
        // Emitted backwards: the low word first (it runs last), then the high word.
        let mut cont = t;
        for &hi in words.iter().rev() {
            let word = |v: u64| if hi { (v >> 32) as u32 } else { v as u32 };
            let off = if hi { lo_off + 4 } else { lo_off };
            let jeq = BPF_JMP | BPF_JEQ | BPF_K;
            cont = match cmp {
                Cmp::Eq(v) => self.test(off, None, jeq, word(v), cont, f),
                // High word: different → true; equal → the low word decides.
                Cmp::Ne(v) if hi => self.test(off, None, jeq, word(v), cont, t),
                Cmp::Ne(v) => self.test(off, None, jeq, word(v), f, t),
                Cmp::Gt(v) | Cmp::Ge(v) | Cmp::Lt(v) | Cmp::Le(v) => {
                    let (above, below) = match cmp {
                        Cmp::Gt(_) | Cmp::Ge(_) => (t, f),
                        _ => (f, t),
                    };
                    if hi {
                        // Above → decided; equal → the low word; below → decided.
                        let eq = self.jump(jeq, word(v), cont, below);
                        self.test(off, None, BPF_JMP | BPF_JGT | BPF_K, word(v), above, eq)
                    } else {
                        // Gt: JGT; Ge: JGE; Lt = !Ge; Le = !Gt.
                        let op = match cmp {
                            Cmp::Gt(_) | Cmp::Le(_) => BPF_JGT,
                            _ => BPF_JGE,
                        };
                        self.test(off, None, BPF_JMP | op | BPF_K, word(v), above, below)
                    }
                }
                Cmp::MaskedEq { mask, value } => {
                    let (m, want) = (word(mask), word(value));
                    if want & !m != 0 {
                        // Bits outside the mask can never match.
                        f
                    } else if m == 0 {
                        // The masked word is 0, and so is `want`: passes.
                        cont
                    } else {
                        let and = (m != u32::MAX).then_some(m);
                        self.test(off, and, jeq, want, cont, f)
                    }
                }
            };
        }
        cont
    }

    /// A syscall's rules in order; unmatched calls get the fallback.
    fn block(&mut self, g: &Group<'_>) -> Target {
        let mut next = Target::Ret(g.fallback);
        for rule in g.rules.iter().rev() {
            let mut t = Target::Ret(rule.action);
            for c in rule.conditions.iter().rev() {
                t = self.cond(c, t, next);
            }
            next = t;
        }
        next
    }
}

/// Compiles rules into a complete program (prologue + body).
pub(crate) fn compile(input: &Input<'_>) -> Result<Vec<SockFilter>> {
    let groups = groups(input);
    let intervals = intervals(input, &groups);
    let mut e = Emitter {
        rev: Vec::new(),
        rets: HashMap::new(),
    };
    let root = match input.codegen {
        CodeGen::Tree => tree(&mut e, &groups, &intervals),
        CodeGen::Linear => linear(&mut e, input, &groups),
    };
    e.fall_into(root);
    let mut program = prologue(input);
    check_size(program.len() + e.rev.len())?;
    program.extend(e.rev.iter().rev());
    Ok(program)
}

fn prologue(input: &Input<'_>) -> Vec<SockFilter> {
    let bad = input.bad_arch_action.to_ret();
    let mut p = vec![
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, input.arch.audit_arch(), 1, 0),
        SockFilter::stmt(BPF_RET | BPF_K, bad),
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_NR),
    ];
    if input.arch.has_x32_guard() {
        p.push(SockFilter::jump(
            BPF_JMP | BPF_JGE | BPF_K,
            X32_SYSCALL_BIT,
            0,
            1,
        ));
        p.push(SockFilter::stmt(BPF_RET | BPF_K, bad));
    }
    p
}

/// Rules grouped per syscall, sorted by number; rules after the first unconditional one are
/// unreachable and dropped.
fn groups<'a>(input: &Input<'a>) -> Vec<Group<'a>> {
    let mut nrs: Vec<u32> = input.rules.iter().map(|r| r.syscall).collect();
    nrs.sort_unstable();
    nrs.dedup();
    nrs.into_iter()
        .map(|nr| {
            let mut rules = Vec::new();
            let mut fallback = base_action(input, nr);
            for r in input.rules.iter().filter(|r| r.syscall == nr) {
                if r.conditions.is_empty() {
                    fallback = r.action;
                    break;
                }
                rules.push(r);
            }
            Group {
                nr,
                rules,
                fallback,
            }
        })
        .collect()
}

/// The action of a number without rules.
fn base_action(input: &Input<'_>, nr: u32) -> Action {
    match input.unknown_action {
        Some(a) if nr > input.arch.max_syscall() => a,
        _ => input.default_action,
    }
}

fn leaf_of(g: &Group<'_>, i: usize) -> Leaf {
    if g.rules.is_empty() {
        Leaf::Ret(g.fallback)
    } else {
        Leaf::Block(i)
    }
}

/// The number line cut into `(start, leaf)` intervals, adjacent equal returns merged.
fn intervals(input: &Input<'_>, groups: &[Group<'_>]) -> Vec<(u32, Leaf)> {
    let mut points: Vec<u32> = vec![0];
    if input.unknown_action.is_some() {
        points.extend(input.arch.max_syscall().checked_add(1));
    }
    for g in groups {
        points.push(g.nr);
        points.extend(g.nr.checked_add(1));
    }
    points.sort_unstable();
    points.dedup();
    let mut out: Vec<(u32, Leaf)> = Vec::with_capacity(points.len());
    for p in points {
        let leaf = match groups.binary_search_by_key(&p, |g| g.nr) {
            Ok(i) => leaf_of(&groups[i], i),
            Err(_) => Leaf::Ret(base_action(input, p)),
        };
        match out.last() {
            Some(&(_, last)) if last == leaf && matches!(leaf, Leaf::Ret(_)) => {}
            _ => out.push((p, leaf)),
        }
    }
    out
}

fn emit_leaf(e: &mut Emitter, groups: &[Group<'_>], leaf: Leaf) -> Target {
    match leaf {
        Leaf::Ret(a) => Target::Ret(a),
        Leaf::Block(i) => e.block(&groups[i]),
    }
}

fn tree(e: &mut Emitter, groups: &[Group<'_>], iv: &[(u32, Leaf)]) -> Target {
    // The end of each interval (exclusive, as u64 so the last one can end at 2^32).
    let ends: Vec<u64> = iv
        .iter()
        .skip(1)
        .map(|&(s, _)| u64::from(s))
        .chain([1u64 << 32])
        .collect();
    subtree(e, groups, iv, &ends, 0, iv.len())
}

/// Emits the decision for intervals `lo..hi` (the caller guarantees `nr` lies in them).
fn subtree(
    e: &mut Emitter,
    groups: &[Group<'_>],
    iv: &[(u32, Leaf)],
    ends: &[u64],
    lo: usize,
    hi: usize,
) -> Target {
    if hi - lo == 1 {
        return emit_leaf(e, groups, iv[lo].1);
    }
    if let Some(t) = jeq_chain(e, groups, iv, ends, lo, hi) {
        return t;
    }
    let mid = lo + (hi - lo) / 2;
    let right = subtree(e, groups, iv, ends, mid, hi);
    let left = subtree(e, groups, iv, ends, lo, mid);
    e.jump(BPF_JMP | BPF_JGE | BPF_K, iv[mid].0, right, left)
}

/// For a small range where every interval is either one number or a return of one common
/// action, a chain of `JEQ`s (≤ 3) is shorter than the tree.
fn jeq_chain(
    e: &mut Emitter,
    groups: &[Group<'_>],
    iv: &[(u32, Leaf)],
    ends: &[u64],
    lo: usize,
    hi: usize,
) -> Option<Target> {
    let n = hi - lo;
    if n > 7 {
        return None;
    }
    // The dominant return: the one of the widest interval that is not a single number.
    let mut background = None;
    let mut singles = Vec::new();
    for i in lo..hi {
        let (start, leaf) = iv[i];
        let single = ends[i] == u64::from(start) + 1;
        match (single, leaf, background) {
            (_, Leaf::Ret(a), Some(b)) if a == b => {}
            (false, Leaf::Ret(a), None) => background = Some(a),
            (true, _, _) => singles.push(i),
            _ => return None,
        }
    }
    let background = background?;
    let singles: Vec<usize> = singles
        .into_iter()
        .filter(|&i| iv[i].1 != Leaf::Ret(background))
        .collect();
    // A chain of k tests beats a tree of depth ⌈log2 n⌉ when k < that depth.
    let depth = usize::BITS - (n - 1).leading_zeros();
    if singles.len() >= depth as usize {
        return None;
    }
    let mut next = Target::Ret(background);
    for &i in singles.iter().rev() {
        let leaf = emit_leaf(e, groups, iv[i].1);
        next = e.jump(BPF_JMP | BPF_JEQ | BPF_K, iv[i].0, leaf, next);
    }
    Some(next)
}

/// One `JEQ` per syscall in number order (for comparison with the tree).
fn linear(e: &mut Emitter, input: &Input<'_>, groups: &[Group<'_>]) -> Target {
    let mut next = Target::Ret(input.default_action);
    if let Some(a) = input.unknown_action {
        // Numbers above the table, after the chain: one `JGT max`.
        next = e.jump(
            BPF_JMP | BPF_JGT | BPF_K,
            input.arch.max_syscall(),
            Target::Ret(a),
            next,
        );
    }
    for (i, g) in groups.iter().enumerate().rev() {
        let leaf = emit_leaf(e, groups, leaf_of(g, i));
        next = e.jump(BPF_JMP | BPF_JEQ | BPF_K, g.nr, leaf, next);
    }
    next
}
