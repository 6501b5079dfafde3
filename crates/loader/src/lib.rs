//! `oxbpf-loader` — from a BPF ELF object to programs in the kernel, with
//! libbpf's semantics and cilium/ebpf's names.
//!
//! 1. [`CollectionSpec`] parses an object clang wrote (`-target bpf`, either
//!    byte order) without touching the kernel: programs from every section
//!    name of libbpf's `SEC()` table ([`section`]), with the `.text`
//!    subprograms each one calls appended the way libbpf appends them
//!    (calls, callbacks, func_info and line_info follow); maps from BTF
//!    `.maps` definitions (inner maps and `values` initialisers included)
//!    and legacy `maps`; global data (`.data`, `.rodata`, `.bss` and their
//!    `.*` variants) as array maps with their variables; `.kconfig` and
//!    `.ksyms` externs; struct_ops maps (`.struct_ops`, `.struct_ops.link`);
//!    the BTF with libbpf's open-time fixups. Everything is
//!    plain data, to inspect and edit: program types, `autoload`, map
//!    sizes, `.rodata` variables.
//! 2. [`Collection::load`] loads it: it resolves externs against the
//!    kernel configuration, `/proc/kallsyms` and kernel BTF, sanitises and
//!    loads the BTF (per the [`features`] the kernel has), creates or reuses
//!    pinned maps, patches instructions and loads every program, failing as
//!    a whole with the complete verifier log.
//! 3. [`Program`] runs ([`Program::test_run`]), describes
//!    ([`Program::info`]) and pins loaded programs.
//! 4. [`link`] attaches them: `Program::attach_*` for each kind of hook, or
//!    [`Program::attach`] by section name, each returning a [`Link`] that
//!    detaches on drop unless pinned. What needs the whole object goes
//!    through the collection: [`Collection::attach_usdt`] (USDT probes,
//!    whose argument specs live in the object's maps) and
//!    [`Collection::attach_struct_ops`] (struct_ops maps).
//!
//! ```
//! use oxbpf_loader::{CollectionSpec, RelocationTarget};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/loader/globals.bpf.o");
//! let mut spec = CollectionSpec::from_file(path)?;
//! // `const volatile u32 ro_magic` in .rodata, set before loading.
//! spec.set_variable("ro_magic", &42u32)?;
//! let report = spec.program("report").unwrap();
//! assert!(report.relocations.iter().any(|r| matches!(
//!     &r.target,
//!     RelocationTarget::MapValue { map, .. } if map == "globals.rodata"
//! )));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! CO-RE relocations ([`ProgramSpec::core_relos`]) are applied by
//! [`Collection::load`] against the running kernel's BTF (or
//! [`LoadOptions::core_btf`]); [`core`] is the pure relocation engine,
//! usable on its own.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod btf_edit;
mod co_re;
mod collection;
pub mod core;
mod error;
pub mod features;
mod helpers;
pub mod insn;
mod kconfig;
mod kernel_btf;
pub mod link;
mod object;
mod program;
pub mod section;
mod spec;
mod struct_ops;

pub use co_re::CoreBtf;
pub use collection::{Collection, LoadOptions};
pub use error::{CoreUnresolved, LoadError, ParseError, ProgramError, VerifierLog};
pub use helpers::HELPER_NAMES;
pub use link::{AttachError, Link, LinkKind};
pub use program::{Program, ProgramInfo, TestRun, TestRunResult};
pub use spec::{
    CollectionSpec, DataSection, DataSectionKind, ExternKind, ExternSpec, KconfigType, MapSlot,
    ParseOptions, ProgramSpec, Relocation, RelocationTarget, SlotTarget, StructOpsProgram,
    StructOpsSpec, Subprogram, VariableError, VariableSpec,
};
