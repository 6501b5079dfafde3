// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: programs that are not loaded unless asked for
// (SEC("?...")), among them some that cannot load on every kernel: a typed
// ksym variable (needs CONFIG_KALLSYMS_ALL), an fentry program (refused
// under kernel lockdown) and a program with a CO-RE relocation.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

extern const int bpf_prog_active __ksym;

u32 seen;

SEC("xdp")
int always(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("?xdp")
int optional_xdp(struct xdp_md *ctx)
{
	seen = 1;
	return XDP_TX;
}

SEC("?socket")
int typed_ksym(struct __sk_buff *skb)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	return *active;
}

SEC("?fentry/do_nanosleep")
int fentry_prog(void *ctx)
{
	return 0;
}

SEC("?xdp")
int core_prog(struct xdp_md *ctx)
{
	return __builtin_preserve_field_info(((struct task_struct *)0)->pid, 2) ? XDP_PASS : XDP_DROP;
}
