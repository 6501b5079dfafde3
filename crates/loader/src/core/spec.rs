//! Accessors and specs: an access string (`"0:1:2:3"`) resolved against a
//! BTF (libbpf's `bpf_core_accessor`, `bpf_core_spec`,
//! `bpf_core_parse_spec` and `bpf_core_format_spec`).

use std::fmt;

use oxbpf_btf::{Btf, Type, TypeId};

use super::btfx::{
    self, k, kind_of, kind_str, skip_mods, skip_mods_id, skip_mods_raw, RawComposite, RawType,
};
use super::error::SpecError;
use super::ReloKind;

/// The most components an access string may have
/// (`BPF_CORE_SPEC_MAX_LEN`).
pub const SPEC_MAX_LEN: usize = 64;

/// The elements of a [`Spec`] (its accessors, its raw indices): up to `N`
/// stored inline, which is what nearly every access needs, so that
/// computing a relocation allocates nothing; beyond that on the heap.
/// Derefs to a slice.
#[derive(Clone)]
pub struct SpecVec<T: Copy + Default, const N: usize = 8> {
    inline: [T; N],
    len: u8,
    spilled: Option<Vec<T>>,
}

impl<T: Copy + Default, const N: usize> SpecVec<T, N> {
    /// An empty vector.
    pub fn new() -> Self {
        SpecVec {
            inline: [T::default(); N],
            len: 0,
            spilled: None,
        }
    }

    /// Appends `v`.
    #[inline]
    pub fn push(&mut self, v: T) {
        match &mut self.spilled {
            Some(h) => h.push(v),
            None => match self.inline.get_mut(self.len as usize) {
                Some(slot) => {
                    *slot = v;
                    self.len += 1;
                }
                None => {
                    let mut h = Vec::with_capacity(2 * N);
                    h.extend_from_slice(&self.inline);
                    h.push(v);
                    self.spilled = Some(h);
                }
            },
        }
    }

    /// Removes every element (keeping a spilled allocation).
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
        if let Some(h) = &mut self.spilled {
            h.clear();
        }
    }

    /// Removes the last element.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        match &mut self.spilled {
            Some(h) => h.pop(),
            None => {
                self.len = self.len.checked_sub(1)?;
                self.inline.get(self.len as usize).copied()
            }
        }
    }
}

impl<T: Copy + Default, const N: usize> Default for SpecVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> std::ops::Deref for SpecVec<T, N> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match &self.spilled {
            Some(h) => h,
            None => self.inline.get(..self.len as usize).unwrap_or_default(),
        }
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for SpecVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for SpecVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + PartialEq, const N: usize, const M: usize> PartialEq<[T; M]>
    for SpecVec<T, N>
{
    fn eq(&self, other: &[T; M]) -> bool {
        **self == other[..]
    }
}

/// One high-level step of an access (`struct bpf_core_accessor`): a named
/// member of a struct or union, or an array element.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Accessor<'a> {
    /// For a member, the struct or union (modifiers skipped); for an array
    /// element, the element type (modifiers skipped); for an enumerator,
    /// the enum.
    pub type_id: TypeId,
    /// The member, element or enumerator index.
    pub index: u32,
    /// The member or enumerator name; `None` for an array element.
    pub name: Option<&'a str>,
}

/// An access string resolved against one BTF (`struct bpf_core_spec`).
///
/// `accessors` is the high-level spec: the named fields and array indices
/// the C code wrote. `raw` is the low-level one, one number per component
/// of the access string, including the steps through anonymous members.
/// Type relocations have neither.
#[derive(Clone)]
pub struct Spec<'a> {
    /// The BTF the spec is resolved in.
    pub btf: &'a Btf<'a>,
    /// The root type, before skipping modifiers and typedefs.
    pub root_type_id: TypeId,
    /// The relocation kind.
    pub kind: ReloKind,
    /// The high-level spec.
    pub accessors: SpecVec<Accessor<'a>, 4>,
    /// The low-level spec.
    pub raw: SpecVec<u32>,
    /// The accessed field's offset from the root, in bits.
    pub bit_offset: u32,
}

impl fmt::Debug for Spec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("root_type_id", &self.root_type_id)
            .field("kind", &self.kind)
            .field("accessors", &self.accessors)
            .field("raw", &self.raw)
            .field("bit_offset", &self.bit_offset)
            .finish_non_exhaustive()
    }
}

impl<'a> Spec<'a> {
    /// An empty spec of `kind` rooted at `root_type_id` in `btf`.
    pub fn new(btf: &'a Btf<'a>, root_type_id: TypeId, kind: ReloKind) -> Self {
        Spec {
            btf,
            root_type_id,
            kind,
            accessors: SpecVec::new(),
            raw: SpecVec::new(),
            bit_offset: 0,
        }
    }

    /// Makes this an empty spec of `kind` rooted at `root_type_id` in
    /// `btf`, reusing its storage.
    pub(crate) fn reset(&mut self, btf: &'a Btf<'a>, root_type_id: TypeId, kind: ReloKind) {
        self.btf = btf;
        self.root_type_id = root_type_id;
        self.kind = kind;
        self.accessors.clear();
        self.raw.clear();
        self.bit_offset = 0;
    }

    /// The access in C terms: `struct task_struct.mm`, `struct s.arr[3].x`,
    /// `enum e::VALUE`, `typedef pid_t`.
    pub fn c_access(&self) -> String {
        let mut out = String::new();
        let (root_kind, root_name) = match self.btf.type_by_id(self.root_type_id) {
            Some(t) => (kind_of(&t), t.name()),
            None => (0, ""),
        };
        let name = if root_name.is_empty() {
            "<anon>"
        } else {
            root_name
        };
        // C has no `enum64`.
        out.push_str(match kind_str(root_kind) {
            "enum64" => "enum",
            k => k,
        });
        out.push(' ');
        out.push_str(name);
        if self.kind.is_enumval_based() {
            if let Some(n) = self.accessors.first().and_then(|a| a.name) {
                out.push_str("::");
                out.push_str(n);
            }
        } else if self.kind.is_field_based() {
            for (i, a) in self.accessors.iter().enumerate() {
                match a.name {
                    Some(n) => {
                        out.push('.');
                        out.push_str(n);
                    }
                    None if i > 0 || a.index > 0 => {
                        out.push_str(&format!("[{}]", a.index));
                    }
                    None => {}
                }
            }
        }
        out
    }
}

/// libbpf's `bpf_core_format_spec`:
/// `<byte_off> [12] struct s.a[3] (0:1:2:3 @ offset 16)`.
impl fmt::Display for Spec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (root_kind, root_name) = match self.btf.type_by_id(self.root_type_id) {
            Some(t) => (kind_of(&t), t.name()),
            None => (0, ""),
        };
        write!(
            f,
            "<{}> [{}] {} {}",
            self.kind,
            self.root_type_id,
            kind_str(root_kind),
            if root_name.is_empty() {
                "<anon>"
            } else {
                root_name
            }
        )?;
        if self.kind.is_type_based() {
            return Ok(());
        }
        if self.kind.is_enumval_based() {
            let Some((_, t)) = skip_mods(self.btf, self.root_type_id) else {
                return Ok(());
            };
            let Some(&i) = self.raw.first() else {
                return Ok(());
            };
            if let Type::Enum(e) | Type::Enum64(e) = t {
                if let Some(v) = e.values().nth(i as usize) {
                    let is64 = e.is_64();
                    match (is64, e.signed) {
                        (false, true) => write!(f, "::{} = {}", v.name, v.value as u32 as i32)?,
                        (false, false) => write!(f, "::{} = {}", v.name, v.value as u32)?,
                        (true, true) => write!(f, "::{} = {}", v.name, v.value as i64)?,
                        (true, false) => write!(f, "::{} = {}", v.name, v.value)?,
                    }
                }
            }
            return Ok(());
        }
        for (i, a) in self.accessors.iter().enumerate() {
            match a.name {
                Some(n) => write!(f, ".{n}")?,
                None if i > 0 || a.index > 0 => write!(f, "[{}]", a.index)?,
                None => {}
            }
        }
        f.write_str(" (")?;
        for (i, r) in self.raw.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{r}")?;
        }
        if self.bit_offset % 8 != 0 {
            write!(
                f,
                " @ offset {}.{})",
                self.bit_offset / 8,
                self.bit_offset % 8
            )
        } else {
            write!(f, " @ offset {})", self.bit_offset / 8)
        }
    }
}

/// Parses an access string the way `bpf_core_parse_spec` does with
/// `sscanf("%d%n")`: components separated by one optional `:`, each a
/// decimal number (leading white space and a sign accepted), negative
/// ones rejected.
pub(crate) fn parse_access(s: &str) -> Result<SpecVec<u32>, SpecError> {
    let b = s.as_bytes();
    if b.is_empty() || b[0] == b':' {
        return Err(SpecError::Empty);
    }
    let mut raw = SpecVec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' {
            i += 1;
        }
        let position = raw.len();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut negative = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            negative = b[i] == b'-';
            i += 1;
        }
        let start = i;
        let mut value: u64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            value = value
                .saturating_mul(10)
                .saturating_add(u64::from(b[i] - b'0'));
            i += 1;
        }
        if i == start {
            return Err(SpecError::NotANumber { position });
        }
        if (negative && value != 0) || value > i32::MAX as u64 {
            return Err(SpecError::NotANumber { position });
        }
        if raw.len() == SPEC_MAX_LEN {
            return Err(SpecError::TooLong);
        }
        raw.push(value as u32);
    }
    if raw.is_empty() {
        return Err(SpecError::Empty);
    }
    Ok(raw)
}

/// `is_flex_arr`: an array of 0 elements that is the last member of the
/// struct `prev` (the accessor before it) names.
pub(crate) fn is_flex_arr(btf: &Btf<'_>, prev: Option<&Accessor<'_>>, len: u32) -> bool {
    let Some(prev) = prev else { return false };
    if prev.name.is_none() || len > 0 {
        return false;
    }
    let vlen = RawType::of(btf, prev.type_id).map_or(0, |t| t.vlen());
    prev.index == vlen.wrapping_sub(1)
}

/// Size helper mapping [`btfx::resolve_size`] errors to [`SpecError`].
fn size(btf: &Btf<'_>, id: TypeId, ptr_size: u32) -> Result<u32, SpecError> {
    btfx::resolve_size(btf, id, ptr_size).map_err(|_| SpecError::NoSize(id))
}

/// `bpf_core_parse_spec`: resolves `access` (the relocation's access
/// string) from `root` in `btf`, whose pointers are `ptr_size` bytes.
pub(crate) fn parse_spec<'a>(
    btf: &'a Btf<'a>,
    root: TypeId,
    access: Option<&'a str>,
    kind: ReloKind,
    ptr_size: u32,
) -> Result<Spec<'a>, SpecError> {
    let mut spec = Spec::new(btf, root, kind);
    parse_spec_into(&mut spec, btf, root, access, kind, ptr_size)?;
    Ok(spec)
}

/// [`parse_spec`] into `spec`'s storage.
pub(crate) fn parse_spec_into<'a>(
    spec: &mut Spec<'a>,
    btf: &'a Btf<'a>,
    root: TypeId,
    access: Option<&'a str>,
    kind: ReloKind,
    ptr_size: u32,
) -> Result<(), SpecError> {
    let access = access.unwrap_or("");
    if access.is_empty() || access.starts_with(':') {
        return Err(SpecError::Empty);
    }
    spec.reset(btf, root, kind);
    if kind.is_type_based() {
        if access != "0" {
            return Err(SpecError::TypeAccess);
        }
        return Ok(());
    }
    spec.raw = parse_access(access)?;
    let mut id = skip_mods_id(btf, root).ok_or(SpecError::MissingType(root))?;
    let first = spec.raw[0];
    if kind.is_enumval_based() {
        let Some(Type::Enum(e) | Type::Enum64(e)) = btf.type_by_id(id) else {
            return Err(SpecError::Enumerator);
        };
        if spec.raw.len() > 1 || first as usize >= e.len() {
            return Err(SpecError::Enumerator);
        }
        let name = e.values().nth(first as usize).map(|v| v.name);
        spec.accessors.push(Accessor {
            type_id: id,
            index: first,
            name,
        });
        return Ok(());
    }
    spec.accessors.push(Accessor {
        type_id: id,
        index: first,
        name: None,
    });
    let sz = size(btf, id, ptr_size)?;
    spec.bit_offset = (u64::from(first) * u64::from(sz) * 8) as u32;
    for position in 1..spec.raw.len() {
        let (rid, t) = skip_mods_raw(btf, id).ok_or(SpecError::MissingType(id))?;
        id = rid;
        let index = spec.raw[position];
        if let Some(c) = RawComposite::from_raw(&t) {
            let m = c
                .member(index as usize)
                .ok_or(SpecError::MemberIndex { type_id: id, index })?;
            spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
            if m.name_off != 0 {
                let name = btf
                    .str_at(oxbpf_btf::StrOffset(m.name_off))
                    .filter(|n| !n.is_empty())
                    .ok_or(SpecError::EmptyName { type_id: id, index })?;
                spec.accessors.push(Accessor {
                    type_id: id,
                    index,
                    name: Some(name),
                });
            }
            id = m.ty;
        } else if t.kind == k::ARRAY {
            let (elem, len) = t.array();
            let elem = skip_mods_id(btf, elem).ok_or(SpecError::MissingType(elem))?;
            let flex = is_flex_arr(btf, spec.accessors.last(), len);
            if !flex && index >= len {
                return Err(SpecError::ArrayIndex {
                    type_id: id,
                    index,
                    len,
                });
            }
            id = elem;
            spec.accessors.push(Accessor {
                type_id: id,
                index,
                name: None,
            });
            let sz = size(btf, id, ptr_size)?;
            spec.bit_offset = spec
                .bit_offset
                .wrapping_add((u64::from(index) * u64::from(sz) * 8) as u32);
        } else {
            return Err(SpecError::UnexpectedKind {
                position,
                type_id: id,
                kind: kind_str(t.kind),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_strings_parse_like_sscanf() {
        assert_eq!(parse_access("0:1:2:3").unwrap(), [0, 1, 2, 3]);
        let nine = parse_access("0:1:2:3:4:5:6:7:8").unwrap();
        assert_eq!(nine, [0, 1, 2, 3, 4, 5, 6, 7, 8], "spilled to the heap");
        let mut v = nine.clone();
        assert_eq!((v.pop(), v.len()), (Some(8), 8));
        assert_eq!(parse_access("0").unwrap(), [0]);
        assert_eq!(parse_access("01").unwrap(), [1]);
        assert_eq!(parse_access("0 1").unwrap(), [0, 1]);
        assert_eq!(parse_access("+2").unwrap(), [2]);
        assert_eq!(parse_access(""), Err(SpecError::Empty));
        assert_eq!(parse_access(":1"), Err(SpecError::Empty));
        assert_eq!(
            parse_access("0:"),
            Err(SpecError::NotANumber { position: 1 })
        );
        assert_eq!(
            parse_access("0::1"),
            Err(SpecError::NotANumber { position: 1 })
        );
        assert_eq!(
            parse_access("0:-1"),
            Err(SpecError::NotANumber { position: 1 })
        );
        assert_eq!(
            parse_access("0:x"),
            Err(SpecError::NotANumber { position: 1 })
        );
        assert_eq!(
            parse_access("9999999999"),
            Err(SpecError::NotANumber { position: 0 })
        );
        let long = vec!["0"; SPEC_MAX_LEN + 1].join(":");
        assert_eq!(parse_access(&long), Err(SpecError::TooLong));
        let max = vec!["0"; SPEC_MAX_LEN].join(":");
        assert_eq!(parse_access(&max).unwrap().len(), SPEC_MAX_LEN);
    }
}
