//! Fuzzes CO-RE relocation (`oxbpf_loader::core`) on random pairs of local
//! and target BTF with random relocation records: no input may panic, the
//! candidate index must find what libbpf's scan of every type finds, and
//! the member tables must give exactly what libbpf's member-by-member
//! scan gives. See `../core_gen.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../core_gen.rs"]
mod core_gen;

fuzz_target!(|data: &[u8]| {
    core_gen::check_core(data);
});
