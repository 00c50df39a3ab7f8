// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest runner benchmarks (host time of the simulator, best of 3):
 *   exit rate   one vCPU writing the x2APIC ICR to an absent APIC ID in a
 *               register-only loop (guests/wrmsr_loop.S): intercepted
 *               WRMSR exits per second, fastpath off and upstream;
 *   round trip  the IPI ping-pong (guests/pingpong.S) with each fastpath:
 *               send, deliver, handler, EOI, per round trip;
 *   memory      resident memory the Unicorn engines add, per vCPU;
 *   diff        run --diff (x2s_guest_diff()) against a plain run with
 *               the same fastpath: CPU time of each, and the ratio;
 *   baseline    the same guests on a minimal bare-Unicorn runner
 *               (baseline.c: hooks only at the WRMSR and HLT sites, IDT
 *               delivery, round-robin), runs interleaved with x2sim's:
 *               per round trip each, and x2sim's time over the baseline's.
 *
 * bench_guest [ITERATIONS [ROUNDS]] runs them all; bench_guest --pingpong
 * RUNNER ROUNDS only the ping-pong on one runner (baseline, none or a
 * fastpath variant), for a profiler: `perf record` of each side.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline.h"
#include "guest/guest.h"

#define RUNS 3

static struct x2s_guest_image *load(const char *name)
{
	char path[512], err[256];
	struct x2s_guest_image *img;

	snprintf(path, sizeof(path), "%s/%s.elf", X2S_GUEST_DIR, name);
	if (x2s_guest_image_load(path, &img, err, sizeof(err))) {
		fprintf(stderr, "bench_guest: %s: %s\n", path, err);
		exit(1);
	}
	return img;
}

/*
 * Best (shortest) of RUNS runs with `sym` patched to `val`; timed: with
 * the host time of every exit and IPI (`x2sim run --stat`), otherwise as
 * a plain `x2sim run` runs.
 */
static struct x2s_guest_stats best_run(struct x2s_guest_image *img,
				       unsigned int vcpus,
				       const struct x2s_fastpath *fn,
				       const char *sym, uint64_t val,
				       bool timed)
{
	struct x2s_guest_config cfg = { .nr_vcpus = vcpus,
					.fastpath = fn,
					.no_exit_times = !timed };
	struct x2s_guest_stats best = { 0 };
	uint64_t addr = 0;

	if (sym && !x2s_guest_image_symbol(img, sym, &addr, NULL)) {
		fprintf(stderr, "bench_guest: no symbol %s\n", sym);
		exit(1);
	}
	for (int run = 0; run < RUNS; run++) {
		struct x2s_guest *g;
		char err[256];

		if (x2s_guest_create(img, &cfg, &g, err, sizeof(err))) {
			fprintf(stderr, "bench_guest: %s\n", err);
			exit(1);
		}
		if (sym)
			x2s_guest_write(g, addr, &val, sizeof(val));
		if (x2s_guest_run(g)) {
			fprintf(stderr, "bench_guest: %s\n",
				x2s_guest_error(g));
			exit(1);
		}
		if (!run || x2s_guest_get_stats(g)->cpu_ns < best.cpu_ns)
			best = *x2s_guest_get_stats(g);
		x2s_guest_destroy(g);
	}
	return best;
}

/* Best of RUNS baseline runs; the check symbol's value must be want. */
static struct bl_stats best_baseline(struct x2s_guest_image *img,
				     unsigned int vcpus, const char *sym,
				     uint64_t val, const char *check,
				     uint64_t want)
{
	struct bl_stats best = { 0 }, st;
	char err[256];

	for (int run = 0; run < RUNS; run++) {
		if (bl_run(img, vcpus, sym, val, check, &st, err,
			   sizeof(err))) {
			fprintf(stderr, "bench_guest: %s\n", err);
			exit(1);
		}
		if (check && st.check != want) {
			fprintf(stderr,
				"bench_guest: baseline: %s is %" PRIu64
				", not %" PRIu64 "\n",
				check, st.check, want);
			exit(1);
		}
		if (!run || st.cpu_ns < best.cpu_ns)
			best = st;
	}
	return best;
}

static uint64_t process_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct patch {
	const struct x2s_guest_image *img;
	const char *sym;
	uint64_t val;
};

static int patch_guest(void *opaque, struct x2s_guest *g, char *err,
		       size_t errlen)
{
	const struct patch *p = opaque;
	uint64_t addr = 0;

	if (!x2s_guest_image_symbol(p->img, p->sym, &addr, NULL) ||
	    x2s_guest_write(g, addr, &p->val, sizeof(p->val))) {
		snprintf(err, errlen, "no symbol %s", p->sym);
		return -EINVAL;
	}
	return 0;
}

/*
 * A plain run (create, run, destroy) and a differential run of the same
 * guest with fn, interleaved: the best CPU time of DIFF_RUNS each, in ns
 * (more than RUNS: the ratio of two best times moves with the load more
 * than either time does).
 */
#define DIFF_RUNS 5

static void diff_cost(struct x2s_guest_image *img, unsigned int vcpus,
		      const struct x2s_fastpath *fn, const char *sym,
		      uint64_t val, uint64_t *plain, uint64_t *diff)
{
	struct patch p = { img, sym, val };
	struct x2s_guest_diff_config dc = {
		.img = img,
		.base = { .nr_vcpus = vcpus, .no_exit_times = true },
		.fastpath = fn,
		.prepare = patch_guest,
		.prepare_opaque = &p,
	};
	struct x2s_guest_config cfg = { .nr_vcpus = vcpus,
					.fastpath = fn,
					.no_exit_times = true };
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	char err[256];

	if (!res)
		exit(1);
	*plain = *diff = UINT64_MAX;
	for (int run = 0; run < DIFF_RUNS; run++) {
		uint64_t t0 = process_ns(), t;
		struct x2s_guest *g;

		if (x2s_guest_create(img, &cfg, &g, err, sizeof(err)) ||
		    patch_guest(&p, g, err, sizeof(err)) || x2s_guest_run(g)) {
			fprintf(stderr, "bench_guest: plain run failed\n");
			exit(1);
		}
		x2s_guest_destroy(g);
		t = process_ns() - t0;
		if (t < *plain)
			*plain = t;
		t0 = process_ns();
		if (x2s_guest_diff(&dc, res, err, sizeof(err)) ||
		    res->diverged) {
			fprintf(stderr, "bench_guest: diff run: %s\n",
				res->diverged ? res->what : err);
			exit(1);
		}
		x2s_guest_diff_release(res);
		t = process_ns() - t0;
		if (t < *diff)
			*diff = t;
	}
	free(res);
}

static int pingpong_usage(void)
{
	fprintf(stderr, "bench_guest: --pingpong baseline|none|VARIANT "
			"ROUNDS (ROUNDS > 0)\n");
	return 2;
}

/* bench_guest --pingpong RUNNER ROUNDS: that one side, for a profiler. */
static int pingpong_only(const char *runner, const char *arg)
{
	const struct x2s_fastpath_variant *v = x2s_fastpath_find(runner);
	struct x2s_guest_image *img;
	char *end;
	uint64_t rounds = strtoull(arg, &end, 0), ns;

	if (*end || !rounds || *arg < '0' || *arg > '9' ||
	    (!v && strcmp(runner, "none") && strcmp(runner, "baseline")))
		return pingpong_usage();
	img = load("pingpong");
	if (!strcmp(runner, "baseline"))
		ns = best_baseline(img, 2, "rounds", rounds, "pongs", rounds)
			     .cpu_ns;
	else
		ns = best_run(img, 2, v ? v->fn : NULL, "rounds", rounds, false)
			     .cpu_ns;
	printf("%s: %.2f us per round trip, %" PRIu64 " round trips, best "
	       "of %d\n",
	       runner, (double)ns / (double)rounds / 1000.0, rounds, RUNS);
	x2s_guest_image_free(img);
	return 0;
}

static int run_all(int argc, char **argv)
{
	uint64_t iterations = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
	struct x2s_guest_image *loop = load("wrmsr_loop");
	struct x2s_guest_image *pingpong = load("pingpong");
	struct x2s_guest_image *broadcast = load("broadcast");
	const struct x2s_fastpath_variant *up = x2s_fastpath_find("upstream");

	printf("guest runner, host time of the simulator, best of %d runs\n\n",
	       RUNS);
	printf("exit rate: 1 vCPU, %" PRIu64 " WRMSR(ICR) to an absent "
	       "APIC ID\n",
	       iterations);
	printf("(plain: as `x2sim run`; timed: with each exit's host time, "
	       "as --stat)\n");
	printf("%-14s %14s %12s %14s %14s\n", "fastpath", "exits/s", "ns/exit",
	       "timed ns/exit", "MSR_WRITE avg");
	for (int i = 0; i < 2; i++) {
		struct x2s_guest_stats st =
			best_run(loop, 1, i ? up->fn : NULL, "iterations",
				 iterations, false);
		struct x2s_guest_stats ts =
			best_run(loop, 1, i ? up->fn : NULL, "iterations",
				 iterations, true);
		const struct x2s_exit_stat *w =
			&st.reason[EXIT_REASON_MSR_WRITE];
		const struct x2s_exit_stat *tw =
			&ts.reason[EXIT_REASON_MSR_WRITE];

		printf("%-14s %14.0f %12.1f %14.1f %12.1fns\n",
		       i ? "upstream" : "none",
		       1e9 * (double)w->count / (double)st.cpu_ns,
		       (double)st.cpu_ns / (double)w->count,
		       (double)ts.cpu_ns / (double)tw->count,
		       (double)tw->total_ns / (double)tw->count);
	}
	{
		struct bl_stats b = best_baseline(loop, 1, "iterations",
						  iterations, "done", 1);

		printf("%-14s %14.0f %12.1f %14s %14s\n", "baseline",
		       1e9 * (double)b.wrmsrs / (double)b.cpu_ns,
		       (double)b.cpu_ns / (double)b.wrmsrs, "", "(hook)");
	}

	printf("\nIPI ping-pong: 2 vCPUs, %" PRIu64 " round trips, timed\n",
	       rounds);
	printf("%-14s %14s %14s %14s %14s\n", "fastpath", "round trip us",
	       "trips/s", "latency ns", "latency insns");
	for (int i = -1; i < (int)x2s_fastpath_nr_variants; i++) {
		const char *name =
			i < 0 ? "none" : x2s_fastpath_variants[i].name;
		struct x2s_guest_stats st = best_run(
			pingpong, 2, i < 0 ? NULL : x2s_fastpath_variants[i].fn,
			"rounds", rounds, true);

		printf("%-14s %14.2f %14.0f %14.0f %14.1f\n", name,
		       (double)st.cpu_ns / (double)rounds / 1000.0,
		       1e9 * (double)rounds / (double)st.cpu_ns,
		       (double)st.ipi_ns_total / (double)st.ipi_count,
		       (double)st.ipi_insns_total / (double)st.ipi_count);
	}

	printf("\nIPI ping-pong against the minimal Unicorn runner (baseline."
	       "c): 2 vCPUs,\n%" PRIu64 " round trips, %d interleaved rounds "
	       "of %d runs each, the best of %d; x2sim as `x2sim run` runs\n",
	       rounds, RUNS, RUNS, RUNS * RUNS);
	printf("%-24s %12s %14s %10s\n", "runner", "round trip us", "CPU ms",
	       "ratio");
	{
		struct x2s_guest_stats xs[2];
		struct bl_stats bs = { 0 };

		for (int run = 0; run < RUNS; run++) {
			for (int i = 0; i < 2; i++) {
				struct x2s_guest_stats st =
					best_run(pingpong, 2, i ? up->fn : NULL,
						 "rounds", rounds, false);

				if (!run || st.cpu_ns < xs[i].cpu_ns)
					xs[i] = st;
			}
			{
				struct bl_stats st =
					best_baseline(pingpong, 2, "rounds",
						      rounds, "pongs", rounds);

				if (!run || st.cpu_ns < bs.cpu_ns)
					bs = st;
			}
		}
		printf("%-24s %12.2f %14.1f %9.2fx\n",
		       "baseline (bare Unicorn)",
		       (double)bs.cpu_ns / (double)rounds / 1000.0,
		       bs.cpu_ns / 1e6, 1.0);
		for (int i = 0; i < 2; i++)
			printf("%-24s %12.2f %14.1f %9.2fx\n",
			       i ? "x2sim, upstream" : "x2sim, fastpath none",
			       (double)xs[i].cpu_ns / (double)rounds / 1000.0,
			       xs[i].cpu_ns / 1e6,
			       (double)xs[i].cpu_ns / (double)bs.cpu_ns);
		printf("%-24s %12s %14.0f KiB per vCPU (pingpong, 2 vCPUs)\n",
		       "baseline engine memory", "",
		       bs.engine_bytes_per_vcpu / 1024.0);
	}

	printf("\nengine memory (resident, added by the Unicorn engines)\n");
	printf("%-10s %-10s %16s\n", "guest", "vCPUs", "KiB per vCPU");
	{
		static const unsigned int vcpus[] = { 2, 16, 64 };

		for (unsigned int i = 0; i < 3; i++) {
			struct x2s_guest_stats st = best_run(
				broadcast, vcpus[i], NULL, NULL, 0, false);

			printf("%-10s %-10u %16.0f\n", "broadcast", vcpus[i],
			       st.engine_bytes_per_vcpu / 1024.0);
		}
	}
	printf("\ndifferential runs (run --diff): CPU time, plain run of the "
	       "same guest with the\nsame fastpath against the diff run (the "
	       "slow path, the fastpath, compared)\n");
	printf("%-24s %-10s %12s %12s %8s\n", "guest", "fastpath", "plain ms",
	       "diff ms", "ratio");
	for (int i = 0; i < 2; i++) {
		uint64_t plain, diff;

		diff_cost(i ? pingpong : loop, i ? 2 : 1, up->fn,
			  i ? "rounds" : "iterations", i ? rounds : iterations,
			  &plain, &diff);
		printf("%-24s %-10s %12.2f %12.2f %7.2fx\n",
		       i ? "pingpong" : "wrmsr_loop", "upstream", plain / 1e6,
		       diff / 1e6, (double)diff / (double)plain);
	}
	x2s_guest_image_free(loop);
	x2s_guest_image_free(pingpong);
	x2s_guest_image_free(broadcast);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--pingpong"))
		return argc == 4 ? pingpong_only(argv[2], argv[3]) :
				   pingpong_usage();
	return run_all(argc, argv);
}
