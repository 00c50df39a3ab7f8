// SPDX-License-Identifier: GPL-2.0-only
/*
 * upstream: the VM-exit fastpath of Linux 6.18, whole: vmx.c's
 * vmx_exit_handlers_fastpath() and the x86.c handlers behind it.
 *
 * WRMSR and WRMSRNS with an immediate share one worker, which takes the
 * x2APIC ICR when the optimized APIC map can deliver the IPI by itself
 * (reserved bits and everything else are left to the slow path) and the
 * TSC deadline always; HLT and INVD are emulated in place; the VMX
 * preemption timer is the only exit taken while L2 runs.  No
 * kvm_pmu_is_fastpath_emulation_allowed() checks: they came with the
 * mediated PMU, after 6.18.
 */
#define X2SIM_KVM_VERSION 0x061200 /* the 6.18 face */
#include <x2sim/kvm.h>

/* x86.h: halted by HLT or by an async page fault, the vCPU does not run. */
static inline bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE &&
	       !vcpu->arch.apf.halted;
}

static fastpath_t handle_fastpath_invd(struct kvm_vcpu *vcpu)
{
	if (!kvm_emulate_invd(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t __handle_fastpath_wrmsr(struct kvm_vcpu *vcpu, u32 msr,
					  u64 data)
{
	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		if (!lapic_in_kernel(vcpu) ||
		    !apic_x2apic_mode(vcpu->arch.apic) ||
		    kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
			return EXIT_FASTPATH_NONE;
		break;
	case MSR_IA32_TSC_DEADLINE:
		/*
		 * Whether or not the hv timer could be used: since 6.18 the
		 * write is emulated here either way.
		 */
		kvm_set_lapic_tscdeadline_msr(vcpu, data);
		break;
	default:
		return EXIT_FASTPATH_NONE;
	}

	trace_kvm_msr_write(msr, data);

	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t handle_fastpath_wrmsr(struct kvm_vcpu *vcpu)
{
	return __handle_fastpath_wrmsr(vcpu, kvm_rcx_read(vcpu),
				       kvm_read_edx_eax(vcpu));
}

/* WRMSRNS with an immediate: the MSR is an operand, the data one GPR. */
static fastpath_t handle_fastpath_wrmsr_imm(struct kvm_vcpu *vcpu, u32 msr,
					    int reg)
{
	return __handle_fastpath_wrmsr(vcpu, msr, kvm_register_read(vcpu, reg));
}

/*
 * HLT: emulated in place.  A vCPU that still runs afterwards (it has an
 * event to take) goes straight back in; a halted one takes the normal
 * exit path, which blocks it.
 */
static fastpath_t handle_fastpath_hlt(struct kvm_vcpu *vcpu)
{
	if (!kvm_emulate_halt(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	if (kvm_vcpu_running(vcpu))
		return EXIT_FASTPATH_REENTER_GUEST;

	return EXIT_FASTPATH_EXIT_HANDLED;
}

static fastpath_t handle_fastpath_preemption_timer(struct kvm_vcpu *vcpu,
						   bool force_immediate_exit)
{
	/* A timer that fired while "soft" disabled: eat the exit. */
	if (unlikely(to_vmx(vcpu)->loaded_vmcs->hv_timer_soft_disabled))
		return EXIT_FASTPATH_REENTER_GUEST;

	/* The timer was armed to force this exit: nothing more to do. */
	if (force_immediate_exit)
		return EXIT_FASTPATH_EXIT_HANDLED;

	/* The guest timer of L2 likely needs a nested VM exit: slow path. */
	if (is_guest_mode(vcpu))
		return EXIT_FASTPATH_NONE;

	kvm_lapic_expired_hv_timer(vcpu);
	return EXIT_FASTPATH_REENTER_GUEST;
}

fastpath_t x2s_fastpath_upstream(struct kvm_vcpu *vcpu,
				 bool force_immediate_exit);
fastpath_t x2s_fastpath_upstream(struct kvm_vcpu *vcpu,
				 bool force_immediate_exit)
{
	/* In L2 only the preemption timer may take a fastpath. */
	if (is_guest_mode(vcpu) &&
	    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_PREEMPTION_TIMER)
		return EXIT_FASTPATH_NONE;

	switch (vmx_get_exit_reason(vcpu).basic) {
	case EXIT_REASON_MSR_WRITE:
		return handle_fastpath_wrmsr(vcpu);
	case EXIT_REASON_MSR_WRITE_IMM:
		return handle_fastpath_wrmsr_imm(vcpu, vmx_get_exit_qual(vcpu),
						 vmx_get_msr_imm_reg(vcpu));
	case EXIT_REASON_PREEMPTION_TIMER:
		return handle_fastpath_preemption_timer(vcpu,
							force_immediate_exit);
	case EXIT_REASON_HLT:
		return handle_fastpath_hlt(vcpu);
	case EXIT_REASON_INVD:
		return handle_fastpath_invd(vcpu);
	default:
		return EXIT_FASTPATH_NONE;
	}
}
