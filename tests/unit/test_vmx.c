// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX model: VMCS store, exit-reason table, exit dispatch, instruction
 * skip and single-step, exception/NMI/IRQ injection, nested reflection,
 * the fastpath hook protocol and APICv PIR sync.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "fastpath/fastpath.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define ICR_MSR (APIC_BASE_MSR + (APIC_ICR >> 4))
#define GUEST_RIP_START 0x1000UL
#define INTR_INFO_GP                                       \
	(INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | \
	 INTR_INFO_DELIVER_CODE_MASK | GP_VECTOR)
#define INTR_INFO_DB \
	(INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | DB_VECTOR)
#define INTR_INFO_NMI (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR | NMI_VECTOR)

static struct kvm_vcpu *vcpu_of(struct x2s_vm *vm, unsigned int i)
{
	return x2s_vm_vcpu(vm, i);
}

static u64 rip_of(struct x2s_vm *vm, unsigned int i)
{
	return vcpu_of(vm, i)->arch.regs[VCPU_REGS_RIP];
}

static void set_guest(struct x2s_vm *vm, unsigned int i, u64 rflags,
		      u32 intr_state)
{
	assert_ok(x2s_vcpu_set_gpr(vm, i, X2S_REG_RIP, GUEST_RIP_START));
	assert_ok(x2s_vcpu_set_gpr(vm, i, X2S_REG_RFLAGS, rflags));
	assert_ok(
		x2s_vcpu_set_gpr(vm, i, X2S_REG_INTERRUPTIBILITY, intr_state));
}

static u32 entry_info(struct x2s_vm *vm, unsigned int i)
{
	return (u32)vmcs_read(vcpu_of(vm, i), VM_ENTRY_INTR_INFO_FIELD);
}

static u32 exec_controls(struct x2s_vm *vm, unsigned int i)
{
	return (u32)vmcs_read(vcpu_of(vm, i), CPU_BASED_VM_EXEC_CONTROL);
}

static void do_exit(struct x2s_vm *vm, unsigned int i, u32 reason, u32 insn_len,
		    struct x2s_exit_result *res)
{
	struct x2s_exit exit = { .reason = reason, .insn_len = insn_len };

	assert_ok(x2s_vcpu_exit(vm, i, &exit, res));
}

/* ---- VMCS ---- */

static void test_vmcs_fields_by_encoding(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);

	vmcs_write(vcpu, GUEST_RIP, 0xffffffff81000000ULL);
	assert_int_equal(vmcs_read(vcpu, GUEST_RIP), 0xffffffff81000000ULL);
	/* 16- and 32-bit fields keep their width. */
	vmcs_write(vcpu, GUEST_INTR_STATUS, 0x12345);
	assert_int_equal(vmcs_read(vcpu, GUEST_INTR_STATUS), 0x2345);
	vmcs_write(vcpu, VM_EXIT_REASON, 0x1234567890ULL);
	assert_int_equal(vmcs_read(vcpu, VM_EXIT_REASON), 0x34567890);
	/* The "high" encoding of a 64-bit field is its upper half. */
	vmcs_write(vcpu, MSR_BITMAP, 0x1111222233334444ULL);
	assert_int_equal(vmcs_read(vcpu, MSR_BITMAP + 1), 0x11112222);
	vmcs_write(vcpu, MSR_BITMAP + 1, 0xaaaa);
	assert_int_equal(vmcs_read(vcpu, MSR_BITMAP), 0x0000aaaa33334444ULL);
	assert_true(vmcs_field_valid(VM_ENTRY_INTR_INFO_FIELD));
	assert_false(vmcs_field_valid(GUEST_RIP + 1));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_vmcs_unknown_field_warns(void **state)
{
	static const unsigned long bad[] = {
		0x6c00,	    /* HOST_CR0: a real field the store lacks */
		0x4401,	    /* high access of a 32-bit field */
		0x1000,	    /* reserved bit 12 */
		0x80004402, /* bits above 15 */
	};

	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x2s_warn_reset();
		assert_false(vmcs_field_valid(bad[i]));
		assert_int_equal(vmcs_read(vcpu, bad[i]), 0);
		assert_int_equal(x2s_warn_count(), 1);
		vmcs_write(vcpu, bad[i], 1);
		assert_int_equal(x2s_warn_count(), 2);
	}
	x2s_warn_reset();
	x2s_vm_destroy(vm);
}

/* ---- exit reasons ---- */

static void test_exit_reason_table_unique(void **state)
{
	assert_true(vmx_exit_reason_count > 60);
	for (unsigned int i = 0; i < vmx_exit_reason_count; i++) {
		u16 nr = vmx_exit_reason_list[i];

		assert_true(nr < X2S_VMX_EXIT_REASON_LIMIT);
		assert_non_null(vmx_exit_reason_name(nr));
		assert_non_null(vmx_exit_reason_desc(nr));
		if (i)
			assert_true(vmx_exit_reason_list[i - 1] < nr);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(
				vmx_exit_reason_name(nr),
				vmx_exit_reason_name(vmx_exit_reason_list[j]));
	}
}

static void test_exit_reason_numbers_match_sdm(void **state)
{
	static const struct {
		u32 nr;
		const char *name;
	} sdm[] = {
		{ 0, "EXCEPTION_NMI" },
		{ 1, "EXTERNAL_INTERRUPT" },
		{ 7, "INTERRUPT_WINDOW" },
		{ 8, "NMI_WINDOW" },
		{ 12, "HLT" },
		{ 31, "MSR_READ" },
		{ 32, "MSR_WRITE" },
		{ 33, "INVALID_STATE" },
		{ 44, "APIC_ACCESS" },
		{ 52, "PREEMPTION_TIMER" },
		{ 56, "APIC_WRITE" },
		{ 74, "BUS_LOCK" },
		{ 75, "NOTIFY" },
		{ 77, "TDCALL" },
		{ 84, "MSR_READ_IMM" },
		{ 85, "MSR_WRITE_IMM" },
	};
	static const u32 reserved[] = { 35, 38, 42, 71, 82, 83, 86, 0xffff };

	for (unsigned int i = 0; i < sizeof(sdm) / sizeof(sdm[0]); i++)
		assert_string_equal(vmx_exit_reason_name(sdm[i].nr),
				    sdm[i].name);
	for (unsigned int i = 0; i < sizeof(reserved) / sizeof(reserved[0]);
	     i++)
		assert_null(vmx_exit_reason_name(reserved[i]));
	assert_int_equal(EXIT_REASON_MSR_READ_IMM, 84);
	assert_int_equal(EXIT_REASON_MSR_WRITE_IMM, 85);
	assert_int_equal(EXIT_REASON_BUS_LOCK, 74);
	assert_int_equal(EXIT_REASON_NOTIFY, 75);
}

/* One exit on a fresh VM must end in a handler or a clean internal error. */
static void check_exit_dispatch(u32 reason)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	do_exit(vm, 0, reason, 2, &res);
	if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY) &&
	    !vmx_exit_reason_has_handler(reason & 0xffff)) {
		assert_int_equal(res.status, X2S_STATUS_USERSPACE);
		assert_int_equal(res.run_exit_reason, KVM_EXIT_INTERNAL_ERROR);
		assert_int_equal(res.internal_suberror,
				 KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
		assert_int_equal(vcpu->run->internal.ndata, 2);
		assert_int_equal(vcpu->run->internal.data[0], reason);
		assert_int_equal(rip_of(vm, 0), GUEST_RIP_START);
	}
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_every_exit_reason_dispatches_cleanly(void **state)
{
	static const u32 extra[] = {
		35, 71, 82, 86, 1000, 0xffff, 0x04000000 | EXIT_REASON_CPUID
	};

	for (unsigned int i = 0; i < vmx_exit_reason_count; i++)
		check_exit_dispatch(vmx_exit_reason_list[i]);
	for (unsigned int i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		check_exit_dispatch(extra[i]);
}

static int hook_calls;
static fastpath_t hook_result;

static int test_hook(struct kvm_vcpu *vcpu)
{
	hook_calls++;
	return hook_result;
}

static void test_failed_vmentry_exits_with_fail_entry(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;
	u32 reason =
		VMX_EXIT_REASONS_FAILED_VMENTRY | EXIT_REASON_INVALID_STATE;

	hook_calls = 0;
	hook_result = EXIT_FASTPATH_EXIT_HANDLED;
	assert_ok(x2s_vm_set_fastpath(vm, test_hook));
	do_exit(vm, 0, reason, 0, &res);
	/* vmx_vcpu_run() returns before the fastpath on a failed entry. */
	assert_int_equal(hook_calls, 0);
	assert_int_equal(res.status, X2S_STATUS_USERSPACE);
	assert_int_equal(res.run_exit_reason, KVM_EXIT_FAIL_ENTRY);
	assert_int_equal(vcpu->run->fail_entry.hardware_entry_failure_reason,
			 reason);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* 6.18: a failed entry returns before vmx_complete_interrupts(). */
static void test_failed_vmentry_keeps_the_injection_queued(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	vcpu->arch.nmi_injected = true;
	vcpu->arch.exception.injected = true;
	vcpu->arch.exception.vector = GP_VECTOR;
	do_exit(vm, 0,
		VMX_EXIT_REASONS_FAILED_VMENTRY | EXIT_REASON_INVALID_STATE, 0,
		&res);
	assert_int_equal(res.run_exit_reason, KVM_EXIT_FAIL_ENTRY);
	assert_true(vcpu->arch.nmi_injected);
	assert_true(vcpu->arch.exception.injected);
	x2s_vm_destroy(vm);
}

/* 6.18's kvm_clear_exception_queue(): pending goes too, not just injected. */
static void test_exit_clears_the_whole_exception_queue(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);

	vcpu->arch.exception.pending = true;
	vcpu->arch.exception.vector = GP_VECTOR;
	vcpu->arch.exception_vmexit.pending = true;
	x2s_vmx_exit_begin(vcpu);
	assert_false(vcpu->arch.exception.pending);
	assert_false(vcpu->arch.exception.injected);
	assert_false(vcpu->arch.exception_vmexit.pending);
	x2s_vm_destroy(vm);
}

/* A restored state, like KVM_SET_VCPU_EVENTS, has no exception for L1. */
static void test_restore_clears_exception_vmexit(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_vcpu_state st;

	assert_ok(x2s_vcpu_save(vm, 0, &st));
	vcpu->arch.exception_vmexit.pending = true;
	assert_ok(x2s_vcpu_restore(vm, 0, &st));
	assert_false(vcpu->arch.exception_vmexit.pending);
	x2s_vm_destroy(vm);
}

/* An APIC-access EOI write of vCPU 0 with IDT-vectoring info idt_info. */
static void eoi_exit_during_delivery(struct x2s_vm *vm, u32 idt_info,
				     u32 idt_error_code,
				     struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit exit = {
		.reason = EXIT_REASON_APIC_ACCESS,
		.qualification = TYPE_LINEAR_APIC_INST_WRITE | APIC_EOI,
		.insn_len = 6,
	};

	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, idt_info);
	vmcs_write(vcpu, IDT_VECTORING_ERROR_CODE, idt_error_code);
	assert_ok(x2s_vcpu_exit(vm, 0, &exit, res));
	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, 0);
}

/* kvm_requeue_exception(): without an error code, none is kept. */
static void test_requeued_exception_without_code_has_code_zero(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	eoi_exit_during_delivery(
		vm, INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | UD_VECTOR,
		0x1234, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_true(vcpu->arch.exception.injected);
	assert_int_equal(vcpu->arch.exception.vector, UD_VECTOR);
	assert_false(vcpu->arch.exception.has_error_code);
	assert_int_equal(vcpu->arch.exception.error_code, 0);
	assert_int_equal(res.entry_intr_info, INTR_INFO_VALID_MASK |
						      INTR_TYPE_HARD_EXCEPTION |
						      UD_VECTOR);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* __vmx_complete_interrupts() has no case for INT1 (ICEBP): it is gone. */
static void test_interrupted_priv_sw_exception_is_not_requeued(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	eoi_exit_during_delivery(
		vm,
		INTR_INFO_VALID_MASK | INTR_TYPE_PRIV_SW_EXCEPTION | DB_VECTOR,
		0, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_false(vcpu->arch.exception.injected);
	assert_false(vcpu->arch.exception.pending);
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/*
 * 6.18's __vmx_handle_exit(): an exit during event delivery of a kind KVM
 * cannot resume from goes to userspace, even when the fastpath handled it.
 */
static void test_exit_during_event_delivery_is_internal_error(void **state)
{
	static const u32 idt_info =
		INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x40;
	static const fastpath_t results[] = { EXIT_FASTPATH_NONE,
					      EXIT_FASTPATH_EXIT_HANDLED };

	for (unsigned int i = 0; i < 2; i++) {
		struct x2s_vm *vm = test_vm_new(2);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
		struct x2s_exit_result res;

		assert_ok(x2s_vm_set_fastpath(vm, test_hook));
		hook_calls = 0;
		hook_result = results[i];
		set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
		vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, idt_info);
		assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR,
					      (1ULL << 32) | 0x41, &res));
		vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, 0);
		assert_int_equal(hook_calls, 1);
		assert_int_equal(res.status, X2S_STATUS_USERSPACE);
		assert_int_equal(res.run_exit_reason, KVM_EXIT_INTERNAL_ERROR);
		assert_int_equal(res.internal_suberror,
				 KVM_INTERNAL_ERROR_DELIVERY_EV);
		assert_int_equal(vcpu->run->internal.ndata, 5);
		assert_int_equal(vcpu->run->internal.data[0], idt_info);
		assert_int_equal(vcpu->run->internal.data[1],
				 EXIT_REASON_MSR_WRITE);
		assert_int_equal(vcpu->run->internal.data[3], INVALID_GPA);
		/* The WRMSR handler did not run: no IPI, RIP unchanged. */
		assert_false(test_irr(vm, 1, 0x41));
		assert_int_equal(rip_of(vm, 0), GUEST_RIP_START);
		/* The interrupted event stays queued for the next KVM_RUN. */
		assert_true(vcpu->arch.interrupt.injected);
		assert_int_equal(vcpu->arch.interrupt.nr, 0x40);
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

/* An APIC access may interrupt event delivery: handled, then re-injected. */
static void test_apic_access_during_event_delivery_reinjects(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	eoi_exit_during_delivery(
		vm, INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x40, 0, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x40);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- VMCALL ---- */

/*
 * KVM's answer to hypercalls of a VM with no paravirtual features: 0 for
 * VAPIC_POLL_IRQ, -KVM_EOPNOTSUPP for CLOCK_PAIRING, -KVM_ENOSYS for the
 * rest (KICK_CPU without PV_UNHALT too), 32 bits outside 64-bit mode.
 */
static void test_vmcall_answers_as_kvm(void **state)
{
	static const struct {
		u64 nr;
		bool long_mode;
		u64 rax;
	} cases[] = {
		{ 0x4b56, true, (u64)-1000 },
		{ 0x4b56, false, 0xfffffc18 },
		{ 1, true, 0 },
		{ 0xffffffff00000001ULL, false, 0 },
		{ 0xffffffff00000001ULL, true, (u64)-1000 },
		{ 5, true, (u64)-1000 },
		{ 9, true, (u64)-95 },
		{ 12, false, 0xfffffc18 },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x2s_vm *vm = test_vm_new(1);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
		struct x2s_exit_result res;

		set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
		vcpu->arch.efer = cases[i].long_mode ? EFER_LME | EFER_LMA : 0;
		vcpu->arch.regs[VCPU_REGS_RAX] = cases[i].nr;
		do_exit(vm, 0, EXIT_REASON_VMCALL, 3, &res);
		assert_int_equal(res.status, X2S_STATUS_GUEST);
		assert_int_equal(vcpu->arch.regs[VCPU_REGS_RAX], cases[i].rax);
		assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 3);
		assert_int_equal(res.entry_intr_info, 0);
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

/* ---- WRMSR / RDMSR ---- */

static void test_wrmsr_icr_delivers_and_skips(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(res.fastpath, EXIT_FASTPATH_NONE);
	assert_true(test_irr(vm, 1, 0x40));
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	assert_int_equal(res.entry_intr_info, 0);
	assert_false(vcpu_of(vm, 0)->arch.exception.pending);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void check_gp_no_skip(struct x2s_vm *vm, struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);

	assert_int_equal(res->status, X2S_STATUS_GUEST);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START);
	assert_int_equal(res->entry_intr_info, INTR_INFO_GP);
	assert_int_equal(vmcs_read(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE), 0);
	assert_true(vcpu->arch.exception.injected);
	assert_int_equal(vcpu->arch.exception.vector, GP_VECTOR);
	assert_int_equal(vcpu->arch.exception.error_code, 0);
	/* #GP is a fault: RF is set in the RFLAGS image pushed for it. */
	assert_true(vcpu->arch.rflags & X86_EFLAGS_RF);
}

static void test_wrmsr_icr_reserved_bit_injects_gp(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR,
				      (1ULL << 32) | (1u << 13) | 0x40, &res));
	check_gp_no_skip(vm, &res);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_x2apic_msr_in_xapic_mode_injects_gp(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_apic_mode(vm, 0, X2S_APIC_MODE_XAPIC));
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	check_gp_no_skip(vm, &res);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_wrmsr_unknown_msr_injects_gp(void **state)
{
	static const u32 msrs[] = { 0x0,	0xc0000090, 0x4b564dff,
				    0xc0000085, 0x900,	    0xffffffff };

	for (unsigned int i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		struct x2s_vm *vm = test_vm_new(1);
		struct x2s_exit_result res;

		set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
		assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, msrs[i], 0, &res));
		check_gp_no_skip(vm, &res);
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

/*
 * IA32_EFER as KVM's set_efer(): SCE, LME and NXE are taken, LMA keeps
 * the CPU's value, a reserved bit is a #GP; RDMSR reads it back.
 */
static void test_efer_write_and_read(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, MSR_EFER,
				      EFER_LME | EFER_LMA | EFER_NX, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	assert_int_equal(vcpu->arch.efer, EFER_LME | EFER_NX);
	vcpu->arch.efer |= EFER_LMA;
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, MSR_EFER, EFER_LME, &res));
	assert_int_equal(vcpu->arch.efer, EFER_LME | EFER_LMA);
	vcpu->arch.regs[VCPU_REGS_RCX] = MSR_EFER;
	do_exit(vm, 0, EXIT_REASON_MSR_READ, 2, &res);
	assert_int_equal(vcpu->arch.regs[VCPU_REGS_RAX], EFER_LME | EFER_LMA);
	assert_int_equal(vcpu->arch.regs[VCPU_REGS_RDX], 0);
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, MSR_EFER, EFER_LME | (1 << 1),
				      &res));
	check_gp_no_skip(vm, &res);
	assert_int_equal(vcpu->arch.efer, EFER_LME | EFER_LMA);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_rdmsr_icr_returns_edx_eax(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;
	u64 icr = (1ULL << 32) | APIC_DM_NMI;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, icr, &res));
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	vcpu->arch.regs[VCPU_REGS_RCX] = ICR_MSR;
	vcpu->arch.regs[VCPU_REGS_RAX] = 0xdeadbeefdeadbeefULL;
	vcpu->arch.regs[VCPU_REGS_RDX] = 0xdeadbeefdeadbeefULL;
	do_exit(vm, 0, EXIT_REASON_MSR_READ, 2, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(vcpu->arch.regs[VCPU_REGS_RAX], (u32)icr);
	assert_int_equal(vcpu->arch.regs[VCPU_REGS_RDX], icr >> 32);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 4);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_skip_clears_interrupt_shadow(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED,
		  GUEST_INTR_STATE_STI | GUEST_INTR_STATE_NMI);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	/* STI/MOV SS blocking ends; NMI blocking is not a shadow. */
	assert_int_equal(vcpu_of(vm, 0)->arch.interruptibility,
			 GUEST_INTR_STATE_NMI);
	x2s_vm_destroy(vm);
}

/* ---- HLT ---- */

static void test_hlt_halts_with_in_kernel_lapic(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	do_exit(vm, 0, EXIT_REASON_HLT, 1, &res);
	/* Nothing to wake up for: the vCPU blocks in the kernel. */
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 1);
	assert_int_equal(vcpu_of(vm, 0)->arch.mp_state, KVM_MP_STATE_HALTED);
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_hlt_with_deliverable_irq_stays_runnable(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	kvm_apic_set_irr_vector(test_apic(vm, 0), 0x50);
	kvm_make_request(KVM_REQ_EVENT, vcpu_of(vm, 0));
	do_exit(vm, 0, EXIT_REASON_HLT, 1, &res);
	assert_int_equal(vcpu_of(vm, 0)->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x50);
	assert_true(test_isr(vm, 0, 0x50));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_halted_vcpu_wakes_on_irq(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	/* vCPU 1 halts with IF=1, then vCPU 1's next entry finds an IRQ. */
	set_guest(vm, 1, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	do_exit(vm, 1, EXIT_REASON_HLT, 1, &res);
	assert_int_equal(vcpu_of(vm, 1)->arch.mp_state, KVM_MP_STATE_HALTED);
	/* Still nothing to do: it stays halted, nothing injected. */
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_int_equal(vcpu_of(vm, 1)->arch.mp_state, KVM_MP_STATE_HALTED);
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x61, &res));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(vcpu_of(vm, 1)->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x61);
	assert_int_equal(entry_info(vm, 1), res.entry_intr_info);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_hlt_without_lapic_exits_to_userspace(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct x2s_exit_result res;

	x2s_vm_config_init(&cfg, 1);
	cfg.lapic_in_kernel = false;
	vm = test_vm_new_cfg(&cfg);
	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	do_exit(vm, 0, EXIT_REASON_HLT, 1, &res);
	assert_int_equal(res.status, X2S_STATUS_USERSPACE);
	assert_int_equal(res.run_exit_reason, KVM_EXIT_HLT);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 1);
	assert_int_equal(vcpu_of(vm, 0)->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- single-step ---- */

static void test_userspace_singlestep_exits_debug_after_skip(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(x2s_vcpu_set_guest_debug(
		vm, 0, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP));
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_USERSPACE);
	assert_int_equal(res.run_exit_reason, KVM_EXIT_DEBUG);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	assert_int_equal(vcpu->run->debug.arch.pc, GUEST_RIP_START + 2);
	assert_int_equal(vcpu->run->debug.arch.dr6, DR6_BS | DR6_ACTIVE_LOW);
	assert_int_equal(vcpu->run->debug.arch.exception, DB_VECTOR);
	/* The write itself happened; the guest saw no #DB. */
	assert_true(test_irr(vm, 1, 0x40));
	assert_false(vcpu->arch.exception.pending);
	/* The guest-visible RFLAGS never shows the forced TF. */
	assert_false(vcpu->arch.rflags & X86_EFLAGS_TF);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_guest_tf_queues_db(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_TF, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	assert_int_equal(res.entry_intr_info, INTR_INFO_DB);
	assert_int_equal(vcpu->arch.exception.vector, DB_VECTOR);
	assert_true(to_vmx(vcpu)->dr6 & DR6_BS);
	/* #DB is a trap: RF untouched. */
	assert_false(vcpu->arch.rflags & X86_EFLAGS_RF);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- injection ---- */

static void test_nmi_injected_before_irq(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	vcpu->arch.nmi_pending = 1;
	kvm_make_request(KVM_REQ_NMI, vcpu);
	kvm_apic_set_irr_vector(test_apic(vm, 0), 0x50);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(res.entry_intr_info, INTR_INFO_NMI);
	assert_true(vcpu->arch.nmi_injected);
	assert_int_equal(vcpu->arch.nmi_pending, 0);
	/* The IRQ waits; KVM asks for an immediate exit to inject it. */
	assert_true(test_irr(vm, 0, 0x50));
	assert_true(to_vmx(vcpu)->req_immediate_exit);

	/* The next exit completes the NMI; now the IRQ goes in. */
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x50);
	assert_false(test_irr(vm, 0, 0x50));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_blocked_nmi_requests_nmi_window(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, GUEST_INTR_STATE_NMI);
	vcpu->arch.nmi_pending = 1;
	kvm_make_request(KVM_REQ_NMI, vcpu);
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_int_equal(res.entry_intr_info, 0);
	assert_int_equal(vcpu->arch.nmi_pending, 1);
	assert_true(exec_controls(vm, 0) & CPU_BASED_NMI_WINDOW_EXITING);

	/* NMI-window exit once the guest unblocks NMIs (IRET). */
	vcpu->arch.interruptibility = 0;
	do_exit(vm, 0, EXIT_REASON_NMI_WINDOW, 0, &res);
	assert_false(exec_controls(vm, 0) & CPU_BASED_NMI_WINDOW_EXITING);
	assert_int_equal(res.entry_intr_info, INTR_INFO_NMI);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_irq_blocked_requests_interrupt_window(void **state)
{
	static const struct {
		u64 rflags;
		u32 intr_state;
		bool injected;
	} cases[] = {
		{ X86_EFLAGS_FIXED, 0, false },
		{ X86_EFLAGS_FIXED | X86_EFLAGS_IF, GUEST_INTR_STATE_STI,
		  false },
		{ X86_EFLAGS_FIXED | X86_EFLAGS_IF, GUEST_INTR_STATE_MOV_SS,
		  false },
		{ X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0, true },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x2s_vm *vm = test_vm_new(1);
		struct x2s_exit_result res;

		set_guest(vm, 0, cases[i].rflags, cases[i].intr_state);
		kvm_apic_set_irr_vector(test_apic(vm, 0), 0x70);
		kvm_make_request(KVM_REQ_EVENT, vcpu_of(vm, 0));
		do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
		if (cases[i].injected) {
			assert_int_equal(res.entry_intr_info,
					 INTR_INFO_VALID_MASK |
						 INTR_TYPE_EXT_INTR | 0x70);
			assert_false(exec_controls(vm, 0) &
				     CPU_BASED_INTR_WINDOW_EXITING);
		} else {
			assert_int_equal(res.entry_intr_info, 0);
			assert_true(test_irr(vm, 0, 0x70));
			assert_true(exec_controls(vm, 0) &
				    CPU_BASED_INTR_WINDOW_EXITING);
		}
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

static void test_interrupt_window_exit_injects(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	kvm_apic_set_irr_vector(test_apic(vm, 0), 0x70);
	kvm_make_request(KVM_REQ_EVENT, vcpu_of(vm, 0));
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_true(exec_controls(vm, 0) & CPU_BASED_INTR_WINDOW_EXITING);
	/* The guest executes STI; the window opens after the shadow. */
	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RFLAGS,
				   X86_EFLAGS_FIXED | X86_EFLAGS_IF));
	do_exit(vm, 0, EXIT_REASON_INTERRUPT_WINDOW, 0, &res);
	assert_false(exec_controls(vm, 0) & CPU_BASED_INTR_WINDOW_EXITING);
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x70);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_self_ipi_injected_at_reentry(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, APIC_DEST_SELF | 0x33,
				      &res));
	assert_int_equal(res.entry_intr_info,
			 INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x33);
	assert_true(test_isr(vm, 0, 0x33));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- nested ---- */

static void test_l2_wrmsr_intercepted_by_l1_exits_to_l1(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_guest_mode(vm, 0, true, true));
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_MSR_WRITE);
	assert_int_equal(test_irr_count(vm, 1), 0);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START);
	assert_false(is_guest_mode(vcpu_of(vm, 0)));
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_l2_rdmsr_intercepted_by_l1_exits_to_l1(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_guest_mode(vm, 0, true, true));
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	vcpu->arch.regs[VCPU_REGS_RCX] = ICR_MSR;
	do_exit(vm, 0, EXIT_REASON_MSR_READ, 2, &res);
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_MSR_READ);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START);
	x2s_vm_destroy(vm);
}

static void test_l2_wrmsr_without_intercept_is_emulated(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_guest_mode(vm, 0, true, false));
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	assert_ok(
		x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_false(res.nested_exit);
	assert_true(test_irr(vm, 1, 0x40));
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
	assert_true(is_guest_mode(vcpu_of(vm, 0)));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_nested_msr_bitmap_layout(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	const u8 *bitmap = to_vmx(vcpu)->nested.msr_bitmap;

	vcpu->arch.guest_mode = true;
	assert_ok(nested_vmx_set_msr_intercept(vcpu, 0x10, false, true));
	assert_int_equal(bitmap[0x10 / 8], 1u << (0x10 % 8));
	assert_ok(nested_vmx_set_msr_intercept(vcpu, 0x1fff, true, true));
	assert_int_equal(bitmap[2048 + 0x1fff / 8], 0x80);
	assert_ok(nested_vmx_set_msr_intercept(vcpu, 0xc0000081, false, true));
	assert_int_equal(bitmap[1024 + 0x81 / 8], 1u << (0x81 % 8));
	assert_ok(nested_vmx_set_msr_intercept(vcpu, 0xc0000082, true, true));
	assert_int_equal(bitmap[3072 + 0x82 / 8], 1u << (0x82 % 8));

	assert_true(nested_vmx_l1_wants_msr_exit(vcpu, 0x10, false));
	assert_false(nested_vmx_l1_wants_msr_exit(vcpu, 0x10, true));
	assert_true(nested_vmx_l1_wants_msr_exit(vcpu, 0xc0000082, true));
	assert_false(nested_vmx_l1_wants_msr_exit(vcpu, 0xc0000082, false));
	/* Outside both ranges: always an exit, and cannot be cleared. */
	assert_true(nested_vmx_l1_wants_msr_exit(vcpu, 0x2000, false));
	assert_true(nested_vmx_l1_wants_msr_exit(vcpu, 0xbfffffff, true));
	assert_true(nested_vmx_l1_wants_msr_exit(vcpu, 0xc0002000, true));
	assert_int_not_equal(
		nested_vmx_set_msr_intercept(vcpu, 0x2000, true, false), 0);
	assert_ok(nested_vmx_set_msr_intercept(vcpu, 0x10, false, false));
	assert_false(nested_vmx_l1_wants_msr_exit(vcpu, 0x10, false));
	/* A range: every MSR's read and write bit, nothing around them. */
	assert_ok(nested_vmx_set_msr_range_intercept(vcpu, 0x800, 0x100, true));
	for (u32 msr = 0x7f8; msr < 0x908; msr++)
		for (int w = 0; w < 2; w++)
			assert_int_equal(
				nested_vmx_l1_wants_msr_exit(vcpu, msr, w),
				msr >= 0x800 && msr < 0x900);
	assert_ok(
		nested_vmx_set_msr_range_intercept(vcpu, 0x800, 0x100, false));
	for (u32 msr = 0x800; msr < 0x900; msr++)
		assert_false(nested_vmx_l1_wants_msr_exit(vcpu, msr, true));
	assert_int_not_equal(
		nested_vmx_set_msr_range_intercept(vcpu, 0x804, 8, true), 0);
	assert_int_not_equal(
		nested_vmx_set_msr_range_intercept(vcpu, 0x1ff8, 16, true), 0);
	/* L1 itself is never reflected anywhere. */
	vcpu->arch.guest_mode = false;
	assert_false(nested_vmx_l1_wants_msr_exit(vcpu, 0x2000, false));
	x2s_vm_destroy(vm);
}

/* ---- nested: INIT in and after L2 ---- */

#define ICR_INIT(dest) (((u64)(dest) << 32) | APIC_DM_INIT | APIC_INT_ASSERT)
#define ICR_SIPI(dest, vec) (((u64)(dest) << 32) | APIC_DM_STARTUP | (vec))

static bool init_pending(struct x2s_vm *vm, unsigned int i)
{
	return test_apic(vm, i)->pending_events & BIT(KVM_APIC_INIT);
}

static bool vmxon(struct x2s_vm *vm, unsigned int i)
{
	return to_vmx(vcpu_of(vm, i))->nested.vmxon;
}

/* Nothing an INIT reset changes has changed: RIP, RDX, SVR, the ISR. */
static void assert_not_init_reset(struct x2s_vm *vm, unsigned int i)
{
	assert_int_equal(rip_of(vm, i), GUEST_RIP_START);
	assert_int_equal(vcpu_of(vm, i)->arch.regs[VCPU_REGS_RDX], 0);
	assert_true(test_apic(vm, i)->sw_enabled);
	assert_true(test_isr(vm, i, 0x70));
}

/* vCPU i runs L2 (L1 intercepts the x2APIC MSRs) with 0x70 in service. */
static void enter_l2(struct x2s_vm *vm, unsigned int i)
{
	struct kvm_vcpu *vcpu = vcpu_of(vm, i);

	assert_ok(x2s_vcpu_set_guest_mode(vm, i, true, true));
	set_guest(vm, i, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	kvm_rdx_write(vcpu, 0);
	kvm_apic_set_irr_vector(test_apic(vm, i), 0x70);
	kvm_apic_ack_interrupt(vcpu, 0x70);
}

/* L1 takes a nested VM exit (a WRMSR it intercepts): now in VMX root. */
static void exit_to_l1(struct x2s_vm *vm, unsigned int i)
{
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_wrmsr_exit(vm, i, ICR_MSR, 0x40, &res));
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_MSR_WRITE);
	assert_false(is_guest_mode(vcpu_of(vm, i)));
	assert_true(vmxon(vm, i));
}

static void test_init_to_l2_is_init_signal_exit(void **state)
{
	static const u32 mp_states[] = { KVM_MP_STATE_RUNNABLE,
					 KVM_MP_STATE_HALTED };

	for (size_t k = 0; k < sizeof(mp_states) / sizeof(mp_states[0]); k++) {
		struct x2s_vm *vm = test_vm_new(2);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 1);
		struct x2s_exit_result res;

		enter_l2(vm, 1);
		assert_ok(x2s_vcpu_set_mp_state(vm, 1, mp_states[k]));
		assert_ok(
			x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_INIT(1), &res));
		assert_true(init_pending(vm, 1));
		/* Pending in L2 it wakes the vCPU: it will exit to L1. */
		assert_true(kvm_arch_vcpu_runnable(vcpu));

		assert_ok(x2s_vcpu_enter(vm, 1, &res));
		assert_int_equal(res.status, X2S_STATUS_GUEST);
		assert_true(res.nested_exit);
		assert_int_equal(res.nested_exit_reason,
				 EXIT_REASON_INIT_SIGNAL);
		assert_int_equal(
			to_vmx(vcpu)->nested.last_exit.exit_qualification, 0);
		assert_false(is_guest_mode(vcpu));
		assert_true(vmxon(vm, 1));
		assert_false(init_pending(vm, 1));
		assert_int_equal(vcpu->arch.mp_state, KVM_MP_STATE_RUNNABLE);
		assert_not_init_reset(vm, 1);
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

static void test_init_latched_in_l1_after_nested_exit(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 1);
	struct x2s_exit_result res;

	enter_l2(vm, 1);
	exit_to_l1(vm, 1);

	/* INIT to L1 in VMX root operation: latched, no reset. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_INIT(1), &res));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_false(res.nested_exit);
	assert_true(init_pending(vm, 1));
	assert_int_equal(vcpu->arch.mp_state, KVM_MP_STATE_RUNNABLE);
	assert_not_init_reset(vm, 1);

	/* A SIPI is dropped; KVM_SET_MP_STATE cannot force INIT states. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_SIPI(1, 0x9a), &res));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_int_equal(test_apic(vm, 1)->pending_events, BIT(KVM_APIC_INIT));
	assert_int_equal(rip_of(vm, 1), GUEST_RIP_START);
	assert_int_equal(
		x2s_vcpu_set_mp_state(vm, 1, KVM_MP_STATE_INIT_RECEIVED),
		-EINVAL);
	assert_int_equal(
		x2s_vcpu_set_mp_state(vm, 1, KVM_MP_STATE_SIPI_RECEIVED),
		-EINVAL);

	/* The latched INIT does not wake L1 from HLT. */
	do_exit(vm, 1, EXIT_REASON_HLT, 1, &res);
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_int_equal(vcpu->arch.mp_state, KVM_MP_STATE_HALTED);
	assert_false(kvm_arch_vcpu_runnable(vcpu));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_true(init_pending(vm, 1));

	/* Back into L2 (VMRESUME): now the INIT is an INIT_SIGNAL exit. */
	assert_ok(x2s_vcpu_set_mp_state(vm, 1, KVM_MP_STATE_RUNNABLE));
	assert_ok(x2s_vcpu_set_gpr(vm, 1, X2S_REG_RIP, GUEST_RIP_START));
	assert_ok(x2s_vcpu_set_guest_mode(vm, 1, true, true));
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_INIT_SIGNAL);
	assert_false(is_guest_mode(vcpu));
	assert_false(init_pending(vm, 1));
	assert_not_init_reset(vm, 1);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_init_outside_vmx_operation_resets(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	struct x2s_exit_result res;

	/* Never in guest mode: INIT resets the AP, which waits for SIPI. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_INIT(1), &res));
	assert_false(vmxon(vm, 1));
	/* Pending there, it would reset the vCPU before any VMLAUNCH. */
	assert_int_equal(x2s_vcpu_set_guest_mode(vm, 1, true, false), -EINVAL);
	assert_ok(x2s_vcpu_enter(vm, 1, &res));
	assert_false(res.nested_exit);
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_int_equal(vcpu_of(vm, 1)->arch.mp_state,
			 KVM_MP_STATE_INIT_RECEIVED);
	assert_int_equal(rip_of(vm, 1), 0xfff0);
	assert_false(test_apic(vm, 1)->sw_enabled);

	/* Taken out of VMX operation, a latched INIT is acted on. */
	enter_l2(vm, 2);
	exit_to_l1(vm, 2);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_INIT(2), &res));
	assert_ok(x2s_vcpu_enter(vm, 2, &res));
	assert_true(init_pending(vm, 2));
	assert_ok(x2s_vcpu_set_guest_mode(vm, 2, false, false));
	assert_false(vmxon(vm, 2));
	assert_ok(x2s_vcpu_enter(vm, 2, &res));
	assert_false(res.nested_exit);
	assert_false(init_pending(vm, 2));
	assert_int_equal(vcpu_of(vm, 2)->arch.mp_state,
			 KVM_MP_STATE_INIT_RECEIVED);
	assert_int_equal(rip_of(vm, 2), 0xfff0);
	assert_false(test_isr(vm, 2, 0x70));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* An event being re-injected into L2 holds the INIT back one exit. */
static void test_init_to_l2_waits_for_reinjection(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 1);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_guest_mode(vm, 1, true, false));
	set_guest(vm, 1, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	vcpu->arch.nmi_pending = 1;
	kvm_make_request(KVM_REQ_NMI, vcpu);
	do_exit(vm, 1, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_int_equal(res.entry_intr_info, INTR_INFO_NMI);

	/*
	 * The INIT arrives, then an EPT violation interrupts the NMI's
	 * delivery.  x2sim: the model has no EPT, so the exit is begun and
	 * the next entry prepared by hand, without its handler.
	 */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, ICR_INIT(1), &res));
	vmcs_write(vcpu, VM_EXIT_REASON, EXIT_REASON_EPT_VIOLATION);
	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, INTR_INFO_NMI);
	x2s_vmx_exit_begin(vcpu);
	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, 0);
	vcpu->mode = OUTSIDE_GUEST_MODE;
	to_vmx(vcpu)->nested.last_exit.happened = false;
	assert_int_equal(x2s_vcpu_prepare_entry(vcpu), 1);
	assert_false(to_vmx(vcpu)->nested.last_exit.happened);
	assert_int_equal(entry_info(vm, 1), INTR_INFO_NMI);
	assert_true(init_pending(vm, 1));
	assert_true(is_guest_mode(vcpu));
	assert_true(to_vmx(vcpu)->req_immediate_exit);

	/* The forced exit completes the NMI; now the INIT exits to L1. */
	do_exit(vm, 1, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_INIT_SIGNAL);
	assert_false(init_pending(vm, 1));
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* L2's pending single-step #DB goes with the exit to vmcs12, not to L1. */
static void test_init_signal_exit_drops_l2_pending_exception(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 1);
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_guest_mode(vm, 1, true, false));
	set_guest(vm, 1, X86_EFLAGS_FIXED | X86_EFLAGS_TF, 0);
	/* L2 sends INIT to itself; L0 emulates the WRMSR. */
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 1, ICR_MSR, ICR_INIT(1), &res));
	assert_true(res.nested_exit);
	assert_int_equal(res.nested_exit_reason, EXIT_REASON_INIT_SIGNAL);
	assert_int_equal(rip_of(vm, 1), GUEST_RIP_START + 2);
	assert_false(vcpu->arch.exception.pending);
	assert_false(vcpu->arch.exception.injected);
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- fastpath hook ---- */

static void test_fastpath_hook_results(void **state)
{
	static const struct {
		fastpath_t ret;
		/*
		 * A KVM_REQ_EVENT is pending (as the delivery of the IRQ
		 * waiting in IRR would have left it).
		 */
		bool request;
		int status;
		bool handler_ran;
		bool injected;
	} cases[] = {
		{ EXIT_FASTPATH_NONE, true, X2S_STATUS_GUEST, true, true },
		{ EXIT_FASTPATH_NONE, false, X2S_STATUS_GUEST, true, false },
		{ EXIT_FASTPATH_REENTER_GUEST, false, X2S_STATUS_GUEST, false,
		  false },
		{ EXIT_FASTPATH_REENTER_GUEST, true, X2S_STATUS_GUEST, false,
		  true },
		{ EXIT_FASTPATH_EXIT_HANDLED, true, X2S_STATUS_GUEST, false,
		  true },
		{ EXIT_FASTPATH_EXIT_USERSPACE, true, X2S_STATUS_USERSPACE,
		  false, false },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x2s_vm *vm = test_vm_new(2);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
		struct x2s_exit_result res;

		assert_ok(x2s_vm_set_fastpath(vm, test_hook));
		hook_calls = 0;
		hook_result = cases[i].ret;
		set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
		/* An IRQ waiting in IRR shows whether pre-entry work ran. */
		kvm_apic_set_irr_vector(test_apic(vm, 0), 0x50);
		if (cases[i].request)
			kvm_make_request(KVM_REQ_EVENT, vcpu);
		assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR,
					      (1ULL << 32) | 0x40, &res));
		assert_int_equal(hook_calls, 1);
		assert_int_equal(res.fastpath, cases[i].ret);
		assert_int_equal(res.status, cases[i].status);
		assert_int_equal(test_irr(vm, 1, 0x40), cases[i].handler_ran);
		assert_int_equal(rip_of(vm, 0),
				 GUEST_RIP_START +
					 (cases[i].handler_ran ? 2 : 0));
		if (cases[i].injected)
			assert_int_equal(res.entry_intr_info,
					 INTR_INFO_VALID_MASK |
						 INTR_TYPE_EXT_INTR | 0x50);
		else
			assert_int_equal(res.entry_intr_info, 0);
		assert_no_warn();
		x2s_vm_destroy(vm);
	}
}

static void test_fastpath_hook_sees_every_exit(void **state)
{
	struct x2s_vm *vm = test_vm_new(1);
	struct x2s_exit_result res;

	assert_ok(x2s_vm_set_fastpath(vm, test_hook));
	hook_calls = 0;
	hook_result = EXIT_FASTPATH_NONE;
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	do_exit(vm, 0, EXIT_REASON_CPUID, 2, &res);
	assert_ok(x2s_vcpu_set_guest_mode(vm, 0, true, true));
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, 0, &res));
	assert_int_equal(hook_calls, 3);
	x2s_vm_destroy(vm);
}

/* ---- a fastpath ahead of vmx_complete_interrupts() (2019) ---- */

static bool seen_interrupt_injected;

/* Queues #UD and takes the exit, noting what it found queued. */
static fastpath_t queue_ud_fastpath(struct kvm_vcpu *vcpu)
{
	seen_interrupt_injected = vcpu->arch.interrupt.injected;
	if (vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE)
		return EXIT_FASTPATH_NONE;
	kvm_queue_exception(vcpu, UD_VECTOR);
	return EXIT_FASTPATH_EXIT_HANDLED;
}

/*
 * The same code at the two places: before the completion it sees the
 * queues as the exit found them and its exception is dropped; after it,
 * the completed queues, and its exception is injected.
 */
static void test_fastpath_before_completion_loses_its_exception(void **state)
{
	static const struct {
		enum x2s_fastpath_entry entry;
		bool seen, dropped;
	} cases[] = {
		{ X2S_FASTPATH_BEFORE_COMPLETION, true, true },
		{ X2S_FASTPATH_EXIT_HANDLERS, false, false },
	};

	for (unsigned int i = 0; i < 2; i++) {
		struct x2s_fastpath fp = { .name = "test",
					   .entry = cases[i].entry,
					   .kvm_version = X2SIM_KVM_VERSION };
		struct x2s_vm *vm = test_vm_new(1);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
		struct x2s_exit_result res;

		if (fp.entry == X2S_FASTPATH_BEFORE_COMPLETION)
			fp.before_completion = queue_ud_fastpath;
		else
			fp.exit_handlers = queue_ud_fastpath;
		to_kvm_vmx(vcpu->kvm)->fastpath = &fp;
		set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
		/* The last entry injected vector 0x40, and it was delivered. */
		vcpu->arch.interrupt.injected = true;
		vcpu->arch.interrupt.nr = 0x40;
		assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, 0x41, &res));
		assert_int_equal(res.fastpath, EXIT_FASTPATH_EXIT_HANDLED);
		assert_int_equal(seen_interrupt_injected, cases[i].seen);
		assert_false(vcpu->arch.interrupt.injected);
		assert_int_equal(res.entry_intr_info,
				 cases[i].dropped ?
					 0 :
					 INTR_INFO_VALID_MASK |
						 INTR_TYPE_HARD_EXCEPTION |
						 UD_VECTOR);
		assert_no_warn();
		to_kvm_vmx(vcpu->kvm)->fastpath = NULL;
		x2s_vm_destroy(vm);
	}
}

static fastpath_t decline_fastpath(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_NONE;
}

/* Declining before the completion leaves what x2s_vmx_exit_begin() left. */
static void test_fastpath_before_completion_declines_cleanly(void **state)
{
	static const struct x2s_fastpath fp = {
		.name = "test",
		.entry = X2S_FASTPATH_BEFORE_COMPLETION,
		.before_completion = decline_fastpath,
		.kvm_version = X2SIM_KVM_VERSION,
	};
	struct x2s_vm *vm = test_vm_new(1);
	struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
	struct vcpu_vmx *before = malloc(sizeof(*before));
	struct vmcs vmcs;

	assert_non_null(before);
	vcpu->arch.exception.injected = true;
	vcpu->arch.exception.vector = GP_VECTOR;
	vmcs_write(vcpu, VM_EXIT_REASON, EXIT_REASON_MSR_WRITE);
	vmcs_write(vcpu, VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_GP);
	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, INTR_INFO_NMI);
	x2s_vmx_exit_begin(vcpu);
	assert_true(vcpu->arch.nmi_injected);
	assert_true(kvm_test_request(KVM_REQ_EVENT, vcpu));
	*before = *to_vmx(vcpu);
	vmcs = *to_vmx(vcpu)->vmcs;
	assert_int_equal(x2s_vmx_exit_fastpath(vcpu, &fp), EXIT_FASTPATH_NONE);
	assert_memory_equal(before, to_vmx(vcpu), sizeof(*before));
	assert_memory_equal(&vmcs, to_vmx(vcpu)->vmcs, sizeof(vmcs));
	vmcs_write(vcpu, IDT_VECTORING_INFO_FIELD, 0);
	free(before);
	x2s_vm_destroy(vm);
}

/*
 * v1-posted under guest RFLAGS.TF: the skip queues #DB, the completion
 * that follows in vmx_vcpu_run() drops it; the slow path delivers it.
 */
static void test_v1_posted_loses_the_db_of_guest_tf(void **state)
{
	const struct x2s_fastpath_variant *v1 = x2s_fastpath_find("v1-posted");
	static const bool fast[] = { true, false };

	assert_non_null(v1);
	for (unsigned int i = 0; i < 2; i++) {
		struct x2s_vm *vm = test_vm_new(2);
		struct kvm_vcpu *vcpu = vcpu_of(vm, 0);
		struct x2s_exit_result res;

		to_kvm_vmx(vcpu->kvm)->fastpath = fast[i] ? v1->fn : NULL;
		set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_TF, 0);
		assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR,
					      (1ULL << 32) | 0x41, &res));
		assert_int_equal(res.status, X2S_STATUS_GUEST);
		assert_true(test_irr(vm, 1, 0x41));
		assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 2);
		if (fast[i]) {
			assert_int_equal(res.fastpath,
					 EXIT_FASTPATH_EXIT_HANDLED);
			assert_int_equal(res.entry_intr_info, 0);
			assert_false(vcpu->arch.exception.pending);
			assert_false(vcpu->arch.exception.injected);
			/* The x2APIC ICR written as xAPIC's: its WARN. */
			assert_int_equal(x2s_warn_count(), 1);
			x2s_warn_reset();
		} else {
			assert_int_equal(res.entry_intr_info, INTR_INFO_DB);
			assert_no_warn();
		}
		to_kvm_vmx(vcpu->kvm)->fastpath = NULL;
		x2s_vm_destroy(vm);
	}
}

/* ---- APICv ---- */

static void test_apicv_pir_synced_to_irr_and_rvi(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct kvm_vcpu *vcpu;
	struct x2s_exit_result res;

	x2s_vm_config_init(&cfg, 1);
	cfg.apicv = true;
	vm = test_vm_new_cfg(&cfg);
	vcpu = vcpu_of(vm, 0);
	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	to_vmx(vcpu)->pi_desc.pir[0x45 / 32] |= 1u << (0x45 % 32);
	to_vmx(vcpu)->pi_desc.on = true;
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_true(test_irr(vm, 0, 0x45));
	assert_false(to_vmx(vcpu)->pi_desc.on);
	assert_int_equal(to_vmx(vcpu)->pi_desc.pir[0x45 / 32], 0);
	/* Virtual interrupt delivery, not injection. */
	assert_int_equal(vmcs_read(vcpu, GUEST_INTR_STATUS) & 0xff, 0x45);
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_apicv_self_ipi_via_reenter_lands_in_rvi(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct kvm_vcpu *vcpu;
	struct x2s_exit_result res;

	x2s_vm_config_init(&cfg, 1);
	cfg.apicv = true;
	vm = test_vm_new_cfg(&cfg);
	vcpu = vcpu_of(vm, 0);
	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, ICR_MSR, APIC_DEST_SELF | 0x46,
				      &res));
	assert_true(test_irr(vm, 0, 0x46));
	assert_int_equal(vmcs_read(vcpu, GUEST_INTR_STATUS) & 0xff, 0x46);
	assert_int_equal(res.entry_intr_info, 0);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* ---- APIC access ---- */

static void apic_access(struct x2s_vm *vm, unsigned int i, u32 type, u32 offset,
			u64 data, struct x2s_exit_result *res)
{
	struct x2s_exit exit = {
		.reason = EXIT_REASON_APIC_ACCESS,
		.qualification = type | offset,
		.insn_len = 6,
		.mmio_data = data,
		.mmio_len = 4,
	};

	assert_ok(x2s_vcpu_exit(vm, i, &exit, res));
}

static void test_apic_access_icr_write_xapic(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct x2s_exit_result res;

	x2s_vm_config_init(&cfg, 2);
	cfg.apic_mode = X2S_APIC_MODE_XAPIC;
	vm = test_vm_new_cfg(&cfg);
	set_guest(vm, 0, X86_EFLAGS_FIXED, 0);
	apic_access(vm, 0, TYPE_LINEAR_APIC_INST_WRITE, APIC_ICR2, 1u << 24,
		    &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 6);
	apic_access(vm, 0, TYPE_LINEAR_APIC_INST_WRITE, APIC_ICR, 0x41, &res);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 12);
	assert_true(test_irr(vm, 1, 0x41));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_apic_access_read_lands_in_rax(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct x2s_exit_result res;
	u32 id;

	x2s_vm_config_init(&cfg, 2);
	cfg.apic_mode = X2S_APIC_MODE_XAPIC;
	vm = test_vm_new_cfg(&cfg);
	set_guest(vm, 1, X86_EFLAGS_FIXED, 0);
	vcpu_of(vm, 1)->arch.regs[VCPU_REGS_RAX] = ~0UL;
	apic_access(vm, 1, TYPE_LINEAR_APIC_INST_READ, APIC_ID, 0, &res);
	assert_ok(x2s_apic_get_reg(vm, 1, APIC_ID, &id));
	assert_int_equal(id, 1u << 24);
	/* A 32-bit load zero-extends into RAX. */
	assert_int_equal(vcpu_of(vm, 1)->arch.regs[VCPU_REGS_RAX], id);
	assert_int_equal(rip_of(vm, 1), GUEST_RIP_START + 6);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_apic_access_eoi_fast_path(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	struct x2s_exit_result res;

	x2s_vm_config_init(&cfg, 1);
	cfg.apic_mode = X2S_APIC_MODE_XAPIC;
	vm = test_vm_new_cfg(&cfg);
	set_guest(vm, 0, X86_EFLAGS_FIXED | X86_EFLAGS_IF, 0);
	kvm_apic_set_irr_vector(test_apic(vm, 0), 0x50);
	kvm_make_request(KVM_REQ_EVENT, vcpu_of(vm, 0));
	do_exit(vm, 0, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &res);
	assert_true(test_isr(vm, 0, 0x50));
	/* No decoded access needed: fasteoi skips the emulator for EOI. */
	{
		struct x2s_exit exit = {
			.reason = EXIT_REASON_APIC_ACCESS,
			.qualification = TYPE_LINEAR_APIC_INST_WRITE | APIC_EOI,
			.insn_len = 6,
		};

		assert_ok(x2s_vcpu_exit(vm, 0, &exit, &res));
	}
	assert_false(test_isr(vm, 0, 0x50));
	assert_int_equal(rip_of(vm, 0), GUEST_RIP_START + 6);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmcs_fields_by_encoding),
		cmocka_unit_test(test_vmcs_unknown_field_warns),
		cmocka_unit_test(test_exit_reason_table_unique),
		cmocka_unit_test(test_exit_reason_numbers_match_sdm),
		cmocka_unit_test(test_every_exit_reason_dispatches_cleanly),
		cmocka_unit_test(test_vmcall_answers_as_kvm),
		cmocka_unit_test(test_failed_vmentry_exits_with_fail_entry),
		cmocka_unit_test(
			test_failed_vmentry_keeps_the_injection_queued),
		cmocka_unit_test(test_exit_clears_the_whole_exception_queue),
		cmocka_unit_test(test_restore_clears_exception_vmexit),
		cmocka_unit_test(
			test_requeued_exception_without_code_has_code_zero),
		cmocka_unit_test(
			test_interrupted_priv_sw_exception_is_not_requeued),
		cmocka_unit_test(
			test_exit_during_event_delivery_is_internal_error),
		cmocka_unit_test(
			test_apic_access_during_event_delivery_reinjects),
		cmocka_unit_test(test_wrmsr_icr_delivers_and_skips),
		cmocka_unit_test(test_wrmsr_icr_reserved_bit_injects_gp),
		cmocka_unit_test(test_x2apic_msr_in_xapic_mode_injects_gp),
		cmocka_unit_test(test_wrmsr_unknown_msr_injects_gp),
		cmocka_unit_test(test_efer_write_and_read),
		cmocka_unit_test(test_rdmsr_icr_returns_edx_eax),
		cmocka_unit_test(test_skip_clears_interrupt_shadow),
		cmocka_unit_test(test_hlt_halts_with_in_kernel_lapic),
		cmocka_unit_test(test_hlt_with_deliverable_irq_stays_runnable),
		cmocka_unit_test(test_halted_vcpu_wakes_on_irq),
		cmocka_unit_test(test_hlt_without_lapic_exits_to_userspace),
		cmocka_unit_test(
			test_userspace_singlestep_exits_debug_after_skip),
		cmocka_unit_test(test_guest_tf_queues_db),
		cmocka_unit_test(test_nmi_injected_before_irq),
		cmocka_unit_test(test_blocked_nmi_requests_nmi_window),
		cmocka_unit_test(test_irq_blocked_requests_interrupt_window),
		cmocka_unit_test(test_interrupt_window_exit_injects),
		cmocka_unit_test(test_self_ipi_injected_at_reentry),
		cmocka_unit_test(test_l2_wrmsr_intercepted_by_l1_exits_to_l1),
		cmocka_unit_test(test_l2_rdmsr_intercepted_by_l1_exits_to_l1),
		cmocka_unit_test(test_l2_wrmsr_without_intercept_is_emulated),
		cmocka_unit_test(test_nested_msr_bitmap_layout),
		cmocka_unit_test(test_init_to_l2_is_init_signal_exit),
		cmocka_unit_test(test_init_latched_in_l1_after_nested_exit),
		cmocka_unit_test(test_init_outside_vmx_operation_resets),
		cmocka_unit_test(test_init_to_l2_waits_for_reinjection),
		cmocka_unit_test(
			test_init_signal_exit_drops_l2_pending_exception),
		cmocka_unit_test(test_fastpath_hook_results),
		cmocka_unit_test(test_fastpath_hook_sees_every_exit),
		cmocka_unit_test(
			test_fastpath_before_completion_loses_its_exception),
		cmocka_unit_test(
			test_fastpath_before_completion_declines_cleanly),
		cmocka_unit_test(test_v1_posted_loses_the_db_of_guest_tf),
		cmocka_unit_test(test_apicv_pir_synced_to_irr_and_rvi),
		cmocka_unit_test(test_apicv_self_ipi_via_reenter_lands_in_rvi),
		cmocka_unit_test(test_apic_access_icr_write_xapic),
		cmocka_unit_test(test_apic_access_read_lands_in_rax),
		cmocka_unit_test(test_apic_access_eoi_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
