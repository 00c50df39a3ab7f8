// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree: x86.c's IPI and TSC-deadline fastpath in the shape of
 * Linux 5.10 (only the functions), written for x2sim's tests: the IPI is
 * sent through kvm_apic_send_ipi() and the ICR stored as two halves, with
 * no reserved-bit check.
 */
static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu, u64 icr)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 lo = (u32)icr & ~APIC_ICR_BUSY, hi = (u32)(icr >> 32);

	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(apic))
		return 1;
	/* One physical fixed target, no shorthand, not the broadcast ID. */
	if ((lo & APIC_SHORT_MASK) != APIC_DEST_NOSHORT ||
	    (lo & APIC_DEST_MASK) != APIC_DEST_PHYSICAL ||
	    (lo & APIC_MODE_MASK) != APIC_DM_FIXED || hi == X2APIC_BROADCAST)
		return 1;

	kvm_apic_send_ipi(apic, lo, hi);
	kvm_lapic_set_reg(apic, APIC_ICR2, hi);
	kvm_lapic_set_reg(apic, APIC_ICR, lo);
	trace_kvm_apic_write(APIC_ICR, lo);
	return 0;
}

static int handle_fastpath_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data)
{
	if (!kvm_can_use_hv_timer(vcpu))
		return 1;

	kvm_set_lapic_tscdeadline_msr(vcpu, data);
	return 0;
}

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	u32 msr = kvm_rcx_read(vcpu);
	u64 data;
	fastpath_t ret = EXIT_FASTPATH_NONE;

	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		data = kvm_read_edx_eax(vcpu);
		if (!handle_fastpath_set_x2apic_icr_irqoff(vcpu, data)) {
			kvm_skip_emulated_instruction(vcpu);
			ret = EXIT_FASTPATH_EXIT_HANDLED;
		}
		break;
	case MSR_IA32_TSCDEADLINE:
		data = kvm_read_edx_eax(vcpu);
		if (!handle_fastpath_set_tscdeadline(vcpu, data)) {
			kvm_skip_emulated_instruction(vcpu);
			ret = EXIT_FASTPATH_REENTER_GUEST;
		}
		break;
	default:
		break;
	}

	if (ret != EXIT_FASTPATH_NONE)
		trace_kvm_msr_write(msr, data);

	return ret;
}
EXPORT_SYMBOL_GPL(handle_fastpath_set_msr_irqoff);
