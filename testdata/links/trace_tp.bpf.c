// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Tracepoint, raw tracepoint and tp_btf programs counting the test
// thread's getppid() calls (tests/link_tracing.rs).
#include "trace_common.h"

char LICENSE[] SEC("license") = "GPL";

// Slots of `counts`.
#define TP 0
#define RAW 1
#define RAW_B 2
#define BTF 3
#define TP_COOKIE 4
#define BTF_COOKIE 5
#define RAW_COOKIE 6

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_getppid(void *ctx)
{
	if (mine()) {
		bump(TP);
		store(TP_COOKIE, bpf_get_attach_cookie(ctx));
	}
	return 0;
}

// raw_tp/sys_enter: args are (struct pt_regs *regs, long id).
SEC("raw_tp/sys_enter")
int raw_getppid(u64 *ctx)
{
	if (mine() && ctx[1] == NR_getppid)
		bump(RAW);
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_getppid_b(u64 *ctx)
{
	if (mine() && ctx[1] == NR_getppid)
		bump(RAW_B);
	return 0;
}

SEC("tp_btf/sys_enter")
int btf_getppid(u64 *ctx)
{
	if (mine() && ctx[1] == NR_getppid)
		bump(BTF);
	return 0;
}

// Cookies on raw tracepoint and tp_btf links need Linux 6.10, and older
// verifiers refuse bpf_get_attach_cookie in these programs: not loaded
// unless asked for.
SEC("?raw_tp/sys_enter")
int raw_getppid_cookie(u64 *ctx)
{
	if (mine() && ctx[1] == NR_getppid) {
		bump(RAW);
		store(RAW_COOKIE, bpf_get_attach_cookie(ctx));
	}
	return 0;
}

SEC("?tp_btf/sys_enter")
int btf_getppid_cookie(u64 *ctx)
{
	if (mine() && ctx[1] == NR_getppid) {
		bump(BTF);
		store(BTF_COOKIE, bpf_get_attach_cookie(ctx));
	}
	return 0;
}
