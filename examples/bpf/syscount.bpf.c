// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// syscount: counts system calls by number, per CPU, from the
// raw_syscalls/sys_enter tracepoint (examples/syscount.rs reads the map).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

// Count only this process (thread group), if not 0.
const volatile u32 filter_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscalls(struct trace_event_raw_sys_enter *ctx)
{
	u32 nr;
	u64 *v, one = 1;

	if (filter_pid && (u32)(bpf_get_current_pid_tgid() >> 32) != filter_pid)
		return 0;
	if (ctx->id < 0)
		return 0;
	nr = ctx->id;
	v = bpf_map_lookup_elem(&counts, &nr);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&counts, &nr, &one, BPF_NOEXIST);
	return 0;
}
