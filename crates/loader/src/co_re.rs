//! CO-RE relocations: the hook in [`Collection::load`](crate::Collection::load)
//! where they will be applied.
//!
//! Each [`ProgramSpec`] carries the `.BTF.ext` CO-RE records of its own
//! code and of every subprogram appended to it, with `insn_off` already
//! adjusted to the appended position (so a subprogram used by two programs
//! has its records in both, at different offsets). Applying them —
//! candidate search in the kernel's BTF, `bpf_core_calc_relo_insn` and
//! `bpf_core_patch_insn` — is not implemented yet; programs without CO-RE
//! relocations load normally, and loading one with relocations fails with
//! [`LoadError::CoreNotImplemented`].

use oxbpf_btf::Btf;

use crate::error::LoadError;
use crate::insn::Insn;
use crate::spec::ProgramSpec;

/// Applies `prog`'s CO-RE relocations to `insns` (a copy of its
/// instructions), against the object's BTF `local` and the kernel's BTF.
///
/// This is the step of libbpf's `bpf_object__relocate_core`.
pub(crate) fn apply_core_relocations(
    prog: &ProgramSpec,
    _insns: &mut [Insn],
    _local: Option<&Btf<'_>>,
) -> Result<(), LoadError> {
    if prog.core_relos.is_empty() {
        return Ok(());
    }
    Err(LoadError::CoreNotImplemented {
        program: prog.name.clone(),
        count: prog.core_relos.len(),
    })
}
