// SPDX-License-Identifier: GPL-2.0-only
/*
 * A register line by memcpy (the sender's IRR, vectors 0x20 and 0x3f),
 * then NONE.
 */
#include "sound.h"

SOUND_ATTACK(memcpy_irr)
{
	static const u32 word = 0x80000001u;

	memcpy((char *)vcpu->arch.apic->regs + APIC_IRR + 0x10, &word,
	       sizeof(word));
	return EXIT_FASTPATH_NONE;
}
