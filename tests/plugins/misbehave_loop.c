// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: never returns from one case (misbehave.h). */
#include "misbehave.h"

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	if (misbehave_now(vcpu)) {
		volatile unsigned long spins = 0;

		for (;;)
			spins++;
	}
	return EXIT_FASTPATH_NONE;
}
