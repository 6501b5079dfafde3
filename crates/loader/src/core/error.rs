//! [`CoreError`]: why a CO-RE relocation could not be computed or applied.
//!
//! A relocation whose field or type is simply missing from the target is
//! *not* an error: the instruction is poisoned, as libbpf does, and the
//! program still loads if the verifier finds that instruction unreachable.
//! These errors are what makes libbpf fail the whole load.

use oxbpf_btf::TypeId;

/// Why an access string could not be parsed against the local BTF
/// (libbpf's `bpf_core_parse_spec` returning an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The access string is empty or starts with `:`.
    #[error("empty access string")]
    Empty,
    /// A component is not a non-negative decimal number.
    #[error("access string component {position} is not a non-negative number")]
    NotANumber {
        /// The component's position (0-based).
        position: usize,
    },
    /// More than [`SPEC_MAX_LEN`](super::SPEC_MAX_LEN) components.
    #[error("access string has more than {} components", super::SPEC_MAX_LEN)]
    TooLong,
    /// A type relocation's access string is not `"0"`.
    #[error("type relocations take the access string \"0\"")]
    TypeAccess,
    /// An enumerator relocation's root is not an enum, its access string
    /// has more than one component, or the index is past the last
    /// enumerator.
    #[error("not a valid enumerator of an enum")]
    Enumerator,
    /// An access string component names member N of a struct or union
    /// with fewer members (the object's `.BTF.ext` disagrees with its BTF).
    #[error("member index {index} of [{type_id}] is out of range")]
    MemberIndex {
        /// The struct or union.
        type_id: TypeId,
        /// The index.
        index: u32,
    },
    /// A named member's name offset points at an empty string.
    #[error("member {index} of [{type_id}] has an empty name")]
    EmptyName {
        /// The struct or union.
        type_id: TypeId,
        /// The member index.
        index: u32,
    },
    /// An array index is past the end of a (non-flexible) array.
    #[error("index {index} is out of bounds of array [{type_id}] of {len} elements")]
    ArrayIndex {
        /// The array.
        type_id: TypeId,
        /// The index.
        index: u32,
        /// The array's length.
        len: u32,
    },
    /// The access walks into a type that is neither a struct, a union nor
    /// an array.
    #[error("component {position} captures type [{type_id}] of unexpected kind {kind}")]
    UnexpectedKind {
        /// The component's position.
        position: usize,
        /// The type reached.
        type_id: TypeId,
        /// Its kind (libbpf's name).
        kind: &'static str,
    },
    /// A type on the way has no size (or too large a one).
    #[error("type [{0}] has no size")]
    NoSize(TypeId),
    /// A type id does not exist.
    #[error("type [{0}] does not exist")]
    MissingType(TypeId),
}

/// Why an instruction could not be patched (libbpf's
/// `bpf_core_patch_insn` failing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The instruction does not hold the value the local BTF gives: the
    /// object and its BTF disagree.
    #[error("unexpected {class} value: got {got}, expected {expected} (to become {new})")]
    UnexpectedValue {
        /// `ALU/ALU64`, `LDX/ST/STX` or `LDIMM64`.
        class: &'static str,
        /// The value in the instruction.
        got: i64,
        /// The value computed from the local BTF.
        expected: u64,
        /// The value it would have been patched to.
        new: u64,
    },
    /// A memory access offset does not fit the 16-bit `off` field.
    #[error("LDX/ST/STX offset {0} is too big")]
    OffsetTooBig(u64),
    /// The load or store size is not the local field's size.
    #[error("LDX/ST/STX memory size {got} bytes, expected {expected}")]
    UnexpectedMemSize {
        /// The instruction's access size in bytes (-1: not a size).
        got: i32,
        /// The local field size.
        expected: u32,
    },
    /// The target field's size is not 1, 2, 4 or 8 bytes.
    #[error("invalid new LDX/ST/STX memory size {0}")]
    InvalidMemSize(u32),
    /// An `ld_imm64` that is not a plain 64-bit immediate load.
    #[error("LDIMM64 has an unexpected form")]
    BadLdImm64,
    /// The relocation targets an ALU instruction whose source is a
    /// register: only an immediate operand can be patched.
    #[error("ALU instruction does not take an immediate")]
    AluNotImmediate,
    /// The relocation targets an instruction class CO-RE does not patch
    /// (a jump, a call): the object's `.BTF.ext` points at the wrong
    /// instruction.
    #[error("unrecognized instruction: code {code:#x}, src {src:#x}, dst {dst:#x}, off {off:#x}, imm {imm:#x}")]
    Unrecognized {
        /// Opcode.
        code: u8,
        /// Source register.
        src: u8,
        /// Destination register.
        dst: u8,
        /// Offset.
        off: i16,
        /// Immediate.
        imm: i32,
    },
    /// The relocation points past the program's end.
    #[error("instruction #{0} is out of the program")]
    OutOfRange(usize),
}

/// Why a CO-RE relocation failed (libbpf fails the load for each of
/// these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The relocation kind is not one of the 13.
    #[error("unrecognized CO-RE relocation kind {0}")]
    UnknownKind(u32),
    /// The relocation's local type does not exist.
    #[error("local type [{0}] does not exist")]
    LocalType(TypeId),
    /// The access string does not fit the local type.
    #[error("parsing [{type_id}] {kind} {name} + {access} failed")]
    Spec {
        /// The local root type.
        type_id: TypeId,
        /// Its kind.
        kind: &'static str,
        /// Its name (`<anon>` if anonymous).
        name: String,
        /// The access string.
        access: String,
        /// Why it does not fit.
        #[source]
        reason: SpecError,
    },
    /// The local root type is anonymous: candidates are found by name.
    #[error("<{kind}> relocation of anonymous type [{type_id}] is not supported")]
    Anonymous {
        /// The relocation kind.
        kind: &'static str,
        /// The local type.
        type_id: TypeId,
    },
    /// Matching a candidate failed with an error (too deep nesting, a type
    /// without size).
    #[error("error matching candidate [{candidate}] of {target}: {reason}")]
    Match {
        /// The candidate's id in its BTF.
        candidate: TypeId,
        /// The candidate's BTF (`vmlinux`, a module's name, a file).
        target: String,
        /// What went wrong.
        reason: String,
    },
    /// The value cannot be computed (a bitfield no 64-bit load covers, a
    /// field kind applied to an array element, a type without size).
    #[error("{0}")]
    Calc(String),
    /// Two candidates put the field at different offsets.
    #[error("field offset ambiguity: {a} != {b}")]
    OffsetAmbiguity {
        /// The bit offset in one candidate.
        a: u32,
        /// The bit offset in another.
        b: u32,
    },
    /// Two candidates give different results.
    #[error("relocation decision ambiguity: {} {} != {} {}",
        if *a_poison { "failure" } else { "success" }, a,
        if *b_poison { "failure" } else { "success" }, b)]
    DecisionAmbiguity {
        /// One candidate's value.
        a: u64,
        /// Whether it poisons.
        a_poison: bool,
        /// Another candidate's value.
        b: u64,
        /// Whether it poisons.
        b_poison: bool,
    },
    /// The relocation's value was computed but the instruction cannot
    /// take it (see [`PatchError`]): its original value disagrees with the
    /// local BTF, a new offset does not fit 16 bits, a size change the
    /// access cannot make.
    #[error("patching instruction #{insn}")]
    Patch {
        /// The instruction's index.
        insn: usize,
        /// Why.
        #[source]
        reason: PatchError,
    },
    /// The record's `insn_off` is not a multiple of 8 or past the program.
    #[error("relocation offset {0} is not an instruction of the program")]
    InsnOffset(u32),
}
