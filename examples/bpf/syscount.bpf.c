// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// syscount: counts system calls by number, per CPU, from the
// raw_syscalls/sys_enter tracepoint (examples/syscount.rs reads the map).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned int u32;
typedef unsigned long long u64;

char LICENSE[] SEC("license") = "GPL";

// The tracepoint's record, as tracefs'
// events/raw_syscalls/sys_enter/format describes it.
struct sys_enter_args {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	unsigned long args[6];
};

// Count only this process (thread group), if not 0.
const volatile u32 filter_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscalls(struct sys_enter_args *ctx)
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
