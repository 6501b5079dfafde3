// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Uprobe programs (tests/link_tracing.rs): entry and return probes that
// count the test thread's calls and record the argument, the return value
// and the attach cookie; a uprobe.multi program.
#include "trace_common.h"
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// Slots of `counts`.
#define ENTRY 0
#define ENTRY_ARG 1
#define ENTRY_COOKIE 2
#define RET 3
#define RET_VALUE 4
#define MULTI 5
#define AUTO 6

SEC("uprobe")
int uprobe_entry(struct pt_regs *ctx)
{
	if (mine()) {
		bump(ENTRY);
		store(ENTRY_ARG, PT_REGS_PARM1(ctx));
		store(ENTRY_COOKIE, bpf_get_attach_cookie(ctx));
	}
	return 0;
}

SEC("uretprobe")
int uprobe_return(struct pt_regs *ctx)
{
	if (mine()) {
		bump(RET);
		store(RET_VALUE, PT_REGS_RC(ctx));
	}
	return 0;
}

SEC("uprobe.multi")
int uprobe_multi(struct pt_regs *ctx)
{
	if (mine())
		bump(MULTI);
	return 0;
}

// The tests point this at their own executable before loading
// (ProgramSpec::attach_target), then attach it by section.
SEC("uprobe/SELF:oxbpf_uprobe_target")
int uprobe_auto(struct pt_regs *ctx)
{
	if (mine())
		bump(AUTO);
	return 0;
}
