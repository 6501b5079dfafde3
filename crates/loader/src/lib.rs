//! `oxbpf-loader` — ELF objects to loaded programs: `CollectionSpec`,
//! instructions, CO-RE, programs and links.
//!
//! Being built. Available so far: [`insn`], BPF instructions with a builder
//! and a disassembler in the kernel's syntax.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod helpers;
pub mod insn;
pub mod section;

pub use helpers::HELPER_NAMES;
