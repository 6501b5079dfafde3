// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Shared definitions of the network/cgroup/socket attach tests
// (testdata/links/net_*.bpf.c). Only <linux/*.h> uapi headers and libbpf's
// <bpf/bpf_helpers.h>, no vmlinux.h.
#ifndef OXBPF_LINKS_NET_COMMON_H
#define OXBPF_LINKS_NET_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

// The UDP ports the tests send to: packets to DROP_PORT are dropped by the
// filtering programs, packets to PASS_PORT are counted and let through.
#define PASS_PORT 40001
#define DROP_PORT 40002

// An array of u64 counters; the tests read it by index.
#define COUNTERS(name, n)				\
	struct {					\
		__uint(type, BPF_MAP_TYPE_ARRAY);	\
		__uint(max_entries, n);			\
		__type(key, u32);			\
		__type(value, u64);			\
	} name SEC(".maps")

static __always_inline void bump(void *map, u32 idx)
{
	u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

// The UDP destination port of an IPv4 packet starting at `ip`, or -1.
static __always_inline int ipv4_udp_dport(void *ip, void *end)
{
	struct iphdr *iph = ip;
	struct udphdr *udp;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->protocol != IPPROTO_UDP)
		return -1;
	udp = (void *)iph + iph->ihl * 4;
	if ((void *)(udp + 1) > end)
		return -1;
	return bpf_ntohs(udp->dest);
}

// The UDP destination port of an Ethernet frame, or -1.
static __always_inline int eth_udp_dport(void *data, void *end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	return ipv4_udp_dport(eth + 1, end);
}

#endif
