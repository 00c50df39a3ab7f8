// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handles the exit as 6.18 does, and sets an IRR bit (vector 0x43) of
 * another vCPU on the side.
 */
#include "sound.h"

SOUND_ATTACK(handled_side)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		sound_irr_poke(o->arch.apic, 0x43);
	return sound_handle(vcpu, data);
}
