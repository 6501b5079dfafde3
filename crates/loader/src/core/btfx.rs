//! The few BTF operations relo_core.c uses, with libbpf's exact semantics
//! (which differ from [`oxbpf_btf`]'s general-purpose ones in small ways:
//! pointer size, `DECL_TAG` in sizes, unknown kinds), and raw fast paths
//! for the hot loops (member and candidate name comparisons without UTF-8
//! decoding).

use oxbpf_btf::{Btf, Kind, Type, TypeId, MAX_RESOLVE_DEPTH};

/// `BTF_KIND_*` numbers used in matches on raw kinds.
pub(crate) mod k {
    pub(crate) const UNKN: u8 = 0;
    pub(crate) const INT: u8 = 1;
    pub(crate) const PTR: u8 = 2;
    pub(crate) const ARRAY: u8 = 3;
    pub(crate) const STRUCT: u8 = 4;
    pub(crate) const UNION: u8 = 5;
    pub(crate) const ENUM: u8 = 6;
    pub(crate) const FWD: u8 = 7;
    pub(crate) const FUNC_PROTO: u8 = 13;
    pub(crate) const FLOAT: u8 = 16;
    pub(crate) const ENUM64: u8 = 19;
}

/// A type's raw record, read without decoding (no name lookup, no UTF-8
/// check): what the hot paths of relocation need.
#[derive(Copy, Clone, Debug)]
pub(crate) struct RawType<'b> {
    /// The raw kind (`btf_kind`), 0 for `void`.
    pub(crate) kind: u8,
    rec: &'b [u8],
}

impl<'b> RawType<'b> {
    /// Type `id` of `btf` (`void` for 0), `None` if it does not exist.
    #[inline]
    pub(crate) fn of(btf: &'b Btf<'_>, id: TypeId) -> Option<Self> {
        if id == TypeId::VOID {
            return Some(RawType { kind: 0, rec: &[] });
        }
        let rec = btf.raw_record(id)?;
        Some(RawType {
            kind: ((word(rec, 1) >> 24) & 0x7f) as u8,
            rec,
        })
    }

    /// `name_off`
    #[inline]
    pub(crate) fn name_off(&self) -> u32 {
        word(self.rec, 0)
    }

    /// `btf_vlen`
    #[inline]
    pub(crate) fn vlen(&self) -> u32 {
        word(self.rec, 1) & 0xffff
    }

    /// `BTF_INFO_KFLAG`
    #[inline]
    pub(crate) fn kflag(&self) -> bool {
        word(self.rec, 1) >> 31 != 0
    }

    /// `size` (of ints, composites, enums, floats, datasecs).
    #[inline]
    pub(crate) fn size(&self) -> u32 {
        word(self.rec, 2)
    }

    /// `type` (of pointers, modifiers, typedefs, vars, decl tags; a
    /// function prototype's return type).
    #[inline]
    pub(crate) fn ty(&self) -> TypeId {
        TypeId(word(self.rec, 2))
    }

    /// `btf_int_encoding`
    #[inline]
    pub(crate) fn int_encoding(&self) -> u32 {
        (word(self.rec, 3) >> 24) & 0x0f
    }

    /// `btf_int_offset`
    #[inline]
    pub(crate) fn int_offset(&self) -> u32 {
        (word(self.rec, 3) >> 16) & 0xff
    }

    /// An array's element type and length.
    #[inline]
    pub(crate) fn array(&self) -> (TypeId, u32) {
        (TypeId(word(self.rec, 3)), word(self.rec, 5))
    }

    /// A function prototype's parameter `i` type.
    #[inline]
    pub(crate) fn param(&self, i: u32) -> TypeId {
        TypeId(word(self.rec, 3 + 2 * i as usize + 1))
    }
}

/// The raw kind of a decoded type (`btf_kind`): 0 for `void`, the raw
/// number for kinds this crate does not know.
#[inline]
pub(crate) fn kind_of(t: &Type<'_>) -> u8 {
    match t {
        Type::Void => 0,
        t => t.raw_kind(),
    }
}

/// `btf_is_any_enum`
#[inline]
pub(crate) fn is_any_enum(kind: u8) -> bool {
    kind == k::ENUM || kind == k::ENUM64
}

/// `btf_is_composite`
#[inline]
pub(crate) fn is_composite(kind: u8) -> bool {
    kind == k::STRUCT || kind == k::UNION
}

/// libbpf's `btf_kind_core_compat`: same kind, or both enums.
#[inline]
pub(crate) fn kind_core_compat(a: u8, b: u8) -> bool {
    a == b || (is_any_enum(a) && is_any_enum(b))
}

/// libbpf's `btf_kind_str` (lowercase kind names; `void` for 0).
pub fn kind_str(kind: u8) -> &'static str {
    match Kind::from_raw(kind) {
        _ if kind == 0 => "void",
        Some(Kind::Int) => "int",
        Some(Kind::Ptr) => "ptr",
        Some(Kind::Array) => "array",
        Some(Kind::Struct) => "struct",
        Some(Kind::Union) => "union",
        Some(Kind::Enum) => "enum",
        Some(Kind::Fwd) => "fwd",
        Some(Kind::Typedef) => "typedef",
        Some(Kind::Volatile) => "volatile",
        Some(Kind::Const) => "const",
        Some(Kind::Restrict) => "restrict",
        Some(Kind::Func) => "func",
        Some(Kind::FuncProto) => "func_proto",
        Some(Kind::Var) => "var",
        Some(Kind::Datasec) => "datasec",
        Some(Kind::Float) => "float",
        Some(Kind::DeclTag) => "decl_tag",
        Some(Kind::TypeTag) => "type_tag",
        Some(Kind::Enum64) => "enum64",
        Some(Kind::Void) | None => "unknown",
    }
}

/// libbpf's `skip_mods_and_typedefs`: follows `TYPEDEF`, `CONST`,
/// `VOLATILE`, `RESTRICT` and `TYPE_TAG`; `None` for a missing type (or a
/// chain longer than [`MAX_RESOLVE_DEPTH`], which libbpf would loop on).
#[inline]
pub(crate) fn skip_mods<'b>(btf: &'b Btf<'_>, id: TypeId) -> Option<(TypeId, Type<'b>)> {
    let id = skip_mods_id(btf, id)?;
    Some((id, btf.type_by_id(id)?))
}

/// [`skip_mods`] without decoding the type it stops at.
#[inline]
pub(crate) fn skip_mods_id(btf: &Btf<'_>, id: TypeId) -> Option<TypeId> {
    skip_mods_raw(btf, id).map(|(id, _)| id)
}

/// [`skip_mods`], returning the raw type it stops at.
#[inline]
pub(crate) fn skip_mods_raw<'b>(btf: &'b Btf<'_>, id: TypeId) -> Option<(TypeId, RawType<'b>)> {
    let mut cur = id;
    for _ in 0..=MAX_RESOLVE_DEPTH {
        let t = RawType::of(btf, cur)?;
        match t.kind {
            // TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG
            8..=11 | 18 => cur = t.ty(),
            _ => return Some((cur, t)),
        }
    }
    None
}

/// Why [`resolve_size`] failed (libbpf's `-EINVAL` / `-E2BIG`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SizeError {
    /// The type has no size (`void`, a function, a forward declaration...).
    NoSize,
    /// The size does not fit 32 bits.
    TooBig,
}

/// libbpf's `btf__resolve_size`: the size of a value of type `id`, with
/// pointers `ptr_size` bytes (libbpf's `btf_ptr_sz`).
pub(crate) fn resolve_size(btf: &Btf<'_>, id: TypeId, ptr_size: u32) -> Result<u32, SizeError> {
    let mut nelems: u32 = 1;
    let mut cur = id;
    let mut size: Option<u32> = None;
    for _ in 0..MAX_RESOLVE_DEPTH {
        let t = RawType::of(btf, cur).ok_or(SizeError::NoSize)?;
        match t.kind {
            0 => break,
            // INT, STRUCT, UNION, ENUM, DATASEC, FLOAT, ENUM64
            1 | 4 | 5 | 6 | 15 | 16 | 19 => size = Some(t.size()),
            k::PTR => size = Some(ptr_size),
            // TYPEDEF, VOLATILE, CONST, RESTRICT, VAR, DECL_TAG, TYPE_TAG
            8..=11 | 14 | 17 | 18 => {
                cur = t.ty();
                continue;
            }
            k::ARRAY => {
                let (elem, len) = t.array();
                if nelems != 0 && len > u32::MAX / nelems {
                    return Err(SizeError::TooBig);
                }
                nelems = nelems.wrapping_mul(len);
                cur = elem;
                continue;
            }
            _ => return Err(SizeError::NoSize),
        }
        break;
    }
    let size = size.ok_or(SizeError::NoSize)?;
    if nelems != 0 && size > u32::MAX / nelems {
        return Err(SizeError::TooBig);
    }
    Ok(nelems.wrapping_mul(size))
}

/// libbpf's `determine_ptr_size` / `btf_ptr_sz`: the size of an integer
/// named like `long` (4 or 8), the base's for split BTF, else the host's.
pub fn pointer_size(btf: &Btf<'_>) -> u32 {
    const LONG_ALIASES: [&[u8]; 11] = [
        b"long",
        b"long int",
        b"int long",
        b"unsigned long",
        b"long unsigned",
        b"unsigned long int",
        b"unsigned int long",
        b"long unsigned int",
        b"long int unsigned",
        b"int unsigned long",
        b"int long unsigned",
    ];
    let find_long = |btf: &Btf<'_>| {
        btf.ids().find_map(|id| {
            if btf.raw_kind(id) != k::INT {
                return None;
            }
            let Some(Type::Int(i)) = btf.type_by_id(id) else {
                return None;
            };
            let name = name_bytes(btf, btf.name_offset(id).0);
            ((i.size == 4 || i.size == 8) && LONG_ALIASES.contains(&name)).then_some(i.size)
        })
    };
    if let Some(size) = btf.base().and_then(|b| find_long(b)) {
        return size;
    }
    if let Some(size) = find_long(btf) {
        return size;
    }
    std::mem::size_of::<usize>() as u32
}

/// The bytes of the string at `off` (without its NUL), straight from the
/// string sections: no UTF-8 check. Empty if out of range.
#[inline]
pub(crate) fn name_bytes<'b>(btf: &'b Btf<'_>, off: u32) -> &'b [u8] {
    Strs::of(btf).get(off)
}

/// A BTF's string sections (its base's and its own), for repeated
/// lookups.
#[derive(Copy, Clone)]
pub(crate) struct Strs<'b> {
    base: &'b [u8],
    own: &'b [u8],
}

impl<'b> Strs<'b> {
    #[inline]
    pub(crate) fn of(btf: &'b Btf<'_>) -> Self {
        Strs {
            base: btf.base().map_or(&[][..], |b| b.own_strings()),
            own: btf.own_strings(),
        }
    }

    /// The bytes from `off` to the end of its section.
    #[inline]
    fn tail(&self, off: u32) -> &'b [u8] {
        let off = off as usize;
        let tail = if off < self.base.len() {
            self.base.get(off..)
        } else {
            self.own.get(off - self.base.len()..)
        };
        tail.unwrap_or_default()
    }

    /// The string at `off`, without its NUL (empty if out of range or
    /// unterminated).
    #[inline]
    pub(crate) fn get(&self, off: u32) -> &'b [u8] {
        let tail = self.tail(off);
        match tail.iter().position(|&b| b == 0) {
            Some(end) => tail.get(..end).unwrap_or_default(),
            None => &[],
        }
    }

    /// Whether the string at `off` is empty.
    #[inline]
    pub(crate) fn is_empty_at(&self, off: u32) -> bool {
        self.tail(off).first().map_or(true, |&b| b == 0)
    }

    /// Whether the string at `off` is `name` (compared without scanning
    /// for its end first).
    #[inline]
    pub(crate) fn eq_at(&self, off: u32, name: &[u8]) -> bool {
        let tail = self.tail(off);
        tail.len() > name.len()
            && tail.get(..name.len()) == Some(name)
            && tail.get(name.len()) == Some(&0)
    }
}

/// Reads native-endian word `i` of a raw record.
#[inline]
fn word(rec: &[u8], i: usize) -> u32 {
    rec.get(i * 4..i * 4 + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

/// A struct or union's raw record, for member scans that compare names as
/// bytes.
#[derive(Copy, Clone)]
pub(crate) struct RawComposite<'b> {
    members: &'b [u8],
    kflag: bool,
}

/// One raw member: name offset, type, bit offset, bitfield size.
#[derive(Copy, Clone, Debug)]
pub(crate) struct RawMember {
    pub(crate) name_off: u32,
    pub(crate) ty: TypeId,
    pub(crate) bit_offset: u32,
    pub(crate) bitfield_size: u32,
}

impl<'b> RawComposite<'b> {
    /// The composite `id` of `btf`, if it is a struct or union.
    #[inline]
    pub(crate) fn new(btf: &'b Btf<'_>, id: TypeId) -> Option<Self> {
        if !is_composite(btf.raw_kind(id)) {
            return None;
        }
        let rec = btf.raw_record(id)?;
        let info = word(rec, 1);
        let vlen = (info & 0xffff) as usize;
        let members = rec.get(12..12 + vlen * 12)?;
        Some(RawComposite {
            members,
            kflag: info >> 31 != 0,
        })
    }

    /// The composite `id` of `btf` given its decoded raw type.
    #[inline]
    pub(crate) fn from_raw(t: &RawType<'b>) -> Option<Self> {
        if !is_composite(t.kind) {
            return None;
        }
        let vlen = t.vlen() as usize;
        Some(RawComposite {
            members: t.rec.get(12..12 + vlen * 12)?,
            kflag: t.kflag(),
        })
    }

    /// `btf_vlen`
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.members.len() / 12
    }

    /// Member `i` (`btf_members(t)[i]`, with `btf_member_bit_offset` and
    /// `btf_member_bitfield_size`).
    #[inline]
    pub(crate) fn member(&self, i: usize) -> Option<RawMember> {
        let rec = self.members.get(i * 12..i * 12 + 12)?;
        let off = word(rec, 2);
        let (bit_offset, bitfield_size) = if self.kflag {
            (off & 0x00ff_ffff, off >> 24)
        } else {
            (off, 0)
        };
        Some(RawMember {
            name_off: word(rec, 0),
            ty: TypeId(word(rec, 1)),
            bit_offset,
            bitfield_size,
        })
    }
}

/// The raw `kind_flag` of type `id`.
#[inline]
pub(crate) fn raw_kflag(btf: &Btf<'_>, id: TypeId) -> bool {
    btf.raw_record(id).is_some_and(|r| word(r, 1) >> 31 != 0)
}

/// The raw INT encoding bits of type `id` (0 for other kinds).
#[inline]
pub(crate) fn int_encoding(t: &Type<'_>) -> u32 {
    match t {
        Type::Int(i) => i.encoding.raw(),
        _ => 0,
    }
}

/// The length of `name` without a flavor suffix
/// (`bpf_core_essential_name_len`), on bytes.
#[inline]
pub(crate) fn essential_len(name: &[u8]) -> usize {
    let n = name.len();
    if n < 5 {
        return n;
    }
    let mut i = n - 5;
    loop {
        if let Some(&[x, b'_', b'_', b'_', y]) = name.get(i..i + 5) {
            if x != b'_' && y != b'_' {
                return i + 1;
            }
        }
        if i == 0 {
            return n;
        }
        i -= 1;
    }
}

/// The name without its flavor suffix, on bytes.
#[inline]
pub(crate) fn essential(name: &[u8]) -> &[u8] {
    name.get(..essential_len(name)).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_btf::essential_name;

    #[test]
    fn essential_len_matches_the_btf_crate() {
        for n in [
            "task_struct___v2",
            "a___b___c",
            "a____b",
            "plain",
            "___x",
            "x___",
            "a___b",
            "",
            "ab",
            "a_b___1",
            "__a___b",
        ] {
            assert_eq!(
                std::str::from_utf8(essential(n.as_bytes())).unwrap(),
                essential_name(n),
                "{n}"
            );
        }
    }
}

/// A fast hasher for maps keyed by type ids (FxHash's mixing step).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
