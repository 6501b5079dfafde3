// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: externs. .kconfig externs of every supported type (bool,
// tristate, integers, char arrays, libbpf's virtual LINUX_* values, weak
// ones that do not exist), typeless .ksyms (an address from /proc/kallsyms), kfuncs (a call by BTF
// id) and weak ksyms and kfuncs that do not exist (resolved to zero and
// poisoned, as libbpf does). Typed ksym variables need a kernel with
// CONFIG_KALLSYMS_ALL to load; they are in optional.bpf.c.
//
// The object loads on every kernel of the matrix (6.1 has neither the num
// iterator kfuncs, 6.4, nor bpf_rcu_read_lock, 6.2): the kfuncs are weak
// and every call is guarded by bpf_ksym_exists(), so where they are missing
// the loader poisons the calls and the verifier drops them as dead code.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig;
extern int CONFIG_HZ __kconfig;
extern u64 CONFIG_NR_CPUS __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[8] __kconfig;
extern u32 LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool CONFIG_OXBPF_DOES_NOT_EXIST __kconfig __weak;
extern u32 CONFIG_OXBPF_MISSING_NUMBER __kconfig __weak;

// Typeless ksym: an address from /proc/kallsyms.
extern const void bpf_prog_put __ksym;
// Weak ksyms that do not exist.
extern const int oxbpf_no_such_var __ksym __weak;
extern const void oxbpf_no_such_sym __ksym __weak;

// kfuncs (num iterators are available to every program type; 6.4+);
// struct bpf_iter_num comes from vmlinux.h.

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym __weak;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;
extern int oxbpf_no_such_kfunc(int x) __ksym __weak;
// A weak kfunc that exists: bpf_ksym_exists() loads its address.
extern void bpf_rcu_read_lock(void) __ksym __weak;

struct {
	u32 bpf_syscall;
	u32 jit;
	s32 hz;
	u64 nr_cpus;
	char hostname[8];
	u32 kernel_version;
	u32 has_cookie;
	u32 missing_bool;
	u32 missing_number;
	u64 typeless_addr;
	u64 missing_sym;
	u32 missing_var_exists;
	u32 kfunc_exists;
	s32 iter_sum;
	s32 weak_call;
	u32 existing_kfunc;
} out;

SEC("xdp")
int read_kconfig(struct xdp_md *ctx)
{
	out.bpf_syscall = CONFIG_BPF_SYSCALL;
	out.jit = CONFIG_BPF_JIT;
	out.hz = CONFIG_HZ;
	out.nr_cpus = CONFIG_NR_CPUS;
	__builtin_memcpy(out.hostname, CONFIG_DEFAULT_HOSTNAME, 8);
	out.kernel_version = LINUX_KERNEL_VERSION;
	out.has_cookie = LINUX_HAS_BPF_COOKIE;
	out.missing_bool = CONFIG_OXBPF_DOES_NOT_EXIST;
	out.missing_number = CONFIG_OXBPF_MISSING_NUMBER;
	return XDP_PASS;
}

SEC("xdp")
int use_ksyms(struct xdp_md *ctx)
{
	out.existing_kfunc = bpf_ksym_exists(bpf_rcu_read_lock);
	out.typeless_addr = (u64)&bpf_prog_put;
	out.missing_sym = (u64)&oxbpf_no_such_sym;
	out.missing_var_exists = &oxbpf_no_such_var != 0;
	return XDP_PASS;
}

SEC("xdp")
int use_kfuncs(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int *v, sum = 0;

	if (bpf_ksym_exists(bpf_iter_num_new)) {
		bpf_iter_num_new(&it, 0, 5);
		while ((v = bpf_iter_num_next(&it)))
			sum += *v;
		bpf_iter_num_destroy(&it);
	} else {
		sum = -2;
	}
	out.iter_sum = sum;

	out.kfunc_exists = bpf_ksym_exists(oxbpf_no_such_kfunc);
	if (bpf_ksym_exists(oxbpf_no_such_kfunc))
		out.weak_call = oxbpf_no_such_kfunc(1);
	else
		out.weak_call = -1;
	return XDP_PASS;
}
