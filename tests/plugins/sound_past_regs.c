// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every byte of the sender's page past the registers (0x400-0xfff), then
 * NONE.
 */
#include "sound.h"

SOUND_ATTACK(past_regs)
{
	memset((char *)vcpu->arch.apic->regs + 0x400, 0xa5, 0xc00);
	return EXIT_FASTPATH_NONE;
}
