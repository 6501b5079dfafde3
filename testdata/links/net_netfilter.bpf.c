// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Netfilter attach test: counts and drops every packet of the hook it is
// attached to (the test attaches it in a network namespace of its own).
#include "net_common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define NF_DROP 0

// include/net/netfilter/nf_bpf_link.h (kernel-internal, 6.4+).
struct bpf_nf_ctx {
	const void *state;
	void *skb;
};

// 0: packets seen.
COUNTERS(nf_stats, 1);

SEC("netfilter")
int nf_drop(struct bpf_nf_ctx *ctx)
{
	bump(&nf_stats, 0);
	return NF_DROP;
}
