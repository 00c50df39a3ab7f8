// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugin: exports both entry points.  vmx_exit_handlers_fastpath
 * claims every exit (EXIT_HANDLED), so a caller can tell which one runs.
 */
#include <x2sim/kvm.h>

fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_NONE;
}

fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_EXIT_HANDLED;
}
