// SPDX-License-Identifier: GPL-2.0-only
/*
 * Another vCPU's mp_state (HALTED), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(mp_state)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		o->arch.mp_state = KVM_MP_STATE_HALTED;
	return EXIT_FASTPATH_NONE;
}
