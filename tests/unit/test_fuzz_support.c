// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fuzzers' fast engine (src/verify/fuzz_support.c) against the
 * reference: every verdict x2s_fuzz_engine_cases() gives must be the one
 * x2s_verify_case() gives from a VM built for the case alone, for every
 * shipped variant (the broken ones included, so mismatches, WARNs and
 * dirty declines are all exercised); the engine must be back at its start
 * state after each input; and a retargeted VM must equal a new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "fastpath/fastpath.h"
#include "verify/fuzz_support.h"
#include "verify/guard.h"
#include "verify/verify.h"

#define NR_FNS 4

static const char *const fn_names[NR_FNS] = { "v1-posted", "v5.6-merged",
					      "single-target", "upstream" };

/* A deterministic spread of ICR values: every field, and reserved bits. */
static uint64_t pick_icr(uint32_t *seed, unsigned int nr_vcpus)
{
	static const uint32_t dests[] = { 0,	1,	2,	    3,
					  0xff, 0xffff, 0xffffffff, 0x10001 };
	uint64_t icr;

	*seed = *seed * 1103515245u + 12345u;
	icr = (*seed >> 8) & 0xff;		    /* vector */
	icr |= (uint64_t)((*seed >> 16) & 7) << 8;  /* delivery mode */
	icr |= (uint64_t)((*seed >> 19) & 1) << 11; /* destination mode */
	icr |= (uint64_t)((*seed >> 20) & 3) << 14; /* level, trigger */
	icr |= (uint64_t)((*seed >> 22) & 3) << 18; /* shorthand */
	if (((*seed >> 24) & 7) == 0)
		icr |= 1ull << ((*seed >> 27) % 32); /* maybe a reserved bit */
	*seed = *seed * 1103515245u + 12345u;
	icr |= (uint64_t)dests[(*seed >> 10) % 8] << 32;
	if (((*seed >> 20) & 3) == 0)
		icr = (icr & ~(0xffffffffull << 32)) |
		      (uint64_t)((*seed >> 13) % (nr_vcpus + 1)) << 32;
	return icr;
}

static void engine_matches_verify_case(void **state)
{
	static const uint32_t msrs[] = { 0x830,	  0x830, 0x830,
					 0x10830, 0x831, 0x80b };
	const struct x2s_fastpath *fns[NR_FNS];
	unsigned int counts[5] = { 0 };
	uint32_t seed = 7;

	(void)state;
	for (unsigned int k = 0; k < NR_FNS; k++)
		fns[k] = x2s_fastpath_find(fn_names[k])->fn;
	for (unsigned int i = 0; i < x2s_named_config_count(); i++) {
		const struct x2s_vm_desc *d = x2s_named_config(i);
		struct x2s_fuzz_engine *e = x2s_fuzz_engine_new(d, 2);

		assert_non_null(e);
		for (unsigned int n = 0; n < 60; n++) {
			unsigned int s = n % d->nr_vcpus;
			uint32_t ecx = msrs[n % 6];
			uint64_t icr = pick_icr(&seed, d->nr_vcpus);
			enum x2s_verdict v[NR_FNS];

			x2s_fuzz_engine_cases(e, s, ecx, icr, fns, NR_FNS, v);
			for (unsigned int k = 0; k < NR_FNS; k++) {
				struct x2s_case c;
				struct x2s_case_result res;

				memset(&c, 0, sizeof(c));
				c.config = *d;
				c.sender = s;
				c.ecx = ecx;
				c.data = icr;
				assert_int_equal(
					x2s_verify_case(&c, fns[k],
							X2S_CONTRACT_NONE, &res,
							NULL, NULL, NULL),
					0);
				if (res.verdict != v[k])
					fail_msg(
						"%s, %s, vCPU %u, WRMSR(%#x) = %#llx: engine %s, x2s_verify_case %s",
						d->name, fn_names[k], s, ecx,
						(unsigned long long)icr,
						x2s_verdict_name(v[k]),
						x2s_verdict_name(res.verdict));
				counts[v[k]]++;
			}
		}
		x2s_fuzz_engine_free(e);
	}
	/* The sample reaches every verdict the shipped variants give. */
	assert_true(counts[X2S_VERDICT_DECLINED] > 0);
	assert_true(counts[X2S_VERDICT_EQUAL] > 0);
	assert_true(counts[X2S_VERDICT_MISMATCH] > 0);
	assert_true(counts[X2S_VERDICT_WARN] > 0);
}

static void assert_same_vm(struct x2s_vm *a, struct x2s_vm *b, unsigned int nr)
{
	struct x2s_vcpu_state *sa = calloc(nr, sizeof(*sa));
	struct x2s_vcpu_state *sb = calloc(nr, sizeof(*sb));

	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(x2s_vm_save(a, sa), 0);
	assert_int_equal(x2s_vm_save(b, sb), 0);
	if (memcmp(sa, sb, nr * sizeof(*sa))) {
		x2s_state_diff(sa, sb, nr, stderr);
		fail_msg("the engine's VM differs from a new one");
	}
	free(sa);
	free(sb);
}

/* Inputs leave the engine at its start state. */
static void engine_returns_to_start(void **state)
{
	const struct x2s_vm_desc *d = x2s_named_config_find("x2apic-4");
	const struct x2s_fastpath *fn = x2s_fastpath_find("upstream")->fn;
	struct x2s_fuzz_engine *e = x2s_fuzz_engine_new(d, 2);
	struct x2s_vm *fresh;
	enum x2s_verdict v;
	uint32_t seed = 99;

	(void)state;
	assert_non_null(e);
	for (unsigned int n = 0; n < 200; n++)
		x2s_fuzz_engine_cases(e, n % 4, 0x830, pick_icr(&seed, 4), &fn,
				      1, &v);
	assert_int_equal(x2s_vm_desc_create(d, &fresh), 0);
	assert_same_vm(x2s_fuzz_engine_vm(e), fresh, d->nr_vcpus);
	x2s_vm_destroy(fresh);
	x2s_fuzz_engine_free(e);
}

/*
 * Retargeting goes back to the created state and applies the new
 * description: the VM equals one built for it, whatever ran before.
 */
static void retarget_equals_new_vm(void **state)
{
	struct x2s_vm_desc a, b;
	struct x2s_fuzz_engine *e;
	struct x2s_vm *fresh;
	const struct x2s_fastpath *fn = x2s_fastpath_find("upstream")->fn;
	enum x2s_verdict v;

	(void)state;
	x2s_vm_desc_init(&a, "a", 3);
	a.vcpu[1].apic_mode = X2S_APIC_MODE_XAPIC;
	a.vcpu[1].xapic_id = 7;
	a.vcpu[2].mp_state = KVM_MP_STATE_HALTED;
	x2s_vm_desc_init(&b, "b", 3);
	b.vcpu[0].guest_mode = true;
	b.vcpu[0].l1_intercept = true;
	b.vcpu[1].sw_enabled = false;
	b.vcpu[2].rflags_if = false;
	e = x2s_fuzz_engine_new(&a, 2);
	assert_non_null(e);
	/* Some exits first, so the base is not the created state. */
	x2s_fuzz_engine_cases(e, 0, 0x830, 0x0000000100000030ull, &fn, 1, &v);
	assert_int_equal(x2s_fuzz_engine_retarget(e, &b), 0);
	assert_int_equal(x2s_vm_desc_create(&b, &fresh), 0);
	assert_same_vm(x2s_fuzz_engine_vm(e), fresh, 3);
	x2s_vm_destroy(fresh);
	/* And back. */
	assert_int_equal(x2s_fuzz_engine_retarget(e, &a), 0);
	assert_int_equal(x2s_vm_desc_create(&a, &fresh), 0);
	assert_same_vm(x2s_fuzz_engine_vm(e), fresh, 3);
	x2s_vm_destroy(fresh);
	x2s_fuzz_engine_free(e);
}

/* Every vCPU's APIC page and L1 MSR bitmap, whole, are b's. */
static void assert_same_mem(struct x2s_vm *a, struct x2s_vm *b, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		struct kvm_vcpu *va = x2s_vm_vcpu(a, i),
				*vb = x2s_vm_vcpu(b, i);

		assert_memory_equal(va->arch.apic->regs, vb->arch.apic->regs,
				    X2S_APIC_PAGE_SIZE);
		assert_memory_equal(to_vmx(va)->nested.msr_bitmap,
				    to_vmx(vb)->nested.msr_bitmap,
				    X2S_MSR_BITMAP_SIZE);
	}
	assert_same_vm(a, b, nr);
}

/*
 * Declines after writing where the engine's quick ways do not look: a
 * byte of every APIC page past its registers (left out of the checks
 * while the cold guard holds) and of every MSR bitmap (whose copy a
 * rebase keeps when the bitmap is found unchanged).
 */
static fastpath_t scribble(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu *v;
	unsigned long i;

	kvm_for_each_vcpu (i, v, vcpu->kvm) {
		((u8 *)v->arch.apic->regs)[0x800 + i] ^= 1;
		to_vmx(v)->nested.msr_bitmap[0x7f0 + i] ^= 1;
	}
	return EXIT_FASTPATH_NONE;
}

static const struct x2s_fastpath scribble_fn = {
	.name = "scribble",
	.entry = X2S_FASTPATH_EXIT_HANDLERS,
	.exit_handlers = scribble,
};

/*
 * Two 2-vCPU configurations whose L1 MSR bitmaps differ (L1 intercepts
 * the x2APIC MSRs of vCPU 0 in a, of vCPU 1 in b: neither all zero), a
 * new VM of each, and an engine started on a.
 */
static struct x2s_fuzz_engine *nested_pair(struct x2s_vm_desc *a,
					   struct x2s_vm_desc *b,
					   struct x2s_vm *fresh[2])
{
	struct x2s_fuzz_engine *e;

	x2s_vm_desc_init(a, "a", 2);
	a->vcpu[0].guest_mode = true;
	a->vcpu[0].l1_intercept = true;
	x2s_vm_desc_init(b, "b", 2);
	b->vcpu[1].guest_mode = true;
	b->vcpu[1].l1_intercept = true;
	assert_int_equal(x2s_vm_desc_create(a, &fresh[0]), 0);
	assert_int_equal(x2s_vm_desc_create(b, &fresh[1]), 0);
	e = x2s_fuzz_engine_new(a, 1);
	assert_non_null(e);
	return e;
}

/*
 * fuzz_diff's steps with such a fastpath: every exit a dirty decline,
 * the undo back to the start state byte for byte (bitmaps and page tails
 * too), and so are a reset and a retarget after it.
 */
static void scribbles_caught_and_undone(void **state)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};
	struct x2s_vm_desc a, b, *d;
	struct x2s_fuzz_engine *e;
	struct x2s_exit_result res;
	struct x2s_vm *vm, *fresh[2];
	unsigned long gprs[NR_VCPU_REGS], *regs;

	(void)state;
	e = nested_pair(&a, &b, fresh);
	vm = x2s_fuzz_engine_vm(e);
	for (unsigned int n = 0; n < 12; n++) {
		unsigned int s = n % 2 ? 0 : 1;

		/* Inputs of a, of b, of b again (reset), of a. */
		d = n / 3 % 3 == 1 || n / 3 % 3 == 2 ? &b : &a;
		if (n % 3 == 0) {
			if (n / 3 % 3 == 2)
				x2s_fuzz_engine_reset(e);
			else
				assert_int_equal(x2s_fuzz_engine_retarget(e, d),
						 0);
			assert_same_mem(vm, fresh[d == &b], 2);
		}
		regs = x2s_vm_vcpu(vm, s)->arch.regs;
		memcpy(gprs, regs, sizeof(gprs));
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RCX, 0x830);
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RAX, 0x30);
		x2s_vcpu_set_gpr(vm, s, X2S_REG_RDX, 1 - s);
		x2s_fuzz_engine_rebase(e);
		assert_true(
			x2s_fuzz_engine_exit(e, s, &wrmsr, &scribble_fn, &res));
		assert_int_equal(res.fastpath, EXIT_FASTPATH_NONE);
		x2s_fuzz_engine_undo(e);
		memcpy(regs, gprs, sizeof(gprs));
		assert_same_mem(vm, fresh[d == &b], 2);
	}
	x2s_vm_destroy(fresh[0]);
	x2s_vm_destroy(fresh[1]);
	x2s_fuzz_engine_free(e);
}

/*
 * A retarget between configurations whose L1 MSR bitmaps differ writes
 * them around the cold guard (the second mapping): no trip, and each VM
 * equals a new one, bitmaps included.  The guard does hold them: a write
 * through the model's own link trips it, and the undo puts the byte back.
 */
static void retarget_writes_bitmaps_around_guard(void **state)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};
	const struct x2s_fastpath *fn = x2s_fastpath_find("upstream")->fn;
	bool guard = x2s_guard_available();
	struct x2s_vm_desc a, b, *d;
	struct x2s_vm *vm, *fresh[2];
	struct x2s_exit_result res;
	struct x2s_fuzz_engine *e;
	u8 *bitmap;

	(void)state;
	e = nested_pair(&a, &b, fresh);
	vm = x2s_fuzz_engine_vm(e);
	for (unsigned int n = 0; n < 6; n++) {
		d = n % 2 ? &a : &b;
		assert_int_equal(x2s_fuzz_engine_retarget(e, d), 0);
		assert_same_mem(vm, fresh[d == &b], 2);
		x2s_vcpu_set_gpr(vm, 0, X2S_REG_RCX, 0x830);
		x2s_vcpu_set_gpr(vm, 0, X2S_REG_RAX, 0x30);
		x2s_vcpu_set_gpr(vm, 0, X2S_REG_RDX, 1);
		x2s_fuzz_engine_rebase(e);
		x2s_fuzz_engine_exit(e, 0, &wrmsr, fn, &res);
		x2s_fuzz_engine_undo(e);
		assert_int_equal(x2s_fuzz_engine_stats(e)->cold_trips, 0);
	}
	/* The guard holds them (where guards work at all). */
	x2s_fuzz_engine_reset(e);
	bitmap = to_vmx(x2s_vm_vcpu(vm, 1))->nested.msr_bitmap;
	bitmap[0x100] ^= 1;
	assert_int_equal(x2s_fuzz_engine_stats(e)->cold_trips, guard ? 1 : 0);
	x2s_fuzz_engine_undo(e);
	assert_int_equal(x2s_fuzz_engine_retarget(e, &b), 0);
	assert_same_mem(vm, fresh[1], 2);
	x2s_vm_destroy(fresh[0]);
	x2s_vm_destroy(fresh[1]);
	x2s_fuzz_engine_free(e);
}

/*
 * A capture keeps the vCPUs an exit left alone as references to the base
 * it was taken against: the same state compares the same before the next
 * rebase, and after one the comparison is refused (a WARN, "differs")
 * instead of reading another base.
 */
static void capture_holds_until_rebase(void **state)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};
	const struct x2s_fastpath *fn = x2s_fastpath_find("upstream")->fn;
	struct x2s_exit_result res;
	struct x2s_fuzz_engine *e;
	struct x2s_vm_desc d;
	struct x2s_vm *vm;

	(void)state;
	x2s_vm_desc_init(&d, "d", 4);
	e = x2s_fuzz_engine_new(&d, 1);
	assert_non_null(e);
	vm = x2s_fuzz_engine_vm(e);
	/* A fixed IPI from vCPU 0 to vCPU 1: two of four move. */
	x2s_vcpu_set_gpr(vm, 0, X2S_REG_RCX, 0x830);
	x2s_vcpu_set_gpr(vm, 0, X2S_REG_RAX, 0x40);
	x2s_vcpu_set_gpr(vm, 0, X2S_REG_RDX, 1);
	x2s_fuzz_engine_rebase(e);
	assert_true(x2s_fuzz_engine_exit(e, 0, &wrmsr, fn, &res));
	x2s_fuzz_engine_normalise(e);
	x2s_fuzz_engine_capture(e, 0);
	x2s_warn_reset();
	assert_true(x2s_fuzz_engine_same(e, 0));
	assert_int_equal(x2s_warn_count(), 0);
	x2s_fuzz_engine_rebase(e);
	assert_false(x2s_fuzz_engine_same(e, 0));
	assert_true(x2s_warn_count() > 0);
	x2s_warn_reset();
	x2s_fuzz_engine_free(e);
}

/* A description needing another VM (vCPU count, knobs) is refused. */
static void retarget_refuses_other_vm(void **state)
{
	struct x2s_vm_desc a, b;
	struct x2s_fuzz_engine *e;
	struct x2s_vm *fresh;

	(void)state;
	x2s_vm_desc_init(&a, "a", 2);
	e = x2s_fuzz_engine_new(&a, 2);
	assert_non_null(e);
	x2s_vm_desc_init(&b, "b", 3);
	assert_int_equal(x2s_fuzz_engine_retarget(e, &b), -EINVAL);
	x2s_vm_desc_init(&b, "b", 2);
	b.vector_hashing = false;
	assert_int_equal(x2s_fuzz_engine_retarget(e, &b), -EINVAL);
	x2s_vm_desc_init(&b, "b", 2);
	b.vcpu[1].apicv = true;
	assert_int_equal(x2s_fuzz_engine_retarget(e, &b), -EINVAL);
	/* Nothing changed. */
	assert_int_equal(x2s_vm_desc_create(&a, &fresh), 0);
	assert_same_vm(x2s_fuzz_engine_vm(e), fresh, 2);
	x2s_vm_destroy(fresh);
	/* Slot counts out of range. */
	assert_null(x2s_fuzz_engine_new(&a, 0));
	assert_null(x2s_fuzz_engine_new(&a, X2S_FUZZ_SLOTS + 1));
	x2s_fuzz_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_matches_verify_case),
		cmocka_unit_test(engine_returns_to_start),
		cmocka_unit_test(retarget_equals_new_vm),
		cmocka_unit_test(retarget_refuses_other_vm),
		cmocka_unit_test(scribbles_caught_and_undone),
		cmocka_unit_test(retarget_writes_bitmaps_around_guard),
		cmocka_unit_test(capture_holds_until_rebase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
