// SPDX-License-Identifier: GPL-2.0-only
/*
 * The setter KVM's own code uses, on the sender's TPR, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(set_reg)
{
	kvm_lapic_set_reg(vcpu->arch.apic, APIC_TASKPRI, 0x10);
	return EXIT_FASTPATH_NONE;
}
