// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree: the IPI fastpath in the shape Linux 6.12 gives it,
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
	fastpath_t ret;
	bool handled;

	kvm_vcpu_srcu_read_lock(vcpu);

	switch (msr) {
	case APIC_BASE_MSR + (APIC_ICR >> 4):
		data = kvm_read_edx_eax(vcpu);
		handled = !handle_fastpath_set_x2apic_icr_irqoff(vcpu, data);
		break;
	case MSR_IA32_TSC_DEADLINE:
		data = kvm_read_edx_eax(vcpu);
		handled = !handle_fastpath_set_tscdeadline(vcpu, data);
		break;
	default:
		handled = false;
		break;
	}

	if (handled) {
		/* The skip may need userspace (single-step): say so. */
		if (!kvm_skip_emulated_instruction(vcpu))
			ret = EXIT_FASTPATH_EXIT_USERSPACE;
		else
			ret = EXIT_FASTPATH_REENTER_GUEST;
		trace_kvm_msr_write(msr, data);
	} else {
		ret = EXIT_FASTPATH_NONE;
	}

	kvm_vcpu_srcu_read_unlock(vcpu);

	return ret;
}
EXPORT_SYMBOL_GPL(handle_fastpath_set_msr_irqoff);

/* Exported, not a fastpath: the model provides what the fastpath calls. */
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	return kvm_set_msr_common(vcpu, NULL);
}
EXPORT_SYMBOL_GPL(kvm_emulate_wrmsr);

static inline bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE &&
	       !vcpu->arch.apf.halted;
}

fastpath_t handle_fastpath_hlt(struct kvm_vcpu *vcpu)
{
	int ret;

	kvm_vcpu_srcu_read_lock(vcpu);
	ret = kvm_emulate_halt(vcpu);
	kvm_vcpu_srcu_read_unlock(vcpu);

	if (!ret)
		return EXIT_FASTPATH_EXIT_USERSPACE;

	if (kvm_vcpu_running(vcpu))
		return EXIT_FASTPATH_REENTER_GUEST;

	return EXIT_FASTPATH_EXIT_HANDLED;
}
EXPORT_SYMBOL_GPL(handle_fastpath_hlt);
