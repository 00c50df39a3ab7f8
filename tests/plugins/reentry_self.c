// SPDX-License-Identifier: GPL-2.0-only
/*
 * Takes the ICR write as 6.18 does and re-enters, having set vector 0x31
 * in its own IRR by pointer: the pass of vcpu_run() the re-entry skipped
 * does not undo that, so where a due timer interrupt is skipped too,
 * fuzz_diff must still report the difference, not the known finding.
 */
#include "sound.h"

SOUND_ATTACK(reentry_self)
{
	sound_irr_poke(vcpu->arch.apic, 0x31);
	return sound_handle(vcpu, data);
}
