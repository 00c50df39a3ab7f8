// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plugin: the sender's TPR by memset, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(memset_tpr)
{
	memset((char *)vcpu->arch.apic->regs + APIC_TASKPRI, 0x20, 1);
	return EXIT_FASTPATH_NONE;
}
