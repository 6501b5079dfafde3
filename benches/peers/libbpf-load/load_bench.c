// libbpf-load: user-space CPU time of libbpf opening and loading an object,
// the peer of `cargo bench --bench loader`.
//
// For each OBJ: read it once, then `iters` times bpf_object__open_mem +
// bpf_object__load + bpf_object__close, after `warmup` untimed rounds.
// User and system CPU come from getrusage(RUSAGE_SELF) around the loop (tick
// accounting: use enough iterations for a few seconds per object).
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static double tv_us(struct timeval tv) { return tv.tv_sec * 1e6 + tv.tv_usec; }

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int load_once(const void *buf, size_t len, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct bpf_object *obj = bpf_object__open_mem(buf, len, &opts);
	if (!obj)
		return -1;
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	int iters = 500, warmup = 20, i = 1;
	if (argc > 2 && !strcmp(argv[1], "--iters")) {
		iters = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--iters N] OBJ...\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) { perror(argv[i]); return 1; }
		fseek(f, 0, SEEK_END);
		long len = ftell(f);
		fseek(f, 0, SEEK_SET);
		char *buf = malloc(len);
		if (fread(buf, 1, len, f) != (size_t)len) { perror("read"); return 1; }
		fclose(f);
		const char *base = strrchr(argv[i], '/');
		base = base ? base + 1 : argv[i];
		int failed = 0;
		for (int w = 0; w < warmup && !failed; w++)
			failed = load_once(buf, len, base);
		if (failed) {
			/* Like the oxbpf bench: skip what does not load here. */
			printf("libbpf load %-24s skipped: libbpf failed to load it\n", base);
			free(buf);
			continue;
		}
		struct rusage r0, r1;
		getrusage(RUSAGE_SELF, &r0);
		double t0 = now_us();
		for (int n = 0; n < iters; n++)
			load_once(buf, len, base);
		double t1 = now_us();
		getrusage(RUSAGE_SELF, &r1);
		printf("libbpf load %-24s user %8.1f us  sys %8.1f us  wall %8.1f us  per load (%d loads)\n",
		       base, (tv_us(r1.ru_utime) - tv_us(r0.ru_utime)) / iters,
		       (tv_us(r1.ru_stime) - tv_us(r0.ru_stime)) / iters, (t1 - t0) / iters, iters);
		free(buf);
	}
	return 0;
}
