// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Real-tracepoint producers for the event readers (tests/events_tracepoint.rs):
// every getppid() of one thread, seen at syscalls/sys_enter_getppid, becomes
// a numbered record in a ring buffer (`to_ringbuf`) or a perf buffer
// (`to_perf`). Records the kernel refuses (ring full) are counted, so the
// tests can account for every hit: received + dropped == made.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

typedef unsigned int u32;
typedef unsigned long long u64;

char LICENSE[] SEC("license") = "GPL";

// Only this thread's getppid() calls count (the tests run in parallel
// threads of one process).
const volatile u32 target_tid = 0;

// One record per hit; mirrored by the test's #[derive(BtfStruct)] Record.
struct record {
	u64 seq;    // 0, 1, 2, ... per collection, in hit order
	u32 tid;    // the thread that made the call
	u32 cpu;    // where the program ran
	u64 ktime;  // bpf_ktime_get_ns() at the hit
};

// Keeps `struct record` in the object's BTF.
const struct record *unused_record __attribute__((unused));

// Slots of `state`.
#define NEXT_SEQ 0     // hits so far (the next sequence number)
#define RING_DROPS 1   // bpf_ringbuf_reserve failures
#define PERF_FAILS 2   // bpf_perf_event_output failures
#define STATE_MAX 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STATE_MAX);
	__type(key, u32);
	__type(value, u64);
} state SEC(".maps");

// The tests resize it (CollectionSpec::set_max_entries).
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf SEC(".maps");

static __always_inline u64 *slot(u32 i)
{
	return bpf_map_lookup_elem(&state, &i);
}

// The next sequence number, or -1 if this hit is not the target thread's.
static __always_inline long long next_seq(void)
{
	u64 *next;

	if ((u32)bpf_get_current_pid_tgid() != target_tid)
		return -1;
	next = slot(NEXT_SEQ);
	if (!next)
		return -1;
	return __sync_fetch_and_add(next, 1);
}

static __always_inline void fill(struct record *r, u64 seq)
{
	r->seq = seq;
	r->tid = (u32)bpf_get_current_pid_tgid();
	r->cpu = bpf_get_smp_processor_id();
	r->ktime = bpf_ktime_get_ns();
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int to_ringbuf(void *ctx)
{
	long long seq = next_seq();
	struct record *r;
	u64 *drops;

	if (seq < 0)
		return 0;
	r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		drops = slot(RING_DROPS);
		if (drops)
			__sync_fetch_and_add(drops, 1);
		return 0;
	}
	fill(r, seq);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int to_perf(void *ctx)
{
	long long seq = next_seq();
	struct record r;
	u64 *fails;

	if (seq < 0)
		return 0;
	fill(&r, seq);
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &r, sizeof(r)) < 0) {
		fails = slot(PERF_FAILS);
		if (fails)
			__sync_fetch_and_add(fails, 1);
	}
	return 0;
}
