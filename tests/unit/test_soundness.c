// SPDX-License-Identifier: GPL-2.0-only
/*
 * The adversarial soundness suite (docs/verify.md, "Soundness"): the
 * plugins of tests/plugins/sound_*.c each write model state by one means C
 * allows, past the setters or somewhere no outcome field names, and then
 * decline or handle.  Each is loaded as a user's plugin is and must be
 * caught by the reduced sweep and by the single case of `x2sim case`; the
 * honest one, which puts back what it wrote, must not be.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fastpath/plugin.h"
#include "verify/verify.h"

enum expect {
	CAUGHT, /* sweep: mismatches; case: neither DECLINED nor EQUAL */
	CLEAN,	/* sweep: no mismatch; case: DECLINED */
	NA,	/* case: its vector (0xfd) is not one the attack fires on */
};

/*
 * One attack: the configuration it needs (the sweep's and the case's), what
 * the reduced ICR sweep and the single case must find, and the case's
 * sender.  The case is `x2sim case --config CONFIG --sender SENDER --wrmsr
 * 0x830=0x1000000fd`.
 */
struct attack {
	const char *name;
	const char *config;
	enum expect sweep, kase;
	unsigned int sender;
};

#define X2 "x2apic-2"

static const struct attack attacks[] = {
	/* The register page of the sender, by every means. */
	{ "sound_set_reg", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_raw_set_reg", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_set_reg64", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_memset_tpr", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_memcpy_irr", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_past_regs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_last_byte", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_link", X2, CAUGHT, CAUGHT, 0 },
	/* Another vCPU's page. */
	{ "sound_other_irr", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_other_past_regs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_flip_tail", X2, CAUGHT, CAUGHT, 0 },
	/* The vCPUs' structures. */
	{ "sound_requests", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_gpr", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_rflags", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_mp_state", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_nmi_pending", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_apic_base", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_vmx_field", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_pi_desc", "apicv", CAUGHT, CAUGHT, 0 },
	{ "sound_vmcs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_other_vmcs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_loaded_vmcs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_kvm_run", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_sender_run", X2, CAUGHT, CAUGHT, 0 },
	/* The VM's. */
	{ "sound_apic_map", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_kvm_arch", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_vcpus_array", X2, CAUGHT, CAUGHT, 0 },
	/* vCPU 0 runs L2 and has L1's bitmap; vCPU 1 writes it. */
	{ "sound_bitmap", "l2-intercept", CAUGHT, CAUGHT, 1 },
	/* Handled correctly, with a write on the side. */
	{ "sound_handled_side", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_past_regs", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_vmx_field", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_memset", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_map", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_flip_tail", X2, CAUGHT, CAUGHT, 0 },
	{ "sound_handled_bitmap", "l2-intercept", CAUGHT, CAUGHT, 1 },
	/* A write one case, which later cases could hide. */
	{ "sound_leak_then_erase", X2, CAUGHT, NA, 0 },
	{ "sound_deferred_then_dirty", X2, CAUGHT, NA, 0 },
	{ "sound_map_then_handled", X2, CAUGHT, NA, 0 },
	/* Writes and puts back. */
	{ "sound_honest", X2, CLEAN, CLEAN, 0 },
};

#define NR_ATTACKS (sizeof(attacks) / sizeof(attacks[0]))

/*
 * X2S_SOUND_PART=K/N: this run holds attacks K-1, K-1+N, ... to their
 * rows (ctest runs the parts side by side; together they are the table).
 */
static bool in_part(unsigned int i)
{
	const char *env = getenv("X2S_SOUND_PART");
	unsigned int k, n;

	if (!env)
		return true;
	if (sscanf(env, "%u/%u", &k, &n) != 2 || !k || k > n)
		fail_msg("X2S_SOUND_PART=%s: want K/N, 1 <= K <= N", env);
	return i % n == k - 1;
}

static const struct x2s_fastpath *load(const char *name)
{
	struct x2s_plugin p;
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/%s.so", X2S_TEST_PLUGIN_DIR, name);
	if (x2s_plugin_open(path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(p.symbol, X2S_PLUGIN_SYM_EXIT_HANDLERS);
	return p.fn;
}

static const struct x2s_vm_desc *named(const char *name)
{
	const struct x2s_vm_desc *d = x2s_named_config_find(name);

	if (!d)
		fail_msg("no configuration %s", name);
	return d;
}

/* Is name one of the space-separated words of list? */
static bool listed(const char *list, const char *name, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");

		if (n == len && !strncmp(p, name, len))
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

/* Every plugin CMake builds has its row, and every row its plugin. */
static void test_table_is_the_suite(void **state)
{
	const char *built = X2S_SOUND_PLUGINS;

	for (unsigned int i = 0; i < NR_ATTACKS; i++) {
		const char *name = attacks[i].name;

		if (!listed(built, name, strlen(name)))
			fail_msg("%s has a row but is not built", name);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(attacks[j].name, name);
	}
	for (const char *p = built; *p;) {
		size_t n = strcspn(p, " ");
		bool found = false;

		for (unsigned int i = 0; i < NR_ATTACKS && !found; i++)
			found = strlen(attacks[i].name) == n &&
				!strncmp(attacks[i].name, p, n);
		if (!found)
			fail_msg("%.*s is built but has no row", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
}

/* The reduced ICR sweep of the attack's configuration. */
static void test_sweep(void **state)
{
	unsigned int failed = 0;

	for (unsigned int i = 0; i < NR_ATTACKS; i++) {
		const struct attack *a = &attacks[i];

		if (!in_part(i))
			continue;
		struct x2s_vm_desc cfg = *named(a->config);
		struct x2s_sweep_opts o = {
			.configs = &cfg,
			.nr_configs = 1,
			.sweep = X2S_SWEEP_ICR,
			.reduced = true,
			.fn = load(a->name),
			.threads = 1,
			.shard = 1,
			.nr_shards = 1,
		};
		struct x2s_sweep_report r;
		bool ok;

		assert_int_equal(x2s_sweep_run(&o, &r), 0);
		print_message("%-26s %-13s sweep: %llu cases, %llu mismatches, "
			      "%u classes\n",
			      a->name, a->config, (unsigned long long)r.cases,
			      (unsigned long long)r.mismatches, r.nr_findings);
		if (a->sweep == CLEAN)
			ok = !r.mismatches && !r.nr_findings;
		else
			ok = r.mismatches > 0 && r.nr_findings > 0 &&
			     r.findings[0].example.ecx == 0x830;
		if (!ok) {
			print_error("%s: expected %s\n", a->name,
				    a->sweep == CLEAN ? "no finding" :
							"a finding");
			failed++;
		}
		x2s_sweep_report_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* x2sim case --config CONFIG --sender S --wrmsr 0x830=0x1000000fd */
static void test_case(void **state)
{
	unsigned int failed = 0;

	for (unsigned int i = 0; i < NR_ATTACKS; i++) {
		const struct attack *a = &attacks[i];

		if (!in_part(i))
			continue;
		struct x2s_case_result res;
		struct x2s_case c;
		char sig[256];
		bool ok;

		memset(&c, 0, sizeof(c));
		c.config = *named(a->config);
		c.sender = a->sender;
		c.ecx = 0x830;
		c.data = 0x1000000fdULL;
		c.exit = X2S_CASE_WRMSR;
		assert_int_equal(x2s_verify_case(&c, load(a->name),
						 X2S_CONTRACT_NONE, &res, NULL,
						 NULL, NULL),
				 0);
		x2s_signature_format(res.signature, sig, sizeof(sig));
		print_message("%-26s %-13s case: %s%s%s%s\n", a->name,
			      a->config, x2s_verdict_name(res.verdict),
			      res.signature ? ": " : "",
			      res.signature ? sig : "",
			      a->kase == NA ? " (not applicable)" : "");
		switch (a->kase) {
		case CAUGHT:
			ok = res.verdict != X2S_VERDICT_DECLINED &&
			     res.verdict != X2S_VERDICT_EQUAL;
			break;
		case CLEAN:
			ok = res.verdict == X2S_VERDICT_DECLINED;
			break;
		default:
			/* Vector 0xfd: declined untouched, or handled right. */
			ok = res.verdict == X2S_VERDICT_DECLINED ||
			     res.verdict == X2S_VERDICT_EQUAL;
			break;
		}
		if (!ok) {
			print_error("%s: verdict %s not expected\n", a->name,
				    x2s_verdict_name(res.verdict));
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_suite),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
