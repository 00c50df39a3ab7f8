// SPDX-License-Identifier: GPL-2.0-only
/* Self IPIs: ICR shorthand "self" (0x44) and the SELF_IPI MSR (0x45). */
#include "guest.h"

#define ROUNDS 5

volatile u64 got_shorthand, got_self_ipi;

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	if (cpu)
		return;
	idt_load();
	for (u64 i = 0; i < ROUNDS; i++) {
		x2apic_send(0, ICR_SELF | 0x44);
		while (got_shorthand <= i)
			sti_hlt_cli();
	}
	for (u64 i = 0; i < ROUNDS; i++) {
		wrmsr(MSR_X2APIC_SELF_IPI, 0x45);
		while (got_self_ipi <= i)
			sti_hlt_cli();
	}
}

void guest_irq(u64 vector)
{
	if (vector == 0x44)
		got_shorthand++;
	else if (vector == 0x45)
		got_self_ipi++;
	x2apic_eoi();
}
