// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// kprobe, kretprobe, ksyscall and kprobe.multi programs for tests/vm_only.rs.
// The test attaches them itself (kprobe PMU perf events, BPF_LINK_CREATE)
// to syscall wrappers, makes the syscalls from the thread whose id it wrote
// to `state.target_tid`, and reads back what the programs recorded. The
// field order is the test's word indices: keep them in sync.
#include "vm.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	u32 target_tid; // word 0
	u32 _pad;
	u64 kprobe_hits; // 1
	u64 kprobe_regs; // 2: PT_REGS_PARM1, the wrapper's struct pt_regs *
	u64 kretprobe_hits; // 3
	s64 kretprobe_rc; // 4: PT_REGS_RC, the syscall's return value
	u64 kretprobe_cookie; // 5
	u64 ksyscall_hits; // 6
	s64 ksyscall_fd; // 7: ftruncate's arguments, through the wrapper
	s64 ksyscall_len; // 8
	u64 multi_hits; // 9
	u64 multi_cookies; // 10: bit n set when cookie n fired
	u64 multi_ips[2]; // 11, 12: bpf_get_func_ip for cookies 0 and 1
} state;

SEC("kprobe/__x64_sys_getppid")
int BPF_KPROBE(on_getppid, struct pt_regs *regs)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.kprobe_hits++;
	state.kprobe_regs = (u64)regs;
	return 0;
}

SEC("kretprobe/__x64_sys_getppid")
int BPF_KRETPROBE(on_getppid_ret, long rc)
{
	if (!IS_TARGET(state.target_tid))
		return 0;
	state.kretprobe_hits++;
	state.kretprobe_rc = rc;
	state.kretprobe_cookie = bpf_get_attach_cookie(ctx);
	return 0;
}

extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

// What BPF_KSYSCALL does, without its CO-RE reads: with syscall wrappers
// (x86-64 since 4.17), the probed function's only argument is the user
// register frame, and the syscall's arguments are in it.
SEC("ksyscall/ftruncate")
int on_ftruncate(struct pt_regs *ctx)
{
	struct pt_regs *regs = ctx;
	unsigned long fd = 0, length = 0;

	if (!IS_TARGET(state.target_tid))
		return 0;
	if (LINUX_HAS_SYSCALL_WRAPPER)
		regs = (struct pt_regs *)PT_REGS_PARM1(ctx);
	bpf_probe_read_kernel(&fd, sizeof(fd), &regs->di);
	bpf_probe_read_kernel(&length, sizeof(length), &regs->si);
	state.ksyscall_hits++;
	state.ksyscall_fd = (unsigned int)fd;
	state.ksyscall_len = length;
	return 0;
}

SEC("kprobe.multi/__x64_sys_*")
int on_multi(struct pt_regs *ctx)
{
	u64 cookie;

	if (!IS_TARGET(state.target_tid))
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	state.multi_hits++;
	if (cookie < 2) {
		state.multi_cookies |= 1ull << cookie;
		state.multi_ips[cookie] = bpf_get_func_ip(ctx);
	}
	return 0;
}
