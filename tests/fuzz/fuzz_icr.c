// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_icr: one WRMSR exit per input, for raw speed.  Input: 8 bytes of
 * EDX:EAX (the ICR, little endian), 4 bytes of ECX XOR 0x830 (so zeros
 * mean the x2APIC ICR), 1 byte selecting the named configuration (modulo
 * their number) and, from the next byte, the sending vCPU (modulo its
 * vCPU count).  Missing bytes are zeros.  The case runs with the
 * upstream and the v6.12 fastpath against the slow path; any
 * verdict but "declined" or "equal" is a crash, shown with
 * x2s_verify_case()'s diff.
 *
 * One engine per named configuration serves every input, back at its
 * start state after each, with a guarded VM per sender (the sweep's write
 * guard): a case whose look-alike last declined clean is tried there
 * first, and a clean decline is proven by the guard; anything else runs
 * on the engine with the whole state compared.  X2SIM_FUZZ_CHECK=1 (the
 * replay tests) proves that per input: every case goes to the guarded VM
 * first, a new engine for the configuration, without a guard, must hold
 * the same state as the reused one and its settled guarded VMs before
 * and after the case, and give the same verdicts, which must also be
 * x2s_verify_case()'s; and the replay must have taken both ways.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath/fastpath.h"
#include "verify/fuzz_support.h"
#include "verify/verify.h"

#include "fuzz.h"

#define FUZZ_ICR_MAX_CONFIGS 64

static struct x2s_fuzz_engine *engines[FUZZ_ICR_MAX_CONFIGS];
static unsigned int nr_configs;
static const struct x2s_fastpath *fns[2];
static const char *const fn_names[2] = { "upstream", "v6.12" };
static bool self_check;

/* Every configuration's cases, by the way they were judged. */
static struct x2s_fuzz_stats sum_stats(void)
{
	struct x2s_fuzz_stats sum = { 0 };

	for (unsigned int i = 0; i < nr_configs; i++) {
		const struct x2s_fuzz_stats *st =
			x2s_fuzz_engine_stats(engines[i]);

		sum.guarded += st->guarded;
		sum.full += st->full;
		sum.given_back += st->given_back;
	}
	fprintf(stderr,
		"fuzz_icr: %lu cases proven guarded, %lu the full way (%lu tried guarded first)\n",
		sum.guarded, sum.full, sum.given_back);
	return sum;
}

/* X2SIM_FUZZ_STATS: how the cases were judged, at exit. */
static void print_stats(void)
{
	sum_stats();
}

/*
 * X2SIM_FUZZ_CHECK: the replay must have proven declines on the guarded
 * VMs and run cases the full way, or it proved nothing about the one.
 */
static void check_both_ways(void)
{
	struct x2s_fuzz_stats sum = sum_stats();

	if (!sum.full ||
	    (x2s_fuzz_engine_guarded_vm(engines[0], 0) && !sum.guarded)) {
		fprintf(stderr, "fuzz_icr: one way was never taken\n");
		abort();
	}
}

static void fuzz_icr_init(void)
{
	const char *chk = getenv("X2SIM_FUZZ_CHECK");

	self_check = chk && *chk && *chk != '0';
	nr_configs = x2s_named_config_count();
	if (nr_configs > FUZZ_ICR_MAX_CONFIGS)
		nr_configs = FUZZ_ICR_MAX_CONFIGS;
	for (unsigned int i = 0; i < nr_configs; i++) {
		engines[i] = x2s_fuzz_engine_new(x2s_named_config(i), 2);
		if (!engines[i]) {
			fprintf(stderr, "fuzz_icr: configuration %u failed\n",
				i);
			abort();
		}
		/* Without a guard (X2SIM_GUARD=0) every case runs in full. */
		if (x2s_fuzz_engine_guard(engines[i], x2s_named_config(i)) ==
		    -ENOMEM)
			abort();
		/*
		 * The self-check holds every case's guarded verdict to a new
		 * engine's, not only those the steering would send there.
		 */
		x2s_fuzz_engine_always_try(engines[i], self_check);
	}
	if (self_check)
		atexit(check_both_ways);
	else if (getenv("X2SIM_FUZZ_STATS"))
		atexit(print_stats);
	for (unsigned int k = 0; k < 2; k++)
		fns[k] = x2s_fastpath_find(fn_names[k])->fn;
}

static void report(unsigned int cfg, unsigned int sender, uint32_t ecx,
		   uint64_t data, unsigned int k, enum x2s_verdict fast)
{
	struct x2s_case c;
	struct x2s_case_result res;

	memset(&c, 0, sizeof(c));
	c.config = *x2s_named_config(cfg);
	c.sender = sender;
	c.ecx = ecx;
	c.data = data;
	snprintf(c.fastpath, sizeof(c.fastpath), "%s", fn_names[k]);
	fprintf(stderr,
		"fuzz_icr: %s on %s, sender %u, WRMSR(%#x) = %#llx: %s\n",
		fn_names[k], c.config.name, sender, ecx,
		(unsigned long long)data, x2s_verdict_name(fast));
	if (!x2s_verify_case(&c, fns[k], X2S_CONTRACT_NONE, &res, NULL, NULL,
			     stderr)) {
		fprintf(stderr, "x2s_verify_case: %s%s%s\n",
			x2s_verdict_name(res.verdict),
			res.warn[0] ? ", WARN " : "", res.warn);
		if (res.verdict != fast)
			fprintf(stderr,
				"fuzz_icr: the fuzz engine and x2s_verify_case disagree\n");
	}
	abort();
}

/* vm holds what fresh's does (every vCPU's state). */
static void check_vm(struct x2s_vm *vm, struct x2s_fuzz_engine *fresh,
		     unsigned int nr, const char *when, const char *which)
{
	struct x2s_vcpu_state *a = calloc(nr, sizeof(*a));
	struct x2s_vcpu_state *b = calloc(nr, sizeof(*b));

	if (!a || !b)
		abort();
	x2s_vm_save(vm, a);
	x2s_vm_save(x2s_fuzz_engine_vm(fresh), b);
	if (memcmp(a, b, sizeof(*a) * nr)) {
		fprintf(stderr,
			"fuzz_icr: %s the case, the reused %s differs from a new one\n",
			when, which);
		x2s_state_diff(b, a, nr, stderr);
		abort();
	}
	free(a);
	free(b);
}

/*
 * Both reused VMs hold what fresh's does: the engine's, and the guarded
 * one once settled (which must find every byte it does not load anyway
 * as its start state had it: the guard let nothing else be written).
 */
static void check_same_vm(struct x2s_fuzz_engine *reused,
			  struct x2s_fuzz_engine *fresh, unsigned int nr,
			  const char *when)
{
	check_vm(x2s_fuzz_engine_vm(reused), fresh, nr, when, "engine");
	if (!x2s_fuzz_engine_settle(reused)) {
		fprintf(stderr,
			"fuzz_icr: %s the case, a guarded VM moved where no clean decline writes\n",
			when);
		abort();
	}
	for (unsigned int s = 0; x2s_fuzz_engine_guarded_vm(reused, s); s++)
		check_vm(x2s_fuzz_engine_guarded_vm(reused, s), fresh, nr, when,
			 "guarded VM");
}

/*
 * X2SIM_FUZZ_CHECK: the case on a new engine too; the reused one must
 * start where the new one does, give the verdicts it gives, and be back
 * there afterwards.
 */
static void check_fresh(unsigned int cfg, unsigned int sender, uint32_t ecx,
			uint64_t icr, const enum x2s_verdict *v)
{
	const struct x2s_vm_desc *d = x2s_named_config(cfg);
	struct x2s_fuzz_engine *fresh = x2s_fuzz_engine_new(d, 2);
	enum x2s_verdict fv[2];

	if (!fresh) {
		fprintf(stderr, "fuzz_icr: configuration %u failed\n", cfg);
		abort();
	}
	x2s_fuzz_engine_cases(fresh, sender, ecx, icr, fns, 2, fv);
	for (unsigned int k = 0; k < 2; k++) {
		struct x2s_case_result res;
		struct x2s_case c;

		if (fv[k] != v[k]) {
			fprintf(stderr,
				"fuzz_icr: %s on %s: %s on the reused engine, %s on a new one\n",
				fn_names[k], d->name, x2s_verdict_name(v[k]),
				x2s_verdict_name(fv[k]));
			abort();
		}
		/*
		 * And x2s_verify_case()'s, one case on its own VM without the
		 * shared slow path of x2s_fuzz_engine_cases().
		 */
		memset(&c, 0, sizeof(c));
		c.config = *d;
		c.sender = sender;
		c.ecx = ecx;
		c.data = icr;
		if (x2s_verify_case(&c, fns[k], X2S_CONTRACT_NONE, &res, NULL,
				    NULL, NULL) ||
		    res.verdict != v[k]) {
			fprintf(stderr,
				"fuzz_icr: %s on %s: %s on the reused engine, %s by x2s_verify_case\n",
				fn_names[k], d->name, x2s_verdict_name(v[k]),
				x2s_verdict_name(res.verdict));
			abort();
		}
	}
	check_same_vm(engines[cfg], fresh, d->nr_vcpus, "after");
	x2s_fuzz_engine_free(fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[14] = { 0 };
	enum x2s_verdict v[2];
	unsigned int cfg, sender;
	uint64_t icr = 0;
	uint32_t ecx = 0;

	if (!nr_configs)
		fuzz_icr_init();
	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	for (int i = 7; i >= 0; i--)
		icr = icr << 8 | in[i];
	for (int i = 11; i >= 8; i--)
		ecx = ecx << 8 | in[i];
	ecx ^= 0x830;
	cfg = in[12] % nr_configs;
	sender = in[13] % x2s_named_config(cfg)->nr_vcpus;

	if (self_check) {
		struct x2s_fuzz_engine *fresh =
			x2s_fuzz_engine_new(x2s_named_config(cfg), 2);

		if (!fresh)
			abort();
		check_same_vm(engines[cfg], fresh,
			      x2s_named_config(cfg)->nr_vcpus, "before");
		x2s_fuzz_engine_free(fresh);
	}
	x2s_fuzz_engine_cases(engines[cfg], sender, ecx, icr, fns, 2, v);
	if (self_check)
		check_fresh(cfg, sender, ecx, icr, v);
	for (unsigned int k = 0; k < 2; k++)
		if (v[k] != X2S_VERDICT_DECLINED && v[k] != X2S_VERDICT_EQUAL)
			report(cfg, sender, ecx, icr, k, v[k]);
	return 0;
}
