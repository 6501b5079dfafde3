//! `BtfBuilder`: writing BTF.

use std::collections::HashMap;

use crate::btf::{HEADER_LEN, HEADER_LEN_LAYOUT, MAX_NAME_OFFSET, MAX_TYPE};
use crate::error::BuildError;
use crate::types::*;
use crate::{Btf, Endian, KindLayout};

/// Largest `vlen` the classic encoding (16 bits) holds.
pub const MAX_VLEN: u32 = 0xffff;

/// A member for [`BtfBuilder::add_struct`] and [`BtfBuilder::add_union`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MemberSpec<'n> {
    /// The name (`""` for an anonymous member).
    pub name: &'n str,
    /// The type.
    pub ty: TypeId,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Bitfield size in bits (0 for a normal member).
    pub bitfield_size: u8,
}

/// Builds BTF: from scratch (types for maps created from Rust, test
/// fixtures) or by re-emitting parsed BTF after changes. Strings are
/// deduplicated.
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec, Type};
/// let mut b = BtfBuilder::new();
/// let u32_ = b.add_int("u32", 4, IntEncoding::Unsigned);
/// let s = b.add_struct("pair", 8, &[
///     MemberSpec { name: "a", ty: u32_, bit_offset: 0, bitfield_size: 0 },
///     MemberSpec { name: "b", ty: u32_, bit_offset: 32, bitfield_size: 0 },
/// ])?;
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// let Some(Type::Struct(pair)) = btf.type_by_id(s) else { unreachable!() };
/// assert_eq!(pair.members().map(|m| m.name).collect::<Vec<_>>(), ["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BtfBuilder {
    types: Vec<u8>,
    strings: Vec<u8>,
    dedup: HashMap<Box<[u8]>, u32>,
    count: u32,
    start_id: u32,
    start_str: u32,
    layout: Vec<KindLayout>,
}

impl Default for BtfBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BtfBuilder {
    /// An empty builder for base (non-split) BTF.
    pub fn new() -> Self {
        let mut dedup = HashMap::new();
        dedup.insert(Box::<[u8]>::from(&b""[..]), 0);
        BtfBuilder {
            types: Vec::new(),
            strings: vec![0],
            dedup,
            count: 0,
            start_id: 1,
            start_str: 0,
            layout: Vec::new(),
        }
    }

    /// An empty builder for split BTF on top of `base`: ids continue after
    /// the base's, string offsets after the base's string section.
    pub fn new_split(base: &Btf<'_>) -> Self {
        let mut b = Self::new();
        b.start_id = base.type_count() + 1;
        b.start_str = base.strings_len();
        b.strings.clear();
        b.dedup.clear();
        // The empty name is offset 0, which lies in the base.
        b.dedup.insert(Box::<[u8]>::from(&b""[..]), 0);
        b
    }

    /// Re-emits every own type of `btf` (for split BTF, on top of the same
    /// base), in id order, so that ids are preserved.
    pub fn from_btf(btf: &Btf<'_>) -> Result<Self, BuildError> {
        let mut b = match btf.base() {
            Some(base) => Self::new_split(base),
            None => Self::new(),
        };
        b.layout = btf.kind_layouts().to_vec();
        b.types.reserve(btf.own_type_section().len());
        b.strings.reserve(btf.own_strings().len());
        for id in btf.own_ids() {
            if let Some(t) = btf.type_by_id(id) {
                b.add_type(&t)?;
            }
        }
        Ok(b)
    }

    /// The id the next added type will get.
    pub fn next_id(&self) -> TypeId {
        TypeId(self.start_id + self.count)
    }

    /// The number of types added so far.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether no type has been added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Emits a layout section (`struct btf_layout` per kind) so that parsers
    /// that do not know a kind can step over it.
    pub fn set_layout(&mut self, layout: Vec<KindLayout>) {
        self.layout = layout;
    }

    /// Adds a string (deduplicated) and returns its offset.
    pub fn add_string(&mut self, s: &str) -> StrOffset {
        if let Some(&off) = self.dedup.get(s.as_bytes()) {
            return StrOffset(off);
        }
        let off = self.start_str + self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        self.dedup.insert(s.as_bytes().into(), off);
        StrOffset(off)
    }

    fn push_header(
        &mut self,
        name: &str,
        kind: Kind,
        kflag: bool,
        vlen: u32,
        size_or_type: u32,
    ) -> TypeId {
        let name_off = self.add_string(name).0;
        let info = (u32::from(kflag) << 31) | (u32::from(kind.raw()) << 24) | vlen;
        self.words(&[name_off, info, size_or_type]);
        let id = self.next_id();
        self.count += 1;
        id
    }

    fn words(&mut self, words: &[u32]) {
        for w in words {
            self.types.extend_from_slice(&w.to_ne_bytes());
        }
    }

    fn check_vlen(name: &str, count: usize) -> Result<u32, BuildError> {
        u32::try_from(count)
            .ok()
            .filter(|&n| n <= MAX_VLEN)
            .ok_or(BuildError::VlenTooLarge {
                name: name.into(),
                count,
                max: MAX_VLEN,
            })
    }

    /// `BTF_KIND_INT` with all bits used.
    pub fn add_int(&mut self, name: &str, size: u32, encoding: IntEncoding) -> TypeId {
        self.add_int_bits(name, size, encoding, 0, (size * 8).min(255) as u8)
    }

    /// `BTF_KIND_INT` with an explicit bit offset and bit count.
    pub fn add_int_bits(
        &mut self,
        name: &str,
        size: u32,
        encoding: IntEncoding,
        bit_offset: u8,
        bits: u8,
    ) -> TypeId {
        let id = self.push_header(name, Kind::Int, false, 0, size);
        let bits = if size == 16 && bits == 0 {
            128
        } else {
            u32::from(bits)
        };
        self.words(&[(encoding.raw() << 24) | (u32::from(bit_offset) << 16) | bits]);
        id
    }

    /// `BTF_KIND_PTR`
    pub fn add_ptr(&mut self, target: TypeId) -> TypeId {
        self.push_header("", Kind::Ptr, false, 0, target.0)
    }

    /// `BTF_KIND_ARRAY`
    pub fn add_array(&mut self, elem: TypeId, index: TypeId, len: u32) -> TypeId {
        let id = self.push_header("", Kind::Array, false, 0, 0);
        self.words(&[elem.0, index.0, len]);
        id
    }

    fn add_composite(
        &mut self,
        kind: Kind,
        name: &str,
        size: u32,
        kflag: Option<bool>,
        members: &[MemberSpec<'_>],
    ) -> Result<TypeId, BuildError> {
        let vlen = Self::check_vlen(name, members.len())?;
        let kflag = kflag.unwrap_or_else(|| members.iter().any(|m| m.bitfield_size != 0));
        for m in members {
            if kflag && m.bit_offset > 0x00ff_ffff || !kflag && m.bitfield_size != 0 {
                return Err(BuildError::BadBitfield {
                    member: m.name.into(),
                    offset: m.bit_offset,
                    size: m.bitfield_size.into(),
                });
            }
        }
        let id = self.push_header(name, kind, kflag, vlen, size);
        for m in members {
            let name_off = self.add_string(m.name).0;
            let off = if kflag {
                (u32::from(m.bitfield_size) << 24) | m.bit_offset
            } else {
                m.bit_offset
            };
            self.words(&[name_off, m.ty.0, off]);
        }
        Ok(id)
    }

    /// `BTF_KIND_STRUCT`. The kind_flag is set if any member is a bitfield.
    pub fn add_struct(
        &mut self,
        name: &str,
        size: u32,
        members: &[MemberSpec<'_>],
    ) -> Result<TypeId, BuildError> {
        self.add_composite(Kind::Struct, name, size, None, members)
    }

    /// `BTF_KIND_UNION`. The kind_flag is set if any member is a bitfield.
    pub fn add_union(
        &mut self,
        name: &str,
        size: u32,
        members: &[MemberSpec<'_>],
    ) -> Result<TypeId, BuildError> {
        self.add_composite(Kind::Union, name, size, None, members)
    }

    /// `BTF_KIND_ENUM` (values are truncated to 32 bits) or, with `is_64`,
    /// `BTF_KIND_ENUM64`.
    pub fn add_enum(
        &mut self,
        name: &str,
        size: u32,
        signed: bool,
        is_64: bool,
        values: &[(&str, u64)],
    ) -> Result<TypeId, BuildError> {
        let vlen = Self::check_vlen(name, values.len())?;
        let kind = if is_64 { Kind::Enum64 } else { Kind::Enum };
        let id = self.push_header(name, kind, signed, vlen, size);
        for &(n, v) in values {
            let off = self.add_string(n).0;
            if is_64 {
                self.words(&[off, v as u32, (v >> 32) as u32]);
            } else {
                self.words(&[off, v as u32]);
            }
        }
        Ok(id)
    }

    /// `BTF_KIND_FWD`
    pub fn add_fwd(&mut self, name: &str, is_union: bool) -> TypeId {
        self.push_header(name, Kind::Fwd, is_union, 0, 0)
    }

    /// `BTF_KIND_TYPEDEF`
    pub fn add_typedef(&mut self, name: &str, target: TypeId) -> TypeId {
        self.push_header(name, Kind::Typedef, false, 0, target.0)
    }

    /// `BTF_KIND_VOLATILE`
    pub fn add_volatile(&mut self, target: TypeId) -> TypeId {
        self.push_header("", Kind::Volatile, false, 0, target.0)
    }

    /// `BTF_KIND_CONST`
    pub fn add_const(&mut self, target: TypeId) -> TypeId {
        self.push_header("", Kind::Const, false, 0, target.0)
    }

    /// `BTF_KIND_RESTRICT`
    pub fn add_restrict(&mut self, target: TypeId) -> TypeId {
        self.push_header("", Kind::Restrict, false, 0, target.0)
    }

    /// `BTF_KIND_TYPE_TAG`
    pub fn add_type_tag(&mut self, name: &str, target: TypeId) -> TypeId {
        self.push_header(name, Kind::TypeTag, false, 0, target.0)
    }

    /// `BTF_KIND_FUNC`
    pub fn add_func(&mut self, name: &str, proto: TypeId, linkage: Linkage) -> TypeId {
        self.push_header(name, Kind::Func, false, linkage.raw(), proto.0)
    }

    /// `BTF_KIND_FUNC_PROTO`. A final `("", TypeId::VOID)` parameter marks a
    /// variadic function.
    pub fn add_func_proto(
        &mut self,
        ret: TypeId,
        params: &[(&str, TypeId)],
    ) -> Result<TypeId, BuildError> {
        let vlen = Self::check_vlen("(func_proto)", params.len())?;
        let id = self.push_header("", Kind::FuncProto, false, vlen, ret.0);
        for &(n, t) in params {
            let off = self.add_string(n).0;
            self.words(&[off, t.0]);
        }
        Ok(id)
    }

    /// `BTF_KIND_VAR`
    pub fn add_var(&mut self, name: &str, ty: TypeId, linkage: Linkage) -> TypeId {
        let id = self.push_header(name, Kind::Var, false, 0, ty.0);
        self.words(&[linkage.raw()]);
        id
    }

    /// `BTF_KIND_DATASEC`
    pub fn add_datasec(
        &mut self,
        name: &str,
        size: u32,
        vars: &[VarSecInfo],
    ) -> Result<TypeId, BuildError> {
        let vlen = Self::check_vlen(name, vars.len())?;
        let id = self.push_header(name, Kind::Datasec, false, vlen, size);
        for v in vars {
            self.words(&[v.ty.0, v.offset, v.size]);
        }
        Ok(id)
    }

    /// `BTF_KIND_FLOAT`
    pub fn add_float(&mut self, name: &str, size: u32) -> TypeId {
        self.push_header(name, Kind::Float, false, 0, size)
    }

    /// `BTF_KIND_DECL_TAG`; `component_idx` is -1 for the type itself.
    pub fn add_decl_tag(&mut self, name: &str, target: TypeId, component_idx: i32) -> TypeId {
        let id = self.push_header(name, Kind::DeclTag, false, 0, target.0);
        self.words(&[component_idx as u32]);
        id
    }

    /// Adds a copy of a decoded type (from any [`Btf`]), keeping its type
    /// references as they are. Every field, including kind_flag bits, is
    /// preserved.
    pub fn add_type(&mut self, t: &Type<'_>) -> Result<TypeId, BuildError> {
        Ok(match *t {
            Type::Void => {
                // There is no record for void; emit nothing meaningful.
                return Ok(TypeId::VOID);
            }
            Type::Int(i) => self.add_int_bits(i.name, i.size, i.encoding, i.bit_offset, i.bits),
            Type::Ptr(r) => self.push_header(r.name, Kind::Ptr, r.kind_flag, 0, r.target.0),
            Type::Typedef(r) => self.push_header(r.name, Kind::Typedef, r.kind_flag, 0, r.target.0),
            Type::Volatile(r) => {
                self.push_header(r.name, Kind::Volatile, r.kind_flag, 0, r.target.0)
            }
            Type::Const(r) => self.push_header(r.name, Kind::Const, r.kind_flag, 0, r.target.0),
            Type::Restrict(r) => {
                self.push_header(r.name, Kind::Restrict, r.kind_flag, 0, r.target.0)
            }
            Type::TypeTag(r) => self.push_header(r.name, Kind::TypeTag, r.kind_flag, 0, r.target.0),
            Type::Array(a) => self.add_array(a.elem, a.index, a.len),
            Type::Struct(c) | Type::Union(c) => {
                let kind = if matches!(t, Type::Struct(_)) {
                    Kind::Struct
                } else {
                    Kind::Union
                };
                let members: Vec<MemberSpec<'_>> = c
                    .members()
                    .map(|m| MemberSpec {
                        name: m.name,
                        ty: m.ty,
                        bit_offset: m.offset.0,
                        bitfield_size: m.bitfield_size.map_or(0, |b| b.get()),
                    })
                    .collect();
                self.add_composite(kind, c.name, c.size, Some(c.kind_flag), &members)?
            }
            Type::Enum(e) | Type::Enum64(e) => {
                let values: Vec<(&str, u64)> = e.values().map(|v| (v.name, v.value)).collect();
                self.add_enum(e.name, e.size, e.signed, e.is_64(), &values)?
            }
            Type::Fwd(f) => self.add_fwd(f.name, f.is_union),
            Type::Func(f) => self.push_header(f.name, Kind::Func, false, f.raw_linkage, f.proto.0),
            Type::FuncProto(p) => {
                let params: Vec<(&str, TypeId)> = p.params().map(|p| (p.name, p.ty)).collect();
                self.add_func_proto(p.ret, &params)?
            }
            Type::Var(v) => {
                let id = self.push_header(v.name, Kind::Var, false, 0, v.ty.0);
                self.words(&[v.raw_linkage]);
                id
            }
            Type::Datasec(d) => {
                let vars: Vec<VarSecInfo> = d.vars().collect();
                self.add_datasec(d.name, d.size, &vars)?
            }
            Type::Float(f) => self.add_float(f.name, f.size),
            Type::DeclTag(d) => {
                let id = self.push_header(d.name, Kind::DeclTag, d.kind_flag, 0, d.target.0);
                self.words(&[d.component_idx as u32]);
                id
            }
            Type::Unknown(u) => {
                // Keep the record, re-pointing only its name.
                let name_off = self.add_string(u.name).0;
                self.types.extend_from_slice(&name_off.to_ne_bytes());
                self.types
                    .extend_from_slice(u.record.get(4..).unwrap_or_default());
                let id = self.next_id();
                self.count += 1;
                id
            }
        })
    }

    /// Serialises the BTF in native byte order.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        self.to_bytes_endian(Endian::NATIVE)
    }

    /// Serialises the BTF in the given byte order.
    pub fn to_bytes_endian(&self, endian: Endian) -> Result<Vec<u8>, BuildError> {
        if self.start_id + self.count - 1 > MAX_TYPE {
            return Err(BuildError::TooManyTypes { max: MAX_TYPE });
        }
        let str_total = self.start_str as usize + self.strings.len();
        if str_total > MAX_NAME_OFFSET as usize + 1 {
            return Err(BuildError::StringsTooLarge { len: str_total });
        }
        let type_len = u32::try_from(self.types.len()).map_err(|_| BuildError::TooLarge)?;
        let str_len = u32::try_from(self.strings.len()).map_err(|_| BuildError::TooLarge)?;
        let layout_len = (self.layout.len() * 4) as u32;
        let hdr_len = if self.layout.is_empty() {
            HEADER_LEN
        } else {
            HEADER_LEN_LAYOUT
        };
        let swap = endian != Endian::NATIVE;
        let w32 = |v: u32| if swap { v.swap_bytes() } else { v }.to_ne_bytes();
        let mut out = Vec::with_capacity(
            hdr_len + self.types.len() + self.strings.len() + layout_len as usize,
        );
        let magic = if swap {
            crate::btf::BTF_MAGIC.swap_bytes()
        } else {
            crate::btf::BTF_MAGIC
        };
        out.extend_from_slice(&magic.to_ne_bytes());
        out.push(1); // version
        out.push(0); // flags
        out.extend_from_slice(&w32(hdr_len as u32));
        // Sections: types, then layout (if any, 4-aligned after types), then strings.
        let layout_off = type_len;
        let str_off = type_len
            .checked_add(layout_len)
            .ok_or(BuildError::TooLarge)?;
        out.extend_from_slice(&w32(0)); // type_off
        out.extend_from_slice(&w32(type_len));
        out.extend_from_slice(&w32(str_off));
        out.extend_from_slice(&w32(str_len));
        if !self.layout.is_empty() {
            out.extend_from_slice(&w32(layout_off));
            out.extend_from_slice(&w32(layout_len));
        }
        if swap {
            for w in self.types.chunks_exact(4) {
                out.extend(w.iter().rev());
            }
        } else {
            out.extend_from_slice(&self.types);
        }
        for l in &self.layout {
            out.push(l.info_size);
            out.push(l.elem_size);
            let f = if swap { l.flags.swap_bytes() } else { l.flags };
            out.extend_from_slice(&f.to_ne_bytes());
        }
        out.extend_from_slice(&self.strings);
        Ok(out)
    }
}
