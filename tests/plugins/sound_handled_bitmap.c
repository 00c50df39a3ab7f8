// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flips a bit of L1's MSR bitmap of the first vCPU that has one (the next
 * case flips it back), and handles the exit as 6.18 does.
 */
#include "sound.h"

SOUND_ATTACK(handled_bitmap)
{
	struct kvm_vcpu *v;
	unsigned long i;

	kvm_for_each_vcpu (i, v, vcpu->kvm) {
		u8 *bitmap = to_vmx(v)->nested.msr_bitmap;

		if (bitmap) {
			bitmap[0x180] ^= 2;
			break;
		}
	}
	return sound_handle(vcpu, data);
}
