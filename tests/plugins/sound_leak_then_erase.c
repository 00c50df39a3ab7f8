// SPDX-License-Identifier: GPL-2.0-only
/*
 * Takes every exit as 6.18 does, except vector 0x0f: there it sets another
 * vCPU's IRR bit 0x31 by pointer and declines.  The reduced sweep sends
 * vector 0x31 next, which the model delivers to the same bit: a check
 * that only looked at the end of the unit, or only at what the setters
 * marked, would see the leak erased.
 */
#include "sound.h"

SOUND_ATTACK(leak_then_erase)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if ((data & APIC_VECTOR_MASK) != 0x0f)
		return sound_handle(vcpu, data);
	if (o && o->arch.apic)
		sound_irr_poke(o->arch.apic, 0x31);
	return EXIT_FASTPATH_NONE;
}
