// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: a map pinned by name (LIBBPF_PIN_BY_NAME), reused by a
// second load of the same object, next to an unpinned one.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
	__uint(pinning, 1 /* LIBBPF_PIN_BY_NAME */);
} shared_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} private_counts SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	u32 key = 0;
	u64 one = 1, *v;

	v = bpf_map_lookup_elem(&shared_counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&shared_counts, &key, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&private_counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}
