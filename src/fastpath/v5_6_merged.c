// SPDX-License-Identifier: GPL-2.0-only
/*
 * v5.6-merged: the fastpath as merged for Linux 5.6 (commit 1e9e2622a149,
 * "KVM: VMX: FIXED+PHYSICAL mode single target IPI fastpath"), in the form
 * it would take against this KVM.
 *
 * The MSR index is now matched exactly, but the ICR is still written
 * through the 32-bit xAPIC register path, and vmx_handle_exit() skipped
 * the instruction for an EXIT_FASTPATH_SKIP_EMUL_INS result and returned
 * 1 whatever the skip said.
 */
/* The 5.6 face: fastpath results are NONE and SKIP_EMUL_INS. */
#define X2SIM_KVM_VERSION 0x050600
#include <x2sim/kvm.h>

static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu,
						 u64 data)
{
	if (lapic_in_kernel(vcpu) && apic_x2apic_mode(vcpu->arch.apic) &&
	    ((data & APIC_DEST_MASK) == APIC_DEST_PHYSICAL) &&
	    ((data & APIC_MODE_MASK) == APIC_DM_FIXED)) {
		kvm_lapic_set_reg(vcpu->arch.apic, APIC_ICR2,
				  (u32)(data >> 32));
		return kvm_lapic_reg_write(vcpu->arch.apic, APIC_ICR,
					   (u32)data);
	}

	return 1;
}

fastpath_t x2s_fastpath_v5_6_merged(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_v5_6_merged(struct kvm_vcpu *vcpu)
{
	u32 msr = kvm_rcx_read(vcpu);
	u64 data = kvm_read_edx_eax(vcpu);
	int ret;

	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		ret = handle_fastpath_set_x2apic_icr_irqoff(vcpu, data);
		break;
	default:
		return EXIT_FASTPATH_NONE;
	}

	if (ret)
		return EXIT_FASTPATH_NONE;
	trace_kvm_msr_write(msr, data);
	return EXIT_FASTPATH_SKIP_EMUL_INS;
}
