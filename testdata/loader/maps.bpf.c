// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: BTF-defined maps of every common kind and every field of a
// BTF map definition: typed and sized keys/values, map_flags, numa_node,
// map_extra, inner map definitions, and `values` initialisers for
// a program array and for array- and hash-of-maps.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct value {
	u64 packets;
	u64 bytes;
	char comm[16];
};

struct lpm_key {
	u32 prefixlen;
	u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, struct value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u64));
} sized_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);
	__type(key, u64);
	__type(value, u64);
	__uint(numa_node, 0);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__type(key, struct lpm_key);
	__type(value, u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm SEC(".maps");

// Not a multiple of the page size: the loader rounds it up as libbpf does.
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 5000);
} ringbuf SEC(".maps");

// max_entries 0: one entry per possible CPU, filled in at load time.
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 8 * sizeof(u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, u64);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} devmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} sockmap SEC(".maps");

// Inner maps, referenced by the outer maps' `values`. libbpf needs them
// declared before the maps whose slots point at them.
struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
};

struct inner_array inner_a SEC(".maps");
struct inner_array inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, u32);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 2);
		__type(key, u32);
		__type(value, u32);
	});
} outer_hash SEC(".maps");

int tail_zero(struct xdp_md *ctx);
int tail_one(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, u32);
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [0] = (void *)&tail_zero, [2] = (void *)&tail_one },
};

SEC("xdp")
int tail_zero(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int tail_one(struct xdp_md *ctx)
{
	return XDP_TX;
}

// Uses every map, so that the kernel records them all in map_ids.
SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	u32 k32 = 0;
	u64 k64 = 1, v64 = 2;
	struct lpm_key lk = { .prefixlen = 32, .addr = 0x0100007f };
	struct value *v;
	u64 *p;
	void *inner;
	u32 sel;

	v = bpf_map_lookup_elem(&hash, &k32);
	if (v)
		v->packets++;
	p = bpf_map_lookup_elem(&sized_array, &k32);
	if (p)
		*p += 1;
	p = bpf_map_lookup_elem(&percpu, &k32);
	if (p)
		*p += 1;
	bpf_map_update_elem(&lru, &k64, &v64, BPF_ANY);
	if (bpf_map_lookup_elem(&lpm, &lk))
		v64++;
	bpf_ringbuf_output(&ringbuf, &v64, sizeof(v64), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &v64, sizeof(v64));
	bpf_map_push_elem(&queue, &k32, 0);
	bpf_map_peek_elem(&bloom, &v64);
	inner = bpf_map_lookup_elem(&outer_array, &k32);
	if (inner) {
		p = bpf_map_lookup_elem(inner, &k32);
		if (p)
			*p += 1;
	}
	inner = bpf_map_lookup_elem(&outer_hash, &k32);
	if (inner)
		bpf_map_lookup_elem(inner, &k32);
	sel = ctx->ingress_ifindex & 1;
	bpf_tail_call(ctx, &jump_table, sel ? 2 : 0);
	return bpf_redirect_map(&devmap, 0, XDP_PASS);
}

SEC("sk_msg")
int use_sockmap(struct sk_msg_md *msg)
{
	return bpf_msg_redirect_map(msg, &sockmap, 0, 0);
}

SEC("perf_event")
int use_stacks(void *ctx)
{
	return bpf_get_stackid(ctx, &stacks, 0) < 0;
}
