// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a bit of the last byte of the sender's register page, then NONE
 * (the next case flips it back).
 */
#include "sound.h"

SOUND_ATTACK(last_byte)
{
	((u8 *)vcpu->arch.apic->regs)[0xfff] ^= 0x80;
	return EXIT_FASTPATH_NONE;
}
