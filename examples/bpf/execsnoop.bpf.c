// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// execsnoop: one event per successful exec, from the sched_process_exec
// tracepoint, streamed through a ring buffer. The parent's pid is read from
// the current task with CO-RE, so the object runs on any kernel whose BTF
// has task_struct.real_parent and tgid, wherever they sit. The kernel's
// types come from include/vmlinux.h, which oxbpf generates from BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define FILENAME_LEN 127

// What user space reads; its layout is checked against this BTF by the
// example's #[derive(BtfStruct)] Event.
struct event {
	u32 pid;
	u32 ppid;
	u32 uid;
	int retval_unused;
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN + 1];
};

// Keeps `struct event` in the object's BTF.
const struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// Set by user space before load: only report execs from this uid (or all
// with -1).
const volatile u32 filter_uid = (u32)-1;

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	u64 uid_gid = bpf_get_current_uid_gid();
	u32 uid = (u32)uid_gid;
	if (filter_uid != (u32)-1 && uid != filter_uid)
		return 0;

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	e->retval_unused = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	// __data_loc char[]: the offset of the string in the low 16 bits.
	unsigned int off = ctx->__data_loc_filename & 0xffff;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
