// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attack suite (tests/plugins/sound_*.c, docs/verify.md "Soundness")
 * through the fuzzers' engine: each plugin, loaded as a user's plugin is,
 * runs as the fastpath of x2s_fuzz_engine_cases() with the guarded VMs
 * on (fuzz_icr's way), over a spread of ICR writes and every sender.
 * Every verdict must be the one x2s_verify_case() gives from a VM built
 * for the case alone; every attack must be caught on at least one input
 * (a verdict but DECLINED or EQUAL), the honest plugin on none; and the
 * guarded VMs must have been asked, so that a shortcut there which hid a
 * write would show here as a wrong verdict.
 *
 * Then the same inputs fuzz_diff's way (exit_path()): a rebase, the exit
 * through x2s_fuzz_engine_exit(), the undo, over and over on one engine,
 * whose cold guard keeps the APIC page tails read-only so that its checks
 * look at the register lines alone.  A clean decline there must be one for
 * x2s_verify_case() too, a dirty one dirty, a handled exit whose outcome
 * differs from the slow path's a MISMATCH; an attack on the page tails
 * must trip the guard (and still be caught), which is what shows that
 * the checks' shortcut is not what caught or missed it.
 *
 * Usage: fuzz_soundness PLUGIN_DIR NAME...  (exit 0: every row held)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fastpath/plugin.h"
#include "verify/fuzz_support.h"
#include "verify/guard.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

/* The attacks that need a configuration other than x2apic-2. */
static const char *config_of(const char *name)
{
	if (!strcmp(name, "sound_pi_desc"))
		return "apicv";
	if (strstr(name, "bitmap"))
		return "l2-intercept";
	return "x2apic-2";
}

/*
 * Fixed IPIs to each vCPU, to self and to all, a few vectors: the suite's
 * own (0xfd) and those the stateful attacks fire on (0x00, 0x0f).
 */
static uint64_t pick(unsigned int n)
{
	static const uint8_t vectors[] = { 0xfd, 0x00, 0x0f, 0x31, 0x40, 0xff };
	static const uint64_t forms[] = {
		0x100000000ull,	       /* fixed, physical, vCPU 1 */
		0,		       /* fixed, physical, vCPU 0 */
		0x40000,	       /* self */
		0xffffffff00000000ull, /* broadcast */
	};

	return forms[n / 6 % 4] | vectors[n % 6];
}

#define NR_INPUTS 24

/* The attacks that write some APIC page past its registers. */
static bool writes_tail(const char *name)
{
	return strstr(name, "past_regs") || strstr(name, "flip_tail") ||
	       !strcmp(name, "sound_last_byte") ||
	       !strcmp(name, "sound_deferred_then_dirty");
}

/*
 * fuzz_diff's steps on e (one engine, rebased before every exit): 0 if
 * each answer was x2s_verify_case()'s.  *caught: dirty declines and
 * outcomes that differ.
 */
static unsigned int exit_path(struct x2s_fuzz_engine *e,
			      const struct x2s_vm_desc *d, const char *name,
			      const struct x2s_fastpath *fn,
			      unsigned int *caught)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};
	struct x2s_vm *vm = x2s_fuzz_engine_vm(e);
	unsigned int wrong = 0;

	for (unsigned int n = 0; n < 2 * NR_INPUTS * d->nr_vcpus; n++) {
		unsigned int s = n / NR_INPUTS % d->nr_vcpus;
		uint64_t data = pick(n % NR_INPUTS);
		struct x2s_case_result res;
		struct x2s_exit_result xr;
		struct x2s_case c;
		struct x2s_exit_result slow;
		bool ran, dirty, differs = false;

		x2s_fuzz_engine_reset(e);
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RCX, 0x830);
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RAX, (uint32_t)data);
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RDX, data >> 32);
		x2s_fuzz_engine_rebase(e);
		ran = x2s_fuzz_engine_exit(e, s, &wrmsr, fn, &xr);
		dirty = ran && xr.fastpath == EXIT_FASTPATH_NONE;
		if (ran && !dirty) {
			/* Handled: its outcome against the slow path's. */
			x2s_fuzz_engine_normalise(e);
			x2s_fuzz_engine_capture(e, 0);
			x2s_fuzz_engine_undo(e);
			x2s_vcpu_exit(vm, s, &wrmsr, &slow);
			x2s_fuzz_engine_normalise(e);
			differs = slow.status != xr.status ||
				  !x2s_fuzz_engine_same(e, 0);
		}
		if (ran)
			x2s_fuzz_engine_undo(e);
		else
			x2s_fuzz_engine_undo_decline(e);
		memset(&c, 0, sizeof(c));
		c.config = *d;
		c.sender = s;
		c.ecx = 0x830;
		c.data = data;
		if (x2s_verify_case(&c, fn, X2S_CONTRACT_NONE, &res, NULL, NULL,
				    NULL))
			return 1;
		if (dirty != (res.verdict == X2S_VERDICT_DIRTY_NONE) ||
		    differs != (res.verdict == X2S_VERDICT_MISMATCH) ||
		    (!ran && res.verdict != X2S_VERDICT_DECLINED &&
		     res.verdict != X2S_VERDICT_WARN)) {
			fprintf(stderr,
				"%s on %s, sender %u, ICR %#llx, fuzz_diff's way: %s, x2s_verify_case %s\n",
				name, d->name, s, (unsigned long long)data,
				!ran	? "clean decline" :
				dirty	? "dirty decline" :
				differs ? "handled, differs" :
					  "handled, equal",
				x2s_verdict_name(res.verdict));
			wrong++;
		}
		*caught += dirty || differs;
	}
	if (!x2s_fuzz_engine_at_base(e)) {
		fprintf(stderr, "%s: fuzz_diff's way left bytes off the base\n",
			name);
		wrong++;
	}
	return wrong;
}

/* 0: the plugin's row held. */
static int run_one(const char *dir, const char *name)
{
	const struct x2s_vm_desc *d = x2s_named_config_find(config_of(name));
	bool honest = !strcmp(name, "sound_honest");
	const struct x2s_fuzz_stats *st;
	struct x2s_fuzz_engine *e;
	struct x2s_plugin p;
	char path[512], err[512];
	unsigned int caught = 0, wrong = 0;

	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (x2s_plugin_open(path, &p, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	e = d ? x2s_fuzz_engine_new(d, 2) : NULL;
	if (!e || x2s_fuzz_engine_guard(e, d)) {
		fprintf(stderr, "%s: no guarded engine\n", name);
		return 1;
	}
	/*
	 * Every case to the guarded VMs first, then twice over with the
	 * steering fuzz_icr runs with.
	 */
	x2s_fuzz_engine_always_try(e, true);
	for (unsigned int n = 0; n < 3 * NR_INPUTS * d->nr_vcpus; n++) {
		unsigned int s = n / NR_INPUTS % d->nr_vcpus;
		uint64_t data = pick(n % NR_INPUTS);
		struct x2s_case_result res;
		struct x2s_case c;
		enum x2s_verdict v;

		if (n == NR_INPUTS * d->nr_vcpus)
			x2s_fuzz_engine_always_try(e, false);
		x2s_fuzz_engine_cases(e, s, 0x830, data, &p.fn, 1, &v);
		memset(&c, 0, sizeof(c));
		c.config = *d;
		c.sender = s;
		c.ecx = 0x830;
		c.data = data;
		if (x2s_verify_case(&c, p.fn, X2S_CONTRACT_NONE, &res, NULL,
				    NULL, NULL))
			return 1;
		if (res.verdict != v) {
			fprintf(stderr,
				"%s on %s, sender %u, ICR %#llx: %s, x2s_verify_case %s\n",
				name, d->name, s, (unsigned long long)data,
				x2s_verdict_name(v),
				x2s_verdict_name(res.verdict));
			wrong++;
		}
		caught += v != X2S_VERDICT_DECLINED && v != X2S_VERDICT_EQUAL;
	}
	st = x2s_fuzz_engine_stats(e);
	printf("%-26s %-13s caught on %3u inputs; %lu guarded, %lu full (%lu given back)\n",
	       name, d->name, caught, st->guarded, st->full, st->given_back);
	if (!x2s_fuzz_engine_settle(e)) {
		fprintf(stderr, "%s: a guarded VM moved\n", name);
		wrong++;
	}
	if (!st->guarded && !st->given_back) {
		fprintf(stderr, "%s: the guarded VMs were never asked\n", name);
		wrong++;
	}
	if (honest ? caught != 0 : caught == 0) {
		fprintf(stderr, "%s: caught on %u inputs\n", name, caught);
		wrong++;
	}

	caught = 0;
	wrong += exit_path(e, d, name, p.fn, &caught);
	st = x2s_fuzz_engine_stats(e);
	printf("%-26s %-13s fuzz_diff's way: caught on %3u inputs; %lu page tail writes seen\n",
	       name, d->name, caught, st->cold_trips);
	if (writes_tail(name) && x2s_guard_available() && !st->cold_trips) {
		fprintf(stderr, "%s: the cold guard saw no write\n", name);
		wrong++;
	}
	if (honest && (caught || st->cold_trips)) {
		fprintf(stderr, "%s: fuzz_diff's way caught it\n", name);
		wrong++;
	}
	x2s_fuzz_engine_free(e);
	return wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: fuzz_soundness PLUGIN_DIR NAME...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		failed += run_one(argv[1], argv[i]);
	if (failed)
		fprintf(stderr, "fuzz_soundness: %d plugins failed\n", failed);
	return failed ? 1 : 0;
}
