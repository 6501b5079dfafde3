//! `oxbpf-loader` — ELF objects to loaded programs: `CollectionSpec`,
//! instructions, CO-RE, programs and links.
//!
//! This crate is being built; see the project README for its status.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
