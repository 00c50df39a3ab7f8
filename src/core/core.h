/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim core: struct x2s_vm around the model's struct kvm, the public API
 * (src/core/vm.c), WARN bookkeeping and trace lines (src/core/trace.c).
 */
#ifndef X2SIM_SRC_CORE_H
#define X2SIM_SRC_CORE_H

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

/*
 * The one-line error of the loaders (plugins, kernel trees): the message
 * into err (never longer than errlen, NULL allowed), ret returned.
 */
int x2s_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The model objects behind a public handle (tests and tools use these). */
struct kvm *x2s_vm_kvm(struct x2s_vm *vm);
struct kvm_vcpu *x2s_vm_vcpu(struct x2s_vm *vm, unsigned int idx);

/*
 * Put an exit into a vCPU as the CPU leaves it (VMCS exit fields, the
 * decoded MMIO access) and clear what the previous exit left for
 * userspace; the GPRs are the caller's.
 */
void x2s_vcpu_load_exit(struct kvm_vcpu *vcpu, const struct x2s_exit *exit);
/* The WRMSR exit: ECX = msr, EDX:EAX = data, instruction length 2. */
void x2s_vcpu_load_wrmsr(struct kvm_vcpu *vcpu, u32 msr, u64 data);
/*
 * The result of an exit or entry whose handling returned r (1: the vCPU
 * goes back into the guest, 0: to userspace, KVM's rule); res->fastpath
 * is the caller's.
 */
void x2s_exit_result_fill(struct kvm_vcpu *vcpu, int r,
			  struct x2s_exit_result *res);

/*
 * The part of struct x2s_vcpu_state after the register page, filled from
 * a vCPU (x2s_vcpu_save is the page plus this); padding is zeroed so the
 * region compares with memcmp.
 */
#define X2S_STATE_SMALL_OFF offsetof(struct x2s_vcpu_state, apic_base)
#define X2S_STATE_SMALL_LEN \
	(sizeof(struct x2s_vcpu_state) - X2S_STATE_SMALL_OFF)
void x2s_vcpu_save_small(struct kvm_vcpu *vcpu, struct x2s_vcpu_state *st);

/* printf-style trace line to this thread's sink; cheap when none is set. */
bool x2s_trace_enabled(void);
void x2s_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* X2SIM_SRC_CORE_H */
