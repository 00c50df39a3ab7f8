// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a bit of L1's MSR bitmap (vmcs12's, in L1 memory) of the first
 * vCPU that has one, then NONE (the next case flips it back).  Only a
 * vCPU set up for nesting has one (the l2-* configs), and it runs L2,
 * where this fastpath does nothing: another vCPU writes it.
 */
#include "sound.h"

SOUND_ATTACK(bitmap)
{
	u8 *bitmap = sound_first_bitmap(vcpu->kvm);

	if (bitmap)
		bitmap[0x100] ^= 1;
	return EXIT_FASTPATH_NONE;
}
