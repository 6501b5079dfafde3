//! `#[repr(C)]` mirrors of the `BPF_OBJ_GET_INFO_BY_FD` structs
//! (`struct bpf_{prog,map,btf,link}_info`), laid out as in
//! `include/uapi/linux/bpf.h` of Linux 6.18, and the BTF.ext record types
//! the kernel hands back in program info.
//!
//! The kernel fills at most `info_len` bytes: a newer kernel with a larger
//! struct writes only the prefix this crate knows, an older kernel with a
//! smaller struct reports a smaller `info_len` and leaves the rest zero.
//! [`ObjInfo`] carries that length so callers can tell "zero" from "not
//! reported" with [`ObjInfo::has`].

use std::ops::Deref;

use crate::attr::BPF_OBJ_NAME_LEN;
use crate::flags::{KprobeMultiFlags, MapFlags, UprobeMultiFlags};
use crate::types::{AttachType, BpfPerfEventType, BtfId, LinkId, LinkType, MapId, MapType};
use crate::types::{ProgId, ProgramType};

/// Marks the info structs that `BPF_OBJ_GET_INFO_BY_FD` may fill.
///
/// # Safety
///
/// Implementors are `#[repr(C)]`, consist only of integer fields and
/// integer arrays (any bit pattern is valid, no implicit padding), and
/// mirror one `struct bpf_*_info` of the uapi.
pub(crate) unsafe trait Info: Default {}

// SAFETY: all four are `#[repr(C)]` structs of integer fields (and
// `#[repr(transparent)]` integer newtypes) with explicit padding, checked
// by the layout tests.
unsafe impl Info for BpfProgInfo {}
// SAFETY: as above.
unsafe impl Info for BpfMapInfo {}
// SAFETY: as above.
unsafe impl Info for BpfBtfInfo {}
// SAFETY: as above.
unsafe impl Info for BpfLinkInfo {}

/// `BPF_TAG_SIZE`—Size of a program tag.
pub const BPF_TAG_SIZE: usize = 8;

/// An info struct as returned by the kernel, with the number of bytes the
/// kernel actually wrote (`info_len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjInfo<T> {
    /// The info struct; bytes past `info_len` are zero.
    pub info: T,
    /// `info_len` as returned by the kernel: the size of the kernel's own
    /// struct, capped at ours.
    pub info_len: u32,
}

impl<T> ObjInfo<T> {
    /// Whether the kernel reported the field that ends at byte `field_end`
    /// of the struct, i.e. whether `field_end <= info_len`.
    ///
    /// ```
    /// # use oxbpf_sys::{BpfProgInfo, ObjInfo};
    /// # use std::mem::{offset_of, size_of};
    /// # let info = ObjInfo { info: BpfProgInfo::default(), info_len: 208 };
    /// let end = offset_of!(BpfProgInfo, verified_insns) + size_of::<u32>();
    /// if !info.has(end) {
    ///     // kernel older than 5.16: `verified_insns` is not reported
    /// }
    /// ```
    pub fn has(&self, field_end: usize) -> bool {
        field_end <= self.info_len as usize
    }
}

impl<T> Deref for ObjInfo<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.info
    }
}

/// Returns the bytes of a fixed-size C name up to its first NUL.
fn c_name(name: &[u8]) -> &[u8] {
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    &name[..len]
}

/// `struct bpf_prog_info`
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfProgInfo {
    /// `type`
    pub prog_type: ProgramType,
    /// `id`
    pub id: ProgId,
    /// `tag`—Hash of the program's instructions.
    pub tag: [u8; BPF_TAG_SIZE],
    /// `jited_prog_len`
    pub jited_prog_len: u32,
    /// `xlated_prog_len`
    pub xlated_prog_len: u32,
    /// `jited_prog_insns`—Pointer to the JITed-image buffer.
    pub jited_prog_insns: u64,
    /// `xlated_prog_insns`—Pointer to the translated-instruction buffer.
    pub xlated_prog_insns: u64,
    /// `load_time`—Nanoseconds since boot.
    pub load_time: u64,
    /// `created_by_uid`
    pub created_by_uid: u32,
    /// `nr_map_ids`
    pub nr_map_ids: u32,
    /// `map_ids`—Pointer to the map ID buffer.
    pub map_ids: u64,
    /// `name`
    pub name: [u8; BPF_OBJ_NAME_LEN],
    /// `ifindex`
    pub ifindex: u32,
    /// The 32-bit word holding the `gpl_compatible:1` bitfield; see
    /// [`gpl_compatible`](Self::gpl_compatible).
    pub gpl_compatible_word: u32,
    /// `netns_dev`
    pub netns_dev: u64,
    /// `netns_ino`
    pub netns_ino: u64,
    /// `nr_jited_ksyms`
    pub nr_jited_ksyms: u32,
    /// `nr_jited_func_lens`
    pub nr_jited_func_lens: u32,
    /// `jited_ksyms`—Pointer to a `u64` buffer.
    pub jited_ksyms: u64,
    /// `jited_func_lens`—Pointer to a `u32` buffer.
    pub jited_func_lens: u64,
    /// `btf_id`
    pub btf_id: BtfId,
    /// `func_info_rec_size`
    pub func_info_rec_size: u32,
    /// `func_info`—Pointer to a [`BpfFuncInfo`] buffer.
    pub func_info: u64,
    /// `nr_func_info`
    pub nr_func_info: u32,
    /// `nr_line_info`
    pub nr_line_info: u32,
    /// `line_info`—Pointer to a [`BpfLineInfo`] buffer.
    pub line_info: u64,
    /// `jited_line_info`—Pointer to a `u64` buffer.
    pub jited_line_info: u64,
    /// `nr_jited_line_info`
    pub nr_jited_line_info: u32,
    /// `line_info_rec_size`
    pub line_info_rec_size: u32,
    /// `jited_line_info_rec_size`
    pub jited_line_info_rec_size: u32,
    /// `nr_prog_tags`
    pub nr_prog_tags: u32,
    /// `prog_tags`—Pointer to a `[u8; 8]` buffer.
    pub prog_tags: u64,
    /// `run_time_ns`—With `BPF_STATS_RUN_TIME` enabled.
    pub run_time_ns: u64,
    /// `run_cnt`—With `BPF_STATS_RUN_TIME` enabled.
    pub run_cnt: u64,
    /// `recursion_misses`
    pub recursion_misses: u64,
    /// `verified_insns`
    pub verified_insns: u32,
    /// `attach_btf_obj_id`
    pub attach_btf_obj_id: BtfId,
    /// `attach_btf_id`
    pub attach_btf_id: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

impl BpfProgInfo {
    /// The program's name, without the trailing NULs.
    pub fn name(&self) -> &[u8] {
        c_name(&self.name)
    }

    /// `gpl_compatible`—Whether the program's license is GPL-compatible.
    pub fn gpl_compatible(&self) -> bool {
        // A bitfield's first member occupies the least significant bit on
        // little-endian targets and the most significant on big-endian.
        if cfg!(target_endian = "little") {
            self.gpl_compatible_word & 1 != 0
        } else {
            self.gpl_compatible_word & (1 << 31) != 0
        }
    }
}

/// `struct bpf_map_info`
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfMapInfo {
    /// `type`
    pub map_type: MapType,
    /// `id`
    pub id: MapId,
    /// `key_size`
    pub key_size: u32,
    /// `value_size`
    pub value_size: u32,
    /// `max_entries`
    pub max_entries: u32,
    /// `map_flags`; see [`flags`](Self::flags).
    pub map_flags: u32,
    /// `name`
    pub name: [u8; BPF_OBJ_NAME_LEN],
    /// `ifindex`
    pub ifindex: u32,
    /// `btf_vmlinux_value_type_id`
    pub btf_vmlinux_value_type_id: u32,
    /// `netns_dev`
    pub netns_dev: u64,
    /// `netns_ino`
    pub netns_ino: u64,
    /// `btf_id`
    pub btf_id: BtfId,
    /// `btf_key_type_id`
    pub btf_key_type_id: u32,
    /// `btf_value_type_id`
    pub btf_value_type_id: u32,
    /// `btf_vmlinux_id`
    pub btf_vmlinux_id: u32,
    /// `map_extra`
    pub map_extra: u64,
    /// `hash`—Pointer to a buffer for the map's SHA-256 (frozen maps).
    pub hash: u64,
    /// `hash_size`
    pub hash_size: u32,
    /// Explicit padding; zero.
    pub _pad0: u32,
}

impl BpfMapInfo {
    /// The map's name, without the trailing NULs.
    pub fn name(&self) -> &[u8] {
        c_name(&self.name)
    }

    /// `map_flags` as [`MapFlags`], keeping bits this crate does not know.
    pub fn flags(&self) -> MapFlags {
        MapFlags::from_bits_retain(self.map_flags)
    }
}

/// `struct bpf_btf_info`
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfBtfInfo {
    /// `btf`—Pointer to a buffer for the raw BTF.
    pub btf: u64,
    /// `btf_size`
    pub btf_size: u32,
    /// `id`
    pub id: BtfId,
    /// `name`—Pointer to a buffer for the name.
    pub name: u64,
    /// `name_len`
    pub name_len: u32,
    /// `kernel_btf`—Non-zero for vmlinux and module BTF.
    pub kernel_btf: u32,
}

/// `struct bpf_link_info`
///
/// The per-type union is kept as raw words; [`details`](Self::details)
/// decodes it according to [`link_type`](Self::link_type).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfLinkInfo {
    /// `type`
    pub link_type: LinkType,
    /// `id`
    pub id: LinkId,
    /// `prog_id`
    pub prog_id: ProgId,
    /// Explicit padding; zero.
    pub _pad0: u32,
    /// The anonymous per-type union, as raw native-endian words.
    pub union: [u64; 6],
}

/// Type-specific part of [`BpfLinkInfo`], decoded.
///
/// Pointer fields of the union (name buffers and arrays) are not decoded;
/// the lengths the kernel reports for them are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkDetails {
    /// `raw_tracepoint`
    RawTracepoint {
        /// `tp_name_len`—Length of the tracepoint name, including the NUL.
        tp_name_len: u32,
        /// `cookie`
        cookie: u64,
    },
    /// `tracing`
    Tracing {
        /// `attach_type`
        attach_type: AttachType,
        /// `target_obj_id`—Program ID for `EXT`, otherwise BTF object ID.
        target_obj_id: u32,
        /// `target_btf_id`—BTF type ID inside that object.
        target_btf_id: u32,
        /// `cookie`
        cookie: u64,
    },
    /// `cgroup`
    Cgroup {
        /// `cgroup_id`
        cgroup_id: u64,
        /// `attach_type`
        attach_type: AttachType,
    },
    /// `iter`
    Iter {
        /// `target_name_len`—Length of the target name, including the NUL.
        target_name_len: u32,
        /// `map.map_id`—For map iterators.
        map_id: MapId,
        /// The iterator-specific second union as raw words
        /// (`cgroup { cgroup_id, order }` or `task { tid, pid }`).
        extra: [u64; 2],
    },
    /// `netns`
    Netns {
        /// `netns_ino`
        netns_ino: u32,
        /// `attach_type`
        attach_type: AttachType,
    },
    /// `xdp`
    Xdp {
        /// `ifindex`
        ifindex: u32,
    },
    /// `struct_ops`
    StructOps {
        /// `map_id`
        map_id: MapId,
    },
    /// `netfilter`
    Netfilter {
        /// `pf`
        pf: u32,
        /// `hooknum`
        hooknum: u32,
        /// `priority`
        priority: i32,
        /// `flags`
        flags: u32,
    },
    /// `kprobe_multi`
    KprobeMulti {
        /// `count`—Number of attached functions.
        count: u32,
        /// `flags`
        flags: KprobeMultiFlags,
        /// `missed`
        missed: u64,
    },
    /// `uprobe_multi`
    UprobeMulti {
        /// `path_size`—Length of the binary path, including the NUL.
        path_size: u32,
        /// `count`—Number of attached offsets.
        count: u32,
        /// `flags`
        flags: UprobeMultiFlags,
        /// `pid`
        pid: u32,
    },
    /// `perf_event`
    PerfEvent {
        /// `type`—What the perf event is.
        event_type: BpfPerfEventType,
        /// The type-specific union (`uprobe`, `kprobe`, `tracepoint`,
        /// `event`) as raw words.
        raw: [u64; 5],
    },
    /// `tcx`
    Tcx {
        /// `ifindex`
        ifindex: u32,
        /// `attach_type`
        attach_type: AttachType,
    },
    /// `netkit`
    Netkit {
        /// `ifindex`
        ifindex: u32,
        /// `attach_type`
        attach_type: AttachType,
    },
    /// `sockmap`
    Sockmap {
        /// `map_id`
        map_id: MapId,
        /// `attach_type`
        attach_type: AttachType,
    },
    /// A link type without type-specific info, or one this crate does not
    /// know; the raw union is in [`BpfLinkInfo::union`].
    Other,
}

impl BpfLinkInfo {
    /// The union as native-endian bytes.
    fn bytes(&self) -> [u8; 48] {
        let mut out = [0; 48];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.union) {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        out
    }

    /// Decodes the union according to the link type.
    pub fn details(&self) -> LinkDetails {
        let b = self.bytes();
        let u32_at = |off: usize| {
            let mut w = [0; 4];
            w.copy_from_slice(&b[off..off + 4]);
            u32::from_ne_bytes(w)
        };
        let u64_at = |off: usize| {
            let mut w = [0; 8];
            w.copy_from_slice(&b[off..off + 8]);
            u64::from_ne_bytes(w)
        };
        let attach = |off: usize| AttachType::from_raw(u32_at(off));
        match self.link_type {
            LinkType::RAW_TRACEPOINT => LinkDetails::RawTracepoint {
                tp_name_len: u32_at(8),
                cookie: u64_at(16),
            },
            LinkType::TRACING => LinkDetails::Tracing {
                attach_type: attach(0),
                target_obj_id: u32_at(4),
                target_btf_id: u32_at(8),
                cookie: u64_at(16),
            },
            LinkType::CGROUP => LinkDetails::Cgroup {
                cgroup_id: u64_at(0),
                attach_type: attach(8),
            },
            LinkType::ITER => LinkDetails::Iter {
                target_name_len: u32_at(8),
                map_id: MapId::new(u32_at(12)),
                extra: [self.union[2], self.union[3]],
            },
            LinkType::NETNS => LinkDetails::Netns {
                netns_ino: u32_at(0),
                attach_type: attach(4),
            },
            LinkType::XDP => LinkDetails::Xdp { ifindex: u32_at(0) },
            LinkType::STRUCT_OPS => LinkDetails::StructOps {
                map_id: MapId::new(u32_at(0)),
            },
            LinkType::NETFILTER => LinkDetails::Netfilter {
                pf: u32_at(0),
                hooknum: u32_at(4),
                priority: u32_at(8) as i32,
                flags: u32_at(12),
            },
            LinkType::KPROBE_MULTI => LinkDetails::KprobeMulti {
                count: u32_at(8),
                flags: KprobeMultiFlags::from_bits_retain(u32_at(12)),
                missed: u64_at(16),
            },
            LinkType::UPROBE_MULTI => LinkDetails::UprobeMulti {
                path_size: u32_at(32),
                count: u32_at(36),
                flags: UprobeMultiFlags::from_bits_retain(u32_at(40)),
                pid: u32_at(44),
            },
            LinkType::PERF_EVENT => LinkDetails::PerfEvent {
                event_type: BpfPerfEventType::from_raw(u32_at(0)),
                raw: [
                    self.union[1],
                    self.union[2],
                    self.union[3],
                    self.union[4],
                    self.union[5],
                ],
            },
            LinkType::TCX => LinkDetails::Tcx {
                ifindex: u32_at(0),
                attach_type: attach(4),
            },
            LinkType::NETKIT => LinkDetails::Netkit {
                ifindex: u32_at(0),
                attach_type: attach(4),
            },
            LinkType::SOCKMAP => LinkDetails::Sockmap {
                map_id: MapId::new(u32_at(0)),
                attach_type: attach(4),
            },
            _ => LinkDetails::Other,
        }
    }
}

/// `struct bpf_func_info`—A BTF function record (`.BTF.ext` func_info).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfFuncInfo {
    /// `insn_off`—Instruction index of the function's start.
    pub insn_off: u32,
    /// `type_id`—BTF type ID of the `FUNC`.
    pub type_id: u32,
}

/// `struct bpf_line_info`—A BTF line record (`.BTF.ext` line_info).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfLineInfo {
    /// `insn_off`—Instruction index.
    pub insn_off: u32,
    /// `file_name_off`—String offset of the file name.
    pub file_name_off: u32,
    /// `line_off`—String offset of the source line.
    pub line_off: u32,
    /// `line_col`—Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

impl BpfLineInfo {
    /// `BPF_LINE_INFO_LINE_NUM(line_col)`
    pub const fn line(&self) -> u32 {
        self.line_col >> 10
    }

    /// `BPF_LINE_INFO_LINE_COL(line_col)`
    pub const fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_details_decode() {
        let mut info = BpfLinkInfo {
            link_type: LinkType::TCX,
            ..Default::default()
        };
        let mut bytes = [0u8; 48];
        bytes[0..4].copy_from_slice(&7u32.to_ne_bytes());
        bytes[4..8].copy_from_slice(&AttachType::TCX_EGRESS.as_raw().to_ne_bytes());
        for (i, w) in info.union.iter_mut().enumerate() {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            *w = u64::from_ne_bytes(word);
        }
        assert_eq!(
            info.details(),
            LinkDetails::Tcx {
                ifindex: 7,
                attach_type: AttachType::TCX_EGRESS
            }
        );
        info.link_type = LinkType::from_raw(999);
        assert_eq!(info.details(), LinkDetails::Other);
    }

    #[test]
    fn names_and_bits() {
        let mut info = BpfProgInfo::default();
        info.name[..4].copy_from_slice(b"prog");
        assert_eq!(info.name(), b"prog");
        assert!(!info.gpl_compatible());
        info.gpl_compatible_word = if cfg!(target_endian = "little") {
            1
        } else {
            1 << 31
        };
        assert!(info.gpl_compatible());
        let line = BpfLineInfo {
            line_col: (42 << 10) | 7,
            ..Default::default()
        };
        assert_eq!((line.line(), line.column()), (42, 7));
        let o = ObjInfo {
            info: BpfMapInfo::default(),
            info_len: 80,
        };
        assert!(o.has(80));
        assert!(!o.has(88));
        assert_eq!(o.name(), b"");
    }
}
