// SPDX-License-Identifier: GPL-2.0-only
/*
 * v1-posted: "KVM: X86: Single target IPI fastpath" as posted to LKML on
 * 2019-11-09, in the form it would take against this KVM.
 *
 * Its place: inside vmx_vcpu_run(), right after an MSR_WRITE exit outside
 * guest mode, before vmx_complete_interrupts() -- whose
 * kvm_clear_exception_queue() drops the #DB the skip queues under guest
 * RFLAGS.TF (its descriptor's entry is X2S_FASTPATH_BEFORE_COMPLETION).
 * Its index check is done in u32 arithmetic, its ICR write goes through
 * the 32-bit xAPIC register path, and the exit counts as handled only
 * when the instruction skip returned non-zero (otherwise the normal WRMSR
 * handler still runs).
 */
#include <x2sim/kvm.h>

static int handle_ipi_fastpath(struct kvm_vcpu *vcpu)
{
	u32 index;
	u64 data;
	int ret = 0;

	if (lapic_in_kernel(vcpu) && apic_x2apic_mode(vcpu->arch.apic)) {
		/* The popular case: FIXED delivery, PHYSICAL destination. */
		index = kvm_rcx_read(vcpu);
		data = kvm_read_edx_eax(vcpu);

		if (((index - APIC_BASE_MSR) << 4 == APIC_ICR) &&
		    ((data & KVM_APIC_DEST_MASK) == APIC_DEST_PHYSICAL) &&
		    ((data & APIC_MODE_MASK) == APIC_DM_FIXED)) {
			kvm_lapic_set_reg(vcpu->arch.apic, APIC_ICR2,
					  (u32)(data >> 32));
			ret = kvm_lapic_reg_write(vcpu->arch.apic, APIC_ICR,
						  (u32)data);
			if (ret == 0)
				ret = kvm_skip_emulated_instruction(vcpu);
		}
	}

	return ret;
}

fastpath_t x2s_fastpath_v1_posted(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_v1_posted(struct kvm_vcpu *vcpu)
{
	/* The whole exit reason: a failed VM entry is never MSR_WRITE. */
	if (vmx_get_exit_reason(vcpu).full != EXIT_REASON_MSR_WRITE ||
	    is_guest_mode(vcpu))
		return EXIT_FASTPATH_NONE;

	/* vcpu->fast_vmexit: vmx_handle_exit() returns 1 at once. */
	return handle_ipi_fastpath(vcpu) ? EXIT_FASTPATH_EXIT_HANDLED :
					   EXIT_FASTPATH_NONE;
}
