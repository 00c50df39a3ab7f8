// SPDX-License-Identifier: GPL-2.0-only
/*
 * AP bring-up (run with --ap-wait-sipi): vCPU 0 sends INIT, INIT
 * de-assert, SIPI, SIPI to all others; each AP starts once at _start
 * (SIPI vector 0x10, address 0x10000) and counts itself.
 */
#include "guest.h"

#define SIPI_VECTOR 0x10

volatile u64 started;
volatile u64 alive[MAX_VCPUS];

void guest_main(u64 cpu, u64 nr_cpus)
{
	if (cpu) {
		alive[cpu]++;
		atomic_inc(&started);
		return;
	}
	x2apic_send(0, ICR_ALL_BUT_SELF | ICR_INIT | ICR_ASSERT);
	x2apic_send(0, ICR_ALL_BUT_SELF | ICR_INIT | ICR_LEVEL);
	x2apic_send(0, ICR_ALL_BUT_SELF | ICR_SIPI | SIPI_VECTOR);
	x2apic_send(0, ICR_ALL_BUT_SELF | ICR_SIPI | SIPI_VECTOR);
	while (started < nr_cpus - 1)
		cpu_relax();
	alive[0]++;
}
