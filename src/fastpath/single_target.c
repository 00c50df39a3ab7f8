// SPDX-License-Identifier: GPL-2.0-only
/*
 * single-target: what the 2019 seed meant, with the fixes that followed
 * it: the exact MSR, x2APIC mode, a physical fixed IPI to one destination
 * (no shorthand, not the broadcast ID), reserved bits left to the slow
 * path's #GP, BUSY cleared, the ICR stored as one 64-bit value, and the
 * skip's answer honoured.
 */
#include <x2sim/kvm.h>

static bool icr_is_single_target(u64 data)
{
	return !(data & X2APIC_ICR_RESERVED_BITS) &&
	       (data & APIC_SHORT_MASK) == APIC_DEST_NOSHORT &&
	       (data & APIC_DEST_MASK) == APIC_DEST_PHYSICAL &&
	       (data & APIC_MODE_MASK) == APIC_DM_FIXED &&
	       (u32)(data >> 32) != X2APIC_BROADCAST;
}

static fastpath_t handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 msr = kvm_rcx_read(vcpu);
	u64 data = kvm_read_edx_eax(vcpu);

	if (msr != APIC_BASE_MSR + (APIC_ICR >> 4) || !lapic_in_kernel(vcpu) ||
	    !apic_x2apic_mode(apic) || !icr_is_single_target(data))
		return EXIT_FASTPATH_NONE;

	data &= ~(u64)APIC_ICR_BUSY;
	kvm_apic_send_ipi(apic, (u32)data, (u32)(data >> 32));
	kvm_lapic_set_reg64(apic, APIC_ICR, data);
	trace_kvm_msr_write(msr, data);

	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	return EXIT_FASTPATH_REENTER_GUEST;
}

fastpath_t x2s_fastpath_single_target(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_single_target(struct kvm_vcpu *vcpu)
{
	if (is_guest_mode(vcpu) ||
	    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE)
		return EXIT_FASTPATH_NONE;

	return handle_fastpath_set_x2apic_icr_irqoff(vcpu);
}
