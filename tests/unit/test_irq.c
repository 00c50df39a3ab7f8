// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPI delivery: destination matching, the optimized map, lowest priority and
 * KVM's acceptance table (src/lapic/irq.c).
 */
#include <string.h>

#include "helpers.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define VEC 0x45 /* 69: 69 % 2 = 1, 69 % 3 = 0, 69 % 4 = 1 */

static struct x2s_vm *vm_mode(unsigned int n, enum x2s_apic_mode mode)
{
	struct x2s_vm_config cfg;

	x2s_vm_config_init(&cfg, n);
	cfg.apic_mode = mode;
	return test_vm_new_cfg(&cfg);
}

static struct kvm *kvm_of(struct x2s_vm *vm)
{
	return x2s_vm_kvm(vm);
}

static struct kvm_vcpu *vcpu_of(struct x2s_vm *vm, unsigned int i)
{
	return x2s_vm_vcpu(vm, i);
}

/*
 * Send an IPI from vCPU `from` the way kvm_apic_send_ipi() does, but return
 * kvm_irq_delivery_to_apic()'s result.  dest is an x2APIC destination or an
 * 8-bit xAPIC one, placed where the sender's mode keeps it.
 */
static int send(struct x2s_vm *vm, unsigned int from, u32 icr_low, u32 dest)
{
	struct kvm_lapic *apic = test_apic(vm, from);
	struct kvm_lapic_irq irq;
	u32 high = apic_x2apic_mode(apic) ? dest : dest << 24;

	kvm_icr_to_lapic_irq(apic, icr_low, high, &irq);
	return kvm_irq_delivery_to_apic(kvm_of(vm), apic, &irq, NULL);
}

static bool map_handles(struct x2s_vm *vm, unsigned int from, u32 icr_low,
			u32 dest, int *r)
{
	struct kvm_lapic *apic = test_apic(vm, from);
	struct kvm_lapic_irq irq;
	u32 high = apic_x2apic_mode(apic) ? dest : dest << 24;
	unsigned long recv[KVM_MAX_VCPUS / BITS_PER_LONG];

	kvm_icr_to_lapic_irq(apic, icr_low, high, &irq);
	*r = x2s_apic_map_receivers(kvm_of(vm), apic, &irq, recv);
	return *r >= 0;
}

/* Bitmask of the vCPUs (< 32) with vector VEC in IRR. */
static unsigned int irr_set(struct x2s_vm *vm, int vec)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < x2s_vm_nr_vcpus(vm) && i < 32; i++)
		if (test_irr(vm, i, vec))
			m |= 1u << i;
	return m;
}

static unsigned int nmi_set(struct x2s_vm *vm)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < x2s_vm_nr_vcpus(vm) && i < 32; i++)
		if (vcpu_of(vm, i)->arch.nmi_pending)
			m |= 1u << i;
	return m;
}

/* ---- the table: delivery mode x destination mode x shorthand x size ---- */

enum effect {
	EFF_IRR,    /* vector in IRR, edge: TMR clear, KVM_REQ_EVENT */
	EFF_NMI,    /* nmi_pending, KVM_REQ_NMI */
	EFF_SMI,    /* KVM_REQ_SMI */
	EFF_INIT,   /* pending INIT */
	EFF_SIPI,   /* pending SIPI with the vector */
	EFF_UNHALT, /* PV unhalt */
	EFF_NONE,   /* ExtINT: ignored by everybody */
};

static const struct {
	u32 dm;
	enum effect eff;
	bool lowest;
} modes[] = {
	{ APIC_DM_FIXED, EFF_IRR, false },
	{ APIC_DM_LOWEST, EFF_IRR, true },
	{ APIC_DM_SMI, EFF_SMI, false },
	{ APIC_DM_REMRD, EFF_UNHALT, false },
	{ APIC_DM_NMI, EFF_NMI, false },
	{ APIC_DM_INIT, EFF_INIT, false },
	{ APIC_DM_STARTUP, EFF_SIPI, false },
	{ APIC_DM_EXTINT, EFF_NONE, false },
};

/*
 * Receivers, sender vCPU 0, no-shorthand destination = the last vCPU.
 * Lowest priority with vector hashing picks candidate VEC % count in vCPU
 * order: all-incl of 4 -> index 1, all-but of {1,2,3} -> index 0 (vCPU 1).
 */
static const struct {
	u32 shorthand;
	unsigned int n;
	unsigned int fixed; /* receivers of every other mode */
	unsigned int lowest;
} receivers[] = {
	{ APIC_DEST_NOSHORT, 1, 0x1, 0x1 }, { APIC_DEST_NOSHORT, 2, 0x2, 0x2 },
	{ APIC_DEST_NOSHORT, 4, 0x8, 0x8 }, { APIC_DEST_SELF, 1, 0x1, 0x1 },
	{ APIC_DEST_SELF, 2, 0x1, 0x1 },    { APIC_DEST_SELF, 4, 0x1, 0x1 },
	{ APIC_DEST_ALLINC, 1, 0x1, 0x1 },  { APIC_DEST_ALLINC, 2, 0x3, 0x2 },
	{ APIC_DEST_ALLINC, 4, 0xf, 0x2 },  { APIC_DEST_ALLBUT, 1, 0x0, 0x0 },
	{ APIC_DEST_ALLBUT, 2, 0x2, 0x2 },  { APIC_DEST_ALLBUT, 4, 0xe, 0x2 },
};

static void check_effect(struct x2s_vm *vm, unsigned int i, enum effect eff,
			 bool got, const char *what)
{
	struct kvm_vcpu *vcpu = vcpu_of(vm, i);
	struct kvm_lapic *apic = vcpu->arch.apic;
	bool irr = test_irr(vm, i, VEC);
	bool nmi = vcpu->arch.nmi_pending != 0;
	bool smi = kvm_test_request(KVM_REQ_SMI, vcpu);
	bool init = apic->pending_events & (1UL << KVM_APIC_INIT);
	bool sipi = apic->pending_events & (1UL << KVM_APIC_SIPI);
	bool unhalt = vcpu->arch.pv.pv_unhalted;

	if (irr != (got && eff == EFF_IRR) || nmi != (got && eff == EFF_NMI) ||
	    smi != (got && eff == EFF_SMI) ||
	    init != (got && eff == EFF_INIT) ||
	    sipi != (got && eff == EFF_SIPI) ||
	    unhalt != (got && eff == EFF_UNHALT))
		fail_msg(
			"%s: vCPU %u receives=%d: irr %d nmi %d smi %d init %d "
			"sipi %d unhalt %d",
			what, i, got, irr, nmi, smi, init, sipi, unhalt);
	assert_false(test_tmr(vm, i, VEC));
	if (got && eff == EFF_SIPI)
		assert_int_equal(apic->sipi_vector, VEC);
	if (got && eff == EFF_IRR)
		assert_true(kvm_test_request(KVM_REQ_EVENT, vcpu));
	if (eff == EFF_NONE)
		assert_int_equal(vcpu->requests, 0);
}

static void test_delivery_table(void **state)
{
	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (unsigned int r = 0;
		     r < sizeof(receivers) / sizeof(receivers[0]); r++) {
			for (int logical = 0; logical < 2; logical++) {
				unsigned int n = receivers[r].n;
				struct x2s_vm *vm =
					vm_mode(n, X2S_APIC_MODE_X2APIC);
				/* x2APIC: cluster 0, bit = ID */
				u32 dest = logical ? 1u << (n - 1) : n - 1;
				u32 icr = modes[m].dm | receivers[r].shorthand |
					  APIC_INT_ASSERT | VEC |
					  (logical ? APIC_DEST_LOGICAL : 0);
				unsigned int expect =
					modes[m].lowest ? receivers[r].lowest :
							  receivers[r].fixed;
				char what[96];

				for (unsigned int i = 0; i < n; i++)
					vcpu_of(vm, i)->requests = 0;
				snprintf(what, sizeof(what),
					 "dm %#x sh %#x n %u %s", modes[m].dm,
					 receivers[r].shorthand, n,
					 logical ? "logical" : "physical");
				kvm_apic_send_ipi(test_apic(vm, 0), icr, dest);
				for (unsigned int i = 0; i < n; i++)
					check_effect(vm, i, modes[m].eff,
						     expect & (1u << i), what);
				assert_no_warn();
				x2s_vm_destroy(vm);
			}
		}
	}
}

/* ---- acceptance by disabled APICs ---- */

static void test_fixed_dropped_by_sw_disabled_apic(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);

	assert_ok(x2s_vcpu_set_sw_enabled(vm, 1, false));
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | VEC, 1), 0);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_false(test_tmr(vm, 1, VEC));
	/* Lowest priority to one sw-disabled physical target: map path. */
	assert_int_equal(send(vm, 0, APIC_DM_LOWEST | VEC, 1), 0);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_int_equal(vcpu_of(vm, 1)->arch.apic_arb_prio, 1);
	x2s_vm_destroy(vm);
}

static void test_nmi_reaches_sw_disabled_apic(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);

	assert_ok(x2s_vcpu_set_sw_enabled(vm, 1, false));
	assert_int_equal(send(vm, 0, APIC_DM_NMI, 1), 1);
	assert_int_equal(vcpu_of(vm, 1)->arch.nmi_pending, 1);
	assert_true(kvm_test_request(KVM_REQ_NMI, vcpu_of(vm, 1)));
	/* INIT and SIPI, too. */
	assert_int_equal(send(vm, 0, APIC_DM_INIT | APIC_INT_ASSERT, 1), 1);
	assert_int_equal(send(vm, 0, APIC_DM_STARTUP | 0x9a, 1), 1);
	assert_int_equal(test_apic(vm, 1)->pending_events,
			 (1UL << KVM_APIC_INIT) | (1UL << KVM_APIC_SIPI));
	x2s_vm_destroy(vm);
}

static void test_hw_disabled_apic_receives_nothing(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);

	assert_ok(x2s_vcpu_set_apic_mode(vm, 1, X2S_APIC_MODE_DISABLED));
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | VEC, 1), 0);
	assert_int_equal(send(vm, 0, APIC_DM_NMI, 1), 0);
	assert_int_equal(send(vm, 0, APIC_DM_INIT | APIC_INT_ASSERT, 1), 0);
	/* Not even a broadcast (the loop skips non-present APICs). */
	assert_int_equal(send(vm, 0, APIC_DM_NMI, X2APIC_BROADCAST), 2);
	assert_int_equal(send(vm, 0, APIC_DM_NMI | APIC_DEST_ALLINC, 0), 2);
	assert_int_equal(nmi_set(vm), 0x5);
	assert_int_equal(vcpu_of(vm, 1)->arch.nmi_pending, 0);
	assert_int_equal(test_apic(vm, 1)->pending_events, 0);
	x2s_vm_destroy(vm);
}

/* ---- destinations the map answers without a receiver ---- */

static void test_absent_destination_is_dropped(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	int r;

	assert_true(map_handles(vm, 0, APIC_DM_FIXED | VEC, 7, &r));
	assert_int_equal(r, 0);
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | VEC, 7), 0);
	assert_int_equal(irr_set(vm, VEC), 0);
	x2s_vm_destroy(vm);
}

static void test_destination_above_max_handled_by_map(void **state)
{
	struct x2s_vm *vm = test_vm_new(4);
	struct kvm_lapic_irq irq;
	int r = 123;

	/* max_apic_id is 255 for small VMs. */
	assert_int_equal(kvm_of(vm)->arch.apic_map->max_apic_id, 255);
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_DM_NMI, 256, &irq);
	assert_true(kvm_irq_delivery_to_apic_fast(kvm_of(vm), test_apic(vm, 0),
						  &irq, &r, NULL));
	assert_int_equal(r, 0);
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_DM_NMI, 0xFFFFFFFE, &irq);
	assert_true(kvm_irq_delivery_to_apic_fast(kvm_of(vm), test_apic(vm, 0),
						  &irq, &r, NULL));
	assert_int_equal(r, 0);
	assert_int_equal(nmi_set(vm), 0);
	x2s_vm_destroy(vm);
}

static void test_map_declines(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_lapic_irq irq;
	int r;

	/* All-incl / all-excl shorthands and broadcast go to the loop. */
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_DEST_ALLINC | VEC, 0, &irq);
	assert_false(kvm_irq_delivery_to_apic_fast(kvm_of(vm), test_apic(vm, 0),
						   &irq, &r, NULL));
	assert_int_equal(r, -1);
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_DEST_ALLBUT | VEC, 0, &irq);
	assert_false(kvm_irq_delivery_to_apic_fast(kvm_of(vm), test_apic(vm, 0),
						   &irq, &r, NULL));
	kvm_icr_to_lapic_irq(test_apic(vm, 0), VEC, X2APIC_BROADCAST, &irq);
	assert_false(kvm_irq_delivery_to_apic_fast(kvm_of(vm), test_apic(vm, 0),
						   &irq, &r, NULL));
	/* Nothing was delivered by declining. */
	assert_int_equal(irr_set(vm, VEC), 0);
	x2s_vm_destroy(vm);
}

/* ---- trigger mode ---- */

static void test_level_triggered_fixed_sets_tmr(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	u32 level = APIC_INT_LEVELTRIG | APIC_INT_ASSERT;

	assert_int_equal(send(vm, 0, level | VEC, 1), 1);
	assert_true(test_irr(vm, 1, VEC));
	assert_true(test_tmr(vm, 1, VEC));
	/* An edge interrupt on the same vector clears the TMR bit again. */
	assert_int_equal(send(vm, 0, APIC_INT_ASSERT | VEC, 1), 1);
	assert_false(test_tmr(vm, 1, VEC));
	x2s_vm_destroy(vm);
}

static void test_level_deassert_fixed_is_dropped(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);

	assert_int_equal(send(vm, 0, APIC_INT_LEVELTRIG | VEC, 1), 0);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_false(test_tmr(vm, 1, VEC));
	/* Edge ignores the level bit: delivered. */
	assert_int_equal(send(vm, 0, VEC, 1), 1);
	assert_true(test_irr(vm, 1, VEC));
	x2s_vm_destroy(vm);
}

static void test_illegal_vectors_are_delivered(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);

	/* KVM raises no send/receive illegal vector error (ESR) for 0-15. */
	for (int vec = 0; vec < 16; vec++)
		assert_int_equal(send(vm, 0, APIC_INT_ASSERT | vec, 1), 1);
	assert_int_equal(test_irr_count(vm, 1), 16);
	assert_int_equal(kvm_lapic_get_reg(test_apic(vm, 0), APIC_ESR), 0);
	assert_int_equal(kvm_lapic_get_reg(test_apic(vm, 1), APIC_ESR), 0);
	x2s_vm_destroy(vm);
}

/* ---- INIT / SIPI ---- */

static void test_init_deassert_ignored_sipi_twice(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_lapic *apic = test_apic(vm, 1);
	u32 deassert = APIC_DM_INIT | APIC_INT_LEVELTRIG;

	vcpu_of(vm, 1)->requests = 0;
	assert_int_equal(send(vm, 0, deassert, 1), 0);
	assert_int_equal(apic->pending_events, 0);
	assert_int_equal(vcpu_of(vm, 1)->requests, 0);

	assert_int_equal(send(vm, 0, APIC_DM_INIT | APIC_INT_ASSERT, 1), 1);
	assert_int_equal(apic->pending_events, 1UL << KVM_APIC_INIT);
	assert_true(kvm_test_request(KVM_REQ_EVENT, vcpu_of(vm, 1)));

	/* De-assert after assert: still ignored, INIT stays pending. */
	assert_int_equal(send(vm, 0, deassert | APIC_DEST_ALLBUT, 0), 0);
	assert_int_equal(apic->pending_events, 1UL << KVM_APIC_INIT);

	assert_int_equal(send(vm, 0, APIC_DM_STARTUP | 0x12, 1), 1);
	assert_int_equal(apic->sipi_vector, 0x12);
	assert_int_equal(send(vm, 0, APIC_DM_STARTUP | 0x34, 1), 1);
	assert_int_equal(apic->sipi_vector, 0x34);
	assert_int_equal(apic->pending_events,
			 (1UL << KVM_APIC_INIT) | (1UL << KVM_APIC_SIPI));

	/* A new INIT drops the pending SIPI. */
	assert_int_equal(send(vm, 0, APIC_DM_INIT, 1), 1);
	assert_int_equal(apic->pending_events, 1UL << KVM_APIC_INIT);
	assert_int_equal(test_apic(vm, 0)->pending_events, 0);
	x2s_vm_destroy(vm);
}

/* ---- lowest priority ---- */

static void test_lowest_priority_vector_hashing(void **state)
{
	struct x2s_vm *vm = test_vm_new(4);

	/* Map path (x2APIC logical cluster 0, all four): vector % 4. */
	for (int vec = 0x40; vec < 0x48; vec++)
		assert_int_equal(send(vm, 0, APIC_DM_LOWEST | vec | 0x800, 0xF),
				 1);
	for (int vec = 0x40; vec < 0x48; vec++)
		assert_int_equal(irr_set(vm, vec), 1u << (vec % 4));
	/* Loop path (all-but: candidates 1, 2, 3): vector % 3. */
	for (int vec = 0x60; vec < 0x66; vec++) {
		assert_int_equal(
			send(vm, 0, APIC_DM_LOWEST | APIC_DEST_ALLBUT | vec, 0),
			1);
		assert_int_equal(irr_set(vm, vec), 1u << (1 + vec % 3));
	}
	x2s_vm_destroy(vm);
}

static void test_lowest_priority_arbitration_without_hashing(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	static const int prio[4] = { 5, 3, 7, 3 };

	x2s_vm_config_init(&cfg, 4);
	cfg.vector_hashing = false;
	vm = test_vm_new_cfg(&cfg);
	for (int path = 0; path < 2; path++) {
		u32 icr = path ? APIC_DEST_ALLINC : APIC_DEST_LOGICAL;

		for (unsigned int i = 0; i < 4; i++)
			vcpu_of(vm, i)->arch.apic_arb_prio = prio[i];
		/* Lowest counter wins, the first of equals; the winner's
		 * counter goes up, so vCPU 3 is next, then 1 again. */
		assert_int_equal(send(vm, 0, APIC_DM_LOWEST | icr | 0x50, 0xF),
				 1);
		assert_int_equal(irr_set(vm, 0x50), 0x2);
		assert_int_equal(vcpu_of(vm, 1)->arch.apic_arb_prio, 4);
		assert_int_equal(send(vm, 0, APIC_DM_LOWEST | icr | 0x51, 0xF),
				 1);
		assert_int_equal(irr_set(vm, 0x51), 0x8);
		assert_int_equal(send(vm, 0, APIC_DM_LOWEST | icr | 0x52, 0xF),
				 1);
		assert_int_equal(irr_set(vm, 0x52), 0x2);
		for (unsigned int i = 0; i < 4; i++)
			for (int vec = 0x50; vec < 0x53; vec++)
				kvm_lapic_clear_vector(
					vec, (char *)test_apic(vm, i)->regs +
						     APIC_IRR);
	}
	x2s_vm_destroy(vm);
}

static void test_lowest_priority_phys_0xff_becomes_fixed(void **state)
{
	struct x2s_vm *vm = vm_mode(3, X2S_APIC_MODE_XAPIC);

	/* xAPIC 0xFF is a broadcast: the loop turns lowest into fixed. */
	assert_int_equal(send(vm, 0, APIC_DM_LOWEST | VEC, 0xFF), 3);
	assert_int_equal(irr_set(vm, VEC), 0x7);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vcpu_of(vm, i)->arch.apic_arb_prio, 0);
	x2s_vm_destroy(vm);
}

/* ---- shorthands and broadcast ---- */

static void test_self_ipi_shorthand(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	int r;

	assert_true(map_handles(vm, 2, APIC_DEST_SELF | VEC, 0, &r));
	assert_int_equal(r, 1);
	/* The destination field is ignored. */
	assert_int_equal(send(vm, 2, APIC_DEST_SELF | VEC, 0), 1);
	assert_int_equal(irr_set(vm, VEC), 0x4);
	/* Even logical mode with an empty mask. */
	assert_int_equal(
		send(vm, 1, APIC_DEST_SELF | APIC_DEST_LOGICAL | 0x46, 0), 1);
	assert_int_equal(irr_set(vm, 0x46), 0x2);
	x2s_vm_destroy(vm);
}

static void test_physical_broadcast_reaches_sender(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	struct x2s_vm *xvm = vm_mode(3, X2S_APIC_MODE_XAPIC);

	assert_int_equal(send(vm, 1, VEC, X2APIC_BROADCAST), 3);
	assert_int_equal(irr_set(vm, VEC), 0x7);
	assert_int_equal(send(xvm, 1, VEC, 0xFF), 3);
	assert_int_equal(irr_set(xvm, VEC), 0x7);
	/* Logical broadcast too. */
	assert_int_equal(send(xvm, 1, APIC_DEST_LOGICAL | 0x47, 0xFF), 3);
	assert_int_equal(irr_set(xvm, 0x47), 0x7);
	x2s_vm_destroy(vm);
	x2s_vm_destroy(xvm);
}

/* ---- logical destinations ---- */

static void test_xapic_logical_flat(void **state)
{
	struct x2s_vm *vm = vm_mode(4, X2S_APIC_MODE_XAPIC);

	for (unsigned int i = 0; i < 4; i++) {
		assert_ok(x2s_vcpu_set_dfr(vm, i, APIC_DFR_FLAT));
		assert_ok(x2s_vcpu_set_ldr(vm, i, (1u << i) << 24));
	}
	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_XAPIC_FLAT);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | VEC, 0x05), 2);
	assert_int_equal(irr_set(vm, VEC), 0x5);
	assert_int_equal(send(vm, 3, APIC_DEST_LOGICAL | 0x46, 0x08), 1);
	assert_int_equal(irr_set(vm, 0x46), 0x8);
	/* No LDR has bit 4..7: nobody. */
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x47, 0x30), 0);
	x2s_vm_destroy(vm);
}

static void test_xapic_logical_cluster(void **state)
{
	struct x2s_vm *vm = vm_mode(4, X2S_APIC_MODE_XAPIC);
	static const u32 ldr[4] = { 0x11, 0x12, 0x21, 0x22 };

	for (unsigned int i = 0; i < 4; i++) {
		assert_ok(x2s_vcpu_set_dfr(vm, i, APIC_DFR_CLUSTER));
		assert_ok(x2s_vcpu_set_ldr(vm, i, ldr[i] << 24));
	}
	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_XAPIC_CLUSTER);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | VEC, 0x13), 2);
	assert_int_equal(irr_set(vm, VEC), 0x3);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x46, 0x22), 1);
	assert_int_equal(irr_set(vm, 0x46), 0x8);
	/* Cluster 3 is empty. */
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x47, 0x3F), 0);
	x2s_vm_destroy(vm);
}

static void test_xapic_logical_id_aliases_disable_logical_map(void **state)
{
	struct x2s_vm *vm = vm_mode(3, X2S_APIC_MODE_XAPIC);
	int r;

	assert_ok(x2s_vcpu_set_ldr(vm, 0, 0x01u << 24));
	assert_ok(x2s_vcpu_set_ldr(vm, 1, 0x01u << 24));
	assert_ok(x2s_vcpu_set_ldr(vm, 2, 0x06u << 24)); /* two bits */
	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_MAP_DISABLED);
	assert_false(map_handles(vm, 0, APIC_DEST_LOGICAL | VEC, 0x1, &r));
	/* The loop delivers to every alias. */
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | VEC, 0x01), 2);
	assert_int_equal(irr_set(vm, VEC), 0x3);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x46, 0x02), 1);
	assert_int_equal(irr_set(vm, 0x46), 0x4);
	x2s_vm_destroy(vm);
}

static void test_x2apic_cluster_ipi(void **state)
{
	struct x2s_vm *vm = test_vm_new(20);

	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_X2APIC);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | VEC, 0x10003), 2);
	assert_true(test_irr(vm, 16, VEC) && test_irr(vm, 17, VEC));
	assert_int_equal(send(vm, 5, APIC_DEST_LOGICAL | 0x46, 0x8001), 2);
	assert_int_equal(irr_set(vm, 0x46), 0x8001);
	/* Cluster 1 has IDs 16..19 only; cluster 2 is empty. */
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x47, 0x1FFFF), 4);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | 0x48, 0x2FFFF), 0);
	for (unsigned int i = 0; i < 20; i++)
		assert_int_equal(test_irr(vm, i, 0x47), i >= 16);
	x2s_vm_destroy(vm);
}

/* ---- mixed modes and aliasing ---- */

static void test_mixed_mode_physical(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);

	assert_ok(x2s_vcpu_set_apic_mode(vm, 2, X2S_APIC_MODE_XAPIC));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 9));
	assert_non_null(kvm_of(vm)->arch.apic_map);
	/* x2APIC sender -> xAPIC target by its xAPIC ID, and back. */
	assert_int_equal(send(vm, 0, VEC, 9), 1);
	assert_int_equal(irr_set(vm, VEC), 0x4);
	assert_int_equal(send(vm, 2, 0x46, 1), 1);
	assert_int_equal(irr_set(vm, 0x46), 0x2);
	/* The x2APIC ID of the xAPIC vCPU does not address it. */
	assert_int_equal(send(vm, 0, 0x47, 2), 0);
	x2s_vm_destroy(vm);
}

static void test_x2apic_sender_phys_0xff_is_not_broadcast(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	int r;

	assert_ok(x2s_vcpu_set_apic_mode(vm, 2, X2S_APIC_MODE_XAPIC));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 9));
	/*
	 * The map answers for an x2APIC sender (0xFF is just an ID) and
	 * nobody has it, although the loop would take it as a broadcast
	 * for the xAPIC vCPU: KVM's answer is the map's.
	 */
	assert_true(map_handles(vm, 0, APIC_DM_NMI, 0xFF, &r));
	assert_int_equal(send(vm, 0, APIC_DM_NMI, 0xFF), 0);
	assert_int_equal(nmi_set(vm), 0);
	/*
	 * From the xAPIC vCPU it is a broadcast (the map declines), but in
	 * the loop only xAPIC-mode targets read 0xFF as one: the sender.
	 */
	assert_false(map_handles(vm, 2, APIC_DM_NMI, 0xFF, &r));
	assert_int_equal(send(vm, 2, APIC_DM_NMI, 0xFF), 1);
	assert_int_equal(nmi_set(vm), 0x4);
	x2s_vm_destroy(vm);
}

static void test_mixed_mode_logical_uses_loop(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	int r;

	assert_ok(x2s_vcpu_set_apic_mode(vm, 2, X2S_APIC_MODE_XAPIC));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 9));
	assert_ok(x2s_vcpu_set_ldr(vm, 2, 0x02u << 24));
	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_MAP_DISABLED);
	assert_false(map_handles(vm, 0, APIC_DEST_LOGICAL | VEC, 0x2, &r));
	/* mda 2: x2APIC vCPU 1 (cluster 0 bit 1) and xAPIC vCPU 2 (flat). */
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | VEC, 0x2), 2);
	assert_int_equal(irr_set(vm, VEC), 0x6);
	x2s_vm_destroy(vm);
}

static void test_aliased_xapic_ids_disable_map(void **state)
{
	struct x2s_vm *vm = vm_mode(3, X2S_APIC_MODE_XAPIC);
	int r;

	assert_ok(x2s_vcpu_set_xapic_id(vm, 1, 5));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 5));
	assert_null(kvm_of(vm)->arch.apic_map);
	assert_false(map_handles(vm, 0, VEC, 5, &r));
	assert_int_equal(send(vm, 0, VEC, 5), 2);
	assert_int_equal(irr_set(vm, VEC), 0x6);
	/* Un-aliasing brings the map back. */
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 6));
	assert_non_null(kvm_of(vm)->arch.apic_map);
	x2s_vm_destroy(vm);
}

static void test_aliased_xapic_ids_with_x2apic_format(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;

	x2s_vm_config_init(&cfg, 3);
	cfg.apic_mode = X2S_APIC_MODE_XAPIC;
	cfg.x2apic_format = true;
	vm = test_vm_new_cfg(&cfg);
	assert_ok(x2s_vcpu_set_xapic_id(vm, 1, 5));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 5));
	assert_non_null(kvm_of(vm)->arch.apic_map);
	/* The map keeps the first vCPU with the ID and KVM uses it. */
	assert_int_equal(send(vm, 0, VEC, 5), 1);
	assert_int_equal(irr_set(vm, VEC), 0x2);
	x2s_vm_destroy(vm);
}

static void test_logical_ipi_with_all_apics_sw_disabled(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	int r;

	x2s_vm_config_init(&cfg, 4);
	cfg.sw_enabled = false;
	vm = test_vm_new_cfg(&cfg);
	assert_int_equal(kvm_of(vm)->arch.apic_map->logical_mode,
			 KVM_APIC_MODE_SW_DISABLED);
	/* The map handles logical IPIs and finds nobody, NMI included. */
	assert_true(
		map_handles(vm, 0, APIC_DEST_LOGICAL | APIC_DM_NMI, 0xF, &r));
	assert_int_equal(r, 0);
	assert_int_equal(send(vm, 0, APIC_DEST_LOGICAL | APIC_DM_NMI, 0xF), 0);
	assert_int_equal(nmi_set(vm), 0);
	/* Physical NMIs still arrive. */
	assert_int_equal(send(vm, 0, APIC_DM_NMI, 3), 1);
	assert_int_equal(nmi_set(vm), 0x8);
	x2s_vm_destroy(vm);
}

static void test_hotplug_hack_with_x2apic_format(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;

	x2s_vm_config_init(&cfg, 301);
	cfg.x2apic_format = true;
	vm = test_vm_new_cfg(&cfg);
	/* A "hotplugged" vCPU 300 still in xAPIC mode (xAPIC ID 300 & 0xff). */
	assert_ok(x2s_vcpu_set_apic_mode(vm, 300, X2S_APIC_MODE_XAPIC));
	assert_non_null(kvm_of(vm)->arch.apic_map);
	assert_int_equal(send(vm, 0, APIC_DM_NMI, 300), 1);
	assert_int_equal(vcpu_of(vm, 300)->arch.nmi_pending, 1);
	assert_int_equal(kvm_apic_match_dest(vcpu_of(vm, 300), test_apic(vm, 0),
					     APIC_DEST_NOSHORT, 300,
					     APIC_DEST_PHYSICAL),
			 true);
	x2s_vm_destroy(vm);
}

/* ---- ends of the pipeline ---- */

static void test_ipi_through_icr_msr(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	u64 icr = ((u64)1 << 32) | APIC_INT_ASSERT | VEC;
	u64 back;

	assert_int_equal(x2s_msr_write(vm, 0, 0x830, icr, false), 0);
	assert_true(test_irr(vm, 1, VEC));
	assert_int_equal(x2s_msr_read(vm, 0, 0x830, &back, false), 0);
	assert_int_equal(back, icr);
	x2s_vm_destroy(vm);
}

static void test_ipi_through_xapic_icr(void **state)
{
	struct x2s_vm *vm = vm_mode(2, X2S_APIC_MODE_XAPIC);
	struct kvm_lapic *apic = test_apic(vm, 0);

	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ICR2, 1u << 24), 0);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ICR, VEC), 0);
	assert_true(test_irr(vm, 1, VEC));
	x2s_vm_destroy(vm);
}

static void test_apicv_posts_to_pir(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct pi_desc *pi;

	x2s_vm_config_init(&cfg, 2);
	cfg.apicv = true;
	vm = test_vm_new_cfg(&cfg);
	pi = &to_vmx(vcpu_of(vm, 1))->pi_desc;
	vcpu_of(vm, 1)->requests = 0;
	assert_int_equal(send(vm, 0, VEC, 1), 1);
	assert_true(pi->pir[VEC / 32] & (1u << (VEC % 32)));
	assert_true(pi->on);
	assert_false(test_irr(vm, 1, VEC));
	assert_false(kvm_test_request(KVM_REQ_EVENT, vcpu_of(vm, 1)));
	/* A second post of the same vector changes nothing. */
	assert_int_equal(send(vm, 0, VEC, 1), 1);
	assert_int_equal(pi->pir[VEC / 32], 1u << (VEC % 32));
	x2s_vm_destroy(vm);
}

static void test_dest_map_records_receivers(void **state)
{
	struct x2s_vm *vm = test_vm_new(4);
	static struct dest_map dm;
	struct kvm_lapic_irq irq;

	memset(&dm, 0, sizeof(dm));
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_DEST_LOGICAL | VEC, 0xA,
			     &irq);
	assert_int_equal(kvm_irq_delivery_to_apic(kvm_of(vm), test_apic(vm, 0),
						  &irq, &dm),
			 2);
	assert_int_equal(dm.map[0], 0xA);
	assert_int_equal(dm.vectors[1], VEC);
	assert_int_equal(dm.vectors[3], VEC);
	x2s_vm_destroy(vm);
}

static void test_icr_to_lapic_irq_decodes_fields(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_vm *xvm = vm_mode(1, X2S_APIC_MODE_XAPIC);
	struct kvm_lapic_irq irq;
	u32 low = APIC_DEST_ALLBUT | APIC_INT_LEVELTRIG | APIC_INT_ASSERT |
		  APIC_DEST_LOGICAL | APIC_DM_NMI | 0xab;

	kvm_icr_to_lapic_irq(test_apic(vm, 0), low, 0x12345678, &irq);
	assert_int_equal(irq.vector, 0xab);
	assert_int_equal(irq.delivery_mode, APIC_DM_NMI);
	assert_int_equal(irq.dest_mode, APIC_DEST_LOGICAL);
	assert_true(irq.level);
	assert_int_equal(irq.trig_mode, APIC_INT_LEVELTRIG);
	assert_int_equal(irq.shorthand, APIC_DEST_ALLBUT);
	assert_int_equal(irq.dest_id, 0x12345678);
	kvm_icr_to_lapic_irq(test_apic(xvm, 0), low, 0x12345678, &irq);
	assert_int_equal(irq.dest_id, 0x12);
	assert_no_warn();
	/* BUSY must have been cleared by the caller. */
	kvm_icr_to_lapic_irq(test_apic(vm, 0), APIC_ICR_BUSY, 0, &irq);
	assert_int_equal(x2s_warn_count(), 1);
	x2s_warn_reset();
	x2s_vm_destroy(vm);
	x2s_vm_destroy(xvm);
}

static void test_4096_vcpus_physical_and_broadcast(void **state)
{
	struct x2s_vm *vm = test_vm_new(4096);
	unsigned int n = 0;

	assert_int_equal(kvm_of(vm)->arch.apic_map->max_apic_id, 4095);
	assert_int_equal(send(vm, 7, VEC, 4095), 1);
	for (unsigned int i = 0; i < 4096; i++)
		n += test_irr(vm, i, VEC);
	assert_int_equal(n, 1);
	assert_true(test_irr(vm, 4095, VEC));

	assert_int_equal(send(vm, 7, 0x46, X2APIC_BROADCAST), 4096);
	for (unsigned int i = 0; i < 4096; i++)
		assert_true(test_irr(vm, i, 0x46));
	/* Logical: cluster 255 is IDs 4080..4095. */
	assert_int_equal(send(vm, 7, APIC_DEST_LOGICAL | 0x47, 0xFF8000), 1);
	assert_true(test_irr(vm, 4095, 0x47));
	x2s_vm_destroy(vm);
}

/* ---- the map is rebuilt where KVM rebuilds it, read as it is ---- */

/*
 * A map left dirty by a writer that did not rebuild it is a WARN at
 * delivery, which then reads the map as it is: the stale entry still
 * routes the IPI, as it would in a KVM with that bug.
 */
static void test_stale_map_at_delivery_warns_and_is_used(void **state)
{
	struct x2s_vm *vm = vm_mode(2, X2S_APIC_MODE_XAPIC);
	struct kvm *kvm = kvm_of(vm);

	assert_ok(x2s_vcpu_set_sw_enabled(vm, 1, true));
	assert_false(kvm->arch.apic_map_dirty);
	/* vCPU 1 moves to xAPIC ID 5 behind the map's back. */
	kvm_lapic_set_reg(test_apic(vm, 1), APIC_ID, 5u << 24);
	kvm_apic_map_mark_dirty(kvm);
	x2s_warn_reset();
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | VEC, 1), 1);
	assert_true(test_irr(vm, 1, VEC));
	assert_int_equal(x2s_warn_count(), 1);
	assert_true(kvm->arch.apic_map_dirty);
	x2s_warn_reset();
	/* Rebuilt, the map knows ID 5 and not 1. */
	kvm_recalculate_apic_map(kvm);
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | (VEC + 1), 5), 1);
	assert_true(test_irr(vm, 1, VEC + 1));
	/* An empty slot of the map: handled, nobody takes it. */
	assert_int_equal(send(vm, 0, APIC_DM_FIXED | (VEC + 2), 1), 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/*
 * kvm_recalculate_apic_map() runs where KVM calls it: vCPU creation, ID,
 * LDR, DFR and SVR writes, APIC_BASE writes (mode changes), INIT and
 * state restore; none of them leaves the map dirty.
 */
static void test_map_rebuilt_at_every_kvm_rebuild_point(void **state)
{
	struct x2s_vm *vm = vm_mode(2, X2S_APIC_MODE_XAPIC);
	struct kvm *kvm = kvm_of(vm);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 1);
	struct kvm_lapic *apic = test_apic(vm, 1);
	struct x2s_vcpu_state st;
	struct x2s_exit_result res;
	u64 base = vcpu->arch.apic_base;

	assert_false(kvm->arch.apic_map_dirty);
	assert_ok(x2s_vcpu_save(vm, 1, &st));
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ID, 3u << 24), 0);
	assert_false(kvm->arch.apic_map_dirty);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_LDR, 1u << 25), 0);
	assert_false(kvm->arch.apic_map_dirty);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_DFR, APIC_DFR_CLUSTER),
			 0);
	assert_false(kvm->arch.apic_map_dirty);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_SPIV, 0x1ff), 0);
	assert_false(kvm->arch.apic_map_dirty);
	/* Disabled, then back to xAPIC, then x2APIC. */
	assert_int_equal(kvm_apic_set_base(vcpu, 0, true), 0);
	assert_false(kvm->arch.apic_map_dirty);
	assert_int_equal(kvm_apic_set_base(vcpu, base, false), 0);
	assert_false(kvm->arch.apic_map_dirty);
	assert_int_equal(kvm_apic_set_base(vcpu, base | X2APIC_ENABLE, false),
			 0);
	assert_false(kvm->arch.apic_map_dirty);
	/* One vCPU's state put back (KVM_SET_LAPIC and friends). */
	assert_ok(x2s_vcpu_restore(vm, 1, &st));
	assert_false(kvm->arch.apic_map_dirty);
	/* INIT from vCPU 0 resets vCPU 1's APIC at its next entry. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, 0x1b, base, &res));
	assert_ok(x2s_vcpu_set_sw_enabled(vm, 0, true));
	assert_int_equal(send(vm, 0, APIC_DM_INIT | APIC_INT_ASSERT, 1), 1);
	assert_int_equal(kvm_apic_accept_events(vcpu), 0);
	assert_int_equal(vcpu->arch.mp_state, KVM_MP_STATE_INIT_RECEIVED);
	assert_false(kvm->arch.apic_map_dirty);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_table),
		cmocka_unit_test(test_fixed_dropped_by_sw_disabled_apic),
		cmocka_unit_test(test_nmi_reaches_sw_disabled_apic),
		cmocka_unit_test(test_hw_disabled_apic_receives_nothing),
		cmocka_unit_test(test_absent_destination_is_dropped),
		cmocka_unit_test(test_destination_above_max_handled_by_map),
		cmocka_unit_test(test_map_declines),
		cmocka_unit_test(test_level_triggered_fixed_sets_tmr),
		cmocka_unit_test(test_level_deassert_fixed_is_dropped),
		cmocka_unit_test(test_illegal_vectors_are_delivered),
		cmocka_unit_test(test_init_deassert_ignored_sipi_twice),
		cmocka_unit_test(test_lowest_priority_vector_hashing),
		cmocka_unit_test(
			test_lowest_priority_arbitration_without_hashing),
		cmocka_unit_test(test_lowest_priority_phys_0xff_becomes_fixed),
		cmocka_unit_test(test_self_ipi_shorthand),
		cmocka_unit_test(test_physical_broadcast_reaches_sender),
		cmocka_unit_test(test_xapic_logical_flat),
		cmocka_unit_test(test_xapic_logical_cluster),
		cmocka_unit_test(
			test_xapic_logical_id_aliases_disable_logical_map),
		cmocka_unit_test(test_x2apic_cluster_ipi),
		cmocka_unit_test(test_mixed_mode_physical),
		cmocka_unit_test(test_x2apic_sender_phys_0xff_is_not_broadcast),
		cmocka_unit_test(test_mixed_mode_logical_uses_loop),
		cmocka_unit_test(test_aliased_xapic_ids_disable_map),
		cmocka_unit_test(test_aliased_xapic_ids_with_x2apic_format),
		cmocka_unit_test(test_logical_ipi_with_all_apics_sw_disabled),
		cmocka_unit_test(test_hotplug_hack_with_x2apic_format),
		cmocka_unit_test(test_ipi_through_icr_msr),
		cmocka_unit_test(test_ipi_through_xapic_icr),
		cmocka_unit_test(test_apicv_posts_to_pir),
		cmocka_unit_test(test_dest_map_records_receivers),
		cmocka_unit_test(test_icr_to_lapic_irq_decodes_fields),
		cmocka_unit_test(test_4096_vcpus_physical_and_broadcast),
		cmocka_unit_test(test_stale_map_at_delivery_warns_and_is_used),
		cmocka_unit_test(test_map_rebuilt_at_every_kvm_rebuild_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
