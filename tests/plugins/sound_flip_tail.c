// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a byte of the other vCPU's APIC page past its registers, then
 * NONE (the next case flips it back).
 */
#include "sound.h"

SOUND_ATTACK(flip_tail)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		((u8 *)o->arch.apic->regs)[0xa40] ^= 0x10;
	return EXIT_FASTPATH_NONE;
}
