// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handles the exit as 6.18 does, and memsets the sender's TPR on the side.
 */
#include "sound.h"

SOUND_ATTACK(handled_memset)
{
	memset((char *)vcpu->arch.apic->regs + APIC_TASKPRI, 0x50, 1);
	return sound_handle(vcpu, data);
}
