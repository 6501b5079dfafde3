// SPDX-License-Identifier: (MIT OR Apache-2.0)
//
// Loader corpus: global data. .data, .rodata, .bss and custom .data.*,
// .rodata.* and .bss.* sections become array maps holding the initial
// contents; the programs read them through BPF_PSEUDO_MAP_VALUE loads.
// String literals land in .rodata.str1.1, which has no BTF DATASEC.
// Hidden globals are static in the loaded BTF (and keep .data.hidden from
// being mmapable).
//
// `report` copies what it sees into `out` (.bss), so a test can set the
// .rodata/.data variables before load, run the program and check.
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct config {
	u32 mode;
	u16 port;
	u8 flags[2];
};

// .rodata: constants the user may set before load.
const volatile u32 ro_magic = 0x1234;
const volatile struct config ro_config = { .mode = 7, .port = 8080 };
const volatile u64 ro_array[4] = { 1, 2, 3, 4 };

// .data
u64 data_counter = 100;
s32 data_signed = -5;

// .bss
u64 bss_zero;
struct {
	u32 magic;
	u32 mode;
	u16 port;
	u64 counter;
	u64 sum;
	u64 custom;
	u64 custom_ro;
	u64 big;
	u64 hidden;
	u32 str_len;
} out;

// custom sections
u64 custom_data SEC(".data.custom") = 42;
u32 custom_data_arr[3] SEC(".data.custom") = { 7, 8, 9 };
const volatile u64 custom_ro SEC(".rodata.custom") = 43;
// A large .data.* section.
u64 big_data[512] SEC(".data.big") = { [0] = 1, [511] = 511 };

// Hidden globals: static in the loaded BTF; .data.hidden is not mmapable.
__hidden u64 hidden_data SEC(".data.hidden") = 5;

// A static variable that is written, so it stays (VAR linkage static).
static u64 static_counter;

static __noinline u64 sum_ro_array(void)
{
	u64 s = 0;

	for (int i = 0; i < 4; i++)
		s += ro_array[i];
	return s;
}

SEC("xdp")
int report(struct xdp_md *ctx)
{
	u64 args[1];
	char buf[16];

	static_counter++;
	data_counter++;
	bss_zero = data_signed;
	out.magic = ro_magic;
	out.mode = ro_config.mode;
	out.port = ro_config.port;
	out.counter = data_counter;
	out.sum = sum_ro_array();
	out.custom = custom_data + custom_data_arr[2];
	out.custom_ro = custom_ro;
	out.big = big_data[0] + big_data[511];
	out.hidden = hidden_data;
	args[0] = ro_magic;
	out.str_len = bpf_snprintf(buf, sizeof(buf), "magic=%u", args, sizeof(args));
	bpf_printk("report %u", ro_magic);
	return XDP_PASS;
}

// Reads only .rodata: the verifier sees the frozen values and prunes.
SEC("socket")
int ro_only(struct __sk_buff *skb)
{
	if (ro_magic == 0x1234)
		return 1;
	return ro_config.port;
}
