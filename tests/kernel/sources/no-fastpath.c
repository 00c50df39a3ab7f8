// SPDX-License-Identifier: GPL-2.0-only
/* x2sim test source: kernel code, but no fastpath entry point in it. */
static int kvm_x2sim_unrelated(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id;
}
