//! In-place editing of raw BTF, the way libbpf edits `obj->btf`.
//!
//! The loader must change a few fields of the object's BTF before the
//! kernel sees it (DATASEC sizes and offsets, VAR and FUNC linkage, extern
//! types; kinds an old kernel does not know) while keeping every string
//! offset valid: `.BTF.ext` line info points into the string section. So
//! unlike [`oxbpf_btf::BtfBuilder`], which re-emits and deduplicates
//! strings, [`RawBtf`] copies the type and string sections as they are,
//! patches records in place and only ever appends.

use oxbpf_btf::{Btf, Kind, KindLayout, TypeId, BTF_MAGIC};

/// `BTF_VAR_STATIC`
pub(crate) const VAR_STATIC: u32 = 0;
/// `BTF_VAR_GLOBAL_ALLOCATED`
pub(crate) const VAR_GLOBAL_ALLOCATED: u32 = 1;
/// `BTF_FUNC_STATIC`
pub(crate) const FUNC_STATIC: u32 = 0;
/// `BTF_FUNC_GLOBAL`
pub(crate) const FUNC_GLOBAL: u32 = 1;

/// A mutable copy of a (base, not split) BTF blob.
#[derive(Clone, Debug)]
pub(crate) struct RawBtf {
    swap: bool,
    types: Vec<u8>,
    strings: Vec<u8>,
    layout: Vec<KindLayout>,
    /// `offsets[id - 1]`: where type `id`'s record starts in `types`.
    offsets: Vec<usize>,
}

impl RawBtf {
    /// Copies `btf`'s types and strings.
    pub(crate) fn new(btf: &Btf<'_>) -> Self {
        let mut offsets = Vec::with_capacity(btf.own_type_count() as usize);
        let mut off = 0;
        for id in btf.own_ids() {
            offsets.push(off);
            off += btf.raw_record(id).map_or(0, <[u8]>::len);
        }
        RawBtf {
            // `Btf` holds foreign-endian input converted to native order.
            swap: false,
            types: btf.own_type_section().to_vec(),
            strings: btf.own_strings().to_vec(),
            layout: btf.kind_layouts().to_vec(),
            offsets,
        }
    }

    /// The number of types (the largest id).
    pub(crate) fn type_count(&self) -> u32 {
        self.offsets.len() as u32
    }

    fn rec(&self, id: TypeId) -> Option<usize> {
        let idx = (id.get() as usize).checked_sub(1)?;
        self.offsets.get(idx).copied()
    }

    fn word_at(&self, off: usize) -> u32 {
        let b = self
            .types
            .get(off..off + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .unwrap_or_default();
        let v = u32::from_ne_bytes(b);
        if self.swap {
            v.swap_bytes()
        } else {
            v
        }
    }

    fn set_word_at(&mut self, off: usize, v: u32) {
        let v = if self.swap { v.swap_bytes() } else { v };
        if let Some(s) = self.types.get_mut(off..off + 4) {
            s.copy_from_slice(&v.to_ne_bytes());
        }
    }

    /// Word `n` of type `id`'s record (0: name, 1: info, 2: size/type,
    /// then the kind-specific data).
    pub(crate) fn word(&self, id: TypeId, n: usize) -> u32 {
        self.rec(id).map_or(0, |r| self.word_at(r + 4 * n))
    }

    /// Sets word `n` of type `id`'s record.
    pub(crate) fn set_word(&mut self, id: TypeId, n: usize, v: u32) {
        if let Some(r) = self.rec(id) {
            self.set_word_at(r + 4 * n, v);
        }
    }

    /// The raw kind of type `id`.
    pub(crate) fn kind(&self, id: TypeId) -> Option<Kind> {
        Kind::from_raw(((self.word(id, 1) >> 24) & 0x1f) as u8)
    }

    /// `vlen` of type `id`.
    pub(crate) fn vlen(&self, id: TypeId) -> usize {
        (self.word(id, 1) & 0xffff) as usize
    }

    /// Sets the info word: kind, kind_flag and vlen.
    pub(crate) fn set_info(&mut self, id: TypeId, kind: Kind, kflag: bool, vlen: u32) {
        let info = (u32::from(kflag) << 31) | (u32::from(kind.raw()) << 24) | (vlen & 0xffff);
        self.set_word(id, 1, info);
    }

    /// The name offset of type `id`.
    pub(crate) fn name_off(&self, id: TypeId) -> u32 {
        self.word(id, 0)
    }

    /// The string at `off`.
    pub(crate) fn str_at(&self, off: u32) -> &str {
        let rest = self.strings.get(off as usize..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        std::str::from_utf8(rest.get(..end).unwrap_or_default()).unwrap_or_default()
    }

    /// The name of type `id`.
    pub(crate) fn name(&self, id: TypeId) -> &str {
        self.str_at(self.name_off(id))
    }

    /// Replaces the bytes of the string at `off` (same length), e.g. to
    /// turn `.data` into `_data` for kernels without DATASEC.
    pub(crate) fn map_string(&mut self, off: u32, mut f: impl FnMut(u8) -> u8) {
        if let Some(rest) = self.strings.get_mut(off as usize..) {
            for b in rest.iter_mut().take_while(|b| **b != 0) {
                *b = f(*b);
            }
        }
    }

    /// Appends a string (no deduplication) and returns its offset.
    pub(crate) fn add_string(&mut self, s: &str) -> u32 {
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }

    /// Appends a record of raw words and returns its id.
    fn push(&mut self, words: &[u32]) -> TypeId {
        self.offsets.push(self.types.len());
        for &w in words {
            let w = if self.swap { w.swap_bytes() } else { w };
            self.types.extend_from_slice(&w.to_ne_bytes());
        }
        TypeId(self.offsets.len() as u32)
    }

    /// Appends `BTF_KIND_VAR`.
    pub(crate) fn add_var(&mut self, name: &str, ty: TypeId, linkage: u32) -> TypeId {
        let name = self.add_string(name);
        self.push(&[name, u32::from(Kind::Var.raw()) << 24, ty.get(), linkage])
    }

    /// Appends `BTF_KIND_INT` (`encoding`: 1 signed, 2 char, 4 bool).
    pub(crate) fn add_int(&mut self, name: &str, size: u32, encoding: u32, bits: u32) -> TypeId {
        let name = self.add_string(name);
        self.push(&[
            name,
            u32::from(Kind::Int.raw()) << 24,
            size,
            (encoding << 24) | bits,
        ])
    }

    /// The `(type, offset, size)` of a DATASEC's variables.
    pub(crate) fn datasec_vars(&self, id: TypeId) -> Vec<(TypeId, u32, u32)> {
        (0..self.vlen(id))
            .map(|i| {
                let w = 3 + 3 * i;
                (
                    TypeId(self.word(id, w)),
                    self.word(id, w + 1),
                    self.word(id, w + 2),
                )
            })
            .collect()
    }

    /// Rewrites a DATASEC's variables (same count).
    pub(crate) fn set_datasec_vars(&mut self, id: TypeId, vars: &[(TypeId, u32, u32)]) {
        for (i, &(ty, off, size)) in vars.iter().enumerate().take(self.vlen(id)) {
            let w = 3 + 3 * i;
            self.set_word(id, w, ty.get());
            self.set_word(id, w + 1, off);
            self.set_word(id, w + 2, size);
        }
    }

    /// Serialises: header, types, layout (if any), strings.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with(true)
    }

    /// Serialises, optionally without the layout section.
    pub(crate) fn to_bytes_with(&self, with_layout: bool) -> Vec<u8> {
        let layout = with_layout && !self.layout.is_empty();
        let hdr_len: u32 = if layout { 32 } else { 24 };
        let type_len = self.types.len() as u32;
        let layout_len = if layout {
            self.layout.len() as u32 * 4
        } else {
            0
        };
        let str_len = self.strings.len() as u32;
        let w = |v: u32| if self.swap { v.swap_bytes() } else { v }.to_ne_bytes();
        let mut out =
            Vec::with_capacity(hdr_len as usize + self.types.len() + self.strings.len() + 64);
        let magic = if self.swap {
            BTF_MAGIC.swap_bytes()
        } else {
            BTF_MAGIC
        };
        out.extend_from_slice(&magic.to_ne_bytes());
        out.push(1);
        out.push(0);
        out.extend_from_slice(&w(hdr_len));
        out.extend_from_slice(&w(0));
        out.extend_from_slice(&w(type_len));
        out.extend_from_slice(&w(type_len + layout_len));
        out.extend_from_slice(&w(str_len));
        if layout {
            out.extend_from_slice(&w(type_len));
            out.extend_from_slice(&w(layout_len));
        }
        out.extend_from_slice(&self.types);
        if layout {
            for l in &self.layout {
                out.push(l.info_size);
                out.push(l.elem_size);
                let f = if self.swap {
                    l.flags.swap_bytes()
                } else {
                    l.flags
                };
                out.extend_from_slice(&f.to_ne_bytes());
            }
        }
        out.extend_from_slice(&self.strings);
        out
    }
}

/// Which BTF kinds and features the kernel accepts (see
/// [`sanitize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BtfFeatures {
    pub(crate) func: bool,
    pub(crate) global_func: bool,
    pub(crate) datasec: bool,
    pub(crate) qmark_datasec: bool,
    pub(crate) float: bool,
    pub(crate) decl_tag: bool,
    pub(crate) type_tag: bool,
    pub(crate) enum64: bool,
    pub(crate) layout: bool,
}

impl BtfFeatures {
    /// Everything supported: no sanitising needed.
    pub(crate) const ALL: Self = BtfFeatures {
        func: true,
        global_func: true,
        datasec: true,
        qmark_datasec: true,
        float: true,
        decl_tag: true,
        type_tag: true,
        enum64: true,
        layout: true,
    };

    /// Nothing supported: every kind rewritten (tests).
    #[cfg(test)]
    pub(crate) const NONE: Self = BtfFeatures {
        func: false,
        global_func: false,
        datasec: false,
        qmark_datasec: false,
        float: false,
        decl_tag: false,
        type_tag: false,
        enum64: false,
        layout: false,
    };

    /// Whether some kind must be rewritten.
    pub(crate) fn needs_sanitizing(&self) -> bool {
        *self != Self::ALL
    }
}

/// libbpf's `bpf_object__sanitize_btf`: rewrites, in a copy, the kinds a
/// kernel lacks into ones it knows, keeping every type's size and id:
/// VAR and DECL_TAG become 1-byte INTs, DATASEC a STRUCT, FUNC_PROTO an
/// ENUM and FUNC a TYPEDEF (or a static FUNC), FLOAT an empty STRUCT,
/// TYPE_TAG a CONST, ENUM64 a UNION of a placeholder INT; `?` DATASEC
/// names get a `_`; the layout section is dropped.
pub(crate) fn sanitize(orig: &RawBtf, f: &BtfFeatures) -> (RawBtf, bool) {
    let mut raw = orig.clone();
    let mut enum64_placeholder = None;
    let mut anon_param = None;
    let count = raw.type_count();
    for id in 1..=count {
        let id = TypeId(id);
        let Some(kind) = raw.kind(id) else {
            continue;
        };
        let vlen = raw.vlen(id) as u32;
        match kind {
            Kind::Var | Kind::DeclTag
                if (kind == Kind::Var && !f.datasec) || (kind == Kind::DeclTag && !f.decl_tag) =>
            {
                raw.set_info(id, Kind::Int, false, 0);
                raw.set_word(id, 2, 1);
                raw.set_word(id, 3, 8);
            }
            Kind::Datasec if !f.datasec => {
                let name_off = raw.name_off(id);
                raw.map_string(name_off, |b| if b == b'.' || b == b'?' { b'_' } else { b });
                raw.set_info(id, Kind::Struct, false, vlen);
                for j in 0..vlen as usize {
                    let w = 3 + 3 * j;
                    let (ty, off) = (raw.word(id, w), raw.word(id, w + 1));
                    raw.set_word(id, w + 2, off.wrapping_mul(8));
                    raw.set_word(id, w + 1, ty);
                    let var_name = raw.name_off(TypeId(ty));
                    raw.set_word(id, w, var_name);
                }
            }
            Kind::Datasec if !f.qmark_datasec && raw.name(id).starts_with('?') => {
                let name_off = raw.name_off(id);
                let mut first = true;
                raw.map_string(name_off, |b| {
                    let out = if first && b == b'?' { b'_' } else { b };
                    first = false;
                    out
                });
            }
            Kind::FuncProto if !f.func => {
                raw.set_info(id, Kind::Enum, false, vlen);
                raw.set_word(id, 2, 4);
                // The parameters become the enum's values, and the kernel
                // wants every enum value named ("Invalid name"): unnamed
                // parameters (prototypes of function pointers, the `...`
                // of a variadic one) get a placeholder name. libbpf leaves
                // them unnamed, which a kernel checking names refuses.
                for j in 0..vlen as usize {
                    let w = 3 + 2 * j;
                    if raw.word(id, w) == 0 {
                        let name =
                            *anon_param.get_or_insert_with(|| raw.add_string("__anon_param"));
                        raw.set_word(id, w, name);
                    }
                }
            }
            Kind::Func if !f.func => raw.set_info(id, Kind::Typedef, false, 0),
            Kind::Func if !f.global_func => raw.set_info(id, Kind::Func, false, 0),
            Kind::Float if !f.float => {
                raw.set_word(id, 0, 0);
                raw.set_info(id, Kind::Struct, false, 0);
            }
            Kind::TypeTag if !f.type_tag => {
                raw.set_word(id, 0, 0);
                raw.set_info(id, Kind::Const, false, 0);
            }
            Kind::Enum if !f.enum64 => raw.set_info(id, Kind::Enum, false, vlen),
            Kind::Enum64 if !f.enum64 => {
                let placeholder = *enum64_placeholder
                    .get_or_insert_with(|| raw.add_int("enum64_placeholder", 1, 0, 8));
                raw.set_info(id, Kind::Union, false, vlen);
                for j in 0..vlen as usize {
                    let w = 3 + 3 * j;
                    raw.set_word(id, w + 1, placeholder.get());
                    raw.set_word(id, w + 2, 0);
                }
            }
            _ => {}
        }
    }
    (raw, f.layout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_btf::{BtfBuilder, Endian, IntEncoding, Linkage, Type, VarSecInfo};

    #[test]
    fn edits_keep_string_offsets() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let var = b.add_var("x", int, Linkage::Global);
        let sec = b
            .add_datasec(
                ".data",
                0,
                &[VarSecInfo {
                    ty: var,
                    offset: 0,
                    size: 4,
                }],
            )
            .unwrap();
        let bytes = b.to_bytes().unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let mut raw = RawBtf::new(&btf);
        assert_eq!(raw.type_count(), 3);
        assert_eq!(raw.kind(sec), Some(Kind::Datasec));
        assert_eq!(raw.name(sec), ".data");
        raw.set_word(sec, 2, 16);
        raw.set_datasec_vars(sec, &[(var, 12, 4)]);
        raw.set_word(var, 3, VAR_STATIC);
        let y = raw.add_var("dummy", int, VAR_GLOBAL_ALLOCATED);
        let name_before = btf.name_offset(var);
        let out = Btf::parse_owned(raw.to_bytes()).unwrap();
        assert_eq!(out.name_offset(var), name_before);
        let Some(Type::Datasec(d)) = out.type_by_id(sec) else {
            panic!()
        };
        assert_eq!(d.size, 16);
        assert_eq!(d.vars().next().unwrap().offset, 12);
        let Some(Type::Var(v)) = out.type_by_id(var) else {
            panic!()
        };
        assert_eq!(v.linkage, Some(Linkage::Static));
        let Some(Type::Var(v)) = out.type_by_id(y) else {
            panic!()
        };
        assert_eq!((v.name, v.ty), ("dummy", int));
    }

    #[test]
    fn sanitizing_keeps_sizes_and_ids() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let proto = b.add_func_proto(int, &[("a", int)]).unwrap();
        let func = b.add_func("f", proto, Linkage::Global);
        let var = b.add_var("x", int, Linkage::Global);
        let sec = b
            .add_datasec(
                "?.data",
                4,
                &[VarSecInfo {
                    ty: var,
                    offset: 0,
                    size: 4,
                }],
            )
            .unwrap();
        let float = b.add_float("float", 4);
        let e64 = b
            .add_enum("big", 8, false, true, &[("A", 1 << 40)])
            .unwrap();
        let bytes = b.to_bytes().unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let raw = RawBtf::new(&btf);
        let none = BtfFeatures::NONE;
        let (out, _) = sanitize(&raw, &none);
        let out = Btf::parse_owned(out.to_bytes()).unwrap();
        assert_eq!(out.kind(func), Some(Kind::Typedef));
        assert_eq!(out.kind(proto), Some(Kind::Enum));
        assert_eq!(out.kind(var), Some(Kind::Int));
        assert_eq!(out.kind(float), Some(Kind::Struct));
        assert_eq!(out.size_of(float).unwrap(), 4);
        let Some(Type::Struct(s)) = out.type_by_id(sec) else {
            panic!()
        };
        assert_eq!(s.name, "__data");
        assert_eq!(s.members().next().unwrap().name, "x");
        let Some(Type::Union(u)) = out.type_by_id(e64) else {
            panic!()
        };
        assert_eq!((u.size, u.len()), (8, 1));
        // Only global FUNCs missing: FUNC becomes static.
        let (out, _) = sanitize(
            &raw,
            &BtfFeatures {
                global_func: false,
                ..BtfFeatures::ALL
            },
        );
        let out = Btf::parse_owned(out.to_bytes()).unwrap();
        assert!(
            matches!(out.type_by_id(func), Some(Type::Func(f)) if f.linkage == Some(Linkage::Static))
        );
    }

    #[test]
    fn foreign_byte_order_round_trips() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let other = match Endian::NATIVE {
            Endian::Little => Endian::Big,
            Endian::Big => Endian::Little,
        };
        let bytes = b.to_bytes_endian(other).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let mut raw = RawBtf::new(&btf);
        assert_eq!(raw.kind(int), Some(Kind::Int));
        let v = raw.add_var("v", int, VAR_STATIC);
        let out = Btf::parse_owned(raw.to_bytes()).unwrap();
        assert_eq!(out.endian(), Endian::NATIVE, "edited BTF is native");
        assert!(matches!(out.type_by_id(v), Some(Type::Var(x)) if x.ty == int));
    }

    /// What the shape tests above cannot show: that the kernel accepts
    /// the rewritten BTF. Each kind's rewrite alone, and all at once, on
    /// the committed objects that use every kind clang emits (FUNC, VAR,
    /// DATASEC and `?` DATASECs, FLOAT, DECL_TAG, TYPE_TAG, ENUM64), must
    /// pass BPF_BTF_LOAD on the running kernel. The kernel matrix runs
    /// this on 6.1 and 6.12 too.
    #[test]
    fn sanitized_btf_loads_into_the_kernel() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let none = BtfFeatures::NONE;
        // Kernels gained the kinds in this order (FUNC 5.0, DATASEC 5.2,
        // global FUNC 5.6, FLOAT 5.13, DECL_TAG 5.16, TYPE_TAG 5.17, `?`
        // DATASEC names 5.19, ENUM64 6.0, then the layout section): a
        // kernel lacking one lacks every later one, and only those
        // combinations exist (a DECL_TAG on a FUNC's parameter with FUNC
        // rewritten to a TYPEDEF is not valid BTF anywhere).
        type Off = fn(&mut BtfFeatures);
        let generations: [(&str, Off); 9] = [
            ("func", |f| f.func = false),
            ("datasec", |f| f.datasec = false),
            ("global_func", |f| f.global_func = false),
            ("float", |f| f.float = false),
            ("decl_tag", |f| f.decl_tag = false),
            ("type_tag", |f| f.type_tag = false),
            ("qmark_datasec", |f| f.qmark_datasec = false),
            ("enum64", |f| f.enum64 = false),
            ("layout", |f| f.layout = false),
        ];
        let mut kinds_seen = std::collections::BTreeSet::new();
        for obj in [
            "testdata/btf/kinds.bpf.o",
            "testdata/btf/tags.bpf.o",
            "testdata/btf/maps_globals.bpf.o",
            "testdata/loader/globals.bpf.o",
        ] {
            let spec = crate::CollectionSpec::from_file(root.join(obj))
                .unwrap_or_else(|e| panic!("{obj}: {e}"));
            let btf = spec.btf.as_ref().expect("object has BTF");
            for id in 1..=btf.last_id().0 {
                if let Some(k) = btf.kind(TypeId(id)) {
                    kinds_seen.insert(format!("{k:?}"));
                }
            }
            // The fixed-up original first: if the kernel cannot load BTF
            // at all, say so (and skip only when allowed to).
            if let Err(e) = oxbpf_sys::btf_load(btf.raw_bytes(), None, None) {
                if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
                    eprintln!("SKIP sanitized_btf_loads_into_the_kernel: BPF_BTF_LOAD of {obj} failed: {e} (OXBPF_ALLOW_SKIP is set)");
                    return;
                }
                panic!("BPF_BTF_LOAD of {obj} failed: {e}; set OXBPF_ALLOW_SKIP=1 to skip");
            }
            let raw = RawBtf::new(btf);
            // A kernel without `name` and everything newer.
            let mut cases: Vec<(&str, BtfFeatures)> = Vec::new();
            for (k, (name, _)) in generations.iter().enumerate() {
                let mut f = BtfFeatures::ALL;
                for (_, off) in &generations[k..] {
                    off(&mut f);
                }
                cases.push((name, f));
            }
            assert!(cases[0].1 == none);
            for (what, f) in cases {
                let (out, keep_layout) = sanitize(&raw, &f);
                let bytes = out.to_bytes_with(keep_layout);
                let mut buf = vec![0u8; 1 << 16];
                let mut log = oxbpf_sys::LogBuffer::new(&mut buf, oxbpf_sys::LogLevel::LEVEL1);
                if let Err(e) = oxbpf_sys::btf_load(&bytes, None, Some(&mut log)) {
                    panic!(
                        "{obj} sanitized for a kernel without {what} and newer kinds: the kernel refuses it: {e}\n{}",
                        log.to_string_lossy()
                    );
                }
            }
        }
        for kind in [
            "Func", "Var", "Datasec", "Float", "DeclTag", "TypeTag", "Enum64",
        ] {
            assert!(
                kinds_seen.contains(kind),
                "no object has a {kind}: the test covers less than it says ({kinds_seen:?})"
            );
        }
    }
}
