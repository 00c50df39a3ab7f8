// SPDX-License-Identifier: GPL-2.0-only
/*
 * xAPIC mode: both vCPUs leave x2APIC (disable, then enable in xAPIC),
 * software-enable through SVR, read their APIC ID, then ping-pong ROUNDS
 * times with ICR writes and EOIs through the MMIO page.
 */
#include "guest.h"

#define ROUNDS 3
#define PING 0x47
#define PONG 0x48

volatile u64 apic_id[MAX_VCPUS];
volatile u64 ready, pings, pongs;

static inline void mmio_write(u32 reg, u32 val)
{
	*(volatile u32 *)(XAPIC_BASE + reg) = val;
}

static inline u32 mmio_read(u32 reg)
{
	return *(volatile u32 *)(XAPIC_BASE + reg);
}

static void xapic_send(u32 dest, u32 low)
{
	mmio_write(0x310, dest << 24);
	mmio_write(0x300, low);
}

void guest_main(u64 cpu, u64 nr_cpus)
{
	u64 base;

	(void)nr_cpus;
	if (cpu > 1)
		return;
	idt_load();
	base = rdmsr(MSR_APIC_BASE) & ~0xc00ul;
	wrmsr(MSR_APIC_BASE, base);
	wrmsr(MSR_APIC_BASE, base | 0x800);
	mmio_write(0xf0, 0x1ff);
	apic_id[cpu] = mmio_read(0x20) >> 24;
	atomic_inc(&ready);
	if (cpu == 0) {
		while (ready < 2)
			cpu_relax();
		for (u64 i = 0; i < ROUNDS; i++) {
			xapic_send(1, PING);
			while (pongs <= i)
				sti_hlt_cli();
		}
	} else {
		while (pings < ROUNDS)
			sti_hlt_cli();
	}
}

void guest_irq(u64 vector)
{
	if (vector == PING) {
		pings++;
		mmio_write(0xb0, 0);
		xapic_send(0, PONG);
	} else if (vector == PONG) {
		pongs++;
		mmio_write(0xb0, 0);
	}
}
