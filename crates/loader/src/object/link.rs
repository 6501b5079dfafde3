//! Relocations and linking: libbpf's `bpf_object__collect_relos`,
//! `bpf_program__record_reloc`, `bpf_object__collect_map_relos` and
//! `bpf_object__reloc_code` (subprogram appending, with func/line info and
//! CO-RE relocations following the code).

use oxbpf_btf::ext::{CoreRelo, FuncInfo, InfoSection, LineInfo};
use oxbpf_maps::MapType;

use super::{MapOrigin, Parser, SecKind, Symbol, SHN_LORESERVE};
use crate::error::ParseError;
use crate::insn::{pseudo, Insn};
use crate::section::parse_section;
use crate::spec::{MapSlot, ProgramSpec, Relocation, RelocationTarget, SlotTarget, Subprogram};

/// What a relocated instruction refers to, before linking (libbpf's
/// `enum reloc_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawReloKind {
    /// `RELO_LD64`: a map (index into the parser's maps).
    Ld64 { map: usize },
    /// `RELO_CALL`: a bpf-to-bpf call against `.text` + `sym_off`.
    Call { sym_off: u64 },
    /// `RELO_DATA`: global data.
    Data { map: usize, sym_off: u64 },
    /// `RELO_EXTERN_LD64`
    ExternLd64 { ext: usize },
    /// `RELO_EXTERN_CALL`: a kfunc call.
    ExternCall { ext: usize },
    /// `RELO_SUBPROG_ADDR`: a callback's address.
    SubprogAddr { sym_off: u64 },
    /// Arena globals, jump tables.
    Unsupported(String),
}

impl RawReloKind {
    fn order(&self) -> u8 {
        match self {
            RawReloKind::Ld64 { .. } => 0,
            RawReloKind::Call { .. } => 1,
            RawReloKind::Data { .. } => 2,
            RawReloKind::ExternLd64 { .. } => 3,
            RawReloKind::ExternCall { .. } => 4,
            RawReloKind::SubprogAddr { .. } => 5,
            RawReloKind::Unsupported(_) => 6,
        }
    }
}

/// One relocation of a [`RawProg`](super::RawProg), by local instruction
/// index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRelo {
    pub(crate) insn: usize,
    pub(crate) kind: RawReloKind,
}

/// A decoded `Elf64_Rel`.
pub(super) struct Rel {
    pub(super) offset: u64,
    pub(super) sym: usize,
}

impl Parser<'_> {
    pub(super) fn rels(&self, idx: usize) -> Result<Vec<Rel>, ParseError> {
        let s = self
            .sections
            .get(idx)
            .ok_or_else(|| ParseError::section("?", idx, "missing"))?;
        if s.data.len() % 16 != 0 {
            return Err(ParseError::section(
                s.name,
                idx,
                "size is not a multiple of 16",
            ));
        }
        Ok(s.data
            .chunks_exact(16)
            .map(|c| Rel {
                offset: super::read_u64(c, 0, self.endian).unwrap_or(0),
                sym: (super::read_u64(c, 8, self.endian).unwrap_or(0) >> 32) as usize,
            })
            .collect())
    }

    /// libbpf's `bpf_object__collect_relos`, then the CO-RE relocations of
    /// `.BTF.ext`, then the `BPF_PSEUDO_FUNC` marking of
    /// `bpf_object__relocate`.
    pub(super) fn collect_relos(&mut self) -> Result<(), ParseError> {
        for idx in 0..self.sections.len() {
            let Some(SecKind::Relo(target)) = self.sections.get(idx).map(|s| s.kind) else {
                continue;
            };
            if Some(target) == self.maps_idx {
                self.collect_map_relos(idx)?;
            } else if self.sections.get(target).map(|s| s.kind) == Some(SecKind::StructOps) {
                self.collect_struct_ops_relos(idx, target)?;
            } else if self.sections.get(target).map(|s| s.kind) == Some(SecKind::Code) {
                self.collect_prog_relos(idx, target)?;
            }
        }
        for p in &mut self.progs {
            p.relos.sort_by_key(|r| (r.insn, r.kind.order()));
            for r in &p.relos {
                if let RawReloKind::SubprogAddr { .. } = r.kind {
                    if let Some(insn) = p.insns.get_mut(r.insn) {
                        insn.src = pseudo::FUNC;
                    }
                }
            }
        }
        self.collect_core_relos()
    }

    fn collect_prog_relos(&mut self, idx: usize, target: usize) -> Result<(), ParseError> {
        let relo_name = self.section_name(idx);
        let target_name = self.section_name(target);
        let target_size = self.sections.get(target).map_or(0, |s| s.size);
        for (i, rel) in self.rels(idx)?.into_iter().enumerate() {
            let sym = *self
                .symbols
                .get(rel.sym)
                .ok_or_else(|| ParseError::Relocation {
                    section: target_name.to_string(),
                    index: i,
                    offset: rel.offset,
                    symbol: format!("#{}", rel.sym),
                    reason: format!("symbol not found (in `{relo_name}`)"),
                })?;
            let sym_name = if sym.st_type == object::elf::STT_SECTION && sym.name.is_empty() {
                self.section_name(sym.shndx as usize)
            } else {
                sym.name
            };
            let err = |reason: String| ParseError::Relocation {
                section: target_name.to_string(),
                index: i,
                offset: rel.offset,
                symbol: sym_name.to_string(),
                reason,
            };
            if sym.shndx as usize >= self.sections.len() {
                return Err(err(format!(
                    "symbol points to invalid section #{}",
                    sym.shndx
                )));
            }
            if rel.offset % 8 != 0 || rel.offset >= target_size {
                return Err(err("invalid offset".into()));
            }
            let insn_idx = (rel.offset / 8) as usize;
            // Relocations of eliminated weak functions belong to no program.
            let Some(prog_i) = self.find_prog(target, insn_idx) else {
                continue;
            };
            let local = insn_idx - self.progs.get(prog_i).map_or(0, |p| p.insn_off);
            let kind = self.reloc_kind(prog_i, local, rel.sym, &sym).map_err(err)?;
            if let Some(p) = self.progs.get_mut(prog_i) {
                p.relos.push(RawRelo { insn: local, kind });
            }
        }
        Ok(())
    }

    /// libbpf's `bpf_program__record_reloc`.
    fn reloc_kind(
        &self,
        prog_i: usize,
        insn_idx: usize,
        sym_idx: usize,
        sym: &Symbol<'_>,
    ) -> Result<RawReloKind, String> {
        let insn = self
            .progs
            .get(prog_i)
            .and_then(|p| p.insns.get(insn_idx))
            .copied()
            .unwrap_or_default();
        if !insn.is_call() && !insn.is_ld_imm64() {
            return Err(format!(
                "instruction #{insn_idx} (code {:#04x}) is neither a call nor ld_imm64",
                insn.code
            ));
        }
        if sym.is_extern() {
            let ext = self
                .externs
                .iter()
                .position(|e| e.sym_idx == sym_idx)
                .ok_or("no extern for this symbol")?;
            return Ok(if insn.is_call() {
                RawReloKind::ExternCall { ext }
            } else {
                RawReloKind::ExternLd64 { ext }
            });
        }
        if insn.is_call() {
            if insn.src != pseudo::CALL {
                return Err("incorrect bpf_call opcode".into());
            }
            if sym.shndx == 0 || Some(sym.shndx as usize) != self.text_idx {
                return Err(format!(
                    "call into section `{}`: subprograms must be in `.text`",
                    self.section_name(sym.shndx as usize)
                ));
            }
            if sym.value % 8 != 0 {
                return Err(format!("call target offset {} is misaligned", sym.value));
            }
            return Ok(RawReloKind::Call { sym_off: sym.value });
        }
        if sym.shndx == 0 || sym.shndx >= SHN_LORESERVE {
            return Err(format!(
                "relocation against special section {:#x}; forgot to initialize a global variable?",
                sym.shndx
            ));
        }
        if sym.is_subprog(self.text_idx) {
            if sym.value % 8 != 0 || insn.imm % 8 != 0 {
                return Err(format!("bad subprogram address {}+{}", sym.value, insn.imm));
            }
            return Ok(RawReloKind::SubprogAddr { sym_off: sym.value });
        }
        let shndx = sym.shndx as usize;
        let sec = self.sections.get(shndx);
        match sec.map(|s| (s.kind, s.name)) {
            Some((SecKind::Data | SecKind::Rodata | SecKind::Bss, _)) => {
                let map = self
                    .maps
                    .iter()
                    .position(|m| matches!(m.origin, MapOrigin::Data(_)) && m.sec_idx == shndx)
                    .ok_or("no map for this data section")?;
                Ok(RawReloKind::Data {
                    map,
                    sym_off: sym.value,
                })
            }
            Some((SecKind::Unsupported, name)) => {
                Ok(RawReloKind::Unsupported(format!("reference into `{name}`")))
            }
            _ if Some(shndx) == self.maps_idx || Some(shndx) == self.legacy_maps_idx => {
                let map = self
                    .maps
                    .iter()
                    .position(|m| {
                        matches!(m.origin, MapOrigin::Btf { .. } | MapOrigin::Legacy)
                            && m.sec_idx == shndx
                            && m.sec_offset == sym.value
                    })
                    .ok_or_else(|| {
                        format!(
                            "no map at offset {} of `{}`",
                            sym.value,
                            self.section_name(shndx)
                        )
                    })?;
                Ok(RawReloKind::Ld64 { map })
            }
            _ => Err(format!(
                "bad map relocation against section `{}`",
                self.section_name(shndx)
            )),
        }
    }

    /// libbpf's `bpf_object__collect_map_relos`: `values` of program arrays
    /// and map-in-maps.
    fn collect_map_relos(&mut self, idx: usize) -> Result<(), ParseError> {
        let Some(btf) = self.btf.clone() else {
            return Err(ParseError::MissingBtf {
                what: "`.maps` initialisers",
            });
        };
        let sec = self
            .maps_datasec(&btf)
            .and_then(|id| match btf.type_by_id(id) {
                Some(oxbpf_btf::Type::Datasec(d)) => Some(d.vars().collect::<Vec<_>>()),
                _ => None,
            })
            .ok_or_else(|| ParseError::btf("DATASEC `.maps`", "not found"))?;
        for (i, rel) in self.rels(idx)?.into_iter().enumerate() {
            let sym = self.symbols.get(rel.sym).copied();
            let name = sym.map_or("?", |s| s.name);
            let err = |reason: String| ParseError::Relocation {
                section: ".maps".into(),
                index: i,
                offset: rel.offset,
                symbol: name.to_string(),
                reason,
            };
            let sym = sym.ok_or_else(|| err("symbol not found".into()))?;
            // The map whose definition holds the relocated pointer.
            let (map_i, vi) = self
                .maps
                .iter()
                .enumerate()
                .find_map(|(j, m)| {
                    let MapOrigin::Btf { var_idx } = m.origin else {
                        return None;
                    };
                    let vi = sec.get(var_idx)?;
                    let start = u64::from(vi.offset);
                    (start <= rel.offset && rel.offset + 8 <= start + u64::from(vi.size))
                        .then_some((j, *vi))
                })
                .ok_or_else(|| err("no map definition at this offset".into()))?;
            let map = self
                .maps
                .get(map_i)
                .map(|m| &m.spec)
                .ok_or_else(|| err("?".into()))?;
            let map_name = map.name.clone();
            let target = match map.map_type {
                MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS => {
                    if Some(sym.shndx as usize) != self.maps_idx {
                        return Err(err("not a BTF-defined map".into()));
                    }
                    if map.map_type == MapType::HASH_OF_MAPS && map.key_size != 4 {
                        return Err(err(format!(
                            "hash-of-maps `{map_name}` should have key size 4"
                        )));
                    }
                    if !self.maps.iter().any(|m| m.spec.name == name) {
                        return Err(err("not a valid map reference".into()));
                    }
                    SlotTarget::Map(name.to_string())
                }
                MapType::PROG_ARRAY => {
                    let prog = self
                        .progs
                        .iter()
                        .find(|p| Some(p.sec_idx) != self.text_idx && p.name == name)
                        .ok_or_else(|| err("not a valid program reference".into()))?;
                    if prog.sec_idx != sym.shndx as usize || prog.insn_off as u64 * 8 != sym.value {
                        return Err(err("not an entry-point program".into()));
                    }
                    SlotTarget::Program(name.to_string())
                }
                _ => return Err(err(format!("map `{map_name}` cannot hold references"))),
            };
            // The slot: the pointer's index in the trailing `values` array.
            let Some(oxbpf_btf::Type::Var(var)) = btf.type_by_id(vi.ty) else {
                return Err(err("not a VAR".into()));
            };
            let values = btf
                .resolve_type(var.ty)
                .ok()
                .and_then(|(_, t)| t.as_composite().and_then(|c| c.members().last()))
                .filter(|m| m.name == "values")
                .ok_or_else(|| err("the map definition has no trailing `values`".into()))?;
            let moff = u64::from(values.offset.bytes());
            let rel_off = rel.offset - u64::from(vi.offset);
            if rel_off < moff || (rel_off - moff) % 8 != 0 {
                return Err(err("misplaced `values` slot".into()));
            }
            let index = ((rel_off - moff) / 8) as u32;
            self.slots.push(MapSlot {
                map: map_name,
                index,
                target,
            });
        }
        Ok(())
    }

    /// CO-RE relocations of `.BTF.ext`, recorded on the programs they
    /// patch (libbpf's `bpf_object__relocate_core`, minus the relocating).
    fn collect_core_relos(&mut self) -> Result<(), ParseError> {
        let (Some(ext), Some(btf)) = (self.btf_ext.take(), self.btf.clone()) else {
            return Ok(());
        };
        for sec in &ext.core_relos {
            let Some(name) = sec.sec_name(&btf) else {
                continue;
            };
            let Some((sec_idx, _)) = self.section_by_name(name) else {
                continue;
            };
            for r in &sec.records {
                if r.insn_off % 8 != 0 {
                    let e = ParseError::section(
                        ".BTF.ext",
                        0,
                        format!(
                            "CO-RE relocation at misaligned offset {} in `{name}`",
                            r.insn_off
                        ),
                    );
                    self.btf_ext = Some(ext);
                    return Err(e);
                }
                let insn = (r.insn_off / 8) as usize;
                // Relocations of eliminated weak subprograms are ignored.
                let Some(prog_i) = self.find_prog(sec_idx, insn) else {
                    continue;
                };
                if let Some(p) = self.progs.get_mut(prog_i) {
                    let local = (insn - p.insn_off) as u32;
                    p.core_relos.push(CoreRelo {
                        insn_off: local * 8,
                        ..*r
                    });
                }
            }
        }
        self.btf_ext = Some(ext);
        Ok(())
    }

    /// Links every entry program (every function outside `.text`).
    pub(super) fn link_programs(&mut self) -> Result<Vec<ProgramSpec>, ParseError> {
        let mut out = Vec::new();
        for main in 0..self.progs.len() {
            let Some(p) = self.progs.get(main) else {
                continue;
            };
            if Some(p.sec_idx) == self.text_idx {
                continue;
            }
            out.push(self.link_program(main)?);
        }
        Ok(out)
    }

    fn link_program(&self, main: usize) -> Result<ProgramSpec, ParseError> {
        let prog = self
            .progs
            .get(main)
            .ok_or_else(|| ParseError::elf("program index"))?;
        let mut st = LinkState {
            insns: prog.insns.clone(),
            relos: Vec::new(),
            core_relos: Vec::new(),
            func_info: ExtInfo::Pending,
            line_info: ExtInfo::Pending,
            sub_off: vec![None; self.progs.len()],
            subprograms: Vec::new(),
        };
        if let Some(s) = st.sub_off.get_mut(main) {
            *s = Some(0);
        }
        st.append_relos(prog, 0);
        self.reloc_code(&mut st, main, main)?;

        let sec_info = parse_section(&prog.sec_name);
        let section = prog
            .sec_name
            .strip_prefix('?')
            .unwrap_or(&prog.sec_name)
            .to_string();
        let mut flags = oxbpf_sys::ProgFlags::empty();
        let (prog_type, expected_attach_type, attach_target, autoload) = match &sec_info {
            Some(s) => {
                if s.sleepable {
                    flags |= oxbpf_sys::ProgFlags::SLEEPABLE;
                }
                if s.xdp_frags && s.prog_type == oxbpf_sys::ProgramType::XDP {
                    flags |= oxbpf_sys::ProgFlags::XDP_HAS_FRAGS;
                }
                (
                    s.prog_type,
                    s.expected_attach_type,
                    s.attach_target.clone(),
                    s.autoload,
                )
            }
            None => (
                oxbpf_sys::ProgramType::UNSPEC,
                None,
                None,
                !prog.sec_name.starts_with('?'),
            ),
        };
        let relocations = st
            .relos
            .iter()
            .filter_map(|r| self.public_relo(&st.insns, r))
            .collect();
        Ok(ProgramSpec {
            name: prog.name.clone(),
            section,
            section_info: sec_info,
            prog_type,
            expected_attach_type,
            attach_target,
            flags,
            autoload,
            insns: st.insns,
            relocations,
            func_info: st.func_info.into_vec(),
            line_info: st.line_info.into_vec(),
            core_relos: st.core_relos,
            subprograms: st.subprograms,
            license: self.license.clone(),
            kernel_version: self.kernel_version,
        })
    }

    fn public_relo(&self, insns: &[Insn], r: &RawRelo) -> Option<Relocation> {
        let map_name = |m: usize| {
            self.maps
                .get(m)
                .map_or_else(String::new, |m| m.spec.name.clone())
        };
        let ext_name = |e: usize| {
            self.externs
                .get(e)
                .map_or_else(String::new, |e| e.spec.name.clone())
        };
        let target = match &r.kind {
            RawReloKind::Ld64 { map } => RelocationTarget::Map {
                map: map_name(*map),
            },
            RawReloKind::Data { map, sym_off } => {
                let imm = insns.get(r.insn).map_or(0, |i| i.imm);
                RelocationTarget::MapValue {
                    map: map_name(*map),
                    offset: (imm as u32).wrapping_add(*sym_off as u32),
                }
            }
            RawReloKind::ExternLd64 { ext } => RelocationTarget::Extern {
                name: ext_name(*ext),
            },
            RawReloKind::ExternCall { ext } => RelocationTarget::KfuncCall {
                name: ext_name(*ext),
            },
            RawReloKind::Unsupported(what) => RelocationTarget::Unsupported { what: what.clone() },
            RawReloKind::Call { .. } | RawReloKind::SubprogAddr { .. } => return None,
        };
        Some(Relocation {
            insn: r.insn,
            target,
        })
    }

    /// libbpf's `bpf_object__reloc_code`: resolves the calls and callback
    /// references of `prog` (the main program or a subprogram already
    /// appended to it), appending subprograms on first use.
    fn reloc_code(&self, st: &mut LinkState, main: usize, prog_i: usize) -> Result<(), ParseError> {
        let prog = self
            .progs
            .get(prog_i)
            .ok_or_else(|| ParseError::elf("program index"))?;
        let base = st.sub_off.get(prog_i).copied().flatten().unwrap_or(0);
        self.reloc_ext_info(st, main, prog_i, base)?;
        for insn_idx in 0..prog.insns.len() {
            let Some(insn) = st.insns.get(base + insn_idx).copied() else {
                break;
            };
            let is_call = insn.code == (crate::insn::op::JMP | crate::insn::op::CALL)
                && insn.src == pseudo::CALL
                && insn.dst == 0
                && insn.off == 0;
            let is_func = insn.is_ld_imm64() && insn.src == pseudo::FUNC;
            if !is_call && !is_func {
                continue;
            }
            let err = |reason: String| ParseError::Call {
                program: prog.name.clone(),
                insn: insn_idx,
                reason,
            };
            let relo = prog
                .relos
                .binary_search_by_key(&insn_idx, |r| r.insn)
                .ok()
                .and_then(|i| prog.relos.get(i));
            let target = match relo.map(|r| &r.kind) {
                Some(RawReloKind::ExternCall { .. }) => continue,
                Some(RawReloKind::Call { sym_off }) => {
                    (*sym_off as i64) / 8 + i64::from(insn.imm) + 1
                }
                Some(RawReloKind::SubprogAddr { sym_off }) => {
                    (*sym_off as i64 + i64::from(insn.imm)) / 8
                }
                Some(other) => return Err(err(format!("unexpected relocation {other:?}"))),
                None if is_func => return Err(err("callback reference without relocation".into())),
                None => prog.insn_off as i64 + insn_idx as i64 + i64::from(insn.imm) + 1,
            };
            let sub = self
                .text_idx
                .and_then(|text| usize::try_from(target).ok().map(|t| (text, t)))
                .and_then(|(text, t)| self.find_prog(text, t))
                .ok_or_else(|| {
                    err(format!(
                        "call target #{target} is not the start of a `.text` function"
                    ))
                })?;
            if st.sub_off.get(sub).copied().flatten().is_none() {
                let subprog = self
                    .progs
                    .get(sub)
                    .ok_or_else(|| err("subprogram".into()))?;
                let off = st.insns.len();
                if let Some(s) = st.sub_off.get_mut(sub) {
                    *s = Some(off);
                }
                st.insns.extend_from_slice(&subprog.insns);
                st.append_relos(subprog, off);
                st.subprograms.push(Subprogram {
                    name: subprog.name.clone(),
                    offset: off,
                    len: subprog.insns.len(),
                });
                self.reloc_code(st, main, sub)?;
            }
            let sub_off = st.sub_off.get(sub).copied().flatten().unwrap_or(0);
            if let Some(i) = st.insns.get_mut(base + insn_idx) {
                i.imm = (sub_off as i64 - (base + insn_idx) as i64 - 1) as i32;
            }
        }
        Ok(())
    }

    /// libbpf's `reloc_prog_func_and_line_info`.
    fn reloc_ext_info(
        &self,
        st: &mut LinkState,
        main: usize,
        prog_i: usize,
        base: usize,
    ) -> Result<(), ParseError> {
        let (Some(ext), Some(btf)) = (&self.btf_ext, &self.btf) else {
            return Ok(());
        };
        let prog = self
            .progs
            .get(prog_i)
            .ok_or_else(|| ParseError::elf("program index"))?;
        let main_name = self.progs.get(main).map_or("?", |p| p.name.as_str());
        let adj = base as i64 - prog.insn_off as i64;
        let range = prog.insn_off..prog.insn_off + prog.insns.len();
        let func = records(&ext.func_info, btf, &prog.sec_name, &range, |r| r.insn_off);
        st.func_info
            .add(prog_i == main, func, |r| FuncInfo {
                insn_off: ((i64::from(r.insn_off / 8)) + adj) as u32,
                ..*r
            })
            .map_err(|()| ParseError::ExtInfo {
                program: main_name.to_string(),
                reason: format!(
                    "missing .BTF.ext function info for subprogram `{}`",
                    prog.name
                ),
            })?;
        let line = records(&ext.line_info, btf, &prog.sec_name, &range, |r| r.insn_off);
        st.line_info
            .add(prog_i == main, line, |r| LineInfo {
                insn_off: ((i64::from(r.insn_off / 8)) + adj) as u32,
                ..*r
            })
            .map_err(|()| ParseError::ExtInfo {
                program: main_name.to_string(),
                reason: format!("missing .BTF.ext line info for subprogram `{}`", prog.name),
            })
    }
}

/// The records of the first `.BTF.ext` section named `sec_name` that fall
/// into `range` (in instructions), as libbpf's `adjust_prog_btf_ext_info`
/// selects them: skipping those before, stopping at the first after.
fn records<'a, T>(
    secs: &'a [InfoSection<T>],
    btf: &oxbpf_btf::Btf<'_>,
    sec_name: &str,
    range: &std::ops::Range<usize>,
    off: impl Fn(&T) -> u32,
) -> Option<Vec<&'a T>> {
    // Compare bytes at the name offset: no UTF-8 decoding per section.
    let want = sec_name.as_bytes();
    let sec = secs.iter().find(|s| {
        btf.own_strings()
            .get(s.sec_name_off.0 as usize..)
            .is_some_and(|rest| rest.starts_with(want) && rest.get(want.len()) == Some(&0))
    })?;
    let mut out = Vec::new();
    for r in &sec.records {
        let insn = (off(r) / 8) as usize;
        if insn < range.start {
            continue;
        }
        if insn >= range.end {
            break;
        }
        out.push(r);
    }
    (!out.is_empty()).then_some(out)
}

/// func_info or line_info of the program being linked.
enum ExtInfo<T> {
    /// The main program's records have not been looked at yet.
    Pending,
    /// Collected so far.
    Some(Vec<T>),
    /// The main program had none: the object's info is ignored for it.
    Skipped,
}

impl<T> ExtInfo<T> {
    /// Appends the records of one (sub)program; `Err` if a subprogram has
    /// none while the main program had some.
    fn add<R>(
        &mut self,
        is_main: bool,
        recs: Option<Vec<&R>>,
        f: impl Fn(&R) -> T,
    ) -> Result<(), ()> {
        match (self, recs) {
            (this @ ExtInfo::Pending, Some(recs)) if is_main => {
                *this = ExtInfo::Some(recs.into_iter().map(f).collect());
                Ok(())
            }
            (this @ ExtInfo::Pending, None) if is_main => {
                *this = ExtInfo::Skipped;
                Ok(())
            }
            (ExtInfo::Some(v), Some(recs)) => {
                v.extend(recs.into_iter().map(f));
                Ok(())
            }
            (ExtInfo::Some(_), None) => Err(()),
            _ => Ok(()),
        }
    }

    fn into_vec(self) -> Vec<T> {
        match self {
            ExtInfo::Some(v) => v,
            _ => Vec::new(),
        }
    }
}

/// The program being linked.
struct LinkState {
    insns: Vec<Insn>,
    relos: Vec<RawRelo>,
    core_relos: Vec<CoreRelo>,
    func_info: ExtInfo<FuncInfo>,
    line_info: ExtInfo<LineInfo>,
    /// Where each program of the object starts in this one, if appended.
    sub_off: Vec<Option<usize>>,
    subprograms: Vec<Subprogram>,
}

impl LinkState {
    /// libbpf's `append_subprog_relos`, plus the CO-RE relocations.
    fn append_relos(&mut self, prog: &super::RawProg, off: usize) {
        self.relos.extend(prog.relos.iter().map(|r| RawRelo {
            insn: r.insn + off,
            kind: r.kind.clone(),
        }));
        self.core_relos
            .extend(prog.core_relos.iter().map(|r| CoreRelo {
                insn_off: r.insn_off + (off as u32) * 8,
                ..*r
            }));
    }
}
