// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: stamped, but the entry point has the wrong name. */
#include <x2sim/kvm.h>

fastpath_t handle_fastpath_set_msr(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_NONE;
}
