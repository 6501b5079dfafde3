// Perf-buffer consume baseline using the system libbpf (twin of
// peers/libbpf-ringbuf/ringbuf_bench.c). Each cycle: one BPF_PROG_TEST_RUN
// fills one CPU's 8 MiB perf ring with 64-byte samples (exactly as many as
// fit: 104,857), then perf_buffer__consume() drains all rings and is timed.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "perfbuf.skel.h"

#define PAGES 2048 /* 8 MiB per CPU */

struct state {
	__u64 n, next_seq, bad, lost;
};

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct state *s = ctx;
	const __u64 *p = data;
	(void)cpu;
	s->bad += p[0] != s->next_seq;
	s->bad += size != 68;
	s->next_seq++;
	s->n++;
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct state *s = ctx;
	(void)cpu;
	s->lost += cnt;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int cycles = 50;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			cycles = atoi(argv[++i]);
	libbpf_set_print(NULL);
	struct perfbuf_bpf *skel = perfbuf_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "open_and_load failed: %s\n", strerror(errno));
		return 1;
	}
	struct state st = {0};
	struct perf_buffer *pb = perf_buffer__new(bpf_map__fd(skel->maps.pb), PAGES, on_sample,
						  on_lost, &st, NULL);
	if (!pb) {
		fprintf(stderr, "perf_buffer__new failed: %s\n", strerror(errno));
		return 1;
	}
	long page = sysconf(_SC_PAGESIZE);
	__u64 ring = (__u64)PAGES * page;
	skel->bss->nr_records = (ring - 1) / 80; /* 8 + 4 + 68 bytes per sample */
	char pkt[64] = {0};
	int prog_fd = bpf_program__fd(skel->progs.produce);
	double *rate = calloc(cycles, sizeof(double));
	__u64 per_cycle = 0;
	for (int c = -1; c < cycles; c++) {
		__u64 before = skel->bss->produced;
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 1);
		if (bpf_prog_test_run_opts(prog_fd, &topts)) {
			fprintf(stderr, "test_run failed: %s\n", strerror(errno));
			return 1;
		}
		__u64 made = skel->bss->produced - before;
		__u64 n0 = st.n;
		double t0 = now_ns();
		int got = perf_buffer__consume(pb);
		double t1 = now_ns();
		__u64 n = st.n - n0;
		if (got < 0 || n != made || st.bad || st.lost || skel->bss->failed) {
			fprintf(stderr, "cycle %d: produced %llu consumed %llu bad %llu lost %llu failed %llu\n",
				c, (unsigned long long)made, (unsigned long long)n,
				(unsigned long long)st.bad, (unsigned long long)st.lost,
				(unsigned long long)skel->bss->failed);
			return 1;
		}
		if (c < 0)
			continue;
		per_cycle = n;
		rate[c] = n / ((t1 - t0) / 1e9);
	}
	qsort(rate, cycles, sizeof(double), cmp_d);
	double r = cycles % 2 ? rate[cycles / 2] : (rate[cycles / 2 - 1] + rate[cycles / 2]) / 2;
	printf("perfbuf %llu bytes/CPU, %llu x 64-byte samples per fill, %d cycles, consumer=read-seq\n",
	       (unsigned long long)ring, (unsigned long long)per_cycle, cycles);
	printf("consume: median %.2f Mrec/s (%.2f ns/rec), payload %.0f MB/s, ring %.0f MB/s "
	       "[min %.2f max %.2f Mrec/s]\n",
	       r / 1e6, 1e9 / r, r * 64 / 1e6, r * 80 / 1e6, rate[0] / 1e6,
	       rate[cycles - 1] / 1e6);
	perf_buffer__free(pb);
	perfbuf_bpf__destroy(skel);
	return 0;
}
