// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test source: x86.c's IPI fastpath in the shape Linux 5.6 merged it
 * (only the functions), written for x2sim's tests.  5.6 had no dispatcher
 * in vmx.c: vmx_handle_exit_irqoff() called this for MSR_WRITE outside L2,
 * and vmx_handle_exit() skipped the instruction on SKIP_EMUL_INS.
 */
#include <x2sim/kvm.h>

static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu, u64 icr)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(apic))
		return 1;
	if ((icr & APIC_DEST_MASK) != APIC_DEST_PHYSICAL ||
	    (icr & APIC_MODE_MASK) != APIC_DM_FIXED)
		return 1;

	/* xAPIC style: ICR2 holds the destination, the ICR write sends. */
	kvm_lapic_set_reg(apic, APIC_ICR2, (u32)(icr >> 32));
	return kvm_lapic_reg_write(apic, APIC_ICR, (u32)icr);
}

enum exit_fastpath_completion handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	u32 index = kvm_rcx_read(vcpu);
	u64 value = kvm_read_edx_eax(vcpu);

	if (index != APIC_BASE_MSR + (APIC_ICR >> 4) ||
	    handle_fastpath_set_x2apic_icr_irqoff(vcpu, value))
		return EXIT_FASTPATH_NONE;

	trace_kvm_msr_write(index, value);
	/* The caller skips the instruction. */
	return EXIT_FASTPATH_SKIP_EMUL_INS;
}
EXPORT_SYMBOL_GPL(handle_fastpath_set_msr_irqoff);
