// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// runqlat: run-queue latency, the time a task waits between being woken
// (or preempted while still runnable) and getting a CPU, as a log2
// histogram (examples/runqlat.rs prints it). The same three BTF-typed
// scheduler tracepoints as bcc's libbpf-tools runqlat: sched_wakeup and
// sched_wakeup_new stamp the task, sched_switch stamps a preempted task and
// measures the one that gets the CPU.
//
// No vmlinux.h: the task_struct fields used are declared below and found in
// the running kernel's BTF by CO-RE. Linux 5.14 renamed task_struct.state
// to __state (and made it unsigned int); the ___o flavour and
// bpf_core_field_exists() pick whichever the kernel has.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

typedef _Bool bool;
typedef unsigned int u32;
typedef long long s64;
typedef unsigned long long u64;

#define TASK_RUNNING 0
// Slots of the histogram: log2 buckets 0..MAX_SLOTS-1, the last one
// catching everything above.
#define MAX_SLOTS 32

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
	int pid;
	int tgid;
	unsigned int __state;
} __attribute__((preserve_access_index));

// Before Linux 5.14.
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

// Set by user space before load.
const volatile bool targ_ms = 0;   // milliseconds instead of microseconds
const volatile u32 targ_tgid = 0;  // only this process (0: all)

// Thread id → when it became runnable (ns).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

// Slot → count.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

// floor(log2(v)), 0 for 0.
static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;

	// Bounded for the verifier: 6 halving steps cover 64 bits.
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline int trace_enqueue(u32 tgid, u32 pid)
{
	u64 ts;

	if (!pid)
		return 0;
	if (targ_tgid && targ_tgid != tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	return trace_enqueue(p->tgid, p->pid);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	return trace_enqueue(p->tgid, p->pid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 *tsp, *count;
	u32 pid, slot;
	s64 delta;

	// Preempted while runnable: it waits on the run queue from now.
	if (task_state(prev) == TASK_RUNNING)
		trace_enqueue(prev->tgid, prev->pid);

	pid = next->pid;
	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	if (delta < 0)
		goto cleanup;
	if (targ_ms)
		delta /= 1000000U;
	else
		delta /= 1000U;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
cleanup:
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
