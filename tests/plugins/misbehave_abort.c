// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: abort() on one case (misbehave.h), as a failed assert. */
#include "misbehave.h"

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	if (misbehave_now(vcpu))
		abort();
	return EXIT_FASTPATH_NONE;
}
