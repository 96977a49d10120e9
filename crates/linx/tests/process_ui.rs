//! process.md scenario 8 (PROC-27): verbs in the wrong state do not compile.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p linx --test process_ui`.

#[test]
fn proc_27_typestate_wrong_state_verbs_fail_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/process_*.rs");
}
