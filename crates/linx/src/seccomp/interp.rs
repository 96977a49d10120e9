//! An in-process classic-BPF interpreter with the kernel's seccomp semantics (spec SEC-15).
//!
//! Pure code: runs a program over a [`SeccompData`] and returns the 32-bit filter result and the
//! number of instructions executed. [`check`] applies the kernel's load-time checks
//! (`bpf_check_classic` + `seccomp_check_filter`), so a program that passes it is one the kernel
//! accepts. The interpreter never panics: out-of-range loads, jumps past the end, falling off the
//! end and instructions seccomp forbids are [`InterpError`]s.

use std::fmt;

use super::bpf::*;
use super::syscalls::Arch;

/// The kernel's `struct seccomp_data`: what a filter sees for one system call.
///
/// ```
/// use linx::seccomp::{Arch, SeccompData};
/// let d = SeccompData::new(Arch::X86_64, 0, [1, 2, 3, 4, 5, 6]);
/// assert_eq!(d.arch, 0xC000_003E);
/// assert_eq!(d.word(16), Some(1)); // args[0] low word
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeccompData {
    /// The system call number (`int`).
    pub nr: i32,
    /// `AUDIT_ARCH_*` of the calling convention.
    pub arch: u32,
    /// Address of the system call instruction.
    pub instruction_pointer: u64,
    /// The six arguments, as 64-bit registers.
    pub args: [u64; 6],
}

const _: () = assert!(std::mem::size_of::<SeccompData>() == SECCOMP_DATA_SIZE as usize);

impl SeccompData {
    /// A call of `nr` with `args` under `arch`'s calling convention.
    pub fn new(arch: Arch, nr: u32, args: [u64; 6]) -> SeccompData {
        SeccompData {
            nr: nr as i32,
            arch: arch.audit_arch(),
            instruction_pointer: 0,
            args,
        }
    }

    /// The 32-bit word at byte offset `off` (little-endian layout, as on x86_64 and aarch64), or
    /// `None` for an unaligned or out-of-range offset.
    pub fn word(&self, off: u32) -> Option<u32> {
        if off % 4 != 0 {
            return None;
        }
        let lo_hi = |v: u64, hi: bool| if hi { (v >> 32) as u32 } else { v as u32 };
        Some(match off {
            0 => self.nr as u32,
            4 => self.arch,
            8 | 12 => lo_hi(self.instruction_pointer, off == 12),
            16..=63 => {
                let i = ((off - 16) / 8) as usize;
                lo_hi(*self.args.get(i)?, (off - 16) % 8 == 4)
            }
            _ => return None,
        })
    }
}

/// Why a program cannot run (or would be refused by the kernel).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpError {
    /// The program has no instructions.
    Empty,
    /// More than 4096 instructions.
    TooLong(usize),
    /// An instruction seccomp does not allow (e.g. byte loads, `mod`, unknown opcodes).
    Illegal {
        /// Instruction index.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
    /// A load from `seccomp_data` outside the structure or not 4-byte aligned.
    BadLoad {
        /// Instruction index.
        pc: usize,
        /// The offset.
        offset: u32,
    },
    /// A scratch-memory slot above 15, or a load of a slot no path has stored.
    BadMemory {
        /// Instruction index.
        pc: usize,
    },
    /// A jump past the last instruction.
    JumpOutOfRange {
        /// Instruction index.
        pc: usize,
    },
    /// Division by the constant zero, or a shift by 32 or more.
    BadAlu {
        /// Instruction index.
        pc: usize,
    },
    /// The last instruction is not a return.
    NoFinalReturn,
    /// Execution ran past the last instruction.
    FellOffEnd,
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpError::Empty => write!(f, "empty program"),
            InterpError::TooLong(n) => {
                write!(f, "program has {n} instructions, limit {MAX_INSNS}")
            }
            InterpError::Illegal { pc, code } => {
                write!(
                    f,
                    "instruction {pc}: opcode {code:#06x} not allowed in seccomp"
                )
            }
            InterpError::BadLoad { pc, offset } => write!(
                f,
                "instruction {pc}: load at offset {offset} outside seccomp_data or unaligned"
            ),
            InterpError::BadMemory { pc } => {
                write!(
                    f,
                    "instruction {pc}: bad or uninitialised scratch memory slot"
                )
            }
            InterpError::JumpOutOfRange { pc } => {
                write!(f, "instruction {pc}: jump past the end of the program")
            }
            InterpError::BadAlu { pc } => {
                write!(
                    f,
                    "instruction {pc}: division by zero or shift by 32 or more"
                )
            }
            InterpError::NoFinalReturn => write!(f, "the last instruction is not a return"),
            InterpError::FellOffEnd => write!(f, "execution ran past the last instruction"),
        }
    }
}

impl std::error::Error for InterpError {}

/// The result of running a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    /// The 32-bit filter result (`SECCOMP_RET_*` action | data).
    pub ret: u32,
    /// How many instructions ran, including the return.
    pub executed: usize,
}

fn allowed(code: u16) -> bool {
    const ALU: [u16; 9] = [
        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
    ];
    const JMP: [u16; 4] = [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET];
    match code {
        c if c == BPF_LD | BPF_W | BPF_ABS
            || c == BPF_LD | BPF_W | BPF_LEN
            || c == BPF_LDX | BPF_W | BPF_LEN
            || c == BPF_RET | BPF_K
            || c == BPF_RET | BPF_A
            || c == BPF_ALU | BPF_NEG
            || c == BPF_LD | BPF_IMM
            || c == BPF_LDX | BPF_IMM
            || c == BPF_MISC | BPF_TAX
            || c == BPF_MISC | BPF_TXA
            || c == BPF_LD | BPF_MEM
            || c == BPF_LDX | BPF_MEM
            || c == BPF_ST
            || c == BPF_STX
            || c == BPF_JMP | BPF_JA =>
        {
            true
        }
        c if c & 0x07 == BPF_ALU => ALU
            .iter()
            .any(|&op| c == BPF_ALU | op | BPF_K || c == BPF_ALU | op | BPF_X),
        c if c & 0x07 == BPF_JMP => JMP
            .iter()
            .any(|&op| c == BPF_JMP | op | BPF_K || c == BPF_JMP | op | BPF_X),
        _ => false,
    }
}

/// The kernel's load-time checks: length 1..=4096, only seccomp's opcodes, aligned in-range
/// `seccomp_data` loads, memory slots < 16 and stored before every load on every path, no
/// division by a zero constant, jumps inside the program, a return as last instruction.
pub fn check(program: &[SockFilter]) -> Result<(), InterpError> {
    let n = program.len();
    if n == 0 {
        return Err(InterpError::Empty);
    }
    if n > MAX_INSNS {
        return Err(InterpError::TooLong(n));
    }
    for (pc, insn) in program.iter().enumerate() {
        if !allowed(insn.code) {
            return Err(InterpError::Illegal {
                pc,
                code: insn.code,
            });
        }
        let remaining = n - pc - 1;
        match insn.code {
            c if c == BPF_LD | BPF_W | BPF_ABS
                && (insn.k % 4 != 0 || insn.k >= SECCOMP_DATA_SIZE) =>
            {
                return Err(InterpError::BadLoad { pc, offset: insn.k });
            }
            c if (c == BPF_LD | BPF_MEM
                || c == BPF_LDX | BPF_MEM
                || c == BPF_ST
                || c == BPF_STX)
                && insn.k >= 16 =>
            {
                return Err(InterpError::BadMemory { pc });
            }
            c if c == BPF_ALU | BPF_DIV | BPF_K && insn.k == 0 => {
                return Err(InterpError::BadAlu { pc });
            }
            c if (c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K)
                && insn.k >= 32 =>
            {
                return Err(InterpError::BadAlu { pc });
            }
            c if c == BPF_JMP | BPF_JA && insn.k as usize >= remaining => {
                return Err(InterpError::JumpOutOfRange { pc });
            }
            c if c != BPF_JMP | BPF_JA
                && c & 0x07 == BPF_JMP
                && (usize::from(insn.jt) >= remaining || usize::from(insn.jf) >= remaining) =>
            {
                return Err(InterpError::JumpOutOfRange { pc });
            }
            _ => {}
        }
    }
    match program.last() {
        Some(last) if last.class() == BPF_RET => {}
        _ => return Err(InterpError::NoFinalReturn),
    }
    // Memory slots valid on every path into each instruction (check_load_and_stores).
    let mut valid = vec![u16::MAX; n];
    valid[0] = 0;
    for pc in 0..n {
        let insn = program[pc];
        let mut mem = valid[pc];
        match insn.code {
            c if c == BPF_ST || c == BPF_STX => mem |= 1 << insn.k,
            c if (c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM) && mem & (1 << insn.k) == 0 => {
                return Err(InterpError::BadMemory { pc });
            }
            _ => {}
        }
        let mut flow = |t: usize| {
            if let Some(v) = valid.get_mut(t) {
                *v &= mem;
            }
        };
        match insn.class() {
            BPF_RET => {}
            BPF_JMP if insn.code == BPF_JMP | BPF_JA => flow(pc + 1 + insn.k as usize),
            BPF_JMP => {
                flow(pc + 1 + usize::from(insn.jt));
                flow(pc + 1 + usize::from(insn.jf));
            }
            _ => flow(pc + 1),
        }
    }
    Ok(())
}

/// Runs `program` over `data` with the kernel's semantics; division by a zero X ends the program
/// with result 0 (`SECCOMP_RET_KILL_THREAD`), as the kernel's classic-BPF conversion does, and
/// shift counts wrap at 32.
///
/// The program need not have passed [`check`]; anything the kernel would refuse at load time that
/// is reached at run time is an error.
pub fn run(program: &[SockFilter], data: &SeccompData) -> Result<Execution, InterpError> {
    if program.is_empty() {
        return Err(InterpError::Empty);
    }
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    let mut executed = 0usize;
    loop {
        let Some(&insn) = program.get(pc) else {
            return Err(InterpError::FellOffEnd);
        };
        executed += 1;
        if !allowed(insn.code) {
            return Err(InterpError::Illegal {
                pc,
                code: insn.code,
            });
        }
        let k = insn.k;
        let mut next = pc + 1;
        let slot = |pc| mem_slot(k).ok_or(InterpError::BadMemory { pc });
        match insn.class() {
            BPF_LD | BPF_LDX => {
                let v = match insn.code & 0xe0 {
                    BPF_ABS => data.word(k).ok_or(InterpError::BadLoad { pc, offset: k })?,
                    BPF_LEN => SECCOMP_DATA_SIZE,
                    BPF_MEM => mem[slot(pc)?],
                    _ => k,
                };
                if insn.class() == BPF_LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            BPF_ST => mem[slot(pc)?] = a,
            BPF_STX => mem[slot(pc)?] = x,
            BPF_ALU => {
                let src = if insn.code & BPF_X != 0 { x } else { k };
                a = match insn.code & 0xf0 {
                    BPF_ADD => a.wrapping_add(src),
                    BPF_SUB => a.wrapping_sub(src),
                    BPF_MUL => a.wrapping_mul(src),
                    BPF_DIV => match a.checked_div(src) {
                        Some(v) => v,
                        None if insn.code & BPF_X != 0 => {
                            return Ok(Execution { ret: 0, executed });
                        }
                        None => return Err(InterpError::BadAlu { pc }),
                    },
                    BPF_AND => a & src,
                    BPF_OR => a | src,
                    BPF_XOR => a ^ src,
                    // Shift counts by X wrap at 32, as the kernel's BPF runtime does; constant
                    // counts of 32 or more are refused by `check`.
                    BPF_LSH => a.wrapping_shl(src),
                    BPF_RSH => a.wrapping_shr(src),
                    _ => a.wrapping_neg(),
                };
            }
            BPF_JMP => {
                let src = if insn.code & BPF_X != 0 { x } else { k };
                let off = match insn.code & 0xf0 {
                    BPF_JA => k as usize,
                    op => {
                        let taken = match op {
                            BPF_JEQ => a == src,
                            BPF_JGT => a > src,
                            BPF_JGE => a >= src,
                            _ => a & src != 0,
                        };
                        usize::from(if taken { insn.jt } else { insn.jf })
                    }
                };
                next = pc
                    .checked_add(1 + off)
                    .filter(|&t| t < program.len())
                    .ok_or(InterpError::JumpOutOfRange { pc })?;
            }
            BPF_RET => {
                let ret = if insn.code & 0x18 == BPF_A { a } else { k };
                return Ok(Execution { ret, executed });
            }
            _ => {
                if insn.code & 0xf8 == BPF_TXA {
                    a = x;
                } else {
                    x = a;
                }
            }
        }
        pc = next;
    }
}

fn mem_slot(k: u32) -> Option<usize> {
    (k < 16).then_some(k as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(nr: i32) -> SeccompData {
        SeccompData {
            nr,
            arch: 0xc000_003e,
            instruction_pointer: 0x1122_3344_5566_7788,
            args: [0x0000_0001_0000_0002, 0, 0, 0, 0, 0xffff_ffff_0000_0000],
        }
    }

    #[test]
    fn sec_15_words_follow_the_kernel_layout() {
        let d = data(-1);
        assert_eq!(d.word(0), Some(u32::MAX));
        assert_eq!(d.word(8), Some(0x5566_7788));
        assert_eq!(d.word(12), Some(0x1122_3344));
        assert_eq!(d.word(16), Some(2));
        assert_eq!(d.word(20), Some(1));
        assert_eq!(d.word(60), Some(0xffff_ffff));
        assert_eq!(d.word(64), None);
        assert_eq!(d.word(2), None);
    }

    #[test]
    fn sec_15_errors_instead_of_panics() {
        let ret = SockFilter::stmt(BPF_RET | BPF_K, 0);
        assert_eq!(run(&[], &data(0)), Err(InterpError::Empty));
        let p = [SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 64), ret];
        assert_eq!(
            run(&p, &data(0)),
            Err(InterpError::BadLoad { pc: 0, offset: 64 })
        );
        assert!(check(&p).is_err());
        let p = [SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), ret];
        assert_eq!(
            run(&p, &data(0)),
            Err(InterpError::JumpOutOfRange { pc: 0 })
        );
        assert_eq!(check(&p), Err(InterpError::JumpOutOfRange { pc: 0 }));
        let p = [SockFilter::stmt(BPF_LD | BPF_IMM, 0)];
        assert_eq!(run(&p, &data(0)), Err(InterpError::FellOffEnd));
        assert_eq!(check(&p), Err(InterpError::NoFinalReturn));
        let p = [SockFilter::stmt(BPF_LD | BPF_B | BPF_ABS, 0), ret];
        assert_eq!(check(&p), Err(InterpError::Illegal { pc: 0, code: 0x30 }));
        let p = [SockFilter::stmt(BPF_LD | BPF_MEM, 3), ret];
        assert_eq!(check(&p), Err(InterpError::BadMemory { pc: 0 }));
        let p = [SockFilter::stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret];
        assert_eq!(run(&p, &data(0)).unwrap().ret, 0);
        assert_eq!(check(&[ret; 4097]), Err(InterpError::TooLong(4097)));
    }

    #[test]
    fn sec_15_alu_memory_and_jumps() {
        let p = [
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            SockFilter::stmt(BPF_ALU | BPF_ADD | BPF_K, 40),
            SockFilter::stmt(BPF_ST, 2),
            SockFilter::stmt(BPF_LDX | BPF_MEM, 2),
            SockFilter::stmt(BPF_MISC | BPF_TXA, 0),
            SockFilter::jump(BPF_JMP | BPF_JSET | BPF_K, 0x2, 0, 1),
            SockFilter::stmt(BPF_RET | BPF_A, 0),
            SockFilter::stmt(BPF_RET | BPF_K, 7),
        ];
        assert_eq!(check(&p), Ok(()));
        assert_eq!(
            run(&p, &data(0)),
            Ok(Execution {
                ret: 42,
                executed: 7
            })
        );
    }
}
