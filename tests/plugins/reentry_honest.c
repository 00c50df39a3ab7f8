// SPDX-License-Identifier: GPL-2.0-only
/*
 * Takes the ICR write as 6.18 does and re-enters, nothing more: on
 * tests/fuzz/findings/fuzz_diff-upstream-timer-after-host-lvtt-icr it
 * meets the known KVM finding (a due timer interrupt the re-entry skips)
 * and nothing else, so fuzz_diff reports that and goes on.
 */
#include "sound.h"

SOUND_ATTACK(reentry_honest)
{
	return sound_handle(vcpu, data);
}
