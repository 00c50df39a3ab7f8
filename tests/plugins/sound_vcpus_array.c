// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm->vcpus[] with two vCPUs swapped, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(vcpus_array)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_vcpu *v0 = kvm->vcpus[0];

	if (kvm->online_vcpus > 1) {
		kvm->vcpus[0] = kvm->vcpus[1];
		kvm->vcpus[1] = v0;
	}
	return EXIT_FASTPATH_NONE;
}
