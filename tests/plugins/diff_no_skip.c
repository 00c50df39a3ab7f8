// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends the IPI but does not skip the WRMSR: the guest resumes at the
 * WRMSR again.  Seen at the entry after the first ICR write (RIP).
 */
#include "diff.h"

DIFF_PLUGIN(no_skip)
{
	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	return EXIT_FASTPATH_REENTER_GUEST;
}
