//! [`Collection::load`]: from a [`CollectionSpec`] to maps and programs in
//! the kernel, in libbpf's order (`bpf_object_prepare` and
//! `bpf_object_load`): resolve externs, apply CO-RE relocations,
//! sanitise and load BTF, create (or reuse pinned) maps, patch
//! instructions, load programs, fill program arrays.
//!
//! All or nothing: every fd is owned by a value that closes it when
//! dropped, and maps this load pinned are unpinned again if a later step
//! fails.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxbpf_btf::{Btf, Kind, Type};
use oxbpf_maps::{Map, MapCreateOptions, MapError, MapSpec, MapType, Pinning, DEFAULT_PIN_ROOT};
use oxbpf_sys::{
    self as sys, AttachType, LogBuffer, LogLevel, MapFlags, ObjName, ProgFlags, ProgLoadArgs,
    ProgramType, Records, SyscallError, UpdateFlags, MAX_LOG_SIZE,
};

use crate::btf_edit::{sanitize, BtfFeatures, RawBtf};
use crate::co_re::{self, CoreBtf};
use crate::error::{CoreUnresolved, LoadError, VerifierLog};
use crate::features::{supports, to_bpf, Feature};
use crate::insn::{op, pseudo, Insn};
use crate::kconfig::{self, KconfigValues};
use crate::kernel_btf::{kallsyms, types_are_compat, KernelBtf, Origin};
use crate::link::{AttachError, Link, UsdtOptions};
use crate::program::Program;
use crate::section::AttachKind;
use crate::spec::{
    CollectionSpec, DataSectionKind, ExternKind, ProgramSpec, RelocationTarget, SlotTarget,
    StructOpsSpec,
};
use crate::struct_ops::{StructOpsAttach, StructOpsPlan};

/// Options for [`Collection::load`]; build them with
/// `LoadOptions { field: ..., ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Verifier log level for every program. With the default (none), a
    /// program the kernel refuses is loaded once more with
    /// [`LogLevel::LEVEL1`] to get the log for the error, as libbpf does;
    /// with a level, every program's log is kept
    /// ([`Program::verifier_log`]).
    pub log_level: LogLevel,
    /// Initial size of the log buffer; it grows until the whole log fits.
    pub log_size: u32,
    /// Root directory for maps pinned by name (`LIBBPF_PIN_BY_NAME`).
    pub pin_root: PathBuf,
    /// Extra kernel configuration (`CONFIG_FOO=y` lines) that takes
    /// precedence over the running kernel's, for `__kconfig` externs.
    pub kconfig: Option<String>,
    /// The kernel BTF to resolve ksyms, kfuncs and attach targets
    /// against, instead of `/sys/kernel/btf/vmlinux`. CO-RE relocations
    /// use it too, unless [`core_btf`](Self::core_btf) is set.
    pub kernel_btf: Option<Arc<Btf<'static>>>,
    /// The BTF CO-RE relocations are computed against (libbpf's
    /// `btf_custom_path`), such as a BTFHub file for a kernel without
    /// BTF. By default they use the running kernel's vmlinux BTF (parsed
    /// and indexed once per process) and, for types vmlinux lacks, its
    /// modules' BTF; with a target given here (or with
    /// [`kernel_btf`](Self::kernel_btf)), modules are not searched.
    pub core_btf: Option<CoreBtf>,
    /// The targets of `freplace` programs, as (freplace program name,
    /// loaded program) pairs: the program whose global function, named by
    /// the section (`freplace/FUNC`), the extension replaces (libbpf's
    /// `bpf_program__set_attach_target`).
    pub freplace_targets: Vec<(String, Arc<Program>)>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            log_level: LogLevel::empty(),
            log_size: 1 << 20,
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
            kconfig: None,
            kernel_btf: None,
            core_btf: None,
            freplace_targets: Vec::new(),
        }
    }
}

/// A loaded object: its maps and programs, by name (cilium/ebpf's
/// `Collection`).
///
/// ```no_run
/// use oxbpf_loader::{Collection, CollectionSpec, LoadOptions, TestRun};
/// let mut spec = CollectionSpec::from_file("globals.bpf.o")?;
/// spec.set_variable("ro_magic", &7u32)?;
/// let coll = Collection::load(&spec, &LoadOptions::default())?;
/// let prog = coll.program("report").unwrap();
/// let out = prog.test_run(&TestRun { data_in: &[0; 64], ..Default::default() })?;
/// println!("returned {}", out.retval);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Minimum kernel version
///
/// Depends on the object: global data needs 5.2, BTF-defined maps 5.2,
/// kfuncs 5.13, ...
#[derive(Debug)]
pub struct Collection {
    programs: Vec<Program>,
    maps: Vec<LoadedMap>,
    struct_ops: Vec<StructOpsPlan>,
    btf: Option<OwnedFd>,
    warnings: Vec<String>,
}

#[derive(Debug)]
struct LoadedMap {
    name: String,
    section: Option<String>,
    map: Map,
}

impl Collection {
    /// Loads every map and every program with `autoload` of `spec`, in
    /// libbpf's order: resolve externs, apply CO-RE relocations, sanitise
    /// and load the BTF, create (or reuse pinned) maps and set their
    /// initial contents (freezing `.rodata`), patch and load the programs,
    /// fill program arrays.
    ///
    /// All or nothing: on failure, every fd created so far is closed and
    /// maps pinned by this load are unpinned. A program the verifier
    /// refuses gives [`LoadError::Program`] with the complete verifier log.
    pub fn load(spec: &CollectionSpec, opts: &LoadOptions) -> Result<Collection, LoadError> {
        Loader::new(spec, opts).load()
    }

    /// The program named `name`.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name() == name)
    }

    /// Removes the program named `name` from the collection, to keep it
    /// beyond the collection's life.
    pub fn take_program(&mut self, name: &str) -> Option<Program> {
        let i = self.programs.iter().position(|p| p.name() == name)?;
        Some(self.programs.remove(i))
    }

    /// The loaded programs, in the spec's order.
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.iter()
    }

    /// The map named `name` (for global data also its section name,
    /// `.rodata`).
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.maps
            .iter()
            .find(|m| m.name == name)
            .or_else(|| {
                self.maps
                    .iter()
                    .find(|m| m.section.as_deref() == Some(name))
            })
            .map(|m| &m.map)
    }

    /// Removes the map named `name` from the collection.
    pub fn take_map(&mut self, name: &str) -> Option<Map> {
        let i = self.maps.iter().position(|m| m.name == name).or_else(|| {
            self.maps
                .iter()
                .position(|m| m.section.as_deref() == Some(name))
        })?;
        Some(self.maps.remove(i).map)
    }

    /// The maps, with their names, in creation order.
    pub fn maps(&self) -> impl Iterator<Item = (&str, &Map)> {
        self.maps.iter().map(|m| (m.name.as_str(), &m.map))
    }

    /// `BPF_MAP_UPDATE_ELEM` (+ `BPF_LINK_CREATE`)—Registers the
    /// struct_ops map `name` with the kernel: its function pointers are
    /// set to this collection's programs, and, for example, a
    /// `tcp_congestion_ops` becomes selectable by name with
    /// `setsockopt(TCP_CONGESTION)`.
    ///
    /// A `.struct_ops.link` map is registered through a bpf_link (which can
    /// be pinned, and linked again after it is dropped); a legacy `.struct_ops` map
    /// by the update itself, and the returned [`Link`] unregisters it by
    /// deleting the element. Either way, dropping the link unregisters.
    ///
    /// # Minimum kernel version
    ///
    /// 5.6 (legacy), 6.4 (`.struct_ops.link`)
    pub fn attach_struct_ops(&self, name: &str) -> Result<Link, AttachError> {
        let plan = self
            .struct_ops
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                AttachError::InvalidArgument(format!("no struct_ops map `{name}` was loaded"))
            })?;
        let map = self.map(name).ok_or_else(|| {
            AttachError::InvalidArgument(format!("struct_ops map `{name}` was taken out"))
        })?;
        let mut value = plan.value.clone();
        for (off, prog) in &plan.slots {
            let p = self.program(prog).ok_or_else(|| {
                AttachError::InvalidArgument(format!(
                    "struct_ops map `{name}`: program `{prog}` was taken out of the collection"
                ))
            })?;
            let fd = p.fd().as_raw_fd() as u64;
            if let Some(slot) = value.get_mut(*off..*off + 8) {
                slot.copy_from_slice(&fd.to_ne_bytes());
            }
        }
        crate::link::struct_ops::register(
            map,
            &value,
            plan.link,
            &format!("`{name}` (struct {})", plan.type_name),
        )
    }

    /// Attaches the `SEC("usdt")` program `program` to every site of the
    /// USDT probe `provider:name` in `binary` (a path, or a name resolved
    /// as for uprobes), as libbpf's `bpf_program__attach_usdt` does.
    ///
    /// The program reads its arguments with `usdt.bpf.h`'s
    /// `bpf_usdt_arg()`/`BPF_USDT()`: each site's argument locations are
    /// stored in the object's `__bpf_usdt_specs` map and the site's slot
    /// is passed as BPF cookie. Probes with a semaphore are enabled while
    /// attached (the kernel counts the semaphore up and down). One
    /// [`Link`] holds every site's uprobe (or one uprobe_multi link when
    /// the program was loaded for it, on 6.6+).
    ///
    /// # Minimum kernel version
    ///
    /// 5.15 (BPF cookies for uprobes)
    pub fn attach_usdt(
        &self,
        program: &str,
        binary: impl AsRef<Path>,
        provider: &str,
        name: &str,
        opts: &UsdtOptions,
    ) -> Result<Link, AttachError> {
        let prog = self.program(program).ok_or_else(|| {
            AttachError::InvalidArgument(format!("no program `{program}` was loaded"))
        })?;
        let specs = self.map("__bpf_usdt_specs").ok_or_else(|| {
            AttachError::InvalidArgument(format!(
                "program `{program}`: the object has no `__bpf_usdt_specs` map (include <bpf/usdt.bpf.h>)"
            ))
        })?;
        if !supports(Feature::BpfCookie) {
            return Err(AttachError::NotSupported {
                what: format!("USDT {provider}:{name} of program `{program}`"),
                detail: Some("USDT needs BPF cookies on uprobes (Linux 5.15)".into()),
            });
        }
        crate::link::usdt_attach(prog, specs, binary.as_ref(), provider, name, opts)
    }

    /// The object's BTF as loaded into the kernel, if it was.
    pub fn btf_fd(&self) -> Option<BorrowedFd<'_>> {
        self.btf.as_ref().map(|f| f.as_fd())
    }

    /// What was degraded during the load without failing it (libbpf's
    /// warnings): BTF the kernel refused, maps created without BTF.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Pins every program as `dir/<program name>` (bpftool's `loadall`
    /// layout); `dir` must be on a BPF file system.
    pub fn pin_programs(&self, dir: impl AsRef<Path>) -> Result<(), crate::ProgramError> {
        let dir = dir.as_ref();
        for (i, p) in self.programs.iter().enumerate() {
            if let Err(e) = p.pin(dir.join(p.name())) {
                for q in &self.programs[..i] {
                    let _ = std::fs::remove_file(dir.join(q.name()));
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

/// An extern's resolved value (libbpf's `extern_desc` state).
#[derive(Debug, Clone, Copy, Default)]
struct ExternValue {
    is_set: bool,
    /// Typeless ksyms: the kallsyms address.
    addr: u64,
    /// Typed ksyms and kfuncs: the kernel BTF id.
    btf_id: u32,
    /// Where the BTF id is.
    origin: Option<Origin>,
}

/// Unpins, on drop, the maps this load pinned, unless disarmed.
#[derive(Default)]
struct PinGuard(Vec<PathBuf>);

impl Drop for PinGuard {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

struct Loader<'a> {
    spec: &'a CollectionSpec,
    opts: &'a LoadOptions,
    kernel: KernelBtf,
    externs: Vec<ExternValue>,
    kconfig: Option<Vec<u8>>,
    btf: Option<OwnedFd>,
    maps: Vec<LoadedMap>,
    /// Which maps were reused from a pin (their contents are not touched).
    reused: Vec<bool>,
    pinned: PinGuard,
    programs: Vec<Program>,
    warnings: Vec<String>,
    /// struct_ops maps to create, resolved against the kernel.
    struct_ops: Vec<StructOpsPlan>,
    /// What each struct_ops program implements.
    struct_ops_progs: Vec<(String, StructOpsAttach)>,
}

/// Map types created without BTF (libbpf's `bpf_object__create_map`).
fn map_type_takes_btf(t: MapType) -> bool {
    !matches!(
        t,
        MapType::PERF_EVENT_ARRAY
            | MapType::CGROUP_ARRAY
            | MapType::STACK_TRACE
            | MapType::ARRAY_OF_MAPS
            | MapType::HASH_OF_MAPS
            | MapType::DEVMAP
            | MapType::DEVMAP_HASH
            | MapType::CPUMAP
            | MapType::XSKMAP
            | MapType::SOCKMAP
            | MapType::SOCKHASH
            | MapType::QUEUE
            | MapType::STACK
            | MapType::ARENA
    )
}

/// libbpf's `POISON_CALL_KFUNC_BASE`.
const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

impl<'a> Loader<'a> {
    fn new(spec: &'a CollectionSpec, opts: &'a LoadOptions) -> Self {
        Loader {
            spec,
            opts,
            kernel: KernelBtf::with_vmlinux(opts.kernel_btf.clone()),
            externs: vec![ExternValue::default(); spec.externs.len()],
            kconfig: None,
            btf: None,
            maps: Vec::new(),
            reused: Vec::new(),
            pinned: PinGuard::default(),
            programs: Vec::new(),
            warnings: Vec::new(),
            struct_ops: Vec::new(),
            struct_ops_progs: Vec::new(),
        }
    }

    fn load(mut self) -> Result<Collection, LoadError> {
        if self.spec.big_endian != cfg!(target_endian = "big") {
            return Err(LoadError::ForeignEndian(if self.spec.big_endian {
                "big"
            } else {
                "little"
            }));
        }
        // struct_ops programs load only for a struct_ops map that is
        // created (libbpf 1.4+), whatever their `autoload`.
        let struct_ops: Vec<&StructOpsSpec> = self
            .spec
            .struct_ops
            .iter()
            .filter(|s| s.autocreate)
            .collect();
        let progs: Vec<&ProgramSpec> = self
            .spec
            .programs
            .iter()
            .filter(|p| {
                p.autoload
                    && (p.prog_type != ProgramType::STRUCT_OPS
                        || struct_ops
                            .iter()
                            .any(|s| s.programs.iter().any(|sp| sp.program == p.name)))
            })
            .collect();
        for p in &progs {
            self.check_program(p)?;
        }
        // Raising RLIMIT_MEMLOCK matters before 5.11 only; failure is fine.
        let _ = sys::bump_memlock_rlimit();
        // CO-RE's target, loaded first as libbpf loads vmlinux BTF first;
        // the process-wide vmlinux also serves ksyms and attach targets.
        let core_target = if progs.iter().any(|p| !p.core_relos.is_empty()) {
            let (target, overridden) = co_re::main_target(self.opts)?;
            if !overridden {
                self.kernel = KernelBtf::with_vmlinux(Some(target.btf.clone()));
            }
            Some((target, overridden))
        } else {
            None
        };
        self.resolve_externs()?;
        self.plan_struct_ops(&struct_ops)?;
        // CO-RE: relocations are computed per program before anything is
        // created, as libbpf does in bpf_object__relocate.
        let insns = match &core_target {
            Some((target, overridden)) => co_re::relocate_programs(
                self.spec.btf.as_deref(),
                &progs,
                target,
                *overridden,
                &mut self.kernel,
            )?,
            None => progs.iter().map(|p| p.insns.clone()).collect(),
        };
        self.load_btf()?;
        self.create_maps()?;
        self.create_struct_ops_maps()?;
        self.init_map_in_map_slots()?;
        for (p, code) in progs.iter().zip(insns) {
            let prog = self.load_program(p, code)?;
            self.programs.push(prog);
        }
        self.init_prog_array_slots()?;
        // Success: keep the pins.
        self.pinned.0.clear();
        Ok(Collection {
            programs: std::mem::take(&mut self.programs),
            maps: std::mem::take(&mut self.maps),
            struct_ops: std::mem::take(&mut self.struct_ops),
            btf: self.btf.take(),
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// What libbpf checks before loading (`bpf_object_load_prog`).
    fn check_program(&self, p: &ProgramSpec) -> Result<(), LoadError> {
        if p.prog_type == ProgramType::UNSPEC {
            return Err(LoadError::InvalidSpec(format!(
                "program `{}`: missing program type; section `{}` is not one libbpf knows, set ProgramSpec::prog_type",
                p.name, p.section
            )));
        }
        if p.insns.is_empty() {
            return Err(LoadError::InvalidSpec(format!(
                "program `{}` is empty",
                p.name
            )));
        }
        for r in &p.relocations {
            if let RelocationTarget::Unsupported { what } = &r.target {
                return Err(LoadError::Unsupported(format!(
                    "program `{}`, instruction #{}: {what}",
                    p.name, r.insn
                )));
            }
        }
        Ok(())
    }

    fn kconfig_map_size(&self) -> usize {
        self.spec
            .data_sections
            .iter()
            .find(|d| d.kind == DataSectionKind::Kconfig)
            .and_then(|d| self.spec.maps.iter().find(|m| m.name == d.map))
            .map_or(0, |m| m.value_size as usize)
    }

    /// libbpf's `bpf_object__resolve_externs`.
    fn resolve_externs(&mut self) -> Result<(), LoadError> {
        let externs = &self.spec.externs;
        if externs.is_empty() {
            return Ok(());
        }
        let mut data = vec![0u8; self.kconfig_map_size()];
        let mut is_set = vec![false; externs.len()];
        let (mut need_config, mut need_kallsyms, mut need_btf) = (false, false, false);
        let kerr = |e: kconfig::KconfigError| LoadError::Extern {
            name: e.name,
            reason: e.reason,
        };
        for (i, ext) in externs.iter().enumerate() {
            match &ext.kind {
                ExternKind::Ksym { type_id, .. } => {
                    if type_id.is_some() {
                        need_btf = true;
                    } else {
                        need_kallsyms = true;
                    }
                }
                ExternKind::Kconfig { .. } => {
                    if ext.name.starts_with("CONFIG_") {
                        need_config = true;
                        continue;
                    }
                    let value = match ext.name.as_str() {
                        "LINUX_KERNEL_VERSION" => {
                            u64::from(kconfig::kernel_version().ok_or_else(|| {
                                LoadError::Extern {
                                    name: ext.name.clone(),
                                    reason: "failed to get the kernel version".into(),
                                }
                            })?)
                        }
                        "LINUX_HAS_BPF_COOKIE" => u64::from(supports(Feature::BpfCookie)),
                        "LINUX_HAS_SYSCALL_WRAPPER" => u64::from(supports(Feature::SyscallWrapper)),
                        name if name.starts_with("LINUX_") && ext.weak => 0,
                        _ => {
                            return Err(LoadError::Extern {
                                name: ext.name.clone(),
                                reason: "unrecognized virtual extern".into(),
                            })
                        }
                    };
                    KconfigValues {
                        externs,
                        is_set: &mut is_set,
                        data: &mut data,
                    }
                    .set_number(i, value)
                    .map_err(kerr)?;
                }
            }
        }
        let kconfig_unset = |is_set: &[bool]| {
            externs
                .iter()
                .zip(is_set)
                .any(|(e, &s)| matches!(e.kind, ExternKind::Kconfig { .. }) && !s)
        };
        if need_config {
            if let Some(extra) = &self.opts.kconfig {
                let mut v = KconfigValues {
                    externs,
                    is_set: &mut is_set,
                    data: &mut data,
                };
                for line in extra.lines() {
                    v.process_line(line).map_err(kerr)?;
                }
                need_config = kconfig_unset(&is_set);
            }
        }
        if need_config {
            let text = kconfig::read_system_config().map_err(LoadError::Kconfig)?;
            let mut v = KconfigValues {
                externs,
                is_set: &mut is_set,
                data: &mut data,
            };
            for line in text.lines() {
                v.process_line(line).map_err(kerr)?;
            }
        }
        for (v, s) in self.externs.iter_mut().zip(&is_set) {
            v.is_set = *s;
        }
        if need_kallsyms {
            self.resolve_kallsyms()?;
        }
        if need_btf {
            self.resolve_ksyms_btf()?;
        }
        for (ext, v) in externs.iter().zip(&self.externs) {
            if !v.is_set && !ext.weak {
                return Err(LoadError::Extern {
                    name: ext.name.clone(),
                    reason: "not resolved (and not __weak)".into(),
                });
            }
        }
        if !data.is_empty() {
            self.kconfig = Some(data);
        }
        Ok(())
    }

    /// libbpf's `kallsyms_cb`: addresses of ksym variables.
    fn resolve_kallsyms(&mut self) -> Result<(), LoadError> {
        let externs = &self.spec.externs;
        let values = &mut self.externs;
        kallsyms(|addr, ty, name| {
            let name = match name.find(".llvm.") {
                Some(pos) if ty == 'd' => &name[..pos],
                _ => name,
            };
            let Some(i) = externs.iter().position(|e| e.name == name) else {
                return Ok(());
            };
            if !matches!(externs[i].kind, ExternKind::Ksym { func: false, .. }) {
                return Ok(());
            }
            let v = &mut values[i];
            if v.is_set && v.addr != addr {
                return Err(LoadError::Extern {
                    name: name.to_string(),
                    reason: format!("resolution is ambiguous: {:#x} or {addr:#x}", v.addr),
                });
            }
            if !v.is_set {
                v.is_set = true;
                v.addr = addr;
            }
            Ok(())
        })
    }

    /// libbpf's `bpf_object__resolve_ksyms_btf_id`.
    fn resolve_ksyms_btf(&mut self) -> Result<(), LoadError> {
        let local =
            self.spec.btf.clone().ok_or_else(|| {
                LoadError::InvalidSpec("typed ksyms without the object's BTF".into())
            })?;
        for (i, ext) in self.spec.externs.iter().enumerate() {
            let ExternKind::Ksym {
                type_id: Some(local_id),
                func,
            } = ext.kind
            else {
                continue;
            };
            let (kind, lookup) = if func {
                (Kind::Func, oxbpf_btf::essential_name(&ext.name))
            } else {
                (Kind::Var, ext.name.as_str())
            };
            let what = if func { "func ksym" } else { "var ksym" };
            let Some((origin, id)) = self.kernel.find(lookup, kind)? else {
                if ext.weak {
                    continue;
                }
                return Err(LoadError::Extern {
                    name: ext.name.clone(),
                    reason: format!("{what}: not found in kernel or module BTF"),
                });
            };
            let kbtf = self.kernel.btf(origin)?;
            let target = match kbtf.type_by_id(id) {
                Some(Type::Var(v)) => kbtf.resolve(v.ty).unwrap_or(v.ty),
                Some(Type::Func(f)) => f.proto,
                _ => continue,
            };
            if !types_are_compat(&local, local_id, kbtf, target) {
                if func && ext.weak {
                    continue;
                }
                return Err(LoadError::Extern {
                    name: ext.name.clone(),
                    reason: format!(
                        "{what}: incompatible types, expected [{local_id}] {}, but the kernel has [{target}] {}",
                        local.display(local_id),
                        kbtf.display(target)
                    ),
                });
            }
            if func {
                if let Origin::Module(m) = origin {
                    self.assign_fd_array_index(m)?;
                }
            }
            self.externs[i] = ExternValue {
                is_set: true,
                addr: 0,
                btf_id: id.get(),
                origin: Some(origin),
            };
        }
        Ok(())
    }

    /// Gives module `m`'s BTF fd a slot in `fd_array` (never 0).
    fn assign_fd_array_index(&mut self, m: usize) -> Result<i16, LoadError> {
        let mods = self.kernel.loaded_modules();
        if let Some(idx) = mods.get(m).map(|x| x.fd_array_idx).filter(|&i| i != 0) {
            return Ok(idx);
        }
        let next = mods.iter().map(|x| x.fd_array_idx).max().unwrap_or(0) + 1;
        if next == i16::MAX {
            return Err(LoadError::Unsupported(
                "more module BTFs than fd_array indexes fit in an instruction".into(),
            ));
        }
        if let Some(x) = mods.get_mut(m) {
            x.fd_array_idx = next;
        }
        Ok(next)
    }

    /// The `fd_array` for kfunc calls into modules: index 0 is never used
    /// by the kernel for BTF (it means vmlinux).
    fn fd_array(&mut self) -> Vec<BorrowedFd<'_>> {
        let mods = self.kernel.loaded_modules();
        let mut slots: Vec<(i16, BorrowedFd<'_>)> = mods
            .iter()
            .filter(|m| m.fd_array_idx != 0)
            .map(|m| (m.fd_array_idx, m.fd.as_fd()))
            .collect();
        if slots.is_empty() {
            return Vec::new();
        }
        slots.sort_by_key(|s| s.0);
        let first = slots[0].1;
        let mut out = vec![first];
        out.extend(slots.into_iter().map(|s| s.1));
        out
    }

    /// libbpf's `bpf_object__sanitize_and_load_btf`: BTF the kernel
    /// refuses is not an error (maps and programs go without it), as for
    /// libbpf.
    fn load_btf(&mut self) -> Result<(), LoadError> {
        let Some(btf) = &self.spec.btf else {
            return Ok(());
        };
        if !supports(Feature::Btf) {
            self.warnings
                .push("the kernel does not support BTF; loading without it".into());
            return Ok(());
        }
        let features = BtfFeatures {
            func: supports(Feature::BtfFunc),
            global_func: supports(Feature::BtfGlobalFunc),
            datasec: supports(Feature::BtfDatasec),
            qmark_datasec: supports(Feature::BtfQmarkDatasec),
            float: supports(Feature::BtfFloat),
            decl_tag: supports(Feature::BtfDeclTag),
            type_tag: supports(Feature::BtfTypeTag),
            enum64: supports(Feature::BtfEnum64),
            layout: btf.kind_layouts().is_empty() || supports(Feature::BtfLayout),
        };
        let sanitized;
        let bytes: &[u8] = if features.needs_sanitizing() {
            let (raw, keep_layout) = sanitize(&RawBtf::new(btf), &features);
            sanitized = raw.to_bytes_with(keep_layout);
            &sanitized
        } else {
            btf.raw_bytes()
        };
        match sys::btf_load(bytes, None, None) {
            Ok(fd) => self.btf = Some(fd),
            Err(e) => {
                let mut buf = vec![0u8; 1 << 16];
                let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
                let _ = sys::btf_load(bytes, None, Some(&mut log));
                self.warnings.push(format!(
                    "BPF_BTF_LOAD failed ({}), continuing without BTF: {}",
                    e.source,
                    log.to_string_lossy().trim()
                ));
            }
        }
        Ok(())
    }

    fn pin_root(&self) -> &Path {
        &self.opts.pin_root
    }

    /// libbpf's `bpf_object__create_maps`.
    fn create_maps(&mut self) -> Result<(), LoadError> {
        for spec in &self.spec.maps {
            let section = self.spec.data_sections.iter().find(|d| d.map == spec.name);
            let kconfig = self
                .kconfig
                .as_ref()
                .filter(|_| section.is_some_and(|d| d.kind == DataSectionKind::Kconfig));
            let perf_cpus = spec.map_type == MapType::PERF_EVENT_ARRAY && spec.max_entries == 0;
            let no_mmap = section.is_some()
                && spec.flags.contains(MapFlags::MMAPABLE)
                && !supports(Feature::ArrayMmap);
            let datasec = section.and_then(|d| d.btf_type);
            let drop_btf = |s: &MapSpec| s.btf.is_some() && !self.keeps_btf(s, None);
            let edit = kconfig.is_some()
                || perf_cpus
                || no_mmap
                || (spec.btf.is_some() && !self.keeps_btf(spec, datasec))
                || spec.inner_map.as_deref().is_some_and(drop_btf);
            // Most maps are created as they are; copy only what changes.
            let edited;
            let s: &MapSpec = if edit {
                let mut s = spec.clone();
                if let (Some(data), Some(e)) = (kconfig, s.contents.first_mut()) {
                    e.value.clone_from(data);
                }
                if perf_cpus {
                    s.max_entries = sys::nr_possible_cpus().map_err(|e| LoadError::Map {
                        map: s.name.clone(),
                        source: Box::new(MapError::InvalidSpec {
                            name: s.name.clone(),
                            reason: format!("counting possible CPUs: {e}"),
                        }),
                    })? as u32;
                }
                if no_mmap {
                    s.flags.remove(MapFlags::MMAPABLE);
                }
                if !self.keeps_btf(&s, datasec) {
                    s.btf = None;
                }
                if let Some(inner) = s.inner_map.as_deref_mut() {
                    if !self.keeps_btf(inner, None) {
                        inner.btf = None;
                    }
                }
                edited = s;
                &edited
            } else {
                spec
            };
            let (map, reused) = self.create_or_reuse(s)?;
            self.maps.push(LoadedMap {
                name: spec.name.clone(),
                section: section.map(|d| d.section.clone()),
                map,
            });
            self.reused.push(reused);
        }
        Ok(())
    }

    /// Whether a map is created with its BTF types: not if the object's
    /// BTF did not load, not for map types libbpf creates without, and not
    /// for a resized global data map (it no longer matches its DATASEC).
    fn keeps_btf(&self, s: &MapSpec, datasec: Option<oxbpf_btf::TypeId>) -> bool {
        if self.btf.is_none() || !map_type_takes_btf(s.map_type) {
            return false;
        }
        match (datasec, &self.spec.btf) {
            (Some(id), Some(btf)) => btf.size_of(id).ok() == Some(s.value_size),
            _ => true,
        }
    }

    fn create_or_reuse(&mut self, s: &MapSpec) -> Result<(Map, bool), LoadError> {
        let map_err = |source| LoadError::Map {
            map: s.name.clone(),
            source: Box::new(source),
        };
        if s.pinning != Pinning::ByName {
            return Ok((self.create(s)?, false));
        }
        let mut unpinned = s.clone();
        unpinned.pinning = Pinning::None;
        let path = self.pin_root().join(&s.name);
        for attempt in 0..2 {
            match Map::from_pin(&path) {
                Ok(map) => {
                    check_reuse_compat(&map, s, &path)?;
                    return Ok((map, true));
                }
                Err(MapError::FromPin { source, .. })
                    if source.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => return Err(map_err(e)),
            }
            let map = self.create(&unpinned)?;
            match map.pin(&path) {
                Ok(()) => {
                    self.pinned.0.push(path);
                    return Ok((map, false));
                }
                Err(MapError::Pin { source, .. })
                    if attempt == 0 && source.raw_os_error() == Some(libc::EEXIST) =>
                {
                    continue
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        Err(LoadError::IncompatiblePin {
            map: s.name.clone(),
            path,
            reason: "cannot find the pinned map".into(),
        })
    }

    /// Creates a map, retrying without BTF if the kernel refuses it with
    /// (libbpf: "Retrying without BTF").
    fn create(&mut self, s: &MapSpec) -> Result<Map, LoadError> {
        let opts = MapCreateOptions {
            pin_root: &self.opts.pin_root,
            btf_fd: self.btf.as_ref().map(|f| f.as_fd()),
            value_type_btf_obj: None,
        };
        match Map::create_with(s, &opts) {
            Ok(m) => Ok(m),
            Err(MapError::Create { .. }) if s.btf.is_some() => {
                let mut plain = s.clone();
                plain.btf = None;
                let map = Map::create_with(&plain, &opts).map_err(|source| LoadError::Map {
                    map: s.name.clone(),
                    source: Box::new(source),
                })?;
                self.warnings
                    .push(format!("map `{}`: created without BTF", s.name));
                Ok(map)
            }
            Err(source) => Err(LoadError::Map {
                map: s.name.clone(),
                source: Box::new(source),
            }),
        }
    }

    /// Resolves every struct_ops map to create against the kernel, and
    /// what each of their programs implements.
    fn plan_struct_ops(&mut self, maps: &[&StructOpsSpec]) -> Result<(), LoadError> {
        if maps.is_empty() {
            return Ok(());
        }
        let local = self.spec.btf.clone().ok_or_else(|| LoadError::StructOps {
            map: maps.first().map(|m| m.name.clone()).unwrap_or_default(),
            reason: "the object has no BTF".into(),
        })?;
        for spec in maps {
            let (plan, progs) = crate::struct_ops::plan(spec, &local, &mut self.kernel)?;
            for (prog, attach) in progs {
                match self.struct_ops_progs.iter().find(|(p, _)| *p == prog) {
                    Some((_, other)) if *other != attach => {
                        return Err(LoadError::StructOps {
                            map: spec.name.clone(),
                            reason: format!(
                                "program `{prog}` implements two different members; a struct_ops program is loaded for one"
                            ),
                        })
                    }
                    Some(_) => {}
                    None => self.struct_ops_progs.push((prog, attach)),
                }
            }
            self.struct_ops.push(plan);
        }
        Ok(())
    }

    /// `BPF_MAP_CREATE` of each struct_ops map: the kernel's
    /// `bpf_struct_ops_<type>` value, with the object's BTF (which the
    /// kernel requires).
    fn create_struct_ops_maps(&mut self) -> Result<(), LoadError> {
        let plans = std::mem::take(&mut self.struct_ops);
        let result = self.create_struct_ops_maps_of(&plans);
        self.struct_ops = plans;
        result
    }

    fn create_struct_ops_maps_of(&mut self, plans: &[StructOpsPlan]) -> Result<(), LoadError> {
        for plan in plans {
            let btf =
                match (&self.btf, &self.spec.btf) {
                    (Some(_), Some(btf)) => btf.clone(),
                    _ => return Err(LoadError::StructOps {
                        map: plan.name.clone(),
                        reason:
                            "the kernel did not load the object's BTF, which struct_ops maps need"
                                .into(),
                    }),
                };
            let mut s = MapSpec::new(
                plan.name.clone(),
                MapType::STRUCT_OPS,
                4,
                plan.value.len() as u32,
                1,
            );
            if plan.link {
                s.flags |= MapFlags::LINK;
            }
            s.btf = Some(oxbpf_maps::MapBtf::new(
                btf,
                oxbpf_btf::TypeId(0),
                oxbpf_btf::TypeId(0),
            ));
            s.btf_vmlinux_value_type_id = plan.vtype_id.get();
            let module_fd = match plan.module {
                Some(i) => self.kernel.loaded_modules().get(i).map(|m| m.fd.as_fd()),
                None => None,
            };
            let opts = MapCreateOptions {
                pin_root: &self.opts.pin_root,
                btf_fd: self.btf.as_ref().map(|f| f.as_fd()),
                value_type_btf_obj: module_fd,
            };
            let created = Map::create_with(&s, &opts);
            let map = match created {
                Ok(map) => map,
                // BPF_F_LINK struct_ops maps came in 6.4, with the kernel's
                // `struct bpf_struct_ops_link`.
                Err(MapError::Create { source, .. })
                    if plan.link
                        && source.errno() == libc::EINVAL
                        && self
                            .kernel
                            .find_vmlinux("bpf_struct_ops_link", Kind::Struct)?
                            .is_none() =>
                {
                    return Err(LoadError::StructOps {
                        map: plan.name.clone(),
                        reason: "this kernel cannot attach struct_ops maps through a bpf_link \
                                 (`.struct_ops.link` needs Linux 6.4); use `.struct_ops`"
                            .into(),
                    })
                }
                Err(source) => {
                    return Err(LoadError::Map {
                        map: plan.name.clone(),
                        source: Box::new(source),
                    })
                }
            };
            self.maps.push(LoadedMap {
                name: plan.name.clone(),
                section: None,
                map,
            });
            self.reused.push(false);
        }
        Ok(())
    }

    fn map_by_name(&self, name: &str) -> Option<(usize, &Map)> {
        self.maps
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
            .map(|(i, m)| (i, &m.map))
    }

    /// libbpf's `init_map_in_map_slots`, for maps this load created.
    fn init_map_in_map_slots(&mut self) -> Result<(), LoadError> {
        for slot in &self.spec.map_slots {
            let SlotTarget::Map(target) = &slot.target else {
                continue;
            };
            let (i, outer) = self.map_by_name(&slot.map).ok_or_else(|| {
                LoadError::InvalidSpec(format!("slot of unknown map `{}`", slot.map))
            })?;
            if self.reused.get(i).copied().unwrap_or(false) {
                continue;
            }
            let (_, inner) = self.map_by_name(target).ok_or_else(|| {
                LoadError::InvalidSpec(format!(
                    "map `{}`: slot refers to unknown map `{target}`",
                    slot.map
                ))
            })?;
            let fd = inner.as_fd().as_raw_fd() as u32;
            outer
                .update(
                    &slot.index.to_ne_bytes(),
                    &fd.to_ne_bytes(),
                    UpdateFlags::ANY,
                )
                .map_err(|source| LoadError::MapSlot {
                    map: slot.map.clone(),
                    index: slot.index,
                    target: target.clone(),
                    source: Box::new(source),
                })?;
        }
        Ok(())
    }

    /// libbpf's `bpf_object_init_prog_arrays`.
    fn init_prog_array_slots(&mut self) -> Result<(), LoadError> {
        for slot in &self.spec.map_slots {
            let SlotTarget::Program(target) = &slot.target else {
                continue;
            };
            let Some((i, map)) = self.map_by_name(&slot.map) else {
                return Err(LoadError::InvalidSpec(format!(
                    "slot of unknown map `{}`",
                    slot.map
                )));
            };
            if self.reused.get(i).copied().unwrap_or(false) {
                continue;
            }
            // A program that was not loaded (autoload off) leaves the slot
            // empty.
            let Some(prog) = self.programs.iter().find(|p| p.name() == target) else {
                continue;
            };
            let fd = prog.fd().as_raw_fd() as u32;
            map.update(
                &slot.index.to_ne_bytes(),
                &fd.to_ne_bytes(),
                UpdateFlags::ANY,
            )
            .map_err(|source| LoadError::MapSlot {
                map: slot.map.clone(),
                index: slot.index,
                target: target.clone(),
                source: Box::new(source),
            })?;
        }
        Ok(())
    }

    /// libbpf's `bpf_object__relocate_data`: map fds, global data, externs.
    fn patch(&mut self, p: &ProgramSpec, insns: &mut [Insn]) -> Result<(), LoadError> {
        let err = |insn: usize, reason: String| LoadError::Relocation {
            program: p.name.clone(),
            insn,
            reason,
        };
        for r in &p.relocations {
            let i = r.insn;
            let next_ok = insns.get(i + 1).is_some();
            let Some(insn) = insns.get(i).copied() else {
                return Err(err(i, "instruction index out of range".into()));
            };
            let ld_imm64 = insn.is_ld_imm64() && next_ok;
            match &r.target {
                RelocationTarget::Map { map } => {
                    if !ld_imm64 {
                        return Err(err(i, "map reference is not an ld_imm64".into()));
                    }
                    let (_, m) = self
                        .map_by_name(map)
                        .ok_or_else(|| err(i, format!("unknown map `{map}`")))?;
                    insns[i].src = pseudo::MAP_FD;
                    insns[i].imm = m.as_fd().as_raw_fd();
                }
                RelocationTarget::MapValue { map, offset } => {
                    if !ld_imm64 {
                        return Err(err(i, "global data reference is not an ld_imm64".into()));
                    }
                    let (_, m) = self
                        .map_by_name(map)
                        .ok_or_else(|| err(i, format!("unknown map `{map}`")))?;
                    insns[i].src = pseudo::MAP_VALUE;
                    insns[i].imm = m.as_fd().as_raw_fd();
                    insns[i + 1].imm = *offset as i32;
                }
                RelocationTarget::Extern { name } => {
                    if !ld_imm64 {
                        return Err(err(i, "extern reference is not an ld_imm64".into()));
                    }
                    let (e, ext) = self
                        .extern_by_name(name)
                        .ok_or_else(|| err(i, format!("unknown extern `{name}`")))?;
                    let v = self.externs.get(e).copied().unwrap_or_default();
                    match ext.kind {
                        ExternKind::Kconfig { offset, .. } => {
                            let map = self
                                .spec
                                .data_sections
                                .iter()
                                .find(|d| d.kind == DataSectionKind::Kconfig)
                                .and_then(|d| self.map_by_name(&d.map))
                                .ok_or_else(|| err(i, "no .kconfig map".into()))?
                                .1;
                            insns[i].src = pseudo::MAP_VALUE;
                            insns[i].imm = map.as_fd().as_raw_fd();
                            insns[i + 1].imm = offset as i32;
                        }
                        ExternKind::Ksym { type_id, .. } => {
                            if type_id.is_some() && v.is_set {
                                insns[i].src = pseudo::BTF_ID;
                                insns[i].imm = v.btf_id as i32;
                                insns[i + 1].imm = match v.origin {
                                    Some(Origin::Module(m)) => self
                                        .kernel
                                        .loaded_modules()
                                        .get(m)
                                        .map_or(0, |x| x.fd.as_raw_fd()),
                                    _ => 0,
                                };
                            } else {
                                insns[i].imm = v.addr as u32 as i32;
                                insns[i + 1].imm = (v.addr >> 32) as u32 as i32;
                            }
                        }
                    }
                }
                RelocationTarget::KfuncCall { name } => {
                    if !insn.is_call() {
                        return Err(err(i, "kfunc reference is not a call".into()));
                    }
                    let (e, _) = self
                        .extern_by_name(name)
                        .ok_or_else(|| err(i, format!("unknown extern `{name}`")))?;
                    let v = self.externs.get(e).copied().unwrap_or_default();
                    if v.is_set {
                        let idx = match v.origin {
                            Some(Origin::Module(m)) => self.assign_fd_array_index(m)?,
                            _ => 0,
                        };
                        insns[i].src = pseudo::KFUNC_CALL;
                        insns[i].imm = v.btf_id as i32;
                        insns[i].off = idx;
                    } else {
                        // libbpf's poison_kfunc_call: an invalid helper call
                        // the verifier removes as dead code (or reports).
                        insns[i] = Insn::new(
                            op::JMP | op::CALL,
                            0,
                            0,
                            0,
                            POISON_CALL_KFUNC_BASE + e as i32,
                        );
                    }
                }
                RelocationTarget::Unsupported { what } => return Err(err(i, what.clone())),
            }
        }
        Ok(())
    }

    fn extern_by_name(&self, name: &str) -> Option<(usize, &'a crate::spec::ExternSpec)> {
        self.spec
            .externs
            .iter()
            .enumerate()
            .find(|(_, e)| e.name == name)
    }

    /// libbpf's `libbpf_find_attach_btf_id` for BTF-attached programs.
    fn attach_btf(&mut self, p: &ProgramSpec) -> Result<(u32, Option<usize>), LoadError> {
        let Some(sec) = &p.section_info else {
            return Ok((0, None));
        };
        if !sec.attach_btf {
            return Ok((0, None));
        }
        let err = |target: &str, reason: &str| LoadError::AttachTarget {
            program: p.name.clone(),
            target: target.to_string(),
            reason: reason.to_string(),
        };
        if p.prog_type == ProgramType::EXT {
            return Err(err(
                p.attach_target.as_deref().unwrap_or(""),
                "freplace programs need a target program: set LoadOptions::freplace_targets",
            ));
        }
        let Some(target) = p.attach_target.as_deref() else {
            return Err(err(
                "",
                "no BTF-based attach target is specified in the section name",
            ));
        };
        let (module, name) = match target.split_once(':') {
            Some((m, n)) => (Some(m), n),
            None => (None, target),
        };
        let (prefix, kind) = match p.expected_attach_type {
            Some(AttachType::TRACE_RAW_TP) => ("btf_trace_", Kind::Typedef),
            Some(AttachType::LSM_MAC | AttachType::LSM_CGROUP) => ("bpf_lsm_", Kind::Func),
            Some(AttachType::TRACE_ITER) => ("bpf_iter_", Kind::Func),
            _ => ("", Kind::Func),
        };
        let full = format!("{prefix}{name}");
        if module.is_none() || module == Some("vmlinux") {
            if let Some(id) = self.kernel.find_vmlinux(&full, kind)? {
                return Ok((id.get(), None));
            }
        }
        for (i, m) in self.kernel.modules()?.iter().enumerate() {
            if module.is_some_and(|want| want != m.name) {
                continue;
            }
            let start = m.btf.start_id();
            if let Some(id) = m
                .btf
                .ids_by_name(&full)
                .into_iter()
                .find(|&id| id >= start && m.btf.kind(id) == Some(kind))
            {
                return Ok((id.get(), Some(i)));
            }
        }
        Err(err(
            target,
            &format!("no {} `{full}` in kernel BTF", kind.name()),
        ))
    }

    /// libbpf's `bpf_object_load_prog`.
    fn load_program(
        &mut self,
        p: &ProgramSpec,
        mut insns: Vec<Insn>,
    ) -> Result<Program, LoadError> {
        self.patch(p, &mut insns)?;
        // freplace: the target is a global function of a loaded program.
        let freplace = match p.prog_type {
            ProgramType::EXT => self
                .opts
                .freplace_targets
                .iter()
                .find(|(name, _)| *name == p.name)
                .map(|(_, target)| target.clone()),
            _ => None,
        };
        // struct_ops: the kernel struct and member this program implements.
        let struct_ops = match p.prog_type {
            ProgramType::STRUCT_OPS => Some(
                self.struct_ops_progs
                    .iter()
                    .find(|(name, _)| *name == p.name)
                    .map(|(_, a)| *a)
                    .ok_or_else(|| LoadError::StructOps {
                        map: String::new(),
                        reason: format!("program `{}` is in no struct_ops map", p.name),
                    })?,
            ),
            _ => None,
        };
        let (attach_btf_id, attach_module) = match &freplace {
            Some(target) => {
                let func = p.attach_target.as_deref().unwrap_or_default();
                let id = crate::link::function_btf_id(target, func, &p.name).map_err(|e| {
                    LoadError::AttachTarget {
                        program: p.name.clone(),
                        target: format!("{func} in program `{}`", target.name()),
                        reason: e.to_string(),
                    }
                })?;
                (id, None)
            }
            None => match struct_ops {
                Some(a) => (a.type_id.get(), a.module),
                None => self.attach_btf(p)?,
            },
        };
        let license = CString::new(p.license.as_bytes()).map_err(|_| {
            LoadError::InvalidSpec(format!("program `{}`: license contains NUL", p.name))
        })?;
        let sec = p.section_info.as_ref();
        let mut expected = p.expected_attach_type.unwrap_or_default();
        if let Some(a) = struct_ops {
            expected = AttachType::from_raw(a.member);
        }
        if sec.is_some_and(|s| s.expected_attach_type_optional)
            && !supports(Feature::ExpectedAttachType)
        {
            expected = AttachType::default();
        }
        if sec.is_some_and(|s| s.attach == AttachKind::Usdt) && supports(Feature::UprobeMultiLink) {
            expected = AttachType::TRACE_UPROBE_MULTI;
        }
        let mut flags = p.flags;
        if p.prog_type != ProgramType::XDP {
            flags.remove(ProgFlags::XDP_HAS_FRAGS);
        }
        let code = to_bpf(&insns);
        let with_btf = self.btf.is_some() && supports(Feature::BtfFunc);
        let mut func_info = Vec::new();
        let mut line_info = Vec::new();
        if with_btf {
            func_info.reserve(p.func_info.len() * 8);
            for f in &p.func_info {
                func_info.extend_from_slice(&f.insn_off.to_ne_bytes());
                func_info.extend_from_slice(&f.type_id.get().to_ne_bytes());
            }
            line_info.reserve(p.line_info.len() * 16);
            for l in &p.line_info {
                for w in [l.insn_off, l.file_name_off.0, l.line_off.0, l.line_col] {
                    line_info.extend_from_slice(&w.to_ne_bytes());
                }
            }
        }
        let name = if supports(Feature::ProgName) {
            ObjName::truncated(&p.name)
        } else {
            ObjName::default()
        };
        let log_level = self.opts.log_level;
        let log_size = self.opts.log_size.clamp(4096, MAX_LOG_SIZE);
        let prog_name = p.name.clone();
        let dup = |e: std::io::Error| LoadError::Syscall {
            what: "duplicating a module BTF fd".into(),
            source: SyscallError::from_errno(
                "F_DUPFD_CLOEXEC",
                e.raw_os_error().unwrap_or(libc::EIO),
            ),
        };
        let attach_fd = match attach_module {
            Some(m) => match self.kernel.loaded_modules().get(m) {
                Some(x) => Some(x.fd.try_clone().map_err(dup)?),
                None => None,
            },
            None => None,
        };
        let mut module_fds = Vec::new();
        for fd in self.fd_array() {
            module_fds.push(fd.try_clone_to_owned());
        }
        let module_fds = module_fds
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(dup)?;
        let fd_array: Vec<BorrowedFd<'_>> = module_fds.iter().map(|f| f.as_fd()).collect();
        let btf_fd = self.btf.as_ref().map(|f| f.as_fd());
        let args = ProgLoadArgs {
            prog_type: p.prog_type,
            insns: &code,
            license: &license,
            kern_version: p.kernel_version,
            prog_flags: flags,
            name,
            expected_attach_type: expected,
            prog_btf: if with_btf { btf_fd } else { None },
            func_info: Records {
                data: &func_info,
                rec_size: 8,
            },
            line_info: Records {
                data: &line_info,
                rec_size: 16,
            },
            attach_btf_id,
            attach_fd: attach_fd
                .as_ref()
                .map(|f| f.as_fd())
                .or(freplace.as_ref().map(|t| t.fd())),
            fd_array: &fd_array,
            ..Default::default()
        };
        let local_btf = self.spec.btf.as_deref();
        let (fd, log) = load_with_log(&args, log_level, log_size).map_err(|(log, source)| {
            // Trampoline-based programs fail with EPERM before the
            // verifier under lockdown: say so instead of a bare errno.
            if let Some(mode) = crate::features::lockdown_refusal(p.prog_type, &source) {
                return LoadError::Lockdown {
                    program: prog_name.clone(),
                    section: p.section.clone(),
                    mode,
                    source,
                };
            }
            // A poisoned CO-RE instruction the verifier reached: name the
            // relocation, as libbpf's log fixup does.
            if let Some(u) = co_re::unresolved(p, local_btf, &log) {
                return LoadError::CoreUnresolved(Box::new(CoreUnresolved {
                    program: prog_name.clone(),
                    relocation: u.relocation,
                    insn: u.insn,
                    access: u.access,
                    spec: u.spec,
                    log,
                    source,
                }));
            }
            LoadError::Program {
                program: prog_name.clone(),
                log,
                source,
            }
        })?;
        // libbpf binds .rodata maps so that they live as long as the
        // program even if it stopped referencing them.
        if supports(Feature::ProgBindMap) {
            for d in &self.spec.data_sections {
                if d.kind != DataSectionKind::Rodata {
                    continue;
                }
                if let Some((_, m)) = self.map_by_name(&d.map) {
                    let _ = sys::prog_bind_map(&fd, m);
                }
            }
        }
        Ok(Program::new(
            fd,
            prog_name,
            p.prog_type,
            Some(expected),
            (!log_level.is_empty()).then_some(log.0),
        )
        .with_origin(crate::program::Origin {
            section: p.section.clone(),
            section_info: p.section_info.clone(),
            attach_target: p.attach_target.clone(),
        }))
    }
}

/// Loads a program, with a log if asked for, or else with one only to
/// explain a failure; grows the log buffer until the whole log fits
/// (`log_true_size`, Linux 6.4+; doubling before).
fn load_with_log(
    args: &ProgLoadArgs<'_>,
    level: LogLevel,
    size: u32,
) -> Result<(OwnedFd, VerifierLog), (VerifierLog, SyscallError)> {
    if level.is_empty() {
        // On failure, retry with a log to explain it.
        if let Ok(fd) = sys::prog_load(args, None) {
            return Ok((fd, VerifierLog::default()));
        }
    }
    let level = if level.is_empty() {
        LogLevel::LEVEL1
    } else {
        level
    };
    let mut size = size as usize;
    loop {
        let mut buf = vec![0u8; size];
        let mut log = LogBuffer::new(&mut buf, level);
        let result = sys::prog_load(args, Some(&mut log));
        let truncated = log.is_truncated();
        let needed = log.true_size() as usize;
        let text = VerifierLog(log.to_string_lossy().into_owned());
        match result {
            Ok(fd) if !truncated => return Ok((fd, text)),
            Err(e) if !truncated && e.errno() != libc::ENOSPC => return Err((text, e)),
            Err(e) if size >= MAX_LOG_SIZE as usize => return Err((text, e)),
            Ok(fd) if size >= MAX_LOG_SIZE as usize => return Ok((fd, text)),
            _ => {
                size = needed
                    .max(size.saturating_mul(2))
                    .min(MAX_LOG_SIZE as usize);
            }
        }
    }
}

/// libbpf's `map_is_reuse_compat`.
fn check_reuse_compat(map: &Map, s: &MapSpec, path: &Path) -> Result<(), LoadError> {
    let i = map.info();
    let mut flags = i.flags;
    if matches!(s.map_type, MapType::DEVMAP | MapType::DEVMAP_HASH) {
        flags.remove(MapFlags::RDONLY_PROG);
    }
    let want_value = if s.value_size == 0
        && matches!(s.map_type, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS)
    {
        4
    } else {
        s.value_size
    };
    let mismatch = if i.map_type != s.map_type {
        Some(format!("type {:?} != {:?}", i.map_type, s.map_type))
    } else if i.key_size != s.key_size {
        Some(format!("key_size {} != {}", i.key_size, s.key_size))
    } else if i.value_size != want_value {
        Some(format!("value_size {} != {}", i.value_size, want_value))
    } else if i.max_entries != s.max_entries {
        Some(format!(
            "max_entries {} != {}",
            i.max_entries, s.max_entries
        ))
    } else if flags != s.flags {
        Some(format!("map_flags {:?} != {:?}", flags, s.flags))
    } else if i.map_extra != s.map_extra {
        Some(format!("map_extra {} != {}", i.map_extra, s.map_extra))
    } else {
        None
    };
    match mismatch {
        None => Ok(()),
        Some(reason) => Err(LoadError::IncompatiblePin {
            map: s.name.clone(),
            path: path.to_path_buf(),
            reason,
        }),
    }
}
