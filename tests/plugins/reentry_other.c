// SPDX-License-Identifier: GPL-2.0-only
/*
 * Takes the ICR write as 6.18 does and re-enters, having set vector 0x31
 * in the other vCPU's IRR by pointer: where a due timer interrupt is
 * skipped too, fuzz_diff must still report the difference, not the known
 * finding.
 */
#include "sound.h"

SOUND_ATTACK(reentry_other)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		sound_irr_poke(o->arch.apic, 0x31);
	return sound_handle(vcpu, data);
}
