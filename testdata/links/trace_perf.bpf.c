// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// A perf_event program counting the samples of the event it is attached
// to, and recording the attach cookie (tests/link_tracing.rs).
#include "trace_common.h"

char LICENSE[] SEC("license") = "GPL";

SEC("perf_event")
int on_sample(void *ctx)
{
	bump(0);
	store(1, bpf_get_attach_cookie(ctx));
	return 0;
}
