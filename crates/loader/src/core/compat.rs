//! Type compatibility relations of relo_core.c: `bpf_core_types_are_compat`
//! (type relocations), `bpf_core_fields_are_compat` (field relocations) and
//! `bpf_core_types_match` (`TYPE_MATCHES`, libbpf 1.x).
//!
//! Each returns libbpf's tri-state as `Result<bool, CompatError>`: `Ok(true)`
//! for 1, `Ok(false)` for 0, `Err` for a negative errno (a missing type, or
//! nesting deeper than libbpf follows).

use oxbpf_btf::{Btf, Type, TypeId};

use super::btfx::{
    essential_len, int_encoding, is_any_enum, is_composite, k, kind_core_compat, kind_of,
    name_bytes, raw_kflag, skip_mods, skip_mods_raw, RawType,
};

/// Why a compatibility check could not decide (libbpf's `-EINVAL`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompatError {
    /// A type id does not exist.
    #[error("type [{0}] does not exist")]
    MissingType(TypeId),
    /// The types nest deeper than libbpf follows (32 levels).
    #[error("types nest too deeply")]
    TooDeep,
}

/// libbpf's recursion limit for the compatibility checks.
const MAX_LEVEL: i32 = 32;

fn skip<'b>(btf: &'b Btf<'_>, id: TypeId) -> Result<(TypeId, Type<'b>), CompatError> {
    skip_mods(btf, id).ok_or(CompatError::MissingType(id))
}

/// Whether names are equal once flavors are stripped; for
/// [`types_match`]: an anonymous target only matches an anonymous local
/// (`bpf_core_names_match`).
fn names_match(local: &Btf<'_>, local_off: u32, targ: &Btf<'_>, targ_off: u32) -> bool {
    let l = name_bytes(local, local_off);
    let t = name_bytes(targ, targ_off);
    if t.is_empty() {
        return l.is_empty();
    }
    let (ll, tl) = (essential_len(l), essential_len(t));
    ll == tl && l.get(..ll) == t.get(..tl)
}

fn name_off(btf: &Btf<'_>, id: TypeId) -> u32 {
    btf.name_offset(id).0
}

/// `bpf_core_types_are_compat`: whether a local type can stand for a
/// target type in a type relocation (`TYPE_EXISTS`, `TYPE_SIZE`,
/// `TYPE_ID_TARGET`). The roots' names are assumed to match already;
/// beyond them names are ignored. Structs, unions, enums and forward
/// declarations are compatible with the same kind; integers with
/// integers (bitfield-like integers excepted); pointers and arrays if
/// their targets are; function prototypes if their arities match and
/// their parameter and return types are compatible.
pub fn types_are_compat(
    local: &Btf<'_>,
    local_id: TypeId,
    targ: &Btf<'_>,
    targ_id: TypeId,
) -> Result<bool, CompatError> {
    types_are_compat_level(local, local_id, targ, targ_id, MAX_LEVEL)
}

fn skip_raw<'b>(btf: &'b Btf<'_>, id: TypeId) -> Result<(TypeId, RawType<'b>), CompatError> {
    skip_mods_raw(btf, id).ok_or(CompatError::MissingType(id))
}

fn types_are_compat_level(
    local: &Btf<'_>,
    mut local_id: TypeId,
    targ: &Btf<'_>,
    mut targ_id: TypeId,
    level: i32,
) -> Result<bool, CompatError> {
    let (Some(lt), Some(tt)) = (RawType::of(local, local_id), RawType::of(targ, targ_id)) else {
        // libbpf dereferences a NULL type here; report it instead.
        return Err(CompatError::MissingType(local_id));
    };
    if !kind_core_compat(lt.kind, tt.kind) {
        return Ok(false);
    }
    let mut depth = 32;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(CompatError::TooDeep);
        }
        let (_, lt) = skip_raw(local, local_id)?;
        let (_, tt) = skip_raw(targ, targ_id)?;
        if !kind_core_compat(lt.kind, tt.kind) {
            return Ok(false);
        }
        match lt.kind {
            k::UNKN | k::STRUCT | k::UNION | k::ENUM | k::FWD | k::ENUM64 => return Ok(true),
            k::INT => return Ok(lt.int_offset() == 0 && tt.int_offset() == 0),
            k::PTR => {
                local_id = lt.ty();
                targ_id = tt.ty();
            }
            k::ARRAY => {
                local_id = lt.array().0;
                targ_id = tt.array().0;
            }
            k::FUNC_PROTO => {
                if lt.vlen() != tt.vlen() {
                    return Ok(false);
                }
                for i in 0..lt.vlen() {
                    if level <= 0 {
                        return Err(CompatError::TooDeep);
                    }
                    let (la, _) = skip_raw(local, lt.param(i))?;
                    let (tb, _) = skip_raw(targ, tt.param(i))?;
                    if !types_are_compat_level(local, la, targ, tb, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id = skip_raw(local, lt.ty())?.0;
                targ_id = skip_raw(targ, tt.ty())?.0;
            }
            _ => return Ok(false),
        }
    }
}

/// `bpf_core_fields_are_compat`: whether a local field's type can be
/// relocated to a target field's. Modifiers and typedefs are skipped; any
/// two structs or unions are compatible, as are any two pointers and any
/// two floats; enums and forward declarations if their names match
/// (ignoring flavors) or either is anonymous; integers of any size and
/// sign (bitfield-like integers excepted); arrays if their elements are.
pub fn fields_are_compat(
    local: &Btf<'_>,
    mut local_id: TypeId,
    targ: &Btf<'_>,
    mut targ_id: TypeId,
) -> Result<bool, CompatError> {
    // libbpf loops without a bound; nested arrays are the only way round.
    for _ in 0..=oxbpf_btf::MAX_RESOLVE_DEPTH {
        let (_, lt) = skip_raw(local, local_id)?;
        let (_, tt) = skip_raw(targ, targ_id)?;
        if is_composite(lt.kind) && is_composite(tt.kind) {
            return Ok(true);
        }
        if !kind_core_compat(lt.kind, tt.kind) {
            return Ok(false);
        }
        match lt.kind {
            k::PTR | k::FLOAT => return Ok(true),
            k::FWD | k::ENUM | k::ENUM64 => {
                let ln = name_bytes(local, lt.name_off());
                let tn = name_bytes(targ, tt.name_off());
                let (ll, tl) = (essential_len(ln), essential_len(tn));
                return Ok(ll == 0 || tl == 0 || (ll == tl && ln.get(..ll) == tn.get(..tl)));
            }
            k::INT => return Ok(lt.int_offset() == 0 && tt.int_offset() == 0),
            k::ARRAY => {
                local_id = lt.array().0;
                targ_id = tt.array().0;
            }
            _ => return Ok(false),
        }
    }
    Err(CompatError::TooDeep)
}

/// `bpf_core_types_match` (libbpf 1.x, `TYPE_MATCHES`): a stricter
/// relation than [`types_are_compat`]. Modifiers and typedefs are skipped
/// and names must match (flavors ignored) at every level; then integers
/// match if size and signedness do; pointers and arrays (of equal length)
/// if their targets do; structs and unions if every local member has a
/// target member of the same name whose type matches (behind a pointer,
/// only names and kinds are compared, and a struct also matches a forward
/// declaration); enums if sizes are equal and every local enumerator has
/// a namesake; function prototypes if arities are equal and parameter and
/// return types match.
pub fn types_match(
    local: &Btf<'_>,
    local_id: TypeId,
    targ: &Btf<'_>,
    targ_id: TypeId,
) -> Result<bool, CompatError> {
    types_match_level(local, local_id, targ, targ_id, false, MAX_LEVEL)
}

fn types_match_level(
    local: &Btf<'_>,
    mut local_id: TypeId,
    targ: &Btf<'_>,
    mut targ_id: TypeId,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool, CompatError> {
    if level <= 0 {
        return Err(CompatError::TooDeep);
    }
    let mut depth = 32;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(CompatError::TooDeep);
        }
        let (lid, lt) = skip(local, local_id)?;
        let (tid, tt) = skip(targ, targ_id)?;
        if !names_match(local, name_off(local, lid), targ, name_off(targ, tid)) {
            return Ok(false);
        }
        let (lk, tk) = (kind_of(&lt), kind_of(&tt));
        match lk {
            k::UNKN => return Ok(lk == tk),
            k::FWD => {
                let local_f = raw_kflag(local, lid);
                let targ_f = raw_kflag(targ, tid);
                if behind_ptr {
                    if lk == tk {
                        return Ok(local_f == targ_f);
                    }
                    return Ok((tk == k::STRUCT && !local_f) || (tk == k::UNION && local_f));
                }
                return Ok(lk == tk && local_f == targ_f);
            }
            k::ENUM | k::ENUM64 => {
                if !is_any_enum(tk) {
                    return Ok(false);
                }
                return Ok(enums_match(&lt, &tt));
            }
            k::STRUCT | k::UNION => {
                if behind_ptr {
                    if lk == tk {
                        return Ok(true);
                    }
                    if tk != k::FWD {
                        return Ok(false);
                    }
                    return Ok((lk == k::UNION) == raw_kflag(targ, tid));
                }
                if lk != tk {
                    return Ok(false);
                }
                return composites_match(local, &lt, targ, &tt, behind_ptr, level);
            }
            k::INT => {
                if lk != tk {
                    return Ok(false);
                }
                let (Type::Int(a), Type::Int(b)) = (lt, tt) else {
                    return Ok(false);
                };
                let ls = int_encoding(&lt) & 1;
                let ts = int_encoding(&tt) & 1;
                return Ok(a.size == b.size && ls == ts);
            }
            k::PTR => {
                if lk != tk {
                    return Ok(false);
                }
                behind_ptr = true;
                local_id = lt.referenced().unwrap_or_default();
                targ_id = tt.referenced().unwrap_or_default();
            }
            k::ARRAY => {
                let (Type::Array(a), Type::Array(b)) = (lt, tt) else {
                    return Ok(false);
                };
                if a.len != b.len {
                    return Ok(false);
                }
                local_id = a.elem;
                targ_id = b.elem;
            }
            k::FUNC_PROTO => {
                let (Type::FuncProto(a), Type::FuncProto(b)) = (lt, tt) else {
                    return Ok(false);
                };
                if a.len() != b.len() {
                    return Ok(false);
                }
                for (pa, pb) in a.params().zip(b.params()) {
                    if !types_match_level(local, pa.ty, targ, pb.ty, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id = a.ret;
                targ_id = b.ret;
            }
            _ => return Ok(false),
        }
    }
}

/// `bpf_core_enums_match`
fn enums_match(lt: &Type<'_>, tt: &Type<'_>) -> bool {
    let (Type::Enum(l) | Type::Enum64(l), Type::Enum(t) | Type::Enum64(t)) = (lt, tt) else {
        return false;
    };
    if l.size != t.size || l.len() > t.len() {
        return false;
    }
    l.values().all(|lv| {
        t.values().any(|tv| {
            let (ln, tn) = (lv.name.as_bytes(), tv.name.as_bytes());
            if tn.is_empty() {
                return ln.is_empty();
            }
            let (ll, tl) = (essential_len(ln), essential_len(tn));
            ll == tl && ln.get(..ll) == tn.get(..tl)
        })
    })
}

/// `bpf_core_composites_match`
fn composites_match(
    local: &Btf<'_>,
    lt: &Type<'_>,
    targ: &Btf<'_>,
    tt: &Type<'_>,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, CompatError> {
    let (Some(l), Some(t)) = (lt.as_composite(), tt.as_composite()) else {
        return Ok(false);
    };
    if l.len() > t.len() {
        return Ok(false);
    }
    for lm in l.members() {
        let mut matched = false;
        for tm in t.members() {
            let (ln, tn) = (lm.name.as_bytes(), tm.name.as_bytes());
            let names = if tn.is_empty() {
                ln.is_empty()
            } else {
                let (ll, tl) = (essential_len(ln), essential_len(tn));
                ll == tl && ln.get(..ll) == tn.get(..tl)
            };
            if !names {
                continue;
            }
            if types_match_level(local, lm.ty, targ, tm.ty, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}
