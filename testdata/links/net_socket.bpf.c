// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Socket attach tests: a socket filter, sk_msg and sk_skb programs on a
// sockmap, an sk_lookup program and a flow dissector.
#include "net_common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

enum {
	FILTER_SEEN,
	FILTER_DROPPED,
	MSG_SEEN,
	MSG_DROPPED,
	SKB_PARSER,
	SKB_VERDICT,
	LOOKUP_SEEN,
	LOOKUP_ASSIGNED,
	DISSECTOR,
	NR_SLOTS,
};

COUNTERS(sock_stats, NR_SLOTS);

// 0: the port sk_lookup redirects (host byte order; 0 for none).
COUNTERS(sock_config, 1);

// The sockets of the sk_msg/sk_skb tests.
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} sock_map SEC(".maps");

// The socket sk_lookup hands connections to.
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} lookup_map SEC(".maps");

// Keeps datagrams shorter than 100 bytes, drops the others.
SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	bump(&sock_stats, FILTER_SEEN);
	if (skb->len >= 100) {
		bump(&sock_stats, FILTER_DROPPED);
		return 0;
	}
	return skb->len;
}

// Drops messages of exactly 13 bytes (the sender sees EACCES).
SEC("sk_msg")
int msg_verdict(struct sk_msg_md *msg)
{
	bump(&sock_stats, MSG_SEEN);
	if (msg->size == 13) {
		bump(&sock_stats, MSG_DROPPED);
		return SK_DROP;
	}
	return SK_PASS;
}

SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
	bump(&sock_stats, SKB_PARSER);
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
	bump(&sock_stats, SKB_VERDICT);
	return SK_PASS;
}

SEC("sk_skb/verdict")
int skb_verdict_only(struct __sk_buff *skb)
{
	bump(&sock_stats, SKB_VERDICT);
	return SK_PASS;
}

// Hands connections to the configured port to the socket in lookup_map.
SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx)
{
	u32 zero = 0;
	u64 *port = bpf_map_lookup_elem(&sock_config, &zero);
	struct bpf_sock *sk;
	long err;

	bump(&sock_stats, LOOKUP_SEEN);
	if (!port || !*port || ctx->local_port != *port)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&lookup_map, &zero);
	if (!sk)
		return SK_PASS;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	if (!err)
		bump(&sock_stats, LOOKUP_ASSIGNED);
	return SK_PASS;
}

// Counts dissections and defers to the kernel's dissector.
SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	bump(&sock_stats, DISSECTOR);
	return BPF_FLOW_DISSECTOR_CONTINUE;
}
