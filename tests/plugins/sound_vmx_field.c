// SPDX-License-Identifier: GPL-2.0-only
/*
 * A field of another vCPU's vcpu_vmx that no outcome names (dr6), then
 * NONE.
 */
#include "sound.h"

SOUND_ATTACK(vmx_field)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		to_vmx(o)->dr6 ^= 1;
	return EXIT_FASTPATH_NONE;
}
