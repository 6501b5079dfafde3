//! What the running kernel supports, probed once per process and cached
//! (libbpf's `features.c`).
//!
//! Each probe makes the smallest request that only a kernel with the
//! feature accepts (a BTF blob with one `FLOAT`, a program calling one
//! helper, ...) and closes whatever it created.
//!
//! ```no_run
//! use oxbpf_loader::features::{supports, Feature};
//! if !supports(Feature::BtfEnum64) {
//!     println!("this kernel predates BTF_KIND_ENUM64 (6.0)");
//! }
//! ```
//!
//! # Minimum kernel version
//!
//! Probing needs `bpf(2)` (3.18); a kernel without it supports nothing.

use std::sync::atomic::{AtomicU8, Ordering};

use oxbpf_sys::{
    self as sys, AttachType, BpfInsn, MapCreateArgs, MapFd, MapFlags, MapType, ObjName,
    ProgLoadArgs, ProgramType,
};

use crate::insn::{Insn, Reg};

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
    /// `BPF_TRACE_UPROBE_MULTI` programs (6.6).
    UprobeMultiLink,
}

const FEATURE_COUNT: usize = 19;

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
        Feature::UprobeMultiLink => load(ProgramType::KPROBE, &ret0(), |a| {
            a.expected_attach_type = AttachType::TRACE_UPROBE_MULTI;
        }),
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
