//! What the running kernel supports, probed once per process and cached
//! (libbpf's `features.c` and `libbpf_probes.c`, cilium/ebpf's `features`).
//!
//! Each probe makes the smallest request that only a kernel with the
//! feature accepts (a BTF blob with one `FLOAT`, a program calling one
//! helper, a link on an invalid target that only a kernel knowing the
//! attach type rejects with `EBADF`, ...) and closes whatever it created.
//!
//! - [`supports`] answers for the named [`Feature`]s the loader adapts to;
//! - [`program_type`], [`map_type`], [`helper`], [`link_type`] and
//!   [`btf_kind`] answer for any kernel enumeration value;
//! - [`limits`] reports the verifier's limits and ISA extensions;
//! - [`lockdown`] reads the kernel lockdown mode, which explains `EPERM`s
//!   that no capability can lift.
//!
//! Every answer is cached for the life of the process. A probe that cannot
//! run at all (no `bpf(2)`, no privileges) answers `false`.
//!
//! ```no_run
//! use oxbpf_loader::features::{self, supports, Feature};
//! use oxbpf_sys::{LinkType, ProgramType};
//! if !supports(Feature::BtfEnum64) {
//!     println!("this kernel predates BTF_KIND_ENUM64 (6.0)");
//! }
//! assert!(features::program_type(ProgramType::XDP));
//! if features::helper(ProgramType::XDP, 51) == Some(true) { // bpf_redirect_map
//!     println!("XDP programs may redirect through maps");
//! }
//! println!("perf links: {}", features::link_type(LinkType::PERF_EVENT));
//! println!("instructions per program: {}", features::limits().max_insns);
//! ```
//!
//! # Minimum kernel version
//!
//! Probing needs `bpf(2)` (3.18); a kernel without it supports nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use oxbpf_btf::Kind;
use oxbpf_sys::{
    self as sys, AttachTarget, AttachType, BpfInsn, LinkCreateArgs, LinkExtra, LinkType, LogBuffer,
    LogLevel, MapCreateArgs, MapFd, MapFlags, MapType, ObjName, ProgFlags, ProgLoadArgs,
    ProgramType, SyscallError,
};

use crate::insn::{op, Insn, Reg};

/// A kernel feature the loader adapts to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// Program and map names (4.15).
    ProgName,
    /// Global data: `BPF_PSEUDO_MAP_VALUE` (5.2).
    GlobalData,
    /// `BPF_BTF_LOAD` (4.18).
    Btf,
    /// `BTF_KIND_FUNC` and `FUNC_PROTO` (5.0).
    BtfFunc,
    /// Global `FUNC` linkage (5.6).
    BtfGlobalFunc,
    /// `BTF_KIND_VAR` and `DATASEC` (5.2).
    BtfDatasec,
    /// DATASEC names starting with `?` (6.9).
    BtfQmarkDatasec,
    /// `BTF_KIND_FLOAT` (5.13).
    BtfFloat,
    /// `BTF_KIND_DECL_TAG` (5.16).
    BtfDeclTag,
    /// `BTF_KIND_TYPE_TAG` (5.17).
    BtfTypeTag,
    /// `BTF_KIND_ENUM64` (6.0).
    BtfEnum64,
    /// The BTF layout section (kinds described by size).
    BtfLayout,
    /// `BPF_F_MMAPABLE` array maps (5.5).
    ArrayMmap,
    /// `expected_attach_type` at load time (4.17).
    ExpectedAttachType,
    /// `bpf_probe_read_kernel` (5.5).
    ProbeReadKernel,
    /// `BPF_PROG_BIND_MAP` (5.10).
    ProgBindMap,
    /// `bpf_get_attach_cookie` (5.15).
    BpfCookie,
    /// Syscalls entered through `__<arch>_sys_*` wrappers (4.17 on x86).
    SyscallWrapper,
    /// `BPF_TRACE_UPROBE_MULTI` links, with the process (not thread) PID
    /// filter fixed (6.6; libbpf's `probe_uprobe_multi_link`).
    UprobeMultiLink,
    /// `BPF_LINK_CREATE` for perf events: tracepoints, kprobes, uprobes
    /// and perf events attached by bpf_link (5.15).
    PerfLink,
    /// `BPF_TRACE_KPROBE_MULTI` links (5.18, with `CONFIG_FPROBE`).
    KprobeMultiLink,
    /// A BPF cookie on raw tracepoint links (6.10).
    RawTracepointCookie,
}

const FEATURE_COUNT: usize = 22;

impl Feature {
    fn index(self) -> usize {
        self as usize
    }

    /// Every feature.
    pub const ALL: [Feature; FEATURE_COUNT] = [
        Feature::ProgName,
        Feature::GlobalData,
        Feature::Btf,
        Feature::BtfFunc,
        Feature::BtfGlobalFunc,
        Feature::BtfDatasec,
        Feature::BtfQmarkDatasec,
        Feature::BtfFloat,
        Feature::BtfDeclTag,
        Feature::BtfTypeTag,
        Feature::BtfEnum64,
        Feature::BtfLayout,
        Feature::ArrayMmap,
        Feature::ExpectedAttachType,
        Feature::ProbeReadKernel,
        Feature::ProgBindMap,
        Feature::BpfCookie,
        Feature::SyscallWrapper,
        Feature::UprobeMultiLink,
        Feature::PerfLink,
        Feature::KprobeMultiLink,
        Feature::RawTracepointCookie,
    ];
}

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

static CACHE: [AtomicU8; FEATURE_COUNT] = [const { AtomicU8::new(UNKNOWN) }; FEATURE_COUNT];

/// Whether the running kernel supports `feature`: probed on first use,
/// then cached for the life of the process.
pub fn supports(feature: Feature) -> bool {
    let slot = &CACHE[feature.index()];
    match slot.load(Ordering::Acquire) {
        YES => true,
        NO => false,
        _ => {
            let ok = probe(feature);
            slot.store(if ok { YES } else { NO }, Ordering::Release);
            ok
        }
    }
}

fn probe(feature: Feature) -> bool {
    match feature {
        Feature::ProgName => load(ProgramType::SOCKET_FILTER, &ret0(), |a| {
            a.name = ObjName::truncated("libbpf_nametest");
        }),
        Feature::GlobalData => probe_global_data(),
        Feature::Btf => btf(&[int_enc(1, 1, 32, 4)].concat(), b"\0int\0"),
        Feature::BtfFunc => btf(
            &[
                int_enc(1, 1, 32, 4),
                vec![0, info(13, 0, 1), 0, 7, 1],
                vec![5, info(12, 0, 0), 2],
            ]
            .concat(),
            b"\0int\0x\0a\0",
        ),
        Feature::BtfGlobalFunc => btf(
            &[
                int_enc(1, 1, 32, 4),
                vec![0, info(13, 0, 1), 0, 7, 1],
                vec![5, info(12, 0, 1), 2],
            ]
            .concat(),
            b"\0int\0x\0a\0",
        ),
        Feature::BtfDatasec => btf(&datasec_types(), b"\0x\0.data\0"),
        Feature::BtfQmarkDatasec => btf(&datasec_types(), b"\0x\0?.data\0"),
        Feature::BtfFloat => btf(&[1, info(16, 0, 0), 4], b"\0float\0"),
        Feature::BtfDeclTag => btf(
            &[
                int_enc(0, 1, 32, 4),
                vec![1, info(14, 0, 0), 1, 0],
                vec![1, info(17, 0, 0), 2, u32::MAX],
            ]
            .concat(),
            b"\0tag\0",
        ),
        Feature::BtfTypeTag => btf(
            &[
                int_enc(0, 1, 32, 4),
                vec![1, info(18, 0, 0), 1],
                vec![0, info(2, 0, 0), 2],
            ]
            .concat(),
            b"\0tag\0",
        ),
        Feature::BtfEnum64 => btf(&[1, info(19, 0, 0), 8], b"\0enum64\0"),
        Feature::BtfLayout => probe_btf_layout(),
        Feature::ArrayMmap => map(MapType::ARRAY, 4, 4, MapFlags::MMAPABLE),
        Feature::ExpectedAttachType => load(ProgramType::CGROUP_SOCK, &ret0(), |a| {
            a.expected_attach_type = AttachType::CGROUP_INET_SOCK_CREATE;
        }),
        Feature::ProbeReadKernel => {
            let prog = [
                Insn::mov64_reg(Reg::R1, Reg::R10),
                Insn::alu64_imm(crate::insn::op::ADD, Reg::R1, -8),
                Insn::mov64_imm(Reg::R2, 8),
                Insn::mov64_imm(Reg::R3, 0),
                Insn::call_helper(113), // bpf_probe_read_kernel
                Insn::exit(),
            ];
            load(ProgramType::TRACEPOINT, &prog, |_| {})
        }
        Feature::ProgBindMap => probe_prog_bind_map(),
        Feature::BpfCookie => {
            let prog = [Insn::call_helper(174), Insn::exit()]; // bpf_get_attach_cookie
            load(ProgramType::TRACEPOINT, &prog, |_| {})
        }
        Feature::SyscallWrapper => probe_syscall_wrapper(),
        Feature::UprobeMultiLink => probe_uprobe_multi_link(),
        Feature::PerfLink => probe_perf_link(),
        Feature::KprobeMultiLink => probe_kprobe_multi_link(),
        Feature::RawTracepointCookie => probe_raw_tp_cookie(),
    }
}

/// `r0 = 0; exit`
fn ret0() -> [Insn; 2] {
    [Insn::mov64_imm(Reg::R0, 0), Insn::exit()]
}

pub(crate) fn to_bpf(insns: &[Insn]) -> Vec<BpfInsn> {
    insns
        .iter()
        .map(|i| BpfInsn::new(i.code, i.dst, i.src, i.off, i.imm))
        .collect()
}

fn load(prog_type: ProgramType, insns: &[Insn], f: impl FnOnce(&mut ProgLoadArgs<'_>)) -> bool {
    let insns = to_bpf(insns);
    let mut args = ProgLoadArgs {
        prog_type,
        insns: &insns,
        license: c"GPL",
        ..Default::default()
    };
    f(&mut args);
    sys::prog_load(&args, None).is_ok()
}

fn map(map_type: MapType, key: u32, value: u32, flags: MapFlags) -> bool {
    let args = MapCreateArgs {
        map_type,
        key_size: key,
        value_size: value,
        max_entries: 1,
        map_flags: flags,
        ..Default::default()
    };
    MapFd::create(&args).is_ok()
}

fn probe_global_data() -> bool {
    let args = MapCreateArgs {
        map_type: MapType::ARRAY,
        key_size: 4,
        value_size: 32,
        max_entries: 1,
        name: ObjName::truncated("libbpf_global"),
        ..Default::default()
    };
    let Ok(map) = MapFd::create(&args) else {
        return false;
    };
    use std::os::fd::{AsFd, AsRawFd};
    let [l0, l1] = Insn::ld_map_value(Reg::R1, map.as_fd().as_raw_fd(), 16);
    let prog = [
        l0,
        l1,
        Insn::st(crate::insn::op::DW, Reg::R1, 0, 42),
        Insn::mov64_imm(Reg::R0, 0),
        Insn::exit(),
    ];
    load(ProgramType::SOCKET_FILTER, &prog, |_| {})
}

fn probe_prog_bind_map() -> bool {
    let args = MapCreateArgs {
        map_type: MapType::ARRAY,
        key_size: 4,
        value_size: 32,
        max_entries: 1,
        name: ObjName::truncated("libbpf_det_bind"),
        ..Default::default()
    };
    let Ok(map) = MapFd::create(&args) else {
        return false;
    };
    let insns = to_bpf(&ret0());
    let load_args = ProgLoadArgs {
        prog_type: ProgramType::SOCKET_FILTER,
        insns: &insns,
        license: c"GPL",
        ..Default::default()
    };
    let Ok(prog) = sys::prog_load(&load_args, None) else {
        return false;
    };
    sys::prog_bind_map(&prog, &map).is_ok()
}

/// libbpf's `probe_kern_syscall_wrapper`: whether `__<arch>_sys_bpf`
/// exists. libbpf tries to create a kprobe on it; without a kprobe PMU
/// (and outside of tracefs' legacy interface) it reports no wrapper, and
/// so does this probe. With one, the symbol's presence in
/// `/proc/kallsyms` decides.
fn probe_syscall_wrapper() -> bool {
    let prefix = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "s390x" => "s390x",
        "arm" => "arm",
        "mips64" => "mips64",
        "powerpc64" => "powerpc",
        "riscv64" => "riscv",
        "loongarch64" => "loongarch",
        _ => return false,
    };
    let kprobes = std::path::Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
        || std::path::Path::new("/sys/kernel/tracing/kprobe_events").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/kprobe_events").exists();
    if !kprobes {
        return false;
    }
    let wanted = format!("__{prefix}_sys_bpf");
    std::fs::read_to_string("/proc/kallsyms").is_ok_and(|text| {
        text.lines()
            .any(|l| l.split_whitespace().nth(2) == Some(wanted.as_str()))
    })
}

fn probe_btf_layout() -> bool {
    // int, with a two-entry layout section (kinds 0 and 1).
    let types = int_enc(1, 1, 32, 4);
    let strs = b"\0int\0";
    let mut blob = header(
        32,
        types.len() * 4 + 8,
        strs.len(),
        Some((types.len() * 4, 8)),
    );
    for w in &types {
        blob.extend_from_slice(&w.to_ne_bytes());
    }
    blob.extend_from_slice(&[0, 0, 0, 0, 4, 0, 0, 0]);
    blob.extend_from_slice(strs);
    sys::btf_load(&blob, None, None).is_ok()
}

/// `BTF_INFO_ENC`
const fn info(kind: u32, kflag: u32, vlen: u32) -> u32 {
    (kflag << 31) | (kind << 24) | vlen
}

/// `BTF_TYPE_INT_ENC`
fn int_enc(name: u32, encoding: u32, bits: u32, size: u32) -> Vec<u32> {
    vec![name, info(1, 0, 0), size, (encoding << 24) | bits]
}

fn datasec_types() -> Vec<u32> {
    [
        int_enc(0, 1, 32, 4),
        vec![1, info(14, 0, 0), 1, 0],
        vec![3, info(15, 0, 1), 4, 2, 0, 4],
    ]
    .concat()
}

/// A BTF header; `str_off` follows the types (and layout).
fn header(
    hdr_len: u32,
    types_and_layout: usize,
    strs: usize,
    layout: Option<(usize, usize)>,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(hdr_len as usize);
    h.extend_from_slice(&oxbpf_btf::BTF_MAGIC.to_ne_bytes());
    h.push(1);
    h.push(0);
    h.extend_from_slice(&hdr_len.to_ne_bytes());
    let type_len = layout.map_or(types_and_layout, |(t, _)| t) as u32;
    h.extend_from_slice(&0u32.to_ne_bytes());
    h.extend_from_slice(&type_len.to_ne_bytes());
    h.extend_from_slice(&(types_and_layout as u32).to_ne_bytes());
    h.extend_from_slice(&(strs as u32).to_ne_bytes());
    if let Some((off, len)) = layout {
        h.extend_from_slice(&(off as u32).to_ne_bytes());
        h.extend_from_slice(&(len as u32).to_ne_bytes());
    }
    h
}

/// Loads raw BTF made of `types` words and `strs`.
fn btf(types: &[u32], strs: &[u8]) -> bool {
    let mut blob = header(24, types.len() * 4, strs.len(), None);
    for w in types {
        blob.extend_from_slice(&w.to_ne_bytes());
    }
    blob.extend_from_slice(strs);
    sys::btf_load(&blob, None, None).is_ok()
}

// ---------------------------------------------------------------------------
// Link probes behind `Feature`s.

/// Loads a program, returning its fd.
fn load_fd(
    prog_type: ProgramType,
    insns: &[Insn],
    f: impl FnOnce(&mut ProgLoadArgs<'_>),
) -> Result<std::os::fd::OwnedFd, SyscallError> {
    let insns = to_bpf(insns);
    let mut args = ProgLoadArgs {
        prog_type,
        insns: &insns,
        license: c"GPL",
        ..Default::default()
    };
    f(&mut args);
    sys::prog_load(&args, None)
}

/// `BPF_LINK_CREATE`: `Ok` if a link was created (and closed again), the
/// errno otherwise.
fn link_errno(args: &LinkCreateArgs<'_>) -> Result<(), i32> {
    sys::link_create(args).map(drop).map_err(|e| e.errno())
}

/// `-1` as a target fd: the kernel answers `EBADF` once it knows the
/// attach type well enough to look the target up.
const BAD_TARGET: Option<AttachTarget<'static>> = Some(AttachTarget::Ifindex(u32::MAX));

/// libbpf's `probe_perf_link`: a perf-event link on fd -1 fails with
/// `EBADF` where such links exist, `EINVAL` before.
fn probe_perf_link() -> bool {
    use std::os::fd::AsFd;
    let Ok(prog) = load_fd(ProgramType::TRACEPOINT, &ret0(), |_| {}) else {
        return false;
    };
    link_errno(&LinkCreateArgs {
        prog: prog.as_fd(),
        target: BAD_TARGET,
        attach_type: AttachType::PERF_EVENT,
        flags: 0,
        extra: LinkExtra::PerfEvent { bpf_cookie: 0 },
    }) == Err(libc::EBADF)
}

/// libbpf's `probe_uprobe_multi_link`: a uprobe_multi link on the binary
/// `/` fails with `EBADF`; with PID -1 it must fail earlier with `EINVAL`
/// (kernels whose PID filter matched threads instead of processes fail
/// with `ESRCH` later, and libbpf treats them as unsupported).
fn probe_uprobe_multi_link() -> bool {
    use std::os::fd::AsFd;
    let Ok(prog) = load_fd(ProgramType::KPROBE, &ret0(), |a| {
        a.expected_attach_type = AttachType::TRACE_UPROBE_MULTI;
    }) else {
        return false;
    };
    let offsets = [0u64];
    let args = |pid: u32| LinkCreateArgs {
        prog: prog.as_fd(),
        target: None,
        attach_type: AttachType::TRACE_UPROBE_MULTI,
        flags: 0,
        extra: LinkExtra::UprobeMulti {
            path: c"/",
            offsets: &offsets,
            ref_ctr_offsets: &[],
            cookies: &[],
            flags: Default::default(),
            pid,
        },
    };
    link_errno(&args(0)) == Err(libc::EBADF) && link_errno(&args(u32::MAX)) == Err(libc::EINVAL)
}

/// A kprobe_multi link on a function that does not exist fails with
/// `ENOENT` where the kernel can build such links, `EOPNOTSUPP` without
/// `CONFIG_FPROBE`, `EINVAL` before 5.18.
fn probe_kprobe_multi_link() -> bool {
    use std::os::fd::AsFd;
    let Ok(prog) = load_fd(ProgramType::KPROBE, &ret0(), |a| {
        a.expected_attach_type = AttachType::TRACE_KPROBE_MULTI;
    }) else {
        return false;
    };
    let syms = [c"oxbpf_probe_no_such_function"];
    matches!(
        link_errno(&LinkCreateArgs {
            prog: prog.as_fd(),
            target: None,
            attach_type: AttachType::TRACE_KPROBE_MULTI,
            flags: 0,
            extra: LinkExtra::KprobeMulti {
                flags: Default::default(),
                syms: &syms,
                addrs: &[],
                cookies: &[],
            },
        }),
        Ok(()) | Err(libc::ENOENT) | Err(libc::ESRCH)
    )
}

/// `BPF_RAW_TRACEPOINT_OPEN` with a cookie on a tracepoint that does not
/// exist: `ENOENT` once the kernel knows the `cookie` field, `EINVAL`
/// (non-zero unknown attr bytes) before 6.10.
fn probe_raw_tp_cookie() -> bool {
    let Ok(prog) = load_fd(ProgramType::RAW_TRACEPOINT, &ret0(), |_| {}) else {
        return false;
    };
    matches!(
        sys::raw_tracepoint_open(Some(c"oxbpf_probe_no_such_tp"), &prog, 1).map_err(|e| e.errno()),
        Ok(_) | Err(libc::ENOENT)
    )
}

// ---------------------------------------------------------------------------
// Probes for any kernel enumeration value, cached per value.

type Cache<K> = Mutex<BTreeMap<K, bool>>;

fn cached<K: Ord + Copy>(cache: &Cache<K>, key: K, probe: impl FnOnce() -> bool) -> bool {
    if let Some(&v) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return v;
    }
    // Probe without holding the lock (probes may call each other).
    let v = probe();
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, v);
    v
}

/// The log message that proves the kernel knows a program type it cannot
/// load without a real target (libbpf's `probe_prog_load`).
fn btf_target_probe(prog_type: ProgramType) -> Option<(AttachType, &'static str)> {
    match prog_type {
        ProgramType::TRACING => Some((
            AttachType::TRACE_FENTRY,
            "attach_btf_id 1 is not a function",
        )),
        ProgramType::LSM => Some((
            AttachType::MODIFY_RETURN,
            "attach_btf_id 1 is not a function",
        )),
        ProgramType::EXT => Some((AttachType::default(), "Cannot replace kernel functions")),
        _ => None,
    }
}

/// How to load a minimal program of `prog_type` (libbpf's
/// `probe_prog_load`); `None` for program types this crate does not know.
fn prog_probe_args(prog_type: ProgramType, a: &mut ProgLoadArgs<'_>) -> Option<()> {
    match prog_type {
        ProgramType::CGROUP_SOCK_ADDR => a.expected_attach_type = AttachType::CGROUP_INET4_CONNECT,
        ProgramType::CGROUP_SOCKOPT => a.expected_attach_type = AttachType::CGROUP_GETSOCKOPT,
        ProgramType::SK_LOOKUP => a.expected_attach_type = AttachType::SK_LOOKUP,
        ProgramType::KPROBE => a.kern_version = crate::kconfig::kernel_version().unwrap_or(0),
        ProgramType::LIRC_MODE2 => a.expected_attach_type = AttachType::LIRC_MODE2,
        ProgramType::SYSCALL => a.prog_flags = ProgFlags::SLEEPABLE,
        ProgramType::NETFILTER => a.expected_attach_type = AttachType::NETFILTER,
        ProgramType::TRACING | ProgramType::LSM | ProgramType::EXT => {
            let (attach, _) = btf_target_probe(prog_type)?;
            a.expected_attach_type = attach;
            a.attach_btf_id = 1;
        }
        ProgramType::SOCKET_FILTER
        | ProgramType::SCHED_CLS
        | ProgramType::SCHED_ACT
        | ProgramType::TRACEPOINT
        | ProgramType::XDP
        | ProgramType::PERF_EVENT
        | ProgramType::CGROUP_SKB
        | ProgramType::CGROUP_SOCK
        | ProgramType::LWT_IN
        | ProgramType::LWT_OUT
        | ProgramType::LWT_XMIT
        | ProgramType::SOCK_OPS
        | ProgramType::SK_SKB
        | ProgramType::CGROUP_DEVICE
        | ProgramType::SK_MSG
        | ProgramType::RAW_TRACEPOINT
        | ProgramType::RAW_TRACEPOINT_WRITABLE
        | ProgramType::LWT_SEG6LOCAL
        | ProgramType::SK_REUSEPORT
        | ProgramType::FLOW_DISSECTOR
        | ProgramType::CGROUP_SYSCTL
        | ProgramType::STRUCT_OPS => {}
        _ => return None,
    }
    Some(())
}

/// Loads `insns` as a minimal program of `prog_type` with a level-1 log.
/// `Ok` if it loaded; otherwise the errno and the log.
fn probe_load(prog_type: ProgramType, insns: &[Insn]) -> Option<Result<(), (i32, String)>> {
    let code = to_bpf(insns);
    let mut args = ProgLoadArgs {
        prog_type,
        insns: &code,
        license: c"GPL",
        ..Default::default()
    };
    prog_probe_args(prog_type, &mut args)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
    let result = sys::prog_load(&args, Some(&mut log));
    let text = log.to_string_lossy().into_owned();
    Some(result.map(drop).map_err(|e| (e.errno(), text)))
}

/// The `EPERM` a locked-down kernel gives trampoline-based programs
/// (`fentry`, `fexit`, `fmod_ret`, `freplace`, `lsm`) before the verifier
/// runs: it proves the type is known, so it counts as support.
fn lockdown_eperm(prog_type: ProgramType, errno: i32) -> bool {
    errno == libc::EPERM
        && matches!(
            prog_type,
            ProgramType::TRACING | ProgramType::LSM | ProgramType::EXT
        )
        && lockdown().is_active()
        && privileged()
}

/// Whether this process has the capabilities that lift every BPF
/// permission check but lockdown's: `CAP_SYS_ADMIN`, or `CAP_BPF` with
/// `CAP_PERFMON` (from `CapEff` in `/proc/self/status`). An `EPERM` seen
/// by such a process comes from lockdown, not from missing privileges.
pub(crate) fn privileged() -> bool {
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    const CAP_BPF: u32 = 39;
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let Some(caps) = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    else {
        return false;
    };
    let has = |cap: u32| caps & (1 << cap) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

/// Whether the kernel supports programs of type `prog_type`
/// (`BPF_PROG_TYPE_*`), probed as libbpf's `libbpf_probe_bpf_prog_type`
/// does: a program returning 0 (with the expected attach type the type
/// needs); `TRACING`, `LSM` and `EXT`, which cannot load without a real
/// target, count as supported when the verifier names the bogus target.
///
/// Under kernel lockdown `TRACING`, `LSM` and `EXT` programs whose target
/// is a kernel function cannot be loaded at all, but the type exists: this
/// returns `true` for them; see [`lockdown`].
pub fn program_type(prog_type: ProgramType) -> bool {
    static CACHE: Cache<u32> = Mutex::new(BTreeMap::new());
    cached(&CACHE, prog_type.as_raw(), || {
        let Some(result) = probe_load(prog_type, &ret0()) else {
            return false;
        };
        match (result, btf_target_probe(prog_type)) {
            (Ok(()), None) => true,
            (Err((errno, _)), Some(_)) if lockdown_eperm(prog_type, errno) => true,
            (Err((libc::EINVAL, log)), Some((_, msg))) => log.contains(msg),
            (Err((errno, _)), None) if prog_type == ProgramType::STRUCT_OPS => {
                errno == crate::link::ENOTSUPP
            }
            _ => false,
        }
    })
}

/// Whether the kernel supports maps of type `map_type` (`BPF_MAP_TYPE_*`),
/// probed as libbpf's `libbpf_probe_bpf_map_type` does: creating the
/// smallest such map.
pub fn map_type(map_type: MapType) -> bool {
    static CACHE: Cache<u32> = Mutex::new(BTreeMap::new());
    cached(&CACHE, map_type.as_raw(), || probe_map_type(map_type))
}

fn probe_map_type(map_type: MapType) -> bool {
    use std::os::fd::AsFd;
    let mut args = MapCreateArgs {
        map_type,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        ..Default::default()
    };
    let mut expect_enotsupp = false;
    let mut local_storage = false;
    match map_type {
        MapType::STACK_TRACE => args.value_size = 8,
        MapType::LPM_TRIE => {
            args.key_size = 8;
            args.value_size = 8;
            args.map_flags = MapFlags::NO_PREALLOC;
        }
        MapType::CGROUP_STORAGE | MapType::PERCPU_CGROUP_STORAGE => {
            args.key_size = 16; // struct bpf_cgroup_storage_key (with padding)
            args.value_size = 8;
            args.max_entries = 0;
        }
        MapType::QUEUE | MapType::STACK => args.key_size = 0,
        MapType::SK_STORAGE
        | MapType::INODE_STORAGE
        | MapType::TASK_STORAGE
        | MapType::CGRP_STORAGE => {
            local_storage = true;
            args.btf_key_type_id = 1;
            args.btf_value_type_id = 3;
            args.value_size = 8;
            args.max_entries = 0;
            args.map_flags = MapFlags::NO_PREALLOC;
        }
        MapType::RINGBUF | MapType::USER_RINGBUF => {
            args.key_size = 0;
            args.value_size = 0;
            args.max_entries = sys::page_size() as u32;
        }
        MapType::STRUCT_OPS => {
            // An invalid vmlinux value type: ENOTSUPP where the map type
            // exists.
            args.btf_vmlinux_value_type_id = 1;
            expect_enotsupp = true;
        }
        MapType::BLOOM_FILTER => args.key_size = 0,
        MapType::ARENA => {
            args.key_size = 0;
            args.value_size = 0;
            args.map_flags = MapFlags::MMAPABLE;
        }
        MapType::HASH
        | MapType::ARRAY
        | MapType::PROG_ARRAY
        | MapType::PERF_EVENT_ARRAY
        | MapType::PERCPU_HASH
        | MapType::PERCPU_ARRAY
        | MapType::CGROUP_ARRAY
        | MapType::LRU_HASH
        | MapType::LRU_PERCPU_HASH
        | MapType::ARRAY_OF_MAPS
        | MapType::HASH_OF_MAPS
        | MapType::DEVMAP
        | MapType::DEVMAP_HASH
        | MapType::SOCKMAP
        | MapType::CPUMAP
        | MapType::XSKMAP
        | MapType::SOCKHASH
        | MapType::REUSEPORT_SOCKARRAY => {}
        _ => return false,
    }
    let btf_fd = if local_storage {
        // int; struct bpf_spin_lock { int val; }; struct val { int cnt;
        // struct bpf_spin_lock l; } (libbpf's load_local_storage_btf).
        let types = [
            int_enc(0, 1, 32, 4),
            vec![1, info(4, 0, 1), 4, 15, 1, 0],
            vec![15, info(4, 0, 2), 8, 19, 1, 0, 23, 2, 32],
        ]
        .concat();
        match btf_fd(&types, b"\0bpf_spin_lock\0val\0cnt\0l\0") {
            Some(fd) => Some(fd),
            None => return false,
        }
    } else {
        None
    };
    args.btf = btf_fd.as_ref().map(|f| f.as_fd());
    let inner = if matches!(map_type, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS) {
        let inner_args = MapCreateArgs {
            map_type: MapType::HASH,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            ..Default::default()
        };
        match MapFd::create(&inner_args) {
            Ok(m) => Some(m),
            Err(_) => return false,
        }
    } else {
        None
    };
    args.inner_map = inner.as_ref().map(|m| m.as_fd());
    match MapFd::create(&args) {
        Ok(_) => !expect_enotsupp,
        Err(e) => expect_enotsupp && e.errno() == crate::link::ENOTSUPP,
    }
}

/// Whether programs of type `prog_type` may call helper `helper_id`
/// (`BPF_FUNC_*`, see [`HELPER_NAMES`](crate::HELPER_NAMES)), probed as
/// libbpf's `libbpf_probe_bpf_helper` does: a program that only calls the
/// helper is loaded and the verifier's complaint, if any, is read.
///
/// `None` when it cannot be told: the program type is not supported, or
/// it is `TRACING`, `LSM`, `EXT` or `STRUCT_OPS`, whose programs cannot be
/// loaded without a real attach target.
pub fn helper(prog_type: ProgramType, helper_id: u32) -> Option<bool> {
    static CACHE: Mutex<BTreeMap<(u32, u32), Option<bool>>> = Mutex::new(BTreeMap::new());
    let key = (prog_type.as_raw(), helper_id);
    if let Some(&v) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return v;
    }
    let v = probe_helper(prog_type, helper_id);
    CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, v);
    v
}

fn probe_helper(prog_type: ProgramType, helper_id: u32) -> Option<bool> {
    if matches!(
        prog_type,
        ProgramType::TRACING | ProgramType::LSM | ProgramType::EXT | ProgramType::STRUCT_OPS
    ) || !program_type(prog_type)
    {
        return None;
    }
    let id = i32::try_from(helper_id).ok()?;
    let insns = [Insn::call_helper(id), Insn::exit()];
    match probe_load(prog_type, &insns)? {
        Ok(()) => Some(true),
        Err((_, log)) => Some(
            !(log.contains("invalid func ")
                || log.contains("unknown func ")
                || log.contains("program of this type cannot use helper ")),
        ),
    }
}

/// Whether the kernel can create bpf_links of type `link_type`
/// (`BPF_LINK_TYPE_*`).
///
/// Each probe asks for a link of that type on an invalid target, where the
/// kernel's answer tells whether it knows the attach type (`EBADF` or
/// `ENODEV` for the missing target rather than `EINVAL` for the attach
/// type); tracing and iterator links are created for real on a harmless
/// target (`sched_switch`, the `bpf_map` iterator) and closed at once.
/// `XDP` links cannot be told apart that way without attaching to a real
/// interface: their support is inferred from `SK_LOOKUP` programs, which
/// came with them in 5.9. `STRUCT_OPS` links are not probed (they need a
/// struct_ops map of a kernel type) and answer `false`.
pub fn link_type(link_type: LinkType) -> bool {
    static CACHE: Cache<u32> = Mutex::new(BTreeMap::new());
    cached(&CACHE, link_type.as_raw(), || probe_link_type(link_type))
}

fn probe_link_type(link_type: LinkType) -> bool {
    use std::os::fd::AsFd;
    // (program type, expected attach type, link attach type, target, extra)
    let on_target = |prog_type: ProgramType,
                     attach: AttachType,
                     target: Option<AttachTarget<'static>>,
                     ok: &[i32]|
     -> bool {
        let Ok(prog) = load_fd(prog_type, &ret0(), |a| a.expected_attach_type = attach) else {
            return false;
        };
        match link_errno(&LinkCreateArgs {
            prog: prog.as_fd(),
            target,
            attach_type: attach,
            flags: 0,
            extra: LinkExtra::None,
        }) {
            Ok(()) => true,
            Err(e) => ok.contains(&e),
        }
    };
    let no_dev = Some(AttachTarget::Ifindex(u32::MAX));
    match link_type {
        LinkType::RAW_TRACEPOINT => {
            let Ok(prog) = load_fd(ProgramType::RAW_TRACEPOINT, &ret0(), |_| {}) else {
                return false;
            };
            matches!(
                sys::raw_tracepoint_open(Some(c"oxbpf_probe_no_such_tp"), &prog, 0)
                    .map_err(|e| e.errno()),
                Ok(_) | Err(libc::ENOENT)
            )
        }
        LinkType::TRACING => probe_btf_link("btf_trace_sched_switch", Kind::Typedef, false),
        LinkType::ITER => probe_btf_link("bpf_iter_bpf_map", Kind::Func, true),
        LinkType::CGROUP => on_target(
            ProgramType::CGROUP_SKB,
            AttachType::CGROUP_INET_INGRESS,
            BAD_TARGET,
            &[libc::EBADF],
        ),
        LinkType::NETNS => on_target(
            ProgramType::FLOW_DISSECTOR,
            AttachType::FLOW_DISSECTOR,
            BAD_TARGET,
            &[libc::EBADF],
        ),
        // An XDP link on a missing device is EINVAL whether or not the
        // kernel has XDP links, and probing on a real device would attach
        // to it: inferred from SK_LOOKUP programs, merged in the same
        // release (5.9).
        LinkType::XDP => program_type(ProgramType::SK_LOOKUP),
        LinkType::PERF_EVENT => supports(Feature::PerfLink),
        LinkType::KPROBE_MULTI => supports(Feature::KprobeMultiLink),
        LinkType::UPROBE_MULTI => supports(Feature::UprobeMultiLink),
        LinkType::TCX => on_target(
            ProgramType::SCHED_CLS,
            AttachType::TCX_INGRESS,
            no_dev,
            &[libc::ENODEV],
        ),
        LinkType::NETKIT => on_target(
            ProgramType::SCHED_CLS,
            AttachType::NETKIT_PRIMARY,
            no_dev,
            &[libc::ENODEV],
        ),
        LinkType::SOCKMAP => on_target(
            ProgramType::SK_SKB,
            AttachType::SK_SKB_STREAM_VERDICT,
            BAD_TARGET,
            &[libc::EBADF],
        ),
        LinkType::NETFILTER => {
            let Ok(prog) = load_fd(ProgramType::NETFILTER, &ret0(), |a| {
                a.expected_attach_type = AttachType::NETFILTER
            }) else {
                return false;
            };
            // An invalid protocol family: EAFNOSUPPORT once the kernel
            // builds netfilter links.
            matches!(
                link_errno(&LinkCreateArgs {
                    prog: prog.as_fd(),
                    target: None,
                    attach_type: AttachType::NETFILTER,
                    flags: 0,
                    extra: LinkExtra::Netfilter {
                        pf: 255,
                        hooknum: 0,
                        priority: 0,
                        flags: Default::default(),
                    },
                }),
                Ok(()) | Err(libc::EAFNOSUPPORT)
            )
        }
        _ => false,
    }
}

/// Creates a tracing (`tp_btf/sched_switch`) or iterator (`iter/bpf_map`)
/// link for real and closes it.
fn probe_btf_link(name: &str, kind: Kind, iter: bool) -> bool {
    use std::os::fd::AsFd;
    let mut kernel = crate::kernel_btf::KernelBtf::default();
    let Ok(Some(id)) = kernel.find_vmlinux(name, kind) else {
        return false;
    };
    let attach = if iter {
        AttachType::TRACE_ITER
    } else {
        AttachType::TRACE_RAW_TP
    };
    let Ok(prog) = load_fd(ProgramType::TRACING, &ret0(), |a| {
        a.expected_attach_type = attach;
        a.attach_btf_id = id.get();
    }) else {
        return false;
    };
    if iter {
        link_errno(&LinkCreateArgs {
            prog: prog.as_fd(),
            target: None,
            attach_type: attach,
            flags: 0,
            extra: LinkExtra::Iter { info: &[] },
        })
        .is_ok()
    } else {
        sys::raw_tracepoint_open(None, &prog, 0).is_ok()
    }
}

/// Whether the kernel accepts BTF of kind `kind`.
pub fn btf_kind(kind: Kind) -> bool {
    match kind {
        Kind::Void => supports(Feature::Btf),
        Kind::Func | Kind::FuncProto => supports(Feature::BtfFunc),
        Kind::Var | Kind::Datasec => supports(Feature::BtfDatasec),
        Kind::Float => supports(Feature::BtfFloat),
        Kind::DeclTag => supports(Feature::BtfDeclTag),
        Kind::TypeTag => supports(Feature::BtfTypeTag),
        Kind::Enum64 => supports(Feature::BtfEnum64),
        _ => supports(Feature::Btf),
    }
}

/// The verifier's limits and the instruction set extensions it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Instructions a program may have: `BPF_COMPLEXITY_LIMIT_INSNS`
    /// (1,000,000 since 5.2) for privileged loaders, 4,096 before.
    pub max_insns: u32,
    /// Bounded loops are verified (5.3).
    pub bounded_loops: bool,
    /// ISA v2: `JLT`/`JLE`/`JSLT`/`JSLE` (4.14).
    pub isa_v2: bool,
    /// ISA v3: 32-bit jumps (`BPF_JMP32`, 5.1).
    pub isa_v3: bool,
    /// ISA v4: sign-extending moves and loads, `gotol`, signed division
    /// (6.6).
    pub isa_v4: bool,
}

/// The verifier's limits, probed with small socket filters.
pub fn limits() -> Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    *LIMITS.get_or_init(|| {
        let ok = |insns: &[Insn]| load(ProgramType::SOCKET_FILTER, insns, |_| {});
        // libbpf's probe_large_insn_limit: BPF_MAXINSNS + 1 instructions.
        let mut big = vec![Insn::mov64_imm(Reg::R0, 0); 4096];
        big.push(Insn::exit());
        Limits {
            max_insns: if ok(&big) { 1_000_000 } else { 4096 },
            bounded_loops: ok(&[
                Insn::mov64_imm(Reg::R0, 10),
                Insn::alu64_imm(op::SUB, Reg::R0, 1),
                Insn::jmp_imm(op::JNE, Reg::R0, 0, -2),
                Insn::exit(),
            ]),
            isa_v2: ok(&[
                Insn::mov64_imm(Reg::R0, 0),
                Insn::jmp_imm(op::JLT, Reg::R0, 1, 0),
                Insn::exit(),
            ]),
            isa_v3: ok(&[
                Insn::mov64_imm(Reg::R0, 0),
                Insn::new(op::JMP32 | op::JLT | op::K, 0, 0, 0, 1),
                Insn::exit(),
            ]),
            // r0 = (s8)r0 (MOVSX: BPF_MOV with off = 8).
            isa_v4: ok(&[
                Insn::mov64_imm(Reg::R0, 0),
                Insn::new(op::ALU64 | op::MOV | op::X, 0, 0, 8, 0),
                Insn::exit(),
            ]),
        }
    })
}

// ---------------------------------------------------------------------------
// Kernel lockdown.

/// The kernel lockdown mode (`/sys/kernel/security/lockdown`,
/// `CONFIG_SECURITY_LOCKDOWN_LSM`).
///
/// In `integrity` mode the kernel refuses, among others,
/// `bpf_probe_write_user` and programs attached through BPF trampolines
/// (`fentry`, `fexit`, `fmod_ret`, `freplace`, `lsm`), whatever the
/// caller's capabilities; `confidentiality` also refuses reading kernel
/// memory (`bpf_probe_read_kernel`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lockdown {
    /// Not locked down (or no lockdown LSM).
    None,
    /// `integrity`
    Integrity,
    /// `confidentiality`
    Confidentiality,
    /// The mode could not be read (no securityfs and no permission to
    /// mount one).
    Unknown,
}

impl Lockdown {
    /// Whether the kernel is locked down (integrity or confidentiality).
    pub fn is_active(self) -> bool {
        matches!(self, Lockdown::Integrity | Lockdown::Confidentiality)
    }

    /// Parses the contents of `/sys/kernel/security/lockdown`
    /// (`"none [integrity] confidentiality"`): the bracketed mode.
    ///
    /// ```
    /// use oxbpf_loader::features::Lockdown;
    /// assert_eq!(Lockdown::parse("none [integrity] confidentiality"), Lockdown::Integrity);
    /// assert_eq!(Lockdown::parse("[none] integrity confidentiality\n"), Lockdown::None);
    /// assert_eq!(Lockdown::parse("garbage"), Lockdown::Unknown);
    /// ```
    pub fn parse(text: &str) -> Lockdown {
        let selected = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix('[')?.strip_suffix(']'));
        match selected {
            Some("none") => Lockdown::None,
            Some("integrity") => Lockdown::Integrity,
            Some("confidentiality") => Lockdown::Confidentiality,
            _ => Lockdown::Unknown,
        }
    }
}

impl fmt::Display for Lockdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lockdown::None => "none",
            Lockdown::Integrity => "integrity",
            Lockdown::Confidentiality => "confidentiality",
            Lockdown::Unknown => "unknown",
        })
    }
}

/// The kernel lockdown mode, read once per process from
/// `/sys/kernel/security/lockdown`, or from securityfs wherever it is
/// mounted; if it is mounted nowhere, a private securityfs is mounted on a
/// temporary directory just long enough to read the file (needs
/// `CAP_SYS_ADMIN`; otherwise [`Lockdown::Unknown`]).
///
/// The mode can only be raised while the system runs, never lowered.
pub fn lockdown() -> Lockdown {
    static MODE: OnceLock<Lockdown> = OnceLock::new();
    *MODE.get_or_init(read_lockdown)
}

fn read_lockdown() -> Lockdown {
    use sys::kernfs;
    let read = |dir: &std::path::Path| {
        std::fs::read_to_string(dir.join("lockdown"))
            .ok()
            .map(|t| Lockdown::parse(&t))
    };
    if let Some(dir) = kernfs::find_mount(
        "securityfs",
        kernfs::SECURITYFS_MAGIC,
        &["/sys/kernel/security"],
    ) {
        // Without the lockdown LSM there is no file: not locked down.
        return read(&dir).unwrap_or(Lockdown::None);
    }
    match kernfs::TempMount::new(c"securityfs") {
        Ok(m) => read(m.path()).unwrap_or(Lockdown::None),
        Err(_) => Lockdown::Unknown,
    }
}

/// If `err` (from loading a program of `prog_type`) is the `EPERM` of a
/// locked-down kernel, the lockdown mode.
pub(crate) fn lockdown_refusal(prog_type: ProgramType, err: &SyscallError) -> Option<String> {
    lockdown_eperm(prog_type, err.errno()).then(|| lockdown().to_string())
}

/// Loads raw BTF made of `types` words and `strs`, returning its fd.
fn btf_fd(types: &[u32], strs: &[u8]) -> Option<std::os::fd::OwnedFd> {
    let mut blob = header(24, types.len() * 4, strs.len(), None);
    for w in types {
        blob.extend_from_slice(&w.to_ne_bytes());
    }
    blob.extend_from_slice(strs);
    sys::btf_load(&blob, None, None).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_indexes_are_dense() {
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
        }
    }
}
