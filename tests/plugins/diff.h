/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Plugins for the differential runs (run --diff-plugin, tests/guest/
 * test_diff.c): each takes the x2APIC ICR write as 6.18's fastpath does
 * and breaks one guest-visible thing, which the runs must name at the
 * first guest instruction that can see it.
 */
#ifndef X2SIM_TEST_PLUGINS_DIFF_H
#define X2SIM_TEST_PLUGINS_DIFF_H

#include <x2sim/kvm.h>

static inline bool diff_gate(struct kvm_vcpu *vcpu)
{
	return !is_guest_mode(vcpu) &&
	       vmx_get_exit_reason(vcpu).basic == EXIT_REASON_MSR_WRITE &&
	       kvm_rcx_read(vcpu) == APIC_BASE_MSR + (APIC_ICR >> 4) &&
	       lapic_in_kernel(vcpu) && apic_x2apic_mode(vcpu->arch.apic);
}

/* The body gets the ICR write; the exported entry gates it. */
#define DIFF_PLUGIN(name)                                               \
	static fastpath_t diff_##name(struct kvm_vcpu *vcpu, u64 data); \
	fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu);   \
	fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)    \
	{                                                               \
		if (!diff_gate(vcpu))                                   \
			return EXIT_FASTPATH_NONE;                      \
		return diff_##name(vcpu, kvm_read_edx_eax(vcpu));       \
	}                                                               \
	static fastpath_t diff_##name(struct kvm_vcpu *vcpu, u64 data)

#endif
