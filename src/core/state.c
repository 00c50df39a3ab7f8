// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: per-vCPU state snapshots, restore and a readable comparison.
 *
 * A state holds everything a guest, L1 or userspace could observe after an
 * exit (DESIGN.md "A case and its outcome").  Posted interrupts are
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
	st->tsc_deadline = vmx->tsc_deadline;
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
	u64 reserved = ~0ULL << X2S_GUEST_MAXPHYADDR | 0x2ff;
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
		apic->dirty_lines = ~0ULL;
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
	vmx->tsc_deadline = st->tsc_deadline;
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

static const char *const reg_names[X2S_NR_REGS] = {
	"RAX",
	"RCX",
	"RDX",
	"RBX",
	"RSP",
	"RBP",
	"RSI",
	"RDI",
	"R8",
	"R9",
	"R10",
	"R11",
	"R12",
	"R13",
	"R14",
	"R15",
	"RIP",
	"RFLAGS",
	"interruptibility",
};

struct page_reg {
	u16 offset;
	u16 count; /* consecutive 16-byte slots */
	const char *name;
};

static const struct page_reg page_regs[] = {
	{ APIC_ID, 1, "APIC_ID" },
	{ APIC_LVR, 1, "APIC_LVR" },
	{ APIC_TASKPRI, 1, "TPR" },
	{ APIC_ARBPRI, 1, "APR" },
	{ APIC_PROCPRI, 1, "PPR" },
	{ APIC_EOI, 1, "EOI" },
	{ APIC_RRR, 1, "RRD" },
	{ APIC_LDR, 1, "LDR" },
	{ APIC_DFR, 1, "DFR" },
	{ APIC_SPIV, 1, "SVR" },
	{ APIC_ISR, 8, "ISR" },
	{ APIC_TMR, 8, "TMR" },
	{ APIC_IRR, 8, "IRR" },
	{ APIC_ESR, 1, "ESR" },
	{ APIC_LVTCMCI, 1, "LVT_CMCI" },
	{ APIC_ICR, 1, "ICR" },
	{ APIC_ICR2, 1, "ICR2" },
	{ APIC_LVTT, 1, "LVT_TIMER" },
	{ APIC_LVTTHMR, 1, "LVT_THERMAL" },
	{ APIC_LVTPC, 1, "LVT_PMI" },
	{ APIC_LVT0, 1, "LVT_LINT0" },
	{ APIC_LVT1, 1, "LVT_LINT1" },
	{ APIC_LVTERR, 1, "LVT_ERROR" },
	{ APIC_TMICT, 1, "TMICT" },
	{ APIC_TMCCT, 1, "TMCCT" },
	{ APIC_TDCR, 1, "TDCR" },
	{ APIC_SELF_IPI, 1, "SELF_IPI" },
};

static const char *page_reg_name(unsigned int offset, unsigned int *index)
{
	for (size_t i = 0; i < sizeof(page_regs) / sizeof(page_regs[0]); i++) {
		unsigned int start = page_regs[i].offset;

		if (offset >= start &&
		    offset < start + page_regs[i].count * 16u) {
			*index = (offset - start) / 16;
			return page_regs[i].name;
		}
	}
	*index = 0;
	return NULL;
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
		u32 va, vb;
		unsigned int index;
		const char *name;

		memcpy(&va, a + off, 4);
		memcpy(&vb, b + off, 4);
		if (va == vb)
			continue;
		n++;
		if (!out)
			continue;
		name = page_reg_name(off & ~0xfu, &index);
		fprintf(out, "  vcpu%u ", cpu);
		if (name && (off & 0xf) == 0 &&
		    (!strcmp(name, "IRR") || !strcmp(name, "ISR") ||
		     !strcmp(name, "TMR"))) {
			fprintf(out, "%s:", name);
			print_vector_delta(out, index, va, vb);
			fputc('\n', out);
			continue;
		}
		if (!name)
			fprintf(out, "page+0x%03x", off);
		else if (off & 0xf)
			fprintf(out, "%s+0x%x", name, off & 0xf);
		else
			fprintf(out, "%s", name);
		fprintf(out, ": 0x%08x vs 0x%08x\n", va, vb);
	}
	return n;
}

#define DIFF_FIELD(field, fmt)                                               \
	do {                                                                 \
		if (a->field != b->field) {                                  \
			n++;                                                 \
			if (out)                                             \
				fprintf(out,                                 \
					"  vcpu%u %s: " fmt " vs " fmt "\n", \
					cpu, #field,                         \
					(unsigned long long)a->field,        \
					(unsigned long long)b->field);       \
		}                                                            \
	} while (0)

static unsigned int diff_one(const struct x2s_vcpu_state *a,
			     const struct x2s_vcpu_state *b, unsigned int cpu,
			     FILE *out)
{
	unsigned int n = diff_page(a->apic_page, b->apic_page, cpu, out);

	for (int r = 0; r < X2S_NR_REGS; r++) {
		if (a->regs[r] == b->regs[r])
			continue;
		n++;
		if (out)
			fprintf(out, "  vcpu%u %s: 0x%llx vs 0x%llx\n", cpu,
				reg_names[r], (unsigned long long)a->regs[r],
				(unsigned long long)b->regs[r]);
	}
	DIFF_FIELD(apic_base, "0x%llx");
	DIFF_FIELD(requests, "0x%llx");
	DIFF_FIELD(tsc_deadline, "0x%llx");
	DIFF_FIELD(mp_state, "%llu");
	DIFF_FIELD(sipi_vector, "0x%llx");
	DIFF_FIELD(entry_intr_info, "0x%llx");
	DIFF_FIELD(entry_exception_error_code, "0x%llx");
	DIFF_FIELD(window_exiting, "0x%llx");
	DIFF_FIELD(guest_intr_status, "0x%llx");
	DIFF_FIELD(req_immediate_exit, "%llu");
	DIFF_FIELD(sw_enabled, "%llu");
	DIFF_FIELD(init_pending, "%llu");
	DIFF_FIELD(sipi_pending, "%llu");
	DIFF_FIELD(nmi_pending, "%llu");
	DIFF_FIELD(smi_pending, "%llu");
	DIFF_FIELD(pv_unhalted, "%llu");
	DIFF_FIELD(nmi_injected, "%llu");
	DIFF_FIELD(interrupt_injected, "%llu");
	DIFF_FIELD(interrupt_vector, "0x%llx");
	DIFF_FIELD(exception_pending, "%llu");
	DIFF_FIELD(exception_injected, "%llu");
	DIFF_FIELD(exception_vector, "%llu");
	DIFF_FIELD(exception_has_error_code, "%llu");
	DIFF_FIELD(exception_error_code, "0x%llx");
	DIFF_FIELD(run_exit_reason, "%llu");
	DIFF_FIELD(nested_exit_reason, "%llu");
	DIFF_FIELD(nested_exit, "%llu");
	DIFF_FIELD(guest_mode, "%llu");
	DIFF_FIELD(vmxon, "%llu");
	DIFF_FIELD(arb_prio, "%llu");
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
