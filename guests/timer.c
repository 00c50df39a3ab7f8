// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LAPIC timer from a guest: rounds TSC-deadline interrupts, each a
 * little after RDTSC, waited for in HLT or spinning; a one-shot timer whose current
 * count goes down and then stays 0; a periodic timer taken PERIODS times
 * and stopped with TMICT 0.  The runner's clock advances with the
 * instructions, so every figure below is exact and repeatable.
 */
#include "guest.h"

#define MSR_TSC_DEADLINE 0x6e0
#define MSR_LVTT 0x832
#define MSR_TMICT 0x838
#define MSR_TMCCT 0x839
#define MSR_TDCR 0x83e
#define LVTT_PERIODIC (1u << 17)
#define LVTT_TSC_DEADLINE (2u << 17)
#define VEC_DEADLINE 0x50
#define VEC_ONESHOT 0x51
#define VEC_PERIODIC 0x52

volatile u64 rounds = 10000;
volatile u64 deadlines, oneshots, periodics;
volatile u64 late; /* deadline interrupts taken before it */
volatile u64 tmcct_first, tmcct_later, tmcct_after;

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

void guest_main(u64 cpu, u64 nr_cpus)
{
	(void)nr_cpus;
	if (cpu)
		return;
	idt_load();

	wrmsr(MSR_LVTT, LVTT_TSC_DEADLINE | VEC_DEADLINE);
	for (u64 i = 0; i < rounds; i++) {
		u64 deadline = rdtsc() + 500;

		wrmsr(MSR_TSC_DEADLINE, deadline);
		/*
		 * Odd rounds spin with interrupts on: the deadline fires
		 * through the preemption timer while the guest runs; even
		 * rounds halt, where KVM moves it to the sw timer.
		 */
		if (i & 1) {
			asm volatile("sti" ::: "memory");
			while (deadlines <= i)
				cpu_relax();
			asm volatile("cli" ::: "memory");
		} else {
			while (deadlines <= i)
				sti_hlt_cli();
		}
		if (rdtsc() < deadline)
			late++;
	}

	wrmsr(MSR_TDCR, 0xb); /* divide by 1 */
	wrmsr(MSR_LVTT, VEC_ONESHOT);
	wrmsr(MSR_TMICT, 100000);
	tmcct_first = rdmsr(MSR_TMCCT);
	for (volatile int spin = 0; spin < 100; spin++)
		;
	tmcct_later = rdmsr(MSR_TMCCT);
	while (!oneshots)
		sti_hlt_cli();
	tmcct_after = rdmsr(MSR_TMCCT);

	wrmsr(MSR_LVTT, LVTT_PERIODIC | VEC_PERIODIC);
	wrmsr(MSR_TMICT, 300000);
	while (periodics < 5)
		sti_hlt_cli();
	wrmsr(MSR_TMICT, 0);
}

void guest_irq(u64 vector)
{
	if (vector == VEC_DEADLINE)
		deadlines++;
	else if (vector == VEC_ONESHOT)
		oneshots++;
	else if (vector == VEC_PERIODIC)
		periodics++;
	x2apic_eoi();
}
