// SPDX-License-Identifier: GPL-2.0-only
/*
 * Takes the ICR write as the slow path would (it declines), but first
 * writes the sender's TPR straight into its APIC page (0x10: it blocks
 * none of the vectors the guests use).  Nothing acts on it until the
 * guest reads the TPR: seen at that RDMSR (RAX), not before.
 */
#include "diff.h"

DIFF_PLUGIN(raw_tpr)
{
	*(u32 *)((char *)vcpu->arch.apic->regs + APIC_TASKPRI) = 0x10;
	return EXIT_FASTPATH_NONE;
}
