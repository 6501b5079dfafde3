// The libbpf side of tests/loader_differential.rs's CO-RE comparison:
// loads an object with a CO-RE target BTF (`btf_custom_path`, which bpftool
// 7.1 cannot pass) and pins its programs as `bpftool prog loadall` does.
//
//   core-load OBJ BTF DIR
//
// The test builds it with clang and libbpf-dev; scripts/kernel-matrix builds
// it on the host and names it in $OXBPF_CORE_HARNESS (the VMs have no clang).
#include <bpf/libbpf.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);
	struct bpf_object *obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fprintf(stderr, "opening %s failed\n", argv[1]);
		return 1;
	}
	if (bpf_object__load(obj) || bpf_object__pin_programs(obj, argv[3])) {
		fprintf(stderr, "loading %s failed\n", argv[1]);
		return 1;
	}
	return 0;
}
