// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Shared definitions of the tracing-side link tests
// (testdata/links/trace_*.bpf.c, tests/link_tracing.rs). Only
// <linux/bpf.h> and libbpf's headers, no vmlinux.h and no CO-RE: kernel
// struct offsets the programs need come from .rodata, set by the tests
// from the running kernel's BTF.
#ifndef OXBPF_TRACE_COMMON_H
#define OXBPF_TRACE_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef _Bool bool;
typedef unsigned char u8;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;

// x86_64 syscall numbers (asm/unistd_64.h).
#define NR_getppid 110

// Counters and recorded values, by slot; read by the tests.
#define COUNTS_MAX 16

// Only events of this thread count (the tests run in parallel threads of
// one process).
const volatile u32 target_tid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COUNTS_MAX);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

static __always_inline bool mine(void)
{
	return (u32)bpf_get_current_pid_tgid() == target_tid;
}

static __always_inline void bump(u32 slot)
{
	u64 *v = bpf_map_lookup_elem(&counts, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void store(u32 slot, u64 value)
{
	bpf_map_update_elem(&counts, &slot, &value, BPF_ANY);
}

#endif
