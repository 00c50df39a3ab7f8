// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct kvm itself (arch.vector_hashing), then NONE.
 */
#include "sound.h"

SOUND_ATTACK(kvm_arch)
{
	vcpu->kvm->arch.vector_hashing = !vcpu->kvm->arch.vector_hashing;
	return EXIT_FASTPATH_NONE;
}
