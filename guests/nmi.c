// SPDX-License-Identifier: GPL-2.0-only
/*
 * NMI IPIs: vCPU 0 sends ROUNDS NMIs to vCPU 1, one at a time; vCPU 1
 * waits in HLT with interrupts disabled, which only an NMI ends.
 */
#include "guest.h"

#define ROUNDS 3

volatile u64 nmis, acks, ready;

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	idt_load();
	if (cpu == 0) {
		/* An NMI before vCPU 1's LIDT would find no gate. */
		while (!ready)
			cpu_relax();
		for (u64 i = 0; i < ROUNDS; i++) {
			x2apic_send(1, ICR_NMI);
			while (acks <= i)
				cpu_relax();
		}
	} else if (cpu == 1) {
		ready = 1;
		while (nmis < ROUNDS)
			asm volatile("hlt" ::: "memory");
	}
}

void guest_irq(u64 vector)
{
	if (vector == 2) {
		nmis++;
		acks++;
	} else {
		x2apic_eoi();
	}
}
