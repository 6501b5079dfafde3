// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Cgroup attach tests. Each program counts its runs in `cg_stats` (slot
// given per program) and has a visible effect on the sockets, sysctls and
// devices of the test's cgroup: denying, rewriting addresses or option
// values.
#include "net_common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_INET 2
#define SOCK_DGRAM 2
#define SOL_IP 0
#define IP_TTL 2
#define BPF_DEVCG_DEV_CHAR 2

enum {
	EGRESS_COUNT,
	EGRESS_DENY,
	INGRESS_COUNT,
	SOCK_CREATE,
	CONNECT4,
	CONNECT6,
	SENDMSG4,
	GETSOCKOPT,
	SETSOCKOPT,
	SYSCTL,
	DEVICE,
	EGRESS_PARENT,
	NR_SLOTS,
};

COUNTERS(cg_stats, NR_SLOTS);

// 0: the port connect4/connect6/sendmsg4 rewrite; 1: the port they
// rewrite it to (host byte order; 0 leaves every port alone).
COUNTERS(cg_config, 2);

static __always_inline u64 cg_value(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&cg_config, &idx);

	return v ? *v : 0;
}

SEC("cgroup_skb/egress")
int egress_count(struct __sk_buff *skb)
{
	bump(&cg_stats, EGRESS_COUNT);
	return 1;
}

SEC("cgroup_skb/egress")
int egress_deny(struct __sk_buff *skb)
{
	bump(&cg_stats, EGRESS_DENY);
	return 0;
}

// Same as egress_count with its own slot, for parent/child semantics.
SEC("cgroup_skb/egress")
int egress_parent(struct __sk_buff *skb)
{
	bump(&cg_stats, EGRESS_PARENT);
	return 1;
}

SEC("cgroup_skb/ingress")
int ingress_count(struct __sk_buff *skb)
{
	bump(&cg_stats, INGRESS_COUNT);
	return 1;
}

// Denies IPv4 UDP sockets.
SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	bump(&cg_stats, SOCK_CREATE);
	if (sk->family == AF_INET && sk->type == SOCK_DGRAM)
		return 0;
	return 1;
}

static __always_inline void rewrite_port(struct bpf_sock_addr *ctx)
{
	u64 from = cg_value(0), to = cg_value(1);

	if (from && ctx->user_port == bpf_htons(from))
		ctx->user_port = bpf_htons(to);
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	bump(&cg_stats, CONNECT4);
	rewrite_port(ctx);
	return 1;
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	bump(&cg_stats, CONNECT6);
	rewrite_port(ctx);
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	bump(&cg_stats, SENDMSG4);
	rewrite_port(ctx);
	return 1;
}

// getsockopt(IP_TTL) reports 123.
SEC("cgroup/getsockopt")
int getsockopt_ttl(struct bpf_sockopt *ctx)
{
	u8 *optval = ctx->optval;
	u8 *end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TTL)
		return 1;
	bump(&cg_stats, GETSOCKOPT);
	if (optval + sizeof(int) > end)
		return 1;
	*(int *)optval = 123;
	ctx->retval = 0;
	// Keeps clang from merging the two 4-byte stores into one 8-byte
	// store, which the verifier refuses for this context.
	asm volatile("" ::: "memory");
	ctx->optlen = sizeof(int);
	return 1;
}

// setsockopt(IP_TTL, n) sets 99 instead.
SEC("cgroup/setsockopt")
int setsockopt_ttl(struct bpf_sockopt *ctx)
{
	u8 *optval = ctx->optval;
	u8 *end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TTL) {
		// Leave other options to the kernel untouched.
		ctx->optlen = 0;
		return 1;
	}
	bump(&cg_stats, SETSOCKOPT);
	if (optval + sizeof(int) > end)
		return 1;
	*(int *)optval = 99;
	return 1;
}

// Denies every sysctl access.
SEC("cgroup/sysctl")
int sysctl_deny(struct bpf_sysctl *ctx)
{
	bump(&cg_stats, SYSCTL);
	return 0;
}

// Denies opening /dev/zero (character device 1:5).
SEC("cgroup/dev")
int dev_deny_zero(struct bpf_cgroup_dev_ctx *ctx)
{
	u32 type = ctx->access_type & 0xffff;

	bump(&cg_stats, DEVICE);
	if (type == BPF_DEVCG_DEV_CHAR && ctx->major == 1 && ctx->minor == 5)
		return 0;
	return 1;
}
