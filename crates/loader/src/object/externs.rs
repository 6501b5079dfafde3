//! Externs: libbpf's `bpf_object__collect_externs`.
//!
//! `__kconfig` externs live in a `.kconfig` DATASEC and become values in a
//! `.kconfig` map, laid out by alignment and size; `__ksym` externs live
//! in `.ksyms` and become BTF ids or addresses. For the kernel to accept
//! the object's BTF, extern variables are turned into allocated ones: the
//! `.ksyms` variables into 4-byte `int`s, its functions into a
//! `dummy_ksym` variable.

use oxbpf_btf::{Btf, Kind, Type, TypeId};

use super::Parser;
use crate::btf_edit::{RawBtf, FUNC_GLOBAL, VAR_GLOBAL_ALLOCATED};
use crate::error::ParseError;
use crate::spec::{ExternKind, ExternSpec, KconfigType};

/// An extern, as the parser tracks it.
#[derive(Debug, Clone)]
pub(crate) struct ExternDesc {
    pub(crate) spec: ExternSpec,
    /// The ELF symbol index.
    pub(crate) sym_idx: usize,
    /// For kconfig externs: the value's alignment.
    align: u32,
}

/// `BTF_VAR_GLOBAL_EXTERN` / `BTF_FUNC_EXTERN`
const EXTERN: u32 = 2;

impl ExternDesc {
    fn is_kconfig(&self) -> bool {
        matches!(self.spec.kind, ExternKind::Kconfig { .. })
    }

    fn kconfig_size(&self) -> u32 {
        match self.spec.kind {
            ExternKind::Kconfig { size, .. } => size,
            ExternKind::Ksym { .. } => 0,
        }
    }
}

/// libbpf's `find_kcfg_type`.
fn kconfig_type(btf: &Btf<'_>, id: TypeId) -> Option<(KconfigType, bool)> {
    let (_, t) = btf.resolve_type(id).ok()?;
    match t {
        Type::Int(i) => {
            if i.encoding == oxbpf_btf::IntEncoding::Bool {
                return (i.size == 1).then_some((KconfigType::Bool, false));
            }
            let signed = i.is_signed();
            if i.size == 1 {
                return Some((KconfigType::Char, signed));
            }
            matches!(i.size, 2 | 4 | 8).then_some((KconfigType::Int, signed))
        }
        Type::Enum(e) => {
            (e.size == 4 && e.name == "libbpf_tristate").then_some((KconfigType::Tristate, false))
        }
        Type::Enum64(e) => (e.name == "libbpf_tristate").then_some((KconfigType::Tristate, false)),
        Type::Array(a) => {
            if a.len == 0 {
                return None;
            }
            matches!(kconfig_type(btf, a.elem), Some((KconfigType::Char, _)))
                .then_some((KconfigType::CharArray, false))
        }
        _ => None,
    }
}

/// libbpf's `find_int_btf_id`: the first 32-bit INT.
fn find_int(raw: &RawBtf) -> TypeId {
    (1..=raw.type_count())
        .map(TypeId)
        .find(|&id| raw.kind(id) == Some(Kind::Int) && raw.word(id, 3) & 0xff == 32)
        .unwrap_or(TypeId::VOID)
}

impl Parser<'_> {
    /// libbpf's `bpf_object__collect_externs`.
    pub(super) fn collect_externs(&mut self) -> Result<(), ParseError> {
        let (Some(btf), Some(mut raw)) = (self.orig_btf.as_ref(), self.raw_btf.take()) else {
            // Without BTF there can be no externs (init_btf refused already).
            return Ok(());
        };
        let result = self.collect_externs_with(btf, &mut raw);
        self.raw_btf = Some(raw);
        self.externs = result?;
        Ok(())
    }

    fn collect_externs_with(
        &self,
        btf: &Btf<'_>,
        raw: &mut RawBtf,
    ) -> Result<Vec<ExternDesc>, ParseError> {
        let dummy_var = Self::add_dummy_ksym_var(btf, raw);
        let mut externs = Vec::new();
        let mut kcfg_sec = None;
        let mut ksym_sec = None;
        for (sym_idx, sym) in self.symbols.iter().enumerate() {
            if !sym.is_extern() || sym.name.is_empty() {
                continue;
            }
            let err = |reason: String| ParseError::Extern {
                name: sym.name.to_string(),
                reason,
            };
            // find_extern_btf_id: the first VAR or FUNC of that name.
            let found =
                btf.ids_by_name(sym.name)
                    .into_iter()
                    .find_map(|id| match btf.type_by_id(id)? {
                        Type::Var(v) => Some((id, Kind::Var, v.raw_linkage, v.ty)),
                        Type::Func(f) => Some((id, Kind::Func, f.raw_linkage, f.proto)),
                        _ => None,
                    });
            let (btf_id, kind, linkage, ty) =
                found.ok_or_else(|| err("no BTF VAR or FUNC describes it".into()))?;
            if linkage != EXTERN {
                return Err(err(format!(
                    "its BTF {} is not `extern` (linkage {linkage})",
                    kind.name()
                )));
            }
            // find_extern_sec_btf_id: the DATASEC listing it.
            let sec = btf
                .types()
                .find_map(|(id, t)| match t {
                    Type::Datasec(d) if d.vars().any(|v| v.ty == btf_id) => Some((id, d.name)),
                    _ => None,
                })
                .ok_or_else(|| err("no BTF DATASEC lists it".into()))?;
            let weak = sym.bind == object::elf::STB_WEAK;
            let (spec_kind, align) = match sec.1 {
                ".kconfig" => {
                    if kind == Kind::Func {
                        return Err(err("functions cannot be `__kconfig`".into()));
                    }
                    kcfg_sec = Some(sec.0);
                    let size = btf
                        .size_of(ty)
                        .ok()
                        .filter(|&s| s > 0)
                        .ok_or_else(|| err("cannot determine the size of its type".into()))?;
                    let align =
                        btf.align_of(ty).ok().filter(|&a| a > 0).ok_or_else(|| {
                            err("cannot determine the alignment of its type".into())
                        })?;
                    let (value_type, signed) = kconfig_type(btf, ty)
                        .ok_or_else(|| err("its type is not supported for `__kconfig`".into()))?;
                    (
                        ExternKind::Kconfig {
                            value_type,
                            offset: 0,
                            size,
                            signed,
                        },
                        align,
                    )
                }
                ".ksyms" => {
                    ksym_sec = Some(sec.0);
                    let resolved = btf.resolve(ty).unwrap_or(ty);
                    (
                        ExternKind::Ksym {
                            type_id: (resolved != TypeId::VOID).then_some(resolved),
                            func: kind == Kind::Func,
                        },
                        0,
                    )
                }
                other => return Err(err(format!("unrecognized extern section `{other}`"))),
            };
            externs.push(ExternDesc {
                spec: ExternSpec {
                    name: btf.name_of(btf_id).to_string(),
                    weak,
                    btf_id,
                    kind: spec_kind,
                },
                sym_idx,
                align,
            });
        }
        if externs.is_empty() {
            return Ok(externs);
        }
        // cmp_externs: kconfig first; kconfig by alignment (descending) and
        // size (ascending); then by name.
        externs.sort_by(|a, b| {
            b.is_kconfig()
                .cmp(&a.is_kconfig())
                .then_with(|| {
                    if a.is_kconfig() && b.is_kconfig() {
                        b.align
                            .cmp(&a.align)
                            .then(a.kconfig_size().cmp(&b.kconfig_size()))
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| a.spec.name.cmp(&b.spec.name))
        });
        let find =
            |externs: &[ExternDesc], name: &str| externs.iter().position(|e| e.spec.name == name);
        if let Some(sec) = ksym_sec {
            let int_id = find_int(raw);
            let dummy_name = dummy_var.map_or(0, |d| raw.name_off(d));
            let mut vars = raw.datasec_vars(sec);
            let mut off = 0u32;
            for v in &mut vars {
                let name = raw.name(v.0).to_string();
                if find(&externs, &name).is_none() {
                    return Err(ParseError::Extern {
                        name,
                        reason: "listed in `.ksyms` but not an extern symbol".into(),
                    });
                }
                if raw.kind(v.0) == Some(Kind::Func) {
                    // Unnamed parameters get the dummy's name.
                    let proto = TypeId(raw.word(v.0, 2));
                    for j in 0..raw.vlen(proto) {
                        let (name_w, type_w) = (3 + 2 * j, 4 + 2 * j);
                        if raw.word(proto, type_w) != 0 && raw.word(proto, name_w) == 0 {
                            raw.set_word(proto, name_w, dummy_name);
                        }
                    }
                    raw.set_info(v.0, Kind::Func, false, FUNC_GLOBAL);
                    v.0 = dummy_var.unwrap_or(v.0);
                } else {
                    raw.set_word(v.0, 3, VAR_GLOBAL_ALLOCATED);
                    raw.set_word(v.0, 2, int_id.get());
                }
                v.1 = off;
                v.2 = 4;
                off += 4;
            }
            raw.set_datasec_vars(sec, &vars);
            raw.set_word(sec, 2, off);
        }
        if let Some(sec) = kcfg_sec {
            let mut off = 0u32;
            for e in &mut externs {
                if let ExternKind::Kconfig { offset, size, .. } = &mut e.spec.kind {
                    *offset = off.next_multiple_of(e.align);
                    off = *offset + *size;
                }
            }
            raw.set_word(sec, 2, off);
            let mut vars = raw.datasec_vars(sec);
            for v in &mut vars {
                let name = raw.name(v.0).to_string();
                let Some(i) = find(&externs, &name) else {
                    return Err(ParseError::Extern {
                        name,
                        reason: "listed in `.kconfig` but not an extern symbol".into(),
                    });
                };
                raw.set_word(v.0, 3, VAR_GLOBAL_ALLOCATED);
                if let Some(ExternKind::Kconfig { offset, .. }) =
                    externs.get(i).map(|e| &e.spec.kind)
                {
                    v.1 = *offset;
                }
            }
            raw.set_datasec_vars(sec, &vars);
        }
        Ok(externs)
    }

    /// libbpf's `add_dummy_ksym_var`: if `.ksyms` lists a function, adds a
    /// `dummy_ksym` VAR to stand in for it.
    fn add_dummy_ksym_var(btf: &Btf<'_>, raw: &mut RawBtf) -> Option<TypeId> {
        let sec = btf.find_by_name_kind(".ksyms", Kind::Datasec)?;
        let Some(Type::Datasec(d)) = btf.type_by_id(sec) else {
            return None;
        };
        if !d.vars().any(|v| btf.kind(v.ty) == Some(Kind::Func)) {
            return None;
        }
        let int_id = find_int(raw);
        Some(raw.add_var("dummy_ksym", int_id, VAR_GLOBAL_ALLOCATED))
    }
}
