// SPDX-License-Identifier: GPL-2.0-only
/* x2sim test source: a fastpath that calls what x2sim's KVM does not have. */
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	if (kvm_rcx_read(vcpu) != APIC_BASE_MSR + (APIC_ICR >> 4))
		return EXIT_FASTPATH_NONE;

	kvm_x2sim_has_no_such_helper(vcpu);
	return EXIT_FASTPATH_NONE;
}
