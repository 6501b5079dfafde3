// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// BTF test corpus: VAR and DATASEC for every kind of global, BTF-defined
// maps, externs (.kconfig, .ksyms, kfuncs) and FUNC linkages.
// Rebuild with scripts/build-bpf.
//
// clang emits every DATASEC with size=0 and extern VARs with offset 0;
// libbpf fills in the real sizes from the ELF at load time. The corpus keeps
// clang's output as is, so parsers must accept it.

// The tracepoint context comes from vmlinux.h, without CO-RE: this object
// is about BTF-defined maps and global data.
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct value {
	u64 count;
	char comm[16];
};

// .maps: BTF-defined maps. `__uint` makes `int (*name)[N]` (PTR -> ARRAY),
// `__type` makes a PTR to the key/value type.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct value);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

// Map-in-map: `__array(values, ...)` is a flexible array of pointers to the
// inner map's (anonymous) struct type.
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, u32);
	__array(values, struct inner);
} outer SEC(".maps");

// .data: initialised globals. The static one is written to so that clang
// keeps it (VAR linkage=static); read-only statics get constant-folded away.
u64 data_counter = 1;
static u32 data_static = 2;

// .rodata: `const volatile` is how libbpf programs declare load-time config.
const volatile u32 cfg_pid = 0;
const volatile char cfg_name[8] = "oxbpf";

// .bss: zero-initialised globals.
u64 bss_hits;
struct value bss_last;

// A custom data section: libbpf turns it into its own map.
u32 foo_val SEC(".data.foo") = 42;
u64 foo_arr[2] SEC(".data.foo") = { 1, 2 };

// .kconfig externs: DATASEC '.kconfig' whose VARs have linkage=extern.
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;

// .ksyms: a typed kernel variable and kfuncs (FUNC with linkage=extern).
extern const int bpf_prog_active __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

// A global subprogram: FUNC linkage=global, in .text (func_info for .text).
__noinline int global_sub(u32 x)
{
	data_static += x;
	return x * 3 + data_static;
}

// A static subprogram: FUNC linkage=static.
static __noinline u64 static_sub(u64 a, u64 b)
{
	return a ^ b;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(struct trace_event_raw_sys_enter *ctx)
{
	u32 key = (u32)bpf_get_current_pid_tgid();
	struct value *v;

	if (cfg_pid && key != cfg_pid)
		return 0;
	bpf_rcu_read_lock();
	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		v->count += static_sub(ctx->id, foo_arr[1]);
	bpf_rcu_read_unlock();
	bss_hits += global_sub(key) + foo_val + cfg_name[0];
	data_counter++;
	if (CONFIG_BPF_SYSCALL && LINUX_KERNEL_VERSION > 0)
		bss_last.count = bpf_prog_active;
	return 0;
}

SEC("xdp")
int xdp_outer(struct xdp_md *ctx)
{
	u32 key = 0;
	void *inner = bpf_map_lookup_elem(&outer, &key);
	u64 *e;

	if (inner)
		bpf_map_lookup_elem(inner, &key);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		*e = ctx->ingress_ifindex;
		bpf_ringbuf_submit(e, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
