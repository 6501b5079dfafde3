//! Layout tests: every attr and info struct against the kernel's.
//!
//! The expected offsets and sizes below were computed by the C compiler
//! (`offsetof`/`sizeof`) from `include/uapi/linux/bpf.h` of **Linux 6.18**
//! (the header as of the 6.18 merge window, i.e. through kernel commit
//! "bpf: Finish constification of 1st parameter of bpf_d_path()"), and
//! cross-checked against the BTF of a running 6.18 kernel (`bpftool btf
//! dump file /sys/kernel/btf/vmlinux format c`): both gave identical
//! numbers. Sizes of anonymous members of `union bpf_attr` are the end of
//! their last field rounded up to the union's 8-byte alignment.

use std::mem::{align_of, offset_of, size_of};

use crate::attr::*;
use crate::info::*;

/// Asserts a table of `(C field, Rust offset, C offset)`.
fn check(name: &str, table: &[(&str, usize, usize)]) {
    for &(field, got, want) in table {
        assert_eq!(got, want, "{name}.{field}: offset {got}, uapi says {want}");
    }
}

#[test]
fn map_create_attr() {
    assert_eq!(size_of::<MapCreateAttr>(), 96);
    assert_eq!(align_of::<MapCreateAttr>(), 8);
    check(
        "MapCreateAttr",
        &[
            ("map_type", offset_of!(MapCreateAttr, map_type), 0),
            ("key_size", offset_of!(MapCreateAttr, key_size), 4),
            ("value_size", offset_of!(MapCreateAttr, value_size), 8),
            ("max_entries", offset_of!(MapCreateAttr, max_entries), 12),
            ("map_flags", offset_of!(MapCreateAttr, map_flags), 16),
            ("inner_map_fd", offset_of!(MapCreateAttr, inner_map_fd), 20),
            ("numa_node", offset_of!(MapCreateAttr, numa_node), 24),
            ("map_name", offset_of!(MapCreateAttr, map_name), 28),
            ("map_ifindex", offset_of!(MapCreateAttr, map_ifindex), 44),
            ("btf_fd", offset_of!(MapCreateAttr, btf_fd), 48),
            (
                "btf_key_type_id",
                offset_of!(MapCreateAttr, btf_key_type_id),
                52,
            ),
            (
                "btf_value_type_id",
                offset_of!(MapCreateAttr, btf_value_type_id),
                56,
            ),
            (
                "btf_vmlinux_value_type_id",
                offset_of!(MapCreateAttr, btf_vmlinux_value_type_id),
                60,
            ),
            ("map_extra", offset_of!(MapCreateAttr, map_extra), 64),
            (
                "value_type_btf_obj_fd",
                offset_of!(MapCreateAttr, value_type_btf_obj_fd),
                72,
            ),
            ("map_token_fd", offset_of!(MapCreateAttr, map_token_fd), 76),
            (
                "excl_prog_hash",
                offset_of!(MapCreateAttr, excl_prog_hash),
                80,
            ),
            (
                "excl_prog_hash_size",
                offset_of!(MapCreateAttr, excl_prog_hash_size),
                88,
            ),
        ],
    );
}

#[test]
fn map_elem_attr() {
    assert_eq!(size_of::<MapElemAttr>(), 32);
    assert_eq!(align_of::<MapElemAttr>(), 8);
    check(
        "MapElemAttr",
        &[
            ("map_fd", offset_of!(MapElemAttr, map_fd), 0),
            ("key", offset_of!(MapElemAttr, key), 8),
            ("value", offset_of!(MapElemAttr, value), 16),
            ("flags", offset_of!(MapElemAttr, flags), 24),
        ],
    );
}

#[test]
fn map_batch_attr() {
    assert_eq!(size_of::<MapBatchAttr>(), 56);
    assert_eq!(align_of::<MapBatchAttr>(), 8);
    check(
        "MapBatchAttr",
        &[
            ("in_batch", offset_of!(MapBatchAttr, in_batch), 0),
            ("out_batch", offset_of!(MapBatchAttr, out_batch), 8),
            ("keys", offset_of!(MapBatchAttr, keys), 16),
            ("values", offset_of!(MapBatchAttr, values), 24),
            ("count", offset_of!(MapBatchAttr, count), 32),
            ("map_fd", offset_of!(MapBatchAttr, map_fd), 36),
            ("elem_flags", offset_of!(MapBatchAttr, elem_flags), 40),
            ("flags", offset_of!(MapBatchAttr, flags), 48),
        ],
    );
}

#[test]
fn prog_load_attr() {
    assert_eq!(size_of::<ProgLoadAttr>(), 168);
    assert_eq!(align_of::<ProgLoadAttr>(), 8);
    check(
        "ProgLoadAttr",
        &[
            ("prog_type", offset_of!(ProgLoadAttr, prog_type), 0),
            ("insn_cnt", offset_of!(ProgLoadAttr, insn_cnt), 4),
            ("insns", offset_of!(ProgLoadAttr, insns), 8),
            ("license", offset_of!(ProgLoadAttr, license), 16),
            ("log_level", offset_of!(ProgLoadAttr, log_level), 24),
            ("log_size", offset_of!(ProgLoadAttr, log_size), 28),
            ("log_buf", offset_of!(ProgLoadAttr, log_buf), 32),
            ("kern_version", offset_of!(ProgLoadAttr, kern_version), 40),
            ("prog_flags", offset_of!(ProgLoadAttr, prog_flags), 44),
            ("prog_name", offset_of!(ProgLoadAttr, prog_name), 48),
            ("prog_ifindex", offset_of!(ProgLoadAttr, prog_ifindex), 64),
            (
                "expected_attach_type",
                offset_of!(ProgLoadAttr, expected_attach_type),
                68,
            ),
            ("prog_btf_fd", offset_of!(ProgLoadAttr, prog_btf_fd), 72),
            (
                "func_info_rec_size",
                offset_of!(ProgLoadAttr, func_info_rec_size),
                76,
            ),
            ("func_info", offset_of!(ProgLoadAttr, func_info), 80),
            ("func_info_cnt", offset_of!(ProgLoadAttr, func_info_cnt), 88),
            (
                "line_info_rec_size",
                offset_of!(ProgLoadAttr, line_info_rec_size),
                92,
            ),
            ("line_info", offset_of!(ProgLoadAttr, line_info), 96),
            (
                "line_info_cnt",
                offset_of!(ProgLoadAttr, line_info_cnt),
                104,
            ),
            (
                "attach_btf_id",
                offset_of!(ProgLoadAttr, attach_btf_id),
                108,
            ),
            (
                "attach_prog_fd",
                offset_of!(ProgLoadAttr, attach_prog_fd),
                112,
            ),
            (
                "core_relo_cnt",
                offset_of!(ProgLoadAttr, core_relo_cnt),
                116,
            ),
            ("fd_array", offset_of!(ProgLoadAttr, fd_array), 120),
            ("core_relos", offset_of!(ProgLoadAttr, core_relos), 128),
            (
                "core_relo_rec_size",
                offset_of!(ProgLoadAttr, core_relo_rec_size),
                136,
            ),
            (
                "log_true_size",
                offset_of!(ProgLoadAttr, log_true_size),
                140,
            ),
            (
                "prog_token_fd",
                offset_of!(ProgLoadAttr, prog_token_fd),
                144,
            ),
            ("fd_array_cnt", offset_of!(ProgLoadAttr, fd_array_cnt), 148),
            ("signature", offset_of!(ProgLoadAttr, signature), 152),
            (
                "signature_size",
                offset_of!(ProgLoadAttr, signature_size),
                160,
            ),
            ("keyring_id", offset_of!(ProgLoadAttr, keyring_id), 164),
        ],
    );
}

#[test]
fn obj_attr() {
    assert_eq!(size_of::<ObjAttr>(), 24);
    assert_eq!(align_of::<ObjAttr>(), 8);
    check(
        "ObjAttr",
        &[
            ("pathname", offset_of!(ObjAttr, pathname), 0),
            ("bpf_fd", offset_of!(ObjAttr, bpf_fd), 8),
            ("file_flags", offset_of!(ObjAttr, file_flags), 12),
            ("path_fd", offset_of!(ObjAttr, path_fd), 16),
        ],
    );
}

#[test]
fn prog_attach_attr() {
    assert_eq!(size_of::<ProgAttachAttr>(), 32);
    assert_eq!(align_of::<ProgAttachAttr>(), 8);
    check(
        "ProgAttachAttr",
        &[
            ("target_fd", offset_of!(ProgAttachAttr, target_fd), 0),
            (
                "attach_bpf_fd",
                offset_of!(ProgAttachAttr, attach_bpf_fd),
                4,
            ),
            ("attach_type", offset_of!(ProgAttachAttr, attach_type), 8),
            ("attach_flags", offset_of!(ProgAttachAttr, attach_flags), 12),
            (
                "replace_bpf_fd",
                offset_of!(ProgAttachAttr, replace_bpf_fd),
                16,
            ),
            ("relative_fd", offset_of!(ProgAttachAttr, relative_fd), 20),
            (
                "expected_revision",
                offset_of!(ProgAttachAttr, expected_revision),
                24,
            ),
        ],
    );
}

#[test]
fn test_run_attr() {
    assert_eq!(size_of::<TestRunAttr>(), 80);
    assert_eq!(align_of::<TestRunAttr>(), 8);
    check(
        "TestRunAttr",
        &[
            ("prog_fd", offset_of!(TestRunAttr, prog_fd), 0),
            ("retval", offset_of!(TestRunAttr, retval), 4),
            ("data_size_in", offset_of!(TestRunAttr, data_size_in), 8),
            ("data_size_out", offset_of!(TestRunAttr, data_size_out), 12),
            ("data_in", offset_of!(TestRunAttr, data_in), 16),
            ("data_out", offset_of!(TestRunAttr, data_out), 24),
            ("repeat", offset_of!(TestRunAttr, repeat), 32),
            ("duration", offset_of!(TestRunAttr, duration), 36),
            ("ctx_size_in", offset_of!(TestRunAttr, ctx_size_in), 40),
            ("ctx_size_out", offset_of!(TestRunAttr, ctx_size_out), 44),
            ("ctx_in", offset_of!(TestRunAttr, ctx_in), 48),
            ("ctx_out", offset_of!(TestRunAttr, ctx_out), 56),
            ("flags", offset_of!(TestRunAttr, flags), 64),
            ("cpu", offset_of!(TestRunAttr, cpu), 68),
            ("batch_size", offset_of!(TestRunAttr, batch_size), 72),
        ],
    );
}

#[test]
fn get_id_attr() {
    assert_eq!(size_of::<GetIdAttr>(), 16);
    check(
        "GetIdAttr",
        &[
            ("start_id", offset_of!(GetIdAttr, id), 0),
            ("next_id", offset_of!(GetIdAttr, next_id), 4),
            ("open_flags", offset_of!(GetIdAttr, open_flags), 8),
            (
                "fd_by_id_token_fd",
                offset_of!(GetIdAttr, fd_by_id_token_fd),
                12,
            ),
        ],
    );
}

#[test]
fn info_attr() {
    assert_eq!(size_of::<InfoAttr>(), 16);
    assert_eq!(align_of::<InfoAttr>(), 8);
    check(
        "InfoAttr",
        &[
            ("bpf_fd", offset_of!(InfoAttr, bpf_fd), 0),
            ("info_len", offset_of!(InfoAttr, info_len), 4),
            ("info", offset_of!(InfoAttr, info), 8),
        ],
    );
}

#[test]
fn prog_query_attr() {
    assert_eq!(size_of::<ProgQueryAttr>(), 64);
    assert_eq!(align_of::<ProgQueryAttr>(), 8);
    check(
        "ProgQueryAttr",
        &[
            ("target_fd", offset_of!(ProgQueryAttr, target_fd), 0),
            ("attach_type", offset_of!(ProgQueryAttr, attach_type), 4),
            ("query_flags", offset_of!(ProgQueryAttr, query_flags), 8),
            ("attach_flags", offset_of!(ProgQueryAttr, attach_flags), 12),
            ("prog_ids", offset_of!(ProgQueryAttr, prog_ids), 16),
            ("prog_cnt", offset_of!(ProgQueryAttr, count), 24),
            (
                "prog_attach_flags",
                offset_of!(ProgQueryAttr, prog_attach_flags),
                32,
            ),
            ("link_ids", offset_of!(ProgQueryAttr, link_ids), 40),
            (
                "link_attach_flags",
                offset_of!(ProgQueryAttr, link_attach_flags),
                48,
            ),
            ("revision", offset_of!(ProgQueryAttr, revision), 56),
        ],
    );
}

#[test]
fn raw_tracepoint_attr() {
    assert_eq!(size_of::<RawTracepointAttr>(), 24);
    assert_eq!(align_of::<RawTracepointAttr>(), 8);
    check(
        "RawTracepointAttr",
        &[
            ("name", offset_of!(RawTracepointAttr, name), 0),
            ("prog_fd", offset_of!(RawTracepointAttr, prog_fd), 8),
            ("cookie", offset_of!(RawTracepointAttr, cookie), 16),
        ],
    );
}

#[test]
fn btf_load_attr() {
    assert_eq!(size_of::<BtfLoadAttr>(), 40);
    assert_eq!(align_of::<BtfLoadAttr>(), 8);
    check(
        "BtfLoadAttr",
        &[
            ("btf", offset_of!(BtfLoadAttr, btf), 0),
            ("btf_log_buf", offset_of!(BtfLoadAttr, btf_log_buf), 8),
            ("btf_size", offset_of!(BtfLoadAttr, btf_size), 16),
            ("btf_log_size", offset_of!(BtfLoadAttr, btf_log_size), 20),
            ("btf_log_level", offset_of!(BtfLoadAttr, btf_log_level), 24),
            (
                "btf_log_true_size",
                offset_of!(BtfLoadAttr, btf_log_true_size),
                28,
            ),
            ("btf_flags", offset_of!(BtfLoadAttr, btf_flags), 32),
            ("btf_token_fd", offset_of!(BtfLoadAttr, btf_token_fd), 36),
        ],
    );
}

#[test]
fn link_create_attr() {
    assert_eq!(size_of::<LinkCreateAttr>(), 64);
    assert_eq!(align_of::<LinkCreateAttr>(), 8);
    check(
        "LinkCreateAttr",
        &[
            ("prog_fd", offset_of!(LinkCreateAttr, prog_fd), 0),
            ("target_fd", offset_of!(LinkCreateAttr, target_fd), 4),
            ("attach_type", offset_of!(LinkCreateAttr, attach_type), 8),
            ("flags", offset_of!(LinkCreateAttr, flags), 12),
            ("target_btf_id", offset_of!(LinkCreateAttr, extra), 16),
        ],
    );
}

#[test]
fn link_update_attr() {
    assert_eq!(size_of::<LinkUpdateAttr>(), 16);
    check(
        "LinkUpdateAttr",
        &[
            ("link_fd", offset_of!(LinkUpdateAttr, link_fd), 0),
            ("new_prog_fd", offset_of!(LinkUpdateAttr, new_prog_fd), 4),
            ("flags", offset_of!(LinkUpdateAttr, flags), 8),
            ("old_prog_fd", offset_of!(LinkUpdateAttr, old_prog_fd), 12),
        ],
    );
}

#[test]
fn link_detach_attr() {
    assert_eq!(size_of::<LinkDetachAttr>(), 4);
    check(
        "LinkDetachAttr",
        &[("link_fd", offset_of!(LinkDetachAttr, link_fd), 0)],
    );
}

#[test]
fn enable_stats_attr() {
    assert_eq!(size_of::<EnableStatsAttr>(), 4);
    check(
        "EnableStatsAttr",
        &[("type", offset_of!(EnableStatsAttr, stats_type), 0)],
    );
}

#[test]
fn iter_create_attr() {
    assert_eq!(size_of::<IterCreateAttr>(), 8);
    check(
        "IterCreateAttr",
        &[
            ("link_fd", offset_of!(IterCreateAttr, link_fd), 0),
            ("flags", offset_of!(IterCreateAttr, flags), 4),
        ],
    );
}

#[test]
fn prog_bind_map_attr() {
    assert_eq!(size_of::<ProgBindMapAttr>(), 12);
    check(
        "ProgBindMapAttr",
        &[
            ("prog_fd", offset_of!(ProgBindMapAttr, prog_fd), 0),
            ("map_fd", offset_of!(ProgBindMapAttr, map_fd), 4),
            ("flags", offset_of!(ProgBindMapAttr, flags), 8),
        ],
    );
}

#[test]
fn link_create_iter() {
    assert_eq!(size_of::<LinkCreateIter>(), 16);
    check(
        "LinkCreateIter as link_create.None",
        &[
            ("iter_info", offset_of!(LinkCreateIter, iter_info), 0),
            (
                "iter_info_len",
                offset_of!(LinkCreateIter, iter_info_len),
                8,
            ),
        ],
    );
}

#[test]
fn link_create_perf_event() {
    assert_eq!(size_of::<LinkCreatePerfEvent>(), 8);
    check(
        "LinkCreatePerfEvent as link_create.perf_event",
        &[("bpf_cookie", offset_of!(LinkCreatePerfEvent, bpf_cookie), 0)],
    );
}

#[test]
fn link_create_kprobe_multi() {
    assert_eq!(size_of::<LinkCreateKprobeMulti>(), 32);
    check(
        "LinkCreateKprobeMulti as link_create.kprobe_multi",
        &[
            ("flags", offset_of!(LinkCreateKprobeMulti, flags), 0),
            ("cnt", offset_of!(LinkCreateKprobeMulti, cnt), 4),
            ("syms", offset_of!(LinkCreateKprobeMulti, syms), 8),
            ("addrs", offset_of!(LinkCreateKprobeMulti, addrs), 16),
            ("cookies", offset_of!(LinkCreateKprobeMulti, cookies), 24),
        ],
    );
}

#[test]
fn link_create_tracing() {
    assert_eq!(size_of::<LinkCreateTracing>(), 16);
    check(
        "LinkCreateTracing as link_create.tracing",
        &[
            (
                "target_btf_id",
                offset_of!(LinkCreateTracing, target_btf_id),
                0,
            ),
            ("cookie", offset_of!(LinkCreateTracing, cookie), 8),
        ],
    );
}

#[test]
fn link_create_netfilter() {
    assert_eq!(size_of::<LinkCreateNetfilter>(), 16);
    check(
        "LinkCreateNetfilter as link_create.netfilter",
        &[
            ("pf", offset_of!(LinkCreateNetfilter, pf), 0),
            ("hooknum", offset_of!(LinkCreateNetfilter, hooknum), 4),
            ("priority", offset_of!(LinkCreateNetfilter, priority), 8),
            ("flags", offset_of!(LinkCreateNetfilter, flags), 12),
        ],
    );
}

#[test]
fn link_create_relative_tcx() {
    assert_eq!(size_of::<LinkCreateRelative>(), 16);
    check(
        "LinkCreateRelative as link_create.tcx",
        &[
            (
                "relative_fd",
                offset_of!(LinkCreateRelative, relative_fd),
                0,
            ),
            (
                "expected_revision",
                offset_of!(LinkCreateRelative, expected_revision),
                8,
            ),
        ],
    );
}

#[test]
fn link_create_relative_netkit() {
    check(
        "LinkCreateRelative as link_create.netkit",
        &[
            (
                "relative_fd",
                offset_of!(LinkCreateRelative, relative_fd),
                0,
            ),
            (
                "expected_revision",
                offset_of!(LinkCreateRelative, expected_revision),
                8,
            ),
        ],
    );
}

#[test]
fn link_create_relative_cgroup() {
    check(
        "LinkCreateRelative as link_create.cgroup",
        &[
            (
                "relative_fd",
                offset_of!(LinkCreateRelative, relative_fd),
                0,
            ),
            (
                "expected_revision",
                offset_of!(LinkCreateRelative, expected_revision),
                8,
            ),
        ],
    );
}

#[test]
fn link_create_uprobe_multi() {
    assert_eq!(size_of::<LinkCreateUprobeMulti>(), 48);
    check(
        "LinkCreateUprobeMulti as link_create.uprobe_multi",
        &[
            ("path", offset_of!(LinkCreateUprobeMulti, path), 0),
            ("offsets", offset_of!(LinkCreateUprobeMulti, offsets), 8),
            (
                "ref_ctr_offsets",
                offset_of!(LinkCreateUprobeMulti, ref_ctr_offsets),
                16,
            ),
            ("cookies", offset_of!(LinkCreateUprobeMulti, cookies), 24),
            ("cnt", offset_of!(LinkCreateUprobeMulti, cnt), 32),
            ("flags", offset_of!(LinkCreateUprobeMulti, flags), 36),
            ("pid", offset_of!(LinkCreateUprobeMulti, pid), 40),
        ],
    );
}

#[test]
fn link_create_extra() {
    assert_eq!(size_of::<LinkCreateExtra>(), 48);
    assert_eq!(align_of::<LinkCreateExtra>(), 8);
    check(
        "LinkCreateExtra",
        &[
            (
                "target_btf_id",
                offset_of!(LinkCreateExtra, target_btf_id),
                0,
            ),
            ("iter", offset_of!(LinkCreateExtra, iter), 0),
            ("perf_event", offset_of!(LinkCreateExtra, perf_event), 0),
            ("kprobe_multi", offset_of!(LinkCreateExtra, kprobe_multi), 0),
            ("tracing", offset_of!(LinkCreateExtra, tracing), 0),
            ("netfilter", offset_of!(LinkCreateExtra, netfilter), 0),
            ("tcx", offset_of!(LinkCreateExtra, tcx), 0),
            ("uprobe_multi", offset_of!(LinkCreateExtra, uprobe_multi), 0),
            ("netkit", offset_of!(LinkCreateExtra, netkit), 0),
            ("cgroup", offset_of!(LinkCreateExtra, cgroup), 0),
        ],
    );
}

#[test]
fn bpf_prog_info() {
    assert_eq!(size_of::<BpfProgInfo>(), 232);
    assert_eq!(align_of::<BpfProgInfo>(), 8);
    check(
        "BpfProgInfo",
        &[
            ("type", offset_of!(BpfProgInfo, prog_type), 0),
            ("id", offset_of!(BpfProgInfo, id), 4),
            ("tag", offset_of!(BpfProgInfo, tag), 8),
            (
                "jited_prog_len",
                offset_of!(BpfProgInfo, jited_prog_len),
                16,
            ),
            (
                "xlated_prog_len",
                offset_of!(BpfProgInfo, xlated_prog_len),
                20,
            ),
            (
                "jited_prog_insns",
                offset_of!(BpfProgInfo, jited_prog_insns),
                24,
            ),
            (
                "xlated_prog_insns",
                offset_of!(BpfProgInfo, xlated_prog_insns),
                32,
            ),
            ("load_time", offset_of!(BpfProgInfo, load_time), 40),
            (
                "created_by_uid",
                offset_of!(BpfProgInfo, created_by_uid),
                48,
            ),
            ("nr_map_ids", offset_of!(BpfProgInfo, nr_map_ids), 52),
            ("map_ids", offset_of!(BpfProgInfo, map_ids), 56),
            ("name", offset_of!(BpfProgInfo, name), 64),
            ("ifindex", offset_of!(BpfProgInfo, ifindex), 80),
            // `__u32 gpl_compatible:1; __u32 :31;` — GCC puts `gpl_compatible = 1`
            // at byte 84 as the word 0x1 (x86-64).
            (
                "gpl_compatible",
                offset_of!(BpfProgInfo, gpl_compatible_word),
                84,
            ),
            ("netns_dev", offset_of!(BpfProgInfo, netns_dev), 88),
            ("netns_ino", offset_of!(BpfProgInfo, netns_ino), 96),
            (
                "nr_jited_ksyms",
                offset_of!(BpfProgInfo, nr_jited_ksyms),
                104,
            ),
            (
                "nr_jited_func_lens",
                offset_of!(BpfProgInfo, nr_jited_func_lens),
                108,
            ),
            ("jited_ksyms", offset_of!(BpfProgInfo, jited_ksyms), 112),
            (
                "jited_func_lens",
                offset_of!(BpfProgInfo, jited_func_lens),
                120,
            ),
            ("btf_id", offset_of!(BpfProgInfo, btf_id), 128),
            (
                "func_info_rec_size",
                offset_of!(BpfProgInfo, func_info_rec_size),
                132,
            ),
            ("func_info", offset_of!(BpfProgInfo, func_info), 136),
            ("nr_func_info", offset_of!(BpfProgInfo, nr_func_info), 144),
            ("nr_line_info", offset_of!(BpfProgInfo, nr_line_info), 148),
            ("line_info", offset_of!(BpfProgInfo, line_info), 152),
            (
                "jited_line_info",
                offset_of!(BpfProgInfo, jited_line_info),
                160,
            ),
            (
                "nr_jited_line_info",
                offset_of!(BpfProgInfo, nr_jited_line_info),
                168,
            ),
            (
                "line_info_rec_size",
                offset_of!(BpfProgInfo, line_info_rec_size),
                172,
            ),
            (
                "jited_line_info_rec_size",
                offset_of!(BpfProgInfo, jited_line_info_rec_size),
                176,
            ),
            ("nr_prog_tags", offset_of!(BpfProgInfo, nr_prog_tags), 180),
            ("prog_tags", offset_of!(BpfProgInfo, prog_tags), 184),
            ("run_time_ns", offset_of!(BpfProgInfo, run_time_ns), 192),
            ("run_cnt", offset_of!(BpfProgInfo, run_cnt), 200),
            (
                "recursion_misses",
                offset_of!(BpfProgInfo, recursion_misses),
                208,
            ),
            (
                "verified_insns",
                offset_of!(BpfProgInfo, verified_insns),
                216,
            ),
            (
                "attach_btf_obj_id",
                offset_of!(BpfProgInfo, attach_btf_obj_id),
                220,
            ),
            ("attach_btf_id", offset_of!(BpfProgInfo, attach_btf_id), 224),
        ],
    );
}

#[test]
fn bpf_map_info() {
    assert_eq!(size_of::<BpfMapInfo>(), 104);
    assert_eq!(align_of::<BpfMapInfo>(), 8);
    check(
        "BpfMapInfo",
        &[
            ("type", offset_of!(BpfMapInfo, map_type), 0),
            ("id", offset_of!(BpfMapInfo, id), 4),
            ("key_size", offset_of!(BpfMapInfo, key_size), 8),
            ("value_size", offset_of!(BpfMapInfo, value_size), 12),
            ("max_entries", offset_of!(BpfMapInfo, max_entries), 16),
            ("map_flags", offset_of!(BpfMapInfo, map_flags), 20),
            ("name", offset_of!(BpfMapInfo, name), 24),
            ("ifindex", offset_of!(BpfMapInfo, ifindex), 40),
            (
                "btf_vmlinux_value_type_id",
                offset_of!(BpfMapInfo, btf_vmlinux_value_type_id),
                44,
            ),
            ("netns_dev", offset_of!(BpfMapInfo, netns_dev), 48),
            ("netns_ino", offset_of!(BpfMapInfo, netns_ino), 56),
            ("btf_id", offset_of!(BpfMapInfo, btf_id), 64),
            (
                "btf_key_type_id",
                offset_of!(BpfMapInfo, btf_key_type_id),
                68,
            ),
            (
                "btf_value_type_id",
                offset_of!(BpfMapInfo, btf_value_type_id),
                72,
            ),
            ("btf_vmlinux_id", offset_of!(BpfMapInfo, btf_vmlinux_id), 76),
            ("map_extra", offset_of!(BpfMapInfo, map_extra), 80),
            ("hash", offset_of!(BpfMapInfo, hash), 88),
            ("hash_size", offset_of!(BpfMapInfo, hash_size), 96),
        ],
    );
}

#[test]
fn bpf_btf_info() {
    assert_eq!(size_of::<BpfBtfInfo>(), 32);
    assert_eq!(align_of::<BpfBtfInfo>(), 8);
    check(
        "BpfBtfInfo",
        &[
            ("btf", offset_of!(BpfBtfInfo, btf), 0),
            ("btf_size", offset_of!(BpfBtfInfo, btf_size), 8),
            ("id", offset_of!(BpfBtfInfo, id), 12),
            ("name", offset_of!(BpfBtfInfo, name), 16),
            ("name_len", offset_of!(BpfBtfInfo, name_len), 24),
            ("kernel_btf", offset_of!(BpfBtfInfo, kernel_btf), 28),
        ],
    );
}

#[test]
fn bpf_link_info() {
    assert_eq!(size_of::<BpfLinkInfo>(), 64);
    assert_eq!(align_of::<BpfLinkInfo>(), 8);
    check(
        "BpfLinkInfo",
        &[
            ("type", offset_of!(BpfLinkInfo, link_type), 0),
            ("id", offset_of!(BpfLinkInfo, id), 4),
            ("prog_id", offset_of!(BpfLinkInfo, prog_id), 8),
            ("raw_tracepoint", offset_of!(BpfLinkInfo, union), 16),
        ],
    );
}

#[test]
fn bpf_func_info() {
    assert_eq!(size_of::<BpfFuncInfo>(), 8);
    check(
        "BpfFuncInfo",
        &[
            ("insn_off", offset_of!(BpfFuncInfo, insn_off), 0),
            ("type_id", offset_of!(BpfFuncInfo, type_id), 4),
        ],
    );
}

#[test]
fn bpf_line_info() {
    assert_eq!(size_of::<BpfLineInfo>(), 16);
    check(
        "BpfLineInfo",
        &[
            ("insn_off", offset_of!(BpfLineInfo, insn_off), 0),
            ("file_name_off", offset_of!(BpfLineInfo, file_name_off), 4),
            ("line_off", offset_of!(BpfLineInfo, line_off), 8),
            ("line_col", offset_of!(BpfLineInfo, line_col), 12),
        ],
    );
}

/// Offsets inside the `bpf_link_info` union (relative to its start at byte
/// 16), from the same C compilation; each decoded field of
/// [`BpfLinkInfo::details`] is checked by planting a value at its offset.
#[cfg(target_endian = "little")] // values are planted little-endian
#[test]
fn bpf_link_info_union_decoding() {
    use crate::flags::{KprobeMultiFlags, UprobeMultiFlags};
    use crate::types::{AttachType, BpfPerfEventType, LinkType, MapId};

    fn info(link_type: LinkType, fields: &[(usize, usize, u64)]) -> BpfLinkInfo {
        let mut bytes = [0u8; 48];
        for &(off, size, value) in fields {
            bytes[off..off + size].copy_from_slice(&value.to_ne_bytes()[..size]);
        }
        #[cfg(target_endian = "big")]
        for &(off, size, value) in fields {
            bytes[off..off + size].copy_from_slice(&value.to_be_bytes()[8 - size..]);
        }
        let mut info = BpfLinkInfo {
            link_type,
            ..Default::default()
        };
        for (i, word) in info.union.iter_mut().enumerate() {
            let mut w = [0; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            *word = u64::from_ne_bytes(w);
        }
        info
    }
    let at = AttachType::from_raw(0x55);
    assert_eq!(
        info(LinkType::RAW_TRACEPOINT, &[(8, 4, 11), (16, 8, 12)]).details(),
        LinkDetails::RawTracepoint {
            tp_name_len: 11,
            cookie: 12
        }
    );
    assert_eq!(
        info(
            LinkType::TRACING,
            &[(0, 4, 0x55), (4, 4, 21), (8, 4, 22), (16, 8, 23)]
        )
        .details(),
        LinkDetails::Tracing {
            attach_type: at,
            target_obj_id: 21,
            target_btf_id: 22,
            cookie: 23
        }
    );
    assert_eq!(
        info(LinkType::CGROUP, &[(0, 8, 31), (8, 4, 0x55)]).details(),
        LinkDetails::Cgroup {
            cgroup_id: 31,
            attach_type: at
        }
    );
    assert_eq!(
        info(LinkType::ITER, &[(8, 4, 41), (12, 4, 42), (16, 8, 43)]).details(),
        LinkDetails::Iter {
            target_name_len: 41,
            map_id: MapId::new(42),
            extra: [43, 0]
        }
    );
    assert_eq!(
        info(LinkType::NETNS, &[(0, 4, 51), (4, 4, 0x55)]).details(),
        LinkDetails::Netns {
            netns_ino: 51,
            attach_type: at
        }
    );
    assert_eq!(
        info(LinkType::XDP, &[(0, 4, 61)]).details(),
        LinkDetails::Xdp { ifindex: 61 }
    );
    assert_eq!(
        info(LinkType::STRUCT_OPS, &[(0, 4, 71)]).details(),
        LinkDetails::StructOps {
            map_id: MapId::new(71)
        }
    );
    assert_eq!(
        info(
            LinkType::NETFILTER,
            &[(0, 4, 81), (4, 4, 82), (8, 4, 0xffff_ffff), (12, 4, 84)]
        )
        .details(),
        LinkDetails::Netfilter {
            pf: 81,
            hooknum: 82,
            priority: -1,
            flags: 84
        }
    );
    assert_eq!(
        info(
            LinkType::KPROBE_MULTI,
            &[(8, 4, 91), (12, 4, 1), (16, 8, 93)]
        )
        .details(),
        LinkDetails::KprobeMulti {
            count: 91,
            flags: KprobeMultiFlags::RETURN,
            missed: 93
        }
    );
    assert_eq!(
        info(
            LinkType::UPROBE_MULTI,
            &[(32, 4, 101), (36, 4, 102), (40, 4, 1), (44, 4, 104)]
        )
        .details(),
        LinkDetails::UprobeMulti {
            path_size: 101,
            count: 102,
            flags: UprobeMultiFlags::RETURN,
            pid: 104
        }
    );
    assert_eq!(
        info(LinkType::TCX, &[(0, 4, 111), (4, 4, 0x55)]).details(),
        LinkDetails::Tcx {
            ifindex: 111,
            attach_type: at
        }
    );
    assert_eq!(
        info(LinkType::NETKIT, &[(0, 4, 121), (4, 4, 0x55)]).details(),
        LinkDetails::Netkit {
            ifindex: 121,
            attach_type: at
        }
    );
    assert_eq!(
        info(LinkType::SOCKMAP, &[(0, 4, 131), (4, 4, 0x55)]).details(),
        LinkDetails::Sockmap {
            map_id: MapId::new(131),
            attach_type: at
        }
    );
    // perf_event: `type` at 0, the inner union from byte 8.
    assert_eq!(
        info(LinkType::PERF_EVENT, &[(0, 4, 3), (8, 8, 0x77)]).details(),
        LinkDetails::PerfEvent {
            event_type: BpfPerfEventType::KPROBE,
            raw: [0x77, 0, 0, 0, 0]
        }
    );
}
