//! USDT probes (SystemTap SDT, `<sys/sdt.h>`): libbpf's `usdt.c`.
//!
//! A binary's `.note.stapsdt` notes give, per probe site, its address,
//! an optional semaphore and its arguments as assembler operands
//! (`-4@%eax 8@-16(%rbp) 4@$5`). Attaching a `SEC("usdt")` program puts a
//! uprobe on every site of `provider:name` with the site's *spec id* as
//! BPF cookie, after storing the spec (how to fetch each argument from
//! `pt_regs`) in the object's `__bpf_usdt_specs` map, the one libbpf's
//! `usdt.bpf.h` reads in `bpf_usdt_arg()`. A semaphore is the uprobe's
//! reference counter: the kernel increments it while the probe is
//! attached, so guarded probes (`if (PROBE_ENABLED())`) start firing.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use object::{Object, ObjectSection, ObjectSegment};

use super::uprobe::{resolve_binary, UprobeOptions};
use super::{AttachError, LegacyAttachment, Link, UprobeLocation, UprobeMultiOptions};
use crate::Program;
use oxbpf_maps::{Map, UpdateFlags};
use oxbpf_sys::AttachType;

/// `BPF_USDT_MAX_ARG_CNT` of `usdt.bpf.h`.
pub const USDT_MAX_ARGS: usize = 12;
/// Size of `struct __bpf_usdt_arg_spec`.
const ARG_SPEC_SIZE: usize = 16;
/// Size of `struct __bpf_usdt_spec` (12 args, the cookie, the count).
const SPEC_SIZE: usize = USDT_MAX_ARGS * ARG_SPEC_SIZE + 8 + 8;

/// One probe site of a binary's `.note.stapsdt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsdtNote {
    /// The provider (`PROVIDER` of `DTRACE_PROBE(PROVIDER, NAME)`).
    pub provider: String,
    /// The probe's name.
    pub name: String,
    /// Its arguments as assembler operands, space-separated.
    pub args: String,
    /// The site's virtual address in the binary (prelink-adjusted).
    pub address: u64,
    /// The site's file offset: where the uprobe goes.
    pub offset: u64,
    /// The semaphore's file offset (`0`: the probe has none).
    pub semaphore_offset: u64,
}

/// How `bpf_usdt_arg()` fetches one argument (libbpf's
/// `enum __bpf_usdt_arg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsdtArgLocation {
    /// A constant (`$5`).
    Const(i64),
    /// A register (`%rax`), by its offset in `struct pt_regs`.
    Reg {
        /// `offsetof(struct pt_regs, reg)`
        reg_off: u16,
    },
    /// Memory at a register plus an offset (`-16(%rbp)`).
    RegDeref {
        /// `offsetof(struct pt_regs, reg)`
        reg_off: u16,
        /// The displacement.
        offset: i64,
    },
}

/// One parsed USDT argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsdtArg {
    /// Where it is.
    pub location: UsdtArgLocation,
    /// Its size in bytes (1, 2, 4 or 8).
    pub size: u8,
    /// Whether it is signed (a negative size in the note).
    pub signed: bool,
}

/// `offsetof(struct pt_regs, REG)` on x86-64 for the register names
/// `<sys/sdt.h>` operands use, sub-registers included (libbpf's
/// `calc_pt_regs_off`).
fn x86_64_reg_off(name: &str) -> Option<u16> {
    const REGS: &[(u16, &[&str])] = &[
        (128, &["rip", "eip"]),
        (80, &["rax", "eax", "ax", "al"]),
        (40, &["rbx", "ebx", "bx", "bl"]),
        (88, &["rcx", "ecx", "cx", "cl"]),
        (96, &["rdx", "edx", "dx", "dl"]),
        (104, &["rsi", "esi", "si", "sil"]),
        (112, &["rdi", "edi", "di", "dil"]),
        (32, &["rbp", "ebp", "bp", "bpl"]),
        (152, &["rsp", "esp", "sp", "spl"]),
        (72, &["r8", "r8d", "r8w", "r8b"]),
        (64, &["r9", "r9d", "r9w", "r9b"]),
        (56, &["r10", "r10d", "r10w", "r10b"]),
        (48, &["r11", "r11d", "r11w", "r11b"]),
        (24, &["r12", "r12d", "r12w", "r12b"]),
        (16, &["r13", "r13d", "r13w", "r13b"]),
        (8, &["r14", "r14d", "r14w", "r14b"]),
        (0, &["r15", "r15d", "r15w", "r15b"]),
    ];
    REGS.iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(off, _)| *off)
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some(if neg { v.checked_neg()? } else { v })
}

/// Parses one x86-64 argument operand, `SIZE@OPERAND` (libbpf's
/// `parse_usdt_arg`): `8@%rax`, `-4@$5`, `4@-16(%rbp)`, `8@(%rdi)`.
pub fn parse_usdt_arg(arg: &str) -> Result<UsdtArg, String> {
    let bad = |why: &str| format!("USDT argument `{arg}`: {why}");
    let (size, operand) = arg.split_once('@').ok_or_else(|| bad("no SIZE@"))?;
    let size = parse_int(size.trim()).ok_or_else(|| bad("bad size"))?;
    let (signed, size) = (size < 0, size.unsigned_abs());
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(bad(&format!("size {size} is not 1, 2, 4 or 8")));
    }
    let operand = operand.trim();
    let reg = |name: &str| {
        let name = name
            .strip_prefix('%')
            .ok_or_else(|| bad("a register is written %NAME"))?;
        x86_64_reg_off(name).ok_or_else(|| bad(&format!("unknown register `{name}`")))
    };
    let location = if let Some(c) = operand.strip_prefix('$') {
        UsdtArgLocation::Const(parse_int(c).ok_or_else(|| bad("bad constant"))?)
    } else if operand.starts_with('%') {
        UsdtArgLocation::Reg {
            reg_off: reg(operand)?,
        }
    } else if let Some((disp, rest)) = operand.split_once('(') {
        let inner = rest
            .strip_suffix(')')
            .ok_or_else(|| bad("unbalanced `(`"))?;
        if inner.contains(',') {
            return Err(bad(
                "scaled-index operands (base, index, scale) are not supported",
            ));
        }
        let offset = if disp.is_empty() {
            0
        } else {
            parse_int(disp).ok_or_else(|| bad("bad displacement"))?
        };
        UsdtArgLocation::RegDeref {
            reg_off: reg(inner)?,
            offset,
        }
    } else {
        return Err(bad("unrecognised operand"));
    };
    Ok(UsdtArg {
        location,
        size: size as u8,
        signed,
    })
}

/// Parses a note's whole argument string (space-separated operands).
pub fn parse_usdt_args(args: &str) -> Result<Vec<UsdtArg>, String> {
    let out = args
        .split_whitespace()
        .map(parse_usdt_arg)
        .collect::<Result<Vec<_>, _>>()?;
    if out.len() > USDT_MAX_ARGS {
        return Err(format!(
            "USDT arguments `{args}`: {} arguments, at most {USDT_MAX_ARGS} are supported",
            out.len()
        ));
    }
    Ok(out)
}

/// The `struct __bpf_usdt_spec` value `usdt.bpf.h` reads: the arguments,
/// the user's cookie, the argument count.
fn encode_spec(args: &[UsdtArg], cookie: u64) -> Vec<u8> {
    let mut v = vec![0u8; SPEC_SIZE];
    for (i, a) in args.iter().enumerate() {
        let (ty, val, reg): (u32, u64, u16) = match a.location {
            UsdtArgLocation::Const(c) => (0, c as u64, 0),
            UsdtArgLocation::Reg { reg_off } => (1, 0, reg_off),
            UsdtArgLocation::RegDeref { reg_off, offset } => (2, offset as u64, reg_off),
        };
        let base = i * ARG_SPEC_SIZE;
        v[base..base + 8].copy_from_slice(&val.to_ne_bytes());
        v[base + 8..base + 12].copy_from_slice(&ty.to_ne_bytes());
        v[base + 12..base + 14].copy_from_slice(&reg.to_ne_bytes());
        v[base + 14] = u8::from(a.signed);
        v[base + 15] = 64 - a.size * 8;
    }
    let tail = USDT_MAX_ARGS * ARG_SPEC_SIZE;
    v[tail..tail + 8].copy_from_slice(&cookie.to_ne_bytes());
    v[tail + 8..tail + 10].copy_from_slice(&(args.len() as u16).to_ne_bytes());
    v
}

/// Every USDT probe site of the ELF file at `path` (its `.note.stapsdt`
/// notes), with file offsets computed from the program headers as
/// libbpf's `collect_usdt_targets` does.
pub fn usdt_notes(path: impl AsRef<Path>) -> Result<Vec<UsdtNote>, AttachError> {
    let path = path.as_ref();
    let data = std::fs::read(path).map_err(|source| AttachError::Io {
        what: format!("reading {}", path.display()),
        source,
    })?;
    usdt_notes_from_bytes(&data).map_err(|reason| AttachError::Elf {
        path: path.to_path_buf(),
        reason,
    })
}

/// [`usdt_notes`] of an ELF file in memory; the error says what is wrong
/// and where.
pub fn usdt_notes_from_bytes(data: &[u8]) -> Result<Vec<UsdtNote>, String> {
    let file = object::File::parse(data).map_err(|e| format!("not an ELF file: {e}"))?;
    if file.format() != object::BinaryFormat::Elf || !file.is_64() {
        return Err("not a 64-bit ELF file".into());
    }
    let Some(notes) = file.section_by_name(".note.stapsdt") else {
        return Ok(Vec::new());
    };
    let notes = notes.data().map_err(|e| format!(".note.stapsdt: {e}"))?;
    let base = file.section_by_name(".stapsdt.base").map(|s| s.address());
    let little = file.is_little_endian();
    // An `n`-byte unsigned integer at `off`, in the file's byte order.
    let rd = |b: &[u8], off: usize, n: usize| -> Option<u64> {
        let bytes = b.get(off..off.checked_add(n)?)?;
        let fold = |v: u64, &x: &u8| v << 8 | u64::from(x);
        Some(if little {
            bytes.iter().rev().fold(0, fold)
        } else {
            bytes.iter().fold(0, fold)
        })
    };
    let rd32 = |b: &[u8], off: usize| rd(b, off, 4).map(|v| v as u32);
    let rd64 = |b: &[u8], off: usize| rd(b, off, 8);
    let segments: Vec<(u64, u64, u64)> = file
        .segments()
        .map(|s| (s.address(), s.size(), s.file_range().0))
        .collect();
    let to_offset = |va: u64, what: &str| -> Result<u64, String> {
        segments
            .iter()
            .find(|(start, size, _)| va >= *start && va - start < *size)
            .and_then(|(start, _, off)| (va - start).checked_add(*off))
            .ok_or_else(|| format!("{what} at {va:#x} is in no loadable segment"))
    };
    let align4 = |n: usize| n.div_ceil(4) * 4;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < notes.len() {
        let at = pos;
        let malformed = || format!(".note.stapsdt: malformed note at byte {at}");
        let namesz = rd32(notes, pos).ok_or_else(malformed)? as usize;
        let descsz = rd32(notes, pos + 4).ok_or_else(malformed)? as usize;
        let ty = rd32(notes, pos + 8).ok_or_else(malformed)?;
        let name_at = pos + 12;
        let desc_at = name_at.checked_add(align4(namesz)).ok_or_else(malformed)?;
        let next = desc_at.checked_add(align4(descsz)).ok_or_else(malformed)?;
        let name = notes.get(name_at..name_at + namesz).ok_or_else(malformed)?;
        let desc = notes.get(desc_at..desc_at + descsz).ok_or_else(malformed)?;
        pos = next;
        if ty != 3 || name != b"stapsdt\0" {
            continue;
        }
        let (Some(loc), Some(note_base), Some(sema)) =
            (rd64(desc, 0), rd64(desc, 8), rd64(desc, 16))
        else {
            return Err(malformed());
        };
        let mut strs = desc
            .get(24..)
            .unwrap_or_default()
            .split(|&b| b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned());
        let (Some(provider), Some(probe), Some(args)) = (strs.next(), strs.next(), strs.next())
        else {
            return Err(malformed());
        };
        // Prelink moved the binary: shift by how far .stapsdt.base moved.
        let address = match base {
            Some(b) if note_base != 0 => loc.wrapping_add(b).wrapping_sub(note_base),
            _ => loc,
        };
        let what = format!("USDT {provider}:{probe}");
        let offset = to_offset(address, &what)?;
        let semaphore_offset = if sema == 0 {
            0
        } else {
            let sema = match base {
                Some(b) if note_base != 0 => sema.wrapping_add(b).wrapping_sub(note_base),
                _ => sema,
            };
            to_offset(sema, &format!("{what}: semaphore"))?
        };
        out.push(UsdtNote {
            provider,
            name: probe,
            args,
            address,
            offset,
            semaphore_offset,
        });
    }
    Ok(out)
}

/// Options of [`Collection::attach_usdt`](crate::Collection::attach_usdt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UsdtOptions {
    /// Only this process; `None` for every process running the binary.
    pub pid: Option<u32>,
    /// What `bpf_usdt_cookie()` returns in the program.
    pub cookie: u64,
}

impl UsdtOptions {
    /// Only in process `pid`.
    pub fn pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    /// With a USDT cookie.
    pub fn cookie(mut self, cookie: u64) -> Self {
        self.cookie = cookie;
        self
    }
}

/// Spec ids in use, per `__bpf_usdt_specs` map (by map id), process-wide.
static SPEC_IDS: Mutex<Vec<(u32, BTreeSet<u32>)>> = Mutex::new(Vec::new());

fn alloc_ids(map_id: u32, n: usize, max: u32) -> Option<Vec<u32>> {
    let mut all = SPEC_IDS.lock().unwrap_or_else(|e| e.into_inner());
    let used = match all.iter().position(|(id, _)| *id == map_id) {
        Some(i) => &mut all[i].1,
        None => {
            all.push((map_id, BTreeSet::new()));
            &mut all.last_mut()?.1
        }
    };
    let free: Vec<u32> = (0..max).filter(|i| !used.contains(i)).take(n).collect();
    if free.len() < n {
        return None;
    }
    used.extend(free.iter().copied());
    Some(free)
}

fn free_ids(map_id: u32, ids: &[u32]) {
    let mut all = SPEC_IDS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, used)) = all.iter_mut().find(|(id, _)| *id == map_id) {
        for i in ids {
            used.remove(i);
        }
    }
}

/// The uprobes of one USDT attachment and the spec ids they use.
#[derive(Debug)]
struct UsdtAttachment {
    links: Vec<Link>,
    map_id: u32,
    ids: Vec<u32>,
}

impl LegacyAttachment for UsdtAttachment {
    fn detach(&mut self) -> Result<(), AttachError> {
        let mut first = Ok(());
        for l in self.links.drain(..) {
            if let Err(e) = l.detach() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        free_ids(self.map_id, &std::mem::take(&mut self.ids));
        first
    }
}

impl Drop for UsdtAttachment {
    /// An attachment dropped before it became a [`Link`] (a later site
    /// failed) gives its spec ids back; after `detach` there are none.
    fn drop(&mut self) {
        free_ids(self.map_id, &std::mem::take(&mut self.ids));
    }
}

/// Attaches `prog` to every site of `provider:name` in `binary`; `specs`
/// is the object's `__bpf_usdt_specs` map.
pub(crate) fn attach(
    prog: &Program,
    specs: &Map,
    binary: &Path,
    provider: &str,
    name: &str,
    opts: &UsdtOptions,
) -> Result<Link, AttachError> {
    let path = resolve_binary(&binary.to_string_lossy(), opts.pid)?;
    let what = format!(
        "USDT {}:{provider}:{name}{} of program `{}`",
        path.display(),
        opts.pid.map(|p| format!(", pid {p}")).unwrap_or_default(),
        prog.name()
    );
    let info = specs.info();
    if info.value_size as usize != SPEC_SIZE {
        return Err(AttachError::InvalidArgument(format!(
            "{what}: map `__bpf_usdt_specs` has {}-byte values, not the {SPEC_SIZE} of libbpf's usdt.bpf.h",
            info.value_size
        )));
    }
    let sites: Vec<UsdtNote> = usdt_notes(&path)?
        .into_iter()
        .filter(|n| n.provider == provider && n.name == name)
        .collect();
    if sites.is_empty() {
        return Err(AttachError::TargetNotFound {
            what: format!("USDT probe {provider}:{name} in {}", path.display()),
        });
    }
    // One spec per distinct argument string (libbpf dedups the same way).
    let mut arg_strings: Vec<&str> = sites.iter().map(|s| s.args.as_str()).collect();
    arg_strings.sort_unstable();
    arg_strings.dedup();
    let mut specs_bytes = Vec::new();
    for a in &arg_strings {
        let args =
            parse_usdt_args(a).map_err(|e| AttachError::InvalidArgument(format!("{what}: {e}")))?;
        specs_bytes.push(encode_spec(&args, opts.cookie));
    }
    let map_id = info.id.as_raw();
    let ids = alloc_ids(map_id, specs_bytes.len(), info.max_entries).ok_or_else(|| {
        AttachError::InvalidArgument(format!(
            "{what}: no free slot in `__bpf_usdt_specs` ({} entries)",
            info.max_entries
        ))
    })?;
    let mut att = UsdtAttachment {
        links: Vec::new(),
        map_id,
        ids: ids.clone(),
    };
    for (id, bytes) in ids.iter().zip(&specs_bytes) {
        specs
            .update(&id.to_ne_bytes(), bytes, UpdateFlags::ANY)
            .map_err(|e| AttachError::InvalidArgument(format!("{what}: storing the spec: {e}")))?;
    }
    let id_of = |args: &str| -> u64 {
        let i = arg_strings.iter().position(|a| *a == args).unwrap_or(0);
        u64::from(ids.get(i).copied().unwrap_or(0))
    };
    if prog.expected_attach_type() == Some(AttachType::TRACE_UPROBE_MULTI) {
        // Loaded for uprobe_multi (6.6+, as libbpf 1.5 does): one link.
        let offsets: Vec<u64> = sites.iter().map(|s| s.offset).collect();
        let refs: Vec<u64> = sites.iter().map(|s| s.semaphore_offset).collect();
        let cookies: Vec<u64> = sites.iter().map(|s| id_of(&s.args)).collect();
        let mopts = UprobeMultiOptions {
            pid: opts.pid,
            ..Default::default()
        };
        let link = prog.attach_uprobe_multi_inner(&path, &offsets, &refs, &cookies, &mopts)?;
        att.links.push(link);
    } else {
        for s in &sites {
            let mut uopts = UprobeOptions::default().cookie(id_of(&s.args));
            uopts.pid = opts.pid;
            uopts.ref_ctr_offset = s.semaphore_offset;
            let link = prog.attach_uprobe(&path, UprobeLocation::Offset(s.offset), &uopts)?;
            att.links.push(link);
        }
    }
    let description = format!("{what}: {} site(s)", sites.len());
    Ok(Link::from_legacy(att, description))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(name: &str) -> u16 {
        x86_64_reg_off(name).unwrap()
    }

    #[test]
    fn argument_operands_parse_as_libbpf_parses_them() {
        let cases: &[(&str, UsdtArgLocation, u8, bool)] = &[
            (
                "-4@%eax",
                UsdtArgLocation::Reg {
                    reg_off: reg("rax"),
                },
                4,
                true,
            ),
            ("8@%rdx", UsdtArgLocation::Reg { reg_off: 96 }, 8, false),
            ("-8@%r15", UsdtArgLocation::Reg { reg_off: 0 }, 8, true),
            ("1@%sil", UsdtArgLocation::Reg { reg_off: 104 }, 1, false),
            ("-4@$5", UsdtArgLocation::Const(5), 4, true),
            ("8@$-9", UsdtArgLocation::Const(-9), 8, false),
            ("2@$0x10", UsdtArgLocation::Const(16), 2, false),
            (
                "-4@-1204(%rbp)",
                UsdtArgLocation::RegDeref {
                    reg_off: 32,
                    offset: -1204,
                },
                4,
                true,
            ),
            (
                "8@(%rdi)",
                UsdtArgLocation::RegDeref {
                    reg_off: 112,
                    offset: 0,
                },
                8,
                false,
            ),
            (
                "4@16(%rsp)",
                UsdtArgLocation::RegDeref {
                    reg_off: 152,
                    offset: 16,
                },
                4,
                false,
            ),
        ];
        for (text, location, size, signed) in cases {
            assert_eq!(
                parse_usdt_arg(text).unwrap(),
                UsdtArg {
                    location: *location,
                    size: *size,
                    signed: *signed
                },
                "{text}"
            );
        }
        for bad in [
            "%rax",
            "3@%rax",
            "8@%xmm0",
            "8@rax",
            "8@8(%rax,%rbx,4)",
            "8@$x",
            "16@%rax",
        ] {
            assert!(parse_usdt_arg(bad).is_err(), "{bad}");
        }
        let args = parse_usdt_args("-4@%eax  8@-16(%rbp) 4@$5").unwrap();
        assert_eq!(args.len(), 3);
        assert!(parse_usdt_args(&"8@%rax ".repeat(13)).is_err());
        assert!(parse_usdt_args("").unwrap().is_empty());
    }

    #[test]
    fn specs_have_usdt_bpf_h_layout() {
        let args = parse_usdt_args("-4@%eax 8@-16(%rbp) 2@$7").unwrap();
        let v = encode_spec(&args, 0xc0ffee);
        assert_eq!(v.len(), 208);
        let u64_at = |o: usize| u64::from_ne_bytes(v[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_ne_bytes(v[o..o + 4].try_into().unwrap());
        let u16_at = |o: usize| u16::from_ne_bytes(v[o..o + 2].try_into().unwrap());
        // arg 0: register rax, signed, 32 bits → shift 32
        assert_eq!(
            (u64_at(0), u32_at(8), u16_at(12), v[14], v[15]),
            (0, 1, 80, 1, 32)
        );
        // arg 1: *(rbp - 16), 64 bits
        assert_eq!(
            (u64_at(16) as i64, u32_at(24), u16_at(28), v[30], v[31]),
            (-16, 2, 32, 0, 0)
        );
        // arg 2: constant 7, 16 bits
        assert_eq!((u64_at(32), u32_at(40), v[46], v[47]), (7, 0, 0, 48));
        assert_eq!(u64_at(192), 0xc0ffee);
        assert_eq!(u16_at(200), 3);
    }

    #[test]
    fn hostile_notes_are_errors_not_panics() {
        // Found by the usdt_notes fuzzer: a segment whose file offset plus
        // the site's distance into it overflows u64.
        // Embedded, not read at run time: the kernel matrix runs these
        // tests in VMs that have the test data directories only.
        let elf = include_bytes!("../../../../fuzz/seeds/usdt_notes/segment-offset-overflow");
        let err = usdt_notes_from_bytes(elf).unwrap_err();
        assert!(err.contains("is in no loadable segment"), "{err}");
        assert!(usdt_notes_from_bytes(b"\x7fELF").is_err());
        assert!(usdt_notes_from_bytes(&[]).is_err());
    }

    #[test]
    fn a_dropped_attachment_frees_its_spec_ids() {
        let ids = alloc_ids(u32::MAX - 2, 2, 2).unwrap();
        assert!(alloc_ids(u32::MAX - 2, 1, 2).is_none());
        drop(UsdtAttachment {
            links: Vec::new(),
            map_id: u32::MAX - 2,
            ids,
        });
        assert_eq!(alloc_ids(u32::MAX - 2, 2, 2).unwrap(), [0, 1]);
        free_ids(u32::MAX - 2, &[0, 1]);
    }

    #[test]
    fn spec_ids_are_allocated_and_freed_per_map() {
        let a = alloc_ids(u32::MAX, 3, 4).unwrap();
        assert_eq!(a, [0, 1, 2]);
        assert!(alloc_ids(u32::MAX, 2, 4).is_none());
        let b = alloc_ids(u32::MAX - 1, 2, 4).unwrap();
        assert_eq!(b, [0, 1]);
        free_ids(u32::MAX, &[1]);
        assert_eq!(alloc_ids(u32::MAX, 2, 4).unwrap(), [1, 3]);
        free_ids(u32::MAX, &[0, 1, 2, 3]);
        free_ids(u32::MAX - 1, &b);
    }
}
