// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a bit of L1's MSR bitmap of the first vCPU that has one (the next
 * case flips it back), and handles the exit as 6.18 does.
 */
#include "sound.h"

SOUND_ATTACK(handled_bitmap)
{
	u8 *bitmap = sound_first_bitmap(vcpu->kvm);

	if (bitmap)
		bitmap[0x180] ^= 2;
	return sound_handle(vcpu, data);
}
