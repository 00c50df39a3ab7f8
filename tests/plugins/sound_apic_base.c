// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's APIC base MSR (the BSP bit), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(apic_base)
{
	vcpu->arch.apic_base ^= MSR_IA32_APICBASE_BSP;
	return EXIT_FASTPATH_NONE;
}
