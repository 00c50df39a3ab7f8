/* SPDX-License-Identifier: GPL-2.0-only */
/* x2sim guest runtime: the helpers every guest program uses. */
#ifndef X2SIM_GUEST_RUNTIME_H
#define X2SIM_GUEST_RUNTIME_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long u64;

#define MAX_VCPUS 64
#define STACK_BASE 0x40000000UL
#define STACK_SIZE 0x10000UL

#define MSR_APIC_BASE 0x1b
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_LDR 0x80d
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_SELF_IPI 0x83f

#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_SIPI (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

#define XAPIC_BASE 0xfee00000UL

static inline void wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (u64)hi << 32 | lo;
}

/* Wait for an interrupt: STI's shadow covers HLT, so none is lost. */
static inline void sti_hlt_cli(void)
{
	asm volatile("sti; hlt; cli" ::: "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* The vCPU we run on, from the per-vCPU stack the runner gave us. */
static inline unsigned int this_cpu(void)
{
	u64 sp;

	asm volatile("mov %%rsp, %0" : "=r"(sp));
	return (unsigned int)((sp - STACK_BASE) / STACK_SIZE);
}

static inline void x2apic_send(u32 dest, u32 icr_low)
{
	wrmsr(MSR_X2APIC_ICR, (u64)dest << 32 | icr_low);
}

static inline void x2apic_eoi(void)
{
	wrmsr(MSR_X2APIC_EOI, 0);
}

static inline void atomic_inc(volatile u64 *p)
{
	asm volatile("lock incq %0" : "+m"(*p));
}

/* Load the shared IDT on this vCPU (vectors 32..255, NMI and #GP). */
void idt_load(void);
/* Point one vector at an assembly handler of the program's own. */
void idt_set_gate(unsigned int vec, void *fn);
/* Each program defines these. */
/* RDI = vCPU index, RSI = number of vCPUs (docs/guest-abi.md). */
void guest_main(u64 cpu, u64 nr_cpus);
void guest_irq(u64 vector);
void guest_gp(u64 *frame);

#endif
