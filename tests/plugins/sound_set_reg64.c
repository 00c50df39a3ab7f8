// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ICR stored through the 64-bit setter, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(set_reg64)
{
	kvm_lapic_set_reg64(vcpu->arch.apic, APIC_ICR, data);
	return EXIT_FASTPATH_NONE;
}
