//! ELF object → [`CollectionSpec`], following libbpf's `bpf_object_open`:
//! collect sections and programs, parse BTF, collect externs, fix up BTF,
//! build map definitions, collect relocations, and finally append every
//! entry program's subprograms the way libbpf does at load time.
//!
//! Nothing here touches the kernel.
#![deny(clippy::indexing_slicing)]

mod externs;
mod link;
mod maps;
mod struct_ops;

use std::sync::Arc;

use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::Endianness;
use oxbpf_btf::ext::{BtfExt, CoreRelo};
use oxbpf_btf::{Btf, Kind, Type, TypeId};

use crate::btf_edit::{RawBtf, FUNC_GLOBAL, FUNC_STATIC, VAR_STATIC};
use crate::error::ParseError;
use crate::insn::Insn;
use crate::spec::{CollectionSpec, DataSection, ParseOptions, VariableSpec};

pub(crate) use externs::ExternDesc;
pub(crate) use maps::{adjust_ringbuf_size, MapOrigin};
pub(crate) use struct_ops::is_func_ptr;

/// `SHT_LLVM_ADDRSIG`
const SHT_LLVM_ADDRSIG: u32 = 0x6fff_4c03;
/// `SHN_LORESERVE`
const SHN_LORESERVE: u32 = 0xff00;

/// What a section is to the loader (libbpf's `enum sec_type` and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecKind {
    /// Ignored.
    Unused,
    /// Code (`SHF_EXECINSTR`).
    Code,
    /// `.data*`
    Data,
    /// `.rodata*`
    Rodata,
    /// `.bss*`
    Bss,
    /// Relocations for the section with the given index.
    Relo(usize),
    /// `.struct_ops`, `.struct_ops.link` (and `?` forms): struct_ops maps.
    StructOps,
    /// `.addr_space.1`, `.jumptables`: known, unsupported.
    Unsupported,
}

/// One ELF section.
#[derive(Debug, Clone)]
pub(crate) struct Section<'d> {
    pub(crate) name: &'d str,
    pub(crate) sh_type: u32,
    pub(crate) flags: u64,
    pub(crate) size: u64,
    pub(crate) entsize: u64,
    /// `sh_info` (for `SHT_REL`: the section patched).
    pub(crate) info: u32,
    /// The contents (empty for `SHT_NOBITS`).
    pub(crate) data: &'d [u8],
    pub(crate) kind: SecKind,
}

/// One ELF symbol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Symbol<'d> {
    pub(crate) name: &'d str,
    pub(crate) value: u64,
    pub(crate) size: u64,
    pub(crate) shndx: u32,
    pub(crate) st_type: u8,
    pub(crate) bind: u8,
    pub(crate) visibility: u8,
}

impl Symbol<'_> {
    /// libbpf's `sym_is_extern`: undefined, global or weak, no type.
    pub(crate) fn is_extern(&self) -> bool {
        self.shndx == u32::from(elf::SHN_UNDEF)
            && (self.bind == elf::STB_GLOBAL || self.bind == elf::STB_WEAK)
            && self.st_type == elf::STT_NOTYPE
    }

    /// libbpf's `sym_is_subprog`.
    pub(crate) fn is_subprog(&self, text: Option<usize>) -> bool {
        if Some(self.shndx as usize) != text {
            return false;
        }
        if self.bind == elf::STB_LOCAL && self.st_type == elf::STT_SECTION {
            return true;
        }
        (self.bind == elf::STB_GLOBAL || self.bind == elf::STB_WEAK)
            && self.st_type == elf::STT_FUNC
    }

    fn is_hidden(&self) -> bool {
        self.visibility == elf::STV_HIDDEN || self.visibility == elf::STV_INTERNAL
    }
}

/// A function of a code section: an entry program, or a subprogram if it
/// is in `.text` (libbpf's `bpf_program` before relocation).
#[derive(Debug, Clone)]
pub(crate) struct RawProg {
    pub(crate) name: String,
    pub(crate) sec_idx: usize,
    /// The section name as in the ELF (with a leading `?`, if any).
    pub(crate) sec_name: String,
    /// Offset of the first instruction in the section, in instructions.
    pub(crate) insn_off: usize,
    pub(crate) insns: Vec<Insn>,
    pub(crate) mark_btf_static: bool,
    /// Relocations, by local instruction index (sorted).
    pub(crate) relos: Vec<link::RawRelo>,
    /// CO-RE relocations, `insn_off` in bytes from the program's start.
    pub(crate) core_relos: Vec<CoreRelo>,
}

impl RawProg {
    fn contains(&self, sec_idx: usize, insn: usize) -> bool {
        self.sec_idx == sec_idx && insn >= self.insn_off && insn < self.insn_off + self.insns.len()
    }
}

/// State of one parse.
pub(crate) struct Parser<'d> {
    pub(crate) opts: &'d ParseOptions,
    pub(crate) name: String,
    pub(crate) endian: Endianness,
    pub(crate) sections: Vec<Section<'d>>,
    pub(crate) symbols: Vec<Symbol<'d>>,
    pub(crate) symtab_idx: usize,
    pub(crate) text_idx: Option<usize>,
    pub(crate) maps_idx: Option<usize>,
    pub(crate) legacy_maps_idx: Option<usize>,
    pub(crate) license: String,
    pub(crate) kernel_version: u32,
    /// The BTF as in the file, and the copy being fixed up.
    pub(crate) orig_btf: Option<Btf<'static>>,
    pub(crate) raw_btf: Option<RawBtf>,
    /// The fixed-up BTF, once fixups are done.
    pub(crate) btf: Option<Arc<Btf<'static>>>,
    pub(crate) btf_ext: Option<BtfExt>,
    pub(crate) progs: Vec<RawProg>,
    pub(crate) externs: Vec<ExternDesc>,
    pub(crate) maps: Vec<maps::MapDesc>,
    pub(crate) slots: Vec<crate::spec::MapSlot>,
    pub(crate) unsupported: Vec<String>,
    /// struct_ops maps, with their section index and offset in it.
    pub(crate) struct_ops: Vec<struct_ops::StructOpsDesc>,
    /// The first type of each name starting with `.` (DATASECs).
    pub(crate) dot_names: std::collections::HashMap<String, TypeId>,
}

/// Parses an object.
///
/// The ELF reader needs 8-byte aligned input (it reads headers in place);
/// bytes at any other address (`include_bytes!`, a slice of a larger
/// buffer) are first copied to an aligned buffer, as libbpf copies too.
pub(crate) fn parse(data: &[u8], opts: &ParseOptions) -> Result<CollectionSpec, ParseError> {
    if data.as_ptr() as usize % std::mem::align_of::<u64>() == 0 {
        return parse_aligned(data, opts);
    }
    let mut words = vec![0u64; data.len().div_ceil(8)];
    let bytes = oxbpf_sys::pod::slice_as_bytes_mut(&mut words);
    // `words` holds at least `data.len()` bytes, so `get_mut` succeeds.
    let copy = bytes.get_mut(..data.len()).unwrap_or_default();
    copy.copy_from_slice(data);
    parse_aligned(copy, opts)
}

fn parse_aligned(data: &[u8], opts: &ParseOptions) -> Result<CollectionSpec, ParseError> {
    let mut p = Parser::new(data, opts)?;
    p.collect_sections()?;
    p.init_btf()?;
    p.collect_externs()?;
    p.fixup_btf()?;
    p.mark_btf_static();
    p.finish_btf()?;
    p.init_maps()?;
    p.init_struct_ops()?;
    p.collect_relos()?;
    p.into_spec()
}

/// The NUL-terminated string at `off` of a string table.
fn c_str_at(table: &[u8], off: usize) -> Option<&[u8]> {
    let rest = table.get(off..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    rest.get(..end)
}

fn read_u32(data: &[u8], off: usize, endian: Endianness) -> Option<u32> {
    let b: [u8; 4] = data.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(match endian {
        Endianness::Little => u32::from_le_bytes(b),
        Endianness::Big => u32::from_be_bytes(b),
    })
}

fn read_u64(data: &[u8], off: usize, endian: Endianness) -> Option<u64> {
    let b: [u8; 8] = data.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(match endian {
        Endianness::Little => u64::from_le_bytes(b),
        Endianness::Big => u64::from_be_bytes(b),
    })
}

impl<'d> Parser<'d> {
    fn new(data: &'d [u8], opts: &'d ParseOptions) -> Result<Self, ParseError> {
        if data.get(..4) != Some(&elf::ELFMAG[..]) {
            return Err(ParseError::elf("no ELF magic"));
        }
        if data.get(4) != Some(&elf::ELFCLASS64) {
            return Err(ParseError::elf("not a 64-bit ELF object"));
        }
        let header = elf::FileHeader64::<Endianness>::parse(data).map_err(ParseError::elf)?;
        let endian = header.endian().map_err(ParseError::elf)?;
        let e_type = header.e_type(endian);
        if e_type != elf::ET_REL {
            return Err(ParseError::NotRelocatable { e_type });
        }
        let machine = header.e_machine(endian);
        // Old LLVM set e_machine to EM_NONE.
        if machine != elf::EM_BPF && machine != elf::EM_NONE {
            return Err(ParseError::NotBpf { machine });
        }
        let table = header.sections(endian, data).map_err(ParseError::elf)?;
        // Section names: read directly from `.shstrtab` (a plain scan is
        // faster for a few dozen short names than `object`'s memchr, whose
        // CPU feature detection costs more than the whole lookup).
        let shstrtab = table
            .section(object::SectionIndex(
                header.shstrndx(endian, data).map_err(ParseError::elf)? as usize,
            ))
            .and_then(|s| s.data(endian, data))
            .map_err(ParseError::elf)?;
        let mut sections = Vec::with_capacity(table.len());
        for (i, sh) in table.iter().enumerate() {
            let name = c_str_at(shstrtab, sh.sh_name(endian) as usize)
                .ok_or_else(|| ParseError::section("?", i, "section name out of bounds"))?;
            let name = std::str::from_utf8(name)
                .map_err(|_| ParseError::section("?", i, "section name is not UTF-8"))?;
            let sh_type = sh.sh_type(endian);
            let data = if sh_type == elf::SHT_NOBITS || i == 0 {
                &[][..]
            } else {
                sh.data(endian, data)
                    .map_err(|e| ParseError::section(name, i, e.to_string()))?
            };
            sections.push(Section {
                name,
                sh_type,
                flags: sh.sh_flags(endian),
                size: sh.sh_size(endian),
                entsize: sh.sh_entsize(endian),
                info: sh.sh_info(endian),
                data,
                kind: SecKind::Unused,
            });
        }
        // The symbol table: exactly one.
        let mut symtab = None;
        for (i, s) in sections.iter().enumerate() {
            if s.sh_type == elf::SHT_SYMTAB {
                if symtab.is_some() {
                    return Err(ParseError::SymbolTable("multiple symbol tables"));
                }
                symtab = Some(i);
            }
        }
        let symtab_idx = symtab.ok_or(ParseError::SymbolTable(
            "no symbol table (is the object stripped?)",
        ))?;
        let symbols = table
            .symbols(endian, data, elf::SHT_SYMTAB)
            .map_err(ParseError::elf)?;
        if symbols.string_section().0 == 0 || symbols.string_section().0 >= sections.len() {
            return Err(ParseError::SymbolTable(
                "symbol strings section missing or invalid",
            ));
        }
        let strtab = sections
            .get(symbols.string_section().0)
            .map(|s| s.data)
            .unwrap_or_default();
        let mut syms = Vec::with_capacity(symbols.len());
        for (i, s) in symbols.iter().enumerate() {
            let name = c_str_at(strtab, s.st_name(endian) as usize)
                .ok_or_else(|| ParseError::elf(format!("symbol #{i}: name out of bounds")))?;
            let name = std::str::from_utf8(name)
                .map_err(|_| ParseError::elf(format!("symbol #{i}: name is not UTF-8")))?;
            syms.push(Symbol {
                name,
                value: s.st_value(endian),
                size: s.st_size(endian),
                shndx: u32::from(s.st_shndx(endian)),
                st_type: s.st_type(),
                bind: s.st_bind(),
                visibility: s.st_visibility(),
            });
        }
        Ok(Parser {
            opts,
            name: opts.name.clone().unwrap_or_default(),
            endian,
            sections,
            symbols: syms,
            symtab_idx,
            text_idx: None,
            maps_idx: None,
            legacy_maps_idx: None,
            license: String::new(),
            kernel_version: 0,
            orig_btf: None,
            raw_btf: None,
            btf: None,
            btf_ext: None,
            progs: Vec::new(),
            externs: Vec::new(),
            maps: Vec::new(),
            slots: Vec::new(),
            unsupported: Vec::new(),
            struct_ops: Vec::new(),
            dot_names: std::collections::HashMap::new(),
        })
    }

    pub(crate) fn big_endian(&self) -> bool {
        self.endian == Endianness::Big
    }

    pub(crate) fn section_name(&self, idx: usize) -> &'d str {
        self.sections.get(idx).map_or("?", |s| s.name)
    }

    /// The first section named `name`.
    pub(crate) fn section_by_name(&self, name: &str) -> Option<(usize, &Section<'d>)> {
        self.sections
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| s.name == name)
    }

    fn ignore_section(s: &Section<'_>) -> bool {
        if s.sh_type == elf::SHT_STRTAB || s.sh_type == SHT_LLVM_ADDRSIG {
            return true;
        }
        if s.sh_type == elf::SHT_PROGBITS && s.size == 0 && s.name == ".text" {
            return true;
        }
        if s.name.starts_with(".debug_") {
            return true;
        }
        if let Some(rest) = s.name.strip_prefix(".rel") {
            if rest.starts_with(".debug_") || rest == ".BTF" || rest == ".BTF.ext" {
                return true;
            }
        }
        false
    }

    /// libbpf's `bpf_object__elf_collect`.
    fn collect_sections(&mut self) -> Result<(), ParseError> {
        let count = self.sections.len();
        for idx in 1..count {
            let Some(s) = self.sections.get(idx).cloned() else {
                continue;
            };
            if Self::ignore_section(&s) {
                continue;
            }
            let kind = match s.name {
                "license" => {
                    let end = s.data.iter().position(|&b| b == 0).unwrap_or(s.data.len());
                    let lic = s.data.get(..end.min(63)).unwrap_or_default();
                    self.license = String::from_utf8_lossy(lic).into_owned();
                    SecKind::Unused
                }
                "version" => {
                    if s.data.len() != 4 {
                        return Err(ParseError::section(
                            s.name,
                            idx,
                            format!("must hold one u32, has {} bytes", s.data.len()),
                        ));
                    }
                    self.kernel_version = read_u32(s.data, 0, self.endian).unwrap_or_default();
                    SecKind::Unused
                }
                "maps" => {
                    self.legacy_maps_idx = Some(idx);
                    SecKind::Unused
                }
                ".maps" => {
                    self.maps_idx = Some(idx);
                    SecKind::Unused
                }
                ".BTF" | ".BTF.ext" => {
                    if s.sh_type != elf::SHT_PROGBITS {
                        return Err(ParseError::section(s.name, idx, "is not SHT_PROGBITS"));
                    }
                    SecKind::Unused
                }
                _ if s.sh_type == elf::SHT_SYMTAB => SecKind::Unused,
                _ if s.sh_type == elf::SHT_PROGBITS && s.size > 0 => {
                    if s.flags & u64::from(elf::SHF_EXECINSTR) != 0 {
                        if s.name == ".text" {
                            self.text_idx = Some(idx);
                        }
                        self.add_programs(idx)?;
                        SecKind::Code
                    } else if s.name == ".data" || s.name.starts_with(".data.") {
                        SecKind::Data
                    } else if s.name == ".rodata" || s.name.starts_with(".rodata.") {
                        SecKind::Rodata
                    } else if matches!(
                        s.name,
                        ".struct_ops" | ".struct_ops.link" | "?.struct_ops" | "?.struct_ops.link"
                    ) {
                        SecKind::StructOps
                    } else if s.name == ".addr_space.1" || s.name == ".jumptables" {
                        self.unsupported.push(s.name.to_string());
                        SecKind::Unsupported
                    } else {
                        SecKind::Unused
                    }
                }
                _ if s.sh_type == elf::SHT_REL => {
                    let info = s.info as usize;
                    if s.entsize != 16 || info >= count {
                        return Err(ParseError::section(
                            s.name,
                            idx,
                            "malformed relocation section (entry size or target)",
                        ));
                    }
                    let target_exec = self
                        .sections
                        .get(info)
                        .is_some_and(|t| t.flags & u64::from(elf::SHF_EXECINSTR) != 0);
                    let special = matches!(
                        s.name,
                        ".rel.struct_ops"
                            | ".rel.struct_ops.link"
                            | ".rel?.struct_ops"
                            | ".rel?.struct_ops.link"
                            | ".rel.maps"
                    );
                    if target_exec || special {
                        SecKind::Relo(info)
                    } else {
                        SecKind::Unused
                    }
                }
                _ if s.sh_type == elf::SHT_NOBITS
                    && (s.name == ".bss" || s.name.starts_with(".bss.")) =>
                {
                    SecKind::Bss
                }
                _ => SecKind::Unused,
            };
            if let Some(sec) = self.sections.get_mut(idx) {
                sec.kind = kind;
            }
        }
        // Sorted by section, then offset: the order of libbpf's programs,
        // which binary searches rely on.
        self.progs.sort_by_key(|p| (p.sec_idx, p.insn_off));
        Ok(())
    }

    /// libbpf's `bpf_object__add_programs`: every function symbol of a
    /// code section is a program (a subprogram, in `.text`).
    fn add_programs(&mut self, sec_idx: usize) -> Result<(), ParseError> {
        let big = self.big_endian();
        let Some(sec) = self.sections.get(sec_idx) else {
            return Ok(());
        };
        let (sec_name, data) = (sec.name, sec.data);
        let is_text = sec_name == ".text";
        for sym in &self.symbols {
            if sym.shndx as usize != sec_idx || sym.st_type != elf::STT_FUNC {
                continue;
            }
            let err = |reason: &str| ParseError::Program {
                section: sec_name.to_string(),
                program: sym.name.to_string(),
                offset: sym.value,
                reason: reason.to_string(),
            };
            if sym.name.is_empty() {
                return Err(err("function symbol without a name"));
            }
            let end = sym
                .value
                .checked_add(sym.size)
                .filter(|&e| e <= data.len() as u64)
                .ok_or_else(|| err("crosses the section's end"))?;
            if !is_text && sym.bind == elf::STB_LOCAL {
                return Err(err("static programs are not supported (make it global)"));
            }
            if sym.size == 0 || sym.size % 8 != 0 || sym.value % 8 != 0 {
                return Err(err(&format!(
                    "corrupted: size {} or offset not a multiple of 8",
                    sym.size
                )));
            }
            let bytes = data
                .get(sym.value as usize..end as usize)
                .ok_or_else(|| err("crosses the section's end"))?;
            let insns = Insn::decode_all(bytes, big).map_err(|e| err(&e.to_string()))?;
            self.progs.push(RawProg {
                name: sym.name.to_string(),
                sec_idx,
                sec_name: sec_name.to_string(),
                insn_off: (sym.value / 8) as usize,
                insns,
                mark_btf_static: sym.bind != elf::STB_LOCAL && sym.is_hidden(),
                relos: Vec::new(),
                core_relos: Vec::new(),
            });
        }
        Ok(())
    }

    /// libbpf's `find_prog_by_sec_insn`: the program (or subprogram) of
    /// section `sec_idx` containing instruction `insn`.
    pub(crate) fn find_prog(&self, sec_idx: usize, insn: usize) -> Option<usize> {
        let i = self
            .progs
            .partition_point(|p| (p.sec_idx, p.insn_off) <= (sec_idx, insn));
        let i = i.checked_sub(1)?;
        self.progs
            .get(i)
            .filter(|p| p.contains(sec_idx, insn))
            .map(|_| i)
    }

    /// libbpf's `find_elf_var_sym`: a global or weak object symbol.
    fn find_var_sym(&self, name: &str) -> Option<&Symbol<'d>> {
        self.symbols.iter().find(|s| {
            s.st_type == elf::STT_OBJECT
                && (s.bind == elf::STB_GLOBAL || s.bind == elf::STB_WEAK)
                && s.name == name
        })
    }

    /// Whether libbpf needs the object's BTF (`libbpf_needs_btf`).
    fn needs_btf(&self) -> Option<&'static str> {
        if self.maps_idx.is_some() {
            Some("BTF-defined maps (`.maps`)")
        } else if self.sections.iter().any(|s| s.kind == SecKind::StructOps) {
            Some("struct_ops maps")
        } else if self
            .symbols
            .iter()
            .any(|s| s.is_extern() && !s.name.is_empty())
        {
            Some("externs")
        } else {
            None
        }
    }

    /// libbpf's `bpf_object__init_btf`: `.BTF` is needed by BTF-defined
    /// maps and externs; a broken `.BTF.ext` is ignored, as libbpf does.
    fn init_btf(&mut self) -> Result<(), ParseError> {
        let btf_data = self.section_by_name(".BTF").map(|(_, s)| s.data);
        let ext_data = self.section_by_name(".BTF.ext").map(|(_, s)| s.data);
        let Some(btf_data) = btf_data else {
            if let Some(what) = self.needs_btf() {
                return Err(ParseError::MissingBtf { what });
            }
            return Ok(());
        };
        let btf = match Btf::parse_owned(btf_data.to_vec()) {
            Ok(btf) => btf,
            Err(e) => {
                if self.needs_btf().is_some() {
                    return Err(ParseError::Btf(e));
                }
                return Ok(());
            }
        };
        if btf.base().is_some() {
            return Err(ParseError::btf(".BTF", "split BTF in an object"));
        }
        self.raw_btf = Some(RawBtf::new(&btf));
        self.orig_btf = Some(btf);
        if let Some(ext) = ext_data {
            // libbpf: "Error loading ELF section .BTF.ext: ... Ignored and
            // continue."
            self.btf_ext = BtfExt::parse(ext).ok();
        }
        Ok(())
    }

    /// libbpf's `btf_fixup_datasec` for every DATASEC: sizes and variable
    /// offsets from the ELF (clang leaves them zero), hidden globals made
    /// static, variables sorted by offset.
    fn fixup_btf(&mut self) -> Result<(), ParseError> {
        let Some(mut raw) = self.raw_btf.take() else {
            return Ok(());
        };
        let result = self.fixup_datasecs(&mut raw);
        self.raw_btf = Some(raw);
        result
    }

    fn fixup_datasecs(&self, raw: &mut RawBtf) -> Result<(), ParseError> {
        for id in 1..=raw.type_count() {
            let id = TypeId(id);
            if raw.kind(id) != Some(Kind::Datasec) {
                continue;
            }
            let sec_name = raw.name(id).to_string();
            let mut vars = raw.datasec_vars(id);
            if sec_name != ".kconfig" && sec_name != ".ksyms" {
                let mut fixup_offsets = false;
                if raw.word(id, 2) == 0 {
                    let size = self
                        .section_by_name(&sec_name)
                        .map(|(_, s)| s.size)
                        .filter(|&s| s > 0)
                        .ok_or_else(|| {
                            ParseError::btf(
                                format!("DATASEC `{sec_name}`"),
                                "no ELF section of that name to take its size from",
                            )
                        })?;
                    raw.set_word(id, 2, size as u32);
                    fixup_offsets = true;
                }
                for var in &mut vars {
                    if raw.kind(var.0) != Some(Kind::Var) {
                        return Err(ParseError::btf(
                            format!("DATASEC `{sec_name}`"),
                            format!("member [{}] is not a VAR", var.0),
                        ));
                    }
                    let linkage = raw.word(var.0, 3);
                    if linkage == VAR_STATIC || linkage == 2 {
                        continue;
                    }
                    let var_name = raw.name(var.0).to_string();
                    let sym = self.find_var_sym(&var_name).ok_or_else(|| {
                        ParseError::btf(
                            format!("DATASEC `{sec_name}`"),
                            format!("no ELF symbol for VAR `{var_name}`"),
                        )
                    })?;
                    if fixup_offsets {
                        var.1 = sym.value as u32;
                    }
                    if sym.is_hidden() {
                        raw.set_word(var.0, 3, VAR_STATIC);
                    }
                }
            }
            vars.sort_by_key(|v| v.1);
            raw.set_datasec_vars(id, &vars);
        }
        Ok(())
    }

    /// Hidden global subprograms get static BTF FUNCs, so the verifier
    /// checks them in their caller's context (libbpf does this in
    /// `bpf_object__sanitize_and_load_btf`).
    fn mark_btf_static(&mut self) {
        let Some(raw) = self.raw_btf.as_mut() else {
            return;
        };
        for prog in &self.progs {
            if !prog.mark_btf_static || Some(prog.sec_idx) != self.text_idx {
                continue;
            }
            for id in 1..=raw.type_count() {
                let id = TypeId(id);
                if raw.kind(id) == Some(Kind::Func)
                    && raw.vlen(id) as u32 == FUNC_GLOBAL
                    && raw.name(id) == prog.name
                {
                    raw.set_info(id, Kind::Func, false, FUNC_STATIC);
                    break;
                }
            }
        }
    }

    /// Parses the fixed-up BTF: what maps and the spec use from here on.
    fn finish_btf(&mut self) -> Result<(), ParseError> {
        if let Some(raw) = &self.raw_btf {
            let btf = Btf::parse_owned(raw.to_bytes()).map_err(ParseError::Btf)?;
            self.btf = Some(Arc::new(btf));
        }
        Ok(())
    }

    /// Builds the spec: links every entry program and describes the global
    /// data sections.
    fn into_spec(mut self) -> Result<CollectionSpec, ParseError> {
        let programs = self.link_programs()?;
        let data_sections = self.data_sections();
        let Parser {
            name,
            maps,
            externs,
            slots,
            license,
            kernel_version,
            btf,
            unsupported,
            endian,
            struct_ops,
            ..
        } = self;
        Ok(CollectionSpec {
            name,
            programs,
            maps: maps.into_iter().map(|m| m.spec).collect(),
            data_sections,
            externs: externs.into_iter().map(|e| e.spec).collect(),
            map_slots: slots,
            license,
            kernel_version,
            btf,
            big_endian: endian == Endianness::Big,
            struct_ops: struct_ops.into_iter().map(|s| s.spec).collect(),
            unsupported,
        })
    }

    fn data_sections(&self) -> Vec<DataSection> {
        let mut out = Vec::new();
        for m in &self.maps {
            let MapOrigin::Data(kind) = m.origin else {
                continue;
            };
            let btf_type = m.spec.btf.as_ref().map(|b| b.value_type_id);
            let mut variables = Vec::new();
            if let (Some(btf), Some(id)) = (&self.btf, btf_type) {
                if let Some(Type::Datasec(d)) = btf.type_by_id(id) {
                    for v in d.vars() {
                        let Some(Type::Var(var)) = btf.type_by_id(v.ty) else {
                            continue;
                        };
                        let scalar_size =
                            btf.resolve_type(var.ty).ok().and_then(|(_, t)| match t {
                                Type::Int(i) => Some(i.size),
                                Type::Enum(e) | Type::Enum64(e) => Some(e.size),
                                Type::Float(f) => Some(f.size),
                                Type::Ptr(_) => Some(8),
                                _ => None,
                            });
                        variables.push(VariableSpec {
                            name: var.name.to_string(),
                            offset: v.offset,
                            size: v.size,
                            type_id: var.ty,
                            global: var.raw_linkage != VAR_STATIC,
                            scalar_size,
                        });
                    }
                }
            }
            out.push(DataSection {
                section: m.real_name.clone(),
                map: m.spec.name.clone(),
                kind,
                btf_type,
                variables,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
