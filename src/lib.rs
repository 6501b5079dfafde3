//! oxbpf — load and drive eBPF from Rust, from the ELF and BTF bytes up.
//!
//! No libbpf underneath and no C toolchain needed: oxbpf parses BPF ELF
//! objects and BTF itself and talks to the kernel through `bpf(2)`.
//!
//! This facade re-exports the member crates:
//! - [`btf`]: BTF and `.BTF.ext` parsing, queries, writing and layout
//!   validation (pure, safe Rust).
//! - [`sys`]: the `bpf(2)` system-call layer (internal API, not semver).
//! - [`maps`]: BPF maps.
//! - [`loader`]: ELF objects, instructions, programs and links.
//! - [`BtfStruct`]: the derive that ties Rust types to BTF.
//!
//! # Rust types checked against BTF
//!
//! A `#[derive(BtfStruct)]` type is `#[repr(C)]` data whose layout oxbpf
//! knows field by field. If the compiler would insert padding, the derive
//! refuses to compile and names the hole (`implicit padding in `Event`
//! between fields `kind` and `pid`: bytes 1..4`); otherwise the type is
//! [`sys::Pod`] and can be a map key or value.
//!
//! At run time, [`btf::layout::validate`] compares the type with the BTF the
//! other side was compiled with — an object's, a map's, or the kernel's —
//! and reports every difference at once:
//!
//! ```
//! use oxbpf::btf::layout::validate_named;
//! use oxbpf::btf::{Btf, BtfBuilder, IntEncoding, MemberSpec};
//! use oxbpf::BtfStruct;
//!
//! // What the BPF program was compiled with:
//! //   struct event { int pid; unsigned int uid; char comm[16]; };
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, IntEncoding::Signed);
//! let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
//! let ch = b.add_int("char", 1, IntEncoding::Signed);
//! let comm = b.add_array(ch, int, 16);
//! let m = |name, ty, bit_offset| MemberSpec { name, ty, bit_offset, bitfield_size: 0 };
//! b.add_struct("event", 24, &[m("pid", int, 0), m("uid", uint, 32), m("comm", comm, 64)])?;
//! let btf = Btf::parse_owned(b.to_bytes()?)?;
//!
//! // The Rust side, right ...
//! #[derive(BtfStruct, Clone, Copy)]
//! #[repr(C)]
//! #[btf(name = "event")]
//! struct Event {
//!     pid: i32,
//!     uid: u32,
//!     comm: [u8; 16],
//! }
//! validate_named::<Event>(&btf)?;
//!
//! // ... and wrong: a field added on one side only, a sign flipped.
//! #[derive(BtfStruct, Clone, Copy)]
//! #[repr(C)]
//! #[btf(name = "event")]
//! struct Stale {
//!     pid: u32,
//!     comm: [u8; 16],
//! }
//! let report = validate_named::<Stale>(&btf).unwrap_err().to_string();
//! assert_eq!(report, "\
//! `Stale` does not match BTF struct event [5]:
//!   field  | Rust         | BTF              | problem
//!   -------+--------------+------------------+-------------------
//!   [size] | 20           | 24               | size differs
//!   pid    | u32 @ 0      | int @ 0          | signedness differs
//!   comm   | [u8; 16] @ 4 | char[16] @ 8     | offset differs
//!   uid    | -            | unsigned int @ 4 | missing in Rust
//! ");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Kernel structs can be viewed partially with `#[btf(subset)]` (named
//! fields at their exact offsets, explicit `#[btf(pad)]` padding between),
//! kernel pointers are `u64` fields marked `#[btf(ptr = "task_struct")]`,
//! C bitfields are mirrored by an integer marked
//! `#[btf(bitfields = "ihl, version")]`, and an anonymous union or struct
//! member by a field of a derived union or struct marked `#[btf(anon)]`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use oxbpf_btf as btf;
pub use oxbpf_derive::BtfStruct;
pub use oxbpf_loader as loader;
pub use oxbpf_maps as maps;
pub use oxbpf_sys as sys;
