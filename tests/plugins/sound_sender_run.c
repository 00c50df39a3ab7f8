// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender's own kvm_run (its exit reason), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(sender_run)
{
	vcpu->run->exit_reason = KVM_EXIT_DEBUG;
	return EXIT_FASTPATH_NONE;
}
