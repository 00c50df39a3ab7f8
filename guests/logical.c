// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2APIC logical cluster IPIs: every vCPU reads its LDR (RDMSR 0x80d);
 * vCPU 0 sends vector 0x46 to cluster 0, members 1 and 2 (mask 0x6).
 */
#include "guest.h"

volatile u64 ldr[MAX_VCPUS];
volatile u64 got[MAX_VCPUS];

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	idt_load();
	ldr[cpu] = rdmsr(MSR_X2APIC_LDR);
	if (cpu == 0)
		x2apic_send(0x00000006, ICR_LOGICAL | 0x46);
	if (cpu == 1 || cpu == 2)
		while (!got[cpu])
			sti_hlt_cli();
}

void guest_irq(u64 vector)
{
	if (vector == 0x46)
		got[this_cpu()]++;
	x2apic_eoi();
}
