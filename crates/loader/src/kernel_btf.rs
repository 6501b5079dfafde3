//! The running kernel's BTF (vmlinux and modules), `/proc/kallsyms`, and
//! libbpf's BTF compatibility check for ksyms.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxbpf_btf::{Btf, Kind, Type, TypeId, KERNEL_BTF_PATH};
use oxbpf_sys::{self as sys, BtfInfoBuffers};

use crate::error::LoadError;

/// A kernel module's BTF, with an fd on the kernel's BTF object.
pub(crate) struct ModuleBtf {
    pub(crate) name: String,
    pub(crate) btf: Btf<'static>,
    pub(crate) fd: OwnedFd,
    /// Index in the program's `fd_array` (0: not assigned yet).
    pub(crate) fd_array_idx: i16,
}

/// Where a kernel type was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Vmlinux,
    Module(usize),
}

/// Lazily loaded kernel BTF, with memoized name lookups (each one is a
/// linear scan of vmlinux's ~100k types until the BTF builds its index).
#[derive(Default)]
pub(crate) struct KernelBtf {
    vmlinux: Option<Arc<Btf<'static>>>,
    given: Option<Arc<Btf<'static>>>,
    modules: Option<Vec<ModuleBtf>>,
    vmlinux_lookups: HashMap<(String, Kind), Option<TypeId>>,
}

/// The running kernel's BTF (`/sys/kernel/btf/vmlinux`, mapped, not
/// copied), parsed once per process and shared by every load: attach
/// targets, ksyms and CO-RE all use it. The kernel's BTF does not change
/// while it runs; libbpf parses it again for every object.
pub(crate) fn shared_vmlinux() -> Result<Arc<Btf<'static>>, LoadError> {
    static VMLINUX: std::sync::Mutex<Option<Arc<Btf<'static>>>> = std::sync::Mutex::new(None);
    let mut cached = VMLINUX.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(b) = &*cached {
        return Ok(b.clone());
    }
    let btf = Arc::new(Btf::kernel().map_err(|source| LoadError::KernelBtf {
        path: PathBuf::from(KERNEL_BTF_PATH),
        source,
    })?);
    *cached = Some(btf.clone());
    Ok(btf)
}

impl KernelBtf {
    /// Uses `btf` instead of `/sys/kernel/btf/vmlinux`.
    pub(crate) fn with_vmlinux(btf: Option<Arc<Btf<'static>>>) -> Self {
        KernelBtf {
            given: btf,
            ..Default::default()
        }
    }

    /// vmlinux BTF.
    pub(crate) fn vmlinux(&mut self) -> Result<Arc<Btf<'static>>, LoadError> {
        if let Some(b) = &self.given {
            return Ok(b.clone());
        }
        if let Some(b) = &self.vmlinux {
            return Ok(b.clone());
        }
        let btf = shared_vmlinux()?;
        self.vmlinux = Some(btf.clone());
        Ok(btf)
    }

    /// Module BTFs (libbpf's `load_module_btfs`): every kernel BTF object
    /// other than vmlinux, opened by id.
    pub(crate) fn modules(&mut self) -> Result<&mut Vec<ModuleBtf>, LoadError> {
        if self.modules.is_none() {
            let base = self.vmlinux()?;
            let mut mods = Vec::new();
            let mut id = None;
            loop {
                let next = sys::btf_get_next_id(id).map_err(|source| LoadError::Syscall {
                    what: "listing kernel BTF objects".into(),
                    source,
                })?;
                let Some(next) = next else { break };
                id = Some(next);
                let fd = match sys::btf_get_fd_by_id(next) {
                    Ok(fd) => fd,
                    // Gone in the meantime.
                    Err(e) if e.errno() == libc::ENOENT => continue,
                    Err(source) => {
                        return Err(LoadError::Syscall {
                            what: format!("opening BTF object {next:?}"),
                            source,
                        })
                    }
                };
                let mut name = [0u8; 64];
                let info = sys::btf_info_with(
                    &fd,
                    &mut BtfInfoBuffers {
                        name: &mut name,
                        btf: &mut [],
                    },
                )
                .map_err(|source| LoadError::Syscall {
                    what: format!("reading BTF object {next:?}"),
                    source,
                })?;
                if info.info.kernel_btf == 0 {
                    continue;
                }
                let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                let name = String::from_utf8_lossy(&name[..len]).into_owned();
                if name == "vmlinux" {
                    continue;
                }
                let path = Path::new("/sys/kernel/btf").join(&name);
                let btf = Btf::from_file_split(&path, base.clone())
                    .map_err(|source| LoadError::KernelBtf { path, source })?;
                mods.push(ModuleBtf {
                    name,
                    btf,
                    fd,
                    fd_array_idx: 0,
                });
            }
            self.modules = Some(mods);
        }
        Ok(self.modules.get_or_insert_with(Vec::new))
    }

    /// The first vmlinux type named `name` of kind `kind`, memoized.
    pub(crate) fn find_vmlinux(
        &mut self,
        name: &str,
        kind: Kind,
    ) -> Result<Option<TypeId>, LoadError> {
        if let Some(&found) = self.vmlinux_lookups.get(&(name.to_string(), kind)) {
            return Ok(found);
        }
        let found = self.vmlinux()?.find_by_name_kind(name, kind);
        self.vmlinux_lookups.insert((name.to_string(), kind), found);
        Ok(found)
    }

    /// libbpf's `find_ksym_btf_id`: vmlinux first, then modules' own types.
    pub(crate) fn find(
        &mut self,
        name: &str,
        kind: Kind,
    ) -> Result<Option<(Origin, TypeId)>, LoadError> {
        if let Some(id) = self.find_vmlinux(name, kind)? {
            return Ok(Some((Origin::Vmlinux, id)));
        }
        for (i, m) in self.modules()?.iter().enumerate() {
            let start = m.btf.start_id();
            if let Some(id) = m
                .btf
                .ids_by_name(name)
                .into_iter()
                .find(|&id| id >= start && m.btf.kind(id) == Some(kind))
            {
                return Ok(Some((Origin::Module(i), id)));
            }
        }
        Ok(None)
    }

    /// The BTF of `origin`.
    pub(crate) fn btf(&mut self, origin: Origin) -> Result<&Btf<'static>, LoadError> {
        match origin {
            Origin::Vmlinux => {
                self.vmlinux()?;
                Ok(self
                    .given
                    .as_deref()
                    .or(self.vmlinux.as_deref())
                    .expect("loaded above"))
            }
            Origin::Module(i) => self
                .modules()?
                .get(i)
                .map(|m| &m.btf)
                .ok_or_else(|| LoadError::InvalidSpec("module BTF index".into())),
        }
    }

    /// The loaded module BTFs (empty if none were needed).
    pub(crate) fn loaded_modules(&mut self) -> &mut [ModuleBtf] {
        self.modules.as_deref_mut().unwrap_or_default()
    }
}

/// Reads `/proc/kallsyms`, calling `f(address, type, name)` per symbol.
pub(crate) fn kallsyms(
    mut f: impl FnMut(u64, char, &str) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let text = std::fs::read_to_string("/proc/kallsyms").map_err(|e| LoadError::Extern {
        name: "(ksyms)".into(),
        reason: format!("reading /proc/kallsyms: {e}"),
    })?;
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(addr), Some(ty), Some(name)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        f(addr, ty.chars().next().unwrap_or(' '), name)?;
    }
    Ok(())
}

/// libbpf's `bpf_core_types_are_compat` (`relo_core.c`): whether a local
/// type can stand for a kernel type. Names are not compared; structs and
/// unions are compatible with structs and unions, integers with integers,
/// pointers and arrays if their targets are, prototypes if their
/// parameters and return types are.
pub(crate) fn types_are_compat(
    local: &Btf<'_>,
    local_id: TypeId,
    targ: &Btf<'_>,
    targ_id: TypeId,
) -> bool {
    compat(local, local_id, targ, targ_id, 32)
}

fn kind_compat(a: &Type<'_>, b: &Type<'_>) -> bool {
    use Kind::*;
    let (ka, kb) = (a.kind(), b.kind());
    ka == kb || matches!((ka, kb), (Enum, Enum64) | (Enum64, Enum))
}

fn compat(local: &Btf<'_>, mut lid: TypeId, targ: &Btf<'_>, mut tid: TypeId, level: i32) -> bool {
    let (Some(lt), Some(tt)) = (local.type_by_id(lid), targ.type_by_id(tid)) else {
        return false;
    };
    if !kind_compat(&lt, &tt) {
        return false;
    }
    for _ in 0..32 {
        let (Ok((_, lt)), Ok((_, tt))) = (local.resolve_type(lid), targ.resolve_type(tid)) else {
            return false;
        };
        if !kind_compat(&lt, &tt) {
            return false;
        }
        match (lt, tt) {
            (Type::Void, _)
            | (Type::Struct(_), _)
            | (Type::Union(_), _)
            | (Type::Enum(_), _)
            | (Type::Enum64(_), _)
            | (Type::Fwd(_), _) => return true,
            (Type::Int(a), Type::Int(b)) => return a.bit_offset == 0 && b.bit_offset == 0,
            (Type::Ptr(a), Type::Ptr(b)) => {
                lid = a.target;
                tid = b.target;
            }
            (Type::Array(a), Type::Array(b)) => {
                lid = a.elem;
                tid = b.elem;
            }
            (Type::FuncProto(a), Type::FuncProto(b)) => {
                if a.len() != b.len() {
                    return false;
                }
                for (pa, pb) in a.params().zip(b.params()) {
                    if level <= 0 {
                        return false;
                    }
                    let la = local.resolve(pa.ty).unwrap_or(pa.ty);
                    let tb = targ.resolve(pb.ty).unwrap_or(pb.ty);
                    if !compat(local, la, targ, tb, level - 1) {
                        return false;
                    }
                }
                lid = local.resolve(a.ret).unwrap_or(a.ret);
                tid = targ.resolve(b.ret).unwrap_or(b.ret);
            }
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_btf::{BtfBuilder, IntEncoding, MemberSpec};

    #[test]
    fn compat_follows_libbpf() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let long = b.add_int("long", 8, IntEncoding::Signed);
        let s = b
            .add_struct(
                "s",
                4,
                &[MemberSpec {
                    name: "a",
                    ty: int,
                    bit_offset: 0,
                    bitfield_size: 0,
                }],
            )
            .unwrap();
        let ps = b.add_ptr(s);
        let pint = b.add_ptr(int);
        let f1 = b.add_func_proto(int, &[("x", ps), ("y", int)]).unwrap();
        let f2 = b.add_func_proto(long, &[("a", ps), ("b", long)]).unwrap();
        let f3 = b.add_func_proto(int, &[("x", ps)]).unwrap();
        let f4 = b.add_func_proto(int, &[("x", pint), ("y", int)]).unwrap();
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        assert!(types_are_compat(&btf, int, &btf, long), "ints of any size");
        assert!(types_are_compat(&btf, f1, &btf, f2));
        assert!(!types_are_compat(&btf, f1, &btf, f3), "parameter count");
        assert!(!types_are_compat(&btf, f1, &btf, f4), "pointer targets");
        assert!(!types_are_compat(&btf, int, &btf, ps));
    }
}
