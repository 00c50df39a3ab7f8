// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: a stamp from a kvm.h that does not exist (ABI 999). */
struct kvm_vcpu;

extern const unsigned int x2sim_kvm_abi_version;
const unsigned int x2sim_kvm_abi_version = 999;

int handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
int handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	return 0;
}
