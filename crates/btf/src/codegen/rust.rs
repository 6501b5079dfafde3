//! BTF to Rust: `#[repr(C)]` definitions with `#[derive(BtfStruct)]`.
//!
//! [`generate`] writes Rust definitions of the named BTF types and of every
//! type they contain by value, laid out byte for byte as in the BTF, so
//! that [`layout::validate`](crate::layout::validate) accepts each of them
//! against the type it came from:
//!
//! - structs and unions become `#[repr(C)]` structs and unions, with every
//!   hole spelled out as a `#[btf(pad)]` byte array (no implicit padding,
//!   so that the derive can prove the type is plain data), and
//!   `#[repr(C, packed)]` where C's layout is not Rust's natural one;
//! - C bitfields become one integer per storage unit,
//!   `#[btf(bitfields = "a, b")]`, with a getter and a `set_` method per
//!   bitfield of a struct (little-endian bit numbering, as BTF's; a
//!   union's bitfields have only their storage field, as reading a union
//!   field is `unsafe`);
//! - kernel pointers become `u64` with `#[btf(ptr = "target")]` (the
//!   derive's convention: user space cannot dereference them anyway), and
//!   pointed-to types are *not* generated;
//! - enums become `#[repr(uN)]` Rust enums (values that repeat become
//!   associated constants); a struct field of enum type is the enum's
//!   integer type, as the kernel may store values the enum does not name;
//!   `_Bool` is a `u8` for the same reason;
//! - typedefs are looked through; a typedef that names an anonymous type
//!   (`typedef struct { ... } atomic_t;`) gives the type its name;
//! - anonymous structs inside structs are flattened into the containing
//!   struct, as C lets code name their members directly. Other anonymous
//!   types get deterministic names: `parent__member` for the type of a
//!   named member, `parent__anon_N` for the N-th anonymous member, which
//!   becomes a field `__anon_N` marked `#[btf(anon)]`: the derive
//!   validates it against the anonymous member at its offset, so its bytes
//!   are checked through the parent like any named member's.
//!
//! Members Rust cannot express (arrays of pointers, which become
//! `[u64; N]`; `long double`; bitfields that no Rust integer can hold
//! without overlapping a neighbour) are kept, but marked `#[btf(pad)]`
//! (unchecked bytes) with the type made `#[btf(subset)]`. Each is listed
//! in [`Item::unchecked`] with the BTF offset and size it stands for, so a
//! caller can check those too. They are the only reason a generated type
//! is a subset: anonymous members are checked.
//!
//! The generated code is rustfmt-clean.
//!
//! ```
//! use oxbpf_btf::codegen::rust::{generate, RustOptions};
//! use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec};
//!
//! let mut b = BtfBuilder::new();
//! let u8_ = b.add_int("unsigned char", 1, IntEncoding::Unsigned);
//! let u16_ = b.add_int("unsigned short", 2, IntEncoding::Unsigned);
//! b.add_struct("hdr", 4, &[
//!     MemberSpec { name: "ver", ty: u8_, bit_offset: 0, bitfield_size: 4 },
//!     MemberSpec { name: "len", ty: u8_, bit_offset: 4, bitfield_size: 4 },
//!     MemberSpec { name: "id", ty: u16_, bit_offset: 16, bitfield_size: 0 },
//! ])?;
//! let btf = Btf::parse_owned(b.to_bytes()?)?;
//! let out = generate(&btf, &["hdr"], &RustOptions::default())?;
//! assert!(out.code.contains("    #[btf(bitfields = \"ver, len\")]\n    pub _bitfield_1: u8,\n"));
//! assert!(out.code.contains("    pub fn set_len(&mut self, value: u8) {"));
//! assert_eq!(out.items[0].rust_name, "hdr");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::CodegenError;

/// How deep types may nest by value (struct in struct, array of array)
/// before [`generate`] gives up with [`CodegenError::TooDeep`]: each level
/// is a few stack frames of the generator. The kernel's types nest a
/// dozen levels at most.
pub const MAX_NESTING: usize = 96;
use crate::{essential_name, Btf, Composite, Enum, IntEncoding, Kind, Type, TypeId};

/// Options for [`generate`].
#[derive(Clone, Debug)]
pub struct RustOptions {
    /// The path of the crate that provides `BtfStruct`, `btf` and `sys`
    /// (the `oxbpf` facade, or a module re-exporting them), as written in
    /// the generated code. `::oxbpf` by default; any other path is also
    /// passed to the derive as `#[btf(crate = "...")]`.
    pub crate_path: String,
    /// Where the BTF came from (`/sys/kernel/btf/vmlinux`), for the comment
    /// at the top.
    pub source: Option<String>,
}

impl Default for RustOptions {
    fn default() -> Self {
        RustOptions {
            crate_path: DEFAULT_CRATE.to_string(),
            source: None,
        }
    }
}

const DEFAULT_CRATE: &str = "::oxbpf";

/// Generated bindings: the code and what it defines.
#[derive(Clone, Debug)]
pub struct Bindings {
    /// The Rust source (a sequence of items, for a module of its own).
    pub code: String,
    /// Every type defined in `code`, requested ones first, in the order of
    /// the code.
    pub items: Vec<Item>,
}

/// One generated type.
#[derive(Clone, Debug)]
pub struct Item {
    /// Its Rust name.
    pub rust_name: String,
    /// The BTF type it was generated from (for a typedef alias, the
    /// typedef).
    pub id: TypeId,
    /// The C type, as the generated doc comment describes it (Markdown).
    pub c_name: String,
    /// What kind of Rust item it is.
    pub kind: ItemKind,
    /// Whether the derive implements `Pod` for it (no `#[btf(no_pod)]`).
    /// Unions whose members are smaller than the union are not plain data,
    /// nor is anything containing them.
    pub pod: bool,
    /// Whether it is `#[btf(subset)]` (has [`unchecked`](Self::unchecked)
    /// fields).
    pub subset: bool,
    /// Fields standing for BTF members that the derive's validation skips.
    pub unchecked: Vec<UncheckedField>,
}

/// The kind of a generated item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `#[repr(C)] struct` (from a BTF struct).
    Struct,
    /// `#[repr(C)] union` (from a BTF union).
    Union,
    /// `#[repr(uN)] enum` (from a BTF enum).
    Enum,
    /// `pub type` (a requested typedef of a non-composite type, or an
    /// enum without enumerators).
    Alias,
}

/// A field marked `#[btf(pad)]` although it stands for BTF member bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncheckedField {
    /// The Rust field.
    pub field: String,
    /// The BTF member it stands for (bitfields: their names, joined with
    /// `, `).
    pub member: String,
    /// The member's byte offset in the BTF type (relative to the type the
    /// field is in).
    pub offset: u32,
    /// The member's size in bytes.
    pub size: u32,
    /// The member's BTF type.
    pub btf_type: TypeId,
    /// Why the field is unchecked.
    pub reason: Unchecked,
}

/// Why a field is [unchecked](UncheckedField).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unchecked {
    /// A member Rust cannot express; the field holds its bytes.
    Opaque {
        /// What cannot be expressed.
        reason: String,
    },
}

/// Generates bindings for the types named in `names` and everything they
/// contain. A name is `struct foo`, `union foo`, `enum foo`, `typedef foo`
/// or a bare `foo` (a struct, union, enum or typedef of that name, in that
/// order of preference).
///
/// # Errors
///
/// [`CodegenError::NotFound`] for a name no type has; the other variants
/// for BTF that cannot be laid out (a struct containing itself, a
/// reference loop).
pub fn generate(
    btf: &Btf<'_>,
    names: &[&str],
    opts: &RustOptions,
) -> Result<Bindings, CodegenError> {
    let mut g = RustGenerator::new(btf, opts.clone());
    for name in names {
        g.add_by_name(name)?;
    }
    Ok(g.finish())
}

/// Generates bindings type by type; see [`generate`].
pub struct RustGenerator<'b, 'a> {
    btf: &'b Btf<'a>,
    opts: RustOptions,
    plans: Vec<Plan>,
    by_id: HashMap<TypeId, usize>,
    /// Rust type names in use.
    names: HashSet<String>,
    /// Anonymous type → the first typedef naming it (built on first use).
    typedef_names: Option<HashMap<TypeId, TypeId>>,
    ptr_size: u32,
}

impl std::fmt::Debug for RustGenerator<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustGenerator")
            .field("items", &self.plans.len())
            .finish_non_exhaustive()
    }
}

struct Plan {
    id: TypeId,
    rust_name: String,
    /// The name for `#[btf(name = ...)]` when it differs from `rust_name`.
    btf_name: Option<String>,
    c_name: String,
    body: Body,
}

enum Body {
    /// Being laid out (a struct containing itself is an error).
    Pending,
    Composite(Layout),
    Enum(EnumPlan),
    Alias(RType),
}

struct Layout {
    is_union: bool,
    packed: bool,
    subset: bool,
    pod: bool,
    size: u32,
    align: u32,
    fields: Vec<FieldPlan>,
    accessors: Vec<Accessor>,
    unchecked: Vec<UncheckedField>,
}

struct FieldPlan {
    ident: String,
    /// `#[btf(name = ...)]`, when the identifier had to differ.
    btf_name: Option<String>,
    ty: RType,
    attr: FieldAttr,
    doc: Option<String>,
    offset: u32,
}

enum FieldAttr {
    None,
    Ptr(Option<String>),
    Pad,
    Anon,
    Bitfields(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
enum RType {
    Prim(Prim),
    Array(Box<RType>, u32),
    Named(usize),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Prim {
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
}

impl Prim {
    fn int(size: u32, signed: bool) -> Option<Prim> {
        Some(match (size, signed) {
            (1, false) => Prim::U8,
            (2, false) => Prim::U16,
            (4, false) => Prim::U32,
            (8, false) => Prim::U64,
            (16, false) => Prim::U128,
            (1, true) => Prim::I8,
            (2, true) => Prim::I16,
            (4, true) => Prim::I32,
            (8, true) => Prim::I64,
            (16, true) => Prim::I128,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Prim::U8 => "u8",
            Prim::U16 => "u16",
            Prim::U32 => "u32",
            Prim::U64 => "u64",
            Prim::U128 => "u128",
            Prim::I8 => "i8",
            Prim::I16 => "i16",
            Prim::I32 => "i32",
            Prim::I64 => "i64",
            Prim::I128 => "i128",
            Prim::F32 => "f32",
            Prim::F64 => "f64",
        }
    }

    fn size(self) -> u32 {
        match self {
            Prim::U8 | Prim::I8 => 1,
            Prim::U16 | Prim::I16 => 2,
            Prim::U32 | Prim::I32 | Prim::F32 => 4,
            Prim::U64 | Prim::I64 | Prim::F64 => 8,
            Prim::U128 | Prim::I128 => 16,
        }
    }

    /// Rust's alignment on 64-bit targets (`u128` is 16-aligned since
    /// Rust 1.77, like C's `__int128`).
    fn align(self) -> u32 {
        self.size()
    }

    fn signed(self) -> Prim {
        match self {
            Prim::U8 => Prim::I8,
            Prim::U16 => Prim::I16,
            Prim::U32 => Prim::I32,
            Prim::U64 => Prim::I64,
            Prim::U128 => Prim::I128,
            p => p,
        }
    }
}

/// A bitfield getter/setter pair.
struct Accessor {
    /// The storage field.
    field: String,
    /// Its type (for a byte array, `u64`, which it is read into).
    storage: Prim,
    /// For a byte-array storage field (bitfields no integer can hold
    /// without overlapping other members), its length.
    bytes: Option<u32>,
    /// The C member name.
    name: String,
    /// Method identifiers.
    getter: String,
    setter: String,
    /// Bit position inside the storage, and width.
    shift: u32,
    width: u32,
    ret: AccessorType,
}

#[derive(Copy, Clone)]
enum AccessorType {
    Int(Prim),
    Bool,
}

struct EnumPlan {
    repr: Prim,
    variants: Vec<(String, String)>,
    /// Enumerators repeating an earlier value: (name, the variant).
    aliases: Vec<(String, String)>,
    /// Enumerators whose name cannot be a variant: (name, value).
    consts: Vec<(String, String)>,
}

/// What a member's type becomes in Rust.
enum Mapped {
    Ok {
        ty: RType,
        ptr: Option<Option<String>>,
    },
    Opaque {
        pad: RType,
        reason: String,
    },
}

/// A struct member after anonymous structs are flattened.
struct Slot<'b> {
    name: &'b str,
    ty: TypeId,
    bit_off: u64,
    bits: Option<u32>,
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Names a type must not take: the primitives the generated code uses.
const RESERVED_TYPES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "str", "Self",
];

/// A Rust identifier for C name `name`: itself, `r#name` for a keyword,
/// or `name_` where not even that works.
fn ident(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

impl<'b, 'a> RustGenerator<'b, 'a> {
    /// A generator over `btf`.
    pub fn new(btf: &'b Btf<'a>, opts: RustOptions) -> Self {
        RustGenerator {
            btf,
            opts,
            plans: Vec::new(),
            by_id: HashMap::new(),
            names: HashSet::new(),
            typedef_names: None,
            ptr_size: super::c::pointer_size(btf),
        }
    }

    /// Adds the type called `name` (see [`generate`]); returns its Rust
    /// name.
    ///
    /// # Errors
    ///
    /// See [`generate`].
    pub fn add_by_name(&mut self, name: &str) -> Result<String, CodegenError> {
        let (kinds, bare): (&[Kind], &str) = if let Some(n) = name.strip_prefix("struct ") {
            (&[Kind::Struct], n)
        } else if let Some(n) = name.strip_prefix("union ") {
            (&[Kind::Union], n)
        } else if let Some(n) = name.strip_prefix("enum ") {
            (&[Kind::Enum, Kind::Enum64], n)
        } else if let Some(n) = name.strip_prefix("typedef ") {
            (&[Kind::Typedef], n)
        } else {
            (
                &[
                    Kind::Struct,
                    Kind::Union,
                    Kind::Enum,
                    Kind::Enum64,
                    Kind::Typedef,
                ],
                name,
            )
        };
        let bare = bare.trim();
        let id = kinds
            .iter()
            .find_map(|&k| self.btf.find_by_name_kind(bare, k))
            .ok_or_else(|| CodegenError::NotFound(name.to_string()))?;
        self.add(id)
    }

    /// Adds type `id` (a struct, union, enum or typedef) and everything it
    /// contains; returns its Rust name.
    ///
    /// # Errors
    ///
    /// See [`generate`].
    pub fn add(&mut self, id: TypeId) -> Result<String, CodegenError> {
        let btf: &'b Btf<'a> = self.btf;
        let t = btf.type_by_id(id).ok_or(CodegenError::NoSuchType(id))?;
        if self.ptr_size != 8 {
            return Err(CodegenError::Unrepresentable {
                id,
                name: t.name().to_string(),
                reason: format!(
                    "the BTF is of a target with {}-byte pointers; bindings are for 64-bit ones",
                    self.ptr_size
                ),
            });
        }
        let idx = match t {
            Type::Struct(_) | Type::Union(_) | Type::Enum(_) | Type::Enum64(_) => {
                self.plan(id, None, 0)?
            }
            Type::Typedef(r) => {
                let name = t.name();
                let target = btf
                    .resolve(r.target)
                    .map_err(|_| CodegenError::TooDeep(id))?;
                let anon_named_by_this =
                    btf.name_offset(target).0 == 0 && self.typedef_name_of(target) == Some(id);
                if anon_named_by_this {
                    self.plan(target, None, 0)?
                } else {
                    if let Some(&i) = self.by_id.get(&id) {
                        return Ok(self.plan_name(i));
                    }
                    let ty = match self.map_type(r.target, name, 0)? {
                        Mapped::Ok { ty, .. } => ty,
                        Mapped::Opaque { pad, .. } => pad,
                    };
                    // `typedef struct foo foo;`: the struct is the answer.
                    if let RType::Named(i) = ty {
                        if self.plan_name(i) == name {
                            return Ok(self.plan_name(i));
                        }
                    }
                    let rust_name = self.unique_name(name);
                    self.push_plan(Plan {
                        id,
                        rust_name,
                        btf_name: None,
                        c_name: format!("`typedef {name}`"),
                        body: Body::Alias(ty),
                    })
                }
            }
            _ => {
                return Err(CodegenError::NotFound(format!(
                    "[{id}] (a {}, not a struct, union, enum or typedef)",
                    t.kind()
                )))
            }
        };
        Ok(self.plan_name(idx))
    }

    fn plan_name(&self, idx: usize) -> String {
        self.plans
            .get(idx)
            .map(|p| p.rust_name.clone())
            .unwrap_or_default()
    }

    fn push_plan(&mut self, plan: Plan) -> usize {
        self.by_id.insert(plan.id, self.plans.len());
        self.plans.push(plan);
        self.plans.len() - 1
    }

    /// The typedef that names anonymous type `id`, if any (the first one,
    /// by id).
    fn typedef_name_of(&mut self, id: TypeId) -> Option<TypeId> {
        let btf: &'b Btf<'a> = self.btf;
        let map = self.typedef_names.get_or_insert_with(|| {
            let mut map = HashMap::new();
            for (tid, t) in btf.types() {
                if let Type::Typedef(r) = t {
                    if btf.name_offset(r.target).0 == 0
                        && matches!(
                            btf.kind(r.target),
                            Some(Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64)
                        )
                    {
                        map.entry(r.target).or_insert(tid);
                    }
                }
            }
            map
        });
        map.get(&id).copied()
    }

    /// A Rust type name based on `base`, not yet in use.
    fn unique_name(&mut self, base: &str) -> String {
        let mut base = base.to_string();
        if RESERVED_TYPES.contains(&base.as_str()) {
            base.push('_');
        }
        let mut name = ident(&base);
        let mut n = 1;
        while self.names.contains(&name) {
            n += 1;
            name = format!("{base}___{n}");
        }
        self.names.insert(name.clone());
        name
    }

    /// Plans struct, union or enum `id` (once); `anon_name` names it if it
    /// is anonymous and no typedef does. Returns its plan index.
    fn plan(
        &mut self,
        id: TypeId,
        anon_name: Option<(String, String)>,
        depth: usize,
    ) -> Result<usize, CodegenError> {
        if let Some(&i) = self.by_id.get(&id) {
            if matches!(self.plans.get(i).map(|p| &p.body), Some(Body::Pending)) {
                return Err(CodegenError::Unrepresentable {
                    id,
                    name: self.plan_name(i),
                    reason: "the type contains itself".into(),
                });
            }
            return Ok(i);
        }
        if depth > MAX_NESTING {
            return Err(CodegenError::TooDeep(id));
        }
        let btf: &'b Btf<'a> = self.btf;
        let t = btf.type_by_id(id).ok_or(CodegenError::NoSuchType(id))?;
        let named = btf.name_offset(id).0 != 0;
        let kw = match t {
            Type::Struct(_) => "struct",
            Type::Union(_) => "union",
            _ => "enum",
        };
        let (rust_name, btf_name, c_name) = if named {
            let n = t.name();
            let rust = self.unique_name(n);
            let btf_name = (rust != n).then(|| n.to_string());
            (rust, btf_name, format!("`{kw} {n}`"))
        } else if let Some(td) = self.typedef_name_of(id) {
            let n = btf.name_of(td);
            let rust = self.unique_name(n);
            let btf_name = (rust != n).then(|| n.to_string());
            (rust, btf_name, format!("`typedef {kw} {{...}} {n}`"))
        } else {
            let (what, name) = anon_name.unwrap_or((String::new(), format!("anon_{}", id.0)));
            let rust = self.unique_name(&name);
            (rust, None, format!("`{kw} {{...}}`{what}"))
        };
        let idx = self.push_plan(Plan {
            id,
            rust_name: rust_name.clone(),
            btf_name,
            c_name,
            body: Body::Pending,
        });
        let body = match t {
            Type::Struct(c) => Body::Composite(self.layout_struct(id, &rust_name, &c, depth)?),
            Type::Union(c) => Body::Composite(self.layout_union(id, &rust_name, &c, depth)?),
            Type::Enum(e) | Type::Enum64(e) => self.plan_enum(&e),
            _ => return Err(CodegenError::NoSuchType(id)),
        };
        if let Some(p) = self.plans.get_mut(idx) {
            p.body = body;
        }
        Ok(idx)
    }

    fn plan_enum(&self, e: &Enum<'b>) -> Body {
        let Some(repr) = Prim::int(e.size, e.signed).filter(|p| p.size() <= 8) else {
            return Body::Alias(RType::Array(Box::new(RType::Prim(Prim::U8)), e.size));
        };
        if e.is_empty() {
            return Body::Alias(RType::Prim(repr));
        }
        let mut plan = EnumPlan {
            repr,
            variants: Vec::new(),
            aliases: Vec::new(),
            consts: Vec::new(),
        };
        let mut seen: HashMap<u64, String> = HashMap::new();
        for v in e.values() {
            let value = enum_value(e, v.value);
            // The derive names variants by their identifier: a raw or
            // renamed one would not match BTF.
            if ident(v.name) != v.name {
                plan.consts.push((ident(v.name), value));
                continue;
            }
            match seen.get(&v.value) {
                Some(first) => plan.aliases.push((v.name.to_string(), first.clone())),
                None => {
                    seen.insert(v.value, v.name.to_string());
                    plan.variants.push((v.name.to_string(), value));
                }
            }
        }
        if plan.variants.is_empty() {
            return Body::Alias(RType::Prim(repr));
        }
        Body::Enum(plan)
    }

    /// What type `ty` (of a member called `member`) becomes in Rust.
    fn map_type(&mut self, ty: TypeId, member: &str, depth: usize) -> Result<Mapped, CodegenError> {
        self.map_type_in(ty, member, None, depth)
    }

    fn map_type_in(
        &mut self,
        ty: TypeId,
        member: &str,
        parent: Option<&str>,
        depth: usize,
    ) -> Result<Mapped, CodegenError> {
        if depth > MAX_NESTING {
            return Err(CodegenError::TooDeep(ty));
        }
        let btf: &'b Btf<'a> = self.btf;
        let (rid, t) = btf
            .resolve_type(ty)
            .map_err(|_| CodegenError::TooDeep(ty))?;
        let opaque = |reason: &str| {
            let size = btf.size_of(rid).unwrap_or(0);
            Ok(Mapped::Opaque {
                pad: RType::Array(Box::new(RType::Prim(Prim::U8)), size),
                reason: reason.to_string(),
            })
        };
        match t {
            Type::Int(i) => match Prim::int(i.size, i.is_signed()) {
                Some(p) => Ok(Mapped::Ok {
                    ty: RType::Prim(p),
                    ptr: None,
                }),
                None => opaque("an integer of a size Rust does not have"),
            },
            Type::Float(f) => match f.size {
                4 => Ok(Mapped::Ok {
                    ty: RType::Prim(Prim::F32),
                    ptr: None,
                }),
                8 => Ok(Mapped::Ok {
                    ty: RType::Prim(Prim::F64),
                    ptr: None,
                }),
                _ => opaque("a floating-point type Rust does not have"),
            },
            Type::Enum(e) | Type::Enum64(e) => {
                let Some(p) = Prim::int(e.size, e.signed) else {
                    return opaque("an enum of a size Rust does not have");
                };
                // Generate the enum too, for its values.
                let anon = parent.map(|p| anon_member(p, member));
                self.plan(rid, anon, depth + 1)?;
                Ok(Mapped::Ok {
                    ty: RType::Prim(p),
                    ptr: None,
                })
            }
            Type::Ptr(p) => {
                if self.ptr_size != 8 {
                    return opaque("a pointer of a 32-bit target");
                }
                let target = btf.resolve(p.target).ok().and_then(|r| {
                    let named = btf.name_offset(r).0 != 0;
                    let composite =
                        matches!(btf.kind(r), Some(Kind::Struct | Kind::Union | Kind::Fwd));
                    (named && composite).then(|| essential_name(btf.name_of(r)).to_string())
                });
                Ok(Mapped::Ok {
                    ty: RType::Prim(Prim::U64),
                    ptr: Some(target),
                })
            }
            Type::Array(a) => match self.map_type_in(a.elem, member, parent, depth + 1)? {
                Mapped::Ok { ty, ptr: None } => Ok(Mapped::Ok {
                    ty: RType::Array(Box::new(ty), a.len),
                    ptr: None,
                }),
                Mapped::Ok { ty, ptr: Some(_) } => Ok(Mapped::Opaque {
                    pad: RType::Array(Box::new(ty), a.len),
                    reason: "an array of pointers (the derive checks single pointers only)".into(),
                }),
                Mapped::Opaque { pad, reason } => Ok(Mapped::Opaque {
                    pad: RType::Array(Box::new(pad), a.len),
                    reason,
                }),
            },
            Type::Struct(_) | Type::Union(_) => {
                let anon = parent.map(|p| anon_member(p, member));
                let idx = self.plan(rid, anon, depth + 1)?;
                Ok(Mapped::Ok {
                    ty: RType::Named(idx),
                    ptr: None,
                })
            }
            _ => opaque("a type without a layout"),
        }
    }

    fn rtype_size(&self, t: &RType) -> u32 {
        match t {
            RType::Prim(p) => p.size(),
            RType::Array(e, n) => self.rtype_size(e).saturating_mul(*n),
            RType::Named(i) => match self.plans.get(*i).map(|p| &p.body) {
                Some(Body::Composite(l)) => l.size,
                Some(Body::Enum(e)) => e.repr.size(),
                Some(Body::Alias(a)) => self.rtype_size(a),
                _ => 0,
            },
        }
    }

    fn rtype_align(&self, t: &RType) -> u32 {
        match t {
            RType::Prim(p) => p.align(),
            RType::Array(e, _) => self.rtype_align(e),
            RType::Named(i) => match self.plans.get(*i).map(|p| &p.body) {
                Some(Body::Composite(l)) => l.align,
                Some(Body::Enum(e)) => e.repr.align(),
                Some(Body::Alias(a)) => self.rtype_align(a),
                _ => 1,
            },
        }
    }

    fn rtype_pod(&self, t: &RType) -> bool {
        match t {
            RType::Prim(_) => true,
            RType::Array(e, _) => self.rtype_pod(e),
            RType::Named(i) => match self.plans.get(*i).map(|p| &p.body) {
                Some(Body::Composite(l)) => l.pod,
                Some(Body::Alias(a)) => self.rtype_pod(a),
                _ => false,
            },
        }
    }

    fn rtype_str(&self, t: &RType) -> String {
        match t {
            RType::Prim(p) => p.name().to_string(),
            RType::Array(e, n) => format!("[{}; {n}]", self.rtype_str(e)),
            RType::Named(i) => self.plan_name(*i),
        }
    }

    /// Flattens the members of struct `c` at `base` bits: anonymous
    /// struct members are lifted into it, as C lets code name them.
    fn slots(&self, c: &Composite<'b>, base: u64, out: &mut Vec<Slot<'b>>, depth: usize) {
        let btf: &'b Btf<'a> = self.btf;
        for m in c.members() {
            let mut off = base + u64::from(m.offset.0);
            let resolved = btf.resolve_type(m.ty).ok();
            if m.name.is_empty() && depth < MAX_NESTING {
                if let Some((_, Type::Struct(inner))) = resolved {
                    self.slots(&inner, off, out, depth + 1);
                    continue;
                }
            }
            let mut bits = m.bitfield_size.map(|b| u32::from(b.get()));
            if bits.is_none() {
                // Bitfields of BTF without kind_flag live in the INT.
                if let Some((_, Type::Int(i))) = resolved {
                    if u32::from(i.bits) < i.size * 8 {
                        bits = Some(u32::from(i.bits));
                        off += u64::from(i.bit_offset);
                    }
                }
            }
            out.push(Slot {
                name: m.name,
                ty: m.ty,
                bit_off: off,
                bits,
            });
        }
    }

    fn layout_struct(
        &mut self,
        id: TypeId,
        parent: &str,
        c: &Composite<'b>,
        depth: usize,
    ) -> Result<Layout, CodegenError> {
        let mut slots = Vec::new();
        self.slots(c, 0, &mut slots, 0);
        let size = u64::from(c.size);
        let mut b = Builder::new(parent);
        let mut cur: u64 = 0;
        let mut i = 0;
        let unrepresentable = |reason: String| CodegenError::Unrepresentable {
            id,
            name: parent.to_string(),
            reason,
        };
        while let Some(s) = slots.get(i) {
            if s.bits.is_some() {
                // A run of bitfields, cut into groups that each get one
                // storage integer.
                let run_end = (i..slots.len())
                    .find(|&k| slots.get(k).is_some_and(|n| n.bits.is_none()))
                    .unwrap_or(slots.len());
                let limit = slots.get(run_end).map_or(size, |n| n.bit_off / 8);
                while i < run_end {
                    let first = i;
                    let Some(g) = slots.get(i) else { break };
                    let mut lo = g.bit_off;
                    let mut hi = lo + u64::from(g.bits.unwrap_or(0));
                    let mut unit = self.unit_size(g.ty);
                    let mut win = bitfield_window(lo, hi, unit, cur, limit);
                    i += 1;
                    while let Some(n) = slots.get(i).filter(|_| i < run_end) {
                        let nlo = n.bit_off;
                        let nhi = nlo + u64::from(n.bits.unwrap_or(0));
                        let wend = match win {
                            Some((ws, ww)) => (ws + u64::from(ww)) * 8,
                            None => hi.div_ceil(8) * 8,
                        };
                        if win.is_some() && nhi <= wend {
                            hi = hi.max(nhi);
                        } else if nlo < wend {
                            // Shares bytes with the group: grow the storage.
                            lo = lo.min(nlo);
                            hi = hi.max(nhi);
                            unit = unit.max(self.unit_size(n.ty));
                            win = bitfield_window(lo, hi, unit, cur, limit);
                        } else {
                            break;
                        }
                        i += 1;
                    }
                    let group = slots.get(first..i).unwrap_or_default();
                    match win {
                        Some((start, w)) => {
                            b.pad_to(&mut cur, start);
                            self.add_bitfields(&mut b, group, start, w, &mut cur, true);
                        }
                        None => {
                            // No integer fits: keep the bytes, unchecked.
                            let (a, bend) = (lo / 8, hi.div_ceil(8));
                            if a < cur || bend > limit {
                                return Err(unrepresentable(format!(
                                    "bitfields at bits {lo}..{hi} overlap other members"
                                )));
                            }
                            b.pad_to(&mut cur, a);
                            let fname = b.fresh("_bitfield");
                            let names: Vec<&str> = group.iter().map(|g| g.name).collect();
                            if bend - a <= 8 {
                                self.add_byte_accessors(
                                    &mut b,
                                    group,
                                    a,
                                    &fname,
                                    (bend - a) as u32,
                                );
                            }
                            b.unchecked.push(UncheckedField {
                                field: fname.clone(),
                                member: names.join(", "),
                                offset: a as u32,
                                size: (bend - a) as u32,
                                btf_type: g.ty,
                                reason: Unchecked::Opaque {
                                    reason: "bitfields no Rust integer can hold".into(),
                                },
                            });
                            b.push(FieldPlan {
                                ident: fname,
                                btf_name: None,
                                ty: RType::Array(
                                    Box::new(RType::Prim(Prim::U8)),
                                    (bend - a) as u32,
                                ),
                                attr: FieldAttr::Pad,
                                doc: Some(format!(
                                    "Bitfields `{}` (no Rust integer can hold them here; unchecked).",
                                    names.join("`, `")
                                )),
                                offset: a as u32,
                            });
                            cur = bend;
                        }
                    }
                }
                continue;
            }
            i += 1;
            if s.bit_off % 8 != 0 {
                return Err(unrepresentable(format!(
                    "member `{}` is not at a whole byte",
                    s.name
                )));
            }
            let off = s.bit_off / 8;
            if off < cur {
                return Err(unrepresentable(format!(
                    "member `{}` overlaps the one before",
                    s.name
                )));
            }
            b.pad_to(&mut cur, off);
            let msize = u64::from(self.btf.size_of(s.ty).unwrap_or(0));
            self.add_member(&mut b, s, off, depth)?;
            cur = off + msize;
        }
        if cur > size {
            return Err(unrepresentable(format!(
                "members end at byte {cur}, past the size {size}"
            )));
        }
        b.pad_to(&mut cur, size);
        Ok(self.finish_layout(b, false, c.size))
    }

    /// Adds one member that is not a bitfield, at byte `off`.
    fn add_member(
        &mut self,
        b: &mut Builder,
        s: &Slot<'b>,
        off: u64,
        depth: usize,
    ) -> Result<(), CodegenError> {
        let btf: &'b Btf<'a> = self.btf;
        let msize = btf.size_of(s.ty).unwrap_or(0);
        if s.name.is_empty() {
            // An anonymous union (or, in a union, struct): a type of its
            // own, in a `#[btf(anon)]` field the validation matches by
            // offset.
            let k = b.next_anon();
            let tname = format!("{}__anon_{k}", b.parent);
            let fname = b.fresh(&format!("__anon_{k}"));
            let rid = btf.resolve(s.ty).map_err(|_| CodegenError::TooDeep(s.ty))?;
            let what = format!(", anonymous member {k} of `{}`", b.parent);
            let idx = match btf.type_by_id(rid) {
                Some(Type::Struct(_) | Type::Union(_)) => {
                    self.plan(rid, Some((what, tname)), depth + 1)?
                }
                _ => {
                    return Err(CodegenError::Unrepresentable {
                        id: s.ty,
                        name: b.parent.clone(),
                        reason: "an anonymous member that is not a struct or union".into(),
                    })
                }
            };
            b.push(FieldPlan {
                ident: fname,
                btf_name: None,
                ty: RType::Named(idx),
                attr: FieldAttr::Anon,
                doc: Some(anon_doc(btf, rid)),
                offset: off as u32,
            });
            return Ok(());
        }
        let parent = b.parent.clone();
        let (fident, btf_name) = b.member_ident(s.name);
        match self.map_type_in(s.ty, s.name, Some(&parent), depth)? {
            Mapped::Ok { ty, ptr } => b.push(FieldPlan {
                ident: fident,
                btf_name,
                ty,
                attr: match ptr {
                    Some(t) => FieldAttr::Ptr(t),
                    None => FieldAttr::None,
                },
                doc: None,
                offset: off as u32,
            }),
            Mapped::Opaque { pad, reason } => {
                b.unchecked.push(UncheckedField {
                    field: fident.clone(),
                    member: s.name.to_string(),
                    offset: off as u32,
                    size: msize,
                    btf_type: s.ty,
                    reason: Unchecked::Opaque {
                        reason: reason.clone(),
                    },
                });
                let c_type = btf.display(s.ty).to_string();
                b.push(FieldPlan {
                    ident: fident,
                    btf_name: None,
                    ty: pad,
                    attr: FieldAttr::Pad,
                    doc: Some(format!("C `{c_type}`: {reason}; unchecked.")),
                    offset: off as u32,
                });
            }
        }
        Ok(())
    }

    /// Adds a storage integer of `w` bytes at byte `start` holding the
    /// bitfields `group`, and their accessors.
    fn add_bitfields(
        &mut self,
        b: &mut Builder,
        group: &[Slot<'b>],
        start: u64,
        w: u32,
        cur: &mut u64,
        accessors: bool,
    ) {
        let storage = Prim::int(w, false).unwrap_or(Prim::U64);
        let fname = b.fresh("_bitfield");
        let names: Vec<String> = group
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| s.name.to_string())
            .collect();
        for s in group.iter().filter(|s| accessors && !s.name.is_empty()) {
            let ret = self.accessor_type(s.ty, w);
            let (getter, setter) = b.accessor_names(s.name);
            b.accessors.push(Accessor {
                field: fname.clone(),
                storage,
                bytes: None,
                name: s.name.to_string(),
                getter,
                setter,
                shift: (s.bit_off - start * 8) as u32,
                width: s.bits.unwrap_or(1),
                ret,
            });
        }
        let doc = if names.is_empty() {
            Some("Unnamed bitfields (padding).".to_string())
        } else {
            None
        };
        b.push(FieldPlan {
            ident: fname,
            btf_name: None,
            ty: RType::Prim(storage),
            attr: if names.is_empty() {
                FieldAttr::Pad
            } else {
                FieldAttr::Bitfields(names)
            },
            doc,
            offset: start as u32,
        });
        *cur = start + u64::from(w);
    }

    /// Accessors for bitfields `group` held in a byte array of `n` bytes
    /// (at most 8) at byte `start`.
    fn add_byte_accessors(
        &mut self,
        b: &mut Builder,
        group: &[Slot<'b>],
        start: u64,
        field: &str,
        n: u32,
    ) {
        for s in group.iter().filter(|s| !s.name.is_empty()) {
            let ret = self.accessor_type(s.ty, 8);
            let (getter, setter) = b.accessor_names(s.name);
            b.accessors.push(Accessor {
                field: field.to_string(),
                storage: Prim::U64,
                bytes: Some(n),
                name: s.name.to_string(),
                getter,
                setter,
                shift: (s.bit_off - start * 8) as u32,
                width: s.bits.unwrap_or(1),
                ret,
            });
        }
    }

    /// The size of a bitfield's declared type: C's allocation unit.
    fn unit_size(&self, ty: TypeId) -> u32 {
        match self.btf.resolve_type(ty) {
            Ok((_, Type::Int(i))) => i.size.min(8),
            Ok((_, Type::Enum(e) | Type::Enum64(e))) => e.size.min(8),
            _ => 1,
        }
    }

    /// The Rust type a bitfield of type `ty` reads as.
    fn accessor_type(&self, ty: TypeId, storage: u32) -> AccessorType {
        let fallback = AccessorType::Int(Prim::int(storage, false).unwrap_or(Prim::U64));
        let prim = match self.btf.resolve_type(ty) {
            Ok((_, Type::Int(i))) if i.encoding == IntEncoding::Bool => return AccessorType::Bool,
            Ok((_, Type::Int(i))) => Prim::int(i.size, i.is_signed()),
            Ok((_, Type::Enum(e) | Type::Enum64(e))) => Prim::int(e.size, e.signed),
            _ => None,
        };
        prim.map_or(fallback, AccessorType::Int)
    }

    fn layout_union(
        &mut self,
        id: TypeId,
        parent: &str,
        c: &Composite<'b>,
        depth: usize,
    ) -> Result<Layout, CodegenError> {
        let mut b = Builder::new(parent);
        for m in c.members() {
            let off = u64::from(m.offset.0);
            let slot = Slot {
                name: m.name,
                ty: m.ty,
                bit_off: off,
                bits: m.bitfield_size.map(|x| u32::from(x.get())),
            };
            if let Some(w) = slot.bits {
                if m.name.is_empty() {
                    // Unnamed bitfields are padding; `_pad` below keeps
                    // the size.
                    continue;
                }
                let unit = self.unit_size(m.ty);
                match bitfield_window(off, off + u64::from(w), unit, 0, u64::from(c.size)) {
                    Some((0, sw)) => {
                        // No accessors: reading a union field takes `unsafe`.
                        let mut cur = 0;
                        let one = std::slice::from_ref(&slot);
                        self.add_bitfields(&mut b, one, 0, sw, &mut cur, false);
                    }
                    _ => {
                        return Err(CodegenError::Unrepresentable {
                            id,
                            name: parent.to_string(),
                            reason: format!("bitfield `{}` cannot be held at offset 0", m.name),
                        })
                    }
                }
                continue;
            }
            if off != 0 {
                return Err(CodegenError::Unrepresentable {
                    id,
                    name: parent.to_string(),
                    reason: format!("union member `{}` is not at offset 0", m.name),
                });
            }
            self.add_member(&mut b, &slot, 0, depth)?;
        }
        Ok(self.finish_layout(b, true, c.size))
    }

    /// Packing, alignment, padding of unions and plain-data-ness.
    fn finish_layout(&self, mut b: Builder, is_union: bool, size: u32) -> Layout {
        if b.fields.is_empty() {
            // The derive needs a field; C allows empty structs and unions.
            let name = b.fresh("_pad");
            b.push(FieldPlan {
                ident: name,
                btf_name: None,
                ty: RType::Array(Box::new(RType::Prim(Prim::U8)), size),
                attr: FieldAttr::Pad,
                doc: None,
                offset: 0,
            });
        }
        let mut align = 1;
        let mut packed = false;
        for f in &b.fields {
            let a = self.rtype_align(&f.ty);
            align = align.max(a);
            if f.offset % a != 0 {
                packed = true;
            }
        }
        let mut max_field = 0;
        if is_union {
            max_field = b
                .fields
                .iter()
                .map(|f| self.rtype_size(&f.ty))
                .max()
                .unwrap_or(0);
            if max_field.next_multiple_of(align) != size {
                if max_field.next_multiple_of(align) > size {
                    packed = true;
                }
                if max_field < size {
                    // A member as large as the union gives it its size.
                    let name = b.fresh("_pad");
                    b.push(FieldPlan {
                        ident: name,
                        btf_name: None,
                        ty: RType::Array(Box::new(RType::Prim(Prim::U8)), size),
                        attr: FieldAttr::Pad,
                        doc: None,
                        offset: 0,
                    });
                    max_field = size;
                }
            }
        }
        if size % align != 0 {
            packed = true;
        }
        if packed {
            align = 1;
        }
        let pod = b
            .fields
            .iter()
            .all(|f| self.rtype_pod(&f.ty) && (!is_union || self.rtype_size(&f.ty) == max_field));
        let subset = !b.unchecked.is_empty();
        Layout {
            is_union,
            packed,
            subset,
            pod,
            size,
            align,
            fields: b.fields,
            accessors: b.accessors,
            unchecked: b.unchecked,
        }
    }

    /// The bindings for everything added so far.
    pub fn finish(self) -> Bindings {
        let mut code = String::new();
        let src = self.opts.source.as_deref().unwrap_or("BTF");
        let _ = writeln!(
            code,
            "// Generated by oxbpf (btf2rust) from {src}: do not edit.\n"
        );
        let mut items = Vec::with_capacity(self.plans.len());
        for (i, p) in self.plans.iter().enumerate() {
            if i > 0 {
                code.push('\n');
            }
            items.push(self.write_plan(&mut code, p));
        }
        Bindings { code, items }
    }

    fn derive_line(&self, extra: &str) -> String {
        format!("#[derive({}::BtfStruct, {extra})]\n", self.opts.crate_path)
    }

    fn btf_attr(&self, name: Option<&str>, subset: bool, no_pod: bool) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = name {
            parts.push(format!("name = \"{n}\""));
        }
        if subset {
            parts.push("subset".to_string());
        }
        if no_pod {
            parts.push("no_pod".to_string());
        }
        if self.opts.crate_path != DEFAULT_CRATE {
            parts.push(format!("crate = \"{}\"", self.opts.crate_path));
        }
        if parts.is_empty() {
            return None;
        }
        let mut out = String::new();
        write_attr(&mut out, 0, &parts);
        Some(out)
    }

    fn write_plan(&self, code: &mut String, p: &Plan) -> Item {
        let mut item = Item {
            rust_name: p.rust_name.clone(),
            id: p.id,
            c_name: p.c_name.clone(),
            kind: ItemKind::Alias,
            pod: true,
            subset: false,
            unchecked: Vec::new(),
        };
        match &p.body {
            Body::Composite(l) => {
                item.kind = if l.is_union {
                    ItemKind::Union
                } else {
                    ItemKind::Struct
                };
                item.pod = l.pod;
                item.subset = l.subset;
                item.unchecked = l.unchecked.clone();
                self.write_composite(code, p, l);
            }
            Body::Enum(e) => {
                item.kind = ItemKind::Enum;
                item.pod = false;
                self.write_enum(code, p, e);
            }
            Body::Alias(t) => {
                let _ = writeln!(code, "/// {}.", p.c_name);
                let _ = writeln!(
                    code,
                    "#[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]\npub type {} = {};",
                    p.rust_name,
                    self.rtype_str(t)
                );
            }
            Body::Pending => {}
        }
        item
    }

    fn write_composite(&self, code: &mut String, p: &Plan, l: &Layout) {
        let kw = if l.is_union { "union" } else { "struct" };
        let unit = if l.size == 1 { "byte" } else { "bytes" };
        let _ = writeln!(code, "/// {} ({} {unit}).", p.c_name, l.size);
        code.push_str(&self.derive_line("Clone, Copy"));
        code.push_str(if l.packed {
            "#[repr(C, packed)]\n"
        } else {
            "#[repr(C)]\n"
        });
        code.push_str("#[allow(non_camel_case_types, non_snake_case, dead_code)]\n");
        code.push_str("#[allow(clippy::upper_case_acronyms)]\n");
        if let Some(a) = self.btf_attr(p.btf_name.as_deref(), l.subset, !l.pod) {
            code.push_str(&a);
        }
        let _ = writeln!(code, "pub {kw} {} {{", p.rust_name);
        for f in &l.fields {
            if let Some(d) = &f.doc {
                let _ = writeln!(code, "    /// {d}");
            }
            let mut attrs = Vec::new();
            if let Some(n) = &f.btf_name {
                attrs.push(format!("name = \"{n}\""));
            }
            match &f.attr {
                FieldAttr::None => {}
                FieldAttr::Ptr(None) => attrs.push("ptr".into()),
                FieldAttr::Ptr(Some(t)) => attrs.push(format!("ptr = \"{t}\"")),
                FieldAttr::Pad => attrs.push("pad".into()),
                FieldAttr::Anon => attrs.push("anon".into()),
                FieldAttr::Bitfields(names) => {
                    attrs.push(format!("bitfields = \"{}\"", names.join(", ")))
                }
            }
            if !attrs.is_empty() {
                write_attr(code, 4, &attrs);
            }
            let head = format!("pub {}:", f.ident);
            write_breakable(code, &head, &self.rtype_str(&f.ty), ",");
        }
        code.push_str("}\n");
        if !l.accessors.is_empty() {
            code.push('\n');
            // Bitfields are named by C: `len`, `next`, `from_user`, ...
            code.push_str("#[allow(non_snake_case, dead_code)]\n");
            code.push_str("#[allow(clippy::len_without_is_empty, clippy::new_ret_no_self)]\n");
            code.push_str(
                "#[allow(clippy::should_implement_trait, clippy::wrong_self_convention)]\n",
            );
            let _ = writeln!(code, "impl {} {{", p.rust_name);
            for (i, a) in l.accessors.iter().enumerate() {
                if i > 0 {
                    code.push('\n');
                }
                write_accessor(code, a);
            }
            code.push_str("}\n");
        }
    }

    fn write_enum(&self, code: &mut String, p: &Plan, e: &EnumPlan) {
        let _ = writeln!(code, "/// {}.", p.c_name);
        code.push_str(&self.derive_line("Clone, Copy, Debug, PartialEq, Eq"));
        let _ = writeln!(code, "#[repr({})]", e.repr.name());
        code.push_str("#[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]\n");
        if let Some(a) = self.btf_attr(p.btf_name.as_deref(), false, false) {
            code.push_str(&a);
        }
        let _ = writeln!(code, "pub enum {} {{", p.rust_name);
        for (name, value) in &e.variants {
            write_breakable(code, &format!("{name} ="), value, ",");
        }
        code.push_str("}\n");
        if !e.aliases.is_empty() || !e.consts.is_empty() {
            code.push('\n');
            let _ = writeln!(
                code,
                "#[allow(non_upper_case_globals, dead_code)]\nimpl {} {{",
                p.rust_name
            );
            for (name, target) in &e.aliases {
                let head = format!("pub const {name}: Self =");
                write_breakable(code, &head, &format!("Self::{target}"), ";");
            }
            for (name, value) in &e.consts {
                let head = format!("pub const {name}: {} =", e.repr.name());
                write_breakable(code, &head, value, ";");
            }
            code.push_str("}\n");
        }
    }
}

/// Writes `#[btf(args)]` at `indent` the way rustfmt lays it out: on one
/// line unless the arguments are too wide (several arguments: over 70
/// columns; one: a line reaching 100 columns in a field, 101 on an item),
/// then one argument per line.
fn write_attr(code: &mut String, indent: usize, args: &[String]) {
    let pad = " ".repeat(indent);
    let joined = args.join(", ");
    let line_len = indent + "#[btf()]".len() + joined.len();
    let limit = if indent > 0 { 100 } else { 101 };
    let vertical = if args.len() > 1 {
        joined.len() > 70 || line_len > 100
    } else {
        line_len >= limit
    };
    if vertical {
        let _ = writeln!(code, "{pad}#[btf(");
        for (i, a) in args.iter().enumerate() {
            let comma = if i + 1 < args.len() { "," } else { "" };
            let _ = writeln!(code, "{pad}    {a}{comma}");
        }
        let _ = writeln!(code, "{pad})]");
    } else {
        let _ = writeln!(code, "{pad}#[btf({joined})]");
    }
}

/// Writes `{head} {tail}{end}` at four spaces of indentation, broken
/// after `head` the way rustfmt breaks a line over 100 columns: when the
/// second half then fits (and, for items other than enum variants, the
/// first half too; rustfmt leaves the line alone otherwise).
fn write_breakable(code: &mut String, head: &str, tail: &str, end: &str) {
    let line = format!("    {head} {tail}{end}");
    let first = format!("    {head}");
    let second = format!("        {tail}{end}");
    let variant = !head.starts_with("pub ");
    if line.len() > 100 && (variant || first.len() <= 100) && second.len() <= 100 {
        let _ = writeln!(code, "{first}\n{second}");
    } else {
        let _ = writeln!(code, "{line}");
    }
}

fn write_accessor(code: &mut String, a: &Accessor) {
    let sbits = a.storage.size() * 8;
    let field = format!("self.{}", a.field);
    // A byte array is read into a `u64` first (little-endian, as BTF
    // numbers bits).
    let (f, prelude) = match a.bytes {
        Some(n) => (
            "s".to_string(),
            format!(
                "        let mut raw = [0u8; 8];\n        raw[..{n}].copy_from_slice(&{field});\n        let s = u64::from_le_bytes(raw);\n"
            ),
        ),
        None => (field.clone(), String::new()),
    };
    let mask: u128 = if a.width >= 128 {
        u128::MAX
    } else {
        (1u128 << a.width) - 1
    };
    let sname = a.storage.name();
    let end = a.shift + a.width;
    let _ = writeln!(
        code,
        "    /// `{}: {}` (bits {}..{end} of `{}`).",
        a.name, a.width, a.shift, a.field
    );
    match a.ret {
        AccessorType::Bool => {
            let _ = writeln!(code, "    pub fn {}(&self) -> bool {{", a.getter);
            code.push_str(&prelude);
            let _ = writeln!(code, "        {} & 1 != 0", shifted(&f, a.shift));
        }
        AccessorType::Int(t) if is_signed(t) => {
            // Signed: move the field to the top, then shift it back down
            // arithmetically.
            let sgn = a.storage.signed().name();
            let left = sbits - end;
            let right = sbits - a.width;
            let up = if left > 0 {
                format!("({f} << {left}) as {sgn}")
            } else {
                format!("{f} as {sgn}")
            };
            let expr = if right > 0 {
                format!("({up}) >> {right}")
            } else {
                up
            };
            let _ = writeln!(code, "    pub fn {}(&self) -> {} {{", a.getter, t.name());
            code.push_str(&prelude);
            if t == a.storage.signed() {
                let _ = writeln!(code, "        {expr}");
            } else {
                let _ = writeln!(code, "        let v = {expr};");
                let _ = writeln!(code, "        v as {}", t.name());
            }
        }
        AccessorType::Int(t) => {
            let _ = writeln!(code, "    pub fn {}(&self) -> {} {{", a.getter, t.name());
            code.push_str(&prelude);
            let mut expr = shifted(&f, a.shift);
            if a.width < sbits {
                expr = format!("{expr} & {mask:#x}");
            }
            if t != a.storage {
                if expr == f {
                    expr = format!("{f} as {}", t.name());
                } else {
                    expr = format!("({expr}) as {}", t.name());
                }
            }
            let _ = writeln!(code, "        {expr}");
        }
    }
    code.push_str("    }\n\n");
    let vty = match a.ret {
        AccessorType::Bool => "bool",
        AccessorType::Int(t) => t.name(),
    };
    let _ = writeln!(code, "    /// Sets `{}`.", a.name);
    let _ = writeln!(code, "    pub fn {}(&mut self, value: {vty}) {{", a.setter);
    code.push_str(&prelude);
    let smask = (mask << a.shift) & storage_mask(sbits);
    let _ = writeln!(code, "        let mask: {sname} = {smask:#x};");
    let value = if vty == sname {
        "value".to_string()
    } else {
        format!("(value as {sname})")
    };
    let bits = if a.shift == 0 && value == "value" {
        "value"
    } else {
        let bits = if a.shift > 0 {
            format!("{value} << {}", a.shift)
        } else {
            value
                .trim_start_matches('(')
                .trim_end_matches(')')
                .to_string()
        };
        let _ = writeln!(code, "        let bits = {bits};");
        "bits"
    };
    match a.bytes {
        Some(n) => {
            let _ = writeln!(code, "        let s = ({f} & !mask) | ({bits} & mask);");
            let _ = writeln!(
                code,
                "        {field}.copy_from_slice(&s.to_le_bytes()[..{n}]);"
            );
        }
        None => {
            let _ = writeln!(code, "        {f} = ({f} & !mask) | ({bits} & mask);");
        }
    }
    code.push_str("    }\n");
}

fn is_signed(p: Prim) -> bool {
    matches!(p, Prim::I8 | Prim::I16 | Prim::I32 | Prim::I64 | Prim::I128)
}

fn storage_mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn shifted(f: &str, shift: u32) -> String {
    if shift > 0 {
        format!("({f} >> {shift})")
    } else {
        f.to_string()
    }
}

/// The doc comment of a field standing for anonymous member of type `id`.
fn anon_doc(btf: &Btf<'_>, id: TypeId) -> String {
    let (kw, names) = match btf.type_by_id(id) {
        Some(Type::Struct(c)) => ("struct", c.members()),
        Some(Type::Union(c)) => ("union", c.members()),
        _ => return "Anonymous member.".into(),
    };
    let total = names.len();
    let mut shown: Vec<String> = names
        .take(3)
        .map(|m| {
            if m.name.is_empty() {
                "{...}".to_string()
            } else {
                format!("`{}`", m.name)
            }
        })
        .collect();
    if total > 3 {
        shown.push("...".into());
    }
    format!(
        "Anonymous {kw} ({}), validated at this offset.",
        shown.join(", ")
    )
}

/// The name of the anonymous type of member `member` of `parent`.
fn anon_member(parent: &str, member: &str) -> (String, String) {
    (
        format!(", the type of `{parent}.{member}`"),
        format!("{parent}__{member}"),
    )
}

/// The value of an enumerator as a Rust literal of the enum's repr.
fn enum_value(e: &Enum<'_>, v: u64) -> String {
    match (e.signed, e.size) {
        (true, 1) => (v as i8).to_string(),
        (true, 2) => (v as i16).to_string(),
        (true, 4) => (v as i32).to_string(),
        (true, _) => (v as i64).to_string(),
        (false, 1) => (v as u8).to_string(),
        (false, 2) => (v as u16).to_string(),
        (false, 4) => (v as u32).to_string(),
        (false, _) => v.to_string(),
    }
}

/// The storage integer for bitfields at bits `lo..hi`, as (byte offset,
/// size): preferably the naturally aligned unit of their declared type
/// (`unit` bytes), as C allocates it, else the smallest naturally aligned
/// integer holding them, else (the struct is then packed) one starting at
/// their first byte. It must start at or after byte `cur` and end at or
/// before byte `limit`.
fn bitfield_window(lo: u64, hi: u64, unit: u32, cur: u64, limit: u64) -> Option<(u64, u32)> {
    let aligned = |min: u32| {
        [1u32, 2, 4, 8]
            .into_iter()
            .filter(|&w| w >= min)
            .find_map(|w| {
                let w64 = u64::from(w);
                let start = lo / 8 / w64 * w64;
                let fits = hi <= (start + w64) * 8 && start >= cur && start + w64 <= limit;
                fits.then_some((start, w))
            })
    };
    aligned(unit).or_else(|| aligned(1)).or_else(|| {
        let a = lo / 8;
        [1u32, 2, 4, 8].into_iter().find_map(|w| {
            let end = a + u64::from(w);
            (a >= cur && hi <= end * 8 && end <= limit).then_some((a, w))
        })
    })
}

/// Fields of one composite being laid out.
struct Builder {
    parent: String,
    fields: Vec<FieldPlan>,
    accessors: Vec<Accessor>,
    unchecked: Vec<UncheckedField>,
    /// Field and method identifiers in use.
    used: HashSet<String>,
    methods: HashSet<String>,
    counters: HashMap<String, u32>,
    anon: u32,
}

impl Builder {
    fn new(parent: &str) -> Self {
        Builder {
            parent: parent.to_string(),
            fields: Vec::new(),
            accessors: Vec::new(),
            unchecked: Vec::new(),
            used: HashSet::new(),
            methods: HashSet::new(),
            counters: HashMap::new(),
            anon: 0,
        }
    }

    fn push(&mut self, f: FieldPlan) {
        self.used.insert(f.ident.clone());
        self.fields.push(f);
    }

    fn next_anon(&mut self) -> u32 {
        self.anon += 1;
        self.anon
    }

    /// A generated field name: `{prefix}_N` (or `{prefix}` for `_pad`
    /// style names the first time), unused so far.
    fn fresh(&mut self, prefix: &str) -> String {
        loop {
            let name = if prefix.starts_with("__anon_") {
                let n = self.counters.entry(prefix.to_string()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    prefix.to_string()
                } else {
                    format!("{prefix}_{n}")
                }
            } else {
                let n = self.counters.entry(prefix.to_string()).or_insert(0);
                *n += 1;
                format!("{prefix}_{n}")
            };
            if !self.used.contains(&name) {
                self.used.insert(name.clone());
                return name;
            }
        }
    }

    /// The identifier for member `name`, and the `#[btf(name)]` it needs.
    fn member_ident(&mut self, name: &str) -> (String, Option<String>) {
        let id = ident(name);
        if id.strip_prefix("r#").unwrap_or(&id) == name && !self.used.contains(&id) {
            return (id, None);
        }
        let mut alt = format!("{name}_");
        while self.used.contains(&alt) {
            alt.push('_');
        }
        (alt, Some(name.to_string()))
    }

    /// Getter and setter identifiers for bitfield `name`.
    fn accessor_names(&mut self, name: &str) -> (String, String) {
        let mut getter = ident(name);
        while self.methods.contains(&getter) {
            getter.push('_');
        }
        self.methods.insert(getter.clone());
        let mut setter = format!("set_{name}");
        while self.methods.contains(&setter) {
            setter.push('_');
        }
        self.methods.insert(setter.clone());
        (getter, setter)
    }

    /// Pads from `*cur` to byte `to` with an explicit byte array.
    fn pad_to(&mut self, cur: &mut u64, to: u64) {
        if to > *cur {
            let name = self.fresh("_pad");
            let len = (to - *cur) as u32;
            self.push(FieldPlan {
                ident: name,
                btf_name: None,
                ty: RType::Array(Box::new(RType::Prim(Prim::U8)), len),
                attr: FieldAttr::Pad,
                doc: None,
                offset: *cur as u32,
            });
            *cur = to;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BtfBuilder, MemberSpec};

    fn m(name: &str, ty: TypeId, bit_offset: u32, bitfield_size: u8) -> MemberSpec<'_> {
        MemberSpec {
            name,
            ty,
            bit_offset,
            bitfield_size,
        }
    }

    fn gen(b: BtfBuilder, names: &[&str]) -> Bindings {
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        generate(&btf, names, &RustOptions::default()).unwrap()
    }

    fn item<'x>(b: &'x Bindings, name: &str) -> &'x Item {
        b.items
            .iter()
            .find(|i| i.rust_name == name)
            .unwrap_or_else(|| panic!("no item {name} in {:?}", b.items))
    }

    #[test]
    fn anonymous_types_get_deterministic_names() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let long = b.add_int("long", 8, IntEncoding::Signed);
        let inner = b
            .add_struct("", 8, &[m("x", int, 0, 0), m("y", int, 32, 0)])
            .unwrap();
        let un = b
            .add_union("", 8, &[m("", inner, 0, 0), m("whole", long, 0, 0)])
            .unwrap();
        let lifted = b.add_struct("", 4, &[m("z", int, 0, 0)]).unwrap();
        let named_t = b.add_struct("", 4, &[m("w", int, 0, 0)]).unwrap();
        let td = b.add_struct("", 4, &[m("counter", int, 0, 0)]).unwrap();
        let atomic = b.add_typedef("atomic_t", td);
        b.add_struct(
            "outer",
            24,
            &[
                m("", un, 0, 0),
                m("", lifted, 64, 0),
                m("named", named_t, 96, 0),
                m("refs", atomic, 128, 0),
            ],
        )
        .unwrap();
        let out = gen(b, &["outer"]);
        let names: Vec<&str> = out.items.iter().map(|i| i.rust_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "outer",
                "outer__anon_1",
                "outer__anon_1__anon_1",
                "outer__named",
                "atomic_t"
            ]
        );
        // The anonymous struct is lifted: its member is a field of `outer`.
        assert!(out
            .code
            .contains("    pub z: i32,\n    pub named: outer__named,\n"));
        let outer = item(&out, "outer");
        // The anonymous union is an `anon` field, checked: nothing is left
        // unchecked, so the type is not a subset.
        assert!(!outer.subset && outer.pod);
        assert!(outer.unchecked.is_empty(), "{:?}", outer.unchecked);
        assert!(
            out.code
                .contains("    #[btf(anon)]\n    pub __anon_1: outer__anon_1,\n"),
            "{}",
            out.code
        );
        // A union whose members are smaller than it is not plain data.
        let u = item(&out, "outer__anon_1");
        assert_eq!(u.kind, ItemKind::Union);
        assert!(u.pod, "both members are 8 bytes");
        assert_eq!(item(&out, "atomic_t").id, td);
    }

    #[test]
    fn bitfields_padding_and_packing() {
        let mut b = BtfBuilder::new();
        let u8_ = b.add_int("unsigned char", 1, IntEncoding::Unsigned);
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
        let boolean = b.add_int("_Bool", 1, IntEncoding::Bool);
        b.add_struct(
            "flags",
            12,
            &[
                m("tag", u8_, 0, 0),
                m("lo", uint, 8, 4),
                m("neg", int, 12, 5),
                m("on", boolean, 17, 1),
                m("after", int, 64, 0),
            ],
        )
        .unwrap();
        b.add_struct("packed", 5, &[m("c", u8_, 0, 0), m("i", int, 8, 0)])
            .unwrap();
        let out = gen(b, &["flags", "packed"]);
        let code = &out.code;
        // The bitfields sit in bytes 1..3, after `tag`. Their C unit (an
        // `unsigned int` at byte 0) overlaps `tag`, and no aligned integer
        // after `tag` holds them: a `u16` at byte 1 does, in a packed
        // struct.
        assert!(
            code.contains("    pub tag: u8,\n    #[btf(bitfields = \"lo, neg, on\")]\n"),
            "{code}"
        );
        assert!(code.contains("pub fn neg(&self) -> i32 {"), "{code}");
        assert!(code.contains("pub fn on(&self) -> bool {"), "{code}");
        assert!(
            code.contains("pub fn set_on(&mut self, value: bool) {"),
            "{code}"
        );
        assert!(
            code.contains("#[repr(C, packed)]\n#[allow(non_camel_case_types, non_snake_case, dead_code)]\n#[allow(clippy::upper_case_acronyms)]\npub struct flags {"),
            "{code}"
        );
        assert!(code.contains("    pub _bitfield_1: u16,\n    #[btf(pad)]\n    pub _pad_1: [u8; 5],\n    pub after: i32,\n"), "{code}");
        assert!(!item(&out, "flags").subset);
        // A C-packed struct is a packed Rust struct.
        assert!(code.contains("#[repr(C, packed)]\n#[allow(non_camel_case_types, non_snake_case, dead_code)]\n#[allow(clippy::upper_case_acronyms)]\npub struct packed {"), "{code}");
    }

    #[test]
    fn names_that_rust_reserves() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        b.add_struct(
            "u32",
            12,
            &[
                m("type", int, 0, 0),
                m("self", int, 32, 0),
                m("_", int, 64, 0),
            ],
        )
        .unwrap();
        b.add_struct("dup", 4, &[m("a", int, 0, 0)]).unwrap();
        b.add_enum(
            "e",
            4,
            true,
            false,
            &[("A", 1), ("B", 1), ("true", 2), ("NEG", -3i64 as u64)],
        )
        .unwrap();
        let dup2 = b.add_struct("dup", 4, &[m("b", int, 0, 0)]).unwrap();
        let out = gen(b, &["u32", "dup", "e", "struct dup"]);
        let code = &out.code;
        assert!(
            code.contains("#[btf(name = \"u32\")]\npub struct u32_ {"),
            "{code}"
        );
        assert!(code.contains("    pub r#type: i32,\n"), "{code}");
        assert!(
            code.contains("    #[btf(name = \"self\")]\n    pub self_: i32,\n"),
            "{code}"
        );
        assert!(
            code.contains("    #[btf(name = \"_\")]\n    pub __: i32,\n"),
            "{code}"
        );
        assert!(code.contains("#[repr(i32)]\n"), "{code}");
        assert!(code.contains("    A = 1,\n    NEG = -3,\n}"), "{code}");
        assert!(
            code.contains("    pub const B: Self = Self::A;\n"),
            "{code}"
        );
        assert!(code.contains("    pub const r#true: i32 = 2;\n"), "{code}");
        // `struct dup` finds the first; the second is not generated.
        assert!(!out.items.iter().any(|i| i.id == dup2));
    }

    #[test]
    fn errors() {
        let mut b = BtfBuilder::new();
        let long = b.add_int("long", 4, IntEncoding::Signed);
        b.add_struct("ilp32", 4, &[m("l", long, 0, 0)]).unwrap();
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        let opts = RustOptions::default();
        assert!(matches!(
            generate(&btf, &["nope"], &opts),
            Err(CodegenError::NotFound(n)) if n == "nope"
        ));
        assert!(matches!(
            generate(&btf, &["ilp32"], &opts),
            Err(CodegenError::Unrepresentable { .. })
        ));
    }

    #[test]
    fn deep_and_looping_btf_is_an_error_not_a_crash() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let mut inner = b.add_struct("s2000", 4, &[m("x", int, 0, 0)]).unwrap();
        for i in (0..2000).rev() {
            let name = format!("s{i}");
            inner = b.add_struct(&name, 4, &[m("x", inner, 0, 0)]).unwrap();
        }
        // A struct containing itself, and a typedef loop.
        let me = b.next_id();
        b.add_struct("me", 4, &[m("me", me, 0, 0)]).unwrap();
        let td = b.next_id();
        b.add_typedef("loop_t", TypeId(td.0 + 1));
        b.add_typedef("loop2_t", td);
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        let opts = RustOptions::default();
        let err = generate(&btf, &["s0"], &opts).unwrap_err();
        assert!(matches!(err, CodegenError::TooDeep(_)), "{err}");
        let err = generate(&btf, &["me"], &opts).unwrap_err();
        assert!(matches!(err, CodegenError::Unrepresentable { .. }), "{err}");
        let err = generate(&btf, &["loop_t"], &opts).unwrap_err();
        assert!(matches!(err, CodegenError::TooDeep(_)), "{err}");
        // Not as deep: fine.
        let out = generate(&btf, &["s1950"], &opts).unwrap();
        assert_eq!(out.items.len(), 51);
    }
}
