// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Many CO-RE relocations (three per field: read offset, size, existence)
// over kernel types, for benches/core.rs and the differential test: 79
// fields of task_struct, mm_struct (inside its anonymous struct),
// file, inode and super_block.
// Self-contained on purpose (no vmlinux.h): the local type declarations
// below, their flavours and their exact shapes are what the CO-RE tests
// relocate and assert on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct super_block;
struct dentry;
struct cred;
struct address_space;

struct super_block {
	u32 s_dev;
	u8 s_blocksize_bits;
	u64 s_blocksize;
	u64 s_maxbytes;
	u64 s_flags;
	u64 s_iflags;
	u64 s_magic;
	struct dentry *s_root;
	u32 s_count;
	u32 s_time_gran;
} __attribute__((preserve_access_index));

struct inode {
	u16 i_mode;
	u16 i_opflags;
	u32 i_flags;
	struct super_block *i_sb;
	u64 i_ino;
	u32 i_rdev;
	u64 i_size;
	u32 i_generation;
	u16 i_bytes;
	u8 i_blkbits;
	u64 i_blocks;
	void *i_private;
} __attribute__((preserve_access_index));

struct file {
	u32 f_mode;
	u32 f_flags;
	u64 f_pos;
	struct inode *f_inode;
	const struct cred *f_cred;
	u32 f_wb_err;
	struct address_space *f_mapping;
	void *private_data;
} __attribute__((preserve_access_index));

struct mm_struct {
	u64 mmap_base;
	u64 task_size;
	u32 map_count;
	u64 hiwater_rss;
	u64 hiwater_vm;
	u64 total_vm;
	u64 locked_vm;
	u64 data_vm;
	u64 exec_vm;
	u64 stack_vm;
	u64 start_code;
	u64 end_code;
	u64 start_data;
	u64 end_data;
	u64 start_brk;
	u64 brk;
	u64 start_stack;
	u64 arg_start;
	u64 arg_end;
	u64 env_start;
	u64 env_end;
	struct file *exe_file;
} __attribute__((preserve_access_index));

struct task_struct {
	u32 flags;
	u32 ptrace;
	u32 on_cpu;
	u32 wakee_flips;
	u32 recent_used_cpu;
	u32 wake_cpu;
	u32 on_rq;
	u32 prio;
	u32 static_prio;
	u32 normal_prio;
	u32 rt_priority;
	u32 policy;
	u32 nr_cpus_allowed;
	u32 exit_state;
	u32 exit_code;
	u32 exit_signal;
	u32 pdeath_signal;
	u64 jobctl;
	u32 personality;
	u64 atomic_flags;
	u32 pid;
	u32 tgid;
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	struct mm_struct *active_mm;
} __attribute__((preserve_access_index));

// Three relocations: the read's offset, the field's size (as the read's
// size) and its existence.
#define F(p, f)								\
	do {								\
		v = 0;							\
		bpf_core_read(&v, bpf_core_field_size(p->f), &p->f);	\
		result += v + bpf_core_field_exists(p->f);		\
	} while (0)

__u64 result;
__u64 v;

SEC("raw_tp")
int many(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	struct file *f = BPF_CORE_READ(mm, exe_file);
	struct inode *i = BPF_CORE_READ(f, f_inode);
	struct super_block *sb = BPF_CORE_READ(i, i_sb);

	F(t, flags); F(t, ptrace); F(t, on_cpu); F(t, wakee_flips);
	F(t, recent_used_cpu); F(t, wake_cpu); F(t, on_rq); F(t, prio);
	F(t, static_prio); F(t, normal_prio); F(t, rt_priority); F(t, policy);
	F(t, nr_cpus_allowed); F(t, exit_state); F(t, exit_code);
	F(t, exit_signal); F(t, pdeath_signal); F(t, jobctl); F(t, personality);
	F(t, atomic_flags); F(t, pid); F(t, tgid); F(t, real_parent);
	F(t, parent); F(t, group_leader); F(t, mm); F(t, active_mm);

	F(mm, mmap_base); F(mm, task_size); F(mm, map_count);
	F(mm, hiwater_rss); F(mm, hiwater_vm); F(mm, total_vm); F(mm, locked_vm);
	F(mm, data_vm); F(mm, exec_vm); F(mm, stack_vm); F(mm, start_code);
	F(mm, end_code); F(mm, start_data); F(mm, end_data); F(mm, start_brk);
	F(mm, brk); F(mm, start_stack); F(mm, arg_start); F(mm, arg_end);
	F(mm, env_start); F(mm, env_end); F(mm, exe_file);

	F(f, f_mode); F(f, f_flags); F(f, f_pos); F(f, f_inode); F(f, f_cred);
	F(f, f_wb_err); F(f, f_mapping); F(f, private_data);

	F(i, i_mode); F(i, i_opflags); F(i, i_flags); F(i, i_sb); F(i, i_ino);
	F(i, i_rdev); F(i, i_size); F(i, i_generation); F(i, i_bytes);
	F(i, i_blkbits); F(i, i_blocks); F(i, i_private);

	F(sb, s_dev); F(sb, s_blocksize_bits); F(sb, s_blocksize);
	F(sb, s_maxbytes); F(sb, s_flags); F(sb, s_iflags); F(sb, s_magic);
	F(sb, s_root); F(sb, s_count); F(sb, s_time_gran);

	return 0;
}

char LICENSE[] SEC("license") = "GPL";
