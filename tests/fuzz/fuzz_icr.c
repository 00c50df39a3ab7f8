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
 */
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

static void fuzz_icr_init(void)
{
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
	}
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

	x2s_fuzz_engine_cases(engines[cfg], sender, ecx, icr, fns, 2, v);
	for (unsigned int k = 0; k < 2; k++)
		if (v[k] != X2S_VERDICT_DECLINED && v[k] != X2S_VERDICT_EQUAL)
			report(cfg, sender, ecx, icr, k, v[k]);
	return 0;
}
