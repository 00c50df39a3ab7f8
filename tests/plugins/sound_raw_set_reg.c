// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm.h's setter that marks nothing (__kvm_lapic_set_reg), on the
 * sender's TPR, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(raw_set_reg)
{
	__kvm_lapic_set_reg(vcpu->arch.apic->regs, APIC_TASKPRI, 0x20);
	return EXIT_FASTPATH_NONE;
}
