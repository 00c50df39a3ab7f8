/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim LAPIC module: the whole contract between src/lapic/ and the rest.
 *
 * lapic.c: the register page and every register's semantics, x2APIC MSR
 *          and xAPIC MMIO faces, APIC_BASE, TPR/PPR, IRR/ISR/TMR, EOI,
 *          interrupt acknowledge, INIT/SIPI processing, APICv PIR sync.
 * irq.c:   the optimized APIC map, destination matching, IPI delivery
 *          (kvm_apic_send_ipi -> kvm_irq_delivery_to_apic), lowest
 *          priority arbitration and acceptance by the target.
 *
 * Functions keep KVM's names so they can be read next to upstream
 * arch/x86/kvm/lapic.c; x2sim-only helpers are prefixed x2s_.
 * Return conventions follow KVM: MSR handlers return 0 on success and 1
 * for "inject #GP"; everything else documents its own.
 */
#ifndef X2SIM_SRC_LAPIC_H
#define X2SIM_SRC_LAPIC_H

#include <x2sim/kvm.h>

#define APIC_PAGE_SIZE 4096

/* xAPIC ID field of APIC_ID and destination field of ICR2 / LDR. */
#define GET_XAPIC_DEST_FIELD(x) (((x) >> 24) & 0xff)
#define SET_XAPIC_DEST_FIELD(x) ((x) << 24)

enum lapic_mode {
	LAPIC_MODE_DISABLED = 0,
	LAPIC_MODE_INVALID = X2APIC_ENABLE,
	LAPIC_MODE_XAPIC = MSR_IA32_APICBASE_ENABLE,
	LAPIC_MODE_X2APIC = MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE,
};

/* ---- lapic.c ---- */

/*
 * Allocate vcpu->arch.apic and its page, and put the APIC in KVM's reset
 * state (APIC_BASE = 0xfee00000 | EN, | BSP for vcpu_id 0; xAPIC mode;
 * APIC_ID = vcpu_id << 24; SVR = 0xff, i.e. software-disabled; every LVT
 * masked).  Returns 0 or -ENOMEM.
 */
int kvm_create_lapic(struct kvm_vcpu *vcpu);
void kvm_free_lapic(struct kvm_vcpu *vcpu);
/* KVM's kvm_lapic_reset(): power-on (init_event false) or INIT. */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event);

static inline enum lapic_mode kvm_get_apic_mode(struct kvm_vcpu *vcpu)
{
	return (enum lapic_mode)(vcpu->arch.apic_base &
				 (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE));
}

static inline u32 kvm_xapic_id(struct kvm_lapic *apic)
{
	return kvm_lapic_get_reg(apic, APIC_ID) >> 24;
}

/*
 * APIC_BASE (MSR 0x1b).  kvm_apic_set_base() checks the transition
 * (reserved bits, disabled -> x2APIC, x2APIC -> xAPIC, EXTD without EN)
 * unless host_initiated allows it, and returns 0 or 1 (#GP).  A legal
 * change updates the mode, the x2APIC ID/LDR, the map, and resets the
 * APIC when it is hardware-disabled.
 */
int kvm_apic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host_initiated);
u64 kvm_get_apic_base(struct kvm_vcpu *vcpu);

/* MSR 0x800-0x8ff: the x2APIC range (any index, whether a register). */
static inline bool kvm_x2apic_msr_in_range(u32 msr)
{
	return msr >= APIC_BASE_MSR && msr <= APIC_BASE_MSR + 0xff;
}

/*
 * kvm_x2apic_msr_write/read (declared in kvm.h) are the WRMSR/RDMSR
 * handlers for the x2APIC range: 0 done, 1 #GP.
 *
 * xAPIC MMIO: addr is a guest physical address.  Returns -EOPNOTSUPP when
 * the access is not to this vCPU's enabled xAPIC page (KVM then treats it
 * as ordinary memory), else 0.  Misaligned or non-4-byte writes are
 * ignored as KVM ignores them.
 */
int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t addr, int len,
			 const void *data);
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t addr, int len,
			void *data);

/* PPR from TPR and the highest ISR vector; sets KVM_REQ_EVENT on drops. */
void apic_update_ppr(struct kvm_lapic *apic);
/* Highest vector in IRR, -1 when none. */
int kvm_lapic_find_highest_irr(struct kvm_vcpu *vcpu);
int apic_find_highest_isr(struct kvm_lapic *apic);
/* Set / clear a vector in a 256-bit register at base (IRR/ISR/TMR). */
void kvm_lapic_set_vector(int vec, void *bitmap);
void kvm_lapic_clear_vector(int vec, void *bitmap);
bool kvm_lapic_test_vector(int vec, const void *bitmap);
void kvm_apic_set_irr_vector(struct kvm_lapic *apic, int vec);
/*
 * The highest IRR vector that can be delivered now (above PPR, APIC
 * enabled), -1 when none.  kvm_get_apic_interrupt() acknowledges it:
 * IRR -> ISR, PPR update; returns the vector or -1.
 */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu);
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu);
/* EOI: clear the highest ISR vector; level-triggered clears TMR state. */
int apic_set_eoi(struct kvm_lapic *apic);

/*
 * APICv: move posted-interrupt vectors from the PIR into IRR.  Returns
 * true if any vector moved; *max_irr gets the highest IRR vector or -1.
 */
bool kvm_apic_update_irr(struct kvm_vcpu *vcpu, u32 *pir, int *max_irr);

/*
 * Act on pending INIT/SIPI the way KVM does before entry: INIT resets the
 * vCPU (except the BSP flag) and moves it to INIT_RECEIVED; a SIPI in
 * INIT_RECEIVED makes it RUNNABLE at CS = vector << 8, RIP = 0.  Returns 0.
 */
int kvm_apic_accept_events(struct kvm_vcpu *vcpu);
static inline bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && vcpu->arch.apic->pending_events;
}

/* SVR write path: software enable changes the map. */
void apic_set_spiv(struct kvm_lapic *apic, u32 val);

/* ---- irq.c ---- */

/* Rebuild kvm->arch.apic_map when kvm->arch.apic_map_dirty is set. */
void kvm_recalculate_apic_map(struct kvm *kvm);
void kvm_free_apic_map(struct kvm *kvm);
static inline void kvm_apic_map_mark_dirty(struct kvm *kvm)
{
	kvm->arch.apic_map_dirty = true;
}

/*
 * Accept one interrupt at one target (__apic_accept_irq with KVM's table
 * of delivery modes).  Returns 1 if it was accepted (for fixed/lowest:
 * the vector was set in IRR or PIR), else 0.
 */
int kvm_apic_set_irq(struct kvm_vcpu *vcpu, struct kvm_lapic_irq *irq,
		     struct dest_map *dest_map);

int kvm_apic_compare_prio(struct kvm_vcpu *vcpu1, struct kvm_vcpu *vcpu2);

/*
 * x2sim: the receiver set of each delivery implementation alone, without
 * delivering anything, for the map-vs-loop comparison.  Both fill
 * receivers (a bitmap by vcpu_idx, KVM_MAX_VCPUS bits) after lowest
 * priority selection and return the number of receivers.
 * x2s_apic_map_receivers() returns -1 when the map declines (KVM then
 * falls back to the loop).
 */
int x2s_apic_map_receivers(struct kvm *kvm, struct kvm_lapic *src,
			   struct kvm_lapic_irq *irq, unsigned long *receivers);
int x2s_apic_loop_receivers(struct kvm *kvm, struct kvm_lapic *src,
			    struct kvm_lapic_irq *irq,
			    unsigned long *receivers);

#endif /* X2SIM_SRC_LAPIC_H */
