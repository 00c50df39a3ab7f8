// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the guest's CPUID and KVM's kvm_emulate_cpuid().
 *
 * In KVM the table comes from userspace (KVM_SET_CPUID2) and KVM fills
 * in what depends on the vCPU's state; x2sim is the userspace too, so it
 * generates the table from the VM's CPUID knobs: an Intel vCPU with the
 * APIC, x2APIC and TSC-deadline bits as configured, its APIC ID in leaf 1
 * and its x2APIC ID and the vCPU count in leaf 0xB, KVM's signature at
 * 0x40000000, and MAXPHYADDR in 0x80000008.  Lookups follow kvm_cpuid():
 * a leaf above the basic range reads the highest basic leaf (Intel), an
 * undefined subleaf of 0xB passes CL through with the x2APIC ID in EDX.
 */
#include <string.h>

#include "vmx/vmx.h"

#define MAX_BASIC 0xb
#define MAX_HV 0x40000001
#define MAX_EXT 0x80000008

/* Leaf 1 EDX: FPU TSC MSR PAE CX8 APIC SEP PGE CMOV PAT CLFSH MMX FXSR SSE SSE2. */
#define LEAF1_EDX                                                         \
	(BIT(0) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(11) | BIT(13) | \
	 BIT(15) | BIT(16) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26))
#define LEAF1_EDX_APIC BIT(9)
/* Leaf 1 ECX: SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT, hypervisor. */
#define LEAF1_ECX \
	(BIT(0) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(23) | BIT(31))
#define LEAF1_ECX_X2APIC BIT(21)
#define LEAF1_ECX_TSC_DEADLINE BIT(24)

bool guest_cpu_cap_has(struct kvm_vcpu *vcpu, unsigned int feature)
{
	const struct kvm_arch *a = &vcpu->kvm->arch;

	switch (feature) {
	case X86_FEATURE_X2APIC:
		return !a->x2s_cpuid_no_x2apic;
	case X86_FEATURE_TSC_DEADLINE_TIMER:
		return !a->x2s_cpuid_no_tsc_deadline;
	default:
		return false;
	}
}

static u32 str4(const char *s)
{
	u32 v;

	memcpy(&v, s, 4);
	return v;
}

/* Bits of an x2APIC ID that number n vCPUs. */
static u32 id_bits(int n)
{
	u32 b = 0;

	while ((1 << b) < n)
		b++;
	return b;
}

/*
 * The table's entry for (function, index): false when the table has none
 * (KVM's kvm_find_cpuid_entry_index() returning NULL).
 */
static bool cpuid_entry(struct kvm_vcpu *vcpu, u32 function, u32 index,
			u32 out[4])
{
	u32 id = (u32)vcpu->vcpu_id;

	memset(out, 0, 4 * sizeof(*out));
	switch (function) {
	case 0:
		out[0] = MAX_BASIC;
		out[1] = str4("Genu");
		out[3] = str4("ineI");
		out[2] = str4("ntel");
		return true;
	case 1:
		/* Family 6, model 0x55, stepping 4. */
		out[0] = 0x00050654;
		out[1] = (id << 24) | (1u << 16) | (8u << 8);
		out[2] = LEAF1_ECX;
		if (guest_cpu_cap_has(vcpu, X86_FEATURE_X2APIC))
			out[2] |= LEAF1_ECX_X2APIC;
		if (guest_cpu_cap_has(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER))
			out[2] |= LEAF1_ECX_TSC_DEADLINE;
		/* kvm_update_cpuid_runtime(): APIC follows APIC_BASE.EN. */
		out[3] = LEAF1_EDX;
		if (vcpu->arch.apic_base & MSR_IA32_APICBASE_ENABLE)
			out[3] |= LEAF1_EDX_APIC;
		return true;
	case 0xb:
		/* One thread per core, every vCPU a core of one package. */
		if (index > 1)
			return false;
		out[0] = index ? id_bits(vcpu->kvm->online_vcpus) : 0;
		out[1] = index ? (u32)vcpu->kvm->online_vcpus : 1;
		out[2] = ((index ? 2u : 1u) << 8) | index;
		out[3] = id;
		return true;
	case 0x40000000:
		out[0] = MAX_HV;
		out[1] = str4("KVMK");
		out[2] = str4("VMKV");
		out[3] = str4("M\0\0\0");
		return true;
	case 0x40000001:
		/* No paravirtual features. */
		return true;
	case 0x80000000:
		out[0] = MAX_EXT;
		return true;
	case 0x80000001:
		out[2] = BIT(0);		      /* LAHF/SAHF */
		out[3] = BIT(11) | BIT(20) | BIT(29); /* SYSCALL NX LM */
		return true;
	case 0x80000008:
		out[0] = (u32)vcpu->arch.maxphyaddr | (48u << 8);
		return true;
	default:
		/* Leaves 2-0xa are not in the table: they read zeros. */
		return false;
	}
}

static u32 class_max(u32 function)
{
	if (function >= 0x40000000 && function <= 0x4fffffff)
		return (function & 0xffffff00) == 0x40000000 ? MAX_HV : 0;
	if (function >= 0xc0000000)
		return 0; /* no 0xc0000000 class: out of range */
	return function & 0x80000000 ? MAX_EXT : MAX_BASIC;
}

static bool class_exists(u32 function)
{
	return !(function >= 0xc0000000) &&
	       !(function >= 0x40000000 && function <= 0x4fffffff &&
		 (function & 0xffffff00) != 0x40000000);
}

bool kvm_cpuid(struct kvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx,
	       bool exact_only)
{
	u32 function = *eax, index = *ecx, out[4];
	bool exact = cpuid_entry(vcpu, function, index, out), found = exact;

	/*
	 * get_out_of_range_cpuid_entry(): on Intel, a function beyond its
	 * class's range (or of a class that does not exist) reads the
	 * highest basic leaf, with the index asked for.
	 */
	if (!found && !exact_only &&
	    (!class_exists(function) || function > class_max(function))) {
		function = MAX_BASIC;
		found = cpuid_entry(vcpu, function, index, out);
	}
	if (!found) {
		memset(out, 0, sizeof(out));
		/* 0xB: CL passes through and EDX is the x2APIC ID. */
		if (function == 0xb) {
			u32 one[4];

			cpuid_entry(vcpu, 0xb, 1, one);
			out[2] = index & 0xff;
			out[3] = one[3];
		}
	}
	*eax = out[0];
	*ebx = out[1];
	*ecx = out[2];
	*edx = out[3];
	return exact;
}

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	u32 eax = (u32)kvm_rax_read(vcpu), ecx = (u32)kvm_rcx_read(vcpu);
	u32 ebx, edx;

	/* x2sim: no CPUID faulting (MSR_MISC_FEATURES_ENABLES). */
	kvm_cpuid(vcpu, &eax, &ebx, &ecx, &edx, false);
	kvm_rax_write(vcpu, eax);
	vcpu->arch.regs[VCPU_REGS_RBX] = ebx;
	vcpu->arch.regs[VCPU_REGS_RCX] = ecx;
	kvm_rdx_write(vcpu, edx);
	return kvm_skip_emulated_instruction(vcpu);
}
