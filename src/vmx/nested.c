// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested VMX, as far as the model needs it: exits from L2 either go to L0
 * (KVM handles them as for L1) or are reflected to L1 as a nested VM exit.
 *
 * x2sim: vmcs12 is reduced to its MSR bitmap.  The rest of L1's controls
 * are fixed by one rule (see nested_vmx_l1_wants_exit()), and L1's host
 * state is not modelled: a nested VM exit leaves guest mode and records
 * the exit, but RIP/RFLAGS keep L2's values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/vmx.h"

/* SDM 25.6.9: four 1 KiB bitmaps, read-low, read-high, write-low, write-high. */
#define MSR_BITMAP_SIZE 4096
#define MSR_BITMAP_READ_LOW 0
#define MSR_BITMAP_READ_HIGH 1024
#define MSR_BITMAP_WRITE_LOW 2048
#define MSR_BITMAP_WRITE_HIGH 3072
#define MSR_BITMAP_HIGH_BASE 0xc0000000u
#define MSR_BITMAP_RANGE 0x2000u

_Static_assert(MSR_BITMAP_SIZE == X2S_MSR_BITMAP_SIZE, "the bitmap's page");

void nested_vmx_vcpu_setup(struct vcpu_vmx *vmx)
{
	struct x2s_vcpu_mem *m = x2s_vcpu_mem_of(&vmx->vcpu);

	/* An all-zero bitmap: L1 uses MSR bitmaps and intercepts nothing. */
	memset(m->msr_bitmap, 0, sizeof(m->msr_bitmap));
	vmx->nested.msr_bitmap = m->msr_bitmap;
}

/*
 * Byte offset of msr's bit in the bitmap, -1 when the MSR is outside both
 * ranges the bitmap covers (such accesses always exit).
 */
static int msr_bitmap_offset(u32 msr, bool write, u8 *bit)
{
	unsigned int base = write ? MSR_BITMAP_WRITE_LOW : MSR_BITMAP_READ_LOW;

	if (msr >= MSR_BITMAP_HIGH_BASE) {
		msr -= MSR_BITMAP_HIGH_BASE;
		base += MSR_BITMAP_READ_HIGH;
	}
	if (msr >= MSR_BITMAP_RANGE)
		return -1;
	*bit = (u8)(1u << (msr & 7));
	return (int)(base + msr / 8);
}

/*
 * nested_vmx_exit_handled_msr(): without MSR bitmaps every RDMSR/WRMSR
 * exits; with them, MSRs outside 0-0x1fff and 0xc0000000-0xc0001fff
 * always exit (SDM 26.1.3) and the rest follow their bit.
 */
static bool nested_vmx_exit_handled_msr(struct kvm_vcpu *vcpu, u32 msr,
					bool write)
{
	const u8 *bitmap = to_vmx(vcpu)->nested.msr_bitmap;
	int off;
	u8 bit;

	if (!bitmap)
		return true;
	off = msr_bitmap_offset(msr, write, &bit);
	if (off < 0)
		return true;
	return bitmap[off] & bit;
}

bool nested_vmx_l1_wants_msr_exit(struct kvm_vcpu *vcpu, u32 msr, bool write)
{
	if (!is_guest_mode(vcpu))
		return false;
	return nested_vmx_exit_handled_msr(vcpu, msr, write);
}

int nested_vmx_set_msr_intercept(struct kvm_vcpu *vcpu, u32 msr, bool write,
				 bool intercept)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int off;
	u8 bit;

	off = msr_bitmap_offset(msr, write, &bit);
	if (off < 0)
		/* Out of range: intercepted whatever the bitmap says. */
		return intercept ? 0 : -EINVAL;
	if (intercept)
		vmx->nested.msr_bitmap[off] |= bit;
	else
		vmx->nested.msr_bitmap[off] &= (u8)~bit;
	return 0;
}

/*
 * The same for reads and writes of the n MSRs from first on, whole bytes
 * of one range (first and n multiples of 8): a VM's setup sets the 256
 * x2APIC MSRs at once.
 */
int nested_vmx_set_msr_range_intercept(struct kvm_vcpu *vcpu, u32 first, u32 n,
				       bool intercept)
{
	u8 *bitmap = to_vmx(vcpu)->nested.msr_bitmap;
	int r, w, last;
	u8 bit;

	if (!n || (first | n) & 7)
		return -EINVAL;
	r = msr_bitmap_offset(first, false, &bit);
	w = msr_bitmap_offset(first, true, &bit);
	last = msr_bitmap_offset(first + n - 1, false, &bit);
	if (r < 0 || last - r != (int)((n - 1) / 8))
		return -EINVAL;
	memset(bitmap + r, intercept ? 0xff : 0, n / 8);
	memset(bitmap + w, intercept ? 0xff : 0, n / 8);
	return 0;
}

/* Exits KVM keeps for itself whatever L1 asked for. */
static bool nested_vmx_l0_wants_exit(struct kvm_vcpu *vcpu, u16 basic)
{
	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI:
		/*
		 * x2sim: KVM keeps NMIs and some #PF/#DB/#BP and reflects
		 * the rest per vmcs12's exception bitmap; the model has no
		 * exception bitmap and keeps them all.
		 */
		return true;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_MCE_DURING_VMENTRY:
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_EPT_MISCONFIG:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_PML_FULL:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_BUS_LOCK:
		return true;
	default:
		return false;
	}
}

/*
 * x2sim: the model's L1 intercepts every exit it can, except the interrupt
 * and NMI windows (those are L0's, opened to inject into L2) and whatever
 * the MSR bitmap lets through.  KVM asks vmcs12's controls instead.
 */
static bool nested_vmx_l1_wants_exit(struct kvm_vcpu *vcpu, u16 basic)
{
	switch (basic) {
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		return nested_vmx_exit_handled_msr(
			vcpu, (u32)kvm_rcx_read(vcpu),
			basic == EXIT_REASON_MSR_WRITE);
	case EXIT_REASON_MSR_READ_IMM:
	case EXIT_REASON_MSR_WRITE_IMM:
		return nested_vmx_exit_handled_msr(
			vcpu, (u32)vmcs_read(vcpu, EXIT_QUALIFICATION),
			basic == EXIT_REASON_MSR_WRITE_IMM);
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
		return false;
	case EXIT_REASON_NOTIFY:
		/* KVM never exposes the notify VM exit to L1. */
		return false;
	case EXIT_REASON_SEAMCALL:
	case EXIT_REASON_TDCALL:
		/* Not virtualized for L1; L1 cannot expect them. */
		return false;
	default:
		return true;
	}
}

void nested_vmx_vmexit(struct kvm_vcpu *vcpu, u32 vm_exit_reason,
		       u32 exit_intr_info, unsigned long exit_qualification)
{
	struct nested_vmx *nested = &to_vmx(vcpu)->nested;

	nested->last_exit.happened = true;
	nested->last_exit.exit_reason = vm_exit_reason;
	nested->last_exit.exit_qualification = exit_qualification;
	/* leave_guest_mode(); L1 stays in VMX (root) operation. */
	vcpu->arch.guest_mode = false;
	/*
	 * Events queued for re-injection into L2 and exceptions pending for
	 * L2 belong to L2 (vmcs12's IDT-vectoring info, pending debug
	 * exceptions), never to L1.  x2sim: vmcs12 has neither field, so
	 * they are only dropped.
	 */
	vcpu->arch.nmi_injected = false;
	vcpu->arch.exception.pending = false;
	vcpu->arch.exception.injected = false;
	vcpu->arch.interrupt.injected = false;
	/* L1 runs again even if L2 had halted. */
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	vcpu->arch.pv.pv_unhalted = false;
	/*
	 * x2sim: KVM now loads L1's host state from vmcs12 (RIP, RSP,
	 * RFLAGS = 2, ...); the model has none and keeps L2's registers,
	 * which also shows that L2's instruction was not skipped.
	 */
	(void)exit_intr_info;
}

bool vmx_apic_init_signal_blocked(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->nested.vmxon && !is_guest_mode(vcpu);
}

int vmx_check_nested_events(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	/*
	 * A VM exit in the middle of delivering an event to L2 is not an
	 * instruction boundary: the event is re-injected first.  x2sim: no
	 * nested_run_pending (VMLAUNCH/VMRESUME are not modelled).
	 */
	bool block_nested_events = kvm_event_needs_reinjection(vcpu);

	if (!lapic_in_kernel(vcpu))
		return 0;
	if (apic->pending_events & BIT(KVM_APIC_INIT)) {
		if (block_nested_events)
			return -EBUSY;
		apic->pending_events &= ~BIT(KVM_APIC_INIT);
		/* L2 in wait-for-SIPI is already where an INIT would put it. */
		if (vcpu->arch.mp_state != KVM_MP_STATE_INIT_RECEIVED)
			nested_vmx_vmexit(vcpu, EXIT_REASON_INIT_SIGNAL, 0, 0);
		return 0;
	}
	if (apic->pending_events & BIT(KVM_APIC_SIPI)) {
		if (block_nested_events)
			return -EBUSY;
		apic->pending_events &= ~BIT(KVM_APIC_SIPI);
		/*
		 * x2sim: L2 never waits for SIPI in the model (no activity
		 * states; KVM_SET_MP_STATE refuses it in guest mode), so this
		 * exit cannot happen; anywhere else the SIPI is dropped.
		 */
		if (vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			nested_vmx_vmexit(vcpu, EXIT_REASON_SIPI_SIGNAL, 0,
					  apic->sipi_vector & 0xff);
			return 0;
		}
	}
	/*
	 * x2sim: KVM goes on to MTF, exceptions L1 intercepts, the
	 * preemption timer, SMI, NMI and interrupt exits to L1; the model's
	 * L1 intercepts none of them (see nested_vmx_l1_wants_exit()).
	 */
	return 0;
}

bool nested_vmx_reflect_vmexit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u16 basic = (u16)vmx->exit_reason.basic;

	/* If L0 wants the exit, that trumps whatever L1 wants. */
	if (nested_vmx_l0_wants_exit(vcpu, basic))
		return false;
	if (!nested_vmx_l1_wants_exit(vcpu, basic))
		return false;
	nested_vmx_vmexit(vcpu, vmx->exit_reason.full,
			  (u32)vmcs_read(vcpu, VM_EXIT_INTR_INFO),
			  vmcs_readl(vcpu, EXIT_QUALIFICATION));
	return true;
}
