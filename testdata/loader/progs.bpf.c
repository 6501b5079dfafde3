// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: programs. Many section kinds (each one libbpf 1.1 knows, so
// that bpftool can load the object for the differential test), several
// programs in one section, and every way one function reaches another:
// static and global subprograms, a subprogram shared by two callers (so that
// libbpf's append order differs per entry program), hidden global functions
// (loaded as static), and callbacks (BPF_PSEUDO_FUNC) for bpf_loop and
// bpf_for_each_map_elem.
#include "common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} results SEC(".maps");

static __always_inline void store(u32 idx, u64 v)
{
	u64 *p = bpf_map_lookup_elem(&results, &idx);

	if (p)
		*p = v;
}

// sub_b is called from both sub_a and sub_c: xdp_first appends
// [sub_a, sub_b], xdp_second appends [sub_c, sub_b] (libbpf's example).
static __noinline u64 sub_b(u64 x)
{
	return x * 3;
}

static __noinline u64 sub_a(u64 x)
{
	return sub_b(x) + 1;
}

static __noinline u64 sub_c(u64 x)
{
	return sub_b(x) + 2;
}

// A global function is verified on its own; its BTF FUNC stays global.
__noinline int global_double(int x)
{
	return x * 2;
}

// A hidden global function is marked static in the loaded BTF, so the
// verifier checks it in its caller's context.
__hidden __noinline int hidden_triple(int x)
{
	return x * 3;
}

// An unused subprogram: appended to nobody.
__noinline int unused_global(int x)
{
	return x + 100;
}

static int loop_cb(u32 index, void *ctx)
{
	u64 *sum = ctx;

	*sum += index;
	return 0;
}

static long for_each_cb(void *map, u32 *key, u64 *val, void *ctx)
{
	u64 *count = ctx;

	*count += 1 + sub_b(*key);
	return 0;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	store(0, sub_a(1));
	return XDP_PASS;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	store(1, sub_c(2));
	return XDP_PASS;
}

SEC("xdp")
int xdp_callbacks(struct xdp_md *ctx)
{
	u64 sum = 0, count = 0;

	bpf_loop(10, loop_cb, &sum, 0);
	bpf_for_each_map_elem(&results, for_each_cb, &count, 0);
	store(2, sum);
	store(3, count);
	return XDP_PASS;
}

SEC("socket")
int socket_globals(struct __sk_buff *skb)
{
	return global_double(skb->len) + hidden_triple(1);
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	return sub_a(skb->len) > 10 ? 0 : 2;
}

SEC("classifier")
int classifier_prog(struct __sk_buff *skb)
{
	return 0;
}

SEC("action")
int action_prog(struct __sk_buff *skb)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_getpid(void *ctx)
{
	store(4, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("tp/sched/sched_switch")
int tp_short(void *ctx)
{
	return 0;
}

SEC("kprobe/do_nanosleep")
int kprobe_prog(void *ctx)
{
	return sub_c(1) == 5;
}

SEC("kretprobe/do_nanosleep")
int kretprobe_prog(void *ctx)
{
	return 0;
}

SEC("ksyscall/getpid")
int ksyscall_prog(void *ctx)
{
	return 0;
}

SEC("uprobe//proc/self/exe:main")
int uprobe_prog(void *ctx)
{
	return 0;
}

SEC("usdt")
int usdt_prog(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_tp_prog(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint.w/sys_enter")
int raw_tp_writable(void *ctx)
{
	return 0;
}

SEC("perf_event")
int perf_event_prog(void *ctx)
{
	return 0;
}

SEC("cgroup_skb/ingress")
int cgroup_skb_ingress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/connect4")
int cgroup_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sock_create")
int cgroup_sock_create(struct bpf_sock *ctx)
{
	return 1;
}

SEC("cgroup/sysctl")
int cgroup_sysctl(struct bpf_sysctl *ctx)
{
	return 1;
}

SEC("cgroup/getsockopt")
int cgroup_getsockopt(struct bpf_sockopt *ctx)
{
	return 1;
}

SEC("cgroup/dev")
int cgroup_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	return 1;
}

SEC("sockops")
int sockops_prog(struct bpf_sock_ops *ctx)
{
	return 1;
}

SEC("sk_msg")
int sk_msg_prog(struct sk_msg_md *ctx)
{
	return SK_PASS;
}

SEC("sk_skb/stream_verdict")
int sk_skb_verdict(struct __sk_buff *skb)
{
	return SK_PASS;
}

SEC("flow_dissector")
int flow_dissector_prog(struct __sk_buff *skb)
{
	return BPF_OK;
}

SEC("sk_lookup")
int sk_lookup_prog(struct bpf_sk_lookup *ctx)
{
	return SK_PASS;
}

SEC("lwt_in")
int lwt_in_prog(struct __sk_buff *skb)
{
	return BPF_OK;
}

SEC("xdp.frags")
int xdp_frags_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/devmap")
int xdp_devmap_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("syscall")
int syscall_prog(void *ctx)
{
	return 0;
}

// Longer than the kernel's 15-byte program names.
SEC("socket")
int a_program_with_a_rather_long_name(struct __sk_buff *skb)
{
	return 0;
}
