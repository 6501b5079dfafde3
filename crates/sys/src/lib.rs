//! `oxbpf-sys` — the system-call layer of oxbpf.
//!
//! This is the one crate of the workspace where `unsafe` is normal: every
//! `unsafe` block carries a `// SAFETY:` comment naming the invariant it
//! relies on. Everything above it (`oxbpf-btf`, `oxbpf-maps`,
//! `oxbpf-loader`) is safe Rust.
//!
//! The API of this crate is internal to oxbpf and not covered by semver.
#![deny(missing_docs)]

pub mod alloc_count;
pub mod mmap;
