// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: a NULL dereference on one case (misbehave.h). */
#include "misbehave.h"

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	if (misbehave_now(vcpu)) {
		volatile int *volatile nowhere = NULL;

		*nowhere = 1;
	}
	return EXIT_FASTPATH_NONE;
}
