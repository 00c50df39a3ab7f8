// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's VMCS through its pointer (the store is opaque in kvm.h),
 * then NONE.
 */
#include "sound.h"

SOUND_ATTACK(vmcs)
{
	((u64 *)to_vmx(vcpu)->vmcs)[0] ^= 1;
	return EXIT_FASTPATH_NONE;
}
