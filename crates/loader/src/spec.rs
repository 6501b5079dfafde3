//! The unloaded description of an object: [`CollectionSpec`] and its parts.
//!
//! Everything here is plain data, editable before loading: set a program's
//! type or `autoload`, resize a map, set `.rodata` variables.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use oxbpf_btf::ext::{CoreRelo, FuncInfo, LineInfo};
use oxbpf_btf::{Btf, TypeId};
use oxbpf_maps::MapSpec;
use oxbpf_sys::{AttachType, Pod, ProgFlags, ProgramType};

use crate::error::ParseError;
use crate::insn::Insn;
use crate::section::ProgramSection;

/// Options for [`CollectionSpec::parse_with`].
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The object's name: the prefix of its global data maps' names
    /// (`NAME.rodata`, as libbpf names them). [`CollectionSpec::from_file`]
    /// uses the file name up to its first `.`; [`CollectionSpec::parse`]
    /// uses no name, so global data maps are called `.rodata`, `.data`, ...
    pub name: Option<String>,
    /// Ignore unknown fields of BTF map definitions and non-zero trailing
    /// bytes of legacy ones instead of failing (libbpf's `relaxed_maps`).
    pub relaxed_maps: bool,
}

/// An ELF object, parsed: programs, maps, global data, externs and BTF.
/// Load it with [`Collection::load`](crate::Collection::load).
///
/// ```
/// use oxbpf_loader::CollectionSpec;
/// let spec = CollectionSpec::from_file(concat!(
///     env!("CARGO_MANIFEST_DIR"),
///     "/../../testdata/loader/progs.bpf.o"
/// ))?;
/// assert_eq!(spec.name, "progs");
/// let xdp = spec.program("xdp_first").unwrap();
/// assert_eq!(xdp.section, "xdp");
/// // sub_a and sub_b were appended after the program's own code.
/// let subs: Vec<_> = xdp.subprograms.iter().map(|s| s.name.as_str()).collect();
/// assert_eq!(subs, ["sub_a", "sub_b"]);
/// assert!(spec.map("results").is_some());
/// # Ok::<(), oxbpf_loader::ParseError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CollectionSpec {
    /// The object's name (see [`ParseOptions::name`]).
    pub name: String,
    /// Entry-point programs, in libbpf's order (by section, then offset).
    pub programs: Vec<ProgramSpec>,
    /// Maps in creation order: legacy `maps`, BTF-defined `.maps`, global
    /// data, `.kconfig`.
    pub maps: Vec<MapSpec>,
    /// Global data sections and their variables; each is backed by one of
    /// [`maps`](Self::maps).
    pub data_sections: Vec<DataSection>,
    /// Externs, in libbpf's order (kconfig before ksyms; kconfig by
    /// alignment and size).
    pub externs: Vec<ExternSpec>,
    /// Initial contents of program arrays and map-in-maps that refer to
    /// programs or maps of this object (`values` in a BTF map definition).
    pub map_slots: Vec<MapSlot>,
    /// The `license` section (`""` if there is none).
    pub license: String,
    /// The `version` section (0 if there is none).
    pub kernel_version: u32,
    /// The object's BTF, with the fixups libbpf applies when opening an
    /// object (DATASEC sizes and offsets, hidden symbols made static,
    /// extern variables made allocated).
    pub btf: Option<Arc<Btf<'static>>>,
    /// Whether the object is big-endian (only objects of the machine's byte
    /// order can be loaded).
    pub big_endian: bool,
    /// struct_ops maps: the variables of `.struct_ops` and
    /// `.struct_ops.link` (kernel structs of function pointers, such as
    /// `tcp_congestion_ops`, implemented by this object's programs).
    pub struct_ops: Vec<StructOpsSpec>,
    /// What the object contains that this loader cannot load yet
    /// (arena globals, jump tables), by section name.
    pub unsupported: Vec<String>,
}

impl CollectionSpec {
    /// Parses an object from memory; global data maps get libbpf's names
    /// without an object prefix (`.rodata`, `.data`, ...).
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        Self::parse_with(data, &ParseOptions::default())
    }

    /// Parses an object from memory with options.
    pub fn parse_with(data: &[u8], opts: &ParseOptions) -> Result<Self, ParseError> {
        crate::object::parse(data, opts)
    }

    /// Reads and parses an object file. Its name (the prefix of global data
    /// map names) is the file name up to the first `.`, as libbpf does:
    /// `globals.bpf.o` is `globals`, whose `.rodata` map is
    /// `globals.rodata`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ParseError> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|source| ParseError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let name = name.split('.').next().unwrap_or_default().to_string();
        Self::parse_with(
            &data,
            &ParseOptions {
                name: Some(name),
                relaxed_maps: false,
            },
        )
    }

    /// The program named `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramSpec> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The program named `name`, to edit.
    pub fn program_mut(&mut self, name: &str) -> Option<&mut ProgramSpec> {
        self.programs.iter_mut().find(|p| p.name == name)
    }

    /// The map named `name`: its (kernel) name, or for a global data map
    /// also its section name (`.rodata`).
    pub fn map(&self, name: &str) -> Option<&MapSpec> {
        let name = self.resolve_map_name(name);
        self.maps.iter().find(|m| m.name == name)
    }

    /// The map named `name`, to edit (e.g. to resize it).
    pub fn map_mut(&mut self, name: &str) -> Option<&mut MapSpec> {
        let name = self.resolve_map_name(name).to_string();
        self.maps.iter_mut().find(|m| m.name == name)
    }

    /// Resizes a map before loading (libbpf's `bpf_map__set_max_entries`):
    /// ring buffers are rounded up to a power-of-2 number of pages, as the
    /// kernel requires. `false` if there is no such map.
    ///
    /// ```
    /// # use oxbpf_loader::CollectionSpec;
    /// # let mut spec = CollectionSpec::from_file(concat!(env!("CARGO_MANIFEST_DIR"),
    /// #     "/../../testdata/loader/maps.bpf.o"))?;
    /// assert!(spec.set_max_entries("hash", 4096));
    /// assert_eq!(spec.map("hash").unwrap().max_entries, 4096);
    /// assert!(spec.set_max_entries("ringbuf", 10_000));
    /// assert_eq!(spec.map("ringbuf").unwrap().max_entries % 4096, 0);
    /// # Ok::<(), oxbpf_loader::ParseError>(())
    /// ```
    pub fn set_max_entries(&mut self, map: &str, max_entries: u32) -> bool {
        let Some(m) = self.map_mut(map) else {
            return false;
        };
        m.max_entries = if matches!(
            m.map_type,
            oxbpf_maps::MapType::RINGBUF | oxbpf_maps::MapType::USER_RINGBUF
        ) {
            crate::object::adjust_ringbuf_size(max_entries, oxbpf_sys::page_size() as u32)
        } else {
            max_entries
        };
        true
    }

    fn resolve_map_name<'a>(&'a self, name: &'a str) -> &'a str {
        if self.maps.iter().any(|m| m.name == name) {
            return name;
        }
        self.data_sections
            .iter()
            .find(|d| d.section == name)
            .map_or(name, |d| d.map.as_str())
    }

    /// The struct_ops map named `name` (its variable's name).
    pub fn struct_ops(&self, name: &str) -> Option<&StructOpsSpec> {
        self.struct_ops.iter().find(|s| s.name == name)
    }

    /// The struct_ops map named `name`, to edit (its data, its programs,
    /// whether it is created).
    pub fn struct_ops_mut(&mut self, name: &str) -> Option<&mut StructOpsSpec> {
        self.struct_ops.iter_mut().find(|s| s.name == name)
    }

    /// The global data section `section` (`.rodata`, `.data.custom`, ...).
    pub fn data_section(&self, section: &str) -> Option<&DataSection> {
        self.data_sections.iter().find(|d| d.section == section)
    }

    /// The global variable named `name`, with its section. Fails if no
    /// variable or several (in different sections) have that name.
    pub fn variable(&self, name: &str) -> Result<(&DataSection, &VariableSpec), VariableError> {
        let mut found = None;
        for sec in &self.data_sections {
            for var in &sec.variables {
                if var.name == name {
                    if found.is_some() {
                        return Err(VariableError::Ambiguous(name.to_string()));
                    }
                    found = Some((sec, var));
                }
            }
        }
        found.ok_or_else(|| VariableError::NotFound(name.to_string()))
    }

    /// The current value of a global variable: its initial contents, or
    /// what [`set_variable`](Self::set_variable) set.
    pub fn variable_value(&self, name: &str) -> Result<&[u8], VariableError> {
        let (sec, var) = self.variable(name)?;
        let map = self
            .maps
            .iter()
            .find(|m| m.name == sec.map)
            .ok_or_else(|| VariableError::NotFound(name.to_string()))?;
        let value = map
            .contents
            .first()
            .map(|e| e.value.as_slice())
            .unwrap_or_default();
        value
            .get(var.offset as usize..(var.offset + var.size) as usize)
            .ok_or_else(|| VariableError::NotFound(name.to_string()))
    }

    /// Sets a global variable (in `.rodata`, `.data`, `.bss` or a custom
    /// data section) before loading, checked against its BTF type: `T`
    /// must have the variable's size, and for integer, enum, float and
    /// pointer variables `T` must be a scalar of that size too (an
    /// array or struct cannot be stored into an `int`).
    ///
    /// ```
    /// # use oxbpf_loader::CollectionSpec;
    /// # let mut spec = CollectionSpec::from_file(concat!(env!("CARGO_MANIFEST_DIR"),
    /// #     "/../../testdata/loader/globals.bpf.o"))?;
    /// spec.set_variable("ro_magic", &0xbeefu32)?;
    /// assert_eq!(spec.variable_value("ro_magic")?, 0xbeefu32.to_ne_bytes());
    /// assert!(spec.set_variable("ro_magic", &1u64).is_err()); // wrong size
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_variable<T: Pod>(&mut self, name: &str, value: &T) -> Result<(), VariableError> {
        let bytes = oxbpf_sys::as_bytes(value);
        let (_, var) = self.variable(name)?;
        if let Some(scalar) = var.scalar_size {
            if std::mem::size_of::<T>() != scalar as usize {
                return Err(VariableError::TypeMismatch {
                    name: name.to_string(),
                    reason: format!(
                        "the variable is a {scalar}-byte scalar, the value a {}-byte `{}`",
                        std::mem::size_of::<T>(),
                        std::any::type_name::<T>()
                    ),
                });
            }
        }
        self.set_variable_bytes(name, bytes)
    }

    /// Sets a global variable from raw bytes, which must be exactly as
    /// long as the variable's BTF type.
    pub fn set_variable_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), VariableError> {
        let (sec, var) = self.variable(name)?;
        if sec.kind == DataSectionKind::Kconfig {
            return Err(VariableError::TypeMismatch {
                name: name.to_string(),
                reason: "`.kconfig` externs are set by the loader; use LoadOptions::kconfig".into(),
            });
        }
        if bytes.len() != var.size as usize {
            return Err(VariableError::TypeMismatch {
                name: name.to_string(),
                reason: format!(
                    "the variable has {} bytes, the value {}",
                    var.size,
                    bytes.len()
                ),
            });
        }
        let (map_name, off) = (sec.map.clone(), var.offset as usize);
        let map = self
            .maps
            .iter_mut()
            .find(|m| m.name == map_name)
            .ok_or_else(|| VariableError::NotFound(name.to_string()))?;
        let value_size = map.value_size as usize;
        if map.contents.is_empty() {
            map.contents.push(oxbpf_maps::MapEntry {
                key: 0u32.to_ne_bytes().to_vec(),
                value: vec![0; value_size],
            });
        }
        let value = &mut map.contents[0].value;
        if value.len() < off + bytes.len() {
            value.resize(off + bytes.len(), 0);
        }
        value[off..off + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
}

/// Why a global variable could not be read or set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VariableError {
    /// No global variable has that name.
    #[error("no global variable `{0}`")]
    NotFound(String),
    /// Several sections have a variable of that name.
    #[error("several sections have a variable `{0}`")]
    Ambiguous(String),
    /// The value's size differs from the variable's (or its scalar's)
    /// BTF size, or the variable is a `.kconfig` extern, which the loader
    /// sets (see `LoadOptions::kconfig`); `reason` says which.
    #[error("variable `{name}`: {reason}")]
    TypeMismatch {
        /// The variable.
        name: String,
        /// How they differ.
        reason: String,
    },
}

/// One entry-point program (libbpf's `bpf_program`, cilium's
/// `ProgramSpec`), with every subprogram it calls appended to its
/// instructions the way libbpf appends them.
#[derive(Clone)]
#[non_exhaustive]
pub struct ProgramSpec {
    /// The function's name.
    pub name: String,
    /// The ELF section, without a leading `?`.
    pub section: String,
    /// What libbpf's section table says about the section name; `None` if
    /// it matches no entry (then `prog_type` must be set by hand).
    pub section_info: Option<ProgramSection>,
    /// The program type (`UNSPEC` if the section is unknown).
    pub prog_type: ProgramType,
    /// `expected_attach_type`, if the section implies one.
    pub expected_attach_type: Option<AttachType>,
    /// The attach target from the section name (`do_unlinkat` of
    /// `kprobe/do_unlinkat`); for BTF-attached programs (`tp_btf`, `iter`,
    /// `fentry`, ...) resolved to a BTF id at load time.
    pub attach_target: Option<String>,
    /// `prog_flags` (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`, ...).
    pub flags: ProgFlags,
    /// Whether [`Collection::load`](crate::Collection::load) loads it
    /// (`false` for `SEC("?...")`).
    pub autoload: bool,
    /// The instructions: the program's own, then its subprograms'.
    /// bpf-to-bpf calls and callback references are already resolved;
    /// references to maps and externs are listed in
    /// [`relocations`](Self::relocations) and patched at load time.
    pub insns: Vec<Insn>,
    /// Instructions that refer to maps, global data or externs.
    pub relocations: Vec<Relocation>,
    /// `bpf_func_info` records, `insn_off` in instructions (as the kernel
    /// takes them).
    pub func_info: Vec<FuncInfo>,
    /// `bpf_line_info` records, `insn_off` in instructions.
    pub line_info: Vec<LineInfo>,
    /// CO-RE relocations, `insn_off` in bytes from the start of
    /// [`insns`](Self::insns).
    pub core_relos: Vec<CoreRelo>,
    /// The subprograms appended to the program, in order.
    pub subprograms: Vec<Subprogram>,
    /// The object's license.
    pub license: String,
    /// The object's `version` section.
    pub kernel_version: u32,
}

impl fmt::Debug for ProgramSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgramSpec")
            .field("name", &self.name)
            .field("section", &self.section)
            .field("prog_type", &self.prog_type)
            .field("expected_attach_type", &self.expected_attach_type)
            .field("attach_target", &self.attach_target)
            .field("flags", &self.flags)
            .field("autoload", &self.autoload)
            .field("insns", &self.insns.len())
            .field("relocations", &self.relocations.len())
            .field("subprograms", &self.subprograms)
            .finish_non_exhaustive()
    }
}

impl ProgramSpec {
    /// The instructions in bpftool's `prog dump xlated` syntax (before
    /// relocation: map references show the ELF's placeholder values).
    pub fn disassemble(&self) -> String {
        crate::insn::disassemble(&self.insns)
    }
}

/// A subprogram appended to a [`ProgramSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subprogram {
    /// The function's name.
    pub name: String,
    /// Its first instruction in the program.
    pub offset: usize,
    /// Its number of instructions.
    pub len: usize,
}

/// An instruction that refers to something resolved at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocation {
    /// The instruction's index in [`ProgramSpec::insns`].
    pub insn: usize,
    /// What it refers to.
    pub target: RelocationTarget,
}

/// What a [`Relocation`] refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelocationTarget {
    /// `ld_imm64` of a map (`BPF_PSEUDO_MAP_FD`).
    Map {
        /// The map's name.
        map: String,
    },
    /// `ld_imm64` of an address in a map's value (`BPF_PSEUDO_MAP_VALUE`):
    /// a global variable.
    MapValue {
        /// The map's name.
        map: String,
        /// The byte offset in the value.
        offset: u32,
    },
    /// `ld_imm64` of an extern: a `.kconfig` value (an address in the
    /// `.kconfig` map), a typed ksym (`BPF_PSEUDO_BTF_ID`) or a typeless one
    /// (its address).
    Extern {
        /// The extern's name.
        name: String,
    },
    /// A call to a kfunc (`BPF_PSEUDO_KFUNC_CALL`).
    KfuncCall {
        /// The kfunc's name.
        name: String,
    },
    /// Something this loader does not support yet (arena globals, jump
    /// tables); loading the program fails.
    Unsupported {
        /// What.
        what: String,
    },
}

/// What kind of global data a [`DataSection`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataSectionKind {
    /// `.data`, `.data.*`: initialised, writable.
    Data,
    /// `.rodata`, `.rodata.*`: read-only for programs, frozen after load.
    Rodata,
    /// `.bss`, `.bss.*`: zero-initialised, writable.
    Bss,
    /// `.kconfig`: the values of `__kconfig` externs, filled in at load.
    Kconfig,
}

/// A global data section, backed by a single-element array map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSection {
    /// The ELF section name (`.rodata`, `.data.custom`, `.kconfig`).
    pub section: String,
    /// The name of the map backing it (`obj.rodata`, `.data.custom`).
    pub map: String,
    /// What kind of data it holds.
    pub kind: DataSectionKind,
    /// The BTF `DATASEC` describing it, if the object has one.
    pub btf_type: Option<TypeId>,
    /// Its variables, by offset.
    pub variables: Vec<VariableSpec>,
}

/// A global variable of a [`DataSection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSpec {
    /// The variable's name.
    pub name: String,
    /// Its offset in the section.
    pub offset: u32,
    /// Its size.
    pub size: u32,
    /// Its BTF type (the `VAR`'s type).
    pub type_id: TypeId,
    /// Whether it is global (`false`: static, or hidden).
    pub global: bool,
    /// For integer, enum, float and pointer variables: the size of the
    /// scalar, which [`CollectionSpec::set_variable`] insists on.
    pub scalar_size: Option<u32>,
}

/// An extern declared by the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternSpec {
    /// The extern's name.
    pub name: String,
    /// Declared `__weak`: unresolved, it is zero instead of an error.
    pub weak: bool,
    /// The BTF `VAR` or `FUNC` declaring it.
    pub btf_id: TypeId,
    /// What it is.
    pub kind: ExternKind,
}

/// The kind of an [`ExternSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExternKind {
    /// A `.kconfig` value: `CONFIG_*` from the kernel configuration, or
    /// one of libbpf's virtual `LINUX_*` values.
    Kconfig {
        /// How the value is stored.
        value_type: KconfigType,
        /// Its offset in the `.kconfig` map.
        offset: u32,
        /// Its size.
        size: u32,
        /// Whether an integer value is signed.
        signed: bool,
    },
    /// A `.ksyms` symbol.
    Ksym {
        /// The local BTF type of a typed ksym (the variable's type, or the
        /// function's prototype), `None` for a typeless one.
        type_id: Option<TypeId>,
        /// Whether it is a function (a kfunc).
        func: bool,
    },
}

/// How a `.kconfig` extern's value is stored (libbpf's `enum kcfg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KconfigType {
    /// `bool`: `y` is 1, `n` is 0.
    Bool,
    /// `char`: `y`, `n`, `m` as characters, or a small number.
    Char,
    /// An integer of 1, 2, 4 or 8 bytes.
    Int,
    /// `enum libbpf_tristate`: `n` 0, `y` 1, `m` 2.
    Tristate,
    /// `char[N]`: a string value.
    CharArray,
}

/// An initial slot of a program array or map-in-map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSlot {
    /// The program array or outer map.
    pub map: String,
    /// The slot index.
    pub index: u32,
    /// What to store there.
    pub target: SlotTarget,
}

/// What a [`MapSlot`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotTarget {
    /// A program of the object (for program arrays).
    Program(String),
    /// A map of the object (for map-in-maps).
    Map(String),
}

impl fmt::Display for SlotTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotTarget::Program(p) => write!(f, "program {p}"),
            SlotTarget::Map(m) => write!(f, "map {m}"),
        }
    }
}

/// A struct_ops map: one variable of a `.struct_ops` or `.struct_ops.link`
/// section, a kernel struct of callbacks (`tcp_congestion_ops`,
/// `sched_ext_ops`, ...) whose function pointers are this object's
/// `SEC("struct_ops/...")` programs.
///
/// Loading creates a `BPF_MAP_TYPE_STRUCT_OPS` map of the kernel's
/// `bpf_struct_ops_<type>` value type and loads the programs against the
/// kernel type's members; nothing is registered with the kernel until
/// [`Collection::attach_struct_ops`](crate::Collection::attach_struct_ops).
///
/// ```
/// use oxbpf_loader::CollectionSpec;
/// let spec = CollectionSpec::from_file(concat!(
///     env!("CARGO_MANIFEST_DIR"),
///     "/../../testdata/links/struct_ops.bpf.o"
/// ))?;
/// let cc = spec.struct_ops("oxcc").unwrap();
/// assert_eq!(cc.type_name, "tcp_congestion_ops");
/// assert!(cc.link);
/// assert_eq!(cc.program_for("ssthresh"), Some("oxcc_ssthresh"));
/// # Ok::<(), oxbpf_loader::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StructOpsSpec {
    /// The variable's name, which is the map's name.
    pub name: String,
    /// The section (`.struct_ops`, `.struct_ops.link`, with a leading `?`
    /// if the map is not created by default).
    pub section: String,
    /// The struct's name, looked up in the kernel's BTF
    /// (`tcp_congestion_ops`).
    pub type_name: String,
    /// The struct's type in the object's BTF.
    pub type_id: TypeId,
    /// The variable's initial bytes, in the object's layout: non-pointer
    /// members (`name`, `flags`, ...) are copied to the kernel's layout
    /// member by member. Function pointer slots are ignored here: see
    /// [`programs`](Self::programs).
    pub data: Vec<u8>,
    /// Whether the map is attached through a bpf_link (`.struct_ops.link`,
    /// `BPF_F_LINK`): the registration ends when the link is closed. A
    /// legacy map is registered by updating it and unregistered by
    /// deleting its element.
    pub link: bool,
    /// Whether the map is created at load (`false` for `SEC("?.struct_ops")`).
    /// Programs referenced only by maps that are not created are not
    /// loaded.
    pub autocreate: bool,
    /// The function pointer members set to programs, in offset order.
    pub programs: Vec<StructOpsProgram>,
}

impl StructOpsSpec {
    /// The program implementing member `member`, if one does.
    pub fn program_for(&self, member: &str) -> Option<&str> {
        self.programs
            .iter()
            .find(|p| p.member == member)
            .map(|p| p.program.as_str())
    }
}

/// One function pointer of a [`StructOpsSpec`] and the program behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructOpsProgram {
    /// The member's name in the object's struct (`ssthresh`).
    pub member: String,
    /// The member's byte offset in the object's struct.
    pub offset: u32,
    /// The program's name (a `SEC("struct_ops/...")` program of this
    /// object).
    pub program: String,
}
