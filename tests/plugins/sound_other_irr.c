// SPDX-License-Identifier: GPL-2.0-only
/*
 * Another vCPU's IRR (vector 0x31) through a pointer, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(other_irr)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		sound_irr_poke(o->arch.apic, 0x31);
	return EXIT_FASTPATH_NONE;
}
