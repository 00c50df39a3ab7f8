// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ICR read back after a send: vCPU 0 sends fixed IPIs to vCPU 1 and
 * reads MSR 0x830 after each (the SDM's x2APIC ICR is one 64-bit
 * register: destination and command word as written, delivery status
 * idle).  The values read are kept for the differential runs.
 */
#include "guest.h"

#define ROUNDS 3
#define VECTOR 0x41

volatile u64 icr_read[ROUNDS];
volatile u64 received;

void guest_main(u64 cpu, u64 nr_cpus)
{
	if (nr_cpus < 2)
		return;
	idt_load();
	if (cpu == 1) {
		while (received < ROUNDS)
			sti_hlt_cli();
		return;
	}
	if (cpu)
		return;
	for (u64 i = 0; i < ROUNDS; i++) {
		x2apic_send(1, VECTOR);
		icr_read[i] = rdmsr(MSR_X2APIC_ICR);
		while (received <= i)
			cpu_relax();
	}
}

void guest_irq(u64 vector)
{
	if (vector == VECTOR)
		received++;
	x2apic_eoi();
}

void guest_gp(u64 *frame)
{
	(void)frame;
}
