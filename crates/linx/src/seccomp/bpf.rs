//! Classic BPF instructions as seccomp uses them: encoding, raw bytes, disassembly (spec SEC-14).
//!
//! Pure code, no I/O. The instruction layout is the kernel's `struct sock_filter`
//! (`linux/filter.h`): `code u16, jt u8, jf u8, k u32`, 8 bytes, little-endian fields in
//! [`to_bytes`] / [`from_bytes`].

use std::fmt::{self, Write as _};

use super::rules::Action;
use super::syscalls::Arch;
use crate::error::{Error, Result, Subsystem};

/// `BPF_MAXINSNS`: the most instructions one seccomp filter may have.
pub const MAX_INSNS: usize = 4096;

/// One classic BPF instruction, layout-identical to the kernel's `struct sock_filter`.
///
/// ```
/// use linx::seccomp::bpf::{SockFilter, BPF_RET, BPF_K};
/// let ret = SockFilter::stmt(BPF_RET | BPF_K, 0x7fff_0000);
/// assert_eq!(ret.to_bytes(), [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SockFilter {
    /// Opcode: class | size/op | mode/source.
    pub code: u16,
    /// Jump offset when the condition holds (conditional jumps).
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

// The kernel reads `sock_filter` arrays through `sock_fprog`; the layouts must agree.
const _: () =
    assert!(std::mem::size_of::<SockFilter>() == std::mem::size_of::<libc::sock_filter>());
const _: () =
    assert!(std::mem::align_of::<SockFilter>() == std::mem::align_of::<libc::sock_filter>());

/// Instruction class: load into A.
pub const BPF_LD: u16 = 0x00;
/// Instruction class: load into X.
pub const BPF_LDX: u16 = 0x01;
/// Instruction class: store A to scratch memory.
pub const BPF_ST: u16 = 0x02;
/// Instruction class: store X to scratch memory.
pub const BPF_STX: u16 = 0x03;
/// Instruction class: arithmetic on A.
pub const BPF_ALU: u16 = 0x04;
/// Instruction class: jumps.
pub const BPF_JMP: u16 = 0x05;
/// Instruction class: return.
pub const BPF_RET: u16 = 0x06;
/// Instruction class: register transfers.
pub const BPF_MISC: u16 = 0x07;
/// Size: 32-bit word.
pub const BPF_W: u16 = 0x00;
/// Size: 16-bit half word (not allowed in seccomp).
pub const BPF_H: u16 = 0x08;
/// Size: byte (not allowed in seccomp).
pub const BPF_B: u16 = 0x10;
/// Mode: immediate.
pub const BPF_IMM: u16 = 0x00;
/// Mode: absolute offset into `seccomp_data`.
pub const BPF_ABS: u16 = 0x20;
/// Mode: indirect (not allowed in seccomp).
pub const BPF_IND: u16 = 0x40;
/// Mode: scratch memory.
pub const BPF_MEM: u16 = 0x60;
/// Mode: packet length (`sizeof(struct seccomp_data)` in seccomp).
pub const BPF_LEN: u16 = 0x80;
/// ALU/JMP operation: add.
pub const BPF_ADD: u16 = 0x00;
/// ALU operation: subtract.
pub const BPF_SUB: u16 = 0x10;
/// ALU operation: multiply.
pub const BPF_MUL: u16 = 0x20;
/// ALU operation: divide.
pub const BPF_DIV: u16 = 0x30;
/// ALU operation: or.
pub const BPF_OR: u16 = 0x40;
/// ALU operation: and.
pub const BPF_AND: u16 = 0x50;
/// ALU operation: shift left.
pub const BPF_LSH: u16 = 0x60;
/// ALU operation: shift right.
pub const BPF_RSH: u16 = 0x70;
/// ALU operation: negate.
pub const BPF_NEG: u16 = 0x80;
/// ALU operation: modulo (not allowed in seccomp).
pub const BPF_MOD: u16 = 0x90;
/// ALU operation: exclusive or.
pub const BPF_XOR: u16 = 0xa0;
/// Jump: always.
pub const BPF_JA: u16 = 0x00;
/// Jump: if A == operand.
pub const BPF_JEQ: u16 = 0x10;
/// Jump: if A > operand (unsigned).
pub const BPF_JGT: u16 = 0x20;
/// Jump: if A >= operand (unsigned).
pub const BPF_JGE: u16 = 0x30;
/// Jump: if A & operand != 0.
pub const BPF_JSET: u16 = 0x40;
/// Source: the constant `k`.
pub const BPF_K: u16 = 0x00;
/// Source: register X.
pub const BPF_X: u16 = 0x08;
/// Return source: register A.
pub const BPF_A: u16 = 0x10;
/// Misc: A → X.
pub const BPF_TAX: u16 = 0x00;
/// Misc: X → A.
pub const BPF_TXA: u16 = 0x80;

/// Size of `struct seccomp_data` (what `BPF_LEN` loads).
pub const SECCOMP_DATA_SIZE: u32 = 64;
/// Offset of `seccomp_data.nr`.
pub const OFFSET_NR: u32 = 0;
/// Offset of `seccomp_data.arch`.
pub const OFFSET_ARCH: u32 = 4;
/// Offset of `seccomp_data.instruction_pointer` (low word; high word at +4).
pub const OFFSET_IP: u32 = 8;

/// Offset of the low 32-bit word of `seccomp_data.args[arg]` (little-endian; the high word is at
/// +4).
pub const fn offset_arg_lo(arg: u8) -> u32 {
    16 + 8 * arg as u32
}

impl SockFilter {
    /// A non-jump instruction (`BPF_STMT`).
    pub const fn stmt(code: u16, k: u32) -> SockFilter {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A jump instruction (`BPF_JUMP`).
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    /// The 8 little-endian bytes of this instruction.
    pub fn to_bytes(self) -> [u8; 8] {
        let c = self.code.to_le_bytes();
        let k = self.k.to_le_bytes();
        [c[0], c[1], self.jt, self.jf, k[0], k[1], k[2], k[3]]
    }

    /// Decodes 8 little-endian bytes.
    pub fn from_bytes(b: [u8; 8]) -> SockFilter {
        SockFilter {
            code: u16::from_le_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// The instruction class (`BPF_CLASS`).
    pub const fn class(self) -> u16 {
        self.code & 0x07
    }
}

/// Encodes a program as raw bytes, 8 per instruction.
pub fn to_bytes(program: &[SockFilter]) -> Vec<u8> {
    program.iter().flat_map(|i| i.to_bytes()).collect()
}

/// Decodes raw bytes into instructions.
///
/// # Errors
/// An input error when the length is zero or not a multiple of 8.
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<SockFilter>> {
    if bytes.is_empty() || bytes.len() % 8 != 0 {
        return Err(Error::input(
            Subsystem::Seccomp,
            "program bytes",
            format!("{} bytes", bytes.len()),
            "length must be a non-zero multiple of 8 (one sock_filter per 8 bytes)",
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            SockFilter::from_bytes(b)
        })
        .collect())
}

/// The number of instructions on the longest path from the first instruction to a return, or
/// `None` when the program has a jump out of range or falls off its end (which the kernel refuses).
///
/// Seccomp programs are acyclic (all jumps go forward), so this is an exact upper bound on the
/// instructions executed for any `seccomp_data`.
pub fn longest_path(program: &[SockFilter]) -> Option<usize> {
    let n = program.len();
    let mut cost = vec![0usize; n];
    for pc in (0..n).rev() {
        let insn = program[pc];
        let next = |off: usize| -> Option<usize> {
            let t = pc.checked_add(1)?.checked_add(off)?;
            cost.get(t).copied().filter(|_| t < n)
        };
        cost[pc] = 1 + match insn.class() {
            BPF_RET => 0,
            BPF_JMP if insn.code & 0xf0 == BPF_JA => next(insn.k as usize)?,
            BPF_JMP => next(usize::from(insn.jt))?.max(next(usize::from(insn.jf))?),
            _ => next(0)?,
        };
    }
    cost.first().copied()
}

fn data_name(off: u32) -> Option<String> {
    Some(match off {
        0 => "nr".into(),
        4 => "arch".into(),
        8 => "instruction_pointer.lo".into(),
        12 => "instruction_pointer.hi".into(),
        16..=63 if off % 4 == 0 => {
            let arg = (off - 16) / 8;
            let half = if (off - 16) % 8 == 0 { "lo" } else { "hi" };
            format!("args[{arg}].{half}")
        }
        _ => return None,
    })
}

/// Disassembles a program, one instruction per line, in a `seccomp-tools`-like syntax:
///
/// ```text
/// 0000: ld   [4]                      ; arch
/// 0001: jeq  #0xc000003e  jt 0002  jf 0003
/// 0002: ret  #0x80000000              ; kill_process
/// ```
///
/// Jump targets are absolute instruction numbers; returns are annotated with their action, loads
/// with the `seccomp_data` field, and with an `arch`, comparisons against `nr` with the syscall
/// name.
pub fn disassemble(program: &[SockFilter], arch: Option<Arch>) -> String {
    let mut out = String::new();
    // Whether A holds `nr` (straight-line approximation, for annotations only).
    let mut a_is_nr = false;
    for (pc, insn) in program.iter().enumerate() {
        let target = |off: u64| pc as u64 + 1 + off;
        let op = |x: u16| {
            if x & BPF_X != 0 {
                "x".to_owned()
            } else {
                format!("#{:#x}", insn.k)
            }
        };
        let mut comment = String::new();
        let text = match insn.class() {
            BPF_LD | BPF_LDX => {
                let reg = if insn.class() == BPF_LDX { "ldx" } else { "ld" };
                let size = match insn.code & 0x18 {
                    BPF_W => "",
                    BPF_H => "h",
                    BPF_B => "b",
                    _ => "?",
                };
                let t = match insn.code & 0xe0 {
                    BPF_IMM => format!("{reg}{size} #{:#x}", insn.k),
                    BPF_ABS => {
                        if let Some(n) = data_name(insn.k) {
                            comment = n;
                        }
                        format!("{reg}{size} [{}]", insn.k)
                    }
                    BPF_IND => format!("{reg}{size} [x + {}]", insn.k),
                    BPF_MEM => format!("{reg}{size} M[{}]", insn.k),
                    BPF_LEN => format!("{reg}{size} #len"),
                    _ => format!("{reg}? code {:#06x}", insn.code),
                };
                if insn.class() == BPF_LD {
                    a_is_nr = insn.code & 0xe0 == BPF_ABS && insn.k == OFFSET_NR;
                }
                t
            }
            BPF_ST => format!("st M[{}]", insn.k),
            BPF_STX => format!("stx M[{}]", insn.k),
            BPF_ALU => {
                a_is_nr = false;
                let name = match insn.code & 0xf0 {
                    BPF_ADD => "add",
                    BPF_SUB => "sub",
                    BPF_MUL => "mul",
                    BPF_DIV => "div",
                    BPF_OR => "or",
                    BPF_AND => "and",
                    BPF_LSH => "lsh",
                    BPF_RSH => "rsh",
                    BPF_NEG => "neg",
                    BPF_MOD => "mod",
                    BPF_XOR => "xor",
                    _ => "alu?",
                };
                if insn.code & 0xf0 == BPF_NEG {
                    name.to_owned()
                } else {
                    format!("{name:<4} {}", op(insn.code))
                }
            }
            BPF_JMP => {
                let name = match insn.code & 0xf0 {
                    BPF_JA => {
                        let t = target(u64::from(insn.k));
                        out_line(&mut out, pc, &format!("ja   {t:04}"), "");
                        continue;
                    }
                    BPF_JEQ => "jeq",
                    BPF_JGT => "jgt",
                    BPF_JGE => "jge",
                    BPF_JSET => "jset",
                    _ => "jmp?",
                };
                if a_is_nr && insn.code & BPF_X == 0 {
                    if let Some(name) = arch.and_then(|a| a.syscall_name(insn.k)) {
                        comment = name.to_owned();
                    }
                }
                format!(
                    "{name:<4} {:<12} jt {:04}  jf {:04}",
                    op(insn.code),
                    target(u64::from(insn.jt)),
                    target(u64::from(insn.jf))
                )
            }
            BPF_RET => {
                if insn.code & 0x18 == BPF_A {
                    "ret  a".to_owned()
                } else {
                    comment = Action::from_ret(insn.k).to_string();
                    format!("ret  #{:#x}", insn.k)
                }
            }
            _ => {
                a_is_nr = false;
                match insn.code & 0xf8 {
                    BPF_TAX => "tax".to_owned(),
                    BPF_TXA => "txa".to_owned(),
                    _ => format!("misc? code {:#06x}", insn.code),
                }
            }
        };
        out_line(&mut out, pc, &text, &comment);
    }
    out
}

fn out_line(out: &mut String, pc: usize, text: &str, comment: &str) {
    if comment.is_empty() {
        let _ = writeln!(out, "{pc:04}: {text}");
    } else {
        let _ = writeln!(out, "{pc:04}: {text:<34} ; {comment}");
    }
}

impl fmt::Display for SockFilter {
    /// `{ code, jt, jf, k }` in hex, like the kernel's `BPF_STMT`/`BPF_JUMP` initialisers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{ {:#06x}, {}, {}, {:#010x} }}",
            self.code, self.jt, self.jf, self.k
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_14_bytes_round_trip_and_reject_misaligned() {
        let p = vec![
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000_003e, 1, 0),
            SockFilter::stmt(BPF_RET | BPF_K, 0x7fff_0000),
        ];
        let b = to_bytes(&p);
        assert_eq!(b.len(), 24);
        assert_eq!(&b[..8], &[0x20, 0, 0, 0, 4, 0, 0, 0]);
        assert_eq!(from_bytes(&b).unwrap(), p);
        assert!(from_bytes(&[]).unwrap_err().is_input());
        assert!(from_bytes(&b[..7]).unwrap_err().is_input());
    }

    #[test]
    fn sec_14_longest_path_and_disassembly() {
        let p = vec![
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            SockFilter::stmt(BPF_RET | BPF_K, 0x7fff_0000),
            SockFilter::stmt(BPF_RET | BPF_K, 0x0005_0001),
        ];
        assert_eq!(longest_path(&p), Some(3));
        assert_eq!(longest_path(&p[..2]), None);
        let text = disassemble(&p, Some(Arch::X86_64));
        assert!(text.contains("0000: ld [0]"), "{text}");
        assert!(text.contains("; nr"), "{text}");
        assert!(
            text.contains("jeq  #0x0         jt 0002  jf 0003"),
            "{text}"
        );
        assert!(text.contains("; read"), "{text}");
        assert!(text.contains("; allow"), "{text}");
        assert!(text.contains("; errno(EPERM)"), "{text}");
    }
}
