// SPDX-License-Identifier: GPL-2.0-only
/*
 * Another vCPU's register page past its registers, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(other_past_regs)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o && o->arch.apic)
		((u8 *)o->arch.apic->regs)[0xc00] = 1;
	return EXIT_FASTPATH_NONE;
}
