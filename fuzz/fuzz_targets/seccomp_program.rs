//! Fuzzes the seccomp cBPF layer: raw program bytes through `from_bytes`, the kernel-like
//! checker, the interpreter, the longest-path analysis and the disassembler. None may panic; a
//! program that passes the checker must run to a return.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::seccomp::bpf;
use linx::seccomp::interp::{self, SeccompData};
use linx::seccomp::{Arch, Filter};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (head, prog) = data.split_at(16);
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64::from(head[i]) << (8 * (i % 8)) | u64::from(head[6 + i % 10]);
    }
    let d = SeccompData {
        nr: i32::from_le_bytes([head[0], head[1], head[2], head[3]]),
        arch: if head[4] & 1 == 0 {
            0xc000_003e
        } else {
            0xc000_00b7
        },
        instruction_pointer: 0,
        args,
    };
    let Ok(program) = bpf::from_bytes(prog) else {
        return;
    };
    let ran = interp::run(&program, &d);
    if interp::check(&program).is_ok() {
        assert!(ran.is_ok());
        assert!(bpf::longest_path(&program).is_some());
        let f = Filter::from_program(Arch::X86_64, program.clone()).unwrap();
        let _ = f.evaluate(&d);
    }
    let _ = bpf::disassemble(&program, Some(Arch::Aarch64));
});
