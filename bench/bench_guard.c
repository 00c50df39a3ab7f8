// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: what the write guard (src/verify/guard.c) costs on this
 * machine, the figures a choice between guarding memory and reading it
 * rests on (docs/verify.md, "The write guard"; docs/fuzzing.md).
 *
 *   arm+disarm  x2s_guard_arm() then x2s_guard_disarm() over N pages
 *               (an mprotect() each): what a guard lowered and raised
 *               again around a write costs
 *   caught      a write into the armed guard caught by
 *               x2s_guard_catch(): the fault, the handler, the jump
 *               back; the guard stays armed (a fuzz case given back)
 *   tripped     a write into the armed guard that trips it (the handler
 *               opens the memory and lets the write go on), then the
 *               arming again
 *   read        reading the N pages whole (x2s_mem_zero()), what the
 *               guard spares a check
 *
 * Usage: bench_guard [--iterations N]
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "verify/guard.h"
#include "verify/engine.h"

#define RUNS 3

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_guard: %s\n", what);
	exit(1);
}

static void arm(struct x2s_guard *g)
{
	if (!x2s_guard_arm(g, NULL, 0))
		fail("arming the guard failed");
}

enum what { ARM_DISARM, CAUGHT, TRIPPED, READ };

/* A write into the armed guard, caught: true when it was. */
static __attribute__((noinline)) bool write_caught(struct x2s_guard *g,
						   volatile char *p)
{
	static sigjmp_buf jump;

	if (sigsetjmp(jump, 0))
		return true;
	x2s_guard_catch(g, &jump);
	*p = 1;
	x2s_guard_catch(g, NULL);
	return false;
}

/* One timed run of iters operations; ns per operation. */
static double run(struct x2s_guard *g, char *mem, size_t len, enum what w,
		  long iters)
{
	unsigned long trips = g->trips;
	long caught = 0;
	volatile bool sink = false;
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		switch (w) {
		case ARM_DISARM:
			arm(g);
			x2s_guard_disarm(g);
			break;
		case CAUGHT:
			caught += write_caught(g, &mem[len / 2]);
			break;
		case TRIPPED:
			*(volatile char *)&mem[len / 2] = (char)i;
			arm(g);
			break;
		case READ:
			sink = sink ^ x2s_mem_zero(mem, len);
			break;
		}
	}
	x2s_guard_catch(g, NULL);
	if (w == CAUGHT && caught != iters)
		fail("a write into the armed guard was not caught");
	if (w == TRIPPED && g->trips - trips != (unsigned long)iters)
		fail("a write into the armed guard did not trip it");
	(void)sink;
	return (now_ns() - t0) / (double)iters;
}

static double best(struct x2s_guard *g, char *mem, size_t len, enum what w,
		   long iters)
{
	double b = 0;

	if (w == CAUGHT || w == TRIPPED)
		arm(g);
	else
		x2s_guard_disarm(g);
	/* One untimed warm-up run, then the best of RUNS. */
	for (int r = 0; r <= RUNS; r++) {
		double t = run(g, mem, len, w, iters);

		if (r && (r == 1 || t < b))
			b = t;
	}
	x2s_guard_disarm(g);
	return b;
}

int main(int argc, char **argv)
{
	static const unsigned int pages[] = { 1, 8, 64 };
	long page = sysconf(_SC_PAGESIZE), iters = 2000;

	if (argc == 3 && !strcmp(argv[1], "--iterations")) {
		char *end;

		iters = strtol(argv[2], &end, 0);
		if (*end || end == argv[2] || iters <= 0)
			fail("--iterations wants a count above 0");
	} else if (argc != 1) {
		fail("usage: bench_guard [--iterations N]");
	}
	if (!x2s_guard_available())
		fail("no write guard here (X2SIM_GUARD=0, or no handler)");
	printf("ns per operation, best of %d runs of %ld iterations\n", RUNS,
	       iters);
	printf("%8s %12s %12s %12s %12s\n", "pages", "arm+disarm", "caught",
	       "tripped", "read");
	for (unsigned int i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		size_t len = pages[i] * (size_t)page;
		char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct x2s_guard g;
		double t[4];

		if (mem == MAP_FAILED)
			fail("mmap failed");
		memset(mem, 0, len);
		x2s_guard_init(&g, mem, len);
		for (int w = ARM_DISARM; w <= READ; w++)
			t[w] = best(&g, mem, len, (enum what)w,
				    w == READ ? iters * 100 : iters);
		printf("%8u %12.0f %12.0f %12.0f %12.1f\n", pages[i], t[0],
		       t[1], t[2], t[3]);
		munmap(mem, len);
	}
	return 0;
}
