// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// A CO-RE access no kernel can satisfy, not guarded by
// bpf_core_field_exists(): the relocation poisons the instruction, the
// verifier reaches it, and the load must fail naming the program, the
// relocation and the access (`struct task_struct.mm->oxbpf_missing`).
// Self-contained on purpose (no vmlinux.h): the local type declarations
// below, their flavours and their exact shapes are what the CO-RE tests
// relocate and assert on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct mm_struct {
	int oxbpf_missing;
} __attribute__((preserve_access_index));

struct task_struct {
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

SEC("tp_btf/sched_switch")
int unguarded(unsigned long long *ctx)
{
	struct task_struct *prev = (void *)ctx[1];

	return prev->mm->oxbpf_missing;
}

char LICENSE[] SEC("license") = "GPL";
