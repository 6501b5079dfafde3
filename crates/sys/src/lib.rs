//! `oxbpf-sys` — the system-call layer of oxbpf.
//!
//! This is the one crate of the workspace where `unsafe` is normal: every
//! `unsafe` block carries a `// SAFETY:` comment naming the invariant it
//! relies on. Everything above it (`oxbpf-btf`, `oxbpf-maps`,
//! `oxbpf-loader`) is safe Rust.
//!
//! The API of this crate is internal to oxbpf and not covered by semver.
//!
//! # Shape
//!
//! - One private `unsafe fn` enters `bpf(2)`; every command has one safe
//!   wrapper ([`map_create`], [`prog_load`], [`link_create`], …) that
//!   builds the command's [`attr`] struct from typed, borrowed arguments.
//!   Pointers placed in an attr always come from slices and C strings the
//!   wrapper borrows for the duration of the call, and output buffers are
//!   checked against the sizes the kernel will write (map element
//!   operations take a [`MapFd`], which knows its key and value sizes).
//! - Calls that create an fd return [`OwnedFd`](std::os::fd::OwnedFd);
//!   fds are passed in as [`AsFd`](std::os::fd::AsFd) /
//!   [`BorrowedFd`](std::os::fd::BorrowedFd). Raw fd numbers appear only
//!   inside the attr structs, and as the `pid` of [`perf_event_open`] with
//!   [`PerfEventOpenFlags::PID_CGROUP`].
//! - Every failure is a [`SyscallError`] naming the command
//!   (`"BPF_MAP_CREATE"`) with the `errno` reachable. Errno values keep
//!   their kernel meaning at this layer; only "no more IDs"
//!   ([`prog_get_next_id`] & co.) and "end of map" ([`map_lookup_batch`])
//!   are turned into values.
//! - Kernel enumerations are newtypes with constants ([`MapType::HASH`]),
//!   flags are [`bitflags`] ([`MapFlags::NO_PREALLOC`]), object IDs are
//!   typed ([`ProgId`], [`MapId`], [`BtfId`], [`LinkId`]).
//!
//! Layouts follow `include/uapi/linux/bpf.h` and `perf_event.h` of Linux
//! 6.18; the unit tests pin every field offset.
#![deny(missing_docs)]

pub mod alloc_count;
pub mod attr;
mod bpf;
mod btf;
mod epoll;
mod error;
mod flags;
pub mod fs;
mod info;
mod insn;
pub mod kernfs;
mod link;
mod map;
pub mod mmap;
pub mod netlink;
pub mod netns;
mod obj;
mod perf_event;
pub mod pod;
mod prog;
mod socket;
mod system;
mod types;

#[cfg(test)]
mod layout_tests;

pub use crate::bpf::ObjName;
pub use crate::btf::btf_load;
pub use crate::epoll::{Epoll, EpollEvent, EpollFlags};
pub use crate::error::SyscallError;
pub use crate::flags::{
    AccessFlags, AttachFlags, KprobeMultiFlags, LogLevel, LookupFlags, MapFlags, NetfilterFlags,
    ProgFlags, QueryFlags, TestRunFlags, UpdateFlags, UpdateMode, UprobeMultiFlags, XdpFlags,
};
pub use crate::info::{
    BpfBtfInfo, BpfFuncInfo, BpfLineInfo, BpfLinkInfo, BpfMapInfo, BpfProgInfo, LinkDetails,
    ObjInfo, BPF_TAG_SIZE,
};
pub use crate::insn::BpfInsn;
pub use crate::link::{
    enable_stats, iter_create, link_create, link_detach, link_update, raw_tracepoint_open,
    LinkCreateArgs, LinkExtra,
};
pub use crate::map::{
    map_create, map_delete_batch, map_delete_elem, map_freeze, map_get_next_key,
    map_lookup_and_delete_batch, map_lookup_and_delete_elem, map_lookup_batch, map_lookup_elem,
    map_update_batch, map_update_elem, BatchError, BatchLookup, MapCreateArgs, MapFd,
};
pub use crate::obj::{
    btf_get_fd_by_id, btf_get_next_id, btf_info, btf_info_with, link_get_fd_by_id,
    link_get_next_id, link_info, map_get_fd_by_id, map_get_next_id, map_info, obj_get, obj_get_at,
    obj_pin, obj_pin_at, prog_get_fd_by_id, prog_get_next_id, prog_info, prog_info_with,
    BtfInfoBuffers, ProgInfoBuffers,
};
pub use crate::perf_event::{
    perf_event_ioc_disable, perf_event_ioc_enable, perf_event_ioc_id, perf_event_ioc_pause_output,
    perf_event_ioc_set_bpf, perf_event_open, PerfEventAttr, PerfEventFlags, PerfEventOpenFlags,
    PerfSampleType, PerfSwId, PerfType, PERF_ATTR_SIZE, PERF_EVENT_IOC_DISABLE,
    PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_ID, PERF_EVENT_IOC_PAUSE_OUTPUT, PERF_EVENT_IOC_SET_BPF,
};
pub use crate::pod::{
    as_bytes, as_bytes_mut, from_bytes, read_unaligned, slice_as_bytes, slice_as_bytes_mut, zeroed,
    LpmKey, Pod,
};
pub use crate::prog::{
    prog_attach, prog_bind_map, prog_detach, prog_load, prog_query, prog_test_run, AttachTarget,
    LogBuffer, ProgAttachArgs, ProgDetachArgs, ProgLoadArgs, ProgQueryArgs, ProgQueryOutput,
    Records, Relative, TestRunArgs, TestRunOutput, MAX_LOG_SIZE,
};
pub use crate::socket::{
    if_indextoname, if_nametoindex, set_tcp_congestion, socket_attach_bpf, socket_cookie,
    socket_detach_bpf, tcp_congestion, IF_NAMESIZE,
};
pub use crate::system::{
    bump_memlock_rlimit, cpu_times, nr_possible_cpus, online_cpus, page_size, parse_cpu_list,
    possible_cpus, CpuListError, CpuTimes, MAX_CPU_ID, ONLINE_CPUS_PATH, POSSIBLE_CPUS_PATH,
};
pub use crate::types::{
    AttachType, BpfPerfEventType, BtfId, Cmd, LinkId, LinkType, MapId, MapType, ProgId,
    ProgramType, StatsType,
};
