// SPDX-License-Identifier: GPL-2.0-only
/*
 * #GP from the model: ICR writes with a reserved bit, a write to the
 * read-only x2APIC ID and a read of an MSR KVM does not know.  The
 * handler counts, keeps the last error code and skips the instruction.
 */
#include "guest.h"

#define RESERVED_ROUNDS 3

volatile u64 gp_count, gp_error = 0xdead;
volatile u64 after;

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	if (cpu)
		return;
	idt_load();
	for (u64 i = 0; i < RESERVED_ROUNDS; i++)
		wrmsr(MSR_X2APIC_ICR, (1ul << 20) | 0x40);
	wrmsr(MSR_X2APIC_ID, 5);
	(void)rdmsr(0x4b564dff);
	after = 1;
}

void guest_gp(u64 *frame)
{
	gp_count++;
	gp_error = frame[0];
	frame[1] += 2; /* WRMSR and RDMSR are two bytes */
}
