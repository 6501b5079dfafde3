//! `Btf`: parsing, validation and access by id.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use crate::error::{Offset, ParseError};
use crate::index::NameIndex;
use crate::types::*;

/// `BTF_MAGIC`
pub const BTF_MAGIC: u16 = 0xeb9f;
/// `BTF_MAX_TYPE`: the largest type id.
pub const MAX_TYPE: u32 = 0x000f_ffff;
/// `BTF_MAX_NAME_OFFSET`: the largest string offset.
pub const MAX_NAME_OFFSET: u32 = 0x00ff_ffff;
/// Size of the original (version 1) header.
pub(crate) const HEADER_LEN: usize = 24;
/// Size of the header with the layout section fields.
pub(crate) const HEADER_LEN_LAYOUT: usize = 32;
/// Path of the running kernel's BTF.
pub const KERNEL_BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// Byte order of a BTF blob.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Little-endian (x86, arm64, ...).
    Little,
    /// Big-endian (s390x, ...).
    Big,
}

impl Endian {
    /// The byte order of the machine this code runs on.
    pub const NATIVE: Self = if cfg!(target_endian = "little") {
        Self::Little
    } else {
        Self::Big
    };
}

/// The byte order of a blob that starts with `BTF_MAGIC` (`.BTF` and
/// `.BTF.ext` share the magic): native if it reads as the magic, the other
/// order if it reads byte-swapped, an error otherwise.
pub(crate) fn byte_order(data: &[u8], what: &'static str) -> Result<Endian, ParseError> {
    let magic = match data.get(0..2) {
        Some(&[a, b]) => u16::from_ne_bytes([a, b]),
        _ => return Err(truncated(0, 2, data.len(), what)),
    };
    if magic == BTF_MAGIC {
        Ok(Endian::NATIVE)
    } else if magic == BTF_MAGIC.swap_bytes() {
        Ok(match Endian::NATIVE {
            Endian::Little => Endian::Big,
            Endian::Big => Endian::Little,
        })
    } else {
        Err(ParseError::BadMagic {
            found: u16::from_le_bytes(magic.to_ne_bytes()),
        })
    }
}

/// One entry of the layout section (`struct btf_layout`): how to step over a
/// kind without understanding it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct KindLayout {
    /// Size of the single element after the common 12-byte header.
    pub info_size: u8,
    /// Size of each of the `vlen` elements after that.
    pub elem_size: u8,
    /// Flags (currently unused by the kernel).
    pub flags: u16,
}

/// How much of a blob [`Btf`] checks while parsing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Validation {
    /// Everything: structure, and that every type reference and name offset
    /// anywhere (members, parameters, enumerators included) is in range.
    Full,
    /// Structure (every record's bounds, kind, sizes, `vlen`, and the
    /// references and names in each type's header), but not the references
    /// inside members, parameters and enumerators. For BTF the kernel itself
    /// produced and already validated at boot (`/sys/kernel/btf/*`).
    Trusted,
}

/// The bytes behind a [`Btf`]: borrowed, owned, or shared with something
/// that keeps them alive (such as a file mapping).
pub(crate) enum Data<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Shared(Arc<dyn AsRef<[u8]> + Send + Sync>),
}

impl Data<'_> {
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Owned(v) => v,
            Data::Shared(s) => (**s).as_ref(),
        }
    }
}

/// Parsed BTF: the raw bytes plus an id → record index.
///
/// Parsing validates every type record once (kinds, sizes, `vlen`s, that
/// every referenced type id and string offset exists), so afterwards every
/// access is infallible. Types are decoded lazily into borrowed [`Type`]
/// views. Name lookups scan linearly at first, as libbpf does, and switch to
/// a hash index once enough scanning has been done to pay for building it.
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, Kind, Type, IntEncoding};
///
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// let ptr = b.add_ptr(int);
/// let bytes = b.to_bytes()?;
///
/// let btf = Btf::parse(&bytes)?;
/// assert_eq!(btf.find_by_name_kind("int", Kind::Int), Some(int));
/// assert!(matches!(btf.type_by_id(ptr), Some(Type::Ptr(p)) if p.target == int));
/// assert_eq!(btf.size_of(ptr)?, 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Btf<'a> {
    data: Data<'a>,
    endian: Endian,
    type_start: usize,
    type_end: usize,
    str_start: usize,
    str_end: usize,
    layout: Vec<KindLayout>,
    /// Offset in `data` of the record of type `start_id + i`.
    offsets: Vec<u32>,
    /// The first id of this BTF's own types (1, or base count + 1).
    start_id: u32,
    /// String offsets below this belong to the base.
    start_str: u32,
    base: Option<Arc<Btf<'a>>>,
    pub(crate) names: OnceLock<NameIndex>,
    /// How many records name lookups have scanned so far (see `index.rs`).
    pub(crate) scanned: AtomicU64,
}

impl std::fmt::Debug for Btf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("types", &self.offsets.len())
            .field("start_id", &self.start_id)
            .field("endian", &self.endian)
            .field("split", &self.base.is_some())
            .finish_non_exhaustive()
    }
}

impl Btf<'static> {
    /// Parses an owned blob.
    pub fn parse_owned(bytes: Vec<u8>) -> Result<Self, ParseError> {
        Self::parse_data(Data::Owned(bytes), None, Validation::Full)
    }

    /// Parses bytes kept alive by `owner` (a file mapping, an `Arc<[u8]>`...)
    /// without copying them.
    pub fn parse_shared(owner: Arc<dyn AsRef<[u8]> + Send + Sync>) -> Result<Self, ParseError> {
        Self::parse_data(Data::Shared(owner), None, Validation::Full)
    }

    /// Reads and parses a raw BTF file (not an ELF object: the loader
    /// extracts `.BTF` sections).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, FileError> {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        Self::parse_data(bytes, None, validation_for(path)).map_err(|source| FileError::Parse {
            path: path.into(),
            source,
        })
    }

    /// The running kernel's BTF, from `/sys/kernel/btf/vmlinux`.
    ///
    /// The file is mapped read-only (`MAP_PRIVATE`) when the kernel allows
    /// it, so no copy of its ~5 MiB is made; otherwise it is read.
    ///
    /// Files under `/sys/kernel/btf/` are produced by the running kernel,
    /// which validated them itself at boot (`btf_parse_vmlinux`, and
    /// `btf_parse_module` for modules), so for them parsing checks the
    /// structure of every record (bounds, kinds, sizes, `vlen`, header
    /// references) but does not re-check every member and parameter
    /// reference. All other inputs get the full validation of
    /// [`Btf::parse`]; either way nothing is ever read out of bounds.
    ///
    /// # Minimum kernel version
    /// 5.4 with `CONFIG_DEBUG_INFO_BTF` (mapping needs 6.15).
    pub fn kernel() -> Result<Self, FileError> {
        Self::from_file(KERNEL_BTF_PATH)
    }

    /// Reads and parses a kernel module's BTF (split BTF on top of
    /// `vmlinux`), such as `/sys/kernel/btf/nf_conntrack`.
    pub fn from_file_split(
        path: impl AsRef<Path>,
        base: Arc<Btf<'static>>,
    ) -> Result<Self, FileError> {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        Self::parse_data(bytes, Some(base), validation_for(path)).map_err(|source| {
            FileError::Parse {
                path: path.into(),
                source,
            }
        })
    }
}

/// Full validation, except for the kernel's own BTF files.
fn validation_for(path: &Path) -> Validation {
    if path.starts_with("/sys/kernel/btf/") {
        Validation::Trusted
    } else {
        Validation::Full
    }
}

/// Maps `path` read-only if possible, reads it otherwise.
fn read_file(path: &Path) -> Result<Data<'static>, FileError> {
    if let Ok(map) = oxbpf_sys::mmap::ReadOnlyMapping::open(path) {
        return Ok(Data::Shared(Arc::new(map)));
    }
    std::fs::read(path)
        .map(Data::Owned)
        .map_err(|source| FileError::Io {
            path: path.into(),
            source: Arc::new(source),
        })
}

/// An error reading a BTF file: returned by [`Btf::from_file`] and the
/// other constructors that take a path (raw BTF such as
/// `/sys/kernel/btf/vmlinux`, or an ELF object's `.BTF` section).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Opening, mapping or reading the file failed (it does not exist, is
    /// not readable, or is not a regular file); `source` has the errno.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The file was read but its bytes are not valid BTF (or an ELF
    /// object without a well-formed `.BTF` section); `source` says where
    /// and what.
    #[error("parsing {path}")]
    Parse {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        #[source]
        source: ParseError,
    },
}

#[inline(always)]
pub(crate) fn rd(data: &[u8], at: usize) -> u32 {
    match data.get(at..).and_then(<[u8]>::first_chunk::<4>) {
        Some(b) => u32::from_ne_bytes(*b),
        None => 0,
    }
}

fn truncated(offset: usize, need: usize, have: usize, what: &'static str) -> ParseError {
    ParseError::Truncated {
        offset: Offset(offset),
        need,
        have,
        what,
    }
}

/// The parsed header fields.
struct Header {
    hdr_len: usize,
    type_off: u32,
    type_len: u32,
    str_off: u32,
    str_len: u32,
    layout_off: u32,
    layout_len: u32,
}

fn parse_header(data: &[u8], swap: bool) -> Result<Header, ParseError> {
    if data.len() < HEADER_LEN {
        return Err(truncated(0, HEADER_LEN, data.len(), "BTF header"));
    }
    let r32 = |at: usize| {
        let v = rd(data, at);
        if swap {
            v.swap_bytes()
        } else {
            v
        }
    };
    let version = data.get(2).copied().unwrap_or(0);
    if version != 1 {
        return Err(ParseError::BadVersion(version));
    }
    if data.get(3).copied().unwrap_or(0) != 0 {
        return Err(ParseError::BadHeader("flags must be 0"));
    }
    let hdr_len = r32(4) as usize;
    if hdr_len < HEADER_LEN {
        return Err(ParseError::BadHeader("hdr_len is smaller than 24"));
    }
    if hdr_len > data.len() {
        return Err(truncated(0, hdr_len, data.len(), "BTF header (hdr_len)"));
    }
    if hdr_len % 4 != 0 {
        return Err(ParseError::BadHeader("hdr_len is not a multiple of 4"));
    }
    let (layout_off, layout_len) = if hdr_len >= HEADER_LEN_LAYOUT {
        (r32(24), r32(28))
    } else {
        (0, 0)
    };
    // Header fields newer than the ones we know must be zero (the kernel's
    // rule), so that we never ignore something that changes the meaning.
    let known = hdr_len.min(HEADER_LEN_LAYOUT);
    if data
        .get(known..hdr_len)
        .is_some_and(|b| b.iter().any(|&x| x != 0))
    {
        return Err(ParseError::BadHeader("unknown non-zero header fields"));
    }
    Ok(Header {
        hdr_len,
        type_off: r32(8),
        type_len: r32(12),
        str_off: r32(16),
        str_len: r32(20),
        layout_off,
        layout_len,
    })
}

/// Byte-swaps a foreign-endian blob into native order: every field of the
/// header and the type section is a 32-bit word; layout entries have one
/// 16-bit field.
fn swap_to_native(data: &[u8], h: &Header) -> Vec<u8> {
    let mut out = data.to_vec();
    let swap_words = |out: &mut [u8], start: usize, end: usize| {
        if let Some(region) = out.get_mut(start..end) {
            for w in region.chunks_exact_mut(4) {
                w.reverse();
            }
        }
    };
    if let Some(m) = out.get_mut(0..2) {
        m.reverse();
    }
    swap_words(&mut out, 4, h.hdr_len);
    let ts = h.hdr_len + h.type_off as usize;
    swap_words(&mut out, ts, ts + h.type_len as usize);
    if h.layout_len > 0 {
        let ls = h.hdr_len + h.layout_off as usize;
        if let Some(region) = out.get_mut(ls..ls + h.layout_len as usize) {
            for e in region.chunks_exact_mut(4) {
                if let Some(f) = e.get_mut(2..4) {
                    f.reverse();
                }
            }
        }
    }
    out
}

fn section(
    name: &'static str,
    h: &Header,
    off: u32,
    len: u32,
    total: usize,
) -> Result<(usize, usize), ParseError> {
    let start = h.hdr_len as u64 + u64::from(off);
    let end = start + u64::from(len);
    if end > total as u64 {
        return Err(ParseError::SectionOutOfBounds {
            section: name,
            start,
            end,
            len: total,
        });
    }
    Ok((start as usize, end as usize))
}

fn bad_type(id: u32, offset: usize, reason: impl Into<String>) -> ParseError {
    ParseError::BadType {
        id: TypeId(id),
        offset: Offset(offset),
        reason: reason.into(),
    }
}

/// For each known kind: the size of the fixed part of its record after the
/// common header, and the size of each of its `vlen` elements. A table, not
/// a `match`: it is looked up once per type on the parse hot path.
const KNOWN_LAYOUT: [Option<(u8, u8)>; 20] = [
    None,          // 0 UNKN (invalid)
    Some((4, 0)),  // 1 INT
    Some((0, 0)),  // 2 PTR
    Some((12, 0)), // 3 ARRAY
    Some((0, 12)), // 4 STRUCT
    Some((0, 12)), // 5 UNION
    Some((0, 8)),  // 6 ENUM
    Some((0, 0)),  // 7 FWD
    Some((0, 0)),  // 8 TYPEDEF
    Some((0, 0)),  // 9 VOLATILE
    Some((0, 0)),  // 10 CONST
    Some((0, 0)),  // 11 RESTRICT
    Some((0, 0)),  // 12 FUNC (vlen is the linkage)
    Some((0, 8)),  // 13 FUNC_PROTO
    Some((4, 0)),  // 14 VAR
    Some((0, 12)), // 15 DATASEC
    Some((0, 0)),  // 16 FLOAT
    Some((4, 0)),  // 17 DECL_TAG
    Some((0, 0)),  // 18 TYPE_TAG
    Some((0, 12)), // 19 ENUM64
];

#[inline(always)]
fn known_layout(kind: u8) -> Option<(usize, usize)> {
    match KNOWN_LAYOUT.get(kind as usize) {
        Some(Some((f, e))) => Some((*f as usize, *e as usize)),
        _ => None,
    }
}

impl<'a> Btf<'a> {
    /// Parses and validates a raw BTF blob (`.BTF` section contents or a
    /// `/sys/kernel/btf/*` file), borrowing it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_data(Data::Borrowed(bytes), None, Validation::Full)
    }

    /// Parses split BTF (a kernel module's) on top of `base`: its type ids
    /// continue after the base's last one, and its string offsets after the
    /// base's string section.
    pub fn parse_split(bytes: &'a [u8], base: Arc<Btf<'a>>) -> Result<Self, ParseError> {
        Self::parse_data(Data::Borrowed(bytes), Some(base), Validation::Full)
    }

    fn parse_data(
        data: Data<'a>,
        base: Option<Arc<Btf<'a>>>,
        validation: Validation,
    ) -> Result<Self, ParseError> {
        let raw = data.bytes();
        let endian = byte_order(raw, "BTF magic")?;
        let swap = endian != Endian::NATIVE;
        let header = parse_header(raw, swap)?;
        let data = if swap {
            Data::Owned(swap_to_native(raw, &header))
        } else {
            data
        };
        let mut btf = Self::from_native(data, &header, base, validation)?;
        btf.endian = endian;
        Ok(btf)
    }

    fn from_native(
        data: Data<'a>,
        h: &Header,
        base: Option<Arc<Btf<'a>>>,
        validation: Validation,
    ) -> Result<Self, ParseError> {
        let bytes = data.bytes();
        let total = bytes.len();
        let (type_start, type_end) = section("type", h, h.type_off, h.type_len, total)?;
        let (str_start, str_end) = section("string", h, h.str_off, h.str_len, total)?;
        if h.type_off % 4 != 0 {
            return Err(ParseError::BadHeader("type section is not 4-byte aligned"));
        }
        if type_start < str_end && str_start < type_end {
            return Err(ParseError::SectionOutOfBounds {
                section: "type",
                start: type_start as u64,
                end: type_end as u64,
                len: total,
            });
        }
        if let Some(b) = &base {
            if b.base.is_some() {
                return Err(ParseError::BadHeader(
                    "the base of split BTF must not itself be split BTF",
                ));
            }
        }
        let layout = parse_layout(
            bytes,
            h,
            total,
            (type_start, type_end),
            (str_start, str_end),
        )?;

        // Strings: base BTF starts with "" and every string is NUL-terminated.
        let strs = bytes.get(str_start..str_end).unwrap_or_default();
        if base.is_none() && strs.first().is_some_and(|&b| b != 0) {
            return Err(ParseError::BadStrings(
                "string section does not start with a NUL byte".into(),
            ));
        }
        if base.is_none() && strs.is_empty() {
            return Err(ParseError::BadStrings("string section is empty".into()));
        }
        if strs.last().is_some_and(|&b| b != 0) {
            return Err(ParseError::BadStrings(
                "string section does not end with a NUL byte".into(),
            ));
        }
        // Kernel and clang strings are ASCII: check that first (4x faster
        // than full UTF-8 validation), and validate UTF-8 only otherwise.
        // The kernel validated its own strings at boot; for those, names
        // are still checked one by one when they are turned into `&str`.
        let non_ascii = validation == Validation::Full && !strs.is_ascii();
        if non_ascii {
            if let Err(e) = std::str::from_utf8(strs) {
                return Err(ParseError::BadStrings(format!(
                    "invalid UTF-8 at string offset {}",
                    e.valid_up_to()
                )));
            }
        }
        let (start_id, start_str) = match &base {
            Some(b) => (b.type_count() + 1, b.strings_len()),
            None => (1, 0),
        };
        let str_total = u64::from(start_str) + strs.len() as u64;
        if str_total > u64::from(MAX_NAME_OFFSET) + 1 {
            return Err(ParseError::BadStrings(format!(
                "string section of {str_total} bytes exceeds BTF_MAX_NAME_OFFSET"
            )));
        }

        let scan = match validation {
            Validation::Full => scan_types::<true>,
            Validation::Trusted => scan_types::<false>,
        };
        let offsets = scan(&ScanInput {
            bytes,
            type_start,
            type_end,
            start_id,
            str_total: str_total as u32,
            strings: Strings {
                base: base.as_ref().map_or(&[][..], |b| b.own_strings()),
                own: strs,
            },
            layout: &layout,
            base: base.as_deref(),
        })?;
        if non_ascii {
            check_name_boundaries(bytes, &offsets, type_end, start_id, start_str, strs)?;
        }
        Ok(Btf {
            data,
            endian: Endian::NATIVE,
            type_start,
            type_end,
            str_start,
            str_end,
            layout,
            offsets,
            start_id,
            start_str,
            base,
            names: OnceLock::new(),
            scanned: AtomicU64::new(0),
        })
    }

    /// The raw bytes (in native byte order: a foreign-endian input has been
    /// converted).
    pub fn raw_bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The byte order of the parsed input.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The base BTF, for split BTF.
    pub fn base(&self) -> Option<&Arc<Btf<'a>>> {
        self.base.as_ref()
    }

    /// The layout section, indexed by kind, if the blob had one.
    pub fn kind_layouts(&self) -> &[KindLayout] {
        &self.layout
    }

    /// The id of this BTF's first own type: 1, or for split BTF one past the
    /// base's last.
    pub fn start_id(&self) -> TypeId {
        TypeId(self.start_id)
    }

    /// The largest valid type id (including the base's types); 0 if there
    /// are no types.
    pub fn last_id(&self) -> TypeId {
        TypeId(self.type_count())
    }

    /// The number of types, including the base's (`void` not counted).
    pub fn type_count(&self) -> u32 {
        self.start_id - 1 + self.offsets.len() as u32
    }

    /// The number of this BTF's own types (excluding a base's).
    pub fn own_type_count(&self) -> u32 {
        self.offsets.len() as u32
    }

    /// The ids of every type, base types first, ascending.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = TypeId> + ExactSizeIterator {
        (1..self.type_count() + 1).map(TypeId)
    }

    /// The ids of this BTF's own types (for split BTF, not the base's).
    pub fn own_ids(&self) -> impl DoubleEndedIterator<Item = TypeId> + ExactSizeIterator {
        (self.start_id..self.type_count() + 1).map(TypeId)
    }

    /// Total length of the string sections (base and own).
    pub fn strings_len(&self) -> u32 {
        self.start_str + (self.str_end - self.str_start) as u32
    }

    /// This BTF's own string section.
    pub fn own_strings(&self) -> &[u8] {
        self.data
            .bytes()
            .get(self.str_start..self.str_end)
            .unwrap_or_default()
    }

    /// This BTF's own type section.
    pub fn own_type_section(&self) -> &[u8] {
        self.data
            .bytes()
            .get(self.type_start..self.type_end)
            .unwrap_or_default()
    }

    pub(crate) fn strings(&self) -> Strings<'_> {
        Strings {
            base: self.base.as_ref().map_or(&[][..], |b| b.own_strings()),
            own: self.own_strings(),
        }
    }

    /// The string at offset `off` (base and own sections), or `None` if the
    /// offset is out of range.
    pub fn str_at(&self, off: StrOffset) -> Option<&str> {
        self.strings()
            .bytes(off.0)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The raw record of type `id` (12-byte header plus kind data), in
    /// native byte order.
    pub fn raw_record(&self, id: TypeId) -> Option<&[u8]> {
        if id.0 < self.start_id {
            return self.base.as_ref()?.raw_record(id);
        }
        let i = (id.0 - self.start_id) as usize;
        let start = *self.offsets.get(i)? as usize;
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.type_end, |&e| e as usize);
        self.data.bytes().get(start..end)
    }

    /// The name offset of type `id` (0 for anonymous types), without
    /// decoding it.
    pub fn name_offset(&self, id: TypeId) -> StrOffset {
        StrOffset(self.name_off(id))
    }

    /// The name offset of type `id` without decoding it.
    #[inline]
    pub(crate) fn name_off(&self, id: TypeId) -> u32 {
        if id.0 < self.start_id {
            return self.base.as_ref().map_or(0, |b| b.name_off(id));
        }
        match self.offsets.get((id.0 - self.start_id) as usize) {
            Some(&off) => rd(self.data.bytes(), off as usize),
            None => 0,
        }
    }

    /// The raw kind number of type `id` without decoding it (0 for void or a
    /// missing id).
    #[inline]
    pub fn raw_kind(&self, id: TypeId) -> u8 {
        if id.0 < self.start_id {
            return self.base.as_ref().map_or(0, |b| b.raw_kind(id));
        }
        match self.offsets.get((id.0 - self.start_id) as usize) {
            Some(&off) => ((rd(self.data.bytes(), off as usize + 4) >> 24) & 0x7f) as u8,
            None => 0,
        }
    }

    /// The kind of type `id` (`Kind::Void` for id 0; `None` if there is no
    /// such type or its kind is unknown to this crate).
    pub fn kind(&self, id: TypeId) -> Option<Kind> {
        if id == TypeId::VOID {
            return Some(Kind::Void);
        }
        if id.0 > self.type_count() {
            return None;
        }
        Kind::from_raw(self.raw_kind(id))
    }

    /// The name of type `id` (`""` for anonymous types and void), without
    /// decoding the rest of it.
    pub fn name_of(&self, id: TypeId) -> &str {
        self.strings().get(self.name_off(id))
    }

    /// Calls `f(id, name_off, info)` with the first two words of every own
    /// type's record (native byte order; `info` holds the kind in bits
    /// 24–28, `kind_flag` in bit 31, `vlen` in bits 0–15), in id order,
    /// without decoding anything; stops when `f` breaks. This is the fast
    /// path for code that indexes or scans a whole BTF (a name index, CO-RE
    /// candidate tables); use [`type_by_id`](Self::type_by_id) for
    /// anything else.
    pub fn scan_headers(
        &self,
        mut f: impl FnMut(TypeId, u32, u32) -> std::ops::ControlFlow<()>,
    ) -> std::ops::ControlFlow<()> {
        let data = self.data.bytes();
        for (i, &rec) in self.offsets.iter().enumerate() {
            let at = rec as usize;
            f(
                TypeId(self.start_id + i as u32),
                rd(data, at),
                rd(data, at + 4),
            )?;
        }
        std::ops::ControlFlow::Continue(())
    }

    /// Decodes type `id`. Id 0 is [`Type::Void`]; `None` if there is no such
    /// type.
    pub fn type_by_id(&self, id: TypeId) -> Option<Type<'_>> {
        if id == TypeId::VOID {
            return Some(Type::Void);
        }
        if id.0 < self.start_id {
            return self.base.as_ref()?.type_by_id(id);
        }
        let rec = self.raw_record(id)?;
        Some(decode(rec, self.strings()))
    }

    /// Iterates over `(id, type)` for every type, base types first.
    pub fn types(&self) -> impl Iterator<Item = (TypeId, Type<'_>)> + '_ {
        self.ids()
            .filter_map(move |id| self.type_by_id(id).map(|t| (id, t)))
    }
}

fn parse_layout(
    bytes: &[u8],
    h: &Header,
    total: usize,
    types: (usize, usize),
    strs: (usize, usize),
) -> Result<Vec<KindLayout>, ParseError> {
    if h.layout_len == 0 {
        return Ok(Vec::new());
    }
    let (start, end) = section("layout", h, h.layout_off, h.layout_len, total)?;
    let overlaps = |(s, e): (usize, usize)| start < e && s < end;
    if overlaps(types) || overlaps(strs) {
        return Err(ParseError::SectionOutOfBounds {
            section: "layout",
            start: start as u64,
            end: end as u64,
            len: total,
        });
    }
    if h.layout_len % 4 != 0 {
        return Err(ParseError::BadHeader(
            "layout section length is not a multiple of 4",
        ));
    }
    Ok(bytes
        .get(start..end)
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|e| match *e {
            [info_size, elem_size, f0, f1] => KindLayout {
                info_size,
                elem_size,
                flags: u16::from_ne_bytes([f0, f1]),
            },
            _ => KindLayout::default(),
        })
        .collect())
}

/// What [`scan_types`] walks: the blob, where its type section is, and
/// what its references may point at.
#[derive(Copy, Clone)]
struct ScanInput<'s> {
    bytes: &'s [u8],
    type_start: usize,
    type_end: usize,
    /// The id of the first type in the section.
    start_id: u32,
    /// Length of the base's and this blob's string sections together.
    str_total: u32,
    strings: Strings<'s>,
    layout: &'s [KindLayout],
    base: Option<&'s Btf<'s>>,
}

/// Walks the type section once: records each type's offset and validates it.
///
/// References to other types and to strings are range-checked with a
/// branch-free running maximum; only if that maximum is out of range is the
/// section walked again to report the first offending type precisely.
fn scan_types<const ELEMENTS: bool>(input: &ScanInput<'_>) -> Result<Vec<u32>, ParseError> {
    let ScanInput {
        bytes,
        type_start,
        type_end,
        start_id,
        str_total,
        strings,
        layout,
        base,
    } = *input;
    let sec = bytes.get(type_start..type_end).unwrap_or_default();
    // VAR, DATASEC and DECL_TAG need a non-empty name, as the kernel
    // requires: not offset 0, and not an offset whose name decodes as ""
    // (an empty string, or one starting inside a multi-byte character),
    // which the writer would turn into offset 0. An out-of-range offset is
    // reported by the range check after the loop.
    let unnamed =
        |off: u32| off == 0 || (strings.bytes(off).is_some() && strings.get(off).is_empty());
    // A rough guess (vmlinux averages ~28 bytes per type) to avoid most
    // reallocations without over-reserving.
    let mut offsets = Vec::with_capacity(sec.len() / 24 + 1);
    let mut max_ref = 0u32;
    let mut max_name = 0u32;
    let mut datasecs = Vec::new();
    let mut funcs_ok = true;
    let mut pos = 0usize;
    let mut id = start_id;
    while pos < sec.len() {
        let at = type_start + pos;
        if id > MAX_TYPE {
            return Err(ParseError::TooManyTypes(MAX_TYPE));
        }
        let Some(hdr) = sec.get(pos..pos + 12) else {
            return Err(truncated(at, 12, sec.len() - pos, "type header"));
        };
        let name_off = rd(hdr, 0);
        let info = rd(hdr, 4);
        let size_or_type = rd(hdr, 8);
        let kind = ((info >> 24) & 0x7f) as u8;
        let vlen = (info & 0x00ff_ffff) as usize;
        max_name = max_name.max(name_off);

        let (fixed, elem) = match known_layout(kind) {
            Some(l) => l,
            None => match layout.get(kind as usize) {
                Some(l) if kind != 0 => (l.info_size as usize, l.elem_size as usize),
                _ if kind == 0 => return Err(bad_type(id, at, "kind 0 (UNKN) is invalid")),
                _ => {
                    return Err(ParseError::UnknownKind {
                        id: TypeId(id),
                        offset: Offset(at),
                        kind,
                    })
                }
            },
        };
        let len = 12 + fixed + vlen * elem;
        let Some(body) = sec.get(pos + 12..pos + len) else {
            return Err(truncated(
                at,
                len,
                sec.len() - pos,
                Kind::from_raw(kind).map_or("type record", |k| k.name()),
            ));
        };
        let no_vlen = |what: &str| -> Result<(), ParseError> {
            if vlen != 0 {
                return Err(bad_type(
                    id,
                    at,
                    format!("{what} with non-zero vlen {vlen}"),
                ));
            }
            Ok(())
        };
        match kind {
            1 => {
                no_vlen("INT")?;
                let v = rd(body, 0);
                let enc = (v >> 24) & 0x0f;
                let off = (v >> 16) & 0xff;
                let bits = v & 0xff;
                if v & 0xf000_ff00 != 0 {
                    return Err(bad_type(
                        id,
                        at,
                        format!("INT data {v:#x} has unused bits set"),
                    ));
                }
                if !matches!(size_or_type, 1 | 2 | 4 | 8 | 16) {
                    return Err(bad_type(
                        id,
                        at,
                        format!("INT size {size_or_type} is not 1, 2, 4, 8 or 16"),
                    ));
                }
                if bits == 0 || bits > 128 || off + bits > size_or_type * 8 {
                    return Err(bad_type(
                        id,
                        at,
                        format!("INT with {bits} bits at bit offset {off} does not fit {size_or_type} bytes"),
                    ));
                }
                if IntEncoding::from_raw(enc).is_none() {
                    return Err(bad_type(
                        id,
                        at,
                        format!("INT encoding {enc:#x} is invalid"),
                    ));
                }
            }
            2 | 8..=11 | 18 => {
                no_vlen(Kind::from_raw(kind).map_or("", |k| k.name()))?;
                max_ref = max_ref.max(size_or_type);
            }
            3 => {
                no_vlen("ARRAY")?;
                max_ref = max_ref.max(rd(body, 0)).max(rd(body, 4));
            }
            4 | 5 if ELEMENTS => {
                for m in body.chunks_exact(12) {
                    max_name = max_name.max(rd(m, 0));
                    max_ref = max_ref.max(rd(m, 4));
                }
            }
            6 => {
                if !matches!(size_or_type, 1 | 2 | 4 | 8) {
                    return Err(bad_type(
                        id,
                        at,
                        format!("ENUM size {size_or_type} is not 1, 2, 4 or 8"),
                    ));
                }
                for v in body.chunks_exact(8) {
                    max_name = max_name.max(rd(v, 0));
                }
            }
            7 => no_vlen("FWD")?,
            12 => {
                if vlen > 2 {
                    return Err(bad_type(id, at, format!("FUNC linkage {vlen} is invalid")));
                }
                max_ref = max_ref.max(size_or_type);
                funcs_ok &= size_or_type != 0;
            }
            13 => {
                max_ref = max_ref.max(size_or_type);
                if ELEMENTS {
                    for p in body.chunks_exact(8) {
                        max_name = max_name.max(rd(p, 0));
                        max_ref = max_ref.max(rd(p, 4));
                    }
                }
            }
            14 => {
                no_vlen("VAR")?;
                let linkage = rd(body, 0);
                if linkage > 2 {
                    return Err(bad_type(
                        id,
                        at,
                        format!("VAR linkage {linkage} is invalid"),
                    ));
                }
                if unnamed(name_off) {
                    return Err(bad_type(id, at, "VAR without a name"));
                }
                max_ref = max_ref.max(size_or_type);
            }
            15 => {
                if unnamed(name_off) {
                    return Err(bad_type(id, at, "DATASEC without a name"));
                }
                for v in body.chunks_exact(12) {
                    let (off, size) = (rd(v, 4), rd(v, 8));
                    if off.checked_add(size).is_none() {
                        return Err(bad_type(
                            id,
                            at,
                            format!("DATASEC variable at offset {off} with size {size} overflows"),
                        ));
                    }
                }
                datasecs.push(id);
            }
            16 => {
                no_vlen("FLOAT")?;
                if !matches!(size_or_type, 2 | 4 | 8 | 12 | 16) {
                    return Err(bad_type(
                        id,
                        at,
                        format!("FLOAT size {size_or_type} is not 2, 4, 8, 12 or 16"),
                    ));
                }
            }
            17 => {
                no_vlen("DECL_TAG")?;
                let idx = rd(body, 0) as i32;
                if idx < -1 {
                    return Err(bad_type(
                        id,
                        at,
                        format!("DECL_TAG component_idx {idx} is invalid"),
                    ));
                }
                if unnamed(name_off) {
                    return Err(bad_type(id, at, "DECL_TAG without a name"));
                }
                max_ref = max_ref.max(size_or_type);
            }
            19 => {
                if !matches!(size_or_type, 1 | 2 | 4 | 8) {
                    return Err(bad_type(
                        id,
                        at,
                        format!("ENUM64 size {size_or_type} is not 1, 2, 4 or 8"),
                    ));
                }
                if ELEMENTS {
                    for v in body.chunks_exact(12) {
                        max_name = max_name.max(rd(v, 0));
                    }
                }
            }
            _ => {} // STRUCT/UNION when trusted, or an unknown kind stepped over with the layout section
        }
        offsets.push(at as u32);
        pos += len;
        id += 1;
    }
    let last_id = id - 1;
    if max_ref > last_id || max_name >= str_total || !funcs_ok {
        return Err(find_bad_reference(
            bytes, &offsets, type_end, start_id, last_id, str_total,
        ));
    }
    // A DATASEC lists VARs (or, for `.ksyms`, FUNCs).
    for &ds in &datasecs {
        let at = offsets
            .get((ds - start_id) as usize)
            .map_or(0, |&o| o as usize);
        let vlen = (rd(bytes, at + 4) & 0x00ff_ffff) as usize;
        for i in 0..vlen {
            let target = rd(bytes, at + 12 + i * 12);
            let k = if target < start_id {
                base.map_or(0, |b| b.raw_kind(TypeId(target)))
            } else {
                offsets
                    .get((target - start_id) as usize)
                    .map_or(0, |&o| ((rd(bytes, o as usize + 4) >> 24) & 0x7f) as u8)
            };
            if k != Kind::Var as u8 && k != Kind::Func as u8 {
                return Err(bad_type(
                    ds,
                    at,
                    format!(
                        "DATASEC entry {i} refers to type [{target}], which is not a VAR or FUNC"
                    ),
                ));
            }
        }
    }
    Ok(offsets)
}

/// In a string section with multi-byte UTF-8, a name offset could point
/// into the middle of a character: reject that (every name must start at a
/// character boundary) rather than decode it as `""`. Only run for
/// non-ASCII sections, which no kernel or clang BTF has.
fn check_name_boundaries(
    bytes: &[u8],
    offsets: &[u32],
    type_end: usize,
    start_id: u32,
    start_str: u32,
    strs: &[u8],
) -> Result<(), ParseError> {
    for (i, &off) in offsets.iter().enumerate() {
        let at = off as usize;
        let end = offsets.get(i + 1).map_or(type_end, |&e| e as usize);
        let rec = bytes.get(at..end).unwrap_or_default();
        for n in decode_refs(rec).names {
            let Some(local) = n.checked_sub(start_str) else {
                continue; // in the base, which was checked on its own
            };
            if strs
                .get(local as usize)
                .is_some_and(|&b| (0x80..0xc0).contains(&b))
            {
                return Err(bad_type(
                    start_id + i as u32,
                    at,
                    format!("name offset {n} points into the middle of a UTF-8 character"),
                ));
            }
        }
    }
    Ok(())
}

/// The slow path of [`scan_types`]: find the first type whose reference or
/// name is out of range.
fn find_bad_reference(
    bytes: &[u8],
    offsets: &[u32],
    type_end: usize,
    start_id: u32,
    last_id: u32,
    str_total: u32,
) -> ParseError {
    for (i, &off) in offsets.iter().enumerate() {
        let id = start_id + i as u32;
        let at = off as usize;
        let end = offsets.get(i + 1).map_or(type_end, |&e| e as usize);
        let rec = bytes.get(at..end).unwrap_or_default();
        let t = decode_refs(rec);
        for (what, r) in t.refs {
            if r > last_id {
                return bad_type(
                    id,
                    at,
                    format!("{what} refers to type [{r}], beyond the last type [{last_id}]"),
                );
            }
        }
        for n in t.names {
            if n >= str_total {
                return bad_type(
                    id,
                    at,
                    format!("name offset {n} is beyond the {str_total}-byte string section"),
                );
            }
        }
        if t.func_to_void {
            return bad_type(id, at, "FUNC refers to void instead of a FUNC_PROTO");
        }
    }
    ParseError::BadHeader("invalid reference (not located)")
}

struct Refs {
    refs: Vec<(&'static str, u32)>,
    names: Vec<u32>,
    func_to_void: bool,
}

fn decode_refs(rec: &[u8]) -> Refs {
    let info = rd(rec, 4);
    let kind = ((info >> 24) & 0x7f) as u8;
    let st = rd(rec, 8);
    let body = rec.get(12..).unwrap_or_default();
    let mut r = Refs {
        refs: Vec::new(),
        names: vec![rd(rec, 0)],
        func_to_void: false,
    };
    match kind {
        2 | 8..=11 | 14 | 17 | 18 => r.refs.push(("type", st)),
        12 => {
            r.refs.push(("FUNC prototype", st));
            r.func_to_void = st == 0;
        }
        3 => {
            r.refs.push(("array element", rd(body, 0)));
            r.refs.push(("array index", rd(body, 4)));
        }
        4 | 5 => {
            for m in body.chunks_exact(12) {
                r.names.push(rd(m, 0));
                r.refs.push(("member", rd(m, 4)));
            }
        }
        6 => r.names.extend(body.chunks_exact(8).map(|v| rd(v, 0))),
        19 => r.names.extend(body.chunks_exact(12).map(|v| rd(v, 0))),
        13 => {
            r.refs.push(("return type", st));
            for p in body.chunks_exact(8) {
                r.names.push(rd(p, 0));
                r.refs.push(("parameter", rd(p, 4)));
            }
        }
        _ => {}
    }
    r
}

/// Decodes a validated, native-endian record.
pub(crate) fn decode<'s>(rec: &'s [u8], strings: Strings<'s>) -> Type<'s> {
    let name_off = rd(rec, 0);
    let info = rd(rec, 4);
    let st = rd(rec, 8);
    let kind = ((info >> 24) & 0x7f) as u8;
    let kind_flag = info >> 31 != 0;
    let vlen = info & 0x00ff_ffff;
    let body = rec.get(12..).unwrap_or_default();
    let name = strings.get(name_off);
    let r = |target| Ref {
        name,
        target: TypeId(target),
        kind_flag,
    };
    match Kind::from_raw(kind) {
        Some(Kind::Int) => {
            let v = rd(body, 0);
            Type::Int(Int {
                name,
                size: st,
                encoding: IntEncoding::from_raw((v >> 24) & 0x0f).unwrap_or(IntEncoding::Unsigned),
                bit_offset: (v >> 16) as u8,
                bits: v as u8,
            })
        }
        Some(Kind::Ptr) => Type::Ptr(r(st)),
        Some(Kind::Array) => Type::Array(Array {
            elem: TypeId(rd(body, 0)),
            index: TypeId(rd(body, 4)),
            len: rd(body, 8),
            _p: std::marker::PhantomData,
        }),
        Some(k @ (Kind::Struct | Kind::Union)) => {
            let c = Composite {
                name,
                size: st,
                kind_flag,
                members: body,
                strings,
            };
            if k == Kind::Struct {
                Type::Struct(c)
            } else {
                Type::Union(c)
            }
        }
        Some(k @ (Kind::Enum | Kind::Enum64)) => Type::Enum64(Enum {
            name,
            size: st,
            signed: kind_flag,
            is_64: k == Kind::Enum64,
            values: body,
            strings,
        })
        .fix_enum(),
        Some(Kind::Fwd) => Type::Fwd(Fwd {
            name,
            is_union: kind_flag,
        }),
        Some(Kind::Typedef) => Type::Typedef(r(st)),
        Some(Kind::Volatile) => Type::Volatile(r(st)),
        Some(Kind::Const) => Type::Const(r(st)),
        Some(Kind::Restrict) => Type::Restrict(r(st)),
        Some(Kind::TypeTag) => Type::TypeTag(r(st)),
        Some(Kind::Func) => Type::Func(Func {
            name,
            proto: TypeId(st),
            linkage: Linkage::from_raw(vlen),
            raw_linkage: vlen,
        }),
        Some(Kind::FuncProto) => Type::FuncProto(FuncProto {
            ret: TypeId(st),
            params: body,
            strings,
        }),
        Some(Kind::Var) => {
            let l = rd(body, 0);
            Type::Var(Var {
                name,
                ty: TypeId(st),
                linkage: Linkage::from_raw(l),
                raw_linkage: l,
            })
        }
        Some(Kind::Datasec) => Type::Datasec(Datasec {
            name,
            size: st,
            vars: body,
        }),
        Some(Kind::Float) => Type::Float(Float { name, size: st }),
        Some(Kind::DeclTag) => Type::DeclTag(DeclTag {
            name,
            target: TypeId(st),
            component_idx: rd(body, 0) as i32,
            kind_flag,
        }),
        Some(Kind::Void) | None => Type::Unknown(Unknown {
            name,
            kind,
            record: rec,
        }),
    }
}

impl<'s> Type<'s> {
    /// `decode` builds both enum kinds as `Enum64`; turn 32-bit ones back.
    fn fix_enum(self) -> Self {
        match self {
            Type::Enum64(e) if !e.is_64 => Type::Enum(e),
            t => t,
        }
    }
}

impl Btf<'_> {
    pub(crate) fn offsets_capacity(&self) -> usize {
        self.offsets.capacity()
    }
}
