// SPDX-License-Identifier: GPL-2.0-only
/*
 * A restored state behaves exactly like the state it was saved from: from
 * every named configuration, random sequences of exits and entries are run
 * on a live VM and, step by step, on a second VM restored from the first's
 * snapshot; the results must be identical.  (This is how a PIR left over an
 * INIT reset with APICv was found: KVM clears it in
 * apicv_pre_state_restore, the model did not.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "verify/verify.h"

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

enum op { OP_ICR, OP_EOI, OP_ENTER, OP_TPR, OP_SELF_IPI, NR_OPS };

static void do_op(struct x2s_vm *vm, enum op op, unsigned int cpu, u64 arg,
		  struct x2s_exit_result *res)
{
	switch (op) {
	case OP_ICR:
		assert_ok(x2s_vcpu_wrmsr_exit(vm, cpu, 0x830, arg, res));
		break;
	case OP_EOI:
		assert_ok(x2s_vcpu_wrmsr_exit(vm, cpu, 0x80b, 0, res));
		break;
	case OP_ENTER:
		assert_ok(x2s_vcpu_enter(vm, cpu, res));
		break;
	case OP_TPR:
		assert_ok(x2s_vcpu_wrmsr_exit(vm, cpu, 0x808, arg & 0xff, res));
		break;
	default:
		assert_ok(x2s_vcpu_wrmsr_exit(vm, cpu, 0x83f, arg & 0xff, res));
		break;
	}
}

/* ICR values that mostly do something: no reserved bits, IDs nearby. */
static u64 random_icr(unsigned int nr_vcpus)
{
	u64 icr = rng() & 0x000fcfff;

	if (rng() % 4)
		icr &= ~0x700ULL; /* fixed delivery most of the time */
	return icr | (rng() % (nr_vcpus + 1)) << 32;
}

static void test_restored_state_behaves_like_live(void **state)
{
	unsigned int nr_configs = x2s_named_config_count();
	unsigned int sequences = 0;

	for (unsigned int c = 0; c < nr_configs; c++) {
		const struct x2s_vm_desc *d = x2s_named_config(c);
		unsigned int n = d->nr_vcpus;
		struct x2s_vcpu_state *a = calloc(n, sizeof(*a));
		struct x2s_vcpu_state *b = calloc(n, sizeof(*b));

		assert_non_null(a);
		assert_non_null(b);
		for (int seq = 0; seq < 200; seq++, sequences++) {
			struct x2s_vm *live, *twin;

			assert_ok(x2s_vm_desc_create(d, &live));
			assert_ok(x2s_vm_desc_create(d, &twin));
			for (int step = 0; step < 16; step++) {
				enum op op = (enum op)(rng() % NR_OPS);
				unsigned int cpu = (unsigned int)(rng() % n);
				u64 arg = op == OP_ICR ? random_icr(n) : rng();
				struct x2s_exit_result ra, rb;

				assert_ok(x2s_vm_save(live, a));
				assert_ok(x2s_vm_restore(twin, a));
				do_op(live, op, cpu, arg, &ra);
				do_op(twin, op, cpu, arg, &rb);
				assert_ok(x2s_vm_save(live, a));
				assert_ok(x2s_vm_save(twin, b));
				if (memcmp(a, b, n * sizeof(*a)) ||
				    ra.status != rb.status) {
					x2s_state_diff(a, b, n, stderr);
					fail_msg("%s: step %d, op %d on vcpu%u "
						 "(0x%llx): live and restored "
						 "differ",
						 d->name, step, op, cpu,
						 (unsigned long long)arg);
				}
			}
			x2s_vm_destroy(live);
			x2s_vm_destroy(twin);
		}
		free(a);
		free(b);
	}
	print_message("%u sequences of 16 steps\n", sequences);
}

static bool state_irr(const struct x2s_vcpu_state *st, int vec)
{
	u32 word;

	memcpy(&word, st->apic_page + APIC_IRR + (vec / 32) * 16, 4);
	return word & (1u << (vec % 32));
}

/* INIT resets the APIC: posted vectors go with it (APICv). */
static void test_init_drops_posted_vectors(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_vm_config cfg;
	struct x2s_exit_result res;
	struct x2s_vcpu_state st[2];

	x2s_vm_destroy(vm);
	x2s_vm_config_init(&cfg, 2);
	cfg.apicv = true;
	vm = test_vm_new_cfg(&cfg);
	/* A fixed IPI posted to vCPU 1, then INIT to vCPU 1. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, 0x830, (1ULL << 32) | 0xb4, &res));
	assert_ok(x2s_vm_save(vm, st));
	assert_true(state_irr(&st[1], 0xb4));
	assert_ok(x2s_vcpu_wrmsr_exit(
		vm, 0, 0x830, (1ULL << 32) | APIC_DM_INIT | APIC_INT_ASSERT,
		&res));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_ok(x2s_vm_save(vm, st));
	assert_int_equal(st[1].mp_state, KVM_MP_STATE_INIT_RECEIVED);
	assert_false(state_irr(&st[1], 0xb4));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/*
 * L1 in VMX root operation after a nested exit: vmxon survives save and
 * restore, and the restored vCPU still keeps an INIT latched.
 */
static void test_vmxon_round_trips(void **state)
{
	struct x2s_vm *vm = test_vm_new(2), *twin = test_vm_new(2);
	struct x2s_exit_result res;
	struct x2s_vcpu_state st[2], back[2];

	assert_ok(x2s_vcpu_set_guest_mode(vm, 1, true, true));
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 1, 0x830, 0x40, &res));
	assert_true(res.nested_exit);
	assert_ok(x2s_vm_save(vm, st));
	assert_int_equal(st[1].guest_mode, 0);
	assert_int_equal(st[1].vmxon, 1);
	assert_int_equal(st[0].vmxon, 0);

	assert_ok(x2s_vm_restore(twin, st));
	assert_ok(x2s_vm_save(twin, back));
	assert_int_equal(x2s_state_diff(st, back, 2, stderr), 0);
	assert_memory_equal(&st[1].apic_base, &back[1].apic_base,
			    X2S_STATE_SMALL_LEN);
	assert_ok(x2s_vcpu_wrmsr_exit(
		twin, 0, 0x830, (1ULL << 32) | APIC_DM_INIT | APIC_INT_ASSERT,
		&res));
	assert_ok(x2s_vcpu_enter(twin, 1, &res));
	assert_ok(x2s_vm_save(twin, back));
	assert_int_equal(back[1].init_pending, 1);
	assert_int_equal(back[1].mp_state, KVM_MP_STATE_RUNNABLE);

	/* Compared like any other field. */
	back[1] = st[1];
	back[1].vmxon = 0;
	assert_int_equal(x2s_state_diff(&st[1], &back[1], 1, NULL), 1);

	/* KVM refuses L2 without VMXON, and INIT states in VMX root. */
	back[1] = st[1];
	back[1].guest_mode = 1;
	back[1].vmxon = 0;
	assert_int_equal(x2s_vcpu_restore(twin, 1, &back[1]), -EINVAL);
	back[1] = st[1];
	back[1].mp_state = KVM_MP_STATE_INIT_RECEIVED;
	assert_int_equal(x2s_vcpu_restore(twin, 1, &back[1]), -EINVAL);
	assert_no_warn();
	x2s_vm_destroy(vm);
	x2s_vm_destroy(twin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restored_state_behaves_like_live),
		cmocka_unit_test(test_init_drops_posted_vectors),
		cmocka_unit_test(test_vmxon_round_trips),
	};

	return cmocka_run_group_tests_name("restore", tests, NULL, NULL);
}
