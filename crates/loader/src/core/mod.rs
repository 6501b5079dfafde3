//! CO-RE ("compile once, run everywhere"): relocating a program's field
//! offsets, sizes, type ids and enumerator values, recorded by clang in
//! `.BTF.ext` against the program's own BTF, to a target BTF (the running
//! kernel's, a module's, or a BTFHub file). Pure: no system calls.
//!
//! The vocabulary and the algorithm are libbpf's (`relo_core.c` and the
//! CO-RE parts of `libbpf.c` at libbpf
//! [`f7081a6`](https://github.com/libbpf/libbpf/blob/f7081a6baf3f54949aacb8c2fc11bb30783b83e9/src/relo_core.c)),
//! so that the two can be compared line by line:
//!
//! | libbpf | oxbpf |
//! |---|---|
//! | `enum bpf_core_relo_kind` | [`ReloKind`] |
//! | `struct bpf_core_accessor` | [`Accessor`] |
//! | `struct bpf_core_spec`, `bpf_core_format_spec` | [`Spec`] (its `Display`) |
//! | `struct bpf_core_cand`, `bpf_core_add_cands` | [`Candidate`], [`CandidateIndex::find`] |
//! | `bpf_core_essential_name_len` | [`oxbpf_btf::essential_name`] |
//! | `bpf_core_types_are_compat`, `bpf_core_types_match` | [`types_are_compat`], [`types_match`] |
//! | `bpf_core_fields_are_compat` | [`fields_are_compat`] |
//! | `struct bpf_core_relo_res` | [`ReloResult`] |
//! | `bpf_core_calc_relo_insn` | [`calc_relo_insn`] |
//! | `bpf_core_patch_insn`, `bpf_core_poison_insn` | [`patch_insn`], [`POISON_INSN`] |
//! | `bpf_core_resolve_relo`, `bpf_core_find_cands` | [`Relocator::calc`], [`Relocator::candidates`] |
//! | `bpf_object__relocate_core` (one program) | [`Relocator::relocate`] |
//!
//! Computing ([`calc_relo_insn`]) and patching ([`patch_insn`]) are
//! separate steps. A relocation whose field, type or enumerator is missing
//! in the target (no matching candidate) is not an error: existence
//! relocations give 0, the others poison their instruction with a call of
//! the invalid helper [`POISON_IMM`], which the verifier removes if the
//! code is unreachable (guarded by `bpf_core_field_exists()` and the
//! like) and reports otherwise; [`Collection::load`](crate::Collection::load)
//! then names the relocation in its error
//! ([`LoadError::CoreUnresolved`](crate::LoadError::CoreUnresolved)).
//!
//! Candidates are found through a [`CandidateIndex`] of the target by
//! essential name (`task_struct___v2` → `task_struct`): O(candidates) per
//! local type instead of libbpf's scan of every target type. The index
//! also keeps, per target struct or union a relocation looked into, a
//! table of its members by name, so that finding a member costs O(1)
//! instead of a scan of its members; the walk through anonymous members
//! and its results are libbpf's exactly ([`Relocator::scan_members`] does
//! libbpf's scan, and the fuzz target checks that both agree). The loader
//! keeps the index of vmlinux for the life of the process, shared by every
//! object it loads.
//!
//! Differences from libbpf, all on input clang does not produce: an access
//! string component above `i32::MAX` is an error (glibc's `sscanf` would
//! wrap it); chains of more than 32 modifiers, and nested arrays deeper
//! than 32, are errors (libbpf would loop); a bitfield whose type has size
//! 0 is an error (libbpf would divide by zero).
//!
//! # Example
//!
//! See [`Relocator`] for a whole program; step by step:
//!
//! ```
//! use oxbpf_btf::ext::CoreRelo;
//! use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec};
//! use oxbpf_loader::core::{calc_relo_insn, Candidate, ReloKind};
//!
//! let m = |name, ty, bits| MemberSpec { name, ty, bit_offset: bits, bitfield_size: 0 };
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, IntEncoding::Signed);
//! let local_s = b.add_struct("s___local", 8, &[m("a", int, 0), m("b", int, 32)])?;
//! let access = b.add_string("0:1"); // s->b
//! let local = Btf::parse_owned(b.to_bytes()?)?;
//!
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, IntEncoding::Signed);
//! let target_s = b.add_struct("s", 12, &[m("b", int, 64), m("a", int, 0)])?;
//! let target = Btf::parse_owned(b.to_bytes()?)?;
//!
//! let relo = CoreRelo {
//!     insn_off: 0,
//!     type_id: local_s,
//!     access_str_off: access,
//!     kind: ReloKind::FieldByteOffset.raw(),
//! };
//! let mut cands = vec![Candidate { btf: &target, id: target_s, target: "t", ptr_size: 8, index: None }];
//! let out = calc_relo_insn(&local, 8, &relo, &mut cands)?;
//! assert_eq!((out.result.orig_val, out.result.new_val), (4, 8));
//! assert_eq!(out.local_spec.to_string(), "<byte_off> [2] struct s___local.b (0:1 @ offset 4)");
//! assert_eq!(out.target_spec.unwrap().to_string(), "<byte_off> [2] struct s.b (0:0 @ offset 8)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod btfx;
mod cands;
mod compat;
mod error;
mod kind;
mod patch;
mod relo;
mod relocate;
mod spec;

#[cfg(test)]
mod tests;

pub use btfx::{kind_str, pointer_size};
pub use cands::{scan_candidates, Candidate, CandidateIndex};
pub use compat::{fields_are_compat, types_are_compat, types_match, CompatError};
pub use error::{CoreError, PatchError, SpecError};
pub use kind::ReloKind;
pub use patch::{is_poisoned, patch_insn, POISON_IMM, POISON_INSN};
pub use relo::{calc_relo_insn, ReloOutcome, ReloResult};
pub use relocate::{describe, Applied, RelocationError, Relocator, Target};
pub use spec::{Accessor, Spec, SpecVec, SPEC_MAX_LEN};

/// `bpf_core_parse_spec`: resolves relocation `relo`'s access string in
/// `btf` (the program's BTF), whose pointers are `ptr_size` bytes (see
/// [`pointer_size`]).
pub fn parse_spec<'a>(
    btf: &'a oxbpf_btf::Btf<'a>,
    relo: &oxbpf_btf::ext::CoreRelo,
    ptr_size: u32,
) -> Result<Spec<'a>, CoreError> {
    let kind = ReloKind::from_raw(relo.kind).ok_or(CoreError::UnknownKind(relo.kind))?;
    let access = btf.str_at(relo.access_str_off);
    spec::parse_spec(btf, relo.type_id, access, kind, ptr_size).map_err(|reason| {
        let t = btf.type_by_id(relo.type_id);
        let name = t.map_or("", |t| t.name());
        CoreError::Spec {
            type_id: relo.type_id,
            kind: kind_str(t.map_or(0, |t| btfx::kind_of(&t))),
            name: if name.is_empty() {
                "<anon>".into()
            } else {
                name.into()
            },
            access: access.unwrap_or("<?>").into(),
            reason,
        }
    })
}
