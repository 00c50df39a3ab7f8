// SPDX-License-Identifier: GPL-2.0-only
/*
 * The public API (x2sim.h): creation limits, argument checking with no
 * side effect, settings applied through the model, snapshot / restore /
 * diff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "lapic/lapic.h"

static void test_create_limits(void **state)
{
	static const struct {
		unsigned int nr;
		int expect;
	} rows[] = {
		{ 0, -EINVAL }, { 1, 0 },	   { 2, 0 },
		{ 4096, 0 },	{ 4097, -EINVAL },
	};
	struct x2s_vm_config cfg;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct x2s_vm *vm = (struct x2s_vm *)0x1;

		x2s_vm_config_init(&cfg, rows[i].nr);
		assert_int_equal(x2s_vm_create(&cfg, &vm), rows[i].expect);
		if (rows[i].expect == 0) {
			assert_int_equal(x2s_vm_nr_vcpus(vm), rows[i].nr);
			x2s_vm_destroy(vm);
		} else {
			assert_ptr_equal(vm, (struct x2s_vm *)0x1);
		}
	}
}

static void test_create_rejects_contradictions(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm = NULL;

	assert_int_equal(x2s_vm_create(NULL, &vm), -EINVAL);
	x2s_vm_config_init(&cfg, 2);
	assert_int_equal(x2s_vm_create(&cfg, NULL), -EINVAL);
	cfg.lapic_in_kernel = false;
	cfg.apicv = true;
	assert_int_equal(x2s_vm_create(&cfg, &vm), -EINVAL);
	x2s_vm_config_init(&cfg, 2);
	cfg.apic_mode = (enum x2s_apic_mode)7;
	assert_int_equal(x2s_vm_create(&cfg, &vm), -EINVAL);
	assert_null(vm);
}

static void test_default_config_is_running_x2apic_guest(void **state)
{
	struct x2s_vm *vm = test_vm_new(4);

	for (unsigned int i = 0; i < 4; i++) {
		struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, i);
		u32 id;

		assert_true(apic_x2apic_mode(vcpu->arch.apic));
		assert_true(kvm_apic_sw_enabled(vcpu->arch.apic));
		assert_int_equal(vcpu->arch.mp_state, KVM_MP_STATE_RUNNABLE);
		assert_ok(x2s_apic_get_reg(vm, i, APIC_ID, &id));
		assert_int_equal(id, i);
		assert_int_equal(
			!!(vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP),
			i == 0);
	}
	x2s_vm_destroy(vm);
}

/* Every misuse gives -EINVAL and the VM state is bit-for-bit unchanged. */
static void test_misuse_has_no_side_effect(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_vcpu_state before[2], after[2];
	struct x2s_exit_result res;
	struct x2s_exit exit = { .reason = EXIT_REASON_MSR_WRITE,
				 .insn_len = 2 };
	uint64_t v;
	uint32_t r32;

	assert_ok(x2s_vm_save(vm, before));
	assert_int_equal(x2s_vcpu_set_apic_mode(vm, 2, X2S_APIC_MODE_XAPIC),
			 -EINVAL);
	assert_int_equal(x2s_vcpu_set_apic_mode(NULL, 0, X2S_APIC_MODE_XAPIC),
			 -EINVAL);
	assert_int_equal(x2s_vcpu_set_apic_mode(vm, 0, (enum x2s_apic_mode)3),
			 -EINVAL);
	assert_int_equal(x2s_vcpu_set_sw_enabled(vm, 5, false), -EINVAL);
	/* xAPIC-only settings in x2APIC mode. */
	assert_int_equal(x2s_vcpu_set_xapic_id(vm, 0, 3), -EINVAL);
	assert_int_equal(x2s_vcpu_set_ldr(vm, 0, 1u << 24), -EINVAL);
	assert_int_equal(x2s_vcpu_set_dfr(vm, 0, APIC_DFR_FLAT), -EINVAL);
	assert_int_equal(x2s_vcpu_set_mp_state(vm, 0, 5), -EINVAL);
	assert_int_equal(x2s_vcpu_set_guest_mode(vm, 0, false, true), -EINVAL);
	assert_int_equal(x2s_vcpu_set_guest_debug(vm, 0, 0x80), -EINVAL);
	assert_int_equal(x2s_vcpu_set_gpr(vm, 0, X2S_NR_REGS, 0), -EINVAL);
	assert_int_equal(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RFLAGS, 0), -EINVAL);
	assert_int_equal(x2s_vcpu_get_gpr(vm, 0, X2S_REG_RAX, NULL), -EINVAL);
	assert_int_equal(x2s_msr_write(vm, 9, 0x830, 0, false), -EINVAL);
	assert_int_equal(x2s_msr_read(vm, 0, 0x830, NULL, false), -EINVAL);
	assert_int_equal(x2s_mmio_write(vm, 0, 0xfee00300, 3, 0), -EINVAL);
	assert_int_equal(x2s_apic_get_reg(vm, 0, 0x1000, &r32), -EINVAL);
	assert_int_equal(x2s_apic_get_reg(vm, 0, 0x302, &r32), -EINVAL);
	assert_int_equal(x2s_vcpu_exit(vm, 2, &exit, &res), -EINVAL);
	assert_int_equal(x2s_vcpu_exit(vm, 0, NULL, &res), -EINVAL);
	assert_int_equal(x2s_vcpu_exit(vm, 0, &exit, NULL), -EINVAL);
	assert_int_equal(x2s_vcpu_save(vm, 2, after), -EINVAL);
	assert_int_equal(x2s_vm_set_fastpath(NULL, NULL), -EINVAL);
	(void)v;
	assert_ok(x2s_vm_save(vm, after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(x2s_state_diff(before, after, 2, NULL), 0);
	x2s_vm_destroy(vm);
}

static void test_snapshot_restore_roundtrip(void **state)
{
	struct x2s_vm *vm = test_vm_new(4);
	struct x2s_vcpu_state *clean = calloc(4, sizeof(*clean));
	struct x2s_vcpu_state *dirty = calloc(4, sizeof(*dirty));
	struct x2s_vcpu_state *again = calloc(4, sizeof(*again));

	assert_ok(x2s_vm_save(vm, clean));
	/* Broadcast fixed IPI: every vCPU's IRR changes. */
	assert_ok(x2s_msr_write(vm, 1, 0x830, (X2APIC_BROADCAST << 32) | 0x55,
				false));
	for (unsigned int i = 0; i < 4; i++)
		assert_true(test_irr(vm, i, 0x55));
	assert_ok(x2s_vm_save(vm, dirty));
	assert_true(x2s_state_diff(clean, dirty, 4, NULL) >= 4);
	assert_ok(x2s_vm_restore(vm, clean));
	assert_ok(x2s_vm_save(vm, again));
	assert_memory_equal(clean, again, 4 * sizeof(*clean));
	for (unsigned int i = 0; i < 4; i++)
		assert_false(test_irr(vm, i, 0x55));
	/* The restored VM still delivers: the map was rebuilt. */
	assert_ok(x2s_msr_write(vm, 0, 0x830, (3ULL << 32) | 0x66, false));
	assert_true(test_irr(vm, 3, 0x66));
	assert_false(test_irr(vm, 2, 0x66));
	free(clean);
	free(dirty);
	free(again);
	x2s_vm_destroy(vm);
}

static void test_state_diff_names_vectors(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_vcpu_state a[2], b[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_ok(x2s_vm_save(vm, a));
	assert_ok(x2s_msr_write(vm, 0, 0x830, (1ULL << 32) | 0x31, false));
	assert_ok(x2s_vm_save(vm, b));
	/*
	 * vCPU 0: both halves of the 64-bit ICR; vCPU 1: IRR 0x31 and the
	 * KVM_REQ_EVENT request the delivery made.
	 */
	assert_int_equal(x2s_state_diff(a, b, 2, out), 4);
	fclose(out);
	assert_non_null(strstr(buf, "vcpu1 IRR: +0x31"));
	assert_non_null(strstr(buf, "vcpu0 ICR: 0x00000000 vs 0x00000031"));
	assert_non_null(strstr(buf, "vcpu0 ICR+0x4: 0x00000000 vs 0x00000001"));
	assert_non_null(strstr(buf, "vcpu1 requests"));
	free(buf);
	x2s_vm_destroy(vm);
}

/* KVM refuses INIT/SIPI states while INIT is latched (VMX: in L2). */
static void test_init_states_refused_in_guest_mode(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);

	assert_ok(x2s_vcpu_set_guest_mode(vm, 0, true, false));
	assert_int_equal(
		x2s_vcpu_set_mp_state(vm, 0, KVM_MP_STATE_INIT_RECEIVED),
		-EINVAL);
	assert_int_equal(
		x2s_vcpu_set_mp_state(vm, 0, KVM_MP_STATE_SIPI_RECEIVED),
		-EINVAL);
	assert_ok(x2s_vcpu_set_mp_state(vm, 1, KVM_MP_STATE_INIT_RECEIVED));
	assert_int_equal(x2s_vcpu_set_guest_mode(vm, 1, true, false), -EINVAL);
	assert_int_equal(x2s_vm_vcpu(vm, 1)->arch.guest_mode, false);
	x2s_vm_destroy(vm);
}

static void test_strerror(void **state)
{
	assert_string_equal(x2s_strerror(0), "success");
	assert_string_equal(x2s_strerror(-EINVAL), "invalid argument");
	assert_non_null(strstr(x2s_strerror(X2S_GP), "#GP"));
	assert_non_null(x2s_strerror(-12345));
}

static void test_wrmsr_exit_delivers_and_skips(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit_result res;
	uint64_t rip;

	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RIP, 0x1000));
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, 0x830, (1ULL << 32) | 0x40, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_ok(x2s_vcpu_get_gpr(vm, 0, X2S_REG_RIP, &rip));
	assert_int_equal(rip, 0x1002);
	assert_true(test_irr(vm, 1, 0x40));
	assert_no_warn();
	x2s_vm_destroy(vm);
}

static void test_big_vm_physical_and_broadcast(void **state)
{
	struct x2s_vm *vm = test_vm_new(4096);
	int receivers = 0;

	assert_ok(x2s_msr_write(vm, 7, 0x830, (4095ULL << 32) | 0x31, false));
	assert_true(test_irr(vm, 4095, 0x31));
	assert_false(test_irr(vm, 4094, 0x31));
	assert_ok(x2s_msr_write(vm, 0, 0x830, (X2APIC_BROADCAST << 32) | 0x32,
				false));
	for (unsigned int i = 0; i < 4096; i++)
		receivers += test_irr(vm, i, 0x32);
	assert_int_equal(receivers, 4096);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_create_rejects_contradictions),
		cmocka_unit_test(test_default_config_is_running_x2apic_guest),
		cmocka_unit_test(test_misuse_has_no_side_effect),
		cmocka_unit_test(test_snapshot_restore_roundtrip),
		cmocka_unit_test(test_state_diff_names_vectors),
		cmocka_unit_test(test_init_states_refused_in_guest_mode),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_wrmsr_exit_delivers_and_skips),
		cmocka_unit_test(test_big_vm_physical_and_broadcast),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
