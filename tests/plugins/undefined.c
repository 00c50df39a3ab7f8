// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: calls a kvm_* function x2sim does not provide. */
#include <x2sim/kvm.h>

void kvm_x2sim_does_not_have_this(struct kvm_vcpu *vcpu);

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	kvm_x2sim_does_not_have_this(vcpu);
	return EXIT_FASTPATH_NONE;
}
