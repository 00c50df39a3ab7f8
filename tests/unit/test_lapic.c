// SPDX-License-Identifier: GPL-2.0-only
/*
 * LAPIC register model (src/lapic/lapic.c) against the SDM's register
 * tables and upstream KVM 6.18 behaviour.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define NR_TEST_VCPUS 4

/* ---- fixtures ---- */

static int setup_vm(void **state, enum x2s_apic_mode mode, bool split)
{
	struct x2s_vm_config cfg;

	x2s_vm_config_init(&cfg, NR_TEST_VCPUS);
	cfg.apic_mode = mode;
	cfg.x2apic_icr_is_split = split;
	*state = test_vm_new_cfg(&cfg);
	return 0;
}

static int setup_x2apic(void **state)
{
	return setup_vm(state, X2S_APIC_MODE_X2APIC, false);
}

static int setup_x2apic_split(void **state)
{
	return setup_vm(state, X2S_APIC_MODE_X2APIC, true);
}

static int setup_xapic(void **state)
{
	return setup_vm(state, X2S_APIC_MODE_XAPIC, false);
}

static int teardown_vm(void **state)
{
	x2s_vm_destroy(*state);
	return 0;
}

static struct kvm_vcpu *vcpu_of(void **state, unsigned int i)
{
	return x2s_vm_vcpu(*state, i);
}

static struct kvm_lapic *apic_of(void **state, unsigned int i)
{
	return vcpu_of(state, i)->arch.apic;
}

static u32 reg(void **state, unsigned int i, int off)
{
	return kvm_lapic_get_reg(apic_of(state, i), off);
}

static u64 rdmsr_ok(struct kvm_vcpu *vcpu, u32 msr)
{
	u64 v = 0xdeadbeefdeadbeefULL;

	assert_int_equal(kvm_x2apic_msr_read(vcpu, msr, &v), 0);
	return v;
}

/* Put vec in service on vCPU i the way an injected interrupt gets there. */
static void make_in_service(void **state, unsigned int i, int vec)
{
	kvm_apic_set_irr_vector(apic_of(state, i), vec);
	assert_int_equal(kvm_get_apic_interrupt(vcpu_of(state, i)), vec);
}

/* ---- x2APIC MSR map: SDM vol. 3 table 11-6, as KVM implements it ---- */

#define R 1u /* RDMSR works */
#define W 2u /* WRMSR works */
#define RW (R | W)

static const struct {
	u32 msr;
	unsigned int access;
	u32 ok_val; /* a value the write accepts (bits 31:0) */
} x2apic_regs[] = {
	{ 0x802, R, 0 },      /* ID */
	{ 0x803, R, 0 },      /* version */
	{ 0x808, RW, 0x10 },  /* TPR */
	{ 0x80a, R, 0 },      /* PPR */
	{ 0x80b, W, 0 },      /* EOI */
	{ 0x80d, R, 0 },      /* LDR */
	{ 0x80f, RW, 0x1ff }, /* SVR */
	{ 0x810, R, 0 },      /* ISR 0-7 */
	{ 0x811, R, 0 },	{ 0x812, R, 0 },  { 0x813, R, 0 },
	{ 0x814, R, 0 },	{ 0x815, R, 0 },  { 0x816, R, 0 },
	{ 0x817, R, 0 },	{ 0x818, R, 0 }, /* TMR 0-7 */
	{ 0x819, R, 0 },	{ 0x81a, R, 0 },  { 0x81b, R, 0 },
	{ 0x81c, R, 0 },	{ 0x81d, R, 0 },  { 0x81e, R, 0 },
	{ 0x81f, R, 0 },	{ 0x820, R, 0 }, /* IRR 0-7 */
	{ 0x821, R, 0 },	{ 0x822, R, 0 },  { 0x823, R, 0 },
	{ 0x824, R, 0 },	{ 0x825, R, 0 },  { 0x826, R, 0 },
	{ 0x827, R, 0 },	{ 0x828, RW, 0 }, /* ESR */
	{ 0x830, RW, 0x40 },	/* ICR: fixed vector 0x40 to ID 0 */
	{ 0x832, RW, 0x10000 }, /* LVT timer */
	{ 0x833, RW, 0x10000 }, /* LVT thermal */
	{ 0x834, RW, 0x10000 }, /* LVT PMI */
	{ 0x835, RW, 0x10000 }, /* LVT LINT0 */
	{ 0x836, RW, 0x10000 }, /* LVT LINT1 */
	{ 0x837, RW, 0x10000 }, /* LVT error */
	{ 0x838, RW, 0 },	/* timer initial count */
	{ 0x839, R, 0 },	/* timer current count */
	{ 0x83e, RW, 0 },	/* divide configuration */
	{ 0x83f, W, 0x30 },	/* SELF_IPI */
				/*
	 * Everything else #GPs: 0x809 APR, 0x80c RRD, 0x80e DFR and 0x831
	 * ICR2 have no x2APIC form, and 0x82f LVT CMCI is absent because
	 * KVM's default MCG_CAP has no MCG_CMCI_P (see the CMCI test).
	 */
};

static unsigned int x2apic_access(u32 msr, u32 *ok_val)
{
	for (size_t i = 0; i < sizeof(x2apic_regs) / sizeof(x2apic_regs[0]);
	     i++) {
		if (x2apic_regs[i].msr == msr) {
			*ok_val = x2apic_regs[i].ok_val;
			return x2apic_regs[i].access;
		}
	}
	*ok_val = 0;
	return 0;
}

static void test_x2apic_msr_map_matches_sdm_and_kvm(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	for (u32 msr = 0x800; msr <= 0x8ff; msr++) {
		u32 ok_val;
		unsigned int access = x2apic_access(msr, &ok_val);
		u64 v = 0;
		int r;

		r = kvm_x2apic_msr_read(vcpu, msr, &v);
		if ((r == 0) != !!(access & R))
			fail_msg("RDMSR 0x%x returned %d, expected %s", msr, r,
				 access & R ? "success" : "#GP");

		r = kvm_x2apic_msr_write(vcpu, msr, ok_val);
		if ((r == 0) != !!(access & W))
			fail_msg("WRMSR 0x%x returned %d, expected %s", msr, r,
				 access & W ? "success" : "#GP");

		/* Bits 63:32 are reserved everywhere but the 64-bit ICR. */
		r = kvm_x2apic_msr_write(vcpu, msr, BIT_ULL(32) | ok_val);
		if ((r == 0) != (msr == 0x830))
			fail_msg("WRMSR 0x%x with bit 32 returned %d", msr, r);
	}
	assert_no_warn();
}

static void test_x2apic_cmci_msr_exists_only_with_cmci(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u64 v;

	assert_int_equal(kvm_x2apic_msr_read(vcpu, 0x82f, &v), 1);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x82f, 0), 1);
	assert_int_equal(reg(state, 0, APIC_LVR) & 0xff0000, 5 << 16);

	x2s_apic_set_cmci(vcpu, true);
	assert_int_equal(reg(state, 0, APIC_LVR) & 0xff0000, 6 << 16);
	/* A newly exposed LVT starts masked. */
	assert_int_equal(rdmsr_ok(vcpu, 0x82f), APIC_LVT_MASKED);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x82f, 0xffffffff), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x82f), 0x117ff);
}

static void test_x2apic_msrs_gp_outside_x2apic_mode(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	for (u32 msr = 0x800; msr <= 0x8ff; msr++) {
		u64 v;

		assert_int_equal(kvm_x2apic_msr_read(vcpu, msr, &v), 1);
		assert_int_equal(kvm_x2apic_msr_write(vcpu, msr, 0), 1);
	}
}

static void test_x2apic_msrs_gp_without_in_kernel_lapic(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	u64 v;

	(void)state;
	x2s_vm_config_init(&cfg, 1);
	cfg.lapic_in_kernel = false;
	vm = test_vm_new_cfg(&cfg);
	assert_int_equal(kvm_x2apic_msr_read(x2s_vm_vcpu(vm, 0), 0x802, &v), 1);
	assert_int_equal(kvm_x2apic_msr_write(x2s_vm_vcpu(vm, 0), 0x830, 0x40),
			 1);
	x2s_vm_destroy(vm);
}

/* ---- reset state ---- */

static void test_power_on_reset_matches_kvm(void **state)
{
	static const int lvts[] = { APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC,
				    APIC_LVT1, APIC_LVTERR };

	for (unsigned int i = 0; i < 2; i++) {
		struct kvm_vcpu *vcpu = vcpu_of(state, i);
		struct kvm_lapic *apic = vcpu->arch.apic;

		/* Dirty the x2APIC-mode APIC, then RESET it. */
		make_in_service(state, i, 0x61);
		kvm_apic_set_irr_vector(apic, 0x30);
		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x808, 0x20), 0);
		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x835, 0x41), 0);
		assert_int_equal(
			kvm_x2apic_msr_write(vcpu, 0x830, (3ULL << 32) | 0x22),
			0);
		kvm_lapic_reset(vcpu, false);

		/* xAPIC mode at the default base, BSP flag on vCPU 0. */
		assert_int_equal(vcpu->arch.apic_base,
				 0xfee00800u | (i == 0 ? 0x100u : 0));
		assert_int_equal(apic->base_address, 0xfee00000u);
		assert_int_equal(reg(state, i, APIC_ID), i << 24);
		/* 6 LVTs (max index 5), directed EOI (no in-kernel IOAPIC) */
		assert_int_equal(reg(state, i, APIC_LVR), 0x01050014);
		assert_int_equal(reg(state, i, APIC_SPIV), 0xff);
		assert_false(apic->sw_enabled);
		assert_int_equal(reg(state, i, APIC_DFR), 0xffffffff);
		assert_int_equal(reg(state, i, APIC_LDR), 0);
		assert_int_equal(reg(state, i, APIC_TASKPRI), 0);
		assert_int_equal(reg(state, i, APIC_PROCPRI), 0);
		assert_int_equal(reg(state, i, APIC_ICR), 0);
		assert_int_equal(reg(state, i, APIC_ICR2), 0);
		for (size_t l = 0; l < sizeof(lvts) / sizeof(lvts[0]); l++)
			assert_int_equal(reg(state, i, lvts[l]),
					 APIC_LVT_MASKED);
		/* KVM_X86_QUIRK_LINT0_REENABLED: BSP LINT0 is ExtINT. */
		assert_int_equal(reg(state, i, APIC_LVT0),
				 i == 0 ? APIC_DM_EXTINT : APIC_LVT_MASKED);
		assert_int_equal(test_irr_count(*state, i), 0);
		assert_false(test_isr(*state, i, 0x61));
		assert_int_equal(apic->highest_isr_cache, -1);
		assert_int_equal(apic->isr_count, 0);
	}
	/* CMCI is not an LVT of these vCPUs: never written. */
	assert_int_equal(reg(state, 1, APIC_LVTCMCI), 0);
	assert_no_warn();
}

/* ---- APIC_BASE ---- */

#define B_DIS 0ULL
#define B_X (0ULL | MSR_IA32_APICBASE_ENABLE)
#define B_X2 (0ULL | MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)
#define B_INV (0ULL | X2APIC_ENABLE)

static const struct {
	u64 from, to;
	int guest, host; /* kvm_apic_set_base() result */
} apic_base_transitions[] = {
	{ B_DIS, B_DIS, 0, 0 }, { B_DIS, B_X, 0, 0 },
	{ B_DIS, B_X2, 1, 0 },	/* must go through xAPIC */
	{ B_DIS, B_INV, 1, 1 }, /* EXTD without EN */
	{ B_X, B_DIS, 0, 0 },	{ B_X, B_X, 0, 0 },
	{ B_X, B_X2, 0, 0 },	{ B_X, B_INV, 1, 1 },
	{ B_X2, B_DIS, 0, 0 },	{ B_X2, B_X, 1, 0 }, /* x2APIC -> xAPIC */
	{ B_X2, B_X2, 0, 0 },	{ B_X2, B_INV, 1, 1 },
};

static void test_apic_base_transitions(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 1);
	u64 base = APIC_DEFAULT_PHYS_BASE;

	for (size_t i = 0; i < sizeof(apic_base_transitions) /
				       sizeof(apic_base_transitions[0]);
	     i++) {
		for (int host = 0; host <= 1; host++) {
			u64 from = base | apic_base_transitions[i].from;
			u64 to = base | apic_base_transitions[i].to;
			int want = host ? apic_base_transitions[i].host :
					  apic_base_transitions[i].guest;
			int r;

			/* Reach "from" legally: disabled first, then up. */
			assert_int_equal(kvm_apic_set_base(vcpu, base, true),
					 0);
			assert_int_equal(kvm_apic_set_base(vcpu, from, true),
					 0);
			r = kvm_apic_set_base(vcpu, to, host);
			if (r != want)
				fail_msg("APIC_BASE 0x%llx -> 0x%llx (%s): %d, "
					 "expected %d",
					 (unsigned long long)from,
					 (unsigned long long)to,
					 host ? "host" : "guest", r, want);
			assert_int_equal(kvm_get_apic_base(vcpu),
					 r ? from : to);
		}
	}
	assert_no_warn();
}

static void test_apic_base_reserved_bits(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 1);
	u64 cur = kvm_get_apic_base(vcpu);

	for (int bit = 0; bit < 64; bit++) {
		bool reserved =
			bit < 8 || bit == 9 || bit >= X2S_GUEST_MAXPHYADDR;
		/* EN and EXTD are mode bits; flipping them is another test. */
		if (bit == 10 || bit == 11)
			continue;
		assert_int_equal(
			kvm_apic_set_base(vcpu, cur ^ BIT_ULL(bit), false),
			reserved ? 1 : 0);
		if (!reserved)
			assert_int_equal(kvm_apic_set_base(vcpu, cur, false),
					 0);
		assert_int_equal(kvm_get_apic_base(vcpu), cur);
	}
}

static void test_apic_base_mode_changes_set_ids(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 3);
	struct kvm_lapic *apic = vcpu->arch.apic;
	u64 base = APIC_DEFAULT_PHYS_BASE;

	/* Enabling from disabled restores the xAPIC ID from vcpu_id. */
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ID, 0x7 << 24), 0);
	assert_int_equal(kvm_apic_set_base(vcpu, base, false), 0);
	assert_int_equal(kvm_apic_set_base(vcpu, base | B_X, false), 0);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ID), 3 << 24);

	/* Entering x2APIC: ID = vcpu_id, LDR from the ID. */
	assert_int_equal(kvm_apic_set_base(vcpu, base | B_X2, false), 0);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ID), 3);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_LDR), 1u << 3);

	/* Host x2APIC -> xAPIC: xAPIC ID again, LDR left as it was. */
	assert_int_equal(kvm_apic_set_base(vcpu, base | B_X, true), 0);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ID), 3 << 24);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_LDR), 1u << 3);

	/* The MMIO window follows the base. */
	assert_int_equal(kvm_apic_set_base(vcpu, 0xfed00000ULL | B_X, false),
			 0);
	assert_int_equal(apic->base_address, 0xfed00000u);
	assert_no_warn();
}

/* ---- ICR ---- */

static void test_icr_reads_back_written_value_minus_busy(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	for (u32 vec = 0; vec < 256; vec++) {
		/* Fixed, physical, to vCPU 2, with BUSY set by the guest. */
		u64 data = (2ULL << 32) | APIC_ICR_BUSY | vec;

		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x830, data), 0);
		assert_int_equal(rdmsr_ok(vcpu, 0x830), data & ~APIC_ICR_BUSY);
		assert_int_equal(kvm_x2apic_icr_read(vcpu->arch.apic),
				 data & ~APIC_ICR_BUSY);
	}
	/* KVM has no ESR for IPIs: vectors 0-15 arrive like the rest. */
	assert_int_equal(test_irr_count(*state, 2), 256);
	assert_no_warn();
}

static const int icr_reserved_bits[] = { 13, 16, 17, 20, 21, 22, 23, 24,
					 25, 26, 27, 28, 29, 30, 31 };

static void test_icr_reserved_bit_gp_sends_and_stores_nothing(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	const u64 before = (1ULL << 32) | 0x31;

	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x830, before), 0);
	assert_true(test_irr(*state, 1, 0x31));

	for (size_t i = 0; i < sizeof(icr_reserved_bits) / sizeof(int); i++) {
		u64 data = (1ULL << 32) | 0x77 | BIT_ULL(icr_reserved_bits[i]);

		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x830, data), 1);
		assert_int_equal(kvm_x2apic_icr_write(vcpu->arch.apic, data),
				 1);
		assert_int_equal(
			kvm_x2apic_icr_write_fast(vcpu->arch.apic, data), 1);
		assert_int_equal(rdmsr_ok(vcpu, 0x830), before);
		assert_false(test_irr(*state, 1, 0x77));
		assert_int_equal(test_irr_count(*state, 1), 1);
	}
	assert_no_warn();
}

static void test_icr_write_fast_stores_like_slow(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 0);
	u64 data = (3ULL << 32) | APIC_ICR_BUSY | 0x66;

	assert_int_equal(kvm_x2apic_icr_write_fast(apic, data), 0);
	assert_true(test_irr(*state, 3, 0x66));
	assert_int_equal(kvm_x2apic_icr_read(apic), data & ~APIC_ICR_BUSY);
	/* Shorthand "all including self" is not the map's: slow path. */
	data = APIC_DEST_ALLINC | 0x67;
	assert_int_equal(kvm_x2apic_icr_write_fast(apic, data), -EWOULDBLOCK);
	assert_false(test_irr(*state, 0, 0x67));
	assert_int_equal(kvm_x2apic_icr_read(apic), (3ULL << 32) | 0x66);
	assert_no_warn();
}

static void test_icr_is_one_64bit_register_on_vmx(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 0);
	u64 data = (1ULL << 32) | 0x45;

	kvm_lapic_set_reg(apic, APIC_ICR2, 0xabcd0000);
	assert_int_equal(kvm_x2apic_msr_write(vcpu_of(state, 0), 0x830, data),
			 0);
	assert_int_equal(kvm_lapic_get_reg64(apic, APIC_ICR), data);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ICR + 4), 1);
	/* ICR2's slot is not part of the x2APIC ICR. */
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ICR2), 0xabcd0000);
}

static void test_icr_split_storage(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 0);
	u64 data = (2ULL << 32) | APIC_ICR_BUSY | 0x45;

	assert_int_equal(kvm_x2apic_msr_write(vcpu_of(state, 0), 0x830, data),
			 0);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ICR), 0x45);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ICR + 4), 0);
	assert_int_equal(kvm_lapic_get_reg(apic, APIC_ICR2), 2);
	assert_int_equal(rdmsr_ok(vcpu_of(state, 0), 0x830),
			 data & ~APIC_ICR_BUSY);
	assert_true(test_irr(*state, 2, 0x45));
	assert_no_warn();
}

static void test_xapic_icr_write_in_x2apic_mode_warns(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 0);

	/* KVM WARNs: in x2APIC mode ICR must be written as 64 bits. */
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ICR, 0x41), 0);
	assert_int_equal(x2s_warn_count(), 1);
	x2s_warn_reset();
}

/* ---- SELF_IPI, ESR, EOI value ---- */

static void test_self_ipi_is_fixed_edge_to_self(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 1);
	u64 v;

	kvm_lapic_set_reg(vcpu->arch.apic, APIC_TMR + 0x20, 1u << (0x55 & 31));
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x83f, 0x55), 0);
	assert_true(test_irr(*state, 1, 0x55));
	assert_false(test_tmr(*state, 1, 0x55)); /* edge clears TMR */
	assert_int_equal(test_irr_count(*state, 1), 1);

	/* Bits 31:8 and 63:32 are reserved; SELF_IPI is write-only. */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x83f, 0x155), 1);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x83f, BIT_ULL(32) | 5), 1);
	assert_int_equal(kvm_x2apic_msr_read(vcpu, 0x83f, &v), 1);
	assert_int_equal(test_irr_count(*state, 1), 1);
	assert_no_warn();
}

static void test_self_ipi_gp_in_xapic_mode(void **state)
{
	assert_int_equal(
		kvm_lapic_reg_write(apic_of(state, 1), APIC_SELF_IPI, 0x55), 1);
	assert_int_equal(test_irr_count(*state, 1), 0);
}

static void test_esr_x2apic_write_must_be_zero(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x828, 0), 0);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x828, 1), 1);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x828, 0x80), 1);
	assert_int_equal(rdmsr_ok(vcpu, 0x828), 0);
}

static void test_esr_xapic_write_accepts_anything_esr_stays_zero(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 0);
	u32 v = 0x1234;

	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ESR, 0xffffffff), 0);
	assert_int_equal(kvm_lapic_reg_read(apic, APIC_ESR, 4, &v), 0);
	assert_int_equal(v, 0);
}

static void test_x2apic_eoi_nonzero_is_accepted(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	/* The SDM says #GP; KVM does not check the value. */
	make_in_service(state, 0, 0x50);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x80b, 0x1234), 0);
	assert_false(test_isr(*state, 0, 0x50));
}

/* ---- TPR / PPR ---- */

static const struct {
	u32 tpr;
	int isr; /* vector in service, -1 none */
	u32 ppr;
} ppr_table[] = {
	{ 0x00, -1, 0x00 },
	{ 0x20, -1, 0x20 },
	{ 0x25, -1, 0x25 },
	{ 0xff, -1, 0xff },
	{ 0x10, 0x35, 0x30 },
	{ 0x00, 0x3f, 0x30 },
	{ 0x35, 0x31, 0x35 },
	{ 0x30, 0x3f, 0x30 },
	{ 0x3f, 0x30, 0x3f },
	{ 0x40, 0x80, 0x80 },
	{ 0x9a, 0x80, 0x9a },
	{ 0x2f, 0x30, 0x30 },
	/* Same class: TPR wins whole, even with a lower sub-class. */
	{ 0x31, 0x3f, 0x31 },
};

static void test_ppr_from_tpr_and_isr(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ppr_table) / sizeof(ppr_table[0]); i++) {
		struct x2s_vm *vm = test_vm_new(1);
		struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, 0);
		void *st = vm;

		if (ppr_table[i].isr >= 0)
			make_in_service(&st, 0, ppr_table[i].isr);
		/* TPR takes bits 7:0 only; 31:8 are ignored, no #GP. */
		assert_int_equal(
			kvm_x2apic_msr_write(vcpu, 0x808,
					     0xabcd00 | ppr_table[i].tpr),
			0);
		assert_int_equal(rdmsr_ok(vcpu, 0x808), ppr_table[i].tpr);
		if (rdmsr_ok(vcpu, 0x80a) != ppr_table[i].ppr)
			fail_msg("TPR 0x%x ISR %d: PPR 0x%llx, expected 0x%x",
				 ppr_table[i].tpr, ppr_table[i].isr,
				 (unsigned long long)rdmsr_ok(vcpu, 0x80a),
				 ppr_table[i].ppr);
		x2s_vm_destroy(vm);
	}
}

static void test_tpr_drop_below_pending_irr_requests_event(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x808, 0x50), 0);
	kvm_apic_set_irr_vector(vcpu->arch.apic, 0x41);
	assert_int_equal(kvm_apic_has_interrupt(vcpu), -1);

	vcpu->requests = 0;
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x808, 0x60), 0);
	assert_false(kvm_test_request(KVM_REQ_EVENT, vcpu)); /* raised */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x808, 0x41), 0);
	assert_false(kvm_test_request(KVM_REQ_EVENT, vcpu)); /* still above */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x808, 0x30), 0);
	assert_true(kvm_test_request(KVM_REQ_EVENT, vcpu));
	assert_int_equal(kvm_apic_has_interrupt(vcpu), 0x41);
}

static void test_interrupt_ack_moves_irr_to_isr(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	struct kvm_lapic *apic = vcpu->arch.apic;

	kvm_apic_set_irr_vector(apic, 0x41);
	kvm_apic_set_irr_vector(apic, 0x92);
	assert_int_equal(kvm_lapic_find_highest_irr(vcpu), 0x92);
	assert_int_equal(kvm_get_apic_interrupt(vcpu), 0x92);
	assert_false(test_irr(*state, 0, 0x92));
	assert_true(test_isr(*state, 0, 0x92));
	assert_int_equal(apic->isr_count, 1);
	assert_int_equal(apic->highest_isr_cache, 0x92);
	assert_int_equal(reg(state, 0, APIC_PROCPRI), 0x90);
	/* 0x41 is below PPR now. */
	assert_int_equal(kvm_get_apic_interrupt(vcpu), -1);
	assert_true(test_irr(*state, 0, 0x41));
}

static void test_has_interrupt_needs_hw_enable_only(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	kvm_apic_set_irr_vector(vcpu->arch.apic, 0x41);
	/* KVM offers IRR from a software-disabled APIC. */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x80f, 0xff), 0);
	assert_int_equal(kvm_apic_has_interrupt(vcpu), 0x41);
	assert_int_equal(kvm_apic_set_base(vcpu, APIC_DEFAULT_PHYS_BASE, false),
			 0);
	assert_int_equal(kvm_apic_has_interrupt(vcpu), -1);
}

/* ---- EOI ---- */

static void test_eoi_of_edge_and_level_vectors(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	struct kvm_lapic *apic = vcpu->arch.apic;

	/* Edge 0x51, then level 0x62 (TMR set), both to self. */
	assert_int_equal(
		kvm_x2apic_msr_write(vcpu, 0x830, APIC_DEST_SELF | 0x51), 0);
	assert_int_equal(kvm_get_apic_interrupt(vcpu), 0x51);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x830,
					      APIC_DEST_SELF |
						      APIC_INT_LEVELTRIG |
						      APIC_INT_ASSERT | 0x62),
			 0);
	assert_true(test_tmr(*state, 0, 0x62));
	assert_int_equal(kvm_get_apic_interrupt(vcpu), 0x62);
	assert_int_equal(apic->isr_count, 2);
	assert_int_equal(reg(state, 0, APIC_PROCPRI), 0x60);

	vcpu->requests = 0;
	assert_int_equal(apic_set_eoi(apic), 0x62);
	assert_false(test_isr(*state, 0, 0x62));
	/* No IOAPIC: a level EOI leaves TMR as KVM leaves it. */
	assert_true(test_tmr(*state, 0, 0x62));
	assert_true(kvm_test_request(KVM_REQ_EVENT, vcpu));
	assert_int_equal(reg(state, 0, APIC_PROCPRI), 0x50);
	assert_int_equal(apic->isr_count, 1);

	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x80b, 0), 0);
	assert_false(test_isr(*state, 0, 0x51));
	assert_int_equal(reg(state, 0, APIC_PROCPRI), 0);
	assert_int_equal(apic->isr_count, 0);

	/* EOI with nothing in service: no effect, no request. */
	vcpu->requests = 0;
	assert_int_equal(apic_set_eoi(apic), -1);
	assert_false(kvm_test_request(KVM_REQ_EVENT, vcpu));
	assert_no_warn();
}

/* ---- SVR and LVTs ---- */

static const struct {
	int reg;
	u32 mask; /* bits that stick when 0xffffffff is written */
} lvt_masks[] = {
	{ APIC_LVTT, 0x710ff }, /* + timer mode 18:17 */
	{ APIC_LVTTHMR, 0x117ff }, { APIC_LVTPC, 0x117ff },
	{ APIC_LVT0, 0x1f7ff }, /* + polarity, remote IRR, trigger */
	{ APIC_LVT1, 0x1f7ff },	   { APIC_LVTERR, 0x110ff },
};

static void test_lvt_write_masks(void **state)
{
	for (size_t i = 0; i < sizeof(lvt_masks) / sizeof(lvt_masks[0]); i++) {
		struct kvm_lapic *apic = apic_of(state, 1);

		assert_int_equal(kvm_lapic_reg_write(apic,
						     (u32)lvt_masks[i].reg,
						     0xffffffff),
				 0);
		assert_int_equal(reg(state, 1, lvt_masks[i].reg),
				 lvt_masks[i].mask);
	}
	/* CMCI is not an LVT of this vCPU. */
	assert_int_equal(
		kvm_lapic_reg_write(apic_of(state, 1), APIC_LVTCMCI, 0), 1);
}

static void test_svr_software_disable_masks_lvts(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 1);

	for (size_t i = 0; i < sizeof(lvt_masks) / sizeof(lvt_masks[0]); i++)
		assert_int_equal(kvm_lapic_reg_write(apic,
						     (u32)lvt_masks[i].reg,
						     0x30 + (u32)i),
				 0);
	assert_true(apic->sw_enabled);

	assert_int_equal(kvm_lapic_reg_write(apic, APIC_SPIV, 0xff), 0);
	assert_false(apic->sw_enabled);
	for (size_t i = 0; i < sizeof(lvt_masks) / sizeof(lvt_masks[0]); i++)
		assert_int_equal(reg(state, 1, lvt_masks[i].reg),
				 APIC_LVT_MASKED | (0x30 + (u32)i));

	/* While disabled, an unmasking write is masked anyway. */
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_LVT1, 0x40), 0);
	assert_int_equal(reg(state, 1, APIC_LVT1), APIC_LVT_MASKED | 0x40);

	/* Re-enabling does not unmask. */
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_SPIV, 0x1ff), 0);
	assert_true(apic->sw_enabled);
	assert_int_equal(reg(state, 1, APIC_LVT1), APIC_LVT_MASKED | 0x40);
	assert_no_warn();
}

static void test_svr_write_mask_includes_directed_eoi(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 1);

	assert_int_equal(kvm_lapic_reg_write(apic, APIC_SPIV, 0xffffffff), 0);
	assert_int_equal(reg(state, 1, APIC_SPIV), 0x13ff);

	/* Without the LVR bit, bit 12 does not stick either. */
	kvm_lapic_set_reg(apic, APIC_LVR, 0x50014);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_SPIV, 0xffffffff), 0);
	assert_int_equal(reg(state, 1, APIC_SPIV), 0x3ff);
}

static void test_timer_registers_store_only(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);

	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x838, 1000), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x838), 1000);
	assert_int_equal(rdmsr_ok(vcpu, 0x839), 0); /* nothing counts */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x83e, 0xffffffff), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x83e), 0xb);

	/* Entering TSC-deadline mode zeroes and then ignores TMICT. */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x832, 2u << 17), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x838), 0);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x838, 5), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x838), 0);
	/* One-shot <-> periodic keeps it. */
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x832, 0), 0);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x838, 7), 0);
	assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x832, 1u << 17), 0);
	assert_int_equal(rdmsr_ok(vcpu, 0x838), 7);
}

/* ---- ID / LDR / DFR ---- */

static void test_xapic_id_ldr_dfr_writes(void **state)
{
	struct kvm_lapic *apic = apic_of(state, 2);

	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ID, 0x05123456), 0);
	assert_int_equal(reg(state, 2, APIC_ID), 0x05000000);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_LDR, 0x12345678), 0);
	assert_int_equal(reg(state, 2, APIC_LDR), 0x12000000);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_DFR, 0), 0);
	assert_int_equal(reg(state, 2, APIC_DFR), 0x0fffffff);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_DFR, 0xf0000000), 0);
	assert_int_equal(reg(state, 2, APIC_DFR), 0xffffffff);
	assert_int_equal(kvm_lapic_reg_write(apic, APIC_ICR2, 0x12345678), 0);
	assert_int_equal(reg(state, 2, APIC_ICR2), 0x12000000);
	assert_no_warn();
}

static void test_x2apic_id_ldr_dfr_are_read_only(void **state)
{
	struct x2s_vm *vm = test_vm_new(40);

	(void)state;
	for (unsigned int i = 0; i < 40; i++) {
		struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, i);
		u64 v;

		assert_int_equal(rdmsr_ok(vcpu, 0x802), i);
		/* Cluster i >> 4 in 31:16, bit i & 15 below. */
		assert_int_equal(rdmsr_ok(vcpu, 0x80d),
				 ((i >> 4) << 16) | (1u << (i & 15)));
		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x802, i), 1);
		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x80d, 0), 1);
		assert_int_equal(kvm_x2apic_msr_write(vcpu, 0x80e, 0), 1);
		assert_int_equal(kvm_x2apic_msr_read(vcpu, 0x80e, &v), 1);
	}
	x2s_vm_destroy(vm);
}

/* ---- xAPIC MMIO ---- */

#define GPA(off) (APIC_DEFAULT_PHYS_BASE + (off))

static void test_xapic_mmio_aligned_and_misaligned_writes(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u32 v = 0x20;
	u64 wide = 0x30;

	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI), 4, &v),
			 0);
	assert_int_equal(reg(state, 0, APIC_TASKPRI), 0x20);

	/* Misaligned, short or wide writes are dropped. */
	v = 0x40;
	assert_int_equal(
		kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI + 4), 4, &v), 0);
	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI), 2, &v),
			 0);
	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI), 1, &v),
			 0);
	assert_int_equal(
		kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI), 8, &wide), 0);
	assert_int_equal(reg(state, 0, APIC_TASKPRI), 0x20);

	/* Outside the 4 KiB window: not the APIC's. */
	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(0x1000), 4, &v),
			 -EOPNOTSUPP);
	assert_int_equal(
		kvm_lapic_mmio_write(vcpu, APIC_DEFAULT_PHYS_BASE - 4, 4, &v),
		-EOPNOTSUPP);
	assert_no_warn();
}

static void test_xapic_mmio_reads(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u32 v;
	u16 h;
	u8 b;

	v = 0;
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_LVR), 4, &v), 0);
	assert_int_equal(v, 0x01050014);
	h = 0;
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_LVR + 2), 2, &h),
			 0);
	assert_int_equal(h, 0x0105);
	b = 0;
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_LVR + 1), 1, &b),
			 0);
	assert_int_equal(b, 0x00);
	/* Crossing the 4-byte register: KVM returns nothing. */
	v = 0xaaaaaaaa;
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_LVR + 3), 2, &v),
			 0);
	assert_int_equal(v, 0xaaaaaaaa);
	/* EOI is write-only, ARBPRI reads 0 in xAPIC mode. */
	assert_int_equal(kvm_lapic_reg_read(apic_of(state, 0), APIC_EOI, 4, &v),
			 1);
	assert_int_equal(
		kvm_lapic_reg_read(apic_of(state, 0), APIC_ARBPRI, 4, &v), 0);
	assert_int_equal(v, 0);
}

static void test_xapic_mmio_icr2_then_icr_low_sends(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u32 icr2 = 2u << 24, icr = APIC_ICR_BUSY | 0x44, v;

	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_ICR2), 4, &icr2),
			 0);
	assert_int_equal(test_irr_count(*state, 2), 0);
	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_ICR), 4, &icr), 0);
	assert_true(test_irr(*state, 2, 0x44));
	assert_int_equal(test_irr_count(*state, 1), 0);
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_ICR), 4, &v), 0);
	assert_int_equal(v, 0x44);
	assert_no_warn();
}

static void test_mmio_hole_when_not_xapic(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u32 v = 0x55;

	/* x2APIC mode: KVM_X86_QUIRK_LAPIC_MMIO_HOLE reads all-ones. */
	assert_int_equal(kvm_lapic_mmio_read(vcpu, GPA(APIC_LVR), 4, &v), 0);
	assert_int_equal(v, 0xffffffff);
	v = 0x55;
	assert_int_equal(kvm_lapic_mmio_write(vcpu, GPA(APIC_TASKPRI), 4, &v),
			 0);
	assert_int_equal(reg(state, 0, APIC_TASKPRI), 0);
}

/* ---- APICv ---- */

static void test_pir_merge_into_irr(void **state)
{
	struct kvm_vcpu *vcpu = vcpu_of(state, 0);
	u32 pir[8] = { 0 };
	int max_irr = 7;

	/* Empty PIR: nothing, and *max_irr stays -1 even with IRR bits. */
	kvm_apic_set_irr_vector(vcpu->arch.apic, 0x90);
	assert_false(kvm_apic_update_irr(vcpu, pir, &max_irr));
	assert_int_equal(max_irr, -1);

	/* A lower vector from the PIR: merged but not "updated". */
	pir[0x41 / 32] = 1u << (0x41 % 32);
	assert_false(kvm_apic_update_irr(vcpu, pir, &max_irr));
	assert_int_equal(max_irr, 0x90);
	assert_true(test_irr(*state, 0, 0x41));
	assert_int_equal(pir[0x41 / 32], 0);

	/* A new highest vector. */
	pir[0xe1 / 32] = 1u << (0xe1 % 32);
	assert_true(kvm_apic_update_irr(vcpu, pir, &max_irr));
	assert_int_equal(max_irr, 0xe1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pir[i], 0);
}

/* ---- INIT / SIPI ---- */

static void test_init_then_sipi_starts_ap(void **state)
{
	struct kvm_vcpu *bsp = vcpu_of(state, 0), *ap = vcpu_of(state, 2);
	struct kvm_lapic *apic = ap->arch.apic;
	u64 base = kvm_get_apic_base(ap);

	make_in_service(state, 2, 0x70);
	kvm_rip_write(ap, 0x1234);
	ap->arch.nmi_pending = 1;

	/* INIT, level assert, physical to vCPU 2. */
	assert_int_equal(kvm_x2apic_msr_write(bsp, 0x830,
					      (2ULL << 32) | APIC_DM_INIT |
						      APIC_INT_ASSERT),
			 0);
	assert_int_equal(apic->pending_events, 1UL << KVM_APIC_INIT);
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_INIT_RECEIVED);
	assert_int_equal(kvm_rip_read(ap), 0xfff0);
	assert_int_equal(ap->arch.regs[VCPU_REGS_RDX], 0x600);
	assert_int_equal(ap->arch.nmi_pending, 0);
	/* APIC reset by INIT: mode and x2APIC ID/LDR kept. */
	assert_int_equal(kvm_get_apic_base(ap), base);
	assert_int_equal(reg(state, 2, APIC_ID), 2);
	assert_int_equal(reg(state, 2, APIC_LDR), 1u << 2);
	assert_int_equal(reg(state, 2, APIC_SPIV), 0xff);
	assert_false(apic->sw_enabled);
	assert_false(test_isr(*state, 2, 0x70));
	assert_int_equal(apic->pending_events, 0);

	/* SIPI vector 0x9a: runnable at 0x9a000. */
	assert_int_equal(
		kvm_x2apic_msr_write(bsp, 0x830,
				     (2ULL << 32) | APIC_DM_STARTUP | 0x9a),
		0);
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(ap), 0x9a000);
	assert_int_equal(apic->pending_events, 0);
	assert_no_warn();
}

static void test_sipi_without_init_is_ignored(void **state)
{
	struct kvm_vcpu *ap = vcpu_of(state, 1);

	kvm_rip_write(ap, 0x1234);
	ap->arch.apic->sipi_vector = 0x10;
	ap->arch.apic->pending_events = 1UL << KVM_APIC_SIPI;
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(ap), 0x1234);
	assert_int_equal(ap->arch.apic->pending_events, 0);
}

static void test_init_and_sipi_pending_together(void **state)
{
	struct kvm_vcpu *ap = vcpu_of(state, 3);

	ap->arch.apic->sipi_vector = 0x08;
	ap->arch.apic->pending_events =
		(1UL << KVM_APIC_INIT) | (1UL << KVM_APIC_SIPI);
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(ap), 0x8000);
}

static void test_init_on_bsp_restarts_runnable(void **state)
{
	struct kvm_vcpu *bsp = vcpu_of(state, 0);

	bsp->arch.apic->pending_events = 1UL << KVM_APIC_INIT;
	assert_int_equal(kvm_apic_accept_events(bsp), 0);
	assert_int_equal(bsp->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(bsp), 0xfff0);
	/* A SIPI to a running BSP is discarded. */
	bsp->arch.apic->pending_events = 1UL << KVM_APIC_SIPI;
	assert_int_equal(kvm_apic_accept_events(bsp), 0);
	assert_int_equal(kvm_rip_read(bsp), 0xfff0);
}

/* INIT in L2: an INIT_SIGNAL exit to L1, no reset; the SIPI goes too. */
static void test_init_in_guest_mode_exits_to_l1(void **state)
{
	struct kvm_vcpu *ap = vcpu_of(state, 1);
	struct nested_vmx *nested = &to_vmx(ap)->nested;

	make_in_service(state, 1, 0x70);
	kvm_rip_write(ap, 0x1234);
	nested->vmxon = true;
	ap->arch.guest_mode = true;
	ap->arch.apic->pending_events =
		(1UL << KVM_APIC_INIT) | (1UL << KVM_APIC_SIPI);
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_true(nested->last_exit.happened);
	assert_int_equal(nested->last_exit.exit_reason,
			 EXIT_REASON_INIT_SIGNAL);
	assert_int_equal(nested->last_exit.exit_qualification, 0);
	assert_false(is_guest_mode(ap));
	assert_true(nested->vmxon);
	/* In VMX root now: the SIPI is dropped with the INIT consumed. */
	assert_int_equal(ap->arch.apic->pending_events, 0);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(ap), 0x1234);
	assert_true(test_isr(*state, 1, 0x70));
	assert_true(ap->arch.apic->sw_enabled);
	assert_no_warn();
}

/* INIT in VMX root operation stays latched; a SIPI is dropped. */
static void test_init_latched_in_vmx_root(void **state)
{
	struct kvm_vcpu *ap = vcpu_of(state, 1);

	make_in_service(state, 1, 0x70);
	kvm_rip_write(ap, 0x1234);
	to_vmx(ap)->nested.vmxon = true;
	ap->arch.apic->pending_events =
		(1UL << KVM_APIC_INIT) | (1UL << KVM_APIC_SIPI);
	assert_false(kvm_apic_init_sipi_allowed(ap));
	assert_int_equal(kvm_apic_accept_events(ap), 0);
	assert_int_equal(ap->arch.apic->pending_events, 1UL << KVM_APIC_INIT);
	assert_false(to_vmx(ap)->nested.last_exit.happened);
	assert_int_equal(ap->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_rip_read(ap), 0x1234);
	assert_true(test_isr(*state, 1, 0x70));
	assert_no_warn();
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown_vm)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_x2apic_msr_map_matches_sdm_and_kvm, setup_x2apic),
		T(test_x2apic_cmci_msr_exists_only_with_cmci, setup_x2apic),
		T(test_x2apic_msrs_gp_outside_x2apic_mode, setup_xapic),
		cmocka_unit_test(test_x2apic_msrs_gp_without_in_kernel_lapic),
		T(test_power_on_reset_matches_kvm, setup_x2apic),
		T(test_apic_base_transitions, setup_x2apic),
		T(test_apic_base_reserved_bits, setup_x2apic),
		T(test_apic_base_mode_changes_set_ids, setup_xapic),
		T(test_icr_reads_back_written_value_minus_busy, setup_x2apic),
		T(test_icr_reserved_bit_gp_sends_and_stores_nothing,
		  setup_x2apic),
		T(test_icr_write_fast_stores_like_slow, setup_x2apic),
		T(test_icr_is_one_64bit_register_on_vmx, setup_x2apic),
		T(test_icr_split_storage, setup_x2apic_split),
		T(test_xapic_icr_write_in_x2apic_mode_warns, setup_x2apic),
		T(test_self_ipi_is_fixed_edge_to_self, setup_x2apic),
		T(test_self_ipi_gp_in_xapic_mode, setup_xapic),
		T(test_esr_x2apic_write_must_be_zero, setup_x2apic),
		T(test_esr_xapic_write_accepts_anything_esr_stays_zero,
		  setup_xapic),
		T(test_x2apic_eoi_nonzero_is_accepted, setup_x2apic),
		cmocka_unit_test(test_ppr_from_tpr_and_isr),
		T(test_tpr_drop_below_pending_irr_requests_event, setup_x2apic),
		T(test_interrupt_ack_moves_irr_to_isr, setup_x2apic),
		T(test_has_interrupt_needs_hw_enable_only, setup_x2apic),
		T(test_eoi_of_edge_and_level_vectors, setup_x2apic),
		T(test_lvt_write_masks, setup_x2apic),
		T(test_svr_software_disable_masks_lvts, setup_xapic),
		T(test_svr_write_mask_includes_directed_eoi, setup_xapic),
		T(test_timer_registers_store_only, setup_x2apic),
		T(test_xapic_id_ldr_dfr_writes, setup_xapic),
		cmocka_unit_test(test_x2apic_id_ldr_dfr_are_read_only),
		T(test_xapic_mmio_aligned_and_misaligned_writes, setup_xapic),
		T(test_xapic_mmio_reads, setup_xapic),
		T(test_xapic_mmio_icr2_then_icr_low_sends, setup_xapic),
		T(test_mmio_hole_when_not_xapic, setup_x2apic),
		T(test_pir_merge_into_irr, setup_x2apic),
		T(test_init_then_sipi_starts_ap, setup_x2apic),
		T(test_sipi_without_init_is_ignored, setup_x2apic),
		T(test_init_and_sipi_pending_together, setup_x2apic),
		T(test_init_on_bsp_restarts_runnable, setup_x2apic),
		T(test_init_in_guest_mode_exits_to_l1, setup_x2apic),
		T(test_init_latched_in_vmx_root, setup_x2apic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
