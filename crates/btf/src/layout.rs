//! Rust types described in BTF terms, checked against BTF, and emitted as
//! BTF.
//!
//! [`BtfLayout`] is what `#[derive(BtfStruct)]` (crate `oxbpf-derive`)
//! implements: a description of a `#[repr(C)]` type's memory layout, field
//! by field. [`validate`] compares it with a BTF type (from an object, a
//! map, or the kernel) and returns every difference at once, as a table
//! with both sides. [`emit`] writes the description into a [`BtfBuilder`],
//! so that maps created from Rust carry BTF for their keys and values.
//!
//! ```
//! use oxbpf_btf::layout::{validate_by_name, BtfLayout, FieldType};
//! use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec};
//!
//! // The C side: struct pair { int a; unsigned int b; };
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, IntEncoding::Signed);
//! let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
//! b.add_struct("pair", 8, &[
//!     MemberSpec { name: "a", ty: int, bit_offset: 0, bitfield_size: 0 },
//!     MemberSpec { name: "b", ty: uint, bit_offset: 32, bitfield_size: 0 },
//! ])?;
//! let btf = Btf::parse_owned(b.to_bytes()?)?;
//!
//! // Primitives describe themselves; derived structs describe their fields.
//! assert_eq!(u32::btf_type(), FieldType::Int { size: 4, signed: false });
//! // A `u64` is not a `struct pair`:
//! let err = validate_by_name::<u64>(&btf, "pair").unwrap_err();
//! assert!(err.to_string().contains("expected an integer"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::{
    Btf, BtfBuilder, BuildError, Composite, Datasec, IntEncoding, Kind, MemberSpec, Type, TypeId,
};

/// The BTF-relevant description of a Rust type.
///
/// Implemented for the primitive integers, `bool`, `f32`, `f64` and arrays
/// of implementors, and by `#[derive(BtfStruct)]` for `#[repr(C)]` structs,
/// unions and field-less enums.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no BTF layout description (`BtfLayout`)",
    label = "no `BtfLayout`",
    note = "derive it with `#[derive(oxbpf::BtfStruct)]` on a `#[repr(C)]` type"
)]
pub trait BtfLayout {
    /// What this type is, in BTF terms.
    fn btf_type() -> FieldType;

    /// Emits this type (and every type it uses) into `builder` and returns
    /// its id: how maps created from Rust get BTF key and value types.
    fn emit_btf(builder: &mut BtfBuilder) -> Result<TypeId, BuildError>
    where
        Self: Sized,
    {
        emit::<Self>(builder)
    }
}

/// A type, as BTF sees it.
#[derive(Clone, Debug)]
pub enum FieldType {
    /// An integer of `size` bytes.
    Int {
        /// Size in bytes.
        size: usize,
        /// Signedness.
        signed: bool,
    },
    /// `bool` (`_Bool`).
    Bool,
    /// `f32` / `f64`.
    Float {
        /// Size in bytes.
        size: usize,
    },
    /// `[T; len]`.
    Array {
        /// The element type.
        elem: Box<FieldType>,
        /// The element count.
        len: usize,
    },
    /// A derived struct, union or enum.
    Composite(&'static Layout),
    /// A kernel pointer held as a `u64` (`#[btf(ptr)]`), optionally to a
    /// named struct.
    Ptr {
        /// The pointee's name (`task_struct`), if given.
        target: Option<&'static str>,
    },
}

/// Whether a derived type is a struct, a union or an enum.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CompositeKind {
    /// `#[repr(C)] struct`
    Struct,
    /// `#[repr(C)] union`
    Union,
    /// A field-less enum with an integer `repr`.
    Enum {
        /// Whether the repr is a signed integer.
        signed: bool,
    },
}

/// The description of a derived type.
#[derive(Debug)]
pub struct Layout {
    /// The BTF name to bind to (`#[btf(name = "...")]`, else the Rust
    /// name).
    pub name: &'static str,
    /// The Rust type's name.
    pub rust_name: &'static str,
    /// `size_of::<T>()`.
    pub size: usize,
    /// `align_of::<T>()`.
    pub align: usize,
    /// Struct, union or enum.
    pub kind: CompositeKind,
    /// The fields (empty for enums).
    pub fields: &'static [Field],
    /// The enum's variants and values (empty for structs and unions).
    pub variants: &'static [(&'static str, i128)],
    /// `#[btf(subset)]`: the Rust type names some of the BTF type's fields
    /// (each at its exact offset) and may be smaller.
    pub subset: bool,
}

/// One field of a derived struct or union.
#[derive(Debug)]
pub struct Field {
    /// The BTF member name (`#[btf(name = "...")]`, else the Rust name).
    pub name: &'static str,
    /// The Rust field name.
    pub rust_name: &'static str,
    /// `offset_of!` the field.
    pub offset: usize,
    /// `size_of` the field's type.
    pub size: usize,
    /// The field's type (a function, so descriptions can be `static`).
    pub ty: fn() -> FieldType,
    /// `#[btf(pad)]`: explicit padding, with no BTF counterpart; skipped by
    /// validation and emission.
    pub pad: bool,
    /// `#[btf(anon)]`: stands for an anonymous struct or union member
    /// (C's `union { ... };` inside a struct), which has no name to match
    /// by. Validated against the BTF member without a name at the same
    /// offset, its type checked like a named member's (a report names it
    /// by its Rust field name); emitted as a member without a name. Its
    /// `name` is empty.
    pub anon: bool,
    /// `#[btf(bitfields = "a, b")]`: an integer holding the storage of
    /// these BTF bitfield members (a Rust field cannot be a bitfield).
    pub bitfields: &'static [&'static str],
}

/// Derived layouts are `static`s: two are the same type exactly when they
/// are the same static.
impl PartialEq for FieldType {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FieldType::Int { size: a, signed: x }, FieldType::Int { size: b, signed: y }) => {
                a == b && x == y
            }
            (FieldType::Bool, FieldType::Bool) => true,
            (FieldType::Float { size: a }, FieldType::Float { size: b }) => a == b,
            (FieldType::Array { elem: a, len: x }, FieldType::Array { elem: b, len: y }) => {
                a == b && x == y
            }
            (FieldType::Composite(a), FieldType::Composite(b)) => std::ptr::eq(*a, *b),
            (FieldType::Ptr { target: a }, FieldType::Ptr { target: b }) => a == b,
            _ => false,
        }
    }
}
impl Eq for FieldType {}

macro_rules! ints {
    ($($t:ty => $signed:expr),*) => {$(
        impl BtfLayout for $t {
            fn btf_type() -> FieldType {
                FieldType::Int { size: std::mem::size_of::<$t>(), signed: $signed }
            }
        }
    )*};
}
ints!(u8 => false, u16 => false, u32 => false, u64 => false, u128 => false, usize => false,
      i8 => true, i16 => true, i32 => true, i64 => true, i128 => true, isize => true);

impl BtfLayout for bool {
    fn btf_type() -> FieldType {
        FieldType::Bool
    }
}
impl BtfLayout for f32 {
    fn btf_type() -> FieldType {
        FieldType::Float { size: 4 }
    }
}
impl BtfLayout for f64 {
    fn btf_type() -> FieldType {
        FieldType::Float { size: 8 }
    }
}
impl<T: BtfLayout, const N: usize> BtfLayout for [T; N] {
    fn btf_type() -> FieldType {
        FieldType::Array {
            elem: Box::new(T::btf_type()),
            len: N,
        }
    }
}

impl FieldType {
    /// The size in bytes of a value of this type.
    pub fn size(&self) -> usize {
        match self {
            FieldType::Int { size, .. } | FieldType::Float { size } => *size,
            FieldType::Bool => 1,
            FieldType::Array { elem, len } => elem.size() * len,
            FieldType::Composite(l) => l.size,
            FieldType::Ptr { .. } => 8,
        }
    }
}

impl fmt::Display for FieldType {
    /// The Rust spelling (`u32`, `[u8; 16]`, `Event`, `u64 (ptr)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Int { size, signed } => {
                write!(f, "{}{}", if *signed { 'i' } else { 'u' }, size * 8)
            }
            FieldType::Bool => f.write_str("bool"),
            FieldType::Float { size } => write!(f, "f{}", size * 8),
            FieldType::Array { elem, len } => write!(f, "[{elem}; {len}]"),
            FieldType::Composite(l) => f.write_str(l.rust_name),
            FieldType::Ptr { target: Some(t) } => write!(f, "u64 (*{t})"),
            FieldType::Ptr { target: None } => f.write_str("u64 (ptr)"),
        }
    }
}

/// What is wrong with one field (or the type as a whole).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// The field is at a different byte offset.
    Offset,
    /// The field (or type) has a different size.
    Size,
    /// One side is signed, the other not.
    Signedness,
    /// The arrays have different element counts.
    ElementCount,
    /// The types are of different kinds (integer vs struct, ...).
    Kind,
    /// The BTF type has a member the Rust type lacks.
    MissingInRust,
    /// The Rust type has a field the BTF type lacks.
    MissingInBtf,
    /// The BTF member is a bitfield, which a Rust field cannot mirror.
    Bitfield,
    /// An enum variant's value differs, or the variant is missing.
    EnumValue,
    /// The BTF type could not be resolved (a broken reference, a loop).
    Unresolved,
}

impl Problem {
    fn describe(self) -> &'static str {
        match self {
            Problem::Offset => "offset differs",
            Problem::Size => "size differs",
            Problem::Signedness => "signedness differs",
            Problem::ElementCount => "element count differs",
            Problem::Kind => "kind differs",
            Problem::MissingInRust => "missing in Rust",
            Problem::MissingInBtf => "missing in BTF",
            Problem::Bitfield => "BTF member is a bitfield",
            Problem::EnumValue => "enum value differs",
            Problem::Unresolved => "BTF type unresolved",
        }
    }
}

/// One row of a [`LayoutMismatch`] report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The field's path (`comm`, `hdr.len`, `[size]` for the type itself).
    /// Named fields appear by their BTF name; an `#[btf(anon)]` field, whose
    /// BTF member has no name, by its Rust field name (`__anon_1.addrs` for
    /// btf2rust's `iphdr`, `payload.halves.hi` for a hand-written view).
    pub path: String,
    /// The Rust side (`u32 @ 4`), or `-` if absent.
    pub rust: String,
    /// The BTF side (`int @ 4`), or `-` if absent.
    pub btf: String,
    /// What is wrong.
    pub problem: Problem,
}

/// A Rust type's layout does not match a BTF type. Its `Display` is a
/// table listing every difference with both sides:
///
/// ```text
/// `Event` does not match BTF struct event [7]:
///   field | Rust      | BTF             | problem
///   ------+-----------+-----------------+-------------------
///   pid   | u32 @ 0   | int @ 0         | signedness differs
///   extra | -         | long long @ 16  | missing in Rust
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LayoutMismatch {
    /// The Rust type.
    pub rust_type: &'static str,
    /// The BTF type, as C spells it (`struct event`).
    pub btf_type: String,
    /// Its id.
    pub btf_id: TypeId,
    /// Every difference found.
    pub differences: Vec<Difference>,
}

impl fmt::Display for LayoutMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "`{}` does not match BTF {} [{}]:",
            self.rust_type, self.btf_type, self.btf_id
        )?;
        let head = ["field", "Rust", "BTF", "problem"];
        let rows: Vec<[&str; 4]> = self
            .differences
            .iter()
            .map(|d| {
                [
                    d.path.as_str(),
                    d.rust.as_str(),
                    d.btf.as_str(),
                    d.problem.describe(),
                ]
            })
            .collect();
        let mut w = head.map(str::len);
        for r in &rows {
            for (wi, c) in w.iter_mut().zip(r) {
                *wi = (*wi).max(c.len());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, r: &[&str; 4]| {
            writeln!(
                f,
                "  {:w0$} | {:w1$} | {:w2$} | {}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            )
        };
        line(f, &head)?;
        writeln!(
            f,
            "  {}-+-{}-+-{}-+-{}",
            "-".repeat(w[0]),
            "-".repeat(w[1]),
            "-".repeat(w[2]),
            "-".repeat(w[3])
        )?;
        for r in &rows {
            line(f, r)?;
        }
        Ok(())
    }
}

/// An error looking up the BTF type to validate against.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// No struct, union, enum or typedef has this name.
    #[error("no BTF type named `{0}`")]
    NotFound(String),
    /// The layouts differ.
    #[error(transparent)]
    Mismatch(#[from] LayoutMismatch),
}

/// Checks that `T`'s layout matches BTF type `id` (after resolving
/// typedefs and qualifiers), field by field, recursively. Returns every
/// difference at once.
pub fn validate<T: BtfLayout + ?Sized>(btf: &Btf<'_>, id: TypeId) -> Result<(), LayoutMismatch> {
    validate_type(btf, id, &T::btf_type(), std::any::type_name::<T>())
}

/// Checks a [`FieldType`] against BTF type `id`; see [`validate`].
pub fn validate_type(
    btf: &Btf<'_>,
    id: TypeId,
    ty: &FieldType,
    rust_type: &'static str,
) -> Result<(), LayoutMismatch> {
    let mut v = Validator {
        btf,
        diffs: Vec::new(),
    };
    v.check(id, ty, "", 0, 0);
    if v.diffs.is_empty() {
        return Ok(());
    }
    let rust_type = match ty {
        FieldType::Composite(l) => l.rust_name,
        _ => rust_type,
    };
    Err(LayoutMismatch {
        rust_type,
        btf_type: btf.display(id).to_string(),
        btf_id: id,
        differences: v.diffs,
    })
}

/// Finds the BTF type named `name` (a struct, union or enum of that name,
/// else a typedef) and [`validate`]s `T` against it.
///
/// A struct can also be validated against a `DATASEC` (pass its id to
/// [`validate`]): the section's variables are its members, so a Rust view
/// of `.rodata` or `.data` is checked variable by variable.
pub fn validate_by_name<T: BtfLayout + ?Sized>(
    btf: &Btf<'_>,
    name: &str,
) -> Result<TypeId, ValidateError> {
    let id = find_named(btf, name, &T::btf_type())
        .ok_or_else(|| ValidateError::NotFound(name.into()))?;
    validate::<T>(btf, id)?;
    Ok(id)
}

/// [`validate_by_name`] using the type's own BTF name (its
/// `#[btf(name = "...")]`, else its Rust name).
pub fn validate_named<T: BtfLayout + ?Sized>(btf: &Btf<'_>) -> Result<TypeId, ValidateError> {
    match T::btf_type() {
        FieldType::Composite(l) => validate_by_name::<T>(btf, l.name),
        other => Err(ValidateError::NotFound(other.to_string())),
    }
}

fn find_named(btf: &Btf<'_>, name: &str, ty: &FieldType) -> Option<TypeId> {
    let preferred = match ty {
        FieldType::Composite(l) => match l.kind {
            CompositeKind::Struct => &[Kind::Struct][..],
            CompositeKind::Union => &[Kind::Union][..],
            CompositeKind::Enum { .. } => &[Kind::Enum, Kind::Enum64][..],
        },
        _ => &[][..],
    };
    preferred
        .iter()
        .chain(&[
            Kind::Struct,
            Kind::Union,
            Kind::Enum,
            Kind::Enum64,
            Kind::Typedef,
        ])
        .find_map(|&k| btf.find_by_name_kind(name, k))
}

struct Validator<'b, 'a> {
    btf: &'b Btf<'a>,
    diffs: Vec<Difference>,
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

impl Validator<'_, '_> {
    fn diff(&mut self, path: &str, rust: String, btf: String, problem: Problem) {
        let path = if path.is_empty() {
            "[type]".to_string()
        } else {
            path.to_string()
        };
        self.diffs.push(Difference {
            path,
            rust,
            btf,
            problem,
        });
    }

    fn btf_side(&self, id: TypeId, off: Option<usize>) -> String {
        let d = self.btf.display(id).to_string();
        match off {
            Some(o) => format!("{d} @ {o}"),
            None => d,
        }
    }

    /// Compares Rust type `ty` at `rust_off` with BTF type `id` at
    /// `btf_off` (offsets only for the report).
    fn check(&mut self, id: TypeId, ty: &FieldType, path: &str, rust_off: usize, btf_off: usize) {
        let at = |o: usize| if path.is_empty() { None } else { Some(o) };
        let rust_side = |o: usize| match at(o) {
            Some(o) => format!("{ty} @ {o}"),
            None => ty.to_string(),
        };
        let (rid, t) = match self.btf.resolve_type(id) {
            Ok(x) => x,
            Err(e) => {
                let btf = format!("[{id}]: {e}");
                return self.diff(path, rust_side(rust_off), btf, Problem::Unresolved);
            }
        };
        let btf_side = self.btf_side(id, at(btf_off));
        match (ty, t) {
            (FieldType::Int { size, signed }, Type::Int(i)) => {
                // Plain `char` is signed or unsigned depending on the target
                // and flags (clang's BPF target: signed; the kernel builds
                // with -funsigned-char): both u8 and i8 mirror it.
                let plain_char =
                    i.encoding == IntEncoding::Char || (i.size == 1 && i.name == "char");
                if *size != i.size as usize {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Size);
                } else if !plain_char && *signed != i.is_signed() {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Signedness);
                }
            }
            (FieldType::Int { size, signed }, Type::Enum(e) | Type::Enum64(e)) => {
                if *size != e.size as usize {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Size);
                } else if *signed != e.signed {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Signedness);
                }
            }
            (FieldType::Bool, Type::Int(i)) => {
                if i.size != 1 {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Size);
                } else if i.encoding != IntEncoding::Bool {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Kind);
                }
            }
            (FieldType::Float { size }, Type::Float(x)) => {
                if *size != x.size as usize {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Size);
                }
            }
            (FieldType::Ptr { target }, Type::Ptr(p)) => {
                if let Some(want) = target {
                    let got = self
                        .btf
                        .resolve(p.target)
                        .map(|r| crate::essential_name(self.btf.name_of(r)).to_string())
                        .unwrap_or_default();
                    if got != *want {
                        self.diff(path, rust_side(rust_off), btf_side, Problem::Kind);
                    }
                }
            }
            (FieldType::Array { elem, len }, Type::Array(a)) => {
                if *len != a.len as usize {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::ElementCount);
                } else {
                    self.check(
                        a.elem,
                        elem,
                        &format!("{}[]", if path.is_empty() { "" } else { path }),
                        rust_off,
                        btf_off,
                    );
                }
            }
            (FieldType::Composite(l), t) => {
                self.check_composite(rid, l, t, path, rust_off, btf_off, btf_side)
            }
            _ => {
                let what = match ty {
                    FieldType::Int { .. } => "expected an integer",
                    FieldType::Bool => "expected a bool",
                    FieldType::Float { .. } => "expected a float",
                    FieldType::Array { .. } => "expected an array",
                    FieldType::Ptr { .. } => "expected a pointer",
                    FieldType::Composite(_) => "expected a struct, union or enum",
                };
                self.diff(
                    path,
                    rust_side(rust_off),
                    format!("{btf_side} ({what})"),
                    Problem::Kind,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_composite(
        &mut self,
        rid: TypeId,
        l: &'static Layout,
        t: Type<'_>,
        path: &str,
        rust_off: usize,
        btf_off: usize,
        btf_side: String,
    ) {
        let rust_side = |o: usize| {
            if path.is_empty() {
                l.rust_name.to_string()
            } else {
                format!("{} @ {o}", l.rust_name)
            }
        };
        match (l.kind, t) {
            (CompositeKind::Enum { signed }, Type::Enum(e) | Type::Enum64(e)) => {
                if l.size != e.size as usize {
                    self.diff(
                        &join(path, "[size]"),
                        l.size.to_string(),
                        e.size.to_string(),
                        Problem::Size,
                    );
                }
                if signed != e.signed {
                    self.diff(path, rust_side(rust_off), btf_side, Problem::Signedness);
                }
                for &(name, value) in l.variants {
                    let btf_value = e.values().find(|v| v.name == name).map(|v| {
                        if e.signed {
                            i128::from(v.value as i64)
                        } else {
                            i128::from(v.value)
                        }
                    });
                    match btf_value {
                        Some(b) if b == value => {}
                        Some(b) => self.diff(
                            &join(path, name),
                            value.to_string(),
                            b.to_string(),
                            Problem::EnumValue,
                        ),
                        None => self.diff(
                            &join(path, name),
                            value.to_string(),
                            "-".into(),
                            Problem::MissingInBtf,
                        ),
                    }
                }
            }
            (CompositeKind::Struct, Type::Struct(Composite { size, .. }))
            | (CompositeKind::Union, Type::Union(Composite { size, .. }))
            | (CompositeKind::Struct, Type::Datasec(Datasec { size, .. })) => {
                let size = size as usize;
                if (l.subset && l.size > size) || (!l.subset && l.size != size) {
                    self.diff(
                        &join(path, "[size]"),
                        l.size.to_string(),
                        size.to_string(),
                        Problem::Size,
                    );
                }
                // Named members, looked up through anonymous members too.
                let mut members = Vec::new();
                flatten(self.btf, rid, 0, &mut members);
                let mut used = vec![false; members.len()];
                // Byte ranges the Rust fields cover, to judge completeness.
                let mut covered: Vec<(usize, usize)> = Vec::new();
                for f in l.fields.iter().filter(|f| !f.pad) {
                    let fpath = join(path, f.name);
                    let fty = (f.ty)();
                    let rust = format!("{fty} @ {}", f.offset);
                    if f.anon {
                        let fpath = join(path, f.rust_name);
                        // Several anonymous members can start at one
                        // offset (a union of anonymous structs, as in
                        // `struct qspinlock`): the field stands for the
                        // one it matches; if none matches, the report is
                        // the closest one's.
                        let mut best: Option<(TypeId, Vec<Difference>)> = None;
                        for mty in anonymous_members_at(self.btf, rid, f.offset * 8) {
                            let before = self.diffs.len();
                            self.check(mty, &fty, &fpath, rust_off + f.offset, btf_off + f.offset);
                            let found: Vec<Difference> = self.diffs.drain(before..).collect();
                            if best.as_ref().map_or(true, |b| found.len() < b.1.len()) {
                                best = Some((mty, found));
                            }
                            if best.as_ref().is_some_and(|b| b.1.is_empty()) {
                                break;
                            }
                        }
                        match best {
                            Some((mty, diffs)) => {
                                covered.push((f.offset, f.offset + f.size));
                                self.diffs.extend(diffs);
                                // The members it holds are accounted for
                                // (also zero-sized ones, which no byte
                                // range covers).
                                let mut inner = Vec::new();
                                flatten(self.btf, mty, f.offset * 8, &mut inner);
                                for (m, u) in members.iter().zip(used.iter_mut()) {
                                    if inner
                                        .iter()
                                        .any(|i| i.name == m.name && i.bit_offset == m.bit_offset)
                                    {
                                        *u = true;
                                    }
                                }
                            }
                            None => self.diff(
                                &fpath,
                                format!("{rust} (anonymous)"),
                                "- (no anonymous struct or union member here)".into(),
                                Problem::MissingInBtf,
                            ),
                        }
                        continue;
                    }
                    if !f.bitfields.is_empty() {
                        self.check_bitfields(f, &fty, &members, &mut used, &fpath);
                        covered.push((f.offset, f.offset + f.size));
                        continue;
                    }
                    let Some(i) = members.iter().position(|m| m.name == f.name) else {
                        self.diff(&fpath, rust, "-".into(), Problem::MissingInBtf);
                        continue;
                    };
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    let Some(m) = members.get(i) else { continue };
                    let moff = m.bit_offset / 8;
                    if m.bitfield_bits.is_some() || m.bit_offset % 8 != 0 {
                        let btf = format!(
                            "{} : bitfield @ bit {}",
                            self.btf.display(m.ty),
                            m.bit_offset
                        );
                        self.diff(&fpath, rust, btf, Problem::Bitfield);
                    } else if moff != f.offset {
                        let btf = format!("{} @ {moff}", self.btf.display(m.ty));
                        self.diff(&fpath, rust, btf, Problem::Offset);
                    } else {
                        covered.push((f.offset, f.offset + f.size));
                        self.check(m.ty, &fty, &fpath, rust_off + f.offset, btf_off + moff);
                    }
                }
                if !l.subset {
                    // A member the Rust type does not name is missing unless
                    // other fields cover its bytes (another view of a union).
                    for (m, used) in members.iter().zip(used) {
                        let start = m.bit_offset / 8;
                        let end = start + self.btf.size_of(m.ty).unwrap_or(0) as usize;
                        let is_covered = |b: usize| covered.iter().any(|&(s, e)| s <= b && b < e);
                        if !used && !(start..end.max(start + 1)).all(is_covered) {
                            let btf = format!("{} @ {}", self.btf.display(m.ty), start);
                            self.diff(
                                &join(path, &m.name),
                                "-".into(),
                                btf,
                                Problem::MissingInRust,
                            );
                        }
                    }
                }
            }
            _ => {
                let want = match l.kind {
                    CompositeKind::Struct => "expected a struct",
                    CompositeKind::Union => "expected a union",
                    CompositeKind::Enum { .. } => "expected an enum",
                };
                self.diff(
                    path,
                    rust_side(rust_off),
                    format!("{btf_side} ({want})"),
                    Problem::Kind,
                );
            }
        }
    }
}

impl Validator<'_, '_> {
    /// A Rust integer standing for BTF bitfields: each named member must be
    /// a bitfield lying entirely inside the Rust field's bytes.
    fn check_bitfields(
        &mut self,
        f: &Field,
        fty: &FieldType,
        members: &[FlatMember],
        used: &mut [bool],
        fpath: &str,
    ) {
        let rust = format!("{fty} @ {}", f.offset);
        if !matches!(fty, FieldType::Int { .. }) {
            self.diff(fpath, rust, "bitfields".into(), Problem::Kind);
            return;
        }
        let (lo, hi) = (f.offset * 8, (f.offset + f.size) * 8);
        for bf in f.bitfields {
            let Some(i) = members.iter().position(|m| m.name == *bf) else {
                self.diff(
                    &join(fpath, bf),
                    rust.clone(),
                    "-".into(),
                    Problem::MissingInBtf,
                );
                continue;
            };
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            let Some(m) = members.get(i) else { continue };
            let end = m.bit_offset + m.bitfield_bits.unwrap_or(0);
            if m.bitfield_bits.is_none() || m.bit_offset < lo || end > hi {
                let btf = format!("{} @ bit {}", self.btf.display(m.ty), m.bit_offset);
                self.diff(&join(fpath, bf), rust.clone(), btf, Problem::Offset);
            }
        }
    }
}

struct FlatMember {
    name: String,
    ty: TypeId,
    bit_offset: usize,
    /// The bitfield's width: from the member (kind_flag structs) or its
    /// `INT`'s bit count when that is narrower than the storage.
    bitfield_bits: Option<usize>,
}

/// The types of the anonymous struct or union members of composite `id`
/// that start at `bit_offset`, in member order.
fn anonymous_members_at(btf: &Btf<'_>, id: TypeId, bit_offset: usize) -> Vec<TypeId> {
    let c = match btf.type_by_id(id) {
        Some(Type::Struct(c) | Type::Union(c)) => c,
        _ => return Vec::new(),
    };
    c.members()
        .filter(|m| {
            m.name.is_empty()
                && m.bitfield_size.is_none()
                && m.offset.0 as usize == bit_offset
                && matches!(
                    btf.resolve_type(m.ty),
                    Ok((_, Type::Struct(_) | Type::Union(_)))
                )
        })
        .map(|m| m.ty)
        .collect()
}

/// How many composite types [`flatten`] visits at most: anonymous members
/// that contain themselves twice would otherwise take 2^32 steps (hostile
/// BTF); real kernel structs need a few dozen.
const MAX_FLATTEN_VISITS: usize = 1 << 14;

/// The named members of composite `id`, with anonymous struct/union
/// members' members lifted into it (offsets added), as C lets code name
/// them.
fn flatten(btf: &Btf<'_>, id: TypeId, base_bits: usize, out: &mut Vec<FlatMember>) {
    let mut budget = MAX_FLATTEN_VISITS;
    flatten_into(btf, id, base_bits, out, 0, &mut budget);
}

fn flatten_into(
    btf: &Btf<'_>,
    id: TypeId,
    base_bits: usize,
    out: &mut Vec<FlatMember>,
    depth: usize,
    budget: &mut usize,
) {
    if depth > crate::MAX_RESOLVE_DEPTH || *budget == 0 {
        return;
    }
    *budget -= 1;
    let c = match btf.type_by_id(id) {
        Some(Type::Struct(c) | Type::Union(c)) => c,
        // A data section's variables are its members (global data views).
        Some(Type::Datasec(d)) => {
            for v in d.vars() {
                if let Some(Type::Var(var)) = btf.type_by_id(v.ty) {
                    out.push(FlatMember {
                        name: var.name.to_string(),
                        ty: var.ty,
                        bit_offset: base_bits + v.offset as usize * 8,
                        bitfield_bits: None,
                    });
                }
            }
            return;
        }
        _ => return,
    };
    for m in c.members() {
        let off = base_bits + m.offset.0 as usize;
        if m.name.is_empty() {
            if let Ok(r) = btf.resolve(m.ty) {
                flatten_into(btf, r, off, out, depth + 1, budget);
            }
            continue;
        }
        let int_bits = match btf.resolve_type(m.ty) {
            Ok((_, Type::Int(i))) if u32::from(i.bits) < i.size * 8 => Some(usize::from(i.bits)),
            _ => None,
        };
        let bitfield_bits = m.bitfield_size.map(|b| usize::from(b.get())).or(int_bits);
        out.push(FlatMember {
            name: m.name.to_string(),
            ty: m.ty,
            bit_offset: off,
            bitfield_bits,
        });
    }
}

/// Emits `T` (and every type it uses) into `builder`; returns its id.
/// Use one [`Emitter`] to emit several types sharing nested types.
pub fn emit<T: BtfLayout + ?Sized>(builder: &mut BtfBuilder) -> Result<TypeId, BuildError> {
    Emitter::new(builder).emit(&T::btf_type())
}

/// Emits [`FieldType`]s into a [`BtfBuilder`], writing each distinct type
/// once.
pub struct Emitter<'b> {
    builder: &'b mut BtfBuilder,
    done: HashMap<FieldType, TypeId>,
    index: Option<TypeId>,
}

impl std::hash::Hash for FieldType {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            FieldType::Int { size, signed } => (size, signed).hash(h),
            FieldType::Float { size } => size.hash(h),
            FieldType::Array { elem, len } => (elem, len).hash(h),
            FieldType::Composite(l) => std::ptr::hash(*l, h),
            FieldType::Ptr { target } => target.hash(h),
            FieldType::Bool => {}
        }
    }
}

impl<'b> Emitter<'b> {
    /// An emitter writing into `builder`.
    pub fn new(builder: &'b mut BtfBuilder) -> Self {
        Emitter {
            builder,
            done: HashMap::new(),
            index: None,
        }
    }

    /// Emits `ty` (once) and returns its id.
    pub fn emit(&mut self, ty: &FieldType) -> Result<TypeId, BuildError> {
        if let Some(&id) = self.done.get(ty) {
            return Ok(id);
        }
        let b = &mut *self.builder;
        let id = match ty {
            FieldType::Int { size, signed } => {
                let name = match (size, signed) {
                    (1, false) => "unsigned char",
                    (1, true) => "signed char",
                    (2, false) => "unsigned short",
                    (2, true) => "short",
                    (4, false) => "unsigned int",
                    (4, true) => "int",
                    (8, false) => "unsigned long long",
                    (8, true) => "long long",
                    (16, false) => "unsigned __int128",
                    _ => "__int128",
                };
                let enc = if *signed {
                    IntEncoding::Signed
                } else {
                    IntEncoding::Unsigned
                };
                b.add_int(name, *size as u32, enc)
            }
            FieldType::Bool => b.add_int("_Bool", 1, IntEncoding::Bool),
            FieldType::Float { size } => {
                b.add_float(if *size == 4 { "float" } else { "double" }, *size as u32)
            }
            FieldType::Ptr { target } => {
                let pointee = match target {
                    Some(t) => self.builder.add_fwd(t, false),
                    None => TypeId::VOID,
                };
                self.builder.add_ptr(pointee)
            }
            FieldType::Array { elem, len } => {
                let e = self.emit(elem)?;
                let index = match self.index {
                    Some(i) => i,
                    None => {
                        let i = self
                            .builder
                            .add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Signed);
                        self.index = Some(i);
                        i
                    }
                };
                self.builder.add_array(e, index, *len as u32)
            }
            FieldType::Composite(l) => match l.kind {
                CompositeKind::Enum { signed } => {
                    let values: Vec<(&str, u64)> =
                        l.variants.iter().map(|&(n, v)| (n, v as u64)).collect();
                    b.add_enum(l.name, l.size as u32, signed, l.size > 4, &values)?
                }
                kind => {
                    let mut members = Vec::with_capacity(l.fields.len());
                    for f in l.fields.iter().filter(|f| !f.pad) {
                        let t = self.emit(&(f.ty)())?;
                        members.push(MemberSpec {
                            name: f.name,
                            ty: t,
                            bit_offset: (f.offset * 8) as u32,
                            bitfield_size: 0,
                        });
                    }
                    if kind == CompositeKind::Struct {
                        self.builder.add_struct(l.name, l.size as u32, &members)?
                    } else {
                        self.builder.add_union(l.name, l.size as u32, &members)?
                    }
                }
            },
        };
        self.done.insert(ty.clone(), id);
        Ok(id)
    }
}
