// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Iterator programs (tests/link_tracing.rs): every task as "tgid pid",
// every map's id, one map's elements as "key value", and two task
// iterators printing a constant, to swap with BPF_LINK_UPDATE.
#include "trace_common.h"

char LICENSE[] SEC("license") = "GPL";

// The iterator contexts (bpf_iter__task, ...) come from vmlinux.h.

// Field offsets in kernel structs, from the running kernel's BTF (set by
// the tests before loading; there is no CO-RE here).
const volatile u32 task_pid_off = 0;
const volatile u32 task_tgid_off = 0;
const volatile u32 map_id_off = 0;

// Reads a 32-bit field of a kernel object at a run-time offset.
static __always_inline u32 field32(const void *obj, u32 off)
{
	u64 addr = 0;
	u32 v = 0;

	// The pointer as a plain number: the verifier allows no variable
	// offsets on BTF pointers.
	bpf_probe_read_kernel(&addr, sizeof(addr), &obj);
	bpf_probe_read_kernel(&v, sizeof(v), (void *)(addr + off));
	return v;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %u\n", field32(task, task_tgid_off),
		       field32(task, task_pid_off));
	return 0;
}

SEC("iter/bpf_map")
int dump_map(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;

	if (!map)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u\n", field32(map, map_id_off));
	return 0;
}

SEC("iter/bpf_map_elem")
int dump_elem(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	u32 *key = ctx->key;
	u64 *value = ctx->value;

	if (!key || !value)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %llu\n", *key, *value);
	return 0;
}

SEC("iter/task")
int task_a(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		BPF_SEQ_PRINTF(ctx->meta->seq, "A\n");
	return 0;
}

SEC("iter/task")
int task_b(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		BPF_SEQ_PRINTF(ctx->meta->seq, "B\n");
	return 0;
}
