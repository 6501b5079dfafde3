// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Perf-buffer producer for the consume-throughput baseline (the perf twin
// of peers/libbpf-ringbuf): an XDP program run through BPF_PROG_TEST_RUN
// that bpf_loop()s bpf_perf_event_output(BPF_F_CURRENT_CPU) of 64-byte
// records; all records of one run land in the ring of the CPU it ran on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

struct rec {
	__u64 seq;
	__u64 pad[7];
};

__u32 nr_records;
__u64 seq;
__u64 produced;
__u64 failed;

struct cb_ctx {
	struct xdp_md *xdp;
};

static long emit(__u64 i, void *c)
{
	struct cb_ctx *cc = c;
	struct rec r;

	r.seq = seq;
#pragma unroll
	for (int j = 0; j < 7; j++)
		r.pad[j] = i;
	if (bpf_perf_event_output(cc->xdp, &pb, BPF_F_CURRENT_CPU, &r, sizeof(r))) {
		failed++;
		return 1;
	}
	seq++;
	produced++;
	return 0;
}

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	struct cb_ctx c = { .xdp = ctx };
	bpf_loop(nr_records, emit, &c, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
