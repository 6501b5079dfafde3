//! struct_ops maps: libbpf's `init_struct_ops_maps` (one map per variable
//! of a `.struct_ops` or `.struct_ops.link` section) and
//! `bpf_object__collect_st_ops_relos` (which program each function pointer
//! member points to).

use oxbpf_btf::{Kind, Type};

use super::{Parser, SecKind};
use crate::error::ParseError;
use crate::section::parse_section;
use crate::spec::{StructOpsProgram, StructOpsSpec};
use oxbpf_sys::ProgramType;

/// A struct_ops map while parsing: its spec and where its bytes are.
#[derive(Debug, Clone)]
pub(crate) struct StructOpsDesc {
    pub(crate) spec: StructOpsSpec,
    sec_idx: usize,
    offset: u64,
    size: u64,
}

impl Parser<'_> {
    /// One [`StructOpsSpec`] per variable of each struct_ops section, from
    /// the fixed-up DATASEC (so variable offsets are the ELF symbols').
    pub(super) fn init_struct_ops(&mut self) -> Result<(), ParseError> {
        let secs: Vec<(usize, &str, &[u8])> = self
            .sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SecKind::StructOps)
            .map(|(i, s)| (i, s.name, s.data))
            .collect();
        if secs.is_empty() {
            return Ok(());
        }
        let btf = self.btf.clone().ok_or(ParseError::MissingBtf {
            what: "struct_ops maps",
        })?;
        for (sec_idx, sec_name, data) in secs {
            let what = format!("DATASEC `{sec_name}`");
            let datasec = btf
                .find_by_name_kind(sec_name, Kind::Datasec)
                .and_then(|id| match btf.type_by_id(id) {
                    Some(Type::Datasec(d)) => Some(d),
                    _ => None,
                })
                .ok_or_else(|| ParseError::btf(&what, "not found"))?;
            let plain = sec_name.trim_start_matches('?');
            for v in datasec.vars() {
                let Some(Type::Var(var)) = btf.type_by_id(v.ty) else {
                    return Err(ParseError::btf(
                        &what,
                        format!("member [{}] is not a VAR", v.ty),
                    ));
                };
                let var_err = |reason: &str| {
                    ParseError::btf(format!("struct_ops variable `{}`", var.name), reason)
                };
                let (type_id, ty) = btf
                    .resolve_type(var.ty)
                    .map_err(|e| var_err(&e.to_string()))?;
                let Type::Struct(st) = ty else {
                    return Err(var_err("is not a struct"));
                };
                if st.name.is_empty() {
                    return Err(var_err("is of an anonymous struct type"));
                }
                let (start, size) = (u64::from(v.offset), u64::from(st.size));
                let bytes = usize::try_from(start)
                    .ok()
                    .and_then(|s| data.get(s..s.checked_add(st.size as usize)?))
                    .ok_or_else(|| {
                        var_err(&format!(
                            "bytes {start}..{} are outside its section ({} bytes)",
                            start + size,
                            data.len()
                        ))
                    })?;
                self.struct_ops.push(StructOpsDesc {
                    spec: StructOpsSpec {
                        name: var.name.to_string(),
                        section: sec_name.to_string(),
                        type_name: st.name.to_string(),
                        type_id,
                        data: bytes.to_vec(),
                        link: plain == ".struct_ops.link",
                        autocreate: !sec_name.starts_with('?'),
                        programs: Vec::new(),
                    },
                    sec_idx,
                    offset: start,
                    size,
                });
            }
        }
        Ok(())
    }

    /// Every relocation of a struct_ops section is a function pointer
    /// member set to a program.
    pub(super) fn collect_struct_ops_relos(
        &mut self,
        idx: usize,
        target: usize,
    ) -> Result<(), ParseError> {
        let Some(btf) = self.btf.clone() else {
            return Err(ParseError::MissingBtf {
                what: "struct_ops maps",
            });
        };
        let section = self.section_name(target).to_string();
        for (i, rel) in self.rels(idx)?.into_iter().enumerate() {
            let sym = self.symbols.get(rel.sym).copied();
            let err = |reason: String| ParseError::Relocation {
                section: section.clone(),
                index: i,
                offset: rel.offset,
                symbol: sym.map_or("?", |s| s.name).to_string(),
                reason,
            };
            let sym = sym.ok_or_else(|| err("symbol not found".into()))?;
            let j = self
                .struct_ops
                .iter()
                .position(|d| {
                    d.sec_idx == target
                        && d.offset <= rel.offset
                        && rel.offset.saturating_add(8) <= d.offset + d.size
                })
                .ok_or_else(|| err("not inside any struct_ops variable".into()))?;
            let desc = self.struct_ops.get(j).ok_or_else(|| err("?".into()))?;
            let moff = rel.offset - desc.offset;
            let Some(Type::Struct(st)) = btf.type_by_id(desc.spec.type_id) else {
                return Err(err("the variable's type is not a struct".into()));
            };
            let member = st
                .members()
                .find(|m| u64::from(m.offset.0) == moff * 8 && m.bitfield_size.is_none())
                .ok_or_else(|| {
                    err(format!(
                        "no member of `struct {}` at byte offset {moff}",
                        st.name
                    ))
                })?;
            if !is_func_ptr(&btf, member.ty) {
                return Err(err(format!(
                    "member `{}` of `struct {}` is not a function pointer",
                    member.name, st.name
                )));
            }
            if sym.value % 8 != 0 {
                return Err(err("symbol is not at an instruction boundary".into()));
            }
            let insn = (sym.value / 8) as usize;
            let prog = self
                .progs
                .iter()
                .find(|p| p.sec_idx == sym.shndx as usize && p.insn_off == insn)
                .ok_or_else(|| err("no program starts at the symbol".into()))?;
            let is_struct_ops = parse_section(prog.sec_name.trim_start_matches('?'))
                .is_some_and(|s| s.prog_type == ProgramType::STRUCT_OPS);
            if !is_struct_ops {
                return Err(err(format!(
                    "program `{}` (section `{}`) is not a struct_ops program",
                    prog.name, prog.sec_name
                )));
            }
            let entry = StructOpsProgram {
                member: member.name.to_string(),
                offset: moff as u32,
                program: prog.name.clone(),
            };
            if let Some(d) = self.struct_ops.get_mut(j) {
                d.spec.programs.push(entry);
                d.spec.programs.sort_by_key(|p| p.offset);
            }
        }
        Ok(())
    }
}

/// Whether `id` is (modifiers and typedefs aside) a pointer to a function
/// prototype.
pub(crate) fn is_func_ptr(btf: &oxbpf_btf::Btf<'_>, id: oxbpf_btf::TypeId) -> bool {
    match btf.resolve_type(id) {
        Ok((_, Type::Ptr(p))) => matches!(btf.resolve_type(p.target), Ok((_, Type::FuncProto(_)))),
        _ => false,
    }
}
