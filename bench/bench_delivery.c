// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: host nanoseconds per IPI delivery through KVM's slow path
 * for 2, 64 and 4096 vCPUs.
 *
 *   physical  kvm_x2apic_icr_write() of a fixed IPI to the last vCPU
 *             (optimized map: must not grow with the vCPU count)
 *   wrmsr     the same IPI as a whole WRMSR VM exit (x2s_vcpu_exit: exit
 *             dispatch, MSR emulation, skip, pre-entry injection check)
 *   broadcast kvm_x2apic_icr_write() to 0xffffffff (grows with vCPUs)
 *
 * Usage: bench_delivery [--iterations N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>
#include "core/core.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Each figure is the best of three timed runs after one untimed warm-up
 * run, so that page faults and frequency ramp-up stay out of it.
 */
#define RUNS 3

static double bench_icr(struct x2s_vm *vm, u64 icr, long iters)
{
	struct kvm_lapic *apic = x2s_vm_vcpu(vm, 0)->arch.apic;
	double best = 0;

	for (int run = 0; run <= RUNS; run++) {
		double t0 = now_ns(), ns;

		for (long i = 0; i < iters; i++)
			kvm_x2apic_icr_write(apic, icr);
		ns = (now_ns() - t0) / iters;
		if (run == 1 || (run > 1 && ns < best))
			best = ns;
	}
	return best;
}

static double bench_exit(struct x2s_vm *vm, u64 icr, long iters)
{
	struct x2s_exit_result res;
	double best = 0;

	for (int run = 0; run <= RUNS; run++) {
		double t0 = now_ns(), ns;

		for (long i = 0; i < iters; i++)
			x2s_vcpu_wrmsr_exit(vm, 0, 0x830, icr, &res);
		ns = (now_ns() - t0) / iters;
		if (run == 1 || (run > 1 && ns < best))
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 2, 64, 4096 };
	long iters = 1000000;

	if (argc == 3 && !strcmp(argv[1], "--iterations")) {
		char *end;

		iters = strtol(argv[2], &end, 0);
		if (*end || iters <= 0) {
			fprintf(stderr,
				"bench_delivery: bad iteration count\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench_delivery [--iterations N]\n");
		return 2;
	}

	printf("ns per delivery, best of %d runs of %ld iterations "
	       "(broadcast: %ld)\n",
	       RUNS, iters, iters / 64);
	printf("%8s %12s %12s %12s\n", "vCPUs", "physical", "wrmsr-exit",
	       "broadcast");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct x2s_vm_config cfg;
		struct x2s_vm *vm;
		u64 last = sizes[s] - 1;
		double phys, exit, bcast;

		x2s_vm_config_init(&cfg, sizes[s]);
		if (x2s_vm_create(&cfg, &vm)) {
			fprintf(stderr, "bench_delivery: cannot create VM\n");
			return 1;
		}
		phys = bench_icr(vm, (last << 32) | 0x31, iters);
		exit = bench_exit(vm, (last << 32) | 0x32, iters);
		bcast = bench_icr(vm, (X2APIC_BROADCAST << 32) | 0x33,
				  iters / 64 ? iters / 64 : 1);
		printf("%8u %12.1f %12.1f %12.1f\n", sizes[s], phys, exit,
		       bcast);
		x2s_vm_destroy(vm);
	}
	return 0;
}
