// SPDX-License-Identifier: GPL-2.0-only
/*
 * upstream: the WRMSR fastpath of Linux 6.18 (handle_fastpath_wrmsr() in
 * x86.c behind vmx_exit_handlers_fastpath()).
 *
 * Only the x2APIC ICR is taken here: reserved bits and any IPI the
 * optimized APIC map cannot deliver by itself are left to the slow path.
 * x2sim: the TSC deadline case of upstream is not modelled (no LAPIC
 * timer), so MSR_IA32_TSC_DEADLINE goes to the slow path too.
 */
#include <x2sim/kvm.h>

static fastpath_t __handle_fastpath_wrmsr(struct kvm_vcpu *vcpu, u32 msr,
					  u64 data)
{
	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		if (!lapic_in_kernel(vcpu) ||
		    !apic_x2apic_mode(vcpu->arch.apic) ||
		    kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
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

static fastpath_t handle_fastpath_wrmsr(struct kvm_vcpu *vcpu)
{
	return __handle_fastpath_wrmsr(vcpu, kvm_rcx_read(vcpu),
				       kvm_read_edx_eax(vcpu));
}

fastpath_t x2s_fastpath_upstream(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_upstream(struct kvm_vcpu *vcpu)
{
	/* In L2 only the preemption timer may take a fastpath. */
	if (is_guest_mode(vcpu))
		return EXIT_FASTPATH_NONE;

	switch (vmx_get_exit_reason(vcpu).basic) {
	case EXIT_REASON_MSR_WRITE:
		return handle_fastpath_wrmsr(vcpu);
	default:
		return EXIT_FASTPATH_NONE;
	}
}
