// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the local APIC register model.
 *
 * Read this next to arch/x86/kvm/lapic.c of Linux 6.18: every function here
 * carries the name of the KVM function whose behaviour it models.  IPI
 * delivery, the optimized map and acceptance by a target live in irq.c;
 * this file owns the register page and everything that reads or writes it
 * on behalf of the guest or userspace.
 *
 * Things KVM has that x2sim leaves out, each marked where it matters:
 * the APIC timer (registers are stored, nothing counts or fires), the
 * IOAPIC (x2sim behaves like a split irqchip with no routes), Hyper-V
 * SynIC, PV EOI, the TPR-access reporting and the vAPIC page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define LAPIC_MMIO_LENGTH (1 << 12)
#define MAX_APIC_VECTOR 256
#define APIC_VECTORS_PER_REG 32

#define APIC_VECTOR_TO_BIT_NUMBER(v) ((unsigned int)(v)&31u)
#define APIC_VECTOR_TO_REG_OFFSET(v) (((unsigned int)(v) >> 5) << 4)

/* The LVT index order of the version register's "max LVT entry" field. */
enum lapic_lvt_entry {
	LVT_TIMER,
	LVT_THERMAL_MONITOR,
	LVT_PERFORMANCE_COUNTER,
	LVT_LINT0,
	LVT_LINT1,
	LVT_ERROR,
	LVT_CMCI,
};

#define APIC_LVTx(x) ((x) == LVT_CMCI ? APIC_LVTCMCI : APIC_LVTT + 0x10 * (x))

#define LVT_MASK (APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK)
#define LINT_MASK                                          \
	(LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | \
	 APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER)

static const u32 apic_lvt_mask[KVM_APIC_MAX_NR_LVT_ENTRIES] = {
	[LVT_TIMER] = LVT_MASK, /* plus the timer mode bits, see APIC_LVTT */
	[LVT_THERMAL_MONITOR] = LVT_MASK | APIC_MODE_MASK,
	[LVT_PERFORMANCE_COUNTER] = LVT_MASK | APIC_MODE_MASK,
	[LVT_LINT0] = LINT_MASK,
	[LVT_LINT1] = LINT_MASK,
	[LVT_ERROR] = LVT_MASK,
	[LVT_CMCI] = LVT_MASK | APIC_MODE_MASK,
};

/*
 * The LVTT timer-mode bits the guest's CPUID allows (timer_mode_mask):
 * x2sim's guests have the TSC-deadline bit, so all three modes exist.
 */
#define X2S_TIMER_MODE_MASK (3u << 17)

/* KVM_X86_QUIRK_LINT0_REENABLED and _LAPIC_MMIO_HOLE are on by default. */
#define X2S_QUIRK_LINT0_REENABLED true
#define X2S_QUIRK_LAPIC_MMIO_HOLE true

static inline struct kvm *apic_kvm(struct kvm_lapic *apic)
{
	return apic->vcpu->kvm;
}

/* x2sim: KVM's bsp_vcpu_id is never changed by x2sim's userspace. */
static bool kvm_vcpu_is_reset_bsp(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id == 0;
}

static bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP;
}

static void trace_kvm_eoi(struct kvm_lapic *apic, int vector)
{
	if (x2s_trace_enabled())
		x2s_trace("kvm_eoi: apicid %x vector %d", apic->vcpu->vcpu_id,
			  vector);
}

/* ---- 256-bit vector registers (IRR / ISR / TMR) ---- */

static u32 *vector_word(const void *bitmap, int vec)
{
	return (u32 *)((char *)bitmap + APIC_VECTOR_TO_REG_OFFSET(vec));
}

void kvm_lapic_set_vector(int vec, void *bitmap)
{
	*vector_word(bitmap, vec) |= 1u << APIC_VECTOR_TO_BIT_NUMBER(vec);
}

void kvm_lapic_clear_vector(int vec, void *bitmap)
{
	*vector_word(bitmap, vec) &= ~(1u << APIC_VECTOR_TO_BIT_NUMBER(vec));
}

bool kvm_lapic_test_vector(int vec, const void *bitmap)
{
	return *vector_word(bitmap, vec) &
	       (1u << APIC_VECTOR_TO_BIT_NUMBER(vec));
}

/* Returns the bit's old value; the write goes through kvm_lapic_set_reg. */
static bool apic_change_vector(struct kvm_lapic *apic, int base, int vec,
			       bool set)
{
	int reg = base + (int)APIC_VECTOR_TO_REG_OFFSET(vec);
	u32 bit = 1u << APIC_VECTOR_TO_BIT_NUMBER(vec);
	u32 old = kvm_lapic_get_reg(apic, reg);
	u32 new = set ? old | bit : old & ~bit;

	if (new != old)
		kvm_lapic_set_reg(apic, reg, new);
	return old & bit;
}

void x2s_apic_set_vector(struct kvm_lapic *apic, int base, int vec)
{
	apic_change_vector(apic, base, vec, true);
}

void x2s_apic_clear_vector(struct kvm_lapic *apic, int base, int vec)
{
	apic_change_vector(apic, base, vec, false);
}

static int apic_find_highest_vector(struct kvm_lapic *apic, int base)
{
	for (int i = MAX_APIC_VECTOR / APIC_VECTORS_PER_REG - 1; i >= 0; i--) {
		u32 word = kvm_lapic_get_reg(apic, base + i * 0x10);

		if (word)
			return i * APIC_VECTORS_PER_REG + 31 -
			       __builtin_clz(word);
	}
	return -1;
}

static int count_vectors(struct kvm_lapic *apic, int base)
{
	int count = 0;

	for (int i = 0; i < MAX_APIC_VECTOR / APIC_VECTORS_PER_REG; i++)
		count += __builtin_popcount(
			kvm_lapic_get_reg(apic, base + i * 0x10));
	return count;
}

static int apic_search_irr(struct kvm_lapic *apic)
{
	return apic_find_highest_vector(apic, APIC_IRR);
}

/* irr_pending is a hint; it stays true with APICv. */
static int apic_find_highest_irr(struct kvm_lapic *apic)
{
	if (!apic->irr_pending)
		return -1;
	return apic_search_irr(apic);
}

static void apic_clear_irr(int vec, struct kvm_lapic *apic)
{
	if (unlikely(apic->apicv_active)) {
		x2s_apic_clear_vector(apic, APIC_IRR, vec);
		return;
	}
	apic->irr_pending = false;
	x2s_apic_clear_vector(apic, APIC_IRR, vec);
	if (apic_search_irr(apic) != -1)
		apic->irr_pending = true;
}

void kvm_apic_set_irr_vector(struct kvm_lapic *apic, int vec)
{
	x2s_apic_set_vector(apic, APIC_IRR, vec);
	apic->irr_pending = true;
}

static void apic_set_isr(int vec, struct kvm_lapic *apic)
{
	if (apic_change_vector(apic, APIC_ISR, vec, true))
		return;

	/*
	 * With APICv the CPU may change ISR behind KVM's back, so nothing is
	 * cached (KVM writes SVI instead; x2sim has no VMCS SVI to update).
	 */
	if (unlikely(apic->apicv_active))
		return;
	++apic->isr_count;
	/* Injection takes the highest vector, so the newest bit is it. */
	apic->highest_isr_cache = vec;
}

int apic_find_highest_isr(struct kvm_lapic *apic)
{
	/* With APICv isr_count is pinned to 1 and the cache to -1. */
	if (!apic->isr_count)
		return -1;
	if (likely(apic->highest_isr_cache != -1))
		return apic->highest_isr_cache;
	return apic_find_highest_vector(apic, APIC_ISR);
}

static void apic_clear_isr(int vec, struct kvm_lapic *apic)
{
	if (!apic_change_vector(apic, APIC_ISR, vec, false))
		return;
	if (unlikely(apic->apicv_active))
		return;
	--apic->isr_count;
	WARN_ON_ONCE(apic->isr_count < 0);
	apic->highest_isr_cache = -1;
}

int kvm_lapic_find_highest_irr(struct kvm_vcpu *vcpu)
{
	return apic_find_highest_irr(vcpu->arch.apic);
}

/* ---- APICv ---- */

bool kvm_apic_update_irr(struct kvm_vcpu *vcpu, u32 *pir, int *max_irr)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	int max_updated_irr = -1;
	u32 vals[8];
	bool pending = false;
	bool irr_updated;

	*max_irr = -1;

	/* pi_harvest_pir(): take every non-zero word, leaving it zero. */
	for (int i = 0; i < 8; i++) {
		vals[i] = pir[i];
		pir[i] = 0;
		pending |= vals[i] != 0;
	}
	/* KVM leaves *max_irr at -1 here even if IRR has bits. */
	if (!pending)
		return false;

	for (int i = 0; i < 8; i++) {
		int reg = APIC_IRR + i * 0x10;
		u32 irr = kvm_lapic_get_reg(apic, reg);

		if (vals[i] && (irr | vals[i]) != irr) {
			u32 prev = irr;

			irr |= vals[i];
			kvm_lapic_set_reg(apic, reg, irr);
			max_updated_irr =
				i * 32 + 31 - __builtin_clz(irr ^ prev);
		}
		if (irr)
			*max_irr = i * 32 + 31 - __builtin_clz(irr);
	}

	/* "Updated" means the highest pending vector is a new one. */
	irr_updated = max_updated_irr != -1 && max_updated_irr == *max_irr;
	if (unlikely(!apic->apicv_active && irr_updated))
		apic->irr_pending = true;
	return irr_updated;
}

void kvm_apic_update_apicv(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	/*
	 * Other vCPUs may have set IRR bits while APICv was on, so always
	 * search IRR from now on.
	 */
	apic->irr_pending = true;
	if (apic->apicv_active)
		apic->isr_count = 1;
	else
		apic->isr_count = (s16)count_vectors(apic, APIC_ISR);
	apic->highest_isr_cache = -1;
}

/* ---- TPR / PPR ---- */

static int apic_has_interrupt_for_ppr(struct kvm_lapic *apic, u32 ppr)
{
	/*
	 * x2sim: with APICv KVM first runs sync_pir_to_irr(), which lives in
	 * vmx; callers sync the PIR (kvm_apic_update_irr) before asking.
	 */
	int highest_irr = apic_find_highest_irr(apic);

	if (highest_irr == -1 || (u32)(highest_irr & 0xf0) <= ppr)
		return -1;
	return highest_irr;
}

/* Returns true when PPR went down, i.e. something may now be deliverable. */
static bool __apic_update_ppr(struct kvm_lapic *apic, u32 *new_ppr)
{
	u32 old_ppr = kvm_lapic_get_reg(apic, APIC_PROCPRI);
	u32 tpr = kvm_lapic_get_reg(apic, APIC_TASKPRI);
	int isr = apic_find_highest_isr(apic);
	u32 isrv = isr != -1 ? (u32)isr : 0;
	u32 ppr;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		ppr = tpr & 0xff;
	else
		ppr = isrv & 0xf0;

	*new_ppr = ppr;
	if (old_ppr != ppr)
		kvm_lapic_set_reg(apic, APIC_PROCPRI, ppr);
	return ppr < old_ppr;
}

void apic_update_ppr(struct kvm_lapic *apic)
{
	u32 ppr;

	if (__apic_update_ppr(apic, &ppr) &&
	    apic_has_interrupt_for_ppr(apic, ppr) != -1)
		kvm_make_request(KVM_REQ_EVENT, apic->vcpu);
}

static void apic_set_tpr(struct kvm_lapic *apic, u32 tpr)
{
	kvm_lapic_set_reg(apic, APIC_TASKPRI, tpr);
	apic_update_ppr(apic);
}

/*
 * MOV to / from CR8 in 64-bit mode: CR8[3:0] is TPR[7:4] (SDM 10.8.6).
 * With KVM's TPR shadow the CPU writes the TPR of the virtual-APIC page,
 * which is the APIC's register page; KVM's own path for it is this one.
 */
void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, unsigned long cr8)
{
	apic_set_tpr(vcpu->arch.apic, (cr8 & 0x0f) << 4);
}

u64 kvm_lapic_get_cr8(struct kvm_vcpu *vcpu)
{
	u64 tpr = kvm_lapic_get_reg(vcpu->arch.apic, APIC_TASKPRI);

	return (tpr & 0xf0) >> 4;
}

/* ---- IDs, LDR, DFR, SVR ---- */

static void kvm_apic_set_xapic_id(struct kvm_lapic *apic, u8 id)
{
	kvm_lapic_set_reg(apic, APIC_ID, (u32)id << 24);
	kvm_apic_map_mark_dirty(apic_kvm(apic));
}

static void kvm_apic_set_ldr(struct kvm_lapic *apic, u32 id)
{
	kvm_lapic_set_reg(apic, APIC_LDR, id);
	kvm_apic_map_mark_dirty(apic_kvm(apic));
}

static void kvm_apic_set_dfr(struct kvm_lapic *apic, u32 val)
{
	kvm_lapic_set_reg(apic, APIC_DFR, val);
	kvm_apic_map_mark_dirty(apic_kvm(apic));
}

static void kvm_apic_set_x2apic_id(struct kvm_lapic *apic, u32 id)
{
	WARN_ON_ONCE(id != (u32)apic->vcpu->vcpu_id);

	kvm_lapic_set_reg(apic, APIC_ID, id);
	kvm_lapic_set_reg(apic, APIC_LDR, kvm_apic_calc_x2apic_ldr(id));
	kvm_apic_map_mark_dirty(apic_kvm(apic));
}

void apic_set_spiv(struct kvm_lapic *apic, u32 val)
{
	bool enabled = val & APIC_SPIV_APIC_ENABLED;

	kvm_lapic_set_reg(apic, APIC_SPIV, val);
	if (enabled != apic->sw_enabled) {
		apic->sw_enabled = enabled;
		kvm_apic_map_mark_dirty(apic_kvm(apic));
	}
	/* x2sim: no async page faults, so no KVM_REQ_APF_READY. */
}

void kvm_apic_set_version(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 v;

	if (!lapic_in_kernel(vcpu))
		return;

	v = APIC_VERSION | ((u32)(apic->nr_lvt_entries - 1) << 16);
	/*
	 * KVM offers directed EOI only when the guest has x2APIC and the
	 * IOAPIC is not in the kernel (an in-kernel IOAPIC has no EOI
	 * register).  x2sim: there is no in-kernel IOAPIC, i.e. KVM's
	 * split-irqchip configuration.
	 */
	if (guest_cpu_cap_has(vcpu, X86_FEATURE_X2APIC))
		v |= APIC_LVR_DIRECTED_EOI;
	kvm_lapic_set_reg(apic, APIC_LVR, v);
}

void x2s_apic_set_cmci(struct kvm_vcpu *vcpu, bool cmci)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	int nr = KVM_APIC_MAX_NR_LVT_ENTRIES - !cmci;

	if (!lapic_in_kernel(vcpu) || nr == apic->nr_lvt_entries)
		return;

	/* As kvm_apic_after_set_mcg_cap(): a new LVT starts masked. */
	for (int i = apic->nr_lvt_entries; i < nr; i++)
		kvm_lapic_set_reg(apic, APIC_LVTx(i), APIC_LVT_MASKED);
	apic->nr_lvt_entries = nr;
	kvm_apic_set_version(vcpu);
}

static bool kvm_lapic_lvt_supported(struct kvm_lapic *apic, int lvt_index)
{
	return apic->nr_lvt_entries > lvt_index;
}

static int get_lvt_index(u32 reg)
{
	if (reg == APIC_LVTCMCI)
		return LVT_CMCI;
	if (reg < APIC_LVTT || reg > APIC_LVTERR)
		return -1;
	return (int)((reg - APIC_LVTT) >> 4);
}

static void apic_manage_nmi_watchdog(struct kvm_lapic *apic, u32 lvt0_val)
{
	/* x2sim: KVM also counts such vCPUs in kvm->arch.vapics_in_nmi_mode. */
	apic->lvt0_in_nmi_mode =
		(lvt0_val & (APIC_MODE_MASK | APIC_LVT_MASKED)) == APIC_DM_NMI;
}

/* ---- EOI ---- */

int apic_set_eoi(struct kvm_lapic *apic)
{
	int vector = apic_find_highest_isr(apic);

	trace_kvm_eoi(apic, vector);

	/* An EOI with nothing in service is legal and does nothing. */
	if (vector == -1)
		return vector;

	apic_clear_isr(vector, apic);
	apic_update_ppr(apic);

	/*
	 * x2sim: KVM now forwards the EOI to the IOAPIC if the IOAPIC owns
	 * the vector (kvm_ioapic_send_eoi(); a set TMR bit makes it a
	 * level-triggered EOI, and SVR's directed-EOI bit suppresses the
	 * broadcast).  There is no IOAPIC and no route, so no vector is
	 * IOAPIC-owned and TMR is left as it is, as KVM leaves it.
	 */
	kvm_make_request(KVM_REQ_EVENT, apic->vcpu);
	return vector;
}

/* ---- register read ---- */

#define APIC_REG_MASK(reg) (1ULL << ((reg) >> 4))
#define APIC_REGS_MASK(first, count) \
	(APIC_REG_MASK(first) * ((1ULL << (count)) - 1))

u64 kvm_lapic_readable_reg_mask(struct kvm_lapic *apic)
{
	/* Reserved and write-only registers (EOI, SELF_IPI) stay 0. */
	u64 mask = APIC_REG_MASK(APIC_ID) | APIC_REG_MASK(APIC_LVR) |
		   APIC_REG_MASK(APIC_TASKPRI) | APIC_REG_MASK(APIC_PROCPRI) |
		   APIC_REG_MASK(APIC_LDR) | APIC_REG_MASK(APIC_SPIV) |
		   APIC_REGS_MASK(APIC_ISR, APIC_ISR_NR) |
		   APIC_REGS_MASK(APIC_TMR, APIC_ISR_NR) |
		   APIC_REGS_MASK(APIC_IRR, APIC_ISR_NR) |
		   APIC_REG_MASK(APIC_ESR) | APIC_REG_MASK(APIC_ICR) |
		   APIC_REG_MASK(APIC_LVTT) | APIC_REG_MASK(APIC_LVTTHMR) |
		   APIC_REG_MASK(APIC_LVTPC) | APIC_REG_MASK(APIC_LVT0) |
		   APIC_REG_MASK(APIC_LVT1) | APIC_REG_MASK(APIC_LVTERR) |
		   APIC_REG_MASK(APIC_TMICT) | APIC_REG_MASK(APIC_TMCCT) |
		   APIC_REG_MASK(APIC_TDCR);

	if (kvm_lapic_lvt_supported(apic, LVT_CMCI))
		mask |= APIC_REG_MASK(APIC_LVTCMCI);

	/* ARBPRI, DFR and ICR2 do not exist in x2APIC mode. */
	if (!apic_x2apic_mode(apic))
		mask |= APIC_REG_MASK(APIC_ARBPRI) | APIC_REG_MASK(APIC_DFR) |
			APIC_REG_MASK(APIC_ICR2);
	return mask;
}

static u32 __apic_read(struct kvm_lapic *apic, unsigned int offset)
{
	if (offset >= LAPIC_MMIO_LENGTH)
		return 0;

	switch (offset) {
	case APIC_ARBPRI:
		/* KVM does not model arbitration priority: it reads 0. */
		return 0;
	case APIC_TMCCT:
		return apic_get_tmcct(apic);
	case APIC_PROCPRI:
		apic_update_ppr(apic);
		return kvm_lapic_get_reg(apic, (int)offset);
	default:
		/* x2sim: no TPR access reporting (KVM_TPR_ACCESS_REPORTING). */
		return kvm_lapic_get_reg(apic, (int)offset);
	}
}

int kvm_lapic_reg_read(struct kvm_lapic *apic, u32 offset, int len, void *data)
{
	unsigned int alignment = offset & 0xf;
	u32 result;

	/* x2APIC ICR is 64 bits wide; callers must use kvm_x2apic_icr_read. */
	WARN_ON_ONCE(apic_x2apic_mode(apic) && offset == APIC_ICR);

	if ((int)alignment + len > 4)
		return 1;

	if (offset > 0x3f0 ||
	    !(kvm_lapic_readable_reg_mask(apic) & APIC_REG_MASK(offset)))
		return 1;

	result = __apic_read(apic, offset & ~0xfu);

	trace_kvm_apic_read(offset, result);

	switch (len) {
	case 1:
	case 2:
	case 4:
		memcpy(data, (char *)&result + alignment, (size_t)len);
		break;
	default:
		/* KVM only logs this; the buffer is left as it was. */
		break;
	}
	return 0;
}

/* ---- register write ---- */

int kvm_lapic_reg_write(struct kvm_lapic *apic, u32 reg, u32 val)
{
	int ret = 0;

	x2s_trace_apic_write(reg, val);

	switch (reg) {
	case APIC_ID:
		if (!apic_x2apic_mode(apic))
			kvm_apic_set_xapic_id(apic, (u8)(val >> 24));
		else
			ret = 1;
		break;

	case APIC_TASKPRI:
		apic_set_tpr(apic, val & 0xff);
		break;

	case APIC_EOI:
		/*
		 * Any value is accepted, in x2APIC mode too: KVM does not
		 * enforce the SDM's "write 0" (no #GP on a non-zero EOI).
		 */
		apic_set_eoi(apic);
		break;

	case APIC_LDR:
		if (!apic_x2apic_mode(apic))
			kvm_apic_set_ldr(apic, val & APIC_LDR_MASK);
		else
			ret = 1;
		break;

	case APIC_DFR:
		if (!apic_x2apic_mode(apic))
			kvm_apic_set_dfr(apic, val | 0x0FFFFFFF);
		else
			ret = 1;
		break;

	case APIC_SPIV: {
		u32 mask = 0x3ff;

		if (kvm_lapic_get_reg(apic, APIC_LVR) & APIC_LVR_DIRECTED_EOI)
			mask |= APIC_SPIV_DIRECTED_EOI;
		apic_set_spiv(apic, val & mask);
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			/* SDM: software disable masks every LVT entry. */
			for (int i = 0; i < apic->nr_lvt_entries; i++)
				kvm_lapic_set_reg(
					apic, APIC_LVTx(i),
					kvm_lapic_get_reg(apic, APIC_LVTx(i)) |
						APIC_LVT_MASKED);
			apic_update_lvtt(apic);
			atomic_set(&apic->lapic_timer.pending, 0);
		}
		break;
	}

	case APIC_ICR:
		WARN_ON_ONCE(apic_x2apic_mode(apic));

		/* Delivery is instant, so the busy bit never reads as set. */
		val &= ~APIC_ICR_BUSY;
		kvm_apic_send_ipi(apic, val,
				  kvm_lapic_get_reg(apic, APIC_ICR2));
		kvm_lapic_set_reg(apic, APIC_ICR, val);
		break;

	case APIC_ICR2:
		if (apic_x2apic_mode(apic))
			ret = 1;
		else
			kvm_lapic_set_reg(apic, APIC_ICR2, val & 0xff000000);
		break;

	case APIC_LVT0:
		apic_manage_nmi_watchdog(apic, val);
		/* fall through */
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_LVTCMCI: {
		int index = get_lvt_index(reg);

		if (!kvm_lapic_lvt_supported(apic, index)) {
			ret = 1;
			break;
		}
		if (!kvm_apic_sw_enabled(apic))
			val |= APIC_LVT_MASKED;
		val &= apic_lvt_mask[index];
		kvm_lapic_set_reg(apic, (int)reg, val);
		break;
	}

	case APIC_LVTT:
		if (!kvm_apic_sw_enabled(apic))
			val |= APIC_LVT_MASKED;
		val &= apic_lvt_mask[LVT_TIMER] |
		       apic->lapic_timer.timer_mode_mask;
		kvm_lapic_set_reg(apic, APIC_LVTT, val);
		apic_update_lvtt(apic);
		break;

	case APIC_TMICT:
		x2s_apic_write_tmict(apic, val);
		break;

	case APIC_TDCR:
		x2s_apic_write_tdcr(apic, val);
		break;

	case APIC_ESR:
		/*
		 * KVM never latches an error, so ESR stays 0 and a write has
		 * nothing to clear; x2APIC requires the written value be 0.
		 */
		if (apic_x2apic_mode(apic) && val != 0)
			ret = 1;
		break;

	case APIC_SELF_IPI:
		/* x2APIC only; bits 31:8 are reserved. */
		if (!apic_x2apic_mode(apic) || (val & ~APIC_VECTOR_MASK))
			ret = 1;
		else
			kvm_apic_send_ipi(apic, APIC_DEST_SELF | val, 0);
		break;

	default:
		ret = 1;
		break;
	}

	/* A no-op unless this write changed an ID, LDR, DFR or SVR.EN. */
	kvm_recalculate_apic_map(apic_kvm(apic));

	return ret;
}

/* ---- xAPIC MMIO ---- */

static bool apic_mmio_in_range(struct kvm_lapic *apic, gpa_t addr)
{
	return addr >= apic->base_address &&
	       addr < apic->base_address + LAPIC_MMIO_LENGTH;
}

int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t addr, int len, void *data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!apic || !apic_mmio_in_range(apic, addr))
		return -EOPNOTSUPP;

	if (!kvm_apic_hw_enabled(apic) || apic_x2apic_mode(apic)) {
		if (!X2S_QUIRK_LAPIC_MMIO_HOLE)
			return -EOPNOTSUPP;
		/* The quirk: the page stays claimed and reads all-ones. */
		memset(data, 0xff, (size_t)len);
		return 0;
	}

	/* An unreadable register leaves the buffer untouched, as in KVM. */
	kvm_lapic_reg_read(apic, (u32)(addr - apic->base_address), len, data);
	return 0;
}

int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t addr, int len,
			 const void *data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 offset, val;

	if (!apic || !apic_mmio_in_range(apic, addr))
		return -EOPNOTSUPP;

	if (!kvm_apic_hw_enabled(apic) || apic_x2apic_mode(apic))
		return X2S_QUIRK_LAPIC_MMIO_HOLE ? 0 : -EOPNOTSUPP;

	/*
	 * SDM 11.4.1: registers are 16-byte aligned and accessed with
	 * 32-bit loads and stores; anything else is dropped.
	 */
	offset = (u32)(addr - apic->base_address);
	if (len != 4 || (offset & 0xf))
		return 0;

	memcpy(&val, data, sizeof(val));
	kvm_lapic_reg_write(apic, offset & 0xff0, val);
	return 0;
}

/* ---- x2APIC ICR and MSRs ---- */

static int __kvm_x2apic_icr_write(struct kvm_lapic *apic, u64 data, bool fast)
{
	if (data & X2APIC_ICR_RESERVED_BITS)
		return 1;

	/*
	 * BUSY is reserved in x2APIC mode; AMD faults on it, Intel ignores
	 * it.  KVM clears it silently rather than pick one vendor.
	 */
	data &= ~(u64)APIC_ICR_BUSY;

	if (fast) {
		struct kvm_lapic_irq irq;
		int ignored;

		kvm_icr_to_lapic_irq(apic, (u32)data, (u32)(data >> 32), &irq);
		if (!kvm_irq_delivery_to_apic_fast(apic_kvm(apic), apic, &irq,
						   &ignored, NULL))
			return -EWOULDBLOCK;
		x2s_trace_apic_ipi((u32)data, irq.dest_id);
	} else {
		kvm_apic_send_ipi(apic, (u32)data, (u32)(data >> 32));
	}

	if (apic_kvm(apic)->arch.x2apic_icr_is_split) {
		kvm_lapic_set_reg(apic, APIC_ICR, (u32)data);
		kvm_lapic_set_reg(apic, APIC_ICR2, (u32)(data >> 32));
	} else {
		kvm_lapic_set_reg64(apic, APIC_ICR, data);
	}
	x2s_trace_apic_write(APIC_ICR, data);
	return 0;
}

int kvm_x2apic_icr_write(struct kvm_lapic *apic, u64 data)
{
	return __kvm_x2apic_icr_write(apic, data, false);
}

int kvm_x2apic_icr_write_fast(struct kvm_lapic *apic, u64 data)
{
	return __kvm_x2apic_icr_write(apic, data, true);
}

u64 kvm_x2apic_icr_read(struct kvm_lapic *apic)
{
	if (apic_kvm(apic)->arch.x2apic_icr_is_split)
		return (u64)kvm_lapic_get_reg(apic, APIC_ICR) |
		       (u64)kvm_lapic_get_reg(apic, APIC_ICR2) << 32;
	return kvm_lapic_get_reg64(apic, APIC_ICR);
}

static int kvm_lapic_msr_read(struct kvm_lapic *apic, u32 reg, u64 *data)
{
	u32 low;

	if (reg == APIC_ICR) {
		*data = kvm_x2apic_icr_read(apic);
		return 0;
	}
	if (kvm_lapic_reg_read(apic, reg, 4, &low))
		return 1;
	*data = low;
	return 0;
}

static int kvm_lapic_msr_write(struct kvm_lapic *apic, u32 reg, u64 data)
{
	/* Only ICR is 64 bits wide; bits 63:32 are reserved elsewhere. */
	if (reg == APIC_ICR)
		return kvm_x2apic_icr_write(apic, data);
	if (data >> 32)
		return 1;
	return kvm_lapic_reg_write(apic, reg, (u32)data);
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 reg = (msr - APIC_BASE_MSR) << 4;

	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(apic))
		return 1;
	return kvm_lapic_msr_write(apic, reg, data);
}

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 reg = (msr - APIC_BASE_MSR) << 4;

	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(apic))
		return 1;
	return kvm_lapic_msr_read(apic, reg, data);
}

/* ---- APIC_BASE ---- */

static enum lapic_mode kvm_apic_mode(u64 apic_base)
{
	return (enum lapic_mode)(apic_base &
				 (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE));
}

static void __kvm_apic_set_base(struct kvm_vcpu *vcpu, u64 value)
{
	u64 old_value = vcpu->arch.apic_base;
	struct kvm_lapic *apic = vcpu->arch.apic;

	vcpu->arch.apic_base = value;
	if (!apic)
		return;

	if ((old_value ^ value) & MSR_IA32_APICBASE_ENABLE) {
		if (value & MSR_IA32_APICBASE_ENABLE)
			kvm_apic_set_xapic_id(apic, (u8)vcpu->vcpu_id);
		else
			kvm_apic_map_mark_dirty(vcpu->kvm);
	}

	if ((old_value ^ value) & X2APIC_ENABLE) {
		if (value & X2APIC_ENABLE)
			kvm_apic_set_x2apic_id(apic, (u32)vcpu->vcpu_id);
		else if (value & MSR_IA32_APICBASE_ENABLE)
			kvm_apic_set_xapic_id(apic, (u8)vcpu->vcpu_id);
	}

	/*
	 * x2sim: KVM also requests an APICv update and switches the VMCS
	 * virtual-APIC mode here, and a moved base sets an APICv inhibit;
	 * none of these changes what the model computes.
	 */
	apic->base_address = value & MSR_IA32_APICBASE_BASE;
}

int kvm_apic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host_initiated)
{
	enum lapic_mode old_mode = kvm_get_apic_mode(vcpu);
	enum lapic_mode new_mode = kvm_apic_mode(value);
	/*
	 * Bits 0-7 and 9 are reserved, and so is every address bit at or
	 * above MAXPHYADDR; EXTD is without CPUID x2APIC.
	 */
	u64 reserved_bits =
		GENMASK_ULL(63, vcpu->arch.maxphyaddr) | 0x2ff |
		(guest_cpu_cap_has(vcpu, X86_FEATURE_X2APIC) ? 0 :
							       X2APIC_ENABLE);

	if (vcpu->arch.apic_base == value)
		return 0;

	if ((value & reserved_bits) || new_mode == LAPIC_MODE_INVALID)
		return 1;
	if (!host_initiated) {
		if (old_mode == LAPIC_MODE_X2APIC &&
		    new_mode == LAPIC_MODE_XAPIC)
			return 1;
		if (old_mode == LAPIC_MODE_DISABLED &&
		    new_mode == LAPIC_MODE_X2APIC)
			return 1;
	}

	__kvm_apic_set_base(vcpu, value);
	kvm_recalculate_apic_map(vcpu->kvm);
	return 0;
}

u64 kvm_get_apic_base(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic_base;
}

/* ---- create / reset / free ---- */

void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	/* Posted interrupts die with the APIC state they were posted to. */
	vmx_apicv_pre_state_restore(vcpu);

	/* INIT leaves APIC_BASE alone (SDM 11.4.7.3); RESET restores it. */
	if (!init_event) {
		u64 msr_val = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE;

		if (kvm_vcpu_is_reset_bsp(vcpu))
			msr_val |= MSR_IA32_APICBASE_BSP;
		/* The map is rebuilt once, at the end. */
		__kvm_apic_set_base(vcpu, msr_val);
	}

	if (!apic)
		return;

	/* INIT keeps the xAPIC ID; RESET sets it even if already enabled. */
	if (!init_event)
		kvm_apic_set_xapic_id(apic, (u8)vcpu->vcpu_id);
	kvm_apic_set_version(vcpu);

	/* A reset stops a running timer. */
	apic->lapic_timer.timer.queued = false;
	for (int i = 0; i < apic->nr_lvt_entries; i++)
		kvm_lapic_set_reg(apic, APIC_LVTx(i), APIC_LVT_MASKED);
	apic_update_lvtt(apic);
	/* Quirk: the BSP comes out of reset with LINT0 as unmasked ExtINT. */
	if (kvm_vcpu_is_reset_bsp(vcpu) && X2S_QUIRK_LINT0_REENABLED)
		kvm_lapic_set_reg(apic, APIC_LVT0, APIC_DM_EXTINT);
	apic_manage_nmi_watchdog(apic, kvm_lapic_get_reg(apic, APIC_LVT0));

	kvm_apic_set_dfr(apic, 0xffffffffu);
	apic_set_spiv(apic, 0xff);
	kvm_lapic_set_reg(apic, APIC_TASKPRI, 0);
	/* In x2APIC mode LDR is derived from the ID and survives INIT. */
	if (!apic_x2apic_mode(apic))
		kvm_apic_set_ldr(apic, 0);
	kvm_lapic_set_reg(apic, APIC_ESR, 0);
	if (!apic_x2apic_mode(apic)) {
		kvm_lapic_set_reg(apic, APIC_ICR, 0);
		kvm_lapic_set_reg(apic, APIC_ICR2, 0);
	} else {
		kvm_lapic_set_reg64(apic, APIC_ICR, 0);
	}
	kvm_lapic_set_reg(apic, APIC_TDCR, 0);
	kvm_lapic_set_reg(apic, APIC_TMICT, 0);
	for (int i = 0; i < 8; i++) {
		kvm_lapic_set_reg(apic, APIC_IRR + 0x10 * i, 0);
		kvm_lapic_set_reg(apic, APIC_ISR + 0x10 * i, 0);
		kvm_lapic_set_reg(apic, APIC_TMR + 0x10 * i, 0);
	}
	kvm_apic_update_apicv(vcpu);
	update_divide_count(apic);
	atomic_set(&apic->lapic_timer.pending, 0);
	apic_update_ppr(apic);

	vcpu->arch.apic_arb_prio = 0;

	kvm_recalculate_apic_map(vcpu->kvm);
}

int kvm_create_lapic(struct kvm_vcpu *vcpu)
{
	struct x2s_vcpu_mem *m = x2s_vcpu_mem_of(vcpu);
	struct kvm_lapic *apic = &m->apic;

	/* The VM's memory for this vCPU (struct x2s_vcpu_mem). */
	memset(apic, 0, sizeof(*apic));
	memset(m->apic_page, 0, sizeof(m->apic_page));
	apic->regs = m->apic_page;
	apic->vcpu = vcpu;
	vcpu->arch.apic = apic;

	/*
	 * KVM's default MCG_CAP (KVM_MAX_MCE_BANKS) has no MCG_CMCI_P, so a
	 * vCPU has 6 LVT entries until userspace sets up CMCI
	 * (x2s_apic_set_cmci() here).
	 */
	apic->nr_lvt_entries = KVM_APIC_MAX_NR_LVT_ENTRIES - 1;

	/* ENABLE is stuffed so the reset below sees no enable transition. */
	vcpu->arch.apic_base = MSR_IA32_APICBASE_ENABLE;
	apic->apicv_active = vcpu->kvm->arch.apicv_enabled;
	apic->highest_isr_cache = -1;
	/* Without CPUID TSC-deadline, LVTT bit 18 is reserved. */
	apic->lapic_timer.timer_mode_mask =
		guest_cpu_cap_has(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER) ?
			X2S_TIMER_MODE_MASK :
			1u << 17;

	/* x2sim: KVM resets later from kvm_vcpu_reset(); done here. */
	kvm_lapic_reset(vcpu, false);
	return 0;
}

void kvm_free_lapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	/* The memory is the VM's (struct x2s_vcpu_mem). */
	if (!apic)
		return;
	vcpu->arch.apic = NULL;
}

/* ---- interrupt acknowledge ---- */

int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 ppr;

	/*
	 * Only hardware enable matters: a software-disabled APIC accepts no
	 * new fixed interrupts, but what is already in IRR is still offered.
	 */
	if (!kvm_apic_present(vcpu))
		return -1;

	__apic_update_ppr(apic, &ppr);
	return apic_has_interrupt_for_ppr(apic, ppr);
}

void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 ppr;

	if (WARN_ON_ONCE(vector < 0 || !apic))
		return;

	apic_clear_irr(vector, apic);
	/*
	 * PPR only goes up here, so nothing new can become deliverable and
	 * no KVM_REQ_EVENT is needed.  x2sim: no Hyper-V auto-EOI vectors.
	 */
	apic_set_isr(vector, apic);
	__apic_update_ppr(apic, &ppr);
}

int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu)
{
	int vector = kvm_apic_has_interrupt(vcpu);

	if (vector == -1)
		return -1;
	kvm_apic_ack_interrupt(vcpu, vector);
	return vector;
}

/* ---- INIT / SIPI ---- */

static void kvm_set_mp_state(struct kvm_vcpu *vcpu, u32 mp_state)
{
	vcpu->arch.mp_state = mp_state;
	if (mp_state == KVM_MP_STATE_RUNNABLE)
		vcpu->arch.pv.pv_unhalted = false;
}

/*
 * The part of kvm_vcpu_reset(vcpu, true) that the model's state has: the
 * APIC, pending events, the event queues and the architectural registers
 * after INIT (SDM table 10-1).
 */
static void x2s_vcpu_init_reset(struct kvm_vcpu *vcpu)
{
	kvm_lapic_reset(vcpu, true);

	vcpu->arch.smi_pending = false;
	vcpu->arch.nmi_pending = 0;
	vcpu->arch.nmi_injected = false;
	memset(&vcpu->arch.interrupt, 0, sizeof(vcpu->arch.interrupt));
	memset(&vcpu->arch.exception, 0, sizeof(vcpu->arch.exception));
	/* x2sim: the VMCS interrupt shadow is cleared by vmx_vcpu_reset(). */
	vcpu->arch.interruptibility = 0;
	kvm_make_request(KVM_REQ_EVENT, vcpu);

	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	/*
	 * RDX holds the CPUID.1 signature; KVM uses 0x600 when the guest has
	 * no CPUID.1 entry.  x2sim: there is no CPUID table.
	 */
	kvm_rdx_write(vcpu, 0x600);
	vcpu->arch.rflags = X86_EFLAGS_FIXED;
	kvm_rip_write(vcpu, 0xfff0);
}

bool kvm_apic_init_sipi_allowed(struct kvm_vcpu *vcpu)
{
	/* x2sim: no SMM, which blocks INIT too. */
	return !vmx_apic_init_signal_blocked(vcpu);
}

int kvm_apic_accept_events(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!kvm_apic_has_pending_init_or_sipi(vcpu))
		return 0;

	/* In L2, INIT (and SIPI) are first turned into exits to L1. */
	if (is_guest_mode(vcpu)) {
		int r = kvm_check_nested_events(vcpu);

		if (r < 0)
			return r == -EBUSY ? 0 : r;
		/*
		 * Go on even after a nested VM exit: L1 is now in VMX root
		 * operation, where INIT is blocked and a SIPI must go.
		 */
	}

	/*
	 * INIT blocked (VMX root operation): it stays latched and a SIPI is
	 * dropped; the vCPU cannot be waiting for SIPI then.
	 */
	if (!kvm_apic_init_sipi_allowed(vcpu)) {
		WARN_ON_ONCE(vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED);
		apic->pending_events &= ~(1UL << KVM_APIC_SIPI);
		return 0;
	}

	if (apic->pending_events & (1UL << KVM_APIC_INIT)) {
		apic->pending_events &= ~(1UL << KVM_APIC_INIT);
		x2s_vcpu_init_reset(vcpu);
		/* The BSP restarts at the reset vector; APs wait for SIPI. */
		if (kvm_vcpu_is_bsp(vcpu))
			kvm_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
		else
			kvm_set_mp_state(vcpu, KVM_MP_STATE_INIT_RECEIVED);
	}

	if (apic->pending_events & (1UL << KVM_APIC_SIPI)) {
		apic->pending_events &= ~(1UL << KVM_APIC_SIPI);
		/* A SIPI outside wait-for-SIPI is discarded. */
		if (vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			/*
			 * KVM loads CS.selector = vector << 8, CS.base =
			 * vector << 12, RIP = 0.  x2sim: no segment state, so
			 * RIP gets the linear start address vector << 12.
			 */
			kvm_rip_write(vcpu,
				      (unsigned long)(apic->sipi_vector & 0xff)
					      << 12);
			kvm_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
		}
	}
	return 0;
}
