// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// A BPF LSM program for tests/vm_only.rs: denies socket(AF_INET,
// SOCK_DGRAM, 0) with EPERM, only for the thread the test armed.
#include "vm.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define SOCK_DGRAM 2
#define EPERM 1

struct {
	u32 target_tid;
	u32 _pad;
	u64 calls; // socket_create hook calls from the target thread
	u64 denied;
} state;

SEC("lsm/socket_create")
int BPF_PROG(deny_udp, int family, int type, int protocol, int kern, int ret)
{
	if (ret != 0 || !IS_TARGET(state.target_tid))
		return ret;
	state.calls++;
	if (family == AF_INET && (type & 0xf) == SOCK_DGRAM && !kern) {
		state.denied++;
		return -EPERM;
	}
	return 0;
}
