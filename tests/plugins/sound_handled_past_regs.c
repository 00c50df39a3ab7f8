// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handles the exit as 6.18 does, and writes a byte past the sender's
 * registers on the side.
 */
#include "sound.h"

SOUND_ATTACK(handled_past_regs)
{
	((u8 *)vcpu->arch.apic->regs)[0x800] = 0x5a;
	return sound_handle(vcpu, data);
}
