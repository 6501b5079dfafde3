//! `oxbpf-derive` — `#[derive(BtfStruct)]`.
//!
//! This crate is being built; see the project README for its status.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
