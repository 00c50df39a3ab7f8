// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree: vmx.c's fastpath dispatch in the shape of Linux 6.1 LTS
 * (with the force_immediate_exit argument Debian's 6.1 has), written for
 * x2sim's tests.
 */
#include "vmx.h"

static struct kvm_x86_ops vmx_x86_ops __initdata = {
	.name = "kvm_intel",
};

static fastpath_t handle_fastpath_preemption_timer(struct kvm_vcpu *vcpu,
						   bool force_immediate_exit)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* A timer that fired while soft-disabled: nothing to do. */
	if (unlikely(vmx->loaded_vmcs->hv_timer_soft_disabled))
		return EXIT_FASTPATH_REENTER_GUEST;

	/* KVM armed it only to force this exit. */
	if (force_immediate_exit)
		return EXIT_FASTPATH_EXIT_HANDLED;

	/* L2's timer may need a nested exit: the slow path decides. */
	if (is_guest_mode(vcpu))
		return EXIT_FASTPATH_NONE;

	kvm_lapic_expired_hv_timer(vcpu);
	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu,
					     bool force_immediate_exit)
{
	/* In L2 only the preemption timer may take the fastpath. */
	if (is_guest_mode(vcpu) &&
	    to_vmx(vcpu)->exit_reason.basic != EXIT_REASON_PREEMPTION_TIMER)
		return EXIT_FASTPATH_NONE;

	switch (to_vmx(vcpu)->exit_reason.basic) {
	case EXIT_REASON_MSR_WRITE:
		return handle_fastpath_set_msr_irqoff(vcpu);
	case EXIT_REASON_PREEMPTION_TIMER:
		return handle_fastpath_preemption_timer(vcpu, force_immediate_exit);
	default:
		return EXIT_FASTPATH_NONE;
	}
}
