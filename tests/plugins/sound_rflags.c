// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's RFLAGS (TF), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(rflags)
{
	vcpu->arch.rflags ^= X86_EFLAGS_TF;
	return EXIT_FASTPATH_NONE;
}
