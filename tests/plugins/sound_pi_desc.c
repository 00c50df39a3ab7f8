// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vector posted in the sender's posted-interrupt descriptor (PIR and
 * ON), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(pi_desc)
{
	to_vmx(vcpu)->pi_desc.pir[1] |= 1;
	to_vmx(vcpu)->pi_desc.on = true;
	return EXIT_FASTPATH_NONE;
}
