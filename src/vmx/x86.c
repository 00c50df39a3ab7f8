// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic x86 half of KVM's run loop, as arch/x86/kvm/x86.c has it:
 * MSR emulation for the MSRs the model has, instruction skip with
 * single-step, exception queueing, and the pre-entry work of vcpu_run() /
 * vcpu_enter_guest() (requests, INIT/SIPI, event injection, PIR sync).
 *
 * Register state: vcpu->arch (regs[], rflags, interruptibility) is the
 * authoritative copy, as the public API reads and writes it.  KVM reads
 * RIP/RFLAGS/interruptibility from the VMCS through a register cache; the
 * model mirrors arch into GUEST_RIP, GUEST_RFLAGS (raw, with a forced TF
 * while single-stepping) and GUEST_INTERRUPTIBILITY_INFO whenever an exit
 * starts and whenever the vCPU is entered (vmx_sync_guest_state()).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

/* Exception classes and types (x86.c) */
#define EXCPT_BENIGN 0
#define EXCPT_CONTRIBUTORY 1
#define EXCPT_PF 2

#define EXCPT_FAULT 0
#define EXCPT_TRAP 1
#define EXCPT_ABORT 2
#define EXCPT_INTERRUPT 3

#define OF_VECTOR 4
#define TS_VECTOR 10
#define NP_VECTOR 11
#define SS_VECTOR 12
#define MC_VECTOR 18

/* Bit 12 of a #DB payload (enabled breakpoint) is reserved in DR6. */
#define DR6_PAYLOAD_BIT12 (1UL << 12)

/* x2sim: how often vcpu_enter_guest may cancel an entry before we give up. */
#define X2S_MAX_ENTRY_RETRIES 8

/* ---- RFLAGS ---- */

unsigned long vmx_get_rflags(struct kvm_vcpu *vcpu)
{
	unsigned long rflags = vcpu->arch.rflags;

	/*
	 * __kvm_set_rflags() forces TF into the hardware RFLAGS while
	 * userspace single-steps.  x2sim: KVM does so only at the RIP
	 * recorded by KVM_SET_GUEST_DEBUG; the model forces it always.
	 */
	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags |= X86_EFLAGS_TF;
	return rflags;
}

unsigned long kvm_get_rflags(struct kvm_vcpu *vcpu)
{
	unsigned long rflags = vmx_get_rflags(vcpu);

	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags &= ~X86_EFLAGS_TF;
	return rflags;
}

static void __kvm_set_rflags(struct kvm_vcpu *vcpu, unsigned long rflags)
{
	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags &= ~X86_EFLAGS_TF;
	vcpu->arch.rflags = rflags;
}

void kvm_set_rflags(struct kvm_vcpu *vcpu, unsigned long rflags)
{
	__kvm_set_rflags(vcpu, rflags);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

void vmx_sync_guest_state(struct kvm_vcpu *vcpu)
{
	vmcs_writel(vcpu, GUEST_RIP, kvm_rip_read(vcpu));
	vmcs_writel(vcpu, GUEST_RFLAGS, vmx_get_rflags(vcpu));
	vmcs_write32(vcpu, GUEST_INTERRUPTIBILITY_INFO,
		     vcpu->arch.interruptibility);
}

static u32 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.interruptibility &
	       (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

static void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 mask)
{
	vcpu->arch.interruptibility &=
		~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	vcpu->arch.interruptibility |=
		mask & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

/* ---- exceptions ---- */

static int exception_class(int vector)
{
	switch (vector) {
	case PF_VECTOR:
		return EXCPT_PF;
	case DE_VECTOR:
	case TS_VECTOR:
	case NP_VECTOR:
	case SS_VECTOR:
	case GP_VECTOR:
		return EXCPT_CONTRIBUTORY;
	default:
		return EXCPT_BENIGN;
	}
}

static int exception_type(int vector)
{
	unsigned int mask;

	if (WARN_ON(vector > 31 || vector == NMI_VECTOR))
		return EXCPT_INTERRUPT;
	mask = 1u << vector;
	/* Instruction breakpoints never get here, so every #DB is a trap. */
	if (mask & ((1u << DB_VECTOR) | (1u << BP_VECTOR) | (1u << OF_VECTOR)))
		return EXCPT_TRAP;
	if (mask & ((1u << DF_VECTOR) | (1u << MC_VECTOR)))
		return EXCPT_ABORT;
	return EXCPT_FAULT;
}

static bool kvm_exception_is_soft(unsigned int nr)
{
	return nr == BP_VECTOR || nr == OF_VECTOR;
}

/*
 * A #DB payload uses the polarity of the VMCS "pending debug exceptions"
 * field: the DR6 bits that are active low in DR6 are active high in the
 * payload, so they are flipped on the way in.
 */
static void kvm_deliver_exception_payload(struct kvm_vcpu *vcpu,
					  struct kvm_queued_exception *ex)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!ex->has_payload)
		return;
	if (ex->vector == DB_VECTOR) {
		vmx->dr6 &= ~DR_TRAP_BITS;
		vmx->dr6 |= DR6_ACTIVE_LOW;
		vmx->dr6 |= ex->payload;
		vmx->dr6 ^= ex->payload & DR6_ACTIVE_LOW;
		vmx->dr6 &= ~DR6_PAYLOAD_BIT12;
	}
	/* x2sim: #PF payloads (CR2) cannot occur in the model. */
	ex->has_payload = false;
	ex->payload = 0;
}

static void kvm_multiple_exception(struct kvm_vcpu *vcpu, unsigned int nr,
				   bool has_error, u32 error_code,
				   bool has_payload, unsigned long payload)
{
	struct kvm_queued_exception *ex = &vcpu->arch.exception;
	int class1, class2;

	kvm_make_request(KVM_REQ_EVENT, vcpu);

	/*
	 * x2sim: KVM first asks whether L1 intercepts the exception (vmcs12
	 * exception bitmap) and turns it into a nested VM exit; the model's
	 * L1 has no exception bitmap, so L2's exceptions stay with L2.
	 */
	if (!ex->pending && !ex->injected)
		goto queue;

	if (ex->vector == DF_VECTOR) {
		/* An exception while delivering #DF: shutdown. */
		kvm_make_request(KVM_REQ_TRIPLE_FAULT, vcpu);
		return;
	}
	class1 = exception_class(ex->vector);
	class2 = exception_class((int)nr);
	if ((class1 == EXCPT_CONTRIBUTORY && class2 == EXCPT_CONTRIBUTORY) ||
	    (class1 == EXCPT_PF && class2 != EXCPT_BENIGN)) {
		/* Double fault; the first exception is dropped, not delivered. */
		ex->pending = false;
		ex->injected = false;
		kvm_multiple_exception(vcpu, DF_VECTOR, true, 0, false, 0);
		return;
	}
	/*
	 * Benign combinations: the new exception replaces the old one, which
	 * re-executing the instruction will raise again if it still applies.
	 */
queue:
	ex->pending = true;
	ex->injected = false;
	ex->has_error_code = has_error;
	ex->vector = (u8)nr;
	ex->error_code = error_code;
	ex->has_payload = has_payload;
	ex->payload = payload;
	/* L1's payload lands at once; L2's waits in case L1 intercepts. */
	if (!is_guest_mode(vcpu))
		kvm_deliver_exception_payload(vcpu, ex);
}

void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned int nr)
{
	kvm_multiple_exception(vcpu, nr, false, 0, false, 0);
}

void kvm_queue_exception_e(struct kvm_vcpu *vcpu, unsigned int nr,
			   u32 error_code)
{
	kvm_multiple_exception(vcpu, nr, true, error_code, false, 0);
}

void kvm_queue_exception_p(struct kvm_vcpu *vcpu, unsigned int nr,
			   unsigned long payload)
{
	kvm_multiple_exception(vcpu, nr, false, 0, true, payload);
}

void kvm_inject_gp(struct kvm_vcpu *vcpu, u32 error_code)
{
	kvm_queue_exception_e(vcpu, GP_VECTOR, error_code);
}

static int kvm_complete_insn_gp(struct kvm_vcpu *vcpu, int err)
{
	if (err) {
		kvm_inject_gp(vcpu, 0);
		return 1;
	}
	return kvm_skip_emulated_instruction(vcpu);
}

/* ---- instruction skip ---- */

static int kvm_vcpu_do_singlestep(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP) {
		run->debug.arch.dr6 = DR6_BS | DR6_ACTIVE_LOW;
		/* x2sim: flat segments, the linear RIP is RIP. */
		run->debug.arch.pc = kvm_rip_read(vcpu);
		run->debug.arch.exception = DB_VECTOR;
		run->exit_reason = KVM_EXIT_DEBUG;
		return 0;
	}
	kvm_queue_exception_p(vcpu, DB_VECTOR, DR6_BS);
	return 1;
}

/* vmx.c's skip_emulated_instruction(): RIP += exit instruction length. */
static int vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	u32 len = vmcs_read32(vcpu, VM_EXIT_INSTRUCTION_LEN);

	/*
	 * x2sim: the guest is in 64-bit mode, so there is no 32-bit RIP
	 * wrap; and no EPT misconfig exit (where KVM emulates instead of
	 * trusting the length) reaches a skip.
	 */
	kvm_rip_write(vcpu, kvm_rip_read(vcpu) + len);
	/* Completing an instruction ends any STI / MOV SS shadow. */
	vmx_set_interrupt_shadow(vcpu, 0);
	return 1;
}

int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	/* The raw flags before the skip, i.e. TF as the instruction saw it. */
	unsigned long rflags = vmx_get_rflags(vcpu);
	int r;

	r = vmx_skip_emulated_instruction(vcpu);
	if (unlikely(!r))
		return 0;
	/*
	 * A TF that the instruction itself set does not trap after it, which
	 * is why the old value counts.
	 */
	if (unlikely(rflags & X86_EFLAGS_TF))
		r = kvm_vcpu_do_singlestep(vcpu);
	return r;
}

/* ---- MSRs ---- */

/*
 * IA32_EFER as KVM's set_efer() takes it: a reserved bit is a #GP (the
 * x2sim CPUID always has SYSCALL, NX and LM, so SCE, NXE and LME are
 * valid), LMA belongs to the CPU and keeps its current value.
 * x2sim: the model does not see CR0, so KVM's #GP for toggling LME while
 * paging is on is not modelled.
 */
static int set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	if (efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return 1;
	vcpu->arch.efer = (efer & ~EFER_LMA) | (vcpu->arch.efer & EFER_LMA);
	return 0;
}

/* kvm_pat_valid(): each byte a memory type, 0, 1, 4, 5, 6 or 7. */
static bool pat_valid(u64 data)
{
	if (data & 0xf8f8f8f8f8f8f8f8ULL)
		return false;
	return (data | ((data & 0x0202020202020202ULL) << 1)) == data;
}

/*
 * __kvm_set_msr()'s check for the base and SYSCALL-target MSRs: canonical
 * for the host's virtual-address width.  x2sim: a host without 5-level
 * paging, 48 bits.
 */
static bool noncanonical_msr_address(u64 la)
{
	return (u64)((s64)(la << 16) >> 16) != la;
}

/* The guest TSC reads data now: KVM's L1 offset from the host TSC. */
static void set_guest_tsc(struct kvm_vcpu *vcpu, u64 data)
{
	u64 adj = data - kvm_read_l1_tsc(vcpu, x2s_rdtsc(vcpu->kvm));

	vcpu->arch.l1_tsc_offset += adj;
}

/*
 * x2sim: the MSRs of the APIC model, IA32_EFER, and what a boot writes
 * besides: the TSC, MISC_ENABLE and PAT (kvm_set_msr_common()), FS_BASE,
 * GS_BASE, KERNEL_GS_BASE (vmx_set_msr(), 64-bit hosts) and STAR, LSTAR,
 * CSTAR, SYSCALL_MASK (the user-return MSRs of vmx_set_msr()), with
 * __kvm_set_msr()'s canonical-address check.  Every other index is an MSR
 * KVM does not know in this model, KVM_MSR_RET_UNSUPPORTED, which is a
 * #GP with ignore_msrs off (the default); userspace MSR exits
 * (KVM_CAP_X86_USER_SPACE_MSR) and MSR filters are not modelled.
 */
int kvm_set_msr_common(struct kvm_vcpu *vcpu, u32 msr, u64 data,
		       bool host_initiated)
{
	u64 old;

	switch (msr) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_CSTAR:
	case MSR_LSTAR:
		if (noncanonical_msr_address(data))
			return 1;
		break;
	default:
		break;
	}
	switch (msr) {
	case MSR_FS_BASE:
		vcpu->arch.x2s_fs_base = data;
		return 0;
	case MSR_GS_BASE:
		vcpu->arch.x2s_gs_base = data;
		return 0;
	case MSR_KERNEL_GS_BASE:
		vcpu->arch.x2s_kernel_gs_base = data;
		return 0;
	case MSR_STAR:
		vcpu->arch.x2s_star = data;
		return 0;
	case MSR_LSTAR:
		vcpu->arch.x2s_lstar = data;
		return 0;
	case MSR_CSTAR:
		vcpu->arch.x2s_cstar = data;
		return 0;
	case MSR_SYSCALL_MASK:
		vcpu->arch.x2s_syscall_mask = data;
		return 0;
	case MSR_IA32_TSC:
		/*
		 * x2sim: a host-initiated write (kvm_synchronize_tsc() in
		 * KVM, with its TSC matching across vCPUs) sets the offset
		 * the way a guest's does.
		 */
		set_guest_tsc(vcpu, data);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		old = vcpu->arch.ia32_misc_enable_msr;
		if (!host_initiated) {
			/* PEBS and BTS unavailable are read-only. */
			if ((old ^ data) & MSR_IA32_MISC_ENABLE_PMU_RO_MASK)
				return 1;
			/* EMON: writes are ignored, without a fault. */
			data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
			       (old & MSR_IA32_MISC_ENABLE_EMON);
		}
		/*
		 * KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT is on (quirks are by
		 * default), so the MWAIT bit does not touch CPUID.
		 */
		vcpu->arch.ia32_misc_enable_msr = data;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return 1;
		vcpu->arch.pat = data;
		return 0;
	case MSR_EFER:
		return set_efer(vcpu, data);
	case MSR_IA32_APICBASE:
		return kvm_apic_set_base(vcpu, data, host_initiated);
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return kvm_x2apic_msr_write(vcpu, msr, data);
	case MSR_IA32_TSC_DEADLINE:
		kvm_set_lapic_tscdeadline_msr(vcpu, data);
		return 0;
	default:
		return 1;
	}
}

int kvm_get_msr_common(struct kvm_vcpu *vcpu, u32 msr, u64 *data,
		       bool host_initiated)
{
	switch (msr) {
	case MSR_FS_BASE:
		*data = vcpu->arch.x2s_fs_base;
		return 0;
	case MSR_GS_BASE:
		*data = vcpu->arch.x2s_gs_base;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = vcpu->arch.x2s_kernel_gs_base;
		return 0;
	case MSR_STAR:
		*data = vcpu->arch.x2s_star;
		return 0;
	case MSR_LSTAR:
		*data = vcpu->arch.x2s_lstar;
		return 0;
	case MSR_CSTAR:
		*data = vcpu->arch.x2s_cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vcpu->arch.x2s_syscall_mask;
		return 0;
	case MSR_IA32_TSC:
		/*
		 * The L1 TSC either way: x2sim's offset is L1's (a nested
		 * guest's own offset is not modelled).
		 */
		*data = kvm_read_l1_tsc(vcpu, x2s_rdtsc(vcpu->kvm));
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->arch.ia32_misc_enable_msr;
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vcpu->arch.pat;
		return 0;
	case MSR_EFER:
		*data = vcpu->arch.efer;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->arch.apic_base;
		return 0;
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return kvm_x2apic_msr_read(vcpu, msr, data);
	case MSR_IA32_TSC_DEADLINE:
		*data = kvm_get_lapic_tscdeadline_msr(vcpu);
		return 0;
	default:
		return 1;
	}
}

static int __kvm_emulate_wrmsr(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	int r = kvm_set_msr_common(vcpu, msr, data, false);

	if (!r)
		x2s_trace_msr_write(msr, data);
	else
		trace_kvm_msr_write_ex(msr, data);
	return kvm_complete_insn_gp(vcpu, r);
}

/* reg < 0: the result goes to EDX:EAX (RDMSR), else to that GPR. */
static int __kvm_emulate_rdmsr(struct kvm_vcpu *vcpu, u32 msr, int reg)
{
	u64 data = 0;
	int r = kvm_get_msr_common(vcpu, msr, &data, false);

	if (!r) {
		trace_kvm_msr_read(msr, data);
		if (reg < 0) {
			kvm_rax_write(vcpu, data & 0xffffffffu);
			kvm_rdx_write(vcpu, (data >> 32) & 0xffffffffu);
		} else {
			kvm_register_write_raw(vcpu, reg, data);
		}
	} else {
		trace_kvm_msr_read_ex(msr);
	}
	return kvm_complete_insn_gp(vcpu, r);
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	return __kvm_emulate_wrmsr(vcpu, (u32)kvm_rcx_read(vcpu),
				   kvm_read_edx_eax(vcpu));
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	return __kvm_emulate_rdmsr(vcpu, (u32)kvm_rcx_read(vcpu), -1);
}

int kvm_emulate_wrmsr_imm(struct kvm_vcpu *vcpu, u32 msr, int reg)
{
	return __kvm_emulate_wrmsr(vcpu, msr, kvm_register_read_raw(vcpu, reg));
}

int kvm_emulate_rdmsr_imm(struct kvm_vcpu *vcpu, u32 msr, int reg)
{
	return __kvm_emulate_rdmsr(vcpu, msr, reg);
}

/* ---- event state ---- */

static bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.interruptibility & GUEST_INTR_STATE_NMI;
}

/*
 * x2sim: the model's L1 sets neither NMI exiting nor external-interrupt
 * exiting for L2, so events for a vCPU in L2 are injected into L2 (KVM
 * would synthesize a nested VM exit when vmcs12 asks for one).
 */
static bool vmx_nmi_blocked(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.interruptibility &
	       (GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_STI |
		GUEST_INTR_STATE_NMI);
}

static bool vmx_interrupt_blocked(struct kvm_vcpu *vcpu)
{
	return !(vmx_get_rflags(vcpu) & X86_EFLAGS_IF) ||
	       vmx_get_interrupt_shadow(vcpu);
}

static int vmx_nmi_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	return !vmx_nmi_blocked(vcpu);
}

static int vmx_interrupt_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	return !vmx_interrupt_blocked(vcpu);
}

static void exec_controls_setbit(struct kvm_vcpu *vcpu, u32 bits)
{
	vmcs_write32(vcpu, CPU_BASED_VM_EXEC_CONTROL,
		     vmcs_read32(vcpu, CPU_BASED_VM_EXEC_CONTROL) | bits);
}

static void vmx_enable_irq_window(struct kvm_vcpu *vcpu)
{
	exec_controls_setbit(vcpu, CPU_BASED_INTR_WINDOW_EXITING);
}

static void vmx_enable_nmi_window(struct kvm_vcpu *vcpu)
{
	/*
	 * VM entry fails if NMI-window exiting is set while STI blocking is
	 * (SDM 27.3.1.5), so wait for the interrupt window first.
	 */
	if (vcpu->arch.interruptibility & GUEST_INTR_STATE_STI) {
		vmx_enable_irq_window(vcpu);
		return;
	}
	exec_controls_setbit(vcpu, CPU_BASED_NMI_WINDOW_EXITING);
}

static void vmx_inject_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_queued_exception *ex = &vcpu->arch.exception;
	u32 intr_info = ex->vector | INTR_INFO_VALID_MASK;

	kvm_deliver_exception_payload(vcpu, ex);
	if (ex->has_error_code) {
		/* VMX refuses error codes with bits 31:16 set; KVM drops them. */
		vmcs_write32(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE,
			     (u16)ex->error_code);
		intr_info |= INTR_INFO_DELIVER_CODE_MASK;
	}
	/*
	 * x2sim: soft exceptions (#BP, #OF) would need the event instruction
	 * length; no exit of the model raises one.
	 */
	if (kvm_exception_is_soft(ex->vector))
		intr_info |= INTR_TYPE_SOFT_EXCEPTION;
	else
		intr_info |= INTR_TYPE_HARD_EXCEPTION;
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD, intr_info);
}

static void vmx_inject_nmi(struct kvm_vcpu *vcpu)
{
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD,
		     INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK | NMI_VECTOR);
}

static void vmx_inject_irq(struct kvm_vcpu *vcpu)
{
	u32 intr = vcpu->arch.interrupt.nr | INTR_INFO_VALID_MASK;

	intr |= vcpu->arch.interrupt.soft ? INTR_TYPE_SOFT_INTR :
					    INTR_TYPE_EXT_INTR;
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD, intr);
}

static void kvm_queue_interrupt(struct kvm_vcpu *vcpu, u8 vector, bool soft)
{
	vcpu->arch.interrupt.injected = true;
	vcpu->arch.interrupt.soft = soft;
	vcpu->arch.interrupt.nr = vector;
}

/*
 * __vmx_complete_interrupts(): whatever was being injected is dropped
 * from the queues, then an event whose delivery did not complete
 * (IDT-vectoring info on an exit, or the entry info of a cancelled entry)
 * is queued again as "injected", to be re-injected first.
 */
static void __vmx_complete_interrupts(struct kvm_vcpu *vcpu, u32 idt_info,
				      u32 error_code)
{
	u8 vector = idt_info & INTR_INFO_VECTOR_MASK;
	struct kvm_queued_exception *ex = &vcpu->arch.exception;

	/* kvm_clear_exception_queue() and kvm_clear_interrupt_queue(). */
	vcpu->arch.nmi_injected = false;
	ex->pending = false;
	ex->injected = false;
	vcpu->arch.exception_vmexit.pending = false;
	vcpu->arch.interrupt.injected = false;

	if (!(idt_info & INTR_INFO_VALID_MASK))
		return;
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	switch (idt_info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_NMI_INTR:
		vcpu->arch.nmi_injected = true;
		/* Delivery of the NMI did not happen, so it is not blocked. */
		vcpu->arch.interruptibility &= ~GUEST_INTR_STATE_NMI;
		break;
	case INTR_TYPE_SOFT_EXCEPTION:
	case INTR_TYPE_HARD_EXCEPTION:
		/* kvm_requeue_exception(); no error code is stored as 0. */
		ex->pending = false;
		ex->injected = true;
		ex->vector = vector;
		ex->has_error_code = idt_info & INTR_INFO_DELIVER_CODE_MASK;
		ex->error_code = ex->has_error_code ? error_code : 0;
		ex->has_payload = false;
		ex->payload = 0;
		break;
	case INTR_TYPE_SOFT_INTR:
	case INTR_TYPE_EXT_INTR:
		kvm_queue_interrupt(vcpu, vector,
				    (idt_info & INTR_INFO_INTR_TYPE_MASK) ==
					    INTR_TYPE_SOFT_INTR);
		break;
	default:
		/*
		 * A privileged software exception (INT1) whose delivery was
		 * cut short is not queued again: KVM has no case for it.
		 */
		break;
	}
}

/* At a VM exit: the entry's injection happened unless IDT-vectoring says not. */
void vmx_complete_interrupts(struct kvm_vcpu *vcpu)
{
	u32 entry = vmcs_read32(vcpu, VM_ENTRY_INTR_INFO_FIELD);

	/*
	 * Every VM exit clears the valid bit of the entry field (SDM 28.2);
	 * a failed VM entry does not (SDM 27.8), and never gets here.
	 */
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD,
		     entry & ~INTR_INFO_VALID_MASK);
	__vmx_complete_interrupts(vcpu, to_vmx(vcpu)->idt_vectoring_info,
				  vmcs_read32(vcpu, IDT_VECTORING_ERROR_CODE));
}

static void vmx_cancel_injection(struct kvm_vcpu *vcpu)
{
	__vmx_complete_interrupts(
		vcpu, vmcs_read32(vcpu, VM_ENTRY_INTR_INFO_FIELD),
		vmcs_read32(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE));
	vmcs_write32(vcpu, VM_ENTRY_INTR_INFO_FIELD, 0);
}

static void process_nmi(struct kvm_vcpu *vcpu)
{
	unsigned int limit;

	/*
	 * x86 holds one NMI pending, but two may arrive before KVM reacts;
	 * keep two while one can be injected at once (the other then waits
	 * for an NMI window), else one.
	 * x2sim: deliveries count into nmi_pending directly (no nmi_queued)
	 * and there are no virtual NMIs (vNMI is AMD's).
	 */
	if (vmx_get_nmi_mask(vcpu) || vcpu->arch.nmi_injected)
		limit = 1;
	else
		limit = 2;
	if (vcpu->arch.nmi_pending > limit)
		vcpu->arch.nmi_pending = limit;
	if (vcpu->arch.nmi_pending)
		kvm_make_request(KVM_REQ_EVENT, vcpu);
}

static void process_smi(struct kvm_vcpu *vcpu)
{
	vcpu->arch.smi_pending = true;
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

static bool kvm_is_exception_pending(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.exception.pending;
}

/* No ExtINT source (no PIC) in the model, so only the LAPIC counts. */
static bool kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return false;
	return kvm_apic_has_interrupt(vcpu) != -1;
}

static bool kvm_vcpu_apicv_active(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && vcpu->arch.apic->apicv_active;
}

static bool kvm_cpu_has_injectable_intr(struct kvm_vcpu *vcpu)
{
	/* With APICv, L1's interrupts go through RVI, not injection. */
	if (!is_guest_mode(vcpu) && kvm_vcpu_apicv_active(vcpu))
		return false;
	return kvm_cpu_has_interrupt(vcpu);
}

static void vmx_set_rvi(struct kvm_vcpu *vcpu, int vector)
{
	u16 status = (u16)vmcs_read16(vcpu, GUEST_INTR_STATUS);
	u8 rvi = vector < 0 ? 0 : (u8)vector;

	if ((status & 0xff) != rvi)
		vmcs_write16(vcpu, GUEST_INTR_STATUS, (status & 0xff00) | rvi);
}

int vmx_sync_pir_to_irr(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool got_posted_interrupt = false;
	int max_irr;

	if (vmx->pi_desc.on) {
		vmx->pi_desc.on = false;
		got_posted_interrupt =
			kvm_apic_update_irr(vcpu, vmx->pi_desc.pir, &max_irr);
	} else {
		max_irr = kvm_lapic_find_highest_irr(vcpu);
	}
	/*
	 * L1 with APICv gets new interrupts through virtual interrupt
	 * delivery (RVI).  L2, or a vCPU whose APICv is off while others
	 * still post, needs KVM_REQ_EVENT and ordinary injection.
	 */
	if (!is_guest_mode(vcpu) && kvm_vcpu_apicv_active(vcpu))
		vmx_set_rvi(vcpu, max_irr);
	else if (got_posted_interrupt)
		kvm_make_request(KVM_REQ_EVENT, vcpu);
	return max_irr;
}

/* The sync_pir_to_irr hook exists only when KVM runs with APICv. */
void x2s_sync_pir_to_irr(struct kvm_vcpu *vcpu)
{
	if (!kvm_lapic_enabled(vcpu))
		return;
	if (vcpu->kvm->arch.apicv_enabled || kvm_vcpu_apicv_active(vcpu))
		vmx_sync_pir_to_irr(vcpu);
}

/* ---- run state ---- */

int kvm_check_nested_events(struct kvm_vcpu *vcpu)
{
	if (kvm_check_request(KVM_REQ_TRIPLE_FAULT, vcpu)) {
		/* nested_vmx_triple_fault() */
		nested_vmx_vmexit(vcpu, EXIT_REASON_TRIPLE_FAULT, 0, 0);
		return 1;
	}
	return vmx_check_nested_events(vcpu);
}

static bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE;
}

static void kvm_set_mp_state(struct kvm_vcpu *vcpu, u32 mp_state)
{
	vcpu->arch.mp_state = mp_state;
	if (mp_state == KVM_MP_STATE_RUNNABLE)
		vcpu->arch.pv.pv_unhalted = false;
}

/*
 * x2sim: no SMM, so SMIs are always "allowed".  INIT and SIPI wake the
 * vCPU only when it can act on them: not in VMX root operation, where
 * INIT stays latched (in L2 they wake it, for the INIT_SIGNAL exit).
 */
bool kvm_vcpu_has_events(struct kvm_vcpu *vcpu)
{
	if (kvm_apic_has_pending_init_or_sipi(vcpu) &&
	    kvm_apic_init_sipi_allowed(vcpu))
		return true;
	if (kvm_is_exception_pending(vcpu))
		return true;
	if (kvm_test_request(KVM_REQ_NMI, vcpu) ||
	    (vcpu->arch.nmi_pending && vmx_nmi_allowed(vcpu, false)))
		return true;
	if (kvm_test_request(KVM_REQ_SMI, vcpu) || vcpu->arch.smi_pending)
		return true;
	if (vmx_interrupt_allowed(vcpu, false)) {
		/* The posted interrupts count: kvm_apic_has_interrupt syncs. */
		if (kvm_vcpu_apicv_active(vcpu) && kvm_lapic_enabled(vcpu))
			vmx_sync_pir_to_irr(vcpu);
		if (kvm_cpu_has_interrupt(vcpu))
			return true;
	}
	return false;
}

bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return kvm_vcpu_running(vcpu) || vcpu->arch.pv.pv_unhalted ||
	       kvm_vcpu_has_events(vcpu);
}

int kvm_emulate_as_nop(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu);
}

/* INVD is treated as a NOP and skipped. */
int kvm_emulate_invd(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_as_nop(vcpu);
}

/* ---- hypercalls ---- */

/* Hypercall results and numbers (KVM's uapi kvm_para.h). */
#define KVM_ENOSYS 1000
#define KVM_EOPNOTSUPP 95
#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_HC_KICK_CPU 5
#define KVM_HC_CLOCK_PAIRING 9
#define KVM_HC_SEND_IPI 10
#define KVM_HC_SCHED_YIELD 11
#define KVM_HC_MAP_GPA_RANGE 12

/*
 * x2sim: 64-bit mode is EFER.LMA (the runner keeps it in step with the
 * CPU); a compatibility-mode code segment is not told apart.
 */
static bool is_64_bit_hypercall(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.efer & EFER_LMA;
}

/*
 * __kvm_emulate_hypercall() for the VM x2sim builds: no Xen or Hyper-V
 * hypercall page, CPUID 0x40000001 has no paravirtual feature (so
 * KICK_CPU, SEND_IPI and SCHED_YIELD are unknown), no hypercall exits to
 * userspace are enabled (MAP_GPA_RANGE), and the host has no wall clock
 * paired with its TSC (CLOCK_PAIRING fails as KVM's
 * kvm_get_walltime_and_clockread() does without a TSC clocksource).
 */
static unsigned long emulate_hypercall(unsigned long nr, int op_64_bit, int cpl)
{
	if (!op_64_bit)
		nr &= 0xffffffffu;
	if (cpl)
		return -(unsigned long)EPERM;
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		return 0;
	case KVM_HC_CLOCK_PAIRING: /* a 64-bit host's, in either mode */
		return -(unsigned long)KVM_EOPNOTSUPP;
	case KVM_HC_KICK_CPU:
	case KVM_HC_SEND_IPI:
	case KVM_HC_SCHED_YIELD:
	case KVM_HC_MAP_GPA_RANGE:
	default:
		return -(unsigned long)KVM_ENOSYS;
	}
}

/*
 * VMCALL: the result in RAX (truncated to 32 bits outside 64-bit mode),
 * then past the instruction.  x2sim: guests run at CPL 0.
 */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	unsigned long nr = kvm_rax_read(vcpu), ret;
	int op_64_bit = is_64_bit_hypercall(vcpu);

	if (x2s_trace_enabled())
		x2s_trace("kvm_hypercall: nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx "
			  "a3 0x%lx",
			  nr, kvm_register_read_raw(vcpu, VCPU_REGS_RBX),
			  kvm_rcx_read(vcpu), kvm_rdx_read(vcpu),
			  kvm_register_read_raw(vcpu, VCPU_REGS_RSI));
	ret = emulate_hypercall(nr, op_64_bit, 0);
	if (!op_64_bit)
		ret = (u32)ret;
	kvm_rax_write(vcpu, ret);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	int ret = kvm_skip_emulated_instruction(vcpu);

	/*
	 * __kvm_emulate_halt().  KVM itself notes that a single-step
	 * KVM_EXIT_DEBUG from the skip may be lost here; the model keeps
	 * that: with an in-kernel LAPIC the result is ret, else 0 with
	 * exit_reason overwritten by KVM_EXIT_HLT.
	 */
	if (lapic_in_kernel(vcpu)) {
		u32 state = KVM_MP_STATE_HALTED;

		if (kvm_vcpu_has_events(vcpu) || vcpu->arch.pv.pv_unhalted)
			state = KVM_MP_STATE_RUNNABLE;
		kvm_set_mp_state(vcpu, state);
		return ret;
	}
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/* ---- requests and kicks ---- */

bool kvm_vcpu_exit_request(struct kvm_vcpu *vcpu)
{
	/* x2sim: no host work (signals, reschedule) is ever pending. */
	return vcpu->mode == EXITING_GUEST_MODE || kvm_request_pending(vcpu);
}

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	x2s_vcpu_note_kick(vcpu);
	/*
	 * A vCPU in guest mode is forced out (EXITING_GUEST_MODE); in the
	 * model only the vCPU handling an exit is ever IN_GUEST_MODE, inside
	 * the re-enter loop.  Others are blocked or will see their requests
	 * at their next entry.
	 */
	if (vcpu->mode == IN_GUEST_MODE)
		vcpu->mode = EXITING_GUEST_MODE;
}

/* ---- event injection ---- */

/*
 * kvm_check_and_inject_events(): in L2 nested events first, then
 * re-inject what is already injected, then the pending exception, then
 * SMI, NMI and IRQ in priority order.  Returns 0, or -EBUSY folded into
 * *req_immediate_exit.
 */
static int kvm_check_and_inject_events(struct kvm_vcpu *vcpu,
				       bool *req_immediate_exit)
{
	struct kvm_queued_exception *ex = &vcpu->arch.exception;
	bool can_inject;
	int r;

	/*
	 * Nested VM exits first: they take precedence over re-injecting an
	 * event into L2 (which then goes to vmcs12, not to L1).
	 */
	r = is_guest_mode(vcpu) ? kvm_check_nested_events(vcpu) : 0;

	if (ex->injected)
		vmx_inject_exception(vcpu);
	else if (kvm_is_exception_pending(vcpu))
		; /* injected below */
	else if (vcpu->arch.nmi_injected)
		vmx_inject_nmi(vcpu);
	else if (vcpu->arch.interrupt.injected)
		vmx_inject_irq(vcpu);

	WARN_ON_ONCE(ex->injected && ex->pending);

	/* The re-injection must complete before a nested event is seen. */
	if (r < 0)
		goto out;

	can_inject = !kvm_event_needs_reinjection(vcpu);

	if (ex->pending) {
		/*
		 * Fault-class exceptions other than #DB push RFLAGS with RF
		 * set; traps and every #DB leave RF alone.
		 */
		if (exception_type(ex->vector) == EXCPT_FAULT)
			__kvm_set_rflags(vcpu,
					 kvm_get_rflags(vcpu) | X86_EFLAGS_RF);
		if (ex->vector == DB_VECTOR)
			kvm_deliver_exception_payload(vcpu, ex);
		vmx_inject_exception(vcpu);
		ex->pending = false;
		ex->injected = true;
		can_inject = false;
	}

	/*
	 * x2sim: an SMI stays pending; SMM is not modelled, so it is neither
	 * entered nor does it hold back NMIs and interrupts.
	 */

	if (vcpu->arch.nmi_pending) {
		r = can_inject ? vmx_nmi_allowed(vcpu, true) : -EBUSY;
		if (r < 0)
			goto out;
		if (r) {
			--vcpu->arch.nmi_pending;
			vcpu->arch.nmi_injected = true;
			vmx_inject_nmi(vcpu);
			can_inject = false;
		}
		if (vcpu->arch.nmi_pending)
			vmx_enable_nmi_window(vcpu);
	}

	if (kvm_cpu_has_injectable_intr(vcpu)) {
		r = can_inject ? vmx_interrupt_allowed(vcpu, true) : -EBUSY;
		if (r < 0)
			goto out;
		if (r) {
			int irq = kvm_get_apic_interrupt(vcpu);

			if (!WARN_ON_ONCE(irq == -1)) {
				kvm_queue_interrupt(vcpu, (u8)irq, false);
				vmx_inject_irq(vcpu);
			}
		}
		if (kvm_cpu_has_injectable_intr(vcpu))
			vmx_enable_irq_window(vcpu);
	}

	WARN_ON_ONCE(kvm_is_exception_pending(vcpu));
	return 0;

out:
	/* An event must wait for the current injection: exit right after. */
	*req_immediate_exit = true;
	return 0;
}

static bool kvm_cpu_has_pending_timer(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && apic_has_pending_timer(vcpu);
}

/*
 * vcpu_block() without the sleep: a vCPU with nothing to wake up for
 * stays as it is, its hv timer moved to the sw timer (which the VM's
 * clock fires while it waits); one that can run accepts INIT/SIPI, leaves
 * HLT and gets its hv timer back.  Returns 0 only for an exit to
 * userspace.
 */
static int vcpu_block(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!kvm_arch_vcpu_runnable(vcpu) && !kvm_cpu_has_pending_timer(vcpu)) {
		if (kvm_lapic_hv_timer_in_use(vcpu)) {
			kvm_lapic_switch_to_sw_timer(vcpu);
			vmx->x2s_hv_timer_parked = true;
		}
		return 1;
	}
	if (vmx->x2s_hv_timer_parked) {
		vmx->x2s_hv_timer_parked = false;
		kvm_lapic_switch_to_hv_timer(vcpu);
	}
	/*
	 * Nested events before HLT is left: KVM records L2's activity state
	 * in vmcs12 on the exit.  x2sim: vmcs12 has no activity state.
	 */
	if (is_guest_mode(vcpu)) {
		int r = kvm_check_nested_events(vcpu);

		WARN_ON_ONCE(r == -EBUSY);
		if (r < 0)
			return 0;
	}
	if (lapic_in_kernel(vcpu) && kvm_apic_accept_events(vcpu) < 0)
		return 0;
	switch (vcpu->arch.mp_state) {
	case KVM_MP_STATE_HALTED:
		kvm_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
		break;
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_INIT_RECEIVED:
		break;
	default:
		/*
		 * x2sim: KVM WARNs here (e.g. an NMI for an UNINITIALIZED
		 * AP); the model leaves the state alone and does not report
		 * it as a finding.
		 */
		break;
	}
	return 1;
}

/* The part of vcpu_enter_guest() before the VM entry; 1 entered, 0 user. */
static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool req_immediate_exit = false;
	int tries;

	for (tries = 0; tries < X2S_MAX_ENTRY_RETRIES; tries++) {
		if (kvm_request_pending(vcpu)) {
			/* x2sim: no APIC-access page to remap. */
			kvm_clear_request(KVM_REQ_APIC_PAGE_RELOAD, vcpu);
			if (kvm_check_request(KVM_REQ_TRIPLE_FAULT, vcpu)) {
				if (is_guest_mode(vcpu)) {
					nested_vmx_vmexit(
						vcpu, EXIT_REASON_TRIPLE_FAULT,
						0, 0);
				} else {
					vcpu->run->exit_reason =
						KVM_EXIT_SHUTDOWN;
					return 0;
				}
			}
			if (kvm_check_request(KVM_REQ_SMI, vcpu))
				process_smi(vcpu);
			if (kvm_check_request(KVM_REQ_NMI, vcpu))
				process_nmi(vcpu);
			/* Consumed by vcpu_run() after every entry attempt. */
			kvm_clear_request(KVM_REQ_UNBLOCK, vcpu);
		}

		if (kvm_check_request(KVM_REQ_EVENT, vcpu)) {
			if (lapic_in_kernel(vcpu) &&
			    kvm_apic_accept_events(vcpu) < 0)
				return 0;
			/* INIT received: wait for SIPI, nothing to inject. */
			if (vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED)
				return 1;
			kvm_check_and_inject_events(vcpu, &req_immediate_exit);
		}

		/* Posted interrupts that arrived meanwhile. */
		x2s_sync_pir_to_irr(vcpu);

		vcpu->mode = IN_GUEST_MODE;
		if (!kvm_vcpu_exit_request(vcpu))
			break;
		/* Something new arrived: undo the injection and go again. */
		vcpu->mode = OUTSIDE_GUEST_MODE;
		vmx_cancel_injection(vcpu);
	}
	WARN_ON_ONCE(tries == X2S_MAX_ENTRY_RETRIES);

	/*
	 * The event that had to wait is looked at again right after the
	 * forced exit.  x2sim: the immediate exit itself is only recorded.
	 */
	if (req_immediate_exit)
		kvm_make_request(KVM_REQ_EVENT, vcpu);

	/* vmx_vcpu_run(): the preemption timer, forced to 0 if asked. */
	if (vcpu->kvm->arch.preemption_timer)
		vmx_update_hv_timer(vcpu, req_immediate_exit);

	/*
	 * x2sim: the guest now runs until the next exit, which is delivered
	 * to the model as a fresh x2s_vmx_handle_exit(); kicks in between
	 * only count.
	 */
	vcpu->mode = OUTSIDE_GUEST_MODE;
	vmx->req_immediate_exit = req_immediate_exit;
	return 1;
}

int x2s_vcpu_prepare_entry(struct kvm_vcpu *vcpu)
{
	int r;

	/*
	 * vcpu_run(): a vCPU that is not running blocks; x2sim: if it has
	 * nothing to wake up for it stays halted / waiting for SIPI and
	 * nothing is injected.
	 */
	if (!kvm_vcpu_running(vcpu)) {
		r = vcpu_block(vcpu);
		if (r <= 0 || !kvm_vcpu_running(vcpu))
			goto out;
	}
	/*
	 * vcpu_run()'s loop tail: an expired timer is injected after every
	 * exit or wake-up (after vcpu_block() took the hv timer back, which
	 * a pending expiry keeps from restarting), before the next entry.
	 */
	if (kvm_cpu_has_pending_timer(vcpu))
		kvm_inject_apic_timer_irqs(vcpu);
	r = vcpu_enter_guest(vcpu);
out:
	vmx_sync_guest_state(vcpu);
	return r;
}

/* ---- port I/O ---- */

/*
 * x2sim: no in-kernel PIO device (split irqchip: no PIC, PIT or IOAPIC in
 * the kernel), so every port goes to userspace as KVM_EXIT_IO, the data
 * in the run page, and the instruction completes on the next entry.
 */
static void prepare_pio_exit(struct kvm_vcpu *vcpu, int size,
			     unsigned short port, int in)
{
	struct kvm_run *run = vcpu->run;

	vcpu->arch.pio.count = 1;
	vcpu->arch.pio.size = size;
	vcpu->arch.pio.port = port;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (u8)size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = offsetof(struct kvm_run, x2s_pio_data);
	memset(run->x2s_pio_data, 0, sizeof(run->x2s_pio_data));
}

static int complete_fast_pio_out(struct kvm_vcpu *vcpu)
{
	vcpu->arch.pio.count = 0;
	/* Userspace moved RIP meanwhile: the instruction is not ours. */
	if (vcpu->arch.regs[VCPU_REGS_RIP] != vcpu->arch.pio.linear_rip)
		return 1;
	return kvm_skip_emulated_instruction(vcpu);
}

static int complete_fast_pio_in(struct kvm_vcpu *vcpu)
{
	unsigned long val;

	if (vcpu->arch.regs[VCPU_REGS_RIP] != vcpu->arch.pio.linear_rip) {
		vcpu->arch.pio.count = 0;
		return 1;
	}
	/* A byte or word merges into RAX; a dword zero-extends. */
	val = vcpu->arch.pio.size < 4 ? kvm_rax_read(vcpu) : 0;
	memcpy(&val, vcpu->run->x2s_pio_data, (size_t)vcpu->arch.pio.size);
	vcpu->arch.pio.count = 0;
	kvm_rax_write(vcpu, val);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, unsigned short port, int in)
{
	unsigned long val = kvm_rax_read(vcpu);

	prepare_pio_exit(vcpu, size, port, in);
	if (!in)
		memcpy(vcpu->run->x2s_pio_data, &val, (size_t)size);
	/* x2sim: no segments, the linear RIP is RIP. */
	vcpu->arch.pio.linear_rip = vcpu->arch.regs[VCPU_REGS_RIP];
	vcpu->arch.complete_userspace_io =
		in ? complete_fast_pio_in : complete_fast_pio_out;
	return 0;
}

int x2s_vcpu_complete_userspace_io(struct kvm_vcpu *vcpu)
{
	int (*cui)(struct kvm_vcpu * vcpu) = vcpu->arch.complete_userspace_io;

	if (!cui)
		return 1;
	vcpu->arch.complete_userspace_io = NULL;
	return cui(vcpu);
}
