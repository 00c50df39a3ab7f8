// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugins that try to fool the verifier: each writes model state by
 * some means C allows on the exits of WRMSR(ICR), and then declines or
 * handles the exit.  Built once per ADVERSARY value (tests/CMakeLists.txt);
 * test_adversary.c says what each one must be caught as.
 */
#include <string.h>

#include <x2sim/kvm.h>

#ifndef ADVERSARY
#error "build with -DADVERSARY=N"
#endif

/* The other vCPU of a two-vCPU VM. */
static struct kvm_vcpu *other(struct kvm_vcpu *vcpu)
{
	return kvm_get_vcpu(vcpu->kvm, vcpu->vcpu_idx ? 0 : 1);
}

/* Take the exit as 6.18 does: only what the optimized map delivers. */
static fastpath_t handle(struct kvm_vcpu *vcpu, u64 data)
{
	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t adversary(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct kvm_vcpu *o = other(vcpu);
	char *regs = apic->regs;

	switch (ADVERSARY) {
	case 1: /* The plugin: the TPR by memset, then NONE. */
		memset(regs + APIC_TASKPRI, 0x20, 1);
		return EXIT_FASTPATH_NONE;
	case 2: /* kvm.h's own untracked setter. */
		__kvm_lapic_set_reg(regs, APIC_TASKPRI, 0x30);
		return EXIT_FASTPATH_NONE;
	case 3: /* KVM's own setter, then NONE. */
		kvm_lapic_set_reg(apic, APIC_TASKPRI, 0x40);
		return EXIT_FASTPATH_NONE;
	case 4: /* Another vCPU's IRR through a pointer. */
		if (o && o->arch.apic)
			((u32 *)((char *)o->arch.apic->regs + APIC_IRR))[0] |=
				1u << 20;
		return EXIT_FASTPATH_NONE;
	case 5: /* Past the registers: the page is 4 KiB. */
		regs[0xc00] = 1;
		return EXIT_FASTPATH_NONE;
	case 6: /* A field of vcpu_vmx that no outcome names. */
		if (o)
			to_vmx(o)->dr6 ^= 1;
		return EXIT_FASTPATH_NONE;
	case 7: /* Another vCPU's kvm_run. */
		if (o)
			o->run->exit_reason = KVM_EXIT_DEBUG;
		return EXIT_FASTPATH_NONE;
	case 8: /* The APIC map. */
		if (vcpu->kvm->arch.apic_map)
			vcpu->kvm->arch.apic_map->phys_map[0] = NULL;
		return EXIT_FASTPATH_NONE;
	case 9: /* Handles correctly, and flips a hidden field on the side. */
		if (o)
			to_vmx(o)->dr6 ^= 1;
		return handle(vcpu, data);
	case 10: /* Handles correctly, and memsets a register line. */
		memset(regs + APIC_TASKPRI, 0x50, 1);
		return handle(vcpu, data);
	case 11: /* A GPR of the sender. */
		vcpu->arch.regs[VCPU_REGS_RBX] ^= 1;
		return EXIT_FASTPATH_NONE;
	case 12: /* struct kvm itself. */
		vcpu->kvm->arch.vector_hashing =
			!vcpu->kvm->arch.vector_hashing;
		return EXIT_FASTPATH_NONE;
	case 13: /* Honest: writes, and puts the byte back before it returns. */
		regs[APIC_TASKPRI] ^= 0x10;
		regs[APIC_TASKPRI] ^= 0x10;
		return EXIT_FASTPATH_NONE;
	}
	return EXIT_FASTPATH_NONE;
}

fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu);
fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)
{
	if (is_guest_mode(vcpu) ||
	    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE ||
	    kvm_rcx_read(vcpu) != APIC_BASE_MSR + (APIC_ICR >> 4) ||
	    !lapic_in_kernel(vcpu) || !apic_x2apic_mode(vcpu->arch.apic))
		return EXIT_FASTPATH_NONE;
	return adversary(vcpu, kvm_read_edx_eax(vcpu));
}
