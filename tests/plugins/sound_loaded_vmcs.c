// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's loaded VMCS (vmcs01, through vmx->loaded_vmcs), then
 * NONE.
 */
#include "sound.h"

SOUND_ATTACK(loaded_vmcs)
{
	to_vmx(vcpu)->loaded_vmcs->hv_timer_soft_disabled =
		!to_vmx(vcpu)->loaded_vmcs->hv_timer_soft_disabled;
	return EXIT_FASTPATH_NONE;
}
