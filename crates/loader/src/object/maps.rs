//! Map definitions: BTF-defined maps in `.maps` (libbpf's
//! `parse_btf_map_def`), legacy `struct bpf_map_def`s in `maps`, global
//! data sections and the `.kconfig` map (`bpf_object__init_internal_map`).

use std::sync::Arc;

use oxbpf_btf::{Btf, Member, Type, TypeId};
use oxbpf_maps::{MapBtf, MapEntry, MapFlags, MapSpec, MapType, Pinning};

use super::{Parser, SecKind};
use crate::btf_edit::VAR_STATIC;
use crate::core::btfx::{k, RawType};
use crate::error::ParseError;
use crate::spec::{DataSectionKind, ExternKind};

/// Where a map comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapOrigin {
    /// `maps`: a legacy definition.
    Legacy,
    /// `.maps`: the `var_idx`-th variable of the DATASEC.
    Btf {
        /// Index of the variable in the `.maps` DATASEC.
        var_idx: usize,
    },
    /// A global data section or `.kconfig`.
    Data(DataSectionKind),
}

/// A map and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct MapDesc {
    pub(crate) spec: MapSpec,
    pub(crate) origin: MapOrigin,
    /// The ELF section it is defined in (`.maps`, `maps`, `.rodata`, ...;
    /// the symbol table for `.kconfig`).
    pub(crate) sec_idx: usize,
    /// Offset of the definition in the section.
    pub(crate) sec_offset: u64,
    /// `.rodata` for `obj.rodata`; the name for other maps.
    pub(crate) real_name: String,
}

/// What a BTF map definition says (libbpf's `struct btf_map_def`).
#[derive(Debug, Default)]
struct BtfMapDef {
    map_type: u32,
    key_type_id: TypeId,
    key_size: u32,
    value_type_id: TypeId,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    numa_node: u32,
    pinning: u32,
    map_extra: u64,
    has_inner: bool,
}

/// `BPF_OBJ_NAME_LEN`
const OBJ_NAME_LEN: usize = 16;

/// libbpf's `internal_map_name`: as much of the object's name as fits
/// before the section name (`globals.rodata`), except for custom sections
/// (`.rodata.foo`), which keep their own (truncated) name; characters the
/// kernel refuses become `_`.
pub(crate) fn internal_map_name(obj_name: &str, real_name: &str) -> String {
    let sfx_len = real_name.len().clamp(7, OBJ_NAME_LEN - 1);
    let custom = real_name.get(1..).is_some_and(|r| r.contains('.'));
    let pfx_len = if custom {
        0
    } else {
        (OBJ_NAME_LEN - sfx_len - 1).min(obj_name.len())
    };
    let prefix = obj_name.bytes().take(pfx_len);
    let suffix = real_name.bytes().take(sfx_len);
    prefix
        .chain(suffix)
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                char::from(b)
            } else {
                '_'
            }
        })
        .collect()
}

/// libbpf's `adjust_ringbuf_sz`: a power-of-2 multiple of the page size
/// at least as large as `size`.
pub(crate) fn adjust_ringbuf_size(size: u32, page_size: u32) -> u32 {
    if size == 0 || page_size == 0 {
        return size;
    }
    if size % page_size == 0 && (size / page_size).is_power_of_two() {
        return size;
    }
    let mut mul: u32 = 1;
    while let Some(total) = mul.checked_mul(page_size) {
        if total > size {
            return total;
        }
        match mul.checked_mul(2) {
            Some(m) => mul = m,
            None => break,
        }
    }
    size
}

fn is_map_in_map(t: u32) -> bool {
    t == MapType::ARRAY_OF_MAPS.as_raw() || t == MapType::HASH_OF_MAPS.as_raw()
}

fn is_ringbuf(t: MapType) -> bool {
    t == MapType::RINGBUF || t == MapType::USER_RINGBUF
}

/// The largest global data section accepted: array map values are at most
/// `KMALLOC_MAX_SIZE`, which is 4 MiB with 4 KiB pages and the default page
/// order, and 512 MiB in the largest configuration (64 KiB pages, order 13).
const MAX_DATA_SECTION: u64 = 512 << 20;

/// libbpf's `get_map_field_int`: `int (*name)[N]` encodes N. The common
/// case is read from raw records; anything else takes the decoding path,
/// which also words the errors.
fn field_int(map: &str, btf: &Btf<'_>, m: &Member<'_>) -> Result<u32, ParseError> {
    let raw = |id| RawType::of(btf, id);
    if let Some(ptr) = btf.resolve(m.ty).ok().and_then(raw) {
        if let Some(arr) = raw(ptr.ty()).filter(|_| ptr.kind == k::PTR) {
            if arr.kind == k::ARRAY {
                return Ok(arr.array().1);
            }
        }
    }
    field_int_decoded(map, btf, m)
}

fn field_int_decoded(map: &str, btf: &Btf<'_>, m: &Member<'_>) -> Result<u32, ParseError> {
    let (_, t) = btf
        .resolve_type(m.ty)
        .map_err(|e| ParseError::map(map, format!("attr `{}`: {e}", m.name)))?;
    let Type::Ptr(p) = t else {
        return Err(ParseError::map(
            map,
            format!("attr `{}`: expected PTR, got {}", m.name, t.kind()),
        ));
    };
    match btf.type_by_id(p.target) {
        Some(Type::Array(a)) => Ok(a.len),
        Some(t) => Err(ParseError::map(
            map,
            format!("attr `{}`: expected ARRAY, got {}", m.name, t.kind()),
        )),
        None => Err(ParseError::map(
            map,
            format!("attr `{}`: type [{}] not found", m.name, p.target),
        )),
    }
}

/// libbpf's `get_map_field_long`: an int field, or a one-value enum.
fn field_long(map: &str, btf: &Btf<'_>, m: &Member<'_>) -> Result<u64, ParseError> {
    let (_, t) = btf
        .resolve_type(m.ty)
        .map_err(|e| ParseError::map(map, format!("attr `{}`: {e}", m.name)))?;
    match t {
        Type::Ptr(_) => field_int(map, btf, m).map(u64::from),
        Type::Enum(e) | Type::Enum64(e) => {
            let mut values = e.values();
            match (values.next(), values.next()) {
                (Some(v), None) => Ok(if e.is_64() {
                    v.value
                } else {
                    v.value & 0xffff_ffff
                }),
                _ => Err(ParseError::map(
                    map,
                    format!("attr `{}`: invalid __ulong", m.name),
                )),
            }
        }
        t => Err(ParseError::map(
            map,
            format!(
                "attr `{}`: expected ENUM or ENUM64, got {}",
                m.name,
                t.kind()
            ),
        )),
    }
}

/// The size of the type a `key`/`value` pointer member points to.
fn pointee(
    map: &str,
    btf: &Btf<'_>,
    m: &Member<'_>,
    what: &str,
) -> Result<(TypeId, u32), ParseError> {
    if let Some(ptr) = RawType::of(btf, m.ty).filter(|t| t.kind == k::PTR) {
        if let Ok(size) = btf.size_of(ptr.ty()) {
            return Ok((ptr.ty(), size));
        }
    }
    match btf.type_by_id(m.ty) {
        Some(Type::Ptr(p)) => {
            let size = btf.size_of(p.target).map_err(|e| {
                ParseError::map(
                    map,
                    format!("can't determine {what} size for type [{}]: {e}", p.target),
                )
            })?;
            Ok((p.target, size))
        }
        Some(t) => Err(ParseError::map(
            map,
            format!("{what} spec is not PTR: {}", t.kind()),
        )),
        None => Err(ParseError::map(
            map,
            format!("{what} type [{}] not found", m.ty),
        )),
    }
}

/// libbpf's `parse_btf_map_def`; `inner` is `None` when parsing an inner
/// map's definition.
fn parse_btf_map_def(
    map: &str,
    btf: &Btf<'_>,
    def: TypeId,
    strict: bool,
    out: &mut BtfMapDef,
    mut inner: Option<&mut BtfMapDef>,
) -> Result<(), ParseError> {
    let Some(Type::Struct(def)) = btf.type_by_id(def) else {
        return Err(ParseError::map(map, "definition is not a struct"));
    };
    let is_inner = inner.is_none();
    let vlen = def.len();
    for (i, m) in def.members().enumerate() {
        match m.name {
            "type" => out.map_type = field_int(map, btf, &m)?,
            "max_entries" => out.max_entries = field_int(map, btf, &m)?,
            "map_flags" => out.map_flags = field_int(map, btf, &m)?,
            "numa_node" => out.numa_node = field_int(map, btf, &m)?,
            "key_size" => {
                let sz = field_int(map, btf, &m)?;
                if out.key_size != 0 && out.key_size != sz {
                    return Err(ParseError::map(
                        map,
                        format!("conflicting key size {} != {sz}", out.key_size),
                    ));
                }
                out.key_size = sz;
            }
            "key" => {
                let (id, sz) = pointee(map, btf, &m, "key")?;
                if out.key_size != 0 && out.key_size != sz {
                    return Err(ParseError::map(
                        map,
                        format!("conflicting key size {} != {sz}", out.key_size),
                    ));
                }
                out.key_size = sz;
                out.key_type_id = id;
            }
            "value_size" => {
                let sz = field_int(map, btf, &m)?;
                if out.value_size != 0 && out.value_size != sz {
                    return Err(ParseError::map(
                        map,
                        format!("conflicting value size {} != {sz}", out.value_size),
                    ));
                }
                out.value_size = sz;
            }
            "value" => {
                let (id, sz) = pointee(map, btf, &m, "value")?;
                if out.value_size != 0 && out.value_size != sz {
                    return Err(ParseError::map(
                        map,
                        format!("conflicting value size {} != {sz}", out.value_size),
                    ));
                }
                out.value_size = sz;
                out.value_type_id = id;
            }
            "values" => {
                let mim = is_map_in_map(out.map_type);
                let prog_array = out.map_type == MapType::PROG_ARRAY.as_raw();
                let desc = if mim {
                    "map-in-map inner"
                } else {
                    "prog-array value"
                };
                if is_inner {
                    return Err(ParseError::map(map, "multi-level inner maps not supported"));
                }
                if i + 1 != vlen {
                    return Err(ParseError::map(map, "`values` member should be last"));
                }
                if !mim && !prog_array {
                    return Err(ParseError::map(map, "should be map-in-map or prog-array"));
                }
                if out.value_size != 0 && out.value_size != 4 {
                    return Err(ParseError::map(
                        map,
                        format!("conflicting value size {} != 4", out.value_size),
                    ));
                }
                out.value_size = 4;
                let Some(Type::Array(arr)) = btf.type_by_id(m.ty) else {
                    return Err(ParseError::map(
                        map,
                        format!("{desc} spec is not a zero-sized array"),
                    ));
                };
                if arr.len != 0 {
                    return Err(ParseError::map(
                        map,
                        format!("{desc} spec is not a zero-sized array"),
                    ));
                }
                let ptr = btf
                    .resolve_type(arr.elem)
                    .map_err(|e| ParseError::map(map, e.to_string()))?;
                let Type::Ptr(ptr) = ptr.1 else {
                    return Err(ParseError::map(
                        map,
                        format!("{desc} def is of unexpected kind {}", ptr.1.kind()),
                    ));
                };
                let (target_id, target) = btf
                    .resolve_type(ptr.target)
                    .map_err(|e| ParseError::map(map, e.to_string()))?;
                if prog_array {
                    if !matches!(target, Type::FuncProto(_)) {
                        return Err(ParseError::map(
                            map,
                            format!(
                                "prog-array value def is of unexpected kind {}",
                                target.kind()
                            ),
                        ));
                    }
                    continue;
                }
                if !matches!(target, Type::Struct(_)) {
                    return Err(ParseError::map(
                        map,
                        format!(
                            "map-in-map inner def is of unexpected kind {}",
                            target.kind()
                        ),
                    ));
                }
                let inner_name = format!("{map}.inner");
                let Some(inner_def) = inner.as_deref_mut() else {
                    return Err(ParseError::map(map, "multi-level inner maps not supported"));
                };
                parse_btf_map_def(&inner_name, btf, target_id, strict, inner_def, None)?;
                out.has_inner = true;
            }
            "pinning" => {
                if is_inner {
                    return Err(ParseError::map(map, "inner def can't be pinned"));
                }
                let v = field_int(map, btf, &m)?;
                if v > 1 {
                    return Err(ParseError::map(map, format!("invalid pinning value {v}")));
                }
                out.pinning = v;
            }
            "map_extra" => out.map_extra = field_long(map, btf, &m)?,
            other => {
                if strict {
                    return Err(ParseError::map(map, format!("unknown field `{other}`")));
                }
            }
        }
    }
    if out.map_type == 0 {
        return Err(ParseError::map(map, "map type isn't specified"));
    }
    Ok(())
}

/// libbpf's `fill_map_from_def`, into a [`MapSpec`].
fn spec_from_def(name: &str, def: &BtfMapDef, btf: &Arc<Btf<'static>>) -> MapSpec {
    let map_type = MapType::from_raw(def.map_type);
    let flags = MapFlags::from_bits_retain(def.map_flags);
    let mut max_entries = def.max_entries;
    if is_ringbuf(map_type) {
        max_entries = adjust_ringbuf_size(max_entries, oxbpf_sys::page_size() as u32);
    }
    let mut spec = MapSpec::new(name, map_type, def.key_size, def.value_size, max_entries);
    spec.flags = flags;
    spec.map_extra = def.map_extra;
    // The kernel only looks at numa_node with BPF_F_NUMA_NODE, which
    // MapSpec sets whenever numa_node is Some.
    if flags.contains(MapFlags::NUMA_NODE) {
        spec.numa_node = Some(def.numa_node);
    }
    if def.key_type_id != TypeId::VOID || def.value_type_id != TypeId::VOID {
        spec.btf = Some(MapBtf::new(btf.clone(), def.key_type_id, def.value_type_id));
    }
    if def.pinning == 1 {
        spec.pinning = Pinning::ByName;
    }
    spec
}

impl Parser<'_> {
    /// libbpf's `bpf_object__init_maps`, with legacy maps first (as libbpf
    /// 0.x did).
    pub(super) fn init_maps(&mut self) -> Result<(), ParseError> {
        // Section-like names (starting with `.`, which no C identifier
        // does): the first type of each, for btf__find_by_name(".data").
        if let Some(btf) = &self.btf {
            // Look at the name's first byte before decoding it: few names
            // start with `.`.
            let strs = btf.own_strings();
            let first = btf.strings_len() - strs.len() as u32;
            for id in btf.own_ids() {
                let off = btf.name_offset(id).0;
                let dot = off
                    .checked_sub(first)
                    .and_then(|o| strs.get(o as usize))
                    .is_some_and(|&b| b == b'.');
                if dot {
                    let name = btf.name_of(id);
                    if !self.dot_names.contains_key(name) {
                        self.dot_names.insert(name.to_string(), id);
                    }
                }
            }
        }
        self.init_legacy_maps()?;
        self.init_btf_maps()?;
        self.init_data_maps()?;
        self.init_kconfig_map()?;
        // Duplicate names: sort references (objects have a few dozen maps;
        // cheaper than hashing each name).
        let mut names: Vec<&str> = self.maps.iter().map(|m| m.spec.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w.first() == w.get(1)) {
            let name = w.first().copied().unwrap_or_default();
            return Err(ParseError::map(name, "two maps have this name"));
        }
        Ok(())
    }

    /// The `.maps` DATASEC.
    pub(super) fn maps_datasec(&self, btf: &Btf<'_>) -> Option<TypeId> {
        match self.dot_names.get(".maps") {
            Some(&id) if btf.kind(id) == Some(oxbpf_btf::Kind::Datasec) => Some(id),
            _ => btf.find_by_name_kind(".maps", oxbpf_btf::Kind::Datasec),
        }
    }

    /// Legacy `struct bpf_map_def { type, key_size, value_size,
    /// max_entries, map_flags }` in the `maps` section, one per symbol.
    fn init_legacy_maps(&mut self) -> Result<(), ParseError> {
        let Some(idx) = self.legacy_maps_idx else {
            return Ok(());
        };
        let data = self.sections.get(idx).map(|s| s.data).unwrap_or_default();
        let mut syms: Vec<_> = self
            .symbols
            .iter()
            .filter(|s| s.shndx as usize == idx && s.st_type != object::elf::STT_SECTION)
            .collect();
        if syms.is_empty() {
            return Ok(());
        }
        if data.len() % syms.len() != 0 {
            return Err(ParseError::section(
                "maps",
                idx,
                format!(
                    "{} bytes are not a whole number of definitions for {} maps",
                    data.len(),
                    syms.len()
                ),
            ));
        }
        let def_size = data.len() / syms.len();
        syms.sort_by_key(|s| s.value);
        for sym in syms {
            let off = sym.value as usize;
            let def = off
                .checked_add(def_size)
                .and_then(|end| data.get(off..end))
                .ok_or_else(|| ParseError::map(sym.name, "definition beyond the section's end"))?;
            if def_size > 20 && !self.opts.relaxed_maps && def.iter().skip(20).any(|&b| b != 0) {
                return Err(ParseError::map(
                    sym.name,
                    "unrecognized map definition: non-zero bytes after `map_flags`",
                ));
            }
            let field = |i: usize| super::read_u32(def, i * 4, self.endian).unwrap_or(0);
            let map_type = MapType::from_raw(field(0));
            let mut spec = MapSpec::new(sym.name, map_type, field(1), field(2), field(3));
            spec.flags = MapFlags::from_bits_retain(field(4));
            if is_ringbuf(map_type) {
                spec.max_entries =
                    adjust_ringbuf_size(spec.max_entries, oxbpf_sys::page_size() as u32);
            }
            self.maps.push(MapDesc {
                spec,
                origin: MapOrigin::Legacy,
                sec_idx: idx,
                sec_offset: sym.value,
                real_name: sym.name.to_string(),
            });
        }
        Ok(())
    }

    /// libbpf's `bpf_object__init_user_btf_maps`.
    fn init_btf_maps(&mut self) -> Result<(), ParseError> {
        let Some(idx) = self.maps_idx else {
            return Ok(());
        };
        let Some(btf) = self.btf.clone() else {
            return Err(ParseError::MissingBtf {
                what: "BTF-defined maps (`.maps`)",
            });
        };
        let data_len = self.sections.get(idx).map_or(0, |s| s.data.len());
        let sec_id = self
            .maps_datasec(&btf)
            .ok_or_else(|| ParseError::btf("DATASEC `.maps`", "not found"))?;
        let Some(Type::Datasec(sec)) = btf.type_by_id(sec_id) else {
            return Err(ParseError::btf("DATASEC `.maps`", "not found"));
        };
        let strict = !self.opts.relaxed_maps;
        for (var_idx, vi) in sec.vars().enumerate() {
            let Some(Type::Var(var)) = btf.type_by_id(vi.ty) else {
                return Err(ParseError::map(
                    &format!("#{var_idx}"),
                    "`.maps` member is not a VAR",
                ));
            };
            let name = var.name;
            if name.is_empty() {
                return Err(ParseError::map(&format!("#{var_idx}"), "empty name"));
            }
            if u64::from(vi.offset) + u64::from(vi.size) > data_len as u64 {
                return Err(ParseError::map(
                    name,
                    "BTF data is corrupted (beyond `.maps`)",
                ));
            }
            if var.raw_linkage != 1 {
                return Err(ParseError::map(
                    name,
                    format!("unsupported map linkage {}", var.raw_linkage),
                ));
            }
            let (def_id, def_t) = btf
                .resolve_type(var.ty)
                .map_err(|e| ParseError::map(name, e.to_string()))?;
            let Type::Struct(def) = def_t else {
                return Err(ParseError::map(
                    name,
                    format!("unexpected def kind {}", def_t.kind()),
                ));
            };
            if def.size > vi.size {
                return Err(ParseError::map(name, "invalid def size"));
            }
            let mut map_def = BtfMapDef::default();
            let mut inner_def = BtfMapDef::default();
            parse_btf_map_def(
                name,
                &btf,
                def_id,
                strict,
                &mut map_def,
                Some(&mut inner_def),
            )?;
            let mut spec = spec_from_def(name, &map_def, &btf);
            if map_def.has_inner {
                let inner_name = format!("{name}.inner");
                spec.inner_map = Some(Box::new(spec_from_def(&inner_name, &inner_def, &btf)));
            }
            self.maps.push(MapDesc {
                spec,
                origin: MapOrigin::Btf { var_idx },
                sec_idx: idx,
                sec_offset: u64::from(vi.offset),
                real_name: name.to_string(),
            });
        }
        Ok(())
    }

    /// libbpf's `bpf_object__init_internal_map` for a section or `.kconfig`.
    fn internal_map(
        &self,
        real_name: &str,
        kind: DataSectionKind,
        data: Option<&[u8]>,
        size: u32,
    ) -> MapSpec {
        let name = internal_map_name(&self.name, real_name);
        let mut spec = MapSpec::new(name, MapType::ARRAY, 4, size, 1);
        if matches!(kind, DataSectionKind::Rodata | DataSectionKind::Kconfig) {
            spec.flags = MapFlags::RDONLY_PROG;
            spec.freeze = true;
        }
        // map_fill_btf_type_info: the first type named like the section
        // (failures are fine: .rodata.str1.1 has no DATASEC).
        if let Some(btf) = &self.btf {
            if let Some(&id) = self.dot_names.get(real_name) {
                spec.btf = Some(MapBtf::new(btf.clone(), TypeId::VOID, id));
                // map_is_mmapable: a DATASEC with a non-static variable.
                if let Some(Type::Datasec(d)) = btf.type_by_id(id) {
                    let exposed = d.vars().any(|v| {
                        matches!(btf.type_by_id(v.ty), Some(Type::Var(var)) if var.raw_linkage != VAR_STATIC)
                    });
                    if exposed {
                        spec.flags |= MapFlags::MMAPABLE;
                    }
                }
            }
        }
        let mut value = vec![0u8; size as usize];
        if let Some(data) = data {
            let n = data.len().min(value.len());
            if let (Some(dst), Some(src)) = (value.get_mut(..n), data.get(..n)) {
                dst.copy_from_slice(src);
            }
        }
        spec.contents.push(MapEntry {
            key: 0u32.to_ne_bytes().to_vec(),
            value,
        });
        spec
    }

    /// libbpf's `bpf_object__init_global_data_maps`. A section larger than
    /// any kernel accepts as an array map value is refused here, before a
    /// buffer of its size is allocated (a `.bss` header can claim any size
    /// without the file holding the bytes).
    fn init_data_maps(&mut self) -> Result<(), ParseError> {
        for idx in 1..self.sections.len() {
            let Some(s) = self.sections.get(idx) else {
                continue;
            };
            let kind = match s.kind {
                SecKind::Data => DataSectionKind::Data,
                SecKind::Rodata => DataSectionKind::Rodata,
                SecKind::Bss => DataSectionKind::Bss,
                _ => continue,
            };
            if s.size == 0 {
                continue;
            }
            if s.size > MAX_DATA_SECTION {
                return Err(ParseError::section(
                    s.name,
                    idx,
                    format!(
                        "is {} bytes: larger than any kernel accepts as an array map value \
                         ({MAX_DATA_SECTION} bytes, the largest KMALLOC_MAX_SIZE)",
                        s.size
                    ),
                ));
            }
            let data = (kind != DataSectionKind::Bss).then_some(s.data);
            let spec = self.internal_map(s.name, kind, data, s.size as u32);
            let real_name = s.name.to_string();
            self.maps.push(MapDesc {
                spec,
                origin: MapOrigin::Data(kind),
                sec_idx: idx,
                sec_offset: 0,
                real_name,
            });
        }
        Ok(())
    }

    /// libbpf's `bpf_object__init_kconfig_map`.
    fn init_kconfig_map(&mut self) -> Result<(), ParseError> {
        let last = self.externs.iter().rev().find_map(|e| match e.spec.kind {
            ExternKind::Kconfig { offset, size, .. } => Some(u64::from(offset) + u64::from(size)),
            ExternKind::Ksym { .. } => None,
        });
        let Some(size) = last else {
            return Ok(());
        };
        if size > MAX_DATA_SECTION {
            return Err(ParseError::map(
                ".kconfig",
                format!("its externs need {size} bytes, more than any kernel accepts as an array map value"),
            ));
        }
        let size = size as u32;
        let spec = self.internal_map(".kconfig", DataSectionKind::Kconfig, None, size);
        self.maps.push(MapDesc {
            spec,
            origin: MapOrigin::Data(DataSectionKind::Kconfig),
            sec_idx: self.symtab_idx,
            sec_offset: 0,
            real_name: ".kconfig".to_string(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_map_names_follow_libbpf() {
        assert_eq!(
            internal_map_name("my_object_name", ".rodata"),
            "my_objec.rodata"
        );
        assert_eq!(internal_map_name("my_object_name", ".bss"), "my_objec.bss");
        assert_eq!(
            internal_map_name("my_object_name", ".kconfig"),
            "my_obje.kconfig"
        );
        assert_eq!(internal_map_name("globals", ".data"), "globals.data");
        assert_eq!(
            internal_map_name("globals", ".rodata.str1.1"),
            ".rodata.str1.1"
        );
        assert_eq!(
            internal_map_name("x", ".rodata.abracadabra"),
            ".rodata.abracad"
        );
        assert_eq!(internal_map_name("a-b", ".data"), "a_b.data");
        assert_eq!(internal_map_name("", ".rodata"), ".rodata");
    }

    #[test]
    fn ringbuf_sizes_round_up() {
        assert_eq!(adjust_ringbuf_size(0, 4096), 0);
        assert_eq!(adjust_ringbuf_size(4096, 4096), 4096);
        assert_eq!(adjust_ringbuf_size(5000, 4096), 8192);
        assert_eq!(adjust_ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(adjust_ringbuf_size(u32::MAX - 1, 4096), u32::MAX - 1);
    }
}
