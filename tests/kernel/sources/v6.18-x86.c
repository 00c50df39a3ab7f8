// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test source: x86.c's fastpaths in the shape of Linux 6.18 (only the
 * functions; vmx.c's dispatcher is not here, so x2sim gates the exits),
 * written for x2sim's tests.
 */
static inline bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.apf.halted)
		return false;
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE;
}

fastpath_t handle_fastpath_invd(struct kvm_vcpu *vcpu)
{
	/* A NOP that is skipped; the skip may need userspace. */
	return kvm_emulate_invd(vcpu) ? EXIT_FASTPATH_REENTER_GUEST :
					EXIT_FASTPATH_EXIT_USERSPACE;
}
EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_invd);

static fastpath_t __handle_fastpath_wrmsr(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	if (msr == APIC_BASE_MSR + (APIC_ICR >> 4)) {
		/* Only what the optimized map delivers by itself. */
		if (!lapic_in_kernel(vcpu) ||
		    !apic_x2apic_mode(vcpu->arch.apic) ||
		    kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
			return EXIT_FASTPATH_NONE;
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		kvm_set_lapic_tscdeadline_msr(vcpu, data);
	} else {
		return EXIT_FASTPATH_NONE;
	}

	trace_kvm_msr_write(msr, data);
	return kvm_skip_emulated_instruction(vcpu) ?
		       EXIT_FASTPATH_REENTER_GUEST :
		       EXIT_FASTPATH_EXIT_USERSPACE;
}

fastpath_t handle_fastpath_wrmsr(struct kvm_vcpu *vcpu)
{
	return __handle_fastpath_wrmsr(vcpu, kvm_rcx_read(vcpu),
				       kvm_read_edx_eax(vcpu));
}
EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_wrmsr);

fastpath_t handle_fastpath_wrmsr_imm(struct kvm_vcpu *vcpu, u32 msr, int reg)
{
	return __handle_fastpath_wrmsr(vcpu, msr, kvm_register_read(vcpu, reg));
}
EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_wrmsr_imm);

fastpath_t handle_fastpath_hlt(struct kvm_vcpu *vcpu)
{
	int skipped;

	kvm_vcpu_srcu_read_lock(vcpu);
	skipped = kvm_emulate_halt(vcpu);
	kvm_vcpu_srcu_read_unlock(vcpu);

	if (!skipped)
		return EXIT_FASTPATH_EXIT_USERSPACE;
	/* Still runnable (an event was pending): straight back in. */
	return kvm_vcpu_running(vcpu) ? EXIT_FASTPATH_REENTER_GUEST :
					EXIT_FASTPATH_EXIT_HANDLED;
}
EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_hlt);
