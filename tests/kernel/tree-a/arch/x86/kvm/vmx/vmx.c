// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree "a": vmx.c's side of the fastpath, kernel-shaped C
 * written for x2sim's unit tests.  Never built.
 */
#include <linux/kvm_host.h>
#include "../x86.h"

static DEFINE_PER_CPU(struct vmcs *, decoy_vmxarea);

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_vmx, vcpu);
}

static fastpath_t handle_fastpath_preemption_timer(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vmx->req_immediate_exit ||
	    vmx->loaded_vmcs->hv_timer_soft_disabled)
		return EXIT_FASTPATH_NONE;
	kvm_lapic_expired_hv_timer(vcpu);
	return EXIT_FASTPATH_REENTER_GUEST;
}

static fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)
{
	switch (to_vmx(vcpu)->exit_reason.basic) {
	case EXIT_REASON_MSR_WRITE:
		return handle_fastpath_set_msr_irqoff(vcpu);
	case EXIT_REASON_PREEMPTION_TIMER:
		return handle_fastpath_preemption_timer(vcpu);
	case EXIT_REASON_HLT:
		return handle_fastpath_hlt(vcpu);
	default:
		return EXIT_FASTPATH_NONE;
	}
}

/* Static but not called by the fastpath: not taken. */
static fastpath_t vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	return vmx_exit_handlers_fastpath(vcpu);
}
