// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LAPIC timer (src/lapic/timer.c) as KVM emulates it, on the VM's
 * clock: TSC-deadline on the hv timer (the preemption timer and its exit)
 * and on the sw timer, one-shot and periodic with a counting TMCCT, the
 * divisor, masking, mode changes, software disable, a halted vCPU's
 * timer, save/restore, and the forced immediate exit.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "fastpath/fastpath.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define MSR_LVTT (APIC_BASE_MSR + (APIC_LVTT >> 4))
#define MSR_TMICT (APIC_BASE_MSR + (APIC_TMICT >> 4))
#define MSR_TMCCT (APIC_BASE_MSR + (APIC_TMCCT >> 4))
#define MSR_TDCR (APIC_BASE_MSR + (APIC_TDCR >> 4))
#define ONESHOT (0u << 17)
#define PERIODIC (1u << 17)
#define TSC_DEADLINE (2u << 17)
#define VEC 0x40
#define DIV_BY_1 0xb

static struct x2s_vm *timer_vm(bool preemption_timer)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;

	x2s_vm_config_init(&cfg, 1);
	cfg.preemption_timer = preemption_timer;
	assert_ok(x2s_vm_create(&cfg, &vm));
	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RFLAGS,
				   X86_EFLAGS_FIXED | X86_EFLAGS_IF));
	return vm;
}

static void wrmsr(struct x2s_vm *vm, u32 msr, u64 data)
{
	assert_int_equal(x2s_msr_write(vm, 0, msr, data, false), 0);
}

static u64 rdmsr(struct x2s_vm *vm, u32 msr)
{
	u64 v;

	assert_int_equal(x2s_msr_read(vm, 0, msr, &v, false), 0);
	return v;
}

static struct kvm_timer *ktimer(struct x2s_vm *vm)
{
	return &x2s_vm_vcpu(vm, 0)->arch.apic->lapic_timer;
}

/* An entry: what it injects (VM_ENTRY_INTR_INFO_FIELD). */
static u32 enter(struct x2s_vm *vm)
{
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_enter(vm, 0, &res));
	return res.entry_intr_info;
}

static u32 preemption_timer_value(struct x2s_vm *vm)
{
	return (u32)vmcs_read(x2s_vm_vcpu(vm, 0), VMX_PREEMPTION_TIMER_VALUE);
}

#define INJECTS(v) (INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | (v))

/* A deadline on the preemption timer: armed at entry, its exit fires it. */
static void test_tsc_deadline_hv_timer(void **state)
{
	struct x2s_vm *vm = timer_vm(true);
	struct x2s_exit exit = { .reason = EXIT_REASON_PREEMPTION_TIMER };
	struct x2s_exit_result res;

	wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, 3200);
	assert_true(ktimer(vm)->hv_timer_in_use);
	assert_int_equal(to_vmx(x2s_vm_vcpu(vm, 0))->hv_deadline_tsc, 3200);
	assert_int_equal(rdmsr(vm, MSR_IA32_TSC_DEADLINE), 3200);
	/* The entry arms it: host TSC >> 5. */
	assert_int_equal(enter(vm), 0);
	assert_int_equal(preemption_timer_value(vm), 3200 >> 5);
	/* The sw timer is not involved: the clock alone fires nothing. */
	assert_ok(x2s_vm_advance_clock(vm, 5000));
	assert_false(test_irr(vm, 0, VEC));
	assert_ok(x2s_vcpu_exit(vm, 0, &exit, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_int_equal(res.entry_intr_info, INJECTS(VEC));
	assert_false(ktimer(vm)->hv_timer_in_use);
	assert_int_equal(ktimer(vm)->tscdeadline, 0);
	assert_int_equal(rdmsr(vm, MSR_IA32_TSC_DEADLINE), 0);
	/* Nothing armed: the next entry soft-disables the timer. */
	assert_int_equal(preemption_timer_value(vm), 0xffffffffu);
	assert_true(to_vmx(x2s_vm_vcpu(vm, 0))
			    ->loaded_vmcs->hv_timer_soft_disabled);
	x2s_vm_destroy(vm);
}

/* Without the preemption timer, the VM's clock fires the deadline. */
static void test_tsc_deadline_sw_timer(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, 1000);
	assert_false(ktimer(vm)->hv_timer_in_use);
	assert_true(ktimer(vm)->timer.queued);
	assert_ok(x2s_vm_advance_clock(vm, 999));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	assert_ok(x2s_vm_advance_clock(vm, 1));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	assert_int_equal(x2s_vm_clock(vm), 1000);
	assert_int_equal(enter(vm), INJECTS(VEC));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	assert_int_equal(ktimer(vm)->tscdeadline, 0);
	x2s_vm_destroy(vm);
}

/* A deadline already passed expires at the write, on either timer. */
static void test_tsc_deadline_in_the_past(void **state)
{
	for (int hv = 0; hv < 2; hv++) {
		struct x2s_vm *vm = timer_vm(hv);

		assert_ok(x2s_vm_advance_clock(vm, 10000));
		wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
		wrmsr(vm, MSR_IA32_TSC_DEADLINE, 5000);
		assert_false(ktimer(vm)->hv_timer_in_use);
		assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
		assert_int_equal(ktimer(vm)->expired_tscdeadline, 5000);
		assert_int_equal(enter(vm), INJECTS(VEC));
		/* A deadline of 0 disarms. */
		wrmsr(vm, MSR_IA32_TSC_DEADLINE, 0);
		assert_false(ktimer(vm)->timer.queued);
		assert_false(ktimer(vm)->hv_timer_in_use);
		x2s_vm_destroy(vm);
	}
}

/*
 * A deadline 2^63 cycles away: KVM's 64-bit cycles-to-ns product wraps
 * and the sw timer is set about 5 hours out (the model must compute it
 * as KVM does, and without signed overflow: fuzz_icr found one).
 */
static void test_tsc_deadline_far_away(void **state)
{
	struct x2s_vm *vm = timer_vm(false);
	u64 deadline = (1ull << 63) + 16;

	assert_ok(x2s_vm_advance_clock(vm, 300000));
	wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, deadline);
	assert_true(ktimer(vm)->timer.queued);
	/* 300000 + ((deadline - 300000) * 10^6 mod 2^64) / 10^6 */
	assert_int_equal(ktimer(vm)->timer.expires, 18446744073725ll);
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	x2s_vm_destroy(vm);
}

/* One-shot: TMCCT counts down with the clock, then reads 0. */
static void test_oneshot_counts_down(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	wrmsr(vm, MSR_TMICT, 1000);
	/*
	 * KVM reads (time left) mod period: at the write's own instant,
	 * which no real clock reads twice, that is 0.
	 */
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 0);
	assert_ok(x2s_vm_advance_clock(vm, 1));
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 999);
	assert_ok(x2s_vm_advance_clock(vm, 399));
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 600);
	assert_ok(x2s_vm_advance_clock(vm, 600));
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 0);
	assert_int_equal(enter(vm), INJECTS(VEC));
	/* Once: no second expiry. */
	assert_ok(x2s_vm_advance_clock(vm, 100000));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	assert_false(ktimer(vm)->timer.queued);
	/* Divide by 2 (TDCR 0): twice the time. */
	wrmsr(vm, MSR_TDCR, 0);
	wrmsr(vm, MSR_TMICT, 1000);
	assert_int_equal(ktimer(vm)->period, 2000);
	assert_ok(x2s_vm_advance_clock(vm, 2));
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 999);
	/* TMICT 0 stops it. */
	wrmsr(vm, MSR_TMICT, 0);
	assert_false(ktimer(vm)->timer.queued);
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 0);
	x2s_vm_destroy(vm);
}

/*
 * Periodic: the period is floored at KVM's 200 us; missed periods are
 * one interrupt; it keeps running.
 */
static void test_periodic(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, PERIODIC | VEC);
	wrmsr(vm, MSR_TMICT, 1000);
	assert_int_equal(ktimer(vm)->period, 200000);
	assert_ok(x2s_vm_advance_clock(vm, 5 * 200000 + 10));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	assert_true(ktimer(vm)->timer.queued);
	assert_int_equal(ktimer(vm)->target_expiration, 6 * 200000);
	assert_int_equal(enter(vm), INJECTS(VEC));
	/* TMCCT: the time left in this period, in bus cycles. */
	assert_int_equal(rdmsr(vm, MSR_TMCCT), 200000 - 10);
	x2s_vm_destroy(vm);
}

/* A new divisor rescales the time left. */
static void test_divisor_change_rescales(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	wrmsr(vm, MSR_TMICT, 1000);
	assert_ok(x2s_vm_advance_clock(vm, 500));
	wrmsr(vm, MSR_TDCR, 0); /* by 2: 500 ns left become 1000 */
	assert_int_equal(ktimer(vm)->target_expiration, 1500);
	assert_ok(x2s_vm_advance_clock(vm, 999));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	assert_ok(x2s_vm_advance_clock(vm, 1));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	x2s_vm_destroy(vm);
}

/* Masked LVTT: the expiry waits, unmasking delivers it. */
static void test_masked_then_unmasked(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, ONESHOT | APIC_LVT_MASKED | VEC);
	wrmsr(vm, MSR_TMICT, 100);
	assert_ok(x2s_vm_advance_clock(vm, 100));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	assert_int_equal(enter(vm), 0);
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	assert_int_equal(enter(vm), INJECTS(VEC));
	x2s_vm_destroy(vm);
}

/* Into and out of TSC-deadline mode the timer stops and TMICT is 0. */
static void test_mode_change_stops(void **state)
{
	struct x2s_vm *vm = timer_vm(true);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	wrmsr(vm, MSR_TMICT, 100000);
	assert_true(ktimer(vm)->hv_timer_in_use);
	wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
	assert_false(ktimer(vm)->hv_timer_in_use);
	assert_int_equal(rdmsr(vm, MSR_TMICT), 0);
	assert_int_equal(ktimer(vm)->period, 0);
	/* TSC-deadline mode ignores TMICT; the MSR is not read back. */
	wrmsr(vm, MSR_TMICT, 5);
	assert_int_equal(rdmsr(vm, MSR_TMICT), 0);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, 77);
	assert_int_equal(rdmsr(vm, MSR_IA32_TSC_DEADLINE), 0);
	x2s_vm_destroy(vm);
}

/* Software disable masks LVTT and drops what was pending. */
static void test_software_disable_drops_pending(void **state)
{
	struct x2s_vm *vm = timer_vm(false);

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, ONESHOT | VEC);
	wrmsr(vm, MSR_TMICT, 10);
	assert_ok(x2s_vm_advance_clock(vm, 10));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	wrmsr(vm, APIC_BASE_MSR + (APIC_SPIV >> 4), 0xff);
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
	assert_true(rdmsr(vm, MSR_LVTT) & APIC_LVT_MASKED);
	x2s_vm_destroy(vm);
}

/*
 * HLT with the hv timer armed: the blocked vCPU's timer moves to the sw
 * timer, the clock fires it, the vCPU wakes with it injected and gets
 * the hv timer back for the next deadline.
 */
static void test_halted_vcpu_wakes_on_its_timer(void **state)
{
	struct x2s_vm *vm = timer_vm(true);
	struct x2s_exit hlt = { .reason = EXIT_REASON_HLT, .insn_len = 1 };
	struct x2s_exit_result res;

	wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, 50000);
	assert_true(ktimer(vm)->hv_timer_in_use);
	assert_ok(x2s_vcpu_exit(vm, 0, &hlt, &res));
	assert_int_equal(res.status, X2S_STATUS_BLOCKED);
	assert_false(ktimer(vm)->hv_timer_in_use);
	assert_true(ktimer(vm)->timer.queued);
	assert_ok(x2s_vm_advance_clock(vm, 50000));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	assert_int_equal(enter(vm), INJECTS(VEC));
	assert_int_equal(x2s_vm_vcpu(vm, 0)->arch.mp_state,
			 KVM_MP_STATE_RUNNABLE);
	assert_false(to_vmx(x2s_vm_vcpu(vm, 0))->x2s_hv_timer_parked);
	wrmsr(vm, MSR_IA32_TSC_DEADLINE, 90000);
	assert_true(ktimer(vm)->hv_timer_in_use);
	x2s_vm_destroy(vm);
}

/* A saved state restores the timer exactly, and it runs on from there. */
static void test_save_restore_round_trip(void **state)
{
	struct x2s_vm *vm = timer_vm(false);
	struct x2s_vcpu_state a, b;

	wrmsr(vm, MSR_TDCR, DIV_BY_1);
	wrmsr(vm, MSR_LVTT, PERIODIC | VEC);
	wrmsr(vm, MSR_TMICT, 300000);
	assert_ok(x2s_vm_advance_clock(vm, 1000));
	assert_ok(x2s_vcpu_save(vm, 0, &a));
	assert_int_equal(a.timer_period_ns, 300000);
	assert_int_equal(a.timer_target_ns, 300000);
	assert_true(a.timer_queued);
	wrmsr(vm, MSR_TMICT, 0);
	assert_ok(x2s_vcpu_restore(vm, 0, &a));
	assert_ok(x2s_vcpu_save(vm, 0, &b));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_ok(x2s_vm_advance_clock(vm, 299000));
	assert_int_equal(atomic_read(&ktimer(vm)->pending), 1);
	/* A state that claims the hv timer where there is none is refused. */
	a.hv_timer_in_use = 1;
	assert_int_equal(x2s_vcpu_restore(vm, 0, &a), -EINVAL);
	x2s_vm_destroy(vm);
}

/*
 * An event that had to wait forces an immediate exit: the entry arms the
 * preemption timer at 0, and that exit is no guest timer -- 6.18's
 * fastpath returns EXIT_HANDLED, the slow path expires nothing.
 */
static void test_forced_immediate_exit(void **state)
{
	const struct x2s_fastpath *up = x2s_fastpath_find("upstream")->fn;
	struct x2s_exit exit = { .reason = EXIT_REASON_PREEMPTION_TIMER };

	for (int fast = 0; fast < 2; fast++) {
		struct x2s_vm *vm = timer_vm(true);
		struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, 0);
		struct x2s_exit_result res;

		wrmsr(vm, MSR_LVTT, TSC_DEADLINE | VEC);
		wrmsr(vm, MSR_IA32_TSC_DEADLINE, 1u << 20);
		/* An NMI being injected keeps an IRQ waiting. */
		vcpu->arch.nmi_pending = 1;
		kvm_make_request(KVM_REQ_EVENT, vcpu);
		assert_true(kvm_apic_set_irq(
			vcpu,
			&(struct kvm_lapic_irq){ .vector = 0x50,
						 .delivery_mode = APIC_DM_FIXED,
						 .level = 1 },
			NULL));
		enter(vm);
		assert_true(to_vmx(vcpu)->req_immediate_exit);
		assert_int_equal(preemption_timer_value(vm), 0);
		if (fast)
			to_kvm_vmx(vcpu->kvm)->fastpath = up;
		assert_ok(x2s_vcpu_exit(vm, 0, &exit, &res));
		if (fast)
			assert_int_equal(res.fastpath,
					 EXIT_FASTPATH_EXIT_HANDLED);
		/* The guest timer is still armed for later. */
		assert_true(ktimer(vm)->hv_timer_in_use);
		assert_int_equal(ktimer(vm)->tscdeadline, 1u << 20);
		assert_int_equal(atomic_read(&ktimer(vm)->pending), 0);
		x2s_vm_destroy(vm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_deadline_hv_timer),
		cmocka_unit_test(test_tsc_deadline_sw_timer),
		cmocka_unit_test(test_tsc_deadline_in_the_past),
		cmocka_unit_test(test_tsc_deadline_far_away),
		cmocka_unit_test(test_oneshot_counts_down),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_divisor_change_rescales),
		cmocka_unit_test(test_masked_then_unmasked),
		cmocka_unit_test(test_mode_change_stops),
		cmocka_unit_test(test_software_disable_drops_pending),
		cmocka_unit_test(test_halted_vcpu_wakes_on_its_timer),
		cmocka_unit_test(test_save_restore_round_trip),
		cmocka_unit_test(test_forced_immediate_exit),
	};

	return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
