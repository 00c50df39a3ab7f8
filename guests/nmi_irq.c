// SPDX-License-Identifier: GPL-2.0-only
/*
 * An NMI and a fixed IPI arrive together at a vCPU that spins with
 * interrupts enabled.  KVM injects the NMI and, the interrupt having to
 * wait behind it, asks for an immediate exit; right after the NMI is
 * delivered that exit comes, the interrupt window opens at the NMI
 * handler's IRET and the IPI is taken.  Without the forced exit the IPI
 * would wait forever.
 */
#include "guest.h"

#define ROUNDS 3
#define VEC 0x61

volatile u64 nmis, irqs, ready;

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	idt_load();
	if (cpu == 0) {
		while (!ready)
			cpu_relax();
		for (u64 i = 0; i < ROUNDS; i++) {
			x2apic_send(1, ICR_NMI);
			x2apic_send(1, VEC);
			while (irqs <= i)
				cpu_relax();
		}
	} else if (cpu == 1) {
		asm volatile("sti" ::: "memory");
		ready = 1;
		while (irqs < ROUNDS)
			cpu_relax();
		asm volatile("cli" ::: "memory");
	}
}

void guest_irq(u64 vector)
{
	if (vector == 2) {
		nmis++;
		return;
	}
	if (vector == VEC)
		irqs++;
	x2apic_eoi();
}
