//! Fuzzes `Btf::parse` and `Btf::parse_split`: no input may panic, and
//! whatever parses must survive write → parse with identical types, and
//! every query on it must return without panicking. See `../check.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::check_btf(data);
});
