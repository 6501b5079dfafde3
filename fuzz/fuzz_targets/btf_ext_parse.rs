//! Fuzzes `BtfExt::parse`: no input may panic, and whatever parses must
//! survive to_bytes → parse unchanged. See `../check.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::check_btf_ext(data);
});
