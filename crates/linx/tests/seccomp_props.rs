//! Seccomp compiler properties (pure, no privileges): the compiled program's verdict equals the
//! rule set's meaning; golden prologue bytes; scale, trampolines and the size limit.

use linx::seccomp::bpf::{self, BPF_JA, BPF_JMP, SockFilter};
use linx::seccomp::interp::{self, SeccompData};
use linx::seccomp::{Action, Arch, Cmp, CodeGen, Condition, Filter, Syscall, Width};
use proptest::prelude::*;

const BOUNDARIES: [u64; 9] = [
    0,
    1,
    0xffff_ffff,
    1 << 32,
    (1 << 32) + 1,
    1 << 63,
    u64::MAX,
    u64::MAX - 1,
    0x7fff_ffff,
];

fn arb_arch() -> impl Strategy<Value = Arch> {
    prop_oneof![Just(Arch::X86_64), Just(Arch::Aarch64)]
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Allow),
        Just(Action::KillProcess),
        Just(Action::KillThread),
        Just(Action::Log),
        Just(Action::UserNotif),
        (0u16..=4095).prop_map(Action::Errno),
        any::<u16>().prop_map(Action::Trap),
        any::<u16>().prop_map(Action::Trace),
    ]
}

fn arb_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        proptest::sample::select(&BOUNDARIES[..]),
        any::<u64>(),
        0u64..4,
        (0u64..4).prop_map(|v| (v << 32) | 1),
    ]
}

fn arb_cmp() -> impl Strategy<Value = Cmp> {
    prop_oneof![
        arb_value().prop_map(Cmp::Eq),
        arb_value().prop_map(Cmp::Ne),
        arb_value().prop_map(Cmp::Lt),
        arb_value().prop_map(Cmp::Le),
        arb_value().prop_map(Cmp::Gt),
        arb_value().prop_map(Cmp::Ge),
        (arb_value(), arb_value()).prop_map(|(mask, v)| Cmp::MaskedEq {
            mask,
            value: v & mask
        }),
        (arb_value(), arb_value()).prop_map(|(mask, value)| Cmp::MaskedEq { mask, value }),
    ]
}

fn arb_condition() -> impl Strategy<Value = Condition> {
    (
        0u8..6,
        arb_cmp(),
        prop_oneof![3 => Just(Width::U64), 1 => Just(Width::U32)],
    )
        .prop_map(|(arg, cmp, width)| Condition { arg, cmp, width })
}

/// A syscall number: mostly from a small pool so rules collide, some anywhere up to the table's
/// maximum + 10 (gaps included).
fn arb_nr() -> impl Strategy<Value = u32> {
    prop_oneof![3 => 0u32..8, 1 => 0u32..480]
}

type RawRule = (Action, u32, Vec<Condition>);

fn arb_rules() -> impl Strategy<Value = Vec<RawRule>> {
    proptest::collection::vec(
        (
            arb_action(),
            arb_nr(),
            proptest::collection::vec(arb_condition(), 0..3),
        ),
        0..24,
    )
}

fn dedup(rules: Vec<RawRule>) -> Vec<RawRule> {
    let mut out: Vec<RawRule> = Vec::new();
    for r in rules {
        if !out.iter().any(|o| o.1 == r.1 && o.2 == r.2) {
            out.push(r);
        }
    }
    out
}

fn build(
    arch: Arch,
    default: Action,
    unknown: Option<Action>,
    rules: &[RawRule],
    codegen: CodeGen,
) -> Filter {
    let mut b = Filter::builder(arch)
        .default_action(default)
        .codegen(codegen);
    if let Some(u) = unknown {
        b = b.unknown_syscalls(u);
    }
    for (a, nr, c) in rules {
        b = b.rule(Syscall::Number(*nr), *a, c.clone());
    }
    b.build().expect("valid rules compile")
}

fn arb_args() -> impl Strategy<Value = [u64; 6]> {
    proptest::array::uniform6(arb_value())
}

fn check_all_numbers(f: &Filter, samples: &[[u64; 6]]) -> Result<(), TestCaseError> {
    let arch = f.arch();
    for nr in 0..=arch.max_syscall() + 10 {
        for args in samples {
            let d = SeccompData::new(arch, nr, *args);
            prop_assert_eq!(
                f.evaluate(&d),
                f.evaluate_rules(&d).unwrap(),
                "nr {} args {:x?}",
                nr,
                args
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// SEC-08/SEC-10/SEC-15, scenario 3: the program means what the rules mean, for every
    /// syscall number up to the table's maximum + 10 and random argument vectors.
    #[test]
    fn sec_15_scenario_3_program_equals_rules(
        arch in arb_arch(),
        default in arb_action(),
        unknown in proptest::option::of(arb_action()),
        rules in arb_rules(),
        samples in proptest::collection::vec(arb_args(), 3),
        extra_nr in any::<u32>(),
        extra_args in arb_args(),
    ) {
        let rules = dedup(rules);
        for codegen in [CodeGen::Tree, CodeGen::Linear] {
            let f = build(arch, default, unknown, &rules, codegen);
            prop_assert!(interp::check(f.program()).is_ok());
            check_all_numbers(&f, &samples)?;
            let d = SeccompData::new(arch, extra_nr, extra_args);
            prop_assert_eq!(f.evaluate(&d), f.evaluate_rules(&d).unwrap());
            // Argument vectors that hit the rules' own constants exactly.
            for (_, nr, conds) in &rules {
                let mut args = [0u64; 6];
                for c in conds {
                    args[usize::from(c.arg)] = match c.cmp {
                        Cmp::Eq(v) | Cmp::Ne(v) | Cmp::Lt(v) | Cmp::Le(v) | Cmp::Gt(v) | Cmp::Ge(v) => v,
                        Cmp::MaskedEq { value, .. } => value,
                    };
                }
                let d = SeccompData::new(arch, *nr, args);
                prop_assert_eq!(f.evaluate(&d), f.evaluate_rules(&d).unwrap());
            }
        }
    }

    /// SEC-08, bad input: exactly one warning per (syscall, argument index) whose index is at or
    /// above the syscall's argument count, in rule order, naming both; syscalls with an unknown
    /// count (numbers outside the table, reserved entries) never warn.
    #[test]
    fn sec_08_warnings_name_conditions_past_the_argument_count(
        arch in arb_arch(),
        rules in arb_rules(),
    ) {
        let rules = dedup(rules);
        let f = build(arch, Action::Allow, None, &rules, CodeGen::Tree);
        let mut expected: Vec<(u32, u8)> = Vec::new();
        for (_, nr, conds) in &rules {
            let Some(count) = arch.syscall_arg_count(*nr) else { continue };
            for c in conds {
                if c.arg >= count && !expected.contains(&(*nr, c.arg)) {
                    expected.push((*nr, c.arg));
                }
            }
        }
        prop_assert_eq!(f.warnings().len(), expected.len(), "{:?}", f.warnings());
        for (w, (nr, arg)) in f.warnings().iter().zip(&expected) {
            let name = arch.syscall_name(*nr).unwrap();
            let prefix = format!("{name}: condition on argument {arg}, but {name} takes ");
            prop_assert!(w.starts_with(&prefix), "{} / {}", w, prefix);
            prop_assert!(w.contains(arch.name()), "{}", w);
        }
    }

    /// Scenario 3: a wrong arch always yields the bad-arch action; on x86_64 every
    /// 0x40000000 + nr too.
    #[test]
    fn sec_09_bad_arch_and_x32(
        arch in arb_arch(),
        bad in arb_action(),
        rules in arb_rules(),
        nr in any::<u32>(),
        other_arch in any::<u32>(),
        args in arb_args(),
    ) {
        let rules = dedup(rules);
        let mut b = Filter::builder(arch).default_action(Action::Allow).bad_arch_action(bad);
        for (a, n, c) in &rules {
            b = b.rule(Syscall::Number(*n), *a, c.clone());
        }
        let f = b.build().unwrap();
        prop_assume!(other_arch != arch.audit_arch());
        let d = SeccompData { nr: nr as i32, arch: other_arch, instruction_pointer: 0, args };
        prop_assert_eq!(f.evaluate(&d), bad);
        let d = SeccompData { nr: nr as i32, arch: linx::seccomp::AUDIT_ARCH_I386, instruction_pointer: 0, args };
        prop_assert_eq!(f.evaluate(&d), bad);
        if arch == Arch::X86_64 {
            let x32 = 0x4000_0000u32.wrapping_add(nr % 0x4000_0000).max(0x4000_0000);
            let d = SeccompData::new(arch, x32, args);
            prop_assert_eq!(f.evaluate(&d), bad);
        }
    }

    /// The interpreter never panics on arbitrary programs and data.
    #[test]
    fn sec_15_interpreter_never_panics(
        insns in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()), 0..40),
        nr in any::<i32>(),
        args in arb_args(),
    ) {
        let p: Vec<SockFilter> = insns.into_iter().map(|(code, jt, jf, k)| SockFilter { code, jt, jf, k }).collect();
        let d = SeccompData { nr, arch: 0xc000_003e, instruction_pointer: 7, args };
        let _ = interp::run(&p, &d);
        let checked = interp::check(&p);
        if checked.is_ok() {
            // A program the kernel would accept always runs to a return.
            prop_assert!(interp::run(&p, &d).is_ok());
            prop_assert!(bpf::longest_path(&p).is_some());
        }
        let _ = bpf::disassemble(&p, Some(Arch::X86_64));
        let bytes = bpf::to_bytes(&p);
        if !p.is_empty() {
            prop_assert_eq!(bpf::from_bytes(&bytes).unwrap(), p);
        }
    }
}

fn hex(p: &[SockFilter]) -> Vec<String> {
    p.iter()
        .map(|i| i.to_bytes().iter().map(|b| format!("{b:02x}")).collect())
        .collect()
}

/// Scenario 1: the golden prologue.
#[test]
fn sec_09_scenario_1_golden_prologue() {
    let f = Filter::builder(Arch::X86_64)
        .default_action(Action::Allow)
        .build()
        .unwrap();
    assert_eq!(f.to_bytes().len(), 56);
    assert_eq!(
        hex(f.program()),
        [
            "2000000004000000",
            "150001003e0000c0",
            "0600000000000080",
            "2000000000000000",
            "3500000100000040",
            "0600000000000080",
            "060000000000ff7f"
        ]
    );
    let f = Filter::builder(Arch::Aarch64)
        .default_action(Action::Allow)
        .build()
        .unwrap();
    assert_eq!(
        hex(f.program()),
        [
            "2000000004000000",
            "15000100b70000c0",
            "0600000000000080",
            "2000000000000000",
            "060000000000ff7f"
        ]
    );
}

fn spread_errno_rules(n: u32, distinct: u32) -> Vec<(Action, Syscall, Vec<Condition>)> {
    (0..n)
        .map(|nr| {
            (
                Action::Errno((nr % distinct + 1) as u16),
                Syscall::Number(nr),
                vec![],
            )
        })
        .collect()
}

fn ceil_log2(n: usize) -> usize {
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

/// Scenario 4: 400 syscalls with 300 distinct errno actions: trampolines in use, ≤ 4096
/// instructions, the longest path ≤ 2·⌈log2 n⌉ + 10, and the interpreter property.
#[test]
fn sec_11_scenario_4_scale_with_trampolines() {
    for arch in Arch::ALL {
        let f = Filter::from_rules(arch, Action::Allow, spread_errno_rules(400, 300)).unwrap();
        assert!(f.len() <= 4096, "{}", f.len());
        let ja = f
            .program()
            .iter()
            .filter(|i| i.code == BPF_JMP | BPF_JA)
            .count();
        assert!(ja > 0, "trampolines in use");
        let bound = 2 * ceil_log2(400) + 10;
        assert!(
            f.longest_path() <= bound,
            "{arch}: longest path {} > {bound}",
            f.longest_path()
        );
        for nr in 0..=arch.max_syscall() + 10 {
            let d = SeccompData::new(arch, nr, [0; 6]);
            assert_eq!(f.evaluate(&d), f.evaluate_rules(&d).unwrap(), "nr {nr}");
        }
        eprintln!(
            "{arch}: {f}, {ja} trampolines, longest path {}",
            f.longest_path()
        );
    }
}

/// Scenario 4 with argument conditions on every syscall (long condition blocks far from the
/// tree): still correct, and jumps beyond 255 instructions are handled.
#[test]
fn sec_11_long_jumps_with_condition_blocks() {
    let rules: Vec<_> = (0..300u32)
        .flat_map(|nr| {
            [
                (
                    Action::Errno((nr % 50 + 1) as u16),
                    Syscall::Number(nr),
                    vec![
                        Condition::new(0, Cmp::Gt(u64::from(nr) << 30)),
                        Condition::u32(1, Cmp::Ne(3)),
                    ],
                ),
                (
                    Action::Log,
                    Syscall::Number(nr),
                    vec![Condition::new(
                        2,
                        Cmp::MaskedEq {
                            mask: 0xf0f0,
                            value: 0x1010,
                        },
                    )],
                ),
            ]
        })
        .collect();
    let f = Filter::from_rules(Arch::X86_64, Action::Allow, rules).unwrap();
    assert!(f.len() <= 4096 && f.len() > 1000, "{}", f.len());
    let samples = [
        [0u64; 6],
        [u64::MAX, 4, 0x1010, 0, 0, 0],
        [1 << 40, 3, 0x1f1f, 0, 0, 0],
        [(150 << 30) + 1, 0xdead_0003, 0, 0, 0, 0],
    ];
    for nr in 0..=480 {
        for args in samples {
            let d = SeccompData::new(Arch::X86_64, nr, args);
            assert_eq!(
                f.evaluate(&d),
                f.evaluate_rules(&d).unwrap(),
                "nr {nr} {args:x?}"
            );
        }
    }
}

/// SEC-12: over 4096 instructions is a build error, never handed to the kernel.
#[test]
fn sec_12_scenario_5_too_large_is_a_build_error() {
    let rules: Vec<_> = (0..1500u32)
        .map(|nr| {
            (
                Action::Errno((nr % 4000) as u16 + 1),
                Syscall::Number(nr * 2),
                vec![Condition::new(0, Cmp::Eq(u64::from(nr)))],
            )
        })
        .collect();
    let e = Filter::from_rules(Arch::X86_64, Action::Allow, rules).unwrap_err();
    assert!(e.is_input());
    let msg = e.to_string();
    assert!(msg.starts_with("seccomp: invalid program size \""), "{msg}");
    assert!(
        msg.ends_with("instructions\": limit 4096 (BPF_MAXINSNS)"),
        "{msg}"
    );
    // Raw programs of 4097 instructions are refused too.
    let ret = SockFilter::stmt(0x06, 0x7fff_0000);
    let e = Filter::from_program(Arch::X86_64, vec![ret; 4097]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "seccomp: invalid program size \"4097 instructions\": limit 4096 (BPF_MAXINSNS)"
    );
    assert!(Filter::from_program(Arch::X86_64, vec![ret; 4096]).is_ok());
}

/// SEC-10: the tree's depth grows with log n, the linear chain's with n.
#[test]
fn sec_10_tree_depth_is_logarithmic() {
    let names: Vec<&str> = Arch::X86_64
        .syscalls()
        .map(|(n, _)| n)
        .step_by(2)
        .take(150)
        .collect();
    let allow: Vec<_> = names
        .iter()
        .map(|n| (Action::Allow, Syscall::from(n.to_string()), vec![]))
        .collect();
    let tree = Filter::from_rules(Arch::X86_64, Action::KillProcess, allow.clone()).unwrap();
    let linear = Filter::builder(Arch::X86_64)
        .codegen(CodeGen::Linear)
        .default_action(Action::KillProcess);
    let linear = allow
        .iter()
        .fold(linear, |b, (a, s, c)| b.rule(s.clone(), *a, c.clone()))
        .build()
        .unwrap();
    let worst = |f: &Filter| {
        (0..=480)
            .map(|nr| f.run(&SeccompData::new(Arch::X86_64, nr, [0; 6])).1)
            .max()
            .unwrap()
    };
    let (wt, wl) = (worst(&tree), worst(&linear));
    assert!(wt <= 5 + ceil_log2(302) + 2, "tree worst case {wt}");
    assert!(wl > 150, "linear worst case {wl}");
    assert!(tree.longest_path() >= wt);
    for nr in 0..=480 {
        let d = SeccompData::new(Arch::X86_64, nr, [0; 6]);
        assert_eq!(tree.evaluate(&d), linear.evaluate(&d));
    }
}

/// SEC-10: consecutive numbers with the same action share one range leaf.
#[test]
fn sec_10_ranges_share_leaves() {
    let f = Filter::from_rules(
        Arch::X86_64,
        Action::KillProcess,
        (0..200u32).map(|nr| (Action::Allow, Syscall::Number(nr), vec![])),
    )
    .unwrap();
    // Prologue 7 + a handful of tests for [0,200) ∪ {execve, execveat} (both inside or apart).
    assert!(f.len() < 16, "{}\n{}", f.len(), f.disassemble());
}

/// SEC-13: numbers above the table get the unknown-syscall action.
#[test]
fn sec_13_unknown_syscalls_get_enosys() {
    let f = Filter::builder(Arch::Aarch64)
        .default_action(Action::Errno(1))
        .unknown_syscalls(Action::Errno(38))
        .allow("read")
        .build()
        .unwrap();
    let d = |nr| SeccompData::new(Arch::Aarch64, nr, [0; 6]);
    assert_eq!(f.evaluate(&d(63)), Action::Allow);
    assert_eq!(f.evaluate(&d(300)), Action::Errno(1));
    assert_eq!(f.evaluate(&d(469)), Action::Errno(1));
    assert_eq!(f.evaluate(&d(470)), Action::Errno(38));
    assert_eq!(f.evaluate(&d(u32::MAX)), Action::Errno(38));
}

/// SEC-14: bytes round trip; Display; disassembly names syscalls.
#[test]
fn sec_14_program_access() {
    let f = Filter::allow_list(Arch::X86_64, ["read", "write", "exit_group"]).unwrap();
    let g = Filter::from_bytes(Arch::X86_64, &f.to_bytes()).unwrap();
    assert_eq!(g.program(), f.program());
    assert!(g.rules().is_none());
    assert!(
        g.evaluate_rules(&SeccompData::new(Arch::X86_64, 0, [0; 6]))
            .is_none()
    );
    assert_eq!(
        f.to_string(),
        format!("x86_64 filter: 5 syscalls, {} instructions", f.len())
    );
    let text = f.disassemble();
    assert!(
        text.contains("; exit_group") || text.contains("; read"),
        "{text}"
    );
    assert!(
        Filter::from_bytes(Arch::X86_64, &[])
            .unwrap_err()
            .is_input()
    );
    assert!(
        Filter::from_bytes(Arch::X86_64, &[0; 12])
            .unwrap_err()
            .is_input()
    );
    // A single zero instruction (`ld #0`) has no return: the kernel's checks refuse it.
    let e = Filter::from_bytes(Arch::X86_64, &[0; 8]).unwrap_err();
    assert!(e.to_string().contains("not a return"), "{e}");
}
