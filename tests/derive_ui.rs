//! Compile-fail tests: one per error `#[derive(BtfStruct)]` can raise, with
//! the exact compiler output in tests/ui/*.stderr.

#[test]
fn derive_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
