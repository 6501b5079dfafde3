// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// xdp_counter: counts the packets and bytes an interface receives, per
// protocol, in a per-CPU array; passes every packet on.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Macros of <linux/if_ether.h>, which BTF (and so vmlinux.h) cannot carry.
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// Slots of `counts`, in the order the example prints them.
enum proto_slot {
	PROTO_OTHER,
	PROTO_ARP,
	PROTO_ICMP,
	PROTO_TCP,
	PROTO_UDP,
	PROTO_IPV4_OTHER,
	PROTO_IPV6,
	NR_PROTOS,
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_PROTOS);
	__type(key, __u32);
	__type(value, struct counters);
} counts SEC(".maps");

static __always_inline __u32 classify(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;

	if ((void *)(eth + 1) > end)
		return PROTO_OTHER;
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_ARP):
		return PROTO_ARP;
	case bpf_htons(ETH_P_IPV6):
		return PROTO_IPV6;
	case bpf_htons(ETH_P_IP):
		break;
	default:
		return PROTO_OTHER;
	}
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return PROTO_IPV4_OTHER;
	switch (ip->protocol) {
	case IPPROTO_ICMP:
		return PROTO_ICMP;
	case IPPROTO_TCP:
		return PROTO_TCP;
	case IPPROTO_UDP:
		return PROTO_UDP;
	default:
		return PROTO_IPV4_OTHER;
	}
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 key = classify(data, end);
	struct counters *c = bpf_map_lookup_elem(&counts, &key);

	if (c) {
		c->packets++;
		c->bytes += end - data;
	}
	return XDP_PASS;
}
