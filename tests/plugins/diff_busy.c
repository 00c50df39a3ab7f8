// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends the IPI and skips the WRMSR, but leaves the delivery-status
 * (BUSY, bit 12) set in the ICR the guest reads back: an x2APIC ICR is
 * never busy.  Seen at the RDMSR of the ICR (RAX).
 */
#include "diff.h"

DIFF_PLUGIN(busy)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (kvm_x2apic_icr_write_fast(apic, data))
		return EXIT_FASTPATH_NONE;
	kvm_lapic_set_reg(apic, APIC_ICR,
			  kvm_lapic_get_reg(apic, APIC_ICR) | APIC_ICR_BUSY);
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}
