//! Source code from BTF: a C header (`vmlinux.h`) and Rust bindings.
//!
//! - [`c`] writes what `bpftool btf dump file FILE format c` writes, byte
//!   for byte (bpftool v7.1 with the libbpf of Linux 6.1.y): every type as
//!   a compilable C declaration, in an order C accepts, with forward
//!   declarations, inline anonymous types, bitfields, explicit padding,
//!   `__attribute__((packed))`, and bpftool's `vmlinux.h` wrapper with the
//!   `preserve_access_index` pragma. The BPF programs of this repository
//!   can be compiled against it instead of a bpftool-made header.
//! - [`rust`] writes `#[repr(C)]` Rust definitions with
//!   `#[derive(BtfStruct)]` for chosen types and every type they contain,
//!   with explicit padding, bitfield accessors and deterministic names for
//!   anonymous types, so that the generated types can be validated against
//!   the BTF they came from with [`layout::validate`](crate::layout::validate).
//!
//! Both are pure functions of the BTF: no I/O beyond the writer they are
//! given.

pub mod c;
pub mod rust;

use crate::TypeId;

/// An error generating code from BTF.
///
/// Well-formed BTF (the kernel's, clang's) never produces one; each variant
/// names the type at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// A type cycle that no forward declaration can break: C cannot declare
    /// it (libbpf's "unsatisfiable type cycle").
    #[error("type [{0}] is part of a type cycle that C cannot declare")]
    TypeCycle(TypeId),
    /// A chain of references (modifiers, pointers, arrays, nested types)
    /// deeper than [`MAX_DEPTH`]: a reference loop, or hostile BTF.
    #[error("type [{0}]: reference chain deeper than {MAX_DEPTH} (a loop?)")]
    TooDeep(TypeId),
    /// A type of a kind that code generation does not know.
    #[error("type [{id}] has kind {kind}, which code generation does not support")]
    UnsupportedKind {
        /// The type.
        id: TypeId,
        /// Its raw kind number.
        kind: u8,
    },
    /// No type has this id.
    #[error("no type with id {0}")]
    NoSuchType(TypeId),
    /// No struct, union, enum or typedef has this name.
    #[error("no struct, union, enum or typedef named `{0}`")]
    NotFound(String),
    /// A type whose layout Rust cannot express (see the message).
    #[error("type [{id}] `{name}`: {reason}")]
    Unrepresentable {
        /// The type.
        id: TypeId,
        /// Its C name (`struct foo`, or the anonymous type's generated
        /// name).
        name: String,
        /// What cannot be expressed.
        reason: String,
    },
    /// Writing the output failed.
    #[error("writing the generated code")]
    Io(#[from] std::io::Error),
}

/// How deep code generation follows references and nested types before
/// giving up with [`CodegenError::TooDeep`]. Kernel BTF needs a few dozen
/// levels at most.
pub const MAX_DEPTH: usize = 512;
