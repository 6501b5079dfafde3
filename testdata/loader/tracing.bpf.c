// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: programs whose attach target is a BTF id in vmlinux,
// resolved by the loader from the section name (tp_btf/ looks up the
// btf_trace_<name> typedef, iter/ the bpf_iter_<name> function). Both load
// under kernel lockdown, unlike fentry/fexit/fmod_ret/lsm.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

u64 switches;

SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	__sync_fetch_and_add(&switches, 1);
	return 0;
}

SEC("iter/task")
int dump_task(void *ctx)
{
	return 0;
}

SEC("iter.s/task")
int dump_task_sleepable(void *ctx)
{
	return 0;
}
