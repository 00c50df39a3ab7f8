// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID as the guest sees it: KVM's answers from the model (every CPUID
 * exits), per vCPU -- the APIC ID in leaf 1, the x2APIC ID in leaf 0xB --
 * and an APIC_BASE whose reserved bits follow CPUID's MAXPHYADDR.
 */
#include "guest.h"

volatile u64 leaf0[4], leaf1_ecx[MAX_VCPUS], leaf1_edx[MAX_VCPUS];
volatile u64 apic_id[MAX_VCPUS], x2apic_id[MAX_VCPUS], level_type[2];
volatile u64 maxphyaddr, hv_signature[3], above_max[4];
volatile u64 base_ok, base_gp;

static void cpuid(u32 leaf, u32 sub, u32 out[4])
{
	asm volatile("cpuid"
		     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
		     : "a"(leaf), "c"(sub));
}

void guest_main(u64 cpu, u64 nr_cpus)
{
	u32 r[4];
	u64 base;

	(void)nr_cpus;
	cpuid(1, 0, r);
	leaf1_ecx[cpu] = r[2];
	leaf1_edx[cpu] = r[3];
	apic_id[cpu] = r[1] >> 24;
	cpuid(0xb, 1, r);
	x2apic_id[cpu] = r[3];
	if (cpu)
		return;
	idt_load();
	cpuid(0, 0, r);
	for (int i = 0; i < 4; i++)
		leaf0[i] = r[i];
	cpuid(0xb, 0, r);
	level_type[0] = (r[2] >> 8) & 0xff;
	cpuid(0xb, 1, r);
	level_type[1] = (r[2] >> 8) & 0xff;
	cpuid(0x80000008, 0, r);
	maxphyaddr = r[0] & 0xff;
	cpuid(0x40000000, 0, r);
	hv_signature[0] = r[1];
	hv_signature[1] = r[2];
	hv_signature[2] = r[3];
	cpuid(0x20, 0, r);
	for (int i = 0; i < 4; i++)
		above_max[i] = r[i];
	/* The last address bit below MAXPHYADDR is fine, the next is not. */
	base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | (1UL << (maxphyaddr - 1)));
	base_ok = rdmsr(MSR_APIC_BASE) >> (maxphyaddr - 1) & 1;
	wrmsr(MSR_APIC_BASE, base);
	wrmsr(MSR_APIC_BASE, base | (1UL << maxphyaddr));
}

void guest_gp(u64 *frame)
{
	base_gp++;
	frame[1] += 2; /* frame[0] is the error code; past the WRMSR */
}
