// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's register page pointer moved to a copy of the page, then
 * NONE.
 */
#include "sound.h"

SOUND_ATTACK(link)
{
	static u8 copy[4096] __attribute__((aligned(4096)));

	memcpy(copy, vcpu->arch.apic->regs, sizeof(copy));
	vcpu->arch.apic->regs = copy;
	return EXIT_FASTPATH_NONE;
}
