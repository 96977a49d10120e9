//! Differential check against libseccomp (optional oracle, spec scenario 11): for random rule
//! sets, libseccomp's exported program and linx's give the same action for every syscall number
//! and sampled arguments, both run in linx's interpreter. Disassemblies are stored under
//! `target/seccomp-diff/`.

#[path = "seccomp_support/libseccomp.rs"]
mod libseccomp;

use linx::seccomp::interp::{self, SeccompData};
use linx::seccomp::{Action, Arch, Cmp, Condition, Filter, Syscall};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn lib() -> Option<libseccomp::Lib> {
    let l = libseccomp::Lib::load();
    if l.is_none() {
        linx_testkit::skip("libseccomp.so.2 (Debian package libseccomp2) is not installed");
    }
    l
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Allow),
        Just(Action::KillProcess),
        Just(Action::Log),
        (1u16..200).prop_map(Action::Errno),
        (0u16..5).prop_map(Action::Trace),
    ]
}

fn arb_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(0xffff_ffff),
        Just(1 << 32),
        Just(u64::MAX),
        0u64..8,
        any::<u64>()
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
    ]
}

/// One rule per syscall (libseccomp merges rules of one syscall differently from linx's
/// first-match order), conditions on distinct arguments.
fn arb_rules() -> impl Strategy<Value = Vec<(u32, Action, Vec<Condition>)>> {
    let arch = Arch::native().unwrap();
    let nrs: Vec<u32> = arch.syscalls().map(|(_, nr)| nr).collect();
    proptest::collection::btree_map(
        proptest::sample::select(nrs),
        (
            arb_action(),
            proptest::collection::btree_map(0u8..6, arb_cmp(), 0..3),
        ),
        0..40,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(nr, (a, conds))| {
                (
                    nr,
                    a,
                    conds
                        .into_iter()
                        .map(|(arg, cmp)| Condition::new(arg, cmp))
                        .collect(),
                )
            })
            .collect()
    })
}

#[test]
fn sec_diff_scenario_11_same_verdicts_as_libseccomp() {
    let Some(lib) = lib() else { return };
    let arch = Arch::native().unwrap();
    let out_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("seccomp-diff");
    let _ = std::fs::create_dir_all(&out_dir);
    let mut runner = TestRunner::new(Config::with_cases(48));
    let stored = std::cell::Cell::new(false);
    runner
        .run(
            &(
                prop_oneof![
                    Just(Action::Allow),
                    Just(Action::Errno(1)),
                    Just(Action::KillProcess)
                ],
                arb_rules(),
                proptest::collection::vec(proptest::array::uniform6(arb_value()), 4),
            ),
            |(default, rules, samples)| {
                let ours = Filter::builder(arch)
                    .default_action(default)
                    .allow_exec(false);
                let ours = rules
                    .iter()
                    .fold(ours, |b, (nr, a, c)| {
                        b.rule(Syscall::Number(*nr), *a, c.clone())
                    })
                    .build()
                    .unwrap();
                let theirs = lib
                    .compile(default, &rules, true)
                    .map_err(TestCaseError::fail)?;
                if !stored.get() {
                    let _ = std::fs::write(out_dir.join("linx.txt"), ours.disassemble());
                    let _ = std::fs::write(
                        out_dir.join("libseccomp.txt"),
                        linx::seccomp::bpf::disassemble(&theirs, Some(arch)),
                    );
                    stored.set(true);
                }
                for nr in 0..=arch.max_syscall() + 10 {
                    for args in &samples {
                        let d = SeccompData::new(arch, nr, *args);
                        let t = Action::from_ret(interp::run(&theirs, &d).unwrap().ret);
                        prop_assert_eq!(ours.evaluate(&d), t, "nr {} args {:x?}", nr, args);
                    }
                    // The rule's own constants, where the comparisons flip.
                    if let Some((_, _, conds)) = rules.iter().find(|r| r.0 == nr) {
                        let mut args = [0u64; 6];
                        for c in conds {
                            args[usize::from(c.arg)] = match c.cmp {
                                Cmp::Eq(v)
                                | Cmp::Ne(v)
                                | Cmp::Lt(v)
                                | Cmp::Le(v)
                                | Cmp::Gt(v)
                                | Cmp::Ge(v) => v,
                                Cmp::MaskedEq { value, .. } => value,
                            };
                        }
                        let d = SeccompData::new(arch, nr, args);
                        let t = Action::from_ret(interp::run(&theirs, &d).unwrap().ret);
                        prop_assert_eq!(ours.evaluate(&d), t, "nr {} args {:x?}", nr, args);
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}
