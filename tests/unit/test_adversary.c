// SPDX-License-Identifier: GPL-2.0-only
/*
 * Plugins that try to fool the verifier (tests/plugins/adversary.c): each
 * writes model state past the setters, or somewhere no outcome field
 * names, and then declines or handles.  Every one must be caught by the
 * sweep and by the single case of `x2sim case`; the one that puts the byte
 * back before it returns must not be.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fastpath/plugin.h"
#include "verify/verify.h"

#define NR_ADVERSARIES 13
#define HONEST 13

static const struct x2s_fastpath *load(unsigned int n)
{
	struct x2s_plugin p;
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/adversary_%u.so", X2S_TEST_PLUGIN_DIR,
		 n);
	if (x2s_plugin_open(path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	return p.fn;
}

static const struct x2s_vm_desc *named(const char *name)
{
	const struct x2s_vm_desc *d = x2s_named_config_find(name);

	assert_non_null(d);
	return d;
}

/* The sweep over x2apic-2 (reduced): a finding, or none for the honest. */
static void test_sweep_catches_every_adversary(void **state)
{
	struct x2s_vm_desc cfg = *named("x2apic-2");

	for (unsigned int n = 1; n <= NR_ADVERSARIES; n++) {
		struct x2s_sweep_opts o = {
			.configs = &cfg,
			.nr_configs = 1,
			.sweep = X2S_SWEEP_ICR,
			.reduced = true,
			.fn = load(n),
			.threads = 1,
			.shard = 1,
			.nr_shards = 1,
		};
		struct x2s_sweep_report r;

		assert_int_equal(x2s_sweep_run(&o, &r), 0);
		print_message("adversary %u: %llu mismatches, %u classes\n", n,
			      (unsigned long long)r.mismatches, r.nr_findings);
		if (n == HONEST) {
			assert_int_equal(r.mismatches, 0);
		} else {
			assert_true(r.mismatches > 0);
			assert_true(r.nr_findings > 0);
			assert_int_equal(r.findings[0].example.ecx, 0x830);
		}
		x2s_sweep_report_free(&r);
	}
}

/* x2sim case --config x2apic-2 --sender 0 --wrmsr 0x830=0x1000000fd */
static void test_case_catches_every_adversary(void **state)
{
	struct x2s_case c;

	memset(&c, 0, sizeof(c));
	c.config = *named("x2apic-2");
	c.sender = 0;
	c.ecx = 0x830;
	c.data = 0x1000000fdULL;
	for (unsigned int n = 1; n <= NR_ADVERSARIES; n++) {
		struct x2s_case_result res;

		assert_int_equal(x2s_verify_case(&c, load(n), X2S_CONTRACT_NONE,
						 &res, NULL, NULL, NULL),
				 0);
		print_message("adversary %u: %s\n", n,
			      x2s_verdict_name(res.verdict));
		if (n == HONEST)
			assert_int_equal(res.verdict, X2S_VERDICT_DECLINED);
		else
			assert_true(res.verdict != X2S_VERDICT_DECLINED &&
				    res.verdict != X2S_VERDICT_EQUAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_catches_every_adversary),
		cmocka_unit_test(test_case_catches_every_adversary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
