// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_fuzz_icr: fuzz_icr's own cost per input, without libFuzzer.  The
 * target (tests/fuzz/fuzz_icr.c, linked in) gets a fixed stream of inputs
 * made the way a mutating fuzzer makes them: a seed of its corpus, with
 * zero to three of its bytes flipped in one bit or replaced, from a fixed
 * pseudo-random sequence.  The same build gives the same stream, so two
 * builds of the library compare on equal work (and under callgrind, on
 * instruction counts the machine's load does not move).
 *
 *   bench_fuzz_icr [INPUTS [CORPUS_DIR]]
 *
 * Prints the inputs, the CPU time of the loop (the first input, which
 * builds the engines, is not timed), ns per input and inputs per CPU
 * second, then (X2SIM_FUZZ_STATS) how the cases were judged.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

#define INPUT_LEN 14 /* fuzz_icr's whole input (fuzz_icr.options) */
#define MAX_SEEDS 4096

static uint8_t seeds[MAX_SEEDS][INPUT_LEN];
static unsigned int nr_seeds;

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int seed_cmp(const void *a, const void *b)
{
	return memcmp(a, b, INPUT_LEN);
}

/*
 * Every regular file's first bytes, sorted: the order readdir() gives
 * does not change the stream.
 */
static int load_seeds(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		fprintf(stderr, "bench_fuzz_icr: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && nr_seeds < MAX_SEEDS) {
		char path[4096];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		memset(seeds[nr_seeds], 0, INPUT_LEN);
		if (fread(seeds[nr_seeds], 1, INPUT_LEN, f) > 0)
			nr_seeds++;
		fclose(f);
	}
	closedir(d);
	if (!nr_seeds) {
		fprintf(stderr, "bench_fuzz_icr: no inputs in %s\n", dir);
		return -1;
	}
	qsort(seeds, nr_seeds, INPUT_LEN, seed_cmp);
	return 0;
}

static void next_input(uint8_t *in)
{
	unsigned int changes = rnd() % 4;

	memcpy(in, seeds[rnd() % nr_seeds], INPUT_LEN);
	for (unsigned int i = 0; i < changes; i++) {
		uint64_t r = rnd();
		unsigned int at = (unsigned int)(r >> 8) % INPUT_LEN;

		if (r & 1)
			in[at] ^= (uint8_t)(1u << ((r >> 16) % 8));
		else
			in[at] = (uint8_t)(r >> 24);
	}
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : X2S_FUZZ_ICR_CORPUS;
	unsigned long long n = 3000000;
	uint8_t in[INPUT_LEN];
	double t0, t;
	char *end;

	if (argc > 3 || (argc > 1 && (n = strtoull(argv[1], &end, 10),
				      *end || !n || argv[1][0] == '-'))) {
		fprintf(stderr,
			"usage: bench_fuzz_icr [INPUTS [CORPUS_DIR]]\n");
		return 2;
	}
	if (load_seeds(dir))
		return 2;
	setenv("X2SIM_FUZZ_STATS", "1", 0);
	next_input(in);
	LLVMFuzzerTestOneInput(in, INPUT_LEN);
	t0 = cpu_seconds();
	for (unsigned long long i = 1; i < n; i++) {
		next_input(in);
		LLVMFuzzerTestOneInput(in, INPUT_LEN);
	}
	t = cpu_seconds() - t0;
	printf("fuzz_icr without libFuzzer: %llu inputs (%u seeds), %.3f CPU s, "
	       "%.0f ns per input, %.0f inputs per CPU second\n",
	       n, nr_seeds, t, n > 1 ? t * 1e9 / (double)(n - 1) : 0.0,
	       t > 0 ? (double)(n - 1) / t : 0.0);
	fflush(stdout);
	return 0;
}
