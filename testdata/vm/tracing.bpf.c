// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// fentry / fexit / fmod_ret programs for tests/vm_only.rs. Most attach to
// the functions that BPF_PROG_TEST_RUN of a tracing program calls
// (net/bpf/test_run.c): bpf_fentry_test1(1) for fentry/fexit programs,
// bpf_modify_return_test(1, &b) for fmod_ret programs. fmod_socket attaches
// to security_socket_create, which fmod_ret may modify on every kernel
// (bpf_modify_return_test only since 6.2, or with error injection). Each
// test loads only the programs it attaches (autoload), arms
// `state.target_tid`, triggers, and reads back what they saw. The field
// order is the test's word indices: keep them in sync.
#include "vm.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define SOCK_DGRAM 2
#define EPERM 1

struct {
	u32 target_tid; // word 0
	u32 _pad;
	u64 fentry_hits; // 1
	s64 fentry_a; // 2: bpf_fentry_test1's argument
	u64 fexit_hits; // 3
	s64 fexit_a; // 4
	s64 fexit_ret; // 5: bpf_fentry_test1's return value (a + 1)
	u64 fmod_hits; // 6
	s64 fmod_a; // 7
	u64 fmod_exit_hits; // 8
	s64 fmod_exit_ret; // 9: bpf_modify_return_test's result, as fmod_ret left it
	u64 socket_hits; // 10: security_socket_create calls seen by fmod_socket
	u64 socket_denied; // 11
} state;

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(fentry_test1, int a)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.fentry_hits++;
	state.fentry_a = a;
	return 0;
}

SEC("fexit/bpf_fentry_test1")
int BPF_PROG(fexit_test1, int a, int ret)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.fexit_hits++;
	state.fexit_a = a;
	state.fexit_ret = ret;
	return 0;
}

// A non-zero return skips bpf_modify_return_test's body and becomes its
// result.
SEC("fmod_ret/bpf_modify_return_test")
int BPF_PROG(fmod_ret_test, int a, int *b, int ret)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.fmod_hits++;
	state.fmod_a = a;
	return 1234;
}

SEC("fexit/bpf_modify_return_test")
int BPF_PROG(fexit_modify_return, int a, int *b, int ret)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.fmod_exit_hits++;
	state.fmod_exit_ret = ret;
	return 0;
}

// Denies the target thread's UDP sockets by making security_socket_create
// return -EPERM without running it.
SEC("fmod_ret/security_socket_create")
int BPF_PROG(fmod_socket, int family, int type, int protocol, int kern, int ret)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.socket_hits++;
	if (family == AF_INET && (type & 0xf) == SOCK_DGRAM && !kern) {
		state.socket_denied++;
		return -EPERM;
	}
	return 0;
}
