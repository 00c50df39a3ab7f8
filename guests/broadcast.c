// SPDX-License-Identifier: GPL-2.0-only
/*
 * Broadcasts from vCPU 0: shorthand all-including-self (0x42),
 * all-excluding-self (0x43) and x2APIC physical broadcast 0xffffffff
 * (0x44).  got[cpu][vector - 0x42] counts what each vCPU received.
 */
#include "guest.h"

volatile u64 got[MAX_VCPUS][3];

void guest_main(u64 cpu, u64 nr_cpus)
{
	u64 want = cpu == 0 ? 2 : 3;

	(void)nr_cpus;
	idt_load();
	if (cpu == 0) {
		x2apic_send(0, ICR_ALL | 0x42);
		x2apic_send(0, ICR_ALL_BUT_SELF | 0x43);
		x2apic_send(0xffffffff, 0x44);
	}
	for (;;) {
		u64 n = got[cpu][0] + got[cpu][1] + got[cpu][2];

		if (n >= want)
			break;
		sti_hlt_cli();
	}
}

void guest_irq(u64 vector)
{
	if (vector >= 0x42 && vector <= 0x44)
		got[this_cpu()][vector - 0x42]++;
	x2apic_eoi();
}
