// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPUID (src/vmx/cpuid.c): kvm_cpuid()'s lookup rules, the
 * CPUID exit, and the knobs that take bits away -- with what KVM derives
 * from them (EXTD reserved without x2APIC, no TSC-deadline LVTT mode,
 * APIC_BASE's reserved bits from MAXPHYADDR, directed EOI).
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

static struct x2s_vm *vm_with(struct x2s_vm_config *cfg)
{
	struct x2s_vm *vm;

	assert_ok(x2s_vm_create(cfg, &vm));
	return vm;
}

static void cpuid(struct x2s_vm *vm, unsigned int i, u32 leaf, u32 sub,
		  u32 out[4])
{
	out[0] = leaf;
	out[2] = sub;
	kvm_cpuid(x2s_vm_vcpu(vm, i), &out[0], &out[1], &out[2], &out[3],
		  false);
}

static void test_lookup_rules(void **state)
{
	struct x2s_vm *vm = test_vm_new(3);
	u32 r[4], b[4];

	cpuid(vm, 2, 1, 0, r);
	assert_int_equal(r[1] >> 24, 2);
	assert_int_equal(r[2] & (1u << 21 | 1u << 24), 1u << 21 | 1u << 24);
	cpuid(vm, 2, 0xb, 1, r);
	assert_int_equal(r[1], 3); /* vCPUs in the package */
	assert_int_equal(r[3], 2); /* x2APIC ID */
	assert_int_equal(r[0], 2); /* bits of the ID */
	/* An undefined 0xB subleaf: CL through, EDX the x2APIC ID. */
	cpuid(vm, 1, 0xb, 7, r);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], 7);
	assert_int_equal(r[3], 1);
	/* Inside the basic range but not in the table: zeros. */
	cpuid(vm, 0, 5, 0, r);
	assert_true(!r[0] && !r[1] && !r[2] && !r[3]);
	cpuid(vm, 0, 0x80000004, 0, r);
	assert_true(!r[0] && !r[1] && !r[2] && !r[3]);
	/* Beyond a range, or a class that does not exist: leaf 0xB. */
	cpuid(vm, 0, 0xb, 0, b);
	for (u32 leaf = 0x20; leaf; leaf = leaf == 0x20	      ? 0x40000002 :
					   leaf == 0x40000002 ? 0x40000100 :
					   leaf == 0x40000100 ? 0x80000009 :
					   leaf == 0x80000009 ? 0xc0000000 :
								0) {
		cpuid(vm, 0, leaf, 0, r);
		assert_memory_equal(r, b, sizeof(b));
	}
	cpuid(vm, 0, 0x40000000, 0, r);
	assert_memory_equal(&r[1], "KVMKVMKVM\0\0\0", 12);
	cpuid(vm, 0, 0x80000008, 0, r);
	assert_int_equal(r[0], 46 | 48 << 8);
	x2s_vm_destroy(vm);
}

/* The CPUID exit: the four registers and the skip. */
static void test_cpuid_exit(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit exit = { .reason = EXIT_REASON_CPUID, .insn_len = 2 };
	struct x2s_exit_result res;
	u64 rip, rax, rbx, rcx, rdx;

	assert_ok(x2s_vcpu_set_gpr(vm, 1, X2S_REG_RAX, 0));
	assert_ok(x2s_vcpu_set_gpr(vm, 1, X2S_REG_RCX, 0));
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RIP, &rip));
	assert_ok(x2s_vcpu_exit(vm, 1, &exit, &res));
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RAX, &rax));
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RBX, &rbx));
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RCX, &rcx));
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RDX, &rdx));
	assert_int_equal(rax, 0xb);
	assert_int_equal(rbx, 0x756e6547); /* "Genu" */
	assert_int_equal(rdx, 0x49656e69); /* "ineI" */
	assert_int_equal(rcx, 0x6c65746e); /* "ntel" */
	assert_ok(x2s_vcpu_get_gpr(vm, 1, X2S_REG_RIP, &rax));
	assert_int_equal(rax, rip + 2);
	x2s_vm_destroy(vm);
}

/* Without CPUID x2APIC: no x2APIC mode, EXTD reserved, no directed EOI. */
static void test_no_x2apic(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	uint32_t lvr;
	u32 r[4];

	x2s_vm_config_init(&cfg, 1);
	cfg.cpuid_no_x2apic = true;
	assert_int_equal(x2s_vm_create(&cfg, &vm), -EINVAL);
	cfg.apic_mode = X2S_APIC_MODE_XAPIC;
	vm = vm_with(&cfg);
	cpuid(vm, 0, 1, 0, r);
	assert_false(r[2] & (1u << 21));
	assert_int_equal(x2s_msr_write(vm, 0, MSR_IA32_APICBASE,
				       APIC_DEFAULT_PHYS_BASE |
					       MSR_IA32_APICBASE_ENABLE |
					       MSR_IA32_APICBASE_BSP |
					       X2APIC_ENABLE,
				       false),
			 X2S_GP);
	assert_ok(x2s_apic_get_reg(vm, 0, APIC_LVR, &lvr));
	assert_false(lvr & APIC_LVR_DIRECTED_EOI);
	x2s_vm_destroy(vm);
}

/* Without CPUID TSC-deadline, LVTT has no TSC-deadline mode. */
static void test_no_tsc_deadline(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	u64 lvtt;
	u32 r[4];

	x2s_vm_config_init(&cfg, 1);
	cfg.cpuid_no_tsc_deadline = true;
	vm = vm_with(&cfg);
	cpuid(vm, 0, 1, 0, r);
	assert_false(r[2] & (1u << 24));
	assert_int_equal(x2s_msr_write(vm, 0, APIC_BASE_MSR + (APIC_LVTT >> 4),
				       (2u << 17) | 0x40, false),
			 0);
	assert_int_equal(x2s_msr_read(vm, 0, APIC_BASE_MSR + (APIC_LVTT >> 4),
				      &lvtt, false),
			 0);
	assert_int_equal(lvtt, 0x40);
	/* The deadline MSR is then ignored (not TSC-deadline mode). */
	assert_int_equal(x2s_msr_write(vm, 0, MSR_IA32_TSC_DEADLINE, 5, false),
			 0);
	assert_int_equal(x2s_vm_vcpu(vm, 0)->arch.apic->lapic_timer.tscdeadline,
			 0);
	x2s_vm_destroy(vm);
}

/* APIC_BASE's reserved bits start at MAXPHYADDR. */
static void test_maxphyaddr(void **state)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	u64 base;
	u32 r[4];

	x2s_vm_config_init(&cfg, 1);
	cfg.maxphyaddr = 31;
	assert_int_equal(x2s_vm_create(&cfg, &vm), -EINVAL);
	cfg.maxphyaddr = 53;
	assert_int_equal(x2s_vm_create(&cfg, &vm), -EINVAL);
	cfg.maxphyaddr = 40;
	vm = vm_with(&cfg);
	cpuid(vm, 0, 0x80000008, 0, r);
	assert_int_equal(r[0] & 0xff, 40);
	assert_int_equal(x2s_msr_read(vm, 0, MSR_IA32_APICBASE, &base, false),
			 0);
	assert_int_equal(x2s_msr_write(vm, 0, MSR_IA32_APICBASE,
				       base | (1ULL << 39), false),
			 0);
	assert_int_equal(x2s_msr_write(vm, 0, MSR_IA32_APICBASE,
				       base | (1ULL << 40), false),
			 X2S_GP);
	x2s_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_rules),
		cmocka_unit_test(test_cpuid_exit),
		cmocka_unit_test(test_no_x2apic),
		cmocka_unit_test(test_no_tsc_deadline),
		cmocka_unit_test(test_maxphyaddr),
	};

	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
