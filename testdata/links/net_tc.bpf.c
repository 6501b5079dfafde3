// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// tc attach tests: a cls_bpf direct-action filter and tcx programs that
// count the test's UDP packets and drop those sent to DROP_PORT, and two
// tcx programs that record the order in which they run.
#include "net_common.h"

// Verdicts of <linux/pkt_cls.h> (macros: not in BTF, so not in vmlinux.h).
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// tcx return codes (include/uapi/linux/bpf.h, 6.6+).
#define TCX_NEXT -1
#define TCX_PASS 0
#define TCX_DROP 2

// 0: seen by tc_filter, 1: dropped by tc_filter, 2: seen by tcx_filter,
// 3: dropped by tcx_filter, 4: seen by tcx_egress.
COUNTERS(tc_stats, 5);

// 0: a sequence counter; 1 + i: the sequence number at which tcx_order_<i>
// last ran.
COUNTERS(tcx_order, 3);

SEC("tc")
int tc_filter(struct __sk_buff *skb)
{
	int port = eth_udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);

	if (port != PASS_PORT && port != DROP_PORT)
		return TC_ACT_OK;
	bump(&tc_stats, 0);
	if (port == DROP_PORT) {
		bump(&tc_stats, 1);
		return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

SEC("tcx/ingress")
int tcx_filter(struct __sk_buff *skb)
{
	int port = eth_udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);

	if (port != PASS_PORT && port != DROP_PORT)
		return TCX_NEXT;
	bump(&tc_stats, 2);
	if (port == DROP_PORT) {
		bump(&tc_stats, 3);
		return TCX_DROP;
	}
	return TCX_NEXT;
}

SEC("tcx/egress")
int tcx_egress(struct __sk_buff *skb)
{
	int port = eth_udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);

	if (port == PASS_PORT || port == DROP_PORT)
		bump(&tc_stats, 4);
	return TCX_NEXT;
}

static __always_inline int record(struct __sk_buff *skb, u32 slot)
{
	int port = eth_udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);
	u32 zero = 0;
	u64 *seq, *mine;

	if (port != PASS_PORT)
		return TCX_NEXT;
	seq = bpf_map_lookup_elem(&tcx_order, &zero);
	mine = bpf_map_lookup_elem(&tcx_order, &slot);
	if (seq && mine)
		*mine = __sync_fetch_and_add(seq, 1) + 1;
	return TCX_NEXT;
}

SEC("tcx/ingress")
int tcx_order_a(struct __sk_buff *skb)
{
	return record(skb, 1);
}

SEC("tcx/ingress")
int tcx_order_b(struct __sk_buff *skb)
{
	return record(skb, 2);
}
