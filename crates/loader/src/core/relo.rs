//! Computing one relocation: matching the local spec against each
//! candidate (`bpf_core_spec_match`), computing original and new values
//! (`bpf_core_calc_relo`) and reconciling several candidates
//! (`bpf_core_calc_relo_insn`).

use oxbpf_btf::ext::CoreRelo;
use oxbpf_btf::{Btf, Type, TypeId};

use super::btfx::RawMember;
use super::btfx::{
    self, essential_len, is_any_enum, k, kind_of, kind_str, skip_mods, skip_mods_id, skip_mods_raw,
    RawComposite, RawType, Strs,
};
use super::compat::{fields_are_compat, types_are_compat, types_match, CompatError};
use super::error::CoreError;
use super::spec::{is_flex_arr, parse_spec_into, Accessor, Spec, SPEC_MAX_LEN};
use super::{Candidate, CandidateIndex, ReloKind};

/// What a relocation computed (`struct bpf_core_relo_res`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloResult {
    /// The value the instruction holds, as computed from the local BTF
    /// (checked before patching unless `validate` is false).
    pub orig_val: u64,
    /// The value to patch in, from the target BTF.
    pub new_val: u64,
    /// The relocation failed: poison the instruction (see
    /// [`POISON_IMM`](super::POISON_IMM)) instead of failing the load.
    pub poison: bool,
    /// Whether `orig_val` must be what the instruction holds.
    pub validate: bool,
    /// A load or store of this field would have to change size in a way
    /// that changes the value read (a signed integer, or integer and
    /// pointer mixed): such an instruction is poisoned.
    pub fail_memsz_adjust: bool,
    /// The local field's size (for loads and stores), 0 if not a field
    /// offset.
    pub orig_sz: u32,
    /// The local field's type.
    pub orig_type_id: TypeId,
    /// The target field's size.
    pub new_sz: u32,
    /// The target field's type.
    pub new_type_id: TypeId,
}

/// One computed relocation: its result and the specs it came from.
#[derive(Clone, Debug)]
pub struct ReloOutcome<'a> {
    /// The result, ready for [`patch_insn`](super::patch_insn).
    pub result: ReloResult,
    /// The access resolved in the local BTF.
    pub local_spec: Spec<'a>,
    /// The access resolved in the first matching candidate (`None` if no
    /// candidate matched, or for `TYPE_ID_LOCAL`).
    pub target_spec: Option<Spec<'a>>,
    /// That candidate.
    pub candidate: Option<Candidate<'a>>,
}

/// A failure inside candidate matching (a negative return of
/// `bpf_core_spec_match`).
#[derive(Debug)]
enum MatchError {
    Compat(CompatError),
    TooDeep,
    NoSize(TypeId),
}

impl From<CompatError> for MatchError {
    fn from(e: CompatError) -> Self {
        MatchError::Compat(e)
    }
}

impl std::fmt::Display for MatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchError::Compat(e) => e.fmt(f),
            MatchError::TooDeep => write!(f, "struct/union/array nesting is too deep"),
            MatchError::NoSize(id) => write!(f, "type [{id}] has no size"),
        }
    }
}

/// `bpf_core_match_member`: finds the target member named as the local
/// accessor's, searching anonymous members depth first, and extends
/// `spec` with it. `Ok(true)` if found and compatible.
///
/// Mirrors libbpf exactly, including that a same-named but incompatible
/// member inside an anonymous member leaves its raw index and offset in
/// the spec while the search goes on.
#[allow(clippy::too_many_arguments)]
fn match_member<'a>(
    local: &Btf<'_>,
    local_name: &'a str,
    local_member_ty: TypeId,
    targ: &'a Btf<'a>,
    targ_id: TypeId,
    spec: &mut Spec<'a>,
    next_targ_id: &mut TypeId,
    index: Option<&CandidateIndex>,
) -> Result<bool, MatchError> {
    let (targ_id, t) = skip_mods_raw(targ, targ_id)
        .ok_or(MatchError::Compat(CompatError::MissingType(targ_id)))?;
    let Some(c) = RawComposite::from_raw(&t) else {
        return Ok(false);
    };
    let strs = Strs::of(targ);
    let Some(index) = index else {
        // No index: libbpf's scan, member by member.
        for i in 0..c.len() {
            let Some(m) = c.member(i) else { break };
            if spec.raw.len() == SPEC_MAX_LEN {
                return Err(MatchError::TooDeep);
            }
            spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
            spec.raw.push(i as u32);
            if strs.is_empty_at(m.name_off) {
                // An anonymous member: search it. Raw indices bound the
                // depth (SPEC_MAX_LEN), so the recursion is bounded too.
                let found = match_member(
                    local,
                    local_name,
                    local_member_ty,
                    targ,
                    m.ty,
                    spec,
                    next_targ_id,
                    None,
                );
                if !matches!(found, Ok(false)) {
                    return found;
                }
            } else if strs.eq_at(m.name_off, local_name.as_bytes()) {
                return found_member(
                    local,
                    local_member_ty,
                    targ,
                    targ_id,
                    local_name,
                    i,
                    &m,
                    spec,
                    next_targ_id,
                );
            }
            spec.bit_offset = spec.bit_offset.wrapping_sub(m.bit_offset);
            spec.raw.pop();
        }
        return Ok(false);
    };
    // With the member table: the same walk, visiting only the anonymous
    // members before the first namesake, and the namesake. Each member
    // skipped would have pushed and popped its index: all that can show
    // of them is the depth check each one makes.
    let n = c.len();
    let table = index.member_table(targ, targ_id, &c);
    let named = table.find(&strs, &c, local_name.as_bytes());
    if n > 0 && spec.raw.len() == SPEC_MAX_LEN {
        return Err(MatchError::TooDeep);
    }
    for &a in table.anon.iter() {
        let a = a as usize;
        if named.is_some_and(|d| a > d) {
            break;
        }
        let Some(m) = c.member(a) else { break };
        if spec.raw.len() == SPEC_MAX_LEN {
            return Err(MatchError::TooDeep);
        }
        spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
        spec.raw.push(a as u32);
        let found = match_member(
            local,
            local_name,
            local_member_ty,
            targ,
            m.ty,
            spec,
            next_targ_id,
            Some(index),
        );
        if !matches!(found, Ok(false)) {
            return found;
        }
        spec.bit_offset = spec.bit_offset.wrapping_sub(m.bit_offset);
        spec.raw.pop();
        // What the next member would check (a namesake left behind in the
        // anonymous member can have grown the raw spec).
        if spec.raw.len() == SPEC_MAX_LEN && a + 1 < n {
            return Err(MatchError::TooDeep);
        }
    }
    let Some(d) = named else {
        return Ok(false);
    };
    let Some(m) = c.member(d) else {
        return Ok(false);
    };
    if spec.raw.len() == SPEC_MAX_LEN {
        return Err(MatchError::TooDeep);
    }
    spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
    spec.raw.push(d as u32);
    found_member(
        local,
        local_member_ty,
        targ,
        targ_id,
        local_name,
        d,
        &m,
        spec,
        next_targ_id,
    )
}

/// The namesake member `i` (`m`) of `targ_id` was found (its index and
/// offset are in `spec` already): record it (under `name`, the local
/// name, which it equals) and check compatibility.
#[allow(clippy::too_many_arguments)]
fn found_member<'a>(
    local: &Btf<'_>,
    local_member_ty: TypeId,
    targ: &'a Btf<'a>,
    targ_id: TypeId,
    name: &'a str,
    i: usize,
    m: &RawMember,
    spec: &mut Spec<'a>,
    next_targ_id: &mut TypeId,
) -> Result<bool, MatchError> {
    spec.accessors.push(Accessor {
        type_id: targ_id,
        index: i as u32,
        name: Some(name),
    });
    *next_targ_id = m.ty;
    let found = fields_are_compat(local, local_member_ty, targ, m.ty)?;
    if !found {
        spec.accessors.pop();
    }
    Ok(found)
}

/// `bpf_core_spec_match`: matches `local_spec` against candidate
/// `targ_id` of `targ`, building the target spec in `targ_spec`;
/// `Ok(true)` if it matches.
fn spec_match<'a>(
    local_spec: &Spec<'a>,
    targ: &'a Btf<'a>,
    targ_id: TypeId,
    targ_ptr_size: u32,
    index: Option<&CandidateIndex>,
    targ_spec: &mut Spec<'a>,
) -> Result<bool, MatchError> {
    targ_spec.reset(targ, targ_id, local_spec.kind);
    let kind = local_spec.kind;
    if kind.is_type_based() {
        let ok = if kind == ReloKind::TypeMatches {
            types_match(local_spec.btf, local_spec.root_type_id, targ, targ_id)?
        } else {
            types_are_compat(local_spec.btf, local_spec.root_type_id, targ, targ_id)?
        };
        return Ok(ok);
    }
    let Some(local_acc) = local_spec.accessors.first() else {
        return Ok(false);
    };
    if kind.is_enumval_based() {
        let Some((targ_id, t)) = skip_mods(targ, targ_id) else {
            return Ok(false);
        };
        let (Type::Enum(e) | Type::Enum64(e)) = t else {
            return Ok(false);
        };
        let local_name = local_acc.name.unwrap_or("").as_bytes();
        let ll = essential_len(local_name);
        for (i, v) in e.values().enumerate() {
            let tn = v.name.as_bytes();
            if essential_len(tn) != ll {
                continue;
            }
            if local_name.get(..ll) == tn.get(..ll) {
                targ_spec.accessors.push(Accessor {
                    type_id: targ_id,
                    index: i as u32,
                    name: Some(v.name),
                });
                targ_spec.raw.push(i as u32);
                return Ok(true);
            }
        }
        return Ok(false);
    }
    let mut targ_id = targ_id;
    let missing = |id| MatchError::Compat(CompatError::MissingType(id));
    for (i, local_acc) in local_spec.accessors.iter().enumerate() {
        let (tid, t) = skip_mods_raw(targ, targ_id).ok_or(missing(targ_id))?;
        targ_id = tid;
        if let Some(name) = local_acc.name {
            let local_member_ty = RawComposite::new(local_spec.btf, local_acc.type_id)
                .and_then(|c| c.member(local_acc.index as usize))
                .map(|m| m.ty)
                .ok_or(missing(local_acc.type_id))?;
            let mut next = targ_id;
            let matched = match_member(
                local_spec.btf,
                name,
                local_member_ty,
                targ,
                targ_id,
                targ_spec,
                &mut next,
                index,
            )?;
            if !matched {
                return Ok(false);
            }
            targ_id = next;
        } else {
            if i > 0 {
                if t.kind != k::ARRAY {
                    return Ok(false);
                }
                let (elem, len) = t.array();
                let flex = is_flex_arr(targ, targ_spec.accessors.get(i - 1), len);
                if !flex && local_acc.index >= len {
                    return Ok(false);
                }
                targ_id = skip_mods_id(targ, elem).ok_or(missing(elem))?;
            }
            if targ_spec.raw.len() == SPEC_MAX_LEN {
                return Err(MatchError::TooDeep);
            }
            targ_spec.accessors.push(Accessor {
                type_id: targ_id,
                index: local_acc.index,
                name: None,
            });
            targ_spec.raw.push(local_acc.index);
            let sz = btfx::resolve_size(targ, targ_id, targ_ptr_size)
                .map_err(|_| MatchError::NoSize(targ_id))?;
            targ_spec.bit_offset = targ_spec
                .bit_offset
                .wrapping_add((u64::from(local_acc.index) * u64::from(sz) * 8) as u32);
        }
    }
    Ok(true)
}

/// Why a value could not be computed: poison (libbpf's `-EUCLEAN`) or a
/// real error.
#[derive(Debug)]
enum CalcError {
    Poison,
    Fail(CoreError),
}

impl From<CoreError> for CalcError {
    fn from(e: CoreError) -> Self {
        CalcError::Fail(e)
    }
}

fn calc_fail(msg: String) -> CalcError {
    CalcError::Fail(CoreError::Calc(msg))
}

/// A field relocation's value in one spec.
#[derive(Default)]
struct FieldValue {
    val: u64,
    field_sz: u32,
    type_id: TypeId,
    validate: bool,
}

/// The element type under any number of array levels, and its size (for
/// load/store size adjustment).
fn elem_size(btf: &Btf<'_>, id: TypeId, ptr_size: u32) -> Result<u32, CalcError> {
    let missing = || calc_fail(format!("type [{id}] does not exist"));
    let (mut elem, mut t) = skip_mods_raw(btf, id).ok_or_else(missing)?;
    for _ in 0..=oxbpf_btf::MAX_RESOLVE_DEPTH {
        if t.kind != k::ARRAY {
            break;
        }
        (elem, t) = skip_mods_raw(btf, t.array().0).ok_or_else(missing)?;
    }
    btfx::resolve_size(btf, elem, ptr_size)
        .map_err(|_| calc_fail(format!("element type [{elem}] has no size")))
}

/// `bpf_core_calc_field_relo`
fn calc_field_relo(
    kind: ReloKind,
    spec: Option<&Spec<'_>>,
    ptr_size: u32,
    insn_idx: u32,
) -> Result<FieldValue, CalcError> {
    let mut out = FieldValue {
        validate: true,
        ..Default::default()
    };
    if kind == ReloKind::FieldExists {
        out.val = u64::from(spec.is_some());
        return Ok(out);
    }
    let Some(spec) = spec else {
        return Err(CalcError::Poison);
    };
    let btf = spec.btf;
    let Some(acc) = spec.accessors.last() else {
        return Err(calc_fail("empty field spec".into()));
    };
    if acc.name.is_none() {
        match kind {
            ReloKind::FieldByteOffset => {
                out.val = u64::from(spec.bit_offset / 8);
                out.field_sz = elem_size(btf, acc.type_id, ptr_size)?;
                out.type_id = acc.type_id;
            }
            ReloKind::FieldByteSize => {
                out.val = u64::from(
                    btfx::resolve_size(btf, acc.type_id, ptr_size)
                        .map_err(|_| calc_fail(format!("type [{}] has no size", acc.type_id)))?,
                );
            }
            _ => {
                return Err(calc_fail(format!(
                    "relo {} at insn #{insn_idx} can't be applied to array access",
                    kind.raw()
                )))
            }
        }
        out.validate = true;
        return Ok(out);
    }
    let m = RawComposite::new(btf, acc.type_id)
        .and_then(|c| c.member(acc.index as usize))
        .ok_or_else(|| calc_fail(format!("member {} of [{}]", acc.index, acc.type_id)))?;
    let (field_type_id, mt) = skip_mods_raw(btf, m.ty)
        .ok_or_else(|| calc_fail(format!("type [{}] does not exist", m.ty)))?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = m.bitfield_size;
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz);
    if bitfield {
        let mut sz = mt.size();
        if sz == 0 {
            return Err(calc_fail(format!(
                "bitfield type [{field_type_id}] has no size"
            )));
        }
        let mut off = bit_off / 8 / sz * sz;
        while bit_off
            .wrapping_add(bit_sz)
            .wrapping_sub(off.wrapping_mul(8))
            > sz.wrapping_mul(8)
        {
            if sz >= 8 {
                return Err(calc_fail(format!(
                    "relo {} at insn #{insn_idx} can't be satisfied for bitfield",
                    kind.raw()
                )));
            }
            sz *= 2;
            off = bit_off / 8 / sz * sz;
        }
        byte_off = off;
        byte_sz = sz;
    } else {
        byte_sz = match mt.kind {
            // The common case, without looking the type up again: INT,
            // STRUCT, UNION, ENUM, FLOAT, ENUM64 and PTR.
            1 | 4 | 5 | 6 | 16 | 19 => mt.size(),
            k::PTR => ptr_size,
            _ => btfx::resolve_size(btf, field_type_id, ptr_size)
                .map_err(|_| calc_fail(format!("field type [{field_type_id}] has no size")))?,
        };
        byte_off = bit_off / 8;
        bit_sz = byte_sz.wrapping_mul(8);
    }
    out.validate = !bitfield;
    match kind {
        ReloKind::FieldByteOffset => {
            out.val = u64::from(byte_off);
            if !bitfield {
                out.field_sz = if mt.kind == k::ARRAY {
                    elem_size(btf, field_type_id, ptr_size)?
                } else {
                    byte_sz
                };
                out.type_id = field_type_id;
            }
        }
        ReloKind::FieldByteSize => out.val = u64::from(byte_sz),
        ReloKind::FieldSigned => {
            out.val = u64::from(
                (is_any_enum(mt.kind) && mt.kflag())
                    || (mt.kind == k::INT && mt.int_encoding() & 1 != 0),
            );
            out.validate = true;
        }
        ReloKind::FieldLshiftU64 => {
            out.val = u64::from(if cfg!(target_endian = "little") {
                64u32.wrapping_sub(
                    bit_off
                        .wrapping_add(bit_sz)
                        .wrapping_sub(byte_off.wrapping_mul(8)),
                )
            } else {
                8u32.wrapping_sub(byte_sz)
                    .wrapping_mul(8)
                    .wrapping_add(bit_off.wrapping_sub(byte_off.wrapping_mul(8)))
            });
        }
        ReloKind::FieldRshiftU64 => {
            out.val = u64::from(64u32.wrapping_sub(bit_sz));
            out.validate = true;
        }
        _ => return Err(CalcError::Fail(CoreError::UnknownKind(kind.raw()))),
    }
    Ok(out)
}

/// `bpf_core_calc_type_relo`: `(value, validate)`.
fn calc_type_relo(
    kind: ReloKind,
    spec: Option<&Spec<'_>>,
    ptr_size: u32,
) -> Result<(u64, bool), CalcError> {
    let Some(spec) = spec else {
        return Ok((0, true));
    };
    Ok(match kind {
        ReloKind::TypeIdTarget => (u64::from(spec.root_type_id.0), false),
        ReloKind::TypeExists | ReloKind::TypeMatches => (1, true),
        ReloKind::TypeSize => (
            u64::from(
                btfx::resolve_size(spec.btf, spec.root_type_id, ptr_size)
                    .map_err(|_| calc_fail(format!("type [{}] has no size", spec.root_type_id)))?,
            ),
            true,
        ),
        _ => return Err(CalcError::Fail(CoreError::UnknownKind(kind.raw()))),
    })
}

/// `bpf_core_calc_enumval_relo`
fn calc_enumval_relo(kind: ReloKind, spec: Option<&Spec<'_>>) -> Result<u64, CalcError> {
    match kind {
        ReloKind::EnumvalExists => Ok(u64::from(spec.is_some())),
        ReloKind::EnumvalValue => {
            let spec = spec.ok_or(CalcError::Poison)?;
            let acc = spec
                .accessors
                .first()
                .ok_or_else(|| calc_fail("empty enumerator spec".into()))?;
            let value = match spec.btf.type_by_id(acc.type_id) {
                // `struct btf_enum`'s value is an `__s32`, sign-extended
                // whatever the enum's signedness.
                Some(Type::Enum(e)) => e
                    .values()
                    .nth(acc.index as usize)
                    .map(|v| v.value as u32 as i32 as i64 as u64),
                Some(Type::Enum64(e)) => e.values().nth(acc.index as usize).map(|v| v.value),
                _ => None,
            };
            value.ok_or_else(|| calc_fail(format!("enumerator {} of [{}]", acc.index, acc.type_id)))
        }
        _ => Err(CalcError::Fail(CoreError::UnknownKind(kind.raw()))),
    }
}

/// `bpf_core_calc_relo`: the result for one target spec (`None`: no
/// candidate matched).
fn calc_relo(
    kind: ReloKind,
    local_spec: &Spec<'_>,
    local_ptr_size: u32,
    targ: Option<(&Spec<'_>, u32)>,
    insn_idx: u32,
) -> Result<ReloResult, CoreError> {
    let mut res = ReloResult {
        validate: true,
        ..Default::default()
    };
    let targ_spec = targ.map(|t| t.0);
    let targ_ptr = targ.map_or(0, |t| t.1);
    let err: Result<(), CalcError> = (|| {
        if kind.is_field_based() {
            let l = calc_field_relo(kind, Some(local_spec), local_ptr_size, insn_idx)?;
            res.orig_val = l.val;
            res.orig_sz = l.field_sz;
            res.orig_type_id = l.type_id;
            res.validate = l.validate;
            let t = calc_field_relo(kind, targ_spec, targ_ptr, insn_idx)?;
            res.new_val = t.val;
            res.new_sz = t.field_sz;
            res.new_type_id = t.type_id;
            res.fail_memsz_adjust = false;
            if res.orig_sz != res.new_sz {
                let orig_t = RawType::of(local_spec.btf, res.orig_type_id);
                let new_t = targ_spec.and_then(|s| RawType::of(s.btf, res.new_type_id));
                let safe = match (orig_t, new_t) {
                    (Some(a), Some(b)) if a.kind == k::PTR && b.kind == k::PTR => true,
                    (Some(a), Some(b)) if a.kind == k::INT && b.kind == k::INT => {
                        a.int_encoding() != 1 && b.int_encoding() != 1
                    }
                    _ => false,
                };
                res.fail_memsz_adjust = !safe;
            }
        } else if kind.is_type_based() {
            let (v, validate) = calc_type_relo(kind, Some(local_spec), local_ptr_size)?;
            res.orig_val = v;
            res.validate = validate;
            res.new_val = calc_type_relo(kind, targ_spec, targ_ptr)?.0;
        } else {
            res.orig_val = calc_enumval_relo(kind, Some(local_spec))?;
            res.new_val = calc_enumval_relo(kind, targ_spec)?;
        }
        Ok(())
    })();
    match err {
        Ok(()) => Ok(res),
        Err(CalcError::Poison) => {
            res.poison = true;
            Ok(res)
        }
        Err(CalcError::Fail(e)) => Err(e),
    }
}

/// Reusable specs for computing relocations (libbpf's
/// `specs_scratch[3]`): the local spec, the candidate being matched, and
/// the first matching candidate's.
pub(crate) struct Scratch<'a> {
    pub(crate) local: Spec<'a>,
    cand: Spec<'a>,
    pub(crate) targ: Spec<'a>,
    /// The first matching candidate (whose spec is `targ`).
    pub(crate) matched: Option<Candidate<'a>>,
}

impl<'a> Scratch<'a> {
    pub(crate) fn new(btf: &'a Btf<'a>) -> Self {
        let spec = Spec::new(btf, TypeId::VOID, ReloKind::FieldExists);
        Scratch {
            local: spec.clone(),
            cand: spec.clone(),
            targ: spec,
            matched: None,
        }
    }
}

/// `bpf_core_calc_relo_insn`: computes relocation `relo` of the local BTF
/// `local` (whose pointers are `local_ptr_size` bytes) against
/// `candidates`, which it prunes to the matching ones as libbpf does (so
/// that later relocations of the same local type only consider those).
///
/// Several matching candidates must agree on the field's bit offset and
/// on the result; otherwise the relocation is ambiguous, an error. No
/// matching candidate is not an error: existence relocations give 0 and
/// the others poison their instruction.
pub fn calc_relo_insn<'a>(
    local: &'a Btf<'a>,
    local_ptr_size: u32,
    relo: &CoreRelo,
    candidates: &mut Vec<Candidate<'a>>,
) -> Result<ReloOutcome<'a>, CoreError> {
    let mut scratch = Scratch::new(local);
    let result = calc_relo_scratch(local, local_ptr_size, relo, candidates, &mut scratch)?;
    let Scratch {
        local: local_spec,
        targ,
        matched,
        ..
    } = scratch;
    Ok(ReloOutcome {
        result,
        local_spec,
        target_spec: matched.map(|_| targ),
        candidate: matched,
    })
}

/// [`calc_relo_insn`] with the specs in `scratch` (which holds them
/// afterwards: the local spec, and the target's if `matched`).
pub(crate) fn calc_relo_scratch<'a>(
    local: &'a Btf<'a>,
    local_ptr_size: u32,
    relo: &CoreRelo,
    candidates: &mut Vec<Candidate<'a>>,
    scratch: &mut Scratch<'a>,
) -> Result<ReloResult, CoreError> {
    scratch.matched = None;
    let kind = ReloKind::from_raw(relo.kind).ok_or(CoreError::UnknownKind(relo.kind))?;
    let local_id = relo.type_id;
    if local_id != TypeId::VOID && local.raw_record(local_id).is_none() {
        return Err(CoreError::LocalType(local_id));
    }
    let local_name_off = local.name_offset(local_id).0;
    let access = local.str_at(relo.access_str_off);
    let insn_idx = relo.insn_off / 8;
    parse_spec_into(
        &mut scratch.local,
        local,
        local_id,
        access,
        kind,
        local_ptr_size,
    )
    .map_err(|reason| {
        let local_type = local.type_by_id(local_id);
        let local_name = local_type.map_or("", |t| t.name());
        CoreError::Spec {
            type_id: local_id,
            kind: kind_str(local_type.map_or(0, |t| kind_of(&t))),
            name: if local_name.is_empty() {
                "<anon>".into()
            } else {
                local_name.into()
            },
            access: access.unwrap_or("<?>").into(),
            reason,
        }
    })?;
    let Scratch {
        local: local_spec,
        cand: cand_spec,
        targ: targ_spec,
        matched,
    } = scratch;
    if kind == ReloKind::TypeIdLocal {
        let id = u64::from(local_spec.root_type_id.0);
        return Ok(ReloResult {
            orig_val: id,
            new_val: id,
            validate: false,
            ..Default::default()
        });
    }
    if local_name_off == 0 || Strs::of(local).is_empty_at(local_name_off) {
        return Err(CoreError::Anonymous {
            kind: kind.name(),
            type_id: local_id,
        });
    }
    let mut chosen: Option<ReloResult> = None;
    let mut kept = 0;
    for i in 0..candidates.len() {
        let cand = candidates[i];
        let ok = spec_match(
            local_spec,
            cand.btf,
            cand.id,
            cand.ptr_size,
            cand.index,
            cand_spec,
        )
        .map_err(|e| CoreError::Match {
            candidate: cand.id,
            target: cand.target.to_string(),
            reason: e.to_string(),
        })?;
        if !ok {
            continue;
        }
        let cand_res = calc_relo(
            kind,
            local_spec,
            local_ptr_size,
            Some((cand_spec, cand.ptr_size)),
            insn_idx,
        )?;
        match &chosen {
            None => {
                chosen = Some(cand_res);
                std::mem::swap(cand_spec, targ_spec);
                *matched = Some(cand);
            }
            Some(res) => {
                if cand_spec.bit_offset != targ_spec.bit_offset {
                    return Err(CoreError::OffsetAmbiguity {
                        a: cand_spec.bit_offset,
                        b: targ_spec.bit_offset,
                    });
                }
                if cand_res.poison != res.poison || cand_res.new_val != res.new_val {
                    return Err(CoreError::DecisionAmbiguity {
                        a: cand_res.new_val,
                        a_poison: cand_res.poison,
                        b: res.new_val,
                        b_poison: res.poison,
                    });
                }
            }
        }
        candidates[kept] = cand;
        kept += 1;
    }
    if kept > 0 {
        candidates.truncate(kept);
    }
    match chosen {
        Some(result) => Ok(result),
        None => calc_relo(kind, local_spec, local_ptr_size, None, insn_idx),
    }
}
