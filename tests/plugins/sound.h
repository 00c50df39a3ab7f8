/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the soundness plugins (tests/plugins/sound_*.c) share: each writes
 * model state by one means C allows on the exits of WRMSR(ICR) and then
 * declines or handles the exit.  Each file is a plugin of its own, built
 * as a user builds one (tests/CMakeLists.txt); test_soundness.c loads it
 * and says what it must be caught as.
 *
 * SOUND_ATTACK(name) { ... } is the body, with vcpu (the sender) and data
 * (EDX:EAX) in scope; it runs behind 6.18's gate for the ICR write.
 */
#ifndef X2SIM_TEST_PLUGINS_SOUND_H
#define X2SIM_TEST_PLUGINS_SOUND_H

#include <string.h>

#include <x2sim/kvm.h>

/* The other vCPU of a two-vCPU VM. */
static inline struct kvm_vcpu *sound_other(struct kvm_vcpu *vcpu)
{
	return kvm_get_vcpu(vcpu->kvm, vcpu->vcpu_idx ? 0 : 1);
}

/* L1's MSR bitmap of the first vCPU that has one (NULL: none has). */
static inline u8 *sound_first_bitmap(struct kvm *kvm)
{
	struct kvm_vcpu *v;
	unsigned long i;

	kvm_for_each_vcpu (i, v, kvm)
		if (to_vmx(v)->nested.msr_bitmap)
			return to_vmx(v)->nested.msr_bitmap;
	return NULL;
}

/* Set vector vec in apic's IRR through a pointer, past the setters. */
static inline void sound_irr_poke(struct kvm_lapic *apic, u8 vec)
{
	u32 *reg = (u32 *)((char *)apic->regs + APIC_IRR + (vec >> 5) * 0x10);

	*reg |= 1u << (vec & 31);
}

/* Take the exit as 6.18 does: only what the optimized map delivers. */
static inline fastpath_t sound_handle(struct kvm_vcpu *vcpu, u64 data)
{
	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}

static inline bool sound_gate(struct kvm_vcpu *vcpu)
{
	return !is_guest_mode(vcpu) &&
	       vmx_get_exit_reason(vcpu).basic == EXIT_REASON_MSR_WRITE &&
	       kvm_rcx_read(vcpu) == APIC_BASE_MSR + (APIC_ICR >> 4) &&
	       lapic_in_kernel(vcpu) && apic_x2apic_mode(vcpu->arch.apic);
}

/* The body, and the exported vmx_exit_handlers_fastpath() around it. */
#define SOUND_ATTACK(name)                                               \
	static fastpath_t sound_##name(struct kvm_vcpu *vcpu, u64 data); \
	fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu);    \
	fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)     \
	{                                                                \
		if (!sound_gate(vcpu))                                   \
			return EXIT_FASTPATH_NONE;                       \
		return sound_##name(vcpu, kvm_read_edx_eax(vcpu));       \
	}                                                                \
	static fastpath_t sound_##name(struct kvm_vcpu *vcpu, u64 data)

#endif /* X2SIM_TEST_PLUGINS_SOUND_H */
