// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// BTF test corpus: the "plain C type" kinds.
//
// clang only emits BTF for types that are reachable from a global variable,
// a function signature or a CO-RE relocation; types of locals are dropped.
// So every construct below is hung off the global `kinds` (in .bss) or off a
// function's parameters. Rebuild with scripts/build-bpf.
//
// Kinds exercised here: INT, PTR, ARRAY, STRUCT, UNION (with bitfields, so
// kind_flag member offsets), ENUM (unsigned and signed), ENUM64 (unsigned and
// signed), FWD (struct and union), TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC,
// FUNC_PROTO (incl. variadic), FLOAT, VAR, DATASEC.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// TYPEDEF chains: typedef -> typedef -> INT.
typedef unsigned int u32;
typedef u32 my_u32;

// ENUM, unsigned values: kind_flag 0.
enum color { RED, GREEN = 7, BLUE = 0xffffffff };

// ENUM with a negative value: kind_flag 1 (signed), printed as negative.
enum sign { NEG = -2, ZERO = 0, POS = 3 };

// ENUM64: a value beyond 32 bits makes clang use an 8-byte enum.
enum big { SMALL = 1, HUGE = 0x123456789aULL, TOP = 0xffffffffffffffffULL };

// ENUM64, signed: negative values that do not fit in 32 bits.
enum sbig { SBIG_MIN = -0x100000000LL, SBIG_ONE = 1 };

// FWD: pointers to types that are never completed.
struct never_defined;
union never_defined_u;

// FLOAT: allowed in type definitions as long as no code does FP arithmetic.
struct floats {
	float f;
	double d;
	long double ld;
};

// STRUCT with bitfields: kind_flag 1, members carry (bitfield_size << 24 | offset).
struct bits {
	unsigned int a : 3;
	int b : 5;		// signed bitfield
	unsigned long long c : 40; // crosses a 32-bit boundary
	_Bool flag : 1;
	unsigned char tail;	// a normal member in a kind_flag struct
};

// UNION with a bitfield member: kind_flag 1 on a union.
union ubits {
	unsigned int whole;
	unsigned int low : 12;
};

// Anonymous nested struct and union members ('(anon)' names).
struct nested {
	int tag;
	union {
		struct {
			short x, y;
		};
		int xy;
	};
	struct {
		char c;
	} named_anon; // named member of an anonymous struct type
};

// Flexible array member: ARRAY with nr_elems=0.
struct flex {
	u32 len;
	unsigned char data[];
};

// FUNC_PROTO through function pointers (BPF cannot define variadic
// functions, but a pointer to one is a valid type).
typedef int (*callback_t)(void *ctx, long arg);
struct ops {
	callback_t cb;			   // typedef'd FUNC_PROTO
	void (*noargs)(void);		   // void return, no params
	int (*printf_like)(const char *fmt, ...); // variadic: last param type 0
	struct flex *(*ret_ptr)(struct bits b, enum color c);
};

// Everything above, plus INTs of every flavour, modifiers and arrays.
struct all_kinds {
	char c;			// INT (char)
	signed char sc;		// INT SIGNED
	unsigned char uc;	// INT unsigned
	_Bool b;		// INT BOOL
	short s;
	unsigned short us;
	int i;
	long l;
	unsigned long long ull;
	__int128 i128;		// 16-byte INT
	unsigned __int128 u128;
	my_u32 typedefd;
	enum color color;
	enum sign sign;
	enum big big;
	enum sbig sbig;
	struct never_defined *fwd_s; // FWD struct
	union never_defined_u *fwd_u; // FWD union
	struct floats floats;
	struct bits bits;
	union ubits ubits;
	struct nested nested;
	struct ops ops;
	struct flex *flex;
	int one_dim[4];		// ARRAY
	int two_dim[2][3];	// ARRAY of ARRAY
	char empty[0];		// zero-length ARRAY (GNU)
	const int ci;		// CONST
	volatile int vi;	// VOLATILE
	const volatile int cvi; // CONST -> VOLATILE -> INT
	int *const cp;		// CONST on the pointer, not the pointee
	const char *strp;	// PTR -> CONST -> INT
	void *vp;		// PTR -> void (type_id=0)
	void **vpp;		// PTR -> PTR -> void
};

// VAR in .bss; the root that makes all of the above reachable.
struct all_kinds kinds;

// RESTRICT: only appears on pointer parameters. A global (non-static)
// noinline function keeps its own FUNC and FUNC_PROTO, with linkage=global.
__noinline int sum_restrict(int *restrict a, const int *restrict b)
{
	if (!a || !b)
		return 0;
	return *a + *b;
}

// A static noinline function: FUNC with linkage=static.
static __noinline long pick(struct bits *bits, union ubits *u)
{
	return bits->b + u->low;
}

// The program. Its FUNC is in section "xdp" (func_info for that section).
SEC("xdp")
int xdp_kinds(struct xdp_md *ctx)
{
	int a = ctx->ingress_ifindex;
	int b = 1;

	kinds.i = sum_restrict(&a, &b);
	kinds.l = pick(&kinds.bits, &kinds.ubits);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
