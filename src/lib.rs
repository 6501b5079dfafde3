//! oxbpf — load and drive eBPF from Rust, from the ELF and BTF bytes up.
//!
//! This facade crate re-exports the member crates:
//! - [`btf`]: BTF and `.BTF.ext` parsing, queries and writing (pure, safe Rust).
//! - [`sys`]: the `bpf(2)` system-call layer (internal API).
//! - [`maps`]: BPF maps.
//! - [`loader`]: ELF objects, programs and links.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use oxbpf_btf as btf;
pub use oxbpf_loader as loader;
pub use oxbpf_maps as maps;
pub use oxbpf_sys as sys;
