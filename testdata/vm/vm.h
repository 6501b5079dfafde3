// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Shared definitions of the programs tests/vm_only.rs runs on the kernels
// of the qemu matrix (scripts/kernel-matrix): kprobes, fentry/fexit/
// fmod_ret, LSM. No vmlinux.h: the one kernel struct needed (pt_regs) is
// declared here. It is x86-64's fixed register frame, so it is declared
// without preserve_access_index: the objects carry no CO-RE relocations and
// load whether or not the loader applies CO-RE.
#ifndef OXBPF_VM_H
#define OXBPF_VM_H

#include <linux/bpf.h>

typedef _Bool bool;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

// x86-64's kernel-side struct pt_regs (arch/x86/include/asm/ptrace.h).
// Defining __VMLINUX_H__ makes bpf_tracing.h use the kernel's field names.
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};
#define __VMLINUX_H__

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

// Whether the current thread is the one the test armed (`target_tid`).
#define IS_TARGET(tid) ((u32)bpf_get_current_pid_tgid() == (tid))

#endif
