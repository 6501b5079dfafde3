//! `.BTF.ext`: per-section function info, line info and CO-RE relocations.
//!
//! Layout (include/uapi/linux/btf.h is silent on it; this follows libbpf's
//! `btf_ext_parse` at libbpf v1.1): a header with the magic, version, flags,
//! `hdr_len` and (offset, length) pairs for the func_info, line_info and —
//! if `hdr_len` ≥ 32 — core_relo sections. Each section starts with a
//! `u32` record size, followed by per-ELF-section blocks of
//! `{ sec_name_off, num_info, records[num_info] }`. Records larger than this
//! crate knows are read by their known prefix and stepped over by the
//! declared size, so newer producers do not break us.

use crate::btf::BTF_MAGIC;
use crate::error::{Offset, ParseError};
use crate::{Btf, Endian, StrOffset, TypeId};

const EXT_HEADER_MIN: usize = 24;
const EXT_HEADER_CORE: usize = 32;
/// Size of `struct bpf_func_info`.
pub const FUNC_INFO_SIZE: u32 = 8;
/// Size of `struct bpf_line_info`.
pub const LINE_INFO_SIZE: u32 = 16;
/// Size of `struct bpf_core_relo`.
pub const CORE_RELO_SIZE: u32 = 16;

/// `struct bpf_func_info`: which BTF `FUNC` describes the function starting
/// at an instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function's first instruction in its ELF section
    /// (divide by 8 for an instruction index).
    pub insn_off: u32,
    /// The `FUNC` type.
    pub type_id: TypeId,
}

/// `struct bpf_line_info`: the source line of an instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// The source file name (in the `.BTF` strings).
    pub file_name_off: StrOffset,
    /// The source line's text (in the `.BTF` strings).
    pub line_off: StrOffset,
    /// Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

impl LineInfo {
    /// The line number.
    pub fn line(&self) -> u32 {
        self.line_col >> 10
    }

    /// The column.
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// `struct bpf_core_relo`: one CO-RE relocation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction to patch in its ELF section.
    pub insn_off: u32,
    /// The local (program-side) root type.
    pub type_id: TypeId,
    /// The access string, such as `"0:1:2"` (in the `.BTF` strings).
    pub access_str_off: StrOffset,
    /// The relocation kind (`enum bpf_core_relo_kind`), raw.
    pub kind: u32,
}

/// The records of one kind for one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoSection<T> {
    /// The ELF section's name (in the `.BTF` strings).
    pub sec_name_off: StrOffset,
    /// The records, in file order.
    pub records: Vec<T>,
}

impl<T> InfoSection<T> {
    /// The section name, resolved against the object's BTF.
    pub fn sec_name<'b>(&self, btf: &'b Btf<'_>) -> Option<&'b str> {
        btf.str_at(self.sec_name_off)
    }
}

/// Parsed `.BTF.ext`.
///
/// ```
/// use oxbpf_btf::ext::{BtfExt, FuncInfo, InfoSection};
/// use oxbpf_btf::{StrOffset, TypeId};
/// let mut ext = BtfExt::default();
/// ext.func_info.push(InfoSection {
///     sec_name_off: StrOffset(1),
///     records: vec![FuncInfo { insn_off: 0, type_id: TypeId(3) }],
/// });
/// let bytes = ext.to_bytes();
/// assert_eq!(BtfExt::parse(&bytes)?, ext);
/// # Ok::<(), oxbpf_btf::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfExt {
    /// func_info, per ELF section.
    pub func_info: Vec<InfoSection<FuncInfo>>,
    /// line_info, per ELF section.
    pub line_info: Vec<InfoSection<LineInfo>>,
    /// CO-RE relocations, per ELF section.
    pub core_relos: Vec<InfoSection<CoreRelo>>,
    /// The byte order of the parsed input (native for a new one).
    pub endian: Endian,
}

impl Default for BtfExt {
    fn default() -> Self {
        BtfExt {
            func_info: Vec::new(),
            line_info: Vec::new(),
            core_relos: Vec::new(),
            endian: Endian::NATIVE,
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    swap: bool,
}

impl Reader<'_> {
    fn u32(&self, at: usize) -> Option<u32> {
        match self.data.get(at..at.checked_add(4)?) {
            Some(&[a, b, c, d]) => {
                let v = u32::from_ne_bytes([a, b, c, d]);
                Some(if self.swap { v.swap_bytes() } else { v })
            }
            _ => None,
        }
    }
}

fn bad(section: &'static str, offset: usize, reason: impl Into<String>) -> ParseError {
    ParseError::BadExt {
        section,
        offset: Offset(offset),
        reason: reason.into(),
    }
}

fn parse_section<T>(
    r: &Reader<'_>,
    name: &'static str,
    start: usize,
    len: usize,
    min_rec: u32,
    decode: impl Fn(&Reader<'_>, usize) -> Option<T>,
) -> Result<Vec<InfoSection<T>>, ParseError> {
    let mut out = Vec::new();
    if len == 0 {
        return Ok(out);
    }
    let end = start + len;
    if len < 4 {
        return Err(bad(
            name,
            start,
            "section shorter than its record size field",
        ));
    }
    let rec_size = r.u32(start).ok_or_else(|| bad(name, start, "truncated"))?;
    if rec_size < min_rec || rec_size % 4 != 0 {
        return Err(bad(
            name,
            start,
            format!("record size {rec_size} is smaller than {min_rec} or not a multiple of 4"),
        ));
    }
    let mut pos = start + 4;
    while pos < end {
        let (Some(sec_name_off), Some(num)) = (r.u32(pos), r.u32(pos + 4)) else {
            return Err(bad(name, pos, "truncated section header"));
        };
        if pos + 8 > end {
            return Err(bad(name, pos, "truncated section header"));
        }
        if num == 0 {
            return Err(bad(name, pos, "section with no records"));
        }
        let bytes = u64::from(num) * u64::from(rec_size);
        let data_start = pos + 8;
        if (data_start as u64) + bytes > end as u64 {
            return Err(bad(
                name,
                pos,
                format!("{num} records of {rec_size} bytes run past the end of the section"),
            ));
        }
        let mut records = Vec::with_capacity(num as usize);
        for i in 0..num as usize {
            let at = data_start + i * rec_size as usize;
            records.push(decode(r, at).ok_or_else(|| bad(name, at, "truncated record"))?);
        }
        out.push(InfoSection {
            sec_name_off: StrOffset(sec_name_off),
            records,
        });
        pos = data_start + bytes as usize;
    }
    Ok(out)
}

impl BtfExt {
    /// Parses `.BTF.ext` bytes of either byte order.
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let endian = crate::btf::byte_order(data, ".BTF.ext magic")?;
        let swap = endian != Endian::NATIVE;
        let r = Reader { data, swap };
        let version = data.get(2).copied().unwrap_or(0);
        if version != 1 {
            return Err(ParseError::BadVersion(version));
        }
        if data.get(3).copied().unwrap_or(0) != 0 {
            return Err(ParseError::BadHeader(".BTF.ext flags must be 0"));
        }
        let hdr_len = r.u32(4).unwrap_or(0) as usize;
        if data.len() < EXT_HEADER_MIN || hdr_len < EXT_HEADER_MIN {
            return Err(ParseError::Truncated {
                offset: Offset(0),
                need: EXT_HEADER_MIN,
                have: data.len().min(hdr_len),
                what: ".BTF.ext header",
            });
        }
        if hdr_len > data.len() {
            return Err(ParseError::BadHeader(".BTF.ext hdr_len exceeds the data"));
        }
        let field = |at: usize| r.u32(at).unwrap_or(0);
        let sec = |name: &'static str, off: u32, len: u32| -> Result<(usize, usize), ParseError> {
            let start = hdr_len as u64 + u64::from(off);
            let end = start + u64::from(len);
            if end > data.len() as u64 {
                return Err(ParseError::SectionOutOfBounds {
                    section: name,
                    start,
                    end,
                    len: data.len(),
                });
            }
            if len > 0 && start % 4 != 0 {
                return Err(bad(name, start as usize, "section is not 4-byte aligned"));
            }
            Ok((start as usize, len as usize))
        };
        let (fs, fl) = sec("func_info", field(8), field(12))?;
        let (ls, ll) = sec("line_info", field(16), field(20))?;
        let (cs, cl) = if hdr_len >= EXT_HEADER_CORE {
            sec("core_relo", field(24), field(28))?
        } else {
            (0, 0)
        };
        let func_info = parse_section(&r, "func_info", fs, fl, FUNC_INFO_SIZE, |r, at| {
            Some(FuncInfo {
                insn_off: r.u32(at)?,
                type_id: TypeId(r.u32(at + 4)?),
            })
        })?;
        let line_info = parse_section(&r, "line_info", ls, ll, LINE_INFO_SIZE, |r, at| {
            Some(LineInfo {
                insn_off: r.u32(at)?,
                file_name_off: StrOffset(r.u32(at + 4)?),
                line_off: StrOffset(r.u32(at + 8)?),
                line_col: r.u32(at + 12)?,
            })
        })?;
        let core_relos = parse_section(&r, "core_relo", cs, cl, CORE_RELO_SIZE, |r, at| {
            Some(CoreRelo {
                insn_off: r.u32(at)?,
                type_id: TypeId(r.u32(at + 4)?),
                access_str_off: StrOffset(r.u32(at + 8)?),
                kind: r.u32(at + 12)?,
            })
        })?;
        Ok(BtfExt {
            func_info,
            line_info,
            core_relos,
            endian,
        })
    }

    /// Serialises in native byte order with this crate's record sizes
    /// (8, 16 and 16 bytes) and a 32-byte header.
    pub fn to_bytes(&self) -> Vec<u8> {
        fn section<T>(
            out: &mut Vec<u8>,
            secs: &[InfoSection<T>],
            rec_size: u32,
            enc: impl Fn(&T) -> Vec<u32>,
        ) {
            if secs.is_empty() {
                return;
            }
            out.extend_from_slice(&rec_size.to_ne_bytes());
            for s in secs {
                out.extend_from_slice(&s.sec_name_off.0.to_ne_bytes());
                out.extend_from_slice(&(s.records.len() as u32).to_ne_bytes());
                for r in &s.records {
                    for w in enc(r) {
                        out.extend_from_slice(&w.to_ne_bytes());
                    }
                }
            }
        }
        let mut func = Vec::new();
        section(&mut func, &self.func_info, FUNC_INFO_SIZE, |r| {
            vec![r.insn_off, r.type_id.0]
        });
        let mut line = Vec::new();
        section(&mut line, &self.line_info, LINE_INFO_SIZE, |r| {
            vec![r.insn_off, r.file_name_off.0, r.line_off.0, r.line_col]
        });
        let mut core = Vec::new();
        section(&mut core, &self.core_relos, CORE_RELO_SIZE, |r| {
            vec![r.insn_off, r.type_id.0, r.access_str_off.0, r.kind]
        });
        let mut out = Vec::with_capacity(EXT_HEADER_CORE + func.len() + line.len() + core.len());
        out.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
        out.push(1);
        out.push(0);
        let fields = [
            EXT_HEADER_CORE as u32,
            0,
            func.len() as u32,
            func.len() as u32,
            line.len() as u32,
            (func.len() + line.len()) as u32,
            core.len() as u32,
        ];
        for f in fields {
            out.extend_from_slice(&f.to_ne_bytes());
        }
        out.extend_from_slice(&func);
        out.extend_from_slice(&line);
        out.extend_from_slice(&core);
        out
    }
}
