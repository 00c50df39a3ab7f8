// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: verification throughput.
 *
 * For each shipped variant, cases per second of the ICR sweep over the
 * named configurations, on one thread and on two; measured on a fixed
 * sample of the full sweep (shard 1 of 16: every 16th unit of work, so
 * every configuration, sender and destination class is represented).
 * Then upstream's one-thread rate without the write guards (every case
 * compared the full way), for what the guards save.
 * Then the wall time of the whole default sweep (ICR and exits) for
 * `upstream` on two threads, i.e.
 * `x2sim verify --fastpath upstream --threads 2`, and of the whole MSR
 * sweep (every ECX), `x2sim verify --fastpath upstream --sweep msr
 * --threads 2`.
 *
 * Usage: bench_verify [--sample-only]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

static int run(const struct x2s_vm_desc *cfgs, unsigned int n,
	       const struct x2s_fastpath *fn, unsigned int sweep,
	       unsigned int threads, unsigned int nshards,
	       struct x2s_sweep_report *r)
{
	struct x2s_sweep_opts o = {
		.configs = cfgs,
		.nr_configs = n,
		.sweep = sweep,
		.fn = fn,
		.threads = threads,
		.shard = 1,
		.nr_shards = nshards,
	};

	return x2s_sweep_run(&o, r);
}

/* A whole sweep of upstream on two threads, its wall time printed. */
static int whole(const struct x2s_vm_desc *cfgs, unsigned int n,
		 unsigned int sweep, const char *name)
{
	struct x2s_sweep_report r;

	if (run(cfgs, n, x2s_fastpath_find("upstream")->fn, sweep, 2, 1, &r))
		return 1;
	printf("whole %s sweep, upstream, 2 threads: %llu cases in %.1f s "
	       "(%.0f cases/s), %llu mismatches\n",
	       name, (unsigned long long)r.cases, r.seconds,
	       r.cases / r.seconds, (unsigned long long)r.mismatches);
	x2s_sweep_report_free(&r);
	return 0;
}

int main(int argc, char **argv)
{
	static struct x2s_vm_desc cfgs[64];
	unsigned int n = x2s_named_config_count();
	bool sample_only = argc == 2 && !strcmp(argv[1], "--sample-only");
	struct x2s_sweep_report r;

	if (argc > 2 || (argc == 2 && !sample_only)) {
		fprintf(stderr, "usage: bench_verify [--sample-only]\n");
		return 2;
	}
	for (unsigned int i = 0; i < n; i++)
		cfgs[i] = *x2s_named_config(i);

	printf("verification throughput, ICR sweep sample (shard 1/16 of the "
	       "default sweep)\n");
	printf("%-16s %12s %14s %14s %10s\n", "fastpath", "cases",
	       "1 thread c/s", "2 threads c/s", "speedup");
	for (unsigned int v = 0; v < x2s_fastpath_nr_variants; v++) {
		const struct x2s_fastpath_variant *fv =
			&x2s_fastpath_variants[v];
		double one, two;
		u64 cases;

		if (run(cfgs, n, fv->fn, X2S_SWEEP_ICR, 1, 16, &r))
			return 1;
		one = r.cases / r.seconds;
		cases = r.cases;
		x2s_sweep_report_free(&r);
		if (run(cfgs, n, fv->fn, X2S_SWEEP_ICR, 2, 16, &r))
			return 1;
		two = r.cases / r.seconds;
		x2s_sweep_report_free(&r);
		printf("%-16s %12llu %14.0f %14.0f %9.2fx\n", fv->name,
		       (unsigned long long)cases, one, two, two / one);
	}
	/*
	 * The price of soundness without the guards: every case checked the
	 * full way after its fastpath (what X2SIM_GUARD=0 selects).
	 */
	setenv("X2SIM_GUARD", "0", 1);
	if (run(cfgs, n, x2s_fastpath_find("upstream")->fn, X2S_SWEEP_ICR, 1,
		16, &r))
		return 1;
	unsetenv("X2SIM_GUARD");
	printf("%-16s %12llu %14.0f %14s  (X2SIM_GUARD=0: no write guards, "
	       "every case compared the full way)\n",
	       "upstream", (unsigned long long)r.cases, r.cases / r.seconds,
	       "-");
	x2s_sweep_report_free(&r);
	if (sample_only)
		return 0;

	printf("\n");
	if (whole(cfgs, n, X2S_SWEEP_DEFAULT, "default") ||
	    whole(cfgs, n, X2S_SWEEP_MSR, "MSR"))
		return 1;
	return 0;
}
