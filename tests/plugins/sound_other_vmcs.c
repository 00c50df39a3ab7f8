// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a bit of another vCPU's VMCS through its pointer (the store is
 * opaque in kvm.h), then NONE (the next case flips it back).
 */
#include "sound.h"

SOUND_ATTACK(other_vmcs)
{
	struct kvm_vcpu *o = sound_other(vcpu);

	if (o)
		((u64 *)to_vmx(o)->vmcs)[1] ^= 1;
	return EXIT_FASTPATH_NONE;
}
