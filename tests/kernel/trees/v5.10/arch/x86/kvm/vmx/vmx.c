// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree: vmx.c's fastpath dispatch in the shape of Linux 5.10,
 * written for x2sim's tests.  The dispatcher does not look at L2: its
 * caller, vmx_vcpu_run(), returned before it while L2 ran.
 */
static fastpath_t handle_fastpath_preemption_timer(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* Forced exits and soft-disabled timers are the slow path's. */
	if (vmx->req_immediate_exit ||
	    unlikely(vmx->loaded_vmcs->hv_timer_soft_disabled))
		return EXIT_FASTPATH_NONE;

	kvm_lapic_expired_hv_timer(vcpu);
	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)
{
	switch (to_vmx(vcpu)->exit_reason) {
	case EXIT_REASON_MSR_WRITE:
		return handle_fastpath_set_msr_irqoff(vcpu);
	case EXIT_REASON_PREEMPTION_TIMER:
		return handle_fastpath_preemption_timer(vcpu);
	default:
		return EXIT_FASTPATH_NONE;
	}
}
