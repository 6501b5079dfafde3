//! Type ids, kinds and the borrowed views over BTF type records.

use std::fmt;
use std::num::NonZeroU8;

/// The id of a type inside one BTF blob (with its base, for split BTF).
///
/// Id 0 is `void`. This is an index into a BTF, not a kernel object id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct TypeId(pub u32);

impl TypeId {
    /// The `void` type.
    pub const VOID: Self = Self(0);

    /// The raw id.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u32> for TypeId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

/// An offset into a BTF string section.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct StrOffset(pub u32);

/// A distance in bits (member offsets, bitfield positions).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct BitOffset(pub u32);

impl BitOffset {
    /// The whole bytes in this offset (rounded down).
    pub const fn bytes(self) -> u32 {
        self.0 / 8
    }
}

macro_rules! kinds {
    ($($(#[$m:meta])* $variant:ident = $val:literal, $cname:literal, $upper:literal;)*) => {
        /// A BTF type kind (`BTF_KIND_*`).
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Kind {
            /// `void` (type id 0; never stored in the type section).
            Void = 0,
            $($(#[$m])* #[doc = concat!("`", $cname, "`")] $variant = $val,)*
        }

        impl Kind {
            /// The kind with this raw number, if it is one this crate knows.
            pub const fn from_raw(raw: u8) -> Option<Self> {
                match raw {
                    $($val => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The raw kind number.
            pub const fn raw(self) -> u8 {
                self as u8
            }

            /// The kind's name as bpftool prints it (`INT`, `STRUCT`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    Self::Void => "UNKNOWN",
                    $(Self::$variant => $upper,)*
                }
            }
        }
    };
}

kinds! {
    Int = 1, "BTF_KIND_INT", "INT";
    Ptr = 2, "BTF_KIND_PTR", "PTR";
    Array = 3, "BTF_KIND_ARRAY", "ARRAY";
    Struct = 4, "BTF_KIND_STRUCT", "STRUCT";
    Union = 5, "BTF_KIND_UNION", "UNION";
    Enum = 6, "BTF_KIND_ENUM", "ENUM";
    Fwd = 7, "BTF_KIND_FWD", "FWD";
    Typedef = 8, "BTF_KIND_TYPEDEF", "TYPEDEF";
    Volatile = 9, "BTF_KIND_VOLATILE", "VOLATILE";
    Const = 10, "BTF_KIND_CONST", "CONST";
    Restrict = 11, "BTF_KIND_RESTRICT", "RESTRICT";
    Func = 12, "BTF_KIND_FUNC", "FUNC";
    FuncProto = 13, "BTF_KIND_FUNC_PROTO", "FUNC_PROTO";
    Var = 14, "BTF_KIND_VAR", "VAR";
    Datasec = 15, "BTF_KIND_DATASEC", "DATASEC";
    Float = 16, "BTF_KIND_FLOAT", "FLOAT";
    DeclTag = 17, "BTF_KIND_DECL_TAG", "DECL_TAG";
    TypeTag = 18, "BTF_KIND_TYPE_TAG", "TYPE_TAG";
    Enum64 = 19, "BTF_KIND_ENUM64", "ENUM64";
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads the `i`-th native-endian 32-bit word of a record.
///
/// Records are validated at parse time, so an out-of-range read cannot
/// happen; it yields 0 rather than panicking all the same.
#[inline(always)]
pub(crate) fn word(rec: &[u8], i: usize) -> u32 {
    crate::btf::rd(rec, i.wrapping_mul(4))
}

/// The string sections a view resolves names against (split BTF has two).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Strings<'a> {
    pub(crate) base: &'a [u8],
    pub(crate) own: &'a [u8],
}

impl<'a> Strings<'a> {
    /// The bytes from `off` to the end of its string section (base or own),
    /// or `None` if out of range.
    #[inline]
    fn tail(&self, off: u32) -> Option<&'a [u8]> {
        let off = off as usize;
        if off < self.base.len() {
            self.base.get(off..)
        } else {
            self.own.get(off - self.base.len()..)
        }
    }

    /// The NUL-terminated bytes at `off` (without the NUL), or `None` if out
    /// of range.
    #[inline]
    pub(crate) fn bytes(&self, off: u32) -> Option<&'a [u8]> {
        // Offset 0 is "" in every BTF (parsing checks that the base string
        // section starts with NUL): the name of most anonymous types.
        if off == 0 {
            return Some(&[]);
        }
        let tail = self.tail(off)?;
        let end = tail.iter().position(|&b| b == 0)?;
        tail.get(..end)
    }

    /// Whether the string at `off` is `name` (non-empty): compares in place,
    /// without first finding the string's end, so most mismatches cost a
    /// byte or two (the inner loop of name lookups by scanning).
    #[inline]
    pub(crate) fn eq_at(&self, off: u32, name: &[u8]) -> bool {
        let Some(tail) = self.tail(off) else {
            return false;
        };
        tail.first() == name.first()
            && tail.get(..name.len()) == Some(name)
            && tail.get(name.len()) == Some(&0)
    }

    /// The string at `off`. String sections are checked to be UTF-8 and
    /// NUL-terminated when parsed (the kernel's own BTF is trusted to be, as
    /// the kernel checked it); an out-of-range offset or invalid UTF-8 that
    /// slipped through that trust gives `""` rather than a panic.
    #[inline]
    pub(crate) fn get(&self, off: u32) -> &'a str {
        self.bytes(off)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// Integer encoding bits (`BTF_INT_SIGNED`, `BTF_INT_CHAR`, `BTF_INT_BOOL`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntEncoding {
    /// No encoding bit: an unsigned integer.
    Unsigned,
    /// `BTF_INT_SIGNED`
    Signed,
    /// `BTF_INT_CHAR`
    Char,
    /// `BTF_INT_BOOL`
    Bool,
}

impl IntEncoding {
    pub(crate) fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => Self::Unsigned,
            1 => Self::Signed,
            2 => Self::Char,
            4 => Self::Bool,
            _ => return None,
        })
    }

    /// The raw encoding bits.
    pub const fn raw(self) -> u32 {
        match self {
            Self::Unsigned => 0,
            Self::Signed => 1,
            Self::Char => 2,
            Self::Bool => 4,
        }
    }
}

/// Linkage of a `FUNC` (`BTF_FUNC_*`) or `VAR` (`BTF_VAR_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Linkage {
    /// `BTF_FUNC_STATIC` / `BTF_VAR_STATIC`
    Static,
    /// `BTF_FUNC_GLOBAL` / `BTF_VAR_GLOBAL_ALLOCATED`
    Global,
    /// `BTF_FUNC_EXTERN` / `BTF_VAR_GLOBAL_EXTERN`
    Extern,
}

impl Linkage {
    pub(crate) fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => Self::Static,
            1 => Self::Global,
            2 => Self::Extern,
            _ => return None,
        })
    }

    /// The raw linkage number.
    pub const fn raw(self) -> u32 {
        match self {
            Self::Static => 0,
            Self::Global => 1,
            Self::Extern => 2,
        }
    }

    /// The name bpftool prints (`static`, `global`, `extern`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Global => "global",
            Self::Extern => "extern",
        }
    }
}

/// A decoded BTF type. Obtained from [`Btf::type_by_id`](crate::Btf::type_by_id).
///
/// Every kind of the BTF specification has a variant; the match is
/// exhaustive on purpose, so adding a kind forces every consumer to decide.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Type<'a> {
    /// `void` (type id 0).
    Void,
    /// `BTF_KIND_INT`
    Int(Int<'a>),
    /// `BTF_KIND_PTR`
    Ptr(Ref<'a>),
    /// `BTF_KIND_ARRAY`
    Array(Array<'a>),
    /// `BTF_KIND_STRUCT`
    Struct(Composite<'a>),
    /// `BTF_KIND_UNION`
    Union(Composite<'a>),
    /// `BTF_KIND_ENUM`
    Enum(Enum<'a>),
    /// `BTF_KIND_FWD`
    Fwd(Fwd<'a>),
    /// `BTF_KIND_TYPEDEF`
    Typedef(Ref<'a>),
    /// `BTF_KIND_VOLATILE`
    Volatile(Ref<'a>),
    /// `BTF_KIND_CONST`
    Const(Ref<'a>),
    /// `BTF_KIND_RESTRICT`
    Restrict(Ref<'a>),
    /// `BTF_KIND_FUNC`
    Func(Func<'a>),
    /// `BTF_KIND_FUNC_PROTO`
    FuncProto(FuncProto<'a>),
    /// `BTF_KIND_VAR`
    Var(Var<'a>),
    /// `BTF_KIND_DATASEC`
    Datasec(Datasec<'a>),
    /// `BTF_KIND_FLOAT`
    Float(Float<'a>),
    /// `BTF_KIND_DECL_TAG`
    DeclTag(DeclTag<'a>),
    /// `BTF_KIND_TYPE_TAG`
    TypeTag(Ref<'a>),
    /// `BTF_KIND_ENUM64`
    Enum64(Enum<'a>),
    /// A kind this crate does not know, stepped over with the blob's layout
    /// section. Only its name and raw record are available.
    Unknown(Unknown<'a>),
}

impl<'a> Type<'a> {
    /// This type's kind. Unknown kinds report [`Kind::Void`]; see
    /// [`Type::raw_kind`].
    pub fn kind(&self) -> Kind {
        match self {
            Type::Void | Type::Unknown(_) => Kind::Void,
            Type::Int(_) => Kind::Int,
            Type::Ptr(_) => Kind::Ptr,
            Type::Array(_) => Kind::Array,
            Type::Struct(_) => Kind::Struct,
            Type::Union(_) => Kind::Union,
            Type::Enum(_) => Kind::Enum,
            Type::Fwd(_) => Kind::Fwd,
            Type::Typedef(_) => Kind::Typedef,
            Type::Volatile(_) => Kind::Volatile,
            Type::Const(_) => Kind::Const,
            Type::Restrict(_) => Kind::Restrict,
            Type::Func(_) => Kind::Func,
            Type::FuncProto(_) => Kind::FuncProto,
            Type::Var(_) => Kind::Var,
            Type::Datasec(_) => Kind::Datasec,
            Type::Float(_) => Kind::Float,
            Type::DeclTag(_) => Kind::DeclTag,
            Type::TypeTag(_) => Kind::TypeTag,
            Type::Enum64(_) => Kind::Enum64,
        }
    }

    /// The raw kind number, also for kinds this crate does not know.
    pub fn raw_kind(&self) -> u8 {
        match self {
            Type::Unknown(u) => u.kind,
            t => t.kind().raw(),
        }
    }

    /// The type's name; `""` for anonymous types and `void`.
    pub fn name(&self) -> &'a str {
        match self {
            Type::Void => "",
            Type::Int(t) => t.name,
            Type::Ptr(t)
            | Type::Typedef(t)
            | Type::Volatile(t)
            | Type::Const(t)
            | Type::Restrict(t)
            | Type::TypeTag(t) => t.name,
            Type::Array(_) => "",
            Type::Struct(t) | Type::Union(t) => t.name,
            Type::Enum(t) | Type::Enum64(t) => t.name,
            Type::Fwd(t) => t.name,
            Type::Func(t) => t.name,
            Type::FuncProto(_) => "",
            Type::Var(t) => t.name,
            Type::Datasec(t) => t.name,
            Type::Float(t) => t.name,
            Type::DeclTag(t) => t.name,
            Type::Unknown(t) => t.name,
        }
    }

    /// For `PTR`, `TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`, `TYPE_TAG`,
    /// `FUNC`, `VAR` and `DECL_TAG`: the type referred to.
    pub fn referenced(&self) -> Option<TypeId> {
        match self {
            Type::Ptr(t)
            | Type::Typedef(t)
            | Type::Volatile(t)
            | Type::Const(t)
            | Type::Restrict(t)
            | Type::TypeTag(t) => Some(t.target),
            Type::Func(f) => Some(f.proto),
            Type::Var(v) => Some(v.ty),
            Type::DeclTag(d) => Some(d.target),
            _ => None,
        }
    }

    /// Whether this is a `STRUCT` or `UNION`.
    pub fn is_composite(&self) -> bool {
        matches!(self, Type::Struct(_) | Type::Union(_))
    }

    /// The members of a `STRUCT` or `UNION`.
    pub fn as_composite(&self) -> Option<&Composite<'a>> {
        match self {
            Type::Struct(c) | Type::Union(c) => Some(c),
            _ => None,
        }
    }

    /// A modifier (`TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`, `TYPE_TAG`):
    /// something [`Btf::resolve`](crate::Btf::resolve) skips.
    pub fn is_modifier(&self) -> bool {
        matches!(
            self,
            Type::Typedef(_)
                | Type::Volatile(_)
                | Type::Const(_)
                | Type::Restrict(_)
                | Type::TypeTag(_)
        )
    }
}

/// `BTF_KIND_INT`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Int<'a> {
    /// The name (`int`, `unsigned long`, `_Bool`, ...).
    pub name: &'a str,
    /// Size in bytes.
    pub size: u32,
    /// Signedness, char or bool.
    pub encoding: IntEncoding,
    /// `BTF_INT_OFFSET`: bit offset of the value inside its storage.
    pub bit_offset: u8,
    /// `BTF_INT_BITS`: number of value bits.
    pub bits: u8,
}

impl Int<'_> {
    /// Whether the integer is signed.
    pub fn is_signed(&self) -> bool {
        self.encoding == IntEncoding::Signed
    }
}

/// A type that refers to one other type and may have a name: `PTR`,
/// `TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`, `TYPE_TAG`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ref<'a> {
    /// The name (typedef and type tag names; `""` for the others).
    pub name: &'a str,
    /// The type referred to.
    pub target: TypeId,
    /// The kind_flag bit (set on a `TYPE_TAG` that is an attribute).
    pub kind_flag: bool,
}

/// `BTF_KIND_ARRAY`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Array<'a> {
    /// The element type.
    pub elem: TypeId,
    /// The index type (ignored by the kernel; usually an `int`).
    pub index: TypeId,
    /// Number of elements (0 for flexible arrays).
    pub len: u32,
    pub(crate) _p: std::marker::PhantomData<&'a ()>,
}

/// `BTF_KIND_STRUCT` and `BTF_KIND_UNION`.
#[derive(Copy, Clone, Debug)]
pub struct Composite<'a> {
    /// The name (`""` if anonymous).
    pub name: &'a str,
    /// Size in bytes.
    pub size: u32,
    /// Whether member offsets encode bitfield sizes (`kind_flag`).
    pub kind_flag: bool,
    pub(crate) members: &'a [u8],
    pub(crate) strings: Strings<'a>,
}

impl<'a> Composite<'a> {
    /// The number of members (`vlen`).
    pub fn len(&self) -> usize {
        self.members.len() / 12
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members, in declaration order.
    pub fn members(&self) -> Members<'a> {
        Members {
            raw: self.members,
            strings: self.strings,
            kind_flag: self.kind_flag,
        }
    }

    /// The member called `name`, searched directly (not through anonymous
    /// members).
    pub fn member(&self, name: &str) -> Option<Member<'a>> {
        self.members().find(|m| m.name == name)
    }
}

impl PartialEq for Composite<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.size == other.size
            && self.kind_flag == other.kind_flag
            && self.members().eq(other.members())
    }
}

/// A struct or union member.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// The name (`""` for anonymous members).
    pub name: &'a str,
    /// The member's type.
    pub ty: TypeId,
    /// Offset from the start of the enclosing type, in bits.
    pub offset: BitOffset,
    /// The bitfield size in bits, for bitfield members of a kind_flag
    /// struct. (Without kind_flag, bitfields are encoded in the member's
    /// `INT` type and this is `None`.)
    pub bitfield_size: Option<NonZeroU8>,
}

/// Iterator over a composite's members.
#[derive(Clone, Debug)]
pub struct Members<'a> {
    raw: &'a [u8],
    strings: Strings<'a>,
    kind_flag: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        let (rec, rest) = self.raw.split_at_checked(12)?;
        self.raw = rest;
        let off = word(rec, 2);
        let (offset, bitfield_size) = if self.kind_flag {
            (off & 0x00ff_ffff, NonZeroU8::new((off >> 24) as u8))
        } else {
            (off, None)
        };
        Some(Member {
            name: self.strings.get(word(rec, 0)),
            ty: TypeId(word(rec, 1)),
            offset: BitOffset(offset),
            bitfield_size,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.raw.len() / 12;
        (n, Some(n))
    }
}
impl ExactSizeIterator for Members<'_> {}

/// `BTF_KIND_ENUM` and `BTF_KIND_ENUM64`.
#[derive(Copy, Clone, Debug)]
pub struct Enum<'a> {
    /// The name (`""` if anonymous).
    pub name: &'a str,
    /// Size in bytes.
    pub size: u32,
    /// Whether the values are signed (`kind_flag`).
    pub signed: bool,
    pub(crate) is_64: bool,
    pub(crate) values: &'a [u8],
    pub(crate) strings: Strings<'a>,
}

impl<'a> Enum<'a> {
    /// The number of enumerators (`vlen`).
    pub fn len(&self) -> usize {
        self.values.len() / self.stride()
    }

    /// Whether there are no enumerators.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn stride(&self) -> usize {
        if self.is_64 {
            12
        } else {
            8
        }
    }

    /// Whether this is an `ENUM64`.
    pub fn is_64(&self) -> bool {
        self.is_64
    }

    /// The enumerators, in declaration order.
    pub fn values(&self) -> EnumValues<'a> {
        EnumValues {
            raw: self.values,
            strings: self.strings,
            is_64: self.is_64,
            signed: self.signed,
        }
    }
}

impl PartialEq for Enum<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.size == other.size
            && self.signed == other.signed
            && self.is_64 == other.is_64
            && self.values().eq(other.values())
    }
}

/// One enumerator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EnumValue<'a> {
    /// The name.
    pub name: &'a str,
    /// The value's bits. For a 32-bit `ENUM` it is sign- or zero-extended
    /// according to the enum's signedness, so `value as i64` is the C value
    /// of a signed enum and `value` that of an unsigned one.
    pub value: u64,
}

/// Iterator over enumerators.
#[derive(Clone, Debug)]
pub struct EnumValues<'a> {
    raw: &'a [u8],
    strings: Strings<'a>,
    is_64: bool,
    signed: bool,
}

impl<'a> Iterator for EnumValues<'a> {
    type Item = EnumValue<'a>;
    fn next(&mut self) -> Option<EnumValue<'a>> {
        let stride = if self.is_64 { 12 } else { 8 };
        let (rec, rest) = self.raw.split_at_checked(stride)?;
        self.raw = rest;
        let lo = word(rec, 1);
        let value = if self.is_64 {
            (u64::from(word(rec, 2)) << 32) | u64::from(lo)
        } else if self.signed {
            i64::from(lo as i32) as u64
        } else {
            u64::from(lo)
        };
        Some(EnumValue {
            name: self.strings.get(word(rec, 0)),
            value,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.raw.len() / if self.is_64 { 12 } else { 8 };
        (n, Some(n))
    }
}
impl ExactSizeIterator for EnumValues<'_> {}

/// `BTF_KIND_FWD`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fwd<'a> {
    /// The name.
    pub name: &'a str,
    /// Whether this declares a union (`kind_flag`) rather than a struct.
    pub is_union: bool,
}

/// `BTF_KIND_FUNC`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Func<'a> {
    /// The function's name.
    pub name: &'a str,
    /// Its `FUNC_PROTO`.
    pub proto: TypeId,
    /// Its linkage (`vlen`); `None` for a value this crate does not know.
    pub linkage: Option<Linkage>,
    /// The raw linkage value.
    pub raw_linkage: u32,
}

/// `BTF_KIND_FUNC_PROTO`
#[derive(Copy, Clone, Debug)]
pub struct FuncProto<'a> {
    /// The return type (`void` is id 0).
    pub ret: TypeId,
    pub(crate) params: &'a [u8],
    pub(crate) strings: Strings<'a>,
}

impl<'a> FuncProto<'a> {
    /// The parameters. A final parameter with type id 0 and no name means
    /// `...` (variadic).
    pub fn params(&self) -> Params<'a> {
        Params {
            raw: self.params,
            strings: self.strings,
        }
    }

    /// The number of parameters (`vlen`), including a variadic marker.
    pub fn len(&self) -> usize {
        self.params.len() / 8
    }

    /// Whether the prototype takes no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Whether the last parameter is the variadic marker.
    pub fn is_variadic(&self) -> bool {
        self.params()
            .last()
            .is_some_and(|p| p.ty == TypeId::VOID && p.name.is_empty())
    }
}

impl PartialEq for FuncProto<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ret == other.ret && self.params().eq(other.params())
    }
}

/// A function parameter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name (often `""`).
    pub name: &'a str,
    /// The type.
    pub ty: TypeId,
}

/// Iterator over function parameters.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    raw: &'a [u8],
    strings: Strings<'a>,
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;
    fn next(&mut self) -> Option<Param<'a>> {
        let (rec, rest) = self.raw.split_at_checked(8)?;
        self.raw = rest;
        Some(Param {
            name: self.strings.get(word(rec, 0)),
            ty: TypeId(word(rec, 1)),
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.raw.len() / 8;
        (n, Some(n))
    }
}
impl ExactSizeIterator for Params<'_> {}

/// `BTF_KIND_VAR`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Var<'a> {
    /// The variable's name.
    pub name: &'a str,
    /// Its type.
    pub ty: TypeId,
    /// Its linkage; `None` for a value this crate does not know.
    pub linkage: Option<Linkage>,
    /// The raw linkage value.
    pub raw_linkage: u32,
}

/// `BTF_KIND_DATASEC`
#[derive(Copy, Clone, Debug)]
pub struct Datasec<'a> {
    /// The section name (`.data`, `.rodata`, `.maps`, `.kconfig`, ...).
    pub name: &'a str,
    /// The section size in bytes.
    pub size: u32,
    pub(crate) vars: &'a [u8],
}

impl<'a> Datasec<'a> {
    /// The variables in the section.
    pub fn vars(&self) -> VarSecInfos<'a> {
        VarSecInfos { raw: self.vars }
    }

    /// The number of variables (`vlen`).
    pub fn len(&self) -> usize {
        self.vars.len() / 12
    }

    /// Whether the section describes no variables.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl PartialEq for Datasec<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.size == other.size && self.vars == other.vars
    }
}

/// One variable of a `DATASEC` (`struct btf_var_secinfo`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VarSecInfo {
    /// The `VAR` (or, in `.ksyms`, `FUNC`) type.
    pub ty: TypeId,
    /// Offset inside the section, in bytes.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// Iterator over a `DATASEC`'s variables.
#[derive(Clone, Debug)]
pub struct VarSecInfos<'a> {
    raw: &'a [u8],
}

impl Iterator for VarSecInfos<'_> {
    type Item = VarSecInfo;
    fn next(&mut self) -> Option<VarSecInfo> {
        let (rec, rest) = self.raw.split_at_checked(12)?;
        self.raw = rest;
        Some(VarSecInfo {
            ty: TypeId(word(rec, 0)),
            offset: word(rec, 1),
            size: word(rec, 2),
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.raw.len() / 12;
        (n, Some(n))
    }
}
impl ExactSizeIterator for VarSecInfos<'_> {}

/// `BTF_KIND_FLOAT`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Float<'a> {
    /// The name (`float`, `double`, `long double`).
    pub name: &'a str,
    /// Size in bytes.
    pub size: u32,
}

/// `BTF_KIND_DECL_TAG`
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DeclTag<'a> {
    /// The tag's text.
    pub name: &'a str,
    /// The tagged type (struct, union, var, func or typedef).
    pub target: TypeId,
    /// -1 for the type itself, otherwise the member or parameter index.
    pub component_idx: i32,
    /// The kind_flag bit (set for an attribute tag).
    pub kind_flag: bool,
}

/// A type of a kind this crate does not know (stepped over with the layout
/// section).
#[derive(Copy, Clone, Debug)]
pub struct Unknown<'a> {
    /// The name.
    pub name: &'a str,
    /// The raw kind number.
    pub kind: u8,
    /// The whole record, including the 12-byte common header.
    pub record: &'a [u8],
}

/// By content, like every other view: the name as a string, not the raw
/// name offset in the record's first word (which a writer may change).
impl PartialEq for Unknown<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.record.get(4..) == other.record.get(4..)
    }
}

impl Eq for Unknown<'_> {}
