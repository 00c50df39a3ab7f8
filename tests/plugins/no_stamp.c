// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: built without <x2sim/kvm.h>, so it carries no ABI stamp. */
struct kvm_vcpu;

int handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
int handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	return 0;
}
