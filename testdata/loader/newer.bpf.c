// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: what newer libbpf releases added after 1.1: .bss.*
// sections and the tcx/netkit/unix-socket section names.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

u64 custom_bss SEC(".bss.custom");
u32 more_bss[4] SEC(".bss.custom");

SEC("tcx/ingress")
int tcx_in(struct __sk_buff *skb)
{
	custom_bss++;
	more_bss[1] = skb->len;
	return 0;
}

SEC("tc/egress")
int tc_out(struct __sk_buff *skb)
{
	return 0;
}

SEC("netkit/primary")
int netkit_primary(struct __sk_buff *skb)
{
	return 0;
}

SEC("cgroup/connect_unix")
int connect_unix(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("kprobe.multi/do_nanosleep")
int kprobe_multi(void *ctx)
{
	return 0;
}
