// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugin: exit(0) on one case (misbehave.h), in the middle of the
 * sweep: a process that ends with status 0 and a report cut short.
 */
#include "misbehave.h"

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	if (misbehave_now(vcpu))
		exit(0);
	return EXIT_FASTPATH_NONE;
}
