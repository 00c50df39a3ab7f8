// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential runs (src/guest/diff.c): every guest agrees with the slow
 * path under upstream and v6.12; the historical variants diverge where
 * their findings say; each plugin of tests/plugins/diff_*.c is named at
 * the first guest instruction that can see what it broke.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include "fastpath/plugin.h"
#include "guest/guest.h"
#include "vmx/vmx.h"

#ifndef X2S_GUEST_DIR
#error "X2S_GUEST_DIR must name the directory of the built guest images"
#endif
#ifndef X2S_TEST_PLUGIN_DIR
#error "X2S_TEST_PLUGIN_DIR must name the directory of the test plugins"
#endif

#define MSR_ICR 0x830
#define MSR_TPR 0x808

static struct x2s_guest_image *load(const char *name)
{
	struct x2s_guest_image *img = NULL;
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s.elf", X2S_GUEST_DIR, name);
	assert_int_equal(x2s_guest_image_load(path, &img, err, sizeof(err)), 0);
	return img;
}

static uint64_t symbol(const struct x2s_guest_image *img, const char *name)
{
	uint64_t addr = 0;

	assert_true(x2s_guest_image_symbol(img, name, &addr, NULL));
	return addr;
}

static const struct x2s_fastpath *variant(const char *name)
{
	const struct x2s_fastpath_variant *fv;

	if (!strcmp(name, "none"))
		return NULL;
	fv = x2s_fastpath_find(name);
	assert_non_null(fv);
	return fv->fn;
}

static const struct x2s_fastpath *plugin(const char *name)
{
	const struct x2s_fastpath *fn = NULL;
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s.so", X2S_TEST_PLUGIN_DIR, name);
	assert_int_equal(x2s_plugin_load(path, &fn, err, sizeof(err)), 0);
	return fn;
}

static void diff(const struct x2s_guest_image *img, unsigned int nr_vcpus,
		 bool ap_wait_sipi, const struct x2s_fastpath *fn,
		 struct x2s_guest_diff_result *res)
{
	struct x2s_guest_diff_config dc = {
		.img = img,
		.base = { .nr_vcpus = nr_vcpus,
			  .ap_wait_sipi = ap_wait_sipi,
			  .max_insns = 20000000 },
		.fastpath = fn,
	};
	char err[256] = "";
	int r = x2s_guest_diff(&dc, res, err, sizeof(err));

	if (r)
		fail_msg("x2s_guest_diff: %d: %s", r, err);
}

static const struct {
	const char *name;
	unsigned int nr_vcpus;
	bool ap_wait_sipi;
} guests[] = {
	{ "pingpong", 2, false },  { "selfipi", 1, false },
	{ "broadcast", 4, false }, { "logical", 4, false },
	{ "nmi", 2, false },	   { "gp", 1, false },
	{ "xapic", 2, false },	   { "timer", 1, false },
	{ "nmi_irq", 2, false },   { "cpuid", 1, false },
	{ "ports", 1, false },	   { "icr_read", 2, false },
	{ "apboot", 4, true },	   { "wrmsr_loop", 1, false },
	{ "mbtest", 1, false },
};

/* Every guest, the slow path against upstream, v6.12 and itself. */
static void test_every_guest_agrees(void **state)
{
	static const char *const fps[] = { "upstream", "v6.12", "none" };
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));

	(void)state;
	assert_non_null(res);
	for (size_t i = 0; i < sizeof(guests) / sizeof(guests[0]); i++) {
		struct x2s_guest_image *img = load(guests[i].name);

		for (size_t f = 0; f < sizeof(fps) / sizeof(fps[0]); f++) {
			diff(img, guests[i].nr_vcpus, guests[i].ap_wait_sipi,
			     variant(fps[f]), res);
			if (res->diverged)
				fail_msg("%s with %s: %s", guests[i].name,
					 fps[f], res->what);
			assert_true(res->observations > 0);
			assert_int_equal(res->run[0].result, 0);
			x2s_guest_diff_release(res);
		}
		x2s_guest_image_free(img);
	}
	free(res);
}

/*
 * The historical variants agree on every guest but two: gp (an ICR
 * write with a reserved bit: the slow path injects #GP, they send) and
 * icr_read (their 32-bit ICR path loses the destination the guest reads
 * back).
 */
static void test_historical_variants_diverge_where_found(void **state)
{
	static const char *const fps[] = { "v1-posted", "v5.6-merged" };
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));

	(void)state;
	assert_non_null(res);
	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < sizeof(guests) / sizeof(guests[0]);
		     i++) {
			struct x2s_guest_image *img = load(guests[i].name);
			const char *n = guests[i].name;

			diff(img, guests[i].nr_vcpus, guests[i].ap_wait_sipi,
			     variant(fps[f]), res);
			if (strcmp(n, "gp") && strcmp(n, "icr_read")) {
				if (res->diverged)
					fail_msg("%s with %s: %s", n, fps[f],
						 res->what);
			} else if (!strcmp(n, "gp")) {
				/* The first WRMSR, reserved bit 20 set. */
				assert_true(res->diverged);
				assert_int_equal(res->index, 0);
				assert_true(res->have_obs[0] &&
					    res->have_obs[1]);
				assert_int_equal(res->obs[0].exit_basic,
						 EXIT_REASON_MSR_WRITE);
				assert_int_equal(res->regs[0][X2S_GREG_RCX],
						 MSR_ICR);
				assert_true(res->regs[0][X2S_GREG_RAX] &
					    (1u << 20));
				assert_int_equal(res->obs[0].exit_rip,
						 res->obs[1].exit_rip);
				assert_int_equal(res->obs[0].insns,
						 res->obs[1].insns);
				/* #GP on the slow path, nothing with them. */
				assert_int_equal(res->obs[0].intr_info & 0x7ff,
						 INTR_TYPE_HARD_EXCEPTION |
							 GP_VECTOR);
				assert_false(res->obs[1].intr_info &
					     INTR_INFO_VALID_MASK);
				assert_true(res->mem_differs);
			} else {
				/* The RDMSR of the ICR after the first send. */
				assert_true(res->diverged);
				assert_int_equal(res->index, 1);
				assert_int_equal(res->obs[0].exit_rip,
						 symbol(img, "read_icr_insn"));
				assert_int_equal(res->obs[1].exit_rip,
						 symbol(img, "read_icr_insn"));
				assert_int_equal(res->obs[0].insns,
						 res->obs[1].insns);
				assert_int_equal(res->regs[0][X2S_GREG_RDX], 1);
				assert_int_equal(res->regs[1][X2S_GREG_RDX], 0);
			}
			x2s_guest_diff_release(res);
			x2s_guest_image_free(img);
		}
	}
	free(res);
}

/* Run icr_read with a diff_* plugin: the divergence it must give. */
static void plugin_diff(const char *name, struct x2s_guest_diff_result *res,
			struct x2s_guest_image **img)
{
	*img = load("icr_read");
	diff(*img, 2, false, plugin(name), res);
	assert_true(res->diverged);
	assert_false(res->at_end);
}

/* No RIP skip: the entry after the first ICR write resumes at it. */
static void test_plugin_no_skip(void **state)
{
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct x2s_guest_image *img;
	uint64_t send;

	(void)state;
	plugin_diff("diff_no_skip", res, &img);
	send = symbol(img, "send_insn");
	assert_int_equal(res->index, 0);
	assert_int_equal(res->obs[0].exit_rip, send);
	assert_int_equal(res->obs[1].exit_rip, send);
	assert_int_equal(res->obs[0].insns, res->obs[1].insns);
	assert_int_equal(res->obs[0].rip, send + 2);
	assert_int_equal(res->obs[1].rip, send);
	x2s_guest_diff_release(res);
	x2s_guest_image_free(img);
	free(res);
}

/* BUSY kept: the RDMSR of the ICR reads bit 12, not before. */
static void test_plugin_busy(void **state)
{
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct x2s_guest_image *img;

	(void)state;
	plugin_diff("diff_busy", res, &img);
	assert_int_equal(res->index, 1);
	assert_int_equal(res->obs[0].exit_rip, symbol(img, "read_icr_insn"));
	assert_int_equal(res->obs[1].exit_rip, symbol(img, "read_icr_insn"));
	assert_int_equal(res->obs[0].insns, res->obs[1].insns);
	assert_int_equal(res->regs[0][X2S_GREG_RAX] ^
				 res->regs[1][X2S_GREG_RAX],
			 0x1000);
	x2s_guest_diff_release(res);
	x2s_guest_image_free(img);
	free(res);
}

/*
 * Wrong destination: the observation right after the send differs
 * (vCPU 1, which should take the IPI, halts instead of the sender going
 * on to read the ICR).
 */
static void test_plugin_wrong_dest(void **state)
{
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct x2s_guest_image *img;

	(void)state;
	plugin_diff("diff_wrong_dest", res, &img);
	assert_int_equal(res->index, 1);
	assert_true(res->have_obs[0] && res->have_obs[1]);
	assert_int_equal(res->obs[0].vcpu, 0);
	assert_int_equal(res->obs[0].exit_rip, symbol(img, "read_icr_insn"));
	assert_int_equal(res->obs[1].vcpu, 1);
	x2s_guest_diff_release(res);
	x2s_guest_image_free(img);
	free(res);
}

/* A raw TPR write: named at the RDMSR of the TPR, sixteen points later. */
static void test_plugin_raw_tpr(void **state)
{
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct x2s_guest_image *img;

	(void)state;
	plugin_diff("diff_raw_tpr", res, &img);
	assert_true(res->index > 1);
	assert_int_equal(res->obs[0].exit_rip, symbol(img, "read_tpr_insn"));
	assert_int_equal(res->obs[1].exit_rip, symbol(img, "read_tpr_insn"));
	assert_int_equal(res->obs[0].insns, res->obs[1].insns);
	assert_int_equal(res->regs[0][X2S_GREG_RCX], MSR_TPR);
	assert_int_equal(res->regs[0][X2S_GREG_RAX], 0);
	assert_int_equal(res->regs[1][X2S_GREG_RAX], 0x10);
	x2s_guest_diff_release(res);
	x2s_guest_image_free(img);
	free(res);
}

/*
 * OF set in the RFLAGS KVM keeps for the halted destination: named at
 * the wake that loads them (vCPU 1, the vector injected), which is an
 * observation where the engine's registers are not read again (no
 * instruction since its HLT): KVM's RFLAGS carry it.
 */
static void test_plugin_wake_rflags(void **state)
{
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct x2s_guest_image *img;
	unsigned int rflags = X2S_GUEST_DIFF_KVM_REGS - 2;

	(void)state;
	plugin_diff("diff_wake_rflags", res, &img);
	assert_true(res->have_obs[0] && res->have_obs[1]);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(res->obs[i].kind, X2S_OBS_WAKE);
		assert_int_equal(res->obs[i].vcpu, 1);
		assert_true(res->obs[i].intr_info & INTR_INFO_VALID_MASK);
	}
	assert_int_equal(res->obs[0].insns, res->obs[1].insns);
	assert_int_equal(res->kvm_regs[0][rflags] ^ res->kvm_regs[1][rflags],
			 1u << 11);
	x2s_guest_diff_release(res);
	x2s_guest_image_free(img);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_guest_agrees),
		cmocka_unit_test(test_historical_variants_diverge_where_found),
		cmocka_unit_test(test_plugin_no_skip),
		cmocka_unit_test(test_plugin_busy),
		cmocka_unit_test(test_plugin_wrong_dest),
		cmocka_unit_test(test_plugin_raw_tpr),
		cmocka_unit_test(test_plugin_wake_rflags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
