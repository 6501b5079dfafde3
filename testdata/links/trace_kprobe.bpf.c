// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Programs this machine's kernel refuses (tests/link_tracing.rs): kprobes
// load but cannot be attached without CONFIG_KPROBES; fentry, fexit,
// fmod_ret and lsm programs cannot be loaded under kernel lockdown. The
// latter are not auto-loaded (SEC("?...")); the tests load them one by
// one and check the error.
#include "trace_common.h"

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/do_unlinkat")
int kprobe_unlinkat(void *ctx)
{
	bump(0);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int kretprobe_unlinkat(void *ctx)
{
	bump(1);
	return 0;
}

SEC("ksyscall/unlinkat")
int ksyscall_unlinkat(void *ctx)
{
	bump(2);
	return 0;
}

SEC("kprobe.multi/do_unlinkat*")
int kprobe_multi_unlink(void *ctx)
{
	bump(3);
	return 0;
}

SEC("?fentry/do_unlinkat")
int fentry_unlinkat(u64 *ctx)
{
	bump(4);
	return 0;
}

SEC("?fexit/do_unlinkat")
int fexit_unlinkat(u64 *ctx)
{
	bump(5);
	return 0;
}

SEC("?fmod_ret/bpf_modify_return_test")
int fmod_ret_test(u64 *ctx)
{
	bump(6);
	return 0;
}

SEC("?lsm/file_open")
int lsm_file_open(u64 *ctx)
{
	bump(7);
	return 0;
}
