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
 * The one mapping that holds every byte of the VM a fastpath can reach:
 * struct kvm and kvm->vcpus[], every vCPU's memory (struct x2s_vcpu_mem
 * in vmx/vmx.h) and the APIC map's slot.  Page-aligned, *len bytes.
 */
void *x2s_vm_mem(struct x2s_vm *vm, size_t *len);
struct x2s_vcpu_mem *x2s_vm_vcpu_mem(struct x2s_vm *vm, unsigned int idx);
/*
 * The APIC map's memory (kvm_recalculate_apic_map): the VM's slot when
 * it is free and large enough, else the heap; zeroed.
 */
void *x2s_apic_map_alloc(struct kvm *kvm, size_t size);
/* KVM's kvm_msr events for an access that faulted. */
void trace_kvm_msr_write_ex(u32 ecx, u64 data);
void trace_kvm_msr_read_ex(u32 ecx);
void x2s_apic_map_free(struct kvm *kvm, void *map);
/*
 * kvm_recalculate_apic_map() rebuilt the map: a count that only the model
 * moves, so that the verifier knows the map's bytes unchanged across model
 * code that did not rebuild it.
 */
void x2s_apic_map_rebuilt(struct kvm *kvm);
u64 x2s_vm_map_rebuilds(struct x2s_vm *vm);
/*
 * The calling thread's WARN count (x2s_warn_count()) where it is kept,
 * for a loop that looks at it after every call.
 */
const unsigned int *x2s_warn_counter(void);

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

/*
 * The parts of a vCPU's outcome, as comparisons name them (state.c): each
 * field of struct x2s_vcpu_state and each word of the page belongs to one.
 */
enum x2s_part {
	X2S_PART_RIP,
	X2S_PART_RFLAGS,
	X2S_PART_GPR,
	X2S_PART_REQUESTS,
	X2S_PART_MP_STATE,
	X2S_PART_INIT_SIPI,
	X2S_PART_NMI_SMI,
	X2S_PART_EXCEPTION,
	X2S_PART_INJECTION,
	X2S_PART_USERSPACE,
	X2S_PART_NESTED,
	X2S_PART_IRR,
	X2S_PART_ISR,
	X2S_PART_TMR,
	X2S_PART_ICR,
	X2S_PART_APIC_REG,
	X2S_PART_ARB_PRIO,
	X2S_PART_TIMER,
	X2S_PART_OTHER,
	X2S_NR_PARTS,
};
/* "RIP", "IRR", "userspace-exit", ... */
const char *x2s_part_name(enum x2s_part part);
/* The parts (a bit each) where the fields after the pages differ. */
u32 x2s_state_parts(const struct x2s_vcpu_state *a,
		    const struct x2s_vcpu_state *b);
/*
 * The parts where two runs of n bytes (a multiple of 4) differ, both at
 * offset off (4-aligned) of a register page.
 */
u32 x2s_page_parts(const u8 *a, const u8 *b, unsigned int off, unsigned int n);
/*
 * Posted vectors are IRR vectors in flight: move them into the page's IRR
 * (through the setter) and empty the descriptor, as a snapshot shows them.
 */
void x2s_vcpu_fold_pir(struct kvm_vcpu *vcpu);

/*
 * kvm_vcpu_kick() calls that targeted the vCPU (a statistic of its VM,
 * outside the structures plugins see).
 */
void x2s_vcpu_note_kick(struct kvm_vcpu *vcpu);
unsigned long x2s_vcpu_kicks(const struct kvm_vcpu *vcpu);

/*
 * This thread's trace sink (x2s_set_trace()), NULL when tracing is off.
 * Tested inline at the trace points on the exit path, so that a run
 * without a trace makes no call for them.
 */
extern __thread x2s_trace_fn x2s_trace_sink;

static inline bool x2s_trace_enabled(void)
{
	return x2s_trace_sink != NULL;
}

/*
 * Those trace points, one line each at the call site: a WARN's report
 * names its line, which an added line above it would move.
 */
static inline void x2s_trace_msr_write(u32 msr, u64 data)
{
	if (x2s_trace_enabled())
		trace_kvm_msr_write(msr, data);
}

static inline void x2s_trace_apic_write(u32 reg, u64 val)
{
	if (x2s_trace_enabled())
		trace_kvm_apic_write(reg, val);
}

static inline void x2s_trace_apic_ipi(u32 icr_low, u32 dest_id)
{
	if (x2s_trace_enabled())
		trace_kvm_apic_ipi(icr_low, dest_id);
}

/* printf-style trace line to this thread's sink; cheap when none is set. */
void x2s_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* X2SIM_SRC_CORE_H */
