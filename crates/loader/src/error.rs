//! Errors: [`ParseError`] for turning an ELF object into a
//! [`CollectionSpec`](crate::CollectionSpec), [`LoadError`] for loading it,
//! [`ProgramError`] for operations on a loaded [`Program`](crate::Program).

use std::fmt;
use std::io;
use std::path::PathBuf;

use oxbpf_maps::MapError;
use oxbpf_sys::SyscallError;

/// Why an ELF object could not be turned into a
/// [`CollectionSpec`](crate::CollectionSpec).
///
/// Every variant says where: the ELF section (by name, and index where
/// names are ambiguous), the byte offset inside it, the symbol, map or
/// program concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// [`CollectionSpec::from_file`](crate::CollectionSpec::from_file)
    /// could not read the file (missing, unreadable); `source` has the
    /// errno.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The bytes are not a well-formed 64-bit ELF file.
    #[error("malformed ELF: {reason}")]
    Elf {
        /// What the ELF reader could not make sense of.
        reason: String,
    },
    /// The ELF is not for the BPF machine (`e_machine` is neither `EM_BPF`
    /// nor `EM_NONE`, which old LLVM releases wrote).
    #[error("not a BPF object: e_machine is {machine}, expected EM_BPF (247)")]
    NotBpf {
        /// The `e_machine` value found.
        machine: u16,
    },
    /// The ELF is not a relocatable object (`ET_REL`), as clang writes
    /// with `-c`.
    #[error("not a relocatable object: e_type is {e_type}, expected ET_REL (1)")]
    NotRelocatable {
        /// The `e_type` value found.
        e_type: u16,
    },
    /// The object has no symbol table (it was stripped) or several.
    #[error("{0}")]
    SymbolTable(&'static str),
    /// A section is malformed or inconsistent: a name outside the section
    /// name table, a relocation section with a bad entry size or target, a
    /// `version` section not holding one u32, a program section that is
    /// not `SHT_PROGBITS`, a legacy `maps` section whose size does not
    /// divide into its symbols, a `.BTF.ext` that cannot be read.
    #[error("section `{section}` (#{index}): {reason}")]
    Section {
        /// The section's name.
        section: String,
        /// The section's index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A program (a function symbol in an executable section) is malformed.
    #[error("section `{section}`: program `{program}` at offset {offset}: {reason}")]
    Program {
        /// The section.
        section: String,
        /// The program's name.
        program: String,
        /// Its byte offset in the section.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A relocation cannot be applied.
    #[error(
        "section `{section}`: relocation #{index} at offset {offset} against `{symbol}`: {reason}"
    )]
    Relocation {
        /// The section the relocation applies to.
        section: String,
        /// The relocation's index in its `SHT_REL` section.
        index: usize,
        /// The byte offset it patches.
        offset: u64,
        /// The symbol it refers to.
        symbol: String,
        /// What is wrong.
        reason: String,
    },
    /// A bpf-to-bpf call or callback reference cannot be resolved.
    #[error("program `{program}`: instruction #{insn}: {reason}")]
    Call {
        /// The program (entry point or subprogram) holding the instruction.
        program: String,
        /// The instruction's index in that program.
        insn: usize,
        /// What is wrong.
        reason: String,
    },
    /// `.BTF` is malformed.
    #[error("section `.BTF`")]
    Btf(#[source] oxbpf_btf::ParseError),
    /// `.BTF.ext` is malformed.
    #[error("section `.BTF.ext`")]
    BtfExt(#[source] oxbpf_btf::ParseError),
    /// The object needs BTF (BTF-defined maps, externs) but has none.
    #[error("{what} need BTF, but the object has no usable `.BTF` section")]
    MissingBtf {
        /// What needs it.
        what: &'static str,
    },
    /// The object's BTF is inconsistent with its ELF contents.
    #[error("BTF {what}: {reason}")]
    BtfMismatch {
        /// The type, variable or section concerned.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A map definition is invalid: a `.maps` variable whose BTF is not a
    /// struct of `__uint`/`__type`/`__array` members, an attribute of the
    /// wrong shape, conflicting key or value sizes, a `values` initialiser
    /// on a map that is neither map-in-map nor a program array (or not
    /// last), multi-level inner maps.
    #[error("map `{map}`: {reason}")]
    Map {
        /// The map's name.
        map: String,
        /// What is wrong.
        reason: String,
    },
    /// An extern (`__kconfig`, `__ksym`) declaration is invalid.
    #[error("extern `{name}`: {reason}")]
    Extern {
        /// The extern's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// func_info / line_info of `.BTF.ext` do not cover a program.
    #[error("program `{program}`: {reason}")]
    ExtInfo {
        /// The program.
        program: String,
        /// What is wrong.
        reason: String,
    },
}

impl ParseError {
    pub(crate) fn elf(err: impl fmt::Display) -> Self {
        ParseError::Elf {
            reason: err.to_string(),
        }
    }

    pub(crate) fn section(section: &str, index: usize, reason: impl Into<String>) -> Self {
        ParseError::Section {
            section: section.to_string(),
            index,
            reason: reason.into(),
        }
    }

    pub(crate) fn map(map: &str, reason: impl Into<String>) -> Self {
        ParseError::Map {
            map: map.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn btf(what: impl Into<String>, reason: impl Into<String>) -> Self {
        ParseError::BtfMismatch {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// A verifier (or BTF) log, complete: the loader grows its buffer until
/// the kernel's whole log fits.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VerifierLog(pub String);

impl VerifierLog {
    /// The log text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the kernel wrote nothing.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The last lines, where the verifier states why it gave up.
    pub fn tail(&self, lines: usize) -> &str {
        let text = self.0.trim_end();
        let mut start = text.len();
        for _ in 0..lines {
            match text[..start].rfind('\n') {
                Some(pos) => start = pos,
                None => return text,
            }
        }
        text[start..].trim_start_matches('\n')
    }
}

impl fmt::Debug for VerifierLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierLog({} bytes)", self.0.len())
    }
}

impl fmt::Display for VerifierLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why [`Collection::load`](crate::Collection::load) failed. Every fd
/// created before the failure has been closed, and maps pinned by this
/// load have been unpinned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The object's byte order is not the machine's.
    #[error("the object is {0}-endian; only objects of this machine's byte order can be loaded")]
    ForeignEndian(&'static str),
    /// The kernel refused a program. For a verifier rejection, `log` holds
    /// the complete verifier log.
    #[error("program `{program}` refused by the kernel{}", log_hint(log))]
    Program {
        /// The program's name.
        program: String,
        /// The complete verifier log (empty if the kernel wrote none).
        log: VerifierLog,
        /// The failed call.
        #[source]
        source: SyscallError,
    },
    /// The kernel refused a program because it is in lockdown: with
    /// `CONFIG_SECURITY_LOCKDOWN_LSM` in integrity or confidentiality
    /// mode, programs that attach through BPF trampolines (`fentry`,
    /// `fexit`, `fmod_ret`, `freplace`, `lsm`) fail with `EPERM` before the
    /// verifier runs.
    #[error("program `{program}` ({section}) refused by the kernel: permission denied by kernel lockdown ({mode})")]
    Lockdown {
        /// The program's name.
        program: String,
        /// Its section (what kind of program it is).
        section: String,
        /// The lockdown mode, from `/sys/kernel/security/lockdown`.
        mode: String,
        /// The failed call (`BPF_PROG_LOAD`, `EPERM`).
        #[source]
        source: SyscallError,
    },
    /// A struct_ops map does not fit the running kernel: its struct or a
    /// member it sets is missing, or a member's kind or size differs.
    #[error("struct_ops map `{map}`: {reason}")]
    StructOps {
        /// The map's name.
        map: String,
        /// What does not fit.
        reason: String,
    },
    /// The kernel refused the object's BTF, and BTF is mandatory for it.
    #[error("BTF refused by the kernel{}", log_hint(log))]
    Btf {
        /// The kernel's BTF log.
        log: VerifierLog,
        /// The failed call.
        #[source]
        source: SyscallError,
    },
    /// A map could not be created, reused or pinned.
    #[error("map `{map}`")]
    Map {
        /// The map's name.
        map: String,
        /// What failed.
        #[source]
        source: Box<MapError>,
    },
    /// A pinned map exists but does not match the object's definition.
    #[error("map `{map}`: pinned map at {} is incompatible: {reason}", path.display())]
    IncompatiblePin {
        /// The map's name.
        map: String,
        /// The pin path.
        path: PathBuf,
        /// How it differs.
        reason: String,
    },
    /// A `values` initialiser (program array or map-in-map slot) failed.
    #[error("map `{map}`: setting slot {index} to `{target}`")]
    MapSlot {
        /// The outer map or program array.
        map: String,
        /// The slot.
        index: u32,
        /// The map or program stored there.
        target: String,
        /// What failed.
        #[source]
        source: Box<MapError>,
    },
    /// An extern could not be resolved at load time: a strong (not
    /// `__weak`) one the kernel does not have, a `CONFIG_*` value that does
    /// not fit the declared type, an unknown virtual `LINUX_*` extern, or
    /// a kernel version that could not be read.
    #[error("extern `{name}`: {reason}")]
    Extern {
        /// The extern's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The kernel configuration (for `__kconfig` externs) could not be read.
    #[error("reading the kernel configuration")]
    Kconfig(#[source] io::Error),
    /// The kernel's BTF (for ksyms, kfuncs, attach targets) could not be
    /// read.
    #[error("reading kernel BTF {}", path.display())]
    KernelBtf {
        /// The BTF file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: oxbpf_btf::FileError,
    },
    /// A program's BTF attach target (`fentry/NAME`, `tp_btf/NAME`, ...)
    /// cannot be resolved.
    #[error("program `{program}`: attach target `{target}`: {reason}")]
    AttachTarget {
        /// The program.
        program: String,
        /// The target named by its section.
        target: String,
        /// What is wrong.
        reason: String,
    },
    /// A CO-RE relocation could not be computed or applied (what makes
    /// libbpf fail a load: an access string that does not fit the
    /// object's BTF, ambiguous candidates, an instruction that does not
    /// hold the expected value). A field or type missing from the target
    /// is not this error: its instruction is poisoned, see
    /// [`CoreUnresolved`](Self::CoreUnresolved).
    #[error("program `{program}`: CO-RE relocation #{relocation} (instruction #{insn}, {access}) failed")]
    Core {
        /// The program.
        program: String,
        /// The relocation's index in the program's
        /// [`core_relos`](crate::ProgramSpec::core_relos).
        relocation: usize,
        /// The instruction.
        insn: usize,
        /// The relocation's kind and access in C terms.
        access: String,
        /// What failed.
        #[source]
        source: Box<crate::core::CoreError>,
    },
    /// The verifier reached an instruction whose CO-RE relocation found
    /// nothing in the target BTF (a field, type or enumerator this kernel
    /// lacks, on a path not guarded by `bpf_core_field_exists()` or the
    /// like), poisoned as libbpf poisons it.
    #[error(transparent)]
    CoreUnresolved(Box<CoreUnresolved>),
    /// The target BTF given for CO-RE could not be read.
    #[error("reading CO-RE target BTF {}", path.display())]
    CoreTarget {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: oxbpf_btf::FileError,
    },
    /// An instruction cannot be relocated against what it refers to.
    #[error("program `{program}`: instruction #{insn}: {reason}")]
    Relocation {
        /// The program.
        program: String,
        /// The instruction index.
        insn: usize,
        /// What is wrong.
        reason: String,
    },
    /// The spec is inconsistent (edited into a state that cannot load).
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// The object uses something this loader does not support yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A system call the other variants do not cover failed (listing,
    /// opening or reading the kernel's module BTF objects, duplicating a
    /// BTF fd); `what` says what was being done, `source` names the call
    /// and errno.
    #[error("{what}")]
    Syscall {
        /// What was being done.
        what: String,
        /// The failed call.
        #[source]
        source: SyscallError,
    },
}

fn log_hint(log: &VerifierLog) -> String {
    if log.is_empty() {
        String::new()
    } else {
        format!(" (verifier log ends with:\n{}\n)", log.tail(4))
    }
}

impl LoadError {
    /// The verifier (or BTF) log, if this is a rejection by the kernel.
    pub fn verifier_log(&self) -> Option<&VerifierLog> {
        match self {
            LoadError::Program { log, .. } | LoadError::Btf { log, .. } => Some(log),
            LoadError::CoreUnresolved(u) => Some(&u.log),
            _ => None,
        }
    }

    /// The `errno` of the failed system call, if one failed.
    pub fn errno(&self) -> Option<i32> {
        match self {
            LoadError::Program { source, .. }
            | LoadError::Lockdown { source, .. }
            | LoadError::Btf { source, .. }
            | LoadError::Syscall { source, .. } => Some(source.errno()),
            LoadError::Map { source, .. } | LoadError::MapSlot { source, .. } => source.errno(),
            LoadError::CoreUnresolved(u) => Some(u.source.errno()),
            _ => None,
        }
    }
}

/// [`LoadError::CoreUnresolved`]: the verifier reached an instruction
/// whose CO-RE relocation found nothing in the target BTF, and which was
/// poisoned (a call of the invalid helper
/// [`POISON_IMM`](crate::core::POISON_IMM)), as libbpf poisons it.
#[derive(Debug, thiserror::Error)]
#[error("program `{program}`: instruction #{insn} accesses `{access}`, which CO-RE relocation #{relocation} could not resolve in the target BTF ({spec}){}", log_hint(log))]
#[non_exhaustive]
pub struct CoreUnresolved {
    /// The program.
    pub program: String,
    /// The relocation's index in the program's
    /// [`core_relos`](crate::ProgramSpec::core_relos).
    pub relocation: usize,
    /// The poisoned instruction.
    pub insn: usize,
    /// The access in C terms: `struct task_struct.mm->exe_file`.
    pub access: String,
    /// The local spec in libbpf's format:
    /// `<byte_off> [7] struct mm_struct.exe_file (0:3 @ offset 24)`.
    pub spec: String,
    /// The complete verifier log.
    pub log: VerifierLog,
    /// The failed call.
    #[source]
    pub source: SyscallError,
}

/// Why an operation on a loaded [`Program`](crate::Program) failed:
/// pinning, [`test_run`](crate::Program::test_run), reading its info,
/// opening one from a pin, fd or ID.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProgramError {
    /// The `bpf(2)` command behind the operation failed (`BPF_OBJ_PIN`,
    /// `BPF_PROG_TEST_RUN`, `BPF_OBJ_GET_INFO_BY_FD`, …); `what` names the
    /// operation and `source` the command and errno.
    #[error("program `{program}`: {what}")]
    Syscall {
        /// The program's name.
        program: String,
        /// What was being done.
        what: &'static str,
        /// The failed call.
        #[source]
        source: SyscallError,
    },
    /// Pinning to, or opening from, a path whose directory is not on a
    /// BPF file system (`mount -t bpf bpf DIR` first).
    #[error("{} is not on a BPF file system (mount one with `mount -t bpf bpf DIR`)", path.display())]
    NotBpffs {
        /// The path.
        path: PathBuf,
    },
    /// `statfs` of the pin path's directory failed (it does not exist,
    /// or is not accessible), so its file system could not be checked.
    #[error("checking {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The fd or pin opened as a program refers to another kind of BPF
    /// object (a map, a link, BTF).
    #[error("not a BPF program")]
    NotAProgram,
}
