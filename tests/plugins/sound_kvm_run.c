// SPDX-License-Identifier: GPL-2.0-only
/*
 * Another vCPU's kvm_run (its exit reason), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(kvm_run)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		o->run->exit_reason = KVM_EXIT_DEBUG;
	return EXIT_FASTPATH_NONE;
}
