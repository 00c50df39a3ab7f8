// SPDX-License-Identifier: GPL-2.0-only
/*
 * A request on the sender (KVM_REQ_EVENT), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(requests)
{
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return EXIT_FASTPATH_NONE;
}
