// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// XDP attach test: counts the test's UDP packets and drops those sent to
// DROP_PORT.
#include "net_common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// 0: test packets seen, 1: dropped.
COUNTERS(xdp_stats, 2);

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int port = eth_udp_dport(data, end);

	if (port != PASS_PORT && port != DROP_PORT)
		return XDP_PASS;
	bump(&xdp_stats, 0);
	if (port == DROP_PORT) {
		bump(&xdp_stats, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}
