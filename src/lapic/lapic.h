/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim LAPIC module: the whole contract between src/lapic/ and the rest.
 *
 * lapic.c: the register page and every register's semantics, x2APIC MSR
 *          and xAPIC MMIO faces, APIC_BASE, TPR/PPR, IRR/ISR/TMR, EOI,
 *          interrupt acknowledge, INIT/SIPI processing, APICv PIR sync.
 * timer.c: the LAPIC timer (one-shot, periodic, TSC deadline; hv and sw
 *          timers) on the VM's clock.
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

/* LVR bit 24: the APIC can suppress EOI broadcasts (SVR bit 12 exists). */
#define APIC_LVR_DIRECTED_EOI (1u << 24)

/*
 * x2sim: the guest's default MAXPHYADDR (CPUID 0x80000008 EAX[7:0]);
 * APIC_BASE bits from there up are reserved.  46 is a common Intel
 * server value; struct x2s_vm_config.maxphyaddr sets another.
 */
#define X2S_GUEST_MAXPHYADDR 46

/* x2APIC LDR: cluster (ID[31:4]) in bits 31:16, 1 << ID[3:0] below. */
static inline u32 kvm_apic_calc_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/*
 * Allocate vcpu->arch.apic and its page, and put the APIC in KVM's reset
 * state (APIC_BASE = 0xfee00000 | EN, | BSP for vcpu_id 0; xAPIC mode;
 * APIC_ID = vcpu_id << 24; SVR = 0xff, i.e. software-disabled; every LVT
 * masked, except LVT0 = ExtINT on the BSP (KVM's LINT0_REENABLED quirk);
 * 6 LVT entries, no CMCI; apicv_active = kvm->arch.apicv_enabled).
 * Returns 0 or -ENOMEM.
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
 * change updates the mode, the xAPIC ID (on enable) or x2APIC ID/LDR (on
 * entering x2APIC), base_address and the map.  Like KVM, disabling the
 * APIC does not reset its registers.
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
 * addr is outside [base_address, base_address + 4K) (KVM then treats it as
 * ordinary memory), else 0.  With the APIC hardware-disabled or in x2APIC
 * mode the page is a hole (KVM_X86_QUIRK_LAPIC_MMIO_HOLE, on by default):
 * reads give all-ones, writes are dropped, 0 is returned.  Misaligned or
 * non-4-byte writes are ignored as KVM ignores them; a read of an
 * unreadable register leaves *data untouched.
 */
int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, gpa_t addr, int len,
			 const void *data);
int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, gpa_t addr, int len, void *data);

/* PPR from TPR and the highest ISR vector; sets KVM_REQ_EVENT on drops. */
void apic_update_ppr(struct kvm_lapic *apic);
/* Highest vector in IRR, -1 when none. */
int kvm_lapic_find_highest_irr(struct kvm_vcpu *vcpu);
int apic_find_highest_isr(struct kvm_lapic *apic);
/*
 * Set / clear / test a vector in a 256-bit register laid out like IRR (32
 * bits per 16 bytes).  These work on any such bitmap and do not mark
 * dirty lines: for the register page use x2s_apic_set_vector() /
 * x2s_apic_clear_vector() with base APIC_IRR / APIC_ISR / APIC_TMR.
 */
void kvm_lapic_set_vector(int vec, void *bitmap);
void kvm_lapic_clear_vector(int vec, void *bitmap);
bool kvm_lapic_test_vector(int vec, const void *bitmap);
void x2s_apic_set_vector(struct kvm_lapic *apic, int base, int vec);
void x2s_apic_clear_vector(struct kvm_lapic *apic, int base, int vec);
/* KVM's kvm_lapic_set_irr(): IRR bit and irr_pending (no APICv posting). */
void kvm_apic_set_irr_vector(struct kvm_lapic *apic, int vec);
/*
 * The highest IRR vector whose priority class is above PPR, -1 when none
 * or when the APIC is hardware-disabled (like KVM, a software-disabled
 * APIC still offers what is already in IRR).  With APICv, sync the PIR
 * first (kvm_apic_update_irr).  kvm_apic_ack_interrupt() moves a vector
 * IRR -> ISR and raises PPR; kvm_get_apic_interrupt() is has + ack and
 * returns the vector or -1.
 */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu);
void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector);
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu);
/*
 * EOI: clear the highest ISR vector, update PPR, KVM_REQ_EVENT; returns
 * the vector or -1.  TMR is not touched (KVM forwards level EOIs to the
 * IOAPIC, which x2sim does not have).
 */
int apic_set_eoi(struct kvm_lapic *apic);

/*
 * APICv: move posted-interrupt vectors from the PIR into IRR, zeroing the
 * PIR (the caller clears pi_desc.on first, as vmx_sync_pir_to_irr does).
 * As in KVM: returns true iff the highest IRR vector afterwards is one
 * that was newly set from the PIR; *max_irr gets the highest IRR vector,
 * but stays -1 when the PIR was empty (even if IRR has bits).
 */
bool kvm_apic_update_irr(struct kvm_vcpu *vcpu, u32 *pir, int *max_irr);
/*
 * Recompute irr_pending / isr_count / highest_isr_cache after
 * apic->apicv_active changed (KVM calls it on every APICv toggle).
 */
void kvm_apic_update_apicv(struct kvm_vcpu *vcpu);

/*
 * Act on pending INIT/SIPI the way KVM does before entry.  INIT: the APIC
 * gets kvm_lapic_reset(vcpu, true) (APIC_BASE, xAPIC ID and x2APIC LDR
 * kept), NMI/SMI/exception/interrupt queues are cleared, GPRs zeroed with
 * RDX = 0x600, RFLAGS = 2, RIP = 0xfff0; then a vCPU with APIC_BASE.BSP
 * becomes RUNNABLE, any other INIT_RECEIVED.  A SIPI in INIT_RECEIVED makes
 * it RUNNABLE with RIP = vector << 12 (x2sim: KVM has CS.base = vector <<
 * 12 and RIP = 0; the model has no segments); a SIPI in any other state
 * is discarded.  In guest mode (L2) a pending INIT first becomes a nested
 * VM exit to L1 (EXIT_REASON_INIT_SIGNAL, kvm_check_nested_events).  In
 * VMX root operation (L1 after VMXON) INIT stays latched, without reset,
 * and a SIPI is dropped.  Returns 0.
 */
int kvm_apic_accept_events(struct kvm_vcpu *vcpu);
/* INIT and SIPI can be acted on: not blocked by VMX root operation. */
bool kvm_apic_init_sipi_allowed(struct kvm_vcpu *vcpu);
static inline bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && vcpu->arch.apic->pending_events;
}

/* SVR write path: software enable changes the map. */
void apic_set_spiv(struct kvm_lapic *apic, u32 val);

/* LVR from nr_lvt_entries (| directed EOI: x2sim has no in-kernel IOAPIC). */
void kvm_apic_set_version(struct kvm_vcpu *vcpu);
/*
 * x2sim: what KVM_X86_SETUP_MCE with/without MCG_CMCI_P does to the APIC
 * (kvm_apic_after_set_mcg_cap): 7 LVT entries with CMCI, else 6.
 */
void x2s_apic_set_cmci(struct kvm_vcpu *vcpu, bool cmci);
/* Bit n set: the register at offset n << 4 is readable (RDMSR/MMIO). */
u64 kvm_lapic_readable_reg_mask(struct kvm_lapic *apic);

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

/* Deliver the interrupt an LVT entry (APIC_LVTT, ...) describes, if unmasked. */
int kvm_apic_local_deliver(struct kvm_lapic *apic, int lvt_type);

/* ---- timer.c ---- */

/*
 * x2sim: the host TSC runs at 1 GHz on the VM's clock, and the VMX
 * preemption timer counts it >> 5 (IA32_VMX_MISC[4:0], a common value).
 */
#define X2S_HOST_TSC_KHZ 1000000u
#define X2S_PREEMPTION_TIMER_MULTI 5

u64 x2s_rdtsc(const struct kvm *kvm);
u64 kvm_read_l1_tsc(struct kvm_vcpu *vcpu, u64 host_tsc);
bool apic_lvtt_oneshot(struct kvm_lapic *apic);
bool apic_lvtt_period(struct kvm_lapic *apic);
bool apic_lvtt_tscdeadline(struct kvm_lapic *apic);
/* LVTT changed: the cached mode follows; into/out of TSC deadline stops. */
void apic_update_lvtt(struct kvm_lapic *apic);
void update_divide_count(struct kvm_lapic *apic);
void cancel_apic_timer(struct kvm_lapic *apic);
void restart_apic_timer(struct kvm_lapic *apic);
/* Start from the count in count_reg (APIC_TMICT, or TMCCT on a restore). */
void __start_apic_timer(struct kvm_lapic *apic, u32 count_reg);
void x2s_apic_write_tmict(struct kvm_lapic *apic, u32 val);
void x2s_apic_write_tdcr(struct kvm_lapic *apic, u32 val);
u32 apic_get_tmcct(struct kvm_lapic *apic);
u64 kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu);
/* CR8 as the TPR: TPR[7:4] = CR8[3:0]. */
void kvm_lapic_set_tpr(struct kvm_vcpu *vcpu, unsigned long cr8);
u64 kvm_lapic_get_cr8(struct kvm_vcpu *vcpu);
/* The expired timer's count (not yet injected), if LVTT can deliver. */
int apic_has_pending_timer(struct kvm_vcpu *vcpu);
void kvm_inject_apic_timer_irqs(struct kvm_vcpu *vcpu);
bool kvm_lapic_hv_timer_in_use(struct kvm_vcpu *vcpu);
void kvm_lapic_switch_to_sw_timer(struct kvm_vcpu *vcpu);
void kvm_lapic_switch_to_hv_timer(struct kvm_vcpu *vcpu);
/* Arm the preemption timer for the next entry (vmx_vcpu_run()). */
void vmx_update_hv_timer(struct kvm_vcpu *vcpu, bool force_immediate_exit);
/*
 * The VM's clock moves to to (never back): every sw timer due by then
 * fires at its own expiry, in time order.
 */
void x2s_kvm_advance_clock(struct kvm *kvm, ktime_t to);
/* The earliest queued sw timer's expiry: false when none is queued. */
bool x2s_kvm_next_timer(const struct kvm *kvm, ktime_t *when);

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
