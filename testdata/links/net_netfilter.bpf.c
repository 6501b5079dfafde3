// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Netfilter attach test: counts and drops every packet of the hook it is
// attached to (the test attaches it in a network namespace of its own).
#include "net_common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define NF_DROP 0

// struct bpf_nf_ctx (include/net/netfilter/nf_bpf_link.h, 6.4+) comes from
// vmlinux.h.

// 0: packets seen.
COUNTERS(nf_stats, 1);

SEC("netfilter")
int nf_drop(struct bpf_nf_ctx *ctx)
{
	bump(&nf_stats, 0);
	return NF_DROP;
}
