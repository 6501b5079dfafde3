// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Shared definitions of the loader test corpus (testdata/loader/*.bpf.c).
// The corpus uses only <linux/bpf.h> and libbpf's <bpf/bpf_helpers.h>, no
// vmlinux.h, so it builds anywhere clang and libbpf-dev are installed.
#ifndef OXBPF_LOADER_COMMON_H
#define OXBPF_LOADER_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef _Bool bool;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

// Newer libbpf headers have these; libbpf-dev 1.1 does not.
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) ({							\
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
	!!sym;									\
})
#endif

#endif
