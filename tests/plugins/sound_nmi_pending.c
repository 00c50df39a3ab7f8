// SPDX-License-Identifier: GPL-2.0-only
/*
 * An NMI pending on another vCPU, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(nmi_pending)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		o->arch.nmi_pending++;
	return EXIT_FASTPATH_NONE;
}
