// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: per-vCPU state snapshots, restore and a readable comparison.
 *
 * A state holds everything a guest, L1 or userspace could observe after an
 * exit (docs/verify.md, "The outcome").  Posted interrupts are
 * normalised into IRR: a vector waiting in the PIR and one already in IRR
 * are the same observable fact, the next entry delivers both alike.
 */
#include <errno.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define WINDOW_EXITING_BITS \
	(CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING)

static void save_pir_into_irr(struct kvm_vcpu *vcpu, u8 *page)
{
	const struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;

	for (int i = 0; i < 8; i++) {
		u32 *irr = (u32 *)(page + APIC_IRR + i * 16);

		*irr |= pi->pir[i];
	}
}

void x2s_vcpu_fold_pir(struct kvm_vcpu *vcpu)
{
	struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return;
	for (int w = 0; w < 8; w++) {
		if (!pi->pir[w])
			continue;
		kvm_lapic_set_reg(apic, APIC_IRR + w * 16,
				  kvm_lapic_get_reg(apic, APIC_IRR + w * 16) |
					  pi->pir[w]);
		pi->pir[w] = 0;
	}
	pi->on = false;
}

void x2s_vcpu_save_small(struct kvm_vcpu *vcpu, struct x2s_vcpu_state *st)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct kvm_lapic *apic = vcpu->arch.apic;

	memset(&st->apic_base, 0, X2S_STATE_SMALL_LEN);
	if (apic) {
		st->sipi_vector = apic->sipi_vector;
		st->init_pending =
			!!(apic->pending_events & BIT(KVM_APIC_INIT));
		st->sipi_pending =
			!!(apic->pending_events & BIT(KVM_APIC_SIPI));
		st->sw_enabled = apic->sw_enabled;
	}
	st->apic_base = vcpu->arch.apic_base;
	for (int r = 0; r <= X2S_REG_RIP; r++)
		st->regs[r] = vcpu->arch.regs[r];
	st->regs[X2S_REG_RFLAGS] = vcpu->arch.rflags;
	st->regs[X2S_REG_INTERRUPTIBILITY] = vcpu->arch.interruptibility;
	st->requests = vcpu->requests;
	if (apic) {
		const struct kvm_timer *t = &apic->lapic_timer;

		st->tsc_deadline = t->tscdeadline;
		st->timer_period_ns = t->period;
		st->timer_target_ns = t->target_expiration;
		st->timer_queued = t->timer.queued;
		st->timer_expires_ns = t->timer.queued ? t->timer.expires : 0;
		st->expired_tsc_deadline = t->expired_tscdeadline;
		st->timer_pending = (u8)atomic_read(&t->pending);
		st->hv_timer_in_use = t->hv_timer_in_use;
	}
	st->hv_deadline_tsc = vmx->hv_deadline_tsc;
	st->hv_timer_soft_disabled = vmx->loaded_vmcs->hv_timer_soft_disabled;
	st->hv_timer_parked = vmx->x2s_hv_timer_parked;
	st->preemption_timer_value =
		(u32)vmcs_read(vcpu, VMX_PREEMPTION_TIMER_VALUE);
	st->mp_state = vcpu->arch.mp_state;
	st->entry_intr_info = (u32)vmcs_read(vcpu, VM_ENTRY_INTR_INFO_FIELD);
	st->entry_exception_error_code =
		(u32)vmcs_read(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE);
	st->window_exiting = (u32)vmcs_read(vcpu, CPU_BASED_VM_EXEC_CONTROL) &
			     WINDOW_EXITING_BITS;
	/*
	 * With APICv, RVI/SVI are rewritten from IRR/ISR at every VM entry;
	 * what a vCPU that will not enter (halted, waiting for SIPI) has
	 * left there is never used.
	 */
	if (vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE)
		st->guest_intr_status = (u16)vmcs_read(vcpu, GUEST_INTR_STATUS);
	st->req_immediate_exit = vmx->req_immediate_exit;
	st->nmi_pending = (u8)vcpu->arch.nmi_pending;
	st->smi_pending = vcpu->arch.smi_pending;
	st->pv_unhalted = vcpu->arch.pv.pv_unhalted;
	st->nmi_injected = vcpu->arch.nmi_injected;
	st->interrupt_injected = vcpu->arch.interrupt.injected;
	st->interrupt_vector = vcpu->arch.interrupt.nr;
	st->exception_pending = vcpu->arch.exception.pending;
	st->exception_injected = vcpu->arch.exception.injected;
	st->exception_vector = vcpu->arch.exception.vector;
	st->exception_has_error_code = vcpu->arch.exception.has_error_code;
	st->exception_error_code = vcpu->arch.exception.error_code;
	st->run_exit_reason = vcpu->run->exit_reason;
	st->nested_exit = vmx->nested.last_exit.happened;
	st->nested_exit_reason = vmx->nested.last_exit.exit_reason;
	st->guest_mode = vcpu->arch.guest_mode;
	st->vmxon = vmx->nested.vmxon;
	st->arb_prio = (u32)vcpu->arch.apic_arb_prio;
}

int x2s_vcpu_save(struct x2s_vm *vm, unsigned int idx,
		  struct x2s_vcpu_state *st)
{
	struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, idx);

	if (!vcpu || !st)
		return -EINVAL;
	memset(st->apic_page, 0, sizeof(st->apic_page));
	if (vcpu->arch.apic) {
		memcpy(st->apic_page, vcpu->arch.apic->regs,
		       X2S_APIC_PAGE_SIZE);
		save_pir_into_irr(vcpu, st->apic_page);
	}
	x2s_vcpu_save_small(vcpu, st);
	return 0;
}

/* Recompute what KVM caches about the page, as kvm_apic_set_state does. */
static void apic_recompute_caches(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	apic->sw_enabled =
		kvm_lapic_get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
	kvm_apic_update_apicv(vcpu);
}

/*
 * What KVM would refuse to load (KVM_SET_NESTED_STATE, KVM_SET_MP_STATE,
 * KVM_SET_MSRS of APIC_BASE): guest mode without VMXON, an unknown
 * mp_state, INIT/SIPI states without an in-kernel LAPIC or with INIT
 * blocked in VMX root operation (and, x2sim, in guest mode, see
 * x2s_vcpu_set_mp_state), APIC_BASE reserved bits or EXTD without EN.
 */
static bool state_valid(struct kvm_vcpu *vcpu, const struct x2s_vcpu_state *st)
{
	u64 reserved =
		~0ULL << vcpu->arch.maxphyaddr | 0x2ff |
		(guest_cpu_cap_has(vcpu, X86_FEATURE_X2APIC) ? 0 :
							       X2APIC_ENABLE);
	bool init_state = st->mp_state == KVM_MP_STATE_INIT_RECEIVED ||
			  st->mp_state == KVM_MP_STATE_SIPI_RECEIVED;

	if (st->guest_mode && !st->vmxon)
		return false;
	if (st->mp_state > KVM_MP_STATE_SIPI_RECEIVED ||
	    (init_state && (!vcpu->arch.apic || st->vmxon)) ||
	    (!vcpu->arch.apic && st->mp_state != KVM_MP_STATE_RUNNABLE))
		return false;
	if (st->apic_base & reserved)
		return false;
	/* A timer needs an APIC; the hv timer the preemption timer. */
	if (st->timer_period_ns < 0 || st->timer_pending > 1 ||
	    st->timer_queued > 1 || st->hv_timer_in_use > 1 ||
	    st->hv_timer_soft_disabled > 1 || st->hv_timer_parked > 1 ||
	    (!vcpu->arch.apic && (st->timer_period_ns || st->timer_queued ||
				  st->timer_pending || st->hv_timer_in_use)) ||
	    (st->hv_timer_in_use && !vcpu->kvm->arch.preemption_timer))
		return false;
	return !((st->apic_base & X2APIC_ENABLE) &&
		 !(st->apic_base & MSR_IA32_APICBASE_ENABLE));
}

int x2s_vcpu_restore(struct x2s_vm *vm, unsigned int idx,
		     const struct x2s_vcpu_state *st)
{
	struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, idx);
	struct vcpu_vmx *vmx;
	struct kvm_lapic *apic;

	if (!vcpu || !st || !state_valid(vcpu, st))
		return -EINVAL;
	vmx = to_vmx(vcpu);
	apic = vcpu->arch.apic;
	if (apic) {
		memcpy(apic->regs, st->apic_page, X2S_APIC_PAGE_SIZE);
		memset(&vmx->pi_desc, 0, sizeof(vmx->pi_desc));
		apic->sipi_vector = st->sipi_vector;
		apic->pending_events =
			(st->init_pending ? BIT(KVM_APIC_INIT) : 0) |
			(st->sipi_pending ? BIT(KVM_APIC_SIPI) : 0);
		apic->base_address = st->apic_base & MSR_IA32_APICBASE_BASE;
		apic_recompute_caches(vcpu);
	}
	vcpu->arch.apic_base = st->apic_base;
	for (int r = 0; r <= X2S_REG_RIP; r++)
		vcpu->arch.regs[r] = st->regs[r];
	vcpu->arch.rflags = st->regs[X2S_REG_RFLAGS];
	vcpu->arch.interruptibility = (u32)st->regs[X2S_REG_INTERRUPTIBILITY];
	vcpu->requests = st->requests;
	if (apic) {
		struct kvm_timer *t = &apic->lapic_timer;

		/* The mode and divisor follow the registers just restored. */
		t->timer_mode =
			kvm_lapic_get_reg(apic, APIC_LVTT) & t->timer_mode_mask;
		update_divide_count(apic);
		t->tscdeadline = st->tsc_deadline;
		t->period = st->timer_period_ns;
		t->target_expiration = st->timer_target_ns;
		t->timer.queued = st->timer_queued;
		t->timer.expires = st->timer_expires_ns;
		t->expired_tscdeadline = st->expired_tsc_deadline;
		atomic_set(&t->pending, st->timer_pending);
		t->hv_timer_in_use = st->hv_timer_in_use;
	}
	vmx->hv_deadline_tsc = st->hv_deadline_tsc;
	vmx->loaded_vmcs->hv_timer_soft_disabled = st->hv_timer_soft_disabled;
	vmx->x2s_hv_timer_parked = st->hv_timer_parked;
	vmcs_write(vcpu, VMX_PREEMPTION_TIMER_VALUE,
		   st->preemption_timer_value);
	vcpu->arch.mp_state = st->mp_state;
	vmcs_write(vcpu, VM_ENTRY_INTR_INFO_FIELD, st->entry_intr_info);
	vmcs_write(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE,
		   st->entry_exception_error_code);
	vmcs_write(vcpu, CPU_BASED_VM_EXEC_CONTROL,
		   (vmcs_read(vcpu, CPU_BASED_VM_EXEC_CONTROL) &
		    ~(u64)WINDOW_EXITING_BITS) |
			   st->window_exiting);
	vmcs_write(vcpu, GUEST_INTR_STATUS, st->guest_intr_status);
	vmx->req_immediate_exit = st->req_immediate_exit;
	vcpu->arch.nmi_pending = st->nmi_pending;
	vcpu->arch.smi_pending = st->smi_pending;
	vcpu->arch.pv.pv_unhalted = st->pv_unhalted;
	vcpu->arch.nmi_injected = st->nmi_injected;
	vcpu->arch.interrupt.injected = st->interrupt_injected;
	vcpu->arch.interrupt.nr = st->interrupt_vector;
	memset(&vcpu->arch.exception, 0, sizeof(vcpu->arch.exception));
	vcpu->arch.exception.pending = st->exception_pending;
	vcpu->arch.exception.injected = st->exception_injected;
	vcpu->arch.exception.vector = st->exception_vector;
	vcpu->arch.exception.has_error_code = st->exception_has_error_code;
	vcpu->arch.exception.error_code = st->exception_error_code;
	/* As KVM_SET_VCPU_EVENTS: no exception is left for L1 to intercept. */
	vcpu->arch.exception_vmexit.pending = false;
	vcpu->run->exit_reason = st->run_exit_reason;
	vmx->nested.last_exit.happened = st->nested_exit;
	vmx->nested.last_exit.exit_reason = st->nested_exit_reason;
	vcpu->arch.guest_mode = st->guest_mode;
	vmx->nested.vmxon = st->vmxon;
	vcpu->arch.apic_arb_prio = (int)st->arb_prio;
	/* As kvm_apic_set_state(): the map follows the restored APIC. */
	kvm_apic_map_mark_dirty(vcpu->kvm);
	kvm_recalculate_apic_map(vcpu->kvm);
	return 0;
}

int x2s_vm_save(struct x2s_vm *vm, struct x2s_vcpu_state *st)
{
	unsigned int n = x2s_vm_nr_vcpus(vm);

	if (!vm || !st)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		x2s_vcpu_save(vm, i, &st[i]);
	return 0;
}

int x2s_vm_restore(struct x2s_vm *vm, const struct x2s_vcpu_state *st)
{
	unsigned int n = x2s_vm_nr_vcpus(vm);

	if (!vm || !st)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (!state_valid(x2s_vm_vcpu(vm, i), &st[i]))
			return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		x2s_vcpu_restore(vm, i, &st[i]);
	kvm_recalculate_apic_map(x2s_vm_kvm(vm));
	return 0;
}

/* ---- comparison ---- */

static const char *const part_names[X2S_NR_PARTS] = {
	[X2S_PART_RIP] = "RIP",
	[X2S_PART_RFLAGS] = "RFLAGS",
	[X2S_PART_GPR] = "GPR",
	[X2S_PART_REQUESTS] = "requests",
	[X2S_PART_MP_STATE] = "mp_state",
	[X2S_PART_INIT_SIPI] = "INIT/SIPI",
	[X2S_PART_NMI_SMI] = "NMI/SMI",
	[X2S_PART_EXCEPTION] = "exception",
	[X2S_PART_INJECTION] = "injection",
	[X2S_PART_USERSPACE] = "userspace-exit",
	[X2S_PART_NESTED] = "nested",
	[X2S_PART_IRR] = "IRR",
	[X2S_PART_ISR] = "ISR",
	[X2S_PART_TMR] = "TMR",
	[X2S_PART_ICR] = "ICR",
	[X2S_PART_APIC_REG] = "APIC-reg",
	[X2S_PART_ARB_PRIO] = "arb-prio",
	[X2S_PART_TIMER] = "timer",
	[X2S_PART_OTHER] = "other",
};

const char *x2s_part_name(enum x2s_part part)
{
	return (unsigned int)part < X2S_NR_PARTS ? part_names[part] : "?";
}

/*
 * Every field after the page, in the order a difference is printed, with
 * the part of the outcome it belongs to.
 */
struct state_field {
	const char *name;
	u16 offset;
	u8 size;
	u8 part;
	bool decimal;
};

#define STATE_FIELD(f, name, part, dec)                          \
	{                                                        \
		name, offsetof(struct x2s_vcpu_state, f),        \
			sizeof(((struct x2s_vcpu_state *)0)->f), \
			X2S_PART_##part, dec                     \
	}
#define REG_FIELD(r, name, part) STATE_FIELD(regs[X2S_REG_##r], name, part, 0)
#define NAMED_FIELD(f, part, dec) STATE_FIELD(f, #f, part, dec)

static const struct state_field state_fields[] = {
	REG_FIELD(RAX, "RAX", GPR),
	REG_FIELD(RCX, "RCX", GPR),
	REG_FIELD(RDX, "RDX", GPR),
	REG_FIELD(RBX, "RBX", GPR),
	REG_FIELD(RSP, "RSP", GPR),
	REG_FIELD(RBP, "RBP", GPR),
	REG_FIELD(RSI, "RSI", GPR),
	REG_FIELD(RDI, "RDI", GPR),
	REG_FIELD(R8, "R8", GPR),
	REG_FIELD(R9, "R9", GPR),
	REG_FIELD(R10, "R10", GPR),
	REG_FIELD(R11, "R11", GPR),
	REG_FIELD(R12, "R12", GPR),
	REG_FIELD(R13, "R13", GPR),
	REG_FIELD(R14, "R14", GPR),
	REG_FIELD(R15, "R15", GPR),
	REG_FIELD(RIP, "RIP", RIP),
	REG_FIELD(RFLAGS, "RFLAGS", RFLAGS),
	REG_FIELD(INTERRUPTIBILITY, "interruptibility", GPR),
	NAMED_FIELD(apic_base, OTHER, false),
	NAMED_FIELD(requests, REQUESTS, false),
	NAMED_FIELD(tsc_deadline, TIMER, false),
	NAMED_FIELD(mp_state, MP_STATE, true),
	NAMED_FIELD(sipi_vector, INIT_SIPI, false),
	NAMED_FIELD(entry_intr_info, INJECTION, false),
	NAMED_FIELD(entry_exception_error_code, INJECTION, false),
	NAMED_FIELD(window_exiting, INJECTION, false),
	NAMED_FIELD(guest_intr_status, INJECTION, false),
	NAMED_FIELD(req_immediate_exit, INJECTION, true),
	NAMED_FIELD(sw_enabled, OTHER, true),
	NAMED_FIELD(init_pending, INIT_SIPI, true),
	NAMED_FIELD(sipi_pending, INIT_SIPI, true),
	NAMED_FIELD(nmi_pending, NMI_SMI, true),
	NAMED_FIELD(smi_pending, NMI_SMI, true),
	NAMED_FIELD(pv_unhalted, NMI_SMI, true),
	NAMED_FIELD(nmi_injected, INJECTION, true),
	NAMED_FIELD(interrupt_injected, INJECTION, true),
	NAMED_FIELD(interrupt_vector, INJECTION, false),
	NAMED_FIELD(exception_pending, EXCEPTION, true),
	NAMED_FIELD(exception_injected, EXCEPTION, true),
	NAMED_FIELD(exception_vector, EXCEPTION, true),
	NAMED_FIELD(exception_has_error_code, EXCEPTION, true),
	NAMED_FIELD(exception_error_code, EXCEPTION, false),
	NAMED_FIELD(run_exit_reason, USERSPACE, true),
	NAMED_FIELD(nested_exit_reason, NESTED, true),
	NAMED_FIELD(nested_exit, NESTED, true),
	NAMED_FIELD(guest_mode, NESTED, true),
	NAMED_FIELD(vmxon, NESTED, true),
	NAMED_FIELD(arb_prio, ARB_PRIO, true),
	NAMED_FIELD(preemption_timer_value, TIMER, false),
	NAMED_FIELD(timer_period_ns, TIMER, true),
	NAMED_FIELD(timer_target_ns, TIMER, true),
	NAMED_FIELD(timer_expires_ns, TIMER, true),
	NAMED_FIELD(expired_tsc_deadline, TIMER, false),
	NAMED_FIELD(hv_deadline_tsc, TIMER, false),
	NAMED_FIELD(timer_queued, TIMER, true),
	NAMED_FIELD(timer_pending, TIMER, true),
	NAMED_FIELD(hv_timer_in_use, TIMER, true),
	NAMED_FIELD(hv_timer_soft_disabled, TIMER, true),
	NAMED_FIELD(hv_timer_parked, TIMER, true),
};

#define NR_STATE_FIELDS (sizeof(state_fields) / sizeof(state_fields[0]))

static u64 field_value(const struct x2s_vcpu_state *st,
		       const struct state_field *f)
{
	u64 v = 0;

	/* Little endian: the low bytes of v. */
	memcpy(&v, (const u8 *)st + f->offset, f->size);
	return v;
}

u32 x2s_state_parts(const struct x2s_vcpu_state *a,
		    const struct x2s_vcpu_state *b)
{
	u32 parts = 0;

	if (!memcmp((const u8 *)a + X2S_STATE_SMALL_OFF,
		    (const u8 *)b + X2S_STATE_SMALL_OFF, X2S_STATE_SMALL_LEN))
		return 0;
	for (size_t i = 0; i < NR_STATE_FIELDS; i++)
		if (field_value(a, &state_fields[i]) !=
		    field_value(b, &state_fields[i]))
			parts |= 1u << state_fields[i].part;
	return parts;
}

struct page_reg {
	u16 offset;
	u16 count; /* consecutive 16-byte slots */
	const char *name;
	u8 part;
};

static const struct page_reg page_regs[] = {
	{ APIC_ID, 1, "APIC_ID", X2S_PART_APIC_REG },
	{ APIC_LVR, 1, "APIC_LVR", X2S_PART_APIC_REG },
	{ APIC_TASKPRI, 1, "TPR", X2S_PART_APIC_REG },
	{ APIC_ARBPRI, 1, "APR", X2S_PART_APIC_REG },
	{ APIC_PROCPRI, 1, "PPR", X2S_PART_APIC_REG },
	{ APIC_EOI, 1, "EOI", X2S_PART_APIC_REG },
	{ APIC_RRR, 1, "RRD", X2S_PART_APIC_REG },
	{ APIC_LDR, 1, "LDR", X2S_PART_APIC_REG },
	{ APIC_DFR, 1, "DFR", X2S_PART_APIC_REG },
	{ APIC_SPIV, 1, "SVR", X2S_PART_APIC_REG },
	{ APIC_ISR, 8, "ISR", X2S_PART_ISR },
	{ APIC_TMR, 8, "TMR", X2S_PART_TMR },
	{ APIC_IRR, 8, "IRR", X2S_PART_IRR },
	{ APIC_ESR, 1, "ESR", X2S_PART_APIC_REG },
	{ APIC_LVTCMCI, 1, "LVT_CMCI", X2S_PART_APIC_REG },
	{ APIC_ICR, 1, "ICR", X2S_PART_ICR },
	{ APIC_ICR2, 1, "ICR2", X2S_PART_ICR },
	{ APIC_LVTT, 1, "LVT_TIMER", X2S_PART_APIC_REG },
	{ APIC_LVTTHMR, 1, "LVT_THERMAL", X2S_PART_APIC_REG },
	{ APIC_LVTPC, 1, "LVT_PMI", X2S_PART_APIC_REG },
	{ APIC_LVT0, 1, "LVT_LINT0", X2S_PART_APIC_REG },
	{ APIC_LVT1, 1, "LVT_LINT1", X2S_PART_APIC_REG },
	{ APIC_LVTERR, 1, "LVT_ERROR", X2S_PART_APIC_REG },
	{ APIC_TMICT, 1, "TMICT", X2S_PART_APIC_REG },
	{ APIC_TMCCT, 1, "TMCCT", X2S_PART_APIC_REG },
	{ APIC_TDCR, 1, "TDCR", X2S_PART_APIC_REG },
	{ APIC_SELF_IPI, 1, "SELF_IPI", X2S_PART_APIC_REG },
};

static const struct page_reg *page_reg_at(unsigned int offset,
					  unsigned int *index)
{
	for (size_t i = 0; i < sizeof(page_regs) / sizeof(page_regs[0]); i++) {
		unsigned int start = page_regs[i].offset;

		if (offset >= start &&
		    offset < start + page_regs[i].count * 16u) {
			*index = (offset - start) / 16;
			return &page_regs[i];
		}
	}
	*index = 0;
	return NULL;
}

/* The part of the page word at off: bytes past the registers are no part. */
static enum x2s_part page_part(unsigned int off)
{
	unsigned int index;
	const struct page_reg *r = page_reg_at(off & ~0xfu, &index);

	if (r)
		return r->part;
	return off <= APIC_SELF_IPI ? X2S_PART_APIC_REG : X2S_PART_OTHER;
}

u32 x2s_page_parts(const u8 *a, const u8 *b, unsigned int off, unsigned int n)
{
	u32 parts = 0;

	for (unsigned int w = 0; w + 4 <= n; w += 4)
		if (memcmp(a + w, b + w, 4))
			parts |= 1u << page_part(off + w);
	return parts;
}

/* Vectors set in one 32-bit word of IRR/ISR/TMR, as "+0x31 -0x40". */
static void print_vector_delta(FILE *out, unsigned int slot, u32 a, u32 b)
{
	for (int bit = 0; bit < 32; bit++) {
		u32 m = 1u << bit;

		if ((a ^ b) & m)
			fprintf(out, " %c0x%02x", (b & m) ? '+' : '-',
				slot * 32 + bit);
	}
}

static unsigned int diff_page(const u8 *a, const u8 *b, unsigned int cpu,
			      FILE *out)
{
	unsigned int n = 0;

	for (unsigned int off = 0; off < X2S_APIC_PAGE_SIZE; off += 4) {
		const struct page_reg *r;
		unsigned int index;
		u32 va, vb;

		memcpy(&va, a + off, 4);
		memcpy(&vb, b + off, 4);
		if (va == vb)
			continue;
		n++;
		if (!out)
			continue;
		r = page_reg_at(off & ~0xfu, &index);
		fprintf(out, "  vcpu%u ", cpu);
		if (r && (off & 0xf) == 0 &&
		    (r->part == X2S_PART_IRR || r->part == X2S_PART_ISR ||
		     r->part == X2S_PART_TMR)) {
			fprintf(out, "%s:", r->name);
			print_vector_delta(out, index, va, vb);
			fputc('\n', out);
			continue;
		}
		if (!r)
			fprintf(out, "page+0x%03x", off);
		else if (off & 0xf)
			fprintf(out, "%s+0x%x", r->name, off & 0xf);
		else
			fprintf(out, "%s", r->name);
		fprintf(out, ": 0x%08x vs 0x%08x\n", va, vb);
	}
	return n;
}

static unsigned int diff_one(const struct x2s_vcpu_state *a,
			     const struct x2s_vcpu_state *b, unsigned int cpu,
			     FILE *out)
{
	unsigned int n = diff_page(a->apic_page, b->apic_page, cpu, out);

	for (size_t i = 0; i < NR_STATE_FIELDS; i++) {
		const struct state_field *f = &state_fields[i];
		u64 va = field_value(a, f), vb = field_value(b, f);

		if (va == vb)
			continue;
		n++;
		if (!out)
			continue;
		fprintf(out,
			f->decimal ? "  vcpu%u %s: %llu vs %llu\n" :
				     "  vcpu%u %s: 0x%llx vs 0x%llx\n",
			cpu, f->name, (unsigned long long)va,
			(unsigned long long)vb);
	}
	return n;
}

unsigned int x2s_state_diff(const struct x2s_vcpu_state *a,
			    const struct x2s_vcpu_state *b, unsigned int n,
			    FILE *out)
{
	unsigned int diffs = 0;

	if (!a || !b)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		diffs += diff_one(&a[i], &b[i], i, out);
	return diffs;
}
