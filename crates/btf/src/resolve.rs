//! Sizes, alignments, modifier resolution and libbpf's naming rules.

use crate::error::TypeError;
use crate::{Btf, Kind, Type, TypeId};

/// How many references `resolve`, `size_of` and `align_of` follow before
/// giving up (libbpf's `MAX_RESOLVE_DEPTH`, btf.c at libbpf v1.1).
pub const MAX_RESOLVE_DEPTH: usize = 32;

/// How many types one [`Btf::align_of`] call visits at most.
const MAX_ALIGN_VISITS: usize = 1 << 17;

/// `TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`, `TYPE_TAG` by kind number.
#[inline]
fn is_modifier_kind(kind: u8) -> bool {
    matches!(kind, 8..=11 | 18)
}

/// Size of a pointer in the BPF target (and on every 64-bit kernel).
pub const POINTER_SIZE: u32 = 8;

/// The name without a libbpf "flavor" suffix, as
/// `bpf_core_essential_name_len` computes it in libbpf's relo_core.c: the
/// name is cut at the last `X___Y` where `X` and `Y` are not underscores
/// (`task_struct___v2` → `task_struct`).
///
/// ```
/// use oxbpf_btf::essential_name;
/// assert_eq!(essential_name("task_struct___v2"), "task_struct");
/// assert_eq!(essential_name("a___b___c"), "a___b");
/// assert_eq!(essential_name("a____b"), "a____b"); // `_` after the separator
/// assert_eq!(essential_name("plain"), "plain");
/// ```
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    let is_sep = |i: usize| match b.get(i..i + 5) {
        Some(&[x, b'_', b'_', b'_', y]) => x != b'_' && y != b'_',
        _ => false,
    };
    (0..b.len().saturating_sub(4))
        .rev()
        .find(|&i| is_sep(i))
        .and_then(|i| name.get(..=i))
        .unwrap_or(name)
}

impl Btf<'_> {
    /// Follows `TYPEDEF`, `CONST`, `VOLATILE`, `RESTRICT` and `TYPE_TAG` to
    /// the first type that is none of them.
    pub fn resolve(&self, id: TypeId) -> Result<TypeId, TypeError> {
        let mut cur = id;
        for _ in 0..MAX_RESOLVE_DEPTH {
            if cur == TypeId::VOID {
                return Ok(cur);
            }
            // Raw header words: no name is decoded on the way.
            let (kind, st, _) = self.raw_head(cur).ok_or(TypeError::NotFound(cur))?;
            if !is_modifier_kind(kind) {
                return Ok(cur);
            }
            cur = TypeId(st);
        }
        Err(TypeError::TooDeep(id))
    }

    /// `(kind, size-or-type word, record)` of type `id`, read from its raw
    /// record without decoding it.
    #[inline]
    fn raw_head(&self, id: TypeId) -> Option<(u8, u32, &[u8])> {
        let rec = self.raw_record(id)?;
        let info = crate::btf::rd(rec, 4);
        Some((((info >> 24) & 0x7f) as u8, crate::btf::rd(rec, 8), rec))
    }

    /// Like [`resolve`](Self::resolve), returning the decoded type.
    pub fn resolve_type(&self, id: TypeId) -> Result<(TypeId, Type<'_>), TypeError> {
        let r = self.resolve(id)?;
        Ok((r, self.type_by_id(r).ok_or(TypeError::NotFound(r))?))
    }

    /// The size in bytes of a value of type `id` (libbpf's
    /// `btf__resolve_size`): modifiers and variables are followed, arrays
    /// multiply; `void`, functions and forward declarations have no size.
    pub fn size_of(&self, id: TypeId) -> Result<u32, TypeError> {
        let mut cur = id;
        let mut mult: u32 = 1;
        for _ in 0..MAX_RESOLVE_DEPTH {
            // Raw header words (kind numbers as in `Kind`): no name is
            // decoded on the way.
            let head = if cur == TypeId::VOID {
                None
            } else {
                self.raw_head(cur)
            };
            let size = match head {
                // INT, STRUCT, UNION, ENUM, DATASEC, FLOAT, ENUM64
                Some((1 | 4 | 5 | 6 | 15 | 16 | 19, size, _)) => size,
                // PTR
                Some((2, _, _)) => POINTER_SIZE,
                // modifiers and VAR
                Some((8..=11 | 18 | 14, target, _)) => {
                    cur = TypeId(target);
                    continue;
                }
                // ARRAY: elem at +12, nelems at +20
                Some((3, _, rec)) => {
                    let len = crate::btf::rd(rec, 20);
                    mult = mult.checked_mul(len).ok_or(TypeError::Overflow(id))?;
                    cur = TypeId(crate::btf::rd(rec, 12));
                    continue;
                }
                // void, FWD, FUNC, FUNC_PROTO, DECL_TAG, unknown kinds, or
                // no such type
                _ => {
                    let t = self.type_by_id(cur).ok_or(TypeError::NotFound(cur))?;
                    return Err(TypeError::NoSize {
                        id: cur,
                        kind: t.kind(),
                    });
                }
            };
            return size.checked_mul(mult).ok_or(TypeError::Overflow(id));
        }
        Err(TypeError::TooDeep(id))
    }

    /// The alignment in bytes of type `id`, computed as libbpf's
    /// `btf__align_of`: scalars align to their size (at most a pointer's),
    /// arrays to their element, structs and unions to their most aligned
    /// member — or 1 if the layout shows they are packed.
    ///
    /// Gives up with [`TypeError::TooDeep`] after following
    /// [`MAX_RESOLVE_DEPTH`] references in a row, or 131,072 in all (a
    /// struct containing itself twice would otherwise take 2^32 steps; the
    /// most any 6.x vmlinux type needs is about 5,000).
    pub fn align_of(&self, id: TypeId) -> Result<u32, TypeError> {
        let mut budget = MAX_ALIGN_VISITS;
        self.align_of_depth(id, 0, &mut budget)
    }

    fn align_of_depth(
        &self,
        id: TypeId,
        depth: usize,
        budget: &mut usize,
    ) -> Result<u32, TypeError> {
        if depth > MAX_RESOLVE_DEPTH || *budget == 0 {
            return Err(TypeError::TooDeep(id));
        }
        *budget -= 1;
        let t = self.type_by_id(id).ok_or(TypeError::NotFound(id))?;
        Ok(match t {
            Type::Int(i) => i.size.min(POINTER_SIZE),
            Type::Enum(e) | Type::Enum64(e) => e.size.min(POINTER_SIZE),
            Type::Float(f) => f.size.min(POINTER_SIZE),
            Type::Ptr(_) => POINTER_SIZE,
            Type::Typedef(r)
            | Type::Volatile(r)
            | Type::Const(r)
            | Type::Restrict(r)
            | Type::TypeTag(r) => self.align_of_depth(r.target, depth + 1, budget)?,
            Type::Var(v) => self.align_of_depth(v.ty, depth + 1, budget)?,
            Type::Array(a) => self.align_of_depth(a.elem, depth + 1, budget)?,
            Type::Struct(c) | Type::Union(c) => {
                let mut max_align = 1u32;
                for m in c.members() {
                    let align = self.align_of_depth(m.ty, depth + 1, budget)?;
                    // A member at an offset its type's alignment does not
                    // allow means the struct is packed.
                    if m.bitfield_size.is_none() && m.offset.0 % (align * 8) != 0 {
                        return Ok(1);
                    }
                    max_align = max_align.max(align);
                }
                if c.size % max_align != 0 {
                    return Ok(1);
                }
                max_align
            }
            t @ (Type::Void
            | Type::Fwd(_)
            | Type::Func(_)
            | Type::FuncProto(_)
            | Type::Datasec(_)
            | Type::DeclTag(_)
            | Type::Unknown(_)) => return Err(TypeError::NoSize { id, kind: t.kind() }),
        })
    }

    /// Whether type `id` (after resolving modifiers) is of kind `kind`.
    pub fn is_kind(&self, id: TypeId, kind: Kind) -> bool {
        self.resolve(id)
            .ok()
            .and_then(|r| self.kind(r))
            .is_some_and(|k| k == kind)
    }
}
