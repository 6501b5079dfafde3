// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// CO-RE on types no kernel has: tests/core.rs builds target BTFs for them
// (fields moved, resized, sign-flipped, renamed or removed) and checks
// every relocation, then loads the programs with that target
// (LoadOptions::core_btf) and runs them. `buf` stands in for the target's
// `struct sample`: the test fills it in the target's layout, and the
// programs read it through the local declarations, relocated.
// Self-contained on purpose (no vmlinux.h): the local type declarations
// below, their flavours and their exact shapes are what the CO-RE tests
// relocate and assert on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __pai __attribute__((preserve_access_index))

typedef unsigned int u32_t;

enum color { RED = 1, GREEN = 2, BLUE = 4 };
enum sneg { NEG = -5, POS = 7 };
enum big { BIG_A = 0x100000000ULL, BIG_B = 0xfffffffffffffff0ULL };

// Enumerator flavors: GREEN___v2 stands for GREEN.
enum color___v2 { GREEN___v2 = 2, PURPLE___v2 = 8 };

struct inner {
	int x;
	int y;
} __pai;

struct sample {
	int a;
	unsigned short b;
	long long c;
	unsigned long long uc;
	unsigned int bf_u:3;
	int bf_s:5;
	unsigned int bf_w:20;
	char arr[4];
	struct inner in;
	struct inner ins[2];
	union {
		int u1;
		long long u2;
	};
	enum color col;
	int *ptr;
	int gone;
	int tail[];
} __pai;

// A field renamed between "versions" of the target: one flavor per name.
struct sample___v1 {
	int old_name;
} __pai;

struct sample___v2 {
	int new_name;
} __pai;

struct missing_type {
	int z;
} __pai;

// TYPE_MATCHES: matches a target `struct sample` that has these members
// with these types (whatever else it has).
struct sample___m {
	int a;
	long long c;
} __pai;

enum {
	F_A_OFF,
	F_A_SIZE,
	F_A_SIGNED,
	F_B_OFF,
	F_B_SIZE,
	F_C_OFF,
	F_UC_SIZE,
	F_BFU_OFF,
	F_BFU_SIZE,
	F_BFU_LSHIFT,
	F_BFU_RSHIFT,
	F_BFS_SIGNED,
	F_BFS_LSHIFT,
	F_BFS_RSHIFT,
	F_ARR_OFF,
	F_ARR_SIZE,
	F_ARR2_OFF,
	F_INY_OFF,
	F_INS1X_OFF,
	F_U2_OFF,
	F_COL_SIGNED,
	F_PTR_SIZE,
	F_GONE_EXISTS,
	F_TAIL1_OFF,
	F_NR,
};

enum {
	R_A,
	R_B,
	R_C,
	R_UC,
	R_BFU,
	R_BFS,
	R_BFW,
	R_ARR2,
	R_INY,
	R_INS1X,
	R_U2,
	R_COL,
	R_GONE,
	R_TAIL1,
	R_RENAMED,
	R_NR,
};

enum {
	T_SAMPLE_EXISTS,
	T_MISSING_EXISTS,
	T_SAMPLE_SIZE,
	T_U32_SIZE,
	T_SAMPLE_ID_LOCAL,
	T_SAMPLE_ID_TARGET,
	T_SAMPLE_MATCHES,
	T_BLUE_EXISTS,
	T_GREEN_VALUE,
	T_NEG_VALUE,
	T_BIGB_VALUE,
	T_BIGA_EXISTS,
	T_GREEN2_VALUE,
	T_PURPLE2_EXISTS,
	T_MISSING_ID_TARGET,
	T_NR,
};

__u64 fields_out[F_NR];
__u64 reads_out[R_NR];
__u64 types_out[T_NR];
unsigned char buf[256];

SEC("xdp")
int fields(struct xdp_md *ctx)
{
	struct sample *s = (void *)buf;

	fields_out[F_A_OFF] = bpf_core_field_offset(s->a);
	fields_out[F_A_SIZE] = bpf_core_field_size(s->a);
	fields_out[F_A_SIGNED] = __builtin_preserve_field_info(s->a, BPF_FIELD_SIGNED);
	fields_out[F_B_OFF] = bpf_core_field_offset(s->b);
	fields_out[F_B_SIZE] = bpf_core_field_size(s->b);
	fields_out[F_C_OFF] = bpf_core_field_offset(s->c);
	fields_out[F_UC_SIZE] = bpf_core_field_size(s->uc);
	fields_out[F_BFU_OFF] = bpf_core_field_offset(s->bf_u);
	fields_out[F_BFU_SIZE] = bpf_core_field_size(s->bf_u);
	fields_out[F_BFU_LSHIFT] = __builtin_preserve_field_info(s->bf_u, BPF_FIELD_LSHIFT_U64);
	fields_out[F_BFU_RSHIFT] = __builtin_preserve_field_info(s->bf_u, BPF_FIELD_RSHIFT_U64);
	fields_out[F_BFS_SIGNED] = __builtin_preserve_field_info(s->bf_s, BPF_FIELD_SIGNED);
	fields_out[F_BFS_LSHIFT] = __builtin_preserve_field_info(s->bf_s, BPF_FIELD_LSHIFT_U64);
	fields_out[F_BFS_RSHIFT] = __builtin_preserve_field_info(s->bf_s, BPF_FIELD_RSHIFT_U64);
	fields_out[F_ARR_OFF] = bpf_core_field_offset(s->arr);
	fields_out[F_ARR_SIZE] = bpf_core_field_size(s->arr);
	fields_out[F_ARR2_OFF] = bpf_core_field_offset(s->arr[2]);
	fields_out[F_INY_OFF] = bpf_core_field_offset(s->in.y);
	fields_out[F_INS1X_OFF] = bpf_core_field_offset(s->ins[1].x);
	fields_out[F_U2_OFF] = bpf_core_field_offset(s->u2);
	fields_out[F_COL_SIGNED] = __builtin_preserve_field_info(s->col, BPF_FIELD_SIGNED);
	fields_out[F_PTR_SIZE] = bpf_core_field_size(s->ptr);
	fields_out[F_GONE_EXISTS] = bpf_core_field_exists(s->gone);
	fields_out[F_TAIL1_OFF] = bpf_core_field_offset(s->tail[1]);
	return XDP_PASS;
}

SEC("xdp")
int reads(struct xdp_md *ctx)
{
	struct sample *s = (void *)buf;
	struct sample___v1 *v1 = (void *)buf;
	struct sample___v2 *v2 = (void *)buf;

	reads_out[R_A] = s->a;
	reads_out[R_B] = s->b;
	reads_out[R_C] = s->c;
	reads_out[R_UC] = s->uc;
	reads_out[R_BFU] = BPF_CORE_READ_BITFIELD(s, bf_u);
	reads_out[R_BFS] = BPF_CORE_READ_BITFIELD(s, bf_s);
	reads_out[R_BFW] = BPF_CORE_READ_BITFIELD(s, bf_w);
	reads_out[R_ARR2] = s->arr[2];
	reads_out[R_INY] = s->in.y;
	reads_out[R_INS1X] = s->ins[1].x;
	reads_out[R_U2] = s->u2;
	reads_out[R_COL] = s->col;
	if (bpf_core_field_exists(s->gone))
		reads_out[R_GONE] = s->gone;
	else
		reads_out[R_GONE] = 0xdead;
	reads_out[R_TAIL1] = s->tail[1];
	if (bpf_core_field_exists(v2->new_name))
		reads_out[R_RENAMED] = v2->new_name;
	else if (bpf_core_field_exists(v1->old_name))
		reads_out[R_RENAMED] = v1->old_name;
	else
		reads_out[R_RENAMED] = 0xbad;
	return XDP_PASS;
}

SEC("xdp")
int types(struct xdp_md *ctx)
{
	types_out[T_SAMPLE_EXISTS] = bpf_core_type_exists(struct sample);
	types_out[T_MISSING_EXISTS] = bpf_core_type_exists(struct missing_type);
	types_out[T_SAMPLE_SIZE] = bpf_core_type_size(struct sample);
	types_out[T_U32_SIZE] = bpf_core_type_size(u32_t);
	types_out[T_SAMPLE_ID_LOCAL] = bpf_core_type_id_local(struct sample);
	types_out[T_SAMPLE_ID_TARGET] = bpf_core_type_id_kernel(struct sample);
	types_out[T_SAMPLE_MATCHES] = bpf_core_type_matches(struct sample___m);
	types_out[T_BLUE_EXISTS] = bpf_core_enum_value_exists(enum color, BLUE);
	types_out[T_GREEN_VALUE] = bpf_core_enum_value(enum color, GREEN);
	types_out[T_NEG_VALUE] = bpf_core_enum_value(enum sneg, NEG);
	types_out[T_BIGB_VALUE] = bpf_core_enum_value(enum big, BIG_B);
	types_out[T_BIGA_EXISTS] = bpf_core_enum_value_exists(enum big, BIG_A);
	types_out[T_GREEN2_VALUE] = bpf_core_enum_value(enum color___v2, GREEN___v2);
	types_out[T_PURPLE2_EXISTS] = bpf_core_enum_value_exists(enum color___v2, PURPLE___v2);
	types_out[T_MISSING_ID_TARGET] = bpf_core_type_id_kernel(struct missing_type);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
