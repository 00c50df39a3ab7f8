// SPDX-License-Identifier: GPL-2.0-only
/*
 * A single-target x2APIC IPI fastpath, as it would sit in
 * arch/x86/kvm/x86.c.  Build and verify it (see README.md):
 *
 *   cc -shared -fPIC -O2 $(pkg-config --cflags x2sim) \
 *      my_fastpath.c -o my_fastpath.so
 *   x2sim verify --plugin ./my_fastpath.so
 *
 * x2sim calls handle_fastpath_set_msr_irqoff() where
 * vmx_exit_handlers_fastpath() does: right after an MSR_WRITE exit, with
 * interrupts off, and not while L2 runs.
 */
#include <x2sim/kvm.h>

#define X2APIC_MSR_ICR (APIC_BASE_MSR + (APIC_ICR >> 4))

/*
 * Only a fixed IPI with one physical destination is worth doing with
 * interrupts off.  Reserved bits are the slow path's business: it raises
 * #GP, which this function must not have to reproduce.
 */
static bool icr_is_single_target(u64 data)
{
	if (data & X2APIC_ICR_RESERVED_BITS)
		return false;

	return (data & APIC_SHORT_MASK) == APIC_DEST_NOSHORT &&
	       (data & APIC_DEST_MASK) == APIC_DEST_PHYSICAL &&
	       (data & APIC_DM_FIXED_MASK) == APIC_DM_FIXED &&
	       (u32)(data >> 32) != X2APIC_BROADCAST;
}

/* KVM declares it in x86.h; x2sim looks it up by name. */
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	u32 msr = kvm_rcx_read(vcpu);
	u64 data = kvm_read_edx_eax(vcpu);

	if (msr != X2APIC_MSR_ICR || !lapic_in_kernel(vcpu) ||
	    !apic_x2apic_mode(vcpu->arch.apic) || !icr_is_single_target(data))
		return EXIT_FASTPATH_NONE;

	/*
	 * Delivers through the optimized APIC map only, clears BUSY and
	 * stores the ICR; -EWOULDBLOCK when the map cannot decide alone.
	 */
	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;

	trace_kvm_msr_write(msr, data);

	/* Userspace single-step needs a KVM_EXIT_DEBUG. */
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;

	return EXIT_FASTPATH_REENTER_GUEST;
}
