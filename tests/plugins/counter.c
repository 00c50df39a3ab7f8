// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugin: an MSR-form entry that only counts its calls, so a test
 * can see which exits reach it through the loader's gate.
 */
#include <x2sim/kvm.h>

extern unsigned int counter_calls;
unsigned int counter_calls;

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	counter_calls++;
	return EXIT_FASTPATH_NONE;
}
