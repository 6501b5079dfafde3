//! `oxbpf-maps` — BPF maps: `MapSpec` → `Map`, typed views, batch operations,
//! pinning and the ring/perf buffer readers.
//!
//! This crate is being built; see the project README for its status.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
