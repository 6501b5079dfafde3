//! `oxbpf-btf` — BTF and `.BTF.ext`, parsed, queried and written in safe Rust.
//!
//! [BTF](https://docs.kernel.org/bpf/btf.html) is the type format of the BPF
//! world: the kernel describes itself with it (`/sys/kernel/btf/vmlinux`),
//! clang describes BPF programs with it, and CO-RE relocations are computed
//! from it. This crate is pure: no system calls, no `unsafe`
//! (`#![forbid(unsafe_code)]`), no I/O beyond reading a file. It is what the
//! rest of oxbpf builds on, and is usable on its own by tools that never load
//! a program.
//!
//! - [`Btf`] parses raw BTF of either byte order, with split BTF (kernel
//!   modules) on top of a base, validating every record once so that every
//!   later access is infallible. Kernel-sized BTF (≈126k types) parses in
//!   well under a millisecond.
//! - [`Type`] is an exhaustive enum of borrowed views, one variant per kind.
//! - [`Btf::size_of`], [`Btf::align_of`], [`Btf::resolve`] and
//!   [`essential_name`] follow libbpf's rules.
//! - [`BtfBuilder`] writes BTF, from scratch or from parsed BTF.
//! - [`BtfExt`] parses `.BTF.ext` (func_info, line_info, CO-RE relocations).
//! - [`codegen`] writes C headers (`vmlinux.h`, byte-identical to bpftool's)
//!   and Rust bindings (`#[derive(BtfStruct)]` types) from BTF.
//!
//! ```
//! use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, Kind, MemberSpec, Type};
//!
//! // Build a little BTF, as a compiler would emit it ...
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, IntEncoding::Signed);
//! let task = b.add_struct("task", 8, &[
//!     MemberSpec { name: "pid", ty: int, bit_offset: 0, bitfield_size: 0 },
//!     MemberSpec { name: "tgid", ty: int, bit_offset: 32, bitfield_size: 0 },
//! ])?;
//! let bytes = b.to_bytes()?;
//!
//! // ... and query it.
//! let btf = Btf::parse(&bytes)?;
//! let id = btf.find_by_name_kind("task", Kind::Struct).unwrap();
//! assert_eq!(id, task);
//! let Some(Type::Struct(s)) = btf.type_by_id(id) else { panic!() };
//! let tgid = s.member("tgid").unwrap();
//! assert_eq!(tgid.offset.bytes(), 4);
//! assert_eq!(btf.display(tgid.ty).to_string(), "int");
//! assert_eq!(btf.size_of(id)?, 8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::indexing_slicing)]

mod btf;
mod builder;
pub mod codegen;
mod display;
pub mod dump;
mod error;
pub mod ext;
mod index;
pub mod layout;
mod resolve;
mod types;

#[cfg(test)]
mod tests;

pub use crate::btf::{
    Btf, Endian, FileError, KindLayout, BTF_MAGIC, KERNEL_BTF_PATH, MAX_NAME_OFFSET, MAX_TYPE,
};
pub use builder::{BtfBuilder, MemberSpec, MAX_VLEN};
pub use display::TypeDisplay;
pub use error::{BuildError, Offset, ParseError, TypeError};
pub use ext::BtfExt;
pub use index::INDEX_AFTER_SCANS;
pub use resolve::{essential_name, MAX_RESOLVE_DEPTH, POINTER_SIZE};
pub use types::{
    Array, BitOffset, Composite, Datasec, DeclTag, Enum, EnumValue, EnumValues, Float, Func,
    FuncProto, Fwd, Int, IntEncoding, Kind, Linkage, Member, Members, Param, Params, Ref,
    StrOffset, Type, TypeId, Unknown, Var, VarSecInfo, VarSecInfos,
};
