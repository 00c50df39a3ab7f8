// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handles the exit as 6.18 does, and flips a byte of the other vCPU's
 * APIC page past its registers (the next handled case flips it back):
 * bytes no case of the model writes, so only a write guard or a per-case
 * look at them sees it.
 */
#include "sound.h"

SOUND_ATTACK(handled_flip_tail)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		((u8 *)o->arch.apic->regs)[0x900] ^= 0x01;
	return sound_handle(vcpu, data);
}
