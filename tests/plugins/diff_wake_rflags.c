// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends the IPI and skips the WRMSR, but also sets OF (bit 11) in the
 * RFLAGS KVM keeps for the halted destination.  Nothing the destination
 * ran sees it until the entry that wakes it loads those RFLAGS (and the
 * interrupt frame takes them): seen at that wake, where the differential
 * run does not read the engine's registers again (the vCPU has run no
 * instruction since they were read at its HLT), through KVM's RFLAGS.
 */
#include "diff.h"

#define WAKE_RFLAGS_OF (1UL << 11)

DIFF_PLUGIN(wake_rflags)
{
	struct kvm_vcpu *dest = kvm_get_vcpu(vcpu->kvm, (int)(data >> 32));

	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	if (dest && dest != vcpu)
		dest->arch.rflags |= WAKE_RFLAGS_OF;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}
