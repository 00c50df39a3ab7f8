// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX exit handling as KVM's vmx.c does it after a VM exit: the fastpath
 * (vmx_exit_handlers_fastpath, here a hook), the re-enter loop of
 * vcpu_enter_guest(), then vmx_handle_exit(): nested reflection,
 * "fastpath handled", unexpected reasons, kvm_vmx_exit_handlers[].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lapic/lapic.h"

#include "vmx/vmx.h"

/* x2sim: the CPUID.1 signature KVM puts in RDX at reset with no CPUID set. */
#define X2S_RESET_RDX 0x600
#define X2S_RESET_RIP 0xfff0

union vmx_exit_reason vmx_get_exit_reason(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->exit_reason;
}

unsigned long vmx_get_exit_qual(struct kvm_vcpu *vcpu)
{
	return vmcs_readl(vcpu, EXIT_QUALIFICATION);
}

int vmx_get_msr_imm_reg(struct kvm_vcpu *vcpu)
{
	return (int)VMX_INSN_INFO_MSR_IMM_REG(
		vmcs_read32(vcpu, VMX_INSTRUCTION_INFO));
}

/* ---- vCPU creation ---- */

static void vmx_vcpu_reset(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	/* kvm_vcpu_reset(init_event = false) for the state the model has. */
	for (int i = 0; i < NR_VCPU_REGS; i++)
		vcpu->arch.regs[i] = 0;
	vcpu->arch.regs[VCPU_REGS_RDX] = X2S_RESET_RDX;
	vcpu->arch.regs[VCPU_REGS_RIP] = X2S_RESET_RIP;
	vcpu->arch.rflags = X86_EFLAGS_FIXED;
	vcpu->arch.interruptibility = 0;
	vcpu->arch.apic_base = APIC_DEFAULT_PHYS_BASE |
			       MSR_IA32_APICBASE_ENABLE |
			       (vcpu->vcpu_id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	/*
	 * x2sim: KVM makes APs UNINITIALIZED when the LAPIC is in-kernel;
	 * the model creates every vCPU runnable and lets the caller choose.
	 */
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	vmx->dr6 = DR6_ACTIVE_LOW;
	vmx->loaded_vmcs = &vmx->vmcs01;
	vmx->hv_deadline_tsc = (u64)-1;
	vcpu->arch.virtual_tsc_khz = X2S_HOST_TSC_KHZ;
	vcpu->arch.maxphyaddr = vcpu->kvm->arch.x2s_maxphyaddr;
	/* kvm_vcpu_reset() of a new vCPU (not INIT). */
	vcpu->arch.pat = MSR_IA32_CR_PAT_DEFAULT;
	vcpu->arch.ia32_misc_enable_msr = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
					  MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
	vcpu->mode = OUTSIDE_GUEST_MODE;

	/* The vmcs01 controls KVM's setup_vmcs_config() ends up with. */
	vmcs_write32(vcpu, PIN_BASED_VM_EXEC_CONTROL,
		     PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			     PIN_BASED_VIRTUAL_NMIS);
	vmcs_write32(vcpu, CPU_BASED_VM_EXEC_CONTROL,
		     CPU_BASED_HLT_EXITING | CPU_BASED_USE_MSR_BITMAPS |
			     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	vmcs_write16(vcpu, POSTED_INTR_NV, POSTED_INTR_VECTOR);
	vmcs_write32(vcpu, GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmx_sync_guest_state(vcpu);
}

struct vcpu_vmx *vmx_vcpu_create(struct kvm *kvm, int vcpu_id,
				 struct x2s_vcpu_mem *m)
{
	struct vcpu_vmx *vmx = &m->vmx;

	memset(m, 0, sizeof(*m));
	vmx->vmcs = &m->vmcs;
	vmx->vcpu.run = &m->run;
	nested_vmx_vcpu_setup(vmx);
	vmx->vcpu.kvm = kvm;
	vmx->vcpu.vcpu_id = vcpu_id;
	/* x2sim: vCPUs are created in order, so index == id. */
	vmx->vcpu.vcpu_idx = vcpu_id;
	vmx_vcpu_reset(vmx);
	return vmx;
}

/* ---- exit handlers ---- */

static int handle_external_interrupt(struct kvm_vcpu *vcpu)
{
	/* The host handled the interrupt already (handle_exit_irqoff). */
	return 1;
}

static int handle_triple_fault(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static void exec_controls_clearbit(struct kvm_vcpu *vcpu, u32 bits)
{
	vmcs_write32(vcpu, CPU_BASED_VM_EXEC_CONTROL,
		     vmcs_read32(vcpu, CPU_BASED_VM_EXEC_CONTROL) & ~bits);
}

static int handle_interrupt_window(struct kvm_vcpu *vcpu)
{
	exec_controls_clearbit(vcpu, CPU_BASED_INTR_WINDOW_EXITING);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 1;
}

static int handle_nmi_window(struct kvm_vcpu *vcpu)
{
	exec_controls_clearbit(vcpu, CPU_BASED_NMI_WINDOW_EXITING);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 1;
}

/*
 * A guest lowered its TPR below the threshold of a pending interrupt
 * (the TPR shadow's trap-like exit, RIP past the MOV): look again.
 */
static int handle_tpr_below_threshold(struct kvm_vcpu *vcpu)
{
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 1;
}

static int handle_halt(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_halt(vcpu);
}

static int handle_rdmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_rdmsr(vcpu);
}

static int handle_wrmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_wrmsr(vcpu);
}

/*
 * x2sim: the guest's CPUID is taken to enumerate MSR_IMM, as an exit with
 * these reasons means the guest executed the instruction.
 */
static int handle_rdmsr_imm(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_rdmsr_imm(vcpu, (u32)vmx_get_exit_qual(vcpu),
				     vmx_get_msr_imm_reg(vcpu));
}

static int handle_wrmsr_imm(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_wrmsr_imm(vcpu, (u32)vmx_get_exit_qual(vcpu),
				     vmx_get_msr_imm_reg(vcpu));
}

static int handle_preemption_timer(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/*
	 * x2sim: KVM's own fastpath takes every L1 preemption-timer exit,
	 * so its handler WARNs outside L2.  The model's slow path is KVM
	 * without the fastpath under test, and reaches here for L1 too; it
	 * does what the handler did before there was a fastpath: a timer
	 * that was soft-disabled, or armed at 0 to force this exit, has no
	 * guest timer behind it.
	 */
	if (!vmx->req_immediate_exit &&
	    !vmx->loaded_vmcs->hv_timer_soft_disabled)
		kvm_lapic_expired_hv_timer(vcpu);
	return 1;
}

static int prepare_emulation_failure_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 0;
	return 0;
}

/*
 * x2sim: KVM emulates the faulting instruction; the model takes the access
 * the emulator would decode from to_vmx(vcpu)->mmio instead: a read lands
 * in RAX, a write stores mmio.data.  Then RIP moves past the instruction
 * by VM_EXIT_INSTRUCTION_LEN, with the same single-step handling as
 * the emulator's completion.
 */
static int x2s_emulate_apic_access(struct kvm_vcpu *vcpu, u32 type, u32 offset)
{
	struct x2s_mmio_access *mmio = &to_vmx(vcpu)->mmio;
	gpa_t gpa;
	u64 val = 0;
	int r;

	if (!mmio->valid || !lapic_in_kernel(vcpu))
		return prepare_emulation_failure_exit(vcpu);
	gpa = vcpu->arch.apic->base_address + offset;
	if (type == TYPE_LINEAR_APIC_INST_WRITE) {
		val = mmio->data;
		r = kvm_lapic_mmio_write(vcpu, gpa, mmio->len, &val);
	} else if (type == TYPE_LINEAR_APIC_INST_READ) {
		r = kvm_lapic_mmio_read(vcpu, gpa, mmio->len, &val);
		if (!r) {
			unsigned long rax = kvm_rax_read(vcpu);

			/* MOV r32 zero-extends; 8- and 16-bit loads merge. */
			if (mmio->len >= 4)
				rax = mmio->len == 4 ? (u32)val : val;
			else if (mmio->len == 2)
				rax = (rax & ~0xffffUL) | (u16)val;
			else
				rax = (rax & ~0xffUL) | (u8)val;
			kvm_rax_write(vcpu, rax);
		}
	} else {
		/* Fetches and event-delivery accesses: nothing to emulate. */
		return prepare_emulation_failure_exit(vcpu);
	}
	if (r == -EOPNOTSUPP) {
		/*
		 * Not the enabled xAPIC page: KVM completes the access in
		 * userspace (x2sim: no MMIO data in kvm_run; RIP stays).
		 */
		vcpu->run->exit_reason = KVM_EXIT_MMIO;
		return 0;
	}
	return kvm_skip_emulated_instruction(vcpu);
}

static int handle_io(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vmx_get_exit_qual(vcpu);

	/*
	 * x2sim: INS/OUTS go through KVM's instruction emulator, which the
	 * model does not have: an emulation failure, as KVM reports one.
	 */
	if (qual & 16)
		return prepare_emulation_failure_exit(vcpu);
	return kvm_fast_pio(vcpu, (int)(qual & 7) + 1,
			    (unsigned short)(qual >> 16), !!(qual & 8));
}

static int handle_apic_access(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vmx_get_exit_qual(vcpu);
	u32 access_type = qual & APIC_ACCESS_TYPE;
	u32 offset = qual & APIC_ACCESS_OFFSET;

	/*
	 * fasteoi (on by default): an EOI write's value does not matter,
	 * so skip the emulator for it.
	 */
	if (access_type == TYPE_LINEAR_APIC_INST_WRITE && offset == APIC_EOI &&
	    lapic_in_kernel(vcpu)) {
		kvm_lapic_reg_write(vcpu->arch.apic, APIC_EOI, 0);
		return kvm_skip_emulated_instruction(vcpu);
	}
	return x2s_emulate_apic_access(vcpu, access_type, offset);
}

/*
 * x2sim: the handlers of the exits the model produces; every other basic
 * reason ends as an unexpected exit (KVM_EXIT_INTERNAL_ERROR), where KVM
 * has a handler that needs state the model does not have.
 */
static int (*const kvm_vmx_exit_handlers[])(struct kvm_vcpu *vcpu) = {
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_CPUID] = kvm_emulate_cpuid,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
	[EXIT_REASON_HLT] = handle_halt,
	[EXIT_REASON_VMCALL] = kvm_emulate_hypercall,
	[EXIT_REASON_INVD] = kvm_emulate_invd,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = handle_tpr_below_threshold,
	[EXIT_REASON_APIC_ACCESS] = handle_apic_access,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_MSR_READ_IMM] = handle_rdmsr_imm,
	[EXIT_REASON_MSR_WRITE_IMM] = handle_wrmsr_imm,
};

static const unsigned int kvm_vmx_max_exit_handlers =
	sizeof(kvm_vmx_exit_handlers) / sizeof(kvm_vmx_exit_handlers[0]);

bool vmx_exit_reason_has_handler(u32 basic)
{
	return basic < kvm_vmx_max_exit_handlers &&
	       kvm_vmx_exit_handlers[basic];
}

void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, u64 exit_reason)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	run->internal.ndata = 2;
	run->internal.data[0] = exit_reason;
	/* x2sim: last_vmentry_cpu; there is no physical CPU. */
	run->internal.data[1] = 0;
}

/* vmx_get_exit_info(), the parts kvm_prepare_event_vectoring_exit() uses. */
static void vmx_get_exit_info(struct kvm_vcpu *vcpu, u32 *reason, u64 *info1,
			      u64 *info2)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	*reason = vmx->exit_reason.full;
	*info1 = vmx_get_exit_qual(vcpu);
	*info2 = vmx->exit_reason.failed_vmentry ? 0 : vmx->idt_vectoring_info;
}

/* An exit during event delivery that KVM cannot resume from. */
void kvm_prepare_event_vectoring_exit(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	struct kvm_run *run = vcpu->run;
	u64 info1, info2;
	u32 reason;
	int ndata = 0;

	vmx_get_exit_info(vcpu, &reason, &info1, &info2);
	run->internal.data[ndata++] = info2;
	run->internal.data[ndata++] = reason;
	run->internal.data[ndata++] = info1;
	run->internal.data[ndata++] = gpa;
	/* x2sim: last_vmentry_cpu; there is no physical CPU. */
	run->internal.data[ndata++] = 0;
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.ndata = (u32)ndata;
}

/*
 * Exits that may come with valid IDT-vectoring information and that KVM
 * still handles: the event is re-injected after them.  Any other exit
 * during event delivery ends in kvm_prepare_event_vectoring_exit().
 */
static bool vmx_exit_may_interrupt_delivery(u16 basic)
{
	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI:
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_PML_FULL:
	case EXIT_REASON_APIC_ACCESS:
	case EXIT_REASON_TASK_SWITCH:
	case EXIT_REASON_NOTIFY:
	case EXIT_REASON_EPT_MISCONFIG:
		return true;
	default:
		return false;
	}
}

static int __vmx_handle_exit(struct kvm_vcpu *vcpu, fastpath_t exit_fastpath)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	union vmx_exit_reason exit_reason = vmx_get_exit_reason(vcpu);
	u32 vectoring_info = vmx->idt_vectoring_info;
	u16 basic = (u16)exit_reason.basic;

	if (is_guest_mode(vcpu)) {
		/* PML is never on for L2: something is badly wrong. */
		if (WARN_ON_ONCE(basic == EXIT_REASON_PML_FULL))
			goto unexpected_vmexit;
		if (nested_vmx_reflect_vmexit(vcpu))
			return 1;
	}

	if (exit_reason.failed_vmentry) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason =
			exit_reason.full;
		vcpu->run->fail_entry.cpu = 0;
		return 0;
	}

	/*
	 * Checked before a handled fastpath is taken for done: whatever the
	 * fastpath did, this exit goes to userspace.
	 */
	if ((vectoring_info & INTR_INFO_VALID_MASK) &&
	    !vmx_exit_may_interrupt_delivery(basic)) {
		kvm_prepare_event_vectoring_exit(vcpu, INVALID_GPA);
		return 0;
	}

	/* 5.6: the caller skips, ignoring the skip's result. */
	if (exit_fastpath == X2S_EXIT_FASTPATH_SKIP_EMUL_INS) {
		kvm_skip_emulated_instruction(vcpu);
		return 1;
	}
	if (exit_fastpath != EXIT_FASTPATH_NONE)
		return 1;

	if (!vmx_exit_reason_has_handler(basic))
		goto unexpected_vmexit;
	return kvm_vmx_exit_handlers[basic](vcpu);

unexpected_vmexit:
	kvm_prepare_unexpected_reason_exit(vcpu, exit_reason.full);
	return 0;
}

/*
 * What the model reads a fastpath's result as.  5.6 and 5.7 had only NONE
 * and SKIP_EMUL_INS, and their vmx_handle_exit() acted on SKIP_EMUL_INS
 * alone: any other value ran the exit handler as if nothing happened.
 */
static fastpath_t x2s_fastpath_result(const struct x2s_fastpath *fp, int r)
{
	if (fp->kvm_version < X2SIM_KVM_VERSION_CODE(5, 8, 0))
		return r == 1 ? X2S_EXIT_FASTPATH_SKIP_EMUL_INS :
				EXIT_FASTPATH_NONE;
	return (fastpath_t)r;
}

/* What vmx_complete_interrupts() overwrites, as the exit found it. */
static void x2s_vmx_save_uncompleted(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx->x2s_uncompleted.exception = vcpu->arch.exception;
	vmx->x2s_uncompleted.exception_vmexit = vcpu->arch.exception_vmexit;
	vmx->x2s_uncompleted.interrupt = vcpu->arch.interrupt;
	vmx->x2s_uncompleted.nmi_injected = vcpu->arch.nmi_injected;
	vmx->x2s_uncompleted.interruptibility = vcpu->arch.interruptibility;
	vmx->x2s_uncompleted.requests = vcpu->requests;
	vmx->x2s_uncompleted.entry_intr_info =
		vmcs_read32(vcpu, VM_ENTRY_INTR_INFO_FIELD);
}

static void x2s_vmx_uncomplete_interrupts(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vcpu->arch.exception = vmx->x2s_uncompleted.exception;
	vcpu->arch.exception_vmexit = vmx->x2s_uncompleted.exception_vmexit;
	vcpu->arch.interrupt = vmx->x2s_uncompleted.interrupt;
	vcpu->arch.nmi_injected = vmx->x2s_uncompleted.nmi_injected;
	vcpu->arch.interruptibility = vmx->x2s_uncompleted.interruptibility;
	vcpu->requests = vmx->x2s_uncompleted.requests;
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD,
		     vmx->x2s_uncompleted.entry_intr_info);
}

/*
 * vmx_vcpu_run()'s tail: a failed VM entry never reaches the fastpath;
 * otherwise it sees every exit and does its own reason and guest-mode
 * checks, as vmx_exit_handlers_fastpath() does -- except a bare
 * set_msr entry, which gets that function's MSR_WRITE gate here.
 */
fastpath_t x2s_vmx_exit_fastpath(struct kvm_vcpu *vcpu,
				 const struct x2s_fastpath *fp)
{
	int r;

	if (!fp || vmx_get_exit_reason(vcpu).failed_vmentry)
		return EXIT_FASTPATH_NONE;
	switch (fp->entry) {
	case X2S_FASTPATH_EXIT_HANDLERS:
		r = fp->exit_handlers(vcpu);
		break;
	case X2S_FASTPATH_EXIT_HANDLERS_FORCE:
		r = fp->exit_handlers_force(vcpu,
					    to_vmx(vcpu)->req_immediate_exit);
		break;
	case X2S_FASTPATH_SET_MSR:
		if (is_guest_mode(vcpu) ||
		    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE)
			return EXIT_FASTPATH_NONE;
		r = fp->set_msr(vcpu);
		break;
	case X2S_FASTPATH_HOOK:
		r = fp->hook(vcpu);
		break;
	case X2S_FASTPATH_BEFORE_COMPLETION:
		/*
		 * x2sim: x2s_vmx_exit_begin() has completed the interrupts
		 * (the slow path never calls this function); put the queues
		 * back as the exit found them, run the fastpath, then
		 * complete them again, in the 2019 order.
		 */
		x2s_vmx_uncomplete_interrupts(vcpu);
		r = fp->before_completion(vcpu);
		vmx_complete_interrupts(vcpu);
		break;
	default:
		return EXIT_FASTPATH_NONE;
	}
	return x2s_fastpath_result(fp, r);
}

static fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu)
{
	return x2s_vmx_exit_fastpath(vcpu, to_kvm_vmx(vcpu->kvm)->fastpath);
}

void vmx_apicv_pre_state_restore(struct kvm_vcpu *vcpu)
{
	struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;

	pi->on = false;
	memset(pi->pir, 0, sizeof(pi->pir));
}

void x2s_vmx_exit_begin(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/*
	 * What the CPU leaves behind at a VM exit (vmx_vcpu_enter_exit()):
	 * a failed VM entry records no IDT-vectoring information.
	 */
	vmx->exit_reason.full = vmcs_read32(vcpu, VM_EXIT_REASON);
	vmx->idt_vectoring_info =
		vmx->exit_reason.failed_vmentry ?
			0 :
			vmcs_read32(vcpu, IDT_VECTORING_INFO_FIELD);
	vmx_sync_guest_state(vcpu);
	/*
	 * vmx_vcpu_run() returns on a failed VM entry before it completes
	 * the interrupts: what was being injected stays queued.
	 */
	if (!vmx->exit_reason.failed_vmentry) {
		x2s_vmx_save_uncompleted(vcpu);
		vmx_complete_interrupts(vcpu);
	}
	/*
	 * vmx->req_immediate_exit stays what the entry asked for: this
	 * exit's force_immediate_exit, until the next entry or a return to
	 * userspace.
	 */

	/*
	 * vcpu_enter_guest(): vcpu->mode stays IN_GUEST_MODE until the loop
	 * is left, so a kick meanwhile (e.g. a self-IPI from the fastpath)
	 * makes kvm_vcpu_exit_request() true.
	 */
	vcpu->mode = IN_GUEST_MODE;
}

int x2s_vmx_exit_finish(struct kvm_vcpu *vcpu, fastpath_t exit_fastpath)
{
	int r;

	if (exit_fastpath == EXIT_FASTPATH_REENTER_GUEST) {
		x2s_sync_pir_to_irr(vcpu);
		if (!kvm_vcpu_exit_request(vcpu)) {
			/*
			 * Straight back into the guest, without the
			 * pre-entry work but the preemption timer, armed
			 * again by vmx_vcpu_run().  x2sim: the next exit is a
			 * new call, so the loop ends here.
			 */
			if (vcpu->kvm->arch.preemption_timer)
				vmx_update_hv_timer(
					vcpu, to_vmx(vcpu)->req_immediate_exit);
			vcpu->mode = OUTSIDE_GUEST_MODE;
			vmx_sync_guest_state(vcpu);
			return 1;
		}
		exit_fastpath = EXIT_FASTPATH_EXIT_HANDLED;
	}
	vcpu->mode = OUTSIDE_GUEST_MODE;

	if (unlikely(exit_fastpath == EXIT_FASTPATH_EXIT_USERSPACE)) {
		to_vmx(vcpu)->req_immediate_exit = false;
		vmx_sync_guest_state(vcpu);
		return 0;
	}

	r = __vmx_handle_exit(vcpu, exit_fastpath);
	if (r <= 0) {
		to_vmx(vcpu)->req_immediate_exit = false;
		vmx_sync_guest_state(vcpu);
		return 0;
	}
	return x2s_vcpu_prepare_entry(vcpu);
}

int x2s_vmx_handle_exit(struct kvm_vcpu *vcpu, fastpath_t *fastpath)
{
	fastpath_t exit_fastpath;

	x2s_vmx_exit_begin(vcpu);
	exit_fastpath = vmx_exit_handlers_fastpath(vcpu);
	*fastpath = exit_fastpath;
	return x2s_vmx_exit_finish(vcpu, exit_fastpath);
}
