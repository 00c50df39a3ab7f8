// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vector 0x00: a byte past the sender's registers, then NONE (a byte the
 * sweep looks at once per unit).  Vector 0x0f: the TPR with the setter,
 * then NONE, which the engine undoes with the whole state: that undo must
 * not erase the earlier byte unseen.
 */
#include "sound.h"

SOUND_ATTACK(deferred_then_dirty)
{
	char *regs = vcpu->arch.apic->regs;

	switch (data & APIC_VECTOR_MASK) {
	case 0x00:
		regs[0x900]++;
		break;
	case 0x0f:
		kvm_lapic_set_reg(vcpu->arch.apic, APIC_TASKPRI, 0x30);
		break;
	}
	return EXIT_FASTPATH_NONE;
}
