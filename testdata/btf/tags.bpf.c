// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// BTF test corpus: DECL_TAG and TYPE_TAG.
// Rebuild with scripts/build-bpf.
//
// DECL_TAG's component_idx is -1 for the tagged declaration itself, or the
// index of the tagged struct member / function parameter.
// TYPE_TAG sits between a PTR and its pointee (PTR -> TYPE_TAG -> T).

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))
#define __percpu __attribute__((btf_type_tag("percpu")))
#define __rcu __attribute__((btf_type_tag("rcu")))

// DECL_TAG on a struct (component_idx=-1) and on members (0, 2); two tags
// on one member.
struct tagged {
	int a __tag("member_a");
	int b;
	long c __tag("member_c") __tag("second_tag");
	// TYPE_TAG on pointers: one tag, and two stacked tags.
	char __user *ubuf;
	int __percpu __rcu *pcpu;
	// A TYPE_TAG under a CONST: PTR -> TYPE_TAG -> CONST -> INT.
	const int __user *cubuf;
} __tag("struct_tag");

// DECL_TAG on a union and a typedef.
union tagged_u {
	int i;
	unsigned int u __tag("union_member");
} __tag("union_tag");
typedef struct tagged tagged_t __tag("typedef_tag");

// DECL_TAG on a global variable.
tagged_t tagged_var __tag("var_tag");
union tagged_u tagged_union_var;

// DECL_TAG on a function (-1) and on its parameters (0, 1).
__noinline __tag("func_tag") int tagged_func(int x __tag("param_x"),
					    char __user *buf __tag("param_buf"))
{
	return x + (buf != 0);
}

// A static function with a tag on the parameter only.
static __noinline int static_tagged(long y __tag("static_param"))
{
	return y * 2;
}

SEC("tracepoint/sched/sched_switch")
int tp_tags(void *ctx)
{
	int r = tagged_func(tagged_var.a, tagged_var.ubuf);

	tagged_union_var.i = static_tagged(r);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
