//! The CO-RE fuzz target's checks (`fuzz/core_gen.rs`) over deterministic
//! pseudo-random inputs, so that `cargo test` runs them without libFuzzer:
//! relocation never panics on random local/target BTF pairs and records,
//! the candidate index agrees with a scan of every type, and member tables
//! agree with libbpf's member-by-member scan.
//!
//! `OXBPF_CORE_FUZZ_ITERS=N` for more inputs (default 20,000; 5,000 in
//! debug builds), `OXBPF_CORE_FUZZ_SEED=S` for another sequence.

#[path = "../fuzz/core_gen.rs"]
mod core_gen;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_relocations_agree_and_never_panic() {
    let default = if cfg!(debug_assertions) {
        5_000
    } else {
        20_000
    };
    let iters = env("OXBPF_CORE_FUZZ_ITERS", default);
    let mut state = env("OXBPF_CORE_FUZZ_SEED", 0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut buf = Vec::new();
    for _ in 0..iters {
        buf.clear();
        let len = 64 + (next() % 512) as usize;
        while buf.len() < len {
            buf.extend_from_slice(&next().to_le_bytes());
        }
        core_gen::check_core(&buf);
    }
}
