//! Errors of the BTF crate.

use crate::{Kind, TypeId};

/// Where in the input a parse error was found.
///
/// Offsets are in bytes from the start of the blob that was parsed (the raw
/// BTF or `.BTF.ext` bytes, not an enclosing ELF file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub usize);

impl std::fmt::Display for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A malformed BTF or `.BTF.ext` blob.
///
/// Every variant says where (a byte offset, a section or a type id) and what
/// is wrong. Parsing never panics: all malformed input ends up here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input ends before a structure that should be there.
    #[error("truncated input at offset {offset}: need {need} bytes for {what}, {have} available")]
    Truncated {
        /// Where the structure starts.
        offset: Offset,
        /// How many bytes it needs.
        need: usize,
        /// How many bytes are left.
        have: usize,
        /// What was being read.
        what: &'static str,
    },
    /// The magic number is neither `0xeB9F` nor its byte-swapped form.
    #[error("bad magic {found:#06x} (expected 0xeb9f in either byte order)")]
    BadMagic {
        /// The first two bytes, read little-endian.
        found: u16,
    },
    /// The version byte is not 1.
    #[error("unsupported version {0} (only version 1 exists)")]
    BadVersion(u8),
    /// The header is malformed (length, flags or section placement).
    #[error("bad header: {0}")]
    BadHeader(&'static str),
    /// A section (type, string or layout section) lies outside the blob or
    /// overlaps another.
    #[error("{section} section at {start:#x}..{end:#x} lies outside the {len}-byte blob or overlaps another section")]
    SectionOutOfBounds {
        /// `"type"`, `"string"`, `"layout"` or a `.BTF.ext` section name.
        section: &'static str,
        /// Start offset of the section.
        start: u64,
        /// End offset of the section.
        end: u64,
        /// Length of the blob.
        len: usize,
    },
    /// The string section does not start or end with a NUL byte, or is not
    /// UTF-8.
    #[error("bad string section: {0}")]
    BadStrings(String),
    /// A type record is invalid: it runs past the type section, refers
    /// to a type id that does not exist, has a name offset outside the
    /// string section, a size or vlen its kind forbids, and so on.
    #[error("type [{id}] at offset {offset}: {reason}")]
    BadType {
        /// The type's id.
        id: TypeId,
        /// The offset of the type's record.
        offset: Offset,
        /// What is wrong with it.
        reason: String,
    },
    /// A type's kind is not one this crate knows, and the blob has no layout
    /// section describing it.
    #[error(
        "type [{id}] at offset {offset}: unknown kind {kind} and no layout section to step over it"
    )]
    UnknownKind {
        /// The type's id.
        id: TypeId,
        /// The offset of the type's record.
        offset: Offset,
        /// The raw kind number.
        kind: u8,
    },
    /// More types than BTF can number (`BTF_MAX_TYPE`).
    #[error("too many types: more than {0}")]
    TooManyTypes(u32),
    /// A `.BTF.ext` record is invalid.
    #[error(".BTF.ext {section} at offset {offset}: {reason}")]
    BadExt {
        /// `"func_info"`, `"line_info"` or `"core_relo"`.
        section: &'static str,
        /// Where the problem was found.
        offset: Offset,
        /// What is wrong.
        reason: String,
    },
}

/// An error from a query on parsed BTF (size, alignment, resolution).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// No type has this id.
    #[error("no type with id {0}")]
    NotFound(TypeId),
    /// Following references from this type went deeper than the limit
    /// (a reference loop, or a chain deeper than libbpf allows).
    #[error("type [{0}]: reference chain too deep or cyclic")]
    TooDeep(TypeId),
    /// The type has no size (void, function, function prototype, forward
    /// declaration).
    #[error("type [{id}] ({kind}) has no size")]
    NoSize {
        /// The type's id.
        id: TypeId,
        /// Its kind.
        kind: Kind,
    },
    /// A size computation overflowed.
    #[error("type [{0}]: size overflows")]
    Overflow(TypeId),
}

/// An error from [`BtfBuilder`](crate::BtfBuilder).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The builder holds more types than BTF can number.
    #[error("too many types (max {max})")]
    TooManyTypes {
        /// The limit.
        max: u32,
    },
    /// The string section would exceed the largest offset BTF can encode.
    #[error("string section too large ({len} bytes)")]
    StringsTooLarge {
        /// Its length.
        len: usize,
    },
    /// More members, values or parameters than `vlen` can hold.
    #[error("type `{name}`: {count} entries exceed the vlen limit {max}")]
    VlenTooLarge {
        /// The type being added.
        name: String,
        /// How many entries it had.
        count: usize,
        /// The limit.
        max: u32,
    },
    /// A bitfield does not fit the member offset encoding (offset above
    /// 2^24 - 1 bits or size above 255 bits).
    #[error("member `{member}`: bitfield offset {offset} / size {size} cannot be encoded")]
    BadBitfield {
        /// The member's name.
        member: String,
        /// Its bit offset.
        offset: u32,
        /// Its bitfield size.
        size: u32,
    },
    /// The type section or string section would exceed 4 GiB.
    #[error("BTF larger than 4 GiB")]
    TooLarge,
}
