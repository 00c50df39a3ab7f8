// SPDX-License-Identifier: GPL-2.0-only
/*
 * v6.12 (once called single-target): the fastpath as Linux 6.12 has it,
 * which is what the 2019 patch meant with the fixes that followed it (the
 * 5.8 - 6.17 form of handle_fastpath_set_x2apic_icr_irqoff): the exact MSR, x2APIC mode, and only a physical fixed IPI to one destination
 * (no shorthand, not the broadcast ID) is taken; the write itself is the
 * slow path's kvm_x2apic_icr_write(), so reserved bits still end in the
 * slow path's #GP (it returns 1 and the fastpath declines), BUSY is
 * cleared and the ICR is stored as the vendor stores it; the skip's answer
 * is honoured (since 6.12; 6.1 LTS and 6.9 ignored it, see the README's
 * history table and x2sim verify --kernel on Debian's linux-source-6.1).
 */
#include <x2sim/kvm.h>

static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu,
						 u64 data)
{
	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(vcpu->arch.apic))
		return 1;

	if (((data & APIC_SHORT_MASK) == APIC_DEST_NOSHORT) &&
	    ((data & APIC_DEST_MASK) == APIC_DEST_PHYSICAL) &&
	    ((data & APIC_MODE_MASK) == APIC_DM_FIXED) &&
	    ((u32)(data >> 32) != X2APIC_BROADCAST))
		return kvm_x2apic_icr_write(vcpu->arch.apic, data);

	return 1;
}

static fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	u32 msr = kvm_rcx_read(vcpu);
	u64 data = kvm_read_edx_eax(vcpu);

	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		if (handle_fastpath_set_x2apic_icr_irqoff(vcpu, data))
			return EXIT_FASTPATH_NONE;
		break;
	default:
		return EXIT_FASTPATH_NONE;
	}

	trace_kvm_msr_write(msr, data);

	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	return EXIT_FASTPATH_REENTER_GUEST;
}

fastpath_t x2s_fastpath_v6_12(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_v6_12(struct kvm_vcpu *vcpu)
{
	if (is_guest_mode(vcpu) ||
	    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE)
		return EXIT_FASTPATH_NONE;

	return handle_fastpath_set_msr_irqoff(vcpu);
}
