//! types.md scenario 8 (TYP-06): invalid literals are compile errors naming the problem.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p linx --test types_ui`.

#[test]
fn typ_06_scenario_8_invalid_literals_fail_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/types_*.rs");
}
