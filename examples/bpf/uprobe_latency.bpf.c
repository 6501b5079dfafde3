// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// uprobe_latency: how long a user-space function takes, from a uprobe on
// its entry to a uretprobe on its return, as a log2 histogram
// (examples/uprobe_latency.rs attaches both and prints it, like bcc's
// funclatency).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// Slots of the histogram: log2 buckets, the last one catching the rest.
#define MAX_SLOTS 40

char LICENSE[] SEC("license") = "GPL";

// Set by user space before load: 0 ns, 1 µs, 2 ms.
const volatile u32 units = 0;

// Thread (pid_tgid) → entry time, for calls in progress.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

// Slot → count.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

// Slots of `totals`.
#define CALLS 0     // entries seen
#define RETURNS 1   // returns measured
#define SUM 2       // sum of the measured latencies, in `units`
#define MISSED 3    // entries not recorded (`start` full)
#define TOTALS_MAX 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TOTALS_MAX);
	__type(key, u32);
	__type(value, u64);
} totals SEC(".maps");

static __always_inline void add(u32 slot, u64 n)
{
	u64 *v = bpf_map_lookup_elem(&totals, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

// floor(log2(v)), 0 for 0.
static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

SEC("uprobe")
int function_entry(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 ts = bpf_ktime_get_ns();

	add(CALLS, 1);
	if (bpf_map_update_elem(&start, &id, &ts, BPF_ANY))
		add(MISSED, 1);
	return 0;
}

SEC("uretprobe")
int function_return(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 *tsp, *count;
	s64 delta;
	u32 slot;

	tsp = bpf_map_lookup_elem(&start, &id);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &id);
	if (delta < 0)
		return 0;
	if (units == 1)
		delta /= 1000U;
	else if (units == 2)
		delta /= 1000000U;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	add(RETURNS, 1);
	add(SUM, delta);
	return 0;
}
