// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// CO-RE against the running kernel's BTF: every relocation kind on kernel
// types, declared here (no vmlinux.h) with only the members used. Run by
// BPF_PROG_TEST_RUN in the test's own thread, the program reads that
// thread's task_struct and stores what it finds in `out`; tests/core.rs
// compares with what user space knows (tid, pid, comm, the scheduler's
// reset-on-fork flag) and with the kernel's BTF.
// Self-contained on purpose (no vmlinux.h): the local type declarations
// below, their flavours and their exact shapes are what the CO-RE tests
// relocate and assert on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

typedef __kernel_pid_t pid_t;

struct mm_struct;

struct task_struct {
	unsigned int flags;
	int prio;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	char comm[16];
	unsigned int sched_reset_on_fork:1;
	unsigned int sched_contributes_to_load:1;
	unsigned int sched_migrated:1;
} __attribute__((preserve_access_index));

// The task state was `long state` before 5.14 and is `unsigned int
// __state` since: one flavor each, chosen by field existence.
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

// TYPE_MATCHES: this flavor matches the kernel's task_struct (every
// member exists with a matching type) ...
struct task_struct___match {
	unsigned int flags;
	pid_t pid;
	pid_t tgid;
	struct task_struct___match *real_parent;
} __attribute__((preserve_access_index));

// ... this one does not (pid is an int in the kernel).
struct task_struct___nomatch {
	long long pid;
} __attribute__((preserve_access_index));

// Not in any kernel.
struct oxbpf_not_in_kernel {
	int x;
} __attribute__((preserve_access_index));

// A 32-bit kernel enum, with deliberately wrong local values.
enum bpf_map_type___l {
	BPF_MAP_TYPE_ARENA___l = 1,
	BPF_MAP_TYPE_OXBPF_NOPE___l = 2,
};

// A 64-bit kernel enum (ENUM64 in vmlinux), local values wrong too.
enum perf_callchain_context___l {
	PERF_CONTEXT_KERNEL___l = 0x100000000ULL,
	PERF_CONTEXT_MAX___l = 0x200000000ULL,
};

enum {
	K_PID,
	K_TGID,
	K_PARENT_TGID,
	K_RESET_ON_FORK,
	K_CONTRIB_TO_LOAD,
	K_COMM_SIZE,
	K_PID_SIGNED,
	K_FLAGS_SIGNED,
	K_OLD_STATE_EXISTS,
	K_STATE,
	K_TASK_EXISTS,
	K_MISSING_EXISTS,
	K_TASK_SIZE,
	K_TASK_ID_KERNEL,
	K_TASK_ID_LOCAL,
	K_MATCH,
	K_NOMATCH,
	K_ARENA_EXISTS,
	K_ARENA_VALUE,
	K_NOPE_EXISTS,
	K_CALLCHAIN_KERNEL,
	K_PID_OFFSET,
	K_COMM1,
	K_RESET_ON_FORK_SIZE,
	K_NR,
};

__u64 out[K_NR];
char comm[16];

SEC("raw_tp")
int kernel_task(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___old *old = (void *)t;
	struct task_struct___new *new = (void *)t;

	out[K_PID] = BPF_CORE_READ(t, pid);
	out[K_TGID] = BPF_CORE_READ(t, tgid);
	out[K_PARENT_TGID] = BPF_CORE_READ(t, real_parent, tgid);
	out[K_RESET_ON_FORK] = BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
	out[K_CONTRIB_TO_LOAD] = BPF_CORE_READ_BITFIELD_PROBED(t, sched_contributes_to_load);
	BPF_CORE_READ_STR_INTO(&comm, t, comm);
	out[K_COMM1] = BPF_CORE_READ(t, comm[1]);
	out[K_COMM_SIZE] = bpf_core_field_size(t->comm);
	out[K_PID_SIGNED] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
	out[K_FLAGS_SIGNED] = __builtin_preserve_field_info(t->flags, BPF_FIELD_SIGNED);
	out[K_RESET_ON_FORK_SIZE] = bpf_core_field_size(t->sched_reset_on_fork);
	out[K_PID_OFFSET] = bpf_core_field_offset(struct task_struct, pid);

	// A field missing on this kernel, guarded: the poisoned read is dead
	// code and the program loads.
	out[K_OLD_STATE_EXISTS] = bpf_core_field_exists(old->state);
	if (bpf_core_field_exists(old->state))
		out[K_STATE] = BPF_CORE_READ(old, state);
	else
		out[K_STATE] = BPF_CORE_READ(new, __state);

	out[K_TASK_EXISTS] = bpf_core_type_exists(struct task_struct);
	out[K_MISSING_EXISTS] = bpf_core_type_exists(struct oxbpf_not_in_kernel);
	out[K_TASK_SIZE] = bpf_core_type_size(struct task_struct);
	out[K_TASK_ID_KERNEL] = bpf_core_type_id_kernel(struct task_struct);
	out[K_TASK_ID_LOCAL] = bpf_core_type_id_local(struct task_struct);
	out[K_MATCH] = bpf_core_type_matches(struct task_struct___match);
	out[K_NOMATCH] = bpf_core_type_matches(struct task_struct___nomatch);

	out[K_ARENA_EXISTS] = bpf_core_enum_value_exists(enum bpf_map_type___l, BPF_MAP_TYPE_ARENA___l);
	/* Guarded: where the kernel lacks the enumerator (6.1), the value
	 * relocation is poisoned and must be dead code. */
	if (bpf_core_enum_value_exists(enum bpf_map_type___l, BPF_MAP_TYPE_ARENA___l))
		out[K_ARENA_VALUE] = bpf_core_enum_value(enum bpf_map_type___l, BPF_MAP_TYPE_ARENA___l);
	else
		out[K_ARENA_VALUE] = 0;
	out[K_NOPE_EXISTS] = bpf_core_enum_value_exists(enum bpf_map_type___l, BPF_MAP_TYPE_OXBPF_NOPE___l);
	out[K_CALLCHAIN_KERNEL] = bpf_core_enum_value(enum perf_callchain_context___l, PERF_CONTEXT_KERNEL___l);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
