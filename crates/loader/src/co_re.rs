//! CO-RE in [`Collection::load`](crate::Collection::load): choosing the
//! target BTF, keeping its candidate index for the life of the process,
//! relocating every program (libbpf's `bpf_object__relocate_core`), and
//! explaining a verifier failure on a poisoned instruction
//! (`fixup_log_failed_core_relo`).
//!
//! Each [`ProgramSpec`] carries the `.BTF.ext` CO-RE records of its own
//! code and of every subprogram appended to it, with `insn_off` already
//! adjusted to the appended position (so a subprogram used by two programs
//! has its records in both, at different offsets); the pure work is
//! [`crate::core`]'s.
//!
//! One [`Relocator`] serves all programs of an object, so that, as in
//! libbpf, a local type's candidate list is pruned by the relocations
//! computed before. libbpf goes through the records section by section
//! (a `.text` subprogram's once); here they come program by program (a
//! subprogram's with each program that calls it). The order only matters
//! when several candidates of one local type each match different
//! relocations, where libbpf's own result depends on its order too.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use oxbpf_btf::Btf;

use crate::collection::LoadOptions;
use crate::core::{CandidateIndex, Relocator, Target};
use crate::error::{LoadError, VerifierLog};
use crate::insn::{op, Insn};
use crate::kernel_btf::KernelBtf;
use crate::spec::ProgramSpec;

/// Where CO-RE relocations find their target BTF, instead of the running
/// kernel's (see [`LoadOptions::core_btf`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CoreBtf {
    /// A raw BTF file, such as one of BTFHub's for the kernel the program
    /// will run on (libbpf's `btf_custom_path`).
    File(PathBuf),
    /// Parsed BTF.
    Btf(Arc<Btf<'static>>),
}

/// A target BTF with its candidate index.
pub(crate) struct Indexed {
    pub(crate) btf: Arc<Btf<'static>>,
    index: Arc<CandidateIndex>,
    name: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running kernel's BTF and its index, parsed and built once per
/// process (the kernel's BTF does not change while it runs).
pub(crate) fn vmlinux() -> Result<Arc<Indexed>, LoadError> {
    static VMLINUX: Mutex<Option<Arc<Indexed>>> = Mutex::new(None);
    let mut cached = lock(&VMLINUX);
    if let Some(v) = &*cached {
        return Ok(v.clone());
    }
    let btf = crate::kernel_btf::shared_vmlinux()?;
    let v = Arc::new(Indexed {
        index: Arc::new(CandidateIndex::build(&btf)),
        btf,
        name: "vmlinux".into(),
    });
    *cached = Some(v.clone());
    Ok(v)
}

/// The index of a caller-supplied BTF, built once per `Arc` for as long
/// as the caller keeps it.
fn index_of(btf: &Arc<Btf<'static>>) -> Arc<CandidateIndex> {
    type Entry = (Weak<Btf<'static>>, Arc<CandidateIndex>);
    static GIVEN: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    let mut given = lock(&GIVEN);
    given.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, index)) = given
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(btf)))
    {
        return index.clone();
    }
    let index = Arc::new(CandidateIndex::build(btf));
    given.push((Arc::downgrade(btf), index.clone()));
    index
}

/// A BTF file's target, cached by path, size and modification time (the
/// last few files only).
fn file_target(path: &Path) -> Result<Arc<Indexed>, LoadError> {
    type Entry = (PathBuf, u64, Option<SystemTime>, Arc<Indexed>);
    const KEEP: usize = 4;
    static FILES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    let err = |source| LoadError::CoreTarget {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        err(oxbpf_btf::FileError::Io {
            path: path.to_path_buf(),
            source: Arc::new(e),
        })
    })?;
    let (len, mtime) = (meta.len(), meta.modified().ok());
    let mut files = lock(&FILES);
    if let Some((.., t)) = files
        .iter()
        .find(|(p, l, m, _)| p == path && *l == len && *m == mtime)
    {
        return Ok(t.clone());
    }
    let btf = Arc::new(Btf::from_file(path).map_err(err)?);
    let t = Arc::new(Indexed {
        index: Arc::new(CandidateIndex::build(&btf)),
        btf,
        name: path.display().to_string(),
    });
    files.retain(|(p, ..)| p != path);
    if files.len() == KEEP {
        files.remove(0);
    }
    files.push((path.to_path_buf(), len, mtime, t.clone()));
    Ok(t)
}

/// The main CO-RE target for `opts`, and whether it overrides the kernel
/// (then module BTF is not searched, as libbpf does with
/// `btf_custom_path`).
pub(crate) fn main_target(opts: &LoadOptions) -> Result<(Arc<Indexed>, bool), LoadError> {
    let given = |btf: &Arc<Btf<'static>>, name: &str| {
        Arc::new(Indexed {
            index: index_of(btf),
            btf: btf.clone(),
            name: name.into(),
        })
    };
    match (&opts.core_btf, &opts.kernel_btf) {
        (Some(CoreBtf::File(path)), _) => Ok((file_target(path)?, true)),
        (Some(CoreBtf::Btf(btf)), _) => Ok((given(btf, "target BTF"), true)),
        (None, Some(btf)) => Ok((given(btf, "kernel BTF"), true)),
        (None, None) => Ok((vmlinux()?, false)),
    }
}

/// Relocates `progs` (one object's) and returns their patched
/// instructions, in order.
pub(crate) fn relocate_programs(
    local: Option<&Btf<'static>>,
    progs: &[&ProgramSpec],
    main: &Indexed,
    overridden: bool,
    kernel: &mut KernelBtf,
) -> Result<Vec<Vec<Insn>>, LoadError> {
    let mut out: Vec<Vec<Insn>> = progs.iter().map(|p| p.insns.clone()).collect();
    let Some(with_relos) = progs.iter().find(|p| !p.core_relos.is_empty()) else {
        return Ok(out);
    };
    let Some(local) = local else {
        return Err(LoadError::InvalidSpec(format!(
            "program `{}` has CO-RE relocations but the object has no BTF",
            with_relos.name
        )));
    };
    let target = Target {
        btf: &main.btf,
        name: &main.name,
        index: &main.index,
    };
    let relocator = Relocator::new(local, target);
    // Module BTF only if some local type has no candidate in vmlinux, as
    // libbpf loads it.
    let need_modules =
        !overridden && relocator.needs_fallback(progs.iter().flat_map(|p| &p.core_relos));
    let modules = if need_modules {
        &kernel.modules()?[..]
    } else {
        &[]
    };
    let indexes: Vec<CandidateIndex> = modules
        .iter()
        .map(|m| CandidateIndex::build(&m.btf))
        .collect();
    let fallback = modules
        .iter()
        .zip(&indexes)
        .map(|(m, index)| Target {
            btf: &m.btf,
            name: &m.name,
            index,
        })
        .collect();
    let mut relocator = relocator.with_fallback(fallback);
    for (p, code) in progs.iter().zip(&mut out) {
        relocator
            .apply(code, &p.core_relos)
            .map_err(|e| LoadError::Core {
                program: p.name.clone(),
                relocation: e.index,
                insn: e.insn,
                access: e.access,
                source: e.source,
            })?;
    }
    Ok(out)
}

/// A CO-RE relocation the verifier tripped over.
pub(crate) struct Unresolved {
    pub(crate) relocation: usize,
    pub(crate) insn: usize,
    pub(crate) access: String,
    pub(crate) spec: String,
}

/// libbpf's `fixup_log_failed_core_relo`: if the verifier's log ends with
/// a call of the CO-RE poison helper (`N: (85) call unknown#195896080`
/// then `invalid func unknown#195896080`, within the last 10 lines),
/// which relocation of `p` poisoned instruction `N`.
pub(crate) fn unresolved(
    p: &ProgramSpec,
    local: Option<&Btf<'_>>,
    log: &VerifierLog,
) -> Option<Unresolved> {
    let local = local?;
    let lines: Vec<&str> = log.as_str().lines().collect();
    let start = lines.len().saturating_sub(10);
    let at = (start..lines.len())
        .rev()
        .find(|&i| lines[i].starts_with("invalid func unknown#195896080"))?;
    let prev = lines.get(at.checked_sub(1)?)?;
    let (num, rest) = prev.split_once(": ")?;
    if !rest.ends_with("call unknown#195896080") {
        return None;
    }
    let insn: usize = num.trim().parse().ok()?;
    let relocation = p
        .core_relos
        .iter()
        .position(|r| r.insn_off as usize == insn * 8)?;
    let relo = &p.core_relos[relocation];
    let spec = crate::core::parse_spec(local, relo, crate::core::pointer_size(local))
        .map(|s| s.to_string())
        .unwrap_or_default();
    Some(Unresolved {
        relocation,
        insn,
        access: access_chain(&p.insns, &p.core_relos, local, relocation, 0),
        spec,
    })
}

/// The access of relocation `idx` in C terms, prefixed, when its base
/// pointer was itself loaded by a CO-RE relocated load just before, with
/// that access: `struct task_struct.mm->exe_file` for the second load of
/// `task->mm->exe_file`. Best effort: it follows the base register back
/// through straight-line moves only.
fn access_chain(
    insns: &[Insn],
    relos: &[oxbpf_btf::ext::CoreRelo],
    local: &Btf<'_>,
    idx: usize,
    depth: usize,
) -> String {
    let Some(relo) = relos.get(idx) else {
        return String::new();
    };
    let ptr = crate::core::pointer_size(local);
    let Ok(spec) = crate::core::parse_spec(local, relo, ptr) else {
        return crate::core::describe(local, relo);
    };
    let own = spec.c_access();
    if depth >= 8 || !spec.kind.is_field_based() {
        return own;
    }
    let i = (relo.insn_off / 8) as usize;
    let Some(insn) = insns.get(i) else {
        return own;
    };
    let mut reg = match insn.class() {
        op::LDX => insn.src,
        op::ST | op::STX => insn.dst,
        op::ALU | op::ALU64 if insn.code & 0xf0 == op::ADD && insn.code & op::X == 0 => insn.dst,
        _ => return own,
    };
    let root = local.resolve(spec.root_type_id).ok();
    for j in (i.saturating_sub(64)..i).rev() {
        let Some(d) = insns.get(j) else { break };
        if d.is_call() && reg <= 5 {
            break;
        }
        if d.dst != reg || !matches!(d.class(), op::LDX | op::ALU | op::ALU64 | op::LD) {
            continue;
        }
        if matches!(d.class(), op::ALU | op::ALU64) && d.code == (op::ALU64 | op::MOV | op::X) {
            reg = d.src;
            continue;
        }
        if d.class() != op::LDX {
            break;
        }
        // The load that produced the base pointer: is it a CO-RE field
        // load of a pointer to our root type?
        let Some(k) = relos.iter().position(|r| r.insn_off as usize == j * 8) else {
            break;
        };
        let Ok(prev) = crate::core::parse_spec(local, &relos[k], ptr) else {
            break;
        };
        let pointee = prev.accessors.last().and_then(|a| {
            let c = local.type_by_id(a.type_id)?;
            let m = c.as_composite()?.members().nth(a.index as usize)?;
            let (_, t) = local.resolve_type(m.ty).ok()?;
            match t {
                oxbpf_btf::Type::Ptr(p) => local.resolve(p.target).ok(),
                _ => None,
            }
        });
        if pointee.is_none() || pointee != root {
            break;
        }
        let head = access_chain(insns, relos, local, k, depth + 1);
        // Our own access without its root ("struct mm_struct"), after `->`.
        let tail = own.split_once('.').map(|(_, t)| t).unwrap_or_default();
        if tail.is_empty() {
            break;
        }
        return format!("{head}->{tail}");
    }
    own
}
