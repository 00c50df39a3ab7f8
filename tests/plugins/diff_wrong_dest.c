// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends the IPI to the sender itself instead of the destination the
 * guest wrote.  Seen where the destination should have taken the
 * interrupt (its entry with the vector injected).
 */
#include "diff.h"

DIFF_PLUGIN(wrong_dest)
{
	u64 self = (u64)vcpu->vcpu_id << 32 | (u32)data;

	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, self))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}
