// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// freplace (tests/link_tracing.rs): `freplace_target` returns what its
// global function `verdict` returns; `new_verdict` (an EXT program, not
// auto-loaded) replaces `verdict` once loaded against `freplace_target`
// and attached. Under kernel lockdown the kernel refuses to load it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__noinline int verdict(struct __sk_buff *skb)
{
	return skb->len > 10 ? 1 : 2;
}

SEC("socket")
int freplace_target(struct __sk_buff *skb)
{
	return verdict(skb);
}

SEC("?freplace/verdict")
int new_verdict(struct __sk_buff *skb)
{
	return 42;
}
