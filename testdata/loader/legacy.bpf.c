// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: maps defined the pre-BTF way, as `struct bpf_map_def` in
// the "maps" section (libbpf 1.0 dropped these; oxbpf still reads them).
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 16,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(u32),
	.value_size = sizeof(u32),
	.max_entries = 4,
};

SEC("socket")
int legacy_prog(struct __sk_buff *skb)
{
	u32 key = 0;
	u64 one = 1, *count;
	u32 *v;

	count = bpf_map_lookup_elem(&legacy_hash, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&legacy_hash, &key, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&legacy_array, &key);
	return v ? *v : 0;
}
