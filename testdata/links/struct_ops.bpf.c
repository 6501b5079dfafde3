// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// struct_ops: a TCP congestion control written in BPF, registered once
// through a bpf_link (`.struct_ops.link`) and once the legacy way
// (`.struct_ops`, registered by the map update itself), for
// tests/link_struct_ops.rs. Neither changes any default: a socket uses
// them only after setsockopt(TCP_CONGESTION, "oxcc").
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// How often each callback ran (read by the test through .bss).
__u64 init_calls;
__u64 ssthresh_calls;
__u64 cong_avoid_calls;
__u64 undo_calls;
__u64 legacy_calls;
__u64 unused_calls;

SEC("struct_ops/oxcc_init")
void BPF_PROG(oxcc_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops/oxcc_ssthresh")
__u32 BPF_PROG(oxcc_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&ssthresh_calls, 1);
	return 10;
}

SEC("struct_ops/oxcc_cong_avoid")
void BPF_PROG(oxcc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&cong_avoid_calls, 1);
}

SEC("struct_ops/oxcc_undo_cwnd")
__u32 BPF_PROG(oxcc_undo_cwnd, struct sock *sk)
{
	__sync_fetch_and_add(&undo_calls, 1);
	return 10;
}

SEC("struct_ops/legacy_init")
void BPF_PROG(legacy_init, struct sock *sk)
{
	__sync_fetch_and_add(&legacy_calls, 1);
}

SEC("struct_ops/legacy_ssthresh")
__u32 BPF_PROG(legacy_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&legacy_calls, 1);
	return 10;
}

SEC("struct_ops/legacy_cong_avoid")
void BPF_PROG(legacy_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&legacy_calls, 1);
}

SEC("struct_ops/legacy_undo_cwnd")
__u32 BPF_PROG(legacy_undo_cwnd, struct sock *sk)
{
	__sync_fetch_and_add(&legacy_calls, 1);
	return 10;
}

// Referenced by no struct_ops map: not loaded (as libbpf 1.4+ does).
SEC("struct_ops/unused_ssthresh")
__u32 BPF_PROG(unused_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&unused_calls, 1);
	return 10;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops oxcc = {
	.init = (void *)oxcc_init,
	.ssthresh = (void *)oxcc_ssthresh,
	.cong_avoid = (void *)oxcc_cong_avoid,
	.undo_cwnd = (void *)oxcc_undo_cwnd,
	.name = "oxcc",
};

SEC(".struct_ops")
struct tcp_congestion_ops oxcc_legacy = {
	.init = (void *)legacy_init,
	.ssthresh = (void *)legacy_ssthresh,
	.cong_avoid = (void *)legacy_cong_avoid,
	.undo_cwnd = (void *)legacy_undo_cwnd,
	.name = "oxcc_legacy",
};
