// SPDX-License-Identifier: GPL-2.0-only
/*
 * A GPR of the sender (RBX in vcpu->arch.regs), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(gpr)
{
	vcpu->arch.regs[VCPU_REGS_RBX] ^= 1;
	return EXIT_FASTPATH_NONE;
}
