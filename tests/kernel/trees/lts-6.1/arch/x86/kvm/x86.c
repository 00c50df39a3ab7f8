// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree: the IPI fastpath in the shape Linux 6.1 LTS gives it,
 * written for x2sim's tests.  Only the functions x2sim extracts are
 * meaningful; the rest is here so that extraction has to find them.
 */
#include <linux/kvm_host.h>
#include "x86.h"

#define X2SIM_TEST_NOT_A_FUNCTION(x) do { (x)++; } while (0)

static const char *const not_code = "fastpath_t decoy(void) { }";

/* Not called by the fastpath: never extracted. */
int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr)
{
	return 1;
}

/* Takes only a physical, fixed IPI to one destination (not broadcast). */
static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu, u64 icr)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(apic))
		return 1;
	if ((icr & APIC_SHORT_MASK) != APIC_DEST_NOSHORT ||
	    (icr & APIC_DEST_MASK) != APIC_DEST_PHYSICAL ||
	    (icr & APIC_MODE_MASK) != APIC_DM_FIXED ||
	    (u32)(icr >> 32) == X2APIC_BROADCAST)
		return 1;

	/* The slow path's own write: reserved bits make it decline. */
	return kvm_x2apic_icr_write(apic, icr);
}

/* Only when the VMX preemption timer backs the LAPIC timer. */
static int handle_fastpath_set_tscdeadline(struct kvm_vcpu *vcpu, u64 deadline)
{
	if (kvm_can_use_hv_timer(vcpu)) {
		kvm_set_lapic_tscdeadline_msr(vcpu, deadline);
		return 0;
	}
	return 1;
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
			/* The skip's answer is dropped here: the 6.1 bug. */
			kvm_skip_emulated_instruction(vcpu);
			ret = EXIT_FASTPATH_EXIT_HANDLED;
		}
		break;
	case MSR_IA32_TSC_DEADLINE:
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

/* Exported, not a fastpath: the model provides what the fastpath calls. */
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	return kvm_set_msr_common(vcpu, NULL);
}
EXPORT_SYMBOL_GPL(kvm_emulate_wrmsr);
