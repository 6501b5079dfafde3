//! Helpers shared by the kernel-facing tests of oxbpf-maps.
//!
//! Every test that needs `bpf(2)` starts with `if !require_kernel() {
//! return; }`: the probe succeeds, or the test is skipped *loudly* (only
//! when `OXBPF_ALLOW_SKIP` is set), or it fails. Never a silent return.

#![allow(dead_code)] // each test binary uses a different subset

use std::os::fd::OwnedFd;

use oxbpf_btf::{BtfBuilder, IntEncoding, MemberSpec, TypeId};
use oxbpf_maps::{Map, MapBtf, MapSpec, MapType};
use oxbpf_sys::{prog_load, BpfInsn, ProgLoadArgs, ProgramType};

#[path = "../../../sys/tests/common/kernel_btf.rs"]
mod kernel_btf;
#[allow(unused_imports)] // not every test binary asks the kernel's BTF
pub use kernel_btf::*;

/// Returns whether the test can use the kernel; with `OXBPF_ALLOW_SKIP`
/// set prints `SKIP` and returns `false`, otherwise panics.
pub fn require_kernel() -> bool {
    let probe = Map::create(&MapSpec::new("probe", MapType::ARRAY, 4, 4, 1));
    match probe {
        Ok(_) => true,
        Err(e) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            eprintln!(
                "SKIP (bpf(2) unavailable): {e}: {:?}",
                std::error::Error::source(&e)
            );
            eprintln!("SKIP SKIP SKIP — this test did NOT run");
            false
        }
        Err(e) => panic!(
            "bpf(2) unavailable: {e} ({:?}); these tests need root (or CAP_BPF) on Linux; \
             set OXBPF_ALLOW_SKIP=1 to skip them",
            std::error::Error::source(&e)
        ),
    }
}

/// `mov64 r0, imm; exit` as a program of `prog_type`.
pub fn trivial_prog(prog_type: ProgramType) -> OwnedFd {
    let insns = [
        BpfInsn::new(0xb7, 0, 0, 0, 0),
        BpfInsn::new(0x95, 0, 0, 0, 0),
    ];
    prog_load(
        &ProgLoadArgs {
            prog_type,
            insns: &insns,
            license: c"GPL",
            ..Default::default()
        },
        None,
    )
    .expect("load trivial program")
}

/// What `#[derive(BtfStruct)]` needs to find (`btf` and `sys`), for tests
/// of this crate, which cannot depend on the `oxbpf` facade.
pub mod oxbpf_paths {
    pub use oxbpf_btf as btf;
    pub use oxbpf_sys as sys;
}

/// The Rust mirror of [`flow_stats_btf`]'s value type.
#[derive(oxbpf_derive::BtfStruct, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
#[btf(name = "flow_stats", crate = "crate::common::oxbpf_paths")]
pub struct FlowStats {
    pub packets: u64,
    pub bytes: u64,
}

/// `struct bpf_spin_lock`.
#[derive(oxbpf_derive::BtfStruct, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
#[btf(name = "bpf_spin_lock", crate = "crate::common::oxbpf_paths")]
pub struct SpinLock {
    pub val: u32,
}

/// The Rust mirror of [`spin_lock_btf`]'s value type.
#[derive(oxbpf_derive::BtfStruct, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
#[btf(name = "locked", crate = "crate::common::oxbpf_paths")]
pub struct Locked {
    pub lock: SpinLock,
    pub value: u32,
}

/// BTF with `u32` (key) and `struct flow_stats { u64 packets; u64 bytes; }`
/// (value).
pub fn flow_stats_btf() -> MapBtf {
    let mut b = BtfBuilder::new();
    let u32_ = b.add_int("u32", 4, IntEncoding::Unsigned);
    let u64_ = b.add_int("u64", 8, IntEncoding::Unsigned);
    let value = b
        .add_struct(
            "flow_stats",
            16,
            &[
                MemberSpec {
                    name: "packets",
                    ty: u64_,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "bytes",
                    ty: u64_,
                    bit_offset: 64,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    MapBtf::from_bytes(b.to_bytes().unwrap(), u32_, value).unwrap()
}

/// BTF with `int` (key) and `struct locked { struct bpf_spin_lock lock;
/// u32 value; }` (value).
pub fn spin_lock_btf() -> MapBtf {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let u32_ = b.add_int("u32", 4, IntEncoding::Unsigned);
    let lock = b
        .add_struct(
            "bpf_spin_lock",
            4,
            &[MemberSpec {
                name: "val",
                ty: u32_,
                bit_offset: 0,
                bitfield_size: 0,
            }],
        )
        .unwrap();
    let value = b
        .add_struct(
            "locked",
            8,
            &[
                MemberSpec {
                    name: "lock",
                    ty: lock,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "value",
                    ty: u32_,
                    bit_offset: 32,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    MapBtf::from_bytes(b.to_bytes().unwrap(), int, value).unwrap()
}

/// BTF with `int` (key) and `u64` (value), for local storage maps.
pub fn storage_btf() -> MapBtf {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let u64_ = b.add_int("u64", 8, IntEncoding::Unsigned);
    MapBtf::from_bytes(b.to_bytes().unwrap(), int, u64_).unwrap()
}

/// Just the key/value IDs of BTF without struct types.
pub fn no_type() -> TypeId {
    TypeId(0)
}

/// Number of open fds of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}
