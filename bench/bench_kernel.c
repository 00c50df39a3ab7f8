// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: verify --kernel.
 *
 * For each tree: the time to read and extract the fastpath functions and
 * the time to compile and load them (best of 5); then the sweep speed of
 * the code built from the tree next to the shipped variant of the same
 * version, on bench_verify's sample (shard 1 of 16 of the default ICR
 * sweep), one thread and two.
 *
 * Usage: bench_kernel [TREE...]   (default: the 6.12-shaped test tree,
 * and Debian's trees under build/kernel-src/ if make check-kernel has
 * unpacked them)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/kbuild.h"
#include "verify/verify.h"

static double sweep_speed(const struct x2s_vm_desc *cfgs, unsigned int n,
			  const struct x2s_fastpath *fp, unsigned int threads)
{
	struct x2s_sweep_opts o = {
		.configs = cfgs,
		.nr_configs = n,
		.sweep = X2S_SWEEP_ICR,
		.fn = fp,
		.threads = threads,
		.shard = 1,
		.nr_shards = 16,
	};
	struct x2s_sweep_report r;
	double speed;

	if (x2s_sweep_run(&o, &r))
		return 0;
	speed = r.cases / r.seconds;
	x2s_sweep_report_free(&r);
	return speed;
}

static int bench_tree(const char *tree, const struct x2s_vm_desc *cfgs,
		      unsigned int n)
{
	struct x2s_kernel_opts o = { .tree = tree };
	double ex = 1e9, bu = 1e9;
	const struct x2s_fastpath_variant *same;
	const struct x2s_fastpath *fp = NULL;
	char err[1024], name[32];
	unsigned int face = 0;

	for (int i = 0; i < 5; i++) {
		struct x2s_kernel_fastpath k;

		if (x2s_kernel_build(&o, &k, err, sizeof(err))) {
			fprintf(stderr, "bench_kernel: %s\n", err);
			x2s_kernel_fastpath_release(&k);
			return 1;
		}
		if (k.extract_seconds < ex)
			ex = k.extract_seconds;
		if (k.build_seconds < bu)
			bu = k.build_seconds;
		fp = k.fp;
		face = k.face;
		x2s_kernel_fastpath_release(&k);
	}
	snprintf(name, sizeof(name), "v%u.%u", face >> 16, (face >> 8) & 0xff);
	same = x2s_fastpath_find(name);
	printf("%s\n  extract %.3f s, compile and load %.3f s (best of 5)\n",
	       tree, ex, bu);
	printf("  sweep sample, cases/s:  %-12s 1 thread %12.0f  2 threads %12.0f\n",
	       "tree", sweep_speed(cfgs, n, fp, 1),
	       sweep_speed(cfgs, n, fp, 2));
	if (same)
		printf("  sweep sample, cases/s:  %-12s 1 thread %12.0f  2 threads %12.0f\n",
		       same->name, sweep_speed(cfgs, n, same->fn, 1),
		       sweep_speed(cfgs, n, same->fn, 2));
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const debian[] = {
		"build/kernel-src/linux-source-6.1",
		"build/kernel-src/linux-source-6.12",
	};
	static struct x2s_vm_desc cfgs[64];
	unsigned int n = x2s_named_config_count();
	int failed = 0;

	for (unsigned int i = 0; i < n; i++)
		cfgs[i] = *x2s_named_config(i);
	printf("verify --kernel: extraction, build and sweep speed\n");
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			failed |= bench_tree(argv[i], cfgs, n);
		return failed;
	}
	failed |= bench_tree(X2S_BENCH_TEST_TREE, cfgs, n);
	for (unsigned int i = 0; i < 2; i++) {
		struct stat st;

		if (!stat(debian[i], &st))
			failed |= bench_tree(debian[i], cfgs, n);
		else
			printf("%s: not unpacked (make check-kernel)\n",
			       debian[i]);
	}
	return failed;
}
