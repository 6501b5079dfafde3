// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// USDT programs for tests/link_usdt.rs: the probes are in the test binary
// itself (the `probe` crate's SystemTap SDT notes). Arguments and cookies
// are read with libbpf's usdt.bpf.h.
#include "trace_common.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

// Slots of `counts`.
#define TICKS 0
#define ARG0 1
#define ARG1 2
#define ARG2 3
#define ARG_CNT 4
#define COOKIE 5
#define LAZY 6
#define LAZY_ARG 7

SEC("usdt")
int BPF_USDT(on_tick, long seq, long neg, long big)
{
	if (!mine())
		return 0;
	bump(TICKS);
	store(ARG0, seq);
	store(ARG1, neg);
	store(ARG2, big);
	store(ARG_CNT, bpf_usdt_arg_cnt(ctx));
	store(COOKIE, bpf_usdt_cookie(ctx));
	return 0;
}

// A probe with a semaphore: it fires only while the semaphore is up.
SEC("usdt")
int BPF_USDT(on_lazy, long value)
{
	if (!mine())
		return 0;
	bump(LAZY);
	store(LAZY_ARG, value);
	return 0;
}
