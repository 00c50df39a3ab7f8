// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ICR read back after a send: vCPU 0 sends fixed IPIs to vCPU 1 and
 * reads MSR 0x830 after each (the x2APIC ICR is one 64-bit register:
 * destination and command as written, delivery status idle), then reads
 * its TPR.  The instructions carry global labels (send_insn, read_icr_insn,
 * read_tpr_insn), so that a test can check where a difference is named.
 */
#include "guest.h"

#define ROUNDS 3
#define VECTOR 0x41
#define MSR_X2APIC_TPR 0x808

volatile u64 icr_read[ROUNDS];
volatile u64 tpr_read = 0xdead;
volatile u64 received;

static __attribute__((noinline, noclone)) void send(u64 icr)
{
	asm volatile(".globl send_insn\nsend_insn: wrmsr" ::"c"(MSR_X2APIC_ICR),
		     "a"((u32)icr), "d"((u32)(icr >> 32))
		     : "memory");
}

static __attribute__((noinline, noclone)) u64 read_icr(void)
{
	u32 lo, hi;

	asm volatile(".globl read_icr_insn\nread_icr_insn: rdmsr"
		     : "=a"(lo), "=d"(hi)
		     : "c"(MSR_X2APIC_ICR)
		     : "memory");
	return (u64)hi << 32 | lo;
}

static __attribute__((noinline, noclone)) u64 read_tpr(void)
{
	u32 lo, hi;

	asm volatile(".globl read_tpr_insn\nread_tpr_insn: rdmsr"
		     : "=a"(lo), "=d"(hi)
		     : "c"(MSR_X2APIC_TPR)
		     : "memory");
	return (u64)hi << 32 | lo;
}

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
		send((u64)1 << 32 | VECTOR);
		icr_read[i] = read_icr();
		while (received <= i)
			cpu_relax();
	}
	tpr_read = read_tpr();
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
