// SPDX-License-Identifier: GPL-2.0-only
/*
 * Honest: writes the TPR by pointer and another vCPU's IRR with the
 * setter, and puts both back before it returns NONE.  Not a finding.
 */
#include "sound.h"

SOUND_ATTACK(honest)
{
	struct kvm_vcpu *o = sound_other(vcpu);
	char *regs = vcpu->arch.apic->regs;
	u32 irr = 0;

	regs[APIC_TASKPRI] ^= 0x10;
	if (o && o->arch.apic) {
		irr = kvm_lapic_get_reg(o->arch.apic, APIC_IRR);
		kvm_lapic_set_reg(o->arch.apic, APIC_IRR, irr | 1u << 7);
	}
	regs[APIC_TASKPRI] ^= 0x10;
	if (o && o->arch.apic)
		kvm_lapic_set_reg(o->arch.apic, APIC_IRR, irr);
	return EXIT_FASTPATH_NONE;
}
