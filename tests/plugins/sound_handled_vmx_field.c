// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handles the exit as 6.18 does, and flips a field of another vCPU's
 * vcpu_vmx that no outcome names (dr6) on the side.
 */
#include "sound.h"

SOUND_ATTACK(handled_vmx_field)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		to_vmx(o)->dr6 ^= 1;
	return sound_handle(vcpu, data);
}
