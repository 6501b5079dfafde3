// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: an object whose second program the verifier rejects after
// walking a few thousand instructions, so that its log is longer than any
// default buffer. The maps and the first program load fine; a failed load
// must close them all.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} other SEC(".maps");

u64 total;

SEC("xdp")
int fine(struct xdp_md *ctx)
{
	u32 key = 0;

	if (bpf_map_lookup_elem(&other, &key))
		total++;
	return XDP_PASS;
}

SEC("xdp")
int rejected(struct xdp_md *ctx)
{
	u32 key = 0;
	volatile u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return XDP_PASS;
#pragma unroll
	for (int i = 0; i < 1500; i++)
		*v += i;
	// Out of bounds: the value is 8 bytes.
	return *(v + 2);
}
