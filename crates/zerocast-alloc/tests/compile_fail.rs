//! Misuse the types must reject.
#![cfg(not(miri))]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
