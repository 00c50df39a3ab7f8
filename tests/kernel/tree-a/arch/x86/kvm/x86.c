// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim test tree "a": kernel-shaped C written for x2sim's unit tests
 * (tests/unit/test_kernel.c).  It is not Linux code and is never built;
 * what matters is which definitions the indexer finds among the decoys
 * and which of them the extraction takes.
 */
#include <linux/kvm_host.h>
#include "x86.h"

#define X2SIM_A_ICR_MSR	0x830

/* A macro that reads like a definition, over several lines: not one. */
#define DEFINE_DECOY_HANDLER(name)				\
	static int name(struct kvm_vcpu *vcpu)			\
	{							\
		return handle_fastpath_decoy(vcpu);		\
	}

static const char *const decoy_strings[] = {
	"static int in_a_string(void) { return 0; }",
	"}", "{", "(",
};

static const char decoy_brace = '{';

/*
 * static int in_a_comment(struct kvm_vcpu *vcpu)
 * {
 *	return 0;
 * }
 */

// fastpath_t in_a_line_comment(struct kvm_vcpu *vcpu) { return 0; }

struct x2sim_a_ops {
	int (*set_msr)(struct kvm_vcpu *vcpu, u64 data);
	void (*kick)(struct kvm_vcpu *vcpu);
};

static const struct x2sim_a_ops decoy_ops = {
	.set_msr = NULL,
	.kick = NULL,
};

typedef struct { int (*fn)(void); } x2sim_a_holder_t;

enum x2sim_a_kind { X2SIM_A_ONE = (1 << 0), X2SIM_A_TWO = (1 << 1) };

static DEFINE_PER_CPU(struct kvm_vcpu *, decoy_current_vcpu);
module_param(decoy_param, bool, 0444);

/* Prototypes are not definitions. */
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
static int handle_fastpath_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data);

/* Not called by the fastpath: never taken. */
static void decoy_unused()
{
}

/* Exported, neither static nor fastpath: the model's, never taken. */
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	const char *why = "skip { the instruction (";

	kvm_rip_write(vcpu, kvm_rip_read(vcpu) + 2);
	return why[0] != '{';
}
EXPORT_SYMBOL_GPL(kvm_skip_emulated_instruction);

/* Static and called, but the compile-time header provides it. */
static inline bool kvm_vcpu_exit_request(struct kvm_vcpu *vcpu)
{
	return vcpu->mode == EXITING_GUEST_MODE;
}

static __always_inline bool x2sim_a_is_icr(u32 msr) // x2APIC ICR, as MSR
{
	return msr == X2SIM_A_ICR_MSR;
}

/* A static helper of the fastpath, its parameters over two lines. */
static int handle_fastpath_set_x2apic_icr_irqoff(struct kvm_vcpu *vcpu,
						 u64 data)
{
	if (!lapic_in_kernel(vcpu) || !apic_x2apic_mode(vcpu->arch.apic))
		return 1;
	if ((data & APIC_SHORT_MASK) != APIC_DEST_NOSHORT) /* not "{" */
		return 1;
	return kvm_x2apic_icr_write(vcpu->arch.apic, data);
}

#ifdef CONFIG_X86_64
static int handle_fastpath_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data)
{
	if (!kvm_can_use_hv_timer(vcpu))
		return 1;
	kvm_set_lapic_tscdeadline_msr(vcpu, data);
	return 0;
}
#else
static int handle_fastpath_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data)
{
	return 1;
}
#endif

/* The entry vmx.c calls on a WRMSR exit. */
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	u32 msr = kvm_rcx_read(vcpu);
	u64 data = kvm_read_edx_eax(vcpu);
	fastpath_t ret = EXIT_FASTPATH_NONE;

	if (x2sim_a_is_icr(msr)) {
		if (!handle_fastpath_set_x2apic_icr_irqoff(vcpu, data)) {
			kvm_skip_emulated_instruction(vcpu);
			ret = EXIT_FASTPATH_EXIT_HANDLED;
		}
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!handle_fastpath_set_tscdeadline(vcpu, data)) {
			kvm_skip_emulated_instruction(vcpu);
			ret = EXIT_FASTPATH_REENTER_GUEST;
		}
	}
	if (ret != EXIT_FASTPATH_NONE)
		trace_kvm_msr_write(msr, data);
	return ret;
}
EXPORT_SYMBOL_GPL(handle_fastpath_set_msr_irqoff);

static bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE;
}

/* Not static, but "fastpath" in the name: fastpath code, taken. */
fastpath_t __attribute__((warn_unused_result))
handle_fastpath_hlt(struct kvm_vcpu *vcpu)
{
	int ret;

	kvm_vcpu_srcu_read_lock(vcpu);
	ret = kvm_emulate_halt(vcpu);
	kvm_vcpu_srcu_read_unlock(vcpu);
	if (!ret || kvm_vcpu_exit_request(vcpu) || !kvm_vcpu_running(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}
EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_hlt);

static noinstr void x2sim_a_noinstr(void)
{
}

static int __init x2sim_a_init(void)
{
	return 0;
}
module_init(x2sim_a_init);

static __printf(2, 3) void x2sim_a_log(struct kvm_vcpu *vcpu,
				       const char *fmt, ...)
{
}

int x2sim_a_callback(int a, int (*cb)(int, int)) /* ) { */
{
	return cb(a, a);
}
