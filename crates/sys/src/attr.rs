//! `#[repr(C)]` mirrors of the members of `union bpf_attr`.
//!
//! One struct per command family, laid out field for field as in
//! `include/uapi/linux/bpf.h` of Linux 6.18 (the layout tests in this
//! module pin every offset). Conventions:
//!
//! - `__aligned_u64` pointers into user memory are `u64`. The safe wrappers
//!   of this crate fill them from borrowed slices and C strings and never
//!   accept a caller-built attr, so these structs are plain data: building
//!   one cannot make the kernel touch memory.
//! - File descriptors are `u32` (or `i32` where the header says `__s32`):
//!   raw fd numbers, placed there by the wrappers from a `BorrowedFd` that
//!   outlives the call.
//! - C unions of equally sized scalars (`target_fd`/`target_ifindex`) are a
//!   single field whose doc names every alias; the one union of differently
//!   shaped structs (`BPF_LINK_CREATE`) is a Rust `union`.
//! - Every byte is covered by a named field: alignment holes and trailing
//!   padding are explicit `_pad*` fields, so `Default` zeroes the whole
//!   struct, as the kernel requires of unused bytes.
//!
//! The size passed to `bpf(2)` is `size_of` of the struct; the kernel
//! accepts any size up to its own `union bpf_attr` and treats the missing
//! tail as zero.

use std::fmt;

/// Marks the attr structs that may be passed to `bpf(2)`.
///
/// # Safety
///
/// Implementors are `#[repr(C)]`, have no implicit padding (every byte is
/// an initialised field) and are laid out as one member of the kernel's
/// `union bpf_attr`.
pub(crate) unsafe trait Attr: Sized {}

macro_rules! impl_attr {
    ($($ty:ty),* $(,)?) => {
        $(
            // SAFETY: the type is `#[repr(C)]`, every byte is a named field
            // (checked by the size/offset tests), and it mirrors a member of
            // `union bpf_attr`.
            unsafe impl Attr for $ty {}
        )*
    };
}

impl_attr!(
    MapCreateAttr,
    MapElemAttr,
    MapBatchAttr,
    ProgLoadAttr,
    ObjAttr,
    ProgAttachAttr,
    TestRunAttr,
    GetIdAttr,
    InfoAttr,
    ProgQueryAttr,
    RawTracepointAttr,
    BtfLoadAttr,
    LinkCreateAttr,
    LinkUpdateAttr,
    LinkDetachAttr,
    EnableStatsAttr,
    IterCreateAttr,
    ProgBindMapAttr,
);

/// `BPF_OBJ_NAME_LEN`—Size of the name arrays, including the NUL.
pub const BPF_OBJ_NAME_LEN: usize = 16;

/// The `BPF_MAP_CREATE` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapCreateAttr {
    /// `map_type`—One of `enum bpf_map_type`.
    pub map_type: u32,
    /// `key_size`—Size of a key in bytes.
    pub key_size: u32,
    /// `value_size`—Size of a value in bytes.
    pub value_size: u32,
    /// `max_entries`—Maximum number of entries.
    pub max_entries: u32,
    /// `map_flags`—`BPF_F_*` map flags.
    pub map_flags: u32,
    /// `inner_map_fd`—Template map of a map-in-map (raw fd).
    pub inner_map_fd: u32,
    /// `numa_node`—NUMA node (with `BPF_F_NUMA_NODE`).
    pub numa_node: u32,
    /// `map_name`—NUL-terminated name.
    pub map_name: [u8; BPF_OBJ_NAME_LEN],
    /// `map_ifindex`—Network device to offload to.
    pub map_ifindex: u32,
    /// `btf_fd`—BTF describing key and value (raw fd).
    pub btf_fd: u32,
    /// `btf_key_type_id`—BTF type of the key.
    pub btf_key_type_id: u32,
    /// `btf_value_type_id`—BTF type of the value.
    pub btf_value_type_id: u32,
    /// `btf_vmlinux_value_type_id`—Kernel BTF type of a struct_ops value.
    pub btf_vmlinux_value_type_id: u32,
    /// `map_extra`—Per-type extra (bloom filter hash count, arena address).
    pub map_extra: u64,
    /// `value_type_btf_obj_fd`—BTF object of `btf_vmlinux_value_type_id`.
    pub value_type_btf_obj_fd: i32,
    /// `map_token_fd`—BPF token (with `BPF_F_TOKEN_FD`).
    pub map_token_fd: i32,
    /// `excl_prog_hash`—Pointer to the hash of the only program allowed
    /// to use the map.
    pub excl_prog_hash: u64,
    /// `excl_prog_hash_size`—Size of `excl_prog_hash`.
    pub excl_prog_hash_size: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

/// The `BPF_MAP_*_ELEM` and `BPF_MAP_FREEZE` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapElemAttr {
    /// `map_fd`—The map (raw fd).
    pub map_fd: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// `key`—Pointer to the key.
    pub key: u64,
    /// `value` / `next_key`—Pointer to the value (or next-key) buffer.
    pub value: u64,
    /// `flags`—`BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST`, `BPF_F_LOCK`.
    pub flags: u64,
}

/// The `batch` member of `union bpf_attr` (`BPF_MAP_*_BATCH`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapBatchAttr {
    /// `in_batch`—Pointer to the start token; null to start at the beginning.
    pub in_batch: u64,
    /// `out_batch`—Pointer to the buffer for the next token.
    pub out_batch: u64,
    /// `keys`—Pointer to the keys buffer.
    pub keys: u64,
    /// `values`—Pointer to the values buffer.
    pub values: u64,
    /// `count`—In: elements the buffers hold. Out: elements processed.
    pub count: u32,
    /// `map_fd`—The map (raw fd).
    pub map_fd: u32,
    /// `elem_flags`—Per-element flags.
    pub elem_flags: u64,
    /// `flags`—Command flags (must be 0).
    pub flags: u64,
}

/// The `BPF_PROG_LOAD` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgLoadAttr {
    /// `prog_type`—One of `enum bpf_prog_type`.
    pub prog_type: u32,
    /// `insn_cnt`—Number of instructions.
    pub insn_cnt: u32,
    /// `insns`—Pointer to the instructions.
    pub insns: u64,
    /// `license`—Pointer to the NUL-terminated license string.
    pub license: u64,
    /// `log_level`—Verifier log level.
    pub log_level: u32,
    /// `log_size`—Size of the log buffer.
    pub log_size: u32,
    /// `log_buf`—Pointer to the log buffer.
    pub log_buf: u64,
    /// `kern_version`—Unused by the kernel (kprobe programs once needed it).
    pub kern_version: u32,
    /// `prog_flags`—`BPF_F_*` program flags.
    pub prog_flags: u32,
    /// `prog_name`—NUL-terminated name.
    pub prog_name: [u8; BPF_OBJ_NAME_LEN],
    /// `prog_ifindex`—Network device to offload/bind to.
    pub prog_ifindex: u32,
    /// `expected_attach_type`—One of `enum bpf_attach_type`.
    pub expected_attach_type: u32,
    /// `prog_btf_fd`—BTF of the program (raw fd).
    pub prog_btf_fd: u32,
    /// `func_info_rec_size`—Size of one `bpf_func_info` record.
    pub func_info_rec_size: u32,
    /// `func_info`—Pointer to the function info records.
    pub func_info: u64,
    /// `func_info_cnt`—Number of function info records.
    pub func_info_cnt: u32,
    /// `line_info_rec_size`—Size of one `bpf_line_info` record.
    pub line_info_rec_size: u32,
    /// `line_info`—Pointer to the line info records.
    pub line_info: u64,
    /// `line_info_cnt`—Number of line info records.
    pub line_info_cnt: u32,
    /// `attach_btf_id`—In-kernel BTF type ID to attach to.
    pub attach_btf_id: u32,
    /// `attach_prog_fd` / `attach_btf_obj_fd`—Program (for `EXT`/tracing of
    /// BPF programs) or module BTF object to attach to (raw fd).
    pub attach_prog_fd: u32,
    /// `core_relo_cnt`—Number of `bpf_core_relo` records.
    pub core_relo_cnt: u32,
    /// `fd_array`—Pointer to an array of fds (maps, module BTFs).
    pub fd_array: u64,
    /// `core_relos`—Pointer to the CO-RE relocation records.
    pub core_relos: u64,
    /// `core_relo_rec_size`—Size of one `bpf_core_relo` record.
    pub core_relo_rec_size: u32,
    /// `log_true_size`—Out: size the full log needs, including the NUL.
    pub log_true_size: u32,
    /// `prog_token_fd`—BPF token (with `BPF_F_TOKEN_FD`).
    pub prog_token_fd: i32,
    /// `fd_array_cnt`—Length of `fd_array`, binding all its maps.
    pub fd_array_cnt: u32,
    /// `signature`—Pointer to the program's signature.
    pub signature: u64,
    /// `signature_size`—Size of `signature`.
    pub signature_size: u32,
    /// `keyring_id`—Kernel keyring to verify the signature with.
    pub keyring_id: i32,
}

/// The `BPF_OBJ_PIN`/`BPF_OBJ_GET` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjAttr {
    /// `pathname`—Pointer to the NUL-terminated path.
    pub pathname: u64,
    /// `bpf_fd`—The object to pin (raw fd); 0 for `BPF_OBJ_GET`.
    pub bpf_fd: u32,
    /// `file_flags`—`BPF_F_RDONLY`/`BPF_F_WRONLY`/`BPF_F_PATH_FD`.
    pub file_flags: u32,
    /// `path_fd`—Directory `pathname` is relative to (with `BPF_F_PATH_FD`).
    pub path_fd: i32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

/// The `BPF_PROG_ATTACH`/`BPF_PROG_DETACH` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgAttachAttr {
    /// `target_fd` / `target_ifindex`—Object (raw fd) or device to attach to.
    pub target_fd: u32,
    /// `attach_bpf_fd`—The program (raw fd).
    pub attach_bpf_fd: u32,
    /// `attach_type`—One of `enum bpf_attach_type`.
    pub attach_type: u32,
    /// `attach_flags`—`BPF_F_ALLOW_*`, `BPF_F_REPLACE`, `BPF_F_BEFORE`, ….
    pub attach_flags: u32,
    /// `replace_bpf_fd`—Program to replace (with `BPF_F_REPLACE`, raw fd).
    pub replace_bpf_fd: u32,
    /// `relative_fd` / `relative_id`—Anchor for `BPF_F_BEFORE`/`BPF_F_AFTER`.
    pub relative_fd: u32,
    /// `expected_revision`—Fail with `ESTALE` unless this is the revision.
    pub expected_revision: u64,
}

/// The `test` member of `union bpf_attr` (`BPF_PROG_TEST_RUN`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestRunAttr {
    /// `prog_fd`—The program (raw fd).
    pub prog_fd: u32,
    /// `retval`—Out: the program's return value.
    pub retval: u32,
    /// `data_size_in`—Length of `data_in`.
    pub data_size_in: u32,
    /// `data_size_out`—In: size of `data_out`. Out: size of the output.
    pub data_size_out: u32,
    /// `data_in`—Pointer to the input packet/data.
    pub data_in: u64,
    /// `data_out`—Pointer to the output buffer.
    pub data_out: u64,
    /// `repeat`—Number of runs.
    pub repeat: u32,
    /// `duration`—Out: average run time in ns.
    pub duration: u32,
    /// `ctx_size_in`—Length of `ctx_in`.
    pub ctx_size_in: u32,
    /// `ctx_size_out`—In: size of `ctx_out`. Out: size of the context.
    pub ctx_size_out: u32,
    /// `ctx_in`—Pointer to the input context.
    pub ctx_in: u64,
    /// `ctx_out`—Pointer to the output context buffer.
    pub ctx_out: u64,
    /// `flags`—`BPF_F_TEST_*`.
    pub flags: u32,
    /// `cpu`—CPU to run on (with `BPF_F_TEST_RUN_ON_CPU`).
    pub cpu: u32,
    /// `batch_size`—Frames per batch for live XDP frames.
    pub batch_size: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

/// The `BPF_*_GET_NEXT_ID`/`BPF_*_GET_FD_BY_ID` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetIdAttr {
    /// `start_id` / `prog_id` / `map_id` / `btf_id` / `link_id`.
    pub id: u32,
    /// `next_id`—Out: the next ID.
    pub next_id: u32,
    /// `open_flags`—`BPF_F_RDONLY`/`BPF_F_WRONLY`/`BPF_F_TOKEN_FD`.
    pub open_flags: u32,
    /// `fd_by_id_token_fd`—BPF token (with `BPF_F_TOKEN_FD`).
    pub fd_by_id_token_fd: i32,
}

/// The `info` member of `union bpf_attr` (`BPF_OBJ_GET_INFO_BY_FD`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfoAttr {
    /// `bpf_fd`—The object (raw fd).
    pub bpf_fd: u32,
    /// `info_len`—In: size of `info`. Out: bytes the kernel wrote.
    pub info_len: u32,
    /// `info`—Pointer to a `bpf_{prog,map,btf,link}_info`.
    pub info: u64,
}

/// The `query` member of `union bpf_attr` (`BPF_PROG_QUERY`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgQueryAttr {
    /// `target_fd` / `target_ifindex`—Object (raw fd) or device to query.
    pub target_fd: u32,
    /// `attach_type`—One of `enum bpf_attach_type`.
    pub attach_type: u32,
    /// `query_flags`—`BPF_F_QUERY_EFFECTIVE`.
    pub query_flags: u32,
    /// `attach_flags`—Out: flags of the attachment.
    pub attach_flags: u32,
    /// `prog_ids`—Pointer to the program ID buffer.
    pub prog_ids: u64,
    /// `prog_cnt` / `count`—In: buffer capacity. Out: number attached.
    pub count: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// `prog_attach_flags`—Pointer to per-program attach flags.
    pub prog_attach_flags: u64,
    /// `link_ids`—Pointer to the link ID buffer.
    pub link_ids: u64,
    /// `link_attach_flags`—Pointer to per-link attach flags.
    pub link_attach_flags: u64,
    /// `revision`—Out: revision of the attachment point.
    pub revision: u64,
}

/// The `raw_tracepoint` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawTracepointAttr {
    /// `name`—Pointer to the NUL-terminated tracepoint name (or null).
    pub name: u64,
    /// `prog_fd`—The program (raw fd).
    pub prog_fd: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// `cookie`—Value returned by `bpf_get_attach_cookie()`.
    pub cookie: u64,
}

/// The `BPF_BTF_LOAD` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BtfLoadAttr {
    /// `btf`—Pointer to the raw BTF.
    pub btf: u64,
    /// `btf_log_buf`—Pointer to the log buffer.
    pub btf_log_buf: u64,
    /// `btf_size`—Size of the raw BTF.
    pub btf_size: u32,
    /// `btf_log_size`—Size of the log buffer.
    pub btf_log_size: u32,
    /// `btf_log_level`—Log level.
    pub btf_log_level: u32,
    /// `btf_log_true_size`—Out: size the full log needs, including the NUL.
    pub btf_log_true_size: u32,
    /// `btf_flags`—`BPF_F_TOKEN_FD`.
    pub btf_flags: u32,
    /// `btf_token_fd`—BPF token (with `BPF_F_TOKEN_FD`).
    pub btf_token_fd: i32,
}

/// `link_create.iter` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateIter {
    /// `iter_info`—Pointer to a `union bpf_iter_link_info`.
    pub iter_info: u64,
    /// `iter_info_len`—Its size.
    pub iter_info_len: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

/// `link_create.perf_event` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreatePerfEvent {
    /// `bpf_cookie`—Value returned by `bpf_get_attach_cookie()`.
    pub bpf_cookie: u64,
}

/// `link_create.kprobe_multi` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateKprobeMulti {
    /// `flags`—`BPF_F_KPROBE_MULTI_RETURN`.
    pub flags: u32,
    /// `cnt`—Number of entries of `syms`/`addrs`/`cookies`.
    pub cnt: u32,
    /// `syms`—Pointer to an array of pointers to symbol names.
    pub syms: u64,
    /// `addrs`—Pointer to an array of addresses.
    pub addrs: u64,
    /// `cookies`—Pointer to an array of cookies.
    pub cookies: u64,
}

/// `link_create.tracing` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateTracing {
    /// `target_btf_id`—Overlays `link_create.target_btf_id`.
    pub target_btf_id: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// `cookie`—Value returned by `bpf_get_attach_cookie()`.
    pub cookie: u64,
}

/// `link_create.netfilter` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateNetfilter {
    /// `pf`—Protocol family (`NFPROTO_*`).
    pub pf: u32,
    /// `hooknum`—Netfilter hook.
    pub hooknum: u32,
    /// `priority`—Hook priority.
    pub priority: i32,
    /// `flags`—`BPF_F_NETFILTER_IP_DEFRAG`.
    pub flags: u32,
}

/// `link_create.tcx`, `.netkit` and `.cgroup` of `union bpf_attr` (all
/// three have this shape).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateRelative {
    /// `relative_fd` / `relative_id`—Anchor for `BPF_F_BEFORE`/`BPF_F_AFTER`.
    pub relative_fd: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// `expected_revision`—Fail with `ESTALE` unless this is the revision.
    pub expected_revision: u64,
}

/// `link_create.uprobe_multi` of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateUprobeMulti {
    /// `path`—Pointer to the NUL-terminated binary path.
    pub path: u64,
    /// `offsets`—Pointer to an array of file offsets.
    pub offsets: u64,
    /// `ref_ctr_offsets`—Pointer to an array of reference counter offsets.
    pub ref_ctr_offsets: u64,
    /// `cookies`—Pointer to an array of cookies.
    pub cookies: u64,
    /// `cnt`—Number of entries of the arrays.
    pub cnt: u32,
    /// `flags`—`BPF_F_UPROBE_MULTI_RETURN`.
    pub flags: u32,
    /// `pid`—Process to attach to, or 0 for all.
    pub pid: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

/// The per-attach-type union of `link_create` in `union bpf_attr`.
///
/// Writing a field is safe; reading one is `unsafe` like any union read.
/// [`Default`] zeroes all 48 bytes. `Debug` does not look inside.
#[repr(C)]
#[derive(Clone, Copy)]
pub union LinkCreateExtra {
    /// `target_btf_id`—BTF ID of the target (tracing, LSM, `EXT`).
    pub target_btf_id: u32,
    /// Anonymous `iter_info` struct: `BPF_TRACE_ITER`.
    pub iter: LinkCreateIter,
    /// `perf_event`: `BPF_PERF_EVENT`.
    pub perf_event: LinkCreatePerfEvent,
    /// `kprobe_multi`: `BPF_TRACE_KPROBE_MULTI`/`_SESSION`.
    pub kprobe_multi: LinkCreateKprobeMulti,
    /// `tracing`: fentry/fexit/fmod_ret/LSM with a cookie.
    pub tracing: LinkCreateTracing,
    /// `netfilter`: `BPF_NETFILTER`.
    pub netfilter: LinkCreateNetfilter,
    /// `tcx`: `BPF_TCX_INGRESS`/`BPF_TCX_EGRESS`.
    pub tcx: LinkCreateRelative,
    /// `uprobe_multi`: `BPF_TRACE_UPROBE_MULTI`/`_SESSION`.
    pub uprobe_multi: LinkCreateUprobeMulti,
    /// `netkit`: `BPF_NETKIT_PRIMARY`/`BPF_NETKIT_PEER`.
    pub netkit: LinkCreateRelative,
    /// `cgroup`: cgroup attach types with ordering.
    pub cgroup: LinkCreateRelative,
    raw: [u64; 6],
}

impl Default for LinkCreateExtra {
    fn default() -> Self {
        Self { raw: [0; 6] }
    }
}

impl fmt::Debug for LinkCreateExtra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkCreateExtra").finish_non_exhaustive()
    }
}

/// The `link_create` member of `union bpf_attr` (`BPF_LINK_CREATE`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkCreateAttr {
    /// `prog_fd` / `map_fd`—The program, or the struct_ops map (raw fd).
    pub prog_fd: u32,
    /// `target_fd` / `target_ifindex`—Object (raw fd) or device to attach to.
    pub target_fd: u32,
    /// `attach_type`—One of `enum bpf_attach_type`.
    pub attach_type: u32,
    /// `flags`—Attach-type specific flags.
    pub flags: u32,
    /// The per-attach-type union.
    pub extra: LinkCreateExtra,
}

/// The `link_update` member of `union bpf_attr` (`BPF_LINK_UPDATE`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkUpdateAttr {
    /// `link_fd`—The link (raw fd).
    pub link_fd: u32,
    /// `new_prog_fd` / `new_map_fd`—The new program or struct_ops map.
    pub new_prog_fd: u32,
    /// `flags`—`BPF_F_REPLACE`.
    pub flags: u32,
    /// `old_prog_fd` / `old_map_fd`—Expected current program or map.
    pub old_prog_fd: u32,
}

/// The `link_detach` member of `union bpf_attr` (`BPF_LINK_DETACH`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkDetachAttr {
    /// `link_fd`—The link (raw fd).
    pub link_fd: u32,
}

/// The `enable_stats` member of `union bpf_attr` (`BPF_ENABLE_STATS`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnableStatsAttr {
    /// `type`—One of `enum bpf_stats_type`.
    pub stats_type: u32,
}

/// The `iter_create` member of `union bpf_attr` (`BPF_ITER_CREATE`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IterCreateAttr {
    /// `link_fd`—The iterator link (raw fd).
    pub link_fd: u32,
    /// `flags`—Must be 0.
    pub flags: u32,
}

/// The `prog_bind_map` member of `union bpf_attr` (`BPF_PROG_BIND_MAP`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgBindMapAttr {
    /// `prog_fd`—The program (raw fd).
    pub prog_fd: u32,
    /// `map_fd`—The map (raw fd).
    pub map_fd: u32,
    /// `flags`—Must be 0.
    pub flags: u32,
}
